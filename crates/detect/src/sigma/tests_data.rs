//! Tests of the Sigma engine against data: the project rules (`rules/sigma/`) on the
//! reference alerts and the dev set, and, when `../shared/data/sigma` exists, the SigmaHQ
//! corpus and its regression samples (skipped with a printed reason otherwise; the corpus
//! is never copied into the repo).

use std::path::{Path, PathBuf};

use serde_json::Value;
use soc_core::Alert;
use soc_core::alert::Limits;

use super::*;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/sigma")
}

#[test]
fn embedded_rules_are_the_rules_directory_and_load_clean() {
    let (set, report) = RuleSet::embedded_with_report();
    assert!(
        report.skipped.is_empty() && report.errors.is_empty(),
        "{report}"
    );
    let mut files: Vec<String> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .map(|n| format!("rules/sigma/{n}"))
        .collect();
    files.sort();
    let mut embedded: Vec<String> = EMBEDDED.iter().map(|(o, _)| (*o).to_owned()).collect();
    embedded.sort();
    assert_eq!(files, embedded, "add new rules/sigma files to EMBEDDED");
    let (from_dir, _) = RuleSet::load(&[rules_dir()], true).unwrap();
    assert_eq!(from_dir.len(), set.len());
    let mut ids = std::collections::HashSet::new();
    for (origin, text) in EMBEDDED {
        assert!(text.contains("\nauthor: soc-copilot\n"), "{origin}");
        assert!(
            text.contains("\nlicense: MIT, part of soc-copilot\n"),
            "{origin}"
        );
    }
    for r in set.rules() {
        assert!(ids.insert(r.id.clone()), "duplicate id {}", r.id);
        assert!(
            !r.attack_techniques().is_empty(),
            "{} has no ATT&CK tag",
            r.title
        );
    }
}

#[test]
fn reference_alerts_meet_min_sigma_matches_with_project_rules() {
    let seed = shared().join("research/seed-data");
    let Ok(text) = std::fs::read_to_string(seed.join("expectations.json")) else {
        println!("skipped: {} not found", seed.display());
        return;
    };
    let exp: Value = serde_json::from_str(&text).unwrap();
    let set = RuleSet::embedded();
    let mut checked = 0;
    for (name, e) in exp["sample_alerts"].as_object().unwrap() {
        let Some(min) = e.get("min_sigma_matches").and_then(Value::as_u64) else {
            continue;
        };
        let file = seed.join(e["file"].as_str().unwrap());
        let a =
            Alert::from_json(&std::fs::read_to_string(&file).unwrap(), &Limits::default()).unwrap();
        let m = set.match_alert(&a);
        println!(
            "{name}: {} match(es): {:?}",
            m.len(),
            m.iter()
                .map(|m| (&m.rule.title, &m.fields))
                .collect::<Vec<_>>()
        );
        assert!(m.len() as u64 >= min, "{name}: {} < {min}", m.len());
        checked += 1;
    }
    assert!(checked >= 7);
}

#[test]
fn dev_alerts_match_project_rules() {
    let dir = shared().join("data/alerts-dev");
    if !dir.exists() {
        println!("skipped: {} not found", dir.display());
        return;
    }
    let set = RuleSet::embedded();
    let mut matched = 0;
    for i in 1..=36 {
        let path = dir.join(format!("DEV-{i:04}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let a = Alert::from_json(&text, &Limits::default()).unwrap();
        let m = set.match_alert(&a);
        if !m.is_empty() {
            matched += 1;
        }
        println!(
            "DEV-{i:04} {:<60} {:?}",
            a.title,
            m.iter().map(|m| &m.rule.title).collect::<Vec<_>>()
        );
    }
    println!("{matched} dev alerts matched by the project rules");
}

fn corpus() -> Option<(RuleSet, LoadReport)> {
    let dir = shared().join("data/sigma");
    if !dir.join("rules").exists() {
        println!("skipped: SigmaHQ corpus not found at {}", dir.display());
        return None;
    }
    let paths: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| dir.join(d))
        .collect();
    Some(RuleSet::load(&paths, false).unwrap())
}

#[test]
fn corpus_loads_and_regression_samples_match() {
    let Some((set, report)) = corpus() else {
        return;
    };
    print!("{report}");
    for s in &report.skipped {
        println!("  skipped {} ({}): {}", s.path, s.rule, s.reason);
    }
    for e in &report.errors {
        println!("  error {} ({}): {}", e.path, e.rule, e.message);
    }
    let stats = set.stats();
    println!("{stats:?}");
    assert!(
        report.loaded * 100 >= report.total * 99,
        "{}",
        report.summary_line()
    );
    assert!(
        stats.unfiltered * 20 <= stats.rules,
        "too many rules without a prefilter: {stats:?}"
    );

    let samples = regression_samples(&shared().join("data/sigma/regression_data")).unwrap();
    let rr = set.run_regression(&samples, Some(&report));
    println!("{}", rr.summary_line());
    for m in &rr.misses {
        println!("  miss {} {}: {}", m.rule_id, m.title, m.reason);
    }
    assert!(rr.passed * 100 >= rr.total * 98, "{}", rr.summary_line());
}

#[test]
fn dev_alerts_from_sigma_samples_match_their_rule() {
    let Some((set, _)) = corpus() else { return };
    let dir = shared().join("data/alerts-dev");
    let Ok(text) = std::fs::read_to_string(dir.join("labels.json")) else {
        println!("skipped: dev set not found");
        return;
    };
    let labels: Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for (id, label) in labels.as_object().unwrap() {
        let prov = &label["provenance"];
        let Some(rule_id) = prov.get("sigma_rule_id").and_then(Value::as_str) else {
            continue;
        };
        let kind = prov["kind"].as_str().unwrap_or_default();
        let a = Alert::from_json(
            &std::fs::read_to_string(dir.join(format!("{id}.json"))).unwrap(),
            &Limits::default(),
        )
        .unwrap();
        let m = set.match_alert(&a);
        let found = m.iter().any(|m| m.rule.id == rule_id);
        println!(
            "{id} ({kind}) expects {rule_id}: {} ({} matches)",
            if found { "ok" } else { "MISSING" },
            m.len()
        );
        if kind == "sigma_regression_sample" {
            assert!(found, "{id} does not match {rule_id}");
            checked += 1;
        }
    }
    assert!(checked >= 10);
}
