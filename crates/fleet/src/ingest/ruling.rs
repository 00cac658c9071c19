//! Analyst rulings: `POST` and `GET /v1/investigations/{id}/ruling`, and the rules that the
//! `soc-copilot ruling` command shares with them.
//!
//! A ruling is an analyst's verdict on an investigation this fleet produced. The history
//! store keeps it next to the investigation's summary (`ruling:{id}`). From then on it
//! outranks the copilot's verdict: later alerts that share an indicator show it in their
//! prior sightings (`human_verdict`, `human_summary`), and the pipeline's dedup gates, tier
//! policy and closure rules read it from there.
//!
//! # Rules
//!
//! - Rulings are accepted only for investigations this fleet produced. The history store
//!   must hold a **completed** summary for the id. An unknown id (never investigated here,
//!   another deployment's key prefix, or expired) is `404 unknown_investigation`. An
//!   investigation still in progress is `409 investigation_pending`: the id is right but
//!   the timing is not, so the client can retry once the investigation is published.
//! - A new ruling replaces an earlier one. Sending the same verdict, summary and analyst
//!   again records nothing: a client's retry is harmless, and `recorded_at` keeps the
//!   first time.
//! - Validation is shared with the CLI ([`build_ruling`], [`check_investigation_id`]):
//!   - `verdict` is one of `true_positive`, `false_positive` or `inconclusive`;
//!   - `summary` is optional, at most [`MAX_SUMMARY_BYTES`] bytes of UTF-8, with newlines
//!     and tabs allowed but no other control characters;
//!   - `analyst` is required, one line, at most [`MAX_ANALYST_BYTES`] bytes;
//!   - no other fields are allowed;
//!   - investigation ids are 1 to [`MAX_ID_LEN`] letters, digits, `-`, `_`, `.` or `:`.
//!
//!   The limits are the history store's own caps, so nothing accepted is cut silently.
//!   Surrounding whitespace is trimmed.
//!
//! # HTTP
//!
//! `POST /v1/investigations/{id}/ruling` takes the body `{"verdict", "summary", "analyst"}`
//! (`application/json`, at most [`MAX_BODY_BYTES`]) and answers:
//! - `201`: the ruling was recorded (there was none before);
//! - `200`: it replaced an earlier ruling, or repeated it unchanged;
//! - `400`: the id or the body is invalid, and `error.fields` names each problem;
//! - `401`: the token is missing or wrong. It is the same bearer token as `/v1/alerts`,
//!   accepted from the header only, because tokens in URLs end up in access logs;
//! - `404` or `409`: see the rules above;
//! - `408`: the body stalled (`ingest.body_timeout`);
//! - `413`: the body is too large;
//! - `415`: the body is not JSON;
//! - `503` + `Retry-After`: Redis does not answer, or the service runs without a history
//!   store.
//!
//! The body of a success is a [`RulingAnswer`]: the ruling as stored, the investigation's
//! alert and the copilot's verdict, and the `outcome` (`created`, `replaced` or
//! `unchanged`).
//!
//! `GET /v1/investigations/{id}/ruling` answers `200` with the [`RulingAnswer`] (without
//! `outcome`). It answers `404 no_ruling` when the investigation has no ruling, and
//! `404 unknown_investigation` when the investigation is not known at all.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use soc_core::Verdict;
use soc_core::alert::clip_for_message;
use soc_core::error::{Classify, ErrorClass};
use soc_history::summary::{MAX_RULING_SUMMARY_LEN, MAX_SHORT_LEN};
use soc_history::{HistoryError, HistoryStore, Ruling, Summary};
use tracing::{info, warn};

use super::body::{BodyError, read_body};
use super::{ApiError, FieldProblem, IngestState, authorised};

