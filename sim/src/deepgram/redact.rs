//! Deepgram's `redact` query parameter, applied to the words a script says.
//!
//! What Deepgram documents (<https://developers.deepgram.com/docs/redaction>) and the stand-in
//! follows:
//!
//! - Values: `pci`, `pii`, `phi` (entity redaction), `numbers`, its synonyms `true` and
//!   `aggressive_numbers` (number redaction: "any sequence of three or more consecutive
//!   numerals"), and `false` (none). The parameter may repeat (`redact=pci&redact=numbers`, as
//!   the page shows) and, as clients commonly send it, hold a comma list (`redact=pci,numbers`).
//!   Anything else refuses the handshake with a 400 (the stand-in's choice: the page lists
//!   further entity types for pre-recorded audio, which live streaming does not take here).
//! - Hosted streaming redacts entities in English only: with any other `language` (notably
//!   `multi`) `pci`/`pii`/`phi` are ignored, while number redaction applies in every language.
//!   The session records what was requested and what applied
//!   ([`DeepgramSession::redact_requested`](super::DeepgramSession::redact_requested),
//!   [`redact_applied`](super::DeepgramSession::redact_applied)).
//! - The page shows no streaming response; the replacement follows Deepgram's entity tag
//!   style. A redacted span becomes one word: entities as an upper-case tag numbered per entity type
//!   (`[CREDIT_CARD_1]`, `[PHONE_NUMBER_2]`; the same value keeps its number for the whole
//!   connection), numbers as `[NUMBER]`. The word spans the redacted words' times; its
//!   `punctuated_word` keeps the last word's trailing punctuation. Interim and final results,
//!   `transcript` and `words` are all redacted alike.
//!
//! What the stand-in detects (it does not understand speech; its detectors are small and
//! deterministic, run over whitespace-separated words):
//!
//! - `numbers`: a run of consecutive numeral words (digits, optionally with inner `-`) holding
//!   three or more digits in all ("4471 2290 3316" → `[NUMBER]`); "12" alone survives.
//! - `pci`: such a run of 13–19 digits → `[CREDIT_CARD_n]` (no Luhn check; expiry dates and
//!   CVVs are not detected).
//! - `pii`: phone-number-like runs — 10 digits, 11 starting with `0`, or 12 starting with `91`
//!   → `[PHONE_NUMBER_n]`; a word holding an e-mail address (`x@y.z`) → `[EMAIL_ADDRESS_n]`.
//! - `phi`: a built-in list of medical terms ([`PHI_TERMS`]) → `[CONDITION_n]`, `[DRUG_n]`,
//!   `[INJURY_n]` or `[MEDICAL_PROCESS_n]`.
//!
//! Entity tags win over `[NUMBER]` where both apply.

use std::collections::HashMap;

/// The medical terms `phi` redacts (lower-case words) and their Deepgram entity type.
pub const PHI_TERMS: &[(&str, &str)] = &[
    ("chest pain", "CONDITION"),
    ("heart attack", "CONDITION"),
    ("diabetes", "CONDITION"),
    ("asthma", "CONDITION"),
    ("hypertension", "CONDITION"),
    ("blood pressure", "CONDITION"),
    ("migraine", "CONDITION"),
    ("fever", "CONDITION"),
    ("cancer", "CONDITION"),
    ("fracture", "INJURY"),
    ("sprain", "INJURY"),
    ("insulin", "DRUG"),
    ("paracetamol", "DRUG"),
    ("metformin", "DRUG"),
    ("knee surgery", "MEDICAL_PROCESS"),
    ("dialysis", "MEDICAL_PROCESS"),
    ("chemotherapy", "MEDICAL_PROCESS"),
];

/// What a connection asked to redact, and what applies to its language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Redaction {
    /// The values as requested (lower-case, comma lists split, repeats dropped), in order.
    pub requested: Vec<String>,
    pub numbers: bool,
    pub pci: bool,
    pub pii: bool,
    pub phi: bool,
}

