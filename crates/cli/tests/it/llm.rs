//! The LLM configuration is checked at start, whatever the mode: a misspelt provider
//! prefix, a mode that forces a tier without a model and a prompts directory that does
//! not exist stop `investigate` with exit 1 before any alert is read, naming the setting.
//! No model is ever called here: every provider URL points at a closed port.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::helpers::{example, stderr, stdout};

/// Every variable the LLM tiers read: none of the caller's may leak into these tests.
const LLM_VARIABLES: [&str; 10] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "SOC_LLM__MODE",
    "SOC_LLM__CHEAP_MODEL",
    "SOC_LLM__STRONG_MODEL",
    "SOC_LLM__MAX_ITERATIONS",
    "SOC_PROMPTS",
    "SOC_CONFIG",
];

/// `investigate --no-history <args> ssh-brute-force.json` with only `env` for the LLM.
fn investigate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let alert = example("ssh-brute-force.json");
    let mut c = Command::new(env!("CARGO_BIN_EXE_soc-copilot"));
    c.arg("investigate")
        .arg("--no-history")
        .args(args)
        .arg(alert)
        .env_remove("RUST_LOG");
    for v in LLM_VARIABLES {
        c.env_remove(v);
    }
    c.envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Asserts a start-up failure: exit 1, nothing on stdout, one error line; returns it.
fn failed_at_start(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
    assert_eq!(err.trim_end().lines().count(), 1, "one error line:\n{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn without_any_llm_setting_tier_0_answers() {
    let out = investigate(&[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(v["verdict"], "true_positive");
    // Named modes that need no model, and the documented local set-up (the strong tier on
    // an OpenAI-compatible server, the cheap one left at its Anthropic default, off).
    let out = investigate(&["--mode", "triage"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = investigate(
        &["--mode", "triage"],
        &[
            ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
            ("SOC_LLM__STRONG_MODEL", "qwen2.5:7b-instruct"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_misspelt_provider_prefix_stops_even_triage_mode() {
    for args in [&["--mode", "triage"][..], &[][..]] {
        let out = investigate(
            args,
            &[
                ("ANTHROPIC_API_KEY", "sk-ant-test-s3cret"),
                ("SOC_LLM__CHEAP_MODEL", "antropic:claude-haiku-4-5"),
            ],
        );
        let err = failed_at_start(&out);
        assert!(
            err.starts_with("error: LLM configuration: `SOC_LLM__CHEAP_MODEL`"),
            "{args:?}: {err}"
        );
        assert!(err.contains("antropic:"), "{args:?}: {err}");
        assert!(err.contains("did you mean `anthropic:`"), "{args:?}: {err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
    // A model named for a provider that is not configured is refused the same way.
    let out = investigate(
        &["--mode", "triage"],
        &[("SOC_LLM__STRONG_MODEL", "openai:gpt-4o")],
    );
    let err = failed_at_start(&out);
    assert!(
        err.contains("SOC_LLM__STRONG_MODEL") && err.contains("OPENAI_API_KEY"),
        "{err}"
    );
}

#[test]
fn a_forced_tier_without_a_model_stops_at_start() {
    // Only the strong tier has a provider: `pipeline` would run tier 1, which has none.
    let out = investigate(
        &["--mode", "pipeline"],
        &[
            ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
            ("SOC_LLM__STRONG_MODEL", "openai:qwen2.5:7b-instruct"),
        ],
    );
    let err = failed_at_start(&out);
    assert!(
        err.contains("mode `pipeline`") && err.contains("tier 1"),
        "{err}"
    );
    assert!(err.contains("SOC_LLM__CHEAP_MODEL"), "{err}");
    // Only the cheap tier: `agentic` would run tier 2. The mode from its variable.
    let out = investigate(
        &[],
        &[
            ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
            ("SOC_LLM__CHEAP_MODEL", "openai:llama3.1:8b"),
            ("SOC_LLM__MODE", "agentic"),
        ],
    );
    let err = failed_at_start(&out);
    assert!(
        err.contains("mode `agentic`") && err.contains("tier 2"),
        "{err}"
    );
    assert!(err.contains("SOC_LLM__STRONG_MODEL"), "{err}");
    // No provider at all: how to turn one on.
    let out = investigate(&["--mode", "pipeline"], &[]);
    let err = failed_at_start(&out);
    assert!(err.contains("ANTHROPIC_API_KEY"), "{err}");
}

#[test]
fn a_missing_prompts_directory_stops_even_triage_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-prompts");
    let shown = missing.display().to_string();
    let out = investigate(&["--mode", "triage", "--prompts", &shown], &[]);
    let err = failed_at_start(&out);
    assert!(err.contains(&format!("`{shown}` does not exist")), "{err}");
    assert!(err.contains("--prompts"), "{err}");
    // From SOC_PROMPTS, with no provider configured (tier 0 would answer).
    let out = investigate(&[], &[("SOC_PROMPTS", shown.as_str())]);
    let err = failed_at_start(&out);
    assert!(err.contains(&shown), "{err}");
    // A file is not a directory.
    let file = crate::helpers::write(tmp.path(), "pipeline.md", b"x");
    let out = investigate(
        &["--mode", "triage", "--prompts", file.to_str().unwrap()],
        &[],
    );
    let err = failed_at_start(&out);
    assert!(err.contains("is not a directory"), "{err}");
    // An existing directory is used.
    let out = investigate(
        &[
            "--mode",
            "triage",
            "--prompts",
            tmp.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A worker checks its models before it connects: with NATS unreachable (a closed port)
/// and a misspelt model, it stops with the configuration error instead of retrying the
/// connection forever.
#[test]
fn a_worker_checks_its_models_before_connecting() {
    let mut c = Command::new(env!("CARGO_BIN_EXE_soc-copilot"));
    c.args([
        "worker",
        "--nats-url",
        "nats://127.0.0.1:1",
        "--redis-url",
        "redis://127.0.0.1:1/0",
        "--metrics-listen",
        "none",
    ])
    .env_remove("RUST_LOG");
    for v in LLM_VARIABLES {
        c.env_remove(v);
    }
    let mut child = c
        .envs([
            ("ANTHROPIC_API_KEY", "sk-ant-not-a-real-key"),
            ("SOC_LLM__CHEAP_MODEL", "antropic:claude-haiku-4-5"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Only a guard against the old behaviour (retrying NATS until killed).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the worker kept running with a misspelt model");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("SOC_LLM__CHEAP_MODEL"), "{err}");
    assert!(!err.contains("sk-ant-not-a-real-key"), "{err}");
}
