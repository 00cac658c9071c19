//! Detectors: code that measures behaviour and records it as facts for the playbooks.
//!
//! Each detector reads the alert by key name and shape, never by a sample's values, and
//! names the field path behind every fact it sets. A detector that does not see its kind
//! of activity sets nothing.

mod access;
mod antivirus;
mod auth;
mod cloud;
mod host;
mod mail_exec;
mod net;
mod task;

use serde_json::Value;

use super::facts::Facts;
use crate::triage::TriageInput;

/// Runs every detector.
pub fn run_all(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    auth::detect(input, f);
    mail_exec::detect(input, f);
    cloud::detect(input, f);
    net::detect(input, f);
    host::detect(input, f);
    access::detect(input, f);
}

/// Outside the organisation: external, or in reserved documentation space (test data and
/// redacted alerts put public addresses there; treating them as internal would let an
/// address nobody owns pass for one of ours).
pub(crate) fn outside(scope: Option<soc_core::Scope>) -> bool {
    matches!(
        scope,
        Some(soc_core::Scope::External | soc_core::Scope::Reserved)
    )
}

/// Reads a JSON number or numeric string.
pub(crate) fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

/// Shannon entropy of a string, in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether an IPv4/IPv6 address is inside a CIDR block (`10.0.0.0/8`); text after the
/// block (`52.94.0.0/16 (CI runners)`) is ignored.
pub(crate) fn in_cidr(ip: &str, cidr: &str) -> bool {
    let cidr = cidr.split_whitespace().next().unwrap_or("");
    let Some((net, bits)) = cidr.split_once('/') else {
        return ip.trim() == cidr;
    };
    let (Ok(ip), Ok(net), Ok(bits)) = (
        ip.trim().parse::<std::net::IpAddr>(),
        net.parse::<std::net::IpAddr>(),
        bits.parse::<u32>(),
    ) else {
        return false;
    };
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_entropy() {
        assert!(in_cidr("52.94.3.4", "52.94.0.0/16 (CI runners, eu-west-1)"));
        assert!(!in_cidr("45.147.230.19", "52.94.0.0/16"));
        assert!(in_cidr("2001:db8::1", "2001:db8::/32"));
        assert!(!in_cidr("not an ip", "10.0.0.0/8"));
        assert!(entropy("3a9f0c71be22d84410ce") > 3.5);
        assert!(entropy("aaaaaaaa") < 0.1);
    }
}
