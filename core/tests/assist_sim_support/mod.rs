//! The session set-up the simulator tests share (`assist_sim`, `assist_private_canary`): a
//! simulator with a script, a config aimed at it with timers scaled for tests, suggestions
//! from its OpenAI stand-in, and timecoded audio streamed faster than real time.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use helix_engage::assist::{
    AssistConfig, AudioFormat, DeepgramConfig, LiveAssist, ReconnectPolicy, Speaker,
    SuggestionConfig, Timing,
};
use helix_engage_sim::{DEEPGRAM_KEY, OPENAI_KEY, Script, Simulator};

pub const RATE: u32 = 16_000;
/// Bytes per second of 16 kHz, 16-bit stereo.
pub const BPS: usize = RATE as usize * 4;
/// One 20 ms frame.
pub const FRAME: usize = BPS / 50;

pub async fn sim(script: Script) -> Simulator {
    Simulator::builder()
        .default_script(script)
        .start()
        .await
        .expect("simulator")
}

/// A session aimed at the simulator with timers scaled for tests.
pub fn config(sim: &Simulator) -> AssistConfig {
    let mut deepgram = DeepgramConfig::new(DEEPGRAM_KEY).with_url(sim.deepgram_url());
    deepgram
        .extra_params
        .push(("sim_timecode".into(), "true".into()));
    AssistConfig {
        deepgram,
        audio: AudioFormat::Linear16 {
            sample_rate: RATE,
            channels: 2,
        },
        speakers: vec![Speaker::Agent, Speaker::Customer],
        timing: Timing {
            keepalive_after: Duration::from_millis(300),
            watchdog: Duration::from_secs(2),
            send_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            stop_wait: Duration::from_secs(3),
        },
        reconnect: ReconnectPolicy {
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_attempts: 10,
        },
        audio_queue_chunks: 16_384,
        event_queue: 100_000,
        replay_buffer: Duration::from_secs(120),
        // Replays go as fast as the test streams (the 1.25× cap has its own test).
        replay_speed: 1_000.0,
        ..Default::default()
    }
}

pub fn suggestions(sim: &Simulator) -> SuggestionConfig {
    let mut s = SuggestionConfig::new(OPENAI_KEY).with_base_url(sim.openai_url());
    s.interval = Duration::from_secs(30);
    s.min_gap = Duration::from_millis(50);
    s.timeout = Duration::from_millis(400);
    s.backoff_initial = Duration::from_millis(50);
    s.backoff_max = Duration::from_millis(100);
    s
}

/// Stereo audio from call second `from` to `to` whose sample frames carry their index.
pub fn timecoded(from: f64, to: f64) -> Vec<u8> {
    let (a, b) = (
        (from * f64::from(RATE)) as u32,
        (to * f64::from(RATE)) as u32,
    );
    helix_engage_sim::deepgram::timecoded_audio(a, b - a)
}

/// Streams call seconds `from..to` in 20 ms frames at about `speed`× real time.
pub async fn stream(assist: &LiveAssist, from: f64, to: f64, speed: f64) -> Vec<u8> {
    let audio = timecoded(from, to);
    let started = Instant::now();
    for (i, frame) in audio.chunks(FRAME).enumerate() {
        assist.send_audio(frame.to_vec()).expect("send_audio");
        if i % 10 == 9 {
            let due = Duration::from_secs_f64((i + 1) as f64 * 0.02 / speed);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
    }
    audio
}
