//! `DispositionAPIV2`: setting a call's disposition (which ends the agent's ACW), and the
//! account's list of dispositions.
//!
//! `POST /ca_apis/DispositionAPIV2` with `action` `Set|get`, `userName`, `agentID`, `did`,
//! `ucid`, `disposition`, `comments`, `autoRelease`, `pauseAfterDispose`, `pauseReason`,
//! `callBackTime` (`YYYY-MM-DD HH:MM`). Ozonetel answers in `message` during the call
//! (`Disposition Queued Successfully`) and in `details` after it (`Disposition saved
//! successfully`); a second disposition is refused `This call is already Disposed.`, an
//! outcome here. A UCID of 20 or more characters is refused `Unable to Dispose . Please retry
//! after some time.` — not transient whatever it says, so it is checked before sending.

use chrono::NaiveDateTime;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{free_text, normalise, retype};
use crate::error::{Error, Result, quote};
use crate::ozonetel::agent::{Agent, AgentField, identifier};
use crate::ozonetel::client::Client;
use crate::ozonetel::envelope::text_of;
use crate::ozonetel::ids::{scalar_text, validate_ucid};
use crate::ozonetel::transport::{Request, Resend};

const PATH: &str = "/ca_apis/DispositionAPIV2";

/// Ozonetel refuses (as "retry later", wrongly) a UCID this long or longer.
const MAX_DISPOSE_UCID: usize = 19;

/// How `callBackTime` is written.
const CALLBACK_FORMAT: &str = "%Y-%m-%d %H:%M";

/// What to record for a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disposition {
    /// The disposition, one of the account's ([`Client::dispositions`]); required.
    pub code: String,
    /// The agent's comments, at most 1000 characters.
    pub comments: Option<String>,
    /// When to call back, in the account's local time (sent as `YYYY-MM-DD HH:MM`).
    pub callback_at: Option<NaiveDateTime>,
    /// Pause the agent after disposing, for this reason (`pauseAfterDispose` + `pauseReason`).
    pub pause_after: Option<String>,
    /// `autoRelease`: release the agent from ACW once disposed.
    pub auto_release: bool,
}

/// How a disposition ended. None of these is an error: each means the call is (or will be)
/// disposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DispositionOutcome {
    /// Set during the call; Ozonetel applies it when the call ends (`message`).
    Queued {
        /// Ozonetel's words.
        message: String,
    },
    /// Set after the call (`details`).
    Saved {
        /// Ozonetel's words.
        message: String,
    },
    /// The call already had a disposition (`This call is already Disposed.`).
    AlreadyDisposed {
        /// Ozonetel's words.
        message: String,
    },
}

impl Agent {
    /// Disposes the call `ucid` as `disposition`. Needs the agent's `did`.
    ///
    /// Checked before sending (`invalid_input`, nothing sent): the UCID (digits, fewer than
    /// 20 — Ozonetel refuses longer ones with a misleading "retry later"), the code
    /// (non-empty), the comments and pause reason. Ozonetel's `Invalid agent`, `Empty
    /// disposition code` and `Provide pause reason.` are `invalid_input` too. Not resent once
    /// it may have arrived.
    pub async fn dispose(
        &self,
        ucid: &str,
        disposition: Disposition,
    ) -> Result<DispositionOutcome> {
        let ucid = validate_ucid(ucid)?;
        if ucid.len() > MAX_DISPOSE_UCID {
            return Err(Error::invalid(format!(
                "ucid {} has {} digits; Ozonetel cannot dispose a UCID of 20 or more \
                 (it answers \"Unable to Dispose . Please retry after some time.\", which no \
                 retry fixes)",
                quote(&ucid),
                ucid.len()
            )));
        }
        let did = self.require(AgentField::Did, "a disposition")?;
        let code = identifier("disposition code", &disposition.code)?;
        let comments = match disposition.comments.as_deref() {
            Some(c) => free_text("comments", c)?,
            None => String::new(),
        };
        let pause_reason = match disposition.pause_after.as_deref() {
            Some(r) => Some(identifier("pause reason", r)?),
            None => None,
        };
        let mut fields = Map::new();
        fields.insert("action".into(), "Set".into());
        fields.insert("agentID".into(), self.id().into());
        fields.insert("did".into(), did.into());
        fields.insert("ucid".into(), ucid.clone().into());
        fields.insert("disposition".into(), code.into());
        fields.insert("comments".into(), comments.into());
        fields.insert(
            "autoRelease".into(),
            disposition.auto_release.to_string().into(),
        );
        fields.insert(
            "pauseAfterDispose".into(),
            pause_reason.is_some().to_string().into(),
        );
        if let Some(reason) = pause_reason {
            fields.insert("pauseReason".into(), reason.into());
        }
        if let Some(at) = disposition.callback_at {
            fields.insert(
                "callBackTime".into(),
                at.format(CALLBACK_FORMAT).to_string().into(),
            );
        }
        let client = self.client();
        let request = Request::json(
            client.user_name(),
            Method::POST,
            PATH,
            &fields,
            Resend::OnlyIfUnsent,
        )?;
        let what = format!("disposing call {ucid}");
        match client.execute(&request).await {
            Ok(object) => {
                let message = text_of(&object).unwrap_or_default();
                // During the call the text is in `message` and says "queued"; after, in
                // `details`.
                let queued = normalise(&message).contains("queued");
                Ok(if queued {
                    DispositionOutcome::Queued { message }
                } else {
                    DispositionOutcome::Saved { message }
                })
            }
            Err(Error::Api {
                message,
                http_status: None,
                ..
            }) if normalise(&message) == "this call is already disposed" => {
                Ok(DispositionOutcome::AlreadyDisposed { message })
            }
            Err(e) => Err(retype(e, &what)),
        }
    }
}

impl Client {
    /// The account's dispositions (`DispositionAPIV2`, `action=get`), as Ozonetel names them.
    pub async fn dispositions(&self) -> Result<Vec<String>> {
        let mut fields = Map::new();
        fields.insert("action".into(), "get".into());
        let request = Request::json(
            self.user_name(),
            Method::POST,
            PATH,
            &fields,
            Resend::Transient,
        )?;
        let object = self
            .execute(&request)
            .await
            .map_err(|e| retype(e, "listing the account's dispositions"))?;
        read_list(&object)
    }
}

/// The list in a `get` answer: an array under `details`, `message` or `data` (Ozonetel's
/// reference does not show it), of strings or of objects naming the disposition.
fn read_list(object: &Map<String, Value>) -> Result<Vec<String>> {
    let list = ["details", "message", "data", "dispositions"]
        .iter()
        .find_map(|key| match object.get(*key) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        })
        .ok_or_else(|| {
            Error::protocol(
                "DispositionAPIV2 (get) answered without a list of dispositions",
                &Value::Object(object.clone()).to_string(),
            )
        })?;
    Ok(list
        .iter()
        .filter_map(|item| match item {
            Value::Object(o) => ["disposition", "reason", "name", "Disposition"]
                .iter()
                .find_map(|k| o.get(*k).and_then(scalar_text)),
            other => scalar_text(other),
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}
