//! The measurements: the raw JetStream baseline and one pipeline pass.
//!
//! Publishing awaits its acknowledgements in a sliding window of [`PUBLISH_WINDOW`]: the
//! JetStream context allows 5,000 un-awaited publishes and deadlocks beyond them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures::StreamExt as _;
use serde::Deserialize;

use crate::fleet::{INVESTIGATIONS_FILTER, INVESTIGATIONS_STREAM};
use crate::generate::GeneratedAlert;
use crate::stats::TokenBucket;

/// Publishes in flight (sent, ack not yet awaited) at most.
pub(crate) const PUBLISH_WINDOW: usize = 1_000;
/// The baseline stream.
pub(crate) const BASELINE_STREAM: &str = "LOADTEST_BASELINE";
const BASELINE_CONSUMER: &str = "loadtest-baseline";
const BASELINE_ROOT: &str = "loadtest.baseline";
/// How often the progress line is printed on stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// One message to publish.
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    /// The alert's id.
    pub(crate) alert_id: String,
    /// Subject.
    pub(crate) subject: String,
    /// `Nats-Msg-Id`: `<source>:<alert_id>`.
    pub(crate) msg_id: String,
    /// The alert document.
    pub(crate) bytes: Bytes,
}

/// The payloads of `alerts`, on `<root>.<source>`.
///
/// # Errors
///
/// When an alert cannot be serialised (it always can).
pub(crate) fn payloads(alerts: &[GeneratedAlert], root: &str) -> anyhow::Result<Vec<Payload>> {
    alerts
        .iter()
        .map(|a| {
            Ok(Payload {
                alert_id: a.alert_id.clone(),
                subject: format!("{root}.{}", a.source),
                msg_id: format!("{}:{}", a.source, a.alert_id),
                bytes: Bytes::from(serde_json::to_vec(&a.value)?),
            })
        })
        .collect()
}

/// What publishing did.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    /// When each payload was sent, by index.
    pub(crate) sent_at: Vec<Instant>,
    /// The first send.
    pub(crate) first: Instant,
    /// The last send.
    pub(crate) last_sent: Instant,
    /// When the last publish ack arrived.
    pub(crate) last_acked: Instant,
    /// Acks that said "duplicate" (the stream already had that message id).
    pub(crate) duplicates: usize,
}

/// Publishes every payload with its `Nats-Msg-Id`, paced by `rate` (alerts/s) or flat out.
///
/// # Errors
///
/// When a publish or its acknowledgement fails.
pub(crate) async fn publish_all(
    js: &jetstream::Context,
    payloads: &[Payload],
    rate: Option<f64>,
    published: &AtomicUsize,
) -> anyhow::Result<Published> {
    let mut window: VecDeque<jetstream::context::PublishAckFuture> =
        VecDeque::with_capacity(PUBLISH_WINDOW + 1);
    let mut sent_at = Vec::with_capacity(payloads.len());
    let mut duplicates = 0;
    let first = Instant::now();
    let mut bucket = rate.map(|r| TokenBucket::new(r, first));
    for p in payloads {
        if let Some(b) = bucket.as_mut() {
            b.take().await;
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", p.msg_id.as_str());
        sent_at.push(Instant::now());
        let fut = js
            .publish_with_headers(p.subject.clone(), headers, p.bytes.clone())
            .await
            .with_context(|| format!("publishing {}", p.alert_id))?;
        window.push_back(fut);
        published.fetch_add(1, Ordering::Relaxed);
        if window.len() >= PUBLISH_WINDOW
            && let Some(oldest) = window.pop_front()
        {
            duplicates += usize::from(oldest.await.context("publish ack")?.duplicate);
        }
    }
    let last_sent = sent_at.last().copied().unwrap_or(first);
    while let Some(f) = window.pop_front() {
        duplicates += usize::from(f.await.context("publish ack")?.duplicate);
    }
    Ok(Published {
        sent_at,
        first,
        last_sent,
        last_acked: Instant::now(),
        duplicates,
    })
}

/// Prints `label: published a/n, investigated b/n` to stderr every few seconds until aborted.
fn progress(
    label: String,
    n: usize,
    published: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
    done_word: &'static str,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = Instant::now();
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        loop {
            tick.tick().await;
            eprintln!(
                "soc-loadtest: [{label}] {:>5.0} s: published {}/{n}, {done_word} {}/{n}",
                start.elapsed().as_secs_f64(),
                published.load(Ordering::Relaxed),
                done.load(Ordering::Relaxed),
            );
        }
    })
}

// ---------------------------------------------------------------------------------------
// Baseline

/// The raw JetStream baseline.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Baseline {
    /// Messages.
    pub(crate) messages: usize,
    /// First publish → last ack, seconds.
    pub(crate) elapsed_s: f64,
    /// `messages / elapsed_s`.
    pub(crate) throughput: f64,
    /// Publishing alone (first publish → last publish ack), messages per second.
    pub(crate) publish_rate: f64,
    /// CPU per message of nats-server and this process (spawned servers, Linux).
    pub(crate) cpu: Option<crate::cpu::CpuSplit>,
}

