//! The provider-neutral conversation model every client maps to and from its wire format.
//!
//! A request is a list of [`Message`]s (user and assistant turns), an optional system
//! prompt split into a stable, cacheable prefix and a per-request suffix, and the
//! [`ToolDefinition`]s the model may call. A response is the assistant's
//! [`ContentBlock`]s, a neutral [`StopReason`], the token [`Usage`] and its
//! [`CallCost`].
//!
//! The agentic loop runs like this: send the request; when the response stops with
//! [`StopReason::ToolUse`], append the response as an assistant message
//! ([`LlmResponse::to_message`]), run each [`ContentBlock::ToolUse`], answer each call
//! (and each [`ContentBlock::InvalidToolUse`], with an error) in one user message of
//! [`ContentBlock::ToolResult`]s, and send again.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cost::CallCost;

/// Who wrote a message. The system prompt is not a message (see [`LlmRequest::system`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The caller: the alert, tool results, repair instructions.
    User,
    /// The model.
    Assistant,
}

/// One piece of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A tool call by the model (assistant messages only).
    ToolUse {
        /// The provider's opaque call id; the matching result must carry it.
        id: String,
        /// The tool's name, as in its [`ToolDefinition`].
        name: String,
        /// The arguments, a JSON object (not yet checked against the tool's schema).
        input: Value,
    },
    /// A tool call whose arguments are not a JSON object (an OpenAI-compatible server sends
    /// arguments as a JSON-encoded string, and local models sometimes truncate or garble
    /// it). It must not be run: answer it with a [`ContentBlock::ToolResult`] whose
    /// `is_error` is true ([`ContentBlock::invalid_tool_use_result`]) so the model can
    /// repair the call.
    InvalidToolUse {
        /// The provider's opaque call id.
        id: String,
        /// The tool's name.
        name: String,
        /// The arguments exactly as the server sent them (echoed back verbatim).
        raw_arguments: String,
        /// Why they could not be read.
        error: String,
    },
    /// The answer to a tool call (user messages only).
    ToolResult {
        /// The id of the call this answers.
        tool_use_id: String,
        /// What the tool returned (usually JSON text), or the error text.
        content: String,
        /// True when the tool failed or refused the call.
        #[serde(default)]
        is_error: bool,
    },
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// A successful tool result.
    pub fn tool_result(tool_use_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self::ToolResult {
            tool_use_id: tool_use_id.into(),
            content: content.into(),
            is_error: false,
        }
    }

    /// A failed tool result.
    pub fn tool_error(tool_use_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::ToolResult {
            tool_use_id: tool_use_id.into(),
            content: message.into(),
            is_error: true,
        }
    }

    /// For an [`ContentBlock::InvalidToolUse`], the error result that tells the model its
    /// arguments were unreadable; `None` for every other block.
    pub fn invalid_tool_use_result(&self) -> Option<Self> {
        match self {
            Self::InvalidToolUse {
                id, name, error, ..
            } => Some(Self::tool_error(
                id.clone(),
                format!(
                    "the arguments of this `{name}` call are not a valid JSON object ({error}); \
                     call the tool again with a JSON object that matches its input schema"
                ),
            )),
            _ => None,
        }
    }
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its blocks, in order.
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// A user message with one text block.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: vec![ContentBlock::text(text)],
        }
    }

    /// An assistant message with one text block (a prefill or an earlier answer).
    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: vec![ContentBlock::text(text)],
        }
    }

    /// A user message carrying `results` (tool results, optionally followed by text).
    pub fn tool_results(results: Vec<ContentBlock>) -> Self {
        Self {
            role: Role::User,
            content: results,
        }
    }
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    /// The name (`^[a-zA-Z0-9_-]{1,64}$` for Anthropic).
    pub name: String,
    /// What it does and when to use it, for the model.
    pub description: String,
    /// A JSON Schema with `"type": "object"` describing the arguments.
    pub input_schema: Value,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides (the providers' default when tools are given).
    Auto,
    /// The model must call some tool (OpenAI `required`).
    Any,
    /// The model must call this tool.
    Tool(String),
    /// The model must not call tools.
    None,
}

