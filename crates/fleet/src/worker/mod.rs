//! The worker: the durable pull consumer's loop.
//!
//! For each alert, in this order:
//! 1. parse it (bad input: copy to the dead-letter stream with the error, then terminate);
//! 2. look its key up in the investigation store: a stored investigation is republished
//!    as it is, not investigated again;
//! 3. investigate, sending progress acks every third of `ack_wait` while it runs;
//! 4. store the investigation, publish it to `soc.investigations.<verdict>` with the
//!    alert's key as `Nats-Msg-Id`, wait for JetStream's confirmation;
//! 5. only then acknowledge the alert.
//!
//! A transient failure naks with a delay from `retry_delays` (with jitter); on the last
//! allowed delivery it goes to the dead-letter stream instead. A message whose worker died
//! on every delivery reaches the dead-letter stream through the server's max-deliveries
//! advisory ([`dlq::watch_max_deliveries`]).
//!
//! Concurrency is bounded by a semaphore (`concurrency` permits). The loop keeps up to
//! `concurrency` fetched alerts queued behind the running ones, fetching again when the
//! queue is half empty, so a busy worker never waits a round trip for its next alert. A
//! queued alert waits for a permit without an ack of its own, so the loop sends it a
//! progress ack at least every half of `ack_wait`: otherwise a queue behind slow (model-bound)
//! investigations would outlive `ack_wait` and the server would hand the same alerts to
//! another worker, to be investigated and paid for twice.
//!
//! The consumer allows one delivery more than `worker.max_deliver`
//! ([`crate::jetstream::consumer_config`]). That extra delivery only happens when every
//! allowed one ended without an ack or nak (the worker died or hung each time), and it is
//! dead-lettered at once, without parsing or investigating. The server's max-deliveries
//! advisory ([`dlq::watch_max_deliveries`]) is the fallback for the rare case that the
//! extra delivery fails too: advisories are not stored, so one that no worker hears is
//! gone, while a delivery waits for the next worker that pulls.
//!
//! Shutdown: stop fetching, nak what was fetched but not started, give in-flight work the
//! grace period, then nak whatever is still running, flush, return.

pub mod dlq;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind, Message};
use futures::StreamExt;
use soc_core::alert::{Format, Limits, parse_input};
use soc_core::config::Config;
use soc_core::investigation::Degradation;
use soc_core::json::{self, JsonError};
use soc_core::{Alert, Investigation};
use soc_investigate::Pipeline;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::FleetError;
use crate::metrics::Metrics;
use crate::names::{self, Names, alert_key};
use crate::store::Store;
use crate::trace::TraceContext;

/// How long shutdown waits for NATS to confirm the last acks; an unconfirmed ack means a
/// redelivery, which the investigation store answers without new work.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest investigation message; bigger reports are trimmed (indicator list, raw tool
/// output) and say so in `degraded`.
pub const MAX_INVESTIGATION_BYTES: usize = 900 * 1024;

