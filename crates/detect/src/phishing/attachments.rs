//! Attachments and QR codes, from the records the gateway wrote (names, declared and
//! detected types, flags, extracted links, decoded QR payloads). Files are never opened.
//!
//! A file name is read the way Windows resolves it: an NTFS `::$DATA` suffix, invisible
//! formatting characters, trailing dots and spaces are dropped before the extension is
//! taken, and the right-to-left override is undone (`invoice<U+202E>fdp.exe` shows
//! as `invoiceexe.pdf` and is an `.exe`).
//!
//! QR destinations are graded: weak when the host shares the sender's organizational
//! domain (or an inventoried sanctioned sender's), moderate when it is a domain of a
//! listed brand or the sender is unknown, strong otherwise.

use soc_core::investigation::SignalStrength;

use super::Signals;
use super::extract::{Attachment, MAX_URLS_PER_ATTACHMENT, MailRecord};
use super::names::{org_domain, same_org};
use super::urls::{self, UrlContext};

#[rustfmt::skip]
const EXECUTABLE: &[&str] = &[
    "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msix", "msixbundle", "appx", "appxbundle",
    "msp", "mst", "js", "jse", "vbs", "vbe", "vb", "wsf", "wsh", "wsc", "ws", "hta", "ps1",
    "psm1", "psd1", "cpl", "dll", "ocx", "jar", "reg", "application", "gadget", "msc", "inf",
    "chm", "sct", "xll", "vbscript", "apk",
];
#[rustfmt::skip]
const SHORTCUT: &[&str] = &[
    "lnk", "url", "website", "settingcontent-ms", "desktop", "webloc", "library-ms",
    "searchconnector-ms", "appref-ms", "scf", "inetloc", "fileloc",
];
#[rustfmt::skip]
const HTML: &[&str] = &[
    "htm", "html", "shtml", "shtm", "xhtml", "xht", "mht", "mhtml", "svg",
];
#[rustfmt::skip]
const MOTW_CONTAINER: &[&str] = &[
    "iso", "img", "vhd", "vhdx", "udf", "7z", "rar", "cab", "arj", "ace",
];
#[rustfmt::skip]
const MACRO: &[&str] = &[
    "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "ppsm", "sldm", "xlm",
];
/// Extensions a double extension hides behind.
#[rustfmt::skip]
const DECOY: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "csv", "jpg", "jpeg",
    "png", "gif", "bmp", "tif", "tiff", "mp3", "mp4", "wav", "avi", "mov", "odt", "ods", "zip",
    "eml", "xml", "json",
];

/// Format characters that render as nothing or reorder text.
pub(crate) fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// A file name as the OS resolves it.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileName {
    /// The name with the tricks removed.
    pub(crate) resolved: String,
    /// Last extension, lower case.
    pub(crate) ext: Option<String>,
    /// The extension before it, lower case.
    pub(crate) prev_ext: Option<String>,
    /// What the reader sees when a right-to-left override is present.
    pub(crate) rlo_display: Option<String>,
    /// Tricks found (other than the override).
    pub(crate) obscured: Vec<&'static str>,
}

/// Resolves a file name.
pub(crate) fn classify_name(raw: &str) -> FileName {
    let mut out = FileName::default();
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let mut name = base.to_owned();
    // An NTFS stream suffix (`x.exe::$DATA`).
    if let Some(i) = find_ascii_ci(&name, "::$data") {
        name.truncate(i);
        out.obscured.push("an NTFS ::$DATA stream suffix");
    }
    // Invisible and reordering characters.
    let mut visible = String::with_capacity(name.len());
    let mut rlo_at = None;
    let mut other_format = false;
    for c in name.chars() {
        if c == '\u{202e}' {
            if rlo_at.is_none() {
                rlo_at = Some(visible.len());
            }
        } else if is_format_char(c) {
            other_format = true;
        } else {
            visible.push(c);
        }
    }
    if other_format {
        out.obscured
            .push("invisible formatting characters (zero-width or direction marks)");
    }
    if let Some(at) = rlo_at {
        let (head, tail) = visible.split_at(at);
        out.rlo_display = Some(format!("{head}{}", tail.chars().rev().collect::<String>()));
    }
    // Trailing dots and spaces, which Windows drops.
    let trimmed = visible.trim_end_matches(['.', ' ']).to_owned();
    if trimmed.len() != visible.len() {
        out.obscured
            .push("trailing dots or spaces, which Windows drops");
    }
    if trimmed.contains("     ") {
        out.obscured
            .push("a run of spaces that pushes the real extension out of view");
    }
    let parts: Vec<&str> = trimmed.split('.').collect();
    if parts.len() >= 2 {
        out.ext = parts
            .last()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty() && e.len() <= 32);
    }
    if parts.len() >= 3 {
        out.prev_ext = parts
            .get(parts.len() - 2)
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty() && e.len() <= 32);
    }
    out.resolved = trimmed;
    out
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Coarse file type families, for comparing an extension with a MIME or detected type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Pdf,
    Office,
    Image,
    Archive,
    DiskImage,
    Executable,
    Script,
    Html,
    Text,
    Mail,
    Calendar,
    Audio,
    Video,
}

