//! The Redis side of the intel cache: L2 records, fetch locks, budgets and circuits, all
//! under one key prefix, every command bounded by a short timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use tracing::{info, warn};

use super::StoredRecord;
use crate::metrics::IntelMetrics;

/// A Redis connection shared by every cache stack of a process.
#[derive(Clone)]
pub struct SharedRedis {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    healthy: Arc<AtomicBool>,
    /// Milliseconds since `epoch` of the last failure: while Redis is down, calls are
    /// skipped for [`PROBE_EVERY`] so a dead Redis costs nothing per lookup.
    last_failure_ms: Arc<AtomicU64>,
    epoch: Instant,
    metrics: Option<IntelMetrics>,
    token: Arc<String>,
}

/// The message for a Redis client that cannot be built: the setting and the reason, never
/// the URL.
fn client_error(e: &redis::RedisError) -> String {
    format!(
        "cannot use {}: {}",
        soc_core::config::REDIS_URL_SETTING,
        soc_core::config::redis_client_error(e.category(), &e.to_string())
    )
}

/// While Redis is failing, one call per this interval probes it; the others skip it.
const PROBE_EVERY: Duration = Duration::from_secs(2);

impl std::fmt::Debug for SharedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SharedRedis {
    /// Wraps a connection manager. `prefix` is the deployment's key prefix (`soc:`).
    pub fn new(
        conn: ConnectionManager,
        prefix: &str,
        timeout: Duration,
        metrics: Option<IntelMetrics>,
    ) -> Self {
        Self {
            conn,
            prefix: prefix.to_owned(),
            timeout,
            healthy: Arc::new(AtomicBool::new(true)),
            last_failure_ms: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
            metrics,
            token: Arc::new(format!("{:016x}", fastrand::u64(..))),
        }
    }

    /// A lazily connecting manager for `url` with short timeouts.
    ///
    /// `rediss://` connects over TLS, verifying the server against the system's roots or
    /// those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set. The rustls ring provider is
    /// installed as the process default if none is yet.
    ///
    /// # Errors
    ///
    /// A message naming the setting (`redis.url`, `--redis-url`, `REDIS_URL`) and the
    /// reason in words when no client can be built from the URL; never the URL itself.
    pub fn connect_lazy(url: &str, timeout: Duration) -> Result<ConnectionManager, String> {
        crate::tls::install_crypto_provider();
        let client = redis::Client::open(url).map_err(|e| client_error(&e))?;
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        ConnectionManager::new_lazy_with_config(client, cfg).map_err(|e| client_error(&e))
    }

    pub(crate) fn key(&self, parts: &str) -> String {
        format!("{}{parts}", self.prefix)
    }

    /// Runs one Redis call with the timeout; a failure is logged once per outage, counted,
    /// and returned as `None`.
    pub(crate) async fn call<T, F>(&self, op: &'static str, f: F) -> Option<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if !self.healthy.load(Ordering::Relaxed) {
            let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            let last = self.last_failure_ms.load(Ordering::Relaxed);
            let probe_due = now.saturating_sub(last)
                >= u64::try_from(PROBE_EVERY.as_millis()).unwrap_or(u64::MAX);
            // Only one caller per interval gets to probe.
            if !probe_due
                || self
                    .last_failure_ms
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                return None;
            }
        }
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(v)) => {
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    info!(
                        "Redis is answering again; the shared intel cache, locks and budgets are back"
                    );
                }
                Some(v)
            }
            Ok(Err(e)) => {
                // In words, with the client's text: a TLS failure says why
                // ("invalid peer certificate: UnknownIssuer"), not just "Io".
                let mut why = format!("{}: {e}", e.category());
                if let Some(hint) = soc_core::config::redis_error_hint(&why) {
                    why = format!("{why} ({hint})");
                }
                self.failed(op, &why);
                None
            }
            Err(_) => {
                self.failed(op, "timeout");
                None
            }
        }
    }

    fn failed(&self, op: &'static str, why: &str) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_failure_ms.store(now, Ordering::Relaxed);
        if let Some(m) = &self.metrics {
            m.redis_errors.with_label_values(&[op]).inc();
        }
        if self.healthy.swap(false, Ordering::Relaxed) {
            warn!(
                op,
                error = why,
                "Redis unavailable: intel lookups continue through L1 and upstream, budgets count per process until it is back"
            );
        }
    }

    /// A connection handle.
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The cached record of a key, when there is one.
    pub(crate) async fn get_record(&self, key: &str) -> Option<StoredRecord> {
        let mut c = self.conn();
        let k = self.key(&format!("intel:v1:{key}"));
        let raw: Option<String> = self
            .call("l2_get", async move {
                redis::cmd("GET").arg(&k).query_async(&mut c).await
            })
            .await
            .flatten();
        raw.and_then(|s| serde_json::from_str(&s).ok())
    }

    /// Stores a record with its TTL.
    pub(crate) async fn put_record(&self, key: &str, rec: &StoredRecord, ttl: Duration) {
        let Ok(json) = serde_json::to_string(rec) else {
            return;
        };
        let mut c = self.conn();
        let k = self.key(&format!("intel:v1:{key}"));
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.call("l2_put", async move {
            redis::cmd("SET")
                .arg(&k)
                .arg(json)
                .arg("PX")
                .arg(ms)
                .query_async::<()>(&mut c)
                .await
        })
        .await;
    }

    /// Tries to take the fetch lock of a key: `Some(true)` taken, `Some(false)` held by
    /// someone else, `None` Redis failed.
    pub(crate) async fn try_lock(&self, key: &str, ttl: Duration) -> Option<bool> {
        let mut c = self.conn();
        let k = self.key(&format!("intel:lock:{key}"));
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let token = self.token.as_str().to_owned();
        let r: Option<Option<String>> = self
            .call("lock", async move {
                redis::cmd("SET")
                    .arg(&k)
                    .arg(token)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut c)
                    .await
            })
            .await;
        r.map(|v| v.is_some())
    }

    /// Releases a fetch lock if this process still holds it (it also expires by itself).
    pub(crate) async fn unlock(&self, key: &str) {
        const COMPARE_AND_DELETE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
        let mut c = self.conn();
        let k = self.key(&format!("intel:lock:{key}"));
        let token = self.token.as_str().to_owned();
        self.call("unlock", async move {
            redis::cmd("EVAL")
                .arg(COMPARE_AND_DELETE)
                .arg(1)
                .arg(&k)
                .arg(token)
                .query_async::<i64>(&mut c)
                .await
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rediss_urls_connect_lazily_and_unusable_urls_name_the_setting() {
        // Without TLS in the client this failed with "InvalidClientConfig".
        let timeout = Duration::from_millis(500);
        assert!(SharedRedis::connect_lazy("rediss://:s3cret@127.0.0.1:6380/", timeout).is_ok());
        let err = SharedRedis::connect_lazy("rediss://:s3cret@/", timeout).unwrap_err();
        assert_eq!(
            err,
            "cannot use redis.url (--redis-url, REDIS_URL): invalid client config: \
             Redis URL did not parse"
        );
    }
}
