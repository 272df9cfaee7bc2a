//! Reading a call recording for the demo's real-services mode: a PCM/µ-law WAV file (header
//! parsed here, by hand, so the demo needs no extra crate) or raw linear16.

use std::path::Path;

use helix_engage::assist::AudioFormat;

/// Audio to stream and its format.
pub struct AudioFile {
    pub format: AudioFormat,
    pub data: Vec<u8>,
}

/// Reads `path`: a `.wav` (RIFF/WAVE, 16-bit PCM or 8-bit µ-law, any channel count) or raw
/// little-endian linear16 at `raw_rate` Hz with `raw_channels` channels.
pub fn read(path: &Path, raw_rate: u32, raw_channels: u16) -> Result<AudioFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.starts_with(b"RIFF") {
        return parse_wav(&bytes).map_err(|e| format!("{}: {e}", path.display()));
    }
    Ok(AudioFile {
        format: AudioFormat::Linear16 {
            sample_rate: raw_rate,
            channels: raw_channels,
        },
        data: bytes,
    })
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Walks the RIFF chunks for `fmt ` and `data`; every offset is checked, so a truncated or
/// hostile file is an error, never a panic.
pub fn parse_wav(b: &[u8]) -> Result<AudioFile, String> {
    if b.get(8..12) != Some(b"WAVE") {
        return Err("not a WAVE file".into());
    }
    let mut at = 12usize;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32_at(b, at + 4).ok_or("truncated chunk header")? as usize;
        let body = at + 8;
        let end = body.saturating_add(len).min(b.len());
        match id {
            b"fmt " => {
                let mut tag = u16_at(b, body).ok_or("truncated fmt chunk")?;
                let channels = u16_at(b, body + 2).ok_or("truncated fmt chunk")?;
                let rate = u32_at(b, body + 4).ok_or("truncated fmt chunk")?;
                let bits = u16_at(b, body + 14).ok_or("truncated fmt chunk")?;
                if tag == 0xFFFE {
                    // WAVE_FORMAT_EXTENSIBLE: the real format tag opens the sub-format GUID.
                    tag = u16_at(b, body + 24).ok_or("truncated extensible fmt chunk")?;
                }
                fmt = Some((tag, channels, rate, bits));
            }
            b"data" => {
                let (tag, channels, sample_rate, bits) =
                    fmt.ok_or("the data chunk comes before the fmt chunk")?;
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
                        return Err(format!(
                            "unsupported WAV encoding (format tag {tag}, {bits} bits); use 16-bit PCM or 8-bit µ-law"
                        ));
                    }
                };
                return Ok(AudioFile {
                    format,
                    data: b[body..end].to_vec(),
                });
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at = body.saturating_add(len).saturating_add(len & 1);
    }
    Err("no data chunk".into())
}
