//! Scoring investigations against labeled alerts, with invariants rather than exact
//! outputs.
//!
//! Two label formats:
//! - the reference system's expectations (`expectations.json`, key `sample_alerts`, one
//!   entry per file name; semantics in its `_meta.semantics`): every expectation key is one
//!   invariant, plus the derived `autoclose_safe` for attack-labeled alerts;
//! - a labels file (`alert_id -> {verdict, attack_technique_families, must_escalate}`):
//!   three invariants per alert (verdict, techniques, escalation). A
//!   `benign_true_positive` label (authorised activity) is matched by the verdict
//!   `false_positive` together with the technique that really ran.
//!
//! `confidently_wrong` counts wrong verdicts stated with high confidence: the one failure
//! a SOC cannot afford from an unattended triager.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use soc_core::attack::catalog;
use soc_core::{Confidence, Investigation, Verdict};

use crate::policy::should_auto_close;

/// One invariant's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The invariant (`expected_verdict`, `required_techniques`, ...).
    pub name: String,
    /// Whether it holds.
    pub passed: bool,
    /// What was expected and what was found.
    pub detail: String,
}

/// How one alert scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertScore {
    /// The alert's file (or origin).
    pub file: String,
    /// Its id.
    pub alert_id: String,
    /// What the label expects, in short (`true_positive`, `any of true_positive/inconclusive`).
    pub expected: String,
    /// The investigation's verdict.
    pub verdict: Verdict,
    /// Its confidence.
    pub confidence: Confidence,
    /// Its escalation.
    pub escalate: bool,
    /// Its techniques.
    pub techniques: Vec<String>,
    /// Whether the verdict matches the label.
    pub verdict_correct: bool,
    /// A wrong verdict stated with high confidence.
    pub confidently_wrong: bool,
    /// Invariants checked.
    pub checks: Vec<Check>,
}

impl AlertScore {
    /// Invariants that held.
    pub fn passed(&self) -> usize {
        self.checks.iter().filter(|c| c.passed).count()
    }
}

/// A labels-file entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    /// `true_positive`, `false_positive` or `benign_true_positive`.
    pub verdict: String,
    /// ATT&CK ids of the technique families that really ran.
    #[serde(default)]
    pub attack_technique_families: Vec<String>,
    /// Whether a human must be paged.
    #[serde(default)]
    pub must_escalate: Option<bool>,
}

/// Parses a labels file: `alert_id -> Label`. Keys starting with `_` are annotations.
///
/// # Errors
///
/// A message naming the entry that does not parse.
pub fn parse_labels(v: &Value) -> Result<BTreeMap<String, Label>, String> {
    let obj = v
        .as_object()
        .ok_or("labels file must be a JSON object keyed by alert_id")?;
    let mut out = BTreeMap::new();
    for (k, val) in obj {
        if k.starts_with('_') {
            continue;
        }
        let label: Label =
            serde_json::from_value(val.clone()).map_err(|e| format!("label `{k}`: {e}"))?;
        if !matches!(
            label.verdict.as_str(),
            "true_positive" | "false_positive" | "benign_true_positive"
        ) {
            return Err(format!("label `{k}`: unknown verdict `{}`", label.verdict));
        }
        out.insert(k.clone(), label);
    }
    Ok(out)
}

/// The expectation entries of an expectations file, keyed by file name.
///
/// # Errors
///
/// A message when the file has no `sample_alerts` object.
pub fn parse_expectations(v: &Value) -> Result<BTreeMap<String, Value>, String> {
    let obj = v
        .get("sample_alerts")
        .and_then(Value::as_object)
        .ok_or("expectations file has no `sample_alerts` object")?;
    let mut out: BTreeMap<String, Value> = obj
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // The campaign scenario's stages (`campaign_scenario`, keyed by file name), each with
    // the invariants every stage shares (`all_stages`) folded in.
    if let Some(sc) = v.get("campaign_scenario").and_then(Value::as_object) {
        let shared = sc.get("all_stages").and_then(Value::as_object);
        for (k, stage) in sc.iter().filter(|(k, _)| k.ends_with(".json")) {
            let mut e = stage.as_object().cloned().unwrap_or_default();
            for (sk, sv) in shared.into_iter().flatten() {
                e.entry(sk.clone()).or_insert_with(|| sv.clone());
            }
            out.entry(k.clone()).or_insert(Value::Object(e));
        }
    }
    Ok(out)
}

