//! The one parser every Ozonetel response goes through.
//!
//! Ozonetel answers most failures with HTTP 200 and the verdict in the body, spells `status` a
//! dozen ways, puts the text in `message` or `details` depending on the endpoint, and — for
//! `Record.php` — wraps the real result as a JSON string inside an outer `"status":"Error"`.
//! Deciding all of that in one place means every endpoint gets every quirk right.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, bounded_text, quote, snippet};

/// What a response said, before the endpoint reads its payload.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The request worked. The object is the innermost one that carried the verdict.
    Success(Map<String, Value>),
    /// The token was missing, expired or superseded: refresh and retry once.
    TokenRejected(String),
    /// Any other outcome, already typed.
    Failure(Error),
}

/// Reads one HTTP response into a [`Verdict`]. Bodies Ozonetel does not send (HTML, empty,
/// truncated, not an object) become `protocol` errors carrying a short snippet.
pub(crate) fn parse(http_status: u16, retry_after: Option<Duration>, body: &str) -> Verdict {
    let parsed = match serde_json::from_str::<Value>(body.trim()) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };

    // A non-200 status decides the code even when the body is unreadable.
    if http_status != 200 {
        let message = parsed
            .as_ref()
            .and_then(text_of)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("HTTP {http_status}: {}", snippet(body)));
        return Verdict::Failure(match http_status {
            401 | 403 => Error::auth(
                "ozonetel",
                format!("Ozonetel refused the credentials (HTTP {http_status}): {message}"),
            ),
            429 => Error::RateLimited {
                message: format!("Ozonetel answered HTTP 429: {message}"),
                retry_after,
            },
            _ => Error::Api {
                service: "ozonetel",
                message,
                http_status: Some(http_status),
            },
        });
    }

    match parsed {
        Some(object) => classify(object),
        None => {
            let trimmed = body.trim_start();
            let what = if trimmed.is_empty() {
                "Ozonetel sent an empty body"
            } else if trimmed.starts_with('<') {
                "Ozonetel sent HTML instead of JSON"
            } else {
                "Ozonetel sent a body that is not a JSON object (truncated or malformed)"
            };
            Verdict::Failure(Error::protocol(what, body))
        }
    }
}

/// How a `status` value reads, whatever its spelling.
#[derive(Debug, PartialEq, Eq)]
enum Status {
    Success,
    Failure,
    Unknown(String),
    Absent,
}

fn status_of(object: &Map<String, Value>) -> Status {
    match object.get("status") {
        None | Some(Value::Null) => Status::Absent,
        Some(Value::Bool(true)) => Status::Success,
        Some(Value::Bool(false)) => Status::Failure,
        Some(Value::String(s)) => {
            // Compared without case rather than lowered first: no copy for the common answer.
            let s = s.trim();
            let is_one_of = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
            if is_one_of(&["success", "queued", "queued successfully", "true", "ok"]) {
                Status::Success
            } else if is_one_of(&["error", "fail", "fails", "failed", "failure", "false"]) {
                Status::Failure
            } else {
                Status::Unknown(s.to_ascii_lowercase())
            }
        }
        Some(other) => Status::Unknown(other.to_string()),
    }
}

/// `object` when it carries a `status`. The envelope takes a body without one as success,
/// because generateToken and the reports answer so; an action's success always carries one
/// (`{"status":"Success",…}`), so for an action a statusless 200 (a proxy's `{}`, a stray
/// object) confirms nothing and is a protocol error, not "the call is on hold".
pub(crate) fn require_status(
    object: Map<String, Value>,
    endpoint: &str,
) -> Result<Map<String, Value>, Error> {
    if object.contains_key("status") {
        return Ok(object);
    }
    Err(Error::protocol(
        format!("{endpoint} answered without a status: nothing confirms the action"),
        &Value::Object(object).to_string(),
    ))
}

