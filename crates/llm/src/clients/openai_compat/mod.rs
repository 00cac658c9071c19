//! The OpenAI-compatible Chat Completions client (`POST {base}/chat/completions`): OpenAI,
//! vLLM, llama.cpp server and Ollama's `/v1` endpoint.
//!
//! Request mapping:
//! - `Authorization: Bearer <key>` (marked sensitive) when a key is configured;
//! - the system prompt (stable prefix and per-request suffix joined) is the first
//!   message, role `system` (these servers have no cache breakpoints; OpenAI caches long
//!   prefixes by itself and reports `cached_tokens`);
//! - tools as `{"type":"function","function":{name, description, parameters}}`; tool
//!   choice `auto` / `required` / `{"type":"function","function":{"name"}}` / `none`;
//!   `parallel_tool_calls` when set;
//! - an assistant message's text becomes `content` (`null` when it only calls tools) and
//!   its tool calls `tool_calls` with `arguments` as a JSON-encoded string (an
//!   [`ContentBlock::InvalidToolUse`] echoes the server's raw string verbatim);
//! - each tool result becomes a `{"role":"tool","tool_call_id","content"}` message right
//!   after the assistant turn (an error result's content starts with `[tool error]`, since
//!   the format has no error flag); text in the same user message follows as a `user`
//!   message;
//! - the output cap as `max_tokens` or `max_completion_tokens`
//!   ([`MaxTokensField`]).
//!
//! Response mapping (first choice): text `content` (a string, or text parts), a non-empty
//! `refusal` as text; `tool_calls` whose `arguments` string is parsed into a JSON object
//! (an empty string is `{}`; anything that is not a JSON object becomes an
//! [`ContentBlock::InvalidToolUse`], never a panic or a failed call). The stop reason is
//! [`StopReason::MaxTokens`] on `length`, else [`StopReason::ToolUse`] whenever tool calls
//! are present (some local servers say `stop`), else [`StopReason::Refusal`] when the
//! model refused, else [`StopReason::from_openai`]. Usage: `prompt_tokens` minus
//! `prompt_tokens_details.cached_tokens` is uncached input, the cached part is a cache
//! read; a missing `usage` leaves the call unpriced.
//!
//! [`ContentBlock::InvalidToolUse`]: crate::ContentBlock::InvalidToolUse
//! [`StopReason::MaxTokens`]: crate::StopReason::MaxTokens
//! [`StopReason::ToolUse`]: crate::StopReason::ToolUse
//! [`StopReason::Refusal`]: crate::StopReason::Refusal
//! [`StopReason::from_openai`]: crate::StopReason::from_openai

mod wire;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde_json::Value;
use tracing::Instrument;

use crate::client::{call_span, check_request, encode_body, record_response};
use crate::config::{MaxTokensField, OpenAiConfig};
use crate::cost::PriceTable;
use crate::http::{Transport, join, parse_base_url, secret_header};
use crate::model::{LlmRequest, LlmResponse};
use crate::retry::Sleeper;
use crate::{LlmClient, LlmError};

pub use wire::parse_arguments;

const PROVIDER: &str = "openai";

/// Prefix of a failed tool result's content (the format has no error flag).
pub const TOOL_ERROR_PREFIX: &str = "[tool error] ";

/// The OpenAI-compatible Chat Completions client.
pub struct OpenAiClient {
    transport: Transport,
    max_tokens_field: MaxTokensField,
    prices: Arc<PriceTable>,
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("transport", &self.transport)
            .field("max_tokens_field", &self.max_tokens_field)
            .finish_non_exhaustive()
    }
}

impl OpenAiClient {
    /// A client for `cfg`, pricing calls with `prices`. A base URL without a path gets
    /// `/v1` (`http://localhost:8000` → `http://localhost:8000/v1/chat/completions`).
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] when the base URL is not an http(s) URL, the key cannot be sent
    /// as a header, a timeout is zero, or the HTTP client cannot be built. The messages
    /// never repeat the key.
    pub fn new(cfg: OpenAiConfig, prices: Arc<PriceTable>) -> Result<Self, LlmError> {
        let mut base = parse_base_url(PROVIDER, &cfg.base_url)?;
        if matches!(base.path(), "" | "/") {
            base = join(&base, &["v1"]);
        }
        let url = join(&base, &["chat", "completions"]);
        let mut headers = HeaderMap::new();
        if let Some(key) = &cfg.api_key {
            headers.insert(
                AUTHORIZATION,
                secret_header(PROVIDER, &format!("Bearer {}", key.expose()))?,
            );
        }
        let transport = Transport::new(PROVIDER, url, headers, cfg.api_key, cfg.http)?;
        Ok(Self {
            transport,
            max_tokens_field: cfg.max_tokens_field,
            prices,
        })
    }

    /// Replaces how the client waits between retries (tests inject one that does not
    /// wait).
    #[must_use]
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.transport.set_sleeper(sleeper);
        self
    }

    /// The JSON body this client sends for `req`.
    ///
    /// # Errors
    ///
    /// [`LlmError::InvalidRequest`] when the request cannot be sent.
    pub fn request_body(&self, req: &LlmRequest) -> Result<Value, LlmError> {
        serde_json::from_slice(&self.body_bytes(req)?)
            .map_err(|e| LlmError::InvalidRequest(format!("cannot encode the request: {e}")))
    }

    /// The bytes [`LlmClient::complete`] posts for `req` (and [`Self::request_body`] reads
    /// back): checked, then serialised straight from the wire structs.
    fn body_bytes(&self, req: &LlmRequest) -> Result<Vec<u8>, LlmError> {
        check_request(req)?;
        encode_body(req, &wire::request(req, self.max_tokens_field)?)
    }

    fn parse(&self, req: &LlmRequest, body: &[u8], attempts: u32) -> Result<LlmResponse, LlmError> {
        let answer = wire::answer(body).map_err(|detail| LlmError::MalformedResponse {
            provider: PROVIDER,
            detail: self.transport.redact(&detail),
        })?;
        Ok(answer.into_response(req, &self.prices, attempts))
    }
}

#[async_trait]
impl LlmClient for OpenAiClient {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let span = call_span(PROVIDER, req);
        let result = async {
            let body = self.body_bytes(req)?;
            let reply = self.transport.post(body).await?;
            self.parse(req, &reply.body, reply.attempts)
        }
        .instrument(span.clone())
        .await;
        record_response(&span, &result);
        result
    }
}
