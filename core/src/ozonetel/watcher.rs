//! A stream of new missed calls, each exactly once.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::time::{Interval, MissedTickBehavior};

use super::client::Client;
use super::reports::{AbandonedCall, AbandonedCallsQuery};
use crate::error::Result;

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
/// Failed polls are yielded as `Err` items and watching goes on; drop the stream to stop.
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

struct State {
    client: Client,
    query: AbandonedCallsQuery,
    ticker: Interval,
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

impl State {
    async fn poll_once(&mut self) {
        self.ticker.tick().await;
        let calls = match self.client.abandoned_calls(&self.query).await {
            Ok(calls) => calls,
            Err(e) => {
                tracing::warn!(error = %e, "missed-call poll failed; will poll again");
                self.ready.push_back(Err(e));
                return;
            }
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
        let mut ticker = tokio::time::interval(options.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let state = State {
            client: self.clone(),
            query: AbandonedCallsQuery {
                campaign_name: options.campaign_name,
                ..AbandonedCallsQuery::today()
            },
            ticker,
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
