//! The alert stream: realistic alerts in soc-copilot's native shape, written for this load
//! test.
//!
//! Nine families, modelled on the kinds of alerts a SOC sees every day (and on the dev
//! set's families): SSH brute force, Windows/RDP logon-failure bursts, a mail attachment
//! run from the Outlook cache, certutil/bitsadmin downloads, encoded PowerShell, LSASS
//! access, scheduled-task creation, DNS beaconing and outbound connections to a listed IP.
//!
//! Every indicator (external IPs, domains, file hashes, users, hosts, internal IPs) is
//! drawn from a pool of `pool` values with Zipf-distributed popularity: a few values recur
//! constantly, most are rare, as in a real alert stream. External IPs come from the
//! documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) plus a few real
//! Tor exit addresses read from the repository's feed snapshot at run time, so the offline
//! intel feeds have something to hit.
//!
//! A share of the alerts (`dup_share`) are near-duplicates: a copy of an earlier alert with
//! a new id, a new timestamp and its volatile counters moved on, the same indicators, host
//! and title: the same attack seen again a little later.
//!
//! Everything is deterministic for a seed: the same seed gives the same pools and the same
//! alerts (ids are `<prefix>-<index>`, so the caller decides whether they repeat).

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, TimeZone as _, Utc};
use serde_json::{Value, json};

use self::families::{Ctx, pick_family};
use self::pools::Pools;

mod families;
mod pools;

/// Generator settings.
#[derive(Debug, Clone)]
pub(crate) struct GenConfig {
    /// Seed of every random choice.
    pub(crate) seed: u64,
    /// Values per indicator pool.
    pub(crate) pool: usize,
    /// Zipf exponent of indicator popularity (rank k has weight 1/k^s).
    pub(crate) zipf_s: f64,
    /// Share of alerts that are near-duplicates of an earlier one (0..=1).
    pub(crate) dup_share: f64,
    /// Real external IPv4 addresses mixed into the external pool (Tor exits).
    pub(crate) listed_ips: Vec<String>,
}

/// One generated alert.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedAlert {
    /// Its `alert_id`.
    pub(crate) alert_id: String,
    /// Its `source` (also the subject token: always a plain lower-case word).
    pub(crate) source: &'static str,
    /// The family it was generated from.
    pub(crate) family: &'static str,
    /// Index of the alert it is a near-duplicate of.
    pub(crate) duplicate_of: Option<usize>,
    /// The alert document.
    pub(crate) value: Value,
}

/// Reads the IPv4 addresses of a Tor exit list CSV (`fingerprint, ipaddr, port`),
/// deduplicated, in file order.
///
/// # Errors
///
/// When the file cannot be read.
pub(crate) fn load_listed_ips(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the feed snapshot `{}`", path.display()))?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let Some(ip) = line.split(',').nth(1).map(str::trim) else {
            continue;
        };
        if ip.parse::<std::net::Ipv4Addr>().is_ok() && seen.insert(ip.to_owned()) {
            out.push(ip.to_owned());
        }
    }
    Ok(out)
}

/// Generates `n` alerts with ids `<id_prefix>-<index>`.
pub(crate) fn generate(cfg: &GenConfig, n: usize, id_prefix: &str) -> Vec<GeneratedAlert> {
    let pools = Pools::new(cfg);
    let mut rng = fastrand::Rng::with_seed(cfg.seed ^ 0x5eed_a1e7);
    let mut out: Vec<GeneratedAlert> = Vec::with_capacity(n);
    let mut clock = base_time();
    for i in 0..n {
        clock += ChronoDuration::milliseconds(rng.i64(50..2_500));
        let alert_id = format!("{id_prefix}-{i:06}");
        if !out.is_empty() && rng.f64() < cfg.dup_share {
            let of = rng.usize(0..out.len());
            let original = &out[of];
            let mut value = original.value.clone();
            near_duplicate(&mut value, &alert_id, clock, &mut rng);
            out.push(GeneratedAlert {
                alert_id,
                source: original.source,
                family: original.family,
                duplicate_of: Some(original.duplicate_of.unwrap_or(of)),
                value,
            });
            continue;
        }
        let family = pick_family(&mut rng);
        let mut ctx = Ctx {
            rng: &mut rng,
            pools: &pools,
            now: clock,
        };
        let body = (family.render)(&mut ctx);
        let value = json!({
            "alert_id": alert_id,
            "timestamp": rfc3339(clock),
            "source": family.source,
            "severity": body.severity,
            "title": body.title,
            "raw_log": body.raw_log,
            "indicators": body.indicators,
        });
        out.push(GeneratedAlert {
            alert_id,
            source: family.source,
            family: family.name,
            duplicate_of: None,
            value,
        });
    }
    out
}

/// The same alerts with new ids `<id_prefix>-<index>` and nothing else changed: the same
/// indicators again, for a second pass on warm caches.
pub(crate) fn reidentify(alerts: &[GeneratedAlert], id_prefix: &str) -> Vec<GeneratedAlert> {
    alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let alert_id = format!("{id_prefix}-{i:06}");
            let mut value = a.value.clone();
            if let Some(obj) = value.as_object_mut() {
                obj.insert("alert_id".into(), Value::String(alert_id.clone()));
            }
            GeneratedAlert {
                alert_id,
                value,
                ..a.clone()
            }
        })
        .collect()
}

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------
// Near-duplicates

