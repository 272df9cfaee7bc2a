//! `helix_assist`: a live call-assist session (audio → Deepgram → transcript → suggestions).

use std::ffi::{c_char, c_void};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use helix_engage::assist::{
    AssistConfig, AudioDelivery, AudioFormat, Bytes, DeepgramConfig, DeepgramRedaction,
    LeadContext, LiveAssist, PostCallConfig, RedactionConfig, Speaker, SuggestionConfig,
};
use serde::Deserialize;

use crate::error::{Failure, FfiResult, from_json_object, helix_status, quote};
use crate::events::{EventPump, helix_event_callback};
use crate::ffi::{
    HandleRuntime, arg_bytes, arg_opt_out, arg_opt_str, arg_out, arg_ref, arg_str, block_on, ffi,
    free_handle, into_handle, json_string,
};

/// The audio the host will push, as the `uint32_t encoding` field of `helix_assist_config`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_audio_encoding {
    /// Signed 16-bit little-endian PCM, channels interleaved (the default, 0).
    HELIX_AUDIO_LINEAR16 = 0,
    /// 8-bit G.711 µ-law, channels interleaved (telephony).
    HELIX_AUDIO_MULAW = 1,
    /// Containerised audio (webm/opus, ogg, wav with header): sent as-is. Cannot be replayed
    /// mid-stream after a reconnect; prefer a raw encoding for calls.
    HELIX_AUDIO_CONTAINER = 2,
}

/// Who is on which channel, as the `uint32_t channel_layout` field of `helix_assist_config`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_channel_layout {
    /// Channel 0 the agent, channel 1 the customer (the default, 0).
    HELIX_LAYOUT_AGENT_FIRST = 0,
    /// Channel 0 the customer, channel 1 the agent.
    HELIX_LAYOUT_CUSTOMER_FIRST = 1,
}

/// What became of one chunk of audio, written to `*out_delivery` (a `uint32_t`) by
/// `helix_assist_send_audio_delivery`. Values start at 1, so an unwritten zero is never one.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_audio_delivery {
    /// Queued for Deepgram.
    HELIX_AUDIO_QUEUED = 1,
    /// Dropped because the queue was full (the session is starved): counted in the metrics
    /// (`droppedChunks`) and reported by a `HELIX_EVENT_WARNING`; for raw encodings the gap is
    /// filled with silence so later times stay right.
    HELIX_AUDIO_DROPPED = 2,
    /// Withheld because the call is private (`helix_assist_set_private`): discarded at once —
    /// never queued, buffered, sent to Deepgram or replayed — and counted only on the call's
    /// timeline and in the metrics' `privateSeconds`. Not a fault: no warning is emitted.
    HELIX_AUDIO_WITHHELD = 3,
}

fn delivery(d: AudioDelivery) -> helix_audio_delivery {
    match d {
        AudioDelivery::Queued => helix_audio_delivery::HELIX_AUDIO_QUEUED,
        AudioDelivery::Dropped => helix_audio_delivery::HELIX_AUDIO_DROPPED,
        AudioDelivery::Withheld => helix_audio_delivery::HELIX_AUDIO_WITHHELD,
    }
}

