//! Linux process records mapped onto Sigma's process fields.
//!
//! - auditd, as objects (`{"type": "EXECVE", "argc": "3", "a0": ..}`, go-audit's numeric
//!   types with a `data` text, Laurel's `{"SYSCALL": {..}, "EXECVE": {"ARGV": [..]}}`) or
//!   as audit.log text (`type=EXECVE msg=audit(..): argc=3 a0="bash" a1=2D63`): `Image`
//!   from the `SYSCALL` record's `exe`, `CommandLine` from the `EXECVE` arguments joined
//!   with spaces (hex-encoded arguments decoded, long arguments' `aN[i]` pieces joined;
//!   `PROCTITLE` or sudo's `USER_CMD` `cmd` when there is no `EXECVE`), `ParentImage` from
//!   a parent record (`PARENT`/`PARENT_INFO` `exe`, `pexe`), `User` from the `UID` name
//!   (`uid` 0 is `root`, other ids stay numbers), `CurrentDirectory` from `CWD`,
//!   `Computer` from `node`, `ProcessId`/`ParentProcessId`, `TargetFilename` from the
//!   `PATH` records of a non-exec syscall; every record field also under its own name
//!   (`type`, `a0`, `exe`, `key`, ...). Records group into executions by the audit serial (`msg=audit(t:N)`);
//!   without one, a new execution starts where a record type repeats.
//! - Falco (`output_fields`): `proc.exepath`/`proc.exe`/`proc.name` → `Image`,
//!   `proc.cmdline` → `CommandLine`, `proc.pexepath`/`proc.pexe`/`proc.pname` →
//!   `ParentImage`, `proc.pcmdline` → `ParentCommandLine`, `user.name` → `User`,
//!   `fd.name` (a path) → `TargetFilename`, `proc.cwd` → `CurrentDirectory`.
//! - sudo's log line (`deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ;
//!   COMMAND=/bin/bash`, in syslog text or journald's `MESSAGE`): `CommandLine` the
//!   command, `Image` its program, `User` the account it runs as (sudo's `USER`, as
//!   Sigma's sudo rules read it), `SudoUser` the account that ran sudo,
//!   `CurrentDirectory` the `PWD`, `SudoReason` a refusal (`user NOT in sudoers`).
//! - ECS `process.args` joined as `CommandLine` when there is no command line.
//!
//! Every derived field is added only when the event has no field of that name.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::LogSource;

/// Most derived `(name, value)` pairs per event.
const MAX_DERIVED: usize = 512;
/// Most auditd records read per alert.
const MAX_RECORDS: usize = 1024;
/// Most events one record list is split into.
const MAX_GROUPS: usize = 64;
/// Longest command line assembled from arguments (bytes).
const MAX_CMDLINE: usize = 64 * 1024;

/// Fields derived from a Linux record and the log source its shape names.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    pub(crate) pairs: Vec<(Cow<'static, str>, String)>,
    pub(crate) hint: Option<LogSource>,
}

impl Derived {
    fn add(&mut self, name: &'static str, v: &str) {
        self.add_name(Cow::Borrowed(name), v);
    }

    fn add_name(&mut self, name: Cow<'static, str>, v: &str) {
        let v = v.trim();
        if !v.is_empty() && self.pairs.len() < MAX_DERIVED {
            self.pairs.push((name, v.to_owned()));
        }
    }

    fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    fn merge(&mut self, other: Derived) {
        if self.hint.is_none() {
            self.hint = other.hint;
        }
        for (n, v) in other.pairs {
            if self.pairs.len() < MAX_DERIVED {
                self.pairs.push((n, v));
            }
        }
    }
}

fn hint(category: Option<&str>, service: Option<&str>) -> Option<LogSource> {
    Some(LogSource {
        product: Some("linux".into()),
        category: category.map(str::to_owned),
        service: service.map(str::to_owned),
    })
}

/// A record list split into executions (auditd) or lines (sudo).
pub(crate) struct Split<'v> {
    /// The `raw_log` key holding the list.
    pub(crate) key: &'v str,
    /// One entry per event.
    pub(crate) groups: Vec<Group<'v>>,
}

/// One event of a split list: its list elements and what they say.
pub(crate) struct Group<'v> {
    pub(crate) items: Vec<&'v Value>,
    pub(crate) derived: Derived,
}

