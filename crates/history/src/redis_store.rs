//! [`RedisHistory`]: the fleet's history in Redis (7.0 or newer: `EXPIRE … NX|GT`).
//!
//! Keys, under the deployment prefix (`soc:` by default; see [`crate::summary`]):
//! `inv:{id}` and `ruling:{id}` are JSON strings (a ruling also carries the `alert` of
//! its investigation, `source` and `alert_id`, so dedup need not read the record to
//! know it; rulings stored before lack it); `ioc:{kind}:{value}`, `host:{h}` and
//! `net24:{a.b.c}` are sorted sets of investigation ids scored by the alert's own time in
//! milliseconds (no later than the investigation's start plus
//! [`HistorySettings::future_skew`], [`Summary::index_score`]), so a correlation window is
//! one `ZRANGE … BYSCORE REV LIMIT` per key.
//!
//! Every key has a TTL:
//! - a pending summary: [`HistorySettings::pending_ttl`];
//! - a completed summary: [`HistorySettings::retention`], or
//!   [`HistorySettings::ruled_retention`] once ruled;
//! - a ruling: `ruled_retention`;
//! - an index key: set on creation (`EXPIRE NX`) and pushed later on each write
//!   (`EXPIRE GT`, never shortened), so a key lives as long as its longest-lived entry
//!   needs. `begin` lists an investigation for the retention plus `pending_ttl`, so a
//!   `record` within half of `pending_ttl` need not touch those keys again. Each index key keeps at most [`HistorySettings::index_cap`] ids (the newest by
//!   alert time); ids whose summary has expired are skipped on read.
//!
//! Near-duplicate suppression adds `fp:`, `fpdup:` and `worked:` (sorted sets scored by
//! completion time, written by `record`, same TTL rules), `fpruled:` (written by
//! `set_ruling`, `ruled_retention`) and the claim `fplock:{fingerprint}` (a string holding
//! the claiming investigation's id, `PX` [`crate::DedupSettings::claim_ttl`]; taken by a
//! script that is re-entrant for its holder, released by compare-and-delete, inside
//! `record`'s transaction so the new anchor and the released claim are seen together).
//!
//! Writes that must be seen together (`begin`, `record`, `set_ruling`) are one MULTI/EXEC
//! transaction. Reads are pipelines: `recall` and `correlate` are two round trips each
//! (the candidate lists, then their summaries and rulings; a server-side script doing
//! both in one cost Redis about five times the CPU, since every summary passed through
//! Lua), `prior_sightings` is three (index keys, summaries, rulings) and one pass of
//! `dedup`'s gates two to four: the candidates; the summaries of the alert's and the
//! anchor candidates; once gates 2–4 pass and the fingerprint has rulings, every ruling
//! with one `EXISTS` counting their records, not reading them (the records of rulings
//! past their retention, usually gone, are read with them); and only when a ruling is not
//! a readable false positive, lacks its alert or a record is gone, the records.
//! Commands that follow each other share a round trip where the second does not
//! depend on the first's answer: `begin_and_recall` sends the registration and the
//! candidate lists as one transaction, and taking a fingerprint claim reads the dedup
//! candidates right after it in the same pipeline (used only when the claim is taken).
//! A read of several round trips is not a snapshot: a summary listed in the first can be
//! gone (expired, or a pending one replaced under another id) or completed by the second,
//! and is then left out or read as it is then, as the in-memory store's reads do.
//! Every call is bounded by a timeout. Summaries are still read in full every time, but a
//! text parsed before is not parsed again: a bounded memo keyed by the stored text itself
//! (so a summary that changed is parsed afresh) answers with the same value.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use soc_core::Investigation;
use soc_core::investigation::{Correlation, PriorSighting};
use tracing::{debug, instrument};

use crate::dedup::{
    self, ANCHOR_READ, Candidates, Claim, Dedup, DedupIndex, FirstRead, Read, RuledRead,
    RulingRead, WORKED_READ,
};
use crate::error::HistoryError;
use crate::parsed::ParsedSummaries;
use crate::query::{self, Index, RecallRead};
use crate::subject::Subject;
use crate::summary::{
    Ruling, Summary, concat, fp_key, fpdup_key, fplock_key, fpruled_key, inv_key, ruling_key,
    subject_index_keys, worked_key,
};
use crate::{
    HistorySettings, HistoryStore, Recalled, check_id, check_record, check_subject, millis,
    still_running,
};

/// Default timeout of one Redis round trip.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Installs rustls' ring provider as the process default, for `rediss://` (the workspace
/// builds rustls with ring only; see soc-intel's `tls`). Idempotent: a provider already
/// installed, by the binary or another crate, is kept.
fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _already = rustls::crypto::ring::default_provider().install_default();
}

