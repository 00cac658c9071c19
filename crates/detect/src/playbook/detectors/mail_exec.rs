//! A file delivered as an e-mail attachment and run by the user.
//!
//! Recognised from behaviour: an executable file type runs from a mail client's attachment
//! cache (Outlook's `Content.Outlook` folder, the new Outlook's `olk` temp folder,
//! Thunderbird's temp folder), or is started directly by a mail client process from a
//! folder users can write.
//!
//! Facts: `mail_exec.ran`, `mail_exec.in_cache`, `mail_exec.file`, `mail_exec.path`,
//! `mail_exec.parent`, `mail_exec.user`, `mail_exec.sender`, `mail_exec.sender_domain`,
//! `mail_exec.external_sender`, `mail_exec.subject`, `mail_exec.auth_failed`,
//! `mail_exec.auth_text`, `mail_exec.av`, `mail_exec.hidden_type`.

use std::sync::LazyLock;

use regex::Regex;
use soc_core::Scope;

use super::super::facts::Facts;
use crate::triage::TriageInput;
use crate::view::basename;

static ATTACHMENT_CACHE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\\content\.outlook\\|\\appdata\\local\\temp\\olk[^\\]*\\|\\packages\\microsoft\.outlook_[^\\]*\\.*\\(temp|attachments)\\|\\outlook (temp|attachments)\\|\\thunderbird\\.*\\(tmp|temp|attachments?)\\|/\.thunderbird/.*/(tmp|temp)/")
        .expect("constant regex compiles")
});

const MAIL_CLIENTS: &[&str] = &[
    "outlook.exe",
    "olk.exe",
    "hxoutlook.exe",
    "thunderbird.exe",
    "winmail.exe",
    "msimn.exe",
    "mailspring.exe",
    "em client.exe",
];
const EXECUTABLE_EXT: &[&str] = &[
    "exe", "com", "scr", "pif", "bat", "cmd", "js", "jse", "vbs", "vbe", "wsf", "wsh", "hta",
    "lnk", "msi", "ps1", "cpl", "jar", "dll", "msc", "iso", "img", "vhd", "vhdx", "appx", "msix",
    "reg", "chm",
];
/// Keys whose value is the path of the program that ran.
const IMAGE_KEYS: &[&str] = &[
    "process_path",
    "image",
    "process.executable",
    "executable",
    "newprocessname",
    "process_image",
    "exe_path",
];
/// Keys whose value is a command line; the program is its first element.
const CMDLINE_KEYS: &[&str] = &["command_line", "commandline", "process.command_line"];

static USER_WRITABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\\users\\|\\appdata\\|\\temp\\|\\tmp\\|\\downloads\\|\\programdata\\|^/tmp/|^/home/|/downloads/")
        .expect("constant regex compiles")
});

/// The program a command line starts: the quoted first element, or everything up to the
/// first executable extension followed by a space, or the first word.
fn executable_of(cmdline: &str) -> &str {
    let c = cmdline.trim();
    if let Some(rest) = c.strip_prefix('"') {
        return rest.split('"').next().unwrap_or(rest);
    }
    let lower = c.to_ascii_lowercase();
    for ext in EXECUTABLE_EXT {
        let needle = format!(".{ext} ");
        if let Some(i) = lower.find(&needle)
            && c.is_char_boundary(i + 1 + ext.len())
        {
            return &c[..i + 1 + ext.len()];
        }
    }
    c.split_whitespace().next().unwrap_or(c)
}

const PARENT_KEYS: &[&str] = &[
    "parent_process",
    "parent_image",
    "parentimage",
    "parent.executable",
    "parent.name",
    "parent_process_name",
    "parentprocessname",
    "parent_name",
];
const SENDER_KEYS: &[&str] = &[
    "email_sender",
    "sender",
    "from",
    "mail_from",
    "from_address",
    "sender_address",
    "email.from",
    "from.address",
];
const RECIPIENT_KEYS: &[&str] = &[
    "to",
    "recipient",
    "rcpt_to",
    "email_recipient",
    "recipient_address",
];
const SUBJECT_KEYS: &[&str] = &["email_subject", "subject"];
const USER_KEYS: &[&str] = &["user", "username", "user.name", "targetusername"];

/// The file name at the end of a path, case kept.
fn file_name(path: &str) -> String {
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .trim()
        .to_owned()
}

fn extension(name: &str) -> Option<&str> {
    let name = name.trim_end_matches(['.', ' ', '"']);
    name.rsplit_once('.').map(|(_, e)| e)
}

