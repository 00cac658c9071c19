//! `soc-copilot serve | ingest | worker | setup | tail`: the fleet roles and tools.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use soc_core::config::{Config, RawConfig};
use soc_fleet::ingest::IngestState;
use soc_fleet::metrics::Metrics;
use soc_fleet::names::Names;
use soc_fleet::store::Store;
use soc_fleet::worker::WorkerDeps;
use soc_investigate::{Pipeline, PipelineConfig};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::cli::{
    FleetArgs, IngestArgs, IngestOpts, RoleOpts, ServeArgs, TailArgs, WorkerArgs, WorkerOpts,
};

/// Loads the configuration: file (`--config` or `SOC_CONFIG`), environment, then the URL
/// flags (`--nats-url` / `NATS_URL`, `--redis-url` / `REDIS_URL`) when given.
pub(crate) fn load_config(
    config: Option<&Path>,
    nats_url: Option<&str>,
    redis_url: Option<&str>,
) -> anyhow::Result<Config> {
    let raw = match config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration `{}`", path.display()))?;
            RawConfig::from_toml(&text).with_context(|| format!("in `{}`", path.display()))?
        }
        None => RawConfig::default(),
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut cfg = raw
        .build_and_validate(&env)
        .map_err(|e| crate::settings::explain(e, &env, config))?;
    // Flags get the same checks as the file and environment (errors show no credentials).
    if let Some(u) = nats_url {
        soc_core::config::validate_nats_url(u).context("--nats-url")?;
        u.clone_into(&mut cfg.nats.url);
    }
    if let Some(u) = redis_url {
        soc_core::config::validate_redis_url(u).context("--redis-url")?;
        cfg.redis.url = soc_core::config::Secret::new(u.to_owned());
    }
    Ok(cfg)
}

/// The configuration of `setup` and the roles.
fn fleet_config(args: &FleetArgs) -> anyhow::Result<Config> {
    load_config(
        args.nats.config.as_deref(),
        args.nats.nats_url.as_deref(),
        args.redis_url.as_deref(),
    )
}

/// Applies the worker flags (`--concurrency`, `--graceful-shutdown-secs`).
fn apply_worker_opts(cfg: &mut Config, opts: &WorkerOpts) -> anyhow::Result<()> {
    if let Some(n) = opts.concurrency {
        anyhow::ensure!(n >= 1, "--concurrency must be at least 1");
        cfg.worker.concurrency = n;
    }
    if let Some(s) = opts.graceful_shutdown_secs {
        cfg.worker.shutdown_grace = Duration::from_secs(s);
    }
    Ok(())
}

/// The history settings of the config file.
fn history_settings(cfg: &Config) -> soc_history::HistorySettings {
    soc_history::HistorySettings {
        retention: cfg.history.retention,
        ruled_retention: cfg.history.ruled_retention,
        ..soc_history::HistorySettings::default()
    }
}

fn pipeline(
    cfg: &Config,
    metrics: &Metrics,
    rules: Arc<soc_detect::sigma::RuleSet>,
) -> anyhow::Result<Arc<Pipeline>> {
    let mut pc = PipelineConfig {
        correlation_window: cfg.history.correlation_window,
        ..PipelineConfig::default()
    };
    pc.ioc
        .internal_domain_suffixes
        .extend(cfg.internal_domain_suffixes.iter().cloned());
    if let Some(path) = &cfg.assets_file {
        pc.assets = Arc::new(crate::investigate::load_assets(path)?);
    }
    let env: HashMap<String, String> = std::env::vars().collect();
    let intel = soc_intel::config::IntelConfig::from_env(&env);
    for line in intel.describe() {
        info!(provider = %line, "Threat intel");
    }
    // Through the fleet's catalogue, so /metrics lists the intel families from the start.
    let intel_metrics = metrics.register_intel()?;
    let conn = soc_intel::cache::SharedRedis::connect_lazy(
        cfg.redis.url.expose(),
        Duration::from_millis(500),
    )
    .map_err(anyhow::Error::msg)?;
    let redis = soc_intel::cache::SharedRedis::new(
        conn,
        &cfg.redis.key_prefix,
        Duration::from_millis(500),
        Some(intel_metrics.clone()),
    );
    let providers = soc_intel::build_stack(&intel, Some(&redis), Some(&intel_metrics))?;
    let mut p = Pipeline::new(pc, providers).with_rules(rules);
    if let Some(t) = crate::llm::tiers(&cfg.llm, &env)? {
        p = p.with_llm(t);
    }
    // The fleet's memory: one Redis store shared by every worker.
    if cfg.history.enabled {
        let history = soc_history::RedisHistory::connect_lazy(
            cfg.redis.url.expose(),
            cfg.redis.key_prefix.clone(),
            history_settings(cfg),
        )
        .map_err(anyhow::Error::msg)?;
        p = p.with_history(Arc::new(history));
    } else {
        info!("history disabled: no prior sightings, correlation, dedup or rulings");
    }
    Ok(Arc::new(p))
}

