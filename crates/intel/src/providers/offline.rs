//! Offline feeds: dated lists of IPs, domains or hashes, looked up in memory.
//!
//! [`OfflineFeeds::embedded`] carries two snapshots compiled into the binary (see
//! `crates/intel/data/feeds/README.md` for sources and licences):
//! - `tor-exit-nodes`: running Tor exit relays (a hit says the source is anonymised);
//! - `threatfox-ioc-ips`: IPv4 addresses from abuse.ch ThreatFox IOCs (cumulative and
//!   noisy, so a hit is weak evidence).
//!
//! Operators add their own lists with [`Feed::load`]: one indicator per line (`#` starts a
//! comment), or CSV with a header naming the indicator column (`ip`, `ipaddr`, `domain`,
//! `sha256`, `indicator`, ...); the other columns are kept as the entry's details.
//!
//! A hit answers "listed in X, as of DATE" with the entry itself; a miss answers that the
//! indicator is not listed, which is absence of data and never a statement of safety.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use soc_core::{Confidence, Ioc, IocKind};

use crate::{IntelError, IntelProvider, IntelRecord, Listing, Reputation};

/// The provider name used in evidence and metrics.
pub const PROVIDER: &str = "offline_feeds";

/// Most entries kept per indicator per feed (a Tor relay address can have several rows).
const MAX_ENTRIES: usize = 5;

/// What a feed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// IPv4 and IPv6 addresses.
    Ip,
    /// Domains (a listed domain also covers its subdomains).
    Domain,
    /// File hashes (MD5, SHA-1, SHA-256).
    Hash,
}

/// Describes a feed: what it is, what a hit means and how much it weighs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSpec {
    /// Short stable name (`tor-exit-nodes`), used in tags and evidence.
    pub name: String,
    /// Human title (`Tor exit relay list`).
    pub title: String,
    /// The file name, as cited in claims.
    pub file: String,
    /// When the snapshot was taken (`2026-08-22`).
    pub as_of: String,
    /// What the feed lists.
    pub kind: FeedKind,
    /// What a hit means, in one sentence (cited after the fact).
    pub meaning: String,
    /// The grade a hit carries.
    pub reputation: Reputation,
    /// The weight of a hit as evidence.
    pub confidence: Confidence,
    /// Machine-readable tag for rules (`tor_exit`).
    pub tag: String,
}

/// One loaded feed.
#[derive(Debug, Clone)]
pub struct Feed {
    spec: FeedSpec,
    entries: HashMap<String, Vec<Value>>,
    skipped: usize,
}

impl Feed {
    /// Parses feed text.
    ///
    /// # Errors
    ///
    /// [`IntelError::Feed`] when the text holds no valid indicator of the feed's kind or a
    /// CSV header names no indicator column.
    pub fn parse(spec: FeedSpec, text: &str) -> Result<Feed, IntelError> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .peekable();
        let mut entries: HashMap<String, Vec<Value>> = HashMap::new();
        let mut skipped = 0usize;
        let header: Option<Vec<String>> = match lines.peek() {
            Some(first)
                if first.contains(',')
                    && canonical(spec.kind, first.split(',').next().unwrap_or("")).is_none() =>
            {
                let h = first
                    .split(',')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .collect();
                lines.next();
                Some(h)
            }
            _ => None,
        };
        let column = match &header {
            Some(h) => Some(
                h.iter()
                    .position(|c| indicator_column(spec.kind, c))
                    .ok_or_else(|| IntelError::Feed {
                        path: spec.file.clone(),
                        reason: format!(
                            "the CSV header `{}` names no indicator column",
                            h.join(",")
                        ),
                    })?,
            ),
            None => None,
        };
        for line in lines {
            let (value, detail) = match (&header, column) {
                (Some(h), Some(col)) => {
                    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
                    let Some(v) = cells.get(col) else {
                        skipped += 1;
                        continue;
                    };
                    let mut detail = Map::new();
                    for (i, c) in cells.iter().enumerate() {
                        if i != col
                            && let Some(name) = h.get(i)
                        {
                            detail.insert(name.clone(), Value::String((*c).to_owned()));
                        }
                    }
                    (*v, Value::Object(detail))
                }
                _ => (
                    line.split(|c: char| c == ',' || c.is_whitespace())
                        .next()
                        .unwrap_or(""),
                    Value::Object(Map::new()),
                ),
            };
            match canonical(spec.kind, value) {
                Some(key) => {
                    let list = entries.entry(key).or_default();
                    if list.len() < MAX_ENTRIES {
                        list.push(detail);
                    }
                }
                None => skipped += 1,
            }
        }
        if entries.is_empty() {
            return Err(IntelError::Feed {
                path: spec.file.clone(),
                reason: "no valid indicator found".to_owned(),
            });
        }
        Ok(Feed {
            spec,
            entries,
            skipped,
        })
    }

    /// Reads and parses a feed file.
    ///
    /// # Errors
    ///
    /// [`IntelError::Feed`] when the file cannot be read or holds no valid indicator.
    pub fn load(spec: FeedSpec, path: &Path) -> Result<Feed, IntelError> {
        let text = std::fs::read_to_string(path).map_err(|e| IntelError::Feed {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Feed::parse(spec, &text)
    }

    /// The feed's description.
    pub fn spec(&self) -> &FeedSpec {
        &self.spec
    }

    /// Number of distinct indicators listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is listed (never the case for a loaded feed).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lines that held no valid indicator.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    fn find(&self, ioc: &Ioc) -> Option<(&str, &[Value])> {
        let kind_ok = match self.spec.kind {
            FeedKind::Ip => ioc.kind.is_ip(),
            FeedKind::Domain => matches!(ioc.kind, IocKind::Domain | IocKind::Host),
            FeedKind::Hash => ioc.kind.is_hash(),
        };
        if !kind_ok {
            return None;
        }
        let key = canonical(self.spec.kind, &ioc.value)?;
        if let Some((k, v)) = self.entries.get_key_value(&key) {
            return Some((k.as_str(), v.as_slice()));
        }
        if self.spec.kind == FeedKind::Domain {
            // A listed domain covers its subdomains.
            let mut rest = key.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                if !parent.contains('.') {
                    break;
                }
                if let Some((k, v)) = self.entries.get_key_value(parent) {
                    return Some((k.as_str(), v.as_slice()));
                }
                rest = parent;
            }
        }
        None
    }
}

