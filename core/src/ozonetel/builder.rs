//! The client's builder: every option, its range, and the checks that run before anything is
//! sent. It assembles the parts a [`Client`] holds (transport, token manager, call settings).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::FixedOffset;
use secrecy::{ExposeSecret, SecretString};

use super::account::{self, Wanted};
use super::account_store::AccountStore;
use super::client::{AccountSettings, AuthMode, Client};
use super::phone::Region;
use super::transport::{RetryPolicy, Settings, Transport};
use crate::error::{Error, Result, quote, quote_url};
use crate::range;

/// The India API host, the default.
pub const DEFAULT_BASE_URL: &str = "https://in1-ccaas-api.ozonetel.com";

/// The India subscription (event webhook) host, the default for
/// [`ClientBuilder::events_base_url`].
pub const DEFAULT_EVENTS_BASE_URL: &str = "https://subscription.ozonetel.com";

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
    events_base_url: Option<String>,
    auth_mode: AuthMode,
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
            // A base URL with `user:password@` is refused by `build`, but a builder is printed
            // before that (found by tests/proptest_ozonetel.rs).
            .field(
                "base_url",
                &self.base_url.as_deref().map(crate::error::hide_credentials),
            )
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

    /// The subscription API's host (event webhooks: `Client::subscribe_events`), a domain or
    /// a full base URL like [`base_url`](Self::base_url). Defaults to
    /// [`DEFAULT_EVENTS_BASE_URL`]; the US host is `subscription.ccaas.ozonetel.com`.
    pub fn events_base_url(mut self, events_base_url: impl Into<String>) -> Self {
        self.events_base_url = Some(events_base_url.into());
        self
    }

    /// Token (default) or basic authentication; must match the account's admin setting.
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
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

    /// Where the account's token, hourly budget and CDR pace are shared across processes
    /// (default: in memory, for this process). Clients of one account in one process share
    /// the account whatever they are given; naming a different store than the account
    /// already has is refused. Give every process on one account a `RedisAccountStore` on the
    /// same Redis and prefix.
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

    /// The CDR rate limit the account paces itself to (default Ozonetel's 2 requests per 60 s;
    /// ranges: `requests` 1..=1 000, `per` 1..=86 400 000 ms). It is the account's: every
    /// client of one account must ask for the same. Change it only for a host with another
    /// limit, or to test pacing quickly.
    pub fn cdr_rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.cdr_rate = Some((requests, per));
        self
    }

    /// A builder from the environment: `OZONETEL_USER_NAME`, `OZONETEL_API_KEY` (required);
    /// `OZONETEL_BASE_URL`, `OZONETEL_AUTH_MODE` (`token`|`basic`), `OZONETEL_REGION`
    /// (`india`|`international`), `OZONETEL_TIMEOUT_SECS` (optional). Never an agent: agents
    /// come from the request ([`Client::agent`]).
    pub fn from_env() -> Result<ClientBuilder> {
        let var = |name: &str| non_empty(std::env::var(name).ok());
        let mut b = ClientBuilder {
            user_name: var("OZONETEL_USER_NAME"),
            api_key: var("OZONETEL_API_KEY").map(SecretString::from),
            base_url: var("OZONETEL_BASE_URL"),
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
        if let Some(name) = &self.user_name {
            range::bytes("user_name", name, MAX_USER_NAME_BYTES)?;
        }
        let user_name = non_empty(self.user_name)
            .ok_or_else(|| Error::invalid("user_name is required (the CloudAgent account name)"))?;
        // It goes into every request (and the account's token key): bounded and printable.
        let user_name = crate::ozonetel::agent::identifier("user_name", &user_name)?;
        let api_key = self
            .api_key
            .filter(|k| !k.expose_secret().trim().is_empty())
            .ok_or_else(|| Error::invalid("api_key is required"))?;
        crate::secret::check_api_key("api_key", api_key.expose_secret())?;
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let events_base_url = normalize_base_url(
            self.events_base_url
                .as_deref()
                .unwrap_or(DEFAULT_EVENTS_BASE_URL),
        )
        .map_err(|e| e.context("events_base_url"))?;
        let timeout = self.timeout.unwrap_or(Duration::from_secs(10));
        range::millis("timeout", timeout, 1..=600_000)?;
        let overall_timeout = self.overall_timeout.unwrap_or(timeout.mul_f64(1.5));
        range::millis("overall_timeout", overall_timeout, 1..=3_600_000)?;
        if let Some((requests, per)) = self.cdr_rate {
            range::count("cdr_rate_limit requests", requests.into(), 1..=1_000)?;
            range::millis("cdr_rate_limit per", per, 1..=86_400_000)?;
        }
        let retry = self.retry.unwrap_or_default();
        range::count("retry.max_attempts", retry.max_attempts.into(), 1..=10)?;
        range::millis("retry.base_delay", retry.base_delay, 0..=60_000)?;
        range::millis("retry.max_delay", retry.max_delay, 0..=600_000)?;
        range::millis(
            "retry.max_retry_after",
            retry.max_retry_after,
            0..=3_600_000,
        )?;
        let account = account::join(Wanted {
            base_url: &base_url,
            user_name: &user_name,
            api_key: &api_key,
            store: self.account_store,
            cdr_rate: self.cdr_rate,
        })?;
        let transport = Transport::new(
            Settings {
                user_name,
                api_key,
                base_url,
                events_base_url,
                retry,
                timeout,
                overall_timeout,
            },
            account.cdr_pacer.clone(),
        )?;
        let settings = AccountSettings {
            auth_mode: self.auth_mode,
            region: self.region,
            utc_offset: self.utc_offset.unwrap_or_else(|| {
                FixedOffset::east_opt(5 * 3600 + 1800).expect("IST is a valid offset")
            }),
        };
        Ok(Client::from_parts(transport, account, settings))
    }
}

