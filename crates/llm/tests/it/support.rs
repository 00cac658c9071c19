//! Test helpers: the contract fixtures in `tests/fixtures/` served by `wiremock`, clients
//! pointed at a mock server with a sleeper that records instead of waiting, and a JSON
//! comparison that treats `0` and `0.0` alike.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use soc_core::config::Secret;
use soc_llm::config::{AnthropicConfig, OpenAiConfig};
use soc_llm::http::HttpSettings;
use soc_llm::retry::{RetryPolicy, Sleeper};
use soc_llm::{AnthropicClient, OpenAiClient, PriceTable};
use wiremock::{Match, MockServer, Request, ResponseTemplate};

/// The Anthropic key of every test client; it must never show in errors or `Debug`.
pub(crate) const ANTHROPIC_KEY: &str = "sk-ant-api03-test-7f3a9c1e5b2d4680";
/// The OpenAI key of every test client.
pub(crate) const OPENAI_KEY: &str = "sk-proj-test-0e1d2c3b4a5f6789";

/// The `User-Agent` every request must carry.
pub(crate) fn user_agent() -> String {
    format!("soc-copilot/{}", env!("CARGO_PKG_VERSION"))
}

fn path(dir: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name)
}

/// A fixture's text.
pub(crate) fn text(dir: &str, name: &str) -> String {
    std::fs::read_to_string(path(dir, name)).unwrap()
}

/// A fixture as JSON.
pub(crate) fn json(dir: &str, name: &str) -> Value {
    serde_json::from_str(&text(dir, name)).unwrap()
}

/// A response with `status` and the fixture as a JSON body.
pub(crate) fn respond(status: u16, dir: &str, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(text(dir, name), "application/json")
}

/// A response with `status` and `body` as JSON.
pub(crate) fn respond_json(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

/// The fixture `body` served with the status and headers of the fixture `headers` (a
/// `*.headers.json` file), with `overrides` replacing header values.
pub(crate) fn respond_with_headers(
    dir: &str,
    body: &str,
    headers: &str,
    overrides: &[(&str, &str)],
) -> ResponseTemplate {
    let headers = json(dir, headers);
    let status = u16::try_from(headers["_status"].as_u64().unwrap()).unwrap();
    let mut t = respond(status, dir, body);
    for (k, v) in headers.as_object().unwrap() {
        if k == "_status" || k.eq_ignore_ascii_case("content-type") {
            continue;
        }
        let v = overrides
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map_or_else(|| v.as_str().unwrap().to_owned(), |(_, v)| (*v).to_owned());
        t = t.insert_header(k.as_str(), v.as_str());
    }
    t
}

/// A sleeper that records the waits and returns at once.
#[derive(Debug, Default)]
pub(crate) struct RecordingSleeper(Mutex<Vec<Duration>>);

impl RecordingSleeper {
    /// The waits asked for so far.
    pub(crate) fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

/// Test HTTP settings: 5 s timeout, the default retry policy.
pub(crate) fn http() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy::default(),
    }
}

/// An Anthropic client for `server` with the default prices and a recording sleeper.
pub(crate) fn anthropic(
    server: &MockServer,
    http: HttpSettings,
) -> (AnthropicClient, Arc<RecordingSleeper>) {
    anthropic_at(&server.uri(), http)
}

/// An Anthropic client for `base_url`.
pub(crate) fn anthropic_at(
    base_url: &str,
    http: HttpSettings,
) -> (AnthropicClient, Arc<RecordingSleeper>) {
    let mut cfg = AnthropicConfig::new(Secret::new(ANTHROPIC_KEY));
    cfg.base_url = base_url.to_owned();
    cfg.http = http;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = AnthropicClient::new(cfg, Arc::new(PriceTable::default()))
        .unwrap()
        .with_sleeper(sleeper.clone());
    (client, sleeper)
}

/// An OpenAI-compatible client for `base_url` with `key` and `prices`.
pub(crate) fn openai_at(
    base_url: &str,
    key: Option<&str>,
    prices: PriceTable,
) -> (OpenAiClient, Arc<RecordingSleeper>) {
    let mut cfg = OpenAiConfig::new(key.map(Secret::new));
    cfg.base_url = base_url.to_owned();
    cfg.http = http();
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = OpenAiClient::new(cfg, Arc::new(prices))
        .unwrap()
        .with_sleeper(sleeper.clone());
    (client, sleeper)
}

/// An OpenAI-compatible client for `server` (base `{uri}/v1`) with [`OPENAI_KEY`] and the
/// default prices.
pub(crate) fn openai(server: &MockServer) -> (OpenAiClient, Arc<RecordingSleeper>) {
    openai_at(
        &format!("{}/v1", server.uri()),
        Some(OPENAI_KEY),
        PriceTable::default(),
    )
}

/// Matches requests whose JSON body has `n` messages.
pub(crate) struct MessageCount(pub(crate) usize);

impl Match for MessageCount {
    fn matches(&self, request: &Request) -> bool {
        serde_json::from_slice::<Value>(&request.body)
            .ok()
            .and_then(|v| v["messages"].as_array().map(Vec::len))
            == Some(self.0)
    }
}

/// The JSON bodies of the requests `server` received, in order.
pub(crate) async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// `v` with every number as a float, so `0` and `0.0` compare equal.
fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => {
            serde_json::Number::from_f64(n.as_f64().unwrap()).map_or(Value::Null, Value::Number)
        }
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_floats).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), numbers_as_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Asserts two JSON documents are equal, numbers compared by value.
pub(crate) fn assert_same_json(actual: &Value, expected: &Value) {
    let (a, e) = (numbers_as_floats(actual), numbers_as_floats(expected));
    assert!(
        a == e,
        "JSON differs\n--- actual\n{}\n--- expected\n{}",
        serde_json::to_string_pretty(actual).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}

/// `a` and `b` within a billionth of a dollar.
pub(crate) fn assert_usd(actual: Option<f64>, expected: f64) {
    let a = actual.unwrap();
    assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
}
