//! `setup` as a pre-flight check (exit status, clear errors without credentials, stream
//! reports) and `tail --pretty`, on spawned nats-server and redis-server; Redis over TLS
//! (`rediss://`, trust from `SSL_CERT_FILE`) for `setup` and `ruling`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use soc_testkit::{NatsServer, RedisServer};

use crate::helpers::{example, stderr, stdout};

/// A port nothing listens on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with only the given fleet settings (none from the caller's shell).
fn soc(args: &[&str], nats_url: &str, redis_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_soc-copilot"));
    c.args(args)
        .env("NATS_URL", nats_url)
        .env("REDIS_URL", redis_url)
        .env_remove("RUST_LOG")
        .env_remove("SOC_CONFIG")
        .env_remove("SOC_NATS__URL")
        .env_remove("SOC_REDIS__URL")
        .env_remove("SOC_NATS__NAME_PREFIX")
        .env_remove("SOC_NATS__SUBJECT_ROOT")
        .env_remove("SOC_NATS__RETENTION");
    c
}

fn setup(nats_url: &str, redis_url: &str, extra_env: &[(&str, &str)]) -> Output {
    soc(&["setup"], nats_url, redis_url)
        .envs(extra_env.iter().copied())
        .output()
        .unwrap()
}

#[tokio::test]
async fn setup_fails_fast_and_clearly_when_nats_is_unreachable() {
    let redis = RedisServer::start().await.unwrap();
    let port = free_port();
    let started = Instant::now();
    let out = setup(
        &format!("nats://alice:pw-s3cret@127.0.0.1:{port}"),
        &redis.url(),
        &[],
    );
    let elapsed = started.elapsed();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    // Only against the old behaviour (retrying for minutes); the connect timeout is 5 s.
    assert!(
        elapsed < Duration::from_secs(60),
        "setup took {elapsed:?} to fail"
    );
    assert!(
        e.starts_with(&format!(
            "error: cannot connect to NATS at `nats://[redacted]@127.0.0.1:{port}`: "
        )),
        "{e}"
    );
    assert_eq!(
        e.trim_end().lines().count(),
        1,
        "one error line, no noise:\n{e}"
    );
    assert!(!format!("{o}{e}").contains("s3cret"), "{o}{e}");
    // Redis is still checked and reported.
    assert!(o.contains("redis: reachable"), "{o}");
}

#[tokio::test]
async fn setup_fails_when_redis_is_unreachable() {
    let nats = NatsServer::start().await.unwrap();
    let port = free_port();
    let out = setup(
        &nats.url(),
        &format!("redis://:pw-s3cret@127.0.0.1:{port}/0"),
        &[],
    );
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    // The NATS part is still done and reported.
    for expect in [
        "stream SOC_ALERTS: created",
        "stream SOC_INVESTIGATIONS: created",
        "stream SOC_DLQ: created",
        "consumer investigators: created",
        "redis: NOT reachable",
    ] {
        assert!(o.contains(expect), "`{expect}` missing:\n{o}");
    }
    let last = e.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: Redis at `redis://[redacted]@127.0.0.1:")
            && last.contains(&format!(":{port}/0`")),
        "{e}"
    );
    assert!(!format!("{o}{e}").contains("s3cret"), "{o}{e}");
}

