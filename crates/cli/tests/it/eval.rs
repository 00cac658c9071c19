//! `eval`: the harness scores invariants; on the shared corpora (when present) it also
//! checks this issue's acceptance figures.

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::{repo, run, stderr, stdout, write};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn eval_json(dir: &str, flag: &str, file: &str) -> Value {
    let out = run(&["eval", dir, flag, file, "--json"]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn per_alert<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["per_alert"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert_id"] == id)
        .unwrap_or_else(|| panic!("{id} not scored"))
}

#[test]
fn expectations_are_scored_per_invariant() {
    let examples = repo().join("examples/alerts");
    let r = eval_json(
        examples.to_str().unwrap(),
        "--expectations",
        fixtures()
            .join("examples-expectations.json")
            .to_str()
            .unwrap(),
    );
    assert_eq!(r["alerts"], 5);
    assert_eq!(r["scored"], 3);
    assert_eq!(r["unlabeled"].as_array().unwrap().len(), 2);
    let brute = per_alert(&r, "EX-0001");
    let failed: Vec<&Value> = brute["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    // The unrecognised DNS alert is expected (by this fixture) to be a true positive: the
    // harness must report that as a failed verdict, but not as confidently wrong.
    let dns = per_alert(&r, "EX-0004");
    assert_eq!(dns["verdict_correct"], false);
    assert_eq!(dns["confidently_wrong"], false);
    assert_eq!(r["confidently_wrong"], 0);
    assert!(r["invariants_passed"].as_u64().unwrap() < r["invariants_total"].as_u64().unwrap());
}

#[test]
fn labels_are_scored_and_benign_true_positive_wants_false_positive() {
    let examples = repo().join("examples/alerts");
    let r = eval_json(
        examples.to_str().unwrap(),
        "--labels",
        fixtures().join("examples-labels.json").to_str().unwrap(),
    );
    assert_eq!(r["scored"], 3);
    let scan = per_alert(&r, "EX-0005");
    assert_eq!(scan["expected"], "benign_true_positive");
    assert_eq!(
        scan["verdict_correct"], true,
        "the SIEM's enrichment explains the scheduled scan"
    );
    assert_eq!(per_alert(&r, "EX-0001")["verdict_correct"], true);
}

#[test]
fn the_table_has_totals_and_harness_errors_are_non_zero() {
    let examples = repo().join("examples/alerts");
    let out = run(&[
        "eval",
        examples.to_str().unwrap(),
        "--labels",
        fixtures().join("examples-labels.json").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("confidently wrong 0"),
        "{}",
        stdout(&out)
    );
    let out = run(&[
        "eval",
        "/nonexistent-dir",
        "--labels",
        fixtures().join("examples-labels.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "eval",
        examples.to_str().unwrap(),
        "--labels",
        "/nonexistent.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

/// The shared corpora, when this machine has them (they are not part of the repo).
fn shared() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("SOC_SHARED_DIR").map(PathBuf::from),
        Some(repo().join("../shared")),
        Some(PathBuf::from("/work/shared")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("data/alerts-dev").is_dir())
}

#[test]
fn reference_seed_alerts_pass_their_invariants() {
    let Some(shared) = shared() else {
        eprintln!(
            "skipped: no shared corpora (set SOC_SHARED_DIR); the reference sample alerts are not in the repo"
        );
        return;
    };
    let seed = shared.join("research/seed-data");
    let r = eval_json(
        seed.join("data/sample_alerts").to_str().unwrap(),
        "--expectations",
        seed.join("expectations.json").to_str().unwrap(),
    );
    assert_eq!(r["scored"], 21, "{}", r["unlabeled"]);
    assert_eq!(r["confidently_wrong"], 0, "{:#}", r["per_alert"]);
    for id in ["ALRT-2026-0419-001", "ALRT-2026-0419-002"] {
        let a = per_alert(&r, id);
        let failed: Vec<&Value> = a["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["passed"] == false && c["name"] != "min_sigma_matches")
            .collect();
        assert!(failed.is_empty(), "{id}: {failed:#?}");
    }
}

#[test]
fn dev_set_has_no_confidently_wrong_verdict() {
    let Some(shared) = shared() else {
        eprintln!(
            "skipped: no shared corpora (set SOC_SHARED_DIR); the dev set is not in the repo"
        );
        return;
    };
    let dev = shared.join("data/alerts-dev");
    let r = eval_json(
        dev.to_str().unwrap(),
        "--labels",
        dev.join("labels.json").to_str().unwrap(),
    );
    assert_eq!(r["scored"], 36);
    assert!(
        r["errors"].as_array().unwrap().is_empty(),
        "{}",
        r["errors"]
    );
    assert_eq!(r["confidently_wrong"], 0, "{:#}", r["per_alert"]);
}

#[test]
fn an_empty_directory_and_a_missing_reference_are_errors_that_say_so() {
    let labels = fixtures().join("examples-labels.json");
    let labels = labels.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "README.md", b"no alerts here");
    let out = run(&["eval", tmp.path().to_str().unwrap(), "--labels", labels]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&tmp.path().display().to_string())
            && err.contains("*.json, *.ndjson, *.jsonl"),
        "{err}"
    );
    // The labels file alone in the directory is not an alert file either.
    let only = write(tmp.path(), "labels.json", b"{}");
    let out = run(&[
        "eval",
        tmp.path().to_str().unwrap(),
        "--labels",
        only.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no alert files"), "{}", stderr(&out));

    let out = run(&["eval", repo().join("examples/alerts").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("one of --expectations <FILE> or --labels <FILE> is required"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn labels_that_match_no_alert_are_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let labels = write(
        tmp.path(),
        "labels.json",
        br#"{
            "EX-0001": {"verdict": "true_positive", "attack_technique_families": ["T1110"], "must_escalate": true},
            "NOT-IN-DIR-1": {"verdict": "false_positive", "attack_technique_families": [], "must_escalate": false}
        }"#,
    );
    let out = run(&[
        "eval",
        repo().join("examples/alerts").to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
        "--json",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("label `NOT-IN-DIR-1` matched no alert")),
        "{err}"
    );
    assert!(
        warnings.iter().any(|l| l.contains("1 of 2 labels")),
        "{err}"
    );
    assert!(
        !err.contains("EX-0001"),
        "a matched label is not reported: {err}"
    );
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["scored"], 1);
}
