//! Warm and cold transfers built from CONFERENCE and KICK_CALL.

mod common;

use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{TransferMode, TransferState};
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::json;

const UCID: &str = "90174967305497";
const TARGET: &str = "09123456789";

async fn action(
    server: &mut ServerGuard,
    action: &str,
    number: &str,
    reply: &str,
    hits: usize,
) -> Mock {
    call_control_mock(server)
        .match_body(Matcher::PartialJson(json!({
            "action": action,
            "ucid": UCID,
            "conferenceNumber": number,
        })))
        .with_body(reply)
        .expect(hits)
        .create_async()
        .await
}

const OK: &str = r#"{"status":"Success","message":"ok"}"#;

#[tokio::test]
async fn warm_transfer_conferences_then_complete_kicks_the_agent() {
    let mut server = server_with_token("t").await;
    let conf = action(&mut server, "CONFERENCE", TARGET, OK, 1).await;
    let kick_agent = action(&mut server, "KICK_CALL", AGENT_NUMBER, OK, 1).await;
    let kick_target = action(&mut server, "KICK_CALL", TARGET, OK, 0).await;
    let t = agent(&server)
        .transfer(UCID, "+91 91234-56789", TransferMode::Warm)
        .await
        .unwrap();
    assert_eq!(t.state(), TransferState::Conferenced);
    assert_eq!(t.target(), TARGET);
    conf.assert_async().await;
    t.complete().await.unwrap();
    assert_eq!(t.state(), TransferState::Completed);
    kick_agent.assert_async().await;
    // Finished transfers cannot be finished again, from any clone.
    let again = t.clone().complete().await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::Closed);
    assert!(again.to_string().contains("already completed"), "{again}");
    assert_eq!(t.cancel().await.unwrap_err().code(), ErrorCode::Closed);
    kick_agent.assert_async().await;
    kick_target.assert_async().await;
}

#[tokio::test]
async fn warm_transfer_cancel_kicks_the_target() {
    let mut server = server_with_token("t").await;
    action(&mut server, "CONFERENCE", TARGET, OK, 1).await;
    let kick_target = action(&mut server, "KICK_CALL", TARGET, OK, 1).await;
    let kick_agent = action(&mut server, "KICK_CALL", AGENT_NUMBER, OK, 0).await;
    let t = agent(&server)
        .transfer(UCID, TARGET, TransferMode::Warm)
        .await
        .unwrap();
    t.cancel().await.unwrap();
    assert_eq!(t.state(), TransferState::Cancelled);
    assert!(
        t.complete()
            .await
            .unwrap_err()
            .to_string()
            .contains("already cancelled")
    );
    kick_target.assert_async().await;
    kick_agent.assert_async().await;
}

#[tokio::test]
async fn cold_transfer_does_both_at_once() {
    let mut server = server_with_token("t").await;
    let conf = action(&mut server, "CONFERENCE", TARGET, OK, 1).await;
    let kick_agent = action(&mut server, "KICK_CALL", AGENT_NUMBER, OK, 1).await;
    let t = agent(&server)
        .transfer(UCID, TARGET, TransferMode::Cold)
        .await
        .unwrap();
    assert_eq!(t.state(), TransferState::Completed);
    conf.assert_async().await;
    kick_agent.assert_async().await;
}

#[tokio::test]
async fn a_failed_conference_names_step_one_and_kicks_nobody() {
    let mut server = server_with_token("t").await;
    action(
        &mut server,
        "CONFERENCE",
        TARGET,
        r#"{"status":"Error","message":"Call not Found"}"#,
        1,
    )
    .await;
    let kick = created(
        call_control_mock(&mut server)
            .match_body(Matcher::PartialJson(json!({ "action": "KICK_CALL" }))),
        0,
    )
    .await;
    let err = agent(&server)
        .transfer(UCID, TARGET, TransferMode::Cold)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    assert!(err.to_string().contains("step 1 (CONFERENCE"), "{err}");
    assert!(err.to_string().contains("Call not Found"), "{err}");
    kick.assert_async().await;
}

#[tokio::test]
async fn a_failed_cold_kick_names_step_two_and_is_not_resent() {
    let mut server = server_with_token("t").await;
    action(&mut server, "CONFERENCE", TARGET, OK, 1).await;
    let kick = call_control_mock(&mut server)
        .match_body(Matcher::PartialJson(json!({ "action": "KICK_CALL" })))
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let err = agent(&server)
        .transfer(UCID, TARGET, TransferMode::Cold)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("step 2 (KICK_CALL the agent)"),
        "{err}"
    );
    kick.assert_async().await;
}

#[tokio::test]
async fn a_failed_warm_complete_can_be_tried_again() {
    let mut server = server_with_token("t").await;
    action(&mut server, "CONFERENCE", TARGET, OK, 1).await;
    let fail = action(
        &mut server,
        "KICK_CALL",
        AGENT_NUMBER,
        r#"{"status":"Error","message":"Call not Found"}"#,
        1,
    )
    .await;
    let ok = action(&mut server, "KICK_CALL", AGENT_NUMBER, OK, 1).await;
    let t = agent(&server)
        .transfer(UCID, TARGET, TransferMode::Warm)
        .await
        .unwrap();
    let err = t.complete().await.unwrap_err();
    assert!(err.to_string().contains("still on the call"), "{err}");
    assert_eq!(t.state(), TransferState::Conferenced);
    t.complete().await.unwrap();
    fail.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn transfer_needs_the_agent_number_before_anything_is_sent() {
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let agent = client(&server)
        .agent(
            helix_engage::ozonetel::AgentRef::new("asha")
                .with_did(DID)
                .with_phone_name(AGENT_PHONE_NAME),
        )
        .unwrap();
    let err = agent
        .transfer(UCID, TARGET, TransferMode::Warm)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("agent's number"), "{err}");
    for g in guards {
        g.assert_async().await;
    }
}
