//! What the simulator remembers about Deepgram: the key, the scripts, the idle timeout and one
//! [`DeepgramSession`] per connection attempt, bounded so a long run stays small.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

use super::script::Script;
use crate::faults::lock;
use crate::record::header_pairs;
use crate::sha256::Sha256;

/// Default time without audio or KeepAlive before the close 1011 `NET-0001` (Deepgram: ~10 s).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How much raw audio a session record keeps (the SHA-256 and byte count cover everything).
pub const AUDIO_KEEP_LIMIT: usize = 16 * 1024 * 1024;

/// How many audio frame arrivals a session record keeps (an hour of 20 ms frames).
pub const ARRIVALS_KEEP: usize = 180_000;

/// How many of the most recent sessions keep their raw audio.
pub const AUDIO_KEEP_SESSIONS: usize = 16;

/// What the simulator recorded about one `/v1/listen` connection attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeepgramSession {
    /// Sequence number of the attempt (0-based).
    pub id: usize,
    /// The `dg-request-id` sent back.
    pub request_id: String,
    /// The handshake status: 101 when upgraded, the refusal status otherwise (0 for a dropped
    /// connection).
    pub status: u16,
    /// Query parameters in order (repeated keys kept).
    pub query: Vec<(String, String)>,
    /// Request headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The script played (`"default"`, a registered name or a built-in one such as
    /// `"hinglish"`).
    pub script: String,
    /// The `language` query parameter, as sent (`None` when absent); `"multi"` for
    /// code-switching.
    pub language: Option<String>,
    /// The `redact` values requested, lower-case, comma lists split, repeats dropped
    /// (`["pci", "numbers"]`); empty when none.
    pub redact_requested: Vec<String>,
    /// The redaction groups that applied (`numbers`, `pci`, `pii`, `phi`): entity groups only
    /// when the language is English or unset, as Deepgram's hosted streaming does; `true` and
    /// `aggressive_numbers` count as `numbers`.
    pub redact_applied: Vec<String>,
    /// `sim_timecode` sessions: each jump in the audio's position, as call seconds
    /// `(from, to)` — audio the client never sent, whose words were never played.
    pub timecode_gaps: Vec<(f64, f64)>,
    /// Audio bytes received (non-empty binary frames).
    pub bytes_received: u64,
    /// Non-empty binary frames received.
    pub audio_frames: u64,
    /// Empty binary frames received (ignored, as Deepgram ignores them).
    pub empty_frames: u64,
    /// The audio received, in order, up to [`AUDIO_KEEP_LIMIT`] bytes (kept for the last
    /// [`AUDIO_KEEP_SESSIONS`] sessions only).
    #[serde(skip)]
    pub audio: Vec<u8>,
    /// When each non-empty binary frame arrived, with the audio bytes received up to and
    /// including it: the client's send pace (a replay's speed, say) as the server saw it. Kept
    /// for the first [`ARRIVALS_KEEP`] frames, and for the last [`AUDIO_KEEP_SESSIONS`]
    /// sessions only.
    #[serde(skip)]
    pub audio_arrivals: Vec<(std::time::Instant, u64)>,
    /// SHA-256 (hex) of all audio received.
    pub audio_sha256: String,
    /// Seconds of audio received (bytes / (sample_rate × bytes per sample × channels)).
    pub audio_seconds: f64,
    /// `KeepAlive` frames received.
    pub keep_alives: u32,
    /// `Finalize` frames received.
    pub finalizes: u32,
    /// `CloseStream` frames received.
    pub close_streams: u32,
    /// Text frames that were not a known control message.
    pub other_text_frames: Vec<String>,
    /// Every JSON message sent to the client, in order.
    pub sent: Vec<Value>,
    /// Close code the server sent, if it closed.
    pub close_code: Option<u16>,
    /// Close reason the server sent.
    pub close_reason: Option<String>,
    /// Why the session ended: `closed_by_server`, `client_closed`, `client_gone`, `dropped`
    /// (a fault, or [`Simulator::drop_deepgram_connections`](crate::Simulator::drop_deepgram_connections)),
    /// `shutdown`; `None` while open.
    pub ended: Option<String>,
}

impl DeepgramSession {
    /// Whether the session is still open.
    pub fn is_open(&self) -> bool {
        self.status == 101 && self.ended.is_none()
    }

    /// The value of query parameter `key` (first occurrence).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Final transcripts sent, in order (empty ones included).
    pub fn final_transcripts(&self) -> Vec<String> {
        self.sent
            .iter()
            .filter(|m| m["type"] == "Results" && m["is_final"] == true)
            .map(|m| {
                m["channel"]["alternatives"][0]["transcript"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

/// Deepgram-side state.
#[derive(Debug)]
pub(crate) struct DgState {
    pub api_key: String,
    pub scripts: HashMap<String, Script>,
    pub default_script: Script,
    pub sessions: Vec<DeepgramSession>,
    pub idle_timeout: Duration,
    /// Bumped by [`Simulator::drop_deepgram_connections`](crate::Simulator::drop_deepgram_connections):
    /// every socket open at that moment watches it and drops (no close frame) when it moves.
    pub cuts: watch::Sender<u64>,
}

impl DgState {
    pub(crate) fn new(api_key: String, default_script: Script, idle_timeout: Duration) -> Self {
        DgState {
            api_key,
            scripts: HashMap::new(),
            default_script,
            sessions: Vec::new(),
            idle_timeout,
            cuts: watch::channel(0).0,
        }
    }

    /// Drops every socket open now (each watches `cuts`); how many were open.
    pub(crate) fn drop_open(&self) -> usize {
        let open = self.sessions.iter().filter(|s| s.is_open()).count();
        self.cuts.send_modify(|n| *n = n.wrapping_add(1));
        open
    }
}

/// Updates session `id`'s record (a no-op if recordings were cleared meanwhile).
pub(super) fn with_session(dg: &Mutex<DgState>, id: usize, f: impl FnOnce(&mut DeepgramSession)) {
    if let Some(s) = lock(dg).sessions.get_mut(id) {
        f(s);
    }
}

/// Records a new connection attempt (status 0 until the handshake is answered); its id.
pub(super) fn open(
    dg: &Mutex<DgState>,
    request_id: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> usize {
    let mut dg = lock(dg);
    let id = dg.sessions.len();
    // Raw audio is kept for the most recent sessions only, so a long demo with many
    // reconnects stays bounded (hashes and counters are kept for all).
    let keep_from = id.saturating_sub(AUDIO_KEEP_SESSIONS - 1);
    for old in &mut dg.sessions[..keep_from] {
        if !old.audio.is_empty() {
            old.audio = Vec::new();
        }
        if !old.audio_arrivals.is_empty() {
            old.audio_arrivals = Vec::new();
        }
    }
    dg.sessions.push(DeepgramSession {
        id,
        request_id: request_id.to_string(),
        status: 0,
        query: query.to_vec(),
        headers: header_pairs(headers),
        script: "default".into(),
        language: None,
        redact_requested: Vec::new(),
        redact_applied: Vec::new(),
        timecode_gaps: Vec::new(),
        bytes_received: 0,
        audio_frames: 0,
        empty_frames: 0,
        audio: Vec::new(),
        audio_arrivals: Vec::new(),
        audio_sha256: Sha256::default().hex(),
        audio_seconds: 0.0,
        keep_alives: 0,
        finalizes: 0,
        close_streams: 0,
        other_text_frames: Vec::new(),
        sent: Vec::new(),
        close_code: None,
        close_reason: None,
        ended: None,
    });
    id
}
