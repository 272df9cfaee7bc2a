//! The OpenAI chat-completions stand-in: `POST /v1/chat/completions`.
//!
//! It checks what OpenAI checks (bearer key, model, messages, response_format with a strict JSON
//! schema) with OpenAI's error shape, and answers deterministic agent suggestions derived from the
//! last transcript lines of the last user message. With a JSON schema the answer is generated from
//! the schema itself, so it validates against whatever (reasonable) schema the client sends.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::Shared;
use crate::faults::{Dialect, Endpoint, http_fault, lock};
use crate::record::RecordedRequest;

/// OpenAI-style error response.
fn api_error(
    status: StatusCode,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    (
        status,
        axum::Json(json!({"error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }})),
    )
        .into_response()
}

fn bad_request(message: &str, param: Option<&str>, code: Option<&str>) -> Response {
    api_error(StatusCode::BAD_REQUEST, message, param, code)
}

fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// `POST /v1/chat/completions`
pub(crate) async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rec = RecordedRequest::new(
        &method,
        "/v1/chat/completions",
        None,
        &headers,
        &body,
        shared.clock.now(),
    );
    lock(&shared.openai).push(rec);
    if let Some(fault) = shared.faults.take(Endpoint::OpenaiChat) {
        let mut shutdown = shared.shutdown.clone();
        if let Some(resp) = http_fault(fault, Dialect::OpenAi, &mut shutdown).await {
            return resp;
        }
    }
    let key = shared.openai_key.as_str();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    let Some(presented) = auth.strip_prefix("Bearer ").map(str::trim) else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            None,
            None,
        );
    };
    if presented != key {
        return api_error(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask_key(presented)
            ),
            None,
            Some("invalid_api_key"),
        );
    }
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but \
             what was sent was not valid JSON.)",
            None,
            None,
        );
    };
    match validate(&req) {
        Ok(()) => {}
        Err(resp) => return resp,
    }
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let ctx = Context::from_messages(req.get("messages"));
    let content = match req.get("response_format") {
        Some(rf) if rf["type"] == "json_schema" => {
            let schema = &rf["json_schema"]["schema"];
            generate(schema, schema, "", 0, &ctx, 0).to_string()
        }
        Some(rf) if rf["type"] == "json_object" => json!({"suggestions": ctx
            .texts
            .iter()
            .zip(["answer", "question", "action"])
            .map(|(t, k)| json!({"kind": k, "text": t}))
            .collect::<Vec<_>>()})
        .to_string(),
        _ => ctx
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{}. {t}", i + 1))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let seq = lock(&shared.openai).len();
    let id = format!("chatcmpl-sim{seq:08}");
    let created = shared.clock.now().timestamp();
    let prompt_tokens = body.len().div_ceil(4);
    let completion_tokens = content.len().div_ceil(4);
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        return axum::Json(json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
            "system_fingerprint": "fp_sim",
        }))
        .into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": "fp_sim",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    )];
    let chars: Vec<char> = content.chars().collect();
    for piece in chars.chunks(16) {
        let s: String = piece.iter().collect();
        events.push(chunk(json!({"content": s}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    let include_usage = req
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if include_usage {
        events.push(json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }));
    }
    let mut body = String::new();
    for e in events {
        body.push_str("data: ");
        body.push_str(&e.to_string());
        body.push_str("\n\n");
    }
    body.push_str("data: [DONE]\n\n");
    (
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
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

/// Structured Outputs' strict-mode rules: every object closes `additionalProperties` and
/// requires every property.
fn check_strict(schema: &Value, root: &Value, ctx: &str, depth: usize) -> Result<(), String> {
    if depth > 16 {
        return Ok(());
    }
    let schema = resolve(schema, root);
    let is_object = match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => schema.get("properties").is_some(),
    };
    if is_object {
        if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(format!(
                "In context={ctx}, 'additionalProperties' is required to be supplied and to be \
                 false."
            ));
        }
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for key in props.keys() {
            if !required.contains(&key.as_str()) {
                return Err(format!(
                    "In context={ctx}, 'required' is required to be supplied and to be an array \
                     including every key in properties. Missing '{key}'."
                ));
            }
        }
        for (key, sub) in &props {
            check_strict(sub, root, &format!("('properties', '{key}')"), depth + 1)?;
        }
    }
    if let Some(items) = schema.get("items") {
        check_strict(items, root, &format!("{ctx}, 'items'"), depth + 1)?;
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            for b in branches {
                check_strict(b, root, ctx, depth + 1)?;
            }
        }
    }
    Ok(())
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str)
        && let Some(path) = r.strip_prefix("#/")
    {
        let mut cur = root;
        for part in path.split('/') {
            match cur.get(part) {
                Some(next) => cur = next,
                None => return schema,
            }
        }
        return cur;
    }
    schema
}

