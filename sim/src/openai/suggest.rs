//! The suggestions themselves: derived from the last transcript lines of the last user message,
//! deterministic, so tests can assert them.

use serde_json::Value;

/// A message's text: its string content, or its text parts joined by newlines.
pub(super) fn message_text(m: &Value) -> String {
    match m.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// What the suggestions are derived from.
pub(super) struct Context {
    /// Suggestion texts, in order.
    pub texts: Vec<String>,
    /// The line the suggestions answer.
    pub focus: String,
}

/// The text of the last user message (where the client puts the transcript).
pub(super) fn last_user(messages: Option<&Value>) -> String {
    messages
        .and_then(Value::as_array)
        .and_then(|ms| ms.iter().rev().find(|m| m["role"] == "user"))
        .map(message_text)
        .unwrap_or_default()
}

impl Context {
    pub fn from_messages(messages: Option<&Value>) -> Self {
        let last_user = last_user(messages);
        let lines: Vec<&str> = last_user
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        // Transcript lines look like "Speaker: words"; fall back to any line.
        let speaker_of = |l: &str| -> Option<String> {
            let (who, rest) = l.split_once(':')?;
            let who = who.trim().trim_start_matches(['[', '-', '*', ' ']);
            let plausible = !who.is_empty()
                && who.len() <= 24
                && who
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '_' || c == ']');
            (plausible && !rest.trim().is_empty()).then(|| who.to_ascii_lowercase())
        };
        let transcript: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| speaker_of(l).is_some())
            .collect();
        let pool = if transcript.is_empty() {
            lines.clone()
        } else {
            transcript
        };
        let recent: Vec<&str> = pool.iter().rev().take(3).rev().copied().collect();
        let focus_line = recent
            .iter()
            .rev()
            .find(|l| speaker_of(l).is_some_and(|s| s.contains("customer") || s.contains("caller")))
            .or(recent.last())
            .copied()
            .unwrap_or("");
        let focus = match focus_line.split_once(':') {
            Some((who, rest)) if speaker_of(focus_line).is_some() && !who.is_empty() => {
                rest.trim().to_string()
            }
            _ => focus_line.to_string(),
        };
        let snippet: String = focus.chars().take(80).collect();
        let lower = focus.to_ascii_lowercase();
        let answer = if ["cost", "price", "fee", "charge", "how much"]
            .iter()
            .any(|k| lower.contains(k))
        {
            "Share the price range for what they asked about and offer to send a detailed quote."
        } else if ["insurance", "cover", "claim"]
            .iter()
            .any(|k| lower.contains(k))
        {
            "Confirm which insurance providers are accepted and what the coverage includes."
        } else if ["appointment", "slot", "book", "schedule", "visit"]
            .iter()
            .any(|k| lower.contains(k))
        {
            "Offer the next available appointment slots and confirm a time."
        } else if focus.is_empty() {
            "Greet the customer and confirm their name and reason for calling."
        } else {
            "Acknowledge the request and confirm the details back to the customer."
        };
        let texts = if focus.is_empty() {
            vec![answer.to_string()]
        } else {
            vec![
                answer.to_string(),
                format!("Ask a follow-up about: \"{snippet}\""),
                format!("Note on the lead: customer said \"{snippet}\""),
            ]
        };
        Context { texts, focus }
    }
}