/// What a worker needs.
#[derive(Clone)]
pub struct WorkerDeps {
    /// NATS client.
    pub client: async_nats::Client,
    /// Names.
    pub names: Names,
    /// Configuration.
    pub cfg: Config,
    /// The investigation pipeline.
    pub pipeline: Arc<Pipeline>,
    /// The investigation store (Redis).
    pub store: Store,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Reasons of dead letters that could not be stored yet (shared by the worker's tasks).
    pub unstored: dlq::Unstored,
}

impl std::fmt::Debug for WorkerDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerDeps")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// Runs the worker until `shutdown` is cancelled.
///
/// # Errors
///
/// [`FleetError`] when the consumer cannot be found at start.
pub async fn run(deps: WorkerDeps, shutdown: CancellationToken) -> Result<(), FleetError> {
    let js = jetstream::new(deps.client.clone());
    let consumer = crate::jetstream::consumer(&js, &deps.names).await?;
    let concurrency = deps.cfg.worker.concurrency;
    let sem = Arc::new(Semaphore::new(concurrency));
    let hard_stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    info!(consumer = %deps.names.consumer, concurrency, "Worker started");

    // Background: dead letters for messages that exhausted their deliveries, and the
    // consumer-lag gauge.
    let bg = shutdown.child_token();
    let bg_tasks = TaskTracker::new();
    bg_tasks.spawn(dlq::watch_max_deliveries(deps.clone(), bg.clone()));
    bg_tasks.spawn(poll_consumer_lag(
        js.clone(),
        deps.names.clone(),
        deps.metrics.clone(),
        bg.clone(),
    ));
    bg_tasks.close();

    // Messages are pulled into a local queue of at most `concurrency` while the running
    // ones finish, so a busy worker always has the next alerts at hand and never waits a
    // round trip per message. Every fetched message is known, so shutdown can nak what it
    // will not start, and queued ones get progress acks (see the module docs).
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut batch: Option<jetstream::consumer::pull::Batch> = None;
    let mut fetch_errors = 0u32;
    let keep_alive_every = progress_interval(&deps.cfg);
    let mut keep_alive = tokio::time::interval_at(
        tokio::time::Instant::now() + keep_alive_every,
        keep_alive_every,
    );
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if batch.is_none() && queue.len() <= concurrency / 2 {
            let fetch = consumer
                .batch()
                .max_messages(concurrency - queue.len())
                .expires(Duration::from_secs(2))
                .messages();
            // Raced against shutdown: with NATS unreachable the request can wait for a
            // reconnection that does not come.
            let fetched = tokio::select! {
                () = shutdown.cancelled() => break,
                r = fetch => r,
            };
            match fetched {
                Ok(b) => {
                    fetch_errors = 0;
                    batch = Some(b);
                }
                Err(e) => {
                    fetch_errors += 1;
                    if fetch_errors == 1 || fetch_errors.is_multiple_of(30) {
                        warn!(error = %e, attempts = fetch_errors, "Cannot fetch alerts; retrying");
                    }
                    if queue.is_empty() {
                        tokio::select! {
                            () = shutdown.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_millis(500)) => {}
                        }
                        continue;
                    }
                }
            }
        }
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            p = sem.clone().acquire_owned(), if !queue.is_empty() => {
                let (Ok(permit), Some(q)) = (p, queue.pop_front()) else { break };
                // The task's own progress acks start a third of ack_wait from now: one
                // here unless the last was recent keeps the gap within ack_wait.
                let msg = q.hand_off(keep_alive_every).await;
                let d = deps.clone();
                let publisher = js.clone();
                let hard = hard_stop.clone();
                // Boxed: the task then holds a pointer, not the ~10 KB state of the
                // alert's whole handling, which tokio would copy at spawn and at completion.
                tracker.spawn(Box::pin(async move {
                    handle(d, publisher, msg, hard).await;
                    drop(permit);
                }));
            }
            _ = keep_alive.tick(), if !queue.is_empty() => {
                keep_queued_alive(&mut queue, keep_alive_every).await;
            }
            m = next_in(&mut batch), if batch.is_some() => match m {
                Some(Ok(msg)) => queue.push_back(Queued::new(msg)),
                Some(Err(e)) => {
                    debug!(error = %e, "Batch ended with an error");
                    batch = None;
                }
                None => batch = None,
            },
        }
    }
    // Fetched but never started: nak for redelivery. First let a batch still in flight run
    // to its end (at most its 2 s expiry), so no pull request is open when the naks go out:
    // a nak'ed message must not be redelivered to this stopping worker.
    if let Some(mut b) = batch.take() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, b.next()).await {
            queue.push_back(Queued::new(msg));
        }
    }
    for q in queue.drain(..) {
        nak_quietly(&q.msg).await;
    }

    // Shutdown: let in-flight work finish within the grace period, then nak the rest.
    info!(
        in_flight = concurrency - sem.available_permits(),
        "Worker stopping: finishing in-flight alerts"
    );
    tracker.close();
    if tokio::time::timeout(deps.cfg.worker.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        warn!(
            grace_s = deps.cfg.worker.shutdown_grace.as_secs(),
            "Grace period over: naking unfinished alerts for redelivery"
        );
        hard_stop.cancel();
        tracker.wait().await;
    }
    bg.cancel();
    bg_tasks.wait().await;
    match tokio::time::timeout(FLUSH_TIMEOUT, deps.client.flush()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            warn!(error = %e, "Flushing NATS at shutdown failed; unconfirmed acks mean redeliveries, answered from the store")
        }
        Err(_) => warn!(
            timeout_s = FLUSH_TIMEOUT.as_secs(),
            "NATS did not confirm the last acks (unreachable?); unconfirmed acks mean redeliveries, answered from the store"
        ),
    }
    info!("Worker stopped");
    Ok(())
}

