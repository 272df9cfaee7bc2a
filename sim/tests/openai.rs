//! The OpenAI chat-completions stand-in, over real HTTP.

use helix_engage_sim::{Account, Simulator};
use serde_json::{Value, json};

fn suggestion_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["suggestions"],
        "properties": {"suggestions": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["kind", "text"],
            "properties": {
                "kind": {"type": "string", "enum": ["answer", "question", "action"]},
                "text": {"type": "string"}
            }
        }}}
    })
}

fn request(stream: bool) -> Value {
    json!({
        "model": "gpt-4o-mini",
        "stream": stream,
        "messages": [
            {"role": "system", "content": "You help a contact-centre agent."},
            {"role": "user", "content": "Lead: Mr. Sharma, knee surgery enquiry.\nTranscript:\nAgent: Which branch would you prefer?\nCustomer: How much does it cost, and does my insurance cover it?"}
        ],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "suggestions", "strict": true, "schema": suggestion_schema()}}
    })
}

async fn post(sim: &Simulator, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(format!("{}/chat/completions", sim.openai_url()));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    req.json(body).send().await.expect("sent")
}

fn check_suggestions(content: &str) {
    let v: Value = serde_json::from_str(content).expect("content is JSON");
    let items = v["suggestions"].as_array().expect("suggestions array");
    assert!(!items.is_empty());
    for item in items {
        let obj = item.as_object().expect("object");
        assert_eq!(obj.len(), 2, "no extra properties");
        assert!(["answer", "question", "action"].contains(&obj["kind"].as_str().expect("kind")));
        assert!(obj["text"].is_string());
    }
    let all = items
        .iter()
        .map(|i| i["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" | ");
    assert!(all.contains("price"), "answers the cost question: {all}");
    assert!(
        all.contains("How much does it cost"),
        "quotes the last customer line: {all}"
    );
}

#[tokio::test]
async fn json_schema_answers_validate_and_follow_the_transcript() {
    let sim = Simulator::start().await.expect("sim");
    let resp = post(&sim, Some("sim-openai-key"), &request(false)).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-4o-mini");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    check_suggestions(
        v["choices"][0]["message"]["content"]
            .as_str()
            .expect("content"),
    );
    // Deterministic: the same prompt gives the same content.
    let again: Value = post(&sim, Some("sim-openai-key"), &request(false))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["choices"][0]["message"]["content"],
        v["choices"][0]["message"]["content"]
    );
    let recorded = sim.openai_requests();
    assert_eq!(recorded.len(), 2);
    let body = recorded[0].json().expect("json body");
    assert!(
        body["messages"][1]["content"]
            .as_str()
            .expect("prompt")
            .contains("insurance")
    );
    assert_eq!(
        recorded[0].header("authorization"),
        Some("Bearer sim-openai-key")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn streaming_sends_sse_chunks_ending_with_done() {
    let sim = Simulator::start().await.expect("sim");
    let resp = post(&sim, Some("sim-openai-key"), &request(true)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("text")
            .starts_with("text/event-stream")
    );
    let text = resp.text().await.expect("body");
    let data: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").expect("data line"))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"));
    let mut content = String::new();
    let mut finish = None;
    for d in &data[..data.len() - 1] {
        let chunk: Value = serde_json::from_str(d).expect("chunk json");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if let Some(c) = chunk["choices"][0]["delta"]["content"].as_str() {
            content.push_str(c);
        }
        if let Some(f) = chunk["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_string());
        }
    }
    assert_eq!(finish.as_deref(), Some("stop"));
    assert!(data.len() > 4, "content arrives in several chunks");
    check_suggestions(&content);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_keys_and_bad_requests_get_openai_errors() {
    let sim = Simulator::start().await.expect("sim");
    let missing = post(&sim, None, &request(false)).await;
    assert_eq!(missing.status(), 401);
    let v: Value = missing.json().await.expect("json");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let wrong = post(&sim, Some("sk-wrong-key-1234"), &request(false)).await;
    assert_eq!(wrong.status(), 401);
    let v: Value = wrong.json().await.expect("json");
    assert_eq!(v["error"]["code"], "invalid_api_key");
    assert!(
        !v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("sk-wrong-key-1234")
    );

    let mut empty = request(false);
    empty["messages"] = json!([]);
    let resp = post(&sim, Some("sim-openai-key"), &empty).await;
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["error"]["code"], "empty_array");

    let mut no_model = request(false);
    no_model.as_object_mut().expect("object").remove("model");
    assert_eq!(
        post(&sim, Some("sim-openai-key"), &no_model).await.status(),
        400
    );

    let mut bad_role = request(false);
    bad_role["messages"][0]["role"] = json!("robot");
    assert_eq!(
        post(&sim, Some("sim-openai-key"), &bad_role).await.status(),
        400
    );

    let mut loose = request(false);
    loose["response_format"]["json_schema"]["schema"]
        .as_object_mut()
        .expect("object")
        .remove("additionalProperties");
    let resp = post(&sim, Some("sim-openai-key"), &loose).await;
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.expect("json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("additionalProperties")
    );

    let not_json = reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.openai_url()))
        .bearer_auth("sim-openai-key")
        .body("{nope")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_json.status(), 400);
    sim.shutdown().await;
}

