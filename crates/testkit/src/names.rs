//! Per-test names, so tests sharing a server (or running in parallel) never collide.

use std::hash::{BuildHasher as _, Hasher as _, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 64 random bits as 16 lowercase hex digits.
///
/// `RandomState` is seeded from the OS per thread, and a process-wide counter plus the
/// clock and pid are mixed in, so values differ across calls, threads and processes
/// (nextest runs each test in its own process).
fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    format!("{:016x}", hasher.finish())
}

/// A fresh Redis key prefix, `soc:test:<16 hex digits>:`.
///
/// Give each test its own prefix so tests can share one Redis and run in parallel.
pub fn unique_prefix() -> String {
    format!("soc:test:{}:", random_hex())
}

/// A fresh JetStream stream (or consumer, or bucket) name, `<BASE>_<16 HEX DIGITS>`.
///
/// The suffix is upper-case hex, so an upper-case `base` gives an all-upper-case name.
/// Characters of `base` that JetStream or NATS subjects reject (anything but ASCII
/// letters, digits, `_` and `-`) become `_`, so the result is also a valid subject token.
pub fn unique_name(base: &str) -> String {
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{base}_{}", random_hex().to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_distinct_and_well_formed() {
        let a = unique_prefix();
        let b = unique_prefix();
        assert_ne!(a, b);
        assert!(a.starts_with("soc:test:") && a.ends_with(':'), "{a}");
        assert_eq!(a.len(), "soc:test:".len() + 16 + 1);
    }

    #[test]
    fn names_are_distinct_and_safe() {
        let a = unique_name("ALERTS");
        let b = unique_name("ALERTS");
        assert_ne!(a, b);
        assert!(a.starts_with("ALERTS_"), "{a}");
        assert_eq!(a, a.to_ascii_uppercase());
        let odd = unique_name("a.b *>/c");
        assert!(odd.starts_with("a_b____c_"), "{odd}");
    }
}