fn indicator_column(kind: FeedKind, name: &str) -> bool {
    let common = ["indicator", "ioc", "value"];
    let specific: &[&str] = match kind {
        FeedKind::Ip => &["ip", "ipaddr", "ip_address", "address", "addr"],
        FeedKind::Domain => &["domain", "hostname", "host", "fqdn"],
        FeedKind::Hash => &["hash", "sha256", "sha1", "md5"],
    };
    common.contains(&name) || specific.contains(&name)
}

fn canonical(kind: FeedKind, raw: &str) -> Option<String> {
    let raw = raw.trim().trim_matches('"');
    match kind {
        FeedKind::Ip => raw
            .parse::<IpAddr>()
            .ok()
            .map(|ip| ip.to_canonical().to_string()),
        FeedKind::Domain => {
            let d = raw.trim_end_matches('.').to_ascii_lowercase();
            let ok = d.contains('.')
                && d.len() <= 253
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            ok.then_some(d)
        }
        FeedKind::Hash => {
            let h = raw.to_ascii_lowercase();
            (matches!(h.len(), 32 | 40 | 64) && h.chars().all(|c| c.is_ascii_hexdigit()))
                .then_some(h)
        }
    }
}

/// The offline-feeds provider: every loaded feed, answered from memory.
#[derive(Debug, Clone)]
pub struct OfflineFeeds {
    feeds: Vec<Feed>,
}

const TOR_CSV: &str = include_str!("../../data/feeds/tor-exit-nodes.csv");
const THREATFOX_TXT: &str = include_str!("../../data/feeds/threatfox-ioc-ips.txt");

/// Description of the embedded Tor exit snapshot.
pub fn tor_exit_spec() -> FeedSpec {
    FeedSpec {
        name: "tor-exit-nodes".into(),
        title: "Tor exit relay list".into(),
        file: "tor-exit-nodes.csv".into(),
        as_of: "2026-08-22".into(),
        kind: FeedKind::Ip,
        meaning: "A Tor exit relay anonymises whoever uses it; the listing says the traffic came through Tor, not who sent it, and alone is not proof of malice.".into(),
        reputation: Reputation::Suspicious,
        confidence: Confidence::Medium,
        tag: "tor_exit".into(),
    }
}

/// Description of the embedded ThreatFox IP snapshot.
pub fn threatfox_spec() -> FeedSpec {
    FeedSpec {
        name: "threatfox-ioc-ips".into(),
        title: "abuse.ch ThreatFox IOC IP list".into(),
        file: "threatfox-ioc-ips.txt".into(),
        as_of: "2026-08-22".into(),
        kind: FeedKind::Ip,
        meaning: "ThreatFox listed this address as malware infrastructure at some point; the list is cumulative and includes shared hosting and CDN addresses, so a hit is weak evidence until ownership and age are checked.".into(),
        reputation: Reputation::Suspicious,
        confidence: Confidence::Low,
        tag: "threatfox".into(),
    }
}

