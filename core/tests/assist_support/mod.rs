//! In-test stand-ins for Deepgram's live WebSocket and OpenAI's chat completions, scripted per
//! test, on 127.0.0.1.
//!
//! The fake Deepgram "recognises" audio deterministically: the call audio is linear16 8 kHz
//! in blocks of 0.25 s, and every sample of channel `c` in a block holds a word number; word 0
//! is silence. So a test can say exactly what was spoken when, and check what came back.
// The handshake callback's error type is tungstenite's, not ours to shrink.
#![allow(dead_code, missing_docs, clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use helix_engage::assist::{AssistConfig, AudioFormat, DeepgramConfig, ReconnectPolicy, Timing};

pub const RATE: u32 = 8_000;
pub const BLOCK_SECS: f64 = 0.25;
/// Bytes per channel-frame (i16).
const SAMPLE: usize = 2;

pub fn block_bytes(channels: u16) -> usize {
    (RATE as f64 * BLOCK_SECS) as usize * SAMPLE * usize::from(channels)
}

/// Audio for a script of blocks: `blocks[k][c]` is the word number on channel `c`.
pub fn script_audio(blocks: &[Vec<u16>]) -> Vec<u8> {
    let channels = blocks.first().map_or(1, |b| b.len());
    let frames = (RATE as f64 * BLOCK_SECS) as usize;
    let mut out = Vec::with_capacity(blocks.len() * frames * channels * SAMPLE);
    for block in blocks {
        for _ in 0..frames {
            for &word in block {
                out.extend_from_slice(&(word as i16).to_le_bytes());
            }
        }
    }
    out
}

/// A vocabulary for the fake: word `i + 1` is `words[i]` (word 0 is silence).
pub fn vocab_of(words: &[&str]) -> Vec<String> {
    std::iter::once(String::new())
        .chain(words.iter().map(|w| w.to_string()))
        .collect()
}

/// A config aimed at `url` with short timers so tests run fast.
pub fn config(url: &str, channels: u16) -> AssistConfig {
    AssistConfig {
        deepgram: DeepgramConfig::new("dg-test-key-123").with_url(url),
        audio: AudioFormat::Linear16 {
            sample_rate: RATE,
            channels,
        },
        timing: Timing {
            keepalive_after: Duration::from_millis(100),
            watchdog: Duration::from_secs(2),
            send_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            stop_wait: Duration::from_secs(2),
        },
        reconnect: ReconnectPolicy {
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_attempts: 5,
        },
        audio_queue_chunks: 100_000,
        replay_speed: 1_000.0,
        ..Default::default()
    }
}

/// How the fake Deepgram behaves.
#[derive(Clone, Default)]
pub struct Script {
    /// Words by number (index 0 is silence and never used).
    pub vocab: Vec<String>,
    /// Refuse handshakes of these connection numbers (0-based) with status and dg-error.
    pub refuse: HashMap<usize, (u16, String)>,
    /// Refuse every handshake from this connection number on.
    pub refuse_from: Option<(usize, u16, String)>,
    /// Drop connection `i` (no close frame) after it received this many audio bytes.
    pub drop_after: HashMap<usize, usize>,
    /// Close connection `i` with (code, reason) after it received this many audio bytes.
    pub close_after: HashMap<usize, (usize, u16, String)>,
    /// Connections that read but never answer.
    pub silent: Vec<usize>,
    /// Send interim results before each final.
    pub interim: bool,
    /// Close with 1011 NET-0001 when nothing (audio or text) arrives for this long.
    pub idle_timeout: Option<Duration>,
    /// Send this text frame right after the handshake.
    pub greeting: Option<String>,
    /// More text frames sent right after the handshake (after `greeting`).
    pub greetings: Vec<String>,
    /// Hold back results for the last this-many blocks until more audio, `Finalize` or
    /// `CloseStream` arrives, as Deepgram does while it waits for context.
    pub lag_blocks: usize,
    /// Answer `CloseStream` on connection `i` with this close (code, reason) instead of the
    /// flushed results, `Metadata` and a clean close: a drop while closing.
    pub close_on_close_stream: HashMap<usize, (u16, String)>,
    /// After `Finalize` on connection `i`, stop reading for this long (no pongs, no results:
    /// a socket that died during a hold), then read on and record what had arrived.
    pub freeze_on_finalize: HashMap<usize, Duration>,
    /// Send no `dg-request-id` header on the upgrade (a proxy stripped it); the id still comes
    /// in every Results' metadata.
    pub no_request_id_header: bool,
    /// Drop connection `i` (no close frame) this long after it opened.
    pub drop_after_ms: HashMap<usize, Duration>,
    /// Any frames (binary, huge, close with any code) sent on the first connection only,
    /// after the greetings: a hostile server's opening, with a sane reconnect after it.
    pub first_frames: Vec<Message>,
    /// Connections that stop reading after the handshake (and the greetings): the client's
    /// audio backs up and nothing is answered, not even pings.
    pub deaf: Vec<usize>,
    /// Connections whose handshake is answered only after this long (a slow server).
    pub handshake_delay: HashMap<usize, Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Binary(usize),
    Text(String),
    /// A close frame from the client, with its code.
    Close(u16),
}

