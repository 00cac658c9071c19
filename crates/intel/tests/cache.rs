//! The cache, single-flight, budget and circuit decorators, with a counting in-process
//! provider and a real redis-server (soc-testkit). The same behaviours against wire-level
//! mocks of the real providers are in `tests/fleet_cache.rs`.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use soc_core::{Confidence, Ioc, IocKind, Scope};
use soc_intel::cache::{
    CacheSettings, CachedProvider, GuardSettings, GuardedProvider, SharedRedis,
};
use soc_intel::metrics::IntelMetrics;
use soc_intel::{CacheLevel, IntelError, IntelProvider, IntelRecord, Quota, Reputation};
use soc_testkit::RedisServer;

/// Answers after a delay, counting calls; can be told to fail.
struct Counting {
    calls: AtomicU32,
    delay: Duration,
    fail: std::sync::Mutex<Option<IntelError>>,
}

impl Counting {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU32::new(0),
            delay,
            fail: std::sync::Mutex::new(None),
        })
    }
}

#[async_trait]
impl IntelProvider for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn supports(&self, _kind: IocKind) -> bool {
        true
    }
    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if let Some(e) = self.fail.lock().unwrap().clone() {
            return Err(e);
        }
        Ok(IntelRecord {
            provider: "counting",
            ioc: ioc.clone(),
            reputation: Reputation::Malicious,
            confidence: Confidence::High,
            claim: format!("{} is bad", ioc.value),
            tags: vec![],
            listings: vec![],
            raw: serde_json::json!({"n": 1}),
        })
    }
    fn quota(&self) -> Option<Quota> {
        Some(Quota {
            per_minute: None,
            per_day: None,
        })
    }
}

fn ip(v: &str) -> Ioc {
    Ioc {
        kind: IocKind::Ipv4,
        value: v.to_owned(),
        scope: Some(Scope::External),
    }
}

fn stack(
    p: Arc<Counting>,
    redis: Option<SharedRedis>,
    guard: GuardSettings,
) -> Arc<dyn IntelProvider> {
    let metrics = IntelMetrics::register(&prometheus::Registry::new()).unwrap();
    let guarded: Arc<dyn IntelProvider> = Arc::new(GuardedProvider::new(
        p,
        redis.clone(),
        guard,
        Some(metrics.clone()),
    ));
    Arc::new(CachedProvider::new(
        guarded,
        redis,
        CacheSettings::default(),
        Some(metrics),
    ))
}

fn shared(redis: &RedisServer, prefix: &str) -> SharedRedis {
    let conn = SharedRedis::connect_lazy(&redis.url(), Duration::from_millis(500)).unwrap();
    SharedRedis::new(conn, prefix, Duration::from_millis(500), None)
}

#[tokio::test]
async fn l1_coalesces_and_then_answers_from_memory() {
    let p = Counting::new(Duration::from_millis(50));
    let s = stack(p.clone(), None, GuardSettings::default());
    let lookups = (0..50).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.lookup_with_provenance(&ip("198.51.100.7")).await.unwrap() })
    });
    let results = futures::future::join_all(lookups).await;
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);
    let upstream = results
        .iter()
        .filter(|r| r.as_ref().unwrap().1.level == CacheLevel::Upstream)
        .count();
    assert_eq!(upstream, 1);
    let (_, prov) = s.lookup_with_provenance(&ip("198.51.100.7")).await.unwrap();
    assert_eq!(prov.level, CacheLevel::L1);
}

#[tokio::test]
async fn two_stacks_sharing_redis_make_one_upstream_request() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let p = Counting::new(Duration::from_millis(200));
    let a = stack(
        p.clone(),
        Some(shared(&redis, &prefix)),
        GuardSettings::default(),
    );
    let b = stack(
        p.clone(),
        Some(shared(&redis, &prefix)),
        GuardSettings::default(),
    );
    let lookups = (0..50).map(|i| {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            s.lookup_with_provenance(&ip("198.51.100.8"))
                .await
                .unwrap()
                .1
                .level
        })
    });
    let levels: Vec<CacheLevel> = futures::future::join_all(lookups)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        p.calls.load(Ordering::SeqCst),
        1,
        "one upstream request for the fleet"
    );
    assert_eq!(
        levels
            .iter()
            .filter(|l| **l == CacheLevel::Upstream)
            .count(),
        1
    );
    assert!(
        levels.contains(&CacheLevel::L2),
        "the other stack answered from L2: {levels:?}"
    );
}

