//! The dead-letter stream: alerts that can never be investigated, kept with the reason.
//!
//! A dead letter is the original payload and headers plus `Soc-Error` (one line),
//! `Soc-Deliveries` and `Soc-Original-Sequence`, published to `soc.dlq.alerts` with
//! `Nats-Msg-Id` = `dlq:<stream>:<sequence>`, so a redelivered poison message is
//! dead-lettered once. The original is terminated (or, after the server's max-deliveries
//! advisory, deleted from the work queue) only after the dead letter is stored.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, Message};
use futures::StreamExt;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{Outcome, WorkerDeps, header_safe};
use crate::names;

fn dlq_headers(
    original: Option<&async_nats::HeaderMap>,
    reason: &str,
    delivered: i64,
    stream: &str,
    seq: u64,
) -> async_nats::HeaderMap {
    let mut h = async_nats::HeaderMap::new();
    if let Some(orig) = original {
        for (name, values) in orig.iter() {
            let n: &str = name.as_ref();
            if n.eq_ignore_ascii_case(names::MSG_ID) {
                continue;
            }
            for v in values {
                h.append(n, v.as_str());
            }
        }
    }
    h.insert(names::MSG_ID, format!("dlq:{stream}:{seq}").as_str());
    h.insert(names::SOC_ERROR, header_safe(reason).as_str());
    h.insert(names::SOC_DELIVERIES, delivered.to_string().as_str());
    h.insert(names::SOC_ORIGINAL_SEQ, seq.to_string().as_str());
    h
}

