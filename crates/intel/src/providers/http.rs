//! What the HTTP providers share: one client per provider, one GET helper that turns every
//! answer into JSON or an [`IntelError`], and the reading of rate-limit headers.
//!
//! - [`HttpClient`] holds the base URL, the key and a `reqwest` client built with the
//!   provider's timeout, a `User-Agent: soc-copilot/<version>` and no redirects (a
//!   redirect would carry the key header to another host).
//! - [`HttpClient::get_json`] sends ONE request (no retries: the retry, circuit and cache
//!   decorators wrap providers from outside) and maps the answer: 2xx → JSON (unreadable
//!   JSON → [`IntelError::BadResponse`]); 429 → [`IntelError::RateLimited`] with the wait
//!   read by [`retry_after_secs`]; 401/403 → [`IntelError::Unauthorized`]; 5xx, refused
//!   connections and other transport failures → [`IntelError::Unavailable`]; time-outs →
//!   [`IntelError::Timeout`]; 404/410 → [`Reply::Missing`] when the caller asked for it
//!   (VirusTotal's "never submitted", urlscan's "scan not finished"), otherwise
//!   [`IntelError::BadResponse`] like every other unexpected status.
//!
//! The key leaves its [`Secret`] only where the header is built, and that header is marked
//! sensitive. Errors and logs name the provider and the URL path, never the key, the
//! query or the base URL's credentials.

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde_json::Value;
use soc_core::config::Secret;

use crate::IntelError;
use crate::config::ProviderSettings;

/// Largest response body read (16 MiB): a verbose AbuseIPDB answer with thousands of
/// reports stays well below it.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Longest upstream error text kept in an [`IntelError`] detail, in characters.
const MAX_DETAIL_CHARS: usize = 200;

/// The `User-Agent` of every request: `soc-copilot/<version>`.
pub fn user_agent() -> String {
    format!("soc-copilot/{}", env!("CARGO_PKG_VERSION"))
}

/// Builds the `reqwest` client of one provider: `timeout` for the whole request (connect,
/// headers and body), the soc-copilot `User-Agent`, redirects off.
///
/// # Errors
///
/// [`IntelError::BadResponse`] (permanent) when the client cannot be built.
pub fn build_client(
    provider: &'static str,
    timeout: Duration,
) -> Result<reqwest::Client, IntelError> {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(user_agent())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| IntelError::BadResponse {
            provider,
            detail: format!("the HTTP client cannot be built: {}", e.without_url()),
        })
}

/// What a successful exchange returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A 2xx answer and its JSON body.
    Found(Value),
    /// A 404 or 410 the caller accepts as "the provider has nothing": its JSON body, or
    /// `Null` when the body is not JSON.
    Missing(Value),
}

