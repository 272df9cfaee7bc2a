//! Delivering a session's events to the host's callback, on one dedicated thread.
//!
//! The thread waits for the next event (or the stop signal) with a small executor, then calls
//! the callback *outside* any async context, so the callback may call blocking `helix_*`
//! functions (call control, even `helix_assist_stop`) without deadlocking a runtime.

use std::cell::Cell;
use std::ffi::{CString, c_char, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use helix_engage::assist::AssistEvent;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Failure, FfiResult, helix_status};

/// What an event is about; its JSON payload has the details.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_event_kind {
    /// Recognised speech: `{"type":"transcript","isFinal":true,"segment":{"kind":"speech",
    /// "speaker":"customer","channel":1,"start":4.0,"end":6.5,"text":"…","confidence":0.98,
    /// "words":[…],"speechFinal":true,"latency":120}}`. Interims (`isFinal` false) are for live
    /// display and will be replaced; finals are the transcript. `kind` is `"speech"`, or
    /// `"private"` for the marker of a private stretch (`helix_assist_set_private`): a final
    /// with text `[private]`, the stretch's `start` and `end`, no words, and nothing said in it.
    /// The text, interim or final, has been through the local redactor (unless
    /// `redaction_disabled`): private details appear as their markers (`[card]`, `[aadhaar]`, `[pan]`, `[phone]`, `[email]`,
    /// `[policy]`, `[member_id]`, `[account]`), and Deepgram's own `redact` tags as it writes
    /// them.
    HELIX_EVENT_TRANSCRIPT = 1,
    /// Voice activity began: `{"type":"speechStarted","speaker":"agent","channel":0,"at":1.0}`.
    HELIX_EVENT_SPEECH_STARTED = 2,
    /// A speaker's turn ended: `{"type":"utteranceEnd","speaker":"customer","channel":1,
    /// "lastWordEnd":6.5}`.
    HELIX_EVENT_UTTERANCE_END = 3,
    /// New suggestions for the agent, with the customer's live signals:
    /// `{"type":"suggestion","items":[{"kind":"next_step","text":"…"}],"sentiment":"negative",
    /// "escalation":null|{"reason":"medical_emergency","detail":"…"},
    /// "trigger":"customer_turn_end","latency":35}` (`kind`: `answer`, `question`,
    /// `next_step`, `objection`, `compliance`, `info`, `other`; `sentiment`: `positive`,
    /// `neutral`, `negative`, `angry`, or null when the endpoint sent none; `escalation.reason`:
    /// `supervisor_requested`, `angry_customer`, `medical_emergency` — with an escalation the
    /// first item is a `next_step` telling the agent what to do; `trigger`:
    /// `customer_turn_end` or `interval`; `latency` in milliseconds).
    HELIX_EVENT_SUGGESTION = 4,
    /// The Deepgram connection was lost; trying again:
    /// `{"type":"reconnecting","attempt":1,"reason":"…"}`.
    HELIX_EVENT_RECONNECTING = 5,
    /// A new connection is up: `{"type":"reconnected","attempt":1,"replaySeconds":1.5,
    /// "requestId":"…"|null}`.
    HELIX_EVENT_RECONNECTED = 6,
    /// A non-fatal problem: `{"type":"warning","kind":"audio_dropped","message":"…"}`
    /// (`kind` also `post_call`: the post-call answer named a disposition outside the list,
    /// which was dropped).
    HELIX_EVENT_WARNING = 7,
    /// A final error (transcription cannot go on, or suggestions were switched off):
    /// `{"type":"error","code":"auth","message":"…"}`.
    HELIX_EVENT_ERROR = 8,
    /// The session ended; nothing follows. The payload is the call summary (the shape
    /// `helix_assist_stop` documents, `postCall` included) with `"type":"closed"`.
    HELIX_EVENT_CLOSED = 9,
    /// A private stretch began or ended (`helix_assist_set_private`), delivered at once:
    /// `{"type":"private","private":true,"at":20.0}` (`at` in seconds from the start of the
    /// call). When it ends, its marker segment follows as a final `HELIX_EVENT_TRANSCRIPT`.
    HELIX_EVENT_PRIVATE = 10,
    /// An event this header does not know yet; read its `type` from the JSON.
    HELIX_EVENT_OTHER = 100,
}

/// One event, passed to the callback. Valid only during the callback: copy what you keep.
#[repr(C)]
#[derive(Debug)]
pub struct helix_event {
    /// What happened.
    pub kind: helix_event_kind,
    /// The event as JSON, NUL-terminated, with a `"type"` field naming it.
    pub json: *const c_char,
    /// Length of `json` in bytes, without the NUL.
    pub json_len: usize,
}

/// Receives a live-assist session's events.
///
/// Called on one thread the session owns (not the thread that started it), one event at a
/// time, in order: events never overlap. `event` and its `json` are valid only during the
/// call. The callback may call other `helix_*` functions, including blocking ones and
/// `helix_assist_stop`/`helix_assist_free` on its own session. Return quickly: while it runs,
/// newer events wait in a bounded queue (audio and transcription never do); events that find
/// the queue full are dropped and counted (`eventsDropped` in the metrics) — the final
/// transcript is always in the summary. It must not unwind (no C++ exception may escape it).
pub type helix_event_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const helix_event)>;

