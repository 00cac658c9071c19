//! Family playbooks as data.
//!
//! Code measures, data decides. The [`facts`] and [`detectors`] modules compute what an
//! alert shows (a burst of failed logons, a program run from a mail client's attachment
//! cache, a consent to an unverified app with mail scopes, a change ticket in the SIEM's
//! enrichment) as named facts, each with the field path it was read at. The playbooks in
//! `rules/playbooks/*.yml` (compiled in) say what those facts mean: which alerts a
//! playbook claims (`trigger`), what evidence it records (`findings`), which techniques
//! that evidence shows (`techniques`: observed, never anticipated), how the evidence moves
//! the verdict and the confidence (`decide`, first match wins), and the next steps
//! (`pivots`). Text comes from templates filled with the alert's own facts.
//!
//! Playbooks are tried in `priority` order; the first whose trigger holds decides. An
//! alert no playbook claims is `inconclusive`, `low`, escalated to a human.
//!
//! The asset inventory is the only source that may call activity sanctioned: a playbook
//! lists the words (`sanctioned_by`) that an inventory entry's expected activity must
//! contain to speak for the activity at hand, and the engine sets `assets.sanctions` only
//! then. The SIEM's own enrichment (`siem_context`) counts as much as the alert's source.

mod activity;
pub mod cond;
pub mod detectors;
pub mod facts;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};
use soc_core::investigation::{EvidenceLog, Pivot};
use soc_core::{Confidence, Verdict};

use crate::sigma::{Node, parse_yaml};
use crate::tells;
use crate::triage::{Assessment, ObservedTechnique, Triage, TriageInput, one_line};
use crate::view::AlertView;
use cond::{Cond, Template, parse_verdict};
use facts::{FactValue, Facts};

/// A finding: an evidence entry a playbook records when its condition holds.
#[derive(Debug, Clone)]
struct Finding {
    name: String,
    when: Cond,
    text: Template,
    confidence: Confidence,
}

/// A technique and the findings that show it.
#[derive(Debug, Clone)]
struct TechRule {
    id: String,
    when: Cond,
    evidence: Vec<String>,
}

/// One verdict rule.
#[derive(Debug, Clone)]
struct Decision {
    when: Cond,
    verdict: Verdict,
    confidence: Confidence,
    escalate: Option<bool>,
    /// False when the rule means nothing attack-like happened (benign software doing its
    /// job): no technique is reported.
    observed: bool,
    hypothesis: Template,
    reason: Template,
}

#[derive(Debug, Clone)]
struct PivotRule {
    when: Cond,
    action: Template,
    rationale: Template,
    priority: Confidence,
}

/// A playbook.
#[derive(Debug, Clone)]
pub struct Playbook {
    /// Stable id (`brute_force`).
    pub id: String,
    /// Human name.
    pub title: String,
    /// Where it was loaded from.
    pub origin: String,
    /// Lower runs first.
    pub priority: i64,
    headline: Template,
    trigger: Cond,
    sanctioned_by: Vec<String>,
    sanction_subjects: Vec<String>,
    findings: Vec<Finding>,
    techniques: Vec<TechRule>,
    decide: Vec<Decision>,
    pivots: Vec<PivotRule>,
}

macro_rules! embed {
    ($name:literal) => {
        (
            concat!("rules/playbooks/", $name),
            include_str!(concat!("../../../../rules/playbooks/", $name)),
        )
    };
}

/// The project's playbooks (`rules/playbooks/`), compiled in: `(origin, text)`.
pub(crate) const EMBEDDED: &[(&str, &str)] = &[
    embed!("brute_force.yml"),
    embed!("attachment_execution.yml"),
    embed!("mail_phishing.yml"),
    embed!("url_click.yml"),
    embed!("oauth_consent.yml"),
    embed!("impossible_travel.yml"),
    embed!("mfa_fatigue.yml"),
    embed!("dns_tunnel.yml"),
    embed!("cloud_iam.yml"),
    embed!("waf_sqli.yml"),
    embed!("lateral_movement.yml"),
    embed!("scheduled_task.yml"),
    embed!("inhibit_recovery.yml"),
    embed!("encoded_powershell.yml"),
    embed!("antivirus.yml"),
    embed!("network_scan.yml"),
    embed!("intel_hit.yml"),
    embed!("exfiltration.yml"),
    embed!("external_access.yml"),
    embed!("sigma_generic.yml"),
];

