//! URL anatomy: where a link really goes and what it dresses up as. Signals: userinfo
//! before the host (`https://microsoft.com@evil.example/`), a brand in the subdomain of
//! someone else's domain, the recipient's address in the fragment (a pre-filled fake
//! login), a raw IP host, a shortener, a credential-harvest path, internationalized
//! (punycode) host names, and look-alike registrable domains.
//!
//! A link to a domain unrelated to the sender is *not* a signal: that is how bulk mail,
//! click tracking and SaaS notifications work.

use soc_core::investigation::SignalStrength;

use super::Signals;
use super::brands::Brands;
use super::names::{
    base64_encode, confusable, host_to_unicode, is_ip_literal, org_domain, org_label,
    percent_decode, skeleton, strip_diacritic,
};

/// A URL taken apart.
#[derive(Debug, Clone, Default)]
pub(crate) struct UrlParts {
    /// The URL as given (refanged, trimmed).
    pub(crate) raw: String,
    /// Userinfo before `@` in the authority, when present.
    pub(crate) userinfo: Option<String>,
    /// Host, lower case, without brackets or a trailing dot.
    pub(crate) host: String,
    /// Path (from the first `/`).
    pub(crate) path: String,
    /// Fragment (after `#`).
    pub(crate) fragment: String,
}

/// Takes a web URL apart (`http`, `https`, `ftp`, or a bare `www.` name); `None` for
/// anything else (`mailto:`, `otpauth:`, text).
pub(crate) fn parse(raw: &str) -> Option<UrlParts> {
    let refanged = soc_core::ioc::refang(super::extract::cap(raw.trim(), 8192)).into_owned();
    let s = refanged.trim().trim_matches(['<', '>', '"', '\'']).trim();
    let (scheme, rest) = match s.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None if s.len() > 4 && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www.")) => {
            ("http".to_owned(), s)
        }
        None => return None,
    };
    if !matches!(scheme.as_str(), "http" | "https" | "ftp") {
        return None;
    }
    let auth_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_owned()), h),
        None => (None, authority),
    };
    let host = if let Some(inner) = hostport.strip_prefix('[') {
        inner.split(']').next().unwrap_or("").to_owned()
    } else {
        match hostport.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_owned(),
            _ => hostport.to_owned(),
        }
    };
    let host = host.trim_end_matches('.').to_lowercase();
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    let (before_frag, fragment) = match tail.split_once('#') {
        Some((b, f)) => (b, f.to_owned()),
        None => (tail, String::new()),
    };
    let path = before_frag.split('?').next().unwrap_or("").to_owned();
    Some(UrlParts {
        raw: s.to_owned(),
        userinfo: userinfo.filter(|u| !u.is_empty()),
        host,
        path,
        fragment,
    })
}

/// Path words of a sign-in or credential page.
#[rustfmt::skip]
const CREDENTIAL_WORDS: &[&str] = &[
    "login", "logon", "signin", "signon", "auth", "oauth", "oauth2", "authenticate",
    "authorize", "verify", "verification", "validate", "validation", "password", "passwd",
    "pwd", "reset", "recover", "recovery", "unlock", "mfa", "2fa", "otp", "sso", "webmail",
    "owa", "credential", "credentials", "reauth", "reactivate",
];

fn credential_word(path: &str) -> Option<String> {
    let decoded = percent_decode(path).to_lowercase();
    let words: Vec<&str> = decoded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(64)
        .collect();
    if let Some(w) = words.iter().find(|w| CREDENTIAL_WORDS.contains(w)) {
        return Some((*w).to_owned());
    }
    words.windows(2).find_map(|w| {
        matches!((w[0], w[1]), ("sign" | "log", "in" | "on")).then(|| format!("{}-{}", w[0], w[1]))
    })
}

/// What a URL check knows about the message.
pub(crate) struct UrlContext<'a> {
    /// Brand data.
    pub(crate) brands: &'a Brands,
    /// Organizational domain of the sender, when known.
    pub(crate) sender_org: Option<String>,
    /// Recipient addresses, lower case.
    pub(crate) recipients: &'a [String],
    /// Recipient organizational domains.
    pub(crate) recipient_orgs: &'a [String],
}

