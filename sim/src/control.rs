//! The control API under `/sim/…`: the handle's inspection and steering, over HTTP (JSON), so
//! Node and C tests can drive the simulator as Rust tests do.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::deepgram::{BUILTIN_SCRIPTS, Script};
use crate::error::SimError;
use crate::faults::{Endpoint, Fault, Times, lock};
use crate::ozonetel::{
    Account, Agent, DialConfig, NewCall, PastCall, auth, calls, live, reports, wire,
};
use crate::shared::Shared;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sim/health", get(health))
        .route("/sim/accounts", get(list_accounts).post(add_account))
        .route("/sim/calls", get(list_calls).post(seed_call))
        .route("/sim/calls/{ucid}", get(get_call))
        .route("/sim/calls/{ucid}/end", post(end_call))
        .route("/sim/history", post(seed_history))
        .route("/sim/cdr/{user}", get(cdr))
        .route("/sim/abandoned/{user}", get(abandoned))
        .route("/sim/tokens/{user}", get(tokens))
        .route("/sim/agents", get(list_agents).post(add_agent))
        .route("/sim/agents/{user}/{agent_id}", get(get_agent))
        .route("/sim/dial", get(get_dial).post(set_dial))
        .route("/sim/events/deliveries", get(deliveries))
        .route(
            "/sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/sim/clock", get(get_clock))
        .route("/sim/clock/advance", post(advance_clock))
        .route("/sim/clock/set", post(set_clock))
        .route("/sim/requests", get(requests).delete(clear_requests))
        .route("/sim/openai/requests", get(openai_requests))
        .route("/sim/deepgram/sessions", get(deepgram_sessions))
        .route("/sim/deepgram/scripts/{name}", put(put_script))
        .route("/sim/deepgram/script", put(put_default_script))
        .route("/sim/deepgram/config", post(deepgram_config))
        .route("/sim/deepgram/drop", post(deepgram_drop))
}

fn err(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, axum::Json(json!({"error": message.to_string()}))).into_response()
}

