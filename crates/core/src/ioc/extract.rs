//! Extraction of indicators from an alert.
//!
//! Declared indicators come first, in the order of [`crate::alert::Indicators::iter`]: each value is
//! normalised as the list's kind (`ips` → IPv4/IPv6, `hashes` → MD5/SHA-1/SHA-256 by
//! length, `urls` → URL plus its host); a value that is not of that kind is classified
//! instead (a URL in `domains` still counts), and one that is nothing at all goes to
//! [`IocSet::rejected`]. Values of unknown lists (`apps`, ...) are classified and silently
//! skipped when they are not indicators. Declared loopback addresses are kept (scoped
//! internal): the alert's source chose them.
//!
//! A declared hash that is not a file's hash is rejected too
//! ([`RejectReason::NotAFileHash`]): one written `IMPHASH=<hex>` (`ja3`, `jarm`, ... see
//! `NON_FILE_HASH_LABELS`), and one the `raw_log` labels so, as `IMPHASH=<hex>` in a
//! structured hash list (the Sysmon `Hashes` field, keys `hashes`/`hash`, copied into
//! `indicators.hashes` without its labels) or as the value of such a key (`Imphash`,
//! `process.pe.imphash`, `ja3`), unless `raw_log` also has it as a file hash. A label in
//! free text (`x.exe --ja3=<hex>` in a command line) rejects nothing: the text is the
//! intruder's to write. Nor does a value of another length than the label's hashes
//! (import hashes, `ja3`, `ja3s`, `hassh`, `hasshserver` are 32 digits): a 64-digit value
//! after `IMPHASH=` is no import hash. Looking an import hash up as an MD5 wastes intel
//! calls and links unrelated alerts (every build of a program shares it). The labelled
//! values are noted while `raw_log` is scanned anyway, and only when the alert declares
//! hashes; a label after the point where extraction stopped at its limit is not seen.
//!
//! Then every string leaf of `raw_log` is scanned, with its path
//! (`raw_log.events[1].command_line`) as origin. Keys and numbers are never scanned, nor
//! are the fields of a binary's version resource: they describe the file, not network
//! activity (`Company: "curl, https://curl.se/"`). Those are the keys (any case and
//! separators) `OriginalFileName`, `FileDescription`, `LegalCopyright`, `LegalTrademarks`,
//! `FileVersion`, `ProductVersion`, `InternalName` anywhere, and `Company`, `Description`,
//! `Product`, `CompanyName`, `ProductName` in a binary's object or under a `pe` object
//! (ECS `process.pe.company`). A binary's object has `OriginalFileName` or `FileVersion`
//! beside `Image`, `ImageLoaded` or `TargetFilename`, the file they describe (Sysmon;
//! flattened keys count under the same prefix). Elsewhere those are ordinary fields: a
//! Graph alert's `ProductName` and `Description` are the alert's own.
//!
//! # Text scanning, and the false-friend rules
//!
//! Each leaf is refanged, then scanned in this order:
//! 1. URLs (`http`, `https`, `ftp`, `ftps`, `sftp`, `tftp`, `ws`, `wss`, `ldap`, `ldaps`,
//!    `rmi`, `smb`, `ssh`, `telnet`, `irc`), trailing `.,;:!?'"*` and unbalanced `)`/`]`
//!    stripped; the URL's host is added too. XML namespace values (`xmlns="http://..."`,
//!    keys `xmlns*`) are identifiers, not links, and are skipped.
//! 2. E-mail addresses (not inside a URL, not after `/` as in the Kerberos principal
//!    `krbtgt/CORP.LOCAL@CORP.LOCAL`). In message-id keys they are not addresses; the
//!    domain after `@` is still found in step 6.
//! 3. IPv6: at least two hex groups, parsed by `std`, not touching letters, digits or `_`
//!    on either side; `::` alone, times (`12:30:45`) and MAC/EUI-64 shapes (every group two
//!    digits, no `::`) are not addresses.
//! 4. IPv4: a whole dotted number of exactly four octets (so `10.0.19041.1` and
//!    `1.2.3.4.5` are not addresses), no leading zeros, not after a letter, digit, `_` or
//!    `.`, not in a product token (`Chrome/120.0.0.0`), not after the words `version`,
//!    `ver`, `build`, `release`, `firmware`, `rev`, and not in a version key
//!    (`FileVersion`). Not inside an IPv6 address already taken.
//!
//!    Loopback addresses (`127.0.0.0/8`, `::1` and their mapped forms) are not taken from
//!    `raw_log` or free text, wherever found (text, a host key, a URL's host; the URL
//!    itself stays): `wmic /node:"127.0.0.1"` is the machine talking to itself. Scoped
//!    internal, it was never looked up, but history links indicators of every scope, so
//!    it would link unrelated alerts.
//! 5. Hashes: a whole hex run of exactly 32/40/64 digits (longer runs are not hashes),
//!    with letters and digits both present, not touching letters, digits or `_`, not a
//!    dash-less GUID in `{...}`, not labelled `IMPHASH=`/`ja3=`/... (with as many digits
//!    as such a value has; `ja3=<64 digits>` is no ja3), and not in id-like keys
//!    (`*Guid`, `session_id`, `trace_id`, `api_key`, `ja3`, `Thumbprint`, `SerialNumber`,
//!    ...). The Sysmon `MD5=...,SHA256=...` format is covered by these rules. Not a file
//!    hash either, because the run names something else:
//!    - a run inside a URL or e-mail address already taken, or in the path of a URL
//!      written without a scheme (`github.com/o/r/commit/<sha>`): commit ids, object keys.
//!      A file's name in a URL's path still counts: a whole path segment `<hex>` plus
//!      extensions (`.` and 1 to 4 letters or digits: `/dl/<sha256>.exe`, `.tar.gz`), or a
//!      bare last segment (`https://x.example/<md5>`) unless it has 40 digits (a commit);
//!    - a run joined by `-` to a word on either side (`cli-<sha>\`, `<sha>-build`), a
//!      folder or package named after a commit, unless the word is `md5`, `sha1`,
//!      `sha256` or `hash` labelling it; `MD5=<hex>`, `sha256:<hex>`, a bare hash and a
//!      hash as a whole file name (`C:\x\<sha256>.exe`) still count;
//!    - a certificate's serial number or thumbprint (a SHA-1 of the certificate, not of
//!      a file): labelled by a word ending in `serial`, `serialnumber`, `thumbprint` or
//!      `certhash` (`-CertificateThumbprint '<hex>'`), in a path on PowerShell's
//!      `Cert:` drive, or an argument in the same command (up to `|`, `&`, `;`, a line
//!      break) of a `certutil` verb that takes one: `-exportPFX`, `-delstore`,
//!      `-repairstore`, `-viewstore`, `-viewdelstore`, `-verifystore` (`/` works too),
//!      and `-store`, `-revoke`, `-getkey` when the command names `certutil`.
//! 6. Domains: a whole dotted run whose last label is a known TLD written all lower or all
//!    upper case (`Mail.Read`, `System.Net` are code, not names), not inside a URL or
//!    e-mail already taken, not after a letter, digit or `$`, not followed by `(` (a call),
//!    not a two-label field path such as `user.name` or `event.id`, not a quoted piece of
//!    a string concatenation (`'s.com'+'/'`, obfuscated scripts), and not in a dataset key
//!    (`event.dataset: windows.security`). When the TLD is also a common file extension
//!    (`.com`, `.zip`, `.py`, `.sh`, `.rs`, `.app`, ... see `tld::FILE_EXTENSION_TLDS`)
//!    the candidate is a file name, not a domain, when:
//!    - it follows `\` or `/` (a path element), unless it is the host of a UNC path or a
//!      protocol-relative URL (`\\fileserver.corp.local\share`, `//cdn.evil.com/x`), or
//!    - the leaf's key names a file (`file`, `filename`, `path`, `image`, `process`,
//!      `parent`, `exe`, `dll`, `attachment`, `directory`, `folder`, `module`; for a
//!      generic leaf such as `name`, its parent key counts: `file.name`), again unless it
//!      is a UNC host, or
//!    - the key is a command line and the candidate has two labels and is not followed by
//!      `/` or `:port` (`python run.py` is a file, `iwr evil.com/x` a host).
//!
//! User and host indicators come from key names only: user keys (`user`, `username`,
//! `user_name`, `usernames_tried`, `TargetUserName`, `SubjectUserName`, `ParentUser`,
//! `AccountName`, `SamAccountName`, `target_user`, `src_user`, `dst_user`, `user.name`, ...)
//! and host keys (`host` string, `host.name`, `hostname`, `computer`, `ComputerName`,
//! `WorkstationName`, `src_host`, `dst_host`, `dest_host`, `source_host`,
//! `destination_host`). User values are kept as given (trimmed, case and `DOMAIN\` kept);
//! `-`, empty, `null`-like and all-digit values (counts, ids) are skipped; `SYSTEM` is kept.
//! Values of user keys are not scanned for bare domains (`j.ford` is a person, not `.ford`).
//! Nor are values of keys naming the monitored host, the one the event happened on:
//! `computer`, `ComputerName` (Windows' `Computer`, Winlogbeat `computer_name`) anywhere,
//! `host.name`, and `host`/`hostname` at the top level or under `host`, `agent`,
//! `observer`, `event` or `events`. That host is a host indicator only: as a domain it
//! would send an internal machine's name to VirusTotal and urlscan. Values of the other
//! host keys (a remote party: `dst_host`, `destination_host`, `WorkstationName`,
//! `http.hostname`, ...) are scanned, so an external FQDN there is both a host and a
//! domain.

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;

