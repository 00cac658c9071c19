//! soc-intel: threat intelligence behind one trait.
//!
//! # Layout
//!
//! - [`provider`]: the [`IntelProvider`] trait every source implements, and the
//!   [`IntelRecord`] a lookup returns (a graded fact about one indicator, with the raw
//!   answer kept for the evidence trail).
//! - [`providers`]: the implementations. Today: [`providers::offline`], dated feed
//!   snapshots compiled into the binary (Tor exit relays, ThreatFox IPs) plus feed files
//!   an operator adds; AbuseIPDB, VirusTotal and urlscan over HTTP when their keys are set.
//! - [`config`]: which HTTP providers are on (keys and base URLs from the environment).
//! - [`tls`]: the process-wide TLS crypto provider for the HTTP clients.
//! - [`error`]: [`IntelError`], each variant with its retry class.
//!
//! # Adding a provider
//!
//! Implement [`IntelProvider`] in a new file under `providers/`, keep caching out of it
//! (the cache is a decorator around any provider), and register it in
//! [`providers::build_default`]. A lookup that fails returns `Err`; a lookup that finds
//! nothing returns a record whose [`Reputation`] is `NoData`: absence is stated as
//! absence, never as safety.

pub mod config;
pub mod error;
pub mod provider;
pub mod providers;
pub mod tls;

pub use error::IntelError;
pub use provider::{IntelProvider, IntelRecord, Listing, Quota, Reputation};
