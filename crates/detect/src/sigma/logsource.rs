//! Log source inference: which `product`/`category`/`service` an event comes from.
//!
//! A known Windows channel or provider gives an exact source: product `windows`, the
//! service from [`CHANNELS`] (or [`PROVIDERS`]), and the category from the event id
//! (Sysmon 1 → `process_creation`, 3 → `network_connection`, 11 → `file_event`, 12 →
//! `registry_add`/`registry_delete`, 13 → `registry_set`, 22 → `dns_query`, ...; Security
//! 4688 → `process_creation`; PowerShell 4104 → `ps_script`, 4103 → `ps_module`).
//! Otherwise the source is a guess from ECS (`event.category`/`event.type`,
//! `host.os.type`, `event.dataset`), the native `event_type` and `log_source`, Linux
//! `program`/`location` (`sshd`, `auth.log`), journald's `SYSLOG_IDENTIFIER`/`_COMM`,
//! and Windows-looking paths.
//!
//! A Linux record shape the event view recognised (auditd records, Falco output fields,
//! a sudo log line; see `fields::linux`) names its source: product `linux`; category
//! `process_creation` for an execution (auditd `EXECVE`/`USER_CMD` or an exec syscall,
//! Falco without an `evt.type` or with an exec one, a sudo command line), otherwise
//! unknown; service `auditd` or `sudo`.

use super::LogSource;
use super::fields::Event;

/// Windows channel (lower case) → Sigma service.
const CHANNELS: &[(&str, &str)] = &[
    ("security", "security"),
    ("system", "system"),
    ("application", "application"),
    ("microsoft-windows-sysmon/operational", "sysmon"),
    ("microsoft-windows-powershell/operational", "powershell"),
    ("windows powershell", "powershell-classic"),
    (
        "microsoft-windows-windows defender/operational",
        "windefend",
    ),
    (
        "microsoft-windows-taskscheduler/operational",
        "taskscheduler",
    ),
    ("microsoft-windows-wmi-activity/operational", "wmi"),
    (
        "microsoft-windows-windows firewall with advanced security/firewall",
        "firewall-as",
    ),
    ("microsoft-windows-bits-client/operational", "bits-client"),
    (
        "microsoft-windows-dns client events/operational",
        "dns-client",
    ),
    ("dns server", "dns-server"),
    (
        "microsoft-windows-dns-server/analytical",
        "dns-server-analytic",
    ),
    (
        "microsoft-windows-codeintegrity/operational",
        "codeintegrity-operational",
    ),
    ("microsoft-windows-applocker/msi and script", "applocker"),
    ("microsoft-windows-applocker/exe and dll", "applocker"),
    (
        "microsoft-windows-applocker/packaged app-deployment",
        "applocker",
    ),
    (
        "microsoft-windows-applocker/packaged app-execution",
        "applocker",
    ),
    (
        "microsoft-windows-appxdeploymentserver/operational",
        "appxdeployment-server",
    ),
    (
        "microsoft-windows-appxpackaging/operational",
        "appxpackaging-om",
    ),
    (
        "microsoft-windows-appmodel-runtime/admin",
        "appmodel-runtime",
    ),
    ("microsoft-windows-capi2/operational", "capi2"),
    (
        "microsoft-windows-certificateservicesclient-lifecycle-system/operational",
        "certificateservicesclient-lifecycle-system",
    ),
    (
        "microsoft-windows-diagnosis-scripted/operational",
        "diagnosis-scripted",
    ),
    (
        "microsoft-windows-driverframeworks-usermode/operational",
        "driver-framework",
    ),
    (
        "microsoft-iis-configuration/operational",
        "iis-configuration",
    ),
    ("microsoft-windows-ldap-client/debug", "ldap"),
    ("microsoft-windows-lsa/operational", "lsa-server"),
    ("microsoft-servicebus-client", "microsoft-servicebus-client"),
    ("msexchange management", "msexchange-management"),
    ("microsoft-windows-ntlm/operational", "ntlm"),
    ("openssh/operational", "openssh"),
    ("microsoft-windows-printservice/admin", "printservice-admin"),
    (
        "microsoft-windows-printservice/operational",
        "printservice-operational",
    ),
    (
        "microsoft-windows-security-mitigations/kernel mode",
        "security-mitigations",
    ),
    (
        "microsoft-windows-security-mitigations/user mode",
        "security-mitigations",
    ),
    ("microsoft-windows-shell-core/operational", "shell-core"),
    (
        "microsoft-windows-smbclient/connectivity",
        "smbclient-connectivity",
    ),
    ("microsoft-windows-smbclient/security", "smbclient-security"),
    (
        "microsoft-windows-smbserver/connectivity",
        "smbserver-connectivity",
    ),
    (
        "microsoft-windows-terminalservices-localsessionmanager/operational",
        "terminalservices-localsessionmanager",
    ),
];

