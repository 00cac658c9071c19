//! Brute force and password spraying against an authentication service.
//!
//! Recognised from behaviour, whatever the source calls its fields: an authentication
//! failure signal (title or event wording, Windows 4625/4771/4776, ECS
//! `event.outcome: failure` on an authentication event) plus a failure count or a set of
//! usernames tried.
//!
//! Observed vs anticipated: the failures show T1110. T1078 (valid accounts) is added only
//! when the alert records a successful login; with zero or unknown successes it is not,
//! and the first pivot is to look for one.
//!
//! Verdict: a burst (≥ 50 failures or ≥ 5 usernames) is a true positive; high confidence
//! when it comes from an external address and is large (≥ 100 failures or ≥ 10 usernames)
//! or the source is on a threat list, medium otherwise. Signs of sanctioned activity in the
//! alert (a change, a scan window, a scanner asset) make it `inconclusive` for a human
//! unless threat intel lists the source. A few failures for one account are not a brute
//! force: the family passes and tier 0 stays inconclusive.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;
use soc_core::investigation::{EvidenceLog, Pivot};
use soc_core::{Confidence, Scope, Verdict};

use crate::tells::{Tell, TellKind};
use crate::triage::{Assessment, Family, ObservedTechnique, TriageInput, one_line};
use crate::view::AlertView;

/// The family.
#[derive(Debug, Clone, Copy, Default)]
pub struct BruteForce;

static FAILURE_WORDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)brute[ -]?force|password[ -]spray|\bspraying\b|failed (ssh |rdp |vpn |kerberos |ntlm |windows )?(log[io]ns?|logon attempts?|passwords?|authentications?|auth\b|sign-?ins?)|authentication failures?|logon failures?|auth_failure|failed password for|invalid user")
        .expect("constant regex compiles")
});
static NEGATION_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(not|no|never|without|non|false)\b[\s-]*(an?\s+|the\s+)?$")
        .expect("constant regex compiles")
});
static COUNT_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d[\d,]*)\s+(?:failed|unsuccessful|invalid)\b")
        .expect("constant regex compiles")
});
static USERS_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:across|for|against)\s+(\d+)\s+(?:distinct\s+|unique\s+)?(?:user ?names|usernames|accounts|users)\b|\b(\d+)\s+(?:distinct|unique)\s+(?:user ?names|usernames|accounts|users)\b")
        .expect("constant regex compiles")
});
static NO_SUCCESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bno successful (log[io]ns?|logons?|authentications?|sign-?ins?)\b|\b0 successful\b|\bnone succeeded\b|\bwithout (a |any )?success")
        .expect("constant regex compiles")
});
static SUCCESS_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\baccepted (password|publickey|keyboard-interactive)\b|\blogon succeeded\b|\bsession opened for user\b")
        .expect("constant regex compiles")
});

/// Keys whose count names failed authentications specifically.
const FAILURE_KEYS: &[&str] = &[
    "failed_attempts",
    "failed_logins",
    "failed_logons",
    "failed_login_count",
    "failed_count",
    "failed_auths",
    "auth_failures",
    "failed_authentications",
];
/// Keys that count failures of anything: used only when the alert is otherwise clearly
/// about authentication, and never enough for high confidence on their own.
const GENERIC_FAILURE_KEYS: &[&str] = &["failures", "failure_count"];
const DISTINCT_USER_KEYS: &[&str] = &[
    "distinct_usernames",
    "distinct_users",
    "unique_usernames",
    "unique_users",
    "usernames_tried",
];
const USER_LIST_KEYS: &[&str] = &[
    "usernames_tried",
    "usernames",
    "users_tried",
    "top_usernames",
    "target_users",
    "accounts_tried",
];
const SUCCESS_KEYS: &[&str] = &[
    "successful_logins",
    "successful_logons",
    "successful_logons_from_source",
    "successes",
    "success_count",
    "successful_auths",
    "successful_authentications",
];
const SOURCE_IP_KEYS: &[&str] = &[
    "source_ip",
    "src_ip",
    "source.ip",
    "client_ip",
    "client.ip",
    "remote_ip",
    "remote_addr",
    "attacker_ip",
    "ipaddress",
    "src",
];
const TARGET_KEYS: &[&str] = &[
    "dst_host",
    "dest_host",
    "destination_host",
    "target_host",
    "computer",
];
const FIRST_SEEN_KEYS: &[&str] = &["first_seen", "window_start", "start_time", "first_failure"];
const FAILED_LOGON_EVENTS: &[&str] = &["4625", "4771", "4776"];
/// Fields a SIEM writes to summarise a detection. Wording and counts are read from these
/// and the title only, never from arbitrary strings an attacker can fill (user agents,
/// usernames, command lines).
const SUMMARY_KEYS: &[&str] = &[
    "detection",
    "reason",
    "rule_name",
    "rule_description",
    "message",
    "description",
    "summary",
    "signature",
    "alert_name",
];
const AUTH_EVENT_TYPES: &[&str] = &[
    "auth_failure",
    "authentication_failure",
    "login_failure",
    "logon_failure",
    "failed_login",
    "failed_logon",
];

