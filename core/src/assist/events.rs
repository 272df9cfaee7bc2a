//! What a session tells its host, and what it hands back at the end.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use super::metrics::{AssistMetrics, Metrics};
use super::suggest::SuggestionBatch;
use super::suggest::post_call::PostCallSummary;
use super::transcript::{Segment, Speaker, Transcript};
use crate::Error;

/// One thing that happened during a call, in the order it happened.
///
/// Serialises (for the bindings and for hosts that forward events) as an object with a
/// `type` tag — `transcript`, `speechStarted`, `utteranceEnd`, `private`, `suggestion`,
/// `reconnecting`, `reconnected`, `warning`, `error`, `closed` — and the variant's fields in camelCase.
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
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
    /// A private stretch began (`private: true`) or ended
    /// ([`LiveAssist::set_private`](super::LiveAssist::set_private)), at once, so a UI can show
    /// it. When it ends, its marker segment ([`SegmentKind::Private`](super::SegmentKind))
    /// follows as a final `Transcript`.
    Private {
        /// Whether the call is private from now on.
        private: bool,
        /// Seconds from the start of the call.
        at: f64,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// What kind of problem.
    pub kind: WarningKind,
    /// A sentence for a log or a status line.
    pub message: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningKind {
    /// `send_audio` dropped chunks because its queue was full (the gap is filled with silence
    /// for raw encodings so the timeline stays right).
    AudioDropped,
    /// Audio fell out of the replay buffer before it could be sent (a long outage), or
    /// before Deepgram finalised it on a socket that was then lost (drops in quick
    /// succession, each before the stretch could be finalised): its words are missing.
    AudioLost,
    /// Deepgram sent a message of a type this library does not know, or an error object.
    UnknownMessage,
    /// Deepgram sent a known message this library could not read.
    BadMessage,
    /// A suggestion request failed or timed out; suggestions resume after a backoff.
    SuggestionFailed,
    /// The post-call summary's answer was corrected: its suggested disposition was not one of
    /// the configured ones and was dropped.
    PostCall,
}

/// What [`LiveAssist::stop`](super::LiveAssist::stop) returns (and [`AssistEvent::Closed`]
/// carries).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
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
    /// The post-call summary, when [`SuggestionConfig::post_call`](super::SuggestionConfig::post_call)
    /// is set and it came in time. Asked for once Deepgram has confirmed the end of the stream
    /// (or the stop wait ran out); not for a session that ended early on an `error`.
    pub post_call: Option<PostCallSummary>,
    /// Why there is no post-call summary although one was configured: [`Error::Timeout`] after
    /// [`PostCallConfig::timeout`](super::PostCallConfig::timeout), or the LLM's error. Never
    /// sets [`error`](Self::error): the transcript is whole either way.
    pub post_call_error: Option<Error>,
    /// How long the session ran (milliseconds in JSON).
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub duration: Duration,
}

