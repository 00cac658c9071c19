//! The metric catalogue (STYLE G21): every name is defined here, on one registry the
//! application owns, with labels whose values come from fixed sets. Served on its own port
//! by [`serve`].
//!
//! Every family is on `/metrics` from the start, so a dashboard's `absent()` or a reader
//! checking the docs finds it before its first event:
//! - a labelled family whose label values form a closed set ([`INGEST_OUTCOMES`],
//!   [`FAILURE_CLASSES`], [`DLQ_REASONS`], [`STORE_OPS`], verdicts × [`TIERS`], ruling
//!   verdicts) has each of its series created at zero;
//! - one with an open label (the model of `soc_llm_*`, the HTTP status of
//!   `soc_ingest_requests_total`, soc-intel's provider and outcome) has no series until
//!   its first event, and [`Metrics::render`] lists it by its `# HELP` and `# TYPE` lines
//!   (the prometheus crate leaves a family without series out of the exposition).

use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{
    CounterVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use soc_core::{Investigation, Verdict};
use soc_intel::metrics::IntelMetrics;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::FleetError;

const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// `outcome` values of `soc_ingest_alerts_total` (see the ingest module's `# Metrics`).
pub const INGEST_OUTCOMES: [&str; 5] = [
    "accepted",
    "duplicate",
    "rejected",
    "unavailable",
    "rejected_request",
];

/// `class` values of `soc_worker_failures_total`: the error classes
/// ([`soc_core::error::ErrorClass`]), snake_case.
pub const FAILURE_CLASSES: [&str; 3] = ["transient", "bad_input", "permanent"];

/// `reason` values of `soc_dlq_messages_total`.
pub const DLQ_REASONS: [&str; 3] = ["bad_input", "max_deliveries", "failed"];

/// `op` values of `soc_store_errors_total`: reading, writing, and a stored investigation
/// that could not be decoded.
pub const STORE_OPS: [&str; 3] = ["get", "put", "decode"];

/// `tier` values of `soc_worker_investigations_total`: 0 triage, 1 cheap model, 2 strong
/// model.
pub const TIERS: [&str; 3] = ["0", "1", "2"];

const VERDICTS: [Verdict; 3] = [
    Verdict::TruePositive,
    Verdict::FalsePositive,
    Verdict::Inconclusive,
];

/// The families to list on `/metrics` even before they have a series.
type Listed = Arc<RwLock<Vec<Box<dyn Collector>>>>;

/// Every metric the fleet exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Every family registered through this catalogue (and [`Metrics::register_intel`]).
    listed: Listed,
    /// `soc_ingest_alerts_total{outcome}`: accepted | duplicate | rejected | unavailable,
    /// one per alert; rejected_request, one per request refused whole before its alerts
    /// could be counted.
    pub ingest_alerts: IntCounterVec,
    /// `soc_ingest_requests_total{status}`.
    pub ingest_requests: IntCounterVec,
    /// `soc_ingest_request_duration_seconds`.
    pub ingest_duration: Histogram,
    /// `soc_worker_investigations_total{verdict,tier}`.
    pub investigations: IntCounterVec,
    /// `soc_worker_investigation_duration_seconds`.
    pub investigation_duration: Histogram,
    /// `soc_worker_republished_total`: alerts answered from the store, not investigated again.
    pub republished: IntCounter,
    /// `soc_worker_failures_total{class}`: transient | bad_input | permanent.
    pub failures: IntCounterVec,
    /// `soc_worker_in_flight`.
    pub in_flight: IntGauge,
    /// `soc_worker_escalations_total`.
    pub escalations: IntCounter,
    /// `soc_dlq_messages_total{reason}`: bad_input | max_deliveries | failed.
    pub dlq: IntCounterVec,
    /// `soc_jetstream_consumer_pending`: alerts waiting for a worker.
    pub consumer_pending: IntGauge,
    /// `soc_jetstream_consumer_ack_pending`: alerts delivered and not yet acknowledged.
    pub consumer_ack_pending: IntGauge,
    /// `soc_llm_tokens_total{model,kind}`.
    pub llm_tokens: IntCounterVec,
    /// `soc_llm_cost_usd_total{model}`.
    pub llm_cost: CounterVec,
    /// `soc_history_prior_sightings_total`: investigations that found earlier ones sharing
    /// an indicator.
    pub prior_sightings: IntCounter,
    /// `soc_history_campaigns_total`: investigations flagged as part of a campaign.
    pub campaigns: IntCounter,
    /// `soc_history_duplicates_suppressed_total`: near-duplicates answered from an anchor.
    pub duplicates: IntCounter,
    /// `soc_history_llm_spend_saved_usd_total`: what the anchors of those near-duplicates
    /// paid for models, USD (the spend the reuse did not repeat).
    pub spend_saved: prometheus::Counter,
    /// `soc_store_errors_total{op}`: get | put | decode.
    pub store_errors: IntCounterVec,
    /// `soc_rulings_total{verdict}`: analyst rulings recorded through the ingest API
    /// (true_positive | false_positive | inconclusive; an unchanged repeat is not counted).
    pub rulings: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The registry being filled, and every family registered on it.
struct Catalogue {
    registry: Registry,
    listed: Vec<Box<dyn Collector>>,
}

fn bad(e: &prometheus::Error) -> FleetError {
    FleetError::Metrics(e.to_string())
}

impl Catalogue {
    fn reg<T: Collector + Clone + 'static>(&mut self, m: T) -> Result<T, FleetError> {
        self.registry
            .register(Box::new(m.clone()))
            .map_err(|e| bad(&e))?;
        self.listed.push(Box::new(m.clone()));
        Ok(m)
    }

    fn counter_vec(
        &mut self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<IntCounterVec, FleetError> {
        self.reg(IntCounterVec::new(Opts::new(name, help), labels).map_err(|e| bad(&e))?)
    }

    /// A counter family with one label whose every value is known: each series starts at
    /// zero.
    fn counter_vec_of(
        &mut self,
        name: &str,
        help: &str,
        label: &str,
        values: &[&str],
    ) -> Result<IntCounterVec, FleetError> {
        let c = self.counter_vec(name, help, &[label])?;
        for v in values {
            c.with_label_values(&[*v]);
        }
        Ok(c)
    }

    fn histogram(&mut self, name: &str, help: &str) -> Result<Histogram, FleetError> {
        self.reg(
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(DURATION_BUCKETS.to_vec()))
                .map_err(|e| bad(&e))?,
        )
    }

    fn int_gauge(&mut self, name: &str, help: &str) -> Result<IntGauge, FleetError> {
        self.reg(IntGauge::new(name, help).map_err(|e| bad(&e))?)
    }

    fn int_counter(&mut self, name: &str, help: &str) -> Result<IntCounter, FleetError> {
        self.reg(IntCounter::new(name, help).map_err(|e| bad(&e))?)
    }
}

