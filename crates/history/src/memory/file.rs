//! The history file: one JSON document, replaced atomically on each save.
//!
//! ```json
//! {
//!   "format": "soc-history",
//!   "version": 1,
//!   "saved_at": "2026-11-27T10:00:00Z",
//!   "records": [ { "expires_at": "…", "summary": { …Summary… } } ],
//!   "rulings": [ { "investigation_id": "…", "expires_at": "…", "ruling": { …Ruling… } } ]
//! }
//! ```
//!
//! Bounded: a file over [`MAX_FILE_BYTES`] is refused rather than read, and the store's
//! caps ([`super::MemoryOptions::max_records`], the summary caps) are applied to what is
//! loaded, so a file edited by hand cannot grow the process.

use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::HistoryError;
use crate::summary::{Ruling, Summary};

/// The `format` value.
pub const FORMAT: &str = "soc-history";
/// The `version` this crate writes and reads.
pub const VERSION: u32 = 1;
/// Largest history file read: 256 MiB.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// The document, as read.
#[derive(Debug, Deserialize)]
pub(crate) struct Doc {
    format: String,
    version: u32,
    #[serde(default)]
    pub(crate) records: Vec<FileRecord>,
    #[serde(default)]
    pub(crate) rulings: Vec<FileRuling>,
}

/// One stored investigation.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FileRecord {
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) summary: Summary,
}

/// One ruling.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FileRuling {
    pub(crate) investigation_id: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) ruling: Ruling,
}

#[derive(Serialize)]
struct RecordOut<'a> {
    expires_at: DateTime<Utc>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct RulingOut<'a> {
    investigation_id: &'a str,
    expires_at: DateTime<Utc>,
    ruling: &'a Ruling,
}

#[derive(Serialize)]
struct DocOut<'a> {
    format: &'static str,
    version: u32,
    saved_at: DateTime<Utc>,
    records: Vec<RecordOut<'a>>,
    rulings: Vec<RulingOut<'a>>,
}

/// Reads the file; `None` when it does not exist.
pub(crate) fn load(path: &Path) -> Result<Option<Doc>, HistoryError> {
    let shown = || path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(HistoryError::File {
                path: shown(),
                reason: e.to_string(),
            });
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(HistoryError::File {
            path: shown(),
            reason: format!(
                "{} bytes, over the limit of {MAX_FILE_BYTES} bytes",
                meta.len()
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| HistoryError::File {
        path: shown(),
        reason: e.to_string(),
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let doc: Doc = serde_json::from_slice(&bytes).map_err(|e| HistoryError::Corrupt {
        path: shown(),
        reason: e.to_string(),
    })?;
    if doc.format != FORMAT || doc.version != VERSION {
        return Err(HistoryError::Corrupt {
            path: shown(),
            reason: format!(
                "format `{}` version {}, expected `{FORMAT}` version {VERSION}",
                doc.format, doc.version
            ),
        });
    }
    Ok(Some(doc))
}

/// Serialises completed records and rulings.
pub(crate) fn encode<'a>(
    records: impl Iterator<Item = (&'a Summary, DateTime<Utc>)>,
    rulings: impl Iterator<Item = (&'a str, &'a Ruling, DateTime<Utc>)>,
) -> Result<Vec<u8>, String> {
    let mut records: Vec<RecordOut<'a>> = records
        .filter(|(s, _)| !s.is_pending())
        .map(|(summary, expires_at)| RecordOut {
            expires_at,
            summary,
        })
        .collect();
    // Stable output: by alert time, then id.
    records.sort_by(|a, b| {
        (a.summary.timestamp, &a.summary.investigation_id)
            .cmp(&(b.summary.timestamp, &b.summary.investigation_id))
    });
    let mut rulings: Vec<RulingOut<'a>> = rulings
        .map(|(investigation_id, ruling, expires_at)| RulingOut {
            investigation_id,
            expires_at,
            ruling,
        })
        .collect();
    rulings.sort_by(|a, b| a.investigation_id.cmp(b.investigation_id));
    let doc = DocOut {
        format: FORMAT,
        version: VERSION,
        saved_at: Utc::now(),
        records,
        rulings,
    };
    serde_json::to_vec(&doc).map_err(|e| e.to_string())
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HistoryError> {
    let err = |reason: String| HistoryError::File {
        path: path.display().to_string(),
        reason,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".soc-history-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| err(format!("creating a temporary file: {e}")))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| err(format!("writing: {e}")))?;
    tmp.persist(path)
        .map_err(|e| err(format!("replacing the file: {}", e.error)))?;
    Ok(())
}