/// Longest investigation id (bytes): the history store's id cap.
pub const MAX_ID_LEN: usize = MAX_SHORT_LEN;
/// Longest ruling summary (bytes of UTF-8): the history store's cap.
pub const MAX_SUMMARY_BYTES: usize = MAX_RULING_SUMMARY_LEN;
/// Longest analyst name (bytes of UTF-8): the history store's cap.
pub const MAX_ANALYST_BYTES: usize = MAX_SHORT_LEN;
/// Largest ruling request body. This leaves room for a maximal summary written entirely
/// in JSON `\u` escapes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The verdicts an analyst can give, for messages.
const VERDICTS: &str = "true_positive, false_positive or inconclusive";

/// Checks the shape of an investigation id: 1 to [`MAX_ID_LEN`] ASCII letters, digits,
/// `-`, `_`, `.` or `:` (published ids are UUIDs).
///
/// # Errors
///
/// A [`FieldProblem`] on `investigation_id` that says what is wrong.
pub fn check_investigation_id(id: &str) -> Result<(), FieldProblem> {
    let problem = |m: String| FieldProblem::new("investigation_id", m);
    if id.is_empty() {
        return Err(problem("is empty".into()));
    }
    if id.len() > MAX_ID_LEN {
        return Err(problem(format!(
            "is {} bytes, over the limit of {MAX_ID_LEN}",
            id.len()
        )));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    {
        return Err(problem(format!(
            "`{}` is not an investigation id: use the `investigation_id` of a published \
             investigation (letters, digits, `-`, `_`, `.` or `:`)",
            clip_for_message(id)
        )));
    }
    Ok(())
}

/// Parses an analyst's verdict (`true_positive`, `false_positive` or `inconclusive`).
///
/// # Errors
///
/// A [`FieldProblem`] on `verdict` for any other text.
pub fn parse_verdict(text: &str) -> Result<Verdict, FieldProblem> {
    Verdict::parse(text).ok_or_else(|| {
        FieldProblem::new(
            "verdict",
            format!(
                "must be one of {VERDICTS} (got `{}`)",
                clip_for_message(text)
            ),
        )
    })
}

/// Checks a ruling summary and returns it trimmed: at most [`MAX_SUMMARY_BYTES`] bytes,
/// newlines and tabs allowed, no other control characters.
///
/// # Errors
///
/// A [`FieldProblem`] on `summary`.
pub fn check_summary(text: &str) -> Result<String, FieldProblem> {
    let t = text.trim();
    if t.len() > MAX_SUMMARY_BYTES {
        return Err(FieldProblem::new(
            "summary",
            format!(
                "is {} bytes, over the limit of {MAX_SUMMARY_BYTES} (UTF-8)",
                t.len()
            ),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldProblem::new(
            "summary",
            "contains control characters (only newlines and tabs are allowed)",
        ));
    }
    Ok(t.to_owned())
}

/// Checks an analyst name and returns it trimmed: non-empty, one line, at most
/// [`MAX_ANALYST_BYTES`] bytes.
///
/// # Errors
///
/// A [`FieldProblem`] on `analyst`.
pub fn check_analyst(text: &str) -> Result<String, FieldProblem> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldProblem::new(
            "analyst",
            "is required: who made the ruling",
        ));
    }
    if t.chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(FieldProblem::new(
            "analyst",
            "must be one line, without control characters",
        ));
    }
    if t.len() > MAX_ANALYST_BYTES {
        return Err(FieldProblem::new(
            "analyst",
            format!(
                "is {} bytes, over the limit of {MAX_ANALYST_BYTES}",
                t.len()
            ),
        ));
    }
    Ok(t.to_owned())
}

/// A ruling recorded now, from its three fields, each checked. Every problem is reported,
/// in field order.
///
/// # Errors
///
/// The [`FieldProblem`]s found.
pub fn build_ruling(
    verdict: &str,
    summary: &str,
    analyst: &str,
) -> Result<Ruling, Vec<FieldProblem>> {
    collect(
        parse_verdict(verdict),
        check_summary(summary),
        check_analyst(analyst),
        Vec::new(),
    )
}

