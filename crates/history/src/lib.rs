//! soc-history: what the fleet has investigated before.
//!
//! Three questions are answered about an alert under investigation (its [`Subject`]):
//! which earlier investigations shared an exact indicator with it (**prior sightings**,
//! with the analyst's ruling when there is one), which alerts within a time window are
//! related to it and whether that makes a **campaign** (**correlation**), and what an
//! analyst ruled about an investigation (**rulings**). The rules are the reference
//! system's (`history.py`, inventory §3.5) and are written once, in [`query`]'s module
//! docs.
//!
//! # Layout
//!
//! - [`subject`]: [`Subject`], built from an alert and its extracted indicators: which
//!   indicators, hosts and techniques take part, and their caps.
//! - [`summary`]: the bounded per-investigation record ([`Summary`]), the [`Ruling`], and the
//!   key names (`inv:`, `ruling:`, `ioc:`, `host:`, `net24:`).
//! - [`query`]: prior sightings and correlation over a small read interface both stores
//!   implement, so the rules cannot drift between them.
//! - [`redis_store`]: [`RedisHistory`], the fleet's store (sorted-set indexes scored by alert
//!   time, MULTI/EXEC writes, a TTL on every key).
//! - [`memory`]: [`MemoryHistory`], the embedded store of `soc-copilot investigate`, kept
//!   in a file between runs when asked (atomic replace on save).
//! - [`error`]: [`HistoryError`], each variant with its retry class.
//!
//! # An investigation's life in history
//!
//! 1. `begin(&subject)` when the investigation **starts**: a pending summary is written and
//!    the investigation id is listed under every index key of the subject, in one
//!    transaction.
//! 2. `prior_sightings(&subject)` and `correlate(&subject, window)` before the verdict
//!    (and `correlate` again with the final techniques, [`Subject::with_techniques`]).
//! 3. `record(&subject, &investigation)` at the end: the summary is completed (verdict,
//!    confidence, techniques, escalation, fingerprint, ...).
//!
//! # Concurrency
//!
//! Because an alert is indexed when its investigation begins, two workers investigating
//! related alerts at the same moment see each other: each `begin` is one atomic write, and
//! each worker correlates after its own `begin`, so whichever correlates second finds the
//! other (and when both begin before either correlates, both do). A pending related alert
//! counts as related, shown with the verdict `pending`; it never makes a prior sighting
//! (it has no verdict yet). A pending summary that is never completed (the worker died)
//! expires after [`HistorySettings::pending_ttl`]; the redelivered alert begins afresh.
//!
//! # Adding a store
//!
//! Implement [`HistoryStore`]. Keep the rules out of it: implement the crate-private read
//! interface of [`query`] (members of index keys newest first within a score range,
//! summaries by id, rulings by id) and call `query::prior_sightings` / `query::correlate`,
//! as both stores here do. Apply the caps of [`HistorySettings`], give every stored item an
//! expiry, and run the behavioural suite in `tests/behaviour.rs` against the new store.

pub mod error;
pub mod memory;
pub mod query;
pub mod redis_store;
pub mod subject;
pub mod summary;

use std::time::Duration;

use async_trait::async_trait;
use soc_core::Investigation;
use soc_core::investigation::{Correlation, PriorSighting};

pub use error::HistoryError;
pub use memory::{MemoryHistory, MemoryOptions};
pub use query::{CAMPAIGN_MIN_RELATED, effective_verdict};
pub use redis_store::RedisHistory;
pub use subject::Subject;
pub use summary::{Ruling, Summary};

/// The reference correlation window: 72 hours, on the alerts' own timestamps.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(72 * 3600);

/// Retention and fan-out settings shared by both stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySettings {
    /// How long a completed investigation is kept. Default 30 days.
    pub retention: Duration,
    /// How long an investigation carrying an analyst ruling (and the ruling) is kept.
    /// Default 180 days.
    pub ruled_retention: Duration,
    /// How long a pending investigation (begun, never recorded) is kept. Default 6 hours,
    /// longer than any redelivery chain.
    pub pending_ttl: Duration,
    /// Most investigation ids kept under one index key (the newest by alert time stay).
    /// Default 1,000.
    pub index_cap: usize,
    /// Most ids read from one index key per query, newest first. Default 200.
    pub fanout: usize,
    /// Most candidate investigations read per query, across keys. Default 500.
    pub max_candidates: usize,
    /// Most prior sightings returned. Default 20.
    pub max_prior_sightings: usize,
    /// Most related alerts listed in a correlation (the count in the summary is the full
    /// one). Default 50.
    pub max_related: usize,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(30 * 86_400),
            ruled_retention: Duration::from_secs(180 * 86_400),
            pending_ttl: Duration::from_secs(6 * 3600),
            index_cap: 1_000,
            fanout: 200,
            max_candidates: 500,
            max_prior_sightings: 20,
            max_related: 50,
        }
    }
}

