//! Coalescing the host's small chunks into fewer, larger frames
//! ([`AssistConfig::coalesce`](crate::assist::AssistConfig::coalesce), off by default).
//!
//! Every write to Deepgram costs a system call, a TCP segment and a WebSocket frame, whatever
//! its size; at 20 ms frames that is most of the CPU a call's audio costs. With coalescing on,
//! audio waits in the replay buffer (where it is held anyway) until a window's worth has come,
//! and goes as one frame. The rule lives here, apart from the socket: the link asks whether
//! the audio not yet sent waits ([`Coalesce::holds`]) and the replay buffer cuts the frame
//! ([`ReplayBuffer::span_at`](crate::assist::replay::ReplayBuffer::span_at)).

use std::time::{Duration, Instant};

use crate::assist::audio::AudioFormat;

/// The coalescing rule of one call (a copy per link).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Coalesce {
    /// A whole frame's worth of bytes (0: off, every chunk goes as it comes).
    bytes: u64,
    /// The longest the first byte of a partial frame waits.
    window: Duration,
}

impl Coalesce {
    /// `window` of `audio` (zero, or audio without a byte rate — containers: off).
    pub fn new(window: Duration, audio: &AudioFormat) -> Coalesce {
        let (Some(bps), Some(frame)) = (audio.bytes_per_second(), audio.frame_bytes()) else {
            return Coalesce::default();
        };
        let bytes = (window.as_secs_f64() * bps as f64) as u64;
        Coalesce {
            // Whole sample frames, at least one (a window too short for one is off).
            bytes: bytes - bytes % frame.max(1),
            window,
        }
    }

    pub fn is_on(&self) -> bool {
        self.bytes > 0
    }

    /// Whether `unsent` bytes of live audio wait for more: less than a frame's worth, nothing
    /// behind them that needs them out now (`due`: a Finalize waiting for them), and the
    /// first of them handed over (`first_queued_at`, asked only then) less than the window ago.
    pub fn holds(
        &self,
        unsent: u64,
        due: bool,
        first_queued_at: impl FnOnce() -> Option<Instant>,
    ) -> bool {
        if self.bytes == 0 || unsent >= self.bytes || due {
            return false;
        }
        first_queued_at().is_some_and(|t| t.elapsed() < self.window)
    }

    /// How often the session's tick must run so a partial frame waits no longer than about
    /// the window when the host stops sending (`None`: off).
    pub fn tick(&self) -> Option<Duration> {
        self.is_on().then_some(self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONO_16K: AudioFormat = AudioFormat::Linear16 {
        sample_rate: 16_000,
        channels: 1,
    };

    #[test]
    fn a_window_is_whole_sample_frames_of_raw_audio_and_off_for_containers() {
        let c = Coalesce::new(Duration::from_millis(100), &MONO_16K);
        assert_eq!(c.bytes, 3_200);
        assert_eq!(c.tick(), Some(Duration::from_millis(100)));
        let stereo = AudioFormat::Linear16 {
            sample_rate: 8_000,
            channels: 2,
        };
        // 8 000 × 2 × 2 bytes × 0.0211 s = 675.2 → 672, a multiple of the 4-byte frame.
        assert_eq!(
            Coalesce::new(Duration::from_micros(21_100), &stereo).bytes,
            672
        );
        assert!(!Coalesce::new(Duration::ZERO, &MONO_16K).is_on());
        assert!(!Coalesce::new(Duration::from_millis(100), &AudioFormat::container(None)).is_on());
        assert_eq!(Coalesce::default().tick(), None);
    }

    #[test]
    fn a_partial_frame_waits_for_the_window_unless_a_finalize_needs_it() {
        let c = Coalesce::new(Duration::from_millis(100), &MONO_16K);
        let just_now = || Some(Instant::now());
        assert!(c.holds(640, false, just_now));
        assert!(!c.holds(3_200, false, just_now), "a whole frame goes");
        assert!(!c.holds(640, true, just_now), "a Finalize behind it");
        let long_ago = || Instant::now().checked_sub(Duration::from_millis(150));
        assert!(
            !c.holds(640, false, long_ago),
            "its first byte waited the window"
        );
        assert!(!c.holds(640, false, || None));
        assert!(!Coalesce::default().holds(640, false, just_now), "off");
    }
}
