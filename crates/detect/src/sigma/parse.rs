//! YAML text → a small document tree ([`Node`]) → rule documents ([`RuleDoc`]).
//!
//! The tree is built from `yaml-rust2`'s event stream rather than its own loader so that
//! scalars keep their source text: `GrantedAccess: 0x1010` stays the string `0x1010` (a
//! YAML 1.2 loader would turn it into 4112), and `EventID: 4688` keeps both its text and
//! its number. Only plain (unquoted) scalars are resolved to null, booleans and decimal
//! numbers.
//!
//! Bounds: at most [`MAX_NODES`] nodes per file (aliases count every time they are
//! expanded, so an alias bomb fails instead of exhausting memory), nesting at most
//! [`MAX_DEPTH`] levels, and block indentation at most [`MAX_INDENT`] columns (the YAML
//! parser recurses once per level).

use std::collections::HashMap;

use yaml_rust2::parser::{Event as YamlEvent, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{LogSource, RuleInfo};

/// Most nodes one file may expand to.
pub(crate) const MAX_NODES: usize = 200_000;
/// Deepest nesting of mappings and sequences.
pub(crate) const MAX_DEPTH: usize = 64;
/// Widest block indentation (spaces and `- ` indicators) at the start of a line.
pub(crate) const MAX_INDENT: usize = 512;

/// A YAML value with its source text kept for scalars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `null`, `~` or an empty plain scalar.
    Null,
    /// `true` / `false` (plain).
    Bool(bool),
    /// A plain decimal integer, with its text.
    Int(i64, String),
    /// A plain decimal float, with its text.
    Float(f64, String),
    /// Any other scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in document order (a repeated key replaces the value).
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar as text (`None` for null, sequences and mappings).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Node::Bool(b) => Some(b.to_string()),
            Node::Int(_, t) | Node::Float(_, t) | Node::Str(t) => Some(t.clone()),
            _ => None,
        }
    }

    /// A string or a list of strings (other scalars as text).
    pub(crate) fn strings(&self) -> Vec<String> {
        match self {
            Node::Seq(items) => items.iter().filter_map(Node::text).collect(),
            other => other.text().into_iter().collect(),
        }
    }

    fn resolve_plain(text: String) -> Node {
        match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
            "true" | "True" | "TRUE" => return Node::Bool(true),
            "false" | "False" | "FALSE" => return Node::Bool(false),
            _ => {}
        }
        let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(i) = text.parse::<i64>() {
                return Node::Int(i, text);
            }
        } else if digits.bytes().any(|b| b.is_ascii_digit())
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
            && let Ok(f) = text.parse::<f64>()
        {
            return Node::Float(f, text);
        }
        Node::Str(text)
    }
}

/// Deep merge used by `action: global` and `action: repeat`: mappings merge key by key,
/// anything else in `over` replaces `base`.
pub(crate) fn merge(base: &Node, over: &Node) -> Node {
    match (base, over) {
        (Node::Map(b), Node::Map(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                match out.iter_mut().find(|(bk, _)| bk == k) {
                    Some((_, slot)) => *slot = merge(slot, v),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            Node::Map(out)
        }
        (_, o) => o.clone(),
    }
}

enum Frame {
    Seq(Vec<Node>, usize),
    Map(Vec<(String, Node)>, Option<String>, usize),
}

struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    error: Option<String>,
}

impl Builder {
    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    fn push_value(&mut self, node: Node, anchor: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, key, _)) => match key.take() {
                Some(k) => match entries.iter_mut().find(|(ek, _)| *ek == k) {
                    Some((_, slot)) => *slot = node,
                    None => entries.push((k, node)),
                },
                None => match node {
                    Node::Null => *key = Some(String::new()),
                    Node::Seq(_) | Node::Map(_) => self.fail(format!(
                        "line {}: a mapping key must be a scalar",
                        mark.line()
                    )),
                    scalar => *key = scalar.text(),
                },
            },
        }
    }

    fn count(&mut self, n: usize) -> bool {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            self.fail(format!("document expands to more than {MAX_NODES} nodes"));
            return false;
        }
        true
    }
}

fn size_of(node: &Node) -> usize {
    match node {
        Node::Seq(items) => 1 + items.iter().map(size_of).sum::<usize>(),
        Node::Map(entries) => 1 + entries.iter().map(|(_, v)| size_of(v)).sum::<usize>(),
        _ => 1,
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: YamlEvent, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            YamlEvent::Scalar(text, style, anchor, _tag) => {
                if !self.count(1) {
                    return;
                }
                let node = if style == TScalarStyle::Plain {
                    Node::resolve_plain(text)
                } else {
                    Node::Str(text)
                };
                self.push_value(node, anchor, mark);
            }
            YamlEvent::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => {
                    if self.count(size_of(&node)) {
                        self.push_value(node, 0, mark);
                    }
                }
                None => self.fail(format!("line {}: unknown alias", mark.line())),
            },
            YamlEvent::SequenceStart(anchor, _) | YamlEvent::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(format!("nesting deeper than {MAX_DEPTH} levels"));
                    return;
                }
                if !self.count(1) {
                    return;
                }
                self.stack
                    .push(if matches!(ev, YamlEvent::SequenceStart(..)) {
                        Frame::Seq(Vec::new(), anchor)
                    } else {
                        Frame::Map(Vec::new(), None, anchor)
                    });
            }
            YamlEvent::SequenceEnd | YamlEvent::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(items, a)) => (Node::Seq(items), a),
                    Some(Frame::Map(entries, _, a)) => (Node::Map(entries), a),
                    None => return,
                };
                self.push_value(node, anchor, mark);
            }
            YamlEvent::DocumentEnd => self.anchors.clear(),
            _ => {}
        }
    }
}

