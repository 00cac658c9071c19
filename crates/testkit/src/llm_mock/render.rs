//! Rendering a planned answer into the Anthropic or OpenAI wire format.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use super::turn::{Answer, Block, Stop, ToolInput};
use super::{Flavor, Usage};

/// What a rendering needs besides the answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx<'a> {
    /// Which wire format.
    pub(super) flavor: Flavor,
    /// The `model` of the request, echoed back.
    pub(super) model: &'a str,
    /// 0-based index of the request, used in ids.
    pub(super) index: usize,
    /// Token counts to report.
    pub(super) usage: Usage,
}

impl Ctx<'_> {
    fn request_id(&self) -> String {
        format!("req_mock_{:06}", self.index)
    }
}

/// The HTTP response for `answer`.
pub(super) fn render(answer: &Answer, ctx: &Ctx<'_>) -> Response {
    match answer {
        Answer::Message { blocks, stop } => {
            let body = match ctx.flavor {
                Flavor::Anthropic => anthropic_message(blocks, *stop, ctx),
                Flavor::OpenAi => openai_completion(blocks, *stop, ctx),
            };
            respond(ctx, 200, None, "application/json", body.to_string())
        }
        Answer::Status {
            code,
            retry_after,
            body,
        } => {
            let body = body.clone().unwrap_or_else(|| {
                error_body(ctx, *code, &default_error_message(ctx.flavor, *code))
            });
            respond(
                ctx,
                *code,
                *retry_after,
                "application/json",
                body.to_string(),
            )
        }
        Answer::Raw {
            code,
            content_type,
            body,
        } => respond(ctx, *code, None, content_type, body.clone()),
    }
}

/// An error response in the flavour's envelope (used for rejected requests and an
/// exhausted script).
pub(super) fn error(ctx: &Ctx<'_>, code: u16, message: &str) -> Response {
    respond(
        ctx,
        code,
        None,
        "application/json",
        error_body(ctx, code, message).to_string(),
    )
}

fn anthropic_message(blocks: &[Block], stop: Stop, ctx: &Ctx<'_>) -> Value {
    let content: Vec<Value> = blocks
        .iter()
        .enumerate()
        .map(|(i, block)| match block {
            Block::Thinking(thinking) => json!({
                "type": "thinking",
                "thinking": thinking,
                "signature": format!("mock-signature-{}-{i}", ctx.index),
            }),
            Block::Text(text) => json!({"type": "text", "text": text}),
            Block::Tool { name, input } => {
                let input = match input {
                    ToolInput::Json(value) => value.clone(),
                    ToolInput::Raw(raw) => {
                        serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone()))
                    }
                };
                json!({
                    "type": "tool_use",
                    "id": tool_id(ctx, i),
                    "name": name,
                    "input": input,
                })
            }
        })
        .collect();
    let stop_reason = match stop {
        Stop::EndTurn => "end_turn",
        Stop::ToolUse => "tool_use",
        Stop::MaxTokens => "max_tokens",
    };
    let u = ctx.usage;
    json!({
        "id": format!("msg_mock_{:06}", ctx.index),
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
            "cache_creation_input_tokens": u.cache_creation_input_tokens,
            "cache_read_input_tokens": u.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": u.cache_creation_input_tokens,
                "ephemeral_1h_input_tokens": 0,
            },
            "service_tier": "standard",
        },
    })
}

fn openai_completion(blocks: &[Block], stop: Stop, ctx: &Ctx<'_>) -> Value {
    let texts: Vec<&str> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(text) => Some(text.as_str()),
            Block::Thinking(_) | Block::Tool { .. } => None,
        })
        .collect();
    let tool_calls: Vec<Value> = blocks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| match b {
            Block::Tool { name, input } => {
                let arguments = match input {
                    ToolInput::Json(value) => value.to_string(),
                    ToolInput::Raw(raw) => raw.clone(),
                };
                Some(json!({
                    "id": tool_id(ctx, i),
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }))
            }
            Block::Thinking(_) | Block::Text(_) => None,
        })
        .collect();
    let mut message = json!({
        "role": "assistant",
        "content": if texts.is_empty() { Value::Null } else { Value::String(texts.concat()) },
        "refusal": null,
    });
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    let finish_reason = match stop {
        Stop::EndTurn => "stop",
        Stop::ToolUse => "tool_calls",
        Stop::MaxTokens => "length",
    };
    let u = ctx.usage;
    let prompt_tokens = u
        .input_tokens
        .saturating_add(u.cache_read_input_tokens)
        .saturating_add(u.cache_creation_input_tokens);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({
        "id": format!("chatcmpl-mock-{:06}", ctx.index),
        "object": "chat.completion",
        "created": created,
        "model": ctx.model,
        "system_fingerprint": "fp_soc_testkit",
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": u.output_tokens,
            "total_tokens": prompt_tokens.saturating_add(u.output_tokens),
            "prompt_tokens_details": {"cached_tokens": u.cache_read_input_tokens},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    })
}

/// A tool call id, unique per request and position: `toolu_mock_000003_1` /
/// `call_mock_000003_1`.
fn tool_id(ctx: &Ctx<'_>, position: usize) -> String {
    match ctx.flavor {
        Flavor::Anthropic => format!("toolu_mock_{:06}_{position}", ctx.index),
        Flavor::OpenAi => format!("call_mock_{:06}_{position}", ctx.index),
    }
}

fn default_error_message(flavor: Flavor, code: u16) -> String {
    let what = match (flavor, code) {
        (_, 429) => "rate limited",
        (Flavor::Anthropic, 529) => "Overloaded",
        (_, 401) => "invalid api key",
        (_, 500..=599) => "Internal server error",
        _ => "error",
    };
    format!("{what} (scripted by soc-testkit MockLlm)")
}

/// The documented error envelope for `code`.
fn error_body(ctx: &Ctx<'_>, code: u16, message: &str) -> Value {
    match ctx.flavor {
        Flavor::Anthropic => {
            let kind = match code {
                401 => "authentication_error",
                402 => "billing_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                504 => "timeout_error",
                529 => "overloaded_error",
                500..=599 => "api_error",
                _ => "invalid_request_error",
            };
            json!({
                "type": "error",
                "error": {"type": kind, "message": message},
                "request_id": ctx.request_id(),
            })
        }
        Flavor::OpenAi => {
            let (kind, code) = match code {
                401 => ("invalid_request_error", json!("invalid_api_key")),
                404 => ("invalid_request_error", Value::Null),
                429 => ("requests", json!("rate_limit_exceeded")),
                500..=599 => ("server_error", Value::Null),
                _ => ("invalid_request_error", Value::Null),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
    }
}

fn respond(
    ctx: &Ctx<'_>,
    code: u16,
    retry_after: Option<u64>,
    content_type: &str,
    body: String,
) -> Response {
    let Ok(status) = StatusCode::from_u16(code) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("soc-testkit MockLlm: scripted status {code} is not a valid HTTP status"),
        )
            .into_response();
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let request_id_header = match ctx.flavor {
        Flavor::Anthropic => "request-id",
        Flavor::OpenAi => "x-request-id",
    };
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id()) {
        headers.insert(request_id_header, value);
    }
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
