//! The post-call summary: what the call was about, how it ended, what is owed, and which of the
//! account's dispositions fits — one LLM request with a strict JSON schema once the transcript is
//! final.
//!
//! This file holds the option, the result types, the schema, the prompt and the checks of an
//! answer; the request itself goes through the suggestion LLM client (`llm.rs`) and is bounded
//! by the engine at `stop` (`engine.rs`), so a slow LLM never holds the transcript.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Sentiment;
use crate::assist::lead::LeadContext;
use crate::assist::redact::Redactor;
use crate::assist::transcript::{Segment, SegmentKind, Speaker, Transcript};
use crate::{Error, Result, range};

/// The built-in system prompt of the post-call request; [`PostCallConfig::system_prompt`]
/// replaces it (the schema is sent either way).
pub const DEFAULT_POST_CALL_PROMPT: &str = "You write the after-call notes of a contact-center \
agent, from the transcript of the call that just ended and the lead's context. Write in English \
(translate Hindi or Hinglish). summary: two to four sentences on what was discussed and agreed. \
reason: why the customer called (or was called), a short phrase. outcome: resolved (the need was \
met on the call), follow_up (something is owed later: a callback, a document, an appointment), \
escalated (handed to a supervisor, a doctor or emergency services), unresolved (the call ended \
with the need unmet), no_conversation (nobody spoke with the customer: silence, voicemail, a \
wrong number). followUps: each thing promised or owed after the call, with when it is due as \
said on the call (\"tomorrow 10 am\", \"Friday\") or null. sentiment: the customer's sentiment \
by the end of the call. suggestedDisposition: exactly one of the listed dispositions that fits \
the call, or null when none fits or none is listed. confidence: 0 to 1, how sure you are of the \
outcome and the disposition. Markers in square brackets ([card], [aadhaar], [phone], …) stand \
for details removed for privacy, and a [private stretch] line for a part of the call that was \
not transcribed on purpose: never guess what they held.";

/// Name of the JSON schema sent as `response_format`.
pub(crate) const SCHEMA_NAME: &str = "call_summary";

/// The post-call summary's options ([`SuggestionConfig::post_call`](crate::assist::SuggestionConfig::post_call)).
/// It uses the suggestion LLM (the same key, endpoint and model).
///
/// The dispositions are the account's own: fetch them once with
/// [`Client::dispositions`](crate::ozonetel::Client::dispositions) (or list them yourself), and
/// the model picks one of them, exactly as written, or none.
///
/// ```no_run
/// use helix_engage::assist::{PostCallConfig, SuggestionConfig};
/// use helix_engage::ozonetel::Client;
/// # async fn demo() -> helix_engage::Result<()> {
/// let client = Client::builder().user_name("acme").api_key("your-api-key").build()?;
/// let suggestions = SuggestionConfig::new(std::env::var("OPENAI_API_KEY").unwrap_or_default())
///     .with_post_call(PostCallConfig::default().with_dispositions(client.dispositions().await?));
/// # let _ = suggestions;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PostCallConfig {
    /// Bound on the request (default 10 s; range 1..=120 000 ms). It starts once Deepgram has
    /// confirmed the end of the stream (or the stop wait ran out) and adds to how long
    /// [`LiveAssist::stop`](crate::assist::LiveAssist::stop) may take, never to the stop wait.
    pub timeout: Duration,
    /// The account's dispositions (at most 500, each 1..=200 characters, no duplicates). Empty:
    /// the schema allows only `null` for `suggestedDisposition`.
    pub dispositions: Vec<String>,
    /// How much transcript goes into the prompt, in characters (default 24 000; range
    /// 1..=1 000 000). A longer call keeps its first third and its last two thirds, cut in the
    /// middle with a marker: the reason is said early, the outcome late.
    pub max_transcript_chars: usize,
    /// Replaces [`DEFAULT_POST_CALL_PROMPT`] (at most 100 000 characters).
    pub system_prompt: Option<String>,
}

