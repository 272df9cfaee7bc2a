//! The agent: who acts. One account serves many agents, each with an id, a SIP extension (the
//! `agentPhoneName` Ozonetel's call control wants), a phone number, a campaign and a DID. An
//! [`Agent`] is made from a [`Client`] and an [`AgentRef`], checked once, and carries its
//! client, so an agent can only ever act on its own account: there is no call that takes an
//! agent and a client separately. Nothing defaults an agent — not the builder, not the
//! environment — because a desk that fell back to a default agent once let one hospital's
//! requests act as another's agent.

use std::fmt;

use super::client::Client;
use super::phone::normalize_phone;
use crate::error::{Error, Result, quote};

/// Who an [`Agent`] is, as the host knows it (from its login, its database, the request).
/// Only `id` is always required; each call says which of the others it needs and fails with
/// `INVALID_INPUT` naming the field when it is missing, before anything is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentRef {
    /// The CloudAgent agent id (`agentID` / `agentId` on the wire).
    pub id: String,
    /// The agent's SIP extension / phone name (`agentPhoneName`, `phoneName`): call control,
    /// state changes and phone dials.
    pub phone_name: Option<String>,
    /// The agent's phone number: what KICK_CALL passes to drop the agent (completing a
    /// transfer) and what login registers. Normalised for the account's region.
    pub number: Option<String>,
    /// The campaign manual dials go out on (`campaignName`).
    pub campaign: Option<String>,
    /// The DID (virtual number) the agent's calls use (`did`): call control, disposition.
    pub did: Option<String>,
}

impl AgentRef {
    /// An agent known only by id; add the other fields with the `with_*` methods.
    pub fn new(id: impl Into<String>) -> Self {
        AgentRef {
            id: id.into(),
            ..Default::default()
        }
    }

    /// Sets the SIP extension / phone name.
    pub fn with_phone_name(mut self, phone_name: impl Into<String>) -> Self {
        self.phone_name = Some(phone_name.into());
        self
    }

    /// Sets the agent's phone number.
    pub fn with_number(mut self, number: impl Into<String>) -> Self {
        self.number = Some(number.into());
        self
    }

    /// Sets the campaign.
    pub fn with_campaign(mut self, campaign: impl Into<String>) -> Self {
        self.campaign = Some(campaign.into());
        self
    }

    /// Sets the DID.
    pub fn with_did(mut self, did: impl Into<String>) -> Self {
        self.did = Some(did.into());
        self
    }
}

/// One agent of one account: everything that acts as an agent (call control, transfers,
/// login, state, dial, disposition) is a method here. Cheap to clone; clones share the
/// client's token, budget and pace.
#[derive(Clone)]
pub struct Agent {
    client: Client,
    id: String,
    phone_name: Option<String>,
    number: Option<String>,
    campaign: Option<String>,
    did: Option<String>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The agent's phone number is personal data: shown only as present or not.
        f.debug_struct("Agent")
            .field("account", &self.client.user_name())
            .field("id", &self.id)
            .field("phone_name", &self.phone_name)
            .field("number", &self.number.as_ref().map(|_| "[set]"))
            .field("campaign", &self.campaign)
            .field("did", &self.did)
            .finish()
    }
}

/// The fields an agent-scoped call may need, for the error that names a missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgentField {
    PhoneName,
    Number,
    Campaign,
    Did,
}

impl AgentField {
    fn name(self) -> &'static str {
        match self {
            AgentField::PhoneName => "phone_name",
            AgentField::Number => "number",
            AgentField::Campaign => "campaign",
            AgentField::Did => "did",
        }
    }
}

/// Longest id, phone name or campaign accepted: Ozonetel's own are short; anything longer is
/// a mistake (or an attack) better refused than sent.
const MAX_TEXT: usize = 128;

/// A trimmed, non-empty, printable identifier, or an error naming `field`.
pub(crate) fn identifier(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(format!("{field} is empty")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Error::invalid(format!(
            "{field} {} is longer than {MAX_TEXT} characters",
            quote(value)
        )));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(format!(
            "{field} {} contains control characters",
            quote(value)
        )));
    }
    if value.chars().any(is_bidi_control) {
        return Err(Error::invalid(format!(
            "{field} {} contains a bidirectional control character (it would display as \
             another text)",
            quote(value)
        )));
    }
    Ok(value.to_string())
}

