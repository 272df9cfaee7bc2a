//! Every knob of a live-assist session, with the defaults a phone call needs.
//!
//! One idea — what a host can set — in one file, although it is a little over the ~500 lines
//! a file should stay under: each option's default, range and `validate` check sit beside its
//! field, so a newcomer (and a binding author mapping options from JS or C) reads every
//! default and every range in one place, and the range tests below cover them all.

use std::time::Duration;

use secrecy::SecretString;

use super::audio::AudioFormat;
use super::lead::LeadContext;
use super::redact::RedactionConfig;
use super::suggest::post_call::PostCallConfig;
use super::transcript::Speaker;
use crate::backoff::Backoff;
use crate::range;
use crate::{Error, Result};

/// Deepgram's production endpoint; [`DeepgramConfig::url`] overrides it (simulator, tests).
pub const DEEPGRAM_URL: &str = "wss://api.deepgram.com";
/// OpenAI's production endpoint; [`SuggestionConfig::base_url`] overrides it.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The User-Agent every request to Deepgram and to the LLM sends (Deepgram asks clients to
/// identify themselves).
pub(crate) const USER_AGENT: &str = concat!("helix-engage/", env!("CARGO_PKG_VERSION"), " (rust)");

/// Everything [`LiveAssist::start`](super::LiveAssist::start) needs.
///
/// ```
/// use helix_engage::assist::{AssistConfig, AudioFormat, DeepgramConfig, Speaker};
/// let config = AssistConfig {
///     deepgram: DeepgramConfig::new("dg-key"),
///     audio: AudioFormat::Mulaw { sample_rate: 8_000, channels: 2 },
///     speakers: vec![Speaker::Agent, Speaker::Customer],
///     ..Default::default()
/// };
/// assert_eq!(config.deepgram.model, "nova-3");
/// ```
#[derive(Debug, Clone)]
pub struct AssistConfig {
    /// The Deepgram connection and recognition options.
    pub deepgram: DeepgramConfig,
    /// The audio the host will push.
    pub audio: AudioFormat,
    /// Who is on channel *i* (multichannel) or who diarized speaker *i* is (mono with
    /// `diarize`). Channels or speakers beyond the list become [`Speaker::Other`].
    pub speakers: Vec<Speaker>,
    /// Suggestions from an LLM; `None` turns them off.
    pub suggestions: Option<SuggestionConfig>,
    /// The lead on the call, for the suggestion prompt.
    pub lead: Option<LeadContext>,
    /// Connection timing: keep-alive, watchdog, send/connect timeouts, stop wait.
    pub timing: Timing,
    /// Reconnect backoff.
    pub reconnect: ReconnectPolicy,
    /// How many chunks `send_audio` may queue before it drops (default 512, ~10 s of 20 ms
    /// frames; range 1..=1 000 000). The session drains this queue continuously, so it only
    /// fills if the process is starved.
    pub audio_queue_chunks: usize,
    /// Coalesce the host's chunks into frames of this much audio before they go to Deepgram
    /// (default 0: off, every chunk is written the moment `send_audio` hands it over; range 0
    /// or 20..=250 ms; raw audio only — containers are sent as they come). Deepgram takes
    /// 20–100 ms chunks; a host sending 20 ms frames with `coalesce` at 100 ms makes one
    /// write instead of five, which costs about half the CPU per stream-second (`bench/assist`)
    /// and delays audio by up to the window. A partial frame never waits longer: it goes
    /// when the window has passed since its first byte (the session's tick runs at least
    /// that often), and at once ahead of a `Finalize` (hold, private stretch, `finalize`) and
    /// at `stop`.
    pub coalesce: Duration,
    /// How many events may wait for the host before new ones are dropped and counted in
    /// [`AssistMetrics::events_dropped`](super::AssistMetrics::events_dropped) (default 4096;
    /// range 1..=1 000 000). [`AssistEvent::Closed`](super::AssistEvent::Closed) is never
    /// dropped. Finals are also kept in the [`CallSummary`](super::CallSummary), so a slow
    /// reader loses live updates, never the transcript.
    pub event_queue: usize,
    /// The most audio kept for replay after a reconnect (default 30 s; range 0..=600 000 ms).
    /// Audio Deepgram has finalised is released earlier.
    pub replay_buffer: Duration,
    /// How fast buffered audio is replayed after a reconnect, as a multiple of the pace the
    /// host sends audio at (default 1.25, Deepgram's ceiling for live audio; range
    /// 1.0..=1000.0). For a live call the host sends in real time, so replays go at 1.25× real
    /// time. A host that streams a recording faster than real time (say 6×) is measured over
    /// the last few seconds, and replays go at 1.25× *that* pace (7.5×): Deepgram already
    /// receives the live stream at 6×, and a slower replay could never catch up. Tests raise it
    /// to run faster than the clock.
    pub replay_speed: f64,
    /// The local redactor, run on every segment before it is stored, emitted or sent to the
    /// LLM (on by default).
    pub redaction: RedactionConfig,
}

