//! Family playbooks against crafted alerts: what they must recognise, and what they must
//! not be talked into.

use serde_json::{Value, json};
use soc_core::alert::{Format, Limits};
use soc_core::investigation::EvidenceLog;
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Confidence, Verdict};

use super::test_support::{alert, run, run_logged, techniques};
use crate::triage::{IntelFact, Triage, TriageInput, triage};

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

/// The decision's evidence claim: "Tier-0 playbook `..` concluded ..: <because>".
fn decision_claim(a: &Alert) -> (Triage, String) {
    let (t, log) = run_logged(a, &[]);
    let claim = log
        .items()
        .iter()
        .map(|e| e.claim.clone())
        .find(|c| c.contains(" concluded "))
        .unwrap_or_default();
    (t, claim)
}

#[test]
fn a_medium_confidence_burst_names_the_one_reason_that_held() {
    // (raw log, the reason that must be named); every case is a true positive at medium.
    let cases = [
        (
            json!({"event_type": "auth_failure", "service": "sshd", "source_ip": "45.1.2.3", "failed_attempts": 900, "successful_logins": 2}),
            "recorded successful login",
        ),
        (
            json!({"event_type": "auth_failure", "service": "sshd", "source_ip": "10.9.8.7", "failed_attempts": 900}),
            "not a known external address",
        ),
        (
            json!({"message": "Repeated sign-in attempts for 50 users", "client_ip": "45.1.2.3", "note": "1000 failed"}),
            "come from the alert's wording",
        ),
        (
            json!({"event_type": "auth_failure", "service": "sshd", "source_ip": "45.1.2.3", "failed_attempts": 60}),
            "neither large nor from a listed source",
        ),
        (
            json!({"event_type": "auth_failure", "service": "sshd", "source_ip": "45.1.2.3", "failed_attempts": 0,
                   "usernames_tried": ["root", "admin", "oracle", "ubuntu", "test", "pi", "git", "deploy", "ftp", "www", "guest"]}),
            "counts contradict each other",
        ),
    ];
    let reasons: Vec<&str> = cases.iter().map(|(_, r)| *r).collect();
    for (raw, reason) in &cases {
        let a = alert(
            "Multiple failed SSH authentications from single source",
            raw,
        );
        let (t, claim) = decision_claim(&a);
        assert_eq!(t.assessment.family, "brute_force", "{raw}");
        assert_eq!(
            (t.assessment.verdict, t.assessment.confidence),
            (Verdict::TruePositive, Confidence::Medium),
            "{raw}: {claim}"
        );
        assert!(claim.contains(reason), "{raw}: {claim}");
        for other in reasons.iter().filter(|r| *r != reason) {
            assert!(!claim.contains(other), "{raw} also says {other:?}: {claim}");
        }
    }
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
    // Enrichment that says nothing about failures does not explain them: a ticket for
    // other work, a monitoring tag.
    for ctx in [
        json!({"change_ticket": "CHG-50001 routine maintenance"}),
        json!({"asset_tags": ["monitoring"]}),
        json!({"change_ticket": "CHG-40104 monthly patching"}),
    ] {
        let other = alert(
            "SSH authentication failure burst",
            &json!({"event_type": "auth_failure", "source_ip": "10.20.8.15", "failed_attempts": 212, "siem_context": ctx}),
        );
        assert_ne!(
            run(&other, &[]).assessment.verdict,
            Verdict::FalsePositive,
            "{ctx}"
        );
    }
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
    let mut embedded: Vec<String> = super::EMBEDDED
        .iter()
        .map(|(o, _)| (*o).to_owned())
        .collect();
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
        include_str!("detectors/access.rs"),
        include_str!("detectors/antivirus.rs"),
        include_str!("detectors/task.rs"),
    ];
    let literal = regex::Regex::new(r#""([a-z_]+(?:\.[a-z_0-9]+)?)""#).unwrap();
    let known: std::collections::HashSet<&str> = sources
        .iter()
        .flat_map(|s| {
            literal
                .captures_iter(s)
                .filter_map(|c| c.get(1))
                .map(|m| m.as_str())
        })
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

fn listed(value: &str, tags: &[&str]) -> IntelFact {
    IntelFact {
        ioc: soc_core::Ioc {
            kind: soc_core::IocKind::Ipv4,
            value: value.to_owned(),
            scope: Some(soc_core::Scope::External),
        },
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        malicious: true,
        suspicious: false,
        success: true,
        evidence_id: "ev-intel".to_owned(),
    }
}

#[test]
fn a_waf_campaign_is_an_attack_even_when_blocked_and_prose_is_not() {
    let attack = alert(
        "WAF: SQLi signature matched on /shop/search",
        &json!({"event_type": "waf_alert", "client_ip": "203.0.113.50", "user_agent": "Mozilla/5.0 sqlmap/1.7", "requests_in_window": 90,
                "distinct_payload_families": ["error-based", "stacked"], "waf_action_summary": {"blocked": 90, "allowed": 0},
                "sample_matches": [{"query": "q=1' OR '1'='1", "matched_rule_msg": "SQL Injection Attack", "waf_action": "blocked"}]}),
    );
    let t = run(&attack, &[]);
    assert_eq!(t.assessment.family, "waf_sqli");
    assert_eq!(t.assessment.verdict, Verdict::TruePositive);
    assert!(t.assessment.escalate);
    assert_eq!(techniques(&t), ["T1190"]);
    let prose = alert(
        "WAF: SQL injection signature matched on /kb/search",
        &json!({"event_type": "waf_alert", "client_ip": "10.1.1.9", "authenticated_user": "a.user", "requests_in_window": 1,
                "sample_matches": [{"query": "q=why+does+select+from+where+return+nothing", "matched_rule_msg": "SQL Injection Attack", "waf_action": "allowed"}]}),
    );
    let t = run(&prose, &[]);
    assert_eq!(t.assessment.verdict, Verdict::FalsePositive);
    assert!(!t.assessment.escalate);
    assert!(techniques(&t).is_empty());
    // The same prose from the internet with an attack tool is not waved through.
    let probing = alert(
        "WAF: SQL injection signature matched on /kb/search",
        &json!({"event_type": "waf_alert", "client_ip": "203.0.113.9", "user_agent": "sqlmap/1.8", "requests_in_window": 1,
                "sample_matches": [{"query": "q=why+does+select+from+where+return+nothing", "matched_rule_msg": "SQL Injection Attack", "waf_action": "allowed"}]}),
    );
    assert_ne!(
        run(&probing, &[]).assessment.verdict,
        Verdict::FalsePositive
    );
}

#[test]
fn shadow_copy_deletion_is_benign_only_with_the_inventory() {
    let ransom = alert(
        "Shadow copies removed",
        &json!({"event_type": "process_creation", "host": "fs-1.corp.internal", "parent_process_path": "C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe",
                "parent_signature_status": "unsigned", "command_line": "vssadmin delete shadows /all /quiet"}),
    );
    let t = run(&ransom, &[]);
    assert_eq!(t.assessment.family, "inhibit_recovery");
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::High)
    );
    assert!(techniques(&t).contains(&"T1490"));
    // A bounded prune by a signed agent, but no inventory entry: not called benign.
    let prune = alert(
        "Shadow copy removed",
        &json!({"event_type": "process_creation", "host": "bk-1.corp.internal", "parent_process_path": "C:\\Program Files\\Backup\\agent.exe",
                "parent_signature_status": "signed (Backup Inc.)", "command_line": "vssadmin delete shadows /for=D: /oldest /quiet",
                "cron_window_match": "nightly"}),
    );
    let t = run(&prune, &[]);
    assert_ne!(t.assessment.verdict, Verdict::FalsePositive);
    assert!(t.assessment.escalate);
}

