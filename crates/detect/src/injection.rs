//! A deterministic scan for instructions planted in untrusted content (alert fields, tool
//! output) and aimed at whoever reads it: "ignore previous instructions", "mark this as a
//! false positive", fake `assistant:` turns or `<system>` tags.
//!
//! A flag only ever raises suspicion: it forces human review, withholds every response
//! action and forbids autonomous closure. It never lowers confidence in an attack and never
//! changes a verdict on its own. The scanner cannot catch everything, so nothing safe
//! depends on it alone (the structural defences come first: code-owned fields, no
//! model-authored actions).
//!
//! Text is normalised before matching, because attackers do not write in the scanner's
//! language: invisible and direction-control characters are dropped, full-width and
//! look-alike letters (Cyrillic, Greek) folded to ASCII, case folded, runs of whitespace
//! and `_` collapsed; base64 runs long enough to hide a sentence are decoded and scanned
//! too. It stays quiet on ordinary admin, vendor and ticket text ("brute force", "policy
//! override", "blocked malicious payload", "approved change CHG-1234").
//!
//! Text with the separators `+ - . /` or `%XX` escapes (`ignore+previous+instructions`
//! in a URL) is also read with those folded to white space, but only for the strict
//! patterns: phrases nobody puts in a URL slug or search query. The rest read ordinary
//! slugs as sentences (`/forget-everything-you-know-about-css`, `?q=mark+as+safe+sender`,
//! `/kb/do-not-report-spam`) and match only where the words are spaced as in prose.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};
use serde_json::Value;
use soc_core::Alert;
use soc_core::investigation::InjectionFlag;

struct Pattern {
    name: &'static str,
    re: Regex,
    /// Also matched against the separator-folded text (see the module docs): the phrase
    /// is implausible in a URL slug, search query or identifier.
    strict: bool,
}

/// A pattern matched against text whose words are spaced as in prose.
fn pat(name: &'static str, re: &str) -> Pattern {
    Pattern {
        name,
        re: Regex::new(re).expect("constant regex compiles"),
        strict: false,
    }
}