/// Publishes the payloads to a work-queue stream of its own and consumes them at the same
/// time with a pull consumer that only acks; then deletes the stream.
///
/// # Errors
///
/// When JetStream refuses the stream or the consumer, or the messages do not all come back
/// within `timeout`.
pub(crate) async fn baseline(
    client: &async_nats::Client,
    js: &jetstream::Context,
    alerts: &[GeneratedAlert],
    duplicate_window: Duration,
    timeout: Duration,
) -> anyhow::Result<Baseline> {
    let payloads = payloads(alerts, BASELINE_ROOT)?;
    let n = payloads.len();
    // A stream left behind by an interrupted run would hold old messages.
    let _stale = js.delete_stream(BASELINE_STREAM).await;
    let stream = js
        .create_stream(stream::Config {
            name: BASELINE_STREAM.to_owned(),
            subjects: vec![format!("{BASELINE_ROOT}.>")],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            duplicate_window,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("create stream {BASELINE_STREAM}: {e}"))?;
    let consumer: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(BASELINE_CONSUMER.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            max_ack_pending: 10_000,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("create consumer {BASELINE_CONSUMER}: {e}"))?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(500)
        .messages()
        .await
        .map_err(|e| anyhow!("consume {BASELINE_STREAM}: {e}"))?;

    let published = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let ticker = progress(
        "baseline".into(),
        n,
        published.clone(),
        acked.clone(),
        "acked",
    );
    let acked_c = acked.clone();
    let ack_client = client.clone();
    let reader = tokio::spawn(async move {
        while acked_c.load(Ordering::Relaxed) < n {
            match messages.next().await {
                Some(Ok(m)) => {
                    m.ack().await.map_err(|e| anyhow!("ack: {e}"))?;
                    acked_c.fetch_add(1, Ordering::Relaxed);
                }
                Some(Err(e)) => eprintln!("soc-loadtest: baseline consumer: {e}"),
                None => bail!("the baseline consumer ended early"),
            }
        }
        // Acks are fire-and-forget: the last one counts once the server has it.
        ack_client
            .flush()
            .await
            .map_err(|e| anyhow!("flush: {e}"))?;
        Ok::<Instant, anyhow::Error>(Instant::now())
    });

    let result = async {
        let pubd = publish_all(js, &payloads, None, &published).await?;
        let publish_done = pubd.last_acked;
        let last_ack = tokio::time::timeout(timeout, reader)
            .await
            .map_err(|_| {
                anyhow!(
                    "baseline: only {} of {n} messages consumed within {} s",
                    acked.load(Ordering::Relaxed),
                    timeout.as_secs()
                )
            })?
            .map_err(|e| anyhow!("baseline reader: {e}"))??;
        let elapsed = last_ack.duration_since(pubd.first).as_secs_f64();
        let publish_s = publish_done.duration_since(pubd.first).as_secs_f64();
        Ok(Baseline {
            messages: n,
            elapsed_s: elapsed,
            throughput: n as f64 / elapsed.max(1e-9),
            publish_rate: n as f64 / publish_s.max(1e-9),
            cpu: None,
        })
    }
    .await;
    ticker.abort();
    if let Err(e) = js.delete_stream(BASELINE_STREAM).await {
        eprintln!("soc-loadtest: could not delete {BASELINE_STREAM}: {e}");
    }
    result
}

// ---------------------------------------------------------------------------------------
// Pipeline pass

/// What one investigation says, kept for the report.
#[derive(Debug, Clone)]
pub(crate) struct InvSummary {
    /// Deciding tier: the last `tiers[].tier`, or `None` when the list is empty.
    pub(crate) tier: Option<u64>,
    /// Verdict.
    pub(crate) verdict: String,
    /// `cost.intel_calls` by provider.
    pub(crate) intel_calls: BTreeMap<String, u64>,
    /// `cost.cache_hits`.
    pub(crate) cache_hits: u64,
    /// `cost.usd`.
    pub(crate) usd: f64,
    /// `duplicate_of` was set (the fleet recognised a near-duplicate).
    pub(crate) duplicate_of: bool,
    /// Indicators a lookup is worth for: external IPs and domains, hashes (`kind:value`).
    pub(crate) lookup_worthy: Vec<String>,
}

#[derive(Deserialize)]
struct InvLite {
    alert_id: String,
    verdict: String,
    #[serde(default)]
    tiers: Vec<TierLite>,
    #[serde(default)]
    cost: CostLite,
    #[serde(default)]
    indicators: Vec<IocLite>,
    #[serde(default)]
    duplicate_of: Option<String>,
}

#[derive(Deserialize)]
struct TierLite {
    tier: u64,
}

#[derive(Deserialize, Default)]
struct CostLite {
    #[serde(default)]
    intel_calls: BTreeMap<String, u64>,
    #[serde(default)]
    cache_hits: u64,
    #[serde(default)]
    usd: f64,
}

#[derive(Deserialize)]
struct IocLite {
    kind: String,
    value: String,
    #[serde(default)]
    scope: Option<String>,
}

/// Reads the fields the report needs from an investigation.
fn summarise(payload: &[u8]) -> Result<(String, InvSummary), serde_json::Error> {
    let inv: InvLite = serde_json::from_slice(payload)?;
    let lookup_worthy = inv
        .indicators
        .into_iter()
        .filter(|i| match i.kind.as_str() {
            "ipv4" | "ipv6" | "domain" => i.scope.as_deref() == Some("external"),
            "md5" | "sha1" | "sha256" => true,
            _ => false,
        })
        .map(|i| format!("{}:{}", i.kind, i.value))
        .collect();
    Ok((
        inv.alert_id,
        InvSummary {
            tier: inv.tiers.last().map(|t| t.tier),
            verdict: inv.verdict,
            intel_calls: inv.cost.intel_calls,
            cache_hits: inv.cost.cache_hits,
            usd: inv.cost.usd,
            duplicate_of: inv.duplicate_of.is_some(),
            lookup_worthy,
        },
    ))
}

/// What the investigation reader saw.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Arrival instant and summary of the first investigation of each alert, by index.
    pub(crate) first: Vec<Option<(Instant, InvSummary)>>,
    /// Investigations of an alert already seen (must stay 0).
    pub(crate) duplicates: usize,
    /// Investigations of alerts not in this pass.
    pub(crate) unexpected: usize,
    /// Messages that were not readable investigations.
    pub(crate) unreadable: usize,
    /// Reader errors (the ordered consumer recovers by itself).
    pub(crate) errors: usize,
    /// The last first-investigation arrival.
    pub(crate) last: Option<Instant>,
}

