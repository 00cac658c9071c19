//! soc-loadtest: drives a soc-copilot worker fleet on real NATS JetStream and Redis with a
//! realistic alert stream and reports what it sustained.
//!
//! One invocation prints one report; every figure in it is measured in that invocation,
//! and throughput is given as a ratio of the raw JetStream baseline measured first on the
//! same server with the same payloads. Nothing here asserts a timing.
//!
//! # Layout
//!
//! - [`generate`]: the alert stream (families, Zipf-distributed indicator pools,
//!   near-duplicates), deterministic for a seed.
//! - [`fleet`]: the servers (spawned through soc-testkit or given by URL) and the
//!   `soc-copilot worker` processes.
//! - [`measure`]: publishing with windowed acks, the raw JetStream baseline, one pipeline
//!   pass (publish alerts, read investigations).
//! - [`report`]: figures from a pass, the machine, the text and JSON report.
//! - [`stats`]: percentiles and the token bucket behind `--rate`.

mod cpu;
mod fleet;
mod generate;
mod history;
mod measure;
mod report;
mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail, ensure};
use async_nats::jetstream;
use clap::Parser;

use crate::fleet::{ALERTS_STREAM, DLQ_STREAM, INVESTIGATIONS_STREAM, Servers, Workers};
use crate::generate::{GenConfig, GeneratedAlert};
use crate::report::{Report, RunReport, Settings, WarmUp};

/// Load test for the soc-copilot fleet.
///
/// Generates a realistic alert stream (SSH/RDP brute force, mail attachments run from the
/// Outlook cache, certutil/bitsadmin downloads, encoded PowerShell, LSASS access,
/// scheduled tasks, DNS beacons, connections to listed IPs; Zipf-distributed indicators;
/// a share of near-duplicates), measures the raw JetStream baseline with the same
/// payloads, then publishes the stream to `soc.alerts.<source>` for N `soc-copilot worker`
/// processes and reads `soc.investigations.>` until every alert has its investigation.
///
/// Prints throughput (and its ratio to the baseline), end-to-end latency percentiles,
/// investigations by deciding tier and verdict, upstream intel calls per distinct
/// looked-up indicator, cache hits, cost per alert, duplicates on the output stream, and
/// (Linux, spawned servers) the CPU time per alert of each process: workers, nats-server,
/// redis-server and the load test itself. Exits 1 when an alert got no investigation before the timeout or one got two.
#[derive(Debug, Parser)]
#[command(name = "soc-loadtest", version, about, long_about)]
struct Args {
    /// Alerts per pass.
    #[arg(long, default_value_t = 20_000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    alerts: u64,
    /// Worker processes: one count, or a comma-separated list (`1,2,4`) to run the
    /// pipeline once per count (fresh servers each time, or purged streams with
    /// --nats-url) and print a scaling table: throughput and throughput / (N x the
    /// smallest count's throughput per worker).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1",
        value_name = "N[,N...]"
    )]
    workers: Vec<usize>,
    /// Alerts each worker investigates at once (SOC_WORKER__CONCURRENCY).
    #[arg(long, default_value_t = 32, value_name = "N")]
    concurrency: usize,
    /// The soc-copilot binary [default: target/release/soc-copilot in the workspace].
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Use this NATS server instead of spawning one. Its SOC_ALERTS and SOC_INVESTIGATIONS
    /// streams are PURGED before each run, and a LOADTEST_BASELINE stream is created and
    /// deleted.
    #[arg(long, value_name = "URL")]
    nats_url: Option<String>,
    /// Use this Redis instead of spawning one (alert ids are unique per invocation, so
    /// stored investigations of earlier runs are never reused; nothing is deleted).
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
    /// Seed of the generated stream: the same seed gives the same alerts (ids carry a
    /// per-invocation tag).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Zipf exponent of indicator popularity (rank k is drawn with weight 1/k^s).
    #[arg(long, default_value_t = 1.1, value_name = "S")]
    zipf_s: f64,
    /// Values per indicator pool (external IPs, domains, files, users, hosts).
    #[arg(long, default_value_t = 5_000, value_name = "N")]
    pool: usize,
    /// Share of alerts that are near-duplicates of an earlier one (new id, timestamp and
    /// counters; same indicators, host and title).
    #[arg(long, default_value_t = 0.2, value_name = "SHARE")]
    dup_share: f64,
    /// Publish at this many alerts per second (token bucket) instead of flat out.
    #[arg(long, value_name = "R", conflicts_with = "half_rate")]
    rate: Option<f64>,
    /// After the flat-out pass, run again at half its measured throughput and report
    /// p50/p95/p99 latency at that rate.
    #[arg(long)]
    half_rate: bool,
    /// Publish the whole stream once first and wait for it, then measure a second pass
    /// with new alert ids and the same indicators (warm caches); only the second pass is
    /// reported.
    #[arg(long)]
    warm: bool,
    /// Seconds a pass may take from its first publish until every alert is investigated;
    /// on expiry the missing alerts are reported.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    timeout: u64,
    /// Also write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the generated stream to FILE as NDJSON and exit, without running anything.
    #[arg(long, value_name = "FILE")]
    dump_alerts: Option<PathBuf>,
    /// Serve a scripted mock LLM (Anthropic Messages format) that answers every call after
    /// MS milliseconds, and run the workers in `pipeline` mode so every alert waits on one
    /// model call: throughput is then bound by the model, as in production with LLM tiers.
    #[arg(long, value_name = "MS")]
    llm_latency_ms: Option<u64>,
    /// Run the workers without the fleet's memory (SOC_HISTORY__ENABLED=false): no prior
    /// sightings, correlation, near-duplicate suppression or rulings.
    #[arg(long)]
    no_history: bool,
    /// Tor exit list whose addresses are mixed into the external IPs [default:
    /// crates/intel/data/feeds/tor-exit-nodes.csv in the workspace].
    #[arg(long, value_name = "CSV")]
    feed: Option<PathBuf>,
}