impl Redaction {
    /// Parses every `redact` value; `Err` is the 400's message. `language` decides whether
    /// entity redaction applies (English or unset only).
    pub(crate) fn parse<'a>(
        values: impl Iterator<Item = &'a str>,
        language: Option<&str>,
    ) -> Result<Redaction, String> {
        let mut r = Redaction::default();
        let mut entities = (false, false, false);
        for raw in values.flat_map(|v| v.split(',')) {
            let v = raw.trim().to_ascii_lowercase();
            match v.as_str() {
                "numbers" | "true" | "aggressive_numbers" => r.numbers = true,
                "pci" => entities.0 = true,
                "pii" => entities.1 = true,
                "phi" => entities.2 = true,
                "false" => {}
                _ => {
                    return Err(format!(
                        "Invalid query string: unsupported 'redact' value '{}'; expected pci, \
                         pii, phi, numbers, true, aggressive_numbers or false",
                        raw.trim()
                    ));
                }
            }
            if !r.requested.contains(&v) {
                r.requested.push(v);
            }
        }
        if is_english(language) {
            (r.pci, r.pii, r.phi) = entities;
        }
        Ok(r)
    }

    /// The redactions that apply, by group name (`numbers`, `pci`, `pii`, `phi`).
    pub(crate) fn applied(&self) -> Vec<String> {
        [
            ("numbers", self.numbers),
            ("pci", self.pci),
            ("pii", self.pii),
            ("phi", self.phi),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| (*name).to_string())
        .collect()
    }

    fn any(&self) -> bool {
        self.numbers || self.pci || self.pii || self.phi
    }
}

/// English or unset: where Deepgram's hosted streaming redacts entities.
fn is_english(language: Option<&str>) -> bool {
    match language {
        None => true,
        Some(l) => {
            let l = l.to_ascii_lowercase();
            l == "en" || l.starts_with("en-")
        }
    }
}

/// One word as the player holds it, for redaction: plain form, punctuated form, times.
pub(crate) trait Redactable: Clone {
    fn punctuated(&self) -> &str;
    /// A word replacing `span` (non-empty) with `tag`.
    fn merged(span: &[Self], tag: &str) -> Self;
}

/// Numbers each entity per type: the same value keeps its number for the connection.
#[derive(Debug, Default)]
pub(crate) struct Tagger {
    seen: HashMap<(String, String), usize>,
    counts: HashMap<String, usize>,
}

impl Tagger {
    fn tag(&mut self, kind: &str, value: &str) -> String {
        let key = (kind.to_string(), value.to_string());
        let n = match self.seen.get(&key) {
            Some(n) => *n,
            None => {
                let n = self.counts.entry(kind.to_string()).or_default();
                *n += 1;
                self.seen.insert(key, *n);
                *n
            }
        };
        format!("[{kind}_{n}]")
    }
}

