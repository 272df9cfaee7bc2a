//! The session's task and how the host's thread reaches the session: [`SessionCell`] (the
//! session under its lock, audio handed over directly by `send_audio`), [`run`] (the task: one
//! `poll_fn` under that lock) and its turn — every source polled once per pass
//! ([`Session::poll_turn`]) and one timer for the earliest deadline
//! ([`Session::poll_deadlines`]). The handlers it calls live in the session's other files.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use super::{AudioChunk, Session};
use crate::assist::deepgram::link::Link;

impl Session {
    /// The tick that runs the watchdog, the keep-alive, the retiring sockets' cleanup and a
    /// coalesced partial frame's deadline.
    fn tick_period(&self) -> Duration {
        let timers = self
            .cfg
            .timing
            .watchdog
            .min(self.cfg.timing.keepalive_after)
            / 4;
        let period = match self.coalesce().tick() {
            Some(window) => timers.min(window),
            None => timers,
        };
        period.max(Duration::from_millis(10))
    }

    /// One turn of the session's task: handles whatever is ready — the host's requests and
    /// queued audio, the socket, the connection attempt, the tick and the timers — until
    /// nothing is, each source once per pass so none starves another.
    fn poll_turn(
        &mut self,
        cx: &mut Context<'_>,
        timers: &mut Timers,
        queued: &AtomicUsize,
    ) -> Poll<Flow> {
        /// Passes before the task yields to others (it is woken again at once).
        const PASSES: usize = 32;
        for _ in 0..PASSES {
            let mut busy = false;
            // A handler may end the call: nothing runs after that one.
            macro_rules! handled {
                () => {{
                    busy = true;
                    if self.outcome.finished {
                        return Poll::Ready(Flow::Finished);
                    }
                }};
            }
            if self.outcome.finished {
                return Poll::Ready(Flow::Finished);
            }
            match self.control_rx.poll_recv(cx) {
                Poll::Ready(Some(c)) => {
                    self.on_control(c);
                    handled!();
                }
                // The handle is gone without `stop`: end quietly (Drop also aborts us).
                Poll::Ready(None) => return Poll::Ready(Flow::HandleGone),
                Poll::Pending => {}
            }
            if let Poll::Ready(Some(chunk)) = self.audio_rx.poll_recv(cx) {
                queued.fetch_sub(1, Ordering::AcqRel);
                self.on_audio(chunk);
                handled!();
            }
            if let Some(link) = self.link.as_mut()
                && let Poll::Ready(ev) = link.poll_io(cx)
            {
                self.on_link_event(ev);
                self.flush_metrics();
                handled!();
            }
            if let Some(connecting) = self.connecting.as_mut()
                && let Poll::Ready(res) = connecting.as_mut().poll(cx)
            {
                self.connecting = None;
                self.on_connect_result(res);
                handled!();
            }
            if timers.tick.poll_tick(cx).is_ready() {
                self.on_tick();
                handled!();
            }
            if self.poll_deadlines(cx, &mut timers.sleep) {
                handled!();
            }
            if !busy {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Runs the first deadline that has passed — a write that waited too long, the next paced
    /// frame, the reconnect, the stop wait — or arms the one timer for the earliest.
    fn poll_deadlines(&mut self, cx: &mut Context<'_>, sleep: &mut Pin<Box<Sleep>>) -> bool {
        let send_timeout = self.cfg.timing.send_timeout;
        let buffer_end = self.buffer.end();
        let write_deadline = self
            .link
            .as_ref()
            .and_then(|l| l.write_deadline(send_timeout));
        let pump_wait = self.link.as_ref().and_then(|l| l.pump_wait(buffer_end));
        let retry_at = self.retry_at.filter(|_| self.connecting.is_none());
        let stop_at = self.stopping.as_ref().map(|s| s.deadline);
        let Some(next) = [write_deadline, pump_wait, retry_at, stop_at]
            .into_iter()
            .flatten()
            .min()
        else {
            return false;
        };
        let now = Instant::now();
        if next > now {
            if sleep.deadline() != next {
                sleep.as_mut().reset(next);
            }
            // Ready: the next pass runs it.
            return sleep.as_mut().poll(cx).is_ready();
        }
        if write_deadline.is_some_and(|t| t <= now) {
            self.connection_lost(
                format!(
                    "a write to deepgram took longer than {} ms (half-dead socket)",
                    send_timeout.as_millis()
                ),
                None,
            );
        } else if pump_wait.is_some_and(|t| t <= now) {
            self.pump();
        } else if retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            self.start_connect();
        } else {
            self.on_stop_deadline();
        }
        true
    }

    /// Whether audio the host hands over needs nothing of the task: it goes straight to a
    /// socket that takes it, with no replay paced and no timer to move.
    fn steady(&self) -> bool {
        !self.outcome.finished && self.link.as_ref().is_some_and(Link::steady)
    }
}

/// How the session's task ended its loop.
enum Flow {
    /// The call ended (confirmed, failed or the stop wait ran out): the summary follows.
    Finished,
    /// The handle was dropped without `stop`.
    HandleGone,
}

/// The task's timers (they live with the task, not the session, so the host's thread never
/// touches them).
struct Timers {
    tick: tokio::time::Interval,
    /// One timer for the earliest deadline ([`Session::poll_deadlines`]).
    sleep: Pin<Box<Sleep>>,
}

/// The session, shared by its task and the handle's `send_audio`.
///
/// Audio is the one thing that comes 50 times a second: when the session is idle (its lock
/// free) and nothing is queued ahead, `send_audio` hands the chunk over itself, on the
/// host's thread — the frame is written to the socket right there, with no channel, no task
/// wake-up and no hop between threads. Otherwise (the task is busy, or chunks are queued)
/// the chunk takes the queue as before, so `send_audio` never waits for the lock.
pub(crate) struct SessionCell {
    session: Mutex<Option<Session>>,
    /// Chunks in the audio queue: counted here, beside the lock, rather than asked of the
    /// queue, whose memory is one more cache miss per frame.
    queued: AtomicUsize,
    waker: AtomicWaker,
}

impl std::fmt::Debug for SessionCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCell").finish_non_exhaustive()
    }
}

