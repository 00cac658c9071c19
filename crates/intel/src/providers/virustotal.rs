//! VirusTotal v3: `GET {base}/api/v3/files/{hash}`, `ip_addresses/{ip}`,
//! `domains/{domain}` and `urls/{id}` with the key in the `x-apikey` header (see
//! `api-contracts/virustotal.md`). A URL's id is the unpadded URL-safe base64 of the URL
//! ([`url_id`]).
//!
//! Grading by `data.attributes.last_analysis_stats`, with
//! `ratio = malicious / (malicious + suspicious + harmless + undetected)`:
//!
//! | answer | reputation | confidence |
//! |---|---|---|
//! | ratio ≥ 0.5 | `Malicious` | high |
//! | ratio ≥ 0.1 | `Malicious` | medium |
//! | malicious > 0 | `Suspicious` | low |
//! | malicious = 0, suspicious > 0 | `Suspicious` | low |
//! | engines answered, none flags it | `Known` ("N engines found nothing") | low |
//! | no engine has analysed it | `NoData` | low |
//! | 404 `NotFoundError` | `NoData` ("never submitted") | low |
//!
//! A 404 is a successful lookup that found nothing, never "safe"; a 404 without VT's
//! `NotFoundError` body (a wrong base URL, a proxy) is an error. Submitted file names and
//! page titles are attacker-controlled, so they stay in `raw` and out of the claim.

use async_trait::async_trait;
use chrono::DateTime;
use serde_json::{Map, Value, json};
use soc_core::{Confidence, Ioc, IocKind};

use super::http::{HttpClient, Reply, clean_text};
use crate::config::ProviderSettings;
use crate::{IntelError, IntelProvider, IntelRecord, Quota, Reputation};

/// The provider name used in evidence and metrics.
pub const PROVIDER: &str = "virustotal";

/// Engines listed in `raw` among those that flag the indicator.
const RAW_FLAGGED: usize = 10;
/// Longest VT-generated text (threat label, file type, AS owner) in the claim.
const FIELD_CHARS: usize = 80;

/// The VirusTotal v3 provider.
#[derive(Debug)]
pub struct VirusTotal {
    http: HttpClient,
}

impl VirusTotal {
    /// A provider for these settings.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built (see [`HttpClient::new`]).
    pub fn new(settings: ProviderSettings) -> Result<Self, IntelError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, settings, "x-apikey")?,
        })
    }
}

