//! Playbooks against SIEM context: what a change ticket, a tooling tag or a schedule in
//! `siem_context` may close, and what it must never close.
//!
//! Each playbook gets a benign case that the context closes, and the same case with one
//! attack signal added, which must stay open.

use serde_json::{Value, json};
use soc_core::alert::{Format, Limits};
use soc_core::investigation::{EvidenceLog, PhishingAnalysis, PhishingSignal, SignalStrength};
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Confidence, IocKind, Verdict};

use crate::triage::{IntelFact, Triage, TriageInput, triage};

fn alert(title: &str, raw: &Value) -> Alert {
    Alert::from_value(
        json!({"alert_id": "T-1", "timestamp": "2026-05-14T03:30:00Z", "source": "siem", "severity": "medium", "title": title, "raw_log": raw.clone()}),
        Format::Native,
        &Limits::default(),
    )
    .unwrap()
}

fn run_with(a: &Alert, intel: &[IntelFact], phishing: Option<&PhishingAnalysis>) -> Triage {
    let iocs = extract(a, &IocConfig::default());
    let mut log = EvidenceLog::new();
    triage(
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
    )
}

fn run(a: &Alert, intel: &[IntelFact]) -> Triage {
    run_with(a, intel, None)
}

fn techniques(t: &Triage) -> Vec<&str> {
    t.assessment
        .techniques
        .iter()
        .map(|t| t.id.as_str())
        .collect()
}

fn listed(kind: IocKind, value: &str) -> IntelFact {
    IntelFact {
        ioc: soc_core::Ioc {
            kind,
            value: value.to_owned(),
            scope: Some(soc_core::Scope::External),
        },
        tags: vec!["threatfox".to_owned()],
        malicious: true,
        suspicious: false,
        success: true,
        evidence_id: "ev-intel".to_owned(),
    }
}

/// `raw` with `path` (dotted, objects only) set to `v`.
fn with(raw: &Value, path: &str, v: Value) -> Value {
    let mut out = raw.clone();
    let mut node = &mut out;
    let mut keys = path.split('.').peekable();
    while let Some(k) = keys.next() {
        if keys.peek().is_none() {
            node[k] = v;
            break;
        }
        node = &mut node[k];
    }
    out
}

/// The benign verdict a context rule gives: a false positive at medium confidence at
/// most, not escalated.
fn assert_closed(t: &Triage, family: &str) {
    assert_eq!(t.assessment.family, family, "{}", t.assessment.why);
    assert_eq!(
        t.assessment.verdict,
        Verdict::FalsePositive,
        "{}",
        t.assessment.why
    );
    assert_eq!(t.assessment.confidence, Confidence::Medium);
    assert!(!t.assessment.escalate);
}

fn assert_open(t: &Triage, family: &str, why: &str) {
    assert_eq!(t.assessment.family, family, "{why}: {}", t.assessment.why);
    assert_ne!(
        t.assessment.verdict,
        Verdict::FalsePositive,
        "{why}: {}",
        t.assessment.why
    );
    assert!(t.assessment.escalate, "{why}");
}

// --- cloud_iam -------------------------------------------------------------------------

fn iam_raw() -> Value {
    json!({
        "event_type": "cloud_audit",
        "principal": "arn:aws:sts::111122223333:assumed-role/terraform-ci/gha-run-88121",
        "auth_result": "success",
        "source_ip": "203.0.113.240",
        "user_agent": "APN/1.0 HashiCorp/1.0 Terraform/1.7.5",
        "api_calls": [
            {"event_name": "CreateUser", "result": "success", "params": {"UserName": "svc-reporting-export"}},
            {"event_name": "CreateAccessKey", "result": "success", "params": {"UserName": "svc-reporting-export"}}
        ],
        "siem_context": {
            "change_ticket": "CHG-50551 Terraform PR #2213 adds svc-reporting-export (approved)",
            "principal_tags": ["iac-pipeline"]
        }
    })
}

