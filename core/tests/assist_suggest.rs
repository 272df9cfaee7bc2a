//! Suggestions: when they are asked for, what the request holds, and how LLM trouble is
//! contained.

mod assist_support;

use std::time::Duration;

use assist_support::*;
use helix_engage::ErrorCode;
use helix_engage::assist::{
    AssistEvent, Escalation, EscalationReason, LeadContext, LiveAssist, Sentiment,
    SuggestionConfig, SuggestionKind, SuggestionTrigger, WarningKind,
};
use tokio::sync::mpsc::Receiver;

// Word numbers in the fake recogniser's vocabulary.
const HELLO: u16 = 1;
const WHAT: u16 = 2;
const EMI_Q: u16 = 3; // "EMI?" ends the customer's turn
const RATE: u16 = 4;
const AGENT_WORD: u16 = 5;

fn vocab() -> Vec<String> {
    ["", "Hello", "What", "EMI?", "rate", "certainly"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

const TIPS: [&str; 8] = [
    "Quote the current EMI for the 20 year plan.",
    "Ask whether the customer prefers a fixed rate.",
    "Mention the zero processing fee offer this month.",
    "Confirm the customer's monthly income bracket.",
    "Offer to email the amortisation schedule.",
    "Check eligibility for the top-up loan.",
    "Remind about the prepayment option without penalty.",
    "Suggest booking a branch visit for documents.",
];

fn tip(n: usize) -> Reply {
    Reply::suggestions(&[("answer", TIPS[n % TIPS.len()])])
}

struct Rig {
    assist: LiveAssist,
    events: Receiver<AssistEvent>,
    dg: FakeDeepgram,
    llm: FakeLlm,
}

async fn rig(
    responder: impl Fn(usize) -> Reply + Send + Sync + 'static,
    tweak: impl FnOnce(&mut SuggestionConfig),
) -> Rig {
    let dg = FakeDeepgram::start(Script {
        vocab: vocab(),
        ..Default::default()
    })
    .await;
    let llm = FakeLlm::start(responder).await;
    let mut cfg = config(&dg.url, 2);
    let mut s = SuggestionConfig::new("sk-test-999").with_base_url(&llm.base_url);
    s.interval = Duration::from_secs(30);
    s.min_gap = Duration::from_millis(50);
    s.timeout = Duration::from_millis(500);
    s.backoff_initial = Duration::from_millis(50);
    s.backoff_max = Duration::from_millis(100);
    tweak(&mut s);
    cfg.suggestions = Some(s);
    cfg.lead = Some(LeadContext {
        name: Some("Asha Rao".into()),
        history: vec!["Asked about home loans last week".into()],
        ..Default::default()
    });
    let (assist, events) = LiveAssist::start(cfg).await.expect("start");
    Rig {
        assist,
        events,
        dg,
        llm,
    }
}

/// The customer asks "What EMI?" (a turn end); the agent answers.
fn question() -> Vec<u8> {
    script_audio(&[vec![0, WHAT], vec![0, EMI_Q], vec![AGENT_WORD, 0]])
}

/// Only the agent talks: new final text, but no customer turn end.
fn agent_talk() -> Vec<u8> {
    script_audio(&[vec![HELLO, 0], vec![AGENT_WORD, 0]])
}

async fn collect(events: &mut Receiver<AssistEvent>, for_: Duration) -> Vec<AssistEvent> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + for_;
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, events.recv()).await {
        out.push(ev);
    }
    out
}