/// A pattern also matched with `+ - . /` and `%XX` escapes folded (see [`Pattern::strict`]).
fn strict(name: &'static str, re: &str) -> Pattern {
    Pattern {
        strict: true,
        ..pat(name, re)
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        strict(
            "ignore-previous-instructions",
            r"ignore\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|preceding|following|system)\s+(instructions?|prompts?|rules|directions)",
        ),
        strict(
            "disregard-above",
            r"disregard\s+(all\s+|the\s+|any\s+|your\s+)?(previous|prior|above|earlier|instructions?|guidelines|rules)",
        ),
        pat(
            "forget-instructions",
            r"forget\s+(everything|all\s+(previous|prior|your)|your\s+(instructions|rules|training)|the\s+above|previous\s+instructions)",
        ),
        // "forget everything" is a common title; forgetting instructions is not.
        strict(
            "forget-instructions",
            r"forget\s+((all|your|the|previous|prior|above|earlier)\s+)+instructions\b",
        ),
        pat(
            "role-reassignment",
            r"\byou\s+are\s+now\s+(a|an|the|my)\b|\bfrom\s+now\s+on,?\s+you\s+(are|will|must)\b|\bact\s+as\s+(a|an|the)\s+\w+\s+(that|who)\b",
        ),
        strict(
            "new-instructions",
            r"\bnew\s+instructions?\s*:|\bupdated\s+instructions?\s*:|\bsystem\s+(override|instruction)s?\s*:",
        ),
        // Documentation about writing system prompts has `/system-prompt` URLs.
        pat("system-prompt-reference", r"\bsystem\s+prompt\b"),
        strict(
            "system-prompt-reference",
            r"\byour\s+(initial|original|hidden)\s+(prompt|instructions)\b",
        ),
        pat(
            "force-verdict",
            r"\bset\s+(the\s+)?verdict\b|\bverdict\s*(must|should)\s+be\b|\b(classify|categori[sz]e|label|report)\s+(this|the)\s+(alert|event|incident|activity)\s+as\s+(benign|safe|false|clean|harmless|a\s+false)",
        ),
        // News slugs say "the verdict should be appealed"; an instruction names one.
        strict(
            "force-verdict",
            r"\bset\s+(the\s+)?verdict\s+(to|as)\s+(benign|false|clean|safe|harmless|inconclusive)\b|\bverdict\s*(must|should)\s+be\s+(benign|false|clean|safe|harmless|inconclusive)\b|\b(classify|categori[sz]e|label|report)\s+(this|the)\s+(alert|event|incident|activity)\s+as\s+(benign|false|a\s+false)",
        ),
        pat(
            "force-benign",
            r"mark\s+(this\s+|the\s+)?(alert\s+|event\s+|incident\s+)?(as\s+)?(a\s+)?(benign|false[\s\-_]?positive|safe|clean|harmless|resolved|closed)",
        ),
        // Mail clients "mark as safe sender"; only a verdict is an instruction.
        strict(
            "force-benign",
            r"mark\s+(this\s+|the\s+)?(alert\s+|event\s+|incident\s+)?(as\s+)?(a\s+)?(benign|false\s?positive)",
        ),
        pat(
            "suppress-escalation",
            r"\bdo\s+not\s+(escalate|report|flag|alert|notify|page|investigate)\b|\bdon'?t\s+(escalate|report|flag|investigate)\b|\bno\s+(need|reason)\s+to\s+(escalate|investigate|report)\b",
        ),
        // Blog slugs say "ignore the rules"; the model's instructions are another matter.
        pat(
            "override-guidelines",
            r"\b(ignore|override|bypass)\s+(your\s+|the\s+|all\s+)?(guidelines|rules|policy|policies)\b",
        ),
        strict(
            "override-guidelines",
            r"\b(ignore|override|bypass)\s+(your\s+|the\s+|all\s+)?(instructions|safeguards|system\s+prompt)\b",
        ),
        strict(
            "fake-role-tag",
            r"</?\s*(system|assistant|instruction|instructions|prompt|tool\s?result|tool\s?use|human|user)\s*>|\[\s?/?\s?(inst|system)\s?\]|<\|\s?(im\s?start|im\s?end|system|assistant|user)\s?\|>",
        ),
        // A fake turn at the start of a line. `system:` takes a space, because without one
        // it starts a Kubernetes identity (`system:serviceaccount:kube-system:default`).
        pat(
            "role-injection-line",
            r"(^|\n)\s*((assistant|human)\s*:\s*|system\s*:\s+)\S",
        ),
        pat(
            "close-request",
            r"\b(close|dismiss|auto-?close|suppress)\s+(this|the)\s+(alert|ticket|incident|case)\b(?:\s+\w+){0,3}\s+(immediately|now|without)|\b(close|dismiss)\s+(this|the)\s+(alert|ticket|incident)\s+as\s+(benign|a\s+false|false|resolved)|\b(approved|authori[sz]ed|cleared)\s+(closing|to\s+close|closure\s+of|dismissing)\s+(this|the)\s+(alert|ticket|incident|case)",
        ),
        // Legal news slugs "dismiss the case without prejudice".
        strict(
            "close-request",
            r"\b(close|dismiss|auto-?close|suppress)\s+(this|the)\s+(alert|ticket|incident)\b(?:\s+\w+){0,3}\s+(immediately|now|without)|\b(close|dismiss)\s+(this|the)\s+(alert|ticket|incident)\s+as\s+(benign|a\s+false|false|resolved)|\b(approved|authori[sz]ed|cleared)\s+(closing|to\s+close|closure\s+of|dismissing)\s+(this|the)\s+(alert|ticket|incident)",
        ),
        // A model's answer written into the data, for a reader that takes the first (or
        // only) answer-shaped object it sees: `"verdict": "false_positive"`.
        strict(
            "answer-shaped-json",
            r#"["'`]verdict\\?["'`]\s*:\s*\\?["'`]?\s*(true\s?positive|false\s?positive|inconclusive)"#,
        ),
        // The same requests in other languages analysts meet in alert content.
        strict(
            "ignore-previous-instructions",
            r"ignor(ez|iere|a|e)\s+(toutes?\s+les\s+|alle\s+|todas?\s+las\s+|las\s+|les\s+|die\s+)?(instructions?|anweisungen|instrucciones)\s+(pr[ée]c[ée]dentes|vorherigen|anteriores)|ignorier(e|en)\s+(alle\s+)?(vorherigen|bisherigen)\s+anweisungen|vergiss\s+(alle\s+)?(vorherigen|bisherigen)\s+anweisungen|oublie[zr]?\s+(toutes\s+)?les\s+instructions\s+pr[ée]c[ée]dentes|olvida\s+(todas\s+)?las\s+instrucciones\s+anteriores",
        ),
        strict(
            "force-benign",
            r"marque[rz]?\s+(cette\s+)?alerte\s+comme\s+(b[ée]nigne|faux\s+positif)|als\s+(harmlos|fehlalarm|falsch\s+positiv)\s+markieren|markiere?n?\s+(diese[ns]?\s+|die\s+)?(meldung|warnung|alarm|alert)\s+als\s+(harmlos|fehlalarm|falsch\s+positiv)|marca(r)?\s+(esta\s+)?alerta\s+como\s+(benigna|falso\s+positivo)",
        ),
    ]
});

