//! ATT&CK technique ids in free text.

/// Finds ATT&CK technique ids in free text.
///
/// Recognises `T1110`, `t1110.001`, the Sigma tag form `attack.t1059.001` and the URL form
/// `T1059/001`, and returns them upper-cased with `.` (`T1059.001`), deduplicated, in order
/// of first appearance. An id inside a longer alphanumeric run is not one (`AT11100`,
/// `T11100`, `xT1110`), nor is one followed by a malformed sub-technique part (`T1110.01`).
/// The ids are not checked against the catalog.
pub fn extract_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if matches!(c, 'T' | 't')
            && !prev.is_some_and(is_word)
            && let Some(id) = text.get(i + 1..).and_then(id_after_t)
            && !out.contains(&id)
        {
            out.push(id);
        }
        prev = Some(c);
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first character of `s`, when `s` is not empty.
fn next_char(s: &str) -> Option<char> {
    s.chars().next()
}

/// Exactly `n` ASCII digits at the start of `s`: the digits and the rest.
fn digits(s: &str, n: usize) -> Option<(&str, &str)> {
    let head = s.get(..n)?;
    head.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| (head, s.get(n..).unwrap_or_default()))
}

/// The id spelled right after a `T`: four digits, optionally `.` or `/` and three digits,
/// then a non-word character or the end.
fn id_after_t(s: &str) -> Option<String> {
    let (base, rest) = digits(s, 4)?;
    let mut chars = rest.chars();
    let sep = chars.next();
    if matches!(sep, Some('.' | '/')) {
        let after_sep = chars.as_str();
        if let Some((sub, tail)) = digits(after_sep, 3)
            && !next_char(tail).is_some_and(is_word)
        {
            return Some(format!("T{base}.{sub}"));
        }
        // `T1110.01`, `T1110.0011`: a malformed sub-technique, not a bare `T1110`.
        if next_char(after_sep).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    (!sep.is_some_and(is_word)).then(|| format!("T{base}"))
}
