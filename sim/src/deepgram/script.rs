//! Conversation scripts and the player that turns received audio time into Deepgram messages.
//!
//! The simulator does not recognise speech: it plays a script. Each turn says who speaks (a
//! channel), what, and when (seconds of audio from the start of the connection). As the audio
//! received covers a turn, the player emits what Deepgram would: `SpeechStarted`, an interim
//! result partway, the final result at the turn's end, then `UtteranceEnd` after the configured
//! gap. Time is audio time, never wall time, so tests are deterministic.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::redact::{Redactable, Redaction, Tagger, redact_words};

/// The name the Hinglish script ([`Script::hinglish_conversation`]) is registered under, for
/// `sim_script=hinglish` (and [`Script::builtin`]).
pub const HINGLISH_SCRIPT: &str = "hinglish";

/// The ready-made scripts by name: `default` ([`Script::default_conversation`]) and
/// [`HINGLISH_SCRIPT`] ([`Script::hinglish_conversation`]).
pub const BUILTIN_SCRIPTS: &[&str] = &["default", HINGLISH_SCRIPT];

/// A scripted conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// The turns, in any order (they are sorted by start time).
    pub turns: Vec<Turn>,
}

/// One utterance of the script.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Audio channel the speaker is on (0 = agent, 1 = customer in the default script).
    /// When omitted in JSON, derived from `speaker` ("agent" → 0, "customer" → 1, else 0).
    #[serde(default)]
    pub channel: Option<usize>,
    /// Speaker label, informational.
    #[serde(default)]
    pub speaker: Option<String>,
    /// What is said, punctuated as it should appear with `punctuate`/`smart_format`. An empty
    /// text is silence: it produces one empty final result, as Deepgram does for silence.
    pub text: String,
    /// Start, in seconds of audio from the beginning of the connection.
    pub start: f64,
    /// End, in seconds of audio; must be ≥ `start`.
    pub end: f64,
}

impl Turn {
    /// A turn on `channel`.
    pub fn new(channel: usize, text: impl Into<String>, start: f64, end: f64) -> Self {
        Turn {
            channel: Some(channel),
            speaker: None,
            text: text.into(),
            start,
            end,
        }
    }

    /// A turn on `channel` with a speaker label (the built-in scripts' turns).
    fn said(channel: usize, speaker: &str, text: &str, start: f64, end: f64) -> Self {
        Turn {
            speaker: Some(speaker.to_string()),
            ..Turn::new(channel, text, start, end)
        }
    }

    /// The channel this turn is heard on.
    pub fn channel(&self) -> usize {
        self.channel
            .unwrap_or_else(|| match self.speaker.as_deref() {
                Some(s) if s.eq_ignore_ascii_case("customer") => 1,
                _ => 0,
            })
    }
}

impl Script {
    /// Checks times are finite, non-negative and ordered.
    pub fn validate(&self) -> Result<(), String> {
        for (i, t) in self.turns.iter().enumerate() {
            if !t.start.is_finite() || !t.end.is_finite() || t.start < 0.0 || t.end < t.start {
                return Err(format!(
                    "turn {i}: start and end must be finite seconds with 0 <= start <= end"
                ));
            }
        }
        Ok(())
    }

    /// The script as heard by a connection whose audio starts `offset` seconds into the call:
    /// turns that ended before are gone, a turn in progress keeps the words that start at or
    /// after `offset` (at their original times), and every time is shifted by `-offset`.
    pub fn from_offset(&self, offset: f64) -> Script {
        if offset <= 0.0 {
            return self.clone();
        }
        let turns = self
            .turns
            .iter()
            .filter(|t| t.end > offset)
            .filter_map(|t| {
                let words: Vec<&str> = t.text.split_whitespace().collect();
                if t.start >= offset || words.is_empty() {
                    return Some(Turn {
                        start: (t.start - offset).max(0.0),
                        end: t.end - offset,
                        ..t.clone()
                    });
                }
                // The player spreads words evenly over the turn; keep that spacing.
                let step = (t.end - t.start) / words.len() as f64;
                let first = words
                    .iter()
                    .enumerate()
                    .position(|(i, _)| t.start + step * i as f64 >= offset - 1e-9)?;
                Some(Turn {
                    text: words[first..].join(" "),
                    start: t.start + step * first as f64 - offset,
                    end: t.end - offset,
                    ..t.clone()
                })
            })
            .collect();
        Script { turns }
    }

