//! `MockLlm` over real HTTP with reqwest, in both wire formats: tool-call loops, the
//! awkward scripted answers, error statuses, request validation, script exhaustion and
//! delays.
#![allow(clippy::unwrap_used)]

use std::sync::Once;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use soc_testkit::llm_mock::{Flavor, MockLlm, OnExhausted, Outcome, Turn, Usage};

/// reqwest is built with `rustls-no-provider`, and `Client::new()` panics without a
/// process-wide rustls provider even when it only ever speaks plain http (it builds its
/// TLS config up front), so install ring once.
fn client() -> reqwest::Client {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        let _already = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::new()
}

fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/llm/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

async fn post_anthropic(llm: &MockLlm, body: &Value) -> Reply {
    send(
        client()
            .post(format!("{}/v1/messages", llm.base_url()))
            .header("x-api-key", "sk-ant-test")
            .header("anthropic-version", "2023-06-01")
            .json(body),
    )
    .await
}

async fn post_openai(llm: &MockLlm, body: &Value) -> Reply {
    send(
        client()
            .post(format!("{}/v1/chat/completions", llm.base_url()))
            .bearer_auth("sk-test")
            .json(body),
    )
    .await
}

/// Posts a minimal valid request for the mock's flavour.
async fn post_simple(llm: &MockLlm) -> Reply {
    match llm.flavor() {
        Flavor::Anthropic => post_anthropic(llm, &anthropic_hello()).await,
        Flavor::OpenAi => post_openai(llm, &openai_hello()).await,
    }
}

fn anthropic_hello() -> Value {
    json!({
        "model": "claude-haiku-4-5-20251001",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "triage alert 1"}]
    })
}

fn openai_hello() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a SOC triage assistant."},
            {"role": "user", "content": "triage alert 1"}
        ]
    })
}

fn verdict() -> Value {
    json!({
        "verdict": "malicious",
        "confidence": 92,
        "summary": "Tor exit node brute-forcing SSH",
        "evidence": ["AbuseIPDB score 100"]
    })
}

const BOTH: [Flavor; 2] = [Flavor::Anthropic, Flavor::OpenAi];

// ------------------------------------------------------------ tool loops

#[tokio::test]
async fn anthropic_tool_call_then_final_json() {
    let usage = Usage {
        input_tokens: 412,
        output_tokens: 87,
        cache_read_input_tokens: 1208,
        cache_creation_input_tokens: 16,
    };
    let llm = MockLlm::builder(Flavor::Anthropic)
        .turn(Turn::preamble(
            "I'll check the source IP.",
            Turn::tool_call("lookup_ip_reputation", json!({"ip": "185.220.101.47"})),
        ))
        .turn(Turn::final_json(&verdict()))
        .usage(usage)
        .start()
        .await;

    let mut request = fixture("anthropic/request_with_tools.json");
    let first = post_anthropic(&llm, &request).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.headers["request-id"], "req_mock_000000");
    let body = first.json();
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert_eq!(body["model"], "claude-haiku-4-5-20251001");
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(body["content"][0]["type"], "text");
    let tool_use = &body["content"][1];
    assert_eq!(tool_use["type"], "tool_use");
    assert_eq!(tool_use["id"], "toolu_mock_000000_1");
    assert_eq!(tool_use["name"], "lookup_ip_reputation");
    assert_eq!(tool_use["input"], json!({"ip": "185.220.101.47"}));
    assert_eq!(body["usage"]["input_tokens"], 412);
    assert_eq!(body["usage"]["output_tokens"], 87);
    assert_eq!(body["usage"]["cache_read_input_tokens"], 1208);
    assert_eq!(body["usage"]["cache_creation_input_tokens"], 16);

    // Echo the assistant turn and answer its tool call, as a client must.
    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": body["content"]}));
    messages.push(json!({"role": "user", "content": [{
        "type": "tool_result",
        "tool_use_id": tool_use["id"],
        "content": "{\"abuseConfidenceScore\":100}"
    }]}));
    let second = post_anthropic(&llm, &request).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let body = second.json();
    assert_eq!(body["stop_reason"], "end_turn");
    let text = body["content"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), verdict());

    assert_eq!(llm.calls(), 2);
    assert_eq!(llm.turns_played(), 2);
    let recorded = llm.requests();
    assert_eq!(recorded[1].messages().len(), 3);
    assert_eq!(recorded[1].header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(recorded[1].outcome, Outcome::Scripted { turn: 1 });
    assert_eq!(recorded[1].path, "/v1/messages");
    llm.assert_no_violations();
}

