//! What the stand-in reads from a transcript in the user message: the customer's lines and,
//! from them, the live signals (sentiment, escalation) and the post-call fields. Word lists,
//! deterministic, English and Hinglish (Latin script), so tests can drive every branch.
//!
//! A transcript line is `Agent: …` or `Customer: …` (also `Caller: …`), as the client writes
//! its transcript; matching is on lower-case words, and a phrase of several words also matches
//! with up to two words between its words ("chest mein bahut dard" matches "chest mein dard").

/// Phrases that make a medical emergency (the escalation with the highest priority).
pub(super) const MEDICAL: &[&str] = &[
    "chest pain",
    "chest mein dard",
    "not breathing",
    "saans nahi",
    "unconscious",
    "behosh",
    "bleeding",
    "khoon",
    "heart attack",
    "emergency",
];
/// Words that ask for a supervisor (second priority).
pub(super) const SUPERVISOR: &[&str] = &["supervisor", "manager", "senior", "complaint"];
/// Words of an angry customer (third priority; the sentiment is then `angry`).
pub(super) const ANGRY: &[&str] = &[
    "ridiculous",
    "worst",
    "angry",
    "bakwas",
    "useless",
    "pathetic",
];
const POSITIVE: &[&str] = &["thank", "great", "dhanyavaad"];
const NEGATIVE: &[&str] = &["problem", "not happy", "pareshan"];

/// How many words may sit between two words of a phrase.
const PHRASE_SLACK: usize = 2;

/// One transcript line: who spoke and what was said.
pub(super) struct Line {
    pub customer: bool,
    pub text: String,
}

/// How far into a line its speaker label may start (room for a `[00:12]` or `- ` before it).
const LABEL_WITHIN: usize = 24;

/// The transcript lines of a user message (other lines — lead context, instructions — are not
/// part of the conversation). A line is `Customer: …`, `Caller: …` or `Agent: …`, possibly
/// after a list mark or a timestamp (`- [00:12] Customer: …`), never after a word.
pub(super) fn transcript(user_message: &str) -> Vec<Line> {
    user_message.lines().filter_map(line).collect()
}

fn line(raw: &str) -> Option<Line> {
    let lower = raw.to_lowercase();
    let (at, label) = ["customer:", "caller:", "agent:"]
        .iter()
        .filter_map(|label| {
            let at = lower.find(label)?;
            // Before the label: only marks and times, never words.
            let marks_only = lower[..at].chars().all(|c| !c.is_alphabetic());
            (at <= LABEL_WITHIN && marks_only).then_some((at, *label))
        })
        .min()?;
    // Lower-casing may change byte lengths; take the text after the label by characters.
    let skip = lower[..at + label.len()].chars().count();
    Some(Line {
        customer: label != "agent:",
        text: raw
            .chars()
            .skip(skip)
            .collect::<String>()
            .trim()
            .to_string(),
    })
}

/// Lower-case words (letters and digits) of a text.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Where `phrase` occurs in `words` (a single word of four letters or more matches as a
/// prefix, so "thanks" and "complaints" count; "kal" must be itself): the words as said, from
/// its first to its last word.
pub(super) fn find(words: &[String], phrase: &str) -> Option<String> {
    let parts: Vec<&str> = phrase.split(' ').collect();
    if parts.len() == 1 {
        let p = parts[0];
        return words
            .iter()
            .find(|w| *w == p || (p.len() >= 4 && w.starts_with(p)))
            .map(|w| w.to_string());
    }
    for start in (0..words.len()).filter(|&i| words[i] == parts[0]) {
        let mut at = start;
        let mut ok = true;
        for part in &parts[1..] {
            let window = at + 1..(at + 2 + PHRASE_SLACK).min(words.len());
            match window.clone().find(|&j| words[j] == *part) {
                Some(j) => at = j,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Some(words[start..=at].join(" "));
        }
    }
    None
}

/// The first phrase of `list` found in `words`, as said.
pub(super) fn find_any(words: &[String], list: &[&str]) -> Option<String> {
    list.iter().find_map(|p| find(words, p))
}

/// Why the agent should escalate, with the phrase that says so.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Escalation {
    /// `medical_emergency`, `supervisor_requested` or `angry_customer`.
    pub reason: &'static str,
    /// The customer's words that triggered it, as said.
    pub phrase: String,
}

/// The customer's words, all lines together.
pub(super) fn customer_words(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.customer)
        .flat_map(|l| words(&l.text))
        .collect()
}

/// Escalation by priority: medical emergency, then a supervisor, then anger.
pub(super) fn escalation(lines: &[Line]) -> Option<Escalation> {
    let said = customer_words(lines);
    [
        ("medical_emergency", MEDICAL),
        ("supervisor_requested", SUPERVISOR),
        ("angry_customer", ANGRY),
    ]
    .iter()
    .find_map(|(reason, list)| find_any(&said, list).map(|phrase| Escalation { reason, phrase }))
}

/// The customer's current sentiment: `angry` with an angry word anywhere; otherwise the newest
/// customer line with a negative or positive word decides (negative first); else `neutral`.
pub(super) fn sentiment(lines: &[Line]) -> &'static str {
    if find_any(&customer_words(lines), ANGRY).is_some() {
        return "angry";
    }
    for line in lines.iter().rev().filter(|l| l.customer) {
        let w = words(&line.text);
        if find_any(&w, NEGATIVE).is_some() {
            return "negative";
        }
        if find_any(&w, POSITIVE).is_some() {
            return "positive";
        }
    }
    "neutral"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<Line> {
        transcript(text)
    }

    #[test]
    fn phrases_match_with_slack_and_priority_holds() {
        let l = lines(
            "Agent: Kaise madad karun?\nCustomer: sir mujhe chest mein bahut dard ho raha hai, I want a manager",
        );
        let e = escalation(&l).expect("escalation");
        assert_eq!(e.reason, "medical_emergency");
        assert_eq!(e.phrase, "chest mein bahut dard");
        let l = lines("Customer: this is ridiculous, get me your supervisor");
        assert_eq!(
            escalation(&l).map(|e| e.reason),
            Some("supervisor_requested")
        );
        assert_eq!(sentiment(&l), "angry");
        // The agent's words do not count.
        assert_eq!(escalation(&lines("Agent: this is an emergency line")), None);
    }

    #[test]
    fn sentiment_follows_the_newest_customer_line() {
        assert_eq!(
            sentiment(&lines(
                "Customer: I have a problem\nCustomer: thanks, great"
            )),
            "positive"
        );
        assert_eq!(
            sentiment(&lines("Customer: dhanyavaad\nCustomer: main pareshan hoon")),
            "negative"
        );
        assert_eq!(sentiment(&lines("Customer: okay")), "neutral");
        assert_eq!(sentiment(&lines("Lead: thanks")), "neutral");
    }

    #[test]
    fn transcript_lines_may_carry_a_mark_or_a_timestamp() {
        let l = lines(
            "Lead context:\nName: Ravi\n- [00:12] Customer: Haan ji\nAGENT: Ji\nnot a Customer: line because the label starts too late in it\nSubagent: no",
        );
        let got: Vec<(bool, &str)> = l.iter().map(|l| (l.customer, l.text.as_str())).collect();
        assert_eq!(got, [(true, "Haan ji"), (false, "Ji")]);
    }
}
