//! What Deepgram says, applied to the call: how a link's reports end it (a confirmed close, a
//! final error, a reconnect), and a handler per message kind. Results become
//! segments ([`segments`]), finals release the audio they
//! cover from the replay buffer and feed the transcript and the suggestion engine; utterance
//! ends and speech starts become events; Metadata confirms the end of the stream.
//!
//! Channel numbers come from the wire and are never trusted as sizes or indexes: a message for
//! a channel the session was not configured for is a warning, nothing else.

use std::time::Duration;

use super::Session;
use crate::Error;
use crate::assist::deepgram::link::LinkEvent;
use crate::assist::deepgram::messages::{
    Metadata, Results, ServerMessage, SpeechStarted, UtteranceEnd,
};
use crate::assist::deepgram::segments::segments;
use crate::assist::deepgram::{CloseMeaning, close_meaning};
use crate::assist::events::{AssistEvent, WarningKind};
use crate::assist::suggest::engine::EngineInput;
use crate::assist::transcript::{Segment, Speaker};

/// How far past the audio a link sent a time may lie: Deepgram's times are its own reckoning
/// of that audio, a little ahead at most (a word's end rounded up, the last block's duration).
const TIME_SLACK_SECS: f64 = 10.0;

/// The bound on a time when the link's audio has no byte arithmetic (a container): a day.
const MAX_LINK_SECS: f64 = 86_400.0;

impl Session {
    /// What the current link's socket did: a close or failure ends it (complete, final, or
    /// reconnect); writes that had waited for the socket let the pump go on.
    pub(super) fn on_link_event(&mut self, ev: LinkEvent) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        match ev {
            LinkEvent::Drained => self.pump(),
            LinkEvent::Pong => link.pong(),
            LinkEvent::Message(msg) => {
                link.heard();
                self.attempt = 0;
                self.on_message(msg);
            }
            LinkEvent::BadMessage(err) => {
                self.events.warn(WarningKind::BadMessage, err.to_string());
            }
            LinkEvent::Closed { code, reason } => {
                if link.close_sent && code == 1000 {
                    // Deepgram flushed and closed cleanly after CloseStream: the stream is
                    // confirmed. Any other close while closing (1011 NET-0000, …) is a drop:
                    // it reconnects below, replays the unfinalised audio and closes again.
                    self.outcome.complete = true;
                    self.outcome.finished = true;
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
            LinkEvent::Failed(reason) => {
                // Also while closing: without Metadata or a clean close nothing confirmed the
                // last audio, so it is replayed on a new socket. (A TCP drop right after
                // Metadata never gets here: Metadata already finished the session.)
                self.connection_lost(reason, None);
            }
        }
    }

    /// One message from the current link.
    fn on_message(&mut self, msg: ServerMessage) {
        let id = match &msg {
            ServerMessage::Results(r) => r.metadata.as_ref().and_then(|m| m.request_id.clone()),
            ServerMessage::Metadata(m) => m.request_id.clone(),
            _ => None,
        };
        self.learn_request_id(id.as_deref());
        let Some(link) = self.link.as_ref() else {
            return;
        };
        let base = link.base_secs;
        match msg {
            ServerMessage::Results(r) => self.on_results(&r, base),
            ServerMessage::UtteranceEnd(u) => self.on_utterance_end(&u, base),
            ServerMessage::SpeechStarted(s) => self.on_speech_started(&s, base),
            ServerMessage::Metadata(m) => self.on_metadata(m),
            ServerMessage::Unknown { kind, summary } => self.events.warn(
                WarningKind::UnknownMessage,
                format!("deepgram sent a {kind} message: {summary}"),
            ),
        }
    }

    /// Learns the link's request id from a message when the upgrade had none, and sends the
    /// Reconnected that waited for it.
    fn learn_request_id(&mut self, id: Option<&str>) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if link.request_id.is_none()
            && let Some(id) = id.map(str::trim).filter(|id| !id.is_empty())
        {
            link.request_id = Some(id.to_string());
            if !self.outcome.request_ids.iter().any(|known| known == id) {
                self.outcome.request_ids.push(id.to_string());
            }
        }
        if let Some(announce) = link.announce.take() {
            let id = link.request_id.clone();
            self.announce_reconnected(announce, id);
        }
    }

    /// `base`: the stream second at the link's time 0 (its [`clock`](Session::clock) maps it
    /// to the call).
    fn on_results(&mut self, r: &Results, base: f64) {
        let channel = r.channel();
        if !self.builder.has_channel(channel) {
            self.unknown_channel("Results", channel);
            return;
        }
        let word_times = r
            .best()
            .into_iter()
            .flat_map(|a| a.words.iter().flat_map(|w| [w.start, w.end]));
        let times: Vec<f64> = [r.start, r.duration, r.end()]
            .into_iter()
            .chain(word_times)
            .collect();
        if !self.plausible_times("Results", &times) {
            return;
        }
        let segs = segments(&self.builder, r, self.clock(base));
        if !r.is_final {
            for mut segment in segs {
                self.redactor.redact_segment(&mut segment);
                self.events.emit(AssistEvent::Transcript {
                    segment,
                    is_final: false,
                });
            }
            return;
        }
        let latency = self.release_finalised(r);
        let mut customer_turn_end = false;
        for segment in segs {
            customer_turn_end |= self.record_final(segment, latency, r.speech_final);
        }
        let end = self.clock(base).end(r.end());
        self.builder.mark_final(channel, end);
        if customer_turn_end && let Some(engine) = &self.engine {
            let _ = engine.tx.send(EngineInput::TurnEnded);
        }
    }

