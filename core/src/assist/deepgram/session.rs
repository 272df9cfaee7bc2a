//! The session loop: one supervisor task that owns the call's state — the replay buffer, the
//! reconnects, the stop — and replaces the connection ([`Link`]) whenever it breaks.
//!
//! The supervisor never waits on anything but its own poll ([`task`]): the host's audio and
//! requests, the socket, the connection attempt, reconnect timers and the watchdog all make
//! progress independently, so a half-dead socket or a slow LLM cannot stall the host's audio.
//! A steady session also takes audio from `send_audio` on the host's thread
//! ([`SessionCell`]), under the same lock.
//!
//! The replay buffer and every link count stream bytes: the call's audio minus its private
//! stretches, which `send_audio` withholds. The session's [`Timeline`] maps a link's times to
//! call times through the stretches (see `super::timeline`).
//!
//! This file is the session's state and the life of links (open where the replay starts,
//! lose, replace, retire) and of the call's end (the stop wait and its extension, the
//! summary). The task and its turn are in [`task`]; what it handles is beside it: the host's
//! audio in [`intake`], the host's requests in [`control`], what Deepgram says in
//! [`inbound`]; a connection's socket is driven through [`super::link`]. At ~600 lines it is
//! over the ~500 a file should stay under: the rest is the link lifecycle, which only reads as
//! one idea when its steps sit together.

mod control;
mod inbound;
mod intake;
mod task;

pub(crate) use task::{SessionCell, run};

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Bytes;

use super::coalesce::Coalesce;
use super::link::{Link, LinkStart};
use super::timeline::{LinkClock, Timeline};
use super::{ConnectError, Connected, connect};
use crate::Error;
use crate::assist::config::AssistConfig;
use crate::assist::events::{AssistEvent, CallSummary, EventSink, WarningKind};
use crate::assist::lead::LeadContext;
use crate::assist::metrics::Metrics;
use crate::assist::pace::HostPace;
use crate::assist::redact::Redactor;
use crate::assist::replay::ReplayBuffer;
use crate::assist::suggest::engine::{EngineEnd, EngineHandle};
use crate::assist::transcript::TranscriptBuilder;

/// A chunk from `send_audio`, with the bytes dropped just before it (queue full) so the gap
/// lands in the right place.
pub(crate) struct AudioChunk {
    pub gap_bytes: u64,
    pub gap_chunks: u64,
    pub data: Bytes,
    /// Call seconds withheld in private stretches before this chunk, in total: a chunk that
    /// brings a new total is the first after a stretch, and the timeline is cut before it.
    pub withheld: f64,
    /// When the host called `send_audio` (the transcript latency's start).
    pub queued_at: std::time::Instant,
}

/// Requests from the handle.
pub(crate) enum Control {
    Hold(bool),
    /// The call became private or stopped being so: `at` is the call second of the change,
    /// `withheld` the call seconds withheld in total so far, `gap` the bytes and chunks a full
    /// queue dropped just before a stretch began (filled before its Finalize).
    Private {
        on: bool,
        at: f64,
        withheld: f64,
        gap: (u64, u64),
    },
    Finalize,
    /// Boxed: the queue's blocks are sized by the largest message, and a lead is rare.
    Lead(Box<LeadContext>),
    Stop,
}

type ConnectFuture = Pin<Box<dyn Future<Output = Result<Connected, ConnectError>> + Send>>;

/// `stop` was called: the stream is being closed.
struct Stopping {
    /// When the stop wait runs out (extended while unconfirmed audio remains).
    deadline: Instant,
    /// The latest the stop wait may extend to.
    limit: Instant,
}

/// A private stretch under way.
struct PrivateStretch {
    /// Call second it began at.
    start: f64,
}

/// What the call's end reports in its [`CallSummary`].
#[derive(Default)]
struct Outcome {
    request_ids: Vec<String>,
    deepgram_duration: Option<f64>,
    /// Deepgram confirmed the end of the stream (Metadata, or a clean close after CloseStream).
    complete: bool,
    fatal: Option<Error>,
    /// The loop ends.
    finished: bool,
}

