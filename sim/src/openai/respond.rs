//! The answer on the wire: one `chat.completion` object, or with `stream: true` a
//! server-sent-event stream of `chat.completion.chunk`s (role, 16-character content pieces,
//! `finish_reason: stop`, usage when `stream_options.include_usage`, then `[DONE]`).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// What identifies one completion and what it cost.
pub(super) struct Completion {
    pub id: String,
    pub created: i64,
    pub model: String,
    pub content: String,
    /// Bytes of the request body (a token is counted as 4 bytes).
    pub request_bytes: usize,
}

impl Completion {
    fn usage(&self) -> Value {
        let prompt_tokens = self.request_bytes.div_ceil(4);
        let completion_tokens = self.content.len().div_ceil(4);
        json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
               "total_tokens": prompt_tokens + completion_tokens})
    }
}

/// The response the request asked for: streamed or whole.
pub(super) fn respond(req: &Map<String, Value>, completion: &Completion) -> Response {
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        return whole(completion);
    }
    let include_usage = req
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    streamed(completion, include_usage)
}

fn whole(c: &Completion) -> Response {
    axum::Json(json!({
        "id": c.id,
        "object": "chat.completion",
        "created": c.created,
        "model": c.model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": c.content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": c.usage(),
        "system_fingerprint": "fp_sim",
    }))
    .into_response()
}

fn streamed(c: &Completion, include_usage: bool) -> Response {
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": c.id, "object": "chat.completion.chunk", "created": c.created, "model": c.model,
            "system_fingerprint": "fp_sim",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    )];
    let chars: Vec<char> = c.content.chars().collect();
    for piece in chars.chunks(16) {
        let s: String = piece.iter().collect();
        events.push(chunk(json!({"content": s}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    if include_usage {
        events.push(json!({
            "id": c.id, "object": "chat.completion.chunk", "created": c.created, "model": c.model,
            "choices": [],
            "usage": c.usage(),
        }));
    }
    let mut body = String::new();
    for e in events {
        body.push_str("data: ");
        body.push_str(&e.to_string());
        body.push_str("\n\n");
    }
    body.push_str("data: [DONE]\n\n");
    (
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
