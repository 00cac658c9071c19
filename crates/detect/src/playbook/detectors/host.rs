//! Endpoint behaviour: what ran, from where, started by what, doing what.
//!
//! Facts: `proc.encoded_ps`, `proc.decoded`, `proc.decoded_download`, `proc.decoded_wmi`,
//! `proc.hidden_window`, `proc.policy_bypass`, `proc.office_parent`,
//! `proc.network_external`, `proc.remote_ip`, `proc.parent_unsigned`,
//! `proc.parent_user_writable`, `proc.parent_path`, `proc.wmic_remote`, `proc.wmic_targets`, `proc.remote_targets`, `proc.remote_target_list`,
//! `proc.remote_command`, `proc.auth_success`, `proc.off_hours`, `proc.first_use`,
//! `proc.shadow_delete`, `proc.shadow_all`, `proc.shadow_bounded`, `proc.inhibit_recovery`,
//! `proc.encryption_activity`, `proc.signed_parent`, `proc.cert_conversion`,
//! `proc.from_program_files`, `proc.system_script`, `av.*` (detection, threat, remediated,
//! test_file, powershell, path, process, user); scheduled tasks' `proc.task_*` and
//! `proc.schtasks_create` (`task.rs`).

use std::sync::LazyLock;

use regex::Regex;

use super::super::facts::Facts;
use super::num;
use crate::triage::TriageInput;
use crate::view::basename;

/// The first value of any of the fields (Sigma names first, then `raw_log` keys).
pub(super) fn first(f: &Facts<'_>, fields: &[&str]) -> Option<(String, String)> {
    fields
        .iter()
        .find_map(|k| f.field_values(k).into_iter().next().map(|(p, v)| (v, p)))
}

/// Every value of any of the fields.
pub(super) fn all(f: &Facts<'_>, fields: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for k in fields {
        for (p, v) in f.field_values(k) {
            if seen.insert(v.clone()) {
                out.push((v, p));
            }
        }
    }
    out
}

const CMDLINE: &[&str] = &[
    "CommandLine",
    "command_line",
    "process.command_line",
    "cmdline",
];
const IMAGE: &[&str] = &[
    "Image",
    "process_path",
    "process",
    "process.executable",
    "process_name",
];
const PARENT: &[&str] = &[
    "ParentImage",
    "parent_process_path",
    "parent_process",
    "parent.executable",
    "parent_image",
];

static ENCODED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[\s\\/])(?:powershell|pwsh)(?:\.exe)?\b.*?\s[-/](?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedcommand)\s+([A-Za-z0-9+/=]{8,})")
        .expect("constant regex compiles")
});
static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s[-/]w(?:indowstyle|in|ind|indow)?\s+(?:h|hi|hid|hidd|hidde|hidden|1)\b")
        .expect("constant regex compiles")
});
static BYPASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s[-/](?:ep|ex|exec|executionpolicy)\s+(?:bypass|unrestricted)\b")
        .expect("constant regex compiles")
});
static DOWNLOAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)net\.webclient|downloadstring|downloadfile|downloaddata|invoke-webrequest|\biwr\b|invoke-restmethod|start-bitstransfer|\biex\b|invoke-expression|system\.net\.http")
        .expect("constant regex compiles")
});
static WMI_EXEC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)invoke-wmimethod|invoke-cimmethod|win32_process|\[wmiclass\]")
        .expect("constant regex compiles")
});
pub(super) const LOLBINS: &[&str] = &[
    "mshta.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "wscript.exe",
    "cscript.exe",
    "powershell.exe",
    "pwsh.exe",
    "certutil.exe",
    "msbuild.exe",
    "installutil.exe",
    "regasm.exe",
    "regsvcs.exe",
    "bitsadmin.exe",
    "cmstp.exe",
    "msiexec.exe",
    "odbcconf.exe",
];
const OFFICE: &[&str] = &[
    "winword.exe",
    "excel.exe",
    "powerpnt.exe",
    "outlook.exe",
    "msaccess.exe",
    "mspub.exe",
    "onenote.exe",
    "visio.exe",
];
pub(super) static USER_WRITABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\\users\\[^\\]+\\(appdata|downloads|desktop|documents)\\|\\users\\public\\|\\windows\\temp\\|\\programdata\\|\\perflogs\\|\\\$recycle\.bin\\|^/tmp/|^/dev/shm/|^/var/tmp/")
        .expect("constant regex compiles")
});
static SHADOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)vssadmin(\.exe)?\W+delete\W+shadows|vssadmin(\.exe)?\W+resize\W+shadowstorage|shadowcopy\W+delete|win32_shadowcopy.*delete|wbadmin(\.exe)?\W+delete\W+(catalog|systemstatebackup|backup)|bcdedit(\.exe)?.*recoveryenabled\W+no|bcdedit(\.exe)?.*bootstatuspolicy\W+ignoreallfailures")
        .expect("constant regex compiles")
});
static ENCRYPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)files? (renamed|encrypted)|ransom|\.locked\b|\.l0cked|read_?me_?to_?(recover|decrypt)|how_?to_?decrypt|encrypted with extension")
        .expect("constant regex compiles")
});
static SCRIPT_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)[a-z]:\\[^"*?<>|]*?\.(ps1|vbs|js|bat|cmd)\b"#)
        .expect("constant regex compiles")
});
static CERT_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\.(cer|crt|der|pem|p7b|p7c|csr|crl)$").expect("constant regex compiles")
});

