//! Splits raw input bytes into alert documents before any JSON parsing happens.
//!
//! The scanner is iterative (no recursion), so a hostile document with a million opening
//! brackets costs one pass over the bytes and a clear error, never a stack overflow. It
//! measures each document's size and nesting depth, so the limits are enforced before
//! `serde_json` sees the bytes.
//!
//! Accepted shapes:
//! - one JSON object (pretty-printed or not);
//! - a JSON array of objects: each element is one alert;
//! - NDJSON: one object per line (blank lines are skipped). A bad line (a line that is
//!   not UTF-8 too) is reported on its own and the following lines are still read.
//! - several pretty-printed objects one after another.

use super::{AlertError, Limits};

/// One alert document found in the input, still unparsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document<'a> {
    /// The document's text.
    pub text: &'a str,
    /// 1-based line of the document's first byte in the input.
    pub line: usize,
    /// 0-based position of the document among the input's documents.
    pub index: usize,
}

/// A document, or the reason it cannot be one, with its position in the input.
pub type Split<'a> = Result<Document<'a>, Located>;

/// An error tied to a position in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based line where the problem document starts.
    pub line: usize,
    /// 0-based position of the document among the input's documents.
    pub index: usize,
    /// What is wrong.
    pub error: AlertError,
}

/// Splits `bytes` into documents, enforcing the size and depth limits per document.
///
/// # Errors
///
/// The outer `Err` covers problems with the input as a whole (empty, not UTF-8); the
/// inner results carry per-document problems so that one bad record does not hide the
/// others.
pub fn split<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Vec<Split<'a>>, AlertError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // In NDJSON a line that is not UTF-8 is one bad record: the others still count.
            return split_lines_checked(bytes, limits).ok_or(AlertError::NotUtf8 {
                offset: e.valid_up_to(),
            });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = match text.find(|c: char| !c.is_ascii_whitespace()) {
        Some(i) => i,
        None => return Err(AlertError::Empty),
    };
    let b = text.as_bytes();
    if b[first] == b'[' {
        return Ok(split_array(text, first, limits));
    }
    // NDJSON when the first document ends on its own line and more follows on later lines.
    let line_mode = match scan_value(b, first) {
        Scan::Complete { end, .. } => {
            let first_line_end = text[first..].find('\n').map_or(text.len(), |i| first + i);
            end <= first_line_end && !text[first_line_end..].trim().is_empty()
        }
        _ => false,
    };
    if line_mode {
        Ok(split_lines(text, limits))
    } else {
        Ok(split_concatenated(text, first, limits))
    }
}

/// NDJSON that is not UTF-8 throughout: each line that is not is reported on its own
/// (`NotUtf8` with the input's offset of its first bad byte), the runs of lines between
/// them are split as usual. `None` when the input does not read as NDJSON: its first
/// non-blank line is not UTF-8 or not an object that closes on that line, or no other
/// non-blank line follows; then the input as a whole is refused.
fn split_lines_checked<'a>(bytes: &'a [u8], limits: &Limits) -> Option<Vec<Split<'a>>> {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let blank = |l: &[u8]| l.iter().all(u8::is_ascii_whitespace);
    let mut lines = bytes[bom..]
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !blank(l));
    let first = std::str::from_utf8(lines.next()?).ok()?;
    lines.next()?;
    let lead = first.len() - first.trim_start().len();
    if !first[lead..].starts_with('{') {
        return None;
    }
    match scan_value(first.as_bytes(), lead) {
        Scan::Complete { end, .. } if first[end..].trim().is_empty() => {}
        _ => return None,
    }

    let mut out: Vec<Split<'a>> = Vec::new();
    // Appends the documents of a run of UTF-8 lines starting at `first_line` (1-based).
    let flush = |out: &mut Vec<Split<'a>>, run: &'a [u8], first_line: usize| {
        let Ok(text) = std::str::from_utf8(run) else {
            return;
        };
        for doc in split_lines(text, limits) {
            let index = out.len();
            out.push(match doc {
                Ok(d) => Ok(Document {
                    line: d.line + first_line - 1,
                    index,
                    ..d
                }),
                Err(l) => Err(Located {
                    line: l.line + first_line - 1,
                    index,
                    ..l
                }),
            });
        }
    };
    let (mut run_start, mut run_line, mut offset) = (bom, 1, bom);
    for (n, line) in bytes[bom..].split_inclusive(|&b| b == b'\n').enumerate() {
        let start = offset;
        offset += line.len();
        if let Err(e) = std::str::from_utf8(line) {
            flush(&mut out, &bytes[run_start..start], run_line);
            let index = out.len();
            out.push(Err(Located {
                line: n + 1,
                index,
                error: AlertError::NotUtf8 {
                    offset: start + e.valid_up_to(),
                },
            }));
            run_start = offset;
            run_line = n + 2;
        }
    }
    flush(&mut out, &bytes[run_start..], run_line);
    Some(out)
}

