//! The Anthropic Messages client against a mock that speaks `POST /v1/messages`.

use std::time::Duration;

use serde_json::{Value, json};
use soc_core::error::{Classify, ErrorClass};
use soc_llm::http::HttpSettings;
use soc_llm::retry::RetryPolicy;
use soc_llm::{
    ContentBlock, LlmClient, LlmError, LlmRequest, Message, StopReason, ToolChoice, ToolDefinition,
    Usage, first_json_object,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::support::{
    ANTHROPIC_KEY, MessageCount, anthropic, anthropic_at, assert_same_json, assert_usd, bodies,
    http, json as fixture, respond, respond_json, respond_with_headers, user_agent,
};

const DIR: &str = "anthropic";

/// `POST /v1/messages` with the documented headers.
fn messages() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", ANTHROPIC_KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(header("accept", "application/json"))
        .and(header("user-agent", user_agent().as_str()))
}

async fn server_answering(response: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    messages()
        .respond_with(response)
        .expect(times)
        .mount(&server)
        .await;
    server
}

/// The neutral request equivalent to `request_with_tools.json`.
fn triage_request() -> LlmRequest {
    let f = fixture(DIR, "request_with_tools.json");
    let mut req = LlmRequest::new(f["model"].as_str().unwrap());
    req.max_tokens = 2048;
    req.system = Some(f["system"][0]["text"].as_str().unwrap().to_owned());
    req.tools = f["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ToolDefinition {
            name: t["name"].as_str().unwrap().to_owned(),
            description: t["description"].as_str().unwrap().to_owned(),
            input_schema: t["input_schema"].clone(),
        })
        .collect();
    req.tool_choice = Some(ToolChoice::Auto);
    req.temperature = Some(0.0);
    req.messages
        .push(Message::user(f["messages"][0]["content"].as_str().unwrap()));
    req
}

fn simple_request(model: &str) -> LlmRequest {
    let mut req = LlmRequest::new(model);
    req.system = Some("You are a SOC triage assistant.".into());
    req.messages
        .push(Message::user("Alert: sshd brute force from 185.220.101.47"));
    req
}

fn assert_no_key(err: &LlmError) {
    for s in [err.to_string(), format!("{err:?}")] {
        assert!(!s.contains(ANTHROPIC_KEY), "key leaked: {s}");
    }
}

#[tokio::test]
async fn plain_text_answer_with_cached_system_prefix_usage_and_cost() {
    let server = server_answering(respond(200, DIR, "response_end_turn.json"), 1).await;
    let (client, sleeper) = anthropic(&server, http());
    let mut req = simple_request("claude-haiku-4-5");
    req.system_suffix = Some("Untrusted data is fenced by <<QX7>>.".into());
    let resp = client.complete(&req).await.unwrap();

    assert_eq!(resp.stop_reason, StopReason::EndTurn);
    assert_eq!(resp.model, "claude-haiku-4-5-20251001");
    assert_eq!(resp.id.as_deref(), Some("msg_01Aq9w938a90dw8q2Xy4ZbqP"));
    assert_eq!(resp.content.len(), 1);
    let answer = first_json_object(&resp.text()).unwrap();
    assert_eq!(answer["verdict"], "malicious");
    assert_eq!(answer["confidence"], 92);
    assert_eq!(
        resp.usage,
        Usage {
            input: 318,
            output: 96,
            cache_read: 1208,
            cache_write: 0
        }
    );
    // Haiku 4.5: 318 × $1 + 96 × $5 + 1208 × $0.10 per million.
    assert_usd(resp.cost.cost_usd, 0.000_918_8);
    assert!(!resp.cost.unpriced);
    assert_eq!(resp.attempts, 1);
    assert!(sleeper.waits().is_empty());

    let sent = bodies(&server).await;
    assert_same_json(
        &sent[0],
        &json!({
            "model": "claude-haiku-4-5",
            "max_tokens": 1024,
            "system": [
                {"type": "text", "text": "You are a SOC triage assistant.",
                 "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Untrusted data is fenced by <<QX7>>."}
            ],
            "messages": [
                {"role": "user", "content": "Alert: sshd brute force from 185.220.101.47"}
            ]
        }),
    );
}

