use std::collections::{BTreeSet, HashMap};

use super::load::CatalogError;
use super::*;
use crate::investigation::GroupMatch;

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn embedded_catalog_parses() {
    // Proves `catalog()` cannot panic: the embedded files load and validate.
    let c = Catalog::from_json(TECHNIQUES_JSON, GROUPS_JSON, TACTICS_JSON).unwrap();
    assert_eq!(c.techniques().len(), 835);
    assert_eq!(c.groups().len(), 172);
    assert_eq!(c.tactics().len(), 14);

    let c = catalog();
    assert_eq!(c.version(), "18.1");
    assert_eq!(c.techniques().len(), 835);
    assert_eq!(c.groups().len(), 172);
    assert_eq!(c.tactics().len(), 14);
    let active = c.techniques().iter().filter(|t| t.is_active());
    let (subs, tops): (Vec<_>, Vec<_>) = active.partition(|t| t.is_subtechnique());
    assert_eq!((tops.len(), subs.len()), (216, 475));
    assert_eq!(c.techniques().iter().filter(|t| t.revoked).count(), 132);
    assert_eq!(c.techniques().iter().filter(|t| t.deprecated).count(), 12);
    let links: usize = c.groups().iter().map(|g| g.techniques.len()).sum();
    assert_eq!(links, 4362);
}

#[test]
fn catalog_is_sorted() {
    let c = catalog();
    assert!(c.techniques().windows(2).all(|w| w[0].id < w[1].id));
    assert!(c.groups().windows(2).all(|w| w[0].id < w[1].id));
    let order: Vec<u32> = c.tactics().iter().map(|t| t.matrix_order).collect();
    assert_eq!(order, (0..14).collect::<Vec<_>>());
    assert_eq!(c.tactics()[0].shortname, "reconnaissance");
    assert_eq!(c.tactics()[13].shortname, "impact");
}

#[test]
fn technique_lookup() {
    let c = catalog();
    let t = c.technique("T1110").unwrap();
    assert_eq!(t.name, "Brute Force");
    assert!(t.parent.is_none());
    assert!(t.is_active());

    let sub = c.technique("T1110.001").unwrap();
    assert_eq!(sub.name, "Password Guessing");
    assert_eq!(sub.parent.as_deref(), Some("T1110"));
    assert_eq!(c.full_name(sub), "Brute Force: Password Guessing");
    assert_eq!(c.full_name(t), "Brute Force");
    assert!(sub.tactics.iter().any(|s| s == "credential-access"));
    assert_eq!(c.parent(sub).map(|p| p.id.as_str()), Some("T1110"));
    assert!(c.parent(t).is_none());

    for form in [
        " t1110.001 ",
        "T1110/001",
        "t1110/001/",
        "https://attack.mitre.org/techniques/T1110/001/",
        "attack.t1110.001",
    ] {
        assert_eq!(
            c.technique(form).map(|t| t.id.as_str()),
            Some("T1110.001"),
            "{form}"
        );
    }
    for missing in [
        "",
        "T9999",
        "T1110.999",
        "1110",
        "T1110.001x",
        "Brute Force",
    ] {
        assert!(c.technique(missing).is_none(), "{missing}");
    }
}

#[test]
fn revoked_resolves_to_replacement() {
    let c = catalog();
    let t1002 = c.technique("T1002").unwrap();
    assert!(t1002.revoked);
    let r = c.resolve("t1002").unwrap();
    assert_eq!(r.technique.id, "T1560");
    assert_eq!(r.replaced.as_deref(), Some("T1002"));

    let r = c.resolve("T1560").unwrap();
    assert_eq!(r.technique.id, "T1560");
    assert!(r.replaced.is_none());

    // A two-step chain: T1073 -> T1574.002 (revoked) -> T1574.001.
    let r = c.resolve("T1073").unwrap();
    assert_eq!(r.technique.id, "T1574.001");
    assert_eq!(r.replaced.as_deref(), Some("T1073"));

    for t in c.techniques().iter().filter(|t| t.revoked) {
        let r = c.resolve(&t.id).unwrap();
        assert!(!r.technique.revoked, "{}", t.id);
        assert_eq!(r.replaced.as_deref(), Some(t.id.as_str()));
    }
    assert!(c.resolve("T9999").is_none());
}

