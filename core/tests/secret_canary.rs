//! A canary API key and token run through every failure path: neither may appear in an error
//! message, a Debug print or a captured log line.

mod capture;
mod common;

use capture::Capture;
use common::*;
use helix_engage::ozonetel::{AbandonedCallsQuery, CallRecordsQuery, Client, RetryPolicy};

// Current-thread runtime: every task runs on this thread, under the capturing subscriber.
#[tokio::test]
async fn the_key_and_token_never_leak() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.trace_subscriber());

    // An opaque token (no JWT exp), so the canary text is literally in it.
    let token = "CANARY-opaque-token-77";
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, token).await;
    // The server echoes the key back in an HTML error page and in a JSON message.
    call_control_mock(&mut server)
        .with_body(format!("<html>bad key {KEY} token {token}</html>"))
        .create_async()
        .await;
    server
        .mock("GET", "/CAServices/Call/Record.php")
        .match_query(mockito::Matcher::Any)
        .with_body(format!(
            r#"{{"status":"Error","message":"userName or apiKey is Invalid: {KEY}"}}"#
        ))
        .create_async()
        .await;
    server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_status(500)
        .with_body(format!("upstream said {KEY}"))
        .create_async()
        .await;
    server
        .mock("GET", "/ca_reports/fetchCDRDetails")
        .with_body(r#"{"status":"false","message":"Token Expired"}"#)
        .create_async()
        .await;
    let c = client(&server);

    let mut texts = vec![
        format!("{c:?}"),
        format!("{:?}", builder(&server)),
        format!("{:?}", agent_of(&c)),
    ];
    let mut push = |e: helix_engage::Error| texts.push(format!("{e} | {e:?}"));
    push(agent_of(&c).hold("123").await.unwrap_err());
    push(c.pause_recording("123").await.unwrap_err());
    push(c.resume_recording("123").await.unwrap_err());
    push(
        c.abandoned_calls(&AbandonedCallsQuery::today())
            .await
            .unwrap_err(),
    );
    push(
        c.call_records(&CallRecordsQuery::day(
            chrono::Utc::now().date_naive() - chrono::Days::new(1),
        ))
        .await
        .unwrap_err(),
    );

    // Unreachable host (reqwest's error text would carry the URL with the key) and timeouts.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let offline = Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(dead)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    push(offline.pause_recording("123").await.unwrap_err());
    push(
        offline
            .abandoned_calls(&AbandonedCallsQuery::today())
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
        assert!(!text.contains("CANARY"), "secret leaked: {text}");
    }
    // The redaction left a marker where the echo was, so the failure is still explained.
    assert!(texts.iter().any(|t| t.contains("[redacted]")));
}
