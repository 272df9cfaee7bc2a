//! The detection rules, on whitespace tokens: which spans of tokens are private. Everything
//! here borrows the tokens; the only allocation is the caller's span list.

use super::RedactionKind;
use super::digits::{DigitWord, luhn, verhoeff};
use super::token::{Class, Tok, is_pan};
use super::words::{TLDS, WEBMAIL, abbreviation, builtin_trigger, currency, filler};

/// A run with more digits than this is no card, Aadhaar or phone number.
const RUN_MAX: usize = 24;

/// One private span: tokens `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) kind: RedactionKind,
    /// The lead's own phone number.
    pub(super) lead: bool,
}

/// An identifier word: the kind of what follows it, and how many digits that must have.
#[derive(Debug, Clone, Copy)]
struct Trigger {
    end: usize,
    kind: RedactionKind,
    min_digits: u8,
    /// "card": a Luhn-valid number after it is a card.
    card: bool,
}

/// The rules' inputs besides the tokens.
pub(super) struct Rules<'r> {
    pub(super) keywords: &'r [Box<[Box<str>]>],
    pub(super) lead: Option<&'r [u8; 10]>,
}

/// Finds the private spans of `toks`, in order, into `out`.
pub(super) fn detect(toks: &[Tok<'_>], rules: &Rules<'_>, out: &mut Vec<Span>) {
    Scan { toks, rules, out }.run();
}

struct Scan<'t, 'a, 'r, 'o> {
    toks: &'t [Tok<'a>],
    rules: &'t Rules<'r>,
    out: &'o mut Vec<Span>,
}

impl Scan<'_, '_, '_, '_> {
    fn run(&mut self) {
        let n = self.toks.len();
        let mut i = 0;
        while i < n {
            if let Some(t) = self.trigger_at(i) {
                if let Some((a, b)) = self.value_after(&t) {
                    let kind = self.value_kind(&t, a, b);
                    self.push(a, b, kind);
                    i = b;
                } else {
                    i = t.end + 1;
                }
                continue;
            }
            if self.toks[i].class == Class::Email {
                self.push(i, i + 1, (RedactionKind::Email, false));
                i += 1;
                continue;
            }
            if let Some(end) = self.pan_at(i) {
                self.push(i, end, (RedactionKind::Pan, false));
                i = end;
                continue;
            }
            if self.toks[i].lw() == b"at" {
                if let Some((a, b)) = self.spoken_email(i) {
                    self.push(a, b, (RedactionKind::Email, false));
                    i = b;
                    continue;
                }
            }
            if self.digitish(i) {
                i = self.digit_run(i);
                continue;
            }
            i += 1;
        }
    }

    fn push(&mut self, a: usize, b: usize, (kind, lead): (RedactionKind, bool)) {
        // "plus nine one …": the spoken plus belongs to the number.
        let free = |k: usize| self.out.last().is_none_or(|s| s.last < k);
        let a = if kind == RedactionKind::Phone
            && a > 0
            && free(a - 1)
            && self.toks[a - 1].lw() == b"plus"
            && !self.toks[a - 1].has_trailing()
        {
            a - 1
        } else {
            a
        };
        self.out.push(Span {
            first: a,
            last: b - 1,
            kind,
            lead,
        });
    }

    fn trigger_at(&self, i: usize) -> Option<Trigger> {
        // A marker ("[card]", "[policy]") is no identifier word: redacting twice changes nothing.
        if self.toks[i].leading().ends_with('[') {
            return None;
        }
        for kw in self.rules.keywords {
            let hit = self.toks.get(i..i + kw.len()).is_some_and(|ts| {
                ts.iter()
                    .zip(kw.iter())
                    .all(|(t, k)| !t.marker && t.core().eq_ignore_ascii_case(k))
            });
            if hit {
                return Some(Trigger {
                    end: i + kw.len() - 1,
                    kind: RedactionKind::Account,
                    min_digits: 4,
                    card: false,
                });
            }
        }
        let (kind, min_digits, card) = builtin_trigger(self.toks[i].lw())?;
        Some(Trigger {
            end: i,
            kind,
            min_digits,
            card,
        })
    }

    /// The sentence ends after token `k` (so an identifier word before it has no number).
    fn sentence_ends(&self, k: usize) -> bool {
        let t = &self.toks[k];
        t.stop || (t.period && !abbreviation(t.lw()))
    }

