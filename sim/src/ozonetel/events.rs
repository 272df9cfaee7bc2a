//! The event subscription API: `POST /events/subscribe`, `GET /events/subscriptions/list`,
//! `POST /events/un-subscribe`.
//!
//! Reference: "Subscribe API" (<https://docs.ozonetel.com/reference/post_events-subscribe>)
//! and the list / un-subscribe pages beside it. At Ozonetel these live on their own host
//! (`subscription.ozonetel.com`); the simulator serves them on its one port, so a client takes
//! the events base URL separately. Headers `api_key` and `username` authenticate (the account
//! key, whatever the account's API mode); answers are plain text, a subscription is per
//! account, and the events themselves are POSTed by `webhook.rs`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::header_str;
use super::state::Subscription;
use super::wire::{parse_object, str_field};
use crate::faults::{Endpoint, lock};
use crate::intake::intake;
use crate::shared::Shared;

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn unauthorized() -> Response {
    text(StatusCode::UNAUTHORIZED, "Unauthorized".into())
}

/// The account named by the `username` header when `api_key` is its key.
fn account(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let user = header_str(headers, "username")?.trim();
    let key = header_str(headers, "api_key")?.trim();
    let state = lock(&shared.oz);
    state
        .accounts
        .get(user)
        .filter(|a| !key.is_empty() && a.api_key == key)
        .map(|a| a.user_name.clone())
}

/// The intake step plus the header check every subscription endpoint starts with: the
/// account's `userName`, or the answer to send instead.
async fn admit(
    shared: &Shared,
    endpoint: Endpoint,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, Response> {
    if let Some(resp) = intake(shared, endpoint, method, None, headers, body).await {
        return Err(resp);
    }
    account(shared, headers).ok_or_else(unauthorized)
}

fn valid_url(u: &str) -> bool {
    (u.starts_with("http://") || u.starts_with("https://")) && u.len() > "https://".len()
}

/// The answer to a subscribe body without a valid URL (Ozonetel's wording is not public).
pub(crate) const INVALID_URLS: &str =
    "callEventsURL and agentEventsURL must be http(s) URLs (at least one)";

/// `POST /events/subscribe`
pub(crate) async fn subscribe(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match admit(&shared, Endpoint::EventsSubscribe, &method, &headers, &body).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let map = parse_object(&body).unwrap_or_default();
    let (Ok(call), Ok(agent)) = (
        str_field(&map, "callEventsURL"),
        str_field(&map, "agentEventsURL"),
    ) else {
        return text(StatusCode::BAD_REQUEST, INVALID_URLS.into());
    };
    let call = call.map(str::trim).filter(|u| !u.is_empty());
    let agent = agent.map(str::trim).filter(|u| !u.is_empty());
    let all_valid = call.iter().chain(agent.iter()).all(|u| valid_url(u));
    if (call.is_none() && agent.is_none()) || !all_valid {
        return text(StatusCode::BAD_REQUEST, INVALID_URLS.into());
    }
    lock(&shared.oz).subscriptions.insert(
        user.clone(),
        Subscription {
            call_url: call.map(String::from),
            agent_url: agent.map(String::from),
        },
    );
    text(
        StatusCode::OK,
        format!("Subscription added successfully for User: {user}"),
    )
}

/// `GET /events/subscriptions/list`
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match admit(&shared, Endpoint::EventsList, &method, &headers, &body).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let sub = lock(&shared.oz).subscriptions.get(&user).cloned();
    match sub {
        Some(s) => axum::Json(json!({
            "agentEventsURL": s.agent_url.unwrap_or_default(),
            "callEventsURL": s.call_url.unwrap_or_default(),
        }))
        .into_response(),
        None => text(
            StatusCode::OK,
            format!("Subscription doesnt exists for User: {user}"),
        ),
    }
}

/// `POST /events/un-subscribe` `{"eventType": "call"|"agent"|"both"}`
pub(crate) async fn unsubscribe(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match admit(
        &shared,
        Endpoint::EventsUnsubscribe,
        &method,
        &headers,
        &body,
    )
    .await
    {
        Ok(u) => u,
        Err(r) => return r,
    };
    let map = parse_object(&body).unwrap_or_default();
    let kind = str_field(&map, "eventType")
        .ok()
        .flatten()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (call, agent, words) = match kind.as_str() {
        "call" => (true, false, "call events"),
        "agent" => (false, true, "agent events"),
        "both" => (true, true, "call and agent events"),
        // Wording not public.
        _ => {
            return text(
                StatusCode::BAD_REQUEST,
                "eventType should be call, agent or both".into(),
            );
        }
    };
    let mut state = lock(&shared.oz);
    let Some(sub) = state.subscriptions.get_mut(&user) else {
        return text(
            StatusCode::OK,
            format!("Subscription doesn't exists for User: {user}"),
        );
    };
    if call {
        sub.call_url = None;
    }
    if agent {
        sub.agent_url = None;
    }
    if sub.call_url.is_none() && sub.agent_url.is_none() {
        state.subscriptions.remove(&user);
    }
    text(
        StatusCode::OK,
        format!("Unsubscribed to {words} successfully for User: {user}"),
    )
}
