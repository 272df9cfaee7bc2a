//! `parse_local_date` and `parse_local_date_time` on any text. Asserts: no panic (the `T`
//! separator handling slices the text at byte 10, which must never split a character); a
//! refusal is `invalid_input` naming the argument with a short message; what parses prints
//! back to a text that parses to the same value.
#![no_main]

use helix_engage::ErrorCode;
use helix_engage::ozonetel::{parse_local_date, parse_local_date_time};
use libfuzzer_sys::fuzz_target;

/// Longest error text allowed (the input is quoted as a 40-character prefix).
const MAX_MESSAGE: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_local_date_time(text, "from") {
        Ok(at) => {
            let printed = at.format("%Y-%m-%d %H:%M:%S").to_string();
            assert_eq!(parse_local_date_time(&printed, "from").ok(), Some(at));
            let iso = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            assert_eq!(parse_local_date_time(&iso, "from").ok(), Some(at));
        }
        Err(err) => check(&err, "from"),
    }
    match parse_local_date(text, "date") {
        Ok(day) => {
            let printed = day.format("%Y-%m-%d").to_string();
            assert_eq!(parse_local_date(&printed, "date").ok(), Some(day));
        }
        Err(err) => check(&err, "date"),
    }
});

fn check(err: &helix_engage::Error, name: &str) {
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    let message = err.to_string();
    assert!(message.contains(name), "{message}");
    assert!(message.len() <= MAX_MESSAGE, "{} bytes", message.len());
}
