//! Live assist through faults: dropped sockets, a silent socket, a refused first handshake.

mod assist_events;
mod assist_support;

use std::time::Duration;

use assist_events::*;
use assist_support::*;
use helix_engage::assist::{AssistConfig, AssistEvent, CallSummary, LiveAssist, Speaker};

const WORDS: usize = 30;

fn vocab() -> Vec<String> {
    let mut v = vec![String::new()];
    for i in 1..=WORDS {
        // Every fifth word ends a sentence, so turns end now and then.
        v.push(if i % 5 == 0 {
            format!("word{i}.")
        } else {
            format!("word{i}")
        });
    }
    v
}

/// A conversation of `blocks` quarter-seconds: agent and customer take turns of 6 blocks with
/// a 2-block pause; the words cycle through the vocabulary.
fn conversation(blocks: usize) -> Vec<Vec<u16>> {
    (0..blocks)
        .map(|k| {
            let word = 1 + (k % WORDS) as u16;
            let phase = k % 16;
            match phase {
                0..=5 => vec![word, 0],
                8..=13 => vec![0, word],
                _ => vec![0, 0],
            }
        })
        .collect()
}

async fn run_call(
    script: Script,
    blocks: usize,
    tweak: impl FnOnce(&mut helix_engage::assist::AssistConfig),
) -> (CallSummary, Vec<AssistEvent>, FakeDeepgram) {
    let dg = FakeDeepgram::start(script).await;
    let mut cfg = config(&dg.url, 2);
    tweak(&mut cfg);
    let (assist, mut events) = LiveAssist::start(cfg).await.expect("start");
    let audio = script_audio(&conversation(blocks));
    // 20 ms frames, in bursts, so faults land mid-stream rather than all at stop.
    for (i, chunk) in audio.chunks(640).enumerate() {
        assist.send_audio(chunk.to_vec()).unwrap();
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let summary = assist.stop().await.expect("stop");
    let mut seen = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
        let end = matches!(ev, AssistEvent::Closed(_));
        seen.push(ev);
        if end {
            break;
        }
    }
    (summary, seen, dg)
}

fn lines(s: &CallSummary) -> Vec<(Speaker, String, i64, i64)> {
    let mut v: Vec<_> = s
        .transcript
        .segments
        .iter()
        .map(|seg| {
            (
                seg.speaker,
                seg.text.clone(),
                (seg.start * 1000.0).round() as i64,
                (seg.end * 1000.0).round() as i64,
            )
        })
        .collect();
    v.sort_by_key(|l| (l.2, l.0 == Speaker::Customer));
    v
}

fn assert_monotonic(s: &CallSummary) {
    for channel in [0, 1] {
        let mut last_end = f64::NEG_INFINITY;
        for seg in s
            .transcript
            .segments
            .iter()
            .filter(|x| x.channel == channel)
        {
            assert!(
                seg.start >= last_end - 1e-6,
                "channel {channel} went back in time at {seg:?}"
            );
            assert!(seg.end >= seg.start);
            last_end = seg.end;
        }
    }
}

#[tokio::test]
async fn five_dropped_sockets_leave_the_transcript_unchanged() {
    let blocks = 160; // 40 s of stereo call audio
    let (clean, _, _) = run_call(
        Script {
            vocab: vocab(),
            ..Default::default()
        },
        blocks,
        |_| {},
    )
    .await;
    assert!(clean.complete);
    let expected = lines(&clean);
    assert_eq!(expected.len(), 120, "6 words per 16 blocks per speaker");

    let block = block_bytes(2);
    let drops = (0..5).map(|i| (i, block * (9 + 4 * i) + 1_234)).collect();
    let (faulty, events, dg) = run_call(
        Script {
            vocab: vocab(),
            drop_after: drops,
            ..Default::default()
        },
        blocks,
        |_| {},
    )
    .await;

    assert_eq!(dg.attempts(), 6);
    let got = lines(&faulty);
    assert!(
        got == expected,
        "transcript differs:\n got {got:?}\nwant {expected:?}"
    );
    assert_eq!(faulty.transcript.render(), clean.transcript.render());
    assert_monotonic(&faulty);
    assert!(
        faulty.complete,
        "the last connection should see CloseStream through"
    );
    assert_eq!(faulty.metrics.reconnects, 5);
    assert!(faulty.metrics.audio_seconds_replayed > 0.0);
    assert_eq!(faulty.request_ids.len(), 6);
    assert_eq!(reconnect_counts(&events), (5, 5));
    assert!(!events.iter().any(|e| matches!(e, AssistEvent::Error(_))));
    // Each connection heard one contiguous stretch of the call, starting on a finalised
    // boundary (a block) no later than where the previous one stopped hearing: nothing
    // skipped, and nothing finalised sent twice beyond the unfinalised tail.
    let original = script_audio(&conversation(blocks));
    let mut covered = 0usize;
    for (i, conn) in dg.conns().iter().enumerate() {
        let starts: Vec<usize> = (0..=covered).step_by(block).collect();
        let start = starts
            .into_iter()
            .rev()
            .find(|&s| original[s..].starts_with(&conn.audio))
            .unwrap_or_else(|| {
                panic!("connection {i} heard audio that is not a block-aligned replay")
            });
        covered = covered.max(start + conn.audio.len());
    }
    assert_eq!(covered, original.len());
}

