//! The one parser every Ozonetel response goes through (internal; reached through the core's
//! `fuzzing` feature). Input: byte 0 picks the HTTP status, byte 1 the variant (JSON envelope
//! or the subscription API's plain text) and whether a `Retry-After` came; the rest is the body.
//! Asserts: no panic; a non-200 status always fails with the code its status implies (401/403
//! `auth`, 429 `rate_limited` keeping the `Retry-After`, else `api`); a 200 body that is not a
//! JSON object fails as `protocol` in the JSON variant; a `protocol` error's text is bounded,
//! any other error's is never much larger than what arrived.
#![no_main]

use std::time::Duration;

use helix_engage::fuzzing::{Envelope, ozonetel_envelope};
use helix_engage::{Error, ErrorCode};
use libfuzzer_sys::fuzz_target;

/// Longest `protocol` error text: a sentence and a snippet of 200 escaped characters.
const MAX_PROTOCOL_MESSAGE: usize = 4096;

/// Statuses Ozonetel (or a proxy in front of it) answers with; a selector with its top bit set
/// picks any status instead.
const STATUSES: [u16; 8] = [200, 200, 401, 403, 429, 500, 502, 404];

fuzz_target!(|data: &[u8]| {
    let [selector, flags, body @ ..] = data else {
        return;
    };
    let Ok(body) = std::str::from_utf8(body) else {
        return;
    };
    let status = STATUSES[usize::from(selector % 8)];
    let status = if selector & 0x80 != 0 {
        u16::from(*selector) * 3
    } else {
        status
    };
    let text = flags & 1 != 0;
    let retry_after = (flags & 2 != 0).then(|| Duration::from_secs(u64::from(flags >> 2)));

    let verdict = ozonetel_envelope(status, retry_after, body, text);
    if let Envelope::Failure(err) = &verdict {
        let message = err.to_string();
        // A `protocol` error quotes a 200-character snippet (escaped: up to 10 bytes a
        // character), so it is bounded whatever arrived. The others carry Ozonetel's own text
        // whole (`message`/`details`), so here only their growth over the body is bounded.
        let bound = match err.code() {
            ErrorCode::Protocol => MAX_PROTOCOL_MESSAGE,
            _ => body.len() + 512,
        };
        assert!(
            message.len() <= bound,
            "{} bytes of {} error for {} bytes of body",
            message.len(),
            err.code().as_str(),
            body.len()
        );
    }
    if status != 200 {
        let Envelope::Failure(err) = verdict else {
            panic!("HTTP {status} was not a failure: {verdict:?}");
        };
        let expected = match status {
            401 | 403 => ErrorCode::Auth,
            429 => ErrorCode::RateLimited,
            _ => ErrorCode::Api,
        };
        assert_eq!(err.code(), expected, "HTTP {status}: {err}");
        if let Error::RateLimited {
            retry_after: kept, ..
        } = err
        {
            assert_eq!(kept, retry_after);
        }
        return;
    }
    let object = matches!(
        serde_json::from_str::<serde_json::Value>(body.trim()),
        Ok(serde_json::Value::Object(_))
    );
    if !text && !object {
        let Envelope::Failure(err) = verdict else {
            panic!("a body that is not a JSON object was not a failure: {verdict:?}");
        };
        assert_eq!(err.code(), ErrorCode::Protocol, "{err}");
    }
});
