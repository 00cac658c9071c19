//! `spawn_app()`: servers, configuration, and the roles running in this process.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use serde_json::{Value, json};
use soc_core::Investigation;
use soc_core::config::{Config, RawConfig};
use soc_fleet::ingest::IngestState;
use soc_fleet::metrics::Metrics;
use soc_fleet::names::Names;
use soc_fleet::store::Store;
use soc_fleet::worker::WorkerDeps;
use soc_investigate::Pipeline;
use soc_testkit::{NatsServer, RedisServer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub(crate) struct TestApp {
    pub(crate) nats: NatsServer,
    /// Kept alive for the test's duration (dropping it stops the server).
    pub(crate) _redis: RedisServer,
    pub(crate) cfg: Config,
    pub(crate) names: Names,
    pub(crate) js: jetstream::Context,
    pub(crate) client: async_nats::Client,
    pub(crate) ingest_addr: SocketAddr,
    pub(crate) shutdown: CancellationToken,
    pub(crate) roles: JoinSet<()>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) http: reqwest::Client,
}

/// Test configuration: short ack wait and retry delays so redeliveries happen in seconds.
pub(crate) fn test_config(
    nats: &NatsServer,
    redis: &RedisServer,
    extra: &[(&str, &str)],
) -> Config {
    let mut env: HashMap<String, String> = [
        ("NATS_URL", nats.url()),
        ("REDIS_URL", redis.url()),
        ("SOC_WORKER__ACK_WAIT", "5s".into()),
        ("SOC_WORKER__RETRY_DELAYS", "100ms,200ms".into()),
        ("SOC_WORKER__MAX_DELIVER", "3".into()),
        ("SOC_WORKER__SHUTDOWN_GRACE", "5s".into()),
        ("SOC_WORKER__CONCURRENCY", "16".into()),
        ("SOC_REDIS__KEY_PREFIX", soc_testkit::unique_prefix()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    RawConfig::default().build_and_validate(&env).unwrap()
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(&[], true).await
}

pub(crate) async fn spawn_app_with(extra: &[(&str, &str)], with_worker: bool) -> TestApp {
    spawn_app_using(extra, with_worker, |state, _| state).await
}

/// [`spawn_app_with`], with `configure` given the ingest state (and the config) before the
/// ingest starts.
pub(crate) async fn spawn_app_using(
    extra: &[(&str, &str)],
    with_worker: bool,
    configure: impl FnOnce(IngestState, &Config) -> IngestState,
) -> TestApp {
    let nats = NatsServer::start().await.unwrap();
    let redis = RedisServer::start().await.unwrap();
    let cfg = test_config(&nats, &redis, extra);
    let names = Names::new(&cfg.nats);
    let client = soc_fleet::jetstream::connect(&cfg.nats.url, "test")
        .await
        .unwrap();
    let js = jetstream::new(client.clone());
    soc_fleet::jetstream::setup(&js, &names, &cfg)
        .await
        .unwrap();
    let metrics = Metrics::new().unwrap();
    let shutdown = CancellationToken::new();
    let mut roles = JoinSet::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ingest_addr = listener.local_addr().unwrap();
    let state = configure(
        IngestState::new(
            client.clone(),
            names.clone(),
            cfg.ingest.clone(),
            metrics.clone(),
        ),
        &cfg,
    );
    let t = shutdown.clone();
    roles.spawn(async move { soc_fleet::ingest::run(listener, state, t).await.unwrap() });
    let app = TestApp {
        nats,
        _redis: redis,
        cfg,
        names,
        js,
        client,
        ingest_addr,
        shutdown,
        roles,
        metrics,
        http: {
            soc_intel::tls::install_crypto_provider();
            reqwest::Client::new()
        },
    };
    let mut app = app;
    if with_worker {
        app.spawn_worker();
    }
    app
}

impl TestApp {
    /// A history store on the app's Redis (its own connection, as a separate process has).
    pub(crate) fn history(&self) -> Arc<soc_history::RedisHistory> {
        Arc::new(
            soc_history::RedisHistory::connect_lazy(
                self.cfg.redis.url.expose(),
                self.cfg.redis.key_prefix.clone(),
                soc_history::HistorySettings::default(),
            )
            .expect("the test Redis URL is valid"),
        )
    }

    /// Starts `n` workers, each investigating with `pipeline` over its own history
    /// connection.
    pub(crate) fn spawn_history_workers(
        &mut self,
        n: usize,
        pipeline: impl Fn(Arc<soc_history::RedisHistory>) -> Pipeline,
    ) {
        for _ in 0..n {
            let mut deps = self.worker_deps();
            deps.pipeline = Arc::new(pipeline(self.history()));
            let t = self.shutdown.clone();
            self.roles
                .spawn(async move { soc_fleet::worker::run(deps, t).await.unwrap() });
        }
    }

    pub(crate) fn worker_deps(&self) -> WorkerDeps {
        WorkerDeps {
            client: self.client.clone(),
            names: self.names.clone(),
            cfg: self.cfg.clone(),
            pipeline: Arc::new(Pipeline::embedded_default()),
            store: Store::new(&self.cfg.redis, self.metrics.clone()).unwrap(),
            metrics: self.metrics.clone(),
            unstored: Default::default(),
        }
    }

    pub(crate) fn spawn_worker(&mut self) {
        let deps = self.worker_deps();
        let t = self.shutdown.clone();
        self.roles
            .spawn(async move { soc_fleet::worker::run(deps, t).await.unwrap() });
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.ingest_addr)
    }

    pub(crate) async fn post(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/v1/alerts"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Every message on the investigation stream, in order, parsed.
    pub(crate) async fn investigations(&self) -> Vec<Investigation> {
        self.stream_payloads(&self.names.investigations_stream)
            .await
            .into_iter()
            .map(|(_, p)| {
                serde_json::from_slice(&p).expect("every published investigation is complete JSON")
            })
            .collect()
    }

    pub(crate) async fn stream_count(&self, stream: &str) -> u64 {
        let mut s = self.js.get_stream(stream).await.unwrap();
        s.info().await.unwrap().state.messages
    }

    pub(crate) async fn stream_payloads(
        &self,
        stream: &str,
    ) -> Vec<(async_nats::HeaderMap, bytes::Bytes)> {
        let mut s = self.js.get_stream(stream).await.unwrap();
        let state = s.info().await.unwrap().state.clone();
        let mut out = Vec::new();
        if state.messages == 0 {
            return out;
        }
        for seq in state.first_sequence..=state.last_sequence {
            if let Ok(m) = s.get_raw_message(seq).await {
                out.push((m.headers, m.payload));
            }
        }
        out
    }

    /// Waits until the investigation stream holds `n` messages (or the timeout passes).
    pub(crate) async fn wait_for_investigations(&self, n: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        loop {
            let c = self.stream_count(&self.names.investigations_stream).await;
            if c >= n || Instant::now() > deadline {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Publishes `alert` straight to `soc.alerts.siem`, past the ingest API and its
    /// deduplication (a forwarder's replay).
    pub(crate) async fn replay(&self, alert: &Value) {
        self.js
            .publish("soc.alerts.siem", serde_json::to_vec(alert).unwrap().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    pub(crate) async fn stop(mut self) {
        self.shutdown.cancel();
        while self.roles.join_next().await.is_some() {}
    }
}

/// `n` distinct alerts of a few families (brute force, mail attachment, unrecognised).
pub(crate) fn alerts(n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let id = format!("{tag}-{i:05}");
            let ip = format!("203.0.{}.{}", (i / 250) % 250, i % 250 + 1);
            match i % 3 {
                0 => json!({"alert_id": id, "timestamp": "2026-11-02T04:41:09Z", "source": "siem", "severity": "high",
                    "title": "SSH password guessing from a single external source",
                    "raw_log": {"event_type": "auth_failure", "host": format!("srv-{}.corp.internal", i % 40), "program": "sshd",
                        "aggregation": {"src_ip": ip, "failed_attempts": 100 + i, "distinct_usernames": 12, "successful_logins": 0}},
                    "indicators": {"ips": [ip]}}),
                1 => json!({"alert_id": id, "timestamp": "2026-11-03T13:07:52Z", "source": "edr", "severity": "high",
                    "title": "Executable launched from the Outlook attachment cache",
                    "raw_log": {"host": format!("ws-{}.corp.internal", i % 90), "user": "CORP\\user",
                        "parent_process": "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
                        "process_path": format!("C:\\Users\\u\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\Q8R2\\inv_{i}.exe"),
                        "email": {"from": format!("billing@vendor{i}.example"), "to": "user@corp.example", "spf": "fail"}}}),
                _ => json!({"alert_id": id, "timestamp": "2026-11-05T08:30:00Z", "source": "siem", "severity": "medium",
                    "title": "Rare domain queried by many workstations",
                    "raw_log": {"query": format!("c{i}.cdn-metrics.example"), "clients": 3 + i % 50},
                    "indicators": {"domains": [format!("c{i}.cdn-metrics.example")]}}),
            }
        })
        .collect()
}

pub(crate) fn ndjson(values: &[Value]) -> String {
    let mut s = String::new();
    for v in values {
        s.push_str(&serde_json::to_string(v).unwrap());
        s.push('\n');
    }
    s
}

/// Waits until `done` holds, checking every 50 ms, for at most `timeout`; the caller
/// asserts the outcome.
pub(crate) async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