fn sim_err(e: SimError) -> Response {
    let status = match e {
        SimError::UnknownCall(_) => StatusCode::NOT_FOUND,
        SimError::DuplicateUcid(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    err(status, e)
}

/// Parses a JSON body; an empty body counts as `{}`.
#[allow(clippy::result_large_err)]
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    let raw: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(raw).map_err(|e| err(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")))
}

fn ok<T: serde::Serialize>(v: T) -> Response {
    axum::Json(v).into_response()
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    ok(json!({
        "ok": true,
        "ozonetel": format!("http://{}", s.addr),
        "events": format!("http://{}", s.addr),
        "deepgram": format!("ws://{}", s.addr),
        "openai": format!("http://{}/v1", s.addr),
    }))
}

async fn list_accounts(State(s): State<Arc<Shared>>) -> Response {
    let mut accounts: Vec<Account> = lock(&s.oz).accounts.values().cloned().collect();
    accounts.sort_by(|a, b| a.user_name.cmp(&b.user_name));
    ok(accounts)
}

async fn add_account(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let account: Account = match parse(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if account.user_name.is_empty() {
        return err(StatusCode::BAD_REQUEST, "userName must not be empty");
    }
    lock(&s.oz)
        .accounts
        .insert(account.user_name.clone(), account.clone());
    (StatusCode::CREATED, axum::Json(account)).into_response()
}

async fn list_calls(State(s): State<Arc<Shared>>) -> Response {
    let tz = s.clock.timezone();
    let calls: Vec<_> = lock(&s.oz)
        .calls
        .values()
        .map(|c| live::snapshot(c, tz, None))
        .collect();
    ok(calls)
}

async fn seed_call(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let new: NewCall = match parse(&body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let now = s.clock.now();
    let tz = s.clock.timezone();
    let result = calls::seed_call(&mut lock(&s.oz), &s.default_account, now, tz, new);
    match result {
        Ok(snap) => (StatusCode::CREATED, axum::Json(snap)).into_response(),
        Err(e) => sim_err(e),
    }
}

async fn get_call(State(s): State<Arc<Shared>>, Path(ucid): Path<String>) -> Response {
    let tz = s.clock.timezone();
    let state = lock(&s.oz);
    let snap = state
        .calls
        .get(&ucid)
        .map(|c| live::snapshot(c, tz, None))
        .or_else(|| state.ended_calls.get(&ucid).cloned());
    match snap {
        Some(c) => ok(c),
        None => err(StatusCode::NOT_FOUND, format!("no call with ucid '{ucid}'")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EndCall {
    /// Local time `YYYY-MM-DD HH:MM:SS`; now when absent.
    at: Option<String>,
    hangup_by: Option<String>,
}

async fn end_call(State(s): State<Arc<Shared>>, Path(ucid): Path<String>, body: Bytes) -> Response {
    let req: EndCall = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let at = match req.at.as_deref() {
        None => s.clock.now(),
        Some(t) => {
            match NaiveDateTime::parse_from_str(&t.replace('T', " "), wire::DATE_TIME_FORMAT) {
                Ok(local) => s.clock.local_to_utc(local),
                Err(_) => return err(StatusCode::BAD_REQUEST, "at must be YYYY-MM-DD HH:MM:SS"),
            }
        }
    };
    let tz = s.clock.timezone();
    let mut state = lock(&s.oz);
    let hangup = req.hangup_by.unwrap_or_else(|| {
        if state.calls.get(&ucid).is_some_and(|c| c.answered) {
            "CustomerHangup".into()
        } else {
            "System".into()
        }
    });
    match calls::end_call(&mut state, &ucid, at, &hangup, tz) {
        Ok(snap) => ok(snap),
        Err(e) => sim_err(e),
    }
}

async fn seed_history(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    // One call or a list of calls.
    let value: Value = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let items = match value {
        Value::Array(a) => a,
        other => vec![other],
    };
    let now = s.clock.now_naive_local();
    let mut ucids = Vec::new();
    for item in items {
        let past: PastCall = match serde_json::from_value(item) {
            Ok(p) => p,
            Err(e) => return err(StatusCode::BAD_REQUEST, format!("bad call: {e}")),
        };
        match reports::seed_history(&mut lock(&s.oz), &s.default_account, now, past) {
            Ok(u) => ucids.push(u),
            Err(e) => return sim_err(e),
        }
    }
    (StatusCode::CREATED, axum::Json(json!({"ucids": ucids}))).into_response()
}

async fn cdr(State(s): State<Arc<Shared>>, Path(user): Path<String>) -> Response {
    let rows: Vec<Value> = lock(&s.oz)
        .history
        .iter()
        .filter(|h| h.account == user)
        .map(|h| h.cdr_record())
        .collect();
    ok(json!({"details": rows}))
}

async fn abandoned(State(s): State<Arc<Shared>>, Path(user): Path<String>) -> Response {
    let rows: Vec<Value> = lock(&s.oz)
        .history
        .iter()
        .filter(|h| h.account == user && !h.answered)
        .map(|h| h.abandoned_item())
        .collect();
    ok(json!({"message": rows}))
}

async fn tokens(State(s): State<Arc<Shared>>, Path(user): Path<String>) -> Response {
    let now = s.clock.now();
    ok(auth::token_info(&mut lock(&s.oz), &user, now))
}

async fn list_agents(State(s): State<Arc<Shared>>) -> Response {
    let agents: Vec<_> = lock(&s.oz).agents.values().map(|a| a.snapshot()).collect();
    ok(agents)
}

async fn add_agent(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let agent: Agent = match parse(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match lock(&s.oz).add_agent(agent, &s.default_account) {
        Ok(snap) => (StatusCode::CREATED, axum::Json(snap)).into_response(),
        Err(e) => sim_err(e),
    }
}

async fn get_agent(
    State(s): State<Arc<Shared>>,
    Path((user, agent_id)): Path<(String, String)>,
) -> Response {
    let snap = lock(&s.oz)
        .agents
        .get(&(user, agent_id.clone()))
        .map(|a| a.snapshot());
    match snap {
        Some(a) => ok(a),
        None => err(StatusCode::NOT_FOUND, format!("no agent '{agent_id}'")),
    }
}

async fn get_dial(State(s): State<Arc<Shared>>) -> Response {
    ok(lock(&s.oz).dial)
}

async fn set_dial(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    // Omitted fields keep their current values.
    let mut state = lock(&s.oz);
    let mut current = match serde_json::to_value(state.dial) {
        Ok(v) => v,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let patch: Value = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (Value::Object(cur), Value::Object(p)) = (&mut current, patch) else {
        return err(StatusCode::BAD_REQUEST, "body must be a JSON object");
    };
    cur.extend(p);
    match serde_json::from_value::<DialConfig>(current) {
        Ok(cfg) => {
            state.dial = cfg;
            ok(cfg)
        }
        Err(e) => err(StatusCode::BAD_REQUEST, format!("bad dial config: {e}")),
    }
}

async fn deliveries(State(s): State<Arc<Shared>>) -> Response {
    ok(lock(&s.deliveries).clone())
}

#[derive(Deserialize)]
struct AddFault {
    endpoint: Endpoint,
    fault: Fault,
    /// `"once"` (default), `"always"`, a number, or `{"n": k}`.
    #[serde(default)]
    times: Option<Value>,
}

fn parse_times(v: Option<Value>) -> Result<Times, String> {
    match v {
        None | Some(Value::Null) => Ok(Times::Once),
        Some(Value::String(s)) if s == "once" => Ok(Times::Once),
        Some(Value::String(s)) if s == "always" => Ok(Times::Always),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Times::N)
            .ok_or_else(|| "times must be a non-negative integer".to_string()),
        Some(other) => serde_json::from_value(other)
            .map_err(|_| "times must be \"once\", \"always\" or a number".to_string()),
    }
}

async fn add_fault(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: AddFault = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let times = match parse_times(req.times) {
        Ok(t) => t,
        Err(e) => return err(StatusCode::BAD_REQUEST, e),
    };
    s.faults.arm(req.endpoint, req.fault, times);
    (StatusCode::CREATED, axum::Json(s.faults.list())).into_response()
}

async fn list_faults(State(s): State<Arc<Shared>>) -> Response {
    ok(s.faults.list())
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> Response {
    s.faults.clear();
    ok(json!({"cleared": true}))
}

fn clock_json(s: &Shared) -> Value {
    json!({
        "now_utc": s.clock.now().to_rfc3339(),
        "now_local": s.clock.now_naive_local().format(wire::DATE_TIME_FORMAT).to_string(),
        "timezone": s.clock.timezone().to_string(),
    })
}

async fn get_clock(State(s): State<Arc<Shared>>) -> Response {
    ok(clock_json(&s))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Advance {
    ms: Option<u64>,
    secs: Option<u64>,
}

async fn advance_clock(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: Advance = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let by = Duration::from_millis(req.ms.unwrap_or(0))
        .saturating_add(Duration::from_secs(req.secs.unwrap_or(0)));
    s.clock.advance(by);
    ok(clock_json(&s))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetClock {
    /// Local wall time `YYYY-MM-DD HH:MM:SS` in the accounts' timezone.
    now_local: Option<String>,
    /// RFC 3339 instant.
    now_utc: Option<String>,
    frozen: Option<bool>,
}

async fn set_clock(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: SetClock = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(local) = req.now_local {
        match NaiveDateTime::parse_from_str(&local.replace('T', " "), wire::DATE_TIME_FORMAT) {
            Ok(t) => s.clock.set_now_local(t),
            Err(_) => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "now_local must be YYYY-MM-DD HH:MM:SS",
                );
            }
        }
    }
    if let Some(utc) = req.now_utc {
        match DateTime::parse_from_rfc3339(&utc) {
            Ok(t) => s.clock.set_now(t.with_timezone(&Utc)),
            Err(_) => return err(StatusCode::BAD_REQUEST, "now_utc must be RFC 3339"),
        }
    }
    if let Some(f) = req.frozen {
        s.clock.set_frozen(f);
    }
    ok(clock_json(&s))
}

async fn requests(State(s): State<Arc<Shared>>) -> Response {
    ok(lock(&s.oz).requests.clone())
}

async fn clear_requests(State(s): State<Arc<Shared>>) -> Response {
    lock(&s.oz).requests.clear();
    lock(&s.openai).clear();
    lock(&s.dg).sessions.clear();
    lock(&s.deliveries).clear();
    ok(json!({"cleared": true}))
}

async fn openai_requests(State(s): State<Arc<Shared>>) -> Response {
    ok(lock(&s.openai).clone())
}

async fn deepgram_sessions(State(s): State<Arc<Shared>>) -> Response {
    ok(lock(&s.dg).sessions.clone())
}

/// A script body: a [`Script`] (`{"turns":[…]}`, validated) or a ready-made one by name,
/// `{"builtin":"hinglish"}` (see [`BUILTIN_SCRIPTS`]).
#[allow(clippy::result_large_err)]
fn script_body(body: &Bytes) -> Result<Script, Response> {
    let value: Value = parse(body)?;
    if let Some(name) = value.get("builtin") {
        let name = name.as_str().unwrap_or_default();
        return Script::builtin(name).ok_or_else(|| {
            err(
                StatusCode::BAD_REQUEST,
                format!("builtin must be one of {}", BUILTIN_SCRIPTS.join(", ")),
            )
        });
    }
    let script: Script = serde_json::from_value(value)
        .map_err(|e| err(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")))?;
    script
        .validate()
        .map_err(|why| err(StatusCode::BAD_REQUEST, why))?;
    Ok(script)
}

async fn put_script(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let script = match script_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    lock(&s.dg).scripts.insert(name.clone(), script);
    (StatusCode::CREATED, axum::Json(json!({"name": name}))).into_response()
}

async fn put_default_script(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let script = match script_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    lock(&s.dg).default_script = script;
    ok(json!({"default": true}))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeepgramConfig {
    idle_timeout_ms: Option<u64>,
}

async fn deepgram_config(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: DeepgramConfig = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut dg = lock(&s.dg);
    if let Some(ms) = req.idle_timeout_ms {
        dg.idle_timeout = Duration::from_millis(ms);
    }
    ok(json!({"idle_timeout_ms": u64::try_from(dg.idle_timeout.as_millis()).unwrap_or(u64::MAX)}))
}

/// Drops every open Deepgram socket (see `Simulator::drop_deepgram_connections`).
async fn deepgram_drop(State(s): State<Arc<Shared>>) -> Response {
    ok(json!({"dropped": lock(&s.dg).drop_open()}))
}
