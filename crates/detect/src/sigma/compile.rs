//! Rule document → compiled rule: selections of [`Matcher`]s, the parsed condition, and the
//! literal groups the prefilter indexes.
//!
//! Everything costly happens here, once: regexes are built with size limits
//! ([`REGEX_SIZE_LIMIT`]), string patterns are lower-cased, `windash`/`base64offset`
//! values are expanded. Something the engine does not support gives
//! [`CompileError::Unsupported`] (the rule is skipped with that reason); something
//! malformed gives [`CompileError::Invalid`].
//!
//! # Required literals
//!
//! For the prefilter, each rule gets up to [`MAX_GROUPS`] *groups* of lower-case literals
//! such that, if the rule matches an event, every group has at least one literal present
//! in some value of the event. A field entry contributes one group per value group (its
//! values are alternatives); a selection map contributes the groups of all its entries;
//! `or` (and `1 of`) contributes unions of its children's groups; `not` contributes
//! nothing. Entries without a literal (regex, cidr, numbers compared, null, exists,
//! fieldref, literals shorter than [`MIN_LITERAL`] bytes) contribute nothing. A rule with
//! no group at all is evaluated for every event of a compatible log source.

use regex::RegexBuilder;

use super::condition::{self, Cond};
use super::matcher::{Cidr, Matcher, Pat, StrKind, Target};
use super::modifiers::{
    B64, Modifiers, Position, Tok, base64, base64_offsets, encode_utf16, literal, parse_wildcards,
    placeholders, position, windash,
};
use super::parse::{Node, RuleDoc};
use super::prefilter::{FastMap, POOR_ANCHOR, anchor_cost};

/// Compiled regex program size limit (bytes).
pub(crate) const REGEX_SIZE_LIMIT: usize = 2 << 20;
/// Lazy DFA cache size limit (bytes).
pub(crate) const REGEX_DFA_LIMIT: usize = 2 << 20;
/// Longest regex source accepted.
pub(crate) const MAX_REGEX_LEN: usize = 16 * 1024;
/// Shortest literal used by the prefilter.
pub(crate) const MIN_LITERAL: usize = 3;
/// Most literal groups kept per rule.
pub(crate) const MAX_GROUPS: usize = 3;

/// Why a rule did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompileError {
    /// Uses something the engine does not run; skipped with this reason.
    Unsupported(String),
    /// Malformed.
    Invalid(String),
}

type R<T> = Result<T, CompileError>;

fn unsupported<T>(s: impl Into<String>) -> R<T> {
    Err(CompileError::Unsupported(s.into()))
}

fn invalid<T>(s: impl Into<String>) -> R<T> {
    Err(CompileError::Invalid(s.into()))
}

/// Field names → ids, shared by all the rules of a set.
#[derive(Debug, Default, Clone)]
pub(crate) struct FieldTable {
    pub(crate) ids: FastMap<Box<str>, u32>,
    pub(crate) names: Vec<Box<str>>,
}

impl FieldTable {
    /// The id of a field name (case-insensitive), adding it when new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        let key = name.to_lowercase();
        if let Some(id) = self.ids.get(key.as_str()) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(key.as_str().into());
        self.ids.insert(key.into(), id);
        id
    }
}

/// A literal group: any one of these must occur.
pub(crate) type Group = Vec<String>;

/// One selection: alternatives (OR) of entry lists (AND).
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub(crate) alts: Vec<Vec<Matcher>>,
}

impl Selection {
    pub(crate) fn eval(&self, s: &super::matcher::Slots<'_>) -> bool {
        self.alts.iter().any(|alt| alt.iter().all(|m| m.eval(s)))
    }
}

/// A compiled rule (metadata is kept by the rule set, at the same index).
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) sels: Vec<Selection>,
    pub(crate) cond: Cond,
    pub(crate) groups: Vec<Group>,
}

/// Compiles one rule document.
pub(crate) fn compile(doc: &RuleDoc, fields: &mut FieldTable) -> R<Compiled> {
    let Node::Map(entries) = &doc.detection else {
        return invalid("`detection` is not a mapping");
    };
    let mut names = Vec::new();
    let mut sels = Vec::new();
    let mut sel_groups = Vec::new();
    let mut conditions = Vec::new();
    for (k, v) in entries {
        match k.as_str() {
            "condition" => conditions = v.strings(),
            "timeframe" => {}
            _ => {
                let (sel, groups) = selection(v, fields)?;
                names.push(k.clone());
                sels.push(sel);
                sel_groups.push(groups);
            }
        }
    }
    if conditions.is_empty() {
        return invalid("missing `condition`");
    }
    let mut conds = Vec::new();
    for c in &conditions {
        match condition::parse(c, &names) {
            Ok(c) => conds.push(c),
            Err(e) if e == "aggregation condition" => return unsupported(e),
            Err(e) => return invalid(e),
        }
    }
    let cond = if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    };
    let groups = cond_groups(&cond, &sel_groups);
    Ok(Compiled { sels, cond, groups })
}

