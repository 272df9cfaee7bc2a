//! The post-call summary at `stop`: what its one request holds (schema, redacted transcript,
//! lead without phone), the typed result held to the account's dispositions, and how a slow or
//! failing LLM is contained by its own timeout.

mod assist_support;

use std::time::{Duration, Instant};

use assist_support::*;
use helix_engage::ErrorCode;
use helix_engage::assist::{
    AssistEvent, CallOutcome, CallSummary, FollowUp, LeadContext, LiveAssist, PostCallConfig,
    RedactionConfig, Redactor, Sentiment, Speaker, SuggestionConfig, WarningKind,
};

// Word numbers in the fake recogniser's vocabulary (channel 0 is the agent, 1 the customer).
const HELLO: u16 = 1;
const I: u16 = 2;
const NEED: u16 = 3;
const AN: u16 = 4;
const APPOINTMENT: u16 = 5; // ends the customer's turn
const BOOKED: u16 = 6;
const PRIVATE: u16 = 7; // said inside a private stretch: never reaches Deepgram
const SPOKEN_PHONE: u16 = 8;
const SPOKEN_CARD: u16 = 9;
const THANKS: u16 = 10;

/// The lead's own number: shown to the agent, never sent to the LLM.
const LEAD_PHONE: &str = "9845012345";
/// A card number (Luhn-valid) the customer reads out.
const CANARY: &str = "4111111111111111";

const DISPOSITIONS: [&str; 3] = ["Appointment booked", "Callback requested", "Wrong number"];

fn vocab() -> Vec<String> {
    [
        "",
        "Hello,",
        "I",
        "need",
        "an",
        "appointment.",
        "booked.",
        "SECRET-CANARY",
        LEAD_PHONE,
        CANARY,
        "thanks.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn lead() -> LeadContext {
    LeadContext {
        name: Some("Asha Rao".into()),
        phone: Some(LEAD_PHONE.into()),
        notes: Some("Prefers morning slots".into()),
        ..Default::default()
    }
}

/// A summary as the model would send it.
fn summary_reply(disposition: serde_json::Value) -> Reply {
    Reply::completion(&serde_json::json!({
        "summary": "The caller booked a cardiology appointment.",
        "reason": "appointment",
        "outcome": "follow_up",
        "followUps": [{"what": "Send the appointment SMS", "due": "today"},
                      {"what": "Call back about reports", "due": null}],
        "sentiment": "positive",
        "suggestedDisposition": disposition,
        "confidence": 0.8
    }))
}

fn live_reply() -> Reply {
    Reply::signals(
        &[("answer", "Offer the 10 am slot.")],
        "neutral",
        serde_json::Value::Null,
    )
}

/// Answers the live schema with `live_reply` and the summary schema with `summary`.
fn by_schema(
    summary: impl Fn() -> Reply + Send + Sync + 'static,
) -> impl Fn(usize, &LlmRequest) -> Reply + Send + Sync + 'static {
    move |_, req| match req.schema_name() {
        "call_summary" => summary(),
        _ => live_reply(),
    }
}

struct Rig {
    assist: LiveAssist,
    events: tokio::sync::mpsc::Receiver<AssistEvent>,
    llm: FakeLlm,
    _dg: FakeDeepgram,
}

async fn rig(
    responder: impl Fn(usize, &LlmRequest) -> Reply + Send + Sync + 'static,
    post_call: PostCallConfig,
) -> Rig {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        ..Default::default()
    })
    .await;
    let llm = FakeLlm::start_reading(responder).await;
    let mut cfg = config(&dg.url, 2);
    let mut s = SuggestionConfig::new("sk-test-999")
        .with_base_url(&llm.base_url)
        .with_post_call(post_call);
    s.interval = Duration::from_secs(30);
    s.min_gap = Duration::from_millis(50);
    s.timeout = Duration::from_millis(500);
    cfg.suggestions = Some(s);
    cfg.lead = Some(lead());
    let (assist, events) = LiveAssist::start(cfg).await.expect("start");
    Rig {
        assist,
        events,
        llm,
        _dg: dg,
    }
}

