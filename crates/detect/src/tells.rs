//! Signs of sanctioned or expected activity that an alert itself carries: a change ticket,
//! a scheduled window, an asset tag, a scanner's name, a recurring identical burst.
//!
//! These come with the alert. Outside the SIEM's own enrichment (`siem_context`, ECS
//! `labels`) they only *lower* tier 0's confidence. The enrichment is trusted as much as
//! the alert's source and may support a benign verdict, but only for what it speaks for:
//! a change ticket or an explicit approval covers the work on the host, while a tooling
//! tag ([`Tooling`]) names what the asset is, so it explains only the activity such
//! tooling does (a backup server's tag does not explain a domain trust dump). The
//! playbooks decide which detections no context may close.
//!
//! Tells are read only from enrichment-like places (a `siem_context` block, `labels`, and
//! keys that name schedules, changes, recurrence or source assets), not from free text
//! an attacker controls directly (command lines, user names, URLs, messages).

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use crate::view::AlertView;

/// One sign of sanctioned activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tell {
    /// Where it was found.
    pub path: String,
    /// What it says (clipped).
    pub text: String,
    /// Which kind of sign.
    pub kind: TellKind,
}

/// Kinds of sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TellKind {
    /// A change ticket or maintenance reference.
    Change,
    /// A schedule or window the activity falls in.
    Schedule,
    /// The same activity recurred before.
    Recurrence,
    /// The source is a scanner, management or other tooling asset.
    ToolingAsset,
    /// Other SIEM context (credential change, authorised test, ...).
    Context,
}

static CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(chg|cr|rfc|change|ticket|req|inc|ritm|sr)[-_ #]?\d{3,}\b|\bmaintenance\b|\bchange (request|ticket|window)\b")
        .expect("constant regex compiles")
});
/// The kinds of tooling a [`TellKind::ToolingAsset`] tell can name. A tag says what the
/// asset is, not what this process did: each kind explains only the activity such tooling
/// does ([`Tooling::explains`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tooling {
    /// Vulnerability or network scanners.
    Scanner,
    /// Configuration and software management (Ansible, SCCM, Intune, ...).
    Management,
    /// Backup software.
    Backup,
    /// Monitoring.
    Monitoring,
    /// A helpdesk remote-assistance session.
    RemoteAssistance,
    /// Authorised security testing: red or purple team, penetration tests, detection and
    /// antivirus validation, the security team itself.
    AuthorisedTest,
    /// Phishing simulations and security-awareness campaigns.
    PhishingSimulation,
}

/// The words of each kind of tooling (alternatives of one regex group).
const TOOLING_WORDS: &[(Tooling, &str)] = &[
    (
        Tooling::Scanner,
        r"vuln(erability)?[- ]?scan(ner|ning)?|scanner|qualys|nessus|tenable|rapid7|openvas|nexpose",
    ),
    (
        Tooling::Management,
        r"config-management|ansible|puppet|chef|sccm|intune",
    ),
    (Tooling::Backup, r"backup"),
    (Tooling::Monitoring, r"monitoring"),
    (
        Tooling::RemoteAssistance,
        r"remote assistance|helpdesk remote",
    ),
    (
        Tooling::AuthorisedTest,
        r"red[- ]team|pen[- ]?test|penetration test|av[- ]validation|antivirus (test|validation)|security[- ]team|security operations|detection (test|validation)|purple[- ]team",
    ),
    (
        Tooling::PhishingSimulation,
        r"security awareness|phishing (simulation|test)",
    ),
];

fn tooling_pattern(words: &str) -> String {
    format!(r"(?i)\b({words})")
}

static TOOLING: LazyLock<Regex> = LazyLock::new(|| {
    let all: Vec<&str> = TOOLING_WORDS.iter().map(|(_, w)| *w).collect();
    Regex::new(&tooling_pattern(&all.join("|"))).expect("constant regex compiles")
});
/// One regex per kind of tooling, in [`TOOLING_WORDS`] order.
static TOOLING_KINDS: LazyLock<Vec<(Tooling, Regex)>> = LazyLock::new(|| {
    TOOLING_WORDS
        .iter()
        .map(|(k, w)| {
            (
                *k,
                Regex::new(&tooling_pattern(w)).expect("constant regex compiles"),
            )
        })
        .collect()
});

