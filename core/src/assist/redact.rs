//! The local redactor: what Deepgram's own `redact` misses in Indian calls, run on every
//! segment before it is stored, emitted or sent to the LLM.
//!
//! It works on whitespace tokens of the text as Deepgram returns it (punctuated, smart-formatted,
//! Hinglish in Latin script), so a segment's words are redacted exactly like its text: a private
//! span of tokens becomes one marker token (`[card]`, `[aadhaar]`, …) that keeps the first
//! token's leading and the last token's trailing punctuation ("is 4111 1111 1111 1111." →
//! "is [card]."). No regular expressions: one pass classifies each token once (`scan.rs`), the
//! rules then look at runs of tokens. Spoken digits ("four four seven one", "double four",
//! "oh", "ninety eight forty five", "twelve") count as digits; Hindi digit words ("ek", "do",
//! "char", "nau") and "oh" count only inside a run with other digits or of at least four of
//! them, so "do" in a sentence survives. Hindi tens ("das", "bees") and "hundred"/"thousand"
//! are not read as digits.
//!
//! The lead's own number (given with [`Redactor::with_lead_phone`]) is found like any phone
//! number, in any spelling and after any identifier word; [`Redactor::redact`] leaves it in for
//! the agent, [`Redactor::for_llm`] replaces it with `[phone]`, even with redaction off.
//!
//! What is redacted:
//! - a run of digits (any spacing, `-` or `.` inside, any spelling) that is a payment card (13–19
//!   digits, Luhn), an Aadhaar number (12 digits, first 2–9, Verhoeff) or an Indian mobile
//!   number (10 digits from 6–9, maybe after `+91`/`91`/`0`);
//! - a PAN (`AAAAA9999A`, the fourth letter one of `PCHFATBLJG`, any case);
//! - an e-mail address, written or spoken ("asha dot rao at gmail dot com", "at the rate");
//! - a number of at least four digits, or an id with letters and at least four digits
//!   ("HX-2231-AB"), after an identifier word and at most four filler words ("my policy number
//!   is 44 71 23", "policy number hai 4471 2345", "mera UHID no. …"): `policy`/`insurance` →
//!   [`Policy`](RedactionKind::Policy); `member`, `membership`, `id`, `UHID`, `MRN`, `claim`,
//!   `registration` → [`MemberId`](RedactionKind::MemberId); `card`, `account`, `a/c`,
//!   `reference`, `IFSC`, `UPI` and the configured keywords → [`Account`](RedactionKind::Account)
//!   (a Luhn-valid card number after "card" is a [`Card`](RedactionKind::Card)); `aadhaar`,
//!   `PAN`, `phone`/`mobile`/`whatsapp` (six digits or more) give their own kinds; `OTP` and
//!   `CVV` need only three digits. A comma right after the identifier word, or an amount word
//!   after the number ("account 5000 rupees"), means it is no identifier.
//!
//! What survives: dates ("12/03/2025", "12 March 2025"), times ("10:30", "4 pm"), prices
//! ("Rs 1,500", "₹2,499.00"), room and ward numbers, ages, counts, a 12-digit number that fails
//! Verhoeff, a 16-digit number that fails Luhn (unless after an identifier word), and the last
//! four digits of a card ("card ending 1234": "ending" is no filler word, and four digits alone
//! name no card; agents use them to confirm which card the caller means).

use serde::{Deserialize, Serialize};

mod digits;
mod scan;
#[cfg(test)]
mod tests;
mod token;
mod words;

use std::fmt;

use self::scan::{Rules, Span};
use self::token::Tok;
use super::transcript::{Segment, Word};
use crate::{Error, Result};

/// What a redacted span was. Its marker (`[card]`, `[aadhaar]`, …) replaces the span in the
/// text, so the agent still sees what kind of thing was said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RedactionKind {
    /// A payment card number (Luhn-checked).
    Card,
    /// An Aadhaar number (12 digits, Verhoeff-checked).
    Aadhaar,
    /// A PAN (`AAAAA9999A`).
    Pan,
    /// An Indian phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// A number following "policy".
    Policy,
    /// A number following "member id", "UHID", "patient id" and the like.
    MemberId,
    /// A number following "account", "card" and other identifier words.
    Account,
    /// A one-time password after "OTP".
    Otp,
}

