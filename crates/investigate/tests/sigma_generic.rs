//! The generic Sigma playbook's two judgements that must not be gamed:
//! - "several high rules agree" raises a detection to high confidence only when the rules
//!   read different evidence: a project rule and a public rule that mirrors it, both
//!   matching on the same field value, are one detection counted once;
//! - the SIEM's context closes a detection only when it speaks for what the rules saw: a
//!   change ticket or an approval covers the work on the host, a tooling tag only what
//!   such tooling does, and an installed agent's script only discovery.

use std::sync::Arc;

use serde_json::{Value, json};
use soc_core::alert::Limits;
use soc_core::{Alert, Confidence, Investigation, Verdict};
use soc_detect::sigma::RuleSet;
use soc_investigate::{Pipeline, PipelineConfig};

/// A process-creation rule on one field, by `author`, at `level`, tagged `techniques`.
struct Rule<'a> {
    id: &'a str,
    author: &'a str,
    level: &'a str,
    field: &'a str,
    value: &'a str,
    techniques: &'a [&'a str],
}

impl Rule<'_> {
    fn yaml(&self) -> String {
        let tags: String = self
            .techniques
            .iter()
            .map(|t| format!("    - attack.{}\n", t.to_lowercase()))
            .collect();
        format!(
            "title: Test rule {id}\nid: {id}\nauthor: {author}\ntags:\n{tags}logsource:\n    product: windows\n    category: process_creation\n\
             detection:\n    selection:\n        {field}|contains: '{value}'\n    condition: selection\nlevel: {level}\n",
            id = self.id,
            author = self.author,
            field = self.field,
            value = self.value,
            level = self.level,
        )
    }
}

const PROJECT: &str = "soc-copilot";

fn rules(rules: &[Rule<'_>]) -> Arc<RuleSet> {
    let mut set = RuleSet::default();
    for (i, r) in rules.iter().enumerate() {
        let (s, report) =
            RuleSet::from_yaml(&r.yaml(), &format!("test-{i}.yml"), true).expect("test rule loads");
        assert!(report.errors.is_empty(), "{report:?}");
        set.extend(s);
    }
    Arc::new(set)
}

/// A Sysmon process creation on a server, with these event fields and this SIEM context.
fn alert(event_data: &Value, context: Option<&Value>) -> Alert {
    let mut raw = json!({
        "log_source": "windows_eventlog", "provider": "Microsoft-Windows-Sysmon",
        "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer": "app-04.corp.local",
        "event_data": event_data
    });
    if let Some(c) = context {
        raw["siem_context"] = c.clone();
    }
    let v = json!({
        "alert_id": "SG-1", "timestamp": "2026-05-16T10:20:00Z", "source": "edr", "severity": "high",
        "title": "Process creation", "raw_log": raw
    });
    Alert::from_json(&v.to_string(), &Limits::default()).expect("test alert parses")
}

/// An ordinary account running a System32 tool from cmd.exe.
fn lookup_event() -> Value {
    json!({
        "Image": "C:\\Windows\\System32\\lookup.exe",
        "CommandLine": "lookup.exe -q records",
        "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "User": "CORP\\svc-app"
    })
}

async fn investigate(set: Arc<RuleSet>, a: &Alert) -> Investigation {
    Pipeline::new(
        PipelineConfig::default(),
        soc_intel::providers::build_default(),
    )
    .with_rules(set)
    .investigate(a)
    .await
}

fn high(
    id: &'static str,
    author: &'static str,
    field: &'static str,
    value: &'static str,
) -> Rule<'static> {
    Rule {
        id,
        author,
        level: "high",
        field,
        value,
        techniques: &[],
    }
}

/// Verdict and confidence with the high project rule on the lookup tool's `Image` and
/// `other` beside it.
async fn beside_the_project_rule(other: Rule<'static>) -> (Verdict, Confidence, String) {
    let set = rules(&[
        high(
            "0b7d4c1e-0000-4000-8000-000000000001",
            PROJECT,
            "Image",
            "\\lookup.exe",
        ),
        other,
    ]);
    let inv = investigate(set, &alert(&lookup_event(), None)).await;
    (inv.verdict, inv.confidence, inv.hypothesis)
}

#[tokio::test]
async fn a_public_rule_mirroring_a_project_rule_is_not_independent_evidence() {
    let (v, c, why) = beside_the_project_rule(high(
        "0b7d4c1e-0000-4000-8000-000000000002",
        "someone else",
        "Image",
        "\\lookup.exe",
    ))
    .await;
    assert_eq!((v, c), (Verdict::TruePositive, Confidence::Medium), "{why}");
}

#[tokio::test]
async fn high_rules_reading_different_fields_agree() {
    let (v, c, why) = beside_the_project_rule(high(
        "0b7d4c1e-0000-4000-8000-000000000003",
        "someone else",
        "CommandLine",
        "-q records",
    ))
    .await;
    assert_eq!((v, c), (Verdict::TruePositive, Confidence::High), "{why}");
}

/// A medium project rule tagged `techniques` on the lookup tool.
fn medium(techniques: &'static [&'static str]) -> Arc<RuleSet> {
    rules(&[Rule {
        id: "0b7d4c1e-0000-4000-8000-000000000010",
        author: PROJECT,
        level: "medium",
        field: "Image",
        value: "\\lookup.exe",
        techniques,
    }])
}

async fn verdict(set: Arc<RuleSet>, event: &Value, context: Option<Value>) -> (Verdict, String) {
    let inv = investigate(set, &alert(event, context.as_ref())).await;
    (inv.verdict, inv.hypothesis)
}

