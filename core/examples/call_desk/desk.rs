//! The call-desk demo's logic, as a function the example's `main` and its smoke test both run.
//!
//! One agent's desk during one call: login, Ready and the dial that makes the call, the
//! account's call and agent events as they arrive, live assist on the call audio (transcript by
//! speaker, suggestions as they come), call control on the same call (hold, mute, recording, a
//! warm transfer), the disposition and logout, then the missed calls and today's history — all
//! through `helix_engage`'s public API. On the built-in simulator by default; on the real services with an audio file and keys.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use helix_engage::assist::{CallSummary, LiveAssist};
use helix_engage::ozonetel::{
    AbandonedCallsQuery, Agent, CallControlResponse, CallRecordsQuery, Disposition,
    DispositionOutcome, TransferMode,
};
use helix_engage_sim::Simulator;

use super::events;
use super::output::{self, BOLD, Out, RED};
use super::script::{Action, INSURANCE_DESK, ist, lead, plan};
use super::setup::{assist_config, setup_real, setup_sim};
use super::streamer::Streamer;

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
    /// The agent call control acts as in real-services mode (`--agent`, …); empty id: none.
    pub agent: helix_engage::ozonetel::AgentRef,
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
    /// The webhook's events in arrival order (`call Calling`, `agent Ready`, …).
    pub events: Vec<String>,
    /// How the disposition went (`Saved`, `Queued`, `AlreadyDisposed`).
    pub disposition: Option<String>,
    /// The disposition the after-call notes suggested (and the agent confirmed).
    pub suggested_disposition: Option<String>,
    /// Every request body the simulator's OpenAI received (what left for the LLM).
    pub llm_requests: Vec<String>,
    pub logged_out: bool,
}

/// Everything the run needs, whichever services it talks to.
pub struct Desk {
    pub out: Out,
    pub opts: Options,
    pub sim: Option<Simulator>,
    pub agent: Option<Agent>,
    pub ucid: Option<String>,
    /// The agent's password, for the logout at the end (simulator: its fake one).
    pub password: Option<String>,
    /// The events the desk's webhook has received, in order.
    pub events: Option<events::Seen>,
}