fn split_lines<'a>(text: &'a str, limits: &Limits) -> Vec<Split<'a>> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for (n, raw_line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw_line.len();
        let trimmed = raw_line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let lead = raw_line.len() - raw_line.trim_start().len();
        let index = out.len();
        let line = n + 1;
        let b = text.as_bytes();
        let doc_start = start + lead;
        // Only this line: a value that does not close on it is broken, and scanning
        // further would make every broken line cost the rest of the text.
        let line_end = start + raw_line.len();
        out.push(match scan_value(&b[..line_end], doc_start) {
            Scan::Complete { end, depth } => {
                let rest = &text[end..line_end];
                if !rest.trim().is_empty() {
                    Err(Located {
                        line,
                        index,
                        error: AlertError::TrailingData,
                    })
                } else {
                    check_doc(&text[doc_start..end], depth, line, index, limits)
                }
            }
            Scan::Truncated => {
                // Inside an NDJSON stream a value that does not close on its line is broken:
                // the next line is the next record, never a continuation.
                let doc = trimmed;
                Err(Located {
                    line,
                    index,
                    error: AlertError::Syntax {
                        message: syntax_message(doc),
                    },
                })
            }
            Scan::TooDeep => Err(Located {
                line,
                index,
                error: AlertError::TooDeep {
                    limit: limits.max_depth,
                },
            }),
            Scan::NotAValue(c) => Err(Located {
                line,
                index,
                error: AlertError::NotAnObject { found: c },
            }),
        });
    }
    out
}

fn split_concatenated<'a>(text: &'a str, first: usize, limits: &Limits) -> Vec<Split<'a>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = first;
    let mut lines = LineCounter::new(text);
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= b.len() {
            break;
        }
        let index = out.len();
        let line = lines.at(pos);
        match scan_value(b, pos) {
            Scan::Complete { end, depth } => {
                out.push(check_doc(&text[pos..end], depth, line, index, limits));
                pos = end;
            }
            Scan::Truncated => {
                out.push(Err(Located {
                    line,
                    index,
                    error: AlertError::Syntax {
                        message: syntax_message(&text[pos..]),
                    },
                }));
                break;
            }
            Scan::TooDeep => {
                out.push(Err(Located {
                    line,
                    index,
                    error: AlertError::TooDeep {
                        limit: limits.max_depth,
                    },
                }));
                break;
            }
            Scan::NotAValue(c) => {
                out.push(Err(Located {
                    line,
                    index,
                    error: AlertError::NotAnObject { found: c },
                }));
                break;
            }
        }
    }
    out
}

fn split_array<'a>(text: &'a str, first: usize, limits: &Limits) -> Vec<Split<'a>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // Validate the whole array closes and is not too deep (elements get depth - 1).
    match scan_value_with_limit(b, first, limits.max_depth + 1) {
        Scan::Complete { end, .. } => {
            if !text[end..].trim().is_empty() {
                out.push(Err(Located {
                    line: line_of(text, end),
                    index: 0,
                    error: AlertError::TrailingData,
                }));
                return out;
            }
        }
        Scan::Truncated => {
            out.push(Err(Located {
                line: line_of(text, first),
                index: 0,
                error: AlertError::Syntax {
                    message: syntax_message(&text[first..]),
                },
            }));
            return out;
        }
        Scan::TooDeep => {
            out.push(Err(Located {
                line: line_of(text, first),
                index: 0,
                error: AlertError::TooDeep {
                    limit: limits.max_depth,
                },
            }));
            return out;
        }
        Scan::NotAValue(c) => {
            out.push(Err(Located {
                line: line_of(text, first),
                index: 0,
                error: AlertError::NotAnObject { found: c },
            }));
            return out;
        }
    }
    let mut pos = first + 1;
    let mut lines = LineCounter::new(text);
    loop {
        while pos < b.len() && (b[pos].is_ascii_whitespace() || b[pos] == b',') {
            pos += 1;
        }
        if pos >= b.len() || b[pos] == b']' {
            break;
        }
        let index = out.len();
        let line = lines.at(pos);
        match scan_value(b, pos) {
            Scan::Complete { end, depth } => {
                out.push(check_doc(&text[pos..end], depth, line, index, limits));
                pos = end;
            }
            Scan::NotAValue(c) => {
                out.push(Err(Located {
                    line,
                    index,
                    error: AlertError::NotAnObject { found: c },
                }));
                // Skip the scalar up to the next separator.
                while pos < b.len() && b[pos] != b',' && b[pos] != b']' {
                    pos += 1;
                }
            }
            Scan::Truncated | Scan::TooDeep => break,
        }
    }
    if out.is_empty() {
        out.push(Err(Located {
            line: line_of(text, first),
            index: 0,
            error: AlertError::Empty,
        }));
    }
    out
}

