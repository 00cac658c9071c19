//! Figures, printed and never asserted: Redis bytes per stored investigation
//! (`MEMORY USAGE` over every key written, divided by N) and the latency of one lookup
//! (`recall`: prior sightings + correlation, 72 h) over N stored investigations, for both stores.
//!
//! N is 10,000 by default (`SOC_HISTORY_MEASURE_N` overrides it). Run with
//! `cargo nextest run -p soc-history --test measure --no-capture` (add `--release` for
//! figures that mean something: a debug build is several times slower).
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use soc_core::Verdict;
use soc_history::{
    DEFAULT_WINDOW, HistorySettings, HistoryStore, MemoryHistory, MemoryOptions, RedisHistory,
    Subject,
};
use soc_testkit::RedisServer;
use support::{Rng, synthetic};

async fn fill(store: Arc<dyn HistoryStore>, n: usize) -> Duration {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let subjects: Vec<Subject> = (0..n).map(|i| synthetic(&mut rng, i)).collect();
    let started = Instant::now();
    for chunk in subjects.chunks(64) {
        let tasks = chunk.iter().cloned().map(|s| {
            let store = store.clone();
            tokio::spawn(async move {
                let verdict = if s.alert_id.len() % 2 == 0 {
                    Verdict::TruePositive
                } else {
                    Verdict::FalsePositive
                };
                let techniques: Vec<&str> = s.techniques.iter().map(String::as_str).collect();
                let inv = support::investigation(&s, verdict, &techniques);
                store.begin(&s).await.unwrap();
                store.record(&s, &inv).await.unwrap();
            })
        });
        for t in futures::future::join_all(tasks).await {
            t.unwrap();
        }
    }
    started.elapsed()
}

/// p50 and p99 of `lookups` recall calls (prior sightings + correlation), plus the mean
/// result sizes.
async fn lookups(store: &dyn HistoryStore, lookups: usize) -> (Duration, Duration, f64, f64) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut times = Vec::with_capacity(lookups);
    let (mut priors, mut related) = (0usize, 0usize);
    for i in 0..lookups {
        let s = synthetic(&mut rng, 1_000_000 + i);
        let t = Instant::now();
        let recalled = store.recall(&s, DEFAULT_WINDOW).await.unwrap();
        let (p, c) = (recalled.priors, recalled.correlation);
        times.push(t.elapsed());
        priors += p.len();
        related += c.related_alerts.len();
    }
    times.sort();
    let pct = |q: f64| {
        let idx = ((times.len() as f64) * q).ceil() as usize;
        times[idx.saturating_sub(1).min(times.len() - 1)]
    };
    (
        pct(0.50),
        pct(0.99),
        priors as f64 / lookups as f64,
        related as f64 / lookups as f64,
    )
}

fn n() -> usize {
    std::env::var("SOC_HISTORY_MEASURE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_bytes_per_investigation_and_lookup_latency() {
    let n = n();
    let redis = RedisServer::start().await.unwrap();
    let prefix = "soc:".to_owned();
    let store: Arc<dyn HistoryStore> = Arc::new(
        RedisHistory::connect_lazy(&redis.url(), prefix.clone(), HistorySettings::default())
            .unwrap(),
    );
    let client = redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let used = |info: String| -> i64 {
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let before: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut c)
        .await
        .unwrap();

    let write = fill(store.clone(), n).await;

    // MEMORY USAGE of every key, by kind.
    let mut cursor: u64 = 0;
    let mut keys: Vec<String> = Vec::new();
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut c)
            .await
            .unwrap();
        keys.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let mut by_kind: std::collections::BTreeMap<String, (usize, i64)> = Default::default();
    for chunk in keys.chunks(500) {
        let mut p = redis::pipe();
        for k in chunk {
            p.cmd("MEMORY").arg("USAGE").arg(k).arg("SAMPLES").arg(0);
        }
        let sizes: Vec<Option<i64>> = p.query_async(&mut c).await.unwrap();
        for (k, sz) in chunk.iter().zip(sizes) {
            let kind = k[prefix.len()..]
                .split(':')
                .next()
                .unwrap_or("?")
                .to_owned();
            let e = by_kind.entry(kind).or_default();
            e.0 += 1;
            e.1 += sz.unwrap_or(0);
        }
    }
    let total: i64 = by_kind.values().map(|(_, b)| b).sum();
    let after: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut c)
        .await
        .unwrap();

    let (p50, p99, priors, related) = lookups(&*store, 1_000).await;
    println!("== soc-history on Redis, N = {n} investigations ==");
    println!(
        "write (begin + record, 64 in flight): {:.2} s, {:.0} investigations/s",
        write.as_secs_f64(),
        n as f64 / write.as_secs_f64()
    );
    for (kind, (count, bytes)) in &by_kind {
        println!(
            "  {kind:<7} {count:>7} keys {bytes:>11} bytes ({:.0} bytes per investigation)",
            *bytes as f64 / n as f64
        );
    }
    println!(
        "MEMORY USAGE over {} keys: {total} bytes = {:.0} bytes per investigation",
        keys.len(),
        total as f64 / n as f64
    );
    println!(
        "used_memory delta: {} bytes = {:.0} bytes per investigation",
        used(after.clone()) - used(before.clone()),
        (used(after) - used(before)) as f64 / n as f64
    );
    println!(
        "lookup (recall: prior sightings + correlation 72h), 1000 lookups: p50 {:.2} ms, p99 {:.2} ms; mean {priors:.1} prior sightings, {related:.1} related alerts",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_lookup_latency_and_file_size() {
    let n = n();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    let mem = Arc::new(
        MemoryHistory::open(
            &path,
            HistorySettings::default(),
            MemoryOptions {
                max_records: n.max(1),
                autosave: false,
            },
        )
        .unwrap(),
    );
    let store: Arc<dyn HistoryStore> = mem.clone();
    let write = fill(store.clone(), n).await;
    let t = Instant::now();
    mem.save().await.unwrap();
    let save = t.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    let t = Instant::now();
    let reopened =
        MemoryHistory::open(&path, HistorySettings::default(), MemoryOptions::default()).unwrap();
    let load = t.elapsed();
    let (p50, p99, priors, related) = lookups(&*store, 1_000).await;
    println!("== soc-history in memory, N = {n} investigations ==");
    println!("write (begin + record): {:.2} s", write.as_secs_f64());
    println!(
        "file: {size} bytes = {:.0} bytes per investigation; save {:.0} ms, load {:.0} ms ({} held)",
        size as f64 / n as f64,
        save.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e3,
        reopened.len()
    );
    println!(
        "lookup (recall: prior sightings + correlation 72h), 1000 lookups: p50 {:.3} ms, p99 {:.3} ms; mean {priors:.1} prior sightings, {related:.1} related alerts",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
