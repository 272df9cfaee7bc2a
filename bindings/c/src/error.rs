//! `helix_status`, the thread-local last-error message, and the mapping from the core's
//! [`helix_engage::Error`].

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString, c_char};

use helix_engage::{AgentRefusal, Error, ErrorCode};

/// What every `helix_*` function returns. `HELIX_OK` is 0; anything else is a failure and
/// `helix_last_error()` on the same thread says what happened and what to do.
///
/// `HELIX_INVALID_INPUT` … `HELIX_CLOSED` and `HELIX_AGENT_STATE` are the core library's error
/// codes (the same ones the Node module reports as `err.code`); `HELIX_NULL_POINTER` …
/// `HELIX_PANIC` are the C boundary's own. New codes are added at the end: values never move.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum helix_status {
    /// Success; out-parameters were written.
    HELIX_OK = 0,
    /// An argument cannot be used (empty UCID, a phone number that cannot be normalised, an
    /// action value outside `helix_call_action`, malformed JSON…). Nothing was sent.
    HELIX_INVALID_INPUT = 1,
    /// Credentials were refused. Retrying will not help; fix the configuration.
    HELIX_AUTH = 2,
    /// The service understood the request and refused it (`Call not Found`, …); the message
    /// carries the service's own words.
    HELIX_API = 3,
    /// A rate limit was hit (upstream 429, or Ozonetel's 10 tokens an hour). Wait, then retry.
    HELIX_RATE_LIMITED = 4,
    /// No answer in time; the request may or may not have been applied.
    HELIX_TIMEOUT = 5,
    /// The connection failed (refused, reset, TLS, DNS). Usually worth retrying later.
    HELIX_TRANSPORT = 6,
    /// The service answered something this library cannot read.
    HELIX_PROTOCOL = 7,
    /// The session or transfer is already finished (stopped, completed, cancelled).
    HELIX_CLOSED = 8,
    /// A required pointer argument was NULL.
    HELIX_NULL_POINTER = 9,
    /// A string argument is not valid UTF-8.
    HELIX_INVALID_UTF8 = 10,
    /// A bug inside the library was caught at the boundary (a Rust panic). The process is
    /// intact, but the handle the call was made on should be freed and not used again.
    HELIX_PANIC = 11,
    /// Ozonetel refused an agent's action because of the agent's state (not logged in, in
    /// ACW, busy, not available, the number in use by another agent).
    /// `helix_last_agent_refusal()` says which; retrying as is will not help — change the
    /// agent's state first (dispose the call, `helix_agent_force_ready`, log in).
    HELIX_AGENT_STATE = 12,
}

/// Why Ozonetel refused an agent's action, from `helix_last_agent_refusal()` after a
/// `HELIX_AGENT_STATE` failure.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_agent_refusal {
    /// The last call did not fail with `HELIX_AGENT_STATE`.
    HELIX_REFUSAL_NONE = 0,
    /// The agent is not logged in.
    HELIX_REFUSAL_NOT_LOGGED_IN = 1,
    /// Another agent is logged in with this phone number.
    HELIX_REFUSAL_NUMBER_IN_USE = 2,
    /// A manual dial found the agent not logged in, not Ready, or not in manual/blended mode
    /// (Ozonetel does not say which).
    HELIX_REFUSAL_NOT_AVAILABLE = 3,
    /// The agent is in after-call work: dispose the call, or `helix_agent_force_ready`.
    HELIX_REFUSAL_IN_ACW = 4,
    /// The agent is on a call.
    HELIX_REFUSAL_BUSY = 5,
    /// A reason this header does not know yet; the message says it.
    HELIX_REFUSAL_OTHER = 100,
}

impl helix_agent_refusal {
    fn of(refusal: AgentRefusal) -> helix_agent_refusal {
        match refusal {
            AgentRefusal::NotLoggedIn => helix_agent_refusal::HELIX_REFUSAL_NOT_LOGGED_IN,
            AgentRefusal::NumberInUse => helix_agent_refusal::HELIX_REFUSAL_NUMBER_IN_USE,
            AgentRefusal::NotAvailable => helix_agent_refusal::HELIX_REFUSAL_NOT_AVAILABLE,
            AgentRefusal::InAcw => helix_agent_refusal::HELIX_REFUSAL_IN_ACW,
            AgentRefusal::Busy => helix_agent_refusal::HELIX_REFUSAL_BUSY,
            // `AgentRefusal` is non-exhaustive: a reason added later is still a refusal.
            _ => helix_agent_refusal::HELIX_REFUSAL_OTHER,
        }
    }
}

impl helix_status {
    /// Every status, in value order.
    const ALL: [helix_status; 13] = [
        helix_status::HELIX_OK,
        helix_status::HELIX_INVALID_INPUT,
        helix_status::HELIX_AUTH,
        helix_status::HELIX_API,
        helix_status::HELIX_RATE_LIMITED,
        helix_status::HELIX_TIMEOUT,
        helix_status::HELIX_TRANSPORT,
        helix_status::HELIX_PROTOCOL,
        helix_status::HELIX_CLOSED,
        helix_status::HELIX_NULL_POINTER,
        helix_status::HELIX_INVALID_UTF8,
        helix_status::HELIX_PANIC,
        helix_status::HELIX_AGENT_STATE,
    ];

