//! What Ozonetel POSTs to the event URLs, typed.
//!
//! Call events carry `eventType`, `eventTime` (when Ozonetel sent it), `username`, `action`
//! (`Calling`, `Answered`, `Disconnect`), `call_type`, `ucid`, `monitor_ucid`, `agent_id`,
//! `skill`, `caller_id`, `did`, `agent_number` and `event_time` (when it happened).
//! Ozonetel's reference does not list the agent events' fields; [`AgentEvent`] reads the ones
//! the call events share and keeps the rest in `extra`.
//!
//! **Which id joins the call history.** A call has two ids here: `ucid`, the caller leg's
//! UCID, which is the CDR record's `UCID` and the id call control, disposition and
//! `fetchCdrByUCID` take; and `monitor_ucid`, the monitoring id, which the CDR knows only as
//! the `monitorUCID` filter. The desk this crate comes from joined `monitor_ucid` to the CDR's
//! `UCID` and matched nothing. So `ucid` is a `String` that goes wherever a UCID goes, and
//! `monitor_ucid` is a [`MonitorUcid`], which does not: it has to be unwrapped on purpose.
//! [`Client::call_record_for`] does the join.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result, quote};
use crate::ozonetel::client::Client;
use crate::ozonetel::ids::scalar_text;
use crate::ozonetel::reports::CallRecord;

/// Largest event body read: Ozonetel's are well under a kilobyte.
const MAX_BODY: usize = 64 * 1024;

/// A time as Ozonetel wrote it, and what it means when it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTime {
    /// The text as sent (empty when absent).
    pub raw: String,
    /// The account-local date-time, when `raw` is one of the forms Ozonetel uses
    /// (`YYYY-MM-DD HH:MM:SS`, a `T` separator, fractional seconds, `DD-MM-YYYY HH:MM:SS`,
    /// `YYYY/MM/DD HH:MM:SS`, or no seconds).
    pub at: Option<NaiveDateTime>,
}

impl EventTime {
    /// Reads `raw` leniently; text that is no time keeps `at` as `None`.
    pub fn parse(raw: &str) -> EventTime {
        let raw = raw.trim();
        const FORMATS: &[&str] = &[
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
            "%d-%m-%Y %H:%M:%S",
            "%Y/%m/%d %H:%M:%S",
            "%d/%m/%Y %H:%M:%S",
        ];
        let at = FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok());
        EventTime {
            raw: raw.to_string(),
            at,
        }
    }
}

/// A call's monitoring id (`monitor_ucid`). Not the CDR's `UCID`: see the module docs. It
/// converts to text only on purpose ([`as_str`](Self::as_str)), so it cannot be passed where
/// a UCID is wanted by accident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MonitorUcid(String);

impl MonitorUcid {
    /// The id's text (exact decimal digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the event carried none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What happened to a call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallEventAction {
    /// `Calling`: ringing.
    Calling,
    /// `Answered`.
    Answered,
    /// `Disconnect`: the call ended.
    Disconnect,
    /// Any other action, as sent.
    Other(String),
}

impl CallEventAction {
    fn parse(text: &str) -> CallEventAction {
        match text.trim().to_ascii_lowercase().as_str() {
            "calling" => CallEventAction::Calling,
            "answered" => CallEventAction::Answered,
            "disconnect" | "disconnected" => CallEventAction::Disconnect,
            _ => CallEventAction::Other(text.trim().to_string()),
        }
    }
}

/// A call event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEvent {
    /// `eventType` as sent (`Call`).
    pub event_type: String,
    /// `eventTime`: when Ozonetel sent the event.
    pub sent_at: EventTime,
    /// `event_time`: when the call event happened.
    pub occurred_at: EventTime,
    /// `username`: the account.
    pub username: String,
    /// `action`.
    pub action: CallEventAction,
    /// `call_type` (`Manual`, `InBound`, `Progressive`, `Preview`, `Predictive`).
    pub call_type: String,
    /// `ucid`: the caller leg's UCID — the CDR's `UCID`, and what call control and
    /// disposition take (exact decimal text).
    pub ucid: String,
    /// `monitor_ucid`: the monitoring id; not the CDR's `UCID`.
    pub monitor_ucid: MonitorUcid,
    /// `agent_id`: the agent the call connected to; route the event by it.
    pub agent_id: String,
    /// `skill`.
    pub skill: String,
    /// `caller_id`: the customer's number.
    pub caller_id: String,
    /// `did`.
    pub did: String,
    /// `agent_number`: the agent's phone number.
    pub agent_number: String,
    /// Every other field, kept as sent.
    pub extra: BTreeMap<String, Value>,
}

/// An agent event (login, state changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentEvent {
    /// `eventType` as sent (`Agent`).
    pub event_type: String,
    /// `eventTime`: when Ozonetel sent the event.
    pub sent_at: EventTime,
    /// `event_time`: when the agent event happened.
    pub occurred_at: EventTime,
    /// `username`: the account.
    pub username: String,
    /// `agent_id` (or `agentId`): route the event by it.
    pub agent_id: String,
    /// `action` (or `agentStatus` / `state`): the agent's new state, as sent.
    pub action: String,
    /// `agent_number`, when sent.
    pub agent_number: String,
    /// Every other field, kept as sent.
    pub extra: BTreeMap<String, Value>,
}