/// The human text of a body: `message` when it is a string, else `details`, else `Message`
/// (changeAgentState spells its ACW/BUSY refusals with a capital M). Cut as it is read
/// ([`bounded_text`]): no documented sentence is long, and every rule that reads a refusal
/// (sentence lists, agent-state shapes, number cutting) then works on a bounded text.
pub(crate) fn text_of(object: &Map<String, Value>) -> Option<String> {
    ["message", "details", "Message"]
        .iter()
        .find_map(|key| object.get(*key).and_then(Value::as_str))
        .map(|s| bounded_text(s.trim()))
}

/// Reads an answer of the subscription API, which speaks plain text ("Subscription added
/// successfully for User: X", "Unauthorized", "Subscription doesnt exists for User: X") and
/// JSON only for the subscription list. A non-200 status and the credential sentences are
/// typed as for every endpoint; any other text is a success carrying `{"text": ...}`, for the
/// endpoint to read; a JSON object goes through the usual envelope.
pub(crate) fn parse_text(http_status: u16, retry_after: Option<Duration>, body: &str) -> Verdict {
    let trimmed = body.trim();
    if http_status != 200 || trimmed.starts_with('{') {
        return parse(http_status, retry_after, body);
    }
    if CREDENTIAL_SENTENCES.contains(&normalise(trimmed).as_str()) {
        return failure(trimmed.to_string());
    }
    let mut object = Map::new();
    object.insert("text".into(), Value::String(trimmed.to_string()));
    Verdict::Success(object)
}

fn classify(object: Map<String, Value>) -> Verdict {
    // Record.php's success hides as a JSON string inside an outer "Error": the inner object is
    // the real verdict, so read it before believing the outer status.
    if let Some(inner) = object
        .get("message")
        .and_then(Value::as_str)
        .filter(|m| m.trim_start().starts_with('{'))
        .and_then(|m| serde_json::from_str::<Map<String, Value>>(m).ok())
        .filter(|inner| status_of(inner) != Status::Absent)
    {
        return classify(inner);
    }

    match status_of(&object) {
        // Endpoints without a status (generateToken, fetchCDRDetails) report success by their
        // payload; the endpoint decoder checks that the payload is there.
        Status::Success | Status::Absent => Verdict::Success(object),
        Status::Failure => {
            let message = text_of(&object).unwrap_or_default();
            failure(message)
        }
        // The status is Ozonetel's text, of any length: quoted as a prefix, like the body's
        // snippet (fuzz finding: a 4 KB status made a 4 KB message).
        Status::Unknown(raw) => Verdict::Failure(Error::protocol(
            format!("Ozonetel sent an unknown status {}", quote(&raw)),
            &Value::Object(object).to_string(),
        )),
    }
}

/// Ozonetel's sentences for a missing, expired or superseded token, normalised
/// ([`normalise`]). Each means Ozonetel acted on nothing: refresh and resend once.
const TOKEN_SENTENCES: &[&str] = &[
    "token expired",
    "invalid token",
    "token should not be null or empty",
];

/// Ozonetel's sentences for wrong or missing account credentials (or the wrong auth mode),
/// normalised. Whole messages only: a refusal that merely mentions `apiKey` (an echoed URL, a
/// message about another field) is not a credential problem.
const CREDENTIAL_SENTENCES: &[&str] = &[
    "api key should not be null or empty",
    "username is null",
    "invalid username or apikey",
    "username or apikey is invalid",
    "invalid user details",
    "missing username or apikey",
    "invalid authentication",
    "authentication failed",
    "authentication fails",
    "please provide proper user credentials",
    "unauthorized",
    "unauthorised",
];

/// A message as compared with the sentence lists: trimmed, lower case, inner whitespace
/// collapsed, trailing full stops dropped ("Token Should Not be Null or Empty." and
/// "token should not be null or empty" are one sentence).
fn normalise(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    words
        .join(" ")
        .trim_end_matches('.')
        .trim_end()
        .to_ascii_lowercase()
}

