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
//! A base URL is shown (in `Debug`, [`LlmConfig::describe`] and errors) only as
//! `scheme://host:port/path` ([`redact_base_url`]): a proxy URL may carry `user:pw@` or
//! `?key=`.
//!
//! [`LlmConfig::validate`] (run by [`crate::build_tier_clients`]) refuses a tier model
//! whose prefix looks like a misspelt provider (`antropic:claude-haiku-4-5`), an empty
//! model id, and a model someone named (anything but the tier's default) whose provider
//! is not configured. A tier left at its default model is simply off while Anthropic is
//! not configured: the other tier, or tier 0, answers.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use soc_core::config::Secret;

use crate::LlmError;
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
    /// Every provider, in the order they are described.
    pub const ALL: [Self; 2] = [Self::Anthropic, Self::OpenAi];

    /// `anthropic` or `openai`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::OpenAi => "openai",
        }
    }

    /// The environment variables that turn this provider on.
    pub fn env_hint(self) -> &'static str {
        match self {
            Self::Anthropic => "set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy)",
            Self::OpenAi => {
                "set OPENAI_API_KEY and/or OPENAI_BASE_URL (the latter alone for a local server)"
            }
        }
    }
}

/// The accepted provider prefixes of a tier model, as error messages list them.
pub const PROVIDER_PREFIXES: &str = "`anthropic:` and `openai:`";

/// Names of OpenAI-compatible servers someone may write as a prefix instead of `openai:`.
const SERVER_NAMES: [&str; 6] = ["ollama", "vllm", "llamacpp", "lmstudio", "localai", "tgi"];

/// See [`soc_core::config::redact_base_url`]: the one rule for every service URL shown.
pub use soc_core::config::redact_base_url;

/// The two LLM tiers of the pipeline (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Tier 1: one call to a cheap model.
    Cheap,
    /// Tier 2: the agentic loop with a strong model.
    Strong,
}

impl Tier {
    /// `1` or `2`.
    pub fn number(self) -> u8 {
        match self {
            Self::Cheap => 1,
            Self::Strong => 2,
        }
    }

    /// The setting that names this tier's model, as errors show it.
    pub fn setting(self) -> &'static str {
        match self {
            Self::Cheap => "`SOC_LLM__CHEAP_MODEL` / `[llm] cheap_model`",
            Self::Strong => "`SOC_LLM__STRONG_MODEL` / `[llm] strong_model`",
        }
    }
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
    ///
    /// Never fails: a misspelt prefix (`antropic:`) stays part of the id, and
    /// [`Self::check`] / [`LlmConfig::validate`] refuse it. [`Self::try_parse`] does both.
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

    /// [`Self::parse`], then [`Self::check`].
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] as [`Self::check`] says.
    pub fn try_parse(spec: &str) -> Result<Self, LlmError> {
        let m = Self::parse(spec);
        m.check().map_err(LlmError::Config)?;
        Ok(m)
    }

    /// Why this model cannot be used, whatever is configured: an empty id, or an id whose
    /// first `word:` is a misspelt provider prefix (`antropic:`, `opeani:`, `OpenAI:`) or
    /// the name of an OpenAI-compatible server (`ollama:`, `vllm:`). Ids with colons that
    /// are not like a provider name (`llama3.1:8b`, `qwen2.5:7b-instruct`,
    /// `hf.co/org/model:Q4_K_M`) pass. The message quotes the spec and lists the accepted
    /// prefixes; the caller names the setting.
    ///
    /// # Errors
    ///
    /// The reason, as text.
    pub fn check(&self) -> Result<(), String> {
        if self.model.trim().is_empty() {
            return Err(format!(
                "`{}:` is not followed by a model id",
                self.provider.as_str()
            ));
        }
        let Some((prefix, _)) = self.model.split_once(':') else {
            return Ok(());
        };
        let Some(hint) = prefix_hint(prefix) else {
            return Ok(());
        };
        Err(format!(
            "`{}` starts with `{prefix}:`, which is not a provider prefix ({hint}); the \
             accepted prefixes are {PROVIDER_PREFIXES}, and an id without one goes to \
             Anthropic when it starts with `claude`, else to the OpenAI-compatible server",
            self.model
        ))
    }
}

