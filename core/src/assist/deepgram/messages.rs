//! Deepgram's server → client messages, parsed once, tolerant of what it does not know.
//!
//! A message of an unknown `type` (a new kind, an `Error` object) is [`ServerMessage::Unknown`],
//! never a parse failure: the session turns it into a warning and keeps the stream alive.

use serde::Deserialize;

use crate::{Error, Result};

/// One text frame from Deepgram.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ServerMessage {
    Results(Results),
    UtteranceEnd(UtteranceEnd),
    SpeechStarted(SpeechStarted),
    Metadata(Metadata),
    /// Anything else; `kind` is the `type` field (or `"<none>"`), `summary` what it said.
    Unknown {
        kind: String,
        summary: String,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Results {
    /// `[channel, channel_count]`.
    #[serde(default)]
    pub channel_index: Vec<u32>,
    #[serde(default)]
    pub start: f64,
    #[serde(default)]
    pub duration: f64,
    #[serde(default)]
    pub is_final: bool,
    #[serde(default)]
    pub speech_final: bool,
    #[serde(default)]
    pub from_finalize: bool,
    pub channel: ResultsChannel,
    #[serde(default)]
    pub metadata: Option<ResultsMetadata>,
}

impl Results {
    pub fn channel(&self) -> u32 {
        self.channel_index.first().copied().unwrap_or(0)
    }

    /// The best alternative, if Deepgram sent any.
    pub fn best(&self) -> Option<&Alternative> {
        self.channel.alternatives.first()
    }

    /// Whether there is no text at all (silence); such results finalise audio but are never
    /// shown to anyone.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.best().is_none_or(|a| a.transcript.trim().is_empty())
    }

    pub fn end(&self) -> f64 {
        self.start + self.duration
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ResultsChannel {
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Alternative {
    #[serde(default)]
    pub transcript: String,
    #[serde(default)]
    pub confidence: f64,
    #[serde(default)]
    pub words: Vec<WireWord>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct WireWord {
    pub word: String,
    #[serde(default)]
    pub start: f64,
    #[serde(default)]
    pub end: f64,
    #[serde(default)]
    pub confidence: f64,
    #[serde(default)]
    pub punctuated_word: Option<String>,
    #[serde(default)]
    pub speaker: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ResultsMetadata {
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct UtteranceEnd {
    #[serde(default)]
    pub channel: Vec<u32>,
    #[serde(default)]
    pub last_word_end: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct SpeechStarted {
    #[serde(default)]
    pub channel: Vec<u32>,
    #[serde(default)]
    pub timestamp: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub channels: Option<u32>,
}

/// Parses one text frame. Errors only when a *known* type has a shape we cannot read (a
/// protocol error the session reports as a warning); unknown types are not errors.
pub(crate) fn parse(text: &str) -> Result<ServerMessage> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::protocol(format!("deepgram sent a frame that is not JSON: {e}"), text)
    })?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("<none>")
        .to_string();
    let typed = |e: serde_json::Error| {
        Error::protocol(
            format!("deepgram {kind} message has an unexpected shape: {e}"),
            text,
        )
    };
    Ok(match kind.as_str() {
        "Results" => ServerMessage::Results(Results::deserialize(&value).map_err(typed)?),
        "UtteranceEnd" => {
            ServerMessage::UtteranceEnd(UtteranceEnd::deserialize(&value).map_err(typed)?)
        }
        "SpeechStarted" => {
            ServerMessage::SpeechStarted(SpeechStarted::deserialize(&value).map_err(typed)?)
        }
        "Metadata" => ServerMessage::Metadata(Metadata::deserialize(&value).map_err(typed)?),
        _ => {
            // Deepgram's error objects carry `description`/`message` and `variant`/`err_code`.
            let said = ["description", "message", "err_msg", "reason"]
                .iter()
                .find_map(|k| value.get(*k).and_then(|v| v.as_str()))
                .map(str::to_string)
                .unwrap_or_else(|| crate::error::snippet(text));
            ServerMessage::Unknown {
                kind: kind.clone(),
                summary: said,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/deepgram"
    );

    fn fixture(name: &str) -> Option<String> {
        // The fixtures live in the shared folder beside the repository; skip quietly where a
        // checkout does not have it (the inline copies below keep the behaviour covered).
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).ok()
    }

    const FINAL: &str = r#"{"channel": {"alternatives": [{"transcript": "Ensure domestic tranquility.", "confidence": 0.9897461, "words": [{"word": "ensure", "start": 6.251818, "end": 6.6427274, "confidence": 0.9897461, "punctuated_word": "Ensure"}, {"word": "domestic", "start": 6.6427274, "end": 7.1427274, "confidence": 0.99658203, "punctuated_word": "domestic"}, {"word": "tranquility", "start": 7.19, "end": 7.4245453, "confidence": 0.9248047, "punctuated_word": "tranquility."}]}]}, "metadata": {"model_info": {"name": "general", "version": "2024-01-26.8851", "arch": "base"}, "request_id": "4b21fb93-0ece-46c8-a7c8-05709d2119dc", "model_uuid": "1ed36bac-f71c-4f3f-a31f-02fd6525c489"}, "type": "Results", "channel_index": [0, 1], "duration": 1.73, "start": 5.9, "is_final": true, "from_finalize": false, "speech_final": true}"#;
    const EMPTY: &str = r#"{"channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]}, "metadata": {"model_info": {"name": "general", "version": "2024-01-26.8851", "arch": "base"}, "request_id": "8b67585a-18da-49dd-9dc5-6d4eb4566a7b", "model_uuid": "1ed36bac-f71c-4f3f-a31f-02fd6525c489"}, "type": "Results", "channel_index": [0, 1], "duration": 0.74, "start": 0.0, "is_final": true, "from_finalize": false, "speech_final": true}"#;
    const UTTERANCE_END: &str = r#"{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395}"#;

    fn check_final(text: &str) {
        let ServerMessage::Results(r) = parse(text).unwrap() else {
            panic!("not Results")
        };
        assert!(r.is_final && r.speech_final && !r.from_finalize);
        assert_eq!(r.channel(), 0);
        assert!((r.end() - 7.63).abs() < 1e-9);
        let best = r.best().unwrap();
        assert_eq!(best.transcript, "Ensure domestic tranquility.");
        assert_eq!(best.words.len(), 3);
        assert_eq!(
            best.words[2].punctuated_word.as_deref(),
            Some("tranquility.")
        );
        assert_eq!(
            r.metadata.unwrap().request_id.as_deref(),
            Some("4b21fb93-0ece-46c8-a7c8-05709d2119dc")
        );
    }

    fn check_empty(text: &str) {
        let ServerMessage::Results(r) = parse(text).unwrap() else {
            panic!("not Results")
        };
        assert!(r.is_empty());
        assert!((r.end() - 0.74).abs() < 1e-9);
    }

    fn check_utterance_end(text: &str) {
        assert_eq!(
            parse(text).unwrap(),
            ServerMessage::UtteranceEnd(UtteranceEnd {
                channel: vec![0, 1],
                last_word_end: 2.395
            })
        );
    }

    #[test]
    fn parses_the_recorded_fixtures() {
        check_final(FINAL);
        check_empty(EMPTY);
        check_utterance_end(UTTERANCE_END);
        if let Some(text) = fixture("results-final-mulaw-8k.json") {
            check_final(&text);
        }
        if let Some(text) = fixture("results-empty-silence.json") {
            check_empty(&text);
        }
        if let Some(text) = fixture("utterance-end.json") {
            check_utterance_end(&text);
        }
    }

    #[test]
    fn parses_speech_started_and_metadata() {
        let msg = parse(r#"{"type":"SpeechStarted","channel":[1,2],"timestamp":1.23}"#).unwrap();
        assert_eq!(
            msg,
            ServerMessage::SpeechStarted(SpeechStarted {
                channel: vec![1, 2],
                timestamp: 1.23
            })
        );
        let msg = parse(r#"{"type":"Metadata","transaction_key":"deprecated","request_id":"abc","sha256":"x","created":"2024-01-01T00:00:00.000Z","duration":12.5,"channels":2}"#).unwrap();
        let ServerMessage::Metadata(m) = msg else {
            panic!("not Metadata")
        };
        assert_eq!(m.request_id.as_deref(), Some("abc"));
        assert_eq!(m.duration, Some(12.5));
    }

    #[test]
    fn unknown_types_are_tolerated() {
        let msg = parse(r#"{"type":"Error","description":"Something odd","variant":"x"}"#).unwrap();
        assert_eq!(
            msg,
            ServerMessage::Unknown {
                kind: "Error".into(),
                summary: "Something odd".into()
            }
        );
        let msg = parse(r#"{"type":"ShinyNewThing","x":1}"#).unwrap();
        assert!(matches!(msg, ServerMessage::Unknown { kind, .. } if kind == "ShinyNewThing"));
        let msg = parse(r#"{"no_type":true}"#).unwrap();
        assert!(matches!(msg, ServerMessage::Unknown { kind, .. } if kind == "<none>"));
    }

    #[test]
    fn broken_known_messages_are_protocol_errors_not_panics() {
        let err = parse("not json").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Protocol);
        let err = parse(r#"{"type":"Results","channel":"oops"}"#).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Protocol);
        // Found by fuzz/deepgram_message: serde's reason quoted a 4 KB string whole, so the
        // error (4338 bytes) outgrew the frame (4065).
        let frame = format!(
            r#"{{"type":"Results","channel":{{"alternatives":"{}"}}}}"#,
            "a!".repeat(2_000)
        );
        let err = parse(&frame).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Protocol);
        assert!(
            err.to_string().len() < 1_500,
            "{} bytes",
            err.to_string().len()
        );
    }
}
