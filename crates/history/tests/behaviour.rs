//! One behavioural suite, run over both stores: `RedisHistory` against a real
//! redis-server (soc-testkit, one per test) and `MemoryHistory`. Store-specific checks are
//! in `redis_store.rs` (TTLs, caps) and `memory_store.rs` (the history file).
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::sync::Arc;
use std::time::Duration;

use soc_core::Verdict;
use soc_history::{
    DEFAULT_WINDOW, HistoryError, HistorySettings, HistoryStore, MemoryHistory, MemoryOptions,
    RedisHistory, Ruling, effective_verdict,
};
use soc_testkit::RedisServer;
use support::{Spec, at, investigation, subject};

/// A store under test, and a second handle on the same data (another connection for
/// Redis, the same store for memory) to play a second worker.
struct Env {
    store: Arc<dyn HistoryStore>,
    other: Arc<dyn HistoryStore>,
    _redis: Option<RedisServer>,
}

fn settings() -> HistorySettings {
    HistorySettings::default()
}

async fn redis_env() -> Env {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let a = RedisHistory::connect_lazy(&redis.url(), prefix.clone(), settings()).unwrap();
    let b = RedisHistory::connect_lazy(&redis.url(), prefix, settings()).unwrap();
    Env {
        store: Arc::new(a),
        other: Arc::new(b),
        _redis: Some(redis),
    }
}

async fn memory_env() -> Env {
    let m: Arc<dyn HistoryStore> =
        Arc::new(MemoryHistory::new(settings(), MemoryOptions::default()));
    Env {
        store: m.clone(),
        other: m,
        _redis: None,
    }
}

/// Investigates `s` start to end with `verdict`.
async fn done(store: &dyn HistoryStore, s: &soc_history::Subject, verdict: Verdict, tech: &[&str]) {
    store.begin(s).await.unwrap();
    store
        .record(s, &investigation(s, verdict, tech))
        .await
        .unwrap();
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod redis {
            $(
                #[tokio::test]
                async fn $name() {
                    let env = super::redis_env().await;
                    super::$name(&env).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    let env = super::memory_env().await;
                    super::$name(&env).await;
                }
            )*
        }
    };
}

both!(
    prior_sightings_need_an_exact_indicator,
    prior_sightings_use_the_latest_record_and_the_ruling_outranks,
    prior_sightings_are_sorted_newest_first_and_capped,
    pending_investigations_are_related_but_not_prior_sightings,
    correlation_signals_and_campaign,
    technique_only_corroborates,
    window_is_on_alert_time_in_both_directions,
    concurrent_related_alerts_see_each_other,
    racing_workers_never_both_miss,
    record_under_another_investigation_id_replaces_the_pending_entry,
    rulings_and_input_errors,
    users_do_not_link_alerts,
    same_alert_id_from_another_source_is_another_alert,
);

async fn prior_sightings_need_an_exact_indicator(env: &Env) {
    let s = &*env.store;
    let a = subject(
        "A",
        -10,
        &Spec {
            ips: &["203.0.113.9"],
            host: Some("WS-01"),
            ..Spec::default()
        },
    );
    let b = subject(
        "B",
        -9,
        &Spec {
            ips: &["198.51.100.3"],
            host: Some("ws-01"),
            ..Spec::default()
        },
    );
    let c = subject(
        "C",
        -8,
        &Spec {
            ips: &["203.0.113.10"],
            host: Some("ws-01"),
            ..Spec::default()
        },
    );
    done(s, &a, Verdict::TruePositive, &[]).await;
    done(s, &b, Verdict::FalsePositive, &[]).await;
    done(s, &c, Verdict::FalsePositive, &[]).await;
    // An earlier investigation of the current alert itself is never a prior sighting.
    let me_before = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.9"],
            ..Spec::default()
        },
    );
    done(s, &me_before, Verdict::Inconclusive, &[]).await;

    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.9"],
            domains: &["Evil.Example.COM"],
            host: Some("ws-01"),
            ..Spec::default()
        },
    );
    let priors = s.prior_sightings(&me).await.unwrap();
    assert_eq!(priors.len(), 1, "{priors:?}");
    let p = &priors[0];
    assert_eq!(p.alert_id, "A");
    assert_eq!(p.matched_iocs, ["203.0.113.9"]);
    assert_eq!(p.verdict, "true_positive");
    assert_eq!(p.confidence, "high");
    assert_eq!(p.title, "Alert A");
    assert_eq!(p.timestamp, at(-10));
    assert_eq!(p.human_verdict, None);

    // Canonical forms match: a later alert declaring the domain defanged and upper case.
    let d = subject(
        "D",
        1,
        &Spec {
            domains: &["evil[.]example.com"],
            ..Spec::default()
        },
    );
    done(s, &d, Verdict::TruePositive, &[]).await;
    let priors = s.prior_sightings(&me).await.unwrap();
    assert_eq!(
        priors
            .iter()
            .map(|p| p.alert_id.as_str())
            .collect::<Vec<_>>(),
        ["D", "A"]
    );
    assert_eq!(priors[0].matched_iocs, ["evil.example.com"]);
}

