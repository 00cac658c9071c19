//! AbuseIPDB v2: `GET {base}/api/v2/check?ipAddress=<ip>&maxAgeInDays=90&verbose` with the
//! key in the `Key` header (see `api-contracts/abuseipdb.md`).
//!
//! Grading by `abuseConfidenceScore`:
//!
//! | score | reputation | confidence |
//! |---|---|---|
//! | ≥ 75 | `Malicious` | high |
//! | ≥ 25 | `Suspicious` | medium |
//! | > 0 | `Suspicious` | low |
//! | 0, no reports | `NoData` | low |
//! | 0, with reports | `Known` | low |
//!
//! An unknown IP answers 200 with score 0 and no reports: that is "no reports in 90 days",
//! stated as absence, never as "clean". The claim names the IP, the score, the report and
//! reporter counts, the last report, the categories (from the reports, most frequent
//! first), Tor, ISP, usage type, country and the whitelist flag. Report comments are
//! free text written by anyone: they stay in `raw` (the first 10 reports) and never reach
//! the claim.

use async_trait::async_trait;
use serde_json::{Map, Value};
use soc_core::{Confidence, Ioc, IocKind};

use super::http::{HttpClient, Reply, clean_text};
use crate::config::ProviderSettings;
use crate::{IntelError, IntelProvider, IntelRecord, Quota, Reputation};

/// The provider name used in evidence and metrics.
pub const PROVIDER: &str = "abuseipdb";

/// Age window of the reports counted, in days.
pub const MAX_AGE_DAYS: u32 = 90;

/// Reports kept in `raw`.
const RAW_REPORTS: usize = 10;
/// Longest report comment kept in `raw`, in characters.
const RAW_COMMENT_CHARS: usize = 500;
/// Categories named in the claim (all of them are tags).
const CLAIM_CATEGORIES: usize = 6;
/// Longest ISP / usage-type text in the claim, in characters.
const FIELD_CHARS: usize = 80;

/// The AbuseIPDB v2 provider.
#[derive(Debug)]
pub struct AbuseIpDb {
    http: HttpClient,
}

impl AbuseIpDb {
    /// A provider for these settings.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built (see [`HttpClient::new`]).
    pub fn new(settings: ProviderSettings) -> Result<Self, IntelError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, settings, "key")?,
        })
    }
}

/// The name of an AbuseIPDB report category (`18` → `Brute-Force`), `None` for an id
/// outside the documented table 1..=23.
pub fn category_name(id: u64) -> Option<&'static str> {
    Some(match id {
        1 => "DNS Compromise",
        2 => "DNS Poisoning",
        3 => "Fraud Orders",
        4 => "DDoS Attack",
        5 => "FTP Brute-Force",
        6 => "Ping of Death",
        7 => "Phishing",
        8 => "Fraud VoIP",
        9 => "Open Proxy",
        10 => "Web Spam",
        11 => "Email Spam",
        12 => "Blog Spam",
        13 => "VPN IP",
        14 => "Port Scan",
        15 => "Hacking",
        16 => "SQL Injection",
        17 => "Spoofing",
        18 => "Brute-Force",
        19 => "Bad Web Bot",
        20 => "Exploited Host",
        21 => "Web App Attack",
        22 => "SSH",
        23 => "IoT Targeted",
        _ => return None,
    })
}

