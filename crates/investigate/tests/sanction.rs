//! The inventory sanctions activity only for the entity it describes, inside its window,
//! and never because an inventoried name appears somewhere in the alert's content.

use std::sync::Arc;

use serde_json::{Value, json};
use soc_core::alert::Limits;
use soc_core::assets::AssetInventory;
use soc_core::{Alert, Confidence, Verdict};
use soc_investigate::{Pipeline, PipelineConfig};

/// A small inventory written for these tests: a scanner (host, address, account) and a
/// backup server whose agent prunes the oldest shadow copy at night.
fn inventory() -> Arc<AssetInventory> {
    let text = json!({
        "hosts": {
            "scan-07.corp.internal": {"role": "vulnerability scanner", "owner": "secops",
                "expected_activity": ["scan window: Sat 01:00-03:00 UTC", "high-volume authentication bursts during scan windows are routine"]},
            "bkp-02.corp.internal": {"role": "backup server", "owner": "infra",
                "expected_activity": ["maintenance window daily 00:30-01:30 UTC", "prunes the oldest shadow copy per volume (vssadmin delete shadows /oldest), never /all"]}
        },
        "ips": {"10.9.8.7": {"host": "scan-07.corp.internal"}},
        "service_accounts": {
            "svc-scan": {"role": "authenticated scanning", "owner": "secops", "expected_activity": ["SSH logins from 10.9.8.7 only", "credential failures in bulk are expected"]},
            "svc-bkp": {"role": "backup service account", "owner": "infra", "expected_activity": ["manages shadow copies on bkp-02 only"]}
        }
    })
    .to_string();
    Arc::new(AssetInventory::from_json(&text).expect("test inventory parses"))
}

fn pipeline() -> Pipeline {
    let cfg = PipelineConfig {
        assets: inventory(),
        ..PipelineConfig::default()
    };
    Pipeline::new(cfg, soc_intel::providers::build_default())
}

fn alert(ts: &str, title: &str, raw: &Value, users: &[&str]) -> Alert {
    let v = json!({"alert_id": "S-1", "timestamp": ts, "source": "siem", "severity": "high", "title": title,
                   "raw_log": *raw, "indicators": {"users": users}});
    Alert::from_json(&v.to_string(), &Limits::default()).expect("test alert parses")
}

fn burst(src: &str, users: &[&str]) -> Value {
    json!({"event_type": "auth_failure", "service": "sshd", "host": "db-3.corp.internal", "failed_attempts": 300,
           "usernames_tried": users, "source_ip": src})
}

#[tokio::test]
async fn the_scanner_is_sanctioned_from_its_own_address_inside_its_window_only() {
    let p = pipeline();
    // Saturday 2026-05-16, 01:20 UTC: inside the window.
    let ok = p
        .investigate(&alert(
            "2026-05-16T01:20:00Z",
            "SSH failure burst",
            &burst("10.9.8.7", &["svc-scan"]),
            &["svc-scan"],
        ))
        .await;
    assert_eq!(
        (ok.verdict, ok.confidence),
        (Verdict::FalsePositive, Confidence::High),
        "{}",
        ok.hypothesis
    );
    assert!(!ok.escalation_recommended);

    // Outside the window: still the inventoried source, so benign, but not with high confidence.
    let late = p
        .investigate(&alert(
            "2026-05-16T11:20:00Z",
            "SSH failure burst",
            &burst("10.9.8.7", &["svc-scan"]),
            &["svc-scan"],
        ))
        .await;
    assert_eq!(
        (late.verdict, late.confidence),
        (Verdict::FalsePositive, Confidence::Medium)
    );

    // Another internal host trying the scanner's account name is not the scanner.
    let spray = p
        .investigate(&alert(
            "2026-05-16T01:20:00Z",
            "SSH failure burst",
            &burst("10.4.4.4", &["svc-scan", "root", "admin"]),
            &["svc-scan"],
        ))
        .await;
    assert_ne!(
        spray.verdict,
        Verdict::FalsePositive,
        "{}",
        spray.hypothesis
    );
    assert!(spray.escalation_recommended);
    assert_eq!(spray.closure.as_ref().map(|c| c.eligible), Some(false));
}

fn vss(host: &str, user: &str, parent: &str, signature: &str, cmd: &str) -> Value {
    json!({"event_type": "process_creation", "host": host, "user": user, "parent_process_path": parent,
           "parent_signature_status": signature, "process": "vssadmin.exe", "command_line": cmd})
}

