//! Family playbooks, tried in order.
//!
//! To add a family, implement [`crate::triage::Family`] in a new file here and append it
//! to [`all`]. Order matters only when two families could recognise the same alert: the
//! more specific one goes first.

mod attachment_execution;
mod brute_force;

pub use attachment_execution::AttachmentExecution;
pub use brute_force::BruteForce;

use crate::triage::Family;

/// Every family, in the order they are tried.
pub fn all() -> &'static [&'static dyn Family] {
    &[&AttachmentExecution, &BruteForce]
}

#[cfg(test)]
mod tests;