#[tokio::test]
async fn openai_parallel_tool_calls_then_final_json() {
    let llm = MockLlm::builder(Flavor::OpenAi)
        .script(vec![
            Turn::tool_calls([
                ("lookup_ip_reputation", json!({"ip": "185.220.101.47"})),
                ("lookup_file_hash", json!({"hash": "75e834f1"})),
            ]),
            Turn::final_json(&verdict()),
        ])
        .usage(Usage {
            input_tokens: 200,
            output_tokens: 38,
            cache_read_input_tokens: 12,
            cache_creation_input_tokens: 0,
        })
        .api_key("sk-test")
        .start()
        .await;

    let mut request = fixture("openai-chat/request_with_tools.json");
    let first = post_openai(&llm, &request).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let body = first.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o-mini");
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let calls = choice["message"]["tool_calls"].as_array().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["id"], "call_mock_000000_0");
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[1]["function"]["name"], "lookup_file_hash");
    let arguments = calls[0]["function"]["arguments"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(arguments).unwrap(),
        json!({"ip": "185.220.101.47"})
    );
    assert_eq!(body["usage"]["prompt_tokens"], 212);
    assert_eq!(body["usage"]["completion_tokens"], 38);
    assert_eq!(body["usage"]["total_tokens"], 250);
    assert_eq!(body["usage"]["prompt_tokens_details"]["cached_tokens"], 12);

    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": calls}));
    for call in &calls {
        messages.push(json!({"role": "tool", "tool_call_id": call["id"], "content": "{}"}));
    }
    let second = post_openai(&llm, &request).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let body = second.json();
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(content).unwrap(), verdict());
    assert!(body["choices"][0]["message"].get("tool_calls").is_none());
    assert_eq!(llm.calls(), 2);
    llm.assert_no_violations();
}