use serde_json::{Map, Value};

use super::normalise::{
    canonical_hash, domain_ioc, hash_ioc, hash_kind, ip_ioc, normalise_email, normalise_url,
    parse_ipv4_strict, parse_ipv6, url_ioc,
};
use super::{Ioc, IocConfig, IocKind, IocSet, RejectReason, classify, lex, normalise, refang, tld};
use crate::alert::Alert;

/// Most rejected declared values kept.
const MAX_REJECTED: usize = 20;
/// Deepest nesting walked (alerts are limited to 64 by [`crate::alert::Limits`]).
const MAX_DEPTH: usize = 128;
/// Most non-file hash values (`IMPHASH=...`) remembered per alert to check the declared
/// hashes against: an alert has a handful; the bound keeps a hostile one small.
const MAX_NON_FILE_HASHES: usize = 256;
/// How far back (bytes) the certificate-id rules look for a label or a `certutil` verb.
const CERT_CONTEXT: usize = 512;

/// A candidate found by a [`lex`] finder.
struct Found<'t> {
    text: &'t str,
    r: Range<usize>,
}

impl<'t> Found<'t> {
    fn in_text(text: &'t str) -> impl Fn(Range<usize>) -> Found<'t> {
        move |r| Found { text, r }
    }
    fn start(&self) -> usize {
        self.r.start
    }
    fn end(&self) -> usize {
        self.r.end
    }
    fn range(&self) -> Range<usize> {
        self.r.clone()
    }
    fn as_str(&self) -> &'t str {
        &self.text[self.r.clone()]
    }
}

/// Collects the alert's indicators: declared ones first, then every string in `raw_log`.
/// See the module docs for the rules.
pub fn extract(alert: &Alert, cfg: &IocConfig) -> IocSet {
    let mut x = Extractor::new(IocSet::new(), cfg);
    x.declaring = true;
    x.declared(alert);
    x.declaring = false;
    // Only an alert that declares hashes needs the raw_log's non-file hashes noted.
    x.note_non_file = x.set.iter().any(|f| f.ioc.kind.is_hash());
    let mut path = String::from("raw_log");
    x.walk_object(&alert.raw_log, &mut path, None, 0);
    x.reject_non_file_hashes();
    x.set
}

/// Scans one free-text string (no key context) and adds what it finds to `set` with
/// `origin`; returns false when `cfg.max_indicators` was reached.
pub fn extract_text(text: &str, origin: &str, cfg: &IocConfig, set: &mut IocSet) -> bool {
    let mut x = Extractor::new(std::mem::take(set), cfg);
    x.scan_text(text, origin, &LeafCtx::default());
    let ok = !x.stopped;
    *set = x.set;
    ok
}

/// Scanner passes, for [`Seen`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Pass {
    Url,
    Email,
    Ipv6,
    Ipv4,
    Hash,
    Domain,
}

/// Per-leaf memo of candidates already handled (a value repeated in one string is
/// normalised once; its origin is the same): whether the candidate was an indicator.
type Seen<'t> = HashMap<(Pass, &'t str), bool>;

struct Extractor<'c> {
    set: IocSet,
    cfg: &'c IocConfig,
    stopped: bool,
    /// Adding declared values (loopback addresses are kept only then).
    declaring: bool,
    /// Whether to note the raw_log's non-file hashes in `non_file` (the alert declared
    /// hashes to check).
    note_non_file: bool,
    /// Values the raw_log labels as non-file hashes (`IMPHASH=...`, key `Imphash`), lower
    /// case.
    non_file: Vec<String>,
}

/// How a declared list is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    /// `ips`: IPv4 or IPv6.
    Ip,
    /// `hashes`: MD5, SHA-1 or SHA-256 by length.
    Hash,
    /// A list of one kind.
    Kind(IocKind),
    /// Any other list: classified, skipped when not an indicator.
    Other,
}

/// What a leaf's key says about its value.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct LeafCtx {
    user: bool,
    host: bool,
    file: bool,
    command: bool,
    message_id: bool,
    no_hash: bool,
    version: bool,
    /// No bare domains: user names (`j.ford`) and dataset names (`windows.security`).
    no_domain: bool,
    /// An XML namespace attribute: its URL is an identifier, not a link.
    xmlns: bool,
    /// A key naming the host the event happened on (`computer`, `host.name`): a host
    /// indicator, never a domain to look up.
    own_host: bool,
    /// A field of a binary's version resource (`OriginalFileName`, `pe.company`): not
    /// scanned.
    pe_meta: bool,
    /// One of [`PE_SHARED_KEYS`]: not scanned in a binary's object ([`binary_prefixes`]).
    pe_meta_if_binary: bool,
    /// A key naming a hash that is not a file's (`Imphash`, `ja3`): how many hex digits
    /// that hash has, when as many as a file hash's ([`non_file_hash_len`]).
    non_file_hash_len: Option<usize>,
    /// A structured hash list (Sysmon `Hashes: SHA1=...,MD5=...,IMPHASH=...`, keys
    /// `hashes`/`hash`): its labels say what each value is.
    hash_list: bool,
}

