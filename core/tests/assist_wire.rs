//! Live assist on the wire: what the Deepgram client sends and how it reads the answers.

mod assist_events;
mod assist_support;

use std::time::Duration;

use assist_events::*;
use assist_support::*;
use helix_engage::ErrorCode;
use helix_engage::assist::{AssistEvent, CallSummary, LiveAssist, Speaker, WarningKind};
use tokio::sync::mpsc::Receiver;

async fn drain(rx: &mut Receiver<AssistEvent>) -> Vec<AssistEvent> {
    drain_until_closed(rx, Duration::from_secs(3)).await
}

#[tokio::test]
async fn audio_params_and_auth_arrive_intact_and_in_order() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello.", "Hi", "there?"]),
        interim: true,
        ..Default::default()
    })
    .await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 2)).await.expect("start");
    let audio = script_audio(&[vec![1, 0], vec![0, 2], vec![0, 3], vec![0, 0]]);
    // Odd-sized chunks, one empty: the bytes must still arrive exactly, with no empty frame;
    // the empty one is refused as invalid input, on every surface.
    for (i, chunk) in audio.chunks(333).enumerate() {
        assist.send_audio(chunk.to_vec()).unwrap();
        if i == 3 {
            let err = assist.send_audio(Vec::new()).unwrap_err();
            assert_eq!(err.code(), helix_engage::ErrorCode::InvalidInput, "{err}");
        }
    }
    let summary = assist.stop().await.expect("stop");
    let events = drain(&mut events).await;

    let conns = dg.conns();
    assert_eq!(conns.len(), 1);
    let conn = &conns[0];
    assert!(
        conn.audio == audio,
        "audio bytes differ: {} vs {} bytes",
        conn.audio.len(),
        audio.len()
    );
    assert!(
        !conn.frames.contains(&Frame::Binary(0)),
        "empty binary frame sent"
    );
    assert_eq!(
        conn.header("authorization").as_deref(),
        Some("Token dg-test-key-123")
    );
    assert!(
        conn.header("user-agent")
            .unwrap_or_default()
            .starts_with("helix-engage/")
    );
    let q = query_pairs(&conn.uri);
    for (k, v) in [
        ("model", "nova-3"),
        ("encoding", "linear16"),
        ("sample_rate", "8000"),
        ("channels", "2"),
        ("multichannel", "true"),
        ("interim_results", "true"),
        ("vad_events", "true"),
        ("utterance_end_ms", "1000"),
    ] {
        assert!(
            q.contains(&(k.into(), v.into())),
            "missing {k}={v} in {}",
            conn.uri
        );
    }
    assert!(conn.uri.starts_with("/v1/listen?"));
    // CloseStream is the last thing sent, after all audio.
    assert!(matches!(conn.frames.last(), Some(Frame::Text(t)) if t.contains("CloseStream")));

    assert!(
        summary.complete,
        "Metadata after CloseStream should mark the summary complete"
    );
    assert_eq!(summary.request_ids, vec!["req-0".to_string()]);
    assert!(summary.error.is_none());
    assert_eq!(
        summary.transcript.render(),
        "Agent: Hello.\nCustomer: Hi there?"
    );
    let seg = &summary.transcript.segments[1];
    assert_eq!(seg.speaker, Speaker::Customer);
    // Times are the call's audio clock: block 1 spans 0.25–0.5 s, the word 0.30–0.45 s.
    assert!(
        (seg.start - 0.25).abs() < 1e-6 && (seg.end - 0.5).abs() < 1e-6,
        "{seg:?}"
    );
    assert!((seg.words[0].start - 0.30).abs() < 1e-6, "{seg:?}");
    assert!(summary.metrics.audio_seconds_sent > 0.99 && summary.metrics.audio_seconds_sent < 1.01);
    assert!(summary.metrics.transcript_latency.count >= 3);

    // Interims are events only; empty results are never events.
    let interims = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                AssistEvent::Transcript {
                    is_final: false,
                    ..
                }
            )
        })
        .count();
    assert_eq!(interims, 3);
    assert!(
        !events.iter().any(
            |e| matches!(e, AssistEvent::Transcript { segment, .. } if segment.text.is_empty())
        )
    );
    assert!(matches!(events.last(), Some(AssistEvent::Closed(_))));
}

