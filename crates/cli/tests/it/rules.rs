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

/// A rule without `detection` and a file that is not UTF-8: rules that fail to load.
fn broken_rules(dir: &std::path::Path) {
    write(
        dir,
        "no-detection.yml",
        b"title: no detection\nid: 33333333-3333-4333-8333-333333333333\nlogsource: {product: windows}\n",
    );
    write(dir, "latin.yml", b"title: caf\xe9 \xff\n");
}

const GOOD_RULE: &[u8] = b"title: ok\nid: 11111111-1111-4111-8111-111111111111\nlogsource: {product: windows}\ndetection:\n  sel: {Image|endswith: '\\\\x.exe'}\n  condition: sel\n";

#[test]
fn rules_that_fail_to_load_are_named_and_a_directory_without_rules_is_an_error() {
    let alert = example("ssh-brute-force.json");
    let alert = alert.to_str().unwrap();
    // Some load: each failed rule is a warning naming the file and the reason.
    let tmp = tempfile::tempdir().unwrap();
    broken_rules(tmp.path());
    write(tmp.path(), "ok.yml", GOOD_RULE);
    let out = run(&[
        "investigate",
        "--rules",
        tmp.path().to_str().unwrap(),
        alert,
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    for expect in [
        "no-detection.yml",
        "missing `detection`",
        "latin.yml",
        "UTF-8",
    ] {
        assert!(err.contains(expect), "`{expect}` missing:\n{err}");
    }
    assert!(err.contains("WARN"), "{err}");

    // None load: an error naming each file and its reason, exit 1, nothing investigated.
    let bad = tempfile::tempdir().unwrap();
    broken_rules(bad.path());
    let out = run(&[
        "investigate",
        "--rules",
        bad.path().to_str().unwrap(),
        alert,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(
        err.contains(&format!(
            "no Sigma rule could be loaded from `{}`",
            bad.path().display()
        )),
        "{err}"
    );
    assert!(
        err.contains("no-detection.yml") && err.contains("missing `detection`"),
        "{err}"
    );
    assert!(!err.contains("WARN"), "one error, not warnings too:\n{err}");

    // An empty directory (or one without *.yml) is the same error.
    let empty = tempfile::tempdir().unwrap();
    write(empty.path(), "README.md", b"rules elsewhere\n");
    let out = run(&[
        "investigate",
        "--rules",
        empty.path().to_str().unwrap(),
        alert,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no rule files (*.yml, *.yaml)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn strict_names_each_failed_rule_and_prints_the_summary_once() {
    let tmp = tempfile::tempdir().unwrap();
    broken_rules(tmp.path());
    write(tmp.path(), "ok.yml", GOOD_RULE);
    let out = run(&[
        "investigate",
        "--rules",
        tmp.path().to_str().unwrap(),
        "--strict",
        example("ssh-brute-force.json").to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: --strict: "), "{err}");
    assert_eq!(err.matches("rules: total=").count(), 1, "{err}");
    assert!(
        err.contains("no-detection.yml") && err.contains("latin.yml"),
        "{err}"
    );
}

/// A rules directory and regression samples for its one rule: `a` matches, `b` not.
fn regression_fixture(with_miss: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    write(&rules, "ok.yml", GOOD_RULE);
    let info = b"rule_metadata:\n  - id: 11111111-1111-4111-8111-111111111111\n    title: ok\n";
    let mut samples = vec![("a", br#"{"Image": "C:\\Windows\\x.exe"}"#.as_slice())];
    if with_miss {
        samples.push(("b", br#"{"Image": "C:\\Windows\\y.exe"}"#.as_slice()));
    }
    for (name, event) in samples {
        let dir = tmp.path().join("samples").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        write(&dir, "info.yml", info);
        write(&dir, "event.json", event);
    }
    tmp
}

#[test]
fn rules_test_fails_when_a_sample_misses_its_rule() {
    for (with_miss, code) in [(false, 0), (true, 1)] {
        let tmp = regression_fixture(with_miss);
        let (rules, samples) = (tmp.path().join("rules"), tmp.path().join("samples"));
        let args = vec![
            "rules",
            "test",
            rules.to_str().unwrap(),
            "--samples",
            samples.to_str().unwrap(),
        ];
        let out = run(&args);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(code), "{text}{}", stderr(&out));
        if with_miss {
            assert!(text.contains("miss: ok"), "{text}");
        }
        let mut json = args.clone();
        json.push("--json");
        let out = run(&json);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["samples"], if with_miss { 2 } else { 1 });
    }
}

#[test]
fn rules_bench_refuses_missing_paths_and_zero_seconds() {
    let out = run(&["rules", "bench", "--events", "/nonexistent/samples"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`/nonexistent/samples` does not exist"),
        "{}",
        stderr(&out)
    );
    let out = run(&["rules", "bench", "/nonexistent/rules", "--events", "/tmp"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`/nonexistent/rules` does not exist"),
        "{}",
        stderr(&out)
    );
    let tmp = regression_fixture(false);
    let samples = tmp.path().join("samples");
    let out = run(&[
        "rules",
        "bench",
        "--events",
        samples.to_str().unwrap(),
        "--seconds",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--seconds"), "{}", stderr(&out));
    let out = run(&[
        "rules",
        "bench",
        "--events",
        samples.join("a/event.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a directory"),
        "{}",
        stderr(&out)
    );
}