/// The invisible characters that reorder the text around them (U+202E turns "agent1" into
/// what reads as another id on a screen). No id, extension or campaign needs them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A DID: digits, with an optional leading `+`.
fn did(value: &str) -> Result<String> {
    let value = identifier("agent did", value)?;
    let digits = value.strip_prefix('+').unwrap_or(&value);
    if digits.len() < 3 || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "agent did {} must be 3 to 16 digits (an optional leading +)",
            quote(&value)
        )));
    }
    Ok(value)
}

impl Client {
    /// The handle for one agent of this account. Checks every field given (empty, too long,
    /// control characters, a number that cannot be dialled, a DID that is not digits) and
    /// sends nothing.
    ///
    /// ```
    /// # fn demo(client: helix_engage::ozonetel::Client) -> helix_engage::Result<()> {
    /// use helix_engage::ozonetel::AgentRef;
    /// let agent = client.agent(
    ///     AgentRef::new("asha")
    ///         .with_phone_name("523590")
    ///         .with_number("9876543210")
    ///         .with_campaign("Inbound_918041763265")
    ///         .with_did("918041763265"),
    /// )?;
    /// assert_eq!(agent.id(), "asha");
    /// # Ok(()) }
    /// ```
    pub fn agent(&self, agent: AgentRef) -> Result<Agent> {
        let optional = |field: &str, v: Option<String>| -> Result<Option<String>> {
            match v {
                Some(v) if !v.trim().is_empty() => identifier(field, &v).map(Some),
                _ => Ok(None),
            }
        };
        let number = match agent.number.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => {
                Some(normalize_phone(n, self.region()).map_err(|e| e.context("agent number"))?)
            }
            _ => None,
        };
        let did = match agent.did.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => Some(did(d)?),
            _ => None,
        };
        Ok(Agent {
            client: self.clone(),
            id: identifier("agent id", &agent.id)?,
            phone_name: optional("agent phone_name", agent.phone_name)?,
            number,
            campaign: optional("agent campaign", agent.campaign)?,
            did,
        })
    }
}

impl Agent {
    /// The agent id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The account's client this agent acts through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The SIP extension / phone name, when given.
    pub fn phone_name(&self) -> Option<&str> {
        self.phone_name.as_deref()
    }

    /// The phone number, normalised for the account's region, when given.
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref()
    }

    /// The campaign, when given.
    pub fn campaign(&self) -> Option<&str> {
        self.campaign.as_deref()
    }

    /// The DID, when given.
    pub fn did(&self) -> Option<&str> {
        self.did.as_deref()
    }

    /// The field `what` needs, or `INVALID_INPUT` saying which field of which agent is missing.
    pub(crate) fn require(&self, field: AgentField, what: &str) -> Result<&str> {
        let value = match field {
            AgentField::PhoneName => self.phone_name.as_deref(),
            AgentField::Number => self.number.as_deref(),
            AgentField::Campaign => self.campaign.as_deref(),
            AgentField::Did => self.did.as_deref(),
        };
        value.ok_or_else(|| {
            Error::invalid(format!(
                "{what} needs the agent's {}: agent {} was made without it (AgentRef::{})",
                field.name(),
                quote(&self.id),
                field.name()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn client() -> Client {
        Client::builder()
            .user_name("acme")
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
    }

    #[test]
    fn fields_are_checked_and_normalised() {
        let a = client()
            .agent(
                AgentRef::new(" asha ")
                    .with_number("+91 98765-43210")
                    .with_phone_name("523590")
                    .with_did("918041763265"),
            )
            .unwrap();
        assert_eq!(a.id(), "asha");
        assert_eq!(a.number(), Some("09876543210"));
        assert_eq!(a.campaign(), None);
        assert!(!format!("{a:?}").contains("9876543210"), "{a:?}");
        let err = a
            .require(AgentField::Campaign, "a manual dial")
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.to_string().contains("campaign"), "{err}");

        for bad in [
            AgentRef::new(""),
            AgentRef::new("   "),
            AgentRef::new("a\u{0}b"),
            AgentRef::new("x".repeat(10_000)),
            AgentRef::new("asha").with_number("12"),
            AgentRef::new("asha").with_did("12ab"),
            AgentRef::new("asha").with_phone_name("52\n3590"),
            AgentRef::new("\u{202e}1tnega"),
            AgentRef::new("asha").with_campaign("Outbound\u{2067}_1"),
        ] {
            let err = client().agent(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
            assert!(err.to_string().len() < 300);
        }
    }
}
