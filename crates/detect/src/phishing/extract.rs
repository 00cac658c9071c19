//! Finding the mail material in an alert, whatever shape the source put it in.
//!
//! A walk over `raw_log` (bounded in depth and in nodes) looks for *mail contexts*: an
//! object under a mail-ish key (`email`, `mail`, `message`, ...) that holds mail fields,
//! or any object holding a field only mail has (`email_sender`, `reply_to`,
//! `authentication_results`, an SPF/DKIM/DMARC verdict, a header block, ...), or
//! `from` with an address beside `to` or `subject`. Inside a context, fields are read by
//! key whatever their case and punctuation (`Reply-To`, `reply_to` and `replyTo` are one
//! key). Header containers (an object of header fields, a list of `{name, value}` pairs,
//! a raw header block) are read with header semantics: there, two `From` fields are two
//! `From` headers.
//!
//! Body text is never parsed as headers: a raw block is read only under a header or
//! raw-message key, and only up to the blank line that ends the headers.

use serde_json::{Map, Value};

use super::headers::parse_date;

/// Most attachments examined.
pub(crate) const MAX_ATTACHMENTS: usize = 25;
/// Most URLs examined per attachment and per kind (embedded links, QR codes).
pub(crate) const MAX_URLS_PER_ATTACHMENT: usize = 25;
/// Most URLs examined in all.
pub(crate) const MAX_URLS_TOTAL: usize = 200;
/// Most archive members examined per attachment.
const MAX_MEMBERS: usize = 25;
const MAX_DEPTH: usize = 24;
const MAX_NODES: usize = 20_000;
/// Longest header block read.
const MAX_BLOCK: usize = 256 * 1024;
/// Longest single field read.
const MAX_FIELD: usize = 8 * 1024;
/// Most entries kept in the small lists (mailboxes, results, hops).
const MAX_LIST: usize = 64;

/// One mailbox: display name and address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mailbox {
    /// Display name (RFC 2047 words decoded), when there is one.
    pub(crate) display: Option<String>,
    /// The address as given (may be empty when only a display name was found).
    pub(crate) address: String,
    /// The address's domain, lower case.
    pub(crate) domain: Option<String>,
}

/// One attachment record, as the gateway wrote it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attachment {
    /// File name as given.
    pub(crate) name: String,
    /// Declared MIME type.
    pub(crate) content_type: Option<String>,
    /// Type the gateway detected from the content.
    pub(crate) detected_type: Option<String>,
    /// Marked encrypted or password-protected.
    pub(crate) encrypted: bool,
    /// Marked as containing macros.
    pub(crate) macros: bool,
    /// Links extracted from the file (first [`MAX_URLS_PER_ATTACHMENT`]).
    pub(crate) urls: Vec<String>,
    /// How many links the record listed.
    pub(crate) urls_total: usize,
    /// QR code payloads (first [`MAX_URLS_PER_ATTACHMENT`]).
    pub(crate) qr: Vec<String>,
    /// How many QR payloads the record listed.
    pub(crate) qr_total: usize,
    /// Archive member names (first [`MAX_MEMBERS`]).
    pub(crate) members: Vec<String>,
}

/// One `Received` hop.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hop {
    /// The `from` host.
    pub(crate) from: Option<String>,
    /// The `by` host.
    pub(crate) by: Option<String>,
    /// The stamp, seconds since the epoch (UTC), when it parsed.
    pub(crate) time: Option<i64>,
}

/// Everything mail-related found in the alert.
#[derive(Debug, Clone, Default)]
pub(crate) struct MailRecord {
    /// Mailboxes of `From` header fields (header containers).
    pub(crate) header_from: Vec<Mailbox>,
    /// Most `From` fields in one header container.
    pub(crate) from_fields_max: usize,
    /// `From` addresses from native fields (`email_sender`, `email.from`, ...).
    pub(crate) native_from: Vec<Mailbox>,
    /// `Sender` mailboxes.
    pub(crate) sender: Vec<Mailbox>,
    /// `Reply-To` mailboxes.
    pub(crate) reply_to: Vec<Mailbox>,
    /// Envelope sender (Return-Path or a native field), as given.
    pub(crate) envelope: Option<String>,
    /// Recipients.
    pub(crate) to: Vec<Mailbox>,
    /// `Authentication-Results` values, in order.
    pub(crate) auth_results: Vec<String>,
    /// `Received-SPF` values.
    pub(crate) received_spf: Vec<String>,
    /// `d=` of `DKIM-Signature` fields.
    pub(crate) dkim_signature_domains: Vec<String>,
    /// Native SPF verdict and the domain it was given for.
    pub(crate) native_spf: Option<(String, Option<String>)>,
    /// Native DKIM verdict and signing domain.
    pub(crate) native_dkim: Option<(String, Option<String>)>,
    /// Native DMARC verdict.
    pub(crate) native_dmarc: Option<String>,
    /// Native composite-authentication verdict.
    pub(crate) native_compauth: Option<String>,
    /// ARC fields seen.
    pub(crate) arc_present: bool,
    /// `Received` hops, as listed (newest first in a well-formed header).
    pub(crate) hops: Vec<Hop>,
    /// Body links (first [`MAX_URLS_TOTAL`]).
    pub(crate) links: Vec<String>,
    /// How many body links were listed.
    pub(crate) links_total: usize,
    /// Attachments (first [`MAX_ATTACHMENTS`]).
    pub(crate) attachments: Vec<Attachment>,
    /// How many attachments were listed.
    pub(crate) attachments_total: usize,
    /// Any mail material at all.
    pub(crate) material: bool,
}

