//! The host's own pace: how fast `send_audio` delivers call time, as a multiple of real time.
//!
//! Replays after a reconnect go at `replay_speed` × this pace. For live audio the host sends in
//! real time, so a replay goes at `replay_speed` (Deepgram's ceiling); a recording streamed at
//! 6× already runs at 6×, and a replay slower than that could never catch up (the backlog would
//! outgrow the replay buffer and audio would be lost).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// How often the host's pace is sampled, and over how long it is judged.
const PACE_SAMPLE: Duration = Duration::from_millis(100);
const PACE_WINDOW: Duration = Duration::from_secs(5);

/// Samples of (when, call seconds received so far) over the last [`PACE_WINDOW`].
#[derive(Debug, Default)]
pub(crate) struct HostPace {
    samples: VecDeque<(Instant, f64)>,
}

impl HostPace {
    /// Notes that the host has delivered `call_secs` of call time by now.
    pub fn note(&mut self, call_secs: f64) {
        // Called for every chunk (50 a second of live audio): the clock is read only once a
        // sample's worth of call time has come since the last sample, and a sample is taken
        // once a sample's worth of wall time has too (at most one per PACE_SAMPLE, whatever
        // the host's pace).
        let last = self.samples.back().copied();
        if last.is_some_and(|(_, at)| call_secs - at < PACE_SAMPLE.as_secs_f64()) {
            return;
        }
        let now = Instant::now();
        if last.is_none_or(|(t, _)| now - t >= PACE_SAMPLE) {
            self.samples.push_back((now, call_secs));
        }
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|(t, _)| now - *t > PACE_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// How fast the host sends audio, as a multiple of real time, over the last
    /// [`PACE_WINDOW`] (1.0 until there is enough to tell, and never below 1.0).
    pub fn speed(&self) -> f64 {
        let (Some((t0, a0)), Some((t1, a1))) = (self.samples.front(), self.samples.back()) else {
            return 1.0;
        };
        let wall = (*t1 - *t0).as_secs_f64();
        if wall < 0.5 {
            return 1.0;
        }
        ((a1 - a0) / wall).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pace_is_call_time_over_wall_time_and_never_below_real_time() {
        let mut pace = HostPace::default();
        assert_eq!(pace.speed(), 1.0);
        // 6 s of call time per wall second, for 2 s.
        for i in 0..=20 {
            pace.note(f64::from(i) * 0.6);
            tokio::time::advance(Duration::from_millis(100)).await;
        }
        assert!((pace.speed() - 6.0).abs() < 0.05, "{}", pace.speed());
        // A host slower than real time still replays at (at least) real time.
        let mut slow = HostPace::default();
        for i in 0..=20 {
            slow.note(f64::from(i) * 0.05);
            tokio::time::advance(Duration::from_millis(100)).await;
        }
        assert_eq!(slow.speed(), 1.0);
    }
}
