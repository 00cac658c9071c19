//! soc-history: what the fleet has investigated before.
//!
//! Four questions are answered about an alert under investigation (its [`Subject`]):
//! which earlier investigations shared an exact indicator with it (**prior sightings**,
//! with the analyst's ruling when there is one), which alerts within a time window are
//! related to it and whether that makes a **campaign** (**correlation**), what an
//! analyst ruled about an investigation (**rulings**), and whether a recent investigation
//! of an equivalent alert may be reused instead of investigating again (**near-duplicate
//! suppression**). The rules are the reference system's (`history.py`, `dedup.py`,
//! inventory §3.3 and §3.5) and are written once, in [`query`]'s and [`dedup`]'s module
//! docs.
//!
//! # Layout
//!
//! - [`subject`]: [`Subject`], built from an alert and its extracted indicators: which
//!   indicators, hosts and techniques take part, and their caps.
//! - [`summary`]: the bounded per-investigation record ([`Summary`]), the [`Ruling`], and the
//!   key names (`inv:`, `ruling:`, `ioc:`, `host:`, `net24:`, and for dedup `fp:`,
//!   `fpdup:`, `fpruled:`, `worked:`, `fplock:`).
//! - [`query`]: prior sightings and correlation over a small read interface both stores
//!   implement, so the rules cannot drift between them.
//! - [`fingerprint`](mod@fingerprint): the near-duplicate fingerprint of an alert
//!   ([`fingerprint()`]), the reference's definition.
//! - [`dedup`]: near-duplicate suppression: the reference's gates in order over the same
//!   kind of shared read interface, and the fleet-wide claim per fingerprint that lets one
//!   worker investigate while the copies wait ([`Dedup`]).
//! - [`redis_store`]: [`RedisHistory`], the fleet's store (sorted-set indexes scored by alert
//!   time, MULTI/EXEC writes, a TTL on every key).
//! - [`memory`]: [`MemoryHistory`], the embedded store of `soc-copilot investigate`, kept
//!   in a file between runs when asked (atomic replace on save).
//! - [`error`]: [`HistoryError`], each variant with its retry class.
//! - `parsed` (private): the Redis store's bounded memo of parsed summaries, keyed by
//!   their stored text.
//!
//! # An investigation's life in history
//!
//! 0. `dedup(&subject, &fingerprint, injection, now)` first, when near-duplicates are
//!    suppressed: [`Dedup::Reuse`] means no investigation at all (a suppressed one is
//!    recorded instead), [`Dedup::Investigate`] goes on below (see [`dedup`] for the order
//!    and what the suppressed investigation holds).
//! 1. `begin(&subject)` when the investigation **starts**: a pending summary is written and
//!    the investigation id is listed under every index key of the subject, in one
//!    transaction.
//! 2. `prior_sightings(&subject)` and `correlate(&subject, window)` before the verdict
//!    (and `correlate` again with the final techniques, [`Subject::with_techniques`]);
//!    `recall` answers both from one read, and `begin_and_recall` does 1 and 2 together
//!    (on Redis the registration and the candidate lists are one transaction).
//! 3. `record(&subject, &investigation)` at the end: the summary is completed (verdict,
//!    confidence, techniques, escalation, fingerprint, ...), indexed by fingerprint for
//!    dedup, and the fingerprint claim taken by `dedup` (if any) is released.
//!
//! # Concurrency
//!
//! Because an alert is indexed when its investigation begins, two workers investigating
//! related alerts at the same moment see each other: each `begin` is one atomic write, and
//! each worker correlates after its own `begin`, so whichever correlates second finds the
//! other (with separate `begin` and `correlate` calls, when both begin before either
//! correlates, both do; `begin_and_recall` on Redis registers and lists in one
//! transaction, so there only the second finds the first). The pipeline keeps what its
//! recall worked out ([`Recalled`]: the related alerts and their signals, which do not
//! depend on techniques) and adds the verdict's technique signals to it when the verdict
//! comes within a second, but reads again when the verdict could
//! close the alert on its own, so alerts that began in between still make a campaign that
//! stops the closure. A pending related alert
//! counts as related, shown with the verdict `pending`; it never makes a prior sighting
//! (it has no verdict yet). A pending summary that is never completed (the worker died)
//! expires after [`HistorySettings::pending_ttl`]; the redelivered alert begins afresh.
//!
//! Copies of one alert arriving on several workers at once are decided one investigation
//! at a time per fingerprint: the first investigates, the others wait for its record and
//! then reuse it when the gates allow (a high-confidence false positive), or investigate
//! (anything else). See [`dedup`] ("Fleet-safe single flight").
//!
//! # Adding a store
//!
//! Implement [`HistoryStore`]. Keep the rules out of it: implement the crate-private read
//! interface of [`query`] (members of index keys newest first within a score range,
//! summaries by id, rulings by id) and of [`dedup`] (the candidates of one fingerprint, a
//! claim per fingerprint), and call `query::prior_sightings` / `query::correlate` /
//! `dedup::dedup`, as both stores here do. Apply the caps of [`HistorySettings`], give
//! every stored item an expiry, and run the behavioural suites in `tests/behaviour.rs` and
//! `tests/dedup.rs` against the new store.