/// One provider's HTTP access: base URL, key header and client.
pub struct HttpClient {
    provider: &'static str,
    base: Url,
    key_header: HeaderName,
    key: Secret,
    timeout: Duration,
    client: reqwest::Client,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.provider)
            .field("base", &redacted_url(&self.base))
            .field("key_header", &self.key_header.as_str())
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `provider` that sends the key in the `key_header` header (a lower-case
    /// header name: `key`, `x-apikey`, `api-key`).
    ///
    /// # Errors
    ///
    /// [`IntelError::BadResponse`] (permanent) when the base URL is not an http(s) URL, the
    /// key cannot be sent as a header value, or the client cannot be built. The messages
    /// never repeat the key or the URL.
    pub fn new(
        provider: &'static str,
        settings: ProviderSettings,
        key_header: &'static str,
    ) -> Result<Self, IntelError> {
        let setup = |detail: &str| IntelError::BadResponse {
            provider,
            detail: detail.to_owned(),
        };
        let base = Url::parse(settings.base_url.trim_end_matches('/'))
            .map_err(|_| setup("the base URL is not a valid URL"))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(setup("the base URL must be an http or https URL"));
        }
        if HeaderValue::from_str(settings.api_key.expose()).is_err() {
            return Err(setup("the API key holds characters a header cannot carry"));
        }
        let key_header = HeaderName::from_lowercase(key_header.as_bytes())
            .map_err(|_| setup("invalid key header name"))?;
        Ok(Self {
            provider,
            base,
            key_header,
            key: settings.api_key,
            timeout: settings.timeout,
            client: build_client(provider, settings.timeout)?,
        })
    }

    /// The timeout of one request (the whole exchange).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The provider name errors carry.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The base URL with `segments` appended as path segments (each percent-encoded; an
    /// empty last segment gives a trailing slash).
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Sends one GET to `url` with the key and `Accept: application/json`, and maps the
    /// answer (see the module documentation). `missing_ok` turns 404/410 into
    /// [`Reply::Missing`].
    ///
    /// # Errors
    ///
    /// [`IntelError`] by the mapping above.
    pub async fn get_json(&self, url: Url, missing_ok: bool) -> Result<Reply, IntelError> {
        let path = url.path().to_owned();
        let mut key =
            HeaderValue::from_str(self.key.expose()).map_err(|_| IntelError::BadResponse {
                provider: self.provider,
                detail: "the API key holds characters a header cannot carry".to_owned(),
            })?;
        key.set_sensitive(true);
        let started = Instant::now();
        let sent = self
            .client
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(self.key_header.clone(), key)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let err = self.transport_error(e);
                tracing::debug!(provider = self.provider, path = %path, elapsed_ms = started.elapsed().as_millis() as u64, error = %err, "intel request failed");
                return Err(err);
            }
        };
        let status = resp.status();
        tracing::debug!(provider = self.provider, path = %path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "intel request answered");
        if status.is_success() {
            let body = self.read_body(resp).await?;
            return serde_json::from_slice(&body)
                .map(Reply::Found)
                .map_err(|e| IntelError::BadResponse {
                    provider: self.provider,
                    detail: format!(
                        "the HTTP {} body from `{path}` is not JSON: {e}",
                        status.as_u16()
                    ),
                });
        }
        match status {
            StatusCode::TOO_MANY_REQUESTS => Err(IntelError::RateLimited {
                provider: self.provider,
                retry_after_secs: retry_after_secs(resp.headers(), Utc::now()),
            }),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(IntelError::Unauthorized {
                provider: self.provider,
            }),
            StatusCode::NOT_FOUND | StatusCode::GONE if missing_ok => {
                let body = self.read_body(resp).await.unwrap_or_default();
                Ok(Reply::Missing(
                    serde_json::from_slice(&body).unwrap_or(Value::Null),
                ))
            }
            s if s.is_server_error() => {
                let said = self.upstream_message(resp).await;
                Err(IntelError::Unavailable {
                    provider: self.provider,
                    detail: format!("HTTP {} from `{path}`{said}", s.as_u16()),
                })
            }
            s if s.is_redirection() => Err(IntelError::BadResponse {
                provider: self.provider,
                detail: format!("unexpected redirect (HTTP {}) from `{path}`", s.as_u16()),
            }),
            s => {
                let said = self.upstream_message(resp).await;
                Err(IntelError::BadResponse {
                    provider: self.provider,
                    detail: format!("HTTP {} from `{path}`{said}", s.as_u16()),
                })
            }
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> IntelError {
        let e = e.without_url();
        if e.is_timeout() {
            return IntelError::Timeout {
                provider: self.provider,
            };
        }
        let detail = if e.is_connect() {
            "cannot connect".to_owned()
        } else {
            // The chain of causes, without the URL.
            let mut parts = Vec::new();
            let mut source: Option<&dyn std::error::Error> = Some(&e);
            while let Some(s) = source {
                parts.push(s.to_string());
                source = s.source();
            }
            let text = parts.join(": ");
            let text = text.replace(self.base.as_str(), "");
            self.sanitise(&text)
        };
        IntelError::Unavailable {
            provider: self.provider,
            detail,
        }
    }

    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, IntelError> {
        let too_big = || IntelError::BadResponse {
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
                Err(e) => return Err(self.transport_error(e)),
            }
        }
    }

    /// `: <message>` from an error body in any of the three providers' envelopes, or
    /// nothing.
    async fn upstream_message(&self, resp: reqwest::Response) -> String {
        let Ok(body) = self.read_body(resp).await else {
            return String::new();
        };
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| error_message(&v))
            .map(|m| format!(": {}", self.sanitise(&m)))
            .unwrap_or_default()
    }

    /// Upstream text made safe for an error: the key removed, control characters
    /// replaced, length capped.
    fn sanitise(&self, text: &str) -> String {
        let key = self.key.expose();
        let text = if key.is_empty() {
            text.to_owned()
        } else {
            text.replace(key, "[redacted]")
        };
        clean_text(&text, MAX_DETAIL_CHARS)
    }
}

/// The message of an error body: AbuseIPDB `errors[0].detail`, VirusTotal
/// `error.code: error.message`, urlscan `message`.
pub fn error_message(body: &Value) -> Option<String> {
    if let Some(d) = body.pointer("/errors/0/detail").and_then(Value::as_str) {
        return Some(d.to_owned());
    }
    if let Some(e) = body.get("error").and_then(Value::as_object) {
        let code = e.get("code").and_then(Value::as_str);
        let msg = e.get("message").and_then(Value::as_str);
        return match (code, msg) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (Some(x), None) | (None, Some(x)) => Some(x.to_owned()),
            (None, None) => None,
        };
    }
    body.get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Seconds to wait after a 429, from the first header that says:
