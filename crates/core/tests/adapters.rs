//! The Wazuh and Splunk adapters against the contract fixtures in `tests/fixtures/adapters/`
//! (see the README there for where they come from).
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::path::PathBuf;

use serde_json::{Value, json};
use soc_core::alert::{Alert, AlertError, Format, Limits, Severity, parse_input};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/adapters")
        .join(name)
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Parses through detection and through the explicit format; both must agree.
fn load(name: &str, format: Format) -> Alert {
    let v = fixture(name);
    let auto = Alert::from_value(v.clone(), Format::Auto, &Limits::default())
        .unwrap_or_else(|e| panic!("{name} (auto): {e}"));
    let explicit = Alert::from_value(v, format, &Limits::default())
        .unwrap_or_else(|e| panic!("{name} ({}): {e}", format.as_str()));
    assert_eq!(auto, explicit, "{name}: detection picked another adapter");
    explicit
}

fn ts(a: &Alert) -> String {
    a.timestamp
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[test]
fn detection_picks_the_right_format() {
    for (name, format) in [
        ("wazuh_alert_sshd_bruteforce.json", Format::Wazuh),
        ("wazuh_alert_sshd_invalid_user.json", Format::Wazuh),
        ("wazuh_alert_windows_sysmon_powershell.json", Format::Wazuh),
        ("wazuh_alert_fim_modified.json", Format::Wazuh),
        ("splunk_webhook_malicious.json", Format::SplunkWebhook),
        ("splunk_webhook_benign.json", Format::SplunkWebhook),
        (
            "splunk_webhook_null_search_name.json",
            Format::SplunkWebhook,
        ),
        ("splunk_hec_event_request.json", Format::SplunkHec),
    ] {
        let Value::Object(obj) = fixture(name) else {
            panic!("{name} is not an object")
        };
        assert_eq!(Format::detect(&obj), format, "{name}");
    }
}

#[test]
fn wazuh_sshd_bruteforce() {
    let a = load("wazuh_alert_sshd_bruteforce.json", Format::Wazuh);
    assert_eq!(a.alert_id, "1748839780.2231456");
    assert_eq!(ts(&a), "2025-06-02T04:49:40.512Z");
    assert_eq!(a.source, "wazuh");
    assert_eq!(a.severity, Severity::High); // level 10
    assert_eq!(
        a.title,
        "sshd: brute force trying to get access to the system. Non existent user."
    );
    assert_eq!(a.indicators.ips, vec!["185.220.101.47"]);
    assert!(!a.indicators.ips.iter().any(|ip| ip == "10.20.2.11"));
    assert_eq!(a.indicators.users, vec!["test"]);
    assert_eq!(a.indicators.hosts, vec!["web-01"]);
    assert_eq!(a.host(), Some("web-01"));
    let d = &a.raw_log["detection"];
    assert_eq!(d["rule_id"], "5712");
    assert_eq!(d["rule_level"], 10);
    assert_eq!(d["firedtimes"], 3);
    assert_eq!(d["techniques"], json!(["T1110"]));
    assert_eq!(
        d["rule_groups"],
        json!(["syslog", "sshd", "authentication_failures"])
    );
    for key in [
        "rule",
        "agent",
        "manager",
        "decoder",
        "predecoder",
        "data",
        "full_log",
        "previous_output",
        "location",
    ] {
        assert!(a.raw_log.contains_key(key), "raw_log lost `{key}`");
    }
}

#[test]
fn wazuh_sshd_invalid_user() {
    let a = load("wazuh_alert_sshd_invalid_user.json", Format::Wazuh);
    assert_eq!(a.alert_id, "1748839776.2229811");
    assert_eq!(ts(&a), "2025-06-02T04:49:36.104Z");
    assert_eq!(a.severity, Severity::Medium); // level 5
    assert_eq!(a.title, "sshd: Attempt to login using a non-existent user");
    assert_eq!(a.indicators.ips, vec!["198.51.100.23"]);
    assert_eq!(a.indicators.users, vec!["oracle"]);
    assert_eq!(
        a.raw_log["detection"]["techniques"],
        json!(["T1110.001", "T1021.004"])
    );
}

#[test]
fn wazuh_windows_sysmon_paths_have_single_backslashes() {
    let a = load("wazuh_alert_windows_sysmon_powershell.json", Format::Wazuh);
    assert_eq!(a.alert_id, "1748839559.1984412");
    assert_eq!(ts(&a), "2025-06-02T04:45:59.018Z");
    assert_eq!(a.severity, Severity::Critical); // level 12
    assert_eq!(
        a.title,
        "Powershell process spawned by Microsoft Office application with encoded command"
    );
    let ev = &a.raw_log["data"]["win"]["eventdata"];
    assert_eq!(
        ev["image"],
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    );
    assert_eq!(
        ev["parentImage"],
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    );
    assert_eq!(ev["currentDirectory"], r"C:\Users\jdoe\Documents\");
    assert_eq!(
        ev["parentCommandLine"],
        r#""C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\jdoe\Downloads\invoice_0621.docm""#
    );
    assert!(
        a.indicators.ips.is_empty(),
        "agent.ip must not be an indicator"
    );
    assert_eq!(a.indicators.users, vec![r"CORP\jdoe"]);
    assert_eq!(
        a.indicators.hashes,
        vec!["DE96A6E69944335375DC1AC238336066889D9FFC7D73628EF4FE1B1B160AB32C"]
    );
    assert_eq!(
        a.indicators.hosts,
        vec!["WKS-042", "WKS-042.corp.example.org"]
    );
    assert_eq!(
        a.raw_log["detection"]["techniques"],
        json!(["T1059.001", "T1027"])
    );
}

#[test]
fn wazuh_fim_modified() {
    let a = load("wazuh_alert_fim_modified.json", Format::Wazuh);
    assert_eq!(a.alert_id, "1748840531.2240019");
    assert_eq!(ts(&a), "2025-06-02T05:02:11.777Z");
    assert_eq!(a.severity, Severity::Medium); // level 7
    assert_eq!(a.title, "Integrity checksum changed.");
    assert_eq!(
        a.indicators.hashes,
        vec![
            "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
            "8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d",
            "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b",
        ]
    );
    assert_eq!(a.raw_log["syscheck"]["path"], "/etc/ssh/sshd_config");
    assert!(a.indicators.ips.is_empty());
}

#[test]
fn wazuh_jsonl_sample_gives_four_alerts() {
    let bytes = std::fs::read(fixture_path("wazuh_alerts_sample.jsonl")).unwrap();
    for format in [Format::Auto, Format::Wazuh] {
        let parsed = parse_input(&bytes, format, &Limits::default()).unwrap();
        assert_eq!(parsed.len(), 4);
        let alerts: Vec<Alert> = parsed.into_iter().map(|p| p.result.unwrap()).collect();
        let ids: Vec<&str> = alerts.iter().map(|a| a.alert_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "1748839776.2229811",
                "1748839780.2231456",
                "1748839559.1984412",
                "1748840531.2240019"
            ]
        );
        assert!(alerts.iter().all(|a| a.source == "wazuh"));
        // Same records as the single-object fixtures.
        assert_eq!(
            alerts[2],
            load("wazuh_alert_windows_sysmon_powershell.json", Format::Wazuh)
        );
    }
}

#[test]
fn splunk_webhook_malicious_and_benign() {
    let a = load("splunk_webhook_malicious.json", Format::SplunkWebhook);
    assert_eq!(
        a.alert_id,
        "scheduler__admin__search__RMD5e3b0c44298fc1c14_at_1748839800_1234"
    );
    assert_eq!(ts(&a), "2025-06-02T04:49:40.000Z");
    assert_eq!(a.source, "splunk");
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.title, "SSH brute force from external IP");
    assert_eq!(a.indicators.ips, vec!["185.220.101.47"]);
    assert_eq!(a.indicators.hosts, vec!["web-01"]);
    assert_eq!(a.indicators.users, vec!["root"]);
    assert_eq!(a.raw_log["app"], "sshd");
    assert_eq!(a.raw_log["_time"], "1748839780");
    let d = &a.raw_log["detection"];
    assert_eq!(d["app"], "search");
    assert_eq!(d["owner"], "admin");
    assert_eq!(d["sid"], a.alert_id.as_str());
    assert!(d["results_link"].as_str().unwrap().starts_with("https://"));

    let b = load("splunk_webhook_benign.json", Format::SplunkWebhook);
    assert_eq!(ts(&b), "2025-06-02T05:10:00.000Z");
    assert_eq!(b.indicators.ips, vec!["198.51.100.23"]);
    assert_eq!(b.indicators.users, vec!["svc_backup"]);
    assert_ne!(a.alert_id, b.alert_id);
}

