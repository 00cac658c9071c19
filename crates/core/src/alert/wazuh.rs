//! Wazuh `alerts.json` records into the native shape.
//!
//! One record is what the manager writes to `/var/ossec/logs/alerts/alerts.json` (one JSON
//! object per line), what the Wazuh indexer stores (plus `@timestamp`) and what
//! integratord hands to integration scripts.
//!
//! Mapping:
//! - `alert_id`: `id` (string or number), else a content hash;
//! - `timestamp`: `timestamp` (Wazuh writes `+0000` offsets without a colon), else
//!   `@timestamp`;
//! - `severity`: from `rule.level` (0–15): 0–4 low, 5–7 medium, 8–11 high, 12–15 critical
//!   (Wazuh calls 12 and above "high importance"); missing or not a number → medium;
//! - `title`: `rule.description`, else `Wazuh rule <rule.id>`; `source`: `wazuh`;
//! - `raw_log`: the whole record, with the doubled backslashes (and backslash-escaped
//!   quotes) of Windows eventchannel values under `data.win` undone, so
//!   `C:\\Windows\\System32` reads `C:\Windows\System32`; plus `host: {name: agent.name}`
//!   when the record has no `host`, and `detection` (rule id, level, groups, description,
//!   `firedtimes`, ATT&CK technique ids from `rule.mitre.id`);
//! - `indicators`: IPs from `data.srcip`/`data.dstip` and the Windows `ipAddress`/
//!   `destinationIp` event data (never `agent.ip`: that is the monitored host itself);
//!   users from `data.srcuser`/`data.dstuser` and the Windows `user`/`targetUserName`;
//!   hashes from `syscheck.{md5,sha1,sha256}_after` and Sysmon's `hashes` list
//!   (`SHA256=..,MD5=..`); URLs from `data.url` when absolute (the web decoders' path-only
//!   values stay in `raw_log`); hosts from `agent.name` and `data.win.system.computer`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::ecs::lookup;
use super::{Alert, AlertError, Indicators, Severity, parse_timestamp};

/// Turns a Wazuh alert record into an [`Alert`].
///
/// # Errors
///
/// [`AlertError::MissingField`] when neither `timestamp` nor `@timestamp` is present,
/// [`AlertError::InvalidField`] when the one present is not a date-time.
pub fn adapt(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let get = |path: &str| lookup(obj, path);
    let get_str = |path: &str| get(path).and_then(scalar_string);

    let alert_id = get_str("id").unwrap_or_else(|| super::native::derive_alert_id(obj));
    let (ts_field, ts) = match (get("timestamp"), get("@timestamp")) {
        (Some(v), _) if !v.is_null() => ("timestamp", v),
        (_, Some(v)) if !v.is_null() => ("@timestamp", v),
        _ => return Err(AlertError::MissingField("timestamp")),
    };
    let timestamp = parse_time(ts).ok_or_else(|| {
        super::native::invalid(
            ts_field,
            "expected a date-time such as `2025-06-02T04:49:40.512+0000`".into(),
        )
    })?;
    let level = get("rule.level").and_then(number);
    let severity = level.map_or(Severity::Medium, severity_for_level);
    let title = get_str("rule.description").unwrap_or_else(|| match get_str("rule.id") {
        Some(id) => format!("Wazuh rule {id}"),
        None => "Wazuh alert".to_owned(),
    });

    let mut raw_log = obj.clone();
    if let Some(Value::Object(data)) = raw_log.get_mut("data")
        && let Some(win) = data.get_mut("win")
    {
        unescape_strings(win);
    }
    if !raw_log.contains_key("host")
        && let Some(name) = get_str("agent.name")
    {
        raw_log.insert("host".into(), json!({ "name": name }));
    }
    let mut detection = Map::new();
    for (key, path) in [
        ("rule_id", "rule.id"),
        ("rule_level", "rule.level"),
        ("rule_groups", "rule.groups"),
        ("rule_description", "rule.description"),
        ("firedtimes", "rule.firedtimes"),
    ] {
        if let Some(v) = get(path).filter(|v| !v.is_null()) {
            detection.insert(key.to_owned(), v.clone());
        }
    }
    let mut techniques = Vec::new();
    push_strings(&mut techniques, get("rule.mitre.id"));
    dedup_keep_order(&mut techniques);
    if !techniques.is_empty() {
        detection.insert("techniques".into(), json!(techniques));
    }
    if !detection.is_empty() {
        raw_log.insert("detection".into(), Value::Object(detection));
    }

    // Indicators are read from the normalised copy, so Windows values are unescaped.
    let doc = &raw_log;
    let get = |path: &str| lookup(doc, path);
    let mut ind = Indicators::default();
    for path in [
        "data.srcip",
        "data.dstip",
        "data.win.eventdata.ipAddress",
        "data.win.eventdata.destinationIp",
    ] {
        push_strings(&mut ind.ips, get(path));
    }
    for path in [
        "data.srcuser",
        "data.dstuser",
        "data.win.eventdata.user",
        "data.win.eventdata.targetUserName",
    ] {
        push_strings(&mut ind.users, get(path));
    }
    for path in [
        "syscheck.md5_after",
        "syscheck.sha1_after",
        "syscheck.sha256_after",
    ] {
        push_strings(&mut ind.hashes, get(path));
    }
    if let Some(Value::String(list)) = get("data.win.eventdata.hashes") {
        ind.hashes.extend(hash_list(list));
    }
    let mut urls = Vec::new();
    push_strings(&mut urls, get("data.url"));
    ind.urls
        .extend(urls.into_iter().filter(|u| u.contains("://")));
    for path in ["agent.name", "data.win.system.computer"] {
        push_strings(&mut ind.hosts, get(path));
    }
    for list in [
        &mut ind.ips,
        &mut ind.users,
        &mut ind.hashes,
        &mut ind.urls,
        &mut ind.hosts,
    ] {
        dedup_keep_order(list);
    }

    Ok(Alert {
        alert_id,
        timestamp,
        source: "wazuh".to_owned(),
        severity,
        title,
        raw_log,
        indicators: ind,
    })
}

