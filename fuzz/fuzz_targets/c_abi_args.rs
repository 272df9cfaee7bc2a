//! The C ABI's argument conversions, through its `extern "C"` entry points as a C host calls
//! them (the binding's own source, built as an rlib by `c-abi/Cargo.toml`): NUL-terminated
//! strings that may be any bytes (bad UTF-8 included), optional JSON option strings, a
//! pointer-and-length body. Byte 0 picks the entry point and which arguments are NULL; the
//! rest is split at its NUL bytes into the arguments.
//!
//! - `helix_redact(text, options_json)`: the status is `OK`, `INVALID_INPUT` (bad options) or
//!   `INVALID_UTF8`, `NULL_POINTER` exactly when `text` is NULL; `OK` writes a JSON answer
//!   whose `text` is the core redactor's (same keywords, same lead phone) and nothing else
//!   writes the out-parameter;
//! - `helix_ozonetel_event_parse(content_type, body, len)`: `NULL_POINTER` for a NULL body
//!   (after the content type's own check), `OK` exactly when the core's
//!   `Event::parse` accepts the same bytes, else `INVALID_INPUT` (`INVALID_UTF8` for a
//!   content type that is not UTF-8); `OK` hands out an event that frees cleanly.
//!
//! Always: never `HELIX_PANIC` (a panic caught at the boundary would hide a bug from the
//! fuzzer, so the status is checked too), and a failure's `helix_last_error()` is non-empty,
//! at most 4096 bytes.
#![no_main]

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use helix_engage::assist::{RedactionConfig, Redactor};
use helix_engage::ozonetel::Event;
use helix_engage_c::{
    helix_last_error, helix_ozonetel_event, helix_ozonetel_event_free, helix_ozonetel_event_parse,
    helix_redact, helix_status, helix_string_free,
};
use libfuzzer_sys::fuzz_target;

/// Longest `helix_last_error()` text.
const MAX_MESSAGE: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(2, |&b| b == 0);
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    if selector & 1 == 0 {
        redact(selector, first, second);
    } else {
        event(selector, first, second.unwrap_or_default());
    }
});

/// `bytes` up to its first NUL, as a C string.
fn c(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("no NUL before end")
}

fn last_error() -> String {
    // SAFETY: helix_last_error returns a valid NUL-terminated string owned by the library,
    // valid until the next call on this thread.
    unsafe { CStr::from_ptr(helix_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn failed(status: helix_status) {
    assert_ne!(status, helix_status::HELIX_PANIC, "{}", last_error());
    let message = last_error();
    assert!(!message.is_empty(), "{status:?} without a message");
    assert!(message.len() <= MAX_MESSAGE, "{} bytes", message.len());
}

fn redact(selector: u8, text: &[u8], options: Option<&[u8]>) {
    let text_c = c(text);
    let options_c = options.map(c);
    let null_text = selector & 2 != 0;
    let text_ptr = if null_text {
        ptr::null()
    } else {
        text_c.as_ptr()
    };
    let options_ptr = options_c.as_ref().map_or(ptr::null(), |o| o.as_ptr());
    let mut out: *mut c_char = ptr::null_mut();
    let status = helix_redact(text_ptr, options_ptr, &mut out);
    if status != helix_status::HELIX_OK {
        assert!(out.is_null(), "out written on {status:?}");
        failed(status);
        let expected = if null_text {
            helix_status::HELIX_NULL_POINTER
        } else if text_c.to_str().is_err()
            || options_c.as_ref().is_some_and(|o| o.to_str().is_err())
        {
            helix_status::HELIX_INVALID_UTF8
        } else {
            helix_status::HELIX_INVALID_INPUT
        };
        assert_eq!(status, expected, "{}", last_error());
        return;
    }
    assert!(!null_text && !out.is_null());
    // SAFETY: on OK `out` is a NUL-terminated string the library allocated.
    let answer = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("UTF-8 answer")
        .to_owned();
    helix_string_free(out);
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON answer");
    // The same redaction the core does with the same options: the conversion loses nothing.
    let text = text_c.to_str().expect("OK means UTF-8");
    let options: serde_json::Value = options_c
        .as_ref()
        .map(|o| serde_json::from_str(o.to_str().expect("UTF-8")).expect("OK means JSON"))
        .unwrap_or(serde_json::Value::Null);
    let keywords = options
        .get("keywords")
        .and_then(|k| k.as_array())
        .map(|k| {
            k.iter()
                .filter_map(|w| w.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let lead = options.get("leadPhone").and_then(|p| p.as_str());
    let core = Redactor::new(&RedactionConfig {
        enabled: true,
        keywords,
    })
    .expect("the binding accepted these keywords")
    .with_lead_phone(lead)
    .redact(text);
    assert_eq!(answer["text"].as_str(), Some(core.text.as_str()));
    assert!(
        answer["kinds"]
            .as_array()
            .is_some_and(|k| k.len() == core.kinds.len())
    );
}

fn event(selector: u8, content_type: &[u8], body: &[u8]) {
    let content_type_c = c(content_type);
    let null_body = selector & 2 != 0 && !body.is_empty();
    let body_ptr = if null_body {
        ptr::null()
    } else {
        body.as_ptr()
    };
    let mut out: *mut helix_ozonetel_event = ptr::null_mut();
    let status =
        helix_ozonetel_event_parse(content_type_c.as_ptr(), body_ptr, body.len(), &mut out);
    if null_body {
        // The content type is read first: a bad one is what is reported.
        let expected = if content_type_c.to_str().is_ok() {
            helix_status::HELIX_NULL_POINTER
        } else {
            helix_status::HELIX_INVALID_UTF8
        };
        assert_eq!(status, expected);
        assert!(out.is_null());
        failed(status);
        return;
    }
    let core = content_type_c
        .to_str()
        .ok()
        .map(|ct| Event::parse(ct, body).is_ok());
    if status == helix_status::HELIX_OK {
        assert_eq!(
            core,
            Some(true),
            "the binding accepted what the core refuses"
        );
        assert!(!out.is_null());
        helix_ozonetel_event_free(out);
        return;
    }
    assert!(out.is_null(), "out written on {status:?}");
    failed(status);
    match core {
        None => assert_eq!(status, helix_status::HELIX_INVALID_UTF8),
        Some(accepted) => {
            assert!(
                !accepted,
                "the core accepts what the binding refused: {}",
                last_error()
            );
            assert_eq!(
                status,
                helix_status::HELIX_INVALID_INPUT,
                "{}",
                last_error()
            );
        }
    }
}
