//! Redis-only checks of `RedisHistory` against a real redis-server (soc-testkit): a TTL
//! on every key, rulings extending them, index caps, a dead Redis as a transient error, a
//! vanished summary, and a recall larger than one MGET.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::time::Duration;

use soc_core::Verdict;
use soc_history::{HistorySettings, HistoryStore, RedisHistory, Ruling, Subject};
use soc_testkit::RedisServer;
use support::{Spec, investigation, subject};

/// Investigates `s` start to end with `verdict`.
async fn done(store: &dyn HistoryStore, s: &Subject, verdict: Verdict, tech: &[&str]) {
    store.begin(s).await.unwrap();
    store
        .record(s, &investigation(s, verdict, tech))
        .await
        .unwrap();
}

fn settings() -> HistorySettings {
    HistorySettings::default()
}

async fn keys_and_ttls(url: &str, prefix: &str) -> Vec<(String, i64)> {
    let client = ::redis::Client::open(url).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut c)
        .await
        .unwrap();
    let mut out = Vec::new();
    for k in keys {
        let ttl: i64 = ::redis::cmd("PTTL")
            .arg(&k)
            .query_async(&mut c)
            .await
            .unwrap();
        out.push((k[prefix.len()..].to_owned(), ttl));
    }
    out.sort();
    out
}

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

#[tokio::test]
async fn redis_every_key_has_a_ttl_and_rulings_extend_them() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let s = RedisHistory::connect_lazy(&redis.url(), prefix.clone(), settings()).unwrap();
    let a = subject(
        "A",
        -1,
        &Spec {
            ips: &["203.0.113.5"],
            domains: &["evil.example.org"],
            host: Some("ws-1"),
            ..Spec::default()
        },
    );
    let b = subject(
        "B",
        0,
        &Spec {
            ips: &["198.51.100.5"],
            host: Some("ws-2"),
            ..Spec::default()
        },
    );
    s.begin(&a).await.unwrap();
    s.begin(&b).await.unwrap();

    let ttls = keys_and_ttls(&redis.url(), &prefix).await;
    let names: Vec<&str> = ttls.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"ioc:ipv4:203.0.113.5"), "{names:?}");
    assert!(names.contains(&"ioc:domain:evil.example.org"));
    assert!(names.contains(&"host:ws-1"));
    assert!(names.contains(&"net24:203.0.113"));
    for (k, ttl) in &ttls {
        assert!(*ttl > 0, "`{k}` has no TTL ({ttl})");
        if k.starts_with("inv:") {
            assert!(*ttl <= 6 * HOUR_MS, "pending `{k}` lives too long: {ttl}");
        } else {
            // `begin` lists for the retention plus `pending_ttl`.
            assert!(
                (30 * DAY_MS..=30 * DAY_MS + 6 * HOUR_MS).contains(ttl),
                "`{k}`: {ttl}"
            );
        }
    }

    s.record(&a, &investigation(&a, Verdict::TruePositive, &["T1110"]))
        .await
        .unwrap();
    s.record(&b, &investigation(&b, Verdict::FalsePositive, &[]))
        .await
        .unwrap();
    for (k, ttl) in keys_and_ttls(&redis.url(), &prefix).await {
        let longest = if k.starts_with("inv:") {
            30 * DAY_MS
        } else {
            30 * DAY_MS + 6 * HOUR_MS
        };
        assert!((29 * DAY_MS..=longest).contains(&ttl), "`{k}`: {ttl}");
    }

    s.set_ruling(
        &a.investigation_id,
        &Ruling::new(Verdict::TruePositive, "confirmed", "ana"),
    )
    .await
    .unwrap();
    let a_keys = [
        format!("inv:{}", a.investigation_id),
        format!("ruling:{}", a.investigation_id),
        "ioc:ipv4:203.0.113.5".to_owned(),
        "ioc:domain:evil.example.org".to_owned(),
        "host:ws-1".to_owned(),
        "net24:203.0.113".to_owned(),
        // Near-duplicate indexes (`investigation` gives each alert its own fingerprint).
        "fp:fp-A".to_owned(),
        "fpruled:fp-A".to_owned(),
        "worked:A".to_owned(),
    ];
    let ttls = keys_and_ttls(&redis.url(), &prefix).await;
    // Per alert: summary, indicator, host and /24 keys, `fp:` and `worked:`; A's ruling and
    // `fpruled:`.
    assert_eq!(ttls.len(), 15, "{ttls:?}");
    for (k, ttl) in &ttls {
        if a_keys.contains(k) {
            assert!(
                (179 * DAY_MS..=180 * DAY_MS).contains(ttl),
                "ruled `{k}`: {ttl}"
            );
        } else {
            assert!(
                (29 * DAY_MS..=30 * DAY_MS + 6 * HOUR_MS).contains(ttl),
                "`{k}`: {ttl}"
            );
        }
    }
    // A later write to a shared index key never shortens it.
    let c = subject(
        "C",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    done(&s, &c, Verdict::TruePositive, &[]).await;
    let ttls = keys_and_ttls(&redis.url(), &prefix).await;
    let ioc = ttls
        .iter()
        .find(|(k, _)| k == "ioc:ipv4:203.0.113.5")
        .unwrap();
    assert!(ioc.1 >= 179 * DAY_MS);
    assert!(ttls.iter().all(|(_, t)| *t > 0));
}

