//! Near-duplicate suppression (reference §3.3, `dedup.try_suppress`): may an alert reuse
//! the conclusion of a recent investigation of an equivalent alert (same
//! [`fingerprint`](crate::fingerprint())) instead of being investigated again? Decided by
//! the reference's gates in the reference's order, over a small read interface both stores
//! implement (as [`crate::query`] does), and made fleet-safe by a claim per fingerprint.
//!
//! # The gates, in order (the order is part of the contract)
//!
//! The first gate that refuses decides, and its [`InvestigateReason`] says which:
//!
//! 1. **Injection in the new alert** (the caller's scan): hostile content never
//!    suppresses, whatever it matches.
//! 2. **Already worked**: this alert (its `alert_id` from its source: ids are only unique
//!    within a source) already has a real (not suppressed) completed
//!    investigation. A retry is re-investigated, never discarded.
//! 3. **Anchor**: the latest real completed investigation of *another* alert with this
//!    fingerprint whose completion time (`investigated_at`, never the alert's own
//!    timestamp) is within [`DedupSettings::window`] (default 24 h) of `now`. None: no
//!    suppression. Suppressed records are never anchors, so copies cannot extend the window
//!    the original earned.
//! 4. **Cap**: suppressed records of this fingerprint completed at or after the anchor
//!    number [`DedupSettings::max_consecutive`] (25) or more: a fresh look is due,
//!    independent of the alerts' (attacker-influenceable) timestamps. (Not for a copy
//!    that waited for this very anchor, see below.)
//! 5. **Overturn anywhere on the fingerprint**: some alert with an investigation of this
//!    fingerprint (real or suppressed, any age still stored) has a latest ruling that is not
//!    `false_positive`. Then, failing safe: an investigation of the fingerprint listed as
//!    ruled whose ruling or record cannot be read (garbage in the store, or gone before its
//!    retention is up) refuses too ([`InvestigateReason::RulingUnreadable`]), since it
//!    could be the overturn. Only a ruling and record both gone after the ruling's
//!    retention ([`crate::HistorySettings::ruled_retention`] from its `recorded_at`) are
//!    taken as expired. The rulings are read first (only once gates 2–4 have passed),
//!    the records only where they can change the answer: when every ruling is a
//!    readable false positive, no alert's latest ruling can be anything else, so a
//!    record whose alert the store keeps with the ruling is only checked to be stored,
//!    not read (a garbled record under a readable false-positive ruling, which cannot
//!    hide an overturn, then does not refuse). Any other ruling has every record read and
//!    judged as above.
//! 6. **Anchor gates**, in this order: the anchor's ruling, when there is one, is not
//!    `false_positive` (the per-alert latest ruling gate 5 reads, so gate 5 refuses
//!    first: a second line, kept as the reference keeps it); its verdict is not
//!    `false_positive`; its confidence is not `high`; it recommended escalation; it
//!    carried injection flags; one of its lookups failed. Campaign correlation is
//!    deliberately not a gate (a same-fingerprint "campaign" is a recurring benign family;
//!    the cap is the volume backstop).
//!
//! Otherwise the alert reuses the anchor ([`Dedup::Reuse`]).
//!
//! Where this differs from the reference, and why:
//! - No writer filter (the reference's `wrote(rec)` in shared mode): the fleet is one
//!   desk, and reusing another worker's investigation is the point of fleet-wide dedup.
//! - Rulings are stored per investigation. "The alert's latest ruling" is the latest one
//!   among that alert's investigations of this fingerprint (gates 5 and 6).
//! - The reference is sequential; the fleet is not. Copies that arrive while the anchor is
//!   being investigated wait for it (single flight, below) and then reuse it without the
//!   cap (gate 4) counting against them: they arrived before its conclusion existed, so
//!   they are one burst with it, not consecutive repeats after it. Their suppressions are
//!   recorded and count for every later arrival, so the first copy after the burst is
//!   investigated when the burst reached the cap. Every other gate applies to them. The
//!   suppressed stream stays bounded: at most the cap, plus one burst (bounded by how
//!   many alerts the fleet holds in flight), per real investigation.
//!
//! # Fleet-safe single flight
//!
//! When copies of one alert arrive on several workers at once and there is no anchor yet
//! (gate 3) or the cap is reached (gate 4) — the two refusals a fresh investigation can
//! cure — only one of them investigates:
//!
//! - The first takes the claim `fplock:{fingerprint}` (Redis `SET … PX` through a script
//!   that is re-entrant for the same investigation id; the memory store keeps the same
//!   claim in its state). It re-checks the gates under the claim (an investigation may
//!   have been recorded in between) and gets [`Dedup::Investigate`] with `claimed: true`.
//! - The others wait, polling the claim, until it is gone: [`crate::HistoryStore::record`]
//!   of the holder's investigation releases it in the same transaction that indexes the
//!   investigation, so whoever sees the claim gone sees the new anchor. Then they
//!   re-evaluate every gate: a high-confidence false positive is reused; anything else is
//!   investigated.
//! - A waiter gives up after [`DedupSettings::claim_wait`] with [`Dedup::Wait`] (the fleet
//!   naks the message with that delay; an embedded caller may investigate anyway). A
//!   holder that dies leaves a claim that expires after [`DedupSettings::claim_ttl`].
//!   A holder whose investigation fails should call
//!   [`crate::HistoryStore::release_fingerprint`] so the waiters do not wait for the expiry.
//!
//! Only a high-confidence false positive can ever be reused, so copies of a true positive
//! (or of anything uncertain) are all investigated: they wait for the first investigation,
//! see its verdict, and then investigate side by side (no claim for refusals a fresh
//! investigation cannot cure). That is the reference's policy, not a limitation.
//!
//! # Calling it
//!
//! ```text
//! let fp = soc_history::fingerprint(&alert);
//! match history.dedup(&subject, &fp, !injection_flags.is_empty(), Utc::now()).await {
//!     Ok(Dedup::Reuse { anchor, reason, .. }) => record a suppressed investigation (below)
//!     Ok(Dedup::Investigate { .. }) | Err(_) => investigate (begin … record), with
//!         alert_fingerprint = fp; `record` releases the claim
//!     Ok(Dedup::Wait { retry_after, .. }) => nak with retry_after (or investigate)
//! }
//! ```
//!
//! The suppressed investigation (reference §3.3 rule 7): verdict, confidence and
//! techniques copied from the anchor; `duplicate_of` = the anchor's investigation id;
//! `alert_fingerprint` = `fp`; no escalation, no injection flags, no correlation; prior
//! sightings recomputed; hypothesis [`suppressed_hypothesis`]; telemetry with the anchor's
//! model and zero cost. Record it with `record` like any investigation: it is indexed as a
//! suppression (it counts toward the cap and never becomes an anchor).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use soc_core::{Confidence, Verdict};
use tracing::debug;

