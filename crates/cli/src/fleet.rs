//! `soc-copilot serve | ingest | worker | setup`: the fleet roles.

use std::collections::HashMap;
use std::net::SocketAddr;
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

use crate::cli::{FleetArgs, Role, ServeArgs, TailArgs};

/// Loads the configuration: file (`--config` or `SOC_CONFIG`), environment, then flags.
pub(crate) fn load_config(args: &FleetArgs) -> anyhow::Result<Config> {
    let raw = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration `{}`", path.display()))?;
            RawConfig::from_toml(&text).with_context(|| format!("in `{}`", path.display()))?
        }
        None => RawConfig::default(),
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut cfg = raw.build_and_validate(&env)?;
    // Flags get the same checks as the file and environment (errors show no credentials).
    if let Some(u) = &args.nats_url {
        soc_core::config::validate_nats_url(u).context("--nats-url")?;
        cfg.nats.url.clone_from(u);
    }
    if let Some(u) = &args.redis_url {
        soc_core::config::validate_redis_url(u).context("--redis-url")?;
        cfg.redis.url = soc_core::config::Secret::new(u.clone());
    }
    if let Some(n) = args.concurrency {
        anyhow::ensure!(n >= 1, "--concurrency must be at least 1");
        cfg.worker.concurrency = n;
    }
    if let Some(s) = args.graceful_shutdown_secs {
        cfg.worker.shutdown_grace = Duration::from_secs(s);
    }
    Ok(cfg)
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
    let intel_metrics = soc_intel::metrics::IntelMetrics::register(metrics.registry())?;
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

/// `soc-copilot setup`.
pub(crate) async fn setup(args: FleetArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&args)?;
    let names = Names::new(&cfg.nats);
    let client = soc_fleet::jetstream::connect(&cfg.nats.url, "soc-copilot setup").await?;
    let js = async_nats::jetstream::new(client.clone());
    let report = tokio::time::timeout(
        Duration::from_secs(15),
        soc_fleet::jetstream::setup(&js, &names, &cfg),
    )
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "JetStream at `{}` did not answer within 15 s",
            soc_fleet::jetstream::redact_url(&cfg.nats.url)
        )
    })??;
    for line in report.lines {
        println!("{line}");
    }
    let store = Store::new(&cfg.redis, Metrics::new()?)?;
    if store.ping().await {
        println!("redis: reachable");
    } else {
        println!(
            "redis: NOT reachable (workers will run without the investigation store until it is)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `soc-copilot serve | ingest | worker`.
pub(crate) async fn run(role: Role, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&args.fleet)?;
    let names = Names::new(&cfg.nats);
    let metrics = Metrics::new()?;
    let shutdown = soc_fleet::shutdown::token_on_signal();
    let role_name = match role {
        Role::Serve => "serve",
        Role::Ingest => "ingest",
        Role::Worker => "worker",
    };

    // Bind first, so a port conflict fails fast and clearly.
    let ingest_listener = if matches!(role, Role::Serve | Role::Ingest) {
        Some(bind(args.listen, "--listen").await?)
    } else {
        None
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
    if matches!(role, Role::Serve | Role::Worker) {
        let deps = WorkerDeps {
            client: client.clone(),
            names: names.clone(),
            pipeline: pipeline(
                &cfg,
                &metrics,
                crate::rules::load_for_run(&args.fleet.rules)?,
            )?,
            store: Store::new(&cfg.redis, metrics.clone())?,
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
    let cfg = load_config(&args.fleet)?;
    let names = Names::new(&cfg.nats);
    let client = soc_fleet::jetstream::connect(&cfg.nats.url, "soc-copilot tail").await?;
    let stop = soc_fleet::shutdown::token_on_signal();
    let from = if args.new {
        soc_fleet::tail::From::New
    } else {
        soc_fleet::tail::From::Start
    };
    let stdout = std::io::stdout();
    let mut write_error = None;
    soc_fleet::tail::tail(&client, &names, from, args.follow, stop, |payload| {
        let mut out = stdout.lock();
        let r = if args.pretty {
            match serde_json::from_slice::<soc_core::Investigation>(payload) {
                Ok(inv) => writeln!(out, "{}", crate::summary::render(&inv, "")),
                Err(e) => writeln!(out, "(unreadable investigation: {e})"),
            }
        } else {
            out.write_all(payload).and_then(|()| out.write_all(b"\n"))
        };
        if let Err(e) = r {
            write_error.get_or_insert(e);
        }
    })
    .await?;
    if let Some(e) = write_error
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(ExitCode::SUCCESS)
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
            let e = load_config(&fleet_args(&flags)).unwrap_err();
            let shown = format!("{e:#}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains(flags[0]), "{shown}");
        }
        let cfg = load_config(&fleet_args(&[
            "--nats-url",
            "nats://a:4222,tls://u:pw@b:4222",
            "--redis-url",
            "rediss://:pw@r:6380/0",
        ]))
        .unwrap();
        assert_eq!(cfg.nats.url, "nats://a:4222,tls://u:pw@b:4222");
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