fn check_doc<'a>(
    text: &'a str,
    depth: usize,
    line: usize,
    index: usize,
    limits: &Limits,
) -> Split<'a> {
    if text.len() > limits.max_alert_bytes {
        return Err(Located {
            line,
            index,
            error: AlertError::TooLarge {
                size: text.len(),
                limit: limits.max_alert_bytes,
            },
        });
    }
    if depth > limits.max_depth {
        return Err(Located {
            line,
            index,
            error: AlertError::TooDeep {
                limit: limits.max_depth,
            },
        });
    }
    Ok(Document { text, line, index })
}

/// Line numbers of positions met in increasing order, each newline counted once (a
/// document per position would otherwise recount the text from its start every time).
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `pos`.
    fn at(&mut self, pos: usize) -> usize {
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        let upto = pos.min(self.text.len());
        self.line += self
            .text
            .get(self.pos..upto)
            .map_or(0, |s| s.iter().filter(|&&c| c == b'\n').count());
        self.pos = upto;
        self.line
    }
}

fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
        + 1
}

/// Asks serde_json for its own description of a broken document, so messages match what
/// users see elsewhere ("EOF while parsing an object at line 3 column 0").
fn syntax_message(doc: &str) -> String {
    // The scanner already bounded the depth of what it saw, but a truncated document may
    // still be deep; serde_json has its own recursion limit, so this cannot overflow.
    match serde_json::from_str::<serde::de::IgnoredAny>(doc) {
        Err(e) => e.to_string(),
        Ok(_) => "malformed JSON".to_owned(),
    }
}

enum Scan {
    Complete { end: usize, depth: usize },
    Truncated,
    TooDeep,
    NotAValue(char),
}

/// Hard ceiling for the scanner itself: far above any accepted limit, it only keeps the
/// depth counter meaningful on adversarial input.
const SCAN_CEILING: usize = 100_000;

fn scan_value(b: &[u8], start: usize) -> Scan {
    scan_value_with_limit(b, start, SCAN_CEILING)
}