impl<'c> Extractor<'c> {
    fn new(set: IocSet, cfg: &'c IocConfig) -> Self {
        Extractor {
            set,
            cfg,
            stopped: false,
            declaring: false,
            note_non_file: false,
            non_file: Vec::new(),
        }
    }

    /// Adds an indicator; false (and `stopped`) once the limit is reached. A loopback
    /// address found in text is skipped (true: scanning goes on): it is this machine
    /// talking to itself, and as an indicator it would only link unrelated alerts.
    fn add(&mut self, ioc: Ioc, origin: &str) -> bool {
        if self.stopped {
            return false;
        }
        if !self.declaring && is_loopback(&ioc) {
            return true;
        }
        if self.set.len() >= self.cfg.max_indicators && !self.set.contains(ioc.kind, &ioc.value) {
            self.set.truncated = true;
            self.stopped = true;
            return false;
        }
        self.set.insert(ioc, origin);
        true
    }

    fn reject(&mut self, value: &str, origin: String, why: RejectReason) {
        if self.set.rejected.len() < MAX_REJECTED {
            self.set.rejected.push((value.to_owned(), origin, why));
        }
    }

    /// Remembers a value the raw_log labels as a non-file hash, when declared hashes are
    /// to be checked against it.
    fn note_non_file_hash(&mut self, hex: &str) {
        if !self.note_non_file || self.non_file.len() >= MAX_NON_FILE_HASHES {
            return;
        }
        let v = hex.to_ascii_lowercase();
        if !self.non_file.contains(&v) {
            self.non_file.push(v);
        }
    }

    /// Takes back the declared hashes the raw_log labels as non-file hashes (an alert's
    /// `Hashes: ...,IMPHASH=<x>` copied into `indicators.hashes` as `<x>`). A value also
    /// found in raw_log outside such a label stays.
    fn reject_non_file_hashes(&mut self) {
        if self.non_file.is_empty() {
            return;
        }
        let labelled = std::mem::take(&mut self.non_file);
        let gone = self.set.remove_where(|f| {
            f.ioc.kind.is_hash()
                && labelled.contains(&f.ioc.value)
                && f.origins.iter().all(|o| o.starts_with("indicators."))
        });
        for f in gone {
            for origin in f.origins {
                self.reject(&f.ioc.value, origin, RejectReason::NotAFileHash);
            }
        }
    }

    fn declared(&mut self, alert: &Alert) {
        for (list, values) in alert.indicators.iter() {
            let kind = match list {
                "ips" => Declared::Ip,
                "hashes" => Declared::Hash,
                "domains" => Declared::Kind(IocKind::Domain),
                "urls" => Declared::Kind(IocKind::Url),
                "emails" => Declared::Kind(IocKind::Email),
                "users" => Declared::Kind(IocKind::User),
                "hosts" => Declared::Kind(IocKind::Host),
                _ => Declared::Other,
            };
            for (i, raw) in values.iter().enumerate() {
                if self.stopped {
                    return;
                }
                let origin = format!("indicators.{list}[{i}]");
                // `IMPHASH=<x>` declared as a hash says itself what it is.
                if kind == Declared::Hash && has_non_file_hash_label(raw) {
                    self.reject(raw, origin, RejectReason::NotAFileHash);
                    continue;
                }
                let typed = match kind {
                    Declared::Ip => normalise(IocKind::Ipv4, raw, self.cfg)
                        .or_else(|| normalise(IocKind::Ipv6, raw, self.cfg)),
                    Declared::Hash => hash_ioc(raw),
                    Declared::Kind(k) => normalise(k, raw, self.cfg),
                    Declared::Other => None,
                };
                match typed.or_else(|| classify(raw, self.cfg)) {
                    Some(ioc) => self.add_with_host(ioc, &origin),
                    None if kind != Declared::Other => {
                        self.reject(raw, origin, RejectReason::NotAnIndicator);
                    }
                    None => {}
                }
            }
        }
    }

    /// Adds an indicator and, for a URL, its host.
    fn add_with_host(&mut self, ioc: Ioc, origin: &str) {
        let host = (ioc.kind == IocKind::Url)
            .then(|| normalise_url(&ioc.value, false, self.cfg).map(|(_, h)| h))
            .flatten();
        if self.add(ioc, origin)
            && let Some(h) = host
        {
            self.add(h, origin);
        }
    }

    fn walk_object(
        &mut self,
        obj: &Map<String, Value>,
        path: &mut String,
        parent: Option<&str>,
        depth: usize,
    ) {
        // Sysmon puts a binary's version resource (`Company`, `Description`, `Product`)
        // next to `OriginalFileName`/`FileVersion` and the file they describe (`Image`):
        // siblings tell those generic keys apart from an alert's own `Description` or
        // `ProductName`.
        let binaries = binary_prefixes(obj);
        for (key, value) in obj {
            if self.stopped {
                return;
            }
            let binary = !binaries.is_empty() && binaries.binary_search(&split_key(key).0).is_ok();
            let len = path.len();
            path.push('.');
            path.push_str(key);
            self.walk_value(value, path, key, parent, binary, depth + 1);
            path.truncate(len);
        }
    }

    fn walk_value(
        &mut self,
        value: &Value,
        path: &mut String,
        key: &str,
        parent: Option<&str>,
        binary: bool,
        depth: usize,
    ) {
        if self.stopped || depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::String(s) => {
                let ctx = LeafCtx::cached(key, parent);
                // A binary's version resource says who built it, not where it talks to.
                if ctx.pe_meta || (ctx.pe_meta_if_binary && binary) {
                    return;
                }
                self.scan_leaf(s, path, &ctx);
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if self.stopped {
                        return;
                    }
                    let len = path.len();
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                    self.walk_value(item, path, key, parent, binary, depth + 1);
                    path.truncate(len);
                }
            }
            Value::Object(obj) => self.walk_object(obj, path, Some(key), depth),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn scan_leaf(&mut self, s: &str, origin: &str, ctx: &LeafCtx) {
        if let Some(len) = ctx.non_file_hash_len
            && self.note_non_file
            && let Some(h) = canonical_hash(s)
            && h.len() == len
        {
            self.note_non_file_hash(&h);
        }
        // An all-digit value under a user key is a count or an id, not a name.
        if ctx.user
            && !s.trim().bytes().all(|b| b.is_ascii_digit())
            && let Some(u) = normalise(IocKind::User, s, self.cfg)
        {
            self.add(u, origin);
        }
        if ctx.host
            && let Some(h) = normalise(IocKind::Host, s, self.cfg)
        {
            self.add(h, origin);
        }
        self.scan_text(s, origin, ctx);
    }