impl OfflineFeeds {
    /// The snapshots compiled into the binary.
    ///
    /// # Panics
    ///
    /// Never in practice: the embedded files are parsed by a unit test, so a build whose
    /// snapshots do not parse fails its tests. Should it happen anyway, the feed is left
    /// out rather than panicking.
    pub fn embedded() -> Self {
        let feeds = [
            (tor_exit_spec(), TOR_CSV),
            (threatfox_spec(), THREATFOX_TXT),
        ]
        .into_iter()
        .filter_map(|(spec, text)| Feed::parse(spec, text).ok())
        .collect();
        Self { feeds }
    }

    /// A provider over the given feeds.
    pub fn new(feeds: Vec<Feed>) -> Self {
        Self { feeds }
    }

    /// Adds a feed.
    pub fn push(&mut self, feed: Feed) {
        self.feeds.push(feed);
    }

    /// The loaded feeds.
    pub fn feeds(&self) -> &[Feed] {
        &self.feeds
    }

    /// Looks an indicator up in every feed, synchronously.
    pub fn check(&self, ioc: &Ioc) -> IntelRecord {
        let mut listings = Vec::new();
        let mut sentences = Vec::new();
        let mut tags = Vec::new();
        let mut reputation = Reputation::NoData;
        let mut confidence = Confidence::Low;
        let mut checked = Vec::new();
        for feed in &self.feeds {
            let spec = &feed.spec;
            let applies = match spec.kind {
                FeedKind::Ip => ioc.kind.is_ip(),
                FeedKind::Domain => matches!(ioc.kind, IocKind::Domain | IocKind::Host),
                FeedKind::Hash => ioc.kind.is_hash(),
            };
            if !applies {
                continue;
            }
            checked.push(json!({"feed": spec.name, "as_of": spec.as_of, "entries": feed.len()}));
            let Some((key, entries)) = feed.find(ioc) else {
                continue;
            };
            let described: Vec<String> = entries
                .iter()
                .map(describe_entry)
                .filter(|s| !s.is_empty())
                .collect();
            let entry_text = if described.is_empty() {
                format!("entry `{key}`")
            } else {
                described.join("; ")
            };
            let via = if key == ioc.value {
                String::new()
            } else {
                format!(" (as `{key}`)")
            };
            sentences.push(format!(
                "{} is listed in the {}{} ({}, snapshot of {}): {}. {}",
                ioc.value, spec.title, via, spec.file, spec.as_of, entry_text, spec.meaning
            ));
            for e in entries {
                listings.push(Listing {
                    feed: spec.name.clone(),
                    as_of: spec.as_of.clone(),
                    entry: json!({"indicator": key, "detail": e}),
                });
            }
            tags.push(spec.tag.clone());
            reputation = stronger(reputation, spec.reputation);
            confidence = confidence.max(spec.confidence);
        }
        let claim = if sentences.is_empty() {
            let names: Vec<String> = self
                .feeds
                .iter()
                .filter(|f| checked.iter().any(|c| c["feed"] == f.spec.name.as_str()))
                .map(|f| format!("{} as of {}", f.spec.name, f.spec.as_of))
                .collect();
            if names.is_empty() {
                format!(
                    "No offline feed lists {} indicators; {} was not checked.",
                    ioc.kind, ioc.value
                )
            } else {
                format!(
                    "{} is not listed in the offline feeds ({}); absence from a list is not evidence of safety.",
                    ioc.value,
                    names.join(", ")
                )
            }
        } else {
            sentences.join(" ")
        };
        let raw = json!({
            "indicator": ioc.value,
            "kind": ioc.kind.as_str(),
            "feeds_checked": checked,
            "listings": listings.iter().map(|l| json!({"feed": l.feed, "as_of": l.as_of, "entry": l.entry})).collect::<Vec<_>>(),
        });
        IntelRecord {
            provider: PROVIDER,
            ioc: ioc.clone(),
            reputation,
            confidence,
            claim,
            tags,
            listings,
            raw,
        }
    }
}

