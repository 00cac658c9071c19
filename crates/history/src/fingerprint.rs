//! The near-duplicate fingerprint of an alert: equal for repeats that differ only in
//! volatile values (counters, timestamps, ids, ports), different as soon as anything that
//! matters changes (the host, the title, an indicator, a user, an outcome, a word of the
//! message).
//!
//! # Definition (reference §3.3 rule 8, `dedup.fingerprint`)
//!
//! SHA-256 (lower-case hex) of the canonical JSON, keys sorted, of
//!
//! ```text
//! { source, severity, title,
//!   host:    the alert's host (raw_log.host, or raw_log.host.name), normalised, or null,
//!   iocs:    every declared indicator string (all kinds), deduplicated and sorted,
//!   content: signature(raw_log without "host"), null when nothing survives,
//!   extracted: only when not empty (see below) }
//! ```
//!
//! The signature keeps only what describes the event, not one occurrence of it:
//! - booleans are kept; numbers and nulls are dropped;
//! - a string under a free-text key (`message`, `msg`, `description`, `note`, `notes`,
//!   `summary`, `details`, `detail`, `raw`, `log`, `reason`, `text`; compared in lower case)
//!   is kept with every run of digits replaced by `#` (`"212 failures in 300s"` →
//!   `"# failures in #s"`);
//! - any other string is dropped when, trimmed, it is a plain number (`^[+-]?\d+([.,]\d+)?$`)
//!   or starts with an ISO date (`^\d{4}-\d\d-\d\d[tT ]`), and kept as it is otherwise;
//! - objects recurse, and an object with nothing left is dropped;
//! - lists keep their surviving items sorted by their JSON (order does not matter), and
//!   an empty result is dropped; items of a list inherit the list's key (a list of
//!   messages is free text);
//! - a raw log of nothing but volatile values gives `content: null`.
//!
//! "Digits" are Unicode decimal digits and "trimmed" strips Unicode white space, as the
//! reference's Python regular expressions do. The JSON is written exactly as the
//! reference writes it (`json.dumps(..., sort_keys=True)`: `", "` and `": "` separators,
//! non-ASCII escaped as `\uXXXX`), so for an alert whose host is already lower case and
//! whose raw log carries no undeclared indicator the fingerprint is byte for byte the
//! reference's.
//!
//! Two deliberate differences: `extracted` (below), and the host is normalised as
//! [`crate::Subject`] normalises it (trimmed, lower case; empty means none), so `WS-01`
//! and `ws-01` are one host here as they are for correlation.
//!
//! # Indicators the raw log carries but does not declare (`extracted`)
//!
//! The signature masks digits in free text, so on its own it cannot tell
//! `Accepted password for root from 10.0.0.5 port 22` from the same line with
//! `185.220.101.4`: a Splunk HEC string event (`raw_log: {"message": ...}`, nothing
//! declared) from an attacker's address would get the fingerprint of a benign internal
//! login, and reuse its false-positive verdict. So the fingerprint differs whenever an
//! indicator differs, declared or not: the raw log's indicators are extracted as the
//! pipeline extracts them ([`soc_core::ioc::extract`], default settings), the kinds that
//! link alerts are kept as [`crate::Subject`] keeps them (IP addresses, domains, URLs,
//! hashes, e-mail addresses, as canonical `kind:value`), and those not declared in
//! `indicators` go, sorted and distinct, under `extracted`. The key is left out when there
//! are none, so an alert whose raw log only repeats what it declares (the common case)
//! keeps the reference's fingerprint byte for byte. Ports, counters and times are not
//! indicators, so repeats still collide; nor do the digits of a URL after its host
//! (`/check?ts=1716000000`, `/events/8812`) count, masked as in free text, since its host
//! (a domain or an address, extracted on its own) is what tells one server from another.
//!
//! Not in the fingerprint, on purpose: `alert_id` (repeats have their own ids) and the
//! alert's `timestamp`.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};
use soc_core::Alert;
use soc_core::alert::sha256_hex;
use soc_core::ioc::{IocConfig, IocSet, extract};

