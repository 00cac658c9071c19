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
    /// What it reports as its slowest fetch.
    max_fetch: Option<Duration>,
}

impl Counting {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU32::new(0),
            delay,
            fail: std::sync::Mutex::new(None),
            max_fetch: None,
        })
    }

    fn reporting(delay: Duration, max_fetch: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU32::new(0),
            delay,
            fail: std::sync::Mutex::new(None),
            max_fetch: Some(max_fetch),
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
    fn max_fetch_time(&self) -> Option<Duration> {
        self.max_fetch
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
    stack_with(p, redis, guard, CacheSettings::default())
}

fn stack_with(
    p: Arc<Counting>,
    redis: Option<SharedRedis>,
    guard: GuardSettings,
    cache: CacheSettings,
) -> Arc<dyn IntelProvider> {
    let metrics = IntelMetrics::register(&prometheus::Registry::new()).unwrap();
    let guarded: Arc<dyn IntelProvider> = Arc::new(GuardedProvider::new(
        p,
        redis.clone(),
        guard,
        Some(metrics.clone()),
    ));
    Arc::new(CachedProvider::new(guarded, redis, cache, Some(metrics)))
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
async fn an_answer_from_l2_lives_in_l1_only_for_the_rest_of_its_life() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let cache = CacheSettings {
        ttl_flagged: Duration::from_secs(2),
        ..CacheSettings::default()
    };
    let p = Counting::new(Duration::ZERO);
    let stack = |p: &Arc<Counting>| {
        stack_with(
            p.clone(),
            Some(shared(&redis, &prefix)),
            GuardSettings::default(),
            cache.clone(),
        )
    };
    let (a, b) = (stack(&p), stack(&p));
    let key = ip("198.51.100.10");
    assert_eq!(
        a.lookup_with_provenance(&key).await.unwrap().1.level,
        CacheLevel::Upstream
    );
    // Halfway through its 2 s life, the other stack loads it from L2...
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        b.lookup_with_provenance(&key).await.unwrap().1.level,
        CacheLevel::L2
    );
    // ...and must drop it when its life is over (2 s after the fetch), not 2 s after
    // loading it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        b.lookup_with_provenance(&key).await.unwrap().1.level,
        CacheLevel::Upstream
    );
    assert_eq!(p.calls.load(Ordering::SeqCst), 2);
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
    // A floor below the provider's 2 s, so the provider's figure is what counts.
    let guard = GuardSettings {
        min_rate_limit_pause: Duration::from_secs(1),
        ..GuardSettings::default()
    };
    let a = stack(p.clone(), Some(shared(&redis, &prefix)), guard.clone());
    let b = stack(p.clone(), Some(shared(&redis, &prefix)), guard);
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
async fn a_zero_retry_after_still_pauses_for_the_floor() {
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
    // `Retry-After: 0`, or an HTTP date already past, reads as 0 s.
    *p.fail.lock().unwrap() = Some(IntelError::RateLimited {
        provider: "counting",
        retry_after_secs: Some(0),
    });
    assert!(matches!(
        a.lookup(&ip("198.51.100.44")).await,
        Err(IntelError::RateLimited { .. })
    ));
    *p.fail.lock().unwrap() = None;
    tokio::time::sleep(Duration::from_millis(50)).await;
    for s in [&a, &b] {
        match s.lookup(&ip("198.51.100.45")).await {
            Err(IntelError::CircuitOpen { remaining_secs, .. }) => {
                assert!((1..=5).contains(&remaining_secs), "{remaining_secs}");
            }
            other => panic!("the provider was asked again at once: {other:?}"),
        }
    }
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn waiters_wait_as_long_as_the_holder_may_take() {
    // The configured wait (100 ms) is shorter than the fetch (600 ms); the provider says
    // a fetch may take 1 s, so the other stack waits for the answer instead of asking
    // upstream a second time.
    let redis = RedisServer::start().await.unwrap();
    let cache = CacheSettings {
        lock_wait: Duration::from_millis(100),
        lock_ttl: Duration::from_millis(200),
        ..CacheSettings::default()
    };
    let p = Counting::reporting(Duration::from_millis(600), Duration::from_secs(1));
    let (first, second) = holder_then_waiter(&p, &redis, cache).await;
    assert_eq!(first, CacheLevel::Upstream);
    assert_eq!(second, CacheLevel::L2);
    assert_eq!(p.calls.load(Ordering::SeqCst), 1, "one upstream request");
}

/// Two stacks over `p` sharing `redis` look up one indicator: the first takes the fetch
/// lock and asks upstream; the second, 50 ms later, waits for its answer. Where each
/// answer came from.
async fn holder_then_waiter(
    p: &Arc<Counting>,
    redis: &RedisServer,
    cache: CacheSettings,
) -> (CacheLevel, CacheLevel) {
    let prefix = soc_testkit::unique_prefix();
    let stack = || {
        stack_with(
            p.clone(),
            Some(shared(redis, &prefix)),
            GuardSettings::default(),
            cache.clone(),
        )
    };
    let (a, b) = (stack(), stack());
    let key = ip("198.51.100.12");
    let first = {
        let key = key.clone();
        tokio::spawn(async move { a.lookup_with_provenance(&key).await.unwrap().1.level })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = b.lookup_with_provenance(&key).await.unwrap().1.level;
    (first.await.unwrap(), second)
}

/// A stack waiting on another's slow fetch polls Redis with back-off (25 ms doubling to
/// one second; each poll is a lock attempt and a read), not every 25 ms: over a 3 s fetch
/// about 8 polls instead of about 120. Counted by Redis (`INFO commandstats`: the
/// waiter's `SET`s, the lock attempts; the holder makes one lock `SET` and one record
/// `SET`).
#[tokio::test]
async fn a_waiter_polls_a_slow_fetch_with_back_off() {
    let redis = RedisServer::start().await.unwrap();
    let p = Counting::reporting(Duration::from_secs(3), Duration::from_secs(5));
    redis.reset_command_stats().await.unwrap();
    let (first, second) = holder_then_waiter(&p, &redis, CacheSettings::default()).await;
    assert_eq!(first, CacheLevel::Upstream);
    assert_eq!(second, CacheLevel::L2);
    let sets = redis.command_calls("set").await.unwrap();
    assert!(
        (3..=16).contains(&sets),
        "{sets} SETs over a 3 s wait: the waiter polled without back-off"
    );
}

#[test]
fn lock_bounds_fit_the_slowest_guarded_urlscan_fetch() {
    soc_intel::tls::install_crypto_provider();
    let settings = soc_intel::config::ProviderSettings {
        base_url: "http://127.0.0.1:9".into(),
        api_key: soc_core::config::Secret::new("k"),
        timeout: Duration::from_secs(10),
    };
    let urlscan: Arc<dyn IntelProvider> =
        Arc::new(soc_intel::providers::urlscan::Urlscan::new(settings).unwrap());
    assert_eq!(urlscan.max_fetch_time(), Some(Duration::from_secs(40)));
    let guarded = GuardedProvider::new(urlscan, None, GuardSettings::default(), None);
    // Three attempts of four 10 s requests, and at most 250 ms + 500 ms between them.
    let slowest = Duration::from_millis(120_750);
    assert_eq!(guarded.max_fetch_time(), Some(slowest));
    let fitted = CacheSettings::default().fitted_to(guarded.max_fetch_time());
    assert!(fitted.lock_ttl > slowest, "{:?}", fitted.lock_ttl);
    assert!(fitted.lock_wait >= slowest, "{:?}", fitted.lock_wait);
    // Unknown: the configured bounds stay.
    assert_eq!(
        CacheSettings::default().fitted_to(None),
        CacheSettings::default()
    );
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
