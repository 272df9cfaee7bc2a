//! The LLM adapter: one chat-completions request with a JSON schema (the live suggestions, or
//! the post-call summary of [`super::post_call`]), and the mapping of what can go wrong onto
//! [`Error`]. Retrying is not done here (async-openai's own retry loop is
//! switched off): the engine owns backoff, so a rate limit never turns into hidden retries.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequest, ResponseFormat,
    ResponseFormatJsonSchema,
};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::post_call::{self, PostCallConfig, PostCallSummary};
use super::{Escalation, Sentiment, Suggestion};
use crate::assist::config::{SuggestionConfig, USER_AGENT};
use crate::assist::lead::{LeadContext, truncate_chars};
use crate::assist::redact::Redactor;
use crate::assist::transcript::Speaker;
use crate::{Error, Result};

/// The built-in system prompt; [`SuggestionConfig::system_prompt`] replaces it.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You assist a contact-center agent during a live phone call. \
From the lead context and the recent transcript, give the agent at most a few short, concrete \
suggestions for what to say or do next: answers to the customer's questions, good questions to \
ask, next steps, how to handle objections, compliance reminders. Each suggestion is one or two \
sentences the agent can use right away. Do not repeat suggestions listed as already given. \
If there is nothing useful to add, return an empty list. Write suggestions in the language the \
AGENT speaks on this call: when the agent mixes Hindi and English, write Hinglish in Latin \
script. Also report two signals. sentiment: the CUSTOMER's current sentiment (positive, \
neutral, negative or angry), from their latest lines. escalation: null, unless the call needs \
escalating now — supervisor_requested when the customer asks for a supervisor or a manager, \
angry_customer when the customer is angry or abusive, medical_emergency when the customer \
describes a medical emergency (chest pain, trouble breathing, unconsciousness, heavy bleeding, \
signs of a stroke, a seizure) — with detail, one short sentence on what shows it. With an \
escalation, the first suggestion is a next_step telling the agent what to do now. Markers in \
square brackets ([card], [aadhaar], [phone], …) stand for details removed for privacy: never \
guess them.";

/// Name of the JSON schema sent as `response_format`.
pub(crate) const SCHEMA_NAME: &str = "agent_suggestions";

/// The JSON schema of an answer, strict:
/// `{"suggestions":[{"kind":…,"text":…}],"sentiment":…,"escalation":{"reason":…,"detail":…}|null}`.
pub(crate) fn schema(max_items: usize) -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "suggestions": {
                "type": "array",
                "maxItems": max_items,
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {
                            "type": "string",
                            "enum": ["answer", "question", "next_step", "objection", "compliance", "info"]
                        },
                        "text": { "type": "string" }
                    },
                    "required": ["kind", "text"],
                    "additionalProperties": false
                }
            },
            "sentiment": super::sentiment_schema(),
            "escalation": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {
                            "reason": {
                                "type": "string",
                                "enum": ["supervisor_requested", "angry_customer", "medical_emergency"]
                            },
                            "detail": { "type": "string" }
                        },
                        "required": ["reason", "detail"],
                        "additionalProperties": false
                    },
                    { "type": "null" }
                ]
            }
        },
        "required": ["suggestions", "sentiment", "escalation"],
        "additionalProperties": false
    })
}

/// The user message: lead context (redacted, never the phone), recent transcript (bounded,
/// newest kept; its lines are already redacted for the LLM), and the suggestions already given
/// so the model does not repeat them.
pub(crate) fn user_prompt(
    lead: Option<&LeadContext>,
    lines: &[(Speaker, String)],
    already_given: &[String],
    cfg: &SuggestionConfig,
    redactor: &Redactor,
) -> String {
    let mut out = String::new();
    if let Some(lead) = lead {
        let text = lead.for_prompt(cfg.max_lead_chars, redactor);
        if !text.is_empty() {
            out.push_str("Lead context:\n");
            out.push_str(&text);
            out.push_str("\n\n");
        }
    }
    // Newest lines first until the budget is spent, then back to spoken order.
    let mut kept = Vec::new();
    let mut used = 0;
    for (speaker, text) in lines.iter().rev() {
        let line = format!("{speaker}: {text}");
        let len = line.chars().count() + 1;
        if used + len > cfg.max_transcript_chars {
            if kept.is_empty() {
                // One very long line: keep its end, which is the most recent speech.
                let chars: Vec<char> = line.chars().collect();
                let start = chars.len().saturating_sub(cfg.max_transcript_chars);
                kept.push(chars[start..].iter().collect());
            }
            break;
        }
        used += len;
        kept.push(line);
    }
    kept.reverse();
    out.push_str("Recent transcript (oldest first):\n");
    out.push_str(&kept.join("\n"));
    if !already_given.is_empty() {
        out.push_str("\n\nSuggestions already given (do not repeat):\n");
        for s in already_given {
            out.push_str("- ");
            out.push_str(&truncate_chars(s, 300));
            out.push('\n');
        }
    }
    out
}