/// Every pattern at once: one pass tells whether any matches (the common answer is no),
/// and which ones to run for their excerpts.
static PATTERN_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|p| p.re.as_str())).expect("constant regexes compile")
});

/// The strict patterns, matched against the separator-folded text.
static STRICT: LazyLock<Vec<&'static Pattern>> =
    LazyLock::new(|| PATTERNS.iter().filter(|p| p.strict).collect());

/// [`STRICT`] at once.
static STRICT_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(STRICT.iter().map(|p| p.re.as_str())).expect("constant regexes compile")
});

/// Words (and tag openers) of which every strict pattern's match holds one, proved from
/// the patterns' syntax by the test `every_strict_pattern_needs_an_anchor`: text without
/// any of them is not folded and matched a second time (see [`may_match_folded`]).
const ANCHORS: &[&str] = &[
    "ignor",
    "disregard",
    "forget",
    "instruction",
    "override",
    "bypass",
    "prompt",
    "verdict",
    "benign",
    "false",
    "mark",
    "marque",
    "marca",
    "clos",
    "dismiss",
    "suppress",
    "vergiss",
    "oublie",
    "olvida",
    "<",
    "[",
];

/// Finds an [`ANCHORS`] word in raw ASCII text as normalisation would: any case, and `0`
/// for `o`.
static ANCHOR_RE: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<String> = ANCHORS
        .iter()
        .map(|a| regex::escape(a).replace('o', "[o0]"))
        .collect();
    Regex::new(&format!("(?i){}", words.join("|"))).expect("constant regex compiles")
});