/// Everything `helix_assist_start` needs. Zero-initialise it (`helix_assist_config c = {0};`)
/// and set what you need: a zero/NULL field takes its default. Strings are UTF-8, copied during
/// the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_assist_config {
    /// Required: the Deepgram API key.
    pub deepgram_api_key: *const c_char,
    /// Deepgram's WebSocket base URL (NULL: `wss://api.deepgram.com`; the simulator:
    /// `ws://127.0.0.1:PORT`). `/v1/listen` is appended.
    pub deepgram_url: *const c_char,
    /// Deepgram model (NULL: `nova-3`).
    pub deepgram_model: *const c_char,
    /// Language, e.g. `"en-IN"`, `"hi"`, `"multi"` (NULL: the model's default).
    pub language: *const c_char,
    /// A `helix_audio_encoding` value (0: linear16).
    pub encoding: u32,
    /// Samples per second per channel (0: 16 000 for linear16, 8 000 for µ-law, the core's
    /// `AudioFormat` defaults, as in Node; otherwise 8 000..=48 000; ignored for containers).
    pub sample_rate: u32,
    /// Interleaved channels (0: 2 for raw encodings, 1 for containers, the core's defaults;
    /// otherwise 1..=16). With more than one, each channel is transcribed separately.
    pub channels: u32,
    /// A `helix_channel_layout` value (0: agent on channel 0, customer on channel 1).
    pub channel_layout: u32,
    /// The OpenAI (or compatible) API key; NULL turns suggestions off.
    pub openai_api_key: *const c_char,
    /// The chat-completions base URL including the version path (NULL:
    /// `https://api.openai.com/v1`; the simulator: `http://127.0.0.1:PORT/v1`).
    pub openai_base_url: *const c_char,
    /// The chat model (NULL: `gpt-4o-mini`).
    pub openai_model: *const c_char,
    /// At most one suggestion request per interval while new speech arrives (0: 10 000 ms;
    /// otherwise 1..=3 600 000 ms, beyond is `HELIX_INVALID_INPUT`).
    pub suggestion_interval_ms: u32,
    /// Never two suggestion requests closer than this (0: 3 000 ms; otherwise 1..=3 600 000 ms,
    /// beyond is `HELIX_INVALID_INPUT`).
    pub suggestion_min_gap_ms: u32,
    /// The lead on the call as JSON (NULL: none); see `helix_assist_update_lead` for the shape.
    pub lead_json: *const c_char,
    /// A Deepgram preset, applied first; the fields above then override it (a NULL field keeps
    /// the preset's value). NULL: none (the plain defaults). `"indian-multilingual"`: Indian
    /// calls that mix Hindi and English — `nova-3` with `language=multi`, `endpointing=100`
    /// (Deepgram's advice for code-switching), no Deepgram `redact` (its entity redaction is
    /// English-only; the local redactor does that work). Transcripts come in Latin-script
    /// Hinglish as Deepgram returns them. Any other value is `HELIX_INVALID_INPUT`.
    pub deepgram_preset: *const c_char,
    /// Deepgram's `redact`, a comma list of `pci`, `pii`, `phi`, `numbers`,
    /// `aggressive_numbers` (spaces around items allowed), e.g. `"pci,numbers"`. NULL: the
    /// default — `pci` (card numbers), or none with the `indian-multilingual` preset. `""`:
    /// none. `pci`, `pii` and `phi` need an English `language` (`en`, `en-*` or unset: hosted
    /// streaming redacts entities in English only), otherwise `HELIX_INVALID_INPUT`; `numbers`
    /// works in every language but also wipes dates, times and prices. An unknown or empty item
    /// is `HELIX_INVALID_INPUT` naming it.
    pub deepgram_redact: *const c_char,
    /// `false` (the default, 0): the local redactor runs on every final before it is stored,
    /// emitted or sent to the LLM — card numbers (Luhn-checked), Aadhaar (Verhoeff-checked),
    /// PAN, Indian phone numbers, e-mail addresses, numbers after words like "policy",
    /// "member id", "card" (spoken digits count) — each replaced by its marker (`[card]`,
    /// `[aadhaar]`, `[pan]`, `[phone]`, `[email]`, `[policy]`, `[member_id]`, `[account]`).
    /// `true` turns it off. The lead's own phone number is never sent to the LLM either way.
    pub redaction_disabled: bool,
    /// Extra identifier words for the local redactor, a comma list (`"MRN, IP number"`): a
    /// number after one of them is redacted, as after the built-in "policy", "member id",
    /// "UHID", … NULL or `""`: none. An empty item (`"a,,b"`) or one too long is
    /// `HELIX_INVALID_INPUT` naming it (`redaction.keywords[1]`).
    pub redaction_keywords: *const c_char,
    /// The post-call summary and suggested disposition, asked for once at `helix_assist_stop`
    /// with the suggestion LLM (so `openai_api_key` is required, otherwise
    /// `HELIX_INVALID_INPUT`). NULL: off. A JSON object whose fields are all optional (unknown
    /// fields are refused with `HELIX_INVALID_INPUT`):
    ///
    /// ```json
    /// {"timeoutMs":10000,"dispositions":["Appointment Booked","General Enquiry"],
    ///  "maxTranscriptChars":24000,"systemPrompt":"…"}
    /// ```
    ///
    /// `timeoutMs` (default 10 000; 1..=120 000) bounds the request and adds at most that to
    /// `helix_assist_stop`, never to the transcript's stop wait; `dispositions` are the
    /// account's own (`helix_ozonetel_dispositions`; at most 500, each 1..=200 characters, no
    /// duplicates), and `suggestedDisposition` is one of them exactly as written, or null;
    /// `maxTranscriptChars` (default 24 000; 1..=1 000 000); `systemPrompt` replaces the
    /// built-in prompt (at most 100 000 characters). The result is the summary's `postCall`
    /// (see `helix_assist_stop`).
    pub post_call_json: *const c_char,
    /// Coalesce the chunks `helix_assist_send_audio` is given into frames of this many ms
    /// before they go to Deepgram (0, the default: off, each chunk is written as it is handed
    /// over; otherwise 20..=250, beyond is `HELIX_INVALID_INPUT`; raw audio only). 20 ms
    /// frames at 100 are one write instead of five, about half the CPU per stream-second, for
    /// up to 100 ms more delay. A partial frame goes once the window has passed since its
    /// first byte, and at once ahead of a Finalize (hold, private stretch) and at stop.
    pub coalesce_ms: u32,
}

