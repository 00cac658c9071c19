//! The provider trait and what a lookup returns.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use soc_core::{Confidence, Ioc, IocKind};

use crate::IntelError;

/// What a record says about an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
/// unlimited.
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
}
