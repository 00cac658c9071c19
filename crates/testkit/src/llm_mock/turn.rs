//! [`Turn`]: one scripted model answer, written once and rendered into either wire format.

use std::time::Duration;

use serde_json::{Value, json};

/// One scripted answer of the mock model, independent of the wire format.
///
/// The mock plays the script in order, one turn per accepted request (requests that fail
/// validation do not use up a turn). Wrapper variants ([`Turn::Thinking`],
/// [`Turn::Preamble`], [`Turn::Delay`]) nest around the content turns; the named
/// constructors below build the awkward cases a client must survive.
#[derive(Debug, Clone, PartialEq)]
pub enum Turn {
    /// A final text answer. Anthropic: one `text` block, `stop_reason: "end_turn"`.
    /// OpenAI: `message.content`, `finish_reason: "stop"`.
    Text(String),
    /// One tool call. Anthropic: a `tool_use` block with `input` as an object,
    /// `stop_reason: "tool_use"`. OpenAI: one entry in `message.tool_calls` with
    /// `function.arguments` as a JSON-encoded string, `finish_reason: "tool_calls"`.
    ToolCall {
        /// Tool name.
        name: String,
        /// Tool input (normally a JSON object).
        input: Value,
    },
    /// Several tool calls in one answer (parallel calls), in this order.
    ToolCalls(Vec<(String, Value)>),
    /// A tool call whose arguments are not valid JSON, as local models produce.
    /// OpenAI: `function.arguments` is `arguments` verbatim. Anthropic cannot carry
    /// invalid JSON in `input`: it gets the parsed value if `arguments` parses, else
    /// `arguments` as a JSON string (a non-object `input`, equally malformed).
    ToolCallRawArguments {
        /// Tool name.
        name: String,
        /// The raw argument text.
        arguments: String,
    },
    /// A text block before the content of `then` (Anthropic: a `text` block after any
    /// thinking blocks; OpenAI: `message.content` next to `tool_calls`). `then` decides
    /// the stop reason.
    Preamble {
        /// The text.
        text: String,
        /// The rest of the answer.
        then: Box<Turn>,
    },
    /// A `thinking` block (with a fixed `signature`) before the content of `then`.
    /// Anthropic only: the OpenAI flavour renders `then` alone.
    Thinking {
        /// The thinking text.
        thinking: String,
        /// The rest of the answer.
        then: Box<Turn>,
    },
    /// Truncated text. Anthropic: `stop_reason: "max_tokens"`; OpenAI:
    /// `finish_reason: "length"`.
    MaxTokens(String),
    /// An error status such as 429, 529, 500 or 401.
    Status {
        /// HTTP status code (100..=999; anything else is answered with a 500 that says so).
        code: u16,
        /// Sent as the `retry-after` header (seconds) when set.
        retry_after: Option<u64>,
        /// The JSON body; `None` renders the provider's documented error envelope for
        /// `code` (e.g. Anthropic `overloaded_error` for 529, OpenAI
        /// `rate_limit_exceeded` for 429).
        body: Option<Value>,
    },
    /// A response sent exactly as given, for malformed or truncated bodies.
    Raw {
        /// HTTP status code.
        code: u16,
        /// `content-type` header.
        content_type: String,
        /// Body, verbatim.
        body: String,
    },
    /// Sleep (on the tokio clock) before answering with the inner turn.
    Delay(Duration, Box<Turn>),
}

impl Turn {
    /// A final text answer ([`Turn::Text`]).
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A final answer whose text is `value` as compact JSON.
    #[must_use]
    pub fn final_json(value: &Value) -> Self {
        Self::Text(value.to_string())
    }

    /// A final answer with `value` pretty-printed inside a ```` ```json ```` fence,
    /// between sentences of prose, as chat models like to answer.
    #[must_use]
    pub fn prose_wrapped_json(value: &Value) -> Self {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        Self::Text(format!(
            "Based on the enrichment results, here is my assessment:\n\n```json\n{pretty}\n```\n\n\
             Let me know if you need anything else."
        ))
    }

