//! The session: one supervisor task that owns the call's state, and per connection three
//! tasks that never wait on one another — a writer (every frame under a timeout), a reader
//! (parses and forwards), and a keep-alive timer.
//!
//! The supervisor never awaits anything but its `select!`: audio intake, connection events,
//! pumping audio to the writer, reconnect timers and the watchdog all make progress
//! independently, so a half-dead socket or a slow LLM cannot stall the host's audio.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::messages::{self, ServerMessage};
use super::{CloseMeaning, ConnectError, Connected, Socket, close_meaning, connect};
use crate::Error;
use crate::assist::config::AssistConfig;
use crate::assist::events::{AssistEvent, CallSummary, EventSink, WarningKind};
use crate::assist::lead::LeadContext;
use crate::assist::metrics::Metrics;
use crate::assist::replay::ReplayBuffer;
use crate::assist::suggest::engine::{EngineHandle, EngineInput};
use crate::assist::transcript::{Speaker, TranscriptBuilder};

/// How often the host's pace is sampled, and over how long it is judged.
const PACE_SAMPLE: Duration = Duration::from_millis(100);
const PACE_WINDOW: Duration = Duration::from_secs(5);

const KEEPALIVE: &str = r#"{"type":"KeepAlive"}"#;
const FINALIZE: &str = r#"{"type":"Finalize"}"#;
const CLOSE_STREAM: &str = r#"{"type":"CloseStream"}"#;

/// Frames the writer sends in order (audio, Finalize and CloseStream must not overtake one
/// another; KeepAlive travels on its own channel because its order does not matter).
#[derive(Debug)]
enum Outbound {
    Audio(Bytes),
    Text(&'static str),
    /// A WebSocket ping: during a hold no audio flows, so a pong is how the socket proves it
    /// is alive (Deepgram answers neither KeepAlive nor, always, Finalize).
    Ping,
}

/// A chunk from `send_audio`, with the bytes dropped just before it (queue full) so the gap
/// lands in the right place.
pub(crate) struct AudioChunk {
    pub gap_bytes: u64,
    pub gap_chunks: u64,
    pub data: Bytes,
    /// When the host called `send_audio` (the transcript latency's start).
    pub queued_at: std::time::Instant,
}

/// Requests from the handle.
pub(crate) enum Control {
    Hold(bool),
    Finalize,
    Lead(LeadContext),
    Stop,
}

/// What a connection's tasks report, tagged with the connection they belong to.
struct ConnEvent {
    conn: u64,
    kind: ConnEventKind,
}

enum ConnEventKind {
    Message(ServerMessage),
    BadMessage(Error),
    Closed {
        code: u16,
        reason: String,
    },
    Failed(String),
    /// A pong: the socket is alive (not an answer to audio).
    Pong,
}

/// The live connection's state.
struct Link {
    id: u64,
    tasks: JoinSet<()>,
    /// The reader and keep-alive tasks, aborted when we replace the socket ourselves while
    /// the writer is left to send a close frame.
    reader: AbortHandle,
    keepalive: AbortHandle,
    /// Asks the writer to send a close frame and end (ahead of anything queued).
    close_tx: mpsc::Sender<&'static str>,
    /// Call byte at this connection's time 0 (raw audio).
    base_bytes: u64,
    /// Call second at this connection's time 0.
    base_secs: f64,
    /// Next call byte to hand to the writer.
    sent_pos: u64,
    /// Per channel: call byte up to which this connection has sent finals.
    channel_final: Vec<Option<u64>>,
    heard_from: bool,
    /// Deepgram's id for this connection: the upgrade's `dg-request-id`, else the first
    /// `metadata.request_id` of a message.
    request_id: Option<String>,
    /// A Reconnected event waiting for the request id (attempt, replay seconds).
    announce: Option<(u32, f64)>,
    /// When this link first handed audio to its writer.
    audio_since: Option<Instant>,
    /// Since when audio sent on this link has had no answer (judged outside holds).
    unanswered_since: Option<Instant>,
    /// During a hold: since when a probe (ping, Finalize) has had no answer.
    probe_unanswered_since: Option<Instant>,
    last_probe_at: Option<Instant>,
    /// Replaying a backlog: frames are paced to `replay_speed`× real time.
    pacing: bool,
    next_send_at: Instant,
    close_sent: bool,
    /// Control messages (Finalize) with the call byte they follow: each goes once the audio
    /// handed over before it has gone, ahead of any later audio, and is never dropped when the
    /// writer queue is full (it waits for room like audio does).
    pending_text: VecDeque<(u64, &'static str)>,
}

type ConnectFuture = Pin<Box<dyn Future<Output = Result<Connected, ConnectError>> + Send>>;

pub(crate) struct Session {
    cfg: Arc<AssistConfig>,
    events: EventSink,
    metrics: Metrics,
    summary_slot: Arc<Mutex<Option<CallSummary>>>,
    control_rx: mpsc::UnboundedReceiver<Control>,
    audio_rx: mpsc::Receiver<AudioChunk>,
    conn_tx: mpsc::Sender<ConnEvent>,
    conn_rx: mpsc::Receiver<ConnEvent>,
    writer_tx: Option<mpsc::Sender<Outbound>>,
    link: Option<Link>,
    next_conn_id: u64,
    connecting: Option<ConnectFuture>,
    retry_at: Option<Instant>,
    attempt: u32,
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
    /// (when, call seconds received so far): the host's own pace over the last few seconds.
    pace: VecDeque<(Instant, f64)>,
    builder: TranscriptBuilder,
    last_speaker: Vec<Option<Speaker>>,
    channels: usize,
    engine: Option<EngineHandle>,
    stopping: Option<Instant>,
    /// The latest the stop wait may extend to.
    stop_limit: Option<Instant>,
    /// The call is on hold (`set_on_hold`): the watchdog judges pings and Finalize, not audio.
    on_hold: bool,
    /// Sockets we replaced, given until `send_timeout` to send their close frame.
    retiring: Vec<(Instant, JoinSet<()>)>,
    request_ids: Vec<String>,
    deepgram_duration: Option<f64>,
    complete: bool,
    fatal: Option<Error>,
    finished: bool,
    started: Instant,
}

pub(crate) struct SessionParts {
    pub cfg: Arc<AssistConfig>,
    pub events: EventSink,
    pub metrics: Metrics,
    pub summary_slot: Arc<Mutex<Option<CallSummary>>>,
    pub control_rx: mpsc::UnboundedReceiver<Control>,
    pub audio_rx: mpsc::Receiver<AudioChunk>,
    pub engine: Option<EngineHandle>,
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
        let (conn_tx, conn_rx) = mpsc::channel(256);
        let mut session = Session {
            builder: TranscriptBuilder::new(cfg.speakers.clone(), cfg.deepgram.diarize, channels),
            buffer: ReplayBuffer::for_call(&audio, cfg.replay_buffer),
            events: parts.events,
            metrics: parts.metrics,
            summary_slot: parts.summary_slot,
            control_rx: parts.control_rx,
            audio_rx: parts.audio_rx,
            conn_tx,
            conn_rx,
            writer_tx: None,
            link: None,
            next_conn_id: 0,
            connecting: None,
            retry_at: None,
            attempt: 0,
            max_sent: 0,
            finalizes: Vec::new(),
            container_header: None,
            first_audio_at: None,
            pace: VecDeque::new(),
            last_speaker: vec![None; channels],
            channels,
            engine: parts.engine,
            stopping: None,
            stop_limit: None,
            on_hold: false,
            retiring: Vec::new(),
            request_ids: Vec::new(),
            deepgram_duration: None,
            complete: false,
            fatal: None,
            finished: false,
            started: Instant::now(),
            cfg,
        };
        match parts.first {
            Ok(connected) => session.open_link(connected, false),
            Err(e) => session.connection_lost(e.error.to_string(), Some(e.error)),
        }
        session
    }

