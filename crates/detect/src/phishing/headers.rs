//! Authentication: `Authentication-Results` parsing (per DKIM signature, several headers
//! concatenated by a gateway, Microsoft's form without an authserv-id), SPF/DKIM
//! alignment with `From:` computed here on organizational domains (relaxed, as DMARC
//! does by default), the DMARC and composite-authentication verdicts, and the
//! `Received` chain's time order.
//!
//! Which results count: those of the first authserv-id seen (the receiving server stamps
//! its results on top). Results under another authserv-id are someone else's claim; when
//! such a claim says `pass`, `untrusted_authentication_results` says so and the claim is
//! not used.

use super::Signals;
use super::extract::{Hop, MailRecord, Mailbox, cap};
use super::names::{address_domain, org_domain, same_org};
use soc_core::investigation::SignalStrength;

/// One `method=result` with its properties (`smtp.mailfrom`, `header.d`, ...).
#[derive(Debug, Clone, Default)]
pub(crate) struct MethodResult {
    /// Method, lower case (`spf`, `dkim`, `dmarc`, `compauth`, `arc`, ...).
    pub(crate) method: String,
    /// Result, lower case.
    pub(crate) result: String,
    /// Properties, keys lower case.
    pub(crate) props: Vec<(String, String)>,
}

impl MethodResult {
    fn prop(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// The results one authserv-id stamped.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArInstance {
    /// The authserv-id, lower case (`None`: the header had none, as Microsoft's).
    pub(crate) id: Option<String>,
    /// Results, in order.
    pub(crate) results: Vec<MethodResult>,
}

#[rustfmt::skip]
const METHODS: &[&str] = &[
    "spf", "dkim", "dmarc", "arc", "compauth", "iprev", "auth", "dkim-atps", "dkim-adsp",
    "domainkeys", "sender-id", "senderid", "bimi", "smime", "dnswl", "rrvs", "vbr",
];

/// Removes `( ... )` comments (nested, outside quoted strings).
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Splits on `sep` outside quoted strings.
fn split_unquoted(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Whitespace-separated tokens, quoted strings kept whole (at most 64).
fn tokens_unquoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
                if out.len() >= 64 {
                    return out;
                }
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parses one `Authentication-Results` value (or several a gateway joined with `;`).
pub(crate) fn parse_auth_results(s: &str) -> Vec<ArInstance> {
    let text = strip_comments(cap(s, 16 * 1024));
    let mut out: Vec<ArInstance> = Vec::new();
    for piece in split_unquoted(&text, ';').iter().take(256) {
        let tokens = tokens_unquoted(piece);
        let Some(first) = tokens.first() else {
            continue;
        };
        let mut rest = &tokens[..];
        if !first.contains('=') {
            if first.eq_ignore_ascii_case("none") && !out.is_empty() {
                continue;
            }
            out.push(ArInstance {
                id: Some(cap(first, 253).to_ascii_lowercase()),
                results: Vec::new(),
            });
            rest = &tokens[1..];
        }
        if out.is_empty() {
            out.push(ArInstance::default());
        }
        let mut current: Option<MethodResult> = None;
        for t in rest {
            let Some((k, v)) = t.split_once('=') else {
                continue;
            };
            let k = k.trim().to_ascii_lowercase();
            let v = cap(v.trim().trim_matches('"'), 1024).to_owned();
            let method = k.split('/').next().unwrap_or("").to_owned();
            if METHODS.contains(&method.as_str()) || method.starts_with("x-") {
                if let Some(done) = current.take()
                    && let Some(inst) = out.last_mut()
                {
                    inst.results.push(done);
                }
                current = Some(MethodResult {
                    method,
                    result: v
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    props: Vec::new(),
                });
            } else if let Some(cur) = current.as_mut()
                && cur.props.len() < 16
            {
                cur.props.push((k, v));
            }
        }
        if let Some(done) = current
            && let Some(inst) = out.last_mut()
            && inst.results.len() < 64
        {
            inst.results.push(done);
        }
    }
    out
}

/// Parses an RFC 5322 date (`Thu, 14 May 2026 08:26:39 +0000`) or an ISO 8601 one
/// (`2026-05-14T08:26:39Z`) into seconds since the epoch (UTC). `None` when a part is
/// missing, out of range, or the zone is unknown.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = cap(s.trim(), 160);
    let b = s.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        return parse_iso(s);
    }
    parse_rfc5322(s)
}

