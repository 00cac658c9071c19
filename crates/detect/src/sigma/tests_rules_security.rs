//! Table tests of the project's security rules (`rules/sigma/`): events each rule must meet,
//! and look-alikes of normal work it must leave alone.

use serde_json::{Value, json};

use super::test_support::{embedded_rule as rule_info, embedded_titles, has, lacks};

/// Titles of the embedded rules one Windows event (dev-set raw_log shape) meets.
#[allow(clippy::needless_pass_by_value)]
fn titles(provider: &str, channel: &str, event_id: u32, data: Value) -> Vec<String> {
    embedded_titles(provider, channel, event_id, &data)
}

fn security(event_id: u32, data: Value) -> Vec<String> {
    titles(
        "Microsoft-Windows-Security-Auditing",
        "Security",
        event_id,
        data,
    )
}

fn sysmon(event_id: u32, data: Value) -> Vec<String> {
    titles(
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        event_id,
        data,
    )
}

fn system(event_id: u32, data: Value) -> Vec<String> {
    titles("Service Control Manager", "System", event_id, data)
}

#[test]
fn active_directory_attacks_in_the_security_log_meet_their_rules() {
    let dcshadow = "Domain Controller Replication Service Names Added To A Computer Account";
    let spns = |s: &str| json!({"TargetUserName": "PC07$", "SubjectUserName": "admin2", "ServicePrincipalNames": s});
    for s in [
        "HOST/PC07.corp.local\r\nGC/PC07.corp.local/corp.local",
        "HOST/PC07\r\nE3514235-4B06-11D1-AB04-00C04FC2DCD2/7c1e2f9a-1111-4a4a-9b9b-0a0a0a0a0a0a/corp.local",
    ] {
        has(&security(4742, spns(s)), dcshadow, s);
    }
    for s in [
        "HOST/PC07.corp.local\r\nRestrictedKrbHost/PC07.corp.local",
        "-",
        "MSSQLSvc/db1.corp.local:1433\r\nHOST/db1",
    ] {
        lacks(&security(4742, spns(s)), dcshadow, s);
    }
    let ntds = "Directory Server Settings Object Created In The Configuration Partition";
    let obj = |class: &str, op: &str| {
        json!({"SubjectUserName": "PC07$", "ObjectClass": class, "OperationType": op,
               "ObjectDN": "CN=NTDS Settings,CN=PC07,CN=Servers,CN=Site,CN=Sites,CN=Configuration,DC=corp,DC=local"})
    };
    has(
        &security(5136, obj("nTDSDSA", "%%14674")),
        ntds,
        "nTDSDSA added",
    );
    lacks(
        &security(5136, obj("nTDSDSA", "%%14675")),
        ntds,
        "nTDSDSA deleted",
    );
    lacks(
        &security(5136, obj("user", "%%14674")),
        ntds,
        "user attribute",
    );

    let sid = "SID History Added To An Account";
    let sid_failed = "Failed Attempt To Add SID History To An Account";
    let sid_priv = "Privileged Group Or Administrator SID Written Into An Account's SID History";
    let hist = |list: &str| json!({"TargetUserName": "carol", "SubjectUserName": "admin2", "SidList": list});
    let ea = hist("%{S-1-5-21-1111111111-2222222222-3333333333-519}");
    has(&security(4765, ea.clone()), sid, "4765 EA");
    has(&security(4765, ea.clone()), sid_priv, "4765 EA");
    has(&security(4766, ea), sid_failed, "4766 EA");
    let da = hist("%{S-1-5-21-1111111111-2222222222-3333333333-512}");
    has(&security(4766, da), sid_priv, "4766 DA");
    let migrated = hist("%{S-1-5-21-4444444444-5555555555-6666666666-1187}");
    has(&security(4765, migrated.clone()), sid, "migration");
    lacks(&security(4765, migrated), sid_priv, "migration");
    // A user RID that merely ends in the digits of a privileged RID.
    lacks(
        &security(
            4765,
            hist("%{S-1-5-21-4444444444-5555555555-6666666666-5120}"),
        ),
        sid_priv,
        "RID 5120",
    );
    lacks(&security(4738, hist("-")), sid, "account changed");

    let dsrm = "Directory Services Restore Mode Administrator Password Set";
    has(
        &security(
            4794,
            json!({"SubjectUserName": "admin2", "Workstation": "DC01", "Status": "0x0"}),
        ),
        dsrm,
        "4794",
    );
    lacks(
        &security(
            4724,
            json!({"SubjectUserName": "admin2", "TargetUserName": "bob"}),
        ),
        dsrm,
        "password reset",
    );
    let dsrm_reg = "Directory Services Restore Mode Account Allowed To Log On While AD Is Running";
    let reg = |key: &str, v: &str| {
        sysmon(
            13,
            json!({"EventType": "SetValue", "Image": "C:\\Windows\\System32\\reg.exe",
                          "TargetObject": key, "Details": v}),
        )
    };
    let key = "HKLM\\System\\CurrentControlSet\\Control\\Lsa\\DsrmAdminLogonBehavior";
    has(&reg(key, "DWORD (0x00000002)"), dsrm_reg, "2");
    has(&reg(key, "2"), dsrm_reg, "2 plain");
    lacks(&reg(key, "DWORD (0x00000001)"), dsrm_reg, "1");
    lacks(&reg(key, "DWORD (0x00000000)"), dsrm_reg, "0");
    lacks(
        &reg(
            "HKLM\\System\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel",
            "2",
        ),
        dsrm_reg,
        "other LSA value",
    );

    let asrep = "Kerberos Logon Ticket Issued Without Pre-Authentication";
    let asrep_rc4 =
        "Kerberos Logon Ticket Issued With RC4 Encryption And Without Pre-Authentication";
    let tgt = |user: &str, pre: &str, enc: &str, status: &str| {
        security(
            4768,
            json!({"TargetUserName": user, "ServiceName": "krbtgt", "PreAuthType": pre,
                              "TicketEncryptionType": enc, "Status": status, "IpAddress": "::ffff:10.0.2.15"}),
        )
    };
    let got = tgt("jdoe", "0", "0x17", "0x0");
    has(&got, asrep, "rc4");
    has(&got, asrep_rc4, "rc4");
    let got = tgt("jdoe", "0", "0x12", "0x0");
    has(&got, asrep, "aes");
    lacks(&got, asrep_rc4, "aes");
    for (user, pre, enc, status) in [
        ("jdoe", "2", "0x12", "0x0"),
        ("jdoe", "2", "0x17", "0x0"),
        ("jdoe", "15", "0x12", "0x0"),
        ("PC07$", "0", "0x17", "0x0"),
        ("jdoe", "-", "0xffffffff", "0x6"),
    ] {
        let got = tgt(user, pre, enc, status);
        lacks(&got, asrep, user);
        lacks(&got, asrep_rc4, user);
    }
}

