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

/// The alert files a directory input contributes, as the help and the errors name them.
pub(crate) const ACCEPTED_FILES: &str = "*.json, *.ndjson, *.jsonl";

/// Why a directory contributed nothing.
pub(crate) fn no_alert_files_reason() -> String {
    format!(
        "no alert files in this directory (accepted: {ACCEPTED_FILES}; subdirectories are not read)"
    )
}

/// Alert files in a directory: `*.json`, `*.ndjson`, `*.jsonl`, sorted, not recursive,
/// without the paths in `excluded` (canonical).
pub(crate) fn alert_files(dir: &Path, excluded: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    Ok(dir_files(dir)?
        .into_iter()
        .filter(|f| !f.canonicalize().is_ok_and(|c| excluded.contains(&c)))
        .collect())
}

/// The canonical forms of `paths` (those that exist).
pub(crate) fn canonical(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths.iter().filter_map(|p| p.canonicalize().ok()).collect()
}

/// Alert files in a directory: `*.json`, `*.ndjson`, `*.jsonl`, sorted, not recursive.
fn dir_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
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
    let excluded = canonical(exclude);
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
                    result: Err(format!(
                        "input is over the {} input limit (reading stopped there)",
                        shown_limit(MAX_FILE_BYTES)
                    )),
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
            match alert_files(input, &excluded) {
                Ok(files) if files.is_empty() => items.push(Item {
                    origin: input.display().to_string(),
                    path: Some(input.clone()),
                    result: Err(no_alert_files_reason()),
                }),
                Ok(files) => {
                    for f in files {
                        read_file(&mut items, &f, format, limits, MAX_FILE_BYTES);
                    }
                }
                Err(e) => items.push(Item {
                    origin: input.display().to_string(),
                    path: Some(input.clone()),
                    result: Err(format!("cannot read directory: {e}")),
                }),
            }
        } else {
            read_file(&mut items, input, format, limits, MAX_FILE_BYTES);
        }
    }
    items
}

/// Reads one file of at most `max` bytes. The size the file system reports is checked
/// first, but a FIFO or a device reports none: the read itself stops past `max`.
fn read_file(items: &mut Vec<Item>, path: &Path, format: Format, limits: &Limits, max: u64) {
    let name = path.display().to_string();
    let fail = |items: &mut Vec<Item>, reason: String| {
        items.push(Item {
            origin: name.clone(),
            path: Some(path.to_path_buf()),
            result: Err(reason),
        });
    };
    let limit = shown_limit(max);
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(items, format!("cannot read: {e}")),
    };
    match file.metadata() {
        Err(e) => return fail(items, format!("cannot read: {e}")),
        Ok(m) if m.len() > max => {
            return fail(
                items,
                format!("file is {} bytes, over the {limit} input limit", m.len()),
            );
        }
        Ok(_) => {}
    }
    let mut bytes = Vec::new();
    match file.take(max.saturating_add(1)).read_to_end(&mut bytes) {
        // A FIFO or a device (no size known beforehand).
        Ok(_) if bytes.len() as u64 > max => fail(
            items,
            format!("input is over the {limit} input limit (reading stopped there)"),
        ),
        Ok(_) => push_parsed(items, &name, Some(path), &bytes, format, limits, false),
        Err(e) => fail(items, format!("cannot read: {e}")),
    }
}

/// `512 MiB`, or the bytes when under a MiB.
fn shown_limit(max: u64) -> String {
    if max >= 1 << 20 {
        format!("{} MiB", max >> 20)
    } else {
        format!("{max} bytes")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path, max: u64) -> Vec<Item> {
        let mut items = Vec::new();
        read_file(&mut items, path, Format::Auto, &Limits::default(), max);
        items
    }

    #[cfg(unix)]
    #[test]
    fn a_file_without_a_size_is_still_held_to_the_limit() {
        // /dev/zero reports length 0 and never ends.
        let items = read(Path::new("/dev/zero"), 4096);
        assert_eq!(items.len(), 1);
        let reason = items[0].result.as_ref().unwrap_err();
        assert!(
            reason.contains("input is over the 4096 bytes input limit"),
            "{reason}"
        );
    }

    #[test]
    fn a_file_over_the_limit_is_refused_by_its_size() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("big.json");
        std::fs::write(&p, vec![b' '; 5000]).unwrap();
        let items = read(&p, 4096);
        let reason = items[0].result.as_ref().unwrap_err();
        assert!(
            reason.contains("file is 5000 bytes, over the 4096 bytes input limit"),
            "{reason}"
        );
    }

    #[test]
    fn a_directory_without_alert_files_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();
        let items = load(
            &[tmp.path().to_path_buf()],
            Format::Auto,
            &Limits::default(),
            &[],
        );
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].origin, tmp.path().display().to_string());
        let reason = items[0].result.as_ref().unwrap_err();
        assert!(reason.contains("*.json, *.ndjson, *.jsonl"), "{reason}");
    }
}