/// The identifier of a URL in `/urls/{id}`: the URL encoded in unpadded URL-safe base64
/// (RFC 4648 §5 alphabet `-_`), as VirusTotal defines it.
pub fn url_id(url: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = chunk.get(1).copied().map_or(0, u32::from);
        let b2 = chunk.get(2).copied().map_or(0, u32::from);
        let n = (b0 << 16) | (b1 << 8) | b2;
        // One input byte gives two characters, two give three, three give four.
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// The collection and id of an indicator, and how the claim names it.
fn endpoint(ioc: &Ioc) -> Option<(&'static str, String, String)> {
    let v = &ioc.value;
    Some(match ioc.kind {
        IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 => {
            ("files", v.to_ascii_lowercase(), format!("file {v}"))
        }
        IocKind::Ipv4 | IocKind::Ipv6 => ("ip_addresses", v.clone(), format!("IP {v}")),
        IocKind::Domain => ("domains", v.to_ascii_lowercase(), format!("domain {v}")),
        IocKind::Url => ("urls", url_id(v), format!("URL {v}")),
        IocKind::Email | IocKind::User | IocKind::Host => return None,
    })
}

fn bad(detail: String) -> IntelError {
    IntelError::BadResponse {
        provider: PROVIDER,
        detail,
    }
}

/// The record for a 404 `NotFoundError`.
fn never_submitted(ioc: &Ioc, what: &str, body: &Value) -> Result<IntelRecord, IntelError> {
    let code = body.pointer("/error/code").and_then(Value::as_str);
    if code != Some("NotFoundError") {
        return Err(bad(format!(
            "HTTP 404 without a `NotFoundError` body (code {}); is the base URL right?",
            code.map_or_else(
                || "missing".to_owned(),
                |c| format!("`{}`", clean_text(c, 40))
            )
        )));
    }
    let mut what = what.to_owned();
    if let Some(first) = what.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    Ok(IntelRecord {
        provider: PROVIDER,
        ioc: ioc.clone(),
        reputation: Reputation::NoData,
        confidence: Confidence::Low,
        claim: format!(
            "{what} was never submitted to VirusTotal (404 NotFoundError) — not evidence of safety."
        ),
        tags: vec!["virustotal_not_found".to_owned()],
        listings: Vec::new(),
        raw: json!({"not_found": true, "error": body.get("error").cloned().unwrap_or(Value::Null)}),
    })
}

/// The record for a 200 answer.
fn record(ioc: &Ioc, what: &str, body: &Value) -> Result<IntelRecord, IntelError> {
    let attrs = body
        .pointer("/data/attributes")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("the answer has no `data.attributes` object".to_owned()))?;
    let stats = attrs
        .get("last_analysis_stats")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("the answer has no `last_analysis_stats` object".to_owned()))?;
    let stat = |k: &str| stats.get(k).and_then(Value::as_u64).unwrap_or(0);
    let (malicious, suspicious, harmless, undetected) = (
        stat("malicious"),
        stat("suspicious"),
        stat("harmless"),
        stat("undetected"),
    );
    let timeout = stat("timeout");
    // Saturating: counts are upstream data, and a wrapped sum would inflate the ratio.
    let engines = malicious
        .saturating_add(suspicious)
        .saturating_add(harmless)
        .saturating_add(undetected);
    let text = |k: &str| {
        attrs
            .get(k)
            .and_then(Value::as_str)
            .map(|s| clean_text(s, FIELD_CHARS))
            .filter(|s| !s.is_empty())
    };
    let label = attrs
        .get("popular_threat_classification")
        .and_then(|p| p.get("suggested_threat_label"))
        .and_then(Value::as_str)
        .map(|s| clean_text(s, FIELD_CHARS))
        .filter(|s| !s.is_empty());
    let community = attrs.get("reputation").and_then(Value::as_i64);
    let analysed = attrs
        .get("last_analysis_date")
        .and_then(Value::as_i64)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());

    let ratio = if engines == 0 {
        0.0
    } else {
        malicious as f64 / engines as f64
    };
    let (reputation, confidence) = if malicious > 0 && ratio >= 0.5 {
        (Reputation::Malicious, Confidence::High)
    } else if malicious > 0 && ratio >= 0.1 {
        (Reputation::Malicious, Confidence::Medium)
    } else if malicious > 0 || suspicious > 0 {
        (Reputation::Suspicious, Confidence::Low)
    } else if engines == 0 {
        (Reputation::NoData, Confidence::Low)
    } else {
        (Reputation::Known, Confidence::Low)
    };

    let mut facts = Vec::new();
    if let Some(d) = &analysed {
        facts.push(format!("last analysis {d}"));
    }
    if let Some(l) = &label {
        facts.push(format!("threat label {l}"));
    }
    if let Some(r) = community {
        facts.push(format!("community reputation {r}"));
    }
    match ioc.kind {
        k if k.is_hash() => {
            if let Some(t) = text("type_description") {
                facts.push(format!("type {t}"));
            }
        }
        IocKind::Ipv4 | IocKind::Ipv6 => {
            let asn = attrs.get("asn").and_then(Value::as_u64);
            match (asn, text("as_owner")) {
                (Some(n), Some(o)) => facts.push(format!("AS{n} {o}")),
                (None, Some(o)) => facts.push(format!("AS owner {o}")),
                (Some(n), None) => facts.push(format!("AS{n}")),
                (None, None) => {}
            }
            if let Some(c) = text("country") {
                facts.push(format!("country {c}"));
            }
        }
        _ => {}
    }
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!("; {}", facts.join("; "))
    };
    let claim = match reputation {
        Reputation::Malicious | Reputation::Suspicious => format!(
            "VirusTotal: {malicious} of {engines} engines flag {what} as malicious ({suspicious} suspicious, {harmless} harmless, {undetected} undetected{facts})."
        ),
        Reputation::Known => format!(
            "VirusTotal: {engines} engines found nothing on {what} ({harmless} harmless, {undetected} undetected{facts}) — not evidence of safety."
        ),
        Reputation::NoData => format!(
            "VirusTotal knows {what} but no engine has analysed it yet ({timeout} timed out{facts}) — not evidence of safety."
        ),
    };

    let mut tags = vec![
        format!("virustotal_malicious:{malicious}"),
        format!("virustotal_engines:{engines}"),
    ];
    if suspicious > 0 {
        tags.push(format!("virustotal_suspicious:{suspicious}"));
    }
    if let Some(l) = &label {
        tags.push(format!("threat:{l}"));
    }

    Ok(IntelRecord {
        provider: PROVIDER,
        ioc: ioc.clone(),
        reputation,
        confidence,
        claim,
        tags,
        listings: Vec::new(),
        raw: small_raw(body, attrs),
    })
}

