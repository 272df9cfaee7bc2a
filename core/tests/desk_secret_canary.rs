//! The agent's password and the account's key never reach an error, a Debug print or a log
//! line of the desk calls. One test in its own binary: the capturing subscriber is
//! thread-local, and other tests running beside it in one binary made its logs come out
//! empty now and then (tracing's per-callsite interest is process-wide).

mod capture;
mod common;

use capture::Capture;
use common::desk::*;
use common::*;
use serde_json::json;

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