#[test]
fn an_unverified_app_with_mail_scopes_used_from_a_listed_address_is_illicit_consent() {
    let a = alert(
        "OAuth consent granted to application 'Doc Helper'",
        &json!({"operation": "Consent to application", "initiated_by": "u@corp.example", "app_display_name": "Doc Helper", "app_id": "11111111-2222-3333-4444-555555555555",
                "publisher_verified": false, "app_registration_age_days": 2, "scopes_granted": "Mail.Read Files.Read.All offline_access",
                "post_consent_graph_activity_2h": {"source_ip": "198.51.100.7", "user_agent": "curl/8.0", "mail_messages_read": 300}}),
    );
    let t = run(&a, &[listed("198.51.100.7", &["tor_exit"])]);
    assert_eq!(t.assessment.family, "oauth_consent");
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::High)
    );
    assert!(techniques(&t).contains(&"T1528"));
    assert!(
        t.assessment
            .pivots
            .iter()
            .any(|p| p.action.contains("Revoke"))
    );
    // Small scopes from a verified publisher with nothing after: not called malicious.
    let benign = alert(
        "OAuth consent granted to application 'Whiteboard'",
        &json!({"operation": "Consent to application", "app_display_name": "Whiteboard", "publisher_verified": true, "scopes_granted": "User.Read"}),
    );
    assert_eq!(run(&benign, &[]).assessment.verdict, Verdict::Inconclusive);
}

