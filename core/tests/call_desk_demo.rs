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
        // The lead's own number stays on the agent's screen; the member ID does not.
        "Customer: Great. My member ID is [member_id], and you can call me back on 98765 43210.",
        "Customer: Thank you both, that's very helpful.",
    ] {
        assert!(
            transcript.contains(line),
            "missing {line:?} in\n{transcript}"
        );
    }
    // The policy number was said while the recording was paused: the stretch is private, so
    // it left the process neither for Deepgram nor for the LLM, and it is nowhere on screen.
    assert!(
        outcome
            .transcript
            .iter()
            .any(|l| l.starts_with("[private stretch ")),
        "{transcript}"
    );
    for canary in ["4471", "9920", "policy number is"] {
        assert!(!screen.contains(canary), "{canary:?} on screen:\n{screen}");
        for body in &outcome.llm_requests {
            assert!(!body.contains(canary), "{canary:?} sent to the LLM: {body}");
        }
    }
    // Neither the member ID nor the lead's own number went to the LLM.
    assert!(!outcome.llm_requests.is_empty());
    for private in ["5521", "8890", "98765", "9876543210"] {
        for body in &outcome.llm_requests {
            assert!(
                !body.contains(private),
                "{private:?} sent to the LLM: {body}"
            );
        }
    }
    let summary = outcome.summary.as_ref().unwrap();
    // 14 spoken turns, one of them private, plus the private stretch's marker.
    assert_eq!(summary.transcript.segments.len(), 14, "{transcript}");
    assert!(
        summary.metrics.private_seconds > 1.0,
        "{:?}",
        summary.metrics
    );
    // The after-call notes suggest one of the account's dispositions; the agent confirmed it.
    assert_eq!(
        outcome.suggested_disposition.as_deref(),
        Some("Appointment Booked"),
        "{screen}"
    );
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
        "Appointment Booked · transferred to 09845012345",
        "the agent confirms the suggested disposition \"Appointment Booked\"",
        "private: no audio leaves for Deepgram",
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
