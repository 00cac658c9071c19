//! The guard in front of a provider: fleet-wide circuit, fleet-wide budget, one jittered
//! retry policy.
//!
//! Redis keys (prefix `soc:`):
//! - `soc:intel:circuit:{provider}`: present while the circuit is open (`PX` = how long);
//! - `soc:quota:{provider}:m:{unix minute}` and `soc:quota:{provider}:d:{yyyymmdd}`:
//!   requests sent in the window (`INCR`, expiring after the window).
//!
//! Without Redis the same rules apply per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use soc_core::{Ioc, IocKind};
use tracing::{error, warn};

use super::SharedRedis;
use crate::metrics::IntelMetrics;
use crate::{IntelError, IntelProvider, IntelRecord, Quota};

/// The longest pause a provider's `Retry-After` (or rate-limit reset) can impose: a day,
/// a daily quota's longest wait.
const MAX_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(86_400);

/// Retry policy for timeouts and 5xx: full jitter between 0 and
/// `min(max_delay, base_delay × 2^attempt)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryParams {
    /// First delay bound. Default 250 ms.
    pub base_delay: Duration,
    /// Largest delay. Default 4 s.
    pub max_delay: Duration,
    /// Attempts in all (1 = no retry). Default 3.
    pub max_attempts: u32,
}

impl Default for RetryParams {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_attempts: 3,
        }
    }
}

impl RetryParams {
    /// The longest [`RetryParams::delay`] can be before retry number `attempt`.
    pub fn max_delay_before(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_delay)
    }

    /// The delay before retry number `attempt` (1-based), with full jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.max_delay_before(attempt).mul_f64(fastrand::f64())
    }
}

/// Guard settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardSettings {
    /// Retries for timeouts and 5xx.
    pub retry: RetryParams,
    /// How long the circuit stays open after the retries are spent. Default 30 s.
    pub open_after_failures: Duration,
    /// How long after a 429 without `Retry-After`. Default 60 s.
    pub open_after_rate_limit: Duration,
    /// Shortest pause after a 429, whatever `Retry-After` says: `0` or an HTTP date in
    /// the past would otherwise let every lookup retry at once. Default 5 s.
    pub min_rate_limit_pause: Duration,
    /// How long after a rejected key. Default 10 min.
    pub open_after_unauthorized: Duration,
    /// Budgets by provider name; a provider not listed uses [`default_quota`].
    pub quotas: HashMap<String, Quota>,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            retry: RetryParams::default(),
            open_after_failures: Duration::from_secs(30),
            open_after_rate_limit: Duration::from_secs(60),
            min_rate_limit_pause: Duration::from_secs(5),
            open_after_unauthorized: Duration::from_secs(600),
            quotas: HashMap::new(),
        }
    }
}

/// The free-tier budgets, counted in lookups: AbuseIPDB 1,000/day; VirusTotal public
/// 4/minute and 500/day; urlscan 15/minute and 250/day. Unknown providers: unlimited.
pub fn default_quota(provider: &str) -> Quota {
    match provider {
        "abuseipdb" => Quota {
            per_minute: None,
            per_day: Some(1000),
        },
        "virustotal" => Quota {
            per_minute: Some(4),
            per_day: Some(500),
        },
        // A urlscan lookup is up to 4 requests (a search and three results): its free
        // tier's 60 requests/minute and 1,000/day become 15 and 250 lookups.
        "urlscan" => Quota {
            per_minute: Some(15),
            per_day: Some(250),
        },
        _ => Quota {
            per_minute: None,
            per_day: None,
        },
    }
}

#[derive(Debug, Default)]
struct LocalState {
    open_until: Option<Instant>,
    minute: (i64, u32),
    day: (i64, u32),
}

/// Circuit + budget + retries around one provider.
pub struct GuardedProvider {
    inner: Arc<dyn IntelProvider>,
    name: &'static str,
    redis: Option<SharedRedis>,
    settings: GuardSettings,
    quota: Quota,
    local: Mutex<LocalState>,
    metrics: Option<IntelMetrics>,
}

