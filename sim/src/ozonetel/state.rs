//! Everything the Ozonetel stand-in remembers, in one place behind one lock.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::account::Account;
use super::history::HistoryEntry;
use super::live::{CallSnapshot, LiveCall, parse_ucid};
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
