//! Whether a change ticket or an approval in the SIEM's context names the activity an alert
//! shows.
//!
//! A ticket is work someone planned on a host; it speaks for an alert only when its text
//! names what the alert saw: the installed program that did it, the subject of the
//! low-impact techniques the rules observed (a subnet inventory for a network scan, a
//! group-policy fault for `gpresult`), or at least two words of the detection's or a
//! matched rule's title ("CORP root CA missing, certificate errors" for "Root Certificate
//! Installed"). "CHG-50001 routine maintenance" names nothing, so an attack during a
//! maintenance window is not closed by it.
//!
//! Deliberately narrow (an adversarial review closed real attacks through a wider
//! version): one title word is not enough (single words, "remote", "agent", "download",
//! "registry", meet everyday tickets by chance); a program's name counts only for
//! programs in the system folders or Program Files (an intruder names their own binary
//! `update.exe`) that are not interpreters or proxies; words agree only as themselves or
//! by an inflection ("scan", "scanner"), not by any shared start ("power" is not
//! "powershell", "port" not "portal"); and only subjects of discovery have topic words:
//! what executes, persists or stops services has none.

/// Title and program-name words that say nothing about the activity (detections'
/// boilerplate, and verbs that fit any change: "enable", "disable", "allow").
const GENERIC: &[&str] = &[
    "allow",
    "allowed",
    "based",
    "default",
    "disable",
    "disabled",
    "enable",
    "enabled",
    "feature",
    "microsoft",
    "value",
    "values",
    "version",
    "about",
    "access",
    "accessed",
    "activity",
    "added",
    "adding",
    "after",
    "alert",
    "attempt",
    "built",
    "change",
    "changed",
    "child",
    "command",
    "created",
    "creation",
    "detected",
    "detection",
    "event",
    "events",
    "executed",
    "execution",
    "file",
    "files",
    "folder",
    "from",
    "into",
    "launch",
    "launched",
    "line",
    "local",
    "malicious",
    "maintenance",
    "modification",
    "modified",
    "multiple",
    "new",
    "other",
    "parent",
    "possible",
    "potential",
    "potentially",
    "process",
    "program",
    "routine",
    "rule",
    "run",
    "runs",
    "running",
    "spawn",
    "spawned",
    "spawns",
    "started",
    "starts",
    "suspicious",
    "system",
    "their",
    "through",
    "tool",
    "tools",
    "uncommon",
    "unusual",
    "user",
    "using",
    "various",
    "windows",
    "with",
    "written",
];

/// Subject words of techniques (ATT&CK parent id), for tickets that name the work in their
/// own terms rather than the tool's.
const TOPICS: &[(&str, &[&str])] = &[
    ("T1046", &["scan", "subnet", "network", "port", "inventory"]),
    ("T1018", &["scan", "subnet", "network", "inventory"]),
    ("T1135", &["share", "scan", "inventory"]),
    ("T1016", &["network", "troubleshoot", "connectivity"]),
    ("T1049", &["network", "connection", "troubleshoot"]),
    ("T1595", &["scan", "vulnerability"]),
    ("T1615", &["policy", "policies", "gpo"]),
    (
        "T1087",
        &["account", "group", "membership", "access review"],
    ),
    (
        "T1069",
        &["group", "membership", "permission", "access review"],
    ),
    ("T1033", &["account", "troubleshoot"]),
    ("T1482", &["trust", "domain"]),
    ("T1654", &["event log", "logs", "forensic"]),
    ("T1082", &["inventory", "troubleshoot", "diagnostic"]),
    ("T1518", &["inventory", "software", "licen"]),
    ("T1012", &["inventory", "troubleshoot"]),
    ("T1007", &["inventory", "service", "troubleshoot"]),
    ("T1057", &["inventory", "troubleshoot"]),
];