impl std::fmt::Debug for GuardedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedProvider")
            .field("provider", &self.name)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl GuardedProvider {
    /// Guards `inner`.
    pub fn new(
        inner: Arc<dyn IntelProvider>,
        redis: Option<SharedRedis>,
        settings: GuardSettings,
        metrics: Option<IntelMetrics>,
    ) -> Self {
        let name = inner.name();
        let quota = settings
            .quotas
            .get(name)
            .copied()
            .or_else(|| inner.quota())
            .unwrap_or_else(|| default_quota(name));
        Self {
            inner,
            name,
            redis,
            settings,
            quota,
            local: Mutex::new(LocalState::default()),
            metrics,
        }
    }

    fn local(&self) -> std::sync::MutexGuard<'_, LocalState> {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remaining open time of the circuit, fleet-wide when Redis answers.
    async fn circuit_open_for(&self) -> Option<Duration> {
        if let Some(until) = self.local().open_until {
            let now = Instant::now();
            if until > now {
                return Some(until - now);
            }
        }
        let redis = self.redis.as_ref()?;
        let mut c = redis.conn();
        let k = redis.key(&format!("intel:circuit:{}", self.name));
        let pttl: i64 = redis
            .call("circuit_get", async move {
                redis::cmd("PTTL").arg(&k).query_async(&mut c).await
            })
            .await?;
        (pttl > 0).then(|| Duration::from_millis(u64::try_from(pttl).unwrap_or(0)))
    }

    async fn open_circuit(&self, for_: Duration, why: &str) {
        let now = Instant::now();
        self.local().open_until = Some(now.checked_add(for_).unwrap_or(now + MAX_RATE_LIMIT_PAUSE));
        if let Some(m) = &self.metrics {
            m.circuit_opened.with_label_values(&[self.name]).inc();
        }
        if let Some(redis) = &self.redis {
            let mut c = redis.conn();
            let k = redis.key(&format!("intel:circuit:{}", self.name));
            let ms = u64::try_from(for_.as_millis()).unwrap_or(u64::MAX).max(1);
            let reason = why.to_owned();
            redis
                .call("circuit_set", async move {
                    redis::cmd("SET")
                        .arg(&k)
                        .arg(reason)
                        .arg("PX")
                        .arg(ms)
                        .query_async::<()>(&mut c)
                        .await
                })
                .await;
        }
    }

    /// Takes one request from the budget; `Err(window)` when it is spent.
    async fn take_budget(&self) -> Result<(), &'static str> {
        if self.quota.per_minute.is_none() && self.quota.per_day.is_none() {
            return Ok(());
        }
        let now = Utc::now();
        let minute = now.timestamp() / 60;
        let day = i64::from(now.format("%Y%m%d").to_string().parse::<u32>().unwrap_or(0));
        let counts = match &self.redis {
            Some(redis) => {
                let mut c = redis.conn();
                let km = redis.key(&format!("quota:{}:m:{minute}", self.name));
                let kd = redis.key(&format!("quota:{}:d:{day}", self.name));
                redis
                    .call("quota", async move {
                        redis::pipe()
                            .cmd("INCR")
                            .arg(&km)
                            .cmd("EXPIRE")
                            .arg(&km)
                            .arg(120)
                            .ignore()
                            .cmd("INCR")
                            .arg(&kd)
                            .cmd("EXPIRE")
                            .arg(&kd)
                            .arg(2 * 86_400)
                            .ignore()
                            .query_async::<(u64, u64)>(&mut c)
                            .await
                    })
                    .await
            }
            None => None,
        };
        let (m, d) = match counts {
            Some(c) => c,
            None => {
                let mut l = self.local();
                if l.minute.0 != minute {
                    l.minute = (minute, 0);
                }
                if l.day.0 != day {
                    l.day = (day, 0);
                }
                l.minute.1 += 1;
                l.day.1 += 1;
                (u64::from(l.minute.1), u64::from(l.day.1))
            }
        };
        if self.quota.per_minute.is_some_and(|q| m > u64::from(q)) {
            return Err("minute");
        }
        if self.quota.per_day.is_some_and(|q| d > u64::from(q)) {
            return Err("day");
        }
        Ok(())
    }
}

