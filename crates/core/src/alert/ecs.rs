//! Elastic Security detection alerts (ECS) into the native shape.
//!
//! Accepts a search hit (`{"_id", "_index", "_source"}`) or a bare `_source`. Alert
//! documents mix flat dotted keys (`"kibana.alert.rule.name"`) with nested objects
//! (`"host": {"name": ..}`); both forms are merged into nested objects first.
//!
//! Mapping:
//! - `alert_id`: `kibana.alert.uuid`, else the hit's `_id`, else a content hash;
//! - `timestamp`: `@timestamp`, else `kibana.alert.original_time`;
//! - `severity`: `kibana.alert.severity` (else the rule's); missing or unknown → medium;
//! - `title`: the rule name, else the reason; `source`: `elastic`;
//! - `raw_log`: every ECS field except `kibana.*`, plus `detection` (rule name, description,
//!   reason, risk score, rule id/type, tags, ATT&CK technique ids from `rule.threat`);
//! - `indicators`: source/destination/client/server IPs, user names, host names, URL and
//!   DNS domains, URLs, and file/process hashes.

use serde_json::{Map, Value, json};

use super::{Alert, AlertError, Indicators, Severity, parse_timestamp};

/// Turns an Elastic hit or alert `_source` into an [`Alert`].
///
/// # Errors
///
/// [`AlertError::MissingField`] when neither `@timestamp` nor
/// `kibana.alert.original_time` is present, [`AlertError::InvalidField`] for a `_source`
/// that is not an object.
pub fn adapt(mut obj: Map<String, Value>) -> Result<Alert, AlertError> {
    let hit_id = obj.get("_id").and_then(scalar_string);
    let source = match obj.remove("_source") {
        Some(Value::Object(s)) => s,
        Some(_) => {
            return Err(super::native::invalid(
                "_source",
                "expected an object".into(),
            ));
        }
        None => obj,
    };
    let doc = unflatten(source);
    let get = |path: &str| lookup(&doc, path);
    let get_str = |path: &str| get(path).and_then(scalar_string);

    let alert_id = get_str("kibana.alert.uuid")
        .or(hit_id)
        .unwrap_or_else(|| super::native::derive_alert_id(&doc));
    let timestamp = get("@timestamp")
        .or_else(|| get("kibana.alert.original_time"))
        .ok_or(AlertError::MissingField("@timestamp"))?;
    let timestamp = parse_timestamp(timestamp).ok_or_else(|| {
        super::native::invalid("@timestamp", "expected an RFC 3339 date-time".into())
    })?;
    let severity = get_str("kibana.alert.severity")
        .or_else(|| get_str("kibana.alert.rule.severity"))
        .and_then(|s| Severity::parse(&s))
        .unwrap_or(Severity::Medium);
    let title = get_str("kibana.alert.rule.name")
        .or_else(|| get_str("kibana.alert.reason"))
        .unwrap_or_else(|| "Elastic detection alert".to_owned());

    let mut detection = Map::new();
    for (key, path) in [
        ("rule_name", "kibana.alert.rule.name"),
        ("rule_description", "kibana.alert.rule.description"),
        ("reason", "kibana.alert.reason"),
        ("risk_score", "kibana.alert.risk_score"),
        ("rule_id", "kibana.alert.rule.rule_id"),
        ("rule_uuid", "kibana.alert.rule.uuid"),
        ("rule_type", "kibana.alert.rule.type"),
        ("rule_tags", "kibana.alert.rule.tags"),
        ("original_time", "kibana.alert.original_time"),
        ("original_event", "kibana.alert.original_event"),
        ("building_block_type", "kibana.alert.building_block_type"),
    ] {
        if let Some(v) = get(path) {
            detection.insert(key.to_owned(), v.clone());
        }
    }
    let (tactics, techniques) = threat_ids(get("kibana.alert.rule.threat"));
    if !techniques.is_empty() {
        detection.insert("techniques".into(), json!(techniques));
    }
    if !tactics.is_empty() {
        detection.insert("tactics".into(), json!(tactics));
    }

    let mut raw_log: Map<String, Value> = doc
        .iter()
        .filter(|(k, _)| k.as_str() != "kibana")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !detection.is_empty() {
        raw_log.insert("detection".into(), Value::Object(detection));
    }

    let mut ind = Indicators::default();
    for path in ["source.ip", "destination.ip", "client.ip", "server.ip"] {
        push_all(&mut ind.ips, get(path));
    }
    for path in ["user.name", "user.target.name", "destination.user.name"] {
        push_all(&mut ind.users, get(path));
    }
    for path in ["host.name", "host.hostname"] {
        push_all(&mut ind.hosts, get(path));
    }
    for path in [
        "url.domain",
        "dns.question.name",
        "destination.domain",
        "source.domain",
        "email.from.address",
    ] {
        if path == "email.from.address" {
            push_all(&mut ind.emails, get(path));
        } else {
            push_all(&mut ind.domains, get(path));
        }
    }
    for path in ["url.full", "url.original"] {
        push_all(&mut ind.urls, get(path));
    }
    for obj_path in [
        "file.hash",
        "process.hash",
        "process.parent.hash",
        "dll.hash",
    ] {
        if let Some(Value::Object(h)) = get(obj_path) {
            for k in ["md5", "sha1", "sha256"] {
                push_all(&mut ind.hashes, h.get(k));
            }
        }
    }
    for list in [
        &mut ind.ips,
        &mut ind.users,
        &mut ind.hosts,
        &mut ind.domains,
        &mut ind.urls,
        &mut ind.hashes,
        &mut ind.emails,
    ] {
        dedup_keep_order(list);
    }

    Ok(Alert {
        alert_id,
        timestamp,
        source: "elastic".to_owned(),
        severity,
        title,
        raw_log,
        indicators: ind,
    })
}