pub(crate) struct Session {
    cfg: Arc<AssistConfig>,
    events: EventSink,
    metrics: Metrics,
    summary_slot: Arc<Mutex<Option<CallSummary>>>,
    control_rx: mpsc::UnboundedReceiver<Control>,
    audio_rx: mpsc::Receiver<AudioChunk>,
    // ---- connections
    link: Option<Link>,
    connecting: Option<ConnectFuture>,
    retry_at: Option<Instant>,
    attempt: u32,
    /// Sockets we replaced, given until `send_timeout` to send their close frame.
    retiring: Vec<(Instant, JoinSet<()>)>,
    // ---- the call's audio
    buffer: ReplayBuffer,
    /// Highest call byte ever sent: bytes below it are replays.
    max_sent: u64,
    /// Every `Finalize` asked for, by the call byte it follows, until Deepgram has finalised
    /// the audio before it (the replay buffer's start passed it). A new link re-queues the
    /// ones still open, so a Finalize asked for while the link is down — or sent on a socket
    /// that then broke before answering — is sent after the replayed audio it covers.
    finalizes: Vec<u64>,
    /// First chunk of containerised audio: resent after a reconnect.
    container_header: Option<Bytes>,
    first_audio_at: Option<Instant>,
    pace: HostPace,
    /// Audio figures not yet in the shared metrics (see [`AudioCounts`]).
    counts: AudioCounts,
    // ---- the call's transcript
    builder: TranscriptBuilder,
    engine: Option<EngineHandle>,
    /// Every segment passes it before it is stored or emitted, interims included.
    redactor: Redactor,
    // ---- the call's state
    /// The call is on hold (`set_on_hold`): the watchdog judges pings and Finalize, not audio.
    on_hold: bool,
    /// The private stretch under way (`set_private`): no audio comes, and the watchdog judges
    /// pings as during a hold.
    private: Option<PrivateStretch>,
    /// Stream time to call time: the private stretches cut out of the stream.
    timeline: Timeline,
    stopping: Option<Stopping>,
    outcome: Outcome,
    started: Instant,
    /// The runtime the session's task runs on: a replaced socket's close is sent there, also
    /// when the replacement happens in `send_audio` on a thread of the host's.
    runtime: tokio::runtime::Handle,
}

pub(crate) struct SessionParts {
    pub cfg: Arc<AssistConfig>,
    pub events: EventSink,
    pub metrics: Metrics,
    pub summary_slot: Arc<Mutex<Option<CallSummary>>>,
    pub control_rx: mpsc::UnboundedReceiver<Control>,
    pub audio_rx: mpsc::Receiver<AudioChunk>,
    pub engine: Option<EngineHandle>,
    /// Redacts every segment before it is stored or emitted.
    pub redactor: Redactor,
    /// The first connection, or why it failed (transient: the session retries).
    pub first: Result<Connected, ConnectError>,
}

impl Session {
    pub fn new(parts: SessionParts) -> Self {
        let cfg = parts.cfg;
        let audio = cfg.audio;
        let channels = if cfg.deepgram.multichannel.unwrap_or(audio.channels() > 1) {
            usize::from(audio.channels())
        } else {
            1
        };
        let mut session = Session {
            builder: TranscriptBuilder::new(cfg.speakers.clone(), cfg.deepgram.diarize, channels),
            buffer: ReplayBuffer::for_call(&audio, cfg.replay_buffer),
            events: parts.events,
            metrics: parts.metrics,
            summary_slot: parts.summary_slot,
            control_rx: parts.control_rx,
            audio_rx: parts.audio_rx,
            link: None,
            connecting: None,
            retry_at: None,
            attempt: 0,
            retiring: Vec::new(),
            max_sent: 0,
            finalizes: Vec::new(),
            container_header: None,
            first_audio_at: None,
            pace: HostPace::default(),
            counts: AudioCounts::default(),
            engine: parts.engine,
            redactor: parts.redactor,
            on_hold: false,
            private: None,
            timeline: Timeline::new(),
            stopping: None,
            outcome: Outcome::default(),
            started: Instant::now(),
            runtime: tokio::runtime::Handle::current(),
            cfg,
        };
        match parts.first {
            Ok(connected) => session.open_link(connected, false),
            Err(e) => session.connection_lost(e.error.to_string(), Some(e.error)),
        }
        session
    }

    // ---- audio out ------------------------------------------------------------------------

    /// Hands as much audio to the link's socket as its write queue and the replay pace allow. The
    /// pace is `replay_speed`× the host's own pace ([`HostPace`]).
    fn pump(&mut self) {
        let audio = self.cfg.audio;
        let speed = self.cfg.replay_speed * self.pace.speed();
        let stopping = self.stopping.is_some();
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let pumped = link.pump(&mut self.buffer, &mut self.max_sent, audio, speed, stopping);
        if pumped.sent_bytes > 0 {
            self.counts.sent += audio.seconds(pumped.sent_bytes).unwrap_or(0.0);
            self.counts.replayed += audio.seconds(pumped.replayed_bytes).unwrap_or(0.0);
            self.counts.dirty = true;
        }
    }

