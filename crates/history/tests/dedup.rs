//! Near-duplicate suppression over both stores: `RedisHistory` against a real
//! redis-server (soc-testkit, one per test) and `MemoryHistory`. Every gate with its reason
//! and its place in the order, the reuse cap, analyst overturns, and single flight: copies
//! arriving at once (on four `RedisHistory` instances sharing one Redis, like four workers)
//! are investigated once.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use soc_core::alert::{Format, Limits};
use soc_core::ioc::{IocConfig, extract};
use soc_core::{Alert, Confidence, Investigation, Verdict};
use soc_history::{
    Dedup, HistorySettings, HistoryStore, InvestigateReason, MAX_CONSECUTIVE_SUPPRESSIONS,
    MemoryHistory, MemoryOptions, RedisHistory, Ruling, Subject, Summary, fingerprint,
    suppressed_hypothesis,
};
use soc_testkit::RedisServer;

/// Four handles on one history: four `RedisHistory` instances on one Redis (four
/// workers), or the same `MemoryHistory` four times.
struct Env {
    workers: Vec<Arc<dyn HistoryStore>>,
    _redis: Option<RedisServer>,
}

impl Env {
    fn store(&self) -> &dyn HistoryStore {
        &*self.workers[0]
    }
}

fn settings() -> HistorySettings {
    let mut st = HistorySettings::default();
    // A broken single flight fails the test in seconds rather than hanging it.
    st.dedup.claim_wait = Duration::from_secs(10);
    st
}

async fn redis_env(st: HistorySettings) -> Env {
    redis_env_on(st, "").await
}

/// [`redis_env`] with `query` after the server's URL (`?protocol=resp3`).
async fn redis_env_on(st: HistorySettings, query: &str) -> Env {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let url = format!("{}{query}", redis.url());
    let workers = (0..4)
        .map(|_| {
            let h = RedisHistory::connect_lazy(&url, prefix.clone(), st.clone()).unwrap();
            Arc::new(h) as Arc<dyn HistoryStore>
        })
        .collect();
    Env {
        workers,
        _redis: Some(redis),
    }
}

async fn memory_env(st: HistorySettings) -> Env {
    let m: Arc<dyn HistoryStore> = Arc::new(MemoryHistory::new(st, MemoryOptions::default()));
    Env {
        workers: vec![m.clone(), m.clone(), m.clone(), m],
        _redis: None,
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let env = super::redis_env(super::settings()).await;
                    super::$name(&env).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let env = super::memory_env(super::settings()).await;
                    super::$name(&env).await;
                }
            )*
        }
    };
}

both!(
    a_first_alert_is_investigated_under_a_claim_and_its_copy_reuses_it,
    injection_in_the_new_alert_comes_first,
    an_alert_already_worked_is_investigated_again,
    the_window_is_on_the_anchors_completion_time,
    the_anchor_is_the_latest_to_finish_not_to_start,
    the_26th_consecutive_reuse_is_refused_by_the_cap,
    an_analyst_overturn_stops_suppression,
    an_overturn_on_a_suppressed_copy_blocks_too,
    an_old_overturn_under_many_newer_false_positive_rulings_still_blocks,
    a_false_positive_ruling_confirms_the_anchor,
    the_anchor_gates_refuse_in_order,
    thirty_copies_arriving_at_once_make_one_anchor_and_29_reuses,
    copies_of_a_true_positive_are_all_investigated,
    fifty_copies_on_four_workers_are_investigated_once,
    a_failed_holder_releases_its_claim,
    an_anchor_whose_alert_stayed_open_says_why,
    rulings_count_per_alert_across_its_investigations,
);

// ---------------------------------------------------------------------------------------
// Alerts and investigations

/// Copy `n` of a recurring benign alert: a scanner probing a web server. Only volatile
/// values change between copies (timestamps, counters, numeric ids, digits in the message).
fn scanner(id: &str, n: u32) -> Alert {
    scanner_with(
        id,
        n,
        "web-01",
        "Vulnerability scan from the internal scanner",
    )
}

fn scanner_with(id: &str, n: u32, host: &str, title: &str) -> Alert {
    let at = DateTime::parse_from_rfc3339("2026-11-20T02:00:00Z").unwrap()
        + chrono::Duration::minutes(i64::from(n));
    Alert::from_value(
        json!({
            "alert_id": id,
            "timestamp": at.to_rfc3339(),
            "source": "ids",
            "severity": "low",
            "title": title,
            "raw_log": {
                "host": host,
                "event": {"action": "http_probe", "outcome": "blocked", "id": (900_000 + n * 7).to_string()},
                "probes": 100 + n,
                "first_seen": at.to_rfc3339(),
                "src": {"ip": "10.20.0.5", "port": 40_000 + n},
                "message": format!("{} probes from 10.20.0.5 blocked in {}s", 100 + n, 60 + n),
                "scanner": true
            },
            "indicators": {"ips": ["10.20.0.5"]}
        }),
        Format::Native,
        &Limits::default(),
    )
    .unwrap()
}

fn subject_of(a: &Alert) -> Subject {
    Subject::from_alert(a, &extract(a, &IocConfig::default()))
}

/// The subject and fingerprint of copy `n`.
fn copy(id: &str, n: u32) -> (Subject, String) {
    let a = scanner(id, n);
    (subject_of(&a), fingerprint(&a))
}

/// How an investigation came out.
#[derive(Clone, Copy)]
struct Outcome {
    verdict: Verdict,
    confidence: Confidence,
    escalation: bool,
    injection: bool,
    failed_lookup: bool,
}

/// A clean high-confidence false positive.
const CLEAN: Outcome = Outcome {
    verdict: Verdict::FalsePositive,
    confidence: Confidence::High,
    escalation: false,
    injection: false,
    failed_lookup: false,
};