fn post_call_config() -> PostCallConfig {
    let mut p = PostCallConfig::default().with_dispositions(DISPOSITIONS);
    p.timeout = Duration::from_secs(2);
    p
}

/// Agent greets, the customer asks for an appointment, the agent books it (`run` then says a
/// canary word inside a private stretch that lasts until `stop`).
fn booking_call() -> Vec<u8> {
    script_audio(&[
        vec![HELLO, 0],
        vec![0, I],
        vec![0, NEED],
        vec![0, AN],
        vec![0, APPOINTMENT],
        vec![BOOKED, 0],
    ])
}

/// Runs `audio` through the rig, lets the live request happen, stops; returns the summary,
/// the events after the stop and how long `stop` took.
async fn run(r: Rig, audio: Vec<u8>) -> (CallSummary, Vec<AssistEvent>, FakeLlm, Duration) {
    let Rig {
        assist,
        mut events,
        llm,
        _dg,
    } = r;
    if !audio.is_empty() {
        assist.send_audio(audio).unwrap();
        // The stretch is still open at `stop`, which closes it with its marker segment.
        assist.set_private(true);
        assist
            .send_audio(script_audio(&[vec![0, PRIVATE]]))
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let started = Instant::now();
    let summary = assist.stop().await.expect("stop");
    let took = started.elapsed();
    let mut seen = Vec::new();
    while let Ok(ev) = events.try_recv() {
        seen.push(ev);
    }
    (summary, seen, llm, took)
}

/// The booking call, with `summary` answering the summary request.
async fn booking_with(
    summary: impl Fn() -> Reply + Send + Sync + 'static,
    post_call: PostCallConfig,
) -> (CallSummary, Vec<AssistEvent>, FakeLlm, Duration) {
    run(rig(by_schema(summary), post_call).await, booking_call()).await
}

fn summary_requests(llm: &FakeLlm) -> Vec<LlmRequest> {
    llm.requests()
        .into_iter()
        .filter(|r| r.schema_name() == "call_summary")
        .collect()
}

#[tokio::test]
async fn the_summary_request_holds_the_schema_the_dispositions_and_the_redacted_call() {
    let (summary, _, llm, _) = booking_with(
        || summary_reply("Appointment booked".into()),
        post_call_config(),
    )
    .await;

    let reqs = summary_requests(&llm);
    assert_eq!(reqs.len(), 1, "one summary request");
    let req = &reqs[0];
    assert_eq!(req.path, "/v1/chat/completions");
    let body = &req.body;
    assert_eq!(body["model"], "gpt-4o-mini");
    let rf = &body["response_format"]["json_schema"];
    assert_eq!(rf["strict"], true);
    let schema = &rf["schema"];
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["required"],
        serde_json::json!([
            "summary",
            "reason",
            "outcome",
            "followUps",
            "sentiment",
            "suggestedDisposition",
            "confidence"
        ])
    );
    let props = &schema["properties"];
    assert_eq!(
        props["outcome"]["enum"],
        serde_json::json!([
            "resolved",
            "follow_up",
            "escalated",
            "unresolved",
            "no_conversation"
        ])
    );
    assert_eq!(
        props["sentiment"]["enum"],
        serde_json::json!(["positive", "neutral", "negative", "angry"])
    );
    assert_eq!(
        props["followUps"]["items"]["required"],
        serde_json::json!(["what", "due"])
    );
    assert_eq!(
        props["suggestedDisposition"]["anyOf"],
        serde_json::json!([{"type": "string", "enum": DISPOSITIONS}, {"type": "null"}])
    );

    // The prompt: the whole call in spoken order, the private stretch as a bare line, the
    // lead's context without its phone, the dispositions.
    let user = req.user();
    let call = "Agent: Hello,\nCustomer: I need an appointment.\nAgent: booked.\n[private stretch]";
    assert!(user.contains(call), "{user}");
    assert!(
        !user.contains("[private]") && !user.contains("SECRET-CANARY"),
        "the marker is not passed on as words, and nothing said inside it is: {user}"
    );
    assert!(user.contains("Name: Asha Rao") && user.contains("Prefers morning slots"));
    for d in DISPOSITIONS {
        assert!(user.contains(&format!("- {d}\n")), "{user}");
    }
    // The lead's phone is in no request at all, live or post-call.
    let all = llm.requests();
    assert!(all.iter().any(|r| r.schema_name() == "agent_suggestions"));
    for r in &all {
        assert!(!r.body.is_null(), "every body is JSON");
        assert!(!r.raw.contains(LEAD_PHONE), "{}", r.raw);
    }

    // The typed result.
    let post = summary.post_call.as_ref().expect("post-call summary");
    assert!(summary.post_call_error.is_none());
    assert_eq!(post.summary, "The caller booked a cardiology appointment.");
    assert_eq!(post.reason, "appointment");
    assert_eq!(post.outcome, CallOutcome::FollowUp);
    assert_eq!(
        post.follow_ups,
        vec![
            FollowUp {
                what: "Send the appointment SMS".into(),
                due: Some("today".into())
            },
            FollowUp {
                what: "Call back about reports".into(),
                due: None
            },
        ]
    );
    assert_eq!(post.sentiment, Sentiment::Positive);
    assert_eq!(
        post.suggested_disposition.as_deref(),
        Some("Appointment booked")
    );
    assert_eq!(post.confidence, 0.8);
    assert!(summary.complete && summary.error.is_none());
    // What the bindings forward.
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(
        json["postCall"]["suggestedDisposition"],
        "Appointment booked"
    );
    assert_eq!(
        json["postCall"]["followUps"][1]["due"],
        serde_json::Value::Null
    );
    assert_eq!(json["postCall"]["outcome"], "follow_up");
    assert!(json["postCallError"].is_null());
}

