//! The alert: what forwarders send in, in the native shape or an adapter's.
//!
//! The native shape is a superset of the reference system's alert (`alert_id`,
//! `timestamp`, `source`, `severity`, `title`, `raw_log`, `indicators`). Other shapes are
//! turned into it by an adapter ([`ecs`] for Elastic Security detection alerts); the
//! adapter is chosen by [`Format`], or detected from the document when the caller does not
//! know.
//!
//! Entry points:
//! - [`parse_input`]: bytes that may hold one alert, a JSON array or NDJSON;
//! - [`Alert::from_value`]: one already-parsed JSON value.
//!
//! Limits ([`Limits`]): 1 MiB per alert, nesting depth 64, 10,000 declared indicators.
//! Going over one gives an [`AlertError`], never a panic.
//!
//! Fixture annotations (top-level keys starting with `_`, such as `_comment`) are not alert
//! content: the adapters drop them before anything else reads the document.

pub mod ecs;
mod hash;
pub mod native;
pub mod split;
pub mod splunk;
pub mod wazuh;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{Classify, ErrorClass};

pub use hash::{canonical_json, hex_lower, sha256_hex};

/// Size and shape limits applied to every alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted alert document, in bytes. Default 1 MiB.
    pub max_alert_bytes: usize,
    /// Deepest accepted nesting of objects and arrays. Default 64.
    pub max_depth: usize,
    /// Most indicators an alert may declare in `indicators`. Default 10,000.
    pub max_indicators: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_alert_bytes: 1 << 20,
            max_depth: 64,
            max_indicators: 10_000,
        }
    }
}

/// Why an input could not become an alert. Messages are one line, lower-case, and name the
/// offending field in backticks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// The input holds nothing but whitespace.
    #[error("empty input: no alert found")]
    Empty,
    /// The input is not UTF-8.
    #[error("input is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The JSON is malformed or truncated.
    #[error("malformed JSON: {message}")]
    Syntax {
        /// serde_json's description, with line and column.
        message: String,
    },
    /// Something other than whitespace follows a complete document on the same line.
    #[error("malformed JSON: trailing characters after the alert object")]
    TrailingData,
    /// A top-level value (or an element of a top-level array) is not an object.
    ///
    /// The message names the JSON type found ("a number", "a string", "true/false",
    /// "null", "an array"), never just the character it starts with.
    #[error("expected a JSON object for an alert, found {}", found_description(*found))]
    NotAnObject {
        /// The first character of what was found: the splitter looks no further, and in
        /// JSON the first character decides the type.
        found: char,
    },
    /// The alert is over the size limit.
    #[error("alert is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Objects and arrays nest deeper than the limit.
    #[error("alert nests objects/arrays deeper than the limit of {limit} levels")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// The alert declares more indicators than the limit.
    #[error("alert declares {count} indicators, over the limit of {limit}")]
    TooManyIndicators {
        /// Number declared.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A required field is absent.
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong type or an unacceptable value.
    #[error("invalid field `{field}`: {reason}")]
    InvalidField {
        /// Dotted path of the field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Classify for AlertError {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

/// Alert severity, as the SIEM rated it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Parses a severity case-insensitively; `info`/`informational` count as low.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" | "info" | "informational" => Some(Self::Low),
            "medium" | "moderate" => Some(Self::Medium),
            "high" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Indicators the alert declares, by conventional kind. Each value may be given as a list
/// of strings or as a single string; unknown kinds (such as `apps`) are kept in `other`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Indicators {
    /// IPv4 or IPv6 addresses.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ips: Vec<String>,
    /// Domain names.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub domains: Vec<String>,
    /// URLs (defanged forms such as `hxxp://x[.]com` are accepted).
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
    /// File hashes (MD5, SHA-1 or SHA-256, hex).
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hashes: Vec<String>,
    /// E-mail addresses.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub emails: Vec<String>,
    /// User or account names.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub users: Vec<String>,
    /// Host names.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hosts: Vec<String>,
    /// Any other kind the source declares (for example `apps`: OAuth client ids).
    #[serde(flatten, deserialize_with = "string_list_map")]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub other: BTreeMap<String, Vec<String>>,
}

impl Indicators {
    /// Total number of declared values.
    pub fn len(&self) -> usize {
        self.iter().map(|(_, v)| v.len()).sum()
    }

    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (kind, values) pair, known kinds first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        [
            ("ips", self.ips.as_slice()),
            ("domains", self.domains.as_slice()),
            ("urls", self.urls.as_slice()),
            ("hashes", self.hashes.as_slice()),
            ("emails", self.emails.as_slice()),
            ("users", self.users.as_slice()),
            ("hosts", self.hosts.as_slice()),
        ]
        .into_iter()
        .chain(self.other.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
    }
}

/// One alert in the native shape, after adaptation and validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Alert {
    /// The source's id for the alert, or `auto-<hash>` derived from the content.
    pub alert_id: String,
    /// When the alert (or its underlying event) happened.
    pub timestamp: DateTime<Utc>,
    /// Which system raised it (`siem`, `edr`, `elastic`, `waf`, ...).
    pub source: String,
    /// The source's severity.
    pub severity: Severity,
    /// The detection's title.
    pub title: String,
    /// The event data, as the source sent it. Untrusted.
    pub raw_log: Map<String, Value>,
    /// Indicators the source declared. Untrusted; more are extracted from `raw_log`.
    #[serde(default)]
    pub indicators: Indicators,
}