/// Merges dotted keys into nested objects, at every level. A dotted key whose path runs
/// into a non-object value is kept as it is.
pub fn unflatten(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    // Nested objects first, so dotted keys merge into them.
    let (dotted, plain): (Vec<_>, Vec<_>) = map.into_iter().partition(|(k, _)| k.contains('.'));
    for (k, v) in plain {
        out.insert(k, normalise_value(v));
    }
    for (k, v) in dotted {
        let v = normalise_value(v);
        let parts: Vec<&str> = k.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) || !insert_path(&mut out, &parts, v.clone()) {
            out.insert(k, v);
        }
    }
    out
}

fn normalise_value(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(unflatten(m)),
        Value::Array(a) => Value::Array(a.into_iter().map(normalise_value).collect()),
        other => other,
    }
}

fn insert_path(map: &mut Map<String, Value>, parts: &[&str], v: Value) -> bool {
    let Some((last, dirs)) = parts.split_last() else {
        return false;
    };
    let mut cur = map;
    for d in dirs {
        let entry = cur
            .entry((*d).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        match entry {
            Value::Object(m) => cur = m,
            _ => return false,
        }
    }
    match cur.get_mut(*last) {
        None => {
            cur.insert((*last).to_owned(), v);
            true
        }
        Some(Value::Object(existing)) => {
            if let Value::Object(new) = v {
                for (k, val) in new {
                    existing.entry(k).or_insert(val);
                }
                true
            } else {
                false
            }
        }
        Some(_) => true, // nested form wins over a duplicate dotted scalar
    }
}

/// Follows a dotted path through nested objects.
pub fn lookup<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = map.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) if a.len() == 1 => scalar_string(&a[0]),
        _ => None,
    }
}

fn push_all(list: &mut Vec<String>, v: Option<&Value>) {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => list.push(s.trim().to_owned()),
        Some(Value::Array(items)) => {
            for i in items {
                push_all(list, Some(i));
            }
        }
        _ => {}
    }
}

fn dedup_keep_order(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.clone()));
}

fn threat_ids(threat: Option<&Value>) -> (Vec<String>, Vec<String>) {
    let mut tactics = Vec::new();
    let mut techniques = Vec::new();
    let Some(Value::Array(items)) = threat else {
        return (tactics, techniques);
    };
    for item in items {
        if let Some(id) = item.pointer("/tactic/id").and_then(Value::as_str) {
            tactics.push(id.to_owned());
        }
        for t in item
            .get("technique")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = t.get("id").and_then(Value::as_str) {
                techniques.push(id.to_owned());
            }
            for s in t
                .get("subtechnique")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = s.get("id").and_then(Value::as_str) {
                    techniques.push(id.to_owned());
                }
            }
        }
    }
    dedup_keep_order(&mut tactics);
    dedup_keep_order(&mut techniques);
    (tactics, techniques)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Limits};

    #[test]
    fn dotted_and_nested_forms_merge() {
        let hit = json!({
            "_id": "abc",
            "_comment": "not content",
            "_source": {
                "@timestamp": "2026-05-14T11:23:05Z",
                "kibana.alert.rule.name": "Encoded PowerShell",
                "kibana.alert.severity": "bogus",
                "kibana.alert.rule.threat": [{"tactic": {"id": "TA0002"}, "technique": [{"id": "T1059", "subtechnique": [{"id": "T1059.001"}]}]}],
                "event.kind": "signal",
                "event": {"category": ["process"]},
                "host": {"name": "wks-1"},
                "source.ip": "185.129.62.62",
                "process": {"hash": {"sha256": "ab".repeat(32)}}
            }
        });
        let a = Alert::from_value(hit, Format::Auto, &Limits::default()).unwrap();
        assert_eq!(a.alert_id, "abc");
        assert_eq!(a.source, "elastic");
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.title, "Encoded PowerShell");
        assert_eq!(a.host(), Some("wks-1"));
        assert_eq!(a.raw_log["event"]["kind"], "signal");
        assert_eq!(a.raw_log["event"]["category"][0], "process");
        assert_eq!(
            a.raw_log["detection"]["techniques"],
            json!(["T1059", "T1059.001"])
        );
        assert_eq!(a.indicators.ips, vec!["185.129.62.62"]);
        assert_eq!(a.indicators.hashes.len(), 1);
        assert!(!a.raw_log.contains_key("kibana"));
    }
}
