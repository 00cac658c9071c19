//! Auto-closure is refused whenever what the decision rests on is incomplete: a model tier
//! the policy required failed or was never configured, the fleet's memory failed (a campaign
//! the recall found survives a failed re-read), or a near-duplicate reuses an anchor that
//! carries no verdict.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use soc_core::alert::Limits;
use soc_core::assets::AssetInventory;
use soc_core::config::Secret;
use soc_core::investigation::{Correlation, PriorSighting, RelatedAlert};
use soc_core::{Alert, Confidence, Investigation, Verdict};
use soc_history::{
    Dedup, HistoryError, HistorySettings, HistoryStore, MemoryHistory, RedisHistory, Ruling,
    Subject, Summary,
};
use soc_investigate::tiers::{LlmTiers, Mode};
use soc_investigate::{Pipeline, PipelineConfig};
use soc_llm::LlmConfig;
use soc_llm::config::AnthropicConfig;
use soc_testkit::llm_mock::{Flavor, MockLlm, OnExhausted, Turn};

const KEY: &str = "sk-test-0123456789";

fn tiers(mock: &MockLlm) -> LlmTiers {
    let mut cfg = LlmConfig::default();
    let mut a = AnthropicConfig::new(Secret::new(KEY.to_owned()));
    a.base_url = mock.base_url();
    a.http.retry.base_delay = Duration::from_millis(5);
    cfg.anthropic = Some(a);
    let clients = soc_llm::build_tier_clients(&cfg).expect("clients");
    let mut t = LlmTiers::new(clients);
    t.mode = Mode::Auto;
    t
}

/// A critical alert no tier-0 playbook recognises, with one external address (so the
/// offline feeds produce an evidence entry a model can cite).
fn critical_unknown() -> Alert {
    let v = json!({"alert_id": "CG-1", "timestamp": "2026-04-19T03:14:22Z", "source": "edr",
        "severity": "critical", "title": "Unusual process tree",
        "raw_log": {"host": "ws-7.corp.internal", "note": "parent spawned an unusual child",
                    "remote_ip": "198.51.100.23"}});
    Alert::from_json(&v.to_string(), &Limits::default()).expect("alert")
}

/// Tier 1's answer: a clean, grounded high-confidence false positive citing real evidence.
fn fp_answer(evidence_id: &str) -> Value {
    json!({"verdict": "false_positive", "confidence": "high",
        "hypothesis": "The process tree on ws-7.corp.internal is a routine software update.",
        "attack_techniques": [], "escalation_recommended": false,
        "evidence_ids": [evidence_id]})
}

/// The id of the first evidence entry tier 0 produces for `critical_unknown`.
async fn first_evidence_id() -> String {
    let inv = Pipeline::embedded_default()
        .investigate(&critical_unknown())
        .await;
    inv.evidence
        .first()
        .map(|e| e.id.clone())
        .expect("tier 0 records evidence for the alert")
}

/// Tier 0's clean false positive (the scanner in its window) stands, and the history
/// store's failure is recorded: what the closure checks below must then refuse.
fn assert_fp_high_with_history_degraded(inv: &Investigation) {
    assert_eq!(
        (inv.verdict, inv.confidence),
        (Verdict::FalsePositive, Confidence::High),
        "{}",
        inv.hypothesis
    );
    assert!(
        inv.degraded.iter().any(|d| d.component == "history"),
        "{:?}",
        inv.degraded
    );
}

fn eligible(inv: &Investigation) -> bool {
    inv.closure.as_ref().is_some_and(|c| c.eligible)
}

#[tokio::test]
async fn a_critical_alert_is_not_closed_on_tier1_when_tier2_fails() {
    let ev = first_evidence_id().await;
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![
            Turn::final_json(&fp_answer(&ev)),
            Turn::server_error(),
        ])
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    let inv = Pipeline::embedded_default()
        .with_llm(tiers(&mock))
        .investigate(&critical_unknown())
        .await;
    let path: Vec<u8> = inv.tiers.iter().map(|t| t.tier).collect();
    assert_eq!(path, [0, 1, 2], "{:#?}", inv.tiers);
    assert_eq!(
        (inv.verdict, inv.confidence),
        (Verdict::FalsePositive, Confidence::High),
        "tier 1's answer stands: {}",
        inv.reasoning_transcript
    );
    assert!(
        inv.degraded.iter().any(|d| d.component == "llm.tier2"),
        "{:?}",
        inv.degraded
    );
    assert!(!eligible(&inv), "{:?}", inv.closure);
}

