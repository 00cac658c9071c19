//! The metric catalogue (STYLE G21): every name is defined here, on one registry the
//! application owns, with labels whose values come from fixed sets. Served on its own port
//! by [`serve`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use prometheus::{
    CounterVec, Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use soc_core::{Investigation, Verdict};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::FleetError;

const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Every metric the fleet exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
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
    /// `soc_store_errors_total{op}`: get | put.
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

fn reg<T: prometheus::core::Collector + Clone + 'static>(
    r: &Registry,
    m: T,
) -> Result<T, FleetError> {
    r.register(Box::new(m.clone()))
        .map_err(|e| FleetError::Metrics(e.to_string()))?;
    Ok(m)
}

fn counter_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntCounterVec, FleetError> {
    reg(
        r,
        IntCounterVec::new(Opts::new(name, help), labels)
            .map_err(|e| FleetError::Metrics(e.to_string()))?,
    )
}

fn histogram(r: &Registry, name: &str, help: &str) -> Result<Histogram, FleetError> {
    reg(
        r,
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(DURATION_BUCKETS.to_vec()))
            .map_err(|e| FleetError::Metrics(e.to_string()))?,
    )
}

fn int_gauge(r: &Registry, name: &str, help: &str) -> Result<IntGauge, FleetError> {
    reg(
        r,
        IntGauge::new(name, help).map_err(|e| FleetError::Metrics(e.to_string()))?,
    )
}

fn int_counter(r: &Registry, name: &str, help: &str) -> Result<IntCounter, FleetError> {
    reg(
        r,
        IntCounter::new(name, help).map_err(|e| FleetError::Metrics(e.to_string()))?,
    )
}

impl Metrics {
    /// A fresh registry with every metric.
    ///
    /// # Errors
    ///
    /// [`FleetError::Metrics`] on a duplicate or malformed definition (a bug).
    pub fn new() -> Result<Arc<Self>, FleetError> {
        let r = Registry::new();
        Ok(Arc::new(Self {
            ingest_alerts: counter_vec(
                &r,
                "soc_ingest_alerts_total",
                "Alerts received by the ingest API, by outcome (accepted, duplicate, rejected, unavailable; rejected_request counts one per request refused whole before its alerts could be counted).",
                &["outcome"],
            )?,
            ingest_requests: counter_vec(
                &r,
                "soc_ingest_requests_total",
                "Ingest API requests, by HTTP status.",
                &["status"],
            )?,
            ingest_duration: histogram(
                &r,
                "soc_ingest_request_duration_seconds",
                "Time to validate and publish one ingest request.",
            )?,
            investigations: counter_vec(
                &r,
                "soc_worker_investigations_total",
                "Investigations published, by verdict and deciding tier.",
                &["verdict", "tier"],
            )?,
            investigation_duration: histogram(
                &r,
                "soc_worker_investigation_duration_seconds",
                "Time from delivery to acknowledgement of one alert.",
            )?,
            republished: int_counter(
                &r,
                "soc_worker_republished_total",
                "Alerts answered from the investigation store instead of being investigated again.",
            )?,
            failures: counter_vec(
                &r,
                "soc_worker_failures_total",
                "Failed handling attempts, by error class.",
                &["class"],
            )?,
            in_flight: int_gauge(
                &r,
                "soc_worker_in_flight",
                "Alerts being handled by this worker now.",
            )?,
            escalations: int_counter(
                &r,
                "soc_worker_escalations_total",
                "Investigations that recommend escalation to a human.",
            )?,
            dlq: counter_vec(
                &r,
                "soc_dlq_messages_total",
                "Alerts copied to the dead-letter stream, by reason.",
                &["reason"],
            )?,
            consumer_pending: int_gauge(
                &r,
                "soc_jetstream_consumer_pending",
                "Alerts in the stream not yet delivered to a worker.",
            )?,
            consumer_ack_pending: int_gauge(
                &r,
                "soc_jetstream_consumer_ack_pending",
                "Alerts delivered to workers and not yet acknowledged.",
            )?,
            llm_tokens: counter_vec(
                &r,
                "soc_llm_tokens_total",
                "LLM tokens, by model and kind.",
                &["model", "kind"],
            )?,
            llm_cost: reg(
                &r,
                CounterVec::new(
                    Opts::new(
                        "soc_llm_cost_usd_total",
                        "LLM spend at list prices, USD, by model.",
                    ),
                    &["model"],
                )
                .map_err(|e| FleetError::Metrics(e.to_string()))?,
            )?,
            prior_sightings: int_counter(
                &r,
                "soc_history_prior_sightings_total",
                "Investigations that found earlier investigations sharing an exact indicator.",
            )?,
            campaigns: int_counter(
                &r,
                "soc_history_campaigns_total",
                "Investigations flagged as part of a campaign (2 or more related alerts).",
            )?,
            duplicates: int_counter(
                &r,
                "soc_history_duplicates_suppressed_total",
                "Near-duplicate alerts answered from an earlier investigation without a new one.",
            )?,
            spend_saved: reg(
                &r,
                prometheus::Counter::new(
                    "soc_history_llm_spend_saved_usd_total",
                    "Model spend of the anchors that near-duplicates reused, USD.",
                )
                .map_err(|e| FleetError::Metrics(e.to_string()))?,
            )?,
            store_errors: counter_vec(
                &r,
                "soc_store_errors_total",
                "Investigation store (Redis) failures, by operation.",
                &["op"],
            )?,
            rulings: {
                let c = counter_vec(
                    &r,
                    "soc_rulings_total",
                    "Analyst rulings recorded, by the analyst's verdict.",
                    &["verdict"],
                )?;
                // Every series exists from the start, so rates begin at zero.
                for v in [
                    Verdict::TruePositive,
                    Verdict::FalsePositive,
                    Verdict::Inconclusive,
                ] {
                    c.with_label_values(&[v.as_str()]);
                }
                c
            },
            registry: r,
        }))
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

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "Metrics encoding failed");
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
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
