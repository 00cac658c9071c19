//! The Messages wire format: the request body built from an [`LlmRequest`], and the
//! neutral [`Answer`] read from a response body (see the parent module for the mapping
//! rules).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::LlmError;
use crate::clients::Answer;
use crate::model::{ContentBlock, LlmRequest, Message, Role, StopReason, ToolChoice, Usage};

/// Reads a 2xx body.
pub(super) fn answer(body: &[u8]) -> Result<Answer, serde_json::Error> {
    let wire: WireResponse = serde_json::from_slice(body)?;
    let content = wire
        .content
        .into_iter()
        .filter_map(|b| match b {
            WireOutBlock::Text { text } => Some(ContentBlock::Text { text }),
            WireOutBlock::ToolUse { id, name, input } => {
                Some(ContentBlock::ToolUse { id, name, input })
            }
            WireOutBlock::Skipped => None,
        })
        .collect();
    let usage = wire.usage.as_ref().map(|u| Usage {
        input: u.input_tokens.unwrap_or(0),
        output: u.output_tokens.unwrap_or(0),
        cache_read: u.cache_read_input_tokens.unwrap_or(0),
        cache_write: u.cache_creation_input_tokens.unwrap_or(0),
    });
    Ok(Answer {
        id: wire.id,
        model: wire.model,
        content,
        stop_reason: StopReason::from_anthropic(wire.stop_reason.as_deref()),
        usage,
    })
}

// ------------------------------------------------------------------ request wire format

#[derive(Serialize)]
pub(super) struct WireRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<SystemBlock<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<WireToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    messages: Vec<WireMessage<'a>>,
}

#[derive(Serialize)]
struct SystemBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<CacheControl>,
}

#[derive(Serialize)]
struct CacheControl {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct WireTool<'a> {
    name: &'a str,
    description: &'a str,
    input_schema: &'a Value,
}

#[derive(Serialize)]
struct WireToolChoice<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_parallel_tool_use: Option<bool>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: WireContent<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireContent<'a> {
    Text(&'a str),
    Blocks(Vec<WireBlock<'a>>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock<'a> {
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Cow<'a, Value>,
    },
    ToolResult {
        tool_use_id: &'a str,
        content: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

/// The request body for `req`.
pub(super) fn request(req: &LlmRequest, caching: bool) -> Result<WireRequest<'_>, LlmError> {
    let mut system = Vec::new();
    if let Some(text) = req.system.as_deref().filter(|t| !t.is_empty()) {
        system.push(SystemBlock {
            kind: "text",
            text,
            cache_control: caching.then_some(CacheControl { kind: "ephemeral" }),
        });
    }
    if let Some(text) = req.system_suffix.as_deref().filter(|t| !t.is_empty()) {
        system.push(SystemBlock {
            kind: "text",
            text,
            cache_control: None,
        });
    }
    let tools: Vec<_> = req
        .tools
        .iter()
        .map(|t| WireTool {
            name: &t.name,
            description: &t.description,
            input_schema: &t.input_schema,
        })
        .collect();
    let tool_choice = if tools.is_empty() {
        None
    } else {
        let disable = (req.parallel_tool_calls == Some(false)).then_some(true);
        match &req.tool_choice {
            Some(ToolChoice::None) => Some(WireToolChoice {
                kind: "none",
                name: None,
                disable_parallel_tool_use: None,
            }),
            Some(ToolChoice::Any) => Some(WireToolChoice {
                kind: "any",
                name: None,
                disable_parallel_tool_use: disable,
            }),
            Some(ToolChoice::Tool(name)) => Some(WireToolChoice {
                kind: "tool",
                name: Some(name),
                disable_parallel_tool_use: disable,
            }),
            Some(ToolChoice::Auto) => Some(WireToolChoice {
                kind: "auto",
                name: None,
                disable_parallel_tool_use: disable,
            }),
            None => disable.map(|d| WireToolChoice {
                kind: "auto",
                name: None,
                disable_parallel_tool_use: Some(d),
            }),
        }
    };
    let messages = req
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| wire_message(i, m))
        .collect::<Result<_, _>>()?;
    Ok(WireRequest {
        model: &req.model,
        max_tokens: req.max_tokens,
        system,
        tools,
        tool_choice,
        temperature: req.temperature,
        stop_sequences: &req.stop_sequences,
        messages,
    })
}

fn wire_message(index: usize, m: &Message) -> Result<WireMessage<'_>, LlmError> {
    let role = match m.role {
        Role::User => "user",
        Role::Assistant => "assistant",
    };
    let mut blocks: Vec<WireBlock<'_>> = m
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } if text.is_empty() => None,
            ContentBlock::Text { text } => Some(WireBlock::Text { text }),
            ContentBlock::ToolUse { id, name, input } => Some(WireBlock::ToolUse {
                id,
                name,
                input: Cow::Borrowed(input),
            }),
            ContentBlock::InvalidToolUse { id, name, .. } => Some(WireBlock::ToolUse {
                id,
                name,
                input: Cow::Owned(Value::Object(serde_json::Map::new())),
            }),
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => Some(WireBlock::ToolResult {
                tool_use_id,
                content,
                is_error: *is_error,
            }),
        })
        .collect();
    if blocks.is_empty() {
        return Err(LlmError::InvalidRequest(format!(
            "message {index} ({role}) has no content"
        )));
    }
    // Tool results must come before any text in a user message (a stable partition).
    blocks.sort_by_key(|b| !matches!(b, WireBlock::ToolResult { .. }));
    let content = match blocks.as_slice() {
        [WireBlock::Text { text }] => WireContent::Text(text),
        _ => WireContent::Blocks(blocks),
    };
    Ok(WireMessage { role, content })
}