impl RedactionKind {
    /// The text that replaces a span of this kind: `[card]`, `[aadhaar]`, …
    pub fn marker(self) -> &'static str {
        match self {
            RedactionKind::Card => "[card]",
            RedactionKind::Aadhaar => "[aadhaar]",
            RedactionKind::Pan => "[pan]",
            RedactionKind::Phone => "[phone]",
            RedactionKind::Email => "[email]",
            RedactionKind::Policy => "[policy]",
            RedactionKind::MemberId => "[member_id]",
            RedactionKind::Account => "[account]",
            RedactionKind::Otp => "[otp]",
        }
    }
}

/// Every kind, for telling a marker this redactor wrote from text.
const KINDS: [RedactionKind; 9] = [
    RedactionKind::Card,
    RedactionKind::Aadhaar,
    RedactionKind::Pan,
    RedactionKind::Phone,
    RedactionKind::Email,
    RedactionKind::Policy,
    RedactionKind::MemberId,
    RedactionKind::Account,
    RedactionKind::Otp,
];

/// Whether `text` is a marker the redactor (or a private stretch) leaves in a transcript.
#[cfg(test)]
fn is_marker(text: &str) -> bool {
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .is_some_and(is_marker_name)
}

/// Whether `name` is what a marker holds between its brackets (`card` of `[card]`).
fn is_marker_name(name: &str) -> bool {
    let inside = |m: &'static str| m.strip_prefix('[').and_then(|m| m.strip_suffix(']'));
    inside(super::transcript::PRIVATE_TEXT) == Some(name)
        || KINDS.iter().any(|k| inside(k.marker()) == Some(name))
}

/// The local redactor's options (the `redaction` of [`AssistConfig`](super::AssistConfig)).
#[derive(Debug, Clone, PartialEq)]
pub struct RedactionConfig {
    /// Run the local redactor on every segment (default `true`).
    pub enabled: bool,
    /// Extra words after which a number is an identifier (besides the built-in "policy",
    /// "member id", "card", "account", "UHID", …), e.g. a hospital's own "IP number"; matched
    /// case-insensitively, a keyword of several words word by word. At most 32, each 1–64
    /// characters.
    pub keywords: Vec<String>,
}

impl Default for RedactionConfig {
    fn default() -> Self {
        RedactionConfig {
            enabled: true,
            keywords: Vec::new(),
        }
    }
}

/// At most this many [`RedactionConfig::keywords`].
const MAX_KEYWORDS: usize = 32;
/// At most this many characters in one keyword.
const MAX_KEYWORD_CHARS: usize = 64;

/// Finds and replaces private details in transcript text.
///
/// ```
/// use helix_engage::assist::{RedactionConfig, RedactionKind, Redactor};
/// let r = Redactor::new(&RedactionConfig::default())?.with_lead_phone(Some("+91 98450 00001"));
/// let out = r.redact("My card is 4111 1111 1111 1111, call 9845000001.");
/// assert_eq!(out.text, "My card is [card], call 9845000001.");
/// assert_eq!(out.kinds, [RedactionKind::Card]);
/// assert_eq!(r.for_llm("call 98450 00001"), "call [phone]");
/// # Ok::<(), helix_engage::Error>(())
/// ```
#[derive(Clone)]
pub struct Redactor {
    enabled: bool,
    /// The lead's number, its last ten digits (digit values).
    lead_phone: Option<[u8; 10]>,
    /// Each keyword's words.
    keywords: Vec<Box<[Box<str>]>>,
}

impl fmt::Debug for Redactor {
    // The lead's number is a caller's number: never in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("enabled", &self.enabled)
            .field("lead_phone", &self.lead_phone.map(|_| "[set]"))
            .field("keywords", &self.keywords)
            .finish()
    }
}

/// One redacted text and what was taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The text with each span replaced by its kind's marker.
    pub text: String,
    /// The kinds replaced, in text order.
    pub kinds: Vec<RedactionKind>,
}

