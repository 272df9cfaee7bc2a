//! Suggestions for the agent: when to ask ([`engine`]) and how to ask ([`llm`]); the live
//! signals that come with them (the customer's sentiment, an escalation); and the summary asked
//! for once the call has ended ([`post_call`]).

pub(crate) mod engine;
pub(crate) mod llm;
pub(crate) mod post_call;

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

/// How the customer sounds: in every suggestion batch (now) and in the post-call summary (over
/// the call). Serialises as `"positive"`, `"neutral"`, `"negative"`, `"angry"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    /// Pleased, thankful.
    Positive,
    /// Matter-of-fact.
    Neutral,
    /// Unhappy, worried, frustrated.
    Negative,
    /// Angry or abusive.
    Angry,
}

/// The schema of a [`Sentiment`], shared by the live and the post-call schemas.
pub(crate) fn sentiment_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "string",
        "enum": ["positive", "neutral", "negative", "angry"]
    })
}

/// Why the call needs more than the agent's next sentence (`reason` in JSON, snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The customer asked for a supervisor or a manager.
    SupervisorRequested,
    /// The customer is angry or abusive.
    AngryCustomer,
    /// The customer describes a medical emergency.
    MedicalEmergency,
}

impl EscalationReason {
    /// The library's own first step for this reason, put first in a batch whose escalation
    /// came without a `next_step` from the model. In English: it is a fallback, and the model's
    /// own step (in the agent's language) wins whenever there is one.
    pub fn next_step(self) -> &'static str {
        match self {
            EscalationReason::MedicalEmergency => {
                "Tell the caller to dial 108 or go to the nearest emergency department now, stay \
                 on the line with them, and alert the duty doctor as the hospital's protocol says."
            }
            EscalationReason::SupervisorRequested => {
                "Offer a supervisor: a transfer now, or a supervisor's callback at a time that \
                 suits the caller."
            }
            EscalationReason::AngryCustomer => {
                "Acknowledge the caller's frustration, apologise, and offer one concrete next \
                 step with when it will happen."
            }
        }
    }
}

/// An escalation flagged by the model: the batch that carries it always starts with a
/// [`SuggestionKind::NextStep`] telling the agent what to do (the model's own, or the library's
/// built-in step for the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// Why.
    pub reason: EscalationReason,
    /// What was said that shows it, one short sentence (already redacted input; the model's
    /// words).
    pub detail: String,
}

/// Suggestions from one LLM answer, with the live signals and what it cost.
///
/// A batch is emitted when it holds a new suggestion or an escalation; an answer whose items
/// are all near-duplicates of recent ones and that flags nothing is not emitted (its sentiment
/// is dropped with it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionBatch {
    /// New suggestions (near-duplicates of recent ones removed). With an escalation the first
    /// one is a `next_step` for it, even when the agent saw it before.
    pub items: Vec<Suggestion>,
    /// The customer's current sentiment; `None` when the endpoint ignored the schema and sent
    /// none (or a value this library does not know).
    pub sentiment: Option<Sentiment>,
    /// Set when the call needs escalating; `null` in JSON otherwise.
    pub escalation: Option<Escalation>,
    /// What started the request.
    pub trigger: SuggestionTrigger,
    /// From request start to answer (milliseconds in JSON).
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub latency: Duration,
}
