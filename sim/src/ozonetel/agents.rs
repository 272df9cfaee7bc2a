//! Agent login/logout (`AgentAuthenticationV2`), `changeAgentState`, and the click-to-call
//! dials `AgentManualDial` (logged-in Ready agents) and `PhoneManualDial` (offline agents).
//!
//! Reference pages: "Agent Authentication"
//! (<https://docs.ozonetel.com/reference/post_caservices-agentauthenticationv2-index-php>),
//! "Change Agent State" (<https://docs.ozonetel.com/reference/post_ca-apis-changeagentstate-1>),
//! "Agent Manual Dial" (<https://docs.ozonetel.com/reference/post_ca-apis-agentmanualdial-3>)
//! and "Phone Manual Dial" (<https://docs.ozonetel.com/reference/get_caservices-phonemanualdial-php-1>).
//! A dialled call enters the live registry at once (agent leg connected, customer ringing,
//! `Calling`); after [`DialConfig::answer_after_ms`] real milliseconds the customer answers
//! (`Answered`) or, as the control API chose, rings out or is busy (the call ends unanswered).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::account::Account;
use super::agent::{AgentMode, AgentState};
use super::auth;
use super::calls::{end_call, same_number};
use super::desk;
use super::live::{LiveCall, Participant, PartyRole};
use super::state::{CustomerResponse, DialConfig, OzState};
use super::wire::{false_with_data, flag_field, invalid_json, national, parse_form, str_fields};
use crate::faults::{Endpoint, delay, lock};
use crate::intake::intake;
use crate::shared::Shared;

fn status(status: &str, message: &str) -> Response {
    axum::Json(json!({"status": status, "message": message})).into_response()
}

/// The agent id and password of an HTTP Basic `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let encoded = raw
        .strip_prefix("Basic ")
        .or_else(|| raw.strip_prefix("basic "))?;
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, pw) = text.split_once(':')?;
    Some((id.to_string(), pw.to_string()))
}

/// The answer to a login without a usable `phoneNumber` (Ozonetel's wording is not public).
pub(crate) const PHONE_NUMBER_REQUIRED: &str = "Please provide a valid phoneNumber";

/// `POST /CAServices/AgentAuthenticationV2/index.php` (form body, HTTP Basic agent id:password).
pub(crate) async fn agent_authentication(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(resp) = intake(
        &shared,
        Endpoint::AgentAuthentication,
        &method,
        None,
        &headers,
        &body,
    )
    .await
    {
        return resp;
    }
    let form = parse_form(&body);
    let get = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or("");
    let error = |m: &str| status("error", m);
    let now = shared.clock.now();
    let tz = shared.clock.timezone();
    let mut state = lock(&shared.oz);
    let user = get("userName");
    let key_ok = state
        .accounts
        .get(user)
        .is_some_and(|a| !get("apiKey").is_empty() && a.api_key == get("apiKey"));
    if !key_ok {
        return error("Invalid userName or apiKey");
    }
    // A wrong agent id and a wrong password answer alike, so ids cannot be probed.
    let Some((agent_id, password)) = basic_credentials(&headers) else {
        return error("Invalid Authentication");
    };
    let key = (user.to_string(), agent_id.clone());
    let Some(agent) = state.agents.get(&key).filter(|a| a.password == password) else {
        return error("Invalid Authentication");
    };
    let logged_in = agent.logged_in();
    match get("action").to_ascii_lowercase().as_str() {
        "login" => {
            if logged_in {
                return error("Agent has already logged in");
            }
            let phone = get("phoneNumber");
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(10..=15).contains(&digits) {
                return error(PHONE_NUMBER_REQUIRED);
            }
            let taken = state.agents.values().find(|a| {
                a.account == user
                    && a.agent_id != agent_id
                    && a.logged_in()
                    && same_number(a.number(), phone)
            });
            if let Some(other) = taken {
                return error(&format!(
                    "{} logged in with the number (+91{})",
                    other.agent_id,
                    national(phone)
                ));
            }
            if let Some(a) = state.agents.get_mut(&key) {
                a.login_number = Some(phone.to_string());
            }
            desk::set_agent_state(&mut state, user, &agent_id, AgentState::Ready, now, tz);
            status(
                "success",
                &format!("Agent {agent_id} logged in successfully"),
            )
        }
        "logout" => {
            if !logged_in {
                return error(&format!("Agent {agent_id} is not logged in"));
            }
            desk::set_agent_state(&mut state, user, &agent_id, AgentState::LoggedOut, now, tz);
            status(
                "success",
                &format!("Agent {agent_id} logged out successfully"),
            )
        }
        // Wording not public.
        _ => error("action should be either login or logout"),
    }
}

