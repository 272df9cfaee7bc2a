//! Sending one Ozonetel request: credentials, timeouts, the one retry policy inside one overall
//! deadline, the CDR pacer's slot before each attempt, the envelope, and scrubbing of what an
//! answer could quote back.
//!
//! A [`Transport`] knows nothing of tokens: the caller hands it the bearer token to send (or
//! none), and it reports a token refusal as [`Verdict::TokenRejected`]. The token's life is
//! `token.rs`; refreshing once after a refusal is `Client::execute` (`client.rs`). Imports run
//! one way: client → token → transport → envelope.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use super::envelope::{self, Verdict};
use super::pacer::Pacer;
use crate::backoff::Backoff;
use crate::error::{Error, Result};

/// How idempotent requests retry transient failures (connect errors, timeouts, 5xx, 429).
///
/// `max_attempts` is 1..=10, `base_delay` 0..=60 s, `max_delay` 0..=600 s, `max_retry_after`
/// 0..=3600 s (`ClientBuilder::build` refuses others with `invalid_input`).
///
/// CONFERENCE and KICK_CALL never use it once the request may have reached the server: adding
/// a party twice or dropping the wrong one is worse than reporting the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (1 = no retries).
    pub max_attempts: u32,
    /// The first backoff ceiling; doubles each retry. The wait is a random point in the
    /// ceiling's upper half, and never less than a `Retry-After` (the crate's one backoff rule).
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for; the `rate_limited` error is returned.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// The wait before retry `retry` (0-based), after a failure that may carry `Retry-After`.
    fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        Backoff {
            initial: self.base_delay,
            max: self.max_delay,
        }
        .wait(retry, retry_after)
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Reads and state-setting actions: retry transient failures.
    Transient,
    /// CONFERENCE, KICK_CALL, generateToken: retry only when the connection never opened, so
    /// the server cannot have seen the request.
    OnlyIfUnsent,
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// `AgentAuthenticationV2`: HTTP Basic with the agent's id and password
    /// ([`Request::basic_auth`]); the account's `apiKey` is in the form body.
    AgentBasic,
    /// The subscription API: `api_key` and `username` headers.
    EventHeaders,
    /// The account's mode: bearer token, or the `apiKey` header.
    Account,
    /// `generateToken`: the `apiKey` header.
    ApiKeyHeader,
    /// `Record.php`: `userName` and `apiKey` already in the query string.
    InQuery,
}

/// Which host a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    /// The API host (`ClientBuilder::base_url`).
    Api,
    /// The subscription host (`ClientBuilder::events_base_url`).
    Events,
}

/// How the answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Ozonetel's JSON envelope (`envelope::parse`).
    Envelope,
    /// The subscription API: plain text or a JSON object (`envelope::parse_text`).
    Text,
}

/// One request, described once so that retries resend exactly the same thing.
pub(crate) struct Request {
    pub method: Method,
    pub path: &'static str,
    pub query: Vec<(&'static str, String)>,
    /// A JSON body, serialized once: every attempt sends these bytes (a clone of `Bytes`
    /// shares them).
    pub body: Option<Bytes>,
    /// Sent as `application/x-www-form-urlencoded` instead of `body`.
    pub form: Option<Vec<(&'static str, String)>>,
    /// For [`Credentials::AgentBasic`]: the agent id and password.
    pub basic_auth: Option<(String, SecretString)>,
    pub host: Host,
    pub answer: Answer,
    pub credentials: Credentials,
    pub resend: Resend,
    /// Goes through the account's CDR pacer: every attempt, retries included, takes a slot
    /// right before it is sent.
    pub paced: bool,
}

/// A JSON body: `userName`, then the endpoint's fields.
#[derive(Serialize)]
struct WithUser<'a, F> {
    #[serde(rename = "userName")]
    user_name: &'a str,
    #[serde(flatten)]
    fields: &'a F,
}

impl Request {
    /// A request whose JSON body carries `userName` plus `fields` (a `serde_json::Map`, or an
    /// endpoint's own struct of borrowed fields: call control's is, so the hot path builds no
    /// map). `fields` must not carry `userName` itself.
    pub(crate) fn json<F: Serialize>(
        user_name: &str,
        method: Method,
        path: &'static str,
        fields: &F,
        resend: Resend,
    ) -> Result<Self> {
        let body = serde_json::to_vec(&WithUser { user_name, fields })
            .map_err(|e| Error::invalid(format!("cannot write the request body: {e}")))?;
        Ok(Request {
            method,
            path,
            query: Vec::new(),
            body: Some(Bytes::from(body)),
            form: None,
            basic_auth: None,
            host: Host::Api,
            answer: Answer::Envelope,
            credentials: Credentials::Account,
            resend,
            paced: false,
        })
    }
}

/// A bearer token as sent: the secret (what an echoed answer is scrubbed of) and its
/// `Authorization` header, built once per token instead of once per request (a token serves
/// every request of up to an hour). The header is marked sensitive, as reqwest's
/// `bearer_auth` marks it.
pub(crate) struct Bearer {
    token: SecretString,
    /// `None` when the token cannot be a header value: the request then goes through
    /// `bearer_auth`, which refuses it as it always did.
    header: Option<HeaderValue>,
}

impl Bearer {
    pub(crate) fn new(token: SecretString) -> Bearer {
        let header = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        Bearer { token, header }
    }