    /// The constant's name without the `HELIX_` prefix, lower case: `ok`, `invalid_input`, …
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            helix_status::HELIX_OK => c"ok",
            helix_status::HELIX_INVALID_INPUT => c"invalid_input",
            helix_status::HELIX_AUTH => c"auth",
            helix_status::HELIX_API => c"api",
            helix_status::HELIX_RATE_LIMITED => c"rate_limited",
            helix_status::HELIX_TIMEOUT => c"timeout",
            helix_status::HELIX_TRANSPORT => c"transport",
            helix_status::HELIX_PROTOCOL => c"protocol",
            helix_status::HELIX_CLOSED => c"closed",
            helix_status::HELIX_NULL_POINTER => c"null_pointer",
            helix_status::HELIX_INVALID_UTF8 => c"invalid_utf8",
            helix_status::HELIX_PANIC => c"panic",
            helix_status::HELIX_AGENT_STATE => c"agent_state",
        }
    }
}

/// Why a call failed, on its way to becoming a status and a last-error message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: helix_status,
    pub(crate) message: String,
    /// For `HELIX_AGENT_STATE`: why.
    pub(crate) refusal: helix_agent_refusal,
}

impl Failure {
    pub(crate) fn new(status: helix_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            refusal: helix_agent_refusal::HELIX_REFUSAL_NONE,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Failure::new(helix_status::HELIX_INVALID_INPUT, message)
    }

    pub(crate) fn closed(message: impl Into<String>) -> Self {
        Failure::new(helix_status::HELIX_CLOSED, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let mut failure = Failure::new(status_of(&e), e.to_string());
        if let Some(refusal) = e.agent_refusal() {
            failure.refusal = helix_agent_refusal::of(refusal);
        }
        failure
    }
}

/// The one mapping from the core's error codes to `helix_status`.
pub(crate) fn status_of(e: &Error) -> helix_status {
    match e.code() {
        ErrorCode::InvalidInput => helix_status::HELIX_INVALID_INPUT,
        ErrorCode::Auth => helix_status::HELIX_AUTH,
        ErrorCode::Api => helix_status::HELIX_API,
        ErrorCode::RateLimited => helix_status::HELIX_RATE_LIMITED,
        ErrorCode::Timeout => helix_status::HELIX_TIMEOUT,
        ErrorCode::Transport => helix_status::HELIX_TRANSPORT,
        ErrorCode::Protocol => helix_status::HELIX_PROTOCOL,
        ErrorCode::Closed => helix_status::HELIX_CLOSED,
        ErrorCode::AgentState => helix_status::HELIX_AGENT_STATE,
        // `ErrorCode` is non-exhaustive: a code added later is still a refusal with a message.
        _ => helix_status::HELIX_API,
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Failure>;

/// Why a JSON argument could not be read, without the value serde would quote: "invalid type:
/// string \"+9198…\", expected a sequence" would put a lead's or caller's number into a
/// message, so such errors keep only what was expected and where. Field names (unknown,
/// duplicate) stay: they name what to fix. At most 200 characters.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match (text.split_once(": "), text.rsplit_once(", expected ")) {
        (Some((kind, _)), Some((_, expected)))
            if matches!(kind, "invalid type" | "invalid value" | "invalid length") =>
        {
            format!("{kind}, expected {expected}")
        }
        _ => text,
    };
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Parses a JSON argument the header documents as an object into `T`, or says why not (as
/// [`json_error`] does). serde's derived structs also take a JSON array, field by field in
/// declaration order (`["Asha","+919876543210"]` was a lead); no caller means that, so anything
/// but an object is refused before serde sees it.
pub(crate) fn from_json_object<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    if !json.trim_start().starts_with('{') {
        return Err("expected a JSON object".into());
    }
    serde_json::from_str(json).map_err(|e| json_error(&e))
}

/// A config word the binding itself refuses (a preset or redaction name), as its message
/// quotes it: escaped and at most 40 characters, so a huge argument never becomes a huge
/// message. Only for those names; the core quotes everything else it refuses.
pub(crate) fn quote(input: &str) -> String {
    match input.char_indices().nth(40) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &input[..cut], input.len()),
        None => format!("{input:?}"),
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    static LAST_REFUSAL: Cell<helix_agent_refusal> =
        const { Cell::new(helix_agent_refusal::HELIX_REFUSAL_NONE) };
}

pub(crate) fn set_last_error(message: &str, refusal: helix_agent_refusal) {
    // Interior NULs cannot cross into C; they never occur in practice, but must not panic.
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
    LAST_REFUSAL.with(|slot| slot.set(refusal));
}

pub(crate) fn clear_last_error() {
    LAST_REFUSAL.with(|slot| slot.set(helix_agent_refusal::HELIX_REFUSAL_NONE));
    LAST_ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        if !slot.as_bytes().is_empty() {
            *slot = CString::default();
        }
    });
}

