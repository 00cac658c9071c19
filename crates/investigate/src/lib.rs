//! soc-investigate: the investigation pipeline.
//!
//! # Layout
//!
//! - [`pipeline`]: [`Pipeline`], which turns one alert into one [`Investigation`]:
//!   indicators → threat intel → tier 0 → techniques and threat groups from the ATT&CK
//!   catalog → escalation draft → report. The embedded default runs it with the offline
//!   feeds and no LLM.
//! - [`actions`]: response actions computed from the verdict and the evidence.
//! - [`ground`]: a model's answer parsed tolerantly and checked against the investigation
//!   (catalog techniques, indicators the alert or a tool output holds, evidence ids).
//! - [`prompt`]: the LLM tiers' prompts (`prompts/*.md`) and the fenced case message.
//! - [`tiers`]: the LLM tiers behind tier 0 (one cheap call, then a strong model's tool
//!   loop), their policy and the safety rules over a model's answer.
//! - [`eval`]: scoring investigations against labeled alerts (reference expectations or a
//!   labels file).
//! - [`policy`]: code-owned decisions on a finished investigation (autonomous closure).
//!
//! [`Investigation`]: soc_core::Investigation

pub mod actions;
pub mod eval;
pub mod ground;
pub mod pipeline;
pub mod policy;
pub mod prompt;
pub mod tiers;

pub use pipeline::{Pipeline, PipelineConfig};