impl Default for PostCallConfig {
    fn default() -> Self {
        PostCallConfig {
            timeout: Duration::from_secs(10),
            dispositions: Vec::new(),
            max_transcript_chars: 24_000,
            system_prompt: None,
        }
    }
}

impl PostCallConfig {
    /// Replaces the dispositions, e.g. with what
    /// [`Client::dispositions`](crate::ozonetel::Client::dispositions) returned.
    pub fn with_dispositions<I, S>(mut self, dispositions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dispositions = dispositions.into_iter().map(Into::into).collect();
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        range::millis("suggestions.post_call.timeout", self.timeout, 1..=120_000)?;
        range::count(
            "suggestions.post_call.max_transcript_chars",
            self.max_transcript_chars as u64,
            1..=1_000_000,
        )?;
        if let Some(prompt) = &self.system_prompt {
            range::count(
                "suggestions.post_call.system_prompt length",
                prompt.chars().count() as u64,
                0..=100_000,
            )?;
        }
        let list = &self.dispositions;
        range::count(
            "suggestions.post_call.dispositions count",
            list.len() as u64,
            0..=500,
        )?;
        for (i, d) in list.iter().enumerate() {
            let bad = if d.trim().is_empty() {
                Some("is empty")
            } else if d.chars().count() > 200 {
                Some("is longer than 200 characters")
            } else if list[..i].contains(d) {
                Some("is listed twice")
            } else {
                None
            };
            if let Some(bad) = bad {
                return Err(Error::invalid(format!(
                    "suggestions.post_call.dispositions[{i}] {} {bad}",
                    crate::error::quote(d)
                )));
            }
        }
        Ok(())
    }
}

/// How the call ended (snake_case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// The customer's need was met on the call.
    Resolved,
    /// Something is owed after the call (see [`PostCallSummary::follow_ups`]).
    FollowUp,
    /// Handed on: a supervisor, a doctor, emergency services.
    Escalated,
    /// The call ended with the need unmet.
    Unresolved,
    /// Nobody spoke with the customer (silence, voicemail, a wrong number, or no speech
    /// transcribed at all).
    NoConversation,
}

/// One thing owed after the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    /// What is owed ("send the discharge summary by e-mail").
    pub what: String,
    /// When, as said on the call ("tomorrow 10 am"); `null` when no time was said.
    pub due: Option<String>,
}

/// The post-call summary ([`CallSummary::post_call`](crate::assist::CallSummary::post_call)):
/// built from the redacted transcript and the lead (never the lead's phone). A UI pre-fills
/// the disposition form with it; the agent confirms (nothing is set at Ozonetel by this
/// library).
///
/// JSON: `{summary, reason, outcome, followUps: [{what, due}], sentiment,
/// suggestedDisposition, confidence}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostCallSummary {
    /// What was discussed and agreed, a few sentences.
    pub summary: String,
    /// Why the customer called, a short phrase.
    pub reason: String,
    /// How the call ended.
    pub outcome: CallOutcome,
    /// What is owed after the call.
    pub follow_ups: Vec<FollowUp>,
    /// The customer's sentiment by the end of the call.
    pub sentiment: Sentiment,
    /// One of [`PostCallConfig::dispositions`], exactly as configured, or `None`. A model answer
    /// outside the list is dropped here (with a warning event), never passed on.
    pub suggested_disposition: Option<String>,
    /// How sure the model is of the outcome and the disposition, 0–1 (clamped; 0 when its
    /// disposition was dropped).
    pub confidence: f64,
}

impl PostCallSummary {
    /// The summary of a call with no transcript at all: no request is made (there is nothing to
    /// summarise, and the host knows its own "no answer" disposition better than a model would).
    pub(crate) fn no_speech() -> PostCallSummary {
        PostCallSummary {
            summary: "No speech was transcribed on this call.".into(),
            reason: String::new(),
            outcome: CallOutcome::NoConversation,
            follow_ups: Vec::new(),
            sentiment: Sentiment::Neutral,
            suggested_disposition: None,
            confidence: 0.0,
        }
    }
}