    /// The token itself.
    pub(crate) fn secret(&self) -> &str {
        self.token.expose_secret()
    }
}

/// Ozonetel's HTTP client, one per process (`crate::http`): its connection pool and TLS setup
/// (root certificates, ~100 KB and tens of milliseconds to build) are shared by every client,
/// whatever account it serves. Per-request timeouts are set on each request.
fn shared_http() -> Result<reqwest::Client> {
    static HTTP: crate::http::Shared = crate::http::Shared::new();
    crate::http::shared(&HTTP, concat!("helix-engage/", env!("CARGO_PKG_VERSION")))
}

/// What a [`Transport`] needs from the client's configuration, validated by the builder.
pub(crate) struct Settings {
    pub(crate) user_name: String,
    pub(crate) api_key: SecretString,
    /// Without a trailing slash.
    pub(crate) base_url: String,
    /// The subscription API's host, without a trailing slash.
    pub(crate) events_base_url: String,
    pub(crate) retry: RetryPolicy,
    /// One attempt's limit.
    pub(crate) timeout: Duration,
    /// All attempts of one request together (retries, backoff, `Retry-After`).
    pub(crate) overall_timeout: Duration,
}

/// The account's way to Ozonetel: the process-wide HTTP pool, the settings, and the account's
/// CDR pacer (shared by clones of the client).
pub(crate) struct Transport {
    http: reqwest::Client,
    settings: Settings,
    /// The account's, shared with every client of it.
    cdr_pacer: Arc<Pacer>,
    /// Each endpoint's URL, parsed once: parsing (host, IDNA, path) cost a request more than
    /// everything else this library does for it. One entry per (host, path) the code names,
    /// so it stays a few dozen at most.
    urls: Mutex<Vec<(Host, &'static str, Url)>>,
}

impl Transport {
    pub(crate) fn new(settings: Settings, cdr_pacer: Arc<Pacer>) -> Result<Self> {
        Ok(Transport {
            http: shared_http()?,
            settings,
            cdr_pacer,
            urls: Mutex::new(Vec::new()),
        })
    }

    /// The URL of `path` on `host`, parsed on first use; `None` when it does not parse (the
    /// text then goes to reqwest, which reports it as it always did).
    fn url(&self, host: Host, path: &'static str) -> Option<Url> {
        let mut urls = self.urls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, url)) = urls.iter().find(|(h, p, _)| *h == host && *p == path) {
            return Some(url.clone());
        }
        let url = Url::parse(&self.url_text(host, path)).ok()?;
        urls.push((host, path, url.clone()));
        Some(url)
    }

