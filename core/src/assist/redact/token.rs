//! One whitespace token of a transcript: its core without the punctuation around it, and what
//! the rules need to know of it, worked out once so no rule looks at its characters again.

use super::digits::{DigitWord, digit_word};

/// Tokens longer than this are never a word the rules look up (digit words, identifier words,
/// fillers), so their lower-case copy is not kept.
const LOWER_MAX: usize = 16;
/// Opening punctuation kept outside a marker.
const LEADING: &[char] = &['(', '[', '{', '"', '\'', '«', '“', '‘', '#'];
/// Closing punctuation kept outside a marker.
const TRAILING: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '»', '”', '’', '…',
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Other,
    /// Digits with `-`/`.` inside, maybe a leading `+`: "4111-1111", "+91", "98.45".
    Numeral,
    /// A spoken digit (English, or Hindi in Latin script).
    Digit(DigitWord),
    /// Letters and digits: "HX-2231-AB", "SBIN0001234", "3B".
    Alnum,
    /// `name@host.tld`.
    Email,
}

/// One whitespace token: its text, its core (without the punctuation around it) and what the
/// rules need to know of it, worked out once.
#[derive(Debug, Clone)]
pub(super) struct Tok<'a> {
    pub(super) s: &'a str,
    /// Byte offset of `s` in the text it came from (0 for a segment's words).
    pub(super) at: usize,
    pub(super) c0: usize,
    pub(super) c1: usize,
    pub(super) class: Class,
    /// Digits in the core, saturating.
    pub(super) digits: u8,
    pub(super) plus: bool,
    /// Trailing punctuation: a full stop, a question mark/exclamation/semicolon/ellipsis, a
    /// colon, a comma.
    pub(super) period: bool,
    pub(super) stop: bool,
    pub(super) colon: bool,
    pub(super) comma: bool,
    pub(super) lower: [u8; LOWER_MAX],
    pub(super) lower_len: u8,
    /// A marker a pass wrote (`[card]`, `[phone].`): no word any rule looks up, so redacting
    /// redacted text changes nothing ("card is [card] is 4111" kept "card" a filler word).
    pub(super) marker: bool,
}

impl<'a> Tok<'a> {
    pub(super) fn new(s: &'a str, at: usize) -> Tok<'a> {
        let c0 = s.len() - s.trim_start_matches(LEADING).len();
        let core = s[c0..].trim_end_matches(TRAILING);
        let c1 = c0 + core.len();
        let trail = &s[c1..];
        let mut t = Tok {
            s,
            at,
            c0,
            c1,
            class: Class::Other,
            digits: 0,
            plus: false,
            period: trail.contains('.'),
            stop: trail.contains(['?', '!', ';', '…']),
            colon: trail.contains(':'),
            comma: trail.contains(','),
            lower: [0; LOWER_MAX],
            lower_len: 0,
            marker: s[..c0].ends_with('[') && trail.starts_with(']') && super::is_marker_name(core),
        };
        let b = core.as_bytes();
        // A marker keeps no lower-case copy: it is no identifier, filler or digit word.
        if b.is_empty() || t.marker {
            return t;
        }
        if b.len() <= LOWER_MAX && core.is_ascii() {
            for (d, s) in t.lower.iter_mut().zip(b) {
                *d = s.to_ascii_lowercase();
            }
            t.lower_len = b.len() as u8;
        }
        let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
        t.digits = digits.min(255) as u8;
        let (plus, body) = match b.split_first() {
            Some((b'+', rest)) => (true, rest),
            _ => (false, b),
        };
        if body.first().is_some_and(u8::is_ascii_digit)
            && body
                .iter()
                .all(|&c| c.is_ascii_digit() || c == b'-' || c == b'.')
        {
            t.class = Class::Numeral;
            t.plus = plus;
        } else if let Some(w) = digit_word(t.lw()) {
            t.class = Class::Digit(w);
        } else if digits > 0
            && b.iter().any(u8::is_ascii_alphabetic)
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'/')
        {
            t.class = Class::Alnum;
        } else if is_email(b) {
            t.class = Class::Email;
        }
        t
    }

    /// The token without the punctuation around it.
    pub(super) fn core(&self) -> &'a str {
        &self.s[self.c0..self.c1]
    }

    /// The punctuation before the core.
    pub(super) fn leading(&self) -> &'a str {
        &self.s[..self.c0]
    }

    /// The punctuation after the core.
    pub(super) fn trailing(&self) -> &'a str {
        &self.s[self.c1..]
    }

    /// The core in ASCII lower case; empty when it is long or not ASCII.
    pub(super) fn lw(&self) -> &[u8] {
        &self.lower[..usize::from(self.lower_len)]
    }

    /// A run of digits ends after this token.
    pub(super) fn ends_run(&self) -> bool {
        self.period || self.stop || self.colon
    }

    pub(super) fn has_trailing(&self) -> bool {
        self.c1 < self.s.len()
    }

    pub(super) fn single_digit(&self) -> Option<u8> {
        match self.class {
            Class::Digit(DigitWord::Strong(d) | DigitWord::Weak(d)) => Some(d),
            Class::Numeral if self.digits == 1 && self.core().len() == 1 => {
                Some(self.core().as_bytes()[0] - b'0')
            }
            _ => None,
        }
    }

    /// Digits wherever they stand (not a Hindi digit word, not "double" alone).
    pub(super) fn strong(&self) -> bool {
        matches!(
            self.class,
            Class::Numeral
                | Class::Alnum
                | Class::Digit(DigitWord::Strong(_) | DigitWord::Teen(_) | DigitWord::Tens(_))
        )
    }

    pub(super) fn weak(&self) -> bool {
        matches!(self.class, Class::Digit(DigitWord::Weak(_)))
    }

    /// Which way of writing digits: numerals, English words, Hindi words.
    pub(super) fn script(&self) -> u8 {
        match self.class {
            Class::Numeral => 0,
            Class::Digit(DigitWord::Weak(_)) => 2,
            _ => 1,
        }
    }
}

fn is_email(b: &[u8]) -> bool {
    let Some(at) = b.iter().position(|&c| c == b'@') else {
        return false;
    };
    let host = &b[at + 1..];
    at > 0
        && host
            .iter()
            .position(|&c| c == b'.')
            .is_some_and(|dot| dot > 0 && dot + 1 < host.len())
}

/// `AAAAA9999A` in any case, the fourth letter one of the holder types `PCHFATBLJG`.
pub(super) fn is_pan(b: &[u8; 10]) -> bool {
    b[..5].iter().all(u8::is_ascii_alphabetic)
        && b[5..9].iter().all(u8::is_ascii_digit)
        && b[9].is_ascii_alphabetic()
        && b"PCHFATBLJG".contains(&b[3].to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_recognised_in_their_punctuation() {
        for kind in super::super::KINDS {
            assert!(Tok::new(kind.marker(), 0).marker);
        }
        assert!(Tok::new("[private]", 0).marker);
        assert!(Tok::new("([card]).", 0).marker);
        assert!(!Tok::new("[9845000001]", 0).marker);
        assert!(!Tok::new("[one]", 0).marker);
    }
}
