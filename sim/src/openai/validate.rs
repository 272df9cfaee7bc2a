//! What OpenAI refuses before generating: the body, `model`, `messages`, `stream` and
//! `response_format` (strict JSON schemas through [`super::schema::check_strict`]), each with
//! OpenAI's message, `param` and `code`.

use axum::response::Response;
use serde_json::{Map, Value};

use super::error::bad_request;
use super::schema::check_strict;
use super::suggest::message_text;

/// The request body as a JSON object that passed every check.
#[allow(clippy::result_large_err)]
pub(super) fn request(body: &[u8]) -> Result<Map<String, Value>, Response> {
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_request(
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but \
             what was sent was not valid JSON.)",
            None,
            None,
        ));
    };
    validate(&req)?;
    Ok(req)
}

const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

#[allow(clippy::result_large_err)]
fn validate(req: &Map<String, Value>) -> Result<(), Response> {
    match req.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => {}
        _ => {
            return Err(bad_request(
                "you must provide a model parameter",
                None,
                None,
            ));
        }
    }
    let messages = match req.get("messages") {
        None | Some(Value::Null) => {
            return Err(bad_request(
                "Missing required parameter: 'messages'.",
                Some("messages"),
                Some("missing_required_parameter"),
            ));
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(bad_request(
                "Invalid type for 'messages': expected an array of objects.",
                Some("messages"),
                Some("invalid_type"),
            ));
        }
    };
    if messages.is_empty() {
        return Err(bad_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an \
             empty array instead.",
            Some("messages"),
            Some("empty_array"),
        ));
    }
    for (i, m) in messages.iter().enumerate() {
        let Some(obj) = m.as_object() else {
            return Err(bad_request(
                &format!("Invalid type for 'messages[{i}]': expected an object."),
                Some(&format!("messages[{i}]")),
                Some("invalid_type"),
            ));
        };
        let role = match obj.get("role") {
            Some(Value::String(r)) => r.as_str(),
            _ => {
                return Err(bad_request(
                    &format!("Missing required parameter: 'messages[{i}].role'."),
                    Some(&format!("messages[{i}].role")),
                    Some("missing_required_parameter"),
                ));
            }
        };
        if !ROLES.contains(&role) {
            return Err(bad_request(
                &format!(
                    "Invalid value: '{role}'. Supported values are: 'system', 'assistant', \
                     'user', 'function', 'tool', and 'developer'."
                ),
                Some(&format!("messages[{i}].role")),
                Some("invalid_value"),
            ));
        }
        let content_ok = match obj.get("content") {
            Some(Value::String(_)) => true,
            Some(Value::Array(parts)) => parts.iter().all(|p| p.get("type").is_some()),
            // An assistant turn may carry only tool calls.
            None | Some(Value::Null) => role == "assistant",
            Some(_) => false,
        };
        if !content_ok {
            return Err(bad_request(
                &format!("Missing required parameter: 'messages[{i}].content'."),
                Some(&format!("messages[{i}].content")),
                Some("missing_required_parameter"),
            ));
        }
    }
    if let Some(stream) = req.get("stream")
        && !stream.is_boolean()
        && !stream.is_null()
    {
        return Err(bad_request(
            "Invalid type for 'stream': expected a boolean.",
            Some("stream"),
            Some("invalid_type"),
        ));
    }
    if let Some(rf) = req.get("response_format") {
        validate_response_format(rf, messages)?;
    }
    Ok(())
}

#[allow(clippy::result_large_err)]
fn validate_response_format(rf: &Value, messages: &[Value]) -> Result<(), Response> {
    match rf.get("type").and_then(Value::as_str) {
        Some("text") => Ok(()),
        Some("json_object") => {
            let mentions_json = messages
                .iter()
                .any(|m| message_text(m).to_ascii_lowercase().contains("json"));
            if mentions_json {
                Ok(())
            } else {
                Err(bad_request(
                    "'messages' must contain the word 'json' in some form, to use \
                     'response_format' of type 'json_object'.",
                    Some("messages"),
                    None,
                ))
            }
        }
        Some("json_schema") => {
            let js = &rf["json_schema"];
            let name = match js.get("name") {
                Some(Value::String(n)) => n.as_str(),
                _ => {
                    return Err(bad_request(
                        "Missing required parameter: 'response_format.json_schema.name'.",
                        Some("response_format.json_schema.name"),
                        Some("missing_required_parameter"),
                    ));
                }
            };
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !name_ok {
                return Err(bad_request(
                    &format!(
                        "Invalid 'response_format.json_schema.name': string does not match \
                         pattern. Expected a string that matches the pattern \
                         '^[a-zA-Z0-9_-]+$', but got '{name}'."
                    ),
                    Some("response_format.json_schema.name"),
                    Some("invalid_value"),
                ));
            }
            let Some(schema) = js.get("schema").filter(|s| s.is_object()) else {
                return Err(bad_request(
                    &format!(
                        "Invalid schema for response_format '{name}': schema must be a JSON \
                         Schema of 'type: \"object\"'."
                    ),
                    Some("response_format"),
                    None,
                ));
            };
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return Err(bad_request(
                    &format!(
                        "Invalid schema for response_format '{name}': schema must be a JSON \
                         Schema of 'type: \"object\"', got 'type: \"{}\"'.",
                        schema.get("type").and_then(Value::as_str).unwrap_or("None")
                    ),
                    Some("response_format"),
                    None,
                ));
            }
            if js.get("strict").and_then(Value::as_bool) == Some(true)
                && let Err(why) = check_strict(schema, schema, "()", 0)
            {
                return Err(bad_request(
                    &format!("Invalid schema for response_format '{name}': {why}"),
                    Some("response_format"),
                    None,
                ));
            }
            Ok(())
        }
        other => Err(bad_request(
            &format!(
                "Invalid value: '{}'. Supported values are: 'json_object', 'json_schema', and \
                 'text'.",
                other.unwrap_or("None")
            ),
            Some("response_format.type"),
            Some("invalid_value"),
        )),
    }
}
