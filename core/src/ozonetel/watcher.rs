//! A stream of new missed calls, each exactly once — and one poller per account and filter,
//! however many watchers (clients, processes) share the account's store.
//!
//! Each interval a watcher asks the store for the filter's lease. The holder polls Ozonetel and
//! publishes each successful poll's list; the others read that list instead of polling. Every
//! watcher diffs the list it got against its own previous one, so each yields each new call
//! once whoever polled. A holder that dies stops renewing; its lease runs out after
//! [`LEASE_INTERVALS`] intervals and the next watcher to ask takes over.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use serde_json::Value;
use tokio::time::{Interval, MissedTickBehavior};

use super::account_store::AccountStore;
use super::client::Client;
use super::reports::{AbandonedCall, AbandonedCallsQuery};
use crate::error::{Error, Result};

/// The lease lives this many of the holder's intervals: renewed each poll, so a holder that
/// is merely slow keeps it, and one that is gone is replaced within that many intervals.
pub(crate) const LEASE_INTERVALS: u32 = 3;
/// The published list lives this many intervals: longer than the lease, so followers never
/// go without a list during a take-over, and its absence means the holder keeps failing.
const LIST_INTERVALS: u32 = LEASE_INTERVALS + 2;

/// Options for [`Client::watch_missed_calls_with`].
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Time between polls (default 30 s; range 100..=86 400 000 ms — keep it at 10 s or more
    /// against Ozonetel).
    pub interval: Duration,
    /// Also yield the calls already missed when watching starts (default: only new ones).
    pub include_existing: bool,
    /// Only this campaign.
    pub campaign_name: Option<String>,
}

impl WatchOptions {
    /// Checks the options against their documented ranges. A watcher with invalid options
    /// yields this error once and ends; hosts that build a watcher synchronously (the Node
    /// binding) call it first.
    pub fn validate(&self) -> Result<()> {
        crate::range::millis("interval", self.interval, 100..=86_400_000)
    }
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            interval: Duration::from_secs(30),
            include_existing: false,
            campaign_name: None,
        }
    }
}

/// Polls today's abandoned calls and yields each call not seen before, once.
///
/// Watchers on one account and campaign filter that share an account store (clones of a
/// client, clients given one store, processes on one `RedisAccountStore`) poll Ozonetel once
/// between them: the lease holder polls every `interval` and publishes the list, the others
/// read it every `interval` (so they see it at the holder's pace). Each watcher still yields
/// each new call once, as if it polled alone.
///
/// Errors: the polling watcher yields its failed polls as `Err` items and watching goes on.
/// The others do not repeat those; when they find no published list 5 intervals in a row (the
/// holder keeps failing) each yields one [`Error::Timeout`](crate::Error::Timeout) item, and
/// no other until a list is published again. When the store
/// itself fails (Redis down), a watcher polls Ozonetel on its own, as a lone watcher would.
/// Drop the stream to stop (the lease is released at once).
///
/// Created by [`Client::watch_missed_calls`].
pub struct MissedCallWatcher {
    inner: Pin<Box<dyn Stream<Item = Result<AbandonedCall>> + Send>>,
}

impl Stream for MissedCallWatcher {
    type Item = Result<AbandonedCall>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for MissedCallWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MissedCallWatcher")
    }
}

/// This watcher's part in sharing one poll between watchers of the same account and filter.
struct Share {
    store: Arc<dyn AccountStore>,
    account: String,
    /// The lease's and the published list's name: `missed-calls` plus the campaign filter.
    name: String,
    /// Random, this watcher's own.
    holder: String,
    lease_ttl: Duration,
    list_ttl: Duration,
    /// Whether the last lease request took or renewed it.
    leading: bool,
    /// Intervals in a row the holder's list was missing (reported once, at `LIST_INTERVALS`).
    missing: u32,
}

