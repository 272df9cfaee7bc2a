//! JSON shapes shared by every binding: durations as milliseconds (f64, so sub-millisecond
//! latencies survive), so hosts never see Rust's `{secs, nanos}`.

use std::time::Duration;

use serde::Serializer;

pub(crate) fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

pub(crate) fn option_millis<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => millis(d, s),
        None => s.serialize_none(),
    }
}