impl Metrics {
    /// A fresh registry with every metric.
    ///
    /// # Errors
    ///
    /// [`FleetError::Metrics`] on a duplicate or malformed definition (a bug).
    pub fn new() -> Result<Arc<Self>, FleetError> {
        let mut c = Catalogue {
            registry: Registry::new(),
            listed: Vec::new(),
        };
        Ok(Arc::new(Self {
            ingest_alerts: c.counter_vec_of(
                "soc_ingest_alerts_total",
                "Alerts received by the ingest API, by outcome (accepted, duplicate, rejected, unavailable; rejected_request counts one per request refused whole before its alerts could be counted).",
                "outcome",
                &INGEST_OUTCOMES,
            )?,
            ingest_requests: c.counter_vec(
                "soc_ingest_requests_total",
                "Ingest API requests, by HTTP status.",
                &["status"],
            )?,
            ingest_duration: c.histogram(
                "soc_ingest_request_duration_seconds",
                "Time to validate and publish one ingest request.",
            )?,
            investigations: {
                let m = c.counter_vec(
                    "soc_worker_investigations_total",
                    "Investigations published, by verdict and deciding tier.",
                    &["verdict", "tier"],
                )?;
                for v in VERDICTS {
                    for t in TIERS {
                        m.with_label_values(&[v.as_str(), t]);
                    }
                }
                m
            },
            investigation_duration: c.histogram(
                "soc_worker_investigation_duration_seconds",
                "Time from delivery to acknowledgement of one alert.",
            )?,
            republished: c.int_counter(
                "soc_worker_republished_total",
                "Alerts answered from the investigation store instead of being investigated again.",
            )?,
            failures: c.counter_vec_of(
                "soc_worker_failures_total",
                "Failed handling attempts, by error class.",
                "class",
                &FAILURE_CLASSES,
            )?,
            in_flight: c.int_gauge(
                "soc_worker_in_flight",
                "Alerts being handled by this worker now.",
            )?,
            escalations: c.int_counter(
                "soc_worker_escalations_total",
                "Investigations that recommend escalation to a human.",
            )?,
            dlq: c.counter_vec_of(
                "soc_dlq_messages_total",
                "Alerts copied to the dead-letter stream, by reason.",
                "reason",
                &DLQ_REASONS,
            )?,
            consumer_pending: c.int_gauge(
                "soc_jetstream_consumer_pending",
                "Alerts in the stream not yet delivered to a worker.",
            )?,
            consumer_ack_pending: c.int_gauge(
                "soc_jetstream_consumer_ack_pending",
                "Alerts delivered to workers and not yet acknowledged.",
            )?,
            // The model is whatever the configuration names: no series until the first
            // investigation that used one; `render` lists the families meanwhile.
            llm_tokens: c.counter_vec(
                "soc_llm_tokens_total",
                "LLM tokens, by model and kind.",
                &["model", "kind"],
            )?,
            llm_cost: c.reg(
                CounterVec::new(
                    Opts::new(
                        "soc_llm_cost_usd_total",
                        "LLM spend at list prices, USD, by model.",
                    ),
                    &["model"],
                )
                .map_err(|e| bad(&e))?,
            )?,
            prior_sightings: c.int_counter(
                "soc_history_prior_sightings_total",
                "Investigations that found earlier investigations sharing an exact indicator.",
            )?,
            campaigns: c.int_counter(
                "soc_history_campaigns_total",
                "Investigations flagged as part of a campaign (2 or more related alerts).",
            )?,
            duplicates: c.int_counter(
                "soc_history_duplicates_suppressed_total",
                "Near-duplicate alerts answered from an earlier investigation without a new one.",
            )?,
            spend_saved: c.reg(
                prometheus::Counter::new(
                    "soc_history_llm_spend_saved_usd_total",
                    "Model spend of the anchors that near-duplicates reused, USD.",
                )
                .map_err(|e| bad(&e))?,
            )?,
            store_errors: c.counter_vec_of(
                "soc_store_errors_total",
                "Investigation store (Redis) failures, by operation.",
                "op",
                &STORE_OPS,
            )?,
            rulings: c.counter_vec_of(
                "soc_rulings_total",
                "Analyst rulings recorded, by the analyst's verdict.",
                "verdict",
                &VERDICTS.map(Verdict::as_str),
            )?,
            registry: c.registry,
            listed: Arc::new(RwLock::new(c.listed)),
        }))
    }

