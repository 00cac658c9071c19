//! Network-side behaviour: DNS tunnelling, web attacks seen by a WAF, a user following a
//! link, scans, and threat-list hits on shared infrastructure.
//!
//! Facts: `dns.*` (domain, resolved_ip, queries, subdomains, entropy, subdomain_length,
//! txt_pct, new_domain, single_host, tunnel), `waf.*` (event, sqli, requests, blocked,
//! allowed, all_blocked, payload_families, keyword_only, scanner_ua, client_ip,
//! client_external, client_internal, uris, natural_query, authenticated, host),
//! `url.*` (click, url, domain, ip, from_mail, lure_domain, cred_path, submitted,
//! listed), `scan.*` (detected, hosts, ports, source_ip, source_internal), `intel.*`
//! (shared_infra, listed_ip, asn).

use std::sync::LazyLock;

use regex::Regex;
use soc_core::{IocKind, Scope};

use super::super::facts::Facts;
use super::{entropy, in_cidr};
use crate::triage::TriageInput;
use crate::view::AlertView;

fn dns(f: &mut Facts<'_>) {
    let view = f.view;
    let queries = view.number(&[
        "query_count_1h",
        "query_count",
        "queries",
        "dns_query_count",
        "total_queries",
    ]);
    let subdomains = view.number(&[
        "distinct_subdomains_1h",
        "distinct_subdomains",
        "unique_subdomains",
        "unique_queries",
        "unique_qnames",
        "distinct_qnames",
        "distinct_queries",
        "unique_query_names",
        "distinct_query_names",
        "dc(query)",
        "dc(qname)",
    ]);
    let title_dns = {
        let t = view.alert.title.to_ascii_lowercase();
        t.contains("dns") || t.contains("subdomain")
    };
    let typed = view
        .by_keys(&["event_type", "log_source", "category", "sourcetype"])
        .any(|l| l.text().to_ascii_lowercase().contains("dns"));
    if !(title_dns || typed) || (queries.is_none() && subdomains.is_none()) {
        return;
    }
    f.set_flag("dns.event", true, "event_type, title");
    if let Some((n, l)) = queries {
        f.put_num("dns.queries", n, l.path.clone());
    }
    if let Some((n, l)) = subdomains {
        f.put_num("dns.subdomains", n, l.path.clone());
    }
    let mut ent = view
        .number(&[
            "avg_subdomain_entropy_bits",
            "subdomain_entropy",
            "entropy",
            "avg_entropy",
            "shannon_entropy",
            "label_entropy",
            "qname_entropy",
            "avg_label_entropy",
        ])
        .map(|(n, l)| (n, l.path.clone()));
    let samples: Vec<(String, String)> = view
        .by_keys(&[
            "sample_queries",
            "queries_sample",
            "sample_query",
            "query",
            "qname",
            "samples",
            "sample_qnames",
            "query_samples",
            "dns.question.name",
        ])
        .filter_map(|l| l.value.as_str().map(|s| (s.to_owned(), l.path.clone())))
        .take(20)
        .collect();
    if ent.is_none() && !samples.is_empty() {
        let labels: Vec<f64> = samples
            .iter()
            .filter_map(|(q, _)| q.split('.').next().map(entropy))
            .collect();
        let avg = labels.iter().sum::<f64>() / labels.len().max(1) as f64;
        ent = Some((avg, samples[0].1.clone()));
    }
    if let Some((e, p)) = &ent {
        f.put_num("dns.entropy", *e, p.clone());
    }
    let len = view.number(&[
        "avg_subdomain_length",
        "subdomain_length",
        "avg_label_length",
        "avg_label_len",
        "avg_subdomain_len",
        "mean_label_length",
        "avg_qname_label_length",
    ]);
    if let Some((n, l)) = len {
        f.put_num("dns.subdomain_length", n, l.path.clone());
    }
    let txt = view
        .leaves()
        .iter()
        .find(|l| l.key == "txt" && l.parent.contains("qtype"))
        .and_then(|l| l.number().map(|n| (n, l.path.clone())));
    if let Some((n, p)) = &txt {
        f.put_num("dns.txt_pct", *n, p.clone());
    }
    // The record types asked for (Zeek `qtype_name`, ECS `dns.question.type`): NULL
    // records carry nothing but tunnelled data; a domain asked only for TXT/NULL records
    // is being used as a data channel, not resolved.
    let qtypes: Vec<(String, String)> = view
        .by_keys(&[
            "qtype_name",
            "qtype",
            "query_type",
            "record_type",
            "dns.question.type",
            "rrtype",
            "qtypes",
        ])
        .map(|l| (l.text().trim().to_ascii_uppercase(), l.path.clone()))
        .collect();
    let data_types = !qtypes.is_empty()
        && (qtypes.iter().any(|(t, _)| t == "NULL")
            || qtypes.iter().all(|(t, _)| t == "TXT" || t == "NULL"));
    if data_types {
        f.put_text(
            "dns.record_types",
            qtypes
                .iter()
                .map(|(t, _)| t.clone())
                .collect::<Vec<_>>()
                .join(", "),
            qtypes[0].1.clone(),
        );
    }
    if let Some((s, l)) = view.string(&[
        "domain",
        "query_domain",
        "base_domain",
        "registered_domain",
        "dns.question.registered_domain",
    ]) {
        f.put_text("dns.domain", s.to_owned(), l.path.clone());
    }
    if let Some((s, l)) = view.string(&[
        "resolved_ip",
        "answer_ip",
        "dns.resolved_ip",
        "resolved_ips",
    ]) {
        f.put_text("dns.resolved_ip", s.to_owned(), l.path.clone());
    }
    // New to the environment: first seen within 30 days of the alert, registered within
    // 30 days, flagged as newly observed, or a baseline note saying nobody queried it.
    let at = view.alert.timestamp;
    let new = view
        .leaves()
        .iter()
        .find(|l| match l.key.as_str() {
            "first_seen_domain" | "domain_first_seen" => l
                .value
                .as_str()
                .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
                .is_some_and(|t| (0..=30).contains(&at.signed_duration_since(t).num_days())),
            "domain_age_days" | "registration_age_days" => {
                l.number().is_some_and(|d| (0.0..=30.0).contains(&d))
            }
            "newly_observed" | "new_domain" => l.value.as_bool() == Some(true),
            "baseline_note" => l.value.as_str().is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("not queried")
                    || s.contains("never")
                    || s.contains("no other host")
                    || s.contains("first time")
            }),
            _ => false,
        })
        .map(|l| l.path.clone())
        .or_else(|| {
            let t = view.alert.title.to_ascii_lowercase();
            (t.contains("newly observed")
                || t.contains("new domain")
                || t.contains("newly registered"))
            .then(|| "title".to_owned())
        });
    if let Some(p) = new {
        f.set_flag("dns.new_domain", true, p);
    }
    let volume =
        queries.is_some_and(|(n, _)| n >= 1000.0) || subdomains.is_some_and(|(n, _)| n >= 300.0);
    let encoded = ent.as_ref().is_some_and(|(e, _)| *e >= 3.5)
        || len.is_some_and(|(n, _)| n >= 30.0)
        || txt.as_ref().is_some_and(|(n, _)| *n >= 30.0)
        || data_types;
    f.set_flag(
        "dns.tunnel",
        volume && encoded,
        "query volume, subdomain entropy and length, record types",
    );
}