/// A fetched alert waiting for a permit, and when the server last heard it is in hand.
struct Queued {
    msg: Message,
    touched: tokio::time::Instant,
}

impl Queued {
    fn new(msg: Message) -> Self {
        Queued {
            msg,
            touched: tokio::time::Instant::now(),
        }
    }

    /// A progress ack when half of `every` or more has passed since the last.
    async fn touch_if_due(&mut self, every: Duration) {
        let now = tokio::time::Instant::now();
        if now - self.touched >= every / 2 {
            if let Err(e) = self.msg.ack_with(AckKind::Progress).await {
                warn!(error = %e, "Progress ack for a queued alert failed");
            }
            self.touched = now;
        }
    }

    /// The message, for its task, acked first if due (see [`Queued::touch_if_due`]): the
    /// task's first progress ack comes `every` after it starts, so the server hears of the
    /// alert at least every 1.5 × `every` + the task's start-up.
    async fn hand_off(mut self, every: Duration) -> Message {
        self.touch_if_due(every).await;
        self.msg
    }
}

/// How often an alert in hand tells the server so: a third of `ack_wait`, at least 1 s.
fn progress_interval(cfg: &Config) -> Duration {
    (cfg.worker.ack_wait / 3).max(Duration::from_secs(1))
}

/// Sends a progress ack for every queued alert that has waited `every` since the last one.
///
/// Ticks come every `every`, a little late; an alert counts as due from half of `every`,
/// so it is acked at least every 1.5 × `every` (half of `ack_wait`) whatever the jitter.
async fn keep_queued_alive(queue: &mut VecDeque<Queued>, every: Duration) {
    for q in queue.iter_mut() {
        q.touch_if_due(every).await;
    }
}

/// The next message of the batch in flight (pending when there is none).
async fn next_in(
    batch: &mut Option<jetstream::consumer::pull::Batch>,
) -> Option<Result<Message, async_nats::Error>> {
    match batch {
        Some(b) => b.next().await,
        None => std::future::pending().await,
    }
}

async fn nak_quietly(msg: &Message) {
    if let Err(e) = msg.ack_with(AckKind::Nak(None)).await {
        warn!(error = %e, "Nak at shutdown failed; the alert will be redelivered after ack_wait");
    }
}

async fn poll_consumer_lag(
    js: jetstream::Context,
    names: Names,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let read = async {
            let mut c = crate::jetstream::consumer(&js, &names).await.ok()?;
            c.info()
                .await
                .ok()
                .map(|i| (i.num_pending, i.num_ack_pending))
        };
        let read = tokio::select! {
            () = stop.cancelled() => return,
            r = read => r,
        };
        if let Some((num_pending, num_ack_pending)) = read {
            metrics
                .consumer_pending
                .set(i64::try_from(num_pending).unwrap_or(i64::MAX));
            metrics
                .consumer_ack_pending
                .set(i64::try_from(num_ack_pending).unwrap_or(i64::MAX));
        }
    }
}

/// How one delivery ended.
enum Outcome {
    /// Published (or republished) and acknowledged.
    Done,
    /// Sent to the dead-letter stream and terminated.
    DeadLettered,
    /// Naked for redelivery.
    Retried,
}

struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

async fn handle(
    deps: WorkerDeps,
    js: jetstream::Context,
    msg: Message,
    hard_stop: CancellationToken,
) {
    let started = Instant::now();
    deps.metrics.in_flight.inc();
    let _guard = InFlight(deps.metrics.clone());
    let (delivered, seq) = msg
        .info()
        .map(|i| (i.delivered, i.stream_sequence))
        .unwrap_or((1, 0));
    let trace_in = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(names::TRACEPARENT))
        .map(|v| v.as_str().to_owned());
    let trace = TraceContext::continue_or_new(trace_in.as_deref());
    let span = info_span!("alert", trace_id = %trace.trace_id, seq, delivered);
    let outcome = process(&deps, &js, &msg, delivered, seq, &trace, &hard_stop)
        .instrument(span)
        .await;
    if matches!(outcome, Outcome::Done | Outcome::DeadLettered) {
        deps.metrics
            .investigation_duration
            .observe(started.elapsed().as_secs_f64());
    }
}

