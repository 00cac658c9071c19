//! Loading rule files and directories, the load report, and the SigmaHQ regression
//! samples (`regression_data/**/info.yml` + event JSON).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::compile::{CompileError, compile};
use super::fields::json_stream;
use super::parse::{Doc, Node, parse_yaml, split_docs};
use super::{Event, RuleSet, SigmaError};

/// Largest rule file read (bytes).
pub(crate) const MAX_RULE_FILE_BYTES: u64 = 4 << 20;

/// A rule that was recognised but not loaded because it uses something the engine does
/// not support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// The rule's id, else its title.
    pub rule: String,
    /// Why (`aggregation condition`, `placeholder `%x%``, `unknown modifier `x``, ...).
    pub reason: String,
}

/// A file or rule that could not be read: unreadable file, YAML syntax, malformed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: String,
    /// The rule's id or title, when known.
    pub rule: String,
    /// What went wrong.
    pub message: String,
}

/// What a load did: every rule document is counted once as loaded, skipped or an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Rule documents seen (plus unreadable files).
    pub total: usize,
    /// Rules compiled into the set.
    pub loaded: usize,
    /// Rules skipped, with the reason.
    pub skipped: Vec<Skipped>,
    /// Files and rules that failed.
    pub errors: Vec<LoadError>,
}

impl LoadReport {
    /// `rules: total=<n> loaded=<n> skipped=<n> errors=<n>`.
    pub fn summary_line(&self) -> String {
        format!(
            "rules: total={} loaded={} skipped={} errors={}",
            self.total,
            self.loaded,
            self.skipped.len(),
            self.errors.len()
        )
    }

    /// Skip reasons with their counts, most frequent first.
    pub fn skip_reasons(&self) -> Vec<(String, usize)> {
        group(self.skipped.iter().map(|s| s.reason.as_str()))
    }

    /// Error messages with their counts, most frequent first.
    pub fn error_reasons(&self) -> Vec<(String, usize)> {
        group(self.errors.iter().map(|e| e.message.as_str()))
    }

    /// Adds another report's counts and lists.
    pub fn merge(&mut self, other: LoadReport) {
        self.total += other.total;
        self.loaded += other.loaded;
        self.skipped.extend(other.skipped);
        self.errors.extend(other.errors);
    }
}

fn group<'a>(items: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> =
        counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

impl fmt::Display for LoadReport {
    /// The summary line, then `skipped: <reason> (<n>)` and `error: <message> (<n>)` lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary_line())?;
        for (reason, n) in self.skip_reasons() {
            writeln!(f, "  skipped: {reason} ({n})")?;
        }
        for (message, n) in self.error_reasons() {
            writeln!(f, "  error: {message} ({n})")?;
        }
        Ok(())
    }
}