    /// A final answer whose JSON text holds raw (unescaped) control characters inside
    /// its strings: every control character of `value`'s strings (`\n`, `\t`, `\u{7}`…)
    /// appears as the raw byte rather than as a JSON escape. Strict JSON parsers reject
    /// the text, so a client has to repair it.
    #[must_use]
    pub fn control_chars_json(value: &Value) -> Self {
        Self::Text(unescape_control_chars(&value.to_string()))
    }

    /// A final answer of `value` with the member at JSON pointer `pointer` (RFC 6901,
    /// e.g. `/evidence`) replaced by the string `placeholder` (e.g. `"[object Object]"`
    /// or `"<details>"`), where the schema wants an object or array.
    ///
    /// # Panics
    ///
    /// If `pointer` does not name a member of `value` (a mistake in the test).
    #[must_use]
    pub fn placeholder_json(value: Value, pointer: &str, placeholder: &str) -> Self {
        Self::Text(with_placeholder(value, pointer, placeholder).to_string())
    }

    /// One tool call ([`Turn::ToolCall`]).
    #[must_use]
    pub fn tool_call(name: impl Into<String>, input: Value) -> Self {
        Self::ToolCall {
            name: name.into(),
            input,
        }
    }

    /// Several tool calls in one answer ([`Turn::ToolCalls`]).
    #[must_use]
    pub fn tool_calls<N: Into<String>>(calls: impl IntoIterator<Item = (N, Value)>) -> Self {
        Self::ToolCalls(
            calls
                .into_iter()
                .map(|(name, input)| (name.into(), input))
                .collect(),
        )
    }

    /// A tool call with an empty input `{}` (required arguments missing).
    #[must_use]
    pub fn empty_tool_input(name: impl Into<String>) -> Self {
        Self::tool_call(name, json!({}))
    }

    /// A tool call of `input` with the member at JSON pointer `pointer` replaced by the
    /// string `placeholder`, where an object belongs. The pointer `""` replaces the
    /// whole input, so Anthropic's `input` (or OpenAI's decoded arguments) is a string.
    ///
    /// # Panics
    ///
    /// If `pointer` does not name a member of `input` (a mistake in the test).
    #[must_use]
    pub fn placeholder_tool_input(
        name: impl Into<String>,
        input: Value,
        pointer: &str,
        placeholder: &str,
    ) -> Self {
        Self::tool_call(name, with_placeholder(input, pointer, placeholder))
    }

