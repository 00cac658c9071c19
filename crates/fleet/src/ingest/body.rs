//! Reading a request body with a size limit and a deadline, shared by every endpoint that
//! takes one.
//!
//! The deadline covers the whole body: a client that announces more bytes than it sends
//! (or sends them too slowly) gets `408` instead of holding the request, and the service's
//! shutdown, open forever.

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
    /// The whole body did not arrive within the deadline.
    #[error("request body was not received in full within {} s", .after.as_secs_f64())]
    TimedOut {
        /// The deadline.
        after: Duration,
    },
    /// The connection failed while the body was read (the client went away).
    #[error("request body could not be read: {0}")]
    Unreadable(String),
}

/// Reads `body` whole: at most `limit` bytes, within `deadline`.
///
/// # Errors
///
/// [`BodyError`] when the body is too large, arrives too slowly or the connection fails.
pub(crate) async fn read_body(
    body: Body,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    // A `Content-Length` over the limit is refused before anything is read.
    if usize::try_from(body.size_hint().lower()).map_or(true, |n| n > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let read = async {
        let mut stream = body.into_data_stream();
        let mut buf = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| BodyError::Unreadable(e.to_string()))?;
            if buf.len().saturating_add(chunk.len()) > limit {
                return Err(BodyError::TooLarge { limit });
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buf))
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| BodyError::TimedOut { after: deadline })?
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
}