    /// The default script: a 20-second clinic enquiry between an agent (channel 0) and a
    /// customer (channel 1), opening with 0.8 s of silence on channel 0.
    pub fn default_conversation() -> Self {
        let t = Turn::said;
        Script {
            turns: vec![
                t(0, "agent", "", 0.0, 0.8),
                t(
                    0,
                    "agent",
                    "Hello, this is Priya from Helix Health. Am I speaking with Mr. Sharma?",
                    1.0,
                    3.5,
                ),
                t(
                    1,
                    "customer",
                    "Yes, speaking. I wanted to ask about the knee surgery package.",
                    4.0,
                    6.5,
                ),
                t(
                    0,
                    "agent",
                    "Sure. Which branch would you prefer for the consultation?",
                    7.0,
                    9.5,
                ),
                t(
                    1,
                    "customer",
                    "The Whitefield branch. How much does it cost, and does my insurance cover it?",
                    10.0,
                    13.5,
                ),
                t(
                    0,
                    "agent",
                    "Let me check the package details for you.",
                    14.0,
                    16.0,
                ),
                t(
                    1,
                    "customer",
                    "Also, can I get an appointment next week?",
                    16.5,
                    19.0,
                ),
            ],
        }
    }
}

impl Script {
    /// A ready-made script by name (see [`BUILTIN_SCRIPTS`]).
    pub fn builtin(name: &str) -> Option<Script> {
        match name {
            "default" => Some(Script::default_conversation()),
            HINGLISH_SCRIPT => Some(Script::hinglish_conversation()),
            _ => None,
        }
    }

    /// A 27-second hospital call in Hinglish, Hindi and English mixed in Latin script as
    /// Deepgram's `language=multi` returns it: agent on channel 0, customer on channel 1,
    /// opening with 0.8 s of silence. The customer asks for an appointment "kal subah"
    /// (a follow-up), reads out a policy number (`4471 2290 3316`, what `redact=numbers`
    /// takes) and then describes a medical emergency ("chest mein bahut dard").
    pub fn hinglish_conversation() -> Self {
        let t = Turn::said;
        Script {
            turns: vec![
                t(0, "agent", "", 0.0, 0.8),
                t(
                    0,
                    "agent",
                    "Namaste, Helix Hospital se Priya baat kar rahi hoon. How can I help you?",
                    1.0,
                    4.0,
                ),
                t(
                    1,
                    "customer",
                    "Haan ji, mujhe Dr. Mehta ka appointment chahiye, kal subah.",
                    4.5,
                    7.5,
                ),
                t(
                    0,
                    "agent",
                    "Zaroor. Aapka policy number bata dijiye, please.",
                    8.0,
                    10.5,
                ),
                t(
                    1,
                    "customer",
                    "Haan, mera policy number hai 4471 2290 3316.",
                    11.0,
                    14.5,
                ),
                t(
                    0,
                    "agent",
                    "Thank you. Dr. Mehta kal subah das baje available hain.",
                    15.0,
                    18.0,
                ),
                t(
                    1,
                    "customer",
                    "Aur sir, mujhe chest mein bahut dard ho raha hai since morning.",
                    18.5,
                    22.0,
                ),
                t(
                    0,
                    "agent",
                    "Main abhi aapko hamari emergency team se connect karti hoon.",
                    22.5,
                    26.0,
                ),
            ],
        }
    }
}

/// Recognition options that shape the messages (from the connection's query string).
#[derive(Clone, Debug, Default)]
pub(crate) struct PlayerOptions {
    pub channels: usize,
    pub multichannel: bool,
    pub interim_results: bool,
    pub punctuate: bool,
    pub vad_events: bool,
    pub diarize: bool,
    /// `None` when `endpointing=false` (then `speech_final` stays false).
    pub endpointing: bool,
    pub utterance_end_ms: Option<u64>,
    /// What `redact` applies to the words (already narrowed to the language).
    pub redaction: Redaction,
    pub request_id: String,
    pub model_name: String,
    pub model_uuid: String,
}

