//! Manual dials: `AgentManualDial` (the agent is logged in and Ready in manual or blended
//! mode) and `PhoneManualDial` (offline agents: Ozonetel rings the agent's phone, then the
//! customer).
//!
//! Neither is ever resent once it may have reached Ozonetel: a second attempt would ring the
//! customer twice.

use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{free_text, retype};
use crate::error::{Error, Result};
use crate::ozonetel::agent::{Agent, AgentField, identifier};
use crate::ozonetel::envelope::text_of;
use crate::ozonetel::ids::scalar_text;
use crate::ozonetel::phone::normalize_phone;
use crate::ozonetel::transport::{Request, Resend};

const AGENT_DIAL_PATH: &str = "/ca_apis/AgentManualDial";
const PHONE_DIAL_PATH: &str = "/ca_apis/PhoneManualDial";

/// Longest `callLimit` accepted: a day. Ozonetel takes seconds; more is a unit mistake.
const MAX_CALL_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// Options of [`Agent::dial`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialOptions {
    /// Application data carried into the call's report (`uui`), at most 1000 characters.
    pub uui: Option<String>,
    /// The campaign to dial on, instead of the agent's own (`AgentRef::campaign`).
    pub campaign: Option<String>,
}

/// Options of [`Agent::phone_dial`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneDialOptions {
    /// The longest the call may talk (`callLimit`, whole seconds, 1 s to 24 h).
    pub call_limit: Option<Duration>,
    /// `checkStatus`: `true` withholds the call while the agent is busy; `false` dials
    /// regardless. Ozonetel's default when absent.
    pub check_status: Option<bool>,
    /// The campaign (`campaignName`), whose fallback DIDs Ozonetel may use; the agent's own
    /// campaign when `None` and the agent has one.
    pub campaign: Option<String>,
    /// Application data carried into the call's report (`uui`).
    pub uui: Option<String>,
}

/// A dial Ozonetel queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dial {
    /// The new call's UCID (the one call control, disposition and the CDR's `UCID` use).
    /// `None` only when Ozonetel queued the call without naming it — the call may be ringing,
    /// so do not dial again to get one.
    pub ucid: Option<String>,
    /// Ozonetel's status (`queued successfully`, `queued`).
    pub status: String,
    /// Ozonetel's message, when it sent one beside the UCID (`PhoneManualDial`'s
    /// `Online agent logged in with same phone number`, queued anyway).
    pub message: String,
}

fn customer(agent: &Agent, number: &str) -> Result<String> {
    normalize_phone(number, agent.client().region()).map_err(|e| e.context("customer number"))
}

fn option_text(field: &str, value: Option<&String>) -> Result<Option<String>> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        Some(v) => free_text(field, v).map(Some),
        None => Ok(None),
    }
}

fn option_identifier(field: &str, value: Option<&String>) -> Result<Option<String>> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        Some(v) => identifier(field, v).map(Some),
        None => Ok(None),
    }
}

/// A digits-only text: what a UCID in `message` looks like.
fn is_ucid(text: &str) -> bool {
    !text.is_empty() && text.len() <= 32 && text.bytes().all(|b| b.is_ascii_digit())
}

impl Agent {
    /// Dials `customer_number` from the agent's toolbar (`AgentManualDial`) on the agent's
    /// campaign (or `options.campaign`), asking for the call's UCID (`UCID: "true"`).
    ///
    /// The agent must be logged in and Ready in manual or blended mode: otherwise
    /// `agent_state` with [`crate::AgentRefusal::NotAvailable`] (Ozonetel does not say which).
    /// `Campaign is invalid` and `All parameters are mandatory` are `invalid_input`. The number
    /// is normalised for the account's region; nothing is sent when it cannot be, or when the
    /// agent has no campaign and none is given. Never resent once it may have arrived.
    pub async fn dial(&self, customer_number: &str, options: DialOptions) -> Result<Dial> {
        let number = customer(self, customer_number)?;
        let campaign = match option_identifier("campaign", options.campaign.as_ref())? {
            Some(c) => c,
            None => self
                .require(AgentField::Campaign, "a manual dial")?
                .to_string(),
        };
        let uui = option_text("uui", options.uui.as_ref())?;
        let mut fields = Map::new();
        fields.insert("agentID".into(), self.id().into());
        fields.insert("campaignName".into(), campaign.into());
        fields.insert("customerNumber".into(), number.into());
        fields.insert("UCID".into(), "true".into());
        if let Some(uui) = uui {
            fields.insert("uui".into(), uui.into());
        }
        self.send_dial(AGENT_DIAL_PATH, fields, "a manual dial")
            .await
    }

