//! JS arguments → Rust values. Every failure is an `INVALID_INPUT` `TypeError` naming the
//! argument (and, for option objects, the field path), never a panic or napi's generic error.

use helix_engage::text::short;
use napi::bindgen_prelude::{
    FromNapiValue, JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter, Object,
    Uint8ArraySlice, Unknown, ValueType,
};
use napi::{Env, JsValue};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

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

/// A required count (a page size): an integer 0..=u32::MAX; its range is the core's to judge.
pub(crate) fn page_size(env: &Env, value: Unknown, name: &str) -> napi::Result<u32> {
    let t = value.get_type()?;
    if t != ValueType::Number {
        return Err(invalid(
            env,
            format!("{name} must be a number, got {}", type_name(t)),
        ));
    }
    let n = f64::from_unknown(value)?;
    if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
        return Err(invalid(
            env,
            format!("{name} must be a whole number of records, got {n}"),
        ));
    }
    Ok(n as u32)
}

/// A required duration in milliseconds: a whole number 0..=2^53; its range is the core's to
/// judge.
pub(crate) fn millis(env: &Env, value: Unknown, name: &str) -> napi::Result<u64> {
    let t = value.get_type()?;
    if t != ValueType::Number {
        return Err(invalid(
            env,
            format!(
                "{name} must be a number of milliseconds, got {}",
                type_name(t)
            ),
        ));
    }
    let n = f64::from_unknown(value)?;
    if n.fract() != 0.0 || !(0.0..=MAX_SAFE).contains(&n) {
        return Err(invalid(
            env,
            format!("{name} must be a whole number of milliseconds, got {n}"),
        ));
    }
    Ok(n as u64)
}

/// A required array, deserialised element by element; errors name the element
/// (`agentIds[2]: invalid type: integer `5`, expected a string`).
pub(crate) fn array<T: DeserializeOwned>(env: &Env, value: Unknown, name: &str) -> napi::Result<T> {
    let t = value.get_type()?;
    let is_array = t == ValueType::Object && Object::from_raw(env.raw(), value.raw()).is_array()?;
    if !is_array {
        return Err(invalid(
            env,
            format!("{name} must be an array, got {}", type_name(t)),
        ));
    }
    deserialize(env, value, name)
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
    deserialize(env, value, name)
}

/// JS → JSON → `T`, errors naming the path below `name`.
fn deserialize<T: DeserializeOwned>(env: &Env, value: Unknown, name: &str) -> napi::Result<T> {
    // JS → JSON-shaped value first, so serde_path_to_error can report where it went wrong.
    let json = to_json(env, value, name, 0).map_err(|message| invalid(env, message))?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        // The path names the field, which for an unknown one is the caller's key, as long as
        // they made it; serde quotes the offending value whole (`unknown variant "…10 MB…"`).
        // Keep the start of each.
        let path = short(&e.path().to_string(), 200);
        let inner = short(&e.inner().to_string(), 200);
        if path == "." {
            invalid(env, format!("{name}: {inner}"))
        } else if path.starts_with('[') {
            // An array's element: `agentIds[1]`, not `agentIds.[1]`.
            invalid(env, format!("{name}{path}: {inner}"))
        } else {
            invalid(env, format!("{name}.{path}: {inner}"))
        }
    })
}

