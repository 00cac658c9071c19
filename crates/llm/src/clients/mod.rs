//! The client implementations and the one place that builds them from configuration.
//!
//! - [`anthropic`]: the Anthropic Messages API;
//! - [`openai_compat`]: OpenAI Chat Completions and compatible servers.
//!
//! [`build_tier_clients`] gives the pipeline one client per tier: the two tiers share a
//! client (and its connection pool) when they use the same provider, and a tier left at
//! its default model whose provider is not configured is `None` (tier 0's answer stands,
//! DESIGN §5). A model someone named for a tier whose provider is not configured, or a
//! misspelt provider prefix, is an error ([`LlmConfig::validate`]), never a silent skip.

pub mod anthropic;
pub mod openai_compat;

use std::sync::Arc;

use crate::config::{LlmConfig, ProviderKind, Tier};
use crate::cost::PriceTable;
use crate::model::{ContentBlock, LlmRequest, LlmResponse, StopReason, Usage};
use crate::{LlmClient, LlmError};

pub use anthropic::AnthropicClient;
pub use openai_compat::OpenAiClient;

/// Builds the client of `provider` from `cfg`; `Ok(None)` when that provider is not
/// configured.
///
/// # Errors
///
/// [`LlmError::Config`] when the provider's settings are unusable (bad base URL, key with
/// characters a header cannot carry, zero timeout).
pub fn build_client(
    provider: ProviderKind,
    cfg: &LlmConfig,
    prices: &Arc<PriceTable>,
) -> Result<Option<Arc<dyn LlmClient>>, LlmError> {
    Ok(match provider {
        ProviderKind::Anthropic => match &cfg.anthropic {
            Some(c) => Some(Arc::new(AnthropicClient::new(
                c.clone(),
                Arc::clone(prices),
            )?)),
            None => None,
        },
        ProviderKind::OpenAi => match &cfg.openai {
            Some(c) => Some(Arc::new(OpenAiClient::new(c.clone(), Arc::clone(prices))?)),
            None => None,
        },
    })
}

/// What a client's wire module read from a 2xx answer, before pricing.
pub(crate) struct Answer {
    pub(crate) id: Option<String>,
    /// The model the provider named, if any.
    pub(crate) model: Option<String>,
    pub(crate) content: Vec<ContentBlock>,
    pub(crate) stop_reason: StopReason,
    /// `None` when the server reported no usage.
    pub(crate) usage: Option<Usage>,
}

impl Answer {
    /// The neutral response: the answering model (else the requested one), priced by
    /// `prices`.
    pub(crate) fn into_response(
        self,
        req: &LlmRequest,
        prices: &PriceTable,
        attempts: u32,
    ) -> LlmResponse {
        let model = self
            .model
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| req.model.clone());
        let cost = prices.cost(&model, &req.model, self.usage.as_ref());
        LlmResponse {
            id: self.id,
            model,
            content: self.content,
            stop_reason: self.stop_reason,
            usage: self.usage.unwrap_or_default(),
            cost,
            attempts,
        }
    }
}

/// A tier's client and model.
#[derive(Debug, Clone)]
pub struct TierClient {
    /// The client.
    pub client: Arc<dyn LlmClient>,
    /// The model id this tier sends.
    pub model: String,
}

impl TierClient {
    /// An empty request for this tier's model.
    pub fn request(&self) -> LlmRequest {
        LlmRequest::new(self.model.clone())
    }
}

/// The client of each LLM tier; `None` where the tier's provider is not configured.
#[derive(Debug, Clone, Default)]
pub struct TierClients {
    /// Tier 1.
    pub cheap: Option<TierClient>,
    /// Tier 2.
    pub strong: Option<TierClient>,
}

impl TierClients {
    /// The client of `tier`.
    pub fn get(&self, tier: Tier) -> Option<&TierClient> {
        match tier {
            Tier::Cheap => self.cheap.as_ref(),
            Tier::Strong => self.strong.as_ref(),
        }
    }
}