/// The invariants about memory and write-up (the campaign scenario's).
fn score_memory(exp: &Value, inv: &Investigation, checks: &mut Vec<Check>) {
    let ids = |sorted: bool, v: Vec<String>| {
        let mut v = v;
        if sorted {
            v.sort();
        }
        v
    };
    let prior_ids: Vec<String> = inv
        .prior_sightings
        .iter()
        .map(|p| p.alert_id.clone())
        .collect();
    if exp
        .get("prior_sightings")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        checks.push(Check {
            name: "prior_sightings".into(),
            passed: prior_ids.is_empty(),
            detail: format!("expected none, got {prior_ids:?}"),
        });
    }
    for (key, sorted) in [
        ("prior_sightings_alert_ids_exact", false),
        ("prior_sightings_alert_ids_sorted_exact", true),
    ] {
        if let Some(want) = exp.get(key) {
            let got = ids(sorted, prior_ids.clone());
            checks.push(Check {
                name: key.into(),
                passed: got == str_list(want),
                detail: format!("expected {:?}, got {got:?}", str_list(want)),
            });
        }
    }
    if let Some(ioc) = exp
        .get("prior_sighting_matched_iocs_include")
        .and_then(Value::as_str)
    {
        let found = inv
            .prior_sightings
            .iter()
            .any(|p| p.matched_iocs.iter().any(|m| m == ioc));
        checks.push(Check {
            name: "prior_sighting_matched_iocs_include".into(),
            passed: found,
            detail: format!("{ioc} {}", if found { "matched" } else { "not matched" }),
        });
    }
    if let Some(c) = exp.get("correlation") {
        let corr = inv.correlation.as_ref();
        let related: Vec<String> = corr
            .map(|c| {
                c.related_alerts
                    .iter()
                    .map(|r| r.alert_id.clone())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(want) = c.get("is_campaign").and_then(Value::as_bool) {
            let got = corr.is_some_and(|c| c.is_campaign);
            checks.push(Check {
                name: "correlation.is_campaign".into(),
                passed: got == want,
                detail: format!("expected {want}, got {got}"),
            });
        }
        if c.get("related_alerts")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            checks.push(Check {
                name: "correlation.related_alerts".into(),
                passed: related.is_empty(),
                detail: format!("expected none, got {related:?}"),
            });
        }
        for (key, sorted) in [
            ("related_alert_ids_exact", false),
            ("related_alert_ids_sorted_exact", true),
        ] {
            if let Some(want) = c.get(key) {
                let got = ids(sorted, related.clone());
                checks.push(Check {
                    name: format!("correlation.{key}"),
                    passed: got == str_list(want),
                    detail: format!("expected {:?}, got {got:?}", str_list(want)),
                });
            }
        }
        if let Some(needle) = c.get("summary_contains").and_then(Value::as_str) {
            let summary = corr.map(|c| c.summary.to_lowercase()).unwrap_or_default();
            checks.push(Check {
                name: "correlation.summary_contains".into(),
                passed: summary.contains(&needle.to_lowercase()),
                detail: format!("`{needle}` in `{summary}`"),
            });
        }
        if let Some(m) = c.get("signals_must_include").and_then(Value::as_object) {
            let mut missing = Vec::new();
            for (id, sigs) in m {
                let have: Vec<&String> = corr
                    .into_iter()
                    .flat_map(|c| c.related_alerts.iter())
                    .filter(|r| &r.alert_id == id)
                    .flat_map(|r| r.signals.iter())
                    .collect();
                for s in str_list(sigs) {
                    if !have.iter().any(|h| **h == s) {
                        missing.push(format!("{id}: {s}"));
                    }
                }
            }
            checks.push(Check {
                name: "correlation.signals_must_include".into(),
                passed: missing.is_empty(),
                detail: if missing.is_empty() {
                    "all present".into()
                } else {
                    format!("missing {}", missing.join("; "))
                },
            });
        }
    }
    if let Some(any) = exp.get("writeup_must_mention_any") {
        let mut text = format!(
            "{} {}",
            inv.hypothesis,
            inv.escalation_draft.as_deref().unwrap_or_default()
        );
        for p in &inv.suggested_pivots {
            text.push(' ');
            text.push_str(&p.action);
            text.push(' ');
            text.push_str(&p.rationale);
        }
        let text = text.to_lowercase();
        let alts = str_list(any);
        let hit = alts.iter().any(|a| text.contains(&a.to_lowercase()));
        checks.push(Check {
            name: "writeup_must_mention_any".into(),
            passed: hit,
            detail: if hit {
                "mentioned".into()
            } else {
                format!("none of {}", alts.join("/"))
            },
        });
    }
    if let Some(c) = exp
        .get("confidence_exact")
        .and_then(Value::as_str)
        .and_then(Confidence::parse)
    {
        checks.push(Check {
            name: "confidence_exact".into(),
            passed: inv.confidence == c,
            detail: format!("expected {c}, got {}", inv.confidence),
        });
    }
}