async fn prior_sightings_use_the_latest_record_and_the_ruling_outranks(env: &Env) {
    let s = &*env.store;
    let spec = Spec {
        ips: &["203.0.113.9"],
        domains: &["c2.example.net"],
        ..Spec::default()
    };
    let first = subject("A", -10, &spec);
    done(s, &first, Verdict::FalsePositive, &[]).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = subject("A", -10, &spec);
    done(s, &second, Verdict::TruePositive, &[]).await;

    let me = subject(
        "ME",
        0,
        &Spec {
            domains: &["c2.example.net"],
            ips: &["203.0.113.9"],
            ..Spec::default()
        },
    );
    let priors = s.prior_sightings(&me).await.unwrap();
    assert_eq!(priors.len(), 1);
    assert_eq!(priors[0].verdict, "true_positive");
    assert_eq!(priors[0].matched_iocs, ["203.0.113.9", "c2.example.net"]);

    // A ruling on any of the alert's investigations is joined; it outranks the verdict.
    let r = Ruling::new(Verdict::FalsePositive, "pentest traffic, ticket 42", "ana");
    s.set_ruling(&first.investigation_id, &r).await.unwrap();
    assert_eq!(
        s.ruling(&first.investigation_id).await.unwrap(),
        Some(r.clone())
    );
    assert_eq!(s.ruling(&second.investigation_id).await.unwrap(), None);
    let priors = s.prior_sightings(&me).await.unwrap();
    assert_eq!(priors[0].verdict, "true_positive");
    assert_eq!(priors[0].human_verdict.as_deref(), Some("false_positive"));
    assert_eq!(
        priors[0].human_summary.as_deref(),
        Some("pentest traffic, ticket 42")
    );
    assert_eq!(effective_verdict(&priors[0]), "false_positive");

    // The latest ruling wins, whichever investigation it is on.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r2 = Ruling::new(Verdict::TruePositive, "confirmed by IR", "bo");
    s.set_ruling(&second.investigation_id, &r2).await.unwrap();
    let priors = env.other.prior_sightings(&me).await.unwrap();
    assert_eq!(priors[0].human_verdict.as_deref(), Some("true_positive"));
    assert_eq!(priors[0].human_summary.as_deref(), Some("confirmed by IR"));
}

async fn prior_sightings_are_sorted_newest_first_and_capped(env: &Env) {
    let s = &*env.store;
    for i in 0..25 {
        let x = subject(
            &format!("P{i:02}"),
            -100 + i,
            &Spec {
                hashes: &["44d88612fea8a8f36de82e1278abb02f"],
                ..Spec::default()
            },
        );
        done(s, &x, Verdict::TruePositive, &[]).await;
    }
    let me = subject(
        "ME",
        0,
        &Spec {
            hashes: &["44D88612FEA8A8F36DE82E1278ABB02F"],
            ..Spec::default()
        },
    );
    let priors = s.prior_sightings(&me).await.unwrap();
    assert_eq!(priors.len(), 20);
    let ids: Vec<&str> = priors.iter().map(|p| p.alert_id.as_str()).collect();
    let want: Vec<String> = (5..25).rev().map(|i| format!("P{i:02}")).collect();
    assert_eq!(ids, want);
    assert!(priors.windows(2).all(|w| w[0].timestamp >= w[1].timestamp));
}

