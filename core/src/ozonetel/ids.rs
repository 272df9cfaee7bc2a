//! Identifiers and lenient field decoding. Ozonetel's UCIDs, monitor UCIDs and CallIDs exceed
//! 2^53 and arrive as JSON numbers or strings; they are strings everywhere in this crate so no
//! layer (f64, JavaScript) can round them.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result, quote};

/// Checks a UCID before it is sent: digits only, as Ozonetel issues them.
pub(crate) fn validate_ucid(ucid: &str) -> Result<String> {
    checked_ucid(ucid).map(str::to_string)
}

/// [`validate_ucid`] without the copy: the trimmed UCID, borrowed.
pub(crate) fn checked_ucid(ucid: &str) -> Result<&str> {
    let ucid = ucid.trim();
    if ucid.is_empty() {
        return Err(Error::invalid("ucid is empty; pass the call's UCID"));
    }
    if ucid.len() > 32 || !ucid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "ucid {} is not a UCID (Ozonetel UCIDs are up to 32 digits)",
            quote(ucid)
        )));
    }
    Ok(ucid)
}

/// A JSON scalar as text, numbers exactly as written (serde_json keeps u64/i64 exact).
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// [`scalar_text`] of a value the caller owns: a string is moved out, not copied.
pub(crate) fn into_scalar_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        other => scalar_text(&other),
    }
}

/// Deserializes any JSON value into a `String`: scalars as text, null as "", arrays and
/// objects as compact JSON text so nothing Ozonetel sent is lost.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(match value {
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
        scalar => scalar_text(&scalar).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucid_rules() {
        assert_eq!(validate_ucid(" 90174967305497 ").unwrap(), "90174967305497");
        for bad in ["", "   ", "abc", "9017 4967", "-1", "1.5", &"9".repeat(33)] {
            assert!(validate_ucid(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn big_numbers_stay_exact() {
        let v: Value = serde_json::from_str("31733467784618213").unwrap();
        assert_eq!(scalar_text(&v).unwrap(), "31733467784618213");
        let v: Value = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(scalar_text(&v).unwrap(), "18446744073709551615");
    }
}
