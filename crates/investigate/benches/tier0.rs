//! Per-alert cost of tier 0: `Pipeline::investigate` over the dev set, one core, no
//! network (intel comes from the embedded offline feeds, answered in process).
//!
//! Three groups, measured in the same run, one iteration = every alert once, reported
//! per alert (`Throughput::Elements`):
//! - `tier0/parse_baseline`: parse the alerts from their JSON bytes (the CLI's parser);
//! - `tier0/investigate_embedded_rules`: investigate them with the project's own rules;
//! - `tier0/investigate_sigma_corpus`: the same with the whole Sigma corpus loaded on top
//!   (only when one is found).
//!
//! Inputs: alerts from `$SOC_DEV_ALERTS` or `../shared/data/alerts-dev` (falling back to
//! `examples/alerts`); Sigma rules from `$SOC_SIGMA_RULES` (paths separated by `:`) or
//! `../shared/data/sigma`; the asset inventory from
//! `../shared/research/seed-data/data/asset_context.json` when present.
//!
//! `cargo bench -p soc-investigate --bench tier0 -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use soc_core::Alert;
use soc_core::alert::{Format, Limits, parse_input};
use soc_core::assets::AssetInventory;
use soc_detect::sigma::RuleSet;
use soc_investigate::{Pipeline, PipelineConfig};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared data directory next to the workspace.
fn shared() -> PathBuf {
    root().join("../shared")
}

/// Alert files (`*.json`, not `labels.json`) in `dir`, sorted.
fn alert_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|x| x.to_str()) == Some("json")
                && p.file_name().and_then(|n| n.to_str()) != Some("labels.json")
        })
        .collect();
    files.sort();
    files
}

/// The raw bytes of every alert file: the dev set, or the repository's examples.
fn inputs() -> Vec<Vec<u8>> {
    let dev = std::env::var_os("SOC_DEV_ALERTS")
        .map_or_else(|| shared().join("data/alerts-dev"), PathBuf::from);
    let mut files = alert_files(&dev);
    if files.is_empty() {
        let examples = root().join("examples/alerts");
        println!(
            "dev set not found at {}; falling back to {}",
            dev.display(),
            examples.display()
        );
        files = alert_files(&examples);
    } else {
        println!("alerts from {}", dev.display());
    }
    files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
}

/// Parses every input the way the CLI does (one object, an array or NDJSON per file);
/// documents that are not alerts are dropped.
fn parse_all(inputs: &[Vec<u8>], limits: &Limits) -> Vec<Alert> {
    inputs
        .iter()
        .filter_map(|bytes| parse_input(bytes, Format::Auto, limits).ok())
        .flatten()
        .filter_map(|p| p.result.ok())
        .collect()
}

/// The Sigma corpus directories: `$SOC_SIGMA_RULES`, else the shared SigmaHQ checkout's
/// rule folders. Empty when there is none.
fn sigma_dirs() -> Vec<PathBuf> {
    if let Some(v) = std::env::var_os("SOC_SIGMA_RULES") {
        return std::env::split_paths(&v).filter(|p| p.exists()).collect();
    }
    let dir = shared().join("data/sigma");
    let subdirs: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| dir.join(d))
        .filter(|p| p.is_dir())
        .collect();
    if subdirs.is_empty() && dir.is_dir() {
        vec![dir]
    } else {
        subdirs
    }
}

/// The pipeline settings: defaults plus the seed asset inventory when there is one.
fn config() -> PipelineConfig {
    let mut cfg = PipelineConfig::default();
    let path = shared().join("research/seed-data/data/asset_context.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        match AssetInventory::from_json(&text) {
            Ok(inv) => {
                println!("asset inventory from {}", path.display());
                cfg.assets = Arc::new(inv);
            }
            Err(e) => println!("asset inventory {} ignored: {e}", path.display()),
        }
    }
    cfg
}

/// `Pipeline::embedded_default()` with the same settings as the CLI would use.
fn pipeline(cfg: &PipelineConfig) -> Pipeline {
    Pipeline::new(cfg.clone(), soc_intel::providers::build_default())
}

fn main() {
    let inputs = inputs();
    let limits = Limits::default();
    let alerts = parse_all(&inputs, &limits);
    if alerts.is_empty() {
        println!("tier0 bench skipped: no alerts found");
        return;
    }
    let n = alerts.len() as u64;
    let cfg = config();
    let embedded = pipeline(&cfg);

    let dirs = sigma_dirs();
    let corpus = if dirs.is_empty() {
        println!("no Sigma corpus found: benching the project's own rules only");
        None
    } else {
        let t = Instant::now();
        match RuleSet::load(&dirs, false) {
            Ok((extra, report)) => {
                let mut rules = RuleSet::embedded();
                rules.extend(extra);
                println!(
                    "Sigma corpus: {} (+{} project rules) loaded in {:.2?}",
                    report.summary_line(),
                    RuleSet::embedded().len(),
                    t.elapsed()
                );
                Some(pipeline(&cfg).with_rules(Arc::new(rules)))
            }
            Err(e) => {
                println!("Sigma corpus not loaded ({e}): benching the project's own rules only");
                None
            }
        }
    };
    println!(
        "{} files -> {n} alerts; rules: {} embedded{}",
        inputs.len(),
        embedded.rules().len(),
        corpus
            .as_ref()
            .map(|p| format!(", {} with the corpus", p.rules().len()))
            .unwrap_or_default()
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let investigate_all = |p: &Pipeline| {
        rt.block_on(async {
            for a in &alerts {
                black_box(p.investigate(black_box(a)).await);
            }
        });
    };

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("tier0");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);
    g.bench_function("parse_baseline", |b| {
        b.iter(|| black_box(parse_all(black_box(&inputs), &limits)))
    });
    g.bench_function("investigate_embedded_rules", |b| {
        b.iter(|| investigate_all(&embedded))
    });
    if let Some(p) = &corpus {
        g.bench_function("investigate_sigma_corpus", |b| {
            b.iter(|| investigate_all(p))
        });
    }
    g.finish();
    c.final_summary();
}
