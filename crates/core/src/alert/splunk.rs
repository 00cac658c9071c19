//! Splunk webhook payloads and HTTP Event Collector (HEC) events into the native shape.
//!
//! Webhook alert action (`{result, sid, results_link, search_name, owner, app}`, where
//! `result` is the first row of the triggering search, values mostly strings):
//! - `alert_id`: `sid`, else a content hash;
//! - `timestamp`: `result._time` (epoch seconds, as a string or number), else
//!   `result.time`, else `result.timestamp`; a row without one (a `stats` search drops
//!   `_time`) gets the search's dispatch time from the `sid` (`..._at_<epoch>_<n>` or
//!   `<epoch>.<n>`), marked by `detection.time_source: "sid"`; no time at all is an error;
//! - `severity`: `result.severity`, else `result.urgency` (Splunk ES: informational, low,
//!   medium, high, critical); missing or unknown → medium;
//! - `title`: `search_name`, else `result.rule_name`/`result.signature`, else
//!   `Splunk alert <sid>`; `source`: `splunk`;
//! - `raw_log`: `result` (including `_raw`, the event text) plus `detection`
//!   (`search_name`, `results_link`, `owner`, `app`, `sid`).
//!
//! HEC event (`{time, host, source, sourcetype, index, event, fields}`):
//! - `alert_id`: `event.alert_id`, else `event.id`, else a content hash;
//! - `timestamp`: `time` (epoch seconds, fractions allowed), else `event.timestamp`, else
//!   `event._time`;
//! - `severity`: `event.severity`, else `event.urgency`; missing or unknown → medium;
//! - `title`: `event.title`, `event.search_name`, `event.signature`, else `sourcetype`;
//!   `source`: `splunk-hec`;
//! - `raw_log`: the event object (a string event becomes `{"message": <event>}`) plus
//!   `hec` (`host`, `source`, `sourcetype`, `index`, `fields`).
//!
//! Indicators (both shapes) come from Splunk's conventional (CIM) field names, in the
//! result row, or the event object and the indexed `fields`; values may be strings or
//! lists:
//! - `src`, `src_ip`, `source_ip`, `dest`, `dest_ip`, `dst_ip`, `dest_host`, `host`: IP
//!   addresses go to `ips`, other single-word values to `hosts`;
//! - `user`, `src_user`, `dest_user` → `users`; `url` → `urls`;
//! - `domain`, `query` → `domains` when the value looks like a domain name (a dotted word:
//!   Windows NT domains and search text are skipped);
//! - `file_hash`, `hash`, `md5`, `sha1`, `sha256` → `hashes` (bare hex, or a Sysmon-style
//!   `SHA256=..,MD5=..` list).
//!
//! The HEC envelope's own `host` is the sender and is not an indicator.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::wazuh::{dedup_keep_order, hash_list, parse_time, push_strings, scalar_string};
use super::{Alert, AlertError, Indicators, Severity, type_name};

/// Turns a Splunk webhook alert-action payload into an [`Alert`].
///
/// # Errors
///
/// [`AlertError::MissingField`] when `result` is absent, or when its time (`result._time`,
/// `result.time`, `result.timestamp`) is absent and the `sid` carries none either, [`AlertError::InvalidField`] when `result` is not an
/// object or the time is not a date-time.
pub fn adapt_webhook(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let result = match obj.get("result") {
        None | Some(Value::Null) => return Err(AlertError::MissingField("result")),
        Some(Value::Object(r)) => r,
        Some(other) => {
            return Err(super::native::invalid(
                "result",
                format!("expected an object, found {}", type_name(other)),
            ));
        }
    };
    let sid = obj.get("sid").and_then(scalar_string);
    let alert_id = sid
        .clone()
        .unwrap_or_else(|| super::native::derive_alert_id(obj));
    let result_time = time_from(
        result,
        &[
            ("_time", "result._time"),
            ("time", "result.time"),
            ("timestamp", "result.timestamp"),
        ],
    )?;
    let (timestamp, time_from_sid) = match result_time {
        Some(t) => (t, false),
        None => (
            sid.as_deref()
                .and_then(sid_time)
                .ok_or(AlertError::MissingField("result._time"))?,
            true,
        ),
    };
    let severity = severity_from(result);
    let title = obj
        .get("search_name")
        .and_then(scalar_string)
        .or_else(|| first_string(result, &["rule_name", "signature"]))
        .unwrap_or_else(|| match &sid {
            Some(sid) => format!("Splunk alert {sid}"),
            None => "Splunk alert".to_owned(),
        });

    let mut raw_log = result.clone();
    let mut detection = Map::new();
    for key in ["search_name", "results_link", "owner", "app", "sid"] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            detection.insert(key.to_owned(), v.clone());
        }
    }
    if time_from_sid {
        detection.insert("time_source".into(), Value::String("sid".into()));
    }
    if !detection.is_empty() {
        raw_log.insert("detection".into(), Value::Object(detection));
    }

    let mut ind = Indicators::default();
    collect_indicators(result, &mut ind);
    finish(&mut ind);

    Ok(Alert {
        alert_id,
        timestamp,
        source: "splunk".to_owned(),
        severity,
        title,
        raw_log,
        indicators: ind,
    })
}

