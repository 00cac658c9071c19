//! The ingest HTTP API.
//!
//! - `POST /v1/alerts`: one alert, a JSON array or NDJSON (at most `max_batch` alerts), in
//!   the native shape or an adapter's (ECS/Elastic, Wazuh, Splunk webhook or HEC), chosen by
//!   `?format=` or detected per document. Every alert is validated, fingerprinted and
//!   published to `soc.alerts.<source>` with `Nats-Msg-Id` (source + alert id) and
//!   `traceparent`; the answer is `202` with the ids. A batch is all or nothing: one bad
//!   alert rejects the request (`400`, naming each problem), so a forwarder can fix and
//!   resend it whole; alerts already published are dropped as duplicates on the resend.
//! - Errors are JSON `{"error": {"code", "message", "details"}}`: `400` invalid input
//!   (including the query string), `401` missing or wrong token (checked first), `408` the
//!   body stalled (nothing for `ingest.body_timeout`, 30 s), `413` too large (body, batch or
//!   one alert), `415` unsupported content type, `503` + `Retry-After` while JetStream is
//!   unavailable or the alert stream is full. The ruling endpoints add `404` and `409`,
//!   and name each invalid field in `fields` (`[{"field", "message"}]`) instead of
//!   `details`. A path the API does not serve is `404` `not_found`; a method a path is not
//!   served for is `405` `method_not_allowed`, with `Allow` listing the methods that are.
//!   A body with no alert at all (empty, blank lines only, or `[]`) is `400`
//!   `invalid_body`.
//! - Authentication (when a token is configured): `Authorization: Bearer <token>` (or
//!   `Splunk <token>`, as HEC clients send it), or `?token=` for senders that cannot set
//!   headers (Splunk's built-in webhook). Compared in constant time; never logged.
//! - `POST /v1/investigations/{id}/ruling`: an analyst's ruling on an investigation this
//!   fleet produced; `GET` on the same path reads it back. Same token; they need the history
//!   store ([`IngestState::with_history`]). Rules and statuses are in [`ruling`].
//! - `GET /healthz`: the process is up. `GET /readyz`: NATS is connected and the alert
//!   stream answers.
//! - Shutdown: [`run`] stops accepting, lets the requests in flight finish for at most
//!   `ingest.shutdown_grace` (10 s), then cuts the connections still open and returns.
//!
//! # Metrics
//!
//! `soc_ingest_alerts_total{outcome}` counts alerts, each once, by what became of it:
//! - `accepted`: newly queued; `duplicate`: JetStream already had it;
//! - `rejected`: an alert of a request answered `4xx`: invalid or too large itself, in a
//!   batch with an invalid alert (nothing of it is queued), or in a batch over the limit;
//! - `unavailable`: not queued because JetStream was unavailable or the stream full. When a
//!   publish fails partway through a batch, the alerts JetStream confirmed still count as
//!   `accepted` or `duplicate`;
//! - `rejected_request`: one per request refused whole before its alerts could be counted
//!   (unreadable, malformed, too large or too slow body; bad query string; unsupported
//!   content type). Unauthenticated requests are not counted here; see
//!   `soc_ingest_requests_total{status="401"}`.

mod body;
mod conn;
mod error;
pub mod ruling;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::jetstream::context::PublishErrorKind;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use soc_core::alert::{AlertError, Format, Limits, clip_for_message, parse_input};
use soc_core::config::IngestConfig;
use soc_history::HistoryStore;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

pub use error::{ApiError, Detail, FieldProblem, RETRY_AFTER_SECS};

use crate::FleetError;
use crate::metrics::Metrics;
use crate::names::{self, Names, alert_key};
use crate::trace::TraceContext;

/// What the ingest service needs.
#[derive(Clone)]
pub struct IngestState {
    client: async_nats::Client,
    js: jetstream::Context,
    names: Names,
    cfg: IngestConfig,
    limits: Limits,
    metrics: Arc<Metrics>,
    history: Option<Arc<dyn HistoryStore>>,
    body_timeout: Duration,
    shutdown_grace: Duration,
}

/// How long [`run`] waits for cut connections to wind down before returning anyway.
const CUT_WAIT: Duration = Duration::from_secs(1);

impl std::fmt::Debug for IngestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestState")
            .field("names", &self.names)
            .field("cfg", &self.cfg)
            .field("history", &self.history.is_some())
            .field("body_timeout", &self.body_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .finish_non_exhaustive()
    }
}

