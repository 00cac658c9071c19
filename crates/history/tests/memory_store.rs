//! Memory-only checks of `MemoryHistory`: the history file (round trip, atomic save,
//! typed errors), the record cap and expiry.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::time::Duration;

use soc_core::Verdict;
use soc_history::{
    DEFAULT_WINDOW, HistoryError, HistorySettings, HistoryStore, MemoryHistory, MemoryOptions,
    Ruling, Subject,
};
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

#[tokio::test]
async fn memory_history_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    let a = subject(
        "A",
        -5,
        &Spec {
            ips: &["203.0.113.5"],
            host: Some("ws-1"),
            ..Spec::default()
        },
    );
    let b = subject(
        "B",
        -4,
        &Spec {
            domains: &["evil.example.org"],
            ..Spec::default()
        },
    );
    let pending = subject(
        "P",
        -3,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    {
        let s = MemoryHistory::open(&path, settings(), MemoryOptions::default()).unwrap();
        assert!(s.is_empty());
        done(&s, &a, Verdict::TruePositive, &["T1110"]).await;
        done(&s, &b, Verdict::FalsePositive, &[]).await;
        s.begin(&pending).await.unwrap();
        s.set_ruling(
            &b.investigation_id,
            &Ruling::new(Verdict::TruePositive, "missed by the copilot", "ana"),
        )
        .await
        .unwrap();
        assert_eq!(s.len(), 3);
    }
    // Saved atomically: only the file itself is in the directory.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["history.json"]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["format"], "soc-history");
    assert_eq!(doc["version"], 1);
    assert_eq!(
        doc["records"].as_array().unwrap().len(),
        2,
        "pending entries are not saved"
    );

    let s = MemoryHistory::open(&path, settings(), MemoryOptions::default()).unwrap();
    assert_eq!(s.len(), 2);
    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            domains: &["evil.example.org"],
            host: Some("ws-1"),
            ..Spec::default()
        },
    )
    .with_techniques(["T1110.001"]);
    let priors = s.prior_sightings(&me).await.unwrap();
    let got: Vec<(&str, Option<&str>)> = priors
        .iter()
        .map(|p| (p.alert_id.as_str(), p.human_verdict.as_deref()))
        .collect();
    assert_eq!(got, [("B", Some("true_positive")), ("A", None)]);
    let c = s.correlate(&me, DEFAULT_WINDOW).await.unwrap();
    assert_eq!(c.related_alerts.len(), 2);
    assert_eq!(
        c.related_alerts[1].signals,
        [
            "shared_ioc:203.0.113.5",
            "shared_host:ws-1",
            "shared_technique:T1110"
        ]
    );
    assert_eq!(
        s.summary(&a.investigation_id)
            .await
            .unwrap()
            .unwrap()
            .techniques,
        ["T1110"]
    );

    // Without autosave nothing is written until `save`.
    let s = MemoryHistory::open(
        &path,
        settings(),
        MemoryOptions {
            autosave: false,
            ..MemoryOptions::default()
        },
    )
    .unwrap();
    let c = subject(
        "C",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    done(&s, &c, Verdict::TruePositive, &[]).await;
    assert_eq!(
        MemoryHistory::open(&path, settings(), MemoryOptions::default())
            .unwrap()
            .len(),
        2
    );
    s.save().await.unwrap();
    assert_eq!(
        MemoryHistory::open(&path, settings(), MemoryOptions::default())
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn memory_history_file_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("new.json");
    assert!(
        MemoryHistory::open(&missing, settings(), MemoryOptions::default())
            .unwrap()
            .is_empty()
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{not json").unwrap();
    assert!(matches!(
        MemoryHistory::open(&bad, settings(), MemoryOptions::default()),
        Err(HistoryError::Corrupt { .. })
    ));
    std::fs::write(&bad, br#"{"format":"other","version":1}"#).unwrap();
    assert!(matches!(
        MemoryHistory::open(&bad, settings(), MemoryOptions::default()),
        Err(HistoryError::Corrupt { .. })
    ));
    // A file in a directory that does not exist cannot be saved.
    let nowhere = dir.path().join("no/such/dir/h.json");
    let s = MemoryHistory::open(&nowhere, settings(), MemoryOptions::default()).unwrap();
    let a = subject(
        "A",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    s.begin(&a).await.unwrap();
    assert!(matches!(
        s.record(&a, &investigation(&a, Verdict::TruePositive, &[]))
            .await,
        Err(HistoryError::File { .. })
    ));
}

#[tokio::test]
async fn memory_history_is_bounded_and_keeps_ruled_investigations_longest() {
    let s = MemoryHistory::new(
        settings(),
        MemoryOptions {
            max_records: 10,
            autosave: false,
        },
    );
    let first = subject(
        "R",
        -100,
        &Spec {
            domains: &["x.example.com"],
            ..Spec::default()
        },
    );
    done(&s, &first, Verdict::TruePositive, &[]).await;
    s.set_ruling(
        &first.investigation_id,
        &Ruling::new(Verdict::TruePositive, "", "ana"),
    )
    .await
    .unwrap();
    for i in 0..30 {
        let x = subject(
            &format!("X{i:02}"),
            i,
            &Spec {
                domains: &["x.example.com"],
                ..Spec::default()
            },
        );
        done(&s, &x, Verdict::FalsePositive, &[]).await;
    }
    assert_eq!(s.len(), 10);
    assert!(s.summary(&first.investigation_id).await.unwrap().is_some());
    // In-flight investigations are not evicted by the cap.
    let p = subject(
        "P",
        0,
        &Spec {
            domains: &["x.example.com"],
            ..Spec::default()
        },
    );
    s.begin(&p).await.unwrap();
    assert!(s.summary(&p.investigation_id).await.unwrap().is_some());
}

#[tokio::test]
async fn memory_entries_expire() {
    let st = HistorySettings {
        retention: Duration::from_secs(1),
        ruled_retention: Duration::from_secs(1),
        pending_ttl: Duration::from_secs(1),
        ..HistorySettings::default()
    };
    let s = MemoryHistory::new(st, MemoryOptions::default());
    let a = subject(
        "A",
        -1,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    done(&s, &a, Verdict::TruePositive, &[]).await;
    let me = subject(
        "ME",
        0,
        &Spec {
            ips: &["203.0.113.5"],
            ..Spec::default()
        },
    );
    assert_eq!(s.prior_sightings(&me).await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(s.prior_sightings(&me).await.unwrap().is_empty());
    assert!(s.is_empty());
}