fn collect(
    verdict: Result<Verdict, FieldProblem>,
    summary: Result<String, FieldProblem>,
    analyst: Result<String, FieldProblem>,
    mut more: Vec<FieldProblem>,
) -> Result<Ruling, Vec<FieldProblem>> {
    match (verdict, summary, analyst) {
        (Ok(v), Ok(s), Ok(a)) if more.is_empty() => Ok(Ruling::new(v, s, a)),
        (v, s, a) => {
            let mut problems: Vec<FieldProblem> =
                [v.err(), s.err(), a.err()].into_iter().flatten().collect();
            problems.append(&mut more);
            Err(problems)
        }
    }
}

/// Parses a ruling request body: a JSON object with `verdict`, `summary` (optional) and
/// `analyst`, and nothing else.
fn parse_body(bytes: &[u8]) -> Result<Ruling, ApiError> {
    let shape = "send a JSON object {\"verdict\", \"summary\", \"analyst\"}";
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest {
        code: "invalid_body",
        message: format!("the body is not JSON ({e}): {shape}"),
        details: Vec::new(),
    })?;
    let Value::Object(map) = value else {
        return Err(ApiError::BadRequest {
            code: "invalid_body",
            message: format!("the body is not a JSON object: {shape}"),
            details: Vec::new(),
        });
    };
    let not_string = |field: &str| FieldProblem::new(field, "must be a string");
    let verdict = match map.get("verdict") {
        None | Some(Value::Null) => Err(FieldProblem::new(
            "verdict",
            format!("is required: one of {VERDICTS}"),
        )),
        Some(Value::String(s)) => parse_verdict(s),
        Some(_) => Err(not_string("verdict")),
    };
    let summary = match map.get("summary") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => check_summary(s),
        Some(_) => Err(not_string("summary")),
    };
    let analyst = match map.get("analyst") {
        None | Some(Value::Null) => check_analyst(""),
        Some(Value::String(s)) => check_analyst(s),
        Some(_) => Err(not_string("analyst")),
    };
    let unknown: Vec<FieldProblem> = map
        .keys()
        .filter(|k| !matches!(k.as_str(), "verdict" | "summary" | "analyst"))
        .take(10)
        .map(|k| {
            FieldProblem::new(
                clip_for_message(k),
                "is not a ruling field: send verdict, summary and analyst",
            )
        })
        .collect();
    collect(verdict, summary, analyst, unknown).map_err(|fields| ApiError::InvalidFields {
        code: "invalid_ruling",
        fields,
    })
}

/// What happened to a ruling that was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulingOutcome {
    /// Recorded; there was no ruling before.
    Created,
    /// Recorded in place of a different earlier ruling.
    Replaced,
    /// The same ruling was already recorded; nothing was written.
    Unchanged,
}

impl RulingOutcome {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Replaced => "replaced",
            Self::Unchanged => "unchanged",
        }
    }
}

/// A stored ruling with its investigation's context: the body of every success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulingAnswer {
    /// The investigation ruled on.
    pub investigation_id: String,
    /// Its alert (absent when the investigation's summary has expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
    /// The copilot's own verdict, which the ruling outranks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copilot_verdict: Option<Verdict>,
    /// The ruling as stored.
    pub ruling: Ruling,
    /// What this request did (`POST` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RulingOutcome>,
}

impl RulingAnswer {
    fn new(
        investigation_id: &str,
        summary: Option<&Summary>,
        ruling: Ruling,
        outcome: Option<RulingOutcome>,
    ) -> Self {
        Self {
            investigation_id: investigation_id.to_owned(),
            alert_id: summary.map(|s| s.alert_id.clone()),
            copilot_verdict: summary.and_then(|s| s.verdict),
            ruling,
            outcome,
        }
    }
}