#[derive(Clone, Debug)]
struct Word {
    word: String,
    punctuated: String,
    start: f64,
    end: f64,
    confidence: f64,
}

#[derive(Clone, Debug)]
struct TurnState {
    channel: usize,
    start: f64,
    end: f64,
    words: Vec<Word>,
    /// Words already sent in a final result (a Finalize can split a turn).
    finalized_words: usize,
    /// Where the next final segment starts (after a Finalize split).
    segment_start: f64,
    speech_started: bool,
    interim_sent: bool,
    done: bool,
    utterance_end_done: bool,
}

/// Plays a script against audio time for one connection.
#[derive(Debug)]
pub(crate) struct Player {
    turns: Vec<TurnState>,
    opts: PlayerOptions,
    /// Audio time of the end of the last final sent, per channel (for empty Finalize answers).
    last_final_end: Vec<f64>,
}

/// Seconds of audio without speech after which an empty final is sent.
const SILENCE_FINAL_SECS: f64 = 2.0;

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn confidence_for(word: &str) -> f64 {
    // Deterministic "confidence" between 0.90 and 0.999.
    let h = word
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    0.9 + f64::from(h % 100) / 1000.0
}

impl Redactable for Word {
    fn punctuated(&self) -> &str {
        &self.punctuated
    }

    fn merged(span: &[Self], tag: &str) -> Self {
        let (first, last) = (&span[0], &span[span.len() - 1]);
        // "3316." stays a sentence end: "[NUMBER]."
        let trail_at = last
            .punctuated
            .trim_end_matches(|c: char| !c.is_alphanumeric())
            .len();
        Word {
            word: tag.to_string(),
            punctuated: format!("{tag}{}", &last.punctuated[trail_at..]),
            start: first.start,
            end: last.end,
            confidence: confidence_for(tag),
        }
    }
}

impl Player {
    pub(crate) fn new(script: &Script, opts: PlayerOptions) -> Self {
        let channels = opts.channels.max(1);
        let mut heard: Vec<&Turn> = script
            .turns
            .iter()
            // With multichannel, a turn on a channel the stream does not have is never heard.
            .filter(|t| !opts.multichannel || t.channel() < channels)
            .collect();
        // In time order, so redaction numbers entities as they are said.
        heard.sort_by(|a, b| a.start.total_cmp(&b.start));
        let mut tagger = Tagger::default();
        let turns: Vec<TurnState> = heard
            .into_iter()
            .map(|t| {
                let tokens: Vec<&str> = t.text.split_whitespace().collect();
                let n = tokens.len().max(1) as f64;
                let step = (t.end - t.start) / n;
                let words = tokens
                    .iter()
                    .enumerate()
                    .map(|(i, tok)| {
                        let word: String = tok
                            .chars()
                            .filter(|c| c.is_alphanumeric() || *c == '\'')
                            .flat_map(char::to_lowercase)
                            .collect();
                        Word {
                            confidence: confidence_for(&word),
                            word,
                            punctuated: (*tok).to_string(),
                            start: round3(t.start + step * i as f64),
                            end: round3(t.start + step * (i + 1) as f64),
                        }
                    })
                    .collect::<Vec<Word>>();
                let words = redact_words(&words, &opts.redaction, &mut tagger);
                TurnState {
                    channel: if opts.multichannel { t.channel() } else { 0 },
                    start: t.start,
                    end: t.end,
                    words,
                    finalized_words: 0,
                    segment_start: t.start,
                    speech_started: false,
                    interim_sent: false,
                    done: false,
                    utterance_end_done: false,
                }
            })
            .collect();
        Player {
            turns,
            last_final_end: vec![0.0; if opts.multichannel { channels } else { 1 }],
            opts,
        }
    }

    fn channel_index(&self, ch: usize) -> Value {
        if self.opts.multichannel {
            json!([ch, self.opts.channels.max(1)])
        } else {
            json!([0, 1])
        }
    }

