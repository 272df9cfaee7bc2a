//! `helix call`, `transfer`, `recording`, `agent`, `dial`, `dispose`, `sim`, `completions`
//! and the help against the simulator: what the command prints and exits with, and what the
//! simulator saw and did.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{ChildStdout, Command, Stdio};
use std::time::Duration;

use helix_engage_sim::{
    Account, Agent, AgentState, CallSnapshot, CustomerResponse, DialConfig, NewCall, PartyRole,
    Simulator,
};
use serde_json::Value;
use support::*;

/// The default agent, with every field a desk call may need.
const AGENT1: [&str; 10] = [
    "--agent",
    "agent1",
    "--phone-name",
    "523590",
    "--number",
    "9123456780",
    "--did",
    "918041763265",
    "--campaign",
    "Outbound_918041763265",
];
const PASSWORD1: &str = "sim-agent1-pass";
const TARGET: &str = "9988776655";

fn helix_args(sim: &Simulator, args: &[&str]) -> Command {
    let mut c = helix(sim);
    c.args(args);
    c
}

/// `helix ARGS… <AGENT1 fields>`.
fn as_agent1(sim: &Simulator, args: &[&str]) -> Command {
    let mut c = helix_args(sim, args);
    c.args(AGENT1);
    c
}

fn seed(sim: &Simulator) -> String {
    sim.seed_call(NewCall::default()).expect("seeded").ucid
}

fn live(sim: &Simulator, ucid: &str) -> CallSnapshot {
    sim.call(ucid).expect("the call is known")
}

fn party(call: &CallSnapshot, role: PartyRole) -> Option<&helix_engage_sim::Participant> {
    call.participants.iter().find(|p| p.role == role)
}

/// The JSON bodies of the Ozonetel requests made to `path`, in order.
fn bodies(sim: &Simulator, path: &str) -> Vec<Value> {
    sim.ozonetel_requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| serde_json::from_str(&r.body).unwrap_or(Value::String(r.body)))
        .collect()
}

fn ok(o: &std::process::Output) -> String {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    stdout(o)
}

fn state(sim: &Simulator, agent: &str) -> AgentState {
    sim.agent("acme", agent).expect("agent").state
}

async fn login_agent1(sim: &Simulator) {
    let o = run_with_stdin(
        as_agent1(sim, &["agent", "login", "--password-stdin"]),
        &format!("{PASSWORD1}\n"),
    )
    .await;
    ok(&o);
}

