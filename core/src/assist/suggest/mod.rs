//! Suggestions for the agent: when to ask ([`engine`]) and how to ask ([`llm`]).

pub(crate) mod engine;
pub(crate) mod llm;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a suggestion is for, so a UI can show each kind its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// Something the agent can say to answer the customer.
    Answer,
    /// A question the agent could ask.
    Question,
    /// An action to take next (offer, transfer, follow-up).
    NextStep,
    /// How to handle an objection the customer raised.
    Objection,
    /// A compliance or disclosure reminder.
    Compliance,
    /// A relevant fact from the lead's context.
    Info,
    /// A kind this library does not know (from an endpoint that ignored the schema).
    #[serde(other)]
    Other,
}

/// One suggestion for the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// What it is for.
    pub kind: SuggestionKind,
    /// The suggestion itself, one or two sentences.
    pub text: String,
}

/// Why a suggestion request was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionTrigger {
    /// The customer finished a turn.
    CustomerTurnEnd,
    /// The interval passed with new final text.
    Interval,
}

/// Suggestions from one LLM answer, with what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionBatch {
    /// New suggestions (near-duplicates of recent ones removed).
    pub items: Vec<Suggestion>,
    /// What started the request.
    pub trigger: SuggestionTrigger,
    /// From request start to answer (milliseconds in JSON).
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub latency: Duration,
}