#[tokio::test]
async fn spoken_numbers_reach_the_llm_only_as_the_redactor_leaves_them() {
    let r = rig(
        by_schema(|| summary_reply(serde_json::Value::Null)),
        post_call_config(),
    )
    .await;
    let audio = script_audio(&[vec![0, SPOKEN_PHONE], vec![0, SPOKEN_CARD], vec![0, THANKS]]);
    let (summary, _, llm, _) = run(r, audio).await;
    // What the session kept for the agent, and what the LLM may see of it.
    let redactor = Redactor::new(&RedactionConfig::default())
        .unwrap()
        .with_lead_phone(Some(LEAD_PHONE));
    let agent_view = summary.transcript.text_of(Speaker::Customer);
    let llm_view = redactor.for_llm(&agent_view);
    let reqs = summary_requests(&llm);
    assert_eq!(reqs.len(), 1);
    assert!(
        reqs[0].user().contains(&format!("Customer: {llm_view}")),
        "{}",
        reqs[0].user()
    );
    // The lead's number and the card appear in a request only where the redactor itself
    // keeps them (never, once its rules are in).
    for r in llm.requests() {
        for needle in [LEAD_PHONE, CANARY] {
            assert!(
                !r.raw.contains(needle) || llm_view.contains(needle),
                "{needle} leaked past the redactor: {}",
                r.raw
            );
        }
    }
    assert!(summary.post_call.is_some());
}

