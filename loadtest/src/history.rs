//! The fleet's memory under load: Redis bytes per stored investigation and the latency
//! of the lookups every investigation makes (prior sightings and correlation), measured
//! against the run's own Redis after the workers stored the run's investigations.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use soc_core::alert::{Alert, Format, Limits};
use soc_core::ioc::{IocConfig, extract};
use soc_history::{HistorySettings, HistoryStore, RedisHistory, Subject};

use crate::generate::GeneratedAlert;
use crate::stats::percentile;

/// What the memory cost and how fast it answered.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HistoryFigures {
    /// Investigations stored during the run (alerts investigated).
    pub(crate) investigations: usize,
    /// Redis `used_memory` growth over the run, bytes.
    pub(crate) used_memory_delta: i64,
    /// That growth per stored investigation, bytes.
    pub(crate) bytes_per_investigation: f64,
    /// Keys in the database at the end.
    pub(crate) keys: u64,
    /// Bytes of the history's own keys (summaries and indexes, `MEMORY USAGE`) per stored
    /// investigation; the rest of the growth is the fleet's idempotency store (the full
    /// published investigation per alert).
    pub(crate) history_bytes_per_investigation: f64,
    /// Lookups timed (prior sightings + correlation, one subject each).
    pub(crate) lookups: usize,
    /// Their latency, milliseconds.
    pub(crate) p50_ms: f64,
    /// p99, milliseconds.
    pub(crate) p99_ms: f64,
    /// Related alerts found per lookup, mean.
    pub(crate) mean_related: f64,
}

/// Redis `used_memory`, bytes.
pub(crate) async fn used_memory(redis_url: &str) -> anyhow::Result<i64> {
    let client = redis::Client::open(redis_url).context("redis url")?;
    let mut c = client
        .get_multiplexed_async_connection()
        .await
        .context("connecting to redis")?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut c)
        .await
        .context("INFO memory")?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no used_memory in INFO")
}

/// Measures after a run that investigated `investigations` alerts.
pub(crate) async fn measure(
    redis_url: &str,
    before: i64,
    investigations: usize,
    alerts: &[GeneratedAlert],
    lookups: usize,
) -> anyhow::Result<HistoryFigures> {
    let after = used_memory(redis_url).await?;
    let client = redis::Client::open(redis_url).context("redis url")?;
    let mut c = client
        .get_multiplexed_async_connection()
        .await
        .context("connecting to redis")?;
    let keys: u64 = redis::cmd("DBSIZE")
        .query_async(&mut c)
        .await
        .context("DBSIZE")?;
    // The history's keys: summaries (inv:), indexes (ioc:, host:, net24:), dedup (fp*,
    // worked:) and rulings.
    let mut history_bytes: u64 = 0;
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut c)
            .await
            .context("SCAN")?;
        let wanted: Vec<&String> = batch
            .iter()
            .filter(|k| {
                [
                    "soc:inv:",
                    "soc:ioc:",
                    "soc:host:",
                    "soc:net24:",
                    "soc:fp",
                    "soc:worked:",
                    "soc:ruling:",
                ]
                .iter()
                .any(|p| k.starts_with(p))
            })
            .collect();
        if !wanted.is_empty() {
            let mut pipe = redis::pipe();
            for k in &wanted {
                pipe.cmd("MEMORY").arg("USAGE").arg(k.as_str());
            }
            let sizes: Vec<Option<u64>> = pipe.query_async(&mut c).await.context("MEMORY USAGE")?;
            history_bytes += sizes.into_iter().flatten().sum::<u64>();
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let store = RedisHistory::connect_lazy(redis_url, "soc:", HistorySettings::default())
        .map_err(anyhow::Error::msg)?
        .with_timeout(Duration::from_secs(5));
    let cfg = IocConfig::default();
    let mut times = Vec::with_capacity(lookups);
    let mut related = 0usize;
    let step = (alerts.len() / lookups.max(1)).max(1);
    for g in alerts.iter().step_by(step).take(lookups) {
        let Ok(alert) = Alert::from_value(g.value.clone(), Format::Native, &Limits::default())
        else {
            continue;
        };
        let subject = Subject::from_alert(&alert, &extract(&alert, &cfg));
        let t = Instant::now();
        let corr = store
            .recall(&subject, soc_history::DEFAULT_WINDOW)
            .await
            .map_err(anyhow::Error::msg)?
            .correlation;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        related += corr.related_alerts.len();
    }
    let n = times.len();
    times.sort_by(f64::total_cmp);
    let delta = after - before;
    Ok(HistoryFigures {
        investigations,
        used_memory_delta: delta,
        bytes_per_investigation: delta as f64 / investigations.max(1) as f64,
        keys,
        history_bytes_per_investigation: history_bytes as f64 / investigations.max(1) as f64,
        lookups: n,
        p50_ms: percentile(&times, 50.0).unwrap_or(0.0),
        p99_ms: percentile(&times, 99.0).unwrap_or(0.0),
        mean_related: related as f64 / n.max(1) as f64,
    })
}