async fn publish_dead_letter(
    deps: &WorkerDeps,
    headers: async_nats::HeaderMap,
    payload: bytes::Bytes,
) -> Result<(), String> {
    let js = jetstream::new(deps.client.clone());
    js.publish_with_headers(deps.names.dlq_subject(), headers, payload)
        .await
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The reasons of the latest dead letters that could not be stored, by alert stream
/// sequence. The alert comes back after the nak; when that is its extra delivery (the
/// failure was on the last allowed one), it is dead-lettered untouched, and this is how
/// its dead letter still names what went wrong rather than only "exhausted". Per
/// process: another worker taking the redelivery gives the generic reason.
#[derive(Clone, Default)]
pub struct Unstored(Arc<Mutex<VecDeque<(u64, String)>>>);

impl Unstored {
    /// Reasons kept; older ones are forgotten first.
    const CAP: usize = 256;

    fn remember(&self, seq: u64, reason: &str) {
        let mut q = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        q.retain(|(s, _)| *s != seq);
        if q.len() >= Self::CAP {
            q.pop_front();
        }
        q.push_back((seq, reason.to_owned()));
    }

    /// The reason remembered for `seq`, forgetting it.
    pub(super) fn take(&self, seq: u64) -> Option<String> {
        let mut q = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let i = q.iter().position(|(s, _)| *s == seq)?;
        q.remove(i).map(|(_, r)| r)
    }
}

/// Copies a delivered message to the dead-letter stream, then terminates it. When the
/// copy fails, naks it instead (it will come back and be dead-lettered then) and
/// remembers the reason ([`Unstored`]).
pub(super) async fn dead_letter(
    deps: &WorkerDeps,
    msg: &Message,
    reason: &str,
    delivered: i64,
    seq: u64,
    label: &'static str,
) -> Outcome {
    store(deps, msg, reason, Some(reason), delivered, seq, label).await
}

/// Dead-letters the consumer's extra delivery untouched, naming the failure an earlier
/// delivery could not dead-letter when this worker remembers one ([`Unstored`]).
pub(super) async fn dead_letter_exhausted(
    deps: &WorkerDeps,
    msg: &Message,
    allowed: i64,
    delivered: i64,
    seq: u64,
) -> Outcome {
    let last = deps.unstored.take(seq);
    let reason = exhausted_reason(allowed, last.as_deref());
    store(
        deps,
        msg,
        &reason,
        last.as_deref(),
        delivered,
        seq,
        "max_deliveries",
    )
    .await
}

/// [`dead_letter`], remembering `remember` (the root cause, not a reason built on it)
/// when the copy fails.
async fn store(
    deps: &WorkerDeps,
    msg: &Message,
    reason: &str,
    remember: Option<&str>,
    delivered: i64,
    seq: u64,
    label: &'static str,
) -> Outcome {
    let headers = dlq_headers(
        msg.headers.as_ref(),
        reason,
        delivered,
        &deps.names.alerts_stream,
        seq,
    );
    match publish_dead_letter(deps, headers, msg.payload.clone()).await {
        Ok(()) => {
            deps.metrics.dlq.with_label_values(&[label]).inc();
            if let Err(e) = msg.ack_with(AckKind::Term).await {
                warn!(error = %e, "Term after dead-lettering failed; the copy is deduplicated if it comes back");
            }
            Outcome::DeadLettered
        }
        Err(e) => {
            warn!(error = %e, "Dead-letter publish failed; retrying the alert later");
            if let Some(root) = remember {
                deps.unstored.remember(seq, root);
            }
            if let Err(e) = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                .await
            {
                warn!(error = %e, "Nak failed");
            }
            Outcome::Retried
        }
    }
}

/// The dead letter's reason for an alert that used up its deliveries: no delivery ended
/// in an ack or nak, or (`last`) one failed with this reason and its dead letter could not
/// be stored at the time.
fn exhausted_reason(deliveries: i64, last: Option<&str>) -> String {
    match last {
        Some(why) => format!(
            "exhausted {deliveries} deliveries; a delivery failed and could not be dead-lettered then: {why}"
        ),
        None => format!(
            "exhausted {deliveries} deliveries without being acknowledged (the worker failed or stopped every time)"
        ),
    }
}

#[derive(Debug, Deserialize)]
struct MaxDeliveries {
    stream_seq: u64,
    #[serde(default)]
    deliveries: i64,
}

/// Listens for the server's max-deliveries advisory on the alert consumer (a worker that
/// died on every delivery of an alert never got to dead-letter it) and moves that alert
/// to the dead-letter stream. Workers share the work through a queue group.
pub async fn watch_max_deliveries(deps: WorkerDeps, stop: CancellationToken) {
    let subject = deps.names.max_deliveries_advisory();
    let mut sub = match deps
        .client
        .queue_subscribe(subject.clone(), "soc-dlq".to_owned())
        .await
    {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "Cannot watch max-deliveries advisories; such alerts stay in the alert stream");
            return;
        }
    };
    let js = jetstream::new(deps.client.clone());
    loop {
        let m = tokio::select! {
            () = stop.cancelled() => break,
            m = sub.next() => match m { Some(m) => m, None => break },
        };
        let Ok(adv) = serde_json::from_slice::<MaxDeliveries>(&m.payload) else {
            continue;
        };
        let stream = match js.get_stream(&deps.names.alerts_stream).await {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, seq = adv.stream_seq, "Cannot reach the alert stream to dead-letter an exhausted alert");
                continue;
            }
        };
        let raw = match stream.get_raw_message(adv.stream_seq).await {
            Ok(r) => r,
            Err(e) => {
                // Another worker moved it already, or it was acked at the last moment.
                info!(error = %e, seq = adv.stream_seq, "Exhausted alert no longer in the stream");
                continue;
            }
        };
        let last = deps.unstored.take(adv.stream_seq);
        let reason = exhausted_reason(adv.deliveries, last.as_deref());
        let headers = dlq_headers(
            Some(&raw.headers),
            &reason,
            adv.deliveries,
            &deps.names.alerts_stream,
            adv.stream_seq,
        );
        match publish_dead_letter(&deps, headers, raw.payload.clone()).await {
            Ok(()) => {
                deps.metrics
                    .dlq
                    .with_label_values(&["max_deliveries"])
                    .inc();
                if let Err(e) = stream.delete_message(adv.stream_seq).await {
                    warn!(error = %e, seq = adv.stream_seq, "Dead-lettered, but could not delete the original from the alert stream");
                }
                warn!(
                    seq = adv.stream_seq,
                    deliveries = adv.deliveries,
                    "Alert exhausted its deliveries: dead-lettered"
                );
            }
            Err(e) => {
                if let Some(root) = &last {
                    deps.unstored.remember(adv.stream_seq, root);
                }
                warn!(error = %e, seq = adv.stream_seq, "Dead-letter publish failed for an exhausted alert")
            }
        }
    }
}