fn decode_b64_utf16(s: &str) -> Option<String> {
    let bytes = crate::phishing::names::base64_decode(s.trim())?;
    if bytes.len() >= 2 && bytes.len() % 2 == 0 && bytes.iter().skip(1).step_by(2).all(|b| *b == 0)
    {
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).ok();
    }
    String::from_utf8(bytes).ok()
}

fn process(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let cmds = all(f, CMDLINE);
    let image = first(f, IMAGE);
    let parent = first(f, PARENT);

    // PowerShell: encoded commands and what they decode to.
    let mut decoded = Vec::new();
    for (c, p) in &cmds {
        if let Some(m) = ENCODED.captures(c).and_then(|m| m.get(1)) {
            f.set_flag("proc.encoded_ps", true, p.clone());
            if let Some(d) = decode_b64_utf16(m.as_str()) {
                decoded.push((d, p.clone()));
            }
        }
        if HIDDEN.is_match(c) {
            f.set_flag("proc.hidden_window", true, p.clone());
        }
        if BYPASS.is_match(c) {
            f.set_flag("proc.policy_bypass", true, p.clone());
        }
    }
    for (d, p) in all(
        f,
        &[
            "decoded_command_preview",
            "decoded_command",
            "ScriptBlockText",
        ],
    ) {
        decoded.push((d, p));
    }
    if let Some((d, p)) = decoded.first() {
        f.put_text("proc.decoded", d.clone(), p.clone());
    }
    if let Some((_, p)) = decoded.iter().find(|(d, _)| DOWNLOAD.is_match(d)) {
        f.set_flag("proc.decoded_download", true, p.clone());
    }
    if let Some((_, p)) = decoded.iter().find(|(d, _)| WMI_EXEC.is_match(d)) {
        f.set_flag("proc.decoded_wmi", true, p.clone());
    }

    // The parent: an Office program, a user-writable path, unsigned, just created.
    if let Some((p, path)) = &parent {
        f.set_flag(
            "proc.office_parent",
            OFFICE.contains(&basename(p).as_str()),
            path.clone(),
        );
    }
    let parent_path = first(
        f,
        &["parent_process_path", "ParentImage", "parent.executable"],
    );
    if let Some((p, path)) = &parent_path {
        f.put_text("proc.parent_path", p.clone(), path.clone());
        f.set_flag(
            "proc.parent_user_writable",
            USER_WRITABLE.is_match(p),
            path.clone(),
        );
        f.set_flag(
            "proc.parent_program_files",
            p.to_ascii_lowercase().contains("\\program files"),
            path.clone(),
        );
    }
    if let Some((s, path)) = first(
        f,
        &[
            "parent_signature_status",
            "parent_signature",
            "parent.code_signature.status",
        ],
    ) {
        let l = s.to_ascii_lowercase();
        f.set_flag(
            "proc.parent_unsigned",
            l.contains("unsigned") || l.contains("not signed") || l.contains("invalid"),
            path.clone(),
        );
        f.set_flag(
            "proc.signed_parent",
            (l.starts_with("signed")
                || l.starts_with("valid")
                || l.contains("microsoft windows signed"))
                && !l.contains("invalid")
                && !l.contains("unsigned")
                && !l.contains("not signed"),
            path,
        );
    }
    if let Some((s, path)) = first(f, &["parent_file_created", "parent_first_seen"])
        && let Ok(created) = s.parse::<chrono::DateTime<chrono::Utc>>()
    {
        let age = input
            .alert
            .timestamp
            .signed_duration_since(created)
            .num_minutes();
        f.set_flag("proc.parent_new", (0..=60).contains(&age), path);
    }
    if let Some((img, p)) = &image {
        f.set_flag(
            "proc.from_program_files",
            img.to_ascii_lowercase().contains("\\program files"),
            p.clone(),
        );
    }

    // Outbound connection from the process.
    if let Some((c, p)) = first(
        f,
        &[
            "network_connection",
            "remote_address",
            "DestinationIp",
            "destination_ip",
        ],
    ) {
        let ip = c
            .rsplit_once(':')
            .filter(|(h, _)| !h.contains(':'))
            .map_or(c.as_str(), |(h, _)| h)
            .to_owned();
        if crate::playbook::detectors::outside(input.ip_scope(&ip)) {
            f.set_flag("proc.network_external", true, p.clone());
            f.put_text("proc.remote_ip", ip, p);
        }
    }

    super::task::detect(f, &cmds);

    // WMIC against other hosts: a `/node:` target that is not the event's own host.
    for (c, p) in &cmds {
        let l = c.to_ascii_lowercase();
        if !(l.contains("wmic") && l.contains("process") && l.contains("create")) {
            continue;
        }
        let Some(nodes) = wmic_nodes(f, c).filter(|n| n.remote) else {
            continue;
        };
        f.set_flag("proc.wmic_remote", true, p.clone());
        // Absent when no target is named (`/node:` without a value).
        if !nodes.targets.is_empty() {
            f.put_text("proc.wmic_targets", nodes.targets.join(", "), p.clone());
        }
        if let Some(i) = l.find("create") {
            let rest = c[i + 6..].trim().trim_matches('"');
            f.put_text("proc.remote_command", rest.to_owned(), p.clone());
        }
        if WMI_EXEC.is_match(c) || l.contains("powershell") {
            f.set_flag(
                "proc.remote_powershell",
                l.contains("powershell"),
                p.clone(),
            );
        }
    }
    if let Some((n, p)) = f.view.array_len(&[
        "distinct_targets_10m",
        "distinct_targets",
        "targets",
        "target_hosts",
    ]) {
        f.put_num("proc.remote_targets", n as f64, p.to_owned());
        let list: Vec<String> = f
            .view
            .by_keys(&[
                "distinct_targets_10m",
                "distinct_targets",
                "targets",
                "target_hosts",
            ])
            .map(|l| l.text())
            .take(8)
            .collect();
        f.put_text("proc.remote_target_list", list.join(", "), p.to_owned());
    }
    if let Some((s, p)) = first(f, &["auth_result", "logon_result"]) {
        f.set_flag("proc.auth_success", s.eq_ignore_ascii_case("success"), p);
    }
    if let Some(l) = f
        .view
        .by_keys(&["account_is_local_admin_on_targets", "admin_on_targets"])
        .next()
    {
        let on = l.value.as_bool() == Some(true);
        let path = l.path.clone();
        f.set_flag("proc.admin_on_targets", on, path);
    }
    if let Some(l) = f
        .view
        .by_keys(&["off_hours", "outside_business_hours"])
        .next()
    {
        let on = l.value.as_bool() == Some(true);
        let path = l.path.clone();
        f.set_flag("proc.off_hours", on, path);
    }
    let first_use = f
        .view
        .leaves()
        .iter()
        .find(|l| {
            l.key.starts_with("prior_")
                && !l.key.contains("identical")
                && !l.key.contains("consent")
                && !l.key.contains("campaign")
                && num(l.value) == Some(0.0)
        })
        .map(|l| l.path.clone());
    if let Some(p) = first_use {
        f.set_flag("proc.first_use", true, p);
    }
    let never_seen = f
        .view
        .leaves()
        .iter()
        .find(|l| {
            (l.key.starts_with("similar_") || l.key.starts_with("prior_identical"))
                && num(l.value) == Some(0.0)
        })
        .map(|l| l.path.clone());
    if let Some(p) = never_seen {
        f.set_flag("proc.never_seen", true, p);
    }

    // Inhibiting recovery.
    for (c, p) in &cmds {
        if SHADOW.is_match(c) {
            let l = c.to_ascii_lowercase();
            f.set_flag("proc.inhibit_recovery", true, p.clone());
            f.set_flag("proc.shadow_delete", l.contains("shadow"), p.clone());
            f.set_flag(
                "proc.shadow_all",
                l.contains("/all") || l.contains("shadowcopy delete") || l.contains("catalog"),
                p.clone(),
            );
            f.set_flag(
                "proc.shadow_bounded",
                // Only the oldest copy, or one named copy: `/for=C:` alone removes every
                // copy of that volume.
                (l.contains("/oldest") || l.contains("/shadow={")) && !l.contains("/all"),
                p.clone(),
            );
            f.put_text("proc.recovery_command", c.clone(), p.clone());
        }
    }
    let disable_sr = all(f, &["TargetObject"]).into_iter().find(|(t, _)| {
        let t = t.to_ascii_lowercase();
        t.contains("\\systemrestore\\")
            && (t.ends_with("\\disablesr") || t.ends_with("\\disableconfig"))
    });
    if let Some((_, p)) = disable_sr {
        f.set_flag("proc.inhibit_recovery", true, p);
    }
    let enc = f
        .view
        .leaves()
        .iter()
        .find(|l| {
            (l.key.contains("file_activity")
                || l.key.contains("ransom")
                || l.key.contains("encrypt"))
                && l.value
                    .as_str()
                    .is_some_and(|s| ENCRYPTION.is_match(s) || l.key.contains("ransom"))
        })
        .map(|l| (l.text(), l.path.clone()));
    if let Some((t, p)) = enc {
        f.set_flag("proc.encryption_activity", true, p.clone());
        f.put_text("proc.encryption_text", t, p);
    }

    // certutil converting certificate files (its documented everyday use).
    for (c, p) in &cmds {
        let l = c.to_ascii_lowercase();
        // Encoding one certificate file into another, nothing else: exactly two
        // arguments after the verb, both certificate files, neither in a user-writable
        // folder (decoding is how payloads are unpacked, so it never counts).
        if l.contains("certutil") && (l.contains(" -encode ") || l.contains(" /encode ")) {
            let verb = l.find("encode ").map_or(l.len(), |i| i + 7);
            let args: Vec<&str> = l[verb..].split_whitespace().collect();
            let ok = args.len() == 2
                && args.iter().all(|a| {
                    let a = a.trim_matches('"');
                    CERT_FILE.is_match(a)
                        && !a.ends_with(".b64")
                        && !a.contains(".exe")
                        && !USER_WRITABLE.is_match(a)
                });
            f.set_flag("proc.cert_conversion", ok, p.clone());
        }
    }

    // WMI provider host starting programs (by parent image, or by process ids across
    // Windows 4688 / Sysmon events), after a network logon.
    if let Some((p, path)) = &parent {
        f.set_flag(
            "proc.wmi_child",
            basename(p) == "wmiprvse.exe",
            path.clone(),
        );
    }
    let wmi_ids: Vec<String> = f
        .events
        .iter()
        .filter(|e| {
            e.get("Image")
                .or(e.get("NewProcessName"))
                .is_some_and(|i| basename(i) == "wmiprvse.exe")
        })
        .filter_map(|e| {
            e.get("NewProcessId")
                .or(e.get("ProcessId"))
                .map(str::to_owned)
        })
        .collect();
    if !wmi_ids.is_empty() {
        let child = f.events.iter().enumerate().find_map(|(i, e)| {
            let creator = e
                .get("ParentProcessId")
                .or_else(|| e.get("NewProcessId").and(e.get("ProcessId")))?;
            let image = e.get("Image").or(e.get("NewProcessName"))?;
            (wmi_ids.iter().any(|w| w == creator) && basename(image) != "wmiprvse.exe")
                .then(|| (image.to_owned(), format!("event[{i}]")))
        });
        if let Some((image, path)) = child {
            f.set_flag("proc.wmi_child", true, path.clone());
            f.put_text("image", image, path);
        }
    }
    // A script host or system binary making a network connection (Sysmon 3).
    let lolbin_net = f.events.iter().enumerate().find_map(|(i, e)| {
        let ip = e.get("DestinationIp")?;
        let image = e.get("Image")?;
        LOLBINS.contains(&basename(image).as_str()).then(|| {
            (
                format!(
                    "{} connected to {ip}:{}",
                    basename(image),
                    e.get("DestinationPort").unwrap_or("?")
                ),
                format!("event[{i}]"),
            )
        })
    });
    if let Some((t, path)) = lolbin_net {
        f.set_flag("proc.lolbin_network", true, path.clone());
        f.put_text("proc.lolbin_connection", t, path);
    }
    let logon = f
        .events
        .iter()
        .enumerate()
        .find(|(_, e)| e.get("EventID") == Some("4624") && e.get("LogonType") == Some("3"))
        .map(|(i, e)| {
            (
                i,
                e.get("TargetUserName").map(str::to_owned),
                e.get("IpAddress")
                    .or(e.get("WorkstationName"))
                    .map(str::to_owned),
            )
        });
    if let Some((i, user, source)) = logon {
        let path = format!("event[{i}]");
        f.set_flag("proc.network_logon", true, path.clone());
        if let Some(u) = user {
            f.put_text("proc.logon_user", u, path.clone());
        }
        if let Some(s) = source.filter(|s| s != "-") {
            f.put_text("proc.logon_source", s, path);
        }
    }
    // Obfuscated script blocks: code split into strings, character codes, format tricks.
    for (text, path) in all(f, &["ScriptBlockText"]) {
        let concat = text.matches("'+'").count()
            + text.matches("\"+\"").count()
            + text.matches("' + '").count();
        let chars = text.to_ascii_lowercase().matches("[char]").count();
        let format = text.matches("\"-f").count()
            + text.matches("' -f").count()
            + text.matches("'-f").count();
        let ticks = text.matches('`').count();
        if concat >= 5 || chars >= 5 || format >= 3 || ticks >= 10 {
            f.set_flag("proc.obfuscated_script", true, path.clone());
            let flat: String = text
                .chars()
                .filter(|c| !matches!(c, '\'' | '"' | '+' | '`' | ' '))
                .collect();
            if DOWNLOAD.is_match(&flat) {
                f.set_flag("proc.decoded_download", true, path.clone());
            }
        }
    }

    // An installed agent's script running as SYSTEM.
    let parent_cmd = first(f, &["ParentCommandLine", "parent_command_line"]);
    if let Some((c, p)) = &parent_cmd {
        let l = c.to_ascii_lowercase();
        // The script itself lives under Program Files (not merely mentioned), the
        // program is a system binary, and nothing hides.
        let script = SCRIPT_PATH
            .find(&l)
            .map_or("", |m| m.as_str().trim_matches('"'));
        let installed = script.starts_with("c:\\program files\\")
            || script.starts_with("c:\\program files (x86)\\");
        let system_binary = first(f, &["Image"]).is_some_and(|(i, _)| {
            let i = i.to_ascii_lowercase();
            i.starts_with("c:\\windows\\system32\\") || i.starts_with("c:\\windows\\syswow64\\")
        });
        f.set_flag(
            "proc.parent_installed_script",
            installed && system_binary,
            p.clone(),
        );
    }
}

