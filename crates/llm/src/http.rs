//! What both clients share: the `reqwest` client, one POST with the retry policy, the
//! mapping of HTTP answers to [`LlmError`], and redaction.
//!
//! - [`HttpSettings`]: timeouts and the retry policy of one client.
//! - `Transport` (crate-private) holds the endpoint URL, the fixed headers (the key
//!   header marked sensitive) and the client (bounded timeouts, `User-Agent:
//!   soc-copilot/<version>`, no redirects: a redirect would carry the key to another
//!   host). `Transport::post` sends the JSON body, retries by [`RetryPolicy`], and maps
//!   the final answer: 2xx → the body (at most [`MAX_BODY_BYTES`]); 429 →
//!   [`LlmError::RateLimited`] (or [`LlmError::QuotaExhausted`] for spend limits and
//!   `insufficient_quota`); 529/503 → [`LlmError::Overloaded`]; 401/403 →
//!   [`LlmError::AuthRejected`]; 402 → [`LlmError::QuotaExhausted`]; other 4xx →
//!   [`LlmError::BadRequest`] with the API's message; other 5xx, 408, 409 →
//!   [`LlmError::Server`].
//!
//! Upstream text (error messages, transport causes) goes through [`redact`]: the key is
//! replaced, control characters dropped, length capped. URLs are stripped from transport
//! errors, and the endpoint URL's user name, password and query (a proxy URL may carry
//! `user:pw@` or `?key=`) are replaced wherever upstream text echoes them. A URL is only
//! ever shown as `scheme://host:port/path` ([`crate::config::redact_base_url`]).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use serde_json::Value;
use soc_core::config::Secret;

use crate::LlmError;
use crate::retry::{RetryPolicy, Sleeper, TokioSleeper, retry_after};

/// Largest response body read (8 MiB); an LLM answer is far smaller.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Longest upstream message kept in an error, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Timeouts and retries of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Whole-request timeout of one attempt (connect, send, model time, body). Default
    /// 120 s: a strong model writing a long answer takes tens of seconds.
    pub timeout: Duration,
    /// Connection timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// Retries of rate limits, overloads and server failures.
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// The `User-Agent` of every request: `soc-copilot/<version>`.
pub fn user_agent() -> String {
    format!("soc-copilot/{}", env!("CARGO_PKG_VERSION"))
}

/// `text` made safe for an error or a log: every occurrence of `secret` replaced by
/// `[redacted]`, control characters turned into spaces, white space collapsed, cut to
/// 300 characters (with `…`).
pub fn redact(text: &str, secret: Option<&Secret>) -> String {
    let text = match secret.map(Secret::expose).filter(|k| !k.is_empty()) {
        Some(k) => text.replace(k, "[redacted]"),
        None => text.to_owned(),
    };
    clean(&text)
}

/// Control characters turned into spaces, white space collapsed, cut to
/// [`MAX_MESSAGE_CHARS`] characters (with `…`).
fn clean(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c.is_whitespace() {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        if count == MAX_MESSAGE_CHARS {
            let mut cut = out.trim_end().to_owned();
            cut.push('…');
            return cut;
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_owned()
}

/// Shortest URL part (user name, password, query value) replaced wherever it occurs in
/// upstream text; a shorter one is only replaced in its URL form (`user:pw@`, `?k=v`),
/// since replacing every `a` or `pw` would garble the message and such a value is no
/// secret worth the name.
const MIN_BARE_SECRET_CHARS: usize = 4;

/// What upstream text must never carry: the API key, and the user name, password, query
/// and fragment of the endpoint URL (alone and in their URL forms). `Debug` shows only
/// how many there are.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// The API key, removed first.
    key: Option<Secret>,
    /// Longest first, so a whole URL goes before its parts.
    literals: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("literals", &self.literals.len())
            .finish()
    }
}