#[test]
fn splunk_webhook_null_search_name() {
    // A `stats ... by host` row: no `search_name`, no `_time`. The title comes from the
    // sid, and so does the time (the search's dispatch time).
    let a = load(
        "splunk_webhook_null_search_name.json",
        Format::SplunkWebhook,
    );
    assert_eq!(a.alert_id, "1748841100.4471");
    assert_eq!(a.title, "Splunk alert 1748841100.4471");
    assert_eq!(ts(&a), "2025-06-02T05:11:40.000Z");
    assert_eq!(a.raw_log["detection"]["time_source"], "sid");
    assert!(a.raw_log["detection"].get("search_name").is_none());
    assert_eq!(a.indicators.hosts, vec!["WKS-042", "WKS-043"]);
    assert!(a.indicators.ips.is_empty());

    // A time in the row wins over the sid's.
    let mut v = fixture("splunk_webhook_null_search_name.json");
    v["result"]["time"] = json!("2025-06-02T05:11:39.250+0000");
    let a = Alert::from_value(v, Format::Auto, &Limits::default()).unwrap();
    assert_eq!(ts(&a), "2025-06-02T05:11:39.250Z");
    assert!(a.raw_log["detection"].get("time_source").is_none());
}

#[test]
fn splunk_webhook_without_any_time_names_the_field() {
    let mut v = fixture("splunk_webhook_malicious.json");
    v["result"].as_object_mut().unwrap().remove("_time");
    v["sid"] = json!("my_saved_search");
    for format in [Format::Auto, Format::SplunkWebhook] {
        let err = Alert::from_value(v.clone(), format, &Limits::default()).unwrap_err();
        assert_eq!(err, AlertError::MissingField("result._time"));
        assert_eq!(err.to_string(), "missing required field `result._time`");
    }
    v["result"]["_time"] = json!("not a time");
    let err = Alert::from_value(v, Format::Auto, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("`result._time`"), "{err}");
}

