//! Caller and server text inside error messages: the one truncation rule.
//!
//! A 10 MB argument or response body must not become a 10 MB message (or log line), and a cut
//! must fall on a character boundary. The core's own messages
//! ([`Error`](crate::Error)'s snippets and quotes) and the bindings' (the Node addon quoting a
//! serde error or an option's key) all cut here.

/// The first `max_chars` characters of `text`, with `…` when it was cut.
///
/// ```
/// use helix_engage::text::short;
/// assert_eq!(short("hello", 10), "hello");
/// assert_eq!(short("नमस्ते दुनिया", 3), "नमस…");
/// ```
pub fn short(text: &str, max_chars: usize) -> String {
    match prefix(text, max_chars) {
        Some(cut) => format!("{cut}…"),
        None => text.to_string(),
    }
}

/// The first `max_chars` characters of `text` when it is longer, `None` when it fits.
pub(crate) fn prefix(text: &str, max_chars: usize) -> Option<&str> {
    text.char_indices()
        .nth(max_chars)
        .map(|(cut, _)| &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_character_boundaries_and_marks_the_cut() {
        assert_eq!(short("", 0), "");
        assert_eq!(short("abc", 3), "abc");
        assert_eq!(short("abcd", 3), "abc…");
        assert_eq!(short("kक्ष", 1), "k…");
        let huge = "9".repeat(10_000_000);
        assert_eq!(short(&huge, 200).chars().count(), 201);
        assert_eq!(prefix("abcd", 3), Some("abc"));
        assert_eq!(prefix("abc", 3), None);
    }
}