const SENTIMENTS: [&str; 4] = ["positive", "neutral", "negative", "angry"];

/// The live-suggestions schema as the library sends it (strict).
fn agent_suggestions_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["suggestions", "sentiment", "escalation"],
        "properties": {
            "suggestions": {"type": "array", "maxItems": 3, "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["kind", "text"],
                "properties": {
                    "kind": {"type": "string", "enum": ["answer", "question", "next_step", "objection", "compliance", "info"]},
                    "text": {"type": "string"}
                }
            }},
            "sentiment": {"type": "string", "enum": SENTIMENTS},
            "escalation": {"anyOf": [
                {"type": "object",
                 "properties": {
                    "reason": {"type": "string", "enum": ["supervisor_requested", "angry_customer", "medical_emergency"]},
                    "detail": {"type": "string"}},
                 "required": ["reason", "detail"],
                 "additionalProperties": false},
                {"type": "null"}
            ]}
        }
    })
}

/// The post-call schema as the library sends it (strict, camelCase); `dispositions` `None`
/// leaves the disposition without an enum.
fn call_summary_schema(dispositions: Option<&[&str]>) -> Value {
    let disposition = match dispositions {
        Some(d) => json!({"anyOf": [{"type": "string", "enum": d}, {"type": "null"}]}),
        None => json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["summary", "reason", "outcome", "followUps", "sentiment", "suggestedDisposition", "confidence"],
        "properties": {
            "summary": {"type": "string"},
            "reason": {"type": "string"},
            "outcome": {"type": "string", "enum": ["resolved", "follow_up", "escalated", "unresolved", "no_conversation"]},
            "followUps": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["what", "due"],
                "properties": {"what": {"type": "string"}, "due": {"type": ["string", "null"]}}
            }},
            "sentiment": {"type": "string", "enum": SENTIMENTS},
            "suggestedDisposition": disposition,
            "confidence": {"type": "number"}
        }
    })
}

/// Asks with schema `name` and a user message holding `transcript`; the parsed content.
async fn ask(sim: &Simulator, name: &str, schema: Value, transcript: &str) -> Value {
    let body = json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You assist a contact-center agent."},
            {"role": "user", "content": format!(
                "Lead context:\nName: Ravi\n\nRecent transcript (oldest first):\n{transcript}")}
        ],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": name, "strict": true, "schema": schema}}
    });
    let resp = post(sim, Some("sim-openai-key"), &body).await;
    assert_eq!(resp.status(), 200, "{transcript}");
    let v: Value = resp.json().await.expect("json");
    serde_json::from_str(
        v["choices"][0]["message"]["content"]
            .as_str()
            .expect("content"),
    )
    .expect("content is JSON")
}