static SQLI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)sql[ _-]?injection|sqli([^t]|$)|libinjection|942\d{3}")
        .expect("constant regex compiles")
});
static SCANNER_UA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)sqlmap|nikto|havij|acunetix|nuclei|wpscan|masscan|zgrab|dirbuster|gobuster|ffuf|wfuzz|burp|netsparker|appscan|w3af|nessus|openvas|arachni|jaeles|commix")
        .expect("constant regex compiles")
});
/// SQL syntax, as opposed to prose that mentions SQL words.
static SQL_SYNTAX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)'|"|--|/\*|;|\(|\)|=\s*\d|\bor\s+\d|\band\s+\d|sleep\s*\(|benchmark\s*\(|@@|0x[0-9a-f]{2}|char\s*\("#)
        .expect("constant regex compiles")
});

fn waf(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    let is_waf = view
        .by_keys(&["waf_engine", "waf_action", "waf_action_summary", "waf"])
        .next()
        .is_some()
        || view
            .string(&["event_type"])
            .is_some_and(|(s, _)| s.to_ascii_lowercase().contains("waf"))
        || view.alert.source.to_ascii_lowercase().contains("waf")
        || view
            .by_keys(&["log_source", "sourcetype", "event.module", "product"])
            .any(|l| WAF_WORD.is_match(&l.text()))
        // AWS WAF logs: the web ACL and its terminating rule.
        || view
            .by_keys(&["webaclid", "terminatingruleid"])
            .next()
            .is_some()
        || WAF_WORD.is_match(&view.alert.title);
    if !is_waf {
        return;
    }
    f.set_flag("waf.event", true, "waf fields");
    let sqli = SQLI.is_match(&view.alert.title)
        || view
            .by_keys(&[
                "matched_rule_msg",
                "rule_msg",
                "message",
                "matched_rule_id",
                "rule_id",
                "ruleid",
                "terminatingruleid",
                "conditiontype",
                "rulegroupid",
                "rule_group",
                "rulemessage",
                "rule_message",
                "attack_type",
            ])
            .any(|l| SQLI.is_match(&l.text()));
    f.set_flag("waf.sqli", sqli, "title, matched rules");
    if let Some((n, l)) = view
        .number(&["requests_in_window", "request_count", "requests", "hits"])
        .or_else(|| {
            // A windowed count (`requests_10m`, `requests_1h`).
            view.leaves()
                .iter()
                .filter(|l| {
                    l.key
                        .strip_prefix("requests_")
                        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
                })
                .find_map(|l| match l.value {
                    serde_json::Value::Number(n) => n.as_f64().map(|n| (n, l)),
                    _ => None,
                })
        })
    {
        f.put_num("waf.requests", n, l.path.clone());
    }
    let mut blocked = view
        .leaves()
        .iter()
        .find(|l| l.parent.contains("action_summary") && l.key == "blocked")
        .and_then(|l| l.number().map(|n| (n, l.path.clone())));
    let mut allowed = view
        .leaves()
        .iter()
        .find(|l| l.parent.contains("action_summary") && l.key == "allowed")
        .and_then(|l| l.number().map(|n| (n, l.path.clone())));
    if blocked.is_none() && allowed.is_none() {
        let actions: Vec<(String, String)> = view
            .by_keys(&["waf_action", "action", "disposition"])
            .map(|l| (l.text().to_ascii_lowercase(), l.path.clone()))
            .collect();
        if !actions.is_empty() {
            let b = actions
                .iter()
                .filter(|(a, _)| {
                    matches!(a.as_str(), "blocked" | "block" | "deny" | "denied" | "drop")
                })
                .count();
            let path = actions[0].1.clone();
            blocked = Some((b as f64, path.clone()));
            allowed = Some(((actions.len() - b) as f64, path));
        }
    }
    if let Some((n, p)) = &blocked {
        f.put_num("waf.blocked", *n, p.clone());
    }
    if let Some((n, p)) = &allowed {
        f.put_num("waf.allowed", *n, p.clone());
        f.set_flag(
            "waf.all_blocked",
            *n == 0.0 && blocked.as_ref().is_some_and(|b| b.0 > 0.0),
            p.clone(),
        );
    }
    if let Some((n, p)) = view.array_len(&[
        "distinct_payload_families",
        "payload_families",
        "attack_types",
    ]) {
        f.put_num("waf.payload_families", n as f64, p.to_owned());
        let only_keywords = view
            .by_keys(&["distinct_payload_families", "payload_families"])
            .all(|l| l.text().to_ascii_lowercase().contains("keyword"));
        f.set_flag("waf.keyword_only", only_keywords && n > 0, p.to_owned());
    }
    if let Some((n, l)) = view.number(&["distinct_uris_targeted", "distinct_uris", "uris_targeted"])
    {
        f.put_num("waf.uris", n, l.path.clone());
    }
    if let Some((s, p)) = view
        .string(&[
            "user_agent",
            "http.user_agent",
            "user_agent.original",
            "useragent",
        ])
        .map(|(s, l)| (s, l.path.clone()))
        .or_else(|| header(view, "user-agent"))
    {
        f.set_flag("waf.scanner_ua", SCANNER_UA.is_match(s), p.clone());
        if SCANNER_UA.is_match(s) {
            f.put_text("waf.tool", s.to_owned(), p);
        }
    }
    if let Some((ip, l)) = view.string(&[
        "client_ip",
        "client.ip",
        "src_ip",
        "source_ip",
        "source.ip",
        "remote_addr",
        "clientip",
    ]) {
        f.put_text("waf.client_ip", ip.to_owned(), l.path.clone());
        let scope = input.ip_scope(ip);
        f.set_flag(
            "waf.client_external",
            crate::playbook::detectors::outside(scope),
            l.path.clone(),
        );
        f.set_flag(
            "waf.client_internal",
            scope == Some(Scope::Internal),
            l.path.clone(),
        );
    }
    if let Some((s, l)) = view.string(&["authenticated_user", "auth_user", "user", "username"]) {
        f.set_flag("waf.authenticated", true, l.path.clone());
        f.put_text("waf.user", s.to_owned(), l.path.clone());
    }
    if let Some((s, l)) = view.string(&["host_header", "host", "server_name", "http.host"]) {
        f.put_text("waf.host", s.to_owned(), l.path.clone());
    }
    // Prose in the query: words joined by `+` or spaces, no SQL syntax.
    let queries: Vec<(String, String)> = view
        .by_keys(&["query", "query_string", "args", "uri_query"])
        .map(|l| (l.text(), l.path.clone()))
        .collect();
    if !queries.is_empty() {
        // Decoded first: `%27` is a quote however the WAF logged it.
        let prose = queries.iter().all(|(q, _)| {
            let decoded = percent_decode(&percent_decode(q));
            let value = decoded.split_once('=').map_or(decoded.as_str(), |(_, v)| v);
            let words = value.split(['+', ' ']).filter(|w| !w.is_empty()).count();
            !SQL_SYNTAX.is_match(value) && !value.contains('%') && words >= 4
        });
        f.set_flag("waf.natural_query", prose, queries[0].1.clone());
        f.put_text(
            "waf.sample_query",
            queries[0].0.clone(),
            queries[0].1.clone(),
        );
    }
}