    pub async fn run(mut self) {
        let period = (self
            .cfg
            .timing
            .watchdog
            .min(self.cfg.timing.keepalive_after)
            / 4)
        .max(Duration::from_millis(10));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.finished {
            let pump_wait = self.pump_wait();
            let can_pump = self.wants_pump() && pump_wait.is_none();
            let retry_at = if self.connecting.is_none() {
                self.retry_at
            } else {
                None
            };
            let stop_at = self.stopping;
            tokio::select! {
                ctrl = self.control_rx.recv() => match ctrl {
                    Some(c) => self.on_control(c),
                    // The handle is gone without `stop`: end quietly (Drop also aborts us).
                    None => return,
                },
                Some(ev) = self.conn_rx.recv() => self.on_conn_event(ev),
                chunk = self.audio_rx.recv() => {
                    if let Some(chunk) = chunk {
                        self.on_audio(chunk);
                    }
                }
                () = writer_capacity(&self.writer_tx), if can_pump => self.pump(),
                () = sleep_until_opt(pump_wait), if pump_wait.is_some() => self.pump(),
                res = poll_connect(&mut self.connecting), if self.connecting.is_some() => {
                    self.connecting = None;
                    self.on_connect_result(res);
                }
                () = sleep_until_opt(retry_at), if retry_at.is_some() => {
                    self.retry_at = None;
                    self.start_connect();
                }
                () = sleep_until_opt(stop_at), if stop_at.is_some() => self.on_stop_deadline(),
                _ = tick.tick() => self.on_tick(),
            }
        }
        self.finish().await;
    }

    // ---- audio in -------------------------------------------------------------------------