    /// Registers soc-intel's counters (`soc_intel_*`) on this registry, as
    /// `IntelMetrics::register(metrics.registry())` does, and lists their families on
    /// `/metrics` before the first lookup (their labels, provider and outcome, are open).
    /// Call it once.
    ///
    /// # Errors
    ///
    /// [`FleetError::Metrics`] when they are already registered.
    pub fn register_intel(&self) -> Result<IntelMetrics, FleetError> {
        let m = IntelMetrics::register(&self.registry)
            .map_err(|e| FleetError::Metrics(e.to_string()))?;
        self.listed
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend([
                Box::new(m.lookups.clone()) as Box<dyn Collector>,
                Box::new(m.redis_errors.clone()),
                Box::new(m.circuit_opened.clone()),
            ]);
        Ok(m)
    }

    /// The registry, for other crates' metrics (soc-intel registers its counters here).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Records a published investigation.
    pub fn record_investigation(&self, inv: &Investigation) {
        let tier = inv
            .tiers
            .last()
            .map_or_else(|| "0".to_owned(), |t| t.tier.to_string());
        self.investigations
            .with_label_values(&[inv.verdict.as_str(), tier.as_str()])
            .inc();
        if inv.escalation_recommended {
            self.escalations.inc();
        }
        if !inv.prior_sightings.is_empty() {
            self.prior_sightings.inc();
        }
        if inv.correlation.as_ref().is_some_and(|c| c.is_campaign) {
            self.campaigns.inc();
        }
        if inv.duplicate_of.is_some() {
            self.duplicates.inc();
            // The anchor's record is the history evidence of the copy.
            let saved = inv
                .evidence
                .iter()
                .filter(|e| e.source_tool == "history")
                .find_map(|e| {
                    e.raw_data
                        .get("cost_micro_usd")
                        .and_then(serde_json::Value::as_u64)
                })
                .unwrap_or(0);
            self.spend_saved.inc_by(saved as f64 / 1e6);
        }
        if let Some(t) = &inv.telemetry
            && !t.model.is_empty()
        {
            let tokens = &inv.cost.tokens;
            for (kind, n) in [
                ("input", tokens.input),
                ("output", tokens.output),
                ("cache_read", tokens.cache_read),
                ("cache_write", tokens.cache_write),
            ] {
                self.llm_tokens
                    .with_label_values(&[t.model.as_str(), kind])
                    .inc_by(n);
            }
            self.llm_cost
                .with_label_values(&[t.model.as_str()])
                .inc_by(inv.cost.usd.max(0.0));
        }
    }

