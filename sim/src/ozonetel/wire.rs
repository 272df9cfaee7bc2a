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

/// The named string fields of a JSON body, trimmed ("" when absent or null). A non-string
/// value is a client bug (UCIDs lose precision as JSON numbers), answered like a non-JSON
/// body instead of being coerced.
#[allow(clippy::result_large_err)]
pub(crate) fn str_fields<'a>(
    map: &'a serde_json::Map<String, Value>,
    keys: &[&'static str],
) -> Result<std::collections::HashMap<&'static str, &'a str>, Response> {
    let mut out = std::collections::HashMap::new();
    for key in keys {
        match str_field(map, key) {
            Ok(v) => {
                out.insert(*key, v.unwrap_or("").trim());
            }
            Err(()) => return Err(invalid_json()),
        }
    }
    Ok(out)
}

/// A flag that may arrive as a JSON bool or as the text `true`/`false` (Ozonetel's examples
/// use both): `Ok(None)` when absent, null or empty, `Err(())` for anything else.
pub(crate) fn flag_field(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<bool>, ()> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(()),
    }
}

/// An `application/x-www-form-urlencoded` body as a map (later keys win); malformed
/// percent-escapes are kept as they are.
pub(crate) fn parse_form(body: &[u8]) -> std::collections::HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            // Byte-wise: slicing the text could split a multi-byte character.
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The digits of a phone number, and its national part (the last 10 digits, or all of them
/// when shorter).
pub(crate) fn national(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(10)..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode_plus_and_percent_escapes_and_keep_bad_escapes() {
        let f = parse_form(b"userName=acme&phoneNumber=%2B91+98765&x=100%&y=%zz&z=%C3%A9&flag");
        assert_eq!(f["userName"], "acme");
        assert_eq!(f["phoneNumber"], "+91 98765");
        assert_eq!(f["x"], "100%");
        assert_eq!(f["y"], "%zz");
        assert_eq!(f["z"], "é");
        assert_eq!(f["flag"], "");
    }

    #[test]
    fn flags_accept_bools_and_their_text_only() {
        let map = parse_object(br#"{"a":true,"b":"False","c":"","d":1}"#).unwrap_or_default();
        assert_eq!(flag_field(&map, "a"), Ok(Some(true)));
        assert_eq!(flag_field(&map, "b"), Ok(Some(false)));
        assert_eq!(flag_field(&map, "c"), Ok(None));
        assert_eq!(flag_field(&map, "missing"), Ok(None));
        assert_eq!(flag_field(&map, "d"), Err(()));
    }
}