    fn scan_text(&mut self, raw: &str, origin: &str, ctx: &LeafCtx) {
        if raw.len() < 3 || self.stopped {
            return;
        }
        let refanged = refang(raw);
        let text: &str = &refanged;
        let mut seen = Seen::new();
        // Spans of URLs and e-mail addresses, in order and disjoint.
        let mut taken: Vec<Range<usize>> = Vec::new();
        if text.contains("://") {
            self.scan_urls(text, origin, ctx, &mut taken, &mut seen);
        }
        if text.contains('@') && !ctx.message_id {
            self.scan_emails(text, origin, &mut taken, &mut seen);
        }
        taken.sort_by_key(|r| r.start);
        let mut v6_spans: Vec<Range<usize>> = Vec::new();
        if text.contains(':') {
            self.scan_ipv6(text, origin, &mut v6_spans, &mut seen);
        }
        if !ctx.version && text.contains('.') {
            self.scan_ipv4(text, origin, &v6_spans, &mut seen);
        }
        if !ctx.no_hash && text.len() >= 32 {
            self.scan_hashes(text, origin, ctx.hash_list, &taken, &mut seen);
        }
        if !ctx.no_domain && text.contains('.') {
            self.scan_domains(text, origin, ctx, &taken, &mut seen);
        }
    }

    fn scan_urls<'t>(
        &mut self,
        text: &'t str,
        origin: &str,
        ctx: &LeafCtx,
        taken: &mut Vec<Range<usize>>,
        seen: &mut Seen<'t>,
    ) {
        for m in lex::urls(text).map(Found::in_text(text)) {
            let cand = trim_url_tail(m.as_str());
            let span = m.start()..m.start() + cand.len();
            match seen.get(&(Pass::Url, cand)) {
                Some(true) => taken.push(span),
                Some(false) => {}
                None => {
                    let found = url_ioc(cand, false, self.cfg);
                    seen.insert((Pass::Url, cand), found.is_some());
                    let Some((url, host)) = found else {
                        continue;
                    };
                    taken.push(span);
                    if ctx.xmlns || is_xmlns_value(&text[..m.start()]) {
                        continue;
                    }
                    if self.add(url, origin) {
                        self.add(host, origin);
                    }
                }
            }
            if self.stopped {
                return;
            }
        }
    }

    fn scan_emails<'t>(
        &mut self,
        text: &'t str,
        origin: &str,
        taken: &mut Vec<Range<usize>>,
        seen: &mut Seen<'t>,
    ) {
        let urls = taken.len();
        for m in lex::emails(text).map(Found::in_text(text)) {
            let mut start = m.start();
            let bytes = text.as_bytes();
            while start < m.end() && bytes[start] == b'.' {
                start += 1;
            }
            let r = start..m.end();
            // `krbtgt/CORP.LOCAL@CORP.LOCAL` is a Kerberos principal.
            if overlapping(&taken[..urls], &r) || text[..r.start].ends_with('/') {
                continue;
            }
            let cand = &text[r.clone()];
            match seen.get(&(Pass::Email, cand)) {
                Some(true) => taken.push(r),
                Some(false) => {}
                None => {
                    let found = normalise_email(cand, self.cfg);
                    seen.insert((Pass::Email, cand), found.is_some());
                    if let Some(e) = found {
                        taken.push(r);
                        self.add(e, origin);
                    }
                }
            }
            if self.stopped {
                return;
            }
        }
    }

    fn scan_ipv6<'t>(
        &mut self,
        text: &'t str,
        origin: &str,
        spans: &mut Vec<Range<usize>>,
        seen: &mut Seen<'t>,
    ) {
        for m in lex::ipv6_candidates(text).map(Found::in_text(text)) {
            let mut cand = m.as_str().trim_end_matches('.');
            if cand.ends_with(':') && !cand.ends_with("::") {
                cand = &cand[..cand.len() - 1];
            }
            let r = m.start()..m.start() + cand.len();
            if !bounded(text, &r, |c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            match seen.get(&(Pass::Ipv6, cand)) {
                Some(true) => {
                    spans.push(r);
                    continue;
                }
                Some(false) => continue,
                None => {
                    seen.insert((Pass::Ipv6, cand), false);
                }
            }
            let groups: Vec<&str> = cand.split(':').collect();
            let hex_groups = groups.iter().filter(|g| !g.is_empty()).count();
            if hex_groups < 2 {
                continue;
            }
            let mac_like = !cand.contains("::") && groups.iter().all(|g| g.len() == 2);
            if mac_like {
                continue;
            }
            if let Some(ip) = parse_ipv6(cand) {
                seen.insert((Pass::Ipv6, cand), true);
                spans.push(r);
                if !self.add(ip_ioc(IpAddr::V6(ip)), origin) {
                    return;
                }
            }
        }
    }

    fn scan_ipv4<'t>(
        &mut self,
        text: &'t str,
        origin: &str,
        v6_spans: &[Range<usize>],
        seen: &mut Seen<'t>,
    ) {
        for m in lex::dotted_numbers(text).map(Found::in_text(text)) {
            let r = m.range();
            if m.as_str().split('.').count() != 4 {
                continue;
            }
            let before = &text[..r.start];
            let prev = before.chars().next_back();
            let next = text[r.end..].chars().next();
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                || next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            // `10.30.0.0/22` is a network, not a host address.
            if next == Some('/')
                && text[r.end + 1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            {
                continue;
            }
            if next == Some('.')
                && text[r.end + 1..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            // `Chrome/120.0.0.0` is a product version, `http://1.2.3.4` an address.
            if prev == Some('/')
                && before[..before.len() - 1]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            let word_before = tail(before, 16).trim_end_matches([' ', '\t', ':', '=']);
            if VERSION_WORDS
                .iter()
                .any(|w| ends_with_word_ci(word_before, w))
            {
                continue;
            }
            if overlapping(v6_spans, &r) || seen.insert((Pass::Ipv4, m.as_str()), true).is_some() {
                continue;
            }
            let Some(ip) = parse_ipv4_strict(m.as_str()) else {
                continue;
            };
            if !self.add(ip_ioc(IpAddr::V4(ip)), origin) {
                return;
            }
        }
    }

    /// `hash_list`: `text` is a structured hash list, whose labelled non-file hashes are
    /// noted (free text, a command line, is not: `--ja3=<x>` says nothing of `<x>`).
    fn scan_hashes<'t>(
        &mut self,
        text: &'t str,
        origin: &str,
        hash_list: bool,
        taken: &[Range<usize>],
        seen: &mut Seen<'t>,
    ) {
        // The path of the last URL span a run was found in.
        let mut url_path = None;
        for m in lex::hex_runs(text, 32).map(Found::in_text(text)) {
            let r = m.range();
            let Some(kind) = hash_kind(r.len()) else {
                continue;
            };
            if !bounded(text, &r, |c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let before = &text[..r.start];
            let after = &text[r.end..];
            if before.ends_with('{') && after.starts_with('}') {
                continue;
            }
            let label = label_before(before);
            let s = m.as_str();
            // `IMPHASH=<32 digits>` is no file's hash; a 40- or 64-digit value next to that
            // label is not an import hash at all, and goes on as any other.
            if non_file_hash_len(label) == Some(Some(r.len())) {
                if hash_list {
                    self.note_non_file_hash(s);
                }
                continue;
            }
            // Already handled in this leaf: the checks below read up to a few hundred
            // bytes back, too much to repeat for a value repeated all over a string.
            if seen.contains_key(&(Pass::Hash, s)) {
                continue;
            }
            // In a URL (a git commit in `.../commit/<sha>`, an object key) or an e-mail
            // address, a hex run is part of a name, not a file's content.
            if self.hex_in_url_is_name(text, &r, taken, &mut url_path)
                || joined_to_name(before, after)
                || is_certificate_id(before, label)
            {
                continue;
            }
            let has_digit = s.bytes().any(|b| b.is_ascii_digit());
            let has_letter = s.bytes().any(|b| b.is_ascii_alphabetic());
            if !(has_digit && has_letter) || seen.insert((Pass::Hash, s), true).is_some() {
                continue;
            }
            if let Some(ioc) = hash_ioc(s).filter(|h| h.kind == kind)
                && !self.add(ioc, origin)
            {
                return;
            }
        }
    }

    /// The hex run `r` names something in a URL or an e-mail address (a git commit, an
    /// object key) rather than a file's content: it is inside one of `taken`, or in the
    /// path of a URL written without a scheme, and is not a file's name in a URL's path
    /// ([`is_file_name_segment`]). `url_path` remembers the path of the last span looked
    /// at (span start, path), so a long URL full of hex runs is read once.
    fn hex_in_url_is_name(
        &self,
        text: &str,
        r: &Range<usize>,
        taken: &[Range<usize>],
        url_path: &mut Option<(usize, Range<usize>)>,
    ) -> bool {
        let before = &text[..r.start];
        let i = taken.partition_point(|s| s.end <= r.start);
        if let Some(span) = taken.get(i).filter(|s| s.start < r.end) {
            if span.start > r.start || r.end > span.end {
                return true;
            }
            let path = match url_path {
                Some((start, path)) if *start == span.start => path.clone(),
                _ => {
                    let path = path_of_url(text, span);
                    *url_path = Some((span.start, path.clone()));
                    path
                }
            };
            let file = path.start < r.start
                && r.end <= path.end
                && before.ends_with('/')
                && is_file_name_segment(&text[r.end..path.end], r.len());
            return !file;
        }
        let Some(token) = self.schemeless_url_before(before) else {
            return false;
        };
        let after = head(&text[r.end..], 32);
        let cut = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ',' | '|' | '?' | '#')
            })
            .unwrap_or(after.len());
        let file = before.ends_with('/')
            && !token.contains(['?', '#'])
            && is_file_name_segment(trim_url_tail(&after[..cut]), r.len());
        !file
    }

    /// The text before a hex run ends a path of a URL written without a scheme
    /// (`github.com/o/r/commit/`): its first `/`-separated piece is a domain name. That
    /// URL up to the run, if so.
    fn schemeless_url_before<'b>(&self, before: &'b str) -> Option<&'b str> {
        let t = tail(before, CERT_CONTEXT);
        let token = &t[token_start(t)..];
        let (host, _) = token.split_once('/')?;
        let (rest, last) = host.rsplit_once('.')?;
        let labels_ok = !rest.is_empty()
            && rest.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let url = labels_ok
            && !last.is_empty()
            && last.bytes().all(|b| b.is_ascii_alphabetic())
            && tld::is_known_tld(&last.to_ascii_lowercase(), self.cfg);
        url.then_some(token)
    }

    fn scan_domains<'t>(
        &mut self,
        text: &'t str,
        origin: &str,
        ctx: &LeafCtx,
        taken: &[Range<usize>],
        seen: &mut Seen<'t>,
    ) {
        for m in lex::dotted_names(text).map(Found::in_text(text)) {
            let mut start = m.start();
            let bytes = text.as_bytes();
            while start < m.end() && matches!(bytes[start], b'-' | b'_') {
                start += 1;
            }
            let r = start..m.end();
            let cand = &text[r.clone()];
            let Some(tld_raw) = cand.rsplit('.').next() else {
                continue;
            };
            let mixed_case = tld_raw.bytes().any(|b| b.is_ascii_uppercase())
                && tld_raw.bytes().any(|b| b.is_ascii_lowercase());
            if mixed_case {
                continue;
            }
            let tld_shaped = tld_raw.bytes().all(|b| b.is_ascii_alphabetic())
                || tld_raw
                    .get(..4)
                    .is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
            if !tld_shaped {
                continue;
            }
            let tld = tld_raw.to_ascii_lowercase();
            if !tld::is_known_tld(&tld, self.cfg) {
                continue;
            }
            if overlapping(taken, &r) {
                continue;
            }
            let before = &text[..r.start];
            let prev = before.chars().next_back();
            let next = text[r.end..].chars().next();
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '$')
                || next.is_some_and(|c| c.is_alphanumeric() || c == '(')
            {
                continue;
            }
            let labels = cand.split('.').count();
            if labels == 2
                && cand.split('.').next().is_some_and(|first| {
                    FIELD_NAMESPACES
                        .iter()
                        .any(|n| first.eq_ignore_ascii_case(n))
                })
            {
                continue;
            }
            if tld::is_file_extension_tld(&tld) && !is_network_position(before) {
                let after_sep = matches!(prev, Some('\\' | '/'));
                let host_like_tail = matches!(next, Some('/'))
                    || (next == Some(':')
                        && text[r.end + 1..].starts_with(|c: char| c.is_ascii_digit()));
                if after_sep || ctx.file || (ctx.command && labels == 2 && !host_like_tail) {
                    continue;
                }
            }
            if is_concat_fragment(text, &r) || seen.insert((Pass::Domain, cand), true).is_some() {
                continue;
            }
            if let Some(ioc) = domain_ioc(cand, self.cfg)
                && !self.add(ioc, origin)
            {
                return;
            }
        }
    }
}

