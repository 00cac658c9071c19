//! Name helpers for the mail analysis: organizational domains, look-alike comparison
//! (edit distance, homoglyph skeletons, confusable unicode), punycode decoding, scripts,
//! and the small encodings mail uses (base64, percent-encoding).
//!
//! Everything here takes untrusted text: inputs are bounded and nothing can panic.

/// Second-level registrations under a country code that act as public suffixes
/// (`example.co.uk` is the organization, not `co.uk`). A short list of the common ones;
/// the core crate's TLD list has no second-level data.
#[rustfmt::skip]
const MULTI_PART_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "me.uk", "ac.uk", "gov.uk", "net.uk", "ltd.uk", "plc.uk", "nhs.uk",
    "sch.uk", "police.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
    "co.nz", "org.nz", "net.nz", "govt.nz", "ac.nz", "co.jp", "ne.jp", "or.jp", "ac.jp",
    "go.jp", "co.kr", "or.kr", "ac.kr", "go.kr", "com.br", "net.br", "org.br", "gov.br",
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "com.tw", "org.tw", "com.hk", "org.hk",
    "com.sg", "edu.sg", "gov.sg", "com.my", "co.in", "net.in", "org.in", "gov.in", "ac.in",
    "co.za", "org.za", "gov.za", "ac.za", "com.mx", "gob.mx", "com.ar", "gob.ar", "com.tr",
    "gov.tr", "com.ua", "co.il", "org.il", "ac.il", "gov.il", "com.pl", "net.pl", "co.id",
    "or.id", "ac.id", "go.id", "com.ph", "com.vn", "com.pk", "com.eg", "com.sa", "com.co",
    "co.th", "ac.th", "go.th", "in.th", "com.pe", "com.ng", "co.ke", "com.ec", "com.uy",
    "com.ve", "com.do", "com.gt", "com.bo", "com.py", "com.qa", "com.kw", "com.lb", "co.ae",
    "com.bd", "com.np", "com.mt", "com.cy", "co.at", "or.at", "com.ru", "org.ru", "com.es",
    "co.hu",
];

/// The organizational (registrable) domain of a host name: the label before the public
/// suffix plus the suffix. IP literals and single labels come back as they are.
pub(crate) fn org_domain(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    if is_ip_literal(&host) {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() <= 2 {
        return host;
    }
    let n = labels.len();
    let last_two = format!("{}.{}", labels[n - 2], labels[n - 1]);
    let keep = if MULTI_PART_SUFFIXES.contains(&last_two.as_str()) {
        3
    } else {
        2
    };
    labels[n - keep..].join(".")
}

/// The label that names the organization (`example` in `mail.example.co.uk`) and the
/// public suffix after it (`co.uk`).
pub(crate) fn org_label(host: &str) -> (String, String) {
    let org = org_domain(host);
    match org.split_once('.') {
        Some((label, suffix)) => (label.to_owned(), suffix.to_owned()),
        None => (org, String::new()),
    }
}

/// Whether two host names share an organizational domain.
pub(crate) fn same_org(a: &str, b: &str) -> bool {
    let (a, b) = (org_domain(a), org_domain(b));
    !a.is_empty() && a == b
}

/// Whether `host` is an IP literal: a dotted quad, a bracketed or bare IPv6 address, or
/// the integer / hex forms browsers also accept (`http://3232235777/`, `0x7f000001`).
pub(crate) fn is_ip_literal(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.is_empty() {
        return false;
    }
    if h.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let all_digits = h.bytes().all(|b| b.is_ascii_digit());
    let hex = h
        .strip_prefix("0x")
        .is_some_and(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_hexdigit()));
    let dotted_numeric = h.split('.').count() <= 4
        && h.split('.').all(|p| {
            !p.is_empty()
                && (p.bytes().all(|b| b.is_ascii_digit())
                    || p.strip_prefix("0x")
                        .is_some_and(|x| x.bytes().all(|b| b.is_ascii_hexdigit())))
        });
    all_digits || hex || dotted_numeric
}

pub(crate) use soc_core::text::edit_distance;

/// The ASCII letter a confusable non-ASCII character is drawn like (Cyrillic and Greek
/// letters that look Latin, fullwidth forms, a few Latin variants). Input lower case.
pub(crate) fn confusable(c: char) -> Option<char> {
    let mapped = match c {
        // Cyrillic.
        'а' => 'a',
        'е' | 'ё' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'ѕ' => 's',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'һ' => 'h',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ӏ' => 'l',
        'к' => 'k',
        'ь' => 'b',
        // Greek.
        'α' => 'a',
        'ο' => 'o',
        'ν' => 'v',
        'ρ' => 'p',
        'ι' => 'i',
        'κ' => 'k',
        'υ' => 'u',
        'χ' => 'x',
        'ϲ' => 'c',
        'ϳ' => 'j',
        // Armenian.
        'օ' => 'o',
        'ո' => 'n',
        'ս' => 'u',
        'հ' => 'h',
        'ց' => 'g',
        // Latin variants.
        'ı' | 'ɩ' => 'i',
        'ɑ' => 'a',
        'ɡ' => 'g',
        'ℓ' => 'l',
        // Fullwidth ASCII.
        '\u{ff41}'..='\u{ff5a}' | '\u{ff10}'..='\u{ff19}' => {
            return char::from_u32(u32::from(c) - 0xfee0);
        }
        _ => return None,
    };
    Some(mapped)
}