/// Which adapter turns a document into an [`Alert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Look at the document and pick.
    #[default]
    Auto,
    /// The native shape.
    Native,
    /// An Elastic Security detection alert: a search hit (`_id`, `_source`) or its `_source`.
    Ecs,
    /// A Wazuh `alerts.json` record.
    Wazuh,
    /// A Splunk webhook alert action payload (`result`, `sid`, `search_name`).
    SplunkWebhook,
    /// A Splunk HTTP Event Collector event (`event`, `time`, `host`, `sourcetype`).
    SplunkHec,
}

impl Format {
    /// Parses a format name as used in `?format=` and `--format`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Some(Format::Auto),
            "native" => Some(Format::Native),
            "ecs" | "elastic" => Some(Format::Ecs),
            "wazuh" => Some(Format::Wazuh),
            "splunk-webhook" | "splunk" => Some(Format::SplunkWebhook),
            "splunk-hec" | "hec" => Some(Format::SplunkHec),
            _ => None,
        }
    }

    /// The name accepted by [`Format::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Native => "native",
            Format::Ecs => "ecs",
            Format::Wazuh => "wazuh",
            Format::SplunkWebhook => "splunk-webhook",
            Format::SplunkHec => "splunk-hec",
        }
    }
}

impl Format {
    /// Picks the adapter for a document: an Elastic hit or alert source has `_source` or
    /// `kibana.alert.*` fields; a Wazuh record has a `rule` object with a `level` and an
    /// `agent` or `decoder`; a Splunk webhook has `result` and `sid`; a Splunk HEC event has
    /// `event` and one of `time`/`sourcetype`/`host`; everything else is native. A document
    /// with a `raw_log` object is always native.
    pub fn detect(obj: &Map<String, Value>) -> Format {
        if obj.get("raw_log").is_some_and(Value::is_object) {
            return Format::Native;
        }
        if obj.get("rule").and_then(|r| r.get("level")).is_some()
            && (obj.contains_key("agent") || obj.contains_key("decoder"))
        {
            return Format::Wazuh;
        }
        if obj.get("result").is_some_and(Value::is_object) && obj.contains_key("sid") {
            return Format::SplunkWebhook;
        }
        if obj.contains_key("event")
            && (obj.contains_key("time")
                || obj.contains_key("sourcetype")
                || obj.contains_key("host"))
            && !obj.contains_key("timestamp")
        {
            return Format::SplunkHec;
        }
        if obj.get("_source").is_some_and(Value::is_object) {
            return Format::Ecs;
        }
        if obj.keys().any(|k| k.starts_with("kibana.alert."))
            || obj
                .get("kibana")
                .and_then(|k| k.get("alert"))
                .is_some_and(Value::is_object)
        {
            return Format::Ecs;
        }
        Format::Native
    }
}

