//! [`MockLlm`]: a scripted LLM HTTP server that speaks the Anthropic Messages or the
//! OpenAI-compatible Chat Completions wire format.
//!
//! The mock serves real HTTP on `127.0.0.1:<free port>` from a tokio task, so the code
//! under test uses its production client unchanged. It does two jobs:
//!
//! - **It checks every request** against the documented shape
//!   (`../shared/api-contracts/anthropic-messages.md`, `openai-chat-completions.md`):
//!   auth and version headers, `content-type`, `model`, `max_tokens`, tool schemas, role
//!   order, and that every tool result answers a tool call of the preceding assistant
//!   message. A request that fails gets the provider's error envelope naming every
//!   problem (404 for a wrong path, 401 for auth, 400 otherwise), does not use up a
//!   turn, and each problem is added to [`MockLlm::violations`]. End a test with
//!   [`MockLlm::assert_no_violations`].
//! - **It replays a script** of provider-neutral [`Turn`]s, one per accepted request:
//!   tool calls, final JSON, prose-wrapped JSON, placeholders, empty tool input,
//!   control characters, thinking blocks, truncation, error statuses with `retry-after`,
//!   and delays. When the script runs out it either repeats the last turn or answers 500
//!   ([`OnExhausted`]).
//!
//! Every 200 reports the same configurable token [`Usage`] and echoes the request's
//! `model`. Ids are deterministic: message `msg_mock_000003` / `chatcmpl-mock-000003`
//! and tool calls `toolu_mock_000003_1` / `call_mock_000003_1` (request index, then
//! position in the answer).
//!
//! # Base URL
//!
//! [`MockLlm::base_url`] is `http://127.0.0.1:PORT`, without a path, for both flavours,
//! following the contract docs: Anthropic clients append `/v1/messages`
//! (`POST {base}/v1/messages`) and OpenAI-compatible clients append
//! `/v1/chat/completions` (`POST {base}/v1/chat/completions`; a client configured with
//! a `…/v1` base, as for Ollama, gets [`MockLlm::openai_base_url`] instead and appends
//! `/chat/completions`). Any other method or path is a violation.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() {
//! use serde_json::json;
//! use soc_testkit::llm_mock::{Flavor, MockLlm, Turn};
//!
//! let llm = MockLlm::start(
//!     Flavor::Anthropic,
//!     vec![
//!         Turn::tool_call("lookup_ip_reputation", json!({"ip": "185.220.101.47"})),
//!         Turn::final_json(&json!({"verdict": "malicious", "confidence": 90})),
//!     ],
//! )
//! .await;
//! // point the client at llm.base_url(), run the investigation, then:
//! assert_eq!(llm.calls(), 2);
//! llm.assert_no_violations();
//! # }
//! ```

mod render;
mod turn;
mod validate;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::Value;
use tokio::task::JoinHandle;

pub use turn::Turn;

use render::Ctx;
use turn::Plan;

/// Largest request body accepted (the Messages API limit is 32 MB).
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Which wire format the mock speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Anthropic Messages API: `POST /v1/messages`, `x-api-key` + `anthropic-version`.
    Anthropic,
    /// OpenAI-compatible Chat Completions (OpenAI, vLLM, llama.cpp, Ollama):
    /// `POST /v1/chat/completions`, `authorization: Bearer …`.
    OpenAi,
}

impl Flavor {
    /// The one path this flavour serves.
    pub fn path(self) -> &'static str {
        match self {
            Self::Anthropic => "/v1/messages",
            Self::OpenAi => "/v1/chat/completions",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::OpenAi => "openai",
        }
    }
}

/// What the mock answers once every scripted turn has been played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnExhausted {
    /// Answer 500 (in the provider's error envelope) saying the script ran out. An
    /// unexpected extra call then fails loudly. The default.
    #[default]
    Fail,
    /// Play the last turn again, forever (load tests, "529 on every call"). With an
    /// empty script this still answers 500.
    RepeatLast,
}

/// Token counts reported in every 200 answer.
///
/// Anthropic reports them as they are. The OpenAI flavour reports
/// `prompt_tokens = input + cache_read + cache_creation`,
/// `prompt_tokens_details.cached_tokens = cache_read`, and
/// `completion_tokens = output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Uncached input tokens. Default 100.
    pub input_tokens: u64,
    /// Output tokens. Default 20.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache. Default 0.
    pub cache_read_input_tokens: u64,
    /// Input tokens written to the prompt cache. Default 0.
    pub cache_creation_input_tokens: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
        }
    }
}