#[tokio::test]
async fn a_socket_that_answers_nothing_is_replaced() {
    let blocks = 32;
    let (summary, events, dg) = run_call(
        Script {
            vocab: vocab(),
            silent: vec![0],
            ..Default::default()
        },
        blocks,
        |cfg| cfg.timing.watchdog = Duration::from_millis(300),
    )
    .await;
    assert_eq!(dg.attempts(), 2);
    assert!(events.iter().any(|e| matches!(e, AssistEvent::Reconnecting { reason, .. } if reason.contains("answered nothing"))));
    assert_eq!(summary.transcript.segments.len(), 24);
    assert_monotonic(&summary);
    assert!(summary.complete);
    // The replaced socket was told so with a close frame (issue #9 item 9).
    assert!(
        dg.conns()[0].frames.contains(&Frame::Close(1000)),
        "no close frame on the replaced socket"
    );
}

#[tokio::test]
async fn a_refused_first_handshake_503_is_retried() {
    let (summary, events, dg) = run_call(
        Script {
            vocab: vocab(),
            refuse: [(0, (503, "busy".to_string()))].into(),
            ..Default::default()
        },
        16,
        |_| {},
    )
    .await;
    assert_eq!(dg.attempts(), 2);
    assert!(matches!(
        events.first(),
        Some(AssistEvent::Reconnecting { attempt: 1, .. })
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AssistEvent::Reconnected { .. }))
    );
    assert_eq!(summary.transcript.segments.len(), 12);
    assert_eq!(summary.request_ids, vec!["req-1".to_string()]);
}

#[tokio::test]
async fn reconnects_give_up_after_max_attempts() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        drop_after: [(0, 100)].into(),
        refuse_from: Some((1, 503, "down".into())),
        ..Default::default()
    })
    .await;
    let (assist, mut events) = LiveAssist::start(config(&dg.url, 2)).await.unwrap();
    assist.send_audio(script_audio(&conversation(2))).unwrap();
    let mut errors = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(3), events.recv()).await {
        match ev {
            AssistEvent::Error(e) => errors.push(e),
            AssistEvent::Closed(_) => break,
            _ => {}
        }
    }
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().contains("gave up after 5"),
        "{}",
        errors[0]
    );
    // One good connection and five refused retries; then nothing more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dg.attempts(), 6);
}