#[tokio::test]
async fn errors_are_not_cached() {
    let p = Counting::new(Duration::ZERO);
    *p.fail.lock().unwrap() = Some(IntelError::BadResponse {
        provider: "counting",
        detail: "x".into(),
    });
    let s = stack(p.clone(), None, GuardSettings::default());
    assert!(s.lookup(&ip("198.51.100.9")).await.is_err());
    *p.fail.lock().unwrap() = None;
    assert!(s.lookup(&ip("198.51.100.9")).await.is_ok());
    assert_eq!(p.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_budget_of_n_per_minute_lets_exactly_n_through_across_stacks() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let mut guard = GuardSettings::default();
    guard.quotas.insert(
        "counting".into(),
        Quota {
            per_minute: Some(7),
            per_day: Some(1000),
        },
    );
    let p = Counting::new(Duration::ZERO);
    let a = stack(p.clone(), Some(shared(&redis, &prefix)), guard.clone());
    let b = stack(p.clone(), Some(shared(&redis, &prefix)), guard);
    let mut quota_errors = 0;
    for i in 0..20 {
        let s = if i % 2 == 0 { &a } else { &b };
        match s.lookup(&ip(&format!("198.51.100.{}", 20 + i))).await {
            Ok(_) => {}
            Err(IntelError::QuotaExhausted { window, .. }) => {
                assert_eq!(window, "minute");
                quota_errors += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    // A minute boundary during the test could reset the window once; allow for it.
    let calls = p.calls.load(Ordering::SeqCst);
    assert!(calls == 7 || calls == 14, "calls {calls}");
    assert_eq!(quota_errors + calls, 20);
}

#[tokio::test]
async fn a_rate_limit_pauses_every_stack_until_retry_after() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let p = Counting::new(Duration::ZERO);
    let a = stack(
        p.clone(),
        Some(shared(&redis, &prefix)),
        GuardSettings::default(),
    );
    let b = stack(
        p.clone(),
        Some(shared(&redis, &prefix)),
        GuardSettings::default(),
    );
    *p.fail.lock().unwrap() = Some(IntelError::RateLimited {
        provider: "counting",
        retry_after_secs: Some(2),
    });
    assert!(matches!(
        a.lookup(&ip("198.51.100.40")).await,
        Err(IntelError::RateLimited { .. })
    ));
    *p.fail.lock().unwrap() = None;
    // The other stack does not even try.
    assert!(matches!(
        b.lookup(&ip("198.51.100.41")).await,
        Err(IntelError::CircuitOpen { .. })
    ));
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(b.lookup(&ip("198.51.100.41")).await.is_ok());
    assert_eq!(p.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_absurd_retry_after_pauses_the_provider_without_overflowing_the_clock() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let p = Counting::new(Duration::ZERO);
    let a = stack(
        p.clone(),
        Some(shared(&redis, &prefix)),
        GuardSettings::default(),
    );
    *p.fail.lock().unwrap() = Some(IntelError::RateLimited {
        provider: "counting",
        retry_after_secs: Some(u64::MAX),
    });
    assert!(matches!(
        a.lookup(&ip("198.51.100.60")).await,
        Err(IntelError::RateLimited { .. })
    ));
    *p.fail.lock().unwrap() = None;
    assert!(matches!(
        a.lookup(&ip("198.51.100.61")).await,
        Err(IntelError::CircuitOpen { .. })
    ));
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failures_retry_then_open_the_circuit() {
    let p = Counting::new(Duration::ZERO);
    *p.fail.lock().unwrap() = Some(IntelError::Unavailable {
        provider: "counting",
        detail: "503".into(),
    });
    let mut guard = GuardSettings::default();
    guard.retry.base_delay = Duration::from_millis(5);
    let s = stack(p.clone(), None, guard);
    assert!(matches!(
        s.lookup(&ip("198.51.100.50")).await,
        Err(IntelError::Unavailable { .. })
    ));
    assert_eq!(p.calls.load(Ordering::SeqCst), 3, "three attempts");
    assert!(matches!(
        s.lookup(&ip("198.51.100.51")).await,
        Err(IntelError::CircuitOpen { .. })
    ));
    assert_eq!(p.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn killing_redis_leaves_lookups_answering() {
    let mut redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let p = Counting::new(Duration::ZERO);
    let s = stack(
        p.clone(),
        Some(shared(&redis, &prefix)),
        GuardSettings::default(),
    );
    assert!(s.lookup(&ip("198.51.100.60")).await.is_ok());
    redis.stop();
    for i in 0..5 {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            s.lookup(&ip(&format!("198.51.100.{}", 61 + i))),
        )
        .await;
        assert!(r.unwrap().is_ok(), "answers without Redis");
    }
    // Answered from L1 without Redis as well.
    assert!(s.lookup(&ip("198.51.100.60")).await.is_ok());
    assert_eq!(p.calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn upstream_calls_per_distinct_indicator_is_exactly_one_under_concurrency() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let p = Counting::new(Duration::from_millis(30));
    let stacks: Vec<Arc<dyn IntelProvider>> = (0..4)
        .map(|_| {
            stack(
                p.clone(),
                Some(shared(&redis, &prefix)),
                GuardSettings::default(),
            )
        })
        .collect();
    let distinct = 40;
    let mut lookups = Vec::new();
    for round in 0..10 {
        for i in 0..distinct {
            let s = stacks[(round + i) % stacks.len()].clone();
            lookups.push(tokio::spawn(async move {
                s.lookup(&ip(&format!("203.0.113.{}", i + 1)))
                    .await
                    .unwrap()
            }));
        }
    }
    for l in futures::future::join_all(lookups).await {
        l.unwrap();
    }
    let calls = p.calls.load(Ordering::SeqCst);
    println!(
        "upstream calls per distinct indicator: {calls}/{distinct} = {:.2}",
        f64::from(calls) / distinct as f64
    );
    assert_eq!(calls as usize, distinct);
}
