//! What the host asks for mid-call: a hold, a private stretch, a Finalize, a new lead, the
//! stop.
//!
//! A Finalize is never dropped: it is kept on the session by the call byte it follows until
//! Deepgram has finalised that audio, queued on the link behind that audio (waiting for room
//! like audio does), and re-queued on every new link while it is still open.

use tokio::time::Instant;

use super::{Control, PrivateStretch, Session, Stopping, stop_limit};
use crate::assist::events::AssistEvent;
use crate::assist::suggest::engine::EngineInput;
use crate::assist::transcript::{PRIVATE_TEXT, Segment, SegmentKind, Speaker};

impl Session {
    pub(super) fn on_control(&mut self, ctrl: Control) {
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
                let was_quiet = self.quiet();
                self.on_hold = on;
                self.quiet_changed(was_quiet);
                if on {
                    // Flush what was said before the hold; the keep-alive timer keeps the
                    // idle socket open through it.
                    self.send_finalize();
                }
            }
            Control::Private {
                on,
                at,
                withheld,
                gap,
            } => {
                if on {
                    self.begin_private(at, gap);
                } else {
                    self.end_private(at, withheld);
                }
            }
            Control::Finalize => self.send_finalize(),
            Control::Lead(lead) => {
                // The agent may see the lead's own number (the engine still hides it).
                self.redactor = self.redactor.clone().with_lead_phone(lead.phone.as_deref());
                if let Some(engine) = &self.engine {
                    let _ = engine.tx.send(EngineInput::Lead(*lead));
                }
            }
            Control::Stop => {
                if self.stopping.is_some() {
                    return;
                }
                let now = Instant::now();
                self.stopping = Some(Stopping {
                    deadline: now + self.cfg.timing.stop_wait,
                    limit: now + stop_limit(&self.cfg),
                });
                // Without a socket the reconnect goes on; the deadline bounds the wait.
                self.pump();
            }
        }
    }

    /// A hold or a private stretch began or ended: the link's watchdog switches between
    /// judging audio and judging pings only when "no audio is expected" itself changes (a
    /// private stretch inside a hold, or the reverse, changes nothing for it).
    fn quiet_changed(&mut self, was_quiet: bool) {
        let quiet = self.quiet();
        if quiet != was_quiet
            && let Some(link) = self.link.as_mut()
        {
            link.hold_changed(quiet);
        }
    }

    /// The stretch begins at call second `at`: what was said before it is finalised now
    /// (Finalize, behind every chunk queued before `set_private`), the engine stops, the host
    /// hears of it. No audio follows until it ends: `send_audio` withholds it.
    fn begin_private(&mut self, at: f64, (gap_bytes, gap_chunks): (u64, u64)) {
        if self.private.is_some() {
            return;
        }
        self.fill_gap(gap_bytes, gap_chunks, std::time::Instant::now());
        self.send_finalize();
        let was_quiet = self.quiet();
        self.private = Some(PrivateStretch { start: at });
        self.quiet_changed(was_quiet);
        if let Some(engine) = &self.engine {
            let _ = engine.tx.send(EngineInput::Private(true));
        }
        self.events.emit(AssistEvent::Private { private: true, at });
    }

    /// The stretch ends at call second `at`, with `withheld` call seconds withheld in total:
    /// the stream is cut where it stands (unless the first chunk after the stretch already
    /// did), and the stretch's one marker segment goes into the transcript.
    fn end_private(&mut self, at: f64, withheld: f64) {
        let Some(stretch) = self.private.take() else {
            return;
        };
        let stream = self.stream_now();
        self.timeline.cut(stream, withheld);
        // It was quiet while private; it stays so only when a hold goes on.
        self.quiet_changed(true);
        if let Some(engine) = &self.engine {
            let _ = engine.tx.send(EngineInput::Private(false));
        }
        self.events
            .emit(AssistEvent::Private { private: false, at });
        let marker = Segment {
            kind: SegmentKind::Private,
            speaker: Speaker::Agent,
            channel: 0,
            start: stretch.start,
            end: at.max(stretch.start),
            text: PRIVATE_TEXT.to_string(),
            confidence: 1.0,
            words: Vec::new(),
            speech_final: false,
            latency: None,
        };
        self.builder.push_marker(marker.clone());
        self.events.emit(AssistEvent::Transcript {
            segment: marker,
            is_final: true,
        });
    }

    fn send_finalize(&mut self) {
        // Ordered behind the audio already handed over, so Finalize covers it; queued (never
        // dropped) when the socket is busy, and kept on the session when there is no link.
        self.pump();
        let after = self.buffer.end();
        self.finalizes.push(after);
        if let Some(link) = self.link.as_mut() {
            link.queue_finalize(after);
        }
        self.pump();
    }

    /// Forgets the Finalize requests whose audio Deepgram has finalised.
    pub(super) fn prune_finalizes(&mut self) {
        let done = self.buffer.start();
        self.finalizes.retain(|&after| after > done);
    }
}