fn investigation(
    s: &Subject,
    fp: &str,
    o: Outcome,
    created_at: DateTime<Utc>,
    duplicate_of: Option<&str>,
) -> Investigation {
    let injection_flags = if o.injection {
        json!([{"location": "raw_log.message", "pattern": "ignore-previous-instructions", "excerpt": "…"}])
    } else {
        json!([])
    };
    serde_json::from_value(json!({
        "schema_version": "1",
        "investigation_id": s.investigation_id,
        "alert_id": s.alert_id,
        "alert_fingerprint": fp,
        "created_at": created_at.to_rfc3339(),
        "verdict": o.verdict.as_str(),
        "confidence": o.confidence.as_str(),
        "hypothesis": "The internal vulnerability scanner's scheduled run; every probe was blocked.",
        "attack_techniques": ["T1595.002"],
        "escalation_recommended": o.escalation,
        "evidence": [{"id": "ev-1", "source_tool": "abuseipdb", "claim": "c", "raw_data": {}, "confidence": "low", "success": !o.failed_lookup}],
        "injection_flags": injection_flags,
        "duplicate_of": duplicate_of,
        "telemetry": {"model": "claude-haiku-4-5", "input_tokens": 10, "output_tokens": 10, "api_calls": 1, "tool_calls": 1, "retries": 0, "duration_seconds": 1.5, "cost_usd": 0.001},
    }))
    .unwrap()
}

/// Investigates `s` (begin, record) with outcome `o`, completed at `at`.
async fn investigate_at(
    store: &dyn HistoryStore,
    s: &Subject,
    fp: &str,
    o: Outcome,
    at: DateTime<Utc>,
) {
    store.begin(s).await.unwrap();
    store
        .record(s, &investigation(s, fp, o, at, None))
        .await
        .unwrap();
}

async fn investigate(store: &dyn HistoryStore, s: &Subject, fp: &str, o: Outcome) {
    investigate_at(store, s, fp, o, Utc::now()).await;
}

/// Records the suppressed copy `s` of `anchor`, as the pipeline would.
async fn suppress(store: &dyn HistoryStore, s: &Subject, fp: &str, anchor: &Summary) {
    let mut inv = investigation(s, fp, CLEAN, Utc::now(), Some(&anchor.investigation_id));
    inv.verdict = anchor.verdict.unwrap();
    inv.confidence = anchor.confidence.unwrap();
    inv.evidence.clear();
    store.record(s, &inv).await.unwrap();
}

async fn decide(store: &dyn HistoryStore, s: &Subject, fp: &str) -> Dedup {
    store.dedup(s, fp, false, Utc::now()).await.unwrap()
}

fn why(d: &Dedup) -> &InvestigateReason {
    match d {
        Dedup::Investigate { reason, .. } => reason,
        other => panic!("expected an investigation, got {other:?}"),
    }
}

fn anchor(d: Dedup) -> Summary {
    match d {
        Dedup::Reuse { anchor, .. } => anchor,
        other => panic!("expected a reuse, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios

async fn a_first_alert_is_investigated_under_a_claim_and_its_copy_reuses_it(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    let d = decide(st, &a, &fp).await;
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::NoAnchor {
                window: Duration::from_secs(24 * 3600)
            },
            claimed: true
        }
    );
    assert_eq!(
        why(&d).to_string(),
        "no real investigation of this fingerprint within 24h to reuse"
    );
    investigate(st, &a, &fp, CLEAN).await;

    let (b, fp_b) = copy("B", 7);
    assert_eq!(fp, fp_b, "volatile values changed the fingerprint");
    let Dedup::Reuse {
        anchor,
        reason,
        analyst_confirmed,
    } = decide(st, &b, &fp).await
    else {
        panic!("expected a reuse");
    };
    assert_eq!(anchor.investigation_id, a.investigation_id);
    assert_eq!(anchor.alert_id, "A");
    assert!(!analyst_confirmed);
    assert!(
        reason.starts_with("near-duplicate of A investigated ")
            && reason.ends_with(
                "high-confidence false positive with no escalation or injection signals"
            ),
        "{reason}"
    );
    // What the suppressed copy quotes is kept on a reusable anchor.
    assert_eq!(anchor.model, "claude-haiku-4-5");
    assert_eq!(anchor.techniques, ["T1595.002"]);
    let h = suppressed_hypothesis(&anchor, &reason);
    assert!(h.starts_with("Suppressed as a near-duplicate: near-duplicate of A"));
    assert!(h.ends_with("the anchor's hypothesis: The internal vulnerability scanner's scheduled run; every probe was blocked."));
    suppress(st, &b, &fp, &anchor).await;
    let stored = st.summary(&b.investigation_id).await.unwrap().unwrap();
    assert_eq!(
        stored.duplicate_of.as_deref(),
        Some(a.investigation_id.as_str())
    );
    assert!(
        stored.hypothesis.is_empty(),
        "only reusable records keep a hypothesis"
    );

    // A suppressed copy never anchors: the next copy still reuses A.
    let (c, _) = copy("C", 9);
    assert_eq!(anchor_id(decide(st, &c, &fp).await), a.investigation_id);
    // A different host, title or indicator is another fingerprint.
    for other in [
        scanner_with(
            "D",
            1,
            "web-02",
            "Vulnerability scan from the internal scanner",
        ),
        scanner_with(
            "D",
            1,
            "web-01",
            "Vulnerability scan from an unknown scanner",
        ),
    ] {
        let fp_d = fingerprint(&other);
        assert_ne!(fp_d, fp);
        let d = decide(st, &subject_of(&other), &fp_d).await;
        assert_eq!(why(&d).label(), "no_anchor");
        st.release_fingerprint(&fp_d, &subject_of(&other).investigation_id)
            .await
            .unwrap();
    }
}

fn anchor_id(d: Dedup) -> String {
    anchor(d).investigation_id
}

async fn an_anchor_whose_alert_stayed_open_says_why(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    let _ = decide(st, &a, &fp).await;
    let mut inv = investigation(&a, &fp, CLEAN, Utc::now(), None);
    inv.closure = Some(soc_core::investigation::ClosureDecision {
        eligible: false,
        reason: "part of a possible campaign".into(),
    });
    st.begin(&a).await.unwrap();
    st.record(&a, &inv).await.unwrap();
    let (b, _) = copy("B", 1);
    let refused = anchor(decide(st, &b, &fp).await).closure_refused;
    assert_eq!(refused.as_deref(), Some("part of a possible campaign"));

    // An anchor that could close its alert carries nothing.
    let other = |id: &str, n: u32| {
        let a = scanner_with(
            id,
            n,
            "web-02",
            "Vulnerability scan from the internal scanner",
        );
        (subject_of(&a), fingerprint(&a))
    };
    let (c, fp_c) = other("C", 0);
    let _ = decide(st, &c, &fp_c).await;
    let mut inv = investigation(&c, &fp_c, CLEAN, Utc::now(), None);
    inv.closure = Some(soc_core::investigation::ClosureDecision {
        eligible: true,
        reason: "clean".into(),
    });
    st.begin(&c).await.unwrap();
    st.record(&c, &inv).await.unwrap();
    let (d, _) = other("D", 1);
    assert_eq!(anchor(decide(st, &d, &fp_c).await).closure_refused, None);
}

async fn injection_in_the_new_alert_comes_first(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    // A reusable anchor exists, but the new alert carries injection flags.
    let (b, _) = copy("B", 1);
    let d = st.dedup(&b, &fp, true, Utc::now()).await.unwrap();
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::InjectionInAlert,
            claimed: false
        }
    );
    assert_eq!(
        why(&d).to_string(),
        "the new alert carries injection flags; hostile content never suppresses"
    );
    // Before the already-worked guard too: A again, with injection.
    let a_again = a.clone().with_investigation_id("retry-of-a");
    let d = st.dedup(&a_again, &fp, true, Utc::now()).await.unwrap();
    assert_eq!(why(&d).label(), "injection");
}