/// A live-assist session for one call.
///
/// Thread safety: safe to share between threads. `helix_assist_send_audio` never blocks and
/// may be called from the audio thread while other threads set the hold state, update the
/// lead or stop the session. Events reach the host's callback on one dedicated thread of the
/// session (see `helix_event_callback`). Free it with `helix_assist_free` once no call is
/// running on it.
pub struct helix_assist {
    // Drop order matters: the session ends first, then the event thread, then the runtime.
    session: RwLock<Option<LiveAssist>>,
    events: Mutex<Option<EventPump>>,
    runtime: HandleRuntime,
}

/// Starts a live-assist session: validates `config`, opens the first Deepgram connection
/// (blocking the calling thread until it is up or refused) and starts the session.
///
/// `callback` (may be NULL to ignore events) receives every event with `user_data`; see
/// `helix_event_callback` for the thread and lifetimes. `user_data` must stay valid until
/// `helix_assist_stop` or `helix_assist_free` has returned.
///
/// Fails with `HELIX_INVALID_INPUT` for a bad configuration or lead JSON, `HELIX_AUTH` when
/// Deepgram refuses the key, `HELIX_API` when it refuses the parameters. A transient failure
/// of the first connection is not an error: the session starts, buffers audio and reconnects
/// (`HELIX_EVENT_RECONNECTING`). On success `*out` holds the session.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_start(
    config: *const helix_assist_config,
    callback: helix_event_callback,
    user_data: *mut c_void,
    out: *mut *mut helix_assist,
) -> helix_status {
    ffi! {
        let config = arg_ref!(config);
        let out = arg_out!(out);
        let config = assist_config(config)?;
        let runtime = HandleRuntime::new("helix-assist")?;
        let (session, events) = block_on(&runtime, LiveAssist::start(config))??;
        let pump = match callback {
            Some(callback) => Some(EventPump::spawn(events, callback, user_data)?),
            // The core keeps working without a reader; the summary still has everything.
            None => None,
        };
        out.write(into_handle(helix_assist {
            session: RwLock::new(Some(session)),
            events: Mutex::new(pump),
            runtime,
        }));
        Ok(())
    }
}

fn assist_config(c: &helix_assist_config) -> FfiResult<AssistConfig> {
    let key = arg_str!(c.deepgram_api_key, "config.deepgram_api_key");
    let mut deepgram = match arg_opt_str!(c.deepgram_preset, "config.deepgram_preset") {
        None => DeepgramConfig::new(key),
        Some(INDIAN_MULTILINGUAL) => DeepgramConfig::indian_multilingual(key),
        Some(other) => {
            return Err(Failure::invalid(format!(
                "config.deepgram_preset {} is not a preset (NULL, or \"{INDIAN_MULTILINGUAL}\")",
                quote(other)
            )));
        }
    };
    if let Some(url) = arg_opt_str!(c.deepgram_url, "config.deepgram_url") {
        deepgram = deepgram.with_url(url);
    }
    if let Some(model) = arg_opt_str!(c.deepgram_model, "config.deepgram_model") {
        deepgram = deepgram.with_model(model);
    }
    if let Some(language) = arg_opt_str!(c.language, "config.language") {
        deepgram.language = Some(language.to_string());
    }
    if let Some(list) = arg_opt_str!(c.deepgram_redact, "config.deepgram_redact") {
        deepgram.redact = deepgram_redact(list)?;
    }
    let redaction = RedactionConfig {
        enabled: !c.redaction_disabled,
        keywords: arg_opt_str!(c.redaction_keywords, "config.redaction_keywords")
            .map(comma_list)
            .unwrap_or_default(),
    };

    // 0 means "the default", which the core's AudioFormat constructors own.
    let channels = match c.channels {
        0 => None,
        n => Some(
            u16::try_from(n)
                .map_err(|_| Failure::invalid(format!("config.channels {n} is more than 65535")))?,
        ),
    };
    let sample_rate = (c.sample_rate != 0).then_some(c.sample_rate);
    let audio = match c.encoding {
        0 => AudioFormat::linear16(sample_rate, channels),
        1 => AudioFormat::mulaw(sample_rate, channels),
        2 => AudioFormat::container(channels),
        other => {
            return Err(Failure::invalid(format!(
                "config.encoding {other} is not a helix_audio_encoding (0 linear16, 1 mulaw, \
                 2 container)"
            )));
        }
    };
    let speakers = match c.channel_layout {
        0 => vec![Speaker::Agent, Speaker::Customer],
        1 => vec![Speaker::Customer, Speaker::Agent],
        other => {
            return Err(Failure::invalid(format!(
                "config.channel_layout {other} is not a helix_channel_layout (0 agent first, \
                 1 customer first)"
            )));
        }
    };

    let post_call = arg_opt_str!(c.post_call_json, "config.post_call_json")
        .map(post_call_from_json)
        .transpose()?;
    let suggestions = match arg_opt_str!(c.openai_api_key, "config.openai_api_key") {
        None if post_call.is_some() => {
            return Err(Failure::invalid(
                "config.post_call_json needs config.openai_api_key: the post-call summary is \
                 asked of the suggestion LLM",
            ));
        }
        None => None,
        Some(key) => {
            let mut s = SuggestionConfig::new(key);
            if let Some(url) = arg_opt_str!(c.openai_base_url, "config.openai_base_url") {
                s = s.with_base_url(url);
            }
            if let Some(model) = arg_opt_str!(c.openai_model, "config.openai_model") {
                s = s.with_model(model);
            }
            if c.suggestion_interval_ms != 0 {
                s.interval = Duration::from_millis(c.suggestion_interval_ms.into());
            }
            if c.suggestion_min_gap_ms != 0 {
                s.min_gap = Duration::from_millis(c.suggestion_min_gap_ms.into());
            }
            s.post_call = post_call;
            Some(s)
        }
    };
    let lead = arg_opt_str!(c.lead_json, "config.lead_json")
        .map(|json| lead_from_json(json, "config.lead_json"))
        .transpose()?;
    Ok(AssistConfig {
        deepgram,
        audio,
        speakers,
        suggestions,
        lead,
        redaction,
        coalesce: Duration::from_millis(c.coalesce_ms.into()),
        ..Default::default()
    })
}

