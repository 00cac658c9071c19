//! Caching, fleet-wide single flight, budgets and circuit breaking: decorators that wrap
//! any [`IntelProvider`], never code inside a provider (STYLE G17).
//!
//! A lookup goes through, in order:
//! 1. **L1** ([`CachedProvider`], moka, bounded by entries): a hit answers at once.
//!    Concurrent lookups of one key in this process are coalesced into one load.
//! 2. **L2** (Redis, shared by the fleet, key `soc:intel:v1:{provider}:{kind}:{value}`):
//!    a hit answers and fills L1 for the rest of the record's life (its TTL less its age).
//! 3. **Fleet-wide single flight**: a miss takes the lock `soc:intel:lock:{...}` (`SET NX
//!    PX`); the holder asks upstream and writes L2; the others wait (bounded) for the
//!    answer to appear in L2. A holder that fails or a wait that runs out falls back to
//!    asking upstream directly: an answer beats a perfect count.
//! 4. **Guard** ([`GuardedProvider`]): the provider's circuit must be closed and its
//!    fleet-wide budget (per minute and per day) not spent; then the request is sent, with
//!    one jittered retry policy for timeouts and 5xx. A 429 opens the circuit for the whole
//!    fleet until `Retry-After`; repeated failures open it for a while; a rejected key
//!    opens it for ten minutes.
//!
//! TTLs depend on the outcome (malicious/suspicious 6 h, known 12 h, no data 1 h);
//! errors are never cached. Redis down or slow: every Redis call has a short timeout, a
//! failure is logged once per outage and counted, lookups answer through L1 and upstream
//! (budgets fall back to per-process counters), and everything recovers by itself.

mod guard;
mod redis_l2;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use moka::future::Cache;
use serde::{Deserialize, Serialize};
use soc_core::{Confidence, Ioc, IocKind};

pub use guard::{GuardSettings, GuardedProvider, RetryParams, default_quota};
pub use redis_l2::SharedRedis;

use crate::metrics::IntelMetrics;
use crate::provider::{CacheLevel, Provenance};
use crate::{IntelError, IntelProvider, IntelRecord, Listing, Quota, Reputation};

/// Cache settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    /// Most entries in L1 per provider. Default 100,000.
    pub l1_capacity: u64,
    /// TTL of a malicious or suspicious answer. Default 6 h.
    pub ttl_flagged: Duration,
    /// TTL of a "known, nothing against it" answer. Default 12 h.
    pub ttl_known: Duration,
    /// TTL of a "no data" answer. Default 1 h.
    pub ttl_no_data: Duration,
    /// How long a fleet-wide fetch lock lives at least. It must outlive the slowest
    /// guarded fetch (requests × timeout × attempts + retry delays), so
    /// [`CachedProvider::new`] raises it to that plus [`LOCK_MARGIN`] for a provider that
    /// reports [`IntelProvider::max_fetch_time`] (urlscan with the defaults: 4 × 10 s × 3
    /// + 0.75 s + 5 s). Default 60 s.
    pub lock_ttl: Duration,
    /// Longest wait for another worker's fetch before asking upstream directly, at least.
    /// Waiting less than the holder may take would send the waiters upstream while the
    /// holder is merely slow, so [`CachedProvider::new`] raises it to the provider's
    /// slowest guarded fetch (a holder that dies frees the lock when it expires, and a
    /// waiter then takes it over). Default 10 s.
    pub lock_wait: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            l1_capacity: 100_000,
            ttl_flagged: Duration::from_secs(6 * 3600),
            ttl_known: Duration::from_secs(12 * 3600),
            ttl_no_data: Duration::from_secs(3600),
            lock_ttl: Duration::from_secs(60),
            lock_wait: Duration::from_secs(10),
        }
    }
}

impl CacheSettings {
    fn ttl(&self, r: Reputation) -> Duration {
        match r {
            Reputation::Malicious | Reputation::Suspicious => self.ttl_flagged,
            Reputation::Known => self.ttl_known,
            Reputation::NoData => self.ttl_no_data,
        }
    }
}

/// How much longer than the slowest guarded fetch a fetch lock lives.
pub const LOCK_MARGIN: Duration = Duration::from_secs(5);

impl CacheSettings {
    /// These settings with the lock bounds raised to fit a provider whose guarded fetch
    /// takes at most `max_fetch` (see [`CacheSettings::lock_ttl`] and
    /// [`CacheSettings::lock_wait`]).
    pub fn fitted_to(mut self, max_fetch: Option<Duration>) -> Self {
        if let Some(fetch) = max_fetch {
            self.lock_ttl = self.lock_ttl.max(fetch.saturating_add(LOCK_MARGIN));
            self.lock_wait = self.lock_wait.max(fetch);
        }
        self
    }
}

/// An answer as it is cached (the provider name comes from the provider itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// The indicator.
    pub ioc: Ioc,
    /// Grade.
    pub reputation: Reputation,
    /// Weight.
    pub confidence: Confidence,
    /// The claim.
    pub claim: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Listings.
    pub listings: Vec<Listing>,
    /// Raw answer.
    pub raw: serde_json::Value,
    /// When the provider answered.
    pub fetched_at: DateTime<Utc>,
}

