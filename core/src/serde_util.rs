//! The one JSON shape for a duration, shared by every binding: **whole milliseconds**, an
//! unsigned integer (rounded to the nearest millisecond), so hosts never see Rust's
//! `{secs, nanos}` and every `…Ms`/latency/`nextRequestIn` field reads the same way in Node
//! (`number`) and C (an integer in the JSON). Sub-millisecond detail is not worth a second wire
//! type: latencies that matter here are tens of milliseconds and more.
//!
//! (Until issue #10 the assist latencies and `CallSummary::duration` went out as fractional
//! milliseconds, `120.0` or `120.4`, and `CdrProgress::next_request_in` as truncated whole ones.)

use std::time::Duration;

use serde::Serializer;

/// A duration as whole milliseconds (`u64`, rounded to nearest, saturating).
pub(crate) fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    let rounded = d.as_nanos().saturating_add(500_000) / 1_000_000;
    s.serialize_u64(u64::try_from(rounded).unwrap_or(u64::MAX))
}

/// [`millis`], or `null`.
pub(crate) fn option_millis<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => millis(d, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[derive(serde::Serialize)]
    struct Shape {
        #[serde(serialize_with = "super::millis")]
        d: Duration,
        #[serde(serialize_with = "super::option_millis")]
        o: Option<Duration>,
    }

    fn json(d: Duration, o: Option<Duration>) -> String {
        serde_json::to_string(&Shape { d, o }).unwrap()
    }

    #[test]
    fn durations_are_whole_milliseconds() {
        assert_eq!(
            json(Duration::from_millis(30_000), None),
            r#"{"d":30000,"o":null}"#
        );
        assert_eq!(
            json(
                Duration::from_micros(120_400),
                Some(Duration::from_micros(499))
            ),
            r#"{"d":120,"o":0}"#
        );
        assert_eq!(
            json(
                Duration::from_micros(120_500),
                Some(Duration::from_micros(1_500))
            ),
            r#"{"d":121,"o":2}"#
        );
        assert_eq!(
            json(Duration::MAX, None),
            format!(r#"{{"d":{},"o":null}}"#, u64::MAX)
        );
    }
}
