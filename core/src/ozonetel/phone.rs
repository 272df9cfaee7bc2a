//! The one phone-number normaliser. Ozonetel wants India numbers as `0` + 10 digits and
//! international numbers as `+` + country code + number; agents type anything in between.

use crate::error::{Error, Result};

/// Which numbering plan the account dials in. Decides how `conferenceNumber` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// India accounts: numbers become `0` followed by 10 digits (`09876543210`).
    #[default]
    India,
    /// International accounts: numbers become `+` country code and number (`+14155550100`).
    International,
}

/// Normalises a phone number for `region`, or explains why it cannot be dialled.
///
/// Spaces, dashes, dots and parentheses are ignored; anything else that is not a digit (or a
/// single leading `+`) is rejected, so a typo never becomes a call to the wrong person.
///
/// ```
/// use helix_engage::ozonetel::{normalize_phone, Region};
/// for input in ["+91 98765-43210", "9876543210", "09876543210", "919876543210"] {
///     assert_eq!(normalize_phone(input, Region::India).unwrap(), "09876543210");
/// }
/// assert_eq!(normalize_phone("+1 (415) 555-0100", Region::International).unwrap(), "+14155550100");
/// assert!(normalize_phone("98765abc10", Region::India).is_err());
/// ```
pub fn normalize_phone(input: &str, region: Region) -> Result<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid("phone number is empty"));
    }
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(Error::invalid(format!(
                    "phone number {} contains {c:?}; use digits, spaces, dashes and an optional leading +",
                    crate::error::quote(trimmed)
                )));
            }
        }
    }
    match region {
        Region::India => india(trimmed, plus, &digits),
        Region::International => international(trimmed, plus, &digits),
    }
}

fn india(input: &str, plus: bool, digits: &str) -> Result<String> {
    let input = &crate::error::quote(input);
    // The ten subscriber digits, once the trunk prefix (0) or country code (91, 0091) is gone.
    let national = match (plus, digits.len()) {
        (true, 12) if digits.starts_with("91") => &digits[2..],
        (true, _) => {
            return Err(Error::invalid(format!(
                "phone number {input} is not an Indian number (+91 and 10 digits); \
                 use Region::International for other countries"
            )));
        }
        (false, 10) => digits,
        (false, 11) if digits.starts_with('0') => &digits[1..],
        (false, 12) if digits.starts_with("91") => &digits[2..],
        (false, 14) if digits.starts_with("0091") => &digits[4..],
        (false, n) => {
            return Err(Error::invalid(format!(
                "phone number {input} has {n} digits; an Indian number has 10 \
                 (optionally after 0, 91 or +91)"
            )));
        }
    };
    if national.starts_with('0') {
        return Err(Error::invalid(format!(
            "phone number {input} does not hold 10 digits after its prefix"
        )));
    }
    Ok(format!("0{national}"))
}

fn international(input: &str, plus: bool, digits: &str) -> Result<String> {
    let input = &crate::error::quote(input);
    // E.164 allows at most 15 digits; fewer than 8 is no real country code + subscriber.
    let e164 = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest
    } else {
        return Err(Error::invalid(format!(
            "phone number {input} needs its country code: write it as +<country code><number>"
        )));
    };
    if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
        return Err(Error::invalid(format!(
            "phone number {input} is not a valid international number (+, country code, \
             8 to 15 digits in all)"
        )));
    }
    Ok(format!("+{e164}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn india_table() {
        let ok = [
            ("+91 98765-43210", "09876543210"),
            ("9876543210", "09876543210"),
            ("09876543210", "09876543210"),
            ("919876543210", "09876543210"),
            ("+919876543210", "09876543210"),
            ("0091 98765 43210", "09876543210"),
            ("(080) 4176-3265", "08041763265"),
            ("  98765.43210 ", "09876543210"),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_phone(input, Region::India).unwrap(),
                want,
                "{input}"
            );
        }
        let bad = [
            "",
            "   ",
            "98765abc10",
            "987654321",
            "98765432100",
            "+1 415 555 0100",
            "+91 98765",
            "0987654321",
            "00000000000",
            "+",
            "98765 43210 ext 5",
            "++919876543210",
            "٩٨٧٦٥٤٣٢١٠",
        ];
        for input in bad {
            let err = normalize_phone(input, Region::India).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{input}");
        }
    }

    #[test]
    fn international_table() {
        let ok = [
            ("+1 (415) 555-0100", "+14155550100"),
            ("+44 20 7946 0958", "+442079460958"),
            ("0044 20 7946 0958", "+442079460958"),
            ("+91 98765-43210", "+919876543210"),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_phone(input, Region::International).unwrap(),
                want,
                "{input}"
            );
        }
        for input in [
            "4155550100",
            "+1234",
            "+1234567890123456",
            "+0 415 555",
            "+1 415 CALL",
        ] {
            assert!(
                normalize_phone(input, Region::International).is_err(),
                "{input}"
            );
        }
    }
}