    fn on_audio(&mut self, chunk: AudioChunk) {
        if chunk.data.is_empty() {
            return;
        }
        let audio = self.cfg.audio;
        if chunk.gap_bytes > 0 {
            let secs = audio.seconds(chunk.gap_bytes);
            match (audio.silence_byte(), secs) {
                (Some(silence), Some(secs)) => {
                    // Silence keeps Deepgram's clock equal to the call's clock.
                    let capped = chunk.gap_bytes.min(self.buffer.max_bytes());
                    let fill = Bytes::from(vec![silence; usize::try_from(capped).unwrap_or(0)]);
                    self.push_audio(fill, chunk.queued_at);
                    self.events.warn(
                        WarningKind::AudioDropped,
                        format!("{} audio chunk(s) ({secs:.2} s) dropped because the audio queue was full; replaced by silence", chunk.gap_chunks),
                    );
                }
                _ => self.events.warn(
                    WarningKind::AudioDropped,
                    format!(
                        "{} audio chunk(s) dropped because the audio queue was full",
                        chunk.gap_chunks
                    ),
                ),
            }
        }
        if self.first_audio_at.is_none() {
            self.first_audio_at = Some(Instant::now());
            if !audio.is_resumable() {
                self.container_header = Some(chunk.data.clone());
            }
        }
        let len = chunk.data.len() as u64;
        self.metrics.update(|m| {
            m.m.audio_seconds_received += audio.seconds(len).unwrap_or(0.0);
        });
        self.note_pace(audio.seconds(self.buffer.end() + len).unwrap_or(0.0));
        self.push_audio(chunk.data, chunk.queued_at);
        self.pump();
    }

    fn note_pace(&mut self, call_secs: f64) {
        let now = Instant::now();
        if self
            .pace
            .back()
            .is_none_or(|(t, _)| now - *t >= PACE_SAMPLE)
        {
            self.pace.push_back((now, call_secs));
        }
        while self.pace.len() > 2
            && self
                .pace
                .front()
                .is_some_and(|(t, _)| now - *t > PACE_WINDOW)
        {
            self.pace.pop_front();
        }
    }

    /// How fast the host sends audio, as a multiple of real time, over the last
    /// [`PACE_WINDOW`] (1.0 until there is enough to tell, and never below 1.0).
    fn host_speed(&self) -> f64 {
        let (Some((t0, a0)), Some((t1, a1))) = (self.pace.front(), self.pace.back()) else {
            return 1.0;
        };
        let wall = (*t1 - *t0).as_secs_f64();
        if wall < 0.5 {
            return 1.0;
        }
        ((a1 - a0) / wall).max(1.0)
    }

    /// The replay pace: `replay_speed`× the host's own pace. For live audio (the host sends in
    /// real time) that is `replay_speed`, Deepgram's ceiling; for a recording streamed at 6×
    /// the live stream already runs at 6×, and a replay slower than that could never catch up
    /// (the backlog would outgrow the replay buffer and audio would be lost).
    fn replay_pace(&self) -> f64 {
        self.cfg.replay_speed * self.host_speed()
    }

    fn push_audio(&mut self, data: Bytes, queued_at: std::time::Instant) {
        let sent = self.link.as_ref().map_or(self.max_sent, |l| l.sent_pos);
        let lost = self
            .buffer
            .push(data, sent.max(self.buffer.start()), queued_at);
        if lost > 0 {
            let secs = self.cfg.audio.seconds(lost);
            self.metrics
                .update(|m| m.m.audio_seconds_dropped += secs.unwrap_or(0.0));
            self.events.warn(
                WarningKind::AudioLost,
                format!(
                    "{} of audio fell out of the replay buffer before it could be sent",
                    secs.map_or_else(|| format!("{lost} bytes"), |s| format!("{s:.2} s"))
                ),
            );
            if self.link.is_some() {
                // The socket cannot keep up; its timeline would skip. Start a new one from
                // the buffer's start.
                self.replace_link("audio backlog exceeded the replay buffer".into(), None);
            }
        }
    }

    // ---- audio out ------------------------------------------------------------------------

    fn wants_pump(&self) -> bool {
        match &self.link {
            Some(link) => {
                link.sent_pos < self.buffer.end()
                    || !link.pending_text.is_empty()
                    || (self.stopping.is_some() && !link.close_sent)
            }
            None => false,
        }
    }

    /// When pacing holds the next replay frame back, the instant it may go.
    fn pump_wait(&self) -> Option<Instant> {
        let link = self.link.as_ref()?;
        // Stopping is paced too: the ceiling is Deepgram's, whatever the host is doing.
        (link.pacing && link.sent_pos < self.buffer.end() && link.next_send_at > Instant::now())
            .then_some(link.next_send_at)
    }