#[test]
fn account_rules_name_creation_group_membership_and_default_accounts() {
    let created = "User Account Created";
    let group = "Account Added To A Built-In Privileged Local Or Domain Group";
    has(
        &security(
            4720,
            json!({"TargetUserName": "support_tmp", "SubjectUserName": "SRV1$"}),
        ),
        created,
        "4720",
    );
    lacks(
        &security(4726, json!({"TargetUserName": "support_tmp"})),
        created,
        "account deleted",
    );
    has(
        &security(
            4732,
            json!({"MemberSid": "S-1-5-21-1-2-3-1009", "TargetUserName": "Administrators", "TargetSid": "S-1-5-32-544"}),
        ),
        group,
        "4732",
    );
    lacks(
        &security(
            4732,
            json!({"MemberSid": "S-1-5-21-1-2-3-1009", "TargetUserName": "Print Operators Custom", "TargetSid": "S-1-5-21-1-2-3-1200"}),
        ),
        group,
        "ordinary group",
    );

    let guest = "Built-In Guest Account Enabled";
    let builtin = "Built-In Administrator Or Default Account Enabled";
    let enabled = |user: &str, sid: &str| {
        security(
            4722,
            json!({"TargetUserName": user, "TargetSid": sid, "SubjectUserName": "admin2"}),
        )
    };
    has(
        &enabled("Guest", "S-1-5-21-1077216312-2384926543-1121110012-501"),
        guest,
        "guest",
    );
    has(
        &enabled("Invité", "S-1-5-21-1077216312-2384926543-1121110012-501"),
        guest,
        "localised guest",
    );
    has(
        &enabled(
            "Administrator",
            "S-1-5-21-1077216312-2384926543-1121110012-500",
        ),
        builtin,
        "rid 500",
    );
    has(
        &enabled(
            "DefaultAccount",
            "S-1-5-21-1077216312-2384926543-1121110012-503",
        ),
        builtin,
        "rid 503",
    );
    for (user, sid) in [
        ("bob", "S-1-5-21-1077216312-2384926543-1121110012-1501"),
        ("alice", "S-1-5-21-1077216312-2384926543-1121110012-1104"),
    ] {
        let got = enabled(user, sid);
        lacks(&got, guest, user);
        lacks(&got, builtin, user);
    }
    // The Guest account disabled again is not the rule's event.
    lacks(
        &security(
            4725,
            json!({"TargetUserName": "Guest", "TargetSid": "S-1-5-21-1-2-3-501"}),
        ),
        guest,
        "4725",
    );
}

#[test]
fn event_log_service_crash_meets_its_rule_and_other_services_do_not() {
    let want = "Windows Event Log Service Terminated Unexpectedly";
    has(
        &system(7034, json!({"param1": "Windows Event Log", "param2": "1"})),
        want,
        "7034",
    );
    has(
        &system(
            7031,
            json!({"param1": "Windows Event Log", "param2": "1", "param3": "60000", "param4": "1", "param5": "Restart the service"}),
        ),
        want,
        "7031",
    );
    lacks(
        &system(7034, json!({"param1": "Print Spooler", "param2": "1"})),
        want,
        "spooler",
    );
    lacks(
        &system(
            7036,
            json!({"param1": "Windows Event Log", "param2": "running"}),
        ),
        want,
        "7036 running",
    );
}

