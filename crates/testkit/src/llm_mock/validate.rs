//! Checking a received request against the documented shape of its wire format
//! (`../shared/api-contracts/anthropic-messages.md`, `openai-chat-completions.md`).
//!
//! Every problem found is reported, not only the first, with a JSON path in the style of
//! the real APIs (`messages.2.content.0: …`).

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::Flavor;

mod anthropic;
mod openai;
#[cfg(test)]
mod tests;

/// What kind of problem, which decides the status of the rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// Body or header shape: 400.
    Shape,
    /// Missing or wrong credentials: 401.
    Auth,
    /// Wrong method or path: 404.
    Route,
}

impl Kind {
    /// The HTTP status for a rejection of this kind.
    pub(super) fn status(self) -> u16 {
        match self {
            Self::Shape => 400,
            Self::Auth => 401,
            Self::Route => 404,
        }
    }
}

/// One way a request departs from the documented shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub(super) kind: Kind,
    pub(super) message: String,
}

/// Collects problems.
#[derive(Debug, Default)]
struct Report(Vec<Problem>);

impl Report {
    fn shape(&mut self, message: impl Into<String>) {
        self.0.push(Problem {
            kind: Kind::Shape,
            message: message.into(),
        });
    }

    fn auth(&mut self, message: impl Into<String>) {
        self.0.push(Problem {
            kind: Kind::Auth,
            message: message.into(),
        });
    }
}

/// Checks headers and body. `body` is the parse result of the raw body.
pub(super) fn check(
    flavor: Flavor,
    headers: &HeaderMap,
    body: Result<&Value, &str>,
    api_key: Option<&str>,
) -> Vec<Problem> {
    let mut report = Report::default();
    match flavor {
        Flavor::Anthropic => anthropic::headers(headers, api_key, &mut report),
        Flavor::OpenAi => openai::headers(headers, api_key, &mut report),
    }
    match header_str(headers, header::CONTENT_TYPE.as_str()) {
        Some(ct) if ct.to_ascii_lowercase().starts_with("application/json") => {}
        Some(ct) => report.shape(format!(
            "header `content-type` is `{ct}`, expected `application/json`"
        )),
        None => report.shape("header `content-type: application/json` is missing"),
    }
    match body {
        Err(err) => report.shape(format!("body is not valid JSON: {err}")),
        Ok(Value::Object(obj)) => match flavor {
            Flavor::Anthropic => anthropic::body(obj, &mut report),
            Flavor::OpenAi => openai::body(obj, &mut report),
        },
        Ok(_) => report.shape("body must be a JSON object"),
    }
    report.0
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap_or("<non-ASCII>"))
}

/// `^[a-zA-Z0-9_-]{1,64}$`, the tool/function name rule of both APIs.
fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_model(obj: &Map<String, Value>, report: &mut Report) {
    match obj.get("model") {
        Some(Value::String(model)) if !model.is_empty() => {}
        Some(other) => report.shape(format!(
            "model: expected a non-empty string, got {}",
            type_name(other)
        )),
        None => report.shape("model: field required"),
    }
}

fn check_positive_int(obj: &Map<String, Value>, field: &str, required: bool, report: &mut Report) {
    match obj.get(field) {
        None if required => report.shape(format!("{field}: field required")),
        Some(value) if value.as_u64().is_none_or(|n| n == 0) => {
            report.shape(format!("{field}: expected a positive integer, got {value}"));
        }
        None | Some(_) => {}
    }
}

fn check_no_stream(obj: &Map<String, Value>, report: &mut Report) {
    if obj.get("stream").is_some_and(|s| s.as_bool() == Some(true)) {
        report.shape(
            "stream: the mock answers only non-streaming requests; omit `stream` or send `false`",
        );
    }
}

/// `messages`, present and a non-empty array.
fn messages<'v>(obj: &'v Map<String, Value>, report: &mut Report) -> &'v [Value] {
    match obj.get("messages") {
        Some(Value::Array(messages)) => {
            if messages.is_empty() {
                report.shape("messages: must not be empty");
            }
            messages
        }
        Some(other) => {
            report.shape(format!(
                "messages: expected an array, got {}",
                type_name(other)
            ));
            &[]
        }
        None => {
            report.shape("messages: field required");
            &[]
        }
    }
}

fn id_list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
