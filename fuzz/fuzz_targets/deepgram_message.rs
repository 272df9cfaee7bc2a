//! Deepgram's server-message parser (internal; reached through the core's `fuzzing` feature)
//! on any text frame. Asserts: no panic; a frame that is not JSON, or a known type in a shape
//! it cannot read, is a `protocol` error (the session turns it into a warning), and its text is
//! bounded (a snippet of the frame, never the frame); a JSON object whose `type` is not one of
//! the four known kinds is never an error.
#![no_main]

use helix_engage::ErrorCode;
use helix_engage::fuzzing::deepgram_message;
use libfuzzer_sys::fuzz_target;

/// Longest error text: a sentence, serde's reason and a snippet of 200 escaped characters.
const MAX_MESSAGE: usize = 4096;

const KNOWN: [&str; 4] = ["Results", "UtteranceEnd", "SpeechStarted", "Metadata"];

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = std::str::from_utf8(data) else {
        return;
    };
    match deepgram_message(frame) {
        Ok(kind) => assert!(kind == "Unknown" || KNOWN.contains(&kind), "{kind}"),
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::Protocol, "{err}");
            let message = err.to_string();
            assert!(
                message.len() <= MAX_MESSAGE,
                "{} bytes of error for a {}-byte frame",
                message.len(),
                frame.len()
            );
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(frame) {
                let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or("<none>");
                assert!(
                    KNOWN.contains(&kind),
                    "unknown type {kind:?} was an error: {err}"
                );
            }
        }
    }
});
