//! The report answers as the client reads them (internal; reached through the core's
//! `fuzzing` feature) and the public `hms_duration`. Byte 0 picks what the rest is: a CDR page
//! (`fetchCDRDetails`: the envelope, `details`, `totalCount`), a missed-call list
//! (`abandonCalls`: the envelope, `message`), or one `HH:MM:SS` text. The fuzz profile has
//! overflow checks on, so an hours field that overflows is a crash, not a wrap.
//!
//! Asserts, beyond no panic: `hms_duration` is exactly its spec (three unsigned fields,
//! minutes and seconds below 60, the total in range; checked against 128-bit arithmetic) and
//! what it parses re-formats as `HH:MM:SS` to the same duration; a page has one record per item
//! of `details` and its `totalCount` only when that is a number; a missed call's parsed time
//! prints back to the same time; an error is typed (`protocol`, `api`, `auth`, or `rate_limited` for Ozonetel's
//! "too many requests" sentence, for a 200) and
//! its text bounded (a snippet of what arrived, never all of it).
#![no_main]

use std::time::Duration;

use helix_engage::ErrorCode;
use helix_engage::fuzzing::{abandoned_calls, cdr_page};
use helix_engage::ozonetel::hms_duration;
use libfuzzer_sys::fuzz_target;

/// Longest error text: a sentence, serde's reason and a snippet of 200 escaped characters.
const MAX_MESSAGE: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 3 {
        0 => page(text),
        1 => missed(text),
        _ => hms(text),
    }
});

fn page(body: &str) {
    let page = match cdr_page(body) {
        Ok(page) => page,
        Err(err) => return check(&err),
    };
    let value: serde_json::Value = serde_json::from_str(body.trim()).expect("a page is JSON");
    let items = value
        .get("details")
        .and_then(|d| d.as_array())
        .map_or(0, Vec::len);
    assert_eq!(page.records.len(), items, "one record per item");
    if page.total_count.is_some() {
        assert!(value.get("totalCount").is_some_and(|t| !t.is_null()));
    }
    for r in &page.records {
        for field in [
            &r.duration,
            &r.talk_time,
            &r.handling_time,
            &r.queue_time,
            &r.hold_duration,
            &r.wrapup_duration,
            &r.time_to_answer,
            &r.conference_duration,
        ] {
            hms(field);
        }
    }
}

fn missed(body: &str) {
    let calls = match abandoned_calls(body) {
        Ok(calls) => calls,
        Err(err) => return check(&err),
    };
    for call in &calls {
        if let Some(at) = call.call_time_parsed() {
            let printed = at.format("%Y-%m-%d %H:%M:%S").to_string();
            let again = chrono::NaiveDateTime::parse_from_str(&printed, "%Y-%m-%d %H:%M:%S");
            assert_eq!(again.ok(), Some(at), "{printed}");
        }
    }
}

fn check(err: &helix_engage::Error) {
    assert!(
        matches!(
            err.code(),
            ErrorCode::Protocol | ErrorCode::Api | ErrorCode::Auth | ErrorCode::RateLimited
        ),
        "{err}"
    );
    if err.code() == ErrorCode::Protocol {
        let message = err.to_string();
        assert!(
            message.len() <= MAX_MESSAGE,
            "{} bytes of protocol error",
            message.len()
        );
    }
}

/// The spec, independently: three `u64` fields, minutes and seconds under 60, the total in a
/// `u64` of seconds.
fn expected(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let (h, m, s): (u64, u64, u64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if m >= 60 || s >= 60 {
        return None;
    }
    u64::try_from(u128::from(h) * 3600 + u128::from(m) * 60 + u128::from(s)).ok()
}

fn hms(text: &str) {
    let got = hms_duration(text);
    assert_eq!(got, expected(text).map(Duration::from_secs), "{text:?}");
    if let Some(d) = got {
        let secs = d.as_secs();
        let printed = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        assert_eq!(hms_duration(&printed), Some(d), "{printed}");
    }
}