/// The severity for a Wazuh rule level: 0–4 low, 5–7 medium, 8–11 high, 12 and above
/// critical.
fn severity_for_level(level: f64) -> Severity {
    if level >= 12.0 {
        Severity::Critical
    } else if level >= 8.0 {
        Severity::High
    } else if level >= 5.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Undoes Wazuh's extra escaping of Windows eventchannel strings, in place, in every
/// string of `v`: `\\` becomes `\` and `\"` becomes `"`; any other backslash is kept.
fn unescape_strings(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\\') => *s = unescape(s),
        Value::Array(items) => items.iter_mut().for_each(unescape_strings),
        Value::Object(m) => m.values_mut().for_each(unescape_strings),
        _ => {}
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && (next == '\\' || next == '"')
        {
            out.push(next);
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

// Helpers shared with the Splunk adapters.

/// Parses a date-time: anything [`parse_timestamp`] accepts, an epoch number written as a
/// string (`"1748839780.123"`, as Splunk's `_time`), or an ISO date-time whose offset has
/// no colon (`2025-06-02T04:49:40.512+0000`, as Wazuh writes it).
pub(super) fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    if let Value::String(s) = v {
        let s = s.trim();
        if !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            && let Ok(f) = s.parse::<f64>()
        {
            return serde_json::Number::from_f64(f)
                .and_then(|n| parse_timestamp(&Value::Number(n)));
        }
        if let Some(t) = parse_timestamp(v) {
            return Some(t);
        }
        let t = s.replacen(' ', "T", 1);
        return DateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f%z")
            .ok()
            .map(|t| t.with_timezone(&Utc));
    }
    parse_timestamp(v)
}

/// A number, or a string holding one.
pub(super) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A non-blank string (trimmed) or a number as text; a one-element list counts as its
/// element.
pub(super) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) if a.len() == 1 => scalar_string(&a[0]),
        _ => None,
    }
}

/// Appends every non-blank string in `v` (a string or a list of them), trimmed. Windows'
/// `-` placeholder for "no value" is skipped.
pub(super) fn push_strings(list: &mut Vec<String>, v: Option<&Value>) {
    match v {
        Some(Value::String(s)) => {
            let s = s.trim();
            if !s.is_empty() && s != "-" {
                list.push(s.to_owned());
            }
        }
        Some(Value::Array(items)) => {
            for i in items {
                push_strings(list, Some(i));
            }
        }
        _ => {}
    }
}

/// Removes repeated values, keeping the first of each.
pub(super) fn dedup_keep_order(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.clone()));
}

