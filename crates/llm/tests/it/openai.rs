//! The OpenAI-compatible client against a mock that speaks `POST /v1/chat/completions`
//! (OpenAI, vLLM and llama.cpp answer shapes).

use std::time::Duration;

use serde_json::{Value, json};
use soc_core::error::{Classify, ErrorClass};
use soc_llm::{
    ContentBlock, LlmClient, LlmError, LlmRequest, Message, ModelPrice, PriceTable, StopReason,
    ToolChoice, ToolDefinition, Usage, first_json_object,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::support::{
    MessageCount, OPENAI_KEY, assert_same_json, assert_usd, bodies, json as fixture, openai,
    openai_at, respond, respond_json, respond_with_headers, user_agent,
};

const DIR: &str = "openai-chat";

/// `POST /v1/chat/completions` with the documented headers.
fn completions() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header(
            "authorization",
            format!("Bearer {OPENAI_KEY}").as_str(),
        ))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", user_agent().as_str()))
}

async fn server_answering(response: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    completions()
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
    req.system = Some(f["messages"][0]["content"].as_str().unwrap().to_owned());
    req.messages
        .push(Message::user(f["messages"][1]["content"].as_str().unwrap()));
    req.tools = f["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ToolDefinition {
            name: t["function"]["name"].as_str().unwrap().to_owned(),
            description: t["function"]["description"].as_str().unwrap().to_owned(),
            input_schema: t["function"]["parameters"].clone(),
        })
        .collect();
    req.tool_choice = Some(ToolChoice::Auto);
    req.parallel_tool_calls = Some(true);
    req.temperature = Some(0.0);
    req.max_tokens = 1024;
    req
}

fn simple_request(model: &str) -> LlmRequest {
    let mut req = LlmRequest::new(model);
    req.messages.push(Message::user("Alert: sshd brute force"));
    req
}

fn assert_no_key(err: &LlmError) {
    for s in [err.to_string(), format!("{err:?}")] {
        assert!(!s.contains(OPENAI_KEY), "key leaked: {s}");
    }
}

