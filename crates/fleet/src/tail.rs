//! Reading the investigation stream: what `soc-copilot tail` prints, and what a sink or a
//! load test consumes. An ordered, ephemeral consumer: it acknowledges nothing and leaves
//! no state on the server.

use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::FleetError;
use crate::names::Names;

/// Where to start reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// Every investigation the stream still holds.
    Start,
    /// Only investigations published from now on.
    New,
}

/// Calls `each` with every investigation's payload (JSON) until the stream is read
/// (`follow` false) or `stop` is cancelled (`follow` true).
///
/// [`tail_messages`] hands over the whole message (headers included) instead.
///
/// # Errors
///
/// [`FleetError::JetStream`] when the stream cannot be read.
pub async fn tail(
    client: &async_nats::Client,
    names: &Names,
    from: From,
    follow: bool,
    stop: CancellationToken,
    mut each: impl FnMut(&[u8]),
) -> Result<u64, FleetError> {
    tail_messages(client, names, from, follow, stop, |m| each(&m.payload)).await
}

/// The alert's key a published investigation carries in its `Nats-Msg-Id` header
/// (`<source>:<alert_id>`, see [`crate::names::alert_key`]); `None` when the message has
/// no such header.
pub fn alert_key(message: &async_nats::Message) -> Option<&str> {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(crate::names::MSG_ID))
        .map(async_nats::HeaderValue::as_str)
}

/// Like [`tail`], but calls `each` with the whole message: the payload (the investigation,
/// JSON), its subject and its headers (the alert's key is in `Nats-Msg-Id`: read it with
/// [`alert_key`]).
///
/// # Errors
///
/// [`FleetError::JetStream`] when the stream cannot be read.
pub async fn tail_messages(
    client: &async_nats::Client,
    names: &Names,
    from: From,
    follow: bool,
    stop: CancellationToken,
    mut each: impl FnMut(&async_nats::Message),
) -> Result<u64, FleetError> {
    let js = jetstream::new(client.clone());
    let err = |what: &str, e: String| FleetError::JetStream {
        what: what.to_owned(),
        detail: e,
    };
    let mut stream = js
        .get_stream(&names.investigations_stream)
        .await
        .map_err(|e| err("get investigation stream", e.to_string()))?;
    let stored = stream
        .info()
        .await
        .map_err(|e| err("investigation stream info", e.to_string()))?
        .state
        .messages;
    if !follow && (from == From::New || stored == 0) {
        return Ok(0);
    }
    let c = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: names.investigations_filter(),
            deliver_policy: match from {
                From::Start => consumer::DeliverPolicy::All,
                From::New => consumer::DeliverPolicy::New,
            },
            ..Default::default()
        })
        .await
        .map_err(|e| err("create reader", e.to_string()))?;
    let mut messages = c
        .messages()
        .await
        .map_err(|e| err("read investigations", e.to_string()))?;
    let mut n = 0u64;
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => break,
            m = tokio::time::timeout(Duration::from_secs(2), messages.next()) => m,
        };
        match next {
            Ok(Some(Ok(m))) => {
                each(&m.message);
                n += 1;
                let pending = m.info().map(|i| i.pending).unwrap_or(1);
                if !follow && pending == 0 {
                    break;
                }
            }
            Ok(Some(Err(e))) => return Err(err("read investigations", e.to_string())),
            Ok(None) => break,
            Err(_) if !follow => break,
            Err(_) => {}
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(headers: Option<async_nats::HeaderMap>) -> async_nats::Message {
        async_nats::Message {
            subject: "soc.investigations.true_positive".into(),
            reply: None,
            payload: bytes::Bytes::from_static(b"{}"),
            headers,
            status: None,
            description: None,
            length: 2,
        }
    }

    #[test]
    fn the_alert_key_comes_from_the_message_id() {
        let mut h = async_nats::HeaderMap::new();
        h.insert(crate::names::MSG_ID, "siem:EX-0001");
        assert_eq!(alert_key(&message(Some(h))), Some("siem:EX-0001"));
        assert_eq!(alert_key(&message(None)), None);
        assert_eq!(
            alert_key(&message(Some(async_nats::HeaderMap::new()))),
            None
        );
    }
}
