//! Prepared events: the shapes alerts arrive in, mapped to Sigma field names, with the
//! lower-case copies the matcher needs and the inferred log source.
//!
//! Shapes understood by [`Event::from_value`] (one pass over the JSON):
//! - EVTX-JSON (`Event.System` + `Event.EventData`/`UserData`): `EventData` children by
//!   name, `UserData`'s inner element's children by name, `System` as `EventID`,
//!   `Provider_Name`, `Channel`, `Computer`, ...;
//! - the dev set's flattened Windows events: `event_data.*` by name, `provider`,
//!   `channel`, `event_id`, `computer`; when `event_data` only wraps one element (the
//!   flattened `UserData`, `event_data.LogFileCleared.*`), that element's fields by the
//!   dotted names and also by their own names, each one the event has no field of (at
//!   most 1,024 values);
//! - Wazuh: `data.win.eventdata.*` camelCase → PascalCase (`commandLine` →
//!   `CommandLine`), `data.win.system.eventID`/`providerName`/`channel`/`computer`;
//! - Winlogbeat/ECS: `winlog.event_data.*` by name, and the ECS aliases in [`ALIASES`]
//!   (`process.executable` → `Image`, `process.command_line` → `CommandLine`, ...);
//! - native reference alerts: `process_path` → `Image`, `parent_process` →
//!   `ParentImage`, `command_line` → `CommandLine`, ... (also in [`ALIASES`]);
//! - Linux process records (the `linux` module): auditd records (objects or audit.log
//!   text), Falco's `output_fields`, sudo's log line (syslog or journald `MESSAGE`) →
//!   `Image`, `CommandLine`, `ParentImage`, `User`, ..., with the log source they name.
//!
//! Every field also keeps its own (dotted) name, so a rule on any field name can match.
//! Field names are compared case-insensitively. Security 4688 fields also answer to the
//! Sysmon names (`NewProcessName` → `Image`, `ParentProcessName` → `ParentImage`), and
//! names with spaces (Defender's `Threat Name`) to the name without them.
//!
//! Storage: names, values and lower-case values each live in one buffer, so building an
//! event costs a handful of allocations whatever its size.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::{Map, Number, Value};
use soc_core::Alert;

use super::LogSource;
use super::logsource;

pub(crate) mod linux;

/// One value of an event field, borrowed from the event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValueRef<'e> {
    /// The text as received (numbers and booleans rendered).
    pub(crate) orig: &'e str,
    /// Its lower-case copy.
    pub(crate) lower: &'e str,
    /// Whether the JSON value was `null`.
    pub(crate) is_null: bool,
    /// Index among the event's values (`usize::MAX` for [`ValueRef::EMPTY`]).
    pub(crate) index: usize,
}

