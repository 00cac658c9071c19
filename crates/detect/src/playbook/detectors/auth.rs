//! Authentication failures: bursts of failed logons (SSH, RDP, Kerberos, VPN, Windows),
//! password spraying, the successes around them, and pushed-MFA denials.
//!
//! Recognised from behaviour, whatever the source calls its fields: an authentication
//! failure signal (title or summary wording, Windows 4625/4771/4776, ECS
//! `event.outcome: failure` on an authentication event, an auth-failure event type) plus a
//! failure count or a set of usernames tried. Counts and wording are read from structured
//! fields and the SIEM's summary fields only, never from strings an attacker fills
//! (user agents, user names, command lines).
//!
//! Facts: `auth.signal`, `auth.structured`, `auth.count_trusted`, `auth.failures`,
//! `auth.users`, `auth.user_sample`, `auth.successes` (present only when the alert says),
//! `auth.succeeded`, `auth.successful_logins` (only when above zero), `auth.success_unknown`, `auth.success_conflict`, `auth.count_conflict` (a failure count of zero beside usernames tried: the count is then neither trusted nor stated), `auth.service`,
//! `auth.source_ip`, `auth.source_external`, `auth.source_internal`, `auth.source_listed`,
//! `auth.source_tags`, `auth.burst` (≥ 50 failures or ≥ 5 usernames), `auth.large`
//! (≥ 100 or ≥ 10), `auth.first_seen`, `auth.mfa_denials`, `auth.mfa_approved`, `target`.

use std::sync::LazyLock;

use regex::Regex;
use soc_core::Scope;

use super::super::facts::Facts;
use crate::triage::TriageInput;
use crate::view::AlertView;

