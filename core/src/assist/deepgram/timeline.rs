//! The map from stream time to call time.
//!
//! Deepgram's timestamps count the audio it received. Audio of a private stretch is never
//! sent (it is discarded in `send_audio`), so after a stretch the stream runs behind the call
//! by the stretch's length. The replay buffer holds stream bytes only, so a replay after a
//! reconnect skips the private audio exactly like the live stream did, and one map serves
//! every link: a breakpoint per stretch, at the stream second where the stretch was cut out,
//! with the call seconds withheld up to it. A link's time `t` is stream second `base + t`;
//! its call time adds the withheld seconds of every breakpoint at or before it.
//!
//! At a breakpoint the stream is continuous but the call is not, so the edge matters: a
//! segment that ends exactly at the cut (Deepgram's answer to the stretch's Finalize does)
//! belongs before the stretch, one that starts exactly there belongs after it.

/// Breakpoints, in stream order; one per private stretch (a handful per call).
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    /// (stream second of the cut, call seconds withheld before the stream passes it).
    breaks: Vec<(f64, f64)>,
}

impl Timeline {
    /// A call with no private stretch yet.
    pub const fn new() -> Self {
        Timeline { breaks: Vec::new() }
    }

    /// Records that the call has withheld `withheld` seconds in total (cumulative) once the
    /// stream reaches `stream_secs`. Values not above the last one are ignored (the same
    /// stretch reported twice).
    pub fn cut(&mut self, stream_secs: f64, withheld: f64) {
        if withheld > self.withheld() {
            self.breaks.push((stream_secs, withheld));
        }
    }

    /// Call seconds withheld so far.
    pub fn withheld(&self) -> f64 {
        self.breaks.last().map_or(0.0, |&(_, w)| w)
    }

    /// The call time of stream second `t` as the start of something (a cut at `t` counts).
    pub fn start(&self, t: f64) -> f64 {
        t + self.offset(|at| at <= t)
    }

    /// The call time of stream second `t` as the end of something (a cut at `t` does not
    /// count: what ends there was said before the stretch).
    pub fn end(&self, t: f64) -> f64 {
        t + self.offset(|at| at < t)
    }

    /// The stream second of call second `call` (a call time inside a stretch maps to the cut).
    pub fn stream_of(&self, call: f64) -> f64 {
        let (mut stream, mut before) = (call, 0.0);
        for &(at, withheld) in &self.breaks {
            if call >= at + withheld {
                stream = call - withheld;
            } else if call >= at + before {
                // Inside this stretch.
                stream = at;
            }
            before = withheld;
        }
        stream
    }

    fn offset(&self, before: impl Fn(f64) -> bool) -> f64 {
        self.breaks
            .iter()
            .rev()
            .find(|&&(at, _)| before(at))
            .map_or(0.0, |&(_, w)| w)
    }
}

/// One link's clock: its time 0 is stream second `base`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkClock<'a> {
    pub base: f64,
    pub timeline: &'a Timeline,
}

impl LinkClock<'_> {
    /// Call time of link time `t`, as a start.
    pub fn start(&self, t: f64) -> f64 {
        self.timeline.start(self.base + t)
    }

    /// Call time of link time `t`, as an end.
    pub fn end(&self, t: f64) -> f64 {
        self.timeline.end(self.base + t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stretch_shifts_what_follows_it_by_its_length() {
        // 10 s withheld at stream second 20; another 5 s at stream second 30.
        let mut t = Timeline::new();
        assert_eq!(t.start(12.0), 12.0);
        t.cut(20.0, 10.0);
        t.cut(20.0, 10.0); // the same stretch again: ignored
        t.cut(30.0, 15.0);
        assert_eq!(t.start(19.0), 19.0);
        // The final answering the stretch's Finalize ends at the cut: before the stretch.
        assert_eq!(t.end(20.0), 20.0);
        // A word said 5 s after the stretch: 20 + 10 + 5.
        assert_eq!(t.start(25.0), 35.0);
        assert_eq!(t.start(20.0), 30.0);
        assert_eq!(t.end(30.0), 40.0);
        assert_eq!(t.start(30.0), 45.0);
        assert_eq!(t.withheld(), 15.0);
        let clock = LinkClock {
            base: 18.0,
            timeline: &t,
        };
        assert_eq!(clock.start(7.0), 35.0);
        // And back: call time to stream time, a time inside a stretch at its cut.
        assert_eq!(t.stream_of(35.0), 25.0);
        assert_eq!(t.stream_of(25.0), 20.0);
        assert_eq!(t.stream_of(19.0), 19.0);
        assert_eq!(t.stream_of(50.0), 35.0);
        assert_eq!(t.stream_of(42.0), 30.0);
        assert_eq!(t.stream_of(38.0), 28.0);
    }
}
