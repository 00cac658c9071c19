//! [`TestPki`]: a throwaway certificate authority and server certificate for TLS tests,
//! made by the `openssl` command at test time; [`TlsUnavailable`]: why a TLS test cannot
//! run on this machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context as _;
use tempfile::TempDir;

use crate::support::BinarySpec;

/// The `openssl` command: `SOC_TEST_OPENSSL`, else `PATH`, else `/usr/bin/openssl`.
pub(crate) const OPENSSL_BINARY: BinarySpec = BinarySpec {
    name: "openssl",
    env_var: "SOC_TEST_OPENSSL",
    fallback: "/usr/bin/openssl",
    install_hint: "`apt-get install openssl`",
};

/// Days the certificates are valid: they live as long as one test run.
const DAYS: &str = "2";

/// The `openssl` configuration: subjects and the extensions rustls (webpki) expects of a CA
/// and of a server certificate (a self-signed leaf that is its own CA is rejected).
const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = localhost

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// A TLS test needs something this machine lacks (`openssl`, or a `redis-server` built
/// with TLS). A test that gets this prints it and returns: a skip that says why.
///
/// [`TestPki::generate`] and [`crate::RedisServer::start_tls`] return it inside their
/// `anyhow::Error`, so a test finds it with `err.downcast_ref::<TlsUnavailable>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsUnavailable {
    /// What is missing, and how to get it.
    pub reason: String,
}

impl std::fmt::Display for TlsUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TLS test skipped: {}", self.reason)
    }
}

impl std::error::Error for TlsUnavailable {}

/// A throwaway PKI in a temporary directory (removed on drop), all made with the `openssl`
/// command, ECDSA P-256, valid two days:
///
/// - [`ca_cert`](Self::ca_cert): a CA certificate (`CN=soc-testkit-ca`);
/// - [`server_cert`](Self::server_cert) / [`server_key`](Self::server_key): a server
///   certificate signed by that CA for `localhost` and `127.0.0.1` (subjectAltName), and
///   its key;
/// - [`other_ca_cert`](Self::other_ca_cert): a second CA that signed nothing here, to
///   trust when a test needs a server certificate that does not verify.
#[derive(Debug)]
pub struct TestPki {
    dir: TempDir,
}

impl TestPki {
    /// Generates the files with the `openssl` command from `SOC_TEST_OPENSSL`, `PATH` or
    /// `/usr/bin/openssl`.
    ///
    /// # Errors
    ///
    /// An error that downcasts to [`TlsUnavailable`] when there is no `openssl`; any other
    /// error when a command fails (with its output).
    pub fn generate() -> anyhow::Result<Self> {
        Self::generate_with(&OPENSSL_BINARY.resolve())
    }

    /// Like [`TestPki::generate`], with an explicit `openssl` path (ignores the env var).
    ///
    /// # Errors
    ///
    /// As [`TestPki::generate`].
    pub fn generate_with(openssl: &Path) -> anyhow::Result<Self> {
        if !openssl.is_file() {
            return Err(TlsUnavailable {
                reason: OPENSSL_BINARY.missing(openssl).to_string(),
            }
            .into());
        }
        let dir = tempfile::Builder::new()
            .prefix("soc-testkit-pki-")
            .tempdir()
            .context("creating the PKI temp dir")?;
        let pki = Self { dir };
        std::fs::write(pki.file("openssl.cnf"), OPENSSL_CNF).context("writing openssl.cnf")?;
        // Arguments split on spaces: none of them holds one.
        let run = |args: &str| run_openssl(openssl, pki.dir(), args);
        const EC: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        for name in ["ca", "other-ca"] {
            run(&format!(
                "req -x509 -new -config openssl.cnf -extensions ca_ext {EC} -keyout {name}.key \
                 -out {name}.pem -days {DAYS} -subj /CN=soc-testkit-{name}"
            ))?;
        }
        run(&format!(
            "req -new -config openssl.cnf {EC} -keyout server.key -out server.csr \
             -subj /CN=localhost"
        ))?;
        run(&format!(
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
             -out server.pem -days {DAYS} -extfile openssl.cnf -extensions server_ext"
        ))?;
        Ok(pki)
    }

    /// The CA certificate (PEM) that signed [`Self::server_cert`]: what a client trusts.
    pub fn ca_cert(&self) -> PathBuf {
        self.file("ca.pem")
    }

    /// The server certificate (PEM), for `localhost` and `127.0.0.1`.
    pub fn server_cert(&self) -> PathBuf {
        self.file("server.pem")
    }

    /// The server's private key (PEM).
    pub fn server_key(&self) -> PathBuf {
        self.file("server.key")
    }

    /// A CA certificate (PEM) that signed nothing here: trusting only it, a client must
    /// reject the server.
    pub fn other_ca_cert(&self) -> PathBuf {
        self.file("other-ca.pem")
    }

    /// The temporary directory holding the files, removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs `openssl` with `args` (split on whitespace) in `dir`; fails with its output when it
/// does not succeed.
fn run_openssl(openssl: &Path, dir: &Path, args: &str) -> anyhow::Result<()> {
    let out = Command::new(openssl)
        .args(args.split_whitespace())
        .current_dir(dir)
        // No ~/.rnd or user configuration gets in the way.
        .env("OPENSSL_CONF", dir.join("openssl.cnf"))
        .stdin(Stdio::null())
        .output()
        .map_err(|err| OPENSSL_BINARY.spawn_error(openssl, err))?;
    if out.status.success() {
        return Ok(());
    }
    anyhow::bail!(
        "`openssl {}` failed with {}:\n{}{}",
        args.split_whitespace().collect::<Vec<_>>().join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}
