//! One Deepgram connection: the socket and the state the session keeps about it (where its
//! timeline starts, what it has sent, what it owes an answer for).
//!
//! The socket is driven from the session's own task, not from tasks of its own: a frame is
//! written the moment the session hands it over ([`Link::pump`]), and [`Link::poll_io`] —
//! polled on every turn of the session's task — finishes writes the socket made wait and
//! reads what Deepgram says. At 50 frames a second per call that saves a task hop, a channel and a
//! wake-up per frame (and three tasks per call), and the socket is never split, so no lock
//! is taken per frame either. Nothing here blocks: a socket that cannot take a frame leaves
//! it queued (bounded) and the session carries on; a write that waits longer than
//! `send_timeout` is the session's timer ([`Link::write_deadline`]), a half-dead socket.
//!
//! A link knows nothing of reconnecting, replaying from where or stopping when: the session
//! loop ([`super::session`]) decides that, and asks the link to hand audio to the socket
//! ([`Link::pump`]) and to judge whether the socket still answers ([`Link::watchdog`]).
//!
//! One idea, one file (~600 lines, over the ~500 a file should stay under): driving the
//! socket and the state the session keeps about it share the write queue and the frame types
//! that nothing else may touch, which is why they are private to this file.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::{Sink, SinkExt, Stream};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::Socket;
use super::coalesce::Coalesce;
use super::messages::{self, ServerMessage};
use crate::Error;
use crate::assist::audio::AudioFormat;
use crate::assist::metrics::Metrics;
use crate::assist::replay::ReplayBuffer;

const KEEPALIVE: &str = r#"{"type":"KeepAlive"}"#;
const FINALIZE: &str = r#"{"type":"Finalize"}"#;
const CLOSE_STREAM: &str = r#"{"type":"CloseStream"}"#;

/// Frames waiting for a socket that made us wait, at most. The backlog beyond it stays in the
/// replay buffer (where a reconnect replays it from), not in a queue in front of the socket.
const WRITE_QUEUE: usize = 64;

/// Frames for the socket, written in order (audio, Finalize and CloseStream must not overtake
/// one another; a KeepAlive or a ping may go anywhere, they say nothing about the audio).
#[derive(Debug)]
enum Outbound {
    Audio(Bytes),
    Text(&'static str),
    KeepAlive,
    /// A WebSocket ping: during a hold no audio flows, so a pong is how the socket proves it
    /// is alive (Deepgram answers neither KeepAlive nor, always, Finalize).
    Ping,
}

/// What the socket did, for the session.
pub(super) enum LinkEvent {
    Message(ServerMessage),
    BadMessage(Error),
    Closed {
        code: u16,
        reason: String,
    },
    Failed(String),
    /// A pong: the socket is alive (not an answer to audio).
    Pong,
    /// Writes the socket had made wait have gone: there is room for more audio.
    Drained,
}

/// Where a new link starts, decided by the session (it knows the replay buffer and the
/// transcript).
pub(super) struct LinkStart {
    /// Call byte at this connection's time 0 (raw audio).
    pub base_bytes: u64,
    /// Stream second at this connection's time 0 (the session's timeline maps it to the call).
    pub base_secs: f64,
    /// First call byte to hand to the socket.
    pub sent_pos: u64,
    pub channels: usize,
    /// Replay the backlog paced (a reconnect with audio to resend).
    pub pacing: bool,
    /// Finalizes still open, by the call byte they follow.
    pub finalizes: Vec<u64>,
    pub coalesce: Coalesce,
}

/// The live connection's state.
pub(super) struct Link {
    socket: Box<Socket>,
    /// Frames the socket has not taken yet (empty unless it made us wait).
    out: VecDeque<Outbound>,
    /// A frame was handed to the socket and its flush has not completed.
    flushing: bool,
    /// Since when a write has waited for the socket (`None`: writes go straight through).
    blocked_since: Option<Instant>,
    /// Why a write failed: nothing more is written, and the session's next poll reports it
    /// (the session then drops the link).
    write_failed: Option<String>,
    /// The socket's read side ended (close frame, error or end of stream).
    read_done: bool,
    /// The last read found nothing: the next waits for the TCP socket to be readable.
    read_idle: bool,
    metrics: Metrics,
    /// When audio last went to the socket, and the last KeepAlive (both start at the open).
    last_audio_at: Instant,
    last_keepalive_at: Instant,
    /// Call byte at this connection's time 0 (raw audio).
    pub base_bytes: u64,
    /// Stream second at this connection's time 0: the offset of every time Deepgram sends,
    /// before the session's timeline moves it past the private stretches onto the call.
    pub base_secs: f64,
    /// Next call byte to hand to the socket.
    pub sent_pos: u64,
    /// Per channel: call byte up to which this connection has sent finals.
    channel_final: Vec<Option<u64>>,
    /// Deepgram's id for this connection: the upgrade's `dg-request-id`, else the first
    /// `metadata.request_id` of a message.
    pub request_id: Option<String>,
    /// A Reconnected event waiting for the request id (attempt, replay seconds).
    pub announce: Option<(u32, f64)>,
    /// When this link first handed audio to the socket.
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
    /// write queue is full (it waits for room like audio does).
    pending_text: VecDeque<(u64, &'static str)>,
    coalesce: Coalesce,
}

/// What one [`Link::pump`] handed to the socket, for the metrics.
pub(super) struct Pumped {
    pub sent_bytes: u64,
    pub replayed_bytes: u64,
}

impl Link {
    /// Takes over the socket. No task is spawned: the session's task drives it.
    pub fn open(socket: Box<Socket>, start: LinkStart, metrics: Metrics) -> Link {
        let now = Instant::now();
        Link {
            socket,
            out: VecDeque::new(),
            flushing: false,
            blocked_since: None,
            write_failed: None,
            read_done: false,
            read_idle: false,
            metrics,
            last_audio_at: now,
            last_keepalive_at: now,
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
            next_send_at: now,
            close_sent: false,
            pending_text: start
                .finalizes
                .into_iter()
                .map(|after| (after, FINALIZE))
                .collect(),
            coalesce: start.coalesce,
        }
    }

