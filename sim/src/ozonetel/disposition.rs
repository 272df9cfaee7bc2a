//! `DispositionAPIV2`: the account's disposition list (`action=get`) and disposing of a call
//! (`action=Set`), which ends the agent's ACW.
//!
//! Reference: "set/get Disposition"
//! (<https://docs.ozonetel.com/reference/post_ca-apis-dispositionapiv2-1>) and the retired GET
//! form's page beside it. During the call the disposition is queued (text in `message`) and
//! applied when the call ends, so the agent skips ACW; after the call it is saved at once (text
//! in `details`). A call is disposed once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::json;

use super::agent::AgentState;
use super::auth;
use super::desk;
use super::state::DispositionRecord;
use super::wire::{flag_field, invalid_json, national, str_fields};
use crate::faults::{Endpoint, lock};
use crate::shared::Shared;

fn details(status: &str, text: &str) -> Response {
    axum::Json(json!({"details": text, "status": status})).into_response()
}

/// UCIDs this long are refused with Ozonetel's (misleading, not transient) retry sentence.
pub(crate) const MAX_UCID_CHARS: usize = 20;

/// `POST /ca_apis/DispositionAPIV2`
pub(crate) async fn disposition(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map =
        match auth::json_request(&shared, Endpoint::Disposition, &method, &headers, &body).await {
            Ok(m) => m,
            Err(r) => return r,
        };
    let f = match str_fields(
        &map,
        &[
            "action",
            "userName",
            "agentID",
            "did",
            "ucid",
            "disposition",
            "comments",
            "pauseReason",
            "callBackTime",
        ],
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (Ok(pause_after), Ok(auto_release)) = (
        flag_field(&map, "pauseAfterDispose"),
        flag_field(&map, "autoRelease"),
    ) else {
        return invalid_json();
    };
    let bad_user = || details("Fail", "Authentication fails");
    let account = match auth::authenticate(&shared, &headers, Some(f["userName"]), &bad_user) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let action = f["action"];
    if action.eq_ignore_ascii_case("get") {
        return axum::Json(json!({"status": "Success", "details": account.dispositions}))
            .into_response();
    }
    if !action.eq_ignore_ascii_case("set") {
        return details("Fail", &format!("Invalid action->{action}"));
    }
    let ucid = f["ucid"];
    if ucid.chars().count() >= MAX_UCID_CHARS {
        return axum::Json(json!({"status": "Error",
            "details": "Unable to Dispose . Please retry after some time."}))
        .into_response();
    }
    let now = shared.clock.now();
    let tz = shared.clock.timezone();
    let mut state = lock(&shared.oz);
    let key = (account.user_name.clone(), f["agentID"].to_string());
    if !state.agents.contains_key(&key) {
        return details("Fail", "Invalid agent");
    }
    if f["disposition"].is_empty() {
        return details("Fail", "Empty disposition code");
    }
    // Absent counts as false here: the reference calls `true` the default, but then a plain
    // disposition would always need a pause reason.
    let pause_after = pause_after.unwrap_or(false);
    if pause_after && f["pauseReason"].is_empty() {
        return details("Fail", "Provide pause reason.");
    }
    if pause_after && !account.pause_reasons.iter().any(|r| r == f["pauseReason"]) {
        return details("Fail", "pauseReason is Invalid");
    }
    let cb = f["callBackTime"];
    if !cb.is_empty() && NaiveDateTime::parse_from_str(cb, "%Y-%m-%d %H:%M").is_err() {
        // Wording not public.
        return details(
            "Fail",
            "Invalid callBackTime. Please pass it in the format YYYY-MM-DD HH:MM",
        );
    }
    // The call: live, or ended (in the history), of this account, agent and DID.
    let did_ok = |did: &str| f["did"].is_empty() || national(did) == national(f["did"]);
    let live = state
        .calls
        .get(ucid)
        .filter(|c| c.account == account.user_name);
    let (is_live, call_agent, call_did) = match live {
        Some(c) => (true, c.agent_id.clone(), c.did.clone()),
        None => match state
            .history
            .iter()
            .find(|h| h.account == account.user_name && h.ucid.to_string() == ucid)
        {
            Some(h) => (false, h.agent_id.clone(), h.did.clone()),
            None => return details("Fail", "Invalid ucid or did"),
        },
    };
    if !did_ok(&call_did) {
        return details("Fail", "Invalid ucid or did");
    }
    if call_agent != f["agentID"] {
        return details("Fail", "Invalid agent");
    }
    if state.dispositions.contains_key(ucid) {
        return details("Fail", "This call is already Disposed.");
    }
    let record = DispositionRecord {
        disposition: f["disposition"].to_string(),
        comments: f["comments"].to_string(),
        queued: is_live,
        pause_after: pause_after.then(|| f["pauseReason"].to_string()),
    };
    state.dispositions.insert(ucid.to_string(), record.clone());
    if is_live {
        return axum::Json(
            json!({"status": "Success", "message": "Disposition Queued Successfully"}),
        )
        .into_response();
    }
    desk::apply_disposition(&mut state, ucid, &record.disposition, &record.comments);
    let in_acw = state.agents.get(&key).is_some_and(|a| {
        a.state
            == AgentState::Acw {
                ucid: ucid.to_string(),
            }
    });
    // autoRelease=false keeps the agent in ACW after saving; anything else releases it.
    if in_acw && auto_release != Some(false) {
        let next = desk::after_disposition(record.pause_after);
        desk::set_agent_state(&mut state, &key.0, &key.1, next, now, tz);
    }
    details("Success", "Disposition saved successfully")
}