#[async_trait]
impl IntelProvider for GuardedProvider {
    fn name(&self) -> &'static str {
        self.name
    }

    fn supports(&self, kind: IocKind) -> bool {
        self.inner.supports(kind)
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(left) = self.circuit_open_for().await {
                return Err(IntelError::CircuitOpen {
                    provider: self.name,
                    remaining_secs: left.as_secs().max(1),
                });
            }
            if let Err(window) = self.take_budget().await {
                return Err(IntelError::QuotaExhausted {
                    provider: self.name,
                    window,
                });
            }
            match self.inner.lookup(ioc).await {
                Ok(r) => return Ok(r),
                Err(IntelError::RateLimited {
                    provider,
                    retry_after_secs,
                }) => {
                    // A provider's own figure, bounded: an absurd one must neither overflow
                    // the clock nor silence the provider for years, and `0` (or a date
                    // already past) must not let every lookup retry at once.
                    let for_ = retry_after_secs
                        .map_or(self.settings.open_after_rate_limit, Duration::from_secs)
                        .max(self.settings.min_rate_limit_pause)
                        .min(MAX_RATE_LIMIT_PAUSE);
                    warn!(
                        provider = self.name,
                        pause_s = for_.as_secs(),
                        "Rate limited: pausing this provider for the whole fleet"
                    );
                    self.open_circuit(for_, "rate limited").await;
                    return Err(IntelError::RateLimited {
                        provider,
                        retry_after_secs,
                    });
                }
                Err(e @ IntelError::Unauthorized { .. }) => {
                    error!(
                        provider = self.name,
                        "API key rejected: pausing this provider; check its key"
                    );
                    self.open_circuit(self.settings.open_after_unauthorized, "unauthorized")
                        .await;
                    return Err(e);
                }
                Err(e @ (IntelError::Timeout { .. } | IntelError::Unavailable { .. })) => {
                    if attempt >= self.settings.retry.max_attempts {
                        warn!(provider = self.name, attempts = attempt, error = %e, "Provider failing: pausing it for a while");
                        self.open_circuit(self.settings.open_after_failures, "failing")
                            .await;
                        return Err(e);
                    }
                    tokio::time::sleep(self.settings.retry.delay(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn healthcheck(&self) -> Result<(), IntelError> {
        self.inner.healthcheck().await
    }

    fn quota(&self) -> Option<Quota> {
        Some(self.quota)
    }

    /// Every attempt at its longest plus the longest delay before each retry.
    fn max_fetch_time(&self) -> Option<Duration> {
        let one = self.inner.max_fetch_time()?;
        let retry = &self.settings.retry;
        let attempts = retry.max_attempts.max(1);
        let delays = (1..attempts).fold(Duration::ZERO, |sum, a| {
            sum.saturating_add(retry.max_delay_before(a))
        });
        Some(one.saturating_mul(attempts).saturating_add(delays))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_stay_within_their_bounds() {
        let p = RetryParams::default();
        for attempt in 1..10 {
            for _ in 0..100 {
                let d = p.delay(attempt);
                let cap = p
                    .base_delay
                    .saturating_mul(1 << (attempt - 1).min(20))
                    .min(p.max_delay);
                assert!(d <= cap, "attempt {attempt}: {d:?} > {cap:?}");
            }
        }
        assert!(
            p.delay(u32::MAX) <= p.max_delay,
            "huge attempt numbers saturate"
        );
    }
}
