//! The LLM tiers from the environment, the `[llm]` config section and the command line.

use anyhow::Context as _;
use soc_core::config::LlmSettings;
use soc_investigate::prompt::Prompts;
use soc_investigate::tiers::{LlmTiers, Mode, Thresholds};
use soc_llm::{LlmConfig, TierModel};
use tracing::info;

/// The tiers `settings` describe, with providers and keys from `env`; `None` when no
/// provider is configured (tier 0 then stands) or the mode is `triage`.
///
/// Whatever the mode, the configuration is checked first: a misspelt provider prefix, a
/// named model whose provider is not configured and a prompts directory that cannot be
/// used stop the run at start, as does a mode that forces a tier without a model
/// (`pipeline` without the cheap tier, `agentic` without the strong one).
pub(crate) fn tiers(
    settings: &LlmSettings,
    env: &std::collections::HashMap<String, String>,
) -> anyhow::Result<Option<LlmTiers>> {
    let mode = Mode::parse(&settings.mode)
        .with_context(|| format!("unknown LLM mode `{}`", settings.mode))?;
    let mut cfg = LlmConfig::from_env(env);
    if let Some(m) = &settings.cheap_model {
        cfg.tiers.cheap = TierModel::parse(m);
    }
    if let Some(m) = &settings.strong_model {
        cfg.tiers.strong = TierModel::parse(m);
    }
    // Its error starts `LLM configuration:` and names the setting.
    cfg.validate()?;
    let prompts = match &settings.prompts {
        // The error names the path; the context names where it was set.
        Some(dir) => Prompts::from_dir(dir).context("LLM prompts (--prompts / SOC_PROMPTS)")?,
        None => Prompts::default(),
    };
    for line in cfg.describe() {
        info!(llm = %line, "LLM");
    }
    if mode == Mode::Triage {
        info!("LLM mode triage: tier 0 only, no model is called");
        return Ok(None);
    }
    let clients = soc_llm::build_tier_clients(&cfg).context("LLM client set-up")?;
    if clients.cheap.is_none() && clients.strong.is_none() {
        if mode == Mode::Auto {
            return Ok(None);
        }
        // No provider at all: say how to turn one on. (With a provider configured but
        // neither tier's model on it, the check below names the tier and its setting.)
        if cfg.anthropic.is_none() && cfg.openai.is_none() {
            anyhow::bail!(
                "--mode {} needs a model: set ANTHROPIC_API_KEY, or OPENAI_API_KEY / OPENAI_BASE_URL",
                mode.as_str()
            );
        }
    }
    let mut t = LlmTiers::new(clients);
    t.mode = mode;
    t.check()?;
    t.prompts = prompts;
    t.thresholds = Thresholds {
        tier0_stands_at: settings.tier0_stands_at,
        write_up_every_escalation: settings.write_up_every_escalation,
    };
    t.limits.max_iterations = settings.max_iterations;
    Ok(Some(t))
}