/// Folds a character to the ASCII letter it imitates, when it is a common look-alike: a
/// Cyrillic or Greek letter, a full-width form, a mathematical or letter-like styled
/// letter or digit (`𝐢`, `𝗂`, `ℐ`), a circled or squared letter, or an accented Latin
/// letter. Called on lower-cased characters.
fn fold(c: char) -> Option<char> {
    let cp = u32::from(c);
    Some(match c {
        'а' | 'α' => 'a',
        'в' => 'b',
        'с' | 'ϲ' => 'c',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'о' | 'ο' | '0' => 'o',
        'р' | 'ρ' => 'p',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'у' | 'γ' => 'y',
        'х' | 'χ' => 'x',
        'ո' => 'n',
        'ν' => 'v',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(cp - 0xFEE0)?,
        // Latin-1 letters with diacritics.
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        // Mathematical alphanumeric symbols: 13 styles of A-Z a-z, then 5 of 0-9.
        '\u{1D400}'..='\u{1D6A3}' => letter((cp - 0x1D400) % 52)?,
        '\u{1D7CE}'..='\u{1D7FF}' => char::from_u32(u32::from(b'0') + (cp - 0x1D7CE) % 10)
            .map(|d| if d == '0' { 'o' } else { d })?,
        // Circled (lower-cased to ⓐ..ⓩ), squared and negative circled/squared letters.
        '\u{24D0}'..='\u{24E9}' => letter(cp - 0x24D0 + 26)?,
        '\u{1F130}'..='\u{1F149}' => letter(cp - 0x1F130)?,
        '\u{1F150}'..='\u{1F169}' => letter(cp - 0x1F150)?,
        '\u{1F170}'..='\u{1F189}' => letter(cp - 0x1F170)?,
        // Letter-like symbols (the styled letters missing from the mathematical block).
        'ℂ' | 'ℭ' => 'c',
        'ⅅ' | 'ⅆ' => 'd',
        'ℯ' | 'ℰ' | 'ⅇ' => 'e',
        'ℱ' => 'f',
        'ℊ' => 'g',
        'ℋ' | 'ℌ' | 'ℍ' | 'ℎ' => 'h',
        'ℐ' | 'ℑ' | 'ℹ' | 'ⅈ' => 'i',
        'ⅉ' => 'j',
        'ℒ' | 'ℓ' => 'l',
        'ℳ' => 'm',
        'ℕ' => 'n',
        'ℴ' => 'o',
        'ℙ' => 'p',
        'ℚ' => 'q',
        'ℛ' | 'ℜ' | 'ℝ' => 'r',
        'ℤ' | 'ℨ' => 'z',
        'ℬ' => 'b',
        _ => return None,
    })
}

/// The lower-case ASCII letter at `i` of `A..Z a..z` (0..52).
fn letter(i: u32) -> Option<char> {
    char::from_u32(u32::from(b'a') + i % 26)
}

