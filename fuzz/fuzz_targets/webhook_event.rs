//! `Event::parse` on whatever a webhook POST could carry. The first byte picks the request's
//! `Content-Type` (JSON, form, or something else that is read by its first character); the rest
//! is the body. Asserts: no panic, and every refusal is `invalid_input` with a short message
//! (the parser quotes at most a prefix of what arrived).
#![no_main]

use helix_engage::ErrorCode;
use helix_engage::ozonetel::Event;
use libfuzzer_sys::fuzz_target;

/// Longest error text allowed: a quoted prefix (40 characters, each at most a `\u{10ffff}`
/// escape) plus the sentence around it.
const MAX_MESSAGE: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = match selector % 4 {
        0 => "application/json",
        1 => "application/x-www-form-urlencoded",
        2 => "Application/JSON; charset=utf-8",
        _ => "text/plain",
    };
    if let Err(err) = Event::parse(content_type, body) {
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
        let message = err.to_string();
        assert!(
            message.len() <= MAX_MESSAGE,
            "error message of {} bytes",
            message.len()
        );
    }
});
