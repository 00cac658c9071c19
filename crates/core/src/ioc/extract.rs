//! Extraction of indicators from an alert. (first cut, replaced by the full version)

use super::{IocConfig, IocSet};
use crate::alert::Alert;

/// Collects the alert's indicators: declared ones first, then every string in `raw_log`.
pub fn extract(alert: &Alert, cfg: &IocConfig) -> IocSet {
    let _ = (alert, cfg);
    IocSet::new()
}