#[tokio::test]
async fn container_audio_resends_its_header_after_a_reconnect() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        drop_after: [(0, 5_000)].into(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.audio = helix_engage::assist::AudioFormat::Container { channels: 1 };
    let (assist, _events) = LiveAssist::start(cfg).await.unwrap();
    let header = b"\x1aE\xdf\xa3webm-header".to_vec();
    assist.send_audio(header.clone()).unwrap();
    for _ in 0..20 {
        assist.send_audio(vec![1u8; 1_000]).unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let summary = assist.stop().await.unwrap();
    let conns = dg.conns();
    assert_eq!(conns.len(), 2);
    assert!(conns[0].audio.starts_with(&header));
    assert!(
        conns[1].audio.starts_with(&header),
        "the new socket must get the header first"
    );
    assert!(!conns[1].uri.contains("encoding") && !conns[1].uri.contains("sample_rate"));
    assert_eq!(summary.metrics.reconnects, 1);
}

/// A live session and its event stream, as `LiveAssist::start` hands them out.
type Session = (
    LiveAssist,
    tokio::sync::mpsc::Receiver<helix_engage::assist::AssistEvent>,
);

/// A session replaying at 4× whose first socket breaks after 1,000 bytes, given two seconds
/// of audio at once: the socket breaks before anything is finalised, so all of it is
/// replayed. Returns the fake, the session (with its events, kept open as the test runs)
/// and the audio sent.
async fn two_seconds_to_replay_at_4x() -> (FakeDeepgram, Session, Vec<u8>) {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        drop_after: [(0, 1_000)].into(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.replay_speed = 4.0;
    let (assist, events) = LiveAssist::start(cfg).await.unwrap();
    let audio = script_audio(&vec![vec![0]; 8]);
    for chunk in audio.chunks(320) {
        assist.send_audio(chunk.to_vec()).unwrap();
    }
    (dg, (assist, events), audio)
}

/// The second connection got all of `audio` again, over no less than 350 ms (2 s at 4×
/// takes about half a second); `when` names the moment in the failure message.
fn assert_replayed_at_4x(dg: &FakeDeepgram, audio: &[u8], when: &str) {
    let conns = dg.conns();
    assert_eq!(conns.len(), 2);
    assert!(
        conns[1].audio == audio,
        "the whole unfinalised call is replayed"
    );
    let took = conns[1].last_audio_at.unwrap() - conns[1].opened.unwrap();
    assert!(
        took >= Duration::from_millis(350),
        "2 s replayed in {took:?}{when}: faster than 4×"
    );
}

#[tokio::test]
async fn replay_is_paced_to_the_configured_speed() {
    let (dg, (assist, _events), audio) = two_seconds_to_replay_at_4x().await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_replayed_at_4x(&dg, &audio, "");
    let summary = assist.stop().await.unwrap();
    // Every second went out once for the first time; what the first socket had taken when
    // it broke (the replay went out again) is counted replayed — only that, now that frames
    // reach the socket as they are handed over instead of waiting in a writer's queue
    // (counted "sent" even when the socket died before writing them).
    let m = &summary.metrics;
    assert!(
        (m.audio_seconds_sent - m.audio_seconds_replayed - m.audio_seconds_received).abs() < 1e-6,
        "{m:?}"
    );
    assert!(
        m.audio_seconds_replayed > 0.0 && m.audio_seconds_replayed <= m.audio_seconds_received,
        "{m:?}"
    );
}

/// Bytes of audio a connection received before its first text frame containing `needle`.
fn audio_before(conn: &Conn, needle: &str) -> Option<usize> {
    let at = conn
        .frames
        .iter()
        .position(|f| matches!(f, Frame::Text(t) if t.contains(needle)))?;
    Some(
        conn.frames[..at]
            .iter()
            .map(|f| match f {
                Frame::Binary(n) => *n,
                _ => 0,
            })
            .sum(),
    )
}

async fn wait_for(
    events: &mut tokio::sync::mpsc::Receiver<AssistEvent>,
    want: impl Fn(&AssistEvent) -> bool,
) -> Vec<AssistEvent> {
    let mut seen = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
        let done = want(&ev);
        seen.push(ev);
        if done {
            return seen;
        }
    }
    panic!("the awaited event never came: {seen:?}");
}

/// A fake whose first socket drops half way into the second block, and a mono config whose
/// reconnect backoff is `outage` every time.
async fn dropped_mid_block_then_out_for(outage: Duration) -> (FakeDeepgram, AssistConfig) {
    let block = block_bytes(1);
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        drop_after: [(0, block + block / 2)].into(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.reconnect.initial_delay = outage;
    cfg.reconnect.max_delay = outage;
    (dg, cfg)
}

/// Issue #9 item 12: a `Finalize` asked for while the link was down used to be dropped.
#[tokio::test]
async fn a_finalize_asked_for_while_the_link_is_down_goes_out_on_the_new_one() {
    // A long enough outage that the request surely lands while there is no socket.
    let (dg, cfg) = dropped_mid_block_then_out_for(Duration::from_millis(600)).await;
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    let audio = script_audio(&[vec![1], vec![2]]);
    assist.send_audio(audio.clone()).unwrap();
    wait_for(&mut events, |e| {
        matches!(e, AssistEvent::Reconnecting { .. })
    })
    .await;
    assist.finalize();
    wait_for(&mut events, |e| {
        matches!(e, AssistEvent::Reconnected { .. })
    })
    .await;
    let summary = assist.stop().await.unwrap();
    let conns = dg.conns();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0].count_text("Finalize"), 0);
    assert_eq!(conns[1].count_text("Finalize"), 1, "{:?}", conns[1].texts());
    // It follows the replayed audio it was asked after, and precedes CloseStream.
    assert_eq!(
        audio_before(&conns[1], "Finalize"),
        Some(conns[1].audio.len())
    );
    assert!(audio.ends_with(&conns[1].audio) && !conns[1].audio.is_empty());
    assert_eq!(summary.transcript.render(), "Agent: word1 word2");
    assert!(summary.complete);
}