/// What the `/node:` switches of a command line aim at, judged against the host of each
/// event carrying it (its `Computer`; the alert's host when no event carries the command
/// line): `None` when no event ran it with a `/node:` switch. An aggregated alert may hold
/// the same command line run on several hosts, and each names only its own host local.
fn wmic_nodes(f: &Facts<'_>, cmd: &str) -> Option<Nodes> {
    let lower = cmd.to_lowercase();
    let mut hosts: Vec<Option<String>> = f
        .events
        .iter()
        .filter(|e| e.lower_values("commandline").any(|v| v == lower))
        .map(|e| e.get("Computer").map(str::to_owned))
        .collect();
    if hosts.is_empty() {
        hosts.push(f.render("host"));
    }
    let mut out: Option<Nodes> = None;
    for host in hosts {
        let own: Vec<String> = host.into_iter().collect();
        let Some(n) = wmic_remote_nodes(cmd, &own) else {
            continue;
        };
        let all = out.get_or_insert_with(Nodes::default);
        all.remote |= n.remote;
        for t in n.targets {
            if !all.targets.contains(&t) {
                all.targets.push(t);
            }
        }
    }
    out
}

/// What a WMIC command line's `/node:` switches aim at.
#[derive(Debug, Default, PartialEq, Eq)]
struct Nodes {
    /// Whether any target is not the host the command ran on, or cannot be told local.
    remote: bool,
    /// The named targets that are not that host, as written (without quotes).
    targets: Vec<String>,
}

