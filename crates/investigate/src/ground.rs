//! Grounding: a model's answer checked against what this investigation holds.
//!
//! The model owns a handful of fields (verdict, confidence, hypothesis, techniques, pivots,
//! escalation and its draft); code owns everything else. [`parse_answer`] reads those
//! fields tolerantly from whatever JSON the model produced (aliases, a technique given as
//! an object, a pivot given as a bare string), and [`ground`] then keeps only what the
//! investigation can back:
//!
//! - a technique must exist in the ATT&CK catalog (revoked ids are mapped to their
//!   replacement, names rewritten from the catalog);
//! - an indicator named anywhere in the model's text must occur in the alert or in a tool
//!   output of this investigation; a sentence or pivot naming one that does not is dropped;
//! - a cited evidence id must exist;
//! - fields the model does not own (response actions, evidence, sigma or asset matches,
//!   injection flags, closure) are ignored and reported.
//!
//! Every removal is returned as a [`Removal`] so the caller can send the model one repair
//! turn ([`repair_request`]) and record what was dropped.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;
use soc_core::attack::catalog;
use soc_core::investigation::Pivot;
use soc_core::ioc::{IocConfig, IocSet, extract_text};
use soc_core::{Confidence, Verdict};

/// The model-owned fields of an answer, as parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// The verdict (required).
    pub verdict: Option<Verdict>,
    /// The confidence (low when absent).
    pub confidence: Option<Confidence>,
    /// The hypothesis, in prose.
    pub hypothesis: String,
    /// ATT&CK technique ids as given.
    pub attack_techniques: Vec<String>,
    /// Next steps.
    pub suggested_pivots: Vec<Pivot>,
    /// Whether a human must look.
    pub escalation_recommended: Option<bool>,
    /// The escalation message.
    pub escalation_draft: Option<String>,
    /// Evidence ids the model cites.
    pub evidence_ids: Vec<String>,
}

/// One thing taken out of a model's answer, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The field it was in (`attack_techniques`, `hypothesis`, `suggested_pivots[2]`, ...).
    pub field: String,
    /// What was removed (shortened).
    pub value: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Removal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: `{}` ({})", self.field, self.value, self.reason)
    }
}

/// The answer cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// Not a JSON object.
    #[error("the answer is not a JSON object")]
    NotAnObject,
    /// No verdict, or one that is not `true_positive`, `false_positive` or `inconclusive`.
    #[error("the answer has no usable verdict ({0})")]
    Verdict(String),
}

/// Fields of the investigation a model may not write.
const CODE_OWNED: &[&str] = &[
    "response_actions",
    "suggested_actions",
    "actions",
    "evidence",
    "sigma_matches",
    "asset_matches",
    "asset_context",
    "injection_flags",
    "closure",
    "auto_close",
    "indicators",
    "correlation",
    "prior_sightings",
];

