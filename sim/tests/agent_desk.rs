//! The agent desk's rules over real HTTP: login/logout, agent states, manual dials, call
//! events POSTed to a receiver, dispositions, event subscriptions and the paginated CDR.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use common::*;
use helix_engage_sim::{
    AgentState, CustomerResponse, DialConfig, EventKind, NewCall, PastCall, Simulator,
};
use serde_json::{Value, json};

const NOW: &str = "2025-09-10 15:00:00";
const KEY: &str = "sim-api-key";

// ---------------------------------------------------------------- helpers

/// Events received, as (path kind, body).
type Got = Arc<Mutex<Vec<(String, Value)>>>;

/// A tiny webhook receiver on 127.0.0.1: every POST to `/{kind}` is kept as (kind, body).
struct Receiver {
    base: String,
    got: Got,
}

impl Receiver {
    async fn start() -> Receiver {
        let got: Got = Arc::default();
        let app = axum::Router::new()
            .route(
                "/{kind}",
                axum::routing::post(
                    |State(got): State<Got>,
                     Path(kind): Path<String>,
                     axum::Json(body): axum::Json<Value>| async move {
                        got.lock().expect("lock").push((kind, body));
                        "ok"
                    },
                ),
            )
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, got }
    }

    fn of(&self, kind: &str) -> Vec<Value> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Waits (bounded) until `n` events of `kind` have arrived.
    async fn wait_for(&self, kind: &str, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let got = self.of(kind);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} {kind} events, got {:?}", self.of(kind));
    }
}

async fn sim() -> Simulator {
    let sim = sim_at(NOW).await;
    // Dialled customers answer quickly in tests.
    sim.set_dial_config(DialConfig {
        answer_after_ms: 30,
        customer: CustomerResponse::Answer,
    });
    sim
}

async fn auth_v2(sim: &Simulator, id: &str, pw: &str, form: &[(&str, &str)]) -> Value {
    client()
        .post(format!(
            "{}/CAServices/AgentAuthenticationV2/index.php",
            sim.ozonetel_url()
        ))
        .basic_auth(id, Some(pw))
        .form(form)
        .reply()
        .await
}

async fn login(sim: &Simulator, id: &str, pw: &str, phone: &str) -> Value {
    let form = [
        ("userName", "acme"),
        ("apiKey", KEY),
        ("phoneNumber", phone),
        ("action", "login"),
    ];
    auth_v2(sim, id, pw, &form).await
}

async fn logout(sim: &Simulator, id: &str, pw: &str) -> Value {
    let form = [("userName", "acme"), ("apiKey", KEY), ("action", "Logout")];
    auth_v2(sim, id, pw, &form).await
}

async fn post(sim: &Simulator, path: &str, token: &str, body: Value) -> Value {
    client()
        .post(format!("{}{path}", sim.ozonetel_url()))
        .bearer_auth(token)
        .json(&body)
        .reply()
        .await
}

async fn change_state(sim: &Simulator, t: &str, agent: &str, state: &str, reason: &str) -> Value {
    let body = json!({"userName": "acme", "agentId": agent, "state": state,
                      "pauseReason": reason, "phoneName": "523590"});
    post(sim, "/ca_apis/changeAgentState", t, body).await
}

async fn dial(sim: &Simulator, t: &str, agent: &str, number: &str) -> Value {
    let body = json!({"userName": "acme", "agentID": agent,
                      "campaignName": "Outbound_918041763265",
                      "customerNumber": number, "UCID": "true"});
    post(sim, "/ca_apis/AgentManualDial", t, body).await
}

fn dispose_body(agent: &str, ucid: &str, disposition: &str) -> Value {
    json!({"action": "Set", "userName": "acme", "agentID": agent, "did": "918041763265",
           "ucid": ucid, "disposition": disposition, "comments": "booked for Friday",
           "autoRelease": "true"})
}

async fn dispose(sim: &Simulator, t: &str, body: Value) -> Value {
    post(sim, "/ca_apis/DispositionAPIV2", t, body).await
}

async fn subscribe(sim: &Simulator, r: &Receiver) -> reqwest::Response {
    client()
        .post(format!("{}/events/subscribe", sim.events_url()))
        .header("api_key", KEY)
        .header("username", "acme")
        .json(&json!({"callEventsURL": format!("{}/call", r.base),
                      "agentEventsURL": format!("{}/agent", r.base)}))
        .sent()
        .await
}

