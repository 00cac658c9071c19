//! The validator against the documented examples and hand-made bad requests.

use axum::http::HeaderValue;
use serde_json::json;

use super::*;

fn anthropic_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-api-key", HeaderValue::from_static("k"));
    h.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h
}

fn openai_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer k"));
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h
}

/// A documented example request, copied into `tests/fixtures/llm/`.
fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/llm/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn messages_of(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.message.as_str()).collect()
}

#[test]
fn documented_anthropic_fixtures_pass() {
    for name in ["request_with_tools.json", "request_tool_result_turn.json"] {
        let body = fixture(&format!("anthropic/{name}"));
        let problems = check(
            Flavor::Anthropic,
            &anthropic_headers(),
            Ok(&body),
            Some("k"),
        );
        assert!(problems.is_empty(), "{name}: {:?}", messages_of(&problems));
    }
}

#[test]
fn documented_openai_fixtures_pass() {
    for name in [
        "request_with_tools.json",
        "request_tool_result_turn.json",
        "request_json_schema.json",
    ] {
        let body = fixture(&format!("openai-chat/{name}"));
        let problems = check(Flavor::OpenAi, &openai_headers(), Ok(&body), Some("k"));
        assert!(problems.is_empty(), "{name}: {:?}", messages_of(&problems));
    }
}

#[test]
fn anthropic_tool_result_must_answer_the_previous_tool_use() {
    let body = json!({
        "model": "m", "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "a", "name": "t", "input": {}},
                {"type": "tool_use", "id": "b", "name": "t", "input": {}}
            ]},
            {"role": "user", "content": [
                {"type": "text", "text": "here"},
                {"type": "tool_result", "tool_use_id": "a", "content": "x"},
                {"type": "tool_result", "tool_use_id": "zzz", "content": "x"}
            ]}
        ]
    });
    let problems = check(Flavor::Anthropic, &anthropic_headers(), Ok(&body), None);
    let text = messages_of(&problems).join("\n");
    assert!(
        text.contains("messages.2.content.1: tool_result blocks must come before"),
        "{text}"
    );
    assert!(text.contains("`zzz`"), "{text}");
    assert!(
        text.contains("tool_use ids `b` of the previous assistant message have no tool_result"),
        "{text}"
    );
    assert!(problems.iter().all(|p| p.kind == Kind::Shape));
}

#[test]
fn anthropic_headers_and_tools_are_checked() {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("Bearer k"));
    let body = json!({
        "model": "", "max_tokens": 0,
        "tools": [{"name": "bad name!", "input_schema": "object"}, {"name": "x"}],
        "tool_choice": {"type": "tool", "name": "nope"},
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": ""}]
    });
    let problems = check(Flavor::Anthropic, &headers, Ok(&body), None);
    let text = messages_of(&problems).join("\n");
    for want in [
        "`x-api-key` is missing",
        "`anthropic-version` is missing",
        "content-type",
        "model:",
        "max_tokens:",
        "tools.0.name",
        "tools.0.input_schema",
        "tools.1.input_schema: field required",
        "tool_choice.name",
        "`system` is not a message role",
        "messages.1.content: must not be empty",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(problems.iter().any(|p| p.kind == Kind::Auth));
}

#[test]
fn openai_tool_messages_must_follow_their_call() {
    let body = json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": "x", "content": "early"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "t", "arguments": {"a": 1}}},
                {"id": "c2", "type": "function", "function": {"name": "t", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": {"not": "a string"}},
            {"role": "user", "content": "next"}
        ],
        "tools": [{"type": "function", "function": {"name": "t"}}]
    });
    let problems = check(Flavor::OpenAi, &openai_headers(), Ok(&body), None);
    let text = messages_of(&problems).join("\n");
    for want in [
        "messages.1: messages with role `tool` must be a response",
        "messages.2.tool_calls.0.function.arguments: must be a JSON-encoded string",
        "messages.3.content: a tool message's content must be a string",
        "messages.2: an assistant message with `tool_calls` must be followed",
        "`c2`",
        "tools.0.function.parameters: field required",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn openai_auth_is_checked() {
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let mut headers = openai_headers();
    let problems = check(Flavor::OpenAi, &headers, Ok(&body), Some("other"));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, Kind::Auth);
    headers.insert("authorization", HeaderValue::from_static("Basic abc"));
    let problems = check(Flavor::OpenAi, &headers, Ok(&body), None);
    assert_eq!(
        messages_of(&problems),
        ["header `authorization` must be `Bearer <key>`"]
    );
}

#[test]
fn tool_names_follow_the_documented_pattern() {
    assert!(valid_tool_name("lookup_ip-reputation2"));
    assert!(!valid_tool_name(""));
    assert!(!valid_tool_name("a.b"));
    assert!(!valid_tool_name(&"a".repeat(65)));
}