fn retry_delay(deps: &WorkerDeps, delivered: i64) -> Duration {
    let delays = &deps.cfg.worker.retry_delays;
    let i = usize::try_from(delivered.max(1) - 1)
        .unwrap_or(0)
        .min(delays.len().saturating_sub(1));
    let base = delays.get(i).copied().unwrap_or(Duration::from_secs(10));
    // ±20% full jitter so a burst of failures does not come back all at once.
    base.mul_f64(0.8 + 0.4 * fastrand::f64())
}

async fn process(
    deps: &WorkerDeps,
    js: &jetstream::Context,
    msg: &Message,
    delivered: i64,
    seq: u64,
    trace: &TraceContext,
    hard_stop: &CancellationToken,
) -> Outcome {
    // 0. The consumer's extra delivery (see the module docs): every allowed one ended
    // without an ack or nak, so this alert kills or hangs its worker. Not touched again.
    let allowed = deps.cfg.worker.max_deliver;
    if delivered > allowed {
        warn!(
            delivered,
            "Alert exhausted its deliveries: dead-lettering it untouched"
        );
        return dlq::dead_letter_exhausted(deps, msg, allowed, delivered, seq).await;
    }

    // 1. Parse.
    let format = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(names::SOC_FORMAT))
        .and_then(|v| Format::parse(v.as_str()))
        .unwrap_or(Format::Auto);
    let alert = match parse_one(&msg.payload, format) {
        Ok(a) => a,
        Err(reason) => {
            deps.metrics
                .failures
                .with_label_values(&["bad_input"])
                .inc();
            warn!(error = %reason, "Bad alert: dead-lettered");
            return dlq::dead_letter(
                deps,
                msg,
                &format!("bad input: {reason}"),
                delivered,
                seq,
                "bad_input",
            )
            .await;
        }
    };
    let key = alert_key(&alert);

    // 2. Already investigated?
    if let Some(stored) = deps.store.investigation_for(&key).await {
        match serde_json::from_str::<Investigation>(&stored) {
            Ok(inv) => {
                debug!(alert_key = %key, "Republishing the stored investigation");
                return match publish(deps, js, &inv, stored.into(), &key, trace).await {
                    Ok(_) => {
                        deps.metrics.republished.inc();
                        ack(msg).await
                    }
                    Err(e) => transient(deps, msg, &e.to_string(), delivered, seq).await,
                };
            }
            Err(e) => warn!(error = %e, "Stored investigation unreadable; investigating again"),
        }
    }

    // 3. Investigate, with progress acks and a hard stop at the end of the grace period.
    let pipeline = deps.pipeline.clone();
    let a = alert.clone();
    let mut work = tokio::spawn(Box::pin(async move { pipeline.investigate(&a).await }));
    let progress_every = progress_interval(&deps.cfg);
    let mut tick =
        tokio::time::interval_at(tokio::time::Instant::now() + progress_every, progress_every);
    let joined = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = tick.tick() => {
                if let Err(e) = msg.ack_with(AckKind::Progress).await {
                    warn!(error = %e, "Progress ack failed");
                }
            }
            () = hard_stop.cancelled() => {
                work.abort();
                deps.metrics.failures.with_label_values(&["transient"]).inc();
                return nak(msg, None, "shutdown before the investigation finished").await;
            }
        }
    };
    let mut inv = match joined {
        Ok(inv) => inv,
        Err(e) if e.is_panic() => {
            deps.metrics
                .failures
                .with_label_values(&["permanent"])
                .inc();
            error!("The investigation panicked; the alert is dead-lettered");
            return dlq::dead_letter(
                deps,
                msg,
                "the investigation failed unexpectedly (panic)",
                delivered,
                seq,
                "failed",
            )
            .await;
        }
        Err(e) => {
            return transient(
                deps,
                msg,
                &format!("investigation task ended: {e}"),
                delivered,
                seq,
            )
            .await;
        }
    };

    // 4. Store, publish, then 5. ack.
    let json = match encode_for_wire(&mut inv) {
        Ok(j) => j,
        Err(e) => {
            deps.metrics
                .failures
                .with_label_values(&["permanent"])
                .inc();
            return dlq::dead_letter(
                deps,
                msg,
                &format!("cannot encode the investigation: {e}"),
                delivered,
                seq,
                "failed",
            )
            .await;
        }
    };
    // Stored before it is published: whatever the output stream shows is in the store
    // (unless Redis failed), so a crash after the publish never makes a redelivery pay
    // for the investigation again.
    deps.store
        .put(&key, &inv.investigation_id, json.as_bytes())
        .await;
    // The payload moves into the message: no copy of the (often 20 KB) report.
    match publish(deps, js, &inv, json.into(), &key, trace).await {
        Ok(Published::New) => {
            deps.metrics.record_investigation(&inv);
            info!(verdict = %inv.verdict, confidence = %inv.confidence, "Investigation published");
            ack(msg).await
        }
        Ok(Published::AlreadyThere) => {
            // An earlier delivery published an investigation of this alert but neither
            // stored it (Redis failed) nor acked. The metrics counted that one, not this.
            warn!(alert_key = %key, "The output stream already had an investigation of this alert; this one was deduplicated");
            ack(msg).await
        }
        Err(e) => transient(deps, msg, &e.to_string(), delivered, seq).await,
    }
}