/// mimalloc, as in the worker: the load test shares the machine with what it measures
/// (it parses every investigation it reads and serves the mock model), so its own
/// allocations are kept cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("soc-loadtest: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// The workspace root: the nearest ancestor of the current directory whose Cargo.toml
/// declares `[workspace]`, else the one this binary was built in.
fn workspace_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let manifest = dir.join("Cargo.toml");
            if std::fs::read_to_string(&manifest).is_ok_and(|t| t.contains("[workspace]")) {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A short tag that makes this invocation's alert ids unique.
fn invocation_tag() -> String {
    let mut n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        % 36u128.pow(6);
    let mut tag = Vec::new();
    for _ in 0..6 {
        tag.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
    }
    tag.reverse();
    String::from_utf8_lossy(&tag).into_owned()
}

fn check(args: &Args) -> anyhow::Result<()> {
    ensure!(
        !args.workers.is_empty(),
        "--workers needs at least one count"
    );
    ensure!(
        args.workers.iter().all(|&w| (1..=64).contains(&w)),
        "--workers: each count must be between 1 and 64"
    );
    ensure!(
        (1..=4096).contains(&args.concurrency),
        "--concurrency must be between 1 and 4096"
    );
    ensure!(
        (0.0..=1.0).contains(&args.dup_share),
        "--dup-share must be between 0 and 1"
    );
    ensure!(
        args.zipf_s > 0.0 && args.zipf_s.is_finite(),
        "--zipf-s must be positive"
    );
    ensure!(args.pool >= 1, "--pool must be at least 1");
    ensure!(args.timeout >= 1, "--timeout must be at least 1 s");
    if let Some(r) = args.rate {
        ensure!(r > 0.0 && r.is_finite(), "--rate must be positive");
    }
    Ok(())
}

async fn stream_messages(js: &jetstream::Context, name: &str) -> Option<u64> {
    let mut s = js.get_stream(name).await.ok()?;
    s.info().await.ok().map(|i| i.state.messages)
}

async fn run(args: Args) -> anyhow::Result<bool> {
    check(&args)?;
    let root = workspace_root();
    let bin = args
        .bin
        .clone()
        .unwrap_or_else(|| root.join("target/release/soc-copilot"));
    if !bin.is_file() {
        bail!(
            "the soc-copilot binary `{}` is missing: build it with cargo build --release -p soc-copilot (or pass --bin PATH)",
            bin.display()
        );
    }
    let feed = args
        .feed
        .clone()
        .unwrap_or_else(|| root.join("crates/intel/data/feeds/tor-exit-nodes.csv"));
    let listed_ips = match generate::load_listed_ips(&feed) {
        Ok(ips) => ips,
        Err(e) => {
            eprintln!(
                "soc-loadtest: warning: {e:#}; no real listed addresses in the stream, so offline intel will not hit"
            );
            Vec::new()
        }
    };
    let log_dir = tempfile::Builder::new()
        .prefix("soc-loadtest-")
        .tempdir()
        .context("creating the log directory")?
        .keep();
    let n = usize::try_from(args.alerts).context("--alerts")?;
    let cfg = GenConfig {
        seed: args.seed,
        pool: args.pool,
        zipf_s: args.zipf_s,
        dup_share: args.dup_share,
        listed_ips,
    };
    let alerts = generate::generate(&cfg, n, "gen");
    if let Some(path) = &args.dump_alerts {
        let mut text = String::new();
        for a in &alerts {
            text.push_str(&serde_json::to_string(&a.value)?);
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("writing `{}`", path.display()))?;
        eprintln!("soc-loadtest: wrote {n} alerts to {}", path.display());
        return Ok(true);
    }
    let near_dups = alerts.iter().filter(|a| a.duplicate_of.is_some()).count();
    let mut families = BTreeMap::new();
    let mut bytes = 0usize;
    for a in &alerts {
        *families.entry(a.family.to_owned()).or_insert(0) += 1;
        bytes += serde_json::to_vec(&a.value).map_or(0, |v| v.len());
    }
    let tag = invocation_tag();
    let machine = report::Machine::detect();
    let timeout = Duration::from_secs(args.timeout);

    // The mock LLM lives for the whole invocation; workers reach it by env.
    let llm = match args.llm_latency_ms {
        Some(ms) => {
            let answer = serde_json::json!({"verdict": "inconclusive", "confidence": "low",
                "hypothesis": "Scripted load-test answer.", "attack_techniques": [],
                "escalation_recommended": true, "escalation_draft": null});
            let mock =
                soc_testkit::llm_mock::MockLlm::builder(soc_testkit::llm_mock::Flavor::Anthropic)
                    .api_key("soc-loadtest")
                    .script(vec![
                        soc_testkit::llm_mock::Turn::final_json(&answer)
                            .delayed(Duration::from_millis(ms)),
                    ])
                    .on_exhausted(soc_testkit::llm_mock::OnExhausted::RepeatLast)
                    // Counted and validated, not kept: memory flat over a long run.
                    .keep_requests(false)
                    .start()
                    .await;
            eprintln!(
                "soc-loadtest: mock LLM at {} answers after {ms} ms; workers run in pipeline mode",
                mock.base_url()
            );
            Some(mock)
        }
        None => None,
    };
    let mut llm_env: Vec<(String, String)> = llm.as_ref().map_or_else(Vec::new, |m| {
        vec![
            ("ANTHROPIC_API_KEY".to_owned(), "soc-loadtest".to_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), m.base_url()),
            ("SOC_LLM__MODE".to_owned(), "pipeline".to_owned()),
        ]
    });
    if args.no_history {
        llm_env.push(("SOC_HISTORY__ENABLED".to_owned(), "false".to_owned()));
    }
    let mut baseline = None;
    let mut runs = Vec::new();
    let mut clean = true;
    for &workers in &args.workers {
        let r = run_one(
            &args,
            &bin,
            workers,
            &alerts,
            near_dups,
            &format!("LT-{tag}-{workers}w"),
            &log_dir,
            timeout,
            &mut baseline,
            &llm_env,
        )
        .await?;
        let passes = std::iter::once(&r.measured).chain(r.half_rate.as_ref());
        for p in passes {
            clean &= p.missing == 0 && p.output_duplicates == 0;
        }
        runs.push(r);
    }
    let baseline = baseline.ok_or_else(|| anyhow!("no baseline was measured"))?;
    let report = Report {
        machine,
        settings: Settings {
            alerts: n,
            workers: args.workers.clone(),
            concurrency: args.concurrency,
            seed: args.seed,
            zipf_s: args.zipf_s,
            pool: args.pool,
            dup_share: args.dup_share,
            rate: args.rate,
            warm: args.warm,
            half_rate: args.half_rate,
            own_servers: args.nats_url.is_none(),
            llm_latency_ms: args.llm_latency_ms,
            history: !args.no_history,
            llm_calls: llm.as_ref().map(soc_testkit::llm_mock::MockLlm::calls),
            llm_malformed: llm.as_ref().map(|m| m.violations().len()),
            bin: bin.display().to_string(),
            families,
            mean_alert_bytes: bytes / n.max(1),
        },
        baseline,
        scaling: report::scaling(&runs),
        runs,
        log_dir: log_dir.display().to_string(),
    };
    // A request the mock found malformed would mean the model path under load is broken.
    clean &= report.settings.llm_malformed.unwrap_or(0) == 0;
    print!("{}", report::render(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing `{}`", path.display()))?;
    }
    Ok(clean)
}

/// The alerts again with ids `<prefix>-<index>`, as payloads on `soc.alerts.<source>`.
fn batch(alerts: &[GeneratedAlert], prefix: &str) -> anyhow::Result<Vec<measure::Payload>> {
    measure::payloads(
        &generate::reidentify(alerts, prefix),
        fleet::ALERT_SUBJECT_ROOT,
    )
}

/// One worker count: servers, setup, (baseline the first time), workers, passes.
#[allow(clippy::too_many_arguments)]
async fn run_one(
    args: &Args,
    bin: &Path,
    workers: usize,
    alerts: &[GeneratedAlert],
    near_dups: usize,
    id_prefix: &str,
    log_dir: &Path,
    timeout: Duration,
    baseline: &mut Option<measure::Baseline>,
    extra_env: &[(String, String)],
) -> anyhow::Result<RunReport> {
    eprintln!(
        "soc-loadtest: run with {workers} worker(s): {}",
        if args.nats_url.is_some() && args.redis_url.is_some() {
            "using the given servers"
        } else {
            "starting servers"
        }
    );
    let servers = Servers::start(args.nats_url.as_deref(), args.redis_url.as_deref()).await?;
    fleet::setup(bin, &servers).await?;
    let client = async_nats::ConnectOptions::new()
        .name("soc-loadtest")
        .connect(&servers.nats_url)
        .await
        .with_context(|| format!("connecting to {}", servers.nats_url))?;
    let js = jetstream::new(client.clone());
    if !servers.own_nats() {
        for name in [ALERTS_STREAM, INVESTIGATIONS_STREAM] {
            let stream = js
                .get_stream(name)
                .await
                .map_err(|e| anyhow!("get stream {name}: {e}"))?;
            stream
                .purge()
                .await
                .map_err(|e| anyhow!("purge {name}: {e}"))?;
        }
    }
    if baseline.is_none() {
        let mut s = js
            .get_stream(ALERTS_STREAM)
            .await
            .map_err(|e| anyhow!("get stream {ALERTS_STREAM}: {e}"))?;
        let window = s
            .info()
            .await
            .map_err(|e| anyhow!("stream info {ALERTS_STREAM}: {e}"))?
            .config
            .duplicate_window;
        eprintln!("soc-loadtest: measuring the raw JetStream baseline");
        let watch = servers.cpu_watch();
        let cpu_before = watch.snapshot();
        let mut b = measure::baseline(&client, &js, alerts, window, timeout).await?;
        b.cpu = cpu_before
            .zip(watch.snapshot())
            .and_then(|(before, after)| before.split(&after, b.messages));
        *baseline = Some(b);
    }
    let baseline_tp = baseline.as_ref().map(|b| b.throughput);
    let dlq_before = stream_messages(&js, DLQ_STREAM).await;
    let memory_before = history::used_memory(&servers.redis_url).await.ok();

    eprintln!("soc-loadtest: starting {workers} worker(s)");
    let mut procs = Workers::spawn(
        bin,
        &servers,
        workers,
        args.concurrency,
        log_dir,
        &format!("{workers}w"),
        extra_env,
    )?;
    procs.wait_ready(&js).await?;

    let mut published = 0;
    let warm_up = if args.warm {
        let batch = batch(alerts, &format!("{id_prefix}-warm"))?;
        published += batch.len();
        let p = measure::pass(&js, batch, None, timeout, &format!("{workers}w warm-up")).await?;
        let r = report::pass_report("warm-up", &p, near_dups, None);
        Some(WarmUp {
            alerts: r.alerts,
            investigated: r.investigated,
            elapsed_s: r.elapsed_s,
            throughput: r.throughput,
        })
    } else {
        None
    };
    let measured_batch = batch(alerts, &format!("{id_prefix}-m"))?;
    published += measured_batch.len();
    let mut watch = servers.cpu_watch();
    procs.watch(&mut watch);
    let cpu_before = watch.snapshot();
    let label = if args.rate.is_some() {
        "paced"
    } else {
        "flat out"
    };
    let p = measure::pass(
        &js,
        measured_batch,
        args.rate,
        timeout,
        &format!("{workers}w {label}"),
    )
    .await?;
    let cpu_after = watch.snapshot();
    let mut measured = report::pass_report(label, &p, near_dups, baseline_tp);
    measured.cpu = cpu_before
        .zip(cpu_after)
        .and_then(|(before, after)| before.split(&after, measured.alerts));
    drop(p);
    let half_rate = if args.half_rate && measured.throughput > 0.0 {
        let rate = measured.throughput * 0.5;
        let batch = batch(alerts, &format!("{id_prefix}-h"))?;
        published += batch.len();
        let p = measure::pass(
            &js,
            batch,
            Some(rate),
            timeout,
            &format!("{workers}w half rate"),
        )
        .await?;
        Some(report::pass_report("half rate", &p, near_dups, baseline_tp))
    } else {
        None
    };
    procs.check_alive()?;
    let output_stream_messages = stream_messages(&js, INVESTIGATIONS_STREAM).await;
    let dead_letters = match (dlq_before, stream_messages(&js, DLQ_STREAM).await) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let logs = procs.logs();
    let workers_exit = procs.stop().await;
    // The memory the run left in Redis, and how fast it answers (workers stopped, so
    // the lookups have the machine to themselves).
    let investigated = measured.investigated
        + warm_up.as_ref().map_or(0, |w| w.investigated)
        + half_rate.as_ref().map_or(0, |h| h.investigated);
    let history = match memory_before {
        Some(before) if servers.own_redis() && !args.no_history => {
            match history::measure(&servers.redis_url, before, investigated, alerts, 1000).await {
                Ok(h) => Some(h),
                Err(e) => {
                    eprintln!("soc-loadtest: history figures unavailable: {e:#}");
                    None
                }
            }
        }
        _ => None,
    };
    let worker_log_lines = logs
        .iter()
        .map(|l| {
            std::fs::read_to_string(l)
                .map(|t| t.lines().filter(|x| !x.trim().is_empty()).count())
                .unwrap_or(0)
        })
        .sum();
    drop(js);
    drop(client);
    drop(servers);
    Ok(RunReport {
        workers,
        warm_up,
        measured,
        half_rate,
        output_stream_messages,
        alerts_published: published,
        dead_letters,
        workers_exit,
        worker_log_lines,
        history,
    })
}