use crate::error::HistoryError;
use crate::query::Index;
use crate::subject::Subject;
use crate::summary::{Ruling, Summary};
use crate::{HistorySettings, check_id, check_subject};

mod rulings;

use rulings::{RuledReads, read_ruled, readable_rulings};

/// The reference's reuse window: 24 hours, on the anchor's completion time.
pub const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Reuses of one anchor after which a fresh investigation is forced (the reference's
/// `MAX_CONSECUTIVE_SUPPRESSIONS`).
pub const MAX_CONSECUTIVE_SUPPRESSIONS: u32 = 25;

/// Newest real investigations of the alert read for the already-worked gate.
pub(crate) const WORKED_READ: usize = 8;
/// Newest anchor candidates read (every entry of `fp:` is a real completed investigation,
/// so the first live one is nearly always the anchor).
pub(crate) const ANCHOR_READ: usize = 16;
/// Claim polling: first and longest pause between two looks.
const POLL_MIN: Duration = Duration::from_millis(10);
const POLL_MAX: Duration = Duration::from_millis(200);

/// Near-duplicate settings, part of [`HistorySettings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupSettings {
    /// How recent (completion time) an anchor must be. Default 24 hours.
    pub window: Duration,
    /// Reuses of one anchor after which a fresh investigation is forced. Default 25; at
    /// least 1.
    pub max_consecutive: u32,
    /// How long a fingerprint claim lives when its holder never records nor releases it
    /// (the worker died). Default 120 s, JetStream's ack wait: longer than a normal
    /// investigation.
    pub claim_ttl: Duration,
    /// How long a copy waits for the holder's investigation before answering
    /// [`Dedup::Wait`]. Default 30 s; zero answers at once.
    pub claim_wait: Duration,
}

impl Default for DedupSettings {
    fn default() -> Self {
        Self {
            window: DEFAULT_DEDUP_WINDOW,
            max_consecutive: MAX_CONSECUTIVE_SUPPRESSIONS,
            claim_ttl: Duration::from_secs(120),
            claim_wait: Duration::from_secs(30),
        }
    }
}

impl DedupSettings {
    pub(crate) fn sanitised(mut self) -> Self {
        let second = Duration::from_secs(1);
        self.window = self.window.max(second);
        self.max_consecutive = self.max_consecutive.max(1);
        self.claim_ttl = self.claim_ttl.max(second);
        self
    }
}