/// How the mock answered one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with script turn `turn` (0-based; repeats of the last turn give its index).
    Scripted {
        /// Index into the script.
        turn: usize,
    },
    /// Failed validation; answered 400/401/404 and counted in [`MockLlm::violations`].
    Rejected,
    /// The script had run out under [`OnExhausted::Fail`]; answered 500.
    ScriptExhausted,
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// 0-based arrival order.
    pub index: usize,
    /// HTTP method.
    pub method: Method,
    /// Request path.
    pub path: String,
    /// All request headers (API keys included: this is a test double).
    pub headers: HeaderMap,
    /// The body parsed as JSON, or `None` if it was not JSON.
    pub body: Option<Value>,
    /// The raw body, lossily decoded as UTF-8.
    pub raw_body: String,
    /// Every validation problem of this request (empty when it was accepted).
    pub problems: Vec<String>,
    /// How it was answered.
    pub outcome: Outcome,
}

impl RecordedRequest {
    /// A header value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's `messages` array (empty if missing).
    pub fn messages(&self) -> &[Value] {
        self.body
            .as_ref()
            .and_then(|b| b.get("messages"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// Configures a [`MockLlm`] before starting it. Get one from [`MockLlm::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MockLlmBuilder {
    flavor: Flavor,
    script: Vec<Turn>,
    on_exhausted: OnExhausted,
    usage: Usage,
    api_key: Option<String>,
    keep_requests: bool,
}

impl MockLlmBuilder {
    /// Replaces the script.
    pub fn script(mut self, script: Vec<Turn>) -> Self {
        self.script = script;
        self
    }

    /// Appends one turn to the script.
    pub fn turn(mut self, turn: Turn) -> Self {
        self.script.push(turn);
        self
    }

    /// What to answer after the last turn (default [`OnExhausted::Fail`]).
    pub fn on_exhausted(mut self, on_exhausted: OnExhausted) -> Self {
        self.on_exhausted = on_exhausted;
        self
    }

    /// The token counts every answer reports (default [`Usage::default`]).
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// Requires this exact API key (`x-api-key` / `Bearer`); any other gets 401.
    /// Without it any non-empty key is accepted.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Whether every request is kept for [`MockLlm::requests`] (default `true`). A long
    /// load run turns it off so the mock's memory does not grow with every call: requests
    /// are then only counted ([`MockLlm::calls`]) and validated ([`MockLlm::violations`]).
    pub fn keep_requests(mut self, keep: bool) -> Self {
        self.keep_requests = keep;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on a tokio task.
    ///
    /// # Errors
    ///
    /// Fails if the listener cannot be bound.
    pub async fn try_start(self) -> std::io::Result<MockLlm> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            flavor: self.flavor,
            on_exhausted: self.on_exhausted,
            usage: self.usage,
            api_key: self.api_key,
            keep_requests: self.keep_requests,
            state: Mutex::new(MockState {
                script: self.script,
                next: 0,
                calls: 0,
                requests: Vec::new(),
                violations: Vec::new(),
            }),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!(error = %err, "MockLlm server stopped");
            }
        });
        tracing::debug!(%addr, flavor = shared.flavor.name(), "MockLlm started");
        Ok(MockLlm { addr, shared, task })
    }

    /// Like [`MockLlmBuilder::try_start`].
    ///
    /// # Panics
    ///
    /// If `127.0.0.1:0` cannot be bound.
    pub async fn start(self) -> MockLlm {
        match self.try_start().await {
            Ok(mock) => mock,
            Err(err) => panic!("MockLlm: binding 127.0.0.1:0 failed: {err}"),
        }
    }
}

/// A scripted LLM server on `127.0.0.1:<free port>`; see the [module docs](self).
///
/// Dropping it stops accepting connections (responses already being written may
/// still complete).
#[derive(Debug)]
pub struct MockLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MockLlm {
    /// Starts a mock of `flavor` playing `script`, failing with 500 once it runs out,
    /// with default [`Usage`] and any API key accepted.
    ///
    /// # Panics
    ///
    /// If `127.0.0.1:0` cannot be bound.
    pub async fn start(flavor: Flavor, script: Vec<Turn>) -> Self {
        Self::builder(flavor).script(script).start().await
    }

    /// A builder for the other options.
    pub fn builder(flavor: Flavor) -> MockLlmBuilder {
        MockLlmBuilder {
            flavor,
            script: Vec::new(),
            on_exhausted: OnExhausted::default(),
            usage: Usage::default(),
            api_key: None,
            keep_requests: true,
        }
    }

