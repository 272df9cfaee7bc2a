//! A hostile Deepgram: before the call's real results, the first connection sends garbage,
//! binary frames, 20 MB frames, Results with absurd times and channels, duplicate keys, deep
//! nesting, unknown types, closes with odd codes — or stops reading altogether. Each case is
//! a warning (or a reconnect, or for an undecodable-audio close a typed error); where the
//! stream can go on, the call's words still arrive at sane times; the process survives.

mod assist_events;
mod assist_support;

use std::time::Duration;

use assist_events::assert_messages_bounded;
use assist_support::*;
use futures::future::join_all;
use helix_engage::ErrorCode;
use helix_engage::assist::{AssistEvent, LiveAssist, WarningKind};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// What a case must show.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// A warning of this kind, and the call's words.
    Warns(WarningKind),
    /// The connection is replaced (a `Reconnecting` event), and the call's words.
    Reconnects,
    /// Nothing in particular (the frame is ignored or taken as Deepgram's), and the words.
    Words,
    /// The session ends with this error code.
    Fails(ErrorCode),
}

struct Case {
    name: &'static str,
    frames: Vec<Message>,
    deaf: bool,
    /// The first handshake is answered this late.
    slow: Option<Duration>,
    expect: Expect,
}

fn text(s: impl Into<String>) -> Message {
    Message::text(s.into())
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_string().into(),
    }))
}

/// A final Results on channel 0 with these (raw JSON) fields in place of the sane ones.
fn results(start: &str, duration: &str, channel_index: &str, words: &str) -> Message {
    text(format!(
        r#"{{"type":"Results","channel_index":{channel_index},"start":{start},"duration":{duration},"is_final":true,"speech_final":true,"channel":{{"alternatives":[{{"transcript":"Boom.","confidence":1,"words":[{words}]}}]}}}}"#
    ))
}

