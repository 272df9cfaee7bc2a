//! The agent desk on the wire: login/logout (HTTP Basic, form body), Ready/Pause and
//! force-ready, manual and phone dials, dispositions — method, path, headers, body, and each
//! outcome and typed error of Ozonetel's reference sentences.

mod capture;
mod common;

use std::time::Duration;

use base64::Engine;
use capture::Capture;
use chrono::NaiveDate;
use common::*;
use helix_engage::ozonetel::{
    Agent, AgentRef, Client, DialOptions, Disposition, DispositionOutcome, LoginOutcome,
    PhoneDialOptions,
};
use helix_engage::{AgentRefusal, ErrorCode};
use mockito::{Matcher, ServerGuard};
use serde_json::json;

const PASSWORD: &str = "CANARY-pw-7d2e91";
const LOGIN_PATH: &str = "/CAServices/AgentAuthenticationV2/index.php";
const STATE_PATH: &str = "/ca_apis/changeAgentState";
const CAMPAIGN: &str = "Inbound_918041763265";
const UCID: &str = "90174967305497";

fn desk_agent(client: &Client) -> Agent {
    client
        .agent(
            AgentRef::new("asha")
                .with_did(DID)
                .with_phone_name(AGENT_PHONE_NAME)
                .with_number("9876500000")
                .with_campaign(CAMPAIGN),
        )
        .unwrap()
}

fn basic() -> String {
    let pair = format!("asha:{PASSWORD}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn form(pairs: &[(&str, &str)]) -> Matcher {
    Matcher::AllOf(
        pairs
            .iter()
            .map(|(k, v)| Matcher::UrlEncoded(k.to_string(), v.to_string()))
            .collect(),
    )
}

/// `AgentAuthenticationV2` answering `body` to `action` requests, with the wire shape checked.
async fn login_mock(server: &mut ServerGuard, action: &str, body: &str) -> mockito::Mock {
    let mut pairs = vec![("userName", USER), ("apiKey", KEY), ("action", action)];
    if action == "login" {
        pairs.push(("phoneNumber", AGENT_NUMBER));
    }
    server
        .mock("POST", LOGIN_PATH)
        .match_header("authorization", basic().as_str())
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(form(&pairs))
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains(KEY), "{text}");
    let b64 = basic();
    assert!(!text.contains(&b64["Basic ".len()..]), "{text}");
}

#[tokio::test]
async fn login_sends_basic_auth_and_a_form_and_never_a_token() {
    let mut server = mockito::Server::new_async().await;
    let no_token = no_token_requested(&mut server).await;
    let m = login_mock(
        &mut server,
        "login",
        r#"{"status":"success","message":"Agent asha logged in successfully"}"#,
    )
    .await;
    let agent = desk_agent(&client(&server));
    let r = agent.login(PASSWORD).await.unwrap();
    assert_eq!(r.outcome, LoginOutcome::LoggedIn);
    assert_eq!(r.message, "Agent asha logged in successfully");
    assert_no_secret(&format!("{r:?} {agent:?}"));
    m.assert_async().await;
    no_token.assert_async().await;
}

