//! `soc-copilot rules check | test | bench`, and the rule loading the other commands share.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use soc_detect::sigma::{Event, LoadReport, RuleSet, SigmaError, regression_samples};
use soc_detect::triage::one_line;
use tracing::{info, warn};

use crate::cli::{RulesArgs, RulesBenchArgs, RulesCheckArgs, RulesTestArgs};

/// Problems listed one by one in a warning or an error, at most.
const MAX_LISTED: usize = 20;

/// The project's rules plus the directories given: tolerant (each rule that failed is a
/// warning naming its file and the reason; skips are summarised), or failing on the first
/// bad rule with `--strict`. A directory from which no rule loads is an error either way:
/// it is almost always a wrong path or a wrong directory.
pub(crate) fn load_for_run(args: &RulesArgs) -> anyhow::Result<Arc<RuleSet>> {
    let mut rules = RuleSet::embedded();
    for dir in &args.dirs {
        let shown = dir.display();
        anyhow::ensure!(dir.exists(), "--rules: `{shown}` does not exist");
        let (extra, report) = match RuleSet::load(std::slice::from_ref(dir), args.strict) {
            Ok(loaded) => loaded,
            Err(SigmaError::Strict(report)) => {
                anyhow::bail!(
                    "--strict: not every Sigma rule under `{shown}` could be loaded ({}):\n{}",
                    report.summary_line(),
                    problem_lines(&report).join("\n")
                )
            }
            Err(e) => return Err(anyhow::Error::new(e).context(format!("--rules `{shown}`"))),
        };
        // Nothing loaded: one error with the whole list, not warnings and then the error.
        if report.loaded == 0 {
            let why = if report.total == 0 {
                "it holds no rule files (*.yml, *.yaml)".to_owned()
            } else {
                format!(
                    "{}:\n{}",
                    report.summary_line(),
                    problem_lines(&report).join("\n")
                )
            };
            anyhow::bail!("--rules: no Sigma rule could be loaded from `{shown}`: {why}");
        }
        info!(rules = %shown, summary = %report.summary_line(), "Sigma rules loaded");
        for e in report.errors.iter().take(MAX_LISTED) {
            warn!(
                file = %one_line(&e.path, 300),
                rule = %one_line(&e.rule, 120),
                reason = %one_line(&e.message, 300),
                "Sigma rule not loaded"
            );
        }
        if report.errors.len() > MAX_LISTED {
            warn!(
                not_listed = report.errors.len() - MAX_LISTED,
                rules = %shown,
                "More Sigma rules not loaded (run `soc-copilot rules check --verbose` for the list)"
            );
        }
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
    }
    Ok(Arc::new(rules))
}

/// One line per rule that failed or was skipped (`  error: <file> (<rule>): <reason>`),
/// at most [`MAX_LISTED`] and a count of the others.
fn problem_lines(report: &LoadReport) -> Vec<String> {
    let named = |path: &str, rule: &str| {
        if rule.is_empty() {
            one_line(path, 300)
        } else {
            format!("{} ({})", one_line(path, 300), one_line(rule, 120))
        }
    };
    let all = report
        .errors
        .iter()
        .map(|e| {
            format!(
                "  error: {}: {}",
                named(&e.path, &e.rule),
                one_line(&e.message, 300)
            )
        })
        .chain(report.skipped.iter().map(|s| {
            format!(
                "  skipped: {}: {}",
                named(&s.path, &s.rule),
                one_line(&s.reason, 300)
            )
        }));
    let mut lines: Vec<String> = all.take(MAX_LISTED).collect();
    let total = report.errors.len() + report.skipped.len();
    if total > MAX_LISTED {
        lines.push(format!(
            "  ... and {} more (run `soc-copilot rules check --verbose` for the list)",
            total - MAX_LISTED
        ));
    }
    lines
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
    let mut out = crate::out::stdout();
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
    let mut out = crate::out::stdout();
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
    out.flush()?;
    // A gate: every sample must match its own rule.
    Ok(
        if result.misses.is_empty() && result.passed == result.total {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// `rules bench`: events/s on one core, matching vs a parse-and-map-only baseline.
pub(crate) fn bench(args: &RulesBenchArgs) -> anyhow::Result<ExitCode> {
    for d in &args.dirs {
        anyhow::ensure!(d.exists(), "`{}` does not exist", d.display());
    }
    for p in &args.events {
        anyhow::ensure!(p.exists(), "--events: `{}` does not exist", p.display());
        anyhow::ensure!(
            p.is_dir(),
            "--events: `{}` is not a directory (it takes SigmaHQ regression-sample directories: info.yml + events JSON)",
            p.display()
        );
    }
    let mut rules = RuleSet::embedded();
    if !args.dirs.is_empty() {
        let (extra, report) = RuleSet::load(&args.dirs, false)?;
        eprintln!("{}", report.summary_line());
        rules.extend(extra);
    }
    // Keep the raw documents so each pass parses and maps them again, as the pipeline does.
    let mut docs: Vec<serde_json::Value> = Vec::new();
    for p in &args.events {
        let samples = regression_samples(p)
            .with_context(|| format!("reading samples under `{}`", p.display()))?;
        for s in samples {
            for f in &s.events {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read `{}`", f.display()))?;
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
        let budget = Duration::from_secs(args.seconds);
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
    let mut out = crate::out::stdout();
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