impl Alert {
    /// Builds an alert from one parsed JSON value.
    ///
    /// # Errors
    ///
    /// [`AlertError`] when the value is not an object, a required field is missing or
    /// invalid, or a limit is exceeded.
    pub fn from_value(value: Value, format: Format, limits: &Limits) -> Result<Alert, AlertError> {
        let Value::Object(mut obj) = value else {
            return Err(AlertError::NotAnObject {
                found: start_char_of(&value),
            });
        };
        // Fixture annotations are never alert content.
        obj.retain(|k, _| !is_annotation_key(k));
        let format = match format {
            Format::Auto => Format::detect(&obj),
            f => f,
        };
        let alert = match format {
            Format::Ecs => ecs::adapt(obj)?,
            Format::Wazuh => wazuh::adapt(&obj)?,
            Format::SplunkWebhook => splunk::adapt_webhook(&obj)?,
            Format::SplunkHec => splunk::adapt_hec(&obj)?,
            Format::Native | Format::Auto => native::adapt(&obj)?,
        };
        let count = alert.indicators.len();
        if count > limits.max_indicators {
            return Err(AlertError::TooManyIndicators {
                count,
                limit: limits.max_indicators,
            });
        }
        Ok(alert)
    }

    /// Parses one alert from text that must hold exactly one JSON object.
    ///
    /// # Errors
    ///
    /// [`AlertError`] as for [`parse_input`], or when the text holds more than one alert.
    pub fn from_json(text: &str, limits: &Limits) -> Result<Alert, AlertError> {
        let mut docs = parse_input(text.as_bytes(), Format::Auto, limits)?;
        if docs.len() != 1 {
            return Err(AlertError::InvalidField {
                field: "(input)".into(),
                reason: format!("expected one alert, found {}", docs.len()),
            });
        }
        docs.remove(0).result.map_err(|l| l.error)
    }

    /// The host the alert is about: `raw_log.host` when it is a string, or
    /// `raw_log.host.name` when it is an object (this makes ECS and native shapes
    /// comparable).
    pub fn host(&self) -> Option<&str> {
        match self.raw_log.get("host")? {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => o.get("name").and_then(Value::as_str),
            _ => None,
        }
    }
}

/// One alert parsed from a multi-alert input, with where it came from.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// 1-based line of the document's first byte.
    pub line: usize,
    /// 0-based position among the input's documents.
    pub index: usize,
    /// The alert, or why this document is not one.
    pub result: Result<Alert, split::Located>,
}