/// Why a ruling could not be recorded or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulingError {
    /// The history store holds no investigation under this id.
    #[error(
        "no investigation `{investigation_id}` in this fleet's history: it was never \
         investigated here, or it has expired"
    )]
    UnknownInvestigation {
        /// The id given.
        investigation_id: String,
    },
    /// The investigation has begun and has not been recorded yet.
    #[error(
        "investigation `{investigation_id}` is still in progress: rule on it once it is \
         published"
    )]
    Pending {
        /// The id given.
        investigation_id: String,
    },
    /// The history store failed.
    #[error("history store: {0}")]
    Store(#[from] HistoryError),
}

impl Classify for RulingError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::UnknownInvestigation { .. } | Self::Pending { .. } => ErrorClass::BadInput,
            Self::Store(e) => e.class(),
        }
    }
}

/// Records `ruling` on `investigation_id`, which must be a completed investigation in
/// `store`. A different earlier ruling is replaced; the same one again is left as it is.
///
/// # Errors
///
/// [`RulingError::UnknownInvestigation`], [`RulingError::Pending`], or a store error.
pub async fn record_ruling(
    store: &dyn HistoryStore,
    investigation_id: &str,
    ruling: Ruling,
) -> Result<RulingAnswer, RulingError> {
    let (summary, previous) = futures::future::try_join(
        store.summary(investigation_id),
        store.ruling(investigation_id),
    )
    .await?;
    let Some(summary) = summary else {
        return Err(RulingError::UnknownInvestigation {
            investigation_id: investigation_id.to_owned(),
        });
    };
    if summary.is_pending() {
        return Err(RulingError::Pending {
            investigation_id: investigation_id.to_owned(),
        });
    }
    let (stored, outcome) = match previous {
        Some(p)
            if p.verdict == ruling.verdict
                && p.summary == ruling.summary
                && p.analyst == ruling.analyst =>
        {
            (p, RulingOutcome::Unchanged)
        }
        previous => {
            store
                .set_ruling(investigation_id, &ruling)
                .await
                .map_err(|e| match e {
                    // Expired between the read and the write.
                    HistoryError::UnknownInvestigation { investigation_id } => {
                        RulingError::UnknownInvestigation { investigation_id }
                    }
                    e => RulingError::Store(e),
                })?;
            let outcome = if previous.is_some() {
                RulingOutcome::Replaced
            } else {
                RulingOutcome::Created
            };
            (ruling.bounded(), outcome)
        }
    };
    Ok(RulingAnswer::new(
        investigation_id,
        Some(&summary),
        stored,
        Some(outcome),
    ))
}

/// What the history store holds about an investigation's ruling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulingLookup {
    /// The id looked up.
    pub investigation_id: String,
    /// The investigation's summary (absent when expired).
    pub summary: Option<Summary>,
    /// The ruling, if any.
    pub ruling: Option<Ruling>,
}

impl RulingLookup {
    /// The answer to show, when there is a ruling.
    pub fn answer(&self) -> Option<RulingAnswer> {
        self.ruling
            .clone()
            .map(|r| RulingAnswer::new(&self.investigation_id, self.summary.as_ref(), r, None))
    }
}

/// Reads the ruling on `investigation_id` and the investigation's summary.
///
/// # Errors
///
/// [`RulingError::UnknownInvestigation`] when the store holds neither; a store error.
pub async fn lookup_ruling(
    store: &dyn HistoryStore,
    investigation_id: &str,
) -> Result<RulingLookup, RulingError> {
    let (summary, ruling) = futures::future::try_join(
        store.summary(investigation_id),
        store.ruling(investigation_id),
    )
    .await?;
    if summary.is_none() && ruling.is_none() {
        return Err(RulingError::UnknownInvestigation {
            investigation_id: investigation_id.to_owned(),
        });
    }
    Ok(RulingLookup {
        investigation_id: investigation_id.to_owned(),
        summary,
        ruling,
    })
}