    /// A final covers the link's audio up to its end: once every channel is final past a call
    /// byte (never past what was sent), the replay buffer lets go of it and the Finalizes it
    /// answered are forgotten. Returns the transcript latency: from the host's `send_audio` of
    /// the final's last byte until now.
    fn release_finalised(&mut self, r: &Results) -> Option<Duration> {
        let audio = self.cfg.audio;
        let link = self.link.as_mut()?;
        let end_pos = audio
            .bytes_at(r.end())
            .map(|b| link.base_bytes.saturating_add(b));
        let latency = end_pos
            .and_then(|p| self.buffer.queued_at(p))
            .map(|t| t.elapsed());
        if let Some(pos) = end_pos {
            link.note_final(r.channel(), pos);
        }
        if audio.is_resumable() {
            if let Some(done) = link.finalised() {
                self.buffer.release(done);
                // The level goes out with the next flush (after this event).
                self.counts.dirty = true;
            }
            self.prune_finalizes();
        }
        latency
    }

    /// Adds one final segment to the transcript, the engine and the events; returns whether
    /// it ends a customer's turn.
    fn record_final(
        &mut self,
        mut segment: Segment,
        latency: Option<Duration>,
        speech_final: bool,
    ) -> bool {
        segment.latency = latency;
        // Before anything keeps or forwards it: the transcript, the engine, the events.
        self.redactor.redact_segment(&mut segment);
        if let Some(l) = latency {
            self.metrics.update(|m| m.transcript.record(l));
        }
        let customer_turn_end = segment.speaker == Speaker::Customer && speech_final;
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
        customer_turn_end
    }

    fn on_utterance_end(&mut self, u: &UtteranceEnd, base: f64) {
        let channel = u.channel.first().copied().unwrap_or(0);
        if !self.builder.has_channel(channel) {
            self.unknown_channel("UtteranceEnd", channel);
            return;
        }
        if !self.plausible_times("UtteranceEnd", &[u.last_word_end]) {
            return;
        }
        let speaker = self.builder.speaker_now(channel);
        if speaker == Speaker::Customer
            && let Some(engine) = &self.engine
        {
            let _ = engine.tx.send(EngineInput::TurnEnded);
        }
        self.events.emit(AssistEvent::UtteranceEnd {
            speaker,
            channel,
            last_word_end: self.clock(base).end(u.last_word_end),
        });
    }

    fn on_speech_started(&mut self, s: &SpeechStarted, base: f64) {
        let channel = s.channel.first().copied().unwrap_or(0);
        if !self.builder.has_channel(channel) {
            self.unknown_channel("SpeechStarted", channel);
            return;
        }
        if !self.plausible_times("SpeechStarted", &[s.timestamp]) {
            return;
        }
        self.events.emit(AssistEvent::SpeechStarted {
            speaker: self.builder.speaker_now(channel),
            channel,
            at: self.clock(base).start(s.timestamp),
        });
    }

    fn on_metadata(&mut self, m: Metadata) {
        if let Some(id) = m.request_id
            && !self.outcome.request_ids.contains(&id)
        {
            self.outcome.request_ids.push(id);
        }
        self.outcome.deepgram_duration = m.duration.or(self.outcome.deepgram_duration);
        if self.link.as_ref().is_some_and(|l| l.close_sent) {
            // Metadata is the last thing Deepgram sends after CloseStream.
            self.outcome.complete = true;
            self.outcome.finished = true;
        }
    }

    /// Whether every time of a `kind` message (link seconds) could be Deepgram's: finite, not
    /// negative, and not past the audio this link has sent (plus [`TIME_SLACK_SECS`]; a
    /// container's length is unknown, so there the bound is [`MAX_LINK_SECS`]). Anything else
    /// is a warning and the message is ignored: one Results claiming second 10^300 would
    /// otherwise move the channel's watermark there and every later word would be dropped as
    /// already said.
    fn plausible_times(&self, kind: &str, times: &[f64]) -> bool {
        let sent = self.link.as_ref().and_then(|link| {
            self.cfg
                .audio
                .seconds(link.sent_pos.saturating_sub(link.base_bytes))
        });
        let limit = sent.map_or(MAX_LINK_SECS, |s| s + TIME_SLACK_SECS);
        match times
            .iter()
            .find(|t| !t.is_finite() || **t < 0.0 || **t > limit)
        {
            None => true,
            Some(bad) => {
                self.events.warn(
                    WarningKind::BadMessage,
                    format!(
                        "deepgram sent {kind} with the time {bad} s, outside the {limit:.1} s of \
                         audio this connection carried; ignored"
                    ),
                );
                false
            }
        }
    }

    /// A message about a channel this session does not have.
    fn unknown_channel(&self, kind: &str, channel: u32) {
        self.events.warn(
            WarningKind::BadMessage,
            format!(
                "deepgram sent {kind} for channel {channel}, but the session has {} channel(s); ignored",
                self.builder.channels()
            ),
        );
    }
}