impl Tooling {
    /// The kinds of tooling `text` names (not negated).
    pub fn named_in(text: &str) -> Vec<Tooling> {
        TOOLING_KINDS
            .iter()
            .filter(|(_, re)| affirmed(re, text))
            .map(|(k, _)| *k)
            .collect()
    }

    /// Whether this kind of tooling does what `technique` (an ATT&CK id) describes: every
    /// tactic of the technique is one the tooling works in, or the technique (or its
    /// parent) is one it performs. Scanners and monitoring discover; management software
    /// discovers and runs WMI, PowerShell and the command shell; backup software collects and walks files; a remote-
    /// assistance session troubleshoots (discovery); a phishing simulation phishes;
    /// authorised testing may do anything. Unknown ids are explained by nothing.
    pub fn explains(self, technique: &str) -> bool {
        let (tactics, ids): (&[&str], &[&str]) = match self {
            Tooling::AuthorisedTest => {
                return soc_core::attack::catalog().resolve(technique).is_some();
            }
            Tooling::Scanner => (&["discovery", "reconnaissance"], &[]),
            // Discovery, and the interpreters and WMI it runs them with; not the
            // execution tactic as a whole (exploitation, service execution).
            Tooling::Management => (&["discovery"], &["T1047", "T1059.001", "T1059.003"]),
            Tooling::Backup => (&["collection"], &["T1083", "T1006"]),
            Tooling::Monitoring | Tooling::RemoteAssistance => (&["discovery"], &[]),
            Tooling::PhishingSimulation => (&[], &["T1566", "T1204", "T1598"]),
        };
        within(technique, tactics, ids)
    }
}

/// Whether `technique` (an ATT&CK id) is only discovery: every tactic it serves is
/// `discovery`.
pub fn only_discovery(technique: &str) -> bool {
    within(technique, &["discovery"], &[])
}

/// Whether every tactic of `technique` is one of `tactics`, or it (or, for an entry that is
/// a parent, its parent) is one of `ids`. Unknown ids are within nothing.
fn within(technique: &str, tactics: &[&str], ids: &[&str]) -> bool {
    let Some(t) = soc_core::attack::catalog()
        .resolve(technique)
        .map(|r| r.technique)
    else {
        return false;
    };
    let parent = t.parent.as_deref().unwrap_or(&t.id);
    ids.contains(&t.id.as_str())
        || ids.contains(&parent)
        || (!t.tactics.is_empty() && t.tactics.iter().all(|x| tactics.contains(&x.as_str())))
}
static CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(password change|key rotation|rotated|authori[sz]ed|approved|sanctioned|expected|scheduled|allow ?list(ed)?|whitelist(ed)?)\b")
        .expect("constant regex compiles")
});
/// [`CHANGE`], [`TOOLING`] and [`CONTEXT`] in one pass: which of them match at all (most
/// text matches none, and then none of them needs its own search).
static TELL_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([CHANGE.as_str(), TOOLING.as_str(), CONTEXT.as_str()])
        .expect("constant regexes compile")
});

static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(not|no|never|without|non|nor|isn't|wasn't|aren't|un|outside|missing|absent|lacks?|lacking|unlike|instead of|beyond)\b[\s-]*(\w+[\s-]+){0,3}$",
    )
    .expect("constant regex compiles")
});

/// Words after a match that undo it ("CHG-1234 rejected by CAB", "approval expired"), or
/// that make the ticket a security incident's, which sanctions nothing ("INC-4411
/// suspected compromise").
static NEGATED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[^.;]{0,40}?\b(rejected|denied|declined|expired|cancell?ed|revoked|withdrawn|not approved|unapproved|pending|failed|violat\w*|mismatch\w*|suspect\w*|compromis\w*|malicious|malware|intrusion|breach\w*|ransom\w*|exfiltrat\w*|security incident|incident response)\b")
        .expect("constant regex compiles")
});

/// Words anywhere in a ticket or an approval that take it back or make it an incident's:
/// such text sanctions nothing, wherever the word stands ("Rejected: CHG-4411",
/// "INC-60001 unauthorized remote access reported", "CHG-1 ... window ended").
static VETO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(reject\w*|denied|deny|declined|expired|cancell?ed|revoked|withdrawn|not approved|unapproved|on hold|pending|failed|violat\w*|suspect\w*|suspicious|compromis\w*|malicious|malware|infect\w*|trojan\w*|virus\w*|worms?|phish\w*|unauthori[sz]ed|intrusion|breach\w*|ransom\w*|exfiltrat\w*|stolen|hack\w*|security incident|incident response|window ended|ended|closed)\b")
        .expect("constant regex compiles")
});

