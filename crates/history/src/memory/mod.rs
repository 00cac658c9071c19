//! [`MemoryHistory`]: the embedded history of `soc-copilot investigate`, in one process.
//!
//! The same keys and rules as the Redis store, held in maps behind one mutex (never held
//! across an `.await`): summaries by investigation id, rulings by investigation id, and
//! per index key a set ordered by (alert time, id). Every entry has an expiry with the same
//! TTLs as Redis (pending, retention, ruled retention); expired entries are dropped on
//! every write and ignored on read. At most [`MemoryOptions::max_records`] summaries are
//! kept: past that, the one expiring first goes (so ruled investigations are the last to
//! go).
//!
//! Near-duplicate suppression uses the same index map (the `fp:`, `fpdup:` and `worked:`
//! keys of [`crate::summary`], scored by completion time), looks rulings up directly
//! instead of keeping `fpruled:`, and keeps fingerprint claims in the state (never saved:
//! a claim only matters while its holder runs).
//!
//! # Persistence
//!
//! [`MemoryHistory::open`] loads a history file (see [`file`](mod@file) for its format) and keeps
//! saving to it: after every `record` and `set_ruling` when
//! [`MemoryOptions::autosave`] is on, and whenever [`MemoryHistory::save`] is called.
//! A save writes a temporary file in the same directory, syncs it and renames it over the
//! old one, so a crash leaves either the old or the new file, never half of one. Pending
//! investigations are not saved: a process that stopped cannot complete them. When an
//! automatic save fails, `record`/`set_ruling` return [`HistoryError::File`] but the change
//! is kept in memory (and goes out with the next successful save).

pub mod file;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use soc_core::Investigation;
use soc_core::investigation::{Correlation, PriorSighting};
use tracing::instrument;

use crate::dedup::{
    self, ANCHOR_READ, Candidates, Dedup, DedupIndex, Read, RuledRead, WORKED_READ,
};
use crate::error::HistoryError;
use crate::query::{self, Index};
use crate::subject::Subject;
use crate::summary::{Ruling, Summary, fp_key, fpdup_key, subject_index_keys, worked_key};
use crate::{
    HistorySettings, HistoryStore, Recalled, check_id, check_record, check_subject, still_running,
};

/// Options of the embedded store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryOptions {
    /// Most investigations kept. Default 20,000.
    pub max_records: usize,
    /// Save to the file after every `record` and `set_ruling` (when there is a file).
    /// Default true.
    pub autosave: bool,
}

impl Default for MemoryOptions {
    fn default() -> Self {
        Self {
            max_records: 20_000,
            autosave: true,
        }
    }
}

/// A stored value and when it expires.
#[derive(Debug, Clone)]
struct Stored<T> {
    value: T,
    expires_at: DateTime<Utc>,
}

/// Everything the store holds.
#[derive(Debug, Default)]
struct State {
    records: HashMap<String, Stored<Summary>>,
    rulings: HashMap<String, Stored<Ruling>>,
    /// Index key → (alert time ms, investigation id).
    index: HashMap<String, BTreeSet<(i64, String)>>,
    /// (expiry, investigation id) of every record, for purging and eviction.
    expiry: BTreeSet<(DateTime<Utc>, String)>,
    /// Fingerprint → (holder, expiry) of the near-duplicate claims.
    claims: HashMap<String, (String, DateTime<Utc>)>,
    /// [`HistorySettings::future_skew`], for the index scores ([`Summary::index_score`]).
    future_skew: Duration,
}

