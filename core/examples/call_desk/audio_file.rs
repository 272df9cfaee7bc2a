//! Reading a call recording for the demo's real-services mode: a PCM/µ-law WAV file (its
//! header read by the library's `AudioFormat::from_wav`) or raw linear16.

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

/// The library reads the header (`AudioFormat::from_wav`, shared with `helix assist`).
pub fn parse_wav(b: &[u8]) -> Result<AudioFile, String> {
    let (format, samples) = AudioFormat::from_wav(b).map_err(|e| e.to_string())?;
    Ok(AudioFile {
        format,
        data: b[samples].to_vec(),
    })
}
