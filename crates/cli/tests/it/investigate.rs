//! `investigate` on the example alerts: the embedded default, no server, no key.

use serde_json::Value;

use crate::helpers::{
    assert_schema_valid, example, run, run_env, run_with_stdin, run_with_stdout_closed, stderr,
    stdout, write,
};

fn investigate_one(name: &str) -> Value {
    let path = example(name);
    let out = run(&["investigate", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        stderr(&out)
    );
    let v: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_schema_valid(&v);
    v
}

fn techniques(v: &Value) -> Vec<String> {
    v["attack_techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn ssh_brute_force_is_a_grounded_true_positive() {
    let v = investigate_one("ssh-brute-force.json");
    assert_eq!(v["verdict"], "true_positive");
    assert_eq!(v["confidence"], "high");
    assert_eq!(v["escalation_recommended"], true);
    let t = techniques(&v);
    assert!(t.iter().any(|t| t.starts_with("T1110")), "{t:?}");
    assert!(
        !t.iter().any(|t| t.starts_with("T1078")),
        "no success recorded, so no T1078: {t:?}"
    );
    // The Tor exit listing is evidence, naming the feed entry.
    let ev = v["evidence"].as_array().unwrap();
    let tor = ev
        .iter()
        .find(|e| {
            e["source_tool"] == "offline_feeds"
                && e["claim"].as_str().unwrap().contains("Tor exit relay list")
        })
        .expect("a Tor exit evidence entry");
    let claim = tor["claim"].as_str().unwrap();
    assert!(
        claim.contains("204.8.96.141")
            && claim.contains("0008D9640FE4947F73E355F67E20C2D290BBC72C")
            && claim.contains("2026-08-22"),
        "{claim}"
    );
    // Every technique points at evidence that exists.
    let ids: Vec<&str> = ev.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for t in v["techniques"].as_array().unwrap() {
        for id in t["evidence_ids"].as_array().unwrap() {
            assert!(
                ids.contains(&id.as_str().unwrap()),
                "dangling evidence id {id}"
            );
        }
    }
    assert!(!v["suggested_pivots"].as_array().unwrap().is_empty());
    assert!(
        v["escalation_draft"]
            .as_str()
            .unwrap()
            .contains("204.8.96.141")
    );
    let groups = v["associated_groups"].as_array().unwrap();
    assert!(!groups.is_empty() && groups.len() <= 5);
    for g in groups {
        assert!(
            g["matched_techniques"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m == "T1110"),
            "{g}"
        );
    }
}

#[test]
fn mail_attachment_execution_is_phishing_with_user_execution() {
    let v = investigate_one("mail-attachment-execution.json");
    assert_eq!(v["verdict"], "true_positive");
    assert_eq!(v["escalation_recommended"], true);
    let t = techniques(&v);
    assert!(
        t.contains(&"T1566.001".to_owned()) && t.contains(&"T1204.002".to_owned()),
        "{t:?}"
    );
    assert!(
        !t.iter().any(|t| t.starts_with("T1110") || t == "T1566.002"),
        "{t:?}"
    );
    let pivots = serde_json::to_string(&v["suggested_pivots"]).unwrap();
    assert!(pivots.contains("talent-hunters.example"), "{pivots}");
}

#[test]
fn an_unrecognised_alert_is_inconclusive_and_escalated() {
    let v = investigate_one("dns-query-unusual.json");
    assert_eq!(v["verdict"], "inconclusive");
    assert_eq!(v["confidence"], "low");
    assert_eq!(v["escalation_recommended"], true);
    assert!(v["attack_techniques"].as_array().unwrap().is_empty());
}

#[test]
fn siem_enrichment_explains_an_internal_scan_but_never_closes_it_alone() {
    // The SIEM's own enrichment (siem_context) is trusted as much as the alert's source:
    // it may explain an internal burst, at medium confidence, without escalation. Closure
    // still needs the stricter policy (the inventory, high confidence).
    let v = investigate_one("ssh-failures-scheduled-scan.json");
    assert_eq!(v["verdict"], "false_positive");
    assert_eq!(v["confidence"], "medium");
    assert_eq!(v["escalation_recommended"], false);
    assert_eq!(v["closure"]["eligible"], false, "{}", v["closure"]);
}

#[test]
fn an_elastic_hit_goes_through_the_ecs_adapter() {
    let v = investigate_one("rdp-brute-force-ecs.json");
    assert_eq!(
        v["alert_id"],
        "5f0c7e2a9b8d4c1e6a3f2b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"
    );
    assert_eq!(v["verdict"], "true_positive");
    assert!(techniques(&v).iter().any(|t| t == "T1110"));
}

#[test]
fn a_directory_gives_ndjson_and_pretty_gives_a_summary() {
    let dir = crate::helpers::repo().join("examples/alerts");
    let out = run(&["investigate", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), std::fs::read_dir(&dir).unwrap().count());
    for l in &lines {
        assert_schema_valid(l);
    }
    let out = run(&[
        "investigate",
        "--pretty",
        example("ssh-brute-force.json").to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("verdict: true_positive (high confidence)"),
        "{text}"
    );
}

#[test]
fn stdin_takes_an_object_or_ndjson() {
    let one = std::fs::read(example("ssh-brute-force.json")).unwrap();
    let out = run_with_stdin(&["investigate", "-"], Some(&one));
    assert!(out.status.success(), "{}", stderr(&out));
    let _: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let a: Value = serde_json::from_slice(&one).unwrap();
    let mut b = a.clone();
    b["alert_id"] = "EX-0001-b".into();
    let ndjson = format!(
        "{}\n{}\n",
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let out = run_with_stdin(&["investigate", "-"], Some(ndjson.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["alert_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, vec!["EX-0001", "EX-0001-b"]);
}

#[test]
fn out_dir_gets_one_file_per_alert() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[
        "investigate",
        "--out",
        tmp.path().to_str().unwrap(),
        crate::helpers::repo()
            .join("examples/alerts")
            .to_str()
            .unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("EX-0001.json")).unwrap())
            .unwrap();
    assert_schema_valid(&v);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 5);
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["investigate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["eval", "/tmp", "--labels", "a", "--expectations", "b"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fleet_variables_do_not_stop_investigate_and_a_bad_llm_variable_is_named() {
    let alert = example("ssh-brute-force.json");
    let alert = alert.to_str().unwrap();
    let out = run_env(
        &["investigate", "--no-history", alert],
        &[
            ("SOC_WORKER__CONCURRENCY", "abc"),
            ("SOC_REDIS__COMMAND_TIMEOUT", "abc"),
            ("SOC_NATS__RETENTION", "forever"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let _: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let out = run_env(
        &["investigate", "--no-history", alert],
        &[("SOC_LLM__MAX_ITERATIONS", "abc")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`SOC_LLM__MAX_ITERATIONS`"), "{err}");
    assert!(err.contains("`abc` is not a whole number"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn an_unusable_history_file_stops_the_run_at_once() {
    let alert = example("ssh-brute-force.json");
    let alert = alert.to_str().unwrap();
    let out = run_env(
        &["investigate", alert],
        &[("SOC_HISTORY_FILE", "/nonexistent/dir/h.json")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout(&out).is_empty(), "nothing investigated");
    assert_eq!(err.lines().count(), 1, "one error, once:\n{err}");
    assert!(
        err.starts_with("error: ")
            && err.contains("/nonexistent/dir/h.json")
            && err.contains("`/nonexistent/dir` does not exist"),
        "{err}"
    );
    // A directory given as the file.
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[
        "investigate",
        "--history",
        tmp.path().to_str().unwrap(),
        alert,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    // A usable path: the memory is saved there.
    let file = tmp.path().join("history.json");
    let out = run(&["investigate", "--history", file.to_str().unwrap(), alert]);
    assert!(out.status.success(), "{}", stderr(&out));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["records"].as_array().unwrap().len(), 1, "{saved}");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no probe file left: {leftovers:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_history_directory_that_takes_no_file_stops_the_run() {
    // /proc refuses new files, whoever runs the test (root included).
    let out = run(&[
        "investigate",
        "--history",
        "/proc/soc-history.json",
        example("ssh-brute-force.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot create a file in `/proc`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_directory_without_alert_files_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "notes.txt", b"not an alert");
    let out = run(&["investigate", tmp.path().to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(
        err.contains(&tmp.path().display().to_string())
            && err.contains("*.json, *.ndjson, *.jsonl"),
        "{err}"
    );
    // The other inputs are still investigated.
    let out = run(&[
        "investigate",
        tmp.path().to_str().unwrap(),
        example("ssh-brute-force.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["alert_id"], "EX-0001");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = crate::helpers::repo().join("examples/alerts");
    let dir = dir.to_str().unwrap();
    let rules = crate::helpers::repo().join("rules/sigma");
    let rules = rules.to_str().unwrap();
    for args in [
        &["investigate", "--pretty", dir][..],
        &["investigate", "--no-history", dir],
        &["intel", "lookup", "185.220.101.47", "198.51.100.7"],
        &["intel", "lookup", "--json", "185.220.101.47"],
        &["rules", "check", "--verbose", rules],
    ] {
        let out = run_with_stdout_closed(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("error"),
            "{args:?}: {err}"
        );
    }
}