    /// `http://127.0.0.1:PORT`, to which clients append `/v1/messages` (Anthropic) or
    /// `/v1/chat/completions` (OpenAI-compatible).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`, for OpenAI-compatible clients configured with a base
    /// that already ends in `/v1` and append only `/chat/completions`.
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// The full URL of the served endpoint (`base_url()` + [`Flavor::path`]).
    pub fn endpoint_url(&self) -> String {
        format!("{}{}", self.base_url(), self.shared.flavor.path())
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The wire format served.
    pub fn flavor(&self) -> Flavor {
        self.shared.flavor
    }

    /// How many requests have arrived, accepted or not.
    pub fn calls(&self) -> usize {
        self.shared.lock().calls
    }

    /// Every request so far, in arrival order (none when built with
    /// [`MockLlmBuilder::keep_requests`]`(false)`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Every validation problem so far, as `request N: <problem>`.
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// How many script turns have been played (at most the script's length).
    pub fn turns_played(&self) -> usize {
        let state = self.shared.lock();
        state.next.min(state.script.len())
    }

    /// Appends turns to the script while the server runs.
    pub fn push_turns(&self, turns: impl IntoIterator<Item = Turn>) {
        self.shared.lock().script.extend(turns);
    }

    /// Asserts that no request failed validation.
    ///
    /// # Panics
    ///
    /// If any did, listing every problem.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "MockLlm ({}) received {} malformed request problem(s):\n  {}",
            self.shared.flavor.name(),
            violations.len(),
            violations.join("\n  ")
        );
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// State shared between the handle and the server task.
#[derive(Debug)]
struct Shared {
    flavor: Flavor,
    on_exhausted: OnExhausted,
    usage: Usage,
    api_key: Option<String>,
    keep_requests: bool,
    state: Mutex<MockState>,
}

#[derive(Debug)]
struct MockState {
    script: Vec<Turn>,
    /// Index of the next turn to play.
    next: usize,
    /// Requests arrived, accepted or not.
    calls: usize,
    requests: Vec<RecordedRequest>,
    violations: Vec<String>,
}

impl Shared {
    /// Locks the state; a panic elsewhere cannot leave it inconsistent, so poisoning is
    /// ignored.
    fn lock(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MockState {
    /// The next turn to play, with its index, or `None` when the script is exhausted.
    fn take_turn(&mut self, on_exhausted: OnExhausted) -> Option<(usize, Plan)> {
        if let Some(turn) = self.script.get(self.next) {
            let played = (self.next, turn.plan());
            self.next += 1;
            return Some(played);
        }
        match on_exhausted {
            OnExhausted::Fail => None,
            OnExhausted::RepeatLast => {
                let last = self.script.len().checked_sub(1)?;
                self.script.get(last).map(|turn| (last, turn.plan()))
            }
        }
    }
}

/// Serves every request: validate, record, pick a turn, wait, render.
async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let flavor = shared.flavor;
    let parsed = serde_json::from_slice::<Value>(&body).map_err(|err| err.to_string());
    let problems = if method == Method::POST && uri.path() == flavor.path() {
        validate::check(
            flavor,
            &headers,
            parsed.as_ref().map_err(String::as_str),
            shared.api_key.as_deref(),
        )
    } else {
        vec![validate::Problem {
            kind: validate::Kind::Route,
            message: format!(
                "{method} {}: unknown route; the {} mock serves only POST {}",
                uri.path(),
                flavor.name(),
                flavor.path()
            ),
        }]
    };
    let model = parsed
        .as_ref()
        .ok()
        .and_then(|b| b.get("model"))
        .and_then(Value::as_str)
        .unwrap_or("mock-model")
        .to_owned();

    let (index, played) = {
        let mut state = shared.lock();
        let index = state.calls;
        state.calls += 1;
        let played = if problems.is_empty() {
            Some(state.take_turn(shared.on_exhausted))
        } else {
            None
        };
        let outcome = match &played {
            None => Outcome::Rejected,
            Some(None) => Outcome::ScriptExhausted,
            Some(Some((turn, _))) => Outcome::Scripted { turn: *turn },
        };
        for problem in &problems {
            state
                .violations
                .push(format!("request {index}: {}", problem.message));
        }
        if shared.keep_requests {
            state.requests.push(RecordedRequest {
                index,
                method: method.clone(),
                path: uri.path().to_owned(),
                headers,
                body: parsed.ok(),
                raw_body: String::from_utf8_lossy(&body).into_owned(),
                problems: problems.iter().map(|p| p.message.clone()).collect(),
                outcome,
            });
        }
        (index, played)
    };

    let ctx = Ctx {
        flavor,
        model: &model,
        index,
        usage: shared.usage,
    };
    match played {
        None => {
            let status = problems
                .iter()
                .map(|p| p.kind)
                .max()
                .unwrap_or(validate::Kind::Shape)
                .status();
            let message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            tracing::debug!(index, %message, "MockLlm rejected a request");
            render::error(&ctx, status, &message)
        }
        Some(None) => render::error(
            &ctx,
            500,
            &format!(
                "soc-testkit MockLlm: the script ran out ({} turn(s) played); request {index} \
                 was not scripted",
                shared.lock().script.len()
            ),
        ),
        Some(Some((_, plan))) => {
            if !plan.delay.is_zero() {
                tokio::time::sleep(plan.delay).await;
            }
            render::render(&plan.answer, &ctx)
        }
    }
}
