//! Deterministic content for the schemas the library names (`response_format.json_schema.name`),
//! written over the value generated from the schema so the answer still validates against
//! whatever schema is sent:
//!
//! - `agent_suggestions` (live suggestions): `sentiment` and `escalation` from the customer's
//!   lines ([`signals`](super::signals)); with a medical emergency the first suggestion is a
//!   `next_step` telling the agent what to do.
//! - `call_summary` (post-call): `summary`, `reason`, `outcome`, `followUps`, `sentiment`,
//!   `suggestedDisposition` and `confidence`, from the transcript and the disposition enum in
//!   the schema (rules on [`call_summary`]).
//!
//! Other names are answered generically.

use serde_json::{Map, Value, json};

use super::schema::resolve;
use super::signals::{self, Line, find, find_any, words};

/// The live-suggestions schema's name.
pub(super) const AGENT_SUGGESTIONS: &str = "agent_suggestions";
/// The post-call summary schema's name.
pub(super) const CALL_SUMMARY: &str = "call_summary";

/// What the first suggestion says when the customer describes a medical emergency.
pub(super) const EMERGENCY_STEP: &str = "Ask the caller to dial 108 for an ambulance now (or go \
to the nearest emergency department), stay on the line and alert the hospital's emergency team.";

/// Words that mean the customer is to be called back (or something happens later).
const CALLBACK: &[&str] = &[
    "callback",
    "call back",
    "call me back",
    "call you back",
    "tomorrow",
    "kal",
];
/// Day words of a callback ("call you back tomorrow").
const DAYS: &[&str] = &["tomorrow", "kal", "today", "aaj"];
/// Words that may follow a callback word and belong to when it is due.
const WHEN: &[&str] = &[
    "morning",
    "afternoon",
    "evening",
    "night",
    "subah",
    "shaam",
    "dopahar",
    "raat",
];
/// Keywords for the call's reason, in priority order, and the reason they give.
const REASONS: &[(&str, &str)] = &[
    ("appointment", "Appointment request"),
    ("policy", "Insurance policy enquiry"),
    ("claim", "Insurance claim"),
    ("bill", "Billing enquiry"),
    ("report", "Medical report enquiry"),
];
/// The longest summary.
const SUMMARY_CHARS: usize = 200;

/// Rewrites `value` (generated from `schema`) for a named schema; other names are left alone.
pub(super) fn apply(name: &str, schema: &Value, value: &mut Value, user_message: &str) {
    let lines = signals::transcript(user_message);
    let Value::Object(out) = value else {
        return;
    };
    let props = resolve(schema, schema)
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut answer = Answer {
        props,
        root: schema,
        out,
    };
    match name {
        AGENT_SUGGESTIONS => agent_suggestions(&mut answer, &lines),
        CALL_SUMMARY => call_summary(&mut answer, &lines),
        _ => {}
    }
}

/// The answer being rewritten, with the schema's properties it must keep to.
struct Answer<'a> {
    props: Map<String, Value>,
    root: &'a Value,
    out: &'a mut Map<String, Value>,
}

impl Answer<'_> {
    /// The schema of property `key`, `$ref` resolved.
    fn property(&self, key: &str) -> Option<&Value> {
        self.props.get(key).map(|p| resolve(p, self.root))
    }

    /// Sets `key` when the schema has it and (for a string) allows the value.
    fn set(&mut self, key: &str, v: Value) {
        let fits = match self.property(key) {
            Some(sub) => !v.is_string() || allows(sub, self.root, &v),
            None => false,
        };
        if fits {
            self.out.insert(key.to_string(), v);
        }
    }
}

/// Whether a string schema (or one branch of an `anyOf`) takes `v`.
fn allows(schema: &Value, root: &Value, v: &Value) -> bool {
    if let Some(Value::Array(branches)) = schema.get("anyOf") {
        return branches.iter().any(|b| allows(resolve(b, root), root, v));
    }
    match schema.get("enum").and_then(Value::as_array) {
        Some(options) => options.contains(v),
        None => schema.get("type").is_none_or(|t| t == "string"),
    }
}

fn agent_suggestions(a: &mut Answer<'_>, lines: &[Line]) {
    a.set("sentiment", json!(signals::sentiment(lines)));
    let escalation = signals::escalation(lines);
    let v = match &escalation {
        Some(e) => json!({"reason": e.reason, "detail": detail(e)}),
        None => Value::Null,
    };
    a.set("escalation", v);
    if escalation
        .as_ref()
        .is_none_or(|e| e.reason != "medical_emergency")
    {
        return;
    }
    let max = a
        .property("suggestions")
        .and_then(|s| s.get("maxItems"))
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    if let Some(Value::Array(items)) = a.out.get_mut("suggestions")
        && max > 0
    {
        let mut first = items.first().cloned().unwrap_or_else(|| json!({}));
        if let Value::Object(o) = &mut first {
            o.insert("kind".into(), json!("next_step"));
            o.insert("text".into(), json!(EMERGENCY_STEP));
        }
        items.insert(0, first);
        items.truncate(max);
    }
}

/// The escalation's detail: the customer's words that triggered it.
fn detail(e: &signals::Escalation) -> String {
    match e.reason {
        "medical_emergency" => format!(
            "The customer describes a medical emergency: \"{}\"",
            e.phrase
        ),
        "supervisor_requested" => format!("The customer wants a supervisor: \"{}\"", e.phrase),
        _ => format!("The customer is angry: \"{}\"", e.phrase),
    }
}

