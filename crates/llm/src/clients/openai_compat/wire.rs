//! The Chat Completions wire format: the request body built from an [`LlmRequest`], and
//! the neutral [`Answer`] read from a response body (see the parent module for the
//! mapping rules).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::TOOL_ERROR_PREFIX;
use crate::LlmError;
use crate::clients::Answer;
use crate::config::MaxTokensField;
use crate::model::{ContentBlock, LlmRequest, Message, Role, StopReason, ToolChoice, Usage};

/// Reads a 2xx body (first choice).
pub(super) fn answer(body: &[u8]) -> Result<Answer, String> {
    let wire: WireResponse =
        serde_json::from_slice(body).map_err(|e| format!("not a chat completion: {e}"))?;
    let choice = wire
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| "no choices in the response".to_owned())?;
    let msg = choice.message;
    let mut content = Vec::new();
    if let Some(text) = msg
        .content
        .as_ref()
        .map(content_text)
        .filter(|t| !t.is_empty())
    {
        content.push(ContentBlock::Text { text });
    }
    let refusal = msg.refusal.filter(|r| !r.trim().is_empty());
    if let Some(r) = &refusal {
        content.push(ContentBlock::Text { text: r.clone() });
    }
    let mut calls = 0usize;
    for (i, call) in msg.tool_calls.unwrap_or_default().into_iter().enumerate() {
        calls += 1;
        content.push(tool_call_block(i, call));
    }
    let finish = choice.finish_reason.as_deref();
    let stop_reason = if finish == Some("length") {
        StopReason::MaxTokens
    } else if calls > 0 {
        StopReason::ToolUse
    } else if refusal.is_some() {
        StopReason::Refusal
    } else {
        StopReason::from_openai(finish)
    };
    let usage = wire.usage.as_ref().map(|u| {
        let prompt = u.prompt_tokens.unwrap_or(0);
        let cached = u
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
            .min(prompt);
        Usage {
            input: prompt - cached,
            output: u.completion_tokens.unwrap_or(0),
            cache_read: cached,
            cache_write: 0,
        }
    });
    Ok(Answer {
        id: wire.id,
        model: wire.model,
        content,
        stop_reason,
        usage,
    })
}

/// Reads one `tool_calls[i]`: arguments parsed into a JSON object, or an
/// [`ContentBlock::InvalidToolUse`] saying why not.
fn tool_call_block(index: usize, call: WireOutToolCall) -> ContentBlock {
    let id = call
        .id
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("call_{index}"));
    let name = call.function.name;
    let (raw, parsed) = match call.function.arguments {
        // The documented form: a JSON-encoded string.
        Some(Value::String(s)) => {
            let parsed = parse_arguments(&s);
            (s, parsed)
        }
        // Some servers send the object itself.
        Some(v @ Value::Object(_)) => (v.to_string(), Ok(v)),
        None | Some(Value::Null) => (String::new(), Ok(json!({}))),
        Some(other) => (
            other.to_string(),
            Err(format!("expected a JSON string, got {}", json_kind(&other))),
        ),
    };
    match parsed {
        Ok(input) => ContentBlock::ToolUse { id, name, input },
        Err(error) => {
            tracing::debug!(tool = %name, error = %error, "Tool call with unreadable arguments");
            ContentBlock::InvalidToolUse {
                id,
                name,
                raw_arguments: raw,
                error,
            }
        }
    }
}

/// A tool call's `arguments` string as a JSON object (empty → `{}`).
pub fn parse_arguments(raw: &str) -> Result<Value, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(t) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(format!("expected a JSON object, got {}", json_kind(&other))),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `content` as text: a string, or the `text` of each part of an array.
fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

// ------------------------------------------------------------------ request wire format

#[derive(Serialize)]
pub(super) struct WireRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    /// Always present; `null` only for an assistant turn that only calls tools.
    content: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
}

