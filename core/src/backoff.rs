//! The one backoff rule, for every retry the crate makes: Ozonetel's transient failures
//! ([`RetryPolicy`](crate::ozonetel::RetryPolicy)), Deepgram reconnects
//! ([`ReconnectPolicy`](crate::assist::ReconnectPolicy)) and failed suggestion requests
//! ([`SuggestionConfig`](crate::assist::SuggestionConfig)'s `backoff_*`).
//!
//! **Capped exponential, equal jitter.** Before retry `n` (0 = the first retry) the ceiling is
//! `initial · 2^n`, capped at `max`; the wait is a uniformly random point in the ceiling's upper
//! half, `[ceiling / 2, ceiling]`. Equal jitter rather than full jitter (`[0, ceiling]`) so a
//! retry never goes out straight after the failure that caused it — many sessions that lost the
//! same server still spread out, but none hammers it at 0 ms. A server's `Retry-After` is a
//! floor: the wait is never shorter than what it asked for ([`Backoff::wait`]).
//!
//! The `backoff` crate is not this: it is a dependency only because async-openai 0.29 takes its
//! `ExponentialBackoff` to switch its own retry loop off (`assist/suggest/llm.rs`).

use std::time::Duration;

/// A capped exponential backoff; see the module docs for the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// The first ceiling.
    pub(crate) initial: Duration,
    /// The largest ceiling.
    pub(crate) max: Duration,
}

impl Backoff {
    /// The ceiling before retry `retry` (0-based): `initial · 2^retry`, capped at `max`. The
    /// exponent stops at 20 so the multiplication cannot overflow; every cap is reached long
    /// before that in practice.
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        self.initial
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max)
    }

    /// The wait before retry `retry` (0-based): equal jitter of its ceiling, and never less than
    /// `retry_after` (a server's `Retry-After`) when there is one.
    pub(crate) fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        let jittered = half + (ceiling - half).mul_f64(rand::random::<f64>());
        jittered.max(retry_after.unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ceilings_double_and_stop_at_the_cap() {
        let b = Backoff {
            initial: 100 * MS,
            max: 1_000 * MS,
        };
        let ceilings: Vec<_> = (0..6).map(|n| b.ceiling(n)).collect();
        assert_eq!(
            ceilings,
            [
                100 * MS,
                200 * MS,
                400 * MS,
                800 * MS,
                1_000 * MS,
                1_000 * MS
            ]
        );
        // Huge retry counts neither overflow nor pass the cap.
        assert_eq!(b.ceiling(u32::MAX), 1_000 * MS);
        let big = Backoff {
            initial: Duration::from_secs(600),
            max: Duration::from_secs(3_600),
        };
        assert_eq!(big.ceiling(u32::MAX), Duration::from_secs(3_600));
    }

    #[test]
    fn waits_are_in_the_upper_half_of_the_ceiling() {
        let b = Backoff {
            initial: 100 * MS,
            max: 1_000 * MS,
        };
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..200 {
            let w = b.wait(0, None);
            assert!(w >= 50 * MS && w <= 100 * MS, "{w:?}");
            seen_low |= w < 75 * MS;
            seen_high |= w >= 75 * MS;
            let w = b.wait(8, None);
            assert!(w >= 500 * MS && w <= 1_000 * MS, "{w:?}");
        }
        assert!(seen_low && seen_high, "jittered across the half");
        let zero = Backoff {
            initial: Duration::ZERO,
            max: Duration::ZERO,
        };
        assert_eq!(zero.wait(3, None), Duration::ZERO);
    }

    #[test]
    fn a_retry_after_is_never_shortened() {
        let b = Backoff {
            initial: 100 * MS,
            max: 1_000 * MS,
        };
        for _ in 0..50 {
            // The jitter used to be applied to max(ceiling, Retry-After), so a server asking
            // for 10 s could be asked again after 5 s.
            assert_eq!(b.wait(0, Some(10_000 * MS)), 10_000 * MS);
            // A short Retry-After does not cut the backoff either.
            assert!(b.wait(8, Some(MS)) >= 500 * MS);
        }
    }
}
