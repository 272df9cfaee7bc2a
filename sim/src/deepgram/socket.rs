//! One open `/v1/listen` WebSocket: audio bytes advance the [`Player`], control frames
//! (`KeepAlive`, `Finalize`, `CloseStream`) and the idle close (`NET-0001`) behave as Deepgram
//! documents them, and socket faults (a drop, a half-dead socket, undecodable audio) apply here.
//!
//! Deepgram's rules, from its docs: without audio or `KeepAlive` for 10 s the server closes
//! 1011 `NET-0001` (<https://developers.deepgram.com/docs/audio-keep-alive>); `Finalize`
//! flushes pending audio as finals, optionally for one `channel`
//! (<https://developers.deepgram.com/docs/finalize>); `CloseStream` flushes, sends a
//! `Metadata` summary (request id, SHA-256 of the audio, duration, channels) and closes 1000
//! (<https://developers.deepgram.com/docs/close-stream>); audio it cannot decode closes 1008
//! `DATA-0000`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::params::Params;
use super::script::{Player, PlayerOptions, Script};
use super::sessions::{ARRIVALS_KEEP, AUDIO_KEEP_LIMIT, with_session};
use crate::faults::{Fault, lock};
use crate::sha256::Sha256;
use crate::shared::Shared;

/// The first bytes of an audio stream the simulator treats as undecodable (close 1008
/// `DATA-0000`), besides the [`Fault::Undecodable`] fault.
pub const UNDECODABLE_MAGIC: &[u8] = b"UNDECODABLE";

const MODEL_UUID: &str = "1ed36bac-f71c-4f3f-a31f-02fd6525c489";

/// `now + d`, saturating far in the future instead of overflowing on absurd settings.
fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

/// What a `sim_timecode` session needs to restart its script at the audio's position and to
/// notice jumps in it.
struct Timecode {
    script: Script,
    opts: PlayerOptions,
    sample_rate: f64,
    /// Bytes of one sample frame (2 × channels).
    frame_bytes: u64,
    /// The call's sample frame at connection byte 0, plus every gap so far: the frame the next
    /// audio is expected at is this + frames received.
    shift_frames: u64,
}

impl Timecode {
    /// The sample-frame index a chunk's first sample frame carries (see `TIMECODE_PARAM`).
    fn position(frame: &[u8]) -> Option<u64> {
        let frame = frame.get(..4)?;
        let low = u32::from(u16::from_le_bytes([frame[0], frame[1]]));
        let high = u32::from(u16::from_le_bytes([frame[2], frame[3]]));
        Some(u64::from(low | (high << 16)))
    }
}

pub(super) struct Session {
    timecode: Option<Timecode>,
    shared: Arc<Shared>,
    id: usize,
    rid: String,
    model: String,
    channels: usize,
    bytes_per_second: f64,
    player: Player,
    fault: Option<Fault>,
    /// Moves when the simulator is told to drop every open socket now.
    cuts: watch::Receiver<u64>,
}