fn word(start: &str, end: &str) -> String {
    format!(r#"{{"word":"boom","start":{start},"end":{end},"confidence":1}}"#)
}

fn deep(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn case(name: &'static str, frames: Vec<Message>, expect: Expect) -> Case {
    Case {
        name,
        frames,
        deaf: false,
        slow: None,
        expect,
    }
}

use Expect::{Fails, Reconnects, Warns, Words};
use WarningKind::{BadMessage, UnknownMessage};

fn cases() -> Vec<Case> {
    let w = word("0.0", "0.2");
    vec![
        case(
            "garbage text",
            vec![text("not json {{{ \u{0}")],
            Warns(BadMessage),
        ),
        case("an empty text frame", vec![text("")], Warns(BadMessage)),
        case(
            "a binary frame",
            vec![Message::binary(vec![0xff; 1000])],
            Warns(BadMessage),
        ),
        case(
            "a 20 MB text frame",
            vec![text("x".repeat(20 << 20))],
            Reconnects,
        ),
        case(
            "a 20 MB binary frame",
            vec![Message::binary(vec![0u8; 20 << 20])],
            Reconnects,
        ),
        case(
            "a 3 MB unknown message",
            vec![text(format!(
                r#"{{"type":"Error","description":"{}"}}"#,
                "d".repeat(3 << 20)
            ))],
            Warns(UnknownMessage),
        ),
        case(
            "a 3 MB string where a number goes",
            vec![results(
                &format!("\"{}\"", "s".repeat(3 << 20)),
                "0.25",
                "[0,1]",
                &w,
            )],
            Warns(BadMessage),
        ),
        case(
            "start 1e300",
            vec![results("1e300", "0.25", "[0,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "start -5",
            vec![results("-5", "0.25", "[0,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "start 1e400",
            vec![results("1e400", "0.25", "[0,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "duration 1e308",
            vec![results("0", "1e308", "[0,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "duration -1e308",
            vec![results("0", "-1e308", "[0,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "word times 1e300",
            vec![results("0", "0.25", "[0,1]", &word("1e300", "1e300"))],
            Warns(BadMessage),
        ),
        case(
            "word times negative",
            vec![results("0", "0.25", "[0,1]", &word("-1e300", "-3"))],
            Warns(BadMessage),
        ),
        case(
            "channel_index [2^63, 1]",
            vec![results("0", "0.25", "[9223372036854775808,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "channel_index [-1, 1]",
            vec![results("0", "0.25", "[-1,1]", &w)],
            Warns(BadMessage),
        ),
        case(
            "channel_index [1.5e300]",
            vec![results("0", "0.25", "[1.5e300]", &w)],
            Warns(BadMessage),
        ),
        case(
            "duplicate keys",
            vec![text(
                r#"{"type":"Results","type":"Mystery","start":0,"start":1e300,"channel":{},"channel":[]}"#,
            )],
            Warns(UnknownMessage),
        ),
        case(
            "100 000-deep nesting",
            vec![text(format!(
                r#"{{"type":"Results","channel":{}}}"#,
                deep(100_000)
            ))],
            Warns(BadMessage),
        ),
        case(
            "an unknown type",
            vec![text(r#"{"type":"ShinyNewThing","x":[1,2,3]}"#)],
            Warns(UnknownMessage),
        ),
        case(
            "a type that is a number",
            vec![text(r#"{"type":7,"description":"seven"}"#)],
            Warns(UnknownMessage),
        ),
        case(
            "UtteranceEnd at 1e300",
            vec![text(
                r#"{"type":"UtteranceEnd","channel":[0,1],"last_word_end":1e300}"#,
            )],
            Warns(BadMessage),
        ),
        case(
            "SpeechStarted at -1",
            vec![text(
                r#"{"type":"SpeechStarted","channel":[0,1],"timestamp":-1}"#,
            )],
            Warns(BadMessage),
        ),
        case(
            "Metadata with absurd numbers",
            vec![text(
                r#"{"type":"Metadata","request_id":"m","duration":-1e300,"channels":4294967296}"#,
            )],
            Warns(BadMessage),
        ),
        case("a normal close mid-call", vec![close(1000, "")], Reconnects),
        case(
            "close 4000 with a 100 KB reason",
            vec![close(4000, &"r".repeat(100_000))],
            Reconnects,
        ),
        case("close 3999", vec![close(3999, "odd")], Reconnects),
        case(
            "close without a code",
            vec![Message::Close(None)],
            Reconnects,
        ),
        case(
            "close 1008 (audio not decodable)",
            vec![close(1008, "DATA-0000")],
            Fails(ErrorCode::Api),
        ),
        case(
            "a ping with garbage",
            vec![Message::Ping(vec![7u8; 100].into())],
            Words,
        ),
        Case {
            name: "a server that stops reading",
            frames: Vec::new(),
            deaf: true,
            slow: None,
            expect: Reconnects,
        },
        Case {
            name: "a server slower than the connect timeout",
            frames: Vec::new(),
            deaf: false,
            slow: Some(Duration::from_secs(3)),
            expect: Reconnects,
        },
    ]
}

/// One 0.25 s block saying "Hello." after the case's frames; the summary and every event.
async fn run(case: Case) {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        first_frames: case.frames,
        deaf: if case.deaf { vec![0] } else { Vec::new() },
        handshake_delay: case.slow.map(|d| (0, d)).into_iter().collect(),
        ..Default::default()
    })
    .await;
    let label = case.name;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    // Let the first connection's frames arrive before the audio (a send racing a close may
    // meet a closed session in the failing case, which is that case's point).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = assist.send_audio(script_audio(&[vec![1]]));
    let summary = tokio::time::timeout(Duration::from_secs(15), assist.stop())
        .await
        .unwrap_or_else(|_| panic!("{label}: stop did not return"));
    let mut seen = Vec::new();
    while let Ok(ev) = events.try_recv() {
        seen.push(ev);
    }
    let warned = |kind: WarningKind| {
        seen.iter()
            .any(|e| matches!(e, AssistEvent::Warning(w) if w.kind == kind))
    };
    assert_messages_bounded(&seen, "dg-test-key-123", label);
    match case.expect {
        Fails(code) => {
            let summary = summary.expect_err_or_summary(label);
            assert_eq!(summary, Some(code), "{label}");
            return;
        }
        Warns(kind) => assert!(warned(kind), "{label}: no {kind:?} warning in {seen:?}"),
        Reconnects => assert!(
            seen.iter()
                .any(|e| matches!(e, AssistEvent::Reconnecting { .. })),
            "{label}: no reconnect in {seen:?}"
        ),
        Words => {}
    }
    let summary = summary.unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(summary.error.is_none(), "{label}: {:?}", summary.error);
    assert_eq!(summary.transcript.render(), "Agent: Hello.", "{label}");
    for s in &summary.transcript.segments {
        let sane = |t: f64| t.is_finite() && (0.0..=1.0).contains(&t);
        assert!(
            sane(s.start) && sane(s.end) && s.start <= s.end,
            "{label}: {s:?}"
        );
        for w in &s.words {
            assert!(sane(w.start) && sane(w.end), "{label}: {w:?}");
        }
    }
}

/// A session that failed: its error code (from `stop`, or from the summary).
trait FailedCode {
    fn expect_err_or_summary(self, label: &str) -> Option<ErrorCode>;
}

impl FailedCode for helix_engage::Result<helix_engage::assist::CallSummary> {
    fn expect_err_or_summary(self, label: &str) -> Option<ErrorCode> {
        match self {
            Err(e) => Some(e.code()),
            Ok(summary) => {
                assert!(summary.transcript.render().len() < 100, "{label}");
                summary.error.map(|e| e.code())
            }
        }
    }
}

#[tokio::test]
async fn every_hostile_opening_is_a_warning_a_reconnect_or_a_typed_error() {
    join_all(cases().into_iter().map(run)).await;
}