#[derive(Debug, Default, Clone)]
pub struct Conn {
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub audio: Vec<u8>,
    pub frames: Vec<Frame>,
    pub opened: Option<Instant>,
    pub last_audio_at: Option<Instant>,
}

impl Conn {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    pub fn texts(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter_map(|f| match f {
                Frame::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn count_text(&self, needle: &str) -> usize {
        self.texts().iter().filter(|t| t.contains(needle)).count()
    }
}

#[derive(Debug, Default)]
pub struct Recorded {
    /// Every handshake attempt, accepted or refused.
    pub attempts: usize,
    /// TLS handshakes that failed (the client refused the certificate).
    pub tls_refused: usize,
    pub conns: Vec<Conn>,
}

pub struct FakeDeepgram {
    pub url: String,
    pub rec: Arc<Mutex<Recorded>>,
}

impl FakeDeepgram {
    pub async fn start(script: Script) -> FakeDeepgram {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let rec = Arc::new(Mutex::new(Recorded::default()));
        let script = Arc::new(script);
        let rec2 = rec.clone();
        accept_forever(listener, move |tcp| {
            serve(tcp, rec2.clone(), script.clone())
        });
        FakeDeepgram { url, rec }
    }

    /// The same server behind TLS (`wss://localhost:PORT`), with `tls`'s certificate.
    pub async fn start_tls(script: Script, tls: tokio_rustls::TlsAcceptor) -> FakeDeepgram {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let url = format!("wss://localhost:{port}");
        let rec = Arc::new(Mutex::new(Recorded::default()));
        let script = Arc::new(script);
        let rec2 = rec.clone();
        accept_forever(listener, move |tcp| {
            let (rec, script, tls) = (rec2.clone(), script.clone(), tls.clone());
            async move {
                match tls.accept(tcp).await {
                    Ok(stream) => serve(stream, rec, script).await,
                    // A client that refused the certificate: count the attempt.
                    Err(_) => rec.lock().unwrap().tls_refused += 1,
                }
            }
        });
        FakeDeepgram { url, rec }
    }

    pub fn attempts(&self) -> usize {
        self.rec.lock().unwrap().attempts
    }

    pub fn conns(&self) -> Vec<Conn> {
        self.rec.lock().unwrap().conns.clone()
    }
}

async fn serve<S>(tcp: S, rec: Arc<Mutex<Recorded>>, script: Arc<Script>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let index = {
        let mut r = rec.lock().unwrap();
        r.attempts += 1;
        r.attempts - 1
    };
    let refusal = script.refuse.get(&index).cloned().or_else(|| {
        script
            .refuse_from
            .as_ref()
            .filter(|(from, _, _)| index >= *from)
            .map(|(_, s, m)| (*s, m.clone()))
    });
    if let Some(delay) = script.handshake_delay.get(&index) {
        tokio::time::sleep(*delay).await;
    }
    let mut conn = Conn::default();
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        conn.uri = req.uri().to_string();
        conn.headers = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        if let Some((status, msg)) = &refusal {
            let mut err = ErrorResponse::new(Some(msg.clone()));
            *err.status_mut() =
                tokio_tungstenite::tungstenite::http::StatusCode::from_u16(*status).unwrap();
            err.headers_mut().insert("dg-error", msg.parse().unwrap());
            err.headers_mut()
                .insert("dg-request-id", format!("refused-{index}").parse().unwrap());
            return Err(err);
        }
        if !script.no_request_id_header {
            resp.headers_mut()
                .insert("dg-request-id", format!("req-{index}").parse().unwrap());
        }
        Ok(resp)
    };
    let ws = tokio_tungstenite::accept_hdr_async(tcp, callback).await;
    let slot = {
        let mut r = rec.lock().unwrap();
        conn.opened = Some(Instant::now());
        r.conns.push(conn);
        r.conns.len() - 1
    };
    let Ok(ws) = ws else { return };
    let (mut tx, mut rx) = ws.split();
    let uri = rec.lock().unwrap().conns[slot].uri.clone();
    let channels: u16 = query_param(&uri, "channels")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    let block = block_bytes(channels);
    let silent = script.silent.contains(&index);
    for g in script.greeting.iter().chain(&script.greetings) {
        let _ = tx.send(Message::text(g.clone())).await;
    }
    if index == 0 {
        for frame in &script.first_frames {
            let _ = tx.send(frame.clone()).await;
        }
    }
    if script.deaf.contains(&index) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return;
    }
    let mut received = 0usize;
    let mut processed_blocks = 0usize;
    let mut pending: Vec<u8> = Vec::new();
    let opened = tokio::time::Instant::now();
    loop {
        let next = match script.drop_after_ms.get(&index) {
            Some(d) => match tokio::time::timeout_at(opened + *d, rx.next()).await {
                Ok(n) => n,
                Err(_) => return, // TCP drop, no close frame.
            },
            None => match script.idle_timeout {
                Some(idle) => match tokio::time::timeout(idle, rx.next()).await {
                    Ok(n) => n,
                    Err(_) => {
                        let _ = tx
                            .send(close_frame(CloseCode::Error, "NET-0001".to_string()))
                            .await;
                        return;
                    }
                },
                None => rx.next().await,
            },
        };
        let Some(Ok(msg)) = next else { return };
        match msg {
            Message::Binary(data) => {
                {
                    let mut r = rec.lock().unwrap();
                    r.conns[slot].frames.push(Frame::Binary(data.len()));
                    r.conns[slot].audio.extend_from_slice(&data);
                    r.conns[slot].last_audio_at = Some(Instant::now());
                }
                received += data.len();
                pending.extend_from_slice(&data);
                if let Some((after, code, reason)) = script.close_after.get(&index)
                    && received >= *after
                {
                    let _ = tx
                        .send(close_frame(CloseCode::from(*code), reason.clone()))
                        .await;
                    return;
                }
                if let Some(after) = script.drop_after.get(&index)
                    && received >= *after
                {
                    return; // TCP drop, no close frame.
                }
                while pending.len() >= block * (1 + script.lag_blocks) {
                    let data: Vec<u8> = pending.drain(..block).collect();
                    if !silent {
                        for msg in results_for(&data, channels, processed_blocks, &script, index) {
                            if tx.send(Message::text(msg)).await.is_err() {
                                return;
                            }
                        }
                    }
                    processed_blocks += 1;
                }
            }
            Message::Text(text) => {
                let text = text.as_str().to_string();
                rec.lock().unwrap().conns[slot]
                    .frames
                    .push(Frame::Text(text.clone()));
                if let Some((code, reason)) = script
                    .close_on_close_stream
                    .get(&index)
                    .filter(|_| text.contains("CloseStream"))
                {
                    let _ = tx
                        .send(close_frame(CloseCode::from(*code), reason.clone()))
                        .await;
                    return;
                }
                if (text.contains("Finalize") || text.contains("CloseStream")) && !silent {
                    // Flush the held-back blocks.
                    while pending.len() >= block {
                        let data: Vec<u8> = pending.drain(..block).collect();
                        for msg in results_for(&data, channels, processed_blocks, &script, index) {
                            if tx.send(Message::text(msg)).await.is_err() {
                                return;
                            }
                        }
                        processed_blocks += 1;
                    }
                }
                if let Some(freeze) = script.freeze_on_finalize.get(&index)
                    && text.contains("Finalize")
                {
                    // Stop reading: no pongs, no results. Afterwards read the raw bytes that
                    // arrived (tungstenite would answer pings into a closed socket and lose
                    // the rest to a reset) and record the frames.
                    let Ok(ws) = rx.reunite(tx) else { return };
                    let mut tcp = ws.into_inner();
                    tokio::time::sleep(*freeze).await;
                    let mut raw = Vec::new();
                    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut raw))
                        .await;
                    let frames = raw_client_frames(&raw);
                    rec.lock().unwrap().conns[slot].frames.extend(frames);
                    return;
                }
                if text.contains("CloseStream") && !silent {
                    let meta = serde_json::json!({
                        "type": "Metadata", "transaction_key": "deprecated",
                        "request_id": format!("req-{index}"), "sha256": "x",
                        "created": "2024-01-01T00:00:00.000Z",
                        "duration": received as f64 / (RATE as f64 * 2.0 * channels as f64),
                        "channels": channels,
                    });
                    let _ = tx.send(Message::text(meta.to_string())).await;
                    let _ = tx.send(close_frame(CloseCode::Normal, String::new())).await;
                    return;
                }
            }
            Message::Close(frame) => {
                let code = frame.map_or(1005, |f| u16::from(f.code));
                rec.lock().unwrap().conns[slot]
                    .frames
                    .push(Frame::Close(code));
                return;
            }
            _ => {}
        }
    }
}