    /// Hands as much audio to the writer as its queue and the replay pace allow.
    fn pump(&mut self) {
        let audio = self.cfg.audio;
        let max_frame = audio.max_frame_bytes();
        let speed = self.replay_pace();
        let stopping = self.stopping.is_some();
        let (Some(link), Some(tx)) = (self.link.as_mut(), self.writer_tx.as_ref()) else {
            return;
        };
        loop {
            if let Some(&(after, text)) = link.pending_text.front()
                && link.sent_pos >= after.max(self.buffer.start())
            {
                if tx.try_send(Outbound::Text(text)).is_err() {
                    // The writer is busy: wait for room (wants_pump) before any later audio.
                    return;
                }
                link.pending_text.pop_front();
                continue;
            }
            if link.sent_pos < self.buffer.start() {
                link.sent_pos = self.buffer.start();
            }
            if link.sent_pos >= self.buffer.end() {
                link.pacing = false;
                break;
            }
            let now = Instant::now();
            if link.pacing && link.next_send_at > now {
                break;
            }
            let Some(frame) = self.buffer.frame_at(link.sent_pos, max_frame) else {
                break;
            };
            let len = frame.len() as u64;
            match tx.try_send(Outbound::Audio(frame)) {
                Ok(()) => {}
                Err(_) => break,
            }
            let replayed = self.max_sent.saturating_sub(link.sent_pos).min(len);
            link.sent_pos += len;
            self.max_sent = self.max_sent.max(link.sent_pos);
            if link.unanswered_since.is_none() {
                link.unanswered_since = Some(now);
            }
            link.audio_since.get_or_insert(now);
            if link.pacing {
                let secs = audio.seconds(len).unwrap_or(0.0) / speed;
                // A little slack so a late timer does not make the pace drift below target.
                let floor = now.checked_sub(Duration::from_millis(50)).unwrap_or(now);
                link.next_send_at = link.next_send_at.max(floor) + Duration::from_secs_f64(secs);
            }
            self.metrics.update(|m| {
                m.m.audio_seconds_sent += audio.seconds(len).unwrap_or(0.0);
                m.m.audio_seconds_replayed += audio.seconds(replayed).unwrap_or(0.0);
            });
        }
        if !audio.is_resumable() {
            // Containers are never replayed: release what went out.
            self.buffer.release(link.sent_pos);
        }
        if stopping
            && !link.close_sent
            && link.sent_pos >= self.buffer.end()
            && tx.try_send(Outbound::Text(CLOSE_STREAM)).is_ok()
        {
            link.close_sent = true;
            // CloseStream wants an answer too: a socket that swallows it is replaced.
            link.unanswered_since.get_or_insert_with(Instant::now);
            tracing::debug!("CloseStream sent");
        }
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
            self.request_ids.push(id.clone());
        }
        // Abort the previous link's tasks if one is somehow still here (never expected).
        if let Some(mut old) = self.link.take() {
            old.tasks.abort_all();
        }
        self.next_conn_id += 1;
        let id = self.next_conn_id;
        let audio = self.cfg.audio;
        let (writer_tx, writer_rx) = mpsc::channel(64);
        let (ka_tx, ka_rx) = mpsc::channel(1);
        let (close_tx, close_rx) = mpsc::channel(1);
        let epoch = Instant::now();
        let last_audio_ms = Arc::new(AtomicU64::new(0));
        let mut tasks = JoinSet::new();
        let (sink, stream) = socket.split();
        tasks.spawn(writer(
            sink,
            writer_rx,
            ka_rx,
            close_rx,
            WriterCtx {
                conn: id,
                epoch,
                last_audio_ms: last_audio_ms.clone(),
                send_timeout: self.cfg.timing.send_timeout,
                events: self.conn_tx.clone(),
                metrics: self.metrics.clone(),
            },
        ));
        let reader_task = tasks.spawn(reader(stream, id, self.conn_tx.clone()));
        let keepalive_task = tasks.spawn(keepalive(
            ka_tx,
            epoch,
            last_audio_ms,
            self.cfg.timing.keepalive_after,
        ));

        let (base_bytes, base_secs, sent_pos) = match audio.seconds(self.buffer.start()) {
            Some(secs) => (self.buffer.start(), secs, self.buffer.start()),
            None => {
                // Containers: Deepgram's clock restarts with live audio; estimate where that
                // lies on the call's clock, never before what is already transcribed.
                let since_first = self
                    .first_audio_at
                    .map_or(0.0, |t| t.elapsed().as_secs_f64());
                let sent = self
                    .link
                    .as_ref()
                    .map_or(self.buffer.start(), |l| l.sent_pos);
                (
                    0,
                    since_first.max(self.builder_max_end()),
                    sent.max(self.buffer.start()),
                )
            }
        };
        if is_reconnect
            && !audio.is_resumable()
            && let Some(header) = &self.container_header
        {
            // The new socket needs the container header before any mid-stream bytes.
            let _ = writer_tx.try_send(Outbound::Audio(header.clone()));
            self.events.warn(
                WarningKind::AudioLost,
                "containerised audio cannot be replayed: audio in flight when the socket broke was not transcribed",
            );
        }
        let replay_bytes = self.buffer.end().saturating_sub(sent_pos);
        let now = Instant::now();
        self.prune_finalizes();
        let pending_text = self
            .finalizes
            .iter()
            .map(|&after| (after, FINALIZE))
            .collect();
        self.link = Some(Link {
            id,
            tasks,
            reader: reader_task,
            keepalive: keepalive_task,
            close_tx,
            base_bytes,
            base_secs,
            sent_pos,
            channel_final: vec![None; self.channels],
            heard_from: false,
            request_id: None,
            announce: None,
            audio_since: None,
            unanswered_since: None,
            probe_unanswered_since: None,
            last_probe_at: None,
            pacing: is_reconnect && replay_bytes > 0 && audio.is_resumable(),
            next_send_at: now,
            close_sent: false,
            pending_text,
        });
        self.writer_tx = Some(writer_tx);
        if is_reconnect {
            self.metrics.update(|m| m.m.reconnects += 1);
            let announce = (self.attempt, audio.seconds(replay_bytes).unwrap_or(0.0));
            if request_id.is_some() {
                self.announce_reconnected(announce, request_id.clone());
            } else if let Some(link) = self.link.as_mut() {
                // No dg-request-id header (a proxy may strip it): the id comes with the
                // first Results' metadata; Reconnected waits for it (or for the first
                // message, or the link's end) so it can carry it.
                link.announce = Some(announce);
            }
        }
        if let Some(link) = self.link.as_mut() {
            link.request_id = request_id;
        }
        self.pump();
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