/// A category name as a tag: lower case, runs of other characters as `_`
/// (`Web App Attack` → `web_app_attack`).
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn bad(detail: &str) -> IntelError {
    IntelError::BadResponse {
        provider: PROVIDER,
        detail: detail.to_owned(),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Builds the record from a `check` answer.
fn record(ioc: &Ioc, body: &Value) -> Result<IntelRecord, IntelError> {
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("the check answer has no `data` object"))?;
    let score = data
        .get("abuseConfidenceScore")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("the check answer has no numeric `abuseConfidenceScore`"))?;
    let num = |k: &str| data.get(k).and_then(Value::as_u64).unwrap_or(0);
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .map(|s| clean_text(s, FIELD_CHARS))
            .filter(|s| !s.is_empty())
    };
    let total = num("totalReports");
    let distinct = num("numDistinctUsers");
    let last = text("lastReportedAt");
    let is_tor = data.get("isTor").and_then(Value::as_bool).unwrap_or(false);
    let whitelisted = data.get("isWhitelisted").and_then(Value::as_bool);
    let is_public = data.get("isPublic").and_then(Value::as_bool);
    let reports: &[Value] = data
        .get("reports")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);

    // Categories from the reports, most frequent first, ties in order of appearance
    // (the reports come newest first).
    let mut ranked: Vec<(u64, usize)> = Vec::new();
    for id in reports
        .iter()
        .filter_map(|r| r.get("categories").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_u64)
    {
        match ranked.iter_mut().find(|(known, _)| *known == id) {
            Some((_, n)) => *n += 1,
            None => ranked.push((id, 1)),
        }
    }
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let categories: Vec<String> = ranked
        .iter()
        .map(|(id, _)| category_name(*id).map_or_else(|| format!("category {id}"), str::to_owned))
        .collect();

    let (reputation, confidence) = match score {
        75.. => (Reputation::Malicious, Confidence::High),
        25.. => (Reputation::Suspicious, Confidence::Medium),
        1.. => (Reputation::Suspicious, Confidence::Low),
        0 if total == 0 => (Reputation::NoData, Confidence::Low),
        0 => (Reputation::Known, Confidence::Low),
    };

    let ip = &ioc.value;
    let mut detail = Vec::new();
    if let Some(l) = &last {
        detail.push(format!("last reported {l}"));
    }
    if !categories.is_empty() {
        let named: Vec<&str> = categories
            .iter()
            .take(CLAIM_CATEGORIES)
            .map(String::as_str)
            .collect();
        let more = categories.len().saturating_sub(CLAIM_CATEGORIES);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        detail.push(format!("categories: {}{more}", named.join(", ")));
    }
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", detail.join("; "))
    };
    let reports_text = format!(
        "{} by {}",
        plural(total, "report", "reports"),
        plural(distinct, "distinct user", "distinct users")
    );
    let first = if score > 0 {
        format!(
            "AbuseIPDB gives {ip} an abuse confidence score of {score}/100 from {reports_text} in the last {MAX_AGE_DAYS} days{detail}."
        )
    } else if total == 0 {
        format!(
            "AbuseIPDB has no reports of {ip} in the last {MAX_AGE_DAYS} days (abuse confidence score 0/100) — absence of reports is not evidence of safety."
        )
    } else {
        format!(
            "AbuseIPDB has {reports_text} of {ip} in the last {MAX_AGE_DAYS} days{detail} but an abuse confidence score of 0/100."
        )
    };
    let mut context = Vec::new();
    if is_tor {
        context.push("a known Tor exit node".to_owned());
    }
    if is_public == Some(false) {
        context.push("not a public address".to_owned());
    }
    if let Some(isp) = text("isp") {
        context.push(format!("ISP {isp}"));
    }
    if let Some(u) = text("usageType") {
        context.push(format!("usage type {u}"));
    }
    if let Some(c) = text("countryCode") {
        context.push(format!("country {c}"));
    }
    match whitelisted {
        Some(true) => context.push("on AbuseIPDB's whitelist (not a verdict)".to_owned()),
        Some(false) => context.push("not whitelisted".to_owned()),
        None => {}
    }
    let claim = if context.is_empty() {
        first
    } else {
        format!("{first} {ip}: {}.", context.join(", "))
    };

    let mut tags = vec![format!("abuseipdb_score:{score}")];
    if is_tor {
        tags.push("tor".to_owned());
    }
    for c in &categories {
        let s = slug(c);
        if !tags.contains(&s) {
            tags.push(s);
        }
    }

    Ok(IntelRecord {
        provider: PROVIDER,
        ioc: ioc.clone(),
        reputation,
        confidence,
        claim,
        tags,
        listings: Vec::new(),
        raw: Value::Object(small_raw(data)),
    })
}

/// The `data` object with at most [`RAW_REPORTS`] reports, long comments cut, and the
/// number of reports left out.
fn small_raw(data: &Map<String, Value>) -> Map<String, Value> {
    let mut raw = data.clone();
    if let Some(Value::Array(reports)) = raw.get_mut("reports") {
        let omitted = reports.len().saturating_sub(RAW_REPORTS);
        reports.truncate(RAW_REPORTS);
        for r in reports.iter_mut() {
            if let Some(Value::String(c)) = r.get_mut("comment")
                && c.chars().count() > RAW_COMMENT_CHARS
            {
                *c = clean_text(c, RAW_COMMENT_CHARS);
            }
        }
        if omitted > 0 {
            raw.insert("reportsOmitted".to_owned(), Value::from(omitted));
        }
    }
    raw
}

#[async_trait]
impl IntelProvider for AbuseIpDb {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn max_fetch_time(&self) -> Option<std::time::Duration> {
        // One request.
        Some(self.http.timeout().saturating_mul(1))
    }

    fn supports(&self, kind: IocKind) -> bool {
        kind.is_ip()
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        if !self.supports(ioc.kind) {
            return Err(IntelError::Unsupported {
                provider: PROVIDER,
                kind: ioc.kind,
            });
        }
        let mut url = self.http.url(&["api", "v2", "check"]);
        url.query_pairs_mut()
            .append_pair("ipAddress", &ioc.value)
            .append_pair("maxAgeInDays", &MAX_AGE_DAYS.to_string())
            .append_key_only("verbose");
        match self.http.get_json(url, false).await? {
            Reply::Found(body) => record(ioc, &body),
            Reply::Missing(_) => Err(bad("`check` answered 404")),
        }
    }

    /// The free tier: 1,000 `check` requests a day.
    fn quota(&self) -> Option<Quota> {
        Some(Quota {
            per_minute: None,
            per_day: Some(1_000),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_names() {
        assert_eq!(slug("Web App Attack"), "web_app_attack");
        assert_eq!(slug("Brute-Force"), "brute_force");
        assert_eq!(slug("category 42"), "category_42");
        assert_eq!(category_name(22), Some("SSH"));
        assert_eq!(category_name(24), None);
    }
}