// Key sets, normalised: lower case, without `-`, `_`, `.` and spaces.
#[rustfmt::skip]
const CONTAINERS: &[&str] = &[
    "email", "mail", "message", "emailmessage", "mailmessage", "smtp", "msg", "emaildata",
    "maildata",
];
#[rustfmt::skip]
const FROM: &[&str] = &[
    "from", "emailfrom", "emailsender", "fromaddress", "senderfromaddress", "senderemail",
    "fromemail", "headerfrom", "emailfromaddress", "srcuser",
];
const SENDER: &[&str] = &["sender", "emailsenderaddress"];
#[rustfmt::skip]
const REPLY: &[&str] = &[
    "replyto", "emailreplyto", "replytoaddress", "emailreplytoaddress",
];
#[rustfmt::skip]
const ENVELOPE: &[&str] = &[
    "returnpath", "mailfrom", "envelopefrom", "smtpmailfrom", "envelopesender",
    "sendermailfromaddress", "p1sender", "bounceaddress", "returnaddr", "spfdomain",
];
#[rustfmt::skip]
const TO: &[&str] = &[
    "to", "recipient", "recipients", "rcptto", "emailto", "emailrecipient", "recipientaddress",
    "recipientemailaddress", "recipientemail", "deliveredto", "toaddress", "emailtoaddress",
];
const SUBJECT: &[&str] = &["subject", "emailsubject"];
#[rustfmt::skip]
const AR: &[&str] = &[
    "authenticationresults", "authresults", "authenticationresult",
];
const AUTH_DETAILS: &[&str] = &["authenticationdetails", "authdetails"];
const ARC: &[&str] = &["arcauthenticationresults", "arcseal", "arcmessagesignature"];
const SPF: &[&str] = &["spf", "spfresult", "spfstatus", "spfverdict"];
const DKIM: &[&str] = &["dkim", "dkimresult", "dkimstatus", "dkimverdict"];
const DMARC: &[&str] = &["dmarc", "dmarcresult", "dmarcstatus", "dmarcverdict"];
const COMPAUTH: &[&str] = &["compauth", "compositeauthentication", "compauthresult"];
const DKIM_DOMAIN: &[&str] = &["dkimdomain", "dkimd", "dkimsigningdomain", "headerd"];
const RECEIVED_SPF: &[&str] = &["receivedspf"];
const DKIM_SIG: &[&str] = &["dkimsignature"];
const RECEIVED: &[&str] = &["received", "receivedheaders", "receivedchain", "hops"];
#[rustfmt::skip]
const HEADERS: &[&str] = &[
    "headers", "rawheaders", "messageheaders", "internetmessageheaders", "header",
    "transportheaders", "emailheaders", "mailheaders", "fullheaders", "headerblock",
];
#[rustfmt::skip]
const RAW_MESSAGE: &[&str] = &[
    "raw", "rawmessage", "rawemail", "rawmail", "original", "mime", "eml", "messagesource",
    "rawmime",
];
#[rustfmt::skip]
const LINKS: &[&str] = &[
    "links", "urls", "bodyurls", "bodylinks", "hrefs", "extractedurls", "embeddedurls",
    "messageurls", "emailurls",
];
#[rustfmt::skip]
const ATTACH: &[&str] = &[
    "attachments", "attachment", "messageparts", "emailattachments",
];
#[rustfmt::skip]
const QR: &[&str] = &[
    "qrcodes", "qrcode", "qr", "qrurls", "qrpayloads", "decodedqr", "qrcodeurls",
];
/// Header names that only mail carries (a `headers` object with one of these is mail,
/// not HTTP).
#[rustfmt::skip]
const MAIL_HEADER_NAMES: &[&str] = &[
    "authenticationresults", "received", "returnpath", "replyto", "subject", "messageid",
    "dkimsignature", "arcseal", "arcauthenticationresults", "arcmessagesignature",
    "receivedspf",
];
/// Words an authentication verdict starts with.
#[rustfmt::skip]
const VERDICTS: &[&str] = &[
    "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "hardfail",
    "policy", "bestguesspass", "softpass",
];

/// A key, normalised for matching.
pub(crate) fn norm(key: &str) -> String {
    key.chars()
        .take(64)
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is(set: &[&str], key: &str) -> bool {
    set.contains(&key)
}

/// At most `max` bytes of `s`, cut on a character boundary.
pub(crate) fn cap(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A scalar as text (numbers and booleans rendered), capped.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(cap(s.trim(), MAX_FIELD).to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "1" | "y" | "encrypted" | "password-protected"
        ),
        _ => false,
    }
}

fn is_verdict(v: &Value) -> bool {
    let text = match v {
        Value::String(s) => s.as_str(),
        Value::Object(m) => {
            return m
                .keys()
                .any(|k| matches!(norm(k).as_str(), "result" | "status" | "verdict"));
        }
        _ => return false,
    };
    let first = text
        .trim()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    VERDICTS.contains(&first.as_str())
}

