//! The client: what it holds, and the one place a request is sent with the account's
//! credentials — a token from the token manager, and one resend with a fresh token when
//! Ozonetel refuses it.
//!
//! Imports run one way: client → token → transport → envelope. The builder (`builder.rs`)
//! assembles a client from those parts.

use std::fmt;
use std::sync::Arc;

use chrono::FixedOffset;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::envelope::Verdict;
use super::phone::Region;
use super::token::TokenManager;
use super::transport::{Credentials, Request, Transport};
use crate::error::{Error, Result};

/// How the account authenticates, as set by its admin under "API Authentication".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// `TOKEN_AUTH`: a bearer token from `generateToken`, cached and refreshed by the client.
    #[default]
    Token,
    /// `BASIC_AUTH`: the `apiKey` header on every call; no token calls at all.
    Basic,
}

/// A handle on one Ozonetel CloudAgent account.
///
/// Cheap to clone: clones share one connection pool, one token and one CDR pacer.
///
/// ```no_run
/// # async fn demo() -> helix_engage::Result<()> {
/// use helix_engage::ozonetel::{CallAction, Client};
/// let client = Client::builder()
///     .user_name("acme")
///     .api_key("your-api-key")
///     .did("918041763265")
///     .agent_phone_name("523590")
///     .agent_number("9876543210")
///     .build()?;
/// client.call_control(CallAction::Hold, "90174967305497", None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// HTTP pool, settings, retries, deadline, CDR pacer; knows nothing of tokens.
    transport: Transport,
    /// The account's token, generated through `transport`.
    tokens: TokenManager,
    account: AccountSettings,
}

/// The account settings the call actions and reports read (everything but the transport's),
/// validated by the builder.
pub(crate) struct AccountSettings {
    pub(crate) auth_mode: AuthMode,
    pub(crate) did: Option<String>,
    pub(crate) agent_phone_name: Option<String>,
    pub(crate) agent_number: Option<String>,
    pub(crate) region: Region,
    pub(crate) utc_offset: FixedOffset,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner.account;
        f.debug_struct("Client")
            .field("user_name", &self.user_name())
            .field("api_key", &"[redacted]")
            .field("base_url", &self.base_url())
            .field("auth_mode", &c.auth_mode)
            .field("did", &c.did)
            .field("agent_phone_name", &c.agent_phone_name)
            .field("agent_number", &c.agent_number)
            .field("region", &c.region)
            .finish()
    }
}

impl Client {
    pub(crate) fn from_parts(
        transport: Transport,
        tokens: TokenManager,
        account: AccountSettings,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                transport,
                tokens,
                account,
            }),
        }
    }

    /// The CloudAgent account name.
    pub fn user_name(&self) -> &str {
        self.inner.transport.user_name()
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.transport.settings().base_url
    }

    /// The account's numbering region.
    pub fn region(&self) -> Region {
        self.inner.account.region
    }

    pub(crate) fn config(&self) -> &AccountSettings {
        &self.inner.account
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    pub(crate) fn api_key(&self) -> &str {
        self.inner.transport.api_key()
    }

    /// Sends `request` and returns the success object, handling the token, retries and the
    /// envelope. Every error is redacted of the API key and the token before it leaves.
    pub(crate) async fn execute(&self, request: &Request) -> Result<Map<String, Value>> {
        let result = self.execute_inner(request).await;
        result.map_err(|e| e.redact(self.api_key()))
    }

    async fn execute_inner(&self, request: &Request) -> Result<Map<String, Value>> {
        let transport = &self.inner.transport;
        let uses_token = request.credentials == Credentials::Account
            && self.inner.account.auth_mode == AuthMode::Token;
        let mut rejected: Option<SecretString> = None;
        loop {
            let token = if uses_token {
                let rejected = rejected.as_ref().map(|t| t.expose_secret());
                Some(self.inner.tokens.token(transport, rejected).await?)
            } else {
                None
            };
            match transport.send(request, token.as_ref()).await? {
                Verdict::Success(object) => return Ok(object),
                Verdict::Failure(error) => return Err(error),
                Verdict::TokenRejected(message) => {
                    // Ozonetel refused the token before acting on the request, so one resend
                    // is safe even for CONFERENCE and KICK_CALL.
                    match (token, rejected.is_some()) {
                        (Some(token), false) => {
                            tracing::info!(path = request.path, %message, "token refused; refreshing once");
                            rejected = Some(token);
                        }
                        _ => {
                            let hint = if uses_token {
                                "even after a token refresh"
                            } else {
                                "the account may be in token mode: use AuthMode::Token"
                            };
                            return Err(Error::auth(
                                "ozonetel",
                                format!("Ozonetel: {message} ({hint})"),
                            ));
                        }
                    }
                }
            }
        }
    }
}
