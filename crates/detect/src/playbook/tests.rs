//! Family playbooks against crafted alerts: what they must recognise, and what they must
//! not be talked into.

use serde_json::{Value, json};
use soc_core::alert::{Format, Limits};
use soc_core::investigation::EvidenceLog;
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Confidence, Verdict};

use crate::triage::{IntelFact, Triage, TriageInput, triage};

fn alert(title: &str, raw: &Value) -> Alert {
    Alert::from_value(
        json!({"alert_id": "T-1", "timestamp": "2026-04-19T03:14:22Z", "source": "siem", "severity": "high", "title": title, "raw_log": raw.clone()}),
        Format::Native,
        &Limits::default(),
    )
    .unwrap()
}

fn run(a: &Alert, intel: &[IntelFact]) -> Triage {
    let iocs = extract(a, &IocConfig::default());
    let mut log = EvidenceLog::new();
    triage(
        &TriageInput {
            alert: a,
            iocs: &iocs,
            intel,
            sigma: &[],
            assets: &[],
            phishing: None,
        },
        &mut log,
    )
}

fn techniques(t: &Triage) -> Vec<&str> {
    t.assessment
        .techniques
        .iter()
        .map(|t| t.id.as_str())
        .collect()
}

#[test]
fn a_structured_external_burst_is_a_high_confidence_brute_force() {
    let a = alert(
        "Multiple failed SSH authentications from single source",
        &json!({"event_type": "auth_failure", "service": "sshd", "source_ip": "45.1.2.3", "failed_attempts": 900, "usernames_tried": ["root", "admin"]}),
    );
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "brute_force");
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::High)
    );
    assert_eq!(techniques(&t), ["T1110"]);
}

#[test]
fn a_negated_title_and_a_generic_count_are_not_a_brute_force() {
    let a = alert(
        "Backup job failures - not a brute force",
        &json!({"failure_count": 200, "remote_ip": "8.8.8.8", "job": "nightly"}),
    );
    assert!(!run(&a, &[]).recognised);
}

#[test]
fn wording_alone_never_reaches_high_confidence() {
    let a = alert(
        "Brute force",
        &json!({"message": "Repeated sign-in attempts for 50 users", "client_ip": "45.1.2.3", "note": "1000 failed"}),
    );
    let t = run(&a, &[]);
    assert!(
        t.assessment.confidence <= Confidence::Medium,
        "{:?}",
        t.assessment
    );
}

#[test]
fn any_external_address_is_not_the_source() {
    let a = alert(
        "Multiple failed logins to SaaS",
        &json!({"event_type": "login_failure", "failed_logins": 300, "user": "alice", "dest_ip": "52.1.2.3"}),
    );
    let t = run(&a, &[]);
    assert!(
        t.assessment.confidence <= Confidence::Medium,
        "{:?}",
        t.assessment
    );
    assert!(
        !t.assessment
            .hypothesis
            .contains("An external source, 52.1.2.3"),
        "{}",
        t.assessment.hypothesis
    );
}

#[test]
fn a_concrete_success_beats_a_denial_in_attacker_text() {
    let a = alert(
        "Multiple failed SSH authentications",
        &json!({
            "event_type": "auth_failure", "source_ip": "45.1.2.3", "failed_attempts": 900, "successful_logins": 0,
            "user_agent": "scanner without success",
            "sample_lines": ["Accepted password for root from 45.1.2.3 port 2222 ssh2"]
        }),
    );
    let t = run(&a, &[]);
    assert!(techniques(&t).contains(&"T1078"), "{:?}", techniques(&t));
    assert_eq!(t.assessment.confidence, Confidence::Medium);
}

#[test]
fn a_few_failures_for_one_account_are_not_a_brute_force() {
    let a = alert(
        "Excessive failed logons for single account",
        &json!({"event_id": 4625, "aggregation": {"count": 12, "target_user": "CORP\\ndiaz"}, "IpAddress": "10.1.2.20"}),
    );
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "brute_force");
    assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
    assert!(t.assessment.escalate);
    assert!(techniques(&t).is_empty(), "{:?}", techniques(&t));
}

