//! `GET /metrics` on a fresh process: every family the README lists is there before its
//! first event.

use std::time::Duration;

use soc_fleet::metrics::Metrics;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_fresh_metrics_endpoint_lists_every_family() {
    let metrics = Metrics::new().unwrap();
    // As the fleet registers soc-intel's counters.
    let _intel = metrics.register_intel().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(soc_fleet::metrics::serve(
        listener,
        metrics.clone(),
        shutdown.clone(),
    ));
    soc_intel::tls::install_crypto_provider();
    let r = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    // The families the README names, with their series at zero where the labels are a
    // closed set.
    for line in [
        "# TYPE soc_ingest_alerts_total counter",
        r#"soc_ingest_alerts_total{outcome="accepted"} 0"#,
        "# TYPE soc_ingest_requests_total counter",
        "# TYPE soc_worker_investigations_total counter",
        r#"soc_worker_investigations_total{tier="0",verdict="true_positive"} 0"#,
        "# TYPE soc_worker_failures_total counter",
        r#"soc_worker_failures_total{class="transient"} 0"#,
        r#"soc_worker_failures_total{class="bad_input"} 0"#,
        r#"soc_worker_failures_total{class="permanent"} 0"#,
        "# TYPE soc_dlq_messages_total counter",
        r#"soc_dlq_messages_total{reason="bad_input"} 0"#,
        r#"soc_dlq_messages_total{reason="max_deliveries"} 0"#,
        r#"soc_dlq_messages_total{reason="failed"} 0"#,
        "# TYPE soc_jetstream_consumer_pending gauge",
        "# TYPE soc_intel_lookups_total counter",
        "# TYPE soc_llm_tokens_total counter",
        "# TYPE soc_llm_cost_usd_total counter",
        "# TYPE soc_store_errors_total counter",
        r#"soc_store_errors_total{op="get"} 0"#,
        r#"soc_store_errors_total{op="put"} 0"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the metrics server stops on shutdown")
        .unwrap()
        .unwrap();
}
