//! The client's builder: every option, its range, and the checks that run before anything is
//! sent. It assembles the parts a [`Client`] holds (transport, token manager, call settings).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::FixedOffset;
use secrecy::{ExposeSecret, SecretString};

use super::client::{AccountSettings, AuthMode, Client};
use super::pacer::Pacer;
use super::phone::Region;
use super::token::TokenManager;
use super::account_store::{MemoryAccountStore, AccountStore};
use super::transport::{RetryPolicy, Settings, Transport};
use crate::error::{Error, Result, quote, quote_url};
use crate::range;

/// The India API host, the default.
pub const DEFAULT_BASE_URL: &str = "https://in1-ccaas-api.ozonetel.com";

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a client from `OZONETEL_*` environment variables; see [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env()?.build()
    }
}

/// Configures a [`Client`]. Only `user_name` and `api_key` are required.
#[derive(Default)]
pub struct ClientBuilder {
    user_name: Option<String>,
    api_key: Option<SecretString>,
    base_url: Option<String>,
    auth_mode: AuthMode,
    did: Option<String>,
    agent_phone_name: Option<String>,
    agent_number: Option<String>,
    region: Region,
    timeout: Option<Duration>,
    overall_timeout: Option<Duration>,
    account_store: Option<Arc<dyn AccountStore>>,
    retry: Option<RetryPolicy>,
    utc_offset: Option<FixedOffset>,
    cdr_rate: Option<(u32, Duration)>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("user_name", &self.user_name)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("auth_mode", &self.auth_mode)
            .finish_non_exhaustive()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl ClientBuilder {
    /// The CloudAgent account name (`userName` on the wire).
    pub fn user_name(mut self, user_name: impl Into<String>) -> Self {
        self.user_name = Some(user_name.into());
        self
    }

    /// The account's API key. Kept as a secret: never printed, logged or put in an error.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(api_key.into()));
        self
    }

    /// The API host: a domain (`in1-ccaas-api.ozonetel.com`) or a full base URL
    /// (`http://127.0.0.1:8080` for the simulator). Defaults to [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Token (default) or basic authentication; must match the account's admin setting.
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// The DID (virtual number) call control sends as `did`.
    pub fn did(mut self, did: impl Into<String>) -> Self {
        self.did = Some(did.into());
        self
    }

    /// The agent's phone name call control sends as `agentPhoneName`.
    pub fn agent_phone_name(mut self, name: impl Into<String>) -> Self {
        self.agent_phone_name = Some(name.into());
        self
    }

    /// The agent's phone number: what KICK_CALL passes to drop the agent when a transfer
    /// completes.
    pub fn agent_number(mut self, number: impl Into<String>) -> Self {
        self.agent_number = Some(number.into());
        self
    }

