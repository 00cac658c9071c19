//! The OpenAI-compatible Chat Completions request shape (`openai-chat-completions.md`).

use std::collections::HashSet;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::{
    Report, check_model, check_no_stream, check_positive_int, header_str, id_list, messages,
    type_name, valid_tool_name,
};

/// `authorization: Bearer <key>` (and the configured key).
pub(super) fn headers(headers: &HeaderMap, api_key: Option<&str>, report: &mut Report) {
    match header_str(headers, header::AUTHORIZATION.as_str()) {
        None => report.auth("header `authorization: Bearer <key>` is missing"),
        Some(value) => match value.strip_prefix("Bearer ") {
            Some(key) if !key.trim().is_empty() => {
                if api_key.is_some_and(|want| want != key) {
                    report.auth("header `authorization` does not hold the configured key");
                }
            }
            _ => report.auth("header `authorization` must be `Bearer <key>`"),
        },
    }
}

/// `model`, token limits, `tools`, `tool_choice` and `messages`.
pub(super) fn body(obj: &Map<String, Value>, report: &mut Report) {
    check_model(obj, report);
    check_positive_int(obj, "max_tokens", false, report);
    check_positive_int(obj, "max_completion_tokens", false, report);
    check_no_stream(obj, report);
    let tools = openai_tools(obj.get("tools"), report);
    openai_tool_choice(obj.get("tool_choice"), &tools, report);
    let messages = messages(obj, report);
    openai_messages(messages, report);
}

fn openai_tools(tools: Option<&Value>, report: &mut Report) -> HashSet<String> {
    let mut names = HashSet::new();
    let tools = match tools {
        None => return names,
        Some(Value::Array(tools)) => tools,
        Some(other) => {
            report.shape(format!(
                "tools: expected an array, got {}",
                type_name(other)
            ));
            return names;
        }
    };
    for (i, tool) in tools.iter().enumerate() {
        let at = format!("tools.{i}");
        if tool.get("type").and_then(Value::as_str) != Some("function") {
            report.shape(format!("{at}.type: must be `function`"));
        }
        let Some(function) = tool.get("function").and_then(Value::as_object) else {
            report.shape(format!("{at}.function: expected an object"));
            continue;
        };
        match function.get("name").and_then(Value::as_str) {
            Some(name) if valid_tool_name(name) => {
                if !names.insert(name.to_owned()) {
                    report.shape(format!("{at}.function.name: `{name}` is declared twice"));
                }
            }
            Some(name) => report.shape(format!(
                "{at}.function.name: `{name}` does not match ^[a-zA-Z0-9_-]{{1,64}}$"
            )),
            None => report.shape(format!("{at}.function.name: field required")),
        }
        match function.get("parameters") {
            Some(Value::Object(schema)) => {
                if schema.get("type").and_then(Value::as_str) != Some("object") {
                    report.shape(format!(
                        "{at}.function.parameters: must have `\"type\": \"object\"`"
                    ));
                }
            }
            Some(other) => report.shape(format!(
                "{at}.function.parameters: expected a JSON Schema object, got {}",
                type_name(other)
            )),
            None => report.shape(format!("{at}.function.parameters: field required")),
        }
    }
    names
}

fn openai_tool_choice(choice: Option<&Value>, tools: &HashSet<String>, report: &mut Report) {
    match choice {
        None | Some(Value::Null) => {}
        Some(Value::String(mode)) => match mode.as_str() {
            "none" | "auto" => {}
            "required" => {
                if tools.is_empty() {
                    report.shape("tool_choice: `required` requires `tools`");
                }
            }
            other => report.shape(format!(
                "tool_choice: `{other}` is not one of none, auto, required"
            )),
        },
        Some(named) => {
            let name = named
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str);
            match (named.get("type").and_then(Value::as_str), name) {
                (Some("function"), Some(name)) if tools.contains(name) => {}
                (Some("function"), Some(name)) => report.shape(format!(
                    "tool_choice.function.name: `{name}` is not one of the declared tools"
                )),
                _ => report.shape(
                    "tool_choice: expected `none`, `auto`, `required` or \
                     `{\"type\":\"function\",\"function\":{\"name\":…}}`",
                ),
            }
        }
    }
}

/// Whether `content` is a string or an array of `{"type":"text","text":…}` parts.
fn is_text_content(content: &Value) -> bool {
    match content {
        Value::String(_) => true,
        Value::Array(parts) => parts.iter().all(|p| p.get("type").is_some()),
        _ => false,
    }
}

/// An assistant message with tool calls waiting for their `tool` messages.
struct OpenCalls {
    /// Index of the assistant message.
    at: usize,
    /// Ids not yet answered.
    unanswered: Vec<String>,
    /// All ids of the message.
    all: Vec<String>,
}