/// Connects and runs `setup` until it succeeds or `shutdown` fires (NATS may start after
/// us in a deployment).
async fn connect_and_setup(
    cfg: &Config,
    names: &Names,
    role: &str,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<async_nats::Client>> {
    let client =
        soc_fleet::jetstream::connect(&cfg.nats.url, &format!("soc-copilot {role}")).await?;
    let js = async_nats::jetstream::new(client.clone());
    let mut attempt = 0u32;
    loop {
        match soc_fleet::jetstream::setup(&js, names, cfg).await {
            Ok(report) => {
                for line in report.lines {
                    info!(what = %line, "JetStream set up");
                }
                return Ok(Some(client));
            }
            Err(e) => {
                attempt += 1;
                if attempt == 1 || attempt.is_multiple_of(10) {
                    warn!(error = %e, nats = %soc_fleet::jetstream::redact_url(&cfg.nats.url), "JetStream not ready; retrying");
                }
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(None),
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// How long `setup` and `tail` wait for NATS to accept the connection.
const ONE_SHOT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `setup` waits for JetStream to create or check the streams and the consumer.
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// `soc-copilot setup`: the streams and the consumer, then Redis. Both are checked and
/// reported whatever the other's state, and the command fails when either is not ready.
pub(crate) async fn setup(args: FleetArgs) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let cfg = fleet_config(&args)?;
    let names = Names::new(&cfg.nats);
    let mut out = crate::out::stdout();
    let mut problems: Vec<String> = Vec::new();
    match setup_jetstream(&cfg, &names).await {
        Ok(lines) => {
            for line in lines {
                writeln!(out, "{line}")?;
            }
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    let checked = match Store::new(&cfg.redis, Metrics::new()?) {
        Ok(store) => store.check().await,
        Err(e) => Err(e.to_string()),
    };
    match checked {
        Ok(()) => writeln!(out, "redis: reachable")?,
        Err(why) => {
            writeln!(
                out,
                "redis: NOT reachable (workers will run without the investigation store until it is)"
            )?;
            // `why` is the client's reason (a timeout, a refused connection or password,
            // a certificate that does not verify), never the URL.
            problems.push(format!(
                "Redis at `{}` is not reachable: {why}",
                soc_fleet::jetstream::redact_url(cfg.redis.url.expose()),
            ));
        }
    }
    out.flush()?;
    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(anyhow::anyhow!(problems.join("; ")))
    }
}

/// Connects once (no retries: `setup` is a pre-flight check) and creates or updates the
/// streams and the consumer; returns the report's lines.
async fn setup_jetstream(cfg: &Config, names: &Names) -> anyhow::Result<Vec<String>> {
    let client = soc_fleet::jetstream::connect_once(
        &cfg.nats.url,
        "soc-copilot setup",
        ONE_SHOT_CONNECT_TIMEOUT,
    )
    .await?;
    let js = async_nats::jetstream::new(client.clone());
    let report = tokio::time::timeout(SETUP_TIMEOUT, soc_fleet::jetstream::setup(&js, names, cfg))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "JetStream at `{}` did not answer within {} s",
                soc_fleet::jetstream::redact_url(&cfg.nats.url),
                SETUP_TIMEOUT.as_secs()
            )
        })?
        .with_context(|| {
            format!(
                "NATS at `{}`",
                soc_fleet::jetstream::redact_url(&cfg.nats.url)
            )
        })?;
    Ok(report.lines)
}

/// `soc-copilot serve`.
pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    run("serve", args.role, Some(args.ingest), Some(args.worker)).await
}

/// `soc-copilot ingest`.
pub(crate) async fn ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    run("ingest", args.role, Some(args.ingest), None).await
}

/// `soc-copilot worker`.
pub(crate) async fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    run("worker", args.role, None, Some(args.worker)).await
}