/// 1. `Retry-After`: delta seconds or an HTTP-date;
/// 2. `X-RateLimit-Reset` (AbuseIPDB): epoch seconds of the reset (a small number is
///    read as delta seconds); a reset already past is ignored;
/// 3. `X-Rate-Limit-Reset-After` (urlscan): seconds, possibly fractional (rounded up);
/// 4. `X-Rate-Limit-Reset` (urlscan): an ISO-8601 instant.
///
/// `None` when no header says (VirusTotal documents none).
pub fn retry_after_secs(headers: &HeaderMap, now: DateTime<Utc>) -> Option<u64> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let until = |t: DateTime<Utc>| u64::try_from((t - now).num_seconds()).ok();
    if let Some(v) = get(RETRY_AFTER.as_str()) {
        if let Some(s) = delta_secs(v) {
            return Some(s);
        }
        if let Ok(t) = DateTime::parse_from_rfc2822(v) {
            return Some(until(t.with_timezone(&Utc)).unwrap_or(0));
        }
    }
    if let Some(v) = get("x-ratelimit-reset")
        && let Ok(n) = v.parse::<i64>()
    {
        if n < 1_000_000_000 {
            return u64::try_from(n).ok();
        }
        if let Some(t) = DateTime::from_timestamp(n, 0)
            && let Some(s) = until(t)
        {
            return Some(s);
        }
    }
    if let Some(s) = get("x-rate-limit-reset-after").and_then(delta_secs) {
        return Some(s);
    }
    get("x-rate-limit-reset")
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .and_then(|t| until(t.with_timezone(&Utc)))
}

/// Non-negative seconds, whole or fractional (rounded up).
fn delta_secs(v: &str) -> Option<u64> {
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
    let f = v
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f >= 0.0)?;
    // Bounded above so the cast cannot saturate oddly; a year is plenty.
    Some(f.ceil().min(31_536_000.0) as u64)
}

/// Upstream text fit for a claim or an error: control characters become spaces, runs of
/// white space collapse, and the result is cut to `max_chars` characters (with `…`).
pub fn clean_text(text: &str, max_chars: usize) -> String {
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
        if count == max_chars {
            out.push('…');
            return out.trim_end().to_owned();
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_owned()
}

/// A URL for display: no user name, password, query or fragment.
fn redacted_url(url: &Url) -> String {
    crate::config::redact_base_url(url.as_str())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-02T02:10:43Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(
            retry_after_secs(&headers(&[("retry-after", "120")]), now()),
            Some(120)
        );
        assert_eq!(
            retry_after_secs(&headers(&[("retry-after", "1.2")]), now()),
            Some(2)
        );
        let h = headers(&[("retry-after", "Mon, 02 Jun 2025 02:11:43 GMT")]);
        assert_eq!(retry_after_secs(&h, now()), Some(60));
        let past = headers(&[("retry-after", "Mon, 02 Jun 2025 01:00:00 GMT")]);
        assert_eq!(retry_after_secs(&past, now()), Some(0));
        assert_eq!(
            retry_after_secs(&headers(&[("retry-after", "soon")]), now()),
            None
        );
        assert_eq!(retry_after_secs(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn retry_after_falls_back_to_rate_limit_resets() {
        // AbuseIPDB: epoch of the daily reset.
        let reset = (now().timestamp() + 3600).to_string();
        let h = headers(&[("x-ratelimit-reset", &reset)]);
        assert_eq!(retry_after_secs(&h, now()), Some(3600));
        // Retry-After wins when both are there.
        let h = headers(&[("retry-after", "29241"), ("x-ratelimit-reset", &reset)]);
        assert_eq!(retry_after_secs(&h, now()), Some(29241));
        // urlscan: fractional seconds, then the ISO instant.
        let h = headers(&[("x-rate-limit-reset-after", "16.2")]);
        assert_eq!(retry_after_secs(&h, now()), Some(17));
        let h = headers(&[("x-rate-limit-reset", "2025-06-02T02:11:00.000Z")]);
        assert_eq!(retry_after_secs(&h, now()), Some(17));
    }

    #[test]
    fn error_messages_from_each_envelope() {
        let abuse = serde_json::json!({"errors": [{"detail": "bad ip", "status": 422}]});
        assert_eq!(error_message(&abuse).as_deref(), Some("bad ip"));
        let vt = serde_json::json!({"error": {"code": "NotFoundError", "message": "gone"}});
        assert_eq!(error_message(&vt).as_deref(), Some("NotFoundError: gone"));
        let us = serde_json::json!({"message": "Unauthorized", "status": 401});
        assert_eq!(error_message(&us).as_deref(), Some("Unauthorized"));
    }

    #[test]
    fn clean_text_strips_controls_and_cuts() {
        assert_eq!(clean_text("a\nb\t\tc  ", 10), "a b c");
        assert_eq!(clean_text("abcdef", 3), "abc…");
    }

    #[test]
    fn debug_hides_key_and_url_credentials() {
        let s = ProviderSettings {
            base_url: "https://user:pw@proxy.example/api".into(),
            api_key: Secret::new("k-123-secret"),
            timeout: Duration::from_secs(1),
        };
        let c = HttpClient::new("test", s, "x-apikey").unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("k-123-secret"), "{dbg}");
        assert!(!dbg.contains("pw"), "{dbg}");
        assert_eq!(
            c.url(&["api", "v1", "search", ""]).path(),
            "/api/api/v1/search/"
        );
    }
}
