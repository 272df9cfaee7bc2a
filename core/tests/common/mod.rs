//! Shared helpers for the wire tests: a client pointed at a local mock server, and a token
//! endpoint that hands out JWT-shaped tokens.
#![allow(dead_code)]

pub mod desk;
pub mod raw_http;

use std::time::Duration;

use base64::Engine;
use helix_engage::ozonetel::{Agent, AgentRef, Client, ClientBuilder, RetryPolicy};
use mockito::{Matcher, Mock, ServerGuard};

pub const USER: &str = "acme";
pub const KEY: &str = "CANARY-8f3a9c-secret-api-key";
pub const DID: &str = "918041763265";
pub const AGENT_PHONE_NAME: &str = "523590";
pub const AGENT_NUMBER: &str = "09876500000";
/// `CallControl_V4`'s answer to a successful HOLD.
pub const HOLD_OK: &str = r#"{"status":"Success","message":"User hold is successful"}"#;

/// A builder for a client on `server`, with fast retries so failure tests stay quick.
pub fn builder(server: &ServerGuard) -> ClientBuilder {
    Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(server.url())
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        })
}

pub fn client(server: &ServerGuard) -> Client {
    builder(server).build().expect("valid test client")
}

/// The test agent (DID, SIP extension, number) on `client`.
pub fn agent_of(client: &Client) -> Agent {
    client
        .agent(
            AgentRef::new("asha")
                .with_did(DID)
                .with_phone_name(AGENT_PHONE_NAME)
                .with_number("9876500000"),
        )
        .expect("valid test agent")
}

/// The test agent on a client for `server`.
pub fn agent(server: &ServerGuard) -> Agent {
    agent_of(&client(server))
}

/// A JWT-shaped token whose payload carries `exp` (unix seconds) and a marker.
pub fn jwt(marker: &str, exp_unix: u64) -> String {
    let b64 = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#.to_string()),
        b64(format!(
            r#"{{"exp":{exp_unix},"userName":"acme","n":"{marker}"}}"#
        ))
    )
}

pub fn in_an_hour() -> u64 {
    (std::time::SystemTime::now() + Duration::from_secs(3600))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `generateToken` answering `token`, asserting the wire shape; not yet created, so a test
/// can add `expect` before `create_async`.
pub fn token_endpoint(server: &mut ServerGuard, token: &str) -> Mock {
    server
        .mock("POST", "/ca_apis/CAToken/generateToken")
        .match_header("apiKey", KEY)
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(serde_json::json!({ "userName": USER })))
        .with_status(200)
        .with_body(format!(r#"{{"token":"{token}","message":""}}"#))
}

/// `generateToken` answering `token` after 300 ms, so concurrent callers really overlap;
/// not yet created.
pub fn slow_token_endpoint(server: &mut ServerGuard, token: &str) -> Mock {
    let body = format!(r#"{{"token":"{token}","message":""}}"#);
    server
        .mock("POST", "/ca_apis/CAToken/generateToken")
        .match_header("apiKey", KEY)
        .with_chunked_body(move |w| {
            std::thread::sleep(Duration::from_millis(300));
            w.write_all(body.as_bytes())
        })
}

/// A mock server whose token endpoint already answers a fresh JWT marked `marker`: the
/// set-up of every test about what comes after the token.
pub async fn server_with_token(marker: &str) -> ServerGuard {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(marker, in_an_hour())).await;
    server
}

/// A `CallControl_V4` mock on `server`, to be shaped and created by the test.
pub fn call_control_mock(server: &mut ServerGuard) -> Mock {
    server.mock("POST", "/ca_apis/CallControl_V4")
}

/// A token endpoint that fails the test (on `assert`) if it is asked at all: for the calls
/// that authenticate with the API key alone.
pub async fn no_token_requested(server: &mut ServerGuard) -> Mock {
    created(server.mock("POST", "/ca_apis/CAToken/generateToken"), 0).await
}

/// `mock` expecting exactly `times` requests, created.
pub async fn created(mock: Mock, times: usize) -> Mock {
    mock.expect(times).create_async().await
}

/// `CallControl_V4` answering `body` to exactly `times` requests that carry `token` as their
/// bearer, created.
pub async fn bearer_call_control(
    server: &mut ServerGuard,
    token: &str,
    body: &str,
    times: usize,
) -> Mock {
    let mock = call_control_mock(server)
        .match_header("authorization", format!("Bearer {token}").as_str())
        .with_body(body);
    created(mock, times).await
}

/// [`token_endpoint`], created.
pub async fn token_mock(server: &mut ServerGuard, token: &str) -> Mock {
    token_endpoint(server, token).create_async().await
}

/// Catch-alls that fail the test (on `assert`) if anything at all is requested.
pub async fn nothing_sent(server: &mut ServerGuard) -> Vec<Mock> {
    let mut mocks = Vec::new();
    for method in ["GET", "POST", "PUT", "DELETE"] {
        mocks.push(
            server
                .mock(method, Matcher::Any)
                .expect(0)
                .create_async()
                .await,
        );
    }
    mocks
}

/// Waits (off the runtime's threads) for child processes to end; fails the test for any that
/// did not succeed.
pub async fn all_succeed(children: Vec<std::process::Child>) {
    let statuses = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|mut c| c.wait().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for status in statuses {
        assert!(status.success(), "a child process failed: {status}");
    }
}

/// The Redis the suite runs against (`scripts/test.sh` starts one and sets the variable).
pub fn redis_url() -> String {
    match std::env::var("HELIX_TEST_REDIS_URL") {
        Ok(url) => url,
        Err(_) => panic!(
            "HELIX_TEST_REDIS_URL is not set: run the suite through scripts/test.sh, which \
             installs and starts redis-server"
        ),
    }
}

/// A Redis key prefix no other test (or run) uses.
pub fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("helix-test:{}:{nanos}:", std::process::id())
}
