//! Private stretches on the wire (`LiveAssist::set_private`): no byte of the audio sent while
//! private reaches Deepgram — not live, not in a replay after a reconnect — the socket is kept
//! with `KeepAlive` after a `Finalize`, times after a stretch are call times, and the
//! transcript holds one marker for it. Also Deepgram's `redact` and the multilingual preset,
//! as the query a connection carries.

mod assist_events;
mod assist_support;

use std::time::Duration;

use assist_events::*;
use assist_support::*;
use helix_engage::ErrorCode;
use helix_engage::assist::{
    AssistEvent, AudioDelivery, DeepgramConfig, DeepgramRedaction, LiveAssist, Segment,
    SegmentKind, Speaker,
};
use tokio::sync::mpsc::Receiver;

/// A fake Deepgram playing `script` and a mono session on it whose watchdog is `watchdog`.
async fn start(
    script: Script,
    watchdog: Duration,
) -> (FakeDeepgram, LiveAssist, Receiver<AssistEvent>) {
    let dg = FakeDeepgram::start(script).await;
    let mut cfg = config(&dg.url, 1);
    cfg.timing.watchdog = watchdog;
    let (assist, events) = LiveAssist::start(cfg).await.unwrap();
    (dg, assist, events)
}

/// Every byte of audio sent while private. The fake's words are small numbers (bytes 0x00 and
/// 0x01–0x0f), so one 0xA5 byte at Deepgram is private audio that got out.
const PRIVATE_BYTE: u8 = 0xA5;

async fn drain(rx: &mut Receiver<AssistEvent>) -> Vec<AssistEvent> {
    drain_until_closed(rx, Duration::from_secs(3)).await
}

/// `blocks` 0.25 s blocks of private audio on `channels` channels.
fn private_audio(blocks: usize, channels: u16) -> Vec<u8> {
    vec![PRIVATE_BYTE; blocks * block_bytes(channels)]
}

/// Sends `blocks` blocks of private audio, one every 50 ms (the host keeps streaming), and
/// checks each is withheld.
async fn stream_private(assist: &LiveAssist, blocks: usize, channels: u16) {
    for _ in 0..blocks {
        let delivery = assist.send_audio(private_audio(1, channels)).unwrap();
        assert_eq!(delivery, AudioDelivery::Withheld);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_no_private_byte(audio: &[u8]) {
    assert!(
        !audio.contains(&PRIVATE_BYTE),
        "private audio reached Deepgram"
    );
}

fn speech<'a>(segments: &'a [Segment], text: &str) -> Vec<&'a Segment> {
    segments.iter().filter(|s| s.text == text).collect()
}

fn markers(segments: &[Segment]) -> Vec<&Segment> {
    segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Private)
        .collect()
}