/// The one preset name `config.deepgram_preset` takes.
const INDIAN_MULTILINGUAL: &str = "indian-multilingual";

/// Every `DeepgramRedaction`, so a name is matched against the core's own spelling
/// (`as_param`) rather than a second list of names.
const DEEPGRAM_REDACTIONS: [DeepgramRedaction; 5] = [
    DeepgramRedaction::Pci,
    DeepgramRedaction::Pii,
    DeepgramRedaction::Phi,
    DeepgramRedaction::Numbers,
    DeepgramRedaction::AggressiveNumbers,
];

/// `"a, b"` → `["a", "b"]`; `""` (or only spaces) → none. Empty items are kept, for the
/// reader to refuse with their index.
fn comma_list(list: &str) -> Vec<String> {
    if list.trim().is_empty() {
        return Vec::new();
    }
    list.split(',')
        .map(|item| item.trim().to_string())
        .collect()
}

fn deepgram_redact(list: &str) -> FfiResult<Vec<DeepgramRedaction>> {
    comma_list(list)
        .iter()
        .enumerate()
        .map(|(i, item)| {
            DEEPGRAM_REDACTIONS
                .into_iter()
                .find(|r| r.as_param() == item.as_str())
                .ok_or_else(|| {
                    Failure::invalid(format!(
                        "config.deepgram_redact[{i}] {} is not a Deepgram redaction (pci, pii, \
                         phi, numbers, aggressive_numbers)",
                        quote(item)
                    ))
                })
        })
        .collect()
}

/// `config.post_call_json`, field by field as the header documents it; every field optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PostCallJson {
    timeout_ms: Option<u64>,
    dispositions: Option<Vec<String>>,
    max_transcript_chars: Option<usize>,
    system_prompt: Option<String>,
}

/// Values are passed on unchanged: the core's checks (`PostCallConfig::validate`, at start)
/// refuse what is out of range, naming the field.
fn post_call_from_json(json: &str) -> FfiResult<PostCallConfig> {
    let j: PostCallJson = from_json_object(json).map_err(|why| {
        Failure::invalid(format!(
            "config.post_call_json is not a post-call object ({why}); expected {{\"timeoutMs\",\
             \"dispositions\":[…],\"maxTranscriptChars\",\"systemPrompt\"}}, all optional"
        ))
    })?;
    let mut p = PostCallConfig::default();
    if let Some(ms) = j.timeout_ms {
        p.timeout = Duration::from_millis(ms);
    }
    if let Some(dispositions) = j.dispositions {
        p.dispositions = dispositions;
    }
    if let Some(chars) = j.max_transcript_chars {
        p.max_transcript_chars = chars;
    }
    p.system_prompt = j.system_prompt;
    Ok(p)
}

fn lead_from_json(json: &str, name: &str) -> FfiResult<LeadContext> {
    from_json_object(json).map_err(|why| {
        Failure::invalid(format!(
            "{name} is not a lead object ({why}); expected {{\"name\",\"phone\",\"status\",\
             \"history\":[…],\"fields\":[[label,value]…],\"notes\"}}"
        ))
    })
}

impl helix_assist {
    /// Runs `f` on the live session, or fails with `HELIX_CLOSED` once it was stopped.
    fn with_session<T>(&self, f: impl FnOnce(&LiveAssist) -> FfiResult<T>) -> FfiResult<T> {
        let guard = self.session.read().unwrap_or_else(PoisonError::into_inner);
        match guard.as_ref() {
            Some(session) => f(session),
            None => Err(Failure::closed(
                "the live assist session was stopped; start a new one",
            )),
        }
    }
}

