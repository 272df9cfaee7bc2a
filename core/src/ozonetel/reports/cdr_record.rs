//! The documented CDR fields, declared once: [`CallRecord`]'s fields and
//! [`CALL_RECORD_FIELDS`] come from the same list.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ozonetel::ids::lenient_string;

/// Declares [`CallRecord`] and [`CALL_RECORD_FIELDS`] from one list of fields, so the
/// struct and the documented wire names cannot drift apart.
macro_rules! cdr_fields {
    ($( $(#[$doc:meta])* $field:ident => $wire:literal $(| $alias:literal)*, $out:literal; )*) => {
        /// One call from Ozonetel's call history (CDR).
        ///
        /// Every documented field is a string as Ozonetel sent it (numbers such as `CallID`
        /// and `UCID`, which exceed 2^53, become exact decimal text; missing fields are
        /// empty). Durations are `"HH:MM:SS"` (see [`hms_duration`]); `start_time`/`end_time`
        /// are times of day on `call_date`. Fields this version does not know are kept in
        /// `extra`. A field sent as `null` (`HandlingTime`, `WrapupDuration` often are) is
        /// empty, and a field Ozonetel spells two ways is read under either
        /// (`TransferredTo` / `TransferTo`). Serialises camelCase for hosts.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct CallRecord {
            $(
                $(#[$doc])*
                #[serde(rename(deserialize = $wire, serialize = $out), $(alias = $alias,)* deserialize_with = "lenient_string", default)]
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

cdr_fields! {
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
    transferred_to => "TransferredTo" | "TransferTo", "transferredTo";
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_and_nulls_are_tolerated() {
        let r: CallRecord = serde_json::from_str(
            r#"{"UCID":31733467784618213,"TransferTo":"asha","HandlingTime":null,"WrapupDuration":null}"#,
        )
        .unwrap();
        assert_eq!(r.ucid, "31733467784618213");
        assert_eq!(r.transferred_to, "asha");
        assert_eq!(
            (r.handling_time.as_str(), r.wrapup_duration.as_str()),
            ("", "")
        );
        assert!(r.extra.is_empty(), "{:?}", r.extra);
    }

    #[test]
    fn forty_seven_documented_fields() {
        assert_eq!(CALL_RECORD_FIELDS.len(), 47);
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