/// Sends events without ever waiting for the host: a full queue drops the event and counts
/// it, so a slow consumer cannot stall audio or transcription. The one exception is
/// [`AssistEvent::Closed`]: it is never dropped (a host waits for it to know the session is
/// over); when the queue is full it is handed to a task that waits for room.
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
            Err(mpsc::error::TrySendError::Full(ev @ AssistEvent::Closed(_))) => {
                // Nothing follows `Closed`, so waiting for room delays nobody; the task ends
                // when the host reads it or drops the receiver.
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send(ev).await;
                });
            }
            Err(mpsc::error::TrySendError::Full(ev)) => {
                tracing::debug!(event = ?std::mem::discriminant(&ev), "event queue full; event dropped");
                self.metrics.update(|m| m.m.events_dropped += 1);
            }
            // The host dropped the receiver: it does not want events; the summary still works.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    pub fn warn(&self, kind: WarningKind, message: impl Into<String>) {
        // An upstream's words inside a warning are bounded like an error's.
        let message = crate::error::bounded_text(&message.into());
        tracing::warn!(?kind, %message, "live assist warning");
        self.emit(AssistEvent::Warning(Warning { kind, message }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::{
        Escalation, EscalationReason, Sentiment, Suggestion, SuggestionKind, SuggestionTrigger,
    };

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_events_but_never_closed() {
        let metrics = Metrics::default();
        let (tx, mut rx) = mpsc::channel(2);
        let sink = EventSink::new(tx, metrics.clone());
        for _ in 0..5 {
            sink.warn(WarningKind::BadMessage, "x");
        }
        sink.emit(AssistEvent::Closed(Box::default()));
        drop(sink);
        assert_eq!(metrics.snapshot().events_dropped, 3);
        let mut got = Vec::new();
        while let Some(event) = rx.recv().await {
            got.push(event);
        }
        assert_eq!(got.len(), 3, "two warnings, then closed: {got:?}");
        assert!(
            matches!(got.last(), Some(AssistEvent::Closed(_))),
            "{got:?}"
        );
    }

    #[test]
    fn events_serialise_with_a_type_tag_and_camel_case() {
        let segment = Segment {
            kind: crate::assist::transcript::SegmentKind::Speech,
            speaker: Speaker::Customer,
            channel: 1,
            start: 1.5,
            end: 2.0,
            text: "Hello".into(),
            confidence: 0.9,
            words: vec![],
            speech_final: true,
            latency: Some(Duration::from_millis(250)),
        };
        let v = serde_json::to_value(AssistEvent::Transcript {
            segment,
            is_final: true,
        })
        .unwrap();
        assert_eq!(v["type"], "transcript");
        assert_eq!(v["isFinal"], true);
        assert_eq!(v["segment"]["speaker"], "customer");
        assert_eq!(v["segment"]["speechFinal"], true);
        assert_eq!(v["segment"]["kind"], "speech");
        assert_eq!(v["segment"]["latency"], 250.0);

        let batch = SuggestionBatch {
            items: vec![Suggestion {
                kind: SuggestionKind::NextStep,
                text: "Offer a callback".into(),
            }],
            sentiment: Some(Sentiment::Angry),
            escalation: Some(Escalation {
                reason: EscalationReason::SupervisorRequested,
                detail: "asked for a manager".into(),
            }),
            trigger: SuggestionTrigger::CustomerTurnEnd,
            latency: Duration::from_millis(40),
        };
        let v = serde_json::to_value(AssistEvent::Suggestion(batch)).unwrap();
        assert_eq!(v["type"], "suggestion");
        assert_eq!(v["items"][0]["kind"], "next_step");
        assert_eq!(v["trigger"], "customer_turn_end");
        assert_eq!(v["sentiment"], "angry");
        assert_eq!(v["escalation"]["reason"], "supervisor_requested");
        assert_eq!(v["escalation"]["detail"], "asked for a manager");

        let v =
            serde_json::to_value(AssistEvent::Error(Error::auth("deepgram", "bad key"))).unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["code"], "auth");
        assert_eq!(v["message"], "authentication failed: bad key");
        assert_eq!(v["service"], "deepgram");

        let v = serde_json::to_value(AssistEvent::Reconnected {
            attempt: 2,
            replay_seconds: 1.5,
            request_id: None,
        })
        .unwrap();
        assert_eq!(v["replaySeconds"], 1.5);
        let v = serde_json::to_value(AssistEvent::Private {
            private: true,
            at: 20.0,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "private", "private": true, "at": 20.0})
        );
        let v = serde_json::to_value(AssistEvent::Closed(Box::default())).unwrap();
        assert_eq!(v["type"], "closed");
        assert_eq!(v["complete"], false);
        assert!(v["postCall"].is_null() && v["postCallError"].is_null());
        assert!(v["metrics"]["transcriptLatency"]["p50"].is_number());
    }
}