impl Redactor {
    /// The redactor of a client with `key` posting to `url`.
    pub(crate) fn new(key: Option<Secret>, url: &Url) -> Self {
        let mut r = Self {
            key,
            literals: Vec::new(),
        };
        let user = url.username();
        let password = url.password();
        if !user.is_empty() || password.is_some() {
            r.push(url.as_str(), 1);
            let userinfo = match password {
                Some(p) => format!("{user}:{p}@"),
                None => format!("{user}@"),
            };
            r.push(&userinfo, 1);
            for part in [Some(user), password].into_iter().flatten() {
                r.push(part, MIN_BARE_SECRET_CHARS);
                r.push(&percent_decode(part), MIN_BARE_SECRET_CHARS);
            }
        }
        for (mark, part) in [('?', url.query()), ('#', url.fragment())] {
            let Some(part) = part.filter(|p| !p.is_empty()) else {
                continue;
            };
            r.push(url.as_str(), 1);
            r.push(&format!("{mark}{part}"), 1);
            r.push(part, MIN_BARE_SECRET_CHARS);
            for pair in part.split('&') {
                let value = pair.split_once('=').map_or(pair, |(_, v)| v);
                r.push(value, MIN_BARE_SECRET_CHARS);
                r.push(&percent_decode(value), MIN_BARE_SECRET_CHARS);
            }
        }
        r.literals
            .sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
        r
    }

    fn push(&mut self, literal: &str, min_chars: usize) {
        if literal.chars().count() >= min_chars.max(1)
            && !self.literals.iter().any(|l| l == literal)
        {
            self.literals.push(literal.to_owned());
        }
    }

    /// `text` without any of the literals, then [`clean`]ed.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut text = match self.key.as_ref().map(Secret::expose) {
            Some(k) if !k.is_empty() => text.replace(k, "[redacted]"),
            _ => text.to_owned(),
        };
        for l in &self.literals {
            if text.contains(l.as_str()) {
                text = text.replace(l.as_str(), "[redacted]");
            }
        }
        clean(&text)
    }
}

/// `%XX` sequences decoded (lossily, as UTF-8); anything malformed kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
            && let Ok(b) = u8::try_from(h * 16 + l)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL for display: no user name, password, query or fragment.
pub(crate) fn display_url(url: &Url) -> String {
    crate::config::redact_base_url(url.as_str())
}

/// Parses a base URL: http or https, usable as a base, no trailing slash kept.
pub(crate) fn parse_base_url(provider: &str, base: &str) -> Result<Url, LlmError> {
    let url = Url::parse(base.trim().trim_end_matches('/'))
        .map_err(|_| LlmError::Config(format!("`{provider}` base URL is not a valid URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(LlmError::Config(format!(
            "`{provider}` base URL must be an http or https URL"
        )));
    }
    Ok(url)
}

/// `base` with `segments` appended to its path.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// A header value holding a secret, marked sensitive (hidden from `Debug` and HTTP/2
/// header compression tables).
pub(crate) fn secret_header(provider: &str, value: &str) -> Result<HeaderValue, LlmError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        LlmError::Config(format!(
            "`{provider}` API key holds characters a header cannot carry"
        ))
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// A successful exchange.
pub(crate) struct Reply {
    /// The 2xx body.
    pub(crate) body: Vec<u8>,
    /// Attempts it took.
    pub(crate) attempts: u32,
}

/// One endpoint of one provider.
pub(crate) struct Transport {
    provider: &'static str,
    url: Url,
    headers: HeaderMap,
    redactor: Redactor,
    client: reqwest::Client,
    settings: HttpSettings,
    sleeper: Arc<dyn Sleeper>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("provider", &self.provider)
            .field("url", &display_url(&self.url))
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport posting to `url` with `headers` (the key header already marked
    /// sensitive); `secret` and the credentials and query of `url` are what
    /// [`Transport::redact`] removes from upstream text.
    pub(crate) fn new(
        provider: &'static str,
        url: Url,
        mut headers: HeaderMap,
        secret: Option<Secret>,
        settings: HttpSettings,
    ) -> Result<Self, LlmError> {
        crate::tls::install_crypto_provider();
        let redactor = Redactor::new(secret, &url);
        if settings.timeout.is_zero() || settings.connect_timeout.is_zero() {
            return Err(LlmError::Config(format!(
                "`{provider}` timeouts must be greater than zero"
            )));
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(user_agent())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                LlmError::Config(format!(
                    "`{provider}` HTTP client cannot be built: {}",
                    redactor.apply(&e.without_url().to_string())
                ))
            })?;
        Ok(Self {
            provider,
            url,
            headers,
            redactor,
            client,
            settings,
            sleeper: Arc::new(TokioSleeper),
        })
    }