impl<'a> WireMessage<'a> {
    fn plain(role: &'static str, content: Cow<'a, str>) -> Self {
        Self {
            role,
            content: Some(content),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunctionCall<'a>,
}

#[derive(Serialize)]
struct WireFunctionCall<'a> {
    name: &'a str,
    arguments: Cow<'a, str>,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

/// The request body for `req`.
pub(super) fn request(req: &LlmRequest, cap: MaxTokensField) -> Result<WireRequest<'_>, LlmError> {
    let mut messages = Vec::new();
    if let Some(system) = req.system_text().filter(|s| !s.is_empty()) {
        messages.push(WireMessage::plain("system", Cow::Owned(system)));
    }
    for (i, m) in req.messages.iter().enumerate() {
        push_message(&mut messages, i, m)?;
    }
    let tools: Vec<_> = req
        .tools
        .iter()
        .map(|t| WireTool {
            kind: "function",
            function: WireFunction {
                name: &t.name,
                description: &t.description,
                parameters: &t.input_schema,
            },
        })
        .collect();
    let (tool_choice, parallel_tool_calls) = if tools.is_empty() {
        (None, None)
    } else {
        let choice = req.tool_choice.as_ref().map(|c| match c {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Any => json!("required"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
        });
        (choice, req.parallel_tool_calls)
    };
    let (max_tokens, max_completion_tokens) = match cap {
        MaxTokensField::MaxTokens => (Some(req.max_tokens), None),
        MaxTokensField::MaxCompletionTokens => (None, Some(req.max_tokens)),
    };
    Ok(WireRequest {
        model: &req.model,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        temperature: req.temperature,
        max_tokens,
        max_completion_tokens,
        stop: &req.stop_sequences,
    })
}

fn push_message<'a>(
    out: &mut Vec<WireMessage<'a>>,
    index: usize,
    m: &'a Message,
) -> Result<(), LlmError> {
    let mut texts: Vec<&str> = Vec::new();
    match m.role {
        Role::Assistant => {
            let mut calls = Vec::new();
            for b in &m.content {
                match b {
                    ContentBlock::Text { text } if !text.is_empty() => texts.push(text),
                    ContentBlock::Text { .. } => {}
                    ContentBlock::ToolUse { id, name, input } => calls.push(WireToolCall {
                        id,
                        kind: "function",
                        function: WireFunctionCall {
                            name,
                            arguments: Cow::Owned(input.to_string()),
                        },
                    }),
                    ContentBlock::InvalidToolUse {
                        id,
                        name,
                        raw_arguments,
                        ..
                    } => calls.push(WireToolCall {
                        id,
                        kind: "function",
                        function: WireFunctionCall {
                            name,
                            arguments: Cow::Borrowed(raw_arguments),
                        },
                    }),
                    ContentBlock::ToolResult { .. } => {
                        return Err(LlmError::InvalidRequest(format!(
                            "message {index}: a tool result in an assistant message"
                        )));
                    }
                }
            }
            let content = if texts.is_empty() {
                if calls.is_empty() {
                    return Err(LlmError::InvalidRequest(format!(
                        "message {index} (assistant) has no content"
                    )));
                }
                None
            } else {
                Some(Cow::Owned(texts.join("\n")))
            };
            out.push(WireMessage {
                role: "assistant",
                content,
                tool_calls: calls,
                tool_call_id: None,
            });
        }
        Role::User => {
            let before = out.len();
            for b in &m.content {
                match b {
                    ContentBlock::Text { text } if !text.is_empty() => texts.push(text),
                    ContentBlock::Text { .. } => {}
                    ContentBlock::ToolResult {
                        tool_use_id,
                        content,
                        is_error,
                    } => {
                        let content = if *is_error {
                            Cow::Owned(format!("{TOOL_ERROR_PREFIX}{content}"))
                        } else {
                            Cow::Borrowed(content.as_str())
                        };
                        out.push(WireMessage {
                            role: "tool",
                            content: Some(content),
                            tool_calls: Vec::new(),
                            tool_call_id: Some(tool_use_id),
                        });
                    }
                    ContentBlock::ToolUse { .. } | ContentBlock::InvalidToolUse { .. } => {
                        return Err(LlmError::InvalidRequest(format!(
                            "message {index}: a tool call in a user message"
                        )));
                    }
                }
            }
            if !texts.is_empty() {
                out.push(WireMessage::plain("user", Cow::Owned(texts.join("\n"))));
            } else if out.len() == before {
                return Err(LlmError::InvalidRequest(format!(
                    "message {index} (user) has no content"
                )));
            }
        }
    }
    Ok(())
}

// ----------------------------------------------------------------- response wire format

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireOutMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireOutMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireOutToolCall>>,
}

#[derive(Deserialize)]
struct WireOutToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireOutFunction,
}

#[derive(Deserialize)]
struct WireOutFunction {
    name: String,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<WirePromptDetails>,
}

#[derive(Deserialize)]
struct WirePromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_or_say_why() {
        assert_eq!(
            parse_arguments("{\"ip\": \"192.0.2.1\"}").unwrap(),
            json!({"ip": "192.0.2.1"})
        );
        assert_eq!(parse_arguments("  ").unwrap(), json!({}));
        assert!(
            parse_arguments("{\"ip\": ")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_arguments("[1]").unwrap_err().contains("an array"));
        assert!(parse_arguments("null").unwrap_err().contains("null"));
    }

    #[test]
    fn tool_calls_in_any_argument_form() {
        let call = |args: Value| WireOutToolCall {
            id: None,
            function: WireOutFunction {
                name: "f".into(),
                arguments: Some(args),
            },
        };
        assert!(matches!(
            tool_call_block(0, call(json!({"a": 1}))),
            ContentBlock::ToolUse { ref id, .. } if id == "call_0"
        ));
        assert!(matches!(
            tool_call_block(1, call(json!(7))),
            ContentBlock::InvalidToolUse { ref raw_arguments, .. } if raw_arguments == "7"
        ));
        assert!(matches!(
            tool_call_block(2, call(Value::Null)),
            ContentBlock::ToolUse { ref input, .. } if *input == json!({})
        ));
    }

    #[test]
    fn user_turns_split_into_tool_and_user_messages() {
        let mut req = LlmRequest::new("m");
        req.system_suffix = Some("fence".into());
        req.max_tokens = 10;
        req.messages.push(Message {
            role: Role::User,
            content: vec![
                ContentBlock::text("now decide"),
                ContentBlock::tool_error("c1", "timeout"),
            ],
        });
        // The body as sent: the bytes the client posts, read back.
        let wire = request(&req, MaxTokensField::MaxCompletionTokens).unwrap();
        let sent = crate::client::encode_body(&req, &wire).unwrap();
        let v: Value = serde_json::from_slice(&sent).unwrap();
        assert_eq!(v, serde_json::to_value(&wire).unwrap());
        assert_eq!(
            v["messages"],
            json!([
                {"role": "system", "content": "fence"},
                {"role": "tool", "tool_call_id": "c1", "content": "[tool error] timeout"},
                {"role": "user", "content": "now decide"}
            ])
        );
        assert_eq!(v["max_completion_tokens"], 10);
        assert!(v.get("max_tokens").is_none());
        req.messages.push(Message {
            role: Role::User,
            content: vec![ContentBlock::ToolUse {
                id: "x".into(),
                name: "f".into(),
                input: json!({}),
            }],
        });
        assert!(request(&req, MaxTokensField::MaxTokens).is_err());
    }
}