/// A loopback address (`127.0.0.0/8`, `::1`, and IPv4-mapped forms of them).
fn is_loopback(ioc: &Ioc) -> bool {
    ioc.kind.is_ip()
        && ioc
            .value
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The word labelling a value: the last run of ASCII letters and digits before it, past
/// `=`, `:`, blanks and quotes (`IMPHASH=`, `-Thumbprint '`).
fn label_before(before: &str) -> &str {
    tail(before, 32)
        .trim_end_matches(['=', ':', ' ', '\t', '"', '\''])
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("")
}

fn is_non_file_hash_label(label: &str) -> bool {
    non_file_hash_len(label).is_some()
}

/// For a label in [`NON_FILE_HASH_LABELS`] (any case), how many hex digits its hashes have
/// when as many as a file hash's (`Some(Some(32))` for `imphash`, `ja3`, ...); `Some(None)`
/// for those never 32, 40 or 64 digits long (`jarm`, `tlsh`); `None` for other words.
fn non_file_hash_len(label: &str) -> Option<Option<usize>> {
    NON_FILE_HASH_LABELS
        .iter()
        .find(|(l, _)| label.eq_ignore_ascii_case(l))
        .map(|&(_, len)| len)
}

/// A declared value written `IMPHASH=<hex>` / `ja3:<hex>`.
fn has_non_file_hash_label(raw: &str) -> bool {
    raw.trim()
        .split_once(['=', ':'])
        .is_some_and(|(label, _)| is_non_file_hash_label(label.trim()))
}

/// Algorithm names that label a file hash even when joined by `-` (`sha256-<hex>`).
const FILE_HASH_LABELS: &[&str] = &["md5", "sha1", "sha256", "hash"];

/// A hex run joined by `-` to a word on either side (`cli-<sha>`, `<sha>-build`) is part
/// of a name (a folder or package named after a commit), unless the word is a hash
/// algorithm labelling it.
fn joined_to_name(before: &str, after: &str) -> bool {
    let mut b = before.chars().rev();
    if b.next() == Some('-') && b.next().is_some_and(char::is_alphanumeric) {
        let word = before[..before.len() - 1]
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        if !FILE_HASH_LABELS
            .iter()
            .any(|l| word.eq_ignore_ascii_case(l))
        {
            return true;
        }
    }
    let mut a = after.chars();
    a.next() == Some('-') && a.next().is_some_and(char::is_alphanumeric)
}

/// Label words (matched at the end of the label, any case) of certificate ids.
const CERT_ID_WORDS: &[&str] = &["thumbprint", "serial", "serialnumber", "certhash"];
/// `certutil` verbs whose arguments include a certificate serial number or thumbprint,
/// and which no other common tool uses.
const CERTUTIL_ID_VERBS: &[&str] = &[
    "exportpfx",
    "delstore",
    "repairstore",
    "viewstore",
    "viewdelstore",
    "verifystore",
];
/// `certutil` verbs taking a serial number or thumbprint whose names other tools use too:
/// they count only in a command that names `certutil`.
const CERTUTIL_SHARED_VERBS: &[&str] = &["store", "revoke", "getkey"];

/// The text before a hex run makes it a certificate's serial number or thumbprint (a
/// SHA-1 of the certificate, not of a file): a `serial`/`thumbprint` label, a path on
/// PowerShell's `Cert:` drive, or an argument of a `certutil` store verb in the same
/// command (`certutil -exportPFX my <serial> out.pfx`).
fn is_certificate_id(before: &str, label: &str) -> bool {
    let lower_ends = |w: &str| {
        label
            .len()
            .checked_sub(w.len())
            .and_then(|cut| label.get(cut..))
            .is_some_and(|t| t.eq_ignore_ascii_case(w))
    };
    if CERT_ID_WORDS.iter().any(|w| lower_ends(w)) {
        return true;
    }
    let t = tail(before, CERT_CONTEXT);
    let segment = &t[t.rfind(['|', '&', ';', '\n', '\r']).map_or(0, |i| i + 1)..];
    let token = &segment[token_start(segment)..];
    if token
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("cert:"))
    {
        return true;
    }
    let mut shared = false;
    for word in segment.split_whitespace() {
        let Some(verb) = word.trim_matches(['"', '\'']).strip_prefix(['-', '/']) else {
            continue;
        };
        if CERTUTIL_ID_VERBS
            .iter()
            .any(|v| verb.eq_ignore_ascii_case(v))
        {
            return true;
        }
        shared |= CERTUTIL_SHARED_VERBS
            .iter()
            .any(|v| verb.eq_ignore_ascii_case(v));
    }
    shared && segment.to_ascii_lowercase().contains("certutil")
}

