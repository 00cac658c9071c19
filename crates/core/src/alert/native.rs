//! The native alert shape: the reference system's alert, unchanged.

use serde_json::{Map, Value};

use super::{
    Alert, AlertError, Indicators, Severity, canonical_json, parse_timestamp, sha256_hex, type_name,
};

/// Turns a native alert object into an [`Alert`].
///
/// # Errors
///
/// [`AlertError::MissingField`] or [`AlertError::InvalidField`] naming the field.
pub fn adapt(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let alert_id = match obj.get("alert_id") {
        None | Some(Value::Null) => derive_alert_id(obj),
        Some(Value::String(s)) if s.trim().is_empty() => derive_alert_id(obj),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(invalid(
                "alert_id",
                format!("expected a string, found {}", type_name(other)),
            ));
        }
    };
    let timestamp = match obj.get("timestamp") {
        None | Some(Value::Null) => return Err(AlertError::MissingField("timestamp")),
        Some(v) => parse_timestamp(v).ok_or_else(|| {
            invalid(
                "timestamp",
                format!("expected an RFC 3339 date-time, found {}", short(v)),
            )
        })?,
    };
    let source = required_string(obj, "source")?;
    let severity = match obj.get("severity") {
        None | Some(Value::Null) => return Err(AlertError::MissingField("severity")),
        Some(Value::String(s)) => Severity::parse(s).ok_or_else(|| {
            invalid(
                "severity",
                format!(
                    "`{}` is not one of low, medium, high, critical",
                    clip(s, 40)
                ),
            )
        })?,
        Some(other) => {
            return Err(invalid(
                "severity",
                format!("expected a string, found {}", type_name(other)),
            ));
        }
    };
    let title = required_string(obj, "title")?;
    let raw_log = match obj.get("raw_log") {
        None | Some(Value::Null) => return Err(AlertError::MissingField("raw_log")),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(invalid(
                "raw_log",
                format!("expected an object, found {}", type_name(other)),
            ));
        }
    };
    let indicators = match obj.get("indicators") {
        None | Some(Value::Null) => Indicators::default(),
        Some(v @ Value::Object(_)) => serde_json::from_value::<Indicators>(v.clone())
            .map_err(|e| invalid("indicators", e.to_string()))?,
        Some(other) => {
            return Err(invalid(
                "indicators",
                format!("expected an object, found {}", type_name(other)),
            ));
        }
    };
    Ok(Alert {
        alert_id,
        timestamp,
        source,
        severity,
        title,
        raw_log,
        indicators,
    })
}

/// `auto-` and the first 24 hex digits of the SHA-256 of the canonical content.
pub(crate) fn derive_alert_id(obj: &Map<String, Value>) -> String {
    let mut content = obj.clone();
    content.remove("alert_id");
    let canon = canonical_json(&Value::Object(content));
    let hex = sha256_hex(canon.as_bytes());
    format!("auto-{}", &hex[..24])
}

fn required_string(obj: &Map<String, Value>, field: &'static str) -> Result<String, AlertError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(AlertError::MissingField(field)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(invalid(
            field,
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

pub(crate) fn invalid(field: &str, reason: String) -> AlertError {
    AlertError::InvalidField {
        field: field.to_owned(),
        reason,
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{}`", clip(s, 40)),
        other => type_name(other).to_owned(),
    }
}

fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).filter(|c| !c.is_control()).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Format, Limits};

    fn parse(v: Value) -> Result<Alert, AlertError> {
        Alert::from_value(v, Format::Native, &Limits::default())
    }

    fn base() -> Value {
        serde_json::json!({
            "timestamp": "2026-04-19T03:14:22Z",
            "source": "siem",
            "severity": "High",
            "title": "t",
            "raw_log": {"host": "h1"},
            "indicators": {"ips": "1.2.3.4", "apps": ["x"]},
            "_comment": "annotation"
        })
    }

    #[test]
    fn derives_a_stable_id_and_ignores_annotations() {
        let a = parse(base()).unwrap();
        assert!(a.alert_id.starts_with("auto-"));
        let mut other = base();
        other["_comment"] = "different annotation".into();
        assert_eq!(parse(other).unwrap().alert_id, a.alert_id);
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.indicators.ips, vec!["1.2.3.4"]);
        assert_eq!(a.indicators.other["apps"], vec!["x"]);
        assert_eq!(a.host(), Some("h1"));
    }

    #[test]
    fn missing_and_invalid_fields_are_named() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("timestamp");
        assert_eq!(parse(v).unwrap_err(), AlertError::MissingField("timestamp"));
        let mut v = base();
        v["severity"] = "urgent".into();
        assert!(parse(v).unwrap_err().to_string().contains("`severity`"));
        let mut v = base();
        v["indicators"] = serde_json::json!({"ips": [{"a": 1}]});
        assert!(parse(v).unwrap_err().to_string().contains("`indicators`"));
    }
}

/// The native alert input, as documented in `schemas/alert.v1.json`. Only used to
/// generate that schema: parsing goes through [`adapt`], which is more forgiving (a
/// single string where a list is expected, severity in any case, `info` as low).
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[schemars(
    title = "Alert",
    description = "A security alert in soc-copilot's native shape (schema version 1)."
)]
pub struct NativeAlert {
    /// The source's id for the alert. When absent, `auto-` and a hash of the content.
    pub alert_id: Option<String>,
    /// When the alert happened (RFC 3339).
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// Which system raised it (`siem`, `edr`, `waf`, ...).
    pub source: String,
    /// The source's severity.
    pub severity: Severity,
    /// The detection's title.
    pub title: String,
    /// The event data, as the source sent it.
    pub raw_log: Map<String, Value>,
    /// Indicators the source declared.
    #[serde(default)]
    pub indicators: Indicators,
}
