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
pub(crate) mod deepgram;
mod events;
mod lead;
mod metrics;
mod pace;
mod redact;
mod replay;
mod suggest;
mod tls;
pub(crate) mod transcript;
mod wav;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use self::audio::AudioFormat;
pub use self::config::{
    AssistConfig, DEEPGRAM_URL, DeepgramConfig, DeepgramRedaction, Endpointing, OPENAI_BASE_URL,
    ReconnectPolicy, SuggestionConfig, Timing,
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
pub use self::transcript::{Segment, SegmentKind, Speaker, Transcript, Word};
/// Audio chunks: `Vec<u8>`, `&'static [u8]` and `Bytes` all convert without copying twice.
pub use tokio_tungstenite::tungstenite::Bytes;

use self::deepgram::session::{AudioChunk, Control, Session, SessionCell, SessionParts};
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
    /// Withheld: the call is private ([`LiveAssist::set_private`]). The chunk was discarded
    /// here — never queued, buffered, sent or replayed — and counts only on the call's
    /// timeline and in [`AssistMetrics::private_seconds`].
    Withheld,
}

/// What `send_audio`, `set_private` and `stop` share, under one lock so a chunk is private
/// or not by the order of the host's own calls.
#[derive(Debug, Default)]
struct Intake {
    /// Bytes and chunks dropped since the last queued chunk: they travel with the next one.
    gap: (u64, u64),
    /// Since when the call is private (`None`: it is not).
    private_since: Option<std::time::Instant>,
    /// Every byte the host delivered — queued, dropped or withheld: raw audio's call clock.
    call_bytes: u64,
    /// Raw audio: bytes withheld in private stretches, in total.
    withheld_bytes: u64,
    /// Containerised audio (no byte rate): seconds of ended private stretches, by the clock.
    withheld_wall: f64,
    /// The first `send_audio`: containerised audio's call clock.
    first_at: Option<std::time::Instant>,
}

impl Intake {
    /// Call seconds withheld so far (ended stretches, and the current one for raw audio).
    fn withheld(&self, audio: &AudioFormat) -> f64 {
        audio
            .seconds(self.withheld_bytes)
            .unwrap_or(self.withheld_wall)
    }

    /// The call's time now.
    fn call_secs(&self, audio: &AudioFormat) -> f64 {
        audio
            .seconds(self.call_bytes)
            .unwrap_or_else(|| self.first_at.map_or(0.0, |t| t.elapsed().as_secs_f64()))
    }
}