#[test]
fn registry_and_file_persistence_rules_meet_attacks_and_not_normal_writes() {
    let reg = |image: &str, key: &str, v: &str| {
        sysmon(
            13,
            json!({"EventType": "SetValue", "Image": image, "TargetObject": key, "Details": v}),
        )
    };
    let clm = "PowerShell Constrained Language Lockdown Switched Off Through The Registry";
    let lock = "HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\Environment\\__PSLockdownPolicy";
    has(&reg("C:\\Windows\\System32\\reg.exe", lock, "8"), clm, "8");
    has(
        &reg("C:\\Windows\\regedit.exe", lock, "DWORD (0x00000000)"),
        clm,
        "0",
    );
    lacks(
        &reg(
            "C:\\Windows\\System32\\svchost.exe",
            lock,
            "DWORD (0x00000004)",
        ),
        clm,
        "4",
    );
    lacks(
        &reg("C:\\Windows\\System32\\svchost.exe", lock, "4"),
        clm,
        "4 plain",
    );
    lacks(
        &reg(
            "C:\\Windows\\System32\\svchost.exe",
            "HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\Environment\\PSModulePath",
            "C:\\x",
        ),
        clm,
        "PSModulePath",
    );

    let netsh = "Netsh Helper DLL Registered From Outside The System Folder";
    let nkey = |n: &str| format!("HKLM\\SOFTWARE\\Microsoft\\NetSh\\{n}");
    has(
        &reg(
            "C:\\Windows\\System32\\netsh.exe",
            &nkey("nethlp"),
            "C:\\Users\\Public\\nethlp.dll",
        ),
        netsh,
        "public",
    );
    has(
        &reg(
            "C:\\Windows\\System32\\reg.exe",
            &nkey("x"),
            "C:\\ProgramData\\svc\\helper.dll",
        ),
        netsh,
        "programdata",
    );
    lacks(
        &reg(
            "C:\\Windows\\System32\\netsh.exe",
            &nkey("wlancfg"),
            "wlancfg.dll",
        ),
        netsh,
        "built-in bare name",
    );
    lacks(
        &reg(
            "C:\\Windows\\System32\\netsh.exe",
            &nkey("ifmon"),
            "C:\\Windows\\System32\\ifmon.dll",
        ),
        netsh,
        "system path",
    );
    lacks(
        &reg(
            "C:\\Windows\\System32\\reg.exe",
            "HKLM\\SOFTWARE\\Microsoft\\Office\\x",
            "C:\\Users\\Public\\a.dll",
        ),
        netsh,
        "other key",
    );

    let file =
        |image: &str, target: &str| sysmon(11, json!({"Image": image, "TargetFilename": target}));
    let script = "Script Written Into A Startup Folder";
    let program = "Program Or Library Written Into A Startup Folder";
    let lnk = "Startup Folder Shortcut Created By A Script Host Or A User-Folder Program";
    let user_startup =
        "C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\";
    let all_startup = "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp\\";
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    has(
        &file(ps, &format!("{user_startup}update.vbs")),
        script,
        "vbs",
    );
    has(
        &file(
            "C:\\Windows\\System32\\cmd.exe",
            &format!("{all_startup}sync.bat"),
        ),
        script,
        "all-users bat",
    );
    has(
        &file(
            "C:\\Users\\bob\\Downloads\\inv.exe",
            &format!("{user_startup}svc.exe"),
        ),
        program,
        "exe",
    );
    has(
        &file(ps, &format!("{user_startup}Updater.lnk")),
        lnk,
        "lnk by powershell",
    );
    has(
        &file("C:\\Users\\Public\\l.exe", &format!("{all_startup}a.lnk")),
        lnk,
        "lnk by public program",
    );
    for (image, target) in [
        ("C:\\Program Files\\Vendor\\setup.exe", format!("{all_startup}agent.exe")),
        ("C:\\Windows\\System32\\msiexec.exe", format!("{all_startup}launch.cmd")),
        ("C:\\Windows\\explorer.exe", format!("{user_startup}Notes.lnk")),
        ("C:\\Windows\\System32\\msiexec.exe", format!("{all_startup}Agent.lnk")),
        (ps, "C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Tools\\x.vbs".to_owned()),
        (ps, format!("{user_startup}desktop.ini")),
    ] {
        let got = file(image, &target);
        lacks(&got, script, &target);
        lacks(&got, program, &target);
        lacks(&got, lnk, &target);
    }
}

#[test]
fn remote_thread_rules_meet_injection_and_not_system_threads() {
    let crt = |src: &str, dst: &str, module: &str, func: &str| {
        sysmon(
            8,
            json!({"SourceImage": src, "TargetImage": dst, "StartAddress": "0x00007FFB2C3A1F80",
                         "StartModule": module, "StartFunction": func}),
        )
    };
    let loc = "Remote Thread Created In Another Process By A Program From A Temp, Public Or Download Folder, Or Into LSASS";
    let core =
        "Remote Thread Created In A Windows Core Process By A Program From ProgramData Or AppData";
    let appdata =
        "Remote Thread Created In Another Process By A Program From ProgramData Or AppData";
    let host = "Remote Thread Created In A System, Browser, Office Or Sacrificial Process By PowerShell, A Script Host Or A Proxy-Execution Binary";
    let unbacked = "Remote Thread Started At An Address Outside Any Loaded Module";
    let loadlib = "Remote Thread Starts LoadLibrary In Another Process From A Program Outside The System And Program Folders";
    let k32 = "C:\\Windows\\System32\\KERNEL32.DLL";
    let got = crt(
        "C:\\ProgramData\\inject.exe",
        "C:\\Windows\\explorer.exe",
        k32,
        "LoadLibraryA",
    );
    has(&got, core, "programdata");
    has(&got, loadlib, "programdata");
    has(
        &crt(
            "C:\\Users\\bob\\AppData\\Roaming\\upd\\u.exe",
            "C:\\Windows\\System32\\notepad.exe",
            k32,
            "LoadLibraryW",
        ),
        appdata,
        "roaming",
    );
    let got = crt(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Windows\\System32\\spoolsv.exe",
        "",
        "",
    );
    has(&got, host, "powershell");
    has(&got, unbacked, "powershell");
    has(
        &crt(
            "C:\\Windows\\System32\\rundll32.exe",
            "C:\\Windows\\explorer.exe",
            "-",
            "-",
        ),
        unbacked,
        "dash",
    );
    for (src, dst, module, func) in [
        (
            "C:\\Windows\\System32\\csrss.exe",
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\KERNELBASE.dll",
            "CtrlRoutine",
        ),
        (
            "C:\\Windows\\System32\\wininit.exe",
            "C:\\Windows\\System32\\lsass.exe",
            "C:\\Windows\\System32\\ntdll.dll",
            "RtlUserThreadStart",
        ),
        (
            "C:\\Program Files\\obs-studio\\data\\obs-plugins\\win-capture\\inject-helper64.exe",
            "C:\\Games\\game.exe",
            k32,
            "LoadLibraryW",
        ),
        (
            "C:\\Users\\bob\\AppData\\Local\\Discord\\app-1.0.9\\Discord.exe",
            "C:\\Games\\game.exe",
            "C:\\Users\\bob\\AppData\\Local\\Discord\\hook.dll",
            "HookStart",
        ),
        (
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\System32\\csrss.exe",
            "",
            "",
        ),
        (
            "C:\\Program Files\\Microsoft Visual Studio\\msvsmon.exe",
            "C:\\src\\app.exe",
            "C:\\Windows\\System32\\ntdll.dll",
            "DbgUiRemoteBreakin",
        ),
    ] {
        let got = crt(src, dst, module, func);
        for t in [loc, core, appdata, host, unbacked, loadlib] {
            lacks(&got, t, src);
        }
    }
    // An event without a StartModule field (EDR summary) says nothing about the address.
    let got = sysmon(
        8,
        json!({"SourceImage": "C:\\Program Files\\App\\a.exe", "TargetImage": "C:\\Windows\\explorer.exe"}),
    );
    lacks(&got, unbacked, "no StartModule field");
}