/// The host's callback and its `user_data`, moved to the event thread.
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, *const helix_event),
    user_data: *mut c_void,
}

// SAFETY: the header makes the host responsible for `user_data` being usable from the
// session's event thread (it is only ever passed back to the host's own callback there).
unsafe impl Send for Sink {}

impl Sink {
    fn deliver(&self, event: &AssistEvent) {
        let kind = match event {
            AssistEvent::Transcript { .. } => helix_event_kind::HELIX_EVENT_TRANSCRIPT,
            AssistEvent::SpeechStarted { .. } => helix_event_kind::HELIX_EVENT_SPEECH_STARTED,
            AssistEvent::UtteranceEnd { .. } => helix_event_kind::HELIX_EVENT_UTTERANCE_END,
            AssistEvent::Suggestion(_) => helix_event_kind::HELIX_EVENT_SUGGESTION,
            AssistEvent::Reconnecting { .. } => helix_event_kind::HELIX_EVENT_RECONNECTING,
            AssistEvent::Reconnected { .. } => helix_event_kind::HELIX_EVENT_RECONNECTED,
            AssistEvent::Warning(_) => helix_event_kind::HELIX_EVENT_WARNING,
            AssistEvent::Error(_) => helix_event_kind::HELIX_EVENT_ERROR,
            AssistEvent::Closed(_) => helix_event_kind::HELIX_EVENT_CLOSED,
            AssistEvent::Private { .. } => helix_event_kind::HELIX_EVENT_PRIVATE,
            _ => helix_event_kind::HELIX_EVENT_OTHER,
        };
        // serde_json escapes control characters, so the text never holds a NUL.
        let Ok(json) = serde_json::to_string(event).map(CString::new) else {
            return;
        };
        let Ok(json) = json else { return };
        let raw = helix_event {
            kind,
            json: json.as_ptr(),
            json_len: json.as_bytes().len(),
        };
        // SAFETY: the host gave a callback of this signature; `raw` and `json` outlive the call.
        unsafe { (self.callback)(self.user_data, &raw) };
    }
}

/// Numbers the pumps, so an event thread can recognise its own pump.
static NEXT_PUMP_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The pump whose event thread this is (0 elsewhere). A plain `Cell` rather than
    /// `thread::current()`, which would allocate a handle on the host's threads.
    static THIS_PUMP: Cell<u64> = const { Cell::new(0) };
}

enum Next {
    Event(Option<AssistEvent>),
    Stop { drain: bool },
}

/// The event thread of one session and the signal that ends it.
pub(crate) struct EventPump {
    stop: Option<oneshot::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
    id: u64,
}

impl EventPump {
    pub(crate) fn spawn(
        mut events: mpsc::Receiver<AssistEvent>,
        callback: unsafe extern "C" fn(*mut c_void, *const helix_event),
        user_data: *mut c_void,
    ) -> FfiResult<EventPump> {
        let sink = Sink {
            callback,
            user_data,
        };
        let (stop_tx, mut stop_rx) = oneshot::channel::<bool>();
        let id = NEXT_PUMP_ID.fetch_add(1, Ordering::Relaxed);
        let thread = std::thread::Builder::new()
            .name("helix-assist-events".into())
            .spawn(move || {
                THIS_PUMP.with(|p| p.set(id));
                loop {
                    // Waiting happens inside the executor; the callback runs outside it.
                    let next = futures::executor::block_on(async {
                        tokio::select! {
                            biased;
                            // A dropped sender (handle freed) means "stop, do not drain".
                            drain = &mut stop_rx => Next::Stop { drain: drain.unwrap_or(false) },
                            event = events.recv() => Next::Event(event),
                        }
                    });
                    match next {
                        Next::Event(Some(event)) => {
                            sink.deliver(&event);
                            if matches!(event, AssistEvent::Closed(_)) {
                                return; // nothing follows Closed
                            }
                        }
                        Next::Event(None) => return,
                        Next::Stop { drain } => {
                            // The session has ended (stop returned): every event it emitted
                            // is queued or on its way (Closed is never dropped, it may still
                            // be waiting for room), so wait for them up to Closed rather than
                            // taking only what is queued right now.
                            if !drain {
                                return;
                            }
                            while let Some(event) = futures::executor::block_on(events.recv()) {
                                sink.deliver(&event);
                                if matches!(event, AssistEvent::Closed(_)) {
                                    break;
                                }
                            }
                            return;
                        }
                    }
                }
            })
            .map_err(|e| {
                Failure::new(
                    helix_status::HELIX_TRANSPORT,
                    format!("cannot start the event thread: {e}"),
                )
            })?;
        Ok(EventPump {
            stop: Some(stop_tx),
            thread: Some(thread),
            id,
        })
    }

    /// Ends the event thread: with `drain`, after delivering the events already queued.
    /// Waits for it unless called from it (a callback stopping or freeing its own session),
    /// in which case the thread ends once that callback returns.
    pub(crate) fn finish(mut self, drain: bool) {
        self.end(drain);
    }

    fn end(&mut self, drain: bool) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(drain);
        }
        if let Some(thread) = self.thread.take()
            && THIS_PUMP.with(Cell::get) != self.id
        {
            // A panic on the event thread was already reported there; nothing to add.
            let _ = thread.join();
        }
    }
}

impl Drop for EventPump {
    fn drop(&mut self) {
        self.end(false);
    }
}