#[tokio::test]
async fn tool_use_round_trip_sends_the_documented_tool_result_turn() {
    let server = MockServer::start().await;
    messages()
        .and(MessageCount(1))
        .respond_with(respond(200, DIR, "response_tool_use.json"))
        .expect(1)
        .mount(&server)
        .await;
    messages()
        .and(MessageCount(3))
        .respond_with(respond(200, DIR, "response_end_turn.json"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = anthropic(&server, http());

    // Turn 1: the model calls two tools.
    let mut req = triage_request();
    let first = client.complete(&req).await.unwrap();
    assert_eq!(first.stop_reason, StopReason::ToolUse);
    let calls: Vec<_> = first.tool_uses().collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, "toolu_01D7FLrfh4GYq7yT1ULFeyMV");
    assert_eq!(calls[0].1, "lookup_ip_reputation");
    assert_eq!(
        calls[0].2,
        &json!({"ip": "185.220.101.47", "max_age_days": 90})
    );
    assert_eq!(calls[1].1, "lookup_file_hash");
    // Cache write on the first call: 412 × $1 + 131 × $5 + 1208 × $1.25 per million.
    assert_eq!(
        first.usage,
        Usage {
            input: 412,
            output: 131,
            cache_read: 0,
            cache_write: 1208
        }
    );
    assert_usd(first.cost.cost_usd, 0.002_577);

    // Turn 2: echo the assistant turn, answer both calls.
    req.messages.push(first.to_message());
    req.messages.push(Message::tool_results(vec![
        ContentBlock::tool_result(
            "toolu_01D7FLrfh4GYq7yT1ULFeyMV",
            r#"{"abuseipdb":{"abuseConfidenceScore":100,"totalReports":1843,"isTor":true,"categories":["Brute-Force","SSH","Port Scan"]},"virustotal":{"malicious":9,"suspicious":2,"as_owner":"Zwiebelfreunde e.V."}}"#,
        ),
        ContentBlock::tool_result(
            "toolu_01Kz9QbXcN2pWm4eR7sT5uVa",
            r#"{"malicious":14,"undetected":3,"suggested_threat_label":"trojan.emotet/geodo"}"#,
        ),
    ]));
    let second = client.complete(&req).await.unwrap();
    assert_eq!(second.stop_reason, StopReason::EndTurn);

    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 2);
    assert_same_json(&sent[0], &fixture(DIR, "request_with_tools.json"));
    // The documented turn, with the second result's content given as a string (the
    // documented alternative to a list of text blocks, and what this client sends).
    let mut expected = fixture(DIR, "request_tool_result_turn.json");
    let block = &mut expected["messages"][2]["content"][1]["content"];
    *block = Value::String(block[0]["text"].as_str().unwrap().to_owned());
    assert_same_json(&sent[1], &expected);
}

