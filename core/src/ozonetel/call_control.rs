//! `CallControl_V4`: CONFERENCE, HOLD, UNHOLD, MUTE, UNMUTE, KICK_CALL.

use reqwest::Method;
use serde::Serialize;

use super::agent::{Agent, AgentField};
use super::envelope;
use super::ids::{checked_ucid, into_scalar_text};
use super::phone::normalize_phone;
use super::transport::{Request, Resend};
use crate::error::{Error, Result};

const PATH: &str = "/ca_apis/CallControl_V4";

/// An action `CallControl_V4` applies to a live call. There is no TRANSFER action: see
/// [`Agent::transfer`](super::Agent::transfer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallAction {
    /// Dial a third party into the call (needs a number).
    Conference,
    /// Put a party (default: the customer) on hold.
    Hold,
    /// Take a party off hold.
    Unhold,
    /// Mute a party.
    Mute,
    /// Unmute a party.
    Unmute,
    /// Drop the party whose number is given (needs a number).
    KickCall,
}

impl CallAction {
    /// The wire name (`CONFERENCE`, `HOLD`, ..., `KICK_CALL`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallAction::Conference => "CONFERENCE",
            CallAction::Hold => "HOLD",
            CallAction::Unhold => "UNHOLD",
            CallAction::Mute => "MUTE",
            CallAction::Unmute => "UNMUTE",
            CallAction::KickCall => "KICK_CALL",
        }
    }

    /// Whether the action names a party by number and cannot go without one.
    pub fn requires_number(self) -> bool {
        matches!(self, CallAction::Conference | CallAction::KickCall)
    }

    /// Parses a wire name, case-insensitively (`"hold"`, `"KICK_CALL"`, `"drop"`).
    pub fn parse(name: &str) -> Result<CallAction> {
        Ok(match name.trim().to_ascii_uppercase().as_str() {
            "CONFERENCE" => CallAction::Conference,
            "HOLD" => CallAction::Hold,
            "UNHOLD" => CallAction::Unhold,
            "MUTE" => CallAction::Mute,
            "UNMUTE" => CallAction::Unmute,
            "KICK_CALL" | "KICKCALL" | "KICK" | "DROP" => CallAction::KickCall,
            _ => {
                return Err(Error::invalid(format!(
                    "unknown call action {}; use CONFERENCE, HOLD, UNHOLD, MUTE, UNMUTE or KICK_CALL",
                    crate::error::quote(name)
                )));
            }
        })
    }
}

impl std::fmt::Display for CallAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Ozonetel said when it accepted a call-control action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallControlResponse {
    /// The action that was applied.
    pub action: CallAction,
    /// Ozonetel's status text (`Success`).
    pub status: String,
    /// Ozonetel's message (`dialing`, `User hold is successful`, ...).
    pub message: String,
    /// The UCID Ozonetel echoed, when it did.
    pub ucid: Option<String>,
}

/// `CallControl_V4`'s body after `userName`, borrowed from the call's arguments and the agent
/// (a `serde_json::Map` here cost five key and five value copies and a tree per request).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fields<'a> {
    action: &'static str,
    ucid: &'a str,
    conference_number: &'a str,
    did: &'a str,
    agent_phone_name: &'a str,
}

impl Agent {
    /// Applies `action` to the call `ucid`.
    ///
    /// `number` names the party: required for CONFERENCE (who to add) and KICK_CALL (who to
    /// drop), optional for HOLD/UNHOLD/MUTE/UNMUTE. It is normalised for the account's region;
    /// an input that cannot be is an `invalid_input` error and nothing is sent. CONFERENCE and
    /// KICK_CALL are never resent once the request may have reached Ozonetel.
    pub async fn call_control(
        &self,
        action: CallAction,
        ucid: &str,
        number: Option<&str>,
    ) -> Result<CallControlResponse> {
        let ucid = checked_ucid(ucid)?;
        let number = match number.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => normalize_phone(n, self.client().region())?,
            None if action.requires_number() => {
                return Err(Error::invalid(format!(
                    "{action} needs a phone number (conferenceNumber)"
                )));
            }
            None => String::new(),
        };
        let did = self.require(AgentField::Did, "call control")?;
        let agent_phone_name = self.require(AgentField::PhoneName, "call control")?;

        let fields = Fields {
            action: action.as_str(),
            ucid,
            conference_number: &number,
            did,
            agent_phone_name,
        };
        let resend = if action.requires_number() {
            Resend::OnlyIfUnsent
        } else {
            // Setting hold or mute twice leaves the call as asked.
            Resend::Transient
        };
        let client = self.client();
        let request = Request::json(client.user_name(), Method::POST, PATH, &fields, resend)?;
        let mut object = client
            .execute(&request)
            .await
            .and_then(|object| envelope::require_status(object, "CallControl_V4"))
            .map_err(|e| e.context(&format!("{action} on call {ucid}")))?;
        let mut take = |key: &str| object.remove(key).and_then(into_scalar_text);
        Ok(CallControlResponse {
            action,
            status: take("status").unwrap_or_default(),
            message: take("message").unwrap_or_default(),
            ucid: take("ucid").filter(|u| !u.is_empty()),
        })
    }

    /// Dials `number` into the call (CONFERENCE).
    pub async fn conference(&self, ucid: &str, number: &str) -> Result<CallControlResponse> {
        self.call_control(CallAction::Conference, ucid, Some(number))
            .await
    }

    /// Drops the party `number` from the call (KICK_CALL).
    pub async fn kick(&self, ucid: &str, number: &str) -> Result<CallControlResponse> {
        self.call_control(CallAction::KickCall, ucid, Some(number))
            .await
    }

    /// Puts the customer on hold.
    pub async fn hold(&self, ucid: &str) -> Result<CallControlResponse> {
        self.call_control(CallAction::Hold, ucid, None).await
    }

    /// Takes the customer off hold.
    pub async fn unhold(&self, ucid: &str) -> Result<CallControlResponse> {
        self.call_control(CallAction::Unhold, ucid, None).await
    }

    /// Mutes the customer's leg.
    pub async fn mute(&self, ucid: &str) -> Result<CallControlResponse> {
        self.call_control(CallAction::Mute, ucid, None).await
    }

    /// Unmutes the customer's leg.
    pub async fn unmute(&self, ucid: &str) -> Result<CallControlResponse> {
        self.call_control(CallAction::Unmute, ucid, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn parse_action_names() {
        assert_eq!(CallAction::parse("hold").unwrap(), CallAction::Hold);
        assert_eq!(
            CallAction::parse(" KICK_CALL ").unwrap(),
            CallAction::KickCall
        );
        assert_eq!(CallAction::parse("drop").unwrap(), CallAction::KickCall);
        assert!(CallAction::parse("TRANSFER").is_err());
        for a in [
            CallAction::Conference,
            CallAction::Hold,
            CallAction::Unhold,
            CallAction::Mute,
            CallAction::Unmute,
            CallAction::KickCall,
        ] {
            assert_eq!(CallAction::parse(a.as_str()).unwrap(), a);
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                Value::String(a.as_str().into())
            );
        }
    }
}
