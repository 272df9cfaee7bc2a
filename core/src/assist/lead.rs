//! What the agent's CRM knows about the person on the line, rendered into the LLM prompts (the
//! live suggestions and the post-call summary).

use super::redact::Redactor;

/// The lead's context, given to the LLM so suggestions and the post-call summary fit this
/// customer.
///
/// Every field is optional; only what is set goes into a prompt, except [`phone`](Self::phone),
/// which never does. Every line sent to the LLM (the lead's and the transcript's) passes
/// [`Redactor::for_llm`] first, so card, Aadhaar and phone numbers in the notes or history are
/// replaced by their markers too. The host still decides what else is appropriate to send to the
/// LLM provider (names and notes are personal data).
///
/// ```
/// use helix_engage::assist::LeadContext;
/// let lead = LeadContext {
///     name: Some("Asha Rao".into()),
///     phone: Some("+91 98450 12345".into()),
///     history: vec!["2024-05-02: asked about home-loan rates".into()],
///     ..Default::default()
/// };
/// let prompt = lead.render(1_000);
/// assert!(prompt.contains("Asha Rao"));
/// assert!(!prompt.contains("98450"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct LeadContext {
    /// The customer's name.
    pub name: Option<String>,
    /// The customer's phone number: shown to the agent, never put in a prompt. The session's
    /// redactor takes this number out of everything sent to the LLM, wherever it is said.
    pub phone: Option<String>,
    /// Pipeline status, e.g. `"follow-up"`, `"qualified"`.
    pub status: Option<String>,
    /// Earlier interactions, oldest first, one short line each.
    pub history: Vec<String>,
    /// Any other facts as label/value pairs (`("Plan", "Gold")`; `[["Plan", "Gold"]]` in
    /// JSON).
    pub fields: Vec<(String, String)>,
    /// Free-form notes from the CRM.
    pub notes: Option<String>,
}

impl LeadContext {
    /// Renders the context as prompt lines, at most `max_chars` characters (the most recent
    /// history is kept when it must be cut, because it matters most on this call). The phone is
    /// left out; nothing is redacted (the session's prompts use the redacting variant).
    pub fn render(&self, max_chars: usize) -> String {
        self.render_with(max_chars, |s| s.to_string())
    }

    /// [`render`](Self::render) with every value passed through [`Redactor::for_llm`] before
    /// the budget is applied, so a cut never leaves half a number unredacted: what every LLM
    /// prompt holds.
    pub(crate) fn for_prompt(&self, max_chars: usize, redactor: &Redactor) -> String {
        self.render_with(max_chars, |s| redactor.for_llm(s))
    }

    fn render_with(&self, max_chars: usize, clean: impl Fn(&str) -> String) -> String {
        let value = |s: &str| clean(&one_line(s));
        let mut head = Vec::new();
        if let Some(name) = non_empty(&self.name) {
            head.push(format!("Name: {}", value(name)));
        }
        if let Some(status) = non_empty(&self.status) {
            head.push(format!("Status: {}", value(status)));
        }
        for (label, v) in &self.fields {
            head.push(format!("{}: {}", value(label), value(v)));
        }
        if let Some(notes) = non_empty(&self.notes) {
            head.push(format!("Notes: {}", value(notes)));
        }
        let mut out = head.join("\n");
        if !self.history.is_empty() {
            // Newest history first when budgeting, then restore chronological order.
            let mut kept = Vec::new();
            let mut used = out.chars().count() + "\nHistory:".len();
            for line in self.history.iter().rev() {
                let line = format!("- {}", value(line));
                let len = line.chars().count() + 1;
                if used + len > max_chars {
                    break;
                }
                used += len;
                kept.push(line);
            }
            if !kept.is_empty() {
                kept.reverse();
                out.push_str("\nHistory:\n");
                out.push_str(&kept.join("\n"));
            }
        }
        truncate_chars(out.trim_start(), max_chars)
    }

    /// Whether nothing at all is known. (A lead with only a phone is not empty, although its
    /// prompt text is.)
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.phone.is_none()
            && self.status.is_none()
            && self.history.is_empty()
            && self.fields.is_empty()
            && self.notes.is_none()
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Prompt lines must stay lines: CRM notes often hold newlines.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn truncate_chars(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_only_what_is_set_and_keeps_recent_history() {
        let lead = LeadContext {
            name: Some("Asha".into()),
            status: Some(" ".into()),
            history: vec!["old call".into(), "new\ncall".into()],
            fields: vec![("Plan".into(), "Gold".into())],
            ..Default::default()
        };
        let full = lead.render(1_000);
        assert_eq!(
            full,
            "Name: Asha\nPlan: Gold\nHistory:\n- old call\n- new call"
        );
        let short = lead.render(45);
        assert!(short.contains("- new call"), "{short}");
        assert!(!short.contains("old call"), "{short}");
        assert!(LeadContext::default().is_empty());
    }

    #[test]
    fn the_phone_never_reaches_a_prompt() {
        let lead = LeadContext {
            name: Some("Asha".into()),
            phone: Some("+91 98450 12345".into()),
            ..Default::default()
        };
        let redactor = Redactor::new(&Default::default()).unwrap();
        for text in [lead.render(1_000), lead.for_prompt(1_000, &redactor)] {
            assert_eq!(text, "Name: Asha");
        }
    }
}
