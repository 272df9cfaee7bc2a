//! Keeps a client under a "N requests per window" limit by waiting, not by failing.
//! Ozonetel's CDR endpoints allow 2 requests a minute per account; a multi-day history query
//! would otherwise trip it on its third day.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Added to the window between slots. The server's clock starts when the request arrives,
/// ours when it leaves; with exactly the window between them a strict server counted three
/// requests in 60 s (gaps of 59.991 s and 59.998 s).
pub(crate) const MARGIN: Duration = Duration::from_secs(1);

pub(crate) struct Pacer {
    limit: usize,
    window: Duration,
    // Start times of the most recent requests; the lock is held while waiting so callers are
    // served in arrival order.
    recent: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Pacer {
            limit: limit.max(1) as usize,
            window,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// How long a request made now would have to wait.
    pub(crate) async fn delay(&self) -> Duration {
        let recent = self.recent.lock().await;
        self.wait_for(&recent, Instant::now())
    }

    fn wait_for(&self, recent: &VecDeque<Instant>, now: Instant) -> Duration {
        if recent.len() < self.limit {
            return Duration::ZERO;
        }
        let oldest = recent[recent.len() - self.limit];
        (oldest + self.window + MARGIN).saturating_duration_since(now)
    }

    /// Waits until one more request fits in the window, then counts it from now: call it
    /// right before the request is written (after any token fetch), once per attempt.
    ///
    /// With a `deadline`, a slot that would only free up after it is not waited for: `false`,
    /// and nothing is counted.
    pub(crate) async fn acquire(&self, deadline: Option<Instant>) -> bool {
        let mut recent = self.recent.lock().await;
        let wait = self.wait_for(&recent, Instant::now());
        if deadline.is_some_and(|d| Instant::now() + wait >= d) && !wait.is_zero() {
            return false;
        }
        if !wait.is_zero() {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing CDR request");
            tokio::time::sleep(wait).await;
        }
        let now = Instant::now();
        recent.push_back(now);
        while recent.len() > self.limit {
            recent.pop_front();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn third_request_waits_for_the_window() {
        let pacer = Pacer::new(2, Duration::from_secs(60));
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
        let pacer = Pacer::new(2, Duration::from_secs(60));
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
        let pacer = Pacer::new(1, Duration::from_secs(60));
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
}
