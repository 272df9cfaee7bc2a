//! The Deepgram key as a canary, with every log the process makes captured at TRACE —
//! `tracing` and, through the `log` bridge, the `log` records of tungstenite (whose client
//! handshake logs the raw upgrade request at TRACE). The key may appear in no log line, on
//! any connection path: the first connection, a reconnect, a refused handshake, a final 401.

mod assist_support;
mod capture;

use std::time::Duration;

use assist_support::*;
use capture::Capture;
use helix_engage::assist::{DeepgramConfig, LiveAssist};
use tracing_subscriber::util::SubscriberInitExt;

const CANARY: &str = "dg-CANARY-key-4242";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deepgram_key_never_reaches_a_log_line() {
    let capture = Capture::default();
    // The process-wide subscriber, so every thread's logs are captured; `try_init` also
    // installs the `log` → `tracing` bridge with TRACE as its level.
    capture
        .trace_subscriber()
        .try_init()
        .expect("the only subscriber in this test binary");

    // Connection 0 is dropped (reconnect), 1 is refused with a 503 (retried), 2 serves.
    let block = block_bytes(1);
    let dg = FakeDeepgram::start(Script {
        vocab: vec![String::new(), "Hello.".into(), "Again.".into()],
        drop_after: [(0, block + 10)].into(),
        refuse: [(1, (503, "busy".to_string()))].into(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.deepgram = DeepgramConfig::new(CANARY).with_url(&dg.url);
    let (assist, _events) = LiveAssist::start(cfg.clone()).await.unwrap();
    assist
        .send_audio(script_audio(&[vec![1], vec![2]]))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let summary = assist.stop().await.unwrap();
    assert_eq!(dg.attempts(), 3, "first, refused, reconnect");
    assert_eq!(summary.transcript.render(), "Agent: Hello. Again.");
    // The key really went on the wire, so its absence from the logs means something.
    let auth = dg.conns()[0].header("authorization");
    assert_eq!(auth.as_deref(), Some(format!("Token {CANARY}").as_str()));

    // A final refusal of the key.
    let refused = FakeDeepgram::start(Script {
        refuse: [(0, (401, "Invalid credentials.".to_string()))].into(),
        ..Default::default()
    })
    .await;
    cfg.deepgram = DeepgramConfig::new(CANARY).with_url(&refused.url);
    let err = LiveAssist::start(cfg).await.unwrap_err();
    let text = format!("{err} | {err:?}");

    let logs = capture.text();
    assert!(
        logs.contains("deepgram connected") && logs.contains("deepgram refused"),
        "the subscriber captured the session's logs"
    );
    for t in [&logs, &text] {
        assert!(!t.contains("CANARY"), "the Deepgram key leaked: {t}");
    }
}
