//! The Deepgram live speech-to-text stand-in: `GET /v1/listen` upgraded to a WebSocket.
//!
//! The handshake is checked like Deepgram checks it (key, then parameters; a refusal is a plain
//! HTTP answer with a `dg-error` header). Once open, the session counts the audio bytes it
//! receives, converts them to seconds of audio and plays the session's [`Script`] against that
//! time. Control frames (`KeepAlive`, `Finalize`, `CloseStream`) and the idle close (`NET-0001`)
//! behave as documented in `shared/reference/deepgram.md`.

pub mod script;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::Shared;
use crate::faults::{Endpoint, Fault, drop_connection, lock};
use crate::record::header_pairs;
use crate::sha256::Sha256;
use script::{Player, PlayerOptions};
pub use script::{Script, Turn};

/// The first bytes of an audio stream the simulator treats as undecodable (close 1008
/// `DATA-0000`), besides the [`Fault::Undecodable`] fault.
pub const UNDECODABLE_MAGIC: &[u8] = b"UNDECODABLE";

/// Default time without audio or KeepAlive before the close 1011 `NET-0001` (Deepgram: ~10 s).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How much raw audio a session record keeps (the SHA-256 and byte count cover everything).
pub const AUDIO_KEEP_LIMIT: usize = 16 * 1024 * 1024;

/// How many audio frame arrivals a session record keeps (an hour of 20 ms frames).
pub const ARRIVALS_KEEP: usize = 180_000;

/// How many of the most recent sessions keep their raw audio.
pub const AUDIO_KEEP_SESSIONS: usize = 16;

const MODEL_UUID: &str = "1ed36bac-f71c-4f3f-a31f-02fd6525c489";

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
    /// The script played (`"default"` or a registered name).
    pub script: String,
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
    /// (a fault), `shutdown`; `None` while open.
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
}

impl DgState {
    pub(crate) fn new(api_key: String, default_script: Script, idle_timeout: Duration) -> Self {
        DgState {
            api_key,
            scripts: HashMap::new(),
            default_script,
            sessions: Vec::new(),
            idle_timeout,
        }
    }
}

fn with_session(shared: &Shared, id: usize, f: impl FnOnce(&mut DeepgramSession)) {
    if let Some(s) = lock(&shared.dg).sessions.get_mut(id) {
        f(s);
    }
}

/// A refused handshake: status, `dg-error`, `dg-request-id`, Deepgram's JSON error body.
fn refuse(shared: &Shared, id: usize, status: StatusCode, message: &str, rid: &str) -> Response {
    with_session(shared, id, |s| {
        s.status = status.as_u16();
        s.ended = Some("refused".into());
    });
    let err_code = match status.as_u16() {
        401 | 403 => "INVALID_AUTH",
        400 => "Bad Request",
        429 => "TOO_MANY_REQUESTS",
        _ => "INTERNAL_SERVER_ERROR",
    };
    // Header values must be visible ASCII; messages may quote client input.
    let safe: String = message
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let mut resp = (
        status,
        axum::Json(json!({"err_code": err_code, "err_msg": message, "request_id": rid})),
    )
        .into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&safe) {
        h.insert("dg-error", v);
    }
    if let Ok(v) = HeaderValue::from_str(rid) {
        h.insert("dg-request-id", v);
    }
    resp
}

pub(crate) fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Parsed connection parameters.
struct Params {
    model: String,
    /// Bytes per second of audio for the stream.
    bytes_per_second: f64,
    channels: usize,
    multichannel: bool,
    interim_results: bool,
    punctuate: bool,
    vad_events: bool,
    diarize: bool,
    endpointing: bool,
    utterance_end_ms: Option<u64>,
    script: Option<String>,
    /// `sim_timecode=true`: the audio carries its own position in the call (see
    /// [`TIMECODE_PARAM`]), so a reconnected stream resumes the script where its audio is.
    timecode: bool,
}

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

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "Invalid query string: '{key}' must be true or false"
        )),
    }
}