/// Ids read per `MGET`.
const MGET_CHUNK: usize = 500;

/// Takes a fingerprint claim: KEYS[1] the claim, ARGV[1] the holder, ARGV[2] the TTL (ms).
/// Answers nil when ARGV[1] has it now, else the holder that has it. Re-entrant: the
/// holder taking it again renews it.
const CLAIM: &str = "local v = redis.call('GET', KEYS[1]) \
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return false end \
if v then return v end \
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return false";

/// Releases a fingerprint claim held by ARGV[1] or ARGV[2].
const RELEASE: &str = "local v = redis.call('GET', KEYS[1]) \
if v and (v == ARGV[1] or v == ARGV[2]) then return redis.call('DEL', KEYS[1]) end \
return 0";

/// The history store of the fleet: shared by every worker through one Redis.
#[derive(Clone)]
pub struct RedisHistory {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    settings: HistorySettings,
    /// Summaries parsed before, by their stored text (shared by the clones).
    parsed: Arc<ParsedSummaries>,
}

impl std::fmt::Debug for RedisHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHistory")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RedisHistory {
    /// A store over `conn` with key prefix `prefix` (`soc:`), the default timeout.
    pub fn new(
        conn: ConnectionManager,
        prefix: impl Into<String>,
        settings: HistorySettings,
    ) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
            timeout: DEFAULT_TIMEOUT,
            settings: settings.sanitised(),
            parsed: Arc::default(),
        }
    }

    /// The same store with another per-call timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// A lazily connecting store for `url` (nothing is sent until the first call).
    ///
    /// `rediss://` connects over TLS, verifying the server against the system's roots or
    /// those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (read at each connection). The
    /// rustls ring provider is installed as the process default if none is yet.
    ///
    /// # Errors
    ///
    /// [`HistoryError::InvalidUrl`] when no client can be built from the URL: the message
    /// names the setting and the reason, never the URL.
    pub fn connect_lazy(
        url: &str,
        prefix: impl Into<String>,
        settings: HistorySettings,
    ) -> Result<Self, HistoryError> {
        install_crypto_provider();
        let client = redis::Client::open(url).map_err(|e| HistoryError::client(&e))?;
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_TIMEOUT))
            .set_response_timeout(Some(DEFAULT_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn = ConnectionManager::new_lazy_with_config(client, cfg)
            .map_err(|e| HistoryError::client(&e))?;
        Ok(Self::new(conn, prefix, settings))
    }

    /// The settings in force.
    pub fn settings(&self) -> &HistorySettings {
        &self.settings
    }

    /// The full key of a relative one.
    pub fn key(&self, relative: &str) -> String {
        concat(&[&self.prefix, relative])
    }

    /// Runs a pipeline (or transaction) with the timeout.
    async fn pipe<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        p: &redis::Pipeline,
    ) -> Result<T, HistoryError> {
        let mut c = self.conn.clone();
        match tokio::time::timeout(self.timeout, p.query_async::<T>(&mut c)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(HistoryError::redis(op, &e)),
            Err(_) => Err(HistoryError::Timeout { op }),
        }
    }

    /// Runs one command with the timeout.
    async fn cmd<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        cmd: &redis::Cmd,
    ) -> Result<T, HistoryError> {
        let mut c = self.conn.clone();
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut c)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(HistoryError::redis(op, &e)),
            Err(_) => Err(HistoryError::Timeout { op }),
        }
    }

    /// Adds the commands listing `id` under `key` (relative) with `score`: the entry, the
    /// key's TTL (set if none, else only ever extended) and the cap.
    fn index_write(&self, p: &mut redis::Pipeline, key: &str, score: i64, id: &str, ttl: Duration) {
        let k = self.key(key);
        let ms = millis(ttl);
        let mut zadd = sized("ZADD", 4, k.len() + id.len() + NUMBER_ROOM);
        zadd.arg(&k).arg(score).arg(id);
        p.add_command(zadd).ignore();
        for mode in ["NX", "GT"] {
            let mut expire = sized("PEXPIRE", 4, k.len() + NUMBER_ROOM);
            expire.arg(&k).arg(ms).arg(mode);
            p.add_command(expire).ignore();
        }
        let cap = i64::try_from(self.settings.index_cap).unwrap_or(i64::MAX);
        let mut trim = sized("ZREMRANGEBYRANK", 4, k.len() + 2 * NUMBER_ROOM);
        trim.arg(&k).arg(0).arg(-(cap.saturating_add(1)));
        p.add_command(trim).ignore();
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static str,
        key: &str,
    ) -> Result<Option<T>, HistoryError> {
        let raw: Option<String> = self.cmd(op, redis::cmd("GET").arg(self.key(key))).await?;
        Ok(raw.and_then(|s| match serde_json::from_str(&s) {
            Ok(v) => Some(v),
            Err(e) => {
                debug!(error = %e, "Unreadable history entry skipped");
                None
            }
        }))
    }

    /// `MGET` of relative keys in chunks, one pipeline.
    async fn mget(
        &self,
        op: &'static str,
        keys: &[String],
    ) -> Result<Vec<Option<String>>, HistoryError> {
        let mut p = redis::pipe();
        self.add_mget(&mut p, keys);
        let parts: Vec<Vec<Option<String>>> = self.pipe(op, &p).await?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Adds `MGET`s of relative keys in chunks to `p`; returns how many commands it added
    /// (none for no keys).
    fn add_mget(&self, p: &mut redis::Pipeline, keys: &[String]) -> usize {
        self.add_chunked(p, "MGET", keys)
    }

    /// Adds `name` (`MGET`, `EXISTS`) over relative keys in chunks to `p`; returns how
    /// many commands it added (none for no keys).
    fn add_chunked(&self, p: &mut redis::Pipeline, name: &str, keys: &[String]) -> usize {
        let mut n = 0;
        for chunk in keys.chunks(MGET_CHUNK) {
            let mut c = redis::cmd(name);
            for k in chunk {
                c.arg(self.key(k));
            }
            p.add_command(c);
            n += 1;
        }
        n
    }

    /// Adds a recall's candidate lists to `p`: the newest ids under each of the plan's
    /// `ioc:` keys (the prior sightings', scored at most `prior_max`), then under every
    /// key within the correlation range. Returns how many lists of the first kind it
    /// added.
    fn candidate_lists(
        &self,
        p: &mut redis::Pipeline,
        plan: &query::RecallPlan,
        st: &HistorySettings,
    ) -> usize {
        let ioc_keys = plan.ioc_keys();
        let prior_max = plan.prior_max.to_string();
        let (hi, lo) = (plan.range.1.to_string(), plan.range.0.to_string());
        for k in ioc_keys {
            self.newest(p, k, &prior_max, "-inf", st.fanout);
        }
        for k in &plan.keys {
            self.newest(p, k, &hi, &lo, st.fanout);
        }
        ioc_keys.len()
    }

    /// The rest of a recall once the candidate lists (as added by
    /// [`Self::candidate_lists`], `n_ioc` of the first kind) are read: interleaved, then
    /// the summaries of both lists' ids and the prior candidates' rulings in one round trip.
    async fn recall_fetch(
        &self,
        op: &'static str,
        mut lists: Vec<Vec<String>>,
        n_ioc: usize,
        st: &HistorySettings,
    ) -> Result<RecallRead, HistoryError> {
        let corr_lists = lists.split_off(n_ioc.min(lists.len()));
        let prior_ids = query::interleave(lists, st.max_candidates);
        let corr_ids = query::interleave(corr_lists, st.max_candidates);
        let union = query::union_of(&prior_ids, &corr_ids);
        if union.is_empty() {
            return Ok(RecallRead::default());
        }
        let mut p = redis::pipe();
        let inv_keys: Vec<String> = union.iter().map(|id| inv_key(id)).collect();
        let summary_chunks = self.add_mget(&mut p, &inv_keys);
        let ruling_keys: Vec<String> = prior_ids.iter().map(|id| ruling_key(id)).collect();
        self.add_mget(&mut p, &ruling_keys);
        let mut parts: Vec<Vec<Option<String>>> = self.pipe(op, &p).await?;
        let rulings_raw: Vec<Option<String>> = parts
            .split_off(summary_chunks.min(parts.len()))
            .into_iter()
            .flatten()
            .collect();
        Ok(RecallRead {
            summaries: self.parsed.parse(parts.into_iter().flatten().collect()),
            rulings: parse_rulings(&prior_ids, rulings_raw),
            prior_ids,
            corr_ids,
        })
    }

    /// Adds `begin`'s writes for `s` to `p` (a transaction): the pending summary and an
    /// entry under every index key.
    fn begin_writes(&self, p: &mut redis::Pipeline, s: &Subject) -> Result<(), HistoryError> {
        let summary = Summary::pending(s, Utc::now());
        let json = soc_core::json::to_string(&summary)
            .map_err(|e| HistoryError::invalid(format!("summary not serialisable: {e}")))?;
        let score = summary.index_score(self.settings.future_skew);
        // NX: a completed summary is never turned back into a pending one.
        p.cmd("SET")
            .arg(self.key(&inv_key(&s.investigation_id)))
            .arg(json)
            .arg("PX")
            .arg(millis(self.settings.pending_ttl))
            .arg("NX")
            .ignore();
        // The entries outlive the retention by `pending_ttl`: a `record` within half of it
        // then finds its keys living long enough for the completed summary and writes
        // nothing to them (`listed_by_begin`).
        let ttl = self
            .settings
            .retention
            .saturating_add(self.settings.pending_ttl);
        for k in subject_index_keys(s).all() {
            self.index_write(p, &k, score, &s.investigation_id, ttl);
        }
        Ok(())
    }

    /// Adds a dedup pass's four candidate reads to `p` (see [`Candidates`]).
    fn candidate_reads(
        &self,
        p: &mut redis::Pipeline,
        alert_id: &str,
        fp: &str,
        since_ms: i64,
        cap: usize,
    ) {
        let since = since_ms.to_string();
        self.newest(p, &worked_key(alert_id), "+inf", "-inf", WORKED_READ);
        self.newest(p, &fp_key(fp), "+inf", &since, ANCHOR_READ);
        self.newest(p, &fpdup_key(fp), "+inf", &since, cap);
        p.arg("WITHSCORES");
        // Every ruled investigation of the fingerprint (the key is capped at `index_cap`),
        // as the memory store reads them: an old overturn under many newer
        // false-positive rulings must still block (gate 5). Their rulings are read only
        // once gates 2–4 pass, their records seldom (`rulings_first`).
        self.newest(p, &fpruled_key(fp), "+inf", "-inf", self.settings.index_cap);
        p.arg("WITHSCORES");
    }

    /// The script taking the claim on `fp` for `holder`.
    fn claim_cmd(&self, fp: &str, holder: &str, ttl: Duration) -> redis::Cmd {
        let mut c = redis::cmd("EVAL");
        c.arg(CLAIM)
            .arg(1)
            .arg(self.key(&fplock_key(fp)))
            .arg(holder)
            .arg(millis(ttl));
        c
    }

    /// Adds the newest-first listing of at most `n` ids under `key` (relative) with a
    /// score from `max` down to `min` to `p`.
    fn newest(&self, p: &mut redis::Pipeline, key: &str, max: &str, min: &str, n: usize) {
        let k = self.key(key);
        let mut c = sized(
            "ZRANGE",
            9,
            k.len() + max.len() + min.len() + 2 * NUMBER_ROOM,
        );
        c.arg(k)
            .arg(max)
            .arg(min)
            .arg("BYSCORE")
            .arg("REV")
            .arg("LIMIT")
            .arg(0)
            .arg(n);
        p.add_command(c);
    }
}

