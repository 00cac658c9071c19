//! The HTTP edge's error (STYLE G8): a status, a stable JSON body, no internals.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body or an alert is invalid.
    BadRequest {
        /// Stable code (`invalid_alert`, `invalid_body`, `unknown_format`).
        code: &'static str,
        /// One-line summary.
        message: String,
        /// Per-alert problems (first 20).
        details: Vec<Detail>,
    },
    /// 401: a token is required and was missing or wrong.
    Unauthorized,
    /// 413: the body, the batch or one alert is too large.
    PayloadTooLarge(String),
    /// 415: the content type is not JSON or NDJSON.
    UnsupportedMediaType(String),
    /// 503: JetStream is unavailable or the alert stream is full; retry later.
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
}

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECS: u32 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details): (StatusCode, &str, String, Vec<Detail>) = match self {
            ApiError::BadRequest {
                code,
                message,
                details,
            } => (StatusCode::BAD_REQUEST, code, message, details),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required".into(),
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
                },
            }),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