/// The targets of a WMIC command line's `/node:` (or `-node:`) switches that are not the
/// host it ran on (`own`: that host's names): `None` without a `/node:` switch; not
/// `remote` when every target is local. Forms: `/node:host`, `/node:"host"`,
/// `/node:host1,host2`, `/node:"host1, host2"`, `/node:@file`. A list read from a file
/// cannot be told local and counts as remote; so does a switch without a value
/// (`/node:` at the end, or followed by a space), which names no target.
fn wmic_remote_nodes(cmd: &str, own: &[String]) -> Option<Nodes> {
    // ASCII lower-casing keeps byte offsets, so `l` indexes `cmd`.
    let l = cmd.to_ascii_lowercase();
    let mut found: Option<Nodes> = None;
    let mut from = 0;
    while let Some(i) = l[from..].find("node:").map(|i| i + from) {
        from = i + 5;
        let before = l[..i].chars().next_back();
        let switch = match before {
            Some('/') => true,
            // `-node:` only as a switch of its own, not inside a word (`my-node:`).
            Some('-') => l[..i - 1]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || c == '"'),
            _ => false,
        };
        if !switch {
            continue;
        }
        let nodes = found.get_or_insert_with(Nodes::default);
        let targets = node_list(&cmd[from..]);
        if targets.is_empty() {
            nodes.remote = true;
        }
        for t in targets {
            if t.starts_with('@') || !is_local_node(&t, own) {
                nodes.remote = true;
                nodes.targets.push(t);
            }
        }
    }
    found
}

