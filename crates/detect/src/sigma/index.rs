//! Which rules an event is evaluated against: log source routing plus one literal scan
//! over the event's lower-cased values.
//!
//! - Log source: the distinct rule log sources are kept once ([`Index::keys`]); per event
//!   each is checked once against the inferred source (`compatible_ids`), then every rule
//!   reads its key's answer.
//! - Prefilter: every literal of every rule's required groups (see
//!   `compile` § Required literals) is one entry of the literal prefilter (`prefilter`);
//!   a literal's postings say which `(rule, group bit)` it satisfies. One scan over the
//!   event's values (NUL-separated, so no literal spans two values) sets the group bits;
//!   a rule is a candidate when all its bits are set.
//! - Rules without any group are always candidates for a compatible log source; they are
//!   kept per log source key so incompatible ones cost nothing ([`Index::unfiltered`]).

use super::LogSource;
use super::compile::Group;
use super::fields::Event;
use super::prefilter::{FastMap, Literals};

/// The prefilter and log source index of a rule set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    literals: Literals,
    /// Pattern id → range in `postings`.
    post_start: Vec<u32>,
    postings: Vec<(u32, u8)>,
    /// Per rule: the mask of all its group bits (0: no prefilter).
    full: Vec<u8>,
    /// Per rule: its log source key.
    rule_key: Vec<u32>,
    /// Distinct rule log sources.
    keys: Vec<LogSource>,
    /// The same, as interned `[product, category, service]` values.
    key_ids: Vec<[Option<u16>; 3]>,
    /// Interned log source values (all dimensions share one table).
    values: FastMap<String, u16>,
    /// Interned `(rule value, event value)` pairs compatible besides equality.
    family: Vec<(u16, u16)>,
    /// Rules without a prefilter, per log source key.
    unfiltered: Vec<(u32, Vec<u32>)>,
    patterns: usize,
}

/// Index statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexStats {
    /// Rules in the set.
    pub rules: usize,
    /// Distinct literals in the prefilter automaton.
    pub literals: usize,
    /// Rules without a usable literal: evaluated for every event of a compatible log
    /// source.
    pub unfiltered: usize,
    /// Distinct rule log sources.
    pub logsources: usize,
}

/// Reusable per-event buffers.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    mask: Vec<u8>,
    seen: Vec<u64>,
    compat: Vec<bool>,
    pub(crate) slots: Vec<u32>,
    pub(crate) candidates: Vec<u32>,
}

impl Index {
    /// Builds the index for rules given as `(log source, required groups)`.
    pub(crate) fn build<'r>(rules: impl Iterator<Item = (&'r LogSource, &'r [Group])>) -> Index {
        let mut idx = Index::default();
        let mut literal_ids: std::collections::HashMap<&'r str, usize> = Default::default();
        let mut literals: Vec<&'r str> = Vec::new();
        let mut per_literal: Vec<Vec<(u32, u8)>> = Vec::new();
        let mut unfiltered: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
        for (ri, (ls, groups)) in rules.enumerate() {
            let rule = u32::try_from(ri).unwrap_or(u32::MAX);
            let key = match idx.keys.iter().position(|k| k == ls) {
                Some(k) => k,
                None => {
                    idx.keys.push(ls.clone());
                    idx.keys.len() - 1
                }
            };
            let key = u32::try_from(key).unwrap_or(u32::MAX);
            idx.rule_key.push(key);
            let groups = &groups[..groups.len().min(8)];
            if groups.is_empty() {
                idx.full.push(0);
                unfiltered.entry(key).or_default().push(rule);
                continue;
            }
            let mut full = 0u8;
            for (gi, g) in groups.iter().enumerate() {
                let bit = 1u8 << gi;
                full |= bit;
                for lit in g {
                    let id = *literal_ids.entry(lit.as_str()).or_insert_with(|| {
                        literals.push(lit.as_str());
                        per_literal.push(Vec::new());
                        literals.len() - 1
                    });
                    per_literal[id].push((rule, bit));
                }
            }
            idx.full.push(full);
        }
        idx.unfiltered = unfiltered.into_iter().collect();
        idx.intern_keys();
        for posts in per_literal {
            idx.post_start
                .push(u32::try_from(idx.postings.len()).unwrap_or(u32::MAX));
            idx.postings.extend(posts);
        }
        idx.post_start
            .push(u32::try_from(idx.postings.len()).unwrap_or(u32::MAX));
        idx.patterns = literals.len();
        idx.literals = Literals::build(&literals);
        idx
    }

    /// Statistics.
    pub(crate) fn stats(&self) -> IndexStats {
        IndexStats {
            rules: self.full.len(),
            literals: self.patterns,
            unfiltered: self.unfiltered.iter().map(|(_, r)| r.len()).sum(),
            logsources: self.keys.len(),
        }
    }

    /// Fills `scratch.candidates` with the rules to evaluate for `ev`, in rule order.
    pub(crate) fn candidates(&self, ev: &Event, scratch: &mut Scratch) {
        let ls = ev.logsource();
        let exact = ev.logsource_is_exact();
        let ev_ids = self.event_ids(ls);
        scratch.compat.clear();
        scratch.compat.extend(
            self.key_ids
                .iter()
                .map(|k| self.compatible_ids(k, &ev_ids, exact)),
        );
        scratch.candidates.clear();
        for (key, rules) in &self.unfiltered {
            if scratch.compat[*key as usize] {
                scratch.candidates.extend_from_slice(rules);
            }
        }
        if self.patterns > 0 {
            let Scratch {
                mask,
                seen,
                compat,
                candidates,
                ..
            } = scratch;
            mask.clear();
            mask.resize(self.full.len(), 0);
            seen.clear();
            seen.resize(self.patterns.div_ceil(64), 0);
            self.literals.scan(ev.lower_text().as_bytes(), |p| {
                let (word, bit) = (p / 64, 1u64 << (p % 64));
                if seen[word] & bit != 0 {
                    return;
                }
                seen[word] |= bit;
                let range = self.post_start[p] as usize..self.post_start[p + 1] as usize;
                for &(rule, gbit) in &self.postings[range] {
                    let r = rule as usize;
                    let before = mask[r];
                    let after = before | gbit;
                    if after != before {
                        mask[r] = after;
                        if after == self.full[r] && compat[self.rule_key[r] as usize] {
                            candidates.push(rule);
                        }
                    }
                }
            });
        }
        scratch.candidates.sort_unstable();
    }

    /// Whether rule `r` would be routed to an event with this log source.
    pub(crate) fn routes(&self, r: usize, ev: &Event) -> bool {
        let ev_ids = self.event_ids(ev.logsource());
        self.key_ids
            .get(self.rule_key[r] as usize)
            .is_some_and(|k| self.compatible_ids(k, &ev_ids, ev.logsource_is_exact()))
    }

    /// Whether rule `r` passes the literal prefilter for `ev`.
    pub(crate) fn prefilter_passes(&self, r: usize, ev: &Event) -> bool {
        if self.full[r] == 0 {
            return true;
        }
        let mut mask = 0u8;
        self.literals.scan(ev.lower_text().as_bytes(), |p| {
            let range = self.post_start[p] as usize..self.post_start[p + 1] as usize;
            for &(rule, gbit) in &self.postings[range] {
                if rule as usize == r {
                    mask |= gbit;
                }
            }
        });
        mask == self.full[r]
    }
}

