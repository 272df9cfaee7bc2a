//! `helix assist --audio` on a generated WAV, without keys: the simulator's Deepgram and
//! OpenAI in the command's own process; finals by speaker, the after-call notes, exit 0.

mod child;
mod support;

use std::path::Path;

use serde_json::Value;
use support::{bare, run, stderr, stdout};

/// `secs` of 16 kHz stereo 16-bit PCM (quiet noise: the simulator's script supplies the words).
fn write_wav(path: &Path, secs: u32) {
    let (rate, channels) = (16_000u32, 2u16);
    let data_len = rate * u32::from(channels) * 2 * secs;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    b.extend_from_slice(&(channels * 2).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..data_len / 2 {
        b.extend_from_slice(&((i % 7) as i16 - 3).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

#[tokio::test]
async fn a_recording_on_the_simulator_prints_finals_and_notes() {
    let dir = child::tempdir("assist-text");
    let wav = dir.join("call.wav");
    write_wav(&wav, 8);
    let lead = dir.join("lead.json");
    std::fs::write(
        &lead,
        r#"{"name":"Ravi Sharma","phone":"+91 98450 12345","history":["asked about knee surgery"]}"#,
    )
    .unwrap();
    let mut cmd = bare();
    cmd.args([
        "assist",
        "--audio",
        wav.to_str().unwrap(),
        "--lead",
        lead.to_str().unwrap(),
    ])
    .args(["--speed", "4"]);
    let o = run(cmd).await;
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{err}\n{out}");
    assert!(
        err.contains("built-in simulator"),
        "says which services: {err}"
    );
    assert!(out.contains("Agent: Hello, this is Priya"), "{out}");
    assert!(out.contains("Customer: Yes, speaking."), "{out}");
    assert!(out.contains("After-call notes"), "{out}");
    assert!(out.contains("summary:"), "{out}");
    assert!(
        !out.contains("98450"),
        "the lead's phone is never printed back"
    );
}

#[tokio::test]
async fn json_prints_the_sessions_events() {
    let dir = child::tempdir("assist-json");
    let wav = dir.join("call.wav");
    write_wav(&wav, 5);
    let mut cmd = bare();
    cmd.args([
        "assist",
        "--audio",
        wav.to_str().unwrap(),
        "--speed",
        "5",
        "--json",
    ]);
    let o = run(cmd).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let events: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "transcript" && e["isFinal"] == true),
        "{events:?}"
    );
    let closed = events.last().unwrap();
    assert_eq!(closed["type"], "closed", "{closed}");
}

#[tokio::test]
async fn a_file_that_is_not_a_wav_is_a_clear_usage_error() {
    let dir = child::tempdir("assist-bad");
    let wav = dir.join("call.wav");
    std::fs::write(&wav, b"ID3 not audio at all").unwrap();
    let mut cmd = bare();
    cmd.args(["assist", "--audio", wav.to_str().unwrap()]);
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not a RIFF/WAVE file"),
        "{}",
        stderr(&o)
    );
}