/// One webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "event", rename_all = "snake_case")]
pub enum Event {
    /// To the call events URL.
    Call(CallEvent),
    /// To the agent events URL.
    Agent(AgentEvent),
}

impl Event {
    /// Reads what Ozonetel POSTed: `content_type` is the request's `Content-Type` (JSON or
    /// `application/x-www-form-urlencoded`; anything else is read by its first character).
    /// `eventType` says call or agent (case-insensitive); without one, an event with a `ucid`
    /// is a call event. UCIDs sent as text stay exact whatever their size; one sent as a JSON
    /// number must be an integer up to `u64::MAX` (beyond, its digits are lost in the number,
    /// so it is refused rather than rounded into another call's id). Errors are `invalid_input`
    /// (what arrived is not an event: too large, unreadable, neither kind) and quote at most
    /// a short prefix.
    pub fn parse(content_type: &str, body: &[u8]) -> Result<Event> {
        if body.len() > MAX_BODY {
            return Err(Error::invalid(format!(
                "event body of {} bytes is larger than {MAX_BODY}",
                body.len()
            )));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| Error::invalid("event body is not UTF-8"))?
            .trim();
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let json = match media.as_str() {
            "application/json" | "text/json" => true,
            "application/x-www-form-urlencoded" => false,
            _ => text.starts_with('{'),
        };
        let fields: Map<String, Value> = if json {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => {
                    // `Value` keeps the last of a repeated key; the check re-reads the (small,
                    // bounded) body only to find one.
                    if let Err(e) = serde_json::from_str::<UniqueKeys>(text) {
                        return Err(Error::invalid(format!("event body: {e}")));
                    }
                    inexact_ids(&map)?;
                    map
                }
                Ok(_) => return Err(Error::invalid("event body is JSON but not an object")),
                Err(e) => {
                    return Err(Error::invalid(format!(
                        "event body is not JSON ({e}): {}",
                        quote(text)
                    )));
                }
            }
        } else {
            let mut fields = Map::new();
            for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
                if fields.contains_key(k.as_ref()) {
                    return Err(twice(&k));
                }
                fields.insert(k.into_owned(), Value::String(v.into_owned()));
            }
            fields
        };
        Event::from_fields(fields)
    }

    fn from_fields(mut fields: Map<String, Value>) -> Result<Event> {
        let event_type = take(&mut fields, &["eventType", "event_type"]);
        let kind = event_type.to_ascii_lowercase();
        let is_call = match kind.as_str() {
            "call" => true,
            "agent" => false,
            "" if fields.contains_key("ucid") => true,
            "" if fields.contains_key("agent_id") || fields.contains_key("agentId") => false,
            _ => {
                return Err(Error::invalid(format!(
                    "event has eventType {}; expected Call or Agent",
                    quote(&event_type)
                )));
            }
        };
        let sent_at = EventTime::parse(&take(&mut fields, &["eventTime"]));
        let occurred_at = EventTime::parse(&take(&mut fields, &["event_time"]));
        let username = take(&mut fields, &["username", "userName"]);
        Ok(if is_call {
            Event::Call(CallEvent {
                event_type,
                sent_at,
                occurred_at,
                username,
                action: CallEventAction::parse(&take(&mut fields, &["action"])),
                call_type: take(&mut fields, &["call_type", "callType"]),
                ucid: take(&mut fields, UCID_KEYS),
                monitor_ucid: MonitorUcid(take(&mut fields, MONITOR_UCID_KEYS)),
                agent_id: take(&mut fields, &["agent_id", "agentId", "agentID"]),
                skill: take(&mut fields, &["skill"]),
                caller_id: take(&mut fields, &["caller_id", "callerId", "callerID"]),
                did: take(&mut fields, &["did", "DID"]),
                agent_number: take(&mut fields, &["agent_number", "agentNumber"]),
                extra: fields.into_iter().collect(),
            })
        } else {
            Event::Agent(AgentEvent {
                event_type,
                sent_at,
                occurred_at,
                username,
                agent_id: take(&mut fields, &["agent_id", "agentId", "agentID"]),
                action: take(&mut fields, &["action", "agentStatus", "state"]),
                agent_number: take(&mut fields, &["agent_number", "agentNumber"]),
                extra: fields.into_iter().collect(),
            })
        })
    }
}

/// The first of `keys` present, as text (numbers exact), removed from `fields`.
/// The spellings of a call event's `ucid` and `monitor_ucid`.
const UCID_KEYS: &[&str] = &["ucid", "UCID"];
const MONITOR_UCID_KEYS: &[&str] = &["monitor_ucid", "monitorUCID"];