#[tokio::test]
async fn documented_example_requests_are_accepted() {
    let anthropic = MockLlm::builder(Flavor::Anthropic)
        .turn(Turn::text("ok"))
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    for name in ["request_with_tools.json", "request_tool_result_turn.json"] {
        let reply = post_anthropic(&anthropic, &fixture(&format!("anthropic/{name}"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.text);
    }
    anthropic.assert_no_violations();

    let openai = MockLlm::builder(Flavor::OpenAi)
        .turn(Turn::text("ok"))
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    for name in [
        "request_with_tools.json",
        "request_tool_result_turn.json",
        "request_json_schema.json",
    ] {
        let reply = post_openai(&openai, &fixture(&format!("openai-chat/{name}"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.text);
    }
    openai.assert_no_violations();
}

// ------------------------------------------------------------ scripted oddities

#[tokio::test]
async fn awkward_answers_render_in_both_formats() {
    let placeholder = Turn::placeholder_json(verdict(), "/evidence", "[object Object]");
    let script = || {
        vec![
            Turn::prose_wrapped_json(&verdict()),
            placeholder.clone(),
            Turn::empty_tool_input("lookup_ip_reputation"),
            Turn::placeholder_tool_input(
                "search_urlscan",
                json!({"query": {"domain": "x.example"}}),
                "/query",
                "<query>",
            ),
            Turn::control_chars_json(&json!({"summary": "line1\nline2\tend\u{1}"})),
            Turn::max_tokens("{\"verdict\": \"malic"),
            Turn::tool_call_raw_arguments("lookup_ip_reputation", "{\"ip\": \"1.2.3.4\""),
        ]
    };
    for flavor in BOTH {
        let llm = MockLlm::start(flavor, script()).await;
        let mut answers = Vec::new();
        for _ in 0..7 {
            let reply = post_simple(&llm).await;
            assert_eq!(reply.status, StatusCode::OK, "{flavor:?}: {}", reply.text);
            answers.push(reply.json());
        }
        llm.assert_no_violations();

        // (text or first tool call, stop reason) in provider-neutral terms.
        let text = |a: &Value| -> String {
            match flavor {
                Flavor::Anthropic => a["content"][0]["text"].as_str().unwrap().to_owned(),
                Flavor::OpenAi => a["choices"][0]["message"]["content"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            }
        };
        let tool_input = |a: &Value| -> String {
            match flavor {
                Flavor::Anthropic => a["content"][0]["input"].to_string(),
                Flavor::OpenAi => {
                    a["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                }
            }
        };
        let stop = |a: &Value| -> String {
            match flavor {
                Flavor::Anthropic => a["stop_reason"].as_str().unwrap().to_owned(),
                Flavor::OpenAi => a["choices"][0]["finish_reason"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            }
        };

        let prose = text(&answers[0]);
        assert!(prose.contains("```json\n{"), "{prose}");
        assert!(serde_json::from_str::<Value>(&prose).is_err());

        let with_placeholder: Value = serde_json::from_str(&text(&answers[1])).unwrap();
        assert_eq!(with_placeholder["evidence"], "[object Object]");

        assert_eq!(tool_input(&answers[2]), "{}");
        assert_eq!(
            stop(&answers[2]),
            if flavor == Flavor::Anthropic {
                "tool_use"
            } else {
                "tool_calls"
            }
        );
        assert_eq!(tool_input(&answers[3]), r#"{"query":"<query>"}"#);

        let raw = text(&answers[4]);
        assert!(raw.contains("line1\nline2\tend\u{1}"), "{raw:?}");
        assert!(serde_json::from_str::<Value>(&raw).is_err());

        assert_eq!(text(&answers[5]), "{\"verdict\": \"malic");
        assert_eq!(
            stop(&answers[5]),
            if flavor == Flavor::Anthropic {
                "max_tokens"
            } else {
                "length"
            }
        );

        match flavor {
            // Anthropic cannot carry invalid JSON in `input`: it becomes a string.
            Flavor::Anthropic => {
                assert_eq!(answers[6]["content"][0]["input"], "{\"ip\": \"1.2.3.4\"")
            }
            Flavor::OpenAi => assert_eq!(tool_input(&answers[6]), "{\"ip\": \"1.2.3.4\""),
        }
    }
}

#[tokio::test]
async fn thinking_blocks_are_anthropic_only() {
    let script = || {
        vec![Turn::thinking(
            "The IP is a Tor exit; check the hash too.",
            Turn::tool_call("lookup_file_hash", json!({"hash": "75e834f1"})),
        )]
    };
    let anthropic = MockLlm::start(Flavor::Anthropic, script()).await;
    let body = post_simple(&anthropic).await.json();
    assert_eq!(body["content"][0]["type"], "thinking");
    assert_eq!(
        body["content"][0]["thinking"],
        "The IP is a Tor exit; check the hash too."
    );
    assert!(body["content"][0]["signature"].is_string());
    assert_eq!(body["content"][1]["type"], "tool_use");
    assert_eq!(body["stop_reason"], "tool_use");

    // Echoing the thinking block back with the tool result is accepted.
    let mut next = anthropic_hello();
    let messages = next["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": body["content"]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": body["content"][1]["id"], "content": "clean"}
    ]}));
    anthropic.push_turns([Turn::text("benign")]);
    let reply = post_anthropic(&anthropic, &next).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    anthropic.assert_no_violations();

    let openai = MockLlm::start(Flavor::OpenAi, script()).await;
    let body = post_simple(&openai).await.json();
    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(
        message["tool_calls"][0]["function"]["name"],
        "lookup_file_hash"
    );
    assert!(!body.to_string().contains("Tor exit"));
}

#[tokio::test]
async fn raw_turns_are_sent_verbatim() {
    let llm = MockLlm::start(
        Flavor::OpenAi,
        vec![Turn::Raw {
            code: 200,
            content_type: "application/json".to_owned(),
            body: "{\"choices\": [".to_owned(),
        }],
    )
    .await;
    let reply = post_simple(&llm).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "{\"choices\": [");
}

// ------------------------------------------------------------ error statuses

#[tokio::test]
async fn rate_limit_429_carries_retry_after_then_recovers() {
    for flavor in BOTH {
        let llm = MockLlm::start(
            flavor,
            vec![Turn::rate_limited(Some(12)), Turn::text("recovered")],
        )
        .await;
        let limited = post_simple(&llm).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers["retry-after"], "12");
        let body = limited.json();
        match flavor {
            Flavor::Anthropic => {
                assert_eq!(body["type"], "error");
                assert_eq!(body["error"]["type"], "rate_limit_error");
                assert_eq!(body["request_id"], "req_mock_000000");
            }
            Flavor::OpenAi => {
                assert_eq!(body["error"]["code"], "rate_limit_exceeded");
                assert_eq!(limited.headers["x-request-id"], "req_mock_000000");
            }
        }
        assert_eq!(post_simple(&llm).await.status, StatusCode::OK);
        assert_eq!(llm.calls(), 2);
        llm.assert_no_violations();
    }
}

#[tokio::test]
async fn overloaded_529_on_every_call() {
    let llm = MockLlm::builder(Flavor::Anthropic)
        .turn(Turn::overloaded())
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    for _ in 0..3 {
        let reply = post_simple(&llm).await;
        assert_eq!(reply.status.as_u16(), 529);
        assert!(reply.headers.get("retry-after").is_none());
        assert_eq!(reply.json()["error"]["type"], "overloaded_error");
    }
    assert_eq!(llm.calls(), 3);
    assert!(
        llm.requests()
            .iter()
            .all(|r| r.outcome == Outcome::Scripted { turn: 0 })
    );
}

#[tokio::test]
async fn custom_status_bodies_and_defaults() {
    let custom =
        json!({"error": {"message": "Loading model", "type": "unavailable_error", "code": 503}});
    let llm = MockLlm::start(
        Flavor::OpenAi,
        vec![
            Turn::Status {
                code: 503,
                retry_after: None,
                body: Some(custom.clone()),
            },
            Turn::server_error(),
            Turn::unauthorized(),
        ],
    )
    .await;
    let reply = post_simple(&llm).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json(), custom);
    let reply = post_simple(&llm).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["error"]["type"], "server_error");
    let reply = post_simple(&llm).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"]["code"], "invalid_api_key");
}

// ------------------------------------------------------------ validation

#[tokio::test]
async fn anthropic_rejects_bad_message_order_without_using_a_turn() {
    let llm = MockLlm::start(Flavor::Anthropic, vec![Turn::text("fine")]).await;
    let bad = json!({
        "model": "claude-haiku-4-5-20251001",
        "max_tokens": 256,
        "messages": [
            {"role": "assistant", "content": "I start"},
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"}
        ]
    });
    let reply = post_anthropic(&llm, &bad).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("messages.0.role: the first message must be `user`"),
        "{message}"
    );
    assert!(
        message.contains("messages.2.role: `user` follows `user`"),
        "{message}"
    );

    let violations = llm.violations();
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert!(violations[0].starts_with("request 0: "), "{violations:?}");
    assert_eq!(llm.requests()[0].outcome, Outcome::Rejected);
    assert_eq!(llm.turns_played(), 0);

    // The script is untouched: a good request still gets turn 0.
    let reply = post_simple(&llm).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(llm.requests()[1].outcome, Outcome::Scripted { turn: 0 });
    assert_eq!(llm.calls(), 2);
}

#[tokio::test]
async fn anthropic_rejects_an_unanswered_tool_use() {
    let llm = MockLlm::start(Flavor::Anthropic, vec![Turn::text("fine")]).await;
    let mut request = anthropic_hello();
    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}
    ]}));
    messages.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_other", "content": "x"}
    ]}));
    let reply = post_anthropic(&llm, &request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let text = llm.violations().join("\n");
    assert!(text.contains("`toolu_other`"), "{text}");
    assert!(
        text.contains("`toolu_1` of the previous assistant message have no tool_result"),
        "{text}"
    );
}