/// One call to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    /// The model id (`claude-haiku-4-5`, `gpt-4o-mini`, `llama3.1:8b`).
    pub model: String,
    /// The stable system prompt: the same text on every call of a tier, so that providers
    /// with prompt caching (Anthropic) can cache it together with the tools. Put nothing
    /// per-request here (no alert text, no random delimiters): use [`Self::system_suffix`].
    pub system: Option<String>,
    /// System text that changes per request (fence delimiters, run facts). Sent after the
    /// stable prefix, outside the cached part.
    pub system_suffix: Option<String>,
    /// The conversation, starting with a user message.
    pub messages: Vec<Message>,
    /// The tools the model may call (empty: none).
    pub tools: Vec<ToolDefinition>,
    /// Tool choice; `None` leaves the provider default (auto when tools are given).
    pub tool_choice: Option<ToolChoice>,
    /// `Some(false)` asks for at most one tool call per turn.
    pub parallel_tool_calls: Option<bool>,
    /// Hard cap on output tokens. Default 1024.
    pub max_tokens: u32,
    /// Sampling temperature; `None` leaves the provider default.
    pub temperature: Option<f64>,
    /// Texts that end the answer when generated.
    pub stop_sequences: Vec<String>,
}

impl LlmRequest {
    /// A request for `model` with no messages yet and `max_tokens` 1024.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            system: None,
            system_suffix: None,
            messages: Vec::new(),
            tools: Vec::new(),
            tool_choice: None,
            parallel_tool_calls: None,
            max_tokens: 1024,
            temperature: None,
            stop_sequences: Vec::new(),
        }
    }

    /// The stable system prompt joined with the per-request suffix (a blank line between),
    /// for providers that take one system text.
    pub fn system_text(&self) -> Option<String> {
        match (self.system.as_deref(), self.system_suffix.as_deref()) {
            (Some(a), Some(b)) => Some(format!("{a}\n\n{b}")),
            (Some(a), None) => Some(a.to_owned()),
            (None, Some(b)) => Some(b.to_owned()),
            (None, None) => None,
        }
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// It finished; the answer is in the text blocks.
    EndTurn,
    /// It called tools: run them, answer with tool results, call again.
    ToolUse,
    /// It hit `max_tokens` (or the context window): the output is truncated, and a tool call
    /// in it may be incomplete, so do not run it.
    MaxTokens,
    /// It generated one of the stop sequences.
    StopSequence,
    /// It declined to answer, or a content filter stopped it.
    Refusal,
    /// Anything else the provider said (kept verbatim, e.g. `pause_turn`).
    Other(String),
}

impl StopReason {
    /// Maps an Anthropic `stop_reason`. Unknown values become [`StopReason::Other`].
    pub fn from_anthropic(value: Option<&str>) -> Self {
        match value {
            Some("end_turn") => Self::EndTurn,
            Some("tool_use") => Self::ToolUse,
            Some("max_tokens" | "model_context_window_exceeded") => Self::MaxTokens,
            Some("stop_sequence") => Self::StopSequence,
            Some("refusal") => Self::Refusal,
            Some(other) => Self::Other(other.to_owned()),
            None => Self::Other("none".to_owned()),
        }
    }

    /// Maps an OpenAI-compatible `finish_reason`. Unknown values become
    /// [`StopReason::Other`]. (The client also reports [`StopReason::ToolUse`] whenever
    /// the message holds tool calls, whatever the finish reason says.)
    pub fn from_openai(value: Option<&str>) -> Self {
        match value {
            Some("stop") => Self::EndTurn,
            Some("tool_calls" | "function_call") => Self::ToolUse,
            Some("length") => Self::MaxTokens,
            Some("content_filter") => Self::Refusal,
            Some(other) => Self::Other(other.to_owned()),
            None => Self::Other("none".to_owned()),
        }
    }

    /// A short stable name (`end_turn`, `tool_use`, ...; the raw value for `Other`), for
    /// logs and span attributes.
    pub fn as_str(&self) -> &str {
        match self {
            Self::EndTurn => "end_turn",
            Self::ToolUse => "tool_use",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::Refusal => "refusal",
            Self::Other(s) => s,
        }
    }
}

/// Tokens of one call (or a sum of calls), by how they are billed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens billed at the full input rate (not read from or written to the cache).
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens served from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
}

