//! The investigation store on Redis: idempotency by alert key.
//!
//! Keys (prefix `soc:` configurable, every key with a TTL):
//! - `soc:alert:{alert_key}`: the published investigation of that alert;
//! - `soc:alertkey:{investigation_id}`: the alert key of that investigation (a pointer, so
//!   an investigation is found by its own id without storing it twice). `soc:inv:{id}` is
//!   the history's summary of the same investigation (soc-history).
//!
//! The investigation is stored LZ4-compressed ([`encode`]: a 5-byte marker, the JSON's
//! length, the block), typically a quarter of its JSON; a value without the marker is
//! read as plain JSON (what earlier versions wrote).
//!
//! The worker writes both before it publishes, and reads the first when an alert arrives:
//! an alert that was already investigated (a redelivery after a crash, a replay) is
//! republished from here, not investigated and paid for again.
//!
//! Redis is an accelerator, never a dependency: every command has a timeout, a failure is
//! logged, counted (`soc_store_errors_total`) and treated as a miss, and the connection
//! comes back by itself. Without Redis the output stream's deduplication still keeps one
//! investigation per alert on the output; only the work may be done twice.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use lz4_flex::block::{CompressTable, compress_into_with_table, get_maximum_output_size};
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

/// The error for a Redis client that cannot be built: the setting and the reason, never
/// the URL.
fn client_error(e: &redis::RedisError) -> FleetError {
    FleetError::Redis(format!(
        "cannot use {}: {}",
        soc_core::config::REDIS_URL_SETTING,
        soc_core::config::redis_client_error(e.category(), &e.to_string())
    ))
}