/// What the alert says about the authentication attempts.
#[derive(Debug)]
struct AuthFacts {
    /// The failure signal comes from structured fields (event codes, ECS outcome on an
    /// authentication event, an auth-failure event type), not only from wording.
    structured: bool,
    failures: Option<(u64, String)>,
    /// The failure count comes from a field that counts failed authentications.
    count_trusted: bool,
    users: Option<(u64, String)>,
    user_sample: Vec<String>,
    successes: Option<(u64, String)>,
    /// The alert both records a success and denies one.
    success_conflict: Option<String>,
    service: &'static str,
    source_ip: Option<(String, String)>,
    target: Option<String>,
    first_seen: Option<String>,
}

/// Human words for intel tags.
fn describe_tags(tags: &[String]) -> String {
    let words: Vec<String> = tags
        .iter()
        .map(|t| match t.as_str() {
            "tor_exit" => "a Tor exit relay".to_owned(),
            "threatfox" => "on the ThreatFox IOC list".to_owned(),
            other => format!("`{other}`"),
        })
        .collect();
    words.join(", ")
}

/// A plausible count: whole, non-negative, below a billion.
fn as_count(n: f64) -> Option<u64> {
    (n.is_finite() && (0.0..1e9).contains(&n) && n.fract() == 0.0).then_some(n as u64)
}

/// Whether `re` matches `text` somewhere not preceded by a negation ("not a brute force").
fn affirmed(re: &Regex, text: &str) -> bool {
    re.find_iter(text).any(|m| {
        let before = &text[..m.start()];
        let window: String = before
            .chars()
            .rev()
            .take(24)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        !NEGATION_BEFORE.is_match(&window)
    })
}

/// The title and the SIEM's summary fields, with their paths.
fn summary_texts<'v>(view: &'v AlertView<'_>) -> Vec<(&'v str, String)> {
    let mut out = vec![(view.alert.title.as_str(), "title".to_owned())];
    for l in view.by_keys(SUMMARY_KEYS) {
        if let Some(s) = l.value.as_str() {
            out.push((s, l.path.clone()));
        }
    }
    out
}

fn parse_ip(s: &str) -> Option<String> {
    s.trim()
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_canonical().to_string())
}