/// What to do with an alert (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
// Answered once per alert and matched at once, never stored in bulk: boxing the summary
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Dedup {
    /// Reuse the anchor's conclusion: record a suppressed investigation with
    /// `duplicate_of` = `anchor.investigation_id`.
    Reuse {
        /// The investigation reused.
        anchor: Summary,
        /// Why, in the reference's words (for the audit trail and the hypothesis).
        reason: String,
        /// An analyst ruled the anchor a false positive.
        analyst_confirmed: bool,
    },
    /// Investigate the alert.
    Investigate {
        /// The gate that refused reuse.
        reason: InvestigateReason,
        /// This investigation holds the fingerprint's claim: other copies wait for it.
        /// `record` releases it; on failure call
        /// [`crate::HistoryStore::release_fingerprint`].
        claimed: bool,
    },
    /// Another worker is investigating an equivalent alert and did not finish within
    /// [`DedupSettings::claim_wait`]. Retry after `retry_after` (nak with that delay), or
    /// investigate anyway.
    Wait {
        /// The investigation id holding the claim.
        holder: String,
        /// The time the claim has left (at least a second).
        retry_after: Duration,
    },
}

impl Dedup {
    /// A stable label for metrics and logs: `reuse`, `wait`, or the gate of
    /// [`InvestigateReason::label`].
    pub fn label(&self) -> &'static str {
        match self {
            Self::Reuse { .. } => "reuse",
            Self::Investigate { reason, .. } => reason.label(),
            Self::Wait { .. } => "wait",
        }
    }
}

/// Why an alert must be investigated: the first gate that refused reuse, in gate order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvestigateReason {
    /// Gate 1: the new alert carries injection flags.
    InjectionInAlert,
    /// Gate 2: this alert already has a real investigation.
    AlreadyInvestigated {
        /// That investigation.
        investigation_id: String,
    },
    /// Gate 3: no real investigation of this fingerprint completed within the window.
    NoAnchor {
        /// The window.
        window: Duration,
    },
    /// Gate 4: the anchor has been reused as many times as the cap allows.
    CapReached {
        /// The anchor's investigation id.
        anchor_id: String,
        /// The cap.
        cap: u32,
    },
    /// Gate 5: an analyst's latest ruling on an alert of this fingerprint is not
    /// `false_positive`.
    Overturned {
        /// The alert ruled.
        alert_id: String,
        /// The investigation carrying the ruling.
        investigation_id: String,
        /// The analyst's verdict.
        verdict: Verdict,
    },
    /// Gate 5, failing safe: a ruled investigation of this fingerprint has a ruling that
    /// cannot be read, or a record that cannot be read (unparsable, or missing before its
    /// retention is up) when the answer depends on it, so an overturn cannot be ruled
    /// out. A record only tells which alert a ruling is on: when every ruling is a
    /// readable false positive, no alert's latest ruling can be anything else, and the
    /// Redis store does not read the records at all.
    RulingUnreadable {
        /// The ruled investigation.
        investigation_id: String,
    },
    /// Gate 6a: the anchor's ruling is not `false_positive`.
    AnchorRuled {
        /// The anchor's alert.
        alert_id: String,
        /// The analyst's verdict.
        verdict: Verdict,
    },
    /// Gate 6b: the anchor's verdict is not `false_positive`.
    AnchorVerdict {
        /// The anchor's alert.
        alert_id: String,
        /// Its verdict.
        verdict: Verdict,
    },
    /// Gate 6c: the anchor's confidence is not `high`.
    AnchorConfidence {
        /// The anchor's alert.
        alert_id: String,
        /// Its confidence.
        confidence: Confidence,
    },
    /// Gate 6d: the anchor recommended escalation.
    AnchorEscalated {
        /// The anchor's alert.
        alert_id: String,
    },
    /// Gate 6e: the anchor carried injection flags.
    AnchorInjection {
        /// The anchor's alert.
        alert_id: String,
        /// How many.
        flags: u32,
    },
    /// Gate 6f: one of the anchor's lookups failed.
    AnchorFailedLookup {
        /// The anchor's alert.
        alert_id: String,
    },
}

