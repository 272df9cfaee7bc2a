//! `AgentAuthenticationV2`: the agent's virtual login and logout.
//!
//! `POST /CAServices/AgentAuthenticationV2/index.php`, HTTP Basic with the agent's id and
//! password, a form body `userName`, `apiKey`, `phoneNumber` (login only: where calls are
//! routed), `action=login|logout`. A virtual login: it does not log the agent into the
//! toolbar UI. The password is held as a secret from the moment it is passed in: it is never
//! in a `Debug`, an error or a log line, and any echo of it in an answer is scrubbed.

use reqwest::Method;
use secrecy::SecretString;
use serde::Serialize;

use super::{normalise, refusal_of, retype};
use crate::error::{AgentRefusal, Error, Result};
use crate::ozonetel::agent::{Agent, AgentField};
use crate::ozonetel::envelope::{require_status, text_of};
use crate::ozonetel::transport::{Answer, Credentials, Host, Request, Resend};

const PATH: &str = "/CAServices/AgentAuthenticationV2/index.php";

/// Longest password accepted; longer is a mistake better refused than sent.
const MAX_PASSWORD: usize = 256;

/// How a login or logout ended. The idempotent cases are outcomes, not errors: a desk that
/// logs in an agent already logged in (or logs out one already out) got what it wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginOutcome {
    /// `Agent X logged in successfully`.
    LoggedIn,
    /// `Agent has already logged in`: the agent stays logged in (with the number it had).
    AlreadyLoggedIn,
    /// `Agent X logged out successfully`.
    LoggedOut,
    /// `Agent X is not logged in`, answered to a logout: the agent was already out.
    NotLoggedIn,
}

/// What Ozonetel said to a login or logout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// How it ended.
    pub outcome: LoginOutcome,
    /// Ozonetel's words (`Agent asha logged in successfully`).
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Login,
    Logout,
}

/// Checks a password without ever quoting it.
fn password(value: &str) -> Result<SecretString> {
    if value.is_empty() {
        return Err(Error::invalid("agent password is empty"));
    }
    if value.chars().count() > MAX_PASSWORD {
        return Err(Error::invalid(format!(
            "agent password is longer than {MAX_PASSWORD} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid("agent password contains control characters"));
    }
    Ok(SecretString::from(value.to_string()))
}

/// The refusals that mean the agent is already where the action would put it.
fn login_outcome(action: Action, message: &str) -> Option<LoginOutcome> {
    match action {
        Action::Login if normalise(message) == "agent has already logged in" => {
            Some(LoginOutcome::AlreadyLoggedIn)
        }
        Action::Logout if refusal_of(message) == Some(AgentRefusal::NotLoggedIn) => {
            Some(LoginOutcome::NotLoggedIn)
        }
        _ => None,
    }
}

/// A refused login or logout: the "already there" outcomes, the agent's credentials, or the
/// error retyped as for every desk call.
fn refusal(action: Action, what: &str, error: Error) -> Result<LoginResponse> {
    match error {
        Error::Api {
            message,
            http_status: None,
            ..
        } => match login_outcome(action, &message) {
            Some(outcome) => Ok(LoginResponse { outcome, message }),
            None => Err(retype(
                Error::Api {
                    service: "ozonetel",
                    message,
                    http_status: None,
                },
                what,
            )),
        },
        Error::Auth { message, .. }
            if message
                .to_ascii_lowercase()
                .contains("invalid authentication") =>
        {
            Err(Error::auth(
                "ozonetel",
                format!(
                    "{what}: Ozonetel refused the agent id or password (Invalid \
                     Authentication); check the agent's CloudAgent credentials"
                ),
            ))
        }
        other => Err(retype(other, what)),
    }
}

impl Agent {
    /// Logs the agent in (virtually: calls are routed to the agent's number; the toolbar UI
    /// is not logged in). Needs the agent's `number` (`phoneNumber`).
    ///
    /// Outcomes: [`LoginOutcome::LoggedIn`], or [`LoginOutcome::AlreadyLoggedIn`] (not an
    /// error). Errors: `auth` for `Invalid Authentication` (a wrong agent id or password —
    /// Ozonetel does not say which) and for the account's credentials; `agent_state` with
    /// [`AgentRefusal::NumberInUse`] when another agent is logged in with the number (the
    /// number cut to its last digits). The password is never echoed; nothing is sent when it
    /// is empty, too long or has control characters. Not resent once it may have arrived.
    pub async fn login(&self, password: &str) -> Result<LoginResponse> {
        self.authenticate(Action::Login, password).await
    }

    /// Logs the agent out. Outcomes: [`LoginOutcome::LoggedOut`], or
    /// [`LoginOutcome::NotLoggedIn`] when the agent was not logged in (not an error). Errors
    /// as for [`login`](Self::login).
    pub async fn logout(&self, password: &str) -> Result<LoginResponse> {
        self.authenticate(Action::Logout, password).await
    }

    async fn authenticate(&self, action: Action, password_text: &str) -> Result<LoginResponse> {
        let what = match action {
            Action::Login => "logging in agent",
            Action::Logout => "logging out agent",
        };
        let what = format!("{what} {}", crate::error::quote(self.id()));
        let secret = password(password_text)?;
        let client = self.client();
        let mut form = vec![
            ("userName", client.user_name().to_string()),
            ("apiKey", client.api_key().to_string()),
        ];
        match action {
            Action::Login => {
                let number = self.require(AgentField::Number, "login")?;
                form.push(("phoneNumber", number.to_string()));
                form.push(("action", "login".to_string()));
            }
            Action::Logout => form.push(("action", "logout".to_string())),
        }
        let request = Request {
            method: Method::POST,
            path: PATH,
            query: Vec::new(),
            body: None,
            form: Some(form),
            basic_auth: Some((self.id().to_string(), secret)),
            host: Host::Api,
            answer: Answer::Envelope,
            credentials: Credentials::AgentBasic,
            // A second login or logout is answered "already" — harmless, but a resend after a
            // timeout would report that instead of what happened; send once.
            resend: Resend::OnlyIfUnsent,
            paced: false,
        };
        let result = client
            .execute(&request)
            .await
            .and_then(|object| require_status(object, "AgentAuthenticationV2"));
        // The transport scrubs the password from what it quotes; scrub once more here, so no
        // later layer can bring it back.
        let result = result.map_err(|e| e.redact(password_text));
        match result {
            Ok(object) => {
                let message = text_of(&object).unwrap_or_default();
                Ok(LoginResponse {
                    outcome: match action {
                        Action::Login => LoginOutcome::LoggedIn,
                        Action::Logout => LoginOutcome::LoggedOut,
                    },
                    message,
                })
            }
            Err(e) => refusal(action, &what, e),
        }
    }
}
