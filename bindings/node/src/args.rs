//! JS arguments → Rust values. Every failure is an `INVALID_INPUT` `TypeError` naming the
//! argument (and, for option objects, the field path), never a panic or napi's generic error.

use chrono::{NaiveDate, NaiveDateTime};
use napi::bindgen_prelude::{FromNapiValue, Object, Uint8ArraySlice, Unknown, ValueType};
use napi::{Env, JsValue};
use serde::de::DeserializeOwned;

use crate::error::invalid;

/// How a JS type is named in messages.
pub(crate) fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        _ => "an unknown value",
    }
}

/// A required string argument. Emptiness is the core's to judge (it names the rule broken).
pub(crate) fn string(env: &Env, value: Unknown, name: &str) -> napi::Result<String> {
    match value.get_type()? {
        ValueType::String => String::from_unknown(value),
        other => Err(invalid(
            env,
            format!("{name} must be a string, got {}", type_name(other)),
        )),
    }
}

/// A required boolean argument.
pub(crate) fn boolean(env: &Env, value: Unknown, name: &str) -> napi::Result<bool> {
    match value.get_type()? {
        ValueType::Boolean => bool::from_unknown(value),
        other => Err(invalid(
            env,
            format!("{name} must be a boolean, got {}", type_name(other)),
        )),
    }
}

/// A required options object, deserialised field by field; errors name the field path
/// (`deepgram.apiKey: invalid type: integer `5`, expected a string`).
pub(crate) fn object<T: DeserializeOwned>(
    env: &Env,
    value: Unknown,
    name: &str,
) -> napi::Result<T> {
    let t = value.get_type()?;
    if t != ValueType::Object {
        return Err(invalid(
            env,
            format!("{name} must be an object, got {}", type_name(t)),
        ));
    }
    let object = Object::from_raw(env.raw(), value.raw());
    if object.is_array()? {
        return Err(invalid(
            env,
            format!("{name} must be an object, got an array"),
        ));
    }
    // JS → JSON-shaped value first, so serde_path_to_error can report where it went wrong.
    let json: serde_json::Value = env
        .from_js_value(value)
        .map_err(|e| invalid(env, format!("{name}: {}", e.reason)))?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            invalid(env, format!("{name}: {}", e.inner()))
        } else {
            invalid(env, format!("{name}.{path}: {}", e.inner()))
        }
    })
}

/// An optional options object: `undefined`/`null`/absent → the default.
pub(crate) fn optional_object<T: DeserializeOwned + Default>(
    env: &Env,
    value: Option<Unknown>,
    name: &str,
) -> napi::Result<T> {
    match value {
        None => Ok(T::default()),
        Some(v) if matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) => {
            Ok(T::default())
        }
        Some(v) => object(env, v, name),
    }
}

/// Audio bytes: a `Buffer` or a `Uint8Array` (a Buffer is one). Borrowed, not copied.
pub(crate) fn bytes<'a>(
    env: &Env,
    value: Unknown<'a>,
    name: &str,
) -> napi::Result<Uint8ArraySlice<'a>> {
    let t = value.get_type()?;
    let is_bytes = t == ValueType::Object && {
        let object = Object::from_raw(env.raw(), value.raw());
        object.is_typedarray()? || object.is_buffer()?
    };
    if is_bytes {
        // Other typed arrays (Int16Array, …) fail here and get the explanation below.
        if let Ok(slice) = Uint8ArraySlice::from_unknown(value) {
            return Ok(slice);
        }
    }
    Err(invalid(
        env,
        format!(
            "{name} must be a Buffer or Uint8Array, got {}; wrap other typed arrays as \
             new Uint8Array(a.buffer, a.byteOffset, a.byteLength)",
            if is_bytes {
                "another typed array"
            } else {
                type_name(t)
            }
        ),
    ))
}

/// Account-local date-time text: `YYYY-MM-DD HH:mm:ss` (a `T` separator is accepted).
pub(crate) fn date_time(text: &str, name: &str) -> Result<NaiveDateTime, helix_engage::Error> {
    let trimmed = text.trim().replacen('T', " ", 1);
    NaiveDateTime::parse_from_str(&trimmed, "%Y-%m-%d %H:%M:%S").map_err(|_| {
        helix_engage::Error::InvalidInput(format!(
            "{name} is {text:?}; use account-local time as YYYY-MM-DD HH:mm:ss"
        ))
    })
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn date(text: &str, name: &str) -> Result<NaiveDate, helix_engage::Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        helix_engage::Error::InvalidInput(format!("{name} is {text:?}; use YYYY-MM-DD"))
    })
}