#[tokio::test]
async fn a_critical_alert_is_not_closed_on_tier1_when_no_strong_model_is_configured() {
    let ev = first_evidence_id().await;
    let mock = MockLlm::builder(Flavor::Anthropic)
        .api_key(KEY)
        .script(vec![Turn::final_json(&fp_answer(&ev))])
        .start()
        .await;
    let mut t = tiers(&mock);
    t.clients.strong = None;
    let inv = Pipeline::embedded_default()
        .with_llm(t)
        .investigate(&critical_unknown())
        .await;
    assert_eq!(mock.calls(), 1);
    let path: Vec<u8> = inv.tiers.iter().map(|t| t.tier).collect();
    assert_eq!(path, [0, 1], "{:#?}", inv.tiers);
    assert_eq!(
        (inv.verdict, inv.confidence),
        (Verdict::FalsePositive, Confidence::High)
    );
    assert!(inv.degraded.is_empty(), "{:?}", inv.degraded);
    let closure = inv.closure.as_ref().expect("closure decided");
    assert!(!closure.eligible, "{closure:?}");
    assert!(closure.reason.contains("tier 2"), "{}", closure.reason);
}

/// A history store over the in-memory one, with scripted failures: the first
/// correlation read answers `first_correlation` (when set) and later ones fail; `dedup`
/// reuses the anchor `reuse` describes, when set.
#[derive(Debug)]
struct Scripted {
    inner: MemoryHistory,
    first_correlation: Option<Correlation>,
    reuse: Option<Anchor>,
    correlate_calls: AtomicUsize,
    /// `record` fails (the investigation is never remembered) and correlation reads after
    /// the first do not.
    fail_record: bool,
}

impl Scripted {
    fn new(first_correlation: Option<Correlation>, reuse: Option<Anchor>) -> Self {
        Self {
            inner: MemoryHistory::new(HistorySettings::default(), Default::default()),
            first_correlation,
            reuse,
            correlate_calls: AtomicUsize::new(0),
            fail_record: false,
        }
    }

    fn failing_record(mut self) -> Self {
        self.fail_record = true;
        self
    }
}

#[async_trait]
impl HistoryStore for Scripted {
    async fn begin(&self, s: &Subject) -> Result<(), HistoryError> {
        self.inner.begin(s).await
    }
    async fn record(&self, s: &Subject, inv: &Investigation) -> Result<(), HistoryError> {
        if self.fail_record {
            return Err(HistoryError::Timeout { op: "record" });
        }
        self.inner.record(s, inv).await
    }
    async fn prior_sightings(&self, s: &Subject) -> Result<Vec<PriorSighting>, HistoryError> {
        self.inner.prior_sightings(s).await
    }
    async fn correlate(&self, s: &Subject, window: Duration) -> Result<Correlation, HistoryError> {
        if self.correlate_calls.fetch_add(1, Ordering::SeqCst) == 0 || self.fail_record {
            match &self.first_correlation {
                Some(c) => Ok(c.clone()),
                None => self.inner.correlate(s, window).await,
            }
        } else {
            Err(HistoryError::Timeout { op: "correlate" })
        }
    }
    async fn set_ruling(&self, id: &str, r: &Ruling) -> Result<(), HistoryError> {
        self.inner.set_ruling(id, r).await
    }
    async fn ruling(&self, id: &str) -> Result<Option<Ruling>, HistoryError> {
        self.inner.ruling(id).await
    }
    async fn summary(&self, id: &str) -> Result<Option<Summary>, HistoryError> {
        self.inner.summary(id).await
    }
    async fn dedup(
        &self,
        s: &Subject,
        fingerprint: &str,
        injection: bool,
        now: DateTime<Utc>,
    ) -> Result<Dedup, HistoryError> {
        let Some(kind) = self.reuse else {
            return self.inner.dedup(s, fingerprint, injection, now).await;
        };
        let mut anchor = Summary::pending(s, now);
        anchor.alert_id = "CG-ANCHOR".into();
        anchor.investigation_id = "inv-anchor".into();
        anchor.fingerprint = fingerprint.to_owned();
        assert_eq!((anchor.verdict, anchor.confidence), (None, None));
        if kind == Anchor::NotClosable {
            anchor.investigated_at = Some(now);
            anchor.verdict = Some(Verdict::FalsePositive);
            anchor.confidence = Some(Confidence::High);
            anchor.hypothesis = "Sanctioned scanner burst inside its window.".into();
            anchor.closure_refused = Some("part of a possible campaign".into());
        }
        Ok(Dedup::Reuse {
            anchor,
            reason: "equivalent alert recently investigated".into(),
            analyst_confirmed: false,
        })
    }
}

/// The anchor [`Scripted`] hands out for reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// A pending record: no verdict, no confidence.
    Pending,
    /// A completed high-confidence false positive whose own alert stayed open.
    NotClosable,
}

/// An inventory sanctioning the vulnerability scanner's SSH bursts in its Saturday window.
fn scanner_pipeline(store: Arc<dyn HistoryStore>) -> Pipeline {
    let inventory = json!({
        "hosts": {"scan-07.corp.internal": {"role": "vulnerability scanner", "owner": "secops",
            "expected_activity": ["scan window: Sat 01:00-03:00 UTC", "high-volume authentication bursts during scan windows are routine"]}},
        "ips": {"10.9.8.7": {"host": "scan-07.corp.internal"}},
        "service_accounts": {"svc-scan": {"role": "authenticated scanning", "owner": "secops",
            "expected_activity": ["SSH logins from 10.9.8.7 only", "credential failures in bulk are expected"]}}
    })
    .to_string();
    let cfg = PipelineConfig {
        assets: Arc::new(AssetInventory::from_json(&inventory).expect("inventory")),
        ..PipelineConfig::default()
    };
    Pipeline::new(cfg, soc_intel::providers::build_default()).with_history(store)
}

