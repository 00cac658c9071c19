//! What the rule table tests share: a Windows event in the development set's `raw_log`
//! shape, the titles of the rules it meets, and assertions on them.

use serde_json::{Value, json};
use soc_core::Alert;
use soc_core::alert::Limits;

use super::{RuleInfo, RuleSet};

thread_local! {
    /// The embedded rules, compiled once per test thread.
    static EMBEDDED: RuleSet = RuleSet::embedded();
}

/// Titles of the embedded rules one Windows event (dev-set `raw_log` shape) meets.
pub(crate) fn embedded_titles(
    provider: &str,
    channel: &str,
    event_id: u32,
    data: &Value,
) -> Vec<String> {
    EMBEDDED.with(|set| windows_event_titles(set, provider, channel, event_id, data))
}

/// The embedded rule with this title (for its level and tags, not only its matches).
#[track_caller]
pub(crate) fn embedded_rule(title: &str) -> RuleInfo {
    EMBEDDED.with(|set| {
        set.rules()
            .find(|r| r.title == title)
            .cloned()
            .unwrap_or_else(|| panic!("no rule titled {title:?}"))
    })
}

/// Titles of the rules in `set` one Windows event (dev-set `raw_log` shape) meets.
pub(crate) fn windows_event_titles(
    set: &RuleSet,
    provider: &str,
    channel: &str,
    event_id: u32,
    data: &Value,
) -> Vec<String> {
    let a = Alert::from_json(
        &json!({"alert_id": "R-1", "timestamp": "2026-04-19T03:14:22Z", "source": "edr",
                "severity": "high", "title": "Windows event",
                "raw_log": {"log_source": "windows_eventlog", "provider": provider,
                            "channel": channel, "event_id": event_id,
                            "computer": "host1.example.corp", "event_data": data}})
        .to_string(),
        &Limits::default(),
    )
    .expect("test alert");
    set.match_alert(&a)
        .into_iter()
        .map(|m| m.rule.title.clone())
        .collect()
}

#[track_caller]
pub(crate) fn has(got: &[String], want: &str, case: &str) {
    assert!(
        got.iter().any(|t| t == want),
        "{case}: want {want:?}, got {got:?}"
    );
}

#[track_caller]
pub(crate) fn lacks(got: &[String], unwanted: &str, case: &str) {
    assert!(
        !got.iter().any(|t| t == unwanted),
        "{case}: {unwanted:?} must not match, got {got:?}"
    );
}
