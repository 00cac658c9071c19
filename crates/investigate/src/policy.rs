//! Decisions code makes about a finished investigation, never a model.

use soc_core::{Confidence, Investigation, Verdict};

/// Whether an investigation may be closed without a human, and why (or why not).
///
/// Checks, in order, the first failing one deciding: the verdict is `false_positive`; no
/// analyst ruling on a prior sighting overturned the copilot; confidence is `high`; no
/// lookup failed; no escalation is recommended; no injection was flagged; the alert is
/// not part of a campaign. There is deliberately no permissive path.
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
