//! The local redactor: what Deepgram's own `redact` misses in Indian calls, run on every
//! segment before it is stored, emitted or sent to the LLM.
//!
//! SKELETON: the types and signatures below are the agreed interface; the detection rules
//! (Luhn-checked cards, Verhoeff-checked Aadhaar, PAN, Indian phone numbers, e-mail, numbers
//! after identifier words, spoken digits) are being written.

use serde::{Deserialize, Serialize};

use super::transcript::Segment;
use crate::Result;

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
        }
    }
}

/// The local redactor's options ([`AssistConfig::redaction`](super::AssistConfig::redaction)).
#[derive(Debug, Clone, PartialEq)]
pub struct RedactionConfig {
    /// Run the local redactor on every segment (default `true`).
    pub enabled: bool,
    /// Extra words after which a number is an identifier (besides the built-in "policy",
    /// "member id", "card", "account", "UHID", …), e.g. a hospital's own "MRN".
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

/// Finds and replaces private details in transcript text.
#[derive(Debug, Clone)]
pub struct Redactor {
    enabled: bool,
    lead_phone: Option<String>,
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
    /// A redactor for `config`; a keyword that is empty or too long is `invalid_input`.
    pub fn new(config: &RedactionConfig) -> Result<Redactor> {
        Ok(Redactor {
            enabled: config.enabled,
            lead_phone: None,
        })
    }

    /// The lead's own phone number: shown to the agent, never sent to the LLM.
    pub fn with_lead_phone(mut self, phone: Option<&str>) -> Redactor {
        self.lead_phone = phone.map(str::to_string);
        self
    }

    /// Redacts `text` for the agent (the lead's own number stays).
    pub fn redact(&self, text: &str) -> Redacted {
        let _ = self.enabled;
        Redacted {
            text: text.to_string(),
            kinds: Vec::new(),
        }
    }

    /// Redacts a segment in place (its text and its words; a span of several words becomes
    /// one word carrying the marker, from the first word's start to the last one's end).
    pub fn redact_segment(&self, segment: &mut Segment) -> Vec<RedactionKind> {
        let r = self.redact(&segment.text);
        segment.text = r.text;
        r.kinds
    }

    /// Redacts `text` for the LLM: everything [`redact`](Self::redact) does, and the lead's
    /// own phone number too.
    pub fn for_llm(&self, text: &str) -> String {
        let _ = &self.lead_phone;
        self.redact(text).text
    }
}