/// The post-call fields, from the transcript lines:
///
/// - `summary`: `The customer called and said: "<first customer line>"` (at most 200
///   characters); with no customer line, that no conversation was transcribed.
/// - `reason`: the first of appointment / policy / claim / bill / report the customer said,
///   else `General enquiry` (`No conversation` without customer lines).
/// - `outcome`: `no_conversation` without customer lines, else `escalated` with an escalation
///   word, else `follow_up` when a callback, "call back", "kal" or "tomorrow" is said (by
///   anyone), else `resolved`.
/// - `followUps`: one item for a callback, `due` the words as said ("kal subah", "tomorrow
///   morning"; `null` for a bare "call back").
/// - `sentiment`: as for suggestions.
/// - `suggestedDisposition`: the schema's enum value sharing the most words with the
///   transcript (ties: the first), `null` when none shares a word or there is no enum;
///   `confidence` 0.9 when every word of it was said, 0.5 when only some were, 0.0 with null.
fn call_summary(a: &mut Answer<'_>, lines: &[Line]) {
    let customer: Vec<&Line> = lines.iter().filter(|l| l.customer).collect();
    let all_words: Vec<String> = lines.iter().flat_map(|l| words(&l.text)).collect();
    let said = signals::customer_words(lines);
    let summary = match customer.first() {
        Some(first) => {
            let s = format!("The customer called and said: \"{}\"", first.text);
            if s.chars().count() > SUMMARY_CHARS {
                let cut: String = s.chars().take(SUMMARY_CHARS - 4).collect();
                format!("{cut}…\"")
            } else {
                s
            }
        }
        None => "No conversation with the customer was transcribed.".to_string(),
    };
    let reason = if customer.is_empty() {
        "No conversation"
    } else {
        REASONS
            .iter()
            .find(|(k, _)| find(&said, k).is_some())
            .map_or("General enquiry", |(_, r)| r)
    };
    let callback = find_any(&all_words, CALLBACK).map(|phrase| due(&all_words, &phrase));
    let outcome = if customer.is_empty() {
        "no_conversation"
    } else if signals::escalation(lines).is_some() {
        "escalated"
    } else if callback.is_some() {
        "follow_up"
    } else {
        "resolved"
    };
    let follow_ups = match &callback {
        Some(due) => json!([{"what": "Call the customer back as agreed", "due": due}]),
        None => json!([]),
    };
    a.set("summary", json!(summary));
    a.set("reason", json!(reason));
    a.set("outcome", json!(outcome));
    a.set("followUps", follow_ups);
    a.set("sentiment", json!(signals::sentiment(lines)));
    let (disposition, confidence) = a
        .property("suggestedDisposition")
        .map(|s| disposition(&enum_values(s, a.root), &all_words))
        .unwrap_or((None, 0.0));
    a.set("suggestedDisposition", json!(disposition));
    a.set("confidence", json!(confidence));
}

/// When a callback is due, as said: the day and time-of-day words in or right after the
/// callback words (`said`, a span of `words`); `None` for a bare "call back".
fn due(words: &[String], said: &str) -> Option<String> {
    let span: Vec<&str> = said.split(' ').collect();
    let at = words
        .windows(span.len())
        .position(|w| w.iter().zip(&span).all(|(a, b)| a == b))?;
    let timing = |w: &str| DAYS.contains(&w) || WHEN.contains(&w);
    let mut due: Vec<&str> = span.iter().copied().filter(|w| timing(w)).collect();
    due.extend(
        words[at + span.len()..]
            .iter()
            .take(2)
            .map(String::as_str)
            .take_while(|w| timing(w)),
    );
    (!due.is_empty()).then(|| due.join(" "))
}

/// The string enum values of a schema or of its `anyOf` branches.
fn enum_values(schema: &Value, root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let branches: Vec<&Value> = match schema.get("anyOf").and_then(Value::as_array) {
        Some(b) => b.iter().map(|b| resolve(b, root)).collect(),
        None => vec![schema],
    };
    for b in branches {
        if let Some(options) = b.get("enum").and_then(Value::as_array) {
            out.extend(options.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    out
}

/// The disposition sharing the most words with the transcript, and how sure that is.
fn disposition(options: &[String], said: &[String]) -> (Option<String>, f64) {
    let mut best: Option<(&String, usize, bool)> = None;
    for option in options {
        let own = words(option);
        let shared = own.iter().filter(|w| said.contains(w)).count();
        if shared > 0 && best.is_none_or(|(_, n, _)| shared > n) {
            best = Some((option, shared, shared == own.len()));
        }
    }
    match best {
        Some((option, _, all)) => (Some(option.clone()), if all { 0.9 } else { 0.5 }),
        None => (None, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keeps_the_words_as_said() {
        let w = words("I will call you back tomorrow morning");
        assert_eq!(
            due(&w, &find_any(&w, CALLBACK).expect("callback")),
            Some("tomorrow morning".into())
        );
        let w = words("appointment chahiye, kal subah");
        assert_eq!(due(&w, "kal"), Some("kal subah".into()));
        let w = words("call me back tomorrow evening please");
        assert_eq!(
            due(&w, &find_any(&w, CALLBACK).expect("callback")),
            Some("tomorrow evening".into())
        );
        let w = words("please call me back");
        assert_eq!(due(&w, &find_any(&w, CALLBACK).expect("callback")), None);
    }

    #[test]
    fn disposition_prefers_most_shared_words() {
        let opts: Vec<String> = [
            "General Enquiry",
            "Appointment Booked",
            "Callback Requested",
        ]
        .map(String::from)
        .to_vec();
        let said = words("the appointment is booked");
        assert_eq!(
            disposition(&opts, &said),
            (Some("Appointment Booked".into()), 0.9)
        );
        let said = words("I need an appointment");
        assert_eq!(
            disposition(&opts, &said),
            (Some("Appointment Booked".into()), 0.5)
        );
        assert_eq!(disposition(&opts, &words("hello")), (None, 0.0));
        assert_eq!(disposition(&[], &said), (None, 0.0));
    }
}