fn parse_one(payload: &[u8], format: Format) -> Result<Alert, String> {
    let mut parsed = parse_input(payload, format, &Limits::default()).map_err(|e| e.to_string())?;
    if parsed.len() != 1 {
        return Err(format!(
            "expected one alert per message, found {}",
            parsed.len()
        ));
    }
    parsed.remove(0).result.map_err(|l| l.error.to_string())
}

/// Serialises an investigation, trimming it to [`MAX_INVESTIGATION_BYTES`] when needed.
fn encode_for_wire(inv: &mut Investigation) -> Result<String, JsonError> {
    let json = to_json(inv)?;
    if json.len() <= MAX_INVESTIGATION_BYTES {
        return Ok(json);
    }
    let before = json.len();
    let kept = inv.indicators.len().min(200);
    let dropped = inv.indicators.len() - kept;
    inv.indicators.truncate(kept);
    for e in &mut inv.evidence {
        if json::to_vec(&e.raw_data).map_or(0, |v| v.len()) > 4096 {
            e.raw_data = serde_json::json!({"truncated": true});
        }
    }
    inv.degraded.push(Degradation {
        component: "report".into(),
        reason: format!("the report was {before} bytes; {dropped} indicators and large raw tool outputs were left out to fit the message limit"),
    });
    let json = json::to_string(inv)?;
    if json.len() <= MAX_INVESTIGATION_BYTES {
        return Ok(json);
    }
    inv.indicators.clear();
    let cut = inv.reasoning_transcript.floor_char_boundary(4096);
    inv.reasoning_transcript.truncate(cut);
    inv.escalation_draft = inv
        .escalation_draft
        .take()
        .map(|d| d.chars().take(8192).collect());
    json::to_string(inv)
}

/// Most reports are 10-30 KB: one buffer of this size, not a dozen doublings from 128 bytes.
const REPORT_CAPACITY: usize = 32 * 1024;

/// An investigation's JSON, written into a buffer sized for a typical report.
fn to_json(inv: &Investigation) -> Result<String, JsonError> {
    let mut buf = Vec::with_capacity(REPORT_CAPACITY);
    json::to_writer(&mut buf, inv)?;
    // Only UTF-8 is written; the check is a fast pass over ASCII.
    String::from_utf8(buf).map_err(|e| JsonError::Custom(e.to_string()))
}

/// What JetStream did with a published investigation.
enum Published {
    /// Stored it.
    New,
    /// Already had a message with its `Nats-Msg-Id` (the alert key) and dropped it.
    AlreadyThere,
}