#[test]
fn deprecated_is_flagged_and_resolves_to_itself() {
    let c = catalog();
    let t = c.technique("T1064").unwrap();
    assert_eq!(t.name, "Scripting");
    assert!(t.deprecated && !t.revoked && !t.is_active());
    let r = c.resolve("T1064").unwrap();
    assert_eq!(r.technique.id, "T1064");
    assert!(r.replaced.is_none());
}

#[test]
fn find_by_name() {
    let c = catalog();
    let found = |n: &str| c.find_by_name(n).map(|t| t.id.as_str());
    assert_eq!(found("Brute Force"), Some("T1110"));
    assert_eq!(found("  brute   FORCE "), Some("T1110"));
    assert_eq!(found("Password Guessing"), Some("T1110.001"));
    assert_eq!(found("brute force: password guessing"), Some("T1110.001"));
    assert_eq!(found("Brute Force:Password Guessing"), Some("T1110.001"));
    // Revoked T1004 and active T1547.004 share the name.
    assert_eq!(found("Winlogon Helper DLL"), Some("T1547.004"));
    assert_eq!(found("PROCESS DOPPELGÄNGING"), Some("T1055.013"));
    // Shared bare sub-technique name: lowest id; `Parent: Sub` picks the other.
    assert_eq!(found("Spearphishing Attachment"), Some("T1566.001"));
    assert_eq!(
        found("Phishing for Information: Spearphishing Attachment"),
        Some("T1598.002")
    );
    // Deprecated techniques are still found by name.
    assert_eq!(found("scripting"), Some("T1064"));
    assert_eq!(found("No Such Technique"), None);
    assert_eq!(found("Password Guessing: Brute Force"), None);
    assert_eq!(found(""), None);
}

#[test]
fn tactics() {
    let c = catalog();
    for q in ["credential-access", "TA0006", "ta0006", "Credential Access"] {
        assert_eq!(c.tactic(q).map(|t| t.id.as_str()), Some("TA0006"), "{q}");
    }
    assert!(c.tactic("nope").is_none());
}

#[test]
fn technique_ref() {
    let c = catalog();
    let r = c.technique_ref("T1110.001", ids(&["ev-1"])).unwrap();
    assert_eq!(r.id, "T1110.001");
    assert_eq!(r.name, "Brute Force: Password Guessing");
    assert_eq!(r.tactics, ids(&["credential-access"]));
    assert_eq!(r.evidence_ids, ids(&["ev-1"]));
    assert!(r.replaced.is_none());

    let r = c.technique_ref("T1002", ids(&["ev-2", "ev-3"])).unwrap();
    assert_eq!(r.id, "T1560");
    assert_eq!(r.name, "Archive Collected Data");
    assert_eq!(r.replaced.as_deref(), Some("T1002"));
    assert!(c.technique_ref("T9999", Vec::new()).is_none());
}

fn assert_ranked(groups: &[GroupMatch]) {
    for g in groups {
        assert!(g.overlap_count >= 1);
        assert_eq!(g.overlap_count, g.matched_techniques.len());
        assert!(g.matched_techniques.windows(2).all(|w| w[0] < w[1]));
        assert!(g.group_id.starts_with('G'));
    }
    for w in groups.windows(2) {
        let key = |g: &GroupMatch| (std::cmp::Reverse(g.overlap_count), g.group.to_lowercase());
        assert!(
            key(&w[0]) <= key(&w[1]),
            "{} before {}",
            w[0].group,
            w[1].group
        );
    }
}

