//! `investigate` with AbuseIPDB configured against a wire-level mock: the evidence shows
//! up, and the same IP in a second alert of the run costs no second request.

use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{example, repo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuseipdb_evidence_appears_and_a_repeat_ip_is_not_looked_up_twice() {
    let fixture = std::fs::read_to_string(
        repo().join("crates/intel/tests/fixtures/abuseipdb/check_malicious_verbose.json"),
    )
    .unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .and(query_param("ipAddress", "204.8.96.141"))
        .and(header("Key", "test-key-for-the-mock-0123"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture, "application/json")
                .set_delay(Duration::from_millis(20)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(example("ssh-brute-force.json")).unwrap())
            .unwrap();
    let mut b = a.clone();
    b["alert_id"] = "EX-0001-repeat".into();
    let input = format!(
        "{}\n{}\n",
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let uri = server.uri();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_soc-copilot"))
            .args(["investigate", "-"])
            .env("ABUSEIPDB_API_KEY", "test-key-for-the-mock-0123")
            .env("ABUSEIPDB_BASE_URL", uri)
            .env_remove("VIRUSTOTAL_API_KEY")
            .env_remove("URLSCAN_API_KEY")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("test-key-for-the-mock-0123"),
        "the key never appears in output"
    );
    let invs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(invs.len(), 2);
    for inv in &invs {
        let ev = inv["evidence"].as_array().unwrap();
        let abuse = ev
            .iter()
            .find(|e| e["source_tool"] == "abuseipdb")
            .unwrap_or_else(|| panic!("no AbuseIPDB evidence: {ev:#?}"));
        let claim = abuse["claim"].as_str().unwrap().to_lowercase();
        assert!(
            claim.contains("204.8.96.141")
                && claim.contains("score")
                && claim.contains("report")
                && claim.contains("tor"),
            "{claim}"
        );
    }
    assert_eq!(invs[0]["cost"]["intel_calls"]["abuseipdb"], 1);
    assert_eq!(invs[1]["cost"]["cache_hits"], 1, "answered from the cache");
    server.verify().await;
}

/// `intel lookup` with AbuseIPDB pointed at `base` and no other keyed provider.
fn lookup(args: &[&str], base: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_soc-copilot"))
        .args(["intel", "lookup"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("REDIS_URL")
        .env_remove("VIRUSTOTAL_API_KEY")
        .env_remove("URLSCAN_API_KEY")
        .env("ABUSEIPDB_API_KEY", "test-key-for-the-mock-0123")
        .env("ABUSEIPDB_BASE_URL", base)
        .output()
        .unwrap()
}

#[test]
fn json_lookup_prints_a_line_per_indicator_and_fails_when_a_lookup_fails() {
    // Nothing listens on port 1: the AbuseIPDB lookup fails.
    let out = lookup(
        &[
            "--json",
            "198.51.100.7",
            "evil.example",
            "44d88612fea8a8f36de82e1278abb02f",
            "user@example.com",
        ],
        "http://127.0.0.1:1",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("test-key-for-the-mock-0123"), "{err}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status = |indicator: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["indicator"] == indicator)
            .map(|l| l["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut ip = status("198.51.100.7");
    ip.sort();
    assert_eq!(ip, ["failed", "ok"], "{lines:#?}");
    for other in [
        "evil.example",
        "44d88612fea8a8f36de82e1278abb02f",
        "user@example.com",
    ] {
        assert_eq!(status(other), ["unsupported"], "{other}: {lines:#?}");
    }
    let unsupported = lines.iter().find(|l| l["status"] == "unsupported").unwrap();
    assert_eq!(
        unsupported["reason"],
        "no configured provider looks up this kind"
    );
    assert!(
        lines.iter().any(|l| l["status"] == "failed"
            && l["provider"] == "abuseipdb"
            && l["error"].is_string()),
        "{lines:#?}"
    );

    // Not an indicator: a JSON line too, and exit 1.
    let out = lookup(&["--json", "not an indicator"], "http://127.0.0.1:1");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(v["status"], "invalid");
    assert_eq!(v["indicator"], "not an indicator");
}

#[test]
fn lookup_exits_0_when_every_lookup_answered() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_soc-copilot"))
        .args([
            "intel",
            "lookup",
            "--json",
            "185.220.101.47",
            "evil.example",
        ])
        .env_remove("RUST_LOG")
        .env_remove("REDIS_URL")
        .env_remove("ABUSEIPDB_API_KEY")
        .env_remove("VIRUSTOTAL_API_KEY")
        .env_remove("URLSCAN_API_KEY")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
}