    /// Everything due once `t` seconds of audio have been received, in time order.
    pub(crate) fn advance(&mut self, t: f64) -> Vec<Value> {
        let mut out: Vec<(f64, Value)> = Vec::new();
        for i in 0..self.turns.len() {
            let turn = self.turns[i].clone();
            let has_words = !turn.words.is_empty();
            if self.opts.vad_events && has_words && !turn.speech_started && t >= turn.start {
                self.turns[i].speech_started = true;
                out.push((
                    turn.start,
                    json!({"type": "SpeechStarted", "channel": self.channel_index(turn.channel),
                           "timestamp": round3(turn.start)}),
                ));
            }
            let mid = turn.start + (turn.end - turn.start) / 2.0;
            if self.opts.interim_results
                && has_words
                && !turn.interim_sent
                && !turn.done
                && t >= mid
                && t < turn.end
            {
                self.turns[i].interim_sent = true;
                let words: Vec<Word> = turn.words[turn.finalized_words..]
                    .iter()
                    .filter(|w| w.start < t)
                    .cloned()
                    .collect();
                if !words.is_empty() {
                    let msg = self.results(
                        turn.channel,
                        turn.segment_start,
                        t,
                        &words,
                        false,
                        false,
                        false,
                    );
                    out.push((t, msg));
                }
            }
            if !turn.done && t >= turn.end {
                self.turns[i].done = true;
                let words = turn.words[turn.finalized_words..].to_vec();
                self.turns[i].finalized_words = turn.words.len();
                let msg = self.results(
                    turn.channel,
                    turn.segment_start,
                    turn.end,
                    &words,
                    true,
                    self.opts.endpointing,
                    false,
                );
                self.note_final(turn.channel, turn.end);
                out.push((turn.end, msg));
            }
            if let Some(ue_ms) = self.opts.utterance_end_ms
                && self.opts.interim_results
                && has_words
                && self.turns[i].done
                && !turn.utterance_end_done
            {
                let gap = ue_ms as f64 / 1000.0;
                let due = turn.end + gap;
                // Speech resuming on the channel within the gap means the utterance did not end.
                let resumed = self.turns.iter().any(|o| {
                    o.channel == turn.channel
                        && !o.words.is_empty()
                        && o.start > turn.start
                        && o.start < due
                });
                if resumed {
                    self.turns[i].utterance_end_done = true;
                } else if t >= due {
                    self.turns[i].utterance_end_done = true;
                    let last_word_end = turn.words.last().map_or(turn.end, |w| w.end);
                    out.push((
                        due,
                        json!({"type": "UtteranceEnd", "channel": self.channel_index(turn.channel),
                               "last_word_end": round3(last_word_end)}),
                    ));
                }
            }
        }
        // Deepgram answers silence too: an empty final for each stretch of audio without
        // speech (the `results-empty-silence` fixture). A live socket is never mute, which is
        // how a client's watchdog tells a quiet call from a dead socket.
        for ch in 0..self.last_final_end.len() {
            let speaking = self
                .turns
                .iter()
                .any(|turn| turn.channel == ch && !turn.done && turn.start <= t);
            let from = self.last_final_end[ch];
            if !speaking && t - from >= SILENCE_FINAL_SECS {
                let msg = self.results(ch, from, t, &[], true, self.opts.endpointing, false);
                self.note_final(ch, t);
                out.push((t, msg));
            }
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.into_iter().map(|(_, v)| v).collect()
    }

    fn note_final(&mut self, ch: usize, end: f64) {
        if let Some(slot) = self.last_final_end.get_mut(ch) {
            *slot = slot.max(end);
        }
    }

    /// The audio jumped: connection time `at` is followed by call audio `by` seconds later
    /// (a client that sent nothing for a private stretch, then resumed). Words that start
    /// inside the gap are never heard; everything later moves `by` earlier, so connection time
    /// stays the audio received. A turn cut by the gap's start ends at `at` with its earlier
    /// words; a turn wholly inside it is never played.
    pub(crate) fn skip(&mut self, at: f64, by: f64) {
        if by <= 0.0 {
            return;
        }
        let resume = at + by;
        let shift = |x: f64| {
            if x >= resume {
                round3(x - by)
            } else {
                x.min(at)
            }
        };
        for turn in self.turns.iter_mut().filter(|t| !t.done) {
            let had_words = !turn.words.is_empty();
            let words: Vec<Word> = turn
                .words
                .drain(..)
                .filter(|w| w.start < at || w.start >= resume)
                .map(|w| Word {
                    start: shift(w.start),
                    end: shift(w.end),
                    ..w
                })
                .collect();
            let inside = turn.start >= at && turn.end < resume;
            if (had_words && words.is_empty()) || (!had_words && inside) {
                // Nothing of it was in audio the client sent.
                turn.done = true;
                turn.utterance_end_done = true;
                continue;
            }
            turn.words = words;
            turn.start = shift(turn.start);
            turn.segment_start = shift(turn.segment_start);
            turn.end = shift(turn.end);
        }
    }

    /// Flushes turns in progress at `t` as finals (`Finalize`: `from_finalize: true`;
    /// `CloseStream`: `false`). With nothing in progress, `Finalize` still answers with an empty
    /// final so the client sees its request acknowledged.
    pub(crate) fn flush(
        &mut self,
        t: f64,
        channel: Option<usize>,
        from_finalize: bool,
    ) -> Vec<Value> {
        let mut out = self.advance(t);
        let mut flushed = false;
        for i in 0..self.turns.len() {
            let turn = self.turns[i].clone();
            if turn.done || turn.start > t || channel.is_some_and(|c| c != turn.channel) {
                continue;
            }
            let words: Vec<Word> = turn.words[turn.finalized_words..]
                .iter()
                .filter(|w| w.start < t)
                .cloned()
                .collect();
            if words.is_empty() && !turn.words.is_empty() {
                continue;
            }
            let end = words.last().map_or(t, |w| w.end.min(t));
            let msg = self.results(
                turn.channel,
                turn.segment_start,
                t,
                &words,
                true,
                false,
                from_finalize,
            );
            let st = &mut self.turns[i];
            st.finalized_words += words.len();
            st.segment_start = end;
            st.interim_sent = false;
            if st.finalized_words >= st.words.len() {
                st.done = true;
            }
            self.note_final(turn.channel, t);
            out.push(msg);
            flushed = true;
        }
        if !flushed && from_finalize {
            let ch = channel.unwrap_or(0);
            let start = self.last_final_end.get(ch).copied().unwrap_or(0.0).min(t);
            out.push(self.results(ch, start, t, &[], true, false, true));
            self.note_final(ch, t);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn results(
        &self,
        ch: usize,
        start: f64,
        end: f64,
        words: &[Word],
        is_final: bool,
        speech_final: bool,
        from_finalize: bool,
    ) -> Value {
        let punct = self.opts.punctuate;
        let transcript = words
            .iter()
            .map(|w| {
                if punct {
                    w.punctuated.as_str()
                } else {
                    w.word.as_str()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let confidence = if words.is_empty() {
            0.0
        } else {
            round3(words.iter().map(|w| w.confidence).sum::<f64>() / words.len() as f64)
        };
        let words_json: Vec<Value> = words
            .iter()
            .map(|w| {
                let mut v = json!({"word": w.word, "start": w.start, "end": w.end,
                                   "confidence": round3(w.confidence)});
                if punct {
                    v["punctuated_word"] = json!(w.punctuated);
                }
                if self.opts.diarize {
                    v["speaker"] = json!(ch);
                }
                v
            })
            .collect();
        json!({
            "type": "Results",
            "channel_index": self.channel_index(ch),
            "duration": round3((end - start).max(0.0)),
            "start": round3(start),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {"alternatives": [{
                "transcript": transcript, "confidence": confidence, "words": words_json}]},
            "metadata": {
                "request_id": self.opts.request_id,
                "model_info": {"name": self.opts.model_name, "version": "2025-01-01.0", "arch": self.opts.model_name},
                "model_uuid": self.opts.model_uuid,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> PlayerOptions {
        PlayerOptions {
            channels: 2,
            multichannel: true,
            interim_results: true,
            punctuate: true,
            vad_events: true,
            endpointing: true,
            utterance_end_ms: Some(1000),
            ..PlayerOptions::default()
        }
    }

    #[test]
    fn finals_arrive_as_audio_covers_turns() {
        let mut p = Player::new(&Script::default_conversation(), opts());
        let first = p.advance(0.9);
        assert_eq!(first.len(), 1, "the silent opening yields one empty final");
        assert_eq!(first[0]["channel"]["alternatives"][0]["transcript"], "");
        let all = p.advance(3.6);
        // Channel 1 has been silent for 3.6 s: it gets its own empty final.
        let (msgs, other): (Vec<Value>, Vec<Value>) = all
            .into_iter()
            .partition(|m| m["channel_index"] == json!([0, 2]) || m["channel"] == json!([0, 2]));
        let types: Vec<&str> = msgs.iter().filter_map(|m| m["type"].as_str()).collect();
        assert_eq!(types, ["SpeechStarted", "Results"]);
        assert_eq!(msgs[1]["is_final"], true);
        assert_eq!(other.len(), 1);
        assert_eq!(other[0]["channel_index"], json!([1, 2]));
        assert_eq!(other[0]["channel"]["alternatives"][0]["transcript"], "");
        assert!(p.advance(3.6).is_empty(), "nothing is sent twice");
    }

    #[test]
    fn silence_gets_empty_finals_so_the_socket_is_never_mute() {
        let script = Script {
            turns: vec![Turn::new(0, "Hello there", 1.0, 2.0)],
        };
        let mut p = Player::new(&script, opts());
        // Channel 0 (the speaker's); channel 1 is checked at the end.
        let finals = |msgs: &[Value]| -> Vec<(f64, f64, String)> {
            msgs.iter()
                .filter(|m| m["type"] == "Results" && m["is_final"] == true)
                .filter(|m| m["channel_index"] == json!([0, 2]))
                .map(|m| {
                    let start = m["start"].as_f64().unwrap_or(-1.0);
                    let end = start + m["duration"].as_f64().unwrap_or(-1.0);
                    let text = m["channel"]["alternatives"][0]["transcript"]
                        .as_str()
                        .unwrap_or("?");
                    (start, round3(end), text.to_string())
                })
                .collect()
        };
        // Before 2 s of silence: nothing; the turn's final at 2.0.
        assert!(finals(&p.advance(1.5)).is_empty());
        assert_eq!(
            finals(&p.advance(2.0)),
            [(1.0, 2.0, "Hello there".to_string())]
        );
        assert!(finals(&p.advance(3.9)).is_empty());
        // 2 s after the last final, an empty one covering the silence; then every 2 s more.
        assert_eq!(finals(&p.advance(4.0)), [(2.0, 4.0, String::new())]);
        assert!(finals(&p.advance(5.0)).is_empty());
        assert_eq!(finals(&p.advance(6.5)), [(4.0, 6.5, String::new())]);
        // The silent channel had its empty finals too, on its own timeline.
        let mut q = Player::new(&script, opts());
        let ch1: Vec<Value> = q
            .advance(2.5)
            .into_iter()
            .filter(|m| m["channel_index"] == json!([1, 2]))
            .collect();
        assert_eq!(ch1.len(), 1);
        assert_eq!(ch1[0]["duration"], 2.5);
    }

    #[test]
    fn finalize_splits_a_turn_without_losing_words() {
        let mut p = Player::new(&Script::default_conversation(), opts());
        p.advance(0.9);
        let f = p.flush(2.0, None, true);
        let fin = f
            .iter()
            .find(|m| m["from_finalize"] == true)
            .expect("final");
        let first_half = fin["channel"]["alternatives"][0]["transcript"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let rest = p.advance(3.5);
        let last = rest.iter().find(|m| m["is_final"] == true).expect("rest");
        let second_half = last["channel"]["alternatives"][0]["transcript"]
            .as_str()
            .unwrap_or("");
        assert_eq!(
            format!("{first_half} {second_half}"),
            "Hello, this is Priya from Helix Health. Am I speaking with Mr. Sharma?"
        );
    }
}