impl Store {
    /// A store that connects lazily (start-up never waits for Redis).
    ///
    /// `rediss://` connects over TLS, verifying the server against the system's roots or
    /// those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set. The rustls ring provider is
    /// installed as the process default if none is yet.
    ///
    /// # Errors
    ///
    /// [`FleetError::Redis`] when no client can be built from the URL: the message names
    /// the setting and the reason, never the URL.
    pub fn new(cfg: &RedisConfig, metrics: Arc<Metrics>) -> Result<Self, FleetError> {
        soc_intel::tls::install_crypto_provider();
        let client = redis::Client::open(cfg.url.expose()).map_err(|e| client_error(&e))?;
        let mc = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(cfg.command_timeout))
            .set_response_timeout(Some(cfg.command_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn =
            ConnectionManager::new_lazy_with_config(client, mc).map_err(|e| client_error(&e))?;
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

    /// The stored investigation of an alert (JSON), when there is one. Errors, and values
    /// that do not decode, are misses.
    pub async fn investigation_for(&self, alert_key: &str) -> Option<String> {
        let mut c = self.conn.clone();
        let key = self.alert_key(alert_key);
        match tokio::time::timeout(self.timeout, c.get::<_, Option<Vec<u8>>>(&key)).await {
            Ok(Ok(v)) => match decode(&v?) {
                Ok(json) => Some(json),
                Err(e) => {
                    self.metrics
                        .store_errors
                        .with_label_values(&["decode"])
                        .inc();
                    warn!(error = %e, "Stored investigation unreadable; investigating as if absent");
                    None
                }
            },
            Ok(Err(e)) => {
                self.metrics.store_errors.with_label_values(&["get"]).inc();
                warn!(kind = e.category(), error = %e, "Investigation store read failed; investigating as if absent");
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
    pub async fn put(&self, alert_key: &str, investigation_id: &str, json: &[u8]) -> bool {
        let mut c = self.conn.clone();
        let secs = self.ttl.as_secs().max(1);
        let mut pipe = redis::pipe();
        pipe.set_ex(self.alert_key(alert_key), encode(json), secs)
            .ignore()
            .set_ex(self.inv_key(investigation_id), alert_key, secs)
            .ignore();
        match tokio::time::timeout(self.timeout, pipe.query_async::<()>(&mut c)).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                self.metrics.store_errors.with_label_values(&["put"]).inc();
                warn!(kind = e.category(), error = %e, "Investigation store write failed; a redelivery would investigate again");
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
        self.check().await.is_ok()
    }

    /// PINGs Redis within the timeout; when it does not answer, why, in words and without
    /// the URL: `no answer within 2000 ms`, or the client's error (for a TLS server whose
    /// certificate does not verify, `I/O error: invalid peer certificate: UnknownIssuer`
    /// and where trust comes from).
    ///
    /// # Errors
    ///
    /// The reason, as above.
    pub async fn check(&self) -> Result<(), String> {
        let mut c = self.conn.clone();
        let ping = redis::cmd("PING");
        match tokio::time::timeout(self.timeout, ping.query_async::<String>(&mut c)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                let why = format!("{}: {e}", e.category());
                Err(match soc_core::config::redis_error_hint(&why) {
                    Some(hint) => format!("{why} ({hint})"),
                    None => why,
                })
            }
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }
}

/// Marks a compressed value: a NUL (never the start of JSON) and a format tag.
const MARKER: &[u8; 5] = b"\0lz4\x01";

/// The largest investigation stored compressed, and the largest length a compressed
/// value may claim: a corrupt length cannot make a reader allocate more. (The worker trims
/// what it publishes toward 900 KiB; anything larger is stored as plain JSON.)
const MAX_DECODED: usize = 4 * 1024 * 1024;

/// Reports shorter than this (LZ4's small table, 16-bit positions: nearly all of them) are
/// compressed with the thread's reused table and scratch buffer; longer ones with a table
/// and buffer of their own. Either way the block is the one `lz4_flex::block::compress`
/// gives, and the scratch never holds more than LZ4's bound for 64 KiB (about 70 KiB).
const REUSED_BELOW: usize = u16::MAX as usize;

thread_local! {
    /// The LZ4 hash table and output buffer of this thread, reused from one report to the
    /// next: `lz4_flex::block::compress` zeroes a fresh table and a fresh output buffer
    /// the size of the input for every call.
    static LZ4: RefCell<(CompressTable, Vec<u8>)> = RefCell::new((CompressTable::default(), Vec::new()));
}

/// A stored value: [`MARKER`], the JSON's length (u32, little endian), the LZ4 block; or
/// the JSON itself when it is longer than [`MAX_DECODED`].
pub(crate) fn encode(json: &[u8]) -> Vec<u8> {
    if json.len() > MAX_DECODED {
        return json.to_vec();
    }
    let bound = get_maximum_output_size(json.len());
    let framed = |block: &[u8]| {
        let len = u32::try_from(json.len()).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(MARKER.len() + 4 + block.len());
        out.extend_from_slice(MARKER);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(block);
        out
    };
    if json.len() >= REUSED_BELOW {
        return framed(&lz4_flex::block::compress(json));
    }
    LZ4.with_borrow_mut(|(table, scratch)| {
        if scratch.len() < bound {
            scratch.resize(bound, 0);
        }
        match compress_into_with_table(json, &mut scratch[..bound], table) {
            Ok(n) => framed(&scratch[..n]),
            // An output of the maximum size always fits; were it refused, the plain JSON
            // is still a readable stored value.
            Err(_) => json.to_vec(),
        }
    })
}

/// The JSON of a stored value: decompressed when it carries [`MARKER`], else taken as
/// written (plain JSON from an earlier version).
pub(crate) fn decode(raw: &[u8]) -> Result<String, String> {
    let bytes = match raw.strip_prefix(MARKER.as_slice()) {
        None => raw.to_vec(),
        Some(rest) => {
            let (len, block) = rest
                .split_first_chunk::<4>()
                .ok_or("compressed value shorter than its header")?;
            let len = usize::try_from(u32::from_le_bytes(*len)).unwrap_or(usize::MAX);
            if len > MAX_DECODED {
                return Err(format!(
                    "compressed value claims {len} bytes, more than the {MAX_DECODED} accepted"
                ));
            }
            let out = lz4_flex::block::decompress(block, len)
                .map_err(|e| format!("compressed value does not decompress: {e}"))?;
            if out.len() != len {
                return Err(format!(
                    "compressed value decompressed to {} bytes, its header says {len}",
                    out.len()
                ));
            }
            out
        }
    };
    String::from_utf8(bytes).map_err(|e| format!("stored value is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_shrink() {
        let json = serde_json::json!({
            "investigation_id": "inv-1",
            "evidence": (0..50).map(|i| format!("evidence line {i} with the same words")).collect::<Vec<_>>(),
            "hypothesis": "ünïcode survives",
        })
        .to_string();
        let raw = encode(json.as_bytes());
        assert!(raw.starts_with(MARKER));
        assert!(
            raw.len() * 2 < json.len(),
            "{} vs {}",
            raw.len(),
            json.len()
        );
        assert_eq!(decode(&raw).as_deref(), Ok(json.as_str()));
        assert_eq!(decode(&encode(b"")).as_deref(), Ok(""));
        // Beyond the cap: stored as written, and still readable.
        let huge = format!("{{\"x\":\"{}\"}}", "y".repeat(MAX_DECODED));
        assert!(!encode(huge.as_bytes()).starts_with(MARKER));
        assert_eq!(
            decode(&encode(huge.as_bytes())).as_deref(),
            Ok(huge.as_str())
        );
    }

    #[test]
    fn the_reused_table_compresses_as_a_fresh_one() {
        // Sizes up and down (the scratch only grows; the table is cleared per call), on
        // both sides of the reuse limit; the block is always the one-off compression's.
        let text = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|i| b"{\"evidence\": [\"ev-1 abc\"], \"x\": 12345}"[(i * 7 + i / 13) % 38])
                .collect()
        };
        for n in [
            20_000,
            10,
            70_000,
            0,
            3_000,
            REUSED_BELOW - 1,
            REUSED_BELOW,
            300_000,
            20,
        ] {
            let json = text(n);
            let raw = encode(&json);
            assert!(raw.starts_with(MARKER), "{n}");
            assert_eq!(
                &raw[9..],
                lz4_flex::block::compress(&json).as_slice(),
                "{n}"
            );
            assert_eq!(decode(&raw).map(String::into_bytes), Ok(json), "{n}");
        }
        // Larger reports never grew the reused scratch.
        let scratch = LZ4.with_borrow(|(_, s)| s.len());
        assert!(
            scratch <= get_maximum_output_size(REUSED_BELOW - 1),
            "{scratch}"
        );
    }

    fn redis_config(url: &str) -> RedisConfig {
        let mut cfg = soc_core::config::Config::default().redis;
        cfg.url = soc_core::config::Secret::new(url.to_owned());
        cfg
    }

    #[tokio::test]
    async fn rediss_urls_build_a_store_and_unusable_urls_name_the_setting() {
        // Without TLS in the client this failed with "InvalidClientConfig".
        let metrics = Metrics::new().unwrap();
        assert!(Store::new(&redis_config("rediss://:s3cret@127.0.0.1:6380/0"), metrics).is_ok());
        let metrics = Metrics::new().unwrap();
        let err = Store::new(&redis_config("rediss://:s3cret@/0"), metrics)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "redis: cannot use redis.url (--redis-url, REDIS_URL): invalid client config: \
             Redis URL did not parse"
        );
    }

    #[tokio::test]
    async fn an_untrusted_tls_server_is_reported_with_the_reason() {
        let redis = match soc_testkit::RedisServer::start_tls().await {
            Ok(redis) => redis,
            Err(err) => match err.downcast_ref::<soc_testkit::TlsUnavailable>() {
                Some(why) => {
                    eprintln!("{why}");
                    return;
                }
                None => panic!("{err:#}"),
            },
        };
        // The test CA is in neither the system's roots nor (here) SSL_CERT_FILE.
        let url = redis.tls_url().unwrap();
        let store = Store::new(&redis_config(&url), Metrics::new().unwrap()).unwrap();
        let why = store.check().await.unwrap_err();
        assert!(why.contains("invalid peer certificate"), "{why}");
        assert!(why.contains("SSL_CERT_FILE"), "{why}");
        assert!(!store.ping().await);
    }

    #[test]
    fn plain_json_from_earlier_versions_reads_as_written() {
        assert_eq!(decode(br#"{"a":1}"#).as_deref(), Ok(r#"{"a":1}"#));
    }

    #[test]
    fn corrupt_values_are_errors_not_panics() {
        let good = encode("x".repeat(10_000).as_bytes());
        // Truncated header, truncated block, a lying length, a huge length, bad UTF-8.
        assert!(decode(&good[..7]).is_err());
        assert!(decode(&good[..good.len() - 3]).is_err());
        let mut lying = good.clone();
        lying[5..9].copy_from_slice(&20_000u32.to_le_bytes());
        assert!(decode(&lying).is_err());
        let mut huge = good.clone();
        huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge).unwrap_err().contains("accepted"));
        assert!(decode(&[0xff, 0xfe]).is_err());
    }
}