fn private_events(events: &[AssistEvent]) -> Vec<(bool, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            AssistEvent::Private { private, at } => Some((*private, *at)),
            _ => None,
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// The issue's own example, scaled: a stretch that begins at 1 s and lasts 2 s; a word said
/// 0.25 s after it is at 3.25 s of the call, not 1.25 s. The stretch outlasts the watchdog
/// (300 ms): a quiet private socket is judged by pings and kept.
#[tokio::test]
async fn private_audio_never_reaches_deepgram_and_later_times_are_call_time() {
    let (dg, assist, mut events) = start(
        Script {
            vocab: vocab_of(&["Before.", "After."]),
            ..Default::default()
        },
        Duration::from_millis(300),
    )
    .await;
    let before = script_audio(&[vec![1], vec![0], vec![0], vec![0]]);
    assert_eq!(
        assist.send_audio(before.clone()).unwrap(),
        AudioDelivery::Queued
    );
    // Less than `keepalive_after` (100 ms): no KeepAlive is due before the stretch.
    tokio::time::sleep(Duration::from_millis(30)).await;
    assist.set_private(true);
    assist.set_private(true); // repeated: nothing more
    stream_private(&assist, 8, 1).await; // 2 s of call time over 400 ms
    assist.set_private(false);
    assist.set_private(false);
    let after = script_audio(&[vec![0], vec![2]]);
    assert_eq!(
        assist.send_audio(after.clone()).unwrap(),
        AudioDelivery::Queued
    );
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;

    assert_eq!(dg.attempts(), 1);
    let conn = &dg.conns()[0];
    assert_no_private_byte(&conn.audio);
    assert_eq!(
        conn.audio,
        [before, after].concat(),
        "exactly the call's other audio"
    );
    // Right after the audio before the stretch comes its Finalize, then only KeepAlive until
    // the audio after it.
    let first_text = conn
        .frames
        .iter()
        .position(|f| matches!(f, Frame::Text(_)))
        .unwrap();
    assert!(
        matches!(&conn.frames[first_text], Frame::Text(t) if t.contains("Finalize")),
        "{:?}",
        conn.frames
    );
    assert!(
        conn.frames[..first_text]
            .iter()
            .all(|f| matches!(f, Frame::Binary(_)))
    );
    let next_audio = first_text
        + conn.frames[first_text..]
            .iter()
            .position(|f| matches!(f, Frame::Binary(_)))
            .unwrap();
    let keepalives = conn.frames[first_text..next_audio]
        .iter()
        .filter(|f| matches!(f, Frame::Text(t) if t.contains("KeepAlive")))
        .count();
    assert!(keepalives >= 2, "{:?}", conn.frames);
    assert_eq!(conn.count_text("Finalize"), 1, "one stretch, one Finalize");

    let segs = &summary.transcript.segments;
    let b = speech(segs, "Before.");
    assert!(
        b.len() == 1 && close(b[0].start, 0.0) && close(b[0].end, 0.25),
        "{segs:?}"
    );
    let a = speech(segs, "After.");
    assert_eq!(a.len(), 1, "{segs:?}");
    assert!(
        close(a[0].start, 3.25) && close(a[0].end, 3.5),
        "{:?}",
        a[0]
    );
    assert!(close(a[0].words[0].start, 3.30), "{:?}", a[0]);
    let m = markers(segs);
    assert_eq!(m.len(), 1, "{segs:?}");
    let m = m[0];
    assert!(close(m.start, 1.0) && close(m.end, 3.0), "{m:?}");
    assert_eq!(
        (m.text.as_str(), m.speaker, m.channel, m.confidence),
        ("[private]", Speaker::Agent, 0, 1.0)
    );
    assert!(m.words.is_empty());
    assert_eq!(
        summary.transcript.render(),
        "Agent: Before.\n[private]\nAgent: After."
    );
    assert_eq!(private_events(&events), vec![(true, 1.0), (false, 3.0)]);
    // The marker is a final Transcript event too, after the stretch's end.
    let end_at = events
        .iter()
        .position(|e| matches!(e, AssistEvent::Private { private: false, .. }))
        .unwrap();
    assert!(events[end_at..].iter().any(|e| matches!(e,
        AssistEvent::Transcript { segment, is_final: true } if segment.kind == SegmentKind::Private)));
    assert!(
        close(summary.metrics.private_seconds, 2.0),
        "{:?}",
        summary.metrics
    );
    assert!(summary.complete);
    let json = serde_json::to_value(m).unwrap();
    assert_eq!(json["kind"], "private");
}

/// A stretch still open at `stop` ends there: its marker runs to the call's end.
#[tokio::test]
async fn stop_while_private_ends_the_stretch_with_its_marker() {
    let (dg, assist, mut events) = start(
        Script {
            vocab: vocab_of(&["Hello."]),
            ..Default::default()
        },
        Duration::from_secs(2),
    )
    .await;
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    assist.set_private(true);
    stream_private(&assist, 4, 1).await;
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;
    assert_no_private_byte(&dg.conns()[0].audio);
    let m = markers(&summary.transcript.segments);
    assert!(
        m.len() == 1 && close(m[0].start, 0.25) && close(m[0].end, 1.25),
        "{m:?}"
    );
    assert_eq!(private_events(&events), vec![(true, 0.25), (false, 1.25)]);
    assert_eq!(summary.transcript.render(), "Agent: Hello.\n[private]");
    assert!(summary.complete);
}

/// The socket drops in the middle of a stretch, before Deepgram answered anything: the new
/// socket gets the audio from before the stretch again (its final is not lost), the stretch's
/// Finalize after it, and still no private byte; times after the stretch stay call time.
#[tokio::test]
async fn a_reconnect_mid_stretch_loses_no_final_and_replays_no_private_audio() {
    let (dg, assist, mut events) = start(
        Script {
            vocab: vocab_of(&["Hello", "there.", "Back."]),
            silent: vec![0],
            drop_after_ms: [(0, Duration::from_millis(400))].into(),
            ..Default::default()
        },
        Duration::from_secs(2),
    )
    .await;
    let before = script_audio(&[vec![1], vec![2]]);
    assist.send_audio(before.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assist.set_private(true);
    // 3 s of private call time, across the drop at 400 ms and the reconnect.
    stream_private(&assist, 12, 1).await;
    assist.set_private(false);
    let after = script_audio(&[vec![3]]);
    assist.send_audio(after.clone()).unwrap();
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;

    let conns = dg.conns();
    assert_eq!(conns.len(), 2, "{events:?}");
    for conn in &conns {
        assert_no_private_byte(&conn.audio);
    }
    assert_eq!(conns[0].audio, before);
    // The replay is the audio before the stretch, then its Finalize, then the audio after.
    assert_eq!(conns[1].audio, [before, after].concat());
    let texts = conns[1].texts();
    assert_eq!(
        texts.iter().filter(|t| t.contains("Finalize")).count(),
        1,
        "{texts:?}"
    );
    let segs = &summary.transcript.segments;
    assert_eq!(speech(segs, "Hello").len(), 1, "{segs:?}");
    assert_eq!(speech(segs, "there.").len(), 1, "{segs:?}");
    let back = speech(segs, "Back.");
    assert!(back.len() == 1 && close(back[0].start, 3.5), "{segs:?}");
    let m = markers(segs);
    assert!(
        m.len() == 1 && close(m[0].start, 0.5) && close(m[0].end, 3.5),
        "{m:?}"
    );
    assert_eq!(
        summary.transcript.render(),
        "Agent: Hello there.\n[private]\nAgent: Back."
    );
    assert!(summary.metrics.reconnects >= 1);
    assert!(summary.complete);
}

/// A stretch inside a hold, and a hold inside a stretch: with a watchdog far shorter than
/// either, no reconnect (pings prove the socket), no private byte, and what was said on hold
/// outside the stretch is still transcribed.
#[tokio::test]
async fn hold_and_private_combine() {
    let (dg, assist, mut events) = start(
        Script {
            vocab: vocab_of(&["One.", "Two.", "Three.", "Four."]),
            ..Default::default()
        },
        Duration::from_millis(300),
    )
    .await;
    // A stretch inside a hold; the hold ends first, the stretch goes on.
    assist.send_audio(script_audio(&[vec![1]])).unwrap();
    assist.set_on_hold(true);
    assist.set_private(true);
    stream_private(&assist, 8, 1).await;
    assist.set_on_hold(false);
    stream_private(&assist, 8, 1).await;
    assist.set_private(false);
    assist.send_audio(script_audio(&[vec![2]])).unwrap();
    // A hold inside a stretch; the stretch ends first, the hold goes on and is transcribed.
    assist.set_private(true);
    stream_private(&assist, 4, 1).await;
    assist.set_on_hold(true);
    stream_private(&assist, 8, 1).await;
    assist.set_private(false);
    assist.send_audio(script_audio(&[vec![3]])).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assist.set_on_hold(false);
    assist.send_audio(script_audio(&[vec![4]])).unwrap();
    let summary = assist.stop().await.unwrap();
    let events = drain(&mut events).await;

    assert_eq!(dg.attempts(), 1, "{events:?}");
    assert!(!any_reconnecting(&events));
    let conn = &dg.conns()[0];
    assert_no_private_byte(&conn.audio);
    // hold, stretch, stretch, hold: four Finalizes.
    assert_eq!(conn.count_text("Finalize"), 4);
    let segs = &summary.transcript.segments;
    assert_eq!(
        summary.transcript.render(),
        "Agent: One.\n[private]\nAgent: Two.\n[private]\nAgent: Three. Four."
    );
    let m = markers(segs);
    assert!(close(m[0].start, 0.25) && close(m[0].end, 4.25), "{m:?}");
    assert!(close(m[1].start, 4.5) && close(m[1].end, 7.5), "{m:?}");
    assert!(close(speech(segs, "Four.")[0].start, 7.75), "{segs:?}");
    assert!(close(summary.metrics.private_seconds, 7.0));
    assert!(summary.complete);
}

/// Deepgram's `redact` is one `redact=` pair per value, `pci` by default.
#[tokio::test]
async fn redact_goes_on_the_query_once_per_value() {
    let dg = FakeDeepgram::start(Script::default()).await;
    let (assist, _events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.stop().await.unwrap();
    let mut cfg = config(&dg.url, 1);
    cfg.deepgram.redact = vec![DeepgramRedaction::Pci, DeepgramRedaction::Numbers];
    let (assist, _events) = LiveAssist::start(cfg).await.unwrap();
    assist.stop().await.unwrap();
    let mut cfg = config(&dg.url, 1);
    cfg.deepgram.redact.clear();
    cfg.deepgram
        .extra_params
        .push(("redact".into(), "numbers".into()));
    let (assist, _events) = LiveAssist::start(cfg).await.unwrap();
    assist.stop().await.unwrap();

    let redacts: Vec<Vec<String>> = dg
        .conns()
        .iter()
        .map(|c| {
            query_pairs(&c.uri)
                .into_iter()
                .filter(|(k, _)| k == "redact")
                .map(|(_, v)| v)
                .collect()
        })
        .collect();
    assert_eq!(
        redacts,
        vec![
            vec!["pci".to_string()],
            vec!["pci".to_string(), "numbers".to_string()],
            vec!["numbers".to_string()],
        ]
    );
}

#[tokio::test]
async fn entity_redaction_needs_english_and_redact_is_given_in_one_place() {
    // The default redact is [Pci].
    for lang in ["hi", "multi", "hi-Latn", "english"] {
        let mut cfg = config("ws://127.0.0.1:9", 1);
        cfg.deepgram.language = Some(lang.into());
        let err = cfg.validate().unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{lang}");
        let msg = err.to_string();
        assert!(
            msg.contains("redact pci") && msg.contains("English only") && msg.contains("Numbers"),
            "{msg}"
        );
        cfg.deepgram.redact = vec![DeepgramRedaction::Numbers];
        assert!(
            cfg.validate().is_ok(),
            "{lang}: numbers works in every language"
        );
    }
    for lang in [None, Some("en"), Some("en-IN"), Some("EN-us")] {
        let mut cfg = config("ws://127.0.0.1:9", 1);
        cfg.deepgram.language = lang.map(str::to_string);
        cfg.deepgram.redact = vec![DeepgramRedaction::Pii, DeepgramRedaction::Phi];
        assert!(cfg.validate().is_ok(), "{lang:?}");
    }
    let mut cfg = config("ws://127.0.0.1:9", 1);
    cfg.deepgram
        .extra_params
        .push(("redact".into(), "pii".into()));
    let err = cfg.validate().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.to_string().contains("extra_params names redact"),
        "{err}"
    );
}

/// The Hindi/English preset, as Deepgram receives it.
#[tokio::test]
async fn the_indian_multilingual_preset_on_the_wire() {
    let dg = FakeDeepgram::start(Script::default()).await;
    let mut cfg = config(&dg.url, 1);
    cfg.deepgram = DeepgramConfig::indian_multilingual("dg-test-key-123").with_url(&dg.url);
    let (assist, _events) = LiveAssist::start(cfg).await.unwrap();
    assist.stop().await.unwrap();
    let q = query_pairs(&dg.conns()[0].uri);
    for (k, v) in [
        ("model", "nova-3"),
        ("language", "multi"),
        ("endpointing", "100"),
        ("smart_format", "true"),
        ("utterance_end_ms", "1000"),
        ("interim_results", "true"),
    ] {
        assert!(
            q.contains(&(k.into(), v.into())),
            "missing {k}={v} in {q:?}"
        );
    }
    assert!(!q.iter().any(|(k, _)| k == "redact"), "{q:?}");
}