fn family_of_ext(ext: &str) -> Option<Family> {
    use Family::*;
    let f = match ext {
        "pdf" => Pdf,
        "doc" | "docx" | "docm" | "dot" | "dotx" | "dotm" | "xls" | "xlsx" | "xlsm" | "xlsb"
        | "xlt" | "xltx" | "xltm" | "ppt" | "pptx" | "pptm" | "pps" | "ppsx" | "odt" | "ods"
        | "odp" | "rtf" => Office,
        "jpg" | "jpeg" | "png" | "gif" | "bmp" | "tif" | "tiff" | "webp" | "heic" | "ico" => Image,
        "zip" | "rar" | "7z" | "gz" | "tgz" | "tar" | "bz2" | "xz" | "cab" | "arj" | "ace" => {
            Archive
        }
        "iso" | "img" | "vhd" | "vhdx" | "udf" | "dmg" => DiskImage,
        "exe" | "dll" | "scr" | "com" | "cpl" | "ocx" | "sys" | "msi" | "pif" => Executable,
        "js" | "jse" | "vbs" | "vbe" | "ps1" | "bat" | "cmd" | "hta" | "wsf" | "sh" => Script,
        "htm" | "html" | "shtml" | "xhtml" | "mht" | "mhtml" | "svg" => Html,
        "txt" | "csv" | "log" | "json" | "xml" | "md" => Text,
        "eml" | "msg" => Mail,
        "ics" => Calendar,
        "mp3" | "wav" | "m4a" | "ogg" => Audio,
        "mp4" | "mov" | "avi" | "mkv" | "wmv" => Video,
        _ => return None,
    };
    Some(f)
}

fn family_of_type(t: &str) -> Option<Family> {
    use Family::*;
    let t = t.to_ascii_lowercase();
    let has = |w: &str| t.contains(w);
    let f = if has("octet-stream") || has("unknown") || t.trim() == "data" || has("binary/") {
        return None;
    } else if has("pdf") {
        Pdf
    } else if has("svg") || has("text/html") || has("xhtml") || has("html document") {
        Html
    } else if has("msdownload")
        || has("x-dosexec")
        || has("msdos-program")
        || has("portable-executable")
        || has("x-executable")
        || has("pe32")
        || has("ms-dos executable")
        || has("elf ")
        || has("mach-o")
        || has("x-msi")
        || has("ms-installer")
    {
        Executable
    } else if has("javascript") || has("vbscript") || has("x-sh") || has("powershell") || has("hta")
    {
        Script
    } else if has("iso9660")
        || has("iso 9660")
        || has("x-iso")
        || has("diskimage")
        || has("udf filesystem")
    {
        DiskImage
    } else if has("zip")
        || has("rar")
        || has("7z")
        || has("7-zip")
        || has("x-tar")
        || has("gzip")
        || has("compressed")
        || has("cab")
    {
        Archive
    } else if has("msword")
        || has("officedocument")
        || has("ms-excel")
        || has("ms-powerpoint")
        || has("opendocument")
        || has("rtf")
        || has("rich text")
        || has("composite document")
        || has("microsoft word")
        || has("microsoft excel")
        || has("microsoft powerpoint")
        || has("microsoft office")
        || has("ms-office")
    {
        Office
    } else if has("image") || has("png") || has("jpeg") || has("gif") || has("bitmap") {
        Image
    } else if has("rfc822") {
        Mail
    } else if has("calendar") {
        Calendar
    } else if has("audio") {
        Audio
    } else if has("video") {
        Video
    } else if has("text") {
        Text
    } else {
        return None;
    };
    Some(f)
}

fn compatible(ext: Family, other: Family) -> bool {
    use Family::*;
    ext == other
        || matches!(
            (ext, other),
            (Office, Archive)
                | (Script, Text)
                | (Html, Text)
                | (Text, Html)
                | (Mail, Text)
                | (Calendar, Text)
                | (Executable, Office)
                | (Archive, DiskImage)
                | (DiskImage, Archive)
        )
}

