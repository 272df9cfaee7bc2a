//! Deepgram's results shaped into the call's [`Segment`]s, here and only here: times moved
//! onto the call's timeline by the connection's clock ([`LinkClock`]), words already emitted (replayed audio)
//! dropped, a diarized result split into runs of one speaker, empty results dropped. Who a
//! speaker is and what counts as already emitted are the transcript's rules
//! ([`TranscriptBuilder`]); this file asks them and knows the wire's shape.

use super::messages::Results;
use super::timeline::LinkClock;
use crate::assist::transcript::{Segment, SegmentKind, Speaker, TranscriptBuilder, Word};

/// Segments for one result, times moved onto the call's timeline by the connection's `clock`
/// (its offset, and the private stretches cut out of its stream). Words already emitted (replayed audio) are removed;
/// empty segments are dropped.
pub(crate) fn segments(
    transcript: &TranscriptBuilder,
    r: &Results,
    clock: LinkClock<'_>,
) -> Vec<Segment> {
    let Some(alt) = r.best() else {
        return Vec::new();
    };
    let channel = r.channel();
    let watermark = transcript.watermark(channel);
    let words: Vec<(Option<u32>, Word)> = alt
        .words
        .iter()
        .map(|w| {
            (
                w.speaker,
                Word {
                    word: w.word.clone(),
                    punctuated: w.punctuated_word.clone().unwrap_or_else(|| w.word.clone()),
                    start: clock.start(w.start),
                    end: clock.end(w.end),
                    confidence: w.confidence,
                },
            )
        })
        .filter(|(_, w)| !transcript.word_emitted(channel, w.start))
        .collect();
    let base = |speaker: Speaker, words: Vec<Word>| Segment {
        kind: SegmentKind::Speech,
        speaker,
        channel,
        start: clock.start(r.start),
        end: clock.end(r.end()),
        text: String::new(),
        confidence: alt.confidence,
        words,
        speech_final: r.speech_final,
        latency: None,
    };
    if alt.words.is_empty() {
        // No word timings: keep the whole text unless the segment is already covered.
        let text = alt.transcript.trim();
        if text.is_empty() || transcript.span_emitted(channel, clock.end(r.end())) {
            return Vec::new();
        }
        let mut seg = base(transcript.speaker_of_channel(channel), Vec::new());
        seg.text = text.to_string();
        // Like a segment with words: no final starts before what was emitted (fuzz finding:
        // one without timings overlapping the last final started inside it).
        seg.start = seg.start.max(watermark);
        return vec![seg];
    }
    if words.is_empty() {
        return Vec::new();
    }
    let trimmed = words.len() < alt.words.len();
    // Split into runs of one diarized speaker; without diarization it is one run.
    let mut runs: Vec<(Speaker, Vec<Word>)> = Vec::new();
    for (tag, word) in words {
        let speaker = transcript.speaker_of_word(channel, tag);
        match runs.last_mut() {
            Some((s, ws)) if *s == speaker => ws.push(word),
            _ => runs.push((speaker, vec![word])),
        }
    }
    let single = runs.len() == 1 && !trimmed;
    runs.into_iter()
        .map(|(speaker, words)| {
            let mut seg = base(speaker, words);
            seg.text = if single && !alt.transcript.trim().is_empty() {
                alt.transcript.trim().to_string()
            } else {
                seg.words
                    .iter()
                    .map(|w| w.punctuated.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if !single {
                // A split or trimmed segment spans only its own words.
                if let (Some(first), Some(last)) = (seg.words.first(), seg.words.last()) {
                    seg.start = first.start;
                    seg.end = last.end;
                }
                seg.confidence = mean(seg.words.iter().map(|w| w.confidence));
            }
            seg.start = seg.start.max(watermark);
            seg
        })
        .collect()
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::deepgram::messages::{ServerMessage, parse};
    use crate::assist::deepgram::timeline::Timeline;
    use crate::assist::transcript::Speaker;

    static NO_CUTS: Timeline = Timeline::new();

    /// A link whose time 0 is call second `base`, with no private stretch.
    fn at(base: f64) -> LinkClock<'static> {
        LinkClock {
            base,
            timeline: &NO_CUTS,
        }
    }

    fn results(json: &str) -> Results {
        match parse(json).unwrap() {
            ServerMessage::Results(r) => r,
            other => panic!("{other:?}"),
        }
    }

    fn words_json(channel: u32, start: f64, words: &[(&str, f64, f64, Option<u32>)]) -> String {
        let ws: Vec<String> = words
            .iter()
            .map(|(w, s, e, sp)| {
                let speaker = sp.map(|n| format!(",\"speaker\":{n}")).unwrap_or_default();
                format!(r#"{{"word":"{w}","start":{s},"end":{e},"confidence":0.9,"punctuated_word":"{w}"{speaker}}}"#)
            })
            .collect();
        let text: Vec<&str> = words.iter().map(|w| w.0).collect();
        let end = words.last().map(|w| w.2).unwrap_or(start);
        format!(
            r#"{{"type":"Results","channel_index":[{channel},2],"start":{start},"duration":{},"is_final":true,"speech_final":false,"channel":{{"alternatives":[{{"transcript":"{}","confidence":0.9,"words":[{}]}}]}}}}"#,
            end - start,
            text.join(" "),
            ws.join(",")
        )
    }

    #[test]
    fn maps_channels_to_speakers_and_offsets_times() {
        let b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], false, 4);
        let r = results(&words_json(1, 1.0, &[("hi", 1.0, 1.5, None)]));
        let segs = segments(&b, &r, at(10.0));
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].speaker, Speaker::Customer);
        assert_eq!(segs[0].text, "hi");
        assert!((segs[0].start - 11.0).abs() < 1e-9 && (segs[0].end - 11.5).abs() < 1e-9);
        let r = results(&words_json(3, 0.0, &[("x", 0.0, 0.2, None)]));
        assert_eq!(segments(&b, &r, at(0.0))[0].speaker, Speaker::Other(3));
    }

    #[test]
    fn empty_results_make_no_segments() {
        let b = TranscriptBuilder::new(vec![Speaker::Agent], false, 1);
        let r = results(
            r#"{"type":"Results","channel_index":[0,1],"start":0,"duration":0.7,"is_final":true,"channel":{"alternatives":[{"transcript":"","words":[]}]}}"#,
        );
        assert!(segments(&b, &r, at(0.0)).is_empty());
    }

    #[test]
    fn diarized_mono_splits_by_speaker() {
        let b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], true, 1);
        let r = results(&words_json(
            0,
            0.0,
            &[
                ("hello", 0.0, 0.4, Some(0)),
                ("there", 0.4, 0.8, Some(0)),
                ("yes", 1.0, 1.3, Some(1)),
            ],
        ));
        let segs = segments(&b, &r, at(0.0));
        assert_eq!(segs.len(), 2);
        assert_eq!(
            (segs[0].speaker, segs[0].text.as_str()),
            (Speaker::Agent, "hello there")
        );
        assert_eq!(
            (segs[1].speaker, segs[1].text.as_str()),
            (Speaker::Customer, "yes")
        );
        assert!((segs[1].start - 1.0).abs() < 1e-9);
    }

    #[test]
    fn replayed_words_already_emitted_are_dropped() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent], false, 1);
        let first = results(&words_json(
            0,
            0.0,
            &[("one", 0.0, 0.5, None), ("two", 0.5, 1.0, None)],
        ));
        for seg in segments(&b, &first, at(0.0)) {
            b.push_final(seg);
        }
        // A new connection re-transcribes from 0.5 s of call time (offset 0.5): "two" again.
        let again = results(&words_json(
            0,
            0.0,
            &[("two", 0.0, 0.5, None), ("three", 0.6, 1.0, None)],
        ));
        // With offset 0.5, "two" starts at 0.5 < watermark 1.0 → dropped; "three" at 1.1 kept.
        let segs = segments(&b, &again, at(0.5));
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].text, "three");
        assert!(segs[0].start >= 1.0);
        let all_dup = results(&words_json(0, 0.0, &[("two", 0.0, 0.5, None)]));
        assert!(segments(&b, &all_dup, at(0.5)).is_empty());
    }

    /// Fuzz finding (issue 15, `deepgram_transcript`): a final without word timings that
    /// overlaps the last final (5.9–7.63 s, then 6.9–8.63 s) kept its own start, before the
    /// watermark; it now starts at the watermark, like a segment with words.
    #[test]
    fn a_final_without_words_never_starts_before_the_watermark() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent], false, 1);
        let first = results(&words_json(0, 5.9, &[("ensure", 5.9, 7.63, None)]));
        for seg in segments(&b, &first, at(0.0)) {
            b.push_final(seg);
        }
        b.mark_final(0, 7.63);
        let overlapping = results(
            r#"{"type":"Results","channel_index":[0,1],"start":6.9,"duration":1.73,"is_final":true,"channel":{"alternatives":[{"transcript":"Ensure domestic tranquility.","words":[]}]}}"#,
        );
        let segs = segments(&b, &overlapping, at(0.0));
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].start, 7.63);
        assert_eq!(segs[0].end, 6.9 + 1.73);
        assert_eq!(segs[0].text, "Ensure domestic tranquility.");
    }

    #[test]
    fn a_channel_from_the_wire_never_sizes_anything() {
        // The builder's side (no slot is ever sized from the wire) is tested in transcript.rs.
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], false, 2);
        assert!(b.has_channel(1) && !b.has_channel(2) && !b.has_channel(4_000_000_000));
        let r = results(&words_json(4_000_000_000, 0.0, &[("x", 0.0, 0.2, None)]));
        for seg in segments(&b, &r, at(0.0)) {
            assert!(!b.push_final(seg));
        }
        b.mark_final(4_000_000_000, 1.0);
        b.mark_final(u32::MAX, 1.0);
        assert!(b.transcript.segments.is_empty());
        assert!(!b.has_channel(2));
    }

    #[test]
    fn renders_by_time_and_speaker() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], false, 4);
        for (ch, s, w) in [(0, 0.0, "Hello."), (1, 1.0, "Hi."), (1, 2.0, "Loan?")] {
            let r = results(&words_json(ch, s, &[(w, s, s + 0.5, None)]));
            for seg in segments(&b, &r, at(0.0)) {
                b.push_final(seg);
            }
        }
        assert_eq!(b.transcript.render(), "Agent: Hello.\nCustomer: Hi. Loan?");
        assert_eq!(b.transcript.text_of(Speaker::Customer), "Hi. Loan?");
    }
}
