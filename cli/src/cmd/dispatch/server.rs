//! The HTTP side: Ozonetel's event POSTs (any path but `/stats`: the call and agent URLs of
//! the subscription may differ) and `GET /stats`.
//!
//! An event is read with the library's parser only to find its agent; what is forwarded is the
//! body and content type exactly as they arrived. Ozonetel is answered 200 as soon as the
//! event is queued — forwarding is asynchronous — and 400 for a body that is no event.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use helix_engage::ozonetel::Event;
use tokio::sync::mpsc;

use super::forward::{Dispatcher, Job, describe};
use super::stats::bump;

/// Larger than any event (the parser refuses over 64 KiB with a clear error, counted as
/// `invalid`), small enough that nobody can make the dispatcher buffer megabytes.
const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub dispatcher: Arc<Dispatcher>,
    pub intake: mpsc::Sender<Job>,
}

pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/stats", get(stats))
        .fallback(receive)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn stats(State(s): State<AppState>) -> Json<super::stats::Snapshot> {
    Json(s.dispatcher.stats.snapshot())
}

async fn receive(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "POST Ozonetel's call and agent events here; GET /stats for the counters\n",
        )
            .into_response();
    }
    let d = &s.dispatcher;
    bump(&d.stats.received);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let event = match Event::parse(content_type.as_deref().unwrap_or(""), &body) {
        Ok(e) => e,
        Err(e) => {
            bump(&d.stats.invalid);
            // Not the parser's message: it may quote the body's start, and a body is where a
            // caller's number lives.
            d.log(&format!(
                "invalid: a body of {} bytes ({}) is no Ozonetel event",
                body.len(),
                crate::profile::quote(content_type.as_deref().unwrap_or("no content type"))
            ));
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    let (kind, username, agent_id, action) = match &event {
        Event::Call(c) => ("call", &c.username, &c.agent_id, call_action(&c.action)),
        Event::Agent(a) => ("agent", &a.username, &a.agent_id, a.action.clone()),
    };
    if !username.is_empty() && !username.eq_ignore_ascii_case(d.registry.account()) {
        // Another tenant's event must not reach this tenant's sidecars, even for an agent id
        // both happen to use.
        bump(&d.stats.other_account);
        d.log(&format!(
            "other account: {} is for account {}, not {}",
            describe(kind, &action, agent_id),
            crate::profile::quote(username),
            crate::profile::quote(d.registry.account())
        ));
        return ok();
    }
    if agent_id.is_empty() {
        bump(&d.stats.no_agent);
        d.log(&format!(
            "no agent: {kind} event {} carries no agent_id",
            crate::profile::quote(&action)
        ));
        return ok();
    }
    let job = Job {
        agent_id: agent_id.clone(),
        kind,
        action,
        content_type,
        body,
    };
    d.stats.queued.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = s.intake.try_send(job) {
        d.stats.queued.fetch_sub(1, Ordering::Relaxed);
        let job = match e {
            mpsc::error::TrySendError::Full(j) | mpsc::error::TrySendError::Closed(j) => j,
        };
        bump(&d.stats.dropped_intake_full);
        d.log(&format!(
            "dropped: {} (the intake queue is full)",
            job.describe()
        ));
    }
    ok()
}

fn ok() -> Response {
    (StatusCode::OK, "OK\n").into_response()
}

fn call_action(a: &helix_engage::ozonetel::CallEventAction) -> String {
    use helix_engage::ozonetel::CallEventAction as A;
    match a {
        A::Calling => "Calling".to_string(),
        A::Answered => "Answered".to_string(),
        A::Disconnect => "Disconnect".to_string(),
        A::Other(t) => t.clone(),
    }
}
