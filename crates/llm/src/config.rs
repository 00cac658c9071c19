//! Which LLM providers are on, how to reach them, and which model serves each tier.
//!
//! [`LlmConfig`] is a plain struct: the binary fills it from its TOML file (tiers, prices,
//! timeouts; the serde-able parts are [`TierModels`] and
//! [`PriceTable`]) and from the environment, where [`LlmConfig::from_env`]
//! reads a map the caller passes in:
//!
//! | variable | meaning |
//! |---|---|
//! | `ANTHROPIC_API_KEY` | turns the Anthropic client on |
//! | `ANTHROPIC_BASE_URL` | default `https://api.anthropic.com` (requests go to `{base}/v1/messages`) |
//! | `OPENAI_API_KEY` | turns the OpenAI-compatible client on |
//! | `OPENAI_BASE_URL` | default `https://api.openai.com/v1` (requests go to `{base}/chat/completions`; a base without a path gets `/v1`). Set alone, without a key, it turns the client on for a local server (vLLM, llama.cpp, Ollama) that needs none |
//! | `SOC_LLM__CHEAP_MODEL` | tier 1 model, `[anthropic:|openai:]<model id>`; default `anthropic:claude-haiku-4-5` |
//! | `SOC_LLM__STRONG_MODEL` | tier 2 model, same form; default `anthropic:claude-sonnet-4-5` |
//!
//! Keys are [`Secret`]s: never in `Debug`, logs or errors, and never read from the TOML.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use soc_core::config::Secret;

use crate::cost::PriceTable;
use crate::http::HttpSettings;

/// Default Anthropic base URL.
pub const ANTHROPIC_BASE: &str = "https://api.anthropic.com";
/// Default OpenAI base URL (includes `/v1`, as in the official SDKs).
pub const OPENAI_BASE: &str = "https://api.openai.com/v1";
/// The `anthropic-version` header value.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Default tier 1 (cheap) model.
pub const DEFAULT_CHEAP_MODEL: &str = "claude-haiku-4-5";
/// Default tier 2 (strong) model.
pub const DEFAULT_STRONG_MODEL: &str = "claude-sonnet-4-5";

/// The providers this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProviderKind {
    /// Anthropic Messages API.
    #[serde(rename = "anthropic")]
    Anthropic,
    /// OpenAI Chat Completions and compatible servers (vLLM, llama.cpp, Ollama).
    #[serde(rename = "openai")]
    OpenAi,
}

impl ProviderKind {
    /// `anthropic` or `openai`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::OpenAi => "openai",
        }
    }
}

/// The two LLM tiers of the pipeline (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Tier 1: one call to a cheap model.
    Cheap,
    /// Tier 2: the agentic loop with a strong model.
    Strong,
}

/// The model of one tier and the provider that serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierModel {
    /// Who serves it.
    pub provider: ProviderKind,
    /// The model id sent in requests.
    pub model: String,
}

impl TierModel {
    /// Reads `[anthropic:|openai:]<model id>`. Without a prefix, an id starting with
    /// `claude` is Anthropic's and anything else goes to the OpenAI-compatible server
    /// (`openai:llama3.1:8b` and `llama3.1:8b` are the same; only the two prefixes above are
    /// recognised, so ids with colons stay whole).
    pub fn parse(spec: &str) -> Self {
        let spec = spec.trim();
        if let Some(m) = spec.strip_prefix("anthropic:") {
            return Self {
                provider: ProviderKind::Anthropic,
                model: m.trim().to_owned(),
            };
        }
        if let Some(m) = spec.strip_prefix("openai:") {
            return Self {
                provider: ProviderKind::OpenAi,
                model: m.trim().to_owned(),
            };
        }
        let provider = if spec.starts_with("claude") {
            ProviderKind::Anthropic
        } else {
            ProviderKind::OpenAi
        };
        Self {
            provider,
            model: spec.to_owned(),
        }
    }
}

/// The model of each tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierModels {
    /// Tier 1. Default Anthropic `claude-haiku-4-5`.
    pub cheap: TierModel,
    /// Tier 2. Default Anthropic `claude-sonnet-4-5`.
    pub strong: TierModel,
}

