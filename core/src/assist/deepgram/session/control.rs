//! What the host asks for mid-call: a hold, a Finalize, a new lead, the stop.
//!
//! A Finalize is never dropped: it is kept on the session by the call byte it follows until
//! Deepgram has finalised that audio, queued on the link behind that audio (waiting for room
//! like audio does), and re-queued on every new link while it is still open.

use tokio::time::Instant;

use super::{Control, Session, Stopping, stop_limit};
use crate::assist::suggest::engine::EngineInput;

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
                self.on_hold = on;
                if let Some(link) = self.link.as_mut() {
                    link.hold_changed(on);
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
                self.stopping = Some(Stopping {
                    deadline: now + self.cfg.timing.stop_wait,
                    limit: now + stop_limit(&self.cfg),
                });
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