fn gather(input: &TriageInput<'_>, view: &AlertView<'_>) -> Option<AuthFacts> {
    let event_failure = view
        .by_keys(&["event_id", "eventid", "code", "event.code"])
        .any(|l| FAILED_LOGON_EVENTS.contains(&l.text().trim()));
    let ecs_failure = view
        .string(&["event.outcome"])
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case("failure"))
        && view.leaves().iter().any(|l| {
            l.parent == "event"
                && l.key == "category"
                && l.text().eq_ignore_ascii_case("authentication")
        });
    let typed_failure = view
        .by_keys(&[
            "event_type",
            "eventtype",
            "event.type",
            "event.action",
            "action",
        ])
        .any(|l| AUTH_EVENT_TYPES.contains(&l.text().trim().to_ascii_lowercase().as_str()));
    let structured = event_failure || ecs_failure || typed_failure;
    let summaries = summary_texts(view);
    let wording = summaries.iter().any(|(s, _)| affirmed(&FAILURE_WORDING, s));
    if !(structured || wording) {
        return None;
    }

    let specific = view
        .number(FAILURE_KEYS)
        .and_then(|(n, l)| as_count(n).map(|c| (c, l.path.clone())));
    let count_trusted = specific.is_some() || structured;
    let failures = specific
        .or_else(|| {
            view.leaves()
                .iter()
                .find(|l| l.key == "count" && l.parent == "aggregation")
                .and_then(|l| l.number().and_then(as_count).map(|c| (c, l.path.clone())))
        })
        .or_else(|| {
            view.number(GENERIC_FAILURE_KEYS)
                .and_then(|(n, l)| as_count(n).map(|c| (c, l.path.clone())))
        })
        .or_else(|| {
            summaries.iter().find_map(|(s, path)| {
                let c = COUNT_IN_TEXT.captures(s)?;
                let n = c
                    .get(1)?
                    .as_str()
                    .replace(',', "")
                    .parse::<f64>()
                    .ok()
                    .and_then(as_count)?;
                Some((n, path.clone()))
            })
        })
        .or_else(|| {
            let n = view
                .by_keys(&["event_id", "eventid"])
                .filter(|l| {
                    FAILED_LOGON_EVENTS.contains(&l.text().trim())
                        || l.text().trim() == "4768" && view.mentions("0x6")
                })
                .count();
            (n > 0).then(|| (n as u64, "raw_log.events".to_owned()))
        });

    let users = view
        .by_keys(DISTINCT_USER_KEYS)
        .find_map(|l| l.number().and_then(as_count).map(|c| (c, l.path.clone())))
        .or_else(|| {
            view.array_len(USER_LIST_KEYS)
                .map(|(n, p)| (n as u64, p.to_owned()))
        })
        .or_else(|| {
            summaries.iter().find_map(|(s, path)| {
                let c = USERS_IN_TEXT.captures(s)?;
                let n = c
                    .get(1)
                    .or_else(|| c.get(2))?
                    .as_str()
                    .parse::<f64>()
                    .ok()
                    .and_then(as_count)?;
                Some((n, path.clone()))
            })
        })
        .or_else(|| {
            let mut names: Vec<String> = view
                .by_keys(&["targetusername"])
                .map(|l| l.text().to_lowercase())
                .filter(|s| !s.is_empty() && s != "-")
                .collect();
            names.sort();
            names.dedup();
            (names.len() > 1).then(|| {
                (
                    names.len() as u64,
                    "raw_log.events[].event_data.TargetUserName".to_owned(),
                )
            })
        });
    let user_sample = view
        .by_keys(USER_LIST_KEYS)
        .filter_map(|l| l.value.as_str().map(str::to_owned))
        .take(6)
        .collect();

    // Success: concrete evidence first (a count above zero, sshd "Accepted" lines, 4624
    // logon events); a denial only counts when nothing concrete contradicts it.
    let numeric = view
        .number(SUCCESS_KEYS)
        .and_then(|(n, l)| as_count(n).map(|c| (c, l.path.clone())));
    let lines: Vec<&str> = view
        .leaves()
        .iter()
        .filter(|l| l.value.as_str().is_some_and(|s| SUCCESS_LINE.is_match(s)))
        .map(|l| l.path.as_str())
        .collect();
    let logon_events = view
        .by_keys(&["event_id", "eventid"])
        .filter(|l| l.text().trim() == "4624")
        .count();
    let denial = summaries
        .iter()
        .find(|(s, _)| NO_SUCCESS.is_match(s))
        .map(|(_, p)| p.clone());
    let positive = match &numeric {
        Some((n, p)) if *n > 0 => Some((*n, p.clone())),
        _ if !lines.is_empty() => Some((lines.len() as u64, lines[0].to_owned())),
        _ if logon_events > 0 => Some((logon_events as u64, "raw_log.events (4624)".to_owned())),
        _ => None,
    };
    let (successes, success_conflict) = match positive {
        Some(p) => {
            let zero = numeric
                .as_ref()
                .filter(|(n, _)| *n == 0)
                .map(|(_, path)| path.clone());
            (Some(p), zero.or(denial))
        }
        None => (numeric.or_else(|| denial.map(|p| (0, p))), None),
    };

    let text = view.text();
    let service = if text.contains("sshd")
        || text.contains("ssh ")
        || text.contains(" ssh")
        || text.contains("ssh\n")
    {
        "SSH"
    } else if text.contains("rdp")
        || text.contains("remoteinteractive")
        || text.contains("logon type 10")
        || text.contains("3389")
    {
        "RDP"
    } else if text.contains("kerberos")
        || view
            .by_keys(&["event_id"])
            .any(|l| matches!(l.text().trim(), "4768" | "4771"))
    {
        "Kerberos"
    } else if text.contains("vpn") {
        "VPN"
    } else if text.contains("ntlm") || text.contains("4625") || text.contains("4776") {
        "Windows logon"
    } else {
        "authentication"
    };

    // The source: only an address under a source-like key, never just any address.
    let source_ip = view
        .by_keys(SOURCE_IP_KEYS)
        .find_map(|l| parse_ip(l.value.as_str()?).map(|ip| (ip, l.path.clone())))
        .or_else(|| {
            input
                .iocs
                .iter()
                .filter(|f| f.ioc.kind.is_ip())
                .find_map(|f| {
                    let origin = f.origins.iter().find(|o| {
                        let key = o.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
                        ["src", "source", "client", "remote", "attacker", "ipaddress"]
                            .iter()
                            .any(|k| key.contains(k))
                    })?;
                    Some((f.ioc.value.clone(), origin.clone()))
                })
        });
    let target = input
        .alert
        .host()
        .map(str::to_owned)
        .or_else(|| view.string(TARGET_KEYS).map(|(s, _)| s.to_owned()));
    let first_seen = view.string(FIRST_SEEN_KEYS).map(|(s, _)| s.to_owned());
    Some(AuthFacts {
        structured,
        failures,
        count_trusted,
        users,
        user_sample,
        successes,
        success_conflict,
        service,
        source_ip,
        target,
        first_seen,
    })
}