#[tokio::test]
async fn shadow_copies_are_sanctioned_only_on_the_backup_host_and_only_bounded() {
    let p = pipeline();
    let agent = "C:\\Program Files\\Backup Co\\agent.exe";
    let ok = p
        .investigate(&alert(
            "2026-05-14T01:00:00Z",
            "Shadow copy deleted",
            &vss(
                "bkp-02.corp.internal",
                "CORP\\svc-bkp",
                agent,
                "signed (Backup Co)",
                "vssadmin.exe delete shadows /for=C: /oldest /quiet",
            ),
            &["svc-bkp"],
        ))
        .await;
    assert_eq!(
        (ok.verdict, ok.confidence),
        (Verdict::FalsePositive, Confidence::High),
        "{}",
        ok.hypothesis
    );

    // The backup account on another host: not what the inventory describes.
    let elsewhere = p
        .investigate(&alert(
            "2026-05-14T01:00:00Z",
            "Shadow copy deleted",
            &vss(
                "fs-9.corp.internal",
                "CORP\\svc-bkp",
                agent,
                "signed (Backup Co)",
                "vssadmin.exe delete shadows /for=C: /oldest /quiet",
            ),
            &["svc-bkp"],
        ))
        .await;
    assert_eq!(
        elsewhere.verdict,
        Verdict::TruePositive,
        "{}",
        elsewhere.hypothesis
    );

    // `/for=C:` without /oldest deletes every copy of the volume, even on the backup host.
    let whole_volume = p
        .investigate(&alert(
            "2026-05-14T01:00:00Z",
            "Shadow copy deleted",
            &vss(
                "bkp-02.corp.internal",
                "CORP\\svc-bkp",
                agent,
                "signed (Backup Co)",
                "vssadmin.exe delete shadows /for=C: /quiet",
            ),
            &["svc-bkp"],
        ))
        .await;
    assert_eq!(whole_volume.verdict, Verdict::TruePositive);

    // The inventoried host's name in the parent's arguments does not make it the host.
    let planted = p
        .investigate(&alert("2026-05-14T01:00:00Z", "Shadow copy deleted",
            &json!({"event_type": "process_creation", "host": "fs-9.corp.internal", "user": "CORP\\a.user",
                   "parent_process_path": "C:\\Users\\Public\\agent.exe", "parent_command_line": "agent.exe --peer bkp-02.corp.internal",
                   "process": "vssadmin.exe", "command_line": "vssadmin.exe delete shadows /for=C: /oldest /quiet"}), &[]))
        .await;
    assert_eq!(planted.verdict, Verdict::TruePositive);
    for inv in [&elsewhere, &whole_volume, &planted] {
        assert!(inv.escalation_recommended);
        assert_eq!(inv.closure.as_ref().map(|c| c.eligible), Some(false));
    }
}

#[tokio::test]
async fn a_copy_of_a_management_agent_outside_its_install_path_is_not_the_agent() {
    let p = pipeline();
    let fake = p
        .investigate(&alert("2026-05-14T04:00:00Z", "Encoded PowerShell",
            &json!({"event_type": "process_creation", "host": "ws-1.corp.internal", "user": "CORP\\a.user",
                   "parent_process_path": "C:\\Users\\Public\\CcmExec.exe", "process": "powershell.exe",
                   "command_line": "powershell.exe -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="}), &[]))
        .await;
    assert_eq!(fake.verdict, Verdict::TruePositive, "{}", fake.hypothesis);
    let real = p
        .investigate(&alert("2026-05-14T04:00:00Z", "Encoded PowerShell",
            &json!({"event_type": "process_creation", "host": "ws-1.corp.internal", "user": "NT AUTHORITY\\SYSTEM",
                   "parent_process_path": "C:\\Windows\\CCM\\CcmExec.exe", "process": "powershell.exe",
                   "command_line": "powershell.exe -NonInteractive -EncodedCommand RwBlAHQALQBTAGUAcgB2AGkAYwBlAA=="}), &[]))
        .await;
    assert_eq!(real.verdict, Verdict::FalsePositive, "{}", real.hypothesis);
}

#[tokio::test]
async fn copies_of_a_sanctioned_burst_reuse_the_verdict_up_to_the_cap_until_an_analyst_objects() {
    use soc_history::{HistoryStore, MemoryHistory, Ruling};
    let store = Arc::new(MemoryHistory::new(Default::default(), Default::default()));
    let p = pipeline().with_history(store.clone());
    let copy = |i: u32| {
        // The same burst, new id, time and counters each time.
        let mut raw = burst("10.9.8.7", &["svc-scan"]);
        raw["failed_attempts"] = json!(300 + i);
        let v = json!({"alert_id": format!("DUP-{i}"), "timestamp": format!("2026-05-16T01:{:02}:00Z", 10 + i),
                       "source": "siem", "severity": "high", "title": "SSH failure burst",
                       "raw_log": raw, "indicators": {"users": ["svc-scan"]}});
        Alert::from_json(&v.to_string(), &Limits::default()).expect("alert")
    };
    let first = p.investigate(&copy(0)).await;
    assert_eq!(
        (
            first.verdict,
            first.confidence,
            first.duplicate_of.as_deref()
        ),
        (Verdict::FalsePositive, Confidence::High, None),
        "{}",
        first.hypothesis
    );
    // One after the other: 25 consecutive reuses, then the cap forces a fresh look (the
    // reference's guard against reusing one verdict forever), which anchors the rest.
    let mut anchor = first.investigation_id.clone();
    for i in 1..30 {
        let dup = p.investigate(&copy(i)).await;
        if i == 26 {
            assert_eq!(
                dup.duplicate_of, None,
                "copy {i} re-investigated at the cap"
            );
            assert_eq!(dup.verdict, Verdict::FalsePositive);
            anchor = dup.investigation_id.clone();
            continue;
        }
        assert_eq!(
            dup.duplicate_of.as_deref(),
            Some(anchor.as_str()),
            "copy {i}: {}",
            dup.hypothesis
        );
        assert_eq!(dup.verdict, Verdict::FalsePositive);
        assert!(!dup.escalation_recommended);
        assert_eq!((dup.cost.llm_calls, dup.cost.usd), (0, 0.0));
        assert!(dup.hypothesis.starts_with("Suppressed as a near-duplicate"));
    }
    // An analyst says the anchor was an attack: no more reuse.
    store
        .set_ruling(
            &anchor,
            &Ruling::new(Verdict::TruePositive, "not our scanner", "analyst"),
        )
        .await
        .expect("ruling");
    let after = p.investigate(&copy(31)).await;
    assert_eq!(after.duplicate_of, None, "{}", after.hypothesis);
}

