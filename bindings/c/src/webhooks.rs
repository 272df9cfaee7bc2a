//! Ozonetel's event webhooks from C: the account's subscriptions, parsing what Ozonetel POSTs
//! (`helix_ozonetel_event_parse` → `helix_ozonetel_event`), and the CDR record a call event
//! names. The account's disposition codes live here too: like subscriptions they are the
//! account's, not an agent's.

use std::ffi::{CString, c_char};

use helix_engage::ozonetel::{CallEventAction, Client, Event, EventKind, EventUrls};

use crate::error::{Failure, helix_status};
use crate::ffi::{
    arg_bytes, arg_opt_out, arg_out, arg_ref, arg_str, ffi, free_handle, into_handle, json_string,
};
use crate::ozonetel::helix_ozonetel;

/// What an Ozonetel event is about (`helix_ozonetel_event.kind`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_ozonetel_event_kind {
    /// A call event (`eventType` "Call": Calling, Answered, Disconnect).
    HELIX_OZONETEL_EVENT_CALL = 1,
    /// An agent event (`eventType` "Agent": Login, Ready, Pause, Busy, ACW, Logout).
    HELIX_OZONETEL_EVENT_AGENT = 2,
}

/// Which subscription `helix_ozonetel_unsubscribe_events` removes (`eventType`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_event_subscription {
    /// Call events only.
    HELIX_SUBSCRIPTION_CALL = 1,
    /// Agent events only.
    HELIX_SUBSCRIPTION_AGENT = 2,
    /// Both.
    HELIX_SUBSCRIPTION_BOTH = 3,
}

/// One event Ozonetel POSTed to a webhook, from `helix_ozonetel_event_parse`. Read the fields
/// directly; every string is NUL-terminated UTF-8, never NULL (empty when the event did not
/// carry it), and lives until `helix_ozonetel_event_free`. Not tied to any client: parse on
/// any thread, then hand it to `helix_ozonetel_call_record_for` on any client of the account.
#[repr(C)]
#[derive(Debug)]
pub struct helix_ozonetel_event {
    /// A `helix_ozonetel_event_kind` value.
    pub kind: u32,
    /// What happened, as Ozonetel spelled it (`"Answered"`, `"Disconnect"`, `"Pause"`, …).
    pub action: *const c_char,
    /// The call's UCID as a decimal string (UCIDs exceed 2^53): the id call control,
    /// dispositions and the CDR's `ucid` use. Empty for an agent event about no call.
    pub ucid: *const c_char,
    /// The monitor UCID (`monitor_ucid`): another id, the CDR's `monitorUcid` filter — never
    /// join it to a record's `ucid`.
    pub monitor_ucid: *const c_char,
    /// The agent the event is about (`agent_id`): route it to that agent's desk.
    pub agent_id: *const c_char,
    /// The whole event as JSON (`{"kind":"call","event":{…}}`, ids as strings, times both as
    /// sent and parsed, fields Ozonetel adds later under their wire names).
    pub json: *const c_char,
}

/// The handle behind a `helix_ozonetel_event *`: the C view first (so the two pointers are the
/// same), then the strings it points into and the core's event.
#[repr(C)]
struct ParsedEvent {
    view: helix_ozonetel_event,
    strings: [CString; 5],
    event: Event,
}

fn text(value: &str) -> CString {
    // Interior NULs cannot cross into C; the core's parser refuses control characters in ids,
    // and a NUL inside free text becomes a space rather than cutting the string short.
    CString::new(value.replace('\0', " ")).unwrap_or_default()
}