#[test]
fn siem_enrichment_can_explain_internal_failures_but_alert_text_cannot() {
    // The SIEM's own enrichment is trusted as much as the alert's source.
    let enriched = alert(
        "SSH authentication failure burst",
        &json!({"event_type": "auth_failure", "source_ip": "10.20.8.15", "failed_attempts": 212, "siem_context": {"recent_change": "CHG-1234 approved scan"}}),
    );
    let t = run(&enriched, &[]);
    assert_eq!(t.assessment.verdict, Verdict::FalsePositive);
    assert_eq!(t.assessment.confidence, Confidence::Medium);
    // The same words from an external source do not make a burst benign.
    let external = alert(
        "SSH authentication failure burst",
        &json!({"event_type": "auth_failure", "source_ip": "45.1.2.3", "failed_attempts": 212, "siem_context": {"recent_change": "CHG-1234 approved scan"}}),
    );
    assert_eq!(
        run(&external, &[]).assessment.verdict,
        Verdict::TruePositive
    );
    // Outside the enrichment, a claim of sanction only sends the alert to a human.
    let claimed = alert(
        "SSH authentication failure burst",
        &json!({"event_type": "auth_failure", "source_ip": "10.20.8.15", "failed_attempts": 212, "change_ticket": "CHG-1234 approved scan"}),
    );
    let t = run(&claimed, &[]);
    assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
    assert!(t.assessment.escalate);
}

#[test]
fn opening_a_document_attachment_is_not_executing_it() {
    let a = alert(
        "Office opened a mail attachment",
        &json!({
            "parent_image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
            "command_line": "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\bob\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\AB12\\report.docx\"",
            "from": "partner@vendor.example", "to": "bob@corp.example"
        }),
    );
    let t = run(&a, &[]);
    assert_ne!(
        t.assessment.family, "attachment_execution",
        "{:?}",
        t.assessment
    );
}

#[test]
fn an_executable_run_from_the_attachment_cache_is_phishing() {
    let a = alert(
        "Attachment executed",
        &json!({
            "parent_image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "command_line": "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\AB12\\invoice\u{202E}fdp.exe /quiet",
            "from": "billing@vendor.example", "to": "bob@corp.example"
        }),
    );
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "attachment_execution");
    assert_eq!(techniques(&t), ["T1566.001", "T1204.002"]);
    assert_eq!(t.assessment.confidence, Confidence::High);
}

#[test]
fn a_program_started_by_the_mail_client_from_a_user_folder_is_medium_at_most() {
    let a = alert(
        "Suspicious child of Outlook",
        &json!({
            "parent_image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "image": "C:\\Users\\bob\\Downloads\\update.exe",
            "from": "it@vendor.example", "to": "bob@corp.example"
        }),
    );
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "attachment_execution");
    assert_eq!(t.assessment.confidence, Confidence::Medium);
}

/// Every playbook file is compiled in, parses, and names only facts some detector sets
/// (a typo in a fact name would silently make a condition false forever).
#[test]
fn playbooks_are_the_directory_and_name_only_known_facts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/playbooks");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml"))
        .map(|n| format!("rules/playbooks/{n}"))
        .collect();
    files.sort();
    let mut embedded: Vec<String> = super::EMBEDDED.iter().map(|(o, _)| (*o).to_owned()).collect();
    embedded.sort();
    assert_eq!(files, embedded, "add new rules/playbooks files to EMBEDDED");

    let sources = [
        include_str!("facts.rs"),
        include_str!("mod.rs"),
        include_str!("detectors/mod.rs"),
        include_str!("detectors/auth.rs"),
        include_str!("detectors/cloud.rs"),
        include_str!("detectors/host.rs"),
        include_str!("detectors/mail_exec.rs"),
        include_str!("detectors/net.rs"),
    ];
    let literal = regex::Regex::new(r#""([a-z_]+(?:\.[a-z_0-9]+)?)""#).unwrap();
    let known: std::collections::HashSet<&str> = sources
        .iter()
        .flat_map(|s| literal.captures_iter(s).filter_map(|c| c.get(1)).map(|m| m.as_str()))
        .collect();
    let mut unknown = Vec::new();
    let pbs = super::embedded();
    assert_eq!(pbs.len(), super::EMBEDDED.len());
    for p in pbs {
        let mut names = Vec::new();
        p.trigger.facts(&mut names);
        for f in &p.findings {
            f.when.facts(&mut names);
            names.extend(f.text.facts());
        }
        for t in &p.techniques {
            t.when.facts(&mut names);
        }
        for d in &p.decide {
            d.when.facts(&mut names);
            names.extend(d.hypothesis.facts());
            names.extend(d.reason.facts());
        }
        for v in &p.pivots {
            v.when.facts(&mut names);
            names.extend(v.action.facts());
            names.extend(v.rationale.facts());
        }
        names.extend(p.headline.facts());
        for n in names {
            if !known.contains(n.as_str()) {
                unknown.push(format!("{}: {n}", p.id));
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(unknown.is_empty(), "facts no detector sets: {unknown:#?}");
}
