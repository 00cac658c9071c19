//! Fleet integration tests on real nats-server and redis-server processes (soc-testkit).
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod campaign;
mod dedup;
mod helpers;
mod ingest;
mod ingest_limits;
mod metrics;
mod ruling;
mod worker;
