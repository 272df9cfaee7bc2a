//! `OzonetelClient`'s account-level desk methods — dispositions, event subscriptions, event
//! parsing, a call event's CDR record — and `CallRecordPages`, the paginated CDR as an async
//! iterator. What acts as an agent is on `OzonetelAgent` (`agent.rs`).

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use helix_engage::ozonetel::{
    CallEvent, CallEventAction, CdrPage, Event, EventKind, EventTime, EventUrls,
};
use napi::Env;
use napi::bindgen_prelude::{Object, PromiseRaw, This, Unknown, ValueType};
use napi_derive::napi;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::watch;

use crate::args;
use crate::error::{invalid, throw, to_napi};
use crate::ozonetel::{CallRecordsArg, OzonetelClient, call_records_query};
use crate::promise::{arg, iterator_result, settle, settle_with};

/// `EventUrls`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EventUrlsArg {
    call: String,
    agent: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum EventKindArg {
    Call,
    Agent,
    Both,
}

/// What `callRecordFor` reads of a `CallEvent` (as `parseEvent` returned it): the UCID and
/// the times, from which the core finds the call's day. Other fields are ignored, so the
/// object `parseEvent` gave can be passed back whole.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallEventArg {
    kind: Option<String>,
    ucid: String,
    sent_at: EventTimeArg,
    occurred_at: EventTimeArg,
}

#[derive(Deserialize)]
struct EventTimeArg {
    raw: String,
}

/// A JS `CallEvent` back to the core's, for `call_record_for`: only what that reads is
/// meaningful (the UCID and the times, re-read from their text as the parser read them).
fn call_event(e: CallEventArg) -> helix_engage::Result<CallEvent> {
    if let Some(kind) = e.kind.filter(|k| k != "call") {
        return Err(helix_engage::Error::InvalidInput(format!(
            "callRecordFor needs a call event, got kind {}",
            helix_engage::text::short(&kind, 20)
        )));
    }
    Ok(CallEvent {
        event_type: String::new(),
        sent_at: EventTime::parse(&e.sent_at.raw),
        occurred_at: EventTime::parse(&e.occurred_at.raw),
        username: String::new(),
        action: CallEventAction::Other(String::new()),
        call_type: String::new(),
        ucid: e.ucid,
        monitor_ucid: Default::default(),
        agent_id: String::new(),
        skill: String::new(),
        caller_id: String::new(),
        did: String::new(),
        agent_number: String::new(),
        extra: Default::default(),
    })
}

/// `{ kind: 'call', ...CallEvent }` or `{ kind: 'agent', ...AgentEvent }`: the core's
/// `Event` with its kind beside the fields, so TypeScript narrows on `event.kind`.
fn flat_event(event: &Event) -> Value {
    let (kind, fields) = match event {
        Event::Call(e) => ("call", serde_json::to_value(e)),
        Event::Agent(e) => ("agent", serde_json::to_value(e)),
    };
    let mut fields = match fields {
        Ok(Value::Object(map)) => map,
        _ => Default::default(),
    };
    fields.insert("kind".into(), kind.into());
    Value::Object(fields)
}

/// An event body: a `Buffer`/`Uint8Array` (as received) or a string.
fn event_body(env: &Env, body: Unknown) -> napi::Result<Vec<u8>> {
    if body.get_type()? == ValueType::String {
        return Ok(args::string(env, body, "body")?.into_bytes());
    }
    // Not a string: bytes, or the bytes reader's error (which names what it got).
    Ok(args::bytes(env, body, "body (or a string)")?.to_vec())
}