/// Windows provider (lower case) → Sigma service, when the channel is missing.
const PROVIDERS: &[(&str, &str)] = &[
    ("microsoft-windows-sysmon", "sysmon"),
    ("microsoft-windows-security-auditing", "security"),
    ("microsoft-windows-powershell", "powershell"),
    ("powershell", "powershell-classic"),
    ("microsoft-windows-windows defender", "windefend"),
    ("service control manager", "system"),
    ("microsoft-windows-taskscheduler", "taskscheduler"),
    ("microsoft-windows-wmi-activity", "wmi"),
];

/// Sysmon event id → category.
fn sysmon_category(id: u32, ev: &Event) -> Option<&'static str> {
    Some(match id {
        1 => "process_creation",
        2 => "file_change",
        3 => "network_connection",
        4 | 16 => "sysmon_status",
        5 => "process_termination",
        6 => "driver_load",
        7 => "image_load",
        8 => "create_remote_thread",
        9 => "raw_access_thread",
        10 => "process_access",
        11 => "file_event",
        12 => {
            let t = ev.first_lower("eventtype").unwrap_or("");
            if t.contains("delete") {
                "registry_delete"
            } else {
                "registry_add"
            }
        }
        13 => "registry_set",
        14 => "registry_rename",
        15 => "create_stream_hash",
        17 | 18 => "pipe_created",
        19..=21 => "wmi_event",
        22 => "dns_query",
        23 | 26 => "file_delete",
        24 => "clipboard_capture",
        25 => "process_tampering",
        27 => "file_block_executable",
        28 => "file_block_shredding",
        29 => "file_executable_detected",
        255 => "sysmon_error",
        _ => return None,
    })
}

