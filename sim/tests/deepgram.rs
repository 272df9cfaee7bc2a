//! The Deepgram live stand-in, over a real WebSocket.

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use helix_engage_sim::{Endpoint, Fault, Script, Simulator, Times, Turn};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::Response;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const STEREO: &str = "model=nova-3&encoding=linear16&sample_rate=16000&channels=2&multichannel=true\
                      &interim_results=true&punctuate=true&vad_events=true&utterance_end_ms=1000";
/// Bytes per second of 16 kHz, 16-bit, 2-channel audio.
const STEREO_BPS: usize = 16_000 * 2 * 2;

async fn connect(
    sim: &Simulator,
    query: &str,
    auth: Option<&str>,
) -> Result<(Ws, Response<Option<Vec<u8>>>), tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/v1/listen?{query}", sim.deepgram_url());
    let mut req = url.into_client_request().expect("request");
    if let Some(a) = auth {
        req.headers_mut()
            .insert("Authorization", a.parse().expect("header"));
    }
    req.headers_mut()
        .insert("User-Agent", "helix-engage-test/1".parse().expect("header"));
    connect_async(req).await
}

async fn open(sim: &Simulator, query: &str) -> Ws {
    connect(sim, query, Some("Token sim-deepgram-key"))
        .await
        .expect("handshake")
        .0
}

/// Sends `seconds` of audio in 100 ms chunks.
async fn send_audio(ws: &mut Ws, seconds: f64, bytes_per_second: usize) {
    let chunk = bytes_per_second / 10;
    let chunks = (seconds * 10.0).round() as usize;
    for i in 0..chunks {
        let data = vec![(i % 251) as u8; chunk];
        // A dropped socket may refuse the rest; the test looks at what arrived.
        if ws.send(Message::Binary(data.into())).await.is_err() {
            break;
        }
    }
}

/// Collects JSON messages until nothing arrives for `quiet`.
async fn drain(ws: &mut Ws, quiet: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(quiet, ws.next()).await {
        if let Message::Text(t) = msg {
            out.push(serde_json::from_str(t.as_str()).expect("json message"));
        }
    }
    out
}

/// Reads until the server closes; returns messages and the close code/reason.
async fn until_close(ws: &mut Ws, limit: Duration) -> (Vec<Value>, Option<(u16, String)>) {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                out.push(serde_json::from_str(t.as_str()).expect("json"));
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                return (
                    out,
                    frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                );
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) | Err(_) => return (out, None),
        }
    }
}

/// Asks the server to flush and close the stream.
async fn close_stream(ws: &mut Ws) {
    ws.send(Message::Text(r#"{"type":"CloseStream"}"#.into()))
        .await
        .expect("close stream");
}

/// A fresh 8 kHz mulaw stream given two seconds of audio, then `CloseStream`: what arrives
/// before the server closes (within 3 s) and the close code/reason.
async fn two_seconds_then_close_stream(sim: &Simulator) -> (Vec<Value>, Option<(u16, String)>) {
    let mut ws = open(sim, "encoding=mulaw&sample_rate=8000&punctuate=true").await;
    send_audio(&mut ws, 2.0, 8000).await;
    close_stream(&mut ws).await;
    until_close(&mut ws, Duration::from_secs(3)).await
}

fn transcript(m: &Value) -> &str {
    m["channel"]["alternatives"][0]["transcript"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn handshake_refusals_carry_dg_error() {
    let sim = Simulator::start().await.expect("sim");
    for auth in [None, Some("Token wrong"), Some("sim-deepgram-key")] {
        match connect(&sim, "model=nova-3", auth).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 401);
                assert!(resp.headers().contains_key("dg-error"));
                assert!(resp.headers().contains_key("dg-request-id"));
            }
            other => panic!("expected 401, got {:?}", other.map(|_| ())),
        }
    }
    for query in [
        "model=nova-9",
        "encoding=linear16",
        "encoding=wav&sample_rate=8000",
        "interim_results=false&utterance_end_ms=1000",
        "model=nova-2&keyterm=helix",
        "sim_script=nope",
    ] {
        match connect(&sim, query, Some("Token sim-deepgram-key")).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 400, "{query}");
                let err = resp.headers()["dg-error"].to_str().expect("text");
                assert!(!err.is_empty());
            }
            other => panic!("expected 400 for {query}, got {:?}", other.map(|_| ())),
        }
    }
    let refused = sim.deepgram_sessions();
    assert_eq!(refused.len(), 9);
    assert!(refused.iter().all(|s| !s.is_open()));
    sim.shutdown().await;
}

