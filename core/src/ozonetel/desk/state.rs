//! `changeAgentState`: Ready and Pause, and force-ready (logout + login + Ready), the desk's
//! way out of a stuck ACW.
//!
//! `POST /ca_apis/changeAgentState` with `userName`, `agentId`, `state` (`Ready`|`Pause`),
//! `pauseReason` (with Pause), `phoneName`. Ozonetel documents it for offline agents and
//! refuses it while the agent is in ACW or BUSY. Its success `message` is a JSON object
//! written as a string (`{"type":"response","resp":"Success:tbAgentPause~INBOUND",
//! "agentStatus":"PAUSED",…}`), read here; its ACW/BUSY refusals spell the field `Message`.

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use super::login::LoginResponse;
use super::retype;
use crate::error::{Error, Result};
use crate::ozonetel::agent::{Agent, identifier};
use crate::ozonetel::envelope::require_status;
use crate::ozonetel::ids::scalar_text;
use crate::ozonetel::transport::{Request, Resend};

const PATH: &str = "/ca_apis/changeAgentState";

/// What Ozonetel said when it changed the agent's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStateResponse {
    /// The agent's state after the change, as Ozonetel spells it (`PAUSED`, `READY`, …);
    /// empty when the answer did not say.
    pub agent_status: String,
    /// Ozonetel's result text (`Success:tbAgentPause~INBOUND`), or its plain message.
    pub resp: String,
    /// The agent id Ozonetel echoed, when it did.
    pub agent_id: Option<String>,
    /// The other fields of the inner answer (`type`, `utid`, `user`, …), kept as sent.
    pub extra: Map<String, Value>,
}

/// What [`Agent::force_ready`] did, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceReady {
    /// The logout (`NotLoggedIn` when the agent was already out).
    pub logout: LoginResponse,
    /// The login that followed.
    pub login: LoginResponse,
    /// The Ready that followed the login.
    pub ready: AgentStateResponse,
}

/// Reads changeAgentState's success: the `message` string holds the real answer as JSON.
fn read_success(object: Map<String, Value>) -> Result<AgentStateResponse> {
    let message = object.get("message").or_else(|| object.get("Message"));
    let inner = match message {
        Some(Value::String(text)) if text.trim_start().starts_with('{') => {
            serde_json::from_str::<Map<String, Value>>(text.trim()).map_err(|e| {
                Error::protocol(
                    format!("changeAgentState's message is not the JSON it should be: {e}"),
                    text,
                )
            })?
        }
        Some(Value::Object(inner)) => inner.clone(),
        Some(other) => {
            let mut inner = Map::new();
            inner.insert("resp".into(), other.clone());
            inner
        }
        None => Map::new(),
    };
    let mut inner = inner;
    let text = |inner: &mut Map<String, Value>, key: &str| {
        inner
            .remove(key)
            .as_ref()
            .and_then(scalar_text)
            .unwrap_or_default()
    };
    let resp = text(&mut inner, "resp");
    // The inner answer has its own verdict: "Success:…" or, by the same pattern, an error.
    let verdict = resp.split(':').next().unwrap_or_default().trim();
    if ["error", "fail", "failure", "false"]
        .iter()
        .any(|f| verdict.eq_ignore_ascii_case(f))
    {
        return Err(Error::Api {
            service: "ozonetel",
            message: resp,
            http_status: None,
        });
    }
    let agent_status = text(&mut inner, "agentStatus");
    let agent_id = Some(text(&mut inner, "agentId")).filter(|a| !a.is_empty());
    Ok(AgentStateResponse {
        agent_status,
        resp,
        agent_id,
        extra: inner,
    })
}

impl Agent {
    /// Makes the agent Ready. Errors: `agent_state` ([`crate::AgentRefusal::NotLoggedIn`],
    /// [`InAcw`](crate::AgentRefusal::InAcw), [`Busy`](crate::AgentRefusal::Busy)) — a UI
    /// switches on [`Error::agent_refusal`]; out of ACW, dispose the call or
    /// [`force_ready`](Self::force_ready).
    pub async fn set_ready(&self) -> Result<AgentStateResponse> {
        self.change_state("Ready", None).await
    }

    /// Pauses the agent for `reason` (one of the account's pause reasons). Errors as for
    /// [`set_ready`](Self::set_ready), and `invalid_input` for an empty reason (nothing sent)
    /// or one Ozonetel does not know (`pauseReason is Invalid`).
    pub async fn pause(&self, reason: &str) -> Result<AgentStateResponse> {
        let reason = identifier("pause reason", reason)?;
        self.change_state("Pause", Some(reason)).await
    }

    /// The desk's way out of a stuck ACW (or any state Ready refuses): logs the agent out
    /// (an agent already out is fine), logs it in again with its `number`, then makes it
    /// Ready — a fresh login may leave the agent paused. Needs the agent's password (as for
    /// [`login`](Self::login)) and `number`. Each step's error is returned with the step
    /// named; a failure after the logout leaves the agent logged out.
    pub async fn force_ready(&self, password: &str) -> Result<ForceReady> {
        // Check what the login needs before the logout, so a missing number cannot leave the
        // agent logged out.
        self.require(crate::ozonetel::agent::AgentField::Number, "force_ready")?;
        let logout = self.logout(password).await?;
        let login = self
            .login(password)
            .await
            .map_err(|e| e.context("force_ready: logged out, but the login failed"))?;
        let ready = self
            .set_ready()
            .await
            .map_err(|e| e.context("force_ready: logged in again, but Ready failed"))?;
        Ok(ForceReady {
            logout,
            login,
            ready,
        })
    }

    async fn change_state(
        &self,
        state: &str,
        reason: Option<String>,
    ) -> Result<AgentStateResponse> {
        let mut fields = Map::new();
        fields.insert("agentId".into(), self.id().into());
        fields.insert("state".into(), state.into());
        if let Some(reason) = reason {
            fields.insert("pauseReason".into(), reason.into());
        }
        if let Some(phone_name) = self.phone_name() {
            fields.insert("phoneName".into(), phone_name.into());
        }
        let client = self.client();
        // Asking for the state the agent is in leaves it there: safe to resend.
        let request = Request::json(
            client.user_name(),
            Method::POST,
            PATH,
            &fields,
            Resend::Transient,
        )?;
        let what = format!(
            "changing agent {} to {state}",
            crate::error::quote(self.id())
        );
        let object = client
            .execute(&request)
            .await
            .and_then(|object| require_status(object, "changeAgentState"))
            .map_err(|e| retype(e, &what))?;
        read_success(object).map_err(|e| retype(e, &what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_success_is_read() {
        let object: Map<String, Value> = serde_json::from_str(
            r#"{"status":"success","message":"{\"type\":\"response\",\"utid\":\"22\",\"resp\":\"Success:tbAgentPause~INBOUND\",\"agentStatus\":\"PAUSED\",\"agentId\":\"asha\",\"user\":\"acme\"}"}"#,
        )
        .unwrap();
        let r = read_success(object).unwrap();
        assert_eq!(r.agent_status, "PAUSED");
        assert_eq!(r.resp, "Success:tbAgentPause~INBOUND");
        assert_eq!(r.agent_id.as_deref(), Some("asha"));
        assert_eq!(r.extra["utid"], "22");
    }
}