    /// A tool call with raw argument text ([`Turn::ToolCallRawArguments`]).
    #[must_use]
    pub fn tool_call_raw_arguments(name: impl Into<String>, arguments: impl Into<String>) -> Self {
        Self::ToolCallRawArguments {
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// `then` preceded by a thinking block ([`Turn::Thinking`]).
    #[must_use]
    pub fn thinking(thinking: impl Into<String>, then: Turn) -> Self {
        Self::Thinking {
            thinking: thinking.into(),
            then: Box::new(then),
        }
    }

    /// `then` preceded by a text block ([`Turn::Preamble`]).
    #[must_use]
    pub fn preamble(text: impl Into<String>, then: Turn) -> Self {
        Self::Preamble {
            text: text.into(),
            then: Box::new(then),
        }
    }

    /// Truncated text ([`Turn::MaxTokens`]).
    #[must_use]
    pub fn max_tokens(text: impl Into<String>) -> Self {
        Self::MaxTokens(text.into())
    }

    /// An error status with the provider's default error body.
    #[must_use]
    pub fn status(code: u16) -> Self {
        Self::Status {
            code,
            retry_after: None,
            body: None,
        }
    }

    /// 429 (Anthropic `rate_limit_error`, OpenAI `rate_limit_exceeded`), with a
    /// `retry-after` header when `retry_after` (seconds) is set.
    #[must_use]
    pub fn rate_limited(retry_after: Option<u64>) -> Self {
        Self::Status {
            code: 429,
            retry_after,
            body: None,
        }
    }

    /// 529 (Anthropic `overloaded_error`; the OpenAI flavour sends a `server_error` body).
    #[must_use]
    pub fn overloaded() -> Self {
        Self::status(529)
    }

    /// 500 (Anthropic `api_error`, OpenAI `server_error`).
    #[must_use]
    pub fn server_error() -> Self {
        Self::status(500)
    }

    /// 401 (Anthropic `authentication_error`, OpenAI `invalid_api_key`).
    #[must_use]
    pub fn unauthorized() -> Self {
        Self::status(401)
    }

    /// `then`, answered after sleeping `delay` ([`Turn::Delay`]).
    #[must_use]
    pub fn delay(delay: Duration, then: Turn) -> Self {
        Self::Delay(delay, Box::new(then))
    }

    /// This turn, answered after sleeping `delay`: `Turn::text("ok").delayed(200ms)`.
    #[must_use]
    pub fn delayed(self, delay: Duration) -> Self {
        Self::delay(delay, self)
    }

    /// Flattens the wrappers into a total delay and one answer.
    pub(super) fn plan(&self) -> Plan {
        match self {
            Self::Text(text) => Plan::message(vec![Block::Text(text.clone())], Stop::EndTurn),
            Self::MaxTokens(text) => {
                Plan::message(vec![Block::Text(text.clone())], Stop::MaxTokens)
            }
            Self::ToolCall { name, input } => Plan::message(
                vec![Block::Tool {
                    name: name.clone(),
                    input: ToolInput::Json(input.clone()),
                }],
                Stop::ToolUse,
            ),
            Self::ToolCalls(calls) => Plan::message(
                calls
                    .iter()
                    .map(|(name, input)| Block::Tool {
                        name: name.clone(),
                        input: ToolInput::Json(input.clone()),
                    })
                    .collect(),
                Stop::ToolUse,
            ),
            Self::ToolCallRawArguments { name, arguments } => Plan::message(
                vec![Block::Tool {
                    name: name.clone(),
                    input: ToolInput::Raw(arguments.clone()),
                }],
                Stop::ToolUse,
            ),
            Self::Preamble { text, then } => {
                let mut plan = then.plan();
                if let Answer::Message { blocks, .. } = &mut plan.answer {
                    let after_thinking = blocks
                        .iter()
                        .take_while(|b| matches!(b, Block::Thinking(_)))
                        .count();
                    blocks.insert(after_thinking, Block::Text(text.clone()));
                }
                plan
            }
            Self::Thinking { thinking, then } => {
                let mut plan = then.plan();
                if let Answer::Message { blocks, .. } = &mut plan.answer {
                    blocks.insert(0, Block::Thinking(thinking.clone()));
                }
                plan
            }
            Self::Status {
                code,
                retry_after,
                body,
            } => Plan {
                delay: Duration::ZERO,
                answer: Answer::Status {
                    code: *code,
                    retry_after: *retry_after,
                    body: body.clone(),
                },
            },
            Self::Raw {
                code,
                content_type,
                body,
            } => Plan {
                delay: Duration::ZERO,
                answer: Answer::Raw {
                    code: *code,
                    content_type: content_type.clone(),
                    body: body.clone(),
                },
            },
            Self::Delay(delay, then) => {
                let mut plan = then.plan();
                plan.delay = plan.delay.saturating_add(*delay);
                plan
            }
        }
    }
}

/// A turn with its wrappers resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    /// How long to sleep before answering.
    pub(super) delay: Duration,
    /// What to answer.
    pub(super) answer: Answer,
}

impl Plan {
    fn message(blocks: Vec<Block>, stop: Stop) -> Self {
        Self {
            delay: Duration::ZERO,
            answer: Answer::Message { blocks, stop },
        }
    }
}

/// What the mock answers, before rendering into a wire format.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Answer {
    /// A 200 with an assistant message.
    Message {
        /// Content in order.
        blocks: Vec<Block>,
        /// Why the model stopped.
        stop: Stop,
    },
    /// An error status with the provider's error envelope (or `body`).
    Status {
        code: u16,
        retry_after: Option<u64>,
        body: Option<Value>,
    },
    /// A verbatim response.
    Raw {
        code: u16,
        content_type: String,
        body: String,
    },
}

/// One piece of assistant content.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    /// A thinking block (Anthropic only).
    Thinking(String),
    /// A text block.
    Text(String),
    /// A tool call.
    Tool { name: String, input: ToolInput },
}

