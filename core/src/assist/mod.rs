//! Live call assist: call audio → Deepgram live speech-to-text → transcript → LLM suggestions
//! for the agent, with the lead's context.
//!
//! ```no_run
//! use helix_engage::assist::{
//!     AssistConfig, AssistEvent, AudioFormat, DeepgramConfig, LeadContext, LiveAssist, Speaker,
//!     SuggestionConfig,
//! };
//! # async fn demo(audio_frames: Vec<Vec<u8>>) -> helix_engage::Result<()> {
//! let (assist, mut events) = LiveAssist::start(AssistConfig {
//!     deepgram: DeepgramConfig::new(std::env::var("DEEPGRAM_API_KEY").unwrap_or_default()),
//!     audio: AudioFormat::Linear16 { sample_rate: 16_000, channels: 2 },
//!     speakers: vec![Speaker::Agent, Speaker::Customer],
//!     suggestions: Some(SuggestionConfig::new(std::env::var("OPENAI_API_KEY").unwrap_or_default())),
//!     lead: Some(LeadContext { name: Some("Asha Rao".into()), ..Default::default() }),
//!     ..Default::default()
//! })
//! .await?;
//! tokio::spawn(async move {
//!     while let Some(event) = events.recv().await {
//!         match event {
//!             AssistEvent::Transcript { segment, is_final: true } => {
//!                 println!("{}: {}", segment.speaker, segment.text)
//!             }
//!             AssistEvent::Suggestion(batch) => println!("suggest: {:?}", batch.items),
//!             _ => {}
//!         }
//!     }
//! });
//! for frame in audio_frames {
//!     assist.send_audio(frame)?; // never blocks
//! }
//! let summary = assist.stop().await?;
//! println!("{}", summary.transcript.render());
//! # Ok(())
//! # }
//! ```
//!
//! How it holds up: see [`LiveAssist`] for the guarantees, and `docs/ARCHITECTURE.md`.

mod audio;
mod config;
mod deepgram;
mod events;
mod lead;
mod metrics;
mod pace;
mod redact;
mod replay;
mod suggest;
mod tls;
mod transcript;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use self::audio::AudioFormat;
pub use self::config::{
    AssistConfig, DEEPGRAM_URL, DeepgramConfig, Endpointing, OPENAI_BASE_URL, ReconnectPolicy,
    SuggestionConfig, Timing,
};
pub use self::events::{AssistEvent, CallSummary, Warning, WarningKind};
pub use self::lead::LeadContext;
pub use self::metrics::{AssistMetrics, LatencyStats};
pub use self::redact::{Redacted, RedactionConfig, RedactionKind, Redactor};
pub use self::suggest::llm::DEFAULT_SYSTEM_PROMPT;
pub use self::suggest::post_call::{
    CallOutcome, DEFAULT_POST_CALL_PROMPT, FollowUp, PostCallConfig, PostCallSummary,
};
pub use self::suggest::{
    Escalation, EscalationReason, Sentiment, Suggestion, SuggestionBatch, SuggestionKind,
    SuggestionTrigger,
};
pub use self::transcript::{Segment, Speaker, Transcript, Word};
/// Audio chunks: `Vec<u8>`, `&'static [u8]` and `Bytes` all convert without copying twice.
pub use tokio_tungstenite::tungstenite::Bytes;

use self::deepgram::session::{AudioChunk, Control, Session, SessionParts};
use self::events::EventSink;
use self::metrics::Metrics;
use crate::{Error, Result};

/// What [`LiveAssist::send_audio`] did with a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioDelivery {
    /// Queued for Deepgram.
    Queued,
    /// Dropped: the queue was full (the session is starved). Counted in
    /// [`AssistMetrics::dropped_chunks`] and reported by an [`AssistEvent::Warning`]; for raw
    /// encodings the gap is filled with silence so later timestamps stay right.
    Dropped,
}

