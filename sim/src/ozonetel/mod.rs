//! The Ozonetel CloudAgent stand-in: tokens, live calls, call control, recording and reports.
//!
//! Paths, bodies and answers follow Ozonetel's public API reference,
//! <https://docs.ozonetel.com/reference>: "Call Control in Conference" with token
//! (<https://docs.ozonetel.com/reference/post_ca-apis-callcontrol-v4>) or basic authentication
//! (<https://docs.ozonetel.com/reference/post_ca-apis-callcontrol-v4-1>), "Fetch CDR Details"
//! (<https://docs.ozonetel.com/reference/get_ca-reports-fetchcdrdetails>), and the "Generate
//! Token", abandoned-calls, CDR-by-UCID and recording pages beside them. The facts kept here:
//!
//! - Errors come back with HTTP 200 and the failure in the body; the status spellings differ per
//!   endpoint on purpose (`false`, `Error`, `fail`, `success`, `Success`) because the client must
//!   cope with all (`wire.rs` holds the shapes).
//! - TOKEN_AUTH accounts send `Authorization: Bearer <token>` and `userName` in the body;
//!   BASIC_AUTH accounts send an `apiKey` header. A token lives 60 minutes, each generation
//!   supersedes the account's earlier tokens, and 10 may be generated per rolling hour
//!   (`auth.rs`).
//! - `conferenceNumber` is `0` + 10 digits on Indian accounts and `+` country code + number on
//!   international ones; KICK_CALL takes the number of the party to drop (the agent's number
//!   drops the agent) (`calls.rs`).
//! - The CDR endpoints answer one calendar day per request, up to 15 days back, at most 2
//!   requests a minute per account across all of them, with times as `YYYY-MM-DD HH:MM:SS`
//!   (`reports.rs`).
//! - UCIDs and CallIDs exceed 2^53 (`live.rs`, `history.rs`).
//!
//! - The agent desk (`agents.rs`: login, state, dials; `disposition.rs`; `events.rs`: the
//!   subscription API) follows the reference pages each file links; `desk.rs` holds the agent
//!   state machine's transitions and queues the call and agent events, `webhook.rs` POSTs
//!   them off the request path.
//!
//! Imports flow one way: the handlers (`auth.rs`; `agents.rs`, `disposition.rs`, `events.rs`,
//! `calls.rs` and `reports.rs`, which use `auth.rs`; `agents.rs` also uses `calls.rs`) →
//! `desk.rs` (transitions and events) → `state.rs` (what is remembered) → `history.rs`
//! (finished calls) → `live.rs` (live calls) → `wire.rs`; `account.rs`, `agent.rs` and
//! `webhook.rs` are leaves below `state.rs`. No file here imports this one.

mod account;
pub(crate) mod agent;
mod agents;
pub(crate) mod auth;
pub(crate) mod calls;
pub(crate) mod desk;
mod disposition;
mod events;
mod history;
pub(crate) mod live;
pub(crate) mod reports;
pub(crate) mod state;
pub(crate) mod webhook;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::faults::Endpoint;
use crate::shared::Shared;

pub use account::{Account, AuthMode, PhoneRegion};
pub use agent::{Agent, AgentMode, AgentSnapshot, AgentState};
pub use auth::TokenInfo;
pub use history::PastCall;
pub use live::{CallSnapshot, NewCall, Participant, PartyRole};
pub use state::{CustomerResponse, DialConfig};
pub use webhook::{EventDelivery, EventKind};

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(Endpoint::GenerateToken.path(), post(auth::generate_token))
        .route(Endpoint::CallControl.path(), post(calls::call_control))
        .route(Endpoint::Record.path(), get(calls::record))
        .route(Endpoint::AbandonCalls.path(), get(reports::abandon_calls))
        .route(
            Endpoint::FetchCdrDetails.path(),
            get(reports::fetch_cdr_details),
        )
        .route(
            Endpoint::FetchCdrByUcid.path(),
            get(reports::fetch_cdr_by_ucid),
        )
        .route(
            Endpoint::FetchCdrByPagination.path(),
            get(reports::fetch_cdr_by_pagination),
        )
        .route(
            Endpoint::AgentAuthentication.path(),
            post(agents::agent_authentication),
        )
        .route(
            Endpoint::ChangeAgentState.path(),
            post(agents::change_agent_state),
        )
        .route(
            Endpoint::AgentManualDial.path(),
            post(agents::agent_manual_dial),
        )
        .route(
            Endpoint::PhoneManualDial.path(),
            post(agents::phone_manual_dial),
        )
        .route(Endpoint::Disposition.path(), post(disposition::disposition))
        .route(Endpoint::EventsSubscribe.path(), post(events::subscribe))
        .route(Endpoint::EventsList.path(), get(events::list))
        .route(
            Endpoint::EventsUnsubscribe.path(),
            post(events::unsubscribe),
        )
}
