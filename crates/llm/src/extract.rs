//! A tolerant reader of final answers: the first JSON object in model text that may also
//! hold prose, markdown fences, thinking sections or stray control characters.
//!
//! [`first_json_object`] (and [`first_json_as`] for a typed answer):
//! 1. reads at most [`MAX_INPUT_BYTES`] of the text;
//! 2. drops `<think>…</think>`, `<thinking>…</thinking>` and `<reasoning>…</reasoning>`
//!    sections (a model's drafts are not its answer; an unclosed tag is left alone);
//! 3. looks inside markdown code fences first, then in the whole text;
//! 4. at each `{`, takes the balanced span up to its matching `}` (braces inside strings
//!    do not count), repairing on the way what models commonly break: raw control
//!    characters inside strings are escaped, control and invisible characters outside
//!    strings are dropped, trailing commas before `}` or `]` are removed;
//! 5. returns the first span that parses as a non-empty JSON object (and, for
//!    [`first_json_as`], deserializes into the type).
//!
//! Pure functions: no I/O, no allocation beyond the candidates, bounded work.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Longest text read, in bytes (the rest is ignored).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Most `{` positions tried per pass.
const MAX_CANDIDATES: usize = 256;

/// Most characters examined over all candidates of one pass, so text full of unclosed
/// braces cannot make the search quadratic.
const MAX_WORK_CHARS: usize = 4 * MAX_INPUT_BYTES;

/// The first non-empty JSON object in `text`, or `None` (see the module documentation).
pub fn first_json_object(text: &str) -> Option<Map<String, Value>> {
    find(text, |v| match v {
        Value::Object(m) if !m.is_empty() => Some(m),
        _ => None,
    })
}

/// The first JSON object in `text` that deserializes into `T`, or `None`.
pub fn first_json_as<T: DeserializeOwned>(text: &str) -> Option<T> {
    find(text, |v| match v {
        Value::Object(ref m) if !m.is_empty() => serde_json::from_value(v).ok(),
        _ => None,
    })
}

fn find<T>(text: &str, mut accept: impl FnMut(Value) -> Option<T>) -> Option<T> {
    let text = cap(text, MAX_INPUT_BYTES);
    let text = strip_thinking(text);
    for fenced in fenced_blocks(&text) {
        if let Some(found) = scan(fenced, &mut accept) {
            return Some(found);
        }
    }
    scan(&text, &mut accept)
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` without closed thinking sections (one pass; tags matched case-insensitively).
fn strip_thinking(text: &str) -> String {
    const TAGS: [(&str, &str); 3] = [
        ("<think>", "</think>"),
        ("<thinking>", "</thinking>"),
        ("<reasoning>", "</reasoning>"),
    ];
    // ASCII lower-casing keeps byte offsets, so positions in `lower` index `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    // The next position of each opening tag at or after `pos` (None: no more).
    let mut next: [Option<usize>; 3] = [None; 3];
    let mut fresh = [false; 3];
    loop {
        for (i, (open, _)) in TAGS.iter().enumerate() {
            if !fresh[i] || next[i].is_some_and(|n| n < pos) {
                next[i] = lower[pos..].find(open).map(|n| n + pos);
                fresh[i] = true;
            }
        }
        let Some((i, start)) = next
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (i, n)))
            .min_by_key(|(_, n)| *n)
        else {
            break;
        };
        let (open, close) = TAGS[i];
        let body = start + open.len();
        let Some(rel) = lower[body..].find(close) else {
            break;
        };
        out.push_str(&text[pos..start]);
        out.push(' ');
        pos = body + rel + close.len();
    }
    out.push_str(&text[pos..]);
    out
}

/// The bodies of the markdown code fences in `text` (```` ``` ```` or `~~~`, any info
/// string), in order; an unclosed last fence runs to the end.
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let start = match (rest.find("```"), rest.find("~~~")) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => break,
        };
        let marker = &rest[start..start + 3];
        let after = &rest[start + 3..];
        // Skip the info string (`json`, `JSON`, nothing) up to the end of the line.
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let body = &after[body_start..];
        match body.find(marker) {
            Some(end) => {
                out.push(&body[..end]);
                rest = &body[end + 3..];
            }
            None => {
                out.push(body);
                break;
            }
        }
    }
    out
}

fn scan<T>(text: &str, accept: &mut impl FnMut(Value) -> Option<T>) -> Option<T> {
    let mut budget = MAX_WORK_CHARS;
    for (start, _) in text.match_indices('{').take(MAX_CANDIDATES) {
        if budget == 0 {
            return None;
        }
        let Some(candidate) = balanced(&text[start..], &mut budget) else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<Value>(&candidate)
            && let Some(found) = accept(v)
        {
            return Some(found);
        }
    }
    None
}

/// Characters that carry nothing outside a JSON string (byte-order mark, zero-width
/// spaces and joiners, word joiner).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}'
    )
}

