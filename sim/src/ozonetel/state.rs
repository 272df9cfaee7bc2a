//! Everything the Ozonetel stand-in remembers, in one place behind one lock.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use super::account::Account;
use super::agent::{Agent, AgentRecord, AgentSnapshot};
use super::history::HistoryEntry;
use super::live::{CallSnapshot, LiveCall, parse_ucid};
use super::webhook::Outgoing;
use crate::error::SimError;
use crate::record::RecordedRequest;

/// Everything the Ozonetel stand-in remembers.
#[derive(Debug, Default)]
pub(crate) struct OzState {
    pub accounts: HashMap<String, Account>,
    pub tokens: HashMap<String, TokenBook>,
    pub calls: BTreeMap<String, LiveCall>,
    pub history: Vec<HistoryEntry>,
    pub ended_calls: BTreeMap<String, CallSnapshot>,
    pub cdr_requests: HashMap<String, VecDeque<DateTime<Utc>>>,
    pub requests: Vec<RecordedRequest>,
    pub next_seq: u64,
    /// Agents by (account, agent id).
    pub agents: BTreeMap<(String, String), AgentRecord>,
    /// Event subscriptions by account.
    pub subscriptions: HashMap<String, Subscription>,
    /// Dispositions set, by UCID.
    pub dispositions: HashMap<String, DispositionRecord>,
    /// How dialled customers behave.
    pub dial: DialConfig,
    /// Where events go to be POSTed (`None` until the simulator starts).
    pub events: Option<tokio::sync::mpsc::UnboundedSender<Outgoing>>,
}

/// An account's event subscription (`POST /events/subscribe`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub call_url: Option<String>,
    pub agent_url: Option<String>,
}

/// A disposition set on a call.
#[derive(Debug, Clone)]
pub(crate) struct DispositionRecord {
    pub disposition: String,
    pub comments: String,
    /// Set during the call and applied at its end.
    pub queued: bool,
    /// `Some(reason)` when the agent pauses after disposing.
    pub pause_after: Option<String>,
}

/// What a dialled customer does (control API `POST /sim/dial`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerResponse {
    /// Picks up after the answer delay.
    #[default]
    Answer,
    /// Rings out: the call ends unanswered after the delay.
    NoAnswer,
    /// Busy: the call ends unanswered after the delay, `DialStatus` `Busy`.
    Busy,
}

/// How dialled calls progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialConfig {
    /// Real milliseconds a dialled customer rings before answering (or giving up).
    pub answer_after_ms: u64,
    /// What the customer does.
    pub customer: CustomerResponse,
}

impl Default for DialConfig {
    fn default() -> Self {
        DialConfig {
            answer_after_ms: 200,
            customer: CustomerResponse::Answer,
        }
    }
}

impl OzState {
    /// A fresh UCID above 2^53, like Ozonetel's 17-digit ids.
    pub fn next_ucid(&mut self) -> u64 {
        self.next_seq += 1;
        31_733_467_784_618_213 + self.next_seq * 7_919
    }

    /// A fresh CallID above 2^53 (distinct from UCIDs).
    pub fn next_call_id(&mut self) -> u64 {
        self.next_seq += 1;
        31_733_467_700_000_000 + self.next_seq * 104_729
    }

    /// The monitor UCID of a dialled call: another id above 2^53, in a range of its own
    /// (90…, like Ozonetel's), so it never equals a call UCID.
    pub fn next_monitor_ucid(&mut self) -> u64 {
        self.next_seq += 1;
        90_174_967_305_497_000 + self.next_seq * 2
    }

    pub fn ucid_in_use(&self, ucid: &str) -> bool {
        self.calls.contains_key(ucid) || self.history.iter().any(|h| h.ucid.to_string() == ucid)
    }

    /// The account a seeded call (live or past) belongs to: the requested one or the default,
    /// which must exist.
    pub fn seed_account(
        &self,
        requested: Option<String>,
        default_account: &str,
    ) -> Result<String, SimError> {
        let account = requested.unwrap_or_else(|| default_account.to_string());
        if !self.accounts.contains_key(&account) {
            return Err(SimError::UnknownAccount(account));
        }
        Ok(account)
    }

    /// The UCID a seeded call (live or past) gets: the requested one, which must be digits no
    /// other call holds, or a fresh one.
    pub fn claim_ucid(&mut self, requested: Option<&str>) -> Result<u64, SimError> {
        let ucid = match requested {
            Some(u) => parse_ucid(u)?,
            None => self.next_ucid(),
        };
        if self.ucid_in_use(&ucid.to_string()) {
            return Err(SimError::DuplicateUcid(ucid.to_string()));
        }
        Ok(ucid)
    }

    /// Adds (or replaces, logged out) an agent of the requested or the default account.
    pub fn add_agent(
        &mut self,
        agent: Agent,
        default_account: &str,
    ) -> Result<AgentSnapshot, SimError> {
        let account = self.seed_account(agent.account.clone(), default_account)?;
        if agent.agent_id.trim().is_empty() || agent.password.is_empty() {
            return Err(SimError::InvalidAgent(
                "agent_id and password must not be empty".into(),
            ));
        }
        if agent.phone_name.trim().is_empty() || agent.phone_number.trim().is_empty() {
            return Err(SimError::InvalidAgent(
                "phone_name and phone_number must not be empty".into(),
            ));
        }
        let record = AgentRecord::new(account.clone(), agent);
        let snap = record.snapshot();
        self.agents
            .insert((account, record.agent_id.clone()), record);
        Ok(snap)
    }

    /// Lists `campaign` among `account`'s campaigns (once) when a call of it is seeded.
    pub fn note_campaign(&mut self, account: &str, campaign: &str) {
        if let Some(acc) = self.accounts.get_mut(account)
            && !acc.campaigns.iter().any(|c| c == campaign)
        {
            acc.campaigns.push(campaign.to_string());
        }
    }
}

/// One issued token.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// One account's token history.
#[derive(Debug, Default)]
pub(crate) struct TokenBook {
    /// Every token ever issued, oldest first; the last one is the only valid one.
    pub issued: Vec<Issued>,
    /// Generation times within the last hour (pruned lazily).
    pub recent: VecDeque<DateTime<Utc>>,
    pub total: u64,
}
