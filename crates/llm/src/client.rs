//! The [`LlmClient`] trait every provider implements.

use async_trait::async_trait;

use crate::LlmError;
use crate::model::{LlmRequest, LlmResponse};

/// One LLM provider behind a neutral request/response model.
///
/// # Implementing a client
///
/// - Map [`LlmRequest`] to the provider's wire format and the answer back to
///   [`LlmResponse`]: text and tool-call blocks in order (drop thinking/reasoning
///   blocks), a neutral [`StopReason`](crate::StopReason) (unknown values become
///   `Other`, never an error), [`Usage`](crate::Usage) split into uncached input, output,
///   cache reads and cache writes, and the [`CallCost`](crate::CallCost) from the
///   client's [`PriceTable`](crate::PriceTable) (unpriced when the model has no row or the
///   server reported no usage).
/// - Send through the shared HTTP layer so timeouts, the retry policy, the error mapping
///   and key redaction are the same for every provider. The key never appears in an
///   error, a log line or `Debug`.
/// - Register it in [`crate::clients::build_client`] under a new
///   [`ProviderKind`](crate::config::ProviderKind).
///
/// Clients are cheap to share (`Arc<dyn LlmClient>`) and hold one connection pool each.
#[async_trait]
pub trait LlmClient: Send + Sync + std::fmt::Debug + 'static {
    /// The provider name used in errors, logs and metrics (`anthropic`, `openai`).
    fn provider(&self) -> &'static str;

    /// Sends one request and returns the model's answer with its usage and cost. Rate
    /// limits, overloads and server failures are retried inside the call by the client's
    /// retry policy.
    ///
    /// # Errors
    ///
    /// [`LlmError`]: each variant carries its retry class
    /// ([`soc_core::error::Classify`]).
    async fn complete(&self, req: &LlmRequest) -> Result<LlmResponse, LlmError>;

    /// Checks that the provider is reachable and the key works. The default does nothing
    /// (a call costs tokens); clients may override it with a cheap request.
    ///
    /// # Errors
    ///
    /// [`LlmError`] when the check fails.
    async fn healthcheck(&self) -> Result<(), LlmError> {
        Ok(())
    }
}

/// Refuses a request that no provider would accept, before it is sent.
pub(crate) fn check_request(req: &LlmRequest) -> Result<(), LlmError> {
    if req.model.trim().is_empty() {
        return Err(LlmError::InvalidRequest("no model given".to_owned()));
    }
    if req.messages.is_empty() {
        return Err(LlmError::InvalidRequest("no messages".to_owned()));
    }
    if req.max_tokens == 0 {
        return Err(LlmError::InvalidRequest(
            "`max_tokens` must be at least 1".to_owned(),
        ));
    }
    if let Some(t) = req.temperature
        && !(t.is_finite() && t >= 0.0)
    {
        return Err(LlmError::InvalidRequest(format!(
            "`temperature` must be a finite number >= 0, got {t}"
        )));
    }
    Ok(())
}

/// A request's wire body, serialised straight from the provider's borrowed wire struct
/// (no `serde_json::Value` copy of the prompt in between) into a buffer sized for it.
pub(crate) fn encode_body<T: serde::Serialize>(
    req: &LlmRequest,
    wire: &T,
) -> Result<Vec<u8>, LlmError> {
    let mut body = Vec::with_capacity(body_size_hint(req));
    soc_core::json::to_writer(&mut body, wire)
        .map_err(|e| LlmError::InvalidRequest(format!("cannot encode the request: {e}")))?;
    Ok(body)
}

/// About the size of a request's JSON body: its texts plus room for escapes, field names
/// and tool schemas. Only a capacity: a larger body grows the buffer as usual.
fn body_size_hint(req: &LlmRequest) -> usize {
    use crate::model::ContentBlock;
    let texts: usize = req
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .map(|b| match b {
            ContentBlock::Text { text } => text.len(),
            ContentBlock::ToolResult { content, .. } => content.len(),
            ContentBlock::InvalidToolUse { raw_arguments, .. } => raw_arguments.len(),
            ContentBlock::ToolUse { .. } => 256,
        })
        .sum();
    let system = req.system.as_ref().map_or(0, String::len)
        + req.system_suffix.as_ref().map_or(0, String::len);
    let tools: usize = req
        .tools
        .iter()
        .map(|t| t.name.len() + t.description.len() + 512)
        .sum();
    let raw = texts + system + tools + 64 * req.messages.len() + 512;
    raw + raw / 8
}

/// The span of one call, with GenAI semantic-convention attributes (DESIGN §7); the
/// response fields are recorded by [`record_response`]. No prompt text, no key.
pub(crate) fn call_span(provider: &'static str, req: &LlmRequest) -> tracing::Span {
    tracing::info_span!(
        "llm.complete",
        gen_ai.operation.name = "chat",
        gen_ai.system = provider,
        gen_ai.request.model = %req.model,
        gen_ai.request.max_tokens = req.max_tokens,
        gen_ai.response.model = tracing::field::Empty,
        gen_ai.response.id = tracing::field::Empty,
        gen_ai.response.finish_reasons = tracing::field::Empty,
        gen_ai.usage.input_tokens = tracing::field::Empty,
        gen_ai.usage.output_tokens = tracing::field::Empty,
        soc.llm.cache_read_tokens = tracing::field::Empty,
        soc.llm.cache_write_tokens = tracing::field::Empty,
        soc.llm.cost_usd = tracing::field::Empty,
        soc.llm.attempts = tracing::field::Empty,
        error.type = tracing::field::Empty,
    )
}

/// Records the outcome of a call on its span.
pub(crate) fn record_response(span: &tracing::Span, result: &Result<LlmResponse, LlmError>) {
    match result {
        Ok(r) => {
            span.record("gen_ai.response.model", r.model.as_str());
            if let Some(id) = &r.id {
                span.record("gen_ai.response.id", id.as_str());
            }
            span.record("gen_ai.response.finish_reasons", r.stop_reason.as_str());
            span.record("gen_ai.usage.input_tokens", r.usage.total_input());
            span.record("gen_ai.usage.output_tokens", r.usage.output);
            span.record("soc.llm.cache_read_tokens", r.usage.cache_read);
            span.record("soc.llm.cache_write_tokens", r.usage.cache_write);
            if let Some(usd) = r.cost.cost_usd {
                span.record("soc.llm.cost_usd", usd);
            }
            span.record("soc.llm.attempts", r.attempts);
        }
        Err(e) => {
            span.record("error.type", e.kind());
        }
    }
}
