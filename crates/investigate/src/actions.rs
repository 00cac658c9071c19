//! Response actions, computed by code from the verdict and the evidence; never written by
//! a model and never executed by soc-copilot.
//!
//! Rules (the reference system's, kept):
//! 1. Only a `true_positive` with `high` or `medium` confidence gets actions.
//! 2. Reputation, on targets the alert itself names (never on entities found only in tool
//!    output): `block_ip` when AbuseIPDB scores the address ≥ 75 or it is a listed Tor exit
//!    relay (withheld for addresses that are not globally routable or that AbuseIPDB
//!    whitelists); `block_hash` when VirusTotal's malicious ratio is ≥ 0.5; `block_domain`
//!    when urlscan's malicious verdicts are ≥ half of the verdicts checked (needs approval
//!    for a domain with 100 scans or more: it is popular, blocking it has a cost).
//! 3. Technique (by parent id): `isolate_host` for execution, persistence, injection and
//!    impact families; `disable_account` for valid-account, account-manipulation and
//!    account-creation families; `reset_credentials` for credential-access families;
//!    `revoke_oauth_grant` for application-token families. Account actions on more than
//!    three accounts are all withheld (a spray names accounts it does not own); system,
//!    service and machine accounts are withheld.
//! 4. Analysis: `quarantine_email` when a phishing signal is strong, targeting the `From:`
//!    domain only when SPF or DKIM is aligned and passing (otherwise the sender is forged
//!    and blocking it punishes the impersonated party: withheld); a sanctioned bulk sender
//!    needs approval.
//! 5. A target in the asset inventory needs its owner's approval (owner and role attached).
//!    The inventory can stop an action, never start one.
//! 6. Any injection flag withholds every action (an action already withheld keeps its own
//!    reason).
//! 7. One action per (kind, target), keeping the most restrictive status; ordered by
//!    status, kind, target.

use soc_core::investigation::{
    ActionBasis, ActionKind, ActionStatus, ResponseAction, SignalStrength,
};
use soc_core::ioc::{IocKind, IocSet, Scope};
use soc_core::{Alert, Confidence, Investigation, Verdict};
use soc_intel::IntelRecord;

/// What actions are computed from.
#[derive(Debug)]
pub struct ActionInput<'a> {
    /// The alert.
    pub alert: &'a Alert,
    /// Its indicators.
    pub iocs: &'a IocSet,
    /// The investigation so far (verdict, confidence, techniques, phishing, assets,
    /// injection flags).
    pub inv: &'a Investigation,
    /// Intel answers of this investigation.
    pub intel: &'a [IntelRecord],
}

const ISOLATE: &[&str] = &[
    "T1486", "T1059", "T1053", "T1547", "T1543", "T1055", "T1490",
];
const DISABLE: &[&str] = &["T1078", "T1098", "T1136"];
const RESET: &[&str] = &["T1110", "T1003", "T1555", "T1552", "T1621"];
const REVOKE: &[&str] = &["T1528", "T1550"];

