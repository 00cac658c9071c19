//! The Anthropic Messages request shape (`anthropic-messages.md`).

use std::collections::HashSet;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::{
    Report, check_model, check_no_stream, check_positive_int, header_str, id_list, messages,
    type_name, valid_tool_name,
};

/// `x-api-key` (and the configured key), `anthropic-version`.
pub(super) fn headers(headers: &HeaderMap, api_key: Option<&str>, report: &mut Report) {
    match header_str(headers, "x-api-key") {
        None | Some("") => report.auth("header `x-api-key` is missing"),
        Some(key) => {
            if api_key.is_some_and(|want| want != key) {
                report.auth("header `x-api-key` does not hold the configured key");
            }
        }
    }
    if headers.contains_key(header::AUTHORIZATION) && !headers.contains_key("x-api-key") {
        report.auth("the Messages API authenticates with `x-api-key`, not `authorization`");
    }
    match header_str(headers, "anthropic-version") {
        None | Some("") => {
            report.shape("header `anthropic-version` is missing (e.g. `2023-06-01`)")
        }
        Some(_) => {}
    }
}

/// `model`, `max_tokens`, `system`, `tools`, `tool_choice` and `messages`.
pub(super) fn body(obj: &Map<String, Value>, report: &mut Report) {
    check_model(obj, report);
    check_positive_int(obj, "max_tokens", true, report);
    check_no_stream(obj, report);
    anthropic_system(obj.get("system"), report);
    let tools = anthropic_tools(obj.get("tools"), report);
    anthropic_tool_choice(obj.get("tool_choice"), &tools, report);
    let messages = messages(obj, report);
    anthropic_messages(messages, report);
}

fn anthropic_system(system: Option<&Value>, report: &mut Report) {
    match system {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(blocks)) => {
            for (i, block) in blocks.iter().enumerate() {
                if block.get("type").and_then(Value::as_str) != Some("text")
                    || !block.get("text").is_some_and(Value::is_string)
                {
                    report.shape(format!(
                        "system.{i}: expected a `{{\"type\":\"text\",\"text\":…}}` block"
                    ));
                }
            }
        }
        Some(other) => report.shape(format!(
            "system: expected a string or an array of text blocks, got {}",
            type_name(other)
        )),
    }
}

/// Checks `tools` and returns the declared names.
fn anthropic_tools(tools: Option<&Value>, report: &mut Report) -> HashSet<String> {
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
        let Some(tool) = tool.as_object() else {
            report.shape(format!("{at}: expected an object"));
            continue;
        };
        match tool.get("name").and_then(Value::as_str) {
            Some(name) if valid_tool_name(name) => {
                if !names.insert(name.to_owned()) {
                    report.shape(format!("{at}.name: tool `{name}` is declared twice"));
                }
            }
            Some(name) => report.shape(format!(
                "{at}.name: `{name}` does not match ^[a-zA-Z0-9_-]{{1,64}}$"
            )),
            None => report.shape(format!("{at}.name: field required")),
        }
        // Anthropic-defined tools (`{"type": "web_search_20250305", …}`) carry no schema.
        let custom = tool
            .get("type")
            .and_then(Value::as_str)
            .is_none_or(|t| t == "custom");
        if custom {
            match tool.get("input_schema") {
                Some(Value::Object(schema)) => {
                    if schema.get("type").and_then(Value::as_str) != Some("object") {
                        report.shape(format!(
                            "{at}.input_schema: must have `\"type\": \"object\"`"
                        ));
                    }
                }
                Some(other) => report.shape(format!(
                    "{at}.input_schema: expected a JSON Schema object, got {}",
                    type_name(other)
                )),
                None => report.shape(format!("{at}.input_schema: field required")),
            }
        }
    }
    names
}