    /// The Prometheus text exposition, families in name order. A family of this catalogue
    /// without a series yet (an open label not seen so far) appears by its `# HELP` and
    /// `# TYPE` lines alone.
    pub fn render(&self) -> String {
        let encoder = TextEncoder::new();
        let mut blocks: Vec<(String, String)> = Vec::new();
        for mf in self.registry.gather() {
            let mut text = String::new();
            match encoder.encode_utf8(std::slice::from_ref(&mf), &mut text) {
                Ok(()) => blocks.push((mf.name().to_owned(), text)),
                Err(e) => {
                    tracing::warn!(error = %e, family = mf.name(), "Metrics encoding failed");
                }
            }
        }
        let listed = self.listed.read().unwrap_or_else(PoisonError::into_inner);
        for mf in listed.iter().flat_map(|c| c.collect()) {
            if mf.get_metric().is_empty() && !blocks.iter().any(|(n, _)| n == mf.name()) {
                blocks.push((mf.name().to_owned(), header_lines(&mf)));
            }
        }
        blocks.sort_by(|a, b| a.0.cmp(&b.0));
        blocks.into_iter().map(|(_, text)| text).collect()
    }
}

/// The `# HELP` and `# TYPE` lines of a family, as the text encoder writes them (it
/// refuses a family without series).
fn header_lines(mf: &MetricFamily) -> String {
    let help = mf.help().replace('\\', "\\\\").replace('\n', "\\n");
    let kind = format!("{:?}", mf.get_field_type()).to_lowercase();
    let name = mf.name();
    format!("# HELP {name} {help}\n# TYPE {name} {kind}\n")
}