/// The in-process history store, optionally kept in a file between runs.
pub struct MemoryHistory {
    state: Mutex<State>,
    settings: HistorySettings,
    options: MemoryOptions,
    path: Option<PathBuf>,
    /// Serialises saves so an older snapshot can never replace a newer one.
    save_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for MemoryHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("MemoryHistory");
        // `try_lock`: formatting must never wait for (or deadlock on) the state.
        if let Ok(st) = self.state.try_lock() {
            d.field("records", &st.records.len())
                .field("rulings", &st.rulings.len())
                .field("index_keys", &st.index.len());
        }
        d.field("path", &self.path)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Adds a duration to a time, saturating far in the future.
fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl State {
    fn remove_record(&mut self, id: &str) {
        if let Some(old) = self.records.remove(id) {
            self.expiry.remove(&(old.expires_at, id.to_owned()));
            let score = old.value.index_score(self.future_skew);
            for k in old.value.index_keys() {
                self.unindex(&k, score, id);
            }
            for (k, at) in old.value.dedup_keys() {
                self.unindex(&k, at, id);
            }
        }
    }

    fn unindex(&mut self, key: &str, score: i64, id: &str) {
        if let Some(set) = self.index.get_mut(key) {
            set.remove(&(score, id.to_owned()));
            if set.is_empty() {
                self.index.remove(key);
            }
        }
    }

    /// Removes `id` from an index key whatever its score.
    fn unindex_id(&mut self, key: &str, id: &str) {
        if let Some(set) = self.index.get_mut(key) {
            set.retain(|(_, i)| i != id);
            if set.is_empty() {
                self.index.remove(key);
            }
        }
    }

    fn index(&mut self, key: String, score: i64, id: &str, cap: usize) {
        let set = self.index.entry(key).or_default();
        set.insert((score, id.to_owned()));
        while set.len() > cap {
            set.pop_first();
        }
    }

    /// Stores a summary with its expiry, re-indexing it; evicts past `max_records`.
    fn put_record(&mut self, summary: Summary, expires_at: DateTime<Utc>, cap: usize, max: usize) {
        let id = summary.investigation_id.clone();
        self.remove_record(&id);
        let score = summary.index_score(self.future_skew);
        for k in summary.index_keys() {
            self.index(k, score, &id, cap);
        }
        for (k, at) in summary.dedup_keys() {
            self.index(k, at, &id, cap);
        }
        self.expiry.insert((expires_at, id.clone()));
        self.records.insert(
            id.clone(),
            Stored {
                value: summary,
                expires_at,
            },
        );
        while self.records.len() > max {
            // The completed record expiring first goes (ruled ones expire last); pending
            // ones are in flight and go by their own short TTL.
            let victim = self
                .expiry
                .iter()
                .map(|(_, v)| v)
                .find(|v| {
                    **v != id
                        && self
                            .records
                            .get(v.as_str())
                            .is_some_and(|r| !r.value.is_pending())
                })
                .cloned();
            let Some(victim) = victim else { break };
            self.remove_record(&victim);
            self.rulings.remove(&victim);
        }
    }

    /// Pushes a record's expiry to at least `at`.
    fn extend(&mut self, id: &str, at: DateTime<Utc>) {
        if let Some(rec) = self.records.get_mut(id)
            && rec.expires_at < at
        {
            self.expiry.remove(&(rec.expires_at, id.to_owned()));
            rec.expires_at = at;
            self.expiry.insert((at, id.to_owned()));
        }
    }

    /// Drops everything expired at `now`.
    fn purge(&mut self, now: DateTime<Utc>) {
        while let Some((t, id)) = self.expiry.first().cloned() {
            if t > now {
                break;
            }
            self.remove_record(&id);
        }
        self.rulings.retain(|_, r| r.expires_at > now);
        self.claims.retain(|_, (_, until)| *until > now);
    }

    /// Drops the claim on `fp` when one of `holders` holds it.
    fn release(&mut self, fp: &str, holders: &[&str]) {
        if self
            .claims
            .get(fp)
            .is_some_and(|(h, _)| holders.contains(&h.as_str()))
        {
            self.claims.remove(fp);
        }
    }

    /// Newest `(score, id)` entries of an index key with a score of at least `min`.
    fn newest(&self, key: &str, min: i64, n: usize) -> Vec<(i64, String)> {
        self.index.get(key).map_or_else(Vec::new, |set| {
            set.range((min, String::new())..)
                .rev()
                .take(n)
                .cloned()
                .collect()
        })
    }

    fn live_record(&self, id: &str, now: DateTime<Utc>) -> Option<&Summary> {
        self.records
            .get(id)
            .filter(|r| r.expires_at > now)
            .map(|r| &r.value)
    }
}

impl MemoryHistory {
    /// An empty store that is never saved.
    pub fn new(settings: HistorySettings, options: MemoryOptions) -> Self {
        let settings = settings.sanitised();
        Self {
            state: Mutex::new(State {
                future_skew: settings.future_skew,
                ..State::default()
            }),
            settings,
            options: MemoryOptions {
                max_records: options.max_records.max(1),
                ..options
            },
            path: None,
            save_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// A store loaded from `path` (empty when the file does not exist yet) and saved back
    /// to it. Reads the file synchronously: call it at start-up.
    ///
    /// # Errors
    ///
    /// [`HistoryError::File`] when the file exists but cannot be read or is over the size
    /// limit; [`HistoryError::Corrupt`] when it is not a history file of this version.
    pub fn open(
        path: impl Into<PathBuf>,
        settings: HistorySettings,
        options: MemoryOptions,
    ) -> Result<Self, HistoryError> {
        let path = path.into();
        let mut store = Self::new(settings, options);
        if let Some(doc) = file::load(&path)? {
            let now = Utc::now();
            let mut st = store.lock();
            for rec in doc.records {
                let summary = rec.summary.bounded();
                if summary.is_pending()
                    || rec.expires_at <= now
                    || check_id("alert id", &summary.alert_id).is_err()
                    || check_id("investigation id", &summary.investigation_id).is_err()
                {
                    continue;
                }
                // A file edited by hand cannot extend an entry past the configured TTLs.
                let longest = after(now, store.settings.ruled_retention);
                st.put_record(
                    summary,
                    rec.expires_at.min(longest),
                    store.settings.index_cap,
                    store.options.max_records,
                );
            }
            for r in doc.rulings {
                if r.expires_at <= now || check_id("investigation id", &r.investigation_id).is_err()
                {
                    continue;
                }
                let expires_at = r.expires_at.min(after(now, store.settings.ruled_retention));
                st.rulings.insert(
                    r.investigation_id,
                    Stored {
                        value: r.ruling.bounded(),
                        expires_at,
                    },
                );
            }
            drop(st);
        }
        store.path = Some(path);
        Ok(store)
    }

    /// The file this store saves to, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Number of live investigations held (pending included).
    pub fn len(&self) -> usize {
        let now = Utc::now();
        self.lock()
            .records
            .values()
            .filter(|r| r.expires_at > now)
            .count()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the store to its file now (atomically: temporary file + rename). Does
    /// nothing for a store without a file.
    ///
    /// # Errors
    ///
    /// [`HistoryError::File`] when the file cannot be written.
    pub async fn save(&self) -> Result<(), HistoryError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let _serial = self.save_lock.lock().await;
        let bytes = {
            let mut st = self.lock();
            st.purge(Utc::now());
            file::encode(
                st.records.values().map(|r| (&r.value, r.expires_at)),
                st.rulings
                    .iter()
                    .map(|(id, r)| (id.as_str(), &r.value, r.expires_at)),
            )
        }
        .map_err(|reason| HistoryError::File {
            path: path.display().to_string(),
            reason,
        })?;
        let shown = path.display().to_string();
        tokio::task::spawn_blocking(move || file::write_atomic(&path, &bytes))
            .await
            .map_err(|e| HistoryError::File {
                path: shown,
                reason: format!("save task failed: {e}"),
            })?
    }

    async fn autosave(&self) -> Result<(), HistoryError> {
        if self.options.autosave {
            self.save().await
        } else {
            Ok(())
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Index for MemoryHistory {
    async fn members(
        &self,
        keys: &[String],
        range: Option<(i64, i64)>,
        per_key: usize,
    ) -> Result<Vec<Vec<String>>, HistoryError> {
        let (lo, hi) = range.unwrap_or((i64::MIN, i64::MAX));
        let st = self.lock();
        Ok(keys
            .iter()
            .map(|k| {
                st.index.get(k).map_or_else(Vec::new, |set| {
                    set.range((lo, String::new())..)
                        .rev()
                        .skip_while(|(score, _)| *score > hi)
                        .take(per_key)
                        .map(|(_, id)| id.clone())
                        .collect()
                })
            })
            .collect())
    }

    async fn summaries(&self, ids: &[String]) -> Result<Vec<Arc<Summary>>, HistoryError> {
        let now = Utc::now();
        let st = self.lock();
        Ok(ids
            .iter()
            .filter_map(|id| st.live_record(id, now).map(|r| Arc::new(r.clone())))
            .collect())
    }

    async fn rulings(&self, ids: &[String]) -> Result<Vec<(String, Ruling)>, HistoryError> {
        let now = Utc::now();
        let st = self.lock();
        Ok(ids
            .iter()
            .filter_map(|id| {
                st.rulings
                    .get(id)
                    .filter(|r| r.expires_at > now)
                    .map(|r| (id.clone(), r.value.clone()))
            })
            .collect())
    }
}

#[async_trait]
impl DedupIndex for MemoryHistory {
    async fn candidates(
        &self,
        alert_id: &str,
        fp: &str,
        since_ms: i64,
        cap: usize,
    ) -> Result<Candidates, HistoryError> {
        let now = Utc::now();
        let st = self.lock();
        let ids = |v: Vec<(i64, String)>| v.into_iter().map(|(_, id)| id).collect();
        let (fp_key, fpdup_key) = (fp_key(fp), fpdup_key(fp));
        let ruled = [&fp_key, &fpdup_key]
            .into_iter()
            .filter_map(|k| st.index.get(k.as_str()))
            .flatten()
            .filter_map(|(_, id)| {
                let r = st.rulings.get(id).filter(|r| r.expires_at > now)?;
                Some((id.clone(), r.value.recorded_at.timestamp_millis()))
            })
            .collect();
        Ok(Candidates {
            worked: ids(st.newest(&worked_key(alert_id), i64::MIN, WORKED_READ)),
            anchors: ids(st.newest(&fp_key, since_ms, ANCHOR_READ)),
            suppressed_at: st
                .newest(&fpdup_key, since_ms, cap)
                .into_iter()
                .map(|(at, _)| at)
                .collect(),
            ruled,
        })
    }

    async fn try_claim(
        &self,
        fp: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<String>, HistoryError> {
        let now = Utc::now();
        let mut st = self.lock();
        match st.claims.get(fp) {
            Some((h, until)) if *until > now && h != holder => Ok(Some(h.clone())),
            _ => {
                st.claims
                    .insert(fp.to_owned(), (holder.to_owned(), after(now, ttl)));
                Ok(None)
            }
        }
    }

    async fn claim(&self, fp: &str) -> Result<Option<(String, Duration)>, HistoryError> {
        let now = Utc::now();
        Ok(self
            .lock()
            .claims
            .get(fp)
            .filter(|(_, until)| *until > now)
            .map(|(h, until)| (h.clone(), (*until - now).to_std().unwrap_or_default())))
    }

    async fn ruled(&self, ids: &[String]) -> Result<Vec<RuledRead>, HistoryError> {
        let now = Utc::now();
        let st = self.lock();
        Ok(ids
            .iter()
            .map(|id| RuledRead {
                id: id.clone(),
                summary: Read::from_option(st.live_record(id, now).cloned()),
                ruling: Read::from_option(
                    st.rulings
                        .get(id)
                        .filter(|r| r.expires_at > now)
                        .map(|r| r.value.clone()),
                ),
            })
            .collect())
    }

    async fn release(&self, fp: &str, holders: &[&str]) -> Result<(), HistoryError> {
        self.lock().release(fp, holders);
        Ok(())
    }
}

#[async_trait]
impl HistoryStore for MemoryHistory {
    #[instrument(name = "history.begin", skip_all, err(level = "debug"))]
    async fn begin(&self, s: &Subject) -> Result<(), HistoryError> {
        check_subject(s)?;
        let now = Utc::now();
        let mut st = self.lock();
        st.purge(now);
        if st.live_record(&s.investigation_id, now).is_some() {
            return Ok(());
        }
        st.put_record(
            Summary::pending(s, now),
            after(now, self.settings.pending_ttl),
            self.settings.index_cap,
            self.options.max_records,
        );
        Ok(())
    }

    #[instrument(name = "history.record", skip_all, err(level = "debug"))]
    async fn record(&self, s: &Subject, inv: &Investigation) -> Result<(), HistoryError> {
        check_record(s, inv)?;
        let now = Utc::now();
        {
            let mut st = self.lock();
            st.purge(now);
            let begun_at = st
                .live_record(&s.investigation_id, now)
                .map_or(now, |p| p.begun_at);
            let summary = Summary::completed(s, inv, begun_at, now);
            let ttl = if st.rulings.contains_key(&summary.investigation_id) {
                self.settings.ruled_retention
            } else {
                self.settings.retention
            };
            if s.investigation_id != summary.investigation_id {
                st.remove_record(&s.investigation_id);
                // Entries of a subject whose pending summary had already gone (their
                // score depended on its start time: removed by id).
                for k in subject_index_keys(s).all() {
                    st.unindex_id(&k, &s.investigation_id);
                }
            }
            let (fp, held_by) = (
                summary.fingerprint.clone(),
                summary.investigation_id.clone(),
            );
            st.put_record(
                summary,
                after(now, ttl),
                self.settings.index_cap,
                self.options.max_records,
            );
            if !fp.is_empty() {
                st.release(&fp, &[&s.investigation_id, &held_by]);
            }
        }
        self.autosave().await
    }

    #[instrument(name = "history.prior_sightings", skip_all, err(level = "debug"))]
    async fn prior_sightings(&self, s: &Subject) -> Result<Vec<PriorSighting>, HistoryError> {
        query::prior_sightings(self, s, &self.settings).await
    }

    #[instrument(name = "history.correlate", skip_all, err(level = "debug"))]
    async fn correlate(&self, s: &Subject, window: Duration) -> Result<Correlation, HistoryError> {
        query::correlate(self, s, window, &self.settings).await
    }

    #[instrument(name = "history.recall", skip_all, err(level = "debug"))]
    async fn recall(&self, s: &Subject, window: Duration) -> Result<Recalled, HistoryError> {
        query::recall(self, s, window, &self.settings).await
    }

    #[instrument(name = "history.set_ruling", skip_all, err(level = "debug"))]
    async fn set_ruling(&self, investigation_id: &str, r: &Ruling) -> Result<(), HistoryError> {
        check_id("investigation id", investigation_id)?;
        let now = Utc::now();
        {
            let mut st = self.lock();
            st.purge(now);
            match st.live_record(investigation_id, now) {
                None => {
                    return Err(HistoryError::UnknownInvestigation {
                        investigation_id: investigation_id.to_owned(),
                    });
                }
                Some(rec) if rec.is_pending() => return Err(still_running(investigation_id)),
                Some(_) => {}
            }
            let until = after(now, self.settings.ruled_retention);
            st.extend(investigation_id, until);
            st.rulings.insert(
                investigation_id.to_owned(),
                Stored {
                    value: r.clone().bounded(),
                    expires_at: until,
                },
            );
        }
        self.autosave().await
    }

    async fn ruling(&self, investigation_id: &str) -> Result<Option<Ruling>, HistoryError> {
        check_id("investigation id", investigation_id)?;
        let now = Utc::now();
        Ok(self
            .lock()
            .rulings
            .get(investigation_id)
            .filter(|r| r.expires_at > now)
            .map(|r| r.value.clone()))
    }

    async fn summary(&self, investigation_id: &str) -> Result<Option<Summary>, HistoryError> {
        check_id("investigation id", investigation_id)?;
        Ok(self
            .lock()
            .live_record(investigation_id, Utc::now())
            .cloned())
    }

    #[instrument(name = "history.dedup", skip_all, fields(decision = tracing::field::Empty), err(level = "debug"))]
    async fn dedup(
        &self,
        s: &Subject,
        fingerprint: &str,
        new_alert_injection: bool,
        now: DateTime<Utc>,
    ) -> Result<Dedup, HistoryError> {
        let d = dedup::dedup(
            self,
            s,
            fingerprint,
            new_alert_injection,
            now,
            &self.settings,
        )
        .await?;
        tracing::Span::current().record("decision", d.label());
        Ok(d)
    }

    async fn release_fingerprint(
        &self,
        fingerprint: &str,
        investigation_id: &str,
    ) -> Result<(), HistoryError> {
        check_id("fingerprint", fingerprint)?;
        check_id("investigation id", investigation_id)?;
        self.lock().release(fingerprint, &[investigation_id]);
        Ok(())
    }
}