fn message_text(m: &Value) -> String {
    match m.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// What the suggestions are derived from.
struct Context {
    /// Suggestion texts, in order.
    texts: Vec<String>,
    /// The line the suggestions answer.
    focus: String,
}

impl Context {
    fn from_messages(messages: Option<&Value>) -> Self {
        let last_user = messages
            .and_then(Value::as_array)
            .and_then(|ms| ms.iter().rev().find(|m| m["role"] == "user"))
            .map(message_text)
            .unwrap_or_default();
        let lines: Vec<&str> = last_user
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        // Transcript lines look like "Speaker: words"; fall back to any line.
        let speaker_of = |l: &str| -> Option<String> {
            let (who, rest) = l.split_once(':')?;
            let who = who.trim().trim_start_matches(['[', '-', '*', ' ']);
            let plausible = !who.is_empty()
                && who.len() <= 24
                && who
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '_' || c == ']');
            (plausible && !rest.trim().is_empty()).then(|| who.to_ascii_lowercase())
        };
        let transcript: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| speaker_of(l).is_some())
            .collect();
        let pool = if transcript.is_empty() {
            lines.clone()
        } else {
            transcript
        };
        let recent: Vec<&str> = pool.iter().rev().take(3).rev().copied().collect();
        let focus_line = recent
            .iter()
            .rev()
            .find(|l| speaker_of(l).is_some_and(|s| s.contains("customer") || s.contains("caller")))
            .or(recent.last())
            .copied()
            .unwrap_or("");
        let focus = match focus_line.split_once(':') {
            Some((who, rest)) if speaker_of(focus_line).is_some() && !who.is_empty() => {
                rest.trim().to_string()
            }
            _ => focus_line.to_string(),
        };
        let snippet: String = focus.chars().take(80).collect();
        let lower = focus.to_ascii_lowercase();
        let answer = if ["cost", "price", "fee", "charge", "how much"]
            .iter()
            .any(|k| lower.contains(k))
        {
            "Share the price range for what they asked about and offer to send a detailed quote."
        } else if ["insurance", "cover", "claim"]
            .iter()
            .any(|k| lower.contains(k))
        {
            "Confirm which insurance providers are accepted and what the coverage includes."
        } else if ["appointment", "slot", "book", "schedule", "visit"]
            .iter()
            .any(|k| lower.contains(k))
        {
            "Offer the next available appointment slots and confirm a time."
        } else if focus.is_empty() {
            "Greet the customer and confirm their name and reason for calling."
        } else {
            "Acknowledge the request and confirm the details back to the customer."
        };
        let texts = if focus.is_empty() {
            vec![answer.to_string()]
        } else {
            vec![
                answer.to_string(),
                format!("Ask a follow-up about: \"{snippet}\""),
                format!("Note on the lead: customer said \"{snippet}\""),
            ]
        };
        Context { texts, focus }
    }
}

/// Builds a value that validates against `schema` (objects, arrays, strings, enums, numbers,
/// booleans, `$ref`, `anyOf`), filling text fields with the suggestion texts.
fn generate(
    schema: &Value,
    root: &Value,
    name: &str,
    idx: usize,
    ctx: &Context,
    depth: usize,
) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    let schema = resolve(schema, root);
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.is_empty()
    {
        return options[idx % options.len()].clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            let pick = branches
                .iter()
                .find(|b| resolve(b, root).get("type") != Some(&json!("null")))
                .or(branches.first());
            if let Some(b) = pick {
                return generate(b, root, name, idx, ctx, depth + 1);
            }
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, sub) in props {
                    out.insert(k.clone(), generate(sub, root, k, idx, ctx, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let max = schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX);
            let wanted = (ctx.texts.len() as u64).clamp(min, max.max(min)).min(50);
            let items = schema
                .get("items")
                .cloned()
                .unwrap_or(json!({"type": "string"}));
            Value::Array(
                (0..wanted as usize)
                    .map(|i| generate(&items, root, name, i, ctx, depth + 1))
                    .collect(),
            )
        }
        "integer" => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
        "number" => {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let max = schema.get("maximum").and_then(Value::as_f64).unwrap_or(1.0);
            json!(if (min..=max).contains(&0.9) { 0.9 } else { min })
        }
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => {
            let n = name.to_ascii_lowercase();
            let text = if [
                "text", "suggest", "content", "message", "reply", "summary", "title", "answer",
            ]
            .iter()
            .any(|k| n.contains(k))
                || n.is_empty()
            {
                ctx.texts[idx % ctx.texts.len()].clone()
            } else if n.contains("reason") || n.contains("why") || n.contains("quote") {
                format!(
                    "Based on: \"{}\"",
                    ctx.focus.chars().take(80).collect::<String>()
                )
            } else {
                format!("{n} {}", idx + 1)
            };
            Value::String(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_schema_gets_rotating_enum_kinds_and_transcript_text() {
        let schema = json!({"type": "object", "additionalProperties": false, "required": ["suggestions"],
            "properties": {"suggestions": {"type": "array", "items": {"type": "object",
                "additionalProperties": false, "required": ["kind", "text"],
                "properties": {"kind": {"type": "string", "enum": ["answer", "question", "action"]},
                               "text": {"type": "string"}}}}}});
        assert!(check_strict(&schema, &schema, "()", 0).is_ok());
        let msgs = json!([{"role": "user", "content": "Transcript:\nAgent: Hello\nCustomer: How much does the knee surgery cost?"}]);
        let ctx = Context::from_messages(Some(&msgs));
        let v = generate(&schema, &schema, "", 0, &ctx, 0);
        let items = v["suggestions"].as_array().expect("array");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["kind"], "answer");
        assert_eq!(items[1]["kind"], "question");
        assert!(items[0]["text"].as_str().unwrap_or("").contains("price"));
        assert!(
            items[1]["text"]
                .as_str()
                .unwrap_or("")
                .contains("knee surgery cost")
        );
    }

    #[test]
    fn strict_schema_without_additional_properties_is_refused() {
        let schema =
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]});
        assert!(check_strict(&schema, &schema, "()", 0).is_err());
    }
}