    /// Queues a frame and writes at once unless the socket is making us wait. `false` when
    /// the queue is full (the caller keeps the frame and tries again on [`LinkEvent::Drained`]).
    fn offer(&mut self, item: Outbound) -> bool {
        if self.out.len() >= WRITE_QUEUE {
            return false;
        }
        self.out.push_back(item);
        if self.blocked_since.is_none() {
            self.write_now();
        }
        true
    }

    /// Writes what is queued, outside a poll: a socket that makes us wait is polled again on
    /// the session task's next turn ([`poll_io`](Self::poll_io)), with the task's own waker
    /// (the session is then not steady, so `send_audio` wakes the task).
    fn write_now(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(Err(reason)) = self.poll_write(&mut cx) {
            self.write_failed.get_or_insert(reason);
        }
    }

    /// Hands queued frames to the socket and flushes each, until the queue is empty
    /// (`Ready(Ok)`), the socket makes us wait (`Pending`) or a write fails.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        if self.write_failed.is_some() {
            return Poll::Pending; // Reported by the next poll_io; nothing more is written.
        }
        let failed = |e: tokio_tungstenite::tungstenite::Error| {
            Poll::Ready(Err(format!("writing to deepgram failed: {e}")))
        };
        loop {
            if self.flushing {
                match Pin::new(&mut *self.socket).poll_flush(cx) {
                    Poll::Pending => return self.wait_for_socket(),
                    Poll::Ready(Err(e)) => return failed(e),
                    Poll::Ready(Ok(())) => self.flushing = false,
                }
            }
            if self.out.is_empty() {
                self.blocked_since = None;
                return Poll::Ready(Ok(()));
            }
            match Pin::new(&mut *self.socket).poll_ready(cx) {
                Poll::Pending => return self.wait_for_socket(),
                Poll::Ready(Err(e)) => return failed(e),
                Poll::Ready(Ok(())) => {}
            }
            let Some(item) = self.out.pop_front() else {
                continue;
            };
            let msg = match item {
                // Never an empty binary frame: Deepgram reads it as CloseStream.
                Outbound::Audio(bytes) if bytes.is_empty() => continue,
                Outbound::Audio(bytes) => Message::Binary(bytes),
                Outbound::Text(text) => Message::text(text),
                Outbound::KeepAlive => {
                    self.metrics.update(|m| m.m.keepalives_sent += 1);
                    Message::text(KEEPALIVE)
                }
                Outbound::Ping => Message::Ping(Bytes::new()),
            };
            if let Err(e) = Pin::new(&mut *self.socket).start_send(msg) {
                return failed(e);
            }
            self.flushing = true;
        }
    }

