//! What the playbook tests share: an alert around a `raw_log`, and tier 0 run over it with
//! no Sigma match, no inventory and no memory.

use serde_json::{Value, json};
use soc_core::Alert;
use soc_core::alert::{Format, Limits};
use soc_core::investigation::{EvidenceLog, PhishingAnalysis};
use soc_core::ioc::{IocConfig, extract};

use crate::triage::{IntelFact, Triage, TriageInput, triage};

/// An alert with this title around `raw` as its `raw_log`.
pub(crate) fn alert(title: &str, raw: &Value) -> Alert {
    Alert::from_value(
        json!({"alert_id": "T-1", "timestamp": "2026-04-19T03:14:22Z", "source": "siem", "severity": "high", "title": title, "raw_log": raw.clone()}),
        Format::Native,
        &Limits::default(),
    )
    .expect("test alert")
}

/// Tier 0 with these intel facts and mail analysis, and the evidence it logged.
pub(crate) fn run_logged_with(
    a: &Alert,
    intel: &[IntelFact],
    phishing: Option<&PhishingAnalysis>,
) -> (Triage, EvidenceLog) {
    let iocs = extract(a, &IocConfig::default());
    let mut log = EvidenceLog::new();
    let t = triage(
        &TriageInput {
            alert: a,
            iocs: &iocs,
            intel,
            sigma: &[],
            events: &crate::sigma::Event::from_alert(a),
            assets: &[],
            phishing,
            prior: &[],
            correlation: None,
        },
        &mut log,
    );
    (t, log)
}

/// Tier 0 with these intel facts, and the evidence it logged.
pub(crate) fn run_logged(a: &Alert, intel: &[IntelFact]) -> (Triage, EvidenceLog) {
    run_logged_with(a, intel, None)
}

/// Tier 0 with these intel facts.
pub(crate) fn run(a: &Alert, intel: &[IntelFact]) -> Triage {
    run_logged(a, intel).0
}

/// The technique ids of the assessment, in order.
pub(crate) fn techniques(t: &Triage) -> Vec<&str> {
    t.assessment
        .techniques
        .iter()
        .map(|t| t.id.as_str())
        .collect()
}