fn month_number(t: &str) -> Option<i64> {
    let t = t.get(..3)?.to_ascii_lowercase();
    let m = match t.as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(m)
}

fn parse_hms(t: &str) -> Option<i64> {
    let mut parts = t.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: i64 = match parts.next() {
        Some(x) => x.split('.').next()?.parse().ok()?,
        None => 0,
    };
    ((0..24).contains(&h) && (0..60).contains(&m) && (0..=60).contains(&sec))
        .then_some(h * 3600 + m * 60 + sec)
}

fn parse_rfc5322(s: &str) -> Option<i64> {
    let clean = strip_comments(s);
    let (mut day, mut month, mut year, mut hms, mut zone) = (None, None, None, None, None);
    for t in clean
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .take(16)
    {
        if t.contains(':') {
            hms = parse_hms(t);
        } else if (t.starts_with('+') || t.starts_with('-'))
            && t.len() == 5
            && t[1..].bytes().all(|b| b.is_ascii_digit())
        {
            let sign = if t.starts_with('-') { -1 } else { 1 };
            let h: i64 = t[1..3].parse().ok()?;
            let m: i64 = t[3..5].parse().ok()?;
            zone = Some(sign * (h * 3600 + m * 60));
        } else if t.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = t.parse().ok()?;
            if day.is_none() && t.len() <= 2 {
                day = Some(n);
            } else if year.is_none() {
                year = Some(match t.len() {
                    4 => n,
                    2 if n < 50 => 2000 + n,
                    2 | 3 => 1900 + n,
                    _ => return None,
                });
            }
        } else if month.is_none() && t.len() >= 3 && month_number(t).is_some() {
            month = month_number(t);
        } else {
            let z = match t.to_ascii_lowercase().as_str() {
                "ut" | "utc" | "gmt" | "z" => Some(0),
                "est" => Some(-5 * 3600),
                "edt" => Some(-4 * 3600),
                "cst" => Some(-6 * 3600),
                "cdt" => Some(-5 * 3600),
                "mst" => Some(-7 * 3600),
                "mdt" => Some(-6 * 3600),
                "pst" => Some(-8 * 3600),
                "pdt" => Some(-7 * 3600),
                _ => None,
            };
            if z.is_some() && zone.is_none() {
                zone = z;
            }
        }
    }
    let (d, m, y, t, z) = (day?, month?, year?, hms?, zone?);
    if !(1..=31).contains(&d) || !(1..=9999).contains(&y) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + t - z)
}

