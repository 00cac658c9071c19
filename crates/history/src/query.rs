//! Prior sightings and correlation, written once over a small read interface
//! (`Index`) that both stores implement: the rules live here, the stores only fetch.
//!
//! # Prior sightings (reference §3.5.3)
//!
//! Candidates are the newest [`HistorySettings::fanout`] investigations listed under each of
//! the subject's `ioc:` keys (no time window). A candidate counts when it shares at least
//! one exact indicator (a host alone never does), belongs to another alert (another id,
//! or the same id from another source: ids are only unique within a source) and is
//! completed (a pending investigation has no verdict to report yet). Per prior alert the
//! latest completed investigation is used; `matched_iocs` is the sorted intersection;
//! the latest analyst ruling on any of that alert's investigations is joined as
//! `human_verdict`/`human_summary`. Sorted by the prior alert's own timestamp, newest first,
//! at most [`HistorySettings::max_prior_sightings`].
//!
//! Alert times are the sources' word. An alert dated past the start of its investigation
//! plus [`HistorySettings::future_skew`] (a wrong clock, or a forged year 2099) is indexed
//! and ranked as if dated then ([`Summary::index_score`]), and nothing scored past now
//! plus the skew is read: otherwise a few such alerts would hold every top rank of an
//! indicator's index for ever, and hide its real sightings (an analyst's true-positive
//! ruling among them) from every later alert.
//!
//! # Correlation (reference §3.5.4–5)
//!
//! Candidates are listed under the subject's `ioc:`, `host:` and `net24:` keys with an
//! alert timestamp within `window` of the subject's, in both directions (a score range
//! query; at most [`HistorySettings::fanout`] per key, latest alert time first, and
//! [`HistorySettings::max_candidates`] in all, taken round-robin across keys so one hot key
//! cannot crowd out the others). Per alert, the latest completed investigation is used, else the latest pending
//! one. A candidate is related when at least one of these signals holds:
//! `shared_ioc:<v>` (sorted), `related_ip:<b>/24` (an IPv4 of the candidate in the same /24
//! as one of ours, and a different address), `shared_host:<h>`. Only then is
//! `shared_technique:<parent T-code>` added for technique families both sides show; it
//! never links on its own. Suppressed duplicates are not excluded.
//!
//! A related alert still under investigation (pending) counts and is shown with the
//! verdict `pending`: that is what lets two workers investigating related alerts at the
//! same moment each see the other.
//!
//! Related alerts are sorted newest first; [`CAMPAIGN_MIN_RELATED`] of them make a
//! campaign; the summary strings are the reference's.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use soc_core::investigation::{Correlation, PriorSighting, RelatedAlert};

use crate::error::HistoryError;
use crate::subject::{Subject, parent_technique};
use crate::summary::{Ruling, Summary, clamped_time, concat, net24, subject_index_keys};
use crate::{HistorySettings, Recalled};

/// Hash maps and sets of the lookups: keyed by ids and indicator forms read from the
/// store, hashed with foldhash (randomly seeded) rather than the std default SipHash:
/// they run for every alert and hold at most the candidates of one lookup (twice
/// `max_candidates`, itself capped), so SipHash's stronger flooding resistance buys
/// nothing here.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`FastMap`].
pub(crate) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Related prior alerts that make a campaign (the current alert plus two priors).
pub const CAMPAIGN_MIN_RELATED: usize = 2;

/// What a store must answer for the shared query code.
#[async_trait]
pub(crate) trait Index: Send + Sync {
    /// For each key, the newest-first investigation ids listed under it whose score (alert
    /// time, ms) lies in `range` (inclusive; all when `None`), at most `per_key` each.
    async fn members(
        &self,
        keys: &[String],
        range: Option<(i64, i64)>,
        per_key: usize,
    ) -> Result<Vec<Vec<String>>, HistoryError>;

    /// The stored summaries of these ids; missing or unreadable ones are left out.
    async fn summaries(&self, ids: &[String]) -> Result<Vec<Arc<Summary>>, HistoryError>;

    /// The rulings of these investigation ids, as `(id, ruling)`; ids without one are left
    /// out.
    async fn rulings(&self, ids: &[String]) -> Result<Vec<(String, Ruling)>, HistoryError>;