    /// Writes the audio figures gathered since the last time to the shared metrics.
    pub(super) fn flush_metrics(&mut self) {
        if !self.counts.dirty {
            return;
        }
        let counts = std::mem::take(&mut self.counts);
        let held = self.held_seconds();
        self.metrics.update(|m| {
            m.m.audio_seconds_received += counts.received;
            m.m.audio_seconds_sent += counts.sent;
            m.m.audio_seconds_replayed += counts.replayed;
            m.m.replay_buffer_seconds = held;
        });
    }

    /// Seconds of audio the replay buffer holds (the metric's one source).
    pub(super) fn held_seconds(&self) -> f64 {
        let held = self.buffer.end() - self.buffer.start();
        self.cfg.audio.seconds(held).unwrap_or(0.0)
    }

    // ---- connections ----------------------------------------------------------------------

    fn start_connect(&mut self) {
        let cfg = self.cfg.clone();
        self.connecting = Some(Box::pin(async move {
            connect(&cfg.deepgram, &cfg.audio, cfg.timing.connect_timeout).await
        }));
    }

    fn on_connect_result(&mut self, res: Result<Connected, ConnectError>) {
        match res {
            Ok(connected) => self.open_link(connected, true),
            Err(e) if e.is_final => self.fail(e.error),
            Err(e) => self.connection_lost(e.error.to_string(), Some(e.error)),
        }
    }

    fn open_link(&mut self, connected: Connected, is_reconnect: bool) {
        let Connected { socket, request_id } = connected;
        if let Some(id) = &request_id {
            self.outcome.request_ids.push(id.clone());
        }
        // Drop the previous link if one is somehow still here (never expected).
        if let Some(old) = self.link.take() {
            old.abort();
        }
        let audio = self.cfg.audio;
        if is_reconnect && audio.is_resumable() {
            self.report_unfinalised_cut();
        }
        let start = self.link_start(is_reconnect);
        let replay_bytes = self.buffer.end().saturating_sub(start.sent_pos);
        let mut link = Link::open(socket, start, self.metrics.clone());
        if is_reconnect
            && !audio.is_resumable()
            && let Some(header) = &self.container_header
        {
            link.send_header(header.clone());
            self.events.warn(
                WarningKind::AudioLost,
                "containerised audio cannot be replayed: audio in flight when the socket broke was not transcribed",
            );
        }
        if is_reconnect {
            self.metrics.update(|m| m.m.reconnects += 1);
            let announce = (self.attempt, audio.seconds(replay_bytes).unwrap_or(0.0));
            if request_id.is_some() {
                self.announce_reconnected(announce, request_id.clone());
            } else {
                // No dg-request-id header (a proxy may strip it): the id comes with the
                // first Results' metadata; Reconnected waits for it (or for the first
                // message, or the link's end) so it can carry it.
                link.announce = Some(announce);
            }
        }
        link.request_id = request_id;
        self.link = Some(link);
        self.pump();
    }

    /// Where a new link starts on the stream: at the replay buffer's start (all unfinalised
    /// audio is replayed, paced, on a reconnect), with the open Finalizes queued behind the
    /// audio they cover. The buffer holds stream bytes only (private audio never enters it),
    /// so the link's time 0 is a stream second and [`Timeline`] maps it to the call.
    fn link_start(&mut self, is_reconnect: bool) -> LinkStart {
        let audio = self.cfg.audio;
        let (base_bytes, base_secs, sent_pos) = match audio.seconds(self.buffer.start()) {
            Some(secs) => (self.buffer.start(), secs, self.buffer.start()),
            None => {
                // Containers: Deepgram's clock restarts with live audio; estimate where that
                // lies on the call's clock, never before what is already transcribed.
                let since_first = self
                    .first_audio_at
                    .map_or(0.0, |t| t.elapsed().as_secs_f64());
                let call = since_first.max(self.transcribed_until());
                (0, self.timeline.stream_of(call), self.buffer.start())
            }
        };
        let replay_bytes = self.buffer.end().saturating_sub(sent_pos);
        self.prune_finalizes();
        LinkStart {
            base_bytes,
            base_secs,
            sent_pos,
            channels: self.builder.channels(),
            pacing: is_reconnect && replay_bytes > 0 && audio.is_resumable(),
            finalizes: self.finalizes.clone(),
            coalesce: self.coalesce(),
        }
    }

