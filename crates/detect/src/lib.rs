//! soc-detect: detection logic and tier-0 triage, deterministic and offline.
//!
//! # Layout
//!
//! - [`view`]: [`view::AlertView`], a key-based view over an alert's fields whatever shape
//!   the source used.
//! - [`tells`]: signs of sanctioned activity the alert itself carries; untrusted, so they
//!   can only lower confidence.
//! - [`injection`]: the scan for instructions planted in untrusted content.
//! - [`families`]: the family playbooks (brute force, mail attachment execution, ...).
//! - [`triage`]: tier 0 itself: runs the families, falls back to `inconclusive` + human
//!   review when none recognises the alert.
//! - [`draft`]: the templated escalation draft.
//! - [`phishing`]: deterministic analysis of the mail an alert carries (auth, URLs, files).
//! - [`sigma`]: the Sigma rule engine (rule loading, field mapping, indexed matching).

pub mod draft;
pub mod families;
pub mod injection;
pub mod phishing;
pub mod sigma;
pub mod tells;
pub mod triage;
pub mod view;

pub use triage::{
    Assessment, Family, IntelFact, ObservedTechnique, SigmaFact, Triage, TriageInput, triage,
};