fn email_domain(addr: &str) -> Option<String> {
    let addr = addr.trim().trim_matches(['<', '>', '"']);
    let (_, d) = addr.rsplit_once('@')?;
    let d = d.trim_end_matches('>').trim().to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// The organisation part of a domain: the last two labels (an approximation that keeps
/// `corp.example` and `mail.corp.example` together).
fn org_domain(d: &str) -> String {
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() <= 2 {
        d.to_owned()
    } else {
        labels[labels.len() - 2..].join(".")
    }
}

/// Sets the attachment-execution facts.
pub(super) fn detect(_input: &TriageInput<'_>, f: &mut Facts<'_>) {
    let view = f.view;
    let parent = view.by_keys(PARENT_KEYS).find_map(|l| {
        let s = l.value.as_str()?;
        MAIL_CLIENTS
            .contains(&basename(s).as_str())
            .then(|| (s.to_owned(), l.path.clone()))
    });
    // The program that ran: image-like keys first, then command lines. The attachment
    // cache must be in the program's own path (Word opening a .docx from the cache is not
    // an attachment executing).
    let candidates = IMAGE_KEYS
        .iter()
        .map(|k| (k, false))
        .chain(CMDLINE_KEYS.iter().map(|k| (k, true)));
    let executed = candidates.into_iter().find_map(|(key, is_cmdline)| {
        view.by_keys(&[key]).find_map(|l| {
            let s = l.value.as_str()?;
            let path = if is_cmdline {
                executable_of(s)
            } else {
                s.trim().trim_matches('"')
            };
            let name = file_name(path);
            let ext_ok =
                extension(&name.to_lowercase()).is_some_and(|e| EXECUTABLE_EXT.contains(&e));
            let in_cache = ATTACHMENT_CACHE.is_match(path);
            // Without the cache path, a program started by the mail client counts only when
            // it sits where a user can write (not an installed application).
            let user_dropped = parent.is_some()
                && USER_WRITABLE.is_match(path)
                && !path.to_ascii_lowercase().contains("\\program files");
            (ext_ok && (in_cache || user_dropped))
                .then(|| (path.to_owned(), name, l.path.clone(), in_cache))
        })
    });
    let Some((exec_text, exec_file, exec_path, in_cache)) = executed else {
        return;
    };
    f.set_flag("mail_exec.ran", true, exec_path.clone());
    f.set_flag("mail_exec.in_cache", in_cache, exec_path.clone());
    f.put_text("mail_exec.file", exec_file.clone(), exec_path.clone());
    f.put_text("mail_exec.path", exec_text, exec_path.clone());
    f.set_flag(
        "mail_exec.hidden_type",
        exec_file.chars().any(crate::triage::is_invisible_format),
        exec_path,
    );
    if let Some((p, path)) = &parent {
        f.put_text("mail_exec.parent", file_name(p), path.clone());
    }
    if let Some((u, l)) = view.string(USER_KEYS) {
        f.put_text("mail_exec.user", u.to_owned(), l.path.clone());
    }
    let sender = view
        .string(SENDER_KEYS)
        .map(|(s, l)| (s.to_owned(), l.path.clone()));
    let recipient = view.string(RECIPIENT_KEYS).map(|(s, _)| s.to_owned());
    if let Some((s, l)) = view.string(SUBJECT_KEYS) {
        f.put_text("mail_exec.subject", s.to_owned(), l.path.clone());
    }
    let sender_domain = sender.as_ref().and_then(|(s, _)| email_domain(s));
    let recipient_domain = recipient.as_deref().and_then(email_domain);
    let sender_scope = sender_domain
        .as_deref()
        .map(|d| soc_core::ioc::scope_domain(d, &soc_core::ioc::IocConfig::default()));
    let external_sender = match (&sender_domain, &recipient_domain) {
        (Some(s), Some(r)) => org_domain(s) != org_domain(r),
        (Some(_), None) => sender_scope != Some(Scope::Internal),
        _ => false,
    };
    if let Some((s, path)) = &sender {
        f.put_text("mail_exec.sender", s.clone(), path.clone());
        if let Some(d) = &sender_domain {
            f.put_text("mail_exec.sender_domain", d.clone(), path.clone());
        }
        f.set_flag("mail_exec.external_sender", external_sender, path.clone());
    }
    let result = |keys: &[&str]| view.string(keys).map(|(s, _)| s.to_ascii_lowercase());
    let spf = result(&["spf", "spf_result"]);
    let dkim = result(&["dkim", "dkim_result"]);
    let dmarc = result(&["dmarc", "dmarc_result"]);
    let failed = [&spf, &dkim, &dmarc].iter().any(|r| {
        r.as_deref().is_some_and(|v| {
            matches!(
                v,
                "fail" | "softfail" | "none" | "neutral" | "permerror" | "temperror"
            )
        })
    });
    if failed {
        f.set_flag("mail_exec.auth_failed", true, "spf, dkim, dmarc");
        f.put_text(
            "mail_exec.auth_text",
            format!(
                "SPF {}, DKIM {}, DMARC {}",
                spf.as_deref().unwrap_or("not recorded"),
                dkim.as_deref().unwrap_or("not recorded"),
                dmarc.as_deref().unwrap_or("not recorded")
            ),
            "spf, dkim, dmarc",
        );
    }
    if let Some((s, l)) = view.string(&["threat_name", "threat", "detection_name", "signature"]) {
        f.put_text("mail_exec.av", s.to_owned(), l.path.clone());
    }
}
