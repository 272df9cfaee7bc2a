//! Missed (abandoned) calls and call history (CDR).
//!
//! Both endpoints are GETs with a JSON body — a query string is refused and a POST is 401/405.
//! CDR windows must sit within one calendar day, at most 15 days back, and the account may
//! make 2 CDR requests a minute: multi-day queries are split per day and paced.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::Client;
use super::ids::{lenient_string, validate_ucid};
use super::transport::{Request, Resend};
use crate::error::{Error, Result, snippet};

const ABANDONED_PATH: &str = "/ca_apis/abandonCalls";
const CDR_PATH: &str = "/ca_reports/fetchCDRDetails";
const CDR_BY_UCID_PATH: &str = "/ca_reports/fetchCdrByUCID";
/// How far back Ozonetel keeps call history.
pub const CDR_MAX_DAYS_BACK: u64 = 15;
const WIRE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

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

macro_rules! call_record {
    ($( $(#[$doc:meta])* $field:ident => $wire:literal, $out:literal; )*) => {
        /// One call from Ozonetel's call history (CDR).
        ///
        /// Every documented field is a string as Ozonetel sent it (numbers such as `CallID`
        /// and `UCID`, which exceed 2^53, become exact decimal text; missing fields are
        /// empty). Durations are `"HH:MM:SS"` (see [`hms_duration`]); `start_time`/`end_time`
        /// are times of day on `call_date`. Fields this version does not know are kept in
        /// `extra`. Serialises camelCase for hosts.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct CallRecord {
            $(
                $(#[$doc])*
                #[serde(rename(deserialize = $wire, serialize = $out), deserialize_with = "lenient_string", default)]
                pub $field: String,
            )*
            /// Fields this version does not know, kept as sent.
            #[serde(flatten)]
            pub extra: BTreeMap<String, Value>,
        }

        /// The wire names of the documented CDR fields, in the order Ozonetel documents them.
        pub const CALL_RECORD_FIELDS: &[&str] = &[$($wire),*];
    };
}

call_record! {
    /// Ozonetel's call id (exact decimal text).
    call_id => "CallID", "callId";
    /// The call's date (`YYYY-MM-DD`).
    call_date => "CallDate", "callDate";
    /// Time of day the call started.
    start_time => "StartTime", "startTime";
    /// Time of day the call ended.
    end_time => "EndTime", "endTime";
    /// Total duration, `HH:MM:SS`.
    duration => "Duration", "duration";
    /// Talk time, `HH:MM:SS`.
    talk_time => "TalkTime", "talkTime";
    /// Handling time, `HH:MM:SS`.
    handling_time => "HandlingTime", "handlingTime";
    /// The caller's number.
    caller_id => "CallerID", "callerId";
    /// The number dialled.
    dialed_number => "DialedNumber", "dialedNumber";
    /// The number in E.164 form.
    e164 => "E164", "e164";
    /// The DID.
    did => "DID", "did";
    /// Caller location.
    location => "Location", "location";
    /// Agent id.
    agent_id => "AgentID", "agentId";
    /// Agent name.
    agent_name => "AgentName", "agentName";
    /// Skill.
    skill => "Skill", "skill";
    /// Campaign name.
    campaign_name => "CampaignName", "campaignName";
    /// Call flow (IVR path), as sent.
    call_flow => "CallFlow", "callFlow";
    /// Call type (`Inbound`, `Progressive`, `Manual`, ...).
    call_type => "Type", "type";
    /// `Answered` or `Unanswered`.
    status => "Status", "status";
    /// Dial status.
    dial_status => "DialStatus", "dialStatus";
    /// Agent leg dial status.
    agent_dial_status => "AgentDialStatus", "agentDialStatus";
    /// Customer leg dial status.
    customer_dial_status => "CustomerDialStatus", "customerDialStatus";
    /// Disposition set by the agent.
    disposition => "Disposition", "disposition";
    /// Agent comments.
    comments => "Comments", "comments";
    /// Who hung up.
    hangup_by => "HangupBy", "hangupBy";
    /// Time in queue, `HH:MM:SS`.
    queue_time => "QueueTime", "queueTime";
    /// Time on hold, `HH:MM:SS`.
    hold_duration => "HoldDuration", "holdDuration";
    /// Wrap-up time, `HH:MM:SS`.
    wrapup_duration => "WrapupDuration", "wrapupDuration";
    /// Time to answer, `HH:MM:SS`.
    time_to_answer => "TimeToAnswer", "timeToAnswer";
    /// Dial attempts.
    dial_count => "DialCount", "dialCount";
    /// The call's UCID (exact decimal text).
    ucid => "UCID", "ucid";
    /// User-to-user information.
    uui => "UUI", "uui";
    /// Recording URL.
    call_audio => "CallAudio", "callAudio";
    /// Conference-leg recording file.
    caller_conf_audio_file => "CallerConfAudioFile", "callerConfAudioFile";
    /// Conference duration, `HH:MM:SS`.
    conference_duration => "ConferenceDuration", "conferenceDuration";
    /// Customer ring time.
    customer_ring_time => "CustomerRingTime", "customerRingTime";
    /// Dial-out name.
    dial_out_name => "DialOutName", "dialOutName";
    /// Dynamic DID.
    dynamic_did => "DynamicDID", "dynamicDid";
    /// Event.
    event => "Event", "event";
    /// Time of day the call was picked up.
    pickup_time => "PickupTime", "pickupTime";
    /// Customer rating.
    rating => "Rating", "rating";
    /// Rating comments.
    rating_comments => "RatingComments", "ratingComments";
    /// Transfer type.
    transfer_type => "TransferType", "transferType";
    /// Who the call was transferred to.
    transferred_to => "TransferredTo", "transferredTo";
    /// Video recording URL.
    video_recording_url => "VideoRecordingURL", "videoRecordingUrl";
    /// Wrap-up end time.
    wrap_up_end_time => "WrapUpEndTime", "wrapUpEndTime";
    /// Wrap-up start time.
    wrap_up_start_time => "WrapUpStartTime", "wrapUpStartTime";
}

impl CallRecord {
    /// Whether Ozonetel marks the call answered.
    pub fn is_answered(&self) -> bool {
        self.status.eq_ignore_ascii_case("answered")
    }
}

/// Parses Ozonetel's `HH:MM:SS` durations (hours may exceed 24).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(helix_engage::ozonetel::hms_duration("01:02:03"), Some(Duration::from_secs(3723)));
/// assert_eq!(helix_engage::ozonetel::hms_duration(""), None);
/// ```
pub fn hms_duration(text: &str) -> Option<Duration> {
    let mut parts = text.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (h, m, s): (u64, u64, u64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if m >= 60 || s >= 60 {
        return None;
    }
    // Checked: "99999999999999999:00:00" is text Ozonetel may send, not a reason to wrap (release)
    // or panic (debug). Out of range, the caller keeps the field as the text it was.
    let secs = h.checked_mul(3600)?.checked_add(m * 60 + s)?;
    Some(Duration::from_secs(secs))
}

/// A call-history query: a time window (account local time) and optional filters.
///
/// The window may span several days; [`Client::call_records`] splits it per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecordsQuery {
    /// Start (inclusive).
    pub from: NaiveDateTime,
    /// End (inclusive). A time after "now" is clamped to now.
    pub to: NaiveDateTime,
    /// Only this UCID.
    pub ucid: Option<String>,
    /// Only this campaign.
    pub campaign_name: Option<String>,
    /// Only this monitor UCID.
    pub monitor_ucid: Option<String>,
    /// Only this call type (`Progressive`, `Inbound`, ...).
    pub call_type: Option<String>,
    /// Only this status (`Answered`, `NotAnswered`, ...).
    pub status: Option<String>,
}

impl CallRecordsQuery {
    /// Calls between two local times.
    pub fn between(from: NaiveDateTime, to: NaiveDateTime) -> Self {
        CallRecordsQuery {
            from,
            to,
            ucid: None,
            campaign_name: None,
            monitor_ucid: None,
            call_type: None,
            status: None,
        }
    }

    /// Every call of one local day (up to now, for today).
    pub fn day(date: NaiveDate) -> Self {
        Self::between(
            date.and_time(NaiveTime::MIN),
            date.and_hms_opt(23, 59, 59)
                .unwrap_or(date.and_time(NaiveTime::MIN)),
        )
    }

    /// Restricts to one campaign.
    pub fn campaign(mut self, name: impl Into<String>) -> Self {
        self.campaign_name = Some(name.into());
        self
    }

    /// Restricts to one status.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Restricts to one call type.
    pub fn call_type(mut self, call_type: impl Into<String>) -> Self {
        self.call_type = Some(call_type.into());
        self
    }

    /// The per-day windows Ozonetel accepts, or why the query breaks its rules.
    pub(crate) fn plan(&self, now: NaiveDateTime) -> Result<Vec<(NaiveDateTime, NaiveDateTime)>> {
        if self.to < self.from {
            return Err(Error::invalid(format!(
                "the CDR window ends ({}) before it starts ({})",
                self.to, self.from
            )));
        }
        if self.from > now {
            return Err(Error::invalid(format!(
                "the CDR window starts in the future ({} is after now, {}); Ozonetel rejects \
                 future dates",
                self.from.format(WIRE_FORMAT),
                now.format(WIRE_FORMAT)
            )));
        }
        let oldest = now.date() - Days::new(CDR_MAX_DAYS_BACK);
        if self.from.date() < oldest {
            return Err(Error::invalid(format!(
                "the CDR window starts on {}, more than {CDR_MAX_DAYS_BACK} days back; Ozonetel \
                 keeps call history from {oldest} on",
                self.from.date()
            )));
        }
        let to = self.to.min(now);
        let mut windows = Vec::new();
        let mut start = self.from;
        loop {
            let end_of_day = start.date().and_hms_opt(23, 59, 59).unwrap_or(start);
            if to <= end_of_day {
                windows.push((start, to));
                return Ok(windows);
            }
            windows.push((start, end_of_day));
            let Some(next_day) = start.date().succ_opt() else {
                return Ok(windows);
            };
            start = next_day.and_time(NaiveTime::MIN);
        }
    }

    fn filters(&self) -> Result<Map<String, Value>> {
        let mut fields = Map::new();
        if let Some(ucid) = &self.ucid {
            fields.insert("ucid".into(), validate_ucid(ucid)?.into());
        }
        if let Some(m) = &self.monitor_ucid {
            fields.insert("monitorUCID".into(), validate_ucid(m)?.into());
        }
        for (key, value) in [
            ("campaignName", &self.campaign_name),
            ("callType", &self.call_type),
            ("status", &self.status),
        ] {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                fields.insert(key.into(), v.into());
            }
        }
        Ok(fields)
    }
}

/// How far a multi-day [`Client::call_records_with_progress`] has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CdrProgress {
    /// The day just fetched.
    pub day: NaiveDate,
    /// Days fetched so far, this one included.
    pub days_done: usize,
    /// Days in the query.
    pub days_total: usize,
    /// Records fetched so far.
    pub records_so_far: usize,
    /// How long the next day's request must wait for Ozonetel's rate limit (zero when done;
    /// whole milliseconds in JSON, `nextRequestIn`).
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub next_request_in: Duration,
}

