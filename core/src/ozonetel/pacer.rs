//! Keeps an account under a "N requests per window" limit by waiting, not by failing.
//! Ozonetel's CDR endpoints allow 2 requests a minute per account; a multi-day history query
//! would otherwise trip it on its third day.
//!
//! The window lives in the account's [`AccountStore`] (slot name `cdr`), so every client and
//! every process on that store shares it; inside one process callers queue in arrival order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::account_store::{AccountStore, MemoryAccountStore};
use crate::error::Result;

/// Added to the window between slots. The server's clock starts when the request arrives,
/// ours when it leaves; with exactly the window between them a strict server counted three
/// requests in 60 s (gaps of 59.991 s and 59.998 s).
pub(crate) const MARGIN: Duration = Duration::from_secs(1);

/// The store's slot name for the CDR pace.
const SLOT: &str = "cdr";

pub(crate) struct Pacer {
    limit: u32,
    /// The window plus [`MARGIN`].
    window: Duration,
    store: Arc<dyn AccountStore>,
    account: String,
    /// Used while `store` fails (Redis down): pacing per process beats not pacing at all,
    /// and a CDR request does not need the store otherwise (basic-auth accounts).
    fallback: MemoryAccountStore,
    /// Held while waiting, so callers in this process are served in arrival order. Across
    /// processes there is no order: whoever asks the store first after a slot frees gets it.
    queue: Mutex<()>,
}

impl Pacer {
    /// `limit` requests per `window` (plus [`MARGIN`]) for `account`, counted in `store`.
    pub(crate) fn new(
        limit: u32,
        window: Duration,
        store: Arc<dyn AccountStore>,
        account: String,
    ) -> Self {
        Pacer {
            limit: limit.max(1),
            window: window + MARGIN,
            store,
            account,
            fallback: MemoryAccountStore::new(),
            queue: Mutex::new(()),
        }
    }

    /// The store the window is counted in (the account's store).
    pub(crate) fn store(&self) -> &Arc<dyn AccountStore> {
        &self.store
    }

    /// The account the window is counted for.
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    /// How long a request made now would have to wait for the window (callers already queued
    /// in this process may make it longer).
    pub(crate) async fn delay(&self) -> Duration {
        self.ask(false).await
    }

    /// Asks the store for a slot (`take`: recording it when free) or only how long until one.
    async fn ask(&self, take: bool) -> Duration {
        match self.ask_store(self.store.as_ref(), take).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(error = %e, "CDR pace: the account store failed; counting in this process");
                self.ask_store(&self.fallback, take)
                    .await
                    .unwrap_or_default()
            }
        }
    }

    async fn ask_store(&self, store: &dyn AccountStore, take: bool) -> Result<Duration> {
        let (account, limit, window) = (self.account.as_str(), self.limit, self.window);
        if take {
            store.take_slot(account, SLOT, limit, window).await
        } else {
            store.slot_wait(account, SLOT, limit, window).await
        }
    }

    /// Waits until one more request fits in the window, then counts it from now: call it
    /// right before the request is written (after any token fetch), once per attempt.
    ///
    /// With a `deadline`, a slot that would only free up after it is not waited for: `false`,
    /// and nothing is counted.
    pub(crate) async fn acquire(&self, deadline: Option<Instant>) -> bool {
        let _turn = self.queue.lock().await;
        loop {
            let wait = self.ask(true).await;
            if wait.is_zero() {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return false;
            }
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing CDR request");
            // Then ask again: another process on the account may take the slot first.
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(limit: u32, window: Duration) -> Pacer {
        Pacer::new(
            limit,
            window,
            Arc::new(MemoryAccountStore::new()),
            "acme".into(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn third_request_waits_for_the_window() {
        let pacer = pacer(2, Duration::from_secs(60));
        let start = Instant::now();
        assert!(pacer.acquire(None).await);
        assert!(pacer.acquire(None).await);
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(pacer.delay().await, Duration::from_secs(61));
        pacer.acquire(None).await;
        assert_eq!(start.elapsed(), Duration::from_secs(61));
        pacer.acquire(None).await;
        assert_eq!(start.elapsed(), Duration::from_secs(61));
        pacer.acquire(None).await;
        assert_eq!(start.elapsed(), Duration::from_secs(122));
    }

    /// Any three consecutive slots span more than the window: what a strict server counts.
    #[tokio::test(start_paused = true)]
    async fn three_slots_never_fit_in_one_window() {
        let pacer = pacer(2, Duration::from_secs(60));
        let mut slots = Vec::new();
        for i in 0..7u64 {
            // Uneven arrival: some callers come late, as a slow token fetch would make them.
            tokio::time::advance(Duration::from_millis(i * 7_919 % 13_000)).await;
            pacer.acquire(None).await;
            slots.push(Instant::now());
        }
        for w in slots.windows(3) {
            assert!(w[2] - w[0] > Duration::from_secs(60), "{:?}", w[2] - w[0]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_after_the_deadline_is_not_taken() {
        let pacer = pacer(1, Duration::from_secs(60));
        assert!(pacer.acquire(None).await);
        let soon = Instant::now() + Duration::from_secs(10);
        assert!(!pacer.acquire(Some(soon)).await, "would wait 61 s");
        assert_eq!(
            pacer.delay().await,
            Duration::from_secs(61),
            "nothing counted"
        );
        let later = Instant::now() + Duration::from_secs(90);
        assert!(pacer.acquire(Some(later)).await);
    }

    /// Two pacers on one store (two clients, or two processes on Redis) share the window.
    #[tokio::test(start_paused = true)]
    async fn pacers_on_one_store_share_the_window() {
        let store: Arc<dyn AccountStore> = Arc::new(MemoryAccountStore::new());
        let a = Pacer::new(2, Duration::from_secs(60), store.clone(), "acme".into());
        let b = Pacer::new(2, Duration::from_secs(60), store.clone(), "acme".into());
        let other = Pacer::new(2, Duration::from_secs(60), store, "umbrella".into());
        let start = Instant::now();
        assert!(a.acquire(None).await);
        assert!(b.acquire(None).await);
        assert!(
            other.acquire(None).await,
            "another account has its own window"
        );
        assert_eq!(b.delay().await, Duration::from_secs(61));
        let (x, y) = tokio::join!(a.acquire(None), b.acquire(None));
        assert!(x && y);
        assert_eq!(start.elapsed(), Duration::from_secs(61));
        b.acquire(None).await;
        assert_eq!(start.elapsed(), Duration::from_secs(122));
    }

    /// In one process, waiting callers are served in arrival order.
    #[tokio::test(start_paused = true)]
    async fn waiting_callers_are_served_in_arrival_order() {
        let pacer = Arc::new(pacer(1, Duration::from_secs(10)));
        assert!(pacer.acquire(None).await);
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..4 {
            let (pacer, order) = (pacer.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                pacer.acquire(None).await;
                order.lock().unwrap().push(i);
            }));
            // Let each caller queue before the next arrives.
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
    }
}