/// What `prefix` (the text before the first `:` of a model id) was probably meant to be,
/// when it looks like a provider prefix rather than part of a model name.
fn prefix_hint(prefix: &str) -> Option<String> {
    if prefix.is_empty()
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
    {
        return None;
    }
    let norm: String = prefix
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if SERVER_NAMES.contains(&norm.as_str()) {
        return Some(format!(
            "`{prefix}` is an OpenAI-compatible server: write `openai:<model id>` and set OPENAI_BASE_URL"
        ));
    }
    for p in ProviderKind::ALL {
        let name = p.as_str();
        // One edit for the short name, two for the long one: `openlm` or `qwen` stay
        // model names, `opeani`, `antropic` and `anthorpic` are typos.
        let max = if name.len() >= 8 { 2 } else { 1 };
        if soc_core::text::edit_distance(&norm, name) <= max {
            return Some(format!("did you mean `{name}:`?"));
        }
    }
    None
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

/// How to reach the Anthropic Messages API (`Debug` shows the base URL redacted).
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("api_key", &self.api_key)
            .field("base_url", &redact_base_url(&self.base_url))
            .field("version", &self.version)
            .field("prompt_caching", &self.prompt_caching)
            .field("http", &self.http)
            .finish()
    }
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

/// How to reach an OpenAI-compatible Chat Completions server (`Debug` shows the base URL
/// redacted).
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("api_key", &self.api_key)
            .field("base_url", &redact_base_url(&self.base_url))
            .field("max_tokens_field", &self.max_tokens_field)
            .field("http", &self.http)
            .finish()
    }
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

    /// Why the configuration cannot serve its tiers (see the module documentation):
    /// a tier model with a misspelt provider prefix or no id, or a model someone named
    /// (anything but the tier's default) whose provider is not configured. The message
    /// names the setting and, for a missing provider, the variables that turn it on.
    ///
    /// # Errors
    ///
    /// [`LlmError::Config`] for the first problem found (tier 1 first).
    pub fn validate(&self) -> Result<(), LlmError> {
        let defaults = TierModels::default();
        for tier in [Tier::Cheap, Tier::Strong] {
            let m = self.tiers.get(tier);
            m.check()
                .map_err(|why| LlmError::Config(format!("{}: {why}", tier.setting())))?;
            if !self.has_provider(m.provider) && m != defaults.get(tier) {
                return Err(LlmError::Config(format!(
                    "{} is `{}:{}`, but the {} provider is not configured: {}",
                    tier.setting(),
                    m.provider.as_str(),
                    m.model,
                    m.provider.as_str(),
                    m.provider.env_hint()
                )));
            }
        }
        Ok(())
    }

    /// One line per provider and tier, for the start-up log and `config show` (no keys;
    /// base URLs as [`redact_base_url`] shows them).
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![
            match &self.anthropic {
                Some(c) => format!("anthropic: on ({})", redact_base_url(&c.base_url)),
                None => "anthropic: off (set ANTHROPIC_API_KEY to enable)".to_owned(),
            },
            match &self.openai {
                Some(c) => format!(
                    "openai: on ({}, {})",
                    redact_base_url(&c.base_url),
                    if c.api_key.is_some() {
                        "key set"
                    } else {
                        "no key"
                    }
                ),
                None => "openai: off (set OPENAI_API_KEY or OPENAI_BASE_URL to enable)".to_owned(),
            },
        ];
        let defaults = TierModels::default();
        for (name, tier) in [("cheap", Tier::Cheap), ("strong", Tier::Strong)] {
            let m = self.tiers.get(tier);
            let state = if m.check().is_err() {
                "invalid: see the configuration error"
            } else if self.has_provider(m.provider) {
                "on"
            } else if m == defaults.get(tier) {
                "off: provider not configured"
            } else {
                "invalid: provider not configured"
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

    #[test]
    fn base_url_credentials_and_query_never_print() {
        // The review's repro, word for word.
        let c = LlmConfig::from_env(&env(&[
            ("OPENAI_BASE_URL", "http://u:PW@127.0.0.1:1/v1?key=K"),
            ("ANTHROPIC_BASE_URL", "http://a:PW2@127.0.0.1:1/?k=K2"),
            ("ANTHROPIC_API_KEY", "x"),
        ]));
        let d = c.describe();
        assert_eq!(d[0], "anthropic: on (http://127.0.0.1:1/)");
        assert_eq!(d[1], "openai: on (http://127.0.0.1:1/v1, no key)");
        // Longer values, checked everywhere a config is shown.
        let c = LlmConfig::from_env(&env(&[
            (
                "OPENAI_BASE_URL",
                "https://proxyuser:pr0xy-PW-123@proxy.example:8443/v1?key=query-K-456#frag-secret",
            ),
            ("OPENAI_API_KEY", "sk-proj-secret-789"),
            ("ANTHROPIC_API_KEY", "sk-ant-secret-012"),
            (
                "ANTHROPIC_BASE_URL",
                "not a url proxyuser:pr0xy-PW-123@x?key=query-K-456",
            ),
        ]));
        let shown = [
            c.describe().join("\n"),
            format!("{c:?}"),
            format!("{:?}", c.openai.as_ref().unwrap()),
            format!("{:?}", c.anthropic.as_ref().unwrap()),
        ];
        for out in &shown {
            for s in [
                "proxyuser",
                "pr0xy-PW-123",
                "query-K-456",
                "frag-secret",
                "sk-proj-secret-789",
                "sk-ant-secret-012",
            ] {
                assert!(!out.contains(s), "{s} in {out}");
            }
        }
        assert!(
            shown[0].contains("openai: on (https://proxy.example:8443/v1, key set)"),
            "{}",
            shown[0]
        );
    }

    #[test]
    fn misspelt_provider_prefixes_are_refused_and_model_ids_with_colons_kept() {
        for spec in [
            "antropic:claude-haiku-4-5",
            "anthorpic:claude-haiku-4-5",
            "Anthropic:claude-haiku-4-5",
            "opeani:gpt-4o",
            "open-ai:gpt-4o",
            "OpenAI:gpt-4o",
            "ollama:llama3.1:8b",
            "vLLM:qwen2.5-7b",
        ] {
            let e = TierModel::try_parse(spec).unwrap_err().to_string();
            assert!(e.contains("`anthropic:` and `openai:`"), "{spec}: {e}");
            let cfg = LlmConfig {
                anthropic: Some(AnthropicConfig::new(Secret::new("k".to_owned()))),
                openai: Some(OpenAiConfig::new(None)),
                tiers: TierModels {
                    cheap: TierModel::parse(spec),
                    ..TierModels::default()
                },
                ..LlmConfig::default()
            };
            let e = cfg.validate().unwrap_err().to_string();
            assert!(e.contains("SOC_LLM__CHEAP_MODEL"), "{spec}: {e}");
            assert!(
                cfg.describe()[2].contains("invalid"),
                "{:?}",
                cfg.describe()
            );
        }
        for spec in [
            "openai:llama3.1:8b",
            "llama3.1:8b",
            "llama3:8b",
            "qwen2.5:7b-instruct",
            "deepseek-r1:14b",
            "openlm:7b",
            "phi3:mini",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
            "anthropic:claude-haiku-4-5",
            "claude-sonnet-4-5",
        ] {
            let m = TierModel::try_parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert!(!m.model.is_empty());
        }
        let e = TierModel::try_parse("openai: ").unwrap_err().to_string();
        assert!(e.contains("not followed by a model id"), "{e}");
        assert_eq!(soc_core::text::edit_distance("anthorpic", "anthropic"), 1);
        assert_eq!(soc_core::text::edit_distance("", "abc"), 3);
    }

    #[test]
    fn a_named_model_without_its_provider_is_a_configuration_error() {
        let c = LlmConfig::from_env(&env(&[
            ("ANTHROPIC_API_KEY", "x"),
            ("SOC_LLM__CHEAP_MODEL", "openai:gpt-4o"),
        ]));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("SOC_LLM__CHEAP_MODEL"), "{e}");
        assert!(
            e.contains("OPENAI_API_KEY") && e.contains("OPENAI_BASE_URL"),
            "{e}"
        );
        assert!(c.describe()[2].contains("invalid: provider not configured"));
        // The default models are simply off without Anthropic: a local strong model alone
        // is a documented set-up.
        let c = LlmConfig::from_env(&env(&[
            ("OPENAI_BASE_URL", "http://localhost:11434/v1"),
            ("SOC_LLM__STRONG_MODEL", "qwen2.5:7b-instruct"),
        ]));
        c.validate().unwrap();
        assert!(c.describe()[2].contains("off: provider not configured"));
        LlmConfig::default().validate().unwrap();
        // Naming the default explicitly (as the example TOML does) is the default.
        let c = LlmConfig::from_env(&env(&[
            ("OPENAI_API_KEY", "k"),
            ("SOC_LLM__CHEAP_MODEL", "openai:gpt-4o-mini"),
            ("SOC_LLM__STRONG_MODEL", "claude-sonnet-4-5"),
        ]));
        c.validate().unwrap();
        let c = LlmConfig::from_env(&env(&[("SOC_LLM__STRONG_MODEL", "llama3.1:8b")]));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("SOC_LLM__STRONG_MODEL"), "{e}");
    }

    #[test]
    fn redacting_a_base_url() {
        assert_eq!(
            redact_base_url("https://u:p@h.example:8443/a/b?k=v#f"),
            "https://h.example:8443/a/b"
        );
        assert_eq!(
            redact_base_url("https://api.anthropic.com"),
            "https://api.anthropic.com/"
        );
        let r = redact_base_url("not a url u:pw@x?key=K");
        assert!(!r.contains("pw") && !r.contains("key=K"), "{r}");
    }
}