use crate::subject::{linking_form, normalise_host};

/// Keys whose string values are free text: kept, with digit runs masked.
pub const FREETEXT_KEYS: [&str; 12] = [
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

// `\d` is Unicode decimal digits (the `unicode-perl` feature), as Python's `re` on `str`.
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| compile(r"\d+"));
static PLAIN_NUMBER: LazyLock<Regex> = LazyLock::new(|| compile(r"^[+-]?\d+(?:[.,]\d+)?$"));
static ISO_DATE_PREFIX: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)^\d{4}-\d\d-\d\d[t ]"));

#[allow(clippy::expect_used)] // constant patterns, covered by the unit tests
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant regular expression")
}

/// The alert's near-duplicate fingerprint: 64 lower-case hex digits (see the module docs).
///
/// Give the same value to [`crate::HistoryStore::dedup`] and to the investigation's
/// `alert_fingerprint`: `record` indexes the investigation under it.
pub fn fingerprint(alert: &Alert) -> String {
    fingerprint_with(alert, &extract(alert, &IocConfig::default()))
}

/// [`fingerprint`] for a caller that has already extracted the alert's indicators with
/// the default settings (`extract(alert, &IocConfig::default())`): the same value,
/// without extracting them a second time. Indicators extracted with other settings give
/// another fingerprint than every other caller's: pass those to [`fingerprint`] instead.
pub fn fingerprint_with(alert: &Alert, default_iocs: &IocSet) -> String {
    let mut iocs: Vec<&str> = alert
        .indicators
        .iter()
        .flat_map(|(_, values)| values.iter().map(String::as_str))
        .collect();
    iocs.sort_unstable();
    iocs.dedup();
    let host = alert.host().map(normalise_host).filter(|h| !h.is_empty());
    let content = signature_object(alert.raw_log.iter().filter(|(k, _)| k.as_str() != "host"))
        .unwrap_or(Value::Null);
    let mut identity = json!({
        "source": alert.source,
        "severity": alert.severity.as_str(),
        "title": alert.title,
        "host": host,
        "iocs": iocs,
        "content": content,
    });
    let extracted = undeclared_indicators(default_iocs);
    if !extracted.is_empty()
        && let Value::Object(m) = &mut identity
    {
        m.insert("extracted".to_owned(), json!(extracted));
    }
    sha256_hex(py_dumps(&identity).as_bytes())
}