impl Redactor {
    /// A redactor for `config`; no keywords' list longer than 32, and no keyword empty or
    /// longer than 64 characters (`invalid_input` naming `redaction.keywords`).
    pub fn new(config: &RedactionConfig) -> Result<Redactor> {
        if config.keywords.len() > MAX_KEYWORDS {
            return Err(Error::invalid(format!(
                "redaction.keywords has {} keywords; at most {MAX_KEYWORDS}",
                config.keywords.len()
            )));
        }
        let mut keywords = Vec::with_capacity(config.keywords.len());
        for (i, kw) in config.keywords.iter().enumerate() {
            let chars = kw.chars().count();
            if chars > MAX_KEYWORD_CHARS {
                return Err(Error::invalid(format!(
                    "redaction.keywords[{i}] has {chars} characters; at most {MAX_KEYWORD_CHARS}"
                )));
            }
            // Each word as the tokeniser sees a token's core, so "Reg." matches "reg".
            let words: Box<[Box<str>]> = kw
                .split_whitespace()
                .map(|w| Tok::new(w, 0).core())
                .filter(|w| !w.is_empty())
                .map(Box::from)
                .collect();
            if words.is_empty() {
                return Err(Error::invalid(format!("redaction.keywords[{i}] is empty")));
            }
            keywords.push(words);
        }
        Ok(Redactor {
            enabled: config.enabled,
            lead_phone: None,
            keywords,
        })
    }

    /// The lead's own phone number: shown to the agent, never sent to the LLM. Compared by its
    /// last ten digits (so `+91 98450 00001`, `098450 00001` and `9845000001` are one number);
    /// a number with fewer than ten digits is ignored.
    pub fn with_lead_phone(mut self, phone: Option<&str>) -> Redactor {
        self.lead_phone = phone.and_then(|p| {
            let digits: Vec<u8> = p
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect();
            let tail = digits.get(digits.len().checked_sub(10)?..)?;
            tail.try_into().ok()
        });
        self
    }

    /// Redacts `text` for the agent (the lead's own number stays).
    pub fn redact(&self, text: &str) -> Redacted {
        if !self.enabled {
            return Redacted {
                text: text.to_string(),
                kinds: Vec::new(),
            };
        }
        let toks = tokens(text);
        let spans = self.spans(&toks, false);
        Redacted {
            text: rewrite(text, &toks, &spans),
            kinds: spans.iter().map(|s| s.kind).collect(),
        }
    }

    /// Redacts a segment in place (its text and its words; a span of several words becomes
    /// one word carrying the marker, from the first word's start to the last one's end, with
    /// the lowest confidence of them). Returns the kinds taken out of the text, in order.
    ///
    /// Deepgram's punctuated words joined by spaces are the text, so the words' spans are the
    /// text's; when they disagree each is redacted on its own, so neither keeps what the other
    /// would have hidden only by luck.
    pub fn redact_segment(&self, segment: &mut Segment) -> Vec<RedactionKind> {
        if !self.enabled {
            return Vec::new();
        }
        let text_toks = tokens(&segment.text);
        let word_toks: Vec<Tok<'_>> = segment
            .words
            .iter()
            .map(|w| Tok::new(word_text(w), 0))
            .collect();
        let word_spans = self.spans(&word_toks, false);
        let same = text_toks.len() == word_toks.len()
            && text_toks.iter().zip(&word_toks).all(|(t, w)| t.s == w.s);
        let text_spans = if same {
            word_spans.clone()
        } else {
            self.spans(&text_toks, false)
        };
        let text = rewrite(&segment.text, &text_toks, &text_spans);
        let kinds: Vec<RedactionKind> = text_spans.iter().map(|s| s.kind).collect();
        let markers: Vec<String> = word_spans
            .iter()
            .map(|s| marker_token(&word_toks, s))
            .collect();
        drop(word_toks);
        drop(text_toks);
        segment.text = text;
        if !word_spans.is_empty() {
            collapse_words(&mut segment.words, &word_spans, markers);
        }
        kinds
    }

