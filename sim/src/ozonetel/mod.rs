//! The Ozonetel CloudAgent stand-in: tokens, live calls, call control, recording and reports.
//!
//! Paths, bodies and answers follow `shared/reference/ozonetel.md`. Errors come back with HTTP 200
//! and the failure in the body, as Ozonetel does; the status spellings differ per endpoint on
//! purpose (`false`, `Error`, `fail`, `success`, `Success`) because the client must cope with all.

mod account;
pub(crate) mod auth;
pub(crate) mod calls;
mod history;
pub(crate) mod live;
pub(crate) mod reports;
pub(crate) mod state;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::shared::Shared;

pub use account::{Account, AuthMode, PhoneRegion};
pub use auth::TokenInfo;
pub use history::PastCall;
pub use live::{CallSnapshot, NewCall, Participant, PartyRole};

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