/// The MD5, SHA-1 and SHA-256 values of a Sysmon-style hash list
/// (`SHA1=..,MD5=..,SHA256=..,IMPHASH=..`), or of a bare hex hash. `IMPHASH` (an import
/// table hash, not a file hash) is skipped.
pub(super) fn hash_list(s: &str) -> Vec<String> {
    s.split([',', ';', ' '])
        .filter_map(|part| {
            let part = part.trim();
            let (alg, value) = match part.split_once('=') {
                Some((alg, value)) => (Some(alg.trim().to_ascii_uppercase()), value.trim()),
                None => (None, part),
            };
            let alg_ok = alg
                .as_deref()
                .is_none_or(|a| matches!(a, "MD5" | "SHA1" | "SHA-1" | "SHA256" | "SHA-256"));
            (alg_ok && is_hex_hash(value)).then(|| value.to_owned())
        })
        .collect()
}

/// True for 32, 40 or 64 hex digits (MD5, SHA-1, SHA-256).
pub(super) fn is_hex_hash(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Limits};

    fn record() -> Value {
        json!({
            "timestamp": "2025-06-02T04:45:59.018+0000",
            "rule": {"level": 3, "id": 60106, "mitre": {"id": ["T1078", "T1078"]}},
            "agent": {"id": "012", "name": "WKS-042", "ip": "10.20.1.42"},
            "data": {"win": {
                "system": {"computer": "WKS-042.corp.example.org"},
                "eventdata": {
                    "targetUserName": "jdoe",
                    "ipAddress": "-",
                    "parentCommandLine": "\\\"C:\\\\Program Files\\\\x.exe\\\" /n",
                    "hashes": "SHA1=0123456789ABCDEF0123456789ABCDEF01234567,IMPHASH=0123456789ABCDEF0123456789ABCDEF"
                }
            }, "url": "/wp-login.php"}
        })
    }

    #[test]
    fn maps_a_minimal_windows_record() {
        let a = Alert::from_value(record(), Format::Auto, &Limits::default()).unwrap();
        assert!(a.alert_id.starts_with("auto-"));
        assert_eq!(a.severity, Severity::Low);
        assert_eq!(a.title, "Wazuh rule 60106");
        assert_eq!(a.host(), Some("WKS-042"));
        assert_eq!(
            a.raw_log["data"]["win"]["eventdata"]["parentCommandLine"],
            "\"C:\\Program Files\\x.exe\" /n"
        );
        assert_eq!(a.raw_log["detection"]["techniques"], json!(["T1078"]));
        assert_eq!(a.raw_log["detection"]["rule_id"], json!(60106));
        assert!(a.indicators.ips.is_empty());
        assert!(a.indicators.urls.is_empty());
        assert_eq!(a.indicators.users, vec!["jdoe"]);
        assert_eq!(
            a.indicators.hashes,
            vec!["0123456789ABCDEF0123456789ABCDEF01234567"]
        );
        assert_eq!(
            a.indicators.hosts,
            vec!["WKS-042", "WKS-042.corp.example.org"]
        );
    }

    #[test]
    fn levels_and_times() {
        let sev: Vec<_> = [0.0, 4.0, 5.0, 7.0, 8.0, 11.0, 12.0, 15.0]
            .into_iter()
            .map(severity_for_level)
            .collect();
        use Severity::*;
        assert_eq!(
            sev,
            [Low, Low, Medium, Medium, High, High, Critical, Critical]
        );
        let t = parse_time(&json!("2025-06-02T04:49:40.512+0200")).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-06-02T02:49:40.512+00:00");
        let t = parse_time(&json!("1748839780.5")).unwrap();
        assert_eq!(t.timestamp(), 1748839780);
        assert_eq!(t.timestamp_subsec_millis(), 500);
        assert!(parse_time(&json!("yesterday")).is_none());
        assert!(parse_time(&json!("1e400")).is_none());
    }

    #[test]
    fn missing_and_bad_timestamps_are_named() {
        let mut v = record();
        v.as_object_mut().unwrap().remove("timestamp");
        let err = Alert::from_value(v.clone(), Format::Wazuh, &Limits::default()).unwrap_err();
        assert_eq!(err, AlertError::MissingField("timestamp"));
        v["@timestamp"] = json!("2025-06-02T04:45:59.018Z");
        assert!(Alert::from_value(v.clone(), Format::Wazuh, &Limits::default()).is_ok());
        v["@timestamp"] = json!("soon");
        let err = Alert::from_value(v, Format::Wazuh, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("`@timestamp`"), "{err}");
    }
}
