//! The call's transcript: who said what, when, on the call's own timeline.
//!
//! Deepgram results become [`Segment`]s here, and here only: channel → speaker mapping,
//! diarized speaker runs, the timestamp offset of the current connection, and the guard that
//! keeps a final from being added twice when audio is replayed after a reconnect.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::deepgram::messages::Results;

/// Who is speaking. Serialises as `"agent"`, `"customer"` or `"speaker_N"`, and parses
/// ([`FromStr`], [`Deserialize`]) from exactly that text, so a host's speaker list round-trips.
///
/// ```
/// use helix_engage::assist::Speaker;
/// assert_eq!("speaker_3".parse::<Speaker>().unwrap(), Speaker::Other(3));
/// assert!("robot".parse::<Speaker>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    /// The contact-center agent using this library.
    Agent,
    /// The person the agent is talking to.
    Customer,
    /// A channel or diarized speaker not named in [`AssistConfig::speakers`](super::AssistConfig::speakers).
    Other(u32),
}

impl Serialize for Speaker {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Speaker::Agent => s.serialize_str("agent"),
            Speaker::Customer => s.serialize_str("customer"),
            Speaker::Other(n) => s.serialize_str(&format!("speaker_{n}")),
        }
    }
}

impl Speaker {
    /// The inverse of [`Serialize`]: `agent`, `customer` or `speaker_N` (N a decimal `u32`).
    fn from_text(text: &str) -> Option<Self> {
        match text {
            "agent" => Some(Speaker::Agent),
            "customer" => Some(Speaker::Customer),
            other => other
                .strip_prefix("speaker_")
                .and_then(|n| n.parse().ok())
                .map(Speaker::Other),
        }
    }

    /// Why `text` is not a speaker, for [`FromStr`] and [`Deserialize`] alike.
    fn refusal(text: &str) -> String {
        format!(
            "{} is not 'agent', 'customer' or 'speaker_N'",
            crate::error::quote(text)
        )
    }
}

impl FromStr for Speaker {
    type Err = crate::Error;

    /// `agent`, `customer` or `speaker_N`, as [`Serialize`] writes them; anything else is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput).
    fn from_str(text: &str) -> crate::Result<Self> {
        Speaker::from_text(text).ok_or_else(|| crate::Error::InvalidInput(Speaker::refusal(text)))
    }
}

impl<'de> Deserialize<'de> for Speaker {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Speaker::from_text(&text).ok_or_else(|| serde::de::Error::custom(Speaker::refusal(&text)))
    }
}

impl fmt::Display for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speaker::Agent => f.write_str("Agent"),
            Speaker::Customer => f.write_str("Customer"),
            Speaker::Other(n) => write!(f, "Speaker {n}"),
        }
    }
}

/// One recognised word, times in seconds from the start of the call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Word {
    /// The word as recognised (lower case).
    pub word: String,
    /// The word with punctuation and capitals, when Deepgram sent one.
    pub punctuated: String,
    /// Start, seconds from the start of the call.
    pub start: f64,
    /// End, seconds from the start of the call.
    pub end: f64,
    /// Recognition confidence, 0–1.
    pub confidence: f64,
}

/// A stretch of speech by one speaker.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// Who spoke.
    pub speaker: Speaker,
    /// The audio channel it came from.
    pub channel: u32,
    /// Start, seconds from the start of the call (monotonic across reconnects).
    pub start: f64,
    /// End, seconds from the start of the call.
    pub end: f64,
    /// The text, punctuated when `punctuate`/`smart_format` are on.
    pub text: String,
    /// Recognition confidence of the whole segment, 0–1.
    pub confidence: f64,
    /// The words, when Deepgram sent them.
    pub words: Vec<Word>,
    /// Deepgram detected the end of the speaker's turn here.
    pub speech_final: bool,
    /// For finals: time from the host's `send_audio` of the segment's last audio byte to the
    /// moment the final arrived (the transcript latency metric), so a reconnect's outage and
    /// replay show in it. Milliseconds in JSON.
    #[serde(serialize_with = "crate::serde_util::option_millis")]
    pub latency: Option<Duration>,
}

/// The final transcript of a call: segments in the order they were finalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Transcript {
    /// Final segments, in arrival order (per channel, times only grow).
    pub segments: Vec<Segment>,
}

impl Transcript {
    /// Renders the conversation as `Speaker: text` lines in time order, joining consecutive
    /// segments of one speaker into one line.
    ///
    /// ```
    /// use helix_engage::assist::{Segment, Speaker, Transcript};
    /// let seg = |speaker, start: f64, text: &str| Segment {
    ///     speaker, channel: 0, start, end: start + 1.0, text: text.into(),
    ///     confidence: 1.0, words: vec![], speech_final: false, latency: None,
    /// };
    /// let t = Transcript { segments: vec![
    ///     seg(Speaker::Agent, 0.0, "Hello,"), seg(Speaker::Agent, 1.0, "how can I help?"),
    ///     seg(Speaker::Customer, 2.5, "I need a loan."),
    /// ]};
    /// assert_eq!(t.render(), "Agent: Hello, how can I help?\nCustomer: I need a loan.");
    /// ```
    pub fn render(&self) -> String {
        render_lines(&self.segments)
    }