/// Reads the model-owned fields from `v`. Unknown or malformed parts are reported as
/// removals (with field names) rather than failing the whole answer; only a missing or
/// unusable verdict fails it.
pub fn parse_answer(v: &Value) -> Result<(Answer, Vec<Removal>), AnswerError> {
    let o = v.as_object().ok_or(AnswerError::NotAnObject)?;
    let mut removed = Vec::new();
    let mut a = Answer::default();

    let verdict_raw = o.get("verdict").map(text_of).unwrap_or_default();
    a.verdict = Some(
        parse_verdict(&verdict_raw).ok_or_else(|| AnswerError::Verdict(short(&verdict_raw, 60)))?,
    );
    match o.get("confidence") {
        None | Some(Value::Null) => {}
        Some(c) => match parse_confidence(c) {
            Some(c) => a.confidence = Some(c),
            None => removed.push(Removal {
                field: "confidence".into(),
                value: short(&text_of(c), 60),
                reason: "not low, medium or high; low is assumed".into(),
            }),
        },
    }
    a.hypothesis = o
        .get("hypothesis")
        .map(text_of)
        .map(|s| clean(&s))
        .unwrap_or_default();
    for (i, t) in list(o.get("attack_techniques").or_else(|| o.get("techniques")))
        .iter()
        .enumerate()
    {
        let id = match t {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => ["id", "technique_id", "technique"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str).map(str::to_owned)),
            _ => None,
        };
        match id {
            Some(id) => a.attack_techniques.push(clean(&id)),
            None => removed.push(Removal {
                field: format!("attack_techniques[{i}]"),
                value: short(&t.to_string(), 60),
                reason: "not a technique id".into(),
            }),
        }
    }
    for (i, p) in list(o.get("suggested_pivots").or_else(|| o.get("pivots")))
        .iter()
        .enumerate()
    {
        match parse_pivot(p) {
            Some(p) => a.suggested_pivots.push(p),
            None => removed.push(Removal {
                field: format!("suggested_pivots[{i}]"),
                value: short(&p.to_string(), 60),
                reason: "not a pivot (an object with an action)".into(),
            }),
        }
    }
    a.escalation_recommended = o
        .get("escalation_recommended")
        .or_else(|| o.get("escalate"))
        .and_then(|e| match e {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" => Some(true),
                "false" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        });
    a.escalation_draft = o
        .get("escalation_draft")
        .and_then(|d| match d {
            Value::Null => None,
            other => Some(clean(&text_of(other))),
        })
        .filter(|s| !s.trim().is_empty());
    for e in list(o.get("evidence_ids").or_else(|| o.get("cited_evidence"))) {
        if let Some(s) = e.as_str() {
            a.evidence_ids.push(s.trim().to_owned());
        }
    }
    for k in CODE_OWNED {
        if o.get(*k).is_some_and(|v| !v.is_null()) {
            removed.push(Removal {
                field: (*k).to_owned(),
                value: short(&o[*k].to_string(), 60),
                reason: "written by code, never by the model; ignored".into(),
            });
        }
    }
    Ok((a, removed))
}

/// What the answer is checked against.
#[derive(Debug, Default)]
pub struct Grounds {
    /// Evidence ids that exist in this investigation.
    pub evidence_ids: HashSet<String>,
    /// The alert's indicators, canonical and lower-case.
    known: HashSet<String>,
    /// Texts added as grounds (the alert's raw text, tool outputs), for the indicators in
    /// them; extracted only when an answer names an indicator the quicker checks do not
    /// find, which most answers never do.
    texts: Vec<String>,
    /// The indicators of `texts`, canonical and lower-case, once extracted.
    in_texts: std::sync::OnceLock<HashSet<String>>,
    /// Raw text of the alert and tool outputs, lower-case, for a last substring check.
    corpus: String,
    ioc: IocConfig,
}

impl Grounds {
    /// Grounds over the alert's indicators (and its raw text) with these extraction settings.
    pub fn new(alert_iocs: &IocSet, alert_text: impl Into<String>, ioc: IocConfig) -> Self {
        let mut g = Self {
            ioc,
            ..Self::default()
        };
        for f in alert_iocs.iter() {
            g.known.insert(f.ioc.value.to_lowercase());
        }
        g.add_text(alert_text);
        g
    }

    /// Adds a tool output (or any text the investigation produced) as grounds.
    pub fn add_text(&mut self, text: impl Into<String>) {
        let text = text.into();
        // A text added after an extraction is extracted on the next need.
        self.in_texts = std::sync::OnceLock::new();
        if self.corpus.len() < 4 * 1024 * 1024 {
            self.corpus.push_str(&text.to_lowercase());
            self.corpus.push('\n');
        }
        self.texts.push(text);
    }

    /// The indicators found in the texts added as grounds.
    fn indicators_in_texts(&self) -> &HashSet<String> {
        self.in_texts.get_or_init(|| {
            let mut known = HashSet::new();
            for text in &self.texts {
                let mut set = IocSet::new();
                extract_text(text, "tool", &self.ioc, &mut set);
                for f in set.iter() {
                    known.insert(f.ioc.value.to_lowercase());
                }
            }
            known
        })
    }

    /// Adds an evidence id.
    pub fn add_evidence(&mut self, id: &str) {
        self.evidence_ids.insert(id.to_owned());
    }

    /// Indicators named in `text` that the investigation cannot back.
    pub fn ungrounded(&self, text: &str) -> Vec<String> {
        let mut set = IocSet::new();
        extract_text(text, "model", &self.ioc, &mut set);
        let mut out = BTreeSet::new();
        for f in set.iter() {
            let v = f.ioc.value.to_lowercase();
            if !self.known.contains(&v)
                && !contains_indicator(&self.corpus, &v)
                && !self.indicators_in_texts().contains(&v)
            {
                out.insert(f.ioc.value.clone());
            }
        }
        out.into_iter().collect()
    }
}