#[test]
fn dns_tunnelling_needs_volume_and_encoded_names() {
    let tunnel = alert(
        "DNS anomaly: many unique subdomains",
        &json!({"event_type": "dns_anomaly", "domain": "c2.example", "query_count": 5000, "distinct_subdomains": 4800,
                "sample_queries": ["a8f3k2l9x0q1w7e6r5t4.c2.example", "z9y8x7w6v5u4t3s2r1q0.c2.example"], "first_seen_domain": "2026-04-18T22:00:00Z"}),
    );
    let t = run(&tunnel, &[]);
    assert_eq!(t.assessment.family, "dns_tunnel");
    assert_eq!(t.assessment.verdict, Verdict::TruePositive);
    assert!(techniques(&t).contains(&"T1071.004"));
    let busy = alert(
        "DNS anomaly: many queries",
        &json!({"event_type": "dns_anomaly", "domain": "cdn.example", "query_count": 5000, "distinct_subdomains": 3,
                "sample_queries": ["www.cdn.example", "img.cdn.example"]}),
    );
    assert_ne!(run(&busy, &[]).assessment.family, "dns_tunnel");
}

#[test]
fn an_ip_list_hit_on_shared_cdn_space_for_an_unlisted_site_is_a_false_positive() {
    let a = alert(
        "Outbound connection to IP on threat feed",
        &json!({"log_source": "web_proxy", "src_ip": "10.2.3.4", "url": "https://files.vendor.example/a.pdf", "dest_host": "files.vendor.example", "dest_ip": "104.16.1.1"}),
    );
    let t = run(&a, &[listed("104.16.1.1", &["threatfox"])]);
    assert_eq!(t.assessment.family, "intel_hit");
    assert_eq!(t.assessment.verdict, Verdict::FalsePositive);
    // The same hit on an address that is not shared infrastructure stays with a human.
    let b = alert(
        "Outbound connection to IP on threat feed",
        &json!({"log_source": "web_proxy", "src_ip": "10.2.3.4", "url": "https://files.vendor.example/a.pdf", "dest_host": "files.vendor.example", "dest_ip": "198.51.100.20"}),
    );
    let t = run(&b, &[listed("198.51.100.20", &["threatfox"])]);
    assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
    assert!(t.assessment.escalate);
}

#[test]
fn encoded_powershell_from_office_is_an_attack_and_from_a_management_agent_is_not() {
    let office = alert(
        "Encoded PowerShell",
        &json!({"event_type": "process_creation", "parent_process": "EXCEL.EXE", "process": "powershell.exe",
                "command_line": "powershell.exe -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="}),
    );
    let t = run(&office, &[]);
    assert_eq!(t.assessment.family, "encoded_powershell");
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::High)
    );
    assert!(techniques(&t).contains(&"T1059.001"));
    let agent = alert(
        "Encoded PowerShell",
        &json!({"event_type": "process_creation", "user": "NT AUTHORITY\\SYSTEM", "parent_process_path": "C:\\Windows\\CCM\\CcmExec.exe", "process": "powershell.exe",
                "command_line": "powershell.exe -NonInteractive -EncodedCommand RwBlAHQALQBTAGUAcgB2AGkAYwBlAA=="}),
    );
    let t = run(&agent, &[]);
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::FalsePositive, Confidence::Medium)
    );
}

