//! Decisions code makes about a finished investigation, never a model.

use soc_core::investigation::TierRecord;
use soc_core::{Confidence, Investigation, Verdict};

/// Whether an investigation may be closed without a human, and why (or why not).
///
/// Checks, in order, the first failing one deciding: the verdict is `false_positive`; no
/// analyst ruling on a prior sighting overturned the copilot; confidence is `high`; no
/// lookup failed; no model tier failed (a `degraded` entry `llm.*`); every tier the tier
/// policy sent the alert to answered (a tier record whose `next_tier` is N with no
/// record of tier N or above means the stronger model the policy required never ran);
/// the fleet's memory was readable (no `degraded` entry `history`: prior sightings and
/// campaign membership are otherwise unknown); no escalation is recommended; no
/// injection was flagged; the alert is not part of a campaign. There is deliberately no
/// permissive path.
pub fn should_auto_close(inv: &Investigation) -> (bool, String) {
    if inv.verdict != Verdict::FalsePositive {
        return (
            false,
            format!("verdict is {}, not false_positive", inv.verdict),
        );
    }
    if let Some(p) = inv
        .prior_sightings
        .iter()
        .find(|p| p.human_verdict.as_deref().is_some_and(|h| h != p.verdict))
    {
        return (
            false,
            format!(
                "an analyst overturned the copilot on prior alert `{}`: documented miss, human review required",
                p.alert_id
            ),
        );
    }
    if inv.confidence != Confidence::High {
        return (false, format!("confidence is {}, not high", inv.confidence));
    }
    let mut failed: Vec<&str> = inv
        .evidence
        .iter()
        .filter(|e| !e.success)
        .map(|e| e.source_tool.as_str())
        .collect();
    failed.dedup();
    if !failed.is_empty() {
        return (false, format!("lookups failed: {}", failed.join(", ")));
    }
    if let Some(d) = inv
        .degraded
        .iter()
        .find(|d| d.component.starts_with("llm."))
    {
        return (
            false,
            format!(
                "model tier failed (`{}`): the answer that stands is not the one the tier policy asked for",
                d.component
            ),
        );
    }
    if let Some((required, answered)) = unanswered_escalation(&inv.tiers) {
        return (
            false,
            format!(
                "the tier policy required tier {required}, which did not answer; tier {answered}'s answer alone cannot close the alert"
            ),
        );
    }
    if inv.degraded.iter().any(|d| d.component == "history") {
        return (
            false,
            "the history store failed: prior sightings and campaign membership are unknown"
                .to_owned(),
        );
    }
    if inv.escalation_recommended {
        return (false, "escalation recommended".to_owned());
    }
    if !inv.injection_flags.is_empty() {
        return (false, "injection attempt flagged".to_owned());
    }
    if inv.correlation.as_ref().is_some_and(|c| c.is_campaign) {
        return (false, "part of a campaign".to_owned());
    }
    (
        true,
        "high-confidence false positive with no escalation, injection, or campaign signals"
            .to_owned(),
    )
}

/// The highest tier a tier record sent the alert on to (`next_tier`) when no record of
/// that tier or a higher one exists, with the highest tier that did record; `None` when
/// every required tier ran.
fn unanswered_escalation(tiers: &[TierRecord]) -> Option<(u8, u8)> {
    let required = tiers.iter().filter_map(|t| t.next_tier).max()?;
    let answered = tiers.iter().map(|t| t.tier).max().unwrap_or(0);
    (required > answered).then_some((required, answered))
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_core::investigation::Degradation;

    /// A tier record that sent the alert on to `next` (or stopped).
    fn record(tier: u8, next: Option<u8>) -> TierRecord {
        TierRecord {
            tier,
            model: None,
            verdict: Verdict::FalsePositive,
            confidence: Confidence::High,
            reason: "why".to_owned(),
            next_tier: next,
            duration_ms: 0,
        }
    }

    #[test]
    fn a_required_tier_that_never_ran_is_found() {
        let t0 = record(0, Some(1));
        // Tier 1 sent it to tier 2, and no strong model is configured.
        let t1 = record(1, Some(2));
        assert_eq!(
            unanswered_escalation(&[t0.clone(), t1.clone()]),
            Some((2, 1))
        );
        let t2 = record(2, None);
        assert_eq!(unanswered_escalation(&[t0.clone(), t1, t2.clone()]), None);
        // Tier 1 skipped (no cheap model) but tier 2 answered: satisfied.
        assert_eq!(unanswered_escalation(&[t0, t2]), None);
        assert_eq!(unanswered_escalation(&[record(0, None)]), None);
        assert_eq!(unanswered_escalation(&[]), None);
        // The reason's wording plays no part.
        let mut worded = record(0, None);
        worded.reason = "tier 0 concluded; next: tier 2 (critical severity)".to_owned();
        assert_eq!(unanswered_escalation(&[worded]), None);
    }

    #[test]
    fn degraded_model_or_memory_refuses_closure() {
        let mut inv: Investigation = serde_json::from_value(serde_json::json!({
            "schema_version": "1", "investigation_id": "i", "alert_id": "a",
            "alert_fingerprint": "f", "created_at": "2026-01-01T00:00:00Z",
            "verdict": "false_positive", "confidence": "high", "hypothesis": "benign",
            "attack_techniques": [],
            "escalation_recommended": false
        }))
        .expect("investigation");
        assert!(should_auto_close(&inv).0, "{}", should_auto_close(&inv).1);
        for component in ["llm.tier2", "history"] {
            let mut d = inv.clone();
            d.degraded.push(Degradation {
                component: component.into(),
                reason: "down".into(),
            });
            let (eligible, why) = should_auto_close(&d);
            assert!(!eligible, "{component}: {why}");
        }
        inv.tiers.push(record(0, Some(2)));
        assert!(!should_auto_close(&inv).0);
    }
}