impl ValueRef<'_> {
    /// Matches absence checks.
    pub(crate) const EMPTY: ValueRef<'static> = ValueRef {
        orig: "",
        lower: "",
        is_null: true,
        index: usize::MAX,
    };

    /// The value as a decimal number, when it reads as one.
    pub(crate) fn number(&self) -> Option<f64> {
        let t = self.orig.trim();
        if t.is_empty() || !t.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse::<f64>().ok()
    }

    /// The value as a number, decimal or `0x` hexadecimal (for `gt`/`lt` comparisons).
    pub(crate) fn number_or_hex(&self) -> Option<f64> {
        let t = self.orig.trim();
        self.number().or_else(|| {
            let hex = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"))?;
            u64::from_str_radix(hex, 16).ok().map(|n| n as f64)
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct FieldEntry {
    /// Name and lower-case key, as ranges of `Event::names`.
    name: (u32, u32),
    key: (u32, u32),
    /// Range of `Event::vals`.
    start: u32,
    end: u32,
}

#[derive(Debug, Clone, Copy)]
struct Val {
    /// Range of `Event::text`.
    o: (u32, u32),
    /// Range of `Event::lower`.
    l: (u32, u32),
    null: bool,
}

fn slice(buf: &str, r: (u32, u32)) -> &str {
    &buf[r.0 as usize..r.1 as usize]
}

/// A prepared event: Sigma field names → values (strings, rendered numbers, lists), with
/// cached lower-case copies and the inferred log source.
#[derive(Debug, Clone)]
pub struct Event {
    fields: Vec<FieldEntry>,
    names: String,
    vals: Vec<Val>,
    text: String,
    lower: String,
    logsource: LogSource,
    exact: bool,
}

impl Event {
    /// Builds an event from an EVTX-JSON document (`{"Event": {"System": .., "EventData":
    /// ..}}`) or any flat or nested JSON object (dev-set, native, ECS, Wazuh shapes).
    pub fn from_value(v: &Value) -> Event {
        let derived = v.as_object().map(linux::derive).unwrap_or_default();
        let mut b = Builder::default();
        match v {
            Value::Object(m) => b.root(m),
            other => b.scalar(Cow::Borrowed("value"), other),
        }
        b.derived(&derived);
        b.finish()
    }

    /// The events an alert carries: one per element of `raw_log.events` (each with the
    /// other top-level `raw_log` fields), or one for the whole `raw_log`. The alert's host
    /// becomes `Computer` when the event has none.
    ///
    /// Linux process records (the `linux` module below) add the Sigma view of the
    /// process: auditd records (`SYSCALL`, `EXECVE`, ...) as objects or as audit.log
    /// text, Falco's `output_fields`, sudo's log line. A list of auditd records holding several
    /// executions, or of sudo lines, gives one event per execution or line (each with the
    /// other top-level `raw_log` fields).
    pub fn from_alert(alert: &Alert) -> Vec<Event> {
        let raw = &alert.raw_log;
        let host = alert.host();
        if let Some(split) = linux::split(raw) {
            return split
                .groups
                .iter()
                .map(|g| {
                    let mut b = Builder::default();
                    for (k, v) in raw {
                        if k != split.key {
                            b.key(k, v, "", 0);
                        }
                    }
                    for item in &g.items {
                        b.value(Cow::Borrowed(split.key), item, 1);
                    }
                    b.derived(&g.derived);
                    with_host(b, host)
                })
                .collect();
        }
        if let Some(Value::Array(items)) = raw.get("events")
            && items.iter().any(Value::is_object)
        {
            let items: Vec<_> = items
                .iter()
                .filter_map(Value::as_object)
                .map(|item| (item, linux::derive(item)))
                .collect();
            return items
                .iter()
                .map(|(item, derived)| {
                    let mut b = Builder::default();
                    b.root(item);
                    for (k, v) in raw {
                        if k != "events" && !item.contains_key(k) {
                            b.key(k, v, "", 0);
                        }
                    }
                    b.derived(derived);
                    with_host(b, host)
                })
                .collect();
        }
        let derived = linux::derive(raw);
        let mut b = Builder::default();
        b.root(raw);
        b.derived(&derived);
        vec![with_host(b, host)]
    }

    /// The inferred log source.
    pub fn logsource(&self) -> &LogSource {
        &self.logsource
    }

    /// Whether the log source was recognised exactly (a known Windows channel or
    /// provider) rather than guessed.
    pub fn logsource_is_exact(&self) -> bool {
        self.exact
    }

    /// The first value of a field (name compared case-insensitively).
    pub fn get(&self, field: &str) -> Option<&str> {
        let i = self.index_of(&field.to_lowercase())?;
        self.values(i).next().map(|v| v.orig)
    }

    /// The field names, as mapped.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| slice(&self.names, f.name))
    }

    /// Every value lower-cased, each followed by a NUL (the prefilter's haystack).
    pub(crate) fn lower_text(&self) -> &str {
        &self.lower
    }

    /// Field keys (lower case) in index order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| slice(&self.names, f.key))
    }

    /// Index of a field by lower-case key.
    pub(crate) fn index_of(&self, key: &str) -> Option<usize> {
        self.fields
            .binary_search_by(|f| slice(&self.names, f.key).cmp(key))
            .ok()
    }

    /// The first value (as written) of a field given by lower-case key.
    pub(crate) fn first_orig(&self, key: &str) -> Option<&str> {
        let i = self.index_of(key)?;
        self.values(i).next().map(|v| v.orig)
    }

    /// The lower-case first value of a field given by lower-case key.
    pub(crate) fn first_lower(&self, key: &str) -> Option<&str> {
        let i = self.index_of(key)?;
        self.values(i).next().map(|v| v.lower)
    }

    /// The lower-case values of a field given by lower-case key.
    pub(crate) fn lower_values<'s>(&'s self, key: &str) -> impl Iterator<Item = &'s str> + 's {
        self.index_of(key)
            .into_iter()
            .flat_map(move |i| self.values(i).map(|v| v.lower))
    }

    /// The values of field `field`.
    pub(crate) fn values(&self, field: usize) -> impl Iterator<Item = ValueRef<'_>> + Clone + '_ {
        let f = &self.fields[field];
        (f.start as usize..f.end as usize).map(|i| self.value_ref(i))
    }

    /// Every value of every field.
    pub(crate) fn all_values(&self) -> impl Iterator<Item = ValueRef<'_>> + Clone + '_ {
        (0..self.vals.len()).map(|i| self.value_ref(i))
    }

    /// The field holding a value (for keyword match explanations).
    pub(crate) fn field_of(&self, value: &ValueRef<'_>) -> Option<&str> {
        let vi = value.index;
        self.fields
            .iter()
            .find(|f| f.start as usize <= vi && vi < f.end as usize)
            .map(|f| slice(&self.names, f.name))
    }

    fn value_ref(&self, i: usize) -> ValueRef<'_> {
        let v = &self.vals[i];
        ValueRef {
            orig: slice(&self.text, v.o),
            lower: slice(&self.lower, v.l),
            is_null: v.null,
            index: i,
        }
    }
}

