//! Audio formats the host can stream, and the byte ↔ seconds arithmetic every other part
//! (replay buffer, timestamp offset, metrics) relies on. The one place that knows how many bytes
//! a second of audio takes.

use crate::{Error, Result};

/// The audio the host pushes through [`LiveAssist::send_audio`](super::LiveAssist::send_audio).
///
/// Raw encodings ([`Linear16`](AudioFormat::Linear16), [`Mulaw`](AudioFormat::Mulaw)) are the
/// right choice for calls: the library knows how long every byte lasts, so it can replay the
/// audio Deepgram had not finalised after a reconnect and keep the call's timeline exact.
///
/// [`Container`](AudioFormat::Container) audio (webm/opus from a browser's `MediaRecorder`,
/// ogg, …) is sent as-is, without `encoding`/`sample_rate` parameters. It **cannot be resumed
/// mid-stream** on a new connection: after a reconnect the library resends the first chunk the
/// host ever sent (which must hold the container header, as `MediaRecorder`'s first blob does)
/// and then continues with live audio. Audio that was in flight when the socket broke is lost
/// (reported as a warning), and timestamps after a reconnect are estimated from the wall clock.
///
/// ```
/// use helix_engage::assist::AudioFormat;
/// let fmt = AudioFormat::Linear16 { sample_rate: 16_000, channels: 2 };
/// assert_eq!(fmt.bytes_per_second(), Some(64_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// Signed 16-bit little-endian PCM, channels interleaved (browser AudioWorklet, most bridges).
    Linear16 {
        /// Samples per second per channel (8 000–48 000).
        sample_rate: u32,
        /// Interleaved channels; with more than one, each is transcribed separately.
        channels: u16,
    },
    /// 8-bit G.711 µ-law, channels interleaved (telephony, usually 8 kHz).
    Mulaw {
        /// Samples per second per channel (usually 8 000).
        sample_rate: u32,
        /// Interleaved channels.
        channels: u16,
    },
    /// Containerised audio (webm/opus, ogg/opus, wav with header…). Deepgram reads the format
    /// from the container. Not resumable mid-stream: see the type's documentation.
    Container {
        /// How many channels the container carries (used to map channels to speakers).
        channels: u16,
    },
}

impl Default for AudioFormat {
    /// 16 kHz stereo linear16: agent on the left channel, customer on the right.
    fn default() -> Self {
        AudioFormat::linear16(None, None)
    }
}

impl AudioFormat {
    /// Linear16 with what the host left out filled in: 16 000 Hz (wideband, what browsers and
    /// most bridges resample to) and 2 channels (agent and customer).
    ///
    /// The bindings build their formats here, so a zero/absent field means the same everywhere.
    ///
    /// ```
    /// use helix_engage::assist::AudioFormat;
    /// assert_eq!(AudioFormat::linear16(None, None), AudioFormat::default());
    /// assert_eq!(AudioFormat::linear16(Some(8_000), None).sample_rate(), Some(8_000));
    /// ```
    pub fn linear16(sample_rate: Option<u32>, channels: Option<u16>) -> Self {
        AudioFormat::Linear16 {
            sample_rate: sample_rate.unwrap_or(16_000),
            channels: channels.unwrap_or(2),
        }
    }

    /// µ-law with what the host left out filled in: 8 000 Hz (G.711 telephony) and 2 channels.
    ///
    /// ```
    /// use helix_engage::assist::AudioFormat;
    /// assert_eq!(
    ///     AudioFormat::mulaw(None, Some(1)),
    ///     AudioFormat::Mulaw { sample_rate: 8_000, channels: 1 }
    /// );
    /// ```
    pub fn mulaw(sample_rate: Option<u32>, channels: Option<u16>) -> Self {
        AudioFormat::Mulaw {
            sample_rate: sample_rate.unwrap_or(8_000),
            channels: channels.unwrap_or(2),
        }
    }

    /// Containerised audio; 1 channel when the host did not say (a browser's `MediaRecorder`
    /// records one mixed track).
    pub fn container(channels: Option<u16>) -> Self {
        AudioFormat::Container {
            channels: channels.unwrap_or(1),
        }
    }

    /// Number of channels in the stream.
    pub fn channels(&self) -> u16 {
        match *self {
            AudioFormat::Linear16 { channels, .. }
            | AudioFormat::Mulaw { channels, .. }
            | AudioFormat::Container { channels } => channels,
        }
    }