impl Drop for Share {
    fn drop(&mut self) {
        // Hand the lease over now rather than after its TTL. Best effort: without a runtime
        // (the stream dropped after shutdown) it simply expires.
        if !self.leading {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (store, account, name, holder) = (
            self.store.clone(),
            std::mem::take(&mut self.account),
            std::mem::take(&mut self.name),
            std::mem::take(&mut self.holder),
        );
        runtime.spawn(async move {
            if let Err(e) = store.release_lease(&account, &name, &holder).await {
                tracing::debug!(error = %e, "could not release the watcher lease; it expires by itself");
            }
        });
    }
}

/// What one interval brought.
enum Turn {
    /// A list to diff: polled here, or published by the holder.
    List(Vec<AbandonedCall>),
    /// An error to yield.
    Failed(Error),
    /// Nothing this interval (no published list yet).
    Nothing,
}

struct State {
    client: Client,
    share: Share,
    query: AbandonedCallsQuery,
    /// Made at the first poll, inside the runtime: `tokio::time::interval` panics outside
    /// one, and `watch_missed_calls` is a plain function a host may call anywhere (found by
    /// tests/proptest_ozonetel.rs).
    ticker: Option<Interval>,
    interval: Duration,
    /// The keys of the previous successful poll's list. A call is new when its key is not
    /// here; `callTime` never decides it (Ozonetel's clock, the account's time zone and the
    /// query window all differ from ours, so a date horizon re-reported old calls forever).
    previous: HashSet<String>,
    ready: VecDeque<Result<AbandonedCall>>,
    baseline_pending: bool,
}

/// What makes a missed call the same call across polls.
fn key_of(call: &AbandonedCall) -> String {
    if call.monitor_ucid.is_empty() {
        format!("{}|{}", call.caller_id, call.call_time)
    } else {
        call.monitor_ucid.clone()
    }
}

/// `AbandonedCall`'s serialised names (camelCase for hosts) that differ from Ozonetel's, which
/// are what it deserialises: the published list is written in Ozonetel's names.
const WIRE_NAMES: [(&str, &str); 4] = [
    ("monitorUcid", "monitorUCID"),
    ("callerId", "callerID"),
    ("skillId", "skillID"),
    ("agentId", "agentID"),
];

/// The list as published: Ozonetel's own JSON shape, so reading it back is the same decoding.
fn encode_list(calls: &[AbandonedCall]) -> Result<String> {
    let mut items = Vec::with_capacity(calls.len());
    for call in calls {
        let mut item = serde_json::to_value(call)
            .map_err(|e| Error::protocol(format!("cannot encode a missed call: {e}"), ""))?;
        if let Value::Object(fields) = &mut item {
            for (ours, theirs) in WIRE_NAMES {
                if let Some(v) = fields.remove(ours) {
                    fields.insert(theirs.to_string(), v);
                }
            }
        }
        items.push(item);
    }
    Ok(Value::Array(items).to_string())
}

fn decode_list(text: &str) -> Option<Vec<AbandonedCall>> {
    serde_json::from_str(text).ok()
}

impl Share {
    fn new(client: &Client, options: &WatchOptions) -> Self {
        let pacer = client.transport().cdr_pacer();
        Share {
            store: pacer.store().clone(),
            account: pacer.account().to_string(),
            name: match &options.campaign_name {
                Some(campaign) => format!("missed-calls:campaign:{campaign}"),
                None => "missed-calls".to_string(),
            },
            holder: format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
            lease_ttl: options.interval * LEASE_INTERVALS,
            list_ttl: options.interval * LIST_INTERVALS,
            leading: false,
            missing: 0,
        }
    }

    /// Polls when this watcher holds (or takes) the lease, else reads the holder's list.
    async fn turn(&mut self, client: &Client, query: &AbandonedCallsQuery) -> Turn {
        let (account, name) = (self.account.as_str(), self.name.as_str());
        let leading = self
            .store
            .try_lease(account, name, &self.holder, self.lease_ttl)
            .await;
        match leading {
            Ok(true) => {
                if !self.leading {
                    tracing::debug!(account, name, "this watcher now polls for the account");
                }
                self.leading = true;
                return self.poll(client, query, true).await;
            }
            Ok(false) => self.leading = false,
            Err(e) => {
                tracing::warn!(error = %e, "watcher lease: the account store failed; polling alone");
                return self.poll(client, query, false).await;
            }
        }
        match self.store.read(account, name).await {
            Ok(Some(text)) => match decode_list(&text) {
                Some(calls) => {
                    self.missing = 0;
                    Turn::List(calls)
                }
                None => {
                    // Another version's shape, say: never quoted (it holds callers' numbers).
                    tracing::warn!(
                        name,
                        "the published missed-call list cannot be read; skipped"
                    );
                    Turn::Nothing
                }
            },
            Ok(None) => {
                self.missing = self.missing.saturating_add(1);
                if self.missing != LIST_INTERVALS {
                    return Turn::Nothing;
                }
                Turn::Failed(Error::Timeout(format!(
                    "no missed-call list from the watcher polling this account for \
                     {LIST_INTERVALS} intervals: its polls are failing (it reports them) or it \
                     stopped; still watching"
                )))
            }
            Err(e) => {
                tracing::warn!(error = %e, "watcher list: the account store failed; polling alone");
                self.poll(client, query, false).await
            }
        }
    }

