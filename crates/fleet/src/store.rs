//! The investigation store on Redis: idempotency by alert key.
//!
//! Keys (prefix `soc:` configurable, every key with a TTL):
//! - `soc:alert:{alert_key}`: the published investigation of that alert;
//! - `soc:alertkey:{investigation_id}`: the alert key of that investigation (a pointer, so
//!   an investigation is found by its own id without storing it twice). `soc:inv:{id}` is
//!   the history's summary of the same investigation (soc-history).
//!
//! The worker writes both before it publishes, and reads the first when an alert arrives:
//! an alert that was already investigated (a redelivery after a crash, a replay) is
//! republished from here, not investigated and paid for again.
//!
//! Redis is an accelerator, never a dependency: every command has a timeout, a failure is
//! logged, counted (`soc_store_errors_total`) and treated as a miss, and the connection
//! comes back by itself. Without Redis the output stream's deduplication still keeps one
//! investigation per alert on the output; only the work may be done twice.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use soc_core::config::RedisConfig;
use tracing::warn;

use crate::FleetError;
use crate::metrics::Metrics;

/// The store.
#[derive(Clone)]
pub struct Store {
    conn: ConnectionManager,
    prefix: String,
    ttl: Duration,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store that connects lazily (start-up never waits for Redis).
    ///
    /// # Errors
    ///
    /// [`FleetError::Redis`] when the URL is malformed.
    pub fn new(cfg: &RedisConfig, metrics: Arc<Metrics>) -> Result<Self, FleetError> {
        let client = redis::Client::open(cfg.url.expose())
            .map_err(|e| FleetError::Redis(format!("invalid redis URL: {:?}", e.kind())))?;
        let mc = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(cfg.command_timeout))
            .set_response_timeout(Some(cfg.command_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn = ConnectionManager::new_lazy_with_config(client, mc)
            .map_err(|e| FleetError::Redis(e.to_string()))?;
        Ok(Self {
            conn,
            prefix: cfg.key_prefix.clone(),
            ttl: cfg.investigation_ttl,
            timeout: cfg.command_timeout,
            metrics,
        })
    }

    fn alert_key(&self, alert_key: &str) -> String {
        format!("{}alert:{alert_key}", self.prefix)
    }

    fn inv_key(&self, investigation_id: &str) -> String {
        format!("{}alertkey:{investigation_id}", self.prefix)
    }

    /// The stored investigation of an alert, when there is one. Errors are misses.
    pub async fn investigation_for(&self, alert_key: &str) -> Option<String> {
        let mut c = self.conn.clone();
        let key = self.alert_key(alert_key);
        match tokio::time::timeout(self.timeout, c.get::<_, Option<String>>(&key)).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                self.metrics.store_errors.with_label_values(&["get"]).inc();
                warn!(error = ?e.kind(), "Investigation store read failed; investigating as if absent");
                None
            }
            Err(_) => {
                self.metrics.store_errors.with_label_values(&["get"]).inc();
                warn!(
                    timeout_ms = self.timeout.as_millis() as u64,
                    "Investigation store read timed out; investigating as if absent"
                );
                None
            }
        }
    }

    /// Stores an investigation under its alert key, and a pointer to it under its own id.
    /// Returns false when the store failed (logged and counted).
    pub async fn put(&self, alert_key: &str, investigation_id: &str, json: &str) -> bool {
        let mut c = self.conn.clone();
        let secs = self.ttl.as_secs().max(1);
        let mut pipe = redis::pipe();
        pipe.set_ex(self.alert_key(alert_key), json, secs)
            .ignore()
            .set_ex(self.inv_key(investigation_id), alert_key, secs)
            .ignore();
        match tokio::time::timeout(self.timeout, pipe.query_async::<()>(&mut c)).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                self.metrics.store_errors.with_label_values(&["put"]).inc();
                warn!(error = ?e.kind(), "Investigation store write failed; a redelivery would investigate again");
                false
            }
            Err(_) => {
                self.metrics.store_errors.with_label_values(&["put"]).inc();
                warn!("Investigation store write timed out; a redelivery would investigate again");
                false
            }
        }
    }

    /// The stored investigation with this id, when there is one.
    pub async fn investigation_by_id(&self, investigation_id: &str) -> Option<String> {
        let mut c = self.conn.clone();
        let key = self.inv_key(investigation_id);
        let pointer: Option<String> =
            match tokio::time::timeout(self.timeout, c.get::<_, Option<String>>(&key)).await {
                Ok(Ok(v)) => v,
                _ => {
                    self.metrics.store_errors.with_label_values(&["get"]).inc();
                    None
                }
            };
        self.investigation_for(&pointer?).await
    }

    /// Whether Redis answers a PING within the timeout.
    pub async fn ping(&self) -> bool {
        let mut c = self.conn.clone();
        matches!(
            tokio::time::timeout(
                self.timeout,
                redis::cmd("PING").query_async::<String>(&mut c)
            )
            .await,
            Ok(Ok(_))
        )
    }
}