/// The repaired span from the `{` at the start of `text` to its matching `}`, or `None`
/// when it never closes or `budget` (characters, decremented) runs out.
fn balanced(text: &str, budget: &mut usize) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
            } else if c == '\\' {
                escaped = true;
                out.push(c);
            } else if c == '"' {
                in_string = false;
                out.push(c);
            } else if (c as u32) < 0x20 {
                match c {
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    other => out.push_str(&format!("\\u{:04x}", other as u32)),
                }
            } else {
                out.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' => {
                depth += 1;
                out.push(c);
            }
            '}' | ']' => {
                drop_trailing_comma(&mut out);
                out.push(c);
                if c == '}' {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(out);
                    }
                }
            }
            '\n' | '\r' | '\t' | ' ' => out.push(c),
            c if c.is_control() || invisible(c) => {}
            c => out.push(c),
        }
    }
    None
}

/// Removes a `,` (and the white space after it) at the end of `out`.
fn drop_trailing_comma(out: &mut String) {
    let trimmed = out.trim_end().len();
    if out[..trimmed].ends_with(',') {
        out.truncate(trimmed - 1);
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    fn obj(text: &str) -> Option<Value> {
        first_json_object(text).map(Value::Object)
    }

    #[test]
    fn plain_object() {
        assert_eq!(
            obj(r#"{"verdict": "malicious", "confidence": 92}"#),
            Some(json!({"verdict": "malicious", "confidence": 92}))
        );
    }

    #[test]
    fn prose_around_and_braces_in_prose() {
        let t = "Looking at {the evidence} first.\nFinal answer: {\"verdict\": \"benign\", \"note\": \"a } in a string\"} — done.";
        assert_eq!(
            obj(t),
            Some(json!({"verdict": "benign", "note": "a } in a string"}))
        );
    }

    #[test]
    fn fenced_block_wins_over_an_example_in_prose() {
        let t = "I'll answer like {\"verdict\": \"...\"}.\n```json\n{\"verdict\": \"malicious\"}\n```\n";
        assert_eq!(obj(t), Some(json!({"verdict": "malicious"})));
        let unclosed = "```JSON\n{\"a\": 1}";
        assert_eq!(obj(unclosed), Some(json!({"a": 1})));
    }

    #[test]
    fn thinking_sections_are_not_the_answer() {
        let t =
            "<thinking>draft: {\"verdict\": \"benign\"}</thinking>\n{\"verdict\": \"malicious\"}";
        assert_eq!(obj(t), Some(json!({"verdict": "malicious"})));
        let t = "<THINK>maybe {\"x\": 1}</THINK>no object here";
        assert_eq!(obj(t), None);
        // An unclosed tag is left alone.
        assert_eq!(obj("<think> {\"x\": 1}"), Some(json!({"x": 1})));
    }

    #[test]
    fn control_characters_and_invisibles_are_repaired() {
        let t = "\u{feff}\u{0}{\"summary\": \"line one\nline\ttwo\u{1}\",\u{200b} \"n\": 1\u{7}}";
        assert_eq!(
            obj(t),
            Some(json!({"summary": "line one\nline\ttwo\u{1}", "n": 1}))
        );
    }

    #[test]
    fn trailing_commas_are_dropped() {
        let t = "{\"evidence\": [\"a\", \"b\",], \"ok\": true,\n}";
        assert_eq!(obj(t), Some(json!({"evidence": ["a", "b"], "ok": true})));
        // A comma inside a string stays.
        assert_eq!(obj("{\"s\": \",]\"}"), Some(json!({"s": ",]"})));
    }

    #[test]
    fn nested_objects_come_whole_and_empty_ones_are_skipped() {
        assert_eq!(
            obj("{} then {\"a\": {\"b\": [1, {\"c\": 2}]}}"),
            Some(json!({"a": {"b": [1, {"c": 2}]}}))
        );
        assert_eq!(obj("{}"), None);
    }

    #[test]
    fn nothing_to_find() {
        assert_eq!(obj(""), None);
        assert_eq!(obj("no json at all"), None);
        assert_eq!(obj("[1, 2, 3]"), None);
        // Truncated by max_tokens.
        assert_eq!(
            obj("{\"verdict\": \"malicious\", \"summary\": \"The source"),
            None
        );
        assert_eq!(obj("}}}{{{"), None);
    }

    #[test]
    fn typed_answers_skip_objects_of_another_shape() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Verdict {
            verdict: String,
            confidence: u8,
        }
        let t = "{\"tool\": \"lookup\"} and then {\"verdict\": \"benign\", \"confidence\": 40}";
        assert_eq!(
            first_json_as::<Verdict>(t),
            Some(Verdict {
                verdict: "benign".into(),
                confidence: 40
            })
        );
        assert_eq!(first_json_as::<Verdict>("{\"verdict\": 1}"), None);
    }

    #[test]
    fn hostile_input_stays_bounded() {
        let many = "{".repeat(200_000);
        assert_eq!(obj(&many), None);
        let big = format!("{}{{\"a\":1}}", "x".repeat(MAX_INPUT_BYTES));
        assert_eq!(obj(&big), None, "text past the cap is ignored");
        let multibyte = "é".repeat(MAX_INPUT_BYTES);
        assert_eq!(obj(&multibyte), None);
    }
}