fn api_error(e: &RulingError) -> ApiError {
    match e {
        RulingError::UnknownInvestigation { .. } => ApiError::NotFound {
            code: "unknown_investigation",
            message: e.to_string(),
        },
        RulingError::Pending { .. } => ApiError::Conflict {
            code: "investigation_pending",
            message: e.to_string(),
        },
        RulingError::Store(h) => match h.class() {
            ErrorClass::Transient => {
                warn!(error = %h, "History store unavailable; answering 503");
                ApiError::Unavailable("the history store (Redis) is unavailable".into())
            }
            ErrorClass::BadInput => ApiError::BadRequest {
                code: "invalid_request",
                message: h.to_string(),
                details: Vec::new(),
            },
            ErrorClass::Permanent => ApiError::Internal(h.to_string()),
        },
    }
}

fn history(s: &IngestState) -> Result<Arc<dyn HistoryStore>, ApiError> {
    s.history
        .clone()
        .ok_or_else(|| ApiError::Unavailable("history is not configured".into()))
}

fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let invalid = |p| ApiError::InvalidFields {
        code: "invalid_id",
        fields: vec![p],
    };
    let Path(id) = path.map_err(|_| {
        invalid(FieldProblem::new(
            "investigation_id",
            "is not readable (invalid percent-encoding or UTF-8)",
        ))
    })?;
    check_investigation_id(&id).map_err(invalid)?;
    Ok(id)
}

fn json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    super::check_content_type(
        headers,
        |mime| {
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        },
        "application/json",
    )
}

