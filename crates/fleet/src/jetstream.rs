//! Connecting to NATS and creating or updating the streams and the consumer
//! (DESIGN §4). Idempotent: every role calls [`setup`] at start, and `soc-copilot setup`
//! calls it alone.
//!
//! | stream | subjects | retention |
//! |---|---|---|
//! | `SOC_ALERTS` | `soc.alerts.>` | work queue, file, 10 min dedup window, 1 MiB messages, 7 days, discard new beyond `max_pending_alerts` |
//! | `SOC_INVESTIGATIONS` | `soc.investigations.>` | limits, file, 1 h dedup window, 30 days |
//! | `SOC_DLQ` | `soc.dlq.>` | limits, file, 30 days |
//!
//! The durable pull consumer `investigators` acknowledges explicitly, waits `ack_wait`
//! (120 s) with progress acks during long work, and delivers an alert `max_deliver` (5)
//! times plus one: the extra delivery comes only after every allowed one ended without an
//! ack or nak (the worker died or hung), and the worker that gets it dead-letters the
//! alert untouched (see [`crate::worker`]). Retry back-off is per message (`Nak` with a
//! delay taken from `retry_delays`), not the consumer's `backoff` list: on the server a
//! `backoff` list also replaces `ack_wait` for each delivery, which would redeliver long
//! investigations early.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use soc_core::config::Config;

use crate::FleetError;
use crate::names::Names;

/// Largest alert message: the alert limit (1 MiB) plus room for headers.
pub const MAX_ALERT_MESSAGE: i32 = (1 << 20) + (16 << 10);

/// Connects to NATS with a name for the server's monitoring, retrying in the background
/// when the connection drops. `url` may be a comma-separated list of servers
/// (`nats://a:4222,nats://b:4222`).
///
/// # Errors
///
/// [`FleetError::Connect`] when the first connection fails (the URL shown redacted).
pub async fn connect(url: &str, name: &str) -> Result<async_nats::Client, FleetError> {
    async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(5)))
        .retry_on_initial_connect()
        .connect(soc_core::config::nats_servers(url))
        .await
        .map_err(|e| FleetError::Connect {
            url: redact_url(url),
            detail: e.to_string(),
        })
}

/// Connects to NATS for a one-shot command (`soc-copilot setup`, `tail`): every server of
/// `url` is tried once, each within `timeout`, and a failure is returned at once instead
/// of being retried in the background (where [`connect`] would keep trying, and a command
/// would only learn of it when its first request timed out). Once connected, the client
/// reconnects like [`connect`]'s.
///
/// # Errors
///
/// [`FleetError::Connect`] when no server accepts the connection (the URL shown redacted).
pub async fn connect_once(
    url: &str,
    name: &str,
    timeout: Duration,
) -> Result<async_nats::Client, FleetError> {
    let servers = soc_core::config::nats_servers(url);
    let fail = |detail: String| FleetError::Connect {
        url: redact_url(url),
        detail,
    };
    // Each server within `timeout`, plus a bound on the whole (name resolution included).
    let whole = timeout
        .saturating_mul(u32::try_from(servers.len()).unwrap_or(u32::MAX))
        .saturating_add(Duration::from_secs(1));
    let connecting = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(timeout)
        .request_timeout(Some(Duration::from_secs(5)))
        .connect(servers);
    match tokio::time::timeout(whole, connecting).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Err(_) => Err(fail(format!(
            "no answer within {} s",
            whole.as_secs_f64().round()
        ))),
    }
}

/// A URL (or comma-separated list of them, with or without schemes) with the user info of
/// every server replaced by `[redacted]`, for messages and logs; see
/// [`soc_core::config::redact_url`].
pub fn redact_url(url: &str) -> String {
    soc_core::config::redact_url(url)
}