    /// All text of one speaker, in time order.
    pub fn text_of(&self, speaker: Speaker) -> String {
        let mut segs: Vec<&Segment> = self
            .segments
            .iter()
            .filter(|s| s.speaker == speaker)
            .collect();
        segs.sort_by(|a, b| a.start.total_cmp(&b.start));
        segs.iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub(crate) fn render_lines<'a>(segments: impl IntoIterator<Item = &'a Segment>) -> String {
    let mut segs: Vec<&Segment> = segments.into_iter().collect();
    segs.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut lines: Vec<(Speaker, String)> = Vec::new();
    for seg in segs {
        match lines.last_mut() {
            Some((speaker, text)) if *speaker == seg.speaker => {
                text.push(' ');
                text.push_str(&seg.text);
            }
            _ => lines.push((seg.speaker, seg.text.clone())),
        }
    }
    lines
        .iter()
        .map(|(s, t)| format!("{s}: {t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Turns results into segments and keeps the per-channel watermark that prevents duplicates.
#[derive(Debug)]
pub(crate) struct TranscriptBuilder {
    speakers: Vec<Speaker>,
    diarize: bool,
    /// Per channel: the call time up to which finals have been emitted. Sized once from the
    /// configuration, never from the wire: a channel number in a message is only ever an index
    /// that is checked (a `channel_index` of 4 000 000 000 once made this a 32 GB allocation).
    emitted_until: Vec<f64>,
    pub transcript: Transcript,
}

/// Words that start this close before the watermark are still treated as already emitted
/// (Deepgram's word times jitter by a few ms between connections).
const WATERMARK_SLACK: f64 = 0.05;

impl TranscriptBuilder {
    /// `channels`: how many channels the session was configured for (1 for mono/diarized).
    pub fn new(speakers: Vec<Speaker>, diarize: bool, channels: usize) -> Self {
        TranscriptBuilder {
            speakers,
            diarize,
            emitted_until: vec![f64::NEG_INFINITY; channels.max(1)],
            transcript: Transcript::default(),
        }
    }

    fn speaker(&self, index: u32) -> Speaker {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.speakers.get(i))
            .copied()
            .unwrap_or(Speaker::Other(index))
    }

    pub fn speaker_of_channel(&self, channel: u32) -> Speaker {
        if self.diarize {
            // A diarized mono stream has no channel identity; the speaker comes per word.
            Speaker::Other(channel)
        } else {
            self.speaker(channel)
        }
    }

    fn watermark(&self, channel: u32) -> f64 {
        usize::try_from(channel)
            .ok()
            .and_then(|c| self.emitted_until.get(c))
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// Segments for one result, times shifted by `offset` (seconds of call time at which the
    /// current connection's time 0 lies). Words already emitted (replayed audio) are removed;
    /// empty segments are dropped.
    pub fn segments(&self, r: &Results, offset: f64) -> Vec<Segment> {
        let Some(alt) = r.best() else {
            return Vec::new();
        };
        let channel = r.channel();
        let watermark = self.watermark(channel);
        let words: Vec<(Option<u32>, Word)> = alt
            .words
            .iter()
            .map(|w| {
                (
                    w.speaker,
                    Word {
                        word: w.word.clone(),
                        punctuated: w.punctuated_word.clone().unwrap_or_else(|| w.word.clone()),
                        start: w.start + offset,
                        end: w.end + offset,
                        confidence: w.confidence,
                    },
                )
            })
            .filter(|(_, w)| w.start >= watermark - WATERMARK_SLACK)
            .collect();
        let base = |speaker: Speaker, words: Vec<Word>| Segment {
            speaker,
            channel,
            start: r.start + offset,
            end: r.end() + offset,
            text: String::new(),
            confidence: alt.confidence,
            words,
            speech_final: r.speech_final,
            latency: None,
        };
        if alt.words.is_empty() {
            // No word timings: keep the whole text unless the segment is already covered.
            let text = alt.transcript.trim();
            if text.is_empty() || r.end() + offset <= watermark + WATERMARK_SLACK {
                return Vec::new();
            }
            let mut seg = base(self.speaker_of_channel(channel), Vec::new());
            seg.text = text.to_string();
            return vec![seg];
        }
        if words.is_empty() {
            return Vec::new();
        }
        let trimmed = words.len() < alt.words.len();
        // Split into runs of one diarized speaker; without diarization it is one run.
        let mut runs: Vec<(Speaker, Vec<Word>)> = Vec::new();
        for (tag, word) in words {
            let speaker = match (self.diarize, tag) {
                (true, Some(n)) => self.speaker(n),
                _ => self.speaker_of_channel(channel),
            };
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

    /// Whether `channel` is one the session was configured for. Results for any other channel
    /// are not transcript: the session reports them as a bad message.
    pub fn has_channel(&self, channel: u32) -> bool {
        usize::try_from(channel).is_ok_and(|c| c < self.emitted_until.len())
    }

    /// Records a final segment and advances its channel's watermark. A segment of a channel
    /// the session does not have is refused (`false`); the session checks first, this is the
    /// second line.
    pub fn push_final(&mut self, seg: Segment) -> bool {
        let Some(mark) = usize::try_from(seg.channel)
            .ok()
            .and_then(|c| self.emitted_until.get_mut(c))
        else {
            return false;
        };
        *mark = mark.max(seg.end);
        self.transcript.segments.push(seg);
        true
    }

    /// Advances a channel's watermark without adding text (a final that was empty still
    /// finalises its audio).
    pub fn mark_final(&mut self, channel: u32, end: f64) {
        if let Some(mark) = usize::try_from(channel)
            .ok()
            .and_then(|c| self.emitted_until.get_mut(c))
        {
            *mark = mark.max(end);
        }
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::deepgram::messages::{ServerMessage, parse};

    #[test]
    fn speakers_parse_from_what_they_serialise_to() {
        for speaker in [
            Speaker::Agent,
            Speaker::Customer,
            Speaker::Other(0),
            Speaker::Other(7),
        ] {
            let json = serde_json::to_string(&speaker).unwrap();
            assert_eq!(
                serde_json::from_str::<Speaker>(&json).unwrap(),
                speaker,
                "{json}"
            );
            let text = serde_json::from_str::<String>(&json).unwrap();
            assert_eq!(text.parse::<Speaker>().unwrap(), speaker, "{text}");
        }
        for text in [
            "robot",
            "Agent",
            "speaker_",
            "speaker_-1",
            "speaker_x",
            " agent",
            "",
        ] {
            let err = text.parse::<Speaker>().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{text}");
            assert!(
                err.to_string()
                    .contains("is not 'agent', 'customer' or 'speaker_N'")
            );
        }
        let err = serde_json::from_str::<Speaker>("\"robot\"").unwrap_err();
        assert!(
            err.to_string().starts_with("\"robot\" is not 'agent'"),
            "{err}"
        );
        assert!(serde_json::from_str::<Speaker>("3").is_err());
        let long = "x".repeat(100_000);
        assert!(long.parse::<Speaker>().unwrap_err().to_string().len() < 200);
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
        let segs = b.segments(&r, 10.0);
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].speaker, Speaker::Customer);
        assert_eq!(segs[0].text, "hi");
        assert!((segs[0].start - 11.0).abs() < 1e-9 && (segs[0].end - 11.5).abs() < 1e-9);
        let r = results(&words_json(3, 0.0, &[("x", 0.0, 0.2, None)]));
        assert_eq!(b.segments(&r, 0.0)[0].speaker, Speaker::Other(3));
    }

    #[test]
    fn empty_results_make_no_segments() {
        let b = TranscriptBuilder::new(vec![Speaker::Agent], false, 1);
        let r = results(
            r#"{"type":"Results","channel_index":[0,1],"start":0,"duration":0.7,"is_final":true,"channel":{"alternatives":[{"transcript":"","words":[]}]}}"#,
        );
        assert!(b.segments(&r, 0.0).is_empty());
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
        let segs = b.segments(&r, 0.0);
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
        for seg in b.segments(&first, 0.0) {
            b.push_final(seg);
        }
        // A new connection re-transcribes from 0.5 s of call time (offset 0.5): "two" again.
        let again = results(&words_json(
            0,
            0.0,
            &[("two", 0.0, 0.5, None), ("three", 0.6, 1.0, None)],
        ));
        // With offset 0.5, "two" starts at 0.5 < watermark 1.0 → dropped; "three" at 1.1 kept.
        let segs = b.segments(&again, 0.5);
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].text, "three");
        assert!(segs[0].start >= 1.0);
        let all_dup = results(&words_json(0, 0.0, &[("two", 0.0, 0.5, None)]));
        assert!(b.segments(&all_dup, 0.5).is_empty());
    }

    #[test]
    fn a_channel_from_the_wire_never_sizes_anything() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], false, 2);
        assert!(b.has_channel(1) && !b.has_channel(2) && !b.has_channel(4_000_000_000));
        let r = results(&words_json(4_000_000_000, 0.0, &[("x", 0.0, 0.2, None)]));
        for seg in b.segments(&r, 0.0) {
            assert!(!b.push_final(seg));
        }
        b.mark_final(4_000_000_000, 1.0);
        b.mark_final(u32::MAX, 1.0);
        assert!(b.transcript.segments.is_empty());
        assert_eq!(b.emitted_until.len(), 2);
    }

    #[test]
    fn renders_by_time_and_speaker() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], false, 4);
        for (ch, s, w) in [(0, 0.0, "Hello."), (1, 1.0, "Hi."), (1, 2.0, "Loan?")] {
            let r = results(&words_json(ch, s, &[(w, s, s + 0.5, None)]));
            for seg in b.segments(&r, 0.0) {
                b.push_final(seg);
            }
        }
        assert_eq!(b.transcript.render(), "Agent: Hello.\nCustomer: Hi. Loan?");
        assert_eq!(b.transcript.text_of(Speaker::Customer), "Hi. Loan?");
    }
}