fn parse_params(pairs: &[(String, String)], dg: &DgState) -> Result<Params, String> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let model = get("model").unwrap_or("nova-3").to_string();
    if !MODELS.contains(&model.as_str()) {
        return Err(
            "No such model/language/tier combination found. Use the /v1/models endpoint \
                    for a list of available models."
                .into(),
        );
    }
    let flag = |k: &str| get(k).map(|v| parse_bool(k, v)).transpose();
    let multichannel = flag("multichannel")?.unwrap_or(false);
    let interim_results = flag("interim_results")?.unwrap_or(false);
    let punctuate = flag("punctuate")?.unwrap_or(false) || flag("smart_format")?.unwrap_or(false);
    let vad_events = flag("vad_events")?.unwrap_or(false);
    let diarize = flag("diarize")?.unwrap_or(false);
    let channels = match get("channels") {
        None => 1,
        Some(c) => match c.parse::<usize>() {
            Ok(n) if (1..=32).contains(&n) => n,
            _ => return Err("Invalid query string: 'channels' must be a positive integer".into()),
        },
    };
    let sample_rate = match get("sample_rate") {
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
    let bytes_per_sample = match get("encoding") {
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
    let endpointing = match get("endpointing") {
        None => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) if v.eq_ignore_ascii_case("true") || v.parse::<u32>().is_ok() => true,
        Some(_) => {
            return Err("Invalid query string: 'endpointing' must be false or milliseconds".into());
        }
    };
    let utterance_end_ms = match get("utterance_end_ms") {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Err("Invalid query string: 'utterance_end_ms' must be milliseconds".into());
            }
        },
    };
    if utterance_end_ms.is_some() && !interim_results {
        return Err("utterance_end_ms requires interim_results=true".into());
    }
    let nova3 = model.starts_with("nova-3");
    if get("keyterm").is_some() && !nova3 {
        return Err("Keyterm Prompting is only available for Nova-3 models".into());
    }
    if get("keywords").is_some() && nova3 {
        return Err("Keywords are not supported for Nova-3 models; use keyterm".into());
    }
    let timecode = flag(TIMECODE_PARAM)?.unwrap_or(false);
    if timecode && (bytes_per_sample != Some(2.0) || channels < 2) {
        return Err("sim_timecode needs encoding=linear16 with channels >= 2".into());
    }
    let script = match get("sim_script") {
        None => None,
        Some(name) if dg.scripts.contains_key(name) => Some(name.to_string()),
        Some(name) => return Err(format!("Unknown sim_script '{name}'")),
    };
    Ok(Params {
        model,
        bytes_per_second,
        channels,
        multichannel,
        interim_results,
        punctuate,
        vad_events,
        diarize,
        endpointing,
        utterance_end_ms,
        script,
        timecode,
    })
}

/// `GET /v1/listen` (WebSocket).
pub(crate) async fn listen(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let rid = request_id();
    let query_ok = query.is_ok();
    let pairs = query.map(|Query(q)| q).unwrap_or_default();
    let id = {
        let mut dg = lock(&shared.dg);
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
            request_id: rid.clone(),
            status: 0,
            query: pairs.clone(),
            headers: header_pairs(&headers),
            script: "default".into(),
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
    };
    let mut session_fault = None;
    if let Some(fault) = shared.faults.take(Endpoint::DeepgramListen) {
        match fault {
            Fault::Delay { ms } => {
                let mut shutdown = shared.shutdown.clone();
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                    _ = crate::faults::stopped(&mut shutdown) => return drop_connection(),
                }
            }
            Fault::Status { status } | Fault::RefuseHandshake { status } => {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return refuse(&shared, id, code, "Simulated failure", &rid);
            }
            Fault::RateLimited { retry_after_secs } => {
                let mut resp = refuse(
                    &shared,
                    id,
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests. Please try again later",
                    &rid,
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return resp;
            }
            Fault::Drop | Fault::Truncated => {
                with_session(&shared, id, |s| s.ended = Some("dropped".into()));
                return drop_connection();
            }
            Fault::Html | Fault::MalformedJson => {
                with_session(&shared, id, |s| {
                    s.status = 200;
                    s.ended = Some("refused".into());
                });
                return (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body><h1>Welcome to nginx!</h1></body></html>",
                )
                    .into_response();
            }
            other => session_fault = Some(other),
        }
    }
    let (key, params) = {
        let dg = lock(&shared.dg);
        (dg.api_key.clone(), parse_params(&pairs, &dg))
    };
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    let presented = auth
        .strip_prefix("Token ")
        .or_else(|| auth.strip_prefix("token "))
        .or_else(|| auth.strip_prefix("Bearer "))
        .map(str::trim);
    if presented != Some(key.as_str()) {
        return refuse(
            &shared,
            id,
            StatusCode::UNAUTHORIZED,
            "Invalid credentials.",
            &rid,
        );
    }
    if !query_ok {
        return refuse(
            &shared,
            id,
            StatusCode::BAD_REQUEST,
            "Invalid query string",
            &rid,
        );
    }
    let params = match params {
        Ok(p) => p,
        Err(msg) => return refuse(&shared, id, StatusCode::BAD_REQUEST, &msg, &rid),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) => {
            return refuse(
                &shared,
                id,
                StatusCode::BAD_REQUEST,
                "Expected a WebSocket upgrade request",
                &rid,
            );
        }
    };
    let script = {
        let mut dg = lock(&shared.dg);
        let script = match &params.script {
            Some(name) => dg.scripts.get(name).cloned(),
            None => None,
        }
        .unwrap_or_else(|| dg.default_script.clone());
        if let Some(s) = dg.sessions.get_mut(id) {
            s.status = 101;
            s.script = params.script.clone().unwrap_or_else(|| "default".into());
        }
        script
    };
    let player_opts = PlayerOptions {
        channels: params.channels,
        multichannel: params.multichannel,
        interim_results: params.interim_results,
        punctuate: params.punctuate,
        vad_events: params.vad_events,
        diarize: params.diarize,
        endpointing: params.endpointing,
        utterance_end_ms: params.utterance_end_ms,
        request_id: rid.clone(),
        model_name: params.model.clone(),
        model_uuid: MODEL_UUID.into(),
    };
    let player = Player::new(&script, player_opts.clone());
    let timecode = params.timecode.then(|| Timecode {
        script,
        opts: player_opts,
        sample_rate: params.bytes_per_second / (2.0 * params.channels as f64),
    });
    let session = Session {
        shared: shared.clone(),
        id,
        rid: rid.clone(),
        model: params.model.clone(),
        channels: params.channels,
        bytes_per_second: params.bytes_per_second,
        player,
        fault: session_fault,
        timecode,
    };
    let mut resp = ws
        .on_failed_upgrade(|e| tracing::debug!("deepgram upgrade failed: {e}"))
        .on_upgrade(move |socket| session.run(socket));
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("dg-request-id", v);
    }
    resp
}

