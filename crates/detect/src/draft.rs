//! The escalation draft: a message a human can send as it is, built from the
//! investigation's own fields (no model involved).

use soc_core::investigation::{Evidence, Pivot, TechniqueRef};
use soc_core::{Alert, Confidence, Verdict};

use crate::triage::one_line;

/// What the draft is built from.
#[derive(Debug)]
pub struct DraftInput<'a> {
    /// The alert.
    pub alert: &'a Alert,
    /// Short name of what was recognised.
    pub headline: &'a str,
    /// Verdict.
    pub verdict: Verdict,
    /// Confidence.
    pub confidence: Confidence,
    /// Hypothesis.
    pub hypothesis: &'a str,
    /// Evidence (the most relevant first).
    pub evidence: &'a [Evidence],
    /// Techniques.
    pub techniques: &'a [TechniqueRef],
    /// Pivots.
    pub pivots: &'a [Pivot],
}

/// The subject's few words: no stronger than the confidence behind them (a medium-
/// confidence true positive is likely, not confirmed).
fn assessment(verdict: Verdict, confidence: Confidence) -> &'static str {
    match (verdict, confidence) {
        (Verdict::TruePositive, Confidence::High) => "confirmed malicious activity",
        (Verdict::TruePositive, Confidence::Medium) => "likely malicious activity",
        (Verdict::TruePositive, Confidence::Low) => "possibly malicious activity",
        (Verdict::FalsePositive, Confidence::High) => "assessed benign",
        (Verdict::FalsePositive, _) => "likely benign",
        (Verdict::Inconclusive, _) => "needs analyst review",
    }
}

/// Renders the draft. Every value is collapsed to one line so alert content cannot forge
/// extra lines in the message.
pub fn render(d: &DraftInput<'_>) -> String {
    let a = d.alert;
    let mut out = String::new();
    let sev = a.severity.as_str().to_uppercase();
    let host = a
        .host()
        .map(|h| format!(" on {}", one_line(h, 80)))
        .unwrap_or_default();
    out.push_str(&format!(
        "Subject: [{sev}] {}{host}: {} ({})\n\n",
        one_line(d.headline, 80),
        assessment(d.verdict, d.confidence),
        one_line(&a.alert_id, 80)
    ));
    out.push_str(&format!(
        "Alert: {} ({}, {}, {})\n",
        one_line(&a.title, 160),
        one_line(&a.source, 40),
        a.severity,
        a.timestamp.to_rfc3339()
    ));
    out.push_str(&format!(
        "Assessment: {} ({} confidence)\n\n",
        d.verdict, d.confidence
    ));
    out.push_str(&format!(
        "What happened: {}\n",
        one_line(d.hypothesis, 1200)
    ));
    if !d.evidence.is_empty() {
        out.push_str("\nEvidence:\n");
        for e in d.evidence.iter().take(8) {
            let failed = if e.success { "" } else { " (lookup failed)" };
            out.push_str(&format!(
                "- [{}] {}{failed} ({})\n",
                e.id,
                one_line(&e.claim, 400),
                e.source_tool
            ));
        }
    }
    if !d.techniques.is_empty() {
        out.push_str("\nATT&CK techniques observed:\n");
        for t in d.techniques {
            out.push_str(&format!(
                "- {} {} ({}), shown by {}\n",
                t.id,
                t.name,
                t.tactics.join(", "),
                t.evidence_ids.join(", ")
            ));
        }
    }
    if !d.pivots.is_empty() {
        out.push_str("\nRequested next steps:\n");
        for p in d.pivots {
            out.push_str(&format!(
                "- [{}] {}\n",
                p.priority,
                one_line(&p.action, 300)
            ));
        }
    }
    out.push_str("\nProduced by soc-copilot tier 0 (deterministic triage; every statement above is tied to the evidence ids listed).\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_claims_no_more_than_the_confidence() {
        for (verdict, confidence, words) in [
            (
                Verdict::TruePositive,
                Confidence::High,
                "confirmed malicious activity",
            ),
            (
                Verdict::TruePositive,
                Confidence::Medium,
                "likely malicious activity",
            ),
            (
                Verdict::TruePositive,
                Confidence::Low,
                "possibly malicious activity",
            ),
            (Verdict::FalsePositive, Confidence::Medium, "likely benign"),
        ] {
            assert_eq!(assessment(verdict, confidence), words);
        }
    }
}