/// Serves `GET /metrics` on `listener` until `shutdown` is cancelled.
///
/// # Errors
///
/// [`FleetError::Server`] when the server fails.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> Result<(), FleetError> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let m = metrics.clone();
            async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], m.render()) }
        }),
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
    .map_err(|e| FleetError::Server {
        role: "metrics",
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names on the `# TYPE` lines of an exposition, in order.
    fn typed(text: &str) -> Vec<&str> {
        text.lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect()
    }

    #[test]
    fn a_fresh_registry_lists_every_family() {
        let m = Metrics::new().unwrap();
        let text = m.render();
        let names = typed(&text);
        for family in [
            "soc_ingest_alerts_total",
            "soc_ingest_requests_total",
            "soc_ingest_request_duration_seconds",
            "soc_worker_investigations_total",
            "soc_worker_investigation_duration_seconds",
            "soc_worker_republished_total",
            "soc_worker_failures_total",
            "soc_worker_in_flight",
            "soc_worker_escalations_total",
            "soc_dlq_messages_total",
            "soc_jetstream_consumer_pending",
            "soc_jetstream_consumer_ack_pending",
            "soc_llm_tokens_total",
            "soc_llm_cost_usd_total",
            "soc_history_prior_sightings_total",
            "soc_history_campaigns_total",
            "soc_history_duplicates_suppressed_total",
            "soc_history_llm_spend_saved_usd_total",
            "soc_store_errors_total",
            "soc_rulings_total",
        ] {
            assert_eq!(
                names.iter().filter(|n| **n == family).count(),
                1,
                "{family} typed once in:\n{text}"
            );
        }
        // In name order, as the encoder writes them.
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        // Closed label sets: every series at zero.
        for series in [
            r#"soc_ingest_alerts_total{outcome="rejected_request"} 0"#,
            r#"soc_worker_failures_total{class="bad_input"} 0"#,
            r#"soc_dlq_messages_total{reason="max_deliveries"} 0"#,
            r#"soc_store_errors_total{op="decode"} 0"#,
            r#"soc_worker_investigations_total{tier="2",verdict="inconclusive"} 0"#,
            r#"soc_rulings_total{verdict="false_positive"} 0"#,
        ] {
            assert!(text.contains(series), "{series} in:\n{text}");
        }
        // Open labels: the family's lines, no invented series.
        assert!(text.contains("# HELP soc_llm_tokens_total LLM tokens, by model and kind.\n"));
        assert!(text.contains("# TYPE soc_llm_cost_usd_total counter\n"));
        assert!(!text.contains("soc_llm_tokens_total{"));
        assert!(!text.contains("soc_ingest_requests_total{"));
    }

    #[test]
    fn a_family_with_series_is_written_once() {
        let m = Metrics::new().unwrap();
        m.llm_tokens
            .with_label_values(&["claude-haiku", "input"])
            .inc_by(7);
        let text = m.render();
        assert_eq!(
            typed(&text)
                .iter()
                .filter(|n| **n == "soc_llm_tokens_total")
                .count(),
            1
        );
        assert!(text.contains(r#"soc_llm_tokens_total{kind="input",model="claude-haiku"} 7"#));
    }

    #[test]
    fn intel_families_are_listed_once_registered_here() {
        let m = Metrics::new().unwrap();
        let intel = m.register_intel().unwrap();
        let text = m.render();
        for family in [
            "soc_intel_lookups_total",
            "soc_intel_redis_errors_total",
            "soc_intel_circuit_opened_total",
        ] {
            assert!(
                text.contains(&format!("# TYPE {family} counter\n")),
                "{family} in:\n{text}"
            );
        }
        intel
            .lookups
            .with_label_values(&["abuseipdb", "upstream", "ok"])
            .inc();
        let text = m.render();
        assert_eq!(
            typed(&text)
                .iter()
                .filter(|n| **n == "soc_intel_lookups_total")
                .count(),
            1
        );
        // Twice is a bug, reported rather than panicking.
        assert!(matches!(m.register_intel(), Err(FleetError::Metrics(_))));
    }
}
