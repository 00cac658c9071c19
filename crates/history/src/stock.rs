//! Hashes of the operating system's own programs, which link nothing.
//!
//! Every Windows host of one build carries the same `cmd.exe`, `wmic.exe` and
//! `certutil.exe`, so the hash of a stock system binary is shared by unrelated alerts all
//! day: as a link it would call every alert that runs `wmic` part of one "campaign". A
//! hash counts as stock when the event it comes with says which file it is the hash of,
//! that file lies directly in `C:\Windows`, `C:\Windows\System32` or `SysWOW64` (or
//! their `wbem`, `WindowsPowerShell\v1.0` and `drivers` folders, or `WinSxS`: places only
//! an administrator or the installer writes; not `spool`, `Tasks` or other folders users
//! can write to, not another drive, not a path with `..`), the event's `OriginalFileName`
//! (the name compiled into the binary) is that file's own name, and a signature the event
//! records, if any, is Microsoft's. A renamed copy (`OriginalFileName` of another program),
//! a file without one or an unsigned one still links. An intruder with administrator
//! rights who drops a program into `System32` under its own name loses only this link:
//! the program is still looked up, and its host and network indicators still link.
//!
//! The hashed file is the event's `ImageLoaded` (image and driver loads), else its
//! `TargetFilename` (file events), else its `Image` (process creation); in ECS, an object's
//! `executable` with its `hash` and `pe.original_file_name`. Hashes are read from the same
//! object: Sysmon's `Hashes` (`SHA256=..,MD5=..`) and `MD5`/`SHA1`/`SHA256`/`Hash` keys, or
//! ECS `hash.md5`/`hash.sha1`/`hash.sha256`.

use serde_json::{Map, Value};

/// Deepest nesting walked.
const MAX_DEPTH: usize = 16;
/// Most objects looked at per alert.
const MAX_OBJECTS: usize = 4_096;

/// The lower-case hashes in `raw_log` that belong to stock system binaries (see the
/// module docs).
pub(crate) fn system_binary_hashes(raw_log: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut budget = MAX_OBJECTS;
    walk(raw_log, 0, &mut budget, &mut out);
    out
}

fn walk(obj: &Map<String, Value>, depth: usize, budget: &mut usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH || *budget == 0 {
        return;
    }
    *budget -= 1;
    if is_stock(obj) {
        hashes_of(obj, out);
    }
    for v in obj.values() {
        match v {
            Value::Object(o) => walk(o, depth + 1, budget, out),
            Value::Array(items) => {
                for o in items.iter().filter_map(Value::as_object) {
                    walk(o, depth + 1, budget, out);
                }
            }
            _ => {}
        }
    }
}

/// A string field of `obj` by name, ignoring case.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// Whether `obj` describes a stock system binary: its hashed file lies in a system folder
/// and carries its own name as `OriginalFileName`.
fn is_stock(obj: &Map<String, Value>) -> bool {
    let Some(path) = ["ImageLoaded", "TargetFilename", "Image", "executable"]
        .iter()
        .find_map(|k| field(obj, k))
    else {
        return false;
    };
    let original = field(obj, "OriginalFileName").or_else(|| {
        obj.get("pe")
            .and_then(Value::as_object)
            .and_then(|pe| field(pe, "original_file_name"))
    });
    let Some(original) = original else {
        return false;
    };
    // A signature the event records (Sysmon image and driver loads) must be Microsoft's.
    if field(obj, "Signed").is_some_and(|v| !v.trim().eq_ignore_ascii_case("true"))
        || field(obj, "Signature").is_some_and(|v| !v.to_ascii_lowercase().contains("microsoft"))
    {
        return false;
    }
    let path = path.trim().trim_matches('"').replace('/', "\\");
    let name = path.rsplit('\\').next().unwrap_or_default();
    let original = original.trim();
    let original = original
        .len()
        .checked_sub(4)
        .filter(|&cut| {
            original.is_char_boundary(cut) && original[cut..].eq_ignore_ascii_case(".mui")
        })
        .map_or(original, |cut| &original[..cut]);
    !name.is_empty() && name.eq_ignore_ascii_case(original) && in_system_folder(&path)
}

/// A file directly in `C:\Windows`, `System32` or `SysWOW64`, in their `wbem`,
/// `WindowsPowerShell\v1.0` or `drivers` folders, or anywhere under `WinSxS`.
fn in_system_folder(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if lower.contains("\\..\\") || lower.contains("\\.\\") {
        return false;
    }
    let Some(rest) = lower.strip_prefix("c:\\windows\\") else {
        return false;
    };
    if rest.starts_with("winsxs\\") {
        return true;
    }
    let rest = rest
        .strip_prefix("system32\\")
        .or_else(|| rest.strip_prefix("syswow64\\"))
        .map_or(rest, |r| {
            ["wbem\\", "windowspowershell\\v1.0\\", "drivers\\"]
                .iter()
                .find_map(|d| r.strip_prefix(d))
                .unwrap_or(r)
        });
    !rest.is_empty() && !rest.contains('\\')
}