/// A UCID sent as a JSON number above `u64::MAX` (or with a fraction or exponent) arrives as a
/// float: its digits are already gone, and reading it as text would make up another call's
/// id. Refused, never rounded (text ids stay exact whatever their size).
fn inexact_ids(fields: &Map<String, Value>) -> Result<()> {
    for key in UCID_KEYS.iter().chain(MONITOR_UCID_KEYS) {
        if let Some(Value::Number(n)) = fields.get(*key)
            && n.is_f64()
        {
            return Err(Error::invalid(format!(
                "event {key} is a JSON number that cannot be read exactly ({n}); send it as \
                 text or as an integer up to {}",
                u64::MAX
            )));
        }
    }
    Ok(())
}

fn take(fields: &mut Map<String, Value>, keys: &[&str]) -> String {
    for key in keys {
        if let Some(value) = fields.remove(*key) {
            return scalar_text(&value)
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
        }
    }
    String::new()
}

impl CallEvent {
    /// The day the call happened, account-local: from `event_time`, else `eventTime`.
    pub fn call_date(&self) -> Option<NaiveDate> {
        self.occurred_at.at.or(self.sent_at.at).map(|at| at.date())
    }
}

impl Client {
    /// The CDR record of the call an event is about: `fetchCdrByUCID` with the event's
    /// `ucid` (the CDR's `UCID`; never `monitor_ucid`) on the event's day, under the
    /// account's CDR pace like every CDR call. `None` when Ozonetel has no record (yet: the
    /// record appears after the call ends). `invalid_input` when the event has no `ucid` or
    /// no readable time; nothing is sent then.
    pub async fn call_record_for(&self, event: &CallEvent) -> Result<Option<CallRecord>> {
        if event.ucid.is_empty() {
            return Err(Error::invalid(
                "the call event has no ucid (its monitor_ucid is not the CDR's UCID)",
            ));
        }
        let date = event.call_date().ok_or_else(|| {
            Error::invalid(format!(
                "the call event has no readable time (event_time {}, eventTime {})",
                quote(&event.occurred_at.raw),
                quote(&event.sent_at.raw)
            ))
        })?;
        self.call_record(&event.ucid, date).await
    }
}

/// A key given twice in one event (`eventType=Call&eventType=Agent`): which one is meant is
/// anyone's guess — a proxy that checks the first and a parser that keeps the last disagree on
/// what the event is — so it is refused.
fn twice(key: &str) -> Error {
    Error::invalid(format!("event body has the field {} twice", quote(key)))
}

/// Reads a JSON object's top-level keys, failing on the first one given twice.
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<UniqueKeys, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if seen.contains(&key) {
                        return Err(serde::de::Error::custom(format!(
                            "has the field {} twice",
                            quote(&key)
                        )));
                    }
                    seen.insert(key);
                }
                Ok(UniqueKeys)
            }
        }
        d.deserialize_map(Keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by tests/proptest_ozonetel.rs: a UCID number above `u64::MAX` was read as the
    /// float's text ("1.2345678901234568e23"), another id than the one sent.
    #[test]
    fn a_ucid_number_that_cannot_be_exact_is_refused() {
        let event = |ucid: &str| {
            Event::parse(
                "application/json",
                format!(r#"{{"eventType":"Call","ucid":{ucid}}}"#).as_bytes(),
            )
        };
        for ucid in [
            "123456789012345678901234",
            "18446744073709551616",
            "1.5",
            "1e5",
        ] {
            let err = event(ucid).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{ucid}");
            assert!(err.to_string().contains("event ucid"), "{err}");
        }
        for (ucid, text) in [
            ("18446744073709551615", "18446744073709551615"),
            ("1234567890123456", "1234567890123456"),
            (r#""123456789012345678901234""#, "123456789012345678901234"),
        ] {
            match event(ucid).unwrap() {
                Event::Call(call) => assert_eq!(call.ucid, text),
                other => panic!("{other:?}"),
            }
        }
        let monitor = br#"{"eventType":"Call","ucid":"1","monitorUCID":1e30}"#;
        let err = Event::parse("application/json", monitor).unwrap_err();
        assert!(err.to_string().contains("monitorUCID"), "{err}");
    }

    #[test]
    fn a_field_given_twice_is_refused() {
        for (content_type, body) in [
            (
                "application/json",
                r#"{"eventType":"Call","ucid":"1","eventType":"Agent"}"#,
            ),
            (
                "application/x-www-form-urlencoded",
                "eventType=Call&ucid=1&eventType=Agent",
            ),
        ] {
            let err = Event::parse(content_type, body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            assert!(err.to_string().contains("\"eventType\" twice"), "{err}");
        }
        assert!(Event::parse("application/json", br#"{"eventType":"Call","ucid":"1"}"#).is_ok());
    }

    #[test]
    fn times_are_lenient_and_keep_the_text() {
        for raw in [
            "2023-12-03 10:35:55",
            "2023-12-03T10:35:55",
            "2023-12-03 10:35:55.123",
            "03-12-2023 10:35:55",
        ] {
            let t = EventTime::parse(raw);
            assert_eq!(t.raw, raw);
            assert_eq!(t.at.unwrap().date().to_string(), "2023-12-03", "{raw}");
        }
        let t = EventTime::parse("soon");
        assert_eq!((t.raw.as_str(), t.at), ("soon", None));
    }
}
