//! `AssistConfig::coalesce`: the host's small chunks go to Deepgram as fewer, larger frames,
//! every byte in order, and a partial frame never waits past its window, a Finalize or stop.

mod assist_events;
mod assist_support;

use std::time::Duration;

use assist_events::*;
use assist_support::*;
use helix_engage::assist::{AssistEvent, CallSummary, LiveAssist};
use tokio::sync::mpsc::Receiver;

async fn drain(rx: &mut Receiver<AssistEvent>) -> Vec<AssistEvent> {
    drain_until_closed(rx, Duration::from_secs(3)).await
}

/// 20 ms of the test's mono audio (8 kHz linear16).
const CHUNK: usize = 320;

fn binary_sizes(conn: &Conn) -> Vec<usize> {
    conn.frames
        .iter()
        .filter_map(|f| match f {
            Frame::Binary(n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// Four 250 ms blocks with words in 20 ms chunks, and a 10 ms tail (a partial last frame).
fn call_audio() -> Vec<u8> {
    let mut audio = script_audio(&[vec![1], vec![2], vec![3], vec![0]]);
    audio.extend_from_slice(&[0; CHUNK / 2]);
    audio
}

/// One call of [`call_audio`] sent in 20 ms chunks with `coalesce`: what Deepgram saw.
async fn call(coalesce: Duration) -> (Conn, CallSummary) {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab_of(&["Hello.", "Hi", "there?"]),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.coalesce = coalesce;
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    for chunk in call_audio().chunks(CHUNK) {
        assist.send_audio(chunk.to_vec()).unwrap();
    }
    let summary = assist.stop().await.unwrap();
    drain(&mut events).await;
    let conns = dg.conns();
    assert_eq!(conns.len(), 1);
    assert!(summary.complete && summary.error.is_none(), "{summary:?}");
    (conns[0].clone(), summary)
}

#[tokio::test]
async fn off_by_default_every_chunk_is_its_own_frame() {
    let (conn, _) = call(Duration::ZERO).await;
    let audio = call_audio();
    let mut want = vec![CHUNK; audio.len() / CHUNK];
    want.push(CHUNK / 2);
    assert_eq!(binary_sizes(&conn), want);
    assert!(conn.audio == audio);
}

#[tokio::test]
async fn coalesced_frames_carry_every_byte_in_order_a_window_at_a_time() {
    let (conn, summary) = call(Duration::from_millis(100)).await;
    let audio = call_audio();
    let sizes = binary_sizes(&conn);
    // 100 ms of 8 kHz mono is 1 600 bytes: five chunks per frame; the tail goes at stop.
    let whole = (audio.len() - CHUNK / 2) / 1_600;
    assert_eq!(sizes[..whole], vec![1_600; whole][..], "{sizes:?}");
    assert_eq!(sizes[whole..], [CHUNK / 2], "{sizes:?}");
    assert!(conn.audio == audio, "the bytes differ or are out of order");
    assert!(matches!(conn.frames.last(), Some(Frame::Text(t)) if t.contains("CloseStream")));
    assert!((summary.metrics.audio_seconds_sent - 1.01).abs() < 1e-6);
    // Deepgram heard the same audio: the same transcript, at the same call times.
    let (_, plain) = call(Duration::ZERO).await;
    assert!(!plain.transcript.segments.is_empty());
    assert_eq!(summary.transcript.render(), plain.transcript.render());
    let times = |s: &CallSummary| {
        s.transcript
            .segments
            .iter()
            .map(|g| (g.start, g.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(times(&summary), times(&plain));
}

#[tokio::test]
async fn a_partial_frame_goes_once_its_window_has_passed() {
    let dg = FakeDeepgram::start(Script::default()).await;
    let mut cfg = config(&dg.url, 1);
    cfg.coalesce = Duration::from_millis(100);
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    assist.send_audio(vec![0u8; CHUNK]).unwrap();
    assist.send_audio(vec![0u8; CHUNK]).unwrap();
    // The host stops sending: the 40 ms it gave are not held for the rest of the call.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let conn = &dg.conns()[0];
    assert_eq!(binary_sizes(conn), [2 * CHUNK], "{:?}", conn.frames);
    assist.stop().await.unwrap();
    drain(&mut events).await;
}

#[tokio::test]
async fn a_finalize_does_not_wait_for_the_window() {
    let dg = FakeDeepgram::start(Script::default()).await;
    let mut cfg = config(&dg.url, 1);
    cfg.coalesce = Duration::from_millis(250);
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    assist.send_audio(vec![0u8; CHUNK]).unwrap();
    // A hold sends Finalize: the audio before it goes first, now, not 250 ms later.
    assist.set_on_hold(true);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let frames = dg.conns()[0].frames.clone();
    let finalize = frames
        .iter()
        .position(|f| matches!(f, Frame::Text(t) if t.contains("Finalize")))
        .unwrap_or_else(|| panic!("no Finalize within 100 ms: {frames:?}"));
    assert_eq!(frames[..finalize], [Frame::Binary(CHUNK)], "{frames:?}");
    assist.set_on_hold(false);
    assist.stop().await.unwrap();
    drain(&mut events).await;
}