/// What one live answer holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LiveAnswer {
    pub items: Vec<Suggestion>,
    pub sentiment: Option<Sentiment>,
    pub escalation: Option<Escalation>,
}

/// The LLM's HTTP client, one per process as Ozonetel's is (`ozonetel::transport`): building
/// one loads the root certificates (tens of ms; ~100 ms in a debug build), which a session per
/// call paid per call, and the connection pool is shared by every session's requests. It
/// carries only the connect bound: each request is bounded where it is made (the engine's
/// `SuggestionConfig::timeout`, the post-call's `PostCallConfig::timeout`).
fn shared_http() -> Result<reqwest::Client> {
    static HTTP: crate::http::Shared = crate::http::Shared::new();
    crate::http::shared(&HTTP, USER_AGENT)
}

/// A chat-completions client for suggestions and the post-call summary: one connection pool
/// (the process's), so the summary at `stop` reuses the call's warm connection.
#[derive(Debug, Clone)]
pub(crate) struct SuggestionLlm {
    client: Client<OpenAIConfig>,
    model: String,
    system_prompt: String,
    max_items: usize,
    /// To scrub from every error: an endpoint's error page may echo the request's headers.
    api_key: secrecy::SecretString,
}

impl SuggestionLlm {
    pub fn new(cfg: &SuggestionConfig) -> Result<Self> {
        let config = OpenAIConfig::new()
            .with_api_key(cfg.api_key.expose_secret())
            .with_api_base(cfg.base_url.trim_end_matches('/'));
        let http = shared_http()?;
        // A zero elapsed-time budget turns async-openai's internal retry loop off. This is the
        // `backoff` crate's only use: async-openai 0.29 retries 429s and 5xx for up to 15
        // minutes by default, offers no other switch, and `with_backoff` takes this very type
        // (it does not re-export it). Our own waits follow `crate::backoff`.
        let no_retry = backoff::ExponentialBackoff {
            max_elapsed_time: Some(Duration::ZERO),
            ..Default::default()
        };
        // `Client::build`, not `with_config(..).with_http_client(..)`: `with_config` builds a
        // client of its own first (root certificates and all) only to have it replaced.
        let client = Client::build(http, config, no_retry);
        Ok(SuggestionLlm {
            client,
            model: cfg.model.trim().to_string(),
            system_prompt: cfg
                .system_prompt
                .clone()
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_SYSTEM_PROMPT.to_string()),
            max_items: cfg.max_items,
            api_key: cfg.api_key.clone(),
        })
    }

    /// The live suggestion request.
    pub fn request(&self, user: String) -> CreateChatCompletionRequest {
        self.chat_request(
            &self.system_prompt,
            user,
            SCHEMA_NAME,
            "Suggestions for the agent on a live call",
            schema(self.max_items),
        )
    }

    /// The post-call summary request.
    pub fn summary_request(
        &self,
        cfg: &PostCallConfig,
        user: String,
    ) -> CreateChatCompletionRequest {
        let system = cfg
            .system_prompt
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or(post_call::DEFAULT_POST_CALL_PROMPT);
        self.chat_request(
            system,
            user,
            post_call::SCHEMA_NAME,
            "The agent's after-call notes and a suggested disposition",
            post_call::schema(&cfg.dispositions),
        )
    }

    fn chat_request(
        &self,
        system: &str,
        user: String,
        name: &str,
        description: &str,
        schema: serde_json::Value,
    ) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: vec![
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                    content: system.into(),
                    name: None,
                }),
                ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                    content: user.into(),
                    name: None,
                }),
            ],
            response_format: Some(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: Some(description.into()),
                    name: name.into(),
                    schema: Some(schema),
                    strict: Some(true),
                },
            }),
            temperature: Some(0.3),
            ..Default::default()
        }
    }

    /// One live request; no retries.
    pub async fn suggest(&self, user: String) -> Result<LiveAnswer> {
        let answer = async {
            let content = self.complete(self.request(user)).await?;
            parse_content(&content)
        };
        let mut answer = answer.await.map_err(|e| self.scrub(e))?;
        answer.items.truncate(self.max_items);
        Ok(answer)
    }

    /// `error` without the API key (an echoing error page, an answer quoting the request)
    /// and bounded ([`Error::bounded`]): upstream text can be megabytes.
    fn scrub(&self, error: Error) -> Error {
        error.redact(self.api_key.expose_secret()).bounded()
    }

    /// One post-call request; no retries. The summary, and a warning when the model's
    /// disposition was dropped.
    pub async fn summarise(
        &self,
        cfg: &PostCallConfig,
        user: String,
    ) -> Result<(PostCallSummary, Option<String>)> {
        let summary = async {
            let content = self.complete(self.summary_request(cfg, user)).await?;
            post_call::parse(&content, cfg)
        };
        summary.await.map_err(|e| self.scrub(e))
    }

    /// Sends `request` and returns the answer's content.
    async fn complete(&self, request: CreateChatCompletionRequest) -> Result<String> {
        let response = self
            .client
            .chat()
            .create(request)
            .await
            .map_err(map_error)?;
        let Some(choice) = response.choices.into_iter().next() else {
            return Err(Error::protocol("the LLM answered with no choices", ""));
        };
        if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
            return Err(Error::Api {
                service: "openai",
                message: format!("the model refused: {refusal}"),
                http_status: None,
            });
        }
        Ok(choice.message.content.unwrap_or_default())
    }
}

