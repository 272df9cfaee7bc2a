//! The `/v1/listen` handshake: a connection attempt is recorded, may meet a fault, then is
//! checked (key first, then parameters) and upgraded. A refusal is a plain HTTP answer with
//! Deepgram's `dg-error` and `dg-request-id` headers and its JSON error body.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::params::{self, Params};
use super::sessions::{self, with_session};
use super::socket::Session;
use crate::faults::{Endpoint, Fault, delay, drop_connection, lock};
use crate::intake::presented_key;
use crate::shared::Shared;

/// One connection attempt, answered under its session record and request id.
pub(super) struct Handshake {
    shared: Arc<Shared>,
    id: usize,
    rid: String,
}

impl Handshake {
    /// Records the attempt (status 0 until answered) under a fresh request id.
    pub(super) fn begin(
        shared: Arc<Shared>,
        headers: &HeaderMap,
        query: &[(String, String)],
    ) -> Handshake {
        let rid = request_id();
        let id = sessions::open(&shared.dg, &rid, query, headers);
        Handshake { shared, id, rid }
    }

    /// Applies the fault armed on the socket, if any. Handshake faults are answered here
    /// (`Err`); the others (`Ok(Some)`) are the session's to play once it is open.
    #[allow(clippy::result_large_err)]
    pub(super) async fn fault(&self) -> Result<Option<Fault>, Response> {
        let Some(fault) = self.shared.faults.take(Endpoint::DeepgramListen) else {
            return Ok(None);
        };
        match fault {
            Fault::Delay { ms } => match delay(ms, &mut self.shared.shutdown.clone()).await {
                None => Ok(None),
                Some(stopped) => Err(stopped),
            },
            Fault::Status { status } | Fault::RefuseHandshake { status } => {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                Err(self.refuse(code, "Simulated failure"))
            }
            Fault::RateLimited { retry_after_secs } => {
                let mut resp = self.refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests. Please try again later",
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                Err(resp)
            }
            Fault::Drop | Fault::Truncated => {
                with_session(&self.shared.dg, self.id, |s| {
                    s.ended = Some("dropped".into())
                });
                Err(drop_connection())
            }
            Fault::Html | Fault::MalformedJson => {
                with_session(&self.shared.dg, self.id, |s| {
                    s.status = 200;
                    s.ended = Some("refused".into());
                });
                Err((
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body><h1>Welcome to nginx!</h1></body></html>",
                )
                    .into_response())
            }
            other => Ok(Some(other)),
        }
    }

    /// Deepgram's order of checks: the key (401), then the query string (400).
    #[allow(clippy::result_large_err)]
    pub(super) fn check(
        &self,
        headers: &HeaderMap,
        query_ok: bool,
        query: &[(String, String)],
    ) -> Result<Params, Response> {
        let (key, params) = {
            let dg = lock(&self.shared.dg);
            (dg.api_key.clone(), params::parse(query, &dg))
        };
        // Deepgram's scheme is `Token`; `Bearer` is accepted like it (see the crate docs).
        let presented = presented_key(headers, &["Token ", "token ", "Bearer "]);
        if presented != Some(key.as_str()) {
            return Err(self.refuse(StatusCode::UNAUTHORIZED, "Invalid credentials."));
        }
        if !query_ok {
            return Err(self.refuse(StatusCode::BAD_REQUEST, "Invalid query string"));
        }
        params.map_err(|msg| self.refuse(StatusCode::BAD_REQUEST, &msg))
    }

    /// Upgrades to the WebSocket and hands it to the session (a plain GET is a 400).
    pub(super) fn upgrade(
        self,
        ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
        params: &Params,
        fault: Option<Fault>,
    ) -> Response {
        let Ok(ws) = ws else {
            return self.refuse(
                StatusCode::BAD_REQUEST,
                "Expected a WebSocket upgrade request",
            );
        };
        let session = Session::open(self.shared.clone(), self.id, &self.rid, params, fault);
        let mut resp = ws
            .on_failed_upgrade(|e| tracing::debug!("deepgram upgrade failed: {e}"))
            .on_upgrade(move |socket| session.run(socket));
        if let Ok(v) = HeaderValue::from_str(&self.rid) {
            resp.headers_mut().insert("dg-request-id", v);
        }
        resp
    }

    /// A refused handshake: status, `dg-error`, `dg-request-id`, Deepgram's JSON error body.
    fn refuse(&self, status: StatusCode, message: &str) -> Response {
        with_session(&self.shared.dg, self.id, |s| {
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
            axum::Json(json!({"err_code": err_code, "err_msg": message, "request_id": self.rid})),
        )
            .into_response();
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&safe) {
            h.insert("dg-error", v);
        }
        if let Ok(v) = HeaderValue::from_str(&self.rid) {
            h.insert("dg-request-id", v);
        }
        resp
    }
}

/// A `dg-request-id`: a random UUID v4.
fn request_id() -> String {
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