/// A live-assist session for one call.
///
/// Guarantees:
/// - `send_audio` never blocks: a steady, idle session writes the frame to the socket on the
///   caller's thread (a non-blocking write); otherwise the frame is queued for the session's
///   task. Reading, writing and keep-alive never wait on one another; a write the socket
///   makes wait longer than [`Timing::send_timeout`] replaces the socket.
/// - A socket that accepts audio but answers nothing for [`Timing::watchdog`] is replaced; lost
///   sockets reconnect with capped, jittered backoff, replaying the audio Deepgram had not
///   finalised (bounded by [`AssistConfig::replay_buffer`], at most
///   [`AssistConfig::replay_speed`]× real time). Segment times are call-relative and
///   monotonic; no final is lost or duplicated across a reconnect.
/// - Handshake 401/403 (→ [`Error::Auth`]), other 4xx refusals and `DATA-0000` (undecodable
///   audio) are final: no retry storm.
/// - Suggestions run on their own task; a slow or failing LLM never delays transcripts.
/// - While private ([`set_private`](LiveAssist::set_private)) no audio reaches Deepgram and
///   no text the LLM; the call's timeline keeps counting through the stretch.
/// - Dropping the handle ends every task at once; [`stop`](LiveAssist::stop) ends cleanly.
#[derive(Debug)]
pub struct LiveAssist {
    /// The session itself, for audio handed over directly ([`SessionCell::try_deliver`]).
    cell: Arc<SessionCell>,
    /// Audio the session could not take directly: its task reads it.
    audio_tx: mpsc::Sender<AudioChunk>,
    control_tx: mpsc::UnboundedSender<Control>,
    metrics: Metrics,
    intake: Mutex<Intake>,
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
        // One redactor for the session (what the agent sees: the lead's own number may show)
        // and one for the engine, which keeps that number from the LLM too.
        let redactor = Redactor::new(&config.redaction)?;
        let session_redactor = redactor
            .clone()
            .with_lead_phone(config.lead.as_ref().and_then(|l| l.phone.as_deref()));
        let engine = match &config.suggestions {
            Some(s) => Some(suggest::engine::spawn(
                s.clone(),
                config.lead.clone(),
                redactor,
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
            redactor: session_redactor,
            first,
        });
        let cell = SessionCell::new(session);
        let task = tokio::spawn(deepgram::session::run(cell.clone()));
        Ok((
            LiveAssist {
                cell,
                audio_tx,
                control_tx,
                metrics,
                intake: Mutex::new(Intake::default()),
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
    /// Returns [`AudioDelivery::Withheld`] while the call is private (the chunk is discarded),
    /// [`AudioDelivery::Dropped`] when the queue is full, [`Error::InvalidInput`] for
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
        let mut intake = self.intake.lock().unwrap_or_else(PoisonError::into_inner);
        let now = std::time::Instant::now();
        intake.first_at.get_or_insert(now);
        let len = data.len() as u64;
        if intake.private_since.is_some() {
            if self.audio_tx.is_closed() {
                return Err(self.closed_error());
            }
            // Private: the audio ends here (dropped with `data`); only its length counts.
            intake.call_bytes += len;
            intake.withheld_bytes += len;
            if let Some(secs) = self.audio.seconds(len) {
                self.metrics.update(|m| m.m.private_seconds += secs);
            }
            return Ok(AudioDelivery::Withheld);
        }
        let item = AudioChunk {
            gap_bytes: intake.gap.0,
            gap_chunks: intake.gap.1,
            withheld: intake.withheld(&self.audio),
            data,
            queued_at: now,
        };
        let queued = match self.cell.try_deliver(item) {
            Ok(()) => Ok(()),
            Err(item) => self.cell.queue(&self.audio_tx, item),
        };
        match queued {
            Ok(()) => {
                intake.gap = (0, 0);
                intake.call_bytes += len;
                Ok(AudioDelivery::Queued)
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                intake.gap = (intake.gap.0 + len, intake.gap.1 + 1);
                intake.call_bytes += len;
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

    /// Makes the call private (`true`) or ends the private stretch (`false`) — tie it to the
    /// recording's pause and resume. A repeated call with the same value does nothing.
    ///
    /// While private:
    /// - no audio of the call reaches Deepgram: [`send_audio`](Self::send_audio) discards each
    ///   chunk at once ([`AudioDelivery::Withheld`]; never buffered, so never replayed after a
    ///   reconnect), while the call's timeline keeps counting it: times after the stretch are
    ///   call times, as if Deepgram had heard it;
    /// - entering sends `Finalize` first, so what was said before is transcribed now; the
    ///   socket is then kept open by `KeepAlive`, and the watchdog judges it by pings, as
    ///   during a hold (see [`set_on_hold`](Self::set_on_hold); the two combine);
    /// - no text reaches the LLM: no suggestion request starts;
    /// - [`AssistEvent::Private`] reports the start and the end at once; when the stretch ends
    ///   (or at [`stop`](Self::stop) while still private) the transcript gets one marker
    ///   segment ([`SegmentKind::Private`], text `[private]`, the stretch's start and end,
    ///   no words), also emitted as a final `Transcript` event.
    ///
    /// The time withheld is in [`AssistMetrics::private_seconds`]. How the timeline maps
    /// Deepgram's stream time to call time: `docs/ARCHITECTURE.md` ("The call's timeline runs
    /// through private stretches"). With containerised audio a stretch counts by the wall
    /// clock, and a call must not start private: the first chunk holds the container's header.
    pub fn set_private(&self, private: bool) {
        let mut intake = self.intake.lock().unwrap_or_else(PoisonError::into_inner);
        if intake.private_since.is_some() == private {
            return;
        }
        self.private_changed(&mut intake, private);
    }

    /// Flips the private state (the lock is held: no chunk can slip between the change and
    /// its control message).
    fn private_changed(&self, intake: &mut Intake, private: bool) {
        let audio = self.audio;
        let gap = if private {
            intake.private_since = Some(std::time::Instant::now());
            // Chunks dropped before the stretch are filled before its Finalize.
            std::mem::take(&mut intake.gap)
        } else {
            if let Some(since) = intake.private_since.take()
                && audio.bytes_per_second().is_none()
            {
                // Containers have no byte rate: the stretch counts by the clock.
                let secs = since.elapsed().as_secs_f64();
                intake.withheld_wall += secs;
                self.metrics.update(|m| m.m.private_seconds += secs);
            }
            (0, 0)
        };
        let _ = self.control_tx.send(Control::Private {
            on: private,
            at: intake.call_secs(&audio),
            withheld: intake.withheld(&audio),
            gap,
        });
    }

    /// Asks Deepgram to finalise everything it has buffered now (end of a turn).
    pub fn finalize(&self) {
        let _ = self.control_tx.send(Control::Finalize);
    }

    /// Replaces the lead context used for the next suggestions.
    pub fn update_lead(&self, lead: LeadContext) {
        let _ = self.control_tx.send(Control::Lead(Box::new(lead)));
    }

    /// The metrics so far.
    pub fn metrics(&self) -> AssistMetrics {
        self.cell.flush_metrics();
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
        {
            // A stretch still open ends here: its marker goes into the transcript.
            let mut intake = self.intake.lock().unwrap_or_else(PoisonError::into_inner);
            if intake.private_since.is_some() {
                self.private_changed(&mut intake, false);
            }
        }
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
