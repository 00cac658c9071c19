//! [`Subject`]: what history needs to know about the alert under investigation.
//!
//! # Which indicators count
//!
//! The reference system matches on every string the alert declares in `indicators`
//! (users included). Here the indicators are the alert's [`IocSet`] entries of the kinds
//! an external party can share between alerts: IPv4, IPv6, domains, URLs, MD5/SHA-1/
//! SHA-256 hashes and e-mail addresses, declared or extracted from `raw_log`, of any
//! scope (internal addresses included, as the reference's declared `ips` are). Each is
//! written `kind:value` with the canonical value ([`soc_core::ioc::normalise`]), so
//! `HXXP://Evil[.]com/x` and `http://evil.com/x` are one indicator.
//!
//! Left out, on purpose:
//! - user names: `admin`, `SYSTEM` and service accounts appear in unrelated alerts all day;
//!   as a link they would make every brute-force alert part of one "campaign" and their
//!   index keys would be the hottest in Redis;
//! - hashes of stock system binaries (`wmic.exe`, `certutil.exe` in `System32` under their
//!   own compiled-in name, see `stock.rs`): every host of one Windows build shares them;
//! - host names: they are the host signal (`shared_host:<h>`), which relates alerts in
//!   the correlation window but never makes a prior sighting (the reference rule: "host
//!   alone does not count").
//!
//! At most [`MAX_INDICATORS`] are kept, in the set's order (declared ones first). A value
//! longer than [`MAX_INDICATOR_LEN`] bytes is indexed by a digest (`url:#<32 hex>`) so keys
//! and records stay small; it still matches exactly, and outputs show the full value.

use chrono::{DateTime, Utc};
use soc_core::alert::sha256_hex;
use soc_core::ioc::FoundIoc;
use soc_core::{Alert, IocKind, IocSet, Severity};

use crate::summary::concat;

/// Most indicators kept per subject and per stored record.
pub const MAX_INDICATORS: usize = 64;
/// Most hosts kept per subject.
pub const MAX_HOSTS: usize = 8;
/// Most technique ids kept per subject.
pub const MAX_TECHNIQUES: usize = 32;
/// Longest indicator value (bytes) indexed as itself; longer ones are indexed by digest.
pub const MAX_INDICATOR_LEN: usize = 256;
/// Longest host name (bytes) kept; longer ones are dropped (a truncated name could
/// match a different host).
pub const MAX_HOST_LEN: usize = 255;

/// The alert under investigation, as history sees it.
///
/// Build it with [`Subject::from_alert`], call [`crate::HistoryStore::begin`] with it when
/// the investigation starts, and give the investigation [`Subject::investigation_id`] as
/// its `investigation_id` (a different id still works, see
/// [`crate::HistoryStore::record`]). The fields are public so tests and callers with their
/// own data can build one; every store re-applies the caps and normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The id this investigation will carry (a fresh UUIDv7 from [`Subject::from_alert`]).
    pub investigation_id: String,
    /// The alert's id.
    pub alert_id: String,
    /// The alert's own time: correlation windows are measured on it.
    pub timestamp: DateTime<Utc>,
    /// The alert's title.
    pub title: String,
    /// The alert's source.
    pub source: String,
    /// The alert's severity.
    pub severity: Severity,
    /// Host names, lower case: `raw_log.host` (a string) or `raw_log.host.name`, then the
    /// declared `indicators.hosts`; deduplicated, at most [`MAX_HOSTS`].
    pub hosts: Vec<String>,
    /// Indicators as `kind:value` (see the module docs), at most [`MAX_INDICATORS`].
    pub indicators: Vec<String>,
    /// ATT&CK technique ids (`T1110.001`), for the correlation after-pass; empty before
    /// the techniques are known.
    pub techniques: Vec<String>,
}