fn mono_words(n: u16) -> Vec<Vec<u16>> {
    (1..=n).map(|w| vec![w]).collect()
}

/// Issue #9 item 7: a 1011 after `CloseStream` (before `Metadata`) used to end the session
/// with `complete: true`, losing the turn Deepgram had not finalised yet.
#[tokio::test]
async fn a_drop_while_closing_reconnects_replays_and_closes_again() {
    let run = |faulted: bool| async move {
        let dg = FakeDeepgram::start(Script {
            vocab: vocab(),
            lag_blocks: 2,
            close_on_close_stream: if faulted {
                [(0, (1011, "NET-0000".to_string()))].into()
            } else {
                Default::default()
            },
            ..Default::default()
        })
        .await;
        let (assist, mut events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
        assist.send_audio(script_audio(&mono_words(8))).unwrap();
        let summary = assist.stop().await.unwrap();
        let events = wait_for(&mut events, |e| matches!(e, AssistEvent::Closed(_))).await;
        (summary, events, dg)
    };
    let (clean, _, _) = run(false).await;
    assert_eq!(
        clean.transcript.render(),
        "Agent: word1 word2 word3 word4 word5. word6 word7 word8"
    );
    let (summary, events, dg) = run(true).await;
    assert_eq!(summary.transcript.render(), clean.transcript.render());
    assert!(events.iter().any(
        |e| matches!(e, AssistEvent::Reconnecting { reason, .. } if reason.contains("NET-0000"))
    ));
    let conns = dg.conns();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[1].count_text("CloseStream"), 1);
    assert!(
        !conns[1].audio.is_empty(),
        "the unfinalised tail is replayed"
    );
    assert!(summary.complete, "the second CloseStream was confirmed");
    assert_eq!(summary.request_ids, vec!["req-0", "req-1"]);
}

/// Without Metadata or a clean close, nothing confirmed the last audio: never `complete`.
#[tokio::test]
async fn a_close_that_is_never_confirmed_is_not_complete() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        lag_blocks: 2,
        close_on_close_stream: (0..20)
            .map(|i| (i, (1011, "NET-0000".to_string())))
            .collect(),
        ..Default::default()
    })
    .await;
    let (assist, _events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    assist.send_audio(script_audio(&mono_words(8))).unwrap();
    let summary = assist.stop().await.unwrap();
    assert!(!summary.complete, "{summary:?}");
    assert!(summary.error.is_some() || dg.attempts() > 1);
    assert!(
        summary
            .transcript
            .render()
            .starts_with("Agent: word1 word2 word3 word4 word5. word6")
    );
}

/// Issue #9 item 10: a storm of drops right after `stop()` (each before Deepgram answered
/// anything) grew the backoff past the stop wait, and the summary lost the replayed audio.
#[tokio::test]
async fn a_reconnect_storm_at_the_end_still_delivers_the_transcript() {
    let block = block_bytes(1);
    let mut drops: std::collections::HashMap<usize, usize> = (1..=8).map(|i| (i, 100)).collect();
    drops.insert(0, 4 * block + block / 2);
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        drop_after: drops,
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.timing.stop_wait = Duration::from_millis(500);
    // Eight consecutive failures back off to ~1–2 s in all: well past the 500 ms stop wait.
    cfg.reconnect.initial_delay = Duration::from_millis(50);
    cfg.reconnect.max_delay = Duration::from_millis(400);
    cfg.reconnect.max_attempts = 10;
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    assist.send_audio(script_audio(&mono_words(8))).unwrap();
    let summary = assist.stop().await.unwrap();
    let events = wait_for(&mut events, |e| matches!(e, AssistEvent::Closed(_))).await;
    assert_eq!(dg.attempts(), 10, "{events:?}");
    assert_eq!(
        summary.transcript.render(),
        "Agent: word1 word2 word3 word4 word5. word6 word7 word8"
    );
    assert!(summary.complete && summary.error.is_none());
}

