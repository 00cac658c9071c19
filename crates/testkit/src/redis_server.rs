//! [`RedisServer`]: a throwaway `redis-server` per test, optionally with a TLS port.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::support::{self, BinarySpec};
use crate::tls::{TestPki, TlsUnavailable};

/// The `redis-server` binary: `SOC_TEST_REDIS_SERVER`, else `PATH`, else `/usr/bin`.
pub(crate) const REDIS_BINARY: BinarySpec = BinarySpec {
    name: "redis-server",
    env_var: "SOC_TEST_REDIS_SERVER",
    fallback: "/usr/bin/redis-server",
    install_hint: "`apt-get install redis-server`",
};

/// How many fresh ports [`RedisServer::start`] tries when the probed one gets taken.
const PORT_ATTEMPTS: usize = 3;

/// The line redis-server logs once its listener is bound.
const READY_LINE: &str = "Ready to accept connections";

/// What a redis-server built without TLS may say when given `--tls-port` (the wording
/// differs between versions; a server that fails for another reason is an error, not a
/// skip).
const NO_TLS_LINES: [&str; 3] = [
    "Missing implement of connection type tls",
    "TLS is not",
    "not built with TLS",
];

/// A `redis-server` process on a probed free port, without persistence.
///
/// The process is killed (SIGKILL), reaped and its temporary directory removed when the
/// value is dropped, including when a test panics.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// The TLS port and its certificates, for a server from [`RedisServer::start_tls`].
    tls: Option<(u16, TestPki)>,
    log_path: PathBuf,
    // Declared last so it is removed after `Drop::drop` has killed the process.
    dir: TempDir,
}

/// Why one launch attempt failed.
enum LaunchError {
    /// Someone else took the probed port; worth retrying with a new one.
    PortInUse(anyhow::Error),
    /// Anything else.
    Fatal(anyhow::Error),
}

