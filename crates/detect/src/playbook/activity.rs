//! Whether a change ticket or an approval in the SIEM's context names the activity an alert
//! shows.
//!
//! A ticket is work someone planned on a host; it speaks for an alert only when its text
//! names what the alert saw: the program, a word of the detection's or a matched rule's
//! title, or the subject of the techniques the rules observed (a subnet inventory for a
//! network scan, a group-policy fault for `gpresult`). "CHG-50001 routine maintenance"
//! names nothing, so an attack during a maintenance window is not closed by it.

/// Title words that say nothing about the activity (detections' boilerplate).
const GENERIC: &[&str] = &[
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
    ("T1553", &["certificate", "cert", "pki"]),
    ("T1654", &["event log", "logs", "forensic"]),
    ("T1082", &["inventory", "troubleshoot", "diagnostic"]),
    ("T1518", &["inventory", "software", "licen"]),
    ("T1012", &["inventory", "troubleshoot", "registry"]),
    ("T1007", &["inventory", "service", "troubleshoot"]),
    ("T1057", &["inventory", "troubleshoot", "performance"]),
    ("T1489", &["service", "patch", "update", "upgrade"]),
    ("T1053", &["task", "schedule", "job"]),
    ("T1047", &["wmi", "inventory"]),
];

/// The words that name an activity: the detection's title, the matched rules' titles,
/// the program's name, and the subjects of the observed techniques. Lowercase; generic
/// and short words left out.
pub(super) fn vocabulary<'a>(
    titles: impl IntoIterator<Item = &'a str>,
    program: Option<&str>,
    techniques: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |w: &str| {
        let w = w.to_ascii_lowercase();
        if w.len() >= 4
            && !w.bytes().all(|b| b.is_ascii_digit())
            && !GENERIC.contains(&w.as_str())
            && !out.contains(&w)
        {
            out.push(w);
        }
    };
    for t in titles {
        words(t).for_each(&mut add);
    }
    if let Some(p) = program {
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

/// Whether `text` (a ticket, an approval) names one of `vocabulary`'s words: a word of
/// the text and a word of the vocabulary agree, or one begins the other and the shorter
/// has at least four letters ("scan" and "scanner", "policy" and "policies" by "polic").
/// Phrases must appear as written.
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

fn agree(a: &str, b: &str) -> bool {
    // Short words ("gpo", "pki", "wmi") only as themselves.
    if a == b && a.len() >= 3 {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < 4 {
        return false;
    }
    if long.starts_with(short) {
        return true;
    }
    // Inflections that change the last letter: policy / policies.
    short.len() >= 5 && long.starts_with(&short[..short.len() - 1])
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
            ["PUA - Advanced IP Scanner Execution", "Network Scanner Run"],
            Some("C:\\Program Files (x86)\\Advanced IP Scanner\\advanced_ip_scanner.exe"),
            ["T1046"],
        );
        assert!(names("CHG-48213 quarterly subnet inventory", &scan));
        assert!(names("Network scanning of the new VLAN", &scan));
        assert!(!names("CHG-50001 routine maintenance", &scan));
        assert!(!names("INC-1 printer jam on floor 3", &scan));

        let gp = vocabulary(
            ["Gpresult Display Group Policy Information"],
            Some("gpresult.exe"),
            ["T1615"],
        );
        assert!(names(
            "INC-77120 user reports mapped drive policy not applied",
            &gp
        ));
        assert!(names("GPO rollout", &gp));
        assert!(!names("CHG-50001 routine maintenance", &gp));

        let trust = vocabulary(
            ["Domain Trusts Enumerated With Built-In Tools"],
            Some("C:\\Windows\\System32\\dsquery.exe"),
            ["T1482"],
        );
        assert!(names("CHG-7 AD domain trust review", &trust));
        assert!(!names("CHG-50001 routine maintenance window", &trust));
    }

    #[test]
    fn boilerplate_and_short_words_name_nothing() {
        let v = vocabulary(
            ["Suspicious Process Execution From A User Folder"],
            None,
            [],
        );
        assert!(v.is_empty(), "{v:?}");
        // Three letters never agree by prefix ("log" would meet "logon", "login").
        assert!(!agree("log", "logon"));
        assert!(agree("scan", "scanner"));
        assert!(agree("policy", "policies"));
        assert!(!agree("domain", "dominant"));
        // Numbers are not words: a ticket number never names a program.
        let v = vocabulary(["Event 4104"], Some("C:\\x\\4104.exe"), []);
        assert!(!names("CHG-4104 routine", &v), "{v:?}");
    }
}