impl IngestState {
    /// The state for a connected client.
    pub fn new(
        client: async_nats::Client,
        names: Names,
        cfg: IngestConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let js = jetstream::new(client.clone());
        Self {
            client,
            js,
            names,
            limits: Limits::default(),
            metrics,
            history: None,
            body_timeout: cfg.body_timeout,
            shutdown_grace: cfg.shutdown_grace,
            cfg,
        }
    }

    /// The same state with other time limits than the configuration's
    /// (`ingest.body_timeout`, `ingest.shutdown_grace`): how long a request body may go
    /// without a new chunk and how long [`run`] lets open connections finish after
    /// shutdown is asked for.
    #[must_use]
    pub fn with_timeouts(mut self, body_timeout: Duration, shutdown_grace: Duration) -> Self {
        self.body_timeout = body_timeout;
        self.shutdown_grace = shutdown_grace;
        self
    }

    /// The same state with the fleet's history store, which the ruling endpoints read and
    /// write. Without one they answer `503` ("history is not configured").
    #[must_use]
    pub fn with_history(mut self, history: Arc<dyn HistoryStore>) -> Self {
        self.history = Some(history);
        self
    }
}

/// The router (exposed for tests that drive it without a socket).
pub fn router(state: IngestState) -> Router {
    Router::new()
        .route("/v1/alerts", post(post_alerts))
        .route(
            "/v1/investigations/{id}/ruling",
            post(ruling::post_ruling).get(ruling::get_ruling),
        )
        .route(
            "/healthz",
            get(|| async {
                (
                    StatusCode::OK,
                    axum::Json(serde_json::json!({"status": "ok"})),
                )
            }),
        )
        .route("/readyz", get(readyz))
        // After every route: it applies to the routes added so far.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(Arc::new(state))
}

/// `404` for a path the API does not serve, in the API's JSON error shape. Only the path
/// is quoted (clipped), never the query string, which may hold the token.
async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound {
        code: "not_found",
        message: format!(
            "no such endpoint: {} `{}`",
            clip_for_message(method.as_str()),
            clip_for_message(uri.path())
        ),
    }
}

/// `405` for a method a path is not served for, in the API's JSON error shape; the router
/// adds the `Allow` header listing the methods that are.
async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "method {} is not allowed on `{}`: the `Allow` header lists the methods that are",
        clip_for_message(method.as_str()),
        clip_for_message(uri.path())
    ))
}