/// Connections that carried audio for a while and then dropped — before Deepgram said
/// anything — are not consecutive failures: the attempt count starts again.
#[tokio::test]
async fn the_attempt_count_resets_after_a_connection_carried_audio() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        silent: vec![0, 1, 2, 3],
        drop_after_ms: (0..4).map(|i| (i, Duration::from_millis(600))).collect(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    // Stable after 400 ms of audio; the silent sockets drop at 600 ms, before the 800 ms
    // watchdog would judge them.
    cfg.timing.watchdog = Duration::from_millis(800);
    cfg.reconnect.max_attempts = 2;
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    let audio = script_audio(&mono_words(30));
    let started = std::time::Instant::now();
    for chunk in audio.chunks(block_bytes(1)) {
        assist.send_audio(chunk.to_vec()).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    let summary = assist.stop().await.unwrap();
    let events = wait_for(&mut events, |e| matches!(e, AssistEvent::Closed(_))).await;
    assert!(
        !events.iter().any(|e| matches!(e, AssistEvent::Error(_))),
        "{events:?}"
    );
    assert_eq!(dg.attempts(), 5);
    assert_eq!(summary.transcript.segments.len(), 30);
    assert!(summary.complete);
}

/// Issue #9 item 8: while stopping, the replay used to skip its pacing and send the whole
/// backlog at once, above the ceiling `replay_speed` promises.
#[tokio::test]
async fn a_replay_during_stop_is_paced_too() {
    let (dg, (assist, _events), audio) = two_seconds_to_replay_at_4x().await;
    // Stop at once: the whole 2 s backlog is replayed while stopping.
    let summary = assist.stop().await.unwrap();
    assert_replayed_at_4x(&dg, &audio, " while stopping");
    assert!(summary.complete);
}

/// Issue #9 item 13: without a `dg-request-id` header the summary had no ids at all; the
/// id in every Results' metadata names the connection just as well.
#[tokio::test]
async fn request_ids_come_from_results_when_the_upgrade_has_none() {
    let block = block_bytes(2);
    let (summary, events, dg) = run_call(
        Script {
            vocab: vocab(),
            no_request_id_header: true,
            drop_after: [(0, block * 9 + 100), (1, block * 7 + 100)].into(),
            ..Default::default()
        },
        32,
        |_| {},
    )
    .await;
    assert_eq!(dg.attempts(), 3);
    assert_eq!(summary.request_ids, vec!["req-0", "req-1", "req-2"]);
    let announced: Vec<Option<String>> = events
        .iter()
        .filter_map(|e| match e {
            AssistEvent::Reconnected { request_id, .. } => Some(request_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        announced,
        vec![Some("req-1".to_string()), Some("req-2".to_string())]
    );
}

/// Transcript latency runs from the host's `send_audio`, so an outage shows in it (it used
/// to start at the replayed write and hid the reconnect).
#[tokio::test]
async fn transcript_latency_counts_from_send_audio_across_a_reconnect() {
    // `_dg` (not `_`): the fake must stay up for the whole call.
    let (_dg, cfg) = dropped_mid_block_then_out_for(Duration::from_millis(800)).await;
    let (assist, _events) = LiveAssist::start(cfg).await.unwrap();
    assist.send_audio(script_audio(&mono_words(2))).unwrap();
    let summary = assist.stop().await.unwrap();
    let second = summary
        .transcript
        .segments
        .iter()
        .find(|s| s.text == "word2")
        .expect("word2 transcribed after the reconnect");
    // The equal-jitter backoff waits at least half its 800 ms delay.
    let latency = second.latency.expect("finals carry their latency");
    assert!(latency >= Duration::from_millis(400), "{latency:?}");
    assert!(summary.metrics.transcript_latency.max >= latency);
}

/// Issue #9 item 21: a recording streamed at 6× real time, with the default 1.25 replay
/// speed, used to lose audio on the first drop: the replay ran at 1.25× real time while the
/// host went on at 6×, so the backlog outgrew the replay buffer (`AudioLost`, the socket
/// replaced for "audio backlog exceeded the replay buffer", again and again). Replays follow
/// the host's measured pace instead.
///
/// The backlog must be real for this to show: Deepgram holds its last 2 s back (as it does
/// while it waits for context), so each drop leaves 2 s and more to replay, and the second
/// drop comes while the first replay is still catching up. At 1.25× real time the unsent
/// audio grows by 4.75 s every second and overflows the 10 s buffer about a second after
/// the first drop; at 1.25× the host's pace (7.5×) it shrinks by 1.5 s a second and peaks
/// near 6 s.
#[tokio::test]
async fn audio_faster_than_real_time_survives_drops_at_the_default_replay_speed() {
    let block = block_bytes(1);
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        lag_blocks: 8,
        drop_after: (0..2).map(|i| (i, block * 20 + 100)).collect(),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&dg.url, 1);
    cfg.replay_speed = 1.25;
    cfg.replay_buffer = Duration::from_secs(10);
    cfg.timing.stop_wait = Duration::from_secs(5);
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    let words: Vec<Vec<u16>> = (0..120).map(|k| vec![1 + (k % 30) as u16]).collect();
    let audio = script_audio(&words);
    // 0.25 s of audio every ~42 ms: 6× real time, 30 s of audio in 5 s.
    let started = std::time::Instant::now();
    for (i, chunk) in audio.chunks(block).enumerate() {
        assist
            .send_audio(chunk.to_vec())
            .expect("the session stays up");
        let due = Duration::from_secs_f64((i + 1) as f64 * 0.25 / 6.0);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    let summary = assist.stop().await.unwrap();
    let events = wait_for(&mut events, |e| matches!(e, AssistEvent::Closed(_))).await;
    let trouble: Vec<&AssistEvent> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                AssistEvent::Error(_)
                    | AssistEvent::Warning(helix_engage::assist::Warning {
                        kind: helix_engage::assist::WarningKind::AudioLost,
                        ..
                    })
            )
        })
        .collect();
    assert!(trouble.is_empty(), "{trouble:?}");
    // Two drops, two reconnects: no socket was replaced for an overflowing backlog.
    assert_eq!(dg.attempts(), 3);
    // Every word, once, in order, at its own time on the call's clock.
    let got: Vec<(String, f64)> = summary
        .transcript
        .segments
        .iter()
        .map(|s| (s.text.clone(), s.start))
        .collect();
    let want: Vec<(String, f64)> = (0..120)
        .map(|k| (vocab()[1 + k % 30].clone(), k as f64 * 0.25))
        .collect();
    assert_eq!(got, want);
    assert_eq!(summary.metrics.audio_seconds_dropped, 0.0);
    assert!(
        summary.metrics.audio_seconds_replayed > 4.0,
        "{:?}",
        summary.metrics
    );
    assert!(summary.complete);
}

