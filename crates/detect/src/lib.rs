//! soc-detect: detection logic and tier-0 triage, deterministic and offline.
//!
//! # Layout
//!
//! - [`view`]: [`view::AlertView`], a key-based view over an alert's fields whatever shape
//!   the source used.
//! - [`tells`]: signs of sanctioned activity the alert itself carries; untrusted, so they
//!   can only lower confidence.
//! - [`injection`]: the scan for instructions planted in untrusted content.
//! - [`playbook`]: the playbook engine, its detectors (code that measures) and the
//!   playbooks in `rules/playbooks/` (data that decides).
//! - [`triage`]: tier 0 itself: runs the playbooks, falls back to `inconclusive` + human
//!   review when none recognises the alert.
//! - [`draft`]: the templated escalation draft.
//! - [`phishing`]: deterministic analysis of the mail an alert carries (auth, URLs, files).
//! - [`sigma`]: the Sigma rule engine (rule loading, field mapping, indexed matching).

pub mod draft;
pub mod injection;
pub mod phishing;
pub mod playbook;
pub mod sigma;
pub mod tells;
pub mod triage;
pub mod view;

pub use triage::{
    Assessment, IntelFact, ObservedTechnique, SigmaFact, Triage, TriageInput, triage,
};