/// Serves the API on `listener` until `shutdown` is cancelled, then finishes the requests
/// in flight: it waits at most the shutdown grace period ([`IngestState::with_timeouts`])
/// for them, then cuts the connections still open (logging how many) and returns.
///
/// # Errors
///
/// [`FleetError::Server`] when the server fails.
pub async fn run(
    listener: TcpListener,
    state: IngestState,
    shutdown: CancellationToken,
) -> Result<(), FleetError> {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    info!(
        listen = %addr,
        auth = state.cfg.token.is_some(),
        history = state.history.is_some(),
        "Ingest API listening"
    );
    let grace = state.shutdown_grace;
    let conns = conn::Connections::default();
    let signal = shutdown.clone();
    let server = axum::serve(conn::Tracked::new(listener, conns.clone()), router(state))
        .with_graceful_shutdown(async move { signal.cancelled().await })
        .into_future();
    tokio::pin!(server);
    let grace_over = async {
        shutdown.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    let served = tokio::select! {
        served = &mut server => served,
        () = grace_over => {
            warn!(
                connections = conns.open(),
                grace_s = grace.as_secs_f64(),
                "Ingest shutdown grace period is over; cutting the connections still open"
            );
            conns.cut();
            match tokio::time::timeout(CUT_WAIT, &mut server).await {
                Ok(served) => served,
                Err(_) => {
                    warn!(
                        connections = conns.open(),
                        "Ingest connections did not close after being cut; returning anyway"
                    );
                    Ok(())
                }
            }
        }
    };
    served.map_err(|e| FleetError::Server {
        role: "ingest",
        detail: e.to_string(),
    })?;
    info!("Ingest API stopped");
    Ok(())
}

/// The query string of `POST /v1/alerts`. Other parameters are ignored.
#[derive(Debug, Default)]
struct IngestQuery {
    /// `format`, when given once.
    format: Option<String>,
    /// `token`, when given once.
    token: Option<String>,
    /// What is wrong with the query string, if anything.
    problems: Vec<String>,
}

impl IngestQuery {
    /// Reads the query string of `uri`. Never fails: the problems are kept for the handler
    /// to answer after the authentication check.
    fn parse(uri: &Uri) -> Self {
        let pairs = match Query::<Vec<(String, String)>>::try_from_uri(uri) {
            Ok(Query(pairs)) => pairs,
            // Not expected (any pairs deserialise); the text is not echoed, as the query
            // string may hold the token.
            Err(_) => {
                return Self {
                    problems: vec!["the query string is unreadable".into()],
                    ..Self::default()
                };
            }
        };
        let mut q = Self::default();
        for (name, slot) in [("format", &mut q.format), ("token", &mut q.token)] {
            let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
            match (values.next(), values.next()) {
                (Some(v), None) => *slot = Some(v.clone()),
                (Some(_), Some(_)) => q
                    .problems
                    .push(format!("`{name}` is given more than once; give it once")),
                (None, _) => {}
            }
        }
        q
    }
}

/// What became of the alerts of one request (`soc_ingest_alerts_total{outcome}`, see the
/// module's `# Metrics`), recorded once when the request ends: when it is dropped, so the
/// alerts JetStream took are counted even when the client goes away mid-request.
struct Tally {
    metrics: Arc<Metrics>,
    accepted: u64,
    duplicate: u64,
    rejected: u64,
    unavailable: u64,
    rejected_request: u64,
}

impl Tally {
    fn new(metrics: Arc<Metrics>) -> Self {
        Tally {
            metrics,
            accepted: 0,
            duplicate: 0,
            rejected: 0,
            unavailable: 0,
            rejected_request: 0,
        }
    }

    /// Counts `n` alerts that were not queued because of `e`.
    fn not_queued(&mut self, e: &ApiError, n: usize) {
        let n = n as u64;
        if matches!(e, ApiError::Unavailable(_)) {
            self.unavailable += n;
        } else {
            self.rejected += n;
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        for (outcome, n) in [
            ("accepted", self.accepted),
            ("duplicate", self.duplicate),
            ("rejected", self.rejected),
            ("unavailable", self.unavailable),
            ("rejected_request", self.rejected_request),
        ] {
            if n > 0 {
                self.metrics
                    .ingest_alerts
                    .with_label_values(&[outcome])
                    .inc_by(n);
            }
        }
    }
}

/// One accepted alert in the `202` answer.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AcceptedAlert {
    /// The alert id (the source's, or derived from the content).
    pub alert_id: String,
    /// The source.
    pub source: String,
    /// The deduplication key (`Nats-Msg-Id`).
    pub key: String,
    /// The near-duplicate fingerprint: the investigation's `alert_fingerprint`, the one
    /// the fleet suppresses copies by.
    pub fingerprint: String,
    /// True when JetStream already had this alert (a retry).
    pub duplicate: bool,
}

/// The `202` answer.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Accepted {
    /// Alerts newly queued.
    pub accepted: usize,
    /// Alerts that were already queued.
    pub duplicates: usize,
    /// Every alert of the request, in order.
    pub alerts: Vec<AcceptedAlert>,
}

async fn readyz(State(s): State<Arc<IngestState>>) -> Response {
    if s.client.connection_state() != async_nats::connection::State::Connected {
        return ApiError::Unavailable("not connected to NATS".into()).into_response();
    }
    match tokio::time::timeout(
        Duration::from_secs(2),
        s.js.get_stream(&s.names.alerts_stream),
    )
    .await
    {
        Ok(Ok(_)) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ready"})),
        )
            .into_response(),
        Ok(Err(e)) => {
            ApiError::Unavailable(format!("alert stream unavailable: {e}")).into_response()
        }
        Err(_) => ApiError::Unavailable("JetStream did not answer in time".into()).into_response(),
    }
}

fn authorised(s: &IngestState, headers: &HeaderMap, query_token: Option<&str>) -> bool {
    let Some(expected) = &s.cfg.token else {
        return true;
    };
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .or_else(|| v.strip_prefix("Splunk "))
                .map(str::trim)
        });
    let presented = from_header.or(query_token);
    presented.is_some_and(|p| constant_time_eq(p.as_bytes(), expected.expose().as_bytes()))
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= x ^ y;
    }
    diff == 0
}

fn content_type_ok(headers: &HeaderMap) -> Result<(), ApiError> {
    check_content_type(
        headers,
        |mime| {
            matches!(
                mime,
                "application/json"
                    | "application/x-ndjson"
                    | "application/ndjson"
                    | "application/jsonl"
                    | "application/x-jsonlines"
                    | "application/json-seq"
                    | "text/plain"
                    | ""
            ) || (mime.starts_with("application/") && mime.ends_with("+json"))
        },
        "application/json or application/x-ndjson",
    )
}

