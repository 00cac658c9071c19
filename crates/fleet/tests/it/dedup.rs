//! Near-duplicate suppression across workers: thirty copies of a false positive arriving
//! at once on two workers (and fifty on four) are investigated once; an analyst's
//! true-positive ruling on the anchor stops further reuse.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use soc_core::Verdict;
use soc_core::assets::AssetInventory;
use soc_history::{HistoryStore, RedisHistory, Ruling};
use soc_investigate::{Pipeline, PipelineConfig};

use crate::helpers::{TestApp, ndjson, spawn_app_with};

/// A scanner the inventory sanctions (window Saturdays 01:00-03:00 UTC): its SSH failure
/// bursts are a high-confidence false positive, the kind of alert worth reusing.
fn pipeline(history: Arc<RedisHistory>) -> Pipeline {
    let inventory = json!({
        "hosts": {"scan-07.corp.internal": {"role": "vulnerability scanner", "owner": "secops",
            "expected_activity": ["scan window: Sat 01:00-03:00 UTC", "high-volume authentication bursts during scan windows are routine"]}},
        "ips": {"10.9.8.7": {"host": "scan-07.corp.internal"}},
        "service_accounts": {"svc-scan": {"role": "authenticated scanning", "owner": "secops",
            "expected_activity": ["SSH logins from 10.9.8.7 only", "credential failures in bulk are expected"]}}
    });
    let cfg = PipelineConfig {
        assets: Arc::new(AssetInventory::from_json(&inventory.to_string()).unwrap()),
        ..PipelineConfig::default()
    };
    Pipeline::new(cfg, soc_intel::providers::build_default()).with_history(history)
}

fn copy(i: u32) -> Value {
    json!({"alert_id": format!("SCAN-{i:03}"), "timestamp": format!("2026-05-16T01:{:02}:00Z", 10 + i % 40),
           "source": "siem", "severity": "high", "title": "SSH failure burst",
           "raw_log": {"event_type": "auth_failure", "service": "sshd", "host": "db-3.corp.internal",
                       "failed_attempts": 300 + i, "usernames_tried": ["svc-scan"], "source_ip": "10.9.8.7"},
           "indicators": {"users": ["svc-scan"]}})
}

/// The app with `n` workers, each with its own history connection (as separate processes
/// would have), and a history handle for the test.
async fn with_workers(n: usize) -> (TestApp, Arc<RedisHistory>) {
    let mut app = spawn_app_with(&[], false).await;
    app.spawn_history_workers(n, pipeline);
    let history = app.history();
    (app, history)
}

/// Posts `n` copies at once and waits for them: exactly one is investigated, a false
/// positive, and every other one reuses it at no cost. Returns the anchor's id.
async fn one_investigation_for(app: &TestApp, n: u32) -> String {
    let copies: Vec<Value> = (0..n).map(copy).collect();
    let r = app.post(ndjson(&copies), "application/x-ndjson").await;
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(
        app.wait_for_investigations(u64::from(n), Duration::from_secs(60))
            .await,
        u64::from(n)
    );
    let invs = app.investigations().await;
    let fresh: Vec<_> = invs.iter().filter(|i| i.duplicate_of.is_none()).collect();
    assert_eq!(
        fresh.len(),
        1,
        "{:#?}",
        fresh
            .iter()
            .map(|i| (&i.alert_id, &i.hypothesis))
            .collect::<Vec<_>>()
    );
    let anchor = fresh[0];
    assert_eq!(anchor.verdict, Verdict::FalsePositive);
    let dups: Vec<_> = invs.iter().filter(|i| i.duplicate_of.is_some()).collect();
    assert_eq!(dups.len(), usize::try_from(n - 1).unwrap());
    for d in &dups {
        assert_eq!(
            d.duplicate_of.as_deref(),
            Some(anchor.investigation_id.as_str())
        );
        assert_eq!((d.cost.llm_calls, d.cost.usd), (0, 0.0));
        assert_eq!(d.cost.intel_calls.values().sum::<u32>(), 0);
    }
    assert_eq!(app.metrics.duplicates.get(), u64::from(n - 1));
    anchor.investigation_id.clone()
}

#[tokio::test]
async fn fifty_simultaneous_copies_on_four_workers_are_investigated_once() {
    let (app, _) = with_workers(4).await;
    one_investigation_for(&app, 50).await;
    app.stop().await;
}

#[tokio::test]
async fn thirty_simultaneous_copies_are_investigated_once_and_a_ruling_stops_the_reuse() {
    let (app, history) = with_workers(2).await;
    let anchor = one_investigation_for(&app, 30).await;
    assert!(
        app.metrics.spend_saved.get().abs() < 1e-12,
        "tier 0 spent nothing to save"
    );

    // The analyst says the anchor was an attack: the next copy is investigated afresh.
    history
        .set_ruling(
            &anchor,
            &Ruling::new(
                Verdict::TruePositive,
                "not our scanner's usual pattern",
                "analyst",
            ),
        )
        .await
        .unwrap();
    let r = app.post(ndjson(&[copy(31)]), "application/x-ndjson").await;
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(
        app.wait_for_investigations(31, Duration::from_secs(30))
            .await,
        31
    );
    let last = app
        .investigations()
        .await
        .into_iter()
        .find(|i| i.alert_id == "SCAN-031")
        .unwrap();
    assert_eq!(last.duplicate_of, None, "{}", last.hypothesis);
    app.stop().await;
}
