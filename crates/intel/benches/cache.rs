//! Cost of an intel lookup answered by L1 (this process) and by L2 (Redis, a real
//! redis-server on loopback), through the same decorator stack the fleet uses.
//!
//! `cargo bench -p soc-intel --bench cache`
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use soc_core::{Confidence, Ioc, IocKind, Scope};
use soc_intel::cache::{
    CacheSettings, CachedProvider, GuardSettings, GuardedProvider, SharedRedis,
};
use soc_intel::{IntelError, IntelProvider, IntelRecord, Reputation};

struct Upstream;

#[async_trait]
impl IntelProvider for Upstream {
    fn name(&self) -> &'static str {
        "bench"
    }
    fn supports(&self, _kind: IocKind) -> bool {
        true
    }
    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        Ok(IntelRecord {
            provider: "bench",
            ioc: ioc.clone(),
            reputation: Reputation::Malicious,
            confidence: Confidence::High,
            claim: format!(
                "{} is reported 314 times by 41 users (score 100); categories: SSH, Brute-Force",
                ioc.value
            ),
            tags: vec!["abuseipdb_score:100".into(), "tor".into()],
            listings: vec![],
            raw: serde_json::json!({"abuseConfidenceScore": 100, "totalReports": 314, "isp": "Example Hosting", "usageType": "Data Center/Web Hosting/Transit"}),
        })
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let redis = rt.block_on(soc_testkit::RedisServer::start()).unwrap();
    let _runtime = rt.enter(); // the Redis connection manager spawns onto this runtime
    let ioc = Ioc {
        kind: IocKind::Ipv4,
        value: "185.220.101.47".into(),
        scope: Some(Scope::External),
    };
    let stack = |with_redis: bool| -> Arc<CachedProvider> {
        let r = with_redis.then(|| {
            let conn = SharedRedis::connect_lazy(&redis.url(), Duration::from_millis(500)).unwrap();
            SharedRedis::new(conn, "soc:bench:", Duration::from_millis(500), None)
        });
        let guarded: Arc<dyn IntelProvider> = Arc::new(GuardedProvider::new(
            Arc::new(Upstream),
            r.clone(),
            GuardSettings::default(),
            None,
        ));
        Arc::new(CachedProvider::new(
            guarded,
            r,
            CacheSettings::default(),
            None,
        ))
    };
    let mut g = c.benchmark_group("intel_lookup");
    g.throughput(Throughput::Elements(1));

    let l1 = stack(false);
    rt.block_on(l1.lookup(&ioc)).unwrap();
    g.bench_function("l1_hit", |b| {
        b.to_async(&rt)
            .iter(|| async { l1.lookup(&ioc).await.unwrap() })
    });

    let l2 = stack(true);
    rt.block_on(l2.lookup(&ioc)).unwrap();
    g.bench_function("l2_hit", |b| {
        b.to_async(&rt).iter(|| async {
            l2.forget(&ioc).await;
            l2.lookup(&ioc).await.unwrap()
        })
    });
    g.finish();
    drop(redis);
}

criterion_group!(benches, bench);
criterion_main!(benches);