#[tokio::test]
async fn setup_reports_streams_unchanged_unless_the_configuration_changed() {
    let nats = NatsServer::start().await.unwrap();
    let redis = RedisServer::start().await.unwrap();
    let run = |env: &[(&str, &str)]| {
        let out = setup(&nats.url(), &redis.url(), env);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let first = run(&[]);
    assert!(first.contains("stream SOC_ALERTS: created"), "{first}");
    let again = run(&[]);
    for expect in [
        "stream SOC_ALERTS: unchanged",
        "stream SOC_INVESTIGATIONS: unchanged",
        "stream SOC_DLQ: unchanged",
        "consumer investigators: unchanged",
        "redis: reachable",
    ] {
        assert!(again.contains(expect), "`{expect}` missing:\n{again}");
    }
    // A longer retention changes the investigation and dead-letter streams only.
    let changed = run(&[("SOC_NATS__RETENTION", "40d")]);
    for expect in [
        "stream SOC_ALERTS: unchanged",
        "stream SOC_INVESTIGATIONS: updated",
        "stream SOC_DLQ: updated",
        "consumer investigators: unchanged",
    ] {
        assert!(changed.contains(expect), "`{expect}` missing:\n{changed}");
    }
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let mut s = js.get_stream("SOC_INVESTIGATIONS").await.unwrap();
    assert_eq!(
        s.info().await.unwrap().config.max_age,
        Duration::from_secs(40 * 86_400)
    );
    let settled = run(&[("SOC_NATS__RETENTION", "40d")]);
    assert!(
        settled.contains("stream SOC_INVESTIGATIONS: unchanged"),
        "{settled}"
    );
}

#[tokio::test]
async fn tail_pretty_shows_which_investigation_each_summary_is() {
    let nats = NatsServer::start().await.unwrap();
    let redis = RedisServer::start().await.unwrap();
    let out = setup(&nats.url(), &redis.url(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // An investigation as a worker publishes it, for one alert id from two sources.
    let out = soc(
        &[
            "investigate",
            "--mode",
            "triage",
            "--no-history",
            example("ssh-brute-force.json").to_str().unwrap(),
        ],
        &nats.url(),
        &redis.url(),
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alert_id = inv["alert_id"].as_str().unwrap().to_owned();
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let mut ids = Vec::new();
    for source in ["siem", "edr"] {
        let mut copy = inv.clone();
        let id = format!("0190f5c2-7a4e-7cc1-9b8e-{source:0>12}");
        copy["investigation_id"] = id.clone().into();
        let mut h = async_nats::HeaderMap::new();
        h.insert("Nats-Msg-Id", format!("{source}:{alert_id}").as_str());
        js.publish_with_headers(
            "soc.investigations.true_positive",
            h,
            serde_json::to_vec(&copy).unwrap().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
        ids.push(id);
    }
    let out = soc(&["tail", "--pretty"], &nats.url(), &redis.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let headlines: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' '))
        .collect();
    // Each headline names the alert by its key (source and id, from `Nats-Msg-Id`).
    let expected: Vec<String> = ["siem", "edr"]
        .iter()
        .zip(&ids)
        .map(|(source, id)| format!("{source}:{alert_id}  investigation {id}"))
        .collect();
    assert_eq!(headlines, expected, "{text}");

    // A message without the header: the bare alert id.
    let mut copy = inv.clone();
    let bare = "0190f5c2-7a4e-7cc1-9b8e-000000000000".to_owned();
    copy["investigation_id"] = bare.clone().into();
    js.publish(
        "soc.investigations.true_positive",
        serde_json::to_vec(&copy).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let out = soc(&["tail", "--pretty"], &nats.url(), &redis.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let last = text
        .lines()
        .rfind(|l| !l.is_empty() && !l.starts_with(' '))
        .unwrap();
    assert_eq!(last, format!("{alert_id}  investigation {bare}"), "{text}");

    // The reader goes away (`| head`): even --follow ends, quietly and at once.
    let mut child = soc(&["tail", "--follow", "--pretty"], &nats.url(), &redis.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(15) {
            child.kill().unwrap();
            panic!("tail --follow kept running with its output closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// A redis-server with a TLS port, or `None` (the reason printed) where this machine
/// cannot run one.
async fn tls_redis() -> Option<RedisServer> {
    match RedisServer::start_tls().await {
        Ok(redis) => Some(redis),
        Err(err) => match err.downcast_ref::<soc_testkit::TlsUnavailable>() {
            Some(why) => {
                eprintln!("{why}");
                None
            }
            None => panic!("{err:#}"),
        },
    }
}

/// The binary against `rediss://` trusting only the CA in `ca_file`.
fn soc_tls(args: &[&str], nats_url: &str, redis: &RedisServer, ca_file: &Path) -> Command {
    let mut c = soc(args, nats_url, &redis.tls_url().unwrap());
    c.env("SSL_CERT_FILE", ca_file).env_remove("SSL_CERT_DIR");
    c
}

#[tokio::test]
async fn setup_reaches_redis_over_tls_with_the_ca_in_ssl_cert_file() {
    let Some(redis) = tls_redis().await else {
        return;
    };
    let nats = NatsServer::start().await.unwrap();
    let pki = redis.pki().unwrap();
    let out = soc_tls(&["setup"], &nats.url(), &redis, &pki.ca_cert())
        .output()
        .unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(o.contains("redis: reachable"), "{o}");
    assert!(o.contains("stream SOC_ALERTS: created"), "{o}");
}

#[tokio::test]
async fn setup_names_an_untrusted_tls_certificate_and_where_trust_comes_from() {
    let Some(redis) = tls_redis().await else {
        return;
    };
    let nats = NatsServer::start().await.unwrap();
    let pki = redis.pki().unwrap();
    let out = soc_tls(&["setup"], &nats.url(), &redis, &pki.other_ca_cert())
        .output()
        .unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    assert!(o.contains("redis: NOT reachable"), "{o}");
    // NATS is still set up and reported.
    assert!(o.contains("stream SOC_ALERTS: created"), "{o}");
    let port = redis.tls_port().unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "one error line:\n{e}");
    assert!(
        e.starts_with(&format!(
            "error: Redis at `rediss://127.0.0.1:{port}/` is not reachable: "
        )),
        "{e}"
    );
    assert!(
        e.contains("invalid peer certificate") && e.contains("UnknownIssuer"),
        "{e}"
    );
    assert!(e.contains("SSL_CERT_FILE"), "{e}");
    assert!(!e.contains("no answer"), "{e}");
}

#[tokio::test]
async fn setup_reports_a_refused_password_with_the_reason_and_without_it() {
    let nats = NatsServer::start().await.unwrap();
    let redis = RedisServer::start().await.unwrap();
    // No such ACL user: the server refuses the credentials (WRONGPASS) at once.
    let url = format!("redis://nobody:pw-s3cret@127.0.0.1:{}/", redis.port());
    let out = setup(&nats.url(), &url, &[]);
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    assert!(o.contains("redis: NOT reachable"), "{o}");
    assert!(
        e.contains(&format!(
            "Redis at `redis://[redacted]@127.0.0.1:{}/` is not reachable: ",
            redis.port()
        )),
        "{e}"
    );
    assert!(e.contains("authentication failed"), "{e}");
    assert!(!e.contains("no answer"), "{e}");
    assert!(!format!("{o}{e}").contains("s3cret"), "{o}{e}");
}

#[tokio::test]
async fn rulings_are_read_and_written_over_tls() {
    let Some(redis) = tls_redis().await else {
        return;
    };
    let pki = redis.pki().unwrap();
    let prefix = soc_testkit::unique_prefix();
    let ruling = |args: &[&str]| {
        soc_tls(args, "nats://127.0.0.1:1", &redis, &pki.ca_cert())
            .env("SOC_REDIS__KEY_PREFIX", &prefix)
            .env_remove("SOC_ANALYST")
            .output()
            .unwrap()
    };
    // An unknown investigation: the lookup went through and found nothing.
    let unknown = "0190f5c2-7a4e-7cc1-9b8e-3f1d2a4b5c6d";
    let out = ruling(&["ruling", unknown]);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(e.contains(&format!("no investigation `{unknown}`")), "{e}");
    // A recorded one (written over the plain port) is ruled over TLS.
    let history = soc_history::RedisHistory::connect_lazy(
        &redis.url(),
        prefix.clone(),
        soc_history::HistorySettings::default(),
    )
    .unwrap();
    let id = crate::ruling::recorded(&history, "tls", true).await;
    let out = ruling(&[
        "ruling",
        &id,
        "--verdict",
        "false_positive",
        "--analyst",
        "alice",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Ruling recorded."),
        "{}",
        stdout(&out)
    );
    use soc_history::HistoryStore as _;
    let stored = history.ruling(&id).await.unwrap().unwrap();
    assert_eq!(stored.analyst, "alice");
    // Shown back over TLS.
    let out = ruling(&["ruling", &id, "--show"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("false_positive by alice"),
        "{}",
        stdout(&out)
    );
}
