//! The live-call model: parties, the seeding input, the snapshot tests read, and the
//! registry's own record of a call ([`LiveCall`]), shared by call control and the reports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire::DATE_TIME_FORMAT;
use crate::error::SimError;

/// A party's role in a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// The customer leg.
    Customer,
    /// The agent leg.
    Agent,
    /// A number added with CONFERENCE.
    Conference,
}

/// One party of a live call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The number as it joined (seeded or as sent in `conferenceNumber`).
    pub number: String,
    /// Customer, agent or conferenced party.
    pub role: PartyRole,
    /// On hold.
    pub on_hold: bool,
    /// Muted.
    pub muted: bool,
}

/// A call to seed into the live registry (library: [`crate::Simulator::seed_call`]; HTTP:
/// `POST /sim/calls`). Omitted JSON fields take the [`Default`] values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewCall {
    /// The UCID (digits); generated (above 2^53) when absent.
    pub ucid: Option<String>,
    /// Owning account; the default account when absent.
    pub account: Option<String>,
    /// The customer's number.
    pub customer_number: String,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's display name (defaults to the agent id).
    pub agent_name: Option<String>,
    /// The agent's phone number (KICK_CALL with it drops the agent).
    pub agent_number: String,
    /// The DID the call came in on.
    pub did: String,
    /// The campaign name.
    pub campaign: String,
    /// The skill (may be empty).
    pub skill: String,
    /// Call type as reports show it (`Inbound`, `Manual`, `Progressive`…).
    pub call_type: String,
    /// Whether the customer answered; unanswered calls end up in the abandoned list.
    pub answered: bool,
}

impl Default for NewCall {
    fn default() -> Self {
        NewCall {
            ucid: None,
            account: None,
            customer_number: "9876543210".into(),
            agent_id: "agent1".into(),
            agent_name: None,
            agent_number: "9123456780".into(),
            did: "918041763265".into(),
            campaign: "Inbound_918041763265".into(),
            skill: "General".into(),
            call_type: "Inbound".into(),
            answered: true,
        }
    }
}

/// The state of a call, live or ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSnapshot {
    /// The UCID, as a string (it exceeds 2^53).
    pub ucid: String,
    /// Owning account.
    pub account: String,
    /// The customer's number.
    pub customer_number: String,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's phone number.
    pub agent_number: String,
    /// The DID.
    pub did: String,
    /// The campaign name.
    pub campaign: String,
    /// Whether the customer answered.
    pub answered: bool,
    /// The monitor UCID (call events' `monitor_ucid`, the CDR filter `monitorUCID`); equal to
    /// `ucid` for seeded calls, another id for dialled ones.
    pub monitor_ucid: String,
    /// `true` while the call is live, `false` once ended.
    pub live: bool,
    /// Whether recording is paused.
    pub recording_paused: bool,
    /// Current parties (at the end, for an ended call).
    pub participants: Vec<Participant>,
    /// Start, local time `YYYY-MM-DD HH:MM:SS`.
    pub started_at: String,
    /// End, local time, for ended calls.
    pub ended_at: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct LiveCall {
    pub ucid: u64,
    pub monitor_ucid: u64,
    pub account: String,
    pub customer_number: String,
    pub agent_id: String,
    pub agent_name: String,
    pub agent_number: String,
    pub did: String,
    pub campaign: String,
    pub skill: String,
    pub call_type: String,
    pub answered: bool,
    pub participants: Vec<Participant>,
    pub recording_paused: bool,
    pub started_at: DateTime<Utc>,
    /// When the customer answered (the start for seeded answered calls).
    pub answered_at: Option<DateTime<Utc>>,
    pub transferred_to: Option<String>,
    /// `DialStatus` of a dialled call that ended unanswered (`NoAnswer`, `Busy`).
    pub dial_status: Option<String>,
}

/// A call as tests and `/sim/calls` see it; `ended` for an ended call.
pub(crate) fn snapshot(
    call: &LiveCall,
    tz: chrono::FixedOffset,
    ended: Option<DateTime<Utc>>,
) -> CallSnapshot {
    let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format(DATE_TIME_FORMAT).to_string();
    CallSnapshot {
        ucid: call.ucid.to_string(),
        account: call.account.clone(),
        customer_number: call.customer_number.clone(),
        agent_id: call.agent_id.clone(),
        agent_number: call.agent_number.clone(),
        did: call.did.clone(),
        campaign: call.campaign.clone(),
        answered: call.answered,
        monitor_ucid: call.monitor_ucid.to_string(),
        live: ended.is_none(),
        recording_paused: call.recording_paused,
        participants: call.participants.clone(),
        started_at: fmt(call.started_at),
        ended_at: ended.map(fmt),
    }
}

/// A UCID must be digits that fit a u64 (Ozonetel's are 14–17 digits).
pub(crate) fn parse_ucid(s: &str) -> Result<u64, SimError> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SimError::InvalidUcid(s.to_string()));
    }
    t.parse::<u64>()
        .map_err(|_| SimError::InvalidUcid(s.to_string()))
}
