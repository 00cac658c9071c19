//! Compiled field matchers: one Sigma `Field|modifiers: values` entry, ready to test
//! against a prepared [`Event`](super::Event).
//!
//! Strings are matched against the event's cached lower-case copy with patterns
//! lower-cased once at load (`cased` matches the original text instead). Patterns are
//! specialised by shape (equality, prefix, suffix, substring through a prebuilt
//! `memchr` finder, prefix+suffix, general glob), so most checks are one comparison.
//! Glob matching places each `*`-separated segment at its leftmost position, which is
//! exact for `*`/`?` patterns and costs at most O(value × pattern).

use std::net::IpAddr;

use memchr::memmem::Finder;
use regex::Regex;

use super::fields::{Event, ValueRef};
use super::modifiers::{Cmp, Position, Tok};

/// What a matcher looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// One field, by id in the rule set's field table.
    Field(u32),
    /// Every value of the event (keyword searches).
    Keywords,
}

/// A string pattern.
#[derive(Debug, Clone)]
pub(crate) enum StrKind {
    /// The whole value equals.
    Eq(Box<str>),
    /// The value starts with.
    Prefix(Box<str>),
    /// The value ends with.
    Suffix(Box<str>),
    /// The value contains.
    Contains(Box<Finder<'static>>),
    /// Starts with the first, ends with the second (non-overlapping).
    PrefixSuffix(Box<str>, Box<str>),
    /// Anything (`*`).
    Any,
    /// A general wildcard pattern.
    Glob(Glob),
}

/// One alternative value of a matcher.
#[derive(Debug, Clone)]
pub(crate) enum Pat {
    /// A string pattern; `num` is set when the rule value was a plain number, so `1`
    /// also matches `1.0` or ` 1`.
    Str {
        kind: StrKind,
        cased: bool,
        num: Option<f64>,
    },
    /// `null`: the field is absent, null or empty.
    Null,
    /// `exists: true/false`.
    Exists(bool),
    /// `gt`/`gte`/`lt`/`lte`.
    Num(Cmp, f64),
    /// `cidr`.
    Cidr(Cidr),
    /// `re`.
    Regex(Regex),
    /// `fieldref`: compares with the value(s) of another field.
    FieldRef {
        other: u32,
        position: Position,
        cased: bool,
    },
}

/// A compiled `Field|modifiers: values` entry.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    /// The field (or keywords).
    pub(crate) target: Target,
    /// The field name as written in the rule (for match explanations).
    pub(crate) name: Box<str>,
    /// Every group must have a matching alternative: one group for plain entries, one
    /// per rule value with `all` (a value expanded by `windash`/`base64offset` is one
    /// group of variants).
    pub(crate) groups: Vec<Vec<Pat>>,
    /// Rough evaluation cost, used to order the entries of a selection.
    pub(crate) cost: u32,
}

/// Per-event field lookup: rule-set field id → index of the event's field.
pub(crate) struct Slots<'a> {
    pub(crate) event: &'a Event,
    pub(crate) slots: &'a [u32],
}

impl Slots<'_> {
    /// The event field index for a rule-set field id.
    pub(crate) fn field(&self, id: u32) -> Option<usize> {
        match self.slots.get(id as usize) {
            Some(&i) if i != u32::MAX => Some(i as usize),
            _ => None,
        }
    }
}

impl Matcher {
    /// Whether the entry holds for the event.
    pub(crate) fn eval(&self, s: &Slots<'_>) -> bool {
        self.find(s).is_some()
    }