// ----------------------------------------------------------------- response wire format

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    content: Vec<WireOutBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireOutBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// `thinking`, `redacted_thinking`, server tool blocks, anything newer.
    #[serde(other)]
    Skipped,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::ToolDefinition;

    /// The body as sent: the bytes the client posts, read back.
    fn body(req: &LlmRequest, caching: bool) -> Value {
        let bytes = crate::client::encode_body(req, &request(req, caching).unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn system_prefix_is_cached_and_suffix_is_not() {
        let mut req = LlmRequest::new("claude-haiku-4-5");
        req.system = Some("stable rules".into());
        req.system_suffix = Some("fence ZQ7".into());
        req.messages.push(Message::user("alert"));
        let v = body(&req, true);
        assert_eq!(
            v["system"],
            json!([
                {"type": "text", "text": "stable rules", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "fence ZQ7"}
            ])
        );
        assert_eq!(v["messages"], json!([{"role": "user", "content": "alert"}]));
        assert!(v.get("tools").is_none() && v.get("tool_choice").is_none());
        let v = body(&req, false);
        assert!(v["system"][0].get("cache_control").is_none());
    }

    #[test]
    fn tool_results_go_first_and_empty_text_is_dropped() {
        let mut req = LlmRequest::new("m");
        req.messages.push(Message {
            role: Role::User,
            content: vec![
                ContentBlock::text("here you go"),
                ContentBlock::text(""),
                ContentBlock::tool_error("toolu_1", "lookup failed"),
            ],
        });
        let v = body(&req, true);
        assert_eq!(
            v["messages"][0]["content"],
            json!([
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "lookup failed", "is_error": true},
                {"type": "text", "text": "here you go"}
            ])
        );
        req.messages.push(Message::assistant(""));
        assert!(matches!(
            request(&req, true),
            Err(LlmError::InvalidRequest(_))
        ));
    }

    #[test]
    fn tool_choice_forms() {
        let mut req = LlmRequest::new("m");
        req.messages.push(Message::user("x"));
        req.tools.push(ToolDefinition {
            name: "lookup_ip".into(),
            description: "d".into(),
            input_schema: json!({"type": "object"}),
        });
        assert!(body(&req, true).get("tool_choice").is_none());
        req.parallel_tool_calls = Some(false);
        assert_eq!(
            body(&req, true)["tool_choice"],
            json!({"type": "auto", "disable_parallel_tool_use": true})
        );
        req.tool_choice = Some(ToolChoice::Tool("lookup_ip".into()));
        assert_eq!(
            body(&req, true)["tool_choice"],
            json!({"type": "tool", "name": "lookup_ip", "disable_parallel_tool_use": true})
        );
        req.tool_choice = Some(ToolChoice::None);
        assert_eq!(body(&req, true)["tool_choice"], json!({"type": "none"}));
        req.tool_choice = Some(ToolChoice::Any);
        req.parallel_tool_calls = None;
        assert_eq!(body(&req, true)["tool_choice"], json!({"type": "any"}));
    }
}
