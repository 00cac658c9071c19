//! Errors of intel providers.

use soc_core::error::{Classify, ErrorClass};

/// Why a lookup or a provider set-up failed. Messages never contain API keys.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntelError {
    /// The provider asked us to slow down.
    #[error("`{provider}` rate limit reached{}", retry_after_text(*retry_after_secs))]
    RateLimited {
        /// Provider name.
        provider: &'static str,
        /// Seconds to wait, when the provider said.
        retry_after_secs: Option<u64>,
    },
    /// The provider did not answer in time.
    #[error("`{provider}` timed out")]
    Timeout {
        /// Provider name.
        provider: &'static str,
    },
    /// The provider refused our credentials.
    #[error("`{provider}` rejected the API key")]
    Unauthorized {
        /// Provider name.
        provider: &'static str,
    },
    /// The provider answered with something we cannot read.
    #[error("`{provider}` sent an unexpected response: {detail}")]
    BadResponse {
        /// Provider name.
        provider: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The provider cannot be reached.
    #[error("`{provider}` is unavailable: {detail}")]
    Unavailable {
        /// Provider name.
        provider: &'static str,
        /// What happened.
        detail: String,
    },
    /// The provider does not handle this kind of indicator.
    #[error("`{provider}` does not look up {kind} indicators")]
    Unsupported {
        /// Provider name.
        provider: &'static str,
        /// The indicator kind.
        kind: soc_core::IocKind,
    },
    /// The fleet-wide request budget for this provider is spent: the lookup was not sent.
    #[error("`{provider}` request budget for this {window} is spent; lookup skipped")]
    QuotaExhausted {
        /// Provider name.
        provider: &'static str,
        /// `minute` or `day`.
        window: &'static str,
    },
    /// The provider's circuit is open after repeated failures or a rate limit: the lookup
    /// was not sent.
    #[error(
        "`{provider}` is paused after failures or a rate limit (for {remaining_secs}s more); lookup skipped"
    )]
    CircuitOpen {
        /// Provider name.
        provider: &'static str,
        /// Seconds until the circuit closes again.
        remaining_secs: u64,
    },
    /// A feed file could not be read.
    #[error("feed `{path}`: {reason}")]
    Feed {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn retry_after_text(secs: Option<u64>) -> String {
    secs.map(|s| format!(" (retry after {s}s)"))
        .unwrap_or_default()
}

impl Classify for IntelError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited { .. }
            | Self::Timeout { .. }
            | Self::Unavailable { .. }
            | Self::QuotaExhausted { .. }
            | Self::CircuitOpen { .. } => ErrorClass::Transient,
            Self::Unauthorized { .. } | Self::BadResponse { .. } | Self::Feed { .. } => {
                ErrorClass::Permanent
            }
            Self::Unsupported { .. } => ErrorClass::BadInput,
        }
    }
}