fn windows_category(service: &str, id: Option<u32>, ev: &Event) -> Option<&'static str> {
    let id = id?;
    match service {
        "sysmon" => sysmon_category(id, ev),
        "security" if id == 4688 => Some("process_creation"),
        "powershell" if id == 4104 => Some("ps_script"),
        "powershell" if id == 4103 => Some("ps_module"),
        "powershell-classic" if id == 400 => Some("ps_classic_start"),
        "powershell-classic" if id == 600 => Some("ps_classic_provider_start"),
        "powershell-classic" if id == 800 => Some("ps_classic_script"),
        _ => None,
    }
}

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Infers `(log source, exact)` for a built event; `hint` is the source a recognised
/// record shape names (it wins over the guesses, never over an exact Windows source).
pub(crate) fn infer(ev: &Event, hint: Option<&LogSource>) -> (LogSource, bool) {
    let lc = |k: &str| ev.first_lower(k);
    let event_id = lc("eventid").and_then(|s| s.trim().parse::<u32>().ok());
    let channel = lc("channel");
    let provider = lc("provider_name");
    let service = channel
        .and_then(|c| lookup(CHANNELS, c))
        .or_else(|| provider.and_then(|p| lookup(PROVIDERS, p)));
    if let Some(service) = service {
        let category = windows_category(service, event_id, ev);
        return (
            LogSource {
                product: Some("windows".into()),
                category: category.map(str::to_owned),
                service: Some(service.into()),
            },
            true,
        );
    }
    let mut product: Option<&str> = None;
    let mut category: Option<&str> = None;
    let mut service: Option<&str> = None;
    if channel.is_some() || provider.is_some() {
        product = Some("windows");
    }
    // ECS
    let has = |key: &str, x: &str| ev.lower_values(key).any(|v| v == x);
    if ev.lower_values("event.category").next().is_some() {
        let types = ev.lower_values("event.type").next().is_some();
        category = if has("event.category", "process") && (!types || has("event.type", "start")) {
            Some("process_creation")
        } else if has("event.category", "network") {
            Some("network_connection")
        } else if has("event.category", "file") && has("event.type", "deletion") {
            Some("file_delete")
        } else if has("event.category", "file") {
            Some("file_event")
        } else if has("event.category", "registry") {
            Some("registry_set")
        } else if has("event.category", "library") {
            Some("image_load")
        } else if has("event.category", "driver") {
            Some("driver_load")
        } else {
            None
        };
    }
    for k in ["host.os.type", "host.os.family", "host.os.platform"] {
        if let Some(os) = lc(k) {
            if os.contains("windows") {
                product = Some("windows");
            } else if os.contains("linux") {
                product = Some("linux");
            } else if os.contains("mac") || os == "darwin" {
                product = Some("macos");
            }
        }
    }
    if let Some(ds) = lc("event.dataset").or_else(|| lc("event.module")) {
        if ds.starts_with("windows") || ds.contains("sysmon") {
            product = Some("windows");
        }
        if ds == "dns" || ds.ends_with(".dns") {
            category = category.or(Some("dns_query"));
        }
    }
    // Native alerts and reconstructed logs.
    if let Some(t) = lc("event_type") {
        let cat = match t {
            "process_creation" | "process_start" | "process_create" | "file_execution"
            | "process_execution" => Some("process_creation"),
            "network_connection" | "network" => Some("network_connection"),
            "file_creation" | "file_create" | "file_event" | "file_write" => Some("file_event"),
            "file_delete" | "file_deletion" => Some("file_delete"),
            "dns_query" | "dns" => Some("dns_query"),
            "registry_set" | "registry_value_set" => Some("registry_set"),
            "image_load" | "module_load" => Some("image_load"),
            _ => None,
        };
        category = category.or(cat);
    }
    match lc("log_source") {
        Some("windows_eventlog" | "windows") => product = Some("windows"),
        Some("linux_auth" | "auth" | "syslog" | "journald" | "journal" | "systemd-journal") => {
            product = Some("linux");
        }
        Some("auditd" | "audit" | "linux_audit" | "auditbeat") => {
            product = Some("linux");
            service = Some("auditd");
        }
        Some("falco" | "sysdig") => product = Some("linux"),
        Some("web_proxy" | "proxy") => category = Some("proxy"),
        Some("webserver" | "web" | "waf") => category = Some("webserver"),
        Some("dns") => category = Some("dns"),
        _ => {}
    }
    if lc("location").is_some_and(|l| l.contains("auth.log") || l.contains("secure")) {
        product = Some("linux");
    }
    let program = lc("program")
        .or_else(|| lc("predecoder.program_name"))
        .or_else(|| lc("decoder.name"))
        .or_else(|| lc("syslog_identifier"))
        .or_else(|| lc("_comm"));
    if let Some(p @ ("sshd" | "sudo")) = program {
        service = Some(p);
        product = product.or(Some("linux"));
    }
    if let Some(h) = hint {
        return (
            LogSource {
                product: h.product.clone().or(product.map(str::to_owned)),
                category: h.category.clone().or(category.map(str::to_owned)),
                service: h.service.clone().or(service.map(str::to_owned)),
            },
            false,
        );
    }
    if product == Some("linux") && service.is_none() && category.is_none() {
        service = Some("auth");
    }
    if product.is_none() {
        let windowsish = ["image", "commandline", "parentimage", "targetfilename"]
            .iter()
            .filter_map(|k| lc(k))
            .any(|l| l.contains(":\\") || l.contains(".exe") || l.starts_with("\\\\"));
        if windowsish {
            product = Some("windows");
        } else if ["image", "commandline", "exe", "process.executable"]
            .iter()
            .filter_map(|k| lc(k))
            .any(|l| l.starts_with('/') || l.starts_with("bash ") || l.starts_with("sh -c"))
        {
            // POSIX paths: a Linux (or macOS) process; Linux rules are the ones that apply.
            product = Some("linux");
        }
    }
    (
        LogSource {
            product: product.map(str::to_owned),
            category: category.map(str::to_owned),
            service: service.map(str::to_owned),
        },
        false,
    )
}
