//! The boundary every entry point goes through: one panic boundary, one way to read each kind
//! of argument (handle, string, byte buffer, out-parameter), one way to hand strings and handles
//! out. Entry points only convert and call the core.

use std::ffi::{CStr, CString, c_char};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::runtime::Runtime;

use crate::error::{Failure, FfiResult, clear_last_error, helix_status, set_last_error};

/// Runs the body of an entry point: clears the thread's last error, catches any panic
/// (→ `HELIX_PANIC`, never an abort), and turns a failure into its status plus the thread's
/// last-error message. Every `extern "C"` function's body runs inside it, through [`ffi!`].
pub(crate) fn boundary(body: impl FnOnce() -> FfiResult) -> helix_status {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => helix_status::HELIX_OK,
        Ok(Err(failure)) => {
            set_last_error(&failure.message, failure.refusal);
            failure.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            set_last_error(
                &format!(
                    "internal error (a bug in helix-engage, please report it): {what}; free the \
                     handle this call was made on"
                ),
                crate::error::helix_agent_refusal::HELIX_REFUSAL_NONE,
            );
            helix_status::HELIX_PANIC
        }
    }
}

/// Wraps an entry point's body in [`boundary`]: `ffi! { ...; Ok(()) }`. `?` works inside.
macro_rules! ffi {
    ($($body:tt)*) => {
        $crate::ffi::boundary(move || -> $crate::error::FfiResult { $($body)* })
    };
}
pub(crate) use ffi;

/// `&T` from a handle pointer argument; NULL → `HELIX_NULL_POINTER` naming the argument.
macro_rules! arg_ref {
    ($ptr:ident) => {{
        // SAFETY: the header requires a non-NULL handle pointer to come from the matching
        // `_new`/`_start` function and not to have been freed; NULL is checked inside.
        unsafe { $crate::ffi::try_ref($ptr, stringify!($ptr)) }?
    }};
}
pub(crate) use arg_ref;

/// `&str` from a required string argument: NULL → `HELIX_NULL_POINTER`, bad UTF-8 →
/// `HELIX_INVALID_UTF8`, both naming the argument.
macro_rules! arg_str {
    ($ptr:expr, $name:expr) => {{
        // SAFETY: the header requires a non-NULL string argument to be NUL-terminated and to
        // stay valid and unchanged for the duration of the call; NULL is checked inside.
        unsafe { $crate::ffi::try_str($ptr, $name) }?
    }};
    ($ptr:ident) => {
        $crate::ffi::arg_str!($ptr, stringify!($ptr))
    };
}
pub(crate) use arg_str;

/// `Option<&str>` from an optional string argument (NULL → `None`); bad UTF-8 →
/// `HELIX_INVALID_UTF8`.
macro_rules! arg_opt_str {
    ($ptr:expr, $name:expr) => {{
        if $ptr.is_null() {
            None
        } else {
            Some($crate::ffi::arg_str!($ptr, $name))
        }
    }};
    ($ptr:ident) => {
        $crate::ffi::arg_opt_str!($ptr, stringify!($ptr))
    };
}
pub(crate) use arg_opt_str;

/// `&[u8]` from a pointer and a length: NULL with a non-zero length → `HELIX_NULL_POINTER`.
macro_rules! arg_bytes {
    ($ptr:ident, $len:ident) => {{
        // SAFETY: the header requires `$ptr` to point at `$len` readable bytes that stay
        // unchanged for the duration of the call; NULL is checked inside.
        unsafe { $crate::ffi::try_bytes($ptr, $len, stringify!($ptr)) }?
    }};
}
pub(crate) use arg_bytes;

/// A required out-parameter, checked for NULL before any work is done and written only when
/// the call succeeds (the write is the body's last step).
macro_rules! arg_out {
    ($ptr:ident) => {{ $crate::ffi::Out::required($ptr, stringify!($ptr))? }};
}
pub(crate) use arg_out;

/// An optional out-parameter: NULL means the caller does not want the value.
macro_rules! arg_opt_out {
    ($ptr:ident) => {{ $crate::ffi::Out::optional($ptr) }};
}
pub(crate) use arg_opt_out;

/// # Safety
/// `ptr` is NULL or points at a live `T` for the lifetime `'a`.
pub(crate) unsafe fn try_ref<'a, T>(ptr: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: guaranteed by the caller; `as_ref` handles NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// # Safety
/// `ptr` is NULL or points at a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn try_str<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL and NUL-terminated, guaranteed by the caller.
    let raw = unsafe { CStr::from_ptr(ptr) };
    raw.to_str().map_err(|e| {
        Failure::new(
            helix_status::HELIX_INVALID_UTF8,
            format!(
                "`{name}` is not valid UTF-8 (bad byte at offset {}); pass UTF-8 text",
                e.valid_up_to()
            ),
        )
    })
}

