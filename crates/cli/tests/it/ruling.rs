//! `soc-copilot ruling`: usage errors (exit 2), unknown and pending investigations (exit
//! 1), and a ruling recorded, repeated and shown, against a spawned redis-server.

use std::process::{Command, Output};

use chrono::Utc;
use serde_json::{Value, json};
use soc_core::{Investigation, Severity, Verdict};
use soc_history::{HistorySettings, HistoryStore, RedisHistory, Subject};
use soc_testkit::RedisServer;

use crate::helpers::{stderr, stdout};

/// Runs `soc-copilot` with only the given Redis settings in the environment.
fn run(redis: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_soc-copilot"));
    c.args(args)
        .env_remove("RUST_LOG")
        .env_remove("SOC_ANALYST")
        .env_remove("SOC_CONFIG")
        .env_remove("REDIS_URL")
        .env_remove("SOC_REDIS__KEY_PREFIX");
    if let Some((url, prefix)) = redis {
        c.env("REDIS_URL", url).env("SOC_REDIS__KEY_PREFIX", prefix);
    }
    c.output().expect("the binary runs")
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn usage_errors_exit_2_and_say_why() {
    let long = "x".repeat(2001);
    let cases: [(&[&str], &str); 8] = [
        (&["ruling"], "INVESTIGATION_ID"),
        (
            &["ruling", "inv-1", "--verdict", "maybe", "--analyst", "a"],
            "possible values: true_positive, false_positive, inconclusive",
        ),
        (
            &["ruling", "inv-1", "--verdict", "true_positive"],
            "--analyst",
        ),
        (
            &[
                "ruling",
                "inv-1",
                "--verdict",
                "true_positive",
                "--analyst",
                "a",
                "--summary",
                &long,
            ],
            "is 2001 bytes, over the limit of 2000",
        ),
        (
            &[
                "ruling",
                "inv-1",
                "--verdict",
                "true_positive",
                "--analyst",
                "a\nb",
            ],
            "must be one line",
        ),
        (
            &["ruling", "not an id", "--show"],
            "is not an investigation id",
        ),
        (
            &["ruling", "inv-1", "--summary", "why", "--analyst", "a"],
            "--verdict",
        ),
        (
            &[
                "ruling",
                "inv-1",
                "--verdict",
                "true_positive",
                "--analyst",
                "a",
                "--show",
            ],
            "cannot be used with",
        ),
    ];
    for (args, expect) in cases {
        let o = run(None, args);
        let err = stderr(&o);
        assert_eq!(code(&o), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(expect),
            "{args:?}: expected `{expect}` in: {err}"
        );
        // An over-long value is not echoed back.
        assert!(err.len() < 1500, "{args:?}: {err}");
    }
    let o = run(None, &["ruling", "--help"]);
    assert_eq!(code(&o), Some(0));
    let help = stdout(&o);
    for expect in [
        "--verdict",
        "--summary",
        "--analyst",
        "--show",
        "--redis-url",
        "false_positive",
        "Exit status",
    ] {
        assert!(
            help.contains(expect),
            "`{expect}` missing from help:\n{help}"
        );
    }
}

/// A completed investigation stored as the fleet's pipeline records it.
pub(crate) async fn recorded(history: &RedisHistory, tag: &str, complete: bool) -> String {
    let s = Subject {
        investigation_id: format!("inv-{}", soc_testkit::unique_name(tag)),
        alert_id: format!("alert-{tag}"),
        timestamp: Utc::now(),
        title: format!("Test alert {tag}"),
        source: "siem".into(),
        severity: Severity::Medium,
        hosts: vec!["ws-1.corp.internal".into()],
        indicators: vec!["ipv4:198.51.100.9".into()],
        techniques: Vec::new(),
    };
    history.begin(&s).await.unwrap();
    if complete {
        let inv: Investigation = serde_json::from_value(json!({
            "schema_version": "1",
            "investigation_id": s.investigation_id,
            "alert_id": s.alert_id,
            "alert_fingerprint": format!("fp-{tag}"),
            "created_at": Utc::now().to_rfc3339(),
            "verdict": "inconclusive",
            "confidence": "low",
            "hypothesis": "test",
            "attack_techniques": [],
            "escalation_recommended": true,
            "evidence": [],
            "injection_flags": [],
        }))
        .unwrap();
        history.record(&s, &inv).await.unwrap();
    }
    s.investigation_id
}

#[tokio::test]
async fn unknown_and_pending_investigations_exit_1() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let url = redis.url();
    let env = Some((url.as_str(), prefix.as_str()));
    let unknown = "0190f5c2-7a4e-7cc1-9b8e-3f1d2a4b5c6d";
    for args in [
        &[
            "ruling",
            unknown,
            "--verdict",
            "false_positive",
            "--analyst",
            "alice",
        ][..],
        &["ruling", unknown],
    ] {
        let o = run(env, args);
        let err = stderr(&o);
        assert_eq!(code(&o), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("no investigation `{unknown}`")) && err.contains(&prefix),
            "{err}"
        );
    }

    let history =
        RedisHistory::connect_lazy(&url, prefix.clone(), HistorySettings::default()).unwrap();
    let pending = recorded(&history, "pending", false).await;
    let o = run(
        env,
        &[
            "ruling",
            &pending,
            "--verdict",
            "true_positive",
            "--analyst",
            "alice",
        ],
    );
    assert_eq!(code(&o), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("still in progress"), "{}", stderr(&o));
    assert!(history.ruling(&pending).await.unwrap().is_none());

    // Redis not reachable: exit 1 with a hint, not a hang; said once, in one line,
    // without the client's internal operation name.
    let o = run(
        Some(("redis://127.0.0.1:1/", prefix.as_str())),
        &["ruling", unknown],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot reach Redis at `redis://127.0.0.1:1/`"),
        "{err}"
    );
    assert!(
        err.contains("--redis-url") && err.contains("reachable"),
        "{err}"
    );
    assert!(
        !err.contains("`summary`") && !err.contains("ERROR"),
        "{err}"
    );

    // Credentials refused (no such ACL user: WRONGPASS): a hint about the credentials,
    // none shown.
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let wrong = format!("redis://nobody:pw-s3cret@127.0.0.1:{port}/");
    let o = run(
        Some((wrong.as_str(), prefix.as_str())),
        &["ruling", unknown],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(!err.contains("reachable"), "{err}");
    assert!(
        !err.contains("pw-s3cret") && !err.contains("`summary`"),
        "{err}"
    );
}

