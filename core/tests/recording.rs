//! `Record.php` on the wire: the key in the query string, the nested success, typed errors.

mod common;

use common::*;
use helix_engage::ErrorCode;
use mockito::Matcher;

/// `Record.php` asked for `action` on the test call, with the key in the query; not yet
/// created.
fn record_php(server: &mut mockito::ServerGuard, action: &str) -> mockito::Mock {
    server
        .mock("GET", "/CAServices/Call/Record.php")
        .match_query(query(action))
}

fn query(action: &str) -> Matcher {
    Matcher::AllOf(vec![
        Matcher::UrlEncoded("userName".into(), USER.into()),
        Matcher::UrlEncoded("apiKey".into(), KEY.into()),
        Matcher::UrlEncoded("action".into(), action.into()),
        Matcher::UrlEncoded("ucid".into(), "90174967305497".into()),
    ])
}

#[tokio::test]
async fn pause_sends_the_query_and_reads_the_nested_success() {
    let mut server = mockito::Server::new_async().await;
    let no_token = no_token_requested(&mut server).await;
    let pause = record_php(&mut server, "pause")
        .match_header("authorization", Matcher::Missing)
        .with_body(r#"{"status":"Error","message":"{\"status\":\"Success\",\"message\":\"paused monitoring of the channel\"}"}"#)
        .create_async()
        .await;
    let r = client(&server)
        .pause_recording("90174967305497")
        .await
        .unwrap();
    assert!(r.paused);
    assert_eq!(r.message, "paused monitoring of the channel");
    pause.assert_async().await;
    no_token.assert_async().await;
}

#[tokio::test]
async fn resume_sends_unpause() {
    let mut server = mockito::Server::new_async().await;
    let resume = record_php(&mut server, "unPause")
        .with_body(r#"{"status":"Error","message":"{\"status\":\"Success\",\"message\":\"Unpaused monitoring of the channel\"}"}"#)
        .create_async()
        .await;
    let r = client(&server)
        .resume_recording("90174967305497")
        .await
        .unwrap();
    assert!(!r.paused);
    assert_eq!(r.message, "Unpaused monitoring of the channel");
    resume.assert_async().await;
}

#[tokio::test]
async fn documented_errors_are_typed_and_keyless() {
    let cases = [
        ("ucid is Invalid", ErrorCode::Api),
        ("ucid should not be empty", ErrorCode::Api),
        ("userName or apiKey is Invalid", ErrorCode::Auth),
        ("action should be either pause or unPause", ErrorCode::Api),
    ];
    for (message, code) in cases {
        let mut server = mockito::Server::new_async().await;
        server
            .mock("GET", "/CAServices/Call/Record.php")
            .match_query(Matcher::Any)
            .with_body(format!(r#"{{"status":"Error","message":"{message}"}}"#))
            .create_async()
            .await;
        let err = client(&server)
            .pause_recording("90174967305497")
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{message}");
        let text = format!("{err} {err:?}");
        assert!(text.contains(message), "{text}");
        assert!(!text.contains(KEY), "key leaked: {text}");
    }
}

#[tokio::test]
async fn an_unreachable_host_does_not_leak_the_url_or_key() {
    // Nothing listens on this port: reqwest's error would carry the URL with the key.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = helix_engage::ozonetel::Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(helix_engage::ozonetel::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.pause_recording("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transport);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(!text.contains("Record.php?"), "{text}");
}