/// Turns a Splunk HEC event into an [`Alert`].
///
/// # Errors
///
/// [`AlertError::MissingField`] when `event` or the time (`time`, `event.timestamp`,
/// `event._time`) is absent, [`AlertError::InvalidField`] for a blank `event`, a `fields`
/// that is not an object, or a time that is not a date-time.
pub fn adapt_hec(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let event = match obj.get("event") {
        None | Some(Value::Null) => return Err(AlertError::MissingField("event")),
        Some(Value::Object(e)) => e.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(super::native::invalid(
                "event",
                "expected an object or a non-blank string".into(),
            ));
        }
        Some(other) => {
            let mut m = Map::new();
            m.insert("message".into(), other.clone());
            m
        }
    };
    let fields = match obj.get("fields") {
        None | Some(Value::Null) => None,
        Some(Value::Object(f)) => Some(f),
        Some(other) => {
            return Err(super::native::invalid(
                "fields",
                format!("expected an object, found {}", type_name(other)),
            ));
        }
    };
    let alert_id = first_string(&event, &["alert_id", "id"])
        .unwrap_or_else(|| super::native::derive_alert_id(obj));
    let timestamp = match time_from(obj, &[("time", "time")])? {
        Some(t) => t,
        None => time_from(
            &event,
            &[("timestamp", "event.timestamp"), ("_time", "event._time")],
        )?
        .ok_or(AlertError::MissingField("time"))?,
    };
    let severity = severity_from(&event);
    let title = first_string(&event, &["title", "search_name", "signature"])
        .or_else(|| obj.get("sourcetype").and_then(scalar_string))
        .unwrap_or_else(|| "Splunk HEC event".to_owned());

    let mut ind = Indicators::default();
    collect_indicators(&event, &mut ind);
    if let Some(f) = fields {
        collect_indicators(f, &mut ind);
    }
    finish(&mut ind);

    let mut raw_log = event;
    let mut hec = Map::new();
    for key in ["host", "source", "sourcetype", "index", "fields"] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            hec.insert(key.to_owned(), v.clone());
        }
    }
    if !hec.is_empty() {
        raw_log.insert("hec".into(), Value::Object(hec));
    }

    Ok(Alert {
        alert_id,
        timestamp,
        source: "splunk-hec".to_owned(),
        severity,
        title,
        raw_log,
        indicators: ind,
    })
}

/// The time in the first of `keys` that is present and not null (`(key, dotted path for
/// errors)`); `Ok(None)` when none is.
fn time_from(
    m: &Map<String, Value>,
    keys: &[(&str, &str)],
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AlertError> {
    for (key, path) in keys {
        match m.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.trim().is_empty() => {}
            Some(v) => {
                return parse_time(v).map(Some).ok_or_else(|| {
                    super::native::invalid(
                        path,
                        format!(
                            "expected epoch seconds or an RFC 3339 date-time, found {}",
                            match v {
                                Value::String(_) => "an unparseable string",
                                other => type_name(other),
                            }
                        ),
                    )
                });
            }
        }
    }
    Ok(None)
}

/// The dispatch time a search id carries: `scheduler__<owner>__<app>__<name>_at_<epoch>_<n>`
/// for scheduled searches, `<epoch>.<n>` (possibly after a `<prefix>_`) for ad-hoc ones.
/// Only epochs between 2001 and 2100 count, so other digit runs are not mistaken for one.
fn sid_time(sid: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let digits = if let Some((_, rest)) = sid.rsplit_once("_at_") {
        rest.split('_').next()?
    } else {
        let tail = sid.rsplit('_').next()?;
        let (secs, serial) = tail.split_once('.')?;
        if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        secs
    };
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = digits.parse::<i64>().ok()?;
    if !(978_307_200..4_102_444_800).contains(&secs) {
        return None;
    }
    chrono::DateTime::from_timestamp(secs, 0)
}

fn severity_from(m: &Map<String, Value>) -> Severity {
    ["severity", "urgency"]
        .iter()
        .filter_map(|k| m.get(*k).and_then(scalar_string))
        .find_map(|s| Severity::parse(&s))
        .unwrap_or(Severity::Medium)
}

fn first_string(m: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| m.get(*k).and_then(scalar_string))
}

const IP_OR_HOST_FIELDS: &[&str] = &[
    "src",
    "src_ip",
    "source_ip",
    "dest",
    "dest_ip",
    "dst_ip",
    "dest_host",
    "host",
];
const USER_FIELDS: &[&str] = &["user", "src_user", "dest_user"];
const DOMAIN_FIELDS: &[&str] = &["domain", "query"];
const HASH_FIELDS: &[&str] = &["file_hash", "hash", "md5", "sha1", "sha256"];