impl InvestigateReason {
    /// A stable label for metrics and logs (a fixed set of values).
    pub fn label(&self) -> &'static str {
        match self {
            Self::InjectionInAlert => "injection",
            Self::AlreadyInvestigated { .. } => "already_investigated",
            Self::NoAnchor { .. } => "no_anchor",
            Self::CapReached { .. } => "cap_reached",
            Self::Overturned { .. } => "overturned",
            Self::RulingUnreadable { .. } => "ruling_unreadable",
            Self::AnchorRuled { .. } => "anchor_ruled",
            Self::AnchorVerdict { .. } => "anchor_verdict",
            Self::AnchorConfidence { .. } => "anchor_confidence",
            Self::AnchorEscalated { .. } => "anchor_escalated",
            Self::AnchorInjection { .. } => "anchor_injection",
            Self::AnchorFailedLookup { .. } => "anchor_failed_lookup",
        }
    }

    /// True for the refusals a fresh investigation can cure (no anchor, cap reached):
    /// copies of the alert wait for one investigation instead of each running one.
    pub fn single_flight(&self) -> bool {
        matches!(self, Self::NoAnchor { .. } | Self::CapReached { .. })
    }
}

impl fmt::Display for InvestigateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InjectionInAlert => f.write_str(
                "the new alert carries injection flags; hostile content never suppresses",
            ),
            Self::AlreadyInvestigated { investigation_id } => write!(
                f,
                "this alert already has a real investigation ({investigation_id}); a retry is re-investigated, never suppressed"
            ),
            Self::NoAnchor { window } => write!(
                f,
                "no real investigation of this fingerprint within {}h to reuse",
                window.as_secs().div_ceil(3600)
            ),
            Self::CapReached { anchor_id, cap } => write!(
                f,
                "anchor {anchor_id} reached the cap of {cap} consecutive suppressions; a fresh look is due"
            ),
            Self::Overturned {
                alert_id, verdict, ..
            } => write!(
                f,
                "analyst ruled alert {alert_id} of this fingerprint '{}' \u{2014} a documented correction on exactly this detection; every repeat gets a fresh look",
                verdict.as_str()
            ),
            Self::RulingUnreadable { investigation_id } => write!(
                f,
                "the analyst ruling on investigation {investigation_id} of this fingerprint (or its record) cannot be read; an overturn cannot be ruled out, so every repeat gets a fresh look"
            ),
            Self::AnchorRuled { alert_id, verdict } => write!(
                f,
                "analyst ruled the anchor {alert_id} '{}' \u{2014} a documented correction on exactly this detection; every repeat gets a fresh look",
                verdict.as_str()
            ),
            Self::AnchorVerdict { verdict, .. } => write!(
                f,
                "anchor verdict is {}; only a false-positive conclusion may be reused without a fresh look",
                verdict.as_str()
            ),
            Self::AnchorConfidence { confidence, .. } => write!(
                f,
                "anchor confidence is {}; reuse requires high",
                confidence.as_str()
            ),
            Self::AnchorEscalated { .. } => f.write_str("anchor recommended escalation"),
            Self::AnchorInjection { .. } => f.write_str("anchor carried injection flags"),
            Self::AnchorFailedLookup { .. } => f.write_str(
                "anchor's investigation had a failed enrichment lookup; a conclusion reached without the evidence it asked for is not one to reuse unexamined",
            ),
        }
    }
}

/// The hypothesis of a suppressed copy (reference §3.3 rule 7): the reason, and the
/// anchor's hypothesis excerpt.
pub fn suppressed_hypothesis(anchor: &Summary, reason: &str) -> String {
    format!(
        "Suppressed as a near-duplicate: {reason}. No new model investigation was run; the anchor's hypothesis: {}",
        anchor.hypothesis
    )
}

/// What the gates read, fetched by a store in one go.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    /// Newest real investigations of the alert (`worked:`), at most [`WORKED_READ`].
    pub(crate) worked: Vec<String>,
    /// Newest real investigations of the fingerprint completed since the cutoff (`fp:`),
    /// at most [`ANCHOR_READ`].
    pub(crate) anchors: Vec<String>,
    /// Completion times (ms) of the newest suppressions of the fingerprint since the
    /// cutoff (`fpdup:`), at most the cap.
    pub(crate) suppressed_at: Vec<i64>,
    /// Investigations of the fingerprint carrying a ruling, each with its ruling's time
    /// (`recorded_at`, ms).
    pub(crate) ruled: Vec<(String, i64)>,
}

/// One stored item as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read<T> {
    /// Not stored.
    Absent,
    /// Stored, but not readable.
    Unreadable,
    /// Stored and read.
    Readable(T),
}

impl<T> Read<T> {
    /// `Readable` for `Some`, `Absent` for `None`.
    pub(crate) fn from_option(v: Option<T>) -> Self {
        v.map_or(Self::Absent, Self::Readable)
    }
}