/// How deep an options object may nest (the deepest real one is 3).
const MAX_DEPTH: usize = 16;
/// The most elements an array option may hold (keyterms, lead history, …).
const MAX_ELEMENTS: u32 = 10_000;
/// The most keys an object option may hold (`extraParams`, …).
const MAX_KEYS: u32 = 1_000;
/// Integers up to 2^53 are exact in JS; larger ones are already rounded and stay floats, so
/// they fail as "expected an integer" instead of saturating into a huge valid-looking value.
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// Converts a JS value to JSON the way an option object is meant: own enumerable string keys,
/// `undefined` members left out, numbers exact (NaN and ±Infinity refused), no functions,
/// symbols, bigints or binary data, bounded depth (cycles end there), and getters or proxy
/// traps that throw reported as `INVALID_INPUT` with their exception cleared. napi's own
/// `from_js_value` saturates 1e300 into i64::MAX, turns NaN into null (the default!) and
/// recurses without bound.
fn to_json(env: &Env, value: Unknown, path: &str, depth: usize) -> Result<Value, String> {
    let t = value
        .get_type()
        .map_err(|_| format!("{path} cannot be read"))?;
    Ok(match t {
        ValueType::Undefined | ValueType::Null => Value::Null,
        ValueType::Boolean => {
            Value::Bool(bool::from_unknown(value).map_err(|_| format!("{path} cannot be read"))?)
        }
        ValueType::Number => {
            let n = f64::from_unknown(value).map_err(|_| format!("{path} cannot be read"))?;
            if !n.is_finite() {
                return Err(format!("{path} must be a finite number, got {n}"));
            }
            if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
                // Exact: |n| ≤ 2^53 fits i64 without rounding.
                Value::Number(Number::from(n as i64))
            } else {
                Number::from_f64(n)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        ValueType::String => Value::String(
            String::from_unknown(value).map_err(|_| format!("{path} cannot be read"))?,
        ),
        ValueType::Object => {
            if depth >= MAX_DEPTH {
                return Err(format!(
                    "{path} nests deeper than {MAX_DEPTH} levels (a cycle?)"
                ));
            }
            let object = Object::from_raw(env.raw(), value.raw());
            let read = |r: napi::Result<bool>| r.unwrap_or(false);
            if read(object.is_typedarray())
                || read(object.is_buffer())
                || read(object.is_arraybuffer())
                || read(object.is_dataview())
            {
                return Err(format!("{path} is binary data; expected a plain value"));
            }
            if read(object.is_array()) {
                let len = object.get_array_length().map_err(|_| thrown(env, path))?;
                if len > MAX_ELEMENTS {
                    return Err(format!("{path} has {len} elements; at most {MAX_ELEMENTS}"));
                }
                let mut items = Vec::with_capacity(len as usize);
                for i in 0..len {
                    let item: Unknown = object
                        .get_element(i)
                        .map_err(|_| thrown(env, &format!("{path}[{i}]")))?;
                    items.push(to_json(env, item, &format!("{path}[{i}]"), depth + 1)?);
                }
                Value::Array(items)
            } else {
                let keys = object
                    .get_all_property_names(
                        KeyCollectionMode::OwnOnly,
                        KeyFilter::Enumerable,
                        KeyConversion::NumbersToStrings,
                    )
                    .map_err(|_| thrown(env, path))?;
                let len = keys.get_array_length().map_err(|_| thrown(env, path))?;
                if len > MAX_KEYS {
                    return Err(format!("{path} has {len} keys; at most {MAX_KEYS}"));
                }
                let mut map = Map::new();
                for i in 0..len {
                    let key: Unknown = keys.get_element(i).map_err(|_| thrown(env, path))?;
                    if key.get_type().ok() != Some(ValueType::String) {
                        continue; // symbol keys are not options
                    }
                    let name = String::from_unknown(key).map_err(|_| thrown(env, path))?;
                    let member_path = format!("{path}.{}", short(&name, 40));
                    let member: Unknown = object
                        .get_property(key)
                        .map_err(|_| thrown(env, &member_path))?;
                    if member.get_type().ok() == Some(ValueType::Undefined) {
                        continue;
                    }
                    map.insert(name, to_json(env, member, &member_path, depth + 1)?);
                }
                Value::Object(map)
            }
        }
        other => {
            return Err(format!(
                "{path} must be a plain value, got {}",
                type_name(other)
            ));
        }
    })
}

/// Clears the exception a getter or proxy trap threw while `path` was read, and says so. The
/// exception is replaced by the binding's own `INVALID_INPUT` error, as documented.
fn thrown(env: &Env, path: &str) -> String {
    let mut pending = false;
    // SAFETY: plain N-API calls on the env of the current call, on the JS thread; the
    // cleared exception value is not used.
    unsafe {
        napi::sys::napi_is_exception_pending(env.raw(), &mut pending);
        if pending {
            let mut exception = std::ptr::null_mut();
            napi::sys::napi_get_and_clear_last_exception(env.raw(), &mut exception);
        }
    }
    if pending {
        format!("reading {path} threw an exception")
    } else {
        format!("{path} cannot be read")
    }
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
