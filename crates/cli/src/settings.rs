//! The configuration as each command needs it, with errors that name what the operator
//! set: the environment variable (`SOC_REDIS__COMMAND_TIMEOUT`) when the value came from
//! one, else the configuration key (`redis.command_timeout`) and the file.

use std::collections::HashMap;
use std::path::Path;

use soc_core::config::{ConfigError, LlmSettings, RawConfig};

/// The environment variables that can set `field` (a [`ConfigError::Invalid`] field), in
/// the order the configuration reads them (the first one set wins).
fn variables(field: &str) -> Vec<String> {
    let fixed = soc_core::config::env_aliases(field);
    if !fixed.is_empty() {
        return fixed.iter().map(|v| (*v).to_owned()).collect();
    }
    // Already a variable's name (the configuration names some variables itself), or not
    // a `section.key` field.
    if field.starts_with("SOC_") || !field.contains('.') {
        return Vec::new();
    }
    vec![format!(
        "SOC_{}",
        field.replace('.', "__").to_ascii_uppercase()
    )]
}

/// The variable that set `field`, when one did (set and not blank, as the configuration
/// reads them).
fn variable_for(field: &str, env: &HashMap<String, String>) -> Option<String> {
    variables(field)
        .into_iter()
        .find(|v| env.get(v).is_some_and(|value| !value.trim().is_empty()))
}

/// `e` in the operator's terms: an invalid value names the variable it came from (and
/// the key), or the key and the file.
pub(crate) fn explain(
    e: ConfigError,
    env: &HashMap<String, String>,
    file: Option<&Path>,
) -> anyhow::Error {
    match e {
        ConfigError::Invalid { field, reason } => match variable_for(&field, env) {
            Some(var) => anyhow::anyhow!("invalid `{var}` (`{field}`): {reason}"),
            None => match file {
                Some(path) => {
                    anyhow::anyhow!("invalid `{field}` in `{}`: {reason}", path.display())
                }
                None => anyhow::anyhow!("invalid `{field}`: {reason}"),
            },
        },
        other => anyhow::Error::new(other),
    }
}

/// Whether `name` is a variable of the `[llm]` section (or the prompts directory).
fn is_llm_variable(name: &str) -> bool {
    name.starts_with("SOC_LLM__") || soc_core::config::env_aliases("llm.prompts").contains(&name)
}

/// The `[llm]` settings from the environment, for the commands that investigate without
/// the fleet (`investigate`, `eval`): only the LLM variables are read, so a fleet setting
/// (`SOC_WORKER__CONCURRENCY`, `SOC_REDIS__URL`, ...) that those commands do not use
/// cannot stop them.
pub(crate) fn llm_from_env(env: &HashMap<String, String>) -> anyhow::Result<LlmSettings> {
    let llm_env: HashMap<String, String> = env
        .iter()
        .filter(|(k, _)| is_llm_variable(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    RawConfig::default()
        .build_and_validate(&llm_env)
        .map(|c| c.llm)
        .map_err(|e| explain(e, &llm_env, None))
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
    fn fleet_variables_do_not_stop_the_llm_settings() {
        let e = env(&[
            ("SOC_WORKER__CONCURRENCY", "abc"),
            ("SOC_REDIS__COMMAND_TIMEOUT", "abc"),
            ("SOC_NATS__URL", "http://nope"),
            ("SOC_LLM__CHEAP_MODEL", "claude-haiku-4-5"),
        ]);
        let llm = llm_from_env(&e).unwrap();
        assert_eq!(llm.cheap_model.as_deref(), Some("claude-haiku-4-5"));
    }

    #[test]
    fn an_invalid_variable_is_named() {
        let e = env(&[("SOC_LLM__MAX_ITERATIONS", "abc")]);
        let msg = llm_from_env(&e).unwrap_err().to_string();
        assert!(
            msg.starts_with("invalid `SOC_LLM__MAX_ITERATIONS` (`llm.max_iterations`): "),
            "{msg}"
        );
        let e = env(&[("SOC_LLM__MODE", "sometimes")]);
        let msg = llm_from_env(&e).unwrap_err().to_string();
        assert!(msg.contains("`SOC_LLM__MODE`"), "{msg}");

        let e = env(&[("SOC_REDIS__COMMAND_TIMEOUT", "abc")]);
        let err = RawConfig::default().build_and_validate(&e).unwrap_err();
        let msg = explain(err, &e, None).to_string();
        assert!(
            msg.starts_with("invalid `SOC_REDIS__COMMAND_TIMEOUT` (`redis.command_timeout`): "),
            "{msg}"
        );
        // The plain form of a URL variable; the URL's credentials stay hidden.
        let e = env(&[("REDIS_URL", "http://u:s3cret@r:6379")]);
        let err = RawConfig::default().build_and_validate(&e).unwrap_err();
        let msg = explain(err, &e, None).to_string();
        assert!(
            msg.starts_with("invalid `REDIS_URL` (`redis.url`)"),
            "{msg}"
        );
        assert!(!msg.contains("s3cret"), "{msg}");
        // The second name of a setting.
        let e = env(&[("SOC_GRACEFUL_SHUTDOWN_SECS", "soon")]);
        let err = RawConfig::default().build_and_validate(&e).unwrap_err();
        let msg = explain(err, &e, None).to_string();
        assert!(msg.contains("`SOC_GRACEFUL_SHUTDOWN_SECS`"), "{msg}");
    }

    #[test]
    fn a_value_from_the_file_names_the_key_and_the_file() {
        let raw = RawConfig::from_toml("[redis]\ncommand_timeout = \"abc\"\n").unwrap();
        let err = raw.build_and_validate(&HashMap::new()).unwrap_err();
        let msg = explain(err, &HashMap::new(), Some(Path::new("soc.toml"))).to_string();
        assert!(
            msg.starts_with("invalid `redis.command_timeout` in `soc.toml`: "),
            "{msg}"
        );
    }
}