#[tokio::test]
async fn login_and_logout_outcomes_and_errors() {
    let mut server = mockito::Server::new_async().await;
    let agent = desk_agent(&client(&server));

    for (action, body, outcome) in [
        (
            "login",
            r#"{"status":"error","message":"Agent has already logged in"}"#,
            LoginOutcome::AlreadyLoggedIn,
        ),
        (
            "logout",
            r#"{"status":"success","message":"Agent asha logged out successfully"}"#,
            LoginOutcome::LoggedOut,
        ),
        (
            "logout",
            r#"{"status":"error","message":"Agent asha is not logged in"}"#,
            LoginOutcome::NotLoggedIn,
        ),
    ] {
        let m = login_mock(&mut server, action, body).await;
        let r = if action == "login" {
            agent.login(PASSWORD).await
        } else {
            agent.logout(PASSWORD).await
        };
        assert_eq!(r.unwrap().outcome, outcome, "{body}");
        m.assert_async().await;
        m.remove_async().await;
    }

    // A wrong password (or agent id): auth, and the password is not in it. Ozonetel's page
    // is made to echo it, to prove the scrubbing.
    let m = login_mock(
        &mut server,
        "login",
        &format!(r#"{{"status":"error","message":"Invalid Authentication","echo":"{PASSWORD}"}}"#),
    )
    .await;
    let err = agent.login(PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(err.to_string().contains("password"), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));
    m.remove_async().await;

    // Another agent holds the number: typed, and the number is cut.
    let m = login_mock(
        &mut server,
        "login",
        r#"{"status":"error","message":"ravi logged in with the number (+919876500000)"}"#,
    )
    .await;
    let err = agent.login(PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AgentState);
    assert_eq!(err.agent_refusal(), Some(AgentRefusal::NumberInUse));
    assert!(!err.to_string().contains("9876500000"), "{err}");
    assert!(err.to_string().contains("0000"), "{err}");
    m.remove_async().await;

    // An error page that quotes the password back.
    let m = server
        .mock("POST", LOGIN_PATH)
        .with_status(500)
        .with_body(format!(
            "<html>bad request for {PASSWORD} {}</html>",
            basic()
        ))
        .expect_at_least(1)
        .create_async()
        .await;
    let err = agent.login(PASSWORD).await.unwrap_err();
    assert_no_secret(&format!("{err} {err:?}"));
    m.assert_async().await;
}

#[tokio::test]
async fn login_is_not_resent_after_it_may_have_arrived() {
    let mut server = mockito::Server::new_async().await;
    let m = server
        .mock("POST", LOGIN_PATH)
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let err = desk_agent(&client(&server))
        .login(PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    m.assert_async().await;
}

fn state_body(state: &str, reason: Option<&str>) -> Matcher {
    let mut body = json!({
        "userName": USER,
        "agentId": "asha",
        "state": state,
        "phoneName": AGENT_PHONE_NAME,
    });
    if let Some(r) = reason {
        body["pauseReason"] = json!(r);
    }
    Matcher::Json(body)
}

const PAUSED: &str = r#"{"status":"success","message":"{\"type\":\"response\",\"utid\":\"22\",\"resp\":\"Success:tbAgentPause~INBOUND\",\"agentStatus\":\"PAUSED\",\"agentId\":\"asha\",\"user\":\"acme\"}"}"#;
const READY: &str = r#"{"status":"success","message":"{\"type\":\"response\",\"resp\":\"Success:tbAgentReady\",\"agentStatus\":\"READY\",\"agentId\":\"asha\"}"}"#;

#[tokio::test]
async fn pause_and_ready_send_bearer_json_and_read_the_nested_answer() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("s", in_an_hour());
    token_mock(&mut server, &token).await;
    let pause = server
        .mock("POST", STATE_PATH)
        .match_header("authorization", format!("Bearer {token}").as_str())
        .match_header("content-type", "application/json")
        .match_body(state_body("Pause", Some("Break")))
        .with_body(PAUSED)
        .expect(1)
        .create_async()
        .await;
    let ready = server
        .mock("POST", STATE_PATH)
        .match_body(state_body("Ready", None))
        .with_body(READY)
        .expect(1)
        .create_async()
        .await;
    let agent = desk_agent(&client(&server));
    let r = agent.pause(" Break ").await.unwrap();
    assert_eq!(r.agent_status, "PAUSED");
    assert_eq!(r.resp, "Success:tbAgentPause~INBOUND");
    assert_eq!(r.agent_id.as_deref(), Some("asha"));
    assert_eq!(r.extra["utid"], "22");
    assert_eq!(agent.set_ready().await.unwrap().agent_status, "READY");
    pause.assert_async().await;
    ready.assert_async().await;
}

#[tokio::test]
async fn state_refusals_are_typed() {
    let mut server = server_with_token("s").await;
    let agent = desk_agent(&client(&server));
    let cases: [(&str, ErrorCode, Option<AgentRefusal>); 5] = [
        (
            r#"{"status":"error","Message":"Agent asha is in ACW state. You cant change to Pause state"}"#,
            ErrorCode::AgentState,
            Some(AgentRefusal::InAcw),
        ),
        (
            r#"{"status":"error","Message":"Agent asha is in BUSY state. You cant change to Pause state"}"#,
            ErrorCode::AgentState,
            Some(AgentRefusal::Busy),
        ),
        (
            r#"{"status":"error","message":"Agent is not Logged In"}"#,
            ErrorCode::AgentState,
            Some(AgentRefusal::NotLoggedIn),
        ),
        (
            r#"{"status":"error","message":"pauseReason is Invalid"}"#,
            ErrorCode::InvalidInput,
            None,
        ),
        (
            r#"{"status":"error","message":"userName or apiKey is Invalid"}"#,
            ErrorCode::Auth,
            None,
        ),
    ];
    for (body, code, refusal) in cases {
        let m = server
            .mock("POST", STATE_PATH)
            .with_body(body)
            .create_async()
            .await;
        let err = agent.pause("Break").await.unwrap_err();
        assert_eq!(err.code(), code, "{body}: {err}");
        assert_eq!(err.agent_refusal(), refusal, "{body}");
        assert!(err.to_string().contains("Pause"), "{err}");
        let json = serde_json::to_value(&err).unwrap();
        if let Some(r) = refusal {
            assert_eq!(json["refusal"], r.as_str());
            assert_eq!(json["code"], "agent_state");
        }
        m.remove_async().await;
    }
}

#[tokio::test]
async fn force_ready_logs_out_logs_in_and_makes_ready() {
    let mut server = server_with_token("f").await;
    let logout = login_mock(
        &mut server,
        "logout",
        r#"{"status":"error","message":"Agent asha is not logged in"}"#,
    )
    .await;
    let login = login_mock(
        &mut server,
        "login",
        r#"{"status":"success","message":"Agent asha logged in successfully"}"#,
    )
    .await;
    let ready = server
        .mock("POST", STATE_PATH)
        .match_body(state_body("Ready", None))
        .with_body(READY)
        .expect(1)
        .create_async()
        .await;
    let r = desk_agent(&client(&server))
        .force_ready(PASSWORD)
        .await
        .unwrap();
    assert_eq!(r.logout.outcome, LoginOutcome::NotLoggedIn);
    assert_eq!(r.login.outcome, LoginOutcome::LoggedIn);
    assert_eq!(r.ready.agent_status, "READY");
    logout.assert_async().await;
    login.assert_async().await;
    ready.assert_async().await;
}

#[tokio::test]
async fn dial_sends_the_documented_body_and_returns_the_ucid() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("d", in_an_hour());
    token_mock(&mut server, &token).await;
    let m = server
        .mock("POST", "/ca_apis/AgentManualDial")
        .match_header("authorization", format!("Bearer {token}").as_str())
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "agentID": "asha",
            "campaignName": CAMPAIGN,
            "customerNumber": "09123456789",
            "UCID": "true",
            "uui": "lead-42",
        })))
        .with_body(r#"{"ucid":"9017496730549712345","status":"queued successfully"}"#)
        .expect(1)
        .create_async()
        .await;
    let d = desk_agent(&client(&server))
        .dial(
            "+91 91234-56789",
            DialOptions {
                uui: Some("lead-42".into()),
                campaign: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(d.ucid.as_deref(), Some("9017496730549712345"));
    assert_eq!(d.status, "queued successfully");
    m.assert_async().await;
}

#[tokio::test]
async fn dial_refusals_are_typed_and_never_resent() {
    let mut server = server_with_token("d").await;
    let agent = desk_agent(&client(&server));
    let cases = [
        (
            r#"{"status":"Fail","message":"Agent is not available"}"#,
            ErrorCode::AgentState,
        ),
        (
            r#"{"status":"fails","message":"Campaign is invalid"}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"status":"Fail","message":"All parameters are mandatory"}"#,
            ErrorCode::InvalidInput,
        ),
    ];
    for (body, code) in cases {
        let m = server
            .mock("POST", "/ca_apis/AgentManualDial")
            .with_body(body)
            .expect(1)
            .create_async()
            .await;
        let err = agent
            .dial("9123456789", DialOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{body}");
        if code == ErrorCode::AgentState {
            assert_eq!(err.agent_refusal(), Some(AgentRefusal::NotAvailable));
        }
        m.assert_async().await;
        m.remove_async().await;
    }
    // A 503 may mean the dial went out: one attempt only.
    let m = server
        .mock("POST", "/ca_apis/AgentManualDial")
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    assert!(
        agent
            .dial("9123456789", DialOptions::default())
            .await
            .is_err()
    );
    m.assert_async().await;
}

#[tokio::test]
async fn phone_dial_reads_the_ucid_from_message() {
    let mut server = server_with_token("p").await;
    let m = server
        .mock("POST", "/ca_apis/PhoneManualDial")
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "custNumber": "09123456789",
            "phoneName": AGENT_PHONE_NAME,
            "did": DID,
            "campaignName": "Offline_1",
            "callLimit": 300,
            "checkStatus": true,
        })))
        .with_body(r#"{"message":"8917496730549712345","status":"queued"}"#)
        .expect(1)
        .create_async()
        .await;
    let d = desk_agent(&client(&server))
        .phone_dial(
            "9123456789",
            PhoneDialOptions {
                call_limit: Some(Duration::from_secs(300)),
                check_status: Some(true),
                campaign: Some("Offline_1".into()),
                uui: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(d.ucid.as_deref(), Some("8917496730549712345"));
    assert_eq!(d.status, "queued");
    assert_eq!(d.message, "");
    m.assert_async().await;
}

fn dispose_body(extra: serde_json::Value) -> Matcher {
    let mut body = json!({
        "userName": USER,
        "action": "Set",
        "agentID": "asha",
        "did": DID,
        "ucid": UCID,
        "disposition": "Interested",
        "comments": "call back on Monday",
        "autoRelease": "true",
        "pauseAfterDispose": "false",
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    Matcher::Json(body)
}

fn disposition() -> Disposition {
    Disposition {
        code: "Interested".into(),
        comments: Some("call back on Monday".into()),
        auto_release: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn dispose_outcomes() {
    let mut server = server_with_token("x").await;
    let agent = desk_agent(&client(&server));
    let callback = NaiveDate::from_ymd_opt(2031, 2, 3)
        .unwrap()
        .and_hms_opt(16, 30, 59)
        .unwrap();
    let m = server
        .mock("POST", "/ca_apis/DispositionAPIV2")
        .match_body(dispose_body(json!({"callBackTime": "2031-02-03 16:30"})))
        .with_body(r#"{"status":"Success","message":"Disposition Queued Successfully"}"#)
        .expect(1)
        .create_async()
        .await;
    let out = agent
        .dispose(
            UCID,
            Disposition {
                callback_at: Some(callback),
                ..disposition()
            },
        )
        .await
        .unwrap();
    assert!(matches!(out, DispositionOutcome::Queued { .. }), "{out:?}");
    m.assert_async().await;
    m.remove_async().await;

    for (body, saved) in [
        (
            r#"{"details":"Disposition saved successfully","status":"Success"}"#,
            true,
        ),
        (
            r#"{"details":"This call is already Disposed.","status":"Fail"}"#,
            false,
        ),
    ] {
        let m = server
            .mock("POST", "/ca_apis/DispositionAPIV2")
            .match_body(dispose_body(json!({})))
            .with_body(body)
            .expect(1)
            .create_async()
            .await;
        let out = agent.dispose(UCID, disposition()).await.unwrap();
        if saved {
            assert_eq!(
                out,
                DispositionOutcome::Saved {
                    message: "Disposition saved successfully".into()
                }
            );
        } else {
            assert!(
                matches!(out, DispositionOutcome::AlreadyDisposed { .. }),
                "{out:?}"
            );
        }
        m.assert_async().await;
        m.remove_async().await;
    }

    let m = server
        .mock("POST", "/ca_apis/DispositionAPIV2")
        .match_body(dispose_body(
            json!({"pauseAfterDispose": "true", "pauseReason": "Lunch"}),
        ))
        .with_body(r#"{"details":"Disposition saved successfully","status":"Success"}"#)
        .expect(1)
        .create_async()
        .await;
    agent
        .dispose(
            UCID,
            Disposition {
                pause_after: Some("Lunch".into()),
                ..disposition()
            },
        )
        .await
        .unwrap();
    m.assert_async().await;
    m.remove_async().await;

    for (body, code) in [
        (
            r#"{"details":"Invalid agent","status":"Fail"}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"details":"Empty disposition code","status":"Fail"}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"details":"Provide pause reason.","status":"Fail"}"#,
            ErrorCode::InvalidInput,
        ),
        (
            r#"{"status":"Error","details":"Unable to Dispose . Please retry after some time."}"#,
            ErrorCode::Api,
        ),
        (
            r#"{"details":"Authentication fails","status":"Fail"}"#,
            ErrorCode::Auth,
        ),
    ] {
        let m = server
            .mock("POST", "/ca_apis/DispositionAPIV2")
            .with_body(body)
            .expect(1)
            .create_async()
            .await;
        let err = agent.dispose(UCID, disposition()).await.unwrap_err();
        assert_eq!(err.code(), code, "{body}: {err}");
        assert!(!err.is_transient(), "{body}");
        m.assert_async().await;
        m.remove_async().await;
    }
}

#[tokio::test]
async fn dispositions_lists_the_account_codes() {
    let mut server = server_with_token("l").await;
    let m = server
        .mock("POST", "/ca_apis/DispositionAPIV2")
        .match_body(Matcher::Json(json!({"userName": USER, "action": "get"})))
        .with_body(
            r#"{"status":"Success","details":[{"disposition":"Interested"},"Not Interested"]}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let list = client(&server).dispositions().await.unwrap();
    assert_eq!(list, ["Interested", "Not Interested"]);
    m.assert_async().await;
}

#[tokio::test]
async fn bad_desk_input_is_refused_with_nothing_sent() {
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let c = client(&server);
    let agent = desk_agent(&c);
    let bare = c.agent(AgentRef::new("asha")).unwrap();
    let huge = "x".repeat(100_000);
    let mut cases: Vec<(&str, helix_engage::Error)> = vec![
        ("password", agent.login("").await.unwrap_err()),
        ("password", agent.login(&huge).await.unwrap_err()),
        ("password", agent.login("a\u{0}b").await.unwrap_err()),
        ("number", bare.login(PASSWORD).await.unwrap_err()),
        ("number", bare.force_ready(PASSWORD).await.unwrap_err()),
        ("pause reason", agent.pause("  ").await.unwrap_err()),
        (
            "customer number",
            agent.dial("12", DialOptions::default()).await.unwrap_err(),
        ),
        (
            "campaign",
            bare.dial("9123456789", DialOptions::default())
                .await
                .unwrap_err(),
        ),
        (
            "uui",
            agent
                .dial(
                    "9123456789",
                    DialOptions {
                        uui: Some(huge.clone()),
                        campaign: None,
                    },
                )
                .await
                .unwrap_err(),
        ),
        (
            "phone_name",
            bare.phone_dial("9123456789", PhoneDialOptions::default())
                .await
                .unwrap_err(),
        ),
        (
            "call_limit",
            agent
                .phone_dial(
                    "9123456789",
                    PhoneDialOptions {
                        call_limit: Some(Duration::from_millis(500)),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err(),
        ),
        (
            "ucid",
            agent
                .dispose("12345678901234567890", disposition())
                .await
                .unwrap_err(),
        ),
        (
            "ucid",
            agent.dispose("abc", disposition()).await.unwrap_err(),
        ),
        ("did", bare.dispose(UCID, disposition()).await.unwrap_err()),
    ];
    for (field, bad) in [
        (
            "disposition code",
            Disposition {
                code: " ".into(),
                ..disposition()
            },
        ),
        (
            "pause reason",
            Disposition {
                pause_after: Some("".into()),
                ..disposition()
            },
        ),
        (
            "comments",
            Disposition {
                comments: Some(huge.clone()),
                ..disposition()
            },
        ),
    ] {
        cases.push((field, agent.dispose(UCID, bad).await.unwrap_err()));
    }
    for (field, err) in cases.drain(..) {
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{field}: {err}");
        let text = err.to_string();
        assert!(text.contains(field), "{field}: {text}");
        assert!(text.len() < 400, "{field}: {} bytes", text.len());
        assert!(!text.contains(PASSWORD), "{text}");
    }
    for g in guards {
        g.assert_async().await;
    }
}

// Current-thread runtime: every task runs on this thread, under the capturing subscriber.
#[tokio::test]
async fn the_password_and_key_never_leak_into_errors_debug_or_logs() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.trace_subscriber());
    let mut server = server_with_token("canary").await;
    let echo = format!("{PASSWORD} {KEY} {}", basic());
    server
        .mock("POST", LOGIN_PATH)
        .with_body(
            json!({"status": "error", "message": format!("Invalid Authentication {echo}")})
                .to_string(),
        )
        .create_async()
        .await;
    server
        .mock("POST", STATE_PATH)
        .with_status(502)
        // A state change carries no password: only the key can be echoed.
        .with_body(format!("<html>{KEY}</html>"))
        .create_async()
        .await;
    let mut events = mockito::Server::new_async().await;
    events
        .mock("POST", "/events/subscribe")
        .with_status(500)
        .with_body(format!("Unauthorized {KEY}"))
        .create_async()
        .await;
    let c = builder(&server)
        .events_base_url(events.url())
        .retry_policy(helix_engage::ozonetel::RetryPolicy::none())
        .build()
        .unwrap();
    let agent = desk_agent(&c);
    let mut texts = vec![format!("{agent:?}"), format!("{c:?}")];
    let mut push = |e: helix_engage::Error| texts.push(format!("{e} | {e:?}"));
    push(agent.login(PASSWORD).await.unwrap_err());
    push(agent.logout(PASSWORD).await.unwrap_err());
    push(agent.force_ready(PASSWORD).await.unwrap_err());
    push(agent.set_ready().await.unwrap_err());
    push(
        c.subscribe_events(&helix_engage::ozonetel::EventUrls {
            call: "https://desk.example/c".into(),
            agent: "https://desk.example/a".into(),
        })
        .await
        .unwrap_err(),
    );
    let logs = capture.text();
    assert!(
        !logs.is_empty(),
        "the subscriber captured the client's logs"
    );
    texts.push(logs);
    for text in &texts {
        assert_no_secret(text);
        assert!(!text.contains("CANARY"), "secret leaked: {text}");
    }
}