impl Default for AssistConfig {
    fn default() -> Self {
        AssistConfig {
            deepgram: DeepgramConfig::new(""),
            audio: AudioFormat::default(),
            speakers: vec![Speaker::Agent, Speaker::Customer],
            suggestions: None,
            lead: None,
            timing: Timing::default(),
            reconnect: ReconnectPolicy::default(),
            audio_queue_chunks: 512,
            coalesce: Duration::ZERO,
            event_queue: 4096,
            replay_buffer: Duration::from_secs(30),
            replay_speed: 1.25,
            redaction: RedactionConfig::default(),
        }
    }
}

impl AssistConfig {
    /// Checks every field against its documented range (and the keys, URLs and speakers).
    /// [`LiveAssist::start`](super::LiveAssist::start) calls it first; the bindings rely on
    /// it, so an out-of-range number from JS or C is [`Error::InvalidInput`], never a panic.
    pub fn validate(&self) -> Result<()> {
        self.audio.validate()?;
        self.deepgram.validate()?;
        if self.speakers.is_empty() {
            return Err(Error::invalid(
                "speakers is empty: name at least the speaker on channel 0",
            ));
        }
        if self.speakers.len() > 64 {
            return Err(Error::invalid(format!(
                "speakers names {} speakers; at most 64",
                self.speakers.len()
            )));
        }
        range::count(
            "audio_queue_chunks",
            self.audio_queue_chunks as u64,
            1..=1_000_000,
        )?;
        range::count("event_queue", self.event_queue as u64, 1..=1_000_000)?;
        range::millis_or_off("coalesce", self.coalesce, 20..=250)?;
        range::millis("replay_buffer", self.replay_buffer, 0..=600_000)?;
        range::real("replay_speed", self.replay_speed, 1.0..=1_000.0)?;
        self.timing.validate()?;
        self.reconnect.validate()?;
        if let Some(s) = &self.suggestions {
            s.validate()?;
        }
        Ok(())
    }
}

/// Timers of the Deepgram connection. Defaults follow Deepgram's documented limits; tests
/// shorten them.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Send `KeepAlive` after this long without audio (default 4 s; range 1..=600 000 ms;
    /// Deepgram closes an idle socket with `NET-0001` after ~10 s).
    pub keepalive_after: Duration,
    /// Declare a socket dead when audio has been sent and nothing came back for this long
    /// (default 10 s; range 1..=3 600 000 ms); it is then replaced.
    pub watchdog: Duration,
    /// Bound on every single frame write (default 5 s; range 1..=600 000 ms); a write that
    /// takes longer means the socket is half-dead and is replaced.
    pub send_timeout: Duration,
    /// Bound on the WebSocket handshake (default 5 s; range 1..=600 000 ms).
    pub connect_timeout: Duration,
    /// How long `stop` waits after `CloseStream` for the last results and `Metadata`
    /// (default 5 s; range 0..=600 000 ms).
    pub stop_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            keepalive_after: Duration::from_secs(4),
            watchdog: Duration::from_secs(10),
            send_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            stop_wait: Duration::from_secs(5),
        }
    }
}

impl Timing {
    fn validate(&self) -> Result<()> {
        range::millis("timing.keepalive_after", self.keepalive_after, 1..=600_000)?;
        range::millis("timing.watchdog", self.watchdog, 1..=3_600_000)?;
        range::millis("timing.send_timeout", self.send_timeout, 1..=600_000)?;
        range::millis("timing.connect_timeout", self.connect_timeout, 1..=600_000)?;
        range::millis("timing.stop_wait", self.stop_wait, 0..=600_000)?;
        Ok(())
    }
}

/// Capped, jittered exponential backoff between reconnect attempts (the rule is the crate's
/// one backoff: a random wait in the upper half of `initial_delay · 2^n`, capped at `max_delay`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// Delay before the first retry (default 250 ms; range 0..=600 000 ms); doubled after each
    /// failed attempt.
    pub initial_delay: Duration,
    /// Ceiling of the delay (default 5 s; range 0..=3 600 000 ms).
    pub max_delay: Duration,
    /// Consecutive failed attempts before the session gives up with an error (default 10;
    /// range 0..=10 000, 0 = never reconnect). The count resets once a connection has
    /// delivered a message or carried audio for half of [`Timing::watchdog`].
    pub max_attempts: u32,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            max_attempts: 10,
        }
    }
}

