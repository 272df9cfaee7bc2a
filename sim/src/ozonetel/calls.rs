//! The live-call registry, `CallControl_V4` and `Record.php`.
//!
//! A call has parties (customer, agent, conferenced numbers), each with hold and mute flags, and
//! a recording that can be paused. CallControl actions change exactly what they name: KICK_CALL
//! drops the party whose number is in `conferenceNumber` and nobody else, which is what a
//! transfer (CONFERENCE the target, then KICK_CALL the agent) relies on.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::account::PhoneRegion;
use super::auth;
use super::desk;
use super::history::HistoryEntry;
use super::live::{CallSnapshot, LiveCall, NewCall, Participant, PartyRole, snapshot};
use super::state::OzState;
use super::wire::{false_with_data, str_fields};
use crate::error::SimError;
use crate::faults::{Endpoint, lock};
use crate::intake::intake;
use crate::shared::Shared;

/// Adds a live call.
pub(crate) fn seed_call(
    state: &mut OzState,
    default_account: &str,
    now: DateTime<Utc>,
    tz: chrono::FixedOffset,
    new: NewCall,
) -> Result<CallSnapshot, SimError> {
    let account = state.seed_account(new.account, default_account)?;
    let ucid = state.claim_ucid(new.ucid.as_deref())?;
    state.note_campaign(&account, &new.campaign);
    let call = LiveCall {
        ucid,
        monitor_ucid: ucid,
        account,
        customer_number: new.customer_number.clone(),
        agent_id: new.agent_id.clone(),
        agent_name: new.agent_name.unwrap_or_else(|| new.agent_id.clone()),
        agent_number: new.agent_number.clone(),
        did: new.did,
        campaign: new.campaign,
        skill: new.skill,
        call_type: new.call_type,
        answered: new.answered,
        participants: {
            let mut p = vec![Participant {
                number: new.customer_number,
                role: PartyRole::Customer,
                on_hold: false,
                muted: false,
            }];
            // An unanswered call never reached an agent.
            if new.answered {
                p.push(Participant {
                    number: new.agent_number,
                    role: PartyRole::Agent,
                    on_hold: false,
                    muted: false,
                });
            }
            p
        },
        recording_paused: false,
        started_at: now,
        answered_at: new.answered.then_some(now),
        transferred_to: None,
        dial_status: None,
    };
    let snap = snapshot(&call, tz, None);
    state.calls.insert(ucid.to_string(), call);
    desk::on_call_start(state, &ucid.to_string(), now, tz);
    Ok(snap)
}

/// Ends a live call at `at`: into the CDR store (and the abandoned list when unanswered).
pub(crate) fn end_call(
    state: &mut OzState,
    ucid: &str,
    at: DateTime<Utc>,
    hangup_by: &str,
    tz: chrono::FixedOffset,
) -> Result<CallSnapshot, SimError> {
    let call = state
        .calls
        .remove(ucid.trim())
        .ok_or_else(|| SimError::UnknownCall(ucid.to_string()))?;
    let at = at.max(call.started_at);
    let call_id = state.next_call_id();
    let snap = snapshot(&call, tz, Some(at));
    state
        .history
        .push(HistoryEntry::from_live(&call, call_id, at, hangup_by, tz));
    state
        .ended_calls
        .insert(call.ucid.to_string(), snap.clone());
    desk::on_call_end(state, &call, at, tz);
    Ok(snap)
}

/// Two numbers name the same party when their national parts match (`+91 98765-43210`,
/// `09876543210` and `9876543210` are one phone).
pub(crate) fn same_number(a: &str, b: &str) -> bool {
    let da: String = a.chars().filter(char::is_ascii_digit).collect();
    let db: String = b.chars().filter(char::is_ascii_digit).collect();
    if da.is_empty() || db.is_empty() {
        return false;
    }
    if da.len() >= 10 && db.len() >= 10 {
        da[da.len() - 10..] == db[db.len() - 10..]
    } else {
        da == db
    }
}

/// Whether `n` is a conference number in the account's required format.
pub(crate) fn valid_conference_number(n: &str, region: PhoneRegion) -> bool {
    match region {
        PhoneRegion::India => {
            n.len() == 11 && n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
        }
        PhoneRegion::International => n
            .strip_prefix('+')
            .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())),
    }
}

fn error(message: &str) -> Response {
    axum::Json(json!({"status": "Error", "message": message})).into_response()
}

fn success(message: &str, ucid: &str) -> Response {
    axum::Json(json!({"status": "Success", "message": message, "ucid": ucid})).into_response()
}

/// The answer when a named party is not in the call (Ozonetel's wording is not public).
pub(crate) const NOT_IN_CALL: &str = "Conference number is not part of the call";
/// The answer when CONFERENCE names a number already in the call (wording not public).
pub(crate) const ALREADY_IN_CALL: &str = "Conference number is already part of the call";
/// The answer to an unknown `action` (wording not public).
pub(crate) const INVALID_ACTION: &str = "Invalid action";