/// The comma-separated target list at the start of `s` (the text after `/node:`), each
/// target without quotes; empty when `s` starts with whitespace (the switch has no value,
/// and the next word is not a target).
fn node_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.starts_with(char::is_whitespace) {
        return out;
    }
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        let (token, after) = if let Some(r) = rest.strip_prefix('"') {
            r.find('"').map_or((r, ""), |i| (&r[..i], &r[i + 1..]))
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ',')
                .unwrap_or(rest.len());
            rest.split_at(end)
        };
        for t in token.split(',') {
            let t = t.trim().trim_matches(|c| matches!(c, '"' | '\'' | '\\'));
            if !t.is_empty() {
                out.push(t.to_owned());
            }
        }
        match after.trim_start().strip_prefix(',') {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

/// Whether a `/node:` target is the host the command ran on: loopback, `localhost`, `.`,
/// or one of the host's own names.
fn is_local_node(target: &str, own: &[String]) -> bool {
    let t = target.trim_start_matches('[').trim_end_matches(']');
    if t == "." || t.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = t.parse::<std::net::IpAddr>() {
        return ip.to_canonical().is_loopback() || own.iter().any(|o| o.trim() == t);
    }
    own.iter().any(|o| same_host(t, o))
}

/// Whether a `/node:` target names the host that goes by `own`: equal ignoring case, or a
/// short target that is the short form of `own` (`ws01` for `WS01.corp.example`). A full
/// (dotted) target is only the host when `own` is that full name: against a short `own`
/// (`wks-7`), `wks-7.other.example` may be a host of the same name in another domain.
fn same_host(target: &str, own: &str) -> bool {
    let (t, o) = (
        target.trim().trim_end_matches('.'),
        own.trim().trim_end_matches('.'),
    );
    if t.is_empty() || o.is_empty() {
        return false;
    }
    if t.eq_ignore_ascii_case(o) {
        return true;
    }
    if t.contains('.') || o.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    o.split('.')
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case(t))
}

