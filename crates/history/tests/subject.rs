//! `Subject::from_alert`: which hosts, indicators and techniques take part.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use serde_json::json;
use soc_core::alert::{Format, Limits};
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Verdict};
use soc_history::subject::{MAX_HOSTS, MAX_INDICATORS};
use soc_history::{HistoryStore, MemoryHistory, MemoryOptions, Subject, Summary};
use support::{Spec, investigation, subject};

fn from(v: serde_json::Value) -> Subject {
    let a = Alert::from_value(v, Format::Native, &Limits::default()).unwrap();
    Subject::from_alert(&a, &extract(&a, &IocConfig::default()))
}

#[test]
fn hosts_come_from_raw_log_and_declared_hosts_lower_case() {
    let s = from(json!({
        "alert_id": "a1", "timestamp": "2026-01-01T00:00:00Z", "source": "elastic",
        "severity": "high", "title": "t",
        "raw_log": {"host": {"name": "DC-01.Corp.Local"}},
        "indicators": {"hosts": ["dc-01.corp.local", "FS-02", "  "]}
    }));
    assert_eq!(s.hosts, ["dc-01.corp.local", "fs-02"]);
    let s = from(json!({
        "alert_id": "a2", "timestamp": "2026-01-01T00:00:00Z", "source": "siem",
        "severity": "low", "title": "t", "raw_log": {"host": "WEB-7"}
    }));
    assert_eq!(s.hosts, ["web-7"]);
    let many: Vec<String> = (0..20).map(|i| format!("h{i}")).collect();
    let s = from(json!({
        "alert_id": "a3", "timestamp": "2026-01-01T00:00:00Z", "source": "siem",
        "severity": "low", "title": "t", "raw_log": {}, "indicators": {"hosts": many}
    }));
    assert_eq!(s.hosts.len(), MAX_HOSTS);
}

#[test]
fn indicators_are_canonical_kind_value_without_users() {
    let s = from(json!({
        "alert_id": "a1", "timestamp": "2026-01-01T00:00:00Z", "source": "siem",
        "severity": "high", "title": "t",
        "raw_log": {"cmd": "curl hxxp://bad[.]example[.]net/p.sh from 10.1.2.3", "user": "root"},
        "indicators": {
            "ips": ["203.0.113.5"],
            "users": ["administrator"],
            "hashes": ["44D88612FEA8A8F36DE82E1278ABB02F"],
            "emails": ["Boss@Example.COM"]
        }
    }));
    assert_eq!(
        s.indicators,
        [
            "ipv4:203.0.113.5",
            "md5:44d88612fea8a8f36de82e1278abb02f",
            "email:Boss@example.com",
            "url:http://bad.example.net/p.sh",
            "domain:bad.example.net",
            "ipv4:10.1.2.3",
        ]
    );
    assert_eq!(s.ipv4s(), ["203.0.113.5", "10.1.2.3"]);
    assert!(s.techniques.is_empty());
    assert_eq!(s.investigation_id.len(), 36, "a UUID");
    let s = s.with_techniques(["t1059.001 - PowerShell", "T1059.001", "nonsense", "T1110"]);
    assert_eq!(s.techniques, ["T1059.001", "T1110"]);
}

#[test]
fn indicators_are_capped_declared_first() {
    let ips: Vec<String> = (0..200)
        .map(|i| format!("198.51.{}.{}", i / 250, i % 250 + 1))
        .collect();
    let s = from(json!({
        "alert_id": "a1", "timestamp": "2026-01-01T00:00:00Z", "source": "siem",
        "severity": "high", "title": "t", "raw_log": {"x": "evil.example.org"},
        "indicators": {"ips": ips}
    }));
    assert_eq!(s.indicators.len(), MAX_INDICATORS);
    assert_eq!(s.indicators[0], "ipv4:198.51.0.1");
}

#[tokio::test]
async fn stored_summaries_are_bounded() {
    let huge_title = "T".repeat(10_000);
    let mut s = subject(
        "A",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    s.title = huge_title;
    s.hosts = (0..100).map(|i| format!("HOST-{i}")).collect();
    s.indicators = (0..500)
        .map(|i| format!("domain:d{i}.example.com"))
        .collect();
    s.indicators
        .push(format!("url:https://x.example.com/{}", "a".repeat(5000)));
    let store = MemoryHistory::new(Default::default(), MemoryOptions::default());
    store.begin(&s).await.unwrap();
    store
        .record(&s, &investigation(&s, Verdict::TruePositive, &[]))
        .await
        .unwrap();
    let sum: Summary = store.summary(&s.investigation_id).await.unwrap().unwrap();
    assert_eq!(sum.title.len(), 200);
    assert_eq!(sum.hosts.len(), MAX_HOSTS);
    assert_eq!(sum.hosts[0], "host-0");
    assert_eq!(sum.indicators.len(), MAX_INDICATORS);
    let json = serde_json::to_string(&sum).unwrap();
    assert!(json.len() < 4_000, "{} bytes", json.len());
}

/// The hashes of a stock system binary (in `System32` under its own compiled-in name) link
/// nothing, declared or found in the event; a renamed copy's hashes still do.
#[test]
fn stock_system_binary_hashes_are_not_linking_indicators() {
    let md5 = "0123456789ABCDEF0123456789ABCDEF";
    let sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    let alert = |original: &str| {
        from(json!({
            "alert_id": "a1", "timestamp": "2026-01-01T00:00:00Z", "source": "edr",
            "severity": "high", "title": "t",
            "raw_log": {"event_data": {
                "Image": "C:\\Windows\\System32\\wbem\\WMIC.exe", "OriginalFileName": original,
                "CommandLine": "wmic /node:203.0.113.9 process call create x",
                "Hashes": format!("MD5={md5},SHA256={sha256}")
            }},
            "indicators": {"hashes": [md5, sha256]}
        }))
    };
    assert_eq!(alert("wmic.exe").indicators, ["ipv4:203.0.113.9"]);
    let renamed = alert("procdump.exe");
    assert!(
        renamed.indicators.iter().any(|i| i.starts_with("md5:"))
            && renamed.indicators.iter().any(|i| i.starts_with("sha256:")),
        "{:?}",
        renamed.indicators
    );
}
