//! A hostile OpenAI: the first suggestion request of a call is answered with garbage, the
//! wrong content type, a 50 MB body, a body that trickles past the timeout, a completion whose
//! JSON has the wrong types, deep nesting, duplicate keys, megabyte strings, or 429/500 with
//! odd `Retry-After` values. Each is a bounded `SuggestionFailed` warning (or, where the
//! answer is still readable, suggestions); the transcript never waits or loses a word, and
//! later requests bring suggestions again.

mod assist_events;
mod assist_support;
mod common;

use std::time::Duration;

use assist_events::assert_messages_bounded;
use assist_support::{FakeDeepgram, Script, config, script_audio};
use common::raw_http::{Reply, raw_server};
use futures::future::join_all;
use helix_engage::assist::{AssistEvent, LiveAssist, SuggestionConfig, WarningKind};

const LLM_KEY: &str = "sk-hostile-CANARY-42";

// The fake recogniser's words: the customer asks "What EMI?" (a turn end), the agent answers.
const WHAT: u16 = 1;
const EMI_Q: u16 = 2;
const AGENT_WORD: u16 = 3;

fn question() -> Vec<u8> {
    script_audio(&[vec![0, WHAT], vec![0, EMI_Q], vec![AGENT_WORD, 0]])
}

fn http(status: &str, headers: &str, body: &[u8]) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    Reply::Raw(out)
}

fn json(status: &str, body: &str) -> Reply {
    http(
        status,
        "content-type: application/json\r\n",
        body.as_bytes(),
    )
}

/// A chat completion whose message content is `content` (already a JSON string's text).
fn completion(content: &str) -> String {
    serde_json::json!({
        "id": "c", "object": "chat.completion", "created": 1, "model": "fake",
        "choices": [{ "index": 0, "finish_reason": "stop",
            "message": { "role": "assistant", "content": content } }]
    })
    .to_string()
}

