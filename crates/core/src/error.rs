//! The retry class that every soc-copilot error carries (STYLE G7).
//!
//! The fleet worker maps the class of an error to its JetStream acknowledgement:
//! [`ErrorClass::Transient`] naks with a delay, [`ErrorClass::BadInput`] terminates the
//! message and copies it to the dead-letter queue, [`ErrorClass::Permanent`] fails the
//! step without retrying.

use serde::Serialize;

/// How a caller should react to an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Retrying later may succeed (timeouts, rate limits, unavailable services).
    Transient,
    /// Retrying will not help, but the input itself is fine (configuration, bugs).
    Permanent,
    /// The input is malformed or over a limit; it will never succeed.
    BadInput,
}

/// Implemented by every error type that can reach the worker's ack decision.
pub trait Classify {
    /// The retry class of this error.
    fn class(&self) -> ErrorClass;
}