impl SessionCell {
    pub fn new(session: Session) -> Arc<SessionCell> {
        Arc::new(SessionCell {
            session: Mutex::new(Some(session)),
            queued: AtomicUsize::new(0),
            waker: AtomicWaker::new(),
        })
    }

    /// Hands `chunk` to the session now if it is idle and steady and nothing is queued ahead
    /// of it; gives it back otherwise (the caller queues it).
    pub fn try_deliver(&self, chunk: AudioChunk) -> Result<(), AudioChunk> {
        let Some(mut guard) = self.try_lock() else {
            return Err(chunk);
        };
        let Some(session) = guard.as_mut() else {
            return Err(chunk); // Ended: the queue says so.
        };
        // Behind queued chunks, in order; and only into a steady session: one reconnecting,
        // pacing a replay or waiting for its socket has work for its task, which takes the
        // audio from the queue.
        if self.queued.load(Ordering::Acquire) > 0 || !session.steady() {
            return Err(chunk);
        }
        // Nothing here needs the runtime's context (the host's thread may be none of its
        // own, Node's or a C host's): a replaced socket's close is spawned on the session's
        // runtime by handle, and writes and clocks need no context.
        session.on_audio(chunk);
        if !session.steady() {
            self.waker.wake();
        }
        Ok(())
    }

    /// Brings the shared metrics up to date with the session's own figures, unless the
    /// session's task is busy this instant (they are then a tick behind at most).
    pub fn flush_metrics(&self) {
        if let Some(session) = self.try_lock().as_mut().and_then(|g| g.as_mut()) {
            session.flush_metrics();
        }
    }

    /// Queues a chunk the session could not take directly (the caller holds the handle's
    /// intake lock, so chunks are counted in the order they are queued).
    pub fn queue(
        &self,
        tx: &mpsc::Sender<AudioChunk>,
        chunk: AudioChunk,
    ) -> Result<(), mpsc::error::TrySendError<AudioChunk>> {
        // Counted before it can be read, so the count never goes below what is queued.
        self.queued.fetch_add(1, Ordering::AcqRel);
        let sent = tx.try_send(chunk);
        if sent.is_err() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
        sent
    }

    fn lock(&self) -> MutexGuard<'_, Option<Session>> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session, unless its task holds it this instant (`send_audio` never waits for it).
    fn try_lock(&self) -> Option<MutexGuard<'_, Option<Session>>> {
        match self.session.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

/// The session's task: turns until the call ends, then writes the summary.
pub(crate) async fn run(cell: Arc<SessionCell>) {
    let period = match cell.lock().as_ref() {
        Some(session) => session.tick_period(),
        None => return,
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut timers = Timers {
        tick,
        sleep: Box::pin(tokio::time::sleep(Duration::from_secs(3600))),
    };
    let flow = std::future::poll_fn(|cx| {
        cell.waker.register(cx.waker());
        match cell.lock().as_mut() {
            Some(session) => session.poll_turn(cx, &mut timers, &cell.queued),
            None => Poll::Ready(Flow::HandleGone),
        }
    })
    .await;
    let session = cell.lock().take();
    if let (Flow::Finished, Some(session)) = (flow, session) {
        // Boxed: the summary and the post-call request are a large future, and the task
        // would carry its size for the whole call (every call's task, all call long).
        Box::pin(session.finish()).await;
    }
}