#[tokio::test]
async fn keepalive_holds_an_idle_socket_open_and_hold_sends_finalize() {
    // The fake closes with NET-0001 after 400 ms of nothing, as Deepgram does after ~10 s.
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        idle_timeout: Some(Duration::from_millis(400)),
        ..Default::default()
    })
    .await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    hold_for_1500_ms(&assist).await;
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;

    assert_eq!(dg.attempts(), 1, "the hold must not cost a reconnect");
    assert_no_reconnecting(&events);
    let conn = &dg.conns()[0];
    let keepalives = conn.count_text("KeepAlive");
    assert!(
        keepalives >= 5,
        "only {keepalives} KeepAlive frames in a 1.5 s hold"
    );
    assert_eq!(conn.count_text("Finalize"), 1);
    assert!(summary.metrics.keepalives_sent >= 5);
    assert_eq!(summary.transcript.segments.len(), 2);
    // A hold adds no audio, so the second word follows the first on the audio clock.
    assert!((summary.transcript.segments[1].start - 0.25).abs() < 1e-6);
}

/// The call on hold for a second and a half, then taken off.
async fn hold_for_1500_ms(assist: &LiveAssist) {
    assist.set_on_hold(true);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assist.set_on_hold(false);
}

/// No `Reconnecting` among `events`.
fn assert_no_reconnecting(events: &[AssistEvent]) {
    assert!(!any_reconnecting(events));
}

/// Issue #9 item 9: during a hold the watchdog used to count from the last unanswered audio
/// and replaced a healthy socket. Here Deepgram never answers the last half block before the
/// hold (it waits for more audio), and the hold lasts five watchdog periods.
#[tokio::test]
async fn a_hold_longer_than_the_watchdog_keeps_a_healthy_socket() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello", "there."]),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.timing.watchdog = Duration::from_millis(300);
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    let audio = script_audio(&[vec![1], vec![2]]);
    let (first, rest) = audio.split_at(block_bytes(1));
    let (half, rest) = rest.split_at(block_bytes(1) / 2);
    assist.send_audio(first.to_vec()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Answered by nothing until the rest of its block comes after the hold.
    assist.send_audio(half.to_vec()).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    hold_for_1500_ms(&assist).await;
    assist.send_audio(rest.to_vec()).unwrap();
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;
    assert_eq!(dg.attempts(), 1, "{events:?}");
    assert_no_reconnecting(&events);
    assert_eq!(summary.transcript.render(), "Agent: Hello there.");
    assert!(summary.complete);
}

/// A socket that stops answering during a hold (no pong) is replaced, and the old one gets a
/// close frame instead of a dropped TCP connection.
#[tokio::test]
async fn a_socket_that_dies_during_a_hold_is_replaced_with_a_close_frame() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello", "there."]),
        freeze_on_finalize: [(0, Duration::from_millis(1_200))].into(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.timing.watchdog = Duration::from_millis(300);
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assist.set_on_hold(true);
    // Replaced within the hold: the new socket is up before the old one thaws.
    let mut seen = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
        let done = matches!(ev, AssistEvent::Reconnected { .. });
        seen.push(ev);
        if done {
            break;
        }
    }
    assert!(
        seen.iter().any(
            |e| matches!(e, AssistEvent::Reconnecting { reason, .. } if reason.contains("hold"))
        ),
        "{seen:?}"
    );
    assist.set_on_hold(false);
    assist.send_audio(script_audio(&[vec![2]])).unwrap();
    let summary = assist.stop().await.unwrap();
    assert_eq!(summary.transcript.render(), "Agent: Hello there.");
    assert!(summary.complete);
    // The frozen socket reads on after its freeze and finds our close frame.
    let mut closed = None;
    for _ in 0..40 {
        closed = dg.conns()[0].frames.iter().find_map(|f| match f {
            Frame::Close(code) => Some(*code),
            _ => None,
        });
        if closed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(closed, Some(1000), "{:?}", dg.conns()[0].frames);
}

/// A fake that refuses every handshake with `status` and `text`, and the error a session
/// started on it fails with.
async fn every_handshake_refused(status: u16, text: &str) -> (FakeDeepgram, helix_engage::Error) {
    let dg = FakeDeepgram::start(Script {
        refuse_from: Some((0, status, text.into())),
        ..Default::default()
    })
    .await;
    let err = LiveAssist::start(config(&dg.url, 1)).await.unwrap_err();
    (dg, err)
}