fn suggestions(events: &[AssistEvent]) -> Vec<&helix_engage::assist::SuggestionBatch> {
    events
        .iter()
        .filter_map(|e| match e {
            AssistEvent::Suggestion(b) => Some(b),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn customer_turn_end_asks_with_lead_transcript_and_json_schema() {
    let mut r = rig(tip, |_| {}).await;
    r.assist.send_audio(question()).unwrap();
    let events = collect(&mut r.events, Duration::from_millis(600)).await;
    let batches = suggestions(&events);
    assert_eq!(batches.len(), 1, "{events:?}");
    assert_eq!(batches[0].trigger, SuggestionTrigger::CustomerTurnEnd);
    assert_eq!(batches[0].items[0].kind, SuggestionKind::Answer);
    assert_eq!(batches[0].items[0].text, TIPS[0]);
    // An endpoint that predates the live signals (no sentiment, no escalation) still works.
    assert_eq!(batches[0].sentiment, None);
    assert_eq!(batches[0].escalation, None);

    let reqs = r.llm.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.path, "/v1/chat/completions");
    let auth = req
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some("Bearer sk-test-999"));
    let body = &req.body;
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["messages"][0]["role"], "system");
    let user = body["messages"][1]["content"].as_str().unwrap_or_default();
    assert!(user.contains("Name: Asha Rao"), "{user}");
    assert!(user.contains("Asked about home loans last week"), "{user}");
    assert!(user.contains("Customer: What EMI?"), "{user}");
    let rf = &body["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["strict"], true);
    let item = &rf["json_schema"]["schema"]["properties"]["suggestions"]["items"];
    assert_eq!(item["required"], serde_json::json!(["kind", "text"]));
    assert_eq!(item["additionalProperties"], false);
    assert_eq!(rf["json_schema"]["name"], "agent_suggestions");

    let summary = r.assist.stop().await.unwrap();
    assert_eq!(summary.suggestions.len(), 1);
    assert_eq!(summary.metrics.suggestion_requests, 1);
    assert_eq!(summary.metrics.suggestion_latency.count, 1);
    drop(r.dg);
}

#[tokio::test]
async fn min_gap_and_single_flight_are_respected() {
    // Each answer takes 150 ms; the customer keeps asking every 60 ms.
    let mut r = rig(
        |n| tip(n).delayed(Duration::from_millis(150)),
        |s| {
            s.min_gap = Duration::from_millis(250);
        },
    )
    .await;
    for _ in 0..12 {
        r.assist.send_audio(question()).unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let events = collect(&mut r.events, Duration::from_millis(500)).await;
    let reqs = r.llm.requests();
    assert!(
        reqs.len() >= 2,
        "expected several requests, got {}",
        reqs.len()
    );
    assert!(
        reqs.len() <= 5,
        "min gap ignored: {} requests in ~1.2 s",
        reqs.len()
    );
    for pair in reqs.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(240), "requests {gap:?} apart");
    }
    assert_eq!(r.llm.max_in_flight(), 1);
    assert_eq!(suggestions(&events).len(), reqs.len());
}

#[tokio::test]
async fn interval_asks_only_when_there_is_new_final_text() {
    let mut r = rig(tip, |s| {
        s.interval = Duration::from_millis(300);
    })
    .await;
    r.assist.send_audio(agent_talk()).unwrap();
    let first = collect(&mut r.events, Duration::from_millis(1_000)).await;
    // One request at the interval; none after it, because nothing new was said.
    assert_eq!(r.llm.requests().len(), 1);
    let b = suggestions(&first);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].trigger, SuggestionTrigger::Interval);
    r.assist.send_audio(agent_talk()).unwrap();
    collect(&mut r.events, Duration::from_millis(1_000)).await;
    let reqs = r.llm.requests();
    // The two new finals may land in one request or two, never closer than the interval.
    assert!((2..=3).contains(&reqs.len()), "{} requests", reqs.len());
    for pair in reqs.windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(290));
    }
    // Silence: no new text, no new requests.
    collect(&mut r.events, Duration::from_millis(700)).await;
    assert_eq!(r.llm.requests().len(), reqs.len());
}

