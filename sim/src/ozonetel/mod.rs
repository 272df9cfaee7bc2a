//! The Ozonetel CloudAgent stand-in: tokens, live calls, call control, recording and reports.
//!
//! Paths, bodies and answers follow `shared/reference/ozonetel.md`. Errors come back with HTTP 200
//! and the failure in the body, as Ozonetel does; the status spellings differ per endpoint on
//! purpose (`false`, `Error`, `fail`, `success`, `Success`) because the client must cope with all.

pub(crate) mod auth;
pub(crate) mod calls;
pub(crate) mod reports;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Shared;
use crate::record::RecordedRequest;

pub use auth::TokenInfo;
pub use calls::{CallSnapshot, NewCall, Participant, PartyRole};
pub use reports::PastCall;

/// How an account authenticates API calls (its admin's "API Authentication" setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthMode {
    /// `TOKEN_AUTH`: `Authorization: Bearer <token>` plus `userName` in the body.
    #[serde(rename = "TOKEN_AUTH", alias = "token", alias = "Token")]
    Token,
    /// `BASIC_AUTH`: `apiKey: <key>` header plus `userName` in the body.
    #[serde(rename = "BASIC_AUTH", alias = "basic", alias = "Basic")]
    Basic,
}

/// Which phone-number format an account's CONFERENCE numbers must use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneRegion {
    /// `0` followed by 10 digits, e.g. `09876543210`.
    #[default]
    India,
    /// `+` followed by the country code and number, e.g. `+14155550123`.
    International,
}

/// A CloudAgent account known to the simulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account's `userName`.
    #[serde(rename = "userName", alias = "user_name")]
    pub user_name: String,
    /// The account's API key (`apiKey`).
    #[serde(rename = "apiKey", alias = "api_key")]
    pub api_key: String,
    /// Token or Basic authentication.
    #[serde(default = "default_mode")]
    pub mode: AuthMode,
    /// Phone-number format for CONFERENCE numbers.
    #[serde(default)]
    pub region: PhoneRegion,
    /// Campaign names the account owns (`campaignName` filters must name one of these or one
    /// used by a seeded call).
    #[serde(default)]
    pub campaigns: Vec<String>,
}

fn default_mode() -> AuthMode {
    AuthMode::Token
}

impl Account {
    /// A TOKEN_AUTH India account.
    pub fn token(user_name: impl Into<String>, api_key: impl Into<String>) -> Self {
        Account {
            user_name: user_name.into(),
            api_key: api_key.into(),
            mode: AuthMode::Token,
            region: PhoneRegion::India,
            campaigns: Vec::new(),
        }
    }

    /// A BASIC_AUTH India account.
    pub fn basic(user_name: impl Into<String>, api_key: impl Into<String>) -> Self {
        Account {
            mode: AuthMode::Basic,
            ..Account::token(user_name, api_key)
        }
    }

    /// The same account, with international (`+CC…`) conference numbers.
    pub fn international(mut self) -> Self {
        self.region = PhoneRegion::International;
        self
    }

    /// The same account, owning one more campaign name.
    pub fn with_campaign(mut self, campaign: impl Into<String>) -> Self {
        self.campaigns.push(campaign.into());
        self
    }
}

/// Everything the Ozonetel stand-in remembers.
#[derive(Debug, Default)]
pub(crate) struct OzState {
    pub accounts: HashMap<String, Account>,
    pub tokens: HashMap<String, auth::TokenBook>,
    pub calls: BTreeMap<String, calls::LiveCall>,
    pub history: Vec<reports::HistoryEntry>,
    pub ended_calls: BTreeMap<String, CallSnapshot>,
    pub cdr_requests: HashMap<String, VecDeque<DateTime<Utc>>>,
    pub requests: Vec<RecordedRequest>,
    pub next_seq: u64,
}

impl OzState {
    /// A fresh UCID above 2^53, like Ozonetel's 17-digit ids.
    pub fn next_ucid(&mut self) -> u64 {
        self.next_seq += 1;
        31_733_467_784_618_213 + self.next_seq * 7_919
    }

    /// A fresh CallID above 2^53 (distinct from UCIDs).
    pub fn next_call_id(&mut self) -> u64 {
        self.next_seq += 1;
        31_733_467_700_000_000 + self.next_seq * 104_729
    }

    pub fn ucid_in_use(&self, ucid: &str) -> bool {
        self.calls.contains_key(ucid) || self.history.iter().any(|h| h.ucid.to_string() == ucid)
    }
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/ca_apis/CAToken/generateToken", post(auth::generate_token))
        .route("/ca_apis/CallControl_V4", post(calls::call_control))
        .route("/CAServices/Call/Record.php", get(calls::record))
        .route("/ca_apis/abandonCalls", get(reports::abandon_calls))
        .route(
            "/ca_reports/fetchCDRDetails",
            get(reports::fetch_cdr_details),
        )
        .route(
            "/ca_reports/fetchCdrByUCID",
            get(reports::fetch_cdr_by_ucid),
        )
}

/// `{"status":"false","message":..., "data":null}` — the auth/token failure shape.
pub(crate) fn false_with_data(message: &str) -> Response {
    axum::Json(json!({"status": "false", "message": message, "data": Value::Null})).into_response()
}

/// `{"status":"false","message":...}` without `data` (the reports' shape).
pub(crate) fn false_plain(message: &str) -> Response {
    axum::Json(json!({"status": "false", "message": message})).into_response()
}

/// The answer to a JSON endpoint whose body is not a JSON object.
pub(crate) fn invalid_json() -> Response {
    false_plain("Invalid Json Pass Valid Json")
}

/// Parses a body as a JSON object; `None` for empty, invalid UTF-8/JSON or non-objects.
pub(crate) fn parse_object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A string field: `Ok(None)` when absent or null, `Err(())` when present with another type.
pub(crate) fn str_field<'a>(
    map: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ()> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(()),
    }
}
