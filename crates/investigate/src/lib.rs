//! soc-investigate: the investigation pipeline.
//!
//! # Layout
//!
//! - [`pipeline`]: [`Pipeline`], which turns one alert into one [`Investigation`]:
//!   indicators → threat intel → tier 0 → techniques and threat groups from the ATT&CK
//!   catalog → escalation draft → report. The embedded default runs it with the offline
//!   feeds and no LLM.
//! - [`actions`]: response actions computed from the verdict and the evidence.
//! - [`eval`]: scoring investigations against labeled alerts (reference expectations or a
//!   labels file).
//! - [`policy`]: code-owned decisions on a finished investigation (autonomous closure).
//!
//! [`Investigation`]: soc_core::Investigation

pub mod actions;
pub mod eval;
pub mod pipeline;
pub mod policy;

pub use pipeline::{Pipeline, PipelineConfig};
