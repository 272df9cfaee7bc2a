//! The scripted call: who says what, when the desk acts, and the lead on screen. The
//! simulator's Deepgram script and the desk's action schedule are both derived from
//! [`conversation`], so they cannot drift apart.

use chrono::FixedOffset;
use helix_engage::assist::LeadContext;
use helix_engage_sim::{Script, Turn};

pub const AGENT: usize = 0;
pub const CUSTOMER: usize = 1;

/// What happens on the desk at a point of the call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
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
            "Thank you, recording is back on. Your appointment with Dr. Rao is booked for Thursday at 10:30.",
        ),
        Say(
            CUSTOMER,
            "Great. My member ID is 5521 8890, and you can call me back on 98765 43210.",
        ),
        Say(
            AGENT,
            "Noted. Let me bring in Meera from our insurance desk.",
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

pub struct Plan {
    pub script: Script,
    /// (audio second, action, finals expected before it).
    pub actions: Vec<(f64, Action, usize)>,
    pub total_secs: f64,
}

pub fn plan() -> Plan {
    let mut t = 0.0;
    let mut turns = Vec::new();
    let mut actions = Vec::new();
    // Finals the transcript will hold: a turn said while the recording is paused is private
    // (never transcribed), and the stretch leaves one marker segment when it ends.
    let mut finals = 0;
    let mut private = false;
    for step in conversation() {
        match step {
            Step::Say(ch, text) => {
                if !private {
                    finals += 1;
                }
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
                actions.push((round2(t), a, finals));
                match a {
                    Action::PauseRecording => private = true,
                    Action::ResumeRecording => {
                        private = false;
                        finals += 1;
                    }
                    _ => {}
                }
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

/// The simulator's stand-in numbers for this call.
pub const CUSTOMER_NUMBER: &str = "9876543210";
pub const AGENT_NUMBER: &str = "9123456780";
/// The agent's SIP extension (`agentPhoneName`): the simulator's `agent1`.
pub const AGENT_EXTENSION: &str = "523590";
/// The DID the desk's calls use.
pub const DID: &str = "918041763265";
pub const INSURANCE_DESK: &str = "98450 12345";

pub fn ist() -> FixedOffset {
    // Ozonetel accounts (and the client's default) keep time in IST.
    FixedOffset::east_opt(19_800).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

pub fn lead() -> LeadContext {
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
