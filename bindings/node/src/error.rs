//! The one place a core error becomes a JS error.
//!
//! Every failure reaches JS as a real `Error` object carrying `code` (the core's code,
//! upper-cased: `INVALID_INPUT`, `AUTH`, …). Invalid input is a `TypeError`, as Node's own APIs
//! throw for bad arguments. Fields a caller acts on (`service` on `AUTH` and `API`,
//! `refusal` on `AGENT_STATE`, `httpStatus`, `retryAfterMs`) ride along as properties. The object is built on the JS thread and handed to napi as a
//! reference, so napi rejects or throws with it verbatim instead of inventing its own code.

use helix_engage::{Error, ErrorCode};
use napi::bindgen_prelude::{JsObjectValue, Object, Unknown};
use napi::{Env, JsError, JsTypeError, JsValue};

/// The JS `code` of a core error: its stable name, upper-cased.
pub(crate) fn code_of(err: &Error) -> String {
    err.code().as_str().to_ascii_uppercase()
}

/// Builds the JS error for `err` on the JS thread and wraps it so napi throws/rejects with it.
pub(crate) fn to_napi(env: &Env, err: &Error) -> napi::Error {
    let reason = napi::Error::new(code_of(err), err.to_string());
    let value: Unknown = if err.code() == ErrorCode::InvalidInput {
        JsTypeError::from(reason).into_unknown(*env)
    } else {
        JsError::from(reason).into_unknown(*env)
    };
    // Extra fields are a convenience: if setting one fails, the error with its code stands.
    let mut object = Object::from_raw(env.raw(), value.raw());
    // `AUTH` and `API` name the upstream (`ozonetel`, `deepgram`, `openai`).
    if let Some(service) = err.service() {
        let _ = object.set_named_property("service", service);
    }
    // `AGENT_STATE`: why the agent could not act (`in_acw`, `not_logged_in`, …), what a desk
    // UI switches on.
    if let Some(refusal) = err.agent_refusal() {
        let _ = object.set_named_property("refusal", refusal.as_str());
    }
    match err {
        Error::Api {
            http_status: Some(status),
            ..
        } => {
            let _ = object.set_named_property("httpStatus", u32::from(*status));
        }
        Error::RateLimited {
            retry_after: Some(wait),
            ..
        } => {
            let ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
            let _ = object.set_named_property("retryAfterMs", ms);
        }
        _ => {}
    }
    napi::Error::from(value)
}

/// An `INVALID_INPUT` error for an argument the binding could not convert.
pub(crate) fn invalid(env: &Env, message: impl Into<String>) -> napi::Error {
    to_napi(env, &Error::InvalidInput(message.into()))
}

/// Any core error, ready to throw from a synchronous method.
pub(crate) fn throw(env: &Env, err: Error) -> napi::Error {
    to_napi(env, &err)
}