impl ReconnectPolicy {
    fn validate(&self) -> Result<()> {
        range::millis("reconnect.initial_delay", self.initial_delay, 0..=600_000)?;
        range::millis("reconnect.max_delay", self.max_delay, 0..=3_600_000)?;
        range::count(
            "reconnect.max_attempts",
            self.max_attempts.into(),
            0..=10_000,
        )
    }

    /// The delay before attempt `attempt` (1-based): the crate's one backoff rule
    /// (`crate::backoff`: `initial · 2^(attempt-1)`, capped, equal jitter — a random point in
    /// the upper half) so many sessions that lost the same server do not come back in lockstep.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        Backoff {
            initial: self.initial_delay,
            max: self.max_delay,
        }
        .wait(attempt.saturating_sub(1), None)
    }
}

/// Deepgram's `endpointing` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpointing {
    /// Silence (ms) after which Deepgram marks `speech_final`.
    Ms(u32),
    /// `endpointing=false`: no endpoint detection.
    Disabled,
}

/// What Deepgram's `redact` parameter removes from the transcript before it leaves Deepgram
/// (each value is sent as its own `redact=` query parameter).
///
/// On Deepgram's hosted streaming API entity redaction (`pci`, `pii`, `phi`) works for English
/// only; `numbers` and `aggressive_numbers` work for every language. Whatever Deepgram misses
/// (Indian numbers, Hinglish) is the local redactor's ([`AssistConfig::redaction`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeepgramRedaction {
    /// `redact=pci`: card numbers, expiry dates and CVVs (English only).
    Pci,
    /// `redact=pii`: personal identifiers — names, addresses, ID numbers (English only). Names
    /// hurt the agent (the caller's own name disappears), so it is not a default.
    Pii,
    /// `redact=phi`: health information — conditions, drugs, injuries (English only). The
    /// agent of a hospital desk usually needs these, so it is not a default.
    Phi,
    /// `redact=numbers`: every run of digits, in every language. It also wipes dates, times,
    /// prices and room numbers, so it is not a default.
    Numbers,
    /// `redact=aggressive_numbers`: numbers, also when spoken as words.
    AggressiveNumbers,
}

impl DeepgramRedaction {
    /// The value of the `redact` query parameter.
    pub fn as_param(self) -> &'static str {
        match self {
            DeepgramRedaction::Pci => "pci",
            DeepgramRedaction::Pii => "pii",
            DeepgramRedaction::Phi => "phi",
            DeepgramRedaction::Numbers => "numbers",
            DeepgramRedaction::AggressiveNumbers => "aggressive_numbers",
        }
    }

    /// Entity redaction, which hosted streaming applies to English only.
    fn english_only(self) -> bool {
        matches!(
            self,
            DeepgramRedaction::Pci | DeepgramRedaction::Pii | DeepgramRedaction::Phi
        )
    }
}

/// Connection and recognition options for Deepgram's live `/v1/listen`.
///
/// The key is a [`SecretString`]: it appears only in the `Authorization` header, never in
/// `Debug` output, errors or logs.
#[derive(Clone)]
pub struct DeepgramConfig {
    /// The API key (sent as `Authorization: Token <key>`).
    pub api_key: SecretString,
    /// Base WebSocket URL, `ws://` or `wss://` (default [`DEEPGRAM_URL`]); `/v1/listen` is
    /// appended unless the URL already ends with it.
    pub url: String,
    /// Model (default `nova-3`; `nova-2-phonecall` and `nova-2` for languages nova-3 lacks).
    pub model: String,
    /// `language`, e.g. `en-IN`, `hi`, `multi` (code-switching). `None` uses the model's default.
    pub language: Option<String>,
    /// Interim (unstable) results for live display (default true; needed by `utterance_end_ms`).
    pub interim_results: bool,
    /// `punctuate` (default true).
    pub punctuate: bool,
    /// `smart_format` (default true).
    pub smart_format: bool,
    /// `endpointing` (default 300 ms; range 0..=60 000 ms).
    pub endpointing: Option<Endpointing>,
    /// `utterance_end_ms` (default 1000; range 1..=60 000; requires `interim_results`).
    pub utterance_end_ms: Option<u32>,
    /// `vad_events` → `SpeechStarted` events (default true).
    pub vad_events: bool,
    /// `diarize`: speaker numbers on a mono stream (default false).
    pub diarize: bool,
    /// Terms to boost: sent as `keyterm` for nova-3 models and as `keywords` otherwise.
    pub keyterms: Vec<String>,
    /// `multichannel`: `None` (default) turns it on when the audio has more than one channel.
    pub multichannel: Option<bool>,
    /// Deepgram's `redact` (default `[Pci]`: card numbers, which no agent needs to read back;
    /// see [`DeepgramRedaction`] for why names and numbers are not redacted by default). `Pci`,
    /// `Pii` and `Phi` need an English `language` (`en`, `en-*`, or unset): Deepgram's hosted
    /// streaming redacts entities in English only, so with any other language they are
    /// `invalid_input` — use `Numbers`, or leave it to the local redactor
    /// ([`AssistConfig::redaction`]). Empty sends no `redact`.
    pub redact: Vec<DeepgramRedaction>,
    /// Any other query parameters, appended verbatim (`("tag", "desk-7")`). `redact` belongs
    /// in [`redact`](Self::redact): naming it here while `redact` is non-empty is
    /// `invalid_input`.
    pub extra_params: Vec<(String, String)>,
    /// Root certificates to trust for `wss://` besides the public web roots, as PEM (one or
    /// more `-----BEGIN CERTIFICATE-----` blocks): a self-hosted Deepgram behind a private CA.
    /// Empty by default. The server's name is still checked against its certificate. Checked
    /// at start: PEM that holds no certificate, or one that cannot be read, is `invalid_input`.
    pub extra_root_certificates: Vec<u8>,
}

