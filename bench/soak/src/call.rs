//! One call: 20 ms frames of timecoded stereo audio handed to `LiveAssist::send_audio` in
//! real time, a host reading the events (at once, or slowly), and what came out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use helix_engage::assist::{
    AssistConfig, AssistEvent, AudioDelivery, AudioFormat, CallSummary, DeepgramConfig, LiveAssist,
    Speaker, SuggestionConfig,
};
use helix_engage_sim::deepgram::TIMECODE_PARAM;
use helix_engage_sim::{DEEPGRAM_KEY, OPENAI_KEY};
use tokio::time::Instant;

use crate::Error;
use crate::plan::FRAME_SAMPLES;

/// How a call is run.
pub struct CallSpec {
    pub deepgram_url: String,
    pub openai_url: String,
    /// `None`: the host reads every event at once. `Some(d)`: it takes `d` over each one.
    pub slow_consumer: Option<Duration>,
    /// The session's event queue (`AssistConfig::event_queue`).
    pub event_queue: usize,
}

/// A final as the host read it.
pub struct SeenFinal {
    pub channel: u32,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub read_at: Instant,
}

/// What the call left behind.
pub struct CallResult {
    pub summary: CallSummary,
    /// When each frame was handed to `send_audio`.
    pub sent_at: Vec<Instant>,
    /// Frames `send_audio` did not queue.
    pub not_queued: usize,
    /// Finals the host read, in the order it read them.
    pub seen_finals: Vec<SeenFinal>,
    /// Events the host read, by kind.
    pub seen: BTreeMap<&'static str, u64>,
}

fn config(spec: &CallSpec) -> AssistConfig {
    let mut deepgram = DeepgramConfig::new(DEEPGRAM_KEY).with_url(&spec.deepgram_url);
    // The simulator hears the words really in the audio a reconnected socket is sent.
    deepgram
        .extra_params
        .push((TIMECODE_PARAM.into(), "true".into()));
    // Every timer, the reconnect policy, the replay buffer and speed: the library's defaults,
    // the ones a real call runs with.
    AssistConfig {
        deepgram,
        audio: AudioFormat::Linear16 {
            sample_rate: crate::plan::RATE,
            channels: 2,
        },
        speakers: vec![Speaker::Agent, Speaker::Customer],
        suggestions: Some(SuggestionConfig::new(OPENAI_KEY).with_base_url(&spec.openai_url)),
        event_queue: spec.event_queue,
        ..Default::default()
    }
}

fn kind(e: &AssistEvent) -> &'static str {
    match e {
        AssistEvent::Transcript { is_final: true, .. } => "final",
        AssistEvent::Transcript { .. } => "interim",
        AssistEvent::SpeechStarted { .. } => "speech_started",
        AssistEvent::UtteranceEnd { .. } => "utterance_end",
        AssistEvent::Private { .. } => "private",
        AssistEvent::Suggestion(_) => "suggestion",
        AssistEvent::Reconnecting { .. } => "reconnecting",
        AssistEvent::Reconnected { .. } => "reconnected",
        AssistEvent::Warning(_) => "warning",
        AssistEvent::Error(_) => "error",
        AssistEvent::Closed(_) => "closed",
        _ => "other",
    }
}

/// Streams `secs` of call from `t0` (frame k handed over at `t0 + 20 ms · k`) and stops.
pub async fn run(spec: CallSpec, t0: Instant, secs: f64) -> Result<CallResult, Error> {
    let (assist, mut events) = LiveAssist::start(config(&spec)).await?;
    // Once the call is over the host reads the rest at once: only the live reading is slow.
    let hurry = Arc::new(AtomicBool::new(false));
    let slow = spec.slow_consumer;
    let hurry_reader = hurry.clone();
    let reader = tokio::spawn(async move {
        let mut seen: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut finals = Vec::new();
        while let Some(event) = events.recv().await {
            let read_at = Instant::now();
            *seen.entry(kind(&event)).or_default() += 1;
            match event {
                AssistEvent::Transcript {
                    segment,
                    is_final: true,
                } => finals.push(SeenFinal {
                    channel: segment.channel,
                    start: segment.start,
                    end: segment.end,
                    text: segment.text,
                    read_at,
                }),
                AssistEvent::Closed(_) => break,
                _ => {}
            }
            if let Some(d) = slow
                && !hurry_reader.load(Ordering::Relaxed)
            {
                tokio::time::sleep(d).await;
            }
        }
        (seen, finals)
    });

    let frames = (secs * 50.0).round() as u32;
    let mut sent_at = Vec::with_capacity(frames as usize);
    let mut not_queued = 0;
    for k in 0..frames {
        tokio::time::sleep_until(t0 + Duration::from_millis(20 * u64::from(k))).await;
        let frame = helix_engage_sim::deepgram::timecoded_audio(k * FRAME_SAMPLES, FRAME_SAMPLES);
        if assist.send_audio(frame)? != AudioDelivery::Queued {
            not_queued += 1;
        }
        sent_at.push(Instant::now());
    }
    let summary = assist.stop().await?;
    hurry.store(true, Ordering::Relaxed);
    let (seen, seen_finals) = tokio::time::timeout(Duration::from_secs(60), reader).await??;
    Ok(CallResult {
        summary,
        sent_at,
        not_queued,
        seen_finals,
        seen,
    })
}