/// Keys of a ticket's or an approval's state: a veto word there takes back every ticket
/// and approval of the enrichment (`"state": "Cancelled"` beside `"id": "CHG-1"`).
fn is_status_key(key: &str) -> bool {
    key.contains("status") || key.contains("state") || key.contains("approval")
}

/// Keys that list memberships or labels: a group named "VPN-Authorized-Users" or a tag
/// "approved-remote-admin-host" says what an account or a host may do in general, not
/// that this activity was approved.
fn is_membership_key(key: &str) -> bool {
    key.contains("group")
        || key.contains("tag")
        || key.contains("role")
        || key.contains("department")
}

/// Whether `re` matches somewhere in `text` that is not negated ("not on any allowlist",
/// "no change ticket", "CHG-1234 rejected").
fn affirmed(re: &Regex, text: &str) -> bool {
    re.find_iter(text).any(|m| {
        let before = &text[..m.start()];
        let window: String = before
            .chars()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        !NEGATED.is_match(&window) && !NEGATED_AFTER.is_match(&text[m.end()..])
    })
}

/// Keys whose value describes a schedule.
const SCHEDULE_KEYS: &[&str] = &[
    "cron_window_match",
    "scan_window",
    "maintenance_window",
    "schedule",
    "change_window",
];
/// Keys whose value describes the source asset.
const ASSET_KEYS: &[&str] = &[
    "source_host",
    "src_asset",
    "source_asset",
    "src_asset_tags",
    "asset_tags",
    "src_host_role",
];
/// Keys whose value names a change.
const CHANGE_KEYS: &[&str] = &["change_ticket", "change_id", "recent_change", "ticket"];

/// Whether a path is inside the SIEM's own enrichment: the `siem_context` block or the
/// ECS `labels` object at the top of `raw_log` (not a block of that name nested in
/// request parameters, mail headers or container metadata).
pub fn is_enrichment_path(path: &str) -> bool {
    path.starts_with("raw_log.siem_context.")
        || path.starts_with("raw_log.siem_context[")
        || path.starts_with("raw_log.labels.")
}

/// Whether a keyed tell may be read at this path: a direct field of `raw_log` (where a
/// SIEM writes its aggregation and schedule fields) or the enrichment, never a key of
/// the same name deep inside content (headers, parameters, event payloads).
fn keyed_place(path: &str) -> bool {
    if is_enrichment_path(path) {
        return true;
    }
    path.strip_prefix("raw_log.")
        .is_some_and(|rest| !rest.contains('.') && !rest.contains('['))
}