/// The three stream configurations.
pub fn stream_configs(names: &Names, cfg: &Config) -> [stream::Config; 3] {
    let alerts = stream::Config {
        name: names.alerts_stream.clone(),
        subjects: vec![names.alerts_filter()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        duplicate_window: cfg.nats.alerts_duplicate_window,
        max_message_size: MAX_ALERT_MESSAGE,
        max_age: Duration::from_secs(7 * 86_400),
        max_messages: cfg.nats.max_pending_alerts,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    let investigations = stream::Config {
        name: names.investigations_stream.clone(),
        subjects: vec![names.investigations_filter()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        duplicate_window: cfg.nats.investigations_duplicate_window,
        max_age: cfg.nats.retention,
        ..Default::default()
    };
    let dlq = stream::Config {
        name: names.dlq_stream.clone(),
        subjects: vec![names.dlq_filter()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        duplicate_window: cfg.nats.investigations_duplicate_window,
        max_age: cfg.nats.retention,
        ..Default::default()
    };
    [alerts, investigations, dlq]
}

/// The consumer configuration.
pub fn consumer_config(names: &Names, cfg: &Config) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(names.consumer.clone()),
        name: Some(names.consumer.clone()),
        description: Some("soc-copilot workers: investigate alerts".to_owned()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: cfg.worker.ack_wait,
        // One more than the worker allows itself: see the module docs.
        max_deliver: cfg.worker.max_deliver.saturating_add(1),
        max_ack_pending: cfg.worker.max_ack_pending,
        filter_subject: names.alerts_filter(),
        ..Default::default()
    }
}

/// What [`setup`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupReport {
    /// One line per stream or consumer: `created`, `updated` or `unchanged`.
    pub lines: Vec<String>,
}

/// Creates or updates the streams and the consumer.
///
/// # Errors
///
/// [`FleetError::JetStream`] when JetStream refuses a configuration or is unavailable.
pub async fn setup(
    js: &jetstream::Context,
    names: &Names,
    cfg: &Config,
) -> Result<SetupReport, FleetError> {
    let mut report = SetupReport::default();
    for sc in stream_configs(names, cfg) {
        let name = sc.name.clone();
        let outcome = match js.get_stream(&name).await {
            Ok(existing) if stream_matches(&existing.cached_info().config, &sc) => "unchanged",
            Ok(_) => "updated",
            Err(e) if is_stream_not_found(&e) => "created",
            Err(e) => {
                return Err(FleetError::JetStream {
                    what: format!("get stream {name}"),
                    detail: e.to_string(),
                });
            }
        };
        if outcome != "unchanged" {
            // Create or update either way: another role may create it in between.
            js.create_or_update_stream(sc)
                .await
                .map_err(|e| FleetError::JetStream {
                    what: format!("create or update stream {name}"),
                    detail: e.to_string(),
                })?;
        }
        report.lines.push(format!("stream {name}: {outcome}"));
    }
    let stream = js
        .get_stream(&names.alerts_stream)
        .await
        .map_err(|e| FleetError::JetStream {
            what: format!("get stream {}", names.alerts_stream),
            detail: e.to_string(),
        })?;
    let cc = consumer_config(names, cfg);
    match stream.consumer_info(&names.consumer).await {
        Err(_) => {
            stream
                .create_consumer(cc)
                .await
                .map_err(|e| FleetError::JetStream {
                    what: format!("create consumer {}", names.consumer),
                    detail: e.to_string(),
                })?;
            report
                .lines
                .push(format!("consumer {}: created", names.consumer));
        }
        Ok(info) => {
            let c = &info.config;
            let same = c.ack_wait == cc.ack_wait
                && c.max_deliver == cc.max_deliver
                && c.max_ack_pending == cc.max_ack_pending
                && c.filter_subject == cc.filter_subject;
            if same {
                report
                    .lines
                    .push(format!("consumer {}: unchanged", names.consumer));
            } else {
                stream
                    .update_consumer(cc)
                    .await
                    .map_err(|e| FleetError::JetStream {
                        what: format!("update consumer {}", names.consumer),
                        detail: e.to_string(),
                    })?;
                report
                    .lines
                    .push(format!("consumer {}: updated", names.consumer));
            }
        }
    }
    Ok(report)
}

/// Whether `get_stream` failed because the stream does not exist.
fn is_stream_not_found(e: &jetstream::context::GetStreamError) -> bool {
    matches!(
        e.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(j)
            if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}

/// Whether a stream's configuration on the server (`current`) already is `desired`, as far
/// as [`stream_configs`] decides it. The server writes its defaults into what it returns
/// (`-1` for "no limit" where the request said `0`, one replica for `0`), so limits are
/// compared after the same normalisation; fields the server alone fills (creation time,
/// metadata, ...) are not compared.
fn stream_matches(current: &stream::Config, desired: &stream::Config) -> bool {
    /// A limit where zero or less means none.
    fn limit(v: i64) -> i64 {
        if v <= 0 { -1 } else { v }
    }
    fn replicas(n: usize) -> usize {
        n.max(1)
    }
    current.subjects == desired.subjects
        && current.retention == desired.retention
        && current.storage == desired.storage
        && current.discard == desired.discard
        && current.discard_new_per_subject == desired.discard_new_per_subject
        && current.max_age == desired.max_age
        && limit(current.max_messages) == limit(desired.max_messages)
        && limit(current.max_bytes) == limit(desired.max_bytes)
        && limit(current.max_messages_per_subject) == limit(desired.max_messages_per_subject)
        && limit(current.max_consumers.into()) == limit(desired.max_consumers.into())
        && limit(current.max_message_size.into()) == limit(desired.max_message_size.into())
        && replicas(current.num_replicas) == replicas(desired.num_replicas)
        // Zero asks for the server's default window (2 min): any window answers it.
        && (desired.duplicate_window.is_zero()
            || current.duplicate_window == desired.duplicate_window)
        && current.no_ack == desired.no_ack
        && current.sealed == desired.sealed
        && current.deny_delete == desired.deny_delete
        && current.deny_purge == desired.deny_purge
        && current.allow_rollup == desired.allow_rollup
        && current.allow_direct == desired.allow_direct
        && current.republish == desired.republish
        && current.subject_transform == desired.subject_transform
}

/// The pull consumer, after [`setup`].
///
/// # Errors
///
/// [`FleetError::JetStream`] when the stream or consumer is missing.
pub async fn consumer(
    js: &jetstream::Context,
    names: &Names,
) -> Result<consumer::PullConsumer, FleetError> {
    let stream = js
        .get_stream(&names.alerts_stream)
        .await
        .map_err(|e| FleetError::JetStream {
            what: format!("get stream {}", names.alerts_stream),
            detail: e.to_string(),
        })?;
    stream
        .get_consumer(&names.consumer)
        .await
        .map_err(|e| FleetError::JetStream {
            what: format!("get consumer {}", names.consumer),
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the server returns for a stream created from `desired`: its defaults filled in.
    fn as_stored(desired: &stream::Config) -> stream::Config {
        let mut c = desired.clone();
        for v in [
            &mut c.max_messages,
            &mut c.max_bytes,
            &mut c.max_messages_per_subject,
        ] {
            if *v == 0 {
                *v = -1;
            }
        }
        if c.max_consumers == 0 {
            c.max_consumers = -1;
        }
        if c.max_message_size == 0 {
            c.max_message_size = -1;
        }
        c.num_replicas = c.num_replicas.max(1);
        if c.duplicate_window.is_zero() {
            c.duplicate_window = Duration::from_secs(120);
        }
        c.metadata.insert("_nats.level".into(), "1".into());
        c
    }

    #[test]
    fn a_stream_as_the_server_stores_it_matches_its_configuration() {
        let names = Names::new(&Config::default().nats);
        for desired in stream_configs(&names, &Config::default()) {
            assert!(
                stream_matches(&as_stored(&desired), &desired),
                "{}",
                desired.name
            );
            let mut changed = as_stored(&desired);
            changed.max_age += Duration::from_secs(1);
            assert!(!stream_matches(&changed, &desired), "{}", desired.name);
            let mut changed = as_stored(&desired);
            changed.subjects.push("other.>".into());
            assert!(!stream_matches(&changed, &desired), "{}", desired.name);
            let mut changed = as_stored(&desired);
            changed.max_bytes = 1 << 30;
            assert!(!stream_matches(&changed, &desired), "{}", desired.name);
        }
        let [alerts, ..] = stream_configs(&names, &Config::default());
        let mut changed = as_stored(&alerts);
        changed.max_messages += 1;
        assert!(!stream_matches(&changed, &alerts));
        let mut changed = as_stored(&alerts);
        changed.duplicate_window += Duration::from_secs(1);
        assert!(!stream_matches(&changed, &alerts));
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("nats://user:pw@host:4222"),
            "nats://[redacted]@host:4222"
        );
        assert_eq!(redact_url("nats://host:4222"), "nats://host:4222");
    }

    #[test]
    fn credentials_are_redacted_in_every_form() {
        assert_eq!(redact_url("u:pw@h:4222"), "[redacted]@h:4222");
        assert_eq!(
            redact_url("nats://u:pw@h:4222,nats://u2:pw2@h2:4222"),
            "nats://[redacted]@h:4222,nats://[redacted]@h2:4222"
        );
        assert_eq!(redact_url("tls://tok@h"), "tls://[redacted]@h");
        assert_eq!(
            redact_url("redis://:pw@h:6379/0"),
            "redis://[redacted]@h:6379/0"
        );
        assert_eq!(
            redact_url("nats://u:p@ss:w@h:4222"),
            "nats://[redacted]@h:4222"
        );
        for plain in [
            "nats://h:4222",
            "h:4222",
            "nats://a:4222,nats://b:4222",
            "redis://h:6379/0",
        ] {
            assert_eq!(redact_url(plain), plain);
        }
    }
}