static FAILURE_WORDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)brute[ -]?force|password[ -]spray|\bspraying\b|failed (ssh |rdp |vpn |kerberos |ntlm |windows )?(log[io]ns?|logon attempts?|passwords?|authentications?|auth\b|sign-?ins?)|authentication failures?|logon failures?|auth_failure|failed password for|invalid user|failing (ssh |rdp |vpn |kerberos )?(log[io]ns?|auth\b|authentications?|sign-?ins?|passwords?)|default[ -]credentials? (attempts?|checks?|guess(es|ing)?|log[io]n attempts?)")
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
    "dc(user)",
    "dc(user_name)",
    "distinct_count(user)",
    "dc_user",
    "user_count",
    "distinct_user_count",
    "target_user_count",
];
const USER_LIST_KEYS: &[&str] = &[
    "usernames_tried",
    "usernames",
    "users_tried",
    "top_usernames",
    "target_users",
    "accounts_tried",
    "accounts",
    "users_sample",
    "user_sample",
    "sample_users",
    "targeted_accounts",
    "target_accounts",
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
/// Keys that hold raw log lines.
const LOG_LINE_KEYS: &[&str] = &[
    "sample_lines",
    "lines",
    "log_lines",
    "log",
    "message",
    "msg",
    "raw",
    "original",
    "full_log",
    "_raw",
    "messages",
    "entries",
    "log_messages",
    "sample_messages",
    "raw_lines",
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
/// Keys that hold an event code: Windows `EventID` (Sysmon/Winlogbeat, Splunk's
/// `EventCode`), ECS `event.code`.
const EVENT_CODE_KEYS: &[&str] = &[
    "event_id",
    "eventid",
    "eventcode",
    "event_code",
    "code",
    "event.code",
];
/// Keys that hold a Windows event code only beside Windows logon fields: Splunk CIM
/// `signature_id` is an IDS rule id elsewhere.
const WINDOWS_ONLY_CODE_KEYS: &[&str] = &["signature_id", "signatureid"];
/// Entra ID sign-in error codes of failed credential checks: invalid username or
/// password, smart lockout, nonexistent user (each a spray's footprint).
const ENTRA_FAILURE_CODES: &[&str] = &["50126", "50053", "50034"];
/// Keys of Entra ID sign-in result codes.
const ENTRA_CODE_KEYS: &[&str] = &["resulttype", "errorcode", "status.errorcode"];
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

/// The address in a source-like field: the whole value, or its first token when text
/// was appended to it.
fn parse_ip(s: &str) -> Option<String> {
    let whole = s.trim();
    whole
        .parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| {
            whole
                .split_whitespace()
                .next()
                .and_then(|t| t.trim_end_matches([',', ';']).parse().ok())
        })
        .map(|ip: std::net::IpAddr| ip.to_canonical().to_string())
}

/// The first whitespace-separated token of a coded field (`4625`, `failure`): text
/// appended to a code does not unmake it, so planted words cannot hide the event.
fn first_token(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

/// Whether the alert carries Windows logon fields, so a `signature_id` is an event code.
fn windows_logon(view: &AlertView<'_>) -> bool {
    view.leaves().iter().any(|l| {
        matches!(
            l.key.as_str(),
            "logontype" | "logon_type" | "targetusername" | "subjectusername"
        )
    }) || view.mentions("wineventlog")
        || view.mentions("microsoft-windows-security-auditing")
}

/// Event codes of the alert (Windows event ids under their usual spellings), with paths.
fn event_codes<'v, 'a>(view: &'v AlertView<'a>) -> Vec<(&'v crate::view::Leaf<'a>, String)> {
    let windows = windows_logon(view);
    view.leaves()
        .iter()
        .filter(|l| {
            EVENT_CODE_KEYS
                .iter()
                .chain(if windows { WINDOWS_ONLY_CODE_KEYS } else { &[] })
                .any(|k| *k == l.key || l.is_dotted(k))
        })
        .map(|l| (l, first_token(&l.text()).to_owned()))
        .collect()
}

/// A whole count: a JSON number, or a string of digits (SIEM exports often quote
/// numbers). Booleans, words and timestamps are not counts.
fn leaf_count(l: &crate::view::Leaf<'_>) -> Option<u64> {
    match l.value {
        serde_json::Value::Number(n) => n.as_f64().and_then(as_count),
        serde_json::Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        }
        _ => None,
    }
}

/// A key that names a number of things (`fail_count`, `total_failed`, `failed_logins`).
fn names_count(key: &str) -> bool {
    [
        "count", "total", "num", "attempt", "login", "logon", "auth", "tries", "events", "hits",
        "signin", "sign_in",
    ]
    .iter()
    .any(|w| key.contains(w))
}

/// A block a SIEM writes its aggregates into (`summary`, `aggregation`, `stats_1h`,
/// `correlation`, `threshold`).
fn aggregate_parent(parent: &str) -> bool {
    [
        "summary",
        "aggregat",
        "correlation",
        "stats",
        "threshold",
        "metric",
        "result",
        "totals",
        "counts",
        "rollup",
    ]
    .iter()
    .any(|w| parent.contains(w))
}

/// Keys for rates, ratios, times and labels, which never count events.
fn not_a_count(key: &str) -> bool {
    [
        "rate", "ratio", "pct", "percent", "time", "epoch", "date", "first", "last", "avg", "mean",
        "median", "duration", "reason", "type", "status", "msg", "message", "desc", "code", "_at",
        "_ts",
    ]
    .iter()
    .any(|w| key.contains(w))
        || key.ends_with("id")
}

/// Whether `key` speaks of failures (`fail_count`, `failed_50126`, `failures_total`),
/// not of failover, failsafe or failback.
fn names_failure(key: &str) -> bool {
    key.match_indices("fail").any(|(i, _)| {
        let rest = &key[i + 4..];
        !(rest.starts_with("over") || rest.starts_with("safe") || rest.starts_with("back"))
    })
}

/// Whether `key` names authentication (so a failure count under it is about logins).
fn names_auth(key: &str) -> bool {
    [
        "login",
        "logon",
        "auth",
        "signin",
        "sign_in",
        "password",
        "credential",
        "attempt",
        "cred",
    ]
    .iter()
    .any(|w| key.contains(w))
        || ENTRA_FAILURE_CODES.iter().any(|c| key.ends_with(c))
}

/// Whether a leaf sits where a SIEM writes its counts: at most three levels into
/// `raw_log`, and not inside content the client sent (a request's query or body,
/// headers, parameters, form fields, cookies), where an attacker can write a
/// `failed_logins: 1` of their own.
fn summary_place(path: &str) -> bool {
    const CONTENT: &[&str] = &[
        "request", "query", "param", "header", "body", "payload", "arg", "form", "cookie", "url",
        "uri", "message", "msg",
    ];
    let Some(rest) = path.strip_prefix("raw_log.") else {
        return false;
    };
    // At most three levels: `raw_log.a.b.key`.
    let Some((parents, _key)) = rest.rsplit_once('.') else {
        return true;
    };
    if parents.bytes().filter(|b| *b == b'.').count() > 1 {
        return false;
    }
    let parents = parents.to_ascii_lowercase();
    !CONTENT.iter().any(|c| parents.contains(c))
}

/// The first count under one of `keys` where a SIEM writes its counts
/// ([`summary_place`]).
fn placed_count(view: &AlertView<'_>, keys: &[&str]) -> Option<(u64, String)> {
    view.by_keys(keys)
        .filter(|l| summary_place(&l.path))
        .find_map(|l| l.number().and_then(as_count).map(|c| (c, l.path.clone())))
}

/// A failure count under a key pattern (`fail_count`, `failed_50126` in a summary block,
/// `count` under a `failures` block): `(count, path, trusted)`, trusted when the key also
/// names authentication. The value must be a count.
fn failure_count_by_pattern(view: &AlertView<'_>) -> Option<(u64, String, bool)> {
    let mut best: Option<(u64, String, bool)> = None;
    for l in view.leaves() {
        let key = l.key.as_str();
        let (hit, trusted) = if names_failure(key) {
            let digits = key.trim_end_matches(|c: char| c.is_ascii_digit()).len() < key.len();
            let shaped = names_count(key) || aggregate_parent(&l.parent) || digits;
            (shaped && !not_a_count(key), names_auth(key))
        } else if matches!(key, "count" | "total") && names_failure(&l.parent) {
            (true, names_auth(&l.parent))
        } else {
            (false, false)
        };
        if !hit || !summary_place(&l.path) {
            continue;
        }
        let Some(n) = leaf_count(l) else { continue };
        // A trusted count beats an untrusted one; among equals the first wins.
        if best.as_ref().is_none_or(|(_, _, t)| trusted && !*t) {
            best = Some((n, l.path.clone(), trusted));
        }
    }
    best
}

/// A distinct-username count under a key pattern (`distinct_UserPrincipalName`,
/// `unique_accounts`, `dc(upn)`); user agents are not users.
fn distinct_users_by_pattern(view: &AlertView<'_>) -> Option<(u64, String)> {
    view.leaves().iter().find_map(|l| {
        let k = l.key.as_str();
        let distinct = ["distinct", "unique", "dc(", "dc_", "nunique", "cardinality"]
            .iter()
            .any(|w| k.contains(w));
        let users = [
            "user",
            "account",
            "upn",
            "principal",
            "identit",
            "login_name",
        ]
        .iter()
        .any(|w| k.contains(w));
        let other = k.contains("agent") || not_a_count(k);
        if !(distinct && users) || other || !summary_place(&l.path) {
            return None;
        }
        leaf_count(l).map(|n| (n, l.path.clone()))
    })
}

/// A success count under a key pattern (`success_count`, `logins_succeeded`, `success`
/// in a summary block): a count, never a flag, and never `unsuccessful`.
fn success_count_by_pattern(view: &AlertView<'_>) -> Option<(u64, String)> {
    view.leaves().iter().find_map(|l| {
        let k = l.key.as_str();
        let success = (k.contains("success") || k.contains("succeeded"))
            && !k.contains("unsuccess")
            && !k.contains("nonsuccess")
            && !k.contains("non_success")
            && !names_failure(k);
        if !success
            || not_a_count(k)
            || !(names_count(k) || aggregate_parent(&l.parent))
            || !summary_place(&l.path)
        {
            return None;
        }
        leaf_count(l).map(|n| (n, l.path.clone()))
    })
}

static AUTH_EVENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^user\.session\.start$|^user\.authentication\.(sso|authenticate|verify)$|^(user_)?(login|logon|sign_?in|authentication)$")
        .expect("constant regex compiles")
});