impl StoredRecord {
    fn from_record(r: &IntelRecord, fetched_at: DateTime<Utc>) -> Self {
        Self {
            ioc: r.ioc.clone(),
            reputation: r.reputation,
            confidence: r.confidence,
            claim: r.claim.clone(),
            tags: r.tags.clone(),
            listings: r.listings.clone(),
            raw: r.raw.clone(),
            fetched_at,
        }
    }

    fn into_record(self, provider: &'static str) -> IntelRecord {
        IntelRecord {
            provider,
            ioc: self.ioc,
            reputation: self.reputation,
            confidence: self.confidence,
            claim: self.claim,
            tags: self.tags,
            listings: self.listings,
            raw: self.raw,
        }
    }
}

#[derive(Debug)]
struct Entry {
    record: StoredRecord,
    ttl: Duration,
    /// Where this process got it from when it was loaded.
    loaded_from: CacheLevel,
}

struct TtlExpiry;

impl moka::Expiry<String, Arc<Entry>> for TtlExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Arc<Entry>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// What is left of a `ttl` for a record fetched at `fetched_at`: zero once it is over. A
/// `fetched_at` in the future (clock skew between workers) counts as fetched now.
fn remaining_life(ttl: Duration, fetched_at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let age = (now - fetched_at).to_std().unwrap_or(Duration::ZERO);
    ttl.saturating_sub(age)
}

/// The cache key of an indicator for a provider.
pub fn cache_key(provider: &str, ioc: &Ioc) -> String {
    format!("{provider}:{}:{}", ioc.kind.as_str(), ioc.value)
}

/// L1 + L2 + fleet-wide single flight around one provider (see the module docs).
pub struct CachedProvider {
    inner: Arc<dyn IntelProvider>,
    name: &'static str,
    l1: Cache<String, Arc<Entry>>,
    redis: Option<SharedRedis>,
    settings: CacheSettings,
    metrics: Option<IntelMetrics>,
}

impl std::fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedProvider")
            .field("provider", &self.name)
            .field("l2", &self.redis.is_some())
            .finish_non_exhaustive()
    }
}

impl CachedProvider {
    /// Wraps `inner` (usually a [`GuardedProvider`]). The lock bounds of `settings` are
    /// raised to fit `inner`'s slowest fetch ([`CacheSettings::fitted_to`]).
    pub fn new(
        inner: Arc<dyn IntelProvider>,
        redis: Option<SharedRedis>,
        settings: CacheSettings,
        metrics: Option<IntelMetrics>,
    ) -> Self {
        let settings = settings.fitted_to(inner.max_fetch_time());
        let l1 = Cache::builder()
            .max_capacity(settings.l1_capacity)
            .expire_after(TtlExpiry)
            .build();
        Self {
            name: inner.name(),
            inner,
            l1,
            redis,
            settings,
            metrics,
        }
    }

    /// Loads a key on an L1 miss: L2, then the fleet-wide single flight, then upstream.
    async fn load(&self, key: &str, ioc: &Ioc) -> Result<Arc<Entry>, IntelError> {
        let Some(redis) = &self.redis else {
            return self.fetch_upstream(ioc).await;
        };
        if let Some(e) = self.read_l2(redis, key).await {
            return Ok(e);
        }
        let deadline = Instant::now() + self.settings.lock_wait;
        // Polls for the holder's answer quickly at first (most fetches take well under a
        // second), then at most once a second: a wait may last minutes (a slow provider's
        // retries), and every poll costs Redis two commands.
        let mut pause = Duration::from_millis(25);
        loop {
            match redis.try_lock(key, self.settings.lock_ttl).await {
                Some(true) => {
                    // We fetch for the fleet. Someone may have written L2 meanwhile.
                    if let Some(e) = self.read_l2(redis, key).await {
                        redis.unlock(key).await;
                        return Ok(e);
                    }
                    let r = self.fetch_upstream(ioc).await;
                    if let Ok(e) = &r {
                        redis.put_record(key, &e.record, e.ttl).await;
                    }
                    redis.unlock(key).await;
                    return r;
                }
                Some(false) => {
                    // Another worker is fetching: wait for its answer, bounded.
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                    if let Some(e) = self.read_l2(redis, key).await {
                        return Ok(e);
                    }
                    if Instant::now() >= deadline {
                        tracing::debug!(
                            provider = self.name,
                            "Waited for another worker's fetch too long; asking upstream"
                        );
                        return self.fetch_upstream(ioc).await;
                    }
                }
                // Redis failed: answer without it.
                None => return self.fetch_upstream(ioc).await,
            }
        }
    }

