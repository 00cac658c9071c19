//! Value modifiers (`Field|contains|all`, `|base64offset`, `|windash`, ...) and Sigma's
//! wildcard syntax.
//!
//! [`Modifiers::parse`] reads the `|`-separated list after a field name; a modifier this
//! engine does not know makes the rule skipped with the reason `unknown modifier `x``.
//! The transforms run in a fixed order whatever the order written: text encoding
//! (`wide`/`utf16*`) → `base64`/`base64offset` → `windash` → position (`contains`,
//! `startswith`, `endswith`) → wildcard parsing.

/// Where the pattern must sit in the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Position {
    /// The whole value.
    #[default]
    Exact,
    /// `contains`.
    Contains,
    /// `startswith`.
    Start,
    /// `endswith`.
    End,
}

/// Numeric comparison modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
}

impl Cmp {
    pub(crate) fn test(self, value: f64, bound: f64) -> bool {
        match self {
            Cmp::Gt => value > bound,
            Cmp::Gte => value >= bound,
            Cmp::Lt => value < bound,
            Cmp::Lte => value <= bound,
        }
    }
}

/// Text encodings applied before base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `utf16le` / `wide`.
    Le,
    /// `utf16be`.
    Be,
    /// `utf16`: little-endian with a byte-order mark.
    LeBom,
}

/// Base64 variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum B64 {
    /// `base64`: the encoding of the whole value.
    Plain,
    /// `base64offset`: the three encodings of the value at any byte offset.
    Offset,
}

/// The parsed modifier list of one field key.
#[derive(Debug, Clone, Default)]
pub(crate) struct Modifiers {
    pub(crate) position: Position,
    pub(crate) all: bool,
    pub(crate) cased: bool,
    pub(crate) windash: bool,
    pub(crate) expand: bool,
    pub(crate) encoding: Option<Encoding>,
    pub(crate) base64: Option<B64>,
    pub(crate) re: bool,
    pub(crate) re_i: bool,
    pub(crate) re_m: bool,
    pub(crate) re_s: bool,
    pub(crate) cidr: bool,
    pub(crate) exists: bool,
    pub(crate) cmp: Option<Cmp>,
    pub(crate) fieldref: bool,
}

impl Modifiers {
    /// Parses the modifiers after the field name (`["contains", "all"]`).
    ///
    /// # Errors
    ///
    /// The skip reason: an unknown modifier, or one that makes no sense in this position.
    pub(crate) fn parse(names: &[&str]) -> Result<Modifiers, String> {
        let mut m = Modifiers::default();
        for raw in names {
            let name = raw.trim();
            let set_pos = |m: &mut Modifiers, p: Position| {
                if m.position != Position::Exact && m.position != p {
                    return Err(format!("conflicting modifiers `{name}`"));
                }
                m.position = p;
                Ok(())
            };
            match name {
                "contains" => set_pos(&mut m, Position::Contains)?,
                "startswith" => set_pos(&mut m, Position::Start)?,
                "endswith" => set_pos(&mut m, Position::End)?,
                "all" => m.all = true,
                "cased" => m.cased = true,
                "windash" => m.windash = true,
                "expand" => m.expand = true,
                "wide" | "utf16le" => m.encoding = Some(Encoding::Le),
                "utf16be" => m.encoding = Some(Encoding::Be),
                "utf16" => m.encoding = Some(Encoding::LeBom),
                "base64" => m.base64 = Some(B64::Plain),
                "base64offset" => m.base64 = Some(B64::Offset),
                "re" => m.re = true,
                "i" | "ignorecase" => m.re_i = true,
                "m" | "multiline" => m.re_m = true,
                "s" | "dotall" => m.re_s = true,
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "gt" => m.cmp = Some(Cmp::Gt),
                "gte" => m.cmp = Some(Cmp::Gte),
                "lt" => m.cmp = Some(Cmp::Lt),
                "lte" => m.cmp = Some(Cmp::Lte),
                "fieldref" => m.fieldref = true,
                "" => return Err("empty modifier".into()),
                other => return Err(format!("unknown modifier `{other}`")),
            }
        }
        if (m.re_i || m.re_m || m.re_s) && !m.re {
            return Err("regex flag modifier without `re`".into());
        }
        let kinds = [m.re, m.cidr, m.exists, m.cmp.is_some(), m.fieldref]
            .iter()
            .filter(|b| **b)
            .count();
        if kinds > 1 {
            return Err("incompatible modifiers (re/cidr/exists/gt/fieldref)".into());
        }
        if kinds == 1 && (m.base64.is_some() || m.encoding.is_some() || m.windash) {
            return Err("encoding modifier combined with re/cidr/exists/gt/fieldref".into());
        }
        if m.encoding.is_some() && m.base64.is_none() {
            return Err("`wide`/`utf16` without `base64`/`base64offset`".into());
        }
        Ok(m)
    }
}