pub mod dedup;
pub mod error;
pub mod fingerprint;
pub mod memory;
mod parsed;
pub mod query;
pub mod redis_store;
mod stock;
pub mod subject;
pub mod summary;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use soc_core::Investigation;
use soc_core::investigation::{Correlation, PriorSighting};

pub use dedup::{
    DEFAULT_DEDUP_WINDOW, Dedup, DedupSettings, InvestigateReason, MAX_CONSECUTIVE_SUPPRESSIONS,
    suppressed_hypothesis,
};
pub use error::HistoryError;
pub use fingerprint::{fingerprint, fingerprint_with};
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
    /// Most ids read from one index key per query, newest first. Default 25.
    pub fanout: usize,
    /// Most candidate investigations read per query, across keys (newest first, interleaved
    /// across keys). Default 40: enough for 20 related alerts and 20 prior sightings, and it
    /// bounds a lookup on a hot indicator. At most [`MAX_CANDIDATES_LIMIT`].
    pub max_candidates: usize,
    /// Most prior sightings returned. Default 20.
    pub max_prior_sightings: usize,
    /// Most related alerts listed in a correlation (the count in the summary is the full
    /// one). Default 20.
    pub max_related: usize,
    /// Near-duplicate suppression: window, cap and the fingerprint claim.
    pub dedup: DedupSettings,
    /// How far past the start of its investigation an alert's own time may lie in the
    /// indexes (clock skew between the sources and the fleet). An alert dated later (a
    /// wrong clock, or a forged timestamp such as the year 2099) is indexed, and ranked
    /// among prior sightings, as if dated at that start plus this skew, so it cannot hold
    /// the top ranks of an indicator's index for ever and hide the real sightings; reads
    /// list nothing scored later than now plus this skew. Default 10 minutes.
    pub future_skew: Duration,
}

/// The largest [`HistorySettings::max_candidates`] honoured: a lookup reads at most twice
/// this many summaries.
pub const MAX_CANDIDATES_LIMIT: usize = 2_000;

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(30 * 86_400),
            ruled_retention: Duration::from_secs(180 * 86_400),
            pending_ttl: Duration::from_secs(6 * 3600),
            index_cap: 1_000,
            fanout: 25,
            max_candidates: 40,
            max_prior_sightings: 20,
            max_related: 20,
            dedup: DedupSettings::default(),
            future_skew: DEFAULT_FUTURE_SKEW,
        }
    }
}

/// The default [`HistorySettings::future_skew`]: 10 minutes.
pub const DEFAULT_FUTURE_SKEW: Duration = Duration::from_secs(600);

impl HistorySettings {
    /// The same settings with every count at least 1 and every duration at least one
    /// second (but [`HistorySettings::future_skew`], at most a day), so a zero from a
    /// config file cannot disable expiry or reads.
    #[must_use]
    pub fn sanitised(mut self) -> Self {
        let second = Duration::from_secs(1);
        self.retention = self.retention.max(second);
        self.ruled_retention = self.ruled_retention.max(self.retention);
        self.pending_ttl = self.pending_ttl.max(second);
        self.index_cap = self.index_cap.max(1);
        self.fanout = self.fanout.clamp(1, self.index_cap);
        self.max_candidates = self.max_candidates.clamp(1, MAX_CANDIDATES_LIMIT);
        self.max_prior_sightings = self.max_prior_sightings.max(1);
        self.max_related = self.max_related.max(1);
        self.dedup = self.dedup.sanitised();
        // A tolerance, not an expiry: zero is meaningful; a day is more than any clock.
        self.future_skew = self.future_skew.min(Duration::from_secs(86_400));
        self
    }
}