impl RedisServer {
    /// Starts a server with the binary from `SOC_TEST_REDIS_SERVER`, `PATH` or
    /// `/usr/bin/redis-server`.
    ///
    /// The port is probed by binding 127.0.0.1:0 and dropping the listener, which races
    /// with other processes; if the port is taken before redis binds it, this retries
    /// with a new port, up to 3 ports in all.
    ///
    /// # Errors
    ///
    /// Fails with an "install redis-server: …" message if the binary is missing, or with
    /// the tail of the server log if it does not come up within 20 s.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&REDIS_BINARY.resolve()).await
    }

    /// Like [`RedisServer::start`], with an explicit binary path (ignores the env var).
    ///
    /// # Errors
    ///
    /// As [`RedisServer::start`].
    pub async fn start_with(binary: &Path) -> anyhow::Result<Self> {
        Self::start_inner(binary, None).await
    }

    /// Like [`RedisServer::start`], with a TLS port too: [`Self::tls_url`] is
    /// `rediss://127.0.0.1:PORT/`, served with a certificate for `localhost` and
    /// `127.0.0.1` signed by a throwaway CA ([`Self::pki`]: trust
    /// [`TestPki::ca_cert`], e.g. with `SSL_CERT_FILE`). Clients are not asked for a
    /// certificate (`--tls-auth-clients no`). [`Self::url`] stays plain TCP, for setup and
    /// checks.
    ///
    /// # Errors
    ///
    /// An error that downcasts to [`TlsUnavailable`] when `openssl` is missing or
    /// redis-server was built without TLS: the test should print it and return. Else as
    /// [`RedisServer::start`].
    pub async fn start_tls() -> anyhow::Result<Self> {
        let pki = TestPki::generate()?;
        Self::start_inner(&REDIS_BINARY.resolve(), Some(pki)).await
    }

    async fn start_inner(binary: &Path, pki: Option<TestPki>) -> anyhow::Result<Self> {
        REDIS_BINARY.check(binary)?;
        let dir = tempfile::Builder::new()
            .prefix("soc-testkit-redis-")
            .tempdir()
            .context("creating the redis-server temp dir")?;
        let log_path = dir.path().join("redis.log");
        let mut last_err = None;
        for attempt in 1..=PORT_ATTEMPTS {
            let port = support::probe_free_port()?;
            let tls = match &pki {
                Some(pki) => Some((distinct_free_port(port)?, pki)),
                None => None,
            };
            match launch(binary, dir.path(), &log_path, port, tls).await {
                Ok(child) => {
                    let tls_port = tls.map(|(p, _)| p);
                    tracing::debug!(
                        port,
                        ?tls_port,
                        dir = %dir.path().display(),
                        "redis-server started"
                    );
                    return Ok(Self {
                        child: Some(child),
                        port,
                        tls: tls_port.zip(pki),
                        log_path,
                        dir,
                    });
                }
                Err(LaunchError::PortInUse(err)) => {
                    tracing::debug!(port, attempt, %err, "probed port was taken, retrying");
                    last_err = Some(err);
                }
                Err(LaunchError::Fatal(err)) => return Err(err),
            }
        }
        Err(last_err
            .unwrap_or_else(|| anyhow::anyhow!("no attempt made"))
            .context(format!(
                "redis-server: probed port was taken {PORT_ATTEMPTS} times in a row"
            )))
    }

    /// `redis://127.0.0.1:PORT/` (plain TCP, also on a TLS server).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `rediss://127.0.0.1:TLS_PORT/` on a server from [`RedisServer::start_tls`], else
    /// `None`.
    pub fn tls_url(&self) -> Option<String> {
        self.tls
            .as_ref()
            .map(|(port, _)| format!("rediss://127.0.0.1:{port}/"))
    }

    /// The TLS port, on a server from [`RedisServer::start_tls`].
    pub fn tls_port(&self) -> Option<u16> {
        self.tls.as_ref().map(|(port, _)| *port)
    }

    /// The certificates of a server from [`RedisServer::start_tls`]: the CA to trust, the
    /// server's certificate and key, and a CA that signed nothing.
    pub fn pki(&self) -> Option<&TestPki> {
        self.tls.as_ref().map(|(_, pki)| pki)
    }

    /// Forgets the command counts so far (`CONFIG RESETSTAT`), for
    /// [`Self::command_calls`].
    pub async fn reset_command_stats(&self) -> anyhow::Result<()> {
        let mut c = self.connection().await?;
        let () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query_async(&mut c)
            .await?;
        Ok(())
    }

    /// How many times the server ran `command` (lower case, e.g. `zadd`) since it started
    /// or since [`Self::reset_command_stats`] (`INFO commandstats`): for tests that count
    /// the commands a change saves. The server is the test's own, so every call counted
    /// is the test's.
    pub async fn command_calls(&self, command: &str) -> anyhow::Result<u64> {
        let mut c = self.connection().await?;
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut c)
            .await?;
        let prefix = format!("cmdstat_{command}:calls=");
        let Some(rest) = info.lines().find_map(|l| l.strip_prefix(prefix.as_str())) else {
            return Ok(0);
        };
        let calls = rest.split(',').next().unwrap_or_default();
        calls
            .parse()
            .map_err(|e| anyhow::anyhow!("INFO commandstats: `{calls}` for {command}: {e}"))
    }

    async fn connection(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url())?;
        Ok(client.get_multiplexed_async_connection().await?)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server log (`--logfile`).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The temporary working directory (`--dir`), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The OS process id, or `None` once stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL and reaps it; the port is closed when this
    /// returns. Does nothing if already stopped. All data is lost (no persistence).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            support::kill_and_wait(&mut child);
            tracing::debug!(port = self.port, "redis-server stopped");
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        // `dir` is removed when the field drops after this.
    }
}

/// A probed free port other than `taken`.
fn distinct_free_port(taken: u16) -> anyhow::Result<u16> {
    for _ in 0..8 {
        let port = support::probe_free_port()?;
        if port != taken {
            return Ok(port);
        }
    }
    anyhow::bail!("could not probe a second free port")
}

