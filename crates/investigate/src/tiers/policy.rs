//! When an investigation moves from one tier to the next: pure functions over what the
//! previous tier concluded, each returning its reason (recorded in `tiers`).

use soc_core::{Confidence, Verdict};

/// How far up the tiers an investigation may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Follow the policy (default): tier 0, then tier 1 where tier 0 is not confident
    /// enough, then tier 2 where tier 1 is not a clean high-confidence false positive.
    #[default]
    Auto,
    /// Stop at tier 0 (no model call, ever).
    Triage,
    /// Force the one-call tier whatever tier 0 concluded (the reference's default mode).
    Pipeline,
    /// Force the agentic tool loop whatever tier 0 concluded (the reference's `--agentic`).
    Agentic,
}

impl Mode {
    /// Parses `auto`, `triage`, `pipeline` or `agentic`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "triage" => Some(Self::Triage),
            "pipeline" => Some(Self::Pipeline),
            "agentic" => Some(Self::Agentic),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Triage => "triage",
            Self::Pipeline => "pipeline",
            Self::Agentic => "agentic",
        }
    }
}

/// Thresholds of the tier policy (config `[llm]`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Tier 0's answer stands under `auto` when a playbook recognised the alert, its
    /// verdict is not `inconclusive`, and its confidence is at least this. Default medium.
    pub tier0_stands_at: Confidence,
    /// Ask the strong model for the write-up of every escalation, even when tier 0 is
    /// confident. Default false.
    pub write_up_every_escalation: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            tier0_stands_at: Confidence::Medium,
            write_up_every_escalation: false,
        }
    }
}

/// What a tier concluded, and the context the policy weighs.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    /// A playbook recognised the alert (tier 0 only; true for model tiers).
    pub recognised: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// The confidence.
    pub confidence: Confidence,
    /// Escalation recommended.
    pub escalate: bool,
    /// The alert's severity is critical.
    pub critical: bool,
    /// Instructions were planted in the alert or a tool output.
    pub injection: bool,
    /// A lookup failed.
    pub failed_lookups: bool,
    /// The alert is part of a campaign.
    pub campaign: bool,
    /// An analyst overturned an earlier verdict on the same indicators.
    pub overturned: bool,
}

/// The next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The current answer stands.
    Stop(String),
    /// Run tier 1.
    Tier1(String),
    /// Run tier 2.
    Tier2(String),
}

/// After tier 0.
pub fn after_tier0(mode: Mode, t: &Thresholds, s: &Standing) -> Next {
    match mode {
        Mode::Triage => return Next::Stop("triage mode stops at tier 0".into()),
        Mode::Pipeline => {
            return Next::Tier1("pipeline mode forces the one-call tier".into());
        }
        Mode::Agentic => return Next::Tier2("agentic mode forces the tool loop".into()),
        Mode::Auto => {}
    }
    if !s.recognised {
        return Next::Tier1("no tier-0 playbook recognised the alert".into());
    }
    if s.verdict == Verdict::Inconclusive {
        return Next::Tier1("tier 0 could not decide (inconclusive)".into());
    }
    if s.confidence < t.tier0_stands_at {
        return Next::Tier1(format!(
            "tier 0's confidence ({}) is below the {} it needs to stand",
            s.confidence, t.tier0_stands_at
        ));
    }
    if t.write_up_every_escalation && s.escalate {
        return Next::Tier2(
            "the configuration asks for the strong model's write-up on every escalation".into(),
        );
    }
    Next::Stop(format!(
        "tier 0 is confident enough ({} at {} confidence)",
        s.verdict, s.confidence
    ))
}

