//! The answer's content for the requested `response_format`: a value built from the client's
//! JSON schema (so it validates against whatever reasonable schema is sent; the schemas the
//! library names get their fields from [`named`]), a fixed
//! `{"suggestions": […]}` object for `json_object`, or a numbered list for text.

use serde_json::{Map, Value, json};

use super::named;
use super::schema::resolve;
use super::suggest::{Context, last_user};

/// The assistant message's content for a validated request.
pub(super) fn content(req: &Map<String, Value>) -> String {
    let ctx = Context::from_messages(req.get("messages"));
    match req.get("response_format") {
        Some(rf) if rf["type"] == "json_schema" => {
            let schema = &rf["json_schema"]["schema"];
            let mut value = generate(schema, schema, "", 0, &ctx, 0);
            let name = rf["json_schema"]["name"].as_str().unwrap_or_default();
            named::apply(name, schema, &mut value, &last_user(req.get("messages")));
            value.to_string()
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
    use super::super::schema::check_strict;
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
}