/// The path of the URL at `span` of `text`: from the `/` after its authority up to its
/// query or fragment; empty (at the span's end) when it has none, or is no URL (an e-mail
/// address).
fn path_of_url(text: &str, span: &Range<usize>) -> Range<usize> {
    let url = &text[span.clone()];
    let none = span.end..span.end;
    let Some(auth) = url.find("://").map(|i| i + 3) else {
        return none;
    };
    let Some(slash) = url[auth..].find('/').map(|i| auth + i) else {
        return none;
    };
    let end = url[slash..]
        .find(['?', '#'])
        .map_or(url.len(), |i| slash + i);
    span.start + slash..span.start + end
}

/// Most file extensions after a hex run read by [`is_file_name_segment`] (`.tar.gz`).
const MAX_EXTENSIONS: usize = 3;

/// `rest`, the text after a hex run that starts a URL path segment, up to the end of the
/// path, makes the run a file's name: `<hex>.exe`, `<hex>.tar.gz` (`.` and 1 to 4 letters
/// or digits, ending the segment), or a bare run ending the path (`https://x.example/<md5>`)
/// unless it has 40 digits, a git commit or object id (`github.com/o/r/commit/<sha>`).
fn is_file_name_segment(rest: &str, len: usize) -> bool {
    let mut s = rest;
    let mut ext = false;
    for _ in 0..MAX_EXTENSIONS {
        let Some(t) = s.strip_prefix('.') else {
            break;
        };
        let n = t.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if !(1..=4).contains(&n) {
            break;
        }
        // ASCII bytes: a character boundary.
        s = &t[n..];
        ext = true;
    }
    if ext {
        s.is_empty() || s.starts_with('/')
    } else {
        s.is_empty() && len != 40
    }
}

/// The first `n` bytes of `s` or a little less, cut at a character boundary.
fn head(s: &str, n: usize) -> &str {
    let mut cut = n.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// Where the whitespace- or quote-delimited token ending `text` starts.
fn token_start(text: &str) -> usize {
    text.rfind(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | '(' | ',' | '<' | '>'))
        .map_or(0, |i| i + 1)
}

/// Keys (lower case, without separators) of a binary's version resource that no other
/// record uses: never scanned.
const PE_ONLY_KEYS: &[&str] = &[
    "originalfilename",
    "filedescription",
    "legalcopyright",
    "legaltrademarks",
    "fileversion",
    "productversion",
    "internalname",
];
/// Version-resource keys that are also ordinary fields of alerts (an alert's own
/// `Description`, a Graph alert's `ProductName: "Microsoft Defender for Endpoint"`):
/// version-resource fields only under a `pe` object (ECS `process.pe.company`) or in a
/// binary's object (see [`binary_prefixes`]).
const PE_SHARED_KEYS: &[&str] = &[
    "company",
    "description",
    "product",
    "companyname",
    "productname",
];
/// Sysmon's version-resource keys that, beside one of [`PE_FILE_KEYS`], make an object a
/// binary's.
const PE_VERSION_KEYS: &[&str] = &["originalfilename", "fileversion"];
/// Sysmon's keys naming the file a version resource describes.
const PE_FILE_KEYS: &[&str] = &["image", "imageloaded", "targetfilename"];

/// A key split as [`LeafCtx::new`] reads it: the part before its last `.` (empty when
/// there is none), and its last part.
fn split_key(key: &str) -> (&str, &str) {
    match key.rsplit_once('.') {
        Some((p, k)) if !k.is_empty() => (p, k),
        _ => ("", key),
    }
}

/// `key` is `want` (lower case, no separators), ignoring case and separators; no
/// allocation, as this runs on every key of every object.
fn squashed_eq(key: &str, want: &str) -> bool {
    let mut got = key
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase());
    want.bytes().all(|w| got.next() == Some(w)) && got.next().is_none()
}

