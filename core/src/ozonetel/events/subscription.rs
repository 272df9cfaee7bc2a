//! The subscription API, on its own host (`ClientBuilder::events_base_url`, default
//! `https://subscription.ozonetel.com`): `POST /events/subscribe` (`callEventsURL`,
//! `agentEventsURL`), `GET /events/subscriptions/list`, `POST /events/un-subscribe`
//! (`eventType` `call|agent|both`). Headers `api_key` and `username`, no token. It answers in
//! plain text ("Subscription added successfully for User: X", "Unauthorized",
//! "Subscription doesnt exists for User: X") except for the list, which is JSON.

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use super::super::envelope::text_of;
use crate::error::{Error, Result, quote_url};
use crate::ozonetel::client::Client;
use crate::ozonetel::ids::scalar_text;
use crate::ozonetel::transport::{Answer, Credentials, Host, Request, Resend};

const SUBSCRIBE_PATH: &str = "/events/subscribe";
const LIST_PATH: &str = "/events/subscriptions/list";
const UNSUBSCRIBE_PATH: &str = "/events/un-subscribe";

/// Longest webhook URL accepted.
const MAX_URL: usize = 2048;

/// Where Ozonetel should POST the account's events. Both are required by Ozonetel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventUrls {
    /// Receives call events (`callEventsURL`).
    pub call: String,
    /// Receives agent events (`agentEventsURL`).
    pub agent: String,
}

/// Which subscription to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Call events only.
    Call,
    /// Agent events only.
    Agent,
    /// Both.
    Both,
}

impl EventKind {
    /// The wire name: `call`, `agent`, `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Call => "call",
            EventKind::Agent => "agent",
            EventKind::Both => "both",
        }
    }
}

/// The account's current subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSubscriptions {
    /// The call events URL, when subscribed.
    pub call: Option<String>,
    /// The agent events URL, when subscribed.
    pub agent: Option<String>,
}

/// What the subscription API said to a subscribe or unsubscribe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionResponse {
    /// `false` only for an unsubscribe when there was no subscription ("Subscription doesnt
    /// exists for User: X") — an outcome, not an error: the account is unsubscribed.
    pub changed: bool,
    /// Ozonetel's words.
    pub message: String,
}

/// An absolute http(s) URL without credentials (trimmed), or `invalid_input` naming `field`.
/// `holder` is who keeps the URL and would repeat `user:password@` (Ozonetel for a
/// subscription; the sidecar registry, `routing.rs`, for a sidecar's URL).
pub(super) fn webhook_url(field: &str, raw: &str, holder: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::invalid(format!("{field} is empty")));
    }
    if raw.len() > MAX_URL {
        return Err(Error::invalid(format!(
            "{field} is longer than {MAX_URL} bytes"
        )));
    }
    let url = url::Url::parse(raw)
        .map_err(|e| Error::invalid(format!("{field} {} is not a URL: {e}", quote_url(raw))))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::invalid(format!(
            "{field} {} must be an http(s) URL with a host",
            quote_url(raw)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(format!(
            "{field} {} carries user:password@; {holder} would store and send them",
            quote_url(raw)
        )));
    }
    Ok(raw.to_string())
}

/// Whether a text is "Subscription doesnt exists…" (or "doesn't").
fn no_subscription(text: &str) -> bool {
    let t = text.to_ascii_lowercase().replace('\'', "");
    t.contains("subscription doesnt exist")
}

impl Client {
    fn events_request(&self, method: Method, path: &'static str, body: Option<Value>) -> Request {
        Request {
            method,
            path,
            query: Vec::new(),
            // A `Value` prints as JSON without fail.
            body: body.map(|value| value.to_string().into()),
            form: None,
            basic_auth: None,
            host: Host::Events,
            answer: Answer::Text,
            credentials: Credentials::EventHeaders,
            // Setting or removing the account's URLs twice leaves them as asked.
            resend: Resend::Transient,
            paced: false,
        }
    }

    /// Subscribes the account's events to `urls` (replacing any earlier subscription: there
    /// is one per account). `auth` for `Unauthorized`; `invalid_input` (nothing sent) for a
    /// URL that is not absolute http(s) or carries credentials.
    pub async fn subscribe_events(&self, urls: &EventUrls) -> Result<SubscriptionResponse> {
        let call = webhook_url("call events URL", &urls.call, "Ozonetel")?;
        let agent = webhook_url("agent events URL", &urls.agent, "Ozonetel")?;
        let body = serde_json::json!({ "callEventsURL": call, "agentEventsURL": agent });
        let request = self.events_request(Method::POST, SUBSCRIBE_PATH, Some(body));
        let object = self
            .execute(&request)
            .await
            .map_err(|e| e.context("subscribing to events"))?;
        let message = answer_text(&object);
        if !message.to_ascii_lowercase().contains("success") {
            return Err(Error::Api {
                service: "ozonetel",
                message: format!("subscribing to events: {message}"),
                http_status: None,
            });
        }
        Ok(SubscriptionResponse {
            changed: true,
            message,
        })
    }

    /// The account's subscription; `None` when there is none ("Subscription doesnt exists").
    pub async fn event_subscriptions(&self) -> Result<Option<EventSubscriptions>> {
        let request = self.events_request(Method::GET, LIST_PATH, None);
        let object = match self.execute(&request).await {
            Ok(object) => object,
            Err(Error::Api { message, .. }) if no_subscription(&message) => return Ok(None),
            Err(e) => return Err(e.context("listing event subscriptions")),
        };
        if let Some(text) = object.get("text").and_then(Value::as_str) {
            if no_subscription(text) {
                return Ok(None);
            }
            return Err(Error::protocol(
                "the subscription list is not the JSON it should be",
                text,
            ));
        }
        let url = |key: &str| {
            object
                .get(key)
                .and_then(scalar_text)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Ok(Some(EventSubscriptions {
            call: url("callEventsURL"),
            agent: url("agentEventsURL"),
        }))
    }

    /// Removes the account's call, agent or both subscriptions. No subscription to remove is
    /// an outcome (`changed: false`), not an error.
    pub async fn unsubscribe_events(&self, kind: EventKind) -> Result<SubscriptionResponse> {
        let body = serde_json::json!({ "eventType": kind.as_str() });
        let request = self.events_request(Method::POST, UNSUBSCRIBE_PATH, Some(body));
        let object = match self.execute(&request).await {
            Ok(object) => object,
            Err(Error::Api { message, .. }) if no_subscription(&message) => {
                return Ok(SubscriptionResponse {
                    changed: false,
                    message,
                });
            }
            Err(e) => return Err(e.context("unsubscribing from events")),
        };
        let message = answer_text(&object);
        if no_subscription(&message) {
            return Ok(SubscriptionResponse {
                changed: false,
                message,
            });
        }
        if !message.to_ascii_lowercase().contains("success") {
            return Err(Error::Api {
                service: "ozonetel",
                message: format!("unsubscribing from events: {message}"),
                http_status: None,
            });
        }
        Ok(SubscriptionResponse {
            changed: true,
            message,
        })
    }
}

/// The text of a plain-text answer, or of a JSON one's `message`/`details`.
fn answer_text(object: &Map<String, Value>) -> String {
    object
        .get("text")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| text_of(object))
        .unwrap_or_default()
}