async fn an_alert_already_worked_is_investigated_again(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    let (b, _) = copy("B", 1);
    investigate(st, &b, &fp, CLEAN).await;
    // A redelivered: an anchor (B) is there and reusable, but A was really worked.
    let retry = a.clone().with_investigation_id("retry-of-a");
    let d = decide(st, &retry, &fp).await;
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::AlreadyInvestigated {
                investigation_id: a.investigation_id.clone()
            },
            claimed: false
        }
    );
    assert!(why(&d).to_string().contains("a retry is re-investigated"));

    // A suppressed record does not make an alert worked: its retry reuses again.
    let (c, _) = copy("C", 2);
    let b_anchor = anchor(decide(st, &c, &fp).await);
    assert_eq!(b_anchor.alert_id, "B");
    suppress(st, &c, &fp, &b_anchor).await;
    let retry = c.clone().with_investigation_id("retry-of-c");
    assert_eq!(anchor_id(decide(st, &retry, &fp).await), b.investigation_id);
}

async fn the_window_is_on_the_anchors_completion_time(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    // Started (`created_at`) 25 hours ago; completed, as recorded, now.
    let started = Utc::now() - chrono::Duration::hours(25);
    investigate_at(st, &a, &fp, CLEAN, started).await;
    // The copy's own timestamp is close to A's; only the completion time counts.
    let (b, _) = copy("B", 1);
    let d = decide(st, &b, &fp).await;
    assert_eq!(anchor_id(d), a.investigation_id);
    // Seen from 25 hours later, A is out of the 24 h window.
    let later = Utc::now() + chrono::Duration::hours(25);
    let d = st.dedup(&b, &fp, false, later).await.unwrap();
    assert_eq!(why(&d).label(), "no_anchor");
    st.release_fingerprint(&fp, &b.investigation_id)
        .await
        .unwrap();
    // From two hours later, it is within.
    let soon = Utc::now() + chrono::Duration::hours(2);
    let d = st.dedup(&b, &fp, false, soon).await.unwrap();
    assert_eq!(anchor_id(d), a.investigation_id);
}

/// A slow true positive that began first and finished last is the anchor, not a fast
/// false positive that began later but finished earlier: the anchor is the latest
/// *completed* investigation, whatever the investigations' start times (`created_at`).
async fn the_anchor_is_the_latest_to_finish_not_to_start(env: &Env) {
    let st = env.store();
    let tp = Outcome {
        verdict: Verdict::TruePositive,
        escalation: true,
        ..CLEAN
    };
    let (slow, fp) = copy("slow-tp", 0);
    let (fast, _) = copy("fast-fp", 1);
    let t0 = Utc::now() - chrono::Duration::minutes(5);
    st.begin(&slow).await.unwrap();
    st.begin(&fast).await.unwrap();
    // The fast one began a minute after the slow one and finishes first.
    st.record(
        &fast,
        &investigation(&fast, &fp, CLEAN, t0 + chrono::Duration::minutes(1), None),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    st.record(&slow, &investigation(&slow, &fp, tp, t0, None))
        .await
        .unwrap();
    let (next, _) = copy("next", 2);
    let d = decide(st, &next, &fp).await;
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::AnchorVerdict {
                alert_id: "slow-tp".into(),
                verdict: Verdict::TruePositive
            },
            claimed: false
        }
    );
    let stored = st.summary(&slow.investigation_id).await.unwrap().unwrap();
    assert!(stored.investigated_at.unwrap() > t0 + chrono::Duration::minutes(4));
}

