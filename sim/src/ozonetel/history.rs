//! Finished calls as the reports serve them: [`PastCall`] (seeding input), [`HistoryEntry`]
//! (one stored call) and its two wire forms, the 47-field CDR record and the `abandonCalls`
//! item. The store keeps whole seconds, as Ozonetel's does.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::live::LiveCall;
use super::wire::DATE_TIME_FORMAT;

/// A call that already happened, to seed history directly (library:
/// [`crate::Simulator::seed_history`]; HTTP: `POST /sim/history`). Answered calls appear in the
/// CDR reports; unanswered ones in the CDR reports (`Status: Unanswered`) and in `abandonCalls`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PastCall {
    /// The UCID (digits); generated (above 2^53) when absent.
    pub ucid: Option<String>,
    /// Owning account; the default account when absent.
    pub account: Option<String>,
    /// The customer's number.
    pub customer_number: String,
    /// The agent's id (empty for calls that never reached an agent).
    pub agent_id: String,
    /// The agent's display name.
    pub agent_name: String,
    /// The DID.
    pub did: String,
    /// The campaign name.
    pub campaign: String,
    /// The skill.
    pub skill: String,
    /// Call type (`Inbound`, `Manual`, `Progressive`…).
    pub call_type: String,
    /// Whether the customer was answered.
    pub answered: bool,
    /// Local start time (`YYYY-MM-DD HH:MM:SS` in JSON); the simulator's "now" when absent.
    #[serde(with = "local_time")]
    pub start: Option<NaiveDateTime>,
    /// Seconds of ringing before answer (or before giving up).
    pub ring_secs: u64,
    /// Seconds of conversation.
    pub talk_secs: u64,
    /// Seconds on hold (within the talk time).
    pub hold_secs: u64,
    /// Who hung up (`AgentHangup`, `CustomerHangup`, `System`…).
    pub hangup_by: String,
    /// Number the call was transferred to, if any.
    pub transferred_to: Option<String>,
    /// The disposition the agent set.
    pub disposition: String,
}

impl Default for PastCall {
    fn default() -> Self {
        PastCall {
            ucid: None,
            account: None,
            customer_number: "9876543210".into(),
            agent_id: "agent1".into(),
            agent_name: "agent1".into(),
            did: "918041763265".into(),
            campaign: "Inbound_918041763265".into(),
            skill: "General".into(),
            call_type: "Inbound".into(),
            answered: true,
            start: None,
            ring_secs: 5,
            talk_secs: 120,
            hold_secs: 0,
            hangup_by: "CustomerHangup".into(),
            transferred_to: None,
            disposition: String::new(),
        }
    }
}

/// `Option<NaiveDateTime>` as `"YYYY-MM-DD HH:MM:SS"` (a `T` separator is accepted too).
mod local_time {
    use chrono::NaiveDateTime;