/// Finishes an alert's event: the alert's host is `Computer` when the event has none.
fn with_host<'b>(mut b: Builder<'b>, host: Option<&'b str>) -> Event {
    if let Some(h) = host {
        b.fallback(Cow::Borrowed("Computer"), Scalar::Str(h));
    }
    b.finish()
}

/// Field aliases: `(source path, lower case; Sigma name; only when the Sigma name is
/// otherwise absent)`.
pub(crate) const ALIASES: &[(&str, &str, bool)] = &[
    // native reference alerts
    ("process_path", "Image", false),
    ("process", "Image", true),
    ("process_name", "Image", true),
    ("parent_process_path", "ParentImage", false),
    ("parent_process", "ParentImage", true),
    ("parent_image", "ParentImage", false),
    ("command_line", "CommandLine", false),
    ("cmdline", "CommandLine", true),
    ("parent_command_line", "ParentCommandLine", false),
    ("user", "User", false),
    ("username", "User", true),
    ("host", "Computer", true),
    ("hostname", "Computer", true),
    ("file_path", "TargetFilename", false),
    ("target_filename", "TargetFilename", false),
    ("src_ip", "SourceIp", false),
    ("source_ip", "SourceIp", false),
    ("src_port", "SourcePort", false),
    ("dest_ip", "DestinationIp", false),
    ("dst_ip", "DestinationIp", false),
    ("destination_ip", "DestinationIp", false),
    ("dest_port", "DestinationPort", false),
    ("dst_port", "DestinationPort", false),
    ("dest_host", "DestinationHostname", false),
    ("integrity_level", "IntegrityLevel", false),
    ("original_file_name", "OriginalFileName", false),
    ("current_directory", "CurrentDirectory", false),
    ("query_name", "QueryName", false),
    ("registry_key", "TargetObject", false),
    ("registry_path", "TargetObject", false),
    ("registry_value", "Details", false),
    ("image_loaded", "ImageLoaded", false),
    ("pipe_name", "PipeName", false),
    ("service_name", "ServiceName", false),
    ("script_block_text", "ScriptBlockText", false),
    ("source_image", "SourceImage", false),
    ("target_image", "TargetImage", false),
    ("target_process", "TargetImage", true),
    ("target_process_path", "TargetImage", false),
    ("granted_access", "GrantedAccess", false),
    ("logon_type", "LogonType", false),
    // the dev set's flattened Windows events
    ("provider", "Provider_Name", false),
    ("event_id", "EventID", false),
    ("computer", "Computer", false),
    // ECS
    ("process.executable", "Image", false),
    ("process.name", "Image", true),
    ("process.command_line", "CommandLine", false),
    ("process.pe.original_file_name", "OriginalFileName", false),
    ("process.working_directory", "CurrentDirectory", false),
    ("process.pid", "ProcessId", false),
    ("process.parent.executable", "ParentImage", false),
    ("process.parent.name", "ParentImage", true),
    ("process.parent.command_line", "ParentCommandLine", false),
    ("process.parent.pid", "ParentProcessId", false),
    ("user.name", "User", false),
    ("file.path", "TargetFilename", false),
    ("dll.path", "ImageLoaded", false),
    ("destination.ip", "DestinationIp", false),
    ("destination.port", "DestinationPort", false),
    ("destination.domain", "DestinationHostname", false),
    ("source.ip", "SourceIp", false),
    ("source.port", "SourcePort", false),
    ("dns.question.name", "QueryName", false),
    ("registry.path", "TargetObject", false),
    ("registry.data.strings", "Details", false),
    ("event.code", "EventID", false),
    ("host.name", "Computer", false),
    ("host.hostname", "Computer", true),
    ("url.original", "c-uri", false),
    ("user_agent.original", "c-useragent", false),
    ("http.request.method", "cs-method", false),
    (
        "powershell.file.script_block_text",
        "ScriptBlockText",
        false,
    ),
    // Winlogbeat and Wazuh system fields
    ("winlog.channel", "Channel", false),
    ("winlog.event_id", "EventID", false),
    ("winlog.provider_name", "Provider_Name", false),
    ("winlog.computer_name", "Computer", false),
    ("data.win.system.eventid", "EventID", false),
    ("data.win.system.providername", "Provider_Name", false),
    ("data.win.system.channel", "Channel", false),
    ("data.win.system.computer", "Computer", false),
];