#[test]
fn a_remediated_detection_of_real_tooling_is_contained_not_benign() {
    let a = alert(
        "Antivirus detection: HackTool:Win32/Mimikatz (quarantined)",
        &json!({"provider": "Microsoft-Windows-Windows Defender", "event_id": 1117, "event_data": {"Threat Name": "HackTool:Win32/Mimikatz", "Action Name": "Quarantine", "Path": "file:_C:\\Users\\x\\Downloads\\m.exe"}}),
    );
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "antivirus");
    assert_eq!(t.assessment.verdict, Verdict::TruePositive);
    assert!(!t.assessment.escalate, "contained");
}

#[test]
fn a_failed_action_remediates_nothing_and_an_eicar_name_on_another_file_is_a_disguise() {
    // Tier 0 on a Defender event with this threat, path and error code.
    let defender = |id: u32, threat: &str, path: &str, code: &str| {
        run(
            &alert(
                "Defender detection",
                &json!({"provider": "Microsoft-Windows-Windows Defender", "event_id": id, "event_data": {
                    "Threat Name": threat, "Action Name": "Quarantine", "Path": path, "Error Code": code,
                    "Error Description": "The process cannot access the file because it is being used by another process."}}),
            ),
            &[],
        )
        .assessment
    };
    let mimikatz = |code: &str| {
        defender(
            1117,
            "HackTool:Win32/Mimikatz",
            "file:_C:\\Users\\x\\m.exe",
            code,
        )
    };
    // Quarantine named, but it failed: not contained, escalated.
    let a = mimikatz("0x80070020");
    assert_eq!(a.family, "antivirus");
    assert_eq!(a.verdict, Verdict::TruePositive);
    assert!(a.escalate, "{}", a.hypothesis);
    assert!(a.hypothesis.contains("action failed"), "{}", a.hypothesis);
    // A zero error code is a success; a code that is not a number says nothing: both
    // still contained.
    for code in ["0x00000000", "-"] {
        let a = mimikatz(code);
        assert!(!a.escalate, "contained: {}", a.hypothesis);
    }
    // The EICAR name on a program that is not the test file.
    let a = defender(
        1116,
        "Tool:Win32/EICAR_Test_File",
        "file:_C:\\Users\\x\\AppData\\Local\\Temp\\svc.exe",
        "0x80070020",
    );
    assert_eq!(a.verdict, Verdict::TruePositive);
    assert!(a.escalate);
    assert!(
        a.hypothesis.contains("not the test file") && !a.hypothesis.contains("contains no code"),
        "{}",
        a.hypothesis
    );
    assert!(
        a.techniques.iter().any(|t| t.id == "T1036"),
        "a disguise is masquerading: {:?}",
        a.techniques
    );
    // A folder that says "eicar" does not make a program the test file.
    let a = defender(
        1116,
        "Tool:Win32/EICAR_Test_File",
        "file:_C:\\Temp\\eicar\\svc.exe",
        "0x0",
    );
    assert!(
        a.hypothesis.contains("not the test file"),
        "{}",
        a.hypothesis
    );
    // The test file itself, quarantined: not a disguise.
    let a = defender(
        1117,
        "Virus:DOS/EICAR_Test_File",
        "file:_C:\\Users\\x\\Downloads\\eicar.com",
        "0x00000000",
    );
    assert!(
        !a.hypothesis.contains("not the test file"),
        "{}",
        a.hypothesis
    );
    assert_eq!(a.verdict, Verdict::Inconclusive);
}