#[tokio::test]
async fn llm_429_500_and_stall_leave_transcripts_alone_and_suggestions_resume() {
    let mut r = rig(
        |n| match n {
            0 => Reply::error(429, "requests", "rate_limit_exceeded"),
            1 => Reply::raw(500, "upstream boom"),
            2 => tip(0).delayed(Duration::from_secs(3)), // a stall past the timeout
            _ => tip(n),
        },
        |s| s.timeout = Duration::from_millis(200),
    )
    .await;
    let mut sent = Vec::new();
    for _ in 0..10 {
        let q = question();
        sent.push(q.clone());
        r.assist.send_audio(q).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = collect(&mut r.events, Duration::from_millis(500)).await;
    let finals = events
        .iter()
        .filter(|e| matches!(e, AssistEvent::Transcript { is_final: true, .. }))
        .count();
    assert_eq!(finals, 30, "every word of every question is transcribed");
    let warnings = events
        .iter()
        .filter(|e| matches!(e, AssistEvent::Warning(w) if w.kind == WarningKind::SuggestionFailed))
        .count();
    assert_eq!(warnings, 3, "429, 500 and the stall each warn once");
    assert!(!suggestions(&events).is_empty(), "suggestions resumed");
    let summary = r.assist.stop().await.unwrap();
    assert_eq!(summary.metrics.suggestion_failures, 3);
    assert_eq!(summary.transcript.segments.len(), 30);
    // Transcription never waited on the LLM: latency stays far below the stall.
    assert!(summary.metrics.transcript_latency.max < Duration::from_secs(1));
}

#[tokio::test]
async fn near_duplicate_suggestions_are_not_repeated() {
    let mut r = rig(
        |n| {
            if n % 2 == 0 {
                Reply::suggestions(&[("next_step", "Offer the 20-year plan.")])
            } else {
                Reply::suggestions(&[("next_step", "offer the 20 year plan")])
            }
        },
        |_| {},
    )
    .await;
    for _ in 0..3 {
        r.assist.send_audio(question()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = collect(&mut r.events, Duration::from_millis(300)).await;
    let reqs = r.llm.requests();
    assert!(reqs.len() >= 2);
    assert_eq!(suggestions(&events).len(), 1);
    let later = reqs[1].body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        later.contains("do not repeat") && later.contains("Offer the 20-year plan."),
        "{later}"
    );
}

#[tokio::test]
async fn a_refused_llm_key_is_one_error_and_no_more_requests() {
    let mut r = rig(
        |_| Reply::error(401, "invalid_request_error", "invalid_api_key"),
        |_| {},
    )
    .await;
    for _ in 0..3 {
        r.assist.send_audio(question()).unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let events = collect(&mut r.events, Duration::from_millis(300)).await;
    let errors: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AssistEvent::Error(e) => Some(e.code()),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![ErrorCode::Auth]);
    assert_eq!(r.llm.requests().len(), 1);
    let summary = r.assist.stop().await.unwrap();
    assert_eq!(summary.transcript.segments.len(), 9);
    assert!(
        summary.error.is_none(),
        "an LLM problem does not end the call"
    );
    let _ = RATE;
}

fn escalation(reason: &str, detail: &str) -> serde_json::Value {
    serde_json::json!({ "reason": reason, "detail": detail })
}

#[tokio::test]
async fn the_live_signals_are_asked_for_and_typed() {
    let mut r = rig(
        |_| Reply::signals(&[("answer", TIPS[1])], "negative", serde_json::Value::Null),
        |_| {},
    )
    .await;
    r.assist.send_audio(question()).unwrap();
    let events = collect(&mut r.events, Duration::from_millis(600)).await;
    let batches = suggestions(&events);
    assert_eq!(batches.len(), 1, "{events:?}");
    assert_eq!(batches[0].sentiment, Some(Sentiment::Negative));
    assert_eq!(batches[0].escalation, None);

    let body = &r.llm.requests()[0].body;
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(
        schema["required"],
        serde_json::json!(["suggestions", "sentiment", "escalation"])
    );
    assert_eq!(
        schema["properties"]["sentiment"]["enum"],
        serde_json::json!(["positive", "neutral", "negative", "angry"])
    );
    let any_of = &schema["properties"]["escalation"]["anyOf"];
    assert_eq!(any_of[1], serde_json::json!({"type": "null"}));
    assert_eq!(
        any_of[0]["properties"]["reason"]["enum"],
        serde_json::json!([
            "supervisor_requested",
            "angry_customer",
            "medical_emergency"
        ])
    );
    assert_eq!(
        any_of[0]["required"],
        serde_json::json!(["reason", "detail"])
    );
    assert_eq!(any_of[0]["additionalProperties"], false);
    let system = body["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(system.contains("language the AGENT speaks"), "{system}");
    assert!(system.contains("Hinglish in Latin script"), "{system}");
    assert!(system.contains("CUSTOMER's current sentiment"), "{system}");
}

#[tokio::test]
async fn an_escalation_always_leads_with_a_next_step() {
    let mut r = rig(
        |n| match n {
            // No step from the model: the library's own goes first.
            0 => Reply::signals(
                &[("answer", TIPS[2])],
                "angry",
                escalation("angry_customer", "Shouting about the wait."),
            ),
            // The model leads with a step: it is kept first.
            1 => Reply::signals(
                &[
                    ("next_step", "Ask if the patient is breathing and call 108."),
                    ("info", TIPS[3]),
                ],
                "negative",
                escalation("medical_emergency", "Father has chest pain."),
            ),
            // Only a repeat: the batch still comes, with the built-in step alone.
            2 => Reply::signals(
                &[("answer", TIPS[2])],
                "angry",
                escalation("supervisor_requested", "Wants a manager."),
            ),
            // A repeat and no signal: nothing new, no batch.
            _ => Reply::signals(&[("answer", TIPS[2])], "neutral", serde_json::Value::Null),
        },
        |_| {},
    )
    .await;
    for _ in 0..4 {
        r.assist.send_audio(question()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = collect(&mut r.events, Duration::from_millis(300)).await;
    assert!(r.llm.requests().len() >= 4);
    let batches = suggestions(&events);
    assert_eq!(batches.len(), 3, "{batches:#?}");

    let step =
        |reason: EscalationReason| (SuggestionKind::NextStep, reason.next_step().to_string());
    let items = |n: usize| -> Vec<(SuggestionKind, String)> {
        batches[n]
            .items
            .iter()
            .map(|s| (s.kind, s.text.clone()))
            .collect()
    };
    assert_eq!(
        batches[0].escalation,
        Some(Escalation {
            reason: EscalationReason::AngryCustomer,
            detail: "Shouting about the wait.".into()
        })
    );
    assert_eq!(batches[0].sentiment, Some(Sentiment::Angry));
    assert_eq!(
        items(0),
        vec![
            step(EscalationReason::AngryCustomer),
            (SuggestionKind::Answer, TIPS[2].to_string())
        ]
    );
    assert_eq!(
        batches[1].escalation.as_ref().map(|e| e.reason),
        Some(EscalationReason::MedicalEmergency)
    );
    assert_eq!(
        items(1),
        vec![
            (
                SuggestionKind::NextStep,
                "Ask if the patient is breathing and call 108.".to_string()
            ),
            (SuggestionKind::Info, TIPS[3].to_string())
        ]
    );
    assert_eq!(
        batches[2].escalation.as_ref().map(|e| e.reason),
        Some(EscalationReason::SupervisorRequested)
    );
    assert_eq!(items(2), vec![step(EscalationReason::SupervisorRequested)]);
    // The built-in steps say what the desk needs.
    assert!(
        EscalationReason::MedicalEmergency
            .next_step()
            .contains("108")
    );
    assert!(
        EscalationReason::MedicalEmergency
            .next_step()
            .contains("duty doctor")
    );
    assert!(
        EscalationReason::SupervisorRequested
            .next_step()
            .contains("supervisor")
    );

    let json = serde_json::to_value(batches[1]).unwrap();
    assert_eq!(json["escalation"]["reason"], "medical_emergency");
    assert_eq!(json["sentiment"], "negative");
    let summary = r.assist.stop().await.unwrap();
    assert_eq!(summary.suggestions.len(), 3);
}
