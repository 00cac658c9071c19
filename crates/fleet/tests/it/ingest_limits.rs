//! The ingest API's limits, on a real nats-server and no worker: shutdown with a stalled
//! request body, `408` for a body that stalls, per-alert counting in
//! `soc_ingest_alerts_total`, and JSON errors for a bad query string.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use soc_core::config::RawConfig;
use soc_fleet::FleetError;
use soc_fleet::ingest::IngestState;
use soc_fleet::metrics::Metrics;
use soc_fleet::names::Names;
use soc_testkit::NatsServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running ingest service (no worker) on its own nats-server.
struct Ingest {
    nats: NatsServer,
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), FleetError>>,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
}

async fn start(
    extra: &[(&str, &str)],
    configure: impl FnOnce(IngestState) -> IngestState,
) -> Ingest {
    let nats = NatsServer::start().await.unwrap();
    let mut env: HashMap<String, String> = HashMap::from([("NATS_URL".into(), nats.url())]);
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let cfg = RawConfig::default().build_and_validate(&env).unwrap();
    let names = Names::new(&cfg.nats);
    let client = soc_fleet::jetstream::connect(&cfg.nats.url, "test")
        .await
        .unwrap();
    let js = async_nats::jetstream::new(client.clone());
    soc_fleet::jetstream::setup(&js, &names, &cfg)
        .await
        .unwrap();
    let metrics = Metrics::new().unwrap();
    let state = configure(IngestState::new(
        client,
        names,
        cfg.ingest.clone(),
        metrics.clone(),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(soc_fleet::ingest::run(listener, state, shutdown.clone()));
    Ingest {
        nats,
        addr,
        shutdown,
        task,
        metrics,
        http: {
            soc_intel::tls::install_crypto_provider();
            reqwest::Client::new()
        },
    }
}

impl Ingest {
    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    async fn post(&self, path_and_query: &str, body: String) -> reqwest::Response {
        self.http
            .post(self.url(path_and_query))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    fn alerts(&self, outcome: &str) -> u64 {
        self.metrics
            .ingest_alerts
            .with_label_values(&[outcome])
            .get()
    }

    /// Opens a `POST /v1/alerts` that announces 1,000 body bytes and sends 10.
    async fn stalled_request(&self) -> TcpStream {
        let mut tcp = TcpStream::connect(self.addr).await.unwrap();
        let head = "POST /v1/alerts HTTP/1.1\r\nHost: ingest\r\n\
                    Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        tcp.write_all(head.as_bytes()).await.unwrap();
        tcp.write_all(b"{\"alert_id").await.unwrap();
        tcp.flush().await.unwrap();
        // Let the handler start waiting for the rest of the body.
        tokio::time::sleep(Duration::from_millis(300)).await;
        tcp
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("ingest::run returns after shutdown")
            .unwrap()
            .unwrap();
    }
}

/// `n` valid native alerts as NDJSON.
fn ndjson(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| {
            let alert = json!({
                "alert_id": format!("{tag}-{i}"),
                "timestamp": "2026-11-02T04:41:09Z",
                "source": "siem",
                "severity": "high",
                "title": "SSH password guessing from a single external source",
                "raw_log": {"program": "sshd", "src_ip": format!("203.0.113.{}", i + 1)},
                "indicators": {"ips": [format!("203.0.113.{}", i + 1)]},
            });
            format!("{alert}\n")
        })
        .collect()
}

/// The API's error shape: `{"error": {"code", "message", ...}}`; returns the error object.
fn api_error(body: &str) -> Value {
    let v: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("not the JSON error shape ({e}): {body}"));
    let error = v["error"].clone();
    assert!(error["code"].is_string(), "{body}");
    assert!(error["message"].is_string(), "{body}");
    error
}

#[tokio::test]
async fn shutdown_returns_while_a_request_body_is_stalled() {
    // Default limits: the shutdown grace period (10 s) is shorter than the body timeout.
    let app = start(&[], |s| s).await;
    let mut tcp = app.stalled_request().await;
    app.shutdown.cancel();
    let returned = tokio::time::timeout(Duration::from_secs(20), app.task).await;
    assert!(
        returned.is_ok(),
        "ingest::run did not return within 20 s of the shutdown"
    );
    returned.unwrap().unwrap().unwrap();
    // The stalled connection was cut: the client sees it end.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the stalled connection is still open");
}

#[tokio::test]
async fn a_body_that_stalls_is_answered_408_in_json() {
    let app = start(&[], |s| {
        s.with_timeouts(Duration::from_millis(500), Duration::from_secs(10))
    })
    .await;
    let mut tcp = app.stalled_request().await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the server answers a stalled body and closes the connection")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    let error = api_error(body);
    assert_eq!(error["code"], "request_timeout", "{body}");
    assert!(
        error["message"].as_str().unwrap().contains("stalled"),
        "{body}"
    );
    assert_eq!(app.alerts("rejected_request"), 1);
    app.stop().await;
}

#[tokio::test]
async fn every_alert_is_counted_once_by_outcome() {
    let mut app = start(
        &[
            ("SOC_INGEST__MAX_BATCH", "5"),
            ("SOC_NATS__MAX_PENDING_ALERTS", "2"),
        ],
        |s| s,
    )
    .await;
    // Over the batch limit: every alert of it is rejected.
    let r = app.post("/v1/alerts", ndjson(6, "big")).await;
    assert_eq!(r.status(), 413);
    assert_eq!(app.alerts("rejected"), 6);
    // A truncated document is one rejected alert.
    let r = app.post("/v1/alerts", "{\"alert_id\": ".into()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(app.alerts("rejected"), 6 + 1);
    // An empty body holds no alerts to count: one rejected request.
    let r = app.post("/v1/alerts", " \n".into()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(app.alerts("rejected_request"), 1);
    // The stream holds 2: the third alert of a batch is refused after two are queued.
    let r = app.post("/v1/alerts", ndjson(3, "full")).await;
    assert_eq!(r.status(), 503);
    assert_eq!(app.alerts("accepted"), 2);
    assert_eq!(app.alerts("unavailable"), 1);
    // NATS down: every alert of the batch is unavailable, not just the request.
    app.nats.stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = app.post("/v1/alerts", ndjson(3, "down")).await;
    assert_eq!(r.status(), 503);
    assert_eq!(app.alerts("unavailable"), 1 + 3);
    assert_eq!(app.alerts("accepted"), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_query_string_is_a_json_400_after_the_token_check() {
    let token = "s3cret-token-0123456789";
    let app = start(&[("SOC_INGEST_TOKEN", token)], |s| s).await;
    let bad = "/v1/alerts?format=ecs&format=wazuh";
    // Without the token: 401 comes first, as for every other error.
    let r = app.post(bad, ndjson(1, "q")).await;
    assert_eq!(r.status(), 401);
    assert_eq!(api_error(&r.text().await.unwrap())["code"], "unauthorized");
    // With it: a JSON 400 that names the parameter.
    let r = app
        .http
        .post(app.url(bad))
        .bearer_auth(token)
        .body(ndjson(1, "q"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    let error = api_error(&body);
    assert_eq!(error["code"], "invalid_query", "{body}");
    assert!(
        error["message"].as_str().unwrap().contains("`format`"),
        "{body}"
    );
    // A token given in the query string still works next to a bad parameter.
    let r = app
        .post(
            &format!("/v1/alerts?token={token}&format=ecs&format=wazuh"),
            ndjson(1, "q"),
        )
        .await;
    assert_eq!(r.status(), 400);
    // An unknown format is a JSON 400 too.
    let r = app
        .post(&format!("/v1/alerts?token={token}&format="), ndjson(1, "q"))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        api_error(&r.text().await.unwrap())["code"],
        "unknown_format"
    );
    app.stop().await;
}
