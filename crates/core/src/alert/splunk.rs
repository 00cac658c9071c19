//! Splunk webhook payloads and HEC events into the native shape. (placeholder until the
//! adapters land)

use serde_json::{Map, Value};

use super::{Alert, AlertError};

/// Turns a Splunk webhook alert-action payload into an [`Alert`].
///
/// # Errors
///
/// [`AlertError`] naming the missing or invalid field.
pub fn adapt_webhook(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let _ = obj;
    Err(AlertError::InvalidField {
        field: "(format)".into(),
        reason: "the Splunk webhook adapter is not available yet".into(),
    })
}

/// Turns a Splunk HEC event into an [`Alert`].
///
/// # Errors
///
/// [`AlertError`] naming the missing or invalid field.
pub fn adapt_hec(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let _ = obj;
    Err(AlertError::InvalidField {
        field: "(format)".into(),
        reason: "the Splunk HEC adapter is not available yet".into(),
    })
}