/// The longest account name accepted (CloudAgent names are short words).
const MAX_USER_NAME_BYTES: usize = 256;

fn normalize_base_url(raw: &str) -> Result<String> {
    range::bytes("base_url", raw, range::MAX_URL_BYTES)?;
    let raw = raw.trim();
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let with_scheme = if let Some(scheme) = ["http://", "https://"]
        .into_iter()
        .find(|s| lower.starts_with(s))
    {
        // `HTTPS://Host` is a spelling of `https://host`, not another scheme.
        format!("{scheme}{}", raw[scheme.len()..].trim_end_matches('/'))
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
        assert_eq!(
            normalize_base_url("HTTP://127.0.0.1:8080").unwrap(),
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

    /// A 10 MB user name, key or base URL is refused by its size (never scanned, parsed or
    /// repeated), naming the option.
    #[test]
    fn huge_texts_are_refused_by_size() {
        let huge = "CANARY".repeat(2_000_000);
        let url = format!("http://{huge}");
        for (field, builder) in [
            ("user_name", Client::builder().user_name(&huge).api_key("k")),
            (
                "api_key",
                Client::builder().user_name("acme").api_key(&huge),
            ),
            (
                "base_url",
                Client::builder()
                    .user_name("acme")
                    .api_key("k")
                    .base_url(&url),
            ),
        ] {
            let err = builder.build().unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            let message = err.to_string();
            assert!(message.contains(field), "{message}");
            assert!(
                message.len() < 200 && !message.contains("CANARY"),
                "{message}"
            );
        }
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

    /// Found by tests/proptest_ozonetel.rs: the builder's `Debug` showed a base URL's
    /// credentials.
    #[test]
    fn builder_debug_hides_base_url_credentials() {
        let b = Client::builder().base_url("http://user:CANARY-pw@host");
        let shown = format!("{b:?}");
        assert!(!shown.contains("CANARY"), "{shown}");
        assert!(shown.contains("[credentials]@host"), "{shown}");
        let err = Client::builder()
            .user_name("acme")
            .api_key("k")
            .base_url("user:CANARY-pw@host")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("CANARY"), "{err}");
    }

    #[test]
    fn builder_requires_account_and_key_and_hides_the_key() {
        assert!(Client::builder().api_key("k").build().is_err());
        assert!(Client::builder().user_name("acme").build().is_err());
        for bad in ["x".repeat(10_000), "ac\r\nme".into(), "\u{202e}emca".into()] {
            let err = Client::builder()
                .user_name(bad)
                .api_key("k")
                .build()
                .unwrap_err();
            assert!(
                err.to_string().contains("user_name") && err.to_string().len() < 300,
                "{err}"
            );
        }
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
}