    /// Redacts `text` for the LLM: everything [`redact`](Self::redact) does, and the lead's
    /// own phone number too (even with redaction off).
    pub fn for_llm(&self, text: &str) -> String {
        if !self.enabled && self.lead_phone.is_none() {
            return text.to_string();
        }
        let toks = tokens(text);
        let spans = self.spans(&toks, true);
        rewrite(text, &toks, &spans)
    }

    /// The spans to replace: all found, less the lead's number for the agent; with redaction
    /// off only the lead's number, and only for the LLM.
    fn spans(&self, toks: &[Tok<'_>], llm: bool) -> Vec<Span> {
        let mut spans = Vec::new();
        if !(self.enabled || llm && self.lead_phone.is_some()) {
            return spans;
        }
        let rules = Rules {
            keywords: &self.keywords,
            lead: self.lead_phone.as_ref(),
        };
        scan::detect(toks, &rules, &mut spans);
        spans.retain(|s| if self.enabled { llm || !s.lead } else { s.lead });
        spans
    }
}

fn word_text(w: &Word) -> &str {
    if w.punctuated.is_empty() {
        &w.word
    } else {
        &w.punctuated
    }
}

fn tokens(text: &str) -> Vec<Tok<'_>> {
    let base = text.as_ptr() as usize;
    text.split_whitespace()
        .map(|w| Tok::new(w, w.as_ptr() as usize - base))
        .collect()
}

/// The punctuation a span's marker keeps: the first token's leading and the last token's
/// trailing, less an opening bracket whose closing one was inside the span ("(984) 512-3456"
/// → "[phone]", not "([phone]").
fn span_edges<'a>(toks: &[Tok<'a>], s: &Span) -> (&'a str, &'a str) {
    let (first, last) = (&toks[s.first], &toks[s.last]);
    let mut lead = first.leading();
    let closed_inside = toks[s.first..s.last]
        .iter()
        .any(|t| t.trailing().contains(')'));
    if closed_inside {
        lead = lead.strip_suffix('(').unwrap_or(lead);
    }
    (lead, last.trailing())
}

/// A span's replacement token: its marker and the punctuation it keeps.
fn marker_token(toks: &[Tok<'_>], s: &Span) -> String {
    let (lead, trail) = span_edges(toks, s);
    let marker = s.kind.marker();
    let mut out = String::with_capacity(lead.len() + marker.len() + trail.len());
    out.push_str(lead);
    out.push_str(marker);
    out.push_str(trail);
    out
}

fn rewrite(text: &str, toks: &[Tok<'_>], spans: &[Span]) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for s in spans {
        let (first, last) = (&toks[s.first], &toks[s.last]);
        let (lead, trail) = span_edges(toks, s);
        out.push_str(&text[pos..first.at]);
        out.push_str(lead);
        out.push_str(s.kind.marker());
        out.push_str(trail);
        pos = last.at + last.s.len();
    }
    out.push_str(&text[pos..]);
    out
}

/// Replaces each span's words by one word carrying its marker.
fn collapse_words(words: &mut Vec<Word>, spans: &[Span], markers: Vec<String>) {
    let old = std::mem::take(words);
    let mut spans = spans.iter().copied().zip(markers);
    let mut next = spans.next();
    let mut collapsed: Option<Word> = None;
    for (i, w) in old.into_iter().enumerate() {
        let span = next.as_ref().map(|(s, _)| *s);
        match span {
            Some(s) if i >= s.first => {
                let c = collapsed.get_or_insert_with(|| Word {
                    word: s.kind.marker().to_string(),
                    punctuated: String::new(),
                    start: w.start,
                    end: w.end,
                    confidence: w.confidence,
                });
                c.end = w.end;
                c.confidence = c.confidence.min(w.confidence);
                if i == s.last {
                    if let (Some(mut c), Some((_, marker))) = (collapsed.take(), next.take()) {
                        c.punctuated = marker;
                        words.push(c);
                    }
                    next = spans.next();
                }
            }
            _ => words.push(w),
        }
    }
}