async fn pending_investigations_are_related_but_not_prior_sightings(env: &Env) {
    let s = &*env.store;
    let a = subject(
        "A",
        -1,
        &Spec {
            ips: &["203.0.113.9"],
            ..Spec::default()
        },
    );
    s.begin(&a).await.unwrap();
    let pending = s.summary(&a.investigation_id).await.unwrap().unwrap();
    assert!(pending.is_pending());
    assert_eq!(pending.verdict_str(), "pending");

    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.9"],
            ..Spec::default()
        },
    );
    assert!(s.prior_sightings(&me).await.unwrap().is_empty());
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts.len(), 1);
    assert_eq!(c.related_alerts[0].verdict, "pending");
    assert_eq!(c.related_alerts[0].signals, ["shared_ioc:203.0.113.9"]);

    s.record(&a, &investigation(&a, Verdict::TruePositive, &[]))
        .await
        .unwrap();
    let done = s.summary(&a.investigation_id).await.unwrap().unwrap();
    assert!(!done.is_pending());
    assert_eq!(done.verdict, Some(Verdict::TruePositive));
    assert_eq!(done.fingerprint, "fp-A");
    assert_eq!(done.injection_flags, 1);
    assert!(done.failed_lookup);
    assert!(done.escalation);
    assert_eq!(done.begun_at, pending.begun_at);
    assert_eq!(s.prior_sightings(&me).await.unwrap().len(), 1);
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts[0].verdict, "true_positive");
}

async fn correlation_signals_and_campaign(env: &Env) {
    let s = &*env.store;
    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            domains: &["evil.example.org"],
            host: Some("FIN-WS-7"),
            ..Spec::default()
        },
    );
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert!(!c.is_campaign);
    assert_eq!(c.window_hours, 72);
    assert!(c.related_alerts.is_empty());
    assert_eq!(c.summary, "No related prior alerts within 72h.");

    // Same /24, different address.
    let net = subject(
        "NET",
        -2,
        &Spec {
            ips: &["203.0.113.77"],
            ..Spec::default()
        },
    );
    done(s, &net, Verdict::TruePositive, &[]).await;
    // Unrelated: another /24, another host.
    let other = subject(
        "OTHER",
        -1,
        &Spec {
            ips: &["198.51.100.7"],
            host: Some("hr-ws-1"),
            ..Spec::default()
        },
    );
    done(s, &other, Verdict::FalsePositive, &[]).await;
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts.len(), 1);
    assert_eq!(c.related_alerts[0].alert_id, "NET");
    assert_eq!(c.related_alerts[0].signals, ["related_ip:203.0.113.77/24"]);
    assert!(!c.is_campaign);
    assert_eq!(
        c.summary,
        "1 related prior alert(s) within 72h \u{2014} related activity, below campaign threshold."
    );

    // Same host (case-insensitive), declared in `indicators.hosts` or `raw_log.host`.
    let host = subject(
        "HOST",
        -3,
        &Spec {
            host: Some("fin-ws-7"),
            ..Spec::default()
        },
    );
    done(s, &host, Verdict::Inconclusive, &[]).await;
    // Shared IOC, with the same host too.
    let ioc = subject(
        "IOC",
        -4,
        &Spec {
            domains: &["evil.example.org"],
            ips: &["203.0.113.5"],
            host: Some("fin-ws-7"),
            ..Spec::default()
        },
    );
    done(s, &ioc, Verdict::TruePositive, &[]).await;

    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    let got: Vec<(&str, Vec<&str>)> = c
        .related_alerts
        .iter()
        .map(|r| {
            (
                r.alert_id.as_str(),
                r.signals.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("NET", vec!["related_ip:203.0.113.77/24"]),
            ("HOST", vec!["shared_host:fin-ws-7"]),
            (
                "IOC",
                vec![
                    "shared_ioc:203.0.113.5",
                    "shared_ioc:evil.example.org",
                    "shared_host:fin-ws-7"
                ]
            ),
        ]
    );
    assert!(c.is_campaign);
    assert_eq!(
        c.summary,
        "Possible coordinated campaign: 4 related alerts within 72h (this alert + 3 prior)."
    );
    assert_eq!(c.related_alerts[2].verdict, "true_positive");
    assert_eq!(c.related_alerts[1].verdict, "inconclusive");
}