/// The suggestions answer's shape (exact keys, enums); its (sentiment, escalation).
fn signals(v: &Value) -> (String, Value) {
    let obj = v.as_object().expect("object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["escalation", "sentiment", "suggestions"]);
    let items = v["suggestions"].as_array().expect("suggestions");
    assert!(!items.is_empty() && items.len() <= 3, "{v}");
    for item in items {
        assert_eq!(item.as_object().map(|o| o.len()), Some(2), "{item}");
        assert!(item["text"].is_string());
    }
    let e = &v["escalation"];
    if !e.is_null() {
        assert_eq!(e.as_object().map(|o| o.len()), Some(2), "{e}");
        assert!(e["detail"].is_string());
    }
    let sentiment = v["sentiment"].as_str().expect("sentiment").to_string();
    assert!(SENTIMENTS.contains(&sentiment.as_str()));
    (sentiment, e.clone())
}

#[tokio::test]
async fn agent_suggestions_carry_sentiment_and_escalation_by_priority() {
    let sim = Simulator::start().await.expect("sim");
    let schema = agent_suggestions_schema();
    // A medical emergency in Hinglish: flagged, quoted, and the first suggestion says what to do.
    let v = ask(
        &sim,
        "agent_suggestions",
        schema.clone(),
        "Agent: Namaste, Helix Hospital.\nCustomer: sir mujhe chest mein bahut dard ho raha hai",
    )
    .await;
    let (sentiment, escalation) = signals(&v);
    assert_eq!(sentiment, "neutral");
    assert_eq!(escalation["reason"], "medical_emergency");
    assert!(
        escalation["detail"]
            .as_str()
            .is_some_and(|d| d.contains("\"chest mein bahut dard\"")),
        "{escalation}"
    );
    assert_eq!(v["suggestions"][0]["kind"], "next_step");
    assert!(
        v["suggestions"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Ask the caller to dial 108")),
        "{v}"
    );
    // (customer line, reason, sentiment): medical > supervisor > angry.
    let cases = [
        (
            "this is ridiculous, get me a manager, my father is not breathing",
            json!("medical_emergency"),
            "angry",
        ),
        (
            "worst service ever, I want your supervisor",
            json!("supervisor_requested"),
            "angry",
        ),
        (
            "I want to file a complaint",
            json!("supervisor_requested"),
            "neutral",
        ),
        (
            "this is pathetic and useless",
            json!("angry_customer"),
            "angry",
        ),
        ("yeh kya bakwas hai", json!("angry_customer"), "angry"),
        (
            "mera beta behosh ho gaya",
            json!("medical_emergency"),
            "neutral",
        ),
        ("thank you, that was great", Value::Null, "positive"),
        ("dhanyavaad ji", Value::Null, "positive"),
        ("I am not happy with the bill", Value::Null, "negative"),
        ("main bahut pareshan hoon", Value::Null, "negative"),
        ("okay, which branch?", Value::Null, "neutral"),
    ];
    for (line, reason, sentiment) in cases {
        let v = ask(
            &sim,
            "agent_suggestions",
            schema.clone(),
            &format!("Agent: How can I help?\nCustomer: {line}"),
        )
        .await;
        let (got_sentiment, escalation) = signals(&v);
        let got_reason = if escalation.is_null() {
            Value::Null
        } else {
            escalation["reason"].clone()
        };
        assert_eq!(
            (got_reason, got_sentiment.as_str()),
            (reason, sentiment),
            "{line}"
        );
        if escalation["reason"] != "medical_emergency" {
            assert_ne!(
                v["suggestions"][0]["text"]
                    .as_str()
                    .map(|t| t.contains("108")),
                Some(true)
            );
        }
    }
    // The agent's words are not the customer's; a private marker is just a line.
    let v = ask(
        &sim,
        "agent_suggestions",
        schema.clone(),
        "Agent: Is this an emergency, or do you want a supervisor?\nCustomer: [private]\nCustomer: no, just a question",
    )
    .await;
    assert_eq!(signals(&v), ("neutral".to_string(), Value::Null));
    sim.shutdown().await;
}

/// The summary answer's shape (exact keys, enums).
fn check_summary(v: &Value) {
    let obj = v.as_object().expect("object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "confidence",
            "followUps",
            "outcome",
            "reason",
            "sentiment",
            "suggestedDisposition",
            "summary"
        ]
    );
    assert!(
        v["summary"]
            .as_str()
            .is_some_and(|s| s.chars().count() <= 200)
    );
    for f in v["followUps"].as_array().expect("followUps") {
        assert_eq!(f.as_object().map(|o| o.len()), Some(2), "{f}");
        assert!(f["what"].is_string() && (f["due"].is_string() || f["due"].is_null()));
    }
    assert!(v["confidence"].is_number());
}

#[tokio::test]
async fn call_summary_follows_the_transcript_and_the_disposition_list() {
    let sim = Simulator::start().await.expect("sim");
    // The default account's dispositions, as the disposition list call serves them.
    let dispositions = Account::token("x", "y").dispositions;
    let dispositions: Vec<&str> = dispositions.iter().map(String::as_str).collect();
    let schema = call_summary_schema(Some(&dispositions));
    // The Hinglish call: an appointment "kal subah", then chest pain (escalated).
    let hinglish = "Agent: Namaste, Helix Hospital se Priya baat kar rahi hoon.\n\
        Customer: Haan ji, mujhe Dr. Mehta ka appointment chahiye, kal subah.\n\
        Agent: Aapka policy number bata dijiye.\n\
        Customer: [private]\n\
        Agent: Thank you. Dr. Mehta kal subah das baje available hain.\n\
        Customer: Aur sir, mujhe chest mein bahut dard ho raha hai.\n\
        Agent: Main abhi aapko emergency team se connect karti hoon.";
    let v = ask(&sim, "call_summary", schema.clone(), hinglish).await;
    check_summary(&v);
    assert_eq!(
        v,
        json!({
            "summary": "The customer called and said: \"Haan ji, mujhe Dr. Mehta ka appointment chahiye, kal subah.\"",
            "reason": "Appointment request",
            "outcome": "escalated",
            "followUps": [{"what": "Call the customer back as agreed", "due": "kal subah"}],
            "sentiment": "neutral",
            // "appointment" is one of two words: a weak match (the first of the ties).
            "suggestedDisposition": "Appointment Booked",
            "confidence": 0.5
        })
    );
    // A callback promised: follow_up, due as said.
    let v = ask(
        &sim,
        "call_summary",
        schema.clone(),
        "Customer: Is my report ready?\nAgent: I will call you back tomorrow morning.\nCustomer: Okay, thanks.",
    )
    .await;
    check_summary(&v);
    assert_eq!(
        (
            &v["reason"],
            &v["outcome"],
            &v["followUps"],
            &v["sentiment"]
        ),
        (
            &json!("Medical report enquiry"),
            &json!("follow_up"),
            &json!([{"what": "Call the customer back as agreed", "due": "tomorrow morning"}]),
            &json!("positive")
        )
    );
    assert_eq!(
        (&v["suggestedDisposition"], &v["confidence"]),
        (&json!("Report Enquiry"), &json!(0.5))
    );
    // Resolved, every word of a disposition said: a strong match.
    let v = ask(
        &sim,
        "call_summary",
        schema.clone(),
        "Customer: I need an appointment with Dr. Rao.\nAgent: Your appointment is booked for Monday.\nCustomer: This is a problem, I wanted Sunday.",
    )
    .await;
    check_summary(&v);
    assert_eq!(
        (&v["outcome"], &v["followUps"], &v["sentiment"]),
        (&json!("resolved"), &json!([]), &json!("negative"))
    );
    assert_eq!(
        (&v["suggestedDisposition"], &v["confidence"]),
        (&json!("Appointment Booked"), &json!(0.9))
    );
    // An angry customer: escalated.
    let v = ask(
        &sim,
        "call_summary",
        schema.clone(),
        "Customer: My claim is still pending, this is ridiculous.",
    )
    .await;
    assert_eq!(
        (&v["reason"], &v["outcome"], &v["sentiment"]),
        (
            &json!("Insurance claim"),
            &json!("escalated"),
            &json!("angry")
        )
    );
    // Nobody answered: no conversation, nothing shared with a disposition.
    let v = ask(&sim, "call_summary", schema.clone(), "Agent: Hello? Hello?").await;
    check_summary(&v);
    assert_eq!(
        v,
        json!({
            "summary": "No conversation with the customer was transcribed.",
            "reason": "No conversation",
            "outcome": "no_conversation",
            "followUps": [],
            "sentiment": "neutral",
            "suggestedDisposition": null,
            "confidence": 0.0
        })
    );
    // Without a disposition enum there is nothing to suggest.
    let v = ask(
        &sim,
        "call_summary",
        call_summary_schema(None),
        "Customer: I need an appointment.",
    )
    .await;
    check_summary(&v);
    assert_eq!(
        (&v["suggestedDisposition"], &v["confidence"], &v["outcome"]),
        (&Value::Null, &json!(0.0), &json!("resolved"))
    );
    // A long first line is cut to 200 characters.
    let long = format!("Customer: {}", "appointment ".repeat(40));
    let v = ask(&sim, "call_summary", schema, &long).await;
    check_summary(&v);
    assert!(v["summary"].as_str().is_some_and(|s| s.ends_with("…\"")));
    sim.shutdown().await;
}

#[tokio::test]
async fn other_schema_names_are_answered_generically() {
    let sim = Simulator::start().await.expect("sim");
    // The same fields under another name get no sentiment rules: the generic enum pick.
    let v = ask(
        &sim,
        "something_else",
        agent_suggestions_schema(),
        "Customer: thank you, that was great",
    )
    .await;
    assert_eq!(
        v["sentiment"], "positive",
        "the generic generator's first enum value"
    );
    let v = ask(
        &sim,
        "something_else",
        agent_suggestions_schema(),
        "Customer: this is pathetic, my chest pain is bad",
    )
    .await;
    assert_ne!(v["escalation"]["reason"], "medical_emergency");
    assert_ne!(v["suggestions"][0]["kind"], "next_step");
    sim.shutdown().await;
}
