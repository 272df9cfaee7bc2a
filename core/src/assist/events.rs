//! What a session tells its host, and what it hands back at the end.

use std::time::Duration;

use tokio::sync::mpsc;

use super::metrics::{AssistMetrics, Metrics};
use super::suggest::SuggestionBatch;
use super::transcript::{Segment, Speaker, Transcript};
use crate::Error;

/// One thing that happened during a call, in the order it happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AssistEvent {
    /// Recognised speech. Interims (`is_final: false`) are for live display and will be
    /// replaced; finals are the transcript.
    Transcript {
        /// The speech, with call-relative times.
        segment: Segment,
        /// Whether this text is stable.
        is_final: bool,
    },
    /// Voice activity began (Deepgram `vad_events`).
    SpeechStarted {
        /// Who started speaking, as far as the channel tells.
        speaker: Speaker,
        /// The audio channel.
        channel: u32,
        /// Seconds from the start of the call.
        at: f64,
    },
    /// A speaker's turn ended (Deepgram's `UtteranceEnd`, the backup for `speech_final`).
    UtteranceEnd {
        /// Whose turn ended.
        speaker: Speaker,
        /// The audio channel.
        channel: u32,
        /// End of the last word, seconds from the start of the call.
        last_word_end: f64,
    },
    /// New suggestions for the agent.
    Suggestion(SuggestionBatch),
    /// The Deepgram socket was lost; the session is about to try again.
    Reconnecting {
        /// Consecutive attempt number, from 1.
        attempt: u32,
        /// What went wrong.
        reason: String,
    },
    /// A new socket is up; unfinalised audio is being replayed.
    Reconnected {
        /// The attempt that succeeded.
        attempt: u32,
        /// Seconds of audio that will be sent again.
        replay_seconds: f64,
        /// Deepgram's `dg-request-id` of the new connection.
        request_id: Option<String>,
    },
    /// Something the host may want to show or log; the session carries on.
    Warning(Warning),
    /// A final error: the transcription cannot go on (bad key, undecodable audio, too many
    /// failed reconnects) or suggestions were switched off (bad LLM key).
    Error(Error),
    /// The session has ended; nothing follows.
    Closed(Box<CallSummary>),
}

/// A non-fatal problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// What kind of problem.
    pub kind: WarningKind,
    /// A sentence for a log or a status line.
    pub message: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// `send_audio` dropped chunks because its queue was full (the gap is filled with silence
    /// for raw encodings so the timeline stays right).
    AudioDropped,
    /// Audio fell out of the replay buffer before it could be sent (a long outage).
    AudioLost,
    /// Deepgram sent a message of a type this library does not know, or an error object.
    UnknownMessage,
    /// Deepgram sent a known message this library could not read.
    BadMessage,
    /// A suggestion request failed or timed out; suggestions resume after a backoff.
    SuggestionFailed,
}

/// What [`LiveAssist::stop`](super::LiveAssist::stop) returns (and [`AssistEvent::Closed`]
/// carries).
#[derive(Debug, Clone, Default)]
pub struct CallSummary {
    /// The final transcript.
    pub transcript: Transcript,
    /// Every suggestion batch emitted, in order.
    pub suggestions: Vec<SuggestionBatch>,
    /// The session's metrics.
    pub metrics: AssistMetrics,
    /// Deepgram's `dg-request-id` of every connection, in order (give these to Deepgram
    /// support).
    pub request_ids: Vec<String>,
    /// Seconds of audio Deepgram reported in its final `Metadata`, when it arrived.
    pub deepgram_duration: Option<f64>,
    /// Whether Deepgram confirmed the end of the stream (`Metadata` or a clean close after
    /// `CloseStream`); `false` means the last second or so may be missing.
    pub complete: bool,
    /// The error that ended the session early, if one did.
    pub error: Option<Error>,
    /// How long the session ran.
    pub duration: Duration,
}

/// Sends events without ever waiting for the host: a full queue drops the event and counts
/// it, so a slow consumer cannot stall audio or transcription.
#[derive(Debug, Clone)]
pub(crate) struct EventSink {
    tx: mpsc::Sender<AssistEvent>,
    metrics: Metrics,
}

impl EventSink {
    pub fn new(tx: mpsc::Sender<AssistEvent>, metrics: Metrics) -> Self {
        EventSink { tx, metrics }
    }

    pub fn emit(&self, event: AssistEvent) {
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(ev)) => {
                tracing::debug!(event = ?std::mem::discriminant(&ev), "event queue full; event dropped");
                self.metrics.update(|m| m.m.events_dropped += 1);
            }
            // The host dropped the receiver: it does not want events; the summary still works.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    pub fn warn(&self, kind: WarningKind, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!(?kind, %message, "live assist warning");
        self.emit(AssistEvent::Warning(Warning { kind, message }));
    }
}