#[async_trait]
impl Index for RedisHistory {
    async fn members(
        &self,
        keys: &[String],
        range: Option<(i64, i64)>,
        per_key: usize,
    ) -> Result<Vec<Vec<String>>, HistoryError> {
        let (max, min) = match range {
            Some((lo, hi)) => (hi.to_string(), lo.to_string()),
            None => ("+inf".to_owned(), "-inf".to_owned()),
        };
        let mut p = redis::pipe();
        for k in keys {
            self.newest(&mut p, k, &max, &min, per_key);
        }
        self.pipe("members", &p).await
    }

    async fn summaries(&self, ids: &[String]) -> Result<Vec<Arc<Summary>>, HistoryError> {
        let keys: Vec<String> = ids.iter().map(|id| inv_key(id)).collect();
        Ok(self.parsed.parse(self.mget("summaries", &keys).await?))
    }

    async fn rulings(&self, ids: &[String]) -> Result<Vec<(String, Ruling)>, HistoryError> {
        let keys: Vec<String> = ids.iter().map(|id| ruling_key(id)).collect();
        let raw = self.mget("rulings", &keys).await?;
        Ok(parse_rulings(ids, raw))
    }

    async fn recall_read(
        &self,
        plan: &query::RecallPlan,
        st: &HistorySettings,
    ) -> Result<RecallRead, HistoryError> {
        if plan.keys.is_empty() {
            return Ok(RecallRead::default());
        }
        // Round trip 1: the candidate lists; round trip 2: their summaries and rulings.
        let mut p = redis::pipe();
        let n_ioc = self.candidate_lists(&mut p, plan, st);
        let lists: Vec<Vec<String>> = self.pipe("recall", &p).await?;
        self.recall_fetch("recall", lists, n_ioc, st).await
    }
}