/// Spawns one redis-server on `port` (and on the TLS port with those certificates) and
/// waits until it answers `PING` with `+PONG` (and the TLS port accepts connections).
async fn launch(
    binary: &Path,
    dir: &Path,
    log_path: &Path,
    port: u16,
    tls: Option<(u16, &TestPki)>,
) -> Result<Child, LaunchError> {
    let log_offset = support::file_len(log_path);
    let stderr_path = dir.join("redis.stderr");
    let stderr_offset = support::file_len(&stderr_path);
    let stderr = File::options()
        .create(true)
        .append(true)
        .open(&stderr_path)
        .context("opening the redis-server stderr file")
        .map_err(LaunchError::Fatal)?;
    let mut command = Command::new(binary);
    command
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", ""])
        .args(["--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(log_path)
        .args(["--daemonize", "no"]);
    if let Some((tls_port, pki)) = tls {
        command
            .args(["--tls-port", &tls_port.to_string()])
            .arg("--tls-cert-file")
            .arg(pki.server_cert())
            .arg("--tls-key-file")
            .arg(pki.server_key())
            .arg("--tls-ca-cert-file")
            .arg(pki.ca_cert())
            .args(["--tls-auth-clients", "no"]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|err| LaunchError::Fatal(REDIS_BINARY.spawn_error(binary, err)))?;

    let deadline = Instant::now() + support::STARTUP_TIMEOUT;
    let reason = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break format!("exited during startup with {status}");
        }
        // Only trust a PONG once *our* process has logged that it bound the port;
        // otherwise a PONG could come from another test's redis that won the race.
        if support::read_from(log_path, log_offset).contains(READY_LINE) {
            match ping(port).await {
                // redis binds every listener before it logs READY_LINE, so the TLS port is
                // ours too; the connect only confirms it.
                Ok(()) => match tls {
                    Some((tls_port, _)) if !support::can_connect(tls_port).await => {
                        break format!("TLS port {tls_port} does not accept connections");
                    }
                    _ => return Ok(child),
                },
                Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(err) => break format!("PING failed: {err}"),
            }
        }
        if Instant::now() >= deadline {
            break "did not answer PING before the timeout".to_owned();
        }
        tokio::time::sleep(support::POLL_INTERVAL).await;
    };

    support::kill_and_wait(&mut child);
    let new_log = support::read_from(log_path, log_offset);
    let new_stderr = support::read_from(&stderr_path, stderr_offset);
    let port_in_use = [&new_log, &new_stderr]
        .iter()
        .any(|text| text.contains("Address already in use"));
    let err = anyhow::anyhow!(
        "redis-server ({}) on port {port}: {reason}\n{}\nstderr: {}",
        binary.display(),
        support::log_tail(log_path, 20),
        support::or_empty(new_stderr.trim()),
    );
    let no_tls = tls.is_some()
        && [&new_log, &new_stderr].iter().any(|text| {
            NO_TLS_LINES.iter().any(|line| text.contains(line))
                    // A server without TLS refuses the `tls-*` directives as unknown; any
                    // other bad directive is a mistake in the launch, not a skip.
                    || (text.contains("Bad directive or wrong number of arguments")
                        && text.contains("tls-"))
        });
    if no_tls {
        return Err(LaunchError::Fatal(err.context(TlsUnavailable {
            reason: format!(
                "{} was built without TLS support (a TLS build: Debian's \
                 `apt-get install redis-server`, or set SOC_TEST_REDIS_SERVER)",
                binary.display()
            ),
        })));
    }
    Err(if port_in_use {
        LaunchError::PortInUse(err)
    } else {
        LaunchError::Fatal(err)
    })
}

/// Sends `PING` over plain TCP and expects `+PONG`.
async fn ping(port: u16) -> std::io::Result<()> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(support::local_addr(port)).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).await?;
        if line.trim_end() == "+PONG" {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "unexpected reply {:?}",
                line.trim_end()
            )))
        }
    };
    tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "PING timed out"))?
}
