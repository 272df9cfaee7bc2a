//! Event webhooks: payloads as Ozonetel POSTs them (JSON and form), the join to the CDR,
//! and the subscription API on its own host with `api_key`/`username` headers and plain-text
//! answers.

mod common;

use chrono::{Days, FixedOffset, Utc};
use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{CallEventAction, Client, Event, EventKind, EventUrls};
use mockito::{Matcher, ServerGuard};
use serde_json::json;

const BIG_UCID: &str = "31733467784618213";
const BIG_MONITOR: &str = "31733467784618999";

fn yesterday_at(time: &str) -> String {
    let day = Utc::now()
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .date_naive()
        - Days::new(1);
    format!("{day} {time}")
}

#[test]
fn json_call_events_keep_big_ids_times_and_unknown_fields() {
    let body = format!(
        r#"{{"eventType":"Call","eventTime":"2023-12-03 10:35:56","username":"acme","action":"Answered",
        "call_type":"InBound","ucid":{BIG_UCID},"monitor_ucid":{BIG_MONITOR},"agent_id":"asha",
        "skill":"General","caller_id":"8123441234","did":"918041763265","agent_number":"8812345678",
        "event_time":"2023-12-03 10:35:55","hospital_tag":"north"}}"#
    );
    let Event::Call(e) = Event::parse("application/json; charset=utf-8", body.as_bytes()).unwrap()
    else {
        panic!("not a call event")
    };
    assert_eq!(e.ucid, BIG_UCID);
    assert_eq!(e.monitor_ucid.as_str(), BIG_MONITOR);
    assert_eq!(e.action, CallEventAction::Answered);
    assert_eq!(e.agent_id, "asha");
    assert_eq!(e.call_type, "InBound");
    assert_eq!(e.occurred_at.raw, "2023-12-03 10:35:55");
    assert_eq!(e.occurred_at.at.unwrap().to_string(), "2023-12-03 10:35:55");
    assert_eq!(e.sent_at.raw, "2023-12-03 10:35:56");
    assert_eq!(e.extra["hospital_tag"], "north");
    assert_eq!(e.call_date().unwrap().to_string(), "2023-12-03");
    // Serialised for hosts, the ids stay strings.
    let v = serde_json::to_value(Event::Call(e)).unwrap();
    assert_eq!(v["event"]["ucid"], BIG_UCID);
    assert_eq!(v["event"]["monitorUcid"], BIG_MONITOR);
}

#[test]
fn form_events_and_agent_events_parse() {
    let body = format!(
        "eventType=call&action=Disconnect&ucid={BIG_UCID}&monitor_ucid={BIG_MONITOR}&agent_id=asha&event_time=2023-12-03+10%3A35%3A55&note=a%26b"
    );
    let Event::Call(e) =
        Event::parse("application/x-www-form-urlencoded", body.as_bytes()).unwrap()
    else {
        panic!("not a call event")
    };
    assert_eq!(e.action, CallEventAction::Disconnect);
    assert_eq!(e.ucid, BIG_UCID);
    assert_eq!(e.extra["note"], "a&b");
    assert!(e.occurred_at.at.is_some());

    let Event::Agent(a) = Event::parse(
        "application/json",
        br#"{"eventType":"Agent","agent_id":"asha","action":"Pause","eventTime":"later","reason":"Lunch"}"#,
    )
    .unwrap() else {
        panic!("not an agent event")
    };
    assert_eq!((a.agent_id.as_str(), a.action.as_str()), ("asha", "Pause"));
    assert_eq!(a.sent_at.raw, "later");
    assert_eq!(a.sent_at.at, None);
    assert_eq!(a.extra["reason"], "Lunch");
}

#[test]
fn bad_event_bodies_are_invalid_input_not_panics() {
    let huge = vec![b'a'; 1_000_000];
    for (ct, body) in [
        ("application/json", &b"{not json"[..]),
        ("application/json", b"[1,2]"),
        ("application/json", br#"{"eventType":"Chat"}"#),
        ("text/plain", b"\xff\xfe"),
        ("application/json", &huge[..]),
        ("application/x-www-form-urlencoded", b"x=1"),
    ] {
        let err = Event::parse(ct, body).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
        assert!(err.to_string().len() < 300, "{err}");
    }
}

#[tokio::test]
async fn call_record_for_joins_on_ucid_not_monitor_ucid() {
    let mut server = server_with_token("c").await;
    let when = yesterday_at("10:35:55");
    let day = &when[..10];
    let m = server
        .mock("GET", "/ca_reports/fetchCdrByUCID")
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "ucid": BIG_UCID,
            "fromDate": format!("{day} 00:00:00"),
            "toDate": format!("{day} 23:59:59"),
        })))
        .with_body(format!(
            r#"{{"details":[{{"UCID":{BIG_UCID},"CallDate":"{day}","TransferTo":"ravi","HandlingTime":null}}]}}"#
        ))
        .expect(1)
        .create_async()
        .await;
    let body = format!(
        r#"{{"eventType":"Call","action":"Disconnect","ucid":"{BIG_UCID}","monitor_ucid":"{BIG_MONITOR}","event_time":"{when}"}}"#
    );
    let Event::Call(e) = Event::parse("application/json", body.as_bytes()).unwrap() else {
        panic!()
    };
    let r = client(&server).call_record_for(&e).await.unwrap().unwrap();
    assert_eq!(r.ucid, BIG_UCID);
    assert_eq!(r.transferred_to, "ravi");
    assert_eq!(r.handling_time, "");
    m.assert_async().await;

    // No ucid, or no time: refused, nothing sent.
    let mut bare = e.clone();
    bare.ucid.clear();
    assert_eq!(
        client(&server)
            .call_record_for(&bare)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
}