/// Characters that show nothing and are dropped before matching: the invisible
/// formatting characters, the rest of Unicode's default-ignorable code points (variation
/// selectors, Hangul fillers, tag characters, …) and combining marks (`i\u{301}`).
fn ignorable(c: char) -> bool {
    crate::triage::is_invisible_format(c)
        || matches!(
            c,
            '\u{0300}'..='\u{036F}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{1AB0}'..='\u{1AFF}'
                | '\u{1DC0}'..='\u{1DFF}'
                | '\u{2060}'..='\u{206F}'
                | '\u{20D0}'..='\u{20FF}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FE20}'..='\u{FE2F}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Tag characters that shadow printable ASCII (U+E0020..U+E007E): invisible, yet read by
/// models as the letters they shadow.
fn tag_ascii(c: char) -> Option<char> {
    match c {
        '\u{E0020}'..='\u{E007E}' => char::from_u32(u32::from(c) - 0xE0000),
        _ => None,
    }
}

/// The character a percent escape `%XX` at `i` in `bytes` stands for, when it is
/// printable ASCII or a line break or tab.
fn percent_decoded(bytes: &[u8], i: usize) -> Option<char> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let hi = hex(*bytes.get(i + 1)?)?;
    let lo = hex(*bytes.get(i + 2)?)?;
    let b = u8::try_from(hi * 16 + lo).ok()?;
    (b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r')).then_some(char::from(b))
}

/// Normalises text for matching (see the module docs): white space and `_` fold to one
/// space. Digits other than zero are kept, so ticket and version numbers do not turn into
/// words.
pub fn normalise(s: &str) -> String {
    normalise_with(s, false)
}

/// [`normalise`], and also `%XX` escapes decoded and the separators `+ - . /` folded to
/// white space: the text the strict patterns read.
fn normalise_folded(s: &str) -> String {
    normalise_with(s, true)
}

fn normalise_with(s: &str, fold_separators: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    let bytes = s.as_bytes();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        // URL encoding (`%20`, `%69`): the character it stands for.
        let escape = fold_separators && c == '%';
        let c = match escape.then(|| percent_decoded(bytes, i)).flatten() {
            Some(d) => {
                chars.nth(1);
                d
            }
            None => c,
        };
        // ASCII other than line breaks: the same steps as below, without the Unicode
        // tables (most alert text is ASCII).
        if c.is_ascii() && c != '\n' && c != '\r' {
            let l = match c.to_ascii_lowercase() {
                '0' => 'o',
                l => l,
            };
            push_folded(&mut out, &mut last_space, l, fold_separators);
            continue;
        }
        if ignorable(c) || c == '\u{034F}' {
            continue;
        }
        if c == '\n' || c == '\r' {
            // Line starts matter (fake `assistant:` turns).
            if !out.ends_with('\n') {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push('\n');
            }
            last_space = true;
            continue;
        }
        for l in c.to_lowercase() {
            push_folded(
                &mut out,
                &mut last_space,
                fold(l).unwrap_or(l),
                fold_separators,
            );
        }
    }
    out
}

/// Whether a (lower-cased, folded) character separates words: white space and `_`, and
/// with `fold_separators` the other separators attackers put between words (`+ - . /`).
fn is_separator(l: char, fold_separators: bool) -> bool {
    l.is_whitespace() || l == '_' || (fold_separators && matches!(l, '+' | '-' | '.' | '/'))
}

/// Appends one lower-cased, folded character: white space and separators collapse to one
/// space.
fn push_folded(out: &mut String, last_space: &mut bool, l: char, fold_separators: bool) {
    if is_separator(l, fold_separators) {
        if !*last_space {
            out.push(' ');
        }
        *last_space = true;
    } else {
        out.push(l);
        *last_space = false;
    }
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes base64 runs of 24+ characters that decode to mostly printable text.
fn decoded_runs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in s.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_')))
    {
        let run = run.trim_end_matches('=');
        if run.len() < 24 || out.len() >= 8 {
            continue;
        }
        let mut bytes = Vec::with_capacity(run.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for b in run.bytes() {
            let Some(v) = b64_value(b) else { break };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                bytes.push(((acc >> bits) & 0xff) as u8);
            }
        }
        // UTF-16LE (PowerShell -enc) and UTF-8 both.
        let utf16: String = if bytes.len() > 4 && bytes.iter().skip(1).step_by(2).all(|b| *b == 0) {
            bytes.iter().step_by(2).map(|b| *b as char).collect()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let printable = utf16
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .count();
        if printable * 10 >= utf16.chars().count() * 9 {
            out.push(utf16);
        }
    }
    out
}

fn excerpt(text: &str, start: usize, end: usize) -> String {
    let from = text[..start]
        .char_indices()
        .rev()
        .nth(39)
        .map_or(0, |(i, _)| i);
    let to = text[end..]
        .char_indices()
        .nth(40)
        .map_or(text.len(), |(i, _)| end + i);
    let mut e = crate::triage::one_line(&text[from..to], 160);
    if from > 0 {
        e.insert(0, '…');
    }
    if to < text.len() {
        e.push('…');
    }
    e
}

/// Whether `normalise(t)` can hold a match of any pattern. Every pattern needs white
/// space, `<`, `[` or `:` in the normalised text (proved from the patterns' syntax by the
/// test `every_pattern_needs_a_trigger_character`), and normalisation maps ASCII to ASCII,
/// turning `_` and white space into a space and nothing else into one of these: so ASCII
/// text without any of them cannot match, and is not normalised at all. Anything else is.
fn may_match(t: &str) -> bool {
    t.bytes()
        .any(|b| !b.is_ascii() || matches!(b, b'\t'..=b'\r' | b' ' | b'_' | b'<' | b'[' | b':'))
}

/// Whether `normalise_folded(t)` can hold a match of a strict pattern that `normalise(t)`
/// does not. The two differ only where `t` has `+ - . /` or `%`, or is not ASCII (a
/// full-width `＋` folds to `+`). In ASCII text without `%`, normalisation maps each
/// character to at most one, letters, `<` and `[` only from themselves (any case, `o`
/// also from `0`) and never drops one: so the folded text holds one of the [`ANCHORS`],
/// which every strict match does, only if `t` holds it as [`ANCHOR_RE`] finds it.
/// Hostnames, IP addresses, dates, GUIDs and most paths hold none.
fn may_match_folded(t: &str) -> bool {
    if !t.is_ascii() {
        return true;
    }
    let bytes = t.as_bytes();
    if bytes.contains(&b'%') {
        return true;
    }
    bytes.iter().any(|b| matches!(b, b'+' | b'-' | b'.' | b'/')) && ANCHOR_RE.is_match(t)
}

/// Scans one text; returns (pattern, excerpt) pairs, one per pattern.
pub fn scan_text(text: &str) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut check = |t: &str| {
        // `is_match` first: it stops at the first match and needs no overlapping search,
        // and nearly every text matches nothing. Which patterns matched is asked only then.
        if may_match(t) {
            let n = normalise(t);
            if PATTERN_SET.is_match(&n) {
                let hits = PATTERN_SET.matches(&n);
                add_hits(&mut out, &n, hits.iter().filter_map(|i| PATTERNS.get(i)));
            }
        }
        if may_match_folded(t) {
            let n = normalise_folded(t);
            if STRICT_SET.is_match(&n) {
                let hits = STRICT_SET.matches(&n);
                add_hits(
                    &mut out,
                    &n,
                    hits.iter().filter_map(|i| STRICT.get(i).copied()),
                );
            }
        }
    };
    check(text);
    for d in decoded_runs(text) {
        check(&d);
    }
    // Text hidden in tag characters is dropped from `text` above and read on its own.
    if !text.is_ascii() && text.chars().any(|c| tag_ascii(c).is_some()) {
        let hidden: String = text.chars().filter_map(tag_ascii).collect();
        check(&hidden);
    }
    out
}

/// Adds a (pattern, excerpt) pair for each of `hits` (patterns that match the normalised
/// text `n`) not already in `out`.
fn add_hits<'a>(
    out: &mut Vec<(&'static str, String)>,
    n: &str,
    hits: impl Iterator<Item = &'a Pattern>,
) {
    for p in hits {
        if out.iter().any(|(name, _)| *name == p.name) {
            continue;
        }
        if let Some(m) = p.re.find(n) {
            out.push((p.name, excerpt(n, m.start(), m.end())));
        }
    }
}

/// Most strings scanned per [`scan_value`] call (and per part of an alert); beyond it a
/// `scan-truncated` flag says the rest went unread.
const SCAN_BUDGET: usize = 20_000;

/// The pattern name of the flag for content too large to scan whole.
pub const SCAN_TRUNCATED: &str = "scan-truncated";

/// Strings left to scan, and whether some went unscanned.
struct Budget {
    left: usize,
    truncated: bool,
}

impl Budget {
    fn new() -> Self {
        Self {
            left: SCAN_BUDGET,
            truncated: false,
        }
    }

    /// Takes one string from the budget; false (and noted) when it is spent.
    fn take(&mut self) -> bool {
        if self.left == 0 {
            self.truncated = true;
            return false;
        }
        self.left -= 1;
        true
    }

    /// Adds the `scan-truncated` flag at `location` when strings went unscanned.
    fn report(&self, location: &str, out: &mut Vec<InjectionFlag>) {
        if self.truncated {
            out.push(InjectionFlag {
                location: location.to_owned(),
                pattern: SCAN_TRUNCATED.to_owned(),
                excerpt: format!(
                    "more than {SCAN_BUDGET} strings: the rest was not scanned for planted instructions"
                ),
            });
        }
    }
}

/// Scans every string in a JSON value; locations are `prefix.a.b[0]`. Beyond
/// [`SCAN_BUDGET`] strings, a `scan-truncated` flag at `prefix` replaces the rest.
pub fn scan_value(prefix: &str, v: &Value, out: &mut Vec<InjectionFlag>) {
    let mut path = prefix.to_owned();
    let mut budget = Budget::new();
    walk(&mut path, v, out, &mut budget);
    budget.report(prefix, out);
}

/// Scans `v` at `path`. The path is one buffer, extended for each child and cut back
/// after it: a location string is only made for a flag.
fn walk(path: &mut String, v: &Value, out: &mut Vec<InjectionFlag>, budget: &mut Budget) {
    if budget.left == 0 {
        // Spent: anything with a string in it goes unscanned.
        match v {
            Value::String(_) => budget.truncated = true,
            Value::Array(a) if !a.is_empty() => budget.truncated = true,
            Value::Object(m) if !m.is_empty() => budget.truncated = true,
            _ => {}
        }
        return;
    }
    match v {
        Value::String(s) => scan_string(path, s, out, budget),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                push_index(path, i);
                walk(path, x, out, budget);
                path.truncate(len);
            }
        }
        Value::Object(m) => walk_map(path, m, out, budget),
        _ => {}
    }
}