/// A playbook file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct PlaybookError {
    /// The file.
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

static PLAYBOOKS: LazyLock<Vec<Playbook>> = LazyLock::new(|| {
    let mut v: Vec<Playbook> = EMBEDDED
        .iter()
        .map(|(o, t)| Playbook::parse(o, t).unwrap_or_else(|e| panic!("embedded playbook: {e}")))
        .collect();
    v.sort_by_key(|p| p.priority);
    v
});

/// The compiled-in playbooks, in the order they are tried.
pub fn embedded() -> &'static [Playbook] {
    &PLAYBOOKS
}

fn node_to_json(n: &Node) -> Value {
    match n {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i, _) => json!(i),
        Node::Float(f, _) => json!(f),
        Node::Str(s) => Value::String(s.clone()),
        Node::Seq(items) => Value::Array(items.iter().map(node_to_json).collect()),
        Node::Map(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), node_to_json(v));
            }
            Value::Object(out)
        }
    }
}

fn confidence(v: Option<&Value>, default: Confidence) -> Result<Confidence, String> {
    match v.and_then(Value::as_str) {
        None => Ok(default),
        Some("low") => Ok(Confidence::Low),
        Some("medium") => Ok(Confidence::Medium),
        Some("high") => Ok(Confidence::High),
        Some(other) => Err(format!("unknown confidence `{other}`")),
    }
}