/// The hashes `obj` gives for its file, lower case.
fn hashes_of(obj: &Map<String, Value>, out: &mut Vec<String>) {
    let mut push = |v: &str| {
        let v = v.trim();
        if matches!(v.len(), 32 | 40 | 64) && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push(v.to_ascii_lowercase());
        }
    };
    if let Some(list) = field(obj, "Hashes") {
        for pair in list.split(',') {
            if let Some((alg, v)) = pair.split_once('=')
                && !alg.trim().eq_ignore_ascii_case("imphash")
            {
                push(v);
            }
        }
    }
    for k in ["MD5", "SHA1", "SHA256", "Hash"] {
        if let Some(v) = field(obj, k) {
            push(v);
        }
    }
    if let Some(h) = obj.get("hash").and_then(Value::as_object) {
        for k in ["md5", "sha1", "sha256"] {
            if let Some(v) = field(h, k) {
                push(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hashes(v: &Value) -> Vec<String> {
        system_binary_hashes(v.as_object().expect("an object"))
    }

    const MD5: &str = "0123456789abcdef0123456789abcdef";
    const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_stock_system_binary_is_recognised_by_folder_and_original_name() {
        let ev = json!({"event_data": {
            "Image": "C:\\Windows\\System32\\wbem\\WMIC.exe", "OriginalFileName": "wmic.exe",
            "ParentImage": "C:\\Users\\x\\AppData\\Local\\Temp\\evil.exe",
            "Hashes": format!("MD5={},SHA256={},IMPHASH=AAAABBBBCCCCDDDDEEEEFFFF00001111", MD5.to_uppercase(), SHA256)
        }});
        assert_eq!(hashes(&ev), [MD5, SHA256]);
        // The MUI name of PowerShell's resources.
        let ps = json!({"Image": "C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                        "OriginalFileName": "PowerShell.EXE.MUI", "MD5": MD5});
        assert_eq!(hashes(&ps), [MD5]);
        // Directly in the Windows folder, and in ECS form.
        let ecs = json!({"process": {"executable": "C:\\Windows\\explorer.exe",
                         "pe": {"original_file_name": "EXPLORER.EXE"}, "hash": {"sha256": SHA256}}});
        assert_eq!(hashes(&ecs), [SHA256]);
    }

    #[test]
    fn renamed_dropped_or_elsewhere_binaries_are_not_stock() {
        // A renamed copy: OriginalFileName names another program.
        let renamed = json!({"Image": "C:\\Windows\\System32\\svch0st.exe", "OriginalFileName": "procdump", "MD5": MD5});
        // No OriginalFileName at all.
        let bare = json!({"Image": "C:\\Windows\\System32\\updater.exe", "MD5": MD5});
        // The right name outside the system folders.
        let elsewhere = json!({"Image": "C:\\Users\\Public\\cmd.exe", "OriginalFileName": "Cmd.Exe", "MD5": MD5});
        let deeper = json!({"Image": "C:\\Windows\\Temp\\cmd.exe", "OriginalFileName": "Cmd.Exe", "MD5": MD5});
        // Folders under System32 that users can write to, another drive, a `..` path.
        let spool = json!({"Image": "C:\\Windows\\System32\\spool\\drivers\\color\\x.exe", "OriginalFileName": "x.exe", "MD5": MD5});
        let drive = json!({"Image": "D:\\Windows\\System32\\x.exe", "OriginalFileName": "x.exe", "MD5": MD5});
        let dots = json!({"Image": "C:\\Windows\\System32\\..\\..\\Users\\x.exe", "OriginalFileName": "x.exe", "MD5": MD5});
        // A load event's signature that is not Microsoft's.
        let unsigned = json!({"Image": "C:\\Windows\\System32\\rundll32.exe", "ImageLoaded": "C:\\Windows\\System32\\x.dll",
                              "OriginalFileName": "x.dll", "Signed": "false", "MD5": MD5});
        let foreign = json!({"ImageLoaded": "C:\\Windows\\System32\\x.dll", "OriginalFileName": "x.dll",
                             "Signed": "true", "Signature": "Evil Corp", "MD5": MD5});
        for v in [
            renamed, bare, elsewhere, deeper, spool, drive, dots, unsigned, foreign,
        ] {
            assert!(hashes(&v).is_empty(), "{v}");
        }
    }

    #[test]
    fn an_image_load_hashes_the_loaded_file_not_the_process() {
        // A user-folder DLL loaded by a stock program: the hash is the DLL's.
        let ev = json!({"Image": "C:\\Windows\\System32\\rundll32.exe",
                        "ImageLoaded": "C:\\Users\\x\\AppData\\Roaming\\payload.dll",
                        "OriginalFileName": "rundll32.exe", "Hashes": format!("SHA256={SHA256}")});
        assert!(hashes(&ev).is_empty());
    }
}
