//! The HTTP edge's error (STYLE G8): a status, a stable JSON body, no internals.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::body::BodyError;

/// One rejected alert of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// Position in the request (0-based).
    pub index: usize,
    /// Line where it starts.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One invalid field of a request body or path (the ruling endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field (`verdict`, `summary`, `analyst`, `investigation_id`, or an unknown key).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.field, self.message)
    }
}

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the query string, the body or an alert is invalid.
    BadRequest {
        /// Stable code (`invalid_alert`, `invalid_body`, `unreadable_body`,
        /// `unknown_format`, `invalid_query`).
        code: &'static str,
        /// One-line summary.
        message: String,
        /// Per-alert problems (first 20).
        details: Vec<Detail>,
    },
    /// 400: fields of the body (or the path) are invalid, each one named.
    InvalidFields {
        /// Stable code (`invalid_ruling`, `invalid_id`).
        code: &'static str,
        /// Every problem found, in field order.
        fields: Vec<FieldProblem>,
    },
    /// 401: a token is required and was missing or wrong.
    Unauthorized,
    /// 408: the request body stalled (no new data within the idle timeout). The connection
    /// is closed.
    RequestTimeout(String),
    /// 404: the named resource (or the path itself) does not exist.
    NotFound {
        /// Stable code (`not_found` for a path the API does not serve,
        /// `unknown_investigation`, `no_ruling`).
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// 405: the path exists, but not for this method. The router adds the `Allow` header
    /// that lists the methods it serves.
    MethodNotAllowed(String),
    /// 409: the resource exists but is not in a state that allows the request.
    Conflict {
        /// Stable code (`investigation_pending`).
        code: &'static str,
        /// Why.
        message: String,
    },
    /// 413: the body, the batch or one alert is too large.
    PayloadTooLarge(String),
    /// 415: the content type is not JSON or NDJSON.
    UnsupportedMediaType(String),
    /// 503: JetStream or the history store is unavailable, or the alert stream is full;
    /// retry later.
    Unavailable(String),
    /// 500: a bug; the detail is logged, not sent.
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[Detail]>::is_empty")]
    details: &'a [Detail],
    #[serde(skip_serializing_if = "<[FieldProblem]>::is_empty")]
    fields: &'a [FieldProblem],
}

impl From<BodyError> for ApiError {
    /// The generic answer; an endpoint may word [`BodyError::TooLarge`] its own way.
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => ApiError::PayloadTooLarge(e.to_string()),
            BodyError::TimedOut { .. } => ApiError::RequestTimeout(e.to_string()),
            BodyError::Unreadable(_) => ApiError::BadRequest {
                code: "unreadable_body",
                message: e.to_string(),
                details: Vec::new(),
            },
        }
    }
}

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECS: u32 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut fields = Vec::new();
        let (status, code, message, details): (StatusCode, &str, String, Vec<Detail>) = match self {
            ApiError::BadRequest {
                code,
                message,
                details,
            } => (StatusCode::BAD_REQUEST, code, message, details),
            ApiError::InvalidFields { code, fields: f } => {
                let message = f
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                fields = f;
                (StatusCode::BAD_REQUEST, code, message, Vec::new())
            }
            ApiError::NotFound { code, message } => {
                (StatusCode::NOT_FOUND, code, message, Vec::new())
            }
            ApiError::MethodNotAllowed(m) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                m,
                Vec::new(),
            ),
            ApiError::Conflict { code, message } => {
                (StatusCode::CONFLICT, code, message, Vec::new())
            }
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required".into(),
                Vec::new(),
            ),
            ApiError::RequestTimeout(m) => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                m,
                Vec::new(),
            ),
            ApiError::PayloadTooLarge(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m, Vec::new())
            }
            ApiError::UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                m,
                Vec::new(),
            ),
            ApiError::Unavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                m,
                Vec::new(),
            ),
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "Ingest request failed on an internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".into(),
                    Vec::new(),
                )
            }
        };
        let mut resp = (
            status,
            Json(Body {
                error: Inner {
                    code,
                    message: &message,
                    details: &details,
                    fields: &fields,
                },
            }),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still be on its way: the connection is not reusable.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
