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