    /// Dials `customer_number` for an offline agent (`PhoneManualDial`): Ozonetel calls the
    /// agent's phone (`phoneName`), then the customer, from the agent's `did`. The UCID comes
    /// back in `message`. Needs the agent's `phone_name` and `did`. Errors as for
    /// [`dial`](Self::dial); `Phone name not found.` is `invalid_input`; `Online agent logged
    /// in with same phone number` (refused) is `agent_state`
    /// ([`crate::AgentRefusal::NumberInUse`]). Never resent once it may have arrived.
    pub async fn phone_dial(
        &self,
        customer_number: &str,
        options: PhoneDialOptions,
    ) -> Result<Dial> {
        let number = customer(self, customer_number)?;
        let phone_name = self.require(AgentField::PhoneName, "a phone dial")?;
        let did = self.require(AgentField::Did, "a phone dial")?;
        let campaign = match option_identifier("campaign", options.campaign.as_ref())? {
            Some(c) => Some(c),
            None => self.campaign().map(str::to_string),
        };
        let uui = option_text("uui", options.uui.as_ref())?;
        let call_limit = match options.call_limit {
            Some(limit) if limit.as_secs() == 0 || limit > MAX_CALL_LIMIT => {
                return Err(Error::invalid(format!(
                    "call_limit must be 1 s to 24 h, not {} ms",
                    limit.as_millis()
                )));
            }
            Some(limit) => Some(limit.as_secs()),
            None => None,
        };
        let mut fields = Map::new();
        fields.insert("custNumber".into(), number.into());
        fields.insert("phoneName".into(), phone_name.into());
        fields.insert("did".into(), did.into());
        if let Some(campaign) = campaign {
            fields.insert("campaignName".into(), campaign.into());
        }
        if let Some(uui) = uui {
            fields.insert("uui".into(), uui.into());
        }
        if let Some(seconds) = call_limit {
            fields.insert("callLimit".into(), seconds.into());
        }
        if let Some(check) = options.check_status {
            fields.insert("checkStatus".into(), check.into());
        }
        self.send_dial(PHONE_DIAL_PATH, fields, "a phone dial")
            .await
    }

    async fn send_dial(
        &self,
        path: &'static str,
        fields: Map<String, Value>,
        what: &str,
    ) -> Result<Dial> {
        let client = self.client();
        let request = Request::json(
            client.user_name(),
            Method::POST,
            path,
            &fields,
            Resend::OnlyIfUnsent,
        )?;
        let what = format!("{what} by agent {}", crate::error::quote(self.id()));
        let object = client
            .execute(&request)
            .await
            .map_err(|e| retype(e, &what))?;
        let status = object
            .get("status")
            .and_then(scalar_text)
            .unwrap_or_default();
        let message = text_of(&object).unwrap_or_default();
        let ucid = object
            .get("ucid")
            .and_then(scalar_text)
            .map(|u| u.trim().to_string())
            .filter(|u| is_ucid(u))
            .or_else(|| Some(message.clone()).filter(|m| is_ucid(m)));
        Ok(Dial {
            message: if ucid.as_deref() == Some(message.as_str()) {
                String::new()
            } else {
                message
            },
            ucid,
            status,
        })
    }
}