#[test]
fn associated_groups_brute_force() {
    let c = catalog();
    let groups = c.associated_groups(&ids(&["T1110"]), 5);
    assert_eq!(groups.len(), 5);
    assert_ranked(&groups);
    for g in &groups {
        assert_eq!(g.matched_techniques, ids(&["T1110"]));
        let known = c.groups().iter().find(|k| k.id == g.group_id).unwrap();
        assert_eq!(known.name, g.group);
        assert_eq!(known.aliases, g.aliases);
    }
    // All tie at 1, so the first five alphabetically among groups using T1110 or a sub.
    let mut expected: Vec<&str> = c
        .groups()
        .iter()
        .filter(|g| {
            g.techniques
                .iter()
                .any(|t| t == "T1110" || t.starts_with("T1110."))
        })
        .map(|g| g.name.as_str())
        .collect();
    expected.sort_by_key(|n| n.to_lowercase());
    let got: Vec<&str> = groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(got, expected[..5]);
}

#[test]
fn associated_groups_grounded_in_investigation() {
    let c = catalog();
    let input = ids(&["T1566.001", "T1204.002"]);
    let allowed: BTreeSet<&str> = ["T1566.001", "T1566", "T1204.002", "T1204"].into();
    let groups = c.associated_groups(&input, 5);
    assert_eq!(groups.len(), 5);
    assert_ranked(&groups);
    for g in &groups {
        for m in &g.matched_techniques {
            assert!(allowed.contains(m.as_str()), "{}: {m}", g.group);
        }
    }

    // Every technique alone: matches are the (resolved) technique or its parent.
    for t in c.techniques() {
        let resolved = c.resolve(&t.id).unwrap().technique;
        let mut ok = vec![resolved.id.as_str()];
        ok.extend(resolved.parent.as_deref());
        for g in c.associated_groups(std::slice::from_ref(&t.id), usize::MAX) {
            assert!(
                g.matched_techniques
                    .iter()
                    .all(|m| ok.contains(&m.as_str())),
                "{}: {} -> {:?}",
                t.id,
                g.group,
                g.matched_techniques
            );
        }
    }
}

#[test]
fn associated_groups_match_rules() {
    let c = catalog();
    // A group that uses T1566 but none of its sub-techniques matches T1566.001 via the parent.
    let parent_only = c
        .groups()
        .iter()
        .find(|g| {
            g.techniques.iter().any(|t| t == "T1566")
                && !g.techniques.iter().any(|t| t.starts_with("T1566."))
        })
        .unwrap();
    let all = c.associated_groups(&ids(&["T1566.001"]), usize::MAX);
    let m = all.iter().find(|m| m.group_id == parent_only.id).unwrap();
    assert_eq!(m.matched_techniques, ids(&["T1566"]));

    // A group that uses T1566.001 only matches T1566 through its sub-technique.
    let sub_only = c
        .groups()
        .iter()
        .find(|g| {
            g.techniques.iter().any(|t| t == "T1566.001")
                && !g.techniques.iter().any(|t| t == "T1566")
        })
        .unwrap();
    let all = c.associated_groups(&ids(&["T1566"]), usize::MAX);
    let m = all.iter().find(|m| m.group_id == sub_only.id).unwrap();
    assert_eq!(m.matched_techniques, ids(&["T1566"]));
    assert_ranked(&all);

    // Revoked ids stand for their replacement; unknown ids are skipped; duplicates count once.
    let revoked = c.associated_groups(&ids(&["T1002", "T9999", "t1560"]), 3);
    assert_eq!(revoked, c.associated_groups(&ids(&["T1560"]), 3));
    assert!(
        revoked
            .iter()
            .all(|g| g.matched_techniques == ids(&["T1560"]))
    );

    assert!(c.associated_groups(&ids(&["T1110"]), 0).is_empty());
    assert!(c.associated_groups(&[], 5).is_empty());
    assert!(c.associated_groups(&ids(&["T9999"]), 5).is_empty());
    // Deprecated techniques are used by no group.
    assert!(c.associated_groups(&ids(&["T1064"]), 5).is_empty());

    // Overlap grows with more techniques and ranks first.
    let many = c.associated_groups(&ids(&["T1110", "T1566.001", "T1059.001", "T1078"]), 5);
    assert_ranked(&many);
    assert!(many[0].overlap_count >= 3);
}