impl Subject {
    /// The subject of `alert`, whose indicators `iocs` were extracted from it. A fresh
    /// UUIDv7 becomes the investigation id; techniques start empty.
    pub fn from_alert(alert: &Alert, iocs: &IocSet) -> Self {
        let mut hosts = Vec::new();
        for h in alert
            .host()
            .into_iter()
            .chain(alert.indicators.hosts.iter().map(String::as_str))
        {
            push_host(&mut hosts, h);
        }
        // Walked only when there is a hash to judge.
        let stock = if iocs.iter().any(|f| f.ioc.kind.is_hash()) {
            crate::stock::system_binary_hashes(&alert.raw_log)
        } else {
            Vec::new()
        };
        let mut indicators: Vec<String> = Vec::new();
        for found in iocs.iter() {
            if indicators.len() >= MAX_INDICATORS {
                break;
            }
            if found.ioc.kind.is_hash()
                && stock
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(&found.ioc.value))
            {
                continue;
            }
            let Some(s) = linking_form(found) else {
                continue;
            };
            if !indicators.contains(&s) {
                indicators.push(s);
            }
        }
        Self {
            investigation_id: uuid::Uuid::now_v7().to_string(),
            alert_id: alert.alert_id.clone(),
            timestamp: alert.timestamp,
            title: alert.title.clone(),
            source: alert.source.clone(),
            severity: alert.severity,
            hosts,
            indicators,
            techniques: Vec::new(),
        }
    }

    /// The same subject with these technique ids (normalised, deduplicated, capped).
    #[must_use]
    pub fn with_techniques<I, S>(mut self, techniques: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.techniques = normalise_techniques(techniques);
        self
    }

    /// The same subject with another investigation id.
    #[must_use]
    pub fn with_investigation_id(mut self, id: impl Into<String>) -> Self {
        self.investigation_id = id.into();
        self
    }

    /// The IPv4 addresses among the indicators (after the cap).
    pub fn ipv4s(&self) -> Vec<String> {
        let forms = self.indicator_forms();
        ipv4_values(forms.iter().map(|(f, _)| f.as_str()))
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Hosts after normalisation and the cap.
    pub(crate) fn normalised_hosts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for h in &self.hosts {
            push_host(&mut out, h);
        }
        out
    }

    /// Indicators as stored and indexed: `(form, display value)` pairs, where the form
    /// is `kind:value` or, for long values, `kind:#digest`, and the display value is the
    /// full value without its kind.
    pub(crate) fn indicator_forms(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        for s in &self.indicators {
            if out.len() >= MAX_INDICATORS {
                break;
            }
            let Some(form) = index_form(s) else { continue };
            if out.iter().any(|(f, _)| *f == form) {
                continue;
            }
            let value = s.split_once(':').map_or(s.as_str(), |(_, v)| v);
            out.push((form, value));
        }
        out
    }

    /// Techniques after normalisation and the cap.
    pub(crate) fn normalised_techniques(&self) -> Vec<String> {
        normalise_techniques(&self.techniques)
    }
}

/// `kind:value` of an indicator of a kind that links alerts (see the module docs), or
/// `None` for the other kinds (users, hosts) and empty values. The subject's indicators
/// and the near-duplicate fingerprint's `extracted` ([`crate::fingerprint()`]) both use it.
pub(crate) fn linking_form(found: &FoundIoc) -> Option<String> {
    (indexed_kind(found.ioc.kind) && !found.ioc.value.is_empty())
        .then(|| concat(&[found.ioc.kind.as_str(), ":", &found.ioc.value]))
}

/// Kinds that link alerts (see the module docs).
fn indexed_kind(kind: IocKind) -> bool {
    matches!(
        kind,
        IocKind::Ipv4
            | IocKind::Ipv6
            | IocKind::Domain
            | IocKind::Url
            | IocKind::Md5
            | IocKind::Sha1
            | IocKind::Sha256
            | IocKind::Email
    )
}

/// A host name as history compares it: trimmed and lower case (`DC-01.Corp.Local ` →
/// `dc-01.corp.local`). The subject's hosts and the near-duplicate fingerprint
/// ([`crate::fingerprint()`]) both use it, so one machine is one host everywhere.
pub fn normalise_host(raw: &str) -> String {
    raw.trim().to_lowercase()
}

fn push_host(hosts: &mut Vec<String>, raw: &str) {
    if hosts.len() >= MAX_HOSTS {
        return;
    }
    let h = normalise_host(raw);
    if h.is_empty() || h == "-" || h.len() > MAX_HOST_LEN || h.chars().any(char::is_control) {
        return;
    }
    if !hosts.contains(&h) {
        hosts.push(h);
    }
}

/// The stored form of one `kind:value` indicator, or `None` when it has no kind or no
/// value. Values over [`MAX_INDICATOR_LEN`] bytes become `kind:#<32 hex digits>`.
pub(crate) fn index_form(s: &str) -> Option<String> {
    let (kind, value) = s.split_once(':')?;
    let kind = kind.trim();
    if kind.is_empty()
        || value.is_empty()
        || kind.len() > 16
        || !kind.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    if value.len() > MAX_INDICATOR_LEN {
        let digest = sha256_hex(value.as_bytes());
        Some(format!("{kind}:#{}", &digest[..32]))
    } else {
        Some(concat(&[kind, ":", value]))
    }
}

/// The IPv4 addresses among stored indicator forms (`ipv4:a.b.c.d`).
pub(crate) fn ipv4_values<'a>(forms: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    forms
        .into_iter()
        .filter_map(|f| f.strip_prefix("ipv4:"))
        .collect()
}

/// Normalises technique ids: the leading `T####` or `T####.###` of each entry (free text
/// such as `T1110.001 - Brute Force` is accepted), upper case, deduplicated, capped.
pub(crate) fn normalise_techniques<I, S>(techniques: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for t in techniques {
        if out.len() >= MAX_TECHNIQUES {
            break;
        }
        if let Some(id) = technique_id(t.as_ref())
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

/// `T1110.001 - Brute Force` → `T1110.001`; `t1059` → `T1059`; anything else → `None`.
pub(crate) fn technique_id(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 5 || !b[0].eq_ignore_ascii_case(&b'T') || !b[1..5].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut id = format!("T{}", &s[1..5]);
    if b.len() >= 9 && b[5] == b'.' && b[6..9].iter().all(u8::is_ascii_digit) {
        if b.get(9).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        id.push_str(&s[5..9]);
    } else if b.get(5).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some(id)
}

/// The parent technique (`T1110.001` → `T1110`).
pub(crate) fn parent_technique(id: &str) -> &str {
    id.split_once('.').map_or(id, |(p, _)| p)
}
