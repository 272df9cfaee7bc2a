//! The client: what it holds, and the one place a request is sent with the account's
//! credentials — a token from the token manager, and one resend with a fresh token when
//! Ozonetel refuses it.
//!
//! Imports run one way: client → token → transport → envelope. The builder (`builder.rs`)
//! assembles a client from those parts.

use std::fmt;
use std::sync::Arc;

use chrono::FixedOffset;
use serde_json::{Map, Value};

use super::account::Account;
use super::envelope::Verdict;
use super::phone::Region;
use super::transport::{Bearer, Credentials, Request, Transport};
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
/// Cheap to clone. Every client of one account in the process — clones, or clients built
/// separately, from Rust, Node or C — shares one token, one hourly generation budget and one
/// CDR pace (see `account.rs`); with a `RedisAccountStore`, so do several processes. What
/// acts as an agent goes through an [`Agent`](super::Agent) made by [`Client::agent`].
///
/// ```no_run
/// # async fn demo() -> helix_engage::Result<()> {
/// use helix_engage::ozonetel::{AgentRef, Client};
/// let client = Client::builder()
///     .user_name("acme")
///     .api_key("your-api-key")
///     .build()?;
/// let agent = client.agent(
///     AgentRef::new("asha")
///         .with_phone_name("523590")
///         .with_number("9876543210")
///         .with_did("918041763265"),
/// )?;
/// agent.hold("90174967305497").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// HTTP pool, settings, retries, deadline, the account's CDR pacer; knows nothing of
    /// tokens.
    transport: Transport,
    /// What every client of the account shares: the token (generated through `transport`),
    /// the store, the pacer.
    account: Arc<Account>,
    settings: AccountSettings,
}

/// The settings the call actions and reports read (everything but the transport's),
/// validated by the builder.
pub(crate) struct AccountSettings {
    pub(crate) auth_mode: AuthMode,
    pub(crate) region: Region,
    pub(crate) utc_offset: FixedOffset,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner.settings;
        f.debug_struct("Client")
            .field("user_name", &self.user_name())
            .field("api_key", &"[redacted]")
            .field("base_url", &self.base_url())
            .field("auth_mode", &c.auth_mode)
            .field("region", &c.region)
            .finish()
    }
}

impl Client {
    pub(crate) fn from_parts(
        transport: Transport,
        account: Arc<Account>,
        settings: AccountSettings,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                transport,
                account,
                settings,
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
        self.inner.settings.region
    }

    pub(crate) fn config(&self) -> &AccountSettings {
        &self.inner.settings
    }

    /// Whether `other` is a client of the same account (and so shares its token and pace).
    pub fn same_account(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.inner.account, &other.inner.account)
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
        result.map_err(|e| e.redact(self.api_key()).bounded())
    }

    async fn execute_inner(&self, request: &Request) -> Result<Map<String, Value>> {
        let transport = &self.inner.transport;
        let uses_token = request.credentials == Credentials::Account
            && self.inner.settings.auth_mode == AuthMode::Token;
        let mut rejected: Option<Arc<Bearer>> = None;
        loop {
            let token = if uses_token {
                let rejected = rejected.as_ref().map(|t| t.secret());
                Some(self.inner.account.tokens.token(transport, rejected).await?)
            } else {
                None
            };
            match transport.send(request, token.as_deref()).await? {
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
