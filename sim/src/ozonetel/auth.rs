//! Token generation and the TOKEN_AUTH / BASIC_AUTH checks every other endpoint runs.
//!
//! The rules that hurt real clients are all here: a token lives 60 minutes, each generation
//! invalidates every earlier token of the account (so two processes generating in turn keep
//! kicking each other out), and at most 10 tokens may be generated per rolling hour.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::account::{Account, AuthMode};
use super::state::{Issued, OzState, TokenBook};
use super::wire::{false_with_data, invalid_json, parse_object, str_field};
use crate::faults::{Endpoint, lock};
use crate::intake::intake;
use crate::shared::Shared;

/// How long a token is valid.
pub(crate) const TOKEN_LIFETIME_SECS: i64 = 60 * 60;
/// Generations allowed per rolling hour and account.
pub(crate) const GENERATIONS_PER_HOUR: usize = 10;
/// The answer to the 11th generation within an hour (Ozonetel's wording is not public).
pub(crate) const GENERATION_LIMIT_MESSAGE: &str =
    "Token generation limit exceeded. Only 10 tokens can be generated per hour";

/// What the simulator knows about an account's tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The account.
    pub user_name: String,
    /// Tokens generated since the simulator started.
    pub generations_total: u64,
    /// Tokens generated within the last hour of simulated time.
    pub generations_last_hour: u32,
    /// The only token currently accepted (it may have expired).
    pub current_token: Option<String>,
    /// When the current token expires (simulated time).
    pub current_expires_at: Option<DateTime<Utc>>,
}

pub(crate) fn token_info(state: &mut OzState, user: &str, now: DateTime<Utc>) -> TokenInfo {
    let book = state.tokens.entry(user.to_string()).or_default();
    prune(book, now);
    TokenInfo {
        user_name: user.to_string(),
        generations_total: book.total,
        generations_last_hour: u32::try_from(book.recent.len()).unwrap_or(u32::MAX),
        current_token: book.issued.last().map(|i| i.token.clone()),
        current_expires_at: book.issued.last().map(|i| i.expires_at),
    }
}

fn prune(book: &mut TokenBook, now: DateTime<Utc>) {
    let hour_ago = now - chrono::Duration::hours(1);
    while book.recent.front().is_some_and(|t| *t <= hour_ago) {
        book.recent.pop_front();
    }
}

/// `POST /ca_apis/CAToken/generateToken`
pub(crate) async fn generate_token(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(resp) = intake(
        &shared,
        Endpoint::GenerateToken,
        &method,
        None,
        &headers,
        &body,
    )
    .await
    {
        return resp;
    }
    let map = parse_object(&body).unwrap_or_default();
    let user = match str_field(&map, "userName") {
        Ok(Some(u)) if !u.trim().is_empty() => u.to_string(),
        _ => return false_with_data("UserName is null"),
    };
    let api_key = header_str(&headers, "apiKey");
    let now = shared.clock.now();
    let mut state = lock(&shared.oz);
    let key_ok = state
        .accounts
        .get(&user)
        .is_some_and(|a| api_key.is_some_and(|k| k == a.api_key));
    if !key_ok {
        return false_with_data("Invalid userName or apiKey");
    }
    let book = state.tokens.entry(user.clone()).or_default();
    prune(book, now);
    if book.recent.len() >= GENERATIONS_PER_HOUR {
        // A refused generation leaves the current token valid and does not count.
        return false_with_data(GENERATION_LIMIT_MESSAGE);
    }
    book.total += 1;
    book.recent.push_back(now);
    let expires_at = now + chrono::Duration::seconds(TOKEN_LIFETIME_SECS);
    let token = make_jwt(&user, now, expires_at, book.total);
    book.issued.push(Issued {
        token: token.clone(),
        expires_at,
    });
    axum::Json(json!({"token": token, "message": ""})).into_response()
}

fn make_jwt(user: &str, now: DateTime<Utc>, exp: DateTime<Utc>, seq: u64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = json!({
        "userName": user,
        "iat": now.timestamp(),
        "exp": exp.timestamp(),
        "jti": format!("sim-{seq}"),
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let sig: [u8; 32] = rand::random();
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The start of every JSON-bodied Ozonetel handler: the intake step (record, faults), then
/// the body as a JSON object; `Err` is the answer to send instead (the fault's, or Ozonetel's
/// "Invalid Json" one).
pub(crate) async fn json_request(
    shared: &Shared,
    endpoint: Endpoint,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, Response> {
    if let Some(resp) = intake(shared, endpoint, method, None, headers, body).await {
        return Err(resp);
    }
    parse_object(body).ok_or_else(invalid_json)
}

/// A header's value as text; `None` when absent or not valid text.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Runs the account's authentication rule for an API call.
///
/// The error is the finished response (rare path; boxing it would only add noise).
///
/// `user` is the body's `userName`; `bad_user` builds the endpoint's own answer for a missing
/// or unknown user or a wrong API key (each Ozonetel endpoint words it differently).
#[allow(clippy::result_large_err)]
pub(crate) fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    user: Option<&str>,
    bad_user: &dyn Fn() -> Response,
) -> Result<Account, Response> {
    let now = shared.clock.now();
    let state = lock(&shared.oz);
    let Some(account) = user
        .filter(|u| !u.is_empty())
        .and_then(|u| state.accounts.get(u))
        .cloned()
    else {
        return Err(bad_user());
    };
    match account.mode {
        AuthMode::Token => {
            let raw = headers.get(header::AUTHORIZATION).map(|v| v.to_str());
            let token = match raw {
                None => return Err(false_with_data("Token Should Not be Null or Empty.")),
                // Non-text header bytes cannot be a token we issued.
                Some(Err(_)) => return Err(false_with_data("Invalid Token")),
                Some(Ok(v)) => {
                    let v = v.trim();
                    let t = v
                        .strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                        .unwrap_or(v)
                        .trim();
                    if t.is_empty() || t.eq_ignore_ascii_case("bearer") {
                        return Err(false_with_data("Token Should Not be Null or Empty."));
                    }
                    t
                }
            };
            let Some(book) = state.tokens.get(&account.user_name) else {
                return Err(false_with_data("Invalid Token"));
            };
            let Some(pos) = book.issued.iter().position(|i| i.token == token) else {
                return Err(false_with_data("Invalid Token"));
            };
            // Expiry is checked before supersession, as a JWT filter validates `exp` first.
            if now >= book.issued[pos].expires_at {
                return Err(false_with_data("Token Expired"));
            }
            if pos + 1 != book.issued.len() {
                return Err(false_with_data("Invalid Token"));
            }
            Ok(account)
        }
        AuthMode::Basic => match header_str(headers, "apiKey").map(str::trim) {
            None | Some("") => Err(false_with_data("Api Key Should Not be Null or Empty.")),
            Some(k) if k == account.api_key => Ok(account),
            Some(_) => Err(bad_user()),
        },
    }
}
