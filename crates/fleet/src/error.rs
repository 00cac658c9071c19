//! Fleet errors, each with its retry class.

use soc_core::error::{Classify, ErrorClass};

/// What went wrong in the fleet plumbing.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// Cannot connect to NATS.
    #[error("cannot connect to NATS at `{url}`: {detail}")]
    Connect {
        /// The server URL (without credentials).
        url: String,
        /// What happened.
        detail: String,
    },
    /// A JetStream management call failed (stream or consumer create/update/info).
    #[error("JetStream `{what}`: {detail}")]
    JetStream {
        /// What was being done.
        what: String,
        /// What happened.
        detail: String,
    },
    /// Publishing failed; the message may or may not have been stored.
    #[error("publish to `{subject}` failed: {detail}")]
    Publish {
        /// The subject.
        subject: String,
        /// What happened.
        detail: String,
    },
    /// Acknowledging a message failed.
    #[error("ack failed: {0}")]
    Ack(String),
    /// Redis failed or timed out.
    #[error("redis: {0}")]
    Redis(String),
    /// A listener or server failed.
    #[error("`{role}` server: {detail}")]
    Server {
        /// Which role.
        role: &'static str,
        /// What happened.
        detail: String,
    },
    /// Metrics registration failed (a programming error).
    #[error("metrics: {0}")]
    Metrics(String),
}

impl Classify for FleetError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Connect { .. }
            | Self::Publish { .. }
            | Self::Ack(_)
            | Self::Redis(_)
            | Self::JetStream { .. } => ErrorClass::Transient,
            Self::Server { .. } | Self::Metrics(_) => ErrorClass::Permanent,
        }
    }
}