/// What [`HistoryStore::recall`] found: the prior sightings and the correlation, and the
/// related alerts with their signals other than techniques, worked out at recall, so that
/// the correlation can be given again for other techniques (the verdict's) without a
/// second read.
#[derive(Debug, Clone)]
pub struct Recalled {
    /// Prior sightings.
    pub priors: Vec<PriorSighting>,
    /// The correlation of the subject as recalled.
    pub correlation: Correlation,
    /// The related alerts and their signals other than techniques, worked out at recall,
    /// for [`Recalled::correlation_for`]; `None` when the store kept nothing.
    base: Option<query::CorrelationBase>,
    max_related: usize,
}

impl Recalled {
    /// A recall that kept nothing to work from (what a store outside this crate can answer):
    /// [`Recalled::correlation_for`] is then `None` and the caller reads again.
    #[must_use]
    pub fn new(priors: Vec<PriorSighting>, correlation: Correlation) -> Self {
        Self {
            priors,
            correlation,
            base: None,
            max_related: HistorySettings::default().max_related,
        }
    }

    /// The correlation of `s` (the recalled subject, with other techniques) over the
    /// candidates read at recall: what [`HistoryStore::correlate`] would answer for `s`
    /// if nothing was stored in between. Techniques only add signals to alerts related
    /// by indicators or hosts, so this is the recall's work with those signals added.
    /// `None` when the store kept nothing to work from, or when `s` is not the recalled
    /// subject (another alert, time, indicators or hosts): the caller then reads again.
    #[must_use]
    pub fn correlation_for(&self, s: &Subject) -> Option<Correlation> {
        let base = self.base.as_ref()?;
        base.is_for(s).then(|| base.finish(s, self.max_related))
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

    /// [`Self::prior_sightings`] and [`Self::correlate`] in one lookup (each candidate read
    /// once). The default calls both and keeps no candidates
    /// ([`Recalled::correlation_for`] then answers `None`).
    ///
    /// # Errors
    ///
    /// A store error.
    async fn recall(&self, s: &Subject, window: Duration) -> Result<Recalled, HistoryError> {
        Ok(Recalled::new(
            self.prior_sightings(s).await?,
            self.correlate(s, window).await?,
        ))
    }

    /// [`Self::begin`], then [`Self::recall`] (which then sees the subject registered),
    /// in as few round trips as the store allows. The default calls both.
    ///
    /// # Errors
    ///
    /// As [`Self::begin`] and [`Self::recall`]; on an error the subject may or may not be
    /// registered (registering again is harmless).
    async fn begin_and_recall(
        &self,
        s: &Subject,
        window: Duration,
    ) -> Result<Recalled, HistoryError> {
        self.begin(s).await?;
        self.recall(s, window).await
    }

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

    /// Near-duplicate suppression for `s`, whose alert has the near-duplicate fingerprint
    /// `fingerprint` ([`fingerprint()`]) and whose injection scan found something when
    /// `new_alert_injection`: the reference's gates in order, the window measured back
    /// from `now` ([`dedup`]). When no investigation of the fingerprint can be reused yet,
    /// one caller takes the fingerprint's claim and investigates while the others wait (at
    /// most [`DedupSettings::claim_wait`]) for its record, then decide again.
    ///
    /// Call it before `begin`. Give the investigation `alert_fingerprint = fingerprint`
    /// whatever the answer: `record` indexes it under the fingerprint and releases the
    /// claim. On an error, investigate (the gates fail toward a fresh investigation).
    ///
    /// The default (a store without dedup) always answers
    /// [`Dedup::Investigate`] with [`InvestigateReason::NoAnchor`], unclaimed.
    ///
    /// # Errors
    ///
    /// [`HistoryError::InvalidInput`] for empty or over-long ids or fingerprint; a store
    /// error.
    async fn dedup(
        &self,
        _s: &Subject,
        _fingerprint: &str,
        _new_alert_injection: bool,
        _now: DateTime<Utc>,
    ) -> Result<Dedup, HistoryError> {
        Ok(Dedup::Investigate {
            reason: InvestigateReason::NoAnchor {
                window: DEFAULT_DEDUP_WINDOW,
            },
            claimed: false,
        })
    }

    /// Releases the claim on `fingerprint` taken by [`HistoryStore::dedup`] for
    /// `investigation_id`, when that investigation will not be recorded (it failed, the
    /// message is nak'ed). Does nothing when the claim is gone or held by another
    /// investigation. `record` releases it by itself.
    ///
    /// # Errors
    ///
    /// [`HistoryError::InvalidInput`] for empty or over-long ids; a store error.
    async fn release_fingerprint(
        &self,
        _fingerprint: &str,
        _investigation_id: &str,
    ) -> Result<(), HistoryError> {
        Ok(())
    }
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
