//! The fleet as processes: a worker killed with SIGKILL mid-run, a worker stopped with
//! SIGTERM mid-run, the `setup` command and a fresh `serve`'s /metrics, on spawned
//! nats-server and redis-server.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use serde_json::json;
use soc_testkit::{NatsServer, RedisServer};

struct Fleet {
    nats: NatsServer,
    _redis: RedisServer,
    env: Vec<(String, String)>,
    js: jetstream::Context,
}

impl Fleet {
    async fn start() -> Fleet {
        Self::start_with_ack_wait("5s").await
    }

    async fn start_with_ack_wait(ack_wait: &str) -> Fleet {
        let nats = NatsServer::start().await.unwrap();
        let redis = RedisServer::start().await.unwrap();
        let env = vec![
            ("NATS_URL".to_owned(), nats.url()),
            ("REDIS_URL".to_owned(), redis.url()),
            ("SOC_WORKER__ACK_WAIT".to_owned(), ack_wait.to_owned()),
            ("SOC_WORKER__CONCURRENCY".to_owned(), "8".to_owned()),
            ("SOC_WORKER__SHUTDOWN_GRACE".to_owned(), "10s".to_owned()),
            ("SOC_METRICS_LISTEN".to_owned(), "none".to_owned()),
        ];
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client);
        let f = Fleet {
            nats,
            _redis: redis,
            env,
            js,
        };
        let out = f.command(&["setup"]).output().unwrap();
        assert!(
            out.status.success(),
            "setup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("stream SOC_ALERTS: created")
                && text.contains("consumer investigators: created"),
            "{text}"
        );
        // Idempotent, and says so.
        let out = f.command(&["setup"]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("stream SOC_ALERTS: unchanged")
                && text.contains("consumer investigators: unchanged"),
            "{text}"
        );
        f
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_soc-copilot"));
        c.args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("RUST_LOG");
        c
    }

    fn worker(&self) -> Child {
        self.worker_logged().0
    }

    /// A worker process and the file its log goes to.
    fn worker_logged(&self) -> (Child, std::path::PathBuf) {
        let log = tempfile::NamedTempFile::new()
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        let file = std::fs::File::create(&log).unwrap();
        let child = self
            .command(&["worker"])
            .env("RUST_LOG", "info,async_nats=warn")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        (child, log)
    }

    async fn publish_alerts(&self, n: usize, tag: &str) {
        let mut acks = Vec::new();
        for i in 0..n {
            let ip = format!("198.51.100.{}", i % 250 + 1);
            let alert = json!({"alert_id": format!("{tag}-{i}"), "timestamp": "2026-11-02T04:41:09Z", "source": "siem", "severity": "high",
                "title": "SSH password guessing", "raw_log": {"event_type": "auth_failure", "host": "bastion-01.corp.internal",
                "aggregation": {"src_ip": ip, "failed_attempts": 300 + i}}, "indicators": {"ips": [ip]}});
            let mut h = async_nats::HeaderMap::new();
            h.insert("Nats-Msg-Id", format!("siem:{tag}-{i}").as_str());
            acks.push(
                self.js
                    .publish_with_headers(
                        "soc.alerts.siem",
                        h,
                        serde_json::to_vec(&alert).unwrap().into(),
                    )
                    .await
                    .unwrap(),
            );
            if acks.len() == 500 {
                for a in acks.drain(..) {
                    a.await.unwrap();
                }
            }
        }
        for a in acks {
            a.await.unwrap();
        }
    }

    async fn count(&self, stream: &str) -> u64 {
        self.js
            .get_stream(stream)
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .state
            .messages
    }

    async fn wait_count(&self, stream: &str, n: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        loop {
            let c = self.count(stream).await;
            if c >= n || Instant::now() > deadline {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Alert ids on the investigation stream, and the number of messages.
    async fn investigated(&self) -> (HashSet<String>, usize) {
        let mut s = self.js.get_stream("SOC_INVESTIGATIONS").await.unwrap();
        let state = s.info().await.unwrap().state.clone();
        let mut ids = HashSet::new();
        let mut n = 0;
        for seq in state.first_sequence..=state.last_sequence {
            if let Ok(m) = s.get_raw_message(seq).await {
                let inv: soc_core::Investigation =
                    serde_json::from_slice(&m.payload).expect("a complete investigation");
                ids.insert(inv.alert_id);
                n += 1;
            }
        }
        (ids, n)
    }
}

#[tokio::test]
async fn a_worker_killed_mid_run_loses_nothing_and_publishes_nothing_twice() {
    let f = Fleet::start().await;
    f.publish_alerts(1000, "kill").await;
    let mut a = f.worker();
    let reached = f
        .wait_count("SOC_INVESTIGATIONS", 150, Duration::from_secs(60))
        .await;
    a.kill().unwrap(); // SIGKILL: no ack, no flush, no goodbye
    a.wait().unwrap();
    assert!(
        reached >= 150,
        "worker A made progress before it died ({reached})"
    );
    let at_kill = f.count("SOC_INVESTIGATIONS").await;
    assert!(
        at_kill < 1000,
        "the kill must land mid-run (all {at_kill} done already)"
    );
    let mut b = f.worker();
    let n = f
        .wait_count("SOC_INVESTIGATIONS", 1000, Duration::from_secs(120))
        .await;
    // Give any stray republication the time to show up (it must be deduplicated).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (ids, total) = f.investigated().await;
    b.kill().unwrap();
    b.wait().unwrap();
    assert_eq!(n, 1000);
    assert_eq!(ids.len(), 1000, "none lost");
    assert_eq!(total, 1000, "none twice on the output stream");
    assert_eq!(f.count("SOC_ALERTS").await, 0);
    drop(f.nats);
}

#[tokio::test]
async fn sigterm_mid_run_leaves_nothing_unacknowledged_or_half_published() {
    // A long ack wait: a message the stopping worker left delivered and unanswered would
    // hold up the next worker for two minutes. Naked messages come back at once.
    let f = Fleet::start_with_ack_wait("120s").await;
    f.publish_alerts(1000, "term").await;
    let (mut w, log) = f.worker_logged();
    f.wait_count("SOC_INVESTIGATIONS", 150, Duration::from_secs(60))
        .await;
    let pid = w.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = w.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the worker did not stop within its grace period"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit 0 after a drained stop, got {exit:?}");
    // Every published investigation is whole, and none is lost: published + still queued = all.
    let (ids, total) = f.investigated().await;
    assert_eq!(ids.len(), total);
    let queued = f.count("SOC_ALERTS").await;
    assert_eq!(
        total as u64 + queued,
        1000,
        "published {total} + queued {queued}"
    );
    assert!(queued > 0, "the stop must land mid-run");
    // A new worker finishes the rest, well within the ack wait: exactly 1000.
    let mut w2 = f.worker();
    assert_eq!(
        f.wait_count("SOC_INVESTIGATIONS", 1000, Duration::from_secs(60))
            .await,
        1000,
        "every alert the stopped worker held was handed back (naked), none left waiting for ack_wait; its log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (ids, total) = f.investigated().await;
    w2.kill().unwrap();
    w2.wait().unwrap();
    assert_eq!((ids.len(), total), (1000, 1000));
}

#[test]
fn debug_logs_never_show_the_nats_password() {
    // A port nothing listens on: the NATS client keeps reconnecting, logging each attempt.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_soc-copilot"))
        .arg("worker")
        .env(
            "NATS_URL",
            format!("nats://watcher:pw-s3cret@127.0.0.1:{port}"),
        )
        .env("REDIS_URL", "redis://:redis-s3cret@127.0.0.1:1/0")
        .env("SOC_METRICS_LISTEN", "none")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        text.lines().count() > 3,
        "the worker logged its attempts at debug: {text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
}

/// The address `serve` logged for one of its listeners (`<what> ... listen=ADDR`).
fn logged_listen(log: &str, what: &str) -> Option<String> {
    log.lines()
        .filter(|l| l.contains(what))
        .flat_map(str::split_whitespace)
        .find_map(|w| w.strip_prefix("listen=").map(str::to_owned))
}

/// `GET path` over HTTP/1.1 (connection closed after the answer): the whole response.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test]
async fn a_fresh_serve_lists_the_intel_families_on_metrics() {
    let f = Fleet::start().await;
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = f
        .command(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    // The worker has built its pipeline (and registered the intel metrics) once it says
    // it started; a generous deadline only guards against a hang.
    let deadline = Instant::now() + Duration::from_secs(120);
    let text = loop {
        let text = std::fs::read_to_string(log.path()).unwrap_or_default();
        if text.contains("Worker started") {
            break text;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let killed = child.kill();
            let status = child.wait();
            panic!("serve did not start its worker ({killed:?}, {status:?}):\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let addr = logged_listen(&text, "Metrics on /metrics")
        .unwrap_or_else(|| panic!("no metrics address in the log:\n{text}"));
    let response = http_get(&addr, "/metrics");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    for family in [
        "soc_intel_lookups_total",
        "soc_intel_redis_errors_total",
        "soc_intel_circuit_opened_total",
    ] {
        assert_eq!(
            response
                .matches(&format!("# TYPE {family} counter\n"))
                .count(),
            1,
            "{family} listed once in:\n{response}"
        );
    }
}
