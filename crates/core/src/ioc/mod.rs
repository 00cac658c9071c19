//! Typed indicators of compromise: normalisation, extraction and scoping.
//!
//! - [`normalise`] turns one raw string of a known kind into its canonical form
//!   (refanged, lower-case domains, canonical IPv6, lower-case hex hashes ...).
//! - [`extract`] collects indicators from an alert: its declared `indicators` and every
//!   string in `raw_log`, deduplicated in first-seen order, each with where it was found.
//! - [`scope_ip`] / [`scope_domain`] say whether an indicator is internal, reserved
//!   (documentation, test, special-purpose) or external.

mod extract;
mod lex;
mod normalise;
mod punycode;
mod scope;
#[cfg(test)]
mod tests;
mod tld;

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use extract::{extract, extract_text};
pub use normalise::{classify, normalise, refang, url_host};
pub use scope::{scope_domain, scope_ip};

/// Kinds of indicator.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum IocKind {
    /// IPv4 address.
    Ipv4,
    /// IPv6 address (canonical RFC 5952 text).
    Ipv6,
    /// Domain name (lower case, no trailing dot).
    Domain,
    /// URL (refanged; scheme and host lower case).
    Url,
    /// MD5 hash (lower-case hex).
    Md5,
    /// SHA-1 hash (lower-case hex).
    Sha1,
    /// SHA-256 hash (lower-case hex).
    Sha256,
    /// E-mail address (domain part lower case).
    Email,
    /// User or account name.
    User,
    /// Host name.
    Host,
}

impl IocKind {
    /// The lower-case name used in output and cache keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Email => "email",
            Self::User => "user",
            Self::Host => "host",
        }
    }

    /// IPv4 or IPv6.
    pub fn is_ip(self) -> bool {
        matches!(self, Self::Ipv4 | Self::Ipv6)
    }

    /// MD5, SHA-1 or SHA-256.
    pub fn is_hash(self) -> bool {
        matches!(self, Self::Md5 | Self::Sha1 | Self::Sha256)
    }
}

impl fmt::Display for IocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an indicator lives relative to the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Inside the organisation: RFC 1918, loopback, link-local, CGNAT, unique-local IPv6,
    /// configured internal domain suffixes, bare host names.
    Internal,
    /// Documentation, test or special-purpose space (RFC 5737, RFC 3849, RFC 2606
    /// names, multicast, unspecified, broadcast ...): never a real external party.
    Reserved,
    /// Everything else: the public internet.
    External,
}

impl Scope {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Reserved => "reserved",
            Self::External => "external",
        }
    }
}

/// One normalised indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Ioc {
    /// Kind.
    pub kind: IocKind,
    /// Canonical value.
    pub value: String,
    /// Scope, for network indicators (IPs, domains, URLs, e-mail addresses, hosts);
    /// `None` for hashes and users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
}

/// An indicator and where in the alert it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FoundIoc {
    /// The indicator.
    #[serde(flatten)]
    pub ioc: Ioc,
    /// Paths it was found at (`indicators.ips[0]`, `raw_log.aggregation.src_ip`, ...),
    /// at most [`MAX_ORIGINS`].
    pub origins: Vec<String>,
}

/// Most origins kept per indicator.
pub const MAX_ORIGINS: usize = 5;

/// Extraction settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IocConfig {
    /// Domain suffixes that are internal to the organisation (lower case, with or without
    /// the leading dot). Default: `.internal`, `.corp`, `.local`, `.lan`, `.intranet`,
    /// `.home.arpa`.
    pub internal_domain_suffixes: Vec<String>,
    /// Most indicators kept per alert; extraction stops there and says so. Default 10,000.
    pub max_indicators: usize,
}

impl Default for IocConfig {
    fn default() -> Self {
        Self {
            internal_domain_suffixes: [
                ".internal",
                ".corp",
                ".local",
                ".lan",
                ".intranet",
                ".home.arpa",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect(),
            max_indicators: 10_000,
        }
    }
}

/// The indicators of one alert, deduplicated, in first-seen order (declared ones first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IocSet {
    items: Vec<FoundIoc>,
    index: std::collections::HashMap<(IocKind, String), usize>,
    /// True when extraction stopped at [`IocConfig::max_indicators`].
    pub truncated: bool,
    /// Declared values that were not taken (first 20), with the path they were declared
    /// at and why, as `(value, path, reason)`.
    pub rejected: Vec<(String, String, RejectReason)>,
}

/// Why a declared value was not taken as an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Not a valid indicator of its list's kind, nor of any other kind.
    NotAnIndicator,
    /// A hash the alert's `raw_log` labels as something other than a file's hash (an
    /// import hash `IMPHASH=`, a TLS fingerprint `ja3`, ...): looking it up as an MD5 or
    /// linking alerts on it would be wrong.
    NotAFileHash,
}

impl RejectReason {
    /// A short phrase for output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAnIndicator => "not a valid indicator",
            Self::NotAFileHash => "labelled in raw_log as a hash that is not a file's hash",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl IocSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an indicator found at `origin`; returns false when it was already present (the
    /// origin is then recorded on the existing entry, up to [`MAX_ORIGINS`]).
    pub fn insert(&mut self, ioc: Ioc, origin: impl Into<String>) -> bool {
        let key = (ioc.kind, ioc.value.clone());
        if let Some(&i) = self.index.get(&key) {
            let origins = &mut self.items[i].origins;
            let origin = origin.into();
            if origins.len() < MAX_ORIGINS && !origins.contains(&origin) {
                origins.push(origin);
            }
            return false;
        }
        self.index.insert(key, self.items.len());
        self.items.push(FoundIoc {
            ioc,
            origins: vec![origin.into()],
        });
        true
    }

    /// Every indicator, in order.
    pub fn iter(&self) -> impl Iterator<Item = &FoundIoc> {
        self.items.iter()
    }

    /// Indicators of one kind.
    pub fn of_kind(&self, kind: IocKind) -> impl Iterator<Item = &FoundIoc> {
        self.items.iter().filter(move |f| f.ioc.kind == kind)
    }

    /// Whether `value` (canonical) of `kind` is present.
    pub fn contains(&self, kind: IocKind, value: &str) -> bool {
        self.index.contains_key(&(kind, value.to_owned()))
    }

    /// Number of indicators.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes the indicators `drop` picks and returns them, keeping the order of the
    /// rest.
    pub(crate) fn remove_where(
        &mut self,
        mut drop: impl FnMut(&FoundIoc) -> bool,
    ) -> Vec<FoundIoc> {
        let (gone, kept): (Vec<FoundIoc>, Vec<FoundIoc>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|f| drop(f));
        if !gone.is_empty() {
            self.index = kept
                .iter()
                .enumerate()
                .map(|(i, f)| ((f.ioc.kind, f.ioc.value.clone()), i))
                .collect();
        }
        self.items = kept;
        gone
    }

    /// The indicators as a list for the investigation output.
    pub fn to_vec(&self) -> Vec<FoundIoc> {
        self.items.clone()
    }
}
