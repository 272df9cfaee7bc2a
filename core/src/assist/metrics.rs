//! Session metrics: first-class data on events and on the summary, not log lines.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;

/// Distribution of a latency over the session (milliseconds in JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencyStats {
    /// Samples seen.
    pub count: u64,
    /// Mean of all samples.
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub mean: Duration,
    /// Median of the most recent samples (up to 1024).
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub p50: Duration,
    /// 95th percentile of the most recent samples.
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub p95: Duration,
    /// Largest sample.
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub max: Duration,
    /// Most recent sample.
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub last: Duration,
}

/// What a session did, readable live ([`LiveAssist::metrics`](super::LiveAssist::metrics)) and
/// in the [`CallSummary`](super::CallSummary). The audio figures (seconds received, sent,
/// replayed and held) are kept by the session and brought up to date when they are read;
/// read live while the session's task is busy that instant, they may be one session tick
/// behind (a quarter of the shorter of [`Timing::watchdog`](super::Timing::watchdog) and
/// [`Timing::keepalive_after`](super::Timing::keepalive_after), 1 s by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistMetrics {
    /// Seconds of audio the host pushed and the session accepted.
    pub audio_seconds_received: f64,
    /// Seconds of audio written to Deepgram, replays included.
    pub audio_seconds_sent: f64,
    /// Seconds of audio written again after a reconnect.
    pub audio_seconds_replayed: f64,
    /// Seconds of audio lost: chunks dropped at a full queue, or audio that fell out of the
    /// replay buffer before it could be sent, or before Deepgram finalised it on a socket that
    /// was then lost (counted at the reconnect).
    pub audio_seconds_dropped: f64,
    /// Seconds of audio withheld from Deepgram because the call was private
    /// ([`LiveAssist::set_private`](super::LiveAssist::set_private)): discarded in `send_audio`,
    /// never buffered, sent or replayed.
    pub private_seconds: f64,
    /// Seconds of audio the replay buffer holds now: handed over by the host and not yet
    /// finalised by Deepgram (what a reconnect would replay). Bounded by
    /// [`AssistConfig::replay_buffer`](super::AssistConfig::replay_buffer); 0 for containerised
    /// audio, which has no byte rate.
    pub replay_buffer_seconds: f64,
    /// Chunks `send_audio` refused because its queue was full.
    pub dropped_chunks: u64,
    /// Successful reconnects.
    pub reconnects: u64,
    /// `KeepAlive` messages sent.
    pub keepalives_sent: u64,
    /// Events discarded because the host did not read them in time.
    pub events_dropped: u64,
    /// From the host's `send_audio` of a final's last audio byte to that final arriving
    /// (reconnect delays included).
    pub transcript_latency: LatencyStats,
    /// Suggestion requests started.
    pub suggestion_requests: u64,
    /// Suggestion requests that failed or timed out.
    pub suggestion_failures: u64,
    /// From a suggestion request's start to its answer.
    pub suggestion_latency: LatencyStats,
}

/// Running accumulator behind a [`LatencyStats`].
#[derive(Debug, Default)]
pub(crate) struct LatencyAcc {
    count: u64,
    total: Duration,
    max: Duration,
    recent: VecDeque<Duration>,
}

const RECENT: usize = 1024;

impl LatencyAcc {
    pub fn record(&mut self, d: Duration) {
        self.count += 1;
        self.total = self.total.saturating_add(d);
        self.max = self.max.max(d);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(d);
    }

    pub fn stats(&self) -> LatencyStats {
        let mut sorted: Vec<Duration> = self.recent.iter().copied().collect();
        sorted.sort();
        let pick = |q: f64| {
            if sorted.is_empty() {
                Duration::ZERO
            } else {
                let i = ((sorted.len() - 1) as f64 * q).round() as usize;
                sorted.get(i).copied().unwrap_or_default()
            }
        };
        let count = u32::try_from(self.count).unwrap_or(u32::MAX);
        LatencyStats {
            count: self.count,
            mean: if count == 0 {
                Duration::ZERO
            } else {
                self.total / count
            },
            p50: pick(0.5),
            p95: pick(0.95),
            max: self.max,
            last: self.recent.back().copied().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct MetricsInner {
    pub m: AssistMetrics,
    pub transcript: LatencyAcc,
    pub suggestion: LatencyAcc,
}

/// Shared between the handle (drops happen on the caller's thread), the session and the
/// suggestion engine. A plain mutex: every critical section is a few additions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics(Arc<Mutex<MetricsInner>>);

impl Metrics {
    pub fn update(&self, f: impl FnOnce(&mut MetricsInner)) {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard);
    }

    pub fn snapshot(&self) -> AssistMetrics {
        let guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut m = guard.m.clone();
        m.transcript_latency = guard.transcript.stats();
        m.suggestion_latency = guard.suggestion.stats();
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_stats_summarise_samples() {
        let mut acc = LatencyAcc::default();
        assert_eq!(acc.stats(), LatencyStats::default());
        for ms in [10, 20, 30, 40, 1000] {
            acc.record(Duration::from_millis(ms));
        }
        let s = acc.stats();
        assert_eq!(s.count, 5);
        assert_eq!(s.p50, Duration::from_millis(30));
        assert_eq!(s.max, Duration::from_millis(1000));
        assert_eq!(s.last, Duration::from_millis(1000));
        assert_eq!(s.mean, Duration::from_millis(220));
    }
}