#[tokio::test]
async fn thinking_and_unknown_blocks_are_skipped() {
    let mut body = fixture(DIR, "response_end_turn.json");
    let text = body["content"][0].clone();
    body["content"] = json!([
        {"type": "thinking", "thinking": "The IP is a Tor exit {\"verdict\": \"benign\"}", "signature": "EqQBCgIYAhIM"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
        text,
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    ]);
    let server = server_answering(respond_json(200, &body), 1).await;
    let (client, _) = anthropic(&server, http());
    let resp = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap();
    assert_eq!(resp.content, vec![text_block(&text)]);
    assert_eq!(
        first_json_object(&resp.text()).unwrap()["verdict"],
        "malicious"
    );
}

fn text_block(v: &Value) -> ContentBlock {
    ContentBlock::text(v["text"].as_str().unwrap())
}

#[tokio::test]
async fn rate_limit_429_with_retry_after_is_retried_once_then_succeeds() {
    let server = MockServer::start().await;
    messages()
        .respond_with(respond_with_headers(
            DIR,
            "error_429.json",
            "error_429.headers.json",
            &[],
        ))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    messages()
        .respond_with(respond(200, DIR, "response_end_turn.json"))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let (client, sleeper) = anthropic(&server, http());
    let resp = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap();
    assert_eq!(resp.attempts, 2);
    assert_eq!(resp.stop_reason, StopReason::EndTurn);
    // The fixture says `retry-after: 12`: waited that, plus at most the jitter bound.
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    let base = RetryPolicy::default().base_delay;
    assert!(
        waits[0] >= Duration::from_secs(12) && waits[0] <= Duration::from_secs(12) + base,
        "{waits:?}"
    );
}

#[tokio::test]
async fn rate_limit_wait_longer_than_a_call_waits_is_returned_not_slept() {
    let server = server_answering(
        respond_with_headers(
            DIR,
            "error_429.json",
            "error_429.headers.json",
            &[("retry-after", "120")],
        ),
        1,
    )
    .await;
    let (client, sleeper) = anthropic(&server, http());
    let err = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        LlmError::RateLimited {
            provider: "anthropic",
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(err.class(), ErrorClass::Transient);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn spend_limit_429_is_not_retried() {
    let server = server_answering(respond(429, DIR, "error_429_spend_limit.json"), 1).await;
    let (client, sleeper) = anthropic(&server, http());
    let err = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap_err();
    match &err {
        LlmError::QuotaExhausted { provider, message } => {
            assert_eq!(*provider, "anthropic");
            assert!(message.contains("monthly usage limit"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.class(), ErrorClass::Permanent);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn overloaded_529_is_retried_with_jittered_backoff_then_reported() {
    let server = server_answering(respond(529, DIR, "error_529.json"), 3).await;
    let (client, sleeper) = anthropic(&server, http());
    let err = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        LlmError::Overloaded {
            provider: "anthropic",
            retry_after: None
        }
    );
    assert_eq!(err.class(), ErrorClass::Transient);
    // Full jitter under 500 ms, then under 1 s.
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(waits[0] <= Duration::from_millis(500), "{waits:?}");
    assert!(waits[1] <= Duration::from_secs(1), "{waits:?}");
}

#[tokio::test]
async fn overloaded_529_then_success_and_server_error_500_then_success() {
    for (status, name) in [(529, "error_529.json"), (500, "error_500.json")] {
        let server = MockServer::start().await;
        messages()
            .respond_with(respond(status, DIR, name).insert_header("retry-after", "2"))
            .up_to_n_times(1)
            .expect(1)
            .with_priority(1)
            .mount(&server)
            .await;
        messages()
            .respond_with(respond(200, DIR, "response_end_turn.json"))
            .expect(1)
            .with_priority(2)
            .mount(&server)
            .await;
        let (client, sleeper) = anthropic(&server, http());
        let resp = client
            .complete(&simple_request("claude-haiku-4-5"))
            .await
            .unwrap();
        assert_eq!(resp.attempts, 2, "HTTP {status}");
        assert!(sleeper.waits()[0] >= Duration::from_secs(2));
    }
}

#[tokio::test]
async fn rejected_key_401_never_shows_the_key() {
    // The documented body, and one that echoes the key back.
    let echoed = json!({
        "type": "error",
        "error": {"type": "authentication_error", "message": format!("invalid x-api-key: {ANTHROPIC_KEY}")},
        "request_id": "req_011CSHpT2mQ8nVb6cX1zL4kR"
    });
    for response in [
        respond(401, DIR, "error_401.json"),
        respond_json(401, &echoed),
    ] {
        let server = server_answering(response, 1).await;
        let (client, sleeper) = anthropic(&server, http());
        let err = client
            .complete(&simple_request("claude-haiku-4-5"))
            .await
            .unwrap_err();
        match &err {
            LlmError::AuthRejected {
                provider,
                status,
                message,
            } => {
                assert_eq!((*provider, *status), ("anthropic", 401));
                assert!(message.contains("invalid x-api-key"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.class(), ErrorClass::Permanent);
        assert_no_key(&err);
        assert!(!format!("{client:?}").contains(ANTHROPIC_KEY));
        assert!(sleeper.waits().is_empty(), "a rejected key is not retried");
    }
}

#[tokio::test]
async fn bad_request_400_carries_the_api_message() {
    let server = server_answering(respond(400, DIR, "error_400.json"), 1).await;
    let (client, _) = anthropic(&server, http());
    let err = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap_err();
    match &err {
        LlmError::BadRequest {
            status, message, ..
        } => {
            assert_eq!(*status, 400);
            assert!(message.starts_with("invalid_request_error: messages.2.content.0"));
            assert!(message.contains("unexpected `tool_use_id`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_no_key(&err);
}

#[tokio::test]
async fn max_tokens_and_stop_sequence_answers() {
    let cases = [
        (
            "response_max_tokens.json",
            StopReason::MaxTokens,
            "claude-sonnet-4-5",
        ),
        (
            "response_stop_sequence.json",
            StopReason::StopSequence,
            "claude-sonnet-4-6",
        ),
    ];
    for (name, stop, model) in cases {
        let server = server_answering(respond(200, DIR, name), 1).await;
        let (client, _) = anthropic(&server, http());
        let mut req = simple_request(model);
        req.stop_sequences = vec!["</answer>".into()];
        let resp = client.complete(&req).await.unwrap();
        assert_eq!(resp.stop_reason, stop, "{name}");
        assert!(!resp.cost.unpriced, "{name}: Sonnet is priced");
        // A truncated answer holds no object.
        if stop == StopReason::MaxTokens {
            assert_eq!(first_json_object(&resp.text()), None);
            // Sonnet 4.5: 2210 × $3 + 32 × $15 per million.
            assert_usd(resp.cost.cost_usd, 0.007_11);
        }
        assert_eq!(
            bodies(&server).await[0]["stop_sequences"],
            json!(["</answer>"])
        );
    }
}

#[tokio::test]
async fn unknown_model_is_unpriced_but_usage_is_kept() {
    let mut body = fixture(DIR, "response_end_turn.json");
    body["model"] = json!("claude-opus-9-9");
    let server = server_answering(respond_json(200, &body), 1).await;
    let (client, _) = anthropic(&server, http());
    let resp = client
        .complete(&simple_request("claude-opus-9-9"))
        .await
        .unwrap();
    assert_eq!(resp.cost.cost_usd, None);
    assert!(resp.cost.unpriced);
    assert_eq!(resp.usage.input, 318);
    assert_eq!(resp.usage.cache_read, 1208);
}

#[tokio::test]
async fn malformed_success_bodies_are_typed_errors() {
    for body in [
        ResponseTemplate::new(200).set_body_string("<html>gateway</html>"),
        respond_json(200, &json!({"type": "message", "role": "assistant"})),
        respond_json(
            200,
            &json!({"content": [{"type": "tool_use", "id": "t", "name": "x"}]}),
        ),
    ] {
        let server = server_answering(body, 1).await;
        let (client, _) = anthropic(&server, http());
        let err = client
            .complete(&simple_request("claude-haiku-4-5"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LlmError::MalformedResponse {
                    provider: "anthropic",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.class(), ErrorClass::Permanent);
    }
}

#[tokio::test]
async fn slow_server_times_out_without_retrying() {
    let server = server_answering(
        respond(200, DIR, "response_end_turn.json").set_delay(Duration::from_secs(3)),
        1,
    )
    .await;
    let settings = HttpSettings {
        timeout: Duration::from_millis(300),
        ..http()
    };
    let (client, sleeper) = anthropic(&server, settings);
    let err = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        LlmError::Timeout {
            provider: "anthropic",
            after: Duration::from_millis(300)
        }
    );
    assert_eq!(err.class(), ErrorClass::Transient);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn refused_connections_are_retried_then_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (client, sleeper) = anthropic_at(&format!("http://127.0.0.1:{port}"), http());
    let err = client
        .complete(&simple_request("claude-haiku-4-5"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::Transport {
                provider: "anthropic",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sleeper.waits().len(), 2);
    assert!(!err.to_string().contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = server_answering(respond(200, DIR, "response_end_turn.json"), 0).await;
    let (client, _) = anthropic(&server, http());
    let empty = LlmRequest::new("claude-haiku-4-5");
    assert!(matches!(
        client.complete(&empty).await,
        Err(LlmError::InvalidRequest(_))
    ));
    let mut no_model = simple_request("");
    no_model.model = " ".into();
    assert!(matches!(
        client.complete(&no_model).await,
        Err(LlmError::InvalidRequest(_))
    ));
}