fn parent(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

fn action(
    kind: ActionKind,
    target: &str,
    status: ActionStatus,
    basis: ActionBasis,
    rationale: String,
    evidence: Vec<String>,
) -> ResponseAction {
    ResponseAction {
        action: kind,
        target: target.to_owned(),
        status,
        basis,
        rationale,
        evidence,
        owner: None,
        inventory_role: None,
    }
}

fn protected_account(user: &str) -> bool {
    let u = user
        .trim()
        .rsplit_once('\\')
        .map_or(user.trim(), |(_, n)| n)
        .to_ascii_lowercase();
    u.ends_with('$')
        || matches!(
            u.as_str(),
            "system"
                | "local service"
                | "network service"
                | "localsystem"
                | "nt authority\\system"
                | "root"
                | "-"
                | ""
        )
        || u.starts_with("nt authority")
}

/// Computes the actions (see the module docs).
pub fn propose(input: &ActionInput<'_>) -> Vec<ResponseAction> {
    let inv = input.inv;
    if inv.verdict != Verdict::TruePositive || inv.confidence == Confidence::Low {
        return Vec::new();
    }
    let mut out = Vec::new();
    let declared = &input.alert.indicators;

    // 2. Reputation, on the alert's own indicators.
    for f in input
        .iocs
        .iter()
        .filter(|f| f.ioc.kind.is_ip() && f.origins.iter().any(|o| o.starts_with("indicators.")))
    {
        let ip = &f.ioc.value;
        for r in input
            .intel
            .iter()
            .filter(|r| &r.ioc.value == ip && r.ioc.kind.is_ip())
        {
            let score = r
                .raw
                .get("abuseConfidenceScore")
                .and_then(serde_json::Value::as_u64);
            let tor = r.tags.iter().any(|t| t == "tor_exit");
            if !(score.is_some_and(|s| s >= 75) || tor) {
                continue;
            }
            let why = match score {
                Some(s) => format!("AbuseIPDB scores {ip} {s}/100"),
                None => format!("{ip} is a listed Tor exit relay used in this activity"),
            };
            let whitelisted = r
                .raw
                .get("isWhitelisted")
                .and_then(serde_json::Value::as_bool)
                == Some(true);
            let routable = f.ioc.scope == Some(Scope::External);
            let (status, rationale) = if !routable {
                (
                    ActionStatus::Withheld,
                    format!(
                        "{why}, but the address is not globally routable: blocking it would hit internal or reserved space"
                    ),
                )
            } else if whitelisted {
                (
                    ActionStatus::Withheld,
                    format!("{why}, but AbuseIPDB whitelists it: confirm before blocking"),
                )
            } else {
                (
                    ActionStatus::Proposed,
                    format!("{why}; block it at the perimeter"),
                )
            };
            out.push(action(
                ActionKind::BlockIp,
                ip,
                status,
                ActionBasis::Reputation,
                rationale,
                vec![r.provider.to_owned()],
            ));
        }
    }
    for f in input
        .iocs
        .iter()
        .filter(|f| f.ioc.kind.is_hash() && f.origins.iter().any(|o| o.starts_with("indicators.")))
    {
        for r in input
            .intel
            .iter()
            .filter(|r| r.ioc.value == f.ioc.value && r.provider == "virustotal")
        {
            let Some(stats) = r.raw.get("last_analysis_stats") else {
                continue;
            };
            let n = |k: &str| {
                stats
                    .get(k)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            };
            // Saturating: upstream counts must not wrap into a majority.
            let total = n("malicious")
                .saturating_add(n("suspicious"))
                .saturating_add(n("harmless"))
                .saturating_add(n("undetected"));
            if total > 0 && n("malicious").saturating_mul(2) >= total {
                out.push(action(
                    ActionKind::BlockHash,
                    &f.ioc.value,
                    ActionStatus::Proposed,
                    ActionBasis::Reputation,
                    format!(
                        "VirusTotal: {} of {total} engines flag {} as malicious",
                        n("malicious"),
                        f.ioc.value
                    ),
                    vec![r.provider.to_owned()],
                ));
            }
        }
    }
    for d in &declared.domains {
        let d = d.trim().to_lowercase();
        for r in input
            .intel
            .iter()
            .filter(|r| r.ioc.value == d && r.provider == "urlscan")
        {
            let n = |k: &str| {
                r.raw
                    .get(k)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            };
            let (bad, checked, total) =
                (n("malicious_verdicts"), n("verdicts_checked"), n("total"));
            if checked == 0 || bad * 2 < checked {
                continue;
            }
            let (status, caution) = if total >= 100 {
                (
                    ActionStatus::NeedsApproval,
                    format!(
                        "; {d} has {total} scans on urlscan: a popular domain, blocking it has a business cost"
                    ),
                )
            } else {
                (ActionStatus::Proposed, String::new())
            };
            out.push(action(
                ActionKind::BlockDomain,
                &d,
                status,
                ActionBasis::Reputation,
                format!(
                    "urlscan: {bad} of {checked} recent verdicts for {d} are malicious{caution}"
                ),
                vec![r.provider.to_owned()],
            ));
        }
    }

    // 3. Techniques.
    let parents: Vec<&str> = inv.attack_techniques.iter().map(|t| parent(t)).collect();
    let has = |set: &[&str]| {
        parents
            .iter()
            .find(|p| set.contains(p))
            .map(|p| (*p).to_owned())
    };
    let technique_evidence: Vec<String> = {
        let mut v: Vec<String> = inv
            .evidence
            .iter()
            .filter(|e| e.source_tool.starts_with("tier0.") || e.source_tool == "sigma")
            .map(|e| e.source_tool.clone())
            .collect();
        v.dedup();
        v
    };
    if let Some(t) = has(ISOLATE)
        && let Some(host) = input.alert.host()
    {
        out.push(action(
            ActionKind::IsolateHost,
            host,
            ActionStatus::Proposed,
            ActionBasis::Technique,
            format!("{t} was observed on {host}: isolate it until the activity is scoped"),
            technique_evidence.clone(),
        ));
    }
    let users: Vec<String> = {
        let mut u: Vec<String> = input
            .iocs
            .of_kind(IocKind::User)
            .filter(|f| f.origins.iter().any(|o| o.starts_with("indicators.")))
            .map(|f| f.ioc.value.clone())
            .collect();
        if u.is_empty() {
            u = input
                .iocs
                .of_kind(IocKind::User)
                .map(|f| f.ioc.value.clone())
                .collect();
        }
        u.dedup();
        u
    };
    for (kind, set, verb) in [
        (ActionKind::DisableAccount, DISABLE, "disable"),
        (
            ActionKind::ResetCredentials,
            RESET,
            "reset the credentials of",
        ),
    ] {
        let Some(t) = has(set) else { continue };
        let spray = users.len() > 3;
        for u in &users {
            let (status, rationale) = if spray {
                (
                    ActionStatus::Withheld,
                    format!(
                        "{t} names {} accounts: a spray targets accounts it does not own; review which (if any) were really affected before acting",
                        users.len()
                    ),
                )
            } else if protected_account(u) {
                (
                    ActionStatus::Withheld,
                    format!(
                        "{u} is a built-in, service or machine account: {verb} it only after checking what depends on it"
                    ),
                )
            } else {
                (
                    ActionStatus::Proposed,
                    format!("{t} was observed against {u}: {verb} the account"),
                )
            };
            out.push(action(
                kind,
                u,
                status,
                ActionBasis::Technique,
                rationale,
                technique_evidence.clone(),
            ));
        }
    }
    if let Some(t) = has(REVOKE) {
        for app in declared.other.get("apps").into_iter().flatten() {
            out.push(action(
                ActionKind::RevokeOauthGrant,
                app,
                ActionStatus::Proposed,
                ActionBasis::Technique,
                format!("{t}: the grant to application {app} gives an attacker standing access; revoke it"),
                technique_evidence.clone(),
            ));
        }
    }

    // 4. Mail.
    if let Some(p) = &inv.phishing
        && p.signals
            .iter()
            .any(|s| s.strength == SignalStrength::Strong)
    {
        let authenticated = (p.spf_aligned == Some(true)
            && p.spf_result.as_deref() == Some("pass"))
            || (p.dkim_aligned == Some(true) && p.dkim_result.as_deref() == Some("pass"));
        let sanctioned = p.signals.iter().any(|s| s.name == "sanctioned_bulk_sender");
        if let Some(from) = &p.header_from {
            let (status, rationale) = if !authenticated {
                (
                    ActionStatus::Withheld,
                    format!(
                        "strong phishing signals, but {from} did not authenticate: the sender is likely forged, and blocking it would punish the impersonated party; quarantine the messages by their content instead"
                    ),
                )
            } else if sanctioned {
                (
                    ActionStatus::NeedsApproval,
                    format!(
                        "strong phishing signals from {from}, a sanctioned bulk sender: its owner must approve"
                    ),
                )
            } else {
                (
                    ActionStatus::Proposed,
                    format!(
                        "strong phishing signals from authenticated sender {from}: quarantine its messages"
                    ),
                )
            };
            out.push(action(
                ActionKind::QuarantineEmail,
                from,
                status,
                ActionBasis::Analysis,
                rationale,
                vec!["phishing".to_owned()],
            ));
        }
    }

    // 5. Inventory: approval of the owner.
    for a in out.iter_mut() {
        if let Some(m) = inv.asset_matches.iter().find(|m| {
            m.entity.eq_ignore_ascii_case(&a.target)
                || m.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&a.target))
        }) {
            if a.status == ActionStatus::Proposed {
                a.status = ActionStatus::NeedsApproval;
                a.rationale.push_str(&format!(
                    "; {} is inventoried ({}): its owner must approve",
                    a.target, m.role
                ));
            }
            a.owner = m.owner.clone();
            a.inventory_role = Some(m.role.clone());
        }
    }
    // 6. Injection: withhold everything.
    if !inv.injection_flags.is_empty() {
        for a in out
            .iter_mut()
            .filter(|a| a.status != ActionStatus::Withheld)
        {
            a.status = ActionStatus::Withheld;
            a.rationale = format!(
                "withheld: the alert or a tool output contains suspected instructions to the analyst (injection); a human must review first. Basis: {}",
                a.rationale
            );
        }
    }
    // 7. One per (kind, target), most restrictive status.
    out.sort_by(|a, b| {
        (a.action, &a.target, std::cmp::Reverse(a.status)).cmp(&(
            b.action,
            &b.target,
            std::cmp::Reverse(b.status),
        ))
    });
    out.dedup_by(|a, b| a.action == b.action && a.target == b.target);
    out.sort_by(|a, b| (a.status, a.action, &a.target).cmp(&(b.status, b.action, &b.target)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use soc_core::alert::{Format, Limits};
    use soc_core::investigation::{InjectionFlag, PhishingAnalysis, PhishingSignal};
    use soc_core::ioc::{IocConfig, extract};
    use soc_core::{Ioc, IocKind};
    use soc_intel::Reputation;

    fn alert() -> Alert {
        Alert::from_value(
            json!({"alert_id": "A", "timestamp": "2026-01-01T00:00:00Z", "source": "siem", "severity": "high", "title": "t",
                   "raw_log": {"host": "web-1.corp.internal"}, "indicators": {"ips": ["45.1.2.3", "10.0.0.9"], "users": ["alice"]}}),
            Format::Native,
            &Limits::default(),
        )
        .unwrap()
    }

    fn inv(verdict: Verdict, conf: Confidence, techniques: &[&str]) -> Investigation {
        serde_json::from_value(json!({
            "schema_version": "1", "investigation_id": "x", "alert_id": "A", "alert_fingerprint": "f",
            "created_at": "2026-01-01T00:00:00Z", "verdict": verdict, "confidence": conf, "hypothesis": "h",
            "attack_techniques": techniques, "escalation_recommended": true
        }))
        .unwrap()
    }

    fn abuse(ip: &str, score: u64) -> IntelRecord {
        IntelRecord {
            provider: "abuseipdb",
            ioc: Ioc {
                kind: IocKind::Ipv4,
                value: ip.into(),
                scope: None,
            },
            reputation: Reputation::Malicious,
            confidence: Confidence::High,
            claim: String::new(),
            tags: vec![],
            listings: vec![],
            raw: json!({"abuseConfidenceScore": score, "isWhitelisted": false}),
        }
    }

    fn run(i: &Investigation, intel: &[IntelRecord]) -> Vec<ResponseAction> {
        let a = alert();
        let iocs = extract(&a, &IocConfig::default());
        propose(&ActionInput {
            alert: &a,
            iocs: &iocs,
            inv: i,
            intel,
        })
    }

    #[test]
    fn nothing_for_anything_but_a_confident_true_positive() {
        assert!(
            run(
                &inv(Verdict::Inconclusive, Confidence::High, &["T1110"]),
                &[abuse("45.1.2.3", 100)]
            )
            .is_empty()
        );
        assert!(
            run(
                &inv(Verdict::TruePositive, Confidence::Low, &["T1110"]),
                &[abuse("45.1.2.3", 100)]
            )
            .is_empty()
        );
    }

    #[test]
    fn reputation_and_technique_actions() {
        let acts = run(
            &inv(
                Verdict::TruePositive,
                Confidence::High,
                &["T1110.001", "T1059"],
            ),
            &[abuse("45.1.2.3", 100), abuse("10.0.0.9", 100)],
        );
        let find = |k: ActionKind, t: &str| {
            acts.iter()
                .find(|a| a.action == k && a.target == t)
                .cloned()
        };
        assert_eq!(
            find(ActionKind::BlockIp, "45.1.2.3").unwrap().status,
            ActionStatus::Proposed
        );
        assert_eq!(
            find(ActionKind::BlockIp, "10.0.0.9").unwrap().status,
            ActionStatus::Withheld,
            "not routable"
        );
        assert_eq!(
            find(ActionKind::ResetCredentials, "alice").unwrap().status,
            ActionStatus::Proposed
        );
        assert_eq!(
            find(ActionKind::IsolateHost, "web-1.corp.internal")
                .unwrap()
                .status,
            ActionStatus::Proposed
        );
        assert!(
            find(ActionKind::DisableAccount, "alice").is_none(),
            "no T1078"
        );
        // Ordered by status.
        let statuses: Vec<ActionStatus> = acts.iter().map(|a| a.status).collect();
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(statuses, sorted);
    }

    #[test]
    fn low_scores_do_not_block() {
        let acts = run(
            &inv(Verdict::TruePositive, Confidence::High, &[]),
            &[abuse("45.1.2.3", 40)],
        );
        assert!(acts.is_empty(), "{acts:?}");
    }

    #[test]
    fn injection_withholds_everything() {
        let mut i = inv(Verdict::TruePositive, Confidence::High, &["T1110"]);
        i.injection_flags.push(InjectionFlag {
            location: "title".into(),
            pattern: "force-benign".into(),
            excerpt: "x".into(),
        });
        let acts = run(&i, &[abuse("45.1.2.3", 100)]);
        assert!(!acts.is_empty());
        assert!(
            acts.iter().all(|a| a.status == ActionStatus::Withheld),
            "{acts:?}"
        );
    }

    #[test]
    fn forged_senders_are_not_blocked() {
        let mut i = inv(Verdict::TruePositive, Confidence::High, &["T1566.001"]);
        i.phishing = Some(PhishingAnalysis {
            header_from: Some("bank.example".into()),
            spf_result: Some("fail".into()),
            dkim_result: Some("none".into()),
            spf_aligned: Some(false),
            dkim_aligned: Some(false),
            signals: vec![PhishingSignal {
                name: "dmarc_fail".into(),
                strength: SignalStrength::Strong,
                fact: "f".into(),
                benign_cause: None,
            }],
            ..PhishingAnalysis::default()
        });
        let acts = run(&i, &[]);
        let q = acts
            .iter()
            .find(|a| a.action == ActionKind::QuarantineEmail)
            .unwrap();
        assert_eq!(q.status, ActionStatus::Withheld);
        assert!(q.rationale.contains("forged"));
    }
}
