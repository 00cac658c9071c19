//! Normalisation of single indicator strings.
//!
//! Canonical forms:
//! - IPv4: dotted quad; octets with leading zeros (`010.1.1.1`) are rejected, never
//!   reinterpreted as octal or decimal.
//! - IPv6: `std::net::Ipv6Addr` display (RFC 5952: lower case, `::` compression); brackets
//!   and a `%zone` suffix are dropped. IPv4-mapped addresses stay IPv6 (`::ffff:1.2.3.4`).
//! - Domain: lower case, no trailing dot, unicode labels in their `xn--` form, at least two
//!   labels and a known TLD (delegated, special-use or configured internal).
//! - URL: refanged; scheme and host lower case; everything after the host kept as given.
//!   A declared URL without a scheme gets `http://`.
//! - Hashes: lower-case hex of exactly 32/40/64 digits (an `MD5=` style prefix is dropped);
//!   all-one-digit placeholders such as all zeros are rejected.
//! - E-mail: `local@domain`, domain part as for domains, local part kept as given.
//! - User: trimmed, case and any `DOMAIN\` prefix kept (Linux names are case-sensitive and
//!   the domain tells accounts apart); `-`, empty and `null`-like placeholders rejected.
//! - Host: lower case, no trailing dot, no leading `\\`; a host that is an IP address is
//!   returned as an IPv4/IPv6 indicator.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::scope::{scope_domain, scope_ip};
use super::{Ioc, IocConfig, IocKind, lex, punycode, tld};

/// Longest URL accepted.
const MAX_URL_LEN: usize = 8192;
/// Longest user name accepted.
const MAX_USER_LEN: usize = 256;

/// Bracketed defanging tokens (matched case-insensitively) and what they stand for.
const BRACKET_TOKENS: &[(&str, &str)] = &[
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[://]", "://"),
    ("[:]", ":"),
    ("[@]", "@"),
    ("(@)", "@"),
    ("[at]", "@"),
];

/// Defanged schemes (matched case-insensitively at a word start) and their real form.
const DEFANGED_SCHEMES: &[(&str, &str)] = &[
    ("hxxps", "https://"),
    ("hxxp", "http://"),
    ("fxps", "ftps://"),
    ("fxp", "ftp://"),
];

/// Separators that may follow a defanged scheme.
const SCHEME_SEPARATORS: &[&str] = &["://", "[://]", "[:]//"];

/// Undoes common defanging: `hxxp`/`hxxps`/`fxp` schemes, `[.]`, `(.)`, `{.}`, `[dot]`,
/// `(dot)`, `{dot}`, `[:]`, `[://]`, `[@]`, `(@)`, `[at]` (all case-insensitive). Borrows
/// when there is nothing to undo.
pub fn refang(s: &str) -> Cow<'_, str> {
    // A byte loop rather than a regex: this runs on every string leaf of every alert.
    let b = s.as_bytes();
    let mut out = String::new();
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        let hit = match b[i] {
            b'[' | b'(' | b'{' => bracket_token(&b[i..]),
            b'h' | b'H' | b'f' | b'F' if i == 0 || !lex::is_word_byte(b[i - 1]) => {
                defanged_scheme(&b[i..])
            }
            _ => None,
        };
        match hit {
            Some((len, real)) => {
                out.push_str(&s[last..i]);
                out.push_str(real);
                i += len;
                last = i;
            }
            None => i += 1,
        }
    }
    if last == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// `t` starts with `prefix`, ignoring ASCII case.