/// Runs the demo, writing to `out`. Returns what happened.
///
/// The call's story: the desk comes up (on the simulator: the account subscribes its events,
/// the agent logs in, goes Ready and dials the lead), live assist starts on the call audio,
/// the audio streams while the desk acts at the scripted moments, the call ends, the agent
/// disposes it and logs out, and the reports follow.
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
    let (config, audio) = assist_config(&desk).await?;
    out.section("Live assist");
    let (assist, events) = LiveAssist::start(config).await?;
    out.step(&output::listening(&audio.format));
    out.step(&output::lead_line(&lead()));
    let finals_seen = Arc::new(AtomicUsize::new(0));
    let printer = tokio::spawn(output::print_events(
        events,
        out.clone(),
        finals_seen.clone(),
    ));
    out.line("");

    // The simulated call is played 1.25× faster than it was "spoken" so the whole demo fits in
    // about 35 s (Deepgram itself accepts up to 1.25× real time); a recording plays as is.
    let speed = match (desk.opts.fast, real) {
        (true, _) => 20.0,
        (false, false) => 1.25,
        (false, true) => 1.0,
    };
    let mut call = Call {
        assist: &assist,
        streamer: Streamer::new(&assist, audio, speed),
        transfer: None,
        hold_for: Duration::from_millis(if desk.opts.fast { 300 } else { 3_000 }),
    };
    let mut outcome = Outcome::default();
    let total = if real {
        call.streamer.total_secs().unwrap_or(plan.total_secs)
    } else {
        plan.total_secs
    };
    for &(at, action, finals_before) in &plan.actions {
        call.streamer.stream_until(at.min(total)).await?;
        if desk.sim.is_some() {
            // Let the transcript catch up with the audio before narrating the next action, so
            // the screen reads in call order (the simulator answers in milliseconds).
            wait_for(&finals_seen, finals_before, Duration::from_secs(2)).await;
        }
        desk.act(action, &mut call, &mut outcome).await;
    }
    call.streamer.stream_until(total).await?;
    if call.streamer.dropped > 0 {
        out.detail(&format!(
            "{} audio chunk(s) were dropped (queue full)",
            call.streamer.dropped
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
    desk.hang_up();
    desk.wrap_up(&summary, &mut outcome).await;
    desk.reports(&mut outcome).await;
    output::print_summary(&out, &summary, &mut outcome);
    outcome.summary = Some(summary);
    if let Some(sim) = desk.sim.take() {
        outcome.llm_requests = sim.openai_requests().into_iter().map(|r| r.body).collect();
        sim.shutdown().await;
    }
    Ok(outcome)
}

/// The live call as the desk acts on it: its assist session, the audio still to stream, a
/// transfer in progress.
struct Call<'a> {
    assist: &'a LiveAssist,
    streamer: Streamer<'a>,
    transfer: Option<helix_engage::ozonetel::Transfer>,
    hold_for: Duration,
}

async fn wait_for(counter: &AtomicUsize, at_least: usize, bound: Duration) {
    let deadline = Instant::now() + bound;
    while counter.load(Ordering::SeqCst) < at_least && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
    /// What the desk does at one scripted moment of the call.
    async fn act(&self, action: Action, call: &mut Call<'_>, outcome: &mut Outcome) {
        match action {
            Action::Hold => {
                let paused = Instant::now();
                self.control("Hold the customer", |c, u| {
                    Box::pin(async move { c.hold(&u).await })
                })
                .await;
                call.assist.set_on_hold(true);
                self.out.detail(&format!(
                    "no audio for {:.1} s: live assist sends Finalize now and KeepAlive while it waits",
                    call.hold_for.as_secs_f64()
                ));
                tokio::time::sleep(call.hold_for).await;
                self.control("Take the customer off hold", |c, u| {
                    Box::pin(async move { c.unhold(&u).await })
                })
                .await;
                call.assist.set_on_hold(false);
                self.out.detail(&format!(
                    "KeepAlives sent so far: {}",
                    call.assist.metrics().keepalives_sent
                ));
                call.streamer.paused += paused.elapsed();
            }
            Action::Mute => {
                self.control("Mute the customer's noisy line", |c, u| {
                    Box::pin(async move { c.mute(&u).await })
                })
                .await
            }
            Action::Unmute => {
                self.control("Unmute the customer", |c, u| {
                    Box::pin(async move { c.unmute(&u).await })
                })
                .await
            }
            Action::PauseRecording => {
                // Private first: what the customer says next must not reach Deepgram even if
                // the pause request is slow or refused.
                call.assist.set_private(true);
                self.control(
                    "Pause the call recording (card and policy details)",
                    |c, u| {
                        Box::pin(
                            async move { c.client().pause_recording(&u).await.map(|r| r.message) },
                        )
                    },
                )
                .await
            }
            Action::ResumeRecording => {
                self.control("Resume the call recording", |c, u| {
                    Box::pin(
                        async move { c.client().resume_recording(&u).await.map(|r| r.message) },
                    )
                })
                .await;
                call.assist.set_private(false);
                self.out.detail(&format!(
                    "{:.1} s of audio stayed on this machine while the recording was paused",
                    call.assist.metrics().private_seconds
                ));
            }
            Action::UpdateLead => {
                let mut lead = lead();
                lead.fields
                    .push(("Insurer".into(), "Star Health, policy on file".into()));
                call.assist.update_lead(lead);
                self.out
                    .step("Update the lead for the next suggestions: insurer noted");
            }
            Action::TransferStart => {
                call.transfer = self.transfer_start().await;
            }
            Action::TransferComplete => {
                if let Some(t) = call.transfer.take() {
                    outcome.transfer_completed = self.transfer_complete(t).await;
                }
            }
        }
    }

    /// On the simulator the customer now hangs up on the insurance desk, which files the call
    /// in today's history as Ozonetel would.
    fn hang_up(&self) {
        if let Some(sim) = &self.sim
            && let Some(ucid) = &self.ucid
            && sim.end_call(ucid).is_ok()
        {
            self.out
                .step("(simulator) the customer hangs up after talking to the insurance desk");
        }
    }
    /// After-call work: the after-call notes, the disposition they suggest confirmed by the
    /// agent (which ends the agent's ACW), then logout.
    async fn wrap_up(&self, summary: &CallSummary, outcome: &mut Outcome) {
        let (Some(agent), Some(ucid), Some(password)) = (&self.agent, &self.ucid, &self.password)
        else {
            return;
        };
        if let Some(seen) = &self.events {
            events::wait_for(seen, "call Disconnect", Duration::from_secs(2)).await;
        }
        self.out.section("After the call");
        output::print_post_call(&self.out, summary);
        let suggested = summary
            .post_call
            .as_ref()
            .and_then(|p| p.suggested_disposition.clone());
        outcome.suggested_disposition = suggested.clone();
        // The agent confirms the suggestion (here: accepts it) or picks one themselves.
        let code = match suggested {
            Some(code) => {
                self.out.step(&format!(
                    "the agent confirms the suggested disposition \"{code}\""
                ));
                code
            }
            None => "General Enquiry".to_string(),
        };
        let comments = summary.post_call.as_ref().map(|p| p.summary.clone());
        let disposition = Disposition {
            code,
            comments,
            ..Default::default()
        };
        match agent.dispose(ucid, disposition.clone()).await {
            Ok(done) => {
                let (kind, message) = match &done {
                    DispositionOutcome::Queued { message } => ("Queued", message),
                    DispositionOutcome::Saved { message } => ("Saved", message),
                    DispositionOutcome::AlreadyDisposed { message } => ("AlreadyDisposed", message),
                };
                self.out.step(&format!(
                    "dispose the call as \"{}\": \"{message}\"",
                    disposition.code
                ));
                outcome.disposition = Some(kind.to_string());
            }
            Err(e) => self
                .out
                .line(&self.out.paint(RED, &format!("  cannot dispose: {e}"))),
        }
        match agent.logout(password).await {
            Ok(r) => {
                self.out
                    .step(&format!("{} logs out: \"{}\"", agent.id(), r.message));
                outcome.logged_out = true;
            }
            Err(e) => self
                .out
                .line(&self.out.paint(RED, &format!("  cannot log out: {e}"))),
        }
        if let Some(seen) = &self.events {
            events::wait_for(seen, "agent Logout", Duration::from_millis(500)).await;
            outcome.events = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        }
    }

    /// Runs one call-control request, prints Ozonetel's answer and, on the simulator, the
    /// call's state afterwards. A refused request is shown, not fatal: a desk carries on.
    async fn control<M: Message>(
        &self,
        what: &str,
        f: impl FnOnce(
            Agent,
            String,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = helix_engage::Result<M>> + Send>,
        >,
    ) {
        let (Some(agent), Some(ucid)) = (&self.agent, &self.ucid) else {
            return;
        };
        self.out.step(what);
        let started = Instant::now();
        match f(agent.clone(), ucid.clone()).await {
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
    pub fn show_call(&self) {
        let (Some(sim), Some(ucid)) = (&self.sim, &self.ucid) else {
            return;
        };
        let Some(call) = sim.call(ucid) else {
            return;
        };
        self.out.detail(&output::call_state(&call));
    }

    fn transfer_target(&self) -> Option<String> {
        if self.sim.is_some() {
            Some(INSURANCE_DESK.to_string())
        } else {
            self.opts.transfer_to.clone()
        }
    }

    async fn transfer_start(&self) -> Option<helix_engage::ozonetel::Transfer> {
        let (Some(agent), Some(ucid), Some(target)) =
            (&self.agent, &self.ucid, self.transfer_target())
        else {
            return None;
        };
        self.out.step(&format!(
            "Warm transfer to the insurance desk ({target}): CONFERENCE"
        ));
        let result = agent.transfer(ucid, &target, TransferMode::Warm).await;
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
        let Some(client) = self.agent.as_ref().map(Agent::client) else {
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
                    out.line(&output::missed_call_line(out, c));
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
                    out.line(&output::history_line(out, r));
                }
            }
            Err(e) => out.line(&out.paint(RED, &format!("  cannot read the history: {e}"))),
        }
    }
}
