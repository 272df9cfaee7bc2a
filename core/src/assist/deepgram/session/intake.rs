//! The host's audio into the replay buffer: a gap the full audio queue left is filled with
//! silence (so Deepgram's clock stays the call's clock), a private stretch before a chunk cuts
//! the timeline (its audio never came: `send_audio` withheld it), the first chunk of a container is kept
//! as its header, the host's pace is noted, and audio that falls out of the buffer unsent is
//! reported and replaces the socket that could not keep up.

use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Bytes;

use super::{AudioChunk, Session};
use crate::assist::events::WarningKind;

impl Session {
    pub(super) fn on_audio(&mut self, chunk: AudioChunk) {
        if chunk.data.is_empty() {
            return;
        }
        let audio = self.cfg.audio;
        if chunk.withheld > self.timeline.withheld() {
            // The first chunk after a private stretch (its end may not have been handled
            // yet): the stream is cut here, before any of this chunk's audio.
            let at = self.stream_now();
            self.timeline.cut(at, chunk.withheld);
        }
        self.fill_gap(chunk.gap_bytes, chunk.gap_chunks, chunk.queued_at);
        if self.first_audio_at.is_none() {
            self.first_audio_at = Some(Instant::now());
            if !audio.is_resumable() {
                self.container_header = Some(chunk.data.clone());
            }
        }
        let len = chunk.data.len() as u64;
        self.counts.received += audio.seconds(len).unwrap_or(0.0);
        self.counts.dirty = true;
        // The host's pace is in call time: a private stretch is audio it delivered.
        let stream = audio.seconds(self.buffer.end() + len).unwrap_or(0.0);
        self.pace.note(stream + self.timeline.withheld());
        self.push_audio(chunk.data, chunk.queued_at);
        self.pump();
    }

    /// Fills `bytes` (`chunks` chunks) a full queue dropped with silence, which keeps
    /// Deepgram's clock equal to the call's clock.
    pub(super) fn fill_gap(&mut self, bytes: u64, chunks: u64, queued_at: std::time::Instant) {
        if bytes == 0 {
            return;
        }
        let audio = self.cfg.audio;
        match (audio.silence_byte(), audio.seconds(bytes)) {
            (Some(silence), Some(secs)) => {
                let capped = bytes.min(self.buffer.max_bytes());
                let fill = Bytes::from(vec![silence; usize::try_from(capped).unwrap_or(0)]);
                self.push_audio(fill, queued_at);
                self.events.warn(
                    WarningKind::AudioDropped,
                    format!("{chunks} audio chunk(s) ({secs:.2} s) dropped because the audio queue was full; replaced by silence"),
                );
            }
            _ => self.events.warn(
                WarningKind::AudioDropped,
                format!("{chunks} audio chunk(s) dropped because the audio queue was full"),
            ),
        }
    }

    pub(super) fn push_audio(&mut self, data: Bytes, queued_at: std::time::Instant) {
        let sent = self.link.as_ref().map_or(self.max_sent, |l| l.sent_pos);
        let lost = self
            .buffer
            .push(data, sent.max(self.buffer.start()), queued_at);
        if lost > 0 {
            self.report_lost(lost, "before it could be sent");
            if self.link.is_some() {
                // The socket cannot keep up; its timeline would skip. Start a new one from
                // the buffer's start.
                self.replace_link("audio backlog exceeded the replay buffer".into(), None);
            }
        }
    }

    /// A new socket starts at the replay buffer's start: audio the buffer's bound cut before
    /// Deepgram finalised it went only to sockets that are gone, so its words are lost (a
    /// long run of drops, each before the stretch could be finalised). Said, never silent.
    pub(super) fn report_unfinalised_cut(&mut self) {
        let lost = self.buffer.take_unfinalised();
        if lost > 0 {
            self.report_lost(
                lost,
                "before Deepgram finalised it, and its socket was lost",
            );
        }
    }

    /// Counts `bytes` of audio lost and says so (`how`: what the replay buffer could not do).
    fn report_lost(&mut self, bytes: u64, how: &str) {
        let secs = self.cfg.audio.seconds(bytes);
        self.metrics
            .update(|m| m.m.audio_seconds_dropped += secs.unwrap_or(0.0));
        self.events.warn(
            WarningKind::AudioLost,
            format!(
                "{} of audio fell out of the replay buffer {how}",
                secs.map_or_else(|| format!("{bytes} bytes"), |s| format!("{s:.2} s"))
            ),
        );
    }
}
