//! `helix assist --audio FILE.wav`: live assist on a recording, in the terminal — the
//! transcript's finals by speaker, the suggestions as they come, and the after-call notes.
//! With `DEEPGRAM_API_KEY` (and `OPENAI_API_KEY` for suggestions) it uses the real services;
//! without, it starts the simulator in this process and uses its Deepgram and OpenAI.
//! Redaction stays on (the library's default): there is no flag to turn it off.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use helix_engage::assist::{
    AssistConfig, AssistEvent, AudioFormat, Bytes, CallSummary, DeepgramConfig, LeadContext,
    LiveAssist, PostCallConfig, Speaker, SuggestionBatch, SuggestionConfig, Timing,
};
use helix_engage_sim::{DEEPGRAM_KEY, OPENAI_KEY, Script, Simulator};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::Ctx;
use crate::exit::{CliError, CliResult};
use crate::output::{BOLD, CYAN, DIM, GREEN, Out, YELLOW};

#[derive(Args, Debug)]
#[command(after_help = "\
Services: DEEPGRAM_API_KEY set → Deepgram (and OPENAI_API_KEY set → OpenAI suggestions and \
after-call notes); not set → the built-in simulator, whose Deepgram plays its scripted \
conversation whatever the recording says (for trying the command, not for transcribing).

The recording: a WAV of 16-bit PCM or 8-bit µ-law. Stereo: the agent on the left channel, the \
customer on the right; mono: Deepgram tells the speakers apart (diarisation).

--lead FILE: the lead as JSON, e.g. {\"name\":\"Asha Rao\",\"phone\":\"+91 98450 12345\",\
\"status\":\"follow-up\",\"history\":[\"2026-11-02: asked about knee surgery\"],\
\"fields\":[[\"Plan\",\"Gold\"]],\"notes\":\"prefers Hindi\"}. The phone is never sent to the \
LLM, and is redacted wherever it is said.

Examples:
  helix assist --audio call.wav
  DEEPGRAM_API_KEY=… OPENAI_API_KEY=… helix assist --audio call.wav --lead lead.json --hinglish
  helix assist --audio call.wav --json | jq 'select(.type == \"suggestion\")'")]
pub struct AssistArgs {
    /// The recording (WAV).
    #[arg(long, value_name = "FILE.wav")]
    pub audio: PathBuf,
    /// The lead on the call (JSON), for the suggestions and the after-call notes.
    #[arg(long, value_name = "FILE.json")]
    pub lead: Option<PathBuf>,
    /// A Hindi/English call: Deepgram's multilingual model (on the simulator, its Hinglish
    /// conversation).
    #[arg(long)]
    pub hinglish: bool,
    /// A disposition the after-call notes may suggest (repeat it; the simulator's account
    /// has its own list).
    #[arg(long = "disposition", value_name = "NAME")]
    pub dispositions: Vec<String>,
    /// Stream the recording at this many times real time (1–20; Deepgram takes recordings
    /// faster than real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

/// The services in use: the simulator is kept alive for the session.
struct Services {
    config: AssistConfig,
    _sim: Option<Simulator>,
}

pub async fn run(a: AssistArgs, ctx: &Ctx) -> CliResult {
    if !(1.0..=20.0).contains(&a.speed) {
        return Err(CliError::usage(format!(
            "--speed is {}; use 1 to 20",
            a.speed
        )));
    }
    let bytes = std::fs::read(&a.audio)
        .map_err(|e| CliError::io(format!("cannot read {}: {e}", a.audio.display())))?;
    let (format, samples) = AudioFormat::from_wav(&bytes)
        .map_err(|e| CliError::from(e).with_hint("give a WAV of 16-bit PCM or 8-bit µ-law"))?;
    let audio = bytes[samples].to_vec();
    let lead = match &a.lead {
        Some(path) => Some(read_lead(path)?),
        None => None,
    };
    let services = services(&a, ctx, format, lead).await?;
    let (assist, events) = LiveAssist::start(services.config).await?;
    let printer = tokio::spawn(print_events(events, ctx.out.clone()));
    let streamed = stream(&assist, format, &audio, a.speed).await;
    let summary = assist.stop().await;
    // The event queue ends with `Closed`; every final is printed before the notes.
    let _ = printer.await;
    streamed?;
    let summary = summary?;
    if !ctx.out.json {
        print_notes(&summary, &ctx.out)?;
    }
    match summary.error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

fn read_lead(path: &Path) -> CliResult<LeadContext> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!("{} is not a lead: {e}", path.display())).with_hint(
            "fields: name, phone, status, history [..], fields [[label, value]..], notes",
        )
    })
}