/// `now + d`, saturating far in the future instead of overflowing on absurd settings.
fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

/// What a `sim_timecode` session needs to restart its script at the audio's position.
struct Timecode {
    script: Script,
    opts: PlayerOptions,
    sample_rate: f64,
}

struct Session {
    timecode: Option<Timecode>,
    shared: Arc<Shared>,
    id: usize,
    rid: String,
    model: String,
    channels: usize,
    bytes_per_second: f64,
    player: Player,
    fault: Option<Fault>,
}

enum Step {
    Continue,
    /// Close with this code and reason, then stop.
    Close(u16, &'static str),
    /// Drop the socket without a close frame.
    Drop(&'static str),
    /// The client is gone.
    Ended(&'static str),
}

impl Session {
    async fn run(mut self, mut socket: WebSocket) {
        let idle = lock(&self.shared.dg).idle_timeout;
        let silent = matches!(self.fault, Some(Fault::StopAnswering));
        let drop_at = match self.fault {
            Some(Fault::DropAfter { ms }) => Some(deadline_after(Duration::from_millis(ms))),
            _ => None,
        };
        let mut deadline = deadline_after(idle);
        let mut hasher = Sha256::default();
        let mut total: u64 = 0;
        let mut shutdown = self.shared.shutdown.clone();
        let outcome = loop {
            let step = tokio::select! {
                _ = crate::faults::stopped(&mut shutdown) => Step::Drop("shutdown"),
                _ = tokio::time::sleep_until(drop_at.unwrap_or(deadline)), if drop_at.is_some() => {
                    Step::Drop("dropped")
                }
                // A half-dead socket never closes on its own: that is what clients must detect.
                _ = tokio::time::sleep_until(deadline), if !silent => Step::Close(1011, "NET-0001"),
                msg = socket.recv() => match msg {
                    None | Some(Err(_)) => Step::Ended("client_gone"),
                    Some(Ok(Message::Close(_))) => Step::Ended("client_closed"),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Continue,
                    Some(Ok(Message::Binary(audio))) => {
                        if audio.is_empty() {
                            with_session(&self.shared, self.id, |s| s.empty_frames += 1);
                            Step::Continue
                        } else {
                            deadline = deadline_after(idle);
                            self.on_audio(&mut socket, &audio, &mut hasher, &mut total, silent).await
                        }
                    }
                    Some(Ok(Message::Text(text))) => {
                        self.on_text(&mut socket, text.as_str(), total, &hasher, silent, &mut deadline, idle).await
                    }
                },
            };
            match step {
                Step::Continue => continue,
                other => break other,
            }
        };
        let ended = match outcome {
            Step::Close(code, reason) => {
                let _ = socket
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                with_session(&self.shared, self.id, |s| {
                    s.close_code = Some(code);
                    s.close_reason = Some(reason.to_string());
                });
                // Read until the client answers the close: dropping a socket with unread audio
                // would reset the connection and the client might never see the close frame.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while let Some(Ok(m)) = socket.recv().await {
                        if matches!(m, Message::Close(_)) {
                            break;
                        }
                    }
                })
                .await;
                "closed_by_server"
            }
            Step::Drop(why) | Step::Ended(why) => why,
            Step::Continue => "closed_by_server",
        };
        with_session(&self.shared, self.id, |s| s.ended = Some(ended.to_string()));
    }