fn cond_groups(c: &Cond, sels: &[Vec<Group>]) -> Vec<Group> {
    match c {
        Cond::Sel(i) => sels[*i].clone(),
        Cond::Not(_) => Vec::new(),
        Cond::And(cs) => best(cs.iter().flat_map(|c| cond_groups(c, sels)).collect()),
        Cond::Or(cs) => union(&cs.iter().map(|c| cond_groups(c, sels)).collect::<Vec<_>>()),
        Cond::AtLeast(_, ids) => union(&ids.iter().map(|i| sels[*i].clone()).collect::<Vec<_>>()),
    }
}

/// Necessary groups of a disjunction: the k-th group is the union of each child's k-th
/// best group (or its last), so any child matching satisfies it.
fn union(children: &[Vec<Group>]) -> Vec<Group> {
    if children.is_empty() || children.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    let depth = children.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..depth.min(MAX_GROUPS) {
        let mut g: Group = children
            .iter()
            .flat_map(|ch| ch[k.min(ch.len() - 1)].iter().cloned())
            .collect();
        g.sort();
        g.dedup();
        out.push(g);
    }
    best(out)
}

/// Sorts groups best first (least likely to occur) and removes duplicates. Keeps up to
/// [`MAX_GROUPS`] good groups (every literal selective); only when there is none, the
/// single best poor group (a literal common in event text, such as `rundll32`, still
/// filters most events and costs less than evaluating the rule on all of them).
fn best(mut groups: Vec<Group>) -> Vec<Group> {
    for g in &mut groups {
        g.sort();
        g.dedup();
    }
    groups.retain(|g| !g.is_empty());
    groups.sort_by(|a, b| group_cost(a).total_cmp(&group_cost(b)).then(a.cmp(b)));
    groups.dedup();
    let good = groups
        .iter()
        .take_while(|g| g.iter().all(|l| literal_cost(l) < 1.0))
        .count();
    groups.truncate(if good > 0 { good.min(MAX_GROUPS) } else { 1 });
    groups
}

/// Estimated chance that a literal occurs in an event's values, from the cost of its
/// best prefilter anchor (see `prefilter`); 1 and more for a poor literal (its best
/// anchor occurs in typical event text), ordered by that anchor's cost.
pub(crate) fn literal_cost(lit: &str) -> f64 {
    let c = anchor_cost(lit);
    if c >= POOR_ANCHOR {
        return 1.0 + f64::from(c.min(10_000)) / 1000.0;
    }
    // Anchor costs run from about 6 (rare letters) to the threshold.
    (f64::from(c) / f64::from(POOR_ANCHOR)).powi(3).max(0.0005)
}

fn group_cost(g: &Group) -> f64 {
    g.iter().map(|l| literal_cost(l)).sum::<f64>()
}

fn selection(node: &Node, fields: &mut FieldTable) -> R<(Selection, Vec<Group>)> {
    let mut alts = Vec::new();
    let mut alt_groups = Vec::new();
    match node {
        Node::Map(entries) => {
            let (alt, groups) = entry_list(entries, fields)?;
            alts.push(alt);
            alt_groups.push(groups);
        }
        Node::Seq(items) => {
            if items.is_empty() {
                return invalid("empty selection list");
            }
            let mut keywords = Vec::new();
            for item in items {
                match item {
                    Node::Map(entries) => {
                        let (alt, groups) = entry_list(entries, fields)?;
                        alts.push(alt);
                        alt_groups.push(groups);
                    }
                    Node::Seq(_) => return unsupported("nested list in selection"),
                    scalar => keywords.push(scalar.clone()),
                }
            }
            if !keywords.is_empty() {
                let (m, groups) = matcher("", &[], &Node::Seq(keywords), fields)?;
                alts.push(vec![m]);
                alt_groups.push(groups);
            }
        }
        Node::Null => return invalid("empty selection"),
        scalar => {
            let (m, groups) = matcher("", &[], scalar, fields)?;
            alts.push(vec![m]);
            alt_groups.push(groups);
        }
    }
    Ok((Selection { alts }, union(&alt_groups)))
}