/// Real Deepgram (and OpenAI) from the environment, else the simulator in this process.
async fn services(
    a: &AssistArgs,
    ctx: &Ctx,
    format: AudioFormat,
    lead: Option<LeadContext>,
) -> CliResult<Services> {
    let key = |name: &str| std::env::var(name).ok().filter(|k| !k.trim().is_empty());
    let post_call = PostCallConfig::default().with_dispositions(a.dispositions.clone());
    let mut config = AssistConfig {
        audio: format,
        speakers: vec![Speaker::Agent, Speaker::Customer],
        lead,
        ..Default::default()
    };
    let Some(dg_key) = key("DEEPGRAM_API_KEY") else {
        let sim = Simulator::builder()
            .default_script(if a.hinglish {
                Script::hinglish_conversation()
            } else {
                Script::default_conversation()
            })
            .start()
            .await
            .map_err(|e| CliError::io(format!("cannot start the simulator: {e}")))?;
        ctx.out.note(
            "no DEEPGRAM_API_KEY: using the built-in simulator (its scripted conversation, \
             not the recording's words)",
        );
        let post_call = if a.dispositions.is_empty() {
            post_call.with_dispositions(sim_dispositions(&sim).await)
        } else {
            post_call
        };
        config.deepgram = deepgram(DEEPGRAM_KEY, a.hinglish).with_url(sim.deepgram_url());
        config.suggestions = Some(
            SuggestionConfig::new(OPENAI_KEY)
                .with_base_url(sim.openai_url())
                .with_post_call(post_call),
        );
        config.timing = Timing {
            // The simulator confirms the end of the stream at once.
            stop_wait: Duration::from_secs(3),
            ..Default::default()
        };
        return Ok(Services {
            config,
            _sim: Some(sim),
        });
    };
    let mut dg = deepgram(dg_key, a.hinglish);
    // A mono recording mixes both parties: let Deepgram tell the speakers apart.
    dg.diarize = format.channels() == 1;
    config.deepgram = dg;
    config.suggestions = match key("OPENAI_API_KEY") {
        Some(k) => Some(SuggestionConfig::new(k).with_post_call(post_call)),
        None => {
            ctx.out
                .note("OPENAI_API_KEY not set: the transcript only (no suggestions, no notes)");
            None
        }
    };
    Ok(Services { config, _sim: None })
}

fn deepgram(key: impl Into<String>, hinglish: bool) -> DeepgramConfig {
    let key = key.into();
    if hinglish {
        DeepgramConfig::indian_multilingual(key)
    } else {
        DeepgramConfig::new(key)
    }
}