/// A ruled investigation's record and ruling, as read (see [`DedupIndex::ruled`]).
#[derive(Debug, Clone)]
pub(crate) struct RuledRead {
    /// The investigation.
    pub(crate) id: String,
    /// Its summary.
    pub(crate) summary: Read<Summary>,
    /// Its ruling.
    pub(crate) ruling: Read<Ruling>,
}

/// A ruled investigation's ruling, read without its record (see
/// [`DedupIndex::rulings_first`]).
#[derive(Debug, Clone)]
pub(crate) struct RulingRead {
    /// The ruling.
    pub(crate) ruling: Read<Ruling>,
    /// The alert of the ruled investigation (source, alert id) when the store knows it
    /// without reading the record: kept with the ruling (Redis), or from a readable record
    /// of this fingerprint read anyway (the default). `None` otherwise.
    pub(crate) alert: Option<(String, String)>,
}

impl RulingRead {
    /// No ruling stored.
    pub(crate) const ABSENT: Self = Self {
        ruling: Read::Absent,
        alert: None,
    };
}

/// Gate 5's first read (see [`DedupIndex::rulings_first`]).
#[derive(Debug, Default)]
pub(crate) struct FirstRead {
    /// The rulings of the `recent` ids, then of the `lapsed` ones, in order.
    pub(crate) rulings: Vec<RulingRead>,
    /// How many of the `recent` ids' records are stored (readable or not).
    pub(crate) recent_records: usize,
    /// The records of the `lapsed` ids, in order.
    pub(crate) lapsed_records: Vec<Read<Summary>>,
}

/// What a store answers for the shared dedup code, on top of [`Index`].
#[async_trait]
pub(crate) trait DedupIndex: Index {
    /// The candidate ids (see [`Candidates`]); `since_ms` is the window's start.
    async fn candidates(
        &self,
        alert_id: &str,
        fp: &str,
        since_ms: i64,
        cap: usize,
    ) -> Result<Candidates, HistoryError>;

    /// Takes the claim on `fp` for `holder` for `ttl`: `None` when `holder` has it now
    /// (taken, or renewed when it already had it), else `Some(the holder that has it)`.
    async fn try_claim(
        &self,
        fp: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<String>, HistoryError>;

    /// The claim on `fp`, if any: its holder and the time it has left.
    async fn claim(&self, fp: &str) -> Result<Option<(String, Duration)>, HistoryError>;

    /// The summaries and rulings of these ruled investigations, in order, each telling
    /// an absent item from an unreadable one (gate 5 fails safe on both).
    async fn ruled(&self, ids: &[String]) -> Result<Vec<RuledRead>, HistoryError>;

    /// Gate 5's first read of the ruled investigations `recent` (rulings within their
    /// retention) and `lapsed` (past it): every ruling, with its investigation's alert
    /// when the store knows it without the record; how many of the `recent` records are
    /// stored (counted, not read); and the `lapsed` records. A store should read no
    /// `recent` record here: gate 5 reads them with [`Self::records`] only when they can
    /// change the answer. The default reads everything with [`Self::ruled`], taking the
    /// alert of a readable record of `fp`.
    async fn rulings_first(
        &self,
        fp: &str,
        recent: &[String],
        lapsed: &[String],
    ) -> Result<FirstRead, HistoryError> {
        let ids: Vec<String> = recent.iter().chain(lapsed).cloned().collect();
        Ok(rulings::first_read(
            self.ruled(&ids).await?,
            fp,
            recent,
            lapsed,
        ))
    }

    /// The records of these ruled investigations, in order, each telling an absent one
    /// from an unreadable one. The default reads them with [`Self::ruled`].
    async fn records(&self, ids: &[String]) -> Result<Vec<Read<Summary>>, HistoryError> {
        Ok(self
            .ruled(ids)
            .await?
            .into_iter()
            .map(|r| r.summary)
            .collect())
    }

    /// [`Self::try_claim`], then, when `holder` has the claim, [`Self::candidates`] read
    /// after it was taken: in one round trip on a remote store. On an error the claim may
    /// or may not have been taken.
    async fn claim_then_candidates(
        &self,
        fp: &str,
        holder: &str,
        ttl: Duration,
        alert_id: &str,
        since_ms: i64,
        cap: usize,
    ) -> Result<Claim, HistoryError> {
        Ok(match self.try_claim(fp, holder, ttl).await? {
            Some(other) => Claim::HeldBy(other),
            None => Claim::Taken(self.candidates(alert_id, fp, since_ms, cap).await?),
        })
    }

    /// Releases the claim on `fp` if one of `holders` holds it.
    async fn release(&self, fp: &str, holders: &[&str]) -> Result<(), HistoryError>;
}

/// What [`DedupIndex::claim_then_candidates`] found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// The claim is ours; the candidates as read after taking it.
    Taken(Candidates),
    /// Another investigation holds it.
    HeldBy(String),
}