#[test]
fn offensive_framework_pipes_match_and_browser_and_system_pipes_do_not() {
    let pipe = |image: &str, name: &str| {
        sysmon(
            17,
            json!({"EventType": "CreatePipe", "Image": image, "PipeName": name}),
        )
    };
    let cs = "Named Pipe Of The Cobalt Strike Artifact-Kit Loader Created";
    let postex = "Named Pipe Of A Cobalt Strike Post-Exploitation Job Created";
    let smb = "Named Pipe Of A Cobalt Strike SMB Beacon Or Stager Created";
    let remote = "Named Pipe Of A Remote Service Execution Tool Used By Attack Frameworks Created";
    let paexec = "Named Pipe Of The PAExec Remote Execution Tool Created";
    let msf = "Named Pipe Of A Metasploit Or Covenant Payload Created";
    let rundll = "C:\\Windows\\System32\\rundll32.exe";
    for (name, want) in [
        ("\\MSSE-4410-server", cs),
        ("\\postex_8b2c", postex),
        ("\\postex_ssh_61a0", postex),
        ("\\msagent_f3", smb),
        ("\\status_4a", smb),
        ("\\mojo.5688.8052.183894939787088877a1", smb),
        ("\\RemCom_communicaton", remote),
        ("\\RemCom_stdoutabc12345", remote),
        ("\\csexecsvc", remote),
        ("\\PAExec-5112-WS042", paexec),
        ("\\msf-pipe", msf),
        ("\\gruntsvc", msf),
    ] {
        has(&pipe(rundll, name), want, name);
    }
    let chrome = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
    for (image, name) in [
        (chrome, "\\mojo.4712.9812.13318204920748218826"),
        (chrome, "\\mojo.5688.8052.99990000111122223333"),
        (chrome, "\\crashpad_4712_QWERTYUIOPASDFGH"),
        ("C:\\Windows\\System32\\svchost.exe", "\\lsarpc"),
        ("C:\\Windows\\System32\\svchost.exe", "\\srvsvc"),
        (
            "C:\\Program Files\\Vendor\\agent.exe",
            "\\status_monitor_pipe",
        ),
        ("C:\\Program Files\\Vendor\\agent.exe", "\\postex_report"),
        ("C:\\Windows\\PSEXESVC.exe", "\\PSEXESVC"),
    ] {
        let got = pipe(image, name);
        for t in [cs, postex, smb, remote, paexec, msf] {
            lacks(&got, t, name);
        }
    }
}

#[test]
fn vault_library_loaded_from_temp_matches_and_installed_programs_do_not() {
    let load = |image: &str, dll: &str| {
        sysmon(
            7,
            json!({"Image": image, "ImageLoaded": dll, "Signed": "true"}),
        )
    };
    let want = "Credential Vault Library Loaded By A Program From A Temporary Or Download Folder";
    let vault = "C:\\Windows\\System32\\vaultcli.dll";
    has(
        &load("C:\\Users\\bob\\AppData\\Local\\Temp\\SharpWeb.exe", vault),
        want,
        "temp",
    );
    has(&load("C:\\Users\\Public\\s.exe", vault), want, "public");
    for (image, dll) in [
        (
            "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
            vault,
        ),
        ("C:\\Windows\\System32\\svchost.exe", vault),
        (
            "C:\\Users\\bob\\AppData\\Local\\Programs\\App\\app.exe",
            vault,
        ),
        (
            "C:\\Users\\bob\\AppData\\Local\\Temp\\setup.exe",
            "C:\\Windows\\System32\\version.dll",
        ),
    ] {
        lacks(&load(image, dll), want, image);
    }
}

#[test]
fn lsass_access_by_security_products_is_filtered_and_look_alikes_are_not() {
    let want = "LSASS Memory Opened For Reading By An Unusual Process";
    let access = |src: &str| {
        sysmon(
            10,
            json!({"SourceImage": src, "TargetImage": "C:\\Windows\\system32\\lsass.exe", "GrantedAccess": "0x1410"}),
        )
    };
    for src in [
        "C:\\Program Files\\CrowdStrike\\CSFalconService.exe",
        "C:\\Program Files\\SentinelOne\\Sentinel Agent 23.3.2.12\\SentinelAgent.exe",
        "C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe",
        "C:\\Program Files\\Symantec\\Symantec Endpoint Protection\\14.3.8289.5000.105\\Bin64\\ccSvcHst.exe",
        "C:\\Program Files\\Palo Alto Networks\\Traps\\cyserver.exe",
        "C:\\Program Files\\Elastic\\Endpoint\\elastic-endpoint.exe",
        "C:\\Program Files\\Confer\\RepMgr.exe",
    ] {
        lacks(&access(src), want, src);
    }
    for src in [
        "C:\\Users\\bob\\Desktop\\CSFalconService.exe",
        "C:\\Program Files\\CrowdStrike\\mimikatz.exe",
        "C:\\ProgramData\\SentinelOne\\SentinelAgent.exe",
        "C:\\Program Files\\SentinelOne\\Sentinel Agent 23.3.2.12\\procdump64.exe",
        "C:\\Program Files\\Windows Defender Advanced Threat Protection\\x\\dump.exe",
    ] {
        has(&access(src), want, src);
    }
}

