//! `CallControl_V4` on the wire: method, path, headers, body, typed results and errors.

mod common;

use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::CallAction;
use mockito::Matcher;
use serde_json::json;

fn body(action: &str, number: &str) -> Matcher {
    Matcher::Json(json!({
        "userName": USER,
        "action": action,
        "ucid": "90174967305497",
        "conferenceNumber": number,
        "did": DID,
        "agentPhoneName": AGENT_PHONE_NAME,
    }))
}

#[tokio::test]
async fn hold_sends_bearer_token_and_exact_body() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("t1", in_an_hour());
    let gen_mock = token_mock(&mut server, &token).await;
    let hold = call_control_mock(&mut server)
        .match_header("authorization", format!("Bearer {token}").as_str())
        .match_header("content-type", "application/json")
        .match_body(body("HOLD", ""))
        .with_body(
            r#"{"status":"Success","message":"User hold is successful","ucid":"90174967305497"}"#,
        )
        .create_async()
        .await;
    let client = client(&server);
    let response = agent_of(&client)
        .call_control(CallAction::Hold, " 90174967305497 ", None)
        .await
        .unwrap();
    assert_eq!(response.action, CallAction::Hold);
    assert_eq!(response.status, "Success");
    assert_eq!(response.message, "User hold is successful");
    assert_eq!(response.ucid.as_deref(), Some("90174967305497"));
    gen_mock.assert_async().await;
    hold.assert_async().await;
}

#[tokio::test]
async fn every_action_uses_its_wire_name() {
    let mut server = server_with_token("t").await;
    let client = client(&server);
    let cases = [
        (CallAction::Hold, ""),
        (CallAction::Unhold, ""),
        (CallAction::Mute, ""),
        (CallAction::Unmute, ""),
        (CallAction::Conference, "09876543210"),
        (CallAction::KickCall, "09876543210"),
    ];
    for (action, number) in cases {
        let mock = call_control_mock(&mut server)
            .match_body(body(action.as_str(), number))
            .with_body(r#"{"status":"Success","message":"ok"}"#)
            .expect(1)
            .create_async()
            .await;
        let arg = (!number.is_empty()).then_some("+91 98765-43210");
        agent_of(&client)
            .call_control(action, "90174967305497", arg)
            .await
            .unwrap();
        mock.assert_async().await;
        mock.remove_async().await;
    }
}

#[tokio::test]
async fn conference_normalises_the_number_and_kick_uses_it() {
    let mut server = server_with_token("t").await;
    let conf = call_control_mock(&mut server)
        .match_body(body("CONFERENCE", "09876543210"))
        .with_body(r#"{"status":"Success","message":"dialing","ucid":90174967305497}"#)
        .create_async()
        .await;
    let client = client(&server);
    let r = agent_of(&client)
        .conference("90174967305497", "919876543210")
        .await
        .unwrap();
    assert_eq!(r.message, "dialing");
    assert_eq!(
        r.ucid.as_deref(),
        Some("90174967305497"),
        "numeric ucid kept exact"
    );
    conf.assert_async().await;
}

#[tokio::test]
async fn call_not_found_is_an_api_error_with_the_message() {
    let mut server = server_with_token("t").await;
    call_control_mock(&mut server)
        .with_body(r#"{"status":"Error","message":"Call not Found"}"#)
        .create_async()
        .await;
    let err = agent(&server).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    assert!(err.to_string().contains("Call not Found"), "{err}");
    assert!(
        err.to_string().contains("HOLD on call 90174967305497"),
        "{err}"
    );
}

#[tokio::test]
async fn conference_and_kick_are_never_resent_after_a_5xx() {
    let mut server = server_with_token("t").await;
    let failing = call_control_mock(&mut server)
        .with_status(502)
        .with_body("<html>Bad Gateway</html>")
        .expect(2)
        .create_async()
        .await;
    let client = client(&server);
    let err = agent_of(&client)
        .conference("90174967305497", "9876543210")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    let err = agent_of(&client)
        .kick("90174967305497", "9876543210")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    failing.assert_async().await; // one request each, no retries
}

#[tokio::test]
async fn conference_is_not_resent_after_a_timeout() {
    let mut server = server_with_token("t").await;
    let slow = call_control_mock(&mut server)
        .with_chunked_body(|w| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            w.write_all(br#"{"status":"Success","message":"dialing"}"#)
        })
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server)
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let err = agent_of(&client)
        .conference("90174967305497", "9876543210")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    slow.assert_async().await;
}

#[tokio::test]
async fn hold_retries_a_transient_5xx() {
    let mut server = server_with_token("t").await;
    // mockito serves the first matching mock that still misses hits: 503, then success.
    let failing = created(call_control_mock(&mut server).with_status(503), 1).await;
    let ok = created(
        call_control_mock(&mut server)
            .with_body(r#"{"status":"Success","message":"User hold is successful"}"#),
        1,
    )
    .await;
    let r = agent(&server).hold("90174967305497").await.unwrap();
    assert_eq!(r.message, "User hold is successful");
    failing.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn retries_give_up_after_the_policy_and_say_so() {
    let mut server = server_with_token("t").await;
    let failing = created(call_control_mock(&mut server).with_status(500), 3).await;
    let err = agent(&server).unhold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    failing.assert_async().await;
}

#[tokio::test]
async fn html_and_empty_bodies_are_protocol_errors() {
    let mut server = server_with_token("t").await;
    let html = call_control_mock(&mut server)
        .with_body("<html><body>Maintenance</body></html>")
        .create_async()
        .await;
    let client = client(&server);
    let err = agent_of(&client).mute("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Protocol);
    assert!(
        err.to_string().contains("Maintenance"),
        "snippet kept: {err}"
    );
    html.remove_async().await;
    call_control_mock(&mut server)
        .with_body("")
        .create_async()
        .await;
    assert_eq!(
        agent_of(&client)
            .unmute("90174967305497")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Protocol
    );
}

#[tokio::test]
async fn basic_mode_sends_the_api_key_header_and_never_asks_for_a_token() {
    let mut server = mockito::Server::new_async().await;
    let no_token = no_token_requested(&mut server).await;
    let hold = call_control_mock(&mut server)
        .match_header("apiKey", KEY)
        .match_header("authorization", Matcher::Missing)
        .match_body(body("HOLD", ""))
        .with_body(r#"{"status":"Success","message":"User hold is successful"}"#)
        .expect(2)
        .create_async()
        .await;
    let client = builder(&server)
        .auth_mode(helix_engage::ozonetel::AuthMode::Basic)
        .build()
        .unwrap();
    agent_of(&client).hold("90174967305497").await.unwrap();
    agent_of(&client).hold("90174967305497").await.unwrap();
    hold.assert_async().await;
    no_token.assert_async().await;
}

#[tokio::test]
async fn basic_mode_against_a_token_account_says_so() {
    let mut server = mockito::Server::new_async().await;
    call_control_mock(&mut server)
        .with_body(
            r#"{"status":"false","message":"Token Should Not be Null or Empty.","data":null}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server)
        .auth_mode(helix_engage::ozonetel::AuthMode::Basic)
        .build()
        .unwrap();
    let err = agent_of(&client).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(err.to_string().contains("AuthMode::Token"), "{err}");
}