#[test]
fn an_invalid_setting_names_its_variable() {
    let o = Command::new(env!("CARGO_BIN_EXE_soc-copilot"))
        .args(["ruling", "0190f5c2-7a4e-7cc1-9b8e-3f1d2a4b5c6d"])
        .env_remove("RUST_LOG")
        .env_remove("SOC_CONFIG")
        .env("REDIS_URL", "redis://127.0.0.1:1/")
        .env("SOC_REDIS__COMMAND_TIMEOUT", "abc")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), Some(1), "{err}");
    assert!(
        err.contains("invalid `SOC_REDIS__COMMAND_TIMEOUT` (`redis.command_timeout`)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_ruling_is_recorded_repeated_and_shown() {
    let redis = RedisServer::start().await.unwrap();
    let prefix = soc_testkit::unique_prefix();
    let url = redis.url();
    let env = Some((url.as_str(), prefix.as_str()));
    let history =
        RedisHistory::connect_lazy(&url, prefix.clone(), HistorySettings::default()).unwrap();
    let id = recorded(&history, "done", true).await;

    // Nothing to show yet: exit 0, "none".
    let o = run(env, &["ruling", &id]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("alert-done") && text.contains("inconclusive") && text.contains("none"),
        "{text}"
    );

    let record = [
        "ruling",
        &id,
        "--verdict",
        "false_positive",
        "--summary",
        "Patch window\nCHG-2211",
        "--analyst",
        "alice",
    ];
    let o = run(env, &record);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Ruling recorded."), "{}", stdout(&o));
    let stored = history.ruling(&id).await.unwrap().unwrap();
    assert_eq!(stored.verdict, Verdict::FalsePositive);
    assert_eq!(stored.summary, "Patch window\nCHG-2211");
    assert_eq!(stored.analyst, "alice");

    // The same again changes nothing.
    let o = run(env, &record);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("unchanged"), "{}", stdout(&o));
    assert_eq!(
        history.ruling(&id).await.unwrap().unwrap().recorded_at,
        stored.recorded_at
    );

    // Shown as text and as the API's JSON.
    let o = run(env, &["ruling", &id, "--show"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("false_positive by alice") && text.contains("CHG-2211"),
        "{text}"
    );
    let o = run(env, &["ruling", &id, "--json"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["investigation_id"], id.as_str());
    assert_eq!(v["alert_id"], "alert-done");
    assert_eq!(v["copilot_verdict"], "inconclusive");
    assert_eq!(v["ruling"]["verdict"], "false_positive");

    // A different verdict replaces it.
    let o = run(
        env,
        &[
            "ruling",
            &id,
            "--verdict",
            "true_positive",
            "--analyst",
            "bob",
            "--json",
        ],
    );
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["outcome"], "replaced");
    assert_eq!(
        history.ruling(&id).await.unwrap().unwrap().verdict,
        Verdict::TruePositive
    );
}
