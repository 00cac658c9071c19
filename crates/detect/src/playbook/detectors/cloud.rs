//! Identity and cloud control-plane activity: OAuth consent grants, sign-ins from places a
//! person cannot travel between, and IAM writes (new users, access keys, admin policies).
//!
//! Facts: `oauth.*` (consent, app, app_id, verified, unverified, risky_scopes,
//! scope_names, offline_access, new_app, admin_consent, post_activity, post_mail_read,
//! post_drive_items, post_source_ip, post_source_listed, post_scripted, user),
//! `travel.*` (successes, countries, impossible, velocity, minutes, token_reuse, ips,
//! places, legacy_client), `iam.*` (calls, create_user, create_key, admin_policy,
//! new_user, principal, no_mfa, source_ip, unusual_source, usual_sources, first_writes,
//! source_listed, success).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::super::facts::Facts;
use super::{in_cidr, num};
use crate::triage::TriageInput;
use crate::view::AlertView;

/// The first boolean under one of `keys`, with its path.
pub(super) fn boolean(view: &AlertView<'_>, keys: &[&str]) -> Option<(bool, String)> {
    view.by_keys(keys).find_map(|l| match l.value {
        Value::Bool(b) => Some((*b, l.path.clone())),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Some((true, l.path.clone())),
            "false" | "no" => Some((false, l.path.clone())),
            _ => None,
        },
        _ => None,
    })
}

static CONSENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)consent to application|consent (was )?granted|add (delegated|app role) (permission|assignment) grant|oauth consent|admin consent")
        .expect("constant regex compiles")
});
/// Delegated or application permissions that read or act on mail, files or the directory.
static RISKY_SCOPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(mail\.(read|readwrite|send|readbasic)(\.all|\.shared)?|mailboxsettings\.readwrite|files\.(read|readwrite)(\.all)?|sites\.(read|readwrite|fullcontrol)\.all|directory\.(read|readwrite|accessasuser)\.all|user\.readwrite\.all|contacts\.(read|readwrite)|full_access_as_app|ews\.accessasuser\.all|exchange\.manageasapp|application\.readwrite\.all|approleassignment\.readwrite\.all|rolemanagement\.readwrite\.directory)$")
        .expect("constant regex compiles")
});
static SCRIPTED_UA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)python-requests|python-urllib|aiohttp|curl/|wget/|go-http-client|powershell|okhttp|axios|node-fetch|libwww|httpclient")
        .expect("constant regex compiles")
});