async fn the_26th_consecutive_reuse_is_refused_by_the_cap(env: &Env) {
    let st = env.store();
    // X completed before A (so A is the anchor); ruled true positive below.
    let (x, fp) = copy("X", 99);
    investigate(st, &x, &fp, CLEAN).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (a, _) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    for n in 1..=MAX_CONSECUTIVE_SUPPRESSIONS {
        let (s, _) = copy(&format!("S{n:02}"), n);
        let anchor = anchor(decide(st, &s, &fp).await);
        assert_eq!(anchor.investigation_id, a.investigation_id, "reuse {n}");
        suppress(st, &s, &fp, &anchor).await;
    }
    // An analyst overturn would refuse too, but the cap comes first. (X completes after
    // A, so it is the anchor; its 25 reuses follow it.)
    st.set_ruling(
        &x.investigation_id,
        &Ruling::new(Verdict::TruePositive, "not the scanner", "ana"),
    )
    .await
    .unwrap();
    let (s26, _) = copy("S26", 26);
    let d = decide(st, &s26, &fp).await;
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::CapReached {
                anchor_id: a.investigation_id.clone(),
                cap: 25
            },
            claimed: true
        }
    );
    assert!(
        why(&d)
            .to_string()
            .contains("the cap of 25 consecutive suppressions")
    );
}

async fn an_analyst_overturn_stops_suppression(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    let (b, _) = copy("B", 1);
    let anchor_a = anchor(decide(st, &b, &fp).await);
    suppress(st, &b, &fp, &anchor_a).await;

    st.set_ruling(
        &a.investigation_id,
        &Ruling::new(Verdict::TruePositive, "this was a real scan", "ana"),
    )
    .await
    .unwrap();
    let (c, _) = copy("C", 2);
    let d = decide(st, &c, &fp).await;
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::Overturned {
                alert_id: "A".into(),
                investigation_id: a.investigation_id.clone(),
                verdict: Verdict::TruePositive
            },
            claimed: false
        }
    );
    assert!(why(&d).to_string().starts_with(
        "analyst ruled alert A of this fingerprint 'true_positive' \u{2014} a documented correction"
    ));
    // The overturn stays in force after a newer clean anchor: it is fingerprint-wide.
    investigate(st, &c, &fp, CLEAN).await;
    let (e, _) = copy("E", 3);
    assert_eq!(why(&decide(st, &e, &fp).await).label(), "overturned");
    // Until the analyst's latest ruling on that alert is a false positive again.
    st.set_ruling(
        &a.investigation_id,
        &Ruling::new(Verdict::FalsePositive, "scanner after all", "ana"),
    )
    .await
    .unwrap();
    assert_eq!(anchor_id(decide(st, &e, &fp).await), c.investigation_id);
}

/// One true-positive ruling followed by more false-positive rulings on the fingerprint
/// than a lookup reads candidates (`max_candidates`, 40): the overturn is still seen.
async fn an_old_overturn_under_many_newer_false_positive_rulings_still_blocks(env: &Env) {
    let st = env.store();
    let (first, fp) = copy("R00", 0);
    investigate(st, &first, &fp, CLEAN).await;
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let mut overturn = Ruling::new(Verdict::TruePositive, "real intrusion", "ana");
    overturn.recorded_at = t0;
    st.set_ruling(&first.investigation_id, &overturn)
        .await
        .unwrap();
    for n in 1..=41 {
        let (s, _) = copy(&format!("R{n:02}"), n);
        investigate(st, &s, &fp, CLEAN).await;
        let mut r = Ruling::new(Verdict::FalsePositive, "scanner", "ana");
        r.recorded_at = t0 + chrono::Duration::seconds(i64::from(n));
        st.set_ruling(&s.investigation_id, &r).await.unwrap();
    }
    let (next, _) = copy("next", 50);
    let d = decide(st, &next, &fp).await;
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::Overturned {
                alert_id: "R00".into(),
                investigation_id: first.investigation_id.clone(),
                verdict: Verdict::TruePositive
            },
            claimed: false
        }
    );
}

async fn an_overturn_on_a_suppressed_copy_blocks_too(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    let (b, _) = copy("B", 1);
    let anchor_a = anchor(decide(st, &b, &fp).await);
    suppress(st, &b, &fp, &anchor_a).await;
    st.set_ruling(
        &b.investigation_id,
        &Ruling::new(Verdict::Inconclusive, "needs a look", "ana"),
    )
    .await
    .unwrap();
    let (c, _) = copy("C", 2);
    let d = decide(st, &c, &fp).await;
    assert!(
        matches!(why(&d), InvestigateReason::Overturned { alert_id, verdict: Verdict::Inconclusive, .. } if alert_id == "B"),
        "{d:?}"
    );
}

async fn a_false_positive_ruling_confirms_the_anchor(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    st.set_ruling(
        &a.investigation_id,
        &Ruling::new(Verdict::FalsePositive, "scanner", "ana"),
    )
    .await
    .unwrap();
    let (b, _) = copy("B", 1);
    let Dedup::Reuse {
        reason,
        analyst_confirmed,
        ..
    } = decide(st, &b, &fp).await
    else {
        panic!("expected a reuse");
    };
    assert!(analyst_confirmed);
    assert!(
        reason.contains("false positive (analyst-confirmed) with"),
        "{reason}"
    );
}

/// Sets a ruling with verdict `v` recorded `secs` seconds after `t0`.
async fn rule_at(st: &dyn HistoryStore, id: &str, v: Verdict, t0: DateTime<Utc>, secs: i64) {
    let mut r = Ruling::new(v, "", "ana");
    r.recorded_at = t0 + chrono::Duration::seconds(secs);
    st.set_ruling(id, &r).await.unwrap();
}