/// The simulator account's dispositions, so the notes can suggest one as they would on a desk.
async fn sim_dispositions(sim: &Simulator) -> Vec<String> {
    let client = helix_engage::ozonetel::Client::builder()
        .user_name(helix_engage_sim::DEFAULT_USER_NAME)
        .api_key(helix_engage_sim::DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .build();
    match client {
        Ok(c) => c.dispositions().await.unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Sends the recording in 20 ms frames at `speed`× real time (Ctrl-C ends it early; the
/// session still stops cleanly and the notes come).
async fn stream(assist: &LiveAssist, format: AudioFormat, audio: &[u8], speed: f64) -> CliResult {
    let per_sec = format.bytes_per_second().unwrap_or(32_000);
    let align = format.frame_bytes().unwrap_or(1).max(1);
    let frame = usize::try_from((per_sec / 50).max(align) / align * align).unwrap_or(640);
    let tick = Duration::from_millis(20).div_f64(speed);
    let started = Instant::now();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    for (i, chunk) in audio.chunks(frame).enumerate() {
        assist.send_audio(Bytes::copy_from_slice(chunk))?;
        let due = started + tick * u32::try_from(i + 1).unwrap_or(u32::MAX);
        tokio::select! {
            _ = tokio::time::sleep_until(due.into()) => {}
            _ = &mut ctrl_c => return Ok(()),
        }
    }
    Ok(())
}

/// Prints each event as it comes: finals by speaker and suggestions on stdout, the rest on
/// stderr (`--json`: every event as one JSON line).
async fn print_events(mut events: mpsc::Receiver<AssistEvent>, out: Out) {
    while let Some(event) = events.recv().await {
        if out.json {
            let _ = out.result(&event, String::new);
            continue;
        }
        match &event {
            AssistEvent::Transcript {
                segment,
                is_final: true,
            } if !segment.text.trim().is_empty() => {
                let who = out.paint(BOLD, &format!("{}:", segment.speaker));
                let _ = out.line(&format!(
                    "{} {who} {}",
                    out.paint(DIM, &format!("[{:>6.1}s]", segment.start)),
                    segment.text
                ));
            }
            AssistEvent::Suggestion(batch) => {
                for line in suggestion_lines(batch) {
                    let _ = out.line(&out.paint(CYAN, &line));
                }
            }
            AssistEvent::Warning(w) => out.note(&format!("warning: {}", w.message)),
            AssistEvent::Reconnecting { attempt, reason } => {
                out.note(&format!(
                    "Deepgram connection lost ({reason}); reconnecting (attempt {attempt})"
                ));
            }
            AssistEvent::Reconnected { attempt, .. } => {
                out.note(&format!("reconnected (attempt {attempt})"));
            }
            AssistEvent::Error(e) => out.note(&format!("error: {e}")),
            _ => {}
        }
    }
}

/// A batch as lines: each suggestion with its kind, then the sentiment and any escalation.
fn suggestion_lines(batch: &SuggestionBatch) -> Vec<String> {
    let mut lines: Vec<String> = batch
        .items
        .iter()
        .map(|s| format!("  → {}: {}", name(&s.kind), s.text))
        .collect();
    if let Some(e) = &batch.escalation {
        lines.push(format!("  ! escalate ({}): {}", name(&e.reason), e.detail));
    }
    if let Some(s) = &batch.sentiment {
        lines.push(format!("  · customer sounds {}", name(s)));
    }
    lines
}

/// A serialised enum's name (`next_step`, `medical_emergency`).
fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s.replace('_', " "),
        _ => "?".to_string(),
    }
}

/// The after-call notes (`SuggestionConfig::post_call`), for the agent to confirm.
fn print_notes(summary: &CallSummary, out: &Out) -> CliResult {
    let finals = summary.transcript.segments.len();
    out.line("")?;
    out.line(&out.paint(
        BOLD,
        &format!(
            "Call over: {finals} transcript segments, {} suggestion batches",
            summary.suggestions.len()
        ),
    ))?;
    if let Some(e) = &summary.post_call_error {
        out.note(&format!("no after-call notes: {e}"));
        return Ok(());
    }
    let Some(notes) = &summary.post_call else {
        return Ok(());
    };
    out.line(&out.paint(BOLD, "After-call notes"))?;
    out.line(&format!("  summary:   {}", notes.summary))?;
    if !notes.reason.is_empty() {
        out.line(&format!("  reason:    {}", notes.reason))?;
    }
    out.line(&format!("  outcome:   {}", name(&notes.outcome)))?;
    out.line(&format!("  sentiment: {}", name(&notes.sentiment)))?;
    for f in &notes.follow_ups {
        let due = f
            .due
            .as_deref()
            .map_or(String::new(), |d| format!(" ({d})"));
        out.line(&format!("  follow up: {}{due}", f.what))?;
    }
    match &notes.suggested_disposition {
        Some(d) => out.line(&out.paint(
            GREEN,
            &format!(
                "  suggested disposition: {d} (confidence {:.0}%, for the agent to confirm)",
                notes.confidence * 100.0
            ),
        )),
        None => out.line(&out.paint(YELLOW, "  no disposition suggested")),
    }
}