/// A WAF named as such (`aws_waf`, `cloudflare_waf`, "AWS WAF: ..."), as a word.
static WAF_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(^|[^a-z])waf([^a-z]|$)|web application firewall")
        .expect("constant regex compiles")
});

/// An HTTP header from a list of `{name, value}` pairs (AWS WAF `httpRequest.headers`),
/// with the value's path.
fn header<'a>(view: &AlertView<'a>, name: &str) -> Option<(&'a str, String)> {
    let leaves = view.leaves();
    leaves.iter().find_map(|n| {
        if n.key != "name" || !n.value.as_str()?.trim().eq_ignore_ascii_case(name) {
            return None;
        }
        let (prefix, _) = n.path.rsplit_once('.')?;
        leaves.iter().find_map(|v| {
            (v.key == "value" && v.path.rsplit_once('.').is_some_and(|(p, _)| p == prefix))
                .then(|| v.value.as_str().map(|s| (s, v.path.clone())))
                .flatten()
        })
    })
}

/// Decodes `%XX` escapes and `+` (as a space is not needed: words split on both).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (
                (b[i + 1] as char).to_digit(16),
                (b[i + 2] as char).to_digit(16),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

static BRAND_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)office365|office-365|o365|microsoft|m365|outlook|onedrive|sharepoint|azure|okta|google|gmail|apple|icloud|paypal|docusign|dropbox|adobe|linkedin|amazon|netflix|dhl|fedex|ups|wellsfargo|chase|citi|hsbc|bankofamerica")
        .expect("constant regex compiles")
});
static CRED_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(login|log-in|signin|sign-in|verify|verification|mfa|2fa|account|secure|security|password|reset|renewal|auth|session|update)\b")
        .expect("constant regex compiles")
});
static CRED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/(auth|login|logon|signin|sign-in|verify|account|password|session|sso|oauth2?|owa|wp-login)\b")
        .expect("constant regex compiles")
});

