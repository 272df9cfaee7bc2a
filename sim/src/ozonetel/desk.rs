//! The agent desk's transitions: agent states as calls start and end, dispositions applied to
//! the history, and the call and agent events each change queues for its subscribers.
//!
//! Everything here runs under the one Ozonetel lock and only queues events (see `webhook.rs`),
//! so a handler never waits on a subscriber.
//!
//! Call events carry the reference's fields (`eventType` "Call", `username`, `action`
//! Calling|Answered|Disconnect, `call_type`, `ucid`, `monitor_ucid`, `agent_id`, `skill`,
//! `caller_id`, `did`, `agent_number`, `event_time`, plus `eventTime` at each POST). `ucid` is
//! the call's UCID: the one AgentManualDial answers, CallControl_V4 takes and the CDR record's
//! `UCID` holds. `monitor_ucid` is the monitor id (the CDR filter `monitorUCID`, abandonCalls'
//! `monitorUCID`); it differs from `ucid` for dialled calls, so joining it to the CDR's `UCID`
//! finds nothing, as it does at Ozonetel.
//!
//! Agent events are not described by the reference; the simulator sends `eventType` "Agent",
//! `username`, `agent_id`, `agent_name`, `action` (Login|Ready|Pause|Busy|ACW|Logout),
//! `agent_state` (READY|PAUSED|BUSY|ACW|LOGGEDOUT), `pause_reason`, `phone_name`,
//! `agent_number`, `ucid` (the call, for Busy and ACW, else ""), `event_time`, `eventTime`.

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value};

use super::agent::AgentState;
use super::live::LiveCall;
use super::state::OzState;
use super::webhook::{EventKind, Outgoing};
use super::wire::DATE_TIME_FORMAT;

fn local(t: DateTime<Utc>, tz: FixedOffset) -> String {
    t.with_timezone(&tz).format(DATE_TIME_FORMAT).to_string()
}

fn emit(state: &OzState, account: &str, kind: EventKind, body: Map<String, Value>) {
    let Some(sub) = state.subscriptions.get(account) else {
        return;
    };
    let url = match kind {
        EventKind::Call => sub.call_url.clone(),
        EventKind::Agent => sub.agent_url.clone(),
    };
    if let (Some(url), Some(tx)) = (url, state.events.as_ref()) {
        let _ = tx.send(Outgoing { kind, url, body });
    }
}

/// Queues a call event (`Calling`, `Answered`, `Disconnect`).
pub(crate) fn call_event(
    state: &OzState,
    call: &LiveCall,
    action: &str,
    at: DateTime<Utc>,
    tz: FixedOffset,
) {
    let mut b = Map::new();
    let mut put = |k: &str, v: String| {
        b.insert(k.into(), Value::from(v));
    };
    put("eventType", "Call".into());
    put("username", call.account.clone());
    put("action", action.into());
    put("call_type", call.call_type.clone());
    put("ucid", call.ucid.to_string());
    put("monitor_ucid", call.monitor_ucid.to_string());
    put("agent_id", call.agent_id.clone());
    put("skill", call.skill.clone());
    put("caller_id", call.customer_number.clone());
    put("did", call.did.clone());
    put("agent_number", call.agent_number.clone());
    put("event_time", local(at, tz));
    emit(state, &call.account, EventKind::Call, b);
}

/// Moves an agent to `new` and queues the agent event. Unknown agents are ignored.
pub(crate) fn set_agent_state(
    state: &mut OzState,
    account: &str,
    agent_id: &str,
    new: AgentState,
    at: DateTime<Utc>,
    tz: FixedOffset,
) {
    let key = (account.to_string(), agent_id.to_string());
    let Some(agent) = state.agents.get_mut(&key) else {
        return;
    };
    let was_out = agent.state == AgentState::LoggedOut;
    agent.state = new.clone();
    if new == AgentState::LoggedOut {
        agent.login_number = None;
    }
    let action = match &new {
        AgentState::Ready if was_out => "Login",
        AgentState::Ready => "Ready",
        AgentState::Pause { .. } => "Pause",
        AgentState::Busy { .. } => "Busy",
        AgentState::Acw { .. } => "ACW",
        AgentState::LoggedOut => "Logout",
    };
    let (reason, ucid) = match &new {
        AgentState::Pause { reason } => (reason.clone(), String::new()),
        AgentState::Busy { ucid } | AgentState::Acw { ucid } => (String::new(), ucid.clone()),
        _ => (String::new(), String::new()),
    };
    let mut b = Map::new();
    let mut put = |k: &str, v: String| {
        b.insert(k.into(), Value::from(v));
    };
    put("eventType", "Agent".into());
    put("username", agent.account.clone());
    put("agent_id", agent.agent_id.clone());
    put("agent_name", agent.name.clone());
    put("action", action.into());
    put("agent_state", new.wire().into());
    put("pause_reason", reason);
    put("phone_name", agent.phone_name.clone());
    put("agent_number", agent.number().to_string());
    put("ucid", ucid);
    put("event_time", local(at, tz));
    emit(state, account, EventKind::Agent, b);
}

/// A call has started: `Calling` (and `Answered` for a seeded answered call); its agent, when
/// logged in, is BUSY.
pub(crate) fn on_call_start(state: &mut OzState, ucid: &str, at: DateTime<Utc>, tz: FixedOffset) {
    let Some(call) = state.calls.get(ucid).cloned() else {
        return;
    };
    let key = (call.account.clone(), call.agent_id.clone());
    if state.agents.get(&key).is_some_and(|a| a.logged_in()) {
        let busy = AgentState::Busy {
            ucid: ucid.to_string(),
        };
        set_agent_state(state, &call.account, &call.agent_id, busy, at, tz);
    }
    call_event(state, &call, "Calling", at, tz);
    if call.answered {
        call_event(state, &call, "Answered", at, tz);
    }
}

/// A call has ended (already in the history): `Disconnect`; its BUSY agent goes to ACW, or
/// straight to Ready / Pause when a disposition was queued during the call.
pub(crate) fn on_call_end(
    state: &mut OzState,
    call: &LiveCall,
    at: DateTime<Utc>,
    tz: FixedOffset,
) {
    call_event(state, call, "Disconnect", at, tz);
    let ucid = call.ucid.to_string();
    let key = (call.account.clone(), call.agent_id.clone());
    let busy_here = state
        .agents
        .get(&key)
        .is_some_and(|a| a.state == AgentState::Busy { ucid: ucid.clone() });
    let queued = state.dispositions.get(&ucid).filter(|d| d.queued).cloned();
    if let Some(d) = &queued {
        apply_disposition(state, &ucid, &d.disposition, &d.comments);
    }
    if !busy_here {
        return;
    }
    let next = match queued {
        Some(d) => after_disposition(d.pause_after),
        None => AgentState::Acw { ucid },
    };
    set_agent_state(state, &call.account, &call.agent_id, next, at, tz);
}

/// Where an agent goes once a call is disposed.
pub(crate) fn after_disposition(pause_after: Option<String>) -> AgentState {
    match pause_after {
        Some(reason) => AgentState::Pause { reason },
        None => AgentState::Ready,
    }
}

/// Writes a disposition into the call's history entry.
pub(crate) fn apply_disposition(
    state: &mut OzState,
    ucid: &str,
    disposition: &str,
    comments: &str,
) {
    if let Some(h) = state
        .history
        .iter_mut()
        .find(|h| h.ucid.to_string() == ucid)
    {
        h.disposition = disposition.to_string();
        h.comments = comments.to_string();
    }
}
