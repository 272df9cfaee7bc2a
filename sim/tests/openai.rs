//! The OpenAI chat-completions stand-in, over real HTTP.

use helix_engage_sim::Simulator;
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