/// Whether `corpus` holds `value` as a whole indicator: a match counts only when the
/// characters on either side cannot continue an indicator (`3.0.113.5` is not in
/// `203.0.113.50`, `evil.com` is not in `notevil.com`). A `.`, `-` or `:` next to the
/// match continues it only when an indicator character follows it in turn, so a
/// sentence's final dot (`seen from 203.0.113.50.`) still ends the indicator. A domain
/// name may follow a `.`: `evil-corp.example` is the parent of `cdn.evil-corp.example`,
/// which the alert does show.
fn contains_indicator(corpus: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    let domain = value.contains('.')
        && value.bytes().any(|b| b.is_ascii_alphabetic())
        && !value.contains([':', '/', '@']);
    fn word(c: char) -> bool {
        c.is_alphanumeric() || c == '_'
    }
    fn joiner(c: char) -> bool {
        matches!(c, '.' | '-' | ':')
    }
    corpus.match_indices(value).any(|(i, _)| {
        let mut before = corpus[..i].chars().rev();
        let open = match before.next() {
            None => true,
            Some(c) if word(c) => false,
            Some('.') if domain => true,
            Some(c) if joiner(c) => !before.next().is_some_and(word),
            Some(_) => true,
        };
        let mut after = corpus[i + value.len()..].chars();
        let close = match after.next() {
            None => true,
            Some(c) if word(c) => false,
            Some(c) if joiner(c) => !after.next().is_some_and(word),
            Some(_) => true,
        };
        open && close
    })
}

/// The answer with only what the investigation backs, and what was taken out.
#[derive(Debug, Clone)]
pub struct Grounded {
    /// The kept answer; techniques are canonical catalog ids.
    pub answer: Answer,
    /// What was removed, and why.
    pub removed: Vec<Removal>,
    /// Why the confidence was lowered, when it was: a `true_positive` or
    /// `false_positive` at high confidence that cites no existing evidence id, or whose
    /// hypothesis grounding emptied, is kept at medium (which never closes an alert).
    pub capped: Option<String>,
}

/// Checks `a` against `g`; see the module docs.
pub fn ground(a: Answer, g: &Grounds) -> Grounded {
    let mut removed = Vec::new();
    let mut out = Answer {
        verdict: a.verdict,
        confidence: a.confidence,
        escalation_recommended: a.escalation_recommended,
        ..Answer::default()
    };
    let cat = catalog();
    for t in a.attack_techniques {
        match cat.resolve(&t) {
            Some(r) => {
                let id = r.technique.id.clone();
                if !out.attack_techniques.contains(&id) {
                    out.attack_techniques.push(id);
                }
            }
            None => removed.push(Removal {
                field: "attack_techniques".into(),
                value: short(&t, 40),
                reason: format!("not a technique in the ATT&CK {} catalog", cat.version()),
            }),
        }
    }
    for e in a.evidence_ids {
        if g.evidence_ids.contains(&e) {
            out.evidence_ids.push(e);
        } else {
            removed.push(Removal {
                field: "evidence_ids".into(),
                value: short(&e, 40),
                reason: "no evidence entry has this id".into(),
            });
        }
    }
    out.hypothesis = keep_grounded_sentences("hypothesis", &a.hypothesis, g, &mut removed);
    out.escalation_draft = a
        .escalation_draft
        .map(|d| keep_grounded_sentences("escalation_draft", &d, g, &mut removed))
        .filter(|d| !d.trim().is_empty());
    for (i, p) in a.suggested_pivots.into_iter().enumerate() {
        let bad = g.ungrounded(&format!("{} {}", p.action, p.rationale));
        if bad.is_empty() {
            out.suggested_pivots.push(p);
        } else {
            removed.push(Removal {
                field: format!("suggested_pivots[{i}]"),
                value: short(&p.action, 80),
                reason: format!(
                    "names {} which occur(s) in neither the alert nor a tool output",
                    bad.join(", ")
                ),
            });
        }
    }
    // A decided verdict must rest on something this investigation holds (DESIGN §6):
    // without a valid evidence id, or with its whole hypothesis dropped as ungrounded,
    // it is not trusted at high confidence.
    let mut capped = None;
    let decided = matches!(
        out.verdict,
        Some(Verdict::TruePositive | Verdict::FalsePositive)
    );
    if decided && out.confidence == Some(Confidence::High) {
        let why = if out.evidence_ids.is_empty() {
            Some("it cites no evidence id this investigation holds")
        } else if !a.hypothesis.trim().is_empty() && out.hypothesis.trim().is_empty() {
            Some("grounding removed its whole hypothesis")
        } else {
            None
        };
        if let Some(why) = why {
            out.confidence = Some(Confidence::Medium);
            capped = Some(format!("confidence lowered from high to medium: {why}"));
        }
    }
    Grounded {
        answer: out,
        removed,
        capped,
    }
}