/// Encodes text as UTF-16.
pub(crate) fn encode_utf16(s: &str, enc: Encoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2 + 2);
    if enc == Encoding::LeBom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for unit in s.encode_utf16() {
        match enc {
            Encoding::Be => out.extend_from_slice(&unit.to_be_bytes()),
            _ => out.extend_from_slice(&unit.to_le_bytes()),
        }
    }
    out
}

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(
                    B64_ALPHABET[((n >> (18 - 6 * i)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three encodings of `bytes` as it would appear at byte offsets 0, 1 and 2 inside a
/// longer base64-encoded stream: each is trimmed of the leading characters that carry
/// bits of the preceding bytes and of the trailing characters that carry bits of the
/// following bytes (or padding), so it is a substring of the stream's encoding.
pub(crate) fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    let mut out = Vec::with_capacity(3);
    for (shift, start) in START.iter().enumerate() {
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(bytes);
        let enc = base64(&padded);
        let end_trim = match padded.len() % 3 {
            0 => 0,
            1 => 3,
            _ => 2,
        };
        let start = *start;
        let end = enc.len().saturating_sub(end_trim);
        if start < end {
            out.push(enc[start..end].to_owned());
        }
    }
    out.dedup();
    out
}

/// Dash characters `windash` expands to: hyphen-minus, slash, en dash, em dash and
/// horizontal bar.
pub(crate) const WINDASH: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Most variants one `windash` value may expand to.
pub(crate) const MAX_WINDASH_VARIANTS: usize = 625;

/// Expands every command-line flag dash (a `-` or `/` that starts a word, i.e. is not
/// preceded by a word character and is followed by one) into each of [`WINDASH`].
///
/// # Errors
///
/// When the value has so many flags that it would expand past [`MAX_WINDASH_VARIANTS`].
pub(crate) fn windash(value: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = value.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let positions: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '-' | '/')
                && (i == 0 || !word(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|c| word(*c))
        })
        .collect();
    let count = WINDASH
        .len()
        .checked_pow(u32::try_from(positions.len()).unwrap_or(u32::MAX))
        .unwrap_or(usize::MAX);
    if count > MAX_WINDASH_VARIANTS {
        return Err(format!(
            "windash value with {} flags expands to more than {MAX_WINDASH_VARIANTS} variants",
            positions.len()
        ));
    }
    let mut out = vec![chars.clone()];
    for &p in &positions {
        let mut next = Vec::with_capacity(out.len() * WINDASH.len());
        for v in &out {
            for d in WINDASH {
                let mut w = v.clone();
                w[p] = d;
                next.push(w);
            }
        }
        out = next;
    }
    Ok(out.into_iter().map(|c| c.into_iter().collect()).collect())
}

/// One piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Parses Sigma wildcards: `*` and `?` are wildcards; a backslash escapes `*`, `?` and
/// itself; any other backslash is literal (`C:\Windows\` needs no doubling).
pub(crate) fn parse_wildcards(s: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    toks.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                if c == '*' {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                } else {
                    toks.push(Tok::One);
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        toks.push(Tok::Lit(lit));
    }
    toks
}

/// Literal text as tokens (no wildcard interpretation), e.g. a base64 encoding.
pub(crate) fn literal(s: &str) -> Vec<Tok> {
    if s.is_empty() {
        Vec::new()
    } else {
        vec![Tok::Lit(s.to_owned())]
    }
}

/// Adds the wildcards a position modifier implies.
pub(crate) fn position(mut toks: Vec<Tok>, pos: Position) -> Vec<Tok> {
    if matches!(pos, Position::Contains | Position::End) && toks.first() != Some(&Tok::Star) {
        toks.insert(0, Tok::Star);
    }
    if matches!(pos, Position::Contains | Position::Start) && toks.last() != Some(&Tok::Star) {
        toks.push(Tok::Star);
    }
    toks
}

/// The placeholders (`%name%`) in a value, for `expand`.
pub(crate) fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 => {
                out.push(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            _ => break,
        }
    }
    out
}