async fn technique_only_corroborates(env: &Env) {
    let s = &*env.store;
    let linked = subject(
        "LINKED",
        -1,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    done(s, &linked, Verdict::TruePositive, &["T1110.001", "T1078"]).await;
    // Same technique family, nothing else in common.
    let tech = subject(
        "TECH",
        -1,
        &Spec {
            ips: &["198.51.100.99"],
            host: Some("x"),
            ..Spec::default()
        },
    );
    done(s, &tech, Verdict::TruePositive, &["T1110.003"]).await;

    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    )
    .with_techniques(["T1110.003 - Password Spraying", "T1059.001"]);
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts.len(), 1);
    assert_eq!(c.related_alerts[0].alert_id, "LINKED");
    assert_eq!(
        c.related_alerts[0].signals,
        ["shared_ioc:203.0.113.5", "shared_technique:T1110"]
    );
    // Before the techniques are known (the pre-pass) the link stands without it.
    let pre = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    let c = s.correlate(&pre, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts[0].signals, ["shared_ioc:203.0.113.5"]);
}

async fn window_is_on_alert_time_in_both_directions(env: &Env) {
    let s = &*env.store;
    let spec = Spec {
        domains: &["beacon.example.net"],
        ..Spec::default()
    };
    for (id, h) in [
        ("M71", -71),
        ("P71", 71),
        ("M73", -73),
        ("P73", 73),
        ("M72", -72),
    ] {
        done(s, &subject(id, h, &spec), Verdict::TruePositive, &[]).await;
    }
    let me = subject("ME", 0, &spec);
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    let ids: Vec<&str> = c
        .related_alerts
        .iter()
        .map(|r| r.alert_id.as_str())
        .collect();
    assert_eq!(ids, ["P71", "M71", "M72"]);
    assert!(c.is_campaign);
    assert_eq!(
        c.summary,
        "Possible coordinated campaign: 4 related alerts within 72h (this alert + 3 prior)."
    );
    let c = s
        .correlate(&me, Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert!(c.related_alerts.is_empty());
    assert_eq!(c.window_hours, 24);
    assert_eq!(c.summary, "No related prior alerts within 24h.");
    // Prior sightings have no window.
    assert_eq!(s.prior_sightings(&me).await.unwrap().len(), 5);
}

async fn concurrent_related_alerts_see_each_other(env: &Env) {
    let a = subject(
        "A",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    let b = subject(
        "B",
        0,
        &Spec {
            ips: &["203.0.113.6"],
            ..Spec::default()
        },
    );
    // Two workers start at the same moment, then each correlates.
    let (ra, rb) = tokio::join!(env.store.begin(&a), env.other.begin(&b));
    ra.unwrap();
    rb.unwrap();
    let (ca, cb) = tokio::join!(
        env.store.correlate(&a, DEFAULT_WINDOW),
        env.other.correlate(&b, DEFAULT_WINDOW)
    );
    let (ca, cb) = (ca.unwrap(), cb.unwrap());
    assert_eq!(ca.related_alerts.len(), 1, "{ca:?}");
    assert_eq!(ca.related_alerts[0].alert_id, "B");
    assert_eq!(ca.related_alerts[0].verdict, "pending");
    assert_eq!(ca.related_alerts[0].signals, ["related_ip:203.0.113.6/24"]);
    assert_eq!(cb.related_alerts.len(), 1, "{cb:?}");
    assert_eq!(cb.related_alerts[0].alert_id, "A");

    // A third related alert now makes a campaign for each.
    let c = subject(
        "C",
        1,
        &Spec {
            ips: &["203.0.113.7"],
            ..Spec::default()
        },
    );
    env.store.begin(&c).await.unwrap();
    let cc = env.other.correlate(&c, DEFAULT_WINDOW).await.unwrap();
    assert!(cc.is_campaign);
    // Completion replaces `pending` with the verdict.
    env.other
        .record(&b, &investigation(&b, Verdict::TruePositive, &[]))
        .await
        .unwrap();
    let ca = env.store.correlate(&a, DEFAULT_WINDOW).await.unwrap();
    let verdicts: Vec<(&str, &str)> = ca
        .related_alerts
        .iter()
        .map(|r| (r.alert_id.as_str(), r.verdict.as_str()))
        .collect();
    assert_eq!(verdicts, [("C", "pending"), ("B", "true_positive")]);
}

async fn racing_workers_never_both_miss(env: &Env) {
    // Each worker begins then correlates, with no coordination: whichever correlates last
    // must see the other.
    for i in 0..20 {
        let ip_a = format!("203.0.{i}.5");
        let ip_b = format!("203.0.{i}.6");
        let a = subject(
            &format!("A{i}"),
            0,
            &Spec {
                ips: &[ip_a.as_str()],
                ..Spec::default()
            },
        );
        let b = subject(
            &format!("B{i}"),
            0,
            &Spec {
                ips: &[ip_b.as_str()],
                ..Spec::default()
            },
        );
        let (sa, sb) = (env.store.clone(), env.other.clone());
        let (a2, b2) = (a.clone(), b.clone());
        let ta = tokio::spawn(async move {
            sa.begin(&a2).await.unwrap();
            sa.correlate(&a2, DEFAULT_WINDOW).await.unwrap()
        });
        let tb = tokio::spawn(async move {
            sb.begin(&b2).await.unwrap();
            sb.correlate(&b2, DEFAULT_WINDOW).await.unwrap()
        });
        let (ca, cb) = (ta.await.unwrap(), tb.await.unwrap());
        let seen =
            usize::from(!ca.related_alerts.is_empty()) + usize::from(!cb.related_alerts.is_empty());
        assert!(seen >= 1, "round {i}: neither worker saw the other");
    }
}

async fn record_under_another_investigation_id_replaces_the_pending_entry(env: &Env) {
    let s = &*env.store;
    let a = subject(
        "A",
        -1,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    s.begin(&a).await.unwrap();
    let mut inv = investigation(&a, Verdict::FalsePositive, &[]);
    inv.investigation_id = "another-id".to_owned();
    s.record(&a, &inv).await.unwrap();
    assert!(s.summary(&a.investigation_id).await.unwrap().is_none());
    assert!(!s.summary("another-id").await.unwrap().unwrap().is_pending());
    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts.len(), 1);
    assert_eq!(c.related_alerts[0].verdict, "false_positive");
    // `record` without `begin` registers the subject too.
    let b = subject(
        "B",
        -2,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    s.record(&b, &investigation(&b, Verdict::TruePositive, &[]))
        .await
        .unwrap();
    assert_eq!(s.prior_sightings(&me).await.unwrap().len(), 2);
}

async fn rulings_and_input_errors(env: &Env) {
    let s = &*env.store;
    let r = Ruling::new(Verdict::TruePositive, "x".repeat(10_000), "ana");
    assert_eq!(r.summary.len(), 2000);
    assert!(matches!(
        s.set_ruling("nope", &r).await,
        Err(HistoryError::UnknownInvestigation { .. })
    ));
    assert!(matches!(
        s.ruling("").await,
        Err(HistoryError::InvalidInput { .. })
    ));
    let a = subject(
        "A",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    let b = subject("B", 0, &Spec::default());
    assert!(matches!(
        s.record(&a, &investigation(&b, Verdict::TruePositive, &[]))
            .await,
        Err(HistoryError::InvalidInput { .. })
    ));
    let mut bad = a.clone();
    bad.alert_id = String::new();
    assert!(matches!(
        s.begin(&bad).await,
        Err(HistoryError::InvalidInput { .. })
    ));
    // An alert with nothing to index is fine.
    let empty = subject("E", 0, &Spec::default());
    done(s, &empty, Verdict::FalsePositive, &[]).await;
    assert!(s.prior_sightings(&empty).await.unwrap().is_empty());
    assert_eq!(
        s.correlate(&empty, DEFAULT_WINDOW).await.unwrap().summary,
        "No related prior alerts within 72h."
    );
    // A pending investigation cannot be ruled on; a recorded one can.
    s.begin(&a).await.unwrap();
    assert!(matches!(
        s.set_ruling(&a.investigation_id, &r).await,
        Err(HistoryError::InvalidInput { .. })
    ));
    s.record(&a, &investigation(&a, Verdict::TruePositive, &[]))
        .await
        .unwrap();
    s.set_ruling(&a.investigation_id, &r).await.unwrap();
    assert_eq!(
        s.ruling(&a.investigation_id)
            .await
            .unwrap()
            .unwrap()
            .verdict,
        Verdict::TruePositive
    );
}

async fn users_do_not_link_alerts(env: &Env) {
    let s = &*env.store;
    let a = subject(
        "A",
        -1,
        &Spec {
            users: &["administrator"],
            ..Spec::default()
        },
    );
    done(s, &a, Verdict::TruePositive, &[]).await;
    let me = subject(
        "ME",
        0,
        &Spec {
            users: &["administrator"],
            ..Spec::default()
        },
    );
    assert!(me.indicators.is_empty());
    assert!(s.prior_sightings(&me).await.unwrap().is_empty());
    assert!(
        s.correlate(&me, DEFAULT_WINDOW)
            .await
            .unwrap()
            .related_alerts
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// Alerts dated in the future (a wrong clock, or a forged timestamp)

/// Settings with no skew allowed, so that "later than the future-dated alerts' start"
/// needs no waiting in a test (the default allows 10 minutes).
fn no_skew() -> HistorySettings {
    HistorySettings {
        future_skew: Duration::ZERO,
        ..HistorySettings::default()
    }
}

/// 25 alerts dated 2099 (a full `fanout`) sharing an indicator are recorded, then a real
/// alert with it: a later alert still sees the real one as a prior sighting (with its
/// analyst ruling), and correlation measures time as the indexes hold it, so the
/// future-dated alerts relate to the real ones investigated with them and to one another
/// (a forged date does not keep an alert out of a campaign).
async fn future_dated_alerts_do_not_hide_real_prior_sightings(store: &dyn HistoryStore) {
    let spec = Spec {
        ips: &["198.51.100.77"],
        ..Spec::default()
    };
    let year_2099 = 640_000; // hours after the tests' base time
    for i in 0..25 {
        let x = subject(&format!("F{i:02}"), year_2099, &spec);
        done(store, &x, Verdict::FalsePositive, &[]).await;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut real = subject("REAL", 0, &spec);
    real.timestamp = chrono::Utc::now();
    done(store, &real, Verdict::TruePositive, &[]).await;
    store
        .set_ruling(
            &real.investigation_id,
            &Ruling::new(Verdict::TruePositive, "confirmed intrusion", "ana"),
        )
        .await
        .unwrap();

    let mut me = subject("ME", 0, &spec);
    me.timestamp = chrono::Utc::now();
    let priors = store.prior_sightings(&me).await.unwrap();
    assert_eq!(priors.len(), 20);
    assert_eq!(priors[0].alert_id, "REAL", "{priors:?}");
    assert_eq!(priors[0].human_verdict.as_deref(), Some("true_positive"));
    let recalled = store.recall(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(recalled.priors, priors);
    let related: Vec<&str> = recalled
        .correlation
        .related_alerts
        .iter()
        .map(|r| r.alert_id.as_str())
        .collect();
    assert!(recalled.correlation.is_campaign, "{related:?}");
    assert!(related.contains(&"REAL"), "{related:?}");
    assert!(related.iter().any(|id| id.starts_with('F')), "{related:?}");
    let f = subject("F99", year_2099, &spec);
    let c = store.correlate(&f, DEFAULT_WINDOW).await.unwrap();
    assert!(c.is_campaign);
    assert_eq!(c.related_alerts.len(), 20);
}

#[tokio::test]
async fn redis_future_dated_alerts_do_not_hide_real_prior_sightings() {
    let redis = RedisServer::start().await.unwrap();
    let store =
        RedisHistory::connect_lazy(&redis.url(), soc_testkit::unique_prefix(), no_skew()).unwrap();
    future_dated_alerts_do_not_hide_real_prior_sightings(&store).await;
}

#[tokio::test]
async fn memory_future_dated_alerts_do_not_hide_real_prior_sightings() {
    let store = MemoryHistory::new(no_skew(), MemoryOptions::default());
    future_dated_alerts_do_not_hide_real_prior_sightings(&store).await;
}

/// Alert ids are only unique within a source: alert `1` of the EDR is not alert `1` of the
/// SIEM, so each is a prior sighting and a related alert of the other.
async fn same_alert_id_from_another_source_is_another_alert(env: &Env) {
    let s = &*env.store;
    let spec = Spec {
        ips: &["203.0.113.200"],
        ..Spec::default()
    };
    let siem = subject("1", -5, &spec);
    done(s, &siem, Verdict::TruePositive, &[]).await;
    let mut edr = subject("1", -1, &spec);
    edr.source = "edr".to_owned();
    let priors = s.prior_sightings(&edr).await.unwrap();
    assert_eq!(priors.len(), 1, "{priors:?}");
    assert_eq!(priors[0].verdict, "true_positive");
    let c = s.correlate(&edr, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts.len(), 1, "{c:?}");
    // The same source's earlier investigation of alert 1 is still not a prior sighting.
    let again = subject("1", -5, &spec);
    assert!(s.prior_sightings(&again).await.unwrap().is_empty());
}