/// The signals are read leniently: an endpoint that ignores the schema (or an older model
/// answer) may leave them out or send values this library does not know; the suggestions
/// still count.
#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    suggestions: Vec<Suggestion>,
    #[serde(default)]
    sentiment: Option<serde_json::Value>,
    #[serde(default)]
    escalation: Option<serde_json::Value>,
}

/// Reads the structured answer; blank items are dropped.
pub(crate) fn parse_content(content: &str) -> Result<LiveAnswer> {
    let payload: Payload = serde_json::from_str(content.trim()).map_err(|e| {
        Error::protocol(
            format!("the LLM answer does not match the suggestion schema: {e}"),
            content,
        )
    })?;
    let items = payload
        .suggestions
        .into_iter()
        .map(|s| Suggestion {
            kind: s.kind,
            text: s.text.trim().to_string(),
        })
        .filter(|s| !s.text.is_empty())
        .collect();
    let sentiment = payload
        .sentiment
        .and_then(|v| serde_json::from_value(v).ok());
    let escalation = payload
        .escalation
        .and_then(|v| serde_json::from_value::<Escalation>(v).ok())
        .map(|e| Escalation {
            reason: e.reason,
            detail: e.detail.trim().to_string(),
        });
    Ok(LiveAnswer {
        items,
        sentiment,
        escalation,
    })
}

