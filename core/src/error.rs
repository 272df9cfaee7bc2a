//! The one error type every surface (Rust, Node, C) reports.
//!
//! Each variant is a decision a caller makes differently: fix the input, fix the credentials,
//! read the upstream message, wait, retry, or report a bug upstream. [`Error::code`] is the
//! stable, binding-independent name of that decision.

use std::time::Duration;

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The result type of every fallible call in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, at the level a caller acts on.
///
/// Messages say what happened and what to do next. They never contain an API key or a token:
/// upstream text is scrubbed of the credentials a request carried, and every Ozonetel error is
/// redacted once more as it leaves the client.
///
/// There is no [`source()`](std::error::Error::source) chain, on purpose: the errors underneath
/// (reqwest's, tungstenite's, async-openai's) can carry a URL with the API key in its query
/// (`Record.php`), a request's headers, or an echoed body, and a chain would hand them to any
/// host that walks it — outside the redaction. Their useful words are folded into the message
/// instead (`cannot reach Ozonetel: error sending request: connection refused`), already
/// scrubbed, and the value stays `Clone + PartialEq` so tests and bindings can compare it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller passed something that cannot be sent (empty UCID, a phone number that cannot
    /// be normalised, a CDR window Ozonetel would refuse). Nothing was sent — or, for the few
    /// refusals Ozonetel words as bad input (`Invalid agent`, `Empty disposition code`,
    /// `Provide pause reason.`, `pauseReason is Invalid`, `Campaign is invalid`), it was sent
    /// and Ozonetel applied nothing. Fix the input; retrying as is will not help.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The credentials were refused (bad API key, wrong auth mode, a token that stays invalid
    /// after one refresh). Retrying will not help; fix the configuration.
    #[error("authentication failed: {message}")]
    Auth {
        /// Whose credentials were refused (`ozonetel`, `deepgram`, `openai`).
        service: &'static str,
        /// What was refused, and what to check.
        message: String,
    },
    /// The service understood the request and refused it (`Call not Found`, `Invalid
    /// campaignName`, ...). `message` is the service's own text.
    #[error("{service} refused the request: {message}")]
    Api {
        /// Which upstream answered (`ozonetel`, `deepgram`, `openai`).
        service: &'static str,
        /// The service's own words.
        message: String,
        /// The HTTP status, when it was not 200.
        http_status: Option<u16>,
    },
    /// A rate limit was hit, upstream (HTTP 429) or locally (Ozonetel's 10 token generations an
    /// hour, the CDR 2-per-minute pace). Wait `retry_after` when it is known.
    #[error("rate limited: {message}")]
    RateLimited {
        /// What limit, and when it frees up.
        message: String,
        /// How long to wait before trying again, when known.
        retry_after: Option<Duration>,
    },
    /// No answer in time. The request may or may not have been applied upstream.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection failed (refused, reset, TLS, DNS). Usually worth retrying later.
    #[error("transport error: {0}")]
    Transport(String),
    /// The service answered something this library cannot read (HTML, an empty or truncated
    /// body, an unknown shape). `snippet` is the start of what arrived, secrets removed.
    #[error("protocol error: {message}; body starts with: {snippet:?}")]
    Protocol {
        /// What was expected.
        message: String,
        /// At most a couple of hundred characters of what arrived.
        snippet: String,
    },
    /// The session or transfer was already finished, or the component shut down.
    #[error("closed: {0}")]
    Closed(String),
    /// Ozonetel refused an agent-desk action because of the agent's state: not logged in, in
    /// ACW or BUSY, not available for a manual dial, or another agent holds the number.
    /// `refusal` is what a UI switches on ("finish the wrap-up first", "log in first");
    /// `message` is Ozonetel's words (a phone number in them cut to its last digits).
    /// Retrying as is will not help; change the agent's state first.
    #[error("agent {refusal}: {message}")]
    AgentState {
        /// Why the agent could not act.
        refusal: AgentRefusal,
        /// Ozonetel's words.
        message: String,
    },
}