fn parse_iso(s: &str) -> Option<i64> {
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let rest = s.get(10..).unwrap_or("");
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or(rest);
    let time_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let hms = if time_end == 0 {
        0
    } else {
        parse_hms(&rest[..time_end])?
    };
    let zone_text = rest[time_end..].trim();
    let zone = if zone_text.is_empty() || zone_text.eq_ignore_ascii_case("z") {
        0
    } else {
        let sign = match zone_text.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let digits: String = zone_text[1..]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.len() != 4 {
            return None;
        }
        let h: i64 = digits[..2].parse().ok()?;
        let mi: i64 = digits[2..].parse().ok()?;
        sign * (h * 3600 + mi * 60)
    };
    Some(days_from_civil(y, m, d) * 86_400 + hms - zone)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The authentication picture of one message.
#[derive(Debug, Clone, Default)]
pub(crate) struct Auth {
    /// The `From:` mailbox used (header field, else a native field, else `Sender`).
    pub(crate) from: Option<Mailbox>,
    /// Its domain, lower case.
    pub(crate) header_from: Option<String>,
    /// Envelope sender domain.
    pub(crate) envelope: Option<String>,
    /// SPF verdict.
    pub(crate) spf: Option<String>,
    /// The domain SPF was checked for.
    pub(crate) spf_domain: Option<String>,
    /// DKIM verdict of the signature reported.
    pub(crate) dkim: Option<String>,
    /// Its signing domain.
    pub(crate) dkim_domain: Option<String>,
    /// DMARC verdict.
    pub(crate) dmarc: Option<String>,
    /// Composite-authentication verdict (Microsoft).
    pub(crate) compauth: Option<String>,
    /// SPF domain aligned with `From:`.
    pub(crate) spf_aligned: Option<bool>,
    /// Reported DKIM signature aligned with `From:`.
    pub(crate) dkim_aligned: Option<bool>,
    /// ARC seen.
    pub(crate) arc_present: bool,
    /// Every DKIM signature: verdict and domain.
    dkim_sigs: Vec<(String, Option<String>)>,
}

impl Auth {
    /// Identifiers that passed: (method, domain).
    pub(crate) fn passing(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.spf.as_deref() == Some("pass")
            && let Some(d) = &self.spf_domain
        {
            out.push(("SPF", d.clone()));
        }
        for (r, d) in &self.dkim_sigs {
            if r == "pass"
                && let Some(d) = d
            {
                out.push(("DKIM", d.clone()));
            }
        }
        out
    }

    /// Whether the `From:` domain is backed by a passing, aligned identifier (or the
    /// receiver's DMARC pass).
    pub(crate) fn authenticates_from(&self) -> bool {
        matches!(self.dmarc.as_deref(), Some("pass" | "bestguesspass"))
            || (self.spf.as_deref() == Some("pass") && self.spf_aligned == Some(true))
            || (self.dkim.as_deref() == Some("pass") && self.dkim_aligned == Some(true))
    }
}

fn domain_of(v: &str) -> Option<String> {
    let v = v.trim().trim_matches(['<', '>', '"']);
    if v.is_empty() || v == "@" {
        return None;
    }
    if v.contains('@') {
        return address_domain(v);
    }
    let d = v.trim_end_matches('.').to_ascii_lowercase();
    (d.contains('.') && d.len() <= 253).then_some(d)
}

/// Evaluates authentication and adds the authentication signals.
pub(crate) fn evaluate(rec: &MailRecord, sigs: &mut Signals) -> Auth {
    let mut auth = Auth {
        arc_present: rec.arc_present,
        ..Auth::default()
    };
    // Authentication-Results, grouped by authserv-id; the first id is the receiver.
    let instances: Vec<ArInstance> = rec
        .auth_results
        .iter()
        .flat_map(|s| parse_auth_results(s))
        .take(64)
        .collect();
    let trusted_id = instances.first().map(|i| i.id.clone());
    let mut trusted: Vec<&MethodResult> = Vec::new();
    // Instances of the receiver's id are merged (gateways split one header into several)
    // until a non-DKIM method repeats: a second copy under the same id is not the
    // receiver's first verdict, and a forged one must not add a passing signature.
    let mut complete = false;
    for inst in &instances {
        if Some(&inst.id) == trusted_id.as_ref() {
            let repeats = inst
                .results
                .iter()
                .any(|r| r.method != "dkim" && trusted.iter().any(|t| t.method == r.method));
            complete |= repeats;
            if !complete {
                trusted.extend(inst.results.iter());
            }
            continue;
        }
        let claims: Vec<String> = inst
            .results
            .iter()
            .filter(|r| {
                r.result == "pass" && matches!(r.method.as_str(), "spf" | "dkim" | "dmarc" | "arc")
            })
            .map(|r| format!("{}=pass", r.method))
            .collect();
        if !claims.is_empty() {
            let other = inst.id.as_deref().unwrap_or("(no authserv-id)");
            let ours = trusted_id
                .as_ref()
                .and_then(|i| i.as_deref())
                .unwrap_or("(no authserv-id)");
            sigs.add(
                "untrusted_authentication_results",
                SignalStrength::Moderate,
                format!(
                    "Authentication-Results stamped by {} (not the receiving server {}) claims {}; those claims were not used",
                    super::clean(other, 120),
                    super::clean(ours, 120),
                    claims.join(", ")
                ),
            );
        }
    }
    auth.arc_present |= trusted
        .iter()
        .any(|r| r.method == "arc" && r.result != "none")
        || instances.iter().any(|i| {
            i.results
                .iter()
                .any(|r| r.method == "arc" && r.result != "none")
        });

    // From.
    let from = rec
        .header_from
        .iter()
        .find(|m| m.domain.is_some())
        .or_else(|| rec.native_from.iter().find(|m| m.domain.is_some()))
        .or_else(|| rec.sender.iter().find(|m| m.domain.is_some()))
        .or_else(|| rec.header_from.first())
        .or_else(|| rec.native_from.first())
        .cloned();
    let dmarc_from = trusted
        .iter()
        .find(|r| r.method == "dmarc")
        .and_then(|r| r.prop("header.from"))
        .and_then(domain_of);
    auth.header_from = from.as_ref().and_then(|m| m.domain.clone()).or(dmarc_from);
    auth.from = from.or_else(|| {
        auth.header_from.as_ref().map(|d| Mailbox {
            display: None,
            address: String::new(),
            domain: Some(d.clone()),
        })
    });

    // SPF.
    if let Some(r) = trusted.iter().find(|r| r.method == "spf") {
        auth.spf = Some(r.result.clone());
        auth.spf_domain = r
            .prop("smtp.mailfrom")
            .and_then(domain_of)
            .or_else(|| r.prop("smtp.helo").and_then(domain_of));
    } else if let Some(first) = rec.received_spf.first() {
        let lower = cap(first, 4096).to_ascii_lowercase();
        auth.spf = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .find(|w| !w.is_empty())
            .map(str::to_owned);
        auth.spf_domain = lower
            .split([';', ' ', '('])
            .find_map(|t| t.trim().strip_prefix("envelope-from="))
            .and_then(domain_of)
            .or_else(|| {
                lower
                    .split_once("domain of ")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                    .and_then(domain_of)
            });
    } else if let Some((r, d)) = &rec.native_spf {
        auth.spf = Some(r.clone());
        auth.spf_domain = d.as_deref().and_then(domain_of);
    }
    auth.envelope = rec
        .envelope
        .as_deref()
        .and_then(|e| {
            crate::phishing::extract::parse_mailboxes(e)
                .into_iter()
                .find_map(|m| m.domain)
                .or_else(|| domain_of(e))
        })
        .or_else(|| auth.spf_domain.clone());
    if auth.spf_domain.is_none() && auth.spf.is_some() {
        auth.spf_domain = auth.envelope.clone();
    }

    // DKIM: every signature.
    let mut spare = rec.dkim_signature_domains.iter();
    for r in trusted.iter().filter(|r| r.method == "dkim") {
        let d = r
            .prop("header.d")
            .and_then(domain_of)
            .or_else(|| {
                r.prop("header.i")
                    .and_then(|i| domain_of(i.trim_start_matches('@')))
            })
            .or_else(|| spare.next().cloned());
        auth.dkim_sigs.push((r.result.clone(), d));
    }
    if auth.dkim_sigs.is_empty()
        && let Some((r, d)) = &rec.native_dkim
    {
        let d = d
            .as_deref()
            .and_then(domain_of)
            .or_else(|| rec.dkim_signature_domains.first().cloned());
        auth.dkim_sigs.push((r.clone(), d));
    }

    // DMARC and composite authentication.
    auth.dmarc = trusted
        .iter()
        .find(|r| r.method == "dmarc")
        .map(|r| r.result.clone())
        .or_else(|| rec.native_dmarc.clone());
    auth.compauth = trusted
        .iter()
        .find(|r| r.method == "compauth")
        .map(|r| r.result.clone())
        .or_else(|| rec.native_compauth.clone());

    // Alignment on organizational domains.
    if let Some(from) = auth.header_from.clone() {
        auth.spf_aligned = auth.spf_domain.as_deref().map(|d| same_org(d, &from));
        let aligned = |d: &Option<String>| d.as_deref().map(|d| same_org(d, &from));
        let rank = |(r, d): &(String, Option<String>)| {
            let pass = r == "pass";
            match (pass, aligned(d)) {
                (true, Some(true)) => 0,
                (true, _) => 1,
                (false, Some(true)) => 2,
                _ => 3,
            }
        };
        if let Some(best) = auth.dkim_sigs.iter().min_by_key(|s| rank(s)) {
            auth.dkim = Some(best.0.clone());
            auth.dkim_domain = best.1.clone();
            auth.dkim_aligned = aligned(&best.1);
        }
    } else if let Some(first) = auth.dkim_sigs.first() {
        auth.dkim = Some(first.0.clone());
        auth.dkim_domain = first.1.clone();
    }

    auth_signals(rec, &auth, sigs);
    auth
}

fn auth_signals(rec: &MailRecord, auth: &Auth, sigs: &mut Signals) {
    if rec.from_fields_max >= 2 {
        let addrs: Vec<String> = rec
            .header_from
            .iter()
            .take(4)
            .map(|m| super::clean(&m.address, 80))
            .collect();
        sigs.add(
            "multiple_from_headers",
            SignalStrength::Strong,
            format!(
                "the message carries {} From addresses ({}); clients show one and DMARC may check another",
                rec.from_fields_max,
                addrs.join(", ")
            ),
        );
    }
    let from = auth.header_from.as_deref().map(|d| super::clean(d, 120));
    let from_txt = from.clone().unwrap_or_else(|| "(unknown)".to_owned());
    let mut dmarc_failed = false;
    match auth.dmarc.as_deref() {
        Some("fail") => {
            dmarc_failed = true;
            sigs.add(
                "dmarc_fail",
                SignalStrength::Strong,
                format!("the receiving server's DMARC check failed for From domain {from_txt}"),
            );
        }
        Some("none") => sigs.add(
            "dmarc_no_policy",
            SignalStrength::Moderate,
            format!("dmarc=none: From domain {from_txt} publishes no DMARC policy, so nothing stops others sending as it"),
        ),
        Some("bestguesspass") => sigs.add(
            "dmarc_best_guess",
            SignalStrength::Moderate,
            format!("dmarc=bestguesspass: From domain {from_txt} publishes no DMARC record; the receiver only guessed it would pass"),
        ),
        _ => {}
    }
    if auth.compauth.as_deref() == Some("fail") {
        sigs.add(
            "composite_auth_fail",
            SignalStrength::Moderate,
            format!("compauth=fail: the receiver's composite authentication rejected the message from {from_txt}"),
        );
    }
    let any_result = auth.spf.is_some() || auth.dkim.is_some() || auth.dmarc.is_some();
    let dmarc_ok = matches!(auth.dmarc.as_deref(), Some("pass" | "bestguesspass"));
    let spf_ok = auth.spf.as_deref() == Some("pass") && auth.spf_aligned != Some(false);
    let dkim_ok = auth.dkim_sigs.iter().any(|(r, d)| {
        r == "pass" && !matches!((d, &auth.header_from), (Some(d), Some(f)) if !same_org(d, f))
    });
    if let Some(from) = from
        && any_result
        && !dmarc_ok
        && !spf_ok
        && !dkim_ok
        && !dmarc_failed
    {
        let spf = match (&auth.spf, &auth.spf_domain) {
            (Some(r), Some(d)) => {
                format!("spf={} for {}", super::clean(r, 20), super::clean(d, 100))
            }
            (Some(r), None) => format!("spf={}", super::clean(r, 20)),
            _ => "no SPF result".to_owned(),
        };
        let dkim = match (&auth.dkim, &auth.dkim_domain) {
            (Some(r), Some(d)) => format!(
                "dkim={} for d={}",
                super::clean(r, 20),
                super::clean(d, 100)
            ),
            (Some(r), None) => format!("dkim={}", super::clean(r, 20)),
            _ => "no DKIM result".to_owned(),
        };
        sigs.add(
            "no_aligned_authentication",
            SignalStrength::Strong,
            format!(
                "no passing SPF or DKIM identifier aligns with From domain {from} ({spf}; {dkim}; organizational domain {})",
                super::clean(&org_domain(&from), 100)
            ),
        );
    }
}

/// Tolerated clock skew between two relays, seconds.
const SKEW: i64 = 300;

/// `received_chain_non_monotonic`: a hop stamped later than the hop that handled the
/// message after it (beyond [`SKEW`]). A chain listed oldest first is read in that order.
pub(crate) fn trace_signals(rec: &MailRecord, sigs: &mut Signals) {
    let mut hops: Vec<&Hop> = rec.hops.iter().collect();
    if hops.len() < 2 {
        return;
    }
    let linked =
        |newer: &Hop, older: &Hop| matches!((&newer.from, &older.by), (Some(f), Some(b)) if f == b);
    let forward = hops.windows(2).filter(|w| linked(w[0], w[1])).count();
    let backward = hops.windows(2).filter(|w| linked(w[1], w[0])).count();
    if backward > forward {
        hops.reverse();
    }
    let timed: Vec<(usize, &Hop, i64)> = hops
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.time.map(|t| (i, *h, t)))
        .collect();
    for w in timed.windows(2) {
        let (newer_i, newer, newer_t) = w[0];
        let (older_i, older, older_t) = w[1];
        let gap = older_t.saturating_sub(newer_t);
        if gap > SKEW {
            let by = |h: &Hop| {
                h.by.as_deref()
                    .map(|b| super::clean(b, 100))
                    .unwrap_or_else(|| "(unnamed host)".to_owned())
            };
            sigs.add(
                "received_chain_non_monotonic",
                SignalStrength::Strong,
                format!(
                    "Received hop {} (by {}) is stamped {} later than hop {} (by {}), which handled the message after it",
                    older_i + 1,
                    by(older),
                    duration(gap),
                    newer_i + 1,
                    by(newer)
                ),
            );
            return;
        }
    }
}

fn duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}