/// Scans an object's keys (an instruction can hide in a key) and values; a `verdict`
/// member holding one of the investigation's verdicts is an answer written into the data.
fn walk_map(
    path: &mut String,
    m: &serde_json::Map<String, Value>,
    out: &mut Vec<InjectionFlag>,
    budget: &mut Budget,
) {
    for (k, x) in m {
        let len = path.len();
        if !scan_text(k).is_empty() {
            path.push_str(".{key}");
            scan_string(path, k, out, budget);
            path.truncate(len);
        }
        path.push('.');
        path.push_str(k);
        if let Value::String(v) = x
            && k.trim().eq_ignore_ascii_case("verdict")
        {
            answer_member(path, v, out);
        }
        walk(path, x, out, budget);
        path.truncate(len);
    }
}

/// Flags a `verdict` member whose value is one of the investigation's verdicts.
fn answer_member(path: &str, v: &str, out: &mut Vec<InjectionFlag>) {
    let n = normalise_folded(v);
    if matches!(
        n.trim(),
        "true positive" | "truepositive" | "false positive" | "falsepositive" | "inconclusive"
    ) && out.len() < 50
    {
        out.push(InjectionFlag {
            location: path.to_owned(),
            pattern: "answer-shaped-json".to_owned(),
            excerpt: crate::triage::one_line(&format!("\"verdict\": \"{v}\""), 160),
        });
    }
}