/// Why Ozonetel refused an agent's action ([`Error::AgentState`]); stable lower-case names
/// from [`AgentRefusal::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgentRefusal {
    /// The agent is not logged in (`Agent is not Logged In`, `Agent X is not logged in`).
    NotLoggedIn,
    /// Another agent is logged in with this phone number (`X logged in with the number (…)`).
    NumberInUse,
    /// A manual dial found the agent not logged in, not Ready, or not in manual/blended mode
    /// (`Agent is not available`; Ozonetel does not say which).
    NotAvailable,
    /// The agent is in after-call work (`Agent X is in ACW state. You cant change to Pause
    /// state`): dispose the call, or use `Agent::force_ready`.
    InAcw,
    /// The agent is on a call (`Agent X is in BUSY state…`).
    Busy,
}

impl AgentRefusal {
    /// `not_logged_in`, `number_in_use`, `not_available`, `in_acw`, `busy`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRefusal::NotLoggedIn => "not_logged_in",
            AgentRefusal::NumberInUse => "number_in_use",
            AgentRefusal::NotAvailable => "not_available",
            AgentRefusal::InAcw => "in_acw",
            AgentRefusal::Busy => "busy",
        }
    }
}

impl std::fmt::Display for AgentRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialises as `{"code": "auth", "message": "...", "service": "deepgram"}` (`service` only
/// for the codes that carry one, see [`Error::service`]; `refusal` only for `agent_state`,
/// see [`Error::agent_refusal`]), the shape every binding reports.
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let service = self.service();
        let refusal = self.agent_refusal();
        let mut st = s.serialize_struct(
            "Error",
            2 + usize::from(service.is_some()) + usize::from(refusal.is_some()),
        )?;
        st.serialize_field("code", self.code().as_str())?;
        st.serialize_field("message", &self.to_string())?;
        if let Some(service) = service {
            st.serialize_field("service", service)?;
        }
        if let Some(refusal) = refusal {
            st.serialize_field("refusal", refusal.as_str())?;
        }
        st.end()
    }
}

/// The stable name of an [`Error`]'s kind, shared by every binding.
///
/// Rust callers match on it; Node exposes it upper-cased as `err.code`; C as `helix_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// See [`Error::InvalidInput`].
    InvalidInput,
    /// See [`Error::Auth`].
    Auth,
    /// See [`Error::Api`].
    Api,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::Timeout`].
    Timeout,
    /// See [`Error::Transport`].
    Transport,
    /// See [`Error::Protocol`].
    Protocol,
    /// See [`Error::Closed`].
    Closed,
    /// See [`Error::AgentState`].
    AgentState,
}

impl ErrorCode {
    /// The lower-case wire name: `invalid_input`, `auth`, `api`, `rate_limited`, `timeout`,
    /// `transport`, `protocol`, `closed`, `agent_state`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Auth => "auth",
            ErrorCode::Api => "api",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Transport => "transport",
            ErrorCode::Protocol => "protocol",
            ErrorCode::Closed => "closed",
            ErrorCode::AgentState => "agent_state",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable code of this error.
    ///
    /// ```
    /// use helix_engage::{Error, ErrorCode};
    /// let err = Error::InvalidInput("ucid is empty".into());
    /// assert_eq!(err.code(), ErrorCode::InvalidInput);
    /// assert_eq!(err.code().as_str(), "invalid_input");
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::Auth { .. } => ErrorCode::Auth,
            Error::Api { .. } => ErrorCode::Api,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Timeout(_) => ErrorCode::Timeout,
            Error::Transport(_) => ErrorCode::Transport,
            Error::Protocol { .. } => ErrorCode::Protocol,
            Error::Closed(_) => ErrorCode::Closed,
            Error::AgentState { .. } => ErrorCode::AgentState,
        }
    }

    /// Whether the same request may succeed if sent again later (connection trouble, timeouts,
    /// upstream 5xx, rate limits). Callers decide whether it is *safe* to resend.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport(_) | Error::Timeout(_) | Error::RateLimited { .. } => true,
            Error::Api { http_status, .. } => matches!(http_status, Some(s) if *s >= 500),
            _ => false,
        }
    }

    /// Which upstream the error is about, for [`Error::Auth`] and [`Error::Api`] (`ozonetel`,
    /// `deepgram` or `openai`) and [`Error::AgentState`] (`ozonetel`).
    ///
    /// ```
    /// use helix_engage::Error;
    /// let err = Error::Api { service: "openai", message: "model not found".into(), http_status: Some(404) };
    /// assert_eq!(err.service(), Some("openai"));
    /// ```
    pub fn service(&self) -> Option<&'static str> {
        match self {
            Error::Auth { service, .. } | Error::Api { service, .. } => Some(service),
            Error::AgentState { .. } => Some("ozonetel"),
            _ => None,
        }
    }

    /// Why the agent could not act, for [`Error::AgentState`].
    ///
    /// ```
    /// use helix_engage::{AgentRefusal, Error};
    /// let err = Error::AgentState { refusal: AgentRefusal::InAcw, message: "Agent asha is in ACW state".into() };
    /// assert_eq!(err.agent_refusal(), Some(AgentRefusal::InAcw));
    /// ```
    pub fn agent_refusal(&self) -> Option<AgentRefusal> {
        match self {
            Error::AgentState { refusal, .. } => Some(*refusal),
            _ => None,
        }
    }

    pub(crate) fn auth(service: &'static str, message: impl Into<String>) -> Self {
        Error::Auth {
            service,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }

    pub(crate) fn protocol(message: impl Into<String>, body: &str) -> Self {
        // The message often carries serde's reason, and serde quotes a wrongly typed string
        // whole ("invalid type: string \"…4 KB…\""): cut here, in the one constructor, so
        // no parser's error can grow with the body (found by fuzz/deepgram_message).
        Error::Protocol {
            message: bounded_text(&message.into()),
            snippet: snippet(body),
        }
    }
}