    /// Everything [`recall`] reads, in one go (two round trips on a remote store): the
    /// prior-sighting candidates (the first `plan.n_ioc` of `plan.keys`, scored at most
    /// `plan.prior_max`) and the correlation candidates (all of `plan.keys`, within
    /// `plan.range`), each [`interleave`]d to `st.max_candidates` from `st.fanout` per
    /// key; then the summaries of both lists' ids and the rulings of the prior-sighting
    /// candidates (the only ones joined).
    async fn recall_read(
        &self,
        plan: &RecallPlan,
        st: &HistorySettings,
    ) -> Result<RecallRead, HistoryError> {
        let keys = plan.keys.as_slice();
        let ioc_keys = plan.ioc_keys();
        let prior_ids = if ioc_keys.is_empty() {
            Vec::new()
        } else {
            interleave(
                self.members(ioc_keys, Some((i64::MIN, plan.prior_max)), st.fanout)
                    .await?,
                st.max_candidates,
            )
        };
        let corr_ids = if keys.is_empty() {
            Vec::new()
        } else {
            interleave(
                self.members(keys, Some(plan.range), st.fanout).await?,
                st.max_candidates,
            )
        };
        let union = union_of(&prior_ids, &corr_ids);
        let summaries = if union.is_empty() {
            Vec::new()
        } else {
            self.summaries(&union).await?
        };
        let rulings = if prior_ids.is_empty() {
            Vec::new()
        } else {
            self.rulings(&prior_ids).await?
        };
        Ok(RecallRead {
            prior_ids,
            corr_ids,
            summaries,
            rulings,
        })
    }
}

/// What [`Index::recall_read`] returns.
#[derive(Debug, Default)]
pub(crate) struct RecallRead {
    /// Prior-sighting candidates, interleaved and capped.
    pub(crate) prior_ids: Vec<String>,
    /// Correlation candidates, interleaved and capped.
    pub(crate) corr_ids: Vec<String>,
    /// The stored summaries of both lists' ids (missing and unreadable ones left out).
    pub(crate) summaries: Vec<Arc<Summary>>,
    /// The prior-sighting candidates' rulings, as `(investigation id, ruling)`.
    pub(crate) rulings: Vec<(String, Ruling)>,
}

/// `a` then the ids of `b` not in `a`, in order.
pub(crate) fn union_of(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    let mut seen: FastSet<&String> = a.iter().collect();
    for id in b {
        if seen.insert(id) {
            out.push(id.clone());
        }
    }
    out
}

/// Merges per-key member lists round-robin (each key's newest first), deduplicated, at
/// most `cap` ids: a hot key cannot crowd out the others.
pub(crate) fn interleave(mut lists: Vec<Vec<String>>, cap: usize) -> Vec<String> {
    // Positions first, over borrowed ids; then only the picked ids are moved out.
    let mut picked: Vec<(usize, usize)> = Vec::new();
    {
        let mut seen = FastSet::<&str>::default();
        let rounds = lists.iter().map(Vec::len).max().unwrap_or(0);
        'rounds: for round in 0..rounds {
            for (list, ids) in lists.iter().enumerate() {
                if picked.len() >= cap {
                    break 'rounds;
                }
                if let Some(id) = ids.get(round)
                    && seen.insert(id.as_str())
                {
                    picked.push((list, round));
                }
            }
        }
    }
    picked
        .into_iter()
        .filter_map(|(list, at)| lists.get_mut(list)?.get_mut(at).map(std::mem::take))
        .collect()
}

/// Prior sightings of `s` (see the module docs).
pub(crate) async fn prior_sightings(
    idx: &dyn Index,
    s: &Subject,
    st: &HistorySettings,
) -> Result<Vec<PriorSighting>, HistoryError> {
    let keys = subject_index_keys(s).iocs;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let max = clamped_time(DateTime::<Utc>::MAX_UTC, Utc::now(), st.future_skew);
    let lists = idx.members(&keys, Some((i64::MIN, max)), st.fanout).await?;
    let ids = interleave(lists, st.max_candidates);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let summaries = idx.summaries(&ids).await?;
    let chosen = select_priors(s, summaries.iter().map(Arc::as_ref));
    let ruling_ids: Vec<String> = chosen
        .iter()
        .flat_map(|c| c.investigation_ids.iter().cloned())
        .collect();
    let rulings = if ruling_ids.is_empty() {
        Vec::new()
    } else {
        idx.rulings(&ruling_ids).await?
    };
    Ok(build_priors(chosen, &rulings, st))
}