/// `POST /v1/investigations/{id}/ruling`.
pub(super) async fn post_ruling(
    State(s): State<Arc<IngestState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match post(&s, path, &headers, body).await {
        Ok(answer) => {
            let status = if answer.outcome == Some(RulingOutcome::Created) {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(answer)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn post(
    s: &IngestState,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<RulingAnswer, ApiError> {
    if !authorised(s, headers, None) {
        return Err(ApiError::Unauthorized);
    }
    let store = history(s)?;
    let id = path_id(path)?;
    json_content_type(headers)?;
    let bytes = read_body(body, MAX_BODY_BYTES, s.body_timeout)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge { .. } => ApiError::PayloadTooLarge(format!(
                "request body is over the {MAX_BODY_BYTES} byte limit of a ruling"
            )),
            e => e.into(),
        })?;
    let ruling = parse_body(&bytes)?;
    let answer = record_ruling(store.as_ref(), &id, ruling)
        .await
        .map_err(|e| api_error(&e))?;
    let verdict = answer.ruling.verdict;
    let outcome = answer.outcome.unwrap_or(RulingOutcome::Unchanged);
    if outcome != RulingOutcome::Unchanged {
        s.metrics
            .rulings
            .with_label_values(&[verdict.as_str()])
            .inc();
    }
    info!(
        investigation_id = %id,
        verdict = verdict.as_str(),
        analyst = %answer.ruling.analyst,
        outcome = outcome.as_str(),
        "Analyst ruling received"
    );
    Ok(answer)
}

/// `GET /v1/investigations/{id}/ruling`.
pub(super) async fn get_ruling(
    State(s): State<Arc<IngestState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    match get(&s, path, &headers).await {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get(
    s: &IngestState,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
) -> Result<RulingAnswer, ApiError> {
    if !authorised(s, headers, None) {
        return Err(ApiError::Unauthorized);
    }
    let store = history(s)?;
    let id = path_id(path)?;
    let found = lookup_ruling(store.as_ref(), &id)
        .await
        .map_err(|e| api_error(&e))?;
    found.answer().ok_or_else(|| ApiError::NotFound {
        code: "no_ruling",
        message: format!("investigation `{id}` has no analyst ruling"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::InvalidFields { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected field problems, got {other:?}"),
        }
    }

    #[test]
    fn ids() {
        assert!(check_investigation_id("0190f5c2-7a4e-7cc1-9b8e-3f1d2a4b5c6d").is_ok());
        assert!(check_investigation_id("inv:a.b_c-1").is_ok());
        assert!(check_investigation_id("").is_err());
        assert!(check_investigation_id("a b").is_err());
        assert!(check_investigation_id("a/b").is_err());
        assert!(check_investigation_id("é").is_err());
        assert!(check_investigation_id(&"a".repeat(MAX_ID_LEN)).is_ok());
        assert!(check_investigation_id(&"a".repeat(MAX_ID_LEN + 1)).is_err());
    }

    #[test]
    fn a_valid_body() {
        let r = parse_body(
            br#"{"verdict": "false_positive", "summary": "  backup job \n on srv-1 ", "analyst": " alice "}"#,
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::FalsePositive);
        assert_eq!(r.summary, "backup job \n on srv-1");
        assert_eq!(r.analyst, "alice");
        // The summary is optional.
        let r = parse_body(br#"{"verdict": "inconclusive", "analyst": "bob"}"#).unwrap();
        assert_eq!(r.summary, "");
    }

    #[test]
    fn every_problem_is_named() {
        let e = parse_body(br#"{"verdict": "maybe", "summary": 3, "analyst": "", "extra": 1}"#)
            .unwrap_err();
        assert_eq!(fields(e), ["verdict", "summary", "analyst", "extra"]);
        let e = parse_body(br#"{"summary": "x"}"#).unwrap_err();
        assert_eq!(fields(e), ["verdict", "analyst"]);
        let long = format!(
            r#"{{"verdict": "true_positive", "summary": "{}", "analyst": "a"}}"#,
            "x".repeat(MAX_SUMMARY_BYTES + 1)
        );
        assert_eq!(
            fields(parse_body(long.as_bytes()).unwrap_err()),
            ["summary"]
        );
        // Multi-byte characters count in bytes, the store's unit.
        let long = format!(
            r#"{{"verdict": "true_positive", "summary": "{}", "analyst": "a"}}"#,
            "é".repeat(MAX_SUMMARY_BYTES / 2 + 1)
        );
        assert_eq!(
            fields(parse_body(long.as_bytes()).unwrap_err()),
            ["summary"]
        );
        let e = parse_body(br#"{"verdict": "true_positive", "analyst": "a\nb"}"#).unwrap_err();
        assert_eq!(fields(e), ["analyst"]);
        let e = parse_body(
            format!(
                r#"{{"verdict": "true_positive", "analyst": "{}"}}"#,
                "a".repeat(MAX_ANALYST_BYTES + 1)
            )
            .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(fields(e), ["analyst"]);
        let e =
            parse_body(br#"{"verdict": "true_positive", "summary": "a\u0007", "analyst": "a"}"#)
                .unwrap_err();
        assert_eq!(fields(e), ["summary"]);
    }

    #[test]
    fn bodies_that_are_not_objects() {
        for body in [&b""[..], b"[]", b"\"x\"", b"{"] {
            assert!(matches!(
                parse_body(body),
                Err(ApiError::BadRequest {
                    code: "invalid_body",
                    ..
                })
            ));
        }
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(json_content_type(&h).is_ok());
        for ok in [
            "application/json",
            "application/json; charset=UTF-8",
            "application/vnd.x+json",
        ] {
            h.insert(axum::http::header::CONTENT_TYPE, ok.parse().unwrap());
            assert!(json_content_type(&h).is_ok(), "{ok}");
        }
        for bad in [
            "application/x-www-form-urlencoded",
            "text/plain",
            "application/json; charset=latin1",
        ] {
            h.insert(axum::http::header::CONTENT_TYPE, bad.parse().unwrap());
            assert!(json_content_type(&h).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_serialise_without_empty_fields() {
        let a = RulingAnswer::new(
            "id-1",
            None,
            Ruling::new(Verdict::TruePositive, "", "alice"),
            None,
        );
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["investigation_id"], "id-1");
        assert_eq!(v["ruling"]["verdict"], "true_positive");
        assert!(v.get("outcome").is_none() && v.get("alert_id").is_none());
    }
}