/// Ids of the project's own Sigma rules (`rules/sigma/`, compiled in).
fn committed_rule_ids() -> &'static std::collections::HashSet<String> {
    static IDS: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(|| {
            soc_detect::sigma::RuleSet::embedded()
                .rules()
                .map(|r| r.id.clone())
                .collect()
        });
    &IDS
}

fn joined_techniques(inv: &Investigation) -> String {
    inv.attack_techniques.join(" ")
}

fn parent_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

fn verdict_label(v: Verdict) -> &'static str {
    v.as_str()
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Scores an investigation against one entry of the reference expectations.
pub fn score_expectation(file: &str, exp: &Value, inv: &Investigation) -> AlertScore {
    let mut checks = Vec::new();
    let techniques = joined_techniques(inv);
    let allowed: Vec<String> = match (exp.get("allowed_verdicts"), exp.get("expected_verdict")) {
        (Some(a), _) => str_list(a),
        (None, Some(Value::String(v))) => vec![v.clone()],
        _ => Vec::new(),
    };
    let verdict_correct = allowed.is_empty() || allowed.iter().any(|a| a == inv.verdict.as_str());
    if !allowed.is_empty() {
        let name = if exp.get("allowed_verdicts").is_some() {
            "allowed_verdicts"
        } else {
            "expected_verdict"
        };
        checks.push(Check {
            name: name.into(),
            passed: verdict_correct,
            detail: format!("expected {}, got {}", allowed.join("/"), inv.verdict),
        });
    }
    if let Some(not) = exp.get("verdict_not").and_then(Value::as_str) {
        checks.push(Check {
            name: "verdict_not".into(),
            passed: inv.verdict.as_str() != not,
            detail: format!("not {not}, got {}", inv.verdict),
        });
    }
    score_memory(exp, inv, &mut checks);
    if let Some(min) = exp
        .get("min_confidence")
        .and_then(Value::as_str)
        .and_then(Confidence::parse)
    {
        checks.push(Check {
            name: "min_confidence".into(),
            passed: inv.confidence >= min,
            detail: format!("at least {min}, got {}", inv.confidence),
        });
    }
    if let Some(req) = exp.get("required_techniques") {
        let missing: Vec<String> = str_list(req)
            .into_iter()
            .filter(|t| !techniques.contains(t.as_str()))
            .collect();
        checks.push(Check {
            name: "required_techniques".into(),
            passed: missing.is_empty(),
            detail: if missing.is_empty() {
                "all present".into()
            } else {
                format!("missing {}", missing.join(", "))
            },
        });
    }
    if let Some(groups) = exp.get("any_of_techniques").and_then(Value::as_array) {
        let unmet: Vec<String> = groups
            .iter()
            .map(str_list)
            .filter(|g| !g.iter().any(|t| techniques.contains(t.as_str())))
            .map(|g| g.join("/"))
            .collect();
        checks.push(Check {
            name: "any_of_techniques".into(),
            passed: unmet.is_empty(),
            detail: if unmet.is_empty() {
                "every group met".into()
            } else {
                format!("none of {}", unmet.join("; "))
            },
        });
    }
    if let Some(forb) = exp.get("forbidden_techniques") {
        let present: Vec<String> = str_list(forb)
            .into_iter()
            .filter(|t| techniques.contains(t.as_str()))
            .collect();
        checks.push(Check {
            name: "forbidden_techniques".into(),
            passed: present.is_empty(),
            detail: if present.is_empty() {
                "none present".into()
            } else {
                format!("present: {}", present.join(", "))
            },
        });
    }
    if let Some(esc) = exp.get("must_escalate").and_then(Value::as_bool) {
        checks.push(Check {
            name: "must_escalate".into(),
            passed: inv.escalation_recommended == esc,
            detail: format!("expected {esc}, got {}", inv.escalation_recommended),
        });
    }
    if let Some(items) = exp.get("pivots_must_include").and_then(Value::as_array) {
        let text: String = inv
            .suggested_pivots
            .iter()
            .map(|p| format!("{} {}", p.action, p.rationale))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let unmet: Vec<String> = items
            .iter()
            .filter_map(|item| {
                let alts = match item {
                    Value::String(s) => vec![s.clone()],
                    other => str_list(other),
                };
                (!alts.iter().any(|a| text.contains(&a.to_lowercase()))).then(|| alts.join("/"))
            })
            .collect();
        checks.push(Check {
            name: "pivots_must_include".into(),
            passed: unmet.is_empty(),
            detail: if unmet.is_empty() {
                "all present".into()
            } else {
                format!("missing {}", unmet.join("; "))
            },
        });
    }
    if let Some(n) = exp.get("min_evidence_count").and_then(Value::as_u64) {
        checks.push(Check {
            name: "min_evidence_count".into(),
            passed: inv.evidence.len() as u64 >= n,
            detail: format!("at least {n}, got {}", inv.evidence.len()),
        });
    }
    if let Some(n) = exp.get("min_associated_groups").and_then(Value::as_u64) {
        let own: Vec<String> = inv
            .attack_techniques
            .iter()
            .flat_map(|t| [t.clone(), parent_of(t).to_owned()])
            .collect();
        let ungrounded: Vec<String> = inv
            .associated_groups
            .iter()
            .filter(|g| {
                g.overlap_count != g.matched_techniques.len()
                    || g.matched_techniques.is_empty()
                    || g.matched_techniques.iter().any(|m| !own.contains(m))
            })
            .map(|g| g.group.clone())
            .collect();
        let enough = inv.associated_groups.len() as u64 >= n;
        checks.push(Check {
            name: "min_associated_groups".into(),
            passed: enough && ungrounded.is_empty(),
            detail: format!(
                "at least {n} grounded, got {}{}",
                inv.associated_groups.len(),
                if ungrounded.is_empty() {
                    String::new()
                } else {
                    format!(" (ungrounded: {})", ungrounded.join(", "))
                }
            ),
        });
    }
    if let Some(n) = exp.get("min_sigma_matches").and_then(Value::as_u64) {
        // As in the reference harness: only matches of the project's own committed rules
        // count (a corpus loaded for the run does not).
        let committed = committed_rule_ids();
        let own = inv
            .sigma_matches
            .iter()
            .filter(|m| committed.contains(&m.rule_id))
            .count();
        checks.push(Check {
            name: "min_sigma_matches".into(),
            passed: own as u64 >= n,
            detail: format!(
                "at least {n} of the project's rules, got {own} (of {} matches)",
                inv.sigma_matches.len()
            ),
        });
    }
    if let Some(n) = exp.get("min_injection_flags").and_then(Value::as_u64) {
        checks.push(Check {
            name: "min_injection_flags".into(),
            passed: inv.injection_flags.len() as u64 >= n,
            detail: format!("at least {n}, got {}", inv.injection_flags.len()),
        });
    }
    let is_attack = exp
        .get("is_attack")
        .and_then(Value::as_bool)
        .unwrap_or(!allowed.is_empty() && !allowed.iter().any(|a| a == "false_positive"));
    if is_attack {
        let (closes, why) = should_auto_close(inv);
        checks.push(Check {
            name: "autoclose_safe".into(),
            passed: !closes,
            detail: if closes {
                format!("would auto-close an attack: {why}")
            } else {
                format!("stays open: {why}")
            },
        });
    }
    AlertScore {
        file: file.to_owned(),
        alert_id: inv.alert_id.clone(),
        expected: if allowed.len() > 1 {
            format!("any of {}", allowed.join("/"))
        } else {
            allowed.join("")
        },
        verdict: inv.verdict,
        confidence: inv.confidence,
        escalate: inv.escalation_recommended,
        techniques: inv.attack_techniques.clone(),
        verdict_correct,
        confidently_wrong: !verdict_correct && inv.confidence == Confidence::High,
        checks,
    }
}