    /// Like [`Matcher::eval`], returning the event value that satisfied the entry (the
    /// first group's, with `all`), or an empty value for absence checks.
    pub(crate) fn find<'e>(&self, s: &Slots<'e>) -> Option<ValueRef<'e>> {
        let mut first = None;
        for g in &self.groups {
            let hit = match self.target {
                Target::Keywords => s
                    .event
                    .all_values()
                    .find(|v| g.iter().any(|p| p.test(v, s)))?,
                Target::Field(id) => match s.field(id) {
                    // Absent: only `null` and `exists: false` hold.
                    None => g
                        .iter()
                        .any(|p| matches!(p, Pat::Null | Pat::Exists(false)))
                        .then_some(ValueRef::EMPTY)?,
                    Some(f) => s.event.values(f).find(|v| g.iter().any(|p| p.test(v, s)))?,
                },
            };
            first.get_or_insert(hit);
        }
        first
    }
}

impl Pat {
    /// Whether one event value satisfies the pattern.
    pub(crate) fn test(&self, v: &ValueRef<'_>, s: &Slots<'_>) -> bool {
        match self {
            Pat::Str { kind, cased, num } => {
                let text = if *cased { v.orig } else { v.lower };
                kind.test(text)
                    || num.is_some_and(|n| v.number().is_some_and(|x| (x - n).abs() < 1e-9))
            }
            Pat::Null => v.is_null || v.orig.is_empty(),
            Pat::Exists(want) => *want,
            Pat::Num(cmp, bound) => v.number_or_hex().is_some_and(|x| cmp.test(x, *bound)),
            Pat::Cidr(c) => c.contains(v.orig),
            Pat::Regex(re) => re.is_match(v.orig),
            Pat::FieldRef {
                other,
                position,
                cased,
            } => {
                let Some(f) = s.field(*other) else {
                    return false;
                };
                s.event.values(f).any(|o| {
                    let (a, b) = if *cased {
                        (v.orig, o.orig)
                    } else {
                        (v.lower, o.lower)
                    };
                    match position {
                        Position::Exact => a == b,
                        Position::Contains => a.contains(b),
                        Position::Start => a.starts_with(b),
                        Position::End => a.ends_with(b),
                    }
                })
            }
        }
    }
}

impl StrKind {
    /// Builds the cheapest matcher for a token list (already lower-cased unless cased).
    pub(crate) fn build(toks: &[Tok]) -> StrKind {
        fn lit(t: &Tok) -> Option<&str> {
            match t {
                Tok::Lit(l) => Some(l.as_str()),
                _ => None,
            }
        }
        match toks {
            [] => StrKind::Eq("".into()),
            [Tok::Star] => StrKind::Any,
            [Tok::Lit(l)] => StrKind::Eq(l.as_str().into()),
            [Tok::Lit(l), Tok::Star] => StrKind::Prefix(l.as_str().into()),
            [Tok::Star, Tok::Lit(l)] => StrKind::Suffix(l.as_str().into()),
            [Tok::Star, Tok::Lit(l), Tok::Star] => {
                StrKind::Contains(Box::new(Finder::new(l.as_bytes()).into_owned()))
            }
            [a, Tok::Star, b] if lit(a).is_some() && lit(b).is_some() => StrKind::PrefixSuffix(
                lit(a).unwrap_or_default().into(),
                lit(b).unwrap_or_default().into(),
            ),
            _ => StrKind::Glob(Glob::new(toks)),
        }
    }

    /// Tests a value.
    pub(crate) fn test(&self, s: &str) -> bool {
        match self {
            StrKind::Eq(l) => s == &**l,
            StrKind::Prefix(l) => s.starts_with(&**l),
            StrKind::Suffix(l) => s.ends_with(&**l),
            StrKind::Contains(f) => f.find(s.as_bytes()).is_some(),
            StrKind::PrefixSuffix(a, b) => {
                s.len() >= a.len() + b.len() && s.starts_with(&**a) && s.ends_with(&**b)
            }
            StrKind::Any => true,
            StrKind::Glob(g) => g.test(s),
        }
    }
}

/// A piece of a glob segment.
#[derive(Debug, Clone)]
enum Piece {
    Lit(Box<str>),
    /// `n` consecutive `?`.
    Any(usize),
}

