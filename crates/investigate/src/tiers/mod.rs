//! The LLM tiers behind tier 0 (DESIGN §5): tier 1, one call to a cheap model with tier
//! 0's evidence; tier 2, a strong model in a bounded tool loop. The policy
//! ([`policy`]) decides who runs; every step and its reason lands in `tiers`.
//!
//! What a model may change is limited to the model-owned fields, after grounding
//! ([`crate::ground`]). Code keeps the rest, and three rules hold whatever a model says:
//! a model cannot clear an alert tier 0 found malicious (its false positive becomes
//! `inconclusive` for a human), cannot clear one carrying planted instructions, and cannot
//! withdraw the escalation of anything but a false positive. An LLM failure never loses
//! the alert: the last tier's answer stands and `degraded` says why.

pub mod policy;
mod run;
mod tools;

use std::sync::Arc;

use soc_core::investigation::Pivot;
use soc_core::{Confidence, Verdict};
use soc_llm::TierClients;

pub use policy::{Mode, Next, Standing, Thresholds};
pub use run::{ModelAnswer, TierContext};

use crate::prompt::Prompts;

/// Bounds of the model tiers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most model turns in the tier-2 loop. Default 10.
    pub max_iterations: u32,
    /// Longest tool result sent back to the model, in characters. Default 6000.
    pub max_tool_result_chars: usize,
    /// Output token cap of a tier-1 call. Default 2048.
    pub tier1_max_tokens: u32,
    /// Output token cap of a tier-2 call. Default 4096.
    pub tier2_max_tokens: u32,
    /// Correction turns for an answer that cannot be read or is not in schema. Default 2.
    pub max_corrections: u32,
    /// Most tool calls run in one tier-2 investigation, over all its turns (the final
    /// answer is not counted); calls beyond it get an error result. Default 20.
    pub max_tool_calls: u32,
    /// Most `lookup_indicator` calls run in one tier-2 investigation (each asks every
    /// provider that handles the indicator); calls beyond it get an error result.
    /// Default 10.
    pub max_lookups: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_iterations: 10,
            max_tool_result_chars: 6000,
            tier1_max_tokens: 2048,
            tier2_max_tokens: 4096,
            max_corrections: 2,
            max_tool_calls: 20,
            max_lookups: 10,
        }
    }
}

/// Called while a model tier runs (each model turn and tool call), so a worker can tell
/// the queue the message is still being worked on.
pub type Progress = Arc<dyn Fn() + Send + Sync>;

/// The model tiers: clients, policy, limits and prompts.
#[derive(Clone)]
pub struct LlmTiers {
    /// The client of each tier (`None`: that tier is not configured).
    pub clients: TierClients,
    /// The mode.
    pub mode: Mode,
    /// Policy thresholds.
    pub thresholds: Thresholds,
    /// Bounds.
    pub limits: Limits,
    /// Prompt templates.
    pub prompts: Prompts,
}

impl std::fmt::Debug for LlmTiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmTiers")
            .field("cheap", &self.clients.cheap.as_ref().map(|c| &c.model))
            .field("strong", &self.clients.strong.as_ref().map(|c| &c.model))
            .field("mode", &self.mode)
            .field("thresholds", &self.thresholds)
            .field("limits", &self.limits)
            .finish()
    }
}

impl LlmTiers {
    /// Tiers over `clients` with the default policy, limits and prompts.
    pub fn new(clients: TierClients) -> Self {
        Self {
            clients,
            mode: Mode::Auto,
            thresholds: Thresholds::default(),
            limits: Limits::default(),
            prompts: Prompts::default(),
        }
    }

    /// True when at least one model tier has a client.
    pub fn any_configured(&self) -> bool {
        self.clients.cheap.is_some() || self.clients.strong.is_some()
    }