static ALIAS_MAP: LazyLock<HashMap<&'static str, (&'static str, bool)>> =
    LazyLock::new(|| ALIASES.iter().map(|(s, t, f)| (*s, (*t, *f))).collect());

/// Event-data names that also answer to a Sysmon name when the event has none (Security
/// 4688's process fields).
const DATA_ALIASES: &[(&str, &str)] = &[
    ("newprocessname", "Image"),
    ("parentprocessname", "ParentImage"),
];

/// Containers whose children are event-data fields named by their own key:
/// `Some(pascal_case)`.
fn container(path_lc: &str) -> Option<bool> {
    match path_lc {
        "event_data" | "eventdata" | "winlog.event_data" => Some(false),
        "data.win.eventdata" => Some(true),
        _ => None,
    }
}

/// The object holding `System` in an EVTX-JSON document, when it is one.
fn evtx_root(m: &Map<String, Value>) -> Option<&Map<String, Value>> {
    if let Some(Value::Object(e)) = m.get("Event")
        && e.get("System").is_some_and(Value::is_object)
    {
        return Some(e);
    }
    (m.get("System").is_some_and(Value::is_object)
        && (m.contains_key("EventData") || m.contains_key("UserData")))
    .then_some(m)
}

#[derive(Debug, Clone, Copy)]
enum Scalar<'a> {
    Str(&'a str),
    Num(&'a Number),
    Bool(bool),
    Null,
}

struct Entry<'a> {
    name: Cow<'a, str>,
    /// The lower-case name, as a range of `Builder::keys`.
    key: (u32, u32),
    val: Scalar<'a>,
}