#[napi]
impl OzonetelClient {
    /// The account's disposition codes (`DispositionAPIV2` `action=get`): what
    /// `agent.dispose` accepts.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn dispositions<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.client.clone();
        settle(env, async move { client.dispositions().await })
    }

    /// Subscribes the account's call and agent events to two http(s) URLs (both required by
    /// Ozonetel). Subscriptions are the account's: one URL receives every agent's events.
    #[napi(
        ts_args_type = "urls: EventUrls",
        ts_return_type = "Promise<SubscriptionResponse>"
    )]
    pub fn subscribe_events<'env>(
        &self,
        env: &'env Env,
        urls: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let u: EventUrlsArg = arg!(env, args::object(env, urls, "urls"));
        let urls = EventUrls {
            call: u.call,
            agent: u.agent,
        };
        let client = self.client.clone();
        settle(env, async move { client.subscribe_events(&urls).await })
    }

    /// The account's current subscription; `null` when there is none.
    #[napi(ts_return_type = "Promise<EventSubscriptions | null>")]
    pub fn event_subscriptions<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let client = self.client.clone();
        settle(env, async move { client.event_subscriptions().await })
    }

    /// Removes the call, agent or both subscriptions; `changed: false` when there was none.
    #[napi(
        ts_args_type = "kind: 'call' | 'agent' | 'both'",
        ts_return_type = "Promise<SubscriptionResponse>"
    )]
    pub fn unsubscribe_events<'env>(
        &self,
        env: &'env Env,
        kind: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let kind = arg!(env, args::string(env, kind, "kind"));
        let kind = match serde_json::from_value::<EventKindArg>(Value::String(kind)) {
            Ok(EventKindArg::Call) => EventKind::Call,
            Ok(EventKindArg::Agent) => EventKind::Agent,
            Ok(EventKindArg::Both) => EventKind::Both,
            Err(_) => {
                return crate::promise::rejected(
                    env,
                    invalid(env, "kind must be 'call', 'agent' or 'both'"),
                );
            }
        };
        let client = self.client.clone();
        settle(env, async move { client.unsubscribe_events(kind).await })
    }

    /// Reads what Ozonetel POSTed to a webhook: the request's `Content-Type` (JSON or
    /// `application/x-www-form-urlencoded`) and its raw body. Returns a `CallEvent` or an
    /// `AgentEvent`, told apart by `kind`; UCIDs are exact strings. Throws `INVALID_INPUT`
    /// when the body is no event (too large, unreadable, neither kind).
    #[napi(
        ts_args_type = "contentType: string, body: Buffer | Uint8Array | string",
        ts_return_type = "OzonetelEvent"
    )]
    pub fn parse_event<'env>(
        env: &'env Env,
        content_type: Unknown,
        body: Unknown,
    ) -> napi::Result<Unknown<'env>> {
        let content_type = args::string(env, content_type, "contentType")?;
        let body = event_body(env, body)?;
        let event = Event::parse(&content_type, &body).map_err(|e| throw(env, e))?;
        env.to_js_value(&flat_event(&event))
    }

    /// The CDR record of the call an event is about (`fetchCdrByUCID` with the event's
    /// `ucid` — never `monitorUcid` — on the event's day, under the account's CDR pace);
    /// `null` when Ozonetel has none yet (it appears after the call ends).
    #[napi(
        ts_args_type = "event: CallEvent",
        ts_return_type = "Promise<CallRecord | null>"
    )]
    pub fn call_record_for<'env>(
        &self,
        env: &'env Env,
        event: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let e: CallEventArg = arg!(env, args::object(env, event, "event"));
        let event = arg!(env, call_event(e).map_err(|e| to_napi(env, &e)));
        let client = self.client.clone();
        settle(env, async move { client.call_record_for(&event).await })
    }

    /// Call history as pages of `pageSize` records (1..=500; `fetchCdrByPagination`), day by
    /// day over the query's window, each page a request paced to the account's CDR limit: an
    /// async iterator of `CdrPage`. A bad query or page size rejects the first `next()`
    /// (nothing sent); the iterator ends after an error; `return()` stops it.
    #[napi(
        ts_args_type = "query: CallRecordsQuery, pageSize: number",
        ts_return_type = "CallRecordPages"
    )]
    pub fn call_record_pages(
        &self,
        env: Env,
        query: Unknown,
        page_size: Unknown,
    ) -> napi::Result<CallRecordPages> {
        let q: CallRecordsArg = args::object(&env, query, "query")?;
        let query = call_records_query(q).map_err(|e| throw(&env, e))?;
        let page_size = args::page_size(&env, page_size, "pageSize")?;
        let stream: PageStream = Box::pin(self.client.call_record_pages(&query, page_size));
        let (closed_tx, closed_rx) = watch::channel(false);
        Ok(CallRecordPages {
            stream: Arc::new(tokio::sync::Mutex::new(Some(stream))),
            closed_tx,
            closed_rx,
        })
    }
}

type PageStream = Pin<Box<dyn Stream<Item = helix_engage::Result<CdrPage>> + Send>>;

/// CDR pages as an async iterator: `for await (const page of client.callRecordPages(q, 100))`.
#[napi]
pub struct CallRecordPages {
    /// `None` once finished or returned: no request outlives the iterator.
    stream: Arc<tokio::sync::Mutex<Option<PageStream>>>,
    closed_tx: watch::Sender<bool>,
    closed_rx: watch::Receiver<bool>,
}

#[napi]
impl CallRecordPages {
    /// The next page; `{ done: true }` after the last one or once returned. A failed request
    /// rejects, and the iterator is done after it.
    #[napi(ts_return_type = "Promise<IteratorResult<CdrPage, undefined>>")]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let stream = self.stream.clone();
        let mut closed = self.closed_rx.clone();
        settle_with(
            env,
            async move {
                if *closed.borrow() {
                    return Ok(None);
                }
                let mut guard = stream.lock().await;
                let Some(pages) = guard.as_mut() else {
                    return Ok(None);
                };
                let item = tokio::select! {
                    item = pages.next() => item,
                    _ = closed.wait_for(|c| *c) => None,
                };
                match item {
                    Some(Ok(page)) => Ok(Some(page)),
                    Some(Err(e)) => {
                        guard.take();
                        Err(e)
                    }
                    None => {
                        guard.take();
                        Ok(None)
                    }
                }
            },
            iterator_result,
        )
    }

    /// Stops paging; a pending `next()` resolves `{ done: true }`.
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<CdrPage, undefined>>"
    )]
    pub fn finish<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let _ = self.closed_tx.send(true);
        let stream = self.stream.clone();
        settle_with(
            env,
            async move {
                stream.lock().await.take();
                Ok(())
            },
            |env, ()| iterator_result::<()>(env, None),
        )
    }

    /// The iterator is its own async iterator.
    #[napi(
        well_known_symbol = "asyncIterator",
        ts_return_type = "CallRecordPages"
    )]
    pub fn iterator<'env>(&self, this: This<'env>) -> This<'env> {
        this
    }
}