/// The value after a command-line switch (`/tr "..."` or `/tn name`).
pub(super) fn arg_value(cmd: &str, switch: &str) -> Option<String> {
    let l = cmd.to_ascii_lowercase();
    let i = l.find(&format!("{switch} "))? + switch.len() + 1;
    let rest = cmd.get(i..)?.trim_start();
    if let Some(r) = rest.strip_prefix('"') {
        return r.split('"').next().map(str::to_owned);
    }
    rest.split_whitespace().next().map(str::to_owned)
}

pub(super) fn detect(input: &TriageInput<'_>, f: &mut Facts<'_>) {
    process(input, f);
    super::antivirus::detect(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The remote targets of a command line run on a host named `own`: `None` without a
    /// `/node:` switch, `Some([])` when every target is local.
    fn remote(cmd: &str, own: &[&str]) -> Option<Vec<String>> {
        let own: Vec<String> = own.iter().map(|s| (*s).to_owned()).collect();
        let n = wmic_remote_nodes(cmd, &own)?;
        assert_eq!(n.remote, !n.targets.is_empty(), "{cmd}: {n:?}");
        Some(n.targets)
    }

    #[test]
    fn wmic_local_node_forms_are_not_remote() {
        let own = ["WKS-7.lab.example", "wks-7"];
        for cmd in [
            "wmic /node:127.0.0.1 process call create calc.exe",
            "wmic  /NODE:127.8.9.10 process call create calc.exe",
            "wmic /node:\"localhost\" process call create calc.exe",
            "WMIC.exe /Node:LOCALHOST process call create calc.exe",
            "wmic /node:. process call create calc.exe",
            "wmic /node:::1 process call create calc.exe",
            "wmic /node:\"[::1]\" process call create calc.exe",
            "wmic -node:wks-7 process call create calc.exe",
            "wmic /node:WKS-7.LAB.EXAMPLE process call create calc.exe",
            "wmic /node:\"127.0.0.1, localhost\" process call create calc.exe",
            "wmic /node:127.0.0.1,wks-7 process call create calc.exe",
            "cmd /c wmic /node:\\\"127.0.0.1\\\" process call create \\\"calc.exe\\\"",
        ] {
            assert_eq!(remote(cmd, &own), Some(vec![]), "{cmd}");
        }
        // A short target is the short form of the host's full name.
        assert_eq!(
            remote(
                "wmic /node:wks-7 process call create x",
                &["WKS-7.lab.example"]
            ),
            Some(vec![])
        );
        // No `/node:` at all: not a remote WMIC.
        assert_eq!(remote("wmic process call create calc.exe", &own), None);
        assert_eq!(remote("wmic process call create my-node:1", &own), None);
    }

    #[test]
    fn wmic_other_hosts_and_unknown_lists_are_remote() {
        let own = ["wks-7.lab.example"];
        assert_eq!(
            remote("wmic /node:srv-db2 process call create calc.exe", &own),
            Some(vec!["srv-db2".to_owned()])
        );
        assert_eq!(
            remote(
                "wmic /node:\"10.20.30.40\" process call create calc.exe",
                &own
            ),
            Some(vec!["10.20.30.40".to_owned()])
        );
        // A mixed list: the local entries drop out, the remote one remains.
        assert_eq!(
            remote(
                "wmic /node:127.0.0.1,srv-db2,\"wks-7\" process call create calc.exe",
                &own
            ),
            Some(vec!["srv-db2".to_owned()])
        );
        assert_eq!(
            remote(
                "wmic /node:\"localhost, srv-a\" , srv-b process call create x",
                &own
            ),
            Some(vec!["srv-a".to_owned(), "srv-b".to_owned()])
        );
        // A host with the same short name in another domain is another host.
        assert_eq!(
            remote("wmic /node:wks-7.other.example process call create x", &own),
            Some(vec!["wks-7.other.example".to_owned()])
        );
        // Without the own names, only loopback forms are local.
        assert_eq!(
            remote("wmic /node:wks-7 process call create x", &[]),
            Some(vec!["wks-7".to_owned()])
        );
        // A list from a file cannot be told local.
        assert_eq!(
            remote(
                "wmic /node:@C:\\temp\\hosts.txt process call create x",
                &own
            ),
            Some(vec!["@C:\\temp\\hosts.txt".to_owned()])
        );
        assert_eq!(
            remote("wmic /node:\"@hosts list.txt\" process call create x", &own),
            Some(vec!["@hosts list.txt".to_owned()])
        );
    }

    #[test]
    fn a_full_target_is_not_the_host_known_only_by_its_short_name() {
        // Only the short name is known: a full name with that first label may be a host
        // of the same name in another domain.
        for target in ["wks-7.other.example", "WKS-7.lab.example", "wks-7.corp"] {
            assert_eq!(
                remote(
                    &format!("wmic /node:{target} process call create x"),
                    &["wks-7"]
                ),
                Some(vec![target.to_owned()]),
                "{target}"
            );
        }
        // Known full name: the same full name is local, another domain's is not.
        let both = ["wks-7", "wks-7.lab.example"];
        assert_eq!(
            remote("wmic /node:WKS-7.LAB.EXAMPLE process call create x", &both),
            Some(vec![])
        );
        assert_eq!(
            remote(
                "wmic /node:wks-7.other.example process call create x",
                &both
            ),
            Some(vec!["wks-7.other.example".to_owned()])
        );
        assert_eq!(
            remote("wmic /node:wks-7 process call create x", &["wks-7"]),
            Some(vec![])
        );
    }

    #[test]
    fn a_node_switch_without_a_value_is_remote_without_a_target_name() {
        let own = ["wks-7.lab.example".to_owned()];
        for cmd in [
            "wmic /node: process call create x",
            "wmic /node:\tprocess call create x",
            "wmic /node:",
            "wmic /node:\"\" process call create x",
        ] {
            assert_eq!(
                wmic_remote_nodes(cmd, &own),
                Some(Nodes {
                    remote: true,
                    targets: vec![]
                }),
                "{cmd}"
            );
        }
        // The word after the space is not taken as a target, local or not.
        assert_eq!(
            wmic_remote_nodes("wmic /node: localhost process call create x", &own),
            Some(Nodes {
                remote: true,
                targets: vec![]
            })
        );
    }
}