    fn audio_seconds(&self, total: u64) -> f64 {
        total as f64 / self.bytes_per_second
    }

    async fn send_all(&self, socket: &mut WebSocket, msgs: Vec<Value>, silent: bool) -> bool {
        if silent || msgs.is_empty() {
            return true;
        }
        for m in msgs {
            let text = m.to_string();
            with_session(&self.shared, self.id, |s| s.sent.push(m));
            if socket.send(Message::Text(text.into())).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn on_audio(
        &mut self,
        socket: &mut WebSocket,
        audio: &[u8],
        hasher: &mut Sha256,
        total: &mut u64,
        silent: bool,
    ) -> Step {
        if *total == 0
            && (matches!(self.fault, Some(Fault::Undecodable))
                || audio.starts_with(UNDECODABLE_MAGIC))
        {
            return Step::Close(1008, "DATA-0000");
        }
        if *total == 0
            && let Some(tc) = &self.timecode
            && let Some(frame) = audio.get(..4)
        {
            let low = u32::from(u16::from_le_bytes([frame[0], frame[1]]));
            let high = u32::from(u16::from_le_bytes([frame[2], frame[3]]));
            let offset = f64::from(low | (high << 16)) / tc.sample_rate;
            self.player = Player::new(&tc.script.from_offset(offset), tc.opts.clone());
        }
        hasher.update(audio);
        *total += audio.len() as u64;
        let secs = self.audio_seconds(*total);
        let digest = hasher.hex();
        let n = *total;
        with_session(&self.shared, self.id, |s| {
            s.bytes_received = n;
            s.audio_frames += 1;
            s.audio_seconds = secs;
            s.audio_sha256 = digest;
            let room = AUDIO_KEEP_LIMIT.saturating_sub(s.audio.len());
            s.audio.extend_from_slice(&audio[..room.min(audio.len())]);
            if s.audio_arrivals.len() < ARRIVALS_KEEP {
                s.audio_arrivals.push((std::time::Instant::now(), n));
            }
        });
        if let Some(Fault::DropAfterBytes { bytes }) = self.fault
            && *total >= bytes
        {
            return Step::Drop("dropped");
        }
        let msgs = self.player.advance(secs);
        if self.send_all(socket, msgs, silent).await {
            Step::Continue
        } else {
            Step::Ended("client_gone")
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn on_text(
        &mut self,
        socket: &mut WebSocket,
        text: &str,
        total: u64,
        hasher: &Sha256,
        silent: bool,
        deadline: &mut Instant,
        idle: Duration,
    ) -> Step {
        let parsed: Option<Value> = serde_json::from_str(text).ok();
        let kind = parsed
            .as_ref()
            .and_then(|v| v.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let secs = self.audio_seconds(total);
        match kind {
            "KeepAlive" => {
                *deadline = deadline_after(idle);
                with_session(&self.shared, self.id, |s| s.keep_alives += 1);
                Step::Continue
            }
            "Finalize" => {
                with_session(&self.shared, self.id, |s| s.finalizes += 1);
                let channel = parsed
                    .as_ref()
                    .and_then(|v| v.get("channel"))
                    .and_then(Value::as_u64)
                    .and_then(|c| usize::try_from(c).ok());
                let msgs = self.player.flush(secs, channel, true);
                if self.send_all(socket, msgs, silent).await {
                    Step::Continue
                } else {
                    Step::Ended("client_gone")
                }
            }
            "CloseStream" => {
                with_session(&self.shared, self.id, |s| s.close_streams += 1);
                if silent {
                    return Step::Continue;
                }
                if matches!(self.fault, Some(Fault::DropOnCloseStream)) {
                    // The flushed results and Metadata never come: the client must not take
                    // the stream as complete.
                    return Step::Drop("dropped");
                }
                let mut msgs = self.player.flush(secs, None, false);
                msgs.push(json!({
                    "type": "Metadata",
                    "transaction_key": "deprecated",
                    "request_id": self.rid,
                    "sha256": hasher.hex(),
                    "created": self.shared.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "duration": (secs * 1000.0).round() / 1000.0,
                    "channels": self.channels,
                    "models": [MODEL_UUID],
                    "model_info": {MODEL_UUID: {"name": self.model, "version": "2025-01-01.0", "arch": self.model}},
                }));
                if self.send_all(socket, msgs, false).await {
                    Step::Close(1000, "")
                } else {
                    Step::Ended("client_gone")
                }
            }
            _ => {
                with_session(&self.shared, self.id, |s| {
                    s.other_text_frames.push(text.chars().take(1000).collect());
                });
                Step::Continue
            }
        }
    }
}