/// The Linux view of one object (an alert's `raw_log`, one of its `events`).
pub(crate) fn derive(obj: &Map<String, Value>) -> Derived {
    let mut d = Derived::default();
    let mut records = Vec::new();
    object_records(obj, &mut records, 0);
    for text in texts(obj) {
        audit_text(text, &mut records);
    }
    if !records.is_empty() {
        d.merge(assemble(&records));
        add_node(&mut d, obj);
    }
    if let Some(f) = falco_fields(obj) {
        d.merge(falco(f));
    }
    if records.is_empty()
        && let Some(s) = texts(obj).find_map(sudo)
    {
        d.merge(s);
    }
    if !d.has("CommandLine")
        && let Some(Value::Array(args)) = obj.get("process").and_then(|p| p.get("args"))
    {
        let args: Vec<&str> = args.iter().filter_map(Value::as_str).collect();
        if !args.is_empty() {
            d.add("CommandLine", &args.join(" "));
        }
    }
    d
}

/// Splits a `raw_log` list of auditd records holding several executions, or of sudo
/// lines, into events.
pub(crate) fn split(raw: &Map<String, Value>) -> Option<Split<'_>> {
    for (key, v) in raw {
        let Value::Array(items) = v else { continue };
        // auditd records, each with the index of its element.
        let mut records: Vec<(usize, Record)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut found = Vec::new();
            match item {
                Value::String(s) => audit_text(s, &mut found),
                Value::Object(o) => {
                    if let Some(r) = record_from_object(o, None) {
                        found.push(r);
                    } else {
                        for t in texts(o) {
                            audit_text(t, &mut found);
                        }
                    }
                }
                _ => {}
            }
            records.extend(found.into_iter().map(|r| (i, r)));
            if records.len() >= MAX_RECORDS {
                break;
            }
        }
        if records
            .iter()
            .any(|(_, r)| is_exec_kind(&r.kind) || r.kind == "SYSCALL")
        {
            let groups = group(records);
            let mut out: Vec<Group<'_>> = Vec::new();
            let mut placed = vec![false; items.len()];
            for g in &groups {
                let mut idx: Vec<usize> = g.iter().map(|(i, _)| *i).collect();
                idx.dedup();
                for &i in &idx {
                    placed[i] = true;
                }
                let recs: Vec<Record> = g.iter().map(|(_, r)| r.clone()).collect();
                let mut derived = assemble(&recs);
                add_node(&mut derived, raw);
                out.push(Group {
                    items: idx.iter().map(|&i| &items[i]).collect(),
                    derived,
                });
            }
            // Elements that are no record (a note, a summary) go with every event.
            for (i, item) in items.iter().enumerate() {
                if !placed[i] {
                    for g in &mut out {
                        g.items.push(item);
                    }
                }
            }
            return Some(Split {
                key: key.as_str(),
                groups: out,
            });
        }
        // sudo lines: one event per element.
        let lines: Vec<Option<Derived>> = items
            .iter()
            .take(MAX_GROUPS)
            .map(|item| match item {
                Value::String(s) => sudo(s),
                Value::Object(o) => texts(o).find_map(sudo),
                _ => None,
            })
            .collect();
        if lines.iter().any(Option::is_some) {
            let groups = items
                .iter()
                .zip(lines)
                .map(|(item, d)| Group {
                    items: vec![item],
                    derived: d.unwrap_or_default(),
                })
                .collect();
            return Some(Split {
                key: key.as_str(),
                groups,
            });
        }
    }
    None
}

/// The log-line texts of an object: its message-like string fields (or lists of
/// strings).
fn texts(obj: &Map<String, Value>) -> impl Iterator<Item = &str> {
    const KEYS: &[&str] = &[
        "message",
        "msg",
        "log",
        "full_log",
        "_raw",
        "raw",
        "line",
        "raw_message",
        "syslog_message",
        "original",
        "data",
    ];
    let event_original = obj.get("event").and_then(|e| e.get("original")).into_iter();
    obj.iter()
        .filter(|(k, _)| KEYS.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v)
        .chain(event_original)
        .flat_map(|v| match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).take(256).collect(),
            _ => Vec::new(),
        })
}

// ---- auditd ------------------------------------------------------------------

/// One auditd record: its type (upper case), audit serial and fields (values decoded).
#[derive(Debug, Clone, Default)]
struct Record {
    kind: String,
    serial: Option<String>,
    fields: Vec<(String, String)>,
}

