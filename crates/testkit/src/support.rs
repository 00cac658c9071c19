//! Plumbing shared by the server wrappers: finding the binary, reading log tails,
//! probing ports, killing children.

use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use anyhow::Context as _;

/// How long a server gets to come up before `start()` gives up.
pub(crate) const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// How often the startup loops poll (ports file, log file, TCP connect).
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Ports owned by the machine's shared NATS and Redis. A test server must never use them.
pub(crate) const SHARED_PORTS: [u16; 2] = [4222, 6379];

/// One server binary the testkit knows how to run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BinarySpec {
    /// File name looked up on `PATH`, e.g. `nats-server`.
    pub(crate) name: &'static str,
    /// Environment variable that overrides the path.
    pub(crate) env_var: &'static str,
    /// Where Debian puts it, used when it is not on `PATH`.
    pub(crate) fallback: &'static str,
    /// What to tell the developer when it is missing.
    pub(crate) install_hint: &'static str,
}

impl BinarySpec {
    /// The binary to run: the env override if set, else `name` on `PATH`, else `fallback`.
    pub(crate) fn resolve(&self) -> PathBuf {
        if let Some(path) = std::env::var_os(self.env_var).filter(|v| !v.is_empty()) {
            return PathBuf::from(path);
        }
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(self.name))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| PathBuf::from(self.fallback))
    }

    /// The actionable error for a binary that is not there.
    pub(crate) fn missing(&self, path: &Path) -> anyhow::Error {
        anyhow::anyhow!(
            "{name} binary not found at {path} (set {env} to override the path); \
             install {name}: {hint}",
            name = self.name,
            path = path.display(),
            env = self.env_var,
            hint = self.install_hint,
        )
    }

    /// Fails with [`Self::missing`] unless `path` is an existing file.
    pub(crate) fn check(&self, path: &Path) -> anyhow::Result<()> {
        if path.is_file() {
            Ok(())
        } else {
            Err(self.missing(path))
        }
    }

    /// Maps a spawn error, turning "not found" into the actionable message.
    pub(crate) fn spawn_error(&self, path: &Path, err: std::io::Error) -> anyhow::Error {
        if err.kind() == std::io::ErrorKind::NotFound {
            self.missing(path)
        } else {
            anyhow::Error::new(err).context(format!("spawning {}", path.display()))
        }
    }
}

/// Kills `child` with SIGKILL and reaps it. Errors are ignored: the child may already
/// have exited, and this runs from `Drop`.
pub(crate) fn kill_and_wait(child: &mut Child) {
    // `kill` fails only if the child was already reaped; `wait` then returns the cached status.
    if let Err(err) = child.kill() {
        tracing::debug!(pid = child.id(), %err, "kill failed (already exited?)");
    }
    if let Err(err) = child.wait() {
        tracing::warn!(pid = child.id(), %err, "waiting for killed child failed");
    }
}

/// Current length of `path`, or 0 if it does not exist yet. Used to read only what a
/// new process appended to a log shared with its predecessors.
pub(crate) fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// What was appended to `path` after byte `offset` (lossy UTF-8; empty if unreadable).
pub(crate) fn read_from(path: &Path, offset: u64) -> String {
    let mut buf = Vec::new();
    let read = std::fs::File::open(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(offset))?;
        file.read_to_end(&mut buf)
    });
    match read {
        Ok(_) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => String::new(),
    }
}

/// The last `lines` lines of `path`, formatted for an error message.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let text = read_from(path, 0);
    if text.trim().is_empty() {
        return format!("(log {} is empty or missing)", path.display());
    }
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    format!(
        "last {} lines of {}:\n{}",
        all.len() - start,
        path.display(),
        all[start..].join("\n")
    )
}

/// Asks the kernel for a free port on 127.0.0.1 by binding port 0 and dropping the
/// listener.
///
/// This is racy by nature: between the drop and the server's own `bind`, another
/// process may take the port. Callers detect that (the server exits with "address
/// already in use") and retry with a fresh port.
pub(crate) fn probe_free_port() -> anyhow::Result<u16> {
    for _ in 0..8 {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .context("binding 127.0.0.1:0 to probe a free port")?;
        let port = listener.local_addr()?.port();
        drop(listener);
        if !SHARED_PORTS.contains(&port) {
            return Ok(port);
        }
    }
    anyhow::bail!("could not probe a free port outside {SHARED_PORTS:?}")
}

/// `text`, or `(empty)` so an error message never ends in a dangling label.
pub(crate) fn or_empty(text: &str) -> &str {
    if text.is_empty() { "(empty)" } else { text }
}

/// Socket address of a test server.
pub(crate) fn local_addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// True if a TCP connect to 127.0.0.1:`port` succeeds within 500 ms.
pub(crate) async fn can_connect(port: u16) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_millis(500),
            tokio::net::TcpStream::connect(local_addr(port)),
        )
        .await,
        Ok(Ok(_))
    )
}
