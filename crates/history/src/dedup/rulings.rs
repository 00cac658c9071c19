//! Gate 5's reads and its fail-safe: the rulings of the fingerprint first, then only
//! the records that can change the answer ([`read_ruled`]), and which ruled
//! investigations are judged and which one fails safe ([`readable_rulings`]).

use chrono::{DateTime, Utc};
use soc_core::Verdict;
use tracing::debug;

use super::{DedupIndex, FirstRead, Read, RuledRead, RulingRead};
use crate::HistorySettings;
use crate::error::HistoryError;
use crate::query::{FastMap, FastSet};
use crate::summary::{Ruling, Summary};

/// [`DedupIndex::rulings_first`] answered from a full read (`read`, rulings and records
/// of `recent` then `lapsed`), taking the alert of a readable record of `fp`.
pub(super) fn first_read(
    read: Vec<RuledRead>,
    fp: &str,
    recent: &[String],
    lapsed: &[String],
) -> FirstRead {
    let mut by_id: FastMap<String, RuledRead> =
        read.into_iter().map(|r| (r.id.clone(), r)).collect();
    let mut first = FirstRead::default();
    for id in recent {
        let Some(r) = by_id.remove(id) else {
            first.rulings.push(RulingRead::ABSENT);
            continue;
        };
        let alert = match &r.summary {
            Read::Absent => None,
            Read::Unreadable => {
                first.recent_records += 1;
                None
            }
            Read::Readable(s) => {
                first.recent_records += 1;
                (s.fingerprint == fp).then(|| (s.source.clone(), s.alert_id.clone()))
            }
        };
        first.rulings.push(RulingRead {
            ruling: r.ruling,
            alert,
        });
    }
    for id in lapsed {
        let (ruling, summary) = by_id
            .remove(id)
            .map_or((Read::Absent, Read::Absent), |r| (r.ruling, r.summary));
        first.rulings.push(RulingRead {
            ruling,
            alert: None,
        });
        first.lapsed_records.push(summary);
    }
    first
}

/// What gate 5 read of the ruled investigations (see [`read_ruled`]).
#[derive(Debug, Default)]
pub(super) struct RuledReads {
    /// The ruled investigations whose record was read with their ruling, in
    /// [`super::Candidates::ruled`] order with their rulings' times: [`readable_rulings`]
    /// judges them.
    pub(super) full_ids: Vec<(String, i64)>,
    /// Their records and rulings.
    pub(super) full: Vec<RuledRead>,
    /// Only when every ruling is a readable false positive and every record of a ruling
    /// within its retention is stored: the alerts (source, alert id) of the ruled
    /// investigations whose record was not read.
    pub(super) fp_alerts: Vec<(String, String)>,
}

