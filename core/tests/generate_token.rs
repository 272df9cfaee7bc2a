//! `generateToken` and the token life cycle: single flight, refresh ahead of expiry,
//! refresh-and-retry once, the hourly budget, shared stores.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{MemoryAccountStore, TOKEN_GENERATIONS_PER_HOUR};
use mockito::Matcher;

const EXPIRED: &str = r#"{"status":"false","message":"Token Expired","data":null}"#;

#[tokio::test]
async fn hundred_concurrent_first_calls_generate_exactly_one_token() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("only", in_an_hour());
    // A slow token endpoint, so the 100 callers really are waiting at the same time.
    let gen_mock = created(slow_token_endpoint(&mut server, &token), 1).await;
    let hold = bearer_call_control(&mut server, &token, HOLD_OK, 100).await;
    let client = client(&server);
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.hold("90174967305497").await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    gen_mock.assert_async().await;
    hold.assert_async().await;
}

#[tokio::test]
async fn token_expired_refreshes_once_and_retries_once() {
    let mut server = mockito::Server::new_async().await;
    let (t1, t2) = (jwt("one", in_an_hour()), jwt("two", in_an_hour()));
    let g1 = created(token_endpoint(&mut server, &t1), 1).await;
    let g2 = created(token_endpoint(&mut server, &t2), 1).await;
    let stale = bearer_call_control(&mut server, &t1, EXPIRED, 1).await;
    let fresh = bearer_call_control(&mut server, &t2, HOLD_OK, 2).await;
    let client = client(&server);
    client.hold("90174967305497").await.unwrap();
    // The refreshed token is cached: no third generation.
    client.hold("90174967305497").await.unwrap();
    g1.assert_async().await;
    g2.assert_async().await;
    stale.assert_async().await;
    fresh.assert_async().await;
}

#[tokio::test]
async fn a_token_refused_twice_is_an_auth_error_not_a_loop() {
    let mut server = mockito::Server::new_async().await;
    let gen_mock = token_endpoint(&mut server, &jwt("t", in_an_hour()))
        .expect(2)
        .create_async()
        .await;
    let refused = created(
        call_control_mock(&mut server)
            .with_body(r#"{"status":"false","message":"Invalid Token","data":null}"#),
        2,
    )
    .await;
    let err = client(&server).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(err.to_string().contains("Invalid Token"), "{err}");
    gen_mock.assert_async().await;
    refused.assert_async().await;
}

#[tokio::test]
async fn the_hourly_budget_is_never_exceeded() {
    let mut server = mockito::Server::new_async().await;
    let gen_mock = token_endpoint(&mut server, &jwt("t", in_an_hour()))
        .expect(TOKEN_GENERATIONS_PER_HOUR as usize)
        .create_async()
        .await;
    call_control_mock(&mut server)
        .with_body(EXPIRED)
        .create_async()
        .await;
    let client = client(&server);
    // Each call: the cached token is refused, one refresh, refused again. 9 calls = 10 tokens.
    for _ in 0..9 {
        let err = client.hold("90174967305497").await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Auth, "{err}");
    }
    let err = client.hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited, "{err}");
    assert!(
        err.to_string().contains("10 tokens were generated"),
        "{err}"
    );
    gen_mock.assert_async().await;
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_ahead() {
    let mut server = mockito::Server::new_async().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Lives 60 s: refresh ahead is a twelfth of that, so it is used for ~55 s.
    let short = jwt("short", now + 60);
    let long = jwt("long", in_an_hour());
    let g1 = created(token_endpoint(&mut server, &short), 1).await;
    let g2 = created(token_endpoint(&mut server, &long), 1).await;
    call_control_mock(&mut server)
        .with_body(HOLD_OK)
        .create_async()
        .await;
    let client = client(&server);
    client.hold("90174967305497").await.unwrap();
    client.hold("90174967305497").await.unwrap();
    g1.assert_async().await;
    g2.remove_async().await;
    // A token whose exp has already passed is used for the call that fetched it (the server
    // may disagree with our clock), but the next call generates a new one.
    let mut server = mockito::Server::new_async().await;
    let g = token_endpoint(&mut server, &jwt("dead", now - 10))
        .expect(2)
        .create_async()
        .await;
    call_control_mock(&mut server)
        .with_body(HOLD_OK)
        .create_async()
        .await;
    let client = common::client(&server);
    client.hold("90174967305497").await.unwrap();
    client.hold("90174967305497").await.unwrap();
    g.assert_async().await;
}

#[tokio::test]
async fn wrong_api_key_is_an_auth_error() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/ca_apis/CAToken/generateToken")
        .with_body(r#"{"status":"false","message":"Invalid userName or apiKey","data":null}"#)
        .expect(1)
        .create_async()
        .await;
    let hold = call_control_mock(&mut server)
        .expect(0)
        .create_async()
        .await;
    let err = client(&server).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(
        err.to_string().contains("Invalid userName or apiKey"),
        "{err}"
    );
    hold.assert_async().await;
}

#[tokio::test]
async fn token_answer_without_a_token_is_an_error() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/ca_apis/CAToken/generateToken")
        .with_body(r#"{"token":"","message":"UserName is null"}"#)
        .create_async()
        .await;
    let err = client(&server).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Auth);
}

#[tokio::test]
async fn two_clients_on_one_store_share_one_token() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("shared", in_an_hour());
    let gen_mock = created(token_endpoint(&mut server, &token), 1).await;
    let hold = bearer_call_control(&mut server, &token, HOLD_OK, 2).await;
    let store = MemoryAccountStore::new();
    let a = builder(&server)
        .account_store(store.clone())
        .build()
        .unwrap();
    let b = builder(&server).account_store(store).build().unwrap();
    a.hold("90174967305497").await.unwrap();
    b.hold("90174967305497").await.unwrap();
    gen_mock.assert_async().await;
    hold.assert_async().await;
}

#[tokio::test]
async fn token_endpoint_is_not_resent_after_a_5xx() {
    let mut server = mockito::Server::new_async().await;
    let gen_mock = server
        .mock("POST", "/ca_apis/CAToken/generateToken")
        .match_body(Matcher::Any)
        .with_status(500)
        .expect(1)
        .create_async()
        .await;
    let err = client(&server).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    gen_mock.assert_async().await;
}