/// Queues `len` bytes of audio in the configured encoding. Never blocks.
///
/// When `out_queued` is not NULL it receives `true` when the chunk was queued and `false` when
/// it was not: dropped because the queue was full (counted in the metrics and reported by a
/// `HELIX_EVENT_WARNING`; for raw encodings the gap is filled with silence), or withheld
/// because the call is private (`helix_assist_set_private`). To tell those two apart use
/// `helix_assist_send_audio_delivery`.
///
/// `HELIX_INVALID_INPUT` for an empty chunk (`len` 0: nothing is sent; the core refuses it on
/// every surface, as it is almost always an end-of-file bug), `HELIX_CLOSED` after
/// `helix_assist_stop` or once the session ended on an error (the message says which).
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_send_audio(
    assist: *const helix_assist,
    data: *const u8,
    len: usize,
    out_queued: *mut bool,
) -> helix_status {
    send_audio(assist, data, len, out_queued, |d| {
        d == AudioDelivery::Queued
    })
}

/// `helix_assist_send_audio`, telling what became of the chunk: when `out_delivery` is not
/// NULL, `*out_delivery` receives a `helix_audio_delivery` — `HELIX_AUDIO_QUEUED`,
/// `HELIX_AUDIO_DROPPED` (the queue was full) or `HELIX_AUDIO_WITHHELD` (the call is private:
/// the chunk was discarded, as it should be, and nothing of it reaches Deepgram). The same
/// failures as `helix_assist_send_audio`; never blocks.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_send_audio_delivery(
    assist: *const helix_assist,
    data: *const u8,
    len: usize,
    out_delivery: *mut u32,
) -> helix_status {
    send_audio(assist, data, len, out_delivery, |d| delivery(d) as u32)
}

/// The one body of both send functions: they differ only in how they report the delivery.
fn send_audio<T>(
    assist: *const helix_assist,
    data: *const u8,
    len: usize,
    out: *mut T,
    report: impl FnOnce(AudioDelivery) -> T,
) -> helix_status {
    ffi! {
        let assist = arg_ref!(assist);
        let data = arg_bytes!(data, len);
        let out = arg_opt_out!(out);
        let delivery =
            assist.with_session(|s| Ok(s.send_audio(Bytes::copy_from_slice(data))?))?;
        out.write(report(delivery));
        Ok(())
    }
}

/// Makes the call private (`is_private` true) or ends the private stretch (false); tie it to the
/// recording's pause and resume. A repeated call with the same value does nothing.
///
/// While private no audio of the call reaches Deepgram (`helix_assist_send_audio_delivery`
/// reports `HELIX_AUDIO_WITHHELD`; the connection is kept open with KeepAlive and the call's
/// timeline keeps counting, so later times are call times), and no text reaches the LLM (no
/// suggestion request starts). Entering first asks Deepgram to finalise what was said before.
/// Both the start and the end arrive at once as a `HELIX_EVENT_PRIVATE` event; when the
/// stretch ends (or at `helix_assist_stop` while still private) the transcript gets one marker
/// segment (`"kind":"private"`, text `[private]`, the stretch's start and end, no words), also
/// delivered as a final `HELIX_EVENT_TRANSCRIPT`. The time withheld is the metrics'
/// `privateSeconds`. With `HELIX_AUDIO_CONTAINER` a call must not start private (the first
/// chunk holds the container's header).
///
/// `HELIX_CLOSED` after `helix_assist_stop`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_set_private(
    assist: *const helix_assist,
    is_private: bool,
) -> helix_status {
    on_session(assist, |s| s.set_private(is_private))
}

/// Marks the call as on hold (`true`) or back (`false`). Going on hold asks Deepgram to
/// finalise what was said; during the hold the connection is kept open however long it lasts.
/// `HELIX_CLOSED` after `helix_assist_stop`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_set_on_hold(
    assist: *const helix_assist,
    on_hold: bool,
) -> helix_status {
    on_session(assist, |s| s.set_on_hold(on_hold))
}

/// Asks Deepgram to finalise everything it has buffered now (the end of a turn).
/// `HELIX_CLOSED` after `helix_assist_stop`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_finalize(assist: *const helix_assist) -> helix_status {
    on_session(assist, LiveAssist::finalize)
}

/// The one body of the calls that only tell the live session something (hold, private,
/// finalize): `HELIX_CLOSED` once it was stopped.
fn on_session(assist: *const helix_assist, f: impl FnOnce(&LiveAssist)) -> helix_status {
    ffi! {
        let assist = arg_ref!(assist);
        assist.with_session(|s| {
            f(s);
            Ok(())
        })
    }
}

