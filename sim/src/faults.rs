//! Faults on demand: every endpoint can be told to misbehave, once, N times or always.
//!
//! Clients are judged by how they survive bad days (a slow gateway, a 503, a 429 with
//! Retry-After, an HTML maintenance page, a connection cut mid-body, a WebSocket that takes audio
//! and never answers). Faults are armed per [`Endpoint`]; each request to that endpoint consumes
//! the first armed fault in arming order, so a test can script "503, then 429, then normal".

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The parts of the simulator a fault can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /ca_apis/CAToken/generateToken`
    GenerateToken,
    /// `POST /ca_apis/CallControl_V4`
    CallControl,
    /// `GET /CAServices/Call/Record.php`
    Record,
    /// `GET /ca_apis/abandonCalls`
    AbandonCalls,
    /// `GET /ca_reports/fetchCDRDetails`
    FetchCdrDetails,
    /// `GET /ca_reports/fetchCdrByUCID`
    FetchCdrByUcid,
    /// `GET /ca_reports/fetchCdrByPagination`
    FetchCdrByPagination,
    /// `POST /CAServices/AgentAuthenticationV2/index.php` (agent login / logout)
    AgentAuthentication,
    /// `POST /ca_apis/changeAgentState`
    ChangeAgentState,
    /// `POST /ca_apis/AgentManualDial`
    AgentManualDial,
    /// `POST /ca_apis/PhoneManualDial`
    PhoneManualDial,
    /// `POST /ca_apis/DispositionAPIV2`
    Disposition,
    /// `POST /events/subscribe` (Ozonetel's subscription host)
    EventsSubscribe,
    /// `GET /events/subscriptions/list`
    EventsList,
    /// `POST /events/un-subscribe`
    EventsUnsubscribe,
    /// The Deepgram live WebSocket `GET /v1/listen` (handshake and session).
    DeepgramListen,
    /// `POST /v1/chat/completions`
    OpenaiChat,
}

impl Endpoint {
    /// The path the endpoint is served at: the one home of it for the router and for what
    /// [`intake`](crate::intake::intake) records.
    pub(crate) const fn path(self) -> &'static str {
        match self {
            Endpoint::GenerateToken => "/ca_apis/CAToken/generateToken",
            Endpoint::CallControl => "/ca_apis/CallControl_V4",
            Endpoint::Record => "/CAServices/Call/Record.php",
            Endpoint::AbandonCalls => "/ca_apis/abandonCalls",
            Endpoint::FetchCdrDetails => "/ca_reports/fetchCDRDetails",
            Endpoint::FetchCdrByUcid => "/ca_reports/fetchCdrByUCID",
            Endpoint::FetchCdrByPagination => "/ca_reports/fetchCdrByPagination",
            Endpoint::AgentAuthentication => "/CAServices/AgentAuthenticationV2/index.php",
            Endpoint::ChangeAgentState => "/ca_apis/changeAgentState",
            Endpoint::AgentManualDial => "/ca_apis/AgentManualDial",
            Endpoint::PhoneManualDial => "/ca_apis/PhoneManualDial",
            Endpoint::Disposition => "/ca_apis/DispositionAPIV2",
            Endpoint::EventsSubscribe => "/events/subscribe",
            Endpoint::EventsList => "/events/subscriptions/list",
            Endpoint::EventsUnsubscribe => "/events/un-subscribe",
            Endpoint::DeepgramListen => "/v1/listen",
            Endpoint::OpenaiChat => "/v1/chat/completions",
        }
    }
}

/// What goes wrong. HTTP endpoints understand the first group; the Deepgram socket understands
/// all of them (see each variant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Wait `ms` milliseconds, then answer normally (Deepgram: delays the handshake).
    Delay {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Answer with this HTTP status (e.g. 500, 502, 503) and a gateway-style body.
    /// Deepgram: refuses the handshake with this status and a `dg-error` header.
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// Answer 429 with a `Retry-After` header (Deepgram: refuses the handshake with 429).
    RateLimited {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// Answer 200 with `Content-Type: application/json` and a JSON body cut in half.
    MalformedJson,
    /// Answer 200 with an HTML page (a proxy or maintenance page), `Content-Type: text/html`.
    Html,
    /// Announce a body length, send part of it, then cut the connection.
    Truncated,
    /// Cut the connection without any response (Deepgram: without a handshake answer).
    Drop,
    /// Never answer. HTTP: the request hangs until the client gives up (or the simulator stops).
    /// Deepgram: the socket accepts audio and control frames but sends nothing and never closes —
    /// a half-dead socket.
    StopAnswering,
    /// Deepgram only: refuse the WebSocket handshake with this status and a `dg-error` header.
    /// HTTP endpoints treat it like [`Fault::Status`].
    RefuseHandshake {
        /// The HTTP status code.
        status: u16,
    },
    /// Deepgram only: drop the socket (no close frame) once this many audio bytes have arrived.
    /// HTTP endpoints treat it like [`Fault::Truncated`].
    DropAfterBytes {
        /// Audio bytes to accept before dropping.
        bytes: u64,
    },
    /// Deepgram only: drop the socket (no close frame) this long after the handshake.
    /// HTTP endpoints treat it like [`Fault::Drop`] after the delay.
    DropAfter {
        /// Milliseconds after the handshake.
        ms: u64,
    },
    /// Deepgram only: declare the audio undecodable — close 1008 `DATA-0000` on the first audio.
    /// HTTP endpoints treat it like [`Fault::MalformedJson`].
    Undecodable,
    /// Deepgram only: drop the socket (no close frame) when `CloseStream` arrives, before the
    /// flushed results and `Metadata`: a drop while closing, so nothing confirmed the end of
    /// the stream. HTTP endpoints treat it like [`Fault::Drop`].
    DropOnCloseStream,
}

/// How many requests a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Times {
    /// The next request only.
    Once,
    /// The next N requests.
    N(u32),
    /// Every request until cleared.
    Always,
}

/// An armed fault, as listed by [`FaultBook::list`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmedFault {
    /// Target endpoint.
    pub endpoint: Endpoint,
    /// The fault.
    pub fault: Fault,
    /// Remaining uses; `None` = always.
    pub remaining: Option<u32>,
}

/// The set of armed faults, shared by every handler.
#[derive(Debug, Default)]
pub struct FaultBook {
    armed: Mutex<Vec<ArmedFault>>,
    hits: Mutex<HashMap<Endpoint, u64>>,
}

impl FaultBook {
    /// Arms `fault` on `endpoint` for `times` requests, after any fault already armed there.
    pub fn arm(&self, endpoint: Endpoint, fault: Fault, times: Times) {
        let remaining = match times {
            Times::Once => Some(1),
            Times::N(0) => return,
            Times::N(n) => Some(n),
            Times::Always => None,
        };
        lock(&self.armed).push(ArmedFault {
            endpoint,
            fault,
            remaining,
        });
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        lock(&self.armed).clear();
    }

    /// The faults still armed, in order.
    pub fn list(&self) -> Vec<ArmedFault> {
        lock(&self.armed).clone()
    }

    /// How many requests to `endpoint` a fault has been applied to so far.
    pub fn hits(&self, endpoint: Endpoint) -> u64 {
        lock(&self.hits).get(&endpoint).copied().unwrap_or(0)
    }

    /// Consumes one use of the first fault armed on `endpoint`.
    pub fn take(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut armed = lock(&self.armed);
        let idx = armed.iter().position(|a| a.endpoint == endpoint)?;
        let fault = armed[idx].fault.clone();
        if let Some(n) = armed[idx].remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                armed.remove(idx);
            }
        }
        drop(armed);
        *lock(&self.hits).entry(endpoint).or_default() += 1;
        Some(fault)
    }
}

/// Resolves once the simulator is shutting down (a plain `()` future, so it stays `Send`).
pub(crate) async fn stopped(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // State behind a poisoned lock is still consistent enough for a simulator; never panic.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Which error dialect a faulted response speaks (the body a real gateway in front of that
/// service would send).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Ozonetel,
    OpenAi,
}

/// Applies an HTTP fault. `None` means "carry on normally" (after any delay).
pub(crate) async fn http_fault(
    fault: Fault,
    dialect: Dialect,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<Response> {
    match fault {
        Fault::Delay { ms } => delay(ms, shutdown).await,
        Fault::Status { status } | Fault::RefuseHandshake { status } => {
            Some(status_response(status, dialect))
        }
        Fault::RateLimited { retry_after_secs } => Some(rate_limited(retry_after_secs, dialect)),
        Fault::MalformedJson | Fault::Undecodable => Some(
            (
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"status":"Success","message":"#,
            )
                .into_response(),
        ),
        Fault::Html => Some(
            (
                [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
                "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>\
                 <body><center><h1>503 Service Temporarily Unavailable</h1></center><hr>\
                 <center>nginx</center></body></html>",
            )
                .into_response(),
        ),
        Fault::Truncated | Fault::DropAfterBytes { .. } => Some(truncated()),
        Fault::Drop | Fault::DropOnCloseStream => Some(drop_connection()),
        Fault::DropAfter { ms } => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                _ = stopped(shutdown) => {}
            }
            Some(drop_connection())
        }
        Fault::StopAnswering => {
            // Hang until the simulator shuts down; the client's timeout is what is under test.
            stopped(shutdown).await;
            Some(drop_connection())
        }
    }
}

/// Waits `ms` milliseconds; `None` = carry on, `Some` = the simulator stopped meanwhile (the
/// connection is dropped).
pub(crate) async fn delay(
    ms: u64,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<Response> {
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(ms)) => None,
        _ = stopped(shutdown) => Some(drop_connection()),
    }
}

/// A response whose body fails before its first byte: hyper then closes the connection, so the
/// client sees a connection reset / incomplete message instead of an answer.
pub(crate) fn drop_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated connection drop",
        ))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("512"));
    resp
}

/// A response announcing 512 bytes, sending a JSON prefix, then failing.
fn truncated() -> Response {
    use futures::StreamExt as _;
    let head = futures::stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from_static(
        br#"{"status":"success","message":[{"monitorUCID":317334677"#,
    ))]);
    // The pause lets hyper flush the head and the first bytes before the cut; failing at once
    // would discard them and look like a plain drop.
    let cut = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated truncation",
        ))
    });
    let stream = head.chain(cut);
    let mut resp = Response::new(Body::from_stream(stream));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("512"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn status_response(status: u16, dialect: Dialect) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = code.canonical_reason().unwrap_or("Error");
    match dialect {
        Dialect::Ozonetel => (
            code,
            [(header::CONTENT_TYPE, "text/html")],
            format!(
                "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center></body></html>"
            ),
        )
            .into_response(),
        Dialect::OpenAi => (
            code,
            axum::Json(serde_json::json!({"error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error", "param": null, "code": null}})),
        )
            .into_response(),
    }
}

fn rate_limited(retry_after_secs: u64, dialect: Dialect) -> Response {
    let body = match dialect {
        Dialect::Ozonetel => {
            serde_json::json!({"status": "fail", "message": "Rate limit exceeded"})
        }
        Dialect::OpenAi => serde_json::json!({"error": {
            "message": "Rate limit reached for requests. Please try again later.",
            "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, retry_after_secs.to_string())],
        axum::Json(body),
    )
        .into_response()
}