#[tokio::test]
async fn results_follow_the_audio_received() {
    let sim = Simulator::start().await.expect("sim");
    let (mut ws, resp) = connect(&sim, STEREO, Some("Token sim-deepgram-key"))
        .await
        .expect("handshake");
    assert!(resp.headers().contains_key("dg-request-id"));
    send_audio(&mut ws, 0.5, STEREO_BPS).await;
    assert!(
        drain(&mut ws, Duration::from_millis(200)).await.is_empty(),
        "nothing is due before 0.8 s of audio"
    );
    send_audio(&mut ws, 2.5, STEREO_BPS).await;
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    // The customer's channel has been silent for 3 s: one empty final of its own.
    let (silent, msgs): (Vec<Value>, Vec<Value>) = msgs
        .into_iter()
        .partition(|m| m["channel_index"] == json!([1, 2]));
    assert_eq!(silent.len(), 1, "{silent:?}");
    assert_eq!(silent[0]["is_final"], true);
    assert_eq!(transcript(&silent[0]), "");
    let types: Vec<&str> = msgs.iter().filter_map(|m| m["type"].as_str()).collect();
    assert_eq!(types, ["Results", "SpeechStarted", "Results"]);
    assert_eq!(msgs[0]["is_final"], true, "the silent opening");
    assert_eq!(transcript(&msgs[0]), "");
    assert_eq!(msgs[1]["channel"], json!([0, 2]));
    assert_eq!(
        msgs[2]["is_final"], false,
        "an interim partway through the turn"
    );
    send_audio(&mut ws, 0.6, STEREO_BPS).await;
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    let fin = msgs
        .iter()
        .find(|m| m["type"] == "Results" && m["is_final"] == true)
        .expect("final");
    assert_eq!(
        transcript(fin),
        "Hello, this is Priya from Helix Health. Am I speaking with Mr. Sharma?"
    );
    assert_eq!(fin["speech_final"], true);
    assert_eq!(fin["from_finalize"], false);
    assert_eq!(fin["channel_index"], json!([0, 2]));
    assert_eq!(fin["start"], 1.0);
    assert_eq!(fin["duration"], 2.5);
    let words = fin["channel"]["alternatives"][0]["words"]
        .as_array()
        .expect("words");
    assert_eq!(words[0]["word"], "hello");
    assert_eq!(words[0]["punctuated_word"], "Hello,");
    assert_eq!(words[0]["start"], 1.0);
    assert!(fin["metadata"]["request_id"].is_string());
    assert!(fin["metadata"]["model_info"]["name"].is_string());
    // Customer speech on channel 1, then the agent's utterance end at 3.5 + 1.0 s.
    send_audio(&mut ws, 1.5, STEREO_BPS).await;
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    assert!(
        msgs.iter()
            .any(|m| m["type"] == "SpeechStarted" && m["channel"] == json!([1, 2]))
    );
    let ue = msgs
        .iter()
        .find(|m| m["type"] == "UtteranceEnd")
        .expect("utterance end");
    assert_eq!(ue["channel"], json!([0, 2]));
    assert_eq!(ue["last_word_end"], 3.5);
    drop(ws);
    let s = &sim.deepgram_sessions()[0];
    assert_eq!(s.bytes_received as usize, STEREO_BPS * 51 / 10);
    assert_eq!(s.param("model"), Some("nova-3"));
    assert_eq!(s.header("user-agent"), Some("helix-engage-test/1"));
    sim.shutdown().await;
}