impl Record {
    fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// auditd record types this view reads; numeric types (go-audit) by their name.
const AUDIT_TYPES: &[(&str, u32)] = &[
    ("SYSCALL", 1300),
    ("PATH", 1302),
    ("SOCKADDR", 1306),
    ("CWD", 1307),
    ("EXECVE", 1309),
    ("PROCTITLE", 1327),
    ("USER_CMD", 1123),
    ("PARENT", 0),
    ("PARENT_INFO", 0),
];

fn audit_kind(v: &Value) -> Option<String> {
    let kind = match v {
        Value::String(s) => {
            let s = s.trim();
            match s.parse::<u32>() {
                Ok(n) => return kind_of_number(n),
                Err(_) => s.to_ascii_uppercase(),
            }
        }
        Value::Number(n) => return kind_of_number(u32::try_from(n.as_u64()?).ok()?),
        _ => return None,
    };
    AUDIT_TYPES.iter().any(|(k, _)| *k == kind).then_some(kind)
}

fn kind_of_number(n: u32) -> Option<String> {
    AUDIT_TYPES
        .iter()
        .find(|(_, id)| *id == n && n != 0)
        .map(|(k, _)| (*k).to_owned())
}

fn is_exec_kind(kind: &str) -> bool {
    matches!(kind, "EXECVE" | "USER_CMD")
}

/// The serial of an audit id (`audit(1778850147.221:90211)` → `90211`).
fn serial(msg: &str) -> Option<String> {
    let inner = msg.split("audit(").nth(1)?;
    let (_, rest) = inner.split_once(':')?;
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!n.is_empty()).then_some(n)
}

/// A record from an object with an auditd `type` (or of `kind`, Laurel's keys).
fn record_from_object(o: &Map<String, Value>, kind: Option<&str>) -> Option<Record> {
    let kind = match kind {
        Some(k) => k.to_owned(),
        None => o
            .iter()
            .find(|(k, _)| {
                ["type", "record_type", "audit_type"]
                    .iter()
                    .any(|n| k.eq_ignore_ascii_case(n))
            })
            .and_then(|(_, v)| audit_kind(v))?,
    };
    let mut r = Record {
        kind,
        ..Record::default()
    };
    for (k, v) in o {
        match v {
            Value::String(s) => {
                if k == "data" && s.contains('=') {
                    // go-audit: the record's text after the header.
                    for (tk, tv, quoted) in tokens(s) {
                        push_field(&mut r, &tk, &tv, Some(quoted));
                    }
                } else {
                    push_field(&mut r, k, s, None);
                }
            }
            Value::Number(n) => push_field(&mut r, k, &n.to_string(), Some(true)),
            Value::Array(items) => {
                for s in items.iter().filter_map(Value::as_str).take(4096) {
                    push_field(&mut r, k, s, None);
                }
            }
            Value::Object(inner) => {
                for (ik, iv) in inner {
                    let text = match iv {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => continue,
                    };
                    push_field(&mut r, &format!("{k}.{ik}"), &text, None);
                }
            }
            _ => {}
        }
    }
    if r.serial.is_none() {
        r.serial = r.get("msg").and_then(serial);
    }
    Some(r)
}

/// Adds a field, its value unquoted and decoded. `quoted`: whether the audit text
/// quoted it (`None`: unknown, an object's value).
fn push_field(r: &mut Record, k: &str, v: &str, quoted: Option<bool>) {
    if r.fields.len() >= 4096 {
        return;
    }
    let v = decode(k, v, quoted);
    if k == "msg" {
        r.serial = r.serial.take().or_else(|| serial(&v));
    }
    r.fields.push((k.to_owned(), v));
}

/// Fields auditd hex-encodes when their value holds a space, a quote, a control
/// character or a byte above 0x7e.
fn encodable(k: &str) -> bool {
    let base = k.rsplit('.').next().unwrap_or(k);
    let base = base.split('[').next().unwrap_or(base);
    matches!(
        base,
        "proctitle" | "exe" | "cwd" | "name" | "comm" | "cmd" | "path" | "ARGV" | "argv"
    ) || (base.len() > 1 && base.starts_with('a') && base[1..].bytes().all(|b| b.is_ascii_digit()))
}