/// Explicit outcomes of typed authentication events (Okta `eventType:
/// user.session.start` with `outcome.result`, an `event_type: authentication` with a
/// `result`): `(succeeded, path)`. Only the words an identity provider writes for a
/// success or a credential failure count; anything else (`DENY`, `CHALLENGE`, free text)
/// is neither.
pub(super) fn auth_outcomes(view: &AlertView<'_>) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for ev in view.leaves().iter().filter(|l| {
        matches!(l.key.as_str(), "eventtype" | "event_type" | "operationname")
            && l.value
                .as_str()
                .is_some_and(|s| AUTH_EVENT.is_match(s.trim()))
    }) {
        let Some((prefix, _)) = ev.path.rsplit_once('.') else {
            continue;
        };
        for l in view.leaves() {
            let Some(rest) = l
                .path
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
            else {
                continue;
            };
            if !matches!(
                rest.to_ascii_lowercase().as_str(),
                "outcome.result" | "outcome" | "result"
            ) {
                continue;
            }
            match first_token(&l.text()).to_ascii_lowercase().as_str() {
                "success" | "succeeded" | "successful" => out.push((true, l.path.clone())),
                "failure" | "failed" => out.push((false, l.path.clone())),
                _ => {}
            }
        }
    }
    out
}

fn gather(input: &TriageInput<'_>, view: &AlertView<'_>) -> Option<AuthFacts> {
    let codes = event_codes(view);
    let event_failure = codes
        .iter()
        .any(|(_, c)| FAILED_LOGON_EVENTS.contains(&c.as_str()))
        || view
            .by_keys(ENTRA_CODE_KEYS)
            .any(|l| ENTRA_FAILURE_CODES.contains(&first_token(&l.text())));
    let outcomes = auth_outcomes(view);
    let outcome_failure = outcomes.iter().any(|(ok, _)| !ok);
    let ecs_failure = view
        .string(&["event.outcome"])
        .is_some_and(|(s, _)| first_token(s).eq_ignore_ascii_case("failure"))
        && view.leaves().iter().any(|l| {
            l.parent == "event"
                && l.key == "category"
                && first_token(&l.text()).eq_ignore_ascii_case("authentication")
        });
    let typed_failure = view
        .by_keys(&[
            "event_type",
            "eventtype",
            "event.type",
            "event.action",
            "action",
        ])
        .any(|l| AUTH_EVENT_TYPES.contains(&first_token(&l.text()).to_ascii_lowercase().as_str()));
    let structured = event_failure || ecs_failure || typed_failure || outcome_failure;
    let summaries = summary_texts(view);
    let wording = summaries.iter().any(|(s, _)| affirmed(&FAILURE_WORDING, s));
    let specific = placed_count(view, FAILURE_KEYS);
    // A failed-authentication count in an authentication log's aggregate (sshd, PAM,
    // an identity provider) is a signal on its own, whatever the title says.
    let auth_log = view
        .by_keys(&[
            "log_source",
            "program",
            "appname",
            "sourcetype",
            "service",
            "product",
        ])
        .any(|l| {
            let s = l.text().to_ascii_lowercase();
            [
                "sshd",
                "linux_auth",
                "auth.log",
                "secure",
                "pam",
                "winlogon",
                "kerberos",
            ]
            .iter()
            .any(|w| s.contains(w))
        });
    let counted = auth_log && specific.as_ref().is_some_and(|(n, _)| *n > 0);
    if !(structured || wording || counted) {
        return None;
    }
    let pattern = failure_count_by_pattern(view);
    let specific = specific.or_else(|| {
        pattern
            .as_ref()
            .filter(|(_, _, trusted)| *trusted)
            .map(|(n, p, _)| (*n, p.clone()))
    });
    let count_trusted = specific.is_some() || structured;
    let failures = specific
        .or_else(|| {
            // A SIEM's aggregate count: under an aggregation or threshold block, a
            // correlation rule's frequency (Wazuh), or a search's top-level `count`
            // (Splunk), read only because the alert is about failed authentication.
            view.leaves()
                .iter()
                .find(|l| {
                    l.key == "count"
                        && matches!(
                            l.parent.as_str(),
                            "aggregation"
                                | "threshold_result"
                                | "raw_log"
                                | "result"
                                | "threshold"
                                | "correlation"
                                | "summary"
                        )
                })
                .and_then(|l| l.number().and_then(as_count).map(|c| (c, l.path.clone())))
        })
        .or_else(|| {
            // Wazuh: a correlation rule fires after `frequency` events and has fired
            // `firedtimes` times for this source.
            let get = |k: &str| {
                view.leaves()
                    .iter()
                    .find(|l| l.key == k && l.parent == "rule")
                    .and_then(|l| l.number().and_then(as_count).map(|c| (c, l.path.clone())))
            };
            let (freq, fp) = get("frequency")?;
            Some(match get("firedtimes") {
                Some((times, tp)) => (freq.saturating_mul(times.max(1)), format!("{fp}, {tp}")),
                None => (freq, fp),
            })
        })
        .or_else(|| placed_count(view, GENERIC_FAILURE_KEYS))
        .or_else(|| pattern.as_ref().map(|(n, p, _)| (*n, p.clone())))
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
            let n = codes
                .iter()
                .filter(|(_, c)| {
                    FAILED_LOGON_EVENTS.contains(&c.as_str()) || c == "4768" && view.mentions("0x6")
                })
                .count();
            (n > 0).then(|| (n as u64, "raw_log.events".to_owned()))
        });

    let users = placed_count(view, DISTINCT_USER_KEYS)
        .or_else(|| distinct_users_by_pattern(view))
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
    let numeric = placed_count(view, SUCCESS_KEYS).or_else(|| success_count_by_pattern(view));
    // Log lines only (not user names or other content an attacker fills). A concrete
    // "Accepted" line beats a zero count (the conflict is recorded): missing a
    // compromise costs more than checking one.
    let lines: Vec<&str> = view
        .leaves()
        .iter()
        .filter(|l| LOG_LINE_KEYS.contains(&l.key.as_str()))
        .filter(|l| l.value.as_str().is_some_and(|s| SUCCESS_LINE.is_match(s)))
        .map(|l| l.path.as_str())
        .collect();
    let logon_events = codes.iter().filter(|(_, c)| c == "4624").count();
    // Typed successes: an identity provider's authentication event with an explicit
    // success outcome (Okta `user.session.start` + `outcome.result: SUCCESS`).
    let typed_successes: Vec<&String> = outcomes
        .iter()
        .filter(|(ok, _)| *ok)
        .map(|(_, p)| p)
        .collect();
    let denial = summaries
        .iter()
        .find(|(s, _)| NO_SUCCESS.is_match(s))
        .map(|(_, p)| p.clone());
    let positive = match &numeric {
        Some((n, p)) if *n > 0 => Some((*n, p.clone())),
        _ if !lines.is_empty() => Some((lines.len() as u64, lines[0].to_owned())),
        _ if logon_events > 0 => Some((logon_events as u64, "raw_log.events (4624)".to_owned())),
        _ if !typed_successes.is_empty() => {
            Some((typed_successes.len() as u64, typed_successes[0].clone()))
        }
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
    } else if text.contains("okta") {
        "Okta"
    } else if text.contains("signinlogs") || text.contains("entra id") {
        "Entra ID"
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

/// Sets the authentication facts.
pub(super) fn detect(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    mfa(f);
    let Some(a) = gather(input, f.view) else {
        return;
    };
    f.set_flag("auth.signal", true, "title, summary fields, event codes");
    f.set_flag(
        "auth.structured",
        a.structured,
        "event codes, event.outcome, event_type",
    );
    let failures = a.failures.as_ref().map(|(n, _)| *n);
    let users = a.users.as_ref().map(|(n, _)| *n);
    // No failures beside several usernames tried contradicts itself (each name tried failed
    // at least once): the count is not trusted and not stated.
    let conflict = match (&a.failures, &a.users) {
        (Some((0, fp)), Some((n, up))) if *n >= 2 => Some((*n, fp, up)),
        _ => None,
    };
    f.set_flag(
        "auth.count_trusted",
        (a.count_trusted || a.structured) && conflict.is_none(),
        "failure count field",
    );
    if let Some((n, fp, up)) = conflict {
        f.put_text(
            "auth.count_conflict",
            format!("a failure count of 0 beside {n} usernames tried"),
            format!("{fp}, {up}"),
        );
    } else if let Some((n, p)) = &a.failures {
        f.put_num("auth.failures", *n as f64, p.clone());
    }
    if let Some((n, p)) = &a.users {
        f.put_num("auth.users", *n as f64, p.clone());
    }
    if !a.user_sample.is_empty() {
        f.put_text(
            "auth.user_sample",
            a.user_sample.join(", "),
            "usernames tried",
        );
    }
    match &a.successes {
        Some((n, p)) => {
            f.put_num("auth.successes", *n as f64, p.clone());
            f.set_flag("auth.succeeded", *n > 0, p.clone());
            if *n > 0 {
                // For templates: present only when there is a success to report.
                f.put_num("auth.successful_logins", *n as f64, p.clone());
            }
        }
        None => f.set_flag("auth.success_unknown", true, "no success field"),
    }
    if let Some(c) = &a.success_conflict {
        f.put_text("auth.success_conflict", c.clone(), c.clone());
    }
    f.put_text("auth.service", a.service, "alert wording");
    f.set_flag(
        "auth.burst",
        failures.is_some_and(|n| n >= 50) || users.is_some_and(|n| n >= 5),
        "failure and username counts",
    );
    f.set_flag(
        "auth.large",
        failures.is_some_and(|n| n >= 100) || users.is_some_and(|n| n >= 10),
        "failure and username counts",
    );
    if let Some((ip, path)) = &a.source_ip {
        f.put_text("auth.source_ip", ip.clone(), path.clone());
        let scope = input.ip_scope(ip);
        f.set_flag(
            "auth.source_external",
            crate::playbook::detectors::outside(scope),
            path.clone(),
        );
        f.set_flag(
            "auth.source_internal",
            scope == Some(Scope::Internal),
            path.clone(),
        );
        if let Some(i) = input
            .intel_for(true, ip)
            .filter(|i| i.malicious || i.suspicious)
        {
            f.set_flag("auth.source_listed", true, i.evidence_id.clone());
            f.put_text(
                "auth.source_tags",
                describe_tags(&i.tags),
                i.evidence_id.clone(),
            );
        }
    }
    if let Some((h, l)) = f.view.string(&[
        "source_host",
        "source.domain",
        "src_host",
        "source_hostname",
        "src_hostname",
        "source.hostname",
    ]) {
        let (h, p) = (h.to_owned(), l.path.clone());
        f.put_text("auth.source_host", h, p);
    }
    if let Some(t) = &a.target {
        f.put_text("target", t.clone(), "host");
    }
    if let Some(t) = &a.first_seen {
        f.put_text("auth.first_seen", t.clone(), "first_seen");
    }
}

static MFA_DENIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(denied|deny|rejected|reject|declined|fraud|timeout|timed_out|failed|failure)$",
    )
    .expect("constant regex compiles")
});
/// Pushed-MFA factors under the names identity providers give them (Duo `duo_push`,
/// Okta Verify, Microsoft Authenticator, a phone call); one-time codes are not pushed.
static PUSH_FACTOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)mfa|push|okta_verify|authenticator|phone[ _]call|mobile app notification")
        .expect("constant regex compiles")
});
/// Reasons that say the user (or nobody) answered the prompt: a denial or a timeout, as
/// opposed to a policy block (`deny_unenrolled_user`, `location_restricted`).
static USER_DENIAL_REASON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(user_declined|declined|no_response|timeout|timed_out|user_marked_fraud|fraud|user_rejected|rejected|denied_by_user|user denied|user rejected.*)$")
        .expect("constant regex compiles")
});