    /// Replaces the sleeper (tests).
    pub(crate) fn set_sleeper(&mut self, sleeper: Arc<dyn Sleeper>) {
        self.sleeper = sleeper;
    }

    /// Upstream text made safe for an error: no key, no URL credentials or query.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.redactor.apply(text)
    }

    /// Posts `body` (JSON bytes), retrying by the policy; see the module documentation.
    pub(crate) async fn post(&self, body: Vec<u8>) -> Result<Reply, LlmError> {
        let policy = self.settings.retry;
        let max_attempts = policy.max_attempts.max(1);
        let path = self.url.path().to_owned();
        let mut attempt = 1u32;
        loop {
            let started = Instant::now();
            let outcome = self.attempt(body.clone()).await;
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let (err, retry_hint) = match outcome {
                Ok(body) => {
                    tracing::debug!(
                        provider = self.provider,
                        path = %path,
                        attempt,
                        elapsed_ms,
                        "LLM request answered"
                    );
                    return Ok(Reply {
                        body,
                        attempts: attempt,
                    });
                }
                Err(Failure::Final(e)) => {
                    tracing::debug!(provider = self.provider, path = %path, attempt, elapsed_ms, error = %e, "LLM request failed");
                    return Err(e);
                }
                Err(Failure::Retryable(e, wait)) => (e, wait),
            };
            if attempt >= max_attempts {
                tracing::warn!(provider = self.provider, path = %path, attempts = attempt, error = %err, "LLM request failed; retries spent");
                return Err(err);
            }
            let Some(delay) = policy.delay(attempt, retry_hint) else {
                tracing::warn!(
                    provider = self.provider,
                    path = %path,
                    attempts = attempt,
                    wait_s = retry_hint.map(|d| d.as_secs_f64()),
                    error = %err,
                    "LLM request failed; the requested wait is longer than a call waits"
                );
                return Err(err);
            };
            tracing::warn!(
                provider = self.provider,
                path = %path,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %err,
                "LLM request failed; retrying"
            );
            self.sleeper.sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, body: Vec<u8>) -> Result<Vec<u8>, Failure> {
        let sent = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.transport_failure(e)),
        };
        let status = resp.status();
        if status.is_success() {
            return self.read_body(resp).await.map_err(Failure::Final);
        }
        let wait = retry_after(resp.headers(), Utc::now());
        let body = self.read_body(resp).await.unwrap_or_default();
        let api = ApiError::parse(&body);
        Err(self.status_failure(status, wait, &api))
    }

    fn status_failure(
        &self,
        status: StatusCode,
        wait: Option<Duration>,
        api: &ApiError,
    ) -> Failure {
        let provider = self.provider;
        let message = self.redact(&api.message_or(status));
        let code = status.as_u16();
        match code {
            429 if api.is_quota() => Failure::Final(LlmError::QuotaExhausted { provider, message }),
            429 => Failure::Retryable(
                LlmError::RateLimited {
                    provider,
                    retry_after: wait,
                },
                wait,
            ),
            529 | 503 => Failure::Retryable(
                LlmError::Overloaded {
                    provider,
                    retry_after: wait,
                },
                wait,
            ),
            401 | 403 => Failure::Final(LlmError::AuthRejected {
                provider,
                status: code,
                message,
            }),
            402 => Failure::Final(LlmError::QuotaExhausted { provider, message }),
            408 | 409 | 500 | 502 | 504 => Failure::Retryable(
                LlmError::Server {
                    provider,
                    status: code,
                    message,
                },
                wait,
            ),
            _ if status.is_server_error() => Failure::Final(LlmError::Server {
                provider,
                status: code,
                message,
            }),
            _ if status.is_redirection() => Failure::Final(LlmError::MalformedResponse {
                provider,
                detail: format!("unexpected redirect (HTTP {code})"),
            }),
            _ => Failure::Final(LlmError::BadRequest {
                provider,
                status: code,
                message,
            }),
        }
    }

    fn transport_failure(&self, e: reqwest::Error) -> Failure {
        let e = e.without_url();
        if e.is_timeout() {
            return Failure::Final(LlmError::Timeout {
                provider: self.provider,
                after: self.settings.timeout,
            });
        }
        if e.is_connect() {
            return Failure::Retryable(
                LlmError::Transport {
                    provider: self.provider,
                    detail: "cannot connect".to_owned(),
                },
                None,
            );
        }
        Failure::Final(LlmError::Transport {
            provider: self.provider,
            detail: self.cause_chain(&e),
        })
    }

    /// The error and its causes, without the URL or the key.
    fn cause_chain(&self, e: &(dyn std::error::Error + 'static)) -> String {
        let mut parts = Vec::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            parts.push(s.to_string());
            source = s.source();
        }
        self.redact(&parts.join(": "))
    }

    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, LlmError> {
        let too_big = || LlmError::MalformedResponse {
            provider: self.provider,
            detail: format!("response body larger than {MAX_BODY_BYTES} bytes"),
        };
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(too_big());
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(match self.transport_failure(e) {
                        Failure::Final(e) | Failure::Retryable(e, _) => e,
                    });
                }
            }
        }
    }
}

