//! Account-local date-times and dates as hosts write them, parsed once for every surface.
//!
//! Ozonetel's report endpoints take the account's local time as `YYYY-MM-DD HH:mm:ss`. A
//! contact-center developer often has ISO 8601 at hand (`2025-09-01T10:00:00`, what
//! `<input type="datetime-local" step="1">` and most date libraries print), so the `T`
//! separator is accepted as well: it names the same local time, and refusing it would only
//! make every host rewrite one character. Nothing else is guessed — no offsets (`Z`, `+05:30`:
//! the time is the account's, not UTC), no fractions, no missing seconds — because a guess
//! would silently move a report window.
//!
//! The Node and C bindings call these functions, so `"2025-09-01T10:00:00"` is accepted and
//! `"2025-09-01T10:00"` refused with the same message everywhere.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::error::quote;
use crate::{Error, Result};

/// Account-local date-time text: `YYYY-MM-DD HH:mm:ss`, or the same with a `T` between date
/// and time. Surrounding whitespace is ignored. `name` is the argument's name as the caller
/// knows it, used in the [`Error::InvalidInput`] message.
///
/// ```
/// use helix_engage::ozonetel::parse_local_date_time;
/// let space = parse_local_date_time("2025-09-01 10:00:00", "from").unwrap();
/// assert_eq!(parse_local_date_time("2025-09-01T10:00:00", "from").unwrap(), space);
/// assert!(parse_local_date_time("2025-09-01T10:00", "from").is_err());
/// ```
pub fn parse_local_date_time(text: &str, name: &str) -> Result<NaiveDateTime> {
    let trimmed = text.trim();
    // Either separator, exactly once, at the one place it can be (after the 10-char date).
    let canonical = match trimmed.as_bytes().get(10) {
        Some(b'T') => format!("{} {}", &trimmed[..10], &trimmed[11..]),
        _ => trimmed.to_string(),
    };
    NaiveDateTime::parse_from_str(&canonical, "%Y-%m-%d %H:%M:%S")
        .ok()
        // chrono alone also takes a signed or 5-digit year, one-digit fields, no space at all
        // ("2025-09-010:00:00") and a leap second (":60"), none of them the shape Ozonetel
        // documents: the shape is checked byte by byte (found by the `local_dates` fuzz target).
        .filter(|at| has_shape(&canonical, DATE_TIME_SHAPE) && at.nanosecond() < 1_000_000_000)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{name} is {}; use account-local time as YYYY-MM-DD HH:mm:ss (a T separator is \
                 accepted)",
                quote(text)
            ))
        })
}

/// `YYYY-MM-DD HH:mm:ss` as bytes: `d` a digit, anything else itself.
const DATE_TIME_SHAPE: &[u8] = b"dddd-dd-dd dd:dd:dd";
/// `YYYY-MM-DD` as bytes.
const DATE_SHAPE: &[u8] = b"dddd-dd-dd";

/// Whether `text` is exactly `shape`, digit for digit and separator for separator.
fn has_shape(text: &str, shape: &[u8]) -> bool {
    text.len() == shape.len()
        && text.bytes().zip(shape).all(|(b, &s)| match s {
            b'd' => b.is_ascii_digit(),
            _ => b == s,
        })
}

/// A calendar date, `YYYY-MM-DD`. Surrounding whitespace is ignored.
///
/// ```
/// use helix_engage::ozonetel::parse_local_date;
/// assert_eq!(parse_local_date(" 2025-09-01 ", "date").unwrap().to_string(), "2025-09-01");
/// assert!(parse_local_date("01/09/2025", "date").is_err());
/// ```
pub fn parse_local_date(text: &str, name: &str) -> Result<NaiveDate> {
    let trimmed = text.trim();
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .filter(|_| has_shape(trimmed, DATE_SHAPE))
        .ok_or_else(|| Error::InvalidInput(format!("{name} is {}; use YYYY-MM-DD", quote(text))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    /// `result` is the invalid-input refusal whose message holds every one of `needles`.
    fn assert_refused<T: std::fmt::Debug>(result: Result<T>, needles: &[&str]) {
        let err = result.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
        for needle in needles {
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn a_space_or_a_t_separates_date_and_time() {
        let expected = NaiveDate::from_ymd_opt(2025, 9, 1)
            .unwrap()
            .and_hms_opt(10, 0, 5)
            .unwrap();
        for text in [
            "2025-09-01 10:00:05",
            "2025-09-01T10:00:05",
            "  2025-09-01T10:00:05\n",
        ] {
            assert_eq!(
                parse_local_date_time(text, "from").unwrap(),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn anything_else_is_invalid_input_naming_the_argument() {
        for text in [
            "",
            "yesterday",
            "2025-01-01T10:00",
            "2025-01-01 10:00",
            "2025-01-01",
            "2025-01-01T10:00:00Z",
            "2025-01-01T10:00:00+05:30",
            "2025-01-01T10:00:00.000",
            "2025-01-01TT10:00:00",
            "2025-01-01 T10:00:00",
            "2025-13-01 10:00:00",
            "01/01/2025 10:00:00",
            "क2025-01-01T10:00:00",
            // Found by the `local_dates` fuzz target: chrono reads these without the shape check.
            "-025-09-010:00:60",
            "-0025-09-01 00:00:00",
            "+12025-09-01 00:00:00",
            "2025-09-0110:00:00",
            "2025-9-1 1:0:5",
            "2025-09-01 10:00:60",
            "2025-09-01T10:00:60",
        ] {
            assert_refused(
                parse_local_date_time(text, "query.from"),
                &["query.from is \"", "YYYY-MM-DD HH:mm:ss"],
            );
        }
        let huge = "9".repeat(1_000_000);
        assert!(
            parse_local_date_time(&huge, "to")
                .unwrap_err()
                .to_string()
                .len()
                < 200
        );
    }

    #[test]
    fn dates_are_year_month_day() {
        assert_eq!(
            parse_local_date("2025-09-01", "date").unwrap(),
            NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
        );
        for text in [
            "",
            "tomorrow",
            "01/02/2025",
            "2025-09-01 10:00:00",
            "2025-02-30",
            "-025-09-01",
            "+12025-09-01",
            "2025-9-1",
        ] {
            assert_refused(
                parse_local_date(text, "date"),
                &["date is \"", "use YYYY-MM-DD"],
            );
        }
    }
}