/// The four candidate lists of a dedup pass as read (see `RedisHistory::candidate_reads`).
type CandidateReads = (
    Vec<String>,
    Vec<String>,
    Vec<(String, f64)>,
    Vec<(String, f64)>,
);

/// Bytes to reserve for a command's name and keywords plus one number argument.
const NUMBER_ROOM: usize = 24;

/// A command named `name` with room for `args` arguments (the name included) and `bytes`
/// bytes of arguments besides the name: its two buffers are allocated once, not regrown
/// argument by argument (a worker builds dozens of these per alert).
fn sized(name: &str, args: usize, bytes: usize) -> redis::Cmd {
    let mut c = redis::Cmd::with_capacity(args, name.len() + bytes);
    c.arg(name);
    c
}

/// The index keys (relative) `begin` already lists the completed `summary` under with
/// the score `record` would write: for these, `record` at most extends the key's TTL to
/// the summary's (`begin` registered the same investigation id with the same score, in the
/// same transaction as the pending record read back, and set the retention plus
/// `pending_ttl` from its own time). The flag says the keys already live long enough, so
/// not even that is needed: the investigation took less than half of `pending_ttl`, which
/// leaves the other half for `record`'s own transaction to run. Only when the pending record is `summary`'s own and still pending (not an
/// earlier completed one), the investigation is unruled, it began less than a retention
/// ago (so `begin`'s keys cannot have expired) and the score is the alert's own time: a
/// clamped score depends on when an investigation began, and another `begin` of the same
/// id may have written another. Otherwise none, and `record` writes every entry.
fn listed_by_begin(
    pending: Option<&Summary>,
    summary: &Summary,
    score: i64,
    ruled: bool,
    settings: &HistorySettings,
) -> (Vec<String>, bool) {
    let took = |p: &Summary| {
        summary
            .investigated_at
            .and_then(|done| (done - p.begun_at).to_std().ok())
    };
    let recent = |p: &Summary| took(p).is_some_and(|t| t < settings.retention);
    match pending {
        Some(p)
            if !ruled
                && p.is_pending()
                && p.investigation_id == summary.investigation_id
                && recent(p)
                && p.index_score(settings.future_skew) == score
                && score == summary.timestamp.timestamp_millis() =>
        {
            let quick = took(p).is_some_and(|t| t < settings.pending_ttl / 2);
            (p.index_keys(), quick)
        }
        _ => (Vec::new(), false),
    }
}