fn good() -> Reply {
    json(
        "200 OK",
        &completion(r#"{"suggestions":[{"kind":"answer","text":"Quote the 20 year EMI."}]}"#),
    )
}

fn deep(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Whether the hostile answer must fail the request, or may also be read.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    Fails,
    Either,
}

fn cases() -> Vec<(&'static str, Reply, Expect)> {
    use Expect::{Either, Fails};
    let mb3 = "m".repeat(3 << 20);
    vec![
        (
            "garbage",
            http("200 OK", "content-type: text/plain\r\n", b"garbage {{{"),
            Fails,
        ),
        (
            "HTML",
            http(
                "200 OK",
                "content-type: text/html\r\n",
                b"<html><body>502 Bad Gateway</body></html>",
            ),
            Fails,
        ),
        (
            "a completion labelled text/html",
            http(
                "200 OK",
                "content-type: text/html\r\n",
                completion(r#"{"suggestions":[]}"#).as_bytes(),
            ),
            Either,
        ),
        (
            "a completion without a content type",
            http("200 OK", "", completion(r#"{"suggestions":[]}"#).as_bytes()),
            Either,
        ),
        (
            "a 50 MB body",
            Reply::Repeat {
                head: format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    50 << 20
                ),
                piece: vec![b' '; 64 * 1024],
                total: 50 << 20,
            },
            Fails,
        ),
        (
            "a body that trickles past the timeout",
            Reply::Trickle {
                head: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n"
                    .into(),
                body: completion("{}").into_bytes(),
                every: Duration::from_millis(30),
            },
            Fails,
        ),
        (
            "a body shorter than its length",
            Reply::Raw(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 900\r\nconnection: close\r\n\r\n{\"choices\":[".to_vec(),
            ),
            Fails,
        ),
        (
            "an answer of the wrong types",
            json(
                "200 OK",
                &completion(
                    r#"{"suggestions":[{"kind":7,"text":["x"]}],"sentiment":5,"escalation":"yes"}"#,
                ),
            ),
            Fails,
        ),
        (
            "an answer that is prose",
            json("200 OK", &completion("I think the agent should smile.")),
            Fails,
        ),
        (
            "an answer nested 100 000 deep",
            json("200 OK", &completion(&deep(100_000))),
            Fails,
        ),
        (
            "a body nested 100 000 deep",
            json("200 OK", &format!(r#"{{"choices":{}}}"#, deep(100_000))),
            Fails,
        ),
        (
            "duplicate keys in the body",
            json(
                "200 OK",
                &format!(
                    r#"{{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[],"choices":{}}}"#,
                    serde_json::from_str::<serde_json::Value>(&completion(
                        r#"{"suggestions":[{"kind":"answer","text":"Dup."}]}"#
                    ))
                    .unwrap()["choices"]
                ),
            ),
            Either,
        ),
        (
            "duplicate keys in the answer",
            json(
                "200 OK",
                &completion(
                    r#"{"suggestions":[],"suggestions":[{"kind":"answer","text":"Dup."}],"sentiment":"calm","sentiment":9}"#,
                ),
            ),
            Either,
        ),
        (
            "a 3 MB string where the choices go",
            json("200 OK", &format!(r#"{{"choices":"{mb3}"}}"#)),
            Fails,
        ),
        (
            "a 3 MB string where the suggestions go",
            json(
                "200 OK",
                &completion(&format!(r#"{{"suggestions":"{mb3}"}}"#)),
            ),
            Fails,
        ),
        (
            "a 3 MB refusal",
            json(
                "200 OK",
                &serde_json::json!({"id":"c","object":"chat.completion","created":1,"model":"m",
                    "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":mb3}}]})
                .to_string(),
            ),
            Fails,
        ),
        (
            "no choices",
            json(
                "200 OK",
                r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[]}"#,
            ),
            Fails,
        ),
        (
            "an index of 1e400 and -1 tokens",
            json(
                "200 OK",
                r#"{"id":"c","object":"chat.completion","created":1e400,"model":"m","choices":[{"index":-1}],"usage":{"prompt_tokens":-1}}"#,
            ),
            Fails,
        ),
        (
            "429 with a huge Retry-After",
            http(
                "429 Too Many Requests",
                "content-type: application/json\r\nretry-after: 99999999999999999999999999\r\n",
                br#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
            ),
            Fails,
        ),
        (
            "429 with a negative Retry-After",
            http(
                "429 Too Many Requests",
                "content-type: application/json\r\nretry-after: -30\r\n",
                br#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
            ),
            Fails,
        ),
        (
            "429 with a Retry-After that is not a number",
            http(
                "429 Too Many Requests",
                "retry-after: soon, maybe\r\n",
                b"too many",
            ),
            Fails,
        ),
        (
            "500 with a 10 MB page and Retry-After 1e400",
            http(
                "500 Internal Server Error",
                "content-type: text/html\r\nretry-after: 1e400\r\n",
                format!("<html>{LLM_KEY}{}</html>", "z".repeat(10 << 20)).as_bytes(),
            ),
            Fails,
        ),
        (
            "500 with a 3 MB error message",
            json(
                "500 Internal Server Error",
                &serde_json::json!({"error":{"message": format!("{LLM_KEY} {mb3}"),"type":"server_error","code":null}}).to_string(),
            ),
            Fails,
        ),
    ]
}

/// A call whose first suggestion request gets `hostile`, every later one a good answer.
async fn run(name: &'static str, hostile: Reply, expect: Expect) {
    let dg = FakeDeepgram::start(Script {
        vocab: ["", "What", "EMI?", "certainly"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Default::default()
    })
    .await;
    let (url, seen) = raw_server(move |n, _| if n == 0 { hostile.clone() } else { good() }).await;
    let mut cfg = config(&dg.url, 2);
    let mut s = SuggestionConfig::new(LLM_KEY).with_base_url(format!("{url}/v1"));
    s.interval = Duration::from_secs(30);
    s.min_gap = Duration::from_millis(50);
    // The slow-body case ends here.
    s.timeout = Duration::from_millis(700);
    s.backoff_initial = Duration::from_millis(50);
    s.backoff_max = Duration::from_millis(100);
    cfg.suggestions = Some(s);
    let (assist, mut events) = LiveAssist::start(cfg).await.unwrap();
    let mut all = Vec::new();
    for _ in 0..4 {
        assist.send_audio(question()).unwrap();
        let until = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(ev)) = tokio::time::timeout_at(until, events.recv()).await {
            all.push(ev);
        }
    }
    let summary = assist.stop().await.unwrap();
    while let Ok(ev) = events.try_recv() {
        all.push(ev);
    }
    assert!(
        common::raw_http::requests_to(&seen, "/v1/chat/completions") >= 2,
        "{name}: suggestions were not asked for again"
    );
    let failed = all
        .iter()
        .filter(|e| matches!(e, AssistEvent::Warning(w) if w.kind == WarningKind::SuggestionFailed))
        .count();
    if expect == Expect::Fails {
        assert!(failed >= 1, "{name}: no SuggestionFailed in {all:?}");
    }
    assert_messages_bounded(&all, LLM_KEY, name);
    assert!(
        all.iter().any(|e| matches!(e, AssistEvent::Suggestion(_))),
        "{name}: suggestions never resumed"
    );
    // Every word of every question, in order, whatever the LLM did.
    assert_eq!(summary.transcript.segments.len(), 12, "{name}");
    assert!(summary.error.is_none(), "{name}: {:?}", summary.error);
}

#[tokio::test]
async fn every_hostile_llm_answer_is_a_bounded_warning_and_the_call_goes_on() {
    join_all(
        cases()
            .into_iter()
            .map(|(name, reply, expect)| run(name, reply, expect)),
    )
    .await;
}