/// Name/value pairs written as list items (Entra AuditLogs `modifiedProperties`
/// `{displayName, newValue}`, `AdditionalDetails` `{key, value}`): the name with
/// non-alphanumerics removed and lower-cased, the value with its quotes trimmed, and the
/// value's path.
fn pairs(view: &AlertView<'_>) -> Vec<(String, String, String)> {
    let leaves = view.leaves();
    let mut out = Vec::new();
    for n in leaves {
        if !matches!(n.key.as_str(), "displayname" | "key" | "name") || !n.path.contains(']') {
            continue;
        }
        let Some(name) = n.value.as_str() else {
            continue;
        };
        let Some((prefix, _)) = n.path.rsplit_once('.') else {
            continue;
        };
        if !prefix.ends_with(']') {
            continue;
        }
        let value = leaves.iter().find(|v| {
            matches!(v.key.as_str(), "newvalue" | "value")
                && v.path.rsplit_once('.').is_some_and(|(p, _)| p == prefix)
        });
        if let Some(v) = value {
            let key: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            let text = v.text().trim().trim_matches(['"', '\\', ' ']).to_owned();
            out.push((key, text, v.path.clone()));
        }
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// The scopes in an Entra `ConsentAction.Permissions` value (`... Scope: Mail.Read
/// offline_access, CreatedDateTime: ...`).
fn permission_scopes(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(i) = rest.find("Scope:") {
        let after = &rest[i + "Scope:".len()..];
        let end = after.find([',', ']', ';']).unwrap_or(after.len());
        out.push(after[..end].trim().to_owned());
        rest = &after[end..];
    }
    out
}

fn oauth(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    let op = view
        .string(&[
            "operation",
            "activity",
            "activity_display_name",
            "operationname",
            "event.action",
            "action",
        ])
        .filter(|(s, _)| CONSENT.is_match(s));
    let titled = CONSENT.is_match(&view.alert.title);
    if op.is_none() && !titled {
        return;
    }
    let path = op.map_or_else(|| "title".to_owned(), |(_, l)| l.path.clone());
    f.set_flag("oauth.consent", true, path);
    if let Some((s, l)) = view
        .string(&[
            "app_display_name",
            "application",
            "app_name",
            "target_app",
            "appdisplayname",
        ])
        .or_else(|| {
            // Entra AuditLogs: the service principal consented to.
            view.leaves()
                .iter()
                .find(|l| l.key == "displayname" && l.parent == "targetresources")
                .and_then(|l| l.value.as_str().map(|s| (s, l)))
        })
    {
        f.put_text("oauth.app", s.to_owned(), l.path.clone());
    }
    if let Some((s, l)) = view.string(&["app_id", "appid", "client_id", "application_id"]) {
        f.put_text("oauth.app_id", s.to_owned(), l.path.clone());
    }
    if let Some((b, p)) = boolean(
        view,
        &[
            "publisher_verified",
            "verified_publisher",
            "is_publisher_verified",
        ],
    ) {
        f.set_flag("oauth.verified", b, p.clone());
        f.set_flag("oauth.unverified", !b, p);
    }
    let kv = pairs(view);
    let pair = |suffix: &str| kv.iter().find(|(k, _, _)| k.ends_with(suffix));
    if f.get("oauth.verified").is_none()
        && f.get("oauth.unverified").is_none()
        && let Some((_, v, p)) = pair("publisherverified")
    {
        match v.to_ascii_lowercase().as_str() {
            "true" => f.set_flag("oauth.verified", true, p.clone()),
            "false" => f.set_flag("oauth.unverified", true, p.clone()),
            _ => {}
        }
    }
    if let Some((_, v, p)) = pair("isadminconsent") {
        f.set_flag(
            "oauth.admin_consent",
            v.eq_ignore_ascii_case("true"),
            p.clone(),
        );
    }
    if let Some((s, l)) = view.string(&["publisher", "publisher_name"]) {
        f.put_text("oauth.publisher", s.to_owned(), l.path.clone());
    }
    if let Some((b, p)) = boolean(view, &["multi_tenant", "multitenant"]) {
        f.set_flag("oauth.multi_tenant", b, p);
    }
    if let Some((s, l)) = view.string(&["consent_type", "consenttype"]) {
        f.set_flag(
            "oauth.admin_consent",
            s.eq_ignore_ascii_case("allprincipals") || s.to_ascii_lowercase().contains("admin"),
            l.path.clone(),
        );
    }
    let mut scopes: Vec<(String, String)> = view
        .by_keys(&[
            "scopes_granted",
            "scopes",
            "scope",
            "permissions",
            "oauth2permissiongrant.scope",
        ])
        .filter_map(|l| l.value.as_str().map(|s| (s.to_owned(), l.path.clone())))
        .collect();
    if scopes.is_empty() {
        for (k, v, p) in &kv {
            if k.ends_with("permissions") || k.ends_with("scope") {
                scopes.extend(permission_scopes(v).into_iter().map(|s| (s, p.clone())));
            }
        }
    }
    let mut risky = Vec::new();
    let mut offline = false;
    let mut scope_path = String::new();
    for (s, p) in &scopes {
        scope_path = p.clone();
        for w in s
            .split([' ', ',', ';'])
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            if RISKY_SCOPE.is_match(w) && !risky.contains(&w.to_owned()) {
                risky.push(w.to_owned());
            }
            if w.eq_ignore_ascii_case("offline_access") {
                offline = true;
            }
        }
    }
    if !scopes.is_empty() {
        f.put_num("oauth.risky_scopes", risky.len() as f64, scope_path.clone());
        f.put_text("oauth.scope_names", risky.join(" "), scope_path.clone());
        f.set_flag("oauth.offline_access", offline, scope_path);
    }
    let age = view.number(&[
        "app_registration_age_days",
        "app_age_days",
        "registration_age_days",
    ]);
    if let Some((d, l)) = age {
        f.set_flag("oauth.new_app", d <= 30.0, l.path.clone());
        f.put_num("oauth.app_age_days", d, l.path.clone());
    }
    let mut post = 0.0;
    for (key, fact) in [
        ("mail_messages_read", "oauth.post_mail_read"),
        ("drive_items_enumerated", "oauth.post_drive_items"),
        ("mail_messages_sent", "oauth.post_mail_sent"),
        ("files_downloaded", "oauth.post_files_downloaded"),
    ] {
        if let Some((n, l)) = view.number(&[key])
            && n > 0.0
        {
            f.put_num(fact, n, l.path.clone());
            post += n;
        }
    }
    f.set_flag("oauth.post_activity", post > 0.0, "post-consent activity");
    // Where the app acted from after the consent.
    let post_ip = view.leaves().iter().find_map(|l| {
        (l.path.contains("post_consent") && (l.key.ends_with("ip") || l.key == "source_ip"))
            .then(|| l.value.as_str().map(|s| (s.to_owned(), l.path.clone())))
            .flatten()
    });
    if let Some((ip, p)) = post_ip {
        f.put_text("oauth.post_source_ip", ip.clone(), p.clone());
        let listed = input
            .intel_for(true, &ip)
            .is_some_and(|i| i.malicious || i.suspicious);
        f.set_flag("oauth.post_source_listed", listed, p.clone());
        f.set_flag(
            "oauth.post_source_external",
            crate::playbook::detectors::outside(input.ip_scope(&ip)),
            p,
        );
    }
    let ua = view
        .leaves()
        .iter()
        .find(|l| l.path.contains("post_consent") && l.key.contains("user_agent"));
    if let Some(l) = ua {
        f.set_flag(
            "oauth.post_scripted",
            SCRIPTED_UA.is_match(&l.text()),
            l.path.clone(),
        );
    }
    if let Some((s, l)) = view.string(&["initiated_by", "user", "actor", "userprincipalname"]) {
        f.put_text("oauth.user", s.to_owned(), l.path.clone());
    }
}

/// Keys of a sign-in record's country (Entra `location.countryOrRegion`, Duo
/// `access_device.location.country`, MCAS `country`).
const COUNTRY_KEYS: &[&str] = &[
    "country",
    "country_code",
    "country_iso_code",
    "countryorregion",
    "countrycode",
];

/// A country in a record's `location` text: a bare code (`US`, Log Analytics) or the last
/// part of `City, CC`.
fn location_country(s: &str) -> Option<String> {
    let last = s.rsplit(',').next()?.trim();
    (last.len() == 2 && last.bytes().all(|b| b.is_ascii_uppercase())).then(|| last.to_owned())
}

static TRAVEL_DETECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)impossible[ _-]?travel|unlikely[ _-]?travel|atypical[ _-]?travel")
        .expect("constant regex compiles")
});