#[tokio::test]
async fn a_slow_summary_is_given_up_at_its_timeout_and_the_transcript_is_whole() {
    let mut p = post_call_config();
    p.timeout = Duration::from_millis(700);
    let (summary, _, llm, took) = booking_with(
        || summary_reply(serde_json::Value::Null).delayed(Duration::from_secs(5)),
        p,
    )
    .await;
    assert_eq!(summary_requests(&llm).len(), 1);
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(
        took < Duration::from_millis(700 + 800),
        "stop waited {took:?} for a 700 ms summary timeout"
    );
    assert!(summary.post_call.is_none());
    let err = summary.post_call_error.as_ref().expect("post_call_error");
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    assert!(
        summary.error.is_none(),
        "a late summary is not the call's error"
    );
    assert!(summary.complete);
    assert_eq!(summary.transcript.segments.len(), 7);
    assert_eq!(
        summary.transcript.text_of(Speaker::Customer),
        "I need an appointment."
    );
}

#[tokio::test]
async fn a_disposition_outside_the_list_is_dropped_with_a_warning() {
    let (summary, events, _, _) = booking_with(
        || summary_reply("Appointment Booked!".into()),
        post_call_config(),
    )
    .await;
    let post = summary.post_call.expect("post-call summary");
    assert_eq!(post.suggested_disposition, None);
    assert_eq!(post.confidence, 0.0);
    assert_eq!(post.outcome, CallOutcome::FollowUp, "the rest is kept");
    let warnings: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AssistEvent::Warning(w) if w.kind == WarningKind::PostCall => Some(&w.message),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{events:?}");
    assert!(
        warnings[0].contains("Appointment Booked!"),
        "{}",
        warnings[0]
    );
    // The warning comes before the end.
    assert!(matches!(events.last(), Some(AssistEvent::Closed(_))));
}

#[tokio::test]
async fn without_dispositions_the_schema_allows_only_null() {
    let mut p = post_call_config();
    p.dispositions.clear();
    let (summary, _, llm, _) = booking_with(|| summary_reply(serde_json::Value::Null), p).await;
    let reqs = summary_requests(&llm);
    assert_eq!(
        reqs[0].body["response_format"]["json_schema"]["schema"]["properties"]["suggestedDisposition"],
        serde_json::json!({"type": "null"})
    );
    assert!(reqs[0].user().contains("No dispositions are configured"));
    assert_eq!(summary.post_call.unwrap().suggested_disposition, None);
}

#[tokio::test]
async fn an_llm_failure_is_the_summarys_error_not_the_calls() {
    let r = rig(
        |_, req: &LlmRequest| match req.schema_name() {
            "call_summary" => Reply::raw(500, "upstream boom"),
            _ => live_reply(),
        },
        post_call_config(),
    )
    .await;
    let (summary, _, _, _) = run(r, booking_call()).await;
    assert!(summary.post_call.is_none());
    assert_eq!(
        summary.post_call_error.as_ref().map(|e| e.code()),
        Some(ErrorCode::Api)
    );
    assert!(summary.error.is_none() && summary.complete);
    assert_eq!(summary.transcript.segments.len(), 7);
}

#[tokio::test]
async fn a_call_with_no_speech_is_no_conversation_without_a_request() {
    let r = rig(
        by_schema(|| summary_reply(serde_json::Value::Null)),
        post_call_config(),
    )
    .await;
    let (summary, _, llm, _) = run(r, Vec::new()).await;
    assert!(llm.requests().is_empty());
    let post = summary.post_call.expect("a local summary");
    assert_eq!(post.outcome, CallOutcome::NoConversation);
    assert_eq!(post.suggested_disposition, None);
    assert!(summary.post_call_error.is_none());
}

#[tokio::test]
async fn without_post_call_nothing_is_asked_at_stop() {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        ..Default::default()
    })
    .await;
    let llm = FakeLlm::start_reading(by_schema(|| summary_reply(serde_json::Value::Null))).await;
    let mut cfg = config(&dg.url, 2);
    cfg.suggestions = Some(SuggestionConfig::new("sk-test-999").with_base_url(&llm.base_url));
    let (assist, _events) = LiveAssist::start(cfg).await.unwrap();
    assist.send_audio(booking_call()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let summary = assist.stop().await.unwrap();
    assert!(summary_requests(&llm).is_empty());
    assert!(summary.post_call.is_none() && summary.post_call_error.is_none());
}