    /// The number after an identifier word, within a few filler words: tokens `a..b`.
    fn value_after(&self, t: &Trigger) -> Option<(usize, usize)> {
        // "for your reference, 2025 was …": a comma right after the word ends it.
        if self.sentence_ends(t.end) || self.toks[t.end].comma {
            return None;
        }
        let mut k = t.end + 1;
        let mut skipped = 0;
        while k < self.toks.len() {
            let tok = &self.toks[k];
            if filler(tok.lw()) && skipped < 4 {
                if self.sentence_ends(k) {
                    return None;
                }
                skipped += 1;
                k += 1;
                continue;
            }
            if !self.value_token(k) {
                return None;
            }
            let a = k;
            let mut digits = 0usize;
            let mut strong = false;
            let mut weak = 0;
            while k < self.toks.len() && self.value_token(k) {
                let tok = &self.toks[k];
                self.digits_of(k, self.toks.len(), |_| digits += 1);
                strong |= tok.strong();
                weak += usize::from(tok.weak());
                k += 1;
                if tok.ends_run() {
                    break;
                }
            }
            // "account 5000 rupees" is an amount. A marker an earlier pass left right after
            // the number, and the rest of the value it was part of, are looked past ("… [card]
            // 12 rupees"): the first pass read them as one value, and so must a second
            // (found by tests/proptest_assist.rs).
            let mut next = k;
            if self.toks.get(next).is_some_and(|n| n.marker) {
                while next < self.toks.len() && (self.toks[next].marker || self.value_token(next)) {
                    next += 1;
                    if self.toks[next - 1].ends_run() {
                        break;
                    }
                }
            }
            let amount = self.toks.get(next).is_some_and(|n| currency(n.lw()));
            let enough = digits >= usize::from(t.min_digits) && (strong || weak >= 4) && !amount;
            return enough.then_some((a, k));
        }
        None
    }

    /// Part of an identifier's value: digits in any spelling, an alphanumeric id, or a short
    /// run of capital letters ("HX 2231 AB").
    fn value_token(&self, k: usize) -> bool {
        let t = &self.toks[k];
        match t.class {
            Class::Numeral | Class::Alnum => true,
            Class::Digit(DigitWord::Repeat(_)) => self.digitish(k),
            Class::Digit(_) => true,
            Class::Email => false,
            Class::Other => {
                let c = t.core().as_bytes();
                (1..=3).contains(&c.len())
                    && c.iter().all(u8::is_ascii_uppercase)
                    && !matches!(c, b"I" | b"A" | b"OK")
                    && !filler(t.lw())
                    && builtin_trigger(t.lw()).is_none()
            }
        }
    }

    /// What an identifier's value is: the identifier's kind, except a Luhn-valid number after
    /// "card" (a card) and the lead's own number, whatever word came before it (so it is
    /// shown to the agent and kept from the LLM like anywhere else).
    fn value_kind(&self, t: &Trigger, a: usize, b: usize) -> (RedactionKind, bool) {
        let all_digits =
            (a..b).all(|k| matches!(self.toks[k].class, Class::Numeral | Class::Digit(_)));
        let found = if all_digits {
            self.classify(a, b)
        } else {
            None
        };
        match found {
            Some((RedactionKind::Card, _)) if t.card => (RedactionKind::Card, false),
            Some((_, true)) => (RedactionKind::Phone, true),
            _ => (t.kind, false),
        }
    }

    /// The digits token `k` stands for in a run ending before token `b`: "double" takes the
    /// next token's digit, "forty" is "4" before a unit word ("forty five") and "40" alone.
    fn digits_of(&self, k: usize, b: usize, mut put: impl FnMut(u8)) {
        let t = &self.toks[k];
        let next = self.toks[k + 1..b].first();
        match t.class {
            Class::Numeral | Class::Alnum => {
                for c in t.core().bytes().filter(u8::is_ascii_digit) {
                    put(c - b'0');
                }
            }
            Class::Digit(DigitWord::Strong(d) | DigitWord::Weak(d)) => put(d),
            Class::Digit(DigitWord::Teen(d)) => {
                put(1);
                put(d);
            }
            Class::Digit(DigitWord::Tens(d)) => {
                put(d);
                let unit =
                    next.is_some_and(|n| matches!(n.class, Class::Digit(DigitWord::Strong(1..=9))));
                if !unit {
                    put(0);
                }
            }
            Class::Digit(DigitWord::Repeat(r)) => {
                if let Some(d) = next.and_then(Tok::single_digit) {
                    for _ in 1..r {
                        put(d);
                    }
                }
            }
            Class::Other | Class::Email => {}
        }
    }