/// `POST /ca_apis/CallControl_V4`
pub(crate) async fn call_control(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map =
        match auth::json_request(&shared, Endpoint::CallControl, &method, &headers, &body).await {
            Ok(m) => m,
            Err(r) => return r,
        };
    // Every field is documented as a string.
    let fields = match str_fields(
        &map,
        &[
            "userName",
            "action",
            "ucid",
            "conferenceNumber",
            "did",
            "agentPhoneName",
        ],
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let bad_user = || false_with_data("Invalid userName or apiKey");
    let account = match auth::authenticate(&shared, &headers, Some(fields["userName"]), &bad_user) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let action = fields["action"];
    if !matches!(
        action,
        "CONFERENCE" | "HOLD" | "UNHOLD" | "MUTE" | "UNMUTE" | "KICK_CALL"
    ) {
        return error(INVALID_ACTION);
    }
    let ucid = fields["ucid"].to_string();
    let number = fields["conferenceNumber"].to_string();
    let now = shared.clock.now();
    let tz = shared.clock.timezone();
    let mut state = lock(&shared.oz);
    let Some(call) = state
        .calls
        .get_mut(&ucid)
        .filter(|c| c.account == account.user_name)
    else {
        return error("Call not Found");
    };
    match action {
        "CONFERENCE" => {
            if !valid_conference_number(&number, account.region) {
                return error("Please pass valid Conference number");
            }
            if call
                .participants
                .iter()
                .any(|p| same_number(&p.number, &number))
            {
                return error(ALREADY_IN_CALL);
            }
            call.participants.push(Participant {
                number,
                role: PartyRole::Conference,
                on_hold: false,
                muted: false,
            });
            success("dialing", &ucid)
        }
        "KICK_CALL" => {
            if !valid_conference_number(&number, account.region) {
                return error("Please pass valid Conference number");
            }
            let Some(idx) = call
                .participants
                .iter()
                .position(|p| same_number(&p.number, &number))
            else {
                return error(NOT_IN_CALL);
            };
            let removed = call.participants.remove(idx);
            if removed.role == PartyRole::Agent
                && let Some(p) = call
                    .participants
                    .iter()
                    .find(|p| p.role == PartyRole::Conference)
            {
                call.transferred_to = Some(p.number.clone());
            }
            // The call is over when the customer leg is gone or nobody is left with them.
            let customer_left = removed.role == PartyRole::Customer;
            let alone = call
                .participants
                .iter()
                .all(|p| p.role == PartyRole::Customer);
            if customer_left || alone {
                let _ = end_call(&mut state, &ucid, now, "AgentHangup", tz);
            }
            success("call got disconnected", &ucid)
        }
        _ => {
            let target = if number.is_empty() {
                call.participants
                    .iter_mut()
                    .find(|p| p.role == PartyRole::Customer)
            } else {
                call.participants
                    .iter_mut()
                    .find(|p| same_number(&p.number, &number))
            };
            let Some(party) = target else {
                return error(NOT_IN_CALL);
            };
            let message = match action {
                "HOLD" => {
                    party.on_hold = true;
                    "User hold is successful"
                }
                "UNHOLD" => {
                    party.on_hold = false;
                    "Call is Un-hold successfully"
                }
                "MUTE" => {
                    party.muted = true;
                    "call got mute successfully"
                }
                _ => {
                    party.muted = false;
                    "unmute success"
                }
            };
            success(message, &ucid)
        }
    }
}

/// `GET /CAServices/Call/Record.php?userName&apiKey&action=pause|unPause&ucid`
pub(crate) async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    if let Some(resp) = intake(
        &shared,
        Endpoint::Record,
        &method,
        raw.as_deref(),
        &headers,
        &[],
    )
    .await
    {
        return resp;
    }
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let get = |k: &str| q.get(k).map(|s| s.trim()).unwrap_or("");
    let mut state = lock(&shared.oz);
    let key_ok = state
        .accounts
        .get(get("userName"))
        .is_some_and(|a| !get("apiKey").is_empty() && a.api_key == get("apiKey"));
    if !key_ok {
        return error("userName or apiKey is Invalid");
    }
    let ucid = get("ucid");
    if ucid.is_empty() {
        return error("ucid should not be empty");
    }
    let (paused, inner) = match get("action") {
        "pause" => (true, "paused monitoring of the channel"),
        "unPause" => (false, "Unpaused monitoring of the channel"),
        _ => return error("action should be either pause or unPause"),
    };
    let user = get("userName");
    let Some(call) = state.calls.get_mut(ucid).filter(|c| c.account == user) else {
        return error("ucid is Invalid");
    };
    call.recording_paused = paused;
    // The documented success: outer status "Error", the real answer as JSON text in `message`.
    let nested = json!({"status": "Success", "message": inner}).to_string();
    error(&nested)
}