/// `POST /ca_apis/changeAgentState`
pub(crate) async fn change_agent_state(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match auth::json_request(
        &shared,
        Endpoint::ChangeAgentState,
        &method,
        &headers,
        &body,
    )
    .await
    {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match str_fields(
        &map,
        &["userName", "agentId", "state", "pauseReason", "phoneName"],
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let error = |m: &str| status("error", m);
    let bad_user = || error("userName or apiKey is Invalid");
    let account = match auth::authenticate(&shared, &headers, Some(f["userName"]), &bad_user) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pause = match f["state"].to_ascii_lowercase().as_str() {
        "ready" => false,
        "pause" => true,
        _ => return error("The state should be either 'Ready' or 'Pause' state'"),
    };
    let now = shared.clock.now();
    let tz = shared.clock.timezone();
    let mut state = lock(&shared.oz);
    let key = (account.user_name.clone(), f["agentId"].to_string());
    let Some(agent) = state.agents.get(&key) else {
        // Wording not public.
        return error("Invalid agentId");
    };
    let target = if pause { "Pause" } else { "Ready" };
    match &agent.state {
        AgentState::LoggedOut => return error("Agent is not Logged In"),
        s @ (AgentState::Acw { .. } | AgentState::Busy { .. }) => {
            // This refusal spells the field with a capital M, as Ozonetel's does.
            let text = format!(
                "Agent {} is in {} state. You cant change to {target} state",
                agent.agent_id,
                s.wire()
            );
            return axum::Json(json!({"status": "error", "Message": text})).into_response();
        }
        _ => {}
    }
    let reason = f["pauseReason"];
    if pause && !reason.is_empty() && !account.pause_reasons.iter().any(|r| r == reason) {
        return error("pauseReason is Invalid");
    }
    let mode = agent.mode;
    let agent_id = agent.agent_id.clone();
    let new = if pause {
        AgentState::Pause {
            reason: reason.to_string(),
        }
    } else {
        AgentState::Ready
    };
    let wire_status = new.wire();
    desk::set_agent_state(&mut state, &account.user_name, &agent_id, new, now, tz);
    state.next_seq += 1;
    let inner = json!({
        "type": "response",
        "utid": state.next_seq.to_string(),
        "resp": format!("Success:tbAgent{target}~{}", mode.wire()),
        "agentStatus": wire_status,
        "agentId": agent_id,
        "user": account.user_name,
    });
    // The documented success carries the result as JSON text in `message`.
    status("success", &inner.to_string())
}

/// A campaign's DID: the digits after its last `_` (`Inbound_918041763265`), else "".
fn campaign_did(campaign: &str) -> String {
    campaign
        .rsplit_once('_')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("")
        .to_string()
}

/// What a dial puts into the registry.
struct Dial<'a> {
    account: &'a Account,
    agent_key: (String, String),
    customer: &'a str,
    campaign: String,
    did: String,
}

/// Adds a dialled call (agent leg connected, customer ringing), queues `Calling`, makes the
/// agent BUSY, and returns its UCID.
fn place_call(state: &mut OzState, dial: Dial<'_>, shared: &Shared) -> Option<String> {
    let agent = state.agents.get(&dial.agent_key)?.clone();
    let ucid = state.next_ucid();
    let monitor_ucid = state.next_monitor_ucid();
    let now = shared.clock.now();
    let call = LiveCall {
        ucid,
        monitor_ucid,
        account: dial.account.user_name.clone(),
        customer_number: dial.customer.to_string(),
        agent_id: agent.agent_id.clone(),
        agent_name: agent.name.clone(),
        agent_number: agent.number().to_string(),
        did: dial.did,
        campaign: dial.campaign,
        skill: String::new(),
        call_type: "Manual".into(),
        answered: false,
        participants: vec![
            Participant {
                number: dial.customer.to_string(),
                role: PartyRole::Customer,
                on_hold: false,
                muted: false,
            },
            Participant {
                number: agent.number().to_string(),
                role: PartyRole::Agent,
                on_hold: false,
                muted: false,
            },
        ],
        recording_paused: false,
        started_at: now,
        answered_at: None,
        transferred_to: None,
        dial_status: None,
    };
    let ucid = ucid.to_string();
    state.calls.insert(ucid.clone(), call);
    desk::on_call_start(state, &ucid, now, shared.clock.timezone());
    Some(ucid)
}

/// The customer side of a dialled call, in the background: answer (or not) after the
/// configured delay, then end the call once `call_limit` seconds of talk have passed.
async fn progress(shared: Arc<Shared>, ucid: String, cfg: DialConfig, call_limit: Option<u64>) {
    let mut stop = shared.shutdown.clone();
    if delay(cfg.answer_after_ms, &mut stop).await.is_some() {
        return;
    }
    let now = shared.clock.now();
    let tz = shared.clock.timezone();
    {
        let mut state = lock(&shared.oz);
        // Hung up while ringing: nothing left to do.
        let Some(call) = state.calls.get_mut(&ucid).filter(|c| !c.answered) else {
            return;
        };
        match cfg.customer {
            CustomerResponse::Answer => {
                call.answered = true;
                call.answered_at = Some(now);
                let call = call.clone();
                desk::call_event(&state, &call, "Answered", now, tz);
            }
            CustomerResponse::NoAnswer | CustomerResponse::Busy => {
                let why = if cfg.customer == CustomerResponse::Busy {
                    "Busy"
                } else {
                    "NoAnswer"
                };
                call.dial_status = Some(why.into());
                let _ = end_call(&mut state, &ucid, now, "System", tz);
                return;
            }
        }
    }
    let Some(limit) = call_limit else {
        return;
    };
    if delay(limit.saturating_mul(1000), &mut stop).await.is_some() {
        return;
    }
    let now = shared.clock.now();
    let mut state = lock(&shared.oz);
    let _ = end_call(&mut state, &ucid, now, "System", tz);
}

fn fail(message: &str) -> Response {
    status("Fail", message)
}

/// `POST /ca_apis/AgentManualDial`
pub(crate) async fn agent_manual_dial(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match auth::json_request(&shared, Endpoint::AgentManualDial, &method, &headers, &body)
        .await
    {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match str_fields(
        &map,
        &[
            "userName",
            "agentID",
            "campaignName",
            "customerNumber",
            "uui",
        ],
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // `UCID: "true"` asks for the UCID back; anything else (or nothing) does not.
    let want_ucid = matches!(flag_field(&map, "UCID"), Ok(Some(true)));
    let bad_user = || false_with_data("Invalid User Details");
    let account = match auth::authenticate(&shared, &headers, Some(f["userName"]), &bad_user) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if f["agentID"].is_empty() || f["campaignName"].is_empty() || f["customerNumber"].is_empty() {
        return fail("All parameters are mandatory");
    }
    if !account.campaigns.iter().any(|c| c == f["campaignName"]) {
        return status("fails", "Campaign is invalid");
    }
    if !valid_customer(f["customerNumber"]) {
        // Wording not public.
        return fail("Invalid customerNumber");
    }
    let cfg;
    let ucid = {
        let mut state = lock(&shared.oz);
        cfg = state.dial;
        let key = (account.user_name.clone(), f["agentID"].to_string());
        // Unknown, logged out, not Ready, or inbound-only: all one answer, as at Ozonetel.
        let available = state
            .agents
            .get(&key)
            .is_some_and(|a| a.state == AgentState::Ready && a.mode != AgentMode::Inbound);
        if !available {
            return fail("Agent is not available");
        }
        let dial = Dial {
            account: &account,
            agent_key: key,
            customer: f["customerNumber"],
            campaign: f["campaignName"].to_string(),
            did: campaign_did(f["campaignName"]),
        };
        match place_call(&mut state, dial, &shared) {
            Some(u) => u,
            None => return fail("Agent is not available"),
        }
    };
    tokio::spawn(progress(shared.clone(), ucid.clone(), cfg, None));
    if want_ucid {
        axum::Json(json!({"ucid": ucid, "status": "queued successfully"})).into_response()
    } else {
        axum::Json(json!({"status": "queued successfully"})).into_response()
    }
}

fn valid_customer(n: &str) -> bool {
    let digits = n.chars().filter(char::is_ascii_digit).count();
    (10..=15).contains(&digits)
        && n.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
}

/// `POST /ca_apis/PhoneManualDial`
pub(crate) async fn phone_manual_dial(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match auth::json_request(&shared, Endpoint::PhoneManualDial, &method, &headers, &body)
        .await
    {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match str_fields(
        &map,
        &[
            "userName",
            "custNumber",
            "phoneName",
            "did",
            "campaignName",
            "uui",
        ],
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(check_status) = flag_field(&map, "checkStatus") else {
        return invalid_json();
    };
    let call_limit = match map.get("callLimit") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Some(n),
            None => return fail("callLimit should be numeric"),
        },
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => match s.trim().parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return fail("callLimit should be numeric"),
        },
        Some(_) => return fail("callLimit should be numeric"),
    };
    let bad_user = || false_with_data("Invalid User Details");
    let account = match auth::authenticate(&shared, &headers, Some(f["userName"]), &bad_user) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if f["custNumber"].is_empty() || f["phoneName"].is_empty() || f["did"].is_empty() {
        return fail("All parameters are mandatory");
    }
    let campaign = f["campaignName"];
    if !campaign.is_empty() && !account.campaigns.iter().any(|c| c == campaign) {
        return status("fails", "Campaign is invalid");
    }
    if !valid_customer(f["custNumber"]) {
        return fail("Invalid custNumber");
    }
    let cfg;
    let ucid = {
        let mut state = lock(&shared.oz);
        cfg = state.dial;
        let Some(agent) = state
            .agents
            .values()
            .find(|a| a.account == account.user_name && a.phone_name == f["phoneName"])
        else {
            // Wording not public.
            return fail("Invalid phoneName");
        };
        if check_status == Some(true)
            && matches!(
                agent.state,
                AgentState::Busy { .. } | AgentState::Acw { .. }
            )
        {
            // Wording not public.
            return fail("Agent is busy");
        }
        let key = (agent.account.clone(), agent.agent_id.clone());
        let campaign = if campaign.is_empty() {
            agent.campaigns.first().cloned().unwrap_or_default()
        } else {
            campaign.to_string()
        };
        let dial = Dial {
            account: &account,
            agent_key: key,
            customer: f["custNumber"],
            campaign,
            did: f["did"].to_string(),
        };
        match place_call(&mut state, dial, &shared) {
            Some(u) => u,
            None => return fail("Invalid phoneName"),
        }
    };
    tokio::spawn(progress(shared.clone(), ucid.clone(), cfg, call_limit));
    axum::Json(json!({"message": ucid, "status": "queued"})).into_response()
}
