//! Candidate finders for text scanning: plain byte loops instead of regexes, because they
//! run over every string of every alert (up to 1 MiB) and must stay fast even in debug
//! builds, where the `regex` engine is compiled without optimisation.
//!
//! Every finder returns byte ranges that start and end on ASCII bytes, so they are always
//! valid `str` boundaries.

use std::ops::Range;

/// ASCII letter, digit or `_`; any non-ASCII byte also counts as part of a word.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Maximal runs of bytes in `class`.
fn runs(text: &str, class: fn(u8) -> bool) -> impl Iterator<Item = Range<usize>> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !class(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        while i < b.len() && class(b[i]) {
            i += 1;
        }
        Some(start..i)
    })
}

/// Splits a run of `label` bytes and dots into dotted pieces: at empty labels (`..`,
/// leading or trailing dots); pieces without a dot are dropped.
fn dotted_pieces(text: &str, run: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
    let b = text.as_bytes();
    let mut i = run.start;
    let end = run.end;
    std::iter::from_fn(move || {
        loop {
            while i < end && b[i] == b'.' {
                i += 1;
            }
            if i >= end {
                return None;
            }
            let start = i;
            let mut dots = 0;
            while i < end && !(b[i] == b'.' && (i + 1 >= end || b[i + 1] == b'.')) {
                dots += usize::from(b[i] == b'.');
                i += 1;
            }
            if dots > 0 {
                return Some(start..i);
            }
        }
    })
}

/// Dotted names: pieces of `[A-Za-z0-9_-]` labels joined by single dots.
pub(crate) fn dotted_names(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    fn class(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
    }
    runs(text, class).flat_map(move |r| dotted_pieces(text, r))
}

/// Dotted numbers: digit groups joined by single dots (`1.2.3.4`, `10.0.19041.1`).
pub(crate) fn dotted_numbers(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    fn class(b: u8) -> bool {
        b.is_ascii_digit() || b == b'.'
    }
    runs(text, class).flat_map(move |r| dotted_pieces(text, r))
}

/// Runs of at least `min` hex digits.
pub(crate) fn hex_runs(text: &str, min: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    runs(text, |b| b.is_ascii_hexdigit()).filter(move |r| r.len() >= min)
}

/// IPv6 candidates: runs of hex digits, `:` and `.` with at least two colons.
pub(crate) fn ipv6_candidates(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    fn class(b: u8) -> bool {
        b.is_ascii_hexdigit() || b == b':' || b == b'.'
    }
    let b = text.as_bytes();
    runs(text, class).filter(move |r| b[r.clone()].iter().filter(|&&c| c == b':').count() >= 2)
}

/// URL schemes recognised in free text.
const SCHEMES: &[&str] = &[
    "http", "https", "ftp", "ftps", "sftp", "tftp", "ws", "wss", "ldap", "ldaps", "rmi", "smb",
    "ssh", "telnet", "irc",
];

/// Bytes that end a URL in free text: whitespace, quotes, angle and curly brackets, `|`,
/// `\`, `^` and the backtick.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace()
        || b.is_ascii_control()
        || matches!(
            b,
            b'"' | b'\'' | b'<' | b'>' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^'
        )
}

/// URLs: a known scheme at a word start, `://`, then everything up to a byte that ends a
/// URL. Trailing punctuation is not trimmed here.
pub(crate) fn urls(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let b = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(off) = text.get(from..).and_then(|t| t.find("://")) {
            let sep = from + off;
            let mut start = sep;
            while start > 0 && b[start - 1].is_ascii_alphabetic() {
                start -= 1;
            }
            from = sep + 3;
            let scheme_ok = SCHEMES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&text[start..sep]));
            let boundary = start == 0 || !is_word_byte(b[start - 1]);
            if !scheme_ok || !boundary {
                continue;
            }
            let mut end = sep + 3;
            while end < b.len() && !ends_url(b[end]) {
                end += 1;
            }
            if end == sep + 3 {
                continue;
            }
            // Non-ASCII text is kept whole; back off to a character boundary.
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            from = end;
            return Some(start..end);
        }
        None
    })
}

/// E-mail candidates: a local part of RFC 5322 `atext` (without `/`, which Kerberos
/// principals such as `krbtgt/CORP@CORP` use) and dots (so VERP bounce addresses
/// such as `bounces+42-a=corp.example@relay.example` stay whole), `@`, and a domain of
/// `[A-Za-z0-9-]` labels with at least one dot.
pub(crate) fn emails(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    fn local(b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'.' | b'_'
                    | b'%'
                    | b'+'
                    | b'-'
                    | b'='
                    | b'!'
                    | b'#'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'?'
                    | b'^'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            )
    }
    fn domain(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
    }
    let b = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(off) = text.get(from..).and_then(|t| t.find('@')) {
            let at = from + off;
            from = at + 1;
            let mut start = at;
            while start > 0 && local(b[start - 1]) {
                start -= 1;
            }
            let mut end = at + 1;
            while end < b.len() && domain(b[end]) {
                end += 1;
            }
            while end > at + 1 && b[end - 1] == b'.' {
                end -= 1;
            }
            let dom = &b[at + 1..end];
            let good_domain = !dom.is_empty()
                && dom.contains(&b'.')
                && !dom.starts_with(b".")
                && !dom.windows(2).any(|w| w == b"..");
            if start == at || !good_domain {
                continue;
            }
            from = end;
            return Some(start..end);
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, it: impl Iterator<Item = Range<usize>>) -> Vec<&str> {
        it.map(|r| &text[r]).collect()
    }

    #[test]
    fn dotted() {
        let t = "a..b.com x.y. .evil.org 1.2.3.4.5 v10.0.1 münchen.de";
        assert_eq!(
            all(t, dotted_names(t)),
            [
                "b.com",
                "x.y",
                "evil.org",
                "1.2.3.4.5",
                "v10.0.1",
                "nchen.de"
            ]
        );
        let t = "1.2.3.4..5 ver10.0.19041.1,7.";
        assert_eq!(all(t, dotted_numbers(t)), ["1.2.3.4", "10.0.19041.1"]);
    }

    #[test]
    fn hex_and_v6() {
        let h = "44d88612fea8a8f36de82e1278abb02f";
        let t = format!("MD5={h},x=abc");
        assert_eq!(all(&t, hex_runs(&t, 32)), [h]);
        let t = "at 12:30 from fe80::1%eth0 or 1.2.3.4:80";
        assert_eq!(all(t, ipv6_candidates(t)), ["fe80::1"]);
    }

    #[test]
    fn url_and_email_candidates() {
        let t = "see (https://a.com/x?u=http://b.com), xhttp://c.com, \"ldap://d.com:1389/a\" ü http://é.com";
        assert_eq!(
            all(t, urls(t)),
            [
                "https://a.com/x?u=http://b.com),",
                "ldap://d.com:1389/a",
                "http://é.com"
            ]
        );
        let t = "a@b a.b@c.example. x@y..com @z.com <bob+1@mail.evil.com>";
        assert_eq!(all(t, emails(t)), ["a.b@c.example", "bob+1@mail.evil.com"]);
    }
}
