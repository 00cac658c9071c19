//! A file delivered as an e-mail attachment and run by the user.
//!
//! Recognised from behaviour: an executable file type runs from a mail client's attachment
//! cache (Outlook's `Content.Outlook` folder, the new Outlook's `olk` temp folder,
//! Thunderbird's temp folder), or is started directly by a mail client process.
//!
//! Observed techniques: T1566.001 (the file arrived as a mail attachment: the attachment
//! cache path, or the alert's mail record) and T1204.002 (the user ran it: the process
//! execution). Nothing else is claimed.
//!
//! Behaviour, not payload: the delivery-then-execution chain is what matters. An antivirus
//! verdict of "test file" or a quarantine after the fact does not make it benign; the
//! family says so in the evidence.
//!
//! Verdict: true positive, high confidence when the sender is outside the organisation (or
//! failed authentication), medium when the sender is unknown or internal. Signs of
//! sanctioned activity (a phishing simulation, a change) make it `inconclusive` for a
//! human.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;
use soc_core::investigation::{EvidenceLog, Pivot};
use soc_core::{Confidence, IocKind, Scope, Verdict};

use crate::tells::Tell;
use crate::triage::{Assessment, Family, ObservedTechnique, TriageInput, one_line};
use crate::view::{AlertView, basename};

/// The family.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttachmentExecution;

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

