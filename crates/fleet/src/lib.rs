//! soc-fleet: the alert investigation fleet on NATS JetStream.
//!
//! Forwarders push alerts to the ingest API (or publish straight to NATS); any number of
//! worker processes share one durable pull consumer; each investigation is published to the
//! investigation stream before its alert is acknowledged. A crash, a redeploy or a poison
//! message loses nothing and pays for nothing twice:
//! - the alert stream deduplicates a forwarder's retries (`Nats-Msg-Id` = source + alert id);
//! - a finished investigation is stored in Redis under the alert's key before it is
//!   published, so a redelivered alert is republished from the store, not investigated
//!   again;
//! - the investigation stream deduplicates republications by the same message id, with a
//!   window longer than any redelivery;
//! - bad input and messages that exhaust their deliveries land in the dead-letter stream
//!   with the error.
//!
//! # Layout
//!
//! - [`names`]: stream, consumer and subject names, message ids, header names.
//! - [`jetstream`]: idempotent creation and update of the streams and the consumer.
//! - [`trace`]: W3C `traceparent` propagation through HTTP and NATS headers.
//! - [`metrics`]: the closed catalogue of Prometheus metrics and the `/metrics` server.
//! - [`store`]: the Redis investigation store (idempotency by alert key).
//! - [`ingest`]: the HTTP API (`POST /v1/alerts`, analyst rulings on
//!   `/v1/investigations/{id}/ruling`, `/healthz`, `/readyz`).
//! - [`worker`]: the consumer loop, acks, retries and the dead-letter queue.
//! - [`tail`]: reading the investigation stream (`soc-copilot tail`).
//! - [`shutdown`]: signal handling.
//! - [`error`]: the crate's error type, [`FleetError`].
//!
//! Every role is a library function that takes its listener (when it has one) and a
//! cancellation token, so tests run the same code on `127.0.0.1:0` with their own token.

pub mod error;
pub mod ingest;
pub mod jetstream;
pub mod metrics;
pub mod names;
pub mod shutdown;
pub mod store;
pub mod tail;
pub mod trace;
pub mod worker;

pub use error::FleetError;