impl DeepgramConfig {
    /// Options for `api_key` with the defaults documented on each field.
    pub fn new(api_key: impl Into<SecretString>) -> Self {
        DeepgramConfig {
            api_key: api_key.into(),
            url: DEEPGRAM_URL.to_string(),
            model: "nova-3".to_string(),
            language: None,
            interim_results: true,
            punctuate: true,
            smart_format: true,
            endpointing: Some(Endpointing::Ms(300)),
            utterance_end_ms: Some(1_000),
            vad_events: true,
            diarize: false,
            keyterms: Vec::new(),
            multichannel: None,
            redact: vec![DeepgramRedaction::Pci],
            extra_params: Vec::new(),
            extra_root_certificates: Vec::new(),
        }
    }

    /// The preset for Indian calls that mix Hindi and English (Hinglish), and other
    /// code-switched calls: `nova-3` with `language=multi`, `endpointing=100` (Deepgram
    /// recommends 100 ms for code-switching: speakers switch language at short pauses, and a
    /// longer endpoint merges turns), `smart_format` on, `utterance_end_ms` at its default, and
    /// no Deepgram `redact` — Deepgram's entity redaction is English-only, so on these calls the
    /// local redactor ([`AssistConfig::redaction`], on by default) does that work. Transcripts
    /// come as Deepgram returns them: Hindi in Latin script mixed with English.
    ///
    /// ```
    /// use helix_engage::assist::{DeepgramConfig, Endpointing};
    /// let dg = DeepgramConfig::indian_multilingual("dg-key");
    /// assert_eq!(dg.language.as_deref(), Some("multi"));
    /// assert_eq!(dg.endpointing, Some(Endpointing::Ms(100)));
    /// assert!(dg.redact.is_empty());
    /// ```
    pub fn indian_multilingual(api_key: impl Into<SecretString>) -> Self {
        DeepgramConfig {
            model: "nova-3".to_string(),
            language: Some("multi".to_string()),
            endpointing: Some(Endpointing::Ms(100)),
            smart_format: true,
            redact: Vec::new(),
            ..DeepgramConfig::new(api_key)
        }
    }

    /// Replaces the base URL (simulator or tests: `ws://127.0.0.1:PORT`).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// Replaces the model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    fn validate(&self) -> Result<()> {
        check_key_and_model(
            "deepgram api_key",
            &self.api_key,
            "deepgram model",
            &self.model,
        )?;
        // Checked here, not only at connect: the bindings rely on `validate` (found by
        // tests/proptest_assist.rs: a non-ws URL passed it and failed at start).
        self.socket_url()?;
        // `keyterm=`, `&`, `=`: what each adds besides its text (before percent-encoding).
        let query = self.language.as_deref().map_or(0, str::len)
            + self.keyterms.iter().map(|t| t.len() + 9).sum::<usize>()
            + self
                .extra_params
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>();
        if query > MAX_DEEPGRAM_QUERY_BYTES {
            return Err(Error::invalid(format!(
                "deepgram language, keyterms and extra_params add {query} bytes to the listen \
                 URL; at most {MAX_DEEPGRAM_QUERY_BYTES}"
            )));
        }
        if let Some(language) = &self.language {
            // BCP-47 tags (`en-IN`, `hi`, `multi`) are short; empty is not "unset".
            check_word("deepgram language", language, 35)?;
        }
        if self.utterance_end_ms.is_some() && !self.interim_results {
            return Err(Error::invalid(
                "deepgram utterance_end_ms needs interim_results = true",
            ));
        }
        if let Some(Endpointing::Ms(ms)) = self.endpointing {
            range::count("deepgram endpointing", ms.into(), 0..=60_000)?;
        }
        if let Some(ms) = self.utterance_end_ms {
            range::count("deepgram utterance_end_ms", ms.into(), 1..=60_000)?;
        }
        self.validate_redact()?;
        if !self.extra_root_certificates.is_empty() {
            super::tls::tls_roots(&self.extra_root_certificates)
                .map_err(|e| Error::invalid(format!("deepgram extra_root_certificates: {e}")))?;
        }
        Ok(())
    }
}

