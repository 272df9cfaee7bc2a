//! The OpenAI chat-completions stand-in: `POST /v1/chat/completions`.
//!
//! It checks what OpenAI checks (bearer key, model, messages, response_format with a strict JSON
//! schema) with OpenAI's error shape, and answers deterministic agent suggestions derived from the
//! last transcript lines of the last user message. With a JSON schema the answer is generated from
//! the schema itself, so it validates against whatever (reasonable) schema the client sends.
//!
//! Two schema names get content of their own, deterministic from the transcript in the user
//! message ([`named`], reading it with [`signals`]): `agent_suggestions` carries the customer's
//! `sentiment` and an `escalation` (medical emergency, supervisor requested, angry customer),
//! and `call_summary` the post-call summary with a suggested disposition taken from the
//! schema's enum.
//!
//! One request flows one way: [`crate::intake`] (record, faults) → [`auth`] → [`validate`] → [`generate`]
//! (with [`suggest`] for the texts, [`named`] for the named schemas and [`schema`] for
//! `$ref`) → [`respond`]. Errors are built by [`error`].

mod auth;
mod error;
mod generate;
mod named;
mod respond;
mod schema;
mod signals;
mod suggest;
mod validate;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::Value;

use crate::faults::{Endpoint, lock};
use crate::intake::intake;
use crate::shared::Shared;
use respond::Completion;

/// `POST /v1/chat/completions`
pub(crate) async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::OpenaiChat;
    if let Some(resp) = intake(&shared, endpoint, &method, None, &headers, &body).await {
        return resp;
    }
    if let Err(resp) = auth::authorize(&headers, &shared.openai_key) {
        return resp;
    }
    let req = match validate::request(&body) {
        Ok(req) => req,
        Err(resp) => return resp,
    };
    let completion = Completion {
        id: format!("chatcmpl-sim{:08}", lock(&shared.openai).len()),
        created: shared.clock.now().timestamp(),
        model: req
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        content: generate::content(&req),
        request_bytes: body.len(),
    };
    respond::respond(&req, &completion)
}
