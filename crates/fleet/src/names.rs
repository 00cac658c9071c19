//! Names on the wire: streams, the consumer, subjects, message ids and headers
//! (DESIGN §4).

use soc_core::Alert;
use soc_core::alert::sha256_hex;
use soc_core::config::NatsConfig;

/// Header carrying the W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// JetStream's deduplication header.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// The error that sent a message to the dead-letter stream.
pub const SOC_ERROR: &str = "Soc-Error";
/// Deliveries a dead letter had.
pub const SOC_DELIVERIES: &str = "Soc-Deliveries";
/// The alert's id, on investigation messages.
pub const SOC_ALERT_ID: &str = "Soc-Alert-Id";
/// The verdict, on investigation messages.
pub const SOC_VERDICT: &str = "Soc-Verdict";
/// The alert stream sequence a dead letter came from.
pub const SOC_ORIGINAL_SEQ: &str = "Soc-Original-Sequence";
/// Format hint for alerts published straight to NATS (`native`, `ecs`, `wazuh`, ...).
pub const SOC_FORMAT: &str = "Soc-Format";

/// Stream, consumer and subject names for one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// Alert stream (`SOC_ALERTS`).
    pub alerts_stream: String,
    /// Investigation stream (`SOC_INVESTIGATIONS`).
    pub investigations_stream: String,
    /// Dead-letter stream (`SOC_DLQ`).
    pub dlq_stream: String,
    /// Durable consumer (`investigators`).
    pub consumer: String,
    /// Subject root (`soc`).
    pub root: String,
}

impl Names {
    /// Names from the NATS configuration.
    pub fn new(cfg: &NatsConfig) -> Self {
        let p = &cfg.name_prefix;
        Self {
            alerts_stream: format!("{p}SOC_ALERTS"),
            investigations_stream: format!("{p}SOC_INVESTIGATIONS"),
            dlq_stream: format!("{p}SOC_DLQ"),
            consumer: format!("{p}investigators"),
            root: cfg.subject_root.clone(),
        }
    }

    /// `soc.alerts.>`
    pub fn alerts_filter(&self) -> String {
        format!("{}.alerts.>", self.root)
    }

    /// `soc.alerts.<source>`
    pub fn alert_subject(&self, source: &str) -> String {
        format!("{}.alerts.{}", self.root, subject_token(source))
    }

    /// `soc.investigations.>`
    pub fn investigations_filter(&self) -> String {
        format!("{}.investigations.>", self.root)
    }

    /// `soc.investigations.<verdict>`
    pub fn investigation_subject(&self, verdict: &str) -> String {
        format!("{}.investigations.{}", self.root, subject_token(verdict))
    }

    /// `soc.dlq.>`
    pub fn dlq_filter(&self) -> String {
        format!("{}.dlq.>", self.root)
    }

    /// `soc.dlq.alerts`
    pub fn dlq_subject(&self) -> String {
        format!("{}.dlq.alerts", self.root)
    }

    /// The advisory the server sends when a message exhausts its deliveries.
    pub fn max_deliveries_advisory(&self) -> String {
        format!(
            "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.{}",
            self.alerts_stream, self.consumer
        )
    }
}

/// A string reduced to one safe subject token: lower-case letters, digits, `-` and `_`,
/// at most 64 characters; `unknown` when nothing is left.
pub fn subject_token(s: &str) -> String {
    let t: String = s
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let t = t.trim_matches('_').to_owned();
    if t.is_empty() {
        "unknown".to_owned()
    } else {
        t
    }
}

/// The source part of an alert key: the source itself when it is already a subject token
/// (lower-case letters, digits, `-`, `_`, at most 64 characters, no `_` at either end, not
/// empty), else its subject token followed by `~` and 16 hex digits of the SHA-256 of the
/// exact source. `~` never occurs in a token, so two distinct sources never share this part (`EDR` and `edr`, or
/// `Corp EDR` and `corp_edr`, differ), while the common case reads as before.
pub fn source_key(source: &str) -> String {
    let token = subject_token(source);
    if token == source {
        token
    } else {
        let hash = sha256_hex(source.as_bytes());
        format!("{token}~{}", hash.get(..16).unwrap_or(&hash))
    }
}

/// The alert's deduplication key: `<source>:<alert_id>`, or `<source>:sha256:<hash>` when
/// the id is long or holds characters a header cannot carry, where `<source>` is
/// [`source_key`] (distinct sources never share a key). It is the `Nats-Msg-Id` on both
/// the alert and the investigation stream, and the Redis idempotency key.
pub fn alert_key(alert: &Alert) -> String {
    let source = source_key(&alert.source);
    let id = &alert.alert_id;
    if id.len() <= 200 && id.chars().all(|c| c.is_ascii_graphic()) {
        format!("{source}:{id}")
    } else {
        format!("{source}:sha256:{}", &sha256_hex(id.as_bytes())[..32])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_core::alert::{Format, Limits};

    fn alert(id: &str, source: &str) -> Alert {
        Alert::from_value(
            serde_json::json!({"alert_id": id, "timestamp": "2026-01-01T00:00:00Z", "source": source, "severity": "low", "title": "t", "raw_log": {}}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn keys_and_subjects_are_safe() {
        assert!(
            alert_key(&alert("ALRT-1", "SIEM")).starts_with("siem~"),
            "lossy source gets a hash"
        );
        let k = alert_key(&alert("a b\nc", "edr.x>y"));
        assert!(k.starts_with("edr_x_y~"), "{k}");
        assert!(k.contains(":sha256:"), "{k}");
        assert_eq!(subject_token("..>*"), "unknown");
        let n = Names::new(&soc_core::config::Config::default().nats);
        assert_eq!(n.alert_subject("Cloud Trail"), "soc.alerts.cloud_trail");
        assert_eq!(
            n.investigation_subject("true_positive"),
            "soc.investigations.true_positive"
        );
    }

    #[test]
    fn distinct_sources_never_share_a_key() {
        let long = "a".repeat(70);
        let groups: [&[&str]; 5] = [
            &["edr", "EDR", "Edr", " edr", "edr "],
            &["corp_edr", "Corp EDR", "corp.edr", "corp edr", "_corp_edr_"],
            &["unknown", "", "..>*", "???"],
            &[&long[..64], &long[..65], &long],
            &["cloud-trail", "Cloud-Trail", "cloud-trail\n"],
        ];
        for group in groups {
            // One subject token for the whole group (subjects are for routing)...
            let token = subject_token(group[0]);
            assert!(group.iter().all(|s| subject_token(s) == token), "{group:?}");
            // ...but one key per source.
            let keys: std::collections::HashSet<String> =
                group.iter().map(|s| alert_key(&alert("A-1", s))).collect();
            assert_eq!(keys.len(), group.len(), "{keys:?}");
        }
    }

    #[test]
    fn a_source_that_is_a_token_keeps_its_key() {
        assert_eq!(alert_key(&alert("ALRT-1", "siem")), "siem:ALRT-1");
        assert_eq!(alert_key(&alert("x:y", "corp_edr-2")), "corp_edr-2:x:y");
        let long = "b".repeat(64);
        assert_eq!(alert_key(&alert("1", &long)), format!("{long}:1"));
        assert_eq!(
            alert_key(&alert("a b", "edr")),
            format!("edr:sha256:{}", &sha256_hex(b"a b")[..32])
        );
        assert_eq!(source_key("unknown"), "unknown");
    }
}
