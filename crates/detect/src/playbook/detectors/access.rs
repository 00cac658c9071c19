//! Access and data movement: a successful login from outside the organisation to an
//! internal host, and a large outbound transfer (with the archive staged for it).
//!
//! Facts: `access.*` (success, external, source_ip, source_listed, no_mfa, first_external,
//! service_account, service, anomalies), `exfil.*` (transfer, bytes, baseline, ratio,
//! large, dest (domain, else address), dest_ip, dest_domain, dest_external, dest_listed, dest_port, tool,
//! archive, archive_path, staged_from, session_source, web_service, protocol_web).

use std::sync::LazyLock;

use regex::Regex;
use soc_core::Scope;

use super::super::facts::Facts;
use super::outside;
use crate::triage::TriageInput;

/// Successful interactive logins in log lines.
static ACCEPTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\baccepted (password|publickey|keyboard-interactive)\b|\bsession opened\b|\bsuccessful(ly)? (ssh |rdp |vpn )?(log ?on|log ?in|sign-?in|authentication)")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Archive files by extension.
static ARCHIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\.(7z|zip|rar|tar|tgz|gz|bz2|xz|cab|zst)$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Services people use to move files out (T1567).
const WEB_SERVICES: &[&str] = &[
    "mega.nz",
    "mega.io",
    "dropbox.com",
    "drive.google.com",
    "googleapis.com",
    "onedrive.live.com",
    "1drv.ms",
    "box.com",
    "wetransfer.com",
    "transfer.sh",
    "anonfiles.com",
    "gofile.io",
    "pastebin.com",
    "file.io",
    "sendspace.com",
    "mediafire.com",
    "s3.amazonaws.com",
    "blob.core.windows.net",
];

/// Runs both detectors.
pub(super) fn detect(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    external_login(input, f);
    transfer(input, f);
}

fn truthy_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn external_login(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    // A success: ECS outcome success on an authentication event, a 4624 logon, or a log
    // line saying so. Failures are the brute-force detector's.
    let ecs = view
        .string(&["event.outcome"])
        .is_some_and(|(s, _)| s.split_whitespace().next() == Some("success"))
        && view.leaves().iter().any(|l| {
            l.parent == "event"
                && l.key == "category"
                && l.text().split_whitespace().next() == Some("authentication")
        });
    let logon = view
        .by_keys(&["event_id", "eventid", "event.code"])
        .any(|l| l.text().split_whitespace().next() == Some("4624"));
    let typed = view
        .string(&["event_type", "event.action", "action"])
        .is_some_and(|(s, _)| {
            matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "auth_success"
                    | "authentication_success"
                    | "login_success"
                    | "logon_success"
                    | "successful_login"
                    | "successful_logon"
                    | "logged-in"
                    | "user_login"
            )
        });
    // CloudTrail console sign-in, Entra ID sign-in log (resultType 0 = success).
    let cloud = view
        .string(&["eventname"])
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case("ConsoleLogin"))
        && view
            .string(&["consolelogin"])
            .is_some_and(|(s, _)| s.eq_ignore_ascii_case("success"))
        || view
            .by_keys(&["resulttype"])
            .any(|l| l.text().trim() == "0")
            && view.mentions("signin");
    // An identity provider's authentication event with an explicit success outcome
    // (Okta `user.session.start`, `outcome.result: SUCCESS`).
    let idp = super::auth::auth_outcomes(view).iter().any(|(ok, _)| *ok);
    let typed = typed || cloud || idp;
    let line = view
        .by_keys(&["message", "msg", "log", "reason"])
        .find(|l| l.value.as_str().is_some_and(|s| ACCEPTED.is_match(s)))
        .map(|l| l.path.clone());
    let failed_words = view.mentions("failed") || view.mentions("failure");
    if !(ecs || logon || typed || line.is_some()) || (failed_words && !(ecs || logon || typed)) {
        return;
    }
    let Some((ip, path)) = view
        .string(&[
            "source.ip",
            "source_ip",
            "src_ip",
            "client_ip",
            "ipaddress",
            "ip_address",
            "remote_ip",
            "sourceipaddress",
        ])
        .map(|(s, l)| {
            (
                s.split_whitespace().next().unwrap_or("").to_owned(),
                l.path.clone(),
            )
        })
    else {
        return;
    };
    let scope = input.ip_scope(&ip);
    if !outside(scope) {
        return;
    }
    f.set_flag(
        "access.success",
        true,
        line.unwrap_or_else(|| "event outcome".to_owned()),
    );
    f.set_flag("access.external", true, path.clone());
    f.put_text("access.source_ip", ip.clone(), path.clone());
    if let Some(i) = input
        .intel_for(true, &ip)
        .filter(|i| i.malicious || i.suspicious)
    {
        f.set_flag("access.source_listed", true, i.evidence_id.clone());
    }
    let mut anomalies = Vec::new();
    if let Some((v, l)) = view.string(&[
        "mfa",
        "mfa_used",
        "mfa_status",
        "authentication_requirement",
        "authenticationrequirement",
    ]) {
        let v = v.trim().to_ascii_lowercase();
        if matches!(
            v.as_str(),
            "none" | "false" | "no" | "not_used" | "singlefactorauthentication" | "single-factor"
        ) {
            f.set_flag("access.no_mfa", true, l.path.clone());
            anomalies.push("no MFA");
        }
    } else if view.mentions("no mfa") || view.mentions("without mfa") {
        f.set_flag("access.no_mfa", true, "alert wording");
        anomalies.push("no MFA");
    }
    // Never seen from outside before: a zero prior count, or a first-seen flag.
    let prior = view
        .leaves()
        .iter()
        .find(|l| l.key.contains("prior") && l.key.contains("external"))
        .and_then(|l| l.number().map(|n| (n, l.path.clone())));
    let first_flag = view
        .by_keys(&[
            "first_seen_external",
            "first_external_auth",
            "new_source",
            "first_time_source",
        ])
        .find_map(|l| {
            truthy_text(&l.text())
                .filter(|b| *b)
                .map(|_| l.path.clone())
        });
    if let Some(p) = prior
        .filter(|(n, _)| *n == 0.0)
        .map(|(_, p)| p)
        .or(first_flag)
    {
        f.set_flag("access.first_external", true, p);
        anomalies.push("first login from outside");
    }
    let user = view
        .string(&["user.name", "user", "username", "targetusername", "account"])
        .map(|(s, _)| s.to_ascii_lowercase());
    if let Some(u) = &user
        && (u.starts_with("svc")
            || u.starts_with("srv-")
            || u.starts_with("sa-")
            || u.ends_with("$")
            || u.contains("service"))
    {
        f.set_flag("access.service_account", true, "user name");
        anomalies.push("a service account");
    }
    let text = view.text();
    let service = if text.contains("sshd") || text.contains("ssh ") {
        "SSH"
    } else if text.contains("rdp")
        || text.contains("logon type 10")
        || text.contains("remoteinteractive")
    {
        "RDP"
    } else if text.contains("vpn") {
        "VPN"
    } else {
        "remote login"
    };
    f.put_text("access.service", service, "alert wording");
    if !anomalies.is_empty() {
        f.put_text("access.anomalies", anomalies.join(", "), "alert fields");
    }
}