fn entry_list(
    entries: &[(String, Node)],
    fields: &mut FieldTable,
) -> R<(Vec<Matcher>, Vec<Group>)> {
    if entries.is_empty() {
        return invalid("empty selection map");
    }
    let mut out = Vec::new();
    let mut groups = Vec::new();
    for (key, value) in entries {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().trim();
        let mods: Vec<&str> = parts.collect();
        let (m, g) = matcher(field, &mods, value, fields)?;
        out.push(m);
        groups.extend(g);
    }
    out.sort_by_key(|m| m.cost);
    Ok((out, best(groups)))
}

/// Compiles `field|mods: value(s)`; an empty field name makes a keyword search.
fn matcher(
    field: &str,
    mods: &[&str],
    value: &Node,
    fields: &mut FieldTable,
) -> R<(Matcher, Vec<Group>)> {
    let m = Modifiers::parse(mods).or_else(unsupported)?;
    let target = if field.is_empty() {
        Target::Keywords
    } else {
        Target::Field(fields.intern(field))
    };
    let values: Vec<&Node> = match value {
        Node::Seq(items) => items.iter().collect(),
        other => vec![other],
    };
    if values.is_empty() {
        return invalid(format!("`{field}` has an empty value list"));
    }
    let mut value_pats = Vec::new();
    let mut value_lits = Vec::new();
    for v in values {
        if matches!(v, Node::Seq(_) | Node::Map(_)) {
            return unsupported("nested value list");
        }
        let (pats, lits) = value_patterns(v, &m, target, fields)?;
        value_pats.push(pats);
        value_lits.push(lits);
    }
    let (groups_pats, lit_groups): (Vec<Vec<Pat>>, Vec<Option<Group>>) = if m.all {
        (value_pats, value_lits)
    } else {
        let lits = value_lits.into_iter().try_fold(Vec::new(), |mut acc, l| {
            acc.extend(l?);
            Some(acc)
        });
        (vec![value_pats.into_iter().flatten().collect()], vec![lits])
    };
    let cost = groups_pats
        .iter()
        .flatten()
        .map(pat_cost)
        .max()
        .unwrap_or(0)
        + u32::try_from(groups_pats.iter().map(Vec::len).sum::<usize>() / 8).unwrap_or(u32::MAX)
        + if target == Target::Keywords { 20 } else { 0 };
    let name = if field.is_empty() { "keywords" } else { field };
    let groups = lit_groups.into_iter().flatten().collect();
    Ok((
        Matcher {
            target,
            name: name.into(),
            groups: groups_pats,
            cost,
        },
        best(groups),
    ))
}

fn pat_cost(p: &Pat) -> u32 {
    match p {
        Pat::Null | Pat::Exists(_) => 0,
        Pat::Str { kind, .. } => match kind {
            StrKind::Eq(_) | StrKind::Any => 1,
            StrKind::Prefix(_) | StrKind::Suffix(_) | StrKind::PrefixSuffix(..) => 2,
            StrKind::Contains(_) => 3,
            StrKind::Glob(_) => 4,
        },
        Pat::Num(..) | Pat::Cidr(_) => 2,
        Pat::FieldRef { .. } => 4,
        Pat::Regex(_) => 10,
    }
}