/// Correlation of `s` within `window` (see the module docs), in one read
/// ([`Index::recall_read`] without the prior-sighting query).
pub(crate) async fn correlate(
    idx: &dyn Index,
    s: &Subject,
    window: Duration,
    st: &HistorySettings,
) -> Result<Correlation, HistoryError> {
    let mut plan = RecallPlan::new(s, window, st);
    plan.n_ioc = 0;
    let read = if plan.keys.is_empty() {
        RecallRead::default()
    } else {
        idx.recall_read(&plan, st).await?
    };
    let by_id = positions(&read.summaries);
    let candidates = read
        .corr_ids
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).map(|&i| read.summaries[i].as_ref()));
    Ok(correlation_from(
        s,
        candidates,
        window,
        st.future_skew,
        st.max_related,
    ))
}

/// Prior sightings and correlation of `s` together, reading each candidate summary once
/// ([`Index::recall_read`]): the same answers as [`prior_sightings`] and [`correlate`]
/// called one after the other. Rulings are read for every prior-sighting candidate and
/// joined only for the chosen priors: a ruling is rare and small, a second read is not.
pub(crate) async fn recall(
    idx: &dyn Index,
    s: &Subject,
    window: Duration,
    st: &HistorySettings,
) -> Result<Recalled, HistoryError> {
    let plan = RecallPlan::new(s, window, st);
    let read = if plan.keys.is_empty() {
        RecallRead::default()
    } else {
        idx.recall_read(&plan, st).await?
    };
    Ok(recalled_from(s, window, st, read))
}

/// What a recall of a subject reads: its index keys (the `ioc:` ones first) and the
/// score bounds.
///
/// Index scores are alert times no later than the investigation's start plus
/// [`HistorySettings::future_skew`] ([`Summary::index_score`]), so the subject's time is
/// clamped the same way (to now plus the skew) to centre the correlation window: alerts
/// dated past that are found among the entries scored near now, and the window is then
/// applied to their own times ([`correlation_from`]).
#[derive(Debug)]
pub(crate) struct RecallPlan {
    /// Every index key of the subject, the `ioc:` keys first.
    pub(crate) keys: Vec<String>,
    /// How many of `keys` are `ioc:` keys (the prior-sighting candidates' keys).
    pub(crate) n_ioc: usize,
    /// The highest score a prior-sighting candidate may have: now plus the skew.
    pub(crate) prior_max: i64,
    /// The correlation window around the subject's (clamped) time, in ms, inclusive.
    pub(crate) range: (i64, i64),
}

impl RecallPlan {
    pub(crate) fn new(s: &Subject, window: Duration, st: &HistorySettings) -> Self {
        let keys = subject_index_keys(s);
        let n_ioc = keys.iocs.len();
        let w = window_ms(window);
        let now = Utc::now();
        let ts = clamped_time(s.timestamp, now, st.future_skew);
        Self {
            keys: keys.all(),
            n_ioc,
            prior_max: clamped_time(DateTime::<Utc>::MAX_UTC, now, st.future_skew),
            range: (ts.saturating_sub(w), ts.saturating_add(w)),
        }
    }

    /// The `ioc:` keys.
    pub(crate) fn ioc_keys(&self) -> &[String] {
        self.keys
            .get(..self.n_ioc.min(self.keys.len()))
            .unwrap_or_default()
    }
}

