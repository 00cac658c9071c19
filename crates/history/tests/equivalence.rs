//! The two stores give identical answers: the same 2,000 synthetic investigations go into
//! `RedisHistory` (a real redis-server) and `MemoryHistory`, and 300 lookups of prior
//! sightings and correlation (72 h and 6 h windows) must match exactly, with the default
//! read limits and with tight ones; `recall` must answer what the separate calls do, and
//! `begin_and_recall` the same in both stores.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::time::Duration;

use soc_core::Verdict;
use soc_history::{
    DEFAULT_WINDOW, HistorySettings, HistoryStore, MemoryHistory, MemoryOptions, RedisHistory,
    Ruling, Summary,
};
use soc_testkit::RedisServer;
use support::{Rng, investigation, synthetic};

#[tokio::test]
async fn redis_and_memory_stores_agree() {
    let redis = RedisServer::start().await.unwrap();
    // Default reads, and tight ones where every per-key limit and the candidate cap bind
    // (the Redis store applies them to its ZRANGE limits, the memory store to its lists).
    let tight = HistorySettings {
        fanout: 3,
        max_candidates: 5,
        ..HistorySettings::default()
    };
    let r = RedisHistory::connect_lazy(
        &redis.url(),
        soc_testkit::unique_prefix(),
        HistorySettings::default(),
    )
    .unwrap();
    let m = MemoryHistory::new(HistorySettings::default(), MemoryOptions::default());
    let rt = RedisHistory::connect_lazy(&redis.url(), soc_testkit::unique_prefix(), tight.clone())
        .unwrap();
    let mt = MemoryHistory::new(tight, MemoryOptions::default());
    let stores: [&dyn HistoryStore; 4] = [&r, &m, &rt, &mt];

    let mut rng = Rng(42);
    for i in 0..2_000 {
        let s = synthetic(&mut rng, i);
        let verdict = [
            Verdict::TruePositive,
            Verdict::FalsePositive,
            Verdict::Inconclusive,
        ][i % 3];
        let techniques: Vec<&str> = s.techniques.iter().map(String::as_str).collect();
        let inv = investigation(&s, verdict, &techniques);
        for st in stores {
            st.begin(&s).await.unwrap();
            // Every tenth stays pending.
            if i % 10 != 0 {
                st.record(&s, &inv).await.unwrap();
            }
        }
        if i % 7 == 1 && i % 10 != 0 {
            let ruling = Ruling::new(Verdict::TruePositive, format!("note {i}"), "ana");
            for st in stores {
                st.set_ruling(&s.investigation_id, &ruling).await.unwrap();
            }
        }
    }

    let mut rng = Rng(7);
    let (mut priors, mut related) = (0, 0);
    let (mut tight_priors, mut tight_related) = (0, 0);
    let mut saw_own = 0;
    for i in 0..300 {
        let s = synthetic(&mut rng, 10_000 + i);
        let s = if i % 2 == 0 {
            s.clone().with_techniques(["T1110.003"])
        } else {
            s
        };
        for (set, r, m) in [("default", &r, &m), ("tight", &rt, &mt)] {
            let pr = r.prior_sightings(&s).await.unwrap();
            let pm = m.prior_sightings(&s).await.unwrap();
            assert_eq!(pr, pm, "{set}: prior sightings differ for lookup {i}");
            let mut cr_default = None;
            for w in [DEFAULT_WINDOW, Duration::from_secs(6 * 3600)] {
                let cr = r.correlate(&s, w).await.unwrap();
                if w == DEFAULT_WINDOW {
                    cr_default = Some(cr.clone());
                }
                let cm = m.correlate(&s, w).await.unwrap();
                assert_eq!(cr, cm, "{set}: correlation differs for lookup {i}");
                // One combined lookup answers exactly what the two separate ones do.
                for (name, recalled) in [
                    ("redis", r.recall(&s, w).await.unwrap()),
                    ("memory", m.recall(&s, w).await.unwrap()),
                ] {
                    assert_eq!(
                        (&recalled.priors, &recalled.correlation),
                        (&pr, &cr),
                        "{set}: {name} recall differs for lookup {i}"
                    );
                    // Worked out again for other techniques from what was read, it is
                    // what a fresh read answers (nothing was stored in between).
                    let retargeted = s.clone().with_techniques(["T1110.001", "T1059.001"]);
                    assert_eq!(
                        recalled.correlation_for(&retargeted),
                        Some(r.correlate(&retargeted, w).await.unwrap()),
                        "{set}: {name} correlation_for differs for lookup {i}"
                    );
                }
                if set == "default" {
                    related += cr.related_alerts.len();
                } else {
                    tight_related += cr.related_alerts.len();
                }
            }
            if set == "default" {
                priors += pr.len();
            } else {
                tight_priors += pr.len();
            }
            // Every fifth lookup registers its subject and recalls at once (the Redis
            // store in one transaction, the memory store by `begin` then `recall`): the
            // same answers, and later lookups see the same pending entries in both. The
            // lists are read after the registration: the subject's own entry takes a
            // candidate slot (its own alert is never an answer), so under the tight
            // limits some answers shrink against the lookup just before it.
            if i % 5 == 0 {
                let br = r.begin_and_recall(&s, DEFAULT_WINDOW).await.unwrap();
                let bm = m.begin_and_recall(&s, DEFAULT_WINDOW).await.unwrap();
                assert_eq!(
                    (&br.priors, &br.correlation),
                    (&bm.priors, &bm.correlation),
                    "{set}: begin_and_recall differs for lookup {i}"
                );
                // The pipeline's path: after the verdict, the techniques' signals added
                // to what the combined lookup worked out, as a fresh read answers.
                let retargeted = s.clone().with_techniques(["T1110.001", "T1059.001"]);
                let fresh = r.correlate(&retargeted, DEFAULT_WINDOW).await.unwrap();
                for (name, b) in [("redis", &br), ("memory", &bm)] {
                    assert_eq!(
                        b.correlation_for(&retargeted).as_ref(),
                        Some(&fresh),
                        "{set}: {name} correlation_for after begin_and_recall, lookup {i}"
                    );
                }
                // Registered alike (the start times are each store's own clock).
                let at = |x: Option<Summary>| {
                    x.map(|mut x| {
                        x.begun_at = chrono::DateTime::UNIX_EPOCH;
                        x
                    })
                };
                let (sr, sm) = (
                    at(r.summary(&s.investigation_id).await.unwrap()),
                    at(m.summary(&s.investigation_id).await.unwrap()),
                );
                assert!(sr.as_ref().is_some_and(Summary::is_pending), "{set}: {i}");
                assert_eq!(sr, sm, "{set}: the registration differs for lookup {i}");
                if br.priors != pr || Some(&br.correlation) != cr_default.as_ref() {
                    saw_own += 1;
                }
            }
        }
    }
    assert!(
        saw_own > 0,
        "no recall saw its own registration take a slot"
    );
    // The data set exercises the rules (not all-empty answers).
    assert!(priors > 300, "{priors}");
    assert!(related > 300, "{related}");
    // The tight limits bind (fewer answers) without emptying them.
    assert!(
        tight_priors > 0 && tight_priors < priors,
        "{tight_priors} vs {priors}"
    );
    assert!(
        tight_related > 0 && tight_related < related,
        "{tight_related} vs {related}"
    );
}