/// Checks a request's `Content-Type`: none is fine; the media type (lower case) must
/// satisfy `accepted`; a charset, when given, must be UTF-8. `send` names what to send
/// instead in the 415's message (which quotes the client's value clipped).
pub(super) fn check_content_type(
    headers: &HeaderMap,
    accepted: fn(&str) -> bool,
    send: &str,
) -> Result<(), ApiError> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::UnsupportedMediaType("unreadable Content-Type".into()))?
        .to_ascii_lowercase();
    let mut parts = v.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if !accepted(mime) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "`{}` is not accepted: send {send}",
            clip_for_message(mime)
        )));
    }
    for p in parts {
        if let Some(cs) = p.trim().strip_prefix("charset=") {
            let cs = cs.trim_matches('"');
            if !cs.eq_ignore_ascii_case("utf-8") && !cs.eq_ignore_ascii_case("utf8") {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "charset `{}` is not accepted: send UTF-8",
                    clip_for_message(cs)
                )));
            }
        }
    }
    Ok(())
}

async fn post_alerts(
    State(s): State<Arc<IngestState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let mut tally = Tally::new(s.metrics.clone());
    let response = match handle(&s, IngestQuery::parse(&uri), &headers, body, &mut tally).await {
        Ok(accepted) => (StatusCode::ACCEPTED, axum::Json(accepted)).into_response(),
        Err(e) => e.into_response(),
    };
    drop(tally);
    s.metrics
        .ingest_requests
        .with_label_values(&[response.status().as_str()])
        .inc();
    s.metrics
        .ingest_duration
        .observe(started.elapsed().as_secs_f64());
    response
}