/// Every field, the URL without its `user:password@`: an `AssistConfig` printed to a log must
/// not carry a credential (the keys are secrets already; found by tests/proptest_assist.rs).
impl std::fmt::Debug for DeepgramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepgramConfig")
            .field("api_key", &self.api_key)
            .field("url", &crate::error::hide_credentials(&self.url))
            .field("model", &self.model)
            .field("language", &self.language)
            .field("interim_results", &self.interim_results)
            .field("punctuate", &self.punctuate)
            .field("smart_format", &self.smart_format)
            .field("endpointing", &self.endpointing)
            .field("utterance_end_ms", &self.utterance_end_ms)
            .field("vad_events", &self.vad_events)
            .field("diarize", &self.diarize)
            .field("keyterms", &self.keyterms)
            .field("multichannel", &self.multichannel)
            .field("redact", &self.redact)
            .field("extra_params", &self.extra_params)
            .field(
                "extra_root_certificates",
                &format_args!("{} bytes", self.extra_root_certificates.len()),
            )
            .finish()
    }
}

impl DeepgramConfig {
    /// The socket URL as configured (`ws://` or `wss://`), before `/v1/listen` and the query
    /// are added: checked by [`AssistConfig::validate`] and used by every connection.
    pub(crate) fn socket_url(&self) -> Result<url::Url> {
        service_url(
            "deepgram url",
            &self.url,
            self.url.trim(),
            &["ws", "wss"],
            "must start with ws:// or wss://",
        )
    }

    /// `redact` against the language, and `redact` given in one place only.
    fn validate_redact(&self) -> Result<()> {
        let language = self
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        let english = language.is_none_or(|l| {
            let l = l.to_ascii_lowercase();
            l == "en" || l.starts_with("en-")
        });
        if let Some(entity) = self.redact.iter().find(|r| r.english_only())
            && !english
        {
            return Err(Error::invalid(format!(
                "deepgram redact {} needs an English language, but language is {}: Deepgram's \
                 hosted streaming redacts pci/pii/phi entities in English only; use \
                 DeepgramRedaction::Numbers, or leave redaction to the local redactor \
                 (AssistConfig.redaction)",
                entity.as_param(),
                crate::error::quote(language.unwrap_or_default())
            )));
        }
        if !self.redact.is_empty() && self.extra_params.iter().any(|(k, _)| k.trim() == "redact") {
            return Err(Error::invalid(
                "deepgram extra_params names redact while deepgram redact is set: give it in \
                 one place (redact)",
            ));
        }
        Ok(())
    }
}

/// The suggestion engine's LLM and pacing.
///
/// Any OpenAI-compatible chat-completions endpoint works (`base_url` + `model`); the endpoint
/// must support `response_format: json_schema`.
#[derive(Clone)]
pub struct SuggestionConfig {
    /// API key, sent as `Authorization: Bearer <key>`.
    pub api_key: SecretString,
    /// Base URL including the version path (default [`OPENAI_BASE_URL`]);
    /// `/chat/completions` is appended.
    pub base_url: String,
    /// Chat model (default `gpt-4o-mini`).
    pub model: String,
    /// At most one request per `interval` while new final text keeps arriving (default 10 s;
    /// range 1..=3 600 000 ms).
    pub interval: Duration,
    /// Never two requests closer than this, even on the customer's end of utterance
    /// (default 3 s; range 0..=3 600 000 ms).
    pub min_gap: Duration,
    /// Bound on one request (default 8 s; range 1..=600 000 ms); a slower answer is abandoned.
    pub timeout: Duration,
    /// First delay after a failed request (default 2 s; range 0..=3 600 000 ms); doubled per
    /// consecutive failure.
    pub backoff_initial: Duration,
    /// Ceiling of that delay (default 60 s; range 0..=3 600 000 ms).
    pub backoff_max: Duration,
    /// Replaces the built-in system prompt ([`DEFAULT_SYSTEM_PROMPT`](super::DEFAULT_SYSTEM_PROMPT);
    /// at most 100 000 characters). The schema, with its required `sentiment` and `escalation`,
    /// is sent either way, so a replacement should say how to fill them.
    pub system_prompt: Option<String>,
    /// How much recent transcript goes into the prompt, in characters (default 4 000; range
    /// 1..=1 000 000).
    pub max_transcript_chars: usize,
    /// How much lead context goes into the prompt, in characters (default 2 000; range
    /// 0..=1 000 000).
    pub max_lead_chars: usize,
    /// At most this many suggestions per answer (default 3; range 1..=100).
    pub max_items: usize,
    /// The post-call summary at `stop`, with this LLM (default `None`: off). See
    /// [`PostCallConfig`].
    pub post_call: Option<PostCallConfig>,
}