/// An alert investigated twice: its latest ruling, over both investigations, is the one
/// that counts, both when every ruling is a false positive (the records need not be read
/// on Redis) and when one is not (they are, to group the rulings per alert).
async fn rulings_count_per_alert_across_its_investigations(env: &Env) {
    let st = env.store();
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let (b, fp) = copy("B", 0);
    investigate(st, &b, &fp, CLEAN).await;
    let (a1, _) = copy("A", 1);
    investigate(st, &a1, &fp, CLEAN).await;
    let a2 = a1.clone().with_investigation_id("a-again");
    investigate(st, &a2, &fp, CLEAN).await;
    let (c, _) = copy("C", 2);
    let reuse = |d: Dedup| match d {
        Dedup::Reuse {
            anchor,
            analyst_confirmed,
            ..
        } => (anchor.investigation_id, analyst_confirmed),
        other => panic!("expected a reuse, got {other:?}"),
    };
    // A ruling on another alert does not confirm the anchor (A's second investigation).
    rule_at(st, &b.investigation_id, Verdict::FalsePositive, t0, 0).await;
    assert_eq!(
        reuse(decide(st, &c, &fp).await),
        (a2.investigation_id.clone(), false)
    );
    // A ruling on A's first investigation confirms it.
    rule_at(st, &a1.investigation_id, Verdict::FalsePositive, t0, 1).await;
    assert_eq!(
        reuse(decide(st, &c, &fp).await),
        (a2.investigation_id.clone(), true)
    );
    // Overturned there, A blocks the fingerprint...
    rule_at(st, &a1.investigation_id, Verdict::TruePositive, t0, 2).await;
    assert_eq!(
        why(&decide(st, &c, &fp).await),
        &InvestigateReason::Overturned {
            alert_id: "A".into(),
            investigation_id: a1.investigation_id.clone(),
            verdict: Verdict::TruePositive
        }
    );
    // ...until a later false-positive ruling on its other investigation.
    rule_at(st, &a2.investigation_id, Verdict::FalsePositive, t0, 3).await;
    assert_eq!(
        reuse(decide(st, &c, &fp).await),
        (a2.investigation_id.clone(), true)
    );
    // A later overturn on B blocks again.
    rule_at(st, &b.investigation_id, Verdict::Inconclusive, t0, 4).await;
    assert_eq!(why(&decide(st, &c, &fp).await).label(), "overturned");
}

async fn the_anchor_gates_refuse_in_order(env: &Env) {
    let st = env.store();
    // Each anchor on its own fingerprint (its own host); every defect from the gate on,
    // so the gate reported is the first in order that refuses.
    let cases: [(&str, Outcome, &str, &str); 5] = [
        (
            "tp",
            Outcome {
                verdict: Verdict::TruePositive,
                confidence: Confidence::Medium,
                escalation: true,
                injection: true,
                failed_lookup: true,
            },
            "anchor_verdict",
            "anchor verdict is true_positive; only a false-positive conclusion may be reused without a fresh look",
        ),
        (
            "medium",
            Outcome {
                confidence: Confidence::Medium,
                escalation: true,
                injection: true,
                failed_lookup: true,
                ..CLEAN
            },
            "anchor_confidence",
            "anchor confidence is medium; reuse requires high",
        ),
        (
            "escalated",
            Outcome {
                escalation: true,
                injection: true,
                failed_lookup: true,
                ..CLEAN
            },
            "anchor_escalated",
            "anchor recommended escalation",
        ),
        (
            "injected",
            Outcome {
                injection: true,
                failed_lookup: true,
                ..CLEAN
            },
            "anchor_injection",
            "anchor carried injection flags",
        ),
        (
            "blind",
            Outcome {
                failed_lookup: true,
                ..CLEAN
            },
            "anchor_failed_lookup",
            "anchor's investigation had a failed enrichment lookup; a conclusion reached without the evidence it asked for is not one to reuse unexamined",
        ),
    ];
    for (host, outcome, label, text) in cases {
        let title = "Vulnerability scan from the internal scanner";
        let first = scanner_with(&format!("{host}-1"), 0, host, title);
        let fp = fingerprint(&first);
        let s1 = subject_of(&first);
        investigate(st, &s1, &fp, outcome).await;
        let second = subject_of(&scanner_with(&format!("{host}-2"), 3, host, title));
        let d = decide(st, &second, &fp).await;
        let Dedup::Investigate { reason, claimed } = d else {
            panic!("{host}: expected an investigation, got {d:?}");
        };
        assert_eq!(
            (reason.label(), reason.to_string().as_str()),
            (label, text),
            "{host}"
        );
        assert!(!claimed, "{host}: a refusing anchor is no reason to wait");
    }
}

async fn thirty_copies_arriving_at_once_make_one_anchor_and_29_reuses(env: &Env) {
    let (_, fp) = copy("probe", 0);
    let results = run_copies(env, 30, CLEAN, Duration::from_millis(300)).await;
    let investigated: Vec<&Ran> = results.iter().filter(|r| r.investigated).collect();
    assert_eq!(investigated.len(), 1, "{results:?}");
    assert!(investigated[0].claimed);
    let anchor_id = &investigated[0].investigation_id;
    let reused: Vec<&Ran> = results.iter().filter(|r| !r.investigated).collect();
    assert_eq!(reused.len(), 29);
    assert!(reused.iter().all(|r| r.reused.as_ref() == Some(anchor_id)));
    assert!(results.iter().all(|r| r.fingerprint == fp));
}

