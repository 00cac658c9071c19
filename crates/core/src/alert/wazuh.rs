//! Wazuh `alerts.json` records into the native shape. (placeholder until the adapter lands)

use serde_json::{Map, Value};

use super::{Alert, AlertError};

/// Turns a Wazuh alert record into an [`Alert`].
///
/// # Errors
///
/// [`AlertError`] naming the missing or invalid field.
pub fn adapt(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let _ = obj;
    Err(AlertError::InvalidField {
        field: "(format)".into(),
        reason: "the Wazuh adapter is not available yet".into(),
    })
}