/// Replaces the lead context the next suggestions use. `lead_json` is an object whose fields
/// are all optional (unknown fields are refused with `HELIX_INVALID_INPUT`):
///
/// ```json
/// {"name":"Asha Rao","phone":"+919876543210","status":"follow-up",
///  "history":["2024-05-02: asked about home-loan rates"],
///  "fields":[["Plan","Gold"]],"notes":"prefers Hindi"}
/// ```
///
/// `HELIX_CLOSED` after `helix_assist_stop`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_update_lead(
    assist: *const helix_assist,
    lead_json: *const c_char,
) -> helix_status {
    ffi! {
        let assist = arg_ref!(assist);
        let lead = lead_from_json(arg_str!(lead_json), "lead_json")?;
        assist.with_session(|s| {
            s.update_lead(lead);
            Ok(())
        })
    }
}

/// The session's metrics so far. On success `*out_json` receives (free with
/// `helix_string_free`) an object such as
/// `{"audioSecondsReceived":12.5,"audioSecondsSent":12.5,"audioSecondsReplayed":0.0,
/// "audioSecondsDropped":0.0,"replayBufferSeconds":1.2,"privateSeconds":0.0,"droppedChunks":0,"reconnects":0,
/// "keepalivesSent":0,"eventsDropped":0,"transcriptLatency":{…},"suggestionRequests":1,
/// "suggestionFailures":0,"suggestionLatency":{…}}` (latency stats: `count`, `mean`, `p50`,
/// `p95`, `max`, `last`, in milliseconds; `privateSeconds`: audio withheld in private
/// stretches, never sent; `replayBufferSeconds`: audio held now for a reconnect to replay). `HELIX_CLOSED` after `helix_assist_stop` (the summary has the final
/// ones).
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_metrics(
    assist: *const helix_assist,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let assist = arg_ref!(assist);
        let out = arg_out!(out_json);
        let metrics = assist.with_session(|s| Ok(s.metrics()))?;
        out.write(json_string(&metrics)?);
        Ok(())
    }
}

/// Ends the session: sends the audio still queued, closes the stream, waits (bounded, a few
/// seconds) for Deepgram's last results, delivers the remaining events (the last one is
/// `HELIX_EVENT_CLOSED`) and returns. No callback runs after it returns (unless it is called
/// from the callback itself, in which case the remaining events follow once the callback
/// returns).
///
/// When `out_json` is not NULL, `*out_json` receives the call summary (free with
/// `helix_string_free`):
///
/// ```json
/// {"transcript":{"segments":[{"kind":"speech","speaker":"customer","channel":1,"start":4.0,
///   "end":6.5,"text":"…","confidence":0.98,"words":[…],"speechFinal":true,"latency":120}]},
///  "suggestions":[{"items":[{"kind":"next_step","text":"…"}],"sentiment":"neutral",
///   "escalation":null,"trigger":"customer_turn_end","latency":35}],
///  "metrics":{…},"requestIds":["…"],"deepgramDuration":19.0,"complete":true,
///  "error":null|{"code":"auth","message":"…"},
///  "postCall":null|{"summary":"…","reason":"…","outcome":"follow_up",
///   "followUps":[{"what":"…","due":"tomorrow 10 am"|null}],"sentiment":"positive",
///   "suggestedDisposition":"Appointment Booked"|null,"confidence":0.9},
///  "postCallError":null|{"code":"timeout","message":"…"},"duration":20500}
/// ```
///
/// (times in seconds from the start of the call; latencies and `duration` in milliseconds;
/// segments and suggestions as in `helix_event_kind`, private stretches as their marker
/// segments). `postCall` is set when `post_call_json` was given and the answer came in time:
/// built from the redacted transcript and the lead (never the lead's phone); `outcome` is
/// `resolved`, `follow_up`, `escalated`, `unresolved` or `no_conversation`;
/// `suggestedDisposition` is one of the configured dispositions exactly as written, or null;
/// `confidence` 0–1. Nothing is set at Ozonetel: the agent confirms the disposition
/// (`helix_agent_dispose`). `postCallError` says why there is none although one was configured
/// (`timeout`, or the LLM's error); it never sets `error`, the transcript is whole either way.
/// The handle stays valid: later calls on it fail with `HELIX_CLOSED`; free it with
/// `helix_assist_free`. A second stop fails with `HELIX_CLOSED`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_stop(
    assist: *const helix_assist,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let assist = arg_ref!(assist);
        let out = arg_opt_out!(out_json);
        let session = assist
            .session
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| Failure::closed("the live assist session was already stopped"))?;
        let summary = block_on(&assist.runtime, session.stop());
        // Deliver what the session said up to its end (its Closed event included) before
        // returning, whatever the outcome.
        let pump = assist
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(pump) = pump {
            pump.finish(true);
        }
        let summary = summary??;
        out.write_json(&summary)
    }
}