/// Rule files under `path`: the file itself, or every `*.yml`/`*.yaml` below a
/// directory (sorted, hidden entries skipped).
pub(crate) fn rule_files(path: &Path) -> Result<Vec<PathBuf>, SigmaError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, &e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io(&dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io(&dir, &e))?;
            let p = entry.path();
            let hidden = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            let ft = entry.file_type().map_err(|e| io(&p, &e))?;
            if ft.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn io(path: &Path, e: &std::io::Error) -> SigmaError {
    SigmaError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads a rule file, bounded by [`MAX_RULE_FILE_BYTES`].
pub(crate) fn read_rule_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_RULE_FILE_BYTES {
        return Err(format!(
            "file is {} bytes, over the limit of {MAX_RULE_FILE_BYTES}",
            meta.len()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}

/// Parses and compiles one YAML text into `set` (without rebuilding its index).
pub(crate) fn add_yaml(set: &mut RuleSet, text: &str, origin: &str, report: &mut LoadReport) {
    let docs = match parse_yaml(text) {
        Ok(d) => d,
        Err(message) => {
            report.total += 1;
            report.errors.push(LoadError {
                path: origin.to_owned(),
                rule: String::new(),
                message,
            });
            return;
        }
    };
    for doc in split_docs(docs, origin) {
        report.total += 1;
        match doc {
            Doc::Rule(rule) => match compile(&rule, &mut set.fields) {
                Ok(c) => {
                    report.loaded += 1;
                    set.push(rule.info, c);
                }
                Err(CompileError::Unsupported(reason)) => report.skipped.push(Skipped {
                    path: origin.to_owned(),
                    rule: rule.info.id.clone(),
                    reason,
                }),
                Err(CompileError::Invalid(message)) => report.errors.push(LoadError {
                    path: origin.to_owned(),
                    rule: rule.info.id.clone(),
                    message,
                }),
            },
            Doc::Unsupported { name, reason } => report.skipped.push(Skipped {
                path: origin.to_owned(),
                rule: name,
                reason,
            }),
            Doc::Invalid { name, message } => report.errors.push(LoadError {
                path: origin.to_owned(),
                rule: name,
                message,
            }),
        }
    }
}

/// One SigmaHQ regression test: the rule it tests and its event files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegressionSample {
    /// The tested rule's id (`rule_metadata[0].id`).
    pub rule_id: String,
    /// The tested rule's title.
    pub title: String,
    /// The `info.yml`.
    pub info_path: PathBuf,
    /// The JSON event files beside it (each may hold several concatenated documents).
    pub events: Vec<PathBuf>,
}

/// Walks `dir` for `info.yml` files and returns the samples, sorted by path.
///
/// # Errors
///
/// [`SigmaError::Io`] when `dir` cannot be read, [`SigmaError::Sample`] when an
/// `info.yml` is malformed.
pub fn regression_samples(dir: &Path) -> Result<Vec<RegressionSample>, SigmaError> {
    let mut out = Vec::new();
    for info in rule_files(dir)? {
        if info.file_name().and_then(|n| n.to_str()) != Some("info.yml") {
            continue;
        }
        let text = read_rule_file(&info).map_err(|message| SigmaError::Sample {
            path: info.display().to_string(),
            message,
        })?;
        let bad = |message: &str| SigmaError::Sample {
            path: info.display().to_string(),
            message: message.to_owned(),
        };
        let docs = parse_yaml(&text).map_err(|m| bad(&m))?;
        let meta = docs
            .first()
            .and_then(|d| d.get("rule_metadata"))
            .and_then(|m| match m {
                Node::Seq(items) => items.first(),
                _ => None,
            })
            .ok_or_else(|| bad("missing `rule_metadata`"))?;
        let rule_id = meta
            .get("id")
            .and_then(Node::text)
            .ok_or_else(|| bad("missing `rule_metadata[0].id`"))?;
        let title = meta.get("title").and_then(Node::text).unwrap_or_default();
        let parent = info.parent().unwrap_or(Path::new("."));
        let mut events: Vec<PathBuf> = std::fs::read_dir(parent)
            .map_err(|e| io(parent, &e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
            .collect();
        events.sort();
        out.push(RegressionSample {
            rule_id,
            title,
            info_path: info,
            events,
        });
    }
    Ok(out)
}

/// Reads the events of a JSON file holding one or more concatenated documents (EVTX-JSON
/// or any shape [`Event::from_value`] takes).
///
/// # Errors
///
/// [`SigmaError::Io`] when unreadable, [`SigmaError::Sample`] when not JSON.
pub fn read_events(path: &Path) -> Result<Vec<Event>, SigmaError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, &e))?;
    let values = json_stream(&text).map_err(|message| SigmaError::Sample {
        path: path.display().to_string(),
        message,
    })?;
    Ok(values.iter().map(Event::from_value).collect())
}

/// The outcome of running regression samples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegressionReport {
    /// Samples run.
    pub total: usize,
    /// Samples with at least one event matched by their own rule.
    pub passed: usize,
    /// The others.
    pub misses: Vec<RegressionMiss>,
}

/// A sample its own rule did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegressionMiss {
    /// The rule id.
    pub rule_id: String,
    /// The rule title.
    pub title: String,
    /// Why: not loaded (with the skip reason when known), log source not routed,
    /// prefilter, or detection not satisfied.
    pub reason: String,
}

impl RegressionReport {
    /// `samples: total=<n> passed=<n> missed=<n> (<pct>%)`.
    pub fn summary_line(&self) -> String {
        let pct = if self.total == 0 {
            0.0
        } else {
            100.0 * self.passed as f64 / self.total as f64
        };
        format!(
            "samples: total={} passed={} missed={} ({pct:.1}%)",
            self.total,
            self.passed,
            self.misses.len()
        )
    }
}