#[test]
fn real_domain_controllers_aes_roasting_and_localised_event_log_names_are_handled() {
    let dcshadow = "Domain Controller Replication Service Names Added To A Computer Account";
    let spn_change = |target: &str, spns: &str| {
        security(
            4742,
            json!({"TargetUserName": target, "SubjectUserName": "Administrator",
                   "ServicePrincipalNames": spns}),
        )
    };
    let dc = "ldap/DC01.corp.local/ForestDnsZones.corp.local\n\t\tE3514235-4B06-11D1-AB04-00C04FC2DCD2/0c6d1a2b-1111-2222-3333-444455556666/corp.local\n\t\tGC/DC01.corp.local/corp.local\n\t\tHOST/DC01.corp.local\n\t\tHTTP/dc01.corp.local";
    lacks(
        &spn_change("DC01$", dc),
        dcshadow,
        "HTTP SPN added to a real DC",
    );
    let dfsr = "Dfsr-12F9A27C-BF97-4787-9364-D31B6C55EB04/DC02.corp.local\n\t\tGC/DC02.corp.local/corp.local\n\t\tHOST/DC02.corp.local";
    lacks(&spn_change("DC02$", dfsr), dcshadow, "DC rename");
    has(
        &spn_change(
            "WS01$",
            "HOST/WS01.corp.local\n\t\tRestrictedKrbHost/WS01.corp.local\n\t\tGC/WS01.corp.local/corp.local\n\t\tE3514235-4B06-11D1-AB04-00C04FC2DCD2/abc/corp.local",
        ),
        dcshadow,
        "workstation given DC names",
    );

    let asrep = "Kerberos Logon Ticket Issued Without Pre-Authentication";
    let rc4 = "Kerberos Logon Ticket Issued With RC4 Encryption And Without Pre-Authentication";
    let tgt = |etype: &str| {
        security(
            4768,
            json!({"TargetUserName": "svc-legacy", "PreAuthType": "0", "Status": "0x0",
                   "TicketEncryptionType": etype, "IpAddress": "::ffff:10.0.0.8"}),
        )
    };
    has(&tgt("0x12"), asrep, "AES without pre-auth");
    lacks(&tgt("0x12"), rc4, "AES without pre-auth");
    has(&tgt("0x17"), rc4, "RC4 without pre-auth");
    assert_eq!(rule_info(asrep).level.as_deref(), Some("low"));
    assert_eq!(rule_info(rc4).level.as_deref(), Some("high"));

    let crash = "Windows Event Log Service Terminated Unexpectedly";
    let scm = |name: &str, binary: &str| {
        system(
            7034,
            json!({"param1": name, "param2": "1", "Binary": binary}),
        )
    };
    has(
        &scm(
            "Windows-Ereignisprotokoll",
            "4500760065006E0074004C006F0067000000",
        ),
        crash,
        "German display name",
    );
    has(
        &scm(
            "Journal d’événements Windows",
            "4500760065006E0074004C006F0067000000",
        ),
        crash,
        "French display name, key name in the binary data",
    );
    lacks(
        &scm("Druckwarteschlange", "530070006F006F006C00650072000000"),
        crash,
        "German print spooler",
    );
}

#[test]
fn startup_droppers_are_caught_and_setup_programs_are_not() {
    let fe =
        |image: &str, target: &str| sysmon(11, json!({"Image": image, "TargetFilename": target}));
    let script = "Script Written Into A Startup Folder";
    let program = "Program Or Library Written Into A Startup Folder";
    let shortcut = "Startup Folder Shortcut Created By A Script Host Or A User-Folder Program";
    let startup =
        "C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\";
    has(
        &fe(
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
            &format!("{startup}update.vbs"),
        ),
        script,
        "Word macro drops a script",
    );
    has(
        &fe(
            "C:\\Program Files\\7-Zip\\7zFM.exe",
            &format!("{startup}svchost.exe"),
        ),
        program,
        "archiver extracts a program",
    );
    lacks(
        &fe(
            "C:\\Program Files\\Vendor Tray\\setup.exe",
            &format!("{startup}traymon.exe"),
        ),
        program,
        "installer under Program Files",
    );
    lacks(
        &fe(
            "C:\\Users\\alice\\AppData\\Local\\Temp\\is-7Q2LK.tmp\\greenshot-installer.tmp",
            &format!("{startup}Greenshot.lnk"),
        ),
        shortcut,
        "Inno Setup engine",
    );
    lacks(
        &fe(
            "C:\\Users\\alice\\Downloads\\SomeAppSetup-2.1.exe",
            &format!("{startup}SomeApp.lnk"),
        ),
        shortcut,
        "NSIS setup from Downloads",
    );
    has(
        &fe(
            "C:\\Users\\alice\\Downloads\\invoice_2231.exe",
            &format!("{startup}OneDriveSync.lnk"),
        ),
        shortcut,
        "dropped program from Downloads",
    );
}

#[test]
fn remote_threads_from_app_folders_and_by_script_hosts_are_graded_by_target() {
    let crt = |src: &str, dst: &str, module: &str, func: &str| {
        sysmon(
            8,
            json!({"SourceImage": src, "TargetImage": dst, "StartAddress": "0x00007FFB2C3A1F80",
                   "StartModule": module, "StartFunction": func}),
        )
    };
    let loc = "Remote Thread Created In Another Process By A Program From A Temp, Public Or Download Folder, Or Into LSASS";
    let core =
        "Remote Thread Created In A Windows Core Process By A Program From ProgramData Or AppData";
    let appdata =
        "Remote Thread Created In Another Process By A Program From ProgramData Or AppData";
    let host = "Remote Thread Created In A System, Browser, Office Or Sacrificial Process By PowerShell, A Script Host Or A Proxy-Execution Binary";
    let host_other = "Remote Thread Created In Another Process By PowerShell, A Script Host Or A Proxy-Execution Binary";
    let loadlib = "Remote Thread Starts LoadLibrary In Another Process From A Program Outside The System And Program Folders";
    let kb = "C:\\Windows\\System32\\KERNELBASE.dll";
    let k32 = "C:\\Windows\\System32\\KERNEL32.DLL";
    // Per-user and package-manager programs: console control threads are not injection,
    // and hooking an ordinary program from AppData is only a lead.
    for (src, dst) in [
        (
            "C:\\Users\\alice\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe",
            "C:\\Windows\\System32\\notepad.exe",
        ),
        (
            "C:\\ProgramData\\chocolatey\\bin\\choco.exe",
            "C:\\Windows\\System32\\cmd.exe",
        ),
        (
            "C:\\ProgramData\\Package Cache\\{abc}\\VC_redist.x64.exe",
            "C:\\ProgramData\\Package Cache\\{abc}\\VC_redist.x64.exe",
        ),
    ] {
        let got = crt(src, dst, kb, "CtrlRoutine");
        for t in [loc, core, appdata] {
            lacks(&got, t, src);
        }
    }
    let got = crt(
        "C:\\Users\\alice\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "C:\\Users\\alice\\AppData\\Roaming\\Zoom\\bin\\zHook.dll",
        "HookProc",
    );
    has(&got, appdata, "zoom hooks outlook");
    lacks(&got, loc, "zoom hooks outlook");
    assert_eq!(rule_info(appdata).level.as_deref(), Some("low"));
    has(
        &crt(
            "C:\\Users\\alice\\AppData\\Local\\upd\\svc.exe",
            "C:\\Windows\\System32\\svchost.exe",
            "",
            "",
        ),
        core,
        "appdata program into svchost",
    );
    has(
        &crt(
            "C:\\Users\\alice\\AppData\\Local\\Temp\\x.exe",
            "C:\\Windows\\System32\\notepad.exe",
            k32,
            "LoadLibraryW",
        ),
        loc,
        "temp program",
    );

    // PowerShell and friends: high into the usual targets, medium elsewhere.
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    let got = crt(ps, "C:\\Windows\\System32\\notepad.exe", "", "");
    has(&got, host, "powershell into notepad");
    lacks(&got, host_other, "powershell into notepad");
    let got = crt(
        ps,
        "C:\\Program Files\\Vendor\\agent.exe",
        "C:\\Windows\\System32\\ntdll.dll",
        "RtlUserThreadStart",
    );
    has(&got, host_other, "powershell into a vendor agent");
    lacks(&got, host, "powershell into a vendor agent");
    assert_eq!(rule_info(host_other).level.as_deref(), Some("medium"));
    let got = crt(ps, "C:\\Windows\\System32\\PING.EXE", kb, "CtrlRoutine");
    lacks(&got, host, "powershell sends Ctrl+C to its child");
    lacks(&got, host_other, "powershell sends Ctrl+C to its child");

    // LoadLibrary from writable Windows subfolders is not "installed".
    has(
        &crt(
            "C:\\Windows\\Temp\\inj.exe",
            "C:\\Windows\\explorer.exe",
            k32,
            "LoadLibraryW",
        ),
        loadlib,
        "C:\\Windows\\Temp",
    );
    lacks(
        &crt(
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\explorer.exe",
            k32,
            "LoadLibraryW",
        ),
        loadlib,
        "System32",
    );
}

