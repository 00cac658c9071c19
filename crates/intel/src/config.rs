//! Which intel providers are on, and how to reach them.
//!
//! Keys come from the environment only: `ABUSEIPDB_API_KEY`, `VIRUSTOTAL_API_KEY`,
//! `URLSCAN_API_KEY`. A provider without a key is off (and the binary says so once at
//! start). Base URLs can be overridden for proxies and mocks: `ABUSEIPDB_BASE_URL`,
//! `VIRUSTOTAL_BASE_URL`, `URLSCAN_BASE_URL`. Keys are [`Secret`]s: never in `Debug`,
//! logs or errors. A base URL is shown (in `Debug` and [`IntelConfig::describe`]) without
//! its user information, query and fragment, which may carry credentials too.

use std::collections::HashMap;
use std::time::Duration;

use soc_core::config::Secret;

/// How to reach one HTTP provider (`Debug` shows the base URL redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Base URL without a trailing slash (`https://api.abuseipdb.com`).
    pub base_url: String,
    /// The API key.
    pub api_key: Secret,
    /// Timeout of one request. Default 10 s.
    pub timeout: Duration,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("base_url", &redact_base_url(&self.base_url))
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// See [`soc_core::config::redact_base_url`]: the one rule for every service URL shown.
pub use soc_core::config::redact_base_url;

/// The HTTP providers that are configured (those with a key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntelConfig {
    /// AbuseIPDB v2.
    pub abuseipdb: Option<ProviderSettings>,
    /// VirusTotal v3.
    pub virustotal: Option<ProviderSettings>,
    /// urlscan.io.
    pub urlscan: Option<ProviderSettings>,
}

/// Default base URLs.
pub const ABUSEIPDB_BASE: &str = "https://api.abuseipdb.com";
/// Default base URL of VirusTotal.
pub const VIRUSTOTAL_BASE: &str = "https://www.virustotal.com";
/// Default base URL of urlscan.
pub const URLSCAN_BASE: &str = "https://urlscan.io";

impl IntelConfig {
    /// Reads the provider settings from an environment map.
    pub fn from_env(env: &HashMap<String, String>) -> Self {
        let get = |k: &str| {
            env.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let one = |key: &str, base: &str, default: &str| {
            get(key).map(|k| ProviderSettings {
                base_url: get(base)
                    .unwrap_or_else(|| default.to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                api_key: Secret::new(k),
                timeout: Duration::from_secs(10),
            })
        };
        Self {
            abuseipdb: one("ABUSEIPDB_API_KEY", "ABUSEIPDB_BASE_URL", ABUSEIPDB_BASE),
            virustotal: one("VIRUSTOTAL_API_KEY", "VIRUSTOTAL_BASE_URL", VIRUSTOTAL_BASE),
            urlscan: one("URLSCAN_API_KEY", "URLSCAN_BASE_URL", URLSCAN_BASE),
        }
    }

    /// One line per provider: on (with its base URL) or off (no key).
    pub fn describe(&self) -> Vec<String> {
        [
            ("abuseipdb", &self.abuseipdb, "ABUSEIPDB_API_KEY"),
            ("virustotal", &self.virustotal, "VIRUSTOTAL_API_KEY"),
            ("urlscan", &self.urlscan, "URLSCAN_API_KEY"),
        ]
        .into_iter()
        .map(|(name, s, key)| match s {
            Some(s) => format!("{name}: on ({})", redact_base_url(&s.base_url)),
            None => format!("{name}: off (set {key} to enable)"),
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_enable_providers_and_never_print() {
        let env: HashMap<String, String> = [
            ("ABUSEIPDB_API_KEY", "abuse-key-123"),
            ("ABUSEIPDB_BASE_URL", "http://127.0.0.1:9/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let c = IntelConfig::from_env(&env);
        let a = c.abuseipdb.as_ref().unwrap();
        assert_eq!(a.base_url, "http://127.0.0.1:9");
        assert!(c.virustotal.is_none());
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("abuse-key-123"), "{dbg}");
        assert!(c.describe()[1].contains("off"));
    }

    #[test]
    fn base_url_credentials_never_print() {
        let env: HashMap<String, String> = [
            ("URLSCAN_API_KEY", "scan-key-456"),
            (
                "URLSCAN_BASE_URL",
                "https://proxyuser:pr0xy-pw@proxy.example:8443/urlscan?key=query-key-789#frag",
            ),
            ("VIRUSTOTAL_API_KEY", "vt-key"),
            ("VIRUSTOTAL_BASE_URL", "not a url:pw@x?key=query-key-789"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let c = IntelConfig::from_env(&env);
        let described = c.describe().join("\n");
        let outputs = [
            described.clone(),
            format!("{c:?}"),
            format!("{:?}", c.urlscan.as_ref().unwrap()),
        ];
        for out in &outputs {
            for secret in [
                "pr0xy-pw",
                "query-key-789",
                "proxyuser",
                "scan-key-456",
                "frag",
            ] {
                assert!(!out.contains(secret), "{secret} in {out}");
            }
        }
        assert!(
            described.contains("urlscan: on (https://proxy.example:8443/urlscan)"),
            "{described}"
        );
        // The settings themselves keep the URL: requests still need it.
        assert!(c.urlscan.unwrap().base_url.contains("pr0xy-pw"));
    }
}
