//! soc-intel: threat intelligence behind one trait.
//!
//! # Layout
//!
//! - [`provider`]: the [`IntelProvider`] trait every source implements, and the
//!   [`IntelRecord`] a lookup returns (a graded fact about one indicator, with the raw
//!   answer kept for the evidence trail).
//! - [`providers`]: the implementations. Today: [`providers::offline`], dated feed
//!   snapshots compiled into the binary (Tor exit relays, ThreatFox IPs) plus feed files
//!   an operator adds; AbuseIPDB, VirusTotal and urlscan over HTTP when their keys are set.
//! - [`cache`]: the decorators that wrap HTTP providers: L1 (moka) and L2 (Redis) caches,
//!   fleet-wide single flight, budgets, circuit breaking and retries.
//! - [`metrics`]: the intel counters, registered on the application's registry.
//! - [`config`]: which HTTP providers are on (keys and base URLs from the environment).
//! - [`tls`]: the process-wide TLS crypto provider for the HTTP clients.
//! - [`error`]: [`IntelError`], each variant with its retry class.
//!
//! # Adding a provider
//!
//! Implement [`IntelProvider`] in a new file under `providers/`, keep caching out of it
//! (the cache is a decorator around any provider), and register it in
//! [`providers::build_default`]. A lookup that fails returns `Err`; a lookup that finds
//! nothing returns a record whose [`Reputation`] is `NoData`: absence is stated as
//! absence, never as safety.

pub mod cache;
pub mod config;
pub mod error;
pub mod metrics;
pub mod provider;
pub mod providers;
pub mod tls;

pub use error::IntelError;
pub use provider::{
    CacheLevel, IntelProvider, IntelRecord, Listing, Provenance, Quota, Reputation,
};

use std::sync::Arc;

/// Every configured provider, ready for the pipeline: the offline feeds as they are, and
/// each HTTP provider behind its guard (circuit, budget, retries) and its cache (L1, and
/// L2 + fleet-wide single flight when `redis` is given).
///
/// # Errors
///
/// [`IntelError`] when an HTTP client cannot be built.
pub fn build_stack(
    cfg: &config::IntelConfig,
    redis: Option<&cache::SharedRedis>,
    metrics: Option<&metrics::IntelMetrics>,
) -> Result<Vec<Arc<dyn IntelProvider>>, IntelError> {
    tls::install_crypto_provider();
    let providers = providers::build(cfg)?;
    Ok(cache::wrap_all(
        providers,
        redis,
        &cache::CacheSettings::default(),
        &cache::GuardSettings::default(),
        metrics,
    ))
}
