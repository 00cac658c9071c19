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
        let existed = js.get_stream(&name).await.is_ok();
        js.create_or_update_stream(sc)
            .await
            .map_err(|e| FleetError::JetStream {
                what: format!("create or update stream {name}"),
                detail: e.to_string(),
            })?;
        report.lines.push(format!(
            "stream {name}: {}",
            if existed {
                "present (updated to the configuration)"
            } else {
                "created"
            }
        ));
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