fn candidates_from((worked, anchors, dups, ruled): CandidateReads) -> Candidates {
    Candidates {
        worked,
        anchors,
        // Scores are whole milliseconds, exact in an f64.
        suppressed_at: dups.into_iter().map(|(_, at)| at as i64).collect(),
        ruled: ruled.into_iter().map(|(id, at)| (id, at as i64)).collect(),
    }
}

/// One stored JSON text as read: absent, unreadable, or parsed.
fn read_json<T: serde::de::DeserializeOwned>(raw: Option<String>) -> Read<T> {
    match raw {
        None => Read::Absent,
        Some(text) => match serde_json::from_str::<T>(&text) {
            Ok(v) => Read::Readable(v),
            Err(e) => {
                debug!(error = %e, "Unreadable history entry");
                Read::Unreadable
            }
        },
    }
}

/// A summary as read for gate 5: absent, unreadable, or parsed and bounded.
fn read_record(raw: Option<String>) -> Read<Summary> {
    match read_json::<Summary>(raw) {
        Read::Readable(s) => Read::Readable(s.bounded()),
        other => other,
    }
}

/// The alert of a ruled investigation, stored with its ruling (see [`StoredRuling`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct RuledAlert {
    source: String,
    alert_id: String,
}

/// A ruling as `set_ruling` stores it: the [`Ruling`]'s fields and the `alert` of the
/// ruled investigation, taken from its record, so that dedup's gate 5 can tell which
/// alert a ruling is on without reading the record. Readers of a [`Ruling`] ignore the
/// extra field; rulings stored before it existed lack it, and gate 5 reads their records.
#[derive(serde::Serialize)]
struct StoredRuling<'a> {
    #[serde(flatten)]
    ruling: &'a Ruling,
    alert: RuledAlert,
}

/// The `alert` of a stored ruling, read on its own (every other field ignored).
#[derive(serde::Deserialize)]
struct AlertOfRuling {
    #[serde(default)]
    alert: Option<RuledAlert>,
}