fn state_of(sim: &Simulator, agent: &str) -> AgentState {
    sim.agent("acme", agent).expect("agent").state
}

/// Waits (bounded) until the live call has been answered.
async fn answered(sim: &Simulator, ucid: &str) {
    for _ in 0..200 {
        if sim.call(ucid).is_some_and(|c| c.answered) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("call {ucid} was never answered");
}

/// Waits (bounded) until the call has ended.
async fn ended(sim: &Simulator, ucid: &str) {
    for _ in 0..200 {
        if sim.call(ucid).is_some_and(|c| !c.live) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("call {ucid} never ended");
}

// ---------------------------------------------------------------- the whole desk

#[tokio::test]
async fn a_dialled_call_runs_from_login_to_logout_with_events_in_order() {
    let sim = sim().await;
    let rx = Receiver::start().await;
    let sub = subscribe(&sim, &rx).await;
    assert_eq!(sub.status(), 200);
    assert_eq!(
        sub.text().await.expect("text"),
        "Subscription added successfully for User: acme"
    );
    let t = token(&sim).await;

    let v = login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    assert_eq!(
        v,
        json!({"status": "success", "message": "Agent agent1 logged in successfully"})
    );
    assert_eq!(state_of(&sim, "agent1"), AgentState::Ready);

    let v = dial(&sim, &t, "agent1", "9876543210").await;
    assert_eq!(v["status"], "queued successfully");
    let ucid = v["ucid"].as_str().expect("ucid").to_string();
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Busy { ucid: ucid.clone() }
    );
    answered(&sim, &ucid).await;

    // The dialled call is a live call like any other: call control works on it.
    let hold = call_control(&sim, &t, cc("HOLD", &ucid, "")).await;
    assert_eq!(hold["status"], "Success");
    let snap = sim.call(&ucid).expect("call");
    assert_eq!(snap.agent_number, "9123456780");
    assert!(snap.participants[0].on_hold);
    let kick = call_control(&sim, &t, cc("KICK_CALL", &ucid, "09876543210")).await;
    assert_eq!(kick["message"], "call got disconnected");
    assert!(!sim.call(&ucid).expect("call").live);
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Acw { ucid: ucid.clone() }
    );

    // Call events: Calling, Answered, Disconnect, in order, with the reference's fields.
    let calls = rx.wait_for("call", 3).await;
    let actions: Vec<&str> = calls
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["Calling", "Answered", "Disconnect"]);
    let e = &calls[0];
    for field in [
        "eventType",
        "eventTime",
        "username",
        "action",
        "call_type",
        "ucid",
        "monitor_ucid",
        "agent_id",
        "skill",
        "caller_id",
        "did",
        "agent_number",
        "event_time",
    ] {
        assert!(e.get(field).is_some(), "missing {field} in {e}");
    }
    assert_eq!(e["eventType"], "Call");
    assert_eq!(e["username"], "acme");
    assert_eq!(e["call_type"], "Manual");
    assert_eq!(e["agent_id"], "agent1");
    assert_eq!(e["caller_id"], "9876543210");
    assert_eq!(e["event_time"], NOW);
    // `ucid` is the CDR record's UCID; `monitor_ucid` is another id.
    assert_eq!(e["ucid"], ucid.as_str());
    assert_ne!(e["monitor_ucid"], e["ucid"]);
    let cdr = sim.cdr_records("acme");
    assert_eq!(cdr.len(), 1);
    assert_eq!(cdr[0]["UCID"].to_string(), ucid);

    // ACW refuses state changes; the refusal spells `Message` with a capital M.
    let refused = change_state(&sim, &t, "agent1", "Pause", "Break").await;
    assert_eq!(
        refused,
        json!({"status": "error",
               "Message": "Agent agent1 is in ACW state. You cant change to Pause state"})
    );

    let saved = dispose(
        &sim,
        &t,
        dispose_body("agent1", &ucid, "Appointment Booked"),
    )
    .await;
    assert_eq!(
        saved,
        json!({"details": "Disposition saved successfully", "status": "Success"})
    );
    assert_eq!(state_of(&sim, "agent1"), AgentState::Ready);
    let cdr = sim.cdr_records("acme");
    assert_eq!(cdr[0]["Disposition"], "Appointment Booked");
    assert_eq!(cdr[0]["Comments"], "booked for Friday");
    let twice = dispose(
        &sim,
        &t,
        dispose_body("agent1", &ucid, "Appointment Booked"),
    )
    .await;
    assert_eq!(
        twice,
        json!({"details": "This call is already Disposed.", "status": "Fail"})
    );

    let out = logout(&sim, "agent1", "sim-agent1-pass").await;
    assert_eq!(
        out,
        json!({"status": "success", "message": "Agent agent1 logged out successfully"})
    );
    assert_eq!(state_of(&sim, "agent1"), AgentState::LoggedOut);

    // Agent events followed each change.
    let agent = rx.wait_for("agent", 5).await;
    let actions: Vec<&str> = agent
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["Login", "Busy", "ACW", "Ready", "Logout"]);
    assert_eq!(agent[1]["agent_state"], "BUSY");
    assert_eq!(agent[1]["ucid"], ucid.as_str());
    assert_eq!(agent[0]["eventType"], "Agent");
    assert!(
        sim.event_deliveries()
            .iter()
            .all(|d| d.delivered && d.attempts == 1)
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- login / logout

#[tokio::test]
async fn login_refuses_bad_credentials_twice_and_a_taken_number() {
    let sim = sim().await;
    let wrong_pw = login(&sim, "agent1", "nope", "9123456780").await;
    assert_eq!(
        wrong_pw,
        json!({"status": "error", "message": "Invalid Authentication"})
    );
    let unknown = login(&sim, "ghost", "sim-agent1-pass", "9123456780").await;
    assert_eq!(unknown["message"], "Invalid Authentication");
    let bad_key = auth_v2(
        &sim,
        "agent1",
        "sim-agent1-pass",
        &[
            ("userName", "acme"),
            ("apiKey", "x"),
            ("phoneNumber", "9123456780"),
            ("action", "login"),
        ],
    )
    .await;
    assert_eq!(bad_key["message"], "Invalid userName or apiKey");
    let not_in = logout(&sim, "agent1", "sim-agent1-pass").await;
    assert_eq!(
        not_in,
        json!({"status": "error", "message": "Agent agent1 is not logged in"})
    );
    // `action` is case-insensitive.
    let upper = auth_v2(
        &sim,
        "agent1",
        "sim-agent1-pass",
        &[
            ("userName", "acme"),
            ("apiKey", KEY),
            ("phoneNumber", "+91 91234-56780"),
            ("action", "LOGIN"),
        ],
    )
    .await;
    assert_eq!(upper["status"], "success");
    let again = login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    assert_eq!(again["message"], "Agent has already logged in");
    let taken = login(&sim, "agent2", "sim-agent2-pass", "09123456780").await;
    assert_eq!(
        taken,
        json!({"status": "error", "message": "agent1 logged in with the number (+919123456780)"})
    );
    assert_eq!(state_of(&sim, "agent2"), AgentState::LoggedOut);
    // The password never comes back in any answer or the agent's snapshot.
    let snap = serde_json::to_string(&sim.agents()).expect("json");
    assert!(!snap.contains("sim-agent1-pass"));
    sim.shutdown().await;
}

// ---------------------------------------------------------------- changeAgentState

#[tokio::test]
async fn change_agent_state_answers_nested_json_and_refuses_per_state() {
    let sim = sim().await;
    let t = token(&sim).await;
    let out = change_state(&sim, &t, "agent1", "Ready", "").await;
    assert_eq!(
        out,
        json!({"status": "error", "message": "Agent is not Logged In"})
    );
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let bad = change_state(&sim, &t, "agent1", "Offline", "").await;
    assert_eq!(
        bad["message"],
        "The state should be either 'Ready' or 'Pause' state'"
    );
    let reason = change_state(&sim, &t, "agent1", "Pause", "Nap").await;
    assert_eq!(reason["message"], "pauseReason is Invalid");

    let paused = change_state(&sim, &t, "agent1", "Pause", "Lunch").await;
    assert_eq!(paused["status"], "success");
    let inner: Value =
        serde_json::from_str(paused["message"].as_str().expect("text")).expect("nested json");
    assert_eq!(inner["type"], "response");
    assert_eq!(inner["resp"], "Success:tbAgentPause~BLENDED");
    assert_eq!(inner["agentStatus"], "PAUSED");
    assert_eq!(inner["agentId"], "agent1");
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Pause {
            reason: "Lunch".into()
        }
    );

    // Dialling while paused: the agent is not available.
    let v = dial(&sim, &t, "agent1", "9876543210").await;
    assert_eq!(
        v,
        json!({"status": "Fail", "message": "Agent is not available"})
    );

    let ready = change_state(&sim, &t, "agent1", "Ready", "").await;
    let inner: Value =
        serde_json::from_str(ready["message"].as_str().expect("text")).expect("nested json");
    assert_eq!(inner["agentStatus"], "READY");
    // BUSY refuses too.
    let v = dial(&sim, &t, "agent1", "9876543210").await;
    assert_eq!(v["status"], "queued successfully");
    let busy = change_state(&sim, &t, "agent1", "Pause", "Break").await;
    assert_eq!(
        busy["Message"],
        "Agent agent1 is in BUSY state. You cant change to Pause state"
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- dials

#[tokio::test]
async fn manual_dial_checks_parameters_campaign_and_mode() {
    let sim = sim().await;
    let t = token(&sim).await;
    let missing = post(
        &sim,
        "/ca_apis/AgentManualDial",
        &t,
        json!({"userName": "acme", "agentID": "agent1", "campaignName": ""}),
    )
    .await;
    assert_eq!(
        missing,
        json!({"status": "Fail", "message": "All parameters are mandatory"})
    );
    let bad_campaign = post(
        &sim,
        "/ca_apis/AgentManualDial",
        &t,
        json!({"userName": "acme", "agentID": "agent1", "campaignName": "Nope",
               "customerNumber": "9876543210"}),
    )
    .await;
    assert_eq!(
        bad_campaign,
        json!({"status": "fails", "message": "Campaign is invalid"})
    );
    // Logged out.
    assert_eq!(
        dial(&sim, &t, "agent1", "9876543210").await["message"],
        "Agent is not available"
    );
    // Inbound-only agents cannot dial even when Ready.
    sim.add_agent(
        helix_engage_sim::Agent::new("in1", "pw", "523599", "9000000001")
            .with_mode(helix_engage_sim::AgentMode::Inbound),
    )
    .expect("agent");
    login(&sim, "in1", "pw", "9000000001").await;
    assert_eq!(
        dial(&sim, &t, "in1", "9876543210").await["message"],
        "Agent is not available"
    );
    // Without UCID:"true" the UCID is not returned.
    login(&sim, "agent2", "sim-agent2-pass", "9123456781").await;
    let v = post(
        &sim,
        "/ca_apis/AgentManualDial",
        &t,
        json!({"userName": "acme", "agentID": "agent2", "campaignName": "Outbound_918041763265",
               "customerNumber": "9876543210"}),
    )
    .await;
    assert_eq!(v, json!({"status": "queued successfully"}));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_customer_who_does_not_answer_or_is_busy_ends_the_call_unanswered() {
    let sim = sim().await;
    let t = token(&sim).await;
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    sim.set_dial_config(DialConfig {
        answer_after_ms: 20,
        customer: CustomerResponse::Busy,
    });
    let ucid = dial(&sim, &t, "agent1", "9876543210").await["ucid"]
        .as_str()
        .expect("ucid")
        .to_string();
    ended(&sim, &ucid).await;
    assert!(!sim.call(&ucid).expect("call").answered);
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Acw { ucid: ucid.clone() }
    );
    let cdr = sim.cdr_records("acme");
    assert_eq!(cdr[0]["Status"], "Unanswered");
    assert_eq!(cdr[0]["DialStatus"], "Busy");
    // The abandoned list names the call by its monitor UCID.
    let missed = sim.abandoned_calls("acme");
    let monitor = sim.call(&ucid).expect("call").monitor_ucid;
    assert_eq!(missed[0]["monitorUCID"].to_string(), monitor);
    assert_ne!(monitor, ucid);
    sim.shutdown().await;
}

#[tokio::test]
async fn phone_manual_dial_answers_the_ucid_in_message() {
    let sim = sim().await;
    let t = token(&sim).await;
    let v = post(
        &sim,
        "/ca_apis/PhoneManualDial",
        &t,
        json!({"userName": "acme", "custNumber": "9876543210", "phoneName": "523591",
               "did": "918041763265", "callLimit": "60", "checkStatus": "true"}),
    )
    .await;
    assert_eq!(v["status"], "queued");
    let ucid = v["message"].as_str().expect("ucid");
    let call = sim.call(ucid).expect("live call");
    assert_eq!(call.agent_id, "agent2");
    assert_eq!(call.agent_number, "9123456781");
    let unknown = post(
        &sim,
        "/ca_apis/PhoneManualDial",
        &t,
        json!({"userName": "acme", "custNumber": "9876543210", "phoneName": "999",
               "did": "918041763265"}),
    )
    .await;
    assert_eq!(unknown["status"], "Fail");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- dispositions

#[tokio::test]
async fn a_disposition_during_the_call_is_queued_and_skips_acw() {
    let sim = sim().await;
    let t = token(&sim).await;
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let ucid = dial(&sim, &t, "agent1", "9876543210").await["ucid"]
        .as_str()
        .expect("ucid")
        .to_string();
    answered(&sim, &ucid).await;
    let mut body = dispose_body("agent1", &ucid, "General Enquiry");
    body["pauseAfterDispose"] = json!("true");
    body["pauseReason"] = json!("Break");
    let queued = dispose(&sim, &t, body).await;
    assert_eq!(
        queued,
        json!({"status": "Success", "message": "Disposition Queued Successfully"})
    );
    let again = dispose(&sim, &t, dispose_body("agent1", &ucid, "General Enquiry")).await;
    assert_eq!(again["details"], "This call is already Disposed.");
    // A control-API hangup ends the call; the queued disposition lands in the CDR and the
    // agent pauses with the reason instead of entering ACW.
    let resp = client()
        .post(format!("{}/calls/{ucid}/end", sim.control_url()))
        .json(&json!({}))
        .sent()
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Pause {
            reason: "Break".into()
        }
    );
    assert_eq!(sim.cdr_records("acme")[0]["Disposition"], "General Enquiry");
    sim.shutdown().await;
}

#[tokio::test]
async fn disposition_errors_use_ozonetel_wording_and_get_lists_the_account_codes() {
    let sim = sim().await;
    let t = token(&sim).await;
    let ucid = sim.seed_history(PastCall::default()).expect("history");
    let long = dispose(
        &sim,
        &t,
        dispose_body("agent1", "123456789012345678901", "X"),
    )
    .await;
    assert_eq!(
        long,
        json!({"status": "Error", "details": "Unable to Dispose . Please retry after some time."})
    );
    let agent = dispose(&sim, &t, dispose_body("ghost", &ucid, "X")).await;
    assert_eq!(agent, json!({"details": "Invalid agent", "status": "Fail"}));
    let empty = dispose(&sim, &t, dispose_body("agent1", &ucid, "")).await;
    assert_eq!(empty["details"], "Empty disposition code");
    let mut no_reason = dispose_body("agent1", &ucid, "Wrong Number");
    no_reason["pauseAfterDispose"] = json!(true);
    assert_eq!(
        dispose(&sim, &t, no_reason).await["details"],
        "Provide pause reason."
    );
    let list = dispose(&sim, &t, json!({"action": "get", "userName": "acme"})).await;
    assert_eq!(list["status"], "Success");
    let codes = list["details"].as_array().expect("list");
    assert!(codes.iter().any(|c| c == "Appointment Booked"));
    // A past call can be disposed once.
    let ok = dispose(&sim, &t, dispose_body("agent1", &ucid, "Wrong Number")).await;
    assert_eq!(ok["details"], "Disposition saved successfully");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- subscriptions

#[tokio::test]
async fn subscriptions_need_the_account_key_and_can_be_listed_and_removed() {
    let sim = sim().await;
    let rx = Receiver::start().await;
    let url = format!("{}/events/subscribe", sim.events_url());
    let bad = client()
        .post(&url)
        .header("api_key", "wrong")
        .header("username", "acme")
        .json(&json!({"callEventsURL": "http://x.invalid/c"}))
        .sent()
        .await;
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.text().await.expect("text"), "Unauthorized");
    subscribe(&sim, &rx).await;
    let list: Value = client()
        .get(format!("{}/events/subscriptions/list", sim.events_url()))
        .header("api_key", KEY)
        .header("username", "acme")
        .reply()
        .await;
    assert_eq!(list["callEventsURL"], format!("{}/call", rx.base));
    let un = client()
        .post(format!("{}/events/un-subscribe", sim.events_url()))
        .header("api_key", KEY)
        .header("username", "acme")
        .json(&json!({"eventType": "call"}))
        .sent()
        .await;
    assert_eq!(
        un.text().await.expect("text"),
        "Unsubscribed to call events successfully for User: acme"
    );
    // Call events stop; agent events still flow.
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    sim.end_call(&call.ucid).expect("ended");
    let agent = rx.wait_for("agent", 3).await;
    let actions: Vec<&str> = agent
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    // An incoming (seeded) call makes the logged-in agent BUSY, its end ACW.
    assert_eq!(actions, ["Login", "Busy", "ACW"]);
    assert!(rx.of("call").is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_subscriber_is_retried_without_blocking_the_api() {
    let sim = sim().await;
    // A port nobody listens on: bind, note, drop.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let resp = client()
        .post(format!("{}/events/subscribe", sim.events_url()))
        .header("api_key", KEY)
        .header("username", "acme")
        .json(&json!({"agentEventsURL": format!("http://{dead}/agent")}))
        .sent()
        .await;
    assert_eq!(resp.status(), 200);
    let started = std::time::Instant::now();
    let v = login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    assert_eq!(v["status"], "success");
    assert!(started.elapsed() < Duration::from_secs(1));
    for _ in 0..200 {
        if !sim.event_deliveries().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let d = sim.event_deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, EventKind::Agent);
    assert!(!d[0].delivered);
    assert_eq!(d[0].attempts, 3);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- pagination

async fn paginated(sim: &Simulator, t: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .get(format!(
            "{}/ca_reports/fetchCdrByPagination",
            sim.ozonetel_url()
        ))
        .bearer_auth(t)
        .json(&body)
        .sent()
        .await;
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

#[tokio::test]
async fn fetch_cdr_by_pagination_pages_counts_and_shares_the_cdr_budget() {
    let sim = sim().await;
    let t = token(&sim).await;
    for i in 0..5u32 {
        let start = format!("2025-09-10 1{i}:00:00");
        sim.seed_history(PastCall {
            start: Some(local_time(&start)),
            answered: i != 4,
            ..PastCall::default()
        })
        .expect("history");
    }
    let window = |page: Value, size: Value| {
        json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00",
               "toDate": "2025-09-10 15:00:00", "pageNo": page, "pageSize": size})
    };
    let (status, first) = paginated(&sim, &t, window(json!(1), json!(2))).await;
    assert_eq!(status, 200);
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["pageNo"], 1);
    assert_eq!(first["pageSize"], 2);
    let rows = first["details"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    // The spellings vary within a page, as Ozonetel's do.
    assert!(rows[0].get("TransferredTo").is_some());
    assert!(rows[1].get("TransferTo").is_some() && rows[1].get("TransferredTo").is_none());
    let (_, last) = paginated(&sim, &t, window(json!("3"), json!("2"))).await;
    let rows = last["details"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Status"], "Unanswered");
    assert_eq!(rows[0]["HandlingTime"], Value::Null);
    assert_eq!(rows[0]["WrapupDuration"], Value::Null);
    // Two requests used this minute's budget, shared with fetchCDRDetails.
    let details = client()
        .get(format!("{}/ca_reports/fetchCDRDetails", sim.ozonetel_url()))
        .bearer_auth(&t)
        .json(&window(json!(1), json!(2)))
        .sent()
        .await;
    assert_eq!(details.status(), 429);
    sim.advance(Duration::from_secs(61));
    let (_, too_big) = paginated(&sim, &t, window(json!(1), json!(501))).await;
    assert_eq!(
        too_big,
        json!({"status": "fail", "message": "pageSize should be a number between 1 and 500"})
    );
    let (_, spans) = paginated(
        &sim,
        &t,
        json!({"userName": "acme", "fromDate": "2025-09-09 00:00:00",
               "toDate": "2025-09-10 15:00:00"}),
    )
    .await;
    assert_eq!(
        spans["message"],
        "fromDate and toDate should be on the same day"
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- more rules

#[tokio::test]
async fn logout_then_login_clears_a_stuck_acw() {
    let sim = sim().await;
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    sim.end_call(&call.ucid).expect("ended");
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Acw {
            ucid: call.ucid.clone()
        }
    );
    assert_eq!(
        logout(&sim, "agent1", "sim-agent1-pass").await["status"],
        "success"
    );
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    assert_eq!(state_of(&sim, "agent1"), AgentState::Ready);
    sim.shutdown().await;
}

#[tokio::test]
async fn disposition_checks_the_did_the_callback_time_and_honours_auto_release_false() {
    let sim = sim().await;
    let t = token(&sim).await;
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    sim.end_call(&call.ucid).expect("ended");
    let mut wrong_did = dispose_body("agent1", &call.ucid, "Wrong Number");
    wrong_did["did"] = json!("918000000000");
    assert_eq!(
        dispose(&sim, &t, wrong_did).await,
        json!({"details": "Invalid ucid or did", "status": "Fail"})
    );
    let mut bad_time = dispose_body("agent1", &call.ucid, "Callback Requested");
    bad_time["callBackTime"] = json!("tomorrow");
    assert_eq!(dispose(&sim, &t, bad_time).await["status"], "Fail");
    let mut keep = dispose_body("agent1", &call.ucid, "Callback Requested");
    keep["callBackTime"] = json!("2025-09-11 10:30");
    keep["autoRelease"] = json!(false);
    assert_eq!(
        dispose(&sim, &t, keep).await["details"],
        "Disposition saved successfully"
    );
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Acw {
            ucid: call.ucid.clone()
        }
    );
    let unknown = dispose(&sim, &t, dispose_body("agent1", "123", "Wrong Number")).await;
    assert_eq!(unknown["details"], "Invalid ucid or did");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_customer_who_never_answers_rings_out_through_the_control_api_setting() {
    let sim = sim().await;
    let t = token(&sim).await;
    let set: Value = client()
        .post(format!("{}/dial", sim.control_url()))
        .json(&json!({"customer": "no_answer"}))
        .reply()
        .await;
    // Omitted fields keep their values.
    assert_eq!(set, json!({"answer_after_ms": 30, "customer": "no_answer"}));
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let ucid = dial(&sim, &t, "agent1", "9876543210").await["ucid"]
        .as_str()
        .expect("ucid")
        .to_string();
    ended(&sim, &ucid).await;
    let cdr = sim.cdr_records("acme");
    assert_eq!(cdr[0]["CustomerDialStatus"], "NoAnswer");
    assert_eq!(cdr[0]["Type"], "Manual");
    sim.shutdown().await;
}

#[tokio::test]
async fn phone_manual_dial_honours_check_status_and_call_limit() {
    let sim = sim().await;
    let t = token(&sim).await;
    let body = |limit: &str| {
        json!({"userName": "acme", "custNumber": "9876543210", "phoneName": "523590",
               "did": "918041763265", "callLimit": limit, "checkStatus": true})
    };
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let first = post(&sim, "/ca_apis/PhoneManualDial", &t, body("1")).await;
    let ucid = first["message"].as_str().expect("ucid").to_string();
    assert_eq!(
        state_of(&sim, "agent1"),
        AgentState::Busy { ucid: ucid.clone() }
    );
    let refused = post(&sim, "/ca_apis/PhoneManualDial", &t, body("1")).await;
    assert_eq!(
        refused,
        json!({"status": "Fail", "message": "Agent is busy"})
    );
    let garbage = post(&sim, "/ca_apis/PhoneManualDial", &t, body("soon")).await;
    assert_eq!(garbage["message"], "callLimit should be numeric");
    // callLimit: the call ends one second after the answer.
    answered(&sim, &ucid).await;
    for _ in 0..300 {
        if sim.call(&ucid).is_some_and(|c| !c.live) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!sim.call(&ucid).expect("call").live);
    assert_eq!(sim.cdr_records("acme")[0]["HangupBy"], "System");
    sim.shutdown().await;
}

#[tokio::test]
async fn agents_are_seeded_and_read_through_the_control_api() {
    let sim = sim().await;
    let created = client()
        .post(format!("{}/agents", sim.control_url()))
        .json(
            &json!({"agent_id": "nurse1", "password": "pw-1", "phone_name": "600100",
                      "phone_number": "9800000001", "campaigns": ["Outbound_918041763265"],
                      "mode": "manual"}),
        )
        .sent()
        .await;
    assert_eq!(created.status(), 201);
    let v = login(&sim, "nurse1", "pw-1", "9800000001").await;
    assert_eq!(v["message"], "Agent nurse1 logged in successfully");
    let one: Value = client()
        .get(format!("{}/agents/acme/nurse1", sim.control_url()))
        .reply()
        .await;
    assert_eq!(one["state"], json!({"state": "ready"}));
    assert_eq!(one["mode"], "manual");
    assert!(one.get("password").is_none());
    let missing = client()
        .get(format!("{}/agents/acme/ghost", sim.control_url()))
        .sent()
        .await;
    assert_eq!(missing.status(), 404);
    let bad = client()
        .post(format!("{}/agents", sim.control_url()))
        .json(&json!({"agent_id": "", "password": "", "phone_name": "1", "phone_number": "2"}))
        .sent()
        .await;
    assert_eq!(bad.status(), 400);
    let unknown_account = client()
        .post(format!("{}/agents", sim.control_url()))
        .json(
            &json!({"account": "ghost", "agent_id": "a", "password": "p",
                      "phone_name": "1", "phone_number": "2"}),
        )
        .sent()
        .await;
    assert_eq!(unknown_account.status(), 400);
    let all: Value = client()
        .get(format!("{}/agents", sim.control_url()))
        .reply()
        .await;
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    sim.shutdown().await;
}

#[tokio::test]
async fn desk_endpoints_are_recorded_and_take_faults() {
    let sim = sim().await;
    let t = token(&sim).await;
    sim.inject_fault(
        helix_engage_sim::Endpoint::AgentManualDial,
        helix_engage_sim::Fault::Status { status: 503 },
        helix_engage_sim::Times::Once,
    );
    let resp = client()
        .post(format!("{}/ca_apis/AgentManualDial", sim.ozonetel_url()))
        .bearer_auth(&t)
        .json(&json!({"userName": "acme"}))
        .sent()
        .await;
    assert_eq!(resp.status(), 503);
    login(&sim, "agent1", "sim-agent1-pass", "9123456780").await;
    let paths: Vec<String> = sim
        .ozonetel_requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(paths.contains(&"/ca_apis/AgentManualDial".to_string()));
    assert!(paths.contains(&"/CAServices/AgentAuthenticationV2/index.php".to_string()));
    // A non-string field is refused like a non-JSON body.
    let numeric = post(
        &sim,
        "/ca_apis/changeAgentState",
        &t,
        json!({"userName": "acme", "agentId": 1, "state": "Ready"}),
    )
    .await;
    assert_eq!(numeric["message"], "Invalid Json Pass Valid Json");
    sim.shutdown().await;
}

#[tokio::test]
async fn subscription_requests_without_urls_or_subscriptions_are_answered_in_text() {
    let sim = sim().await;
    let with = |path: &str| {
        client()
            .post(format!("{}{path}", sim.events_url()))
            .header("api_key", KEY)
            .header("username", "acme")
    };
    let none = with("/events/subscribe")
        .json(&json!({"callEventsURL": "ftp://x"}))
        .sent()
        .await;
    assert_eq!(none.status(), 400);
    let list = client()
        .get(format!("{}/events/subscriptions/list", sim.events_url()))
        .header("api_key", KEY)
        .header("username", "acme")
        .sent()
        .await;
    assert_eq!(
        list.text().await.expect("text"),
        "Subscription doesnt exists for User: acme"
    );
    let un = with("/events/un-subscribe")
        .json(&json!({"eventType": "both"}))
        .sent()
        .await;
    assert_eq!(
        un.text().await.expect("text"),
        "Subscription doesn't exists for User: acme"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn paginated_page_fields_must_be_positive() {
    let sim = sim().await;
    let t = token(&sim).await;
    let (_, zero) = paginated(
        &sim,
        &t,
        json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00",
               "toDate": "2025-09-10 15:00:00", "pageNo": 0}),
    )
    .await;
    assert_eq!(
        zero,
        json!({"status": "fail", "message": "pageNo should be a positive number"})
    );
    let (_, empty) = paginated(
        &sim,
        &t,
        json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00",
               "toDate": "2025-09-10 15:00:00"}),
    )
    .await;
    assert_eq!(
        empty,
        json!({"status": "success", "details": [], "totalCount": 0, "pageNo": 1,
               "pageSize": 100})
    );
    sim.shutdown().await;
}
