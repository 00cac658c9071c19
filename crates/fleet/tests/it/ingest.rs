//! The ingest API: accepted shapes, every error status, auth, readiness, NATS outages.

use std::path::PathBuf;

use serde_json::Value;
use soc_fleet::ingest::Accepted;

use crate::helpers::{alerts, ndjson, spawn_app_with};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/adapters")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[tokio::test]
async fn one_alert_is_queued_and_a_retry_is_a_duplicate() {
    let app = spawn_app_with(&[], false).await;
    let body = serde_json::to_string(&alerts(1, "one")[0]).unwrap();
    let r = app.post(body.clone(), "application/json").await;
    assert_eq!(r.status(), 202);
    let a: Accepted = r.json().await.unwrap();
    assert_eq!((a.accepted, a.duplicates), (1, 0));
    assert_eq!(a.alerts[0].key, "siem:one-00000");
    assert_eq!(a.alerts[0].fingerprint.len(), 64);
    // The fingerprint the API answers with is the one investigations carry and dedup uses.
    let alert = soc_core::Alert::from_json(&body, &soc_core::alert::Limits::default()).unwrap();
    assert_eq!(a.alerts[0].fingerprint, soc_history::fingerprint(&alert));
    let r = app.post(body, "application/json").await;
    let a: Accepted = r.json().await.unwrap();
    assert_eq!((a.accepted, a.duplicates), (0, 1));
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 1);
    // The queued message carries the dedup id and a trace context.
    let msgs = app.stream_payloads(&app.names.alerts_stream).await;
    let h = &msgs[0].0;
    assert_eq!(h.get("Nats-Msg-Id").unwrap().as_str(), "siem:one-00000");
    assert!(h.get("traceparent").unwrap().as_str().starts_with("00-"));
    app.stop().await;
}

#[tokio::test]
async fn ndjson_and_arrays_are_batches() {
    let app = spawn_app_with(&[], false).await;
    let batch = alerts(50, "nd");
    let r = app.post(ndjson(&batch), "application/x-ndjson").await;
    assert_eq!(r.status(), 202);
    let a: Accepted = r.json().await.unwrap();
    assert_eq!(a.accepted, 50);
    let arr = serde_json::to_string(&alerts(60, "arr")).unwrap();
    let a: Accepted = app
        .post(arr, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a.accepted, 60);
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 110);
    app.stop().await;
}

#[tokio::test]
async fn adapters_are_detected_or_chosen() {
    let app = spawn_app_with(&[], false).await;
    for (file, format) in [
        ("wazuh_alert_sshd_bruteforce.json", None),
        ("splunk_webhook_malicious.json", Some("splunk-webhook")),
    ] {
        let url = match format {
            Some(f) => format!("{}?format={f}", app.url("/v1/alerts")),
            None => app.url("/v1/alerts"),
        };
        let r = app
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(fixture(file))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{file}: {}", r.text().await.unwrap());
    }
    let r = app
        .http
        .post(format!("{}?format=xml", app.url("/v1/alerts")))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.stop().await;
}

