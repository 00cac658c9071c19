//! Provider implementations and the one function that registers them.

pub mod offline;

use std::sync::Arc;

use crate::IntelProvider;

/// The providers of the embedded default: the offline feeds, nothing that needs a key or
/// the network.
pub fn build_default() -> Vec<Arc<dyn IntelProvider>> {
    vec![Arc::new(offline::OfflineFeeds::embedded())]
}
