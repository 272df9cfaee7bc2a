//! The `/v1/listen` query string, checked as Deepgram checks it: every refusal is a 400 with
//! Deepgram's `Invalid query string: …` wording, in the order Deepgram reports them.
//!
//! Deepgram's live-streaming parameters are documented at
//! <https://developers.deepgram.com/reference/speech-to-text/listen-streaming>; the rules kept
//! here: booleans are `true`/`false`; raw encodings (`linear16`, `linear32`, `mulaw`, `alaw`)
//! need `sample_rate`; `utterance_end_ms` needs `interim_results=true`; `keyterm` is Nova-3
//! only and `keywords` is not Nova-3; `language=multi` (code-switching, e.g. Hindi and English)
//! is Nova-3's (`nova-3`, `nova-3-general`; the medical model is English-only), with any
//! `endpointing` (Deepgram recommends 100 ms for code-switching, it does not require it);
//! `redact` is checked by [`Redaction::parse`](super::redact::Redaction::parse).

use super::redact::Redaction;
use super::script::{PlayerOptions, Script};
use super::sessions::DgState;

/// Models the stand-in accepts (anything else is refused with 400, like an unknown model).
pub const MODELS: &[&str] = &[
    "nova-3",
    "nova-3-general",
    "nova-3-medical",
    "nova-2",
    "nova-2-general",
    "nova-2-phonecall",
    "nova-2-meeting",
    "nova-2-conversationalai",
    "nova-2-medical",
    "nova",
    "nova-phonecall",
    "enhanced",
    "base",
];

/// The query parameter (`sim_timecode=true`) that makes a connection read its place in the call
/// from the audio.
///
/// Real Deepgram transcribes what the audio says, so a client that reconnects and replays the
/// call from second 42 hears second 42's words. The simulator does not listen; it plays a
/// script by bytes received, restarting at 0 on every connection. With `sim_timecode=true`
/// (linear16, two or more channels) the first sample frame a connection receives names its
/// place in the call: sample-frame index = channel 0's sample (low 16 bits, unsigned) +
/// channel 1's sample (high 16 bits) × 65 536. The connection then plays the script from
/// that point (turns already past are skipped, a turn cut by it keeps only its later words)
/// with timestamps from 0, as Deepgram's restart per connection.
pub const TIMECODE_PARAM: &str = "sim_timecode";

/// Stereo linear16 for `frames` sample frames from `first_frame` on, each carrying its index as
/// [`TIMECODE_PARAM`] reads it: what a client streams to a timecoded connection in place of
/// speech (the one writer of the encoding, for the demo and the tests).
pub fn timecoded_audio(first_frame: u32, frames: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(frames as usize * 4);
    for i in first_frame..first_frame.saturating_add(frames) {
        out.extend_from_slice(&((i & 0xFFFF) as u16).to_le_bytes());
        out.extend_from_slice(&((i >> 16) as u16).to_le_bytes());
    }
    out
}

/// Parsed connection parameters.
pub(super) struct Params {
    /// What shapes the results (the request id and model UUID are the session's to fill in).
    pub recognition: PlayerOptions,
    /// Bytes per second of audio for the stream.
    pub bytes_per_second: f64,
    /// A registered script's name (`sim_script`).
    pub script: Option<String>,
    /// `sim_timecode=true`: the audio carries its own position in the call (see
    /// [`TIMECODE_PARAM`]), so a reconnected stream resumes the script where its audio is.
    pub timecode: bool,
    /// `language` as sent (`None` when absent).
    pub language: Option<String>,
}

/// The stream's audio layout, as far as the bytes' duration goes.
struct Audio {
    channels: usize,
    /// `None` for compressed or containerised encodings.
    bytes_per_sample: Option<f64>,
    bytes_per_second: f64,
}

/// The query pairs, looked up by first occurrence (as Deepgram reads repeated keys).
#[derive(Clone, Copy)]
struct Query<'a>(&'a [(String, String)]);

impl<'a> Query<'a> {
    fn get(self, key: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(self, key: &str) -> Result<Option<bool>, String> {
        self.get(key).map(|v| parse_bool(key, v)).transpose()
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "Invalid query string: '{key}' must be true or false"
        )),
    }
}

