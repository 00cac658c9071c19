//! Reading alerts from files, directories and stdin, with one error per bad input.

use std::io::Read;
use std::path::{Path, PathBuf};

use soc_core::Alert;
use soc_core::alert::{Format, Limits, parse_input};

use crate::cli::InputFormat;

/// Largest input file read (a file may hold many alerts; each is still held to the
/// per-alert limit).
const MAX_FILE_BYTES: u64 = 512 << 20;

/// One alert read from the inputs, or why a document could not be one.
#[derive(Debug)]
pub(crate) struct Item {
    /// Where it came from: `path`, `path:line` for multi-alert files, `stdin:line`.
    pub(crate) origin: String,
    /// The file it came from (`None` for stdin).
    pub(crate) path: Option<PathBuf>,
    /// The alert, or the reason.
    pub(crate) result: Result<Alert, String>,
}

impl From<InputFormat> for Format {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Auto => Format::Auto,
            InputFormat::Native => Format::Native,
            InputFormat::Ecs => Format::Ecs,
            InputFormat::Wazuh => Format::Wazuh,
            InputFormat::SplunkWebhook => Format::SplunkWebhook,
            InputFormat::SplunkHec => Format::SplunkHec,
        }
    }
}

/// Alert files in a directory: `*.json`, `*.ndjson`, `*.jsonl`, sorted, not recursive.
pub(crate) fn dir_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let ext_ok = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(e.to_ascii_lowercase().as_str(), "json" | "ndjson" | "jsonl")
        });
        if ext_ok && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every input. Paths in `exclude` (compared canonically) are skipped.
pub(crate) fn load(
    inputs: &[PathBuf],
    format: Format,
    limits: &Limits,
    exclude: &[PathBuf],
) -> Vec<Item> {
    let excluded: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut items = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            let mut buf = Vec::new();
            match std::io::stdin()
                .lock()
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
            {
                Ok(_) if buf.len() as u64 > MAX_FILE_BYTES => items.push(Item {
                    origin: "stdin".into(),
                    path: None,
                    result: Err(format!("input is larger than {} MiB", MAX_FILE_BYTES >> 20)),
                }),
                Ok(_) => push_parsed(&mut items, "stdin", None, &buf, format, limits, true),
                Err(e) => items.push(Item {
                    origin: "stdin".into(),
                    path: None,
                    result: Err(format!("cannot read: {e}")),
                }),
            }
            continue;
        }
        if input.is_dir() {
            match dir_files(input) {
                Ok(files) => {
                    for f in files {
                        if f.canonicalize().is_ok_and(|c| excluded.contains(&c)) {
                            continue;
                        }
                        read_file(&mut items, &f, format, limits);
                    }
                }
                Err(e) => items.push(Item {
                    origin: input.display().to_string(),
                    path: Some(input.clone()),
                    result: Err(format!("cannot read directory: {e}")),
                }),
            }
        } else {
            read_file(&mut items, input, format, limits);
        }
    }
    items
}

fn read_file(items: &mut Vec<Item>, path: &Path, format: Format, limits: &Limits) {
    let name = path.display().to_string();
    let fail = |items: &mut Vec<Item>, reason: String| {
        items.push(Item {
            origin: name.clone(),
            path: Some(path.to_path_buf()),
            result: Err(reason),
        });
    };
    match std::fs::metadata(path) {
        Err(e) => return fail(items, format!("cannot read: {e}")),
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return fail(
                items,
                format!(
                    "file is {} bytes, over the {} MiB input limit",
                    m.len(),
                    MAX_FILE_BYTES >> 20
                ),
            );
        }
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => push_parsed(items, &name, Some(path), &bytes, format, limits, false),
        Err(e) => fail(items, format!("cannot read: {e}")),
    }
}

fn push_parsed(
    items: &mut Vec<Item>,
    name: &str,
    path: Option<&Path>,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    always_line: bool,
) {
    match parse_input(bytes, format, limits) {
        Err(e) => items.push(Item {
            origin: name.to_owned(),
            path: path.map(Path::to_path_buf),
            result: Err(e.to_string()),
        }),
        Ok(parsed) => {
            let many = parsed.len() > 1 || always_line;
            for p in parsed {
                let origin = if many {
                    format!("{name}:{}", p.line)
                } else {
                    name.to_owned()
                };
                items.push(Item {
                    origin,
                    path: path.map(Path::to_path_buf),
                    result: p.result.map_err(|l| l.error.to_string()),
                });
            }
        }
    }
}