/// The replay buffer's gauge: what a reconnect would replay right now. A socket that answers
/// nothing finalises nothing, so every second handed over is held; a clean call releases its
/// audio as the finals come, so at the end no more than the tail after the last final is.
#[tokio::test]
async fn the_replay_buffer_gauge_is_the_audio_not_yet_finalised() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        silent: vec![0],
        ..Default::default()
    })
    .await;
    let (assist, _events) = LiveAssist::start(config(&dg.url, 1)).await.unwrap();
    let audio = script_audio(&vec![vec![1]; 8]); // 2 s of mono speech
    for chunk in audio.chunks(640) {
        assist.send_audio(chunk.to_vec()).unwrap();
    }
    let mut held = 0.0;
    // Live metrics lag by a session tick at most (1 s here).
    for _ in 0..300 {
        held = assist.metrics().replay_buffer_seconds;
        if held >= 2.0 - 1e-9 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!((held - 2.0).abs() < 1e-9, "held {held} s of 2 s unanswered");
    drop(assist);

    let (summary, _, _) = run_call(
        Script {
            vocab: vocab(),
            ..Default::default()
        },
        32,
        |_| {},
    )
    .await;
    assert!(summary.complete);
    let m = &summary.metrics;
    assert!(
        m.replay_buffer_seconds < 1.0,
        "{} s still held after a clean 8 s call",
        m.replay_buffer_seconds
    );
    assert!(m.audio_seconds_sent > 7.9);
}