/// The JSON schema of an answer, strict: the disposition is an enum of the account's list, or
/// only `null` when the list is empty.
pub(crate) fn schema(dispositions: &[String]) -> serde_json::Value {
    let disposition = if dispositions.is_empty() {
        serde_json::json!({ "type": "null" })
    } else {
        serde_json::json!({
            "anyOf": [{ "type": "string", "enum": dispositions }, { "type": "null" }]
        })
    };
    serde_json::json!({
        "type": "object",
        "properties": {
            "summary": { "type": "string" },
            "reason": { "type": "string" },
            "outcome": {
                "type": "string",
                "enum": ["resolved", "follow_up", "escalated", "unresolved", "no_conversation"]
            },
            "followUps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "what": { "type": "string" },
                        "due": { "type": ["string", "null"] }
                    },
                    "required": ["what", "due"],
                    "additionalProperties": false
                }
            },
            "sentiment": super::sentiment_schema(),
            "suggestedDisposition": disposition,
            "confidence": { "type": "number" }
        },
        "required": ["summary", "reason", "outcome", "followUps", "sentiment",
            "suggestedDisposition", "confidence"],
        "additionalProperties": false
    })
}

/// The line a private stretch's marker segment renders as: no words, only that it was there.
pub(crate) const PRIVATE_LINE: &str = "[private stretch]";

/// Whether `segment` is a private stretch's marker (by its kind: a caller who says
/// "[private]" is still speech).
pub(crate) fn is_private_marker(segment: &Segment) -> bool {
    segment.kind == SegmentKind::Private
}

/// The whole call as prompt lines in time order: consecutive segments of one speaker joined,
/// each joined line passed through [`Redactor::for_llm`] (the segments are already redacted
/// for the agent one by one; the whole line also catches a number spoken across two finals, and
/// the lead's own number), a private stretch as its own [`PRIVATE_LINE`].
pub(crate) fn transcript_lines(transcript: &Transcript, redactor: &Redactor) -> Vec<String> {
    let mut segments: Vec<&Segment> = transcript.segments.iter().collect();
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    // `None` as the speaker is a private stretch: never joined with anything.
    let mut lines: Vec<(Option<Speaker>, String)> = Vec::new();
    for seg in segments {
        if is_private_marker(seg) {
            if !matches!(lines.last(), Some((None, _))) {
                lines.push((None, PRIVATE_LINE.to_string()));
            }
            continue;
        }
        let text = seg.text.trim();
        if text.is_empty() {
            continue;
        }
        match lines.last_mut() {
            Some((Some(speaker), line)) if *speaker == seg.speaker => {
                line.push(' ');
                line.push_str(text);
            }
            _ => lines.push((Some(seg.speaker), text.to_string())),
        }
    }
    lines
        .into_iter()
        .map(|(speaker, text)| match speaker {
            Some(speaker) => format!("{speaker}: {}", redactor.for_llm(&text)),
            None => text,
        })
        .collect()
}

/// The user message: the dispositions to choose from, the lead (redacted, no phone), and the
/// whole redacted transcript within `cfg.max_transcript_chars`.
pub(crate) fn user_prompt(
    cfg: &PostCallConfig,
    lead: Option<&LeadContext>,
    max_lead_chars: usize,
    lines: &[String],
    redactor: &Redactor,
) -> String {
    let mut out = String::new();
    if cfg.dispositions.is_empty() {
        out.push_str("No dispositions are configured: suggestedDisposition must be null.\n\n");
    } else {
        out.push_str("Dispositions (suggestedDisposition is exactly one of these, or null):\n");
        for d in &cfg.dispositions {
            out.push_str("- ");
            out.push_str(d);
            out.push('\n');
        }
        out.push('\n');
    }
    if let Some(lead) = lead {
        let text = lead.for_prompt(max_lead_chars, redactor);
        if !text.is_empty() {
            out.push_str("Lead context:\n");
            out.push_str(&text);
            out.push_str("\n\n");
        }
    }
    out.push_str("Transcript of the whole call (oldest first):\n");
    out.push_str(&head_and_tail(&lines.join("\n"), cfg.max_transcript_chars));
    out
}