impl Usage {
    /// All prompt tokens: uncached, cache reads and cache writes.
    pub fn total_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }

    /// The sum of two usages (saturating).
    #[must_use]
    pub fn plus(self, other: Self) -> Self {
        Self {
            input: self.input.saturating_add(other.input),
            output: self.output.saturating_add(other.output),
            cache_read: self.cache_read.saturating_add(other.cache_read),
            cache_write: self.cache_write.saturating_add(other.cache_write),
        }
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        *self = self.plus(rhs);
    }
}

impl From<Usage> for soc_core::investigation::TokenUsage {
    fn from(u: Usage) -> Self {
        Self {
            input: u.input,
            output: u.output,
            cache_read: u.cache_read,
            cache_write: u.cache_write,
        }
    }
}

/// The answer to one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmResponse {
    /// The provider's message id, when it sent one.
    pub id: Option<String>,
    /// The model that answered, as the provider named it (falls back to the requested id).
    pub model: String,
    /// The assistant's blocks (text and tool calls; thinking blocks are dropped).
    pub content: Vec<ContentBlock>,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Tokens billed.
    pub usage: Usage,
    /// What the call cost, or why it could not be priced.
    pub cost: CallCost,
    /// HTTP attempts this call took (1 = no retry).
    pub attempts: u32,
}

impl LlmResponse {
    /// The text blocks joined with newlines (empty when there are none).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for block in &self.content {
            if let ContentBlock::Text { text } = block {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(text);
            }
        }
        out
    }

    /// The well-formed tool calls, in order: `(id, name, input)`.
    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }

    /// True when the answer holds any tool call, well-formed or not.
    pub fn has_tool_calls(&self) -> bool {
        self.content.iter().any(|b| {
            matches!(
                b,
                ContentBlock::ToolUse { .. } | ContentBlock::InvalidToolUse { .. }
            )
        })
    }

    /// The answer as the assistant message to append before the tool results.
    pub fn to_message(&self) -> Message {
        Message {
            role: Role::Assistant,
            content: self.content.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons_map_and_unknowns_are_kept() {
        assert_eq!(
            StopReason::from_anthropic(Some("end_turn")),
            StopReason::EndTurn
        );
        assert_eq!(
            StopReason::from_anthropic(Some("model_context_window_exceeded")),
            StopReason::MaxTokens
        );
        assert_eq!(
            StopReason::from_anthropic(Some("pause_turn")),
            StopReason::Other("pause_turn".into())
        );
        assert_eq!(
            StopReason::from_openai(Some("content_filter")),
            StopReason::Refusal
        );
        assert_eq!(
            StopReason::from_openai(Some("function_call")),
            StopReason::ToolUse
        );
        assert_eq!(StopReason::from_openai(None).as_str(), "none");
    }

    #[test]
    fn usage_adds_and_converts() {
        let mut u = Usage {
            input: 1,
            output: 2,
            cache_read: 3,
            cache_write: 4,
        };
        u += u;
        assert_eq!(u.total_input(), 16);
        let t: soc_core::investigation::TokenUsage = u.into();
        assert_eq!(
            (t.input, t.output, t.cache_read, t.cache_write),
            (2, 4, 6, 8)
        );
        let max = Usage {
            input: u64::MAX,
            ..Usage::default()
        };
        assert_eq!(max.plus(max).input, u64::MAX);
    }

    #[test]
    fn system_text_joins_prefix_and_suffix() {
        let mut r = LlmRequest::new("m");
        assert_eq!(r.system_text(), None);
        r.system = Some("stable".into());
        assert_eq!(r.system_text().as_deref(), Some("stable"));
        r.system_suffix = Some("fence: ZX".into());
        assert_eq!(r.system_text().as_deref(), Some("stable\n\nfence: ZX"));
    }

    #[test]
    fn invalid_tool_use_gets_an_error_result() {
        let bad = ContentBlock::InvalidToolUse {
            id: "call_1".into(),
            name: "lookup_ip".into(),
            raw_arguments: "{\"ip\":".into(),
            error: "EOF while parsing".into(),
        };
        match bad.invalid_tool_use_result() {
            Some(ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            }) => {
                assert_eq!(tool_use_id, "call_1");
                assert!(is_error);
                assert!(content.contains("lookup_ip"), "{content}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ContentBlock::text("x").invalid_tool_use_result(), None);
    }
}