/// Scores an investigation against a labels-file entry.
pub fn score_label(file: &str, label: &Label, inv: &Investigation) -> AlertScore {
    let want = match label.verdict.as_str() {
        "true_positive" => Verdict::TruePositive,
        _ => Verdict::FalsePositive,
    };
    let verdict_correct = inv.verdict == want;
    let mut checks = vec![Check {
        name: "verdict".into(),
        passed: verdict_correct,
        detail: format!(
            "expected {}{}, got {}",
            verdict_label(want),
            if label.verdict == "benign_true_positive" {
                " (benign true positive)"
            } else {
                ""
            },
            inv.verdict
        ),
    }];
    if !label.attack_technique_families.is_empty() {
        let cat = catalog();
        let have: Vec<String> = inv
            .attack_techniques
            .iter()
            .map(|t| parent_of(t).to_owned())
            .collect();
        let missing: Vec<String> = label
            .attack_technique_families
            .iter()
            .filter(|f| {
                let fam = cat
                    .resolve(f)
                    .map_or_else(|| f.to_string(), |r| r.technique.id.clone());
                !have.iter().any(|h| h == parent_of(&fam))
            })
            .cloned()
            .collect();
        checks.push(Check {
            name: "techniques".into(),
            passed: missing.is_empty(),
            detail: if missing.is_empty() {
                "all families present".into()
            } else {
                format!("missing {}", missing.join(", "))
            },
        });
    }
    if let Some(esc) = label.must_escalate {
        checks.push(Check {
            name: "must_escalate".into(),
            passed: inv.escalation_recommended == esc,
            detail: format!("expected {esc}, got {}", inv.escalation_recommended),
        });
    }
    AlertScore {
        file: file.to_owned(),
        alert_id: inv.alert_id.clone(),
        expected: label.verdict.clone(),
        verdict: inv.verdict,
        confidence: inv.confidence,
        escalate: inv.escalation_recommended,
        techniques: inv.attack_techniques.clone(),
        verdict_correct,
        confidently_wrong: !verdict_correct && inv.confidence == Confidence::High,
        checks,
    }
}