    use crate::ozonetel::wire::DATE_TIME_FORMAT;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&t.format(DATE_TIME_FORMAT).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        let raw = Option::<String>::deserialize(d)?;
        raw.map(|s| {
            NaiveDateTime::parse_from_str(&s.replace('T', " "), DATE_TIME_FORMAT)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

/// One finished call, as the reports serve it.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntry {
    pub ucid: u64,
    /// Equal to `ucid` for seeded calls; the dialled call's monitor UCID otherwise.
    pub monitor_ucid: u64,
    pub call_id: u64,
    pub account: String,
    pub customer_number: String,
    pub agent_id: String,
    pub agent_name: String,
    pub did: String,
    pub campaign: String,
    pub skill: String,
    pub call_type: String,
    pub answered: bool,
    /// Local start time.
    pub start: NaiveDateTime,
    pub ring_secs: u64,
    pub talk_secs: u64,
    pub hold_secs: u64,
    pub hangup_by: String,
    pub transferred_to: Option<String>,
    pub disposition: String,
    pub comments: String,
    /// `DialStatus`/`CustomerDialStatus` of an unanswered call (`NoAnswer` when `None`).
    pub dial_status: Option<String>,
}

impl HistoryEntry {
    pub(crate) fn from_live(
        call: &LiveCall,
        call_id: u64,
        ended: DateTime<Utc>,
        hangup_by: &str,
        tz: FixedOffset,
    ) -> Self {
        let total = u64::try_from((ended - call.started_at).num_seconds())
            .unwrap_or(0)
            .min(MAX_CALL_SECS);
        // Rings until answered (seeded calls start answered); unanswered ones rang throughout.
        let (ring, talk) = match call.answered_at.filter(|_| call.answered) {
            Some(a) => {
                let ring = u64::try_from((a - call.started_at).num_seconds())
                    .unwrap_or(0)
                    .min(total);
                (ring, total - ring)
            }
            None => (total, 0),
        };
        HistoryEntry {
            ucid: call.ucid,
            monitor_ucid: call.monitor_ucid,
            call_id,
            account: call.account.clone(),
            customer_number: call.customer_number.clone(),
            agent_id: call.agent_id.clone(),
            agent_name: call.agent_name.clone(),
            did: call.did.clone(),
            campaign: call.campaign.clone(),
            skill: call.skill.clone(),
            call_type: call.call_type.clone(),
            answered: call.answered,
            // Ozonetel's history has whole seconds; a sub-second start would fall outside a
            // window ending "now" in the same second.
            start: call
                .started_at
                .with_timezone(&tz)
                .naive_local()
                .with_nanosecond(0)
                .unwrap_or_else(|| call.started_at.with_timezone(&tz).naive_local()),
            ring_secs: ring,
            talk_secs: talk,
            hold_secs: 0,
            hangup_by: hangup_by.to_string(),
            transferred_to: call.transferred_to.clone(),
            disposition: String::new(),
            comments: String::new(),
            dial_status: call.dial_status.clone(),
        }
    }

    fn end(&self) -> NaiveDateTime {
        plus(self.start, self.ring_secs + self.talk_secs)
    }

    /// The 47-field CDR record. UCID and CallID are JSON numbers built from u64, so they stay
    /// exact above 2^53.
    pub(crate) fn cdr_record(&self) -> Value {
        let t = |d: NaiveDateTime| d.format("%H:%M:%S").to_string();
        let wrapup = if self.answered { 10 } else { 0 };
        let pickup = plus(self.start, self.ring_secs);
        let end = self.end();
        let digits: String = self
            .customer_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let national = &digits[digits.len().saturating_sub(10)..];
        let answered = self.answered;
        let no_answer = self.dial_status.as_deref().unwrap_or("NoAnswer");
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        put("CallID", Value::from(self.call_id));
        put(
            "CallDate",
            Value::from(self.start.format("%Y-%m-%d").to_string()),
        );
        put("StartTime", Value::from(t(self.start)));
        put("EndTime", Value::from(t(end)));
        put(
            "Duration",
            Value::from(hms(self.ring_secs + self.talk_secs)),
        );
        put("TalkTime", Value::from(hms(self.talk_secs)));
        put("HandlingTime", Value::from(hms(self.talk_secs + wrapup)));
        put("CallerID", Value::from(self.customer_number.clone()));
        put("DialedNumber", Value::from(self.customer_number.clone()));
        put("E164", Value::from(format!("+91{national}")));
        put("DID", Value::from(self.did.clone()));
        put("Location", Value::from("Karnataka"));
        put("AgentID", Value::from(self.agent_id.clone()));
        put("AgentName", Value::from(self.agent_name.clone()));
        put("Skill", Value::from(self.skill.clone()));
        put("CampaignName", Value::from(self.campaign.clone()));
        put("CallFlow", Value::from(""));
        put("Type", Value::from(self.call_type.clone()));
        put(
            "Status",
            Value::from(if answered { "Answered" } else { "Unanswered" }),
        );
        put(
            "DialStatus",
            Value::from(if answered { "answered" } else { no_answer }),
        );
        put(
            "AgentDialStatus",
            Value::from(if answered { "answered" } else { "" }),
        );
        put(
            "CustomerDialStatus",
            Value::from(if answered { "answered" } else { no_answer }),
        );
        put("Disposition", Value::from(self.disposition.clone()));
        put("Comments", Value::from(self.comments.clone()));
        put("HangupBy", Value::from(self.hangup_by.clone()));
        put("QueueTime", Value::from(hms(0)));
        put("HoldDuration", Value::from(hms(self.hold_secs)));
        put("WrapupDuration", Value::from(hms(wrapup)));
        put("TimeToAnswer", Value::from(hms(self.ring_secs)));
        put("DialCount", Value::from(1));
        put("UCID", Value::from(self.ucid));
        put("UUI", Value::from(""));
        put(
            "CallAudio",
            Value::from(if answered {
                format!("https://recordings.sim.invalid/{}.mp3", self.ucid)
            } else {
                String::new()
            }),
        );
        put("CallerConfAudioFile", Value::from(""));
        put("ConferenceDuration", Value::from(hms(0)));
        put("CustomerRingTime", Value::from(hms(self.ring_secs)));
        put("DialOutName", Value::from(""));
        put("DynamicDID", Value::from(""));
        put("Event", Value::from(""));
        put(
            "PickupTime",
            Value::from(if answered { t(pickup) } else { String::new() }),
        );
        put("Rating", Value::from(0));
        put("RatingComments", Value::from(""));
        put(
            "TransferType",
            Value::from(if self.transferred_to.is_some() {
                "Conference"
            } else {
                ""
            }),
        );
        put(
            "TransferredTo",
            Value::from(self.transferred_to.clone().unwrap_or_default()),
        );
        put("VideoRecordingURL", Value::from(""));
        put(
            "WrapUpEndTime",
            Value::from(if answered {
                t(plus(end, wrapup))
            } else {
                String::new()
            }),
        );
        put(
            "WrapUpStartTime",
            Value::from(if answered { t(end) } else { String::new() }),
        );
        Value::Object(m)
    }

    /// The `abandonCalls` item.
    pub(crate) fn abandoned_item(&self) -> Value {
        json!({
            "monitorUCID": Value::from(self.monitor_ucid),
            "type": self.call_type,
            "status": "NotAnswered",
            "campaign": self.campaign,
            "callerID": self.customer_number,
            "did": self.did,
            "skillID": if self.skill.is_empty() { "" } else { "1001" },
            "skill": self.skill,
            "agentID": self.agent_id,
            "agent": self.agent_name,
            "hangupBy": self.hangup_by,
            "callTime": self.start.format(DATE_TIME_FORMAT).to_string(),
        })
    }
}

/// Longest duration a history entry may carry (a week): keeps date arithmetic far from
/// chrono's limits whatever a test seeds.
pub(crate) const MAX_CALL_SECS: u64 = 7 * 24 * 3600;

pub(super) fn secs(n: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(n.min(MAX_CALL_SECS)).unwrap_or(0))
}

/// `t + n` seconds, saturating at `t` if the calendar runs out.
pub(super) fn plus(t: NaiveDateTime, n: u64) -> NaiveDateTime {
    t.checked_add_signed(secs(n)).unwrap_or(t)
}

/// Seconds as `HH:MM:SS`.
pub(crate) fn hms(total: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        total / 3600,
        (total / 60) % 60,
        total % 60
    )
}