enum Step {
    Continue,
    /// Close with this code and reason, then stop.
    Close(u16, &'static str),
    /// Drop the socket without a close frame.
    Drop(&'static str),
    /// The client is gone.
    Ended(&'static str),
}

impl Session {
    /// Accepts the handshake of session `id`: picks its script, marks it upgraded (101).
    /// `fault` is a socket fault the handshake left for the session to play.
    pub(super) fn open(
        shared: Arc<Shared>,
        id: usize,
        rid: &str,
        params: &Params,
        fault: Option<Fault>,
    ) -> Session {
        let (script, cuts) = {
            let mut dg = lock(&shared.dg);
            let script = match &params.script {
                Some(name) => dg
                    .scripts
                    .get(name)
                    .cloned()
                    .or_else(|| Script::builtin(name)),
                None => None,
            }
            .unwrap_or_else(|| dg.default_script.clone());
            if let Some(s) = dg.sessions.get_mut(id) {
                s.status = 101;
                s.script = params.script.clone().unwrap_or_else(|| "default".into());
                s.language = params.language.clone();
                s.redact_requested = params.recognition.redaction.requested.clone();
                s.redact_applied = params.recognition.redaction.applied();
            }
            // Subscribed under the same lock that marks the session open, so a drop ordered
            // once it counts as open reaches it.
            (script, dg.cuts.subscribe())
        };
        let player_opts = PlayerOptions {
            request_id: rid.to_string(),
            model_uuid: MODEL_UUID.into(),
            ..params.recognition.clone()
        };
        let channels = player_opts.channels;
        let model = player_opts.model_name.clone();
        let player = Player::new(&script, player_opts.clone());
        let timecode = params.timecode.then(|| Timecode {
            script,
            opts: player_opts,
            sample_rate: params.bytes_per_second / (2.0 * channels as f64),
            frame_bytes: 2 * channels as u64,
            shift_frames: 0,
        });
        Session {
            shared,
            id,
            rid: rid.to_string(),
            model,
            channels,
            bytes_per_second: params.bytes_per_second,
            player,
            fault,
            timecode,
            cuts,
        }
    }
    pub(super) async fn run(mut self, mut socket: WebSocket) {
        let idle = lock(&self.shared.dg).idle_timeout;
        let silent = matches!(self.fault, Some(Fault::StopAnswering));
        let drop_at = match self.fault {
            Some(Fault::DropAfter { ms }) => Some(deadline_after(Duration::from_millis(ms))),
            _ => None,
        };
        let mut deadline = deadline_after(idle);
        let mut hasher = Sha256::default();
        let mut total: u64 = 0;
        let mut shutdown = self.shared.shutdown.clone();
        let mut cuts = self.cuts.clone();
        let outcome = loop {
            let step = tokio::select! {
                _ = crate::faults::stopped(&mut shutdown) => Step::Drop("shutdown"),
                // The sender lives as long as the simulator, so `changed` fails only at its end.
                Ok(()) = cuts.changed() => Step::Drop("dropped"),
                _ = tokio::time::sleep_until(drop_at.unwrap_or(deadline)), if drop_at.is_some() => {
                    Step::Drop("dropped")
                }
                // A half-dead socket never closes on its own: that is what clients must detect.
                _ = tokio::time::sleep_until(deadline), if !silent => Step::Close(1011, "NET-0001"),
                msg = socket.recv() => match msg {
                    None | Some(Err(_)) => Step::Ended("client_gone"),
                    Some(Ok(Message::Close(_))) => Step::Ended("client_closed"),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Continue,
                    Some(Ok(Message::Binary(audio))) => {
                        if audio.is_empty() {
                            with_session(&self.shared.dg, self.id, |s| s.empty_frames += 1);
                            Step::Continue
                        } else {
                            deadline = deadline_after(idle);
                            self.on_audio(&mut socket, &audio, &mut hasher, &mut total, silent).await
                        }
                    }
                    Some(Ok(Message::Text(text))) => {
                        self.on_text(&mut socket, text.as_str(), total, &hasher, silent, &mut deadline, idle).await
                    }
                },
            };
            match step {
                Step::Continue => continue,
                other => break other,
            }
        };
        let ended = match outcome {
            Step::Close(code, reason) => {
                let _ = socket
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                with_session(&self.shared.dg, self.id, |s| {
                    s.close_code = Some(code);
                    s.close_reason = Some(reason.to_string());
                });
                // Read until the client answers the close: dropping a socket with unread audio
                // would reset the connection and the client might never see the close frame.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while let Some(Ok(m)) = socket.recv().await {
                        if matches!(m, Message::Close(_)) {
                            break;
                        }
                    }
                })
                .await;
                "closed_by_server"
            }
            Step::Drop(why) | Step::Ended(why) => why,
            Step::Continue => "closed_by_server",
        };
        with_session(&self.shared.dg, self.id, |s| {
            s.ended = Some(ended.to_string())
        });
    }

    fn audio_seconds(&self, total: u64) -> f64 {
        total as f64 / self.bytes_per_second
    }