/// Parses every alert in `bytes`: one object, a JSON array of objects, or NDJSON.
///
/// # Errors
///
/// An error for the input as a whole: [`AlertError::Empty`] when it holds no alert at
/// all (nothing but whitespace or blank lines, or an empty array `[]`),
/// [`AlertError::NotUtf8`]; problems with single documents are reported in their
/// [`Parsed::result`] so the others still get through. An `Ok` is never empty.
pub fn parse_input(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<Vec<Parsed>, AlertError> {
    let docs = split::split(bytes, limits)?;
    // The splitter reports an array without elements as one "empty" document; it is the
    // input as a whole that holds no alert, as with an empty body.
    let no_alert = match docs.as_slice() {
        [] => true,
        [Err(only)] => matches!(only.error, AlertError::Empty),
        _ => false,
    };
    if no_alert {
        return Err(AlertError::Empty);
    }
    Ok(docs
        .into_iter()
        .map(|d| match d {
            Err(located) => Parsed {
                line: located.line,
                index: located.index,
                result: Err(located),
            },
            Ok(doc) => {
                let result = serde_json::from_str::<Value>(doc.text)
                    .map_err(|e| AlertError::Syntax {
                        message: e.to_string(),
                    })
                    .and_then(|v| Alert::from_value(v, format, limits))
                    .map_err(|error| split::Located {
                        line: doc.line,
                        index: doc.index,
                        error,
                    });
                Parsed {
                    line: doc.line,
                    index: doc.index,
                    result,
                }
            }
        })
        .collect())
}

/// A short, printable excerpt of untrusted text for an error message: control characters
/// dropped, at most 40 characters.
pub fn clip_for_message(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// True for top-level keys that annotate a fixture rather than describe the alert.
pub fn is_annotation_key(key: &str) -> bool {
    key.starts_with('_') && !matches!(key, "_id" | "_source" | "_index")
}

/// The character a JSON text of `v`'s type starts with: the inverse of
/// `json_type_of_start`, for [`AlertError::NotAnObject`].
fn start_char_of(v: &Value) -> char {
    match v {
        Value::Null => 'n',
        Value::Bool(true) => 't',
        Value::Bool(false) => 'f',
        Value::Number(_) => '0',
        Value::String(_) => '"',
        Value::Array(_) => '[',
        Value::Object(_) => '{',
    }
}

/// The JSON type a value starting with `c` has: "an object", "an array", "a string",
/// "a number", "true/false" or "null"; `None` when no JSON value starts with `c`.
fn json_type_of_start(c: char) -> Option<&'static str> {
    match c {
        '{' => Some("an object"),
        '[' => Some("an array"),
        '"' => Some("a string"),
        '-' | '0'..='9' => Some("a number"),
        't' | 'f' => Some("true/false"),
        'n' => Some("null"),
        _ => None,
    }
}

/// What [`AlertError::NotAnObject`] says was found: the JSON type, or, for text that is
/// not JSON, its first character (escaped, so the message stays one printable line).
fn found_description(c: char) -> String {
    match json_type_of_start(c) {
        Some(kind) => kind.to_owned(),
        None => format!("`{}`, which does not start a JSON value", c.escape_debug()),
    }
}

/// Accepts `null`, a string, or a list of strings.
fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_string_list(v).map_err(serde::de::Error::custom)
}

fn string_list_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let m = BTreeMap::<String, Value>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let list = value_to_string_list(v)
            .map_err(|e| serde::de::Error::custom(format!("`indicators.{k}`: {e}")))?;
        out.insert(k, list);
    }
    Ok(out)
}

