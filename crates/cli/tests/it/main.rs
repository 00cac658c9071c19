//! End-to-end tests of the `soc-copilot` binary.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod eval;
mod fleet;
mod help;
mod helpers;
mod intel;
mod investigate;
mod llm;
mod robustness;
mod rules;
mod ruling;
mod setup;