/// Gate 5's reads, once gates 2–4 have passed: every ruling first, then only the records
/// that can change the answer.
///
/// When every ruling is a readable false positive, no alert's latest ruling can be
/// anything else, whichever alert each belongs to: gate 5 passes unless something fails
/// safe. A ruling within its retention whose alert the store keeps with it then needs
/// its record only to be stored (counted, not read), and its alert confirms the anchor.
/// Otherwise (some ruling is not a readable false positive, or a record of a recent one
/// is gone) every record is read, and the rulings are grouped per alert by their records
/// as before. Rulings stored without their alert (older ones) and rulings past their
/// retention are always judged with their records.
pub(super) async fn read_ruled(
    idx: &dyn DedupIndex,
    fp: &str,
    ruled: &[(String, i64)],
    st: &HistorySettings,
    now: DateTime<Utc>,
) -> Result<RuledReads, HistoryError> {
    let retention = crate::query::window_ms(st.ruled_retention);
    let now_ms = now.timestamp_millis();
    let (lapsed, recent): (Vec<String>, Vec<String>) = {
        let (l, r): (Vec<&(String, i64)>, Vec<_>) = ruled
            .iter()
            .partition(|(_, at)| at.saturating_add(retention) <= now_ms);
        let ids = |v: Vec<&(String, i64)>| v.into_iter().map(|(id, _)| id.clone()).collect();
        (ids(l), ids(r))
    };
    let first = idx.rulings_first(fp, &recent, &lapsed).await?;
    let mut rulings = first.rulings.into_iter();
    let mut next = || rulings.next().unwrap_or(RulingRead::ABSENT);
    let recent_rulings: Vec<RulingRead> = recent.iter().map(|_| next()).collect();
    let lapsed_rulings: Vec<RulingRead> = lapsed.iter().map(|_| next()).collect();
    let false_positive =
        |r: &Read<Ruling>| matches!(r, Read::Readable(r) if r.verdict == Verdict::FalsePositive);
    let all_false_positive = first.recent_records == recent.len()
        && recent_rulings.iter().all(|r| false_positive(&r.ruling))
        && lapsed_rulings
            .iter()
            .all(|r| false_positive(&r.ruling) || matches!(r.ruling, Read::Absent));

    let absent_after = |records: Vec<Read<Summary>>| {
        records
            .into_iter()
            .chain(std::iter::repeat_with(|| Read::Absent))
    };
    let mut full: Vec<RuledRead> = lapsed
        .into_iter()
        .zip(lapsed_rulings)
        .zip(absent_after(first.lapsed_records))
        .map(|((id, r), summary)| RuledRead {
            id,
            summary,
            ruling: r.ruling,
        })
        .collect();
    let mut fp_alerts = Vec::new();
    let mut need: Vec<(String, Read<Ruling>)> = Vec::new();
    for (id, r) in recent.into_iter().zip(recent_rulings) {
        match r.alert {
            Some(alert) if all_false_positive => fp_alerts.push(alert),
            _ => need.push((id, r.ruling)),
        }
    }
    if !need.is_empty() {
        let ids: Vec<String> = need.iter().map(|(id, _)| id.clone()).collect();
        let records = idx.records(&ids).await?;
        full.extend(
            need.into_iter()
                .zip(absent_after(records))
                .map(|((id, ruling), summary)| RuledRead {
                    id,
                    summary,
                    ruling,
                }),
        );
    }
    let full_ids = {
        let read: FastSet<&str> = full.iter().map(|r| r.id.as_str()).collect();
        ruled
            .iter()
            .filter(|(id, _)| read.contains(id.as_str()))
            .cloned()
            .collect()
    };
    Ok(RuledReads {
        full_ids,
        full,
        fp_alerts,
    })
}

/// The ruled investigations whose record and ruling were both read, and the first one
/// (in `ruled` order) that fails safe: a record or ruling unreadable, or missing while
/// the ruling's retention, counted from its time `at` (ms), is not over at `now`. Both
/// missing after that is an expired ruling, left out.
pub(super) fn readable_rulings<'a>(
    ruled: &[(String, i64)],
    read: &'a [RuledRead],
    st: &HistorySettings,
    now: DateTime<Utc>,
) -> (Vec<(&'a Summary, &'a Ruling)>, Option<String>) {
    let by_id: FastMap<&str, &RuledRead> = read.iter().map(|r| (r.id.as_str(), r)).collect();
    let retention = crate::query::window_ms(st.ruled_retention);
    let mut out = Vec::new();
    let mut unreadable = None;
    for (id, at) in ruled {
        let (summary, ruling) = by_id
            .get(id.as_str())
            .map_or((&Read::Absent, &Read::Absent), |r| (&r.summary, &r.ruling));
        match (summary, ruling) {
            (Read::Readable(s), Read::Readable(r)) => out.push((s, r)),
            (Read::Absent, Read::Absent)
                if at.saturating_add(retention) <= now.timestamp_millis() => {}
            _ => {
                if unreadable.is_none() {
                    debug!(investigation_id = %id, "Ruled investigation unreadable; no reuse");
                    unreadable = Some(id.clone());
                }
            }
        }
    }
    (out, unreadable)
}