/// The decision of one pass over the gates.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per pass, moved out at once
enum Decision {
    Reuse(Dedup),
    Investigate(InvestigateReason),
}

/// Decides for `s` (see the module docs), waiting for another worker's investigation of
/// the same fingerprint when that is what single flight asks for.
pub(crate) async fn dedup(
    idx: &dyn DedupIndex,
    s: &Subject,
    fp: &str,
    injection: bool,
    now: DateTime<Utc>,
    st: &HistorySettings,
) -> Result<Dedup, HistoryError> {
    check_subject(s)?;
    check_id("fingerprint", fp)?;
    let cfg = &st.dedup;
    let deadline = tokio::time::Instant::now() + cfg.claim_wait;
    let mut pause = POLL_MIN;
    // The investigation this copy waited for, once it has waited.
    let mut waited_for: Option<String> = None;
    loop {
        let reason = match evaluate(idx, s, fp, injection, now, waited_for.as_deref(), st).await? {
            Decision::Reuse(d) => return Ok(d),
            Decision::Investigate(r) if !r.single_flight() => {
                return Ok(Dedup::Investigate {
                    reason: r,
                    claimed: false,
                });
            }
            Decision::Investigate(r) => r,
        };
        // An investigation may have been recorded between the read and the claim: the
        // gates are passed again over what is read once the claim is taken.
        let (cutoff, cap) = window(now, st);
        let claimed = idx
            .claim_then_candidates(
                fp,
                &s.investigation_id,
                cfg.claim_ttl,
                &s.alert_id,
                cutoff.timestamp_millis(),
                cap,
            )
            .await;
        let held_by = match claimed {
            Ok(Claim::HeldBy(other)) => other,
            Ok(Claim::Taken(c)) => {
                let again = decide_over(idx, s, fp, c, cutoff, waited_for.as_deref(), st).await;
                return settle_claimed(idx, s, fp, again).await;
            }
            Err(e) => return settle_claimed(idx, s, fp, Err(e)).await,
        };
        debug!(
            gate = reason.label(),
            "Fingerprint claimed by another worker; waiting"
        );
        waited_for = Some(held_by);
        // Wait for the claim to go (released by `record`, or expired), then decide again.
        loop {
            let Some((holder, left)) = idx.claim(fp).await? else {
                break;
            };
            waited_for = Some(holder.clone());
            let t = tokio::time::Instant::now();
            if t >= deadline {
                return Ok(Dedup::Wait {
                    holder,
                    retry_after: left.clamp(Duration::from_secs(1), cfg.claim_ttl),
                });
            }
            tokio::time::sleep(pause.min(deadline - t)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

/// The answer once the claim on `fp` was taken for `s` (or may have been, on an error)
/// and the gates passed again: investigate holding it, or release it.
async fn settle_claimed(
    idx: &dyn DedupIndex,
    s: &Subject,
    fp: &str,
    again: Result<Decision, HistoryError>,
) -> Result<Dedup, HistoryError> {
    match again {
        Ok(Decision::Investigate(r)) if r.single_flight() => {
            debug!(gate = r.label(), "Fingerprint claimed; investigating");
            Ok(Dedup::Investigate {
                reason: r,
                claimed: true,
            })
        }
        Ok(other) => {
            idx.release(fp, &[&s.investigation_id]).await?;
            Ok(match other {
                Decision::Reuse(d) => d,
                Decision::Investigate(r) => Dedup::Investigate {
                    reason: r,
                    claimed: false,
                },
            })
        }
        Err(e) => {
            // Best effort (the claim may or may not have been taken; a release deletes
            // it only if it is ours); it also expires by itself.
            if let Err(r) = idx.release(fp, &[&s.investigation_id]).await {
                debug!(error = %r, "Releasing the fingerprint claim failed");
            }
            Err(e)
        }
    }
}

/// One pass over the gates: reads, then [`decide`]. `waited_for` is the investigation
/// this copy waited for, if it did.
async fn evaluate(
    idx: &dyn DedupIndex,
    s: &Subject,
    fp: &str,
    injection: bool,
    now: DateTime<Utc>,
    waited_for: Option<&str>,
    st: &HistorySettings,
) -> Result<Decision, HistoryError> {
    // Gate 1 needs no read.
    if injection {
        return Ok(Decision::Investigate(InvestigateReason::InjectionInAlert));
    }
    let (cutoff, cap) = window(now, st);
    let c = idx
        .candidates(&s.alert_id, fp, cutoff.timestamp_millis(), cap)
        .await?;
    decide_over(idx, s, fp, c, cutoff, waited_for, st).await
}

/// The start of the dedup window before `now`, and the cap on consecutive suppressions.
fn window(now: DateTime<Utc>, st: &HistorySettings) -> (DateTime<Utc>, usize) {
    let cutoff = chrono::Duration::from_std(st.dedup.window)
        .ok()
        .and_then(|w| now.checked_sub_signed(w))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let cap = usize::try_from(st.dedup.max_consecutive).unwrap_or(usize::MAX);
    (cutoff, cap)
}

/// The rest of a pass over the gates once the candidates are read: their summaries,
/// gates 2–4, and only when those pass the rulings ([`read_ruled`]); then [`decide`].
async fn decide_over(
    idx: &dyn DedupIndex,
    s: &Subject,
    fp: &str,
    c: Candidates,
    cutoff: DateTime<Utc>,
    waited_for: Option<&str>,
    st: &HistorySettings,
) -> Result<Decision, HistoryError> {
    let mut ids: Vec<String> = Vec::new();
    for id in c.worked.iter().chain(&c.anchors) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    let summaries = if ids.is_empty() {
        Vec::new()
    } else {
        idx.summaries(&ids).await?
    };
    let by_id: crate::query::FastMap<&str, &Summary> = summaries
        .iter()
        .map(|s| (s.investigation_id.as_str(), s.as_ref()))
        .collect();
    let pick = |list: &[String]| -> Vec<&Summary> {
        list.iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect()
    };
    let input = |ruled, unreadable, fp_ruled_alerts| Input {
        subject: s,
        fp,
        cutoff,
        max_consecutive: st.dedup.max_consecutive,
        window: st.dedup.window,
        worked: pick(&c.worked),
        anchors: pick(&c.anchors),
        suppressed_at: &c.suppressed_at,
        ruled,
        unreadable,
        fp_ruled_alerts,
        waited_for,
    };
    // Gates 2–4 need no ruling: when one of them refuses, no ruling is read (a copy
    // waiting for a claim passes them again and again).
    if let Err(reason) = anchor_gates(&input(Vec::new(), None, &[])) {
        return Ok(Decision::Investigate(reason));
    }
    let now = Utc::now();
    let reads = if c.ruled.is_empty() {
        RuledReads::default()
    } else {
        read_ruled(idx, fp, &c.ruled, st, now).await?
    };
    let (ruled, unreadable) = readable_rulings(&reads.full_ids, &reads.full, st, now);
    Ok(decide(&input(ruled, unreadable, &reads.fp_alerts)))
}

/// Everything the gates look at, already read.
#[derive(Debug)]
struct Input<'a> {
    subject: &'a Subject,
    fp: &'a str,
    cutoff: DateTime<Utc>,
    max_consecutive: u32,
    window: Duration,
    /// Investigations of the subject's alert.
    worked: Vec<&'a Summary>,
    /// Anchor candidates, any order.
    anchors: Vec<&'a Summary>,
    /// Completion times (ms) of recent suppressions of the fingerprint.
    suppressed_at: &'a [i64],
    /// Ruled investigations of the fingerprint with their rulings.
    ruled: Vec<(&'a Summary, &'a Ruling)>,
    /// A ruled investigation of the fingerprint whose record or ruling cannot be read.
    unreadable: Option<String>,
    /// Alerts (source, alert id) with a false-positive ruling whose record was not read:
    /// only when every ruling of the fingerprint is a readable false positive (see
    /// [`read_ruled`]). They confirm the anchor as `ruled` does.
    fp_ruled_alerts: &'a [(String, String)],
    /// The investigation this copy waited for (single flight), if it did.
    waited_for: Option<&'a str>,
}

/// Gates 2–4 over what was read: the anchor, or the first of them that refuses.
fn anchor_gates<'a>(i: &Input<'a>) -> Result<&'a Summary, InvestigateReason> {
    use InvestigateReason as R;
    let s = i.subject;

    // 2. Already worked.
    if let Some(w) = i
        .worked
        .iter()
        .find(|w| w.is_alert_of(s) && !w.is_pending() && !w.is_suppressed())
    {
        return Err(R::AlreadyInvestigated {
            investigation_id: w.investigation_id.clone(),
        });
    }

    // 3. The latest real investigation of another alert with this fingerprint, in the
    // window.
    let anchor = i
        .anchors
        .iter()
        .filter(|a| {
            !a.is_alert_of(s)
                && !a.is_pending()
                && !a.is_suppressed()
                && a.fingerprint == i.fp
                && a.investigated_at.is_some_and(|t| t >= i.cutoff)
        })
        .max_by(|a, b| {
            (a.investigated_at, &a.investigation_id).cmp(&(b.investigated_at, &b.investigation_id))
        })
        .copied();
    let Some(anchor) = anchor else {
        return Err(R::NoAnchor { window: i.window });
    };
    let anchor_ms = anchor
        .investigated_at
        .map_or(i64::MIN, |t| t.timestamp_millis());

    // 4. The cap, counted from the anchor; not for a copy that waited for this very
    // anchor (it arrived before its conclusion existed: one burst with it).
    let suppressions = i.suppressed_at.iter().filter(|t| **t >= anchor_ms).count();
    let suppressions = u32::try_from(suppressions).unwrap_or(u32::MAX);
    if suppressions >= i.max_consecutive && i.waited_for != Some(anchor.investigation_id.as_str()) {
        return Err(R::CapReached {
            anchor_id: anchor.investigation_id.clone(),
            cap: i.max_consecutive,
        });
    }
    Ok(anchor)
}

/// Gates 2–6 over what was read (gate 1 is checked before reading).
fn decide(i: &Input<'_>) -> Decision {
    use InvestigateReason as R;
    let anchor = match anchor_gates(i) {
        Ok(anchor) => anchor,
        Err(reason) => return Decision::Investigate(reason),
    };

    // 5. The latest ruling per alert, among its investigations of this fingerprint; any
    // that is not a false positive blocks.
    let mut latest: BTreeMap<(&str, &str), (&Summary, &Ruling)> = BTreeMap::new();
    for (sum, r) in &i.ruled {
        if sum.fingerprint != i.fp {
            continue;
        }
        let newer = |cur: &(&Summary, &Ruling)| {
            (r.recorded_at, &sum.investigation_id) > (cur.1.recorded_at, &cur.0.investigation_id)
        };
        match latest.get(&sum.alert_key()) {
            Some(cur) if !newer(cur) => {}
            _ => {
                latest.insert(sum.alert_key(), (*sum, *r));
            }
        }
    }
    if let Some((sum, r)) = latest
        .values()
        .filter(|(_, r)| r.verdict != Verdict::FalsePositive)
        .max_by_key(|(sum, r)| (r.recorded_at, &sum.investigation_id))
    {
        return Decision::Investigate(R::Overturned {
            alert_id: sum.alert_id.clone(),
            investigation_id: sum.investigation_id.clone(),
            verdict: r.verdict,
        });
    }
    // Failing safe: a ruling that cannot be read could be an overturn.
    if let Some(id) = &i.unreadable {
        return Decision::Investigate(R::RulingUnreadable {
            investigation_id: id.clone(),
        });
    }

    // 6. The anchor gates.
    let alert_id = anchor.alert_id.clone();
    let ruling = latest.get(&anchor.alert_key()).map(|(_, r)| *r);
    if let Some(r) = ruling
        && r.verdict != Verdict::FalsePositive
    {
        return Decision::Investigate(R::AnchorRuled {
            alert_id,
            verdict: r.verdict,
        });
    }
    let verdict = anchor.verdict.unwrap_or(Verdict::Inconclusive);
    if verdict != Verdict::FalsePositive {
        return Decision::Investigate(R::AnchorVerdict { alert_id, verdict });
    }
    let confidence = anchor.confidence.unwrap_or(Confidence::Low);
    if confidence != Confidence::High {
        return Decision::Investigate(R::AnchorConfidence {
            alert_id,
            confidence,
        });
    }
    if anchor.escalation {
        return Decision::Investigate(R::AnchorEscalated { alert_id });
    }
    if anchor.injection_flags > 0 {
        return Decision::Investigate(R::AnchorInjection {
            alert_id,
            flags: anchor.injection_flags,
        });
    }
    if anchor.failed_lookup {
        return Decision::Investigate(R::AnchorFailedLookup { alert_id });
    }

    let confirmed = ruling.is_some()
        || i.fp_ruled_alerts
            .iter()
            .any(|(source, alert_id)| (source.as_str(), alert_id.as_str()) == anchor.alert_key());
    let reason = format!(
        "near-duplicate of {} investigated {}: high-confidence false positive{} with no escalation or injection signals",
        anchor.alert_id,
        anchor
            .investigated_at
            .map_or_else(|| "?".to_owned(), |t| t.to_rfc3339()),
        if confirmed {
            " (analyst-confirmed)"
        } else {
            ""
        },
    );
    Decision::Reuse(Dedup::Reuse {
        anchor: anchor.clone(),
        reason,
        analyst_confirmed: confirmed,
    })
}

#[cfg(test)]
mod tests;