/// The first ~200 characters of a body, on a char boundary, for error messages.
pub(crate) fn snippet(body: &str) -> String {
    crate::text::short(body.trim(), 200)
}

/// Bad input as an error message may quote it: at most a short prefix, escaped, with the
/// length when cut. A 10 MB argument must not become a 10 MB message (or log line).
pub(crate) fn quote(input: &str) -> String {
    match crate::text::prefix(input, 40) {
        Some(cut) => format!("{cut:?}… ({} bytes)", input.len()),
        None => format!("{input:?}"),
    }
}

/// The most characters of one upstream text an error or a warning carries (each error as it
/// leaves the crate, each live-assist warning): enough for any message Ozonetel, Deepgram or OpenAI documents, far
/// from the megabytes a hostile server could send. With the context the crate adds, the
/// whole `Display` of an error stays under 4 KB, even in four-byte characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Room for the crate's own words around a text already cut (`after 2 attempts: …`, the
/// cut's `(N bytes in all)`), so cutting again — the envelope cuts a refusal as it reads it,
/// the client as the error leaves — keeps the first cut and its true length.
const CONTEXT_CHARS: usize = 200;

/// `text` cut to [`MAX_MESSAGE_CHARS`] when it is longer than that plus [`CONTEXT_CHARS`],
/// with its length in bytes.
pub(crate) fn bounded_text(text: &str) -> String {
    if crate::text::prefix(text, MAX_MESSAGE_CHARS + CONTEXT_CHARS).is_none() {
        return text.to_string();
    }
    match crate::text::prefix(text, MAX_MESSAGE_CHARS) {
        Some(cut) => format!("{cut}… ({} bytes in all)", text.len()),
        None => text.to_string(),
    }
}

/// [`quote`] for a URL: the `user:password@` part is never repeated.
pub(crate) fn quote_url(raw: &str) -> String {
    quote(&hide_credentials(raw))
}

/// `raw` with the `user:password@` of its authority replaced by `[credentials]@`, for
/// messages and `Debug` output. A URL without a scheme counts too: a base URL may be a bare
/// host (`user:secret@host` becomes `https://user:secret@host`).
pub(crate) fn hide_credentials(raw: &str) -> std::borrow::Cow<'_, str> {
    let scheme_end = raw.find("://").map_or(0, |i| i + 3);
    let rest = &raw[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}[credentials]@{}", &raw[..scheme_end], &rest[at + 1..]).into(),
        None => raw.into(),
    }
}

impl Error {
    /// Prefixes the message with what the library was doing, keeping the code.
    pub(crate) fn context(self, what: &str) -> Self {
        self.map_text(|m| format!("{what}: {m}"), false)
    }