#[test]
fn cobalt_strike_pipes_are_tagged_by_what_each_pipe_shows() {
    let tags = |title: &str| rule_info(title).attack_techniques();
    assert_eq!(
        tags("Named Pipe Of A Cobalt Strike Post-Exploitation Job Created"),
        vec!["T1055".to_owned()]
    );
    assert_eq!(
        tags("Named Pipe Of A Cobalt Strike SMB Beacon Or Stager Created"),
        vec!["T1090.001".to_owned()]
    );
    assert_eq!(
        tags("Named Pipe Of The Cobalt Strike Artifact-Kit Loader Created"),
        vec!["T1027".to_owned()]
    );
}

fn wmi_activity(event_id: u32, data: Value) -> Vec<String> {
    titles(
        "Microsoft-Windows-WMI-Activity",
        "Microsoft-Windows-WMI-Activity/Operational",
        event_id,
        data,
    )
}

#[test]
fn amsi_providers_written_outside_installers_match_and_security_products_do_not() {
    let set_value = |image: &str, key: &str| {
        sysmon(
            13,
            json!({"EventType": "SetValue", "Image": image, "TargetObject": key,
                   "Details": "Provider"}),
        )
    };
    let medium =
        "AMSI Provider Registered By A Program That Is Neither An Installer Nor A Security Product";
    let low = "AMSI Provider Registered Through Regsvr32";
    assert_eq!(rule_info(medium).level.as_deref(), Some("medium"));
    assert_eq!(rule_info(low).level.as_deref(), Some("low"));
    let key = "HKLM\\SOFTWARE\\Microsoft\\AMSI\\Providers\\{5a7c9e11-0b2d-4c3e-8f40-112233445566}\\(Default)";
    let wow = "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\AMSI\\Providers\\{5a7c9e11-0b2d-4c3e-8f40-112233445566}\\(Default)";
    for (image, k) in [
        ("C:\\Windows\\System32\\reg.exe", key),
        (
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            wow,
        ),
        ("C:\\Windows\\System32\\rundll32.exe", key),
        ("C:\\Users\\bob\\AppData\\Local\\Temp\\amsiinst.exe", key),
        ("C:\\ProgramData\\svc\\updater.exe", key),
        // regsvr32 copied out of System32 is not the Windows program
        ("C:\\Users\\Public\\regsvr32.exe", key),
    ] {
        has(&set_value(image, k), medium, image);
    }
    // What the event shows of a regsvr32 registration is the same for a fake provider and
    // a vendor's real one: low, not medium.
    for image in [
        "C:\\Windows\\system32\\regsvr32.exe",
        "C:\\Windows\\SysWOW64\\regsvr32.exe",
    ] {
        let got = set_value(image, key);
        has(&got, low, image);
        lacks(&got, medium, image);
    }
    for image in [
        "C:\\Program Files\\ESET\\ESET Security\\ekrn.exe",
        "C:\\Program Files\\Avast Software\\Avast\\RegSvr.exe",
        "C:\\Program Files (x86)\\Vendor AV\\setup\\install.exe",
        "C:\\Windows\\System32\\msiexec.exe",
        "C:\\Windows\\SysWOW64\\msiexec.exe",
        "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe",
        "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.1_none_0a1b2c3d4e5f6a7b\\TiWorker.exe",
        "C:\\Windows\\servicing\\TrustedInstaller.exe",
    ] {
        let got = set_value(image, key);
        lacks(&got, medium, image);
        lacks(&got, low, image);
    }
    // Other AMSI and COM keys are other rules' business.
    for k in [
        "HKLM\\SOFTWARE\\Classes\\CLSID\\{5a7c9e11-0b2d-4c3e-8f40-112233445566}\\InprocServer32\\(Default)",
        "HKCU\\Software\\Microsoft\\Windows Script\\Settings\\AmsiEnable",
    ] {
        let got = set_value("C:\\Windows\\System32\\reg.exe", k);
        lacks(&got, medium, k);
        lacks(&got, low, k);
    }
}