#[tokio::test]
async fn openai_rejects_tool_messages_out_of_order() {
    let llm = MockLlm::start(Flavor::OpenAi, vec![Turn::text("fine")]).await;
    let mut request = openai_hello();
    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "tool", "tool_call_id": "call_1", "content": "{}"}));
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "t", "arguments": {"ip": "1.2.3.4"}}}
    ]}));
    let reply = post_openai(&llm, &request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("messages.2: messages with role `tool` must be a response"),
        "{message}"
    );
    assert!(
        message.contains("function.arguments: must be a JSON-encoded string"),
        "{message}"
    );
    assert!(
        message.contains("the conversation ends on `tool_calls`"),
        "{message}"
    );
    assert_eq!(llm.violations().len(), 3);
}

#[tokio::test]
async fn auth_headers_and_routes_are_checked() {
    let anthropic = MockLlm::builder(Flavor::Anthropic)
        .api_key("sk-ant-test")
        .turn(Turn::text("ok"))
        .start()
        .await;
    // Bearer instead of x-api-key, and no anthropic-version.
    let reply = send(
        client()
            .post(anthropic.endpoint_url())
            .bearer_auth("sk-ant-test")
            .json(&anthropic_hello()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"]["type"], "authentication_error");
    let text = anthropic.violations().join("\n");
    assert!(text.contains("`x-api-key` is missing"), "{text}");
    assert!(text.contains("`anthropic-version` is missing"), "{text}");
    // The right key works.
    assert_eq!(post_simple(&anthropic).await.status, StatusCode::OK);

    let openai = MockLlm::builder(Flavor::OpenAi)
        .api_key("another-key")
        .turn(Turn::text("ok"))
        .start()
        .await;
    let reply = post_simple(&openai).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"]["code"], "invalid_api_key");

    // Wrong path (a client that forgot `/v1`) and wrong method.
    let reply = send(
        client()
            .post(format!("{}/chat/completions", openai.base_url()))
            .bearer_auth("another-key")
            .json(&openai_hello()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = send(client().get(openai.endpoint_url())).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let text = openai.violations().join("\n");
    assert!(
        text.contains("POST /chat/completions: unknown route"),
        "{text}"
    );
    assert!(
        text.contains("GET /v1/chat/completions: unknown route"),
        "{text}"
    );
    assert_eq!(openai.calls(), 3);
    assert_eq!(openai.turns_played(), 0);
}

#[tokio::test]
async fn non_json_bodies_are_rejected_and_recorded() {
    let llm = MockLlm::start(Flavor::Anthropic, vec![]).await;
    let reply = send(
        client()
            .post(llm.endpoint_url())
            .header("x-api-key", "k")
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "text/plain")
            .body("not json"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let recorded = &llm.requests()[0];
    assert_eq!(recorded.body, None);
    assert_eq!(recorded.raw_body, "not json");
    assert_eq!(recorded.problems.len(), 2, "{:?}", recorded.problems);
}

#[tokio::test]
async fn openai_base_url_with_v1_suffix_works() {
    let llm = MockLlm::start(Flavor::OpenAi, vec![Turn::text("ok")]).await;
    assert_eq!(llm.openai_base_url(), format!("{}/v1", llm.base_url()));
    let reply = send(
        client()
            .post(format!("{}/chat/completions", llm.openai_base_url()))
            .bearer_auth("k")
            .json(&openai_hello()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    llm.assert_no_violations();
}

#[tokio::test]
#[should_panic(expected = "malformed request problem")]
async fn assert_no_violations_panics_with_the_list() {
    let llm = MockLlm::start(Flavor::OpenAi, vec![]).await;
    let _reply = post_openai(&llm, &json!({"messages": []})).await;
    llm.assert_no_violations();
}

// ------------------------------------------------------------ exhaustion and delay

#[tokio::test]
async fn exhausted_script_fails_by_default() {
    for flavor in BOTH {
        let llm = MockLlm::start(flavor, vec![Turn::text("only one")]).await;
        assert_eq!(post_simple(&llm).await.status, StatusCode::OK);
        let reply = post_simple(&llm).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(reply.text.contains("the script ran out"), "{}", reply.text);
        let requests = llm.requests();
        assert_eq!(requests[1].outcome, Outcome::ScriptExhausted);
        llm.assert_no_violations();
    }
}

#[tokio::test]
async fn exhausted_script_can_repeat_the_last_turn() {
    let llm = MockLlm::builder(Flavor::OpenAi)
        .script(vec![Turn::rate_limited(Some(1)), Turn::text("steady")])
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    assert_eq!(
        post_simple(&llm).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    for _ in 0..3 {
        let reply = post_simple(&llm).await;
        assert_eq!(reply.json()["choices"][0]["message"]["content"], "steady");
    }
    assert_eq!(llm.turns_played(), 2);

    let empty = MockLlm::builder(Flavor::Anthropic)
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    assert_eq!(
        post_simple(&empty).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn delayed_turns_wait_before_answering() {
    let delay = Duration::from_millis(200);
    let llm = MockLlm::builder(Flavor::Anthropic)
        .turn(Turn::text("slow model").delayed(delay))
        .on_exhausted(OnExhausted::RepeatLast)
        .start()
        .await;
    let started = Instant::now();
    let reply = post_simple(&llm).await;
    assert!(
        started.elapsed() >= delay,
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(reply.json()["content"][0]["text"], "slow model");

    // Concurrent requests are all served (each waits its own delay).
    let started = Instant::now();
    let replies = futures_join(&llm, 4).await;
    assert!(replies.iter().all(|s| *s == StatusCode::OK));
    assert!(started.elapsed() >= delay);
    assert_eq!(llm.calls(), 5);
}

/// Sends `n` requests at once and returns their statuses.
async fn futures_join(llm: &MockLlm, n: usize) -> Vec<StatusCode> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let url = llm.endpoint_url();
        tasks.spawn(async move {
            client()
                .post(url)
                .header("x-api-key", "k")
                .header("anthropic-version", "2023-06-01")
                .json(&anthropic_hello())
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}

#[tokio::test]
async fn dropping_the_mock_stops_it() {
    let llm = MockLlm::start(Flavor::OpenAi, vec![]).await;
    let addr = llm.addr();
    drop(llm);
    // Give the aborted task a moment to release the listener.
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{addr} still accepts connections after drop");
}

#[tokio::test]
async fn without_kept_requests_calls_and_problems_are_still_counted() {
    let llm = MockLlm::builder(Flavor::Anthropic)
        .script(vec![Turn::text("fine")])
        .on_exhausted(OnExhausted::RepeatLast)
        .keep_requests(false)
        .start()
        .await;
    for _ in 0..3 {
        assert_eq!(post_simple(&llm).await.status, StatusCode::OK);
    }
    let bad =
        json!({"model": "m", "max_tokens": 8, "messages": [{"role": "assistant", "content": "x"}]});
    assert_eq!(
        post_anthropic(&llm, &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(llm.calls(), 4);
    assert!(llm.requests().is_empty());
    let violations = llm.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].starts_with("request 3: "), "{violations:?}");
}