    /// Cuts every text of the error to [`MAX_MESSAGE_CHARS`] characters. An upstream's own
    /// words (a refusal's message, a serde error quoting the string it choked on, an unknown
    /// message's description) can be megabytes; what leaves the crate — an error, a warning —
    /// must not be. Applied where errors leave: `Client::execute`, the reports' decoders, the
    /// assist session's events.
    pub(crate) fn bounded(self) -> Self {
        self.map_text(|m| bounded_text(&m), true)
    }

    /// Removes every occurrence of `secret` from the error's text. The HTTP layer applies it to
    /// every error before it leaves, so upstream echoes of a key cannot leak.
    pub(crate) fn redact(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        self.map_text(|m| m.replace(secret, "[redacted]"), true)
    }

    fn map_text(self, f: impl Fn(String) -> String, snippet_too: bool) -> Self {
        match self {
            Error::InvalidInput(m) => Error::InvalidInput(f(m)),
            Error::Auth { service, message } => Error::Auth {
                service,
                message: f(message),
            },
            Error::Api {
                service,
                message,
                http_status,
            } => Error::Api {
                service,
                message: f(message),
                http_status,
            },
            Error::RateLimited {
                message,
                retry_after,
            } => Error::RateLimited {
                message: f(message),
                retry_after,
            },
            Error::Timeout(m) => Error::Timeout(f(m)),
            Error::Transport(m) => Error::Transport(f(m)),
            Error::Protocol { message, snippet } => Error::Protocol {
                message: f(message),
                snippet: if snippet_too { f(snippet) } else { snippet },
            },
            Error::Closed(m) => Error::Closed(f(m)),
            Error::AgentState { refusal, message } => Error::AgentState {
                refusal,
                message: f(message),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text of every variant is cut, once: cutting again (the envelope, then the client)
    /// keeps the first cut and its true length; a short text is left alone.
    #[test]
    fn bounded_cuts_every_text_once_and_keeps_the_display_under_4_kb() {
        let huge = "क".repeat(2_000_000);
        let errors = [
            Error::InvalidInput(huge.clone()),
            Error::auth("ozonetel", huge.clone()),
            Error::Api {
                service: "openai",
                message: huge.clone(),
                http_status: Some(500),
            },
            Error::RateLimited {
                message: huge.clone(),
                retry_after: None,
            },
            Error::Timeout(huge.clone()),
            Error::Transport(huge.clone()),
            Error::Protocol {
                message: huge.clone(),
                snippet: huge.clone(),
            },
            Error::Closed(huge.clone()),
            Error::AgentState {
                refusal: AgentRefusal::Busy,
                message: huge.clone(),
            },
        ];
        for error in errors {
            let once = error.bounded().context("after 3 attempts");
            let twice = once.clone().bounded();
            assert_eq!(once, twice);
            let text = twice.to_string();
            assert!(text.len() <= 4096, "{} bytes", text.len());
            assert!(text.contains("(6000000 bytes in all)"), "{text}");
        }
        let short = Error::Timeout("no answer".into());
        assert_eq!(short.clone().bounded(), short);
    }

    #[test]
    fn quotes_are_short_and_never_carry_url_credentials() {
        assert_eq!(quote("abc"), "\"abc\"");
        let long = "9".repeat(10_000_000);
        let q = quote(&long);
        assert!(q.len() < 80 && q.ends_with("(10000000 bytes)"), "{q}");
        let multibyte = "क".repeat(100);
        assert!(quote(&multibyte).starts_with("\"क"));
        for url in [
            "http://user:secret@host:8080/x",
            "https://secret@host",
            "wss://a:secret@b@host/path?q=1",
        ] {
            let q = quote_url(url);
            assert!(!q.contains("secret"), "{q}");
            assert!(q.contains("[credentials]@"), "{q}");
        }
        assert_eq!(quote_url("http://host/a@b"), "\"http://host/a@b\"");
        assert_eq!(quote_url("not a url"), "\"not a url\"");
        // Found by tests/proptest_ozonetel.rs: a base URL without a scheme is a host whose
        // credentials were quoted as they were.
        assert_eq!(quote_url("user:secret@host/x"), "\"[credentials]@host/x\"");
        assert_eq!(quote_url("a/b@c"), "\"a/b@c\"");
    }
}
