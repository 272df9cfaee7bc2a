//! The bearer key check, with OpenAI's two 401 answers (no key, wrong key).

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::error::api_error;
use crate::intake::presented_key;

/// Accepts `Authorization: Bearer <key>` with exactly the simulator's key.
#[allow(clippy::result_large_err)]
pub(super) fn authorize(headers: &HeaderMap, key: &str) -> Result<(), Response> {
    let Some(presented) = presented_key(headers, &["Bearer "]) else {
        return Err(api_error(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            None,
            None,
        ));
    };
    if presented != key {
        return Err(api_error(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask_key(presented)
            ),
            None,
            Some("invalid_api_key"),
        ));
    }
    Ok(())
}

/// The key as OpenAI quotes it back: first 3 and last 4 characters, the rest starred.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}