/// The indicators of kinds that link alerts ([`crate::Subject`]'s rule) that the raw log
/// carries and `indicators` does not declare, as sorted, distinct `kind:value` strings
/// (canonical values). Extracted as the pipeline extracts them
/// ([`soc_core::ioc::extract`], default settings, so every caller gets one answer).
fn undeclared_indicators(iocs: &IocSet) -> Vec<String> {
    let mut out: Vec<String> = iocs
        .iter()
        // Declared values come first, so a declared indicator's first origin is its
        // `indicators.…` path, whatever the raw log repeats.
        .filter(|f| !f.origins.iter().any(|o| o.starts_with("indicators.")))
        .filter_map(linking_form)
        .map(|form| match form.strip_prefix("url:") {
            Some(url) => mask_after_host(url),
            None => form,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `url:` and the URL with every digit run after its host (path, query, fragment) masked
/// as `#`.
fn mask_after_host(url: &str) -> String {
    let host_from = url.find("://").map_or(0, |i| i + 3);
    let rest_at = url
        .get(host_from..)
        .and_then(|r| r.find(['/', '?', '#']))
        .map_or(url.len(), |i| host_from + i);
    let (head, rest) = url.split_at(rest_at);
    let mut out = String::with_capacity(url.len() + 4);
    out.push_str("url:");
    out.push_str(head);
    out.push_str(&DIGIT_RUN.replace_all(rest, "#"));
    out
}

/// The signature of a raw log (or any JSON value): what survives of it (see the module
/// docs), `None` when nothing does. Public so tools can show why two alerts do or do not
/// collide.
pub fn signature(raw_log: &Map<String, Value>) -> Option<Value> {
    signature_object(raw_log.iter())
}

fn signature_object<'a>(entries: impl Iterator<Item = (&'a String, &'a Value)>) -> Option<Value> {
    let mut out = Map::new();
    for (k, v) in entries {
        if let Some(s) = signature_of(v, Some(k)) {
            out.insert(k.clone(), s);
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn signature_of(node: &Value, key: Option<&str>) -> Option<Value> {
    match node {
        Value::Bool(b) => Some(Value::Bool(*b)),
        Value::Null | Value::Number(_) => None,
        Value::String(s) => {
            if key.is_some_and(is_freetext) {
                return Some(Value::String(DIGIT_RUN.replace_all(s, "#").into_owned()));
            }
            let t = py_strip(s);
            if PLAIN_NUMBER.is_match(t) || ISO_DATE_PREFIX.is_match(t) {
                None
            } else {
                Some(node.clone())
            }
        }
        Value::Object(m) => signature_object(m.iter()),
        Value::Array(items) => {
            let mut sigs: Vec<(String, Value)> = items
                .iter()
                .filter_map(|v| signature_of(v, key))
                .map(|v| (py_dumps(&v), v))
                .collect();
            if sigs.is_empty() {
                return None;
            }
            // Stable, as Python's `sorted`.
            sigs.sort_by(|a, b| a.0.cmp(&b.0));
            Some(Value::Array(sigs.into_iter().map(|(_, v)| v).collect()))
        }
    }
}

fn is_freetext(key: &str) -> bool {
    if key.is_ascii() {
        return FREETEXT_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k));
    }
    let k = key.to_lowercase();
    FREETEXT_KEYS.contains(&k.as_str())
}

/// Python's `str.strip()`: Unicode white space plus the separators U+001C..U+001F.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// `json.dumps(v, sort_keys=True)` as Python writes it: `", "` and `": "` separators,
/// keys sorted by code point, everything outside printable ASCII escaped.
pub(crate) fn py_dumps(v: &Value) -> String {
    let mut out = String::new();
    write_py(v, &mut out);
    out
}

fn write_py(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Never part of a fingerprint (numbers are dropped); written as serde does.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_py_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_str(k, out);
                out.push_str(": ");
                write_py(val, out);
            }
            out.push('}');
        }
    }
}

fn write_py_str(s: &str, out: &mut String) {
    out.push('"');
    // Printable ASCII other than `"` and `\` is written as it is: copy such runs whole.
    let plain = |b: u8| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\';
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|b| plain(*b)).count();
        out.push_str(&rest[..n]);
        rest = &rest[n..];
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        write_py_char(c, out);
    }
    out.push('"');
}