#[test]
fn a_staged_archive_uploaded_far_beyond_baseline_is_high_confidence_exfiltration() {
    let a = alert(
        "Large outbound transfer",
        &json!({"event_type": "network_transfer", "host": "app-7.corp.internal", "user": "deploy",
                "process": "rclone.exe", "staged_file": "D:\\tmp\\export.zip", "destination_ip": "45.83.64.12",
                "destination_port": 22, "bytes_out": 5_000_000_000u64, "baseline_daily_egress_bytes": 20_000_000}),
    );
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "exfiltration");
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::High)
    );
    assert_eq!(techniques(&t), ["T1560", "T1048"]);
    assert!(t.assessment.hypothesis.contains("45.83.64.12"));

    // A modest transfer to an internal destination is not exfiltration.
    let internal = alert(
        "Outbound transfer",
        &json!({"event_type": "network_transfer", "host": "app-7.corp.internal", "staged_file": "D:\\tmp\\export.zip",
                "destination_ip": "10.2.3.4", "bytes_out": 5_000_000_000u64}),
    );
    assert_ne!(run(&internal, &[]).assessment.family, "exfiltration");

    // Large, but no archive and no baseline: medium, not high.
    let plain = alert(
        "Outbound transfer",
        &json!({"event_type": "network_transfer", "host": "app-7.corp.internal", "destination_domain": "files.mega.nz",
                "destination_port": 443, "bytes_out": 3_000_000_000u64}),
    );
    let t = run(&plain, &[]);
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::Medium)
    );
    assert_eq!(techniques(&t), ["T1567"]);
}

#[test]
fn an_external_login_needs_anomalies_to_be_called_valid_account_misuse() {
    let ecs = |labels: Value| {
        Alert::from_value(
            json!({"_source": {"@timestamp": "2026-06-10T22:14:07Z",
                "kibana": {"alert": {"uuid": "X-1", "severity": "medium", "rule": {"name": "External authentication"}}},
                "event": {"category": ["authentication"], "outcome": "success"}, "host": {"name": "build-2.corp.internal"},
                "user": {"name": "j.doe"}, "source": {"ip": "45.83.64.12"},
                "message": "sshd: Accepted publickey for j.doe from 45.83.64.12 port 50000", "labels": labels}}),
            Format::Ecs,
            &Limits::default(),
        )
        .unwrap()
    };
    let t = run(
        &ecs(json!({"mfa": "none", "prior_external_auths_180d": "0"})),
        &[],
    );
    assert_eq!(t.assessment.family, "external_access");
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::Medium)
    );
    assert!(techniques(&t).contains(&"T1078"));
    assert!(!techniques(&t).contains(&"T1110"));
    let t = run(
        &ecs(json!({"mfa": "push", "prior_external_auths_180d": "14"})),
        &[],
    );
    assert_eq!(
        (t.assessment.family.as_str(), t.assessment.verdict),
        ("external_access", Verdict::Inconclusive)
    );
    // Failed logins are the brute-force playbook's, not this one's.
    let failed = alert(
        "SSH failures",
        &json!({"event_type": "auth_failure", "source_ip": "45.83.64.12", "failed_attempts": 300, "message": "Failed password for root"}),
    );
    assert_ne!(run(&failed, &[]).assessment.family, "external_access");
}

