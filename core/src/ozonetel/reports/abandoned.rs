//! Missed calls: `GET /ca_apis/abandonCalls` with a JSON body.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::{WIRE_FORMAT, decode_items};
use crate::error::{Error, Result};
use crate::ozonetel::agent::identifier;
use crate::ozonetel::client::Client;
use crate::ozonetel::ids::lenient_string;
use crate::ozonetel::transport::{Request, Resend};

const ABANDONED_PATH: &str = "/ca_apis/abandonCalls";

/// A call that reached the account and was not answered.
///
/// Deserialises Ozonetel's field names (`monitorUCID`, `callerID`, ...); serialises camelCase
/// for hosts. `monitor_ucid` is a string: Ozonetel sends a number larger than 2^53.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbandonedCall {
    /// The call's monitor UCID (unique per call; the watcher deduplicates on it).
    #[serde(
        rename(deserialize = "monitorUCID", serialize = "monitorUcid"),
        deserialize_with = "lenient_string",
        default
    )]
    pub monitor_ucid: String,
    /// Call type (`Manual`, `Inbound`, ...).
    #[serde(
        rename(deserialize = "type", serialize = "type"),
        deserialize_with = "lenient_string",
        default
    )]
    pub call_type: String,
    /// Outcome (`NotAnswered`).
    #[serde(deserialize_with = "lenient_string", default)]
    pub status: String,
    /// Campaign name.
    #[serde(deserialize_with = "lenient_string", default)]
    pub campaign: String,
    /// The caller's number.
    #[serde(
        rename(deserialize = "callerID", serialize = "callerId"),
        deserialize_with = "lenient_string",
        default
    )]
    pub caller_id: String,
    /// The DID the call came in on.
    #[serde(deserialize_with = "lenient_string", default)]
    pub did: String,
    /// Skill id.
    #[serde(
        rename(deserialize = "skillID", serialize = "skillId"),
        deserialize_with = "lenient_string",
        default
    )]
    pub skill_id: String,
    /// Skill name (may be empty).
    #[serde(deserialize_with = "lenient_string", default)]
    pub skill: String,
    /// Agent id.
    #[serde(
        rename(deserialize = "agentID", serialize = "agentId"),
        deserialize_with = "lenient_string",
        default
    )]
    pub agent_id: String,
    /// Agent name.
    #[serde(deserialize_with = "lenient_string", default)]
    pub agent: String,
    /// Who hung up (`AgentHangup`, `CustomerHangup`, ...).
    #[serde(
        rename(deserialize = "hangupBy", serialize = "hangupBy"),
        deserialize_with = "lenient_string",
        default
    )]
    pub hangup_by: String,
    /// When the call came in, account local time (`2025-09-01 11:49:33`).
    #[serde(
        rename(deserialize = "callTime", serialize = "callTime"),
        deserialize_with = "lenient_string",
        default
    )]
    pub call_time: String,
    /// Fields this version does not know, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl AbandonedCall {
    /// `call_time` parsed, when it is in Ozonetel's usual format.
    pub fn call_time_parsed(&self) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(self.call_time.trim(), WIRE_FORMAT).ok()
    }
}

/// Filters for [`Client::abandoned_calls`]. The default (and [`today`](Self::today)) asks for
/// today's missed calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AbandonedCallsQuery {
    /// Start of the window (account local time).
    pub from_time: Option<NaiveDateTime>,
    /// End of the window (account local time).
    pub to_time: Option<NaiveDateTime>,
    /// Only this campaign.
    pub campaign_name: Option<String>,
}

impl AbandonedCallsQuery {
    /// Today's missed calls (Ozonetel's default window).
    pub fn today() -> Self {
        Self::default()
    }

    /// Missed calls between two local times.
    pub fn between(from: NaiveDateTime, to: NaiveDateTime) -> Self {
        AbandonedCallsQuery {
            from_time: Some(from),
            to_time: Some(to),
            campaign_name: None,
        }
    }

    /// Restricts to one campaign.
    pub fn campaign(mut self, name: impl Into<String>) -> Self {
        self.campaign_name = Some(name.into());
        self
    }
}

impl Client {
    /// The account's missed calls. A failed query is an error, never an empty list.
    pub async fn abandoned_calls(&self, query: &AbandonedCallsQuery) -> Result<Vec<AbandonedCall>> {
        if let (Some(from), Some(to)) = (query.from_time, query.to_time)
            && to < from
        {
            return Err(Error::invalid(format!(
                "the missed-call window ends ({to}) before it starts ({from})"
            )));
        }
        let mut fields = Map::new();
        if let Some(from) = query.from_time {
            fields.insert(
                "fromTime".into(),
                from.format(WIRE_FORMAT).to_string().into(),
            );
        }
        if let Some(to) = query.to_time {
            fields.insert("toTime".into(), to.format(WIRE_FORMAT).to_string().into());
        }
        // Empty is every campaign; anything else is checked like any campaign name, so a
        // 10 MB or control-character one is refused here instead of by the server (HTTP 413).
        if let Some(c) = query
            .campaign_name
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            fields.insert(
                "campaignName".into(),
                identifier("query.campaign_name", c)?.into(),
            );
        }
        let request = Request::json(
            self.user_name(),
            Method::GET,
            ABANDONED_PATH,
            &fields,
            Resend::Transient,
        )?;
        let object = self
            .execute(&request)
            .await
            .map_err(|e| e.context("fetching missed calls"))?;
        decode_calls(&object)
    }
}

/// The missed calls of a successful abandonCalls answer (its `message`).
pub(crate) fn decode_calls(object: &Map<String, Value>) -> Result<Vec<AbandonedCall>> {
    match object.get("message") {
        Some(Value::Array(items)) => decode_items(items, "missed call"),
        // A success with nothing in it: no calls in the window.
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Vec::new()),
        Some(other) => Err(Error::protocol(
            "abandonCalls answered success without a list of calls",
            &other.to_string(),
        )),
    }
}
