//! The simulator's controllable clock.
//!
//! Ozonetel's rules are about time: tokens live 60 minutes, an account may generate 10 tokens an
//! hour, the CDR report answers 2 requests a minute and only for same-day windows up to 15 days
//! back. Tests must cover an hour in milliseconds, so every one of those rules reads [`SimClock`]
//! instead of the system clock. The clock follows real time by default (a demo left running
//! behaves like the real service) and can be advanced, set or frozen at will.
//!
//! Socket-level timers (Deepgram's idle close, fault delays) stay on real time: they are about a
//! live connection, not about Ozonetel's bookkeeping.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset as _, Utc};

/// India Standard Time, the default timezone of simulated accounts (UTC+05:30).
pub fn ist() -> FixedOffset {
    // 5h30m is always a valid offset; the fallback only keeps this free of unwrap.
    FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap_or_else(|| Utc.fix())
}

/// A shared, controllable clock. Cloning gives another handle on the same clock.
///
/// ```
/// use std::time::Duration;
/// let clock = helix_engage_sim::SimClock::new(helix_engage_sim::clock::ist());
/// let before = clock.now();
/// clock.advance(Duration::from_secs(3600));
/// assert!(clock.now() - before >= chrono::Duration::seconds(3600));
/// ```
#[derive(Clone, Debug)]
pub struct SimClock {
    inner: Arc<Mutex<ClockState>>,
    tz: FixedOffset,
}

#[derive(Debug)]
struct ClockState {
    /// Simulated time at `anchor`.
    base: DateTime<Utc>,
    /// Real instant `base` corresponds to; real time elapsed since then is added unless frozen.
    anchor: Instant,
    frozen: bool,
}

impl SimClock {
    /// A clock starting at the current system time, reporting local times in `tz`.
    pub fn new(tz: FixedOffset) -> Self {
        SimClock {
            inner: Arc::new(Mutex::new(ClockState {
                base: Utc::now(),
                anchor: Instant::now(),
                frozen: false,
            })),
            tz,
        }
    }

    fn state(&self) -> MutexGuard<'_, ClockState> {
        // A poisoned clock still holds a valid time; keep serving rather than panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulated time now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        let s = self.state();
        if s.frozen {
            s.base
        } else {
            s.base + s.anchor.elapsed()
        }
    }

    /// The simulated time now, in the accounts' timezone (IST by default).
    pub fn now_local(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&self.tz)
    }

    /// The simulated local wall time now, as Ozonetel writes it (no offset).
    pub fn now_naive_local(&self) -> NaiveDateTime {
        self.now_local().naive_local()
    }

    /// The timezone local times are reported in.
    pub fn timezone(&self) -> FixedOffset {
        self.tz
    }

    /// Moves simulated time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut s = self.state();
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        s.base = s.base.checked_add_signed(by).unwrap_or(s.base);
    }

    /// Sets simulated time to `now` (it keeps following real time from there unless frozen).
    pub fn set_now(&self, now: DateTime<Utc>) {
        let mut s = self.state();
        s.base = now;
        s.anchor = Instant::now();
    }

    /// Sets simulated time from a local wall time in the clock's timezone.
    pub fn set_now_local(&self, local: NaiveDateTime) {
        self.set_now(self.local_to_utc(local));
    }

    /// Freezes (`true`) or releases (`false`) the clock. A frozen clock only moves through
    /// [`advance`](Self::advance) and [`set_now`](Self::set_now), for fully deterministic tests.
    pub fn set_frozen(&self, frozen: bool) {
        let mut s = self.state();
        if frozen && !s.frozen {
            let elapsed = s.anchor.elapsed();
            s.base += elapsed;
        }
        s.anchor = Instant::now();
        s.frozen = frozen;
    }

    /// Converts a local wall time in the clock's timezone to UTC.
    pub fn local_to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        // Checked: a client-supplied date at the edge of chrono's range must not panic.
        local
            .checked_sub_signed(chrono::Duration::seconds(i64::from(
                self.tz.local_minus_utc(),
            )))
            .unwrap_or(local)
            .and_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = SimClock::new(ist());
        c.set_frozen(true);
        let a = c.now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(a, c.now());
        c.advance(Duration::from_secs(61));
        assert_eq!(c.now() - a, chrono::Duration::seconds(61));
    }

    #[test]
    fn local_time_is_ist_by_default() {
        let c = SimClock::new(ist());
        let local = chrono::NaiveDate::from_ymd_opt(2025, 9, 1)
            .and_then(|d| d.and_hms_opt(11, 49, 33))
            .expect("valid date");
        c.set_frozen(true);
        c.set_now_local(local);
        assert_eq!(c.now_naive_local(), local);
        assert_eq!(c.now().format("%H:%M").to_string(), "06:19");
    }
}