/// How one attempt failed.
enum Failure {
    /// Do not retry.
    Final(LlmError),
    /// Retry (with the provider's wait, when it gave one) while attempts remain.
    Retryable(LlmError, Option<Duration>),
}

/// The useful parts of an error body, whichever envelope it came in: Anthropic
/// `{"type":"error","error":{"type","message","details":{"error_code"}}}`, OpenAI /
/// llama.cpp / vLLM `{"error":{"message","type","code"}}` (`code` a string, an integer or
/// null), old vLLM's flat `{"object":"error","message","type","code"}`, or plain text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// `error.type` (or the flat `type`).
    pub(crate) kind: Option<String>,
    /// `error.code` as text, or Anthropic's `error.details.error_code`.
    pub(crate) code: Option<String>,
    /// The message.
    pub(crate) message: Option<String>,
}

impl ApiError {
    pub(crate) fn parse(body: &[u8]) -> Self {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            // A short plain-text body is a message (proxies, local servers); HTML is not.
            let message = (!text.is_empty() && !text.starts_with('<')).then(|| text.to_owned());
            return Self {
                message,
                ..Self::default()
            };
        };
        let obj = match v.get("error") {
            Some(e @ Value::Object(_)) => e,
            Some(Value::String(s)) => {
                return Self {
                    message: Some(s.clone()),
                    ..Self::default()
                };
            }
            _ => &v,
        };
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Self {
            kind: text(obj.get("type")),
            code: text(obj.pointer("/details/error_code")).or_else(|| text(obj.get("code"))),
            message: text(obj.get("message")),
        }
    }

    /// A spend limit or exhausted quota: retrying will not help.
    pub(crate) fn is_quota(&self) -> bool {
        [self.kind.as_deref(), self.code.as_deref()]
            .into_iter()
            .flatten()
            .any(|s| matches!(s, "enforced_spend_limit_reached" | "insufficient_quota"))
    }

    /// `type: message`, or the HTTP reason when the body said nothing.
    fn message_or(&self, status: StatusCode) -> String {
        match (&self.kind, &self.message) {
            (Some(k), Some(m)) => format!("{k}: {m}"),
            (None, Some(m)) => m.clone(),
            (Some(k), None) => k.clone(),
            (None, None) => status
                .canonical_reason()
                .unwrap_or("no message")
                .to_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_the_key_controls_and_length() {
        let key = Secret::new("sk-ant-123456");
        let s = redact("invalid key sk-ant-123456\n\tplease\u{1b}[0m", Some(&key));
        assert_eq!(s, "invalid key [redacted] please [0m");
        let long = "x".repeat(1000);
        assert_eq!(redact(&long, None).chars().count(), MAX_MESSAGE_CHARS + 1);
        assert_eq!(redact("a", Some(&Secret::new(""))), "a");
    }

    #[test]
    fn error_envelopes_parse() {
        let a = ApiError::parse(
            br#"{"type":"error","error":{"type":"rate_limit_error","message":"monthly","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"r"}"#,
        );
        assert_eq!(a.kind.as_deref(), Some("rate_limit_error"));
        assert!(a.is_quota());
        let o = ApiError::parse(
            br#"{"error":{"message":"quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        );
        assert!(o.is_quota());
        let l = ApiError::parse(
            br#"{"error":{"code":400,"message":"bad","type":"invalid_request_error"}}"#,
        );
        assert_eq!(l.code.as_deref(), Some("400"));
        assert_eq!(
            l.message_or(StatusCode::BAD_REQUEST),
            "invalid_request_error: bad"
        );
        let flat = ApiError::parse(
            br#"{"object":"error","message":"m","type":"BadRequestError","param":null,"code":400}"#,
        );
        assert_eq!(flat.message.as_deref(), Some("m"));
        assert!(!flat.is_quota());
        let text = ApiError::parse(b"upstream connect error");
        assert_eq!(text.message.as_deref(), Some("upstream connect error"));
        let html = ApiError::parse(b"<html>502</html>");
        assert_eq!(html.message_or(StatusCode::BAD_GATEWAY), "bad gateway");
    }

    #[test]
    fn base_urls_are_checked_and_joined() {
        let u = parse_base_url("anthropic", "https://api.anthropic.com/").unwrap();
        assert_eq!(
            join(&u, &["v1", "messages"]).as_str(),
            "https://api.anthropic.com/v1/messages"
        );
        let u = parse_base_url("openai", "http://localhost:11434/v1/").unwrap();
        assert_eq!(
            join(&u, &["chat", "completions"]).as_str(),
            "http://localhost:11434/v1/chat/completions"
        );
        assert!(parse_base_url("x", "ftp://h").is_err());
        assert!(parse_base_url("x", "not a url").is_err());
        let u = parse_base_url("x", "https://user:pw@proxy.example/api?k=1").unwrap();
        assert_eq!(display_url(&u), "https://proxy.example/api");
    }

    #[test]
    fn bad_base_urls_fail_without_echoing_them() {
        for base in [
            "not a url:pr0xy-PW-123@x?key=query-K-456",
            "ftp://proxyuser:pr0xy-PW-123@h/?key=query-K-456",
        ] {
            let e = parse_base_url("openai", base).unwrap_err();
            let shown = format!("{e} {e:?}");
            for s in ["proxyuser", "pr0xy-PW-123", "query-K-456"] {
                assert!(!shown.contains(s), "{shown}");
            }
        }
    }

    #[test]
    fn url_credentials_query_and_key_are_redacted_from_upstream_text() {
        let key = Secret::new("sk-key-0123456789");
        let url = Url::parse(
            "https://proxyuser:pr0xy%2DPW@proxy.example:8443/v1/messages?key=query-K-456&x=ab#frag-secret",
        )
        .unwrap();
        let r = Redactor::new(Some(key), &url);
        let text = format!(
            "failed for {url}; user proxyuser pw pr0xy-PW / pr0xy%2DPW, query-K-456, \
             key sk-key-0123456789, frag-secret, path /v1/messages?key=query-K-456&x=ab"
        );
        let out = r.apply(&text);
        for s in [
            "proxyuser",
            "pr0xy",
            "query-K-456",
            "sk-key",
            "frag-secret",
            "x=ab",
        ] {
            assert!(!out.contains(s), "{s} in {out}");
        }
        assert!(out.contains("path /v1/messages[redacted]"), "{out}");
        assert!(!format!("{r:?}").contains("proxyuser"));
        // Short parts go only in their URL form: a bare `K` or `PW` is no secret to
        // hunt through the text for.
        let r = Redactor::new(None, &Url::parse("http://u:PW@h/?k=K").unwrap());
        assert_eq!(
            r.apply("PW and K stay; u:PW@h and ?k=K go"),
            "PW and K stay; [redacted]h and [redacted] go"
        );
        // Without credentials or query only the key is removed.
        let r = Redactor::new(None, &Url::parse("https://api.openai.com/v1").unwrap());
        assert_eq!(
            r.apply("see https://api.openai.com/v1"),
            "see https://api.openai.com/v1"
        );
    }

    #[test]
    fn percent_decoding_keeps_what_is_malformed() {
        assert_eq!(percent_decode("a%2Db%zz%4"), "a-b%zz%4");
        assert_eq!(percent_decode("p%C3%A9"), "pé");
    }
}