/// A ruling as read for gate 5, with the alert stored next to it. The ruling is read as
/// a [`Ruling`] exactly as elsewhere; an `alert` that is missing or malformed only leaves
/// the alert unknown (the record is then read).
fn read_ruling(raw: Option<String>) -> RulingRead {
    let Some(text) = raw else {
        return RulingRead::ABSENT;
    };
    match serde_json::from_str::<Ruling>(&text) {
        Ok(r) => RulingRead {
            ruling: Read::Readable(r.bounded()),
            alert: serde_json::from_str::<AlertOfRuling>(&text)
                .ok()
                .and_then(|a| a.alert)
                .map(|a| (a.source, a.alert_id)),
        },
        Err(e) => {
            debug!(error = %e, "Unreadable history entry");
            RulingRead {
                ruling: Read::Unreadable,
                alert: None,
            }
        }
    }
}

/// One reply of a pipeline as `T`.
fn decode<T: redis::FromRedisValue>(op: &'static str, v: redis::Value) -> Result<T, HistoryError> {
    redis::from_redis_value(v).map_err(|e| HistoryError::redis(op, &e.into()))
}

/// Rulings of `ids` (`raw` in the same order); absent and unreadable ones left out.
fn parse_rulings(ids: &[String], raw: Vec<Option<String>>) -> Vec<(String, Ruling)> {
    ids.iter()
        .zip(raw)
        .filter_map(|(id, s)| {
            let r = serde_json::from_str::<Ruling>(&s?).ok()?;
            Some((id.clone(), r.bounded()))
        })
        .collect()
}

#[async_trait]
impl DedupIndex for RedisHistory {
    async fn candidates(
        &self,
        alert_id: &str,
        fp: &str,
        since_ms: i64,
        cap: usize,
    ) -> Result<Candidates, HistoryError> {
        let mut p = redis::pipe();
        self.candidate_reads(&mut p, alert_id, fp, since_ms, cap);
        let read: CandidateReads = self.pipe("dedup", &p).await?;
        Ok(candidates_from(read))
    }

    async fn claim_then_candidates(
        &self,
        fp: &str,
        holder: &str,
        ttl: Duration,
        alert_id: &str,
        since_ms: i64,
        cap: usize,
    ) -> Result<Claim, HistoryError> {
        // Redis runs a pipeline's commands in order: the reads see the claim taken.
        let mut p = redis::pipe();
        p.add_command(self.claim_cmd(fp, holder, ttl));
        self.candidate_reads(&mut p, alert_id, fp, since_ms, cap);
        let (held_by, w, a, d, r): (Option<String>, Vec<String>, Vec<String>, _, _) =
            self.pipe("claim", &p).await?;
        Ok(match held_by {
            Some(other) => Claim::HeldBy(other),
            None => Claim::Taken(candidates_from((w, a, d, r))),
        })
    }

