//! Reading a WAV file's header, for hosts that stream a recording (the `helix assist` command,
//! the call-desk demo): which [`AudioFormat`] its samples are and where they are. Only the
//! encodings Deepgram takes raw are accepted — 16-bit PCM and 8-bit µ-law, any channel count
//! — so the library keeps its byte ↔ seconds arithmetic (replay after a reconnect) exact.

use std::ops::Range;

use super::audio::AudioFormat;
use crate::{Error, Result};

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn bad(why: &str) -> Error {
    Error::invalid(format!("WAV file: {why}"))
}

impl AudioFormat {
    /// The format of a RIFF/WAVE file's samples and their byte range in `bytes`: walks the
    /// chunks for `fmt ` (WAVE_FORMAT_EXTENSIBLE included) and `data`. Every offset is
    /// checked: a truncated or hostile file is [`Error::InvalidInput`], never a panic; a
    /// `data` chunk longer than the file is cut at its end.
    ///
    /// ```
    /// use helix_engage::assist::AudioFormat;
    /// let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x02\0\x80\x3e\0\0\0\xfa\0\0\x04\0\x10\0".to_vec();
    /// wav.extend_from_slice(b"data\x04\0\0\0\x01\x02\x03\x04");
    /// let (format, samples) = AudioFormat::from_wav(&wav).unwrap();
    /// assert_eq!(format, AudioFormat::Linear16 { sample_rate: 16_000, channels: 2 });
    /// assert_eq!(&wav[samples], &[1, 2, 3, 4]);
    /// ```
    pub fn from_wav(b: &[u8]) -> Result<(AudioFormat, Range<usize>)> {
        if b.get(0..4) != Some(b"RIFF") || b.get(8..12) != Some(b"WAVE") {
            return Err(bad("not a RIFF/WAVE file"));
        }
        let mut at = 12usize;
        let mut fmt: Option<(u16, u16, u32, u16)> = None;
        while at.saturating_add(8) <= b.len() {
            let id = &b[at..at + 4];
            let len = u32_at(b, at + 4).ok_or_else(|| bad("truncated chunk header"))? as usize;
            let body = at + 8;
            let end = body.saturating_add(len).min(b.len());
            match id {
                b"fmt " => {
                    let field = |off: usize| bad(&format!("truncated fmt chunk (at {off})"));
                    let mut tag = u16_at(b, body).ok_or_else(|| field(0))?;
                    let channels = u16_at(b, body + 2).ok_or_else(|| field(2))?;
                    let rate = u32_at(b, body + 4).ok_or_else(|| field(4))?;
                    let bits = u16_at(b, body + 14).ok_or_else(|| field(14))?;
                    if tag == 0xFFFE {
                        // WAVE_FORMAT_EXTENSIBLE: the real format tag opens the sub-format GUID.
                        tag = u16_at(b, body + 24).ok_or_else(|| field(24))?;
                    }
                    fmt = Some((tag, channels, rate, bits));
                }
                b"data" => {
                    let (tag, channels, sample_rate, bits) =
                        fmt.ok_or_else(|| bad("the data chunk comes before the fmt chunk"))?;
                    let format = match (tag, bits) {
                        (1, 16) => AudioFormat::Linear16 {
                            sample_rate,
                            channels,
                        },
                        (7, 8) => AudioFormat::Mulaw {
                            sample_rate,
                            channels,
                        },
                        _ => {
                            return Err(bad(&format!(
                                "unsupported encoding (format tag {tag}, {bits} bits); use \
                                 16-bit PCM or 8-bit µ-law"
                            )));
                        }
                    };
                    format.validate()?;
                    return Ok((format, body..end));
                }
                _ => {}
            }
            // Chunks are padded to an even length.
            at = body.saturating_add(len).saturating_add(len & 1);
        }
        Err(bad("no data chunk"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WAVE".to_vec();
        b.extend_from_slice(b"LIST\x03\0\0\0abc\0"); // an odd chunk, padded
        b.extend_from_slice(b"fmt \x10\0\0\0");
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&[0; 6]);
        b.extend_from_slice(&bits.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn pcm_and_mulaw_are_read_past_other_chunks() {
        let b = wav(1, 1, 8_000, 16, &[9, 9]);
        let (format, samples) = AudioFormat::from_wav(&b).unwrap();
        assert_eq!(
            format,
            AudioFormat::Linear16 {
                sample_rate: 8_000,
                channels: 1
            }
        );
        assert_eq!(&b[samples], &[9, 9]);
        let (format, _) = AudioFormat::from_wav(&wav(7, 2, 8_000, 8, &[1])).unwrap();
        assert_eq!(
            format,
            AudioFormat::Mulaw {
                sample_rate: 8_000,
                channels: 2
            }
        );
    }

    #[test]
    fn bad_files_are_invalid_input_never_a_panic() {
        let good = wav(1, 2, 16_000, 16, &[0; 8]);
        for cut in 0..good.len() - 8 {
            if let Err(e) = AudioFormat::from_wav(&good[..cut]) {
                assert_eq!(e.code(), crate::ErrorCode::InvalidInput, "{e}");
            }
        }
        let err = AudioFormat::from_wav(&wav(3, 1, 16_000, 32, &[0; 4])).unwrap_err();
        assert!(err.to_string().contains("unsupported encoding"), "{err}");
        assert!(AudioFormat::from_wav(b"RIFF\0\0\0\0WAVEdata\xff\xff\xff\xff").is_err());
        assert!(AudioFormat::from_wav(&wav(1, 0, 16_000, 16, &[0; 4])).is_err());
    }
}
