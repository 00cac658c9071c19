//! `rules check | test | bench` and Sigma matches in investigations.

use crate::helpers::{example, repo, run, stderr, stdout, write};

#[test]
fn the_projects_rules_all_load() {
    let out = run(&[
        "rules",
        "check",
        repo().join("rules/sigma").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("rules: total=") && first.ends_with("skipped=0 errors=0"),
        "{text}"
    );
}

#[test]
fn bad_rules_are_skipped_with_a_reason_or_fail_strict() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "ok.yml", b"title: ok\nid: 11111111-1111-4111-8111-111111111111\nlogsource: {product: windows}\ndetection:\n  sel: {Image|endswith: '\\\\x.exe'}\n  condition: sel\n");
    write(tmp.path(), "agg.yml", b"title: agg\nid: 22222222-2222-4222-8222-222222222222\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 4625}\n  condition: sel | count() by IpAddress > 10\n");
    write(tmp.path(), "broken.yml", b"title: [unclosed\n");
    let out = run(&["rules", "check", tmp.path().to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v["total"].as_u64().unwrap(),
        v["loaded"].as_u64().unwrap()
            + v["skipped"].as_u64().unwrap()
            + v["errors"].as_u64().unwrap(),
        "{v}"
    );
    assert_eq!(v["loaded"], 1);
    assert!(
        v["skipped"].as_u64().unwrap() + v["errors"].as_u64().unwrap() >= 2,
        "{v}"
    );
    let out = run(&["rules", "check", tmp.path().to_str().unwrap(), "--strict"]);
    assert_eq!(out.status.code(), Some(1));
    // The other commands refuse to start with --strict and a bad rule.
    let out = run(&[
        "investigate",
        "--rules",
        tmp.path().to_str().unwrap(),
        "--strict",
        example("ssh-brute-force.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--strict"), "{}", stderr(&out));
}

#[test]
fn investigations_carry_sigma_matches_with_their_author_and_evidence() {
    let out = run(&[
        "investigate",
        example("mail-attachment-execution.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let m = v["sigma_matches"].as_array().unwrap();
    assert!(
        !m.is_empty(),
        "the project's Outlook-attachment rule matches"
    );
    assert!(
        m.iter().all(|x| x["author"].is_string()),
        "DRL attribution: every match names its author"
    );
    let ev = v["evidence"].as_array().unwrap();
    assert!(
        ev.iter()
            .any(|e| e["source_tool"] == "sigma" && e["claim"].as_str().unwrap().contains(" = ")),
        "the field that fired is named"
    );
}

#[test]
fn the_sigma_corpus_and_regression_samples_when_present() {
    let shared = std::env::var_os("SOC_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    let sigma = [
        shared.join("data/sigma"),
        std::path::PathBuf::from("/work/shared/data/sigma"),
    ]
    .into_iter()
    .find(|p| p.is_dir());
    let Some(sigma) = sigma else {
        eprintln!("skipped: the SigmaHQ corpus is not on this machine (set SOC_SHARED_DIR)");
        return;
    };
    let out = run(&["rules", "check", sigma.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let (total, loaded) = (v["total"].as_f64().unwrap(), v["loaded"].as_f64().unwrap());
    assert!(loaded / total >= 0.99, "loaded {loaded} of {total}");
    let out = run(&[
        "rules",
        "test",
        sigma.to_str().unwrap(),
        "--samples",
        sigma.join("regression_data").to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let (samples, passed) = (
        v["samples"].as_f64().unwrap(),
        v["passed"].as_f64().unwrap(),
    );
    assert!(
        passed / samples >= 0.98,
        "{passed} of {samples}: {}",
        v["misses"]
    );
}
