//! `abandonCalls`: a GET with a JSON body, typed results, failures never an empty list.

mod common;

use chrono::NaiveDateTime;
use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::AbandonedCallsQuery;
use mockito::Matcher;
use serde_json::json;

const TWO_CALLS: &str = r#"{"status":"success","message":[
  {"monitorUCID":31733467784618213,"type":"Manual","status":"NotAnswered","campaign":"Inbound_918041763265","callerID":"09876543210","did":"918041763265","skillID":"2345","skill":"","agentID":"anita","agent":"Anita","hangupBy":"AgentHangup","callTime":"2025-09-01 11:49:33"},
  {"monitorUCID":"31733467784618299","type":"Inbound","status":"NotAnswered","campaign":"Inbound_918041763265","callerID":"09123456789","did":"918041763265","skillID":2345,"skill":"Sales","agentID":"","agent":"","hangupBy":"CustomerHangup","callTime":"2025-09-01 12:01:02","queueName":"new-field"}
]}"#;

/// Today's abandoned calls asked of `server`, expected to fail.
async fn today_error(server: &mockito::ServerGuard) -> helix_engage::Error {
    client(server)
        .abandoned_calls(&AbandonedCallsQuery::today())
        .await
        .unwrap_err()
}

/// `abandonCalls` answering `body` to any request, created.
async fn abandon_calls_answer(server: &mut mockito::ServerGuard, body: &str) -> mockito::Mock {
    server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_body(body)
        .create_async()
        .await
}

#[tokio::test]
async fn today_is_a_get_with_a_json_body_and_typed_items() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("t", in_an_hour());
    token_mock(&mut server, &token).await;
    let list = server
        .mock("GET", "/ca_apis/abandonCalls")
        .match_query(Matcher::Missing)
        .match_header("authorization", format!("Bearer {token}").as_str())
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({ "userName": USER })))
        .with_body(TWO_CALLS)
        .create_async()
        .await;
    let calls = client(&server)
        .abandoned_calls(&AbandonedCallsQuery::today())
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(calls.len(), 2);
    let first = &calls[0];
    assert_eq!(first.monitor_ucid, "31733467784618213", "exact above 2^53");
    assert_eq!(first.call_type, "Manual");
    assert_eq!(first.status, "NotAnswered");
    assert_eq!(first.caller_id, "09876543210");
    assert_eq!(first.skill, "");
    assert_eq!(first.hangup_by, "AgentHangup");
    assert_eq!(
        first.call_time_parsed(),
        NaiveDateTime::parse_from_str("2025-09-01 11:49:33", "%Y-%m-%d %H:%M:%S").ok()
    );
    assert_eq!(calls[1].skill_id, "2345", "numbers become text");
    assert_eq!(
        calls[1].extra["queueName"], "new-field",
        "unknown fields kept"
    );
    // Hosts get camelCase JSON with the ids as strings.
    let out = serde_json::to_value(first).unwrap();
    assert_eq!(out["monitorUcid"], "31733467784618213");
    assert_eq!(out["callerId"], "09876543210");
}

#[tokio::test]
async fn window_and_campaign_go_in_the_body() {
    let mut server = server_with_token("t").await;
    let list = server
        .mock("GET", "/ca_apis/abandonCalls")
        .match_query(Matcher::Missing)
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "fromTime": "2025-09-01 09:00:00",
            "toTime": "2025-09-01 18:30:00",
            "campaignName": "Inbound_918041763265",
        })))
        .with_body(r#"{"status":"success","message":[]}"#)
        .create_async()
        .await;
    let at = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let q = AbandonedCallsQuery::between(at("2025-09-01 09:00:00"), at("2025-09-01 18:30:00"))
        .campaign("Inbound_918041763265");
    assert!(
        client(&server)
            .abandoned_calls(&q)
            .await
            .unwrap()
            .is_empty()
    );
    list.assert_async().await;
}

#[tokio::test]
async fn a_failed_query_is_an_error_not_an_empty_list() {
    let mut server = server_with_token("t").await;
    abandon_calls_answer(
        &mut server,
        r#"{"status":"false","message":"Invalid User Details","data":null}"#,
    )
    .await;
    let err = today_error(&server).await;
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(err.to_string().contains("Invalid User Details"));
}

#[tokio::test]
async fn reads_retry_transient_failures() {
    let mut server = server_with_token("t").await;
    let e500 = server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_status(500)
        .expect(1)
        .create_async()
        .await;
    let e429 = server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_status(429)
        .with_header("retry-after", "1")
        .expect(1)
        .create_async()
        .await;
    let ok = server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_body(TWO_CALLS)
        .expect(1)
        .create_async()
        .await;
    let started = std::time::Instant::now();
    let calls = client(&server)
        .abandoned_calls(&AbandonedCallsQuery::today())
        .await
        .unwrap();
    assert_eq!(calls.len(), 2);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After honoured"
    );
    e500.assert_async().await;
    e429.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn retry_after_beyond_the_cap_returns_rate_limited() {
    let mut server = server_with_token("t").await;
    let limited = server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_status(429)
        .with_header("retry-after", "3600")
        .expect(1)
        .create_async()
        .await;
    let err = today_error(&server).await;
    match err {
        helix_engage::Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(3600)))
        }
        other => panic!("{other:?}"),
    }
    limited.assert_async().await;
}

#[tokio::test]
async fn malformed_items_are_protocol_errors() {
    let mut server = server_with_token("t").await;
    abandon_calls_answer(&mut server, r#"{"status":"success","message":"No data"}"#).await;
    let err = today_error(&server).await;
    assert_eq!(err.code(), ErrorCode::Protocol);
}