#[test]
fn service_program_names_staged_by_user_folder_programs_match_and_servicing_does_not() {
    let write =
        |image: &str, target: &str| sysmon(11, json!({"Image": image, "TargetFilename": target}));
    let want = "Windows Service Program Name Written To A User Or Temp Folder By A Program Running From One";
    assert_eq!(rule_info(want).level.as_deref(), Some("high"));
    assert_eq!(
        rule_info(want).attack_techniques(),
        vec!["T1036.005".to_owned()]
    );
    for (image, target) in [
        (
            "C:\\Users\\bob\\Downloads\\tool.exe",
            "C:\\Users\\bob\\AppData\\Local\\Temp\\stage-1\\TieringEngineService.exe",
        ),
        (
            "C:\\Users\\bob\\OneDrive\\Desktop\\x.exe",
            "C:\\Users\\Public\\TrustedInstaller.exe",
        ),
        (
            "C:\\Windows\\Temp\\a.exe",
            "C:\\Windows\\Temp\\work\\VSSVC.exe",
        ),
    ] {
        has(&write(image, target), want, target);
    }
    for (image, target, case) in [
        (
            "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.26100.1_none_0a1b2c3d4e5f6a7b\\TiWorker.exe",
            "C:\\Windows\\System32\\TieringEngineService.exe",
            "servicing updates the real file",
        ),
        (
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\Temp\\{5a7c9e11}\\msiexec.exe",
            "Windows process writing to Windows Temp",
        ),
        (
            "C:\\Program Files\\7-Zip\\7zFM.exe",
            "C:\\Users\\bob\\Desktop\\win11\\sources\\msiexec.exe",
            "installed archiver unpacking an image",
        ),
        (
            "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
            "C:\\Users\\bob\\Downloads\\SearchIndexer.exe",
            "browser download",
        ),
        (
            "C:\\Users\\bob\\Downloads\\VSCodeUserSetup-x64.exe",
            "C:\\Users\\bob\\AppData\\Local\\Temp\\is-ABC12.tmp\\VSCodeUserSetup-x64.tmp",
            "installer unpacking itself",
        ),
        (
            "C:\\Users\\bob\\Downloads\\setup.exe",
            "C:\\Program Files\\App\\alg.exe",
            "installer writing into Program Files",
        ),
    ] {
        lacks(&write(image, target), want, case);
    }
}

#[test]
fn offline_registry_library_from_user_folders_matches_and_windows_and_installed_tools_do_not() {
    let load = |image: &str, dll: &str| {
        sysmon(
            7,
            json!({"Image": image, "ImageLoaded": dll, "Signed": "true"}),
        )
    };
    let want = "Offline Registry Library Loaded By A Program From A User Or Temporary Folder";
    let offreg = "C:\\Windows\\System32\\offreg.dll";
    for image in [
        "C:\\Users\\bob\\OneDrive\\Desktop\\hivetool.exe",
        "C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe",
        "C:\\Users\\Public\\h.exe",
    ] {
        has(&load(image, offreg), want, image);
    }
    for (image, dll) in [
        ("C:\\Windows\\System32\\Dism.exe", offreg),
        (
            "C:\\Windows\\Temp\\5A7C9E11-0B2D-4C3E-8F40-112233445566\\DismHost.exe",
            offreg,
        ),
        (
            "C:\\Users\\bob\\AppData\\Local\\Temp\\5A7C9E11-0B2D-4C3E-8F40-112233445566\\DismHost.exe",
            offreg,
        ),
        (
            "C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe",
            offreg,
        ),
        (
            "C:\\Users\\bob\\AppData\\Local\\Programs\\RegTool\\regtool.exe",
            offreg,
        ),
        (
            "C:\\Users\\bob\\Downloads\\tool.exe",
            "C:\\Windows\\System32\\advapi32.dll",
        ),
    ] {
        lacks(&load(image, dll), want, image);
    }
}

#[test]
fn explicit_credential_logons_to_the_local_machine_from_user_folders_match_and_windows_does_not() {
    let logon = |process: &str, server: &str, subject: &str, target: &str| {
        security(
            4648,
            json!({"SubjectUserName": subject, "SubjectDomainName": "CORP",
                   "TargetUserName": target, "TargetDomainName": "host1",
                   "TargetServerName": server, "TargetInfo": server,
                   "ProcessId": "0x378", "ProcessName": process,
                   "IpAddress": "-", "IpPort": "-"}),
        )
    };
    let want = "Explicit Credential Logon To The Local Machine By A Program From A User Or Temporary Folder";
    let tool = "C:\\Users\\bob\\OneDrive\\Desktop\\hive.exe";
    for (process, server) in [
        (tool, "localhost"),
        ("C:\\Users\\bob\\AppData\\Local\\Temp\\t.exe", "127.0.0.1"),
        // the computer's own name (the test event's Computer)
        ("C:\\Users\\Public\\t.exe", "host1.example.corp"),
    ] {
        has(&logon(process, server, "bob", "helpdesk"), want, process);
    }
    for (process, server, subject, target, case) in [
        (
            "C:\\Windows\\System32\\svchost.exe",
            "localhost",
            "bob",
            "admin2",
            "runas through the secondary logon service",
        ),
        (
            "C:\\Windows\\System32\\lsass.exe",
            "localhost",
            "HOST1$",
            "bob",
            "lsass",
        ),
        (
            "C:\\Windows\\System32\\consent.exe",
            "localhost",
            "bob",
            "admin2",
            "UAC prompt",
        ),
        (
            "C:\\Windows\\System32\\runas.exe",
            "localhost",
            "bob",
            "admin2",
            "runas",
        ),
        (
            "C:\\Windows\\explorer.exe",
            "localhost",
            "bob",
            "admin2",
            "run as different user",
        ),
        (
            "C:\\Windows\\System32\\taskhostw.exe",
            "localhost",
            "HOST1$",
            "svc-batch",
            "scheduled task",
        ),
        (
            "C:\\Program Files\\Vendor\\Agent\\agent.exe",
            "localhost",
            "bob",
            "svc-agent",
            "installed software",
        ),
        (
            tool,
            "fileserver01.corp.local",
            "bob",
            "helpdesk",
            "remote server",
        ),
        (tool, "localhost", "bob", "bob", "same account"),
        (tool, "localhost", "HOST1$", "helpdesk", "machine account"),
    ] {
        lacks(&logon(process, server, subject, target), want, case);
    }
}

