//! Intel metrics, registered on the application's own registry (the fleet exposes it).

use prometheus::{IntCounterVec, Opts, Registry};

use crate::IntelError;

/// Intel counters.
#[derive(Clone, Debug)]
pub struct IntelMetrics {
    /// `soc_intel_lookups_total{provider,cache_level,outcome}`: cache_level = l1 | l2 |
    /// upstream; outcome = ok or an error kind (quota, circuit_open, timeout, ...).
    pub lookups: IntCounterVec,
    /// `soc_intel_redis_errors_total{op}`: shared-cache calls that failed or timed out.
    pub redis_errors: IntCounterVec,
    /// `soc_intel_circuit_opened_total{provider}`.
    pub circuit_opened: IntCounterVec,
}

fn counter(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntCounterVec, IntelError> {
    let bad = |e: prometheus::Error| IntelError::BadResponse {
        provider: "metrics",
        detail: e.to_string(),
    };
    let c = IntCounterVec::new(Opts::new(name, help), labels).map_err(bad)?;
    r.register(Box::new(c.clone())).map_err(bad)?;
    Ok(c)
}

impl IntelMetrics {
    /// Registers the counters on `registry`.
    ///
    /// # Errors
    ///
    /// When a counter of the same name is already registered (a bug).
    pub fn register(registry: &Registry) -> Result<Self, IntelError> {
        Ok(Self {
            lookups: counter(
                registry,
                "soc_intel_lookups_total",
                "Threat-intel lookups, by provider, where they were answered, and outcome.",
                &["provider", "cache_level", "outcome"],
            )?,
            redis_errors: counter(
                registry,
                "soc_intel_redis_errors_total",
                "Shared intel cache (Redis) calls that failed or timed out, by operation.",
                &["op"],
            )?,
            circuit_opened: counter(
                registry,
                "soc_intel_circuit_opened_total",
                "Times a provider was paused fleet-wide (rate limit, failures, rejected key).",
                &["provider"],
            )?,
        })
    }
}