/// The message of the last failed `helix_*` call on this thread: what happened and what to do.
///
/// Never NULL: an empty string when the last call succeeded (every other `helix_*` function
/// except `helix_status_name` clears it on entry). The pointer stays valid until the next `helix_*` call on this thread; copy the text
/// if you need it longer. Do not free it. Messages never contain an API key or a token.
#[unsafe(no_mangle)]
pub extern "C" fn helix_last_error() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// Why the last failed `helix_*` call on this thread was refused, when it failed with
/// `HELIX_AGENT_STATE`: a `helix_agent_refusal` value (`HELIX_REFUSAL_NONE` otherwise). Reset
/// like `helix_last_error()`, by every call.
#[unsafe(no_mangle)]
pub extern "C" fn helix_last_agent_refusal() -> u32 {
    LAST_REFUSAL.with(|slot| slot.get() as u32)
}

/// A static, lower-case name for a status (`"ok"`, `"invalid_input"`, `"auth"`, …; `"unknown"`
/// for a value outside `helix_status`). Never NULL; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn helix_status_name(status: u32) -> *const c_char {
    usize::try_from(status)
        .ok()
        .and_then(|i| helix_status::ALL.get(i))
        .map_or(c"unknown", |s| s.name())
        .as_ptr()
}

/// The thread's last error message as a `String`, for the crate's unit tests.
#[cfg(test)]
pub(crate) fn last_error_text() -> String {
    // SAFETY: helix_last_error never returns NULL and its string lives until the next call on
    // this thread; it is copied out at once.
    unsafe { std::ffi::CStr::from_ptr(helix_last_error()) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_never_quote_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Shape {
            history: Option<Vec<String>>,
            phone: Option<String>,
        }
        for bad in [
            r#"{"history":"+919876543210"}"#,
            r#"{"phone":9876543210}"#,
            r#"{"history":["a", 9876543210]}"#,
        ] {
            let e = serde_json::from_str::<Shape>(bad).unwrap_err();
            let text = json_error(&e);
            assert!(!text.contains("9876543210"), "{text}");
            assert!(
                text.contains("expected") && text.contains("line 1"),
                "{text}"
            );
        }
        let e = serde_json::from_str::<Shape>(r#"{"phon":"1"}"#).unwrap_err();
        assert!(
            json_error(&e).contains("unknown field `phon`"),
            "{}",
            json_error(&e)
        );
    }

    #[test]
    fn every_core_code_has_its_own_status() {
        let cases = [
            (Error::InvalidInput("x".into()), "invalid_input"),
            (
                Error::Auth {
                    service: "ozonetel",
                    message: "x".into(),
                },
                "auth",
            ),
            (
                Error::Api {
                    service: "ozonetel",
                    message: "Call not Found".into(),
                    http_status: None,
                },
                "api",
            ),
            (
                Error::RateLimited {
                    message: "x".into(),
                    retry_after: None,
                },
                "rate_limited",
            ),
            (Error::Timeout("x".into()), "timeout"),
            (Error::Transport("x".into()), "transport"),
            (
                Error::Protocol {
                    message: "x".into(),
                    snippet: String::new(),
                },
                "protocol",
            ),
            (Error::Closed("x".into()), "closed"),
            (
                Error::AgentState {
                    refusal: AgentRefusal::InAcw,
                    message: "x".into(),
                },
                "agent_state",
            ),
        ];
        for (err, name) in cases {
            let status = status_of(&err);
            assert_eq!(status.name().to_str().unwrap(), name);
            assert_eq!(err.code().as_str(), name, "core and C agree on names");
        }
    }

    #[test]
    fn status_names_match_the_enum_and_unknown_values_are_named() {
        for (value, status) in helix_status::ALL.iter().enumerate() {
            assert_eq!(*status as usize, value, "ALL is in value order");
            // SAFETY: helix_status_name returns a pointer to a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(helix_status_name(value as u32)) };
            assert_eq!(name, status.name());
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(helix_status_name(99)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
    }

    #[test]
    fn last_error_is_per_thread_and_nul_safe() {
        set_last_error("bad\0thing", helix_agent_refusal::HELIX_REFUSAL_BUSY);
        assert_eq!(helix_last_agent_refusal(), 5);
        // SAFETY: helix_last_error never returns NULL and the text lives until the next call.
        let text = unsafe { CStr::from_ptr(helix_last_error()) }
            .to_str()
            .unwrap();
        assert_eq!(text, "bad thing");
        std::thread::spawn(|| {
            // SAFETY: as above, on another thread.
            let other = unsafe { CStr::from_ptr(helix_last_error()) };
            assert!(other.to_bytes().is_empty());
        })
        .join()
        .unwrap();
        clear_last_error();
        assert_eq!(helix_last_agent_refusal(), 0);
        // SAFETY: as above.
        let cleared = unsafe { CStr::from_ptr(helix_last_error()) };
        assert!(cleared.to_bytes().is_empty());
    }
}
