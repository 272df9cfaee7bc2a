//! Digits as callers say them, and the checksums that tell a card or an Aadhaar number from
//! any other run of digits.

/// What a lower-case word is worth in a run of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DigitWord {
    /// An English digit word ("four", "zero", "nought"): a digit wherever it stands.
    Strong(u8),
    /// A word that is a digit only among other digits: the Hindi digit words ("do", "char",
    /// "nau" are also English or Hinglish words) and "oh" (also an exclamation).
    Weak(u8),
    /// "double"/"triple": the next digit, said this many times.
    Repeat(u8),
    /// "ten" … "nineteen": two digits, `1` and this one.
    Teen(u8),
    /// "twenty" … "ninety": this digit, then the next word's unit or `0`.
    Tens(u8),
}

/// The digit value of a spoken word (already ASCII lower case), if it is one.
pub(super) fn digit_word(w: &[u8]) -> Option<DigitWord> {
    use DigitWord::{Repeat, Strong, Teen, Tens, Weak};
    Some(match w {
        b"zero" | b"nought" | b"naught" => Strong(0),
        b"one" => Strong(1),
        b"two" => Strong(2),
        b"three" => Strong(3),
        b"four" => Strong(4),
        b"five" => Strong(5),
        b"six" => Strong(6),
        b"seven" => Strong(7),
        b"eight" => Strong(8),
        b"nine" => Strong(9),
        b"oh" | b"shunya" | b"shoonya" | b"sunya" => Weak(0),
        b"ek" => Weak(1),
        b"do" => Weak(2),
        b"teen" => Weak(3),
        b"char" | b"chaar" => Weak(4),
        b"paanch" | b"panch" | b"paach" => Weak(5),
        b"chhe" | b"chhah" | b"che" | b"chhey" | b"chah" => Weak(6),
        b"saat" | b"sat" => Weak(7),
        b"aath" | b"aat" => Weak(8),
        b"nau" | b"nao" => Weak(9),
        b"ten" => Teen(0),
        b"eleven" => Teen(1),
        b"twelve" => Teen(2),
        b"thirteen" => Teen(3),
        b"fourteen" => Teen(4),
        b"fifteen" => Teen(5),
        b"sixteen" => Teen(6),
        b"seventeen" => Teen(7),
        b"eighteen" => Teen(8),
        b"nineteen" => Teen(9),
        b"twenty" => Tens(2),
        b"thirty" => Tens(3),
        b"forty" => Tens(4),
        b"fifty" => Tens(5),
        b"sixty" => Tens(6),
        b"seventy" => Tens(7),
        b"eighty" => Tens(8),
        b"ninety" => Tens(9),
        b"double" => Repeat(2),
        b"triple" => Repeat(3),
        _ => return None,
    })
}

/// The Luhn check of payment card numbers (digit values, most significant first).
pub(super) fn luhn(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let x = u32::from(x);
        sum += if i % 2 == 1 {
            let y = x * 2;
            if y > 9 { y - 9 } else { y }
        } else {
            x
        };
    }
    !d.is_empty() && sum % 10 == 0
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// The Verhoeff check UIDAI uses for Aadhaar's last digit (digit values, most significant
/// first; the check digit is the last).
pub(super) fn verhoeff(d: &[u8]) -> bool {
    let mut c = 0usize;
    for (i, &x) in d.iter().rev().enumerate() {
        c = usize::from(VERHOEFF_D[c][usize::from(VERHOEFF_P[i % 8][usize::from(x)])]);
    }
    !d.is_empty() && c == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(s: &str) -> Vec<u8> {
        s.bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect()
    }

    #[test]
    fn luhn_known_vectors() {
        for valid in [
            "79927398713",
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
        ] {
            assert!(luhn(&ds(valid)), "{valid}");
        }
        for invalid in ["79927398710", "4111111111111112", "1234567812345678"] {
            assert!(!luhn(&ds(invalid)), "{invalid}");
        }
    }

    #[test]
    fn verhoeff_known_vectors() {
        // 236 → check digit 3; 12345 → 1; 142857 → 0 (the published examples).
        for valid in ["2363", "123451", "1428570", "234123412346"] {
            assert!(verhoeff(&ds(valid)), "{valid}");
        }
        for invalid in ["2364", "123452", "1428571", "234123412345"] {
            assert!(!verhoeff(&ds(invalid)), "{invalid}");
        }
    }

    #[test]
    fn digit_words() {
        assert_eq!(digit_word(b"seven"), Some(DigitWord::Strong(7)));
        assert_eq!(digit_word(b"nau"), Some(DigitWord::Weak(9)));
        assert_eq!(digit_word(b"triple"), Some(DigitWord::Repeat(3)));
        assert_eq!(digit_word(b"tablet"), None);
    }
}