    fn wait_for_socket(&mut self) -> Poll<Result<(), String>> {
        self.blocked_since.get_or_insert_with(Instant::now);
        Poll::Pending
    }

    /// The session's arm: a write failure, the end of a wait for the socket
    /// ([`LinkEvent::Drained`]), or what Deepgram sent.
    ///
    /// What Deepgram sent before a write failed comes first (finals already on their way
    /// are kept, as a reader of its own would have kept them); the failure after it.
    pub fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<LinkEvent> {
        if self.write_failed.is_none() {
            let was_blocked = self.blocked_since.is_some();
            match self.poll_write(cx) {
                Poll::Ready(Err(reason)) => self.write_failed = Some(reason),
                Poll::Ready(Ok(())) if was_blocked => return Poll::Ready(LinkEvent::Drained),
                _ => {}
            }
        }
        loop {
            let frame = if self.read_done || !self.poll_readable(cx) {
                Poll::Pending
            } else {
                let frame = Pin::new(&mut *self.socket).poll_next(cx);
                self.read_idle = frame.is_pending();
                frame
            };
            let frame = match frame {
                Poll::Pending => {
                    // The socket is dead for writing: report it once nothing more is to read
                    // (a reset socket's read fails at once, so this does not wait).
                    return match &self.write_failed {
                        Some(reason) => Poll::Ready(LinkEvent::Failed(reason.clone())),
                        None => Poll::Pending,
                    };
                }
                Poll::Ready(frame) => frame,
            };
            let event = match frame {
                Some(Ok(Message::Text(text))) => match messages::parse(text.as_str()) {
                    Ok(msg) => LinkEvent::Message(msg),
                    Err(e) => LinkEvent::BadMessage(e),
                },
                Some(Ok(Message::Close(frame))) => {
                    self.read_done = true;
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.as_str().to_string()))
                        .unwrap_or((1005, String::new()));
                    LinkEvent::Closed { code, reason }
                }
                Some(Ok(Message::Pong(_))) => LinkEvent::Pong,
                // Deepgram speaks JSON text only: a binary frame is not its, and is said so.
                Some(Ok(Message::Binary(data))) => LinkEvent::BadMessage(Error::protocol(
                    format!(
                        "deepgram sent a binary frame of {} bytes; ignored",
                        data.len()
                    ),
                    "",
                )),
                // A ping: tungstenite queues the pong itself (written by its next read/flush).
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    self.read_done = true;
                    LinkEvent::Failed(format!("reading from deepgram failed: {e}"))
                }
                None => {
                    self.read_done = true;
                    LinkEvent::Failed("deepgram socket ended without a close frame".into())
                }
            };
            return Poll::Ready(event);
        }
    }

    /// Whether a read may find something. After a read found nothing, only once the TCP
    /// socket is readable again: the session polls this arm on every turn of its loop (twice
    /// per frame of audio), and every read attempt first zeroes tungstenite's read buffer.
    /// (Under TLS a read that found nothing consumed every complete record, so the TCP
    /// socket's readiness is the right gate there too.)
    fn poll_readable(&mut self, cx: &mut Context<'_>) -> bool {
        if self.read_idle {
            let tcp = self.socket.get_ref().get_ref();
            match tcp.poll_read_ready(cx) {
                Poll::Pending => return false,
                // Ready, or an error the read itself reports.
                Poll::Ready(_) => self.read_idle = false,
            }
        }
        true
    }

    /// Audio handed over goes straight out, with nothing for the session's task to do: no
    /// wait for the socket, no failure to report, no replay to pace, the socket still reading.
    pub fn steady(&self) -> bool {
        self.blocked_since.is_none()
            && self.write_failed.is_none()
            && !self.pacing
            && !self.read_done
    }

    /// When a write that is waiting for the socket becomes a half-dead socket.
    pub fn write_deadline(&self, send_timeout: Duration) -> Option<Instant> {
        self.blocked_since.map(|t| t + send_timeout)
    }

    /// Sends a KeepAlive when no audio went out for `every` (and no KeepAlive either).
    /// Checked on the session's tick, which runs at least four times per `every`.
    pub fn keepalive(&mut self, now: Instant, every: Duration) {
        if now - self.last_audio_at >= every
            && now - self.last_keepalive_at >= every
            && self.offer(Outbound::KeepAlive)
        {
            self.last_keepalive_at = now;
        }
    }

    /// Sends the container header of a stream that cannot be replayed ahead of anything else:
    /// the new socket needs it before any mid-stream bytes.
    pub fn send_header(&mut self, header: Bytes) {
        self.offer(Outbound::Audio(header));
    }

    /// Queues a Finalize behind the audio up to call byte `after`.
    pub fn queue_finalize(&mut self, after: u64) {
        self.pending_text.push_back((after, FINALIZE));
    }

    /// While a paced replay has audio left, the instant the next frame may go — also when it
    /// has already passed (the pump then runs at once): nothing else pumps a replay once the
    /// host stops sending. `None` while the socket makes us wait ([`LinkEvent::Drained`]
    /// pumps then).
    pub fn pump_wait(&self, buffer_end: u64) -> Option<Instant> {
        // Stopping is paced too: the ceiling is Deepgram's, whatever the host is doing.
        (self.pacing && self.sent_pos < buffer_end && self.blocked_since.is_none())
            .then_some(self.next_send_at)
    }

    /// Hands as much audio to the socket as its queue and the replay pace (`speed`× real
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
                if !self.offer(Outbound::Text(text)) {
                    // The socket is busy: wait for room (Drained) before any later audio.
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
            let frame = if self.coalesce.is_on() {
                // Live audio short of a frame waits (a replay and the end of the stream do
                // not); a Finalize behind it does not wait for it.
                let due = self
                    .pending_text
                    .front()
                    .is_some_and(|&(after, _)| after > self.sent_pos);
                let unsent = buffer.end() - self.sent_pos;
                let first = || buffer.queued_at(self.sent_pos + 1);
                if !self.pacing && !stopping && self.coalesce.holds(unsent, due, first) {
                    break;
                }
                buffer.span_at(self.sent_pos, max_frame)
            } else {
                buffer.frame_at(self.sent_pos, max_frame)
            };
            let Some(frame) = frame else {
                break;
            };
            let len = frame.len() as u64;
            if !self.offer(Outbound::Audio(frame)) {
                break;
            }
            self.last_audio_at = now;
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
            && self.offer(Outbound::Text(CLOSE_STREAM))
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
            if self.last_probe_at.is_none_or(|t| now - t >= every) && self.offer(Outbound::Ping) {
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

    /// Ends the link at once (the socket is dropped; no close frame).
    pub fn abort(self) {}

    /// Ends a socket that is still open as far as we know: a close frame goes ahead of
    /// anything queued (after a frame half-written, which the protocol needs finished), so
    /// Deepgram ends that stream now instead of waiting for a timeout. Returns the task
    /// sending it (on the session's runtime: this may run on the host's thread, see
    /// `SessionCell`), to keep until `send_timeout` has passed (dropping it then, or with the
    /// session, drops a socket stuck on its write).
    pub fn retire(
        self,
        send_timeout: Duration,
        runtime: &tokio::runtime::Handle,
    ) -> Option<(Instant, JoinSet<()>)> {
        if self.write_failed.is_some() {
            return None; // The socket already failed: nothing can be sent on it.
        }
        let mut socket = self.socket;
        let mut tasks = JoinSet::new();
        let close = async move {
            let frame = CloseFrame {
                code: CloseCode::Normal,
                reason: "replaced".into(),
            };
            let _ =
                tokio::time::timeout(send_timeout, socket.send(Message::Close(Some(frame)))).await;
        };
        tasks.spawn_on(close, runtime);
        Some((Instant::now() + send_timeout, tasks))
    }
}