#[test]
fn redsun_pipe_matches_by_its_whole_name() {
    let pipe = |image: &str, name: &str| {
        sysmon(
            17,
            json!({"EventType": "CreatePipe", "Image": image, "PipeName": name}),
        )
    };
    let want = "Named Pipe Of The RedSun Privilege-Escalation Exploit Created";
    assert_eq!(
        rule_info(want).attack_techniques(),
        vec!["T1068".to_owned()]
    );
    has(
        &pipe("C:\\Users\\bob\\Downloads\\x.exe", "\\REDSUN"),
        want,
        "REDSUN",
    );
    has(
        &pipe(
            "C:\\Windows\\System32\\TieringEngineService.exe",
            "\\redsun",
        ),
        want,
        "lower case",
    );
    for name in ["\\REDSUN_sync", "\\RedSunset", "\\lsarpc"] {
        lacks(
            &pipe("C:\\Program Files\\Vendor\\app.exe", name),
            want,
            name,
        );
    }
}

#[test]
fn wmi_event_log_clears_match_and_other_wmi_failures_do_not() {
    let want = "Event Log Clear Requested Through WMI";
    let failure = |op: &str| {
        wmi_activity(
            5858,
            json!({"ClientMachine": "HOST1", "User": "HOST1\\bob", "ClientProcessId": 4120,
                   "Operation": op, "ResultCode": "0x80041003"}),
        )
    };
    has(
        &failure(
            "Start IWbemServices::ExecMethod - ROOT\\CIMV2 : \\\\HOST1\\ROOT\\CIMV2:Win32_NTEventlogFile.Name=\"C:\\\\WINDOWS\\\\System32\\\\Winevt\\\\Logs\\\\Security.evtx\"::ClearEventLog",
        ),
        want,
        "ClearEventLog",
    );
    for op in [
        "Start IWbemServices::ExecQuery - ROOT\\CIMV2 : select * from Win32_NTEventlogFile",
        "Start IWbemServices::ExecMethod - ROOT\\CIMV2 : Win32_NTEventlogFile.Name=\"System\"::BackupEventlog",
        "Start IWbemServices::ExecQuery - ROOT\\CIMV2 : SELECT * FROM Win32_Service",
    ] {
        lacks(&failure(op), want, op);
    }
}

#[test]
fn saved_hives_are_tagged_with_the_credentials_each_one_holds() {
    let tags = |title: &str| rule_info(title).attack_techniques();
    assert_eq!(
        tags("SAM Or SYSTEM Registry Hive File Written Outside Its Usual Location"),
        vec!["T1003.002".to_owned()]
    );
    assert_eq!(
        tags("SECURITY Registry Hive File Written Outside Its Usual Location"),
        vec!["T1003.004".to_owned(), "T1003.005".to_owned()]
    );
}

#[test]
fn usmt_migration_stores_are_left_alone_and_planted_user_hives_are_not() {
    let want = "User Registry Hive File Written Outside A Profile Root";
    let write = |image: &str, target: &str| {
        sysmon(
            11,
            json!({"Image": image, "TargetFilename": target, "User": "NT AUTHORITY\\SYSTEM"}),
        )
    };
    for (image, target, case) in [
        (
            "C:\\Users\\bob\\OneDrive\\Desktop\\LegacyHive.exe",
            "C:\\68f299a9\\ntuser.dat",
            "regression sample: tool in a user folder",
        ),
        (
            "C:\\Users\\bob\\AppData\\Local\\Temp\\scanstate.exe",
            "C:\\Users\\bob\\AppData\\Local\\Temp\\s\\NTUSER.DAT",
            "a program named scanstate in a user folder",
        ),
        (
            "C:\\ProgramData\\x\\loadstate.exe",
            "C:\\ProgramData\\x\\h\\ntuser.dat",
            "a program named loadstate in ProgramData",
        ),
    ] {
        has(&write(image, target), want, case);
    }
    for (image, target, case) in [
        (
            "C:\\_SMSTaskSequence\\Packages\\P0100045\\amd64\\scanstate.exe",
            "D:\\USMTStore\\USMT\\File\\C$\\Users\\jdoe\\NTUSER.DAT",
            "ConfigMgr task sequence capture",
        ),
        (
            "C:\\Program Files (x86)\\Windows Kits\\10\\Assessment and Deployment Kit\\User State Migration Tool\\amd64\\scanstate.exe",
            "E:\\Store\\USMT\\File\\C$\\Users\\alice\\NTUSER.DAT",
            "USMT from the ADK",
        ),
        (
            "\\\\deploy.example.corp\\USMT$\\amd64\\loadstate.exe",
            "C:\\Users\\jdoe\\AppData\\Local\\Temp\\USMT\\NTUSER.DAT",
            "loadstate from the deployment share",
        ),
    ] {
        lacks(&write(image, target), want, case);
    }
}

#[test]
fn launchers_placed_on_the_public_desktop_by_system_are_left_alone() {
    let want = "Executable Or Script Dropped In The Public Or PerfLogs Folder";
    let write = |target: &str, user: &str| {
        sysmon(
            11,
            json!({"Image": "C:\\Windows\\system32\\cmd.exe", "TargetFilename": target, "User": user}),
        )
    };
    for (target, user, case) in [
        (
            "C:\\Users\\Public\\persistence.bat",
            "ATTACKRANGE\\Administrator",
            "regression sample: public folder root",
        ),
        (
            "C:\\Users\\Public\\Documents\\svc.exe",
            "NT AUTHORITY\\SYSTEM",
            "SYSTEM staging in public documents",
        ),
        (
            "C:\\Users\\Public\\Desktop\\Invoice.bat",
            "EXAMPLE\\admin",
            "an account placing a script on the public desktop",
        ),
    ] {
        has(&write(target, user), want, case);
    }
    for (target, user, case) in [
        (
            "C:\\Users\\Public\\Desktop\\Start WMS Scanner Client.bat",
            "NT AUTHORITY\\SYSTEM",
            "deployment launcher for all users",
        ),
        (
            "C:\\Users\\Public\\Desktop\\Tools\\Connect VPN.cmd",
            "AUTORITE NT\\Système",
            "deployment launcher in a desktop folder, French system account",
        ),
    ] {
        lacks(&write(target, user), want, case);
    }
}