/// The key prefixes (see [`split_key`]; `""` for plain keys) under which `obj` describes a
/// binary: one of [`PE_VERSION_KEYS`] beside one of [`PE_FILE_KEYS`] with the same
/// prefix. Sorted; empty (no allocation) for almost every object.
fn binary_prefixes(obj: &Map<String, Value>) -> Vec<&str> {
    let mut version: Vec<&str> = Vec::new();
    let mut file: Vec<&str> = Vec::new();
    for key in obj.keys() {
        let (prefix, last) = split_key(key);
        if !(5..=40).contains(&last.len()) {
            continue;
        }
        if PE_VERSION_KEYS.iter().any(|w| squashed_eq(last, w)) {
            version.push(prefix);
        } else if PE_FILE_KEYS.iter().any(|w| squashed_eq(last, w)) {
            file.push(prefix);
        }
    }
    if version.is_empty() || file.is_empty() {
        return Vec::new();
    }
    version.sort_unstable();
    version.dedup();
    file.sort_unstable();
    file.dedup();
    version.retain(|p| file.binary_search(p).is_ok());
    version
}

/// Words after which a dotted quad is a version number.
const VERSION_WORDS: &[&str] = &["version", "ver", "build", "release", "firmware", "rev"];

/// Labels of hex values that are not file hashes, with the number of hex digits of such a
/// value when it could pass for a file hash: import hashes and the JA3/HASSH fingerprints
/// are MD5s (32). A JARM has 62, a TLSH 70 or 72, JA4 and ssdeep are not one hex run.
const NON_FILE_HASH_LABELS: &[(&str, Option<usize>)] = &[
    ("imphash", Some(32)),
    ("ja3", Some(32)),
    ("ja3s", Some(32)),
    ("ja4", None),
    ("jarm", None),
    ("hassh", Some(32)),
    ("hasshserver", Some(32)),
    ("tlsh", None),
    ("ssdeep", None),
];

/// First labels of two-label dotted words that are field paths or code, not names
/// (`user.name`, `event.id`, `process.run`).
const FIELD_NAMESPACES: &[&str] = &[
    "agent",
    "app",
    "args",
    "client",
    "cloud",
    "config",
    "console",
    "data",
    "destination",
    "dns",
    "document",
    "dst",
    "event",
    "file",
    "host",
    "http",
    "item",
    "json",
    "log",
    "math",
    "network",
    "obj",
    "object",
    "observer",
    "os",
    "params",
    "process",
    "registry",
    "req",
    "request",
    "res",
    "response",
    "result",
    "rule",
    "self",
    "server",
    "service",
    "settings",
    "source",
    "src",
    "string",
    "sys",
    "system",
    "this",
    "threat",
    "url",
    "user",
    "window",
    "winlog",
];

/// Key tokens that say the value is a file or path.
const FILE_TOKENS: &[&str] = &[
    "file",
    "files",
    "filename",
    "filenames",
    "filepath",
    "path",
    "paths",
    "image",
    "process",
    "parent",
    "exe",
    "executable",
    "dll",
    "attachment",
    "attachments",
    "directory",
    "dir",
    "folder",
    "module",
];
/// Key tokens that say the value is a command line.
const COMMAND_TOKENS: &[&str] = &[
    "command",
    "commandline",
    "cmdline",
    "cmd",
    "args",
    "argv",
    "arguments",
];
/// Key tokens that say a hex value is an identifier, not a file hash.
const NO_HASH_TOKENS: &[&str] = &[
    "id",
    "guid",
    "uuid",
    "session",
    "sessionid",
    "token",
    "nonce",
    "trace",
    "traceid",
    "span",
    "spanid",
    "correlation",
    "cookie",
    "secret",
    "signature",
    "key",
    "apikey",
    "password",
    "thumbprint",
    "serial",
    "imphash",
    "ja3",
    "ja3s",
    "ja4",
    "jarm",
    "hassh",
    "tlsh",
    "ssdeep",
];
/// Keys (lower case, without `_`, `-`, `.`) holding a user name.
const USER_KEYS: &[&str] = &[
    "user",
    "username",
    "usernames",
    "usernamestried",
    "targetusername",
    "subjectusername",
    "parentuser",
    "accountname",
    "samaccountname",
    "targetuser",
    "srcuser",
    "sourceuser",
    "dstuser",
    "destuser",
    "destinationuser",
];
/// Keys (lower case, without `_`, `-`, `.`) holding a host name.
const HOST_KEYS: &[&str] = &[
    "hostname",
    "computer",
    "computername",
    "workstationname",
    "srchost",
    "sourcehost",
    "dsthost",
    "desthost",
    "destinationhost",
];

/// Parents (lower case, without separators; `""` for the top level) under which a `host`
/// or `hostname` key names the host the event happened on: the top level, ECS `host`,
/// the collecting `agent`, the reporting `observer`, and event wrappers.
const OWN_HOST_PARENTS: &[&str] = &["", "host", "agent", "observer", "event", "events"];

/// Most key contexts remembered per thread before the memo starts afresh (keys are alert
/// content: a flood of distinct ones only costs recomputation).
const LEAF_CTX_MEMO: usize = 4096;

/// Longest key plus parent remembered (bytes): real field names are short, and a bound
/// keeps the memo's memory small whatever keys alerts carry.
const LEAF_CTX_MEMO_KEY: usize = 128;

/// Key contexts by parent key (`""` for none), then key, and how many there are.
type LeafCtxMemo = (usize, HashMap<String, HashMap<String, LeafCtx>>);

thread_local! {
    /// Alerts of one source repeat the same keys, and working a context out takes a few
    /// allocations.
    static LEAF_CTX: std::cell::RefCell<LeafCtxMemo> = std::cell::RefCell::new((0, HashMap::new()));
}

impl LeafCtx {
    /// [`LeafCtx::new`], remembered per thread. A parent of `None` and of `Some("")` give
    /// the same context, so they share an entry.
    fn cached(key: &str, parent: Option<&str>) -> Self {
        let p = parent.unwrap_or("");
        if key.len() + p.len() > LEAF_CTX_MEMO_KEY {
            return Self::new(key, parent);
        }
        LEAF_CTX.with(|memo| {
            let mut memo = memo.borrow_mut();
            if let Some(ctx) = memo.1.get(p).and_then(|m| m.get(key)) {
                return *ctx;
            }
            let ctx = Self::new(key, parent);
            if memo.0 >= LEAF_CTX_MEMO {
                *memo = (0, HashMap::new());
            }
            memo.0 += 1;
            memo.1
                .entry(p.to_owned())
                .or_default()
                .insert(key.to_owned(), ctx);
            ctx
        })
    }