#[test]
fn memory_names_a_campaign_and_only_an_analysts_ruling_raises_confidence() {
    use soc_core::investigation::{Correlation, PriorSighting, RelatedAlert};
    let a = alert(
        "Outbound transfer",
        &json!({"event_type": "network_transfer", "host": "app-7.corp.internal", "destination_domain": "files.mega.nz",
                "destination_port": 443, "bytes_out": 3_000_000_000u64}),
    );
    let at = a.timestamp;
    let prior = |human: Option<&str>| PriorSighting {
        alert_id: "P-9".into(),
        timestamp: at,
        verdict: "true_positive".into(),
        confidence: "medium".into(),
        title: "earlier".into(),
        matched_iocs: vec!["files.mega.nz".into()],
        human_verdict: human.map(str::to_owned),
        human_summary: None,
    };
    let related = |id: &str| RelatedAlert {
        alert_id: id.into(),
        timestamp: at,
        verdict: "true_positive".into(),
        signals: vec!["shared_host:app-7.corp.internal".into()],
    };
    let campaign = Correlation {
        is_campaign: true,
        window_hours: 72,
        related_alerts: vec![related("R-1"), related("R-2")],
        summary: "Possible coordinated campaign".into(),
    };
    let go = |prior: &[PriorSighting], corr: Option<&Correlation>| {
        let iocs = extract(&a, &IocConfig::default());
        let mut log = EvidenceLog::new();
        triage(
            &TriageInput {
                alert: &a,
                iocs: &iocs,
                intel: &[],
                sigma: &[],
                events: &crate::sigma::Event::from_alert(&a),
                assets: &[],
                phishing: None,
                prior,
                correlation: corr,
            },
            &mut log,
        )
    };
    // A campaign by host is named, with a pivot, but confidence stays.
    let t = go(&[], Some(&campaign));
    assert_eq!(t.assessment.confidence, Confidence::Medium);
    assert!(t.assessment.hypothesis.contains("R-1, R-2"));
    assert!(t.assessment.pivots[0].action.contains("R-1"));
    // The copilot's own earlier verdict does not raise it; an analyst's ruling does.
    assert_eq!(
        go(&[prior(None)], None).assessment.confidence,
        Confidence::Medium
    );
    let t = go(&[prior(Some("true_positive"))], None);
    assert_eq!(
        (t.assessment.verdict, t.assessment.confidence),
        (Verdict::TruePositive, Confidence::High)
    );
    assert!(t.assessment.why.contains("analyst"));
}

#[test]
fn a_cloud_console_login_from_outside_is_external_access() {
    let a = alert(
        "AWS console login",
        &json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "sourceIPAddress": "45.83.64.12",
                "userIdentity": {"type": "IAMUser", "userName": "deploy-bot"},
                "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}}),
    );
    let t = run(&a, &[]);
    assert_eq!(
        t.assessment.family, "external_access",
        "{}",
        t.assessment.hypothesis
    );
    // No MFA alone is a policy gap, not proof of misuse: a human decides.
    assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
    assert!(techniques(&t).contains(&"T1078"));
    assert!(t.assessment.hypothesis.contains("45.83.64.12"));
    // A failed console login is not a successful access.
    let failed = alert(
        "AWS console login",
        &json!({"eventName": "ConsoleLogin", "sourceIPAddress": "45.83.64.12",
                "responseElements": {"ConsoleLogin": "Failure"}, "additionalEventData": {"MFAUsed": "No"}}),
    );
    assert_ne!(run(&failed, &[]).assessment.family, "external_access");
}

/// A Sysmon process creation of `wmic <node> process call create ...` on `computer`.
fn wmic_alert(node: &str, computer: &str) -> Alert {
    alert(
        "Process created via WMIC",
        &json!({"log_source": "windows_eventlog", "provider": "Microsoft-Windows-Sysmon",
                "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer": computer,
                "event_data": {"Image": "C:\\Windows\\System32\\wbem\\WMIC.exe",
                    "CommandLine": format!("wmic {node} process call create \"rundll32.exe C:\\Users\\Public\\x.dll,Start\""),
                    "ParentImage": "C:\\Windows\\System32\\cmd.exe", "User": "LAB\\operator"}}),
    )
}

#[test]
fn wmic_aimed_at_the_local_host_is_not_lateral_movement() {
    for node in [
        "/node:127.0.0.1",
        "/node:\"localhost\"",
        "/node:.",
        "/node:ws-lab-3",
        "/NODE:\"WS-LAB-3.lab.example\"",
        "/node:127.0.0.1,ws-lab-3",
    ] {
        let a = wmic_alert(node, "ws-lab-3.lab.example");
        let (t, log) = run_logged(&a, &[]);
        assert_ne!(
            t.assessment.family, "lateral_movement",
            "{node}: {}",
            t.assessment.hypothesis
        );
        assert!(
            !log.items().iter().any(|e| e.claim.contains("other hosts")),
            "{node}"
        );
    }
}

