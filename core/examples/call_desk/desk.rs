//! The call-desk demo's logic, as a function the example's `main` and its smoke test both run.
//!
//! One agent's desk during one call: live assist on the call audio (transcript by speaker,
//! suggestions as they come), call control on the same call (hold, mute, recording, a warm
//! transfer), then the missed calls and today's history — all through `helix_engage`'s public
//! API. On the built-in simulator by default; on the real services with an audio file and keys.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{FixedOffset, NaiveDateTime, Utc};
use helix_engage::assist::{
    AssistConfig, AssistEvent, AudioDelivery, AudioFormat, Bytes, CallSummary, DeepgramConfig,
    LeadContext, LiveAssist, Speaker, SuggestionConfig, Timing,
};
use helix_engage::ozonetel::{
    AbandonedCallsQuery, CallControlResponse, CallRecordsQuery, Client, TransferMode,
};
use helix_engage_sim::{NewCall, PastCall, Script, Simulator, Turn};
use tokio::sync::mpsc;

use super::audio_file;
use super::output::{self, BOLD, CYAN, DIM, GREEN, MAGENTA, Out, RED, YELLOW};

pub type DynError = Box<dyn std::error::Error + Send + Sync>;

/// How the demo runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Stream 20× faster than real time with short holds (the smoke test; a quick look).
    pub fast: bool,
    /// A call recording: switches to the real services (keys from the environment).
    pub audio: Option<PathBuf>,
    /// Sample rate of a raw (headerless) linear16 file.
    pub raw_rate: u32,
    /// Channels of a raw linear16 file.
    pub raw_channels: u16,
    /// The live call to act on in real-services mode (no call control without it).
    pub ucid: Option<String>,
    /// Where the warm transfer goes (real-services mode; the simulator uses a fixed desk).
    pub transfer_to: Option<String>,
}

/// What the run did, for the smoke test (the person reads the screen).
#[derive(Debug, Default)]
pub struct Outcome {
    /// `Speaker: text` lines of the final transcript.
    pub transcript: Vec<String>,
    pub suggestions: usize,
    pub transfer_completed: bool,
    pub missed_calls: usize,
    pub history: usize,
    pub summary: Option<CallSummary>,
}

// ---- the scripted call ---------------------------------------------------------------------

const AGENT: usize = 0;
const CUSTOMER: usize = 1;

/// What happens on the desk at a point of the call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    Hold,
    Mute,
    Unmute,
    PauseRecording,
    ResumeRecording,
    UpdateLead,
    TransferStart,
    TransferComplete,
}

