//! Core futures → JS Promises, and JS callbacks callable from the runtime's threads.

use std::future::Future;

use napi::bindgen_prelude::{FromNapiValue, Function, PromiseRaw, ToNapiValue, Unknown, ValueType};
use napi::threadsafe_function::{ThreadsafeFunction, UnknownReturnValue};
use napi::{Env, Status};
use serde::Serialize;

use crate::error::{invalid, to_napi};

/// A JS callback taking one JSON-shaped argument, callable from any thread. Dropping the last
/// clone releases it, and with it the hold it keeps on Node's event loop.
pub(crate) type JsCallback =
    ThreadsafeFunction<serde_json::Value, UnknownReturnValue, serde_json::Value, Status, false>;

/// Runs `fut` on napi's runtime; resolves with its value as JSON-shaped JS, or rejects with the
/// core error mapped by [`to_napi`].
pub(crate) fn settle<'env, T, F>(
    env: &'env Env,
    fut: F,
) -> napi::Result<PromiseRaw<'env, Unknown<'env>>>
where
    T: Serialize + Send + 'static,
    F: Future<Output = helix_engage::Result<T>> + Send + 'static,
{
    settle_with(env, fut, |env, value| env.to_js_value(&value))
}

/// [`settle`] with a custom conversion of the value (a class instance, for example), run on
/// the JS thread.
pub(crate) fn settle_with<'env, T, V, F, M>(
    env: &'env Env,
    fut: F,
    convert: M,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = helix_engage::Result<T>> + Send + 'static,
    M: FnOnce(&'env Env, T) -> napi::Result<V> + 'static,
{
    // The future itself never fails at the napi level: the core's error travels as a value so
    // the JS error object can be built where JS objects can be built — on the JS thread.
    env.spawn_future_with_callback(
        async move { Ok(fut.await) },
        move |env, outcome| match outcome {
            Ok(value) => convert(env, value),
            Err(err) => Err(to_napi(env, &err)),
        },
    )
}

/// An optional callback argument: `undefined`/`null` → `None`, a function → a thread-safe
/// handle, anything else → `INVALID_INPUT`.
pub(crate) fn optional_callback(
    env: &Env,
    value: Option<Unknown>,
    name: &str,
) -> napi::Result<Option<JsCallback>> {
    let Some(value) = value else { return Ok(None) };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        ValueType::Function => {
            let function: Function<serde_json::Value, UnknownReturnValue> =
                Function::from_unknown(value)?;
            Ok(Some(
                function
                    .build_threadsafe_function::<serde_json::Value>()
                    .build()?,
            ))
        }
        other => Err(invalid(
            env,
            format!(
                "{name} must be a function, got {}",
                crate::args::type_name(other)
            ),
        )),
    }
}

/// A Promise already rejected with `err` (argument errors of async methods reject rather than
/// throw, so `.catch()` and `await` see every failure the same way).
pub(crate) fn rejected<'env, V: ToNapiValue + 'static>(
    env: &'env Env,
    err: napi::Error,
) -> napi::Result<PromiseRaw<'env, V>> {
    env.spawn_future_with_callback(async { Ok(()) }, move |_, ()| Err::<V, _>(err))
}

/// `{ value, done }`, the async-iterator protocol's result: `None` means done.
pub(crate) fn iterator_result<'env, T: Serialize>(
    env: &'env Env,
    item: Option<T>,
) -> napi::Result<napi::bindgen_prelude::Object<'env>> {
    use napi::bindgen_prelude::{JsObjectValue, Object};
    let mut result = Object::new(env)?;
    match item {
        Some(value) => {
            result.set_named_property("value", env.to_js_value(&value)?)?;
            result.set_named_property("done", false)?;
        }
        None => {
            result.set_named_property("value", ())?;
            result.set_named_property("done", true)?;
        }
    }
    Ok(result)
}

/// Unwraps an argument conversion inside an async method, returning a rejected Promise on
/// failure.
macro_rules! arg {
    ($env:expr, $conversion:expr) => {
        match $conversion {
            Ok(value) => value,
            Err(err) => return $crate::promise::rejected($env, err),
        }
    };
}
pub(crate) use arg;
