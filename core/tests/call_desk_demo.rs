//! The call-desk demo runs end to end on the simulator (its fast mode: ~3 s): the transcript
//! comes out whole, suggestions arrive, the warm transfer completes and the reports list the
//! seeded missed calls and today's history, including the call just made.

// The demo's own modules, compiled here as they are in the example: the test runs exactly the
// code `cargo run --example call_desk` runs.
#[allow(dead_code)]
#[path = "../examples/call_desk/audio_file.rs"]
mod audio_file;
#[allow(dead_code)]
#[path = "../examples/call_desk/desk.rs"]
mod desk;
#[allow(dead_code)]
#[path = "../examples/call_desk/events.rs"]
mod events;
#[allow(dead_code)]
#[path = "../examples/call_desk/output.rs"]
mod output;
#[allow(dead_code)]
#[path = "../examples/call_desk/script.rs"]
mod script;
#[allow(dead_code)]
#[path = "../examples/call_desk/setup.rs"]
mod setup;
#[allow(dead_code)]
#[path = "../examples/call_desk/streamer.rs"]
mod streamer;

/// Collects what the demo prints.
mod capture;

use capture::Capture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_on_the_simulator() {
    let capture = Capture::default();
    let out = output::Out::new(Box::new(capture.clone()), false);
    let opts = desk::Options {
        fast: true,
        ..Default::default()
    };
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(30), desk::run(opts, out))
        .await
        .expect("the demo finishes")
        .expect("the demo succeeds");
    let screen = capture.text();

    let transcript = outcome.transcript.join("\n");
    assert!(
        transcript.starts_with(
            "Agent: Good morning, this is Priya from Helix Health. Am I speaking with Mr. Sharma?"
        ),
        "{transcript}"
    );
    for line in [
        "Customer: Sure. My policy number is HX 4471 9920 with Star Health.",
        "Customer: Thank you both, that's very helpful.",
    ] {
        assert!(
            transcript.contains(line),
            "missing {line:?} in\n{transcript}"
        );
    }
    let summary = outcome.summary.as_ref().unwrap();
    assert_eq!(summary.transcript.segments.len(), 12, "{transcript}");
    assert!(summary.complete && summary.error.is_none());
    assert!(outcome.suggestions > 0, "{screen}");
    assert!(outcome.transfer_completed, "{screen}");
    assert_eq!(outcome.missed_calls, 2, "{screen}");
    // Five seeded calls plus the one the demo dialled.
    assert_eq!(outcome.history, 6, "{screen}");
    // The call came from the agent's dial and its events arrived as it progressed; the
    // disposition was saved after the call (ending ACW) and the agent logged out.
    for event in [
        "agent Login",
        "agent Ready",
        "call Calling",
        "call Answered",
        "call Disconnect",
        "agent ACW",
    ] {
        assert!(
            outcome.events.iter().any(|e| e == event),
            "missing {event:?} in {:?}",
            outcome.events
        );
    }
    let position = |e: &str| outcome.events.iter().position(|x| x == e).unwrap();
    assert!(position("call Calling") < position("call Answered"));
    assert!(position("call Answered") < position("call Disconnect"));
    assert_eq!(outcome.disposition.as_deref(), Some("Saved"), "{screen}");
    assert!(outcome.logged_out, "{screen}");

    for text in [
        "[on hold]",
        "[muted]",
        "recording PAUSED",
        "conference 09845012345",
        "transferred to 09845012345",
        "9001122334",
        "» [answer]",
        "click-to-call the lead 9876543210",
        "Appointment booked · transferred to 09845012345",
        "logs out",
    ] {
        assert!(
            screen.contains(text),
            "missing {text:?} on screen:\n{screen}"
        );
    }
    // Plain text when not on a terminal.
    assert!(!screen.contains('\x1b'), "{screen}");
}