/// Parses every document of a YAML stream.
pub(crate) fn parse_yaml(text: &str) -> Result<Vec<Node>, String> {
    for (i, line) in text.lines().enumerate() {
        let indent = indentation(line);
        if indent > MAX_INDENT {
            return Err(format!(
                "line {}: indentation of {indent} columns is over the limit of {MAX_INDENT}",
                i + 1
            ));
        }
    }
    let mut b = Builder {
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut b, true)
        .map_err(|e| format!("YAML syntax: {e}"))?;
    match b.error {
        Some(e) => Err(e),
        None => Ok(b.docs),
    }
}

/// Width of the block-structure prefix of a line: spaces, tabs and `- `/`? ` indicators.
fn indentation(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'-' | b'?' if b.get(i + 1).is_none_or(|c| *c == b' ') => i += 2,
            _ => break,
        }
    }
    i
}

/// What a YAML document turned out to be.
#[derive(Debug)]
pub(crate) enum Doc {
    /// A detection rule.
    Rule(Box<RuleDoc>),
    /// A document the engine recognises but does not run (correlation, meta filter).
    Unsupported {
        /// Id or title.
        name: String,
        /// Why.
        reason: String,
    },
    /// A malformed rule.
    Invalid {
        /// Id or title, when readable.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// One rule document, after `action: global` merging.
#[derive(Debug)]
pub(crate) struct RuleDoc {
    /// Metadata.
    pub(crate) info: RuleInfo,
    /// The `detection` mapping.
    pub(crate) detection: Node,
}

/// Splits a parsed YAML stream into rule documents, applying `action: global` (merged into
/// every following document until `action: reset`) and `action: repeat` (the previous
/// rule with changes). Documents that are neither rules nor rule-like (no `detection`,
/// `title` or `logsource`, e.g. a regression test's `info.yml`) are ignored.
pub(crate) fn split_docs(docs: Vec<Node>, path: &str) -> Vec<Doc> {
    let mut out = Vec::new();
    let mut global: Option<Node> = None;
    let mut previous: Option<Node> = None;
    for doc in docs {
        let Node::Map(_) = doc else {
            if doc != Node::Null {
                out.push(Doc::Invalid {
                    name: String::new(),
                    message: "document is not a mapping".into(),
                });
            }
            continue;
        };
        let action = doc.get("action").and_then(Node::text);
        let strip = |n: &Node| match n {
            Node::Map(m) => Node::Map(m.iter().filter(|(k, _)| k != "action").cloned().collect()),
            other => other.clone(),
        };
        let merged = match action.as_deref() {
            Some("global") => {
                global = Some(strip(&doc));
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => match &previous {
                Some(p) => merge(p, &strip(&doc)),
                None => {
                    out.push(Doc::Invalid {
                        name: String::new(),
                        message: "`action: repeat` without a previous rule".into(),
                    });
                    continue;
                }
            },
            Some(other) => {
                out.push(Doc::Invalid {
                    name: String::new(),
                    message: format!("unknown `action: {other}`"),
                });
                continue;
            }
            None => match &global {
                Some(g) => merge(g, &doc),
                None => doc,
            },
        };
        previous = Some(merged.clone());
        if let Some(d) = classify(&merged, path) {
            out.push(d);
        }
    }
    out
}

fn classify(doc: &Node, path: &str) -> Option<Doc> {
    let name = doc
        .get("id")
        .and_then(Node::text)
        .or_else(|| doc.get("title").and_then(Node::text))
        .unwrap_or_default();
    if doc.get("correlation").is_some() {
        return Some(Doc::Unsupported {
            name,
            reason: "correlation rule".into(),
        });
    }
    if doc.get("filter").is_some() && doc.get("detection").is_none() {
        return Some(Doc::Unsupported {
            name,
            reason: "meta filter".into(),
        });
    }
    let Some(detection) = doc.get("detection") else {
        if doc.get("title").is_some() || doc.get("logsource").is_some() {
            return Some(Doc::Invalid {
                name,
                message: "missing `detection`".into(),
            });
        }
        return None;
    };
    if !matches!(detection, Node::Map(_)) {
        return Some(Doc::Invalid {
            name,
            message: "`detection` is not a mapping".into(),
        });
    }
    let Some(title) = doc.get("title").and_then(Node::text) else {
        return Some(Doc::Invalid {
            name,
            message: "missing `title`".into(),
        });
    };
    let text = |k: &str| doc.get(k).and_then(Node::text);
    let ls = doc.get("logsource");
    let ls_field = |k: &str| {
        ls.and_then(|l| l.get(k))
            .and_then(Node::text)
            .map(|s| s.to_ascii_lowercase())
    };
    let info = RuleInfo {
        id: text("id").unwrap_or_else(|| title.clone()),
        title,
        level: text("level"),
        status: text("status"),
        tags: doc.get("tags").map(Node::strings).unwrap_or_default(),
        author: text("author"),
        description: text("description"),
        falsepositives: doc
            .get("falsepositives")
            .map(Node::strings)
            .unwrap_or_default(),
        logsource: LogSource {
            product: ls_field("product"),
            category: ls_field("category"),
            service: ls_field("service"),
        },
        path: path.to_owned(),
    };
    Some(Doc::Rule(Box::new(RuleDoc {
        info,
        detection: detection.clone(),
    })))
}