    async fn try_claim(
        &self,
        fp: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<String>, HistoryError> {
        self.cmd("claim", &self.claim_cmd(fp, holder, ttl)).await
    }

    async fn claim(&self, fp: &str) -> Result<Option<(String, Duration)>, HistoryError> {
        let k = self.key(&fplock_key(fp));
        let mut p = redis::pipe();
        p.cmd("GET").arg(&k);
        p.cmd("PTTL").arg(&k);
        let (holder, left): (Option<String>, i64) = self.pipe("claim", &p).await?;
        Ok(holder.map(|h| (h, Duration::from_millis(left.max(0).unsigned_abs()))))
    }

    async fn ruled(&self, ids: &[String]) -> Result<Vec<RuledRead>, HistoryError> {
        // One round trip: the summaries, then the rulings.
        let mut p = redis::pipe();
        let inv_keys: Vec<String> = ids.iter().map(|id| inv_key(id)).collect();
        let summary_chunks = self.add_mget(&mut p, &inv_keys);
        let ruling_keys: Vec<String> = ids.iter().map(|id| ruling_key(id)).collect();
        self.add_mget(&mut p, &ruling_keys);
        let mut parts: Vec<Vec<Option<String>>> = self.pipe("dedup", &p).await?;
        let rulings = parts.split_off(summary_chunks.min(parts.len()));
        // An id the answer does not cover is left out (read as absent by the gates).
        Ok(ids
            .iter()
            .zip(parts.into_iter().flatten())
            .zip(rulings.into_iter().flatten())
            .map(|((id, summary), ruling)| RuledRead {
                id: id.clone(),
                summary: read_record(summary),
                ruling: match read_json::<Ruling>(ruling) {
                    Read::Readable(r) => Read::Readable(r.bounded()),
                    other => other,
                },
            })
            .collect())
    }

    async fn rulings_first(
        &self,
        _fp: &str,
        recent: &[String],
        lapsed: &[String],
    ) -> Result<FirstRead, HistoryError> {
        // One round trip: every ruling (each with its alert, when stored with it), an
        // `EXISTS` counting the recent ones' records without reading them, and the lapsed
        // ones' records (usually gone with their rulings).
        let mut p = redis::pipe();
        let ruling_keys: Vec<String> = recent
            .iter()
            .chain(lapsed)
            .map(|id| ruling_key(id))
            .collect();
        let recent_keys: Vec<String> = recent.iter().map(|id| inv_key(id)).collect();
        let lapsed_keys: Vec<String> = lapsed.iter().map(|id| inv_key(id)).collect();
        let n_rulings = self.add_mget(&mut p, &ruling_keys);
        let n_exists = self.add_chunked(&mut p, "EXISTS", &recent_keys);
        self.add_mget(&mut p, &lapsed_keys);
        let mut replies = self
            .pipe::<Vec<redis::Value>>("dedup", &p)
            .await?
            .into_iter();
        let mut first = FirstRead::default();
        for v in replies.by_ref().take(n_rulings) {
            let raw: Vec<Option<String>> = decode("dedup", v)?;
            first.rulings.extend(raw.into_iter().map(read_ruling));
        }
        for v in replies.by_ref().take(n_exists) {
            first.recent_records += decode::<usize>("dedup", v)?;
        }
        for v in replies {
            let raw: Vec<Option<String>> = decode("dedup", v)?;
            first
                .lapsed_records
                .extend(raw.into_iter().map(read_record));
        }
        Ok(first)
    }

    async fn records(&self, ids: &[String]) -> Result<Vec<Read<Summary>>, HistoryError> {
        let keys: Vec<String> = ids.iter().map(|id| inv_key(id)).collect();
        Ok(self
            .mget("dedup", &keys)
            .await?
            .into_iter()
            .map(read_record)
            .collect())
    }

    async fn release(&self, fp: &str, holders: &[&str]) -> Result<(), HistoryError> {
        let Some(first) = holders.first() else {
            return Ok(());
        };
        let second = holders.get(1).unwrap_or(first);
        self.cmd::<i64>(
            "release",
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(self.key(&fplock_key(fp)))
                .arg(*first)
                .arg(*second),
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl HistoryStore for RedisHistory {
    #[instrument(name = "history.begin", skip_all, err(level = "debug"))]
    async fn begin(&self, s: &Subject) -> Result<(), HistoryError> {
        check_subject(s)?;
        let mut p = redis::pipe();
        p.atomic();
        self.begin_writes(&mut p, s)?;
        self.pipe::<()>("begin", &p).await
    }

    #[instrument(name = "history.begin_and_recall", skip_all, err(level = "debug"))]
    async fn begin_and_recall(
        &self,
        s: &Subject,
        window: Duration,
    ) -> Result<Recalled, HistoryError> {
        check_subject(s)?;
        // One transaction: the registration, then the candidate lists (which see it, as
        // a recall after `begin` does); then the summaries and rulings.
        let plan = query::RecallPlan::new(s, window, &self.settings);
        let mut p = redis::pipe();
        p.atomic();
        self.begin_writes(&mut p, s)?;
        let n_ioc = self.candidate_lists(&mut p, &plan, &self.settings);
        let lists: Vec<Vec<String>> = self.pipe("begin_and_recall", &p).await?;
        let read = self
            .recall_fetch("begin_and_recall", lists, n_ioc, &self.settings)
            .await?;
        Ok(query::recalled_from(s, window, &self.settings, read))
    }

    #[instrument(name = "history.record", skip_all, err(level = "debug"))]
    async fn record(&self, s: &Subject, inv: &Investigation) -> Result<(), HistoryError> {
        check_record(s, inv)?;
        // What `begin` left, and whether a ruling already exists.
        let mut p = redis::pipe();
        p.cmd("GET").arg(self.key(&inv_key(&s.investigation_id)));
        p.cmd("EXISTS")
            .arg(self.key(&ruling_key(&inv.investigation_id)));
        let (pending, ruled): (Option<String>, bool) = self.pipe("record", &p).await?;
        let now = Utc::now();
        let pending = pending.and_then(|j| serde_json::from_str::<Summary>(&j).ok());
        let begun_at = pending.as_ref().map_or(now, |p| p.begun_at);
        let summary = Summary::completed(s, inv, begun_at, now);
        let json = soc_core::json::to_string(&summary)
            .map_err(|e| HistoryError::invalid(format!("summary not serialisable: {e}")))?;
        let ttl = if ruled {
            self.settings.ruled_retention
        } else {
            self.settings.retention
        };
        let score = summary.index_score(self.settings.future_skew);
        let mut p = redis::pipe();
        p.atomic();
        p.cmd("SET")
            .arg(self.key(&inv_key(&summary.investigation_id)))
            .arg(json)
            .arg("PX")
            .arg(millis(ttl))
            .ignore();
        let (listed, lives_long_enough) =
            listed_by_begin(pending.as_ref(), &summary, score, ruled, &self.settings);
        for k in summary.index_keys() {
            if listed.contains(&k) {
                // The entry is there; the key must live at least as long as the summary.
                if !lives_long_enough {
                    p.cmd("PEXPIRE")
                        .arg(self.key(&k))
                        .arg(millis(ttl))
                        .arg("GT")
                        .ignore();
                }
            } else {
                self.index_write(&mut p, &k, score, &summary.investigation_id, ttl);
            }
        }
        for (k, at) in summary.dedup_keys() {
            self.index_write(&mut p, &k, at, &summary.investigation_id, ttl);
        }
        if !summary.fingerprint.is_empty() {
            // Released with the write: whoever sees the claim gone sees this record.
            p.cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(self.key(&fplock_key(&summary.fingerprint)))
                .arg(&s.investigation_id)
                .arg(&summary.investigation_id)
                .ignore();
        }
        if s.investigation_id != summary.investigation_id {
            p.cmd("DEL")
                .arg(self.key(&inv_key(&s.investigation_id)))
                .ignore();
            for k in subject_index_keys(s).all() {
                p.cmd("ZREM")
                    .arg(self.key(&k))
                    .arg(&s.investigation_id)
                    .ignore();
            }
        }
        self.pipe::<()>("record", &p).await
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
        let Some(summary) = self
            .get_json::<Summary>("set_ruling", &inv_key(investigation_id))
            .await?
        else {
            return Err(HistoryError::UnknownInvestigation {
                investigation_id: investigation_id.to_owned(),
            });
        };
        if summary.is_pending() {
            return Err(still_running(investigation_id));
        }
        let ruling = r.clone().bounded();
        let json = serde_json::to_string(&StoredRuling {
            ruling: &ruling,
            alert: RuledAlert {
                source: summary.source.clone(),
                alert_id: summary.alert_id.clone(),
            },
        })
        .map_err(|e| HistoryError::invalid(format!("ruling not serialisable: {e}")))?;
        let ms = millis(self.settings.ruled_retention);
        let mut p = redis::pipe();
        p.atomic();
        p.cmd("SET")
            .arg(self.key(&ruling_key(investigation_id)))
            .arg(json)
            .arg("PX")
            .arg(ms)
            .ignore();
        p.cmd("PEXPIRE")
            .arg(self.key(&inv_key(investigation_id)))
            .arg(ms)
            .arg("GT")
            .ignore();
        let dedup_keys = summary.dedup_keys().into_iter().map(|(k, _)| k);
        for k in summary.index_keys().into_iter().chain(dedup_keys) {
            p.cmd("PEXPIRE")
                .arg(self.key(&k))
                .arg(ms)
                .arg("GT")
                .ignore();
        }
        if !summary.fingerprint.is_empty() {
            self.index_write(
                &mut p,
                &fpruled_key(&summary.fingerprint),
                r.recorded_at.timestamp_millis(),
                investigation_id,
                self.settings.ruled_retention,
            );
        }
        self.pipe::<()>("set_ruling", &p).await
    }

    #[instrument(name = "history.ruling", skip_all, err(level = "debug"))]
    async fn ruling(&self, investigation_id: &str) -> Result<Option<Ruling>, HistoryError> {
        check_id("investigation id", investigation_id)?;
        Ok(self
            .get_json::<Ruling>("ruling", &ruling_key(investigation_id))
            .await?
            .map(Ruling::bounded))
    }

    #[instrument(name = "history.summary", skip_all, err(level = "debug"))]
    async fn summary(&self, investigation_id: &str) -> Result<Option<Summary>, HistoryError> {
        check_id("investigation id", investigation_id)?;
        Ok(self
            .get_json::<Summary>("summary", &inv_key(investigation_id))
            .await?
            .map(Summary::bounded))
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

    #[instrument(name = "history.release_fingerprint", skip_all, err(level = "debug"))]
    async fn release_fingerprint(
        &self,
        fingerprint: &str,
        investigation_id: &str,
    ) -> Result<(), HistoryError> {
        check_id("fingerprint", fingerprint)?;
        check_id("investigation id", investigation_id)?;
        DedupIndex::release(self, fingerprint, &[investigation_id]).await
    }
}
