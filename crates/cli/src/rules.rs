//! `soc-copilot rules check | test | bench`, and the rule loading the other commands share.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use soc_detect::sigma::{Event, LoadReport, RuleSet, SigmaError, regression_samples};
use tracing::{info, warn};

use crate::cli::{RulesArgs, RulesBenchArgs, RulesCheckArgs, RulesTestArgs};

/// The project's rules plus the directories given: tolerant (skips reported once), or
/// failing on the first bad rule with `--strict`.
pub(crate) fn load_for_run(args: &RulesArgs) -> anyhow::Result<Arc<RuleSet>> {
    let mut rules = RuleSet::embedded();
    if args.dirs.is_empty() {
        return Ok(Arc::new(rules));
    }
    match RuleSet::load(&args.dirs, args.strict) {
        Ok((extra, report)) => {
            info!(summary = %report.summary_line(), "Sigma rules loaded");
            if !report.skipped.is_empty() {
                let reasons: Vec<String> = report
                    .skip_reasons()
                    .into_iter()
                    .take(5)
                    .map(|(r, n)| format!("{r} ({n})"))
                    .collect();
                warn!(skipped = report.skipped.len(), reasons = %reasons.join("; "), "Some Sigma rules were skipped (run `soc-copilot rules check` for the list)");
            }
            rules.extend(extra);
            Ok(Arc::new(rules))
        }
        Err(SigmaError::Strict(report)) => {
            anyhow::bail!("--strict: {}\n{report}", report.summary_line())
        }
        Err(e) => Err(e.into()),
    }
}

fn print_report(out: &mut impl Write, report: &LoadReport, verbose: bool) -> std::io::Result<()> {
    writeln!(out, "{}", report.summary_line())?;
    for (reason, n) in report.skip_reasons() {
        writeln!(out, "  skipped {n:>5}  {reason}")?;
    }
    for (reason, n) in report.error_reasons() {
        writeln!(out, "  error   {n:>5}  {reason}")?;
    }
    if verbose {
        for s in &report.skipped {
            writeln!(out, "  - {} ({}): {}", s.rule, s.path, s.reason)?;
        }
        for e in &report.errors {
            writeln!(out, "  ! {} ({}): {}", e.rule, e.path, e.message)?;
        }
    }
    Ok(())
}

fn report_json(report: &LoadReport) -> serde_json::Value {
    json!({
        "total": report.total,
        "loaded": report.loaded,
        "skipped": report.skipped.len(),
        "errors": report.errors.len(),
        "skip_reasons": report.skip_reasons().into_iter().map(|(r, n)| json!({"reason": r, "count": n})).collect::<Vec<_>>(),
        "error_reasons": report.error_reasons().into_iter().map(|(r, n)| json!({"reason": r, "count": n})).collect::<Vec<_>>(),
        "skipped_rules": report.skipped.iter().map(|s| json!({"rule": s.rule, "path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
        "errored_rules": report.errors.iter().map(|e| json!({"rule": e.rule, "path": e.path, "message": e.message})).collect::<Vec<_>>(),
    })
}

/// `rules check`.
pub(crate) fn check(args: &RulesCheckArgs) -> anyhow::Result<ExitCode> {
    for d in &args.dirs {
        anyhow::ensure!(d.exists(), "`{}` does not exist", d.display());
    }
    let (report, failed) = match RuleSet::load(&args.dirs, args.strict) {
        Ok((_, report)) => {
            let failed = report.loaded == 0;
            (report, failed)
        }
        Err(SigmaError::Strict(report)) => (*report, true),
        Err(e) => return Err(e.into()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report_json(&report))?
        )?;
    } else {
        print_report(&mut out, &report, args.verbose)?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `rules test`.
pub(crate) fn test(args: &RulesTestArgs) -> anyhow::Result<ExitCode> {
    let (rules, report) = RuleSet::load(&args.dirs, false)?;
    let samples = regression_samples(&args.samples)
        .with_context(|| format!("reading samples under `{}`", args.samples.display()))?;
    anyhow::ensure!(
        !samples.is_empty(),
        "no regression samples (info.yml) under `{}`",
        args.samples.display()
    );
    let result = rules.run_regression(&samples, Some(&report));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let v = json!({
            "rules": report_json(&report),
            "samples": result.total,
            "passed": result.passed,
            "misses": result.misses.iter().map(|m| json!({"rule_id": m.rule_id, "title": m.title, "reason": m.reason})).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        writeln!(out, "{}", report.summary_line())?;
        writeln!(out, "{}", result.summary_line())?;
        for m in &result.misses {
            writeln!(out, "  miss: {} ({}): {}", m.title, m.rule_id, m.reason)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `rules bench`: events/s on one core, matching vs a parse-and-map-only baseline.
pub(crate) fn bench(args: &RulesBenchArgs) -> anyhow::Result<ExitCode> {
    let mut rules = RuleSet::embedded();
    if !args.dirs.is_empty() {
        let (extra, report) = RuleSet::load(&args.dirs, false)?;
        eprintln!("{}", report.summary_line());
        rules.extend(extra);
    }
    // Keep the raw documents so each pass parses and maps them again, as the pipeline does.
    let mut docs: Vec<serde_json::Value> = Vec::new();
    for p in &args.events {
        let samples = if p.is_dir() {
            regression_samples(p).unwrap_or_default()
        } else {
            Vec::new()
        };
        for s in samples {
            for f in &s.events {
                let text = std::fs::read_to_string(f)?;
                for v in serde_json::Deserializer::from_str(&text)
                    .into_iter::<serde_json::Value>()
                    .flatten()
                {
                    docs.push(v);
                }
            }
        }
    }
    anyhow::ensure!(
        !docs.is_empty(),
        "no events found: --events takes SigmaHQ regression-sample directories (info.yml + events JSON)"
    );
    let run = |with_rules: bool| {
        let budget = Duration::from_secs(args.seconds.max(1));
        let started = Instant::now();
        let mut n = 0u64;
        let mut hits = 0usize;
        while started.elapsed() < budget {
            for d in &docs {
                let ev = Event::from_value(d);
                if with_rules {
                    hits += rules.matches(&ev).len();
                } else {
                    hits += usize::from(ev.logsource_is_exact());
                }
                n += 1;
            }
        }
        (n as f64 / started.elapsed().as_secs_f64(), hits)
    };
    let (baseline, _) = run(false);
    let (matching, hits) = run(true);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "rules: {} loaded; events: {} distinct, one core",
        rules.len(),
        docs.len()
    )?;
    writeln!(
        out,
        "baseline (parse + field mapping, no rules): {baseline:.0} events/s"
    )?;
    writeln!(
        out,
        "matching (parse + mapping + every rule): {matching:.0} events/s ({hits} rule hits)"
    )?;
    writeln!(out, "ratio matching/baseline: {:.2}", matching / baseline)?;
    Ok(ExitCode::SUCCESS)
}