/// Every field, the base URL without its `user:password@` (see `DeepgramConfig`'s `Debug`).
impl std::fmt::Debug for SuggestionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuggestionConfig")
            .field("api_key", &self.api_key)
            .field("base_url", &crate::error::hide_credentials(&self.base_url))
            .field("model", &self.model)
            .field("interval", &self.interval)
            .field("min_gap", &self.min_gap)
            .field("timeout", &self.timeout)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("system_prompt", &self.system_prompt)
            .field("max_transcript_chars", &self.max_transcript_chars)
            .field("max_lead_chars", &self.max_lead_chars)
            .field("max_items", &self.max_items)
            .field("post_call", &self.post_call)
            .finish()
    }
}

impl SuggestionConfig {
    /// Suggestions from OpenAI with `api_key` and the defaults documented on each field.
    pub fn new(api_key: impl Into<SecretString>) -> Self {
        SuggestionConfig {
            api_key: api_key.into(),
            base_url: OPENAI_BASE_URL.to_string(),
            model: "gpt-4o-mini".to_string(),
            interval: Duration::from_secs(10),
            min_gap: Duration::from_secs(3),
            timeout: Duration::from_secs(8),
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            system_prompt: None,
            max_transcript_chars: 4_000,
            max_lead_chars: 2_000,
            max_items: 3,
            post_call: None,
        }
    }

    /// Replaces the base URL (simulator or tests: `http://127.0.0.1:PORT/v1`).
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Replaces the model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Turns the post-call summary on.
    pub fn with_post_call(mut self, post_call: PostCallConfig) -> Self {
        self.post_call = Some(post_call);
        self
    }

    fn validate(&self) -> Result<()> {
        check_key_and_model(
            "openai api_key",
            &self.api_key,
            "suggestion model",
            &self.model,
        )?;
        service_url(
            "suggestion base_url",
            &self.base_url,
            &self.base_url,
            &["http", "https"],
            "must be http(s)",
        )?;
        range::millis("suggestions.interval", self.interval, 1..=3_600_000)?;
        range::millis("suggestions.min_gap", self.min_gap, 0..=3_600_000)?;
        range::millis("suggestions.timeout", self.timeout, 1..=600_000)?;
        range::millis(
            "suggestions.backoff_initial",
            self.backoff_initial,
            0..=3_600_000,
        )?;
        range::millis("suggestions.backoff_max", self.backoff_max, 0..=3_600_000)?;
        range::count(
            "suggestions.max_transcript_chars",
            self.max_transcript_chars as u64,
            1..=1_000_000,
        )?;
        range::count(
            "suggestions.max_lead_chars",
            self.max_lead_chars as u64,
            0..=1_000_000,
        )?;
        range::count("suggestions.max_items", self.max_items as u64, 1..=100)?;
        if let Some(prompt) = &self.system_prompt {
            range::count(
                "suggestions.system_prompt length",
                prompt.chars().count() as u64,
                0..=100_000,
            )?;
        }
        if let Some(post_call) = &self.post_call {
            post_call.validate()?;
        }
        Ok(())
    }
}

/// The longest model name accepted (`nova-3`, `gpt-4o-mini`, a fine-tune's id).
const MAX_MODEL_CHARS: usize = 128;

/// Beyond this a model is refused by its size alone, unquoted: a pasted file is no name.
const MAX_MODEL_BYTES: usize = 256;

/// The most bytes `language`, `keyterms` and `extra_params` may add to Deepgram's listen URL,
/// which carries them all in its query: beyond a few KB, HTTP servers refuse the handshake.
const MAX_DEEPGRAM_QUERY_BYTES: usize = 8 * 1024;