fn anthropic_tool_choice(choice: Option<&Value>, tools: &HashSet<String>, report: &mut Report) {
    let Some(choice) = choice else { return };
    let Some(kind) = choice.get("type").and_then(Value::as_str) else {
        report.shape("tool_choice: expected an object with a `type`");
        return;
    };
    match kind {
        "auto" | "none" => {}
        "any" => {
            if tools.is_empty() {
                report.shape("tool_choice: `any` requires `tools`");
            }
        }
        "tool" => match choice.get("name").and_then(Value::as_str) {
            Some(name) if tools.contains(name) => {}
            Some(name) => report.shape(format!(
                "tool_choice.name: `{name}` is not one of the declared tools"
            )),
            None => report.shape("tool_choice.name: field required for `\"type\": \"tool\"`"),
        },
        other => report.shape(format!(
            "tool_choice.type: `{other}` is not one of auto, any, tool, none"
        )),
    }
}

fn anthropic_messages(messages: &[Value], report: &mut Report) {
    let mut prev_role: Option<&str> = None;
    // tool_use ids of the previous message when it was an assistant message.
    let mut open: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let at = format!("messages.{i}");
        let role = message.get("role").and_then(Value::as_str);
        let role = match role {
            Some(role @ ("user" | "assistant")) => role,
            Some("system") => {
                report.shape(format!(
                    "{at}.role: `system` is not a message role; use the top-level `system` field"
                ));
                open.clear();
                prev_role = None;
                continue;
            }
            Some(other) => {
                report.shape(format!(
                    "{at}.role: `{other}` is not one of user, assistant"
                ));
                open.clear();
                prev_role = None;
                continue;
            }
            None => {
                report.shape(format!("{at}.role: field required"));
                open.clear();
                prev_role = None;
                continue;
            }
        };
        if i == 0 && role != "user" {
            report.shape(format!(
                "{at}.role: the first message must be `user`, got `{role}`"
            ));
        }
        if prev_role == Some(role) {
            report.shape(format!(
                "{at}.role: `{role}` follows `{role}`; roles must alternate user/assistant"
            ));
        }
        let blocks = anthropic_content(message.get("content"), &at, report);
        if role == "assistant" {
            if !open.is_empty() {
                report.shape(format!(
                    "{at}: tool_use ids {} of the previous assistant message have no tool_result",
                    id_list(&open)
                ));
            }
            open = anthropic_assistant_blocks(blocks, &at, report);
        } else {
            anthropic_user_blocks(blocks, &open, &at, report);
            open.clear();
        }
        prev_role = Some(role);
    }
    if !open.is_empty() {
        report.shape(format!(
            "messages.{}: the conversation ends on tool_use ids {} with no tool_result",
            messages.len().saturating_sub(1),
            id_list(&open)
        ));
    }
}

/// Checks `content` is a non-empty string or a non-empty array of blocks and returns the
/// blocks (empty for a string).
fn anthropic_content<'v>(content: Option<&'v Value>, at: &str, report: &mut Report) -> &'v [Value] {
    match content {
        Some(Value::String(text)) => {
            if text.is_empty() {
                report.shape(format!("{at}.content: must not be empty"));
            }
            &[]
        }
        Some(Value::Array(blocks)) => {
            if blocks.is_empty() {
                report.shape(format!("{at}.content: must not be empty"));
            }
            blocks
        }
        Some(other) => {
            report.shape(format!(
                "{at}.content: expected a string or an array of blocks, got {}",
                type_name(other)
            ));
            &[]
        }
        None => {
            report.shape(format!("{at}.content: field required"));
            &[]
        }
    }
}

/// The `type` of a block, reporting blocks that have none.
fn block_type<'v>(block: &'v Value, at: &str, report: &mut Report) -> Option<&'v str> {
    let kind = block.get("type").and_then(Value::as_str);
    if kind.is_none() {
        report.shape(format!("{at}: expected a content block with a `type`"));
    }
    kind
}

fn check_text_block(block: &Value, at: &str, report: &mut Report) {
    match block.get("text").and_then(Value::as_str) {
        Some("") => report.shape(format!("{at}: text content blocks must be non-empty")),
        Some(_) => {}
        None => report.shape(format!("{at}.text: expected a string")),
    }
}

