//! A sequence of Deepgram server messages (one per line of the input, after a selector byte)
//! through the live-assist session's path: the message parser, the segments on the call's
//! timeline, the redactor, the transcript builder (internal; reached through the core's
//! `fuzzing` feature). Byte 0 picks one or two channels, diarization, a reconnected link's
//! base and a private stretch on the timeline.
//!
//! Asserts, beyond no panic: a final never starts before its channel's watermark and no word
//! of it starts before the watermark less the slack (finals are never duplicated, also when
//! every frame is replayed after a reconnect); the watermark never goes back; only a final
//! adds to the transcript, and exactly the segments it emitted; a result whose words all start
//! before its end emits nothing once its end is finalised (a replay); a segment carries text or words, belongs to a
//! configured channel, and without diarization its channel's speaker; what the transcript
//! keeps is redacted (redacting it again changes nothing).
#![no_main]

use helix_engage::ErrorCode;
use helix_engage::assist::{RedactionConfig, Redactor};
use helix_engage::fuzzing::{TranscriptFeed, TranscriptStep, WATERMARK_SLACK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let channels = 1 + usize::from(selector & 1);
    let diarize = selector & 2 != 0;
    let base = if selector & 4 != 0 { 30.0 } else { 0.0 };
    let cut = (selector & 8 != 0).then_some((2.0, 5.0));
    let mut feed = TranscriptFeed::new(channels, diarize, base, cut);
    let frames: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for frame in &frames {
        step(&mut feed, frame, channels, diarize);
    }
    // A reconnect replays the audio not yet finalised: the same frames again, same base.
    for frame in &frames {
        step(&mut feed, frame, channels, diarize);
    }
    let redactor = Redactor::new(&RedactionConfig::default()).expect("default config");
    for seg in &feed.transcript().segments {
        assert_eq!(redactor.redact(&seg.text).text, seg.text, "kept unredacted");
    }
});

fn step(feed: &mut TranscriptFeed, frame: &str, channels: usize, diarize: bool) {
    let kept = feed.transcript().segments.len();
    let s: TranscriptStep = match feed.feed(frame) {
        Ok(s) => s,
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::Protocol, "{err}");
            assert_eq!(feed.transcript().segments.len(), kept);
            return;
        }
    };
    let added = feed.transcript().segments.len() - kept;
    if !s.results || !s.is_final {
        assert_eq!(added, 0, "only a final adds to the transcript");
    } else {
        assert_eq!(added, s.segments.len(), "a final keeps what it emitted");
    }
    if !s.results {
        assert!(s.segments.is_empty());
        return;
    }
    assert!((s.channel as usize) < channels, "channel {}", s.channel);
    // `f64::max` never yields NaN from a number, so the watermark is always ordered.
    not_before(
        s.watermark_after,
        s.watermark_before,
        "the watermark after the frame",
    );
    for seg in &s.segments {
        assert_eq!(seg.channel, s.channel);
        assert!(
            !seg.text.trim().is_empty() || !seg.words.is_empty(),
            "empty segment"
        );
        if !diarize {
            assert_eq!(seg.speaker, feed.speaker_of_channel(s.channel));
        }
        not_before(seg.start, s.watermark_before, "a segment's start");
        if s.watermark_before.is_finite() {
            for w in &seg.words {
                not_before(w.start, s.watermark_before - WATERMARK_SLACK, &w.word);
            }
        }
    }
    // Everything it says is already emitted (a replay after a reconnect, or a late copy).
    if s.covered_by_end && s.end.is_finite() && s.watermark_before >= s.end {
        assert!(
            s.segments.is_empty(),
            "a replayed final emitted again: {:?}",
            s.segments
        );
    }
}

/// `t` is not before `mark` (the watermark): what starts before it was already emitted.
/// Hostile times can be huge (1e308 + duration is infinite) but never NaN from JSON; a NaN
/// has no order to check.
fn not_before(t: f64, mark: f64, what: &str) {
    assert!(
        t.is_nan() || mark.is_nan() || t >= mark,
        "{what} at {t} is before the watermark {mark}"
    );
}