/// Great-circle-free check: two successful sign-ins in different countries.
fn travel(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    // Sign-in records: items of a list that carry a country (at any depth) and a result.
    let mut records: Vec<(String, String, String, String)> = Vec::new(); // (prefix, country, result, ip)
    let mut prefixes: Vec<String> = Vec::new();
    let record_of = |path: &str| path.rfind(']').map(|i| path[..=i].to_owned());
    for l in view.leaves() {
        let country = COUNTRY_KEYS.contains(&l.key.as_str())
            || l.key == "location" && l.value.as_str().and_then(location_country).is_some();
        if country
            && let Some(p) = record_of(&l.path)
            && !prefixes.contains(&p)
            && prefixes.len() < 32
        {
            prefixes.push(p);
        }
    }
    if prefixes.len() < 2 {
        return;
    }
    // An impossible-travel detection named by a structured field (MCAS `policy`, Entra
    // `riskEventType`): its activity records are the sign-ins it judged, even without a
    // result field each.
    let detection = view
        .by_keys(&[
            "policy",
            "riskeventtype",
            "risk_event_type",
            "alert_type",
            "alerttype",
            "detection",
            "rule_name",
        ])
        .any(|l| TRAVEL_DETECTION.is_match(&l.text()));
    for p in &prefixes {
        let inside = |l: &&crate::view::Leaf<'_>| {
            l.path
                .strip_prefix(p.as_str())
                .is_some_and(|r| r.starts_with('.') && !r.contains('['))
        };
        let get = |k: &[&str]| {
            view.leaves()
                .iter()
                .filter(inside)
                .find(|l| k.contains(&l.key.as_str()))
                .map(|l| l.text())
        };
        let country = get(COUNTRY_KEYS)
            .or_else(|| {
                view.leaves()
                    .iter()
                    .filter(inside)
                    .find(|l| l.key == "location")
                    .and_then(|l| l.value.as_str().and_then(location_country))
            })
            .unwrap_or_default();
        let result = get(&["result", "status", "outcome"])
            .or_else(|| {
                // Entra: `status.errorCode` / `ResultType`, 0 for a success.
                get(&["errorcode", "resulttype"]).map(|c| {
                    if c.trim() == "0" {
                        "success".to_owned()
                    } else {
                        "failure".to_owned()
                    }
                })
            })
            .unwrap_or_else(|| {
                if detection {
                    "success".to_owned()
                } else {
                    String::new()
                }
            });
        let ip = get(&[
            "source_ip",
            "ip",
            "ip_address",
            "ipaddress",
            "src_ip",
            "client_ip",
        ])
        .unwrap_or_default();
        let city = get(&["city"]).unwrap_or_default();
        records.push((
            p.clone(),
            country,
            result,
            if city.is_empty() {
                ip
            } else {
                format!("{ip} ({city})")
            },
        ));
    }
    let ok: Vec<&(String, String, String, String)> = records
        .iter()
        .filter(|r| {
            matches!(
                r.2.to_ascii_lowercase().as_str(),
                "success" | "succeeded" | "0" | "ok" | "allowed"
            )
        })
        .collect();
    let mut countries: Vec<String> = ok.iter().map(|r| r.1.to_uppercase()).collect();
    countries.sort();
    countries.dedup();
    let path = prefixes[0].split('[').next().unwrap_or("").to_owned();
    f.put_num("travel.successes", ok.len() as f64, path.clone());
    f.put_num("travel.countries", countries.len() as f64, path.clone());
    f.put_text("travel.country_list", countries.join(", "), path.clone());
    f.put_text(
        "travel.places",
        ok.iter()
            .map(|r| format!("{} from {}", r.1, r.3))
            .collect::<Vec<_>>()
            .join(" and "),
        path.clone(),
    );
    let ips: Vec<String> = ok
        .iter()
        .filter_map(|r| r.3.split_whitespace().next().map(str::to_owned))
        .collect();
    f.put_text("travel.ips", ips.join(", "), path.clone());
    let velocity = view.number(&[
        "geo_velocity_kmh_required",
        "velocity_kmh",
        "required_speed_kmh",
        "speed_kmh",
    ]);
    if let Some((v, l)) = velocity {
        f.put_num("travel.velocity", v, l.path.clone());
    }
    if let Some((m, l)) = view.number(&[
        "detection_window_minutes",
        "window_minutes",
        "minutes_between",
    ]) {
        f.put_num("travel.minutes", m, l.path.clone());
    }
    let fast = velocity.is_none_or(|(v, _)| v >= 900.0);
    f.set_flag(
        "travel.impossible",
        ok.len() >= 2 && countries.len() >= 2 && fast,
        path.clone(),
    );
    let token = view.leaves().iter().find(|l| {
        l.value.as_str().is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("existing_token")
                || s.contains("existing token")
                || s.contains("reused an existing session")
                || s.contains("token replay")
        })
    });
    if let Some(l) = token {
        f.set_flag("travel.token_reuse", true, l.path.clone());
    }
    let legacy = view.leaves().iter().find(|l| {
        (l.key == "client_app"
            || l.key == "clientapp"
            || l.key == "client"
            || l.key == "clientappused")
            && l.value.as_str().is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("activesync")
                    || s.contains("imap")
                    || s.contains("pop")
                    || s.contains("smtp auth")
            })
    });
    if let Some(l) = legacy {
        f.put_text("travel.legacy_client", l.text(), l.path.clone());
    }
    let listed = ips.iter().any(|ip| {
        input
            .intel_for(true, ip)
            .is_some_and(|i| i.malicious || i.suspicious)
    });
    f.set_flag("travel.listed_source", listed, "intel");
}