impl Family for AttachmentExecution {
    fn id(&self) -> &'static str {
        "attachment_execution"
    }

    fn assess(
        &self,
        input: &TriageInput<'_>,
        view: &AlertView<'_>,
        tells: &[Tell],
        log: &mut EvidenceLog,
    ) -> Option<Assessment> {
        let alert = input.alert;
        // The executed file: an image-like field in an attachment cache, with an executable type.
        let parent = view.by_keys(PARENT_KEYS).find_map(|l| {
            let s = l.value.as_str()?;
            MAIL_CLIENTS
                .contains(&basename(s).as_str())
                .then(|| (s.to_owned(), l.path.clone()))
        });
        // The program that ran: image-like keys first, then command lines. The attachment
        // cache must be in the program's own path (Word opening a .docx from the cache is
        // not an attachment executing).
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
                // Without the cache path, a program started by the mail client counts only
                // when it sits where a user can write (not an installed application).
                let user_dropped = parent.is_some()
                    && USER_WRITABLE.is_match(path)
                    && !path.to_ascii_lowercase().contains("\\program files");
                (ext_ok && (in_cache || user_dropped))
                    .then(|| (path.to_owned(), name, l.path.clone(), in_cache))
            })
        });
        let (exec_text, exec_file, exec_path, in_cache) = executed?;

        let host = alert.host().map(str::to_owned).or_else(|| {
            view.string(&["computer", "hostname"])
                .map(|(s, _)| s.to_owned())
        });
        let host_text = host.clone().unwrap_or_else(|| "the endpoint".to_owned());
        let user = view.string(USER_KEYS).map(|(s, _)| s.to_owned());
        let sender = view
            .string(SENDER_KEYS)
            .map(|(s, l)| (s.to_owned(), l.path.clone()));
        let recipient = view.string(RECIPIENT_KEYS).map(|(s, _)| s.to_owned());
        let subject = view.string(SUBJECT_KEYS).map(|(s, _)| s.to_owned());
        let spf = view
            .string(&["spf", "spf_result"])
            .map(|(s, _)| s.to_ascii_lowercase());
        let dkim = view
            .string(&["dkim", "dkim_result"])
            .map(|(s, _)| s.to_ascii_lowercase());
        let dmarc = view
            .string(&["dmarc", "dmarc_result"])
            .map(|(s, _)| s.to_ascii_lowercase());
        let av = view
            .string(&["threat_name", "threat", "detection_name", "signature"])
            .map(|(s, l)| (s.to_owned(), l.path.clone()));
        let sha256 = input
            .iocs
            .of_kind(IocKind::Sha256)
            .next()
            .map(|f| f.ioc.value.clone());

        // 1. Execution from the attachment cache.
        let mut claim = format!("{exec_file} ran from ");
        if in_cache {
            claim.push_str(&format!(
                "the mail client's attachment cache ({})",
                one_line(&exec_text, 200)
            ));
        } else {
            claim.push_str(&format!("{} ", one_line(&exec_text, 200)));
        }
        if let Some((p, _)) = &parent {
            claim.push_str(&format!(", started by {}", file_name(p)));
        }
        claim.push_str(&format!(" on {host_text}"));
        if let Some(u) = &user {
            claim.push_str(&format!(" as {u}"));
        }
        let mut fields = vec![exec_path.clone()];
        if let Some((_, p)) = &parent {
            fields.push(p.clone());
        }
        claim.push_str(&format!(" [{}].", fields.join(", ")));
        let exec_id = log.push(
            "tier0.attachment_execution",
            claim,
            json!({"file": exec_file, "path": exec_text, "path_field": exec_path, "attachment_cache": in_cache, "parent": parent.as_ref().map(|p| &p.0), "host": host, "user": user, "sha256": sha256}),
            Confidence::High,
            true,
        );

        if exec_file.chars().any(crate::triage::is_invisible_format) {
            log.push(
                "tier0.attachment_execution",
                format!(
                    "The file name {} hides its real type with invisible or direction-override characters; it is a {} file.",
                    one_line(&exec_file, 120),
                    extension(&exec_file.to_lowercase()).unwrap_or("program")
                ),
                json!({"file": exec_file}),
                Confidence::High,
                true,
            );
        }

        // 2. The mail that delivered it.
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
        let mut mail_ids = Vec::new();
        if let Some((s, path)) = &sender {
            let mut c = format!("The attachment came by e-mail from {s}");
            if external_sender {
                c.push_str(", a sender outside the organisation");
            }
            if let Some(sub) = &subject {
                c.push_str(&format!(" (subject \"{}\")", one_line(sub, 100)));
            }
            c.push_str(&format!(" [{path}]."));
            mail_ids.push(log.push(
                "tier0.attachment_execution",
                c,
                json!({"sender": s, "sender_domain": sender_domain, "recipient": recipient, "subject": subject, "external_sender": external_sender}),
                if external_sender { Confidence::High } else { Confidence::Medium },
                true,
            ));
        }
        let auth_failed = [&spf, &dkim, &dmarc].iter().any(|r| {
            r.as_deref().is_some_and(|v| {
                matches!(
                    v,
                    "fail" | "softfail" | "none" | "neutral" | "permerror" | "temperror"
                )
            })
        });
        if auth_failed {
            let d = sender_domain
                .clone()
                .unwrap_or_else(|| "the sender's domain".to_owned());
            mail_ids.push(log.push(
                "tier0.attachment_execution",
                format!(
                    "The message did not authenticate for {d}: SPF {}, DKIM {}, DMARC {}.",
                    spf.as_deref().unwrap_or("not recorded"),
                    dkim.as_deref().unwrap_or("not recorded"),
                    dmarc.as_deref().unwrap_or("not recorded")
                ),
                json!({"spf": spf, "dkim": dkim, "dmarc": dmarc}),
                Confidence::Medium,
                true,
            ));
        }
        if let Some((name, path)) = &av {
            log.push(
                "tier0.attachment_execution",
                format!(
                    "Antivirus reported {} [{path}]. What the payload turned out to be does not change the behaviour: a mailed executable was run by the user.",
                    one_line(name, 100)
                ),
                json!({"detection": name}),
                Confidence::Medium,
                true,
            );
        }

        let mut phishing_evidence = vec![exec_id.clone()];
        phishing_evidence.extend(mail_ids.iter().cloned());
        let techniques = vec![
            ObservedTechnique {
                id: "T1566.001".to_owned(),
                evidence_ids: phishing_evidence,
            },
            ObservedTechnique {
                id: "T1204.002".to_owned(),
                evidence_ids: vec![exec_id.clone()],
            },
        ];

        let mut reasoning = vec![format!(
            "An executable file type ran from a mail attachment ({exec_id})."
        )];
        let (mut verdict, mut confidence) = if (external_sender || auth_failed) && in_cache {
            (Verdict::TruePositive, Confidence::High)
        } else {
            reasoning.push(if in_cache {
                "The sender is unknown or inside the organisation: confidence held at medium.".to_owned()
            } else {
                "The file did not run from the attachment cache itself, only from a user folder under the mail client: confidence held at medium.".to_owned()
            });
            (Verdict::TruePositive, Confidence::Medium)
        };
        if !tells.is_empty() {
            let list = tells
                .iter()
                .map(|t| format!("{} ({})", t.path, t.text))
                .collect::<Vec<_>>()
                .join("; ");
            verdict = Verdict::Inconclusive;
            confidence = Confidence::Low;
            reasoning.push(format!("The alert carries signs of sanctioned activity ({list}); only the operator can confirm them, so a human decides."));
        }

        let sender_text = sender
            .as_ref()
            .map_or_else(|| "an unidentified sender".to_owned(), |(s, _)| s.clone());
        let hypothesis = if verdict == Verdict::TruePositive {
            format!(
                "{} received a mail from {sender_text}{} carrying {exec_file}, an executable file type, and ran it from the attachment cache on {host_text}: spearphishing with an attachment (T1566.001) followed by user execution (T1204.002).{}{} Treat the host as possibly compromised until the process tree and network activity after execution are reviewed.",
                user.clone().unwrap_or_else(|| "A user".to_owned()),
                if external_sender {
                    " (outside the organisation)"
                } else {
                    ""
                },
                if auth_failed {
                    " The message did not pass sender authentication."
                } else {
                    ""
                },
                if av.is_some() {
                    " Antivirus flagged the file after it ran; a harmless or test payload would not make the delivery-and-execution chain benign."
                } else {
                    ""
                },
            )
        } else {
            format!(
                "{exec_file} from a mail attachment ran on {host_text}. The alert carries signs of sanctioned activity that only the operator can confirm; until then it is not called benign."
            )
        };

        let mut pivots = Vec::new();
        if let Some(d) = &sender_domain {
            pivots.push(Pivot {
                action: format!("Search mail logs for every message from the sender {sender_text} and the domain {d}, and quarantine copies still in mailboxes"),
                rationale: "Phishing rarely targets one mailbox; other recipients may not have run the file yet.".to_owned(),
                priority: Confidence::High,
            });
            pivots.push(Pivot {
                action: format!("Check whether {d} is a typosquat or lookalike of a real supplier or brand (registration date, similar legitimate domains)"),
                rationale: "A lookalike sender domain confirms intent and names the impersonated party to warn.".to_owned(),
                priority: Confidence::Medium,
            });
        } else {
            pivots.push(Pivot {
                action: format!("Identify the message and sender that delivered {exec_file} in the mail gateway logs"),
                rationale: "The sender decides scope: other recipients of the same mail are at risk.".to_owned(),
                priority: Confidence::High,
            });
        }
        pivots.push(Pivot {
            action: match &sha256 {
                Some(h) => format!(
                    "Hunt for the hash {h} and the file name {exec_file} on other endpoints"
                ),
                None => format!("Hunt for the file name {exec_file} on other endpoints"),
            },
            rationale: "Finds other users who received or ran the same file.".to_owned(),
            priority: Confidence::High,
        });
        pivots.push(Pivot {
            action: format!("Review the process tree, persistence and outbound connections on {host_text} after {exec_file} ran; isolate the host if anything followed"),
            rationale: "Execution is the point where a payload establishes itself; the follow-on activity decides containment.".to_owned(),
            priority: Confidence::High,
        });

        Some(Assessment {
            family: "attachment_execution",
            headline: "Mail attachment executed".to_owned(),
            verdict,
            confidence,
            hypothesis: one_line(&hypothesis, 2000),
            techniques,
            pivots,
            escalate: true,
            reasoning,
        })
    }
}