async fn error_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn errors_name_the_problem_and_queue_nothing() {
    let app = spawn_app_with(&[("SOC_INGEST__MAX_BATCH", "5")], false).await;
    // One bad alert in a batch: 400, each problem named, nothing queued.
    let mut batch = alerts(3, "bad");
    batch[1].as_object_mut().unwrap().remove("timestamp");
    let (s, e) = error_of(app.post(ndjson(&batch), "application/x-ndjson").await).await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "invalid_alert");
    assert_eq!(e["error"]["details"][0]["index"], 1);
    assert!(
        e["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("timestamp")
    );
    // Truncated JSON.
    let (s, e) = error_of(app.post("{\"alert_id\": ", "application/json").await).await;
    assert_eq!(s, 400, "{e}");
    // Over the batch limit.
    let (s, _) = error_of(
        app.post(ndjson(&alerts(6, "big")), "application/x-ndjson")
            .await,
    )
    .await;
    assert_eq!(s, 413);
    // One alert over 1 MiB.
    let mut a = alerts(1, "huge")[0].clone();
    a["raw_log"]["pad"] = "x".repeat(2 << 20).into();
    let (s, e) = error_of(
        app.post(serde_json::to_string(&a).unwrap(), "application/json")
            .await,
    )
    .await;
    assert_eq!(s, 413, "{e}");
    // Not JSON.
    let (s, e) = error_of(app.post("<alert/>", "application/xml").await).await;
    assert_eq!(s, 415);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/xml")
    );
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_configured_token_is_required() {
    let token = "s3cret-token-0123456789";
    let app = spawn_app_with(&[("SOC_INGEST_TOKEN", token)], false).await;
    let body = serde_json::to_string(&alerts(1, "auth")[0]).unwrap();
    let r = app.post(body.clone(), "application/json").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = app
        .http
        .post(app.url("/v1/alerts"))
        .bearer_auth("wrong-token-0123456789")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .post(app.url("/v1/alerts"))
        .bearer_auth(token)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = app
        .http
        .post(format!("{}?token={token}", app.url("/v1/alerts")))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // Health endpoints need no token.
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn nats_down_is_503_with_retry_after_and_recovers() {
    let mut app = spawn_app_with(&[], false).await;
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.nats.stop();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body = serde_json::to_string(&alerts(1, "down")[0]).unwrap();
    let r = app.post(body.clone(), "application/json").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let (_, e) = error_of(r).await;
    assert_eq!(e["error"]["code"], "unavailable");
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.nats.restart().await.unwrap();
    let mut status = 0;
    for _ in 0..100 {
        status = app
            .post(body.clone(), "application/json")
            .await
            .status()
            .as_u16();
        if status == 202 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 202);
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_bare_scalar_is_named_by_its_json_type() {
    let app = spawn_app_with(&[], false).await;
    for (body, kind) in [
        ("42", "a number"),
        ("12345", "a number"),
        ("\"hello\"", "a string"),
        ("true", "true/false"),
        ("null", "null"),
        ("[{\"a\": 1}, 7]", "a number"),
    ] {
        let (s, e) = error_of(app.post(body, "application/json").await).await;
        assert_eq!(s, 400, "{body}: {e}");
        assert_eq!(e["error"]["code"], "invalid_alert", "{body}: {e}");
        let message = e["error"]["details"]
            .as_array()
            .and_then(|d| d.last())
            .and_then(|d| d["message"].as_str())
            .unwrap_or_default();
        assert!(
            message.starts_with("expected a JSON object for an alert")
                && message.ends_with(&format!("found {kind}")),
            "{body}: {e}"
        );
    }
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_body_without_alerts_is_an_empty_body() {
    let app = spawn_app_with(&[], false).await;
    for (body, content_type) in [
        ("", "application/json"),
        ("[]", "application/json"),
        (" [ \n ]\n", "application/json"),
        ("\n\n  \n", "application/x-ndjson"),
        ("\r\n\r\n", "application/x-ndjson"),
    ] {
        let (s, e) = error_of(app.post(body, content_type).await).await;
        assert_eq!(s, 400, "{body:?}: {e}");
        assert_eq!(e["error"]["code"], "invalid_body", "{body:?}: {e}");
        assert_eq!(
            e["error"]["message"], "empty input: no alert found",
            "{body:?}: {e}"
        );
        assert!(e["error"].get("details").is_none(), "{body:?}: {e}");
    }
    // Refused whole, before any alert could be counted.
    let counted = |outcome: &str| {
        app.metrics
            .ingest_alerts
            .with_label_values(&[outcome])
            .get()
    };
    assert_eq!(counted("rejected_request"), 5);
    assert_eq!(counted("rejected"), 0);
    app.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_errors() {
    let app = spawn_app_with(&[], false).await;
    // A path the API serves, with a method it is not served for: 405, Allow kept.
    let r = app.http.get(app.url("/v1/alerts")).send().await.unwrap();
    assert_eq!(r.headers()["allow"], "POST");
    assert_eq!(r.headers()["content-type"], "application/json");
    let (s, e) = error_of(r).await;
    assert_eq!(s, 405);
    assert_eq!(e["error"]["code"], "method_not_allowed");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("GET") && message.contains("/v1/alerts"),
        "{e}"
    );
    let r = app
        .http
        .delete(app.url("/v1/investigations/inv-1/ruling"))
        .send()
        .await
        .unwrap();
    let allow = r.headers()["allow"].to_str().unwrap().to_owned();
    let (s, e) = error_of(r).await;
    assert_eq!(s, 405, "{e}");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(e["error"]["code"], "method_not_allowed");
    // A path the API does not serve: 404 naming it, never the query string (a token).
    let r = app
        .http
        .post(app.url("/v1/alert?token=s3cret-token"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let (s, e) = error_of(r).await;
    assert_eq!(s, 404);
    assert_eq!(e["error"]["code"], "not_found");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("POST") && message.contains("`/v1/alert`"),
        "{e}"
    );
    assert!(!message.contains("s3cret"), "{e}");
    let (s, e) = error_of(app.http.get(app.url("/")).send().await.unwrap()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")));
    app.stop().await;
}