    fn coalesce(&self) -> Coalesce {
        Coalesce::new(self.cfg.coalesce, &self.cfg.audio)
    }

    /// No audio is expected (a hold or a private stretch): the watchdog judges pings.
    fn quiet(&self) -> bool {
        self.on_hold || self.private.is_some()
    }

    /// Where the stream is now, in stream seconds (containers: estimated by the clock).
    fn stream_now(&self) -> f64 {
        self.cfg
            .audio
            .seconds(self.buffer.end())
            .unwrap_or_else(|| {
                let since_first = self
                    .first_audio_at
                    .map_or(0.0, |t| t.elapsed().as_secs_f64());
                (since_first - self.timeline.withheld()).max(0.0)
            })
    }

    /// The current link's clock: its time 0 and the stretches cut out of the stream.
    fn clock(&self, base: f64) -> LinkClock<'_> {
        LinkClock {
            base,
            timeline: &self.timeline,
        }
    }

    /// The end of the latest final segment, in call seconds.
    fn transcribed_until(&self) -> f64 {
        self.builder
            .transcript
            .segments
            .iter()
            .map(|s| s.end)
            .fold(0.0, f64::max)
    }

    fn announce_reconnected(
        &self,
        (attempt, replay_seconds): (u32, f64),
        request_id: Option<String>,
    ) {
        self.events.emit(AssistEvent::Reconnected {
            attempt,
            replay_seconds,
            request_id,
        });
    }

    /// A link ends before its Reconnected went out (no id ever came): announce it now, so
    /// every Reconnecting that succeeded has its Reconnected.
    fn flush_announce(&self, link: &mut Link) {
        if let Some(announce) = link.announce.take() {
            self.announce_reconnected(announce, link.request_id.clone());
        }
    }

    /// The current socket (or connection attempt) failed in a way worth retrying.
    fn connection_lost(&mut self, reason: String, error: Option<Error>) {
        if let Some(mut link) = self.link.take() {
            self.note_link_end(&link);
            self.flush_announce(&mut link);
            link.abort();
        }
        // While stopping, a lost socket is still replaced: the audio not yet finalised is
        // replayed and CloseStream sent on the new one, all within `stop_wait`.
        self.attempt += 1;
        if self.attempt > self.cfg.reconnect.max_attempts {
            let err = error.unwrap_or_else(|| Error::Transport(reason.clone()));
            self.fail(Error::Transport(format!(
                "deepgram: gave up after {} reconnect attempts; last problem: {err}",
                self.cfg.reconnect.max_attempts
            )));
            return;
        }
        tracing::warn!(attempt = self.attempt, %reason, "deepgram connection lost; reconnecting");
        self.events.emit(AssistEvent::Reconnecting {
            attempt: self.attempt,
            reason,
        });
        self.retry_at = Some(Instant::now() + self.cfg.reconnect.delay(self.attempt));
    }

    fn fail(&mut self, error: Error) {
        let error = error.bounded();
        if let Some(mut link) = self.link.take() {
            self.flush_announce(&mut link);
            link.abort();
        }
        tracing::error!(%error, "live assist stopped by a final error");
        self.events.emit(AssistEvent::Error(error.clone()));
        self.outcome.fatal = Some(error);
        self.outcome.finished = true;
    }

    fn on_tick(&mut self) {
        if self.coalesce().is_on() {
            // A partial frame whose window has passed goes now (the host stopped sending).
            self.pump();
        }
        self.flush_metrics();
        let now = Instant::now();
        self.retiring
            .retain(|(until, tasks)| *until > now && !tasks.is_empty());
        let timing = &self.cfg.timing;
        let quiet = self.quiet();
        let verdict = self.link.as_mut().and_then(|link| {
            link.keepalive(now, timing.keepalive_after);
            link.watchdog(now, quiet, timing.watchdog, timing.keepalive_after)
        });
        if let Some(reason) = verdict {
            self.replace_link(
                reason,
                Some(Error::Timeout("deepgram stopped answering".into())),
            );
        }
    }

    /// Replaces a socket that is still open as far as we know (watchdog, backlog): it gets a
    /// close frame, so Deepgram ends that stream now instead of waiting for a timeout.
    fn replace_link(&mut self, reason: String, error: Option<Error>) {
        if let Some(mut link) = self.link.take() {
            self.note_link_end(&link);
            self.flush_announce(&mut link);
            self.retire(link);
        }
        self.connection_lost(reason, error);
    }

    /// A link that carried audio for half a watchdog period was working, whether or not
    /// Deepgram had answered yet: the next failure is a first attempt again, with the short
    /// backoff. (Counting only messages let drops that came before any answer grow the
    /// backoff past the stop wait; `assist_reconnect::the_attempt_count_resets_…`.)
    fn note_link_end(&mut self, link: &Link) {
        if link.carried_audio_for(self.cfg.timing.watchdog / 2) {
            self.attempt = 0;
        }
    }

    fn retire(&mut self, link: Link) {
        if let Some(retiring) = link.retire(self.cfg.timing.send_timeout, &self.runtime) {
            self.retiring.push(retiring);
        }
    }

    // ---- the end --------------------------------------------------------------------------

    /// The stop wait ran out. While audio Deepgram has not confirmed remains (a reconnect or
    /// a paced replay is still under way), the wait extends, up to [`stop_limit`]: the
    /// transcript of that audio is what `stop` is for.
    fn on_stop_deadline(&mut self) {
        let now = Instant::now();
        let unconfirmed = self.cfg.audio.is_resumable() && self.buffer.end() > self.buffer.start();
        let stop_wait = self.cfg.timing.stop_wait;
        if let Some(stopping) = self.stopping.as_mut()
            && unconfirmed
            && now < stopping.limit
        {
            stopping.deadline = (now + stop_wait).min(stopping.limit);
            return;
        }
        self.events.warn(
            WarningKind::AudioLost,
            "deepgram did not confirm the end of the stream in time; the last results may be missing",
        );
        self.outcome.finished = true;
    }

    async fn finish(mut self) {
        let confirmed_or_failed = self.outcome.complete || self.outcome.fatal.is_some();
        if let Some(mut link) = self.link.take() {
            self.flush_announce(&mut link);
            if confirmed_or_failed {
                link.abort();
            } else {
                // Ending without Deepgram's confirmation (the stop wait ran out): say so
                // with a close frame rather than dropping the TCP connection.
                self.retire(link);
            }
        }
        // Give replaced sockets a moment to get their close frame out (bounded: a stuck
        // socket is dropped with the JoinSet).
        let cap = Instant::now() + Duration::from_secs(1);
        for (until, mut tasks) in std::mem::take(&mut self.retiring) {
            let _ = tokio::time::timeout_at(until.min(cap), async {
                while tasks.join_next().await.is_some() {}
            })
            .await;
        }
        self.flush_metrics();
        // The session ran until here; the post-call summary below is not part of it.
        let duration = self.started.elapsed();
        let outcome = std::mem::take(&mut self.outcome);
        let transcript = std::mem::take(&mut self.builder.transcript);
        // The transcript is final now; a session that ended on an error gets no post-call
        // summary (it covers part of a call at best).
        let for_post_call = outcome.fatal.is_none().then_some(&transcript);
        let engine = match self.engine.take() {
            Some(engine) => engine.finish(for_post_call).await,
            None => EngineEnd::default(),
        };
        let summary = CallSummary {
            transcript,
            suggestions: engine.suggestions,
            metrics: self.metrics.snapshot(),
            request_ids: outcome.request_ids,
            deepgram_duration: outcome.deepgram_duration,
            // Only a confirmed end (Metadata or a clean close after CloseStream) is complete.
            complete: outcome.complete && outcome.fatal.is_none(),
            error: outcome.fatal,
            post_call: engine.post_call,
            post_call_error: engine.post_call_error,
            duration,
        };
        *self
            .summary_slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(summary.clone());
        self.events.emit(AssistEvent::Closed(Box::new(summary)));
    }
}

/// How long `stop` may wait at most: the stop wait, plus — while unconfirmed audio remains —
/// the replay buffer's length and 10 s for reconnecting.
pub(crate) fn stop_limit(cfg: &AssistConfig) -> Duration {
    cfg.timing.stop_wait + cfg.replay_buffer + Duration::from_secs(10)
}

/// The figures every chunk of audio moves, kept on the session and written to the shared
/// [`Metrics`] when the host reads them, on the tick, after each event from the socket and
/// at the end: a lock (and a cold cache line) per figure per frame, 50 times a second per
/// call, bought nothing.
#[derive(Default)]
struct AudioCounts {
    received: f64,
    sent: f64,
    replayed: f64,
    /// Something changed since the last flush (the replay buffer's level included).
    dirty: bool,
}
