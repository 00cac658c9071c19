//! Antivirus and EDR detections: what was detected, whether the engine's action worked,
//! and whether an EICAR-named detection is the harmless test file.

use std::sync::LazyLock;

use regex::Regex;

use super::host::{all, first};
use crate::playbook::facts::Facts;

static AV_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)quarantin|remov|clean|block|delet|remediat").expect("constant regex compiles")
});

/// The standard 68-byte EICAR test file (`eicar.com`): MD5, SHA-1, SHA-256.
const EICAR_HASHES: &[&str] = &[
    "44d88612fea8a8f36de82e1278abb02f",
    "3395856ce81f2b7382dee72602f798b642f14140",
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
];

/// Whether an antivirus `Error Code` says the action failed: a number (hex `0x…` or
/// decimal) other than zero. Anything else (`-`, `N/A`) says nothing.
fn failed_code(code: &str) -> bool {
    let c = code.trim();
    let n = match c.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("0x") => {
            c.get(2..).and_then(|h| u64::from_str_radix(h, 16).ok())
        }
        _ => c.parse::<i64>().ok().map(i64::unsigned_abs),
    };
    n.is_some_and(|n| n != 0)
}

/// Whether `path` (a Defender `Path`, `file:_C:\…\eicar_com.zip->eicar.com`) names an
/// EICAR test file by its own file name: `eicar.com`, `eicar.com.txt`, `eicar_com.zip`,
/// `eicarcom2.zip` and the like, not a folder that happens to say "eicar".
fn eicar_file_name(path: &str) -> bool {
    let last = path.rsplit("->").next().unwrap_or(path);
    let name = crate::view::basename(last);
    name.starts_with("eicar")
        && [".com", ".txt", ".zip"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

pub(super) fn detect(f: &mut Facts<'_>) {
    let ids = all(f, &["EventID", "event_id"]);
    // 1116 detected, 1117 acted, 1118 the action failed, 1119 it failed critically;
    // 1006 and 1015 are the older detection events.
    let defender = ids.iter().any(|(v, _)| {
        matches!(
            v.as_str(),
            "1116" | "1117" | "1118" | "1119" | "1006" | "1015"
        )
    }) && f.view.mentions("defender");
    let title = f.view.alert.title.to_ascii_lowercase();
    let titled = title.contains("antivirus")
        || title.contains("anti-virus")
        || title.contains("malware detected")
        || title.starts_with("av ");
    if !(defender || titled) {
        return;
    }
    f.set_flag(
        "av.detection",
        true,
        if defender { "event_id" } else { "title" },
    );
    if let Some((t, p)) = first(
        f,
        &[
            "Threat Name",
            "ThreatName",
            "threat_name",
            "threat",
            "signature",
        ],
    ) {
        // Named EICAR by the engine is not enough: a program built to be detected as the
        // test file (an exploit abusing the engine's own remediation) carries the name
        // too. The test file is named so, or is the standard one by its hash, or nothing
        // says which file it was.
        let eicar_named = t.to_ascii_lowercase().contains("eicar");
        let path = first(f, &["Path", "file_path", "path"]);
        let own_hash = all(
            f,
            &[
                "sha256",
                "sha1",
                "md5",
                "hash",
                "Hashes",
                "file_hash",
                "FileHash",
            ],
        )
        .iter()
        .any(|(v, _)| {
            let v = v.to_ascii_lowercase();
            EICAR_HASHES.iter().any(|h| v.contains(h))
        });
        let is_test_file = path.as_ref().is_none_or(|(v, _)| eicar_file_name(v)) || own_hash;
        f.set_flag("av.test_file", eicar_named && is_test_file, p.clone());
        f.set_flag(
            "av.disguised_test_file",
            eicar_named && !is_test_file,
            path.map_or_else(|| p.clone(), |(_, at)| at),
        );
        f.set_flag(
            "av.powershell",
            t.to_ascii_lowercase().contains("powershell/"),
            p.clone(),
        );
        f.put_text("av.threat", t, p);
    }
    let remediated = ids
        .iter()
        .find(|(v, _)| v == "1117")
        .map(|(_, p)| p.clone())
        .or_else(|| {
            first(f, &["Action Name", "action_name", "action", "ActionName"])
                .filter(|(a, _)| AV_ACTION.is_match(a))
                .map(|(_, p)| p)
        })
        .or_else(|| {
            (title.contains("remediated")
                || title.contains("quarantined")
                || title.contains("blocked"))
            .then(|| "title".to_owned())
        });
    // An action that failed remediated nothing, whatever action it names.
    let failed = ids
        .iter()
        .find(|(v, _)| v == "1118" || v == "1119")
        .map(|(_, p)| p.clone())
        .or_else(|| {
            first(f, &["Error Code", "error_code", "ErrorCode"])
                .filter(|(c, _)| failed_code(c))
                .map(|(_, p)| p)
        });
    if let Some(p) = &failed {
        f.set_flag("av.remediation_failed", true, p.clone());
        if let Some((e, at)) = first(f, &["Error Description", "error_description", "Error Code"]) {
            f.put_text("av.error", e, at);
        }
    }
    if let Some(p) = remediated.filter(|_| failed.is_none()) {
        f.set_flag("av.remediated", true, p);
    }
    if let Some((v, p)) = first(f, &["Path", "file_path", "path"]) {
        f.put_text("av.path", v, p);
    }
    if let Some((v, p)) = first(f, &["Process Name", "process_name", "ProcessName"]) {
        f.put_text("av.process", v, p);
    }
    if let Some((v, p)) = first(f, &["Detection User", "detection_user", "user"]) {
        f.put_text("av.user", v, p);
    }
    if let Some((v, p)) = first(f, &["Source URL", "source_url", "url"]) {
        f.put_text("av.url", v, p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_nonzero_number_is_a_failed_action() {
        for failed in ["0x80070020", "0X8007001F", "5", "-2147024864"] {
            assert!(failed_code(failed), "{failed}");
        }
        for fine in [
            "0x00000000",
            "0x0",
            "0",
            " 0 ",
            "-",
            "N/A",
            "None",
            "",
            "0x",
            "0xZZ",
        ] {
            assert!(!failed_code(fine), "{fine}");
        }
    }

    #[test]
    fn the_test_file_is_known_by_its_own_name() {
        for name in [
            "file:_C:\\Users\\a\\Downloads\\eicar.com",
            "file:_C:\\Users\\a\\Downloads\\eicar_com.zip->eicar.com",
            "C:\\Temp\\EICAR.COM.TXT",
            "/home/a/eicarcom2.zip",
        ] {
            assert!(eicar_file_name(name), "{name}");
        }
        for name in [
            "file:_C:\\Temp\\eicar\\svc.exe",
            "file:_C:\\Users\\a\\AppData\\Local\\Temp\\RS-1\\TieringEngineService.exe",
            "C:\\Temp\\eicar.exe",
        ] {
            assert!(!eicar_file_name(name), "{name}");
        }
    }
}