fn is_internal_ip(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        Ok(std::net::IpAddr::V6(v6)) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

/// The anatomy signals of one URL; `origin` says where it was found (`link`, `QR code
/// in x.png`, ...).
pub(crate) fn check(u: &UrlParts, origin: &str, cx: &UrlContext<'_>, sigs: &mut Signals) {
    let shown = super::clean(&u.raw, 160);
    let host = &u.host;
    let org = org_domain(host);
    if let Some(info) = &u.userinfo {
        sigs.add(
            "url_userinfo_authority",
            SignalStrength::Strong,
            format!(
                "{origin} {shown} puts \"{}\" before an @, so the browser goes to {}",
                super::clean(info, 80),
                super::clean(host, 100)
            ),
        );
    }
    if is_ip_literal(host) {
        if !is_internal_ip(host) {
            sigs.add(
                "url_raw_ip_host",
                SignalStrength::Moderate,
                format!(
                    "{origin} {shown} goes to a bare IP address ({})",
                    super::clean(host, 60)
                ),
            );
        }
    } else {
        if cx.brands.is_shortener(host) {
            sigs.add(
                "url_shortener",
                SignalStrength::Weak,
                format!(
                    "{origin} {shown} is a shortener ({}): the destination is hidden",
                    super::clean(host, 60)
                ),
            );
        }
        let own = cx.recipient_orgs.contains(&org);
        let sub = host
            .strip_suffix(org.as_str())
            .and_then(|s| s.strip_suffix('.'))
            .filter(|s| !s.is_empty());
        if !own
            && let Some(sub) = sub
            && let Some((brand, matched)) = cx.brands.in_labels(sub)
            && !Brands::authorized(brand, host)
        {
            sigs.add(
                "brand_in_subdomain",
                SignalStrength::Strong,
                format!(
                    "{origin} {shown} puts the brand {} (\"{}\") in the subdomain of {}, which is not one of its domains",
                    brand.name,
                    super::clean(&matched, 60),
                    super::clean(&org, 100)
                ),
            );
        }
        punycode(
            host,
            &format!("{origin} host"),
            cx.brands,
            cx.recipient_orgs,
            sigs,
        );
        if cx.sender_org.as_deref() != Some(org.as_str())
            && let Some(why) = super::sender::lookalike(host, cx.brands, cx.recipient_orgs)
        {
            sigs.add(
                "lookalike_domain",
                SignalStrength::Moderate,
                format!("{origin} {shown}: {why}"),
            );
        }
    }
    if let Some(word) = credential_word(&u.path) {
        sigs.add(
            "credential_harvest_path",
            SignalStrength::Weak,
            format!("{origin} {shown} has a sign-in or credential path (\"{word}\")"),
        );
    }
    if !u.fragment.is_empty() {
        let frag = percent_decode(&u.fragment);
        let frag_lower = frag.to_lowercase();
        for r in cx.recipients.iter().take(20) {
            if r.len() < 6 {
                continue;
            }
            let b64 = base64_encode(r.as_bytes());
            let b64_url: String = b64
                .chars()
                .map(|c| match c {
                    '+' => '-',
                    '/' => '_',
                    other => other,
                })
                .collect();
            let how = if frag_lower.contains(r.as_str()) {
                Some("in clear")
            } else if frag.contains(&b64) || frag.contains(&b64_url) {
                Some("base64-encoded")
            } else {
                None
            };
            if let Some(how) = how {
                sigs.add(
                    "recipient_in_url_fragment",
                    SignalStrength::Strong,
                    format!(
                        "{origin} {shown} carries the recipient's address {} ({how}) in its fragment, so the page arrives pre-filled",
                        super::clean(r, 100)
                    ),
                );
                break;
            }
        }
    }
}

/// `punycode_domain` for a host name: strong when its unicode letters are all look-alikes
/// of Latin ones, or it reads as a brand or the recipient's organization once accents
/// are dropped; moderate otherwise.
pub(crate) fn punycode(
    host: &str,
    what: &str,
    brands: &Brands,
    recipient_orgs: &[String],
    sigs: &mut Signals,
) {
    let host = host.to_lowercase();
    let has_idn = host.split('.').any(|l| l.starts_with("xn--")) || !host.is_ascii();
    if !has_idn {
        return;
    }
    let unicode = host_to_unicode(&host);
    let non_ascii: Vec<char> = unicode
        .chars()
        .filter(|c| !c.is_ascii())
        .take(256)
        .collect();
    if non_ascii.is_empty() {
        return;
    }
    let all_confusable = non_ascii.iter().all(|c| confusable(*c).is_some());
    let (label, _) = org_label(&unicode);
    let folded: String = label
        .chars()
        .map(|c| confusable(c).or_else(|| strip_diacritic(c)).unwrap_or(c))
        .collect();
    let folded_sk = skeleton(&folded);
    let target = brands
        .brands
        .iter()
        .flat_map(|b| b.domains.iter())
        .chain(recipient_orgs.iter())
        .find(|d| {
            let (tl, _) = org_label(d);
            tl == folded || skeleton(&tl) == folded_sk
        })
        .cloned();
    let shown = super::clean(&unicode, 120);
    let (strength, how) = match (&target, all_confusable) {
        (Some(t), _) => (
            SignalStrength::Strong,
            format!("which reads as {}", super::clean(t, 100)),
        ),
        (None, true) => (
            SignalStrength::Strong,
            format!(
                "whose non-Latin letters all pass for Latin ones (reads as {})",
                super::clean(&folded, 100)
            ),
        ),
        (None, false) => (
            SignalStrength::Moderate,
            "an internationalized name with no Latin look-alike".to_owned(),
        ),
    };
    sigs.add(
        "punycode_domain",
        strength,
        format!(
            "{what} {} is the unicode name \"{shown}\", {how}",
            super::clean(&host, 120)
        ),
    );
}