/// The check both services' configs start with: a key that can go in a header, and a model.
fn check_key_and_model(
    key_name: &str,
    key: &SecretString,
    model_name: &str,
    model: &str,
) -> Result<()> {
    use secrecy::ExposeSecret;
    crate::secret::check_api_key(key_name, key.expose_secret())?;
    range::bytes(model_name, model, MAX_MODEL_BYTES)?;
    if model.trim().is_empty() {
        return Err(Error::invalid(format!("{model_name} is empty")));
    }
    // Model names (`nova-3`, `ft:gpt-4o-mini:org::id`) are short visible ASCII; they go into
    // a URL or a request body, so anything else is refused here, not by the service.
    check_word(model_name, model, MAX_MODEL_CHARS)
}

/// A short configuration word (a model, a language tag): 1..=`max` visible ASCII characters.
fn check_word(name: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(format!(
            "{name} {} must be 1 to {max} visible ASCII characters",
            crate::error::quote(value)
        )));
    }
    Ok(())
}

/// The one check of a configured service URL (Deepgram's socket, the suggestion endpoint):
/// `input` must parse and use one of `schemes`. Errors name `what`, say `scheme_rule` and quote
/// `raw` (as the caller gave it, credentials hidden).
pub(crate) fn service_url(
    what: &str,
    raw: &str,
    input: &str,
    schemes: &[&str],
    scheme_rule: &str,
) -> Result<url::Url> {
    range::bytes(what, raw, range::MAX_URL_BYTES)?;
    let url = url::Url::parse(input).map_err(|e| {
        Error::invalid(format!(
            "{what} {} is not a URL: {e}",
            crate::error::quote_url(raw)
        ))
    })?;
    if !schemes.contains(&url.scheme()) {
        return Err(Error::invalid(format!(
            "{what} {scheme_rule}, got {}",
            crate::error::quote_url(raw)
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by tests/proptest_assist.rs: `validate` let a non-ws Deepgram URL through (it
    /// failed only at start), and `Debug` printed URL credentials.
    #[test]
    fn urls_are_validated_and_never_print_credentials() {
        let config = AssistConfig {
            deepgram: DeepgramConfig::new("k").with_url("http://127.0.0.1:1"),
            ..AssistConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
        assert!(err.to_string().contains("deepgram url"), "{err}");
        let config = AssistConfig {
            deepgram: DeepgramConfig::new("k").with_url("wss://u:CANARY-pw@dg"),
            suggestions: Some(
                SuggestionConfig::new("k").with_base_url("https://u:CANARY-pw@llm/v1"),
            ),
            ..AssistConfig::default()
        };
        assert!(config.validate().is_ok());
        let shown = format!("{config:?}");
        assert!(!shown.contains("CANARY"), "{shown}");
        assert!(shown.contains("wss://[credentials]@dg"), "{shown}");
    }

    #[test]
    fn backoff_is_capped_and_jittered_in_the_upper_half() {
        let policy = ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_000),
            max_attempts: 5,
        };
        for _ in 0..50 {
            let d1 = policy.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d9 = policy.delay(9);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1_000));
        }
    }

    #[test]
    fn config_validation_names_the_problem() {
        let err = AssistConfig::default().validate().unwrap_err();
        assert!(err.to_string().contains("api_key is empty"), "{err}");
        let mut cfg = AssistConfig {
            deepgram: DeepgramConfig::new("k"),
            ..Default::default()
        };
        assert!(cfg.validate().is_ok());
        cfg.deepgram.interim_results = false;
        assert!(cfg.validate().is_err());
        cfg.deepgram.interim_results = true;
        cfg.suggestions = Some(SuggestionConfig::new("sk\nx"));
        let err = cfg.validate().unwrap_err();
        assert!(!err.to_string().contains("sk"), "{err}");
    }

    /// 10 MB keys, URLs, models and query parameters are refused by their size (never parsed,
    /// scanned, sent or repeated), naming the option.
    #[test]
    fn huge_texts_are_refused_by_size() {
        let huge = "CANARY".repeat(2_000_000);
        let good = || AssistConfig {
            deepgram: DeepgramConfig::new("k"),
            suggestions: Some(SuggestionConfig::new("sk")),
            ..Default::default()
        };
        type Mutation = Box<dyn Fn(&mut AssistConfig, &str)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "deepgram api_key",
                Box::new(|c, h| c.deepgram.api_key = h.to_string().into()),
            ),
            (
                "deepgram url",
                Box::new(|c, h| c.deepgram.url = format!("wss://{h}")),
            ),
            (
                "deepgram model",
                Box::new(|c, h| c.deepgram.model = h.to_string()),
            ),
            (
                "deepgram language",
                Box::new(|c, h| c.deepgram.language = Some(h.to_string())),
            ),
            (
                "keyterms",
                Box::new(|c, h| c.deepgram.keyterms = vec![h.to_string()]),
            ),
            (
                "extra_params",
                Box::new(|c, h| c.deepgram.extra_params = vec![("k".into(), h.to_string())]),
            ),
            (
                "openai api_key",
                Box::new(|c, h| {
                    c.suggestions = Some(SuggestionConfig::new(h.to_string()));
                }),
            ),
            (
                "suggestion base_url",
                Box::new(|c, h| {
                    if let Some(s) = c.suggestions.as_mut() {
                        s.base_url = format!("https://{h}");
                    }
                }),
            ),
            (
                "suggestion model",
                Box::new(|c, h| {
                    if let Some(s) = c.suggestions.as_mut() {
                        s.model = h.to_string();
                    }
                }),
            ),
        ];
        for (field, mutate) in cases {
            let mut cfg = good();
            mutate(&mut cfg, &huge);
            let err = cfg.validate().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{field}");
            let message = err.to_string();
            assert!(message.contains(field), "{field}: {message}");
            assert!(
                message.len() < 300 && !message.contains("CANARY"),
                "{message}"
            );
        }
    }

    #[test]
    fn every_numeric_option_is_range_checked() {
        let good = || AssistConfig {
            deepgram: DeepgramConfig::new("k"),
            suggestions: Some(SuggestionConfig::new("sk")),
            ..Default::default()
        };
        assert!(good().validate().is_ok());
        let huge = Duration::from_millis(u64::MAX);
        type Mutation = Box<dyn Fn(&mut AssistConfig)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "audio_queue_chunks",
                Box::new(|c| c.audio_queue_chunks = usize::MAX),
            ),
            ("audio_queue_chunks", Box::new(|c| c.audio_queue_chunks = 0)),
            ("event_queue", Box::new(|c| c.event_queue = 1 << 60)),
            (
                "coalesce",
                Box::new(|c| c.coalesce = Duration::from_millis(10)),
            ),
            ("coalesce", Box::new(move |c| c.coalesce = huge)),
            ("replay_buffer", Box::new(move |c| c.replay_buffer = huge)),
            ("replay_speed", Box::new(|c| c.replay_speed = f64::NAN)),
            ("replay_speed", Box::new(|c| c.replay_speed = 1e300)),
            (
                "timing.watchdog",
                Box::new(move |c| c.timing.watchdog = huge),
            ),
            (
                "timing.stop_wait",
                Box::new(move |c| c.timing.stop_wait = Duration::MAX),
            ),
            (
                "timing.keepalive_after",
                Box::new(|c| c.timing.keepalive_after = Duration::ZERO),
            ),
            (
                "reconnect.max_delay",
                Box::new(move |c| c.reconnect.max_delay = huge),
            ),
            (
                "reconnect.max_attempts",
                Box::new(|c| c.reconnect.max_attempts = u32::MAX),
            ),
            (
                "deepgram endpointing",
                Box::new(|c| c.deepgram.endpointing = Some(Endpointing::Ms(u32::MAX))),
            ),
            (
                "deepgram utterance_end_ms",
                Box::new(|c| c.deepgram.utterance_end_ms = Some(0)),
            ),
            (
                "suggestions.timeout",
                Box::new(move |c| c.suggestions.as_mut().unwrap().timeout = huge),
            ),
            (
                "suggestions.max_items",
                Box::new(|c| c.suggestions.as_mut().unwrap().max_items = usize::MAX),
            ),
            (
                "suggestions.backoff_max",
                Box::new(move |c| c.suggestions.as_mut().unwrap().backoff_max = huge),
            ),
            (
                "suggestions.post_call.timeout",
                Box::new(move |c| {
                    c.suggestions.as_mut().unwrap().post_call = Some(PostCallConfig {
                        timeout: Duration::ZERO,
                        ..Default::default()
                    })
                }),
            ),
            (
                "suggestions.post_call.dispositions",
                Box::new(|c| {
                    c.suggestions.as_mut().unwrap().post_call =
                        Some(PostCallConfig::default().with_dispositions(["A", "A"]))
                }),
            ),
        ];
        for (name, mutate) in cases {
            let mut cfg = good();
            mutate(&mut cfg);
            let err = cfg.validate().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{name}");
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn debug_never_shows_keys() {
        let cfg = AssistConfig {
            deepgram: DeepgramConfig::new("dg-secret-123"),
            suggestions: Some(SuggestionConfig::new("sk-secret-456")),
            ..Default::default()
        };
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("dg-secret-123") && !dbg.contains("sk-secret-456"));
    }
}