/// Parses one webhook body. `content_type` is the request's `Content-Type` header
/// (`application/json` or `application/x-www-form-urlencoded`; NULL is refused); `body` and
/// `len` are the raw request body (it need not be NUL-terminated).
///
/// On success `*out` holds an event to free with `helix_ozonetel_event_free`. A body that is
/// not an Ozonetel call or agent event (malformed, another `eventType`, too large) is
/// `HELIX_INVALID_INPUT`; nothing of the body is echoed beyond a short quoted snippet.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_event_parse(
    content_type: *const c_char,
    body: *const u8,
    len: usize,
    out: *mut *mut helix_ozonetel_event,
) -> helix_status {
    ffi! {
        let content_type = arg_str!(content_type);
        let body = arg_bytes!(body, len);
        let out = arg_out!(out);
        let event = Event::parse(content_type, body)?;
        let (kind, action, ucid, monitor_ucid, agent_id) = match &event {
            Event::Call(e) => (
                helix_ozonetel_event_kind::HELIX_OZONETEL_EVENT_CALL,
                match &e.action {
                    CallEventAction::Calling => "Calling".to_string(),
                    CallEventAction::Answered => "Answered".to_string(),
                    CallEventAction::Disconnect => "Disconnect".to_string(),
                    CallEventAction::Other(other) => other.clone(),
                },
                e.ucid.clone(),
                e.monitor_ucid.as_str().to_string(),
                e.agent_id.clone(),
            ),
            Event::Agent(e) => (
                helix_ozonetel_event_kind::HELIX_OZONETEL_EVENT_AGENT,
                e.action.clone(),
                // An agent event names a call only among its other fields (BUSY, ACW).
                match e.extra.get("ucid") {
                    Some(serde_json::Value::String(ucid)) => ucid.clone(),
                    Some(serde_json::Value::Number(ucid)) => ucid.to_string(),
                    _ => String::new(),
                },
                String::new(),
                e.agent_id.clone(),
            ),
        };
        let json = serde_json::to_string(&event).map_err(|e| {
            Failure::new(helix_status::HELIX_PROTOCOL, format!("cannot encode the event: {e}"))
        })?;
        let strings = [text(&action), text(&ucid), text(&monitor_ucid), text(&agent_id), text(&json)];
        let view = helix_ozonetel_event {
            kind: kind as u32,
            action: strings[0].as_ptr(),
            ucid: strings[1].as_ptr(),
            monitor_ucid: strings[2].as_ptr(),
            agent_id: strings[3].as_ptr(),
            json: strings[4].as_ptr(),
        };
        // The CStrings' buffers are on the heap: moving the array into the box keeps the
        // pointers valid.
        let parsed = into_handle(ParsedEvent { view, strings, event });
        out.write(parsed.cast::<helix_ozonetel_event>());
        Ok(())
    }
}

/// Frees an event from `helix_ozonetel_event_parse`. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_event_free(event: *mut helix_ozonetel_event) {
    // SAFETY: the header requires `event` to be NULL or an event from
    // `helix_ozonetel_event_parse` not yet freed; such a pointer is the first field of a
    // `ParsedEvent` (repr(C)) made by `into_handle`.
    unsafe { free_handle(event.cast::<ParsedEvent>()) };
}

/// The call history (CDR) record of the call a call event is about, joined on the event's
/// `ucid` (never its `monitor_ucid`) on the event's local day. One paced CDR request (the
/// account's 2 a minute, shared with every CDR call of the account).
///
/// On success `*out_json` receives one record (the shape `helix_ozonetel_call_records`
/// documents) or `null` when Ozonetel has none; free it with `helix_string_free`. An agent
/// event, or a call event without a UCID or a time, is `HELIX_INVALID_INPUT`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_call_record_for(
    client: *const helix_ozonetel,
    event: *const helix_ozonetel_event,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let view = arg_ref!(event);
        let out = arg_out!(out_json);
        // SAFETY: the header requires `event` to come from `helix_ozonetel_event_parse`, so it
        // is the first field of a live `ParsedEvent`.
        let parsed = unsafe { &*std::ptr::from_ref(view).cast::<ParsedEvent>() };
        let Event::Call(call) = &parsed.event else {
            return Err(Failure::invalid(
                "an agent event names no call record; pass a call event",
            ));
        };
        let record = client.run(client.client().call_record_for(call))??;
        out.write(json_string(&record)?);
        Ok(())
    }
}

/// Subscribes the account to Ozonetel's events (`/events/subscribe` on the subscription host):
/// call events are POSTed to `call_url`, agent events to `agent_url` (both http(s) URLs).
/// Subscriptions are per account: one URL receives every agent's events.
///
/// On success, when `out_json` is not NULL, `*out_json` receives
/// `{"changed":true,"message":"…"}` (Ozonetel's own words; free with `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_subscribe_events(
    client: *const helix_ozonetel,
    call_url: *const c_char,
    agent_url: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let urls = EventUrls {
            call: arg_str!(call_url).to_string(),
            agent: arg_str!(agent_url).to_string(),
        };
        let out = arg_opt_out!(out_json);
        let answer = client.run(client.client().subscribe_events(&urls))??;
        out.write_json(&answer)
    }
}

/// The account's current subscription (`/events/subscriptions/list`).
///
/// On success `*out_json` receives `{"call":"https://…"|null,"agent":"https://…"|null}`, or
/// `null` when the account has none (free with `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_event_subscriptions(
    client: *const helix_ozonetel,
    out_json: *mut *mut c_char,
) -> helix_status {
    json_answer(client, out_json, async |c| c.event_subscriptions().await)
}

