//! Top-level domain knowledge: the delegated TLDs (from the Public Suffix List, see the
//! header of `data/tlds.txt`), the special-use names that are accepted although they are
//! not delegated, and the TLDs that are also common file extensions.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::IocConfig;

/// `data/tlds.txt`: one lower-case TLD per line, `#` comments.
const TLD_LIST: &str = include_str!("../../data/tlds.txt");

/// The delegated TLDs, built once.
static TLDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    TLD_LIST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// RFC 2606 / RFC 6761 names: documentation and test space, never a real party.
pub(crate) const RESERVED_TLDS: &[&str] = &["example", "test", "invalid", "localhost"];

/// Names used for private networks (mDNS `.local`, ICANN's `.internal`, the deferred
/// `.corp`/`.home`, and the common `.lan`/`.intranet`): never delegated, always internal.
pub(crate) const PRIVATE_USE_TLDS: &[&str] =
    &["local", "internal", "corp", "lan", "intranet", "home"];

/// TLDs that are also common file extensions. A candidate ending in one of these is
/// rejected in file or path context (see `extract`). Delegated TLDs that are rarely seen as
/// file extensions in alerts (`.au`, `.cf`, `.ml`, `.mp`) are deliberately left out.
pub(crate) const FILE_EXTENSION_TLDS: &[&str] = &[
    "app", "cab", "com", "download", "java", "md", "mov", "one", "pl", "ps", "pub", "py", "rs",
    "run", "sh", "so", "website", "zip",
];

/// Whether `label` (lower case) is a delegated TLD in the embedded list.
pub(crate) fn is_public_tld(label: &str) -> bool {
    TLDS.contains(label)
}

/// Whether `label` (lower case) may end a domain name: a delegated TLD, a reserved or
/// private-use name, or the last label of a configured internal suffix.
pub(crate) fn is_known_tld(label: &str, cfg: &IocConfig) -> bool {
    is_public_tld(label)
        || RESERVED_TLDS.contains(&label)
        || PRIVATE_USE_TLDS.contains(&label)
        || cfg.internal_domain_suffixes.iter().any(|s| {
            s.trim_end_matches('.')
                .rsplit('.')
                .next()
                .is_some_and(|last| last.eq_ignore_ascii_case(label))
        })
}

/// Whether `label` (lower case) is a TLD that is also a common file extension.
pub(crate) fn is_file_extension_tld(label: &str) -> bool {
    FILE_EXTENSION_TLDS.contains(&label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_loads_and_has_the_usual_tlds() {
        assert!(TLDS.len() > 1000, "{} TLDs", TLDS.len());
        for t in [
            "com", "net", "org", "io", "de", "uk", "app", "zip", "xn--p1ai", "onion",
        ] {
            assert!(is_public_tld(t), "{t}");
        }
        for t in [
            "exe", "dll", "pdf", "docx", "ps1", "dmp", "local", "corp", "Com",
        ] {
            assert!(!is_public_tld(t), "{t}");
        }
    }

    #[test]
    fn file_extension_tlds_are_all_delegated() {
        for t in FILE_EXTENSION_TLDS {
            assert!(is_public_tld(t), "{t}");
        }
    }

    #[test]
    fn special_and_configured_tlds_are_known() {
        let mut cfg = IocConfig::default();
        for t in [
            "example",
            "test",
            "invalid",
            "localhost",
            "local",
            "corp",
            "lan",
            "home",
        ] {
            assert!(is_known_tld(t, &cfg), "{t}");
        }
        assert!(!is_known_tld("acme", &cfg));
        cfg.internal_domain_suffixes.push(".ACME.".into());
        assert!(is_known_tld("acme", &cfg));
    }
}