/// A wildcard pattern split at `*` into segments of literals and `?`.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    /// Segments between stars; the first is anchored at the start and the last at the end
    /// (each may be empty).
    segs: Vec<Vec<Piece>>,
}

impl Glob {
    fn new(toks: &[Tok]) -> Glob {
        let mut segs = vec![Vec::new()];
        for t in toks {
            match t {
                Tok::Star => segs.push(Vec::new()),
                Tok::Lit(l) => {
                    if let Some(seg) = segs.last_mut() {
                        seg.push(Piece::Lit(l.as_str().into()));
                    }
                }
                Tok::One => {
                    if let Some(seg) = segs.last_mut() {
                        match seg.last_mut() {
                            Some(Piece::Any(n)) => *n += 1,
                            _ => seg.push(Piece::Any(1)),
                        }
                    }
                }
            }
        }
        Glob { segs }
    }

    /// Tests a value.
    pub(crate) fn test(&self, s: &str) -> bool {
        let n = self.segs.len();
        if n == 1 {
            return match_at(&self.segs[0], s, 0) == Some(s.len());
        }
        let Some(mut pos) = match_at(&self.segs[0], s, 0) else {
            return false;
        };
        for seg in &self.segs[1..n - 1] {
            match find_from(seg, s, pos) {
                Some(end) => pos = end,
                None => return false,
            }
        }
        let last = &self.segs[n - 1];
        if last.is_empty() {
            return true;
        }
        // The last segment must end exactly at the end, starting at or after `pos`.
        let mut start = pos;
        loop {
            if match_at(last, s, start) == Some(s.len()) {
                return true;
            }
            match s[start..].chars().next() {
                Some(c) => start += c.len_utf8(),
                None => return false,
            }
        }
    }
}

/// Matches a segment at byte offset `at`; returns the end offset.
fn match_at(seg: &[Piece], s: &str, at: usize) -> Option<usize> {
    let mut pos = at;
    for p in seg {
        match p {
            Piece::Lit(l) => {
                if !s.get(pos..)?.starts_with(&**l) {
                    return None;
                }
                pos += l.len();
            }
            Piece::Any(k) => {
                let mut it = s.get(pos..)?.char_indices();
                for _ in 0..*k {
                    it.next()?;
                }
                pos = match it.next() {
                    Some((i, _)) => pos + i,
                    None => s.len(),
                };
            }
        }
    }
    Some(pos)
}

/// Finds the leftmost match of a segment at or after `from`; returns its end offset.
fn find_from(seg: &[Piece], s: &str, from: usize) -> Option<usize> {
    if seg.is_empty() {
        return Some(from);
    }
    let mut start = from;
    loop {
        if let Some(Piece::Lit(l)) = seg.first() {
            start += s.get(start..)?.find(&**l)?;
        }
        if let Some(end) = match_at(seg, s, start) {
            return Some(end);
        }
        start += s.get(start..)?.chars().next()?.len_utf8();
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::/n` (a bare address is a host route).
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, b.parse::<u8>().ok()?),
            None => (s.trim(), if s.contains(':') { 128 } else { 32 }),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        (bits <= max).then_some(Cidr { net, bits })
    }

    /// Whether the text is an address inside the network.
    pub(crate) fn contains(&self, value: &str) -> bool {
        let Ok(ip) = value.trim().parse::<IpAddr>() else {
            return false;
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(
                u128::from(u32::from(n)) << 96,
                u128::from(u32::from(a)) << 96,
                self.bits,
            ),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(u128::from(n), u128::from(a), self.bits),
            (IpAddr::V4(n), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|a| {
                prefix_eq(
                    u128::from(u32::from(n)) << 96,
                    u128::from(u32::from(a)) << 96,
                    self.bits,
                )
            }),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, bits: u8) -> bool {
    if bits == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(bits.min(128)));
    a & mask == b & mask
}