/// One character of a string as Python's `json.dumps` writes it.
fn write_py_char(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        ' '..='~' => out.push(c),
        _ => {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a test failure

    use soc_core::alert::{Format, Limits};

    use super::*;

    fn alert(v: &Value) -> Alert {
        Alert::from_value(v.clone(), Format::Native, &Limits::default()).unwrap()
    }

    /// An SSH burst alert; `over` replaces top-level fields, `raw` the raw log.
    fn ssh(raw: &Value, over: &Value) -> Alert {
        let mut doc = json!({
            "alert_id": "a-1",
            "timestamp": "2026-04-21T03:07:38Z",
            "source": "siem",
            "severity": "medium",
            "title": "SSH brute force",
            "raw_log": raw,
            "indicators": {"ips": ["203.0.113.7"], "users": ["svc-backup"]}
        });
        for (k, v) in over.as_object().unwrap() {
            doc[k] = v.clone();
        }
        alert(&doc)
    }

    fn raw(failed: u32, first_seen: &str, session: &str, port: u32) -> Value {
        json!({
            "host": "bastion-01",
            "event": {"action": "ssh_login", "outcome": "failure", "id": session},
            "failed_attempts": failed,
            "first_seen": first_seen,
            "source": {"ip": "203.0.113.7", "port": port},
            "message": format!("{failed} failed logins for svc-backup from 203.0.113.7 port {port}"),
            "counters": {"bytes": 1234, "retries": "17"},
            "interactive": false
        })
    }

    #[test]
    fn timestamps_counters_and_ids_do_not_change_it() {
        let a = ssh(&raw(212, "2026-04-21T03:07:38Z", "17", 51_000), &json!({}));
        let b = ssh(
            &raw(9, "2026-05-01 01:00:00", "99812", 40_222),
            &json!({"alert_id": "a-2", "timestamp": "2026-05-01T01:00:09Z"}),
        );
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 64);
        // Key order and list order do not matter either.
        let c = ssh(
            &json!({"users": ["b", "a"], "host": "h"}),
            &json!({"indicators": {"users": ["y", "x"], "ips": ["1.1.1.1"]}}),
        );
        let d = ssh(
            &json!({"host": "h", "users": ["a", "b"]}),
            &json!({"indicators": {"ips": ["1.1.1.1"], "users": ["x", "y", "x"]}}),
        );
        assert_eq!(fingerprint(&c), fingerprint(&d));
    }

    #[test]
    fn host_title_indicator_and_message_words_change_it() {
        let base = ssh(&raw(212, "2026-04-21T03:07:38Z", "17", 22), &json!({}));
        let fp = fingerprint(&base);

        let mut other_host = raw(212, "2026-04-21T03:07:38Z", "17", 22);
        other_host["host"] = json!("bastion-02");
        assert_ne!(fp, fingerprint(&ssh(&other_host, &json!({}))));

        let retitled = ssh(
            &raw(212, "2026-04-21T03:07:38Z", "17", 22),
            &json!({"title": "SSH brute force succeeded"}),
        );
        assert_ne!(fp, fingerprint(&retitled));

        let new_ioc = ssh(
            &raw(212, "2026-04-21T03:07:38Z", "17", 22),
            &json!({"indicators": {"ips": ["203.0.113.8"], "users": ["svc-backup"]}}),
        );
        assert_ne!(fp, fingerprint(&new_ioc));

        let mut succeeded = raw(212, "2026-04-21T03:07:38Z", "17", 22);
        succeeded["message"] = json!("212 accepted logins for svc-backup from 203.0.113.7 port 22");
        assert_ne!(fp, fingerprint(&ssh(&succeeded, &json!({}))));

        let mut outcome = raw(212, "2026-04-21T03:07:38Z", "17", 22);
        outcome["event"]["outcome"] = json!("success");
        assert_ne!(fp, fingerprint(&ssh(&outcome, &json!({}))));

        let mut flag = raw(212, "2026-04-21T03:07:38Z", "17", 22);
        flag["interactive"] = json!(true);
        assert_ne!(fp, fingerprint(&ssh(&flag, &json!({}))));

        let severity = ssh(
            &raw(212, "2026-04-21T03:07:38Z", "17", 22),
            &json!({"severity": "high"}),
        );
        assert_ne!(fp, fingerprint(&severity));
    }

    #[test]
    fn host_is_normalised_like_the_subject_and_shapes_agree() {
        let a = ssh(&json!({"host": "  Bastion-01 ", "user": "x"}), &json!({}));
        let b = ssh(
            &json!({"host": {"name": "bastion-01"}, "user": "x"}),
            &json!({}),
        );
        let c = ssh(&json!({"host": "bastion-01", "user": "x"}), &json!({}));
        assert_eq!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint(&b), fingerprint(&c));
        let none = ssh(&json!({"host": "  ", "user": "x"}), &json!({}));
        let absent = ssh(&json!({"user": "x"}), &json!({}));
        assert_eq!(fingerprint(&none), fingerprint(&absent));
    }

    #[test]
    fn signature_rules() {
        let raw = json!({
            "count": 5, "ratio": 0.5, "gone": null, "ok": true,
            "id": " 123 ", "amount": "-1,5", "ver": "1.", "when": "2026-01-01t10:00",
            "day": "2026-01-01", "user": "svc",
            "Message": "user 42 failed 3x", "notes": ["a1", "b22"],
            "nested": {"n": 1, "t": "2026-01-01T00:00:00Z", "inner": {}},
            "empty_list": [], "list": [3, {"b": "x"}, "z", true, {"a": 1}],
            "arabic": "\u{661}\u{662}", "text": "\u{661}\u{662}x"
        });
        let sig = signature(raw.as_object().unwrap()).unwrap();
        assert_eq!(
            sig,
            json!({
                "ok": true, "ver": "1.", "day": "2026-01-01", "user": "svc",
                "Message": "user # failed #x", "notes": ["a#", "b#"],
                "list": ["z", true, {"b": "x"}],
                "text": "#x"
            })
        );
        let volatile = json!({"n": 1, "t": "2026-01-01T00:00:00Z", "l": [1, null]});
        assert_eq!(signature(volatile.as_object().unwrap()), None);
    }

    #[test]
    fn json_is_written_as_python_writes_it() {
        let v = json!({"b": [true, null], "a": "é\"\\\n\u{1}\u{7f}😀", "c": {}});
        assert_eq!(
            py_dumps(&v),
            r#"{"a": "\u00e9\"\\\n\u0001\u007f\ud83d\ude00", "b": [true, null], "c": {}}"#
        );
    }

    /// An alert with `raw` as its raw log (moved here with soc-core's earlier fingerprint,
    /// which the ingest API used to answer with).
    fn burst(raw: &Value) -> Alert {
        alert(
            &json!({"alert_id": "a", "timestamp": "2026-01-01T00:00:00Z", "source": "siem",
                      "severity": "medium", "title": "SSH burst", "raw_log": raw.clone(),
                      "indicators": {"ips": ["10.0.0.1"]}}),
        )
    }

    #[test]
    fn volatile_values_do_not_change_it() {
        let a = burst(
            &json!({"host": "h", "failed": 212, "first_seen": "2026-04-21T03:07:38Z", "message": "212 failures in 300s", "user": "svc", "ok": true}),
        );
        let b = burst(
            &json!({"host": "h", "failed": 9, "first_seen": "2026-05-01T01:00:00Z", "message": "9 failures in 60s", "user": "svc", "ok": true}),
        );
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn meaningful_changes_do() {
        let a = burst(&json!({"host": "h", "user": "svc"}));
        let b = burst(&json!({"host": "h", "user": "root"}));
        let c = burst(&json!({"host": "other", "user": "svc"}));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert!(
            PLAIN_NUMBER.is_match("-1,5")
                && !PLAIN_NUMBER.is_match("1.")
                && !PLAIN_NUMBER.is_match("v1")
        );
        assert_eq!(DIGIT_RUN.replace_all("a12b3", "#"), "a#b#");
    }

    #[test]
    fn plain_runs_and_escapes_interleave_and_freetext_keys_ignore_case() {
        let v = json!("run one \"q\" run\\two\tend é~ ");
        assert_eq!(py_dumps(&v), r#""run one \"q\" run\\two\tend \u00e9~ ""#);
        assert_eq!(py_dumps(&json!("")), "\"\"");
        for k in ["message", "MESSAGE", "Message", "ReAsOn"] {
            assert!(is_freetext(k), "{k}");
        }
        for k in ["messages", "mëssage", "", "title"] {
            assert!(!is_freetext(k), "{k}");
        }
    }

    /// A Splunk HEC string event (`raw_log: {"message": text}`, nothing declared) at `time`.
    fn hec(text: &str, time: u32) -> Alert {
        Alert::from_value(
            json!({
                "time": time, "host": "sh-01", "source": "/var/log/secure",
                "sourcetype": "linux_secure", "index": "os", "event": text
            }),
            Format::SplunkHec,
            &Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn an_indicator_written_only_in_free_text_changes_it() {
        let internal = hec(
            "Accepted password for root from 10.0.0.5 port 22 ssh2",
            1_790_000_000,
        );
        let attacker = hec(
            "Accepted password for root from 185.220.101.4 port 22 ssh2",
            1_790_000_000,
        );
        assert!(internal.indicators.ips.is_empty(), "nothing is declared");
        assert_ne!(fingerprint(&internal), fingerprint(&attacker));
        // A repeat from the same address differs only in volatile values: same fingerprint.
        let repeat = hec(
            "Accepted password for root from 10.0.0.5 port 51022 ssh2",
            1_790_003_600,
        );
        assert_eq!(fingerprint(&internal), fingerprint(&repeat));
        // Other kinds that link alerts count too: a hash differing in digits only.
        let h1 = hec(
            "Blocked download, sha256 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
            1_790_000_000,
        );
        let h2 = hec(
            "Blocked download, sha256 9a8b7c6d5e4f30211293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
            1_790_000_000,
        );
        assert_ne!(fingerprint(&h1), fingerprint(&h2));
    }

    #[test]
    fn the_digits_of_a_url_after_its_host_do_not_change_it() {
        let at = |url: &str| {
            let mut r = raw(212, "2026-04-21T03:07:38Z", "17", 22);
            r["message"] = json!(format!("update check blocked: {url}"));
            fingerprint(&ssh(&r, &json!({})))
        };
        assert_eq!(
            at("http://upd.vendor.example/check/8812?ts=1716000000"),
            at("http://upd.vendor.example/check/9913?ts=1716000360")
        );
        assert_ne!(
            at("http://upd.vendor.example/check?ts=1"),
            at("http://upd2.vendor.example/check?ts=1")
        );
        assert_ne!(
            at("http://198.51.100.7/check?ts=1"),
            at("http://198.51.100.8/check?ts=1")
        );
        assert_eq!(
            mask_after_host("http://198.51.100.7:8080/a1/b?x=22#f3"),
            "url:http://198.51.100.7:8080/a#/b?x=##f#"
        );
        assert_eq!(
            mask_after_host("http://host9.example"),
            "url:http://host9.example"
        );
    }

    #[test]
    fn declared_indicators_are_not_counted_twice() {
        // The raw log repeats the declared indicators (as most alerts do): no `extracted`
        // key, so the fingerprint is the reference's (`matches_the_reference_fingerprint`).
        let a = ssh(&raw(212, "2026-04-21T03:07:38Z", "17", 22), &json!({}));
        assert!(undeclared_indicators(&extract(&a, &IocConfig::default())).is_empty());
        // An address the raw log adds is counted, canonical and sorted.
        let mut extra = raw(212, "2026-04-21T03:07:38Z", "17", 22);
        extra["message"] = json!("relay via 198.51.100.20 and HXXP://Evil[.]com/x");
        let b = ssh(&extra, &json!({}));
        assert_eq!(
            undeclared_indicators(&extract(&b, &IocConfig::default())),
            [
                "domain:evil.com",
                "ipv4:198.51.100.20",
                "url:http://evil.com/x"
            ]
        );
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }

    /// Computed with the reference implementation (`soc_copilot.dedup.fingerprint`) on the
    /// same alert: equal whenever the host is already lower case.
    #[test]
    fn matches_the_reference_fingerprint() {
        let a = alert(&json!({
            "alert_id": "ref-1",
            "timestamp": "2026-04-21T03:07:38Z",
            "source": "siem",
            "severity": "high",
            "title": "Brute force: 212 failed logins",
            "raw_log": {
                "host": "dc-01",
                "failed": 212,
                "first_seen": "2026-04-21T03:07:38Z",
                "message": "212 failures in 300s for admin",
                "user": "admin",
                "ok": false,
                "tags": ["ssh", "auth", "Ümlaut"],
                "src": {"ip": "203.0.113.7", "port": "51000"}
            },
            "indicators": {"ips": ["203.0.113.7"], "users": ["admin"], "hosts": ["dc-01"]}
        }));
        assert_eq!(
            fingerprint(&a),
            "c67df45a57d1d481807158f20c8b571f7fe7240bd79436cb05bfe90cc1a36f08"
        );
    }
}