/// `text` within `max_chars`: its first third and last two thirds, with a marker saying how
/// much was cut between them.
fn head_and_tail(text: &str, max_chars: usize) -> String {
    let total = text.chars().count();
    if total <= max_chars {
        return text.to_string();
    }
    let head = max_chars / 3;
    let tail = max_chars - head;
    let chars: Vec<char> = text.chars().collect();
    format!(
        "{}\n[… {} characters cut …]\n{}",
        chars[..head].iter().collect::<String>(),
        total - head - tail,
        chars[total - tail..].iter().collect::<String>()
    )
}

/// What the model sends; read leniently where a default is honest (an endpoint that ignores
/// the schema may leave out the lists), strictly where it is not (summary, outcome, sentiment).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    summary: String,
    #[serde(default)]
    reason: String,
    outcome: CallOutcome,
    #[serde(default)]
    follow_ups: Vec<FollowUp>,
    sentiment: Sentiment,
    #[serde(default)]
    suggested_disposition: Option<String>,
    #[serde(default)]
    confidence: Option<f64>,
}

/// Reads an answer and holds it to the configuration. Returns the summary and, when the
/// model's disposition was not one of the list (so it was dropped and the confidence set to
/// 0), a sentence for a warning.
pub(crate) fn parse(
    content: &str,
    cfg: &PostCallConfig,
) -> Result<(PostCallSummary, Option<String>)> {
    let wire: Wire = serde_json::from_str(content.trim()).map_err(|e| {
        Error::protocol(
            format!("the LLM answer does not match the call summary schema: {e}"),
            content,
        )
    })?;
    let mut confidence = wire
        .confidence
        .filter(|c| c.is_finite())
        .unwrap_or(0.0)
        .clamp(0.0, 1.0);
    let mut warning = None;
    let suggested_disposition = match wire.suggested_disposition {
        Some(d) if cfg.dispositions.contains(&d) => Some(d),
        Some(d) => {
            confidence = 0.0;
            warning = Some(format!(
                "the post-call summary suggested the disposition {}, which is not one of the \
                 {} configured; it was dropped",
                crate::error::quote(&d),
                cfg.dispositions.len()
            ));
            None
        }
        None => None,
    };
    let follow_ups = wire
        .follow_ups
        .into_iter()
        .filter_map(|f| {
            let what = f.what.trim().to_string();
            let due = f
                .due
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty());
            (!what.is_empty()).then_some(FollowUp { what, due })
        })
        .collect();
    Ok((
        PostCallSummary {
            summary: wire.summary.trim().to_string(),
            reason: wire.reason.trim().to_string(),
            outcome: wire.outcome,
            follow_ups,
            sentiment: wire.sentiment,
            suggested_disposition,
            confidence,
        },
        warning,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(speaker: Speaker, start: f64, text: &str) -> Segment {
        Segment {
            kind: SegmentKind::Speech,
            speaker,
            channel: 0,
            start,
            end: start + 1.0,
            text: text.into(),
            confidence: 1.0,
            words: vec![],
            speech_final: false,
            latency: None,
        }
    }

    fn private(start: f64) -> Segment {
        Segment {
            kind: SegmentKind::Private,
            ..seg(Speaker::Agent, start, "[private]")
        }
    }

    fn cfg(dispositions: &[&str]) -> PostCallConfig {
        PostCallConfig::default().with_dispositions(dispositions.iter().copied())
    }

    #[test]
    fn the_schema_lists_the_dispositions_or_allows_only_null() {
        let s = schema(&["Booked".into(), "Callback".into()]);
        let d = &s["properties"]["suggestedDisposition"]["anyOf"];
        assert_eq!(d[0]["enum"], serde_json::json!(["Booked", "Callback"]));
        assert_eq!(d[1]["type"], "null");
        assert_eq!(s["required"].as_array().unwrap().len(), 7);
        let s = schema(&[]);
        assert_eq!(
            s["properties"]["suggestedDisposition"],
            serde_json::json!({"type": "null"})
        );
    }

    #[test]
    fn dispositions_are_checked() {
        assert!(cfg(&["Booked", "Callback"]).validate().is_ok());
        let long = "x".repeat(201);
        let many: Vec<String> = (0..501).map(|i| format!("d{i}")).collect();
        for bad in [
            cfg(&["Booked", " "]),
            cfg(&["Booked", &long]),
            cfg(&["Booked", "Booked"]),
            PostCallConfig::default().with_dispositions(many),
        ] {
            let err = bad.validate().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            assert!(
                err.to_string()
                    .contains("suggestions.post_call.dispositions"),
                "{err}"
            );
        }
        let mut c = cfg(&[]);
        c.timeout = Duration::from_secs(121);
        assert!(c.validate().unwrap_err().to_string().contains("timeout"));
    }

    #[test]
    fn lines_join_speakers_and_mark_private_stretches() {
        let t = Transcript {
            segments: vec![
                seg(Speaker::Agent, 0.0, "Hello,"),
                seg(Speaker::Agent, 1.0, "how can I help?"),
                private(2.0),
                private(3.0),
                seg(Speaker::Customer, 4.0, "Thanks."),
            ],
        };
        let redactor = Redactor::new(&Default::default()).unwrap();
        assert_eq!(
            transcript_lines(&t, &redactor),
            vec![
                "Agent: Hello, how can I help?",
                PRIVATE_LINE,
                "Customer: Thanks."
            ]
        );
    }

    #[test]
    fn a_long_call_keeps_its_start_and_its_end() {
        let text: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
        let cut = head_and_tail(&text, 90);
        assert!(cut.starts_with("line 000"), "{cut}");
        assert!(cut.trim_end().ends_with("line 099"), "{cut}");
        assert!(cut.contains("characters cut"), "{cut}");
        assert_eq!(head_and_tail("short", 90), "short");
    }

    #[test]
    fn answers_are_held_to_the_list_and_the_range() {
        let c = cfg(&["Booked", "Callback"]);
        let (s, warning) = parse(
            r#"{"summary":" Booked a visit. ","reason":"appointment","outcome":"follow_up",
            "followUps":[{"what":"Send directions","due":" "},{"what":" ","due":null}],
            "sentiment":"positive","suggestedDisposition":"Booked","confidence":1.7}"#,
            &c,
        )
        .unwrap();
        assert!(warning.is_none());
        assert_eq!(s.summary, "Booked a visit.");
        assert_eq!(s.outcome, CallOutcome::FollowUp);
        assert_eq!(
            s.follow_ups,
            vec![FollowUp {
                what: "Send directions".into(),
                due: None
            }]
        );
        assert_eq!(s.suggested_disposition.as_deref(), Some("Booked"));
        assert_eq!(s.confidence, 1.0);

        let (s, warning) = parse(
            r#"{"summary":"x","reason":"y","outcome":"resolved","followUps":[],
            "sentiment":"neutral","suggestedDisposition":"booked","confidence":0.9}"#,
            &c,
        )
        .unwrap();
        assert_eq!(s.suggested_disposition, None);
        assert_eq!(s.confidence, 0.0);
        assert!(warning.unwrap().contains("\"booked\""));

        assert!(parse("Sure, here is a summary", &c).is_err());
        assert!(
            parse(
                r#"{"summary":"x","outcome":"maybe","sentiment":"neutral"}"#,
                &c
            )
            .is_err()
        );
    }

    #[test]
    fn the_summary_serialises_in_camel_case() {
        let v = serde_json::to_value(PostCallSummary::no_speech()).unwrap();
        assert_eq!(v["outcome"], "no_conversation");
        assert_eq!(v["followUps"], serde_json::json!([]));
        assert!(v["suggestedDisposition"].is_null());
        assert_eq!(v["sentiment"], "neutral");
    }
}