fn url_click(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    // A recorded click: `event_type: url_navigation`, Proofpoint TAP `eventType:
    // clicksPermitted`, Defender `ActionType: ClickAllowed`.
    let typed = view
        .by_keys(&[
            "event_type",
            "event.action",
            "action",
            "eventtype",
            "actiontype",
        ])
        .any(|l| {
            let s = l.text().to_ascii_lowercase();
            s.contains("url_navigation") || s.contains("click") || s.contains("navigation")
        });
    let titled = {
        let t = view.alert.title.to_ascii_lowercase();
        t.contains("clicked") || t.contains("url click") || t.contains("link click")
    };
    if !(typed || titled) {
        return;
    }
    // The clicked URL: the shallowest one (a follow-up request's URL sits deeper).
    let Some((url, l)) = view
        .by_keys(&[
            "url",
            "destination_url",
            "request_url",
            "url.full",
            "clicked_url",
        ])
        .filter_map(|l| match l.value {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some((s.as_str(), l)),
            _ => None,
        })
        .min_by_key(|(_, l)| l.path.matches(['.', '[']).count())
    else {
        return;
    };
    f.set_flag(
        "url.click",
        true,
        if typed { "event_type" } else { "title" },
    );
    f.put_text("url.url", url.to_owned(), l.path.clone());
    let domain = view
        .string(&[
            "destination_domain",
            "domain",
            "dest_host",
            "url.domain",
            "host",
        ])
        .map(|(s, l)| (s.to_ascii_lowercase(), l.path.clone()))
        .or_else(|| {
            let rest = url.split("://").nth(1)?;
            let host = rest.split(['/', '?', '#', ':']).next()?;
            Some((host.to_ascii_lowercase(), l.path.clone()))
        });
    if let Some((d, p)) = &domain {
        f.put_text("url.domain", d.clone(), p.clone());
        let labels: Vec<&str> = d.split('.').collect();
        let sub = if labels.len() > 2 {
            labels[..labels.len() - 2].join(".")
        } else {
            String::new()
        };
        let registered = labels
            .iter()
            .rev()
            .take(2)
            .rev()
            .copied()
            .collect::<Vec<_>>()
            .join(".");
        // A brand or credential word in a subdomain of a domain the brand does not own.
        let lure = (!sub.is_empty()
            && (BRAND_WORDS.is_match(&sub) || CRED_WORDS.is_match(&sub.replace(['-', '.'], " "))))
            && !BRAND_WORDS.is_match(&registered);
        f.set_flag("url.lure_domain", lure, p.clone());
        let listed = input.intel.iter().any(|i| {
            (i.malicious || i.suspicious)
                && (i.ioc.value == *d || d.ends_with(&format!(".{}", i.ioc.value)))
        });
        f.set_flag("url.listed", listed, "intel");
    }
    f.set_flag("url.cred_path", CRED_PATH.is_match(url), l.path.clone());
    let from_mail = view
        .by_keys(&[
            "parent_process",
            "parent_image",
            "referer",
            "referrer",
            "http.request.referrer",
        ])
        .find(|l| {
            let s = l.text().to_ascii_lowercase();
            s.contains("outlook") || s.contains("mail") || s.contains("thunderbird")
        });
    if let Some(l) = from_mail {
        f.set_flag("url.from_mail", true, l.path.clone());
    }
    let posted = view
        .by_keys(&[
            "subsequent_post_request",
            "credentials_submitted",
            "form_submitted",
            "post_request",
        ])
        .find_map(|l| match l.value {
            serde_json::Value::Bool(b) => Some((*b, l.path.clone())),
            _ => None,
        });
    // Or a later request recorded by method: a POST to the clicked site is a form sent.
    let posted = posted.or_else(|| {
        let (d, _) = domain.as_ref()?;
        let site = registered(d);
        view.leaves().iter().find_map(|m| {
            if !matches!(
                m.key.as_str(),
                "method" | "httpmethod" | "http_method" | "cs-method" | "request_method"
            ) || !m.value.as_str()?.trim().eq_ignore_ascii_case("POST")
            {
                return None;
            }
            let (prefix, _) = m.path.rsplit_once('.')?;
            view.leaves().iter().find_map(|u| {
                let same_object = u.path.rsplit_once('.').is_some_and(|(p, _)| p == prefix);
                let host = u
                    .value
                    .as_str()?
                    .split("://")
                    .nth(1)?
                    .split(['/', '?', '#', ':'])
                    .next()?;
                (same_object
                    && matches!(u.key.as_str(), "url" | "uri" | "request_url" | "cs-uri")
                    && registered(&host.to_ascii_lowercase()) == site)
                    .then(|| (true, u.path.clone()))
            })
        })
    });
    if let Some((b, p)) = posted {
        f.set_flag("url.submitted", b, p.clone());
        f.set_flag("url.not_submitted", !b, p);
    }
    if let Some((ip, l)) = view.string(&["destination_ip", "dest_ip", "resolved_ip", "ip"]) {
        f.put_text("url.ip", ip.to_owned(), l.path.clone());
    }
}