#[tokio::test]
async fn redis_index_keys_are_capped_newest_first() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let st = HistorySettings {
        index_cap: 5,
        fanout: 5,
        ..HistorySettings::default()
    };
    let s = RedisHistory::connect_lazy(&redis.url(), prefix.clone(), st).unwrap();
    for i in 0..12 {
        let x = subject(
            &format!("X{i:02}"),
            i,
            &Spec {
                domains: &["hot.example.com"],
                ..Spec::default()
            },
        );
        done(&s, &x, Verdict::FalsePositive, &[]).await;
    }
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let n: usize = ::redis::cmd("ZCARD")
        .arg(format!("{prefix}ioc:domain:hot.example.com"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(n, 5);
    let me = subject(
        "ME",
        20,
        &Spec {
            domains: &["hot.example.com"],
            ..Spec::default()
        },
    );
    let ids: Vec<String> = s
        .prior_sightings(&me)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.alert_id)
        .collect();
    assert_eq!(ids, ["X11", "X10", "X09", "X08", "X07"]);
}

#[tokio::test]
async fn redis_down_is_a_transient_error() {
    let mut redis = RedisServer::start().await.unwrap();
    let s = RedisHistory::connect_lazy(&redis.url(), "soc:", settings())
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    redis.stop();
    let a = subject(
        "A",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    let e = s.begin(&a).await.unwrap_err();
    use soc_core::error::Classify as _;
    assert_eq!(e.class(), soc_core::ErrorClass::Transient, "{e}");
}

#[tokio::test]
async fn recall_skips_a_vanished_summary_on_resp2_and_resp3() {
    let redis = RedisServer::start().await.unwrap();
    for url in [redis.url(), format!("{}?protocol=resp3", redis.url())] {
        let prefix = soc_testkit::unique_prefix();
        let s = RedisHistory::connect_lazy(&url, prefix.clone(), settings()).unwrap();
        let spec = Spec {
            domains: &["shared.example.com"],
            ..Spec::default()
        };
        let (a, b) = (subject("A", 1, &spec), subject("B", 2, &spec));
        done(&s, &a, Verdict::TruePositive, &[]).await;
        done(&s, &b, Verdict::TruePositive, &[]).await;
        // A's summary is gone (evicted, expired early) while the index still lists it;
        // the missing value must read as absent on either protocol.
        let client = ::redis::Client::open(redis.url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = ::redis::cmd("DEL")
            .arg(format!("{prefix}inv:{}", a.investigation_id))
            .query_async(&mut c)
            .await
            .unwrap();
        let me = subject("ME", 3, &spec);
        let r = s.recall(&me, soc_history::DEFAULT_WINDOW).await.unwrap();
        let priors: Vec<&str> = r.priors.iter().map(|p| p.alert_id.as_str()).collect();
        assert_eq!(priors, ["B"], "{url}");
        let related: Vec<&str> = r
            .correlation
            .related_alerts
            .iter()
            .map(|x| x.alert_id.as_str())
            .collect();
        assert_eq!(related, ["B"], "{url}");
    }
}

#[tokio::test]
async fn a_recall_past_one_mget_chunk_matches_the_memory_store() {
    // 600 candidates: the summaries and the rulings each take two MGETs (500 keys each)
    // in one pipeline, which the store must split back apart.
    let st = HistorySettings {
        fanout: 700,
        max_candidates: 600,
        ..HistorySettings::default()
    };
    let redis = RedisServer::start().await.unwrap();
    let r =
        RedisHistory::connect_lazy(&redis.url(), soc_testkit::unique_prefix(), st.clone()).unwrap();
    let m = soc_history::MemoryHistory::new(st, soc_history::MemoryOptions::default());
    let spec = Spec {
        domains: &["hot.example.com"],
        ..Spec::default()
    };
    let mut newest = None;
    for i in 0..600 {
        let s = subject(&format!("P{i}"), i, &spec);
        for store in [&r as &dyn HistoryStore, &m] {
            done(store, &s, Verdict::FalsePositive, &[]).await;
        }
        newest = Some(s);
    }
    let newest = newest.unwrap();
    let ruling = Ruling::new(Verdict::TruePositive, "confirmed", "ana");
    for store in [&r as &dyn HistoryStore, &m] {
        store
            .set_ruling(&newest.investigation_id, &ruling)
            .await
            .unwrap();
    }
    let me = subject("ME", 601, &spec);
    let (rr, rm) = (
        r.recall(&me, soc_history::DEFAULT_WINDOW).await.unwrap(),
        m.recall(&me, soc_history::DEFAULT_WINDOW).await.unwrap(),
    );
    assert_eq!(rr.priors, rm.priors);
    assert_eq!(rr.correlation, rm.correlation);
    assert_eq!(rr.priors.len(), 20);
    assert_eq!(rr.priors[0].alert_id, newest.alert_id);
    assert_eq!(rr.priors[0].human_verdict.as_deref(), Some("true_positive"));
}

/// `ZADD`s Redis ran while `run` ran.
/// Asserts that the index key `k` (relative) lives at least as long as the summary of `s`.
async fn assert_key_outlives_summary(
    c: &mut ::redis::aio::MultiplexedConnection,
    prefix: &str,
    k: &str,
    s: &Subject,
) {
    let mut p = ::redis::pipe();
    p.cmd("PTTL").arg(format!("{prefix}{k}"));
    p.cmd("PTTL")
        .arg(format!("{prefix}inv:{}", s.investigation_id));
    let (key_ttl, summary_ttl): (i64, i64) = p.query_async(c).await.unwrap();
    assert!(
        key_ttl >= summary_ttl,
        "{k} expires before the summary of {}: {key_ttl} < {summary_ttl} ms",
        s.alert_id
    );
}

/// `ZADD` and `PEXPIRE` calls while `run` runs.
async fn zadds_during<F: Future<Output = ()>>(redis: &RedisServer, run: F) -> (u64, u64) {
    redis.reset_command_stats().await.unwrap();
    run.await;
    (
        redis.command_calls("zadd").await.unwrap(),
        redis.command_calls("pexpire").await.unwrap(),
    )
}

/// `record` after `begin` writes only the index entries `begin` has not: the indicator,
/// host and /24 entries are there already with the same id and score, so completing an
/// investigation adds its near-duplicate entries (`fp:`, `worked:`) alone, and leaves the
/// other keys' TTL as it is (`begin` set it to the retention plus `pending_ttl` from its
/// own, earlier time, which outlasts the summary; a slower investigation extends it, see
/// the next test).
/// Without the pending record (it expired during a very long investigation) or for a
/// completed one (a redelivered alert whose investigation was ruled: longer retention),
/// every entry is written again. Either way every entry stays listed with the alert's
/// time and its key lives at least as long as the summary.
#[tokio::test]
async fn redis_record_does_not_rewrite_what_begin_listed() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let st = RedisHistory::connect_lazy(&redis.url(), prefix.clone(), settings()).unwrap();
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let spec = Spec {
        ips: &["203.0.113.5"],
        domains: &["evil.example.org"],
        host: Some("ws-1"),
        ..Spec::default()
    };
    let index_keys = [
        "ioc:ipv4:203.0.113.5",
        "ioc:domain:evil.example.org",
        "host:ws-1",
        "net24:203.0.113",
    ];
    let listed = async |c: &mut ::redis::aio::MultiplexedConnection, s: &Subject| {
        for k in index_keys {
            let score: Option<i64> = ::redis::cmd("ZSCORE")
                .arg(format!("{prefix}{k}"))
                .arg(&s.investigation_id)
                .query_async(c)
                .await
                .unwrap();
            assert_eq!(
                score,
                Some(s.timestamp.timestamp_millis()),
                "{k} of {}",
                s.alert_id
            );
            assert_key_outlives_summary(c, &prefix, k, s).await;
        }
    };

    let a = subject("A", -1, &spec);
    st.begin(&a).await.unwrap();
    // An investigation takes time: `begin`'s TTLs are older than the summary's.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = zadds_during(&redis, async {
        st.record(&a, &investigation(&a, Verdict::TruePositive, &[]))
            .await
            .unwrap();
    })
    .await;
    // Two TTL commands (NX, GT) for each new key.
    assert_eq!(n, (2, 4), "fp: and worked: only");
    listed(&mut c, &a).await;

    let b = subject("B", -2, &spec);
    st.begin(&b).await.unwrap();
    let () = ::redis::cmd("DEL")
        .arg(format!("{prefix}inv:{}", b.investigation_id))
        .query_async(&mut c)
        .await
        .unwrap();
    let n = zadds_during(&redis, async {
        st.record(&b, &investigation(&b, Verdict::FalsePositive, &[]))
            .await
            .unwrap();
    })
    .await;
    let every = 2 + index_keys.len() as u64;
    assert_eq!(n, (every, 2 * every), "no pending record: every entry");
    listed(&mut c, &b).await;

    // A ruled investigation recorded again (its alert redelivered): the stored record is
    // the completed one, and the ruling's retention must reach every entry.
    let r = subject("R", -3, &spec);
    done(&st, &r, Verdict::TruePositive, &[]).await;
    st.set_ruling(
        &r.investigation_id,
        &Ruling::new(Verdict::TruePositive, "confirmed", "ana"),
    )
    .await
    .unwrap();
    st.begin(&r).await.unwrap();
    let n = zadds_during(&redis, async {
        st.record(&r, &investigation(&r, Verdict::TruePositive, &[]))
            .await
            .unwrap();
    })
    .await;
    assert_eq!(n, (every, 2 * every), "ruled: every entry");
    listed(&mut c, &r).await;
}