async fn handle(
    s: &IngestState,
    q: IngestQuery,
    headers: &HeaderMap,
    body: Body,
    tally: &mut Tally,
) -> Result<Accepted, ApiError> {
    if !authorised(s, headers, q.token.as_deref()) {
        return Err(ApiError::Unauthorized);
    }
    let parsed = match read_request(s, &q, headers, body).await {
        Ok(parsed) => parsed,
        Err(e) => {
            tally.rejected_request += 1;
            return Err(e);
        }
    };
    if parsed.len() > s.cfg.max_batch {
        tally.rejected += parsed.len() as u64;
        return Err(ApiError::PayloadTooLarge(format!(
            "{} alerts in one request, over the batch limit of {}",
            parsed.len(),
            s.cfg.max_batch
        )));
    }
    let mut alerts = Vec::with_capacity(parsed.len());
    let mut problems = Vec::new();
    let mut too_large = false;
    for p in parsed {
        match p.result {
            Ok(a) => alerts.push(a),
            Err(l) => {
                too_large |= matches!(
                    l.error,
                    AlertError::TooLarge { .. } | AlertError::TooManyIndicators { .. }
                );
                problems.push(error::Detail {
                    index: l.index,
                    line: l.line,
                    message: l.error.to_string(),
                });
            }
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        // The whole batch is refused: its valid alerts are not queued either.
        tally.rejected += (n + alerts.len()) as u64;
        problems.truncate(20);
        let message = format!(
            "{n} of {} alert(s) rejected; nothing was queued",
            n + alerts.len()
        );
        return Err(if too_large && n == 1 && alerts.is_empty() {
            ApiError::PayloadTooLarge(problems[0].message.clone())
        } else {
            ApiError::BadRequest {
                code: if too_large {
                    "alert_too_large"
                } else {
                    "invalid_alert"
                },
                message,
                details: problems,
            }
        });
    }
    if s.client.connection_state() != async_nats::connection::State::Connected {
        tally.unavailable += alerts.len() as u64;
        return Err(ApiError::Unavailable("not connected to NATS".into()));
    }

    let trace_in = headers
        .get(names::TRACEPARENT)
        .and_then(|v| v.to_str().ok());
    let mut pending = Vec::with_capacity(alerts.len());
    let mut out = Vec::with_capacity(alerts.len());
    // The first alert that could not be sent, and why.
    let mut send_failed = None;
    for (i, alert) in alerts.iter().enumerate() {
        let key = alert_key(alert);
        let sent = match serde_json::to_vec(alert) {
            Ok(payload) => {
                let mut h = async_nats::HeaderMap::new();
                h.insert(names::MSG_ID, key.as_str());
                h.insert(
                    names::TRACEPARENT,
                    TraceContext::continue_or_new(trace_in).header().as_str(),
                );
                let subject = s.names.alert_subject(&alert.source);
                s.js.publish_with_headers(subject, h, payload.into())
                    .await
                    .map_err(|e| publish_error(&e))
            }
            Err(e) => Err(ApiError::Internal(e.to_string())),
        };
        match sent {
            Ok(fut) => pending.push(fut),
            Err(e) => {
                send_failed = Some((i, e));
                break;
            }
        }
        out.push(AcceptedAlert {
            alert_id: alert.alert_id.clone(),
            source: alert.source.clone(),
            key,
            fingerprint: soc_history::fingerprint(alert),
            duplicate: false,
        });
    }
    // Every alert sent is counted by its acknowledgement, even when the request fails.
    let acks = futures::future::join_all(pending.into_iter().map(|f| f.into_future())).await;
    let mut duplicates = 0;
    let mut ack_failed = None;
    for (ack, a) in acks.into_iter().zip(out.iter_mut()) {
        match ack {
            Ok(ack) if ack.duplicate => {
                a.duplicate = true;
                duplicates += 1;
                tally.duplicate += 1;
            }
            Ok(_) => tally.accepted += 1,
            Err(e) => {
                let e = publish_error(&e);
                tally.not_queued(&e, 1);
                ack_failed.get_or_insert(e);
            }
        }
    }
    if let Some((i, e)) = send_failed {
        tally.not_queued(&e, alerts.len() - i);
        return Err(e);
    }
    if let Some(e) = ack_failed {
        return Err(e);
    }
    let accepted = out.len() - duplicates;
    debug!(accepted, duplicates, "Alerts queued");
    Ok(Accepted {
        accepted,
        duplicates,
        alerts: out,
    })
}

/// Checks the query string and the content type, reads the body and splits it into
/// alerts: everything that refuses a request whole, before its alerts can be counted.
async fn read_request(
    s: &IngestState,
    q: &IngestQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<soc_core::alert::Parsed>, ApiError> {
    if !q.problems.is_empty() {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!("invalid query string: {}", q.problems.join("; ")),
            details: Vec::new(),
        });
    }
    content_type_ok(headers)?;
    let format = match q.format.as_deref() {
        None => Format::Auto,
        Some(f) => Format::parse(f).ok_or_else(|| ApiError::BadRequest {
            code: "unknown_format",
            message: format!(
                "unknown format `{}`: use auto, native, ecs, wazuh, splunk-webhook or splunk-hec",
                clip_for_message(f)
            ),
            details: Vec::new(),
        })?,
    };
    let bytes = body::read_body(body, s.cfg.max_body_bytes, s.body_timeout).await?;
    let invalid_body = |e: AlertError| ApiError::BadRequest {
        code: "invalid_body",
        message: e.to_string(),
        details: Vec::new(),
    };
    let parsed = parse_input(&bytes, format, &s.limits).map_err(invalid_body)?;
    // An input without alerts (blank, `[]`) is already `AlertError::Empty`; this keeps a
    // request from ever being answered "0 of 0 rejected" or `202` with nothing queued.
    if parsed.is_empty() {
        return Err(invalid_body(AlertError::Empty));
    }
    Ok(parsed)
}

fn publish_error(e: &jetstream::context::PublishError) -> ApiError {
    let text = e.to_string();
    match e.kind() {
        PublishErrorKind::MaxPayloadExceeded => {
            ApiError::PayloadTooLarge("an alert is larger than the NATS server accepts".into())
        }
        _ if text.contains("maximum messages")
            || text.contains("maximum bytes")
            || text.contains("resource limits") =>
        {
            warn!("Alert stream is full; answering 503");
            ApiError::Unavailable("the alert stream is full".into())
        }
        _ => {
            warn!(error = %text, "Publishing to JetStream failed; answering 503");
            ApiError::Unavailable("JetStream is unavailable".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abcdef0123456789", b"abcdef0123456789"));
        assert!(!constant_time_eq(b"abcdef0123456789", b"abcdef0123456788"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(content_type_ok(&h).is_ok());
        h.insert(
            header::CONTENT_TYPE,
            "application/x-ndjson; charset=utf-8".parse().unwrap(),
        );
        assert!(content_type_ok(&h).is_ok());
        h.insert(header::CONTENT_TYPE, "application/xml".parse().unwrap());
        assert!(content_type_ok(&h).is_err());
        h.insert(
            header::CONTENT_TYPE,
            "application/json; charset=latin1".parse().unwrap(),
        );
        assert!(content_type_ok(&h).is_err());
    }
}