impl Client {
    /// "Now" in the account's time zone, which is what Ozonetel's dates mean.
    pub(crate) fn local_now(&self) -> NaiveDateTime {
        Utc::now()
            .with_timezone(&self.config().utc_offset)
            .naive_local()
    }

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
        if let Some(c) = query
            .campaign_name
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            fields.insert("campaignName".into(), c.into());
        }
        let request = Request::json(
            self.user_name(),
            Method::GET,
            ABANDONED_PATH,
            fields,
            Resend::Transient,
        );
        let object = self
            .execute(&request)
            .await
            .map_err(|e| e.context("fetching missed calls"))?;
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

    /// Call history for a window of any length, split into per-day requests paced to
    /// Ozonetel's 2 a minute (so a 3-day query takes about a minute).
    pub async fn call_records(&self, query: &CallRecordsQuery) -> Result<Vec<CallRecord>> {
        self.call_records_with_progress(query, |_| {}).await
    }

    /// [`call_records`](Self::call_records), calling `progress` after each day.
    pub async fn call_records_with_progress(
        &self,
        query: &CallRecordsQuery,
        mut progress: impl FnMut(&CdrProgress) + Send,
    ) -> Result<Vec<CallRecord>> {
        let windows = query.plan(self.local_now())?;
        let filters = query.filters()?;
        let mut records = Vec::new();
        for (index, (from, to)) in windows.iter().enumerate() {
            let day = self
                .fetch_cdr(CDR_PATH, *from, *to, filters.clone())
                .await
                .map_err(|e| e.context(&format!("fetching call history for {}", from.date())))?;
            records.extend(day);
            let done = index + 1 == windows.len();
            progress(&CdrProgress {
                day: from.date(),
                days_done: index + 1,
                days_total: windows.len(),
                records_so_far: records.len(),
                next_request_in: if done {
                    Duration::ZERO
                } else {
                    self.transport().cdr_pacer().delay().await
                },
            });
        }
        Ok(records)
    }

    /// One call's record by UCID on a given local day (`fetchCdrByUCID`); `None` when
    /// Ozonetel has no record of it.
    pub async fn call_record(&self, ucid: &str, date: NaiveDate) -> Result<Option<CallRecord>> {
        let ucid = validate_ucid(ucid)?;
        let query = CallRecordsQuery::day(date);
        let windows = query.plan(self.local_now())?;
        let Some((from, to)) = windows.first().copied() else {
            return Ok(None);
        };
        let mut fields = Map::new();
        fields.insert("ucid".into(), ucid.clone().into());
        let records = self
            .fetch_cdr(CDR_BY_UCID_PATH, from, to, fields)
            .await
            .map_err(|e| e.context(&format!("fetching the record of call {ucid}")))?;
        // Only the record of this call: an answer that does not contain it means Ozonetel has
        // no record of it, never "the first record it sent".
        Ok(records.into_iter().find(|r| r.ucid == ucid))
    }

    async fn fetch_cdr(
        &self,
        path: &'static str,
        from: NaiveDateTime,
        to: NaiveDateTime,
        mut fields: Map<String, Value>,
    ) -> Result<Vec<CallRecord>> {
        fields.insert(
            "fromDate".into(),
            from.format(WIRE_FORMAT).to_string().into(),
        );
        fields.insert("toDate".into(), to.format(WIRE_FORMAT).to_string().into());
        let request = Request {
            paced: true,
            ..Request::json(
                self.user_name(),
                Method::GET,
                path,
                fields,
                Resend::Transient,
            )
        };
        let object = self.execute(&request).await?;
        match object.get("details") {
            Some(Value::Array(items)) => decode_items(items, "call record"),
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(other) => Err(Error::protocol(
                "fetchCDRDetails answered without a list of records",
                &other.to_string(),
            )),
        }
    }
}