/// Pushed-MFA prompts: denials (or timeouts) and approvals, from event lists whose type
/// or factor names a pushed MFA (`type: mfa_push`, Duo `factor: duo_push`, Okta
/// `eventType: user.mfa.okta_verify.deny_push`).
fn mfa(f: &mut Facts<'_>) {
    let parent = |p: &str| {
        p.rsplit_once('.')
            .map_or(String::new(), |(x, _)| x.to_owned())
    };
    let mut mfa_events: Vec<String> = f
        .view
        .leaves()
        .iter()
        .filter(|s| match s.key.as_str() {
            // An event type names MFA itself (`mfa_push`, `user.mfa.okta_verify.*`): a
            // `git.push` is no prompt.
            "type" | "event_type" | "eventtype" => s.text().to_ascii_lowercase().contains("mfa"),
            "factor" | "factortype" | "factor_type" => PUSH_FACTOR.is_match(&s.text()),
            _ => false,
        })
        .map(|s| parent(&s.path))
        .collect();
    mfa_events.sort();
    mfa_events.dedup();
    // A list of events repeats what a top-level summary says: count the list only.
    if mfa_events.iter().any(|p| p.ends_with(']')) {
        mfa_events.retain(|p| p.ends_with(']'));
    }
    if mfa_events.is_empty() {
        return;
    }
    let mut denied = 0u32;
    let mut approved = false;
    let mut path = String::new();
    for ev in &mfa_events {
        // The event's own fields, and those of an `outcome` object under it (Okta).
        let field = |keys: &[&str]| {
            f.view.leaves().iter().find(|l| {
                keys.contains(&l.key.as_str()) && {
                    let p = parent(&l.path);
                    p == *ev || parent(&p) == *ev && p.ends_with(".outcome")
                }
            })
        };
        let typed_denial = field(&["eventtype", "event_type", "type"]).is_some_and(|l| {
            let t = l.text().to_ascii_lowercase();
            t.contains("deny_push") || t.ends_with(".deny") || t.contains("push_denied")
        });
        let result = field(&["result", "status", "outcome"]);
        let reason = field(&["reason"]).map(|l| l.text());
        let result_denied = result.is_some_and(|l| MFA_DENIED.is_match(l.text().trim()));
        let reason_says_user = reason
            .as_deref()
            .is_some_and(|r| USER_DENIAL_REASON.is_match(r.trim()));
        // A denial with a reason counts only when the reason is the user's (or a
        // timeout): a policy block is not a prompt the user turned down.
        let denial = typed_denial || result_denied && (reason.is_none() || reason_says_user);
        if denial {
            denied += 1;
            if path.is_empty() {
                path = result.map_or_else(|| ev.clone(), |l| l.path.clone());
            }
        } else if result.is_some_and(|l| {
            matches!(
                l.text().trim().to_ascii_lowercase().as_str(),
                "approved" | "success" | "accepted" | "allowed"
            )
        }) {
            approved = true;
        }
    }
    if denied > 0 {
        f.put_num("auth.mfa_denials", f64::from(denied), path.clone());
    }
    f.set_flag("auth.mfa_approved", approved && denied > 0, path);
}