/// The words that name an activity: the program's name when it is installed (system
/// folders, Program Files), and the subjects of the observed techniques. Lowercase;
/// generic and short words left out.
pub(super) fn vocabulary<'a>(
    program: Option<&str>,
    techniques: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |w: &str| add_word(&mut out, w);
    if let Some(p) = program.filter(|p| installed(p) && !vehicle(p)) {
        let base = p.rsplit(['\\', '/']).next().unwrap_or(p);
        let stem = base
            .rsplit_once('.')
            .map_or(base, |(s, ext)| if ext.len() <= 4 { s } else { base });
        add(stem);
        words(stem).for_each(&mut add);
    }
    for t in techniques {
        let parent = t.split('.').next().unwrap_or(t);
        if let Some((_, topic)) = TOPICS.iter().find(|(id, _)| *id == parent) {
            for w in *topic {
                // Multi-word subjects stay phrases: matched as written.
                let w = w.to_ascii_lowercase();
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// The content words of titles (the detection's, the matched rules'): lowercase, generic
/// and short words left out.
pub(super) fn title_words<'a>(titles: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in titles {
        for w in words(t) {
            add_word(&mut out, w);
        }
    }
    out
}

fn add_word(out: &mut Vec<String>, w: &str) {
    let w = w.to_ascii_lowercase();
    if w.len() >= 4
        && !w.bytes().all(|b| b.is_ascii_digit())
        && !GENERIC.contains(&w.as_str())
        && !out.contains(&w)
    {
        out.push(w);
    }
}

/// Whether `text` names at least two different words of `titles` (see [`title_words`]):
/// two words of the text, not inflections of one another, each agreeing with a title
/// word ("download" alone does not count twice for "Download" and "Downloads").
pub(super) fn names_two(text: &str, titles: &[String]) -> bool {
    let lower = text.to_ascii_lowercase();
    let mut hits: Vec<&str> = Vec::new();
    for w in words(&lower) {
        if titles.iter().any(|v| agree(w, v)) && !hits.iter().any(|h| agree(h, w)) {
            hits.push(w);
            if hits.len() >= 2 {
                return true;
            }
        }
    }
    false
}

/// Whether `text` (a ticket, an approval) names one of `vocabulary`'s words: a word of
/// the text and a word of the vocabulary are the same word, or inflections of one
/// ("scan", "scanner", "scanning"; "policy", "policies"). Phrases must appear as written.
pub(super) fn names(text: &str, vocabulary: &[String]) -> bool {
    let lower = text.to_ascii_lowercase();
    let said: Vec<&str> = words(&lower).collect();
    vocabulary.iter().any(|v| {
        if v.contains(' ') {
            return lower.contains(v.as_str());
        }
        said.iter().any(|w| agree(w, v))
    })
}

/// Endings that inflect a word without changing what it names.
const INFLECTIONS: &[&str] = &[
    "s", "es", "ed", "d", "ing", "er", "ers", "ning", "ner", "ners", "ies", "ied",
];

fn agree(a: &str, b: &str) -> bool {
    // Short words ("gpo") only as themselves.
    if a == b {
        return a.len() >= 3;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < 4 {
        return false;
    }
    // policy / policies: the stem without its final "y".
    let stem = short
        .strip_suffix('y')
        .filter(|_| long.ends_with("ies"))
        .unwrap_or(short);
    long.strip_prefix(stem)
        .is_some_and(|rest| INFLECTIONS.contains(&rest))
}

/// Interpreters, shells and system binaries that run whatever they are given: their name
/// says which vehicle ran, not what it did ("PowerShell 7 rollout" does not approve an
/// encoded command that turns off Defender).
const VEHICLES: &[&str] = &[
    "powershell",
    "pwsh",
    "powershell_ise",
    "cmd",
    "wscript",
    "cscript",
    "mshta",
    "rundll32",
    "regsvr32",
    "wmic",
    "msiexec",
    "certutil",
    "bitsadmin",
    "curl",
    "reg",
    "sc",
    "net",
    "net1",
    "schtasks",
    "at",
    "msbuild",
    "installutil",
    "regasm",
    "regsvcs",
    "odbcconf",
    "cmstp",
    "python",
    "pythonw",
    "node",
    "bash",
    "wsl",
    "java",
    "javaw",
    "explorer",
    "svchost",
    "dllhost",
    "conhost",
    "taskhostw",
    "forfiles",
    "pcalua",
    "msxsl",
    "hh",
    "ssh",
    "scp",
    "sftp",
    "ftp",
    "tar",
    "expand",
    "extrac32",
    "esentutl",
    "findstr",
    "xcopy",
    "robocopy",
];

fn vehicle(path: &str) -> bool {
    let base = path
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let stem = base.strip_suffix(".exe").unwrap_or(&base);
    VEHICLES.contains(&stem)
}

/// Whether a program path is an installed program: under the system folders or Program
/// Files of a drive, not a user's folder, a temporary folder or a share.
fn installed(path: &str) -> bool {
    let p = path.to_ascii_lowercase().replace('/', "\\");
    let Some(rest) = p.get(1..).and_then(|r| r.strip_prefix(":\\")) else {
        return false;
    };
    (rest.starts_with("windows\\system32\\")
        || rest.starts_with("windows\\syswow64\\")
        || rest.starts_with("program files\\")
        || rest.starts_with("program files (x86)\\"))
        && !rest.contains("\\temp\\")
        && !rest.contains("\\tasks\\")
        && !rest.contains("\\spool\\")
        && !rest.contains("..")
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_names_the_work_in_the_tools_or_its_own_terms() {
        let scan = vocabulary(
            Some("C:\\Program Files (x86)\\Advanced IP Scanner\\advanced_ip_scanner.exe"),
            ["T1046"],
        );
        assert!(names("CHG-48213 quarterly subnet inventory", &scan));
        assert!(names("Network scanning of the new VLAN", &scan));
        assert!(names("run Advanced IP Scanner on floor 2", &scan));
        assert!(!names("CHG-50001 routine maintenance", &scan));
        assert!(!names("INC-10442 printer jam on floor 3", &scan));
        // A shared start is not the same word.
        assert!(!names("HR portal go-live", &scan), "{scan:?}");

        let gp = vocabulary(Some("C:\\Windows\\System32\\gpresult.exe"), ["T1615"]);
        assert!(names(
            "INC-77120 user reports mapped drive policy not applied",
            &gp
        ));
        assert!(names("GPO rollout", &gp));
        assert!(names("CHG-1 fix policies on the kiosk", &gp));
        assert!(!names("CHG-50001 routine maintenance", &gp));

        let trust = vocabulary(Some("C:\\Windows\\System32\\dsquery.exe"), ["T1482"]);
        assert!(names("CHG-7 AD domain trust review", &trust));
        assert!(!names("CHG-50001 routine maintenance window", &trust));
    }

    #[test]
    fn only_installed_programs_and_discovery_subjects_give_words() {
        // An intruder names their binary after everyday ticket words: not read.
        for path in [
            "C:\\Users\\bob\\AppData\\Roaming\\x\\update.exe",
            "C:\\Windows\\Tasks\\inventory.exe",
            "C:\\Windows\\System32\\spool\\drivers\\color\\printer.exe",
            "\\\\fileserver01\\it$\\tools\\backup.exe",
            "C:\\Windows\\Temp\\patch.exe",
        ] {
            assert!(vocabulary(Some(path), []).is_empty(), "{path}");
        }
        assert_eq!(
            vocabulary(Some("C:\\Windows\\System32\\gpresult.exe"), []),
            ["gpresult"]
        );
        // Interpreters and system binaries name the vehicle, not the work.
        for path in [
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "C:\\Windows\\System32\\wbem\\WMIC.exe",
            "C:\\Windows\\System32\\schtasks.exe",
        ] {
            assert!(vocabulary(Some(path), []).is_empty(), "{path}");
        }
        // What executes, persists or stops services has no subject words.
        for t in ["T1047", "T1489", "T1053.005", "T1553.004", "T1059.001"] {
            assert!(vocabulary(None, [t]).is_empty(), "{t}");
        }
    }

    #[test]
    fn two_title_words_name_the_detection_one_does_not() {
        let t = title_words([
            "New Root Certificate Installed Via Certutil.EXE",
            "Certificate Added To The Trusted Root Store From The Command Line",
        ]);
        assert!(names_two(
            "INC-77120 intranet sites show certificate errors; CORP root CA missing",
            &t
        ));
        assert!(!names_two("annual TLS certificate renewal", &t), "{t:?}");
        // One word of the ticket counts once, however many titles say it.
        let t = title_words([
            "Bitsadmin Download To A Suspicious Folder",
            "File Downloads Staged",
        ]);
        assert!(
            !names_two("INC-30114 user reports browser download blocked", &t),
            "{t:?}"
        );
        let t = title_words(["Certutil Fetching A Remote File"]);
        assert!(!names_two("Remote Desktop gateway rollout", &t), "{t:?}");
        // Boilerplate words never count.
        assert!(title_words(["Suspicious Process Execution From A User Folder"]).is_empty());
    }

    #[test]
    fn words_agree_as_themselves_or_by_an_inflection() {
        assert!(agree("scan", "scanner"));
        assert!(agree("scanning", "scan"));
        assert!(agree("policy", "policies"));
        assert!(agree("gpo", "gpo"));
        assert!(!agree("power", "powershell"));
        assert!(!agree("port", "portal"));
        assert!(!agree("port", "portable"));
        assert!(!agree("log", "logon"));
        assert!(!agree("domain", "dominant"));
        // Numbers are not words: a ticket number never names a program.
        let v = vocabulary(Some("C:\\Program Files\\x\\4104.exe"), []);
        assert!(!names("CHG-4104 routine", &v), "{v:?}");
    }
}