    async fn poll(&self, client: &Client, query: &AbandonedCallsQuery, publish: bool) -> Turn {
        let calls = match client.abandoned_calls(query).await {
            Ok(calls) => calls,
            Err(e) => {
                tracing::warn!(error = %e, "missed-call poll failed; will poll again");
                return Turn::Failed(e);
            }
        };
        if publish {
            let published = match encode_list(&calls) {
                Ok(text) => {
                    self.store
                        .publish(&self.account, &self.name, &text, self.list_ttl)
                        .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = published {
                tracing::warn!(error = %e, "could not publish the missed-call list to the other watchers");
            }
        }
        Turn::List(calls)
    }
}

impl State {
    async fn poll_once(&mut self) {
        let interval = self.interval;
        let ticker = self.ticker.get_or_insert_with(|| {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker
        });
        ticker.tick().await;
        let calls = match self.share.turn(&self.client, &self.query).await {
            Turn::List(calls) => calls,
            Turn::Failed(e) => {
                self.ready.push_back(Err(e));
                return;
            }
            Turn::Nothing => return,
        };
        let yield_new = !std::mem::take(&mut self.baseline_pending);
        let mut current = HashSet::with_capacity(calls.len());
        for call in calls {
            let key = key_of(&call);
            // `current.insert` also drops a call listed twice in one answer.
            if current.insert(key.clone()) && yield_new && !self.previous.contains(&key) {
                self.ready.push_back(Ok(call));
            }
        }
        self.previous = current;
    }
}

impl Client {
    /// Watches for new missed calls, polling every `interval`; calls already missed when it
    /// starts are not reported.
    ///
    /// ```no_run
    /// # async fn demo(client: helix_engage::ozonetel::Client) {
    /// use futures::StreamExt;
    /// let mut missed = client.watch_missed_calls(std::time::Duration::from_secs(30));
    /// while let Some(call) = missed.next().await {
    ///     match call {
    ///         Ok(call) => println!("missed call from {}", call.caller_id),
    ///         Err(e) => eprintln!("poll failed ({}), still watching", e.code()),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn watch_missed_calls(&self, interval: Duration) -> MissedCallWatcher {
        self.watch_missed_calls_with(WatchOptions {
            interval,
            ..Default::default()
        })
    }

    /// [`watch_missed_calls`](Self::watch_missed_calls) with all options.
    pub fn watch_missed_calls_with(&self, options: WatchOptions) -> MissedCallWatcher {
        if let Err(e) = options.validate() {
            return MissedCallWatcher {
                inner: Box::pin(futures::stream::once(async move { Err(e) })),
            };
        }
        let state = State {
            share: Share::new(self, &options),
            client: self.clone(),
            query: AbandonedCallsQuery {
                campaign_name: options.campaign_name,
                ..AbandonedCallsQuery::today()
            },
            ticker: None,
            interval: options.interval,
            previous: HashSet::new(),
            ready: VecDeque::new(),
            baseline_pending: !options.include_existing,
        };
        let stream = futures::stream::unfold(state, |mut state| async move {
            loop {
                if let Some(item) = state.ready.pop_front() {
                    return Some((item, state));
                }
                state.poll_once().await;
            }
        });
        MissedCallWatcher {
            inner: Box::pin(stream),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by tests/proptest_ozonetel.rs: making a watcher outside a Tokio runtime panicked
    /// (its ticker was made at once); it is made at the first poll now.
    #[test]
    fn a_watcher_can_be_made_outside_a_runtime() {
        let client = Client::builder()
            .user_name("watcher-outside-runtime")
            .api_key("k")
            .build()
            .unwrap();
        let watcher = client.watch_missed_calls(Duration::from_secs(30));
        drop(watcher);
    }

    /// The published list reads back as the same calls, unknown fields included.
    #[test]
    fn a_published_list_reads_back_unchanged() {
        let wire = r#"[{"monitorUCID":31733467784618201,"type":"Inbound","status":"NotAnswered",
            "campaign":"c","callerID":"09876543210","did":"918041763265","skillID":"7",
            "skill":"Sales","agentID":"a1","agent":"Asha","hangupBy":"CustomerHangup",
            "callTime":"2025-09-01 11:49:33","queueTime":"00:00:12"}]"#;
        let calls: Vec<AbandonedCall> = serde_json::from_str(wire).unwrap();
        assert_eq!(calls[0].monitor_ucid, "31733467784618201");
        let text = encode_list(&calls).unwrap();
        assert_eq!(decode_list(&text).unwrap(), calls);
        assert!(decode_list("{\"v\":2}").is_none());
    }
}