/// Client frames (masked) from raw bytes: text and close frames; others are skipped.
fn raw_client_frames(mut raw: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    while raw.len() >= 2 {
        let opcode = raw[0] & 0x0f;
        let masked = raw[1] & 0x80 != 0;
        let (len, mut at) = match raw[1] & 0x7f {
            126 if raw.len() >= 4 => (u16::from_be_bytes([raw[2], raw[3]]) as usize, 4),
            127 if raw.len() >= 10 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&raw[2..10]);
                (u64::from_be_bytes(b) as usize, 10)
            }
            n if n < 126 => (n as usize, 2),
            _ => break,
        };
        let mut mask = [0u8; 4];
        if masked {
            if raw.len() < at + 4 {
                break;
            }
            mask.copy_from_slice(&raw[at..at + 4]);
            at += 4;
        }
        if raw.len() < at + len {
            break;
        }
        let payload: Vec<u8> = raw[at..at + len]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect();
        match opcode {
            1 => out.push(Frame::Text(String::from_utf8_lossy(&payload).into_owned())),
            2 => out.push(Frame::Binary(payload.len())),
            8 => out.push(Frame::Close(if payload.len() >= 2 {
                u16::from_be_bytes([payload[0], payload[1]])
            } else {
                1005
            })),
            _ => {}
        }
        raw = &raw[at + len..];
    }
    out
}