#[test]
fn splunk_hec_event() {
    let a = load("splunk_hec_event_request.json", Format::SplunkHec);
    assert_eq!(
        a.alert_id,
        "a7c3e9f1b2d4068e5f7a9c1b3d5e7f9021436587a9cbed0f1e2d3c4b5a697887"
    );
    assert_eq!(ts(&a), "2025-06-02T04:46:03.118Z");
    assert_eq!(a.source, "splunk-hec");
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.title, "ai:triage:verdict");
    assert_eq!(a.raw_log["verdict"], "malicious");
    let hec = &a.raw_log["hec"];
    assert_eq!(hec["host"], "ai-triage-01");
    assert_eq!(hec["source"], "ai-triage");
    assert_eq!(hec["sourcetype"], "ai:triage:verdict");
    assert_eq!(hec["index"], "security");
    assert_eq!(
        hec["fields"]["mitre_technique"],
        json!(["T1059.001", "T1027"])
    );
    // The envelope host is the sender, not an indicator.
    assert!(a.indicators.is_empty());

    let mut v = fixture("splunk_hec_event_request.json");
    v.as_object_mut().unwrap().remove("time");
    let err = Alert::from_value(v, Format::SplunkHec, &Limits::default()).unwrap_err();
    assert_eq!(err.to_string(), "missing required field `time`");
}
