use chrono::{DateTime, TimeZone, Utc};
use soc_core::{Confidence, Severity, Verdict};

use super::*;
use crate::subject::{MAX_INDICATOR_LEN, technique_id};

fn t(h: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + h * 3600, 0).unwrap()
}

fn subject(alert: &str, h: i64, iocs: &[&str], hosts: &[&str]) -> Subject {
    Subject {
        investigation_id: format!("inv-{alert}"),
        alert_id: alert.to_owned(),
        timestamp: t(h),
        title: format!("title {alert}"),
        source: "siem".to_owned(),
        severity: Severity::High,
        hosts: hosts.iter().map(|s| (*s).to_owned()).collect(),
        indicators: iocs.iter().map(|s| (*s).to_owned()).collect(),
        techniques: Vec::new(),
    }
}

fn done(s: &Subject, verdict: Verdict, techniques: &[&str]) -> Summary {
    let mut x = Summary::pending(s, t(0));
    x.investigated_at = Some(t(0));
    x.verdict = Some(verdict);
    x.confidence = Some(Confidence::High);
    x.techniques = techniques.iter().map(|s| (*s).to_owned()).collect();
    x
}

#[test]
fn technique_ids_are_parsed_strictly() {
    assert_eq!(
        technique_id("T1110.001 - Brute Force").as_deref(),
        Some("T1110.001")
    );
    assert_eq!(technique_id("t1059").as_deref(), Some("T1059"));
    assert_eq!(technique_id("T1059 Command"), Some("T1059".to_owned()));
    assert_eq!(technique_id("T10591"), None);
    assert_eq!(technique_id("T1059.0011"), None);
    assert_eq!(technique_id("TA0001"), None);
    assert_eq!(technique_id(""), None);
    assert_eq!(technique_id("é1234"), None);
}

#[test]
fn interleave_is_fair_and_capped() {
    let lists = vec![
        vec!["a1".into(), "a2".into(), "a3".into()],
        vec!["b1".into(), "a1".into()],
        vec!["c1".into()],
    ];
    assert_eq!(
        interleave(lists.clone(), 10),
        ["a1", "b1", "c1", "a2", "a3"]
    );
    assert_eq!(interleave(lists, 2), ["a1", "b1"]);
}

/// The round-robin spelled out one id at a time: the oracle `interleave` must match.
fn interleave_oracle(lists: &[Vec<String>], cap: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut round = 0;
    loop {
        let mut progressed = false;
        for ids in lists {
            if out.len() >= cap {
                return out;
            }
            if let Some(id) = ids.get(round) {
                progressed = true;
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
        }
        if !progressed {
            return out;
        }
        round += 1;
    }
}

#[test]
fn interleave_matches_the_one_at_a_time_round_robin() {
    // Lists of uneven length drawn from a small pool, so ids repeat within and across.
    let mut state = 0x2545_f491_u64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % n
    };
    for case in 0..300 {
        let lists: Vec<Vec<String>> = (0..next(6))
            .map(|_| (0..next(12)).map(|_| format!("id{}", next(15))).collect())
            .collect();
        for cap in [0, 1, 3, 7, 40] {
            assert_eq!(
                interleave(lists.clone(), cap),
                interleave_oracle(&lists, cap),
                "case {case}, cap {cap}: {lists:?}"
            );
        }
    }
}