/// # Safety
/// `ptr` is NULL or points at `len` readable bytes valid for `'a`.
pub(crate) unsafe fn try_bytes<'a>(ptr: *const u8, len: usize, name: &str) -> FfiResult<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(null(name)) };
    }
    // SAFETY: non-NULL and `len` bytes readable, guaranteed by the caller. `len` fits an
    // allocation because the caller's buffer is one.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

fn null(name: &str) -> Failure {
    Failure::new(
        helix_status::HELIX_NULL_POINTER,
        format!("`{name}` is NULL; pass a valid pointer"),
    )
}

/// An out-parameter that is written at most once, on success.
pub(crate) struct Out<T> {
    ptr: *mut T,
}

impl<T> Out<T> {
    pub(crate) fn required(ptr: *mut T, name: &str) -> FfiResult<Out<T>> {
        if ptr.is_null() {
            Err(null(name))
        } else {
            Ok(Out { ptr })
        }
    }

    pub(crate) fn optional(ptr: *mut T) -> Out<T> {
        Out { ptr }
    }

    fn wanted(&self) -> bool {
        !self.ptr.is_null()
    }

    /// Writes the value (a no-op for an optional out-parameter the caller left NULL).
    pub(crate) fn write(self, value: T) {
        if !self.ptr.is_null() {
            // SAFETY: the header requires a non-NULL out-parameter to point at writable,
            // properly aligned storage for a `T`; `write` does not read or drop the old value.
            unsafe { self.ptr.write(value) };
        }
    }
}

impl Out<*mut c_char> {
    /// Writes `value` as a JSON string (released with `helix_string_free`) when the caller
    /// asked for it; a NULL optional out-parameter skips the encoding too.
    pub(crate) fn write_json<V: serde::Serialize + ?Sized>(self, value: &V) -> FfiResult {
        if self.wanted() {
            self.write(json_string(value)?);
        }
        Ok(())
    }
}

/// A string for C, released with `helix_string_free`.
pub(crate) fn c_string(text: String) -> FfiResult<*mut c_char> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Failure::new(helix_status::HELIX_PROTOCOL, "text holds a NUL byte"))
}

/// A value as a JSON string for C, released with `helix_string_free`.
pub(crate) fn json_string<T: serde::Serialize + ?Sized>(value: &T) -> FfiResult<*mut c_char> {
    let text = serde_json::to_string(value).map_err(|e| {
        Failure::new(
            helix_status::HELIX_PROTOCOL,
            format!("cannot encode the result as JSON: {e}"),
        )
    })?;
    c_string(text)
}

/// Runs a future to completion on the handle's runtime, on the calling thread.
///
/// Refuses (instead of panicking inside tokio) when the caller is itself inside an async
/// runtime, e.g. a Rust host calling through the C ABI from an async task.
pub(crate) fn block_on<F: Future>(runtime: &Runtime, future: F) -> FfiResult<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Failure::invalid(
            "a blocking helix_* call was made from inside an async runtime; call it from a \
             plain thread",
        ));
    }
    Ok(runtime.block_on(future))
}

/// The runtime a handle owns: a small multi-threaded tokio runtime whose workers run the
/// background tasks (connection pools, the live-assist session); blocking calls drive their own
/// future on the calling thread. Dropping it waits a bounded time for its threads.
pub(crate) struct HandleRuntime(Option<Runtime>);

impl HandleRuntime {
    pub(crate) fn new(name: &str) -> FfiResult<HandleRuntime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .on_thread_start(block_sigpipe)
            .enable_all()
            .build()
            .map(|rt| HandleRuntime(Some(rt)))
            .map_err(|e| {
                Failure::new(
                    helix_status::HELIX_TRANSPORT,
                    format!("cannot start the I/O runtime: {e}"),
                )
            })
    }
}

/// Blocks SIGPIPE on the calling thread (one of a handle's runtime threads, where the HTTP
/// connections write).
///
/// A Rust binary ignores SIGPIPE from startup; a C host keeps the default action, which kills
/// the process. A server that closes a connection while a request is still being written (the
/// simulator did, answering 413 to a 10 MB query field) then made hyper's vectored write
/// (`writev`, which has no `MSG_NOSIGNAL`) raise SIGPIPE and killed the host, instead of the
/// call failing. A blocked SIGPIPE stays pending on this thread and the write fails with
/// `EPIPE`, which the call reports. Per thread, so the host's own handling is untouched.
fn block_sigpipe() {
    #[cfg(unix)]
    // SAFETY: `set` is a local sigset_t initialised by sigemptyset before use;
    // pthread_sigmask only changes this thread's mask and accepts a NULL old-set pointer.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

impl std::ops::Deref for HandleRuntime {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        self.0
            .as_ref()
            .expect("the runtime is only taken when dropped")
    }
}

impl Drop for HandleRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            // Bounded: a task stuck in a blocking call must not hang the host's free().
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
        }
    }
}

