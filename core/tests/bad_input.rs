//! Bad input is an `invalid_input` error naming the problem, and nothing is sent.

mod common;

use chrono::{Days, FixedOffset, NaiveDateTime, Utc};
use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{
    AbandonedCallsQuery, AgentRef, CallAction, CallRecordsQuery, TransferMode,
};

#[tokio::test]
async fn bad_inputs_fail_before_any_request() {
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let c = client(&server);
    let a = agent_of(&c);
    let now = Utc::now()
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .naive_local();
    let day = |n: u64| now - Days::new(n);
    let at = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();

    let mut cases: Vec<(&str, helix_engage::Error)> = Vec::new();
    for ucid in ["", "   ", "abc", "1234 5678", "12-34"] {
        cases.push((
            "ucid",
            a.call_control(CallAction::Hold, ucid, None)
                .await
                .unwrap_err(),
        ));
        cases.push(("ucid", c.pause_recording(ucid).await.unwrap_err()));
    }
    cases.push((
        "needs a phone number",
        a.call_control(CallAction::Conference, "123", None)
            .await
            .unwrap_err(),
    ));
    cases.push((
        "needs a phone number",
        a.call_control(CallAction::KickCall, "123", Some("  "))
            .await
            .unwrap_err(),
    ));
    for number in [
        "98765abc10",
        "12345",
        "+1 415 555 0100",
        "0987654321",
        "98765432109876",
    ] {
        cases.push((
            "phone number",
            a.conference("123", number).await.unwrap_err(),
        ));
        cases.push((
            "phone number",
            a.transfer("123", number, TransferMode::Warm)
                .await
                .unwrap_err(),
        ));
    }
    cases.push((
        "transfer target is the agent",
        a.transfer("123", AGENT_NUMBER, TransferMode::Cold)
            .await
            .unwrap_err(),
    ));
    cases.push((
        "ends",
        c.call_records(&CallRecordsQuery::between(day(1), day(2)))
            .await
            .unwrap_err(),
    ));
    cases.push((
        "future",
        c.call_records(&CallRecordsQuery::between(
            now + Days::new(1),
            now + Days::new(1),
        ))
        .await
        .unwrap_err(),
    ));
    cases.push((
        "15 days",
        c.call_records(&CallRecordsQuery::between(day(16), day(16)))
            .await
            .unwrap_err(),
    ));
    cases.push((
        "15 days",
        c.call_record("123", day(20).date()).await.unwrap_err(),
    ));
    cases.push(("ucid", c.call_record("x", day(1).date()).await.unwrap_err()));
    cases.push((
        "before it starts",
        c.abandoned_calls(&AbandonedCallsQuery::between(
            at("2026-01-02 00:00:00"),
            at("2026-01-01 00:00:00"),
        ))
        .await
        .unwrap_err(),
    ));

    for (needle, err) in cases {
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
        assert!(err.to_string().contains(needle), "{needle:?} not in {err}");
    }
    for g in guards {
        g.assert_async().await;
    }
}

#[tokio::test]
async fn call_control_needs_the_agents_did_and_phone_name() {
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let c = client(&server);
    let bare = c.agent(AgentRef::new("asha")).unwrap();
    let err = bare.hold("123").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("did"), "{err}");
    let no_phone_name = c.agent(AgentRef::new("asha").with_did(DID)).unwrap();
    let err = no_phone_name.hold("123").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("phone_name"), "{err}");
    for g in guards {
        g.assert_async().await;
    }
}

/// A huge argument gives a short message: at most a prefix of it is quoted back.
#[tokio::test]
async fn huge_inputs_are_quoted_by_a_short_prefix() {
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let c = client(&server);
    let a = agent_of(&c);
    let huge = "9".repeat(10_000_000);
    let huge_text = "x".repeat(10_000_000);
    let errors = [
        a.call_control(CallAction::Hold, &huge, None)
            .await
            .unwrap_err(),
        c.pause_recording(&huge_text).await.unwrap_err(),
        a.conference("123", &huge).await.unwrap_err(),
        a.conference("123", &format!("+{huge}")).await.unwrap_err(),
        a.conference("123", &format!("{huge_text}1"))
            .await
            .unwrap_err(),
        CallAction::parse(&huge_text).unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
        assert!(
            err.to_string().len() < 400,
            "{} bytes",
            err.to_string().len()
        );
    }
    for g in guards {
        g.assert_async().await;
    }
}
