//! The Anthropic Messages API client (`POST {base}/v1/messages`).
//!
//! Request mapping:
//! - headers `x-api-key` (marked sensitive), `anthropic-version`, `content-type` and
//!   `accept: application/json`;
//! - the stable system prompt becomes the first `system` block with
//!   `cache_control: {"type": "ephemeral"}` (when prompt caching is on), so tools and
//!   system are served from the prompt cache on later calls; the per-request suffix is a
//!   second block without a breakpoint;
//! - tools as `{name, description, input_schema}`; tool choice `auto` / `any` /
//!   `{"type":"tool","name"}` / `none`, with `disable_parallel_tool_use` when parallel
//!   calls are turned off;
//! - a message with one text block is sent as a plain string, others as blocks; tool
//!   results go before any text in their user message (the API requires it); empty text
//!   blocks are dropped (the API rejects them); an [`ContentBlock::InvalidToolUse`] (from
//!   another provider) is echoed as a `tool_use` with empty input.
//!
//! Response mapping: `text` and `tool_use` blocks in order; `thinking`,
//! `redacted_thinking` and any block type this client does not know are skipped (no
//! request turns extended thinking on, so none has to be echoed back); `stop_reason` by
//! [`StopReason::from_anthropic`]; usage `input_tokens` (uncached),
//! `cache_read_input_tokens`, `cache_creation_input_tokens`, `output_tokens`.
//!
//! [`ContentBlock::InvalidToolUse`]: crate::ContentBlock::InvalidToolUse
//! [`StopReason::from_anthropic`]: crate::StopReason::from_anthropic

mod wire;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tracing::Instrument;

use crate::client::{call_span, check_request, encode_body, record_response};
use crate::config::AnthropicConfig;
use crate::cost::PriceTable;
use crate::http::{Transport, join, parse_base_url, secret_header};
use crate::model::{LlmRequest, LlmResponse};
use crate::retry::Sleeper;
use crate::{LlmClient, LlmError};

const PROVIDER: &str = "anthropic";

/// The Anthropic Messages client.
pub struct AnthropicClient {
    transport: Transport,
    prompt_caching: bool,
    prices: Arc<PriceTable>,
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("transport", &self.transport)
            .field("prompt_caching", &self.prompt_caching)
            .finish_non_exhaustive()
    }
}

impl AnthropicClient {
    /// A client for `cfg`, pricing calls with `prices`.
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] when the base URL is not an http(s) URL, the key or version
    /// cannot be sent as a header, a timeout is zero, or the HTTP client cannot be built.
    /// The messages never repeat the key.
    pub fn new(cfg: AnthropicConfig, prices: Arc<PriceTable>) -> Result<Self, LlmError> {
        let base = parse_base_url(PROVIDER, &cfg.base_url)?;
        let url = join(&base, &["v1", "messages"]);
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-api-key"),
            secret_header(PROVIDER, cfg.api_key.expose())?,
        );
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_str(&cfg.version).map_err(|_| {
                LlmError::Config("`anthropic` version is not a valid header value".to_owned())
            })?,
        );
        let transport = Transport::new(PROVIDER, url, headers, Some(cfg.api_key), cfg.http)?;
        Ok(Self {
            transport,
            prompt_caching: cfg.prompt_caching,
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
    /// [`LlmError::InvalidRequest`] when the request cannot be sent (see
    /// [`LlmClient::complete`]).
    pub fn request_body(&self, req: &LlmRequest) -> Result<Value, LlmError> {
        serde_json::from_slice(&self.body_bytes(req)?)
            .map_err(|e| LlmError::InvalidRequest(format!("cannot encode the request: {e}")))
    }

    /// The bytes [`LlmClient::complete`] posts for `req` (and [`Self::request_body`] reads
    /// back): checked, then serialised straight from the wire structs.
    fn body_bytes(&self, req: &LlmRequest) -> Result<Vec<u8>, LlmError> {
        check_request(req)?;
        encode_body(req, &wire::request(req, self.prompt_caching)?)
    }

    fn parse(&self, req: &LlmRequest, body: &[u8], attempts: u32) -> Result<LlmResponse, LlmError> {
        let answer = wire::answer(body).map_err(|e| LlmError::MalformedResponse {
            provider: PROVIDER,
            detail: self
                .transport
                .redact(&format!("not a Messages response: {e}")),
        })?;
        Ok(answer.into_response(req, &self.prices, attempts))
    }
}

#[async_trait]
impl LlmClient for AnthropicClient {
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
