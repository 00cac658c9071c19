//! urlscan.io: recent public scans of a domain and their verdicts (see
//! `api-contracts/urlscan.md`), key in the `API-Key` header.
//!
//! One lookup makes at most four requests:
//! 1. `GET {base}/api/v1/search/?q=page.domain:<domain>&size=20`: the recent scans whose
//!    page is on the domain. (`domain:` would also match every scan that merely
//!    *contacted* it: a CDN or font host hot-linked by phishing kits would inherit their
//!    verdicts.) Rows whose `page.domain` and `task.domain` are both neither the domain
//!    nor one of its subdomains are dropped all the same;
//! 2. `GET {base}/api/v1/result/{uuid}/` for the three newest of them: the verdict. The
//!    contract says search rows often carry an empty `verdicts` and their shape is not
//!    verified, so verdicts are read from the Result API only (`verdicts.overall`). A
//!    result that answers 404/410 (scan still running, or deleted) counts as pending; a
//!    result without a boolean `verdicts.overall.malicious` counts as without a verdict.
//!    Only scans with that boolean count as checked.
//!
//! | answer | reputation | confidence |
//! |---|---|---|
//! | any checked scan has a malicious verdict | `Malicious` | high |
//! | scans, none of the checked ones malicious | `Known` | low |
//! | scans, but no verdict could be read (pending or missing) | `NoData` | low |
//! | no scan at all | `NoData` | medium |
//!
//! Page titles and URLs are written by whoever runs the site (a phishing page picks its
//! own title): they stay in `raw` and out of the claim. URL indicators are not looked up
//! here: their host is extracted as a separate domain indicator.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};
use soc_core::{Confidence, Ioc, IocKind};

use super::http::{HttpClient, Reply, clean_text};
use crate::config::ProviderSettings;
use crate::{IntelError, IntelProvider, IntelRecord, Reputation};

/// The provider name used in evidence and metrics.
pub const PROVIDER: &str = "urlscan";

/// Scans asked of the search.
pub const SEARCH_SIZE: usize = 20;
/// Newest scans whose verdict is fetched (one request each).
pub const VERDICTS_CHECKED: usize = 3;
/// Scans described in `raw`.
const RAW_SCANS: usize = 5;
/// Longest urlscan-generated text (category, brand) in the claim.
const FIELD_CHARS: usize = 40;

/// The urlscan.io provider.
#[derive(Debug)]
pub struct Urlscan {
    http: HttpClient,
}

impl Urlscan {
    /// A provider for these settings.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built (see [`HttpClient::new`]).
    pub fn new(settings: ProviderSettings) -> Result<Self, IntelError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, settings, "api-key")?,
        })
    }
}

fn bad(detail: &str) -> IntelError {
    IntelError::BadResponse {
        provider: PROVIDER,
        detail: detail.to_owned(),
    }
}

