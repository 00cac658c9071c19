//! The phishing-mail playbook's techniques: a link lure is T1566.002, an attachment lure
//! T1566.001, and neither is claimed without its signal.

use serde_json::json;
use soc_core::Alert;
use soc_core::Verdict;
use soc_core::investigation::{PhishingAnalysis, PhishingSignal, SignalStrength};

use super::test_support::{alert, run_logged_with, techniques};
use crate::triage::Triage;

fn run_with(a: &Alert, phishing: &PhishingAnalysis) -> Triage {
    run_logged_with(a, &[], Some(phishing)).0
}

fn signal(name: &str, strength: SignalStrength) -> PhishingSignal {
    PhishingSignal {
        name: name.to_owned(),
        strength,
        fact: format!("{name} (test)"),
        benign_cause: None,
    }
}

fn analysis(signals: Vec<PhishingSignal>) -> PhishingAnalysis {
    PhishingAnalysis {
        header_from: Some("secure-login-update.example".to_owned()),
        summary: "test analysis.".to_owned(),
        signals,
        ..PhishingAnalysis::default()
    }
}

#[test]
fn an_attachment_lure_is_t1566_001_and_no_link_is_claimed() {
    let raw = json!({
        "log_source": "eop_message_trace",
        "SenderAddress": "billing@rnicrosoft-billing.example",
        "RecipientAddress": "j.doe@corp.example",
        "Subject": "Invoice overdue",
        "AttachmentName": "Invoice_0425.html"
    });
    let a = alert("Phishing mail delivered", &raw);
    let p = analysis(vec![
        signal("dmarc_fail", SignalStrength::Strong),
        signal("attachment_html_document", SignalStrength::Strong),
        signal("composite_auth_fail", SignalStrength::Moderate),
    ]);
    let t = run_with(&a, &p);
    assert_eq!(t.assessment.family, "mail_phishing");
    assert_eq!(t.assessment.verdict, Verdict::TruePositive);
    assert_eq!(techniques(&t), ["T1566.001"]);
    assert!(
        !t.assessment.hypothesis.contains("link is"),
        "{}",
        t.assessment.hypothesis
    );
    assert!(t.assessment.hypothesis.contains("T1566.001"));

    // A lookalike sender alone says nothing about a link.
    let p = analysis(vec![
        signal("dmarc_fail", SignalStrength::Strong),
        signal("lookalike_domain", SignalStrength::Moderate),
        signal("no_aligned_authentication", SignalStrength::Strong),
    ]);
    let t = run_with(&a, &p);
    assert_eq!(t.assessment.verdict, Verdict::TruePositive);
    assert!(
        !techniques(&t).contains(&"T1566.002"),
        "{:?}",
        techniques(&t)
    );
    assert!(!t.assessment.hypothesis.contains("link is"));

    // A credential-harvest link is T1566.002, and the sentence says so.
    let mut linked = raw.clone();
    linked["Url"] = json!("https://login.rnicrosoft-billing.example/auth#j.doe@corp.example");
    let p = analysis(vec![
        signal("dmarc_fail", SignalStrength::Strong),
        signal("recipient_in_url_fragment", SignalStrength::Strong),
    ]);
    let t = run_with(&alert("Phishing mail delivered", &linked), &p);
    assert_eq!(techniques(&t), ["T1566.002"]);
    assert!(t.assessment.hypothesis.contains("The link is"));
}