impl Default for TierModels {
    fn default() -> Self {
        Self {
            cheap: TierModel {
                provider: ProviderKind::Anthropic,
                model: DEFAULT_CHEAP_MODEL.to_owned(),
            },
            strong: TierModel {
                provider: ProviderKind::Anthropic,
                model: DEFAULT_STRONG_MODEL.to_owned(),
            },
        }
    }
}

impl TierModels {
    /// The model of `tier`.
    pub fn get(&self, tier: Tier) -> &TierModel {
        match tier {
            Tier::Cheap => &self.cheap,
            Tier::Strong => &self.strong,
        }
    }
}

/// How to reach the Anthropic Messages API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnthropicConfig {
    /// The key, sent as `x-api-key`.
    pub api_key: Secret,
    /// Base URL without `/v1`. Default [`ANTHROPIC_BASE`].
    pub base_url: String,
    /// The `anthropic-version` header. Default [`ANTHROPIC_VERSION`].
    pub version: String,
    /// Mark the stable system prompt with `cache_control: ephemeral` (5-minute prompt
    /// cache; tools and system are cached together). Default true.
    pub prompt_caching: bool,
    /// Timeouts and retries.
    pub http: HttpSettings,
}

impl AnthropicConfig {
    /// The defaults with `api_key`.
    pub fn new(api_key: Secret) -> Self {
        Self {
            api_key,
            base_url: ANTHROPIC_BASE.to_owned(),
            version: ANTHROPIC_VERSION.to_owned(),
            prompt_caching: true,
            http: HttpSettings::default(),
        }
    }
}

/// Which field carries the output cap in OpenAI-compatible requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    /// `max_tokens`: accepted by local servers and older OpenAI models. Default.
    #[default]
    MaxTokens,
    /// `max_completion_tokens`: required by OpenAI's reasoning models.
    MaxCompletionTokens,
}

/// How to reach an OpenAI-compatible Chat Completions server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiConfig {
    /// The key, sent as `Authorization: Bearer`; `None` sends no `Authorization` header
    /// (local servers without `--api-key`).
    pub api_key: Option<Secret>,
    /// Base URL including the API version path. Default [`OPENAI_BASE`].
    pub base_url: String,
    /// The output-cap field. Default `max_tokens`.
    pub max_tokens_field: MaxTokensField,
    /// Timeouts and retries.
    pub http: HttpSettings,
}

impl OpenAiConfig {
    /// The defaults with `api_key`.
    pub fn new(api_key: Option<Secret>) -> Self {
        Self {
            api_key,
            base_url: OPENAI_BASE.to_owned(),
            max_tokens_field: MaxTokensField::MaxTokens,
            http: HttpSettings::default(),
        }
    }
}

/// Everything the LLM tiers need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmConfig {
    /// The Anthropic client, when a key is set.
    pub anthropic: Option<AnthropicConfig>,
    /// The OpenAI-compatible client, when a key or a base URL is set.
    pub openai: Option<OpenAiConfig>,
    /// The model of each tier.
    pub tiers: TierModels,
    /// Prices for cost accounting.
    pub prices: PriceTable,
}