#[test]
fn remote_wmic_without_a_logon_claims_no_logon() {
    for (node, target) in [
        ("/node:srv-files-2", "srv-files-2"),
        ("/node:127.0.0.1,srv-files-2", "srv-files-2"),
        (
            "/node:@C:\\Users\\Public\\hosts.txt",
            "@C:\\Users\\Public\\hosts.txt",
        ),
    ] {
        let a = wmic_alert(node, "ws-lab-3.lab.example");
        let t = run(&a, &[]);
        let h = &t.assessment.hypothesis;
        assert_eq!(t.assessment.family, "lateral_movement", "{node}: {h}");
        assert_eq!(t.assessment.verdict, Verdict::TruePositive, "{node}");
        assert!(h.contains(target), "{node}: {h}");
        // Nothing in the event shows a logon on the target: no such claim, no T1021/T1078.
        assert!(!h.contains("after a network logon"), "{node}: {h}");
        assert!(!h.contains("T1021") && !h.contains("T1078"), "{node}: {h}");
        assert_eq!(techniques(&t), vec!["T1047"], "{node}");
    }
}

/// A Sysmon process creation event of `cmd` on `computer`, for `raw_log.events`.
fn wmic_event(cmd: &str, computer: &str) -> Value {
    json!({"provider": "Microsoft-Windows-Sysmon", "channel": "Microsoft-Windows-Sysmon/Operational",
        "event_id": 1, "computer": computer,
        "event_data": {"Image": "C:\\Windows\\System32\\wbem\\WMIC.exe", "CommandLine": cmd,
            "ParentImage": "C:\\Windows\\System32\\cmd.exe", "User": "LAB\\operator"}})
}

/// A network logon (4624 type 3) on `computer`, for `raw_log.events`.
fn network_logon_event(computer: &str) -> Value {
    json!({"provider": "Microsoft-Windows-Security-Auditing", "channel": "Security",
        "event_id": 4624, "computer": computer,
        "event_data": {"LogonType": 3, "TargetUserName": "operator", "IpAddress": "10.1.2.3"}})
}

#[test]
fn remote_wmic_with_a_successful_authentication_says_so() {
    let mut raw = wmic_alert("/node:srv-files-2", "ws-lab-3.lab.example").raw_log;
    raw.insert("auth_result".to_owned(), json!("success"));
    let a = alert("Process created via WMIC", &Value::Object(raw));
    let t = run(&a, &[]);
    let h = &t.assessment.hypothesis;
    assert_eq!(t.assessment.family, "lateral_movement", "{h}");
    assert_eq!(t.assessment.verdict, Verdict::TruePositive);
    assert!(h.contains("srv-files-2"), "{h}");
    assert!(
        h.contains("authentication to the targets succeeded (T1078)"),
        "{h}"
    );
    assert!(!h.contains("no logon"), "{h}");
    assert_eq!(techniques(&t), vec!["T1047", "T1078"]);
}