    /// Deepgram's `encoding` parameter, `None` for containerised audio.
    pub fn encoding(&self) -> Option<&'static str> {
        match self {
            AudioFormat::Linear16 { .. } => Some("linear16"),
            AudioFormat::Mulaw { .. } => Some("mulaw"),
            AudioFormat::Container { .. } => None,
        }
    }

    /// Samples per second per channel, `None` for containerised audio.
    pub fn sample_rate(&self) -> Option<u32> {
        match *self {
            AudioFormat::Linear16 { sample_rate, .. } | AudioFormat::Mulaw { sample_rate, .. } => {
                Some(sample_rate)
            }
            AudioFormat::Container { .. } => None,
        }
    }

    /// Bytes in one sample frame (one sample of every channel); `None` for containers.
    pub fn frame_bytes(&self) -> Option<u64> {
        match *self {
            AudioFormat::Linear16 { channels, .. } => Some(2 * u64::from(channels)),
            AudioFormat::Mulaw { channels, .. } => Some(u64::from(channels)),
            AudioFormat::Container { .. } => None,
        }
    }

    /// Bytes per second of audio; `None` for containers, whose bitrate is not fixed, and for a
    /// raw format without channels or samples (which no session accepts: `channels: 0` would
    /// otherwise divide by zero in [`seconds`](Self::seconds) and
    /// [`bytes_at`](Self::bytes_at)).
    pub fn bytes_per_second(&self) -> Option<u64> {
        Some(self.frame_bytes()? * u64::from(self.sample_rate()?)).filter(|&bps| bps > 0)
    }

    /// Whether audio can be replayed on a new connection (raw encodings only).
    pub fn is_resumable(&self) -> bool {
        self.bytes_per_second().is_some()
    }

    /// Seconds of audio in `bytes` bytes; `None` for containers.
    pub fn seconds(&self, bytes: u64) -> Option<f64> {
        let bps = self.bytes_per_second()?;
        Some(bytes as f64 / bps as f64)
    }

    /// The byte offset of `seconds` into the stream, rounded down to a whole sample frame so a
    /// replay never starts in the middle of a sample.
    pub fn bytes_at(&self, seconds: f64) -> Option<u64> {
        let bps = self.bytes_per_second()?;
        let frame = self.frame_bytes()?;
        let raw = (seconds.max(0.0) * bps as f64).round() as u64;
        Some(raw - raw % frame)
    }

    /// One byte of silence in this encoding, used to fill the gap left by dropped chunks so the
    /// timeline stays exact (µ-law's zero level is 0xFF, PCM's is 0).
    pub(crate) fn silence_byte(&self) -> Option<u8> {
        match self {
            AudioFormat::Linear16 { .. } => Some(0),
            AudioFormat::Mulaw { .. } => Some(0xFF),
            AudioFormat::Container { .. } => None,
        }
    }

    /// Largest binary frame the writer sends: a host may push a whole file in one call, and
    /// Deepgram expects 20–250 ms frames.
    pub(crate) fn max_frame_bytes(&self) -> usize {
        const CONTAINER_MAX: usize = 64 * 1024;
        match (self.bytes_per_second(), self.frame_bytes()) {
            (Some(bps), Some(frame)) => {
                let quarter = bps / 4;
                usize::try_from((quarter - quarter % frame).max(frame)).unwrap_or(CONTAINER_MAX)
            }
            _ => CONTAINER_MAX,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let channels = self.channels();
        if channels == 0 || channels > 16 {
            return Err(Error::invalid(format!(
                "audio channels must be 1–16, got {channels}"
            )));
        }
        if let Some(rate) = self.sample_rate()
            && !(8_000..=48_000).contains(&rate)
        {
            return Err(Error::invalid(format!(
                "audio sample_rate must be 8000–48000 Hz, got {rate}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_math_for_raw_formats() {
        let pcm = AudioFormat::Linear16 {
            sample_rate: 16_000,
            channels: 2,
        };
        assert_eq!(pcm.bytes_per_second(), Some(64_000));
        assert_eq!(pcm.seconds(32_000), Some(0.5));
        // 0.10001 s is 6400.64 bytes: rounded, then aligned down to a 4-byte frame.
        assert_eq!(pcm.bytes_at(0.10001), Some(6_400));
        assert_eq!(pcm.bytes_at(-1.0), Some(0));
        let mulaw = AudioFormat::Mulaw {
            sample_rate: 8_000,
            channels: 1,
        };
        assert_eq!(mulaw.bytes_per_second(), Some(8_000));
        assert_eq!(mulaw.bytes_at(1.2345), Some(9_876));
        assert_eq!(mulaw.silence_byte(), Some(0xFF));
        assert_eq!(mulaw.max_frame_bytes(), 2_000);
    }

    /// Found by tests/proptest_assist.rs: `bytes_at` on a format with no channels divided
    /// by zero (a panic), and `seconds` was infinite.
    #[test]
    fn formats_without_channels_or_samples_have_no_byte_math() {
        for silly in [
            AudioFormat::Linear16 {
                sample_rate: 16_000,
                channels: 0,
            },
            AudioFormat::Mulaw {
                sample_rate: 0,
                channels: 1,
            },
        ] {
            assert_eq!(silly.bytes_at(f64::NAN), None);
            assert_eq!(silly.bytes_at(1.0), None);
            assert_eq!(silly.seconds(1_000), None);
            assert!(!silly.is_resumable());
        }
    }

    #[test]
    fn containers_have_no_byte_math() {
        let webm = AudioFormat::Container { channels: 1 };
        assert_eq!(webm.bytes_per_second(), None);
        assert!(!webm.is_resumable());
        assert_eq!(webm.encoding(), None);
        assert_eq!(webm.max_frame_bytes(), 64 * 1024);
    }

    #[test]
    fn validation_rejects_silly_formats() {
        assert!(
            AudioFormat::Linear16 {
                sample_rate: 16_000,
                channels: 0
            }
            .validate()
            .is_err()
        );
        assert!(
            AudioFormat::Mulaw {
                sample_rate: 4_000,
                channels: 1
            }
            .validate()
            .is_err()
        );
        assert!(AudioFormat::default().validate().is_ok());
    }
}