async fn copies_of_a_true_positive_are_all_investigated(env: &Env) {
    let tp = Outcome {
        verdict: Verdict::TruePositive,
        escalation: true,
        ..CLEAN
    };
    let results = run_copies(env, 10, tp, Duration::from_millis(150)).await;
    assert!(results.iter().all(|r| r.investigated), "{results:?}");
    // One of them went first, under the claim; the others saw its verdict.
    assert_eq!(
        results.iter().filter(|r| r.claimed).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter(|r| !r.claimed)
            .all(|r| r.label == "anchor_verdict"),
        "{results:?}"
    );
}

async fn fifty_copies_on_four_workers_are_investigated_once(env: &Env) {
    let results = run_copies(env, 50, CLEAN, Duration::from_millis(300)).await;
    let investigated: Vec<&Ran> = results.iter().filter(|r| r.investigated).collect();
    assert_eq!(investigated.len(), 1, "{results:?}");
    let anchor_id = investigated[0].investigation_id.clone();
    assert_eq!(
        results
            .iter()
            .filter(|r| r.reused.as_ref() == Some(&anchor_id))
            .count(),
        49
    );
    // Every worker took part.
    for w in 0..4 {
        assert!(results.iter().any(|r| r.worker == w));
    }
    // The copies waited for that investigation, so they were one burst with it; the
    // next arrival sees 49 reuses, over the cap, and gets a fresh look at once (the
    // claim is free).
    let (late, fp) = copy("late", 77);
    let d = tokio::time::timeout(
        Duration::from_secs(1),
        env.store().dedup(&late, &fp, false, Utc::now()),
    )
    .await
    .expect("nobody holds the claim any more")
    .unwrap();
    assert_eq!(
        d,
        Dedup::Investigate {
            reason: InvestigateReason::CapReached {
                anchor_id,
                cap: MAX_CONSECUTIVE_SUPPRESSIONS
            },
            claimed: true
        }
    );
}

async fn a_failed_holder_releases_its_claim(env: &Env) {
    let st = env.store();
    let (a, fp) = copy("A", 0);
    assert!(matches!(
        decide(st, &a, &fp).await,
        Dedup::Investigate { claimed: true, .. }
    ));
    // B waits for A's investigation; A fails and releases: B takes over.
    let (b, _) = copy("B", 1);
    let other = env.workers[1].clone();
    let b2 = b.clone();
    let fp2 = fp.clone();
    let waiter = tokio::spawn(async move { other.dedup(&b2, &fp2, false, Utc::now()).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiter.is_finished(), "B must wait for A");
    // Releasing for another investigation does nothing.
    st.release_fingerprint(&fp, "someone-else").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "B must still wait for A");
    st.release_fingerprint(&fp, &a.investigation_id)
        .await
        .unwrap();
    let d = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            &d,
            Dedup::Investigate {
                claimed: true,
                reason: InvestigateReason::NoAnchor { .. }
            }
        ),
        "{d:?}"
    );
    // Asking again for the same investigation keeps the claim (re-entrant).
    assert!(matches!(
        env.workers[2]
            .dedup(&b, &fp, false, Utc::now())
            .await
            .unwrap(),
        Dedup::Investigate { claimed: true, .. }
    ));
    st.release_fingerprint(&fp, &b.investigation_id)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Copies arriving at once

#[derive(Debug)]
struct Ran {
    worker: usize,
    investigation_id: String,
    fingerprint: String,
    investigated: bool,
    claimed: bool,
    label: &'static str,
    reused: Option<String>,
}

