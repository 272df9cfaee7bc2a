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

/// What the transcript builder made of one Deepgram frame (see [`TranscriptFeed`]).
#[derive(Debug)]
pub struct TranscriptStep {
    /// The frame was a `Results` for a channel the session has.
    pub results: bool,
    /// Deepgram marked it final.
    pub is_final: bool,
    /// The result's channel (`channel_index[0]`).
    pub channel: u32,
    /// The channel's watermark before the frame: no final may start before it.
    pub watermark_before: f64,
    /// The channel's watermark after it.
    pub watermark_after: f64,
    /// The segments emitted (redacted, like the session emits them): interim or final.
    pub segments: Vec<crate::assist::Segment>,
    /// The call time of the result's end.
    pub end: f64,
    /// Every word of the best alternative starts more than the watermark's slack before the
    /// result's end (and there is text): a replay of this final after it must emit nothing.
    pub covered_by_end: bool,
}

/// The live-assist session's path for Deepgram results without the socket: each text frame
/// is parsed, a `Results` becomes segments on the call's timeline, interim ones are redacted
/// and shown, final ones redacted, recorded in the transcript, and their end finalised
/// (`session/inbound.rs`'s `on_results`).
#[derive(Debug)]
pub struct TranscriptFeed {
    builder: crate::assist::transcript::TranscriptBuilder,
    redactor: crate::assist::Redactor,
    timeline: crate::assist::deepgram::timeline::Timeline,
    base: f64,
}

/// The watermark's slack (`transcript.rs`): a word this close before the watermark still
/// counts as emitted.
pub const WATERMARK_SLACK: f64 = 0.05;

impl TranscriptFeed {
    /// A feed for `channels` channels (`[Agent, Customer]` named), diarized or not; `base` is
    /// the link's stream second at its time 0 (a reconnected link starts later); `cut` records
    /// a private stretch (stream second, seconds withheld) on the call's timeline.
    pub fn new(channels: usize, diarize: bool, base: f64, cut: Option<(f64, f64)>) -> Self {
        use crate::assist::deepgram::timeline::Timeline;
        use crate::assist::{RedactionConfig, Redactor, Speaker};
        let mut timeline = Timeline::new();
        if let Some((at, withheld)) = cut {
            timeline.cut(at, withheld);
        }
        TranscriptFeed {
            builder: crate::assist::transcript::TranscriptBuilder::new(
                vec![Speaker::Agent, Speaker::Customer],
                diarize,
                channels,
            ),
            redactor: Redactor::new(&RedactionConfig::default()).expect("default config"),
            timeline,
            base,
        }
    }

    /// The transcript so far (finals only).
    pub fn transcript(&self) -> &crate::assist::Transcript {
        &self.builder.transcript
    }

    /// The speaker a non-diarized channel's segments carry.
    pub fn speaker_of_channel(&self, channel: u32) -> crate::assist::Speaker {
        self.builder.speaker_of_channel(channel)
    }

    /// Feeds one text frame; an error is the parser's (`protocol`).
    pub fn feed(&mut self, frame: &str) -> crate::Result<TranscriptStep> {
        use crate::assist::deepgram::messages::{ServerMessage, parse};
        use crate::assist::deepgram::segments::segments;
        use crate::assist::deepgram::timeline::LinkClock;
        let msg = parse(frame)?;
        let clock = LinkClock {
            base: self.base,
            timeline: &self.timeline,
        };
        let ServerMessage::Results(r) = msg else {
            return Ok(TranscriptStep {
                results: false,
                is_final: false,
                channel: 0,
                watermark_before: f64::NEG_INFINITY,
                watermark_after: f64::NEG_INFINITY,
                segments: Vec::new(),
                end: f64::NEG_INFINITY,
                covered_by_end: false,
            });
        };
        let channel = r.channel();
        let watermark_before = self.builder.watermark(channel);
        let end = clock.end(r.end());
        let covered_by_end = r.best().is_some_and(|alt| {
            !alt.transcript.trim().is_empty()
                && alt
                    .words
                    .iter()
                    .all(|w| clock.start(w.start) < end - WATERMARK_SLACK)
        });
        let mut step = TranscriptStep {
            results: self.builder.has_channel(channel),
            is_final: r.is_final,
            channel,
            watermark_before,
            watermark_after: watermark_before,
            segments: Vec::new(),
            end,
            covered_by_end,
        };
        if !step.results {
            return Ok(step);
        }
        let mut segs = segments(&self.builder, &r, clock);
        for seg in &mut segs {
            self.redactor.redact_segment(seg);
        }
        if r.is_final {
            for seg in &segs {
                self.builder.push_final(seg.clone());
            }
            self.builder.mark_final(channel, end);
        }
        step.segments = segs;
        step.watermark_after = self.builder.watermark(channel);
        Ok(step)
    }
}

/// A 200 answer of the CDR endpoint read as the client reads it (the envelope, then the page's
/// `details` and `totalCount`): the records and the total, or the typed error.
pub fn cdr_page(body: &str) -> crate::Result<crate::ozonetel::CdrPage> {
    use crate::ozonetel::envelope::{Verdict, parse};
    match parse(200, None, body) {
        Verdict::Success(object) => crate::ozonetel::reports::cdr_pages::read_page(&object, 1),
        // The client would refresh the token and resend; a second refusal is this.
        Verdict::TokenRejected(message) => Err(Error::Auth {
            service: "ozonetel",
            message,
        }),
        Verdict::Failure(err) => Err(err),
    }
}

/// A 200 answer of abandonCalls read as the client reads it: the missed calls, or the typed
/// error.
pub fn abandoned_calls(body: &str) -> crate::Result<Vec<crate::ozonetel::AbandonedCall>> {
    use crate::ozonetel::envelope::{Verdict, parse};
    match parse(200, None, body) {
        Verdict::Success(object) => crate::ozonetel::reports::abandoned::decode_calls(&object),
        // The client would refresh the token and resend; a second refusal is this.
        Verdict::TokenRejected(message) => Err(Error::Auth {
            service: "ozonetel",
            message,
        }),
        Verdict::Failure(err) => Err(err),
    }
}

/// The check every UCID passes before it is sent (`ids.rs`): the trimmed digits, or
/// `invalid_input`.
pub fn validate_ucid(ucid: &str) -> crate::Result<String> {
    crate::ozonetel::ids::validate_ucid(ucid)
}