fn transfer(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    let bytes = view.number(&[
        "bytes_out",
        "bytes_sent",
        "sent_bytes",
        "out_bytes",
        "source.bytes",
        "network.bytes_out",
        "upload_bytes",
        "bytes_uploaded",
        "orig_bytes",
    ]);
    let Some((bytes, bl)) = bytes else { return };
    let bytes_path = bl.path.clone();
    // The destination address: under its usual spellings (PAN-OS `dst`, Splunk CIM
    // `dest`, FortiGate `dstip`), and only when the value is an address.
    let dest = view
        .by_keys(&[
            "destination_ip",
            "dest_ip",
            "dst_ip",
            "destination.ip",
            "remote_ip",
            "destinationip",
            "dst",
            "dest",
            "dstip",
            "dst_addr",
            "dest_addr",
            "destination_address",
            "dest_address",
        ])
        .find_map(|l| {
            let s = l.value.as_str()?.split_whitespace().next()?;
            s.parse::<std::net::IpAddr>()
                .is_ok()
                .then(|| (s.to_owned(), l.path.clone()))
        });
    let dest_domain = view
        .string(&[
            "destination_domain",
            "dest_host",
            "destination.domain",
            "destinationhostname",
            "url.domain",
            "remote_host",
        ])
        .map(|(s, l)| (s.trim().to_ascii_lowercase(), l.path.clone()));
    if dest.is_none() && dest_domain.is_none() {
        return;
    }
    f.set_flag("exfil.transfer", true, bytes_path.clone());
    f.put_num("exfil.bytes", bytes, bytes_path.clone());
    f.put_text("exfil.volume", human_bytes(bytes), bytes_path.clone());
    let baseline = view
        .leaves()
        .iter()
        .find(|l| l.key.contains("baseline") && l.number().is_some())
        .and_then(|l| l.number().map(|n| (n, l.path.clone())));
    let mut large = bytes >= 1_000_000_000.0;
    if let Some((b, p)) = &baseline
        && *b > 0.0
    {
        let ratio = bytes / b;
        f.put_num("exfil.ratio", (ratio * 10.0).round() / 10.0, p.clone());
        f.put_text("exfil.baseline", human_bytes(*b), p.clone());
        large |= ratio >= 10.0 && bytes >= 100_000_000.0;
    }
    f.set_flag("exfil.large", large, bytes_path);
    let mut external = false;
    if let Some((ip, p)) = &dest {
        f.put_text("exfil.dest_ip", ip.clone(), p.clone());
        external |= outside(input.ip_scope(ip));
        if let Some(i) = input
            .intel_for(true, ip)
            .filter(|i| i.malicious || i.suspicious)
        {
            f.set_flag("exfil.dest_listed", true, i.evidence_id.clone());
        }
    }
    if let Some((d, p)) = &dest_domain {
        f.put_text("exfil.dest_domain", d.clone(), p.clone());
        external |= input.scope_of(soc_core::IocKind::Domain, d) != Some(Scope::Internal);
        if WEB_SERVICES
            .iter()
            .any(|w| d == w || d.ends_with(&format!(".{w}")))
        {
            f.set_flag("exfil.web_service", true, p.clone());
        }
    }
    // A firewall's application or URL category naming a file-sharing service (PAN-OS
    // `app: mega`, `category: online-storage-and-backup`).
    if let Some(l) = view.by_keys(&["app", "application", "appid"]).find(|l| {
        let a = l.text().trim().to_ascii_lowercase();
        WEB_SERVICE_APPS
            .iter()
            .any(|w| a == *w || a.starts_with(&format!("{w}-")))
    }) {
        f.set_flag("exfil.web_service", true, l.path.clone());
    } else if let Some(l) = view
        .by_keys(&["category", "url_category", "urlcategory", "app_category"])
        .find(|l| {
            let c = l.text().to_ascii_lowercase();
            c.contains("online-storage")
                || c.contains("online storage")
                || c.contains("file-sharing")
                || c.contains("file sharing")
                || c.contains("file host")
        })
    {
        f.set_flag("exfil.web_service", true, l.path.clone());
    }
    f.set_flag("exfil.dest_external", external, "destination");
    if let Some((d, p)) = dest_domain.as_ref().or(dest.as_ref()) {
        f.put_text("exfil.dest", d.clone(), p.clone());
    }
    if let Some((port, l)) = view.number(&[
        "destination_port",
        "dest_port",
        "dst_port",
        "destination.port",
    ]) {
        f.put_num("exfil.dest_port", port, l.path.clone());
        f.set_flag(
            "exfil.protocol_web",
            port == 443.0 || port == 80.0 || port == 8443.0,
            l.path.clone(),
        );
    }
    if let Some((tool, l)) =
        view.string(&["process", "process_name", "process.name", "image", "app"])
    {
        f.put_text("exfil.tool", crate::view::basename(tool), l.path.clone());
    }
    // The archive staged for it.
    if let Some((a, l)) = view
        .by_keys(&[
            "staged_file",
            "archive",
            "archive_path",
            "file_path",
            "file.path",
            "targetfilename",
            "file",
        ])
        .find_map(|l| {
            l.value
                .as_str()
                .filter(|s| ARCHIVE.is_match(s.trim()))
                .map(|s| (s.to_owned(), l))
        })
    {
        f.set_flag("exfil.archive", true, l.path.clone());
        f.put_text("exfil.archive_path", a, l.path.clone());
    } else if let Some((a, p)) = archiver_output(view) {
        f.set_flag("exfil.archive", true, p.clone());
        f.put_text("exfil.archive_path", a, p);
    }
    if let Some((s, l)) = view.string(&["staged_from", "source_directory", "archived_from"]) {
        f.put_text("exfil.staged_from", s.to_owned(), l.path.clone());
    }
    if let Some((s, l)) = view.string(&[
        "parent_session_source_ip",
        "session_source_ip",
        "remote_session_ip",
    ]) {
        let ip = s.split_whitespace().next().unwrap_or("").to_owned();
        if outside(input.ip_scope(&ip)) {
            f.put_text("exfil.session_source", ip, l.path.clone());
        }
    }
}

