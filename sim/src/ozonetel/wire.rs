//! Ozonetel's wire habits shared by every endpoint: the failure shapes (HTTP 200, the failure in
//! the body), JSON bodies read field by field, and the date-time format.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Ozonetel's date-time format for report windows, times and snapshots.
pub(crate) const DATE_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `{"status":"false","message":..., "data":null}` — the auth/token failure shape.
pub(crate) fn false_with_data(message: &str) -> Response {
    axum::Json(json!({"status": "false", "message": message, "data": Value::Null})).into_response()
}

/// `{"status":"false","message":...}` without `data` (the reports' shape).
pub(crate) fn false_plain(message: &str) -> Response {
    axum::Json(json!({"status": "false", "message": message})).into_response()
}

/// The answer to a JSON endpoint whose body is not a JSON object.
pub(crate) fn invalid_json() -> Response {
    false_plain("Invalid Json Pass Valid Json")
}

/// Parses a body as a JSON object; `None` for empty, invalid UTF-8/JSON or non-objects.
pub(crate) fn parse_object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A string field: `Ok(None)` when absent or null, `Err(())` when present with another type.
pub(crate) fn str_field<'a>(
    map: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ()> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(()),
    }
}