    fn url_text(&self, host: Host, path: &str) -> String {
        let base = match host {
            Host::Api => &self.settings.base_url,
            Host::Events => &self.settings.events_base_url,
        };
        format!("{base}{path}")
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn user_name(&self) -> &str {
        &self.settings.user_name
    }

    pub(crate) fn api_key(&self) -> &str {
        self.settings.api_key.expose_secret()
    }

    pub(crate) fn cdr_pacer(&self) -> &Pacer {
        &self.cdr_pacer
    }

    /// Sends `request` until it gets an answer worth returning, retrying what `resend` allows,
    /// all attempts within one overall deadline (`ClientBuilder::overall_timeout`) that starts
    /// when the first attempt is sent. A server that never answers costs that deadline, not
    /// the per-request timeout once per attempt.
    pub(crate) async fn send(&self, request: &Request, token: Option<&Bearer>) -> Result<Verdict> {
        let config = &self.settings;
        let policy = config.retry;
        let mut attempt = 0;
        let mut deadline: Option<Instant> = None;
        loop {
            attempt += 1;
            if request.paced && !self.cdr_pacer.acquire(deadline).await {
                return Err(Error::Timeout(format!(
                    "no CDR slot (Ozonetel allows 2 requests a minute) before the {} ms \
                     deadline; after {} attempts",
                    config.overall_timeout.as_millis(),
                    attempt - 1
                )));
            }
            let now = Instant::now();
            let deadline = *deadline.get_or_insert(now + config.overall_timeout);
            let budget = deadline.saturating_duration_since(now).min(config.timeout);
            let outcome = self.send_once(request, token, budget).await;
            let (error, unsent, retry_after) = match outcome {
                Ok(Verdict::Failure(e)) => {
                    let retry_after = match &e {
                        Error::RateLimited { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    (e, false, retry_after)
                }
                Ok(verdict) => return Ok(verdict),
                Err(SendError { error, unsent }) => (error, unsent, None),
            };
            let may_resend = match request.resend {
                Resend::Transient => error.is_transient(),
                Resend::OnlyIfUnsent => unsent,
            };
            if !may_resend || attempt >= policy.max_attempts {
                return Err(if attempt > 1 {
                    error.context(&format!("after {attempt} attempts"))
                } else {
                    error
                });
            }
            if retry_after.is_some_and(|wait| wait > policy.max_retry_after) {
                return Err(error);
            }
            let wait = policy.wait(attempt - 1, retry_after);
            if Instant::now() + wait >= deadline {
                return Err(error.context(&format!(
                    "gave up after {attempt} attempts within the {} ms deadline",
                    config.overall_timeout.as_millis()
                )));
            }
            tracing::debug!(path = request.path, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        request: &Request,
        token: Option<&Bearer>,
        timeout: Duration,
    ) -> Result<Verdict, SendError> {
        let builder = match self.url(request.host, request.path) {
            Some(url) => self.http.request(request.method.clone(), url),
            None => self.http.request(
                request.method.clone(),
                self.url_text(request.host, request.path),
            ),
        };
        let mut builder = builder.timeout(timeout);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        builder = match (request.credentials, token) {
            (Credentials::InQuery, _) => builder,
            (Credentials::AgentBasic, _) => match &request.basic_auth {
                Some((id, password)) => builder.basic_auth(id, Some(password.expose_secret())),
                None => builder,
            },
            (Credentials::EventHeaders, _) => builder
                .header("api_key", self.api_key())
                .header("username", self.user_name()),
            (_, Some(bearer)) => match &bearer.header {
                Some(header) => builder.header(AUTHORIZATION, header.clone()),
                None => builder.bearer_auth(bearer.secret()),
            },
            (_, None) => builder.header("apiKey", self.api_key()),
        };
        if let Some(form) = &request.form {
            builder = builder.form(form);
        } else if let Some(body) = &request.body {
            // reqwest keeps the method as given: a GET with a JSON body stays a GET, which is
            // what abandonCalls and fetchCDRDetails require.
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        tracing::debug!(method = %request.method, path = request.path, "ozonetel request");
        let response = builder.send().await.map_err(SendError::from_reqwest)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = read_capped(response).await?;
        // Bytes that are not UTF-8 are replaced (the envelope then reports what it cannot
        // parse); valid ones are borrowed as they are.
        let body = match std::str::from_utf8(&body) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&body),
        };
        // The bytes are parsed as they came: scrubbing them first turned a short key's letters
        // inside `"token"` into `[redacted]` and broke the answer. What can be quoted back — a
        // refusal's text, a snippet — is scrubbed of the credentials this request carried
        // (some error pages echo the request), before anything can repeat it.
        let verdict = match request.answer {
            Answer::Envelope => envelope::parse(status, retry_after, &body),
            Answer::Text => envelope::parse_text(status, retry_after, &body),
        };
        Ok(match verdict {
            Verdict::Success(object) => Verdict::Success(object),
            Verdict::TokenRejected(message) => Verdict::TokenRejected(
                self.secrets(request, token)
                    .iter()
                    .fold(message, |m, secret| {
                        m.replace(secret.as_ref(), "[redacted]")
                    }),
            ),
            Verdict::Failure(error) => Verdict::Failure(
                self.secrets(request, token)
                    .iter()
                    .fold(error, |e, secret| e.redact(secret)),
            ),
        })
    }

    /// Every credential `request` carried, for scrubbing what an answer quotes back: the API
    /// key, the bearer token, and for HTTP Basic the password twice over — as itself, and
    /// inside the header's base64 of `id:password`, which an echoing error page may quote.
    /// Only refusals and failures are scrubbed, so a success pays for none of this.
    fn secrets<'a>(&'a self, request: &'a Request, token: Option<&'a Bearer>) -> Vec<Cow<'a, str>> {
        let password = request.basic_auth.as_ref().map(|(_, p)| p.expose_secret());
        let basic_header = request.basic_auth.as_ref().map(|(id, p)| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{}", p.expose_secret()))
        });
        [
            Some(Cow::Borrowed(self.api_key())),
            token.map(|t| Cow::Borrowed(t.secret())),
            password.map(Cow::Borrowed),
            basic_header.map(Cow::Owned),
        ]
        .into_iter()
        .flatten()
        .filter(|secret| !secret.is_empty())
        .collect()
    }
}

/// The largest Ozonetel answer read, in bytes: 32 MiB. The largest legitimate answers are
/// `fetchCDRDetails`'s whole day (about 2 KB a call, so some 15 000 calls a day fit) and a
/// `fetchCdrByPagination` page (at most 500 records, about 1 MB). Anything larger is not an
/// answer this library can use, and is not read into memory: a hostile or broken server
/// could otherwise make the process buffer gigabytes. Busier days are read in pages
/// ([`Client::call_record_pages`](crate::ozonetel::Client::call_record_pages)).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// The body of `response`, at most [`MAX_RESPONSE_BYTES`] of it: a larger declared length is
/// refused before reading, a body that grows past the limit is dropped there. An answer that
/// came in one chunk (every small one) is kept as it came, not copied.
async fn read_capped(mut response: reqwest::Response) -> Result<Bytes, SendError> {
    let too_big = |what: String| SendError {
        error: Error::protocol(
            format!(
                "Ozonetel's answer is larger than the {} MiB this library reads ({what}); for a \
                 busy day's call history use the paginated call_record_pages",
                MAX_RESPONSE_BYTES / (1024 * 1024)
            ),
            "",
        ),
        unsent: false,
    };
    if let Some(declared) = response.content_length()
        && declared > MAX_RESPONSE_BYTES as u64
    {
        return Err(too_big(format!("{declared} bytes declared")));
    }
    // The first chunk as it came; `joined` once a second one arrives.
    let mut first = Bytes::new();
    let mut joined: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(SendError::from_reqwest)? {
        let read = if joined.is_empty() {
            first.len()
        } else {
            joined.len()
        };
        if read + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_big("more arrived".to_string()));
        }
        if read == 0 {
            first = chunk;
        } else {
            if joined.is_empty() {
                joined.extend_from_slice(&first);
            }
            joined.extend_from_slice(&chunk);
        }
    }
    Ok(if joined.is_empty() {
        first
    } else {
        Bytes::from(joined)
    })
}

struct SendError {
    error: Error,
    /// The connection never opened: the server cannot have seen the request.
    unsent: bool,
}

impl SendError {
    fn from_reqwest(e: reqwest::Error) -> Self {
        let unsent = e.is_connect();
        // reqwest's Display includes the URL, and Record.php's URL carries the API key.
        let e = e.without_url();
        let error = if e.is_timeout() {
            Error::Timeout(format!("Ozonetel did not answer in time: {e}"))
        } else if e.is_decode() || e.is_body() {
            Error::protocol(format!("Ozonetel's response could not be read: {e}"), "")
        } else {
            Error::Transport(format!("cannot reach Ozonetel: {}", error_chain(&e)))
        };
        SendError { error, unsent }
    }
}

/// The error and its sources on one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