/// The scanner inside its window: tier 0 calls it a false positive at high confidence.
fn scanner_burst() -> Alert {
    let v = json!({"alert_id": "CG-2", "timestamp": "2026-05-16T01:20:00Z", "source": "siem",
        "severity": "high", "title": "SSH failure burst",
        "raw_log": {"event_type": "auth_failure", "service": "sshd", "host": "db-3.corp.internal",
                    "failed_attempts": 300, "usernames_tried": ["svc-scan"], "source_ip": "10.9.8.7"},
        "indicators": {"users": ["svc-scan"]}});
    Alert::from_json(&v.to_string(), &Limits::default()).expect("alert")
}

fn campaign() -> Correlation {
    let related = |id: &str, ts: &str| RelatedAlert {
        alert_id: id.into(),
        timestamp: ts.parse().expect("timestamp"),
        verdict: "true_positive".into(),
        signals: vec!["shared_ioc:10.9.8.7".into()],
    };
    Correlation {
        is_campaign: true,
        window_hours: 72,
        related_alerts: vec![
            related("CG-P2", "2026-05-16T00:50:00Z"),
            related("CG-P1", "2026-05-15T23:10:00Z"),
        ],
        summary:
            "Possible coordinated campaign: 3 related alerts within 72h (this alert + 2 prior)."
                .into(),
    }
}

#[tokio::test]
async fn a_campaign_found_at_recall_survives_a_failed_reread_and_blocks_closure() {
    let inv = scanner_pipeline(Arc::new(Scripted::new(Some(campaign()), None)))
        .investigate(&scanner_burst())
        .await;
    // The re-read failed.
    assert_fp_high_with_history_degraded(&inv);
    assert!(
        inv.correlation.as_ref().is_some_and(|c| c.is_campaign),
        "the recall's campaign is kept: {:?}",
        inv.correlation
    );
    assert!(!eligible(&inv), "{:?}", inv.closure);
}

#[tokio::test]
async fn an_unreachable_history_store_blocks_closure() {
    // Nothing listens on port 1.
    let store = RedisHistory::connect_lazy(
        "redis://127.0.0.1:1/",
        "soc:test:",
        HistorySettings::default(),
    )
    .expect("lazy store")
    .with_timeout(Duration::from_millis(200));
    let inv = scanner_pipeline(Arc::new(store))
        .investigate(&scanner_burst())
        .await;
    assert_fp_high_with_history_degraded(&inv);
    let closure = inv.closure.as_ref().expect("closure decided");
    assert!(!closure.eligible, "{closure:?}");
}

#[tokio::test]
async fn a_copy_of_an_anchor_without_a_verdict_is_inconclusive_and_stays_open() {
    let inv = scanner_pipeline(Arc::new(Scripted::new(None, Some(Anchor::Pending))))
        .investigate(&scanner_burst())
        .await;
    assert_eq!(inv.duplicate_of.as_deref(), Some("inv-anchor"));
    assert_eq!(
        (inv.verdict, inv.confidence),
        (Verdict::Inconclusive, Confidence::Low)
    );
    assert!(inv.escalation_recommended);
    assert!(inv.escalation_draft.is_some());
    assert!(!eligible(&inv), "{:?}", inv.closure);
}

#[tokio::test]
async fn a_copy_of_an_anchor_that_could_not_close_its_alert_cannot_close_its_own() {
    let inv = scanner_pipeline(Arc::new(Scripted::new(None, Some(Anchor::NotClosable))))
        .investigate(&scanner_burst())
        .await;
    assert_eq!(inv.duplicate_of.as_deref(), Some("inv-anchor"));
    assert_eq!(
        (inv.verdict, inv.confidence),
        (Verdict::FalsePositive, Confidence::High)
    );
    let closure = inv.closure.as_ref().expect("closure decided");
    assert!(!closure.eligible, "{closure:?}");
    assert!(
        closure.reason.contains("inv-anchor") && closure.reason.contains("campaign"),
        "{closure:?}"
    );
}

#[tokio::test]
async fn an_investigation_the_store_could_not_record_is_not_closable() {
    // Every correlation read answers (no campaign); only the final write fails.
    let store = Scripted::new(
        Some(Correlation {
            is_campaign: false,
            window_hours: 72,
            related_alerts: Vec::new(),
            summary: "No related prior alerts within 72h.".into(),
        }),
        None,
    )
    .failing_record();
    let inv = scanner_pipeline(Arc::new(store))
        .investigate(&scanner_burst())
        .await;
    assert_fp_high_with_history_degraded(&inv);
    let closure = inv.closure.as_ref().expect("closure decided");
    assert!(!closure.eligible, "{closure:?}");
}