    /// Whether the mode can run: `pipeline` needs the cheap tier's client and `agentic`
    /// the strong one's. Call it at start; a run that finds the forced tier missing
    /// records it in `degraded` instead.
    ///
    /// # Errors
    ///
    /// [`MissingTier`] naming the mode, the tier and the setting of its model.
    pub fn check(&self) -> Result<(), MissingTier> {
        let tier = match self.mode {
            Mode::Pipeline if self.clients.cheap.is_none() => soc_llm::Tier::Cheap,
            Mode::Agentic if self.clients.strong.is_none() => soc_llm::Tier::Strong,
            _ => return Ok(()),
        };
        Err(MissingTier {
            mode: self.mode,
            tier,
        })
    }
}

/// A mode that forces a tier which has no client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "mode `{}` runs tier {}, which has no model: the provider of {} is not configured",
    .mode.as_str(),
    .tier.number(),
    .tier.setting()
)]
pub struct MissingTier {
    /// The mode.
    pub mode: Mode,
    /// The tier it forces.
    pub tier: soc_llm::Tier,
}

/// The final model answer's effect on the investigation, after the safety rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The verdict.
    pub verdict: Verdict,
    /// The confidence.
    pub confidence: Confidence,
    /// Escalation.
    pub escalate: bool,
    /// A note for the transcript when a safety rule changed the model's answer.
    pub overruled: Option<String>,
}

/// The safety rules over a model's verdict (see the module docs).
pub fn settle(
    tier0_verdict: Verdict,
    injection: bool,
    model_verdict: Verdict,
    model_confidence: Confidence,
    model_escalate: Option<bool>,
) -> Applied {
    let (verdict, confidence, overruled) = match model_verdict {
        Verdict::FalsePositive if tier0_verdict == Verdict::TruePositive => (
            Verdict::Inconclusive,
            Confidence::Low,
            Some("the model called it a false positive against tier 0's true positive: a human decides".to_owned()),
        ),
        Verdict::FalsePositive if injection => (
            Verdict::Inconclusive,
            Confidence::Low,
            Some("the model called it a false positive on an alert carrying planted instructions: a human decides".to_owned()),
        ),
        v => (v, model_confidence, None),
    };
    let escalate = injection
        || verdict != Verdict::FalsePositive
        || model_escalate.unwrap_or(confidence != Confidence::High);
    Applied {
        verdict,
        confidence,
        escalate,
        overruled,
    }
}

/// Model pivots first, then tier 0's that the model did not repeat; at most 10.
pub fn merge_pivots(model: &[Pivot], tier0: &[Pivot]) -> Vec<Pivot> {
    let mut out: Vec<Pivot> = Vec::new();
    for p in model.iter().chain(tier0) {
        let key = p.action.to_lowercase();
        if !out.iter().any(|q| q.action.to_lowercase() == key) {
            out.push(p.clone());
        }
        if out.len() == 10 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_cannot_clear_what_tier0_or_planted_text_makes_suspicious() {
        let a = settle(
            Verdict::TruePositive,
            false,
            Verdict::FalsePositive,
            Confidence::High,
            Some(false),
        );
        assert_eq!(
            (a.verdict, a.confidence, a.escalate),
            (Verdict::Inconclusive, Confidence::Low, true)
        );
        let b = settle(
            Verdict::Inconclusive,
            true,
            Verdict::FalsePositive,
            Confidence::High,
            Some(false),
        );
        assert_eq!(b.verdict, Verdict::Inconclusive);
        assert!(b.escalate);
        let c = settle(
            Verdict::Inconclusive,
            false,
            Verdict::FalsePositive,
            Confidence::High,
            Some(false),
        );
        assert_eq!(
            (c.verdict, c.escalate, c.overruled),
            (Verdict::FalsePositive, false, None)
        );
        let d = settle(
            Verdict::Inconclusive,
            false,
            Verdict::TruePositive,
            Confidence::High,
            Some(false),
        );
        assert!(d.escalate, "a true positive is always escalated");
    }
}