/// An event's log source value, interned against the rules' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dim {
    /// Not known.
    Unknown,
    /// A value some rule uses.
    Known(u16),
    /// A value no rule uses.
    Other,
}

impl Index {
    fn intern_keys(&mut self) {
        let mut values = FastMap::default();
        let mut id = |v: &Option<String>| {
            v.as_ref().map(|s| {
                let n = u16::try_from(values.len()).unwrap_or(u16::MAX);
                *values.entry(s.clone()).or_insert(n)
            })
        };
        self.key_ids = self
            .keys
            .iter()
            .map(|k| [id(&k.product), id(&k.category), id(&k.service)])
            .collect();
        for (r, e) in CATEGORY_FAMILY.iter().chain(SERVICE_FAMILY) {
            let n = u16::try_from(values.len()).unwrap_or(u16::MAX);
            let r = *values.entry((*r).to_owned()).or_insert(n);
            let n = u16::try_from(values.len()).unwrap_or(u16::MAX);
            let e = *values.entry((*e).to_owned()).or_insert(n);
            self.family.push((r, e));
        }
        self.values = values;
    }

    fn event_ids(&self, ls: &LogSource) -> [Dim; 3] {
        let dim = |v: &Option<String>| match v {
            None => Dim::Unknown,
            Some(s) => self.values.get(s).map_or(Dim::Other, |&i| Dim::Known(i)),
        };
        [dim(&ls.product), dim(&ls.category), dim(&ls.service)]
    }

    /// Whether a rule's log source admits an event's. Each dimension the rule sets must
    /// equal the event's (or be its family: `registry_event` admits `registry_set`); when
    /// the event's is unknown, an exact event (a recognised Windows channel) rejects the
    /// rule and a guessed one admits it.
    fn compatible_ids(&self, rule: &[Option<u16>; 3], event: &[Dim; 3], exact: bool) -> bool {
        rule.iter().zip(event).all(|(r, e)| match (r, e) {
            (None, _) => true,
            (Some(r), Dim::Known(e)) => r == e || self.family.contains(&(*r, *e)),
            (Some(_), Dim::Other) => false,
            (Some(_), Dim::Unknown) => !exact,
        })
    }
}

/// Category pairs `(rule, event)` that are compatible besides equality.
const CATEGORY_FAMILY: &[(&str, &str)] = &[
    ("registry_event", "registry_add"),
    ("registry_event", "registry_delete"),
    ("registry_event", "registry_set"),
    ("registry_event", "registry_rename"),
];

/// Service pairs `(rule, event)` that are compatible besides equality.
const SERVICE_FAMILY: &[(&str, &str)] = &[("auth", "sshd"), ("auth", "sudo")];