impl Family for BruteForce {
    fn id(&self) -> &'static str {
        "brute_force"
    }

    fn assess(
        &self,
        input: &TriageInput<'_>,
        view: &AlertView<'_>,
        tells: &[Tell],
        log: &mut EvidenceLog,
    ) -> Option<Assessment> {
        let f = gather(input, view)?;
        let failures = f.failures.as_ref().map(|(n, _)| *n);
        let users = f.users.as_ref().map(|(n, _)| *n);
        let burst = failures.is_some_and(|n| n >= 50) || users.is_some_and(|n| n >= 5);
        if !burst {
            // A handful of failures for one account is how users and stale credentials look.
            return None;
        }
        let service = f.service;
        let target = f.target.clone().unwrap_or_else(|| "the target".to_owned());
        let (src, src_path) = f
            .source_ip
            .clone()
            .unwrap_or_else(|| ("an unidentified source".to_owned(), String::new()));
        let scope = input.ip_scope(&src);
        let intel = input.intel_for(true, &src);
        let listed = intel.is_some_and(|i| i.malicious || i.suspicious);
        let successes = f.successes.as_ref().map(|(n, _)| *n);

        // The burst itself.
        let mut parts = Vec::new();
        if let Some(n) = failures {
            parts.push(format!("{n} failed {service} authentication attempts"));
        } else {
            parts.push(format!("failed {service} authentication attempts"));
        }
        let mut claim = format!("{} from {src} against {target}", parts.join(" "));
        if let Some(n) = users {
            claim.push_str(&format!(
                ", {n} username{} tried",
                if n == 1 { "" } else { "s" }
            ));
        }
        if !f.user_sample.is_empty() {
            claim.push_str(&format!(" (e.g. {})", f.user_sample.join(", ")));
        }
        let sources: Vec<String> = [
            f.failures.as_ref().map(|x| x.1.clone()),
            f.users.as_ref().map(|x| x.1.clone()),
            Some(src_path.clone()),
        ]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .fold(Vec::new(), |mut acc, p| {
            if !acc.contains(&p) {
                acc.push(p);
            }
            acc
        });
        if !sources.is_empty() {
            claim.push_str(&format!(" [{}]", sources.join(", ")));
        }
        claim.push('.');
        let burst_id = log.push(
            "tier0.brute_force",
            claim,
            json!({
                "failures": failures, "failures_field": f.failures.as_ref().map(|x| &x.1),
                "usernames_tried": users, "usernames_field": f.users.as_ref().map(|x| &x.1),
                "service": service, "source_ip": src, "source_ip_field": src_path,
                "source_scope": scope.map(|s| s.as_str()), "target": target,
            }),
            Confidence::High,
            true,
        );

        // What the alert says about success.
        let success_id = match &f.successes {
            Some((0, path)) => log.push(
                "tier0.brute_force",
                format!("The alert records no successful {service} login from {src} in the window [{path}]."),
                json!({"successes": 0, "field": path}),
                Confidence::Medium,
                true,
            ),
            Some((n, path)) => {
                let conflict = f
                    .success_conflict
                    .as_ref()
                    .map(|c| format!(" The alert elsewhere says there was none [{c}]; the concrete record is believed."))
                    .unwrap_or_default();
                log.push(
                    "tier0.brute_force",
                    format!("The alert records {n} successful login(s) alongside the failures [{path}]: a valid account may now be in the attacker's hands.{conflict}"),
                    json!({"successes": n, "field": path, "contradicted_by": f.success_conflict}),
                    Confidence::High,
                    true,
                )
            }
            None => log.push(
                "tier0.brute_force",
                format!("The alert does not say whether any {service} login from {src} succeeded; that is unverified, not absent."),
                json!({"successes": null}),
                Confidence::Low,
                true,
            ),
        };

        let mut techniques = vec![ObservedTechnique {
            id: "T1110".to_owned(),
            evidence_ids: vec![burst_id.clone()],
        }];
        if successes.is_some_and(|n| n > 0) {
            techniques.push(ObservedTechnique {
                id: "T1078".to_owned(),
                evidence_ids: vec![success_id.clone(), burst_id.clone()],
            });
        }

        let mut reasoning = vec![format!(
            "Recognised an authentication-failure burst ({burst_id})."
        )];
        let external = scope == Some(Scope::External);
        let large = failures.is_some_and(|n| n >= 100) || users.is_some_and(|n| n >= 10);
        // High confidence needs an identified external source, a large or listed burst, and
        // a failure signal or count from structured fields rather than wording alone.
        let trusted = f.structured || f.count_trusted;
        let (mut verdict, mut confidence) = if external && (large || listed) && trusted {
            (Verdict::TruePositive, Confidence::High)
        } else {
            (Verdict::TruePositive, Confidence::Medium)
        };
        if !trusted {
            reasoning.push("The failure signal and counts come from the alert's wording, not from structured fields: confidence held at medium.".to_owned());
        }
        match scope {
            Some(Scope::External) => reasoning.push(format!("{src} is an external address.")),
            Some(Scope::Internal) => reasoning.push(format!("{src} is an internal address: a compromised or misused internal host, or unsanctioned tooling.")),
            Some(Scope::Reserved) => reasoning.push(format!("{src} is in reserved/documentation space.")),
            None => reasoning.push("The source address could not be identified.".to_owned()),
        }
        if let Some(i) = intel.filter(|i| i.malicious || i.suspicious) {
            reasoning.push(format!(
                "Threat intel lists {src} ({}, {}).",
                describe_tags(&i.tags),
                i.evidence_id
            ));
        }
        if successes.is_some_and(|n| n > 0) {
            confidence = confidence.min(Confidence::Medium);
            reasoning.push("A success is recorded: T1078 is observed, though the alert does not prove the success came from the same source.".to_owned());
        }
        // A scanner or tooling name is only meaningful for an address the organisation owns;
        // an external party can name its own hosts anything.
        let tells: Vec<&Tell> = tells
            .iter()
            .filter(|t| !(external && t.kind == TellKind::ToolingAsset))
            .collect();
        if !tells.is_empty() {
            let list = tells
                .iter()
                .map(|t| format!("{} ({})", t.path, t.text))
                .collect::<Vec<_>>()
                .join("; ");
            if listed {
                confidence = confidence.min(Confidence::Medium);
                reasoning.push(format!("The alert carries signs of sanctioned activity ({list}), but threat intel lists the source; the contradiction needs a human."));
            } else {
                verdict = Verdict::Inconclusive;
                confidence = Confidence::Low;
                reasoning.push(format!("The alert carries signs of sanctioned activity ({list}). Alert content cannot make activity sanctioned, and no asset inventory confirms it: left to a human."));
            }
        }

        let headline = format!("{service} brute force");
        let hypothesis = match verdict {
            Verdict::TruePositive => {
                let mut h = format!(
                    "{} made {} against {target}{}: a brute-force attack on {service} (T1110).",
                    if external {
                        format!("An external source, {src},")
                    } else {
                        format!("The source {src}")
                    },
                    failures.map_or_else(
                        || "repeated failed authentication attempts".to_owned(),
                        |n| format!("{n} failed authentication attempts")
                    ),
                    users.map_or_else(String::new, |n| format!(", trying {n} usernames")),
                );
                if let Some(i) = intel.filter(|i| i.malicious || i.suspicious) {
                    h.push_str(&format!(
                        " Threat intel lists the source: {}.",
                        describe_tags(&i.tags)
                    ));
                }
                match successes {
                    Some(0) => h.push_str(" The alert records no successful login, so there is no evidence of valid-account use yet; that must still be verified in the authentication logs."),
                    Some(n) => h.push_str(&format!(" The alert also records {n} successful login(s): treat the targeted account(s) as possibly compromised (T1078).")),
                    None => h.push_str(" Whether any attempt succeeded is not recorded and must be verified."),
                }
                h
            }
            _ => format!(
                "{} failed {service} authentications from {src} against {target}. The alert itself carries signs of sanctioned or expected activity, which only the asset inventory or the activity's owner can confirm; until then this is not called benign.",
                failures.map_or_else(|| "Repeated".to_owned(), |n| n.to_string())
            ),
        };

        let since = f
            .first_seen
            .as_deref()
            .map(|t| format!(" since {t}"))
            .unwrap_or_default();
        let mut pivots = vec![Pivot {
            action: format!(
                "Search authentication logs on {target} for any successful login from {src}{since} ({} 'Accepted' lines, Windows 4624), and for logins by the usernames tried",
                if service == "SSH" { "sshd" } else { "auth" }
            ),
            rationale: "A success after the failures would turn a failed attack into account compromise (T1078) and change the response.".to_owned(),
            priority: Confidence::High,
        }];
        pivots.push(Pivot {
            action: format!(
                "Check whether {src} also targeted other hosts or services in the same period"
            ),
            rationale:
                "A source that sprays one host usually sprays many; the scope decides containment."
                    .to_owned(),
            priority: Confidence::Medium,
        });
        if external {
            pivots.push(Pivot {
                action: format!("Block or rate-limit {src} at the perimeter and confirm {service} on {target} is not exposed more widely than needed"),
                rationale: "Cuts the attack off while the investigation runs; exposure explains why the host was reachable.".to_owned(),
                priority: Confidence::Medium,
            });
        }
        if successes.is_some_and(|n| n > 0) {
            pivots.push(Pivot {
                action: format!("Reset the credentials of the account(s) that logged in on {target} and review their sessions since the first failure"),
                rationale: "A recorded success means a valid account may be in an attacker's hands.".to_owned(),
                priority: Confidence::High,
            });
        }
        if !tells.is_empty() {
            pivots.push(Pivot {
                action: format!("Confirm with the owner of {src} whether this activity was scheduled or approved, and record it in the asset inventory if so"),
                rationale: "The alert claims sanctioned activity; only the operator's inventory may confirm it.".to_owned(),
                priority: Confidence::Medium,
            });
        }
        Some(Assessment {
            family: "brute_force",
            headline,
            verdict,
            confidence,
            hypothesis: one_line(&hypothesis, 2000),
            techniques,
            pivots,
            escalate: true,
            reasoning,
        })
    }
}
