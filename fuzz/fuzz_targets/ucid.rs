//! The UCID check every call-control, disposition, recording and CDR request runs before it
//! sends a UCID (internal; reached through the core's `fuzzing` feature), and UCIDs as the
//! CDR answers carry them. Asserts, beyond no panic: what passes is the trimmed input, 1–32
//! ASCII digits, and passes again unchanged (idempotence); a refusal is `invalid_input` naming
//! `ucid`, with a short message that quotes a long input cut; a UCID Ozonetel sends as a
//! JSON number (they exceed 2^53) or a string reads back as the exact same digits.
#![no_main]

use helix_engage::ErrorCode;
use helix_engage::fuzzing::validate_ucid;
use helix_engage::ozonetel::CallRecord;
use libfuzzer_sys::fuzz_target;

/// Longest refusal: the sentence and a quoted 40-character prefix.
const MAX_MESSAGE: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match validate_ucid(input) {
        Ok(ucid) => {
            assert_eq!(ucid, input.trim());
            assert!((1..=32).contains(&ucid.len()), "{ucid:?}");
            assert!(ucid.bytes().all(|b| b.is_ascii_digit()), "{ucid:?}");
            assert_eq!(validate_ucid(&ucid).ok().as_deref(), Some(ucid.as_str()));
            // As a JSON string, exactly; as a number (no leading zero, within u64, as
            // Ozonetel's are), exactly too: never through an f64.
            let quoted: CallRecord =
                serde_json::from_str(&format!(r#"{{"UCID":"{ucid}"}}"#)).expect("a string UCID");
            assert_eq!(quoted.ucid, ucid);
            if (ucid.len() == 1 || !ucid.starts_with('0')) && ucid.parse::<u64>().is_ok() {
                let number: CallRecord =
                    serde_json::from_str(&format!(r#"{{"UCID":{ucid}}}"#)).expect("a number UCID");
                assert_eq!(number.ucid, ucid, "a UCID number was rounded");
            }
        }
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
            let message = err.to_string();
            assert!(message.contains("ucid"), "{message}");
            assert!(message.len() <= MAX_MESSAGE, "{} bytes", message.len());
            // Longer than the quoted prefix: the quote says it was cut (the escaping of the
            // prefix may still spell the input, so its text is not searched for).
            if input.trim().chars().count() > 40 {
                assert!(message.contains(" bytes)"), "not cut: {message}");
            }
        }
    }
});
