//! Where the desk's services come from: the built-in simulator (seeded with a live call and
//! today's history) or the real services from the environment, and the live-assist
//! configuration for each.

use std::time::Duration;

use chrono::NaiveDateTime;
use helix_engage::assist::{
    AssistConfig, AudioFormat, DeepgramConfig, PostCallConfig, Speaker, SuggestionConfig, Timing,
};
use helix_engage::ozonetel::{AgentRef, Client, DialOptions, EventUrls};
use helix_engage_sim::{
    DEFAULT_AGENT_ID, DEFAULT_AGENT_PASSWORD, OUTBOUND_CAMPAIGN, PastCall, Simulator,
};

use super::audio_file;
use super::desk::{Desk, DynError, Options};
use super::events;
use super::output::{Out, RED};
use super::script::{AGENT_EXTENSION, AGENT_NUMBER, CUSTOMER_NUMBER, DID, Plan, lead};

pub async fn setup_sim(plan: &Plan, opts: &Options, out: Out) -> Result<Desk, DynError> {
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
    // The desk's webhook: the account subscribes a local receiver to its call and agent
    // events, which arrive as the call progresses.
    let (receiver, seen) = events::start(out.clone()).await?;
    let client = Client::builder()
        .user_name(helix_engage_sim::DEFAULT_USER_NAME)
        .api_key(helix_engage_sim::DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .events_base_url(sim.events_url())
        .build()?;
    let subscribed = client
        .subscribe_events(&EventUrls {
            call: format!("{receiver}/call"),
            agent: format!("{receiver}/agent"),
        })
        .await?;
    out.step(&format!(
        "subscribe the account's events to {receiver}: \"{}\"",
        subscribed.message
    ));

    out.section("Agent desk");
    // The agent comes from the desk's login, never from a default: id, SIP extension, number,
    // campaign and DID, as the sidecar's agent directory knows them.
    let agent = client.agent(
        AgentRef::new(DEFAULT_AGENT_ID)
            .with_phone_name(AGENT_EXTENSION)
            .with_number(AGENT_NUMBER)
            .with_campaign(OUTBOUND_CAMPAIGN)
            .with_did(DID),
    )?;
    let login = agent.login(DEFAULT_AGENT_PASSWORD).await?;
    out.step(&format!(
        "{} logs in (SIP extension {AGENT_EXTENSION}): \"{}\"",
        agent.id(),
        login.message
    ));
    match agent.set_ready().await {
        Ok(state) => out.step(&format!("Ready for calls: {}", state.agent_status)),
        Err(e) => out.line(&out.paint(RED, &format!("  cannot go Ready: {e}"))),
    }
    events::wait_for(&seen, "agent Ready", Duration::from_secs(2)).await;
    let dial = agent.dial(CUSTOMER_NUMBER, DialOptions::default()).await?;
    let ucid = dial.ucid.ok_or("Ozonetel queued the dial without a UCID")?;
    out.step(&format!(
        "click-to-call the lead {CUSTOMER_NUMBER}: \"{}\", UCID {ucid}",
        dial.status
    ));
    events::wait_for(&seen, "call Answered", Duration::from_secs(5)).await;
    let desk = Desk {
        out,
        opts: opts.clone(),
        ucid: Some(ucid),
        agent: Some(agent),
        sim: Some(sim),
        password: Some(DEFAULT_AGENT_PASSWORD.to_string()),
        events: Some(seen),
    };
    desk.show_call();
    Ok(desk)
}

/// Earlier calls today: answered ones and two the desk missed.
pub fn seed_history(sim: &Simulator) -> Result<(), DynError> {
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

pub fn setup_real(opts: &Options, out: Out) -> Result<Desk, DynError> {
    out.section("Real services");
    let agent = if std::env::var_os("OZONETEL_USER_NAME").is_some() {
        let c = Client::from_env()?;
        out.step(&format!(
            "Ozonetel account {} at {}",
            c.user_name(),
            c.base_url()
        ));
        if opts.agent.id.trim().is_empty() {
            out.step("no --agent: hold, mute, recording and transfer are skipped");
            None
        } else {
            Some(c.agent(opts.agent.clone())?)
        }
    } else {
        out.step("OZONETEL_* not set: call control and reports are skipped");
        None
    };
    if opts.ucid.is_none() && agent.is_some() {
        out.step("no --ucid: hold, mute, recording and transfer are skipped");
    }
    Ok(Desk {
        out,
        opts: opts.clone(),
        sim: None,
        ucid: opts.ucid.clone(),
        agent,
        password: None,
        events: None,
    })
}

/// The audio to stream: silence on the simulator (its script supplies the words), the file
/// otherwise.
pub struct Audio {
    pub format: AudioFormat,
    pub file: Option<Vec<u8>>,
}

pub async fn assist_config(desk: &Desk) -> Result<(AssistConfig, Audio), DynError> {
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
        suggestions.post_call = Some(post_call(desk).await);
        let mut deepgram =
            DeepgramConfig::new(helix_engage_sim::DEEPGRAM_KEY).with_url(sim.deepgram_url());
        // The demo's audio carries its place in the call (see `streamer.rs`), so the
        // simulator plays the script by call time and skips what a private stretch withheld.
        deepgram
            .extra_params
            .push(("sim_timecode".into(), "true".into()));
        let config = AssistConfig {
            deepgram,
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
    let mut suggestions = std::env::var("OPENAI_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(SuggestionConfig::new);
    if let Some(s) = suggestions.as_mut() {
        s.post_call = Some(post_call(desk).await);
    }
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

/// After-call notes at `stop()`, choosing among the account's own dispositions (Ozonetel's
/// disposition list). Without an agent (real services, no `--agent`) or when the list cannot
/// be read, the notes still come, with no disposition suggested.
async fn post_call(desk: &Desk) -> PostCallConfig {
    let config = PostCallConfig::default();
    let Some(agent) = &desk.agent else {
        return config;
    };
    match agent.client().dispositions().await {
        Ok(list) => config.with_dispositions(list),
        Err(e) => {
            desk.out.step(&format!(
                "cannot read the account's dispositions ({e}): none suggested"
            ));
            config
        }
    }
}
