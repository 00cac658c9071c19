//! [`HistoryError`]: why a history operation failed, with its retry class.

use soc_core::error::{Classify, ErrorClass};

/// Why a history operation failed. Messages are lower-case, one line, and never contain
/// indicator values or connection secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// Redis answered with an error or the connection failed.
    #[error("redis `{op}` failed: {detail}")]
    Redis {
        /// The operation (`begin`, `record`, `members`, ...).
        op: &'static str,
        /// The client's description of the failure (kind and message, shortened).
        detail: String,
    },
    /// Redis did not answer within the configured timeout.
    #[error("redis `{op}` timed out")]
    Timeout {
        /// The operation.
        op: &'static str,
    },
    /// No Redis client can be built from the URL (`redis.url`, `--redis-url`, `REDIS_URL`).
    #[error("cannot use {}: {detail}", soc_core::config::REDIS_URL_SETTING)]
    InvalidUrl {
        /// What is wrong with it, in words (never the URL itself: it may carry a
        /// password).
        detail: String,
    },
    /// A ruling names an investigation the store does not hold (never recorded, or
    /// expired).
    #[error("no stored investigation `{investigation_id}`")]
    UnknownInvestigation {
        /// The id given.
        investigation_id: String,
    },
    /// The caller handed in something unusable (an empty id, an investigation of another
    /// alert than the subject).
    #[error("invalid history input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// The history file could not be read or written.
    #[error("history file `{path}`: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The history file is not a history document this version can read.
    #[error("history file `{path}` is not usable: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl HistoryError {
    pub(crate) fn redis(op: &'static str, e: &redis::RedisError) -> Self {
        // The category in words ("I/O error"), then the client's text: for a TLS failure
        // the rustls reason ("invalid peer certificate: UnknownIssuer").
        let mut detail = format!("{}: {e}", e.category());
        let hint = soc_core::config::redis_error_hint(&detail);
        if detail.len() > 200 {
            let mut cut = 200;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
        }
        if let Some(hint) = hint {
            detail = format!("{detail} ({hint})");
        }
        Self::Redis { op, detail }
    }

    /// A Redis client that cannot be built from the URL.
    pub(crate) fn client(e: &redis::RedisError) -> Self {
        Self::InvalidUrl {
            detail: soc_core::config::redis_client_error(e.category(), &e.to_string()),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            reason: reason.into(),
        }
    }
}

impl Classify for HistoryError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Redis { .. } | Self::Timeout { .. } => ErrorClass::Transient,
            Self::InvalidUrl { .. } | Self::File { .. } | Self::Corrupt { .. } => {
                ErrorClass::Permanent
            }
            Self::UnknownInvestigation { .. } | Self::InvalidInput { .. } => ErrorClass::BadInput,
        }
    }
}