/// Name-based signals for one file (an attachment or an archive member).
fn name_signals(raw: &str, origin: &str, sigs: &mut Signals) -> FileName {
    let f = classify_name(raw);
    let shown = super::clean(raw, 120);
    if let Some(display) = &f.rlo_display {
        sigs.add(
            "attachment_bidi_filename",
            SignalStrength::Strong,
            format!(
                "{origin} \"{shown}\" contains a right-to-left override: it displays as \"{}\" but its real extension is .{}",
                super::clean(display, 120),
                f.ext.as_deref().unwrap_or("(none)")
            ),
        );
    }
    if !f.obscured.is_empty() {
        sigs.add(
            "attachment_filename_obscured",
            SignalStrength::Moderate,
            format!(
                "{origin} \"{shown}\" hides its real name with {}; it resolves to \"{}\"",
                f.obscured.join(" and "),
                super::clean(&f.resolved, 120)
            ),
        );
    }
    let Some(ext) = f.ext.as_deref() else {
        return f;
    };
    let dangerous = EXECUTABLE.contains(&ext) || SHORTCUT.contains(&ext) || HTML.contains(&ext);
    if dangerous && let Some(prev) = f.prev_ext.as_deref().filter(|p| DECOY.contains(p)) {
        sigs.add(
            "attachment_double_extension",
            SignalStrength::Strong,
            format!("{origin} \"{shown}\" poses as a .{prev} but is a .{ext}"),
        );
    }
    if EXECUTABLE.contains(&ext) {
        sigs.add(
            "attachment_executable_type",
            SignalStrength::Strong,
            format!("{origin} \"{shown}\" is an executable or script type (.{ext})"),
        );
    }
    if SHORTCUT.contains(&ext) {
        sigs.add(
            "attachment_shortcut_type",
            SignalStrength::Strong,
            format!("{origin} \"{shown}\" is a shortcut type (.{ext}) that runs or opens whatever it points to"),
        );
    }
    if HTML.contains(&ext) {
        sigs.add(
            "attachment_html_document",
            SignalStrength::Strong,
            format!("{origin} \"{shown}\" is an HTML document (.{ext}) that opens locally in the browser"),
        );
    }
    if MOTW_CONTAINER.contains(&ext) {
        sigs.add(
            "attachment_mark_of_the_web_container",
            SignalStrength::Moderate,
            format!("{origin} \"{shown}\" is a container (.{ext}) whose contents may lose the Mark-of-the-Web when opened"),
        );
    }
    if MACRO.contains(&ext) {
        sigs.add(
            "attachment_macro_enabled_document",
            SignalStrength::Moderate,
            format!("{origin} \"{shown}\" is a macro-enabled Office document (.{ext})"),
        );
    }
    f
}

/// What the attachment checks need besides the record.
pub(crate) struct AttachmentContext<'a> {
    /// The URL context (brands, sender and recipient organizations).
    pub(crate) urls: &'a UrlContext<'a>,
    /// Domains of an inventoried sanctioned sender this message authenticated as.
    pub(crate) sanctioned: &'a [String],
}

/// The attachment and QR signals; URLs examined go through the URL checks and into
/// `examined`, within `budget` (URLs left in the message-wide budget).
pub(crate) fn check(
    rec: &MailRecord,
    cx: &AttachmentContext<'_>,
    sigs: &mut Signals,
    budget: &mut usize,
    examined: &mut Vec<String>,
    budget_hit: &mut bool,
) {
    for a in &rec.attachments {
        attachment(a, cx, sigs, budget, examined, budget_hit);
    }
}

