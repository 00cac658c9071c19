//! Bad input never panics: one line naming the input and the reason, exit status 1, and
//! the good inputs of the same run are still investigated.

use crate::helpers::{example, run, stderr, stdout, write};

fn assert_one_line_error(path: &std::path::Path, expect: &str) {
    let out = run(&["investigate", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(&path.display().to_string()),
        "the error names the input: {err}"
    );
    assert!(lines[0].contains(expect), "expected `{expect}` in: {err}");
    assert!(stdout(&out).is_empty());
}

fn good_alert() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(example("ssh-brute-force.json")).unwrap())
        .unwrap()
}

#[test]
fn truncated_json() {
    let tmp = tempfile::tempdir().unwrap();
    let text = serde_json::to_string_pretty(&good_alert()).unwrap();
    let p = write(
        tmp.path(),
        "truncated.json",
        &text.as_bytes()[..text.len() / 2],
    );
    assert_one_line_error(&p, "EOF while parsing");
}

#[test]
fn five_mib_alert() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = good_alert();
    a["raw_log"]["padding"] = "x".repeat(5 << 20).into();
    let p = write(
        tmp.path(),
        "huge.json",
        serde_json::to_string(&a).unwrap().as_bytes(),
    );
    assert_one_line_error(&p, "over the limit of 1048576 bytes");
}

#[test]
fn thousand_deep_nesting() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
    let text = serde_json::to_string(&good_alert()).unwrap().replacen(
        "\"raw_log\":{",
        &format!("\"raw_log\":{{\"deep\":{deep},"),
        1,
    );
    let p = write(tmp.path(), "deep.json", text.as_bytes());
    assert_one_line_error(&p, "deeper than the limit of 64");
}

#[test]
fn invalid_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = serde_json::to_vec(&good_alert()).unwrap();
    let at = bytes.iter().position(|&b| b == b'S').unwrap();
    bytes[at] = 0xff;
    let p = write(tmp.path(), "latin.json", &bytes);
    assert_one_line_error(&p, "not valid UTF-8");
}

#[test]
fn empty_file() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "empty.json", b"");
    assert_one_line_error(&p, "empty input");
}

#[test]
fn missing_fields_and_wrong_types_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = good_alert();
    a.as_object_mut().unwrap().remove("timestamp");
    let p = write(
        tmp.path(),
        "no-ts.json",
        serde_json::to_string(&a).unwrap().as_bytes(),
    );
    assert_one_line_error(&p, "missing required field `timestamp`");
    let mut a = good_alert();
    a["raw_log"] = "text".into();
    let p = write(
        tmp.path(),
        "raw-text.json",
        serde_json::to_string(&a).unwrap().as_bytes(),
    );
    assert_one_line_error(&p, "`raw_log`");
}

#[test]
fn too_many_indicators() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = good_alert();
    let ips: Vec<String> = (0..10_001)
        .map(|i| format!("203.0.{}.{}", i / 250, i % 250))
        .collect();
    a["indicators"]["ips"] = serde_json::json!(ips);
    let p = write(
        tmp.path(),
        "many.json",
        serde_json::to_string(&a).unwrap().as_bytes(),
    );
    assert_one_line_error(&p, "over the limit of 10000");
}

#[test]
fn a_bad_file_does_not_stop_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a-bad.json", b"{\"alert_id\": ");
    write(
        tmp.path(),
        "b-good.json",
        serde_json::to_string(&good_alert()).unwrap().as_bytes(),
    );
    let out = run(&["investigate", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("a-bad.json"), "{err}");
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["alert_id"], "EX-0001");
}

#[test]
fn a_missing_path_is_reported() {
    let out = run(&["investigate", "/nonexistent/alert.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/alert.json"));
}