/// `n` copies of the scanner alert, each on worker `i % 4`, all at once: each decides,
/// then either "investigates" (sleeps `work`, records `outcome`) or records a suppressed
/// copy of the anchor.
async fn run_copies(env: &Env, n: u32, outcome: Outcome, work: Duration) -> Vec<Ran> {
    let barrier = Arc::new(tokio::sync::Barrier::new(n as usize));
    let mut tasks = Vec::new();
    for i in 0..n {
        let worker = i as usize % env.workers.len();
        let st = env.workers[worker].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let (s, fp) = copy(&format!("copy-{i:02}"), i);
            barrier.wait().await;
            let d = st.dedup(&s, &fp, false, Utc::now()).await.unwrap();
            let label = d.label();
            let mut ran = Ran {
                worker,
                investigation_id: s.investigation_id.clone(),
                fingerprint: fp.clone(),
                investigated: false,
                claimed: false,
                label,
                reused: None,
            };
            match d {
                Dedup::Investigate { claimed, .. } => {
                    ran.investigated = true;
                    ran.claimed = claimed;
                    st.begin(&s).await.unwrap();
                    tokio::time::sleep(work).await;
                    st.record(&s, &investigation(&s, &fp, outcome, Utc::now(), None))
                        .await
                        .unwrap();
                }
                Dedup::Reuse { anchor, .. } => {
                    suppress(&*st, &s, &fp, &anchor).await;
                    ran.reused = Some(anchor.investigation_id);
                }
                Dedup::Wait { .. } => panic!("copy {i} gave up waiting"),
            }
            ran
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

// ---------------------------------------------------------------------------------------
// Store-specific

#[tokio::test]
async fn redis_dedup_keys_have_ttls_and_the_claim_expires() {
    let mut st = settings();
    st.dedup.claim_ttl = Duration::from_secs(1);
    st.dedup.claim_wait = Duration::from_millis(300);
    let env = redis_env(st).await;
    let redis = env._redis.as_ref().unwrap();
    let (a, fp) = copy("A", 0);
    assert!(matches!(
        decide(env.store(), &a, &fp).await,
        Dedup::Investigate { claimed: true, .. }
    ));
    // The holder died: a copy waits at most `claim_wait`, then is told to come back.
    let (b, _) = copy("B", 1);
    let d = decide(&*env.workers[1], &b, &fp).await;
    assert_eq!(d.label(), "wait");
    let Dedup::Wait {
        holder,
        retry_after,
    } = d
    else {
        panic!("expected wait, got {d:?}");
    };
    assert_eq!(holder, a.investigation_id);
    assert!(retry_after <= Duration::from_secs(1) && retry_after > Duration::ZERO);
    // After the claim's TTL the copy takes it over.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(matches!(
        decide(&*env.workers[1], &b, &fp).await,
        Dedup::Investigate { claimed: true, .. }
    ));
    investigate(&*env.workers[1], &b, &fp, CLEAN).await;
    let (c, _) = copy("C", 2);
    let anchor_b = anchor(decide(env.store(), &c, &fp).await);
    suppress(env.store(), &c, &fp, &anchor_b).await;
    env.store()
        .set_ruling(
            &b.investigation_id,
            &Ruling::new(Verdict::FalsePositive, "ok", "ana"),
        )
        .await
        .unwrap();

    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("soc:test:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut seen = Vec::new();
    for k in keys {
        let ttl: i64 = ::redis::cmd("PTTL")
            .arg(&k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(ttl > 0, "`{k}` has no TTL ({ttl})");
        let kind = k.split(':').nth(3).unwrap().to_owned();
        if !seen.contains(&kind) {
            seen.push(kind);
        }
        if k.ends_with(&format!("fp:{fp}")) || k.ends_with(&format!("fpruled:{fp}")) {
            assert!(ttl > 179 * 86_400_000, "ruled `{k}`: {ttl}");
        }
    }
    seen.sort();
    for kind in ["fp", "fpdup", "fpruled", "worked"] {
        assert!(
            seen.iter().any(|k| k == kind),
            "{kind} missing from {seen:?}"
        );
    }
    assert!(
        !seen.iter().any(|k| k == "fplock"),
        "the claim was released on record"
    );
}

/// A connection to `redis` and its one key ending in `suffix`.
async fn key_ending(
    redis: &RedisServer,
    suffix: &str,
) -> (::redis::aio::MultiplexedConnection, String) {
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("*{suffix}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    (conn, keys.into_iter().next().unwrap())
}

/// Overwrites the one key of `redis` ending in `suffix` with `text`, keeping its TTL.
async fn overwrite_key(redis: &RedisServer, suffix: &str, text: &str) {
    let (mut conn, key) = key_ending(redis, suffix).await;
    let () = ::redis::cmd("SET")
        .arg(&key)
        .arg(text)
        .arg("KEEPTTL")
        .query_async(&mut conn)
        .await
        .unwrap();
}

/// Rewrites the ruling on `id` as rulings were stored before they carried their alert.
async fn strip_alert(redis: &RedisServer, id: &str) {
    let (mut conn, key) = key_ending(redis, &format!("ruling:{id}")).await;
    let text: String = ::redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        v.as_object_mut().unwrap().remove("alert").is_some(),
        "{text}"
    );
    overwrite_key(redis, &key, &v.to_string()).await;
}

/// A ruling (or the ruled record) that cannot be read could be an overturn: no reuse.
/// The records are read only where they can change the answer, so a garbled record
/// under a false-positive ruling that carries its alert is not seen when every ruling
/// is a false positive; it is when a ruling is not, or the ruling lacks its alert.
#[tokio::test]
async fn redis_an_unreadable_ruling_or_ruled_record_refuses_reuse() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Case {
        GarbledRuling,
        RecordGone,
        GarbledRecordOldRuling,
        GarbledRecordAndAnOverturnLifted,
        GarbledRecordAllFalsePositive,
    }
    for case in [
        Case::GarbledRuling,
        Case::RecordGone,
        Case::GarbledRecordOldRuling,
        Case::GarbledRecordAndAnOverturnLifted,
        Case::GarbledRecordAllFalsePositive,
    ] {
        let env = redis_env(settings()).await;
        let redis = env._redis.as_ref().unwrap();
        let st = env.store();
        let t0 = Utc::now() - chrono::Duration::hours(1);
        let (a, fp) = copy("A", 0);
        investigate(st, &a, &fp, CLEAN).await;
        let (b, _) = copy("B", 1);
        let b1 = b.clone().with_investigation_id("b-first");
        investigate(st, &b1, &fp, CLEAN).await;
        investigate(st, &b, &fp, CLEAN).await;
        rule_at(st, &a.investigation_id, Verdict::FalsePositive, t0, 0).await;
        if case == Case::GarbledRecordAndAnOverturnLifted {
            // B's first investigation overturned, its second (the anchor) ruled a false
            // positive later: B's latest ruling is a false positive.
            rule_at(st, &b1.investigation_id, Verdict::TruePositive, t0, 1).await;
            rule_at(st, &b.investigation_id, Verdict::FalsePositive, t0, 2).await;
        }
        let (c, _) = copy("C", 2);
        assert_eq!(
            anchor_id(decide(st, &c, &fp).await),
            b.investigation_id,
            "{case:?}"
        );

        let record = format!("inv:{}", a.investigation_id);
        match case {
            Case::GarbledRuling => {
                overwrite_key(
                    redis,
                    &format!("ruling:{}", a.investigation_id),
                    "{not json",
                )
                .await;
            }
            Case::RecordGone => {
                let (mut conn, key) = key_ending(redis, &record).await;
                let () = ::redis::cmd("DEL")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            }
            Case::GarbledRecordOldRuling => {
                strip_alert(redis, &a.investigation_id).await;
                overwrite_key(redis, &record, "{not json").await;
            }
            Case::GarbledRecordAndAnOverturnLifted | Case::GarbledRecordAllFalsePositive => {
                overwrite_key(redis, &record, "{not json").await;
            }
        }
        let d = decide(st, &c, &fp).await;
        if case == Case::GarbledRecordAllFalsePositive {
            assert_eq!(anchor_id(d), b.investigation_id, "{case:?}");
        } else {
            assert_eq!(
                d,
                Dedup::Investigate {
                    reason: InvestigateReason::RulingUnreadable {
                        investigation_id: a.investigation_id.clone()
                    },
                    claimed: false
                },
                "{case:?}"
            );
        }
    }
}

/// What one dedup pass reads, counted by Redis itself: with LFU eviction and a log
/// factor of 0, `OBJECT FREQ` goes up by exactly one per read of a key (`EXISTS` and
/// `OBJECT` do not count). Over rulings that are all false positives a pass reads every
/// ruling once and no ruled record; the records are read for a ruling stored without
/// its alert, and all of them once a ruling is not a false positive. (On RESP3: the
/// other tests use RESP2, and this read mixes integer and array replies.)
#[tokio::test]
async fn redis_a_dedup_pass_reads_the_rulings_not_the_ruled_records() {
    let env = redis_env_on(settings(), "?protocol=resp3").await;
    let redis = env._redis.as_ref().unwrap();
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for (k, v) in [
        ("maxmemory-policy", "allkeys-lfu"),
        ("lfu-log-factor", "0"),
        ("lfu-decay-time", "0"),
    ] {
        let () = ::redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    let st = env.store();
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let (a, fp) = copy("A", 0);
    investigate(st, &a, &fp, CLEAN).await;
    // Suppressed copies, each ruled a false positive: their records are read by no other
    // gate (only the anchor candidates' are).
    let mut ruled = Vec::new();
    for n in 1..=20 {
        let (s, _) = copy(&format!("S{n:02}"), n);
        let anchor_a = anchor(decide(st, &s, &fp).await);
        suppress(st, &s, &fp, &anchor_a).await;
        rule_at(
            st,
            &s.investigation_id,
            Verdict::FalsePositive,
            t0,
            i64::from(n),
        )
        .await;
        ruled.push(s.investigation_id);
    }
    let mut keys = Vec::new();
    for id in &ruled {
        keys.push(key_ending(redis, &format!("inv:{id}")).await.1);
        keys.push(key_ending(redis, &format!("ruling:{id}")).await.1);
    }
    let (next, _) = copy("next", 30);
    let pass = async |conn: &mut ::redis::aio::MultiplexedConnection, reuse: bool| {
        reads_in_one_pass(conn, &keys, || async {
            let d = decide(st, &next, &fp).await;
            assert_eq!(matches!(d, Dedup::Reuse { .. }), reuse, "{d:?}");
        })
        .await
    };
    assert_eq!(pass(&mut conn, true).await, (vec![0; 20], vec![1; 20]));
    // A ruling stored before rulings carried their alert: its record is read.
    strip_alert(redis, &ruled[4]).await;
    let mut one = vec![0; 20];
    one[4] = 1;
    assert_eq!(pass(&mut conn, true).await, (one, vec![1; 20]));
    // A ruling that is not a false positive: every record is read, to group the rulings
    // per alert.
    rule_at(st, &ruled[7], Verdict::TruePositive, t0, 0).await;
    assert_eq!(pass(&mut conn, false).await, (vec![1; 20], vec![1; 20]));
}

/// How many times `run` read each of `keys` (pairs of a record and a ruling), by their
/// `OBJECT FREQ` before and after: the records' counts, then the rulings'.
async fn reads_in_one_pass<F: Future<Output = ()>>(
    conn: &mut ::redis::aio::MultiplexedConnection,
    keys: &[String],
    run: impl FnOnce() -> F,
) -> (Vec<i64>, Vec<i64>) {
    let mut p = ::redis::pipe();
    for k in keys {
        p.cmd("OBJECT").arg("FREQ").arg(k);
    }
    let before: Vec<i64> = p.query_async(conn).await.unwrap();
    run().await;
    let after: Vec<i64> = p.query_async(conn).await.unwrap();
    after
        .iter()
        .zip(&before)
        .map(|(a, b)| a - b)
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| (c[0], c[1]))
        .unzip()
}

#[tokio::test]
async fn memory_dedup_survives_a_restart_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    let (a, fp) = copy("A", 0);
    {
        let m = MemoryHistory::open(&path, settings(), MemoryOptions::default()).unwrap();
        investigate(&m, &a, &fp, CLEAN).await;
        let (b, _) = copy("B", 1);
        let anchor_a = anchor(decide(&m, &b, &fp).await);
        suppress(&m, &b, &fp, &anchor_a).await;
    }
    let m = MemoryHistory::open(&path, settings(), MemoryOptions::default()).unwrap();
    let (c, _) = copy("C", 2);
    let anchor_a = anchor(decide(&m, &c, &fp).await);
    assert_eq!(anchor_a.investigation_id, a.investigation_id);
    assert!(!anchor_a.hypothesis.is_empty());
    // The already-worked index came back too.
    let retry = a.with_investigation_id("retry");
    assert_eq!(
        why(&decide(&m, &retry, &fp).await).label(),
        "already_investigated"
    );
}

#[tokio::test]
async fn invalid_input_is_refused() {
    let m = MemoryHistory::new(settings(), MemoryOptions::default());
    let (a, _) = copy("A", 0);
    let e = m.dedup(&a, "", false, Utc::now()).await.unwrap_err();
    assert!(e.to_string().contains("empty fingerprint"), "{e}");
    let e = m.release_fingerprint("fp", "").await.unwrap_err();
    assert!(e.to_string().contains("empty investigation id"), "{e}");
}