struct Builder<'a> {
    entries: Vec<Entry<'a>>,
    keys: String,
    fallbacks: Vec<(Cow<'a, str>, Scalar<'a>)>,
    /// Fields of the element an event-data container wraps, by their own names, with the
    /// number of the wrapper they come from; each name only when the event has no field
    /// of that name, and only from the first wrapper giving it. At most
    /// [`MAX_UNWRAPPED`].
    unwrapped: Vec<(u32, Cow<'a, str>, Scalar<'a>)>,
    /// Wrappers unwrapped so far.
    wrappers: u32,
    tmp: String,
    /// The log source a recognised record shape names (Linux records).
    hint: Option<LogSource>,
}

impl Default for Builder<'_> {
    fn default() -> Self {
        Builder {
            entries: Vec::with_capacity(64),
            keys: String::with_capacity(1024),
            fallbacks: Vec::new(),
            unwrapped: Vec::new(),
            wrappers: 0,
            tmp: String::with_capacity(64),
            hint: None,
        }
    }
}

/// Appends the lower-case form of `s`.
fn push_lower(buf: &mut String, s: &str) {
    if s.is_ascii() {
        let n = buf.len();
        buf.push_str(s);
        buf[n..].make_ascii_lowercase();
    } else {
        buf.extend(s.chars().flat_map(char::to_lowercase));
    }
}

/// The lower-case form of `s`.
fn lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_lower(&mut out, s);
    out
}

/// The element an event-data container wraps its fields in, when the container has the
/// shape of a flattened EVTX `UserData`: its only child besides `#attributes` is an
/// object without `#text`. Two children (`{"Process": {..}, "Parent": {..}}`) are not a
/// wrapper, and their fields keep their dotted names only.
fn wrapper(m: &Map<String, Value>) -> Option<&str> {
    let mut children = m.iter().filter(|(k, _)| *k != "#attributes");
    let (k, v) = children.next()?;
    let element = v.as_object().is_some_and(|o| !o.contains_key("#text"));
    (element && children.next().is_none()).then_some(k.as_str())
}

/// Deepest object nesting flattened.
const MAX_FLATTEN_DEPTH: usize = 32;

/// Most values of one field deduplicated by comparing each with the ones before it.
const LINEAR_DEDUP: usize = 16;

/// Most values of a wrapped element given again under their own names (a `UserData`
/// element has a few dozen fields; the dotted names keep every value).
const MAX_UNWRAPPED: usize = 1024;