/// Checks assistant blocks and returns their tool_use ids.
fn anthropic_assistant_blocks(blocks: &[Value], at: &str, report: &mut Report) -> Vec<String> {
    let mut ids = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let at = format!("{at}.content.{j}");
        match block_type(block, &at, report) {
            None => {}
            Some("text") => check_text_block(block, &at, report),
            Some("tool_use") => {
                match block.get("id").and_then(Value::as_str) {
                    Some(id) if !id.is_empty() => {
                        if ids.iter().any(|seen| seen == id) {
                            report.shape(format!("{at}.id: tool_use id `{id}` is used twice"));
                        }
                        ids.push(id.to_owned());
                    }
                    _ => report.shape(format!("{at}.id: expected a non-empty string")),
                }
                if !block.get("name").is_some_and(Value::is_string) {
                    report.shape(format!("{at}.name: expected a string"));
                }
                if !block.get("input").is_some_and(Value::is_object) {
                    report.shape(format!("{at}.input: expected an object"));
                }
            }
            Some("thinking") => {
                for field in ["thinking", "signature"] {
                    if !block.get(field).is_some_and(Value::is_string) {
                        report.shape(format!("{at}.{field}: expected a string"));
                    }
                }
            }
            Some("redacted_thinking" | "server_tool_use" | "web_search_tool_result") => {}
            Some("tool_result") => report.shape(format!(
                "{at}: `tool_result` blocks belong in user messages"
            )),
            Some(other) => report.shape(format!(
                "{at}.type: `{other}` is not an assistant content block type"
            )),
        }
    }
    ids
}

/// Checks user blocks against the tool_use ids of the preceding assistant message.
fn anthropic_user_blocks(blocks: &[Value], open: &[String], at: &str, report: &mut Report) {
    let mut answered: Vec<&str> = Vec::new();
    let mut seen_other = false;
    for (j, block) in blocks.iter().enumerate() {
        let at_block = format!("{at}.content.{j}");
        match block_type(block, &at_block, report) {
            None => {}
            Some("tool_result") => {
                if seen_other {
                    report.shape(format!(
                        "{at_block}: tool_result blocks must come before any other content"
                    ));
                }
                match block.get("tool_use_id").and_then(Value::as_str) {
                    Some(id) => {
                        if !open.iter().any(|o| o == id) {
                            report.shape(format!(
                                "{at_block}: unexpected `tool_use_id` `{id}` in a tool_result block: \
                                 it matches no tool_use block in the previous message"
                            ));
                        } else if answered.contains(&id) {
                            report.shape(format!("{at_block}: tool_use `{id}` is answered twice"));
                        }
                        answered.push(id);
                    }
                    None => report.shape(format!("{at_block}.tool_use_id: expected a string")),
                }
                match block.get("content") {
                    None | Some(Value::String(_) | Value::Array(_)) => {}
                    Some(other) => report.shape(format!(
                        "{at_block}.content: expected a string or an array of blocks, got {}",
                        type_name(other)
                    )),
                }
                if block.get("is_error").is_some_and(|e| !e.is_boolean()) {
                    report.shape(format!("{at_block}.is_error: expected a boolean"));
                }
            }
            Some("text") => {
                seen_other = true;
                check_text_block(block, &at_block, report);
            }
            Some("image" | "document" | "search_result") => seen_other = true,
            Some(kind @ ("tool_use" | "thinking" | "redacted_thinking")) => {
                seen_other = true;
                report.shape(format!(
                    "{at_block}: `{kind}` blocks belong in assistant messages"
                ));
            }
            Some(other) => {
                seen_other = true;
                report.shape(format!(
                    "{at_block}.type: `{other}` is not a user content block type"
                ));
            }
        }
    }
    let missing: Vec<String> = open
        .iter()
        .filter(|id| !answered.contains(&id.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        report.shape(format!(
            "{at}: tool_use ids {} of the previous assistant message have no tool_result",
            id_list(&missing)
        ));
    }
}