#[tokio::test]
async fn handshake_401_is_one_auth_error_and_no_retry() {
    let (dg, err) = every_handshake_refused(401, "Invalid credentials.").await;
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(err.to_string().contains("Invalid credentials."), "{err}");
    assert!(
        !err.to_string().contains("dg-test-key-123"),
        "the key leaked: {err}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dg.attempts(), 1);
}

#[tokio::test]
async fn handshake_400_is_final_with_deepgram_text() {
    let (dg, err) = every_handshake_refused(400, "Invalid sample_rate.").await;
    assert_eq!(err.code(), ErrorCode::Api);
    assert!(err.to_string().contains("Invalid sample_rate."), "{err}");
    assert_eq!(dg.attempts(), 1);
}

#[tokio::test]
async fn key_revoked_mid_call_gives_one_error_event_and_stops_retrying() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        drop_after: [(0, 100)].into(),
        refuse_from: Some((1, 401, "Invalid credentials.".into())),
        ..Default::default()
    })
    .await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    let events = drain(&mut events).await;
    let errors: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AssistEvent::Error(err) => Some(err.code()),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![ErrorCode::Auth]);
    assert!(matches!(events.last(), Some(AssistEvent::Closed(s)) if s.error.is_some()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dg.attempts(), 2, "one refused reconnect, then no more");
    assert_eq!(
        assist.send_audio(vec![0u8; 4]).unwrap_err().code(),
        ErrorCode::Closed
    );
    let summary = assist.stop().await.unwrap();
    assert_eq!(summary.error.map(|e| e.code()), Some(ErrorCode::Auth));
}

#[tokio::test]
async fn data_0000_is_a_clear_final_error() {
    let dg = FakeDeepgram::start(Script {
        close_after: [(0, (1, 1008, "DATA-0000".to_string()))].into(),
        ..Default::default()
    })
    .await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.send_audio(vec![1u8; 640]).unwrap();
    let events = drain(&mut events).await;
    let err = events
        .iter()
        .find_map(|e| match e {
            AssistEvent::Error(err) => Some(err.clone()),
            _ => None,
        })
        .expect("an error event");
    let text = err.to_string();
    assert!(
        text.contains("DATA-0000") && text.contains("linear16 8000 Hz"),
        "{text}"
    );
    assert_no_reconnecting(&events);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(dg.attempts(), 1, "undecodable audio must not be resent");
    drop(assist);
}

/// One block of audio sent to a mono session on `dg`, then stopped: its summary and every
/// event it gave.
async fn one_block_call(dg: &FakeDeepgram) -> (CallSummary, Vec<AssistEvent>) {
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    let summary = assist.stop().await.unwrap();
    (summary, drain(&mut events).await)
}

#[tokio::test]
async fn unknown_messages_are_warnings_and_the_stream_goes_on() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        greeting: Some(r#"{"type":"Mystery","description":"new thing"}"#.into()),
        ..Default::default()
    })
    .await;
    let (summary, events) = one_block_call(&dg).await;
    assert!(events.iter().any(|e| matches!(e, AssistEvent::Warning(w) if w.kind == WarningKind::UnknownMessage && w.message.contains("new thing"))));
    assert_eq!(summary.transcript.render(), "Agent: Hello.");
}

/// Issue #9 item 14: one `Results` with `channel_index: [4000000000, 1]` used to size a
/// per-channel vector from the wire and abort the process. Channels the session was not
/// configured for are warnings; the call goes on.
#[tokio::test]
async fn a_channel_the_session_does_not_have_is_a_warning_not_an_allocation() {
    let result = |channel: u64, words: &str| {
        format!(
            r#"{{"type":"Results","channel_index":[{channel},1],"start":0,"duration":0.25,"is_final":true,"speech_final":true,"channel":{{"alternatives":[{{"transcript":"Boom.","confidence":1,"words":[{words}]}}]}}}}"#
        )
    };
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        greetings: vec![
            // With words: the push_final path.
            result(
                4_000_000_000,
                r#"{"word":"boom","start":0,"end":0.2,"confidence":1}"#,
            ),
            // Without words: the mark_final path.
            result(4_294_967_295, ""),
            r#"{"type":"UtteranceEnd","channel":[4000000000,1],"last_word_end":0.2}"#.into(),
            r#"{"type":"SpeechStarted","channel":[3000000000,1],"timestamp":0.1}"#.into(),
        ],
        ..Default::default()
    })
    .await;
    let (summary, events) = one_block_call(&dg).await;
    let bad = events
        .iter()
        .filter(|e| matches!(e, AssistEvent::Warning(w) if w.kind == WarningKind::BadMessage && w.message.contains("channel")))
        .count();
    assert_eq!(bad, 4, "{events:?}");
    assert_eq!(summary.transcript.render(), "Agent: Hello.");
    assert!(summary.complete && summary.error.is_none());
}