static IAM_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(Create(User|AccessKey|LoginProfile|Role|Policy|PolicyVersion)|Attach(User|Role|Group)Policy|Put(User|Role|Group)Policy|AddUserToGroup|UpdateAssumeRolePolicy|UpdateLoginProfile|CreateServiceAccountKey|SetIamPolicy)$")
        .expect("constant regex compiles")
});

fn iam(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    let calls: Vec<(String, String)> = view
        .by_keys(&[
            "event_name",
            "eventname",
            "api_call",
            "methodname",
            "operation_name",
        ])
        .filter_map(|l| {
            l.value
                .as_str()
                .map(|s| (s.trim().to_owned(), l.path.clone()))
        })
        .filter(|(s, _)| IAM_WRITE.is_match(s))
        .collect();
    if calls.is_empty() {
        return;
    }
    let path = calls[0].1.split('[').next().unwrap_or("").to_owned();
    f.put_text(
        "iam.calls",
        calls
            .iter()
            .map(|c| c.0.clone())
            .collect::<Vec<_>>()
            .join(", "),
        path.clone(),
    );
    let has = |names: &[&str]| {
        calls
            .iter()
            .find(|c| names.contains(&c.0.as_str()))
            .map(|c| c.1.clone())
    };
    if let Some(p) = has(&["CreateUser", "CreateLoginProfile"]) {
        f.set_flag("iam.create_user", true, p);
    }
    if let Some(p) = has(&["CreateAccessKey", "CreateServiceAccountKey"]) {
        f.set_flag("iam.create_key", true, p);
    }
    let admin = view.leaves().iter().find(|l| {
        l.value.as_str().is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("policy/administratoraccess")
                || s.contains("roles/owner")
                || s.ends_with("/iamfullaccess")
                || s.contains("poweruseraccess")
        })
    });
    if let Some(l) = admin {
        f.set_flag("iam.admin_policy", true, l.path.clone());
        f.put_text("iam.policy", l.text(), l.path.clone());
    }
    // The account created or given a key.
    let new_user = view
        .leaves()
        .iter()
        .find(|l| (l.key == "username" || l.key == "user_name") && l.path.contains("params"));
    if let Some(l) = new_user {
        f.put_text("iam.new_user", l.text(), l.path.clone());
    }
    if let Some((s, l)) = view.string(&[
        "principal",
        "useridentity.arn",
        "arn",
        "principal_email",
        "actor",
    ]) {
        f.put_text("iam.principal", s.to_owned(), l.path.clone());
    }
    if let Some((b, p)) =
        super::cloud::boolean(view, &["mfa_authenticated", "mfaauthenticated", "mfa"])
    {
        f.set_flag("iam.no_mfa", !b, p);
    }
    if let Some((s, l)) = view.string(&["auth_result", "result", "errorcode"]) {
        f.set_flag(
            "iam.success",
            s.eq_ignore_ascii_case("success"),
            l.path.clone(),
        );
    }
    if let Some((ip, l)) = view.string(&["source_ip", "sourceipaddress", "caller_ip", "callerip"]) {
        let ip = ip.trim().to_owned();
        f.put_text("iam.source_ip", ip.clone(), l.path.clone());
        f.set_flag(
            "iam.source_external",
            crate::playbook::detectors::outside(input.ip_scope(&ip)),
            l.path.clone(),
        );
        let listed = input
            .intel_for(true, &ip)
            .is_some_and(|i| i.malicious || i.suspicious);
        f.set_flag("iam.source_listed", listed, "intel");
        let ranges: Vec<(String, String)> = view
            .by_keys(&[
                "usual_source_ranges",
                "known_source_ranges",
                "expected_source_ranges",
                "baseline_ranges",
            ])
            .filter_map(|l| l.value.as_str().map(|s| (s.to_owned(), l.path.clone())))
            .collect();
        if !ranges.is_empty() {
            let inside = ranges.iter().any(|(r, _)| in_cidr(&ip, r));
            f.set_flag("iam.unusual_source", !inside, ranges[0].1.clone());
            f.put_text(
                "iam.usual_sources",
                ranges
                    .iter()
                    .map(|r| r.0.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                ranges[0].1.clone(),
            );
        }
    }
    let prior = view
        .leaves()
        .iter()
        .find(|l| l.key.starts_with("prior_") && l.key.contains("iam"));
    if let Some(l) = prior
        && num(l.value) == Some(0.0)
    {
        f.set_flag("iam.first_writes", true, l.path.clone());
    }
}

pub(super) fn detect(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    oauth(input, f);
    travel(input, f);
    iam(input, f);
}