#[test]
fn extract_ids_cases() {
    let cases: &[(&str, &[&str])] = &[
        ("T1110", &["T1110"]),
        ("brute force (t1110.001) seen", &["T1110.001"]),
        ("tags: [attack.t1059.001, attack.execution]", &["T1059.001"]),
        ("T1059/001 and T1059.001", &["T1059.001"]),
        (
            "https://attack.mitre.org/techniques/T1566/002/",
            &["T1566.002"],
        ),
        ("T1110, T1078; t1110.", &["T1110", "T1078"]),
        ("AT11100 T11100 xT1110 T1110x _T1110 T111", &[]),
        ("T1110.01 T1110.0011 T1110.001a", &[]),
        ("T1110.abc", &["T1110"]),
        ("«T1021.002»—T1047", &["T1021.002", "T1047"]),
        ("éT1110 ΔT1078", &[]),
        ("", &[]),
    ];
    for (text, expected) in cases {
        assert_eq!(extract_ids(text), ids(expected), "{text:?}");
    }
}

fn one_tactic() -> &'static str {
    r#"[{"id":"TA0006","name":"Credential Access","shortname":"credential-access","matrix_order":0}]"#
}

fn tech(id: &str, parent: Option<&str>, revoked_by: Option<&str>) -> String {
    serde_json::json!({
        "id": id, "name": id, "tactics": ["credential-access"], "parent": parent,
        "deprecated": false, "revoked": revoked_by.is_some(), "revoked_by": revoked_by,
    })
    .to_string()
}

#[test]
fn loader_rejects_inconsistent_data() {
    let load = |techniques: &[String], groups: &str| {
        Catalog::from_json(&format!("[{}]", techniques.join(",")), groups, one_tactic())
    };
    let ok = load(
        &[
            tech("T1000", None, None),
            tech("T1000.001", Some("T1000"), None),
        ],
        "[]",
    );
    assert!(ok.is_ok());

    let err = load(&[tech("T1000.001", Some("T1000"), None)], "[]").unwrap_err();
    assert!(matches!(
        err,
        CatalogError::UnknownReference {
            field: "parent",
            ..
        }
    ));

    let cycle = [
        tech("T1000", None, Some("T1001")),
        tech("T1001", None, Some("T1000")),
    ];
    let err = load(&cycle, "[]").unwrap_err();
    assert!(matches!(err, CatalogError::RevocationCycle { .. }));

    let dup = [tech("T1000", None, None), tech("T1000", None, None)];
    assert!(matches!(
        load(&dup, "[]").unwrap_err(),
        CatalogError::DuplicateId { .. }
    ));

    let bad = [tech("t1000", None, None)];
    assert!(matches!(
        load(&bad, "[]").unwrap_err(),
        CatalogError::BadId { .. }
    ));

    let group = r#"[{"id":"G0001","name":"X","aliases":[],"techniques":["T1999"]}]"#;
    let err = load(&[tech("T1000", None, None)], group).unwrap_err();
    assert!(matches!(
        err,
        CatalogError::UnknownReference {
            field: "techniques",
            ..
        }
    ));

    let err = Catalog::from_json("{", "[]", one_tactic()).unwrap_err();
    assert!(matches!(
        err,
        CatalogError::Json {
            file: "techniques.json",
            ..
        }
    ));
    assert!(err.to_string().contains("`techniques.json`"));
}