    /// Token `k` can be part of a run of digits.
    fn digitish(&self, k: usize) -> bool {
        let t = &self.toks[k];
        match t.class {
            Class::Numeral => true,
            Class::Digit(DigitWord::Repeat(_)) => {
                !t.has_trailing() && self.toks.get(k + 1).and_then(Tok::single_digit).is_some()
            }
            Class::Digit(_) => true,
            _ => false,
        }
    }

    /// The run of digits starting at `i`: a card, an Aadhaar or a phone number as a whole, or
    /// after dropping a word or two at its edges that is not like the rest ("do 98451 23456",
    /// "45, 9845123456"), or two such numbers back to back, or one long numeral inside it.
    /// Returns where scanning goes on.
    fn digit_run(&mut self, i: usize) -> usize {
        let n = self.toks.len();
        let mut b = i;
        while b < n && self.digitish(b) {
            b += 1;
            if self.toks[b - 1].ends_run() {
                break;
            }
        }
        self.run_in(i, b)
    }

    /// Every number in tokens `a..b` (all digitish), each piece left between two found ones
    /// read as a run of its own.
    fn runs_in(&mut self, a: usize, b: usize) {
        let mut p = a;
        while p < b {
            p = self.run_in(p, b);
        }
    }

    /// The first number of the run `a..b` (see [`digit_run`](Self::digit_run)); returns where
    /// scanning goes on. Whatever a found number leaves of the run on either side is scanned
    /// as a run of its own: that is what a second pass sees (the marker in between ends a run),
    /// so redacting the redacted text finds nothing new ("+91 9844500001 +91 984502 5 6").
    fn run_in(&mut self, a: usize, b: usize) -> usize {
        if let Some(found) = self.classify(a, b) {
            self.push(a, b, found);
            return b;
        }
        const TRIMS: [(usize, usize); 8] = [
            (1, 0),
            (0, 1),
            (2, 0),
            (1, 1),
            (0, 2),
            (2, 1),
            (1, 2),
            (2, 2),
        ];
        for (l, r) in TRIMS {
            if l + r >= b - a || !self.trim_ok(a, b, l, r) {
                continue;
            }
            if let Some(found) = self.classify(a + l, b - r) {
                self.runs_in(a, a + l);
                self.push(a + l, b - r, found);
                // The right edge may start a number of its own.
                return b - r;
            }
        }
        for p in a + 1..b {
            if let (Some(x), Some(y)) = (self.classify(a, p), self.classify(p, b)) {
                self.push(a, p, x);
                self.push(p, b, y);
                return b;
            }
        }
        for k in a..b {
            if self.toks[k].class == Class::Numeral && self.toks[k].digits >= 10 {
                if let Some(found) = self.classify(k, k + 1) {
                    self.runs_in(a, k);
                    self.push(k, k + 1, found);
                    return k + 1;
                }
            }
        }
        b
    }

    /// Dropping `l` tokens on the left and `r` on the right of `a..b` drops only tokens unlike
    /// their neighbour: a Hindi digit word, a change between numerals and words, a comma.
    fn trim_ok(&self, a: usize, b: usize, l: usize, r: usize) -> bool {
        let unlike =
            |t: &Tok<'_>, u: &Tok<'_>, comma: bool| t.weak() || t.script() != u.script() || comma;
        (0..l).all(|m| {
            let (t, u) = (&self.toks[a + m], &self.toks[a + m + 1]);
            unlike(t, u, t.comma)
        }) && (0..r).all(|m| {
            let (t, u) = (&self.toks[b - 1 - m], &self.toks[b - 2 - m]);
            unlike(t, u, u.comma)
        })
    }

    /// What the digits of tokens `a..b` are, if a card, an Aadhaar or a phone number (and
    /// whether the lead's own).
    fn classify(&self, a: usize, b: usize) -> Option<(RedactionKind, bool)> {
        let mut buf = [0u8; RUN_MAX];
        let mut n = 0;
        let mut strong = false;
        let mut weak = 0;
        for k in a..b {
            let t = &self.toks[k];
            if !matches!(t.class, Class::Numeral | Class::Digit(_)) {
                return None;
            }
            strong |= t.strong();
            weak += usize::from(t.weak());
            self.digits_of(k, b, |d| {
                if n < RUN_MAX {
                    buf[n] = d;
                }
                n += 1;
            });
        }
        if n > RUN_MAX || !(strong || weak >= 4) {
            return None;
        }
        let d = &buf[..n];
        if let Some(lead) = self.rules.lead {
            if (10..=13).contains(&n) && d[n - 10..] == lead[..] {
                return Some((RedactionKind::Phone, true));
            }
        }
        let intl = n == 12 && d[0] == 9 && d[1] == 1 && d[2] >= 6;
        let kind = match n {
            13..=19 if luhn(d) => RedactionKind::Card,
            12 if intl && self.toks[a].plus => RedactionKind::Phone,
            12 if d[0] >= 2 && verhoeff(d) => RedactionKind::Aadhaar,
            12 if intl => RedactionKind::Phone,
            11 if d[0] == 0 && d[1] >= 6 => RedactionKind::Phone,
            10 if d[0] >= 6 => RedactionKind::Phone,
            _ => return None,
        };
        Some((kind, false))
    }