fn collect_indicators(m: &Map<String, Value>, ind: &mut Indicators) {
    let values = |keys: &[&str]| {
        let mut out = Vec::new();
        for k in keys {
            push_strings(&mut out, m.get(*k));
        }
        out
    };
    for v in values(IP_OR_HOST_FIELDS) {
        if v.parse::<IpAddr>().is_ok() {
            ind.ips.push(v);
        } else if is_single_word(&v) {
            ind.hosts.push(v);
        }
    }
    ind.users.extend(values(USER_FIELDS));
    ind.urls.extend(values(&["url"]));
    ind.domains.extend(
        values(DOMAIN_FIELDS)
            .into_iter()
            .filter(|d| looks_like_domain(d)),
    );
    for v in values(HASH_FIELDS) {
        ind.hashes.extend(hash_list(&v));
    }
}

fn finish(ind: &mut Indicators) {
    for list in [
        &mut ind.ips,
        &mut ind.hosts,
        &mut ind.users,
        &mut ind.urls,
        &mut ind.domains,
        &mut ind.hashes,
    ] {
        dedup_keep_order(list);
    }
}

fn is_single_word(s: &str) -> bool {
    s.len() <= 253
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '"'))
}

fn looks_like_domain(s: &str) -> bool {
    let s = s.trim_end_matches('.');
    is_single_word(s)
        && s.contains('.')
        && s.parse::<IpAddr>().is_err()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Limits};
    use serde_json::json;

    fn parse(v: Value, f: Format) -> Result<Alert, AlertError> {
        Alert::from_value(v, f, &Limits::default())
    }

    #[test]
    fn webhook_fields_and_fallbacks() {
        let v = json!({
            "result": {
                "_time": 1748839780.25,
                "urgency": "critical",
                "src": ["185.220.101.47", "bad host name"],
                "dest": "web-01",
                "query": ["evil.example.com", "index=main sourcetype=dns"],
                "domain": "CORP",
                "file_hash": "SHA256=DE96A6E69944335375DC1AC238336066889D9FFC7D73628EF4FE1B1B160AB32C",
                "md5": "not a hash",
                "user": "-"
            },
            "search_name": ""
        });
        let a = parse(v, Format::SplunkWebhook).unwrap();
        assert!(a.alert_id.starts_with("auto-"));
        assert_eq!(a.title, "Splunk alert");
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.timestamp.timestamp_subsec_millis(), 250);
        assert_eq!(a.indicators.ips, vec!["185.220.101.47"]);
        assert_eq!(a.indicators.hosts, vec!["web-01"]);
        assert_eq!(a.indicators.domains, vec!["evil.example.com"]);
        assert_eq!(a.indicators.hashes.len(), 1);
        assert!(a.indicators.users.is_empty());
        assert_eq!(a.raw_log["detection"], json!({"search_name": ""}));
    }

    #[test]
    fn webhook_time_errors_name_the_field() {
        let err = parse(json!({"result": {"x": "1"}, "sid": "s"}), Format::Auto).unwrap_err();
        assert_eq!(err, AlertError::MissingField("result._time"));
        let err = parse(
            json!({"result": {"time": "later"}, "sid": "s"}),
            Format::Auto,
        )
        .unwrap_err();
        assert!(err.to_string().contains("`result.time`"), "{err}");
        let err = parse(json!({"result": [], "sid": "s"}), Format::SplunkWebhook).unwrap_err();
        assert!(err.to_string().contains("`result`"), "{err}");
    }

    #[test]
    fn sid_times() {
        let t = |s: &str| sid_time(s).map(|t| t.timestamp());
        assert_eq!(
            t("scheduler__admin__search__RMD5e3b0c44298fc1c14_at_1748839800_1234"),
            Some(1748839800)
        );
        assert_eq!(t("1748841100.4471"), Some(1748841100));
        assert_eq!(
            t("admin__admin__search__search1_1748841100.12"),
            Some(1748841100)
        );
        assert_eq!(t("rt_md_1748841100.12"), Some(1748841100));
        for bad in [
            "s",
            "",
            "1748841100",
            "9999999999.1",
            "x_at_17488_1",
            "1748841100.",
            "_at_",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn hec_string_event_and_errors() {
        let v = json!({"time": "1748839563", "sourcetype": "syslog", "host": "h",
                       "event": "Failed password for root from 203.0.113.9",
                       "fields": {"src_ip": "203.0.113.9", "severity": "high"}});
        let a = parse(v, Format::Auto).unwrap();
        assert_eq!(a.source, "splunk-hec");
        assert_eq!(a.title, "syslog");
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(
            a.raw_log["message"],
            "Failed password for root from 203.0.113.9"
        );
        assert_eq!(a.raw_log["hec"]["host"], "h");
        assert_eq!(a.indicators.ips, vec!["203.0.113.9"]);
        assert!(a.indicators.hosts.is_empty());

        let err = parse(json!({"event": {"a": 1}, "host": "h"}), Format::Auto).unwrap_err();
        assert_eq!(err, AlertError::MissingField("time"));
        let err = parse(json!({"event": " ", "time": 1}), Format::SplunkHec).unwrap_err();
        assert!(err.to_string().contains("`event`"), "{err}");
        let ok = parse(
            json!({"event": {"_time": "2025-06-02T04:49:40.512+0000"}, "host": "h"}),
            Format::SplunkHec,
        )
        .unwrap();
        assert_eq!(ok.timestamp.timestamp_subsec_millis(), 512);
    }
}