/// A Latin letter with a diacritic, without it (common Latin-1 and Latin Extended-A
/// letters only). Input lower case.
pub(crate) fn strip_diacritic(c: char) -> Option<char> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ğ' | 'ģ' => 'g',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => 'i',
        'ķ' => 'k',
        'ł' | 'ľ' | 'ļ' => 'l',
        'ñ' | 'ń' | 'ň' | 'ņ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ř' => 'r',
        'ś' | 'š' | 'ş' => 's',
        'ť' | 'ţ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    };
    Some(base)
}

/// How a string reads: lower case, confusable characters replaced by the ASCII they
/// look like, then the multi-letter and digit look-alikes folded (`rn`→`m`, `vv`→`w`,
/// `cl`→`d`, `0`→`o`, `1`/`i`/`|`→`l`, `3`→`e`, `5`/`$`→`s`). Two names with the same
/// skeleton are read alike by a hurried eye.
pub(crate) fn skeleton(s: &str) -> String {
    let mut base = String::with_capacity(s.len());
    for c in s.chars().take(256).flat_map(char::to_lowercase) {
        base.push(confusable(c).unwrap_or(c));
    }
    let base = base
        .replace("rn", "m")
        .replace("vv", "w")
        .replace("cl", "d");
    base.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '3' => 'e',
            '5' | '$' => 's',
            other => other,
        })
        .collect()
}

/// Writing systems that share letter shapes with Latin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// Latin (ASCII, Latin-1, Latin Extended, fullwidth Latin).
    Latin,
    /// Greek.
    Greek,
    /// Cyrillic.
    Cyrillic,
    /// Armenian.
    Armenian,
    /// Cherokee.
    Cherokee,
}

/// The script of a letter, for the scripts that can pass for Latin; `None` for digits,
/// punctuation and letters of other scripts.
pub(crate) fn script(c: char) -> Option<Script> {
    let u = u32::from(c);
    let s = match u {
        _ if c.is_ascii_alphabetic() => Script::Latin,
        0x00c0..=0x024f if c != '×' && c != '÷' => Script::Latin,
        0x1e00..=0x1eff | 0xff21..=0xff3a | 0xff41..=0xff5a => Script::Latin,
        0x0370..=0x03ff | 0x1f00..=0x1fff => Script::Greek,
        0x0400..=0x052f | 0x1c80..=0x1c8f | 0x2de0..=0x2dff | 0xa640..=0xa69f => Script::Cyrillic,
        0x0530..=0x058f => Script::Armenian,
        0x13a0..=0x13ff | 0xab70..=0xabbf => Script::Cherokee,
        _ => return None,
    };
    Some(s)
}

/// The distinct look-alike scripts in a word.
pub(crate) fn scripts(word: &str) -> Vec<Script> {
    let mut out = Vec::new();
    for c in word.chars().take(256) {
        if let Some(s) = script(c)
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

const PUNY_BASE: u32 = 36;
const PUNY_TMIN: u32 = 1;
const PUNY_TMAX: u32 = 26;

fn puny_adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points.max(1);
    let mut k = 0;
    while delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2 {
        delta /= PUNY_BASE - PUNY_TMIN;
        k += PUNY_BASE;
    }
    k + (PUNY_BASE * delta) / (delta + 38)
}

/// Decodes one punycode label (RFC 3492) given without its `xn--` prefix; `None` when it
/// is not valid punycode or longer than a DNS label may be.
pub(crate) fn punycode_decode(input: &str) -> Option<String> {
    if input.len() > 63 || !input.is_ascii() {
        return None;
    }
    let (basic, extended) = match input.rfind('-') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => ("", input),
    };
    let mut out: Vec<char> = basic.chars().collect();
    let mut n: u32 = 128;
    let mut i: u32 = 0;
    let mut bias: u32 = 72;
    let mut bytes = extended.bytes().peekable();
    while bytes.peek().is_some() {
        let old_i = i;
        let mut w: u32 = 1;
        let mut k = PUNY_BASE;
        loop {
            let b = bytes.next()?;
            let digit = u32::from(match b {
                b'a'..=b'z' => b - b'a',
                b'A'..=b'Z' => b - b'A',
                b'0'..=b'9' => b - b'0' + 26,
                _ => return None,
            });
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = if k <= bias {
                PUNY_TMIN
            } else if k >= bias + PUNY_TMAX {
                PUNY_TMAX
            } else {
                k - bias
            };
            if digit < t {
                break;
            }
            w = w.checked_mul(PUNY_BASE - t)?;
            k = k.checked_add(PUNY_BASE)?;
        }
        let len = u32::try_from(out.len()).ok()?.checked_add(1)?;
        bias = puny_adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        let c = char::from_u32(n)?;
        out.insert(usize::try_from(i).ok()?, c);
        i += 1;
    }
    Some(out.into_iter().collect())
}

/// A host name with its `xn--` labels decoded (labels that fail to decode are kept).
pub(crate) fn host_to_unicode(host: &str) -> String {
    host.split('.')
        .map(|label| {
            label
                .strip_prefix("xn--")
                .and_then(punycode_decode)
                .unwrap_or_else(|| label.to_owned())
        })
        .collect::<Vec<_>>()
        .join(".")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 without padding.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let idx = (v >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(B64[idx as usize]));
        }
    }
    out
}

/// Decodes base64 (standard or URL-safe alphabet, padding and whitespace ignored);
/// `None` on any other character.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Percent-decoding (`%41` → `A`, invalid escapes kept), lossy UTF-8.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push(((h << 4) | l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The domain of an e-mail address (`user@Example.COM` → `example.com`), when there is
/// one.
pub(crate) fn address_domain(addr: &str) -> Option<String> {
    let (_, d) = addr.rsplit_once('@')?;
    let d = d
        .trim()
        .trim_end_matches(['>', '.', ']'])
        .trim_start_matches('[')
        .to_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_' || c == ':');
    ok.then_some(d)
}