    /// The L2 record of a key as an L1 entry that lives only for the rest of the record's
    /// life; `None` (a miss) when there is no record or its life is over.
    async fn read_l2(&self, redis: &SharedRedis, key: &str) -> Option<Arc<Entry>> {
        let record = redis.get_record(key).await?;
        let ttl = remaining_life(
            self.settings.ttl(record.reputation),
            record.fetched_at,
            Utc::now(),
        );
        (!ttl.is_zero()).then(|| {
            Arc::new(Entry {
                record,
                ttl,
                loaded_from: CacheLevel::L2,
            })
        })
    }

    async fn fetch_upstream(&self, ioc: &Ioc) -> Result<Arc<Entry>, IntelError> {
        let rec = self.inner.lookup(ioc).await?;
        let record = StoredRecord::from_record(&rec, Utc::now());
        Ok(Arc::new(Entry {
            ttl: self.settings.ttl(record.reputation),
            record,
            loaded_from: CacheLevel::Upstream,
        }))
    }

    /// Drops one indicator from this process's cache (L2 is untouched), for operators
    /// refreshing an answer and for benchmarks of the L2 path.
    pub async fn forget(&self, ioc: &Ioc) {
        self.l1.invalidate(&cache_key(self.name, ioc)).await;
    }

    fn count(&self, level: CacheLevel, outcome: &str) {
        if let Some(m) = &self.metrics {
            m.lookups
                .with_label_values(&[self.name, level.as_str(), outcome])
                .inc();
        }
    }
}

#[async_trait]
impl IntelProvider for CachedProvider {
    fn name(&self) -> &'static str {
        self.name
    }

    fn supports(&self, kind: IocKind) -> bool {
        self.inner.supports(kind)
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        self.lookup_with_provenance(ioc).await.map(|(r, _)| r)
    }

    async fn lookup_with_provenance(
        &self,
        ioc: &Ioc,
    ) -> Result<(IntelRecord, Provenance), IntelError> {
        let key = cache_key(self.name, ioc);
        let result = self
            .l1
            .entry(key.clone())
            .or_try_insert_with(self.load(&key, ioc))
            .await;
        match result {
            Ok(e) => {
                let level = if e.is_fresh() {
                    e.value().loaded_from
                } else {
                    CacheLevel::L1
                };
                let entry = e.into_value();
                self.count(level, "ok");
                let provenance = Provenance {
                    level,
                    fetched_at: entry.record.fetched_at,
                };
                Ok((entry.record.clone().into_record(self.name), provenance))
            }
            Err(e) => {
                let err = (*e).clone();
                self.count(CacheLevel::Upstream, error_outcome(&err));
                Err(err)
            }
        }
    }

    async fn healthcheck(&self) -> Result<(), IntelError> {
        self.inner.healthcheck().await
    }

    fn quota(&self) -> Option<Quota> {
        self.inner.quota()
    }
}

/// A fixed label for an error outcome.
pub fn error_outcome(e: &IntelError) -> &'static str {
    match e {
        IntelError::RateLimited { .. } => "rate_limited",
        IntelError::Timeout { .. } => "timeout",
        IntelError::Unauthorized { .. } => "unauthorized",
        IntelError::BadResponse { .. } => "bad_response",
        IntelError::Unavailable { .. } => "unavailable",
        IntelError::Unsupported { .. } => "unsupported",
        IntelError::QuotaExhausted { .. } => "quota",
        IntelError::CircuitOpen { .. } => "circuit_open",
        IntelError::Feed { .. } => "feed",
    }
}

/// Wraps every provider that talks to a paid or rate-limited service with the guard and
/// the cache; local providers (the offline feeds) are returned as they are.
pub fn wrap_all(
    providers: Vec<Arc<dyn IntelProvider>>,
    redis: Option<&SharedRedis>,
    settings: &CacheSettings,
    guard: &GuardSettings,
    metrics: Option<&IntelMetrics>,
) -> Vec<Arc<dyn IntelProvider>> {
    providers
        .into_iter()
        .map(|p| {
            if p.is_local() {
                p
            } else {
                let guarded: Arc<dyn IntelProvider> = Arc::new(GuardedProvider::new(
                    p,
                    redis.cloned(),
                    guard.clone(),
                    metrics.cloned(),
                ));
                Arc::new(CachedProvider::new(
                    guarded,
                    redis.cloned(),
                    settings.clone(),
                    metrics.cloned(),
                )) as Arc<dyn IntelProvider>
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_l2_record_keeps_only_the_rest_of_its_life() {
        let now = Utc::now();
        let ttl = Duration::from_secs(6 * 3600);
        let ago = |secs: i64| now - chrono::Duration::seconds(secs);
        assert_eq!(remaining_life(ttl, ago(0), now), ttl);
        assert_eq!(
            remaining_life(ttl, ago(5 * 3600), now),
            Duration::from_secs(3600)
        );
        assert_eq!(remaining_life(ttl, ago(6 * 3600), now), Duration::ZERO);
        assert_eq!(remaining_life(ttl, ago(7 * 3600), now), Duration::ZERO);
        // Another worker's clock ahead of ours: not older than fresh.
        assert_eq!(remaining_life(ttl, ago(-60), now), ttl);
    }
}
