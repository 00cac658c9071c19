//! What `--help` shows: each fleet subcommand lists only the flags it uses, and no help
//! ever prints a secret taken from the environment.

use std::collections::BTreeSet;
use std::process::Command;

/// In every secret below; must appear in no help text.
const SECRET: &str = "pw-s3cret";

/// Secret-bearing variables a deployment sets, whether or not a flag reads them today.
fn secret_env() -> Vec<(&'static str, String)> {
    vec![
        ("NATS_URL", format!("nats://alice:{SECRET}@127.0.0.1:4222")),
        (
            "SOC_NATS__URL",
            format!("nats://bob:{SECRET}@127.0.0.1:4222"),
        ),
        ("REDIS_URL", format!("redis://:{SECRET}@127.0.0.1:6379/0")),
        (
            "SOC_REDIS__URL",
            format!("redis://:{SECRET}@127.0.0.1:6379/1"),
        ),
        (
            "SOC_INGEST_TOKEN",
            format!("{SECRET}-ingest-token-0123456789"),
        ),
        ("ANTHROPIC_API_KEY", format!("sk-ant-{SECRET}")),
        (
            "ANTHROPIC_BASE_URL",
            format!("https://u:{SECRET}@llm.example"),
        ),
        ("OPENAI_API_KEY", format!("sk-{SECRET}")),
        (
            "OPENAI_BASE_URL",
            format!("https://u:{SECRET}@llm.example/v1"),
        ),
        ("ABUSEIPDB_API_KEY", format!("abuse-{SECRET}")),
        ("VIRUSTOTAL_API_KEY", format!("vt-{SECRET}")),
        ("URLSCAN_API_KEY", format!("us-{SECRET}")),
    ]
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_soc-copilot"))
        .args(args)
        .envs(secret_env())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The subcommands a help text lists under `Commands:` (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The long flags a help text lists (`-f, --follow` gives `--follow`).
fn flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .filter(|l| l.starts_with("  -") || l.starts_with("      --"))
        .filter_map(|l| {
            l.split_whitespace()
                .find(|t| t.starts_with("--"))
                .map(|t| t.trim_end_matches(',').to_owned())
        })
        .collect()
}

#[test]
fn no_help_prints_a_secret_from_the_environment() {
    // Every subcommand, found from the help itself so new ones are covered too.
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        for form in ["--help", "-h"] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(form);
            let text = help(&args);
            assert!(!text.contains(SECRET), "`{}`:\n{text}", args.join(" "));
            if form == "--help" {
                for sub in subcommands(&text) {
                    let mut p = path.clone();
                    p.push(sub);
                    todo.push(p);
                }
            }
        }
        seen += 1;
    }
    assert!(seen >= 15, "only {seen} help texts found");
    // The variables are still named, so they can be found.
    let serve = help(&["serve", "--help"]);
    assert!(serve.contains("[env: NATS_URL]"), "{serve}");
    assert!(serve.contains("[env: REDIS_URL]"), "{serve}");
}

#[test]
fn each_fleet_subcommand_lists_only_the_flags_it_uses() {
    let global = ["--help", "--version", "--quiet", "--log-format"];
    let nats = ["--config", "--nats-url"];
    let fleet = [&nats[..], &["--redis-url"]].concat();
    let role = [&fleet[..], &["--metrics-listen"]].concat();
    let ingest = ["--listen"];
    let worker = [
        "--concurrency",
        "--graceful-shutdown-secs",
        "--rules",
        "--strict",
    ];
    let cases: [(&str, Vec<&str>); 5] = [
        ("serve", [&role[..], &ingest, &worker].concat()),
        ("ingest", [&role[..], &ingest].concat()),
        ("worker", [&role[..], &worker].concat()),
        ("setup", fleet.clone()),
        (
            "tail",
            [&nats[..], &["--follow", "--new", "--pretty"]].concat(),
        ),
    ];
    for (sub, expected) in cases {
        let expected: BTreeSet<String> = expected
            .iter()
            .chain(&global)
            .map(|f| (*f).to_owned())
            .collect();
        assert_eq!(flags(&help(&[sub, "--help"])), expected, "`{sub} --help`");
    }
}

#[test]
fn help_names_the_other_forms_of_each_setting() {
    let text = help(&["serve", "--help"]);
    for expect in [
        "comma-separated",
        "SOC_NATS__URL",
        "SOC_REDIS__URL",
        "SOC_WORKER__CONCURRENCY",
        "SOC_WORKER__SHUTDOWN_GRACE",
        "SOC_GRACEFUL_SHUTDOWN_SECS",
        "SOC_WORKER_CONCURRENCY",
    ] {
        assert!(text.contains(expect), "`{expect}` missing:\n{text}");
    }
}

#[test]
fn help_names_the_variables_read_and_the_exit_codes() {
    for sub in [&["investigate"][..], &["eval"]] {
        let mut args = sub.to_vec();
        args.push("--help");
        let text = help(&args);
        for expect in [
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "ABUSEIPDB_API_KEY",
            "VIRUSTOTAL_API_KEY",
            "URLSCAN_API_KEY",
            "SOC_LLM__CHEAP_MODEL",
            "Exit status",
        ] {
            assert!(
                text.contains(expect),
                "`{sub:?} --help`: `{expect}` missing:\n{text}"
            );
        }
    }
    for sub in [
        &["rules", "test"][..],
        &["rules", "bench"],
        &["intel", "lookup"],
    ] {
        let mut args = sub.to_vec();
        args.push("--help");
        let text = help(&args);
        assert!(text.contains("Exit status"), "`{sub:?} --help`:\n{text}");
    }
    let text = help(&["eval", "--help"]);
    assert!(
        text.contains("One of --expectations or --labels is required"),
        "{text}"
    );
}
