//! Reading a request body with a size limit and an idle timeout, shared by every endpoint
//! that takes one.
//!
//! The timeout runs between chunks: a client that announces more bytes than it sends, or
//! stops sending, gets `408` instead of holding the request open forever, while a large
//! batch on a slow link that keeps arriving is read to its end. (Shutdown does not wait
//! for either: it cuts connections still open after its grace period.)

use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use futures::StreamExt as _;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// The body is (or announced to be) larger than the limit.
    #[error("request body is over the {limit} byte limit")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// No part of the body arrived for the idle timeout.
    #[error("request body stalled: nothing arrived for {} s", .after.as_secs_f64())]
    TimedOut {
        /// The idle timeout.
        after: Duration,
    },
    /// The connection failed while the body was read (the client went away).
    #[error("request body could not be read: {0}")]
    Unreadable(String),
}

/// Reads `body` whole: at most `limit` bytes, with at most `idle` between two chunks.
///
/// # Errors
///
/// [`BodyError`] when the body is too large, stalls or the connection fails.
pub(crate) async fn read_body(
    body: Body,
    limit: usize,
    idle: Duration,
) -> Result<Bytes, BodyError> {
    // A `Content-Length` over the limit is refused before anything is read.
    let announced = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if announced > limit {
        return Err(BodyError::TooLarge { limit });
    }
    let mut stream = body.into_data_stream();
    let mut buf = Vec::with_capacity(announced);
    loop {
        let next = tokio::time::timeout(idle, stream.next())
            .await
            .map_err(|_| BodyError::TimedOut { after: idle })?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| BodyError::Unreadable(e.to_string()))?;
        if buf.len().saturating_add(chunk.len()) > limit {
            return Err(BodyError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_and_deadline() {
        let ok = read_body(Body::from("abc"), 3, Duration::from_secs(1)).await;
        assert_eq!(ok.unwrap(), "abc");
        let big = read_body(Body::from("abcd"), 3, Duration::from_secs(1)).await;
        assert!(matches!(big, Err(BodyError::TooLarge { limit: 3 })));
        let (_tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let stalled = read_body(Body::from_stream(rx), 10, Duration::from_millis(50)).await;
        assert!(matches!(stalled, Err(BodyError::TimedOut { .. })));
    }

    #[tokio::test]
    async fn a_slow_body_that_keeps_arriving_is_read_whole() {
        // Five chunks 40 ms apart: 200 ms in all, four times the 50 ms idle timeout.
        let chunks = futures::stream::iter(0..5).then(|i| async move {
            tokio::time::sleep(Duration::from_millis(40)).await;
            Ok::<_, std::io::Error>(Bytes::from(format!("{i}")))
        });
        let read = read_body(Body::from_stream(chunks), 10, Duration::from_millis(50)).await;
        assert_eq!(read.unwrap(), "01234");
    }
}
