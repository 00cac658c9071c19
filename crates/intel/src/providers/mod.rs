//! Provider implementations and the one function that registers them.
//!
//! - [`offline`]: dated feed snapshots compiled in (the embedded default) and operator
//!   feed files;
//! - [`abuseipdb`], [`virustotal`], [`urlscan`]: the HTTP providers, on when their key is
//!   set (see [`crate::config`]);
//! - [`http`]: what the HTTP providers share (client, error mapping, `Retry-After`).
//!
//! Order matters only for the evidence order: offline feeds first (free, instant), then
//! the HTTP providers.

pub mod abuseipdb;
pub mod http;
pub mod offline;
pub mod urlscan;
pub mod virustotal;

use std::sync::Arc;

use crate::config::IntelConfig;
use crate::{IntelError, IntelProvider};

/// The providers of the embedded default: the offline feeds, nothing that needs a key or
/// the network.
pub fn build_default() -> Vec<Arc<dyn IntelProvider>> {
    vec![Arc::new(offline::OfflineFeeds::embedded())]
}

/// The offline feeds plus every HTTP provider that has a key in `cfg`, uncached (wrap
/// them with [`crate::cache`] for the fleet).
///
/// # Errors
///
/// [`IntelError::BadResponse`]-class errors when an HTTP client cannot be built.
pub fn build(cfg: &IntelConfig) -> Result<Vec<Arc<dyn IntelProvider>>, IntelError> {
    let mut out = build_default();
    if let Some(s) = &cfg.abuseipdb {
        out.push(Arc::new(abuseipdb::AbuseIpDb::new(s.clone())?));
    }
    if let Some(s) = &cfg.virustotal {
        out.push(Arc::new(virustotal::VirusTotal::new(s.clone())?));
    }
    if let Some(s) = &cfg.urlscan {
        out.push(Arc::new(urlscan::Urlscan::new(s.clone())?));
    }
    Ok(out)
}
