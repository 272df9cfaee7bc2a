//! The one check every API key goes through before it is used.

use crate::error::{Error, Result};

/// The longest key accepted.
const MAX_KEY_BYTES: usize = 1024;

/// A key travels in an HTTP header (and, for Record.php, a query string): it must be non-empty
/// visible ASCII. Checked up front so a pasted key with a stray newline is a clear
/// `invalid_input` rather than an obscure transport error — or, inside async-openai, which
/// builds its header with `parse().unwrap()`, a panic. The message never echoes the key.
pub(crate) fn check_api_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid(format!("{what} is empty")));
    }
    // Real keys are tens of characters; a megabyte one is a file pasted by mistake, and would
    // become a header no server takes.
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::invalid(format!(
            "{what} is {} bytes; at most {MAX_KEY_BYTES} (is it really the key?)",
            key.len()
        )));
    }
    if !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::invalid(format!(
            "{what} holds spaces, control or non-ASCII characters (a copy-paste slip?)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_visible_ascii_and_are_not_echoed() {
        assert!(check_api_key("api_key", "abc-123_XYZ.=").is_ok());
        let huge = "k".repeat(MAX_KEY_BYTES + 1);
        for bad in ["", " ", "abc\n", "ab c", "clé", "a\u{0}b", huge.as_str()] {
            let err = check_api_key("api_key", bad).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            if !bad.trim().is_empty() {
                assert!(!err.to_string().contains(bad.trim()), "{err}");
            }
        }
    }
}