/// Runs the ingest API when `ingest` is given and a worker when `worker` is.
async fn run(
    role_name: &'static str,
    args: RoleOpts,
    ingest: Option<IngestOpts>,
    worker: Option<WorkerOpts>,
) -> anyhow::Result<ExitCode> {
    let mut cfg = fleet_config(&args.fleet)?;
    if let Some(w) = &worker {
        apply_worker_opts(&mut cfg, w)?;
    }
    let names = Names::new(&cfg.nats);
    let metrics = Metrics::new()?;
    let shutdown = soc_fleet::shutdown::token_on_signal();

    // Bind first, so a port conflict fails fast and clearly.
    let ingest_listener = match &ingest {
        Some(i) => Some(bind(i.listen, "--listen").await?),
        None => None,
    };
    let metrics_listener = match args.metrics_listen.as_deref() {
        Some("none") | Some("off") => None,
        Some(addr) => Some(
            bind(
                addr.parse()
                    .with_context(|| format!("invalid --metrics-listen `{addr}`"))?,
                "--metrics-listen",
            )
            .await?,
        ),
        None => Some(bind(SocketAddr::from(([127, 0, 0, 1], 9464)), "--metrics-listen").await?),
    };
    if let Some(l) = &metrics_listener {
        info!(listen = %l.local_addr()?, "Metrics on /metrics");
    }

    // What the worker builds from the configuration (models, prompts, rules, assets, the
    // store's client), before NATS: a mistake there stops the process at once, not after
    // a connection that may never come.
    let worker_parts = match &worker {
        Some(w) => Some((
            pipeline(&cfg, &metrics, crate::rules::load_for_run(&w.rules)?)?,
            Store::new(&cfg.redis, metrics.clone())?,
        )),
        None => None,
    };

    let Some(client) = connect_and_setup(&cfg, &names, role_name, &shutdown).await? else {
        info!("Stopped before NATS was ready");
        return Ok(ExitCode::SUCCESS);
    };

    let mut roles: JoinSet<(&'static str, Result<(), soc_fleet::FleetError>)> = JoinSet::new();
    if let Some(l) = metrics_listener {
        let m = metrics.clone();
        let t = shutdown.clone();
        roles.spawn(async move { ("metrics", soc_fleet::metrics::serve(l, m, t).await) });
    }
    if let Some(l) = ingest_listener {
        let mut state = IngestState::new(
            client.clone(),
            names.clone(),
            cfg.ingest.clone(),
            metrics.clone(),
        );
        if cfg.history.enabled {
            // The fleet's history, for the ruling endpoints (its own lazy connection).
            let history = soc_history::RedisHistory::connect_lazy(
                cfg.redis.url.expose(),
                cfg.redis.key_prefix.clone(),
                history_settings(&cfg),
            )
            .map_err(anyhow::Error::msg)?;
            state = state.with_history(Arc::new(history));
        }
        let t = shutdown.clone();
        roles.spawn(async move { ("ingest", soc_fleet::ingest::run(l, state, t).await) });
    }
    if let Some((pipeline, store)) = worker_parts {
        let deps = WorkerDeps {
            client: client.clone(),
            names: names.clone(),
            pipeline,
            store,
            metrics: metrics.clone(),
            cfg: cfg.clone(),
            unstored: Default::default(),
        };
        let t = shutdown.clone();
        roles.spawn(async move { ("worker", soc_fleet::worker::run(deps, t).await) });
    }

    // A role that ends before shutdown was asked for brings the others down.
    let mut failed = false;
    while let Some(joined) = roles.join_next().await {
        match joined {
            Ok((name, Ok(()))) => {
                if !shutdown.is_cancelled() {
                    error!(role = name, "Role exited unexpectedly; shutting down");
                    failed = true;
                    shutdown.cancel();
                }
            }
            Ok((name, Err(e))) => {
                error!(role = name, error.message = %e, "Role failed; shutting down");
                failed = true;
                shutdown.cancel();
            }
            Err(e) => {
                error!(error.message = %e, "Role task panicked; shutting down");
                failed = true;
                shutdown.cancel();
            }
        }
    }
    final_flush(&client, FINAL_FLUSH_TIMEOUT).await;
    info!(role = role_name, "Stopped");
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How long shutdown waits for the last NATS writes.
const FINAL_FLUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// Flushes the client's buffered writes, giving up after `timeout`: while NATS is
/// unreachable the client is reconnecting and a flush would wait for ever. Results and
/// dead letters were already confirmed by the server (publish acks are awaited), so what
/// an unfinished flush can lose is only acks and naks, and those alerts are redelivered:
/// nothing is lost. Returns whether the flush completed.
async fn final_flush(client: &async_nats::Client, timeout: Duration) -> bool {
    match tokio::time::timeout(timeout, client.flush()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            warn!(error = %e, "Final NATS flush failed; unsent acks mean those alerts are redelivered, nothing is lost");
            false
        }
        Err(_) => {
            warn!(
                timeout_secs = timeout.as_secs_f64(),
                "Final NATS flush timed out (NATS unreachable?); unsent acks mean those alerts are redelivered, nothing is lost"
            );
            false
        }
    }
}

async fn bind(addr: SocketAddr, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({flag})"))
}

/// `soc-copilot tail`.
pub(crate) async fn tail(args: TailArgs) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let cfg = load_config(
        args.nats.config.as_deref(),
        args.nats.nats_url.as_deref(),
        None,
    )?;
    let names = Names::new(&cfg.nats);
    // Fail at once when NATS cannot be reached; once connected, the client reconnects
    // as usual (a --follow outlives a server restart).
    let client = soc_fleet::jetstream::connect_once(
        &cfg.nats.url,
        "soc-copilot tail",
        ONE_SHOT_CONNECT_TIMEOUT,
    )
    .await?;
    let stop = soc_fleet::shutdown::token_on_signal();
    let from = if args.new {
        soc_fleet::tail::From::New
    } else {
        soc_fleet::tail::From::Start
    };
    let mut out = crate::out::stdout();
    let mut write_error = None;
    // A failed write (the reader went away) ends the tail, --follow included.
    let halt = stop.clone();
    soc_fleet::tail::tail_messages(&client, &names, from, args.follow, stop, |message| {
        if write_error.is_some() {
            return;
        }
        let r = if args.pretty {
            let key = soc_fleet::tail::alert_key(message);
            match serde_json::from_slice::<soc_core::Investigation>(&message.payload) {
                Ok(inv) => writeln!(
                    out,
                    "{}",
                    crate::summary::render_with_id(&inv, &tail_id(&inv, key), &tail_headline(&inv))
                ),
                Err(e) => writeln!(out, "(unreadable investigation: {e})"),
            }
        } else {
            out.write_all(&message.payload)
                .and_then(|()| out.write_all(b"\n"))
        };
        if let Err(e) = r {
            write_error.get_or_insert(e);
            halt.cancel();
        }
    })
    .await?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The alert as `tail --pretty` names it: the alert's key from the message's
/// `Nats-Msg-Id` (`<source>:<alert_id>`, so the same alert id from two sources stays
/// apart), or the bare alert id when the message has no key.
fn tail_id(inv: &soc_core::Investigation, key: Option<&str>) -> String {
    match key {
        Some(k) if !k.is_empty() => k.to_owned(),
        _ => inv.alert_id.clone(),
    }
}

/// What `tail --pretty` shows next to the alert's key. The published investigation does
/// not carry the alert's title, so it shows the investigation id: what
/// `soc-copilot ruling` takes.
fn tail_headline(inv: &soc_core::Investigation) -> String {
    format!("investigation {}", inv.investigation_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn fleet_args(flags: &[&str]) -> FleetArgs {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            fleet: FleetArgs,
        }
        let argv = std::iter::once("soc-copilot").chain(flags.iter().copied());
        Cli::parse_from(argv).fleet
    }

    #[test]
    fn url_flags_are_validated_without_showing_credentials() {
        for flags in [
            ["--nats-url", "user:s3cret@nats:4222"],
            ["--nats-url", "http://user:s3cret@nats:4222"],
            ["--redis-url", "user:s3cret@redis:6379"],
        ] {
            let e = fleet_config(&fleet_args(&flags)).unwrap_err();
            let shown = format!("{e:#}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains(flags[0]), "{shown}");
        }
        let cfg = fleet_config(&fleet_args(&[
            "--nats-url",
            "nats://a:4222,tls://u:pw@b:4222",
            "--redis-url",
            "rediss://:pw@r:6380/0",
        ]))
        .unwrap();
        assert_eq!(cfg.nats.url, "nats://a:4222,tls://u:pw@b:4222");
    }

    #[test]
    fn worker_flags_override_the_configuration() {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            worker: WorkerOpts,
        }
        let opts = Cli::parse_from([
            "soc-copilot",
            "--concurrency",
            "3",
            "--graceful-shutdown-secs",
            "7",
        ])
        .worker;
        let mut cfg = Config::default();
        apply_worker_opts(&mut cfg, &opts).unwrap();
        assert_eq!(cfg.worker.concurrency, 3);
        assert_eq!(cfg.worker.shutdown_grace, Duration::from_secs(7));
        let zero = Cli::parse_from(["soc-copilot", "--concurrency", "0"]).worker;
        let e = apply_worker_opts(&mut cfg, &zero).unwrap_err();
        assert!(e.to_string().contains("--concurrency"), "{e}");
    }

    #[tokio::test]
    async fn final_flush_gives_up_when_nats_is_unreachable() {
        // A port nothing listens on: the client keeps reconnecting and never flushes.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = soc_fleet::jetstream::connect(&format!("nats://127.0.0.1:{port}"), "test")
            .await
            .unwrap();
        client.publish("soc.test", "unsent".into()).await.unwrap();
        let done = tokio::time::timeout(
            Duration::from_secs(10),
            final_flush(&client, Duration::from_millis(200)),
        )
        .await;
        assert_eq!(done, Ok(false), "the final flush must be bounded");
    }
}
