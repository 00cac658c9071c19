//! The checked-in JSON Schemas must match the types. Regenerate with
//! `SOC_UPDATE_SCHEMAS=1 cargo test -p soc-core --test schemas`.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::path::PathBuf;

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn check(file: &str, generated: &str) {
    let path = schemas_dir().join(file);
    if std::env::var_os("SOC_UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(schemas_dir()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run SOC_UPDATE_SCHEMAS=1 cargo test -p soc-core --test schemas",
            path.display()
        )
    });
    assert!(
        on_disk == generated,
        "{} drifted from the Rust types; run SOC_UPDATE_SCHEMAS=1 cargo test -p soc-core --test schemas and commit it",
        path.display()
    );
}

#[test]
fn alert_schema_is_current() {
    check("alert.v1.json", &soc_core::schema::alert_schema());
}

#[test]
fn investigation_schema_is_current() {
    check(
        "investigation.v1.json",
        &soc_core::schema::investigation_schema(),
    );
}

#[test]
fn example_alerts_validate_against_the_alert_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&soc_core::schema::alert_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/alerts");
    let mut native = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if v.get("_source").is_some() {
            continue; // ECS hits are adapted, not native
        }
        native += 1;
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    assert!(native >= 3);
}