/// The repair turn sent to the model once when its answer lost something to grounding.
pub fn repair_request(removed: &[Removal]) -> String {
    let mut s = String::from(
        "Your answer was checked against this investigation and these parts were removed:\n",
    );
    for r in removed.iter().take(20) {
        s.push_str("- ");
        s.push_str(&r.to_string());
        s.push('\n');
    }
    s.push_str(
        "Answer again with the same JSON fields. Use only ATT&CK ids from the catalog, only \
         indicators that occur in the alert or in a tool result, and only evidence ids you \
         were given. Do not write response actions or evidence: code computes them.",
    );
    s
}

fn keep_grounded_sentences(
    field: &str,
    text: &str,
    g: &Grounds,
    removed: &mut Vec<Removal>,
) -> String {
    let mut kept = Vec::new();
    for sentence in sentences(text) {
        let bad = g.ungrounded(sentence);
        if bad.is_empty() {
            kept.push(sentence.trim());
        } else {
            removed.push(Removal {
                field: field.to_owned(),
                value: short(sentence.trim(), 80),
                reason: format!(
                    "names {} which occur(s) in neither the alert nor a tool output",
                    bad.join(", ")
                ),
            });
        }
    }
    kept.join(" ")
}

/// Sentence pieces: split after `. `, `! `, `? ` and at line breaks, keeping each piece's
/// text. A dot inside an indicator (`10.0.0.1`, `evil.example`) is not followed by a space,
/// so it does not split.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    for i in 0..b.len() {
        let end = match b[i] {
            b'\n' => Some(i + 1),
            b'.' | b'!' | b'?' if b.get(i + 1).is_some_and(|c| *c == b' ') => Some(i + 1),
            _ => None,
        };
        if let Some(e) = end {
            let piece = &text[start..e];
            if !piece.trim().is_empty() {
                out.push(piece);
            }
            start = e;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

fn list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Removes control characters (keeping line breaks and tabs as spaces).
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\n' {
                c
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn short(s: &str, n: usize) -> String {
    soc_detect::triage::one_line(s, n)
}

fn parse_verdict(s: &str) -> Option<Verdict> {
    let k: String = s
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    match k.as_str() {
        "tp" | "malicious" => Some(Verdict::TruePositive),
        "fp" | "benign" => Some(Verdict::FalsePositive),
        "unknown" | "undetermined" => Some(Verdict::Inconclusive),
        other => Verdict::parse(other),
    }
}

fn parse_confidence(v: &Value) -> Option<Confidence> {
    match v {
        Value::String(s) => Confidence::parse(s.trim().to_ascii_lowercase().as_str()),
        // A number: 0..1 or 0..100.
        Value::Number(n) => n.as_f64().map(|x| {
            let x = if x > 1.0 { x / 100.0 } else { x };
            if x >= 0.8 {
                Confidence::High
            } else if x >= 0.5 {
                Confidence::Medium
            } else {
                Confidence::Low
            }
        }),
        _ => None,
    }
}

fn parse_pivot(v: &Value) -> Option<Pivot> {
    match v {
        Value::Object(m) => {
            let action = m
                .get("action")
                .or_else(|| m.get("pivot"))
                .or_else(|| m.get("step"))
                .and_then(Value::as_str)
                .map(clean)
                .filter(|s| !s.is_empty())?;
            Some(Pivot {
                action,
                rationale: m
                    .get("rationale")
                    .or_else(|| m.get("why"))
                    .and_then(Value::as_str)
                    .map(clean)
                    .unwrap_or_default(),
                priority: m
                    .get("priority")
                    .and_then(parse_confidence)
                    .unwrap_or(Confidence::Medium),
            })
        }
        // A bare sentence is a usable pivot; a placeholder is not.
        Value::String(s) if s.split_whitespace().count() >= 3 => Some(Pivot {
            action: clean(s),
            rationale: String::new(),
            priority: Confidence::Medium,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grounds() -> Grounds {
        let mut set = IocSet::new();
        let cfg = IocConfig::default();
        extract_text(
            "ssh failures from 203.0.113.50 against db-3.corp.example",
            "alert",
            &cfg,
            &mut set,
        );
        let mut g = Grounds::new(&set, "ssh failures from 203.0.113.50", cfg);
        g.add_text(r#"{"ipAddress":"203.0.113.50","domain":"scanner.example.net"}"#);
        g.add_evidence("ev-1");
        g
    }

    #[test]
    fn an_indicator_only_a_tool_output_names_in_another_form_is_grounded() {
        // Defanged in the tool output, plain in the answer: not a substring of the grounds'
        // text, found by extracting the tool output's indicators (done only when needed).
        let mut g = Grounds::new(&IocSet::new(), "an alert", IocConfig::default());
        g.add_text(r#"{"url": "hxxp://payload-host[.]example[.]org/a.exe"}"#);
        assert!(g.ungrounded("Seen at payload-host.example.org.").is_empty());
        assert_eq!(
            g.ungrounded("Also 198.51.100.77 and payload-host.example.org."),
            vec!["198.51.100.77"]
        );
        // A text added after an extraction counts too.
        g.add_text("relay 198.51.100[.]77 observed");
        assert!(g.ungrounded("Also 198.51.100.77.").is_empty());
    }

    #[test]
    fn invented_techniques_indicators_and_evidence_are_removed() {
        let (a, pre) = parse_answer(&json!({
            "verdict": "true_positive", "confidence": "high",
            "hypothesis": "Brute force from 203.0.113.50. The actor also used 198.51.100.77 for staging. It is ongoing.",
            "attack_techniques": ["T1110", "T9999", {"id": "t1078"}],
            "suggested_pivots": [
                {"action": "Block 203.0.113.50 at the edge", "rationale": "source", "priority": "high"},
                {"action": "Check evil-staging.example for downloads", "rationale": "x"},
                "placeholder"
            ],
            "evidence_ids": ["ev-1", "ev-404"],
            "response_actions": [{"action": "disable_account", "target": "root"}]
        }))
        .expect("parses");
        assert!(pre.iter().any(|r| r.field == "suggested_pivots[2]"));
        assert!(pre.iter().any(|r| r.field == "response_actions"));
        let g = ground(a, &grounds());
        assert_eq!(g.answer.attack_techniques, vec!["T1110", "T1078"]);
        assert_eq!(g.answer.evidence_ids, vec!["ev-1"]);
        assert_eq!(
            g.answer.hypothesis,
            "Brute force from 203.0.113.50. It is ongoing."
        );
        assert_eq!(g.answer.suggested_pivots.len(), 1);
        let fields: Vec<&str> = g.removed.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "attack_techniques",
                "evidence_ids",
                "hypothesis",
                "suggested_pivots[1]"
            ]
        );
        assert!(repair_request(&g.removed).contains("T9999"));
    }

    #[test]
    fn indicators_from_tool_output_are_grounded() {
        let (a, _) = parse_answer(&json!({"verdict": "inconclusive",
            "hypothesis": "The source resolves to scanner.example.net per the intel tool."}))
        .expect("parses");
        let g = ground(a, &grounds());
        assert!(g.removed.is_empty(), "{:?}", g.removed);
        assert!(g.answer.hypothesis.contains("scanner.example.net"));
    }

    #[test]
    fn tolerant_fields_and_a_missing_verdict() {
        let (a, r) = parse_answer(&json!({"verdict": "False Positive", "confidence": 0.92,
            "escalate": "no", "hypothesis": "ok\u{0007} fine"}))
        .expect("parses");
        assert_eq!(a.verdict, Some(Verdict::FalsePositive));
        assert_eq!(a.confidence, Some(Confidence::High));
        assert_eq!(a.escalation_recommended, Some(false));
        assert_eq!(a.hypothesis, "ok  fine");
        assert!(r.is_empty());
        assert_eq!(
            parse_answer(&json!({"verdict": "<verdict>"})),
            Err(AnswerError::Verdict("<verdict>".into()))
        );
        assert_eq!(
            parse_answer(&json!("true_positive")),
            Err(AnswerError::NotAnObject)
        );
    }

    #[test]
    fn an_indicator_inside_a_longer_one_is_not_grounded() {
        let g = grounds();
        assert_eq!(
            g.ungrounded("Traffic from 3.0.113.5 was seen."),
            vec!["3.0.113.5"]
        );
        assert!(
            g.ungrounded("Traffic from 203.0.113.50 was seen.")
                .is_empty()
        );
        let mut g = Grounds::new(&IocSet::new(), "an alert", IocConfig::default());
        g.add_text(r#"{"domain": "notevil.com", "peer": "10.0.0.1:443", "ip": "198.51.100.7."}"#);
        assert_eq!(g.ungrounded("It beaconed to evil.com."), vec!["evil.com"]);
        assert!(g.ungrounded("It beaconed to notevil.com.").is_empty());
        // A port or a sentence's final dot ends an indicator.
        assert!(
            g.ungrounded("Peer 10.0.0.1 and 198.51.100.7 answered.")
                .is_empty()
        );
        assert!(contains_indicator("see 203.0.113.50.", "203.0.113.50"));
        assert!(!contains_indicator("see 203.0.113.50.1", "203.0.113.50"));
        assert!(!contains_indicator("fe80::1:5", "fe80::1"));
        assert!(!contains_indicator("anything", ""));
    }

    #[test]
    fn a_parent_domain_of_a_host_the_alert_shows_is_grounded() {
        let corpus = r#"{"url": "https://cdn.evil-corp.example/x", "ip": "203.0.113.50"}"#;
        assert!(contains_indicator(corpus, "evil-corp.example"));
        assert!(contains_indicator(corpus, "cdn.evil-corp.example"));
        // Not a part of a name, nor a name the alert only shows a parent of.
        assert!(!contains_indicator(corpus, "corp.example"));
        assert!(!contains_indicator(corpus, "x.cdn.evil-corp.example"));
        // Not the tail of an address.
        assert!(!contains_indicator(corpus, "0.113.50"));
    }

    #[test]
    fn a_decided_verdict_without_valid_evidence_is_not_high_confidence() {
        let g = grounds();
        let answer = |extra: serde_json::Value| {
            let mut v = json!({"verdict": "false_positive", "confidence": "high",
                "escalation_recommended": false});
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            ground(parse_answer(&v).expect("parses").0, &g)
        };
        for (name, extra) in [
            ("no evidence ids", json!({})),
            ("only invented ids", json!({"evidence_ids": ["ev-404"]})),
            (
                "hypothesis emptied",
                json!({"evidence_ids": ["ev-1"], "hypothesis": "Routine traffic to 198.51.100.77."}),
            ),
        ] {
            let out = answer(extra);
            assert_eq!(out.answer.confidence, Some(Confidence::Medium), "{name}");
            assert!(out.capped.is_some(), "{name}");
        }
        let ok = answer(
            json!({"evidence_ids": ["ev-1"], "hypothesis": "Routine scanning from 203.0.113.50."}),
        );
        assert_eq!(ok.answer.confidence, Some(Confidence::High));
        assert_eq!(ok.capped, None);
        // Inconclusive and already-medium answers are left alone.
        let (a, _) = parse_answer(&json!({"verdict": "inconclusive", "confidence": "high"}))
            .expect("parses");
        assert_eq!(ground(a, &g).answer.confidence, Some(Confidence::High));
    }

    #[test]
    fn revoked_ids_map_to_their_replacement() {
        // Any revoked technique in the catalog resolves to an active one.
        let cat = catalog();
        let revoked = cat
            .techniques()
            .iter()
            .find(|t| t.revoked)
            .expect("the catalog has revoked techniques");
        let (a, _) = parse_answer(&json!({"verdict": "true_positive",
            "attack_techniques": [revoked.id]}))
        .expect("parses");
        let g = ground(a, &grounds());
        assert_eq!(g.answer.attack_techniques.len(), 1);
        assert_ne!(g.answer.attack_techniques[0], revoked.id);
    }
}
