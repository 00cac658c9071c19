//! JSON Schemas of the alert input and the investigation output, generated from the types.
//!
//! The checked-in copies live in `schemas/` at the repository root; a test fails when the
//! types and the files drift apart. Regenerate with
//! `SOC_UPDATE_SCHEMAS=1 cargo test -p soc-core --test schemas`.

use crate::alert::native::NativeAlert;
use crate::investigation::Investigation;

/// The JSON Schema of the native alert input, pretty-printed with a trailing newline.
pub fn alert_schema() -> String {
    render(&schemars::schema_for!(NativeAlert))
}

/// The JSON Schema of the investigation output, pretty-printed with a trailing newline.
pub fn investigation_schema() -> String {
    render(&schemars::schema_for!(Investigation))
}

fn render(schema: &schemars::Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}
