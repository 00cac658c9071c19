//! `soc-copilot investigate`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use soc_core::alert::Limits;
use soc_investigate::{Pipeline, PipelineConfig};

use crate::cli::{InputArgs, InvestigateArgs};
use crate::input::{Item, load};
use crate::summary;

/// Builds the pipeline the CLI commands share.
pub(crate) fn pipeline(input: &InputArgs) -> anyhow::Result<Pipeline> {
    let mut cfg = PipelineConfig::default();
    for s in &input.internal_suffixes {
        let s = s.trim().to_ascii_lowercase();
        anyhow::ensure!(
            !s.trim_start_matches('.').is_empty() && !s.contains(char::is_whitespace),
            "invalid --internal-suffix `{s}`: expected a domain suffix such as .corp.example"
        );
        let s = if s.starts_with('.') {
            s
        } else {
            format!(".{s}")
        };
        cfg.ioc.internal_domain_suffixes.push(s);
    }
    if let Some(path) = &input.assets {
        cfg.assets = std::sync::Arc::new(load_assets(path)?);
    }
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let intel = soc_intel::config::IntelConfig::from_env(&env);
    for line in intel.describe() {
        tracing::info!(provider = %line, "Threat intel");
    }
    let providers = soc_intel::build_stack(&intel, None, None)?;
    let rules = crate::rules::load_for_run(&input.rules)?;
    let mut settings = soc_core::config::RawConfig::default()
        .build_and_validate(&env)
        .context("LLM settings from the environment")?
        .llm;
    if let Some(m) = input.llm.mode {
        settings.mode = m.as_str().to_owned();
    }
    if let Some(dir) = &input.llm.prompts {
        settings.prompts = Some(dir.clone());
    }
    let mut p = Pipeline::new(cfg, providers).with_rules(rules);
    if let Some(t) = crate::llm::tiers(&settings, &env)? {
        p = p.with_llm(t);
    }
    if !input.no_history {
        let settings = soc_history::HistorySettings::default();
        let store = match &input.history {
            Some(path) => soc_history::MemoryHistory::open(path, settings, Default::default())
                .with_context(|| format!("cannot open history file `{}`", path.display()))?,
            None => soc_history::MemoryHistory::new(settings, Default::default()),
        };
        p = p.with_history(std::sync::Arc::new(store));
    }
    Ok(p)
}

/// Reads the asset inventory file.
pub(crate) fn load_assets(path: &Path) -> anyhow::Result<soc_core::assets::AssetInventory> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read asset inventory `{}`", path.display()))?;
    soc_core::assets::AssetInventory::from_json(&text)
        .with_context(|| format!("in `{}`", path.display()))
}

pub(crate) async fn run(args: InvestigateArgs) -> anyhow::Result<ExitCode> {
    let pipeline = pipeline(&args.input)?;
    if let Some(dir) = &args.output.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create output directory `{}`", dir.display()))?;
    }
    let items = load(
        &args.inputs,
        args.input.format.into(),
        &Limits::default(),
        &[],
    );
    let total_ok = items.iter().filter(|i| i.result.is_ok()).count();
    let total = items.len();
    let mut failed = 0usize;
    let mut done = 0usize;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut used_names = std::collections::HashSet::new();
    let mut last_progress = std::time::Instant::now();
    for Item { origin, result, .. } in items {
        let alert = match result {
            Ok(a) => a,
            Err(reason) => {
                failed += 1;
                eprintln!("error: {origin}: {reason}");
                continue;
            }
        };
        let inv = pipeline.investigate(&alert).await;
        done += 1;
        if let Some(dir) = &args.output.out {
            let path = unique_path(dir, &alert.alert_id, &mut used_names);
            let json = serde_json::to_string_pretty(&inv)?;
            std::fs::write(&path, json + "\n")
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        } else if args.output.pretty {
            writeln!(out, "{}", summary::render(&inv, &alert.title))?;
        } else if total_ok == 1 {
            writeln!(out, "{}", serde_json::to_string_pretty(&inv)?)?;
        } else {
            writeln!(out, "{}", serde_json::to_string(&inv)?)?;
        }
        if last_progress.elapsed() >= std::time::Duration::from_secs(5) {
            eprintln!("progress: {done}/{total_ok} alerts investigated");
            last_progress = std::time::Instant::now();
        }
    }
    out.flush()?;
    if let Some(dir) = &args.output.out {
        eprintln!("wrote {done} investigation(s) to {}", dir.display());
    }
    if failed > 0 {
        if total > 1 {
            eprintln!("{done} alert(s) investigated, {failed} input(s) failed");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `<dir>/<alert_id>.json`, with the id reduced to a safe file name and made unique.
fn unique_path(
    dir: &Path,
    alert_id: &str,
    used: &mut std::collections::HashSet<String>,
) -> std::path::PathBuf {
    let mut base: String = alert_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    if base.is_empty() || base.starts_with('.') {
        base.insert(0, '_');
    }
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    dir.join(format!("{name}.json"))
}