fn starts_with_ci(t: &[u8], prefix: &str) -> bool {
    t.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn bracket_token(t: &[u8]) -> Option<(usize, &'static str)> {
    BRACKET_TOKENS
        .iter()
        .find(|(tok, _)| starts_with_ci(t, tok))
        .map(|(tok, real)| (tok.len(), *real))
}

fn defanged_scheme(t: &[u8]) -> Option<(usize, &'static str)> {
    let (scheme, real) = DEFANGED_SCHEMES
        .iter()
        .find(|(scheme, _)| starts_with_ci(t, scheme))?;
    let rest = &t[scheme.len()..];
    let sep = SCHEME_SEPARATORS
        .iter()
        .find(|sep| rest.starts_with(sep.as_bytes()))?;
    Some((scheme.len() + sep.len(), *real))
}

/// Normalises `raw` as an indicator of `kind`; `None` when it is not one. See the module
/// docs for the canonical forms. A [`IocKind::Host`] that is an IP address comes back as
/// an IP indicator.
pub fn normalise(kind: IocKind, raw: &str, cfg: &IocConfig) -> Option<Ioc> {
    match kind {
        IocKind::Ipv4 => {
            let ip = parse_ipv4_strict(strip_brackets(refang(raw).trim()))?;
            Some(ip_ioc(IpAddr::V4(ip)))
        }
        IocKind::Ipv6 => {
            let ip = parse_ipv6(refang(raw).trim())?;
            Some(ip_ioc(IpAddr::V6(ip)))
        }
        IocKind::Domain => domain_ioc(&refang(raw), cfg),
        IocKind::Url => normalise_url(raw, true, cfg).map(|(url, _)| url),
        IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 => hash_ioc(raw).filter(|h| h.kind == kind),
        IocKind::Email => normalise_email(&refang(raw), cfg),
        IocKind::User => {
            let v = raw.trim();
            if is_placeholder(v)
                || v.chars().count() > MAX_USER_LEN
                || v.chars().any(char::is_control)
            {
                return None;
            }
            Some(Ioc {
                kind,
                value: v.to_owned(),
                scope: None,
            })
        }
        IocKind::Host => {
            let v = raw.trim();
            let v = v.trim_start_matches('\\');
            if is_placeholder(v) {
                return None;
            }
            if let Some(ip) = parse_ip(v) {
                return Some(ip_ioc(ip));
            }
            let value = canonical_name(v, 1, false, cfg)?;
            let scope = scope_domain(&value, cfg);
            Some(Ioc {
                kind,
                value,
                scope: Some(scope),
            })
        }
    }
}

/// Guesses the kind of `raw` and normalises it: URL (has `://`), IP address, hash (32, 40
/// or 64 hex digits), e-mail (has `@`), domain (known TLD). User and host names cannot be
/// told from other text, so they are never guessed.
pub fn classify(raw: &str, cfg: &IocConfig) -> Option<Ioc> {
    let s = refang(raw);
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains("://") {
        return normalise_url(s, false, cfg).map(|(u, _)| u);
    }
    if let Some(ip) = parse_ip(s) {
        return Some(ip_ioc(ip));
    }
    if let Some(kind) = hash_kind(s.len()).filter(|_| s.bytes().all(|b| b.is_ascii_hexdigit())) {
        return normalise(kind, s, cfg);
    }
    if s.contains('@') {
        return normalise_email(s, cfg);
    }
    normalise(IocKind::Domain, s, cfg)
}

/// The host of a URL as its own indicator: an IP address, a domain (known TLD), or a host
/// name (single label or unknown TLD); `None` when `url` is not a valid URL.
pub fn url_host(url: &str, cfg: &IocConfig) -> Option<Ioc> {
    normalise_url(url, true, cfg).map(|(_, host)| host)
}

/// Normalises a URL and returns it with its host indicator. `allow_schemeless` prefixes
/// `http://` when there is no scheme.
pub(crate) fn normalise_url(
    raw: &str,
    allow_schemeless: bool,
    cfg: &IocConfig,
) -> Option<(Ioc, Ioc)> {
    url_ioc(&refang(raw), allow_schemeless, cfg)
}

/// [`normalise_url`] for text that is already refanged.
pub(crate) fn url_ioc(s: &str, allow_schemeless: bool, cfg: &IocConfig) -> Option<(Ioc, Ioc)> {
    let s = s.trim();
    if s.is_empty()
        || s.len() > MAX_URL_LEN
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let (scheme, rest) = match s.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None if allow_schemeless => ("http", s),
        None => return None,
    };
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme || scheme.len() > 16 {
        return None;
    }
    // Browsers (WHATWG URL) read `\` as `/` in special schemes, so in
    // `http://evil.example\@login.microsoft.com/` the host is `evil.example`.
    let auth_end = if is_special_scheme(scheme) {
        rest.find(['/', '\\', '?', '#'])
    } else {
        rest.find(['/', '?', '#'])
    }
    .unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host_text, port) = split_port(hostport)?;
    let (host_value, host_ioc) = if let Some(inner) = host_text.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let ip = parse_ipv6(inner)?;
        (format!("[{ip}]"), ip_ioc(IpAddr::V6(ip)))
    } else if host_text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // All digits and dots: a strict dotted quad or nothing (no integer, octal or
        // short forms).
        let ip = parse_ipv4_strict(host_text)?;
        (ip.to_string(), ip_ioc(IpAddr::V4(ip)))
    } else {
        let name = canonical_name(host_text, 1, false, cfg)?;
        let scope = Some(scope_domain(&name, cfg));
        let known = name.contains('.')
            && name
                .rsplit('.')
                .next()
                .is_some_and(|t| tld::is_known_tld(t, cfg));
        let kind = if known {
            IocKind::Domain
        } else {
            IocKind::Host
        };
        (
            name.clone(),
            Ioc {
                kind,
                value: name,
                scope,
            },
        )
    };
    let mut value = String::with_capacity(s.len() + 8);
    value.push_str(&scheme.to_ascii_lowercase());
    value.push_str("://");
    if let Some(u) = userinfo {
        value.push_str(u);
        value.push('@');
    }
    value.push_str(&host_value);
    if let Some(p) = port {
        value.push(':');
        value.push_str(p);
    }
    value.push_str(tail);
    let url = Ioc {
        kind: IocKind::Url,
        value,
        scope: host_ioc.scope,
    };
    Some((url, host_ioc))
}

