//! The near-duplicate fingerprint: equal for alerts that differ only in volatile values
//! (counters, timestamps, ids), different when anything that matters changes.
//!
//! It is the SHA-256 of the canonical JSON of `{source, severity, title, host, iocs,
//! content}`, where `iocs` is the sorted list of declared indicator strings and `content`
//! is the signature of `raw_log` without `host`:
//! - booleans are kept; numbers and nulls are dropped;
//! - strings under narrative keys (`message`, `description`, `reason`, ...) are kept with
//!   every digit run replaced by `#`;
//! - other strings are dropped when they are a plain number or start with an ISO date, and
//!   kept otherwise;
//! - objects recurse and empty ones are dropped; lists are sorted by their canonical JSON;
//! - a fully volatile `raw_log` gives `content: null`.

use serde_json::{Map, Value, json};

use super::{Alert, canonical_json, sha256_hex};

const NARRATIVE_KEYS: &[&str] = &[
    "message",
    "msg",
    "description",
    "note",
    "notes",
    "summary",
    "details",
    "detail",
    "raw",
    "log",
    "reason",
    "text",
];

/// The alert's near-duplicate fingerprint (64 hex digits).
pub fn fingerprint(alert: &Alert) -> String {
    let mut iocs: Vec<&str> = alert
        .indicators
        .iter()
        .flat_map(|(_, values)| values.iter().map(String::as_str))
        .collect();
    iocs.sort_unstable();
    iocs.dedup();
    let content = signature_map(&alert.raw_log, Some("host")).map_or(Value::Null, Value::Object);
    let doc = json!({
        "source": alert.source,
        "severity": alert.severity.as_str(),
        "title": alert.title,
        "host": alert.host(),
        "iocs": iocs,
        "content": content,
    });
    sha256_hex(canonical_json(&doc).as_bytes())
}

fn signature_map(m: &Map<String, Value>, skip: Option<&str>) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for (k, v) in m {
        if skip == Some(k.as_str()) {
            continue;
        }
        let narrative = NARRATIVE_KEYS.contains(&k.to_ascii_lowercase().as_str());
        if let Some(s) = signature(v, narrative) {
            out.insert(k.clone(), s);
        }
    }
    (!out.is_empty()).then_some(out)
}

fn signature(v: &Value, narrative: bool) -> Option<Value> {
    match v {
        Value::Bool(b) => Some(Value::Bool(*b)),
        Value::Null | Value::Number(_) => None,
        Value::String(s) => {
            if narrative {
                Some(Value::String(mask_digits(s)))
            } else if is_plain_number(s) || starts_with_iso_date(s) {
                None
            } else {
                Some(Value::String(s.clone()))
            }
        }
        Value::Object(m) => signature_map(m, None).map(Value::Object),
        Value::Array(items) => {
            let mut sigs: Vec<Value> = items
                .iter()
                .filter_map(|i| signature(i, narrative))
                .collect();
            if sigs.is_empty() {
                return None;
            }
            sigs.sort_by_cached_key(canonical_json);
            Some(Value::Array(sigs))
        }
    }
}

fn mask_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

fn is_plain_number(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut parts = t.splitn(2, ['.', ',']);
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn starts_with_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && matches!(b[10], b'T' | b't' | b' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Limits};

    fn alert(raw: &Value) -> Alert {
        Alert::from_value(
            json!({"alert_id": "a", "timestamp": "2026-01-01T00:00:00Z", "source": "siem", "severity": "medium", "title": "SSH burst", "raw_log": raw.clone(), "indicators": {"ips": ["10.0.0.1"]}}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn volatile_values_do_not_change_it() {
        let a = alert(
            &json!({"host": "h", "failed": 212, "first_seen": "2026-04-21T03:07:38Z", "message": "212 failures in 300s", "user": "svc", "ok": true}),
        );
        let b = alert(
            &json!({"host": "h", "failed": 9, "first_seen": "2026-05-01T01:00:00Z", "message": "9 failures in 60s", "user": "svc", "ok": true}),
        );
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn meaningful_changes_do() {
        let a = alert(&json!({"host": "h", "user": "svc"}));
        let b = alert(&json!({"host": "h", "user": "root"}));
        let c = alert(&json!({"host": "other", "user": "svc"}));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert!(is_plain_number("-1,5") && !is_plain_number("1.") && !is_plain_number("v1"));
        assert_eq!(mask_digits("a12b3"), "a#b#");
    }
}