enum Step {
    Say(usize, &'static str),
    Act(Action),
    /// Seconds of silence on the line.
    Quiet(f64),
}

/// The conversation and the desk's actions, in order. Turn times are derived from it, so the
/// simulator's script and the action schedule cannot drift apart.
fn conversation() -> Vec<Step> {
    use Action::*;
    use Step::*;
    vec![
        Quiet(0.6),
        Say(
            AGENT,
            "Good morning, this is Priya from Helix Health. Am I speaking with Mr. Sharma?",
        ),
        Say(
            CUSTOMER,
            "Yes, speaking. I'm calling about the knee surgery package you sent me.",
        ),
        Say(
            AGENT,
            "Of course. Let me pull up your file, I'll put you on a short hold.",
        ),
        Act(Hold),
        Say(
            AGENT,
            "Thanks for waiting. I can see your consultation at Whitefield last month.",
        ),
        Say(
            CUSTOMER,
            "Right. How much does it cost, and does my insurance cover it?",
        ),
        Say(CUSTOMER, "Sorry, it's noisy here, one second."),
        Act(Mute),
        Quiet(1.2),
        Act(Unmute),
        Say(CUSTOMER, "OK, I'm back."),
        Say(
            AGENT,
            "The package is one point eight lakh. Before your policy details, I'll pause the recording.",
        ),
        Act(PauseRecording),
        Say(
            CUSTOMER,
            "Sure. My policy number is HX 4471 9920 with Star Health.",
        ),
        Act(UpdateLead),
        Act(ResumeRecording),
        Say(
            AGENT,
            "Thank you, recording is back on. Let me bring in Meera from our insurance desk.",
        ),
        Act(TransferStart),
        Say(
            AGENT,
            "Meera, Mr. Sharma would like to confirm his knee surgery cover.",
        ),
        Say(CUSTOMER, "Thank you both, that's very helpful."),
        Act(TransferComplete),
        Quiet(0.6),
    ]
}

/// Seconds per word and between turns: a brisk phone conversation.
const WORD_SECS: f64 = 0.25;
const TURN_GAP: f64 = 0.35;
/// Silence left for an action to happen in.
const ACTION_GAP: f64 = 0.3;

struct Plan {
    script: Script,
    /// (audio second, action, finals expected before it).
    actions: Vec<(f64, Action, usize)>,
    total_secs: f64,
}

fn plan() -> Plan {
    let mut t = 0.0;
    let mut turns = Vec::new();
    let mut actions = Vec::new();
    for step in conversation() {
        match step {
            Step::Say(ch, text) => {
                let words = text.split_whitespace().count() as f64;
                let end = t + words * WORD_SECS;
                turns.push(Turn {
                    channel: Some(ch),
                    speaker: Some(if ch == AGENT { "agent" } else { "customer" }.into()),
                    text: text.into(),
                    start: round2(t),
                    end: round2(end),
                });
                t = end + TURN_GAP;
            }
            Step::Act(a) => {
                actions.push((round2(t), a, turns.len()));
                t += ACTION_GAP;
            }
            Step::Quiet(secs) => t += secs,
        }
    }
    Plan {
        script: Script { turns },
        actions,
        total_secs: round2(t),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---- the desk ------------------------------------------------------------------------------

/// The simulator's stand-in numbers for this call.
const CUSTOMER_NUMBER: &str = "9876543210";
const AGENT_NUMBER: &str = "9123456780";
const INSURANCE_DESK: &str = "98450 12345";

fn ist() -> FixedOffset {
    // Ozonetel accounts (and the client's default) keep time in IST.
    FixedOffset::east_opt(19_800).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

fn lead() -> LeadContext {
    LeadContext {
        name: Some("Rahul Sharma".into()),
        phone: Some(CUSTOMER_NUMBER.into()),
        status: Some("follow-up".into()),
        history: vec![
            "Orthopaedic consultation at Whitefield last month".into(),
            "Emailed the knee replacement package brochure".into(),
        ],
        fields: vec![("Interest".into(), "Knee replacement package".into())],
        notes: None,
    }
}

/// Everything the run needs, whichever services it talks to.
struct Desk {
    out: Out,
    opts: Options,
    sim: Option<Simulator>,
    client: Option<Client>,
    ucid: Option<String>,
}

/// Runs the demo, writing to `out`. Returns what happened.
pub async fn run(opts: Options, out: Out) -> Result<Outcome, DynError> {
    let plan = plan();
    out.line(&out.paint(BOLD, "helix-engage · call desk"));
    let real = opts.audio.is_some();
    let mut desk = if real {
        setup_real(&opts, out.clone())?
    } else {
        setup_sim(&plan, &opts, out.clone()).await?
    };

    // Live assist: the simulator's Deepgram and OpenAI stand-ins, or the real services.
    let (config, audio) = assist_config(&desk)?;
    out.section("Live assist");
    let (assist, events) = LiveAssist::start(config).await?;
    out.step(&format!(
        "listening: {}",
        match audio.format {
            AudioFormat::Linear16 {
                sample_rate,
                channels,
            } => format!("linear16 {sample_rate} Hz × {channels} ch, 20 ms frames"),
            AudioFormat::Mulaw {
                sample_rate,
                channels,
            } => format!("µ-law {sample_rate} Hz × {channels} ch, 20 ms frames"),
            other => format!("{other:?}"),
        }
    ));
    let l = lead();
    out.step(&format!(
        "lead: {} · {} · {}",
        l.name.unwrap_or_default(),
        l.status.unwrap_or_default(),
        l.fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(" · ")
    ));
    let finals_seen = Arc::new(AtomicUsize::new(0));
    let printer = tokio::spawn(print_events(events, out.clone(), finals_seen.clone()));
    out.line("");

    // The simulated call is played 1.25× faster than it was "spoken" so the whole demo fits in
    // about 35 s (Deepgram itself accepts up to 1.25× real time); a recording plays as is.
    let speed = match (desk.opts.fast, real) {
        (true, _) => 20.0,
        (false, false) => 1.25,
        (false, true) => 1.0,
    };
    let hold_for = Duration::from_millis(if desk.opts.fast { 300 } else { 3_000 });
    let mut streamer = Streamer::new(&assist, audio, speed);
    let mut transfer = None;
    let mut outcome = Outcome::default();
    let total = if real {
        streamer.total_secs().unwrap_or(plan.total_secs)
    } else {
        plan.total_secs
    };
    for &(at, action, finals_before) in &plan.actions {
        streamer.stream_until(at.min(total)).await?;
        if desk.sim.is_some() {
            // Let the transcript catch up with the audio before narrating the next action, so
            // the screen reads in call order (the simulator answers in milliseconds).
            wait_for(&finals_seen, finals_before, Duration::from_secs(2)).await;
        }
        match action {
            Action::Hold => {
                let paused = Instant::now();
                desk.control("Hold the customer", |c, u| {
                    Box::pin(async move { c.hold(&u).await })
                })
                .await;
                assist.set_on_hold(true);
                desk.out.detail(&format!(
                    "no audio for {:.1} s: live assist sends Finalize now and KeepAlive while it waits",
                    hold_for.as_secs_f64()
                ));
                tokio::time::sleep(hold_for).await;
                desk.control("Take the customer off hold", |c, u| {
                    Box::pin(async move { c.unhold(&u).await })
                })
                .await;
                assist.set_on_hold(false);
                desk.out.detail(&format!(
                    "KeepAlives sent so far: {}",
                    assist.metrics().keepalives_sent
                ));
                streamer.paused += paused.elapsed();
            }
            Action::Mute => {
                desk.control("Mute the customer's noisy line", |c, u| {
                    Box::pin(async move { c.mute(&u).await })
                })
                .await
            }
            Action::Unmute => {
                desk.control("Unmute the customer", |c, u| {
                    Box::pin(async move { c.unmute(&u).await })
                })
                .await
            }
            Action::PauseRecording => {
                desk.control(
                    "Pause the call recording (card and policy details)",
                    |c, u| Box::pin(async move { c.pause_recording(&u).await.map(|r| r.message) }),
                )
                .await
            }
            Action::ResumeRecording => {
                desk.control("Resume the call recording", |c, u| {
                    Box::pin(async move { c.resume_recording(&u).await.map(|r| r.message) })
                })
                .await
            }
            Action::UpdateLead => {
                let mut lead = lead();
                lead.fields
                    .push(("Insurer".into(), "Star Health, policy on file".into()));
                assist.update_lead(lead);
                desk.out
                    .step("Update the lead for the next suggestions: insurer noted");
            }
            Action::TransferStart => {
                transfer = desk.transfer_start().await;
            }
            Action::TransferComplete => {
                if let Some(t) = transfer.take() {
                    outcome.transfer_completed = desk.transfer_complete(t).await;
                }
            }
        }
    }
    streamer.stream_until(total).await?;
    if streamer.dropped > 0 {
        out.detail(&format!(
            "{} audio chunk(s) were dropped (queue full)",
            streamer.dropped
        ));
    }

    out.section("Call ended");
    out.step("Stop live assist: CloseStream, wait for Deepgram's last results");
    let summary = assist.stop().await?;
    let counts = printer.await.unwrap_or_default();
    outcome.suggestions = summary.suggestions.len().max(counts.suggestions);
    if let Some(e) = &summary.error {
        out.line(&out.paint(RED, &format!("  live assist ended with an error: {e}")));
    }

    if let Some(sim) = &desk.sim
        && let Some(ucid) = &desk.ucid
    {
        // On the simulator the customer now hangs up on Meera, which files the call in today's
        // history like Ozonetel would.
        if sim.end_call(ucid).is_ok() {
            out.step("(simulator) the customer hangs up after talking to the insurance desk");
        }
    }
    desk.reports(&mut outcome).await;
    print_summary(&out, &summary, &mut outcome);
    outcome.summary = Some(summary);
    if let Some(sim) = desk.sim.take() {
        sim.shutdown().await;
    }
    Ok(outcome)
}

async fn wait_for(counter: &AtomicUsize, at_least: usize, bound: Duration) {
    let deadline = Instant::now() + bound;
    while counter.load(Ordering::SeqCst) < at_least && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn setup_sim(plan: &Plan, opts: &Options, out: Out) -> Result<Desk, DynError> {
    out.section("Simulator");
    let sim = Simulator::builder()
        .default_script(plan.script.clone())
        .start()
        .await?;
    out.step(&format!(
        "Ozonetel, Deepgram and OpenAI stand-ins on {}",
        sim.addr()
    ));
    seed_history(&sim)?;
    let call = sim.seed_call(NewCall {
        customer_number: CUSTOMER_NUMBER.into(),
        agent_id: "priya".into(),
        agent_name: Some("Priya".into()),
        agent_number: AGENT_NUMBER.into(),
        ..Default::default()
    })?;
    out.step(&format!(
        "an inbound call rings through: UCID {} from {}",
        call.ucid, call.customer_number
    ));
    let client = Client::builder()
        .user_name(helix_engage_sim::DEFAULT_USER_NAME)
        .api_key(helix_engage_sim::DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .did(call.did.clone())
        .agent_phone_name("priya")
        .agent_number(AGENT_NUMBER)
        .build()?;
    let desk = Desk {
        out,
        opts: opts.clone(),
        ucid: Some(call.ucid),
        client: Some(client),
        sim: Some(sim),
    };
    desk.show_call();
    Ok(desk)
}

/// Earlier calls today: answered ones and two the desk missed.
fn seed_history(sim: &Simulator) -> Result<(), DynError> {
    let now = sim.clock().now_naive_local();
    let midnight = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
    // Spread over the last three hours, never before midnight (the lists show today only).
    let at = |mins_ago: i64| -> NaiveDateTime {
        (now - chrono::Duration::minutes(mins_ago)).max(midnight)
    };
    let calls = [
        (170, "9988776655", true, 240, "Appointment booked"),
        (95, "9001122334", false, 0, ""),
        (60, "9812345678", true, 410, "Sent price list"),
        (25, "9090909090", false, 0, ""),
        (12, "9765432109", true, 95, "Callback requested"),
    ];
    for (mins, number, answered, talk, disposition) in calls {
        sim.seed_history(PastCall {
            customer_number: number.into(),
            agent_id: if answered { "priya" } else { "" }.into(),
            agent_name: if answered { "Priya" } else { "" }.into(),
            answered,
            start: Some(at(mins)),
            ring_secs: if answered { 6 } else { 30 },
            talk_secs: talk,
            hangup_by: if answered {
                "AgentHangup"
            } else {
                "CustomerHangup"
            }
            .into(),
            disposition: disposition.into(),
            ..Default::default()
        })?;
    }
    Ok(())
}

fn setup_real(opts: &Options, out: Out) -> Result<Desk, DynError> {
    out.section("Real services");
    let client = if std::env::var_os("OZONETEL_USER_NAME").is_some() {
        let c = Client::from_env()?;
        out.step(&format!(
            "Ozonetel account {} at {}",
            c.user_name(),
            c.base_url()
        ));
        Some(c)
    } else {
        out.step("OZONETEL_* not set: call control and reports are skipped");
        None
    };
    if opts.ucid.is_none() && client.is_some() {
        out.step("no --ucid: hold, mute, recording and transfer are skipped");
    }
    Ok(Desk {
        out,
        opts: opts.clone(),
        sim: None,
        ucid: opts.ucid.clone(),
        client,
    })
}

/// The audio to stream: silence on the simulator (its script supplies the words), the file
/// otherwise.
struct Audio {
    format: AudioFormat,
    file: Option<Vec<u8>>,
}

fn assist_config(desk: &Desk) -> Result<(AssistConfig, Audio), DynError> {
    let fast = desk.opts.fast;
    let mut timing = Timing {
        // Shorter than the 4 s default so the demo's 3 s hold shows a KeepAlive.
        keepalive_after: Duration::from_millis(if fast { 150 } else { 2_000 }),
        ..Default::default()
    };
    if let Some(sim) = &desk.sim {
        let audio = Audio {
            format: AudioFormat::Linear16 {
                sample_rate: 16_000,
                channels: 2,
            },
            file: None,
        };
        timing.stop_wait = Duration::from_secs(3);
        let mut suggestions =
            SuggestionConfig::new(helix_engage_sim::OPENAI_KEY).with_base_url(sim.openai_url());
        if fast {
            suggestions.min_gap = Duration::from_millis(150);
            suggestions.interval = Duration::from_millis(500);
        }
        let config = AssistConfig {
            deepgram: DeepgramConfig::new(helix_engage_sim::DEEPGRAM_KEY)
                .with_url(sim.deepgram_url()),
            audio: audio.format,
            speakers: vec![Speaker::Agent, Speaker::Customer],
            suggestions: Some(suggestions),
            lead: Some(lead()),
            timing,
            ..Default::default()
        };
        return Ok((config, audio));
    }
    let path = desk
        .opts
        .audio
        .as_ref()
        .ok_or("real-services mode needs --audio FILE")?;
    let file = audio_file::read(path, desk.opts.raw_rate, desk.opts.raw_channels)?;
    let key = std::env::var("DEEPGRAM_API_KEY")
        .map_err(|_| "--audio streams to Deepgram: set DEEPGRAM_API_KEY")?;
    let mut deepgram = DeepgramConfig::new(key);
    // Mono recordings mix both parties: let Deepgram tell the speakers apart.
    deepgram.diarize = file.format.channels() == 1;
    let suggestions = std::env::var("OPENAI_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(SuggestionConfig::new);
    if suggestions.is_none() {
        desk.out.step("OPENAI_API_KEY not set: no suggestions");
    }
    let config = AssistConfig {
        deepgram,
        audio: file.format,
        speakers: vec![Speaker::Agent, Speaker::Customer],
        suggestions,
        lead: Some(lead()),
        timing,
        ..Default::default()
    };
    Ok((
        config,
        Audio {
            format: file.format,
            file: Some(file.data),
        },
    ))
}

trait Message {
    fn message(self) -> String;
}

impl Message for CallControlResponse {
    fn message(self) -> String {
        self.message
    }
}

impl Message for String {
    fn message(self) -> String {
        self
    }
}

impl Desk {
    /// Runs one call-control request, prints Ozonetel's answer and, on the simulator, the
    /// call's state afterwards. A refused request is shown, not fatal: a desk carries on.
    async fn control<M: Message>(
        &self,
        what: &str,
        f: impl FnOnce(
            Client,
            String,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = helix_engage::Result<M>> + Send>,
        >,
    ) {
        let (Some(client), Some(ucid)) = (&self.client, &self.ucid) else {
            return;
        };
        self.out.step(what);
        let started = Instant::now();
        match f(client.clone(), ucid.clone()).await {
            Ok(m) => self.out.detail(&format!(
                "Ozonetel: \"{}\" ({} ms)",
                m.message(),
                started.elapsed().as_millis()
            )),
            Err(e) => self.out.line(&format!(
                "      {}",
                self.out.paint(RED, &format!("failed: {e}"))
            )),
        }
        self.show_call();
    }

    /// The call's parties and recording state, as the simulator sees them.
    fn show_call(&self) {
        let (Some(sim), Some(ucid)) = (&self.sim, &self.ucid) else {
            return;
        };
        let Some(call) = sim.call(ucid) else {
            return;
        };
        let parties: Vec<String> = call
            .participants
            .iter()
            .map(|p| {
                let mut flags = Vec::new();
                if p.on_hold {
                    flags.push("on hold");
                }
                if p.muted {
                    flags.push("muted");
                }
                let role = format!("{:?}", p.role).to_lowercase();
                if flags.is_empty() {
                    format!("{role} {}", p.number)
                } else {
                    format!("{role} {} [{}]", p.number, flags.join(", "))
                }
            })
            .collect();
        let recording = if call.recording_paused {
            "recording PAUSED"
        } else {
            "recording on"
        };
        let state = if call.live { "" } else { " · call ended" };
        self.out.detail(&format!(
            "call now: {} · {recording}{state}",
            parties.join(" · ")
        ));
    }

    fn transfer_target(&self) -> Option<String> {
        if self.sim.is_some() {
            Some(INSURANCE_DESK.to_string())
        } else {
            self.opts.transfer_to.clone()
        }
    }

    async fn transfer_start(&self) -> Option<helix_engage::ozonetel::Transfer> {
        let (Some(client), Some(ucid), Some(target)) =
            (&self.client, &self.ucid, self.transfer_target())
        else {
            return None;
        };
        self.out.step(&format!(
            "Warm transfer to the insurance desk ({target}): CONFERENCE"
        ));
        let result = client.transfer(ucid, &target, TransferMode::Warm).await;
        let transfer = match result {
            Ok(t) => {
                self.out.detail(&format!(
                    "{} joined; the agent introduces the call",
                    t.target()
                ));
                Some(t)
            }
            Err(e) => {
                self.out.line(&format!(
                    "      {}",
                    self.out.paint(RED, &format!("failed: {e}"))
                ));
                None
            }
        };
        self.show_call();
        transfer
    }

    async fn transfer_complete(&self, t: helix_engage::ozonetel::Transfer) -> bool {
        self.out
            .step("Complete the transfer: KICK_CALL the agent, the desk keeps the customer");
        let ok = match t.complete().await {
            Ok(()) => {
                self.out.detail(&format!("transfer {:?}", t.state()));
                true
            }
            Err(e) => {
                self.out.line(&format!(
                    "      {}",
                    self.out.paint(RED, &format!("failed: {e}"))
                ));
                false
            }
        };
        self.show_call();
        ok
    }

    async fn reports(&self, outcome: &mut Outcome) {
        let Some(client) = &self.client else {
            return;
        };
        let out = &self.out;
        out.section("Missed calls today");
        match client.abandoned_calls(&AbandonedCallsQuery::today()).await {
            Ok(calls) => {
                outcome.missed_calls = calls.len();
                if calls.is_empty() {
                    out.detail("none");
                }
                for c in &calls {
                    out.line(&format!(
                        "  {}  {:<13} {:<24} {}",
                        out.paint(CYAN, time_of_day(&c.call_time)),
                        c.caller_id,
                        c.campaign,
                        out.paint(DIM, &c.hangup_by)
                    ));
                }
            }
            Err(e) => out.line(&out.paint(RED, &format!("  cannot list missed calls: {e}"))),
        }
        out.section("Today's call history");
        let today = Utc::now().with_timezone(&ist()).date_naive();
        match client.call_records(&CallRecordsQuery::day(today)).await {
            Ok(mut records) => {
                records.sort_by(|a, b| a.start_time.cmp(&b.start_time));
                outcome.history = records.len();
                if records.is_empty() {
                    out.detail("none");
                }
                for r in &records {
                    let mut note = r.disposition.clone();
                    if !r.transferred_to.is_empty() {
                        note = format!("transferred to {}", r.transferred_to);
                    }
                    let status = if r.is_answered() {
                        out.paint(GREEN, &format!("{:<10}", r.status))
                    } else {
                        out.paint(RED, &format!("{:<10}", r.status))
                    };
                    out.line(&format!(
                        "  {}  {:<13} {status} talk {}  {:<8} {}",
                        out.paint(CYAN, time_of_day(&r.start_time)),
                        r.caller_id,
                        r.talk_time,
                        r.agent_name,
                        out.paint(DIM, &note)
                    ));
                }
            }
            Err(e) => out.line(&out.paint(RED, &format!("  cannot read the history: {e}"))),
        }
    }
}

/// `HH:MM:SS` from `YYYY-MM-DD HH:MM:SS` (or the text as is).
fn time_of_day(s: &str) -> &str {
    s.rsplit(' ').next().unwrap_or(s)
}

/// Streams the call audio in 20 ms frames at `speed`× real time.
struct Streamer<'a> {
    assist: &'a LiveAssist,
    format: AudioFormat,
    file: Option<Vec<u8>>,
    silence: Bytes,
    frame: usize,
    bytes_per_sec: f64,
    pos: usize,
    speed: f64,
    started: Instant,
    /// Wall time the audio stood still (holds).
    paused: Duration,
    dropped: u64,
}

impl<'a> Streamer<'a> {
    fn new(assist: &'a LiveAssist, audio: Audio, speed: f64) -> Self {
        let bps = audio.format.bytes_per_second().unwrap_or(32_000);
        let align = audio.format.frame_bytes().unwrap_or(1);
        let frame = usize::try_from((bps / 50) - (bps / 50) % align).unwrap_or(640);
        Streamer {
            assist,
            format: audio.format,
            file: audio.file,
            silence: Bytes::from(vec![0u8; frame]),
            frame,
            bytes_per_sec: bps as f64,
            pos: 0,
            speed,
            started: Instant::now(),
            paused: Duration::ZERO,
            dropped: 0,
        }
    }

    fn total_secs(&self) -> Option<f64> {
        let len = self.file.as_ref()?.len() as u64;
        self.format.seconds(len)
    }

    /// Sends audio up to `secs` into the call, on the real-time schedule.
    async fn stream_until(&mut self, secs: f64) -> Result<(), DynError> {
        let target = (secs * self.bytes_per_sec) as usize;
        let tick = Duration::from_millis(20).div_f64(self.speed);
        loop {
            let file_end = self.file.as_ref().map(Vec::len);
            if self.pos >= target || file_end.is_some_and(|end| self.pos >= end) {
                return Ok(());
            }
            let elapsed = self.started.elapsed().saturating_sub(self.paused);
            let due =
                (elapsed.as_secs_f64() * self.speed * self.bytes_per_sec) as usize + self.frame;
            while self.pos < target.min(due) {
                let chunk = match &self.file {
                    None => self.silence.clone(),
                    Some(data) => {
                        let end = (self.pos + self.frame).min(data.len());
                        if self.pos >= end {
                            return Ok(());
                        }
                        Bytes::copy_from_slice(&data[self.pos..end])
                    }
                };
                self.pos += chunk.len();
                if self.assist.send_audio(chunk)? == AudioDelivery::Dropped {
                    self.dropped += 1;
                }
            }
            tokio::time::sleep(tick.max(Duration::from_millis(1))).await;
        }
    }
}

#[derive(Default)]
struct Counts {
    suggestions: usize,
}

/// Prints events as they come: finals by speaker, interims on one overwriting line (terminals),
/// suggestions, connection news.
async fn print_events(
    mut events: mpsc::Receiver<AssistEvent>,
    out: Out,
    finals: Arc<AtomicUsize>,
) -> Counts {
    let mut counts = Counts::default();
    while let Some(event) = events.recv().await {
        match event {
            AssistEvent::Transcript { segment, is_final } => {
                let label = format!("{:<8}", segment.speaker.to_string());
                let color = if segment.speaker == Speaker::Customer {
                    MAGENTA
                } else {
                    CYAN
                };
                let time = out.paint(DIM, &output::clock(segment.start));
                if is_final {
                    out.line(&format!(
                        "  {time}  {}  {}",
                        out.paint(color, &label),
                        segment.text
                    ));
                    finals.fetch_add(1, Ordering::SeqCst);
                } else if out.live() {
                    out.interim(&format!(
                        "  {time}  {}  {}",
                        out.paint(color, &label),
                        out.paint(DIM, &format!("{} …", segment.text))
                    ));
                }
            }
            AssistEvent::Suggestion(batch) => {
                counts.suggestions += 1;
                for item in &batch.items {
                    let kind = label(&item.kind);
                    out.line(&format!(
                        "            {} {} {}",
                        out.paint(GREEN, "»"),
                        out.paint(GREEN, &format!("[{kind}]")),
                        item.text
                    ));
                }
                out.line(&format!(
                    "              {}",
                    out.paint(
                        DIM,
                        &format!(
                            "on {} · {} ms",
                            label(&batch.trigger),
                            batch.latency.as_millis()
                        )
                    )
                ));
            }
            AssistEvent::Reconnecting { attempt, reason } => out.line(&format!(
                "  {}",
                out.paint(
                    YELLOW,
                    &format!("deepgram lost ({reason}); reconnecting, attempt {attempt}")
                )
            )),
            AssistEvent::Reconnected { replay_seconds, .. } => out.line(&format!(
                "  {}",
                out.paint(
                    YELLOW,
                    &format!("reconnected; replaying {replay_seconds:.1} s of audio")
                )
            )),
            AssistEvent::Warning(w) => out.line(&format!(
                "  {}",
                out.paint(YELLOW, &format!("warning: {}", w.message))
            )),
            AssistEvent::Error(e) => {
                out.line(&format!("  {}", out.paint(RED, &format!("error: {e}"))))
            }
            AssistEvent::Closed(_) => break,
            _ => {}
        }
    }
    counts
}

/// A serde enum's wire name, readable: `next_step` → `next step`.
fn label(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn print_summary(out: &Out, summary: &CallSummary, outcome: &mut Outcome) {
    out.section("Summary");
    out.line(&out.paint(BOLD, "  Transcript"));
    let mut segments: Vec<_> = summary.transcript.segments.iter().collect();
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    // Consecutive segments of one speaker read as one turn.
    let mut turns: Vec<(Speaker, String)> = Vec::new();
    for s in segments {
        match turns.last_mut() {
            Some((who, text)) if *who == s.speaker => {
                text.push(' ');
                text.push_str(&s.text);
            }
            _ => turns.push((s.speaker, s.text.clone())),
        }
    }
    for (who, text) in &turns {
        out.line(&format!("    {:<9} {text}", format!("{who}:")));
        outcome.transcript.push(format!("{who}: {text}"));
    }
    let m = &summary.metrics;
    let ms = |d: Duration| format!("{} ms", d.as_millis());
    out.line("");
    out.line(&out.paint(BOLD, "  Metrics"));
    let rows = [
        ("audio sent", format!("{:.1} s", m.audio_seconds_sent)),
        (
            "audio dropped",
            format!(
                "{:.1} s ({} chunks)",
                m.audio_seconds_dropped, m.dropped_chunks
            ),
        ),
        ("reconnects", m.reconnects.to_string()),
        ("keep-alives", m.keepalives_sent.to_string()),
        (
            "transcript latency",
            format!(
                "p50 {} · p95 {} · max {} ({} finals)",
                ms(m.transcript_latency.p50),
                ms(m.transcript_latency.p95),
                ms(m.transcript_latency.max),
                m.transcript_latency.count
            ),
        ),
        (
            "suggestions",
            format!(
                "{} batches from {} requests ({} failed) · p50 {}",
                summary.suggestions.len(),
                m.suggestion_requests,
                m.suggestion_failures,
                ms(m.suggestion_latency.p50)
            ),
        ),
        (
            "stream end",
            if summary.complete {
                format!(
                    "confirmed by Deepgram ({:.1} s of audio)",
                    summary.deepgram_duration.unwrap_or_default()
                )
            } else {
                "not confirmed: the last second may be missing".into()
            },
        ),
        (
            "session",
            format!("{:.1} s", summary.duration.as_secs_f64()),
        ),
    ];
    for (k, v) in rows {
        out.line(&format!("    {:<19} {v}", format!("{k}:")));
    }
    out.line(&format!(
        "    {:<19} transfer {}, {} missed call(s), {} call(s) in today's history",
        "desk:",
        if outcome.transfer_completed {
            "completed"
        } else {
            "not done"
        },
        outcome.missed_calls,
        outcome.history
    ));
}
