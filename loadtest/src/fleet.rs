//! The system under test: the servers (spawned through soc-testkit, or given by URL) and
//! the `soc-copilot worker` processes.
//!
//! Names on the wire are the fleet's contract (DESIGN §4), repeated here so the load test
//! measures the fleet from the outside, as a forwarder and a sink would.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use async_nats::jetstream;
use soc_testkit::{NatsServer, RedisServer};
use tokio::process::{Child, Command};

/// The alert stream.
pub(crate) const ALERTS_STREAM: &str = "SOC_ALERTS";
/// The investigation stream.
pub(crate) const INVESTIGATIONS_STREAM: &str = "SOC_INVESTIGATIONS";
/// The dead-letter stream.
pub(crate) const DLQ_STREAM: &str = "SOC_DLQ";
/// The workers' shared durable consumer.
pub(crate) const CONSUMER: &str = "investigators";
/// Alerts are published to `soc.alerts.<source>`.
pub(crate) const ALERT_SUBJECT_ROOT: &str = "soc.alerts";
/// Every investigation subject.
pub(crate) const INVESTIGATIONS_FILTER: &str = "soc.investigations.>";

/// NATS and Redis for one run.
#[derive(Debug)]
pub(crate) struct Servers {
    // Kept alive for the run: dropping them kills the processes.
    _nats: Option<NatsServer>,
    _redis: Option<RedisServer>,
    /// NATS URL.
    pub(crate) nats_url: String,
    /// Redis URL.
    pub(crate) redis_url: String,
}

impl Servers {
    /// Spawns what is not given by URL.
    pub(crate) async fn start(
        nats_url: Option<&str>,
        redis_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let (nats, nats_url) = match nats_url {
            Some(u) => (None, u.to_owned()),
            None => {
                let s = NatsServer::start().await.context("starting nats-server")?;
                let u = s.url();
                (Some(s), u)
            }
        };
        let (redis, redis_url) = match redis_url {
            Some(u) => (None, u.to_owned()),
            None => {
                let s = RedisServer::start()
                    .await
                    .context("starting redis-server")?;
                let u = s.url();
                (Some(s), u)
            }
        };
        Ok(Self {
            _nats: nats,
            _redis: redis,
            nats_url,
            redis_url,
        })
    }

    /// True when this process started the Redis server (so its memory is the run's).
    pub(crate) fn own_redis(&self) -> bool {
        self._redis.is_some()
    }

    /// True when this process started the NATS server (so its streams are fresh).
    pub(crate) fn own_nats(&self) -> bool {
        self._nats.is_some()
    }

    /// The spawned servers and this process, for CPU accounting (servers given by URL
    /// are not counted: they may serve others).
    pub(crate) fn cpu_watch(&self) -> crate::cpu::Watch {
        let mut w = crate::cpu::Watch::default();
        w.add(
            crate::cpu::Role::NatsServer,
            self._nats.as_ref().and_then(NatsServer::pid),
        );
        w.add(
            crate::cpu::Role::RedisServer,
            self._redis.as_ref().and_then(RedisServer::pid),
        );
        w.add(crate::cpu::Role::LoadTest, Some(std::process::id()));
        w
    }
}

fn base_command(bin: &Path, servers: &Servers) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env("NATS_URL", &servers.nats_url)
        .env("REDIS_URL", &servers.redis_url)
        .env("SOC_METRICS_LISTEN", "none")
        .env("RUST_LOG", "warn")
        // Settings from the caller's shell must not change what is measured.
        .env_remove("SOC_CONFIG")
        .env_remove("SOC_WORKER_CONCURRENCY")
        .env_remove("SOC_NATS__URL")
        .env_remove("SOC_REDIS__URL")
        .env_remove("SOC_NATS__NAME_PREFIX")
        .env_remove("SOC_NATS__SUBJECT_ROOT")
        // No model unless the load test serves one (--llm-latency-ms).
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SOC_LLM__MODE")
        .env_remove("SOC_HISTORY__ENABLED")
        .env_remove("SOC_LLM__CHEAP_MODEL")
        .env_remove("SOC_LLM__STRONG_MODEL")
        .stdin(Stdio::null());
    cmd
}

