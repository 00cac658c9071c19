//! Small numeric helpers: percentiles and the token bucket that paces `--rate`.

use std::time::{Duration, Instant};

/// The `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending), nearest-rank method:
/// the smallest value with at least p% of the values at or below it. `None` when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A token bucket: `rate` tokens per second, at most `burst` stored. Sending waits for a
/// token, so the long-run rate is exact while short timer hiccups are absorbed.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket refilling at `rate` per second that holds 20 ms worth of tokens (at least
    /// one), starting with one token.
    pub(crate) fn new(rate: f64, now: Instant) -> Self {
        let rate = rate.max(f64::MIN_POSITIVE);
        Self {
            rate,
            burst: (rate / 50.0).max(1.0),
            tokens: 1.0,
            last: now,
        }
    }

    /// Takes a token at `now` (`None`), or says how long to wait for the next one.
    pub(crate) fn try_take(&mut self, now: Instant) -> Option<Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }

    /// Waits for a token.
    pub(crate) async fn take(&mut self) {
        while let Some(wait) = self.try_take(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(2.0));
        assert_eq!(percentile(&v, 51.0), Some(3.0));
        assert_eq!(percentile(&v, 99.0), Some(4.0));
    }

    #[test]
    fn token_bucket_paces_at_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1_000.0, t0);
        // Simulated clock: take 10,000 tokens, advancing by the requested waits.
        let mut now = t0;
        for _ in 0..10_000 {
            while let Some(w) = b.try_take(now) {
                now += w;
            }
        }
        let secs = now.duration_since(t0).as_secs_f64();
        assert!((9.9..10.1).contains(&secs), "{secs}");
        // After an idle second, at most `burst` (20) tokens are available at once.
        now += Duration::from_secs(1);
        let mut free = 0;
        while b.try_take(now).is_none() {
            free += 1;
        }
        assert_eq!(free, 20);
    }
}
