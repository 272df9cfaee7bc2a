//! Streams the call audio to live assist in 20 ms frames on a real-time schedule.

use std::time::{Duration, Instant};

use helix_engage::assist::{AudioDelivery, AudioFormat, Bytes, LiveAssist};

use super::desk::DynError;
use super::setup::Audio;

/// Streams the call audio in 20 ms frames at `speed`× real time.
pub struct Streamer<'a> {
    assist: &'a LiveAssist,
    format: AudioFormat,
    file: Option<Vec<u8>>,
    frame: usize,
    bytes_per_sec: f64,
    pos: usize,
    speed: f64,
    started: Instant,
    /// Wall time the audio stood still (holds).
    pub paused: Duration,
    pub dropped: u64,
}

impl<'a> Streamer<'a> {
    pub fn new(assist: &'a LiveAssist, audio: Audio, speed: f64) -> Self {
        let bps = audio.format.bytes_per_second().unwrap_or(32_000);
        let align = audio.format.frame_bytes().unwrap_or(1);
        let frame = usize::try_from((bps / 50) - (bps / 50) % align).unwrap_or(640);
        Streamer {
            assist,
            format: audio.format,
            file: audio.file,
            frame,
            bytes_per_sec: bps as f64,
            pos: 0,
            speed,
            started: Instant::now(),
            paused: Duration::ZERO,
            dropped: 0,
        }
    }

    pub fn total_secs(&self) -> Option<f64> {
        let len = self.file.as_ref()?.len() as u64;
        self.format.seconds(len)
    }

    /// Sends audio up to `secs` into the call, on the real-time schedule.
    pub async fn stream_until(&mut self, secs: f64) -> Result<(), DynError> {
        let target = (secs * self.bytes_per_sec) as usize;
        let tick = Duration::from_millis(20).div_f64(self.speed);
        loop {
            let file_end = self.file.as_ref().map(Vec::len);
            if self.pos >= target || file_end.is_some_and(|end| self.pos >= end) {
                return Ok(());
            }
            let elapsed = self.started.elapsed().saturating_sub(self.paused);
            let due =
                (elapsed.as_secs_f64() * self.speed * self.bytes_per_sec) as usize + self.frame;
            while self.pos < target.min(due) {
                let chunk = match &self.file {
                    None => timecoded(self.pos, self.frame),
                    Some(data) => {
                        let end = (self.pos + self.frame).min(data.len());
                        if self.pos >= end {
                            return Ok(());
                        }
                        Bytes::copy_from_slice(&data[self.pos..end])
                    }
                };
                self.pos += chunk.len();
                if self.assist.send_audio(chunk)? == AudioDelivery::Dropped {
                    self.dropped += 1;
                }
            }
            tokio::time::sleep(tick.max(Duration::from_millis(1))).await;
        }
    }
}

/// The simulator's stand-in for speech: stereo linear16 whose sample frames carry their index
/// in the call (`sim_timecode`), so the simulator's Deepgram knows where in the script the
/// audio is. That is what lets a private stretch work on the simulator: the audio withheld
/// during it never arrives, and the script's words inside it are never played.
fn timecoded(pos: usize, len: usize) -> Bytes {
    let frame = |bytes: usize| u32::try_from(bytes / 4).unwrap_or(u32::MAX);
    Bytes::from(helix_engage_sim::deepgram::timecoded_audio(
        frame(pos),
        frame(len),
    ))
}