fn attachment(
    a: &Attachment,
    cx: &AttachmentContext<'_>,
    sigs: &mut Signals,
    budget: &mut usize,
    examined: &mut Vec<String>,
    budget_hit: &mut bool,
) {
    let shown = super::clean(&a.name, 120);
    let f = name_signals(&a.name, "attachment", sigs);
    for m in &a.members {
        let origin = format!("file in archive \"{shown}\":");
        name_signals(m, &origin, sigs);
    }
    let ext_family = f.ext.as_deref().and_then(family_of_ext);
    let detected = a.detected_type.as_deref().and_then(family_of_type);
    if detected == Some(Family::Executable)
        && !f.ext.as_deref().is_some_and(|e| EXECUTABLE.contains(&e))
    {
        sigs.add(
            "attachment_executable_type",
            SignalStrength::Strong,
            format!(
                "attachment \"{shown}\" is detected as an executable ({})",
                super::clean(a.detected_type.as_deref().unwrap_or(""), 80)
            ),
        );
    }
    let mismatch = [
        (detected, a.detected_type.as_deref(), "detected"),
        (
            a.content_type.as_deref().and_then(family_of_type),
            a.content_type.as_deref(),
            "declared",
        ),
    ]
    .into_iter()
    .find_map(|(fam, text, kind)| match (ext_family, fam, text) {
        (Some(e), Some(o), Some(t)) if !compatible(e, o) => Some((kind, t)),
        _ => None,
    });
    if let (Some((kind, t)), Some(ext)) = (mismatch, f.ext.as_deref()) {
        sigs.add(
            "attachment_type_mismatch",
            SignalStrength::Moderate,
            format!(
                "attachment \"{shown}\" has the extension .{ext} but its {kind} type is {}",
                super::clean(t, 80)
            ),
        );
    }
    if a.macros && !f.ext.as_deref().is_some_and(|e| MACRO.contains(&e)) {
        sigs.add(
            "attachment_macro_enabled_document",
            SignalStrength::Moderate,
            format!("attachment \"{shown}\" is reported to contain macros"),
        );
    }
    if a.encrypted {
        let what = if matches!(ext_family, Some(Family::Archive | Family::DiskImage)) {
            "a password-protected archive"
        } else {
            "encrypted (password-protected)"
        };
        sigs.add(
            "attachment_encrypted_archive",
            SignalStrength::Moderate,
            format!("attachment \"{shown}\" is {what}: the gateway could not scan inside it"),
        );
    }
    if a.urls_total > MAX_URLS_PER_ATTACHMENT {
        sigs.add(
            "attachment_embedded_urls_truncated",
            SignalStrength::Moderate,
            format!(
                "attachment \"{shown}\" carries {} links; only the first {MAX_URLS_PER_ATTACHMENT} were examined",
                a.urls_total
            ),
        );
    }
    if a.qr_total > MAX_URLS_PER_ATTACHMENT {
        sigs.add(
            "attachment_qr_urls_truncated",
            SignalStrength::Moderate,
            format!(
                "attachment \"{shown}\" carries {} QR codes; only the first {MAX_URLS_PER_ATTACHMENT} were examined",
                a.qr_total
            ),
        );
    }
    // Links inside the file.
    let mut first_host = None;
    let origin = format!("link in attachment \"{shown}\"");
    for raw in &a.urls {
        if *budget == 0 {
            *budget_hit = true;
            break;
        }
        *budget -= 1;
        examined.push(super::clean(raw, 300));
        if let Some(u) = urls::parse(raw) {
            first_host.get_or_insert_with(|| u.host.clone());
            urls::check(&u, &origin, cx.urls, sigs);
        }
    }
    if a.urls_total > 0 {
        sigs.add(
            "attachment_embedded_url",
            SignalStrength::Moderate,
            format!(
                "attachment \"{shown}\" carries {} link(s){}",
                a.urls_total,
                first_host
                    .map(|h| format!(", the first to {}", super::clean(&h, 100)))
                    .unwrap_or_default()
            ),
        );
    }
    // QR codes.
    let origin = format!("QR code in \"{shown}\"");
    for raw in &a.qr {
        if *budget == 0 {
            *budget_hit = true;
            break;
        }
        let Some(u) = urls::parse(raw) else {
            continue;
        };
        *budget -= 1;
        examined.push(super::clean(raw, 300));
        qr_grade(&u, &shown, cx, sigs);
        urls::check(&u, &origin, cx.urls, sigs);
    }
}

fn qr_grade(u: &urls::UrlParts, shown: &str, cx: &AttachmentContext<'_>, sigs: &mut Signals) {
    let host = super::clean(&u.host, 120);
    let org = org_domain(&u.host);
    let sender = cx.urls.sender_org.as_deref();
    let (strength, why) = if let Some(s) = sender.filter(|s| same_org(s, &org)) {
        (
            SignalStrength::Weak,
            format!(
                "on the sender's own organizational domain {}",
                super::clean(s, 100)
            ),
        )
    } else if let Some(d) = cx.sanctioned.iter().find(|d| same_org(d, &org)) {
        (
            SignalStrength::Weak,
            format!(
                "on {}, a domain of an inventoried sanctioned sender",
                super::clean(d, 100)
            ),
        )
    } else if let Some(b) = cx.urls.brands.owner_of(&u.host) {
        (
            SignalStrength::Moderate,
            format!("on a domain of the listed brand {}", b.name),
        )
    } else if let Some(s) = sender {
        (
            SignalStrength::Strong,
            format!("unrelated to the sender's domain {}", super::clean(s, 100)),
        )
    } else {
        (
            SignalStrength::Moderate,
            "and the sender's domain is unknown".to_owned(),
        )
    };
    sigs.add(
        "attachment_qr_url",
        strength,
        format!("QR code in \"{shown}\" points to {host}, {why}"),
    );
}
