//! A campaign through the fleet: three related alerts posted one after the other to the
//! ingest API, investigated by two workers sharing the fleet's memory (Redis). The third
//! is flagged as a campaign with the signals that link it to the first two.
//!
//! The scenario below is this project's own (documentation addresses, invented hosts);
//! the reference system's campaign scenario is sent the same way when the shared corpora
//! are on this machine (`SOC_SHARED_DIR`, or `../shared`), and skipped with a note when not.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use soc_core::Investigation;
use soc_investigate::{Pipeline, PipelineConfig};

use crate::helpers::{TestApp, spawn_app_with};

/// The app with two workers, each with its own history connection.
async fn with_memory() -> TestApp {
    let mut app = spawn_app_with(&[], false).await;
    app.spawn_history_workers(2, |history| {
        Pipeline::new(
            PipelineConfig::default(),
            soc_intel::providers::build_default(),
        )
        .with_history(history)
    });
    app
}

/// Posts the stages in order, each once the previous one is investigated, and returns
/// the investigations in stage order.
async fn send_in_order(app: &TestApp, stages: &[Value]) -> Vec<Investigation> {
    for (i, stage) in stages.iter().enumerate() {
        let r = app.post(stage.to_string(), "application/json").await;
        assert_eq!(r.status().as_u16(), 202, "stage {}", i + 1);
        let want = u64::try_from(i + 1).unwrap();
        assert_eq!(
            app.wait_for_investigations(want, Duration::from_secs(30))
                .await,
            want,
            "stage {} investigated",
            i + 1
        );
    }
    app.investigations().await
}

/// Stage 3's correlation: a campaign naming both earlier alerts, each with the signals in
/// `link` among its own.
fn assert_campaign(invs: &[Investigation], earlier: &[&str], link: &str) {
    assert_eq!(invs.len(), 3);
    let last = &invs[2];
    let corr = last.correlation.as_ref().expect("stage 3 correlated");
    assert!(corr.is_campaign, "{corr:?}");
    for id in earlier {
        let r = corr
            .related_alerts
            .iter()
            .find(|r| r.alert_id == *id)
            .unwrap_or_else(|| panic!("{id} not related: {corr:?}"));
        assert!(
            r.signals.iter().any(|s| s == link),
            "{id}: {:?} lacks {link}",
            r.signals
        );
    }
    assert!(
        last.hypothesis.to_lowercase().contains("campaign"),
        "{}",
        last.hypothesis
    );
    // Not a campaign before the third alert.
    assert!(!invs[0].correlation.as_ref().is_some_and(|c| c.is_campaign));
    assert!(!invs[1].correlation.as_ref().is_some_and(|c| c.is_campaign));
}

#[tokio::test]
async fn three_related_alerts_in_order_make_a_campaign_on_the_third() {
    let app = with_memory().await;
    let host = "build-07.corp.example";
    let stages = [
        // 1. An Elastic detection hit (ECS): a service account logs in from outside.
        json!({"_id": "hit-1", "_source": {
            "@timestamp": "2026-09-02T21:40:00Z",
            "kibana": {"alert": {"uuid": "CAMP-1", "severity": "medium",
                "reason": "Successful SSH login for svc-build from an external address",
                "rule": {"name": "External login to build infrastructure"}}},
            "event": {"category": ["authentication"], "outcome": "success"},
            "host": {"name": host}, "user": {"name": "svc-build"},
            "source": {"ip": "198.51.100.23"}}}),
        // 2. Native EDR: credential dumping on the same host.
        json!({"alert_id": "CAMP-2", "timestamp": "2026-09-03T00:10:00Z", "source": "edr",
               "severity": "high", "title": "LSASS memory read by an unsigned binary",
               "raw_log": {"host": host, "event_type": "process_access",
                           "target_process": "C:\\Windows\\System32\\lsass.exe",
                           "source_process": "C:\\Users\\svc-build\\AppData\\Local\\Temp\\d.exe",
                           "granted_access": "0x1010", "signed": false}}),
        // 3. Native EDR: an archive staged and sent out from the same host.
        json!({"alert_id": "CAMP-3", "timestamp": "2026-09-03T03:55:00Z", "source": "edr",
               "severity": "high", "title": "Large upload of a freshly made archive",
               "raw_log": {"host": host, "event_type": "network_connection",
                           "process": "C:\\Program Files\\7-Zip\\7z.exe",
                           "command_line": "7z.exe a C:\\Users\\svc-build\\repo.7z C:\\src",
                           "destination_ip": "203.0.113.77", "bytes_out": 2_100_000_000_u64}}),
    ];
    let invs = send_in_order(&app, &stages).await;
    assert_campaign(&invs, &["CAMP-1", "CAMP-2"], &format!("shared_host:{host}"));
    app.stop().await;
}

/// The shared corpora's campaign scenario directory, when this machine has it.
fn reference_scenario() -> Option<PathBuf> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var_os("SOC_SHARED_DIR").map(PathBuf::from),
        Some(here.join("../../../shared")),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.join("research/seed-data/data/scenarios/campaign_ci_compromise"))
    .find(|p| p.is_dir())
}

#[tokio::test]
async fn the_reference_campaign_scenario_through_the_fleet() {
    let Some(dir) = reference_scenario() else {
        eprintln!(
            "skipped: the reference campaign scenario is not on this machine (set SOC_SHARED_DIR); it is not part of the repo"
        );
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let stages: Vec<Value> = files
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect();
    let app = with_memory().await;
    let invs = send_in_order(&app, &stages).await;
    let earlier: Vec<String> = invs[..2].iter().map(|i| i.alert_id.clone()).collect();
    let earlier: Vec<&str> = earlier.iter().map(String::as_str).collect();
    // The stages share a host (written differently by the ECS and the native shapes).
    let host = invs[2]
        .correlation
        .as_ref()
        .and_then(|c| c.related_alerts.first())
        .and_then(|r| r.signals.iter().find(|s| s.starts_with("shared_host:")))
        .cloned()
        .expect("stage 3 linked by host");
    assert_campaign(&invs, &earlier, &host);
    app.stop().await;
}