/// Scans one JSON object or array starting at `start`. Strings are skipped with their
/// escapes; everything else is left to serde_json. Returns the end offset and the
/// maximum nesting depth seen.
fn scan_value_with_limit(b: &[u8], start: usize, limit: usize) -> Scan {
    match b.get(start) {
        Some(b'{') | Some(b'[') => {}
        Some(&c) => {
            let ch = std::str::from_utf8(&b[start..])
                .ok()
                .and_then(|s| s.chars().next())
                .unwrap_or(c as char);
            return Scan::NotAValue(ch);
        }
        None => return Scan::Truncated,
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            // Skip the string: search for its next quote or backslash, and step over
            // the byte after each backslash, until the closing quote.
            i += 1;
            loop {
                let Some(off) = memchr::memchr2(b'"', b'\\', b.get(i..).unwrap_or_default()) else {
                    return Scan::Truncated;
                };
                i += off;
                if b[i] == b'"' {
                    break;
                }
                i += 2;
            }
        } else {
            match c {
                b'{' | b'[' => {
                    depth += 1;
                    if depth > max_depth {
                        max_depth = depth;
                        if max_depth > limit {
                            return Scan::TooDeep;
                        }
                    }
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Scan::Complete {
                            end: i + 1,
                            depth: max_depth,
                        };
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    Scan::Truncated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_texts<'a>(v: &[Split<'a>]) -> Vec<&'a str> {
        v.iter()
            .filter_map(|d| d.as_ref().ok().map(|d| d.text))
            .collect()
    }

    /// The byte-at-a-time definition the scanner keeps to.
    fn scan_by_definition(b: &[u8], start: usize, limit: usize) -> Option<(usize, usize)> {
        match b.get(start) {
            None => return Some((0, 0)),
            Some(b'{' | b'[') => {}
            Some(_) => return None,
        }
        let (mut depth, mut max_depth) = (0usize, 0usize);
        let (mut in_string, mut escaped) = (false, false);
        for (i, &c) in b.iter().enumerate().skip(start) {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_string = false;
                }
                continue;
            }
            match c {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    max_depth = max_depth.max(depth);
                    if max_depth > limit {
                        return Some((usize::MAX, max_depth));
                    }
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some((i + 1, max_depth));
                    }
                }
                _ => {}
            }
        }
        Some((0, 0))
    }

    #[test]
    fn the_scanner_keeps_to_its_definition() {
        // Strings with escapes (quotes, backslashes, one at the very end), nesting, and
        // every prefix of each, so truncation is met at every byte.
        let docs: [&[u8]; 8] = [
            br#"{"a": "x\"}", "b": [1, {"c": "\\"}], "d": "]"}"#,
            br#"[{"k": "\\\"q"}, "}", "{", []]"#,
            br#"{"s": "ends with a backslash \"#,
            br#"{"deep": [[[[{"x": "y"}]]]], "t": "\u0022"}"#,
            br#"{"empty": "", "q": "\"", "n": null}  trailing"#,
            b"{\"bytes\": \"caf\xc3\xa9 \\\" \"}",
            br#"{"unterminated": "abc"#,
            br#"[]"#,
        ];
        for doc in docs {
            for end in 0..=doc.len() {
                let b = &doc[..end];
                for limit in [1, 3, SCAN_CEILING] {
                    let got = match scan_value_with_limit(b, 0, limit) {
                        Scan::Complete { end, depth } => Some((end, depth)),
                        Scan::TooDeep => Some((usize::MAX, limit + 1)),
                        Scan::Truncated => Some((0, 0)),
                        Scan::NotAValue(_) => None,
                    };
                    assert_eq!(
                        got,
                        scan_by_definition(b, 0, limit),
                        "{:?} limit {limit}",
                        String::from_utf8_lossy(b)
                    );
                }
            }
        }
    }

    #[test]
    fn one_pretty_object() {
        let input = b"{\n  \"a\": {\"b\": \"}\"}\n}\n";
        let docs = split(input, &Limits::default()).unwrap();
        assert_eq!(ok_texts(&docs), vec!["{\n  \"a\": {\"b\": \"}\"}\n}"]);
    }

    #[test]
    fn ndjson_bad_line_does_not_hide_the_next() {
        let input = b"{\"a\":1}\n{\"b\":\n{\"c\":3}\n";
        let docs = split(input, &Limits::default()).unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[0].is_ok());
        assert_eq!(docs[1].as_ref().unwrap_err().line, 2);
        assert_eq!(docs[2].as_ref().unwrap().text, "{\"c\":3}");
    }

    #[test]
    fn an_ndjson_value_that_closes_on_a_later_line_is_broken_not_a_panic() {
        // Line 2 opens a value that only closes on line 3.
        let input = b"{\"a\":1}\n{\"b\":\n2}\n{\"c\":3}\n";
        let docs = split(input, &Limits::default()).unwrap();
        assert_eq!(docs.len(), 4, "{docs:?}");
        assert!(docs[0].is_ok());
        assert_eq!(docs[1].as_ref().unwrap_err().line, 2);
        assert!(docs[2].is_err(), "`2}}` is no document");
        assert_eq!(docs[3].as_ref().unwrap().text, "{\"c\":3}");
    }

    #[test]
    fn line_numbers_of_many_documents_are_counted_once() {
        // 20,000 elements on 20,000 lines (each recounting from the start would be 2e8
        // byte steps; the answer must be the same either way).
        let n = 20_000;
        let mut input = String::from("[");
        for i in 0..n {
            input.push_str(if i == 0 { "\n{}" } else { ",\n{}" });
        }
        input.push_str("\n]");
        let docs = split(input.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(docs.len(), n);
        for (i, d) in docs.iter().enumerate().step_by(997) {
            assert_eq!(d.as_ref().unwrap().line, i + 2);
        }
        let concatenated = "{}\n".repeat(n);
        let docs = split(concatenated.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(docs.len(), n);
        assert_eq!(docs[n - 1].as_ref().unwrap().line, n);
    }

    #[test]
    fn array_elements_are_documents() {
        let input = b"[ {\"a\":1}, {\"b\":[1,2]} ]";
        let docs = split(input, &Limits::default()).unwrap();
        assert_eq!(ok_texts(&docs), vec!["{\"a\":1}", "{\"b\":[1,2]}"]);
    }

    #[test]
    fn depth_limit_is_enforced_without_recursion() {
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let input = format!("{{\"a\":{deep}}}");
        let docs = split(input.as_bytes(), &Limits::default()).unwrap();
        assert!(matches!(
            docs[0].as_ref().unwrap_err().error,
            AlertError::TooDeep { limit: 64 }
        ));
    }

    #[test]
    fn depth_64_is_accepted_65_is_not() {
        let limits = Limits::default();
        let at = |n: usize| format!("{}{}", "{\"a\":".repeat(n - 1) + "{", "}".repeat(n));
        assert!(split(at(64).as_bytes(), &limits).unwrap()[0].is_ok());
        assert!(split(at(65).as_bytes(), &limits).unwrap()[0].is_err());
    }

    #[test]
    fn empty_and_not_utf8() {
        assert_eq!(split(b"  \n", &Limits::default()), Err(AlertError::Empty));
        assert_eq!(
            split(b"{\"a\":\"\xff\"}", &Limits::default()),
            Err(AlertError::NotUtf8 { offset: 6 })
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_one_bad_record_of_ndjson() {
        let input = b"{\"a\": 1}\n\n{\"b\": \"\xff\"}\n{\"c\": 3}\n{\"d\": 4}\n";
        let docs = split(input, &Limits::default()).unwrap();
        assert_eq!(docs.len(), 4, "{docs:?}");
        let ok = |i: usize| docs[i].as_ref().unwrap();
        assert_eq!((ok(0).text, ok(0).line, ok(0).index), ("{\"a\": 1}", 1, 0));
        assert_eq!(
            docs[1],
            Err(Located {
                line: 3,
                index: 1,
                error: AlertError::NotUtf8 { offset: 17 }
            })
        );
        assert_eq!((ok(2).text, ok(2).line, ok(2).index), ("{\"c\": 3}", 4, 2));
        assert_eq!((ok(3).text, ok(3).line, ok(3).index), ("{\"d\": 4}", 5, 3));
        // A bad last line, and a byte-order mark.
        let docs = split(
            b"\xEF\xBB\xBF{\"a\": 1}\n{\"b\": \"\xfe",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert!(docs[0].is_ok());
        assert_eq!(
            docs[1].as_ref().unwrap_err().error,
            AlertError::NotUtf8 { offset: 19 }
        );
        // Not NDJSON: one document, or a bad first line, is refused as a whole.
        for input in [
            &b"{\"a\":\n \"\xff\"}\n{\"b\": 2}"[..],
            b"{\"a\": \"\xff\"}\n{\"b\": 2}\n",
            b"{\"a\": \"\xff\"}\n",
            b"[{\"a\": 1},\n{\"b\": \"\xff\"}]\n",
        ] {
            assert!(
                matches!(
                    split(input, &Limits::default()),
                    Err(AlertError::NotUtf8 { .. })
                ),
                "{input:?}"
            );
        }
    }

    #[test]
    fn truncated_reports_serde_message() {
        let docs = split(b"{\"a\": [1, 2", &Limits::default()).unwrap();
        let err = &docs[0].as_ref().unwrap_err().error;
        assert!(err.to_string().contains("EOF while parsing"), "{err}");
    }

    #[test]
    fn size_limit() {
        let limits = Limits {
            max_alert_bytes: 10,
            ..Limits::default()
        };
        let docs = split(b"{\"a\":\"0123456789\"}", &limits).unwrap();
        assert!(matches!(
            docs[0].as_ref().unwrap_err().error,
            AlertError::TooLarge { .. }
        ));
    }
}