/// One client per tier from `cfg` (see the module documentation), after
/// [`LlmConfig::validate`]. Installs the TLS crypto provider first.
///
/// # Errors
///
/// [`LlmError::Config`] when [`LlmConfig::validate`] refuses the tier models or a
/// configured provider's settings are unusable.
pub fn build_tier_clients(cfg: &LlmConfig) -> Result<TierClients, LlmError> {
    cfg.validate()?;
    crate::tls::install_crypto_provider();
    let prices = Arc::new(cfg.prices.clone());
    let anthropic = build_client(ProviderKind::Anthropic, cfg, &prices)?;
    let openai = build_client(ProviderKind::OpenAi, cfg, &prices)?;
    let pick = |tier: Tier| {
        let m = cfg.tiers.get(tier);
        let client = match m.provider {
            ProviderKind::Anthropic => anthropic.clone(),
            ProviderKind::OpenAi => openai.clone(),
        };
        client.map(|client| TierClient {
            client,
            model: m.model.clone(),
        })
    };
    Ok(TierClients {
        cheap: pick(Tier::Cheap),
        strong: pick(Tier::Strong),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn tiers_get_the_clients_of_their_providers() {
        let env: HashMap<String, String> = [
            ("OPENAI_BASE_URL", "http://127.0.0.1:9"),
            ("SOC_LLM__STRONG_MODEL", "qwen2.5-7b-instruct"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let cfg = LlmConfig::from_env(&env);
        let t = build_tier_clients(&cfg).unwrap();
        assert!(t.get(Tier::Cheap).is_none(), "anthropic is not configured");
        let strong = t.get(Tier::Strong).unwrap();
        assert_eq!(strong.client.provider(), "openai");
        assert_eq!(strong.request().model, "qwen2.5-7b-instruct");
    }

    #[test]
    fn unusable_settings_fail_without_the_key() {
        let cfg = LlmConfig {
            anthropic: Some(crate::config::AnthropicConfig::new(
                soc_core::config::Secret::new("sk-ant-bad\nkey"),
            )),
            ..LlmConfig::default()
        };
        let err = build_tier_clients(&cfg).unwrap_err();
        assert!(matches!(err, LlmError::Config(_)));
        assert!(!format!("{err} {err:?}").contains("sk-ant-bad"));
    }

    #[test]
    fn a_named_model_needs_its_provider_and_a_real_prefix() {
        let env = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        // The review's repro: a typo'd prefix became an OpenAI model id and tier 1 was
        // skipped in silence.
        let cfg = LlmConfig::from_env(&env(&[
            ("ANTHROPIC_API_KEY", "x"),
            ("SOC_LLM__CHEAP_MODEL", "antropic:claude-haiku-4-5"),
        ]));
        let e = build_tier_clients(&cfg).unwrap_err().to_string();
        assert!(e.contains("SOC_LLM__CHEAP_MODEL"), "{e}");
        assert!(e.contains("`anthropic:` and `openai:`"), "{e}");
        assert!(e.contains("did you mean `anthropic:`"), "{e}");
        // A provider named but not configured.
        let cfg = LlmConfig::from_env(&env(&[
            ("ANTHROPIC_API_KEY", "x"),
            ("SOC_LLM__CHEAP_MODEL", "openai:gpt-4o"),
        ]));
        let e = build_tier_clients(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("SOC_LLM__CHEAP_MODEL") && e.contains("OPENAI_API_KEY"),
            "{e}"
        );
        let cfg = LlmConfig::from_env(&env(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:9"),
            ("SOC_LLM__STRONG_MODEL", "claude-opus-4-1"),
        ]));
        let e = build_tier_clients(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("SOC_LLM__STRONG_MODEL") && e.contains("ANTHROPIC_API_KEY"),
            "{e}"
        );
        // Nothing configured and nothing named: no tier, no error (tier 0 stands).
        let t = build_tier_clients(&LlmConfig::default()).unwrap();
        assert!(t.cheap.is_none() && t.strong.is_none());
    }

    #[tokio::test]
    async fn client_errors_never_carry_url_credentials_query_or_key() {
        let secrets = [
            "proxyuser",
            "pr0xy-PW-123",
            "query-K-456",
            "sk-secret-KEY-42",
        ];
        let mut o = crate::config::OpenAiConfig::new(Some(soc_core::config::Secret::new(
            "sk-secret-KEY-42",
        )));
        o.base_url = "http://proxyuser:pr0xy-PW-123@127.0.0.1:1/v1?key=query-K-456".into();
        o.http.retry = crate::retry::RetryPolicy::none();
        let mut a =
            crate::config::AnthropicConfig::new(soc_core::config::Secret::new("sk-secret-KEY-42"));
        a.base_url = "http://proxyuser:pr0xy-PW-123@127.0.0.1:1/?key=query-K-456".into();
        a.http.retry = crate::retry::RetryPolicy::none();
        let prices = Arc::new(PriceTable::default());
        let clients: [Arc<dyn LlmClient>; 2] = [
            Arc::new(OpenAiClient::new(o, Arc::clone(&prices)).unwrap()),
            Arc::new(AnthropicClient::new(a, prices).unwrap()),
        ];
        for client in clients {
            let mut req = LlmRequest::new("m");
            req.messages.push(crate::model::Message::user("hi"));
            let err = client.complete(&req).await.unwrap_err();
            assert!(matches!(err, LlmError::Transport { .. }), "{err:?}");
            let shown = format!("{err} {err:?} {client:?}");
            for s in secrets {
                assert!(!shown.contains(s), "{s} in {shown}");
            }
            assert!(shown.contains("127.0.0.1:1"), "{shown}");
        }
    }
}
