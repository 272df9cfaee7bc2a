//! Keeps a client under a "N requests per window" limit by waiting, not by failing.
//! Ozonetel's CDR endpoints allow 2 requests a minute per account; a multi-day history query
//! would otherwise trip it on its third day.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

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
        (oldest + self.window).saturating_duration_since(now)
    }

    /// Waits until one more request fits in the window, then counts it.
    pub(crate) async fn acquire(&self) {
        let mut recent = self.recent.lock().await;
        let wait = self.wait_for(&recent, Instant::now());
        if !wait.is_zero() {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing CDR request");
            tokio::time::sleep(wait).await;
        }
        let now = Instant::now();
        recent.push_back(now);
        while recent.len() > self.limit {
            recent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn third_request_waits_for_the_window() {
        let pacer = Pacer::new(2, Duration::from_secs(60));
        let start = Instant::now();
        pacer.acquire().await;
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(pacer.delay().await, Duration::from_secs(60));
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(120));
    }
}
