//! `rediss://` URLs: the Redis history store builds a TLS client for them, and a URL it
//! cannot use is refused naming the setting, never the URL (it may hold a password).
//!
//! A round trip over TLS against a real redis-server with a TLS port is tested through the
//! binary (`crates/cli/tests/it/setup.rs`), which can hand each process the
//! `SSL_CERT_FILE` it needs; an untrusted server's error by the fleet's store
//! (`crates/fleet/src/store.rs`).
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use soc_history::{HistoryError, HistorySettings, RedisHistory};

#[tokio::test]
async fn rediss_urls_build_a_store_and_unusable_urls_name_the_setting() {
    // Without TLS in the client this failed with "invalid redis URL: InvalidClientConfig".
    let ok = RedisHistory::connect_lazy(
        "rediss://:s3cret@127.0.0.1:6380/0",
        "soc:",
        HistorySettings::default(),
    );
    assert!(ok.is_ok());
    let err = RedisHistory::connect_lazy("rediss://:s3cret@/0", "soc:", HistorySettings::default())
        .unwrap_err();
    assert!(matches!(err, HistoryError::InvalidUrl { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "cannot use redis.url (--redis-url, REDIS_URL): invalid client config: Redis URL did not parse"
    );
    assert!(!format!("{err:?}").contains("s3cret"));
}