/// File-sharing applications as firewalls name them (PAN-OS App-ID and the like).
const WEB_SERVICE_APPS: &[&str] = &[
    "mega",
    "dropbox",
    "google-drive",
    "google-drive-web",
    "onedrive",
    "box",
    "wetransfer",
    "mediafire",
    "sendspace",
    "4shared",
    "pcloud",
    "anonfiles",
    "gofile",
];

/// Archivers that write the archive named on their command line.
static ARCHIVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(rar|winrar|7z|7za|7zr|zip|tar|makecab|gzip)(\.exe)?$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// The archive an archiver's command line writes (`rar.exe a ... C:\x\f.rar \\srv\share`):
/// the first argument with an archive extension, when the program is an archiver.
fn archiver_output(view: &crate::view::AlertView<'_>) -> Option<(String, String)> {
    view.by_keys(&[
        "cmd",
        "command_line",
        "commandline",
        "process.command_line",
        "cmdline",
    ])
    .find_map(|l| {
        let cmd = l.value.as_str()?;
        let mut words = cmd.split_whitespace();
        let prog = crate::view::basename(words.next()?.trim_matches('"'));
        if !ARCHIVER.is_match(&prog) {
            return None;
        }
        words
            .map(|w| w.trim_matches('"'))
            .find(|w| !w.starts_with('-') && ARCHIVE.is_match(w))
            .map(|w| (w.to_owned(), l.path.clone()))
    })
}

fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{b:.0} bytes")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}