#[test]
fn correlation_rules_and_summary_strings() {
    let me = subject(
        "me",
        0,
        &["ipv4:203.0.113.5", "domain:evil.test"],
        &["ws-1"],
    )
    .with_techniques(["T1110.001"]);
    let ioc = subject("ioc", -1, &["domain:evil.test"], &[]);
    let net = subject("net", -2, &["ipv4:203.0.113.77"], &[]);
    let same_ip_only_net = subject("same", -3, &["ipv4:198.51.100.1"], &[]);
    let host = subject("host", 5, &[], &["WS-1"]);
    let tech_only = subject("tech", -1, &["ipv4:192.0.2.1"], &[]);
    let far = subject("far", -100, &["domain:evil.test"], &[]);
    let recs = vec![
        done(&ioc, Verdict::TruePositive, &["T1110.003"]),
        done(&net, Verdict::FalsePositive, &[]),
        done(&same_ip_only_net, Verdict::FalsePositive, &[]),
        Summary::pending(&host, t(0)),
        done(&tech_only, Verdict::TruePositive, &["T1110"]),
        done(&far, Verdict::TruePositive, &[]),
    ];
    let c = correlation_from(&me, &recs, Duration::from_secs(72 * 3600), SKEW, 50);
    let got: Vec<(&str, &str, Vec<&str>)> = c
        .related_alerts
        .iter()
        .map(|r| {
            (
                r.alert_id.as_str(),
                r.verdict.as_str(),
                r.signals.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("host", "pending", vec!["shared_host:ws-1"]),
            (
                "ioc",
                "true_positive",
                vec!["shared_ioc:evil.test", "shared_technique:T1110"]
            ),
            ("net", "false_positive", vec!["related_ip:203.0.113.77/24"]),
        ]
    );
    assert!(c.is_campaign);
    assert_eq!(c.window_hours, 72);
    assert_eq!(
        c.summary,
        "Possible coordinated campaign: 4 related alerts within 72h (this alert + 3 prior)."
    );

    let c = correlation_from(&me, &recs[..1], Duration::from_secs(24 * 3600), SKEW, 50);
    assert_eq!(
        c.summary,
        "1 related prior alert(s) within 24h \u{2014} related activity, below campaign threshold."
    );
    let c = correlation_from(&me, &[], Duration::from_secs(3600), SKEW, 50);
    assert_eq!(c.summary, "No related prior alerts within 1h.");
    assert!(!c.is_campaign);
}

#[test]
fn a_base_worked_out_without_techniques_serves_any_techniques_later() {
    // As at recall: no techniques yet.
    let me = subject("me", 0, &["domain:evil.test"], &["ws-1"]);
    let ioc = subject("ioc", -1, &["domain:evil.test"], &[]);
    let host = subject("host", -2, &[], &["ws-1"]);
    let recs = vec![
        done(&ioc, Verdict::TruePositive, &["T1110.003", "T1059"]),
        done(&host, Verdict::FalsePositive, &["T1059.001"]),
    ];
    let base = correlation_base(&me, &recs, DEFAULT, SKEW);
    let signals = |c: &Correlation| -> Vec<Vec<String>> {
        c.related_alerts.iter().map(|r| r.signals.clone()).collect()
    };
    assert_eq!(
        signals(&base.finish(&me, 50)),
        [vec!["shared_ioc:evil.test"], vec!["shared_host:ws-1"]]
    );
    // After the verdict: the technique signals are added (in technique order, whatever
    // the order they came in), nothing else changes.
    let later = me.clone().with_techniques(["T1110", "T1059.001"]);
    assert!(base.is_for(&later));
    let c = base.finish(&later, 50);
    assert_eq!(
        signals(&c),
        [
            vec![
                "shared_ioc:evil.test",
                "shared_technique:T1059",
                "shared_technique:T1110"
            ],
            vec!["shared_host:ws-1", "shared_technique:T1059"],
        ]
    );
    // Capped after ordering; the count and summary still cover every related alert.
    let capped = base.finish(&later, 1);
    assert_eq!(capped.related_alerts.len(), 1);
    assert_eq!(capped.related_alerts[0].alert_id, "ioc");
    assert_eq!(capped.summary, c.summary);
    // Not the same subject: the base does not apply.
    for other in [
        subject("other", 0, &["domain:evil.test"], &["ws-1"]),
        subject("me", 1, &["domain:evil.test"], &["ws-1"]),
        subject("me", 0, &["domain:other.test"], &["ws-1"]),
        subject("me", 0, &["domain:evil.test"], &["ws-2"]),
    ] {
        assert!(!base.is_for(&other), "{other:?}");
    }
}

#[test]
fn same_address_is_not_a_related_ip() {
    let me = subject("me", 0, &["ipv4:203.0.113.5"], &[]);
    let other = subject("o", 0, &["ipv4:203.0.113.5"], &[]);
    let c = correlation_from(
        &me,
        &[done(&other, Verdict::TruePositive, &[])],
        DEFAULT,
        SKEW,
        50,
    );
    assert_eq!(c.related_alerts[0].signals, ["shared_ioc:203.0.113.5"]);
}

const DEFAULT: Duration = crate::DEFAULT_WINDOW;
const SKEW: Duration = crate::DEFAULT_FUTURE_SKEW;

#[test]
fn long_indicators_match_by_digest_and_show_in_full() {
    let long = format!("url:https://evil.test/{}", "a".repeat(MAX_INDICATOR_LEN));
    let me = subject("me", 0, &[long.as_str()], &[]);
    let other = subject("o", -1, &[long.as_str()], &[]);
    let rec = done(&other, Verdict::TruePositive, &[]);
    assert!(rec.indicators[0].starts_with("url:#"));
    assert!(rec.indicators[0].len() < 64);
    let chosen = select_priors(&me, std::slice::from_ref(&rec));
    let priors = build_priors(chosen, &[], &HistorySettings::default());
    assert_eq!(priors[0].matched_iocs, [long["url:".len()..].to_owned()]);
}

#[test]
fn priors_take_the_latest_completed_record_and_latest_ruling() {
    let me = subject(
        "me",
        0,
        &["domain:evil.test", "md5:0123456789abcdef0123456789abcdef"],
        &["h"],
    );
    let a = subject("a", -5, &["domain:evil.test"], &[]);
    let mut old = done(&a, Verdict::FalsePositive, &[]);
    old.investigation_id = "a-old".into();
    old.investigated_at = Some(t(-4));
    let mut new = done(&a, Verdict::TruePositive, &[]);
    new.investigation_id = "a-new".into();
    new.investigated_at = Some(t(-3));
    let mut pending = Summary::pending(&a, t(-1));
    pending.investigation_id = "a-pending".into();
    let host_only = done(
        &subject("b", -1, &["domain:other.test"], &["h"]),
        Verdict::TruePositive,
        &[],
    );
    let recs = vec![old, new, pending, host_only];
    let chosen = select_priors(&me, &recs);
    assert_eq!(chosen.len(), 1);
    let rulings = vec![
        (
            "a-old".to_owned(),
            Ruling {
                verdict: Verdict::FalsePositive,
                summary: "newer note".into(),
                analyst: "x".into(),
                recorded_at: t(2),
            },
        ),
        (
            "a-new".to_owned(),
            Ruling {
                verdict: Verdict::TruePositive,
                summary: "older note".into(),
                analyst: "x".into(),
                recorded_at: t(1),
            },
        ),
    ];
    let p = build_priors(chosen, &rulings, &HistorySettings::default());
    assert_eq!(p[0].verdict, "true_positive");
    assert_eq!(p[0].human_verdict.as_deref(), Some("false_positive"));
    assert_eq!(p[0].human_summary.as_deref(), Some("newer note"));
    assert_eq!(effective_verdict(&p[0]), "false_positive");
    assert_eq!(p[0].matched_iocs, ["evil.test"]);
}