fn query_param(uri: &str, key: &str) -> Option<String> {
    let url = url::Url::parse(&format!("ws://x{uri}")).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn query_pairs(uri: &str) -> Vec<(String, String)> {
    url::Url::parse(&format!("ws://x{uri}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn results_for(data: &[u8], channels: u16, k: usize, script: &Script, conn: usize) -> Vec<String> {
    let mut out = Vec::new();
    let start = k as f64 * BLOCK_SECS;
    for c in 0..usize::from(channels) {
        let at = c * SAMPLE;
        let id = i16::from_le_bytes([data[at], data[at + 1]]) as usize;
        let word = script.vocab.get(id).cloned().unwrap_or_default();
        let (words, transcript) = if id == 0 || word.is_empty() {
            (serde_json::json!([]), String::new())
        } else {
            let bare = word.trim_end_matches(['.', '?', '!', ',']).to_lowercase();
            (
                serde_json::json!([{ "word": bare, "start": start + 0.05, "end": start + 0.2,
                    "confidence": 0.95, "punctuated_word": word }]),
                word.clone(),
            )
        };
        let speech_final = transcript.ends_with('.') || transcript.ends_with('?');
        let make = |is_final: bool| {
            serde_json::json!({
                "type": "Results", "channel_index": [c, channels], "start": start,
                "duration": BLOCK_SECS, "is_final": is_final,
                "speech_final": is_final && speech_final, "from_finalize": false,
                "channel": { "alternatives": [{ "transcript": transcript, "confidence": 0.95, "words": words }] },
                "metadata": { "request_id": format!("req-{conn}"), "model_info": { "name": "fake" } }
            })
            .to_string()
        };
        if script.interim && id != 0 {
            out.push(make(false));
        }
        out.push(make(true));
    }
    out
}

// ---- a tiny OpenAI-compatible HTTP server ------------------------------------------------

/// What the fake LLM answers to request number `n` (0-based).
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    /// Suggestions as an endpoint that predates the live signals answers (no `sentiment`, no
    /// `escalation`).
    pub fn suggestions(items: &[(&str, &str)]) -> Reply {
        Reply::completion(&serde_json::json!({ "suggestions": suggestion_list(items) }))
    }

    /// Suggestions with the live signals: `sentiment` and `escalation` (`null` for none).
    pub fn signals(
        items: &[(&str, &str)],
        sentiment: &str,
        escalation: serde_json::Value,
    ) -> Reply {
        Reply::completion(&serde_json::json!({
            "suggestions": suggestion_list(items),
            "sentiment": sentiment,
            "escalation": escalation,
        }))
    }

    /// A chat completion whose message content is `content`, serialised.
    pub fn completion(content: &serde_json::Value) -> Reply {
        let content = content.to_string();
        Reply {
            status: 200,
            body: serde_json::json!({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "fake",
                "choices": [{ "index": 0, "finish_reason": "stop",
                    "message": { "role": "assistant", "content": content } }],
                "usage": { "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2 }
            })
            .to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn error(status: u16, kind: &str, code: &str) -> Reply {
        Reply {
            status,
            body: serde_json::json!({"error": {"message": format!("fake {status}"), "type": kind, "param": null, "code": code}}).to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn raw(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

fn suggestion_list(items: &[(&str, &str)]) -> Vec<serde_json::Value> {
    items
        .iter()
        .map(|(k, t)| serde_json::json!({"kind": k, "text": t}))
        .collect()
}

#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub at: Instant,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
    /// The body's bytes as sent (lossy UTF-8), for "appears nowhere" checks.
    pub raw: String,
}

impl LlmRequest {
    /// The `response_format.json_schema.name` the request asked for.
    pub fn schema_name(&self) -> &str {
        self.body["response_format"]["json_schema"]["name"]
            .as_str()
            .unwrap_or_default()
    }

    /// The user message.
    pub fn user(&self) -> &str {
        self.body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
    }
}

#[derive(Default)]
pub struct LlmState {
    pub requests: Vec<LlmRequest>,
    pub in_flight: usize,
    pub max_in_flight: usize,
}

pub struct FakeLlm {
    pub base_url: String,
    pub state: Arc<Mutex<LlmState>>,
}

type Responder = Arc<dyn Fn(usize, &LlmRequest) -> Reply + Send + Sync>;

impl FakeLlm {
    pub async fn start(responder: impl Fn(usize) -> Reply + Send + Sync + 'static) -> FakeLlm {
        FakeLlm::start_reading(move |n, _| responder(n)).await
    }

    /// A server whose answer to request `n` may depend on the request itself.
    pub async fn start_reading(
        responder: impl Fn(usize, &LlmRequest) -> Reply + Send + Sync + 'static,
    ) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(LlmState::default()));
        let responder: Responder = Arc::new(responder);
        let st = state.clone();
        accept_forever(listener, move |tcp| {
            http_conn(tcp, st.clone(), responder.clone())
        });
        FakeLlm { base_url, state }
    }

    pub fn requests(&self) -> Vec<LlmRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }
}

async fn http_conn(mut tcp: TcpStream, st: Arc<Mutex<LlmState>>, responder: Responder) {
    let mut buf = Vec::new();
    loop {
        // Read one request: headers, then Content-Length bytes of body.
        let header_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 4096];
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
        let mut lines = head.split("\r\n");
        let path = lines
            .next()
            .unwrap_or("")
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < header_end + 4 + len {
            let mut chunk = [0u8; 4096];
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf
            .drain(..header_end + 4 + len)
            .skip(header_end + 4)
            .collect();
        let request = LlmRequest {
            at: Instant::now(),
            path,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            raw: String::from_utf8_lossy(&body).into_owned(),
        };
        let n = {
            let mut s = st.lock().unwrap();
            s.requests.push(request.clone());
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
            s.requests.len() - 1
        };
        let reply = responder(n, &request);
        struct Done(Arc<Mutex<LlmState>>);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.lock().unwrap().in_flight -= 1;
            }
        }
        let done = Done(st.clone());
        tokio::time::sleep(reply.delay).await;
        let resp = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            reply.status,
            reply.body.len(),
            reply.body
        );
        drop(done);
        if tcp.write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A close frame with `code` and `reason`.
fn close_frame(code: CloseCode, reason: String) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Serves every connection `listener` accepts with `handle`, each on its own task, until the
/// listener fails (the test is over).
fn accept_forever<F, Fut>(listener: TcpListener, handle: F)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(handle(tcp));
        }
    });
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
