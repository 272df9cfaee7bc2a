//! JSON Schema helpers shared by validation (strict mode) and generation (`$ref`).

use serde_json::Value;

/// Structured Outputs' strict-mode rules: every object closes `additionalProperties` and
/// requires every property.
pub(super) fn check_strict(
    schema: &Value,
    root: &Value,
    ctx: &str,
    depth: usize,
) -> Result<(), String> {
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

/// Follows a local `$ref` (`#/…`); anything else is the schema itself.
pub(super) fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_schema_without_additional_properties_is_refused() {
        let schema =
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]});
        assert!(check_strict(&schema, &schema, "()", 0).is_err());
    }
}
