//! The decorators around the real AbuseIPDB provider, against a wire-level mock serving
//! the contract fixtures, with two independent cache stacks ("workers") sharing a real
//! redis-server.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::sync::Arc;
use std::time::Duration;

use soc_core::IocKind;
use soc_intel::cache::{
    CacheSettings, CachedProvider, GuardSettings, GuardedProvider, SharedRedis,
};
use soc_intel::providers::abuseipdb::AbuseIpDb;
use soc_intel::{IntelError, IntelProvider, Quota, Reputation};
use soc_testkit::RedisServer;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn worker(
    server: &MockServer,
    redis: &RedisServer,
    prefix: &str,
    guard: GuardSettings,
) -> Arc<dyn IntelProvider> {
    soc_intel::tls::install_crypto_provider();
    let provider: Arc<dyn IntelProvider> =
        Arc::new(AbuseIpDb::new(support::settings(server, Duration::from_secs(5))).unwrap());
    let conn = SharedRedis::connect_lazy(&redis.url(), Duration::from_millis(500)).unwrap();
    let shared = SharedRedis::new(conn, prefix, Duration::from_millis(500), None);
    let guarded: Arc<dyn IntelProvider> = Arc::new(GuardedProvider::new(
        provider,
        Some(shared.clone()),
        guard,
        None,
    ));
    Arc::new(CachedProvider::new(
        guarded,
        Some(shared),
        CacheSettings::default(),
        None,
    ))
}

#[tokio::test]
async fn fifty_concurrent_lookups_on_two_workers_reach_the_provider_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .and(query_param("ipAddress", "185.220.101.47"))
        .respond_with(
            support::respond(200, "abuseipdb", "check_malicious_verbose.json")
                .set_delay(Duration::from_millis(150)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let a = worker(&server, &redis, &prefix, GuardSettings::default());
    let b = worker(&server, &redis, &prefix, GuardSettings::default());
    let ioc = support::ioc(IocKind::Ipv4, "185.220.101.47");
    let lookups = (0..50).map(|i| {
        let w = if i % 2 == 0 { a.clone() } else { b.clone() };
        let ioc = ioc.clone();
        tokio::spawn(async move { w.lookup(&ioc).await.unwrap() })
    });
    for r in futures::future::join_all(lookups).await {
        assert_eq!(r.unwrap().reputation, Reputation::Malicious);
    }
    server.verify().await; // exactly one request
}

#[tokio::test]
async fn a_budget_of_n_per_minute_sends_exactly_n_requests() {
    let server = MockServer::start().await;
    let n = 5;
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .respond_with(support::respond(200, "abuseipdb", "check_clean.json"))
        .mount(&server)
        .await;
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let minute_at_start = chrono::Utc::now().timestamp() / 60;
    let mut guard = GuardSettings::default();
    guard.quotas.insert(
        "abuseipdb".into(),
        Quota {
            per_minute: Some(n as u32),
            per_day: Some(1000),
        },
    );
    let a = worker(&server, &redis, &prefix, guard.clone());
    let b = worker(&server, &redis, &prefix, guard);
    let mut skipped = 0;
    // Stay inside one minute window: the test takes well under a second.
    for i in 0..12 {
        let w = if i % 2 == 0 { &a } else { &b };
        match w
            .lookup(&support::ioc(
                IocKind::Ipv4,
                &format!("198.51.100.{}", i + 1),
            ))
            .await
        {
            Ok(_) => {}
            Err(IntelError::QuotaExhausted { .. }) => skipped += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let sent = server.received_requests().await.unwrap().len();
    if chrono::Utc::now().timestamp() / 60 == minute_at_start {
        assert_eq!(sent, n as usize, "exactly the budget reached the provider");
        assert_eq!(skipped, 12 - n as usize);
    } else {
        // The window rolled over mid-test: a second budget opened, so up to 2n went out.
        eprintln!("the run crossed a minute boundary: checking the bound only");
        assert!(
            sent <= 2 * n as usize && sent + skipped == 12,
            "sent {sent}, skipped {skipped}"
        );
    }
}

#[tokio::test]
async fn a_429_stops_every_worker_until_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "2")
                .set_body_raw(
                    support::text("abuseipdb", "error_429.json"),
                    "application/json",
                ),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    // A floor below the provider's 2 s, so the provider's figure is what counts.
    let guard = GuardSettings {
        min_rate_limit_pause: Duration::from_secs(1),
        ..GuardSettings::default()
    };
    let a = worker(&server, &redis, &prefix, guard.clone());
    let b = worker(&server, &redis, &prefix, guard);
    let r = a
        .lookup(&support::ioc(IocKind::Ipv4, "198.51.100.70"))
        .await;
    assert!(
        matches!(
            r,
            Err(IntelError::RateLimited {
                retry_after_secs: Some(2),
                ..
            })
        ),
        "{r:?}"
    );
    // The other worker does not send anything while the circuit is open.
    let r = b
        .lookup(&support::ioc(IocKind::Ipv4, "198.51.100.71"))
        .await;
    assert!(matches!(r, Err(IntelError::CircuitOpen { .. })), "{r:?}");
    server.verify().await;
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .respond_with(support::respond(200, "abuseipdb", "check_clean.json"))
        .expect(1)
        .mount(&server)
        .await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(
        b.lookup(&support::ioc(IocKind::Ipv4, "198.51.100.71"))
            .await
            .is_ok()
    );
    server.verify().await;
}

#[tokio::test]
async fn killing_redis_mid_test_leaves_lookups_answering() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .respond_with(support::respond(200, "abuseipdb", "check_clean.json"))
        .mount(&server)
        .await;
    let mut redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let a = worker(&server, &redis, &prefix, GuardSettings::default());
    assert!(
        a.lookup(&support::ioc(IocKind::Ipv4, "198.51.100.80"))
            .await
            .is_ok()
    );
    redis.stop();
    for i in 0..5 {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            a.lookup(&support::ioc(
                IocKind::Ipv4,
                &format!("198.51.100.{}", 81 + i),
            )),
        )
        .await;
        assert!(r.unwrap().is_ok());
    }
}