/// The last two labels of a host name (`a.b.example` -> `b.example`).
fn registered(d: &str) -> String {
    let labels: Vec<&str> = d.trim_end_matches('.').split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".")
}

/// A distinct count of destinations under a key pattern (`distinct_dest_ips`,
/// `unique_dst_ips`, `dc(dest_ip)`, `dest_ip_count`): a number, never a list or an
/// address.
fn destination_count<'s, 'a>(view: &'s AlertView<'a>) -> Option<(f64, &'s crate::view::Leaf<'a>)> {
    view.leaves().iter().find_map(|l| {
        // Numbers first, then the rarest word: most leaves fail the first test.
        let serde_json::Value::Number(_) = l.value else {
            return None;
        };
        let k = l.key.as_str();
        let dest = ["dst", "dest", "target"].iter().any(|w| k.contains(w));
        if !dest
            || k.contains("port")
            || !["ip", "host", "addr"].iter().any(|w| k.contains(w))
            || !["distinct", "unique", "dc(", "dc_", "count", "num_"]
                .iter()
                .any(|w| k.contains(w))
        {
            return None;
        }
        match l.value {
            serde_json::Value::Number(n) => n.as_f64().map(|n| (n, l)),
            _ => None,
        }
    })
}

fn scan(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    let hosts = view
        .number(&[
            "distinct_dst_hosts",
            "distinct_destinations",
            "unique_dst_hosts",
            "hosts_scanned",
            "distinct_hosts",
        ])
        .or_else(|| destination_count(view));
    let ports = view.number(&[
        "distinct_dst_ports",
        "unique_dst_ports",
        "ports_scanned",
        "distinct_ports",
        "distinct_dest_ports",
        "unique_dest_ports",
        "dc(dest_port)",
    ]);
    let worded = view.alert.title.to_ascii_lowercase().contains("scan")
        || view
            .by_keys(&["signature", "rule_name", "alert.signature"])
            .any(|l| l.text().to_ascii_lowercase().contains("scan"));
    let wide = hosts.is_some_and(|(n, _)| n >= 50.0) || ports.is_some_and(|(n, _)| n >= 100.0);
    if !(worded && wide) {
        return;
    }
    f.set_flag(
        "scan.detected",
        true,
        "title, signature, destination counts",
    );
    if let Some((n, l)) = hosts {
        f.put_num("scan.hosts", n, l.path.clone());
    }
    if let Some((n, l)) = ports {
        f.put_num("scan.ports", n, l.path.clone());
    }
    if let Some((ip, l)) = view.string(&["src_ip", "source_ip", "source.ip", "src"]) {
        f.put_text("scan.source_ip", ip.to_owned(), l.path.clone());
        f.set_flag(
            "scan.source_internal",
            input.ip_scope(ip) == Some(Scope::Internal),
            l.path.clone(),
        );
        f.set_flag(
            "scan.source_external",
            crate::playbook::detectors::outside(input.ip_scope(ip)),
            l.path.clone(),
        );
    }
    if let Some((s, l)) = view.string(&["signature", "rule_name", "alert.signature"]) {
        f.put_text("scan.signature", s.to_owned(), l.path.clone());
    }
}

