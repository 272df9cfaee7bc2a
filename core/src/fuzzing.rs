//! Entry points for the cargo-fuzz targets in `fuzz/` to reach parsers that are not public API.
//! Only with the `fuzzing` feature; hidden from the docs and not covered by semver: each
//! function wraps one internal parser and returns just enough for a target to assert on.

use std::time::Duration;

use crate::Error;

/// What the Ozonetel envelope parser decided about one response.
#[derive(Debug)]
pub enum Envelope {
    /// The request worked (the payload object is not exposed).
    Success,
    /// The token was refused: the client would refresh it and retry once.
    TokenRejected(String),
    /// Any other outcome, typed.
    Failure(Error),
}

/// Runs the Ozonetel envelope parser on one response: `text` picks the subscription API's
/// plain-text variant (`parse_text`) instead of the JSON one every other endpoint uses.
pub fn ozonetel_envelope(
    http_status: u16,
    retry_after: Option<Duration>,
    body: &str,
    text: bool,
) -> Envelope {
    use crate::ozonetel::envelope::{Verdict, parse, parse_text};
    let verdict = if text {
        parse_text(http_status, retry_after, body)
    } else {
        parse(http_status, retry_after, body)
    };
    match verdict {
        Verdict::Success(_) => Envelope::Success,
        Verdict::TokenRejected(message) => Envelope::TokenRejected(message),
        Verdict::Failure(err) => Envelope::Failure(err),
    }
}

/// Runs the Deepgram server-message parser on one text frame; `Ok` is the message's kind
/// (`"Results"`, `"UtteranceEnd"`, …, or `"Unknown"` for a type it does not know).
pub fn deepgram_message(frame: &str) -> crate::Result<&'static str> {
    use crate::assist::deepgram::messages::{ServerMessage, parse};
    Ok(match parse(frame)? {
        ServerMessage::Results(_) => "Results",
        ServerMessage::UtteranceEnd(_) => "UtteranceEnd",
        ServerMessage::SpeechStarted(_) => "SpeechStarted",
        ServerMessage::Metadata(_) => "Metadata",
        ServerMessage::Unknown { .. } => "Unknown",
    })
}