fn openai_messages(messages: &[Value], report: &mut Report) {
    let mut open: Option<OpenCalls> = None;
    for (i, message) in messages.iter().enumerate() {
        let at = format!("messages.{i}");
        let Some(role) = message.get("role").and_then(Value::as_str) else {
            report.shape(format!("{at}.role: field required"));
            continue;
        };
        if role == "tool" {
            openai_tool_message(message, open.as_mut(), &at, report);
            continue;
        }
        if let Some(calls) = open.take()
            && !calls.unanswered.is_empty()
        {
            report.shape(format!(
                "messages.{}: an assistant message with `tool_calls` must be followed by tool \
                 messages answering each `tool_call_id`; {} unanswered before {at}",
                calls.at,
                id_list(&calls.unanswered)
            ));
        }
        let content = message.get("content");
        match role {
            "system" | "developer" | "user" => match content {
                Some(c) if is_text_content(c) => {}
                Some(other) => report.shape(format!(
                    "{at}.content: expected a string or an array of content parts, got {}",
                    type_name(other)
                )),
                None => report.shape(format!("{at}.content: field required")),
            },
            "assistant" => {
                let ids = openai_tool_calls(message.get("tool_calls"), &at, report);
                let has_content = content.is_some_and(|c| !c.is_null());
                if content.is_some_and(|c| !c.is_null() && !is_text_content(c)) {
                    report.shape(format!("{at}.content: expected a string or null"));
                }
                if ids.is_empty() && !has_content {
                    report.shape(format!(
                        "{at}: an assistant message needs `content` unless it has `tool_calls`"
                    ));
                }
                if !ids.is_empty() {
                    open = Some(OpenCalls {
                        at: i,
                        unanswered: ids.clone(),
                        all: ids,
                    });
                }
            }
            other => report.shape(format!(
                "{at}.role: `{other}` is not one of system, developer, user, assistant, tool"
            )),
        }
    }
    if let Some(calls) = open
        && !calls.unanswered.is_empty()
    {
        report.shape(format!(
            "messages.{}: the conversation ends on `tool_calls` {} with no tool message",
            calls.at,
            id_list(&calls.unanswered)
        ));
    }
}

fn openai_tool_message(
    message: &Value,
    open: Option<&mut OpenCalls>,
    at: &str,
    report: &mut Report,
) {
    let Some(calls) = open else {
        report.shape(format!(
            "{at}: messages with role `tool` must be a response to a preceding message with \
             `tool_calls`"
        ));
        return;
    };
    match message.get("tool_call_id").and_then(Value::as_str) {
        Some(id) => {
            if let Some(pos) = calls.unanswered.iter().position(|u| u == id) {
                calls.unanswered.remove(pos);
            } else if calls.all.iter().any(|a| a == id) {
                report.shape(format!("{at}.tool_call_id: `{id}` is answered twice"));
            } else {
                report.shape(format!(
                    "{at}.tool_call_id: `{id}` matches no tool call of messages.{}",
                    calls.at
                ));
            }
        }
        None => report.shape(format!("{at}.tool_call_id: expected a string")),
    }
    match message.get("content") {
        Some(Value::String(_)) => {}
        Some(other) => report.shape(format!(
            "{at}.content: a tool message's content must be a string (serialize JSON \
             yourself), got {}",
            type_name(other)
        )),
        None => report.shape(format!("{at}.content: field required")),
    }
}

/// Checks an assistant message's `tool_calls` and returns their ids.
fn openai_tool_calls(tool_calls: Option<&Value>, at: &str, report: &mut Report) -> Vec<String> {
    let calls = match tool_calls {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(calls)) => calls,
        Some(other) => {
            report.shape(format!(
                "{at}.tool_calls: expected an array, got {}",
                type_name(other)
            ));
            return Vec::new();
        }
    };
    let mut ids = Vec::new();
    for (k, call) in calls.iter().enumerate() {
        let at = format!("{at}.tool_calls.{k}");
        match call.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => {
                if ids.iter().any(|seen| seen == id) {
                    report.shape(format!("{at}.id: `{id}` is used twice"));
                }
                ids.push(id.to_owned());
            }
            _ => report.shape(format!("{at}.id: expected a non-empty string")),
        }
        if call.get("type").and_then(Value::as_str) != Some("function") {
            report.shape(format!("{at}.type: must be `function`"));
        }
        let function = call.get("function");
        if !function
            .and_then(|f| f.get("name"))
            .is_some_and(Value::is_string)
        {
            report.shape(format!("{at}.function.name: expected a string"));
        }
        match function.and_then(|f| f.get("arguments")) {
            Some(Value::String(_)) => {}
            Some(other) => report.shape(format!(
                "{at}.function.arguments: must be a JSON-encoded string, got {}",
                type_name(other)
            )),
            None => report.shape(format!("{at}.function.arguments: field required")),
        }
    }
    ids
}