/// Types a refusal by its text. Ozonetel has no error codes, so its documented sentences are
/// the codes, matched whole (case-insensitively); anything unrecognised stays an `api` error
/// with the service's words.
fn failure(message: String) -> Verdict {
    let normal = normalise(&message);
    if TOKEN_SENTENCES.contains(&normal.as_str()) {
        return Verdict::TokenRejected(message);
    }
    if CREDENTIAL_SENTENCES.contains(&normal.as_str()) {
        return Verdict::Failure(Error::auth(
            "ozonetel",
            format!(
                "Ozonetel refused the credentials: {message}. Check the user name, the API key and \
             the account's API authentication mode (token or basic)"
            ),
        ));
    }
    // No rate-limit sentence is documented (HTTP 429 is the documented signal); these phrases
    // are unambiguous enough to keep a caller from hammering the account.
    if ["rate limit", "too many requests", "limit exceeded"]
        .iter()
        .any(|phrase| normal.contains(phrase))
    {
        return Verdict::Failure(Error::RateLimited {
            message: format!("Ozonetel: {message}"),
            retry_after: None,
        });
    }
    let message = if message.is_empty() {
        "Ozonetel reported a failure without a message".to_string()
    } else {
        message
    };
    Verdict::Failure(Error::Api {
        service: "ozonetel",
        message,
        http_status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn code(status: u16, body: &str) -> Option<ErrorCode> {
        match parse(status, None, body) {
            Verdict::Success(_) => None,
            Verdict::TokenRejected(_) => Some(ErrorCode::Auth),
            Verdict::Failure(e) => Some(e.code()),
        }
    }

    #[test]
    fn every_success_spelling_is_success() {
        for status in [
            "success",
            "Success",
            "queued",
            "queued successfully",
            "SUCCESS",
        ] {
            let body = format!(r#"{{"status":"{status}","message":"ok"}}"#);
            assert_eq!(code(200, &body), None, "{status}");
        }
    }

    #[test]
    fn every_failure_spelling_is_failure() {
        for status in ["Error", "error", "Fail", "fail", "fails", "false"] {
            let body = format!(r#"{{"status":"{status}","message":"Call not Found"}}"#);
            assert_eq!(code(200, &body), Some(ErrorCode::Api), "{status}");
        }
    }

    #[test]
    fn documented_error_bodies_map_to_codes() {
        let table = [
            (
                r#"{"status":"false","message":"Api Key Should Not be Null or Empty.","data":null}"#,
                ErrorCode::Auth,
            ),
            (
                r#"{"status":"false","message":"UserName is null","data":null}"#,
                ErrorCode::Auth,
            ),
            (
                r#"{"status":"false","message":"Invalid userName or apiKey","data":null}"#,
                ErrorCode::Auth,
            ),
            (
                r#"{"status":"Error","message":"Call not Found"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"Error","message":"Please pass valid Conference number"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"Error","message":"ucid is Invalid"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"Error","message":"ucid should not be empty"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"Error","message":"userName or apiKey is Invalid"}"#,
                ErrorCode::Auth,
            ),
            (
                r#"{"status":"Error","message":"action should be either pause or unPause"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"false","message":"Invalid User Details","data":null}"#,
                ErrorCode::Auth,
            ),
            (
                r#"{"status":"false","message":"Invalid Json Pass Valid Json"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"false","message":"Missing userName or apiKey"}"#,
                ErrorCode::Auth,
            ),
            (
                r#"{"status":"fail","message":"Missing fromDate and toDate"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"fail","message":"Invalid fromDate format. Please pass the date in the format yyyy-MM-dd HH:mm:ss"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"fail","message":"fromDate and toDate should not be future dates"}"#,
                ErrorCode::Api,
            ),
            (
                r#"{"status":"fail","message":"Invalid campaignName"}"#,
                ErrorCode::Api,
            ),
        ];
        for (body, expected) in table {
            assert_eq!(code(200, body), Some(expected), "{body}");
        }
    }

    /// Every refusal sentence Ozonetel's public API reference (<https://docs.ozonetel.com/reference>)
    /// gives for the endpoints this crate calls — token, call control, recording, reports, and
    /// the agent desk's login, state, dial and disposition — with the code it must get. The
    /// lists below are those sentences; a new one Ozonetel documents belongs here.
    #[test]
    fn every_documented_sentence_gets_its_code() {
        let auth = [
            "Api Key Should Not be Null or Empty.",
            "UserName is null",
            "Invalid userName or apiKey",
            "userName or apiKey is Invalid",
            "Invalid User Details",
            "Missing userName or apiKey",
            "Invalid Authentication",
            "Authentication failed.",
            "Authentication fails",
            "please provide proper user credentials",
            "  invalid USERNAME or apikey  ",
        ];
        let api = [
            "Call not Found",
            "Please pass valid Conference number",
            "ucid is Invalid",
            "ucid should not be empty",
            "action should be either pause or unPause",
            "Invalid Json Pass Valid Json",
            "Missing fromDate and toDate",
            "Invalid fromDate format. Please pass the date in the format yyyy-MM-dd HH:mm:ss",
            "fromDate and toDate should not be future dates",
            "Invalid campaignName",
            "Agent has already logged in",
            "Agent X is not logged in",
            "X logged in with the number (+919876543210)",
            "Agent is not available",
            "Campaign is invalid",
            "All parameters are mandatory",
            "Agent is not Logged In",
            "pauseReason is Invalid",
            "The state should be either 'Ready' or 'Pause' state'",
            "Agent X is in ACW state. You cant change to Pause state",
            "This call is already Disposed.",
            "Unable to Dispose . Please retry after some time.",
            "Invalid agent",
            "Empty disposition code",
            "Provide pause reason.",
        ];
        for msg in auth {
            let body = serde_json::json!({"status": "false", "message": msg}).to_string();
            assert_eq!(code(200, &body), Some(ErrorCode::Auth), "{msg}");
        }
        for msg in api {
            let body = serde_json::json!({"status": "fail", "message": msg}).to_string();
            assert_eq!(code(200, &body), Some(ErrorCode::Api), "{msg}");
        }
    }

    /// Words that merely appear in a refusal decide nothing: only whole sentences do.
    #[test]
    fn a_message_that_mentions_credentials_is_not_a_credential_refusal() {
        for msg in [
            "Invalid conferenceNumber for https://host/x?userName=acme&apiKey=[redacted]",
            "apiKey accepted; ucid is Invalid",
            "the api key field is deprecated: use the header",
            "Invalid Token format in uui field",
            "Token Expired for a different account? call not found",
            "invalid username or apikey, and also the ucid",
        ] {
            let body = serde_json::json!({"status": "Error", "message": msg}).to_string();
            match parse(200, None, &body) {
                Verdict::Failure(Error::Api { message, .. }) => assert_eq!(message, msg),
                other => panic!("{msg}: {other:?}"),
            }
        }
    }

    #[test]
    fn token_problems_ask_for_a_refresh() {
        for msg in [
            "Token Expired",
            "Invalid Token",
            "Token Should Not be Null or Empty.",
            "token expired.",
            " INVALID TOKEN ",
        ] {
            let body = format!(r#"{{"status":"false","message":"{msg}","data":null}}"#);
            assert!(
                matches!(parse(200, None, &body), Verdict::TokenRejected(ref m) if m == msg.trim()),
                "{msg}"
            );
        }
    }

    #[test]
    fn record_php_nested_success_is_success() {
        let body = r#"{"status":"Error","message":"{\"status\":\"Success\",\"message\":\"paused monitoring of the channel\"}"}"#;
        match parse(200, None, body) {
            Verdict::Success(inner) => {
                assert_eq!(inner["message"], "paused monitoring of the channel")
            }
            other => panic!("expected success, got {other:?}"),
        }
    }

    #[test]
    fn nested_failure_keeps_inner_message() {
        let body = r#"{"status":"Success","message":"{\"status\":\"Error\",\"message\":\"ucid is Invalid\"}"}"#;
        match parse(200, None, body) {
            Verdict::Failure(Error::Api { message, .. }) => assert_eq!(message, "ucid is Invalid"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn capital_m_message_carries_the_text() {
        let body = r#"{"status":"error","Message":"Agent asha is in ACW state. You cant change to Pause state"}"#;
        match parse(200, None, body) {
            Verdict::Failure(Error::Api { message, .. }) => {
                assert!(
                    message.starts_with("Agent asha is in ACW state"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_text_answers() {
        match parse_text(200, None, "Subscription added successfully for User: acme") {
            Verdict::Success(o) => {
                assert_eq!(o["text"], "Subscription added successfully for User: acme")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_text(200, None, "Unauthorized"),
            Verdict::Failure(Error::Auth { .. })
        ));
        assert!(matches!(
            parse_text(200, None, r#"{"callEventsURL":"https://x"}"#),
            Verdict::Success(_)
        ));
        assert!(matches!(
            parse_text(401, None, "Unauthorized"),
            Verdict::Failure(Error::Auth { .. })
        ));
    }

    #[test]
    fn details_carries_the_text_when_message_is_absent() {
        match parse(
            200,
            None,
            r#"{"status":"fail","details":"Invalid campaignName"}"#,
        ) {
            Verdict::Failure(Error::Api { message, .. }) => {
                assert_eq!(message, "Invalid campaignName")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreadable_bodies_are_protocol_errors_with_a_snippet() {
        for body in [
            "",
            "   ",
            "<html><body>502 Bad Gateway</body></html>",
            r#"{"status":"succ"#,
            "[1,2]",
        ] {
            match parse(200, None, body) {
                Verdict::Failure(Error::Protocol { snippet, .. }) => {
                    assert!(snippet.len() <= 204, "{snippet}");
                    assert_eq!(snippet, body.trim());
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn long_bodies_are_cut_in_the_snippet() {
        let body = format!("<html>{}</html>", "x".repeat(10_000));
        match parse(200, None, &body) {
            Verdict::Failure(Error::Protocol { snippet, .. }) => {
                assert!(snippet.chars().count() <= 201)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_statuses_map() {
        assert_eq!(code(401, ""), Some(ErrorCode::Auth));
        assert_eq!(code(403, "<html>"), Some(ErrorCode::Auth));
        assert_eq!(code(429, ""), Some(ErrorCode::RateLimited));
        assert_eq!(code(500, "oops"), Some(ErrorCode::Api));
        assert_eq!(code(405, ""), Some(ErrorCode::Api));
        match parse(429, Some(Duration::from_secs(7)), "") {
            Verdict::Failure(Error::RateLimited { retry_after, .. }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)))
            }
            other => panic!("{other:?}"),
        }
        match parse(503, None, "") {
            Verdict::Failure(e) => assert!(e.is_transient()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_status_is_protocol() {
        assert_eq!(
            code(200, r#"{"status":"maybe"}"#),
            Some(ErrorCode::Protocol)
        );
    }

    /// Fuzz finding (issue 15): the unknown status was quoted whole, so a long one made a
    /// `protocol` error as long as the body; now a 40-character prefix, like every quote.
    #[test]
    fn a_long_unknown_status_is_quoted_short() {
        for status in [
            format!("\"{}\"", "E".repeat(5000)),
            format!("[{}]", "1,".repeat(3000) + "1"),
        ] {
            let body = format!(r#"{{"status":{status},"message":"x"}}"#);
            let Verdict::Failure(err @ Error::Protocol { .. }) = parse(200, None, &body) else {
                panic!("not a protocol error");
            };
            let message = err.to_string();
            assert!(message.len() < 600, "{} bytes: {message}", message.len());
            assert!(message.contains("unknown status") && message.contains("bytes)"));
        }
    }

    #[test]
    fn payload_without_status_is_success() {
        assert_eq!(code(200, r#"{"token":"abc","message":""}"#), None);
        assert_eq!(code(200, r#"{"details":[]}"#), None);
    }
}
