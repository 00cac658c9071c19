//! Errors of LLM calls and client set-up.
//!
//! Messages are lower-case and never contain an API key: text an upstream API sends back
//! (which may echo the key) passes through the client's redaction before it lands in a
//! variant.

use std::time::Duration;

use soc_core::error::{Classify, ErrorClass};

/// Why a call or a client set-up failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The provider's rate limit was hit (HTTP 429) and the retries, if any, are spent, or
    /// the wait it asked for is longer than the client waits inside one call.
    #[error("`{provider}` rate limit reached{}", wait_text(*retry_after))]
    RateLimited {
        /// Provider name.
        provider: &'static str,
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The provider is overloaded or not ready (Anthropic 529 `overloaded_error`, 503).
    #[error("`{provider}` is overloaded{}", wait_text(*retry_after))]
    Overloaded {
        /// Provider name.
        provider: &'static str,
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The key was rejected or lacks access (HTTP 401/403).
    #[error("`{provider}` rejected the API key (HTTP {status}): {message}")]
    AuthRejected {
        /// Provider name.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
        /// The API's message, redacted.
        message: String,
    },
    /// The account's spend limit or quota is exhausted (Anthropic
    /// `enforced_spend_limit_reached`, OpenAI `insufficient_quota`, HTTP 402): retrying
    /// will not help until someone acts.
    #[error("`{provider}` quota or spend limit exhausted: {message}")]
    QuotaExhausted {
        /// Provider name.
        provider: &'static str,
        /// The API's message, redacted.
        message: String,
    },
    /// The API refused the request as malformed (HTTP 400, 404 unknown model, 413, 422,
    /// other 4xx).
    #[error("`{provider}` rejected the request (HTTP {status}): {message}")]
    BadRequest {
        /// Provider name.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
        /// The API's message, redacted.
        message: String,
    },
    /// The API failed on its side (HTTP 5xx other than overload, 408, 409) and the retries
    /// are spent.
    #[error("`{provider}` failed (HTTP {status}): {message}")]
    Server {
        /// Provider name.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
        /// The API's message, redacted (may be empty).
        message: String,
    },
    /// No answer within the request timeout.
    #[error("`{provider}` timed out after {}s", .after.as_secs_f32())]
    Timeout {
        /// Provider name.
        provider: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// The request could not be sent or the answer not received (connection refused, TLS,
    /// reset).
    #[error("`{provider}` transport error: {detail}")]
    Transport {
        /// Provider name.
        provider: &'static str,
        /// What happened (no URL, no key).
        detail: String,
    },
    /// A 2xx answer we cannot read (not JSON, not the documented shape, too large).
    #[error("`{provider}` sent a malformed response: {detail}")]
    MalformedResponse {
        /// Provider name.
        provider: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The request was refused before sending (no messages, no model).
    #[error("invalid LLM request: {0}")]
    InvalidRequest(String),
    /// The client cannot be built or a configuration value is unusable.
    #[error("LLM configuration: {0}")]
    Config(String),
}

fn wait_text(d: Option<Duration>) -> String {
    d.map(|d| format!(" (retry after {}s)", d.as_secs_f32()))
        .unwrap_or_default()
}

impl LlmError {
    /// The wait the provider asked for, on rate limits and overloads.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Overloaded { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// A stable, low-cardinality name for metrics labels (`rate_limited`, `timeout`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Overloaded { .. } => "overloaded",
            Self::AuthRejected { .. } => "auth_rejected",
            Self::QuotaExhausted { .. } => "quota_exhausted",
            Self::BadRequest { .. } => "bad_request",
            Self::Server { .. } => "server",
            Self::Timeout { .. } => "timeout",
            Self::Transport { .. } => "transport",
            Self::MalformedResponse { .. } => "malformed_response",
            Self::InvalidRequest(_) => "invalid_request",
            Self::Config(_) => "config",
        }
    }
}

impl Classify for LlmError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited { .. }
            | Self::Overloaded { .. }
            | Self::Server { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. } => ErrorClass::Transient,
            Self::AuthRejected { .. }
            | Self::QuotaExhausted { .. }
            | Self::BadRequest { .. }
            | Self::MalformedResponse { .. }
            | Self::InvalidRequest(_)
            | Self::Config(_) => ErrorClass::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_waits() {
        let e = LlmError::RateLimited {
            provider: "anthropic",
            retry_after: Some(Duration::from_secs(12)),
        };
        assert_eq!(e.class(), ErrorClass::Transient);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(12)));
        assert_eq!(
            e.to_string(),
            "`anthropic` rate limit reached (retry after 12s)"
        );
        let e = LlmError::QuotaExhausted {
            provider: "openai",
            message: "billing".into(),
        };
        assert_eq!(e.class(), ErrorClass::Permanent);
        assert_eq!(e.kind(), "quota_exhausted");
        assert_eq!(e.retry_after(), None);
    }

    #[test]
    fn error_stays_small() {
        assert!(std::mem::size_of::<LlmError>() <= 64);
    }
}