impl HistorySettings {
    /// The same settings with every count at least 1 and every duration at least one
    /// second, so a zero from a config file cannot disable expiry or reads.
    #[must_use]
    pub fn sanitised(mut self) -> Self {
        let second = Duration::from_secs(1);
        self.retention = self.retention.max(second);
        self.ruled_retention = self.ruled_retention.max(self.retention);
        self.pending_ttl = self.pending_ttl.max(second);
        self.index_cap = self.index_cap.max(1);
        self.fanout = self.fanout.clamp(1, self.index_cap);
        self.max_candidates = self.max_candidates.max(1);
        self.max_prior_sightings = self.max_prior_sightings.max(1);
        self.max_related = self.max_related.max(1);
        self
    }
}

/// Where investigations are remembered. See the crate docs for the life cycle and for
/// how to add an implementation.
#[async_trait]
pub trait HistoryStore: Send + Sync + std::fmt::Debug {
    /// Registers the subject when its investigation starts: a pending summary under
    /// `subject.investigation_id` and an entry in every index key, atomically. Calling it
    /// again for the same investigation is harmless (a completed summary is never turned
    /// back into a pending one).
    ///
    /// # Errors
    ///
    /// [`HistoryError::InvalidInput`] for an empty or over-long id; a store error.
    async fn begin(&self, s: &Subject) -> Result<(), HistoryError>;

    /// Completes the record of `inv`, an investigation of `s`. Without a prior `begin`
    /// it registers the subject too. When `inv.investigation_id` differs from
    /// `s.investigation_id`, the record is stored under the investigation's id and the
    /// subject's pending entry is removed.
    ///
    /// # Errors
    ///
    /// [`HistoryError::InvalidInput`] when `inv` is about another alert than `s`, or for
    /// empty ids; a store error.
    async fn record(&self, s: &Subject, inv: &Investigation) -> Result<(), HistoryError>;

    /// Earlier investigations of other alerts sharing an exact indicator with `s`, with
    /// their analyst rulings, newest alert first (rules: [`query`]).
    ///
    /// # Errors
    ///
    /// A store error.
    async fn prior_sightings(&self, s: &Subject) -> Result<Vec<PriorSighting>, HistoryError>;

    /// Alerts related to `s` whose own timestamps lie within `window` of its timestamp,
    /// in either direction (rules: [`query`]).
    ///
    /// # Errors
    ///
    /// A store error.
    async fn correlate(&self, s: &Subject, window: Duration) -> Result<Correlation, HistoryError>;

    /// Records an analyst ruling on a stored investigation, replacing an earlier one, and
    /// keeps that investigation (and its index entries) for
    /// [`HistorySettings::ruled_retention`].
    ///
    /// # Errors
    ///
    /// [`HistoryError::UnknownInvestigation`] when the investigation is not stored (never
    /// recorded, or expired); [`HistoryError::InvalidInput`] while it is still pending;
    /// a store error.
    async fn set_ruling(&self, investigation_id: &str, r: &Ruling) -> Result<(), HistoryError>;

    /// The analyst ruling on an investigation, if any.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn ruling(&self, investigation_id: &str) -> Result<Option<Ruling>, HistoryError>;

    /// The stored summary of an investigation, if any (pending or completed).
    ///
    /// # Errors
    ///
    /// A store error.
    async fn summary(&self, investigation_id: &str) -> Result<Option<Summary>, HistoryError>;
}

/// Checks an id used in a key: non-empty, at most [`summary::MAX_SHORT_LEN`] bytes, no
/// control characters.
pub(crate) fn check_id(what: &str, id: &str) -> Result<(), HistoryError> {
    if id.is_empty() {
        return Err(HistoryError::invalid(format!("empty {what}")));
    }
    if id.len() > summary::MAX_SHORT_LEN {
        return Err(HistoryError::invalid(format!(
            "{what} is {} bytes, over the limit of {}",
            id.len(),
            summary::MAX_SHORT_LEN
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(HistoryError::invalid(format!(
            "{what} contains control characters"
        )));
    }
    Ok(())
}

/// Checks the ids of a subject.
pub(crate) fn check_subject(s: &Subject) -> Result<(), HistoryError> {
    check_id("alert id", &s.alert_id)?;
    check_id("investigation id", &s.investigation_id)
}

/// Checks that `inv` is an investigation of `s`.
pub(crate) fn check_record(s: &Subject, inv: &Investigation) -> Result<(), HistoryError> {
    check_subject(s)?;
    check_id("investigation id", &inv.investigation_id)?;
    if inv.alert_id != s.alert_id {
        return Err(HistoryError::invalid(
            "the investigation is about another alert than the subject",
        ));
    }
    Ok(())
}

/// The error for a ruling on an investigation that has not been recorded yet.
pub(crate) fn still_running(investigation_id: &str) -> HistoryError {
    HistoryError::invalid(format!(
        "investigation `{investigation_id}` is still in progress; rule on it once it is recorded"
    ))
}

/// Milliseconds of a duration, at least 1, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