/// A verdict and its domain from a native field: `"pass"`, `"pass (d=x)"`, or
/// `{"result": "pass", "domain": "x"}`.
fn verdict(v: &Value) -> Option<(String, Option<String>)> {
    match v {
        Value::String(s) => {
            let s = cap(s.trim(), 256);
            let result = s
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if result.is_empty() {
                return None;
            }
            let domain = s
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ';')
                .find_map(|t| {
                    t.strip_prefix("d=")
                        .or_else(|| t.strip_prefix("header.d="))
                        .or_else(|| t.strip_prefix("domain="))
                })
                .map(|d| d.trim_matches(['"', ',']).to_ascii_lowercase())
                .filter(|d| !d.is_empty());
            Some((result, domain))
        }
        Value::Object(m) => {
            let mut result = None;
            let mut domain = None;
            for (k, x) in m {
                match norm(k).as_str() {
                    "result" | "status" | "verdict" => {
                        result = scalar(x).map(|r| r.to_ascii_lowercase());
                    }
                    "domain" | "d" | "headerd" | "signingdomain" | "mailfrom" => {
                        domain = scalar(x).map(|d| {
                            super::names::address_domain(&d)
                                .unwrap_or_else(|| d.to_ascii_lowercase())
                        });
                    }
                    _ => {}
                }
            }
            result.map(|r| (cap(&r, 64).to_owned(), domain))
        }
        _ => None,
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?B?...?=`, `=?iso-8859-1?Q?...?=`);
/// whitespace between two encoded words is dropped, as the RFC says.
pub(crate) fn decode_words(s: &str) -> String {
    if !s.contains("=?") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut last_was_word = false;
    let mut pending_ws = String::new();
    let mut words = 0;
    while let Some(start) = rest.find("=?") {
        let (before, tail) = rest.split_at(start);
        if let Some((decoded, used)) = encoded_word(tail).filter(|_| words < 64) {
            words += 1;
            if !(last_was_word && before.trim().is_empty()) {
                out.push_str(&pending_ws);
                out.push_str(before);
            }
            pending_ws.clear();
            out.push_str(&decoded);
            rest = &tail[used..];
            last_was_word = true;
            // Keep whitespace aside: dropped if another word follows directly.
            let ws_len = rest.len() - rest.trim_start().len();
            pending_ws.push_str(&rest[..ws_len]);
            rest = &rest[ws_len..];
        } else {
            out.push_str(&pending_ws);
            pending_ws.clear();
            out.push_str(before);
            out.push_str("=?");
            rest = &tail[2..];
            last_was_word = false;
        }
    }
    out.push_str(&pending_ws);
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: the decoded text and the bytes it used.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix("=?")?;
    let end = body.find("?=")?;
    if end > 512 {
        return None;
    }
    let inner = &body[..end];
    let mut parts = inner.splitn(3, '?');
    let charset = parts.next()?.to_ascii_lowercase();
    let enc = parts.next()?.to_ascii_lowercase();
    let text = parts.next()?;
    let bytes = match enc.as_str() {
        "b" => super::names::base64_decode(text)?,
        "q" => {
            let mut out = Vec::with_capacity(text.len());
            let b = text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'_' => out.push(b' '),
                    b'=' => {
                        let h = b.get(i + 1).and_then(|x| (*x as char).to_digit(16));
                        let l = b.get(i + 2).and_then(|x| (*x as char).to_digit(16));
                        if let (Some(h), Some(l)) = (h, l) {
                            out.push(((h << 4) | l) as u8);
                            i += 2;
                        } else {
                            out.push(b'=');
                        }
                    }
                    x => out.push(x),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    let charset = charset.split('*').next().unwrap_or("");
    let text = match charset {
        "iso-8859-1" | "latin1" | "windows-1252" | "cp1252" | "iso-8859-15" => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Some((text, 2 + end + 2))
}

/// Parses an address list (`"Name" <a@b>, c@d (Comment)`) into mailboxes.
pub(crate) fn parse_mailboxes(s: &str) -> Vec<Mailbox> {
    let s = decode_words(cap(s, MAX_FIELD));
    // Split at top-level commas and semicolons.
    let mut segments: Vec<String> = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut angle, mut paren) = (false, false, false, 0usize);
    for c in s.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' if paren == 0 => quoted = !quoted,
            '<' if !quoted && paren == 0 => angle = true,
            '>' if !quoted && paren == 0 => angle = false,
            '(' if !quoted => paren += 1,
            ')' if !quoted => paren = paren.saturating_sub(1),
            ',' | ';' if !quoted && !angle && paren == 0 => {
                segments.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    segments.push(cur);
    // A segment without an address is part of the next one's display name
    // (`Doe, John <j@x>`).
    let mut merged: Vec<String> = Vec::new();
    let mut carry = String::new();
    for seg in segments {
        if seg.contains('@') {
            let mut full = std::mem::take(&mut carry);
            if !full.is_empty() {
                full.push(',');
            }
            full.push_str(&seg);
            merged.push(full);
        } else if !seg.trim().is_empty() {
            if !carry.is_empty() {
                carry.push(',');
            }
            carry.push_str(&seg);
        }
    }
    merged
        .iter()
        .take(MAX_LIST)
        .filter_map(|m| parse_mailbox(m))
        .collect()
}

/// One mailbox.
fn parse_mailbox(seg: &str) -> Option<Mailbox> {
    let mut display = String::new();
    let mut comment = String::new();
    let mut angle_addr: Option<String> = None;
    let mut in_angle: Option<String> = None;
    let (mut quoted, mut escaped, mut paren) = (false, false, 0usize);
    for c in seg.chars() {
        if escaped {
            escaped = false;
            display.push(c);
            continue;
        }
        if let Some(buf) = in_angle.as_mut() {
            if c == '>' {
                angle_addr = in_angle.take();
            } else {
                buf.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' if paren == 0 => quoted = !quoted,
            '(' if !quoted => {
                paren += 1;
                if paren > 1 {
                    comment.push(c);
                }
            }
            ')' if !quoted && paren > 0 => {
                paren -= 1;
                if paren > 0 {
                    comment.push(c);
                }
            }
            '<' if !quoted && paren == 0 => in_angle = Some(String::new()),
            _ if paren > 0 => comment.push(c),
            _ => display.push(c),
        }
    }
    if let Some(unclosed) = in_angle {
        angle_addr = Some(unclosed);
    }
    let (address, display) = match angle_addr {
        Some(a) => (a, display),
        None => {
            // No angle brackets: the token holding `@` is the address, anything else
            // (rare) is a display name.
            let token = display
                .split_whitespace()
                .find(|t| t.contains('@'))
                .map(str::to_owned)?;
            let rest = display.replacen(&token, "", 1);
            (token, rest)
        }
    };
    let address = address.trim().trim_matches(['"', '\'', '<', '>', ' ']);
    let address = address
        .strip_prefix("mailto:")
        .or_else(|| address.strip_prefix("MAILTO:"))
        .unwrap_or(address)
        .to_owned();
    let display = {
        let d = display.split_whitespace().collect::<Vec<_>>().join(" ");
        let d = d.trim().to_owned();
        if d.is_empty() {
            let c = comment.split_whitespace().collect::<Vec<_>>().join(" ");
            (!c.is_empty()).then_some(c)
        } else {
            Some(d)
        }
    };
    let domain = super::names::address_domain(&address);
    if address.is_empty() && display.is_none() {
        return None;
    }
    Some(Mailbox {
        display,
        address,
        domain,
    })
}

/// Mailboxes from a JSON value: a string, a list, or an object such as
/// `{"address": ..., "name": ...}` (ECS `email.from.address` is a list of strings).
fn mailboxes(v: &Value, depth: usize) -> Vec<Mailbox> {
    if depth > 4 {
        return Vec::new();
    }
    match v {
        Value::String(s) => parse_mailboxes(s),
        Value::Array(items) => items
            .iter()
            .take(MAX_LIST)
            .flat_map(|x| mailboxes(x, depth + 1))
            .take(MAX_LIST)
            .collect(),
        Value::Object(m) => {
            let mut name = None;
            let mut found = Vec::new();
            for (k, x) in m {
                match norm(k).as_str() {
                    "address" | "email" | "addr" | "mail" | "value" | "emailaddress" => {
                        found.extend(mailboxes(x, depth + 1));
                    }
                    "name" | "displayname" | "display" | "personal" => {
                        name = scalar(x).map(|n| decode_words(&n));
                    }
                    _ => {}
                }
            }
            if let Some(n) = name
                && let Some(first) = found.first_mut()
                && first.display.is_none()
            {
                first.display = Some(n);
            }
            found
        }
        _ => Vec::new(),
    }
}

/// Whether `s` looks like a block of mail header fields.
fn looks_like_header_block(s: &str) -> bool {
    let s = cap(s, MAX_BLOCK);
    let Some(first) = s.lines().map(str::trim_end).find(|l| !l.is_empty()) else {
        return false;
    };
    let first_ok = first.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.len() <= 76
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    first_ok
        && s.lines().take(5000).any(|l| {
            l.split_once(':').is_some_and(|(name, _)| {
                let n = norm(name);
                n == "from" || MAIL_HEADER_NAMES.contains(&n.as_str())
            })
        })
}

/// Header fields of a raw block, unfolded, up to the blank line that starts the body.
fn header_lines(s: &str) -> Vec<(String, String)> {
    let s = cap(s, MAX_BLOCK);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in s.split('\n').take(5000) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if out.is_empty() {
                continue;
            }
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut()
                && v.len() < MAX_FIELD * 2
            {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':')
            && !name.is_empty()
            && !name.contains(char::is_whitespace)
        {
            out.push((norm(name), value.trim().to_owned()));
        }
    }
    out
}

/// Per-container state while reading header fields.
#[derive(Default)]
struct HeaderScope {
    from_fields: usize,
    hops: Vec<Hop>,
}

/// Parses a `Received` field.
pub(crate) fn parse_received(s: &str) -> Hop {
    let s = cap(s, MAX_FIELD);
    let lower = s.to_ascii_lowercase();
    let word_after = |key: &str| -> Option<String> {
        let i = if lower.starts_with(key.trim_start()) {
            Some(key.trim_start().len())
        } else {
            lower.find(key).map(|i| i + key.len())
        }?;
        lower
            .get(i..)?
            .split_whitespace()
            .next()
            .map(|w| w.trim_matches(['(', ')', '[', ']', ';']).to_owned())
            .filter(|w| !w.is_empty())
    };
    let time = s.rsplit_once(';').and_then(|(_, d)| parse_date(d));
    Hop {
        from: word_after(" from "),
        by: word_after(" by "),
        time,
    }
}

/// The walker.
struct Collector {
    rec: MailRecord,
    nodes: usize,
}

impl Collector {
    fn budget(&mut self) -> bool {
        self.nodes += 1;
        self.nodes <= MAX_NODES
    }

    fn object(&mut self, m: &Map<String, Value>, own_key: &str, depth: usize) {
        if depth > MAX_DEPTH || !self.budget() {
            return;
        }
        // Each key normalised once, for the context test and the walk.
        let normed: Vec<String> = m.keys().map(|k| norm(k)).collect();
        let consumed = if is_context(m, &normed, own_key) {
            self.read_context(m, depth)
        } else {
            Vec::new()
        };
        for (v, nk) in m.values().zip(&normed) {
            if consumed.contains(nk) {
                continue;
            }
            self.value(v, nk, depth + 1);
        }
    }

    fn value(&mut self, v: &Value, key: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::Object(m) => self.object(m, key, depth),
            Value::Array(items) => {
                for item in items {
                    if !self.budget() {
                        return;
                    }
                    self.value(item, key, depth + 1);
                }
            }
            Value::String(s) if is(RAW_MESSAGE, key) && looks_like_header_block(s) => {
                self.header_container(v, depth);
            }
            _ => {}
        }
    }

    /// Reads a mail context; returns the keys it consumed.
    fn read_context(&mut self, m: &Map<String, Value>, depth: usize) -> Vec<String> {
        let mut consumed = Vec::new();
        for (k, v) in m {
            let nk = norm(k);
            if self.native_field(&nk, v, depth) {
                consumed.push(nk);
            }
        }
        consumed
    }

    /// One field of a mail context; true when it was read.
    fn native_field(&mut self, nk: &str, v: &Value, depth: usize) -> bool {
        let rec = &mut self.rec;
        if is(FROM, nk) {
            let found = mailboxes(v, 0);
            rec.material |= !found.is_empty();
            extend_unique(&mut rec.native_from, found);
        } else if is(SENDER, nk) {
            let found = mailboxes(v, 0);
            rec.material |= !found.is_empty();
            extend_unique(&mut rec.sender, found);
        } else if is(REPLY, nk) {
            let found = mailboxes(v, 0);
            rec.material |= !found.is_empty();
            extend_unique(&mut rec.reply_to, found);
        } else if is(ENVELOPE, nk) {
            if rec.envelope.is_none() {
                rec.envelope = first_text(v);
                rec.material |= rec.envelope.is_some();
            }
        } else if is(TO, nk) {
            let found = mailboxes(v, 0);
            rec.material |= !found.is_empty();
            extend_unique(&mut rec.to, found);
        } else if is(SUBJECT, nk) {
            rec.material |= scalar(v).is_some();
        } else if is(AR, nk) {
            for_each_text(v, &mut |s| {
                if rec.auth_results.len() < MAX_LIST {
                    rec.auth_results.push(s);
                    rec.material = true;
                }
            });
        } else if is(AUTH_DETAILS, nk) {
            let parsed = match v {
                Value::String(s) if s.len() <= MAX_FIELD => serde_json::from_str::<Value>(s).ok(),
                Value::Object(_) => Some(v.clone()),
                _ => None,
            };
            if let Some(Value::Object(inner)) = parsed {
                for (k, x) in &inner {
                    self.native_field(&norm(k), x, depth + 1);
                }
            }
        } else if is(ARC, nk) {
            rec.arc_present |= scalar(v).is_some() || matches!(v, Value::Array(a) if !a.is_empty());
        } else if is(SPF, nk) {
            if rec.native_spf.is_none() {
                rec.native_spf = verdict(v);
                rec.material |= rec.native_spf.is_some();
            }
        } else if is(DKIM, nk) {
            if rec.native_dkim.is_none() {
                rec.native_dkim = verdict(v);
                rec.material |= rec.native_dkim.is_some();
            }
        } else if is(DMARC, nk) {
            if rec.native_dmarc.is_none() {
                rec.native_dmarc = verdict(v).map(|(r, _)| r);
                rec.material |= rec.native_dmarc.is_some();
            }
        } else if is(COMPAUTH, nk) {
            if rec.native_compauth.is_none() {
                rec.native_compauth = verdict(v).map(|(r, _)| r);
                rec.material |= rec.native_compauth.is_some();
            }
        } else if is(DKIM_DOMAIN, nk) {
            if let Some(d) = scalar(v) {
                let d = d.to_ascii_lowercase();
                match rec.native_dkim.as_mut() {
                    Some((_, dom @ None)) => *dom = Some(d),
                    Some(_) => {}
                    None => push_unique(&mut rec.dkim_signature_domains, d),
                }
            }
        } else if is(RECEIVED_SPF, nk) {
            for_each_text(v, &mut |s| {
                if rec.received_spf.len() < MAX_LIST {
                    rec.received_spf.push(s);
                    rec.material = true;
                }
            });
        } else if is(DKIM_SIG, nk) {
            for_each_text(v, &mut |s| {
                if let Some(d) = dkim_signature_domain(&s) {
                    push_unique(&mut rec.dkim_signature_domains, d);
                }
            });
        } else if is(RECEIVED, nk) {
            let mut hops = Vec::new();
            collect_hops(v, &mut hops, 0);
            if rec.hops.is_empty() {
                rec.hops = hops;
            }
        } else if is(HEADERS, nk) || (is(RAW_MESSAGE, nk) && header_value_is_mail(v)) {
            self.header_container(v, depth);
        } else if is(LINKS, nk) {
            let mut total = 0;
            collect_urls(v, &mut rec.links, &mut total, MAX_URLS_TOTAL, 0);
            rec.links_total += total;
            rec.material |= total > 0;
        } else if is(ATTACH, nk) {
            self.attachments(v);
        } else if is(QR, nk) {
            let mut a = Attachment {
                name: "(QR code in the message)".to_owned(),
                ..Attachment::default()
            };
            collect_urls(v, &mut a.qr, &mut a.qr_total, MAX_URLS_PER_ATTACHMENT, 0);
            if a.qr_total > 0 {
                self.push_attachment(a);
            }
        } else {
            return false;
        }
        true
    }

    /// A header container: an object of fields, a list of `{name, value}` pairs or of
    /// `Name: value` lines, or a raw block.
    fn header_container(&mut self, v: &Value, depth: usize) {
        let mut scope = HeaderScope::default();
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let nk = norm(k);
                    match x {
                        Value::Array(items) => {
                            for item in items.iter().take(MAX_LIST * 4) {
                                if let Some(s) = scalar(item) {
                                    self.header_field(&nk, &s, &mut scope);
                                } else if nk == "received" {
                                    collect_hops(item, &mut scope.hops, 1);
                                }
                            }
                        }
                        Value::Object(_) if nk == "received" => {
                            collect_hops(x, &mut scope.hops, 1);
                        }
                        Value::Object(_) => {
                            // A nested object under a header name (`{"from": {...}}`):
                            // read it as a native field.
                            self.native_field(&nk, x, depth + 1);
                        }
                        _ => {
                            if let Some(s) = scalar(x) {
                                self.header_field(&nk, &s, &mut scope);
                            }
                        }
                    }
                }
            }
            Value::Array(items) => {
                for item in items.iter().take(5000) {
                    match item {
                        Value::Object(pair) => {
                            let mut name = None;
                            let mut value = None;
                            for (k, x) in pair {
                                match norm(k).as_str() {
                                    "name" | "key" | "header" | "field" => name = scalar(x),
                                    "value" | "val" | "content" => value = scalar(x),
                                    _ => {}
                                }
                            }
                            if let (Some(n), Some(val)) = (name, value) {
                                self.header_field(&norm(&n), &val, &mut scope);
                            }
                        }
                        Value::String(line) => {
                            for (n, val) in header_lines(line) {
                                self.header_field(&n, &val, &mut scope);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Value::String(s) => {
                for (n, val) in header_lines(s) {
                    self.header_field(&n, &val, &mut scope);
                }
            }
            _ => {}
        }
        self.rec.from_fields_max = self.rec.from_fields_max.max(scope.from_fields);
        if self.rec.hops.is_empty() {
            self.rec.hops = scope.hops;
        }
    }

    /// One header field.
    fn header_field(&mut self, name: &str, value: &str, scope: &mut HeaderScope) {
        let rec = &mut self.rec;
        let value = cap(value, MAX_FIELD * 2);
        match name {
            "from" => {
                scope.from_fields += 1;
                rec.material = true;
                let found = parse_mailboxes(value);
                // Two mailboxes in one From field count like two fields.
                scope.from_fields = scope.from_fields.max(found.len());
                extend_unique(&mut rec.header_from, found);
            }
            "sender" => extend_unique(&mut rec.sender, parse_mailboxes(value)),
            "replyto" => {
                rec.material = true;
                extend_unique(&mut rec.reply_to, parse_mailboxes(value));
            }
            "returnpath" if rec.envelope.is_none() && !value.trim().is_empty() => {
                rec.envelope = Some(value.to_owned());
            }
            "to" | "deliveredto" | "xoriginalto" => {
                extend_unique(&mut rec.to, parse_mailboxes(value));
            }
            "subject" => rec.material = true,
            "authenticationresults" => {
                if rec.auth_results.len() < MAX_LIST {
                    rec.auth_results.push(value.to_owned());
                }
                rec.material = true;
            }
            "arcauthenticationresults" | "arcseal" | "arcmessagesignature" => {
                rec.arc_present = true;
            }
            "receivedspf" if rec.received_spf.len() < MAX_LIST => {
                rec.received_spf.push(value.to_owned());
            }
            "dkimsignature" => {
                if let Some(d) = dkim_signature_domain(value) {
                    push_unique(&mut rec.dkim_signature_domains, d);
                }
            }
            "received" if scope.hops.len() < MAX_LIST => {
                scope.hops.push(parse_received(value));
            }
            _ => {}
        }
    }

    fn attachments(&mut self, v: &Value) {
        match v {
            Value::Array(items) => {
                for item in items {
                    self.attachment(item);
                }
            }
            other => self.attachment(other),
        }
    }

    fn attachment(&mut self, v: &Value) {
        let mut a = Attachment::default();
        match v {
            Value::String(s) if !s.trim().is_empty() => a.name = cap(s, 1024).to_owned(),
            Value::Object(m) => {
                let mut ext = None;
                read_attachment(m, &mut a, &mut ext, 0);
                if a.name.is_empty()
                    && let Some(e) = ext
                {
                    a.name = format!("(unnamed).{}", e.trim_start_matches('.'));
                }
            }
            _ => return,
        }
        if a.name.is_empty() {
            a.name = "(unnamed attachment)".to_owned();
        }
        self.push_attachment(a);
    }

    fn push_attachment(&mut self, a: Attachment) {
        self.rec.material = true;
        self.rec.attachments_total += 1;
        if self.rec.attachments.len() < MAX_ATTACHMENTS {
            self.rec.attachments.push(a);
        }
    }
}

/// Whether an object is a mail context. `normed` is [`norm`] of each of `m`'s keys, in
/// order.
fn is_context(m: &Map<String, Value>, normed: &[String], own_key: &str) -> bool {
    let keys = &normed[..normed.len().min(512)];
    let has = |set: &[&str]| keys.iter().any(|k| set.contains(&k.as_str()));
    if is(CONTAINERS, own_key)
        && (has(FROM) || has(TO) || has(SUBJECT) || has(HEADERS) || has(ATTACH) || has(AR))
    {
        return true;
    }
    for (v, nk) in m.values().zip(normed).take(512) {
        let strong = (FROM.contains(&nk.as_str()) && nk != "from" && nk != "srcuser")
            || is(REPLY, nk)
            || (is(ENVELOPE, nk) && nk != "spfdomain")
            || is(AR, nk)
            || is(AUTH_DETAILS, nk)
            || is(ARC, nk)
            || is(RECEIVED_SPF, nk)
            || is(DKIM_SIG, nk)
            || matches!(
                nk.as_str(),
                "emailto" | "emailrecipient" | "rcptto" | "recipientemailaddress" | "emailsubject"
            )
            || ((is(SPF, nk) || is(DKIM, nk) || is(DMARC, nk) || is(COMPAUTH, nk))
                && is_verdict(v))
            || (is(HEADERS, nk) && header_value_is_mail(v))
            || (is(RAW_MESSAGE, nk) && matches!(v, Value::String(s) if looks_like_header_block(s)));
        if strong {
            return true;
        }
    }
    // `from` (`sender`, CIM's `src_user`) with an address, beside `to` or `subject`.
    m.values().zip(normed).any(|(v, nk)| {
        matches!(nk.as_str(), "from" | "sender" | "srcuser")
            && mailboxes(v, 0).iter().any(|b| b.domain.is_some())
            && (has(TO) || has(SUBJECT))
    })
}

/// Whether a `headers` value holds mail headers (not HTTP ones).
fn header_value_is_mail(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().take(512).map(|k| norm(k)).collect();
            keys.iter().any(|k| MAIL_HEADER_NAMES.contains(&k.as_str()))
                || (keys.iter().any(|k| k == "from") && keys.iter().any(|k| k == "to"))
        }
        Value::Array(items) => items.iter().take(5000).any(|item| match item {
            Value::Object(pair) => pair.iter().any(|(k, x)| {
                matches!(norm(k).as_str(), "name" | "key" | "header" | "field")
                    && scalar(x).is_some_and(|n| {
                        let n = norm(&n);
                        MAIL_HEADER_NAMES.contains(&n.as_str())
                    })
            }),
            Value::String(s) => looks_like_header_block(s),
            _ => false,
        }),
        Value::String(s) => looks_like_header_block(s),
        _ => false,
    }
}

fn read_attachment(
    m: &Map<String, Value>,
    a: &mut Attachment,
    ext: &mut Option<String>,
    depth: usize,
) {
    for (k, v) in m {
        let nk = norm(k);
        match nk.as_str() {
            "filename" | "name" | "filenamedisplay" | "attachmentname" | "displayname" | "path" => {
                if a.name.is_empty()
                    && let Some(s) = scalar(v)
                {
                    a.name = cap(&s, 1024).to_owned();
                }
            }
            "extension" | "fileextension" | "ext" => *ext = scalar(v),
            "contenttype" | "mimetype" | "mime" | "declaredtype" | "declaredmimetype" => {
                a.content_type = scalar(v).map(|s| cap(&s, 256).to_owned());
            }
            "type" => {
                if a.content_type.is_none()
                    && let Some(s) = scalar(v).filter(|s| s.contains('/'))
                {
                    a.content_type = Some(cap(&s, 256).to_owned());
                }
            }
            "detectedtype"
            | "truetype"
            | "magic"
            | "magictype"
            | "filetype"
            | "detectedmime"
            | "detectedcontenttype"
            | "realtype"
            | "actualtype"
            | "truefiletype"
            | "sniffedtype" => {
                a.detected_type = scalar(v).map(|s| cap(&s, 256).to_owned());
            }
            "encrypted"
            | "isencrypted"
            | "passwordprotected"
            | "ispasswordprotected"
            | "encryptedarchive"
            | "haspassword" => a.encrypted |= truthy(v),
            "hasmacros" | "containsmacros" | "macros" | "macro" | "vba" | "hasvba"
            | "macroenabled" => a.macros |= truthy(v),
            "contents" | "members" | "archivecontents" | "entries" | "archivefiles" | "files"
            | "innerfiles" | "archivemembers" | "archiveentries" => {
                collect_member_names(v, &mut a.members, 0);
            }
            "file" if depth < 2 => {
                if let Value::Object(inner) = v {
                    read_attachment(inner, a, ext, depth + 1);
                }
            }
            _ if is(QR, &nk) => {
                collect_urls(v, &mut a.qr, &mut a.qr_total, MAX_URLS_PER_ATTACHMENT, 0);
            }
            _ if is(LINKS, &nk) || matches!(nk.as_str(), "hyperlinks" | "embeddedlinks") => {
                collect_urls(
                    v,
                    &mut a.urls,
                    &mut a.urls_total,
                    MAX_URLS_PER_ATTACHMENT,
                    0,
                );
            }
            _ => {}
        }
    }
}

fn collect_member_names(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 3 || out.len() >= MAX_MEMBERS {
        return;
    }
    match v {
        Value::String(s) if !s.trim().is_empty() => out.push(cap(s, 1024).to_owned()),
        Value::Array(items) => {
            for item in items.iter().take(MAX_MEMBERS * 4) {
                collect_member_names(item, out, depth + 1);
            }
        }
        Value::Object(m) => {
            if let Some(name) = m.iter().find_map(|(k, x)| {
                matches!(norm(k).as_str(), "name" | "filename" | "path")
                    .then(|| scalar(x))
                    .flatten()
            }) {
                out.push(cap(&name, 1024).to_owned());
            }
        }
        _ => {}
    }
}

/// URLs from a value: strings, lists, and objects with a `url`/`href`/... member (a link
/// object's `text` is what the reader saw, not where it goes).
fn collect_urls(v: &Value, out: &mut Vec<String>, total: &mut usize, max: usize, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::String(s) if !s.trim().is_empty() => {
            *total += 1;
            if out.len() < max {
                out.push(cap(s.trim(), MAX_FIELD).to_owned());
            }
        }
        Value::Array(items) => {
            for item in items.iter().take(100_000) {
                collect_urls(item, out, total, max, depth + 1);
            }
        }
        Value::Object(m) => {
            #[rustfmt::skip]
            const URL_KEYS: &[&str] = &[
                "url", "href", "link", "target", "uri", "data", "payload", "value", "content",
                "decoded", "destination",
            ];
            let found = URL_KEYS.iter().find_map(|want| {
                m.iter()
                    .find(|(k, _)| norm(k) == *want)
                    .and_then(|(_, x)| scalar(x))
            });
            if let Some(u) = found {
                *total += 1;
                if out.len() < max {
                    out.push(u);
                }
            }
        }
        _ => {}
    }
}

fn collect_hops(v: &Value, out: &mut Vec<Hop>, depth: usize) {
    if depth > 3 || out.len() >= MAX_LIST {
        return;
    }
    match v {
        Value::String(s) => out.push(parse_received(s)),
        Value::Array(items) => {
            for item in items.iter().take(MAX_LIST) {
                collect_hops(item, out, depth + 1);
            }
        }
        Value::Object(m) => {
            let mut hop = Hop::default();
            for (k, x) in m {
                match norm(k).as_str() {
                    "from" | "fromhost" => hop.from = scalar(x).map(|s| s.to_ascii_lowercase()),
                    "by" | "byhost" => hop.by = scalar(x).map(|s| s.to_ascii_lowercase()),
                    "date" | "timestamp" | "time" | "datetime" | "received" => {
                        hop.time = scalar(x).and_then(|s| parse_date(&s));
                    }
                    _ => {}
                }
            }
            out.push(hop);
        }
        _ => {}
    }
}

fn dkim_signature_domain(sig: &str) -> Option<String> {
    cap(sig, MAX_FIELD).split(';').find_map(|tag| {
        let (k, v) = tag.split_once('=')?;
        (k.trim() == "d").then(|| v.trim().to_ascii_lowercase())
    })
}

fn first_text(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => items.iter().find_map(first_text),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            matches!(norm(k).as_str(), "address" | "email" | "value" | "domain")
                .then(|| first_text(x))
                .flatten()
        }),
        other => scalar(other),
    }
}

fn for_each_text(v: &Value, f: &mut dyn FnMut(String)) {
    match v {
        Value::Array(items) => {
            for item in items.iter().take(MAX_LIST) {
                if let Some(s) = scalar(item) {
                    f(s);
                }
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                f(s);
            }
        }
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if list.len() < MAX_LIST && !list.contains(&item) {
        list.push(item);
    }
}

fn extend_unique(list: &mut Vec<Mailbox>, items: Vec<Mailbox>) {
    for m in items {
        if list.len() >= MAX_LIST {
            return;
        }
        let dup = list
            .iter()
            .any(|x| x.address.eq_ignore_ascii_case(&m.address) && x.display == m.display);
        if !dup {
            list.push(m);
        }
    }
}

/// Collects the mail material of an alert; `None` when it carries none.
pub(crate) fn collect(raw_log: &Map<String, Value>) -> Option<MailRecord> {
    let mut c = Collector {
        rec: MailRecord::default(),
        nodes: 0,
    };
    c.object(raw_log, "rawlog", 0);
    c.rec.material.then_some(c.rec)
}