/// A domain safe to put in a search query unquoted: letters, digits, `.`, `-`, `_`, not
/// starting with `-`.
fn query_safe(domain: &str) -> bool {
    !domain.is_empty()
        && !domain.starts_with('-')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// A scan id safe to put in a path: hex digits and dashes.
fn uuid_safe(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// What the Result API said about one scan.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// Not fetched (beyond the newest [`VERDICTS_CHECKED`], or no usable id).
    NotChecked,
    /// 404/410: still running or gone.
    Pending,
    /// Fetched, but without a boolean `verdicts.overall.malicious`.
    Missing,
    /// `verdicts.overall`.
    Read {
        malicious: bool,
        score: Option<i64>,
        categories: Vec<String>,
        brands: Vec<String>,
    },
}

/// One row of the search.
struct Scan<'a> {
    row: &'a Value,
    uuid: Option<&'a str>,
    time: Option<DateTime<FixedOffset>>,
    verdict: Verdict,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| {
            x.as_str()
                .or_else(|| x.get("key").and_then(Value::as_str))
                .map(|s| clean_text(s, FIELD_CHARS))
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn read_verdict(result: &Value) -> Verdict {
    let Some(overall) = result.pointer("/verdicts/overall") else {
        return Verdict::Missing;
    };
    // A result without the boolean says nothing: never read it as "not malicious".
    let Some(malicious) = overall.get("malicious").and_then(Value::as_bool) else {
        return Verdict::Missing;
    };
    Verdict::Read {
        malicious,
        score: overall.get("score").and_then(Value::as_i64),
        categories: strings(overall.get("categories")),
        brands: strings(overall.get("brands")),
    }
}

/// `host` is `domain` or one of its subdomains (ASCII case and a trailing dot ignored).
fn on_domain(host: &str, domain: &str) -> bool {
    let h = host.trim_end_matches('.').as_bytes();
    let d = domain.trim_end_matches('.').as_bytes();
    match h.len().checked_sub(d.len()) {
        Some(0) => h.eq_ignore_ascii_case(d),
        Some(cut) => h[cut..].eq_ignore_ascii_case(d) && h[cut - 1] == b'.',
        None => false,
    }
}

/// The scan's page (or, for a scan that redirected away, its submitted URL) is on
/// `domain`: a row that merely contacted the domain is not a scan of it.
fn scans_domain(row: &Value, domain: &str) -> bool {
    ["/page/domain", "/task/domain"].iter().any(|p| {
        row.pointer(p)
            .and_then(Value::as_str)
            .is_some_and(|host| on_domain(host, domain))
    })
}

fn push_unique(list: &mut Vec<String>, items: &[String]) {
    for i in items {
        if !list.contains(i) {
            list.push(i.clone());
        }
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn cut(v: Option<&Value>, max: usize) -> Value {
    match v.and_then(Value::as_str) {
        Some(s) => Value::from(clean_text(s, max)),
        None => v.cloned().unwrap_or(Value::Null),
    }
}

fn describe(scan: &Scan<'_>) -> Value {
    let r = scan.row;
    let verdict = match &scan.verdict {
        Verdict::NotChecked => json!("not checked"),
        Verdict::Pending => json!("pending"),
        Verdict::Missing => json!("no verdict"),
        Verdict::Read {
            malicious,
            score,
            categories,
            brands,
        } => {
            json!({"malicious": malicious, "score": score, "categories": categories, "brands": brands})
        }
    };
    json!({
        "uuid": scan.uuid,
        "time": r.pointer("/task/time"),
        "url": cut(r.pointer("/task/url"), 200),
        "page": {
            "title": cut(r.pointer("/page/title"), 120),
            "ip": r.pointer("/page/ip"),
            "country": r.pointer("/page/country"),
            "asn": r.pointer("/page/asn"),
            "asnname": cut(r.pointer("/page/asnname"), 80),
            "status": r.pointer("/page/status"),
        },
        "verdict": verdict,
    })
}

fn record(ioc: &Ioc, query: &str, total: u64, scans: &[Scan<'_>]) -> IntelRecord {
    let domain = &ioc.value;
    let total_text = if total >= 10_000 {
        "over 10,000".to_owned()
    } else {
        total.to_string()
    };
    let newest = scans
        .first()
        .and_then(|s| s.row.pointer("/task/time"))
        .and_then(Value::as_str)
        .map(|s| clean_text(s, 40));
    let newest_text = newest
        .as_deref()
        .map(|n| format!(", newest {n}"))
        .unwrap_or_default();
    let (mut checked, mut pending, mut missing, mut malicious) = (0usize, 0usize, 0usize, 0usize);
    let (mut categories, mut brands) = (Vec::new(), Vec::new());
    let mut top_score: Option<i64> = None;
    for s in scans {
        match &s.verdict {
            Verdict::NotChecked => {}
            Verdict::Pending => pending += 1,
            Verdict::Missing => missing += 1,
            Verdict::Read {
                malicious: m,
                score,
                categories: c,
                brands: b,
            } => {
                checked += 1;
                if *m {
                    malicious += 1;
                    push_unique(&mut categories, c);
                    push_unique(&mut brands, b);
                    top_score = top_score.max(*score);
                }
            }
        }
    }
    let mut pending_text = String::new();
    if pending > 0 {
        pending_text.push_str(&format!(", {pending} still pending"));
    }
    if missing > 0 {
        pending_text.push_str(&format!(", {missing} without a verdict"));
    }
    let scans_word = if total == 1 { "scan" } else { "scans" };
    let verdicts_word = if checked == 1 { "verdict" } else { "verdicts" };

    let (reputation, confidence, claim) = if scans.is_empty() {
        (
            Reputation::NoData,
            Confidence::Medium,
            format!(
                "urlscan has no scans of {domain} — absence of scans is not evidence of safety."
            ),
        )
    } else if malicious > 0 {
        let mut what = Vec::new();
        if let Some(s) = top_score {
            what.push(format!("score {s}"));
        }
        if !categories.is_empty() {
            what.push(format!("categories: {}", categories.join(", ")));
        }
        if !brands.is_empty() {
            what.push(format!("brands: {}", brands.join(", ")));
        }
        let what = if what.is_empty() {
            String::new()
        } else {
            format!(" ({})", what.join("; "))
        };
        (
            Reputation::Malicious,
            Confidence::High,
            format!(
                "urlscan reports a malicious verdict for {domain} in {malicious} of {checked} recent scans checked{what}; {total_text} recent {scans_word}{newest_text}{pending_text}."
            ),
        )
    } else if checked == 0 {
        // Scans exist but none has a verdict yet: nothing to grade, and a short TTL
        // (no data) lets the verdicts be read once the scans finish.
        (
            Reputation::NoData,
            Confidence::Low,
            format!(
                "urlscan: {total_text} recent {scans_word} of {domain}{newest_text}, but no verdict could be read yet{pending_text} — absence of a malicious verdict is not safety."
            ),
        )
    } else {
        (
            Reputation::Known,
            Confidence::Low,
            format!(
                "urlscan: {total_text} recent {scans_word} of {domain}{newest_text}, none malicious ({checked} newest {verdicts_word} checked{pending_text}) — absence is not safety."
            ),
        )
    };

    let mut tags = vec![format!("urlscan_scans:{total}")];
    if malicious > 0 {
        tags.push("urlscan_malicious".to_owned());
        for c in &categories {
            let s = slug(c);
            if !s.is_empty() && !tags.contains(&s) {
                tags.push(s);
            }
        }
    }

    IntelRecord {
        provider: PROVIDER,
        ioc: ioc.clone(),
        reputation,
        confidence,
        claim,
        tags,
        listings: Vec::new(),
        raw: json!({
            "query": query,
            "total": total,
            "newest_scan": newest,
            "verdicts_checked": checked,
            "verdicts_pending": pending,
            "verdicts_missing": missing,
            "malicious_verdicts": malicious,
            "scans": scans.iter().take(RAW_SCANS).map(describe).collect::<Vec<_>>(),
        }),
    }
}

#[async_trait]
impl IntelProvider for Urlscan {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn max_fetch_time(&self) -> Option<std::time::Duration> {
        // A search and up to three results.
        Some(
            self.http
                .timeout()
                .saturating_mul(1 + VERDICTS_CHECKED as u32),
        )
    }

    fn supports(&self, kind: IocKind) -> bool {
        kind == IocKind::Domain
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        if !self.supports(ioc.kind) || !query_safe(&ioc.value) {
            return Err(IntelError::Unsupported {
                provider: PROVIDER,
                kind: ioc.kind,
            });
        }
        let query = format!("page.domain:{}", ioc.value);
        let mut url = self.http.url(&["api", "v1", "search", ""]);
        url.query_pairs_mut()
            .append_pair("q", &query)
            .append_pair("size", &SEARCH_SIZE.to_string());
        let body = match self.http.get_json(url, false).await? {
            Reply::Found(b) => b,
            Reply::Missing(_) => return Err(bad("the search answered 404")),
        };
        let rows = body
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("the search answer has no `results` array"))?;
        let listed = body
            .get("total")
            .and_then(Value::as_u64)
            .unwrap_or(rows.len() as u64);
        let mut scans: Vec<Scan<'_>> = rows
            .iter()
            .filter(|row| scans_domain(row, &ioc.value))
            .map(|row| Scan {
                row,
                uuid: row
                    .get("_id")
                    .or_else(|| row.pointer("/task/uuid"))
                    .and_then(Value::as_str)
                    .filter(|u| uuid_safe(u)),
                time: row
                    .pointer("/task/time")
                    .and_then(Value::as_str)
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
                verdict: Verdict::NotChecked,
            })
            .collect();
        // Rows about other sites are not scans of this domain: out of the count too.
        let dropped = rows.len() - scans.len();
        let total = listed.saturating_sub(dropped as u64);
        if dropped > 0 {
            tracing::debug!(
                provider = PROVIDER,
                dropped,
                "urlscan search rows not on the looked-up domain were dropped"
            );
        }
        // Newest first (the search already sorts so; a stable sort keeps its order).
        scans.sort_by_key(|s| std::cmp::Reverse(s.time));
        for scan in scans.iter_mut().take(VERDICTS_CHECKED) {
            let Some(uuid) = scan.uuid else { continue };
            let url = self.http.url(&["api", "v1", "result", uuid, ""]);
            scan.verdict = match self.http.get_json(url, true).await? {
                Reply::Found(result) => read_verdict(&result),
                Reply::Missing(_) => Verdict::Pending,
            };
        }
        Ok(record(ioc, &query, total, &scans))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_domains_and_uuids_reach_the_wire() {
        assert!(query_safe("login-micr0soft.example.com"));
        assert!(!query_safe("a.example OR domain:b.example"));
        assert!(!query_safe("-x.example"));
        assert!(uuid_safe("2f6a1c3e-8b7d-4e21-9c55-0d6f3a9b1e42"));
        assert!(!uuid_safe("../../quotas"));
    }

    #[test]
    fn a_row_is_a_scan_of_the_domain_or_its_subdomains_only() {
        assert!(on_domain("cdn.example.com", "cdn.example.com"));
        assert!(on_domain("A.CDN.example.com.", "cdn.example.com"));
        assert!(!on_domain("notcdn.example.com", "cdn.example.com"));
        assert!(!on_domain("example.com", "cdn.example.com"));
        assert!(!on_domain("évil.cdn.example.comx", "cdn.example.com"));
        assert!(on_domain("é.cdn.example.com", "cdn.example.com"));
        assert!(!on_domain("", "cdn.example.com"));
        assert!(!scans_domain(
            &json!({"page": {"domain": "evil.example"}}),
            "cdn.example.com"
        ));
        assert!(scans_domain(
            &json!({"page": {"domain": "evil.example"}, "task": {"domain": "cdn.example.com"}}),
            "cdn.example.com"
        ));
    }

    #[test]
    fn only_a_boolean_overall_verdict_is_read() {
        assert_eq!(read_verdict(&json!({})), Verdict::Missing);
        assert_eq!(read_verdict(&json!({"verdicts": {}})), Verdict::Missing);
        assert_eq!(
            read_verdict(&json!({"verdicts": {"overall": {"score": 0}}})),
            Verdict::Missing
        );
        assert!(matches!(
            read_verdict(&json!({"verdicts": {"overall": {"malicious": false}}})),
            Verdict::Read {
                malicious: false,
                ..
            }
        ));
    }
}