/// Checks the query; `Err` is the 400's message. `sim_script` must name a script in `dg`.
pub(super) fn parse(pairs: &[(String, String)], dg: &DgState) -> Result<Params, String> {
    let q = Query(pairs);
    let model = model(q)?;
    let multichannel = q.flag("multichannel")?.unwrap_or(false);
    let interim_results = q.flag("interim_results")?.unwrap_or(false);
    let punctuate =
        q.flag("punctuate")?.unwrap_or(false) || q.flag("smart_format")?.unwrap_or(false);
    let vad_events = q.flag("vad_events")?.unwrap_or(false);
    let diarize = q.flag("diarize")?.unwrap_or(false);
    let audio = audio(q)?;
    let endpointing = endpointing(q)?;
    let utterance_end_ms = utterance_end_ms(q, interim_results)?;
    model_features(q, &model)?;
    let language = language(q, &model)?;
    let redaction = Redaction::parse(
        pairs
            .iter()
            .filter(|(k, _)| k == "redact")
            .map(|(_, v)| v.as_str()),
        language.as_deref(),
    )?;
    let timecode = timecode(q, &audio)?;
    let script = match q.get("sim_script") {
        None => None,
        Some(name) if dg.scripts.contains_key(name) || Script::builtin(name).is_some() => {
            Some(name.to_string())
        }
        Some(name) => return Err(format!("Unknown sim_script '{name}'")),
    };
    Ok(Params {
        recognition: PlayerOptions {
            channels: audio.channels,
            multichannel,
            interim_results,
            punctuate,
            vad_events,
            diarize,
            endpointing,
            utterance_end_ms,
            model_name: model,
            redaction,
            ..PlayerOptions::default()
        },
        bytes_per_second: audio.bytes_per_second,
        script,
        timecode,
        language,
    })
}

fn model(q: Query<'_>) -> Result<String, String> {
    let model = q.get("model").unwrap_or("nova-3");
    if !MODELS.contains(&model) {
        return Err(
            "No such model/language/tier combination found. Use the /v1/models endpoint \
                    for a list of available models."
                .into(),
        );
    }
    Ok(model.to_string())
}

/// `channels`, `sample_rate` and `encoding`, and from them the bytes per second of audio.
fn audio(q: Query<'_>) -> Result<Audio, String> {
    let channels = match q.get("channels") {
        None => 1,
        Some(c) => match c.parse::<usize>() {
            Ok(n) if (1..=32).contains(&n) => n,
            _ => return Err("Invalid query string: 'channels' must be a positive integer".into()),
        },
    };
    let sample_rate = match q.get("sample_rate") {
        None => None,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(
                    "Invalid query string: 'sample_rate' must be a positive integer".into(),
                );
            }
        },
    };
    let bytes_per_sample = match q.get("encoding") {
        None => None,
        Some("linear16") => Some(2.0),
        Some("linear32") => Some(4.0),
        Some("mulaw" | "alaw") => Some(1.0),
        Some("flac" | "amr-nb" | "amr-wb" | "opus" | "ogg-opus" | "speex" | "g729") => None,
        Some(other) => {
            return Err(format!(
                "Invalid query string: unsupported encoding '{other}'"
            ));
        }
    };
    let bytes_per_second = match (bytes_per_sample, sample_rate) {
        (Some(bps), Some(rate)) => bps * f64::from(rate) * channels as f64,
        (Some(_), None) => {
            return Err(
                "Invalid query string: 'sample_rate' is required with a raw 'encoding'".into(),
            );
        }
        // Compressed or containerised audio: duration is not derivable from bytes; assume a
        // nominal 32 kbit/s so scripts still advance.
        (None, _) => 4000.0,
    };
    Ok(Audio {
        channels,
        bytes_per_sample,
        bytes_per_second,
    })
}

fn endpointing(q: Query<'_>) -> Result<bool, String> {
    match q.get("endpointing") {
        None => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") || v.parse::<u32>().is_ok() => Ok(true),
        Some(_) => Err("Invalid query string: 'endpointing' must be false or milliseconds".into()),
    }
}

fn utterance_end_ms(q: Query<'_>, interim_results: bool) -> Result<Option<u64>, String> {
    let ms = match q.get("utterance_end_ms") {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Err("Invalid query string: 'utterance_end_ms' must be milliseconds".into());
            }
        },
    };
    if ms.is_some() && !interim_results {
        return Err("utterance_end_ms requires interim_results=true".into());
    }
    Ok(ms)
}

/// Keyterm prompting is Nova-3's; keywords are the older models'.
fn model_features(q: Query<'_>, model: &str) -> Result<(), String> {
    let nova3 = model.starts_with("nova-3");
    if q.get("keyterm").is_some() && !nova3 {
        return Err("Keyterm Prompting is only available for Nova-3 models".into());
    }
    if q.get("keywords").is_some() && nova3 {
        return Err("Keywords are not supported for Nova-3 models; use keyterm".into());
    }
    Ok(())
}

/// `language`: any tag is taken (the stand-in plays its script whatever the language), but
/// `multi` needs a Nova-3 model that is multilingual.
fn language(q: Query<'_>, model: &str) -> Result<Option<String>, String> {
    let language = q.get("language").map(str::to_string);
    if language
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case("multi"))
        && !matches!(model, "nova-3" | "nova-3-general")
    {
        return Err(format!(
            "No such model/language/tier combination found: language=multi is only \
             available for Nova-3 (nova-3, nova-3-general), not '{model}'"
        ));
    }
    Ok(language)
}

/// `sim_timecode` reads positions from linear16 samples of two channels.
fn timecode(q: Query<'_>, audio: &Audio) -> Result<bool, String> {
    let timecode = q.flag(TIMECODE_PARAM)?.unwrap_or(false);
    if timecode && (audio.bytes_per_sample != Some(2.0) || audio.channels < 2) {
        return Err("sim_timecode needs encoding=linear16 with channels >= 2".into());
    }
    Ok(timecode)
}
