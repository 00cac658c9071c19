//! The playbooks' condition language and text templates.
//!
//! Conditions (YAML):
//!
//! - `auth.burst` — a fact is present and truthy; `!auth.burst` — it is not;
//! - `{all: [..]}`, `{any: [..]}`, `{not: ..}`;
//! - `{fact: auth.failures, gte: 50}` (also `gt`, `lt`, `lte`, `eq`, `re`);
//! - `{field: CommandLine, re: '(?i)-enc'}` — a field of the alert's events or `raw_log`
//!   (`exists: true` for presence);
//! - `{title: '(?i)brute'}` — the alert title;
//! - `{verdict: true_positive}` — the verdict decided so far (pivots only).
//!
//! Templates: `{fact}` is replaced by the fact's value; `{fact|text}` falls back to `text`
//! when the fact is absent; a `[[ ... ]]` segment is dropped when any fact inside it is
//! absent.

use regex::{Regex, RegexBuilder};
use serde_json::Value;
use soc_core::Verdict;

use super::facts::Facts;
use crate::triage::one_line;

/// A condition over the facts.
#[derive(Debug, Clone)]
pub enum Cond {
    /// Always true.
    True,
    /// A truthy fact.
    Fact(String),
    /// Negation.
    Not(Box<Cond>),
    /// Every one.
    All(Vec<Cond>),
    /// At least one.
    Any(Vec<Cond>),
    /// A numeric comparison.
    Cmp {
        /// Fact name.
        fact: String,
        /// Operator.
        op: Op,
        /// Right-hand side.
        value: f64,
    },
    /// A fact's text equals (case-insensitive).
    Eq {
        /// Fact name.
        fact: String,
        /// Expected text.
        value: String,
    },
    /// A fact's text matches.
    FactRe {
        /// Fact name.
        fact: String,
        /// Pattern.
        re: Regex,
    },
    /// A field's value matches (`None`: the field exists).
    Field {
        /// Field name.
        field: String,
        /// Pattern.
        re: Option<Regex>,
    },
    /// The title matches.
    Title(Regex),
    /// The verdict decided so far.
    Verdict(Verdict),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>=`
    Gte,
    /// `>`
    Gt,
    /// `<=`
    Lte,
    /// `<`
    Lt,
    /// `==`
    Eq,
}

fn regex(p: &str) -> Result<Regex, String> {
    RegexBuilder::new(p)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("bad regex `{p}`: {e}"))
}

impl Cond {
    /// Parses a condition from its YAML (as JSON) form.
    pub fn parse(v: &Value) -> Result<Cond, String> {
        match v {
            Value::Bool(true) => Ok(Cond::True),
            Value::Bool(false) => Ok(Cond::Not(Box::new(Cond::True))),
            Value::String(s) => {
                let s = s.trim();
                if let Some(rest) = s.strip_prefix('!') {
                    Ok(Cond::Not(Box::new(Cond::Fact(rest.trim().to_owned()))))
                } else if s.is_empty() {
                    Err("empty condition".to_owned())
                } else {
                    Ok(Cond::Fact(s.to_owned()))
                }
            }
            Value::Array(items) => Ok(Cond::All(
                items.iter().map(Cond::parse).collect::<Result<_, _>>()?,
            )),
            Value::Object(m) => {
                if let Some(x) = m.get("all") {
                    return Ok(Cond::All(list(x)?));
                }
                if let Some(x) = m.get("any") {
                    return Ok(Cond::Any(list(x)?));
                }
                if let Some(x) = m.get("not") {
                    return Ok(Cond::Not(Box::new(Cond::parse(x)?)));
                }
                if let Some(x) = m.get("title") {
                    return Ok(Cond::Title(regex(
                        x.as_str().ok_or("title: needs a regex")?,
                    )?));
                }
                if let Some(x) = m.get("verdict") {
                    let s = x.as_str().ok_or("verdict: needs a name")?;
                    return Ok(Cond::Verdict(parse_verdict(s)?));
                }
                if let Some(x) = m.get("field") {
                    let field = x.as_str().ok_or("field: needs a name")?.to_owned();
                    let re = match m.get("re") {
                        Some(p) => Some(regex(p.as_str().ok_or("re: needs a regex")?)?),
                        None => None,
                    };
                    return Ok(Cond::Field { field, re });
                }
                if let Some(x) = m.get("fact") {
                    let fact = x.as_str().ok_or("fact: needs a name")?.to_owned();
                    for (k, op) in [
                        ("gte", Op::Gte),
                        ("gt", Op::Gt),
                        ("lte", Op::Lte),
                        ("lt", Op::Lt),
                        ("eq", Op::Eq),
                    ] {
                        if let Some(n) = m.get(k) {
                            if let Some(value) = n.as_f64() {
                                return Ok(Cond::Cmp { fact, op, value });
                            }
                            if let (Op::Eq, Some(s)) = (op, n.as_str()) {
                                return Ok(Cond::Eq {
                                    fact,
                                    value: s.to_owned(),
                                });
                            }
                            return Err(format!("{k}: needs a number"));
                        }
                    }
                    if let Some(p) = m.get("re") {
                        return Ok(Cond::FactRe {
                            fact,
                            re: regex(p.as_str().ok_or("re: needs a regex")?)?,
                        });
                    }
                    return Err(format!("fact `{fact}`: needs gte/gt/lte/lt/eq/re"));
                }
                Err(format!(
                    "unknown condition keys: {}",
                    m.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            }
            other => Err(format!("not a condition: {other}")),
        }
    }

    /// Evaluates the condition.
    pub fn eval(&self, f: &Facts<'_>, verdict: Option<Verdict>) -> bool {
        match self {
            Cond::True => true,
            Cond::Fact(n) => f.truthy(n),
            Cond::Not(c) => !c.eval(f, verdict),
            Cond::All(cs) => cs.iter().all(|c| c.eval(f, verdict)),
            Cond::Any(cs) => cs.iter().any(|c| c.eval(f, verdict)),
            Cond::Cmp { fact, op, value } => f.number(fact).is_some_and(|n| match op {
                Op::Gte => n >= *value,
                Op::Gt => n > *value,
                Op::Lte => n <= *value,
                Op::Lt => n < *value,
                Op::Eq => (n - value).abs() < f64::EPSILON,
            }),
            Cond::Eq { fact, value } => f
                .render(fact)
                .is_some_and(|t| t.eq_ignore_ascii_case(value)),
            Cond::FactRe { fact, re } => f.render(fact).is_some_and(|t| re.is_match(&t)),
            Cond::Field { field, re } => match re {
                // Presence: a scalar, or an object or list node with values under it.
                None => f.field_exists(field),
                Some(re) => f.field_values(field).iter().any(|(_, v)| re.is_match(v)),
            },
            Cond::Title(re) => re.is_match(&f.view.alert.title),
            Cond::Verdict(v) => verdict == Some(*v),
        }
    }

    /// The facts this condition reads (for the evidence trail).
    pub fn facts(&self, out: &mut Vec<String>) {
        match self {
            Cond::Fact(n)
            | Cond::Cmp { fact: n, .. }
            | Cond::Eq { fact: n, .. }
            | Cond::FactRe { fact: n, .. } => {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
            Cond::Not(c) => c.facts(out),
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| c.facts(out)),
            Cond::True | Cond::Field { .. } | Cond::Title(_) | Cond::Verdict(_) => {}
        }
    }
}

fn list(v: &Value) -> Result<Vec<Cond>, String> {
    match v {
        Value::Array(items) => items.iter().map(Cond::parse).collect(),
        other => Ok(vec![Cond::parse(other)?]),
    }
}

/// Parses a verdict name.
pub fn parse_verdict(s: &str) -> Result<Verdict, String> {
    match s {
        "true_positive" => Ok(Verdict::TruePositive),
        "false_positive" => Ok(Verdict::FalsePositive),
        "inconclusive" => Ok(Verdict::Inconclusive),
        other => Err(format!("unknown verdict `{other}`")),
    }
}

/// A text template.
#[derive(Debug, Clone)]
pub struct Template(String);

impl Template {
    /// Wraps the template text (validated for balanced braces).
    pub fn new(s: &str) -> Result<Template, String> {
        let opens = s.matches('{').count();
        let closes = s.matches('}').count();
        if opens != closes {
            return Err(format!("unbalanced braces in template `{s}`"));
        }
        if s.matches("[[").count() != s.matches("]]").count() {
            return Err(format!("unbalanced [[ ]] in template `{s}`"));
        }
        // An optional segment is dropped when a fact inside it is absent; one without a
        // fact would always show, which is never what its author meant.
        let mut rest = s;
        while let Some(i) = rest.find("[[") {
            let Some(j) = rest[i..].find("]]") else { break };
            if !rest[i..i + j].contains('{') {
                return Err(format!("optional segment without a fact in template `{s}`"));
            }
            rest = &rest[i + j + 2..];
        }
        Ok(Template(s.to_owned()))
    }

    /// The empty template.
    pub fn empty() -> Template {
        Template(String::new())
    }

    /// The facts the template names.
    pub fn facts(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.0.as_str();
        while let Some(i) = rest.find('{') {
            let Some(j) = rest[i..].find('}') else { break };
            let inner = &rest[i + 1..i + j];
            let name = inner.split('|').next().unwrap_or(inner).trim().to_owned();
            if !out.contains(&name) {
                out.push(name);
            }
            rest = &rest[i + j + 1..];
        }
        out
    }

    /// Renders with the facts; `None` when a required fact (outside `[[ ]]`, without a
    /// fallback) is absent.
    pub fn render(&self, f: &Facts<'_>) -> Option<String> {
        let mut out = String::new();
        let mut rest = self.0.as_str();
        while let Some(i) = rest.find("[[") {
            out.push_str(&fill(&rest[..i], f)?);
            let Some(j) = rest[i..].find("]]") else { break };
            if let Some(seg) = fill(&rest[i + 2..i + j], f) {
                out.push_str(&seg);
            }
            rest = &rest[i + j + 2..];
        }
        out.push_str(&fill(rest, f)?);
        Some(one_line(&out, 1500))
    }
}

fn fill(s: &str, f: &Facts<'_>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('}')?;
        let inner = &rest[i + 1..i + j];
        let (name, fallback) = match inner.split_once('|') {
            Some((n, d)) => (n.trim(), Some(d)),
            None => (inner.trim(), None),
        };
        match f.render(name) {
            Some(v) if !v.is_empty() => out.push_str(&v),
            _ => out.push_str(fallback?),
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    Some(out)
}
