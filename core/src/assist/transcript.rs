//! The call's transcript: who said what, when, on the call's own timeline.
//!
//! The rules of the transcript live here: channel → speaker mapping, who a diarized word
//! belongs to, and the per-channel watermark that keeps a final from being added twice when
//! audio is replayed after a reconnect. This module knows nothing of Deepgram: its results are
//! shaped into [`Segment`]s by `deepgram/segments.rs`, which asks these rules.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// What a [`Segment`] stands for. Serialises as `"speech"` or `"private"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentKind {
    /// Recognised speech (the default).
    #[default]
    Speech,
    /// A private stretch ([`LiveAssist::set_private`](super::LiveAssist::set_private)): its
    /// start and end are the stretch's call times, its text is `[private]`, it has no words,
    /// and nothing said in it was transcribed.
    Private,
}

/// The text of a [`SegmentKind::Private`] marker.
pub(crate) const PRIVATE_TEXT: &str = "[private]";

/// A stretch of speech by one speaker, or the marker of a private stretch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// Speech, or a private stretch's marker (`"speech"`/`"private"` in JSON).
    #[serde(default)]
    pub kind: SegmentKind,
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
    /// segments of one speaker into one line. A private stretch is a line of its own,
    /// `[private]`.
    ///
    /// ```
    /// use helix_engage::assist::{Segment, Speaker, Transcript};
    /// use helix_engage::assist::SegmentKind;
    /// let seg = |speaker, start: f64, text: &str| Segment {
    ///     kind: SegmentKind::Speech, speaker, channel: 0, start, end: start + 1.0,
    ///     text: text.into(), confidence: 1.0, words: vec![], speech_final: false,
    ///     latency: None,
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
            .filter(|s| s.speaker == speaker && s.kind == SegmentKind::Speech)
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
    // `None`: a private stretch's marker, never joined with speech.
    let mut lines: Vec<(Option<Speaker>, String)> = Vec::new();
    for seg in segs {
        let who = (seg.kind == SegmentKind::Speech).then_some(seg.speaker);
        match lines.last_mut() {
            Some((Some(speaker), text)) if who == Some(*speaker) => {
                text.push(' ');
                text.push_str(&seg.text);
            }
            _ => lines.push((who, seg.text.clone())),
        }
    }
    lines
        .iter()
        .map(|(s, t)| match s {
            Some(s) => format!("{s}: {t}"),
            None => t.clone(),
        })
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
    /// Per channel: who spoke the channel's last final (a diarized channel has several
    /// speakers), sized like `emitted_until`.
    last_speaker: Vec<Option<Speaker>>,
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
            last_speaker: vec![None; channels.max(1)],
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

    /// How many channels the session was configured for.
    pub fn channels(&self) -> usize {
        self.emitted_until.len()
    }

    /// Who is speaking on `channel` now: the speaker of its last final, else the channel's.
    pub fn speaker_now(&self, channel: u32) -> Speaker {
        usize::try_from(channel)
            .ok()
            .and_then(|c| self.last_speaker.get(c).copied().flatten())
            .unwrap_or_else(|| self.speaker_of_channel(channel))
    }

    /// The call time up to which `channel`'s finals have been emitted: no new segment starts
    /// before it.
    pub fn watermark(&self, channel: u32) -> f64 {
        usize::try_from(channel)
            .ok()
            .and_then(|c| self.emitted_until.get(c))
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// Who said a word on `channel`: with diarization the word's speaker `tag` names them,
    /// otherwise the channel does.
    pub fn speaker_of_word(&self, channel: u32, tag: Option<u32>) -> Speaker {
        match (self.diarize, tag) {
            (true, Some(n)) => self.speaker(n),
            _ => self.speaker_of_channel(channel),
        }
    }

    /// Whether a word starting at `start` (call seconds) on `channel` was already emitted:
    /// replayed audio is transcribed again after a reconnect.
    pub fn word_emitted(&self, channel: u32, start: f64) -> bool {
        start < self.watermark(channel) - WATERMARK_SLACK
    }

    /// Whether a stretch ending at `end` (call seconds) on `channel` is already covered by
    /// finals emitted (for results without word timings).
    pub fn span_emitted(&self, channel: u32, end: f64) -> bool {
        end <= self.watermark(channel) + WATERMARK_SLACK
    }

    /// Whether `channel` is one the session was configured for. Results for any other channel
    /// are not transcript: the session reports them as a bad message.
    pub fn has_channel(&self, channel: u32) -> bool {
        usize::try_from(channel).is_ok_and(|c| c < self.emitted_until.len())
    }

    /// Records a final segment, advances its channel's watermark and notes its speaker. A segment of a channel
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
        if let Some(slot) = usize::try_from(seg.channel)
            .ok()
            .and_then(|c| self.last_speaker.get_mut(c))
        {
            *slot = Some(seg.speaker);
        }
        self.transcript.segments.push(seg);
        true
    }

    /// Adds a private stretch's marker. It moves no watermark and changes no channel's
    /// speaker: finals of the audio before the stretch may still arrive after it (Deepgram
    /// answers the stretch's Finalize late, or a reconnect replays that audio), and they must
    /// not count as already emitted.
    pub fn push_marker(&mut self, seg: Segment) {
        self.transcript.segments.push(seg);
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

#[cfg(test)]
mod tests {
    use super::*;

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

    fn segment(channel: u32, end: f64) -> Segment {
        Segment {
            kind: SegmentKind::Speech,
            speaker: Speaker::Agent,
            channel,
            start: 0.0,
            end,
            text: "x".into(),
            confidence: 1.0,
            words: vec![],
            speech_final: false,
            latency: None,
        }
    }

    #[test]
    fn a_channel_from_the_wire_never_sizes_anything() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], false, 2);
        assert!(b.has_channel(1) && !b.has_channel(2) && !b.has_channel(4_000_000_000));
        assert!(!b.push_final(segment(4_000_000_000, 0.2)));
        b.mark_final(4_000_000_000, 1.0);
        b.mark_final(u32::MAX, 1.0);
        assert!(b.transcript.segments.is_empty());
        assert_eq!(b.emitted_until.len(), 2);
    }

    #[test]
    fn the_speaker_now_is_the_last_finals() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent, Speaker::Customer], true, 1);
        assert_eq!(b.speaker_now(0), Speaker::Other(0));
        let mut seg = segment(0, 1.0);
        seg.speaker = Speaker::Customer;
        assert!(b.push_final(seg));
        assert_eq!(b.speaker_now(0), Speaker::Customer);
        assert_eq!(b.speaker_now(4_000_000_000), Speaker::Other(4_000_000_000));
        assert_eq!(b.channels(), 1);
    }

    #[test]
    fn the_watermark_marks_what_was_emitted() {
        let mut b = TranscriptBuilder::new(vec![Speaker::Agent], false, 1);
        assert!(!b.word_emitted(0, 0.0) && !b.span_emitted(0, 0.0));
        assert!(b.push_final(segment(0, 1.0)));
        assert!(b.word_emitted(0, 0.5) && !b.word_emitted(0, 0.96));
        assert!(b.span_emitted(0, 1.04) && !b.span_emitted(0, 1.1));
        assert_eq!(b.watermark(0), 1.0);
    }
}