#[tokio::test]
async fn finalize_flushes_the_turn_in_progress() {
    let sim = Simulator::start().await.expect("sim");
    let mut ws = open(&sim, STEREO).await;
    send_audio(&mut ws, 2.0, STEREO_BPS).await;
    drain(&mut ws, Duration::from_millis(200)).await;
    ws.send(Message::Text(r#"{"type":"Finalize"}"#.into()))
        .await
        .expect("finalize");
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    let fin = msgs
        .iter()
        .find(|m| m["from_finalize"] == true)
        .expect("from_finalize result");
    assert_eq!(fin["is_final"], true);
    let partial = transcript(fin).to_string();
    assert!(partial.starts_with("Hello, this is"), "{partial}");
    assert!(!partial.contains("Sharma"));
    send_audio(&mut ws, 1.6, STEREO_BPS).await;
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    let rest = msgs
        .iter()
        .find(|m| m["is_final"] == true)
        .expect("rest of the turn");
    assert_eq!(
        format!("{partial} {}", transcript(rest)),
        "Hello, this is Priya from Helix Health. Am I speaking with Mr. Sharma?",
        "no word lost or repeated"
    );
    assert_eq!(sim.deepgram_sessions()[0].finalizes, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn close_stream_flushes_sends_metadata_and_closes_1000() {
    let sim = Simulator::start().await.expect("sim");
    let (msgs, close) = two_seconds_then_close_stream(&sim).await;
    assert_eq!(close, Some((1000, String::new())));
    let finals: Vec<&Value> = msgs.iter().filter(|m| m["is_final"] == true).collect();
    assert_eq!(finals.len(), 2, "the silence and the flushed partial turn");
    assert_eq!(finals[1]["channel_index"], json!([0, 1]), "mono");
    assert!(transcript(finals[1]).starts_with("Hello, this is"));
    let meta = msgs.last().expect("metadata");
    assert_eq!(meta["type"], "Metadata");
    assert_eq!(meta["duration"], 2.0);
    assert_eq!(meta["channels"], 1);
    let s = &sim.deepgram_sessions()[0];
    assert_eq!(meta["sha256"], json!(s.audio_sha256));
    assert_eq!(meta["request_id"], json!(s.request_id));
    assert_eq!(s.close_streams, 1);
    assert_eq!(s.audio.len(), 16_000);
    assert_eq!(s.close_code, Some(1000));
    sim.shutdown().await;
}

#[tokio::test]
async fn silence_closes_1011_net_0001_and_keepalive_prevents_it() {
    let sim = Simulator::builder()
        .deepgram_idle_timeout(Duration::from_millis(600))
        .start()
        .await
        .expect("sim");
    let mut idle = open(&sim, "encoding=linear16&sample_rate=16000").await;
    let mut kept = open(&sim, "encoding=linear16&sample_rate=16000").await;
    for _ in 0..6 {
        kept.send(Message::Text(r#"{"type":"KeepAlive"}"#.into()))
            .await
            .expect("keepalive");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, close) = until_close(&mut idle, Duration::from_secs(2)).await;
    assert_eq!(close, Some((1011, "NET-0001".to_string())));
    assert!(
        sim.deepgram_sessions()[1].is_open(),
        "KeepAlive kept it open"
    );
    assert!(sim.deepgram_sessions()[1].keep_alives >= 6);
    let (_, close) = until_close(&mut kept, Duration::from_secs(2)).await;
    assert_eq!(
        close,
        Some((1011, "NET-0001".to_string())),
        "until it stops"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn undecodable_audio_closes_1008_data_0000() {
    let sim = Simulator::start().await.expect("sim");
    let mut ws = open(&sim, "encoding=linear16&sample_rate=16000").await;
    ws.send(Message::Binary(b"UNDECODABLE audio".to_vec().into()))
        .await
        .expect("audio");
    let (_, close) = until_close(&mut ws, Duration::from_secs(2)).await;
    assert_eq!(close, Some((1008, "DATA-0000".to_string())));

    sim.inject_fault(Endpoint::DeepgramListen, Fault::Undecodable, Times::Once);
    let mut ws = open(&sim, "encoding=linear16&sample_rate=16000").await;
    send_audio(&mut ws, 0.1, 32_000).await;
    let (_, close) = until_close(&mut ws, Duration::from_secs(2)).await;
    assert_eq!(close, Some((1008, "DATA-0000".to_string())));
    sim.shutdown().await;
}

#[tokio::test]
async fn empty_frames_are_ignored_and_timestamps_restart_per_connection() {
    let sim = Simulator::start().await.expect("sim");
    for _ in 0..2 {
        let mut ws = open(&sim, "encoding=linear16&sample_rate=16000").await;
        ws.send(Message::Binary(Vec::new().into()))
            .await
            .expect("empty");
        send_audio(&mut ws, 1.0, 32_000).await;
        let msgs = drain(&mut ws, Duration::from_millis(300)).await;
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0]["start"], 0.0, "a new connection starts at 0");
    }
    let sessions = sim.deepgram_sessions();
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .all(|s| s.empty_frames == 1 && s.bytes_received == 32_000)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn scripts_are_chosen_per_connection() {
    let sim = Simulator::start().await.expect("sim");
    sim.register_script(
        "short",
        Script {
            turns: vec![Turn::new(0, "Namaste, how can I help?", 0.0, 0.5)],
        },
    )
    .expect("valid");
    let mut ws = open(
        &sim,
        "encoding=linear16&sample_rate=16000&sim_script=short&smart_format=true",
    )
    .await;
    send_audio(&mut ws, 0.5, 32_000).await;
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    assert_eq!(transcript(&msgs[0]), "Namaste, how can I help?");
    assert_eq!(sim.deepgram_sessions()[0].script, "short");
    sim.shutdown().await;
}

#[tokio::test]
async fn deepgram_faults() {
    let sim = Simulator::start().await.expect("sim");
    sim.inject_fault(
        Endpoint::DeepgramListen,
        Fault::RefuseHandshake { status: 503 },
        Times::Once,
    );
    match connect(&sim, "model=nova-3", Some("Token sim-deepgram-key")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 503);
            assert!(resp.headers().contains_key("dg-error"));
        }
        other => panic!("expected 503, got {:?}", other.map(|_| ())),
    }
    // Dropped after N bytes: no close frame, the stream just ends.
    sim.inject_fault(
        Endpoint::DeepgramListen,
        Fault::DropAfterBytes { bytes: 6_400 },
        Times::Once,
    );
    let mut ws = open(&sim, "encoding=linear16&sample_rate=16000").await;
    send_audio(&mut ws, 0.3, 32_000).await;
    let (_, close) = until_close(&mut ws, Duration::from_secs(2)).await;
    assert_eq!(close, None);
    assert_eq!(sim.deepgram_sessions()[1].ended.as_deref(), Some("dropped"));
    // A half-dead socket: takes audio, answers nothing, never closes.
    sim.inject_fault(Endpoint::DeepgramListen, Fault::StopAnswering, Times::Once);
    let mut ws = open(&sim, "encoding=linear16&sample_rate=16000").await;
    send_audio(&mut ws, 2.0, 32_000).await;
    close_stream(&mut ws).await;
    assert!(drain(&mut ws, Duration::from_millis(400)).await.is_empty());
    let s = &sim.deepgram_sessions()[2];
    assert_eq!(s.bytes_received, 64_000);
    assert!(s.is_open());
    // The next connection is healthy again.
    let mut ws = open(&sim, "encoding=linear16&sample_rate=16000").await;
    send_audio(&mut ws, 1.0, 32_000).await;
    assert_eq!(drain(&mut ws, Duration::from_millis(300)).await.len(), 1);
    sim.shutdown().await;
}

/// Stereo linear16 whose samples carry their sample-frame index (`sim_timecode`).
fn timecoded(from_frame: u32, frames: u32) -> Vec<u8> {
    helix_engage_sim::deepgram::timecoded_audio(from_frame, frames)
}

#[tokio::test]
async fn timecoded_audio_resumes_the_script_where_the_audio_is() {
    let sim = Simulator::start().await.expect("sim");
    sim.set_default_script(Script {
        turns: vec![
            Turn::new(0, "Before the cut.", 0.5, 1.5),
            Turn::new(1, "one two three four", 3.0, 5.0),
            Turn::new(0, "After the cut.", 6.0, 7.0),
        ],
    })
    .expect("script");
    // Without the parameter, every connection starts the script at 0 (the old behaviour).
    let query = format!("{STEREO}&sim_timecode=true");
    let mut ws = open(&sim, &query).await;
    // The connection's audio starts 4.0 s into the call: the middle of the second turn.
    let audio = timecoded(64_000, 16_000 * 4);
    for chunk in audio.chunks(STEREO_BPS / 10) {
        ws.send(Message::Binary(chunk.to_vec().into()))
            .await
            .expect("audio");
    }
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    let finals: Vec<(String, f64)> = msgs
        .iter()
        .filter(|m| m["type"] == "Results" && m["is_final"] == true)
        // Silence between the turns gets empty finals; the words are what this test is about.
        .filter(|m| !transcript(m).is_empty())
        .map(|m| (transcript(m).to_string(), m["start"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        finals,
        vec![
            ("three four".to_string(), 0.0),
            ("After the cut.".to_string(), 2.0)
        ],
        "{msgs:#?}"
    );
    // The parameter needs audio that can carry a timecode.
    let refused = connect(
        &sim,
        "encoding=linear16&sample_rate=16000&sim_timecode=true",
        Some("Token sim-deepgram-key"),
    )
    .await;
    assert!(refused.is_err());
    sim.shutdown().await;
}

/// `drop_on_close_stream` (armed over the control API): the socket is cut when `CloseStream`
/// arrives, before the flushed results and `Metadata` — a drop while closing.
#[tokio::test]
async fn a_drop_while_closing_sends_no_metadata_and_no_close_frame() {
    let sim = Simulator::start().await.expect("sim");
    let armed = reqwest::Client::new()
        .post(format!("{}/faults", sim.control_url()))
        .json(&json!({"endpoint": "deepgram_listen", "fault": {"kind": "drop_on_close_stream"}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(armed.status(), 201);
    let (msgs, close) = two_seconds_then_close_stream(&sim).await;
    assert_eq!(close, None, "no close frame");
    assert!(
        !msgs.iter().any(|m| m["type"] == "Metadata"),
        "no Metadata: {msgs:#?}"
    );
    // The turn in progress was not flushed either (only the silence before it was final).
    assert!(
        !msgs
            .iter()
            .any(|m| m["is_final"] == true && transcript(m).starts_with("Hello")),
        "{msgs:#?}"
    );
    let s = &sim.deepgram_sessions()[0];
    assert_eq!(s.close_streams, 1);
    assert_eq!(s.ended.as_deref(), Some("dropped"));
    assert_eq!(s.close_code, None);
    // Arrivals: one per audio frame, bytes counted up to each.
    assert_eq!(s.audio_arrivals.len() as u64, s.audio_frames);
    assert_eq!(s.audio_arrivals.last().map(|a| a.1), Some(16_000));
    assert!(
        s.audio_arrivals
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1)
    );
    // The fault was used up: the next connection closes the stream properly.
    let (msgs, close) = two_seconds_then_close_stream(&sim).await;
    assert_eq!(close, Some((1000, String::new())));
    assert_eq!(
        msgs.last().map(|m| m["type"].clone()),
        Some(json!("Metadata"))
    );
    sim.shutdown().await;
}

/// Every transcript and word (plain and punctuated) in `msgs`, for "appears nowhere" checks.
fn all_text(msgs: &[Value]) -> String {
    let mut out = String::new();
    for m in msgs.iter().filter(|m| m["type"] == "Results") {
        out.push_str(transcript(m));
        out.push('\n');
        for w in m["channel"]["alternatives"][0]["words"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.push_str(w["word"].as_str().unwrap_or_default());
            out.push(' ');
            out.push_str(w["punctuated_word"].as_str().unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

/// Non-empty final transcripts, in order.
fn finals(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m["type"] == "Results" && m["is_final"] == true)
        .map(|m| transcript(m).to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The Deepgram refusal of a handshake: status and `dg-error`.
async fn refusal(sim: &Simulator, query: &str) -> (u16, String) {
    match connect(sim, query, Some("Token sim-deepgram-key")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => (
            resp.status().as_u16(),
            resp.headers()
                .get("dg-error")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        ),
        Err(e) => panic!("{query}: {e}"),
        Ok(_) => panic!("{query}: accepted"),
    }
}

/// A customer reading out a card, a phone number and an e-mail, and a symptom.
const SENSITIVE: &str =
    "Card 4111 1111 1111 1111 please, call 98450 12345 or mail priya@helix.in about my chest pain.";

/// Plays [`SENSITIVE`] (1–5 s) on a connection with `extra` query parameters; all messages.
async fn play_sensitive(sim: &Simulator, extra: &str) -> Vec<Value> {
    sim.register_script(
        "sensitive",
        Script {
            turns: vec![Turn::new(1, SENSITIVE, 1.0, 5.0)],
        },
    )
    .expect("script");
    let mut ws = open(sim, &format!("{STEREO}&sim_script=sensitive&{extra}")).await;
    send_audio(&mut ws, 6.0, STEREO_BPS).await;
    drain(&mut ws, Duration::from_millis(300)).await
}

#[tokio::test]
async fn redact_numbers_replaces_digit_runs_in_every_language() {
    let sim = Simulator::start().await.expect("sim");
    let query = format!("{STEREO}&sim_script=hinglish&language=multi&redact=numbers");
    let mut ws = open(&sim, &query).await;
    send_audio(&mut ws, 15.0, STEREO_BPS).await;
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    let text = all_text(&msgs);
    for digits in ["4471", "2290", "3316"] {
        assert!(!text.contains(digits), "{digits} in {text}");
    }
    assert_eq!(
        finals(&msgs)
            .into_iter()
            .filter(|t| t.contains("policy"))
            .collect::<Vec<_>>(),
        [
            "Zaroor. Aapka policy number bata dijiye, please.",
            "Haan, mera policy number hai [NUMBER]."
        ]
    );
    // One word for the whole number, spanning its three spoken groups.
    let final_words = msgs
        .iter()
        .find(|m| m["is_final"] == true && transcript(m).contains("[NUMBER]"))
        .map(|m| m["channel"]["alternatives"][0]["words"].clone())
        .expect("the policy line");
    let last = &final_words[5];
    assert_eq!(
        (
            last["word"].as_str(),
            last["punctuated_word"].as_str(),
            last["start"].as_f64(),
            last["end"].as_f64()
        ),
        (
            Some("[NUMBER]"),
            Some("[NUMBER]."),
            Some(13.188),
            Some(14.5)
        )
    );
    assert_eq!(final_words.as_array().map(Vec::len), Some(6));
    let s = &sim.deepgram_sessions()[0];
    assert_eq!(s.script, "hinglish");
    assert_eq!(s.language.as_deref(), Some("multi"));
    assert_eq!(s.redact_requested, ["numbers"]);
    assert_eq!(s.redact_applied, ["numbers"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn entity_redaction_applies_in_english_and_is_ignored_with_multi() {
    let sim = Simulator::start().await.expect("sim");
    // English (language unset): every entity tagged, in the interim too.
    let msgs = play_sensitive(&sim, "redact=pci&redact=pii,phi").await;
    assert_eq!(
        finals(&msgs),
        [
            "Card [CREDIT_CARD_1] please, call [PHONE_NUMBER_1] or mail [EMAIL_ADDRESS_1] about \
          my [CONDITION_1]."
        ]
    );
    let interim = msgs
        .iter()
        .find(|m| m["type"] == "Results" && m["is_final"] == false)
        .expect("an interim");
    assert!(
        transcript(interim).starts_with("Card [CREDIT_CARD_1] please,"),
        "{interim}"
    );
    let text = all_text(&msgs);
    for secret in ["4111", "98450", "priya", "helix.in", "chest"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // en-IN is English too; `true` is `numbers` (entities win where both apply).
    let msgs = play_sensitive(&sim, "language=en-IN&redact=pci,true").await;
    assert_eq!(
        finals(&msgs),
        ["Card [CREDIT_CARD_1] please, call [NUMBER] or mail priya@helix.in about my chest pain."]
    );
    // multi: entities are ignored (hosted streaming redacts them in English only) ...
    let msgs = play_sensitive(&sim, "model=nova-3&language=multi&redact=pci&redact=pii").await;
    assert_eq!(finals(&msgs), [SENSITIVE]);
    // ... while numbers still apply.
    let msgs = play_sensitive(&sim, "language=multi&redact=pci,aggressive_numbers").await;
    assert_eq!(
        finals(&msgs),
        ["Card [NUMBER] please, call [NUMBER] or mail priya@helix.in about my chest pain."]
    );
    let sessions = sim.deepgram_sessions();
    let recorded: Vec<(Option<&str>, Vec<String>, Vec<String>)> = sessions
        .iter()
        .map(|s| {
            (
                s.language.as_deref(),
                s.redact_requested.clone(),
                s.redact_applied.clone(),
            )
        })
        .collect();
    let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        recorded,
        [
            (None, v(&["pci", "pii", "phi"]), v(&["pci", "pii", "phi"])),
            (Some("en-IN"), v(&["pci", "true"]), v(&["numbers", "pci"])),
            (Some("multi"), v(&["pci", "pii"]), v(&[])),
            (
                Some("multi"),
                v(&["pci", "aggressive_numbers"]),
                v(&["numbers"])
            ),
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_redact_values_and_multi_off_nova_3_are_refused() {
    let sim = Simulator::start().await.expect("sim");
    for query in ["redact=ssn", "redact=pci,bogus", "redact="] {
        let (status, error) = refusal(&sim, query).await;
        assert_eq!(status, 400, "{query}");
        assert!(error.contains("'redact'"), "{query}: {error}");
    }
    for model in ["nova-2", "nova-2-phonecall", "nova-3-medical", "base"] {
        let (status, error) = refusal(&sim, &format!("model={model}&language=multi")).await;
        assert_eq!(status, 400, "{model}");
        assert!(error.contains("multi"), "{model}: {error}");
    }
    // Nova-3 takes multi with any endpointing; the language is recorded.
    for endpointing in ["100", "false", "300"] {
        let mut ws = open(
            &sim,
            &format!("model=nova-3&language=multi&endpointing={endpointing}&redact=false"),
        )
        .await;
        ws.close(None).await.expect("close");
    }
    let sessions = sim.deepgram_sessions();
    let upgraded: Vec<_> = sessions.iter().filter(|s| s.status == 101).collect();
    assert_eq!(upgraded.len(), 3);
    assert!(
        upgraded
            .iter()
            .all(|s| s.language.as_deref() == Some("multi")
                && s.redact_requested == ["false"]
                && s.redact_applied.is_empty())
    );
    assert!(
        sessions
            .iter()
            .filter(|s| s.status == 400)
            .all(|s| s.ended.as_deref() == Some("refused"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_hinglish_script_is_chosen_by_name_or_as_the_default_over_control() {
    let sim = Simulator::start().await.expect("sim");
    let http = reqwest::Client::new();
    let put = |path: &str, body: Value| {
        http.put(format!("{}{path}", sim.control_url()))
            .json(&body)
            .send()
    };
    let set = put("/deepgram/script", json!({"builtin": "hinglish"}))
        .await
        .expect("sent");
    assert_eq!(set.status(), 200);
    let bad = put("/deepgram/script", json!({"builtin": "klingon"}))
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    let named = put("/deepgram/scripts/hi", json!({"builtin": "hinglish"}))
        .await
        .expect("sent");
    assert_eq!(named.status(), 201);
    let expected = [
        "Namaste, Helix Hospital se Priya baat kar rahi hoon. How can I help you?",
        "Haan ji, mujhe Dr. Mehta ka appointment chahiye, kal subah.",
        "Zaroor. Aapka policy number bata dijiye, please.",
        "Haan, mera policy number hai 4471 2290 3316.",
        "Thank you. Dr. Mehta kal subah das baje available hain.",
        "Aur sir, mujhe chest mein bahut dard ho raha hai since morning.",
        "Main abhi aapko hamari emergency team se connect karti hoon.",
    ];
    for query in [
        format!("{STEREO}&language=multi"),
        format!("{STEREO}&language=multi&sim_script=hi"),
    ] {
        let mut ws = open(&sim, &query).await;
        send_audio(&mut ws, 27.0, STEREO_BPS).await;
        let msgs = drain(&mut ws, Duration::from_millis(300)).await;
        assert_eq!(finals(&msgs), expected, "{query}");
        // The customer's lines are on channel 1.
        let customer: Vec<String> = msgs
            .iter()
            .filter(|m| m["is_final"] == true && m["channel_index"] == json!([1, 2]))
            .map(|m| transcript(m).to_string())
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(customer.len(), 3);
    }
    assert_eq!(
        Script::builtin(helix_engage_sim::HINGLISH_SCRIPT),
        Some(Script::hinglish_conversation())
    );
    // Non-Rust tests read the same record over the control API.
    let sessions: Value = http
        .get(format!("{}/deepgram/sessions", sim.control_url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            &sessions[1]["script"],
            &sessions[1]["language"],
            &sessions[1]["redact_requested"],
            &sessions[1]["redact_applied"],
            &sessions[1]["timecode_gaps"]
        ),
        (
            &json!("hi"),
            &json!("multi"),
            &json!([]),
            &json!([]),
            &json!([])
        )
    );
    sim.shutdown().await;
}

/// A private stretch: the client sends call seconds 0–2.5, nothing for 2.5–6.0 (a turn is
/// said then), and resumes at 6.0. The turn inside the gap is never played; the turn the gap
/// cuts keeps only its words before it; later turns play, in connection time.
#[tokio::test]
async fn a_timecode_gap_never_plays_the_turns_inside_it() {
    let sim = Simulator::start().await.expect("sim");
    sim.set_default_script(Script {
        turns: vec![
            Turn::new(0, "Before the gap.", 0.5, 1.5),
            Turn::new(1, "alpha bravo charlie delta", 2.0, 3.0),
            Turn::new(1, "my secret policy number canary", 3.5, 5.5),
            Turn::new(0, "After the gap.", 7.0, 8.0),
        ],
    })
    .expect("script");
    let mut ws = open(&sim, &format!("{STEREO}&sim_timecode=true")).await;
    let mut audio = timecoded(0, 40_000); // 0.0–2.5 s
    audio.extend(timecoded(96_000, 48_000)); // 6.0–9.0 s
    for chunk in audio.chunks(STEREO_BPS / 50) {
        ws.send(Message::Binary(chunk.to_vec().into()))
            .await
            .expect("audio");
    }
    let msgs = drain(&mut ws, Duration::from_millis(300)).await;
    let text = all_text(&msgs);
    for word in ["secret", "policy", "canary", "charlie", "delta"] {
        assert!(!text.contains(word), "{word} was played: {text}");
    }
    let timed: Vec<(String, f64)> = msgs
        .iter()
        .filter(|m| m["type"] == "Results" && m["is_final"] == true)
        .filter(|m| !transcript(m).is_empty())
        .map(|m| {
            (
                transcript(m).to_string(),
                m["start"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        timed,
        [
            ("Before the gap.".to_string(), 0.5),
            ("alpha bravo".to_string(), 2.0),
            // 7.0 s of the call is 3.5 s of audio received.
            ("After the gap.".to_string(), 3.5),
        ],
        "{msgs:#?}"
    );
    assert_eq!(sim.deepgram_sessions()[0].timecode_gaps, [(2.5, 6.0)]);
    let sessions: Value = reqwest::get(format!("{}/deepgram/sessions", sim.control_url()))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(sessions[0]["timecode_gaps"], json!([[2.5, 6.0]]));
    sim.shutdown().await;
}
