//! The Deepgram live speech-to-text stand-in: `GET /v1/listen` upgraded to a WebSocket.
//!
//! The handshake is checked like Deepgram checks it (key, then parameters; a refusal is a plain
//! HTTP answer with a `dg-error` header). Once open, the session counts the audio bytes it
//! receives, converts them to seconds of audio and plays the session's [`Script`] against that
//! time. Control frames (`KeepAlive`, `Finalize`, `CloseStream`) and the idle close (`NET-0001`)
//! behave as Deepgram's live-streaming docs describe
//! (<https://developers.deepgram.com/reference/speech-to-text/listen-streaming>); each rule is
//! stated where it lives: `params.rs` for the query string, `socket.rs` for the control frames
//! and closes.
//!
//! `redact` and `language` are honoured as Deepgram's hosted streaming does (entity redaction
//! in English only, number redaction everywhere, `language=multi` on Nova-3 only): see
//! [`redact`] for the formats followed and what the stand-in detects.
//!
//! A connection flows one way: `handshake` (record, fault, key, `params`) → `socket` (the
//! open session, playing a [`script`] `Player`, its words passed through [`redact`]) →
//! `sessions` (what is recorded).

mod handshake;
mod params;
pub mod redact;
pub mod script;
pub(crate) mod sessions;
mod socket;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::shared::Shared;
use handshake::Handshake;
pub use params::{MODELS, TIMECODE_PARAM, timecoded_audio};
pub use script::{BUILTIN_SCRIPTS, HINGLISH_SCRIPT, Script, Turn};
pub(crate) use sessions::DgState;
pub use sessions::{
    ARRIVALS_KEEP, AUDIO_KEEP_LIMIT, AUDIO_KEEP_SESSIONS, DEFAULT_IDLE_TIMEOUT, DeepgramSession,
};
pub use socket::UNDECODABLE_MAGIC;

/// `GET /v1/listen` (WebSocket).
pub(crate) async fn listen(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let query_ok = query.is_ok();
    let pairs = query.map(|Query(q)| q).unwrap_or_default();
    let handshake = Handshake::begin(shared, &headers, &pairs);
    let fault = match handshake.fault().await {
        Ok(fault) => fault,
        Err(answer) => return answer,
    };
    let params = match handshake.check(&headers, query_ok, &pairs) {
        Ok(params) => params,
        Err(refusal) => return refusal,
    };
    handshake.upgrade(ws, &params, fault)
}