/// An investigation that took half of `pending_ttl` or longer extends the TTL of the keys
/// `begin` listed it under (one `PEXPIRE … GT` each): `begin`'s margin may not cover the
/// completed summary's retention any more.
#[tokio::test]
async fn redis_record_extends_begins_keys_after_a_slow_investigation() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let mut cfg = settings();
    // Half of it passes before `record`, with the other half to spare for a slow machine
    // (the pending record must still be there).
    cfg.pending_ttl = Duration::from_secs(6);
    let st = RedisHistory::connect_lazy(&redis.url(), prefix.clone(), cfg).unwrap();
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let spec = Spec {
        ips: &["203.0.113.5"],
        host: Some("ws-1"),
        ..Spec::default()
    };
    let a = subject("A", -1, &spec);
    st.begin(&a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let n = zadds_during(&redis, async {
        st.record(&a, &investigation(&a, Verdict::TruePositive, &[]))
            .await
            .unwrap();
    })
    .await;
    // fp: and worked: new (ZADD, PEXPIRE NX and GT each); the ioc:, host: and net24:
    // keys one PEXPIRE GT each.
    assert_eq!(n, (2, 4 + 3));
    for k in ["ioc:ipv4:203.0.113.5", "host:ws-1", "net24:203.0.113"] {
        assert_key_outlives_summary(&mut c, &prefix, k, &a).await;
    }
}

/// An investigation that outlasts the retention (its index keys expired while it ran) is
/// listed again by `record`: nothing of `begin`'s is taken as still there.
#[tokio::test]
async fn redis_record_relists_an_investigation_that_outlasted_the_retention() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let mut cfg = settings();
    cfg.retention = Duration::from_secs(1);
    let st = RedisHistory::connect_lazy(&redis.url(), prefix.clone(), cfg).unwrap();
    let a = subject(
        "A",
        -1,
        &Spec {
            ips: &["203.0.113.5"],
            host: Some("ws-1"),
            ..Spec::default()
        },
    );
    st.begin(&a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    st.record(&a, &investigation(&a, Verdict::TruePositive, &[]))
        .await
        .unwrap();
    let sightings = st
        .prior_sightings(&subject(
            "B",
            0,
            &Spec {
                ips: &["203.0.113.5"],
                ..Spec::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        sightings
            .iter()
            .map(|p| p.alert_id.as_str())
            .collect::<Vec<_>>(),
        ["A"]
    );
}