#[test]
fn a_network_logon_in_a_wmic_alert_is_not_a_logon_on_the_targets() {
    let ps = "wmic /node:srv-files-2,srv-files-3 process call create \"powershell.exe -nop -c Get-Date\"";
    let plain = "wmic /node:srv-files-2 process call create \"rundll32.exe C:\\Users\\Public\\x.dll,Start\"";
    for (cmd, confidence) in [(ps, Confidence::High), (plain, Confidence::Medium)] {
        // WMIC on the source and a network logon to the source, in one alert.
        let a = alert(
            "Process created via WMIC",
            &json!({"log_source": "windows_eventlog", "off_hours": true, "events": [
                wmic_event(cmd, "ws-lab-3.lab.example"),
                network_logon_event("ws-lab-3.lab.example")]}),
        );
        let t = run(&a, &[]);
        let h = &t.assessment.hypothesis;
        assert_eq!(t.assessment.family, "lateral_movement", "{cmd}: {h}");
        assert_eq!(
            (t.assessment.verdict, t.assessment.confidence),
            (Verdict::TruePositive, confidence),
            "{cmd}: {h}"
        );
        // Neither an authentication to the targets nor WMIC started on the source "after
        // a network logon".
        assert!(!h.contains("authenticated to them"), "{cmd}: {h}");
        assert!(!h.contains("after a network logon"), "{cmd}: {h}");
        assert!(!h.contains("started WMIC"), "{cmd}: {h}");
        // Nor the techniques a logon on the targets would show.
        let ids = techniques(&t);
        assert!(
            !ids.contains(&"T1021") && !ids.contains(&"T1078"),
            "{cmd}: {ids:?}"
        );
        if confidence == Confidence::Medium {
            assert!(
                h.contains("by operator from 10.1.2.3 is not shown to be one on the targets"),
                "{h}"
            );
        }
    }
    // The target's side (the WMI provider host's child after the logon) still is.
    let a = alert(
        "WMI remote execution",
        &json!({"log_source": "windows_eventlog", "events": [
            network_logon_event("srv-files-2"),
            {"provider": "Microsoft-Windows-Sysmon", "event_id": 1, "computer": "srv-files-2",
             "channel": "Microsoft-Windows-Sysmon/Operational",
             "event_data": {"Image": "C:\\Windows\\System32\\calc.exe", "CommandLine": "calc.exe",
                "ParentImage": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"}}]}),
    );
    let t = run(&a, &[]);
    let h = &t.assessment.hypothesis;
    assert_eq!(t.assessment.family, "lateral_movement", "{h}");
    assert!(h.contains("after a network logon (T1021, T1078)"), "{h}");
    assert_eq!(techniques(&t), vec!["T1047", "T1021", "T1078"]);
}

#[test]
fn wmic_in_an_aggregate_is_judged_by_the_host_it_ran_on() {
    let cmd =
        "wmic /node:ws-lab-2 process call create \"rundll32.exe C:\\Users\\Public\\x.dll,Start\"";
    // The same command line on ws-lab-1 (aimed at another host) and on ws-lab-2 (local).
    let a = alert(
        "Process created via WMIC",
        &json!({"log_source": "windows_eventlog", "events": [
            wmic_event(cmd, "ws-lab-1.lab.example"), wmic_event(cmd, "ws-lab-2.lab.example")]}),
    );
    let t = run(&a, &[]);
    let h = &t.assessment.hypothesis;
    assert_eq!(t.assessment.family, "lateral_movement", "{h}");
    assert!(h.contains("(ws-lab-2)"), "{h}");
    // Run only on ws-lab-2 itself (twice), it is local.
    let a = alert(
        "Process created via WMIC",
        &json!({"log_source": "windows_eventlog", "events": [
            wmic_event(cmd, "ws-lab-2.lab.example"), wmic_event(cmd, "WS-LAB-2")]}),
    );
    assert_ne!(run(&a, &[]).assessment.family, "lateral_movement");
}

#[test]
fn a_full_wmic_target_is_not_a_host_known_by_its_short_name() {
    let t = run(&wmic_alert("/node:wks-7.other.example", "wks-7"), &[]);
    let h = &t.assessment.hypothesis;
    assert_eq!(t.assessment.family, "lateral_movement", "{h}");
    assert!(h.contains("(wks-7.other.example)"), "{h}");
    // The short name of the full host name is the host itself.
    let t = run(&wmic_alert("/node:wks-7", "wks-7.lab.example"), &[]);
    assert_ne!(t.assessment.family, "lateral_movement");
}

#[test]
fn a_wmic_node_switch_without_a_value_names_no_target() {
    for node in ["/node:", "/node:\"\""] {
        let (t, log) = run_logged(&wmic_alert(node, "ws-lab-3.lab.example"), &[]);
        let h = &t.assessment.hypothesis;
        assert_eq!(t.assessment.family, "lateral_movement", "{node}: {h}");
        assert_eq!(t.assessment.verdict, Verdict::TruePositive, "{node}");
        assert!(h.contains("on another host (T1047)"), "{node}: {h}");
        for text in std::iter::once(h.as_str()).chain(log.items().iter().map(|e| e.claim.as_str()))
        {
            assert!(!text.contains("(("), "{node}: {text}");
            assert!(!text.contains("(process)"), "{node}: {text}");
            assert!(!text.contains("no target given"), "{node}: {text}");
        }
        assert!(
            log.items().iter().any(|e| e
                .claim
                .contains("ran WMIC against other hosts to create a process")),
            "{node}"
        );
    }
}
