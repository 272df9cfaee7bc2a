//! `LiveAssist` and its event iterator: the core's `assist` module for JS.
//!
//! Events leave the core on one channel. A pump task forwards each to the `onEvent` callback
//! (waiting until JS has run it, so events arrive in order and a slow handler slows only the
//! pump, never audio) and, once an iterator is open, to the iterator's queue. The pump holds
//! the only reference to the callback: when the session ends the pump ends, the callback is
//! released, and Node's event loop is free to exit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use helix_engage::Error;
use helix_engage::assist::{
    AssistConfig, AssistEvent, AudioDelivery, AudioFormat, Bytes, CallSummary, DeepgramConfig,
    DeepgramRedaction, Endpointing, LeadContext, PostCallConfig, ReconnectPolicy, RedactionConfig,
    Speaker, SuggestionConfig, Timing,
};
use napi::Env;
use napi::bindgen_prelude::{Object, ObjectFinalize, PromiseRaw, This, Unknown};
use napi_derive::napi;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::args;
use crate::error::{throw, to_napi};
use crate::promise::{JsCallback, arg, iterator_result, optional_callback, rejected, settle_with};

/// `LiveAssistConfig` (types.d.ts).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigArg {
    deepgram: DeepgramArg,
    audio: Option<AudioArg>,
    speakers: Option<Vec<Speaker>>,
    suggestions: Option<SuggestionArg>,
    lead: Option<LeadContext>,
    timing: Option<TimingArg>,
    reconnect: Option<ReconnectArg>,
    audio_queue_chunks: Option<usize>,
    coalesce_ms: Option<u64>,
    event_queue: Option<usize>,
    replay_buffer_ms: Option<u64>,
    replay_speed: Option<f64>,
    redaction: Option<RedactionArg>,
}

/// `RedactionOptions` (types.d.ts): the core's local redactor.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RedactionArg {
    enabled: Option<bool>,
    keywords: Option<Vec<String>>,
}

impl RedactionArg {
    fn build(self) -> RedactionConfig {
        let base = RedactionConfig::default();
        RedactionConfig {
            enabled: self.enabled.unwrap_or(base.enabled),
            keywords: self.keywords.unwrap_or(base.keywords),
        }
    }
}

/// `DeepgramRedaction` (types.d.ts): the values of Deepgram's `redact`, as Deepgram spells them.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RedactValue {
    Pci,
    Pii,
    Phi,
    Numbers,
    AggressiveNumbers,
}

impl From<RedactValue> for DeepgramRedaction {
    fn from(v: RedactValue) -> Self {
        match v {
            RedactValue::Pci => DeepgramRedaction::Pci,
            RedactValue::Pii => DeepgramRedaction::Pii,
            RedactValue::Phi => DeepgramRedaction::Phi,
            RedactValue::Numbers => DeepgramRedaction::Numbers,
            RedactValue::AggressiveNumbers => DeepgramRedaction::AggressiveNumbers,
        }
    }
}