fn decode(k: &str, v: &str, quoted: Option<bool>) -> String {
    let t = v.trim();
    if let Some(inner) = t
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .filter(|_| t.len() >= 2)
    {
        return inner.to_owned();
    }
    if quoted == Some(true) || !encodable(k) {
        return t.to_owned();
    }
    match unhex(t) {
        // The audit text left it unquoted: it is encoded.
        Some(s) if quoted == Some(false) => s,
        // An object's value: encoded only when auditd would have had to encode it.
        Some(s)
            if s.chars()
                .any(|c| c == ' ' || c == '"' || c == '\t' || c == '\n' || !c.is_ascii()) =>
        {
            s
        }
        _ => t.to_owned(),
    }
}

/// Hex text → the string it encodes (NUL separators, as in `proctitle`, become
/// spaces); `None` when it is no hex or decodes to no clean text.
fn unhex(t: &str) -> Option<String> {
    if t.len() < 2 || !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> = (0..t.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
        .collect();
    let s = String::from_utf8(bytes).ok()?;
    let s = s.trim_end_matches('\0').replace('\0', " ");
    s.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .then_some(s)
}

/// `key=value` tokens of an audit text: `(key, value, quoted)`. A single-quoted
/// value (`msg='op=... cmd=...'`) gives its own tokens.
fn tokens(s: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    let sep = |c: u8| c.is_ascii_whitespace() || c == 0x1d;
    while i < b.len() && out.len() < 4096 {
        while i < b.len() && sep(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && !sep(b[i]) && b[i] != b'=' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        let key = s[start..i].to_owned();
        i += 1;
        match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = s[i + 1..].find(q as char).map_or(b.len(), |e| i + 1 + e);
                let val = &s[i + 1..end];
                if q == b'\'' && val.contains('=') {
                    out.extend(tokens(val));
                } else {
                    out.push((key, val.to_owned(), true));
                }
                i = (end + 1).min(b.len());
            }
            _ => {
                let vs = i;
                while i < b.len() && !sep(b[i]) {
                    i += 1;
                }
                out.push((key, s[vs..i].trim_end_matches(':').to_owned(), false));
            }
        }
    }
    out
}

/// Records of an audit.log text (one or more `type=X msg=audit(..): ..` records).
fn audit_text(text: &str, out: &mut Vec<Record>) {
    if !text.contains("msg=audit(") || !text.contains("type=") {
        return;
    }
    let mut current: Option<Record> = None;
    for (k, v, quoted) in tokens(text) {
        if out.len() >= MAX_RECORDS {
            break;
        }
        if k == "type" && !quoted {
            if let Some(r) = current.take() {
                out.push(r);
            }
            current = audit_kind(&Value::String(v)).map(|kind| Record {
                kind,
                ..Record::default()
            });
            continue;
        }
        if let Some(r) = current.as_mut() {
            push_field(r, &k, &v, Some(quoted));
        }
    }
    if let Some(r) = current {
        out.push(r);
    }
}