#[tokio::test]
async fn dropping_the_handle_ends_every_task() {
    let dg = FakeDeepgram::start(Script::default()).await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.send_audio(vec![0u8; 640]).unwrap();
    drop(assist);
    // The event sender lives in the session task: the stream ends once it is gone.
    let end = tokio::time::timeout(Duration::from_secs(2), async {
        while events.recv().await.is_some() {}
    })
    .await;
    assert!(end.is_ok(), "session tasks outlived the handle");
}

#[tokio::test]
async fn a_full_queue_drops_chunks_reports_them_and_fills_the_gap_with_silence() {
    // The first handshake is refused: while the session reconnects its task takes the audio
    // from the queue (a steady session takes it from `send_audio` directly), and the test
    // runtime is single-threaded: the task cannot drain the queue until we await.
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        refuse: [(0, (503, "busy".to_string()))].into(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.audio_queue_chunks = 2;
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    let chunk = vec![7u8; 400];
    let outcomes: Vec<_> = (0..5)
        .map(|_| assist.send_audio(chunk.clone()).unwrap())
        .collect();
    use helix_engage::assist::AudioDelivery::{Dropped, Queued};
    assert_eq!(outcomes, vec![Queued, Queued, Dropped, Dropped, Dropped]);
    assert_eq!(assist.metrics().dropped_chunks, 3);
    tokio::task::yield_now().await;
    assist.send_audio(vec![9u8; 400]).unwrap();
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AssistEvent::Warning(w) if w.kind == WarningKind::AudioDropped))
    );
    // Deepgram got the two chunks, 1200 bytes of silence where three were dropped, then the
    // last (on the connection after the refused one).
    let conns = dg.conns();
    let audio = &conns.last().expect("a connection").audio;
    assert_eq!(audio.len(), 2_400);
    assert!(audio[..800].iter().all(|&b| b == 7));
    assert!(audio[800..2_000].iter().all(|&b| b == 0));
    assert!(audio[2_000..].iter().all(|&b| b == 9));
    assert!((summary.metrics.audio_seconds_dropped - 0.075).abs() < 1e-9);
}

#[test]
fn the_handle_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<LiveAssist>();
}

/// A burst of audio fills the writer queue; the Finalize asked for right after it must still
/// reach Deepgram — once, and after all of that audio (it was dropped when the queue was full).
#[tokio::test]
async fn finalize_after_a_burst_is_queued_not_dropped() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello."]),
        ..Default::default()
    })
    .await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    // Wait for the socket, so the burst meets a live writer whose queue (64) it overflows.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let chunk = script_audio(&[vec![1]]);
    // 25 s of audio (inside the 30 s replay buffer) in 0.25 s chunks: well over 64 frames.
    for _ in 0..100 {
        assist.send_audio(chunk.clone()).unwrap();
    }
    assist.finalize();
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;
    assert!(summary.complete, "{summary:?}");
    let conns = dg.conns();
    assert!(!any_reconnecting(&events), "{events:?}");
    assert_eq!(
        conns.len(),
        1,
        "{:?}",
        conns.iter().map(|c| c.audio.len()).collect::<Vec<_>>()
    );
    let conn = &conns[0];
    assert_eq!(conn.audio.len(), chunk.len() * 100);
    assert_eq!(conn.count_text("Finalize"), 1, "{:?}", conn.texts());
    let finalize_at = conn
        .frames
        .iter()
        .position(|f| matches!(f, Frame::Text(t) if t.contains("Finalize")))
        .unwrap();
    let audio_before: usize = conn.frames[..finalize_at]
        .iter()
        .map(|f| match f {
            Frame::Binary(n) => *n,
            _ => 0,
        })
        .sum();
    assert_eq!(
        audio_before,
        chunk.len() * 100,
        "Finalize goes after the audio sent before it"
    );
}