impl LlmConfig {
    /// Reads providers and tier models from an environment map (see the module
    /// documentation). Everything else keeps its default.
    pub fn from_env(env: &HashMap<String, String>) -> Self {
        let get = |k: &str| {
            env.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let anthropic = get("ANTHROPIC_API_KEY").map(|key| {
            let mut c = AnthropicConfig::new(Secret::new(key));
            if let Some(base) = get("ANTHROPIC_BASE_URL") {
                c.base_url = base;
            }
            c
        });
        let openai_key = get("OPENAI_API_KEY").map(Secret::new);
        let openai_base = get("OPENAI_BASE_URL");
        let openai = (openai_key.is_some() || openai_base.is_some()).then(|| {
            let mut c = OpenAiConfig::new(openai_key);
            if let Some(base) = openai_base {
                c.base_url = base;
            }
            c
        });
        let mut tiers = TierModels::default();
        if let Some(spec) = get("SOC_LLM__CHEAP_MODEL") {
            tiers.cheap = TierModel::parse(&spec);
        }
        if let Some(spec) = get("SOC_LLM__STRONG_MODEL") {
            tiers.strong = TierModel::parse(&spec);
        }
        Self {
            anthropic,
            openai,
            tiers,
            prices: PriceTable::default(),
        }
    }

    /// [`Self::from_env`] over the process environment.
    pub fn from_process_env() -> Self {
        Self::from_env(&std::env::vars().collect())
    }

    /// True when `provider` has a client configured.
    pub fn has_provider(&self, provider: ProviderKind) -> bool {
        match provider {
            ProviderKind::Anthropic => self.anthropic.is_some(),
            ProviderKind::OpenAi => self.openai.is_some(),
        }
    }

    /// One line per provider and tier, for the start-up log and `config show` (no keys).
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![
            match &self.anthropic {
                Some(c) => format!("anthropic: on ({})", c.base_url),
                None => "anthropic: off (set ANTHROPIC_API_KEY to enable)".to_owned(),
            },
            match &self.openai {
                Some(c) => format!(
                    "openai: on ({}, {})",
                    c.base_url,
                    if c.api_key.is_some() {
                        "key set"
                    } else {
                        "no key"
                    }
                ),
                None => "openai: off (set OPENAI_API_KEY or OPENAI_BASE_URL to enable)".to_owned(),
            },
        ];
        for (name, tier) in [("cheap", Tier::Cheap), ("strong", Tier::Strong)] {
            let m = self.tiers.get(tier);
            let state = if self.has_provider(m.provider) {
                "on"
            } else {
                "off: provider not configured"
            };
            let price = if self.prices.get(&m.model).is_some() {
                ""
            } else {
                ", unpriced"
            };
            out.push(format!(
                "tier {name}: {}:{} ({state}{price})",
                m.provider.as_str(),
                m.model
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn nothing_set_means_no_provider_and_default_tiers() {
        let c = LlmConfig::from_env(&env(&[("ANTHROPIC_API_KEY", "  ")]));
        assert!(c.anthropic.is_none() && c.openai.is_none());
        assert_eq!(c.tiers.cheap.model, "claude-haiku-4-5");
        assert_eq!(c.tiers.strong.model, "claude-sonnet-4-5");
        assert_eq!(c.tiers.strong.provider, ProviderKind::Anthropic);
        let d = c.describe();
        assert!(d[0].contains("off") && d[2].contains("off"), "{d:?}");
    }

    #[test]
    fn keys_and_bases_enable_providers_and_never_print() {
        let c = LlmConfig::from_env(&env(&[
            ("ANTHROPIC_API_KEY", "sk-ant-secret-1"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9"),
            ("OPENAI_BASE_URL", "http://localhost:11434/v1"),
            ("SOC_LLM__CHEAP_MODEL", "openai:llama3.1:8b"),
        ]));
        let a = c.anthropic.as_ref().unwrap();
        assert_eq!(a.base_url, "http://127.0.0.1:9");
        assert!(a.prompt_caching);
        let o = c.openai.as_ref().unwrap();
        assert!(o.api_key.is_none());
        assert_eq!(o.base_url, "http://localhost:11434/v1");
        assert_eq!(
            c.tiers.cheap,
            TierModel {
                provider: ProviderKind::OpenAi,
                model: "llama3.1:8b".into()
            }
        );
        let shown = format!("{c:?} {:?}", c.describe());
        assert!(!shown.contains("sk-ant-secret-1"), "{shown}");
        assert!(
            shown.contains("tier cheap: openai:llama3.1:8b (on, unpriced)"),
            "{shown}"
        );
        let c = LlmConfig::from_env(&env(&[("OPENAI_API_KEY", "sk-proj-x")]));
        assert_eq!(c.openai.unwrap().base_url, OPENAI_BASE);
    }

    #[test]
    fn tier_specs() {
        assert_eq!(
            TierModel::parse("claude-sonnet-4-6").provider,
            ProviderKind::Anthropic
        );
        assert_eq!(
            TierModel::parse("gpt-4o-mini").provider,
            ProviderKind::OpenAi
        );
        let m = TierModel::parse(" anthropic: my-proxy-model ");
        assert_eq!(
            (m.provider, m.model.as_str()),
            (ProviderKind::Anthropic, "my-proxy-model")
        );
        let tiers: TierModels = serde_json::from_str(
            r#"{"cheap":{"provider":"openai","model":"gpt-4o-mini"},
                "strong":{"provider":"anthropic","model":"claude-sonnet-4-6"}}"#,
        )
        .unwrap();
        assert_eq!(tiers.get(Tier::Cheap).provider, ProviderKind::OpenAi);
    }
}