/// The answer without the per-engine table, the whois text or the HTTP headers: the
/// identifying attributes, the statistics and the engines that flag it.
fn small_raw(body: &Value, attrs: &Map<String, Value>) -> Value {
    const KEEP: &[&str] = &[
        "last_analysis_date",
        "last_analysis_stats",
        "reputation",
        "total_votes",
        "popular_threat_classification",
        "tags",
        // files
        "md5",
        "sha1",
        "sha256",
        "size",
        "meaningful_name",
        "type_description",
        "first_submission_date",
        "times_submitted",
        // IPs
        "as_owner",
        "asn",
        "country",
        "network",
        // domains
        "registrar",
        "creation_date",
        "categories",
        // URLs
        "url",
        "last_final_url",
        "title",
        "last_http_response_code",
        "threat_names",
    ];
    let mut out = Map::new();
    for k in KEEP {
        if let Some(v) = attrs.get(*k) {
            out.insert((*k).to_owned(), v.clone());
        }
    }
    if let Some(names) = attrs.get("names").and_then(Value::as_array) {
        out.insert(
            "names".to_owned(),
            Value::from(names.iter().take(5).cloned().collect::<Vec<_>>()),
        );
    }
    let flagged: Vec<Value> = attrs
        .get("last_analysis_results")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, r)| {
            matches!(
                r.get("category").and_then(Value::as_str),
                Some("malicious" | "suspicious")
            )
        })
        .take(RAW_FLAGGED)
        .map(|(engine, r)| {
            json!({"engine": engine, "category": r.get("category"), "result": r.get("result")})
        })
        .collect();
    out.insert("flagged_by".to_owned(), Value::from(flagged));
    json!({
        "id": body.pointer("/data/id").cloned().unwrap_or(Value::Null),
        "type": body.pointer("/data/type").cloned().unwrap_or(Value::Null),
        "attributes": out,
    })
}

#[async_trait]
impl IntelProvider for VirusTotal {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn max_fetch_time(&self) -> Option<std::time::Duration> {
        // One request.
        Some(self.http.timeout().saturating_mul(1))
    }

    fn supports(&self, kind: IocKind) -> bool {
        matches!(
            kind,
            IocKind::Md5
                | IocKind::Sha1
                | IocKind::Sha256
                | IocKind::Ipv4
                | IocKind::Ipv6
                | IocKind::Domain
                | IocKind::Url
        )
    }

    async fn lookup(&self, ioc: &Ioc) -> Result<IntelRecord, IntelError> {
        let Some((collection, id, what)) = endpoint(ioc) else {
            return Err(IntelError::Unsupported {
                provider: PROVIDER,
                kind: ioc.kind,
            });
        };
        let url = self.http.url(&["api", "v3", collection, &id]);
        match self.http.get_json(url, true).await? {
            Reply::Found(body) => record(ioc, &what, &body),
            Reply::Missing(body) => never_submitted(ioc, &what, &body),
        }
    }

    /// The public API: 4 requests a minute, 500 a day (404s count too).
    fn quota(&self) -> Option<Quota> {
        Some(Quota {
            per_minute: Some(4),
            per_day: Some(500),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_engine_counts_do_not_wrap_into_a_malicious_ratio() {
        let ioc = Ioc {
            kind: IocKind::Sha256,
            value: "a".repeat(64),
            scope: None,
        };
        let body = serde_json::json!({"data": {"attributes": {"last_analysis_stats":
            {"malicious": 1, "harmless": u64::MAX, "undetected": 1}}}});
        let r = record(&ioc, "file", &body).expect("a record");
        assert_eq!(r.reputation, Reputation::Suspicious, "{r:?}");
    }

    #[test]
    fn url_id_is_unpadded_url_safe_base64() {
        assert_eq!(url_id(""), "");
        assert_eq!(url_id("f"), "Zg");
        assert_eq!(url_id("fo"), "Zm8");
        assert_eq!(url_id("foo"), "Zm9v");
        // The standard alphabet's `/` and `+` become `_` and `-`.
        assert_eq!(url_id("?>?"), "Pz4_");
        assert_eq!(url_id(">>>"), "Pj4-");
    }
}