    /// How phone numbers are written (India: `0` + 10 digits; international: `+CC…`).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// One attempt's timeout (default 10 s; range 1..=600 000 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The limit for one request with all its retries, backoff and `Retry-After` waits
    /// (default 1.5 × [`timeout`](Self::timeout); range 1..=3 600 000 ms). Waiting for a CDR
    /// slot before the first attempt does not count; a retry that would need one after the
    /// deadline is not made.
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.overall_timeout = Some(timeout);
        self
    }

    /// Where the account's token is shared (default: a new [`MemoryAccountStore`]). Give every
    /// client — and, with `RedisAccountStore`, every process — on one account the same store.
    pub fn account_store(mut self, store: impl AccountStore) -> Self {
        self.account_store = Some(Arc::new(store));
        self
    }

    /// Same as [`account_store`](Self::account_store) for an already shared store.
    pub fn account_store_arc(mut self, store: Arc<dyn AccountStore>) -> Self {
        self.account_store = Some(store);
        self
    }

    /// How idempotent reads retry transient failures (default: 3 attempts, jittered backoff
    /// from 200 ms capped at 5 s, `Retry-After` honoured up to 60 s). Ranges, checked by
    /// [`build`](Self::build): `max_attempts` 1..=10, `base_delay` 0..=60 000 ms, `max_delay`
    /// 0..=600 000 ms, `max_retry_after` 0..=3 600 000 ms.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The account's time zone, used for "today" and the CDR date rules (default IST, +05:30).
    pub fn utc_offset(mut self, offset: FixedOffset) -> Self {
        self.utc_offset = Some(offset);
        self
    }

    /// The CDR rate limit the client paces itself to (default Ozonetel's 2 requests per 60 s;
    /// ranges: `requests` 1..=1 000, `per` 1..=86 400 000 ms). Change it only for a host with
    /// another limit, or to test pacing quickly.
    pub fn cdr_rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.cdr_rate = Some((requests, per));
        self
    }

    /// A builder from the environment: `OZONETEL_USER_NAME`, `OZONETEL_API_KEY` (required);
    /// `OZONETEL_BASE_URL`, `OZONETEL_AUTH_MODE` (`token`|`basic`), `OZONETEL_DID`,
    /// `OZONETEL_AGENT_PHONE_NAME`, `OZONETEL_AGENT_NUMBER`, `OZONETEL_REGION`
    /// (`india`|`international`), `OZONETEL_TIMEOUT_SECS` (optional).
    pub fn from_env() -> Result<ClientBuilder> {
        let var = |name: &str| non_empty(std::env::var(name).ok());
        let mut b = ClientBuilder {
            user_name: var("OZONETEL_USER_NAME"),
            api_key: var("OZONETEL_API_KEY").map(SecretString::from),
            base_url: var("OZONETEL_BASE_URL"),
            did: var("OZONETEL_DID"),
            agent_phone_name: var("OZONETEL_AGENT_PHONE_NAME"),
            agent_number: var("OZONETEL_AGENT_NUMBER"),
            ..Default::default()
        };
        if let Some(mode) = var("OZONETEL_AUTH_MODE") {
            b.auth_mode = match mode.to_ascii_lowercase().as_str() {
                "token" | "token_auth" => AuthMode::Token,
                "basic" | "basic_auth" => AuthMode::Basic,
                other => {
                    return Err(Error::invalid(format!(
                        "OZONETEL_AUTH_MODE is {}; use token or basic",
                        quote(other)
                    )));
                }
            };
        }
        if let Some(region) = var("OZONETEL_REGION") {
            b.region = match region.to_ascii_lowercase().as_str() {
                "india" | "in" => Region::India,
                "international" | "intl" => Region::International,
                other => {
                    return Err(Error::invalid(format!(
                        "OZONETEL_REGION is {}; use india or international",
                        quote(other)
                    )));
                }
            };
        }
        if let Some(secs) = var("OZONETEL_TIMEOUT_SECS") {
            let secs: u64 = secs.parse().map_err(|_| {
                Error::invalid(format!(
                    "OZONETEL_TIMEOUT_SECS is {}; use whole seconds",
                    quote(&secs)
                ))
            })?;
            b.timeout = Some(Duration::from_secs(secs));
        }
        Ok(b)
    }

    /// Validates the configuration (every number against the range its setter documents) and
    /// builds the client. Fails with [`Error::InvalidInput`]; sends nothing.
    pub fn build(self) -> Result<Client> {
        let user_name = non_empty(self.user_name)
            .ok_or_else(|| Error::invalid("user_name is required (the CloudAgent account name)"))?;
        let api_key = self
            .api_key
            .filter(|k| !k.expose_secret().trim().is_empty())
            .ok_or_else(|| Error::invalid("api_key is required"))?;
        crate::secret::check_api_key("api_key", api_key.expose_secret())?;
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let agent_number = match non_empty(self.agent_number) {
            Some(n) => Some(
                super::phone::normalize_phone(&n, self.region)
                    .map_err(|e| e.context("agent_number"))?,
            ),
            None => None,
        };
        let timeout = self.timeout.unwrap_or(Duration::from_secs(10));
        range::millis("timeout", timeout, 1..=600_000)?;
        let overall_timeout = self.overall_timeout.unwrap_or(timeout.mul_f64(1.5));
        range::millis("overall_timeout", overall_timeout, 1..=3_600_000)?;
        let (cdr_requests, cdr_per) = self.cdr_rate.unwrap_or((2, Duration::from_secs(60)));
        range::count("cdr_rate_limit requests", cdr_requests.into(), 1..=1_000)?;
        range::millis("cdr_rate_limit per", cdr_per, 1..=86_400_000)?;
        let retry = self.retry.unwrap_or_default();
        range::count("retry.max_attempts", retry.max_attempts.into(), 1..=10)?;
        range::millis("retry.base_delay", retry.base_delay, 0..=60_000)?;
        range::millis("retry.max_delay", retry.max_delay, 0..=600_000)?;
        range::millis(
            "retry.max_retry_after",
            retry.max_retry_after,
            0..=3_600_000,
        )?;
        let store = self
            .account_store
            .unwrap_or_else(|| Arc::new(MemoryAccountStore::new()));
        let transport = Transport::new(
            Settings {
                user_name: user_name.clone(),
                api_key,
                base_url,
                retry,
                timeout,
                overall_timeout,
            },
            Pacer::new(cdr_requests, cdr_per, store.clone(), user_name.clone()),
        )?;
        let account = AccountSettings {
            auth_mode: self.auth_mode,
            did: non_empty(self.did),
            agent_phone_name: non_empty(self.agent_phone_name),
            agent_number,
            region: self.region,
            utc_offset: self.utc_offset.unwrap_or_else(|| {
                FixedOffset::east_opt(5 * 3600 + 1800).expect("IST is a valid offset")
            }),
        };
        Ok(Client::from_parts(
            transport,
            TokenManager::new(user_name, store),
            account,
        ))
    }
}