#[tokio::test]
async fn tool_calls_with_string_arguments_round_trip() {
    let server = MockServer::start().await;
    completions()
        .and(MessageCount(2))
        .respond_with(respond(200, DIR, "response_tool_calls.json"))
        .expect(1)
        .mount(&server)
        .await;
    completions()
        .and(MessageCount(5))
        .respond_with(respond(200, DIR, "response_stop_json_schema.json"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = openai(&server);

    let mut req = triage_request();
    let first = client.complete(&req).await.unwrap();
    assert_eq!(first.stop_reason, StopReason::ToolUse);
    assert_eq!(first.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(
        first.content,
        vec![
            ContentBlock::ToolUse {
                id: "call_Vx3kQ9bR2mT7nL1pZ8wY4sJd".into(),
                name: "lookup_ip_reputation".into(),
                input: json!({"ip": "185.220.101.47", "max_age_days": 90}),
            },
            ContentBlock::ToolUse {
                id: "call_H5jN0cF6gD2sA9qW3eR7tY1u".into(),
                name: "lookup_file_hash".into(),
                input: json!({"hash": "75e834f1a8ad7acfc3b12e38a6c1e26a8940e31fc27a71997fcf333750bf0db4"}),
            },
        ]
    );
    assert_eq!(
        first.usage,
        Usage {
            input: 212,
            output: 61,
            cache_read: 0,
            cache_write: 0
        }
    );

    req.messages.push(first.to_message());
    req.messages.push(Message::tool_results(vec![
        ContentBlock::tool_result(
            "call_Vx3kQ9bR2mT7nL1pZ8wY4sJd",
            r#"{"abuseConfidenceScore":100,"totalReports":1843,"isTor":true}"#,
        ),
        ContentBlock::tool_result(
            "call_H5jN0cF6gD2sA9qW3eR7tY1u",
            r#"{"malicious":14,"undetected":3,"suggested_threat_label":"trojan.emotet/geodo"}"#,
        ),
    ]));
    req.parallel_tool_calls = None;
    let second = client.complete(&req).await.unwrap();
    assert_eq!(second.stop_reason, StopReason::EndTurn);
    assert_eq!(
        first_json_object(&second.text()).unwrap()["verdict"],
        "malicious"
    );

    let sent = bodies(&server).await;
    assert_same_json(&sent[0], &fixture(DIR, "request_with_tools.json"));
    assert_same_json(&sent[1], &fixture(DIR, "request_tool_result_turn.json"));
}

#[tokio::test]
async fn malformed_arguments_become_an_invalid_tool_use_answered_with_an_error() {
    let mut body = fixture(DIR, "response_tool_calls.json");
    let truncated = r#"{"ip":"185.220.10"#;
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = json!(truncated);
    let server = MockServer::start().await;
    completions()
        .and(MessageCount(2))
        .respond_with(respond_json(200, &body))
        .expect(1)
        .mount(&server)
        .await;
    completions()
        .and(MessageCount(5))
        .respond_with(respond(200, DIR, "response_stop_json_schema.json"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = openai(&server);
    let mut req = triage_request();
    let first = client.complete(&req).await.unwrap();
    assert_eq!(first.stop_reason, StopReason::ToolUse);
    assert!(first.has_tool_calls());
    let bad = match &first.content[0] {
        b @ ContentBlock::InvalidToolUse {
            id,
            name,
            raw_arguments,
            error,
        } => {
            assert_eq!(id, "call_Vx3kQ9bR2mT7nL1pZ8wY4sJd");
            assert_eq!(name, "lookup_ip_reputation");
            assert_eq!(raw_arguments, truncated);
            assert!(error.contains("not valid JSON"), "{error}");
            b.clone()
        }
        other => panic!("{other:?}"),
    };
    // The well-formed call next to it is still usable.
    assert_eq!(first.tool_uses().count(), 1);

    req.messages.push(first.to_message());
    req.messages.push(Message::tool_results(vec![
        bad.invalid_tool_use_result().unwrap(),
        ContentBlock::tool_result("call_H5jN0cF6gD2sA9qW3eR7tY1u", r#"{"malicious":14}"#),
    ]));
    client.complete(&req).await.unwrap();
    let sent = &bodies(&server).await[1];
    // The server's own arguments string is echoed verbatim.
    assert_eq!(
        sent["messages"][2]["tool_calls"][0]["function"]["arguments"],
        json!(truncated)
    );
    assert_eq!(sent["messages"][3]["role"], "tool");
    assert_eq!(
        sent["messages"][3]["tool_call_id"],
        "call_Vx3kQ9bR2mT7nL1pZ8wY4sJd"
    );
    let content = sent["messages"][3]["content"].as_str().unwrap();
    assert!(content.starts_with("[tool error] "), "{content}");
}

#[tokio::test]
async fn finish_reasons_map_to_neutral_stop_reasons() {
    let mut filtered = fixture(DIR, "response_stop_json_schema.json");
    filtered["choices"][0]["finish_reason"] = json!("content_filter");
    filtered["choices"][0]["message"]["content"] = Value::Null;
    let mut refused = fixture(DIR, "response_stop_json_schema.json");
    refused["choices"][0]["message"]["content"] = Value::Null;
    refused["choices"][0]["message"]["refusal"] = json!("I can't help with that.");
    let mut unknown = fixture(DIR, "response_stop_json_schema.json");
    unknown["choices"][0]["finish_reason"] = json!("eos_token");
    let cases = [
        (
            fixture(DIR, "response_stop_json_schema.json"),
            StopReason::EndTurn,
        ),
        (fixture(DIR, "response_length.json"), StopReason::MaxTokens),
        (
            fixture(DIR, "response_tool_calls.json"),
            StopReason::ToolUse,
        ),
        (
            fixture(DIR, "response_tool_calls_vllm.json"),
            StopReason::ToolUse,
        ),
        // llama.cpp-style: finish_reason `stop` although tool calls are present.
        (
            fixture(DIR, "response_tool_calls_finish_stop.json"),
            StopReason::ToolUse,
        ),
        (filtered, StopReason::Refusal),
        (refused, StopReason::Refusal),
        (unknown, StopReason::Other("eos_token".into())),
    ];
    for (body, expected) in cases {
        let server = server_answering(respond_json(200, &body), 1).await;
        let (client, _) = openai(&server);
        let resp = client
            .complete(&simple_request("gpt-4o-mini"))
            .await
            .unwrap();
        assert_eq!(resp.stop_reason, expected, "{body}");
        if expected == StopReason::Refusal && body["choices"][0]["message"]["refusal"].is_string() {
            assert_eq!(resp.text(), "I can't help with that.");
        }
    }
}

#[tokio::test]
async fn local_server_answers_parse_vllm_null_details_and_llamacpp_ids() {
    let server = server_answering(respond(200, DIR, "response_tool_calls_vllm.json"), 1).await;
    let (client, _) = openai(&server);
    let resp = client
        .complete(&simple_request("Qwen/Qwen2.5-7B-Instruct"))
        .await
        .unwrap();
    assert_eq!(
        resp.usage,
        Usage {
            input: 398,
            output: 27,
            cache_read: 0,
            cache_write: 0
        }
    );
    let (id, name, input) = resp.tool_uses().next().unwrap();
    assert_eq!(id, "chatcmpl-tool-3b7e9c1d2f4a4e6b8c0d1e2f3a4b5c6d");
    assert_eq!(name, "lookup_ip_reputation");
    assert_eq!(input, &json!({"ip": "185.220.101.47"}));

    let server =
        server_answering(respond(200, DIR, "response_tool_calls_finish_stop.json"), 1).await;
    let (client, _) = openai(&server);
    let resp = client
        .complete(&simple_request("qwen2.5-7b-instruct-q4_k_m.gguf"))
        .await
        .unwrap();
    assert_eq!(resp.text(), "", "empty content adds no text block");
    assert_eq!(resp.content.len(), 1);
    assert_eq!(
        resp.tool_uses().next().unwrap().0,
        "k3Rz8QpW1vNc6TgY0uLb2hJe5sXa9mDf"
    );
}

#[tokio::test]
async fn usage_splits_cached_prompt_tokens_and_configured_prices_apply() {
    let mut body = fixture(DIR, "response_stop_json_schema.json");
    body["usage"]["prompt_tokens"] = json!(2412);
    body["usage"]["prompt_tokens_details"]["cached_tokens"] = json!(2048);
    let price = ModelPrice {
        input: 0.15,
        output: 0.60,
        cache_read: 0.075,
        cache_write: 0.0,
    };
    let prices = PriceTable::with_overrides([("gpt-4o-mini", price)]).unwrap();
    let server = server_answering(respond_json(200, &body), 1).await;
    let (client, _) = openai_at(&format!("{}/v1", server.uri()), Some(OPENAI_KEY), prices);
    let resp = client
        .complete(&simple_request("gpt-4o-mini"))
        .await
        .unwrap();
    assert_eq!(
        resp.usage,
        Usage {
            input: 364,
            output: 58,
            cache_read: 2048,
            cache_write: 0
        }
    );
    // The dated answer id is priced like its alias: 364 × 0.15 + 58 × 0.60 + 2048 × 0.075.
    assert_usd(resp.cost.cost_usd, 0.000_243);
    assert!(!resp.cost.unpriced);
}

#[tokio::test]
async fn unknown_model_and_missing_usage_are_unpriced_never_zero() {
    // No default price for OpenAI models: unpriced, with usage still reported.
    let server = server_answering(respond(200, DIR, "response_stop_json_schema.json"), 1).await;
    let (client, _) = openai(&server);
    let resp = client
        .complete(&simple_request("gpt-4o-mini"))
        .await
        .unwrap();
    assert_eq!(resp.cost.cost_usd, None);
    assert!(resp.cost.unpriced);
    assert_eq!(resp.usage.input, 320);

    // A priced model whose server reports no usage is unpriced too.
    let mut body = fixture(DIR, "response_stop_json_schema.json");
    body.as_object_mut().unwrap().remove("usage");
    let server = server_answering(respond_json(200, &body), 1).await;
    let prices = PriceTable::with_overrides([(
        "gpt-4o-mini",
        ModelPrice {
            input: 0.15,
            output: 0.6,
            cache_read: 0.075,
            cache_write: 0.0,
        },
    )])
    .unwrap();
    let (client, _) = openai_at(&format!("{}/v1", server.uri()), Some(OPENAI_KEY), prices);
    let resp = client
        .complete(&simple_request("gpt-4o-mini"))
        .await
        .unwrap();
    assert!(resp.cost.unpriced);
    assert_eq!(resp.usage, Usage::default());
}

#[tokio::test]
async fn rejected_key_401_never_shows_the_key() {
    let echoed = json!({"error": {
        "message": format!("Incorrect API key provided: {OPENAI_KEY}."),
        "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}});
    for response in [
        respond(401, DIR, "error_401_openai.json"),
        respond_json(401, &echoed),
    ] {
        let server = server_answering(response, 1).await;
        let (client, sleeper) = openai(&server);
        let err = client
            .complete(&simple_request("gpt-4o-mini"))
            .await
            .unwrap_err();
        match &err {
            LlmError::AuthRejected {
                provider,
                status,
                message,
            } => {
                assert_eq!((*provider, *status), ("openai", 401));
                assert!(message.contains("Incorrect API key provided"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_no_key(&err);
        assert!(!format!("{client:?}").contains(OPENAI_KEY));
        assert!(sleeper.waits().is_empty());
    }
}

#[tokio::test]
async fn rate_limit_429_with_retry_after_is_retried_once_then_succeeds() {
    let server = MockServer::start().await;
    completions()
        .respond_with(respond_with_headers(
            DIR,
            "error_429_rate_limit_openai.json",
            "error_429_rate_limit_openai.headers.json",
            &[],
        ))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    completions()
        .respond_with(respond(200, DIR, "response_stop_json_schema.json"))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let (client, sleeper) = openai(&server);
    let resp = client
        .complete(&simple_request("gpt-4o-mini"))
        .await
        .unwrap();
    assert_eq!(resp.attempts, 2);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] >= Duration::from_secs(1) && waits[0] <= Duration::from_millis(1500),
        "{waits:?}"
    );
}

#[tokio::test]
async fn insufficient_quota_429_is_not_retried() {
    let server = server_answering(
        respond(429, DIR, "error_429_insufficient_quota_openai.json"),
        1,
    )
    .await;
    let (client, sleeper) = openai(&server);
    let err = client
        .complete(&simple_request("gpt-4o-mini"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::QuotaExhausted {
                provider: "openai",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Permanent);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn llamacpp_400_with_an_integer_code_is_a_bad_request() {
    let server = server_answering(respond(400, DIR, "error_400_llamacpp.json"), 1).await;
    let (client, _) = openai(&server);
    let err = client
        .complete(&simple_request("qwen2.5-7b-instruct"))
        .await
        .unwrap_err();
    match err {
        LlmError::BadRequest {
            status, message, ..
        } => {
            assert_eq!(status, 400);
            assert!(
                message.contains("\"json_schema\" or \"grammar\""),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn local_server_without_key_or_version_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(respond(200, DIR, "response_tool_calls_finish_stop.json"))
        .expect(1)
        .mount(&server)
        .await;
    // Base without `/v1`: the client adds it.
    let (client, _) = openai_at(&server.uri(), None, PriceTable::default());
    let resp = client
        .complete(&simple_request("qwen2.5-7b-instruct-q4_k_m.gguf"))
        .await
        .unwrap();
    assert_eq!(resp.stop_reason, StopReason::ToolUse);
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn malformed_success_bodies_are_typed_errors() {
    for body in [
        ResponseTemplate::new(200).set_body_string("not json"),
        respond_json(200, &json!({"id": "x", "choices": []})),
        respond_json(200, &json!({"choices": [{"finish_reason": "stop"}]})),
    ] {
        let server = server_answering(body, 1).await;
        let (client, _) = openai(&server);
        let err = client
            .complete(&simple_request("gpt-4o-mini"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LlmError::MalformedResponse {
                    provider: "openai",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