/// Waits (bounded) until `check` holds for the call.
async fn until(sim: &Simulator, ucid: &str, what: &str, check: impl Fn(&CallSnapshot) -> bool) {
    for _ in 0..300 {
        if sim.call(ucid).is_some_and(|c| check(&c)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("call {ucid}: never {what}");
}

// ---------------------------------------------------------------- call control

#[tokio::test]
async fn hold_unhold_mute_unmute_change_the_live_call() {
    let sim = sim().await;
    let ucid = seed(&sim);

    let out = ok(&run(as_agent1(&sim, &["call", "hold", &ucid])).await);
    assert!(out.starts_with(&format!("call {ucid}: HOLD (")), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        party(&live(&sim, &ucid), PartyRole::Customer)
            .unwrap()
            .on_hold
    );

    ok(&run(as_agent1(&sim, &["call", "unhold", &ucid])).await);
    assert!(
        !party(&live(&sim, &ucid), PartyRole::Customer)
            .unwrap()
            .on_hold
    );

    // --json: the library's CallControlResponse.
    let out = ok(&run(as_agent1(&sim, &["--json", "call", "mute", &ucid])).await);
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON document");
    assert_eq!(v["action"], "MUTE");
    assert!(v["status"].is_string() && v["message"].is_string(), "{v}");
    assert!(
        party(&live(&sim, &ucid), PartyRole::Customer)
            .unwrap()
            .muted
    );

    ok(&run(as_agent1(&sim, &["call", "unmute", &ucid])).await);
    assert!(
        !party(&live(&sim, &ucid), PartyRole::Customer)
            .unwrap()
            .muted
    );

    // On the wire: one request per command, the agent's extension and DID.
    let sent = bodies(&sim, "/ca_apis/CallControl_V4");
    let actions: Vec<&str> = sent.iter().map(|b| b["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["HOLD", "UNHOLD", "MUTE", "UNMUTE"]);
    for b in &sent {
        assert_eq!(b["ucid"], ucid.as_str());
        assert_eq!(b["agentPhoneName"], "523590");
        assert_eq!(b["did"], "918041763265");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn conference_adds_a_party_and_kick_drops_it() {
    let sim = sim().await;
    let ucid = seed(&sim);
    let out = ok(&run(as_agent1(&sim, &["call", "conference", &ucid, TARGET])).await);
    assert!(
        out.starts_with(&format!("call {ucid}: CONFERENCE")),
        "{out}"
    );
    // A caller's number is not echoed back.
    assert!(!out.contains(TARGET), "{out}");
    assert!(party(&live(&sim, &ucid), PartyRole::Conference).is_some());

    let out = ok(&run(as_agent1(&sim, &["call", "kick", &ucid, TARGET])).await);
    assert!(out.starts_with(&format!("call {ucid}: KICK_CALL")), "{out}");
    let call = live(&sim, &ucid);
    assert!(party(&call, PartyRole::Conference).is_none(), "{call:?}");
    assert!(call.live);

    let sent = bodies(&sim, "/ca_apis/CallControl_V4");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["action"], "CONFERENCE");
    assert_eq!(sent[1]["action"], "KICK_CALL");
    assert!(
        sent[0]["conferenceNumber"]
            .as_str()
            .unwrap()
            .ends_with(TARGET)
    );

    // A call that is not live: the service refused it (api, exit 5), said in one message.
    let o = run(as_agent1(&sim, &["call", "hold", "1234567890123"])).await;
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error: ozonetel refused the request: HOLD on call 1234567890123"),
        "{}",
        stderr(&o)
    );
    // A UCID that is not one: refused before sending (exit 2).
    let o = run(as_agent1(&sim, &["call", "hold", "not-a-ucid"])).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(bodies(&sim, "/ca_apis/CallControl_V4").len(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_field_the_call_needs_is_named_before_anything_is_sent() {
    let sim = sim().await;
    let ucid = seed(&sim);
    // No --did: call control needs it.
    let o = run(helix_args(
        &sim,
        &[
            "call",
            "hold",
            &ucid,
            "--agent",
            "agent1",
            "--phone-name",
            "523590",
        ],
    ))
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("did"), "{}", stderr(&o));
    assert!(bodies(&sim, "/ca_apis/CallControl_V4").is_empty());
    // --agent is required: clap's usage error.
    let o = run(helix_args(&sim, &["call", "hold", &ucid])).await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--agent"), "{}", stderr(&o));
    sim.shutdown().await;
}

// ---------------------------------------------------------------- transfers

#[tokio::test]
async fn warm_transfers_complete_or_cancel_and_cold_drops_the_agent() {
    let sim = sim().await;

    // Warm, completed: the agent leaves, the target has the customer.
    let a = seed(&sim);
    let out = ok(&run(as_agent1(
        &sim,
        &["transfer", &a, TARGET, "--then", "complete"],
    ))
    .await);
    assert_eq!(out.trim(), format!("call {a}: transferred (warm transfer)"));
    let call = live(&sim, &a);
    assert!(party(&call, PartyRole::Agent).is_none(), "{call:?}");
    assert!(party(&call, PartyRole::Conference).is_some(), "{call:?}");

    // Warm, cancelled: the target is dropped, the agent keeps the customer (--json).
    let b = seed(&sim);
    let out = ok(&run(as_agent1(
        &sim,
        &["--json", "transfer", &b, TARGET, "--then", "cancel"],
    ))
    .await);
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!({"ucid": b, "mode": "warm", "state": "cancelled"})
    );
    let call = live(&sim, &b);
    assert!(party(&call, PartyRole::Agent).is_some(), "{call:?}");
    assert!(party(&call, PartyRole::Conference).is_none(), "{call:?}");

    // Cold: conference, then the agent is dropped at once.
    let c = seed(&sim);
    let out = ok(&run(as_agent1(&sim, &["transfer", &c, TARGET, "--cold"])).await);
    assert_eq!(out.trim(), format!("call {c}: transferred (cold transfer)"));
    let call = live(&sim, &c);
    assert!(party(&call, PartyRole::Agent).is_none(), "{call:?}");

    let sent = bodies(&sim, "/ca_apis/CallControl_V4");
    let steps: Vec<(String, String)> = sent
        .iter()
        .map(|b| {
            (
                b["ucid"].as_str().unwrap().to_string(),
                b["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let step = |u: &str, act: &str| (u.to_string(), act.to_string());
    assert_eq!(
        steps,
        [
            step(&a, "CONFERENCE"),
            step(&a, "KICK_CALL"),
            step(&b, "CONFERENCE"),
            step(&b, "KICK_CALL"),
            step(&c, "CONFERENCE"),
            step(&c, "KICK_CALL"),
        ]
    );
    // Completing drops the agent's number; cancelling the target's.
    assert!(
        sent[1]["conferenceNumber"]
            .as_str()
            .unwrap()
            .ends_with("9123456780")
    );
    assert!(
        sent[3]["conferenceNumber"]
            .as_str()
            .unwrap()
            .ends_with(TARGET)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_warm_transfer_without_a_terminal_needs_then_and_sends_nothing() {
    let sim = sim().await;
    let ucid = seed(&sim);
    // stdin is not a terminal (support: /dev/null): a usage error, not a hang.
    let o = run(as_agent1(&sim, &["transfer", &ucid, TARGET])).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--then complete"), "{}", stderr(&o));
    assert!(bodies(&sim, "/ca_apis/CallControl_V4").is_empty());
    assert_eq!(live(&sim, &ucid).participants.len(), 2);
    // --then and --cold do not go together.
    let o = run(as_agent1(
        &sim,
        &["transfer", &ucid, TARGET, "--cold", "--then", "cancel"],
    ))
    .await;
    assert_eq!(code(&o), 2);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- recording

#[tokio::test]
async fn recording_pause_and_resume() {
    let sim = sim().await;
    let ucid = seed(&sim);
    let out = ok(&run(helix_args(&sim, &["recording", "pause", &ucid])).await);
    assert!(
        out.starts_with(&format!("call {ucid}: recording paused")),
        "{out}"
    );
    assert!(live(&sim, &ucid).recording_paused);

    let out = ok(&run(helix_args(&sim, &["--json", "recording", "resume", &ucid])).await);
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["paused"], false);
    assert!(!live(&sim, &ucid).recording_paused);

    let sent: Vec<String> = sim
        .ozonetel_requests()
        .into_iter()
        .filter(|r| r.path == "/CAServices/Call/Record.php")
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].contains("action=pause"), "{}", sent[0]);
    assert!(sent[1].contains("action=unPause"), "{}", sent[1]);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- the agent's session

#[tokio::test]
async fn an_agent_logs_in_pauses_goes_ready_is_forced_ready_and_logs_out() {
    let sim = sim().await;
    let mut seen = String::new();

    // Login, the password on stdin.
    let o = run_with_stdin(
        as_agent1(&sim, &["agent", "login", "--password-stdin"]),
        &format!("{PASSWORD1}\n"),
    )
    .await;
    let out = ok(&o);
    seen += &out;
    seen += &stderr(&o);
    assert!(out.starts_with("agent agent1: logged in ("), "{out}");
    assert_eq!(state(&sim, "agent1"), AgentState::Ready);

    let o = run(as_agent1(&sim, &["agent", "pause", "--reason", "Break"])).await;
    let out = ok(&o);
    assert!(out.starts_with("agent agent1: "), "{out}");
    assert_eq!(
        state(&sim, "agent1"),
        AgentState::Pause {
            reason: "Break".into()
        }
    );

    let out = ok(&run(as_agent1(&sim, &["--json", "agent", "ready"])).await);
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert!(v["agentStatus"].is_string(), "{v}");
    assert_eq!(state(&sim, "agent1"), AgentState::Ready);

    // Force-ready, the password from the environment; -vv logs must not carry it either.
    let mut c = as_agent1(&sim, &["-vv", "agent", "force-ready"]);
    c.env("HELIX_AGENT_PASSWORD", PASSWORD1);
    let o = run(c).await;
    let out = ok(&o);
    seen += &out;
    seen += &stderr(&o);
    assert!(
        out.starts_with("agent agent1: logged out → logged in → "),
        "{out}"
    );
    assert_eq!(state(&sim, "agent1"), AgentState::Ready);

    // Logout, --json: the library's LoginResponse.
    let o = run_with_stdin(
        as_agent1(&sim, &["--json", "agent", "logout", "--password-stdin"]),
        PASSWORD1,
    )
    .await;
    let out = ok(&o);
    seen += &out;
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["outcome"], "logged_out");
    assert_eq!(state(&sim, "agent1"), AgentState::LoggedOut);

    // Logging out again is an outcome, not an error.
    let out = ok(&run_with_stdin(
        as_agent1(&sim, &["agent", "logout", "--password-stdin"]),
        PASSWORD1,
    )
    .await);
    assert!(out.contains("was not logged in"), "{out}");

    // The password went over the wire as HTTP Basic, never into what helix printed.
    assert!(!seen.contains(PASSWORD1), "{seen}");
    let auth: Vec<_> = sim
        .ozonetel_requests()
        .into_iter()
        .filter(|r| r.path == "/CAServices/AgentAuthenticationV2/index.php")
        .collect();
    // login, force-ready's logout and login, logout, logout.
    assert_eq!(auth.len(), 5);
    assert!(auth[0].body.contains("action=login"), "{}", auth[0].body);
    assert!(
        auth[0]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v.starts_with("Basic "))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_agent_desk_refusals_map_to_their_exit_codes() {
    let sim = sim().await;
    // Not logged in: agent_state (6), and the hint says what to do.
    let o = run(as_agent1(&sim, &["agent", "ready"])).await;
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    assert!(stderr(&o).contains("helix agent login"), "{}", stderr(&o));

    // A wrong password: auth (4).
    let o = run_with_stdin(
        as_agent1(&sim, &["agent", "login", "--password-stdin"]),
        "not-the-password\n",
    )
    .await;
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(!stderr(&o).contains("not-the-password"));

    // No password anywhere, and no terminal to ask on: a usage error naming the ways.
    let o = run(as_agent1(&sim, &["agent", "login"])).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--password-stdin"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("HELIX_AGENT_PASSWORD"),
        "{}",
        stderr(&o)
    );

    // An agent id the simulator does not know: the service's refusal, not a crash.
    let o = run(helix_args(&sim, &["agent", "ready", "--agent", "nobody"])).await;
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(stderr(&o).contains("Invalid agentId"), "{}", stderr(&o));

    // --json: the error as one JSON document on stdout.
    let o = run(as_agent1(&sim, &["--json", "agent", "ready"])).await;
    assert_eq!(code(&o), 6);
    let v: Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["error"]["code"], "agent_state");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- dial and dispose

#[tokio::test]
async fn a_dial_prints_its_ucid_and_dispose_queues_saves_and_reports_a_second() {
    let sim = sim().await;
    sim.set_dial_config(DialConfig {
        answer_after_ms: 20,
        customer: CustomerResponse::Answer,
    });
    login_agent1(&sim).await;

    // Dial, --json: the library's Dial, its UCID the live call's.
    let out = ok(&run(as_agent1(&sim, &["--json", "dial", "9876543210"])).await);
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    let ucid = v["ucid"].as_str().expect("a UCID").to_string();
    assert!(live(&sim, &ucid).live);
    assert!(matches!(state(&sim, "agent1"), AgentState::Busy { .. }));
    let dial = &bodies(&sim, "/ca_apis/AgentManualDial")[0];
    assert_eq!(dial["agentID"], "agent1");
    assert_eq!(dial["campaignName"], "Outbound_918041763265");
    assert_eq!(dial["UCID"], "true");
    until(&sim, &ucid, "answered", |c| c.answered).await;

    // Disposed during the call: queued, with a callback time from the simulator's clock and
    // a pause afterwards.
    let callback = (sim.clock().now_naive_local() + chrono::Duration::days(1))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let o = run(as_agent1(
        &sim,
        &[
            "dispose",
            &ucid,
            "Callback Requested",
            "--comment",
            "call back after the report",
            "--callback-at",
            &callback,
            "--pause-after",
            "Break",
        ],
    ))
    .await;
    let out = ok(&o);
    assert!(
        out.starts_with(&format!(
            "call {ucid}: \"Callback Requested\" queued (applied when the call ends) ("
        )),
        "{out}"
    );
    let body = &bodies(&sim, "/ca_apis/DispositionAPIV2")[0];
    assert_eq!(body["action"], "Set");
    assert_eq!(body["disposition"], "Callback Requested");
    assert_eq!(body["comments"], "call back after the report");
    assert_eq!(body["callBackTime"], callback.as_str());
    assert_eq!(body["pauseAfterDispose"], "true");
    assert_eq!(body["pauseReason"], "Break");
    assert_eq!(body["autoRelease"], "true");
    assert_eq!(body["did"], "918041763265");

    // The call ends: the queued disposition applies, the agent goes to its pause.
    sim.end_call(&ucid).expect("ended");
    assert_eq!(
        state(&sim, "agent1"),
        AgentState::Pause {
            reason: "Break".into()
        }
    );

    // A second disposition: an outcome, not an error.
    let out = ok(&run(as_agent1(
        &sim,
        &["--json", "dispose", &ucid, "General Enquiry"],
    ))
    .await);
    let v: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["outcome"], "already_disposed", "{v}");

    // A bad callback time: refused before sending, naming the option.
    let o = run(as_agent1(
        &sim,
        &[
            "dispose",
            &ucid,
            "General Enquiry",
            "--callback-at",
            "tomorrow",
        ],
    ))
    .await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--callback-at"), "{}", stderr(&o));
    assert_eq!(bodies(&sim, "/ca_apis/DispositionAPIV2").len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_disposition_after_the_call_is_saved_and_ends_acw() {
    let sim = sim().await;
    login_agent1(&sim).await;
    let ucid = seed(&sim);
    assert!(matches!(state(&sim, "agent1"), AgentState::Busy { .. }));
    sim.end_call(&ucid).expect("ended");
    assert!(matches!(state(&sim, "agent1"), AgentState::Acw { .. }));

    let out = ok(&run(as_agent1(&sim, &["dispose", &ucid, "General Enquiry"])).await);
    assert!(
        out.starts_with(&format!("call {ucid}: \"General Enquiry\" saved (")),
        "{out}"
    );
    assert_eq!(state(&sim, "agent1"), AgentState::Ready);

    // Human dial output: one line with the UCID.
    sim.set_dial_config(DialConfig {
        answer_after_ms: 20,
        customer: CustomerResponse::Answer,
    });
    let out = ok(&run(as_agent1(&sim, &["dial", "9876543210"])).await);
    assert!(out.starts_with("dialling as agent agent1: UCID "), "{out}");
    assert_eq!(out.lines().count(), 1);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn the_api_key_and_the_password_never_reach_the_output() {
    const KEY: &str = "CANARY-KEY-6f1d2c";
    const PASSWORD: &str = "CANARY-PW-93ab7e";
    let sim = Simulator::builder()
        .account(Account::token("canaryco", KEY).with_campaign("Outbound_918041763265"))
        .agent(Agent::new("canary", PASSWORD, "523599", "9123456799").in_account("canaryco"))
        .start()
        .await
        .expect("simulator");
    let seeded = sim
        .seed_call(NewCall {
            account: Some("canaryco".into()),
            agent_id: "canary".into(),
            agent_number: "9123456799".into(),
            ..NewCall::default()
        })
        .expect("seeded")
        .ucid;
    let canary = |args: &[&str]| {
        let mut c = bare();
        c.env("OZONETEL_USER_NAME", "canaryco")
            .env("OZONETEL_API_KEY", KEY)
            .env("OZONETEL_BASE_URL", sim.ozonetel_url())
            .args(["-vv"])
            .args(args)
            .args(["--agent", "canary", "--number", "9123456799"])
            .args(["--phone-name", "523599", "--did", "918041763265"]);
        c
    };
    let mut seen = String::new();
    for (args, input) in [
        (
            vec!["agent", "login", "--password-stdin"],
            format!("{PASSWORD}\n"),
        ),
        (
            vec!["agent", "login", "--password-stdin"],
            "wrong\n".to_string(),
        ),
        (vec!["call", "hold", seeded.as_str()], String::new()),
        (
            vec!["--json", "call", "hold", "1234567890123"],
            String::new(),
        ),
        (
            vec!["agent", "logout", "--password-stdin"],
            format!("{PASSWORD}\n"),
        ),
    ] {
        let o = run_with_stdin(canary(&args), &input).await;
        seen += &stdout(&o);
        seen += &stderr(&o);
    }
    // Record.php carries the key in its query string.
    let mut c = bare();
    c.env("OZONETEL_USER_NAME", "canaryco")
        .env("OZONETEL_API_KEY", KEY)
        .env("OZONETEL_BASE_URL", sim.ozonetel_url())
        .args(["-vv", "recording", "pause", &seeded]);
    let o = run(c).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    seen += &stdout(&o);
    seen += &stderr(&o);
    assert!(sim.call(&seeded).unwrap().recording_paused);
    assert!(seen.contains("logged in"), "{seen}");
    assert!(!seen.contains(KEY), "the API key was printed:\n{seen}");
    assert!(
        !seen.contains(PASSWORD),
        "the password was printed:\n{seen}"
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- output, help, completions

#[tokio::test]
async fn colour_only_when_asked_or_on_a_terminal() {
    let sim = sim().await;
    let ucid = seed(&sim);
    // Not a terminal: no escape codes.
    let out = ok(&run(as_agent1(&sim, &["call", "hold", &ucid])).await);
    assert!(!out.contains('\x1b'), "{out:?}");
    // NO_COLOR under auto: none either.
    let mut c = as_agent1(&sim, &["call", "unhold", &ucid]);
    c.env("NO_COLOR", "1");
    let o = run(c).await;
    assert!(!ok(&o).contains('\x1b'));
    assert!(!stderr(&o).contains('\x1b'));
    // --color always: coloured even into a pipe.
    let out = ok(&run(as_agent1(
        &sim,
        &["--color", "always", "call", "hold", &ucid],
    ))
    .await);
    assert!(out.contains("\x1b[32mHOLD\x1b[0m"), "{out:?}");
    // --color never beats a terminal; errors carry no codes off a terminal.
    let o = run(as_agent1(&sim, &["--color", "never", "agent", "ready"])).await;
    assert!(!stderr(&o).contains('\x1b'));
    sim.shutdown().await;
}

#[test]
fn help_renders_for_every_command_and_documents_the_exit_codes() {
    let o = bare().arg("--help").output().expect("helix");
    let help = ok(&o);
    for needle in [
        "Exit codes:",
        "3  configuration",
        "6  agent_state",
        "call",
        "transfer",
        "recording",
        "agent",
        "dial",
        "dispose",
        "profiles",
        "sim",
        "completions",
        "--profile",
        "--json",
        "--color",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    for path in [
        &["call"][..],
        &["call", "hold"],
        &["call", "unhold"],
        &["call", "mute"],
        &["call", "unmute"],
        &["call", "conference"],
        &["call", "kick"],
        &["transfer"],
        &["recording"],
        &["recording", "pause"],
        &["recording", "resume"],
        &["agent"],
        &["agent", "login"],
        &["agent", "logout"],
        &["agent", "ready"],
        &["agent", "pause"],
        &["agent", "force-ready"],
        &["dial"],
        &["dispose"],
        &["profiles"],
        &["sim"],
        &["completions"],
    ] {
        let o = bare().args(path).arg("--help").output().expect("helix");
        let text = ok(&o);
        assert!(text.contains("Usage: helix"), "{path:?}:\n{text}");
    }
    let transfer = ok(&bare().args(["transfer", "--help"]).output().unwrap());
    assert!(transfer.contains("--then") && transfer.contains("--cold"));
    let login = ok(&bare().args(["agent", "login", "--help"]).output().unwrap());
    assert!(login.contains("--password-stdin"));
    assert!(
        !login.contains("--password "),
        "no --password flag:\n{login}"
    );
}

#[test]
fn completions_cover_the_subcommands() {
    for shell in ["bash", "zsh"] {
        let o = bare().args(["completions", shell]).output().expect("helix");
        let text = ok(&o);
        for sub in ["transfer", "dispose", "force-ready", "conference"] {
            assert!(text.contains(sub), "{shell}: {sub} missing");
        }
    }
    let o = bare()
        .args(["completions", "tcsh"])
        .output()
        .expect("helix");
    assert_eq!(code(&o), 2);
}

// ---------------------------------------------------------------- helix sim

/// `helix ARGS… sim --port 0`, its stdout read line by line.
fn spawn_sim(args: &[&str]) -> (std::process::Child, std::io::Lines<BufReader<ChildStdout>>) {
    let mut child = bare()
        .args(args)
        .args(["sim", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    (child, lines)
}

/// SIGTERM, as a service manager stops it: a clean exit, promptly.
async fn stop(mut child: std::process::Child) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let exit = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("exits within 10 s")
    .expect("join")
    .expect("wait");
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test]
async fn helix_sim_serves_prints_its_urls_and_stops_on_sigterm() {
    let (child, mut lines) = spawn_sim(&[]);
    let mut urls = std::collections::HashMap::new();
    for _ in 0..5 {
        let line = lines.next().expect("a line").expect("utf-8");
        let mut words = line.split_whitespace();
        let (name, url) = (words.next().unwrap(), words.next().unwrap());
        urls.insert(name.to_string(), url.to_string());
    }
    let oz = urls["ozonetel"].clone();
    assert!(oz.starts_with("http://127.0.0.1:"), "{urls:?}");
    assert_eq!(urls["events"], oz);
    assert!(urls["deepgram"].starts_with("ws://127.0.0.1:"));
    assert!(urls["openai"].ends_with("/v1"));
    assert!(urls["control"].ends_with("/sim"));

    // helix itself, aimed at it: the simulator's agent logs in.
    let mut c = bare();
    c.env("OZONETEL_USER_NAME", helix_engage_sim::DEFAULT_USER_NAME)
        .env("OZONETEL_API_KEY", helix_engage_sim::DEFAULT_API_KEY)
        .env("OZONETEL_BASE_URL", &oz)
        .args([
            "agent",
            "login",
            "--agent",
            "agent1",
            "--number",
            "9123456780",
        ])
        .arg("--password-stdin");
    let o = run_with_stdin(c, &format!("{PASSWORD1}\n")).await;
    assert!(ok(&o).contains("logged in"));
    stop(child).await;

    // --json: one object of the same URLs.
    let (child, mut lines) = spawn_sim(&["--json"]);
    let line = lines.next().expect("a line").expect("utf-8");
    let v: Value = serde_json::from_str(&line).expect("JSON");
    for name in ["ozonetel", "events", "deepgram", "openai", "control"] {
        assert!(v[name].as_str().unwrap().contains("127.0.0.1:"), "{v}");
    }
    stop(child).await;
}