fn events_client(api: &ServerGuard, events: &ServerGuard) -> Client {
    builder(api).events_base_url(events.url()).build().unwrap()
}

fn headers(mock: mockito::Mock) -> mockito::Mock {
    mock.match_header("api_key", KEY)
        .match_header("username", USER)
        .match_header("authorization", Matcher::Missing)
}

#[tokio::test]
async fn subscription_api_speaks_plain_text_on_its_own_host() {
    let mut api = mockito::Server::new_async().await;
    let no_token = no_token_requested(&mut api).await;
    let mut events = mockito::Server::new_async().await;
    let c = events_client(&api, &events);

    let sub = headers(events.mock("POST", "/events/subscribe"))
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({
            "callEventsURL": "https://desk.example/hooks/call",
            "agentEventsURL": "https://desk.example/hooks/agent",
        })))
        .with_header("content-type", "text/plain")
        .with_body("Subscription added successfully for User: acme")
        .expect(1)
        .create_async()
        .await;
    let r = c
        .subscribe_events(&EventUrls {
            call: "https://desk.example/hooks/call".into(),
            agent: "https://desk.example/hooks/agent".into(),
        })
        .await
        .unwrap();
    assert!(r.changed);
    assert_eq!(r.message, "Subscription added successfully for User: acme");
    sub.assert_async().await;

    let list = headers(events.mock("GET", "/events/subscriptions/list"))
        .with_body(r#"{"agentEventsURL":"https://desk.example/hooks/agent","callEventsURL":"https://desk.example/hooks/call"}"#)
        .expect(1)
        .create_async()
        .await;
    let s = c.event_subscriptions().await.unwrap().unwrap();
    assert_eq!(s.call.as_deref(), Some("https://desk.example/hooks/call"));
    assert_eq!(s.agent.as_deref(), Some("https://desk.example/hooks/agent"));
    list.assert_async().await;
    list.remove_async().await;

    let none = headers(events.mock("GET", "/events/subscriptions/list"))
        .with_body("Subscription doesnt exists for User: acme")
        .create_async()
        .await;
    assert_eq!(c.event_subscriptions().await.unwrap(), None);
    none.remove_async().await;

    for (kind, wire) in [
        (EventKind::Call, "call"),
        (EventKind::Agent, "agent"),
        (EventKind::Both, "both"),
    ] {
        let m = headers(events.mock("POST", "/events/un-subscribe"))
            .match_body(Matcher::Json(json!({ "eventType": wire })))
            .with_body(format!(
                "Unsubscribed to {wire} events successfully for User: acme"
            ))
            .expect(1)
            .create_async()
            .await;
        assert!(c.unsubscribe_events(kind).await.unwrap().changed);
        m.assert_async().await;
        m.remove_async().await;
    }
    let m = events
        .mock("POST", "/events/un-subscribe")
        .with_body("Subscription doesn't exists for User: acme")
        .create_async()
        .await;
    assert!(!c.unsubscribe_events(EventKind::Both).await.unwrap().changed);
    m.remove_async().await;

    let m = events
        .mock("POST", "/events/subscribe")
        .with_body("Unauthorized")
        .create_async()
        .await;
    let err = c
        .subscribe_events(&EventUrls {
            call: "https://desk.example/c".into(),
            agent: "https://desk.example/a".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Auth);
    assert!(!format!("{err} {err:?}").contains(KEY));
    m.remove_async().await;
    no_token.assert_async().await;
}

#[tokio::test]
async fn bad_webhook_urls_are_refused_with_nothing_sent() {
    let api = mockito::Server::new_async().await;
    let mut events = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut events).await;
    let c = events_client(&api, &events);
    for (call, agent) in [
        ("", "https://a.example/x"),
        ("ftp://a.example/x", "https://a.example/x"),
        ("https://user:secret@a.example/x", "https://a.example/x"),
        ("https://a.example/x", "not a url"),
    ] {
        let err = c
            .subscribe_events(&EventUrls {
                call: call.into(),
                agent: agent.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{call} {agent}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
    for g in guards {
        g.assert_async().await;
    }
    let err = builder(&api)
        .events_base_url("ftp://host")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("events_base_url"), "{err}");
}