    /// The context of a string leaf under `key` (for array items, the array's key), inside
    /// an object under `parent`. Flattened keys (`user.name`) are split at their last dot.
    fn new(key: &str, parent: Option<&str>) -> Self {
        let (parent, key) = match key.rsplit_once('.') {
            Some((p, k)) if !k.is_empty() => (Some(p.rsplit('.').next().unwrap_or(p)), k),
            _ => (parent, key),
        };
        let tokens = key_tokens(key);
        let joined = squash(key);
        let parent_joined = parent.map(squash).unwrap_or_default();
        let generic_leaf = matches!(joined.as_str(), "name" | "value" | "original" | "full");
        let parent_tokens = parent.map(key_tokens).unwrap_or_default();
        let has = |list: &[&str], toks: &[String]| toks.iter().any(|t| list.contains(&t.as_str()));
        let command = has(COMMAND_TOKENS, &tokens)
            || joined.contains("commandline")
            || joined.contains("cmdline");
        let file_key = has(FILE_TOKENS, &tokens)
            || [
                "filename",
                "filepath",
                "path",
                "image",
                "directory",
                "folder",
            ]
            .iter()
            .any(|s| joined.ends_with(s));
        let user =
            USER_KEYS.contains(&joined.as_str()) || (joined == "name" && parent_joined == "user");
        let host = HOST_KEYS.contains(&joined.as_str())
            || joined == "host"
            || (joined == "name" && parent_joined == "host");
        // The Windows event's `Computer` (Winlogbeat `computer_name`) is where it was
        // logged; `host`/`hostname` are that host at the top level or under the objects
        // describing it, but the server asked for under `http`, `tls`, `destination` ...
        let own_host = host
            && (matches!(joined.as_str(), "computer" | "computername")
                || (joined == "name" && parent_joined == "host")
                || (matches!(joined.as_str(), "host" | "hostname")
                    && OWN_HOST_PARENTS.contains(&parent_joined.as_str())));
        let pe_shared = PE_SHARED_KEYS.contains(&joined.as_str());
        LeafCtx {
            user,
            host,
            own_host,
            pe_meta: PE_ONLY_KEYS.contains(&joined.as_str())
                || (pe_shared && parent_joined == "pe"),
            pe_meta_if_binary: pe_shared,
            non_file_hash_len: tokens.iter().find_map(|t| non_file_hash_len(t).flatten()),
            hash_list: matches!(joined.as_str(), "hashes" | "hash"),
            file: !command && (file_key || (generic_leaf && has(FILE_TOKENS, &parent_tokens))),
            command,
            message_id: joined.contains("messageid") || joined == "msgid",
            no_domain: user || own_host || joined.ends_with("dataset"),
            xmlns: key.to_ascii_lowercase().starts_with("xmlns"),
            no_hash: has(NO_HASH_TOKENS, &tokens),
            version: joined.contains("version"),
        }
    }
}

/// Lower-case words of a key: split at non-alphanumerics and at lower→upper case changes
/// (`TargetFilename` → `target`, `filename`).
fn key_tokens(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A key in lower case without separators (`Target_User-Name` → `targetusername`).
fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Strips trailing punctuation that is almost never part of a URL.
fn trim_url_tail(mut s: &str) -> &str {
    // Unbalanced-bracket counts, kept up to date while stripping (no rescans).
    let count = |open: char, close: char| {
        s.chars().fold(0i64, |n, c| {
            n + i64::from(c == close) - i64::from(c == open)
        })
    };
    let mut parens = count('(', ')');
    let mut squares = count('[', ']');
    while let Some(last) = s.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '*' => true,
            ')' => parens > 0,
            ']' => squares > 0,
            _ => false,
        };
        if !strip {
            break;
        }
        match last {
            ')' => parens -= 1,
            ']' => squares -= 1,
            _ => {}
        }
        s = &s[..s.len() - last.len_utf8()];
    }
    s
}

/// The text before a candidate ends a UNC (`\\host`) or protocol-relative (`//host`)
/// prefix that itself starts the string or follows a space, quote, `=`, `(`, `,`, `>` or
/// `:` (`smb://host`).
fn is_network_position(before: &str) -> bool {
    let Some(rest) = before
        .strip_suffix("\\\\")
        .or_else(|| before.strip_suffix("//"))
    else {
        return false;
    };
    rest.chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | '(' | ',' | '>' | ':'))
}

/// The text before a URL ends an XML namespace attribute (`xmlns="`, `xmlns:x='`).
fn is_xmlns_value(before: &str) -> bool {
    let b = before.strip_suffix(['"', '\'']).unwrap_or(before);
    let Some(b) = b.strip_suffix('=') else {
        return false;
    };
    let start = b
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_')))
        .map_or(0, |i| i + 1);
    b.get(start..)
        .and_then(|attr| attr.get(..5))
        .is_some_and(|p| p.eq_ignore_ascii_case("xmlns"))
}

/// The candidate starts a quoted piece of a string concatenation (`'s.com'+'/'`,
/// `+'bmit.com/'`): obfuscated code whose pieces are not names.
fn is_concat_fragment(text: &str, r: &Range<usize>) -> bool {
    let before = &text[..r.start];
    let Some(q) = before
        .chars()
        .next_back()
        .filter(|c| matches!(c, '\'' | '"'))
    else {
        return false;
    };
    if before[..before.len() - 1].trim_end().ends_with('+') {
        return true;
    }
    let after = &text[r.end..];
    after
        .char_indices()
        .take(256)
        .find(|&(_, c)| c == q || c.is_whitespace())
        .filter(|&(_, c)| c == q)
        .is_some_and(|(i, _)| after[i + 1..].trim_start().starts_with('+'))
}

/// No character satisfying `word` touches `r` on either side.
fn bounded(text: &str, r: &Range<usize>, word: impl Fn(char) -> bool) -> bool {
    let prev = text[..r.start].chars().next_back();
    let next = text[r.end..].chars().next();
    !prev.is_some_and(&word) && !next.is_some_and(&word)
}

/// Whether `r` overlaps any of the sorted, disjoint `spans`.
fn overlapping(spans: &[Range<usize>], r: &Range<usize>) -> bool {
    let i = spans.partition_point(|s| s.end <= r.start);
    spans.get(i).is_some_and(|s| s.start < r.end)
}

/// The last `n` bytes of `s` or a little more, cut at a character boundary.
fn tail(s: &str, n: usize) -> &str {
    let mut cut = s.len().saturating_sub(n);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[cut..]
}

/// `s` ends with the whole word `word`, ignoring ASCII case.
fn ends_with_word_ci(s: &str, word: &str) -> bool {
    let Some(cut) = s.len().checked_sub(word.len()) else {
        return false;
    };
    s.get(cut..).is_some_and(|t| t.eq_ignore_ascii_case(word))
        && !s[..cut]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod leaf_ctx_tests {
    use super::LeafCtx;

    #[test]
    fn remembered_contexts_equal_fresh_ones() {
        let keys = [
            "CommandLine",
            "TargetFilename",
            "user.name",
            "name",
            "host",
            "SourceHostname",
            "message_id",
            "xmlns",
            "event.dataset",
            "agent_version",
            "sha256",
            "value",
            "",
            "Image",
            "ParentImage",
            "url",
            "a.b.c",
            "Company",
            "Description",
            "OriginalFileName",
            "computer",
            "hostname",
            "Imphash",
            "Thumbprint",
        ];
        let long_key = format!("{}_user", "x".repeat(200));
        let keys: Vec<&str> = keys.iter().copied().chain([long_key.as_str()]).collect();
        let parents = [
            None,
            Some(""),
            Some("user"),
            Some("file"),
            Some("process"),
            Some("host"),
            Some("pe"),
            Some("http"),
        ];
        // Twice: the second round is answered from the memo.
        for _ in 0..2 {
            for &k in &keys {
                for p in parents {
                    assert_eq!(
                        LeafCtx::cached(k, p),
                        LeafCtx::new(k, p),
                        "{k:?} under {p:?}"
                    );
                }
            }
        }
    }
}