fn stronger(a: Reputation, b: Reputation) -> Reputation {
    let rank = |r: Reputation| match r {
        Reputation::NoData => 0,
        Reputation::Known => 1,
        Reputation::Suspicious => 2,
        Reputation::Malicious => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn describe_entry(e: &Value) -> String {
    let Some(m) = e.as_object() else {
        return String::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            v.as_str()
                .filter(|s| !s.is_empty())
                .map(|s| format!("{k} {s}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl IntelProvider for OfflineFeeds {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn supports(&self, kind: IocKind) -> bool {
        self.feeds.iter().any(|f| match f.spec.kind {
            FeedKind::Ip => kind.is_ip(),
            FeedKind::Domain => matches!(kind, IocKind::Domain | IocKind::Host),
            FeedKind::Hash => kind.is_hash(),
        })
    }

    fn is_local(&self) -> bool {
        true
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        if !self.supports(ioc.kind) {
            return Err(IntelError::Unsupported {
                provider: PROVIDER,
                kind: ioc.kind,
            });
        }
        Ok(self.check(ioc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(v: &str) -> Ioc {
        let kind = if v.contains(':') {
            IocKind::Ipv6
        } else {
            IocKind::Ipv4
        };
        Ioc {
            kind,
            value: v.to_owned(),
            scope: None,
        }
    }

    #[test]
    fn embedded_snapshots_parse_completely() {
        let feeds = OfflineFeeds::embedded();
        assert_eq!(feeds.feeds().len(), 2, "both embedded feeds must parse");
        let tor = &feeds.feeds()[0];
        assert_eq!(tor.len(), 1363 + 914);
        assert_eq!(tor.skipped(), 0);
        let tf = &feeds.feeds()[1];
        assert!(tf.len() > 19_000, "{}", tf.len());
        assert_eq!(tf.skipped(), 0);
    }

    #[test]
    fn a_tor_exit_hit_names_the_entry_and_the_date() {
        let feeds = OfflineFeeds::embedded();
        let rec = feeds.check(&ip("185.220.101.47"));
        assert_eq!(rec.reputation, Reputation::Suspicious);
        assert!(rec.tags.contains(&"tor_exit".to_owned()));
        assert!(rec.claim.contains("Tor exit relay list"), "{}", rec.claim);
        assert!(rec.claim.contains("2026-08-22"), "{}", rec.claim);
        assert!(
            rec.claim
                .contains("2390B303058F5EC1E1BEAAEECE3AAF2CF97B71F4"),
            "{}",
            rec.claim
        );
        assert!(rec.claim.contains("port 10047"), "{}", rec.claim);
    }

    #[test]
    fn ipv6_is_matched_in_canonical_form() {
        let feeds = OfflineFeeds::embedded();
        let rec = feeds.check(&ip("2620:7:6003::141"));
        assert!(rec.tags.contains(&"tor_exit".to_owned()), "{}", rec.claim);
        let rec = feeds.check(&ip("2620:0007:6003:0:0:0:0:0141"));
        assert!(rec.tags.contains(&"tor_exit".to_owned()), "{}", rec.claim);
    }

    #[test]
    fn a_miss_is_absence_not_safety() {
        let feeds = OfflineFeeds::embedded();
        let rec = feeds.check(&ip("192.0.2.77"));
        assert_eq!(rec.reputation, Reputation::NoData);
        assert_eq!(rec.confidence, Confidence::Low);
        assert!(
            rec.claim.contains("not evidence of safety"),
            "{}",
            rec.claim
        );
        assert!(!rec.claim.to_lowercase().contains(" is safe"));
    }

    #[tokio::test]
    async fn operator_feeds_load_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad-domains.csv");
        std::fs::write(
            &path,
            "# my list\ndomain,first_seen\nEvil.Example.,2026-01-02\nnot a domain,x\n",
        )
        .unwrap();
        let spec = FeedSpec {
            name: "local-bad-domains".into(),
            title: "local blocklist".into(),
            file: "bad-domains.csv".into(),
            as_of: "2026-01-03".into(),
            kind: FeedKind::Domain,
            meaning: "The SOC blocklisted it.".into(),
            reputation: Reputation::Malicious,
            confidence: Confidence::High,
            tag: "local_blocklist".into(),
        };
        let feed = Feed::load(spec, &path).unwrap();
        assert_eq!((feed.len(), feed.skipped()), (1, 1));
        let p = OfflineFeeds::new(vec![feed]);
        let sub = Ioc {
            kind: IocKind::Domain,
            value: "cdn.evil.example".into(),
            scope: None,
        };
        let rec = p.lookup(&sub).await.unwrap();
        assert_eq!(rec.reputation, Reputation::Malicious);
        assert!(rec.claim.contains("first_seen 2026-01-02"), "{}", rec.claim);
        assert!(matches!(
            p.lookup(&ip("1.2.3.4")).await,
            Err(IntelError::Unsupported { .. })
        ));
    }

    #[test]
    fn a_file_without_indicators_is_an_error() {
        let err = Feed::parse(tor_exit_spec(), "# nothing\n\nfoo\n").unwrap_err();
        assert!(err.to_string().contains("no valid indicator"), "{err}");
    }
}