fn normalize_base_url(raw: &str) -> Result<String> {
    let raw = raw.trim();
    let with_scheme = if raw.starts_with("http://") || raw.starts_with("https://") {
        raw.trim_end_matches('/').to_string()
    } else if raw.contains("://") {
        return Err(Error::invalid(format!(
            "base_url {} must use http or https",
            quote_url(raw)
        )));
    } else {
        format!("https://{}", raw.trim_end_matches('/'))
    };
    let url = reqwest::Url::parse(&with_scheme)
        .map_err(|e| Error::invalid(format!("base_url {} is not a URL: {e}", quote_url(raw))))?;
    if !url.username().is_empty() || url.password().is_some() {
        // reqwest would send them as a Basic header Ozonetel ignores, and every Debug print
        // of the client would carry them.
        return Err(Error::invalid(format!(
            "base_url {} carries user:password@; Ozonetel authenticates with the API key, so \
             pass the host only",
            quote_url(raw)
        )));
    }
    if url.host_str().is_none_or(str::is_empty) || url.query().is_some() {
        return Err(Error::invalid(format!(
            "base_url {} must be a host or http(s)://host[:port][/path] without a query",
            quote_url(raw)
        )));
    }
    Ok(with_scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_accepts_domains_and_urls() {
        assert_eq!(
            normalize_base_url("in1-ccaas-api.ozonetel.com").unwrap(),
            "https://in1-ccaas-api.ozonetel.com"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_base_url("http://").is_err());
        assert!(normalize_base_url("ftp://host").is_err());
        assert!(normalize_base_url("https://host?x=1").is_err());
    }

    /// A bad base URL is refused without repeating its credentials or all of its length.
    #[test]
    fn base_url_errors_never_echo_credentials_or_everything() {
        for raw in [
            "http://user:CANARY-secret@127.0.0.1:8080",
            "https://CANARY-secret@host",
            "ftp://user:CANARY-secret@host",
        ] {
            let err = normalize_base_url(raw).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            assert!(!err.to_string().contains("CANARY"), "{err}");
        }
        let huge = format!("http://{}", "h".repeat(10_000_000));
        let err = Client::builder()
            .user_name("acme")
            .api_key("k")
            .base_url(format!("{huge}?q"))
            .build()
            .unwrap_err();
        assert!(
            err.to_string().len() < 300,
            "{} bytes",
            err.to_string().len()
        );
    }

    #[test]
    fn durations_and_limits_have_ranges() {
        let b = || Client::builder().user_name("acme").api_key("k");
        for bad in [
            b().timeout(Duration::ZERO),
            b().timeout(Duration::MAX),
            b().overall_timeout(Duration::ZERO),
            b().overall_timeout(Duration::from_secs(u64::MAX)),
            b().cdr_rate_limit(0, Duration::from_secs(60)),
            b().cdr_rate_limit(u32::MAX, Duration::from_secs(60)),
            b().cdr_rate_limit(2, Duration::ZERO),
            b().retry_policy(RetryPolicy {
                max_attempts: 0,
                ..Default::default()
            }),
            b().retry_policy(RetryPolicy {
                max_attempts: u32::MAX,
                ..Default::default()
            }),
            b().retry_policy(RetryPolicy {
                max_delay: Duration::MAX,
                ..Default::default()
            }),
        ] {
            let err = bad.build().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{err}");
        }
        let c = b().timeout(Duration::from_secs(4)).build().unwrap();
        assert_eq!(
            c.transport().settings().overall_timeout,
            Duration::from_secs(6)
        );
    }

    #[test]
    fn builder_requires_account_and_key_and_hides_the_key() {
        assert!(Client::builder().api_key("k").build().is_err());
        assert!(Client::builder().user_name("acme").build().is_err());
        assert!(
            Client::builder()
                .user_name("acme")
                .api_key("  ")
                .build()
                .is_err()
        );
        let c = Client::builder()
            .user_name("acme")
            .api_key("CANARY-key")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("CANARY"));
        assert_eq!(c.base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn agent_number_is_normalised_at_build() {
        let c = Client::builder()
            .user_name("acme")
            .api_key("k")
            .agent_number("+91 98765-43210")
            .build()
            .unwrap();
        assert_eq!(c.config().agent_number.as_deref(), Some("09876543210"));
        let err = Client::builder()
            .user_name("acme")
            .api_key("k")
            .agent_number("12")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("agent_number"));
    }
}