/// The word without surrounding punctuation.
fn core_of(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

/// The digits of a numeral word ("4471", "2290,", "12-34"), `None` for any other word.
fn numeral_digits(word: &str) -> Option<String> {
    let core = core_of(word);
    let ok = !core.is_empty()
        && core.chars().all(|c| c.is_ascii_digit() || c == '-')
        && core.chars().any(|c| c.is_ascii_digit());
    ok.then(|| core.chars().filter(char::is_ascii_digit).collect())
}

fn is_email(word: &str) -> bool {
    let core = core_of(word);
    match core.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

fn is_phone(digits: &str) -> bool {
    matches!(
        (digits.len(), digits.as_bytes().first()),
        (10, _) | (11, Some(b'0'))
    ) || (digits.len() == 12 && digits.starts_with("91"))
}

/// The lower-case letters and digits of a word, for term matching.
fn plain(word: &str) -> String {
    core_of(word).to_lowercase()
}

/// The turn's words with what `r` redacts replaced (see the module docs).
pub(crate) fn redact_words<W: Redactable>(
    words: &[W],
    r: &Redaction,
    tagger: &mut Tagger,
) -> Vec<W> {
    if !r.any() {
        return words.to_vec();
    }
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        // A run of numeral words.
        let mut j = i;
        let mut digits = String::new();
        while let Some(d) = words.get(j).and_then(|w| numeral_digits(w.punctuated())) {
            digits.push_str(&d);
            j += 1;
        }
        if j > i {
            let n = digits.len();
            let tag = if r.pci && (13..=19).contains(&n) {
                Some(tagger.tag("CREDIT_CARD", &digits))
            } else if r.pii && is_phone(&digits) {
                Some(tagger.tag("PHONE_NUMBER", &digits))
            } else if r.numbers && n >= 3 {
                Some("[NUMBER]".to_string())
            } else {
                None
            };
            match tag {
                Some(tag) => out.push(W::merged(&words[i..j], &tag)),
                None => out.extend_from_slice(&words[i..j]),
            }
            i = j;
            continue;
        }
        let w = &words[i];
        if r.pii && is_email(w.punctuated()) {
            let tag = tagger.tag("EMAIL_ADDRESS", &plain(w.punctuated()));
            out.push(W::merged(std::slice::from_ref(w), &tag));
            i += 1;
            continue;
        }
        if r.phi
            && let Some((len, kind, term)) = phi_term_at(words, i)
        {
            let tag = tagger.tag(kind, term);
            out.push(W::merged(&words[i..i + len], &tag));
            i += len;
            continue;
        }
        out.push(w.clone());
        i += 1;
    }
    out
}

/// The medical term starting at word `i`: its length in words, type and text.
fn phi_term_at<W: Redactable>(
    words: &[W],
    i: usize,
) -> Option<(usize, &'static str, &'static str)> {
    PHI_TERMS.iter().find_map(|(term, kind)| {
        let parts: Vec<&str> = term.split(' ').collect();
        let matches = parts.iter().enumerate().all(|(k, p)| {
            words
                .get(i + k)
                .is_some_and(|w| plain(w.punctuated()) == *p)
        });
        matches.then_some((parts.len(), *kind, *term))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct W(String);

    impl Redactable for W {
        fn punctuated(&self) -> &str {
            &self.0
        }
        fn merged(span: &[Self], tag: &str) -> Self {
            let last = span.last().map_or("", |w| w.0.as_str());
            let trail: String = last
                .chars()
                .rev()
                .take_while(|c| !c.is_alphanumeric())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            W(format!("{tag}{trail}"))
        }
    }

    fn run(text: &str, redact: &str, language: Option<&str>) -> String {
        let r = Redaction::parse(std::iter::once(redact), language).expect("valid");
        let words: Vec<W> = text.split_whitespace().map(|w| W(w.into())).collect();
        redact_words(&words, &r, &mut Tagger::default())
            .into_iter()
            .map(|w| w.0)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn numbers_take_runs_of_three_digits_or_more() {
        assert_eq!(
            run("policy 4471 2290 3316, room 12.", "numbers", Some("multi")),
            "policy [NUMBER], room 12."
        );
        assert_eq!(run("call 108 now", "true", None), "call [NUMBER] now");
    }

    #[test]
    fn entities_are_numbered_per_type_and_english_only() {
        let text = "card 4111 1111 1111 1111 then 5500 0000 0000 0004 and 4111 1111 1111 1111.";
        assert_eq!(
            run(text, "pci", Some("en-IN")),
            "card [CREDIT_CARD_1] then [CREDIT_CARD_2] and [CREDIT_CARD_1]."
        );
        assert_eq!(run(text, "pci", Some("multi")), text);
        assert_eq!(
            run(
                "mail a@b.in or 98450 12345 with chest pain",
                "pii,phi",
                None
            ),
            "mail [EMAIL_ADDRESS_1] or [PHONE_NUMBER_1] with [CONDITION_1]"
        );
    }

    #[test]
    fn unknown_values_are_refused_and_recorded_values_deduplicated() {
        assert!(Redaction::parse(["ssn"].into_iter(), None).is_err());
        assert!(Redaction::parse([""].into_iter(), None).is_err());
        let r = Redaction::parse(["pci,numbers", "pci", "false"].into_iter(), Some("multi"))
            .expect("valid");
        assert_eq!(r.requested, ["pci", "numbers", "false"]);
        assert_eq!(r.applied(), ["numbers"]);
    }
}