/// The answer of [`recall`] from what it read.
pub(crate) fn recalled_from(
    s: &Subject,
    window: Duration,
    st: &HistorySettings,
    read: RecallRead,
) -> Recalled {
    // Each query's summaries in its own id order, as the separate calls would see them:
    // positions in `read.summaries`.
    let by_id = positions(&read.summaries);
    let pick = |ids: &[String]| -> Vec<usize> {
        ids.iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect()
    };
    let prior_at = pick(&read.prior_ids);
    let corr_at = pick(&read.corr_ids);
    let chosen = select_priors(s, prior_at.iter().map(|&i| read.summaries[i].as_ref()));
    let wanted: FastSet<&str> = chosen
        .iter()
        .flat_map(|c| c.investigation_ids.iter().map(String::as_str))
        .collect();
    let rulings: Vec<(String, Ruling)> = read
        .rulings
        .into_iter()
        .filter(|(id, _)| wanted.contains(id.as_str()))
        .collect();
    let priors = build_priors(chosen, &rulings, st);
    let base = correlation_base(
        s,
        corr_at.iter().map(|&i| read.summaries[i].as_ref()),
        window,
        st.future_skew,
    );
    Recalled {
        priors,
        correlation: base.finish(s, st.max_related),
        base: Some(base),
        max_related: st.max_related,
    }
}

/// Each summary's position by investigation id (the last one for an id read twice).
fn positions(summaries: &[Arc<Summary>]) -> FastMap<&str, usize> {
    summaries
        .iter()
        .enumerate()
        .map(|(i, x)| (x.investigation_id.as_str(), i))
        .collect()
}

/// The window in milliseconds, saturating.
pub(crate) fn window_ms(window: Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}

/// The window in whole hours, rounded up.
pub(crate) fn window_hours(window: Duration) -> u32 {
    u32::try_from(window.as_secs().div_ceil(3600)).unwrap_or(u32::MAX)
}

/// One prior alert chosen for a sighting.
#[derive(Debug)]
pub(crate) struct ChosenPrior<'a> {
    /// Its latest completed investigation sharing an indicator.
    pub(crate) latest: &'a Summary,
    /// Shared indicators, display values, sorted.
    pub(crate) matched: Vec<String>,
    /// Every investigation of that alert among the candidates (for the ruling join).
    pub(crate) investigation_ids: Vec<String>,
}

/// Ordering key for "latest": completion (else start) time, then the id.
fn recency(s: &Summary) -> (chrono::DateTime<chrono::Utc>, &str) {
    (s.written_at(), s.investigation_id.as_str())
}

/// The subject's indicators: stored form to display value.
type OwnForms<'a> = FastMap<&'a str, &'a str>;

fn own_forms<'a>(forms: &'a [(String, &'a str)]) -> OwnForms<'a> {
    forms.iter().map(|(f, v)| (f.as_str(), *v)).collect()
}

/// Shared indicators between `s` and a record, as sorted, distinct display values.
fn shared_indicators(own: &OwnForms<'_>, rec: &Summary) -> Vec<String> {
    let mut shared: Vec<&str> = rec
        .indicators
        .iter()
        .filter_map(|f| own.get(f.as_str()).copied())
        .collect();
    shared.sort_unstable();
    shared.dedup();
    shared.into_iter().map(str::to_owned).collect()
}

/// Picks, per prior alert, its latest completed investigation sharing an indicator.
pub(crate) fn select_priors<'a>(
    s: &Subject,
    summaries: impl IntoIterator<Item = &'a Summary>,
) -> Vec<ChosenPrior<'a>> {
    let forms = s.indicator_forms();
    let own = own_forms(&forms);
    // Every investigation of each other alert (source and id), for the ruling join.
    let mut ids_by_alert: FastMap<(&str, &str), Vec<String>> = FastMap::default();
    let mut latest: FastMap<(&str, &str), (&'a Summary, Vec<String>)> = FastMap::default();
    for rec in summaries {
        if rec.is_alert_of(s) {
            continue;
        }
        let ids = ids_by_alert.entry(rec.alert_key()).or_default();
        if !ids.contains(&rec.investigation_id) {
            ids.push(rec.investigation_id.clone());
        }
        if rec.is_pending() {
            continue;
        }
        let matched = shared_indicators(&own, rec);
        if matched.is_empty() {
            continue;
        }
        match latest.get(&rec.alert_key()) {
            Some((cur, _)) if recency(rec) <= recency(cur) => {}
            _ => {
                latest.insert(rec.alert_key(), (rec, matched));
            }
        }
    }
    latest
        .into_iter()
        .map(|(alert, (rec, matched))| ChosenPrior {
            latest: rec,
            matched,
            investigation_ids: ids_by_alert.remove(&alert).unwrap_or_default(),
        })
        .collect()
}

/// Builds the sightings: joins the latest ruling, sorts newest first (by the prior
/// alert's time as indexed, [`Summary::index_score`]: an alert dated in the future ranks
/// as of its investigation's start), caps at `st.max_prior_sightings`.
pub(crate) fn build_priors(
    mut chosen: Vec<ChosenPrior<'_>>,
    rulings: &[(String, Ruling)],
    st: &HistorySettings,
) -> Vec<PriorSighting> {
    let by_id: FastMap<&str, &Ruling> = rulings.iter().map(|(id, r)| (id.as_str(), r)).collect();
    let skew = st.future_skew;
    chosen.sort_by(|a, b| {
        (b.latest.index_score(skew), b.latest.timestamp)
            .cmp(&(a.latest.index_score(skew), a.latest.timestamp))
            .then_with(|| a.latest.alert_id.cmp(&b.latest.alert_id))
    });
    chosen.truncate(st.max_prior_sightings);
    chosen
        .into_iter()
        .map(|c| {
            let ruling = c
                .investigation_ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).copied())
                .max_by_key(|r| r.recorded_at);
            PriorSighting {
                alert_id: c.latest.alert_id.clone(),
                timestamp: c.latest.timestamp,
                verdict: c.latest.verdict_str().to_owned(),
                confidence: c
                    .latest
                    .confidence
                    .map_or("low", soc_core::Confidence::as_str)
                    .to_owned(),
                title: c.latest.title.clone(),
                matched_iocs: c.matched,
                human_verdict: ruling.map(|r| r.verdict.as_str().to_owned()),
                human_summary: ruling.map(|r| r.summary.clone()),
            }
        })
        .collect()
}

