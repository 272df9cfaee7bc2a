//! One Deepgram connection: its three tasks — a writer (every frame under a timeout), a reader
//! (parses and forwards), a keep-alive timer — that never wait on one another, and the state
//! the session keeps about it (where its timeline starts, what it has sent, what it owes an
//! answer for).
//!
//! A link knows nothing of reconnecting, replaying from where or stopping when: the session
//! loop ([`super::session`]) decides that, and asks the link to hand audio to its writer
//! ([`Link::pump`]) and to judge whether the socket still answers ([`Link::watchdog`]).
//!
//! One idea, one file (~550 lines, a little over the ~500 a file should stay under): the
//! tasks and the state share the channels and frame types that nothing else may touch, which
//! is why they are private to this file.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::Socket;
use super::messages::{self, ServerMessage};
use crate::Error;
use crate::assist::audio::AudioFormat;
use crate::assist::metrics::Metrics;
use crate::assist::replay::ReplayBuffer;

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

/// What a connection's tasks report, tagged with the connection they belong to.
pub(super) struct ConnEvent {
    pub conn: u64,
    pub kind: ConnEventKind,
}

pub(super) enum ConnEventKind {
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

/// Where a new link starts, decided by the session (it knows the replay buffer and the
/// transcript).
pub(super) struct LinkStart {
    /// Call byte at this connection's time 0 (raw audio).
    pub base_bytes: u64,
    /// Stream second at this connection's time 0 (the session's timeline maps it to the call).
    pub base_secs: f64,
    /// First call byte to hand to the writer.
    pub sent_pos: u64,
    pub channels: usize,
    /// Replay the backlog paced (a reconnect with audio to resend).
    pub pacing: bool,
    /// Finalizes still open, by the call byte they follow.
    pub finalizes: Vec<u64>,
}

/// The timers the link's tasks run on.
pub(super) struct LinkTiming {
    pub send_timeout: Duration,
    pub keepalive_after: Duration,
}

/// The live connection's state.
pub(super) struct Link {
    pub id: u64,
    tasks: JoinSet<()>,
    /// The reader and keep-alive tasks, aborted when we replace the socket ourselves while
    /// the writer is left to send a close frame.
    reader: AbortHandle,
    keepalive: AbortHandle,
    /// Frames for the writer, in order; bounded, and only ever `try_send`: the session loop
    /// never waits on the socket.
    writer_tx: mpsc::Sender<Outbound>,
    /// Asks the writer to send a close frame and end (ahead of anything queued).
    close_tx: mpsc::Sender<&'static str>,
    /// Call byte at this connection's time 0 (raw audio).
    pub base_bytes: u64,
    /// Stream second at this connection's time 0: the offset of every time Deepgram sends,
    /// before the session's timeline moves it past the private stretches onto the call.
    pub base_secs: f64,
    /// Next call byte to hand to the writer.
    pub sent_pos: u64,
    /// Per channel: call byte up to which this connection has sent finals.
    channel_final: Vec<Option<u64>>,
    /// Deepgram's id for this connection: the upgrade's `dg-request-id`, else the first
    /// `metadata.request_id` of a message.
    pub request_id: Option<String>,
    /// A Reconnected event waiting for the request id (attempt, replay seconds).
    pub announce: Option<(u32, f64)>,
    /// When this link first handed audio to its writer.
    audio_since: Option<Instant>,
    /// Since when audio sent on this link has had no answer (judged outside holds).
    unanswered_since: Option<Instant>,
    /// During a hold: since when a probe (ping, Finalize) has had no answer.
    probe_unanswered_since: Option<Instant>,
    last_probe_at: Option<Instant>,
    /// Replaying a backlog: frames are paced to the replay pace.
    pacing: bool,
    next_send_at: Instant,
    pub close_sent: bool,
    /// Control messages (Finalize) with the call byte they follow: each goes once the audio
    /// handed over before it has gone, ahead of any later audio, and is never dropped when the
    /// writer queue is full (it waits for room like audio does).
    pending_text: VecDeque<(u64, &'static str)>,
}

/// What one [`Link::pump`] handed to the writer, for the metrics.
pub(super) struct Pumped {
    pub sent_bytes: u64,
    pub replayed_bytes: u64,
}

impl Link {
    /// Splits the socket and spawns the link's three tasks; they report on `events`.
    pub fn open(
        socket: Socket,
        id: u64,
        start: LinkStart,
        timing: LinkTiming,
        events: mpsc::Sender<ConnEvent>,
        metrics: Metrics,
    ) -> Link {
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
                send_timeout: timing.send_timeout,
                events: events.clone(),
                metrics,
            },
        ));
        let reader = tasks.spawn(reader(stream, id, events));
        let keepalive = tasks.spawn(keepalive(
            ka_tx,
            epoch,
            last_audio_ms,
            timing.keepalive_after,
        ));
        Link {
            id,
            tasks,
            reader,
            keepalive,
            writer_tx,
            close_tx,
            base_bytes: start.base_bytes,
            base_secs: start.base_secs,
            sent_pos: start.sent_pos,
            channel_final: vec![None; start.channels],
            request_id: None,
            announce: None,
            audio_since: None,
            unanswered_since: None,
            probe_unanswered_since: None,
            last_probe_at: None,
            pacing: start.pacing,
            next_send_at: Instant::now(),
            close_sent: false,
            pending_text: start
                .finalizes
                .into_iter()
                .map(|after| (after, FINALIZE))
                .collect(),
        }
    }

    /// Sends the container header of a stream that cannot be replayed ahead of anything else:
    /// the new socket needs it before any mid-stream bytes.
    pub fn send_header(&self, header: Bytes) {
        let _ = self.writer_tx.try_send(Outbound::Audio(header));
    }

    /// Queues a Finalize behind the audio up to call byte `after`.
    pub fn queue_finalize(&mut self, after: u64) {
        self.pending_text.push_back((after, FINALIZE));
    }

    /// Waits until the writer has room (the permit is dropped: the pump then uses
    /// `try_send`). A closed channel means the writer died and has reported why: wait for that
    /// report instead of spinning.
    pub async fn writer_capacity(link: Option<&Link>) {
        match link {
            Some(link) => {
                if link.writer_tx.reserve().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }

    /// Whether the link has something to hand to its writer: audio up to `buffer_end`, a
    /// queued Finalize, or — when stopping — the CloseStream.
    pub fn wants_pump(&self, buffer_end: u64, stopping: bool) -> bool {
        self.sent_pos < buffer_end
            || !self.pending_text.is_empty()
            || (stopping && !self.close_sent)
    }

    /// When pacing holds the next replay frame back, the instant it may go.
    pub fn pump_wait(&self, buffer_end: u64) -> Option<Instant> {
        // Stopping is paced too: the ceiling is Deepgram's, whatever the host is doing.
        (self.pacing && self.sent_pos < buffer_end && self.next_send_at > Instant::now())
            .then_some(self.next_send_at)
    }

    /// Hands as much audio to the writer as its queue and the replay pace (`speed`× real
    /// time) allow, each Finalize once the audio before it has gone, and — when `stopping`
    /// and every byte has gone — CloseStream. `max_sent` is the highest call byte any link
    /// sent: bytes below it are replays.
    pub fn pump(
        &mut self,
        buffer: &mut ReplayBuffer,
        max_sent: &mut u64,
        audio: AudioFormat,
        speed: f64,
        stopping: bool,
    ) -> Pumped {
        let max_frame = audio.max_frame_bytes();
        let mut pumped = Pumped {
            sent_bytes: 0,
            replayed_bytes: 0,
        };
        loop {
            if let Some(&(after, text)) = self.pending_text.front()
                && self.sent_pos >= after.max(buffer.start())
            {
                if self.writer_tx.try_send(Outbound::Text(text)).is_err() {
                    // The writer is busy: wait for room (wants_pump) before any later audio.
                    return pumped;
                }
                self.pending_text.pop_front();
                continue;
            }
            if self.sent_pos < buffer.start() {
                self.sent_pos = buffer.start();
            }
            if self.sent_pos >= buffer.end() {
                self.pacing = false;
                break;
            }
            let now = Instant::now();
            if self.pacing && self.next_send_at > now {
                break;
            }
            let Some(frame) = buffer.frame_at(self.sent_pos, max_frame) else {
                break;
            };
            let len = frame.len() as u64;
            if self.writer_tx.try_send(Outbound::Audio(frame)).is_err() {
                break;
            }
            let replayed = max_sent.saturating_sub(self.sent_pos).min(len);
            self.sent_pos += len;
            *max_sent = (*max_sent).max(self.sent_pos);
            if self.unanswered_since.is_none() {
                self.unanswered_since = Some(now);
            }
            self.audio_since.get_or_insert(now);
            if self.pacing {
                let secs = audio.seconds(len).unwrap_or(0.0) / speed;
                // A little slack so a late timer does not make the pace drift below target.
                let floor = now.checked_sub(Duration::from_millis(50)).unwrap_or(now);
                self.next_send_at = self.next_send_at.max(floor) + Duration::from_secs_f64(secs);
            }
            pumped.sent_bytes += len;
            pumped.replayed_bytes += replayed;
        }
        if !audio.is_resumable() {
            // Containers are never replayed: release what went out.
            buffer.release(self.sent_pos);
        }
        if stopping
            && !self.close_sent
            && self.sent_pos >= buffer.end()
            && self
                .writer_tx
                .try_send(Outbound::Text(CLOSE_STREAM))
                .is_ok()
        {
            self.close_sent = true;
            // CloseStream wants an answer too: a socket that swallows it is replaced.
            self.unanswered_since.get_or_insert_with(Instant::now);
            tracing::debug!("CloseStream sent");
        }
        pumped
    }

    /// Deepgram sent a message: the socket answers (audio, probes and CloseStream alike).
    pub fn heard(&mut self) {
        self.unanswered_since = None;
        self.probe_unanswered_since = None;
    }

    /// A pong: the socket is alive during a hold (it says nothing about audio).
    pub fn pong(&mut self) {
        self.probe_unanswered_since = None;
    }

    /// The hold began or ended. Audio sent before a hold is judged no more (Deepgram may never
    /// answer its last fraction of a second); after the hold the audio rule starts again from
    /// the next audio sent, not from before the hold.
    pub fn hold_changed(&mut self, on: bool) {
        self.unanswered_since = None;
        self.probe_unanswered_since = None;
        self.last_probe_at = None;
        if on {
            // The hold's Finalize (which the session sends next) is its first probe.
            self.probe_unanswered_since = Some(Instant::now());
        }
    }

    /// The watchdog: why this socket should be replaced, if it should. During a hold no audio
    /// flows, so the audio rule has nothing to judge; the socket proves itself by answering
    /// pings (one every `every`, sent from here) and the hold's Finalize. Outside a hold audio
    /// — and, after CloseStream, the CloseStream — must be answered within `watchdog`.
    pub fn watchdog(
        &mut self,
        now: Instant,
        on_hold: bool,
        watchdog: Duration,
        every: Duration,
    ) -> Option<String> {
        if on_hold {
            if self.last_probe_at.is_none_or(|t| now - t >= every)
                && self.writer_tx.try_send(Outbound::Ping).is_ok()
            {
                self.last_probe_at = Some(now);
                self.probe_unanswered_since.get_or_insert(now);
            }
            return self
                .probe_unanswered_since
                .is_some_and(|t| now - t > watchdog)
                .then(|| {
                    format!(
                        "deepgram answered no ping for {} ms during a hold",
                        watchdog.as_millis()
                    )
                });
        }
        // Also after CloseStream: a socket that swallowed the audio and the CloseStream
        // without a word is replaced, so the unfinalised audio is replayed within `stop_wait`.
        self.unanswered_since
            .is_some_and(|t| now - t > watchdog)
            .then(|| {
                format!(
                    "deepgram accepted audio but answered nothing for {} ms",
                    watchdog.as_millis()
                )
            })
    }

    /// Whether this link carried audio for at least `stable`: it was working, whether or not
    /// Deepgram had answered yet.
    pub fn carried_audio_for(&self, stable: Duration) -> bool {
        self.audio_since.is_some_and(|t| t.elapsed() >= stable)
    }

    /// Records a final on `channel` ending at call byte `pos` (a channel the link does not
    /// have is ignored: the number came from the wire).
    pub fn note_final(&mut self, channel: u32, pos: u64) {
        if let Some(slot) = usize::try_from(channel)
            .ok()
            .and_then(|c| self.channel_final.get_mut(c))
        {
            *slot = Some(slot.map_or(pos, |p| p.max(pos)));
        }
    }

    /// The call byte up to which every channel has sent finals, capped at what was sent.
    pub fn finalised(&self) -> Option<u64> {
        let done = self.channel_final.iter().copied().min().flatten()?;
        Some(done.min(self.sent_pos))
    }

    /// Ends the link at once (its tasks are aborted; no close frame).
    pub fn abort(mut self) {
        self.tasks.abort_all();
    }

    /// Ends a socket that is still open as far as we know: the writer sends a close frame
    /// ahead of anything queued, so Deepgram ends that stream now instead of waiting for a
    /// timeout. Returns the tasks to keep until `send_timeout` has passed (dropping them then,
    /// or with the session, aborts a writer stuck on the socket).
    pub fn retire(self, send_timeout: Duration) -> Option<(Instant, JoinSet<()>)> {
        self.reader.abort();
        self.keepalive.abort();
        self.close_tx
            .try_send("replaced")
            .is_ok()
            .then(|| (Instant::now() + send_timeout, self.tasks))
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
            // Deepgram speaks JSON text only: a binary frame is not its, and is said so.
            Ok(Message::Binary(data)) => ConnEventKind::BadMessage(Error::protocol(
                format!(
                    "deepgram sent a binary frame of {} bytes; ignored",
                    data.len()
                ),
                "",
            )),
            Ok(_) => continue, // ping: tungstenite answers pings itself.
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
