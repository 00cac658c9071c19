//! `soc-copilot eval`: investigate a directory of alerts and score them against labels.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;
use soc_core::alert::Limits;
use soc_detect::triage::one_line;
use soc_investigate::eval::{
    Report, parse_expectations, parse_labels, score_expectation, score_label,
};

use crate::cli::EvalArgs;
use crate::input::{ACCEPTED_FILES, alert_files, canonical, load};
use crate::investigate::pipeline;

/// Unmatched labels listed one by one, at most.
const MAX_LISTED: usize = 20;

enum Spec {
    Expectations(BTreeMap<String, Value>),
    Labels(BTreeMap<String, soc_investigate::eval::Label>),
}

pub(crate) async fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.dir.is_dir(),
        "`{}` is not a directory",
        args.dir.display()
    );
    let (spec_path, spec) = match (&args.expectations, &args.labels) {
        (Some(p), _) => {
            let v = read_json(p)?;
            (
                p.clone(),
                Spec::Expectations(
                    parse_expectations(&v)
                        .map_err(anyhow::Error::msg)
                        .with_context(|| format!("in `{}`", p.display()))?,
                ),
            )
        }
        (None, Some(p)) => {
            let v = read_json(p)?;
            (
                p.clone(),
                Spec::Labels(
                    parse_labels(&v)
                        .map_err(anyhow::Error::msg)
                        .with_context(|| format!("in `{}`", p.display()))?,
                ),
            )
        }
        (None, None) => anyhow::bail!("one of --expectations or --labels is required"),
    };
    let spec_file = spec_path.clone();
    let exclude = [spec_path];
    let files = alert_files(&args.dir, &canonical(&exclude))
        .with_context(|| format!("cannot read directory `{}`", args.dir.display()))?;
    anyhow::ensure!(
        !files.is_empty(),
        "no alert files in `{}` (accepted: {ACCEPTED_FILES}; subdirectories are not read)",
        args.dir.display()
    );
    let investigator = pipeline(&args.input)?;
    let pipeline = &investigator.pipeline;
    let items = load(
        std::slice::from_ref(&args.dir),
        args.input.format.into(),
        &Limits::default(),
        &exclude,
    );
    // The labels (or expectations) some alert of the directory matched.
    let mut matched: BTreeSet<String> = BTreeSet::new();
    let mut report = Report::default();
    let total = items.len();
    for (n, item) in items.into_iter().enumerate() {
        if total >= 100 && n > 0 && n.is_multiple_of(100) {
            eprintln!("progress: {n}/{total} alerts evaluated");
        }
        let file = item
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map_or_else(|| item.origin.clone(), |n| n.to_string_lossy().into_owned());
        let alert = match item.result {
            Ok(a) => a,
            Err(e) => {
                report.add_error(item.origin, e);
                continue;
            }
        };
        let score = match &spec {
            Spec::Expectations(map) => {
                let exp = map.get_key_value(&file).or_else(|| {
                    map.iter().find(|(_, e)| {
                        e.get("alert_id").and_then(Value::as_str) == Some(alert.alert_id.as_str())
                    })
                });
                match exp {
                    Some((key, exp)) => {
                        matched.insert(key.clone());
                        Some(score_expectation(
                            &file,
                            exp,
                            &pipeline.investigate(&alert).await,
                        ))
                    }
                    None => None,
                }
            }
            Spec::Labels(map) => match map.get_key_value(&alert.alert_id) {
                Some((key, label)) => {
                    matched.insert(key.clone());
                    Some(score_label(
                        &file,
                        label,
                        &pipeline.investigate(&alert).await,
                    ))
                }
                None => None,
            },
        };
        match score {
            Some(s) => report.add(s),
            None => report.add_unlabeled(format!("{} ({file})", alert.alert_id)),
        }
    }
    let (what, keys): (&str, Vec<&String>) = match &spec {
        Spec::Expectations(map) => ("expectation", map.keys().collect()),
        Spec::Labels(map) => ("label", map.keys().collect()),
    };
    let unmatched: Vec<&&String> = keys.iter().filter(|k| !matched.contains(**k)).collect();
    for k in unmatched.iter().take(MAX_LISTED) {
        eprintln!(
            "warning: {what} `{}` matched no alert in `{}`",
            one_line(k, 120),
            args.dir.display()
        );
    }
    if !unmatched.is_empty() {
        let more = unmatched.len().saturating_sub(MAX_LISTED);
        let more = if more > 0 {
            format!(" ({more} not listed)")
        } else {
            String::new()
        };
        eprintln!(
            "warning: {} of {} {what}s in `{}` matched no alert (not scored){more}",
            unmatched.len(),
            keys.len(),
            spec_file.display()
        );
    }
    investigator.finish().await?;
    let mut out = crate::out::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_table(&mut out, &report)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn read_json(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("`{}` is not valid JSON", path.display()))
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

fn print_table(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<22} {:<34} {:<26} {:<4} {:>6}  failed invariants",
        "alert", "expected", "verdict / confidence", "esc", "inv"
    )?;
    for a in &r.per_alert {
        let failed: Vec<String> = a
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} ({})", c.name, one_line(&c.detail, 80)))
            .collect();
        let marker = if a.confidently_wrong {
            " CONFIDENTLY WRONG"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<22} {:<34} {:<26} {:<4} {:>6}  {}{marker}",
            one_line(&a.alert_id, 22),
            one_line(&a.expected, 34),
            format!("{} / {}", a.verdict, a.confidence),
            if a.escalate { "yes" } else { "no" },
            format!("{}/{}", a.passed(), a.checks.len()),
            failed.join("; ")
        )?;
    }
    for u in &r.unlabeled {
        writeln!(out, "unlabeled (not scored): {}", one_line(u, 200))?;
    }
    for e in &r.errors {
        writeln!(
            out,
            "error: {}: {}",
            one_line(&e.file, 120),
            one_line(&e.error, 200)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "by invariant:")?;
    for (name, [p, t]) in &r.by_invariant {
        writeln!(out, "  {name:<24} {p:>3}/{t:<3} {}", pct(*p, *t))?;
    }
    writeln!(
        out,
        "totals: {} alerts, {} scored, {} unlabeled, {} errors; invariants {}/{} ({}); verdicts correct {}/{} ({}); confidently wrong {}",
        r.alerts,
        r.scored,
        r.unlabeled.len(),
        r.errors.len(),
        r.invariants_passed,
        r.invariants_total,
        pct(r.invariants_passed, r.invariants_total),
        r.verdicts_correct,
        r.scored,
        pct(r.verdicts_correct, r.scored),
        r.confidently_wrong
    )
}