    /// Learns the link's request id from a message when the upgrade had none.
    fn learn_request_id(&mut self, id: Option<&str>) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if link.request_id.is_none()
            && let Some(id) = id.map(str::trim).filter(|id| !id.is_empty())
        {
            link.request_id = Some(id.to_string());
            if !self.request_ids.iter().any(|known| known == id) {
                self.request_ids.push(id.to_string());
            }
        }
        if let Some(announce) = link.announce.take() {
            let id = link.request_id.clone();
            self.announce_reconnected(announce, id);
        }
    }

    /// A link ends before its Reconnected went out (no id ever came): announce it now, so
    /// every Reconnecting that succeeded has its Reconnected.
    fn flush_announce(&self, link: &mut Link) {
        if let Some(announce) = link.announce.take() {
            self.announce_reconnected(announce, link.request_id.clone());
        }
    }

    fn builder_max_end(&self) -> f64 {
        self.builder
            .transcript
            .segments
            .iter()
            .map(|s| s.end)
            .fold(0.0, f64::max)
    }

    /// The current socket (or connection attempt) failed in a way worth retrying.
    fn connection_lost(&mut self, reason: String, error: Option<Error>) {
        if let Some(mut link) = self.link.take() {
            self.note_link_end(&link);
            self.flush_announce(&mut link);
            link.tasks.abort_all();
        }
        self.writer_tx = None;
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
        if let Some(mut link) = self.link.take() {
            self.flush_announce(&mut link);
            link.tasks.abort_all();
        }
        self.writer_tx = None;
        tracing::error!(%error, "live assist stopped by a final error");
        self.events.emit(AssistEvent::Error(error.clone()));
        self.fatal = Some(error);
        self.finished = true;
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        self.retiring
            .retain(|(until, tasks)| *until > now && !tasks.is_empty());
        let watchdog = self.cfg.timing.watchdog;
        let every = self.cfg.timing.keepalive_after;
        let on_hold = self.on_hold;
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if on_hold {
            // No audio flows during a hold, so the audio rule has nothing to judge; the
            // socket proves itself by answering pings (and the hold's Finalize).
            if link.last_probe_at.is_none_or(|t| now - t >= every)
                && let Some(tx) = &self.writer_tx
                && tx.try_send(Outbound::Ping).is_ok()
            {
                link.last_probe_at = Some(now);
                link.probe_unanswered_since.get_or_insert(now);
            }
            if link
                .probe_unanswered_since
                .is_some_and(|t| now - t > watchdog)
            {
                self.replace_link(
                    format!(
                        "deepgram answered no ping for {} ms during a hold",
                        watchdog.as_millis()
                    ),
                    Some(Error::Timeout("deepgram stopped answering".into())),
                );
            }
            return;
        }
        // Also after CloseStream: a socket that swallowed the audio and the CloseStream
        // without a word is replaced, so the unfinalised audio is replayed within `stop_wait`.
        if link.unanswered_since.is_some_and(|t| now - t > watchdog) {
            self.replace_link(
                format!(
                    "deepgram accepted audio but answered nothing for {} ms",
                    watchdog.as_millis()
                ),
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
        let stable = self.cfg.timing.watchdog / 2;
        if link.audio_since.is_some_and(|t| t.elapsed() >= stable) {
            self.attempt = 0;
        }
    }

    fn retire(&mut self, link: Link) {
        link.reader.abort();
        link.keepalive.abort();
        // The writer sends the close frame ahead of anything queued and ends; dropping the
        // JoinSet after `send_timeout` (or with the session) aborts it if the socket is stuck.
        if link.close_tx.try_send("replaced").is_ok() {
            let until = Instant::now() + self.cfg.timing.send_timeout;
            self.retiring.push((until, link.tasks));
        }
    }

    /// The stop wait ran out. While audio Deepgram has not confirmed remains (a reconnect or
    /// a paced replay is still under way), the wait extends, up to [`stop_limit`]: the
    /// transcript of that audio is what `stop` is for.
    fn on_stop_deadline(&mut self) {
        let now = Instant::now();
        let unconfirmed = self.cfg.audio.is_resumable() && self.buffer.end() > self.buffer.start();
        let limit = self.stop_limit.unwrap_or(now);
        if unconfirmed && now < limit {
            self.stopping = Some((now + self.cfg.timing.stop_wait).min(limit));
            return;
        }
        self.events.warn(
            WarningKind::AudioLost,
            "deepgram did not confirm the end of the stream in time; the last results may be missing",
        );
        self.finished = true;
    }

    // ---- control --------------------------------------------------------------------------

    fn on_control(&mut self, ctrl: Control) {
        // Audio queued before this request was made must go first: the host called
        // `send_audio` before `finalize`/`stop`, and the two travel on different channels.
        while let Ok(chunk) = self.audio_rx.try_recv() {
            self.on_audio(chunk);
        }
        match ctrl {
            Control::Hold(on) => {
                if on == self.on_hold {
                    return;
                }
                self.on_hold = on;
                if let Some(link) = self.link.as_mut() {
                    // Audio sent before a hold is judged no more (Deepgram may never answer
                    // its last fraction of a second); after the hold the audio rule starts
                    // again from the next audio sent, not from before the hold.
                    link.unanswered_since = None;
                    link.probe_unanswered_since = None;
                    link.last_probe_at = None;
                    if on {
                        // The Finalize below is the hold's first probe.
                        link.probe_unanswered_since = Some(Instant::now());
                    }
                }
                if on {
                    // Flush what was said before the hold; the keep-alive timer keeps the
                    // idle socket open through it.
                    self.send_finalize();
                }
            }
            Control::Finalize => self.send_finalize(),
            Control::Lead(lead) => {
                if let Some(engine) = &self.engine {
                    let _ = engine.tx.send(EngineInput::Lead(lead));
                }
            }
            Control::Stop => {
                if self.stopping.is_some() {
                    return;
                }
                let now = Instant::now();
                self.stopping = Some(now + self.cfg.timing.stop_wait);
                self.stop_limit = Some(now + stop_limit(&self.cfg));
                // Without a socket the reconnect goes on; the deadline bounds the wait.
                self.pump();
            }
        }
    }

    fn send_finalize(&mut self) {
        // Ordered behind the audio already handed over, so Finalize covers it; queued (never
        // dropped) when the writer is busy, and kept on the session when there is no link.
        self.pump();
        let after = self.buffer.end();
        self.finalizes.push(after);
        if let Some(link) = self.link.as_mut() {
            link.pending_text.push_back((after, FINALIZE));
        }
        self.pump();
    }

    /// Forgets the Finalize requests whose audio Deepgram has finalised.
    fn prune_finalizes(&mut self) {
        let done = self.buffer.start();
        self.finalizes.retain(|&after| after > done);
    }

    // ---- from deepgram --------------------------------------------------------------------

    fn on_conn_event(&mut self, ev: ConnEvent) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if ev.conn != link.id {
            return; // A late report from a socket already replaced.
        }
        match ev.kind {
            ConnEventKind::Pong => {
                link.probe_unanswered_since = None;
            }
            ConnEventKind::Message(msg) => {
                link.heard_from = true;
                link.unanswered_since = None;
                link.probe_unanswered_since = None;
                self.attempt = 0;
                let id = match &msg {
                    ServerMessage::Results(r) => {
                        r.metadata.as_ref().and_then(|m| m.request_id.clone())
                    }
                    ServerMessage::Metadata(m) => m.request_id.clone(),
                    _ => None,
                };
                self.learn_request_id(id.as_deref());
                self.on_message(msg);
            }
            ConnEventKind::BadMessage(err) => {
                self.events.warn(WarningKind::BadMessage, err.to_string());
            }
            ConnEventKind::Closed { code, reason } => {
                if link.close_sent && code == 1000 {
                    // Deepgram flushed and closed cleanly after CloseStream: the stream is
                    // confirmed. Any other close while closing (1011 NET-0000, …) is a drop:
                    // it reconnects below, replays the unfinalised audio and closes again.
                    self.complete = true;
                    self.finished = true;
                    return;
                }
                match close_meaning(code, &reason, &self.cfg.audio) {
                    CloseMeaning::Undecodable(msg) => self.fail(Error::Api {
                        service: "deepgram",
                        message: msg,
                        http_status: None,
                    }),
                    CloseMeaning::Retry(msg) => self.connection_lost(msg, None),
                }
            }
            ConnEventKind::Failed(reason) => {
                // Also while closing: without Metadata or a clean close nothing confirmed the
                // last audio, so it is replayed on a new socket. (A TCP drop right after
                // Metadata never gets here: Metadata already finished the session.)
                self.connection_lost(reason, None);
            }
        }
    }

    fn on_message(&mut self, msg: ServerMessage) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let base = link.base_secs;
        match msg {
            ServerMessage::Results(r) => {
                let channel = r.channel();
                if !self.builder.has_channel(channel) {
                    self.unknown_channel("Results", channel);
                    return;
                }
                let segs = self.builder.segments(&r, base);
                if !r.is_final {
                    for segment in segs {
                        self.events.emit(AssistEvent::Transcript {
                            segment,
                            is_final: false,
                        });
                    }
                    return;
                }
                let audio = self.cfg.audio;
                let end_pos = audio
                    .bytes_at(r.end())
                    .map(|b| link.base_bytes.saturating_add(b));
                let latency = end_pos
                    .and_then(|p| self.buffer.queued_at(p))
                    .map(|t| t.elapsed());
                if let (Some(pos), Some(slot)) = (
                    end_pos,
                    usize::try_from(channel)
                        .ok()
                        .and_then(|c| link.channel_final.get_mut(c)),
                ) {
                    *slot = Some(slot.map_or(pos, |p| p.max(pos)));
                }
                // Release what every channel has finalised (never past what was sent).
                if audio.is_resumable() {
                    let done = link.channel_final.iter().copied().min().flatten();
                    if let Some(done) = done {
                        self.buffer.release(done.min(link.sent_pos));
                    }
                    self.prune_finalizes();
                }
                let mut customer_turn_end = false;
                for mut segment in segs {
                    segment.latency = latency;
                    if let Some(l) = latency {
                        self.metrics.update(|m| m.transcript.record(l));
                    }
                    if let Some(slot) = usize::try_from(channel)
                        .ok()
                        .and_then(|c| self.last_speaker.get_mut(c))
                    {
                        *slot = Some(segment.speaker);
                    }
                    customer_turn_end |= segment.speaker == Speaker::Customer && r.speech_final;
                    if let Some(engine) = &self.engine {
                        let _ = engine.tx.send(EngineInput::Final {
                            speaker: segment.speaker,
                            text: segment.text.clone(),
                        });
                    }
                    self.builder.push_final(segment.clone());
                    self.events.emit(AssistEvent::Transcript {
                        segment,
                        is_final: true,
                    });
                }
                self.builder.mark_final(channel, r.end() + base);
                if customer_turn_end && let Some(engine) = &self.engine {
                    let _ = engine.tx.send(EngineInput::TurnEnded);
                }
            }
            ServerMessage::UtteranceEnd(u) => {
                let channel = u.channel.first().copied().unwrap_or(0);
                if !self.builder.has_channel(channel) {
                    self.unknown_channel("UtteranceEnd", channel);
                    return;
                }
                let speaker = self.speaker_now(channel);
                if speaker == Speaker::Customer
                    && let Some(engine) = &self.engine
                {
                    let _ = engine.tx.send(EngineInput::TurnEnded);
                }
                self.events.emit(AssistEvent::UtteranceEnd {
                    speaker,
                    channel,
                    last_word_end: u.last_word_end + base,
                });
            }
            ServerMessage::SpeechStarted(s) => {
                let channel = s.channel.first().copied().unwrap_or(0);
                if !self.builder.has_channel(channel) {
                    self.unknown_channel("SpeechStarted", channel);
                    return;
                }
                self.events.emit(AssistEvent::SpeechStarted {
                    speaker: self.speaker_now(channel),
                    channel,
                    at: s.timestamp + base,
                });
            }
            ServerMessage::Metadata(m) => {
                if let Some(id) = m.request_id
                    && !self.request_ids.contains(&id)
                {
                    self.request_ids.push(id);
                }
                self.deepgram_duration = m.duration.or(self.deepgram_duration);
                if link.close_sent {
                    // Metadata is the last thing Deepgram sends after CloseStream.
                    self.complete = true;
                    self.finished = true;
                }
            }
            ServerMessage::Unknown { kind, summary } => {
                self.events.warn(
                    WarningKind::UnknownMessage,
                    format!("deepgram sent a {kind} message: {summary}"),
                );
            }
        }
    }