/// Finds the tells in an alert.
pub fn find(view: &AlertView<'_>) -> Vec<Tell> {
    let mut out: Vec<Tell> = Vec::new();
    let mut vetoed = false;
    let mut seen = std::collections::HashSet::new();
    let mut push = |path: &str, text: String, kind: TellKind| {
        if seen.insert(path.to_owned()) {
            out.push(Tell {
                path: path.to_owned(),
                text: crate::triage::one_line(&text, 120),
                kind,
            });
        }
    };
    for leaf in view.leaves() {
        let in_context = is_enrichment_path(&leaf.path);
        let keyed = keyed_place(&leaf.path) || leaf.path.starts_with("raw_log.siem_context");
        if !keyed && !in_context {
            // Content, not a place a SIEM writes its tells: nothing below applies.
            continue;
        }
        let text = leaf.text();
        // Which of CHANGE, TOOLING, CONTEXT match at all, worked out once when needed.
        let mut set: Option<regex::SetMatches> = None;
        let mut may =
            |i: usize, text: &str| set.get_or_insert_with(|| TELL_SET.matches(text)).matched(i);
        if keyed && SCHEDULE_KEYS.contains(&leaf.key.as_str()) && !text.trim().is_empty() {
            push(&leaf.path, text, TellKind::Schedule);
            continue;
        }
        if keyed
            && (leaf.key.starts_with("prior_identical")
                || leaf.key.starts_with("previous_identical"))
        {
            if leaf.number().is_some_and(|n| n > 0.0) {
                push(&leaf.path, text, TellKind::Recurrence);
            }
            continue;
        }
        if in_context && is_status_key(&leaf.key) && VETO.is_match(&text) {
            vetoed = true;
        }
        if keyed
            && CHANGE_KEYS.contains(&leaf.key.as_str())
            && may(0, &text)
            && affirmed(&CHANGE, &text)
            && !VETO.is_match(&text)
        {
            push(&leaf.path, text, TellKind::Change);
            continue;
        }
        if keyed
            && ASSET_KEYS.contains(&leaf.key.as_str())
            && may(1, &text)
            && affirmed(&TOOLING, &text)
        {
            push(&leaf.path, text, TellKind::ToolingAsset);
            continue;
        }
        if in_context {
            // Tickets and approvals: not from membership or label lists, not when the
            // text itself takes them back.
            let sanctions = !is_membership_key(&leaf.key) && !VETO.is_match(&text);
            if sanctions && may(0, &text) && affirmed(&CHANGE, &text) {
                push(&leaf.path, text, TellKind::Change);
            } else if may(1, &text) && affirmed(&TOOLING, &text) {
                push(&leaf.path, text, TellKind::ToolingAsset);
            } else if sanctions && may(2, &text) && affirmed(&CONTEXT, &text) {
                push(&leaf.path, text, TellKind::Context);
            }
        }
    }
    if vetoed {
        out.retain(|t| !matches!(t.kind, TellKind::Change | TellKind::Context));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_core::Alert;
    use soc_core::alert::{Format, Limits};

    fn alert(raw: &serde_json::Value) -> Alert {
        Alert::from_value(
            serde_json::json!({"timestamp": "2026-01-01T00:00:00Z", "source": "siem", "severity": "medium", "title": "x", "raw_log": raw.clone()}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn regexes_compile() {
        assert!(CHANGE.is_match("CHG-48190 SSH key rotation"));
        assert!(TOOLING.is_match("qualys-scanner-02.corp.internal"));
        assert!(CONTEXT.is_match("4723 password change by ndiaz"));
    }

    #[test]
    fn context_blocks_and_schedule_keys_are_tells() {
        let a = alert(&serde_json::json!({
            "siem_context": {"recent_change": "CHG-48190 SSH key rotation", "src_asset_tags": ["config-management"]},
            "cron_window_match": "weekly-vuln-scan Tue 03:00-04:00 UTC",
            "prior_identical_bursts_30d": 4,
            "command_line": "echo CHG-1234 approved maintenance"
        }));
        let v = AlertView::new(&a);
        let tells = find(&v);
        let paths: Vec<&str> = tells.iter().map(|t| t.path.as_str()).collect();
        assert!(
            paths.contains(&"raw_log.siem_context.recent_change"),
            "{paths:?}"
        );
        assert!(paths.contains(&"raw_log.cron_window_match"), "{paths:?}");
        assert!(
            paths.contains(&"raw_log.prior_identical_bursts_30d"),
            "{paths:?}"
        );
        assert!(
            !paths.iter().any(|p| p.contains("command_line")),
            "free text is not a tell: {paths:?}"
        );
    }

    #[test]
    fn refusals_are_not_approvals() {
        let a = alert(&serde_json::json!({
            "siem_context": {
                "note": "Unauthorized source, unexpected at this hour",
                "allowlist": "source is not on any allowlist",
                "change": "no change ticket found",
                "ticket": "INC-4411 suspected compromise of this host, IR engaged",
                "recent_change": "CHG-9012 opened after the malware alert on this host"
            },
            "source_reverse_dns": "nessus-scanner.attacker-owned.net"
        }));
        let tells = find(&AlertView::new(&a));
        assert!(tells.is_empty(), "{tells:?}");
    }

    #[test]
    fn a_ticket_taken_back_or_an_incidents_anywhere_in_its_text_sanctions_nothing() {
        for ticket in [
            "INC-55012 workstation infected with trojan, remote cleanup",
            "INC-60001 unauthorized remote access reported by user",
            "INC-60002 user clicked a phishing link",
            "Rejected: CHG-40211 remote access client rollout",
            "CHG-40211 remote access client rollout, a long description of the work - rejected",
            "CHG-40212 patch window ended 2024-01-01",
        ] {
            let a = alert(&serde_json::json!({"siem_context": {"change_ticket": ticket}}));
            let tells = find(&AlertView::new(&a));
            assert!(tells.is_empty(), "{ticket}: {tells:?}");
        }
        // A state beside the ticket takes it back too.
        let a = alert(&serde_json::json!({"siem_context": {
            "change": {"id": "CHG-40213", "summary": "remote access client rollout", "state": "Cancelled"}
        }}));
        let tells = find(&AlertView::new(&a));
        assert!(tells.is_empty(), "{tells:?}");
        // The same ticket, approved, is a change.
        let a = alert(&serde_json::json!({"siem_context": {
            "change": {"id": "CHG-40213", "summary": "remote access client rollout", "state": "Implement"}
        }}));
        let tells = find(&AlertView::new(&a));
        assert!(
            tells.iter().any(|t| t.kind == TellKind::Change),
            "{tells:?}"
        );
    }

    #[test]
    fn group_names_and_tags_approve_nothing() {
        let a = alert(&serde_json::json!({"siem_context": {
            "user_groups": ["VPN-Authorized-Remote-Users", "Scheduled-Remote-Support"],
            "asset_tags": ["approved-remote-admin-host"]
        }}));
        let tells = find(&AlertView::new(&a));
        assert!(
            !tells
                .iter()
                .any(|t| matches!(t.kind, TellKind::Change | TellKind::Context)),
            "{tells:?}"
        );
    }

    #[test]
    fn only_the_enrichment_and_top_level_fields_speak() {
        let a = alert(&serde_json::json!({
            "headers": {"Schedule": "weekly", "Ticket": "CHG-12345"},
            "request": {"siem_context": {"note": "approved scan"}},
            "container": {"labels": {"team": "security-team"}},
            "siem_context": {"change": "CHG-48190 rejected by CAB", "window": "outside the approved scan window"}
        }));
        let tells = find(&AlertView::new(&a));
        assert!(tells.is_empty(), "{tells:?}");
    }

    #[test]
    fn tooling_explains_only_what_such_tooling_does() {
        assert_eq!(
            Tooling::named_in("backup-server, monitoring"),
            [Tooling::Backup, Tooling::Monitoring]
        );
        assert!(Tooling::named_in("not a backup host").is_empty());
        assert_eq!(
            Tooling::named_in("Helpdesk remote assistance (msra.exe) active"),
            [Tooling::RemoteAssistance]
        );
        // A backup server collects files; it does not map domain trusts.
        assert!(Tooling::Backup.explains("T1005"));
        assert!(Tooling::Backup.explains("T1083"));
        assert!(!Tooling::Backup.explains("T1482"));
        // A remote-assistance session troubleshoots; it does not download or hide jobs.
        assert!(Tooling::RemoteAssistance.explains("T1082"));
        assert!(Tooling::RemoteAssistance.explains("T1087.001"));
        assert!(!Tooling::RemoteAssistance.explains("T1105"));
        assert!(!Tooling::RemoteAssistance.explains("T1197"));
        // Management software runs WMI and shells; not exploits or services.
        assert!(Tooling::Management.explains("T1059.001"));
        assert!(Tooling::Management.explains("T1047"));
        assert!(!Tooling::Management.explains("T1059"));
        assert!(!Tooling::Management.explains("T1203"));
        assert!(!Tooling::Management.explains("T1569.002"));
        assert!(!Tooling::Management.explains("T1112"));
        assert!(Tooling::Scanner.explains("T1046"));
        assert!(!Tooling::Scanner.explains("T1059"));
        assert!(Tooling::PhishingSimulation.explains("T1566.001"));
        assert!(!Tooling::PhishingSimulation.explains("T1105"));
        // Authorised testing may do anything that exists.
        assert!(Tooling::AuthorisedTest.explains("T1003.001"));
        assert!(!Tooling::AuthorisedTest.explains("T9999"));
        assert!(only_discovery("T1482"));
        assert!(!only_discovery("T1047"));
        assert!(!only_discovery("nonsense"));
    }

    #[test]
    fn ordinary_fields_are_not_tells() {
        let a = alert(
            &serde_json::json!({"source_ip": "185.220.101.47", "failed_attempts": 847, "prior_identical_bursts_30d": 0}),
        );
        assert!(find(&AlertView::new(&a)).is_empty());
    }
}