    /// A PAN in one token (any case) or split over up to three in capitals ("ABCPD1234E",
    /// "abcpd1234e", "ABCPD 1234 E").
    fn pan_at(&self, i: usize) -> Option<usize> {
        if !self.toks[i]
            .core()
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
        {
            return None;
        }
        let mut buf = [0u8; 10];
        let mut len = 0;
        for k in i..(i + 3).min(self.toks.len()) {
            let t = &self.toks[k];
            let c = t.core().as_bytes();
            if c.is_empty()
                || len + c.len() > 10
                || (k > i && !t.leading().is_empty())
                || !c.iter().all(u8::is_ascii_alphanumeric)
            {
                return None;
            }
            buf[len..len + c.len()].copy_from_slice(c);
            len += c.len();
            // Split over tokens, the letters are spelled out, so Deepgram writes them in
            // capitals; lower case there is words ("check 2025 a").
            if len == 10 && is_pan(&buf) && (k == i || !buf.iter().any(u8::is_ascii_lowercase)) {
                return Some(k + 1);
            }
            if t.has_trailing() {
                return None;
            }
        }
        None
    }

    /// "asha dot rao at gmail dot com", "asha at the rate gmail dot com", "asha123 at
    /// apollo.in": tokens `a..b` around the "at" at `at`.
    fn spoken_email(&self, at: usize) -> Option<(usize, usize)> {
        let floor = self.out.last().map_or(0, |s| s.last + 1);
        let word = |k: usize| {
            let t = &self.toks[k];
            let c = t.core().as_bytes();
            !c.is_empty()
                && t.leading().is_empty()
                && !t.has_trailing()
                && c.iter()
                    .all(|&x| x.is_ascii_alphanumeric() || x == b'.' || x == b'_')
        };
        if at == 0 || at - 1 < floor || !word(at - 1) || self.toks[at].has_trailing() {
            return None;
        }
        let mut a = at - 1;
        let local = self.toks[a].core().as_bytes();
        let mut marked = local
            .iter()
            .any(|&x| x.is_ascii_digit() || x == b'.' || x == b'_');
        while a >= floor + 2
            && matches!(
                self.toks[a - 1].lw(),
                b"dot" | b"underscore" | b"dash" | b"hyphen"
            )
            && !self.toks[a - 1].has_trailing()
            && word(a - 2)
        {
            a -= 2;
            marked = true;
        }
        let lw = |k: usize| self.toks.get(k).map_or(&b""[..], Tok::lw);
        let mut k = at + 1;
        if lw(k) == b"the" && lw(k + 1) == b"rate" {
            k += 2;
            marked = true;
            if lw(k) == b"of" {
                k += 1;
            }
        }
        let host = self.toks.get(k)?;
        let hc = host.lw();
        if hc.is_empty() || !hc.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'.') {
            return None;
        }
        let name = hc.split(|&x| x == b'.').next().unwrap_or_default();
        let webmail = WEBMAIL.contains(&name);
        // "gmail.com" in one token.
        if let Some(tld) = hc
            .rsplit(|&x| x == b'.')
            .next()
            .filter(|_| hc.contains(&b'.'))
        {
            return (TLDS.contains(&tld) && (marked || webmail)).then_some((a, k + 1));
        }
        // "gmail dot com", "apollo dot co dot in".
        let mut end = None;
        let mut j = k;
        while !self.toks[j].has_trailing()
            && lw(j + 1) == b"dot"
            && !self.toks[j + 1].has_trailing()
        {
            let tld = lw(j + 2);
            if !TLDS.contains(&tld) {
                break;
            }
            j += 2;
            end = Some(j + 1);
        }
        let end = end?;
        (marked || webmail).then_some((a, end))
    }
}