fn decode_items<T: for<'de> Deserialize<'de>>(items: &[Value], what: &str) -> Result<Vec<T>> {
    items
        .iter()
        .map(|item| {
            serde_json::from_value(item.clone()).map_err(|e| Error::Protocol {
                message: format!("a {what} could not be read: {e}"),
                snippet: snippet(&item.to_string()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, WIRE_FORMAT).unwrap()
    }

    #[test]
    fn forty_seven_documented_fields() {
        assert_eq!(CALL_RECORD_FIELDS.len(), 47);
    }

    #[test]
    fn same_day_window_is_one_request() {
        let q = CallRecordsQuery::between(at("2026-11-20 09:00:00"), at("2026-11-20 18:00:00"));
        assert_eq!(
            q.plan(at("2026-11-26 12:00:00")).unwrap(),
            vec![(at("2026-11-20 09:00:00"), at("2026-11-20 18:00:00"))]
        );
    }

    #[test]
    fn multi_day_window_splits_per_day_and_clamps_to_now() {
        let q = CallRecordsQuery::between(at("2026-11-24 10:00:00"), at("2026-11-26 23:59:59"));
        assert_eq!(
            q.plan(at("2026-11-26 12:30:00")).unwrap(),
            vec![
                (at("2026-11-24 10:00:00"), at("2026-11-24 23:59:59")),
                (at("2026-11-25 00:00:00"), at("2026-11-25 23:59:59")),
                (at("2026-11-26 00:00:00"), at("2026-11-26 12:30:00")),
            ]
        );
    }

    #[test]
    fn window_rules_are_named() {
        let now = at("2026-11-26 12:00:00");
        let err = |from, to| {
            CallRecordsQuery::between(at(from), at(to))
                .plan(now)
                .unwrap_err()
                .to_string()
        };
        assert!(err("2026-11-20 10:00:00", "2026-11-20 09:00:00").contains("before it starts"));
        assert!(err("2026-11-27 00:00:00", "2026-11-27 10:00:00").contains("future"));
        assert!(err("2026-11-10 00:00:00", "2026-11-10 10:00:00").contains("15 days"));
        // Exactly 15 days back is still allowed.
        assert!(
            CallRecordsQuery::day(now.date() - Days::new(15))
                .plan(now)
                .is_ok()
        );
    }

    #[test]
    fn hms_parsing() {
        assert_eq!(hms_duration("00:00:00"), Some(Duration::ZERO));
        assert_eq!(hms_duration("25:00:01"), Some(Duration::from_secs(90001)));
        let max_hours = u64::MAX / 3600;
        assert_eq!(
            hms_duration(&format!("{max_hours}:00:00")),
            Some(Duration::from_secs(max_hours * 3600))
        );
        for bad in [
            "1:2",
            "00:61:00",
            "aa:bb:cc",
            "1:2:3:4",
            &format!("{}:00:00", max_hours + 1),
            &format!("{max_hours}:59:59"),
            "18446744073709551615:00:00",
            "99999999999999999999999:00:00",
        ] {
            assert_eq!(hms_duration(bad), None, "{bad}");
        }
    }
}
