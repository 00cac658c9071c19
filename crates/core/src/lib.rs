//! soc-core: the data model every other soc-copilot crate speaks.
//!
//! No I/O happens here: callers hand in bytes or values and get typed data back.
//!
//! # Layout
//!
//! - [`alert`]: the native alert contract, input splitting (one object, a JSON array or
//!   NDJSON), the limits (size, nesting depth, indicator count) and the format adapters
//!   (native, ECS/Elastic detection alerts).
//! - [`ioc`]: typed indicators of compromise: normalisation (refanging, canonical forms),
//!   extraction from the alert's `indicators` and from every string in `raw_log`, and
//!   scoping (internal, reserved/documentation, external).
//! - [`assets`]: the operator's asset inventory and what an alert's entities match in it.
//! - [`config`]: the configuration file (TOML, versioned) and its `SOC_*` overrides.
//! - [`attack`]: the MITRE ATT&CK Enterprise catalog (v18.1) compiled into the crate, with
//!   lookups by id and name, revoked/deprecated handling and the threat-group map.
//! - [`investigation`]: the investigation output, schema version 1.
//! - [`schema`]: JSON Schema generation for the alert input and the investigation output.
//! - [`error`]: the retry class shared by every crate's error type.
//! - [`json`]: compact JSON output as `serde_json` writes it, with strings escaped a word
//!   at a time (the workers' hot paths).
//! - [`text`]: small text measures (edit distance) shared by the crates that compare names.

pub mod alert;
pub mod assets;
pub mod attack;
pub mod config;
pub mod error;
pub mod investigation;
pub mod ioc;
pub mod json;
pub mod schema;
pub mod text;

pub use alert::{Alert, AlertError, Indicators, Severity};
pub use error::ErrorClass;
pub use investigation::{Confidence, Evidence, EvidenceLog, Investigation, Verdict};
pub use ioc::{Ioc, IocKind, IocSet, Scope};
