//! soc-llm: LLM access for the model tiers, behind one provider-neutral trait, with token
//! and cost accounting on every call.
//!
//! # Layout
//!
//! - [`model`]: the neutral request/response model: [`LlmRequest`] (stable system prefix
//!   and per-request suffix, [`Message`]s of [`ContentBlock`]s, [`ToolDefinition`]s),
//!   [`LlmResponse`] (blocks, [`StopReason`], [`Usage`], [`CallCost`]).
//! - [`client`]: the [`LlmClient`] trait and how to implement one.
//! - [`clients`]: the implementations, [`clients::anthropic`] (Messages API, prompt caching
//!   of the system prefix) and [`clients::openai_compat`] (Chat Completions: OpenAI, vLLM,
//!   llama.cpp, Ollama), and [`clients::build_tier_clients`], which gives each tier its
//!   client.
//! - [`config`]: [`LlmConfig`]: providers (keys and base URLs from the environment), the
//!   model of each [`Tier`], prices.
//! - [`cost`]: the [`PriceTable`] (USD per million tokens, defaults for the default models,
//!   overridable) and [`CallCost`]; an unknown model is unpriced, never free.
//! - [`http`]: what the clients share: timeouts, the POST with retries, the mapping of
//!   HTTP answers to [`LlmError`], key redaction.
//! - [`retry`]: the one jittered retry policy (honouring `retry-after`) and the injectable
//!   [`Sleeper`](retry::Sleeper).
//! - [`extract`]: the tolerant reader of final answers (the first JSON object in text
//!   with prose, fences, thinking and control characters).
//! - [`tls`]: the process-wide TLS crypto provider.
//! - [`error`]: [`LlmError`], each variant with its retry class.
//!
//! # Adding a provider
//!
//! Implement [`LlmClient`] in a new file under `clients/` on top of the shared HTTP layer,
//! add a [`config::ProviderKind`] variant and its settings to [`LlmConfig`], and build it
//! in [`clients::build_client`]. Map the wire format both ways without losing tool call
//! ids, report usage split by billing kind, and let unknown stop reasons and block types
//! through as `Other` / skipped rather than failing.

pub mod client;
pub mod clients;
pub mod config;
pub mod cost;
pub mod error;
pub mod extract;
pub mod http;
pub mod model;
pub mod retry;
pub mod tls;

pub use client::LlmClient;
pub use clients::{AnthropicClient, OpenAiClient, TierClient, TierClients, build_tier_clients};
pub use config::{LlmConfig, ProviderKind, Tier, TierModel, TierModels};
pub use cost::{CallCost, CostTotal, ModelPrice, PriceTable};
pub use error::LlmError;
pub use extract::{first_json_as, first_json_object};
pub use model::{
    ContentBlock, LlmRequest, LlmResponse, Message, Role, StopReason, ToolChoice, ToolDefinition,
    Usage,
};