#[tokio::test]
async fn a_tooling_tag_explains_only_what_such_tooling_does() {
    // Domain trust discovery on a host tagged as a backup server: backups do not map trusts.
    let ev = lookup_event();
    let (v, why) = verdict(
        medium(&["T1482"]),
        &ev,
        Some(json!({"asset_tags": ["backup-server"]})),
    )
    .await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
    assert!(
        why.contains("such tooling does not do what the rules saw"),
        "{why}"
    );
    // The same discovery from a monitoring host is what monitoring does.
    let (v, why) = verdict(
        medium(&["T1482"]),
        &ev,
        Some(json!({"asset_tags": ["monitoring"]})),
    )
    .await;
    assert_eq!(v, Verdict::FalsePositive, "{why}");
    // A remote-assistance session troubleshoots; a download is not troubleshooting.
    let session = json!({"remote_session": "Helpdesk remote assistance (msra.exe) active"});
    let (v, why) = verdict(medium(&["T1197", "T1105"]), &ev, Some(session.clone())).await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
    let (v, why) = verdict(medium(&["T1082"]), &ev, Some(session)).await;
    assert_eq!(v, Verdict::FalsePositive, "{why}");
    // Beside a rule that names no technique, a tag cannot speak for everything seen.
    let both = rules(&[
        Rule {
            id: "0b7d4c1e-0000-4000-8000-000000000011",
            author: PROJECT,
            level: "medium",
            field: "Image",
            value: "\\lookup.exe",
            techniques: &["T1082"],
        },
        Rule {
            id: "0b7d4c1e-0000-4000-8000-000000000012",
            author: PROJECT,
            level: "medium",
            field: "CommandLine",
            value: "-q records",
            techniques: &[],
        },
    ]);
    let (v, why) = verdict(both, &ev, Some(json!({"asset_tags": ["monitoring"]}))).await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
    // A rule that names no technique gives a tag nothing to speak for.
    let (v, why) = verdict(
        medium(&[]),
        &ev,
        Some(json!({"asset_tags": ["monitoring"]})),
    )
    .await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
    // A change ticket covers discovery it names: the program or the subject of what the
    // rules saw.
    let ticket = json!({"change_ticket": "CHG-48213 forest trust review"});
    let (v, why) = verdict(medium(&["T1482"]), &ev, Some(ticket)).await;
    assert_eq!(v, Verdict::FalsePositive, "{why}");
    let ticket = json!({"change_ticket": "CHG-48213 rebuild the lookup records"});
    let (v, why) = verdict(medium(&["T1082"]), &ev, Some(ticket.clone())).await;
    assert_eq!(v, Verdict::FalsePositive, "{why}");
    // More than discovery (a download) is never closed on a ticket, even one that names
    // the program.
    let (v, why) = verdict(medium(&["T1197", "T1105"]), &ev, Some(ticket)).await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
    assert!(why.contains("never closed on context alone"), "{why}");
}

#[tokio::test]
async fn a_ticket_that_names_other_work_closes_nothing() {
    // An attack during a maintenance window: the ticket is real, but it names nothing the
    // rules saw, so it explains nothing.
    let ev = lookup_event();
    for ticket in [
        "CHG-50001 routine maintenance",
        "CHG-48213 forest trust review",
        "INC-10442 printer jam on floor 3",
    ] {
        let ctx = json!({"change_ticket": ticket});
        let (v, why) = verdict(medium(&["T1197", "T1105"]), &ev, Some(ctx)).await;
        assert_eq!(v, Verdict::TruePositive, "{ticket}: {why}");
        assert!(why.contains("does not name this activity"), "{why}");
    }
    let (v, why) = verdict(
        medium(&["T1482"]),
        &ev,
        Some(json!({"change_ticket": "CHG-50001 routine maintenance"})),
    )
    .await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
}

#[tokio::test]
async fn context_never_closes_a_sensitive_technique_and_says_so() {
    let ticket = json!({"change_ticket": "CHG-48213 certificate renewal"});
    let (v, why) = verdict(
        medium(&["T1552.004"]),
        &lookup_event(),
        Some(ticket.clone()),
    )
    .await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
    assert!(why.contains("never closed on context alone"), "{why}");
    assert!(!why.contains("nothing records"), "{why}");
    // Remote services too: a ticket names work on a host, not who may reach it from where
    // (a PsExec-style service, a WinRM or DCOM session).
    for remote in [
        &["T1569.002", "T1021.002"][..],
        &["T1021.006"],
        &["T1021.003"],
    ] {
        let (v, why) = verdict(medium(remote), &lookup_event(), Some(ticket.clone())).await;
        assert_eq!(v, Verdict::TruePositive, "{remote:?}: {why}");
    }
}

#[tokio::test]
async fn an_installed_agents_script_explains_discovery_only() {
    let event = json!({
        "Image": "C:\\Windows\\System32\\lookup.exe",
        "CommandLine": "lookup.exe -q records",
        "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "ParentCommandLine": "cmd.exe /c \"C:\\Program Files\\Vendor\\agent\\inventory.cmd\"",
        "User": "NT AUTHORITY\\SYSTEM"
    });
    let (v, why) = verdict(medium(&["T1087.001", "T1047"]), &event, None).await;
    assert_eq!(v, Verdict::FalsePositive, "{why}");
    let (v, why) = verdict(medium(&["T1112", "T1047"]), &event, None).await;
    assert_eq!(v, Verdict::TruePositive, "{why}");
}