/// One pass through the pipeline.
#[derive(Debug)]
pub(crate) struct Pass {
    /// Alert ids, by index.
    pub(crate) alert_ids: Vec<String>,
    /// The target rate, when paced.
    pub(crate) target_rate: Option<f64>,
    /// Publishing.
    pub(crate) published: Published,
    /// Reading.
    pub(crate) received: Received,
    /// The timeout expired before every alert was investigated.
    pub(crate) timed_out: bool,
}

/// Reads the investigation stream (an ordered consumer from now on), publishes the alerts
/// (payloads on `soc.alerts.<source>`), and reads until every alert has its investigation or `timeout`
/// (from the first publish) expires.
///
/// # Errors
///
/// When the investigation stream cannot be read or publishing fails.
pub(crate) async fn pass(
    js: &jetstream::Context,
    payloads: Vec<Payload>,
    rate: Option<f64>,
    timeout: Duration,
    label: &str,
) -> anyhow::Result<Pass> {
    let n = payloads.len();
    let index: HashMap<String, usize> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| (p.alert_id.clone(), i))
        .collect();
    let stream = js
        .get_stream(INVESTIGATIONS_STREAM)
        .await
        .map_err(|e| anyhow!("get stream {INVESTIGATIONS_STREAM}: {e}"))?;
    let reader = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: INVESTIGATIONS_FILTER.to_owned(),
            deliver_policy: consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("create the investigation reader: {e}"))?;
    let mut messages = reader
        .messages()
        .await
        .map_err(|e| anyhow!("read {INVESTIGATIONS_STREAM}: {e}"))?;

    let published = Arc::new(AtomicUsize::new(0));
    let investigated = Arc::new(AtomicUsize::new(0));
    let ticker = progress(
        label.to_owned(),
        n,
        published.clone(),
        investigated.clone(),
        "investigated",
    );
    let seen_count = investigated.clone();
    let deadline = tokio::time::Instant::now() + timeout;
    let read = tokio::spawn(async move {
        let mut r = Received {
            first: vec![None; n],
            ..Default::default()
        };
        let mut seen = HashSet::with_capacity(n);
        let mut timed_out = false;
        while seen.len() < n {
            let m = match tokio::time::timeout_at(deadline, messages.next()).await {
                Err(_) => {
                    timed_out = true;
                    break;
                }
                Ok(Some(Ok(m))) => m,
                Ok(Some(Err(e))) => {
                    r.errors += 1;
                    if r.errors <= 3 {
                        eprintln!("soc-loadtest: investigation reader: {e}");
                    }
                    continue;
                }
                Ok(None) => break,
            };
            let at = Instant::now();
            let Ok((alert_id, summary)) = summarise(&m.payload) else {
                r.unreadable += 1;
                continue;
            };
            let Some(&i) = index.get(&alert_id) else {
                r.unexpected += 1;
                continue;
            };
            if !seen.insert(i) {
                r.duplicates += 1;
                continue;
            }
            r.first[i] = Some((at, summary));
            r.last = Some(at);
            seen_count.fetch_add(1, Ordering::Relaxed);
        }
        (r, timed_out)
    });

    let published = match publish_all(js, &payloads, rate, &published).await {
        Ok(p) => p,
        Err(e) => {
            ticker.abort();
            read.abort();
            return Err(e);
        }
    };
    let (received, timed_out) = read
        .await
        .map_err(|e| anyhow!("investigation reader: {e}"))?;
    ticker.abort();
    Ok(Pass {
        alert_ids: payloads.into_iter().map(|p| p.alert_id).collect(),
        target_rate: rate,
        published,
        received,
        timed_out,
    })
}