/// A live-assist session for one call.
///
/// Guarantees:
/// - `send_audio` never blocks; reading, writing and keep-alive run as separate tasks and
///   never wait on one another; every frame write has a timeout.
/// - A socket that accepts audio but answers nothing for [`Timing::watchdog`] is replaced; lost
///   sockets reconnect with capped, jittered backoff, replaying the audio Deepgram had not
///   finalised (bounded by [`AssistConfig::replay_buffer`], at most
///   [`AssistConfig::replay_speed`]× real time). Segment times are call-relative and
///   monotonic; no final is lost or duplicated across a reconnect.
/// - Handshake 401/403 (→ [`Error::Auth`]), other 4xx refusals and `DATA-0000` (undecodable
///   audio) are final: no retry storm.
/// - Suggestions run on their own task; a slow or failing LLM never delays transcripts.
/// - Dropping the handle ends every task at once; [`stop`](LiveAssist::stop) ends cleanly.
#[derive(Debug)]
pub struct LiveAssist {
    audio_tx: mpsc::Sender<AudioChunk>,
    control_tx: mpsc::UnboundedSender<Control>,
    metrics: Metrics,
    /// Bytes and chunks dropped since the last queued chunk: they travel with the next one.
    pending_gap: Mutex<(u64, u64)>,
    audio: AudioFormat,
    /// The longest the session may take to stop (see `stop`).
    stop_bound: Duration,
    summary: Arc<Mutex<Option<CallSummary>>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for AudioChunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioChunk")
            .field("len", &self.data.len())
            .finish()
    }
}

impl LiveAssist {
    /// Validates the configuration, opens the first Deepgram connection and starts the session.
    ///
    /// Fails with [`Error::InvalidInput`] for a bad configuration, [`Error::Auth`] when
    /// Deepgram refuses the key, [`Error::Api`] when it refuses the parameters. When the first
    /// connection fails for a transient reason (network, 5xx, 429) the session starts anyway,
    /// buffers audio and keeps trying ([`AssistEvent::Reconnecting`]).
    ///
    /// Returns the handle and the event receiver (bounded by [`AssistConfig::event_queue`];
    /// events the host does not read in time are dropped and counted, never waited for).
    pub async fn start(config: AssistConfig) -> Result<(LiveAssist, mpsc::Receiver<AssistEvent>)> {
        config.validate()?;
        let first = deepgram::connect(
            &config.deepgram,
            &config.audio,
            config.timing.connect_timeout,
        )
        .await;
        let first = match first {
            Err(e) if e.is_final => return Err(e.error),
            other => other,
        };
        let metrics = Metrics::default();
        let (event_tx, event_rx) = mpsc::channel(config.event_queue);
        let events = EventSink::new(event_tx, metrics.clone());
        // One redactor for the session (what the agent sees) and one for the engine, which
        // also keeps the lead's own number from the LLM.
        let redactor = Redactor::new(&config.redaction)?;
        let engine = match &config.suggestions {
            Some(s) => Some(suggest::engine::spawn(
                s.clone(),
                config.lead.clone(),
                redactor.clone(),
                events.clone(),
                metrics.clone(),
            )?),
            None => None,
        };
        let (audio_tx, audio_rx) = mpsc::channel(config.audio_queue_chunks);
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let summary = Arc::new(Mutex::new(None));
        let audio = config.audio;
        // The post-call summary comes after the stream's end, bounded by its own timeout.
        let post_call_wait = config
            .suggestions
            .as_ref()
            .and_then(|s| s.post_call.as_ref())
            .map_or(Duration::ZERO, |p| p.timeout);
        let stop_bound = deepgram::session::stop_limit(&config) + post_call_wait;
        let session = Session::new(SessionParts {
            cfg: Arc::new(config),
            events,
            metrics: metrics.clone(),
            summary_slot: summary.clone(),
            control_rx,
            audio_rx,
            engine,
            redactor,
            first,
        });
        let task = tokio::spawn(session.run());
        Ok((
            LiveAssist {
                audio_tx,
                control_tx,
                metrics,
                pending_gap: Mutex::new((0, 0)),
                audio,
                stop_bound,
                summary,
                task: Some(task),
            },
            event_rx,
        ))
    }