/// A WHATWG "special" scheme, where `\` is a path separator like `/`.
fn is_special_scheme(scheme: &str) -> bool {
    ["http", "https", "ws", "wss", "ftp", "file"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
}

/// Splits `host[:port]`; `None` when the port is not a number up to 65535.
fn split_port(hostport: &str) -> Option<(&str, Option<&str>)> {
    let colon = if hostport.starts_with('[') {
        hostport
            .find(']')
            .map(|i| i + 1)
            .filter(|&i| i < hostport.len())
    } else {
        hostport.rfind(':')
    };
    match colon {
        None => Some((hostport, None)),
        Some(i) => {
            // Check the separator before slicing: after `]` may come any character,
            // and `i + 1` is only a character boundary when byte `i` is the ASCII `:`.
            if hostport.as_bytes().get(i) != Some(&b':') {
                return None;
            }
            let (host, port) = (hostport.get(..i)?, hostport.get(i + 1..)?);
            let ok = !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| p <= 65_535);
            ok.then_some((host, Some(port)))
        }
    }
}

/// An e-mail address from already refanged text.
pub(crate) fn normalise_email(s: &str, cfg: &IocConfig) -> Option<Ioc> {
    let s = s.trim();
    let s = s
        .strip_prefix('<')
        .and_then(|x| x.strip_suffix('>'))
        .unwrap_or(s);
    let s = strip_prefix_ci(s, "mailto:").unwrap_or(s);
    let (local, domain) = s.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    if !local_ok {
        return None;
    }
    let domain = canonical_name(domain, 2, true, cfg)?;
    let scope = scope_domain(&domain, cfg);
    Some(Ioc {
        kind: IocKind::Email,
        value: format!("{local}@{domain}"),
        scope: Some(scope),
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A domain from already refanged text.
pub(crate) fn domain_ioc(s: &str, cfg: &IocConfig) -> Option<Ioc> {
    let value = canonical_name(s, 2, true, cfg)?;
    let scope = scope_domain(&value, cfg);
    Some(Ioc {
        kind: IocKind::Domain,
        value,
        scope: Some(scope),
    })
}

/// A hash of whichever kind its length says.
pub(crate) fn hash_ioc(raw: &str) -> Option<Ioc> {
    let value = canonical_hash(raw)?;
    let kind = hash_kind(value.len())?;
    Some(Ioc {
        kind,
        value,
        scope: None,
    })
}

/// The hash kind for a hex string of `len` digits.
pub(crate) fn hash_kind(len: usize) -> Option<IocKind> {
    match len {
        32 => Some(IocKind::Md5),
        40 => Some(IocKind::Sha1),
        64 => Some(IocKind::Sha256),
        _ => None,
    }
}

/// Lower-case hex of a hash, after dropping an `ALGO=` or `algo:` prefix; `None` unless it
/// is 32/40/64 hex digits that are not all the same digit.
pub(crate) fn canonical_hash(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = match s.rfind(['=', ':']) {
        Some(i)
            if s[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            &s[i + 1..]
        }
        _ => s,
    };
    let s = s.trim();
    hash_kind(s.len())?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let first = s.as_bytes().first()?.to_ascii_lowercase();
    if s.bytes().all(|b| b.to_ascii_lowercase() == first) {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

fn is_placeholder(v: &str) -> bool {
    v.is_empty()
        || v == "-"
        || v == "--"
        || ["null", "(null)", "n/a", "none"]
            .iter()
            .any(|p| v.eq_ignore_ascii_case(p))
}

/// The indicator for an IP address, with its scope. An IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`) is the IPv4 address it carries, so feeds and history match it.
pub(crate) fn ip_ioc(ip: IpAddr) -> Ioc {
    let ip = ip.to_canonical();
    let kind = match ip {
        IpAddr::V4(_) => IocKind::Ipv4,
        IpAddr::V6(_) => IocKind::Ipv6,
    };
    Ioc {
        kind,
        value: ip.to_string(),
        scope: Some(scope_ip(&ip)),
    }
}

fn strip_brackets(s: &str) -> &str {
    s.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s)
}

/// A strict dotted quad: four decimal octets of 1-3 digits, no leading zeros, each at most
/// 255.
pub(crate) fn parse_ipv4_strict(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if p.len() > 1 && p.starts_with('0') {
            return None;
        }
        *o = p.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// An IPv6 address, optionally in brackets and with a `%zone` suffix (dropped).
pub(crate) fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    let s = strip_brackets(s);
    let s = match s.split_once('%') {
        Some((addr, zone))
            if !zone.is_empty()
                && zone
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) =>
        {
            addr
        }
        Some(_) => return None,
        None => s,
    };
    if !s.contains(':') {
        return None;
    }
    // std accepts an embedded dotted quad; hold it to the same no-leading-zero rule.
    if let Some((_, tail)) = s.rsplit_once(':')
        && tail.contains('.')
    {
        parse_ipv4_strict(tail)?;
    }
    s.parse().ok()
}

/// An IPv4 (strict) or IPv6 address.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Some(v4) = parse_ipv4_strict(strip_brackets(s)) {
        return Some(IpAddr::V4(v4));
    }
    parse_ipv6(s).map(IpAddr::V6)
}

/// Canonical DNS-style name: lower case, trailing dot and a leading `*.` dropped, unicode
/// labels in `xn--` form. Labels are 1-63 characters of letters, digits, `-` and `_`, not
/// starting or ending with `-`; the whole name is at most 253 characters. With
/// `need_known_tld`, the last label must be a known TLD; otherwise a multi-label name still
/// needs an alphabetic (or `xn--`) last label.
pub(crate) fn canonical_name(
    raw: &str,
    min_labels: usize,
    need_known_tld: bool,
    cfg: &IocConfig,
) -> Option<String> {
    let s = raw.trim();
    let s = s.strip_suffix('.').unwrap_or(s);
    let s = s.strip_prefix("*.").unwrap_or(s);
    if s.is_empty() || s.len() > 1024 {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut labels = 0usize;
    let mut last_start = 0usize;
    for label in s.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}']) {
        if labels > 0 {
            out.push('.');
        }
        last_start = out.len();
        if label.is_ascii() {
            if !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return None;
            }
            out.push_str(&label.to_ascii_lowercase());
        } else {
            let lower = label.to_lowercase();
            if !lower.chars().all(|c| c.is_alphanumeric() || c == '-') {
                return None;
            }
            out.push_str("xn--");
            out.push_str(&punycode::encode(&lower)?);
        }
        let l = &out[last_start..];
        if l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-') {
            return None;
        }
        labels += 1;
    }
    if labels < min_labels || out.len() > 253 {
        return None;
    }
    if labels >= 2 {
        let tld = &out[last_start..];
        let shaped = tld.starts_with("xn--") || tld.bytes().all(|b| b.is_ascii_alphabetic());
        if !shaped || (need_known_tld && !tld::is_known_tld(tld, cfg)) {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::Scope;

    fn cfg() -> IocConfig {
        IocConfig::default()
    }

    fn val(kind: IocKind, raw: &str) -> Option<String> {
        normalise(kind, raw, &cfg()).map(|i| i.value)
    }

    #[test]
    fn refang_examples() {
        let cases = [
            ("hxxp://evil[.]com/a", "http://evil.com/a"),
            ("HXXPS[://]evil(.)com", "https://evil.com"),
            ("hxxps[:]//a{.}b[dot]com", "https://a.b.com"),
            ("fxp://files[.]evil[.]net", "ftp://files.evil.net"),
            ("bob[@]evil[.]com", "bob@evil.com"),
            ("bob[at]evil(dot)com", "bob@evil.com"),
            ("10[.]0[.]0[.]1[:]8080", "10.0.0.1:8080"),
        ];
        for (raw, want) in cases {
            assert_eq!(refang(raw), want, "{raw}");
        }
        assert!(matches!(refang("plain text"), Cow::Borrowed(_)));
        // Not a defanged scheme: a word merely containing hxxp.
        assert_eq!(refang("ahxxp://x"), "ahxxp://x");
    }

    #[test]
    fn ipv4_strict() {
        assert_eq!(val(IocKind::Ipv4, " 8.8.8.8 ").as_deref(), Some("8.8.8.8"));
        assert_eq!(
            val(IocKind::Ipv4, "1[.]2[.]3[.]4").as_deref(),
            Some("1.2.3.4")
        );
        for bad in [
            "010.1.1.1",
            "1.2.3.04",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.",
            "a.b.c.d",
            "3232235521",
            "0x7f.0.0.1",
        ] {
            assert_eq!(val(IocKind::Ipv4, bad), None, "{bad}");
        }
        assert_eq!(val(IocKind::Ipv4, "0.0.0.0").as_deref(), Some("0.0.0.0"));
    }

    #[test]
    fn ipv6_canonical() {
        assert_eq!(
            val(IocKind::Ipv6, "2001:DB8:0:0:0:0:0:1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            val(IocKind::Ipv6, "[FE80::1%eth0]").as_deref(),
            Some("fe80::1")
        );
        assert_eq!(
            val(IocKind::Ipv6, "::FFFF:192.0.2.1").as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(
            val(IocKind::Ipv6, "2001:0db8:0000:0000:0001:0000:0000:0001").as_deref(),
            Some("2001:db8::1:0:0:1")
        );
        for bad in [
            "12:30:45",
            "00:1a:2b:3c:4d:5e",
            "1.2.3.4",
            "::ffff:010.0.0.1",
            "fe80::1%",
        ] {
            assert_eq!(val(IocKind::Ipv6, bad), None, "{bad}");
        }
    }

    #[test]
    fn domains() {
        assert_eq!(
            val(IocKind::Domain, "Evil[.]COM.").as_deref(),
            Some("evil.com")
        );
        assert_eq!(
            val(IocKind::Domain, "*.cdn.evil.net").as_deref(),
            Some("cdn.evil.net")
        );
        assert_eq!(
            val(IocKind::Domain, "bücher.de").as_deref(),
            Some("xn--bcher-kva.de")
        );
        assert_eq!(
            val(IocKind::Domain, "例え.中国").as_deref(),
            Some("xn--r8jz45g.xn--fiqs8s")
        );
        assert_eq!(
            val(IocKind::Domain, "ws1.corp.local").as_deref(),
            Some("ws1.corp.local")
        );
        for bad in [
            "setup.exe",
            "invoice.pdf",
            "localhost",
            "a..com",
            "-a.com",
            "a b.com",
            "evil.c0m",
            "http://evil.com",
            "1.2.3.4",
        ] {
            assert_eq!(val(IocKind::Domain, bad), None, "{bad}");
        }
        let d = normalise(IocKind::Domain, "shop.example", &cfg()).unwrap();
        assert_eq!(d.scope, Some(Scope::Reserved));
    }

    #[test]
    fn urls() {
        let u = normalise(IocKind::Url, "hxxps://Evil[.]COM:8443/Path?Q=1", &cfg()).unwrap();
        assert_eq!(u.value, "https://evil.com:8443/Path?Q=1");
        assert_eq!(u.scope, Some(Scope::External));
        assert_eq!(
            val(IocKind::Url, "HTTP://[2001:DB8::1]/x").as_deref(),
            Some("http://[2001:db8::1]/x")
        );
        assert_eq!(
            val(IocKind::Url, "evil.com/dl.ps1").as_deref(),
            Some("http://evil.com/dl.ps1")
        );
        assert_eq!(
            val(IocKind::Url, "http://user:pw@Evil.com").as_deref(),
            Some("http://user:pw@evil.com")
        );
        for bad in [
            "http://",
            "http://010.1.1.1/",
            "http://a.com:99999/",
            "http://a b.com/",
            "http://3232235521/",
        ] {
            assert_eq!(val(IocKind::Url, bad), None, "{bad}");
        }
    }

    #[test]
    fn backslash_ends_the_authority_in_special_schemes() {
        let c = cfg();
        let raw = "http://evil.example\\@login.microsoft.com/";
        let h = url_host(raw, &c).unwrap();
        assert_eq!(
            (h.kind, h.value.as_str()),
            (IocKind::Domain, "evil.example")
        );
        // Everything after the host is kept as given.
        assert_eq!(val(IocKind::Url, raw).as_deref(), Some(raw));
        let h = url_host("HTTPS://evil.example\\x", &c).unwrap();
        assert_eq!(h.value, "evil.example");
        // Not special: `\` is an ordinary user-info character there.
        let h = url_host("ldap://a\\@evil.example/", &c).unwrap();
        assert_eq!(h.value, "evil.example");
    }

    #[test]
    fn url_to_host() {
        let c = cfg();
        let h = url_host("hxxp://Sub.Evil[.]com/a", &c).unwrap();
        assert_eq!(
            (h.kind, h.value.as_str()),
            (IocKind::Domain, "sub.evil.com")
        );
        let h = url_host("http://10.0.1.14/malware.exe", &c).unwrap();
        assert_eq!(
            (h.kind, h.value.as_str(), h.scope),
            (IocKind::Ipv4, "10.0.1.14", Some(Scope::Internal))
        );
        let h = url_host("http://[2001:db8::1]:80/", &c).unwrap();
        assert_eq!((h.kind, h.value.as_str()), (IocKind::Ipv6, "2001:db8::1"));
        let h = url_host("http://intranet-wiki/page", &c).unwrap();
        assert_eq!((h.kind, h.scope), (IocKind::Host, Some(Scope::Internal)));
    }

    #[test]
    fn hashes() {
        let md5 = "44D88612FEA8A8F36DE82E1278ABB02F";
        assert_eq!(
            val(IocKind::Md5, md5).as_deref(),
            Some("44d88612fea8a8f36de82e1278abb02f")
        );
        assert_eq!(
            val(IocKind::Md5, &format!("MD5={md5}")).as_deref(),
            Some("44d88612fea8a8f36de82e1278abb02f")
        );
        assert_eq!(val(IocKind::Sha1, md5), None);
        assert_eq!(val(IocKind::Md5, &"0".repeat(32)), None);
        assert_eq!(val(IocKind::Sha256, &"ab".repeat(33)), None);
        let c = classify("3395856CE81F2B7382DEE72602F798B642F14140", &cfg()).unwrap();
        assert_eq!(c.kind, IocKind::Sha1);
    }

    #[test]
    fn emails_users_hosts() {
        assert_eq!(
            val(IocKind::Email, "Bob.Smith[@]Evil[.]COM").as_deref(),
            Some("Bob.Smith@evil.com")
        );
        assert_eq!(
            val(IocKind::Email, "<mailto:a@b.example>").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(
            val(IocKind::Email, "mailto:a@b.example").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(val(IocKind::Email, "a@localhost"), None);
        assert_eq!(
            val(IocKind::User, " CORP\\jmartinez ").as_deref(),
            Some("CORP\\jmartinez")
        );
        assert_eq!(val(IocKind::User, "SYSTEM").as_deref(), Some("SYSTEM"));
        assert_eq!(val(IocKind::User, "-"), None);
        assert_eq!(val(IocKind::User, ""), None);
        let h = normalise(IocKind::Host, "WS-FIN-0142.corp.local.", &cfg()).unwrap();
        assert_eq!(
            (h.value.as_str(), h.scope),
            ("ws-fin-0142.corp.local", Some(Scope::Internal))
        );
        assert_eq!(
            val(IocKind::Host, "\\\\FILESRV01").as_deref(),
            Some("filesrv01")
        );
        let h = normalise(IocKind::Host, "10.1.2.3", &cfg()).unwrap();
        assert_eq!(h.kind, IocKind::Ipv4);
    }

    #[test]
    fn classify_kinds() {
        let c = cfg();
        let k = |s: &str| classify(s, &c).map(|i| i.kind);
        assert_eq!(k("hxxp://x[.]com"), Some(IocKind::Url));
        assert_eq!(k("2001:db8::2"), Some(IocKind::Ipv6));
        assert_eq!(k("1.1.1.1"), Some(IocKind::Ipv4));
        assert_eq!(k("a@evil.com"), Some(IocKind::Email));
        assert_eq!(k("evil.com"), Some(IocKind::Domain));
        assert_eq!(k("e3f7a2c9-6b1d-4c8e-a5f2-9d4b7e0c3a16"), None);
        assert_eq!(k("setup.exe"), None);
        assert_eq!(k("  "), None);
    }
}