/// A tool call's input.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ToolInput {
    /// A JSON value (an object, unless the test scripted otherwise).
    Json(Value),
    /// Raw argument text, possibly invalid JSON.
    Raw(String),
}

/// Why the model stopped, in provider-neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Finished (`end_turn` / `stop`).
    EndTurn,
    /// Wants tools run (`tool_use` / `tool_calls`).
    ToolUse,
    /// Output cut off (`max_tokens` / `length`).
    MaxTokens,
}

/// `value` with the member at `pointer` replaced by the string `placeholder`.
fn with_placeholder(mut value: Value, pointer: &str, placeholder: &str) -> Value {
    match value.pointer_mut(pointer) {
        Some(slot) => *slot = Value::String(placeholder.to_owned()),
        None => panic!("placeholder: JSON pointer `{pointer}` names no member of {value}"),
    }
    value
}

/// Turns the escaped control characters inside the strings of well-formed JSON text
/// (`\n`, `\t`, `\r`, `\b`, `\f`, `\u0000`..`\u001f`) into raw characters. Other escapes
/// (`\"`, `\\`, `\/`, `\u` above 0x1f) stay as they are.
fn unescape_control_chars(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut chars = json.chars();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
            continue;
        }
        match c {
            '"' => {
                in_string = false;
                out.push(c);
            }
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push(c);
                    break;
                };
                match escaped {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(raw) if raw.is_control() && u32::from(raw) < 0x20 => {
                                out.push(raw);
                            }
                            _ => {
                                out.push_str("\\u");
                                out.push_str(&hex);
                            }
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_chars_become_raw_only_inside_strings() {
        let value = json!({"summary": "a\tb\nc\u{7}d \"q\" \\ é", "n": 1});
        let Turn::Text(text) = Turn::control_chars_json(&value) else {
            panic!("not text");
        };
        assert!(text.contains("a\tb\nc\u{7}d"), "{text:?}");
        assert!(text.contains(r#"\"q\" \\ é"#), "{text:?}");
        assert!(serde_json::from_str::<Value>(&text).is_err());
        // Escaping the raw characters again gives the original value back.
        let repaired = text
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\u{7}', "\\u0007");
        assert_eq!(serde_json::from_str::<Value>(&repaired).unwrap(), value);
    }

    #[test]
    fn placeholders_replace_the_named_member() {
        let Turn::Text(text) = Turn::placeholder_json(
            json!({"verdict": "benign", "details": {"a": 1}}),
            "/details",
            "[object Object]",
        ) else {
            panic!("not text");
        };
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["details"], "[object Object]");

        let turn = Turn::placeholder_tool_input("t", json!({"q": {"x": 1}}), "", "<input>");
        assert_eq!(turn, Turn::tool_call("t", json!("<input>")));
    }

    #[test]
    #[should_panic(expected = "names no member")]
    fn a_missing_placeholder_pointer_panics() {
        let _turn = Turn::placeholder_json(json!({"a": 1}), "/b", "x");
    }

    #[test]
    fn wrappers_flatten_in_order() {
        let turn = Turn::preamble(
            "checking",
            Turn::thinking("hmm", Turn::tool_call("lookup", json!({"ip": "192.0.2.1"}))),
        )
        .delayed(Duration::from_millis(5));
        let plan = Turn::delay(Duration::from_millis(10), turn).plan();
        assert_eq!(plan.delay, Duration::from_millis(15));
        let Answer::Message { blocks, stop } = plan.answer else {
            panic!("not a message");
        };
        assert_eq!(stop, Stop::ToolUse);
        assert!(matches!(&blocks[0], Block::Thinking(t) if t == "hmm"));
        assert!(matches!(&blocks[1], Block::Text(t) if t == "checking"));
        assert!(matches!(&blocks[2], Block::Tool { name, .. } if name == "lookup"));
    }

    #[test]
    fn thinking_around_a_status_is_dropped() {
        let plan = Turn::thinking("x", Turn::overloaded()).plan();
        assert!(matches!(plan.answer, Answer::Status { code: 529, .. }));
    }
}