/// Removes the account's subscription for `kind`, a `helix_event_subscription` value
/// (`/events/un-subscribe`).
///
/// On success, when `out_json` is not NULL, `*out_json` receives
/// `{"changed":true|false,"message":"…"}` (free with `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_unsubscribe_events(
    client: *const helix_ozonetel,
    kind: u32,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let kind = match kind {
            1 => EventKind::Call,
            2 => EventKind::Agent,
            3 => EventKind::Both,
            other => {
                return Err(Failure::invalid(format!(
                    "kind {other} is not a helix_event_subscription (1 call, 2 agent, 3 both)"
                )));
            }
        };
        let out = arg_opt_out!(out_json);
        let answer = client.run(client.client().unsubscribe_events(kind))??;
        out.write_json(&answer)
    }
}

/// The account's disposition codes (`DispositionAPIV2`, `action=get`): what
/// `helix_disposition.code` may be.
///
/// On success `*out_json` receives a JSON array of strings (free with `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_dispositions(
    client: *const helix_ozonetel,
    out_json: *mut *mut c_char,
) -> helix_status {
    json_answer(client, out_json, async |c| c.dispositions().await)
}

/// The whole body of a client call that takes nothing and hands back its answer as JSON in a
/// required out-parameter.
fn json_answer<T: serde::Serialize>(
    client: *const helix_ozonetel,
    out_json: *mut *mut c_char,
    call: impl AsyncFnOnce(&Client) -> helix_engage::Result<T>,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let out = arg_out!(out_json);
        let answer = client.run(call(client.client()))??;
        out.write(json_string(&answer)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error_text as last_error;
    use std::ffi::CStr;
    use std::ptr;

    fn text_of(p: *const c_char) -> String {
        // SAFETY: the event's strings are NUL-terminated and live until it is freed.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
    }

    fn parsed(content_type: &CStr, body: &[u8]) -> *mut helix_ozonetel_event {
        let mut out = ptr::null_mut();
        let status =
            helix_ozonetel_event_parse(content_type.as_ptr(), body.as_ptr(), body.len(), &mut out);
        assert_eq!(status, helix_status::HELIX_OK, "{}", last_error());
        out
    }

    #[test]
    fn a_parsed_event_exposes_exact_ids_and_frees_cleanly() {
        let body = br#"{"eventType":"Call","action":"Calling","ucid":31733467784618213,"monitor_ucid":"7","agent_id":"asha"}"#;
        let out = parsed(c"application/json", body);
        // SAFETY: a live event from `parsed`, not yet freed.
        let event = unsafe { &*out };
        assert_eq!(
            event.kind,
            helix_ozonetel_event_kind::HELIX_OZONETEL_EVENT_CALL as u32
        );
        assert_eq!(text_of(event.action), "Calling");
        assert_eq!(text_of(event.ucid), "31733467784618213");
        assert_eq!(text_of(event.monitor_ucid), "7");
        assert_eq!(text_of(event.agent_id), "asha");
        assert!(text_of(event.json).starts_with(r#"{"kind":"call","event":{"#));
        helix_ozonetel_event_free(out);

        let agent = b"eventType=Agent&action=Busy&agent_id=asha&ucid=42";
        let out = parsed(c"application/x-www-form-urlencoded", agent);
        // SAFETY: as above.
        let event = unsafe { &*out };
        assert_eq!(
            event.kind,
            helix_ozonetel_event_kind::HELIX_OZONETEL_EVENT_AGENT as u32
        );
        assert_eq!(
            (text_of(event.action), text_of(event.ucid)),
            ("Busy".into(), "42".into())
        );
        assert_eq!(text_of(event.monitor_ucid), "");
        helix_ozonetel_event_free(out);
        helix_ozonetel_event_free(ptr::null_mut());
    }

    #[test]
    fn bad_bodies_and_kinds_are_refused() {
        let mut out = ptr::null_mut();
        assert_eq!(
            helix_ozonetel_event_parse(c"application/json".as_ptr(), b"[1]".as_ptr(), 3, &mut out),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(out.is_null());
        let client = crate::ozonetel::tests::client();
        assert_eq!(
            helix_ozonetel_unsubscribe_events(client, 9, ptr::null_mut()),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(last_error().contains("kind 9"), "{}", last_error());
        crate::ozonetel::helix_ozonetel_free(client);
    }
}
