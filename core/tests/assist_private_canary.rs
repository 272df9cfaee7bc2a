//! A canary phrase said inside a private stretch, against the simulator (real WebSocket,
//! `sim_timecode`, its OpenAI stand-in), with every log line of the process captured at
//! TRACE: the phrase may appear in no event, no summary, no suggestion request and no log
//! line. A control run of the same call without the stretch shows the phrase is really in the
//! call, so its absence means something.
//!
//! Alone in its test binary: the log capture is the process's one global subscriber.

mod assist_events;
mod assist_sim_support;
mod capture;

use std::time::Duration;

use assist_events::*;
use assist_sim_support::*;
use capture::Capture;
use helix_engage::assist::{AssistEvent, CallSummary, LiveAssist, SegmentKind};
use helix_engage_sim::{Script, Simulator, Turn};
use tracing_subscriber::util::SubscriberInitExt;

const CANARY: &str = "CANARY policy 4471 2290 3316";

/// Whether any piece of the canary shows: the word, or one of its digit groups as a number of
/// its own (a time such as `3.3316` is not one).
fn leaks(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("canary")
        || lower
            .split(|c: char| !(c.is_alphanumeric() || c == '.'))
            .map(|t| t.trim_matches('.'))
            .any(|t| ["4471", "2290", "3316"].contains(&t))
}

/// The private window is call seconds 3–8; the canary is said at 4–7, inside it.
fn script() -> Script {
    Script {
        turns: vec![
            Turn::new(0, "Hello, how can I help you today?", 0.5, 2.5),
            Turn::new(1, format!("My number is {CANARY}."), 4.0, 7.0),
            Turn::new(1, "Can you check my claim status please?", 9.0, 11.5),
            Turn::new(0, "Sure, one moment please.", 12.5, 14.0),
        ],
    }
}

/// One call: 16 s streamed at 8× real time, private from 3 s to 8 s when `private`.
async fn call(private: bool) -> (Simulator, CallSummary, Vec<AssistEvent>) {
    let sim = sim(script()).await;
    let mut cfg = config(&sim);
    cfg.suggestions = Some(suggestions(&sim));
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    stream(&assist, 0.0, 3.0, 8.0).await;
    assist.set_private(private);
    stream(&assist, 3.0, 8.0, 8.0).await;
    assist.set_private(false);
    stream(&assist, 8.0, 16.0, 8.0).await;
    let summary = assist.stop().await.unwrap();
    let events = drain_until_closed(&mut events, Duration::from_secs(5)).await;
    (sim, summary, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_said_while_private_reaches_no_event_summary_request_or_log() {
    let capture = Capture::default();
    capture
        .trace_subscriber()
        .try_init()
        .expect("the only subscriber in this test binary");

    // Control: without the stretch the canary is in the transcript (in whatever form the
    // redactors leave it, something of it shows).
    let (_sim, control, _) = call(false).await;
    assert!(
        leaks(&control.transcript.render()),
        "the canary is not in the call: {}",
        control.transcript.render()
    );
    let logs_before = capture.text().len();

    let (sim, summary, events) = call(true).await;

    // The call around the stretch is transcribed, and suggestions were asked for: the
    // absence below is not an empty session.
    let rendered = summary.transcript.render();
    assert!(rendered.contains("claim status"), "{rendered}");
    assert!(rendered.contains("[private]"), "{rendered}");
    let markers: Vec<_> = summary
        .transcript
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Private)
        .collect();
    assert_eq!(markers.len(), 1);
    assert!((markers[0].start - 3.0).abs() < 0.05 && (markers[0].end - 8.0).abs() < 0.05);
    let requests = sim.openai_requests();
    assert!(!requests.is_empty(), "no suggestion request was made");
    assert!(
        requests.iter().any(|r| r.body.contains("claim status")),
        "the requests carry the transcript"
    );
    // The simulator's Deepgram saw the gap: the canary's turn was never in the audio.
    let gaps: Vec<(f64, f64)> = sim
        .deepgram_sessions()
        .iter()
        .flat_map(|s| s.timecode_gaps.clone())
        .collect();
    assert!(
        gaps.iter()
            .any(|&(from, to)| (from - 3.0).abs() < 0.05 && (to - 8.0).abs() < 0.05),
        "{gaps:?}"
    );
    // Times after the stretch are call times.
    let claim = summary
        .transcript
        .segments
        .iter()
        .find(|s| s.text.contains("claim"))
        .unwrap();
    assert!(claim.start >= 8.9 && claim.end <= 11.6, "{claim:?}");

    for event in &events {
        let json = serde_json::to_string(event).unwrap();
        assert!(!leaks(&json), "an event carries the canary: {json}");
        assert!(!leaks(&format!("{event:?}")), "{event:?}");
    }
    let json = serde_json::to_string(&summary).unwrap();
    assert!(!leaks(&json), "the summary carries the canary: {json}");
    for r in &requests {
        assert!(
            !leaks(&r.body),
            "a suggestion request carries the canary: {}",
            r.body
        );
    }
    let logs = capture.text();
    let logs = &logs[logs_before..];
    assert!(
        logs.contains("deepgram connected"),
        "the logs were captured"
    );
    assert!(!leaks(logs), "a log line carries the canary: {logs}");
    assert!(summary.complete);
}