/// The embedded techniques match the extracted catalog in `../shared`, when it is there.
#[test]
fn embedded_matches_shared_source() {
    let path = "/work/shared/data/attack/enterprise-techniques.json";
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("skipped: {path} is not present");
        return;
    };
    let source: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let c = catalog();
    assert_eq!(source.len(), c.techniques().len());
    let by_id: HashMap<&str, &Technique> =
        c.techniques().iter().map(|t| (t.id.as_str(), t)).collect();
    for s in &source {
        let id = s["id"].as_str().unwrap();
        let t = by_id.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(Some(t.name.as_str()), s["name"].as_str(), "{id}");
        assert_eq!(Some(t.revoked), s["revoked"].as_bool(), "{id}");
        assert_eq!(Some(t.deprecated), s["deprecated"].as_bool(), "{id}");
        assert_eq!(t.revoked_by.as_deref(), s["revoked_by"].as_str(), "{id}");
        assert_eq!(t.parent.as_deref(), s["parent"].as_str(), "{id}");
    }
}

/// The ranking computed from the public catalog data alone, group by group: the rule of
/// [`Catalog::associated_groups`] without its index.
fn groups_by_definition(c: &Catalog, input: &[String]) -> Vec<(String, Vec<String>)> {
    let mut wanted: Vec<&Technique> = input
        .iter()
        .filter_map(|id| c.resolve(id))
        .map(|r| r.technique)
        .collect();
    wanted.sort_by(|a, b| a.id.cmp(&b.id));
    wanted.dedup_by(|a, b| a.id == b.id);
    let mut scored: Vec<(String, String, Vec<String>)> = c
        .groups()
        .iter()
        .filter_map(|g| {
            let uses: BTreeSet<&str> = g.techniques.iter().map(String::as_str).collect();
            let matched: BTreeSet<String> = wanted
                .iter()
                .filter_map(|t| {
                    if uses.contains(t.id.as_str()) {
                        return Some(t.id.clone());
                    }
                    match t.parent.as_deref() {
                        None => uses
                            .iter()
                            .any(|u| u.starts_with(&format!("{}.", t.id)))
                            .then(|| t.id.clone()),
                        Some(p) => uses.contains(p).then(|| p.to_owned()),
                    }
                })
                .collect();
            (!matched.is_empty())
                .then(|| (g.name.clone(), g.id.clone(), matched.into_iter().collect()))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.2.len()
            .cmp(&a.2.len())
            .then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase()))
            .then_with(|| a.1.cmp(&b.1))
    });
    scored.into_iter().map(|(_, id, m)| (id, m)).collect()
}

#[test]
fn associated_groups_equal_the_definition_for_every_technique_and_some_sets() {
    let c = catalog();
    let mut inputs: Vec<Vec<String>> = c.techniques().iter().map(|t| vec![t.id.clone()]).collect();
    inputs.push(ids(&["T1566.001", "T1204.002", "T1059.001"]));
    inputs.push(ids(&["T1110", "T1078", "T1021.004"]));
    inputs.push(ids(&["T1003.001", "T1055", "T1547.001", "T1053.005"]));
    for input in inputs {
        let got: Vec<(String, Vec<String>)> = c
            .associated_groups(&input, usize::MAX)
            .into_iter()
            .map(|g| (g.group_id, g.matched_techniques))
            .collect();
        assert_eq!(got, groups_by_definition(c, &input), "{input:?}");
    }
}

#[test]
fn ids_of_a_newer_release_resolve_to_the_technique_they_stand_for() {
    let c = catalog();
    for (newer, here) in NEWER_RELEASE {
        assert!(
            c.technique(newer).is_none(),
            "{newer} is in the catalog now"
        );
        let t = c
            .technique(here)
            .unwrap_or_else(|| panic!("{here} unknown"));
        assert!(t.is_active(), "{here} is not active");
    }
    let r = c.resolve("attack.t1685.005").unwrap();
    assert_eq!(r.technique.id, "T1070.001");
    assert_eq!(r.replaced, None, "a newer id is no revoked one");
    let t = c.technique_ref("T1685", vec![]).unwrap();
    assert_eq!(t.id, "T1562.001");
    assert_eq!(from_newer_release("t1686.003"), Some("T1562.004"));
    assert_eq!(from_newer_release("T1059.001"), None);
    assert!(c.resolve("T1699").is_none());
}
