//! Shared helpers: alerts, subjects and investigations for the history tests.
#![allow(dead_code, unreachable_pub)] // each test binary uses part of it

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use soc_core::alert::{Format, Limits};
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Investigation, Severity, Verdict};
use soc_history::Subject;

/// A fixed base time plus `hours`.
pub fn at(hours: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + hours * 3600, 0).unwrap()
}

/// What an alert declares.
#[derive(Default, Clone)]
pub struct Spec<'a> {
    pub ips: &'a [&'a str],
    pub domains: &'a [&'a str],
    pub hashes: &'a [&'a str],
    pub users: &'a [&'a str],
    pub host: Option<&'a str>,
}

/// A native alert at `hours` with the declared indicators and `raw_log.host`.
pub fn alert(id: &str, hours: i64, spec: &Spec<'_>) -> Alert {
    let mut raw = serde_json::Map::new();
    raw.insert("message".into(), json!("test event"));
    if let Some(h) = spec.host {
        raw.insert("host".into(), json!(h));
    }
    let v = json!({
        "alert_id": id,
        "timestamp": at(hours).to_rfc3339(),
        "source": "siem",
        "severity": "high",
        "title": format!("Alert {id}"),
        "raw_log": raw,
        "indicators": {
            "ips": spec.ips,
            "domains": spec.domains,
            "hashes": spec.hashes,
            "users": spec.users,
        }
    });
    Alert::from_value(v, Format::Native, &Limits::default()).unwrap()
}

/// The subject of [`alert`].
pub fn subject(id: &str, hours: i64, spec: &Spec<'_>) -> Subject {
    let a = alert(id, hours, spec);
    let iocs = extract(&a, &IocConfig::default());
    Subject::from_alert(&a, &iocs)
}

/// A minimal completed investigation of `s`.
pub fn investigation(s: &Subject, verdict: Verdict, techniques: &[&str]) -> Investigation {
    serde_json::from_value(json!({
        "schema_version": "1",
        "investigation_id": s.investigation_id,
        "alert_id": s.alert_id,
        "alert_fingerprint": format!("fp-{}", s.alert_id),
        "created_at": Utc::now().to_rfc3339(),
        "verdict": verdict.as_str(),
        "confidence": "high",
        "hypothesis": "test",
        "attack_techniques": techniques,
        "escalation_recommended": verdict == Verdict::TruePositive,
        "evidence": [{"id": "ev-1", "source_tool": "t", "claim": "c", "raw_data": {}, "confidence": "low", "success": false}],
        "injection_flags": [{"location": "title", "pattern": "p", "excerpt": "e"}],
    }))
    .unwrap()
}

/// xorshift64*: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// 0..n, skewed toward 0 (a few hot values, a long tail).
    pub fn skewed(&mut self, n: u64) -> u64 {
        let a = self.next() % n;
        let b = self.next() % n;
        a.min(b)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn base() -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000, 0).unwrap()
}

/// A synthetic alert: 1–3 IPv4s from 300 /24s, 0–2 domains, 0–1 hash, 0–1 URL, one of 500
/// hosts, a time within 30 days.
pub fn synthetic(rng: &mut Rng, id: usize) -> Subject {
    let mut indicators = Vec::new();
    for _ in 0..=rng.below(3) {
        let net = rng.skewed(300);
        indicators.push(format!(
            "ipv4:45.{}.{}.{}",
            net / 100 + 10,
            net % 100,
            rng.below(20) + 1
        ));
    }
    for _ in 0..rng.below(3) {
        let d = rng.skewed(2_000);
        indicators.push(format!("domain:d{d}.example-{}.com", d % 50));
    }
    if rng.below(2) == 0 {
        indicators.push(format!(
            "sha256:{}",
            soc_core::alert::sha256_hex(&rng.skewed(5_000).to_le_bytes())
        ));
    }
    if rng.below(3) == 0 {
        let u = rng.skewed(3_000);
        indicators.push(format!("url:https://d{u}.example.com/login/{u}"));
    }
    indicators.dedup();
    let secs = i64::try_from(rng.below(30 * 86_400)).unwrap();
    let verdicts = ["T1110.001", "T1059.001", "T1566.002", "T1078"];
    Subject {
        investigation_id: format!("0199a1b2-0000-7000-8000-{id:012}"),
        alert_id: format!("alert-{id}"),
        timestamp: base() - chrono::Duration::seconds(secs),
        title: "Multiple failed logons followed by a success".to_owned(),
        source: "siem".to_owned(),
        severity: Severity::High,
        hosts: vec![format!("ws-{}", rng.skewed(500))],
        indicators,
        techniques: vec![verdicts[usize::try_from(rng.below(4)).unwrap()].to_owned()],
    }
}