/// After tier 1 (reference §3.1, in its order, plus disagreement with a recognising
/// tier 0): the first check that fires promotes to tier 2; otherwise tier 1's answer, a
/// clean high-confidence false positive, stands.
pub fn after_tier1(mode: Mode, s: &Standing, tier0: Option<&Standing>) -> Next {
    if mode == Mode::Pipeline {
        return Next::Stop("pipeline mode ends at the one-call tier".into());
    }
    if s.critical {
        return Next::Tier2("critical severity: the strong model always weighs in".into());
    }
    if s.overturned {
        return Next::Tier2("an analyst overturned an earlier verdict on these indicators".into());
    }
    if s.verdict != Verdict::FalsePositive {
        return Next::Tier2(format!(
            "tier 1 concluded {}, not false_positive",
            s.verdict
        ));
    }
    if s.confidence != Confidence::High {
        return Next::Tier2(format!("tier 1's confidence is {}, not high", s.confidence));
    }
    if s.failed_lookups {
        return Next::Tier2("a lookup failed".into());
    }
    if s.escalate {
        return Next::Tier2("tier 1 recommends escalation".into());
    }
    if s.injection {
        return Next::Tier2("planted instructions were found".into());
    }
    if s.campaign {
        return Next::Tier2("the alert is part of a campaign".into());
    }
    if let Some(t0) = tier0.filter(|t| t.recognised && t.verdict != Verdict::Inconclusive)
        && t0.verdict != s.verdict
    {
        return Next::Tier2(format!(
            "tier 1 ({}) disagrees with tier 0 ({})",
            s.verdict, t0.verdict
        ));
    }
    Next::Stop(
        "clean high-confidence false positive on a below-critical alert: tier 1 is authoritative"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(v: Verdict, c: Confidence) -> Standing {
        Standing {
            recognised: true,
            verdict: v,
            confidence: c,
            escalate: false,
            critical: false,
            injection: false,
            failed_lookups: false,
            campaign: false,
            overturned: false,
        }
    }

    #[test]
    fn tier0_stands_only_when_recognised_decided_and_confident() {
        let t = Thresholds::default();
        let ok = standing(Verdict::TruePositive, Confidence::Medium);
        assert!(matches!(after_tier0(Mode::Auto, &t, &ok), Next::Stop(_)));
        let low = standing(Verdict::TruePositive, Confidence::Low);
        assert!(matches!(after_tier0(Mode::Auto, &t, &low), Next::Tier1(_)));
        let inc = standing(Verdict::Inconclusive, Confidence::High);
        assert!(matches!(after_tier0(Mode::Auto, &t, &inc), Next::Tier1(_)));
        let unrec = Standing {
            recognised: false,
            ..ok
        };
        assert!(matches!(
            after_tier0(Mode::Auto, &t, &unrec),
            Next::Tier1(_)
        ));
        assert!(matches!(after_tier0(Mode::Triage, &t, &low), Next::Stop(_)));
        assert!(matches!(
            after_tier0(Mode::Pipeline, &t, &ok),
            Next::Tier1(_)
        ));
        assert!(matches!(
            after_tier0(Mode::Agentic, &t, &ok),
            Next::Tier2(_)
        ));
        let write_up = Thresholds {
            write_up_every_escalation: true,
            ..t
        };
        let esc = Standing {
            escalate: true,
            ..ok
        };
        assert!(matches!(
            after_tier0(Mode::Auto, &write_up, &esc),
            Next::Tier2(_)
        ));
    }

    #[test]
    fn only_a_clean_high_confidence_false_positive_stops_at_tier1() {
        let clean = standing(Verdict::FalsePositive, Confidence::High);
        assert!(matches!(
            after_tier1(Mode::Auto, &clean, None),
            Next::Stop(_)
        ));
        for s in [
            Standing {
                critical: true,
                ..clean
            },
            Standing {
                overturned: true,
                ..clean
            },
            standing(Verdict::TruePositive, Confidence::High),
            standing(Verdict::FalsePositive, Confidence::Medium),
            Standing {
                failed_lookups: true,
                ..clean
            },
            Standing {
                escalate: true,
                ..clean
            },
            Standing {
                injection: true,
                ..clean
            },
            Standing {
                campaign: true,
                ..clean
            },
        ] {
            assert!(
                matches!(after_tier1(Mode::Auto, &s, None), Next::Tier2(_)),
                "{s:?}"
            );
        }
        let t0 = standing(Verdict::TruePositive, Confidence::Low);
        assert!(matches!(
            after_tier1(Mode::Auto, &clean, Some(&t0)),
            Next::Tier2(r) if r.contains("disagrees")
        ));
        assert!(matches!(
            after_tier1(
                Mode::Pipeline,
                &standing(Verdict::TruePositive, Confidence::Low),
                None
            ),
            Next::Stop(_)
        ));
    }
}