/// Anycast and CDN ranges shared by many unrelated sites (public, published by the
/// operators): a threat-list hit on one of these addresses says little about a given
/// site behind it.
const SHARED_INFRA: &[&str] = &[
    // Cloudflare
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
    // Fastly
    "151.101.0.0/16",
    "199.232.0.0/16",
    // Akamai (main edge blocks)
    "23.32.0.0/11",
    "23.192.0.0/11",
    "2.16.0.0/13",
    "104.64.0.0/10",
];
static SHARED_ASN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(AS13335|AS54113|AS20940|AS16625|AS16509 .*cloudfront|cloudflare|fastly|akamai)\b",
    )
    .expect("constant regex compiles")
});

fn intel_context(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let listed: Vec<&crate::triage::IntelFact> = input
        .intel
        .iter()
        .filter(|i| (i.malicious || i.suspicious) && i.ioc.kind == IocKind::Ipv4)
        .collect();
    let Some(first) = listed.first() else {
        return;
    };
    f.put_text(
        "intel.listed_ip",
        first.ioc.value.clone(),
        first.evidence_id.clone(),
    );
    let in_range = listed
        .iter()
        .all(|i| SHARED_INFRA.iter().any(|c| in_cidr(&i.ioc.value, c)));
    let asn = f
        .view
        .string(&[
            "asn",
            "dest_asn",
            "destination.as.organization.name",
            "as_org",
        ])
        .map(|(s, l)| (s.to_owned(), l.path.clone()));
    let asn_shared = asn.as_ref().is_some_and(|(s, _)| SHARED_ASN.is_match(s));
    if let Some((s, p)) = &asn {
        f.put_text("intel.asn", s.clone(), p.clone());
    }
    f.set_flag(
        "intel.shared_infra",
        in_range || asn_shared,
        if asn_shared {
            asn.map(|a| a.1).unwrap_or_default()
        } else {
            "published CDN ranges".to_owned()
        },
    );
    // Was any domain of the alert listed too?
    let domain_listed = input.intel.iter().any(|i| {
        (i.malicious || i.suspicious) && matches!(i.ioc.kind, IocKind::Domain | IocKind::Url)
    });
    f.set_flag("intel.domain_listed", domain_listed, "intel");
    // A named site: any domain the organisation does not own (reserved example names
    // stand in for real ones in test data).
    let named = input
        .iocs
        .of_kind(IocKind::Domain)
        .any(|d| d.ioc.scope != Some(Scope::Internal));
    f.set_flag("intel.named_site", named, "indicators");
}

pub(super) fn detect(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    dns(f);
    waf(input, f);
    url_click(input, f);
    scan(input, f);
    intel_context(input, f);
}
