//! The AbuseIPDB, VirusTotal and urlscan providers against wire-level mocks (one
//! `wiremock` server per test) serving the contract fixtures in `tests/fixtures/` (see the
//! README there). Each test checks the request shape (path, query, key header, user
//! agent) and the call count, then the grade, the claim and the error mapping.
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use soc_core::{Confidence, IocKind};
use soc_intel::providers::abuseipdb::AbuseIpDb;
use soc_intel::providers::urlscan::Urlscan;
use soc_intel::providers::virustotal::{self, VirusTotal};
use soc_intel::{IntelError, IntelProvider, IntelRecord, Reputation};
use support::{
    KEY, ioc, json as fixture, respond, respond_json, respond_with_headers, settings,
    settings_refused, user_agent,
};
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TIMEOUT: Duration = Duration::from_secs(5);
/// Short timeout of the slow-server tests, and the delay that exceeds it.
const SHORT: Duration = Duration::from_millis(200);
const SLOW: Duration = Duration::from_secs(3);

fn init() {
    soc_intel::tls::install_crypto_provider();
}

/// The key is nowhere in the error, its `Debug` or the provider's `Debug`.
fn assert_no_key(err: &IntelError, provider: &dyn std::fmt::Debug) {
    for s in [err.to_string(), format!("{err:?}"), format!("{provider:?}")] {
        assert!(!s.contains(KEY), "key leaked: {s}");
    }
}

fn assert_absence_not_safety(rec: &IntelRecord) {
    let claim = rec.claim.to_lowercase();
    assert!(claim.contains("not"), "{}", rec.claim);
    for word in [" is safe", " clean", "benign", "harmless."] {
        assert!(!claim.contains(word), "{word:?} in {}", rec.claim);
    }
}

// ---------------------------------------------------------------- AbuseIPDB

fn abuse_check(ip: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/api/v2/check"))
        .and(query_param("ipAddress", ip))
        .and(query_param("maxAgeInDays", "90"))
        .and(query_param("verbose", ""))
        .and(header("key", KEY))
        .and(header("accept", "application/json"))
        .and(header("user-agent", user_agent().as_str()))
}

