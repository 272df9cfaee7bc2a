//! The one place numeric options are checked against their documented ranges.
//!
//! Every numeric knob of [`AssistConfig`](crate::assist::AssistConfig) and of the Ozonetel
//! [`ClientBuilder`](crate::ozonetel::ClientBuilder) has a range in its rustdoc; the bindings
//! pass values through unchanged and rely on these checks, so a huge number from JS or C is an
//! `invalid_input` instead of a panic deep in tokio (channel capacities, `Instant + Duration`).

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::error::{Error, Result};

/// `value` must be zero (the option is off) or lie in `range` (milliseconds).
pub(crate) fn millis_or_off(name: &str, value: Duration, range: RangeInclusive<u64>) -> Result<()> {
    if value.is_zero() || millis(name, value, range.clone()).is_ok() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{name} must be 0 (off) or {}..={} ms, got {}",
        range.start(),
        range.end(),
        shown(value)
    )))
}

/// `value` must lie in `range` (milliseconds).
pub(crate) fn millis(name: &str, value: Duration, range: RangeInclusive<u64>) -> Result<()> {
    let ms = value.as_millis();
    if ms < u128::from(*range.start()) || ms > u128::from(*range.end()) {
        return Err(Error::invalid(format!(
            "{name} must be {}..={} ms, got {}",
            range.start(),
            range.end(),
            shown(value)
        )));
    }
    Ok(())
}

/// A count (queue size, attempts, characters) that must lie in `range`.
pub(crate) fn count(name: &str, value: u64, range: RangeInclusive<u64>) -> Result<()> {
    if !range.contains(&value) {
        return Err(Error::invalid(format!(
            "{name} must be {}..={}, got {value}",
            range.start(),
            range.end()
        )));
    }
    Ok(())
}

/// A finite real number in `range`.
pub(crate) fn real(name: &str, value: f64, range: RangeInclusive<f64>) -> Result<()> {
    if !(value.is_finite() && range.contains(&value)) {
        return Err(Error::invalid(format!(
            "{name} must be a finite number in {}..={}, got {value}",
            range.start(),
            range.end()
        )));
    }
    Ok(())
}

/// The longest URL accepted where a service's base URL goes (a host and a path; browsers and
/// servers commonly stop at 2 KB).
pub(crate) const MAX_URL_BYTES: usize = 2048;

/// A text option that must be at most `max` bytes. Checked before anything else reads it, so a
/// 10 MB paste is refused at once instead of being parsed, scanned or sent; the message gives
/// its size, never its content.
pub(crate) fn bytes(name: &str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(Error::invalid(format!(
            "{name} is {} bytes; at most {max}",
            value.len()
        )));
    }
    Ok(())
}

fn shown(value: Duration) -> String {
    let ms = value.as_millis();
    if ms > 1_000_000_000_000 {
        format!("{:e} ms", value.as_secs_f64() * 1_000.0)
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_messages_name_the_option() {
        assert!(millis("t", Duration::from_millis(1), 1..=10).is_ok());
        assert!(millis("t", Duration::from_millis(10), 1..=10).is_ok());
        let err = millis("timing.watchdog", Duration::MAX, 1..=10).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
        assert!(err.to_string().contains("timing.watchdog"), "{err}");
        assert!(millis("t", Duration::ZERO, 1..=10).is_err());
        assert!(count("q", 0, 1..=5).is_err());
        assert!(count("q", u64::MAX, 1..=5).is_err());
        assert!(real("s", f64::NAN, 1.0..=2.0).is_err());
        assert!(real("s", f64::INFINITY, 1.0..=2.0).is_err());
        assert!(real("s", 1.5, 1.0..=2.0).is_ok());
    }

    #[test]
    fn an_option_that_may_be_off_takes_zero_or_its_range() {
        assert!(millis_or_off("c", Duration::ZERO, 20..=250).is_ok());
        assert!(millis_or_off("c", Duration::from_millis(20), 20..=250).is_ok());
        assert!(millis_or_off("c", Duration::from_millis(250), 20..=250).is_ok());
        for bad in [
            Duration::from_millis(19),
            Duration::from_millis(251),
            Duration::MAX,
        ] {
            let err = millis_or_off("coalesce", bad, 20..=250).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            assert!(
                err.to_string()
                    .contains("coalesce must be 0 (off) or 20..=250 ms"),
                "{err}"
            );
        }
    }
}