pub(crate) fn value_to_string_list(v: Value) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s]),
        Value::Array(items) => items
            .into_iter()
            .filter(|i| !i.is_null())
            .map(|i| match i {
                Value::String(s) => Ok(s),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!(
                    "expected a list of strings, found an element of type {}",
                    type_name(&other)
                )),
            })
            .collect(),
        other => Err(format!(
            "expected a list of strings, found {}",
            type_name(&other)
        )),
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a timestamp: RFC 3339, RFC 3339 without an offset (read as UTC), a space
/// instead of `T`, or an epoch number: seconds below 10^11 (fractions allowed, as in
/// Splunk's `time`), milliseconds above.
pub fn parse_timestamp(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Some(t.with_timezone(&Utc));
            }
            let t = s.replacen(' ', "T", 1);
            if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
                return Some(t.with_timezone(&Utc));
            }
            chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        }
        Value::Number(n) => {
            let f = n.as_f64()?;
            if !f.is_finite() || f.abs() >= 1e15 {
                return None;
            }
            if f.abs() < 1e11 {
                let secs = f.floor();
                let nanos = ((f - secs) * 1e9).round().clamp(0.0, 999_999_999.0);
                DateTime::<Utc>::from_timestamp(secs as i64, nanos as u32)
            } else {
                DateTime::<Utc>::from_timestamp_millis(f as i64)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one error of an input holding one document.
    fn only_error(input: &str) -> String {
        let docs = parse_input(input.as_bytes(), Format::Auto, &Limits::default()).unwrap();
        assert_eq!(docs.len(), 1, "{input:?}");
        docs[0].result.as_ref().unwrap_err().error.to_string()
    }

    #[test]
    fn a_scalar_is_named_by_its_json_type() {
        for (input, kind) in [
            ("42", "a number"),
            ("12345", "a number"),
            ("-1.5e3", "a number"),
            ("\"hello\"", "a string"),
            ("true", "true/false"),
            ("false", "true/false"),
            ("null", "null"),
            ("  42\n", "a number"),
            // Elements of an array are alerts too.
            ("[42]", "a number"),
            ("[\"x\"]", "a string"),
            ("[[{\"a\": 1}]]", "an array"),
        ] {
            assert_eq!(
                only_error(input),
                format!("expected a JSON object for an alert, found {kind}"),
                "{input:?}"
            );
        }
        // Not JSON at all: the character, escaped, and that it starts nothing.
        assert_eq!(
            only_error("hello"),
            "expected a JSON object for an alert, found `h`, which does not start a JSON value"
        );
        assert_eq!(
            only_error("\u{7}"),
            "expected a JSON object for an alert, found `\\u{7}`, which does not start a JSON value"
        );
        // One line of an NDJSON stream.
        let ndjson = "{\"a\": 1}\n7\n";
        let docs = parse_input(ndjson.as_bytes(), Format::Auto, &Limits::default()).unwrap();
        let err = docs[1].result.as_ref().unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(
            err.error.to_string(),
            "expected a JSON object for an alert, found a number"
        );
        // An already-parsed value says the same.
        for (value, kind) in [
            (serde_json::json!(42), "a number"),
            (serde_json::json!("hello"), "a string"),
            (serde_json::json!(true), "true/false"),
            (serde_json::json!(false), "true/false"),
            (serde_json::Value::Null, "null"),
            (serde_json::json!([{}]), "an array"),
        ] {
            let err = Alert::from_value(value, Format::Auto, &Limits::default()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("expected a JSON object for an alert, found {kind}")
            );
        }
    }

    #[test]
    fn no_alert_at_all_is_an_empty_input() {
        for input in [
            "",
            "  ",
            "\n\n\n",
            " \r\n\t\r\n",
            "\u{feff}\n",
            "[]",
            " [ \n ] \n",
        ] {
            let got = parse_input(input.as_bytes(), Format::Auto, &Limits::default());
            assert_eq!(got.unwrap_err(), AlertError::Empty, "{input:?}");
        }
        assert_eq!(AlertError::Empty.to_string(), "empty input: no alert found");
        assert_eq!(
            Alert::from_json("[]", &Limits::default()).unwrap_err(),
            AlertError::Empty
        );
        // An array with something in it is not empty, even when that something is bad.
        let docs = parse_input(b"[1]", Format::Auto, &Limits::default()).unwrap();
        assert_eq!(docs.len(), 1);
        assert!(docs[0].result.is_err());
    }

    #[test]
    fn epoch_seconds_and_millis() {
        let secs = parse_timestamp(&serde_json::json!(1713496462)).unwrap();
        assert_eq!(secs.to_rfc3339(), "2024-04-19T03:14:22+00:00");
        let frac = parse_timestamp(&serde_json::json!(1713496462.5)).unwrap();
        assert_eq!(frac.timestamp_subsec_millis(), 500);
        let ms = parse_timestamp(&serde_json::json!(1713496462000_i64)).unwrap();
        assert_eq!(ms, secs);
        assert!(parse_timestamp(&serde_json::json!(1e300)).is_none());
        assert!(parse_timestamp(&serde_json::json!("2026-04-19 03:14:22")).is_some());
    }
}
