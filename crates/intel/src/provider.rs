//! The provider trait and what a lookup returns.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use soc_core::{Confidence, Ioc, IocKind};

use crate::IntelError;

/// What a record says about an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reputation {
    /// The source grades it malicious.
    Malicious,
    /// The source has something against it that falls short of malicious (a weak list,
    /// an anonymiser, a low score).
    Suspicious,
    /// The source knows it and has nothing against it. Still not proof of safety.
    Known,
    /// The source has nothing on it: absence of data, never safety.
    NoData,
}

/// One entry of a list that names the indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// The list (`tor-exit-nodes`).
    pub feed: String,
    /// When the list was taken (`2026-08-22`).
    pub as_of: String,
    /// The entry as the list has it (fingerprint, port, ...).
    pub entry: Value,
}

/// The answer of one provider about one indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntelRecord {
    /// Provider name (`offline_feeds`).
    pub provider: &'static str,
    /// The indicator looked up.
    pub ioc: Ioc,
    /// The grade.
    pub reputation: Reputation,
    /// How much weight the fact carries as evidence.
    pub confidence: Confidence,
    /// One sentence naming the indicator and the fact, fit for an evidence entry.
    pub claim: String,
    /// Machine-readable facts for rules (`tor_exit`, `threatfox`).
    pub tags: Vec<String>,
    /// Lists naming the indicator.
    pub listings: Vec<Listing>,
    /// The provider's answer, for the evidence trail.
    pub raw: Value,
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheLevel {
    /// This process's cache.
    L1,
    /// The fleet's shared cache (Redis).
    L2,
    /// The provider itself, just now.
    Upstream,
    /// Local data (the offline feeds): no request at all.
    Local,
}

impl CacheLevel {
    /// The label used in metrics and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L1 => "l1",
            Self::L2 => "l2",
            Self::Upstream => "upstream",
            Self::Local => "local",
        }
    }
}

/// Where an answer came from and when the provider gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The level that answered.
    pub level: CacheLevel,
    /// When the provider produced the answer (its age is now minus this).
    pub fetched_at: DateTime<Utc>,
}

/// A provider's request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per minute, when limited.
    pub per_minute: Option<u32>,
    /// Requests per day, when limited.
    pub per_day: Option<u32>,
}

/// A source of threat intelligence.
///
/// Implementers answer one indicator at a time. They must:
/// - return `Err` only when the lookup itself failed (the caller records a failed lookup,
///   `success = false`, and never treats it as clean);
/// - return [`Reputation::NoData`] when the source simply has nothing;
/// - keep keys out of every error and `Debug` output;
/// - leave caching, single-flight and budgets to the decorators that wrap providers.
///
/// Defaults: [`IntelProvider::healthcheck`] succeeds, [`IntelProvider::quota`] is
/// unlimited, [`IntelProvider::is_local`] is false (the provider talks to a service and is
/// wrapped by the cache and guard), [`IntelProvider::lookup_with_provenance`] reports a
/// fresh upstream answer.
#[async_trait]
pub trait IntelProvider: Send + Sync + 'static {
    /// Stable name, used in evidence (`source_tool`), metrics and cache keys.
    fn name(&self) -> &'static str;

    /// Whether this provider can look up indicators of `kind`.
    fn supports(&self, kind: IocKind) -> bool;

    /// Looks up one indicator.
    ///
    /// # Errors
    ///
    /// [`IntelError`] when the lookup could not be made or its answer not read.
    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError>;

    /// Checks the provider with a call shaped like a real one.
    ///
    /// # Errors
    ///
    /// [`IntelError`] when the provider is not usable.
    async fn healthcheck(&self) -> Result<(), IntelError> {
        Ok(())
    }

    /// The provider's request budget, when it has one.
    fn quota(&self) -> Option<Quota> {
        None
    }

    /// True for providers that answer from local data (no request, no budget, no cache).
    fn is_local(&self) -> bool {
        false
    }

    /// The longest one lookup can take (its requests times their timeout), so the
    /// fleet-wide fetch lock can outlive it; `None` (the default) when unknown. Wrappers
    /// that retry report their own total.
    fn max_fetch_time(&self) -> Option<Duration> {
        None
    }

    /// Looks up one indicator and says where the answer came from.
    ///
    /// # Errors
    ///
    /// As [`IntelProvider::lookup`].
    async fn lookup_with_provenance(
        &self,
        ioc: &Ioc,
    ) -> Result<(IntelRecord, Provenance), IntelError> {
        let level = if self.is_local() {
            CacheLevel::Local
        } else {
            CacheLevel::Upstream
        };
        self.lookup(ioc).await.map(|r| {
            (
                r,
                Provenance {
                    level,
                    fetched_at: Utc::now(),
                },
            )
        })
    }
}