/// Frees a session. NULL is a no-op. Without a prior `helix_assist_stop` the session is
/// dropped at once (no final results) and undelivered events are discarded. No callback runs
/// after it returns, except when it is called from the callback itself (then none runs after
/// that callback returns). No other call may be running on the handle.
#[unsafe(no_mangle)]
pub extern "C" fn helix_assist_free(assist: *mut helix_assist) {
    // SAFETY: the header requires `assist` to be NULL or a handle from
    // `helix_assist_start` that is not in use and not yet freed.
    unsafe { free_handle(assist) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error_text as last_error;
    use std::ptr;

    fn zeroed() -> helix_assist_config {
        helix_assist_config {
            deepgram_api_key: ptr::null(),
            deepgram_url: ptr::null(),
            deepgram_model: ptr::null(),
            language: ptr::null(),
            encoding: 0,
            sample_rate: 0,
            channels: 0,
            channel_layout: 0,
            openai_api_key: ptr::null(),
            openai_base_url: ptr::null(),
            openai_model: ptr::null(),
            suggestion_interval_ms: 0,
            suggestion_min_gap_ms: 0,
            lead_json: ptr::null(),
            deepgram_preset: ptr::null(),
            deepgram_redact: ptr::null(),
            redaction_disabled: false,
            redaction_keywords: ptr::null(),
            post_call_json: ptr::null(),
            coalesce_ms: 0,
        }
    }

    #[test]
    fn a_zeroed_config_takes_the_core_defaults_once_a_key_is_set() {
        let mut c = zeroed();
        assert_eq!(
            assist_config(&c).unwrap_err().status,
            helix_status::HELIX_NULL_POINTER
        );
        c.deepgram_api_key = c"dg".as_ptr();
        let cfg = assist_config(&c).unwrap();
        assert_eq!(cfg.audio, AudioFormat::default());
        assert_eq!(cfg.speakers, vec![Speaker::Agent, Speaker::Customer]);
        assert_eq!(
            cfg.coalesce,
            Duration::ZERO,
            "coalescing is off unless asked for"
        );
        c.coalesce_ms = 100;
        assert_eq!(
            assist_config(&c).unwrap().coalesce,
            Duration::from_millis(100)
        );
        c.coalesce_ms = 0;
        assert!(cfg.suggestions.is_none() && cfg.lead.is_none());
        assert_eq!(cfg.deepgram.model, "nova-3");
        c.encoding = 1;
        assert_eq!(
            assist_config(&c).unwrap().audio,
            AudioFormat::mulaw(None, None)
        );
        c.encoding = 2;
        assert_eq!(
            assist_config(&c).unwrap().audio,
            AudioFormat::Container { channels: 1 }
        );
    }

    #[test]
    fn config_values_outside_their_enums_are_refused() {
        let mut c = zeroed();
        c.deepgram_api_key = c"dg".as_ptr();
        c.encoding = 3;
        assert_eq!(
            assist_config(&c).unwrap_err().status,
            helix_status::HELIX_INVALID_INPUT
        );
        c.encoding = 1;
        c.channel_layout = 2;
        assert!(assist_config(&c).is_err());
        c.channel_layout = 1;
        c.channels = 70_000;
        assert!(assist_config(&c).is_err());
        c.channels = 1;
        c.lead_json = c"{\"nam\":\"x\"}".as_ptr();
        let err = assist_config(&c).unwrap_err();
        assert_eq!(err.status, helix_status::HELIX_INVALID_INPUT);
        assert!(err.message.contains("nam"), "{}", err.message);
        c.lead_json = c"{\"name\":\"Asha\",\"fields\":[[\"Plan\",\"Gold\"]]}".as_ptr();
        let cfg = assist_config(&c).unwrap();
        assert_eq!(
            cfg.audio,
            AudioFormat::Mulaw {
                sample_rate: 8_000,
                channels: 1
            }
        );
        assert_eq!(cfg.speakers[0], Speaker::Customer);
        assert_eq!(cfg.lead.unwrap().name.as_deref(), Some("Asha"));
    }

    /// `c` is refused as invalid input with a message holding `needle`.
    fn refused(c: &helix_assist_config, needle: &str) {
        let err = assist_config(c).unwrap_err();
        assert_eq!(err.status, helix_status::HELIX_INVALID_INPUT);
        assert!(err.message.contains(needle), "{}", err.message);
    }

    #[test]
    fn the_preset_comes_first_and_fields_override_it() {
        let mut c = zeroed();
        c.deepgram_api_key = c"dg".as_ptr();
        let plain = assist_config(&c).unwrap();
        assert_eq!(plain.deepgram.redact, vec![DeepgramRedaction::Pci]);
        assert!(
            plain.redaction.enabled,
            "the local redactor is on by default"
        );
        assert!(plain.redaction.keywords.is_empty());

        c.deepgram_preset = c"indian-multilingual".as_ptr();
        let preset = assist_config(&c).unwrap().deepgram;
        let expected = DeepgramConfig::indian_multilingual("dg");
        assert_eq!(preset.language, expected.language);
        assert_eq!(preset.endpointing, expected.endpointing);
        assert_eq!(preset.model, expected.model);
        assert!(preset.redact.is_empty(), "NULL redact keeps the preset's");

        c.language = c"hi".as_ptr();
        c.deepgram_redact = c" numbers ,aggressive_numbers".as_ptr();
        let over = assist_config(&c).unwrap().deepgram;
        assert_eq!(over.language.as_deref(), Some("hi"));
        assert_eq!(
            over.redact,
            vec![
                DeepgramRedaction::Numbers,
                DeepgramRedaction::AggressiveNumbers
            ]
        );
        assert_eq!(over.endpointing, expected.endpointing);

        c.deepgram_preset = c"indian".as_ptr();
        let err = assist_config(&c).unwrap_err();
        assert_eq!(err.status, helix_status::HELIX_INVALID_INPUT);
        assert!(
            err.message.contains("config.deepgram_preset \"indian\""),
            "{}",
            err.message
        );
    }

    #[test]
    fn redaction_lists_are_read_item_by_item() {
        let mut c = zeroed();
        c.deepgram_api_key = c"dg".as_ptr();
        c.deepgram_redact = c"".as_ptr();
        assert!(assist_config(&c).unwrap().deepgram.redact.is_empty());
        c.deepgram_redact = c"pci,pii,phi".as_ptr();
        assert_eq!(assist_config(&c).unwrap().deepgram.redact.len(), 3);
        for bad in [c"pci,,pii", c"pci,PCI", c"credit_card"] {
            c.deepgram_redact = bad.as_ptr();
            refused(&c, "config.deepgram_redact[");
        }
        c.deepgram_redact = ptr::null();
        c.redaction_disabled = true;
        c.redaction_keywords = c"MRN, IP number".as_ptr();
        let r = assist_config(&c).unwrap().redaction;
        assert!(!r.enabled);
        assert_eq!(r.keywords, vec!["MRN".to_string(), "IP number".to_string()]);
        c.redaction_keywords = c"".as_ptr();
        assert!(assist_config(&c).unwrap().redaction.keywords.is_empty());
    }

    #[test]
    fn post_call_json_needs_the_llm_and_names_what_it_refuses() {
        let mut c = zeroed();
        c.deepgram_api_key = c"dg".as_ptr();
        c.post_call_json = c"{}".as_ptr();
        refused(&c, "openai_api_key");

        c.openai_api_key = c"sk".as_ptr();
        let post_call = |c: &helix_assist_config| {
            let suggestions = assist_config(c).unwrap().suggestions.unwrap();
            suggestions.post_call.unwrap()
        };
        assert_eq!(post_call(&c), PostCallConfig::default());
        c.post_call_json = c"{\"timeoutMs\":2500,\"dispositions\":[\"Appointment Booked\"],\
            \"maxTranscriptChars\":900,\"systemPrompt\":\"Be brief.\"}"
            .as_ptr();
        let p = post_call(&c);
        assert_eq!(p.timeout, Duration::from_millis(2500));
        assert_eq!(p.dispositions, vec!["Appointment Booked".to_string()]);
        assert_eq!(p.max_transcript_chars, 900);
        assert_eq!(p.system_prompt.as_deref(), Some("Be brief."));
        for bad in [c"{\"timeout\":1}", c"[1]", c"{\"dispositions\":\"A\"}"] {
            c.post_call_json = bad.as_ptr();
            refused(&c, "config.post_call_json");
        }
        assert!(
            assist_config(&zeroed())
                .unwrap_err()
                .message
                .contains("deepgram_api_key")
        );
    }

    #[test]
    fn null_handles_are_refused_everywhere() {
        let mut out = ptr::null_mut();
        assert_eq!(
            helix_assist_send_audio(ptr::null(), b"ab".as_ptr(), 2, ptr::null_mut()),
            helix_status::HELIX_NULL_POINTER
        );
        assert!(
            last_error().contains("`assist` is NULL"),
            "{}",
            last_error()
        );
        assert_eq!(
            helix_assist_set_on_hold(ptr::null(), true),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_assist_set_private(ptr::null(), true),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_assist_send_audio_delivery(ptr::null(), b"ab".as_ptr(), 2, ptr::null_mut()),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_assist_stop(ptr::null(), &mut out),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_assist_start(ptr::null(), None, ptr::null_mut(), ptr::null_mut()),
            helix_status::HELIX_NULL_POINTER
        );
        helix_assist_free(ptr::null_mut());
        assert!(out.is_null());
    }
}