/// `deepgram.preset`: a starting point the other `deepgram` fields override.
#[derive(Deserialize, Clone, Copy)]
enum PresetArg {
    #[serde(rename = "indian-multilingual")]
    IndianMultilingual,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeepgramArg {
    api_key: String,
    url: Option<String>,
    model: Option<String>,
    language: Option<String>,
    interim_results: Option<bool>,
    punctuate: Option<bool>,
    smart_format: Option<bool>,
    endpointing_ms: Option<MsOrFalse>,
    utterance_end_ms: Option<MsOrFalse>,
    vad_events: Option<bool>,
    diarize: Option<bool>,
    keyterms: Option<Vec<String>>,
    multichannel: Option<bool>,
    extra_params: Option<std::collections::BTreeMap<String, String>>,
    redact: Option<Vec<RedactValue>>,
    preset: Option<PresetArg>,
}

/// `number | false`.
#[derive(Deserialize)]
#[serde(untagged)]
enum MsOrFalse {
    Ms(u32),
    Flag(bool),
}

impl MsOrFalse {
    fn ms(self, name: &str) -> helix_engage::Result<Option<u32>> {
        match self {
            MsOrFalse::Ms(ms) => Ok(Some(ms)),
            MsOrFalse::Flag(false) => Ok(None),
            MsOrFalse::Flag(true) => Err(Error::InvalidInput(format!(
                "deepgram.{name} must be a number of milliseconds or false"
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(
    tag = "encoding",
    rename_all = "lowercase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
enum AudioArg {
    Linear16 {
        sample_rate: Option<u32>,
        channels: Option<u16>,
    },
    Mulaw {
        sample_rate: Option<u32>,
        channels: Option<u16>,
    },
    Container {
        channels: Option<u16>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SuggestionArg {
    api_key: String,
    base_url: Option<String>,
    model: Option<String>,
    interval_ms: Option<u64>,
    min_gap_ms: Option<u64>,
    timeout_ms: Option<u64>,
    backoff_initial_ms: Option<u64>,
    backoff_max_ms: Option<u64>,
    system_prompt: Option<String>,
    max_transcript_chars: Option<usize>,
    max_lead_chars: Option<usize>,
    max_items: Option<usize>,
    post_call: Option<PostCallArg>,
}

/// `PostCallOptions` (types.d.ts): the post-call summary, asked for at `stop()`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PostCallArg {
    timeout_ms: Option<u64>,
    dispositions: Option<Vec<String>>,
    max_transcript_chars: Option<usize>,
    system_prompt: Option<String>,
}

impl PostCallArg {
    fn build(self) -> PostCallConfig {
        let base = PostCallConfig::default();
        PostCallConfig {
            timeout: ms(self.timeout_ms, base.timeout),
            dispositions: self.dispositions.unwrap_or(base.dispositions),
            max_transcript_chars: self
                .max_transcript_chars
                .unwrap_or(base.max_transcript_chars),
            system_prompt: self.system_prompt,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TimingArg {
    keepalive_after_ms: Option<u64>,
    watchdog_ms: Option<u64>,
    send_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    stop_wait_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReconnectArg {
    initial_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    max_attempts: Option<u32>,
}

fn ms(value: Option<u64>, default: Duration) -> Duration {
    value.map_or(default, Duration::from_millis)
}

fn build_config(c: ConfigArg) -> helix_engage::Result<AssistConfig> {
    let defaults = AssistConfig::default();
    let d = c.deepgram;
    // The preset is the starting point; every field given explicitly overrides it.
    let mut deepgram = match d.preset {
        None => DeepgramConfig::new(d.api_key),
        Some(PresetArg::IndianMultilingual) => DeepgramConfig::indian_multilingual(d.api_key),
    };
    if let Some(url) = d.url {
        deepgram.url = url;
    }
    if let Some(model) = d.model {
        deepgram.model = model;
    }
    if let Some(language) = d.language {
        deepgram.language = Some(language);
    }
    deepgram.interim_results = d.interim_results.unwrap_or(deepgram.interim_results);
    deepgram.punctuate = d.punctuate.unwrap_or(deepgram.punctuate);
    deepgram.smart_format = d.smart_format.unwrap_or(deepgram.smart_format);
    if let Some(e) = d.endpointing_ms {
        deepgram.endpointing = Some(match e.ms("endpointingMs")? {
            Some(ms) => Endpointing::Ms(ms),
            None => Endpointing::Disabled,
        });
    }
    if let Some(u) = d.utterance_end_ms {
        deepgram.utterance_end_ms = u.ms("utteranceEndMs")?;
    }
    deepgram.vad_events = d.vad_events.unwrap_or(deepgram.vad_events);
    deepgram.diarize = d.diarize.unwrap_or(deepgram.diarize);
    if let Some(keyterms) = d.keyterms {
        deepgram.keyterms = keyterms;
    }
    if let Some(multichannel) = d.multichannel {
        deepgram.multichannel = Some(multichannel);
    }
    if let Some(extra) = d.extra_params {
        deepgram.extra_params = extra.into_iter().collect();
    }
    if let Some(redact) = d.redact {
        deepgram.redact = redact.into_iter().map(DeepgramRedaction::from).collect();
    }

    let audio = match c.audio {
        None => defaults.audio,
        Some(AudioArg::Linear16 {
            sample_rate,
            channels,
        }) => AudioFormat::linear16(sample_rate, channels),
        Some(AudioArg::Mulaw {
            sample_rate,
            channels,
        }) => AudioFormat::mulaw(sample_rate, channels),
        Some(AudioArg::Container { channels }) => AudioFormat::container(channels),
    };
    let speakers = c.speakers.unwrap_or(defaults.speakers);
    let suggestions = c.suggestions.map(|s| {
        let mut cfg = SuggestionConfig::new(s.api_key);
        if let Some(url) = s.base_url {
            cfg.base_url = url;
        }
        if let Some(model) = s.model {
            cfg.model = model;
        }
        cfg.interval = ms(s.interval_ms, cfg.interval);
        cfg.min_gap = ms(s.min_gap_ms, cfg.min_gap);
        cfg.timeout = ms(s.timeout_ms, cfg.timeout);
        cfg.backoff_initial = ms(s.backoff_initial_ms, cfg.backoff_initial);
        cfg.backoff_max = ms(s.backoff_max_ms, cfg.backoff_max);
        cfg.system_prompt = s.system_prompt;
        cfg.max_transcript_chars = s.max_transcript_chars.unwrap_or(cfg.max_transcript_chars);
        cfg.max_lead_chars = s.max_lead_chars.unwrap_or(cfg.max_lead_chars);
        cfg.max_items = s.max_items.unwrap_or(cfg.max_items);
        cfg.post_call = s.post_call.map(PostCallArg::build);
        cfg
    });
    let timing = match c.timing {
        None => defaults.timing.clone(),
        Some(t) => {
            let base = Timing::default();
            Timing {
                keepalive_after: ms(t.keepalive_after_ms, base.keepalive_after),
                watchdog: ms(t.watchdog_ms, base.watchdog),
                send_timeout: ms(t.send_timeout_ms, base.send_timeout),
                connect_timeout: ms(t.connect_timeout_ms, base.connect_timeout),
                stop_wait: ms(t.stop_wait_ms, base.stop_wait),
            }
        }
    };
    let reconnect = match c.reconnect {
        None => defaults.reconnect.clone(),
        Some(r) => {
            let base = ReconnectPolicy::default();
            ReconnectPolicy {
                initial_delay: ms(r.initial_delay_ms, base.initial_delay),
                max_delay: ms(r.max_delay_ms, base.max_delay),
                max_attempts: r.max_attempts.unwrap_or(base.max_attempts),
            }
        }
    };
    Ok(AssistConfig {
        deepgram,
        audio,
        speakers,
        suggestions,
        lead: c.lead,
        timing,
        reconnect,
        audio_queue_chunks: c.audio_queue_chunks.unwrap_or(defaults.audio_queue_chunks),
        coalesce: ms(c.coalesce_ms, defaults.coalesce),
        event_queue: c.event_queue.unwrap_or(defaults.event_queue),
        replay_buffer: ms(c.replay_buffer_ms, defaults.replay_buffer),
        replay_speed: c.replay_speed.unwrap_or(defaults.replay_speed),
        redaction: c.redaction.unwrap_or_default().build(),
    })
}

/// Error codes are upper case in JS wherever they appear, events and summaries included.
fn upper_code(error: &mut Value) {
    if let Some(Value::String(code)) = error.get_mut("code") {
        *code = code.to_ascii_uppercase();
    }
}

fn event_json(event: &AssistEvent) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    match value.get("type").and_then(Value::as_str) {
        Some("error") => upper_code(&mut value),
        Some("closed") => upper_summary_codes(&mut value),
        _ => {}
    }
    value
}

fn summary_json(summary: &CallSummary) -> Value {
    let mut value = serde_json::to_value(summary).unwrap_or(Value::Null);
    upper_summary_codes(&mut value);
    value
}

/// A summary's two errors (the session's, the post-call request's), in the summary and in
/// `closed`.
fn upper_summary_codes(summary: &mut Value) {
    for field in ["error", "postCallError"] {
        if let Some(error) = summary.get_mut(field) {
            upper_code(error);
        }
    }
}

/// Forwards the core's events to the callback and the iterator queue until the session ends.
async fn pump(
    mut events: mpsc::Receiver<AssistEvent>,
    callback: Option<JsCallback>,
    tap: mpsc::Sender<Value>,
    tap_open: Arc<AtomicBool>,
) {
    while let Some(event) = events.recv().await {
        let closed = matches!(event, AssistEvent::Closed(_));
        let mut value = event_json(&event);
        // An iterator opened from here on sees the next event. Copied only for both: a
        // summary's tree (in `closed`) is tens of KiB on a long call.
        let to_tap = tap_open.load(Ordering::Acquire);
        if let Some(callback) = &callback {
            let for_callback = if to_tap {
                value.clone()
            } else {
                std::mem::take(&mut value)
            };
            // Awaited: the next event is not delivered before JS has handled this one. A slow
            // handler makes the core's queue fill; the core then drops new events and counts
            // them (`metrics.eventsDropped`), never `closed`.
            let _ = callback.call_async(for_callback).await;
        }
        if to_tap {
            // Bounded like the core's own queue: an iterator nobody reads loses live updates,
            // never the transcript (it is in the summary). The iterator ends when the pump
            // does (the sender drops), so it ends even if `closed` found it full.
            let _ = tap.try_send(value);
        }
        if closed {
            break; // nothing follows `closed`
        }
    }
    // `callback` drops here: the thread-safe function is released.
}

/// The iterator side of a session's events, shared by every iterator opened on it.
struct EventQueue {
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Value>>>,
    open: Arc<AtomicBool>,
}

/// A live-assist session for one call: audio in, transcript and suggestions out.
#[napi(custom_finalize)]
pub struct LiveAssist {
    session: Mutex<Option<helix_engage::assist::LiveAssist>>,
    pump: Mutex<Option<JoinHandle<()>>>,
    queue: EventQueue,
    /// Native bytes reported to V8 for this session, released on finalize.
    external: i64,
}

impl ObjectFinalize for LiveAssist {
    fn finalize(self, env: Env) -> napi::Result<()> {
        env.adjust_external_memory(-self.external)?;
        Ok(())
    }
}

/// What a session may hold natively that V8 cannot see: its tasks, sockets and queues (a fixed
/// part) and the replay buffer, which fills up to `replayBufferMs` of audio on a long call.
fn session_external_bytes(config: &AssistConfig) -> i64 {
    const FIXED: u64 = 256 * 1024;
    let replay = config
        .audio
        .bytes_per_second()
        .unwrap_or(16_000)
        .saturating_mul(config.replay_buffer.as_secs().max(1));
    i64::try_from(FIXED.saturating_add(replay)).unwrap_or(i64::MAX)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn stopped() -> Error {
    Error::Closed("the live assist session was stopped".into())
}

#[napi]
impl LiveAssist {
    /// Validates the configuration, connects to Deepgram and starts the session. Rejects
    /// `INVALID_INPUT` for a bad config (any number outside its documented range included),
    /// `AUTH` (`service: 'deepgram'`) when Deepgram refuses the key, `API` when it refuses the
    /// parameters. Events go to `onEvent` (in order, each after the previous one returned) and
    /// to any iterator opened with `events()` / `for await`. Without `onEvent` events queue for
    /// the iterator from the start.
    ///
    /// `onEvent` should return quickly: while it runs, newer events wait in a queue of
    /// `eventQueue` (default 4 096); events that find it full are dropped and counted in
    /// `metrics.eventsDropped` (never `closed`, never the transcript in the summary).
    ///
    /// A throwing `onEvent` is an uncaught exception in your process, as with an
    /// `EventEmitter` listener: unhandled, it ends the process; with a
    /// `process.on('uncaughtException')` handler the session goes on and still closes. Catch
    /// inside the handler instead — `(e) => { try { handle(e) } catch (err) { log(err) } }` — or
    /// hand events to your own emitter/queue and do the work there.
    #[napi(
        ts_args_type = "config: LiveAssistConfig, onEvent?: (event: AssistEvent) => void",
        ts_return_type = "Promise<LiveAssist>"
    )]
    pub fn start<'env>(
        env: &'env Env,
        config: Unknown,
        on_event: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, LiveAssist>> {
        let config: ConfigArg = arg!(env, args::object(env, config, "config"));
        let config = arg!(env, build_config(config).map_err(|e| to_napi(env, &e)));
        let callback = arg!(env, optional_callback(env, on_event, "onEvent"));
        let capacity = config.event_queue.max(1);
        let external = session_external_bytes(&config);
        settle_with(
            env,
            async move {
                let (session, events) = helix_engage::assist::LiveAssist::start(config).await?;
                let (tap, rx) = mpsc::channel(capacity);
                let open = Arc::new(AtomicBool::new(callback.is_none()));
                let pump = tokio::spawn(pump(events, callback, tap, open.clone()));
                Ok((session, pump, rx, open))
            },
            move |env, (session, pump, rx, open)| {
                env.adjust_external_memory(external)?;
                Ok(LiveAssist {
                    external,
                    session: Mutex::new(Some(session)),
                    pump: Mutex::new(Some(pump)),
                    queue: EventQueue {
                        rx: Arc::new(tokio::sync::Mutex::new(rx)),
                        open,
                    },
                })
            },
        )
    }

    /// Queues call audio in the configured format. Never blocks; returns `'dropped'` when the
    /// queue is full and `'withheld'` while the call is private (`setPrivate(true)`: the chunk
    /// is discarded, never sent or replayed, and counts on the call's timeline). Throws `INVALID_INPUT` for an empty chunk (the core's rule: nothing is
    /// sent) and `CLOSED` once the session has ended.
    #[napi(
        ts_args_type = "chunk: Buffer | Uint8Array",
        ts_return_type = "AudioDelivery"
    )]
    pub fn send_audio(&self, env: Env, chunk: Unknown) -> napi::Result<&'static str> {
        let bytes = args::bytes(&env, chunk, "chunk")?;
        let session = lock(&self.session);
        let session = session.as_ref().ok_or_else(|| throw(&env, stopped()))?;
        match session.send_audio(Bytes::copy_from_slice(&bytes)) {
            Ok(AudioDelivery::Queued) => Ok("queued"),
            Ok(AudioDelivery::Dropped) => Ok("dropped"),
            // While private (`setPrivate(true)`): the chunk was discarded, never sent.
            Ok(AudioDelivery::Withheld) => Ok("withheld"),
            Err(e) => Err(throw(&env, e)),
        }
    }

    /// Marks the call on hold (`true`) or back (`false`): what was said is finalised now, and
    /// the socket is kept open however long the hold lasts.
    #[napi(ts_args_type = "onHold: boolean")]
    pub fn set_on_hold(&self, env: Env, on_hold: Unknown) -> napi::Result<()> {
        let on_hold = args::boolean(&env, on_hold, "onHold")?;
        self.with_session(&env, |s| s.set_on_hold(on_hold))
    }

    /// Starts (`true`) or ends (`false`) a private stretch: while private, no audio reaches
    /// Deepgram (`sendAudio` answers `'withheld'`), no text reaches the LLM, and the transcript
    /// gets one `private` marker segment for the stretch; a `private` event says when it began
    /// and ended. The call's timeline keeps counting. Repeating the same value does nothing.
    #[napi(ts_args_type = "on: boolean")]
    pub fn set_private(&self, env: Env, on: Unknown) -> napi::Result<()> {
        let on = args::boolean(&env, on, "on")?;
        self.with_session(&env, |s| s.set_private(on))
    }

    /// Replaces the lead context used for the next suggestions.
    #[napi(ts_args_type = "lead: LeadContext")]
    pub fn update_lead(&self, env: Env, lead: Unknown) -> napi::Result<()> {
        let lead: LeadContext = args::object(&env, lead, "lead")?;
        self.with_session(&env, |s| s.update_lead(lead))
    }

    /// Asks Deepgram to finalise what it has buffered now (end of a turn).
    #[napi]
    pub fn finalize(&self, env: Env) -> napi::Result<()> {
        self.with_session(&env, |s| s.finalize())
    }

    /// The metrics so far.
    #[napi(ts_return_type = "AssistMetrics")]
    pub fn metrics<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let metrics = {
            let session = lock(&self.session);
            let session = session.as_ref().ok_or_else(|| throw(env, stopped()))?;
            session.metrics()
        };
        env.to_js_value(&metrics)
    }

    /// Ends the session: sends the queued audio, closes the stream, waits (bounded) for the
    /// last results, and resolves with the summary once every queued event, `closed` last, has
    /// been delivered to `onEvent` — however slow the handler; `metrics.eventsDropped` counts
    /// the events that found the queue full. No event arrives after it resolves, and nothing
    /// of the session keeps Node's event loop alive. Rejects `CLOSED` when called twice.
    #[napi(ts_return_type = "Promise<CallSummary>")]
    pub fn stop<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let Some(session) = lock(&self.session).take() else {
            return rejected(env, throw(env, stopped()));
        };
        let pump = lock(&self.pump).take();
        settle_with(
            env,
            async move {
                let summary = session.stop().await;
                if let Some(pump) = pump {
                    // Every event the session emitted, `closed` last, reaches `onEvent` before
                    // the Promise resolves — however slow the handler (a handler cannot block
                    // forever without blocking JS itself). No bound: cutting the pump short
                    // lost events silently and delivered some after `stop()` resolved.
                    let _ = pump.await;
                }
                summary.map(|s| summary_json(&s))
            },
            |env, value| env.to_js_value(&value),
        )
    }

    /// An async iterator over the session's events; ends after `closed`. Iterators share one
    /// queue: each event goes to one `next()`.
    #[napi]
    pub fn events(&self) -> AssistEvents {
        self.queue.open.store(true, Ordering::Release);
        let (done_tx, done_rx) = watch::channel(false);
        AssistEvents {
            rx: self.queue.rx.clone(),
            done_tx,
            done_rx,
        }
    }

    /// `for await (const event of assist)`: same as `events()`.
    #[napi(well_known_symbol = "asyncIterator", ts_return_type = "AssistEvents")]
    pub fn iterator(&self) -> AssistEvents {
        self.events()
    }
}

impl LiveAssist {
    fn with_session(
        &self,
        env: &Env,
        f: impl FnOnce(&helix_engage::assist::LiveAssist),
    ) -> napi::Result<()> {
        let session = lock(&self.session);
        let session = session.as_ref().ok_or_else(|| throw(env, stopped()))?;
        f(session);
        Ok(())
    }
}

/// The events of a `LiveAssist`, as an async iterator.
#[napi]
pub struct AssistEvents {
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Value>>>,
    done_tx: watch::Sender<bool>,
    done_rx: watch::Receiver<bool>,
}

#[napi]
impl AssistEvents {
    /// The next event; `{ done: true }` after `closed` or after `return()`.
    #[napi(ts_return_type = "Promise<IteratorResult<AssistEvent, undefined>>")]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let rx = self.rx.clone();
        let mut done = self.done_rx.clone();
        settle_with(
            env,
            async move {
                if *done.borrow() {
                    return Ok(None);
                }
                let mut rx = rx.lock().await;
                tokio::select! {
                    event = rx.recv() => Ok(event),
                    _ = done.wait_for(|d| *d) => Ok(None),
                }
            },
            iterator_result,
        )
    }

    /// Stops this iterator (the session goes on).
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<AssistEvent, undefined>>"
    )]
    pub fn finish<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let _ = self.done_tx.send(true);
        settle_with(env, async { Ok(()) }, |env, ()| {
            iterator_result::<()>(env, None)
        })
    }

    /// The iterator is its own async iterable.
    #[napi(well_known_symbol = "asyncIterator", ts_return_type = "AssistEvents")]
    pub fn iterator<'env>(&self, this: This<'env>) -> This<'env> {
        this
    }
}