    /// Queues a chunk of audio in the configured [`AudioFormat`]. Never blocks.
    ///
    /// Returns [`AudioDelivery::Dropped`] when the queue is full, [`Error::InvalidInput`] for
    /// an empty chunk (nothing is sent: an empty binary frame would end Deepgram's stream, and
    /// an empty read is almost always a host's end-of-file bug, which "queued" would hide), and
    /// [`Error::Closed`] once the session has ended. The Node and C bindings report the same.
    pub fn send_audio(&self, chunk: impl Into<Bytes>) -> Result<AudioDelivery> {
        let data: Bytes = chunk.into();
        if data.is_empty() {
            return Err(Error::InvalidInput(
                "the audio chunk is empty; nothing was sent".into(),
            ));
        }
        let mut gap = self
            .pending_gap
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let item = AudioChunk {
            gap_bytes: gap.0,
            gap_chunks: gap.1,
            data,
            queued_at: std::time::Instant::now(),
        };
        match self.audio_tx.try_send(item) {
            Ok(()) => {
                *gap = (0, 0);
                Ok(AudioDelivery::Queued)
            }
            Err(mpsc::error::TrySendError::Full(item)) => {
                let len = item.data.len() as u64;
                *gap = (gap.0 + len, gap.1 + 1);
                let secs = self.audio.seconds(len).unwrap_or(0.0);
                self.metrics.update(|m| {
                    m.m.dropped_chunks += 1;
                    m.m.audio_seconds_dropped += secs;
                });
                Ok(AudioDelivery::Dropped)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(self.closed_error()),
        }
    }

    /// Marks the call as on hold (`true`) or back (`false`).
    ///
    /// Going on hold sends `Finalize` so what was said before the hold is transcribed now;
    /// during the hold the keep-alive timer keeps the socket open however long it lasts, and
    /// the watchdog judges the socket by its answers to WebSocket pings (sent every
    /// [`Timing::keepalive_after`]) instead of by audio, so a quiet hold never costs a
    /// reconnect while a socket that really died during it is still replaced.
    ///
    /// Coming back (`false`) returns the watchdog to judging audio, counting from the first
    /// audio sent after the hold. Audio sent during a hold is still transcribed; a repeated
    /// call with the same value does nothing.
    pub fn set_on_hold(&self, on_hold: bool) {
        let _ = self.control_tx.send(Control::Hold(on_hold));
    }

    /// Asks Deepgram to finalise everything it has buffered now (end of a turn).
    pub fn finalize(&self) {
        let _ = self.control_tx.send(Control::Finalize);
    }

    /// Replaces the lead context used for the next suggestions.
    pub fn update_lead(&self, lead: LeadContext) {
        let _ = self.control_tx.send(Control::Lead(lead));
    }

    /// The metrics so far.
    pub fn metrics(&self) -> AssistMetrics {
        self.metrics.snapshot()
    }

    /// Ends the session: sends the audio still queued, then `CloseStream`, waits for
    /// Deepgram's last results and `Metadata`, and returns the summary.
    ///
    /// The wait is [`Timing::stop_wait`]; while audio Deepgram has not confirmed remains (the
    /// socket broke while closing and a reconnect or a paced replay is under way) it extends,
    /// at most by [`AssistConfig::replay_buffer`] plus 10 s. Only a confirmed end sets
    /// [`CallSummary::complete`]. If the session already ended on an error, returns its summary with
    /// [`CallSummary::error`] set.
    ///
    /// With [`SuggestionConfig::post_call`] set, the post-call summary is asked for once that
    /// wait is over (the transcript is final) and may add at most [`PostCallConfig::timeout`];
    /// a late or failed one leaves [`CallSummary::post_call`] empty and says why in
    /// [`CallSummary::post_call_error`], with the transcript untouched.
    pub async fn stop(mut self) -> Result<CallSummary> {
        let _ = self.control_tx.send(Control::Stop);
        if let Some(task) = self.task.as_mut() {
            // The session bounds itself (`stop_wait`, extended while unconfirmed audio
            // remains, see `stop`); the margin covers the suggestion engine's shutdown.
            let bound = self.stop_bound + Duration::from_secs(3);
            if tokio::time::timeout(bound, task).await.is_err() {
                tracing::warn!("live assist session did not stop in time; aborting it");
            }
        }
        self.summary
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| Error::Timeout("the live assist session did not stop in time".into()))
    }

    fn closed_error(&self) -> Error {
        let summary = self.summary.lock().unwrap_or_else(PoisonError::into_inner);
        match summary.as_ref().and_then(|s| s.error.clone()) {
            Some(e) => Error::Closed(format!("the live assist session ended: {e}")),
            None => Error::Closed("the live assist session has ended".into()),
        }
    }
}

impl Drop for LiveAssist {
    fn drop(&mut self) {
        // Aborting the session drops its connection tasks (JoinSet) and the engine's input.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