    /// A message about a channel this session does not have: the numbers come from the wire
    /// and are never trusted as sizes or indexes.
    fn unknown_channel(&self, kind: &str, channel: u32) {
        self.events.warn(
            WarningKind::BadMessage,
            format!(
                "deepgram sent {kind} for channel {channel}, but the session has {} channel(s); ignored",
                self.channels
            ),
        );
    }

    fn speaker_now(&self, channel: u32) -> Speaker {
        usize::try_from(channel)
            .ok()
            .and_then(|c| self.last_speaker.get(c).copied().flatten())
            .unwrap_or_else(|| self.builder.speaker_of_channel(channel))
    }

    // ---- the end --------------------------------------------------------------------------

    async fn finish(mut self) {
        if let Some(mut link) = self.link.take() {
            self.flush_announce(&mut link);
            if self.complete || self.fatal.is_some() {
                link.tasks.abort_all();
            } else {
                // Ending without Deepgram's confirmation (the stop wait ran out): say so
                // with a close frame rather than dropping the TCP connection.
                self.retire(link);
            }
        }
        self.writer_tx = None;
        // Give replaced sockets a moment to get their close frame out (bounded: a stuck
        // socket is dropped with the JoinSet).
        let cap = Instant::now() + Duration::from_secs(1);
        for (until, mut tasks) in std::mem::take(&mut self.retiring) {
            let _ = tokio::time::timeout_at(until.min(cap), async {
                while tasks.join_next().await.is_some() {}
            })
            .await;
        }
        let suggestions = match self.engine.take() {
            Some(engine) => engine.finish().await,
            None => Vec::new(),
        };
        let summary = CallSummary {
            transcript: std::mem::take(&mut self.builder.transcript),
            suggestions,
            metrics: self.metrics.snapshot(),
            request_ids: std::mem::take(&mut self.request_ids),
            deepgram_duration: self.deepgram_duration,
            // Only a confirmed end (Metadata or a clean close after CloseStream) is complete.
            complete: self.complete && self.fatal.is_none(),
            error: self.fatal.take(),
            duration: self.started.elapsed(),
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

async fn writer_capacity(tx: &Option<mpsc::Sender<Outbound>>) {
    match tx {
        Some(tx) => {
            // Waiting for a permit and dropping it: the pump then uses try_send. A closed
            // channel means the writer died and has reported why: wait for that report
            // instead of spinning.
            if tx.reserve().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn poll_connect(fut: &mut Option<ConnectFuture>) -> Result<Connected, ConnectError> {
    match fut {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

struct WriterCtx {
    conn: u64,
    epoch: Instant,
    last_audio_ms: Arc<AtomicU64>,
    send_timeout: Duration,
    events: mpsc::Sender<ConnEvent>,
    metrics: Metrics,
}

/// Writes frames in order, each under `send_timeout`; reports a failure and ends.
async fn writer(
    mut sink: futures::stream::SplitSink<Socket, Message>,
    mut rx: mpsc::Receiver<Outbound>,
    mut keepalive_rx: mpsc::Receiver<()>,
    mut close_rx: mpsc::Receiver<&'static str>,
    ctx: WriterCtx,
) {
    loop {
        let (msg, is_audio, is_keepalive) = tokio::select! {
            biased;
            Some(reason) = close_rx.recv() => {
                let frame = CloseFrame { code: CloseCode::Normal, reason: reason.into() };
                let _ = tokio::time::timeout(ctx.send_timeout, sink.send(Message::Close(Some(frame)))).await;
                return;
            }
            Some(()) = keepalive_rx.recv() => (Message::text(KEEPALIVE), false, true),
            item = rx.recv() => match item {
                // Never an empty binary frame: Deepgram reads it as CloseStream.
                Some(Outbound::Audio(bytes)) if bytes.is_empty() => continue,
                Some(Outbound::Audio(bytes)) => (Message::Binary(bytes), true, false),
                Some(Outbound::Text(text)) => (Message::text(text), false, false),
                Some(Outbound::Ping) => (Message::Ping(Bytes::new()), false, false),
                None => return,
            },
        };
        let failure = match tokio::time::timeout(ctx.send_timeout, sink.send(msg)).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("writing to deepgram failed: {e}")),
            Err(_) => Some(format!(
                "a write to deepgram took longer than {} ms (half-dead socket)",
                ctx.send_timeout.as_millis()
            )),
        };
        if let Some(reason) = failure {
            let _ = ctx
                .events
                .send(ConnEvent {
                    conn: ctx.conn,
                    kind: ConnEventKind::Failed(reason),
                })
                .await;
            return;
        }
        if is_audio {
            let ms = u64::try_from(ctx.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            ctx.last_audio_ms.store(ms, Ordering::Relaxed);
        }
        if is_keepalive {
            ctx.metrics.update(|m| m.m.keepalives_sent += 1);
        }
    }
}

/// Reads and parses frames; a frame it cannot read is reported, not fatal.
async fn reader(
    mut stream: futures::stream::SplitStream<Socket>,
    conn: u64,
    events: mpsc::Sender<ConnEvent>,
) {
    let send = |kind| {
        let events = events.clone();
        async move { events.send(ConnEvent { conn, kind }).await.is_ok() }
    };
    while let Some(frame) = stream.next().await {
        let kind = match frame {
            Ok(Message::Text(text)) => match messages::parse(text.as_str()) {
                Ok(msg) => ConnEventKind::Message(msg),
                Err(e) => ConnEventKind::BadMessage(e),
            },
            Ok(Message::Close(frame)) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.as_str().to_string()))
                    .unwrap_or((1005, String::new()));
                send(ConnEventKind::Closed { code, reason }).await;
                return;
            }
            Ok(Message::Pong(_)) => ConnEventKind::Pong,
            Ok(_) => continue, // binary/ping: tungstenite answers pings itself.
            Err(e) => {
                send(ConnEventKind::Failed(format!(
                    "reading from deepgram failed: {e}"
                )))
                .await;
                return;
            }
        };
        if !send(kind).await {
            return;
        }
    }
    send(ConnEventKind::Failed(
        "deepgram socket ended without a close frame".into(),
    ))
    .await;
}

/// Asks the writer for a KeepAlive whenever no audio went out for `every`.
async fn keepalive(
    tx: mpsc::Sender<()>,
    epoch: Instant,
    last_audio_ms: Arc<AtomicU64>,
    every: Duration,
) {
    let mut last_keepalive = Duration::ZERO;
    loop {
        let last_audio = Duration::from_millis(last_audio_ms.load(Ordering::Relaxed));
        let due = epoch + last_audio.max(last_keepalive) + every;
        tokio::time::sleep_until(due).await;
        let now = epoch.elapsed();
        let last_audio = Duration::from_millis(last_audio_ms.load(Ordering::Relaxed));
        if now.saturating_sub(last_audio) >= every && now.saturating_sub(last_keepalive) >= every {
            // try_send: if the writer is busy, a KeepAlive is already queued or audio is
            // flowing; either way nothing to add.
            let _ = tx.try_send(());
            last_keepalive = now;
        }
    }
}