/// Runs `soc-copilot setup` once and returns what it printed.
pub(crate) async fn setup(bin: &Path, servers: &Servers) -> anyhow::Result<String> {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        base_command(bin, servers).arg("setup").output(),
    )
    .await
    .context("`soc-copilot setup` did not finish within 60 s")?
    .with_context(|| format!("running `{} setup`", bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "`{} setup` failed ({}):\n{stdout}{}",
            bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// The worker processes of one run.
#[derive(Debug)]
pub(crate) struct Workers {
    procs: Vec<(Child, PathBuf)>,
}

impl Workers {
    /// Starts `n` workers with `concurrency` each; stderr goes to `<log_dir>/<tag>-worker-<i>.log`.
    pub(crate) fn spawn(
        bin: &Path,
        servers: &Servers,
        n: usize,
        concurrency: usize,
        log_dir: &Path,
        tag: &str,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let mut procs = Vec::with_capacity(n);
        for i in 1..=n {
            let log = log_dir.join(format!("{tag}-worker-{i}.log"));
            let file = std::fs::File::create(&log)
                .with_context(|| format!("creating `{}`", log.display()))?;
            let child = base_command(bin, servers)
                .arg("worker")
                .env("SOC_WORKER__CONCURRENCY", concurrency.to_string())
                .envs(extra_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .stdout(Stdio::null())
                .stderr(file)
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("starting `{} worker`", bin.display()))?;
            procs.push((child, log));
        }
        Ok(Self { procs })
    }

    /// Fails, with the end of its log, if a worker has exited.
    pub(crate) fn check_alive(&mut self) -> anyhow::Result<()> {
        for (i, (child, log)) in self.procs.iter_mut().enumerate() {
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "worker {} exited early ({status}); end of {}:\n{}",
                    i + 1,
                    log.display(),
                    log_tail(log, 15)
                );
            }
        }
        Ok(())
    }

    /// Waits until every worker has a pull request waiting on the consumer (they are
    /// attached and idle), so start-up is not part of the measurement.
    pub(crate) async fn wait_ready(&mut self, js: &jetstream::Context) -> anyhow::Result<()> {
        let want = self.procs.len();
        let deadline = Instant::now() + Duration::from_secs(60);
        let stream = js
            .get_stream(ALERTS_STREAM)
            .await
            .map_err(|e| anyhow::anyhow!("get stream {ALERTS_STREAM}: {e}"))?;
        loop {
            self.check_alive()?;
            let mut consumer: jetstream::consumer::PullConsumer = stream
                .get_consumer(CONSUMER)
                .await
                .map_err(|e| anyhow::anyhow!("get consumer {CONSUMER}: {e}"))?;
            let waiting = consumer
                .info()
                .await
                .map(|i| i.num_waiting)
                .unwrap_or_default();
            if waiting >= want {
                return Ok(());
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "soc-loadtest: only {waiting} of {want} workers are pulling after 60 s; measuring anyway"
                );
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Adds the worker processes to a CPU watch.
    pub(crate) fn watch(&self, w: &mut crate::cpu::Watch) {
        for (child, _) in &self.procs {
            w.add(crate::cpu::Role::Workers, child.id());
        }
    }

    /// The log files.
    pub(crate) fn logs(&self) -> Vec<PathBuf> {
        self.procs.iter().map(|(_, l)| l.clone()).collect()
    }

    /// SIGTERM (`kill -TERM <pid>`) to every worker, then waits for them (90 s at most,
    /// then SIGKILL). Returns one line per worker describing how it ended.
    pub(crate) async fn stop(self) -> Vec<String> {
        for (child, _) in &self.procs {
            if let Some(pid) = child.id() {
                let sent = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .await;
                if !sent.is_ok_and(|s| s.success()) {
                    eprintln!("soc-loadtest: could not send SIGTERM to worker pid {pid}");
                }
            }
        }
        let mut lines = Vec::new();
        for (i, (mut child, log)) in self.procs.into_iter().enumerate() {
            let line = match tokio::time::timeout(Duration::from_secs(90), child.wait()).await {
                Ok(Ok(status)) if status.success() => format!("worker {}: exit 0", i + 1),
                Ok(Ok(status)) => format!("worker {}: {status} (see {})", i + 1, log.display()),
                Ok(Err(e)) => format!("worker {}: wait failed: {e}", i + 1),
                Err(_) => {
                    let killed = child.kill().await;
                    format!(
                        "worker {}: still running 90 s after SIGTERM, killed ({killed:?})",
                        i + 1
                    )
                }
            };
            lines.push(line);
        }
        lines
    }
}

/// The last `n` lines of a file ("" when unreadable).
pub(crate) fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
