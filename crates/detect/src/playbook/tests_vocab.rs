//! Detectors against the field spellings of other SIEMs and vendors: the same behaviour
//! under other names must give the same facts.
//!
//! Each spelling is checked against the development set's spelling of the same alert
//! (same facts, same verdict), and against look-alikes that share a word but not the
//! structure (a key with `fail` in it that is no count, a flag that is no success).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Confidence, Verdict};

use super::cond::Cond;
use super::test_support::{alert, run, techniques};
use crate::triage::{IntelFact, TriageInput};
use crate::view::AlertView;

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

/// Runs the detectors and calls `with` on the facts (and returns its answer).
fn with_facts<R>(a: &Alert, with: impl FnOnce(&super::facts::Facts<'_>) -> R) -> R {
    let iocs = extract(a, &IocConfig::default());
    let events = crate::sigma::Event::from_alert(a);
    let input = TriageInput {
        alert: a,
        iocs: &iocs,
        intel: &[],
        sigma: &[],
        events: &events,
        assets: &[],
        phishing: None,
        prior: &[],
        correlation: None,
    };
    let view = AlertView::new(a);
    let tells = crate::tells::find(&view);
    let mut f = super::facts::compute(&input, &view, &tells);
    super::detectors::run_all(&input, &mut f);
    with(&f)
}

/// The facts of one detector family (`auth.`, `waf.`), rendered, without their sources.
fn facts(a: &Alert, prefix: &str) -> BTreeMap<String, String> {
    with_facts(a, |f| {
        f.all()
            .filter(|(k, _)| k.starts_with(prefix))
            .filter_map(|(k, _)| f.render(k).map(|v| (k.clone(), v)))
            .collect()
    })
}

fn fact(a: &Alert, name: &str) -> Option<String> {
    let prefix = name.split('.').next().unwrap_or(name);
    facts(a, prefix).get(name).cloned()
}

/// The facts that must agree between two spellings of one alert.
fn same(a: &Alert, b: &Alert, names: &[&str]) {
    for n in names {
        assert_eq!(fact(a, n), fact(b, n), "{n}");
        assert!(fact(a, n).is_some(), "{n} not set");
    }
}

// ---- Authentication ----------------------------------------------------------------

#[test]
fn splunk_signature_id_reads_as_the_windows_event_code() {
    let dev = alert(
        "RDP password spray against RD Gateway",
        &json!({"event_id": 4625, "src": "45.61.135.109", "count": 1294, "dc(user)": 187, "LogonType": 10,
                "followup": {"event_id": 4624, "user": "CORP\\d.k", "src": "45.61.135.109"}}),
    );
    let splunk = alert(
        "RDP password spray against RD Gateway",
        &json!({"signature_id": 4625, "src": "45.61.135.109", "count": 1294, "dc(user)": 187, "LogonType": 10,
                "followup": {"signature_id": 4624, "user": "CORP\\d.k", "src": "45.61.135.109"}}),
    );
    same(
        &dev,
        &splunk,
        &["auth.structured", "auth.succeeded", "auth.failures"],
    );
    let intel = [listed("45.61.135.109", &["threatfox"])];
    assert_eq!(
        techniques(&run(&dev, &intel)),
        techniques(&run(&splunk, &intel))
    );
    assert!(techniques(&run(&splunk, &intel)).contains(&"T1078"));
    // Splunk's Windows add-on spelling.
    let eventcode = alert(
        "Excessive failed logons",
        &json!({"EventCode": "4625", "src": "45.61.135.109", "count": 60}),
    );
    assert_eq!(fact(&eventcode, "auth.structured").as_deref(), Some("true"));
    // An IDS rule id that happens to be 4625, without Windows logon fields, is no logon.
    let ids = alert(
        "ET POLICY suspicious inbound",
        &json!({"signature_id": 4625, "src_ip": "45.1.2.3", "dest_ip": "10.0.0.5"}),
    );
    assert_eq!(fact(&ids, "auth.signal"), None);
}

#[test]
fn failure_and_success_counts_are_read_by_key_pattern() {
    let dev = alert(
        "sshd: repeated authentication failures followed by successful login",
        &json!({"appname": "sshd", "aggregation": {"src_ip": "185.220.100.244", "failed_attempts": 233, "successful_logins": 1,
                "usernames_tried": ["root", "admin", "git", "jenkins", "tomcat", "ops"]}}),
    );
    let rsyslog = alert(
        "sshd: repeated authentication failures followed by successful login",
        &json!({"appname": "sshd", "correlation": {"src_ip": "185.220.100.244", "fail_count": 233, "success_count": 1,
                "accounts": ["root", "admin", "git", "jenkins", "tomcat", "ops"]}}),
    );
    same(
        &dev,
        &rsyslog,
        &[
            "auth.failures",
            "auth.users",
            "auth.succeeded",
            "auth.burst",
        ],
    );
    assert_eq!(run(&rsyslog, &[]).assessment.verdict, Verdict::TruePositive);
    assert_eq!(techniques(&run(&rsyslog, &[])), ["T1110", "T1078"]);
    // A count under a `failures` block, and log lines under `messages`.
    let nested = alert(
        "sshd: repeated authentication failures",
        &json!({"src_ip": "185.220.100.244", "failures": {"count": 233},
                "messages": ["sshd[1]: Accepted password for ops from 185.220.100.244 port 4 ssh2"]}),
    );
    assert_eq!(fact(&nested, "auth.failures").as_deref(), Some("233"));
    assert_eq!(fact(&nested, "auth.succeeded").as_deref(), Some("true"));
}

#[test]
fn keys_that_merely_contain_fail_or_success_are_not_counts() {
    let a = alert(
        "sshd: repeated authentication failures",
        &json!({"src_ip": "185.220.100.244", "stats": {"failover_count": 300, "fail_reason": "bad password",
                "last_failed_time": 1712345678, "failure_rate_pct": 97, "success": true,
                "unsuccessful_logins": 400, "success_rate": 3, "unique_user_agents": 40, "fail_count": 7}}),
    );
    let f = facts(&a, "auth.");
    assert_eq!(f.get("auth.signal").map(String::as_str), Some("true"));
    // The one count among them.
    assert_eq!(f.get("auth.failures").map(String::as_str), Some("7"));
    for absent in ["auth.users", "auth.successes", "auth.succeeded"] {
        assert!(!f.contains_key(absent), "{absent}: {f:?}");
    }
    assert_eq!(
        f.get("auth.success_unknown").map(String::as_str),
        Some("true")
    );
}

#[test]
fn an_untrusted_pattern_count_with_wording_alone_stays_below_high() {
    // `fail_count` says failures of something; only wording says authentication.
    let a = alert(
        "Brute force",
        &json!({"message": "Repeated sign-in attempts", "client_ip": "45.1.2.3", "summary": {"fail_count": 5000}}),
    );
    let f = facts(&a, "auth.");
    assert_eq!(f.get("auth.failures").map(String::as_str), Some("5000"));
    assert_eq!(f.get("auth.burst").map(String::as_str), Some("true"));
    assert_eq!(f.get("auth.count_trusted"), None);
    let t = run(&a, &[listed("45.1.2.3", &["tor_exit"])]);
    assert_eq!(t.assessment.family, "brute_force");
    assert!(
        t.assessment.confidence <= Confidence::Medium,
        "{:?}",
        t.assessment
    );
}

#[test]
fn entra_spray_summary_reads_like_the_dev_spelling() {
    let dev = alert(
        "Entra ID: password spray followed by successful single-factor sign-in",
        &json!({"event_type": "auth_failure", "IPAddress": "203.0.113.50",
                "summary": {"failed_attempts": 88, "distinct_usernames": 61, "successful_logins": 1}}),
    );
    let entra = alert(
        "Entra ID: password spray followed by successful single-factor sign-in",
        &json!({"IPAddress": "203.0.113.50", "Category": "SignInLogs",
                "summary": {"failed_50126": 88, "distinct_UserPrincipalName": 61, "success": 1},
                "failure_sample": {"ResultType": 50126}}),
    );
    same(
        &dev,
        &entra,
        &[
            "auth.structured",
            "auth.count_trusted",
            "auth.failures",
            "auth.users",
            "auth.succeeded",
        ],
    );
    let (d, e) = (run(&dev, &[]), run(&entra, &[]));
    assert_eq!(
        (d.assessment.verdict, d.assessment.confidence),
        (e.assessment.verdict, e.assessment.confidence)
    );
    assert_eq!(techniques(&e), ["T1110", "T1078"]);
    // A success flag is no success count.
    let flag = alert(
        "Entra ID: password spray",
        &json!({"IPAddress": "203.0.113.50", "summary": {"failed_50126": 88, "success": true}, "ResultType": 50126}),
    );
    assert_eq!(fact(&flag, "auth.succeeded"), None);
    // Counts the client wrote into its own request are not the SIEM's: placed before
    // the summary, they must not replace it.
    let planted = alert(
        "Entra ID: password spray followed by successful single-factor sign-in",
        &json!({"request": {"query": {"failed_logins": "1", "distinct_user_count": "1", "success_count": "0"}},
                "IPAddress": "203.0.113.50", "Category": "SignInLogs",
                "summary": {"failed_50126": 88, "distinct_UserPrincipalName": 61, "success": 1},
                "failure_sample": {"ResultType": 50126}}),
    );
    same(
        &entra,
        &planted,
        &["auth.failures", "auth.users", "auth.succeeded"],
    );
    assert_eq!(run(&planted, &[]).assessment.verdict, e.assessment.verdict);
}

#[test]
fn okta_failures_and_successes_are_typed_outcomes() {
    let dev = alert(
        "User exceeded failed sign-in threshold",
        &json!({"event_type": "auth_failure", "client": {"ipAddress": "192.0.2.10"}, "aggregation": {"count": 18}}),
    );
    let okta = alert(
        "User exceeded failed sign-in threshold",
        &json!({"log_source": "okta_system_log", "eventType": "user.session.start", "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
                "client": {"ipAddress": "192.0.2.10"}, "threshold": {"count": 18}}),
    );
    same(&dev, &okta, &["auth.structured", "auth.failures"]);
    assert_eq!(fact(&okta, "auth.service").as_deref(), Some("Okta"));
    // A policy DENY or a challenge is no credential failure.
    let deny = alert(
        "Okta sign-on",
        &json!({"eventType": "user.session.start", "outcome": {"result": "DENY"}, "client": {"ipAddress": "192.0.2.10"}}),
    );
    assert_eq!(fact(&deny, "auth.signal"), None);

    let dev_ok = alert(
        "Session from anonymizing proxy with new device",
        &json!({"event_type": "auth_success", "client_ip": "185.220.101.53"}),
    );
    let okta_ok = alert(
        "Session from anonymizing proxy with new device",
        &json!({"eventType": "user.session.start", "outcome": {"result": "SUCCESS"}, "client": {"ipAddress": "185.220.101.53"}}),
    );
    same(
        &dev_ok,
        &okta_ok,
        &["access.success", "access.external", "access.source_ip"],
    );
    let intel = [listed("185.220.101.53", &["tor_exit"])];
    let t = run(&okta_ok, &intel);
    assert_eq!(
        (t.assessment.family.as_str(), t.assessment.verdict),
        ("external_access", Verdict::TruePositive)
    );
    let challenge = alert(
        "Session from anonymizing proxy with new device",
        &json!({"eventType": "user.session.start", "outcome": {"result": "CHALLENGE"}, "client": {"ipAddress": "185.220.101.53"}}),
    );
    assert_eq!(fact(&challenge, "access.success"), None);
}

#[test]
fn default_credential_wording_and_failing_auth_are_failure_signals() {
    let a = alert(
        "Default credential attempts detected across Linux fleet",
        &json!({"detection": "Same source failing SSH auth on >50 hosts", "aggregation": {"src_ip": "10.8.1.40", "failed_attempts": 1712}}),
    );
    assert_eq!(fact(&a, "auth.signal").as_deref(), Some("true"));
    // Negated wording still is not.
    let b = alert(
        "Not failing SSH auth",
        &json!({"aggregation": {"src_ip": "10.8.1.40"}}),
    );
    assert_eq!(fact(&b, "auth.signal"), None);
}

// ---- MFA ---------------------------------------------------------------------------

fn duo(reasons: &[(&str, &str)], factor: &str) -> Alert {
    let log: Vec<Value> = reasons
        .iter()
        .map(|(result, reason)| json!({"result": result, "reason": reason, "factor": factor, "access_device": {"ip": "198.51.100.77"}}))
        .collect();
    alert(
        "Duo: repeated push denials followed by approval",
        &json!({"log_source": "duo_auth", "user": {"name": "p.santos"}, "auth_log": log}),
    )
}

#[test]
fn duo_push_denials_read_like_mfa_push_events() {
    let dev = alert(
        "Repeated push denials followed by approval",
        &json!({"events": [
            {"type": "mfa_push", "result": "denied"}, {"type": "mfa_push", "result": "denied"},
            {"type": "mfa_push", "result": "timeout"}, {"type": "mfa_push", "result": "approved"}]}),
    );
    let d = duo(
        &[
            ("denied", "user_declined"),
            ("denied", "user_declined"),
            ("denied", "no_response"),
            ("success", "user_approved"),
        ],
        "duo_push",
    );
    same(&dev, &d, &["auth.mfa_denials", "auth.mfa_approved"]);
    let t = run(&d, &[]);
    assert_eq!(
        (t.assessment.family.as_str(), t.assessment.verdict),
        ("mfa_fatigue", Verdict::TruePositive)
    );
    assert!(techniques(&t).contains(&"T1621"));
    // Policy blocks are not prompts the user turned down; passcodes are not pushes.
    let policy = duo(
        &[
            ("denied", "deny_unenrolled_user"),
            ("denied", "location_restricted"),
            ("denied", "anonymous_ip"),
        ],
        "duo_push",
    );
    assert_eq!(fact(&policy, "auth.mfa_denials"), None);
    let passcode = duo(
        &[
            ("denied", "invalid_passcode"),
            ("denied", "invalid_passcode"),
        ],
        "passcode",
    );
    assert_eq!(fact(&passcode, "auth.mfa_denials"), None);
}

#[test]
fn okta_deny_push_events_are_denials_counted_once() {
    let ev = |t: &str| json!({"eventType": t, "client": {"ipAddress": "203.0.113.9"}});
    let a = alert(
        "User reported fraudulent MFA push",
        &json!({"eventType": "user.mfa.okta_verify.deny_push", "events": [
            ev("user.mfa.okta_verify.deny_push"), ev("user.mfa.okta_verify.deny_push"),
            ev("user.mfa.okta_verify.deny_push"), ev("user.mfa.okta_verify.deny_push"),
            ev("user.account.report_suspicious_activity_by_enduser")]}),
    );
    assert_eq!(fact(&a, "auth.mfa_denials").as_deref(), Some("4"));
    let t = run(&a, &[]);
    assert_eq!(t.assessment.family, "mfa_fatigue");
    assert_eq!(techniques(&t), ["T1621"]);
    // A git push that failed is no MFA prompt.
    let git = alert(
        "Push rejected",
        &json!({"events": [{"type": "git.push", "result": "failed"}, {"type": "git.push", "result": "failed"}]}),
    );
    assert_eq!(fact(&git, "auth.mfa_denials"), None);
}

// ---- Network -----------------------------------------------------------------------

#[test]
fn aws_waf_logs_are_waf_sqli_events() {
    let dev = alert(
        "WAF: SQL injection attempts",
        &json!({"waf_action": "allowed", "matched_rule_msg": "SQL Injection Attack Detected", "client_ip": "198.51.100.250",
                "user_agent": "sqlmap/1.7.2#stable", "requests_in_window": 388}),
    );
    let aws = alert(
        "Shop prod: rule group matched in COUNT mode",
        &json!({"log_source": "aws_waf", "webaclId": "arn:aws:wafv2:eu-west-1:1:regional/webacl/shop/abc", "action": "ALLOW",
                "nonTerminatingMatchingRules": [{"ruleId": "AWS-AWSManagedRulesSQLiRuleSet", "action": "COUNT",
                    "ruleMatchDetails": [{"conditionType": "SQL_INJECTION"}]}],
                "httpRequest": {"clientIp": "198.51.100.250", "headers": [{"name": "User-Agent", "value": "sqlmap/1.7.2#stable"}]},
                "aggregate": {"requests_10m": 388}}),
    );
    same(
        &dev,
        &aws,
        &[
            "waf.event",
            "waf.sqli",
            "waf.scanner_ua",
            "waf.requests",
            "waf.client_external",
        ],
    );
    let t = run(&aws, &[]);
    assert_eq!(
        (t.assessment.family.as_str(), t.assessment.verdict),
        ("waf_sqli", Verdict::TruePositive)
    );
    assert_eq!(techniques(&t), ["T1190"]);
    // SQLite, a wafer and a header named otherwise are none of these.
    let other = alert(
        "Wafer fab sensor alert",
        &json!({"log_source": "wafer_line", "rule_id": "sqlite-lock", "headers": [{"name": "X-Agent", "value": "sqlmap"}]}),
    );
    let f = facts(&other, "waf.");
    assert!(f.is_empty(), "{f:?}");
    let f = facts(
        &alert(
            "AWS WAF: rate limit",
            &json!({"log_source": "aws_waf", "terminatingRuleId": "SQLiteRateRule"}),
        ),
        "waf.",
    );
    assert_eq!(f.get("waf.sqli"), None, "{f:?}");
}

#[test]
fn distinct_destination_ip_counts_size_a_scan() {
    let dev = alert(
        "ET SCAN Nmap Scripting Engine User-Agent Detected",
        &json!({"src_ip": "10.5.0.31", "distinct_dst_hosts": 602}),
    );
    let eve = alert(
        "ET SCAN Nmap Scripting Engine User-Agent Detected",
        &json!({"src_ip": "10.5.0.31", "dest_ip": "10.60.4.12", "distinct_dest_ips": 602}),
    );
    same(
        &dev,
        &eve,
        &["scan.detected", "scan.hosts", "scan.source_internal"],
    );
    // An address, a country or a list is no count.
    let not = alert(
        "ET SCAN Nmap Scripting Engine User-Agent Detected",
        &json!({"src_ip": "10.5.0.31", "dest_ip": "10.60.4.12", "dest_ip_country": "DE", "dest_ip_count_note": "602"}),
    );
    assert_eq!(fact(&not, "scan.detected"), None);
}

#[test]
fn zeek_dns_statistics_read_like_the_dev_spelling() {
    let dev = alert(
        "Possible DNS tunnelling: long encoded subdomains",
        &json!({"event_type": "dns", "query_count_1h": 9140, "distinct_subdomains_1h": 9102, "avg_subdomain_length": 58,
                "avg_subdomain_entropy_bits": 4.9, "first_seen_domain": "2026-04-18T22:10:00Z"}),
    );
    let zeek = alert(
        "Possible DNS tunnelling: long encoded subdomains",
        &json!({"log_source": "zeek_dns", "stats_1h": {"queries": 9140, "unique_qnames": 9102, "avg_label_len": 58,
                "shannon_entropy": 4.9}, "first_seen_domain": "2026-04-18T22:10:00Z"}),
    );
    same(
        &dev,
        &zeek,
        &[
            "dns.tunnel",
            "dns.subdomains",
            "dns.subdomain_length",
            "dns.entropy",
        ],
    );
    assert_eq!(
        run(&zeek, &[]).assessment.verdict,
        run(&dev, &[]).assessment.verdict
    );
    // Only TXT/NULL record types carry data without long labels; NULL alone does.
    let typed = |types: Value| {
        alert(
            "DNS anomaly",
            &json!({"log_source": "zeek_dns", "qtype_name": types, "stats_1h": {"queries": 9140}}),
        )
    };
    assert_eq!(
        fact(&typed(json!(["NULL", "TXT"])), "dns.tunnel").as_deref(),
        Some("true")
    );
    assert_eq!(
        fact(&typed(json!(["TXT"])), "dns.tunnel").as_deref(),
        Some("true")
    );
    let mixed = typed(json!(["A", "AAAA", "TXT"]));
    assert_eq!(fact(&mixed, "dns.event").as_deref(), Some("true"));
    assert_eq!(fact(&mixed, "dns.tunnel"), None);
}

// ---- Access and transfers ----------------------------------------------------------

#[test]
fn pan_os_dst_and_app_name_a_transfer() {
    let dev = alert(
        "Large outbound transfer to file sharing service",
        &json!({"src_ip": "10.70.1.15", "dest_ip": "198.51.100.45", "bytes_sent": 15247364096u64,
                "destination_domain": "mega.nz", "staged_file": "C:\\ProgramData\\f.rar"}),
    );
    let pan = alert(
        "Large outbound transfer to file sharing service",
        &json!({"src": "10.70.1.15", "dst": "198.51.100.45", "app": "mega", "bytes_sent": 15247364096u64,
                "preceding_edr": {"cmd": "rar.exe a -hpX -v2g C:\\ProgramData\\f.rar \\\\FS-FIN-01\\Finance$"}}),
    );
    same(
        &dev,
        &pan,
        &[
            "exfil.transfer",
            "exfil.dest_external",
            "exfil.web_service",
            "exfil.archive",
            "exfil.archive_path",
        ],
    );
    assert_eq!(
        run(&pan, &[]).assessment.verdict,
        run(&dev, &[]).assessment.verdict
    );
    // A host name under `dst` is no address, and an editor naming a .zip is no archiver.
    let host = alert(
        "Large outbound transfer",
        &json!({"dst": "FS-FIN-01.corp.local", "bytes_sent": 15247364096u64, "cmd": "notepad.exe C:\\x\\f.zip"}),
    );
    let f = facts(&host, "exfil.");
    assert!(f.is_empty(), "{f:?}");
}

// ---- Cloud identity ----------------------------------------------------------------

#[test]
fn entra_audit_log_consent_reads_like_flat_fields() {
    let flat = alert(
        "Consent granted to unverified multi-tenant application",
        &json!({"operation": "Consent to application", "app_display_name": "DocuViewer Pro", "publisher_verified": false,
                "scopes_granted": "Mail.ReadWrite Files.Read.All Contacts.Read offline_access User.Read"}),
    );
    let audit = |verified: &str| {
        alert(
            "Consent granted to unverified multi-tenant application",
            &json!({"OperationName": "Consent to application",
                    "TargetResources": [{"displayName": "DocuViewer Pro", "type": "ServicePrincipal", "modifiedProperties": [
                        {"displayName": "ConsentContext.IsAdminConsent", "newValue": "\"False\""},
                        {"displayName": "ConsentAction.Permissions", "newValue": "\"[] => [[Id: x, ClientId: 0f, ConsentType: Principal, Scope: Mail.ReadWrite Files.Read.All Contacts.Read offline_access User.Read, CreatedDateTime: ]]; \""}]}],
                    "AdditionalDetails": [{"key": "User-Agent", "value": "Mozilla/5.0"}, {"key": "AppPublisherVerified", "value": verified}]}),
        )
    };
    same(
        &flat,
        &audit("false"),
        &[
            "oauth.app",
            "oauth.unverified",
            "oauth.risky_scopes",
            "oauth.offline_access",
            "oauth.scope_names",
        ],
    );
    let (a, b) = (run(&flat, &[]), run(&audit("false"), &[]));
    assert_eq!(
        (a.assessment.verdict, techniques(&a)),
        (b.assessment.verdict, techniques(&b))
    );
    assert_eq!(b.assessment.verdict, Verdict::TruePositive);
    let verified = audit("true");
    assert_eq!(fact(&verified, "oauth.unverified"), None);
    assert_eq!(fact(&verified, "oauth.verified").as_deref(), Some("true"));
}

#[test]
fn entra_and_mcas_travel_records_are_sign_ins() {
    let dev = alert(
        "Impossible travel",
        &json!({"signins": [
            {"country": "US", "result": "success", "ip": "192.0.2.144"},
            {"country": "NG", "result": "success", "ip": "203.0.113.201", "client_app": "IMAP4"}]}),
    );
    let entra = |code: u32| {
        alert(
            "Impossible travel",
            &json!({"signins": [
                {"location": {"countryOrRegion": "US"}, "status": {"errorCode": 0}, "ipAddress": "192.0.2.144"},
                {"location": {"countryOrRegion": "NG"}, "status": {"errorCode": code}, "ipAddress": "203.0.113.201", "clientAppUsed": "IMAP4"}]}),
        )
    };
    same(
        &dev,
        &entra(0),
        &[
            "travel.impossible",
            "travel.successes",
            "travel.countries",
            "travel.ips",
            "travel.legacy_client",
        ],
    );
    // A failed sign-in abroad is no travel.
    assert_eq!(
        fact(&entra(50126), "travel.successes").as_deref(),
        Some("1")
    );
    assert_eq!(fact(&entra(50126), "travel.impossible"), None);
    // MCAS records carry no result: they are the sign-ins of an impossible-travel
    // detection named by its policy field, and of nothing else.
    let mcas = |policy: &str| {
        alert(
            "Activity alert",
            &json!({"policy": policy, "activities": [
                {"ip": "192.0.2.77", "country": "DE"}, {"ip": "198.51.100.130", "country": "US"}]}),
        )
    };
    assert_eq!(
        fact(&mcas("Impossible travel"), "travel.impossible").as_deref(),
        Some("true")
    );
    assert_eq!(
        fact(&mcas("Mass download"), "travel.successes").as_deref(),
        Some("0")
    );
    assert_eq!(fact(&mcas("Mass download"), "travel.impossible"), None);
}

// ---- Clicks ------------------------------------------------------------------------

#[test]
fn tap_click_events_and_a_post_to_the_same_site() {
    let tap = |post_url: &str| {
        alert(
            "Proofpoint TAP alert",
            &json!({"eventType": "clicksPermitted", "url": "https://sharepoint-docs-share.example/s/7f3a/login.php",
                    "proxy_followup": {"method": "POST", "url": post_url, "status": 302}}),
        )
    };
    let dev = alert(
        "User clicked link",
        &json!({"event_type": "url_navigation", "url": "https://sharepoint-docs-share.example/s/7f3a/login.php",
                "credentials_submitted": true}),
    );
    same(
        &dev,
        &tap("https://sharepoint-docs-share.example/s/7f3a/next.php"),
        &["url.click", "url.domain", "url.submitted"],
    );
    // A POST elsewhere is not a form sent to the clicked site.
    let other = tap("https://telemetry.vendor.example/collect");
    assert_eq!(
        fact(&other, "url.click").as_deref(),
        Some("true"),
        "{:?}",
        facts(&other, "url.")
    );
    assert_eq!(
        fact(&other, "url.submitted"),
        None,
        "{:?}",
        facts(&other, "url.")
    );
}

// ---- Conditions ----------------------------------------------------------------------

#[test]
fn field_exists_matches_object_and_list_nodes() {
    let cond = |field: &str| Cond::parse(&json!({"field": field, "exists": true})).unwrap();
    let a = alert(
        "Periodic beaconing",
        &json!({"ti_match": {"indicator": "45.76.99.126", "feed": "threatfox"},
                "hits": [{"ioc": {"value": "x"}}], "empty": {}, "nothing": null}),
    );
    with_facts(&a, |f| {
        for present in [
            "ti_match",
            "TI_MATCH",
            "ti_match.indicator",
            "hits",
            "ioc",
            "hits.ioc",
        ] {
            assert!(cond(present).eval(f, None), "{present}");
        }
        for absent in ["empty", "indicator.ti_match", "raw_log", "feed.x", "match"] {
            assert!(!cond(absent).eval(f, None), "{absent}");
        }
    });
}