/// The verdict a prior sighting stands for: the analyst's ruling when there is one, else
/// the copilot's verdict.
pub fn effective_verdict(p: &PriorSighting) -> &str {
    p.human_verdict.as_deref().unwrap_or(p.verdict.as_str())
}

/// Computes the correlation of `s` with candidate records (see the module docs).
pub(crate) fn correlation_from<'a>(
    s: &Subject,
    summaries: impl IntoIterator<Item = &'a Summary>,
    window: Duration,
    future_skew: Duration,
    max_related: usize,
) -> Correlation {
    correlation_base(s, summaries, window, future_skew).finish(s, max_related)
}

/// The part of a correlation that does not depend on the subject's techniques: which
/// alerts are related and by what (technique signals never make an alert related, they
/// only add to one that is), in the final order, with each chosen record's parent
/// techniques for the signals [`CorrelationBase::finish`] adds. Worked out once at
/// recall, it serves the correlation after the verdict, when the techniques are known.
#[derive(Debug, Clone)]
pub(crate) struct CorrelationBase {
    /// The subject's own alert, time, indicators and hosts: what the base depends on.
    alert_id: String,
    source: String,
    timestamp: chrono::DateTime<chrono::Utc>,
    indicators: Vec<String>,
    hosts: Vec<String>,
    window: Duration,
    /// Every related alert (not yet capped), newest first, with its record's parent
    /// techniques (sorted, distinct).
    related: Vec<(RelatedAlert, Vec<String>)>,
}

impl CorrelationBase {
    /// Whether this base is that of `s`, whatever `s`'s techniques.
    pub(crate) fn is_for(&self, s: &Subject) -> bool {
        self.alert_id == s.alert_id
            && self.source == s.source
            && self.timestamp == s.timestamp
            && self.indicators == s.indicators
            && self.hosts == s.hosts
    }

    /// The correlation of `s` (the subject of this base, with any techniques), at most
    /// `max_related` related alerts.
    pub(crate) fn finish(&self, s: &Subject, max_related: usize) -> Correlation {
        let own_parents: BTreeSet<String> = s
            .normalised_techniques()
            .iter()
            .map(|t| parent_technique(t).to_owned())
            .collect();
        let n = self.related.len();
        let related: Vec<RelatedAlert> = self
            .related
            .iter()
            .take(max_related)
            .map(|(r, theirs)| {
                let mut r = r.clone();
                for p in &own_parents {
                    if theirs.binary_search(p).is_ok() {
                        r.signals.push(concat(&["shared_technique:", p]));
                    }
                }
                r
            })
            .collect();
        let hours = window_hours(self.window);
        let summary = if n >= CAMPAIGN_MIN_RELATED {
            format!(
                "Possible coordinated campaign: {} related alerts within {hours}h (this alert + {n} prior).",
                n + 1
            )
        } else if n > 0 {
            format!(
                "{n} related prior alert(s) within {hours}h \u{2014} related activity, below campaign threshold."
            )
        } else {
            format!("No related prior alerts within {hours}h.")
        };
        Correlation {
            is_campaign: n >= CAMPAIGN_MIN_RELATED,
            window_hours: hours,
            related_alerts: related,
            summary,
        }
    }
}

