//! The agent desk: login/logout (`login.rs`), Ready/Pause and force-ready (`state.rs`),
//! manual dials (`dial.rs`), dispositions (`disposition.rs`), and what they share here:
//! typing Ozonetel's refusal sentences for an agent's state and input.
//!
//! Ozonetel's reference (<https://docs.ozonetel.com/reference>) words these refusals with the
//! agent's name or number inside ("Agent asha is in ACW state…", "asha logged in with the
//! number (+91…)"), so they are matched by shape, not whole: `refusal` below, applied to the
//! `api` errors of the desk's own endpoints only. Nothing else in the crate changes meaning.

mod dial;
mod disposition;
mod login;
mod state;

pub use dial::{Dial, DialOptions, PhoneDialOptions};
pub use disposition::{Disposition, DispositionOutcome};
pub use login::{LoginOutcome, LoginResponse};
pub use state::{AgentStateResponse, ForceReady};

use crate::error::{AgentRefusal, Error, Result, quote};

/// Longest free text (uui, comments, pause reason) sent: Ozonetel stores short fields, and a
/// megabyte argument is a bug better refused than sent.
const MAX_FREE_TEXT: usize = 1000;

/// Free text the caller chose: trimmed, at most [`MAX_FREE_TEXT`] characters, no control
/// characters other than newlines and tabs (comments may be multi-line).
pub(crate) fn free_text(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > MAX_FREE_TEXT {
        return Err(Error::invalid(format!(
            "{field} {} is longer than {MAX_FREE_TEXT} characters",
            quote(value)
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(format!(
            "{field} {} contains control characters",
            quote(value)
        )));
    }
    Ok(value.to_string())
}

/// The agent-state refusal a message states, if it is one.
pub(crate) fn refusal_of(message: &str) -> Option<AgentRefusal> {
    let m = normalise(message);
    if m == "agent is not available" {
        return Some(AgentRefusal::NotAvailable);
    }
    if m == "agent is not logged in"
        || (m.starts_with("agent ") && m.ends_with(" is not logged in"))
    {
        return Some(AgentRefusal::NotLoggedIn);
    }
    if m.contains(" logged in with the number") || m.contains(" logged in with same phone number") {
        return Some(AgentRefusal::NumberInUse);
    }
    if m.starts_with("agent ") && m.contains(" is in acw state") {
        return Some(AgentRefusal::InAcw);
    }
    if m.starts_with("agent ") && m.contains(" is in busy state") {
        return Some(AgentRefusal::Busy);
    }
    None
}

/// Ozonetel's refusals of the input that reach the desk's endpoints, normalised: the request
/// was sent, nothing was applied, and fixing the input is the only way forward.
const INPUT_SENTENCES: &[&str] = &[
    "invalid agent",
    "empty disposition code",
    "provide pause reason",
    "pauseReason is invalid",
    "campaign is invalid",
    "all parameters are mandatory",
    "phone name not found",
    "the state should be either 'ready' or 'pause' state'",
];

/// Retypes an `api` error of a desk endpoint: agent-state refusals become
/// [`Error::AgentState`] (any phone number in the text cut to its last digits), input
/// refusals [`Error::InvalidInput`]. `what` says what was being done. Other errors pass.
pub(crate) fn retype(error: Error, what: &str) -> Error {
    let Error::Api {
        message,
        http_status: None,
        ..
    } = &error
    else {
        return error.context(what);
    };
    if let Some(refusal) = refusal_of(message) {
        return Error::AgentState {
            refusal,
            message: format!("{what}: {}", mask_numbers(message)),
        };
    }
    let normal = normalise(message);
    if INPUT_SENTENCES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(&normal))
    {
        return Error::invalid(format!(
            "{what}: Ozonetel refused the input and applied nothing: {message}"
        ));
    }
    error.context(what)
}

/// Trimmed, lower case, whitespace collapsed, trailing full stops dropped — as the envelope
/// compares sentences.
pub(crate) fn normalise(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    words
        .join(" ")
        .trim_end_matches('.')
        .trim_end()
        .to_ascii_lowercase()
}

/// Every run of 6 or more digits (a phone number) cut to `…` and its last 4 digits: a refusal
/// that names another agent's number must not repeat it.
pub(crate) fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            out.push('…');
            out.push_str(&digits[digits.len() - 4..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn api(message: &str) -> Error {
        Error::Api {
            service: "ozonetel",
            message: message.into(),
            http_status: None,
        }
    }

    #[test]
    fn refusals_are_typed_by_shape() {
        let table = [
            ("Agent is not available", AgentRefusal::NotAvailable),
            ("Agent is not Logged In", AgentRefusal::NotLoggedIn),
            ("Agent asha is not logged in", AgentRefusal::NotLoggedIn),
            (
                "ravi logged in with the number (+919876543210)",
                AgentRefusal::NumberInUse,
            ),
            (
                "Agent Bobby is in ACW state. You cant change to Pause state",
                AgentRefusal::InAcw,
            ),
            (
                "Online agent logged in with same phone number",
                AgentRefusal::NumberInUse,
            ),
            (
                "Agent Bobby is in BUSY state. You cant change to Pause state",
                AgentRefusal::Busy,
            ),
        ];
        for (message, refusal) in table {
            let err = retype(api(message), "x");
            assert_eq!(err.agent_refusal(), Some(refusal), "{message}");
            assert_eq!(err.code(), ErrorCode::AgentState);
            assert!(!err.to_string().contains("9876543210"), "{err}");
        }
        for message in [
            "Invalid agent",
            "Empty disposition code",
            "Provide pause reason.",
            "pauseReason is Invalid",
            "Campaign is invalid",
            "All parameters are mandatory",
            "Phone name not found.",
            "The state should be either 'Ready' or 'Pause' state'",
        ] {
            assert_eq!(
                retype(api(message), "x").code(),
                ErrorCode::InvalidInput,
                "{message}"
            );
        }
        assert_eq!(retype(api("Call not Found"), "x").code(), ErrorCode::Api);
    }

    #[test]
    fn numbers_are_masked() {
        assert_eq!(
            mask_numbers("ravi logged in with the number (+919876543210)"),
            "ravi logged in with the number (+…3210)"
        );
        assert_eq!(mask_numbers("agent 42"), "agent 42");
    }
}