async fn abuse_server(ip: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    abuse_check(ip)
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn abuseipdb_malicious_tor_exit_names_the_facts_not_the_comments() {
    init();
    let server = abuse_server(
        "185.220.101.47",
        respond(200, "abuseipdb", "check_malicious_verbose.json"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap();
    assert_eq!(rec.provider, "abuseipdb");
    assert_eq!(rec.reputation, Reputation::Malicious);
    assert_eq!(rec.confidence, Confidence::High);
    for fact in [
        "185.220.101.47",
        "100/100",
        "1843 reports",
        "412 distinct users",
        "2025-06-02T04:45:11+00:00",
        "Brute-Force, SSH, Port Scan, Web App Attack, Open Proxy",
        "Tor exit node",
        "Zwiebelfreunde e.V.",
        "Data Center/Web Hosting/Transit",
        "country DE",
        "not whitelisted",
    ] {
        assert!(
            rec.claim.contains(fact),
            "{fact:?} missing from {}",
            rec.claim
        );
    }
    // Reporter comments are untrusted text: in raw, never in the claim.
    for comment in ["Failed password", "wp-login", "Port scan: TCP"] {
        assert!(!rec.claim.contains(comment), "{}", rec.claim);
    }
    assert!(
        rec.raw["reports"][0]["comment"]
            .as_str()
            .unwrap()
            .contains("Failed password")
    );
    for tag in [
        "abuseipdb_score:100",
        "tor",
        "brute_force",
        "ssh",
        "port_scan",
        "open_proxy",
    ] {
        assert!(
            rec.tags.iter().any(|t| t == tag),
            "{tag} not in {:?}",
            rec.tags
        );
    }
    assert_eq!(
        rec.tags.iter().filter(|t| *t == "brute_force").count(),
        1,
        "categories are deduplicated"
    );
}

#[tokio::test]
async fn abuseipdb_score_zero_without_reports_is_no_data() {
    init();
    let server = abuse_server(
        "198.51.100.23",
        respond(200, "abuseipdb", "check_clean.json"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Ipv4, "198.51.100.23"))
        .await
        .unwrap();
    assert_eq!(rec.reputation, Reputation::NoData);
    assert_eq!(rec.confidence, Confidence::Low);
    assert!(rec.claim.contains("198.51.100.23"), "{}", rec.claim);
    assert!(
        rec.claim
            .contains("no reports of 198.51.100.23 in the last 90 days"),
        "{}",
        rec.claim
    );
    assert!(
        rec.claim
            .contains("absence of reports is not evidence of safety"),
        "{}",
        rec.claim
    );
    assert_absence_not_safety(&rec);
    assert_eq!(rec.tags, vec!["abuseipdb_score:0".to_owned()]);
}

#[tokio::test]
async fn abuseipdb_looks_up_ipv6_and_says_when_an_address_is_not_public() {
    init();
    let server = abuse_server(
        "2001:db8::5",
        respond(200, "abuseipdb", "check_private_ip.json"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p.lookup(&ioc(IocKind::Ipv6, "2001:db8::5")).await.unwrap();
    assert_eq!(rec.reputation, Reputation::NoData);
    assert!(rec.claim.contains("2001:db8::5"), "{}", rec.claim);
    assert!(rec.claim.contains("not a public address"), "{}", rec.claim);
    // `isWhitelisted: null` says nothing either way.
    assert!(!rec.claim.contains("whitelist"), "{}", rec.claim);
}

#[tokio::test]
async fn abuseipdb_grades_by_score() {
    init();
    let cases = [
        (90, 3, Reputation::Malicious, Confidence::High),
        (75, 3, Reputation::Malicious, Confidence::High),
        (74, 3, Reputation::Suspicious, Confidence::Medium),
        (25, 3, Reputation::Suspicious, Confidence::Medium),
        (24, 3, Reputation::Suspicious, Confidence::Low),
        (1, 1, Reputation::Suspicious, Confidence::Low),
        (0, 2, Reputation::Known, Confidence::Low),
        (0, 0, Reputation::NoData, Confidence::Low),
    ];
    for (score, reports, reputation, confidence) in cases {
        let mut body = fixture("abuseipdb", "check_malicious_verbose.json");
        body["data"]["abuseConfidenceScore"] = json!(score);
        body["data"]["totalReports"] = json!(reports);
        body["data"]["isTor"] = json!(false);
        let server = abuse_server("185.220.101.47", respond_json(200, &body)).await;
        let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
        let rec = p
            .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
            .await
            .unwrap();
        assert_eq!(
            (rec.reputation, rec.confidence),
            (reputation, confidence),
            "score {score}: {}",
            rec.claim
        );
        assert!(rec.tags.contains(&format!("abuseipdb_score:{score}")));
        assert!(!rec.tags.iter().any(|t| t == "tor"));
    }
}

#[tokio::test]
async fn abuseipdb_raw_keeps_ten_reports() {
    init();
    let mut body = fixture("abuseipdb", "check_malicious_verbose.json");
    let report = body["data"]["reports"][0].clone();
    let mut reports = Vec::new();
    for i in 0..25 {
        let mut r = report.clone();
        r["categories"] = json!([if i == 24 { 99 } else { 18 }]);
        reports.push(r);
    }
    body["data"]["reports"] = Value::from(reports);
    let server = abuse_server("185.220.101.47", respond_json(200, &body)).await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap();
    assert_eq!(rec.raw["reports"].as_array().unwrap().len(), 10);
    assert_eq!(rec.raw["reportsOmitted"], json!(15));
    // Categories come from every report, unknown ids by number.
    assert!(
        rec.claim.contains("Brute-Force, category 99"),
        "{}",
        rec.claim
    );
    assert!(rec.tags.iter().any(|t| t == "category_99"));
}

#[tokio::test]
async fn abuseipdb_401_is_unauthorized_and_never_shows_the_key() {
    init();
    let server = abuse_server(
        "185.220.101.47",
        respond(401, "abuseipdb", "error_401.json"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Unauthorized {
                provider: "abuseipdb"
            }
        ),
        "{err:?}"
    );
    assert_no_key(&err, &p);
}

#[tokio::test]
async fn abuseipdb_429_honours_retry_after() {
    init();
    let server = abuse_server(
        "185.220.101.47",
        respond_with_headers("abuseipdb", "error_429.json", "error_429.headers.json"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::RateLimited {
                provider: "abuseipdb",
                retry_after_secs: Some(29241)
            }
        ),
        "{err:?}"
    );
    assert_no_key(&err, &p);
}

#[tokio::test]
async fn abuseipdb_429_without_retry_after_reads_the_daily_reset() {
    init();
    let reset = chrono::Utc::now().timestamp() + 600;
    let t = respond(429, "abuseipdb", "error_429.json")
        .insert_header("X-RateLimit-Reset", reset.to_string().as_str());
    let server = abuse_server("185.220.101.47", t).await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    let IntelError::RateLimited {
        retry_after_secs: Some(secs),
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!((595..=600).contains(&secs), "{secs}");
}

#[tokio::test]
async fn abuseipdb_5xx_is_unavailable() {
    init();
    let server = abuse_server(
        "185.220.101.47",
        ResponseTemplate::new(503).set_body_string("<html>maintenance</html>"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Unavailable {
                provider: "abuseipdb",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("503"), "{err}");
    assert_no_key(&err, &p);
}

#[tokio::test]
async fn abuseipdb_slow_answer_is_a_timeout() {
    init();
    let server = abuse_server(
        "185.220.101.47",
        respond(200, "abuseipdb", "check_clean.json").set_delay(SLOW),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, SHORT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Timeout {
                provider: "abuseipdb"
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn abuseipdb_422_and_garbage_are_bad_responses() {
    init();
    let server = abuse_server(
        "185.220.101.47",
        respond(422, "abuseipdb", "error_422_invalid_ip.json"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(matches!(err, IntelError::BadResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("422"), "{err}");
    assert!(err.to_string().contains("valid IPv4 or IPv6"), "{err}");

    let server = abuse_server(
        "185.220.101.47",
        ResponseTemplate::new(200).set_body_string("<html>not json</html>"),
    )
    .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::BadResponse {
                provider: "abuseipdb",
                ..
            }
        ),
        "{err:?}"
    );

    let server = abuse_server("185.220.101.47", respond_json(200, &json!({"data": {}}))).await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("abuseConfidenceScore"), "{err}");
}

#[tokio::test]
async fn abuseipdb_refused_connection_is_unavailable() {
    init();
    let p = AbuseIpDb::new(settings_refused()).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Unavailable {
                provider: "abuseipdb",
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_key(&err, &p);
}

#[tokio::test]
async fn abuseipdb_sends_nothing_for_other_kinds() {
    init();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    assert!(p.supports(IocKind::Ipv4) && p.supports(IocKind::Ipv6));
    assert!(!p.supports(IocKind::Domain));
    let err = p
        .lookup(&ioc(IocKind::Domain, "example.org"))
        .await
        .unwrap_err();
    assert!(matches!(err, IntelError::Unsupported { .. }), "{err:?}");
}

// ---------------------------------------------------------------- VirusTotal

const SHA256_BAD: &str = "75e834f1a8ad7acfc3b12e38a6c1e26a8940e31fc27a71997fcf333750bf0db4";
const MD5_BAD: &str = "c86c87115360548fba88f2899aa97e7d";
const BAD_URL: &str = "http://login-micr0soft.example.com/owa/auth.php";
const BAD_URL_ID: &str = "aHR0cDovL2xvZ2luLW1pY3Iwc29mdC5leGFtcGxlLmNvbS9vd2EvYXV0aC5waHA";

async fn vt_server(p: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(p))
        .and(header("x-apikey", KEY))
        .and(header("accept", "application/json"))
        .and(header("user-agent", user_agent().as_str()))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    server
}

async fn vt_lookup(
    p: &str,
    response: ResponseTemplate,
    kind: IocKind,
    value: &str,
) -> Result<IntelRecord, IntelError> {
    init();
    let server = vt_server(p, response).await;
    let vt = VirusTotal::new(settings(&server, TIMEOUT)).unwrap();
    vt.lookup(&ioc(kind, value)).await
}

#[test]
fn virustotal_url_id_matches_the_documented_examples() {
    assert_eq!(virustotal::url_id(BAD_URL), BAD_URL_ID);
    assert_eq!(
        virustotal::url_id("https://www.example.org/"),
        "aHR0cHM6Ly93d3cuZXhhbXBsZS5vcmcv"
    );
}

#[tokio::test]
async fn virustotal_malicious_file() {
    let rec = vt_lookup(
        &format!("/api/v3/files/{SHA256_BAD}"),
        respond(200, "virustotal", "file_malicious.json"),
        IocKind::Sha256,
        SHA256_BAD,
    )
    .await
    .unwrap();
    assert_eq!(rec.provider, "virustotal");
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::Malicious, Confidence::High)
    );
    for fact in [
        SHA256_BAD,
        "14 of 18 engines",
        "1 suspicious",
        "3 undetected",
        "trojan.emotet/geodo",
        "community reputation -47",
        "Win32 EXE",
        "2025-06-02",
    ] {
        assert!(
            rec.claim.contains(fact),
            "{fact:?} missing from {}",
            rec.claim
        );
    }
    // Submitted file names are attacker-chosen: raw only.
    assert!(!rec.claim.contains("invoice_0621.exe"), "{}", rec.claim);
    assert_eq!(rec.raw["attributes"]["meaningful_name"], "invoice_0621.exe");
    assert!(rec.raw["attributes"].get("last_analysis_results").is_none());
    assert!(
        !rec.raw["attributes"]["flagged_by"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(rec.tags.contains(&"virustotal_malicious:14".to_owned()));
    assert!(rec.tags.contains(&"threat:trojan.emotet/geodo".to_owned()));
}

#[tokio::test]
async fn virustotal_looks_up_md5_by_its_own_path() {
    let rec = vt_lookup(
        &format!("/api/v3/files/{MD5_BAD}"),
        respond(200, "virustotal", "file_malicious.json"),
        IocKind::Md5,
        MD5_BAD,
    )
    .await
    .unwrap();
    assert_eq!(rec.reputation, Reputation::Malicious);
    assert!(rec.claim.contains(MD5_BAD), "{}", rec.claim);
}

#[tokio::test]
async fn virustotal_clean_ip_is_known_never_safe() {
    let rec = vt_lookup(
        "/api/v3/ip_addresses/192.0.2.10",
        respond(200, "virustotal", "ip_clean.json"),
        IocKind::Ipv4,
        "192.0.2.10",
    )
    .await
    .unwrap();
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::Known, Confidence::Low)
    );
    assert!(
        rec.claim
            .contains("18 engines found nothing on IP 192.0.2.10"),
        "{}",
        rec.claim
    );
    assert!(
        rec.claim.contains("not evidence of safety"),
        "{}",
        rec.claim
    );
    assert!(rec.claim.contains("AS64500 EXAMPLE-NET"), "{}", rec.claim);
}

#[tokio::test]
async fn virustotal_malicious_ip_domain_and_url() {
    let rec = vt_lookup(
        "/api/v3/ip_addresses/185.220.101.47",
        respond(200, "virustotal", "ip_malicious.json"),
        IocKind::Ipv4,
        "185.220.101.47",
    )
    .await
    .unwrap();
    // 9 of 18: exactly the 0.5 boundary.
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::Malicious, Confidence::High)
    );
    assert!(
        rec.claim.contains("9 of 18 engines flag IP 185.220.101.47"),
        "{}",
        rec.claim
    );

    let rec = vt_lookup(
        "/api/v3/domains/login-micr0soft.example.com",
        respond(200, "virustotal", "domain_malicious.json"),
        IocKind::Domain,
        "login-micr0soft.example.com",
    )
    .await
    .unwrap();
    assert_eq!(rec.reputation, Reputation::Malicious);
    assert!(
        rec.claim
            .contains("9 of 14 engines flag domain login-micr0soft.example.com"),
        "{}",
        rec.claim
    );

    let rec = vt_lookup(
        &format!("/api/v3/urls/{BAD_URL_ID}"),
        respond(200, "virustotal", "url_malicious.json"),
        IocKind::Url,
        BAD_URL,
    )
    .await
    .unwrap();
    assert_eq!(rec.reputation, Reputation::Malicious);
    assert!(rec.claim.contains(BAD_URL), "{}", rec.claim);
}

#[tokio::test]
async fn virustotal_clean_domain_and_url_are_known() {
    let rec = vt_lookup(
        "/api/v3/domains/example.org",
        respond(200, "virustotal", "domain_clean.json"),
        IocKind::Domain,
        "example.org",
    )
    .await
    .unwrap();
    assert_eq!(rec.reputation, Reputation::Known);
    assert!(
        rec.claim.contains("14 engines found nothing"),
        "{}",
        rec.claim
    );
    assert_absence_not_safety(&rec);

    let url = "https://www.example.org/";
    let rec = vt_lookup(
        "/api/v3/urls/aHR0cHM6Ly93d3cuZXhhbXBsZS5vcmcv",
        respond(200, "virustotal", "url_clean.json"),
        IocKind::Url,
        url,
    )
    .await
    .unwrap();
    assert_eq!(rec.reputation, Reputation::Known);
}

#[tokio::test]
async fn virustotal_grades_by_ratio() {
    let cases = [
        // malicious, suspicious, harmless, undetected
        ((10, 0, 5, 5), Reputation::Malicious, Confidence::High),
        ((2, 0, 8, 8), Reputation::Malicious, Confidence::Medium),
        ((2, 0, 9, 9), Reputation::Malicious, Confidence::Medium),
        ((1, 0, 10, 10), Reputation::Suspicious, Confidence::Low),
        ((0, 1, 10, 10), Reputation::Suspicious, Confidence::Low),
        ((0, 0, 10, 10), Reputation::Known, Confidence::Low),
        ((0, 0, 0, 0), Reputation::NoData, Confidence::Low),
    ];
    for ((m, s, h, u), reputation, confidence) in cases {
        let mut body = fixture("virustotal", "ip_clean.json");
        body["data"]["attributes"]["last_analysis_stats"] =
            json!({"malicious": m, "suspicious": s, "harmless": h, "undetected": u, "timeout": 0});
        let rec = vt_lookup(
            "/api/v3/ip_addresses/192.0.2.10",
            respond_json(200, &body),
            IocKind::Ipv4,
            "192.0.2.10",
        )
        .await
        .unwrap();
        assert_eq!(
            (rec.reputation, rec.confidence),
            (reputation, confidence),
            "{m}/{s}/{h}/{u}: {}",
            rec.claim
        );
        assert!(!rec.claim.to_lowercase().contains("safe."), "{}", rec.claim);
    }
}

#[tokio::test]
async fn virustotal_404_is_never_submitted_not_safe() {
    let hash = "0000000000000000000000000000000000000000000000000000000000000000";
    let rec = vt_lookup(
        &format!("/api/v3/files/{hash}"),
        respond(404, "virustotal", "error_404_file.json"),
        IocKind::Sha256,
        hash,
    )
    .await
    .unwrap();
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::NoData, Confidence::Low)
    );
    assert!(rec.claim.contains(hash), "{}", rec.claim);
    assert!(
        rec.claim
            .contains("never submitted to VirusTotal (404 NotFoundError) — not evidence of safety"),
        "{}",
        rec.claim
    );
    assert_absence_not_safety(&rec);

    let url = "http://unknown.example.net/";
    let rec = vt_lookup(
        &format!("/api/v3/urls/{}", virustotal::url_id(url)),
        respond(404, "virustotal", "error_404_url.json"),
        IocKind::Url,
        url,
    )
    .await
    .unwrap();
    assert_eq!(rec.reputation, Reputation::NoData);
}

#[tokio::test]
async fn virustotal_404_without_not_found_error_is_an_error() {
    // A wrong base URL or a proxy: not a "never submitted" answer.
    let err = vt_lookup(
        "/api/v3/domains/example.org",
        ResponseTemplate::new(404).set_body_string("Not Found"),
        IocKind::Domain,
        "example.org",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::BadResponse {
                provider: "virustotal",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn virustotal_401_is_unauthorized_and_never_shows_the_key() {
    init();
    let server = vt_server(
        "/api/v3/domains/example.org",
        respond(401, "virustotal", "error_401_wrong_key.json"),
    )
    .await;
    let vt = VirusTotal::new(settings(&server, TIMEOUT)).unwrap();
    let err = vt
        .lookup(&ioc(IocKind::Domain, "example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Unauthorized {
                provider: "virustotal"
            }
        ),
        "{err:?}"
    );
    assert_no_key(&err, &vt);
}

#[tokio::test]
async fn virustotal_429_with_and_without_retry_after() {
    let err = vt_lookup(
        "/api/v3/domains/example.org",
        respond(429, "virustotal", "error_429_quota.json").insert_header("Retry-After", "60"),
        IocKind::Domain,
        "example.org",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::RateLimited {
                provider: "virustotal",
                retry_after_secs: Some(60)
            }
        ),
        "{err:?}"
    );
    // VirusTotal documents no rate-limit header: the wait is then unknown.
    let err = vt_lookup(
        "/api/v3/domains/example.org",
        respond(429, "virustotal", "error_429_too_many.json"),
        IocKind::Domain,
        "example.org",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::RateLimited {
                retry_after_secs: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn virustotal_5xx_is_unavailable() {
    let body = json!({"error": {"code": "TransientError", "message": "try again"}});
    let err = vt_lookup(
        "/api/v3/domains/example.org",
        respond_json(503, &body),
        IocKind::Domain,
        "example.org",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Unavailable {
                provider: "virustotal",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("TransientError"), "{err}");
}

#[tokio::test]
async fn virustotal_slow_answer_is_a_timeout() {
    init();
    let server = vt_server(
        "/api/v3/domains/example.org",
        respond(200, "virustotal", "domain_clean.json").set_delay(SLOW),
    )
    .await;
    let vt = VirusTotal::new(settings(&server, SHORT)).unwrap();
    let err = vt
        .lookup(&ioc(IocKind::Domain, "example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Timeout {
                provider: "virustotal"
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn virustotal_supports_hashes_ips_domains_urls_only() {
    init();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let vt = VirusTotal::new(settings(&server, TIMEOUT)).unwrap();
    for k in [
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::Ipv4,
        IocKind::Ipv6,
        IocKind::Domain,
        IocKind::Url,
    ] {
        assert!(vt.supports(k), "{k}");
    }
    assert!(!vt.supports(IocKind::Email));
    let err = vt
        .lookup(&ioc(IocKind::Email, "a@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(err, IntelError::Unsupported { .. }), "{err:?}");
}

// ---------------------------------------------------------------- urlscan

const BAD_DOMAIN: &str = "login-micr0soft.example.com";
const BAD_SCAN: &str = "2f6a1c3e-8b7d-4e21-9c55-0d6f3a9b1e42";
const PENDING_SCAN: &str = "9a0b4d6e-1f23-4c8a-b7e5-3d2c1b0a9f87";
const BENIGN_SCAN: &str = "c558b3b3-b274-4339-99ef-301eb043741f";

async fn urlscan_search(server: &MockServer, domain: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/api/v1/search/"))
        .and(query_param("q", format!("page.domain:{domain}").as_str()))
        .and(query_param("size", "20"))
        .and(header("api-key", KEY))
        .and(header("user-agent", user_agent().as_str()))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

async fn urlscan_result(server: &MockServer, uuid: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/result/{uuid}/").as_str()))
        .and(header("api-key", KEY))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn urlscan_malicious_verdict_from_the_result_api() {
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        BAD_DOMAIN,
        respond_with_headers(
            "urlscan",
            "search_malicious_domain.json",
            "search.headers.json",
        ),
    )
    .await;
    urlscan_result(
        &server,
        BAD_SCAN,
        respond(200, "urlscan", "result_malicious.json"),
    )
    .await;
    urlscan_result(
        &server,
        PENDING_SCAN,
        respond(404, "urlscan", "result_404_pending.json"),
    )
    .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p.lookup(&ioc(IocKind::Domain, BAD_DOMAIN)).await.unwrap();
    assert_eq!(rec.provider, "urlscan");
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::Malicious, Confidence::High)
    );
    for fact in [
        BAD_DOMAIN,
        "1 of 1 recent scans checked",
        "score 100",
        "categories: phishing",
        "brands: microsoft",
        "2 recent scans",
        "newest 2025-06-02T02:10:11.034Z",
        "1 still pending",
    ] {
        assert!(
            rec.claim.contains(fact),
            "{fact:?} missing from {}",
            rec.claim
        );
    }
    // Page titles are chosen by the site: raw only.
    assert!(!rec.claim.contains("Sign in"), "{}", rec.claim);
    assert_eq!(
        rec.raw["scans"][0]["page"]["title"],
        "Sign in to your account"
    );
    assert_eq!(rec.raw["scans"][0]["page"]["ip"], "203.0.113.77");
    assert_eq!(rec.raw["scans"][1]["verdict"], "pending");
    assert_eq!(rec.raw["total"], 2);
    assert!(rec.tags.contains(&"urlscan_malicious".to_owned()));
    assert!(rec.tags.contains(&"phishing".to_owned()));
}

#[tokio::test]
async fn urlscan_scans_without_malicious_verdict_are_known() {
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        "www.example.org",
        respond(200, "urlscan", "search_benign_domain.json"),
    )
    .await;
    urlscan_result(
        &server,
        BENIGN_SCAN,
        respond(200, "urlscan", "result_benign.json"),
    )
    .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap();
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::Known, Confidence::Low)
    );
    assert!(
        rec.claim.contains("1 recent scan of www.example.org"),
        "{}",
        rec.claim
    );
    assert!(rec.claim.contains("none malicious"), "{}", rec.claim);
    assert!(rec.claim.contains("absence is not safety"), "{}", rec.claim);
    assert_absence_not_safety(&rec);
}

#[tokio::test]
async fn urlscan_no_scans_is_no_data() {
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        "quiet.example.net",
        respond(200, "urlscan", "search_empty.json"),
    )
    .await;
    Mock::given(path_regex("^/api/v1/result/"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Domain, "quiet.example.net"))
        .await
        .unwrap();
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::NoData, Confidence::Medium)
    );
    assert_eq!(
        rec.claim,
        "urlscan has no scans of quiet.example.net — absence of scans is not evidence of safety."
    );
}

#[tokio::test]
async fn urlscan_fetches_the_three_newest_verdicts_only() {
    init();
    // Six scans listed oldest first: the provider must pick the three newest.
    let row = fixture("urlscan", "search_benign_domain.json")["results"][0].clone();
    let mut rows = Vec::new();
    for day in 1..=6 {
        let mut r = row.clone();
        let uuid = format!("0000000{day}-0000-4000-8000-000000000000");
        r["_id"] = json!(uuid);
        r["task"]["uuid"] = json!(uuid);
        r["task"]["time"] = json!(format!("2025-05-0{day}T10:00:00.000Z"));
        rows.push(r);
    }
    let body = json!({"results": rows, "total": 6, "took": 5, "has_more": false});
    let server = MockServer::start().await;
    urlscan_search(&server, "www.example.org", respond_json(200, &body)).await;
    for day in 4..=6 {
        urlscan_result(
            &server,
            &format!("0000000{day}-0000-4000-8000-000000000000"),
            respond(200, "urlscan", "result_benign.json"),
        )
        .await;
    }
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
    assert_eq!(rec.reputation, Reputation::Known);
    assert!(rec.claim.contains("6 recent scans"), "{}", rec.claim);
    assert!(
        rec.claim.contains("newest 2025-05-06T10:00:00.000Z"),
        "{}",
        rec.claim
    );
    assert!(
        rec.claim.contains("3 newest verdicts checked"),
        "{}",
        rec.claim
    );
    assert_eq!(rec.raw["scans"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn urlscan_a_scan_that_only_contacted_the_domain_is_not_its_verdict() {
    // A phishing kit hot-links cdn.example.com: its scan (page on evil.example) must not
    // make the CDN malicious, even when the search returns the row.
    init();
    let mut body = fixture("urlscan", "search_malicious_domain.json");
    for row in body["results"].as_array_mut().unwrap() {
        row["page"]["domain"] = json!("evil.example");
        row["task"]["domain"] = json!("evil.example");
    }
    let server = MockServer::start().await;
    urlscan_search(&server, "cdn.example.com", respond_json(200, &body)).await;
    Mock::given(path_regex("^/api/v1/result/"))
        .respond_with(respond(200, "urlscan", "result_malicious.json"))
        .mount(&server)
        .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Domain, "cdn.example.com"))
        .await
        .unwrap();
    assert_ne!(rec.reputation, Reputation::Malicious, "{}", rec.claim);
    assert_eq!(rec.reputation, Reputation::NoData, "{}", rec.claim);
    assert_eq!(rec.raw["total"], 0);

    // A scan of a subdomain is a scan of the domain.
    let mut body = fixture("urlscan", "search_malicious_domain.json");
    body["results"][0]["page"]["domain"] = json!("login.cdn.example.com");
    body["results"][0]["task"]["domain"] = json!("login.cdn.example.com");
    body["results"][1]["page"]["domain"] = json!("evil.example");
    body["results"][1]["task"]["domain"] = json!("notcdn.example.com");
    let server = MockServer::start().await;
    urlscan_search(&server, "cdn.example.com", respond_json(200, &body)).await;
    urlscan_result(
        &server,
        BAD_SCAN,
        respond(200, "urlscan", "result_malicious.json"),
    )
    .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p
        .lookup(&ioc(IocKind::Domain, "cdn.example.com"))
        .await
        .unwrap();
    assert_eq!(rec.reputation, Reputation::Malicious, "{}", rec.claim);
    assert_eq!(rec.raw["total"], 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn urlscan_only_pending_scans_are_no_data() {
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        BAD_DOMAIN,
        respond(200, "urlscan", "search_malicious_domain.json"),
    )
    .await;
    for uuid in [BAD_SCAN, PENDING_SCAN] {
        urlscan_result(
            &server,
            uuid,
            respond(404, "urlscan", "result_404_pending.json"),
        )
        .await;
    }
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let rec = p.lookup(&ioc(IocKind::Domain, BAD_DOMAIN)).await.unwrap();
    assert_eq!(
        (rec.reputation, rec.confidence),
        (Reputation::NoData, Confidence::Low),
        "{}",
        rec.claim
    );
    assert!(rec.claim.contains("2 still pending"), "{}", rec.claim);
    assert_eq!(rec.raw["verdicts_checked"], 0);
    assert_absence_not_safety(&rec);
}

#[tokio::test]
async fn urlscan_a_result_without_a_verdict_is_not_checked() {
    init();
    let mut result = fixture("urlscan", "result_benign.json");
    result["verdicts"] = json!({});
    let mut no_bool = fixture("urlscan", "result_benign.json");
    no_bool["verdicts"]["overall"]
        .as_object_mut()
        .unwrap()
        .remove("malicious");
    for result in [result, no_bool] {
        let server = MockServer::start().await;
        urlscan_search(
            &server,
            "www.example.org",
            respond(200, "urlscan", "search_benign_domain.json"),
        )
        .await;
        urlscan_result(&server, BENIGN_SCAN, respond_json(200, &result)).await;
        let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
        let rec = p
            .lookup(&ioc(IocKind::Domain, "www.example.org"))
            .await
            .unwrap();
        assert_eq!(
            (rec.reputation, rec.confidence),
            (Reputation::NoData, Confidence::Low),
            "{}",
            rec.claim
        );
        assert!(!rec.claim.contains("none malicious"), "{}", rec.claim);
        assert!(rec.claim.contains("1 without a verdict"), "{}", rec.claim);
        assert_eq!(rec.raw["verdicts_checked"], 0);
        assert_eq!(rec.raw["scans"][0]["verdict"], "no verdict");
    }
}

#[tokio::test]
async fn urlscan_401_json_or_text_is_unauthorized() {
    init();
    for response in [
        respond(401, "urlscan", "error_401.json"),
        ResponseTemplate::new(401).set_body_string("Invalid API key"),
    ] {
        let server = MockServer::start().await;
        urlscan_search(&server, "www.example.org", response).await;
        let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
        let err = p
            .lookup(&ioc(IocKind::Domain, "www.example.org"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                IntelError::Unauthorized {
                    provider: "urlscan"
                }
            ),
            "{err:?}"
        );
        assert_no_key(&err, &p);
    }
}

#[tokio::test]
async fn urlscan_429_reads_the_rate_limit_reset() {
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        "www.example.org",
        respond_with_headers("urlscan", "error_429.json", "error_429.headers.json"),
    )
    .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::RateLimited {
                provider: "urlscan",
                retry_after_secs: Some(17)
            }
        ),
        "{err:?}"
    );

    // Retry-After, when present, wins over urlscan's own headers.
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        "www.example.org",
        respond_with_headers("urlscan", "error_429.json", "error_429.headers.json")
            .insert_header("Retry-After", "42"),
    )
    .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::RateLimited {
                retry_after_secs: Some(42),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn urlscan_a_failed_verdict_fetch_fails_the_lookup() {
    // No partial answer: an unread verdict could be the malicious one.
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        "www.example.org",
        respond(200, "urlscan", "search_benign_domain.json"),
    )
    .await;
    urlscan_result(
        &server,
        BENIGN_SCAN,
        respond_with_headers("urlscan", "error_429.json", "error_429.headers.json"),
    )
    .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap_err();
    assert!(matches!(err, IntelError::RateLimited { .. }), "{err:?}");
}

#[tokio::test]
async fn urlscan_5xx_is_unavailable() {
    init();
    let server = MockServer::start().await;
    urlscan_search(&server, "www.example.org", ResponseTemplate::new(502)).await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Unavailable {
                provider: "urlscan",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn urlscan_slow_answer_is_a_timeout() {
    init();
    let server = MockServer::start().await;
    urlscan_search(
        &server,
        "www.example.org",
        respond(200, "urlscan", "search_empty.json").set_delay(SLOW),
    )
    .await;
    let p = Urlscan::new(settings(&server, SHORT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Domain, "www.example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IntelError::Timeout {
                provider: "urlscan"
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn urlscan_looks_up_domains_only() {
    init();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let p = Urlscan::new(settings(&server, TIMEOUT)).unwrap();
    assert!(p.supports(IocKind::Domain));
    assert!(!p.supports(IocKind::Url) && !p.supports(IocKind::Ipv4));
    let err = p
        .lookup(&ioc(IocKind::Url, "https://www.example.org/"))
        .await
        .unwrap_err();
    assert!(matches!(err, IntelError::Unsupported { .. }), "{err:?}");
}

// ---------------------------------------------------------------- keys

#[tokio::test]
async fn no_provider_shows_its_key_in_debug() {
    init();
    let server = MockServer::start().await;
    let debugs = [
        format!("{:?}", AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap()),
        format!("{:?}", VirusTotal::new(settings(&server, TIMEOUT)).unwrap()),
        format!("{:?}", Urlscan::new(settings(&server, TIMEOUT)).unwrap()),
    ];
    for d in debugs {
        assert!(!d.contains(KEY), "{d}");
        assert!(d.contains("redacted"), "{d}");
    }
}

#[tokio::test]
async fn an_upstream_error_echoing_the_key_is_redacted() {
    init();
    let body = json!({"errors": [{"detail": format!("key {KEY} is not valid for this endpoint"), "status": 400}]});
    let server = abuse_server("185.220.101.47", respond_json(400, &body)).await;
    let p = AbuseIpDb::new(settings(&server, TIMEOUT)).unwrap();
    let err = p
        .lookup(&ioc(IocKind::Ipv4, "185.220.101.47"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("[redacted]"), "{err}");
    assert_no_key(&err, &p);
}