/// The technique-independent part of the correlation of `s` with candidate records.
pub(crate) fn correlation_base<'a>(
    s: &Subject,
    summaries: impl IntoIterator<Item = &'a Summary>,
    window: Duration,
    future_skew: Duration,
) -> CorrelationBase {
    let forms = s.indicator_forms();
    let own = own_forms(&forms);
    let own_ips = s.ipv4s();
    let own_nets: Vec<(String, Option<String>)> =
        own_ips.iter().map(|ip| (ip.clone(), net24(ip))).collect();
    let own_hosts = s.normalised_hosts();
    let w = window_ms(window);
    // Distances between clamped times, as the indexes hold them: an alert dated in the
    // future is as far from the others as its investigation's start.
    let ts = clamped_time(s.timestamp, Utc::now(), future_skew);

    // Per alert (source and id): latest completed, else latest pending.
    let mut by_alert: FastMap<(&str, &str), &Summary> = FastMap::default();
    for rec in summaries {
        if rec.is_alert_of(s) {
            continue;
        }
        let better =
            |cur: &Summary| (!rec.is_pending(), recency(rec)) > (!cur.is_pending(), recency(cur));
        match by_alert.get(&rec.alert_key()) {
            Some(cur) if !better(cur) => {}
            _ => {
                by_alert.insert(rec.alert_key(), rec);
            }
        }
    }

    // (clamped time, the related alert, its parent techniques)
    let mut related: Vec<(i64, RelatedAlert, Vec<String>)> = Vec::new();
    for rec in by_alert.into_values() {
        let at = rec.index_score(future_skew);
        let delta = at.abs_diff(ts);
        if delta > w.unsigned_abs() {
            continue;
        }
        let mut signals: Vec<String> = shared_indicators(&own, rec)
            .into_iter()
            .map(|v| concat(&["shared_ioc:", &v]))
            .collect();
        for (a, net_a) in &own_nets {
            let Some(net_a) = net_a else { continue };
            for b in rec.ipv4s() {
                if b != a && net24(b).as_ref() == Some(net_a) {
                    let sig = concat(&["related_ip:", b, "/24"]);
                    if !signals.contains(&sig) {
                        signals.push(sig);
                    }
                }
            }
        }
        for h in &own_hosts {
            if rec.hosts.contains(h) {
                signals.push(concat(&["shared_host:", h]));
            }
        }
        if signals.is_empty() {
            continue;
        }
        let mut theirs: Vec<String> = rec
            .techniques
            .iter()
            .map(|t| parent_technique(t).to_owned())
            .collect();
        theirs.sort_unstable();
        theirs.dedup();
        related.push((
            at,
            RelatedAlert {
                alert_id: rec.alert_id.clone(),
                timestamp: rec.timestamp,
                verdict: rec.verdict_str().to_owned(),
                signals,
            },
            theirs,
        ));
    }
    // Latest first by clamped time: alerts dated in the future cannot crowd the rest out.
    related.sort_by(|(at_a, a, _), (at_b, b, _)| {
        (at_b, b.timestamp)
            .cmp(&(at_a, a.timestamp))
            .then_with(|| a.alert_id.cmp(&b.alert_id))
    });
    let related = related.into_iter().map(|(_, r, t)| (r, t)).collect();
    CorrelationBase {
        alert_id: s.alert_id.clone(),
        source: s.source.clone(),
        timestamp: s.timestamp,
        indicators: s.indicators.clone(),
        hosts: s.hosts.clone(),
        window,
        related,
    }
}

#[cfg(test)]
mod tests;