fn push_index(path: &mut String, i: usize) {
    path.push('[');
    path.push_str(&i.to_string());
    path.push(']');
}

/// Scans one string found at `path`.
fn scan_string(path: &str, s: &str, out: &mut Vec<InjectionFlag>, budget: &mut Budget) {
    if !budget.take() {
        return;
    }
    for (pattern, excerpt) in scan_text(s) {
        if out.len() < 50 {
            out.push(InjectionFlag {
                location: path.to_owned(),
                pattern: pattern.to_owned(),
                excerpt,
            });
        }
    }
}

/// Scans an alert: its id, source, title, raw_log and declared indicators.
pub fn scan_alert(alert: &Alert) -> Vec<InjectionFlag> {
    let mut out = Vec::new();
    for (location, text) in [
        ("alert_id", &alert.alert_id),
        ("source", &alert.source),
        ("title", &alert.title),
    ] {
        scan_string(location, text, &mut out, &mut Budget::new());
    }
    let mut budget = Budget::new();
    walk_map(
        &mut "raw_log".to_owned(),
        &alert.raw_log,
        &mut out,
        &mut budget,
    );
    budget.report("raw_log", &mut out);
    let mut path = String::new();
    for (kind, values) in alert.indicators.iter() {
        for (i, v) in values.iter().enumerate() {
            path.clear();
            path.push_str("indicators.");
            path.push_str(kind);
            push_index(&mut path, i);
            scan_string(&path, v, &mut out, &mut Budget::new());
        }
    }
    out
}

#[cfg(test)]
mod tests;