#[test]
fn a_change_ticket_closes_iam_provisioning_as_a_benign_true_positive() {
    let t = run(&alert("IAM user and access key created", &iam_raw()), &[]);
    assert_closed(&t, "cloud_iam");
    // The account really was created: the technique stays.
    assert!(
        techniques(&t).contains(&"T1136.003"),
        "{:?}",
        techniques(&t)
    );
    assert!(!techniques(&t).contains(&"T1078.004"));
}

#[test]
fn a_change_ticket_does_not_cover_admin_rights_missing_mfa_or_a_listed_source() {
    let raw = iam_raw();
    let mut admin = raw.clone();
    admin["api_calls"].as_array_mut().unwrap().push(json!({"event_name": "AttachUserPolicy", "result": "success", "params": {"UserName": "svc-reporting-export", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}));
    let variants = [
        ("admin policy", admin, vec![]),
        (
            "no MFA",
            with(&raw, "mfa_authenticated", json!(false)),
            vec![],
        ),
        (
            "first IAM writes",
            with(&raw, "prior_iam_writes_by_principal_90d", json!(0)),
            vec![],
        ),
        (
            "unusual source",
            with(&raw, "usual_source_ranges", json!(["52.94.0.0/16"])),
            vec![],
        ),
        (
            "listed source",
            raw.clone(),
            vec![listed(IocKind::Ipv4, "203.0.113.240")],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(&alert("IAM user and access key created", &raw), &intel);
        assert_open(&t, "cloud_iam", why);
        assert_eq!(t.assessment.verdict, Verdict::TruePositive, "{why}");
    }
}

// --- exfiltration ----------------------------------------------------------------------

fn backup_raw() -> Value {
    json!({
        "log_source": "netflow",
        "host": "veeam-proxy-01",
        "src_ip": "10.70.2.9",
        "dst_ip": "198.51.100.180",
        "dst_port": 443,
        "bytes_out": 412_000_000_000_u64,
        "siem_context": {
            "src_asset": "veeam-proxy-01.corp.local",
            "src_asset_tags": ["backup", "veeam"],
            "schedule": "Nightly offsite copy job 00:00-05:00 UTC to cloud repository"
        }
    })
}

#[test]
fn scheduled_backup_tooling_closes_a_large_transfer() {
    let t = run(&alert("Unusual outbound data volume", &backup_raw()), &[]);
    assert_closed(&t, "exfiltration");
    assert!(techniques(&t).is_empty(), "{:?}", techniques(&t));
}

#[test]
fn backup_context_does_not_cover_archives_listed_destinations_or_outside_sessions() {
    let raw = backup_raw();
    let variants = [
        (
            "staged archive",
            with(&raw, "staged_file", json!("D:\\finance\\q2.rar")),
            vec![],
        ),
        (
            "listed destination",
            raw.clone(),
            vec![listed(IocKind::Ipv4, "198.51.100.180")],
        ),
        (
            "outside session",
            with(&raw, "session_source_ip", json!("203.0.113.66")),
            vec![],
        ),
        (
            "far beyond the baseline",
            with(
                &raw,
                "baseline_daily_egress_bytes",
                json!(1_000_000_000_u64),
            ),
            vec![],
        ),
        (
            "no schedule",
            with(&raw, "siem_context", json!({"src_asset_tags": ["backup"]})),
            vec![],
        ),
        (
            "not backup tooling",
            with(
                &raw,
                "siem_context",
                json!({"src_asset_tags": ["vulnerability-scanner"], "schedule": "Nightly 00:00-05:00 UTC"}),
            ),
            vec![],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(&alert("Unusual outbound data volume", &raw), &intel);
        assert_open(&t, "exfiltration", why);
    }
    // To a file-sharing service: backups go there, and so does stolen data.
    let t = run(
        &alert(
            "Unusual outbound data volume",
            &with(&raw, "dest_host", json!("mega.nz")),
        ),
        &[],
    );
    assert_open(&t, "exfiltration", "file-sharing destination");
    assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
}

// --- dns_tunnel ------------------------------------------------------------------------

fn dns_raw() -> Value {
    json!({
        "log_source": "dns",
        "host": "srv-app-114",
        "domain": "sxl4.av-cloud-lookup.example",
        "query_count_1h": 3400,
        "distinct_subdomains_1h": 3100,
        "avg_subdomain_length": 44,
        "avg_subdomain_entropy_bits": 4.7,
        "qtype_pct": {"A": 100, "TXT": 0},
        "domain_first_seen": "2016-02-01",
        "siem_context": {
            "asset_tags": ["av-validation"],
            "note": "vendor file-reputation lookups over DNS"
        }
    })
}

#[test]
fn security_tooling_resolving_hashed_names_closes_a_dns_volume_alert() {
    let t = run(&alert("DNS queries with encoded labels", &dns_raw()), &[]);
    assert_closed(&t, "dns_tunnel");
    assert!(techniques(&t).is_empty(), "{:?}", techniques(&t));
}

#[test]
fn a_security_tag_does_not_cover_txt_tunnels_new_domains_or_listed_names() {
    let raw = dns_raw();
    let variants = [
        (
            "TXT-heavy",
            with(&raw, "qtype_pct", json!({"A": 20, "TXT": 80})),
            vec![],
        ),
        (
            "new domain",
            with(&raw, "domain_first_seen", json!("2026-05-10T00:00:00Z")),
            vec![],
        ),
        (
            "listed domain",
            raw.clone(),
            vec![listed(IocKind::Domain, "sxl4.av-cloud-lookup.example")],
        ),
        (
            "other tooling",
            with(&raw, "siem_context", json!({"asset_tags": ["monitoring"]})),
            vec![],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(&alert("DNS queries with encoded labels", &raw), &intel);
        assert_open(&t, "dns_tunnel", why);
    }
}

// --- oauth_consent ---------------------------------------------------------------------

fn consent_raw() -> Value {
    json!({
        "operation": "Consent to application",
        "app_display_name": "Zoom",
        "app_id": "4f1c2a77-0000-4e11-9b7a-3f2c1d0e9a88",
        "publisher_verified": true,
        "publisher": "Zoom Video Communications, Inc.",
        "consent_type": "AllPrincipals",
        "scopes": "User.Read Calendars.ReadWrite OnlineMeetings.ReadWrite offline_access",
        "initiated_by": "it-admin.dlopez@corp.example",
        "siem_context": {
            "change_ticket": "CHG-50388 Enable Zoom for Outlook calendar add-in (CAB approved)"
        }
    })
}

#[test]
fn an_approved_consent_to_a_verified_publisher_is_closed() {
    let t = run(
        &alert(
            "OAuth application granted tenant-wide permissions",
            &consent_raw(),
        ),
        &[],
    );
    assert_closed(&t, "oauth_consent");
}

#[test]
fn an_approval_does_not_cover_unverified_new_or_abusive_apps() {
    let raw = consent_raw();
    let variants = [
        (
            "unverified publisher",
            with(&raw, "publisher_verified", json!(false)),
            vec![],
        ),
        (
            "verification unknown",
            {
                let mut r = raw.clone();
                r.as_object_mut().unwrap().remove("publisher_verified");
                r
            },
            vec![],
        ),
        (
            "new app",
            with(&raw, "app_registration_age_days", json!(2)),
            vec![],
        ),
        (
            "used from a listed address",
            with(
                &raw,
                "post_consent",
                json!({"source_ip": "203.0.113.99", "mail_messages_read": 40}),
            ),
            vec![listed(IocKind::Ipv4, "203.0.113.99")],
        ),
        (
            "scripted use",
            with(
                &raw,
                "post_consent",
                json!({"user_agent": "python-requests/2.31", "mail_messages_read": 40}),
            ),
            vec![],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(
            &alert("OAuth application granted tenant-wide permissions", &raw),
            &intel,
        );
        assert_open(&t, "oauth_consent", why);
    }
}

// --- external_access -------------------------------------------------------------------

fn login_raw() -> Value {
    json!({
        "event_type": "auth_success",
        "source_ip": "198.51.100.10",
        "user": "h.mueller",
        "host": "vpn-gw-01",
        "mfa": "oath_code",
        "siem_context": {
            "helpdesk": "INC-88120 new phone, Authenticator notifications not arriving"
        }
    })
}

#[test]
fn a_ticket_about_the_sign_in_closes_an_external_login_without_anomalies() {
    let t = run(&alert("Successful login from outside", &login_raw()), &[]);
    assert_closed(&t, "external_access");
    assert!(techniques(&t).is_empty(), "{:?}", techniques(&t));
}

#[test]
fn a_ticket_does_not_cover_a_login_with_anomalies_or_about_something_else() {
    let raw = login_raw();
    let variants = [
        ("no MFA", with(&raw, "mfa", json!("none")), vec![]),
        (
            "first login from outside",
            with(&raw, "prior_external_logins_90d", json!(0)),
            vec![],
        ),
        (
            "service account",
            with(&raw, "user", json!("svc-backup")),
            vec![],
        ),
        (
            "listed source",
            raw.clone(),
            vec![listed(IocKind::Ipv4, "198.51.100.10")],
        ),
        (
            "unrelated ticket",
            with(
                &raw,
                "siem_context",
                json!({"change_ticket": "CHG-40001 replace disk in array 3"}),
            ),
            vec![],
        ),
        (
            "a ticket reporting the sign-in",
            with(
                &raw,
                "siem_context",
                json!({"helpdesk": "INC-88121 user reports a sign-in and MFA prompt they did not request"}),
            ),
            vec![],
        ),
        (
            "a denied MFA prompt",
            with(
                &raw,
                "mfa_events",
                json!([{"type": "mfa_push", "result": "denied"}, {"type": "mfa_push", "result": "approved"}]),
            ),
            vec![],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(&alert("Successful login from outside", &raw), &intel);
        assert_open(&t, "external_access", why);
    }
}

// --- impossible_travel -----------------------------------------------------------------

fn travel_raw() -> Value {
    json!({
        "user": "a.fischer@corp.example",
        "signins": [
            {"time": "2026-04-12T12:41:55Z", "ip": "198.51.100.77", "country": "DE", "result": "success"},
            {"time": "2026-04-12T13:05:10Z", "ip": "203.0.113.130", "country": "US", "result": "success"}
        ],
        "siem_context": {
            "travel": "Approved business travel TRV-2231 to New York, 11-15 Apr"
        }
    })
}

#[test]
fn approved_travel_closes_impossible_travel() {
    let t = run(&alert("Impossible travel activity", &travel_raw()), &[]);
    assert_closed(&t, "impossible_travel");
    assert!(techniques(&t).is_empty(), "{:?}", techniques(&t));
}

#[test]
fn approved_travel_does_not_cover_token_reuse_legacy_clients_or_listed_sources() {
    let raw = travel_raw();
    let variants = [
        (
            "token reuse",
            with(
                &raw,
                "authentication_detail",
                json!("Second sign-in satisfied by existing_token"),
            ),
            vec![],
        ),
        (
            "legacy client",
            with(&raw, "client_app", json!("IMAP4")),
            vec![],
        ),
        (
            "listed source",
            raw.clone(),
            vec![listed(IocKind::Ipv4, "203.0.113.130")],
        ),
        (
            "an approval about something else",
            with(
                &raw,
                "siem_context",
                json!({"note": "CHG-40001 approved laptop reimage"}),
            ),
            vec![],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(&alert("Impossible travel activity", &raw), &intel);
        assert_open(&t, "impossible_travel", why);
    }
}

// --- mail_phishing ---------------------------------------------------------------------

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

fn simulation_raw() -> Value {
    json!({
        "log_source": "m365_defender",
        "SenderFromAddress": "it-support@secure-login-update.example",
        "RecipientEmailAddress": "f.nguyen@corp.example",
        "Subject": "Action required: mailbox quota exceeded",
        "Url": "https://secure-login-update.example/q/4417?rid=8fa21c",
        "siem_context": {
            "campaign": "KnowBe4 phishing simulation PST-2026-Q2-03 (allow-listed under CHG-50102)"
        }
    })
}

fn lure_signals() -> Vec<PhishingSignal> {
    vec![
        signal("lookalike_domain", SignalStrength::Moderate),
        signal("brand_in_subdomain", SignalStrength::Strong),
        signal("credential_harvest_path", SignalStrength::Weak),
        signal("recipient_in_url_fragment", SignalStrength::Strong),
    ]
}

#[test]
fn a_recorded_phishing_simulation_is_a_benign_true_positive() {
    let a = alert(
        "User clicked link in reported phishing email",
        &simulation_raw(),
    );
    let p = analysis(lure_signals());
    let t = run_with(&a, &[], Some(&p));
    assert_closed(&t, "mail_phishing");
    assert_eq!(techniques(&t), ["T1566.002"]);
}

#[test]
fn a_simulation_label_does_not_cover_spoofing_payloads_listed_domains_or_real_campaigns() {
    let a = alert(
        "User clicked link in reported phishing email",
        &simulation_raw(),
    );
    let mut spoofed = lure_signals();
    spoofed.push(signal("dmarc_fail", SignalStrength::Strong));
    let mut payload = lure_signals();
    payload.push(signal("attachment_executable_type", SignalStrength::Strong));
    for (why, signals, intel) in [
        ("failed authentication", spoofed, vec![]),
        ("executable attachment", payload, vec![]),
        (
            "listed domain",
            lure_signals(),
            vec![listed(IocKind::Domain, "secure-login-update.example")],
        ),
    ] {
        let t = run_with(&a, &intel, Some(&analysis(signals)));
        assert_open(&t, "mail_phishing", why);
        assert_eq!(t.assessment.verdict, Verdict::TruePositive, "{why}");
    }
    // A record that denies the simulation, or threat context that names a phishing
    // campaign, is not a simulation.
    let denied = alert(
        "User clicked link in reported phishing email",
        &with(
            &simulation_raw(),
            "siem_context",
            json!({"campaign": "CHG-50102: sender is not part of the KnowBe4 phishing simulation"}),
        ),
    );
    let t = run_with(&denied, &[], Some(&analysis(lure_signals())));
    assert_open(&t, "mail_phishing", "denied simulation");

    let real = alert(
        "User clicked link in reported phishing email",
        &with(
            &simulation_raw(),
            "siem_context",
            json!({"campaign": "Known phishing campaign TA-2026-17, ticket INC-77120 opened"}),
        ),
    );
    let t = run_with(&real, &[], Some(&analysis(lure_signals())));
    assert_open(&t, "mail_phishing", "real campaign");
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
    let t = run_with(&a, &[], Some(&p));
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
    let t = run_with(&a, &[], Some(&p));
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
    let t = run_with(&alert("Phishing mail delivered", &linked), &[], Some(&p));
    assert_eq!(techniques(&t), ["T1566.002"]);
    assert!(t.assessment.hypothesis.contains("The link is"));
}

// --- url_click -------------------------------------------------------------------------

fn click_raw() -> Value {
    json!({
        "event_type": "url_click",
        "url": "https://account-verify.secure-login-update.example/login?rid=8fa21c",
        "user": "f.nguyen",
        "referrer": "outlook.office.com",
        "siem_context": {
            "campaign": "KnowBe4 phishing simulation PST-2026-Q2-03 (allow-listed under CHG-50102)"
        }
    })
}

#[test]
fn a_click_on_a_recorded_phishing_simulation_is_closed() {
    let t = run(&alert("User clicked a link", &click_raw()), &[]);
    assert_closed(&t, "url_click");
}

#[test]
fn a_simulation_label_does_not_cover_submitted_credentials_or_a_listed_domain() {
    let raw = click_raw();
    let variants = [
        (
            "credentials submitted",
            with(&raw, "credentials_submitted", json!(true)),
            vec![],
        ),
        (
            "listed domain",
            raw.clone(),
            vec![listed(IocKind::Domain, "secure-login-update.example")],
        ),
        (
            "no simulation recorded",
            with(
                &raw,
                "siem_context",
                json!({"change_ticket": "CHG-50102 allow-list new mail relay"}),
            ),
            vec![],
        ),
    ];
    for (why, raw, intel) in variants {
        let t = run(&alert("User clicked a link", &raw), &intel);
        assert_open(&t, "url_click", why);
    }
}
