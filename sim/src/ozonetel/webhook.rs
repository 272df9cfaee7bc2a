//! Delivering call and agent events to the subscribed URLs, off the request path.
//!
//! Handlers only queue an [`Outgoing`] (an unbounded channel send, safe under the state lock);
//! a worker started with the simulator POSTs them. Each URL gets its own queue, so events for
//! one receiver arrive in the order they happened (Calling, Answered, Disconnect) while a dead
//! receiver only delays its own events. A POST waits at most [`POST_TIMEOUT`] and is tried
//! [`ATTEMPTS`] times; every delivery, failed or not, is recorded for tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::wire::DATE_TIME_FORMAT;
use crate::clock::SimClock;
use crate::faults::{lock, stopped};

/// How long one POST may take.
pub(crate) const POST_TIMEOUT: Duration = Duration::from_secs(2);
/// Tries per event (the first plus retries).
pub(crate) const ATTEMPTS: u32 = 3;

/// Which subscription an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Sent to `callEventsURL`.
    Call,
    /// Sent to `agentEventsURL`.
    Agent,
}

/// One event to POST.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub kind: EventKind,
    pub url: String,
    /// The JSON body; `eventTime` is filled in when it is sent.
    pub body: serde_json::Map<String, Value>,
}

/// One event the simulator POSTed (or tried to).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventDelivery {
    /// Call or agent event.
    pub kind: EventKind,
    /// The subscribed URL.
    pub url: String,
    /// The JSON body as last sent.
    pub body: Value,
    /// POSTs made (1 when the first one was answered 2xx).
    pub attempts: u32,
    /// The last HTTP status received, if any.
    pub status: Option<u16>,
    /// Whether a 2xx answer arrived.
    pub delivered: bool,
    /// The last failure, when not delivered.
    pub error: Option<String>,
    /// When it was queued, by the simulator's clock.
    pub queued_at: DateTime<Utc>,
}

/// The record of deliveries tests read.
pub(crate) type Deliveries = Arc<Mutex<Vec<EventDelivery>>>;

/// Starts the dispatcher; the returned sender goes into the Ozonetel state.
pub(crate) fn start(
    clock: SimClock,
    deliveries: Deliveries,
    shutdown: watch::Receiver<bool>,
) -> mpsc::UnboundedSender<Outgoing> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let client = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .build()
        .unwrap_or_default();
    tokio::spawn(async move {
        let mut per_url: HashMap<String, mpsc::UnboundedSender<(Outgoing, DateTime<Utc>)>> =
            HashMap::new();
        let mut stop = shutdown.clone();
        loop {
            let out = tokio::select! {
                o = rx.recv() => match o { Some(o) => o, None => break },
                _ = stopped(&mut stop) => break,
            };
            let queued_at = clock.now();
            let queue = per_url.entry(out.url.clone()).or_insert_with(|| {
                spawn_url_worker(
                    client.clone(),
                    clock.clone(),
                    deliveries.clone(),
                    shutdown.clone(),
                )
            });
            let _ = queue.send((out, queued_at));
        }
    });
    tx
}

fn spawn_url_worker(
    client: reqwest::Client,
    clock: SimClock,
    deliveries: Deliveries,
    shutdown: watch::Receiver<bool>,
) -> mpsc::UnboundedSender<(Outgoing, DateTime<Utc>)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Outgoing, DateTime<Utc>)>();
    tokio::spawn(async move {
        let mut stop = shutdown;
        loop {
            let (out, queued_at) = tokio::select! {
                o = rx.recv() => match o { Some(o) => o, None => break },
                _ = stopped(&mut stop) => break,
            };
            let record = deliver(&client, &clock, out, queued_at, &mut stop).await;
            lock(&deliveries).push(record);
        }
    });
    tx
}

async fn deliver(
    client: &reqwest::Client,
    clock: &SimClock,
    mut out: Outgoing,
    queued_at: DateTime<Utc>,
    stop: &mut watch::Receiver<bool>,
) -> EventDelivery {
    let mut record = EventDelivery {
        kind: out.kind,
        url: out.url.clone(),
        body: Value::Null,
        attempts: 0,
        status: None,
        delivered: false,
        error: None,
        queued_at,
    };
    for attempt in 1..=ATTEMPTS {
        // eventTime is "the time of the API hit": the time of this POST.
        let hit = clock.now_naive_local().format(DATE_TIME_FORMAT).to_string();
        out.body.insert("eventTime".into(), Value::from(hit));
        let body = Value::Object(out.body.clone());
        record.attempts = attempt;
        record.body = body.clone();
        match client.post(&out.url).json(&body).send().await {
            Ok(resp) => {
                record.status = Some(resp.status().as_u16());
                if resp.status().is_success() {
                    record.delivered = true;
                    record.error = None;
                    return record;
                }
                record.error = Some(format!("HTTP {}", resp.status().as_u16()));
            }
            // Without the URL: a subscriber's URL may carry a secret in its query string.
            Err(e) => record.error = Some(describe(&e)),
        }
        if attempt < ATTEMPTS {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))) => {}
                _ = stopped(stop) => return record,
            }
        }
    }
    record
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}