/// An input that could not be investigated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalError {
    /// Where.
    pub file: String,
    /// Why.
    pub error: String,
}

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Alerts read (investigated or failed).
    pub alerts: usize,
    /// Alerts with a label, scored.
    pub scored: usize,
    /// Alerts without a label (listed, not scored).
    pub unlabeled: Vec<String>,
    /// Inputs that failed to parse (counted in `alerts`, not scored).
    pub errors: Vec<EvalError>,
    /// Invariants checked.
    pub invariants_total: usize,
    /// Invariants that held.
    pub invariants_passed: usize,
    /// Scored alerts whose verdict matches the label.
    pub verdicts_correct: usize,
    /// Wrong verdicts stated with high confidence.
    pub confidently_wrong: usize,
    /// Invariant pass counts by name: `name -> [passed, total]`.
    pub by_invariant: BTreeMap<String, [usize; 2]>,
    /// Per-alert detail.
    pub per_alert: Vec<AlertScore>,
}

impl Report {
    /// Adds a scored alert.
    pub fn add(&mut self, score: AlertScore) {
        self.alerts += 1;
        self.scored += 1;
        self.invariants_total += score.checks.len();
        self.invariants_passed += score.passed();
        self.verdicts_correct += usize::from(score.verdict_correct);
        self.confidently_wrong += usize::from(score.confidently_wrong);
        for c in &score.checks {
            let e = self.by_invariant.entry(c.name.clone()).or_insert([0, 0]);
            e[0] += usize::from(c.passed);
            e[1] += 1;
        }
        self.per_alert.push(score);
    }

