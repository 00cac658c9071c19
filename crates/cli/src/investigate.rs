//! `soc-copilot investigate`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use soc_core::alert::Limits;
use soc_history::MemoryHistory;
use soc_investigate::{Pipeline, PipelineConfig};

use crate::cli::{InputArgs, InvestigateArgs};
use crate::input::{Item, load};
use crate::summary;

/// The pipeline the CLI commands share, and the history file it saves to (if any).
pub(crate) struct Investigator {
    /// The pipeline.
    pub(crate) pipeline: Pipeline,
    /// The history kept in a file (`--history`), saved once more at the end.
    history_file: Option<Arc<MemoryHistory>>,
}

impl Investigator {
    /// Saves the history file a last time. The store saves after every investigation
    /// (a failure there is in that investigation's `degraded`); this is where a run whose
    /// memory could not be kept fails instead of ending as if it had been.
    pub(crate) async fn finish(&self) -> anyhow::Result<()> {
        if let Some(h) = &self.history_file {
            h.save()
                .await
                .context("the memory of this run was not saved")?;
        }
        Ok(())
    }
}

/// Builds the pipeline the CLI commands share.
pub(crate) fn pipeline(input: &InputArgs) -> anyhow::Result<Investigator> {
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
        cfg.assets = Arc::new(load_assets(path)?);
    }
    // Checked before anything costly, so an unusable path stops the run at once.
    if let Some(path) = input.history.as_deref().filter(|_| !input.no_history) {
        check_history_path(path)?;
    }
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let intel = soc_intel::config::IntelConfig::from_env(&env);
    for line in intel.describe() {
        tracing::info!(provider = %line, "Threat intel");
    }
    let providers = soc_intel::build_stack(&intel, None, None)?;
    let rules = crate::rules::load_for_run(&input.rules)?;
    let mut settings =
        crate::settings::llm_from_env(&env).context("LLM settings from the environment")?;
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
    let mut history_file = None;
    if !input.no_history {
        let settings = soc_history::HistorySettings::default();
        let store = match &input.history {
            Some(path) => {
                let store = Arc::new(
                    MemoryHistory::open(path, settings, Default::default()).with_context(|| {
                        format!("cannot open history file `{}`", path.display())
                    })?,
                );
                history_file = Some(Arc::clone(&store));
                store
            }
            None => Arc::new(MemoryHistory::new(settings, Default::default())),
        };
        p = p.with_history(store);
    }
    Ok(Investigator {
        pipeline: p,
        history_file,
    })
}

/// Fails unless the history file can be written where it is: its directory exists and
/// takes a new file (the store replaces the file through a temporary one next to it).
fn check_history_path(path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    let problem = |why: String| {
        anyhow::anyhow!(
            "cannot keep the history in `{shown}` (--history / SOC_HISTORY_FILE): {why}"
        )
    };
    if path.is_dir() {
        return Err(problem("it is a directory; give a file name".into()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(problem(format!("`{}` is not a directory", dir.display())));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(problem(format!(
                "the directory `{}` does not exist",
                dir.display()
            )));
        }
        Err(e) => return Err(problem(format!("cannot use `{}`: {e}", dir.display()))),
    }
    // Whether a file can be created there: the one way to know (permissions, read-only
    // mounts, ACLs).
    let probe = dir.join(format!(
        ".soc-history-probe-{}-{}.tmp",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            if let Err(e) = std::fs::remove_file(&probe) {
                tracing::warn!(file = %probe.display(), error = %e, "cannot remove the history directory probe");
            }
            Ok(())
        }
        Err(e) => Err(problem(format!(
            "cannot create a file in `{}`: {e}",
            dir.display()
        ))),
    }
}

/// Reads the asset inventory file.
pub(crate) fn load_assets(path: &Path) -> anyhow::Result<soc_core::assets::AssetInventory> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read asset inventory `{}`", path.display()))?;
    soc_core::assets::AssetInventory::from_json(&text)
        .with_context(|| format!("in `{}`", path.display()))
}

pub(crate) async fn run(args: InvestigateArgs) -> anyhow::Result<ExitCode> {
    let investigator = pipeline(&args.input)?;
    let pipeline = &investigator.pipeline;
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
    let mut out = crate::out::stdout();
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
    if failed > 0 && total > 1 {
        eprintln!("{done} alert(s) investigated, {failed} input(s) failed");
    }
    investigator.finish().await?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