/// auditd records of an object: itself when typed, Laurel's record keys, and the
/// record-like objects of Wazuh (`data.audit`) and Auditbeat (`auditd.data`).
fn object_records(obj: &Map<String, Value>, out: &mut Vec<Record>, depth: usize) {
    if let Some(r) = record_from_object(obj, None) {
        out.push(r);
        return;
    }
    for (k, v) in obj {
        let upper = k.to_ascii_uppercase();
        let laurel = AUDIT_TYPES.iter().any(|(t, _)| *t == upper);
        match v {
            Value::Object(o) if laurel => {
                out.extend(record_from_object(o, Some(&upper)));
            }
            Value::Array(items) if laurel => {
                for o in items.iter().filter_map(Value::as_object).take(64) {
                    out.extend(record_from_object(o, Some(&upper)));
                }
            }
            Value::Object(o) if depth < 2 && matches!(k.as_str(), "audit" | "auditd" | "data") => {
                if o.contains_key("exe") || o.contains_key("a0") || o.contains_key("execve") {
                    let mut r = Record {
                        kind: "AUDIT".into(),
                        ..Record::default()
                    };
                    for (ik, iv) in o {
                        match iv {
                            Value::String(s) => push_field(&mut r, ik, s, None),
                            Value::Number(n) => {
                                push_field(&mut r, ik, &n.to_string(), Some(true));
                            }
                            Value::Object(inner) => {
                                for (k2, v2) in inner {
                                    if let Some(s) = v2.as_str() {
                                        push_field(&mut r, k2, s, None);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(r);
                } else {
                    object_records(o, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// One execution's records, each with the index of the list element it came from.
type Execution = Vec<(usize, Record)>;

/// Groups records into executions: by audit serial; a record without one (or the
/// first of a serial) joins the execution before unless its type is already there
/// (`PATH` records repeat within one) or that execution has another serial.
fn group(records: Vec<(usize, Record)>) -> Vec<Execution> {
    let mut groups: Vec<(Option<String>, Execution)> = Vec::new();
    for (i, r) in records {
        let fits = |(k, g): &(Option<String>, Execution)| {
            (k.is_none() || r.serial.is_none())
                && (r.kind == "PATH" || !g.iter().any(|(_, x)| x.kind == r.kind))
        };
        let pos = r
            .serial
            .as_ref()
            .and_then(|s| groups.iter().position(|(k, _)| k.as_ref() == Some(s)))
            .or_else(|| groups.last().filter(|g| fits(g)).map(|_| groups.len() - 1));
        if let (Some(p), Some(s)) = (pos, &r.serial) {
            groups[p].0.get_or_insert_with(|| s.clone());
        }
        match pos {
            Some(p) => groups[p].1.push((i, r)),
            None if groups.len() >= MAX_GROUPS => {
                if let Some(last) = groups.last_mut() {
                    last.1.push((i, r));
                }
            }
            None => groups.push((r.serial.clone(), vec![(i, r)])),
        }
    }
    // An execution's records only: a group without SYSCALL/EXECVE joins the one
    // before (a CWD or PATH record shipped apart).
    let mut out: Vec<Execution> = Vec::new();
    for (_, g) in groups {
        let main = g
            .iter()
            .any(|(_, r)| r.kind == "SYSCALL" || is_exec_kind(&r.kind));
        match out.last_mut() {
            Some(prev) if !main => prev.extend(g),
            _ => out.push(g),
        }
    }
    out
}

/// auditd's `node` (the host that logged, with `name_format`) as `Computer`.
fn add_node(d: &mut Derived, obj: &Map<String, Value>) {
    if let Some(n) = obj.get("node").and_then(Value::as_str) {
        d.add("Computer", n);
    }
}

/// The first value of `key` among records of `kinds` (all records when empty).
fn field<'r>(records: &'r [Record], kinds: &[&str], key: &str) -> Option<&'r str> {
    records
        .iter()
        .filter(|r| kinds.is_empty() || kinds.contains(&r.kind.as_str()))
        .find_map(|r| r.get(key))
        .filter(|v| !v.is_empty() && *v != "(null)")
}

const PARENT_KINDS: &[&str] = &["PARENT", "PARENT_INFO"];

/// The Sigma view of one execution's records.
fn assemble(records: &[Record]) -> Derived {
    let mut d = Derived::default();
    let own: Vec<&Record> = records
        .iter()
        .filter(|r| !PARENT_KINDS.contains(&r.kind.as_str()))
        .collect();
    let own_kinds = [
        "SYSCALL",
        "EXECVE",
        "AUDIT",
        "USER_CMD",
        "CWD",
        "PATH",
        "PROCTITLE",
    ];
    // Arguments: aN (and aN[i] pieces), or Laurel's ARGV.
    let mut cmdline = String::new();
    if let Some(r) = own.iter().find(|r| r.kind == "EXECVE" || r.kind == "AUDIT") {
        let argc = r
            .get("argc")
            .and_then(|a| a.trim().parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        let mut args: Vec<(usize, usize, &str)> = r
            .fields
            .iter()
            .filter_map(|(k, v)| {
                let base = k.rsplit('.').next().unwrap_or(k);
                let rest = base.strip_prefix('a')?;
                let (n, piece) = match rest.split_once('[') {
                    Some((n, p)) => (n, p.strip_suffix(']')?.parse::<usize>().ok()?),
                    None => (rest, 0),
                };
                let n = n.parse::<usize>().ok()?;
                (n < argc).then_some((n, piece, v.as_str()))
            })
            .collect();
        args.sort_by_key(|(n, p, _)| (*n, *p));
        let mut last = None;
        for (n, _, v) in &args {
            if cmdline.len() > MAX_CMDLINE {
                break;
            }
            if last.is_some() && last != Some(*n) {
                cmdline.push(' ');
            }
            cmdline.push_str(v);
            last = Some(*n);
        }
        if cmdline.is_empty() {
            let argv: Vec<&str> = r
                .fields
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("argv"))
                .map(|(_, v)| v.as_str())
                .collect();
            cmdline = argv.join(" ");
        }
    }
    let user_cmd = field(records, &["USER_CMD"], "cmd");
    if cmdline.is_empty() {
        cmdline = user_cmd
            .or_else(|| field(records, &["PROCTITLE"], "proctitle"))
            .map(str::to_owned)
            .or_else(|| {
                let argv: Vec<&str> = records
                    .iter()
                    .filter(|r| r.kind == "PROCTITLE")
                    .flat_map(|r| r.fields.iter())
                    .filter(|(k, _)| k.eq_ignore_ascii_case("argv"))
                    .map(|(_, v)| v.as_str())
                    .collect();
                (!argv.is_empty()).then(|| argv.join(" "))
            })
            .unwrap_or_default();
    }
    let syscall = field(records, &["SYSCALL", "AUDIT"], "syscall")
        .or_else(|| field(records, &["SYSCALL"], "SYSCALL"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let exec = records.iter().any(|r| is_exec_kind(&r.kind))
        || matches!(syscall.as_str(), "execve" | "execveat" | "59" | "322");
    // The program: the command sudo ran (USER_CMD), or the exe of the syscall.
    let exe = field(records, &own_kinds, "exe");
    let image = match user_cmd {
        Some(cmd) => cmd.split_whitespace().next().map(str::to_owned),
        None => exe
            .map(str::to_owned)
            .or_else(|| cmdline.split_whitespace().next().map(str::to_owned))
            .or_else(|| field(records, &own_kinds, "comm").map(str::to_owned)),
    };
    if let Some(i) = &image {
        d.add("Image", i);
    }
    if !cmdline.is_empty() {
        d.add("CommandLine", &cmdline);
    }
    let parent = if user_cmd.is_some() {
        exe
    } else {
        field(records, PARENT_KINDS, "exe")
            .or_else(|| field(records, &[], "pexe"))
            .or_else(|| field(records, &[], "parent_exe"))
            .or_else(|| field(records, &[], "PPID.exe"))
            .or_else(|| field(records, &[], "ppid.exe"))
            .or_else(|| field(records, PARENT_KINDS, "comm"))
            .or_else(|| field(records, &[], "pcomm"))
    };
    if let Some(p) = parent {
        d.add("ParentImage", p);
    }
    let user = field(records, &own_kinds, "UID")
        .filter(|u| !u.bytes().all(|b| b.is_ascii_digit()))
        .or_else(|| field(records, &own_kinds, "uid").map(|u| if u == "0" { "root" } else { u }));
    if let Some(u) = user {
        d.add("User", u);
    }
    if let Some(c) = field(records, &["CWD", "USER_CMD", "AUDIT"], "cwd") {
        d.add("CurrentDirectory", c);
    }
    if let Some(p) = field(records, &["SYSCALL", "AUDIT", "USER_CMD"], "pid") {
        d.add("ProcessId", p);
    }
    if let Some(p) = field(records, &["SYSCALL", "AUDIT"], "ppid") {
        d.add("ParentProcessId", p);
    }
    if !exec {
        for r in records.iter().filter(|r| r.kind == "PATH") {
            if let Some(n) = r.get("name")
                && r.get("nametype") != Some("PARENT")
                && n.starts_with('/')
            {
                d.add("TargetFilename", n);
            }
        }
        if let Some(n) = field(records, &["AUDIT"], "file.name") {
            d.add("TargetFilename", n);
        }
    }
    // Each record's fields under their own names, for rules written on auditd's.
    for r in records {
        d.add("type", &r.kind);
        for (k, v) in &r.fields {
            if !k.contains('.') && k != "type" {
                d.add_name(Cow::Owned(k.clone()), v);
            }
        }
    }
    let category = exec.then_some("process_creation");
    d.hint = hint(category, Some("auditd"));
    d
}

// ---- Falco ---------------------------------------------------------------------

/// Falco's output fields: `output_fields` (at the top or under `falco`), or the
/// object itself when it has `proc.*` keys.
fn falco_fields(obj: &Map<String, Value>) -> Option<&Map<String, Value>> {
    if let Some(Value::Object(f)) = obj
        .get("output_fields")
        .or_else(|| obj.get("falco").and_then(|f| f.get("output_fields")))
    {
        return Some(f);
    }
    obj.keys()
        .any(|k| k.starts_with("proc.") && k != "proc.aname")
        .then_some(obj)
}

fn falco(f: &Map<String, Value>) -> Derived {
    let s = |k: &str| -> Option<String> {
        let v = f.get(k).or_else(|| {
            let (a, b) = k.split_once('.')?;
            f.get(a)?.get(b)
        })?;
        match v {
            Value::String(s) if !s.trim().is_empty() && s != "<NA>" => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let path = |k: &str| s(k).filter(|v| v.starts_with('/'));
    let mut d = Derived::default();
    if let Some(i) = path("proc.exepath")
        .or_else(|| path("proc.exe"))
        .or_else(|| s("proc.name"))
        .or_else(|| s("proc.exe"))
    {
        d.add("Image", &i);
    }
    let cmd = s("proc.cmdline").or_else(|| {
        let name = s("proc.name")?;
        Some(match s("proc.args") {
            Some(a) => format!("{name} {a}"),
            None => name,
        })
    });
    if let Some(c) = cmd {
        d.add("CommandLine", &c);
    }
    if let Some(p) = path("proc.pexepath")
        .or_else(|| path("proc.pexe"))
        .or_else(|| s("proc.pname"))
        .or_else(|| s("proc.pexe"))
    {
        d.add("ParentImage", &p);
    }
    if let Some(p) = s("proc.pcmdline") {
        d.add("ParentCommandLine", &p);
    }
    if let Some(u) = s("user.name").or_else(|| s("user.uid")) {
        d.add("User", &u);
    }
    if let Some(c) = s("proc.cwd") {
        d.add("CurrentDirectory", &c);
    }
    if let Some(p) = s("proc.pid") {
        d.add("ProcessId", &p);
    }
    if let Some(p) = s("proc.ppid") {
        d.add("ParentProcessId", &p);
    }
    let fd_file = s("fd.type").is_none_or(|t| t == "file" || t == "directory");
    if let Some(n) = path("fd.name").filter(|_| fd_file) {
        d.add("TargetFilename", &n);
    }
    // A spawned process unless the syscall says otherwise (a write, a connect).
    let category = match s("evt.type").as_deref() {
        None | Some("execve" | "execveat") => Some("process_creation"),
        Some(_) => None,
    };
    d.hint = hint(category, None);
    d
}

// ---- sudo ----------------------------------------------------------------------

/// sudo's log line (`user : [reason ; ]TTY=.. ; PWD=.. ; USER=.. ; COMMAND=..`),
/// possibly after a syslog header.
pub(crate) fn sudo(line: &str) -> Option<Derived> {
    let c = line.find("COMMAND=")?;
    let (head, command) = (&line[..c], line[c + "COMMAND=".len()..].trim());
    let colon = head.find(" : ")?;
    let invoker = head[..colon].split_whitespace().last()?;
    if invoker.contains('=') || invoker.ends_with(':') {
        return None;
    }
    let mut reason = None;
    let (mut user, mut pwd, mut tty) = (None, None, false);
    for part in head[colon + 3..].split(';') {
        let part = part.trim();
        match part.split_once('=') {
            Some(("USER", v)) => user = Some(v.trim()),
            Some(("PWD", v)) => pwd = Some(v.trim()),
            Some(("TTY", _)) => tty = true,
            Some((k, _)) if k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {}
            _ if !part.is_empty() && reason.is_none() => reason = Some(part),
            _ => {}
        }
    }
    let user = user?;
    if !tty && pwd.is_none() {
        return None;
    }
    let mut d = Derived::default();
    if let Some(p) = command.split_whitespace().next() {
        d.add("Image", p);
    }
    d.add("CommandLine", command);
    d.add("User", user);
    d.add("SudoUser", invoker);
    if let Some(p) = pwd {
        d.add("CurrentDirectory", p);
    }
    if let Some(r) = reason {
        d.add("SudoReason", r);
    }
    d.hint = hint(Some("process_creation"), Some("sudo"));
    Some(d)
}