    /// Records an alert without a label.
    pub fn add_unlabeled(&mut self, id: String) {
        self.alerts += 1;
        self.unlabeled.push(id);
    }

    /// Records an input that failed.
    pub fn add_error(&mut self, file: String, error: String) {
        self.alerts += 1;
        self.errors.push(EvalError { file, error });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use soc_core::investigation::{GroupMatch, Pivot};

    fn inv(
        verdict: Verdict,
        conf: Confidence,
        techniques: &[&str],
        escalate: bool,
    ) -> Investigation {
        serde_json::from_value(json!({
            "schema_version": "1", "investigation_id": "x", "alert_id": "A", "alert_fingerprint": "f",
            "created_at": "2026-01-01T00:00:00Z", "verdict": verdict, "confidence": conf, "hypothesis": "h",
            "attack_techniques": techniques, "escalation_recommended": escalate
        }))
        .unwrap()
    }

    #[test]
    fn expectation_invariants() {
        let mut i = inv(Verdict::TruePositive, Confidence::High, &["T1110"], true);
        i.suggested_pivots.push(Pivot {
            action: "look for an Accepted login".into(),
            rationale: "r".into(),
            priority: Confidence::High,
        });
        i.associated_groups.push(GroupMatch {
            group: "G".into(),
            group_id: "G1".into(),
            aliases: vec![],
            matched_techniques: vec!["T1110".into()],
            overlap_count: 1,
        });
        let exp = json!({"expected_verdict": "true_positive", "min_confidence": "high", "required_techniques": ["T1110"],
            "forbidden_techniques": ["T1078"], "must_escalate": true, "pivots_must_include": [["success", "accepted"]],
            "min_associated_groups": 1, "min_evidence_count": 1, "is_attack": true});
        let s = score_expectation("f.json", &exp, &i);
        let failed: Vec<&Check> = s.checks.iter().filter(|c| !c.passed).collect();
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].name, "min_evidence_count");
        assert!(
            s.checks
                .iter()
                .any(|c| c.name == "autoclose_safe" && c.passed)
        );
        assert!(s.verdict_correct && !s.confidently_wrong);
    }

    #[test]
    fn confidently_wrong_and_benign_true_positive() {
        let label = Label {
            verdict: "benign_true_positive".into(),
            attack_technique_families: vec!["T1046".into()],
            must_escalate: Some(false),
        };
        let s = score_label(
            "f",
            &label,
            &inv(Verdict::TruePositive, Confidence::High, &["T1046"], true),
        );
        assert!(s.confidently_wrong);
        let s = score_label(
            "f",
            &label,
            &inv(
                Verdict::FalsePositive,
                Confidence::Medium,
                &["T1046.001"],
                false,
            ),
        );
        assert_eq!(s.passed(), 3, "{:?}", s.checks);
        let s = score_label(
            "f",
            &label,
            &inv(Verdict::Inconclusive, Confidence::Low, &[], true),
        );
        assert!(!s.confidently_wrong && !s.verdict_correct);
    }

    #[test]
    fn ungrounded_groups_fail() {
        let mut i = inv(Verdict::TruePositive, Confidence::High, &["T1110"], true);
        i.associated_groups.push(GroupMatch {
            group: "G".into(),
            group_id: "G1".into(),
            aliases: vec![],
            matched_techniques: vec!["T1059".into()],
            overlap_count: 1,
        });
        let s = score_expectation("f", &json!({"min_associated_groups": 1}), &i);
        assert!(!s.checks[0].passed);
    }
}