    async fn send_all(&self, socket: &mut WebSocket, msgs: Vec<Value>, silent: bool) -> bool {
        if silent || msgs.is_empty() {
            return true;
        }
        for m in msgs {
            let text = m.to_string();
            with_session(&self.shared.dg, self.id, |s| s.sent.push(m));
            if socket.send(Message::Text(text.into())).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn on_audio(
        &mut self,
        socket: &mut WebSocket,
        audio: &[u8],
        hasher: &mut Sha256,
        total: &mut u64,
        silent: bool,
    ) -> Step {
        if *total == 0
            && (matches!(self.fault, Some(Fault::Undecodable))
                || audio.starts_with(UNDECODABLE_MAGIC))
        {
            return Step::Close(1008, "DATA-0000");
        }
        self.read_timecode(audio, *total);
        hasher.update(audio);
        *total += audio.len() as u64;
        let secs = self.audio_seconds(*total);
        let digest = hasher.hex();
        let n = *total;
        with_session(&self.shared.dg, self.id, |s| {
            s.bytes_received = n;
            s.audio_frames += 1;
            s.audio_seconds = secs;
            s.audio_sha256 = digest;
            let room = AUDIO_KEEP_LIMIT.saturating_sub(s.audio.len());
            s.audio.extend_from_slice(&audio[..room.min(audio.len())]);
            if s.audio_arrivals.len() < ARRIVALS_KEEP {
                s.audio_arrivals.push((std::time::Instant::now(), n));
            }
        });
        if let Some(Fault::DropAfterBytes { bytes }) = self.fault
            && *total >= bytes
        {
            return Step::Drop("dropped");
        }
        let msgs = self.player.advance(secs);
        if self.send_all(socket, msgs, silent).await {
            Step::Continue
        } else {
            Step::Ended("client_gone")
        }
    }

    /// `sim_timecode`: the first chunk places the connection in the call; a later chunk whose
    /// position is ahead of the audio received so far is a gap the client never sent (a
    /// private stretch), whose words must never be played. Only chunks that start on a sample
    /// frame boundary carry a readable position.
    fn read_timecode(&mut self, audio: &[u8], total: u64) {
        let Some(tc) = &mut self.timecode else {
            return;
        };
        let Some(pos) = Timecode::position(audio) else {
            return;
        };
        if total == 0 {
            tc.shift_frames = pos;
            let offset = pos as f64 / tc.sample_rate;
            self.player = Player::new(&tc.script.from_offset(offset), tc.opts.clone());
            return;
        }
        if total % tc.frame_bytes != 0 {
            return;
        }
        let expected = tc.shift_frames + total / tc.frame_bytes;
        if pos <= expected {
            // Contiguous (or going back, which a live client does not do): play on.
            return;
        }
        let (from, to) = (
            expected as f64 / tc.sample_rate,
            pos as f64 / tc.sample_rate,
        );
        tc.shift_frames += pos - expected;
        self.player.skip(self.audio_seconds(total), to - from);
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        with_session(&self.shared.dg, self.id, |s| {
            s.timecode_gaps.push((round(from), round(to)));
        });
    }

    #[allow(clippy::too_many_arguments)]
    async fn on_text(
        &mut self,
        socket: &mut WebSocket,
        text: &str,
        total: u64,
        hasher: &Sha256,
        silent: bool,
        deadline: &mut Instant,
        idle: Duration,
    ) -> Step {
        let parsed: Option<Value> = serde_json::from_str(text).ok();
        let kind = parsed
            .as_ref()
            .and_then(|v| v.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let secs = self.audio_seconds(total);
        match kind {
            "KeepAlive" => {
                *deadline = deadline_after(idle);
                with_session(&self.shared.dg, self.id, |s| s.keep_alives += 1);
                Step::Continue
            }
            "Finalize" => {
                with_session(&self.shared.dg, self.id, |s| s.finalizes += 1);
                let channel = parsed
                    .as_ref()
                    .and_then(|v| v.get("channel"))
                    .and_then(Value::as_u64)
                    .and_then(|c| usize::try_from(c).ok());
                let msgs = self.player.flush(secs, channel, true);
                if self.send_all(socket, msgs, silent).await {
                    Step::Continue
                } else {
                    Step::Ended("client_gone")
                }
            }
            "CloseStream" => {
                with_session(&self.shared.dg, self.id, |s| s.close_streams += 1);
                if silent {
                    return Step::Continue;
                }
                if matches!(self.fault, Some(Fault::DropOnCloseStream)) {
                    // The flushed results and Metadata never come: the client must not take
                    // the stream as complete.
                    return Step::Drop("dropped");
                }
                let mut msgs = self.player.flush(secs, None, false);
                msgs.push(json!({
                    "type": "Metadata",
                    "transaction_key": "deprecated",
                    "request_id": self.rid,
                    "sha256": hasher.hex(),
                    "created": self.shared.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "duration": (secs * 1000.0).round() / 1000.0,
                    "channels": self.channels,
                    "models": [MODEL_UUID],
                    "model_info": {MODEL_UUID: {"name": self.model, "version": "2025-01-01.0", "arch": self.model}},
                }));
                if self.send_all(socket, msgs, false).await {
                    Step::Close(1000, "")
                } else {
                    Step::Ended("client_gone")
                }
            }
            _ => {
                with_session(&self.shared.dg, self.id, |s| {
                    s.other_text_frames.push(text.chars().take(1000).collect());
                });
                Step::Continue
            }
        }
    }
}