/// async-openai folds HTTP statuses into its error type; recover what a caller acts on.
pub(crate) fn map_error(e: OpenAIError) -> Error {
    match e {
        OpenAIError::Reqwest(e) if e.is_timeout() => {
            Error::Timeout(format!("the LLM did not answer in time: {e}"))
        }
        OpenAIError::Reqwest(e) => Error::Transport(format!(
            "the LLM endpoint could not be reached: {}",
            e.without_url()
        )),
        OpenAIError::ApiError(api) => {
            let kind = api.r#type.as_deref().unwrap_or("");
            let code = api.code.as_deref().unwrap_or("");
            let message = crate::error::snippet(&api.message);
            if kind == "insufficient_quota" || code == "insufficient_quota" {
                Error::Api {
                    service: "openai",
                    message: format!("out of quota: {message}"),
                    http_status: Some(429),
                }
            } else if code == "rate_limit_exceeded"
                || matches!(kind, "requests" | "tokens" | "rate_limit_exceeded")
            {
                Error::RateLimited {
                    message: format!("openai: {message}"),
                    retry_after: None,
                }
            } else if code == "invalid_api_key" || kind == "authentication_error" {
                Error::auth("openai", format!("openai refused the API key: {message}"))
            } else {
                // 5xx bodies arrive here untyped; treat them as a transient upstream error.
                Error::Api {
                    service: "openai",
                    message,
                    http_status: None,
                }
            }
        }
        OpenAIError::JSONDeserialize(e) => Error::Protocol {
            message: format!(
                "the LLM endpoint answered something that is not a chat completion: {e}"
            ),
            snippet: String::new(),
        },
        other => Error::Api {
            service: "openai",
            message: other.to_string(),
            http_status: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::suggest::SuggestionKind;

    #[test]
    fn request_has_the_json_schema_shape() {
        let cfg = SuggestionConfig::new("sk-test").with_model("gpt-test");
        let llm = SuggestionLlm::new(&cfg).unwrap();
        let body = serde_json::to_value(llm.request("hello".into())).unwrap();
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["role"], "user");
        assert_eq!(body["messages"][1]["content"], "hello");
        let rf = &body["response_format"];
        assert_eq!(rf["type"], "json_schema");
        assert_eq!(rf["json_schema"]["name"], SCHEMA_NAME);
        assert_eq!(rf["json_schema"]["strict"], true);
        assert_eq!(
            rf["json_schema"]["schema"]["required"],
            serde_json::json!(["suggestions", "sentiment", "escalation"])
        );
        let escalation = &rf["json_schema"]["schema"]["properties"]["escalation"]["anyOf"];
        assert_eq!(
            escalation[0]["properties"]["reason"]["enum"],
            serde_json::json!([
                "supervisor_requested",
                "angry_customer",
                "medical_emergency"
            ])
        );
        assert_eq!(escalation[1]["type"], "null");
        assert!(!format!("{llm:?}").contains("sk-test"));
    }

    #[test]
    fn parses_structured_answers() {
        let answer = parse_content(r#"{"suggestions":[{"kind":"next_step","text":" Offer the 5-year plan. "},{"kind":"weird","text":"x"},{"kind":"answer","text":""}]}"#).unwrap();
        assert_eq!((answer.sentiment, answer.escalation), (None, None));
        let items = answer.items;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].kind, SuggestionKind::NextStep);
        assert_eq!(items[0].text, "Offer the 5-year plan.");
        assert_eq!(items[1].kind, SuggestionKind::Other);
        assert!(parse_content("Sure! Here are some ideas").is_err());

        let answer = parse_content(r#"{"suggestions":[],"sentiment":"angry","escalation":{"reason":"supervisor_requested","detail":" Wants a manager. "}}"#).unwrap();
        assert_eq!(answer.sentiment, Some(Sentiment::Angry));
        assert_eq!(
            answer.escalation,
            Some(Escalation {
                reason: super::super::EscalationReason::SupervisorRequested,
                detail: "Wants a manager.".into()
            })
        );
        // Unknown signal values are dropped, the suggestions kept.
        let answer = parse_content(r#"{"suggestions":[{"kind":"info","text":"x"}],"sentiment":"elated","escalation":{"reason":"bored","detail":""}}"#).unwrap();
        assert_eq!(
            (answer.items.len(), answer.sentiment, answer.escalation),
            (1, None, None)
        );
    }

    #[test]
    fn prompt_holds_lead_and_recent_transcript_within_budget() {
        let mut cfg = SuggestionConfig::new("k");
        cfg.max_transcript_chars = 40;
        let lead = LeadContext {
            name: Some("Asha".into()),
            phone: Some("9845012345".into()),
            ..Default::default()
        };
        let lines = vec![
            (Speaker::Agent, "an old line that will not fit".to_string()),
            (Speaker::Customer, "what is the EMI?".to_string()),
        ];
        let redactor = Redactor::new(&Default::default()).unwrap();
        let p = user_prompt(Some(&lead), &lines, &["Offer plan".into()], &cfg, &redactor);
        assert!(p.contains("Name: Asha"));
        assert!(!p.contains("9845012345"), "{p}");
        assert!(p.contains("Customer: what is the EMI?"));
        assert!(!p.contains("old line"));
        assert!(p.contains("- Offer plan"));
    }

    #[test]
    fn errors_are_mapped_to_what_callers_act_on() {
        use async_openai::error::ApiError;
        let api = |t: Option<&str>, c: Option<&str>| {
            OpenAIError::ApiError(ApiError {
                message: "m".into(),
                r#type: t.map(Into::into),
                param: None,
                code: c.map(Into::into),
            })
        };
        assert_eq!(
            map_error(api(Some("requests"), Some("rate_limit_exceeded"))).code(),
            crate::ErrorCode::RateLimited
        );
        assert_eq!(
            map_error(api(Some("invalid_request_error"), Some("invalid_api_key"))).code(),
            crate::ErrorCode::Auth
        );
        assert_eq!(map_error(api(None, None)).code(), crate::ErrorCode::Api);
    }
}