async fn publish(
    deps: &WorkerDeps,
    js: &jetstream::Context,
    inv: &Investigation,
    payload: bytes::Bytes,
    key: &str,
    trace: &TraceContext,
) -> Result<Published, FleetError> {
    let subject = deps.names.investigation_subject(inv.verdict.as_str());
    let mut h = async_nats::HeaderMap::new();
    h.insert(names::MSG_ID, key);
    h.insert(names::TRACEPARENT, trace.child().header().as_str());
    h.insert(names::SOC_ALERT_ID, header_safe(&inv.alert_id).as_str());
    h.insert(names::SOC_VERDICT, inv.verdict.as_str());
    let fail = |e: String| FleetError::Publish {
        subject: subject.clone(),
        detail: e,
    };
    let ack = js
        .publish_with_headers(subject.clone(), h, payload)
        .await
        .map_err(|e| fail(e.to_string()))?
        .await
        .map_err(|e| fail(e.to_string()))?;
    if ack.duplicate {
        debug!(alert_key = %key, "Investigation already on the stream (deduplicated)");
        return Ok(Published::AlreadyThere);
    }
    Ok(Published::New)
}

/// A header value with control characters replaced and a bounded length.
pub(crate) fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(256)
        .collect()
}

async fn ack(msg: &Message) -> Outcome {
    if let Err(e) = msg.ack().await {
        // The server will redeliver; the store answers the redelivery without new work.
        warn!(error = %e, "Ack failed; the alert will be redelivered and republished from the store");
    }
    Outcome::Done
}

async fn nak(msg: &Message, delay: Option<Duration>, why: &str) -> Outcome {
    if let Err(e) = msg.ack_with(AckKind::Nak(delay)).await {
        warn!(error = %e, reason = why, "Nak failed; the alert will be redelivered after ack_wait");
    }
    Outcome::Retried
}

async fn transient(
    deps: &WorkerDeps,
    msg: &Message,
    why: &str,
    delivered: i64,
    seq: u64,
) -> Outcome {
    deps.metrics
        .failures
        .with_label_values(&["transient"])
        .inc();
    if delivered >= deps.cfg.worker.max_deliver {
        warn!(error = %why, delivered, "Last delivery failed: dead-lettering the alert");
        return dlq::dead_letter(
            deps,
            msg,
            &format!("gave up after {delivered} deliveries: {why}"),
            delivered,
            seq,
            "max_deliveries",
        )
        .await;
    }
    let delay = retry_delay(deps, delivered);
    warn!(error = %why, delivered, retry_in_ms = delay.as_millis() as u64, "Transient failure: retrying later");
    nak(msg, Some(delay), why).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire JSON is what serde_json writes, for the investigations of every example
    /// alert (whose texts carry quotes, backslashes and line breaks).
    #[tokio::test]
    async fn investigations_are_written_as_serde_json_writes_them() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/alerts");
        let pipeline = Pipeline::embedded_default();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("examples/alerts") {
            let path = entry.expect("entry").path();
            let text = std::fs::read(&path).expect("readable");
            let alert = parse_one(&text, Format::Auto).expect("a valid alert");
            let mut inv = pipeline.investigate(&alert).await;
            let ours = encode_for_wire(&mut inv).expect("encodes");
            assert_eq!(
                ours,
                serde_json::to_string(&inv).expect("serde_json"),
                "{}",
                path.display()
            );
            seen += 1;
        }
        assert!(seen >= 3, "only {seen} example alerts");
    }

    #[tokio::test]
    async fn an_oversized_transcript_is_cut_on_a_character_boundary() {
        let alert = parse_one(
            br#"{"alert_id": "big-1", "timestamp": "2026-04-19T03:14:22Z", "source": "siem", "severity": "low", "title": "t", "raw_log": {}}"#,
            Format::Auto,
        )
        .expect("a valid alert");
        let mut inv = Pipeline::embedded_default().investigate(&alert).await;
        // Over the message limit on its own, with a two-byte character across byte 4096.
        inv.reasoning_transcript = format!("a{}", "é".repeat(500_000));
        let json = encode_for_wire(&mut inv).expect("encodes");
        assert!(json.len() <= MAX_INVESTIGATION_BYTES, "{}", json.len());
        assert!(inv.reasoning_transcript.len() <= 4096);
        assert!(inv.reasoning_transcript.len() > 4000);
        assert!(inv.reasoning_transcript.starts_with("aé"));
        assert!(!inv.degraded.is_empty(), "the trim is reported");
    }
}