/// Moves a value to the heap for C to hold as an opaque handle.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops a handle made by [`into_handle`]; NULL is a no-op. The whole of every
/// handle's `_free`: the drop runs inside the panic boundary, so a panicking `Drop` never
/// unwinds into C.
///
/// # Safety
/// `ptr` is NULL or came from [`into_handle`] with the same `T` and has not been freed.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    let _ = ffi! {
        if !ptr.is_null() {
            // SAFETY: guaranteed by the caller.
            drop(unsafe { Box::from_raw(ptr) });
        }
        Ok(())
    };
}

/// Frees a string this library returned (a JSON result or summary). NULL is a no-op.
///
/// Only pass strings that came out of a `helix_*` out-parameter, exactly once.
#[unsafe(no_mangle)]
pub extern "C" fn helix_string_free(s: *mut c_char) {
    let _ = ffi! {
        if !s.is_null() {
            // SAFETY: the header requires `s` to be a string returned by this library (made
            // with `CString::into_raw`) and not freed yet.
            drop(unsafe { CString::from_raw(s) });
        }
        Ok(())
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error_text as last_error;
    use std::ptr;

    #[test]
    fn a_panic_becomes_helix_panic_with_a_message() {
        let status = ffi! {
            panic!("boom");
        };
        assert_eq!(status, helix_status::HELIX_PANIC);
        assert!(last_error().contains("boom"), "{}", last_error());
        // The next call clears it.
        assert_eq!(ffi! { Ok(()) }, helix_status::HELIX_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn string_arguments_are_checked_once() {
        fn take(s: *const c_char) -> helix_status {
            ffi! {
                let _ = arg_str!(s);
                Ok(())
            }
        }
        assert_eq!(take(ptr::null()), helix_status::HELIX_NULL_POINTER);
        assert!(last_error().contains("`s` is NULL"));
        let bad = b"ab\xff\0";
        assert_eq!(take(bad.as_ptr().cast()), helix_status::HELIX_INVALID_UTF8);
        assert!(last_error().contains("offset 2"), "{}", last_error());
        assert_eq!(take(c"fine".as_ptr()), helix_status::HELIX_OK);
    }

    #[test]
    fn out_parameters_are_written_only_on_success() {
        fn produce(fail: bool, out: *mut *mut c_char) -> helix_status {
            ffi! {
                let out = arg_out!(out);
                if fail {
                    return Err(Failure::invalid("no"));
                }
                out.write(c_string("yes".into())?);
                Ok(())
            }
        }
        let mut out: *mut c_char = ptr::null_mut();
        assert_eq!(produce(true, &mut out), helix_status::HELIX_INVALID_INPUT);
        assert!(out.is_null());
        assert_eq!(
            produce(false, ptr::null_mut()),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(produce(false, &mut out), helix_status::HELIX_OK);
        // SAFETY: written by `produce` just above.
        assert_eq!(unsafe { CStr::from_ptr(out) }.to_str().unwrap(), "yes");
        helix_string_free(out);
        helix_string_free(ptr::null_mut());
    }

    #[test]
    fn byte_buffers_allow_null_only_when_empty() {
        fn take(p: *const u8, n: usize) -> helix_status {
            ffi! {
                let _ = arg_bytes!(p, n);
                Ok(())
            }
        }
        assert_eq!(take(ptr::null(), 0), helix_status::HELIX_OK);
        assert_eq!(take(ptr::null(), 3), helix_status::HELIX_NULL_POINTER);
        assert_eq!(take(b"abc".as_ptr(), 3), helix_status::HELIX_OK);
    }

    #[test]
    fn blocking_from_inside_a_runtime_is_refused_not_a_panic() {
        let outer = HandleRuntime::new("t").unwrap();
        let inner = HandleRuntime::new("u").unwrap();
        let refused = outer.block_on(async { block_on(&inner, async {}).is_err() });
        assert!(refused);
        assert_eq!(block_on(&inner, async { 7 }).unwrap(), 7);
    }

    /// Whether SIGPIPE is blocked on the calling thread.
    #[cfg(unix)]
    fn sigpipe_blocked() -> bool {
        // SAFETY: `mask` is a local sigset_t that pthread_sigmask fills (a NULL new set only
        // reads the mask); sigismember reads it.
        unsafe {
            let mut mask: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, ptr::null(), &mut mask);
            libc::sigismember(&mask, libc::SIGPIPE) == 1
        }
    }

    /// The write that once killed a C host (the simulator closing a connection while a 10 MB
    /// CDR query was still being written: `writev`, SIGPIPE) happens on the runtime's threads;
    /// there SIGPIPE must be blocked, on the worker threads and the blocking pool alike.
    #[cfg(unix)]
    #[test]
    fn sigpipe_is_blocked_on_every_runtime_thread() {
        let rt = HandleRuntime::new("sigpipe").unwrap();
        let (worker, pool) = rt.block_on(async {
            let worker = tokio::spawn(async { sigpipe_blocked() }).await.unwrap();
            let pool = tokio::task::spawn_blocking(sigpipe_blocked).await.unwrap();
            (worker, pool)
        });
        assert!(worker && pool, "worker {worker}, blocking pool {pool}");
    }
}