impl<'a> Builder<'a> {
    fn push(&mut self, name: Cow<'a, str>, val: Scalar<'a>) {
        let k0 = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        push_lower(&mut self.keys, &name);
        let k1 = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry {
            name,
            key: (k0, k1),
            val,
        });
    }

    fn scalar(&mut self, name: Cow<'a, str>, v: &'a Value) {
        let val = match v {
            Value::String(s) => Scalar::Str(s),
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Num(n),
            Value::Array(_) | Value::Object(_) => return,
        };
        self.push(name, val);
    }

    fn fallback(&mut self, name: Cow<'a, str>, val: Scalar<'a>) {
        self.fallbacks.push((name, val));
    }

    /// Adds fields derived from a Linux record, each name only when the event has no
    /// field of that name (every value of such a name), and the record's log source.
    fn derived(&mut self, d: &'a linux::Derived) {
        if self.hint.is_none() {
            self.hint.clone_from(&d.hint);
        }
        let names: Vec<String> = d.pairs.iter().map(|(n, _)| lower(n)).collect();
        let absent = self.absent(&names);
        for ((name, val), key) in d.pairs.iter().zip(&names) {
            if absent.contains(key.as_str()) {
                self.push(Cow::Borrowed(name.as_ref()), Scalar::Str(val));
            }
        }
    }

    /// A document's top level: EVTX-JSON or a flat/nested object.
    fn root(&mut self, m: &'a Map<String, Value>) {
        match evtx_root(m) {
            Some(root) => self.evtx(root),
            None => self.object(m, "", 0),
        }
    }

    /// Flattens an object under `prefix` (dotted).
    fn object(&mut self, m: &'a Map<String, Value>, prefix: &str, depth: usize) {
        if depth > MAX_FLATTEN_DEPTH {
            return;
        }
        for (k, v) in m {
            if k != "#attributes" {
                self.key(k, v, prefix, depth);
            }
        }
    }

    /// One key of an object: event-data containers spill their children by name, other
    /// keys keep their dotted path and get their alias from [`ALIASES`].
    fn key(&mut self, k: &'a str, v: &'a Value, prefix: &str, depth: usize) {
        let path: Cow<'a, str> = if prefix.is_empty() {
            Cow::Borrowed(k)
        } else {
            Cow::Owned(format!("{prefix}.{k}"))
        };
        self.tmp.clear();
        push_lower(&mut self.tmp, &path);
        if let (Some(pascal), Value::Object(inner)) = (container(&self.tmp), v) {
            let wrapper = wrapper(inner);
            for (ik, iv) in inner {
                let name = if pascal {
                    Cow::Owned(pascal_case(ik))
                } else {
                    Cow::Borrowed(ik.as_str())
                };
                if wrapper != Some(ik.as_str()) {
                    self.value(name, iv, depth + 1);
                    continue;
                }
                // The element wrapping the fields (the EVTX `UserData` element,
                // `{"LogFileCleared": {"SubjectUserName": ..}}`): its fields keep their
                // dotted names (`LogFileCleared.SubjectUserName`) and also answer to their
                // own, as in `Builder::evtx`.
                let first = self.entries.len();
                self.value(name.clone(), iv, depth + 1);
                self.wrappers += 1;
                for i in first..self.entries.len() {
                    if self.unwrapped.len() >= MAX_UNWRAPPED {
                        break;
                    }
                    let e = &self.entries[i];
                    if let Some(bare) = e
                        .name
                        .strip_prefix(name.as_ref())
                        .and_then(|n| n.strip_prefix('.'))
                        .filter(|n| !n.is_empty())
                    {
                        let item = (self.wrappers, Cow::Owned(bare.to_owned()), e.val);
                        self.unwrapped.push(item);
                    }
                }
            }
            return;
        }
        let alias = if v.is_object() {
            None
        } else {
            ALIAS_MAP.get(self.tmp.as_str()).copied()
        };
        self.value(path, v, depth + 1);
        if let Some((target, fallback)) = alias {
            if fallback {
                if let Value::String(s) = v {
                    self.fallback(Cow::Borrowed(target), Scalar::Str(s));
                }
            } else {
                self.value(Cow::Borrowed(target), v, depth + 1);
            }
        }
    }

    /// Adds a value under `name`; objects flatten under it, arrays add every element.
    fn value(&mut self, name: Cow<'a, str>, v: &'a Value, depth: usize) {
        match v {
            Value::Object(m) => match m.get("#text") {
                Some(t) => self.scalar(name, t),
                None => self.object(m, &name, depth),
            },
            Value::Array(items) => {
                if depth > MAX_FLATTEN_DEPTH {
                    return;
                }
                for item in items {
                    self.value(name.clone(), item, depth + 1);
                }
            }
            scalar => self.scalar(name, scalar),
        }
    }

    /// An EVTX-JSON `Event` object.
    fn evtx(&mut self, root: &'a Map<String, Value>) {
        if let Some(Value::Object(sys)) = root.get("System") {
            for (k, v) in sys {
                let attrs = v.get("#attributes").and_then(Value::as_object);
                match (k.as_str(), attrs) {
                    ("Provider", Some(a)) => {
                        for (ak, av) in a {
                            self.scalar(Cow::Owned(format!("Provider_{ak}")), av);
                        }
                    }
                    ("TimeCreated", Some(a)) => {
                        if let Some(t) = a.get("SystemTime") {
                            self.scalar(Cow::Borrowed("TimeCreated"), t);
                        }
                    }
                    ("Security", Some(a)) => {
                        if let Some(t) = a.get("UserID") {
                            self.scalar(Cow::Borrowed("UserID"), t);
                        }
                    }
                    (_, Some(a)) if v.get("#text").is_none() => {
                        for (ak, av) in a {
                            self.scalar(Cow::Owned(format!("{k}{ak}")), av);
                        }
                    }
                    _ => self.value(Cow::Borrowed(k.as_str()), v, 1),
                }
            }
        }
        if let Some(Value::Object(data)) = root.get("EventData") {
            self.event_data(data);
        }
        if let Some(Value::Object(user)) = root.get("UserData") {
            for (k, inner) in user {
                match inner {
                    Value::Object(fields) => self.object(fields, "", 1),
                    other if k != "#attributes" => self.value(Cow::Borrowed(k.as_str()), other, 1),
                    _ => {}
                }
            }
        }
    }

    fn event_data(&mut self, m: &'a Map<String, Value>) {
        for (k, v) in m {
            if k == "#attributes" {
                continue;
            }
            // `Data: [{"#attributes": {"Name": ..}, "#text": ..}, ..]` renderings.
            if k == "Data"
                && let Value::Array(items) = v
            {
                for item in items {
                    match item
                        .get("#attributes")
                        .and_then(|a| a.get("Name"))
                        .and_then(Value::as_str)
                    {
                        Some(name) => {
                            if let Some(t) = item.get("#text") {
                                self.scalar(Cow::Borrowed(name), t);
                            }
                        }
                        None => self.value(Cow::Borrowed("Data"), item, 2),
                    }
                }
                continue;
            }
            self.value(Cow::Borrowed(k.as_str()), v, 1);
        }
    }

    /// Whether a field with this lower-case name exists.
    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| slice(&self.keys, e.key) == key)
    }

    /// Which of these lower-case names no field has yet (one pass over the fields,
    /// whatever the number of names).
    fn absent<'n>(&self, names: &'n [String]) -> HashSet<&'n str> {
        let mut absent: HashSet<&str> = names.iter().map(String::as_str).collect();
        if !absent.is_empty() {
            for e in &self.entries {
                absent.remove(slice(&self.keys, e.key));
            }
        }
        absent
    }

    fn finish(mut self) -> Event {
        let hint = self.hint.take();
        // Unwrapped fields first, all values of a name together (a list keeps every
        // element), never beside a field of the same name, and from one wrapper only.
        let unwrapped = std::mem::take(&mut self.unwrapped);
        let names: Vec<String> = unwrapped.iter().map(|(_, n, _)| lower(n)).collect();
        let absent = self.absent(&names);
        let mut owner: HashMap<&str, u32> = HashMap::new();
        for ((wrapper, name, val), key) in unwrapped.into_iter().zip(&names) {
            if absent.contains(key.as_str()) && *owner.entry(key).or_insert(wrapper) == wrapper {
                self.push(name, val);
            }
        }
        for (src, target) in DATA_ALIASES {
            if let Some(e) = self
                .entries
                .iter()
                .find(|e| slice(&self.keys, e.key) == *src)
            {
                self.fallbacks.push((Cow::Borrowed(target), e.val));
            }
        }
        // A process-access event in a flat EDR shape names the acting process like a
        // process creation (`process_path` → `Image`); Sigma calls it `SourceImage`.
        if self.has("targetimage")
            && !self.has("sourceimage")
            && let Some(e) = self.entries.iter().find(|e| e.name == "Image")
        {
            self.fallbacks.push((Cow::Borrowed("SourceImage"), e.val));
        }
        // `Source Name` (Defender's event data) also answers to `SourceName`.
        for e in &self.entries {
            if e.name.contains(' ') {
                self.fallbacks
                    .push((Cow::Owned(e.name.replace(' ', "")), e.val));
            }
        }
        // Each fallback name once, when no field has it.
        let fallbacks = std::mem::take(&mut self.fallbacks);
        let names: Vec<String> = fallbacks.iter().map(|(n, _)| lower(n)).collect();
        let mut absent = self.absent(&names);
        for ((name, val), key) in fallbacks.into_iter().zip(&names) {
            if absent.remove(key.as_str()) {
                self.push(name, val);
            }
        }
        let keys = &self.keys;
        self.entries
            .sort_by(|a, b| slice(keys, a.key).cmp(slice(keys, b.key)));

        let mut ev = Event {
            fields: Vec::with_capacity(self.entries.len()),
            names: String::with_capacity(self.keys.len() * 2),
            vals: Vec::with_capacity(self.entries.len()),
            text: String::new(),
            lower: String::new(),
            logsource: LogSource::default(),
            exact: false,
        };
        let total: usize = self
            .entries
            .iter()
            .map(|e| match e.val {
                Scalar::Str(s) => s.len() + 1,
                _ => 24,
            })
            .sum();
        ev.text.reserve(total);
        ev.lower.reserve(total);
        let pos = |s: &String| u32::try_from(s.len()).unwrap_or(u32::MAX);
        let mut i = 0;
        while i < self.entries.len() {
            let start = ev.vals.len();
            let key = slice(&self.keys, self.entries[i].key);
            let end = i + self.entries[i..]
                .iter()
                .take_while(|e| slice(&self.keys, e.key) == key)
                .count();
            // A long list is told apart from its repeats through a set, so that a list of
            // many distinct values costs linear time, a short one by comparison.
            let mut seen: Option<HashSet<(bool, String)>> =
                (end - i > LINEAR_DEDUP).then(HashSet::new);
            let mut j = i;
            while j < end {
                let o0 = pos(&ev.text);
                let null = matches!(self.entries[j].val, Scalar::Null);
                match self.entries[j].val {
                    Scalar::Str(s) => ev.text.push_str(s),
                    Scalar::Num(n) => {
                        write!(ev.text, "{n}").unwrap_or_default();
                    }
                    Scalar::Bool(b) => ev.text.push_str(if b { "true" } else { "false" }),
                    Scalar::Null => {}
                }
                let o1 = pos(&ev.text);
                let new = slice(&ev.text, (o0, o1));
                let dup = match &mut seen {
                    Some(seen) => !seen.insert((null, new.to_owned())),
                    None => ev.vals[start..]
                        .iter()
                        .any(|v| v.null == null && slice(&ev.text, v.o) == new),
                };
                if dup {
                    ev.text.truncate(o0 as usize);
                } else {
                    let l0 = pos(&ev.lower);
                    if new.is_ascii() {
                        ev.lower.push_str(new);
                        ev.lower[l0 as usize..].make_ascii_lowercase();
                    } else {
                        let lowered = new.to_lowercase();
                        ev.lower.push_str(&lowered);
                    }
                    let l1 = pos(&ev.lower);
                    ev.text.push('\0');
                    ev.lower.push('\0');
                    ev.vals.push(Val {
                        o: (o0, o1),
                        l: (l0, l1),
                        null,
                    });
                }
                j += 1;
            }
            let n0 = pos(&ev.names);
            ev.names.push_str(&self.entries[i].name);
            let n1 = pos(&ev.names);
            ev.names.push_str(slice(&self.keys, self.entries[i].key));
            let k1 = pos(&ev.names);
            ev.fields.push(FieldEntry {
                name: (n0, n1),
                key: (n1, k1),
                start: u32::try_from(start).unwrap_or(u32::MAX),
                end: u32::try_from(ev.vals.len()).unwrap_or(u32::MAX),
            });
            i = j;
        }
        let (ls, exact) = logsource::infer(&ev, hint.as_ref());
        ev.logsource = ls;
        ev.exact = exact;
        ev
    }
}

/// `commandLine` → `CommandLine`.
fn pascal_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Reads every JSON value of a text holding one or more concatenated JSON documents
/// (the regression samples' layout).
///
/// # Errors
///
/// serde_json's message for the first malformed document.
pub(crate) fn json_stream(text: &str) -> Result<Vec<Value>, String> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}
