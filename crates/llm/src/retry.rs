//! The one retry policy of both clients, the wait headers it reads, and the injectable
//! sleep that lets tests run it without waiting.
//!
//! Retried (up to [`RetryPolicy::max_attempts`] attempts in all): HTTP 429 rate limits
//! (not spend limits or exhausted quotas), 529 and 503 overloads, 500/502/504, 408/409,
//! and connections that could not be made. Not retried: time-outs (the request may still
//! be running upstream; the caller's own retry class decides), 4xx, malformed answers.
//!
//! The wait before a retry:
//! - when the provider said how long (`retry-after-ms`, `retry-after` in seconds or as an
//!   HTTP date, or OpenAI's `x-ratelimit-reset-requests`/`-tokens` on a 429), that wait
//!   plus a jitter of up to [`RetryPolicy::base_delay`] so a fleet of workers does not
//!   come back in the same instant; a wait longer than [`RetryPolicy::max_retry_after`] is
//!   not slept inside the call: the error goes back with the wait, for the worker to
//!   requeue the alert;
//! - otherwise full jitter: uniform in `0..=min(max_delay, base_delay × 2^(attempt-1))`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// Retry policy of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 = never retry). Default 3.
    pub max_attempts: u32,
    /// First back-off bound, and the jitter added to a provider-given wait. Default 500 ms.
    pub base_delay: Duration,
    /// Largest back-off without a provider-given wait. Default 8 s.
    pub max_delay: Duration,
    /// Longest provider-given wait slept inside one call; longer waits return the error at
    /// once. Default 30 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Full-jitter back-off before retry number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let cap = self.base_delay.saturating_mul(factor).min(self.max_delay);
        cap.mul_f64(fastrand::f64())
    }

    /// The wait before retry number `attempt` when the provider asked for `retry_after`
    /// (or not); `None` when that wait is too long to sleep inside the call.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait.saturating_add(self.base_delay.mul_f64(fastrand::f64()))),
            None => Some(self.backoff(attempt)),
        }
    }
}

/// How the clients wait between attempts. Tests inject one that records and returns at
/// once; production uses [`TokioSleeper`].
#[async_trait]
pub trait Sleeper: Send + Sync + fmt::Debug + 'static {
    /// Waits `duration`.
    async fn sleep(&self, duration: Duration);
}

/// [`tokio::time::sleep`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// The wait a response asks for, from the first header that says: `retry-after-ms`
/// (milliseconds), `retry-after` (seconds, possibly fractional, or an HTTP date), then
/// OpenAI's `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (Go-style
/// durations such as `1s`, `6m0s`, `120ms`; the longer of the two). `None` when no
/// header says.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms.min(86_400_000.0) / 1000.0));
    }
    if let Some(v) = get("retry-after") {
        if let Some(s) = secs_f64(v) {
            return Some(Duration::from_secs_f64(s));
        }
        if let Ok(t) = DateTime::parse_from_rfc2822(v) {
            let wait = (t.with_timezone(&Utc) - now).to_std().unwrap_or_default();
            return Some(wait);
        }
    }
    let resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
        .into_iter()
        .filter_map(|h| get(h).and_then(go_duration));
    resets.max()
}

/// Non-negative finite seconds (bounded to a day so conversions cannot overflow).
fn secs_f64(v: &str) -> Option<f64> {
    v.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f >= 0.0)
        .map(|f| f.min(86_400.0))
}

/// A Go-style duration: one or more `<number><unit>` with units `h`, `m`, `s`, `ms`,
/// `us`/`µs`, `ns` (`6m0s`, `1.5s`, `120ms`).
fn go_duration(v: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut rest = v;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += n * scale;
    }
    (total.is_finite() && total >= 0.0).then(|| Duration::from_secs_f64(total.min(86_400.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-02T04:46:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn waits_from_each_header() {
        let at = |pairs: &[(&'static str, &str)]| retry_after(&headers(pairs), now());
        assert_eq!(at(&[("retry-after", "12")]), Some(Duration::from_secs(12)));
        assert_eq!(
            at(&[("retry-after", "1.5")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            at(&[("retry-after-ms", "250"), ("retry-after", "12")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            at(&[("retry-after", "Mon, 02 Jun 2025 04:46:30 GMT")]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            at(&[("retry-after", "Mon, 02 Jun 2025 04:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            at(&[
                ("x-ratelimit-reset-requests", "120ms"),
                ("x-ratelimit-reset-tokens", "6m0s")
            ]),
            Some(Duration::from_secs(360))
        );
        assert_eq!(at(&[("retry-after", "soon")]), None);
        assert_eq!(at(&[("retry-after", "-3")]), None);
        assert_eq!(at(&[]), None);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(go_duration("1m30.5s"), Some(Duration::from_millis(90_500)));
        assert_eq!(go_duration("176ms"), Some(Duration::from_millis(176)));
        assert_eq!(go_duration(""), None);
        assert_eq!(go_duration("5"), None);
        assert_eq!(go_duration("s"), None);
        assert_eq!(go_duration("3 days"), None);
    }

    #[test]
    fn delays_stay_within_their_bounds() {
        let p = RetryPolicy::default();
        for attempt in 1..12 {
            for _ in 0..200 {
                let d = p.backoff(attempt);
                let cap = p
                    .base_delay
                    .saturating_mul(1 << (attempt - 1).min(20))
                    .min(p.max_delay);
                assert!(d <= cap, "attempt {attempt}: {d:?} > {cap:?}");
                let given = p.delay(attempt, Some(Duration::from_secs(12))).unwrap();
                assert!(given >= Duration::from_secs(12));
                assert!(given <= Duration::from_secs(12) + p.base_delay);
            }
        }
        assert!(p.backoff(u32::MAX) <= p.max_delay);
        assert_eq!(p.delay(1, Some(Duration::from_secs(31))), None);
        assert_eq!(RetryPolicy::none().max_attempts, 1);
    }
}