/// A store that lets two related alerts (same host) begin right after each recall, before
/// the verdict: what a burst on other workers looks like to the first alert of it.
#[derive(Debug)]
struct BurstAfterRecall {
    inner: soc_history::MemoryHistory,
    others: Vec<soc_history::Subject>,
}

#[async_trait::async_trait]
impl soc_history::HistoryStore for BurstAfterRecall {
    async fn begin(&self, s: &soc_history::Subject) -> Result<(), soc_history::HistoryError> {
        self.inner.begin(s).await
    }
    async fn record(
        &self,
        s: &soc_history::Subject,
        inv: &soc_core::Investigation,
    ) -> Result<(), soc_history::HistoryError> {
        self.inner.record(s, inv).await
    }
    async fn prior_sightings(
        &self,
        s: &soc_history::Subject,
    ) -> Result<Vec<soc_core::investigation::PriorSighting>, soc_history::HistoryError> {
        self.inner.prior_sightings(s).await
    }
    async fn correlate(
        &self,
        s: &soc_history::Subject,
        window: std::time::Duration,
    ) -> Result<soc_core::investigation::Correlation, soc_history::HistoryError> {
        self.inner.correlate(s, window).await
    }
    async fn recall(
        &self,
        s: &soc_history::Subject,
        window: std::time::Duration,
    ) -> Result<soc_history::Recalled, soc_history::HistoryError> {
        let recalled = self.inner.recall(s, window).await?;
        for o in &self.others {
            self.inner.begin(o).await?;
        }
        Ok(recalled)
    }
    async fn set_ruling(
        &self,
        id: &str,
        r: &soc_history::Ruling,
    ) -> Result<(), soc_history::HistoryError> {
        self.inner.set_ruling(id, r).await
    }
    async fn ruling(
        &self,
        id: &str,
    ) -> Result<Option<soc_history::Ruling>, soc_history::HistoryError> {
        self.inner.ruling(id).await
    }
    async fn summary(
        &self,
        id: &str,
    ) -> Result<Option<soc_history::Summary>, soc_history::HistoryError> {
        self.inner.summary(id).await
    }
}

#[tokio::test]
async fn a_burst_beginning_after_the_recall_still_stops_autonomous_closure() {
    use soc_core::ioc::{IocConfig, extract};
    let other = |id: &str| {
        let v = json!({"alert_id": id, "timestamp": "2026-05-16T01:21:00Z", "source": "edr", "severity": "high",
                       "title": "Suspicious process", "raw_log": {"host": "db-3.corp.internal", "process": "nc.exe"}});
        let a = Alert::from_json(&v.to_string(), &Limits::default()).expect("alert");
        soc_history::Subject::from_alert(&a, &extract(&a, &IocConfig::default()))
    };
    let scan = alert(
        "2026-05-16T01:20:00Z",
        "SSH failure burst",
        &burst("10.9.8.7", &["svc-scan"]),
        &["svc-scan"],
    );

    // Alone, the sanctioned scan may close itself.
    let quiet = pipeline().with_history(Arc::new(BurstAfterRecall {
        inner: soc_history::MemoryHistory::new(Default::default(), Default::default()),
        others: Vec::new(),
    }));
    let alone = quiet.investigate(&scan).await;
    let closure = alone.closure.expect("closure decided");
    assert!(closure.eligible, "{}", closure.reason);

    // Two alerts on the same host begin after its recall, before its verdict: the
    // recorded correlation names the campaign and closure is refused.
    let busy = pipeline().with_history(Arc::new(BurstAfterRecall {
        inner: soc_history::MemoryHistory::new(Default::default(), Default::default()),
        others: vec![other("EDR-1"), other("EDR-2")],
    }));
    let inv = busy.investigate(&scan).await;
    assert_eq!(inv.verdict, Verdict::FalsePositive, "{}", inv.hypothesis);
    let corr = inv.correlation.expect("correlated");
    assert!(corr.is_campaign, "{corr:?}");
    let closure = inv.closure.expect("closure decided");
    assert!(!closure.eligible);
    assert_eq!(closure.reason, "part of a campaign");
}