/// Counters that move on when the same activity is seen again.
const VOLATILE_KEYS: &[&str] = &[
    "failed_attempts",
    "failed_logons",
    "distinct_usernames",
    "distinct_users",
    "query_count",
    "distinct_subdomains",
    "sessions",
    "bytes_out",
    "bytes_in",
    "event_record_id",
    "ProcessId",
    "SourceProcessId",
    "occurrences",
];

/// Time fields that follow the new timestamp.
const CLOCK_KEYS: &[&str] = &["window_end", "last_seen"];

fn near_duplicate(value: &mut Value, alert_id: &str, at: DateTime<Utc>, rng: &mut fastrand::Rng) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    obj.insert("alert_id".into(), Value::String(alert_id.to_owned()));
    obj.insert("timestamp".into(), Value::String(rfc3339(at)));
    if let Some(raw) = obj.get_mut("raw_log") {
        bump_counters(raw, at, rng);
    }
}

fn bump_counters(v: &mut Value, at: DateTime<Utc>, rng: &mut fastrand::Rng) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if let Some(n) = child.as_u64()
                    && VOLATILE_KEYS.contains(&k.as_str())
                {
                    *child = Value::from(n.saturating_add(rng.u64(1..=(n / 2).max(1))));
                } else if child.is_string() && CLOCK_KEYS.contains(&k.as_str()) {
                    *child = Value::String(rfc3339(at));
                } else {
                    bump_counters(child, at, rng);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| bump_counters(item, at, rng)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::families::{FAMILIES, base64, utf16le_base64};
    use super::pools::Zipf;
    use super::*;
    use soc_core::alert::{Alert, Format, Limits};

    fn cfg(seed: u64) -> GenConfig {
        GenConfig {
            seed,
            pool: 500,
            zipf_s: 1.1,
            dup_share: 0.2,
            listed_ips: vec!["204.8.96.141".into(), "185.220.101.47".into()],
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = generate(&cfg(7), 300, "T");
        let b = generate(&cfg(7), 300, "T");
        let c = generate(&cfg(8), 300, "T");
        let va: Vec<&Value> = a.iter().map(|x| &x.value).collect();
        let vb: Vec<&Value> = b.iter().map(|x| &x.value).collect();
        let vc: Vec<&Value> = c.iter().map(|x| &x.value).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn duplicate_share_is_roughly_respected() {
        let alerts = generate(&cfg(1), 5_000, "T");
        let dups = alerts.iter().filter(|a| a.duplicate_of.is_some()).count();
        let share = dups as f64 / alerts.len() as f64;
        assert!((0.17..0.23).contains(&share), "share {share}");
        // A near-duplicate keeps title, host and indicators, and changes id and time.
        let d = alerts
            .iter()
            .find(|a| a.duplicate_of.is_some())
            .expect("a duplicate");
        let o = &alerts[d.duplicate_of.expect("dup")];
        assert_eq!(d.value["title"], o.value["title"]);
        assert_eq!(d.value["indicators"], o.value["indicators"]);
        assert_ne!(d.value["alert_id"], o.value["alert_id"]);
        assert_ne!(d.value["timestamp"], o.value["timestamp"]);
        let none = GenConfig {
            dup_share: 0.0,
            ..cfg(1)
        };
        assert!(
            generate(&none, 500, "T")
                .iter()
                .all(|a| a.duplicate_of.is_none())
        );
    }

    #[test]
    fn every_alert_parses_and_every_family_appears() {
        let alerts = generate(&cfg(3), 2_000, "LT-x");
        let mut families = HashSet::new();
        let mut ids = HashSet::new();
        for a in &alerts {
            let parsed = Alert::from_value(a.value.clone(), Format::Native, &Limits::default())
                .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{}", a.alert_id, a.value));
            assert_eq!(parsed.alert_id, a.alert_id);
            assert_eq!(parsed.source, a.source);
            assert!(ids.insert(a.alert_id.clone()));
            families.insert(a.family);
        }
        assert_eq!(families.len(), FAMILIES.len());
        let again = reidentify(&alerts, "LT-y");
        assert_eq!(again[5].value["raw_log"], alerts[5].value["raw_log"]);
        assert_eq!(again[5].alert_id, "LT-y-000005");
        assert_eq!(again[5].value["alert_id"], "LT-y-000005");
    }

    #[test]
    fn zipf_prefers_low_ranks() {
        let z = Zipf::new(1_000, 1.1);
        let mut rng = fastrand::Rng::with_seed(9);
        let mut counts = vec![0u32; 1_000];
        for _ in 0..50_000 {
            counts[z.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[9] && counts[9] > counts[500]);
        assert!(counts[0] > 5_000, "{}", counts[0]);
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(utf16le_base64("ab"), "YQBiAA==");
    }
}