fn text<'v>(m: &'v Value, key: &str) -> Result<&'v str, String> {
    m.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` is required and must be text"))
}

fn cond_of(m: &Value, key: &str) -> Result<Cond, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Cond::True),
        Some(v) => Cond::parse(v).map_err(|e| format!("{key}: {e}")),
    }
}

impl Playbook {
    /// Parses one playbook file.
    pub fn parse(origin: &str, src: &str) -> Result<Playbook, PlaybookError> {
        let err = |message: String| PlaybookError {
            origin: origin.to_owned(),
            message,
        };
        let docs = parse_yaml(src).map_err(err)?;
        let (doc, root) = match docs.as_slice() {
            [one] => (node_to_json(one), one),
            _ => return Err(err("expected exactly one YAML document".to_owned())),
        };
        let id = text(&doc, "id").map_err(err)?.to_owned();
        let title = text(&doc, "title").map_err(err)?.to_owned();
        let headline = Template::new(
            doc.get("headline")
                .and_then(Value::as_str)
                .unwrap_or(&title),
        )
        .map_err(err)?;
        let trigger = match doc.get("trigger") {
            Some(v) => Cond::parse(v).map_err(|e| err(format!("trigger: {e}")))?,
            None => return Err(err("`trigger` is required".to_owned())),
        };
        let sanctioned_by: Vec<String> = doc
            .get("sanctioned_by")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let sanction_subjects: Vec<String> = doc
            .get("sanction_subjects")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if !sanctioned_by.is_empty() && sanction_subjects.is_empty() {
            return Err(err(
                "`sanctioned_by` needs `sanction_subjects`: the facts naming the entity the inventory must describe".to_owned(),
            ));
        }
        let mut findings = Vec::new();
        // Findings keep their document order (the evidence reads in that order).
        if let Some(Node::Map(m)) = root.get("findings") {
            for (name, node) in m {
                let f = node_to_json(node);
                let ctx = |e: String| err(format!("finding `{name}`: {e}"));
                findings.push(Finding {
                    name: name.clone(),
                    when: cond_of(&f, "when").map_err(ctx)?,
                    text: Template::new(text(&f, "text").map_err(ctx)?).map_err(ctx)?,
                    confidence: confidence(f.get("confidence"), Confidence::Medium).map_err(ctx)?,
                });
            }
        }
        let mut techniques = Vec::new();
        for t in doc
            .get("techniques")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = text(t, "id").map_err(err)?.to_owned();
            let ctx = |e: String| err(format!("technique `{id}`: {e}"));
            let evidence: Vec<String> = t
                .get("evidence")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if id != "sigma" && evidence.is_empty() {
                return Err(ctx("`evidence` must name at least one finding".to_owned()));
            }
            for e in &evidence {
                if !findings.iter().any(|f| &f.name == e) {
                    return Err(ctx(format!("evidence `{e}` is not a finding")));
                }
            }
            techniques.push(TechRule {
                when: cond_of(t, "when").map_err(ctx)?,
                id,
                evidence,
            });
        }
        let mut decide = Vec::new();
        for (i, d) in doc
            .get("decide")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ctx = |e: String| err(format!("decide[{i}]: {e}"));
            decide.push(Decision {
                when: cond_of(d, "when").map_err(ctx)?,
                verdict: parse_verdict(text(d, "verdict").map_err(ctx)?).map_err(ctx)?,
                confidence: confidence(d.get("confidence"), Confidence::Low).map_err(ctx)?,
                escalate: d.get("escalate").and_then(Value::as_bool),
                observed: d.get("observed").and_then(Value::as_bool).unwrap_or(true),
                hypothesis: Template::new(text(d, "hypothesis").map_err(ctx)?).map_err(ctx)?,
                reason: Template::new(text(d, "because").map_err(ctx)?).map_err(ctx)?,
            });
        }
        if decide.is_empty() {
            return Err(err("`decide` needs at least one rule".to_owned()));
        }
        let mut pivots = Vec::new();
        for (i, p) in doc
            .get("pivots")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ctx = |e: String| err(format!("pivots[{i}]: {e}"));
            pivots.push(PivotRule {
                when: cond_of(p, "when").map_err(ctx)?,
                action: Template::new(text(p, "action").map_err(ctx)?).map_err(ctx)?,
                rationale: Template::new(text(p, "rationale").map_err(ctx)?).map_err(ctx)?,
                priority: confidence(p.get("priority"), Confidence::Medium).map_err(ctx)?,
            });
        }
        Ok(Playbook {
            priority: doc.get("priority").and_then(Value::as_i64).unwrap_or(100),
            id,
            title,
            origin: origin.to_owned(),
            headline,
            trigger,
            sanctioned_by,
            sanction_subjects,
            findings,
            techniques,
            decide,
            pivots,
        })
    }

    /// Whether the playbook claims the alert.
    pub fn claims(&self, f: &Facts<'_>) -> bool {
        self.trigger.eval(f, None)
    }

    /// Sets `assets.sanctions`, `assets.sanction_text` and `assets.in_window` for this
    /// playbook: an inventory entry for the entity the playbook is about (its
    /// `sanction_subjects`: the source of a burst, the host a process ran on, the app that
    /// was granted consent; never a name that merely appears in the alert's content)
    /// whose expected activity names this kind of activity (`sanctioned_by`).
    fn set_sanctions(&self, input: &TriageInput<'_>, f: &mut Facts<'_>) {
        let subjects: Vec<String> = self
            .sanction_subjects
            .iter()
            .filter_map(|n| f.render(n))
            .flat_map(|v| v.split(", ").map(normalise_entity).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect();
        let mut lines = Vec::new();
        let mut windows = Vec::new();
        for a in input.assets {
            if a.notes
                .as_deref()
                .is_some_and(|n| n.starts_with("matched by display name only"))
            {
                continue;
            }
            let ids = [Some(a.entity.as_str()), a.name.as_deref()];
            let is_subject = ids
                .iter()
                .flatten()
                .map(|x| normalise_entity(x))
                .any(|x| subjects.iter().any(|s| same_entity(s, &x)));
            if !is_subject {
                continue;
            }
            windows.extend(
                a.expected_activity
                    .iter()
                    .filter_map(|t| window_holds(t, input.alert.timestamp)),
            );
            let mut texts: Vec<&str> = a.expected_activity.iter().map(String::as_str).collect();
            texts.push(&a.role);
            if let Some(n) = &a.notes {
                texts.push(n);
            }
            for t in texts {
                let l = t.to_lowercase();
                if self.sanctioned_by.iter().any(|w| l.contains(w.as_str())) {
                    lines.push(format!("{}: {}", a.name.as_deref().unwrap_or(&a.entity), t));
                }
            }
        }
        lines.dedup();
        // In the entry's schedule: one of its windows holds at the alert's time.
        let in_window = !lines.is_empty() && windows.contains(&true);
        f.set_flag("assets.sanctions", !lines.is_empty(), "asset inventory");
        f.set_flag("assets.in_window", in_window, "asset inventory");
        f.put_text(
            "assets.sanction_text",
            lines.into_iter().take(3).collect::<Vec<_>>().join("; "),
            "asset inventory",
        );
    }

    /// Applies the playbook to an alert it claims.
    fn assess(&self, f: &Facts<'_>, log: &mut EvidenceLog) -> Assessment {
        let tool = format!("tier0.{}", self.id);
        let mut reasoning = vec![format!(
            "Playbook `{}` ({}) recognised the alert.",
            self.id, self.title
        )];

        // Findings.
        let mut ids: HashMap<&str, String> = HashMap::new();
        for fd in &self.findings {
            if !fd.when.eval(f, None) {
                continue;
            }
            let Some(mut claim) = fd.text.render(f) else {
                continue;
            };
            let mut names = fd.text.facts();
            fd.when.facts(&mut names);
            let (data, sources) = fact_data(f, &names);
            if !sources.is_empty() {
                claim.push_str(&format!(" [{}]", sources.join(", ")));
            }
            let id = log.push(&tool, claim, data, fd.confidence, true);
            reasoning.push(format!("Finding `{}` recorded as {id}.", fd.name));
            ids.insert(fd.name.as_str(), id);
        }

        // The verdict.
        let fallback = Decision {
            when: Cond::True,
            verdict: Verdict::Inconclusive,
            confidence: Confidence::Low,
            escalate: Some(true),
            observed: true,
            hypothesis: Template::empty(),
            reason: Template::empty(),
        };
        let (index, d) = self
            .decide
            .iter()
            .enumerate()
            .find(|(_, d)| d.when.eval(f, None))
            .unwrap_or((usize::MAX, &fallback));
        let reason = d
            .reason
            .render(f)
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| {
                format!(
                    "the `{}` playbook's evidence does not settle the verdict",
                    self.id
                )
            });
        let mut names = Vec::new();
        d.when.facts(&mut names);
        let (data, sources) = fact_data(f, &names);
        let decision_id = log.push(
            &tool,
            format!(
                "Tier-0 playbook `{}` concluded {} ({} confidence): {reason}{}",
                self.id,
                d.verdict,
                d.confidence,
                if sources.is_empty() { String::new() } else { format!(" [{}]", sources.join(", ")) }
            ),
            json!({"playbook": self.id, "rule": if index == usize::MAX { Value::Null } else { json!(index) }, "verdict": d.verdict.as_str(), "confidence": d.confidence.as_str(), "facts": data}),
            d.confidence,
            true,
        );
        reasoning.push(format!("Decision ({decision_id}): {reason}."));
        let hypothesis = d.hypothesis.render(f).filter(|h| !h.is_empty()).unwrap_or_else(|| {
            format!(
                "The alert looks like {} but the evidence tier 0 can read does not settle whether it is malicious; a human must review it. {reason}.",
                self.title.to_lowercase()
            )
        });
        // Techniques, each tied to the findings that show it.
        let mut techniques: Vec<ObservedTechnique> = Vec::new();
        let mut add = |id: &str, ev: Vec<String>| {
            if ev.is_empty() {
                return;
            }
            match techniques.iter_mut().find(|t| t.id == id) {
                Some(t) => {
                    for e in ev {
                        if !t.evidence_ids.contains(&e) {
                            t.evidence_ids.push(e);
                        }
                    }
                }
                None => techniques.push(ObservedTechnique {
                    id: id.to_owned(),
                    evidence_ids: ev,
                }),
            }
        };
        for t in &self.techniques {
            if !t.when.eval(f, Some(d.verdict)) {
                continue;
            }
            if t.id == "sigma" {
                for (tech, ev) in &f.sigma_techniques {
                    add(tech, vec![ev.clone()]);
                }
                continue;
            }
            let ev: Vec<String> = t
                .evidence
                .iter()
                .filter_map(|n| ids.get(n.as_str()).cloned())
                .collect();
            add(&t.id, ev);
        }

        if !d.observed {
            techniques.clear();
        }
        let escalate = d.escalate.unwrap_or(d.verdict != Verdict::FalsePositive);

        // Pivots.
        let mut pivots = Vec::new();
        for p in &self.pivots {
            if !p.when.eval(f, Some(d.verdict)) {
                continue;
            }
            if let (Some(action), Some(rationale)) = (p.action.render(f), p.rationale.render(f))
                && !pivots.iter().any(|x: &Pivot| x.action == action)
            {
                pivots.push(Pivot {
                    action,
                    rationale,
                    priority: p.priority,
                });
            }
        }
        Assessment {
            family: self.id.clone(),
            headline: self
                .headline
                .render(f)
                .unwrap_or_else(|| self.title.clone()),
            verdict: d.verdict,
            confidence: d.confidence,
            hypothesis: one_line(&hypothesis, 2000),
            techniques,
            pivots,
            escalate,
            reasoning,
            why: reason,
        }
    }
}

/// An entity name compared case-insensitively, without a Windows domain prefix or a mail
/// domain suffix.
fn normalise_entity(s: &str) -> String {
    let s = s.trim().to_lowercase();
    let s = s.rsplit('\\').next().unwrap_or(&s).to_owned();
    match s.split_once('@') {
        Some((user, _)) if !user.is_empty() => user.to_owned(),
        _ => s,
    }
}

/// The same host, account or address: equal, or one is the other's short host name.
fn same_entity(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let short = |x: &str| x.split('.').next().unwrap_or(x).to_owned();
    let ip = |x: &str| x.parse::<std::net::IpAddr>().is_ok();
    !ip(a)
        && !ip(b)
        && (short(a) == b
            || short(b) == a
            || (a.contains('.') != b.contains('.') && short(a) == short(b)))
}

static TIME_RANGE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\b([01]?\d|2[0-3]):([0-5]\d)\s*(?:-|–|to)\s*([01]?\d|2[0-3]):([0-5]\d)")
        .expect("constant regex compiles")
});
static TIME_AT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)\bat\s+([01]?\d|2[0-3]):([0-5]\d)").expect("constant regex compiles")
});
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Whether an inventory line's schedule (`Tue 03:00-04:00 UTC`, `Mon-Fri 02:00-02:45`,
/// `daily ... at 04:00 UTC`) holds at `t` (UTC); `None` when the line has no schedule.
fn window_holds(line: &str, t: chrono::DateTime<chrono::Utc>) -> Option<bool> {
    use chrono::{Datelike, Timelike};
    let minute = t.hour() * 60 + t.minute();
    let in_time = if let Some(c) = TIME_RANGE.captures(line) {
        let n = |i: usize| {
            c.get(i)
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .unwrap_or(0)
        };
        let (start, end) = (n(1) * 60 + n(2), n(3) * 60 + n(4));
        if start <= end {
            (start..=end).contains(&minute)
        } else {
            minute >= start || minute <= end
        }
    } else if let Some(c) = TIME_AT.captures(line) {
        let n = |i: usize| {
            c.get(i)
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .unwrap_or(0)
        };
        let at = n(1) * 60 + n(2);
        minute.abs_diff(at) <= 20 || (1440 - minute.abs_diff(at)) <= 20
    } else {
        return None;
    };
    // Days, when named: a range (`Mon-Fri`) or single days (`Tue`).
    let l = line.to_lowercase();
    let today = t.weekday().num_days_from_monday() as usize;
    let day_at = |w: &str| DAYS.iter().position(|d| w.starts_with(d));
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .collect();
    let mut named = false;
    let mut day_ok = false;
    for w in words {
        if let Some((a, b)) = w.split_once('-')
            && let (Some(x), Some(y)) = (day_at(a), day_at(b))
            && a.len() <= 9
            && b.len() <= 9
        {
            named = true;
            day_ok |= if x <= y {
                (x..=y).contains(&today)
            } else {
                today >= x || today <= y
            };
        } else if w.len() >= 3
            && w.len() <= 9
            && DAYS
                .iter()
                .any(|d| *d == w || (w.starts_with(d) && w.ends_with("day")))
        {
            named = true;
            day_ok |= day_at(w) == Some(today);
        }
    }
    Some(in_time && (!named || day_ok))
}

/// Top-level alert fields that count as paths.
const FIELDS: &[&str] = &[
    "title",
    "severity",
    "source",
    "host",
    "indicators",
    "timestamp",
];

/// The named facts' values and sources, for an evidence entry.
fn fact_data(f: &Facts<'_>, names: &[String]) -> (Value, Vec<String>) {
    let mut data = Map::new();
    let mut sources: Vec<String> = Vec::new();
    for n in names {
        if let Some(fact) = f.get(n) {
            let v = match &fact.value {
                FactValue::Bool(b) => json!(b),
                FactValue::Num(x) => json!(x),
                FactValue::Text(t) => json!(t),
            };
            data.insert(n.clone(), json!({"value": v, "source": fact.source}));
            // Only field paths go in the claim's bracket; descriptions of how a fact was
            // derived stay in the data.
            for s in fact.source.split(", ") {
                let s = s.trim();
                let path_like = !s.contains(' ')
                    && (s.contains('.')
                        || s.contains('[')
                        || FIELDS.contains(&s)
                        || s.starts_with("ev-")
                        || s.chars().next().is_some_and(char::is_uppercase));
                if path_like && !sources.iter().any(|x| x == s) {
                    sources.push(s.to_owned());
                }
            }
        }
    }
    (Value::Object(data), sources)
}

/// Runs tier 0 with the playbooks: the first that claims the alert decides.
pub fn run(input: &TriageInput<'_>, playbooks: &[Playbook], log: &mut EvidenceLog) -> Triage {
    let view = AlertView::new(input.alert);
    let tells = tells::find(&view);
    let mut f = facts::compute(input, &view, &tells);
    detectors::run_all(input, &mut f);
    for pb in playbooks {
        pb.set_sanctions(input, &mut f);
        if pb.claims(&f) {
            let mut assessment = pb.assess(&f, log);
            recurring(input, &mut assessment);
            return Triage {
                assessment,
                recognised: true,
                tells,
            };
        }
    }
    let assessment = crate::triage::unrecognised(input, &tells, log);
    Triage {
        assessment,
        recognised: false,
        tells,
    }
}

/// What the fleet's memory adds to a playbook's answer. A campaign (related alerts within
/// the window) is named in the hypothesis with a pivot to review the alerts together; an
/// earlier alert sharing an exact indicator that an analyst ruled a true positive raises
/// a medium-confidence true positive to high (a human-confirmed recurrence is independent
/// evidence). Links by host alone never raise confidence: unrelated alerts share hosts.
/// Memory never changes a verdict.
fn recurring(input: &TriageInput<'_>, a: &mut crate::triage::Assessment) {
    let campaign = input.correlation.filter(|c| c.is_campaign);
    let prior_tp: Vec<&str> = input
        .prior
        .iter()
        .filter(|p| p.human_verdict.as_deref() == Some(Verdict::TruePositive.as_str()))
        .map(|p| p.alert_id.as_str())
        .take(3)
        .collect();
    if let Some(c) = campaign {
        let ids: Vec<&str> = c
            .related_alerts
            .iter()
            .map(|r| r.alert_id.as_str())
            .take(5)
            .collect();
        a.hypothesis.push_str(&format!(
            " This alert is part of a possible campaign: {} related alert(s) within {} hours ({}).",
            c.related_alerts.len(),
            c.window_hours,
            ids.join(", ")
        ));
        a.pivots.insert(
            0,
            Pivot {
                action: format!(
                    "Review the related alerts {} with this one as a single intrusion",
                    ids.join(", ")
                ),
                rationale: "They share hosts or indicators within the correlation window; together they show the attack's scope and order.".to_owned(),
                priority: Confidence::High,
            },
        );
    }
    if !prior_tp.is_empty() {
        a.hypothesis.push_str(&format!(
            " An analyst confirmed an earlier alert sharing an indicator ({}) as a true positive.",
            prior_tp.join(", ")
        ));
        if a.verdict == Verdict::TruePositive && a.confidence == Confidence::Medium {
            a.confidence = Confidence::High;
            a.why.push_str(
                "; raised to high: an analyst confirmed an earlier alert sharing an indicator as a true positive",
            );
        }
    }
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_mail;
#[cfg(test)]
mod tests_vocab;