/// The patterns for one rule value (several for `windash`/`base64offset`) and the
/// literal alternatives one of which must occur if any of them matches.
fn value_patterns(
    v: &Node,
    m: &Modifiers,
    target: Target,
    fields: &mut FieldTable,
) -> R<(Vec<Pat>, Option<Group>)> {
    if *v == Node::Null {
        return Ok((vec![Pat::Null], None));
    }
    let text = v.text().unwrap_or_default();
    if m.exists {
        return match v {
            Node::Bool(b) => Ok((vec![Pat::Exists(*b)], None)),
            _ => invalid("`exists` needs true or false"),
        };
    }
    if let Some(cmp) = m.cmp {
        return match v {
            Node::Int(i, _) => Ok((vec![Pat::Num(cmp, *i as f64)], None)),
            Node::Float(f, _) => Ok((vec![Pat::Num(cmp, *f)], None)),
            _ => match text
                .strip_prefix("0x")
                .or_else(|| text.strip_prefix("0X"))
                .and_then(|h| u64::from_str_radix(h, 16).ok())
            {
                Some(n) => Ok((vec![Pat::Num(cmp, n as f64)], None)),
                None => invalid(format!("`{text}` is not a number")),
            },
        };
    }
    if m.cidr {
        return match Cidr::parse(&text) {
            Some(c) => Ok((vec![Pat::Cidr(c)], None)),
            None => invalid(format!("`{text}` is not a CIDR network")),
        };
    }
    if m.re {
        return regex(&text, m).map(|r| (vec![Pat::Regex(r)], None));
    }
    if m.fieldref {
        if target == Target::Keywords {
            return invalid("`fieldref` needs a field");
        }
        return Ok((
            vec![Pat::FieldRef {
                other: fields.intern(&text),
                position: m.position,
                cased: m.cased,
            }],
            None,
        ));
    }
    if m.expand {
        let ph = placeholders(&text);
        if let Some(p) = ph.first() {
            return unsupported(format!("placeholder `%{p}%`"));
        }
    }
    let pos = if target == Target::Keywords && m.position == Position::Exact {
        Position::Contains
    } else {
        m.position
    };
    let mut tok_lists: Vec<Vec<Tok>> = Vec::new();
    if let Some(b64) = m.base64 {
        let bytes = match m.encoding {
            Some(enc) => encode_utf16(&text, enc),
            None => text.as_bytes().to_vec(),
        };
        let encoded = match b64 {
            B64::Plain => vec![base64(&bytes)],
            B64::Offset => base64_offsets(&bytes),
        };
        tok_lists.extend(encoded.iter().map(|s| literal(s)));
    } else if m.windash {
        for variant in windash(&text).or_else(unsupported)? {
            tok_lists.push(parse_wildcards(&variant));
        }
    } else {
        tok_lists.push(parse_wildcards(&text));
    }
    let num = match v {
        Node::Int(i, _) if pos == Position::Exact => Some(*i as f64),
        Node::Float(f, _) if pos == Position::Exact => Some(*f),
        _ => None,
    };
    let mut pats = Vec::new();
    let mut lits = Some(Vec::new());
    for toks in tok_lists {
        let mut toks = position(toks, pos);
        if !m.cased {
            for t in &mut toks {
                if let Tok::Lit(l) = t {
                    *l = l.to_lowercase();
                }
            }
        }
        let lit = best_literal(&toks).filter(|_| !matches!(v, Node::Float(..)));
        match (&mut lits, lit) {
            (Some(ls), Some(l)) => ls.push(l),
            _ => lits = None,
        }
        pats.push(Pat::Str {
            kind: StrKind::build(&toks),
            cased: m.cased,
            num,
        });
    }
    Ok((pats, lits))
}

/// The longest literal run of a pattern (lower case), when long enough for the prefilter.
fn best_literal(toks: &[Tok]) -> Option<String> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Lit(l) => Some(l.to_lowercase()),
            _ => None,
        })
        .filter(|l| l.len() >= MIN_LITERAL && !l.contains('\0'))
        .min_by(|a, b| literal_cost(a).total_cmp(&literal_cost(b)))
}

fn regex(src: &str, m: &Modifiers) -> R<regex::Regex> {
    if src.len() > MAX_REGEX_LEN {
        return unsupported(format!("regex longer than {MAX_REGEX_LEN} bytes"));
    }
    let build = |unicode: bool| {
        RegexBuilder::new(src)
            .unicode(unicode)
            .case_insensitive(m.re_i)
            .multi_line(m.re_m)
            .dot_matches_new_line(m.re_s)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_LIMIT)
            .nest_limit(64)
            .build()
    };
    // Sigma regexes are PCRE, whose `\w`, `\d`, `\s` and case folding are ASCII unless
    // asked otherwise: when the Unicode program is too big, the ASCII one is as faithful.
    match build(true) {
        Ok(re) => Ok(re),
        Err(regex::Error::CompiledTooBig(_)) => build(false).or_else(|e| match e {
            regex::Error::CompiledTooBig(_) => unsupported(format!(
                "regex exceeds the size limit of {REGEX_SIZE_LIMIT} bytes"
            )),
            other => unsupported(format!("regex not supported: {}", first_line(&other))),
        }),
        Err(other) => unsupported(format!("regex not supported: {}", first_line(&other))),
    }
}

/// The message of a regex error without the pattern excerpt.
fn first_line(e: &regex::Error) -> String {
    let msg = e.to_string();
    msg.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or("invalid regex")
        .trim_start_matches("error: ")
        .to_owned()
}
