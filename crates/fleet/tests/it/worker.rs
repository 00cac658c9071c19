//! The worker: exactly one investigation per alert, dead letters, redelivery, outages.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream::consumer;
use futures::StreamExt;
use soc_fleet::ingest::Accepted;

use soc_core::config::Secret;
use soc_investigate::Pipeline;
use soc_investigate::tiers::{LlmTiers, Mode};
use soc_llm::LlmConfig;
use soc_llm::config::AnthropicConfig;
use soc_testkit::llm_mock::{Flavor, MockLlm, OnExhausted, Turn};

use crate::helpers::{alerts, ndjson, spawn_app, spawn_app_with, wait_until};

#[tokio::test]
async fn a_thousand_alerts_give_exactly_a_thousand_investigations() {
    let app = spawn_app().await;
    let batch = alerts(1000, "k");
    for chunk in batch.chunks(250) {
        let r = app.post(ndjson(chunk), "application/x-ndjson").await;
        assert_eq!(r.status(), 202);
    }
    let n = app
        .wait_for_investigations(1000, Duration::from_secs(120))
        .await;
    assert_eq!(n, 1000);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let invs = app.investigations().await;
    assert_eq!(invs.len(), 1000, "no investigation published twice");
    let ids: HashSet<&str> = invs.iter().map(|i| i.alert_id.as_str()).collect();
    assert_eq!(ids.len(), 1000, "one per alert");
    assert!(
        invs.iter()
            .any(|i| i.attack_techniques.contains(&"T1110".to_owned()))
    );
    // Every alert was acknowledged: the work queue is empty.
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 0);
    assert_eq!(
        app.metrics
            .investigations
            .with_label_values(&["true_positive", "0"])
            .get()
            + app
                .metrics
                .investigations
                .with_label_values(&["inconclusive", "0"])
                .get(),
        1000
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_alerts_are_dead_lettered_with_their_error() {
    let app = spawn_app().await;
    app.js
        .publish("soc.alerts.direct", "{not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    app.js
        .publish("soc.alerts.direct", r#"{"alert_id": "no-ts", "source": "x", "severity": "low", "title": "t", "raw_log": {}}"#.into())
        .await
        .unwrap()
        .await
        .unwrap();
    for _ in 0..100 {
        if app.stream_count(&app.names.dlq_stream).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = app.stream_payloads(&app.names.dlq_stream).await;
    assert_eq!(dead.len(), 2);
    let errors: Vec<String> = dead
        .iter()
        .map(|(h, _)| h.get("Soc-Error").unwrap().as_str().to_owned())
        .collect();
    assert!(
        errors[0].contains("bad input") && errors[0].contains("malformed JSON"),
        "{errors:?}"
    );
    assert!(errors[1].contains("`timestamp`"), "{errors:?}");
    assert_eq!(&dead[0].1[..], b"{not json");
    assert_eq!(
        app.stream_count(&app.names.alerts_stream).await,
        0,
        "the originals were terminated"
    );
    assert_eq!(app.stream_count(&app.names.investigations_stream).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_alert_already_investigated_is_republished_not_investigated_again() {
    let app = spawn_app().await;
    let a = alerts(1, "again")[0].clone();
    app.post(serde_json::to_string(&a).unwrap(), "application/json")
        .await;
    assert_eq!(
        app.wait_for_investigations(1, Duration::from_secs(30))
            .await,
        1
    );
    let first = app.investigations().await[0].investigation_id.clone();
    let stored = app
        .worker_deps()
        .store
        .investigation_by_id(&first)
        .await
        .expect("found by its own id");
    assert!(stored.contains(&first));
    // The same alert arrives again past the ingest dedup (a replay straight into NATS).
    app.replay(&a).await;
    wait_until(Duration::from_secs(5), || {
        app.metrics.republished.get() == 1
    })
    .await;
    assert_eq!(app.metrics.republished.get(), 1, "answered from the store");
    let invs = app.investigations().await;
    assert_eq!(
        invs.len(),
        1,
        "the output stream deduplicated the republication"
    );
    assert_eq!(invs[0].investigation_id, first);
    app.stop().await;
}

#[tokio::test]
async fn an_investigation_the_output_stream_deduplicates_is_not_counted_twice() {
    let app = spawn_app().await;
    let a = alerts(1, "counted-once")[0].clone();
    app.post(serde_json::to_string(&a).unwrap(), "application/json")
        .await;
    assert_eq!(
        app.wait_for_investigations(1, Duration::from_secs(30))
            .await,
        1
    );
    let counted = |app: &crate::helpers::TestApp| -> u64 {
        use prometheus::core::Collector;
        app.metrics
            .investigations
            .collect()
            .iter()
            .flat_map(|f| f.get_metric())
            .map(|m| m.get_counter().get_value() as u64)
            .sum()
    };
    // The investigation is on the output stream before the worker has its publish
    // acknowledgement, which is when it counts it.
    wait_until(Duration::from_secs(10), || counted(&app) == 1).await;
    assert_eq!(counted(&app), 1);
    // Redis loses everything (as when a store write failed): the replayed alert is
    // investigated again, and its publish is deduplicated by the output stream.
    let client = redis::Client::open(app.cfg.redis.url.expose()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("FLUSHDB")
        .query_async::<()>(&mut c)
        .await
        .unwrap();
    app.replay(&a).await;
    wait_until(Duration::from_secs(10), || {
        app.metrics.investigation_duration.get_sample_count() == 2
    })
    .await;
    assert_eq!(
        app.metrics.investigation_duration.get_sample_count(),
        2,
        "the replay was handled"
    );
    assert_eq!(app.metrics.republished.get(), 0, "not from the store");
    assert_eq!(app.investigations().await.len(), 1, "deduplicated");
    assert_eq!(counted(&app), 1, "the deduplicated publish is not counted");
    app.stop().await;
}

#[tokio::test]
async fn a_publish_that_keeps_failing_ends_in_the_dead_letter_stream() {
    let app = spawn_app().await;
    // The output stream disappears: every publish fails, every delivery is retried.
    app.js
        .delete_stream(&app.names.investigations_stream)
        .await
        .unwrap();
    app.post(
        serde_json::to_string(&alerts(1, "nowhere")[0]).unwrap(),
        "application/json",
    )
    .await;
    for _ in 0..300 {
        if app.stream_count(&app.names.dlq_stream).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = app.stream_payloads(&app.names.dlq_stream).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0.get("Soc-Deliveries").unwrap().as_str(), "3");
    assert!(
        dead[0]
            .0
            .get("Soc-Error")
            .unwrap()
            .as_str()
            .contains("gave up after 3 deliveries")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_dead_letter_that_cannot_be_stored_on_the_last_delivery_keeps_its_reason() {
    let app = spawn_app().await;
    // Every publish fails, the dead-letter one too, until the dead-letter stream is back.
    app.js
        .delete_stream(&app.names.investigations_stream)
        .await
        .unwrap();
    app.js.delete_stream(&app.names.dlq_stream).await.unwrap();
    app.post(
        serde_json::to_string(&alerts(1, "unstored")[0]).unwrap(),
        "application/json",
    )
    .await;
    let transient = || app.metrics.failures.with_label_values(&["transient"]).get();
    // The third (last allowed) delivery fails, and so does its dead letter: the alert is
    // naked for 5 s and comes back as the consumer's extra delivery.
    wait_until(Duration::from_secs(15), || transient() == 3).await;
    assert_eq!(transient(), 3);
    let [_, _, dlq] = soc_fleet::jetstream::stream_configs(&app.names, &app.cfg);
    app.js.create_stream(dlq).await.unwrap();
    for _ in 0..300 {
        if app.stream_count(&app.names.dlq_stream).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = app.stream_payloads(&app.names.dlq_stream).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0.get("Soc-Deliveries").unwrap().as_str(), "4");
    let error = dead[0].0.get("Soc-Error").unwrap().as_str();
    assert!(
        error.contains("exhausted 3 deliveries") && error.contains("gave up after 3 deliveries"),
        "the dead letter names the last delivery's failure: {error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_alert_whose_worker_dies_every_time_reaches_the_dead_letter_stream_even_with_no_worker_listening()
 {
    let mut app = spawn_app_with(&[], false).await;
    app.post(
        serde_json::to_string(&alerts(1, "poison")[0]).unwrap(),
        "application/json",
    )
    .await;
    // A "worker" that takes the alert and dies without acking, max_deliver (3) times
    // (each dropped delivery comes back after ack_wait).
    take_and_drop(&app, 3).await;
    // Past the third delivery's ack wait, when the server gives up on an alert that has
    // only `max_deliver` deliveries and says so in an advisory no worker is there to hear.
    tokio::time::sleep(app.cfg.worker.ack_wait + Duration::from_secs(2)).await;
    // A worker now starts: the consumer's extra delivery reaches it, and it dead-letters
    // the alert without touching it.
    app.spawn_worker();
    for _ in 0..200 {
        if app.stream_count(&app.names.dlq_stream).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = app.stream_payloads(&app.names.dlq_stream).await;
    assert_eq!(
        dead.len(),
        1,
        "dead-lettered by the worker that started late"
    );
    assert!(
        dead[0]
            .0
            .get("Soc-Error")
            .unwrap()
            .as_str()
            .contains("exhausted 3 deliveries")
    );
    assert_eq!(
        app.stream_count(&app.names.alerts_stream).await,
        0,
        "removed from the work queue"
    );
    app.stop().await;
}

#[tokio::test]
async fn nats_restarted_mid_run_loses_no_accepted_alert() {
    let mut app = spawn_app().await;
    let mut accepted: HashSet<String> = HashSet::new();
    let batch = alerts(600, "rs");
    for (i, chunk) in batch.chunks(50).enumerate() {
        if i == 6 {
            app.nats.stop();
            tokio::time::sleep(Duration::from_millis(200)).await;
            let r = app.post(ndjson(chunk), "application/x-ndjson").await;
            assert_eq!(r.status(), 503, "ingest refuses while NATS is down");
            app.nats.restart().await.unwrap();
        }
        // Retry each batch until accepted (what a forwarder does on 503).
        let mut ok = false;
        for _ in 0..100 {
            let r = app.post(ndjson(chunk), "application/x-ndjson").await;
            if r.status() == 202 {
                let a: Accepted = r.json().await.unwrap();
                accepted.extend(a.alerts.into_iter().map(|x| x.alert_id));
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ok, "batch {i} never accepted");
    }
    assert_eq!(accepted.len(), 600);
    let n = app
        .wait_for_investigations(600, Duration::from_secs(120))
        .await;
    assert_eq!(
        n, 600,
        "every accepted alert is investigated after the restart"
    );
    let invs = app.investigations().await;
    let ids: HashSet<String> = invs.iter().map(|i| i.alert_id.clone()).collect();
    assert_eq!(ids, accepted);
    assert_eq!(invs.len(), 600, "none twice");
    app.stop().await;
}

/// Takes `n` deliveries of the one alert in the stream and drops them without an ack, as
/// a worker that dies on it would.
async fn take_and_drop(app: &crate::helpers::TestApp, n: usize) {
    let stream = app.js.get_stream(&app.names.alerts_stream).await.unwrap();
    let c: consumer::PullConsumer = stream.get_consumer(&app.names.consumer).await.unwrap();
    let mut taken = 0;
    for _ in 0..90 {
        let mut batch = c
            .batch()
            .max_messages(1)
            .expires(Duration::from_secs(1))
            .messages()
            .await
            .unwrap();
        if let Some(Ok(_m)) = batch.next().await {
            taken += 1;
            if taken == n {
                return;
            }
        }
    }
    panic!("took only {taken} of {n} deliveries");
}

#[tokio::test]
async fn when_even_the_extra_delivery_dies_the_advisory_dead_letters_the_alert() {
    let mut app = spawn_app_with(&[], false).await;
    app.post(
        serde_json::to_string(&alerts(1, "poison2")[0]).unwrap(),
        "application/json",
    )
    .await;
    // The "worker" dies on every delivery, the extra one included (max_deliver 3, so 4).
    take_and_drop(&app, 4).await;
    // A real worker starts while the last delivery's ack wait runs out; the server has no
    // delivery left to make and says so in the advisory the worker listens for.
    app.spawn_worker();
    for _ in 0..200 {
        if app.stream_count(&app.names.dlq_stream).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = app.stream_payloads(&app.names.dlq_stream).await;
    assert_eq!(dead.len(), 1, "dead-lettered through the advisory");
    assert!(
        dead[0]
            .0
            .get("Soc-Error")
            .unwrap()
            .as_str()
            .contains("exhausted 4 deliveries")
    );
    assert_eq!(app.stream_count(&app.names.alerts_stream).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn alerts_queued_behind_slow_investigations_are_not_delivered_again() {
    // One permit, a model that answers after 7 s, ack_wait 5 s: the second alert waits in
    // the worker's queue longer than ack_wait while the first is investigated.
    let answer = serde_json::json!({"verdict": "inconclusive", "confidence": "low",
        "hypothesis": "Scripted answer.", "attack_techniques": [],
        "escalation_recommended": true, "escalation_draft": null});
    let llm = MockLlm::builder(Flavor::Anthropic)
        .api_key("sk-test-queue")
        .script(vec![
            Turn::final_json(&answer).delayed(Duration::from_secs(7)),
        ])
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    let mut app = spawn_app_with(&[("SOC_WORKER__CONCURRENCY", "1")], false).await;
    let base_url = llm.base_url();
    app.spawn_history_workers(1, move |_history| {
        let mut cfg = LlmConfig::default();
        let mut a = AnthropicConfig::new(Secret::new("sk-test-queue".to_owned()));
        a.base_url = base_url.clone();
        cfg.anthropic = Some(a);
        let mut tiers = LlmTiers::new(soc_llm::build_tier_clients(&cfg).unwrap());
        tiers.mode = Mode::Pipeline;
        Pipeline::embedded_default().with_llm(tiers)
    });
    let batch = alerts(2, "slow");
    let r = app.post(ndjson(&batch), "application/x-ndjson").await;
    assert_eq!(r.status(), 202);
    let n = app
        .wait_for_investigations(2, Duration::from_secs(60))
        .await;
    assert_eq!(n, 2);
    // Long enough for a redelivery of the second alert to be fetched and answered.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        app.metrics.republished.get(),
        0,
        "no alert came back while it waited in the queue"
    );
    assert_eq!(llm.calls(), 2, "each alert investigated once");
    llm.assert_no_violations();
    app.stop().await;
}
