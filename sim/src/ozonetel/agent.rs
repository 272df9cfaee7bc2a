//! The agents of an account: what a test seeds ([`Agent`]), where each one is in the desk's
//! state machine ([`AgentState`]) and what tests read back ([`AgentSnapshot`]).
//!
//! The state machine (the transitions live in `desk.rs`):
//!
//! ```text
//! LoggedOut ──login──▶ Ready ◀──changeAgentState──▶ Pause(reason)
//! Ready ──dial / incoming call──▶ Busy(ucid) ──call end──▶ Acw(ucid)
//! Acw ──disposition──▶ Ready, or Pause(reason) with pauseAfterDispose
//! any state ──logout──▶ LoggedOut
//! ```
//!
//! Login lands in Ready: the desk's "force ready" is logout + login, which only clears a stuck
//! ACW if login answers Ready.

use serde::{Deserialize, Serialize};

/// How an agent takes calls (CloudAgent's agent mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentMode {
    /// Outbound only: may use AgentManualDial.
    Manual,
    /// Inbound and outbound: may use AgentManualDial.
    #[default]
    Blended,
    /// Inbound only: AgentManualDial answers "Agent is not available".
    Inbound,
}

impl AgentMode {
    /// The mode as Ozonetel's state-change replies spell it (`tbAgentPause~INBOUND`).
    pub(crate) fn wire(self) -> &'static str {
        match self {
            AgentMode::Manual => "MANUAL",
            AgentMode::Blended => "BLENDED",
            AgentMode::Inbound => "INBOUND",
        }
    }
}

/// An agent to seed into an account (library: [`crate::Simulator::add_agent`]; HTTP:
/// `POST /sim/agents`). These are the simulator's fake credentials, never real ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The account the agent belongs to; the default account when absent.
    #[serde(default)]
    pub account: Option<String>,
    /// The agent id (HTTP Basic user name of AgentAuthenticationV2, `agentID` elsewhere).
    pub agent_id: String,
    /// The agent's password (HTTP Basic password of AgentAuthenticationV2).
    pub password: String,
    /// Display name (defaults to the agent id).
    #[serde(default)]
    pub name: Option<String>,
    /// The phone name / SIP extension (`phoneName`, `agentPhoneName`).
    pub phone_name: String,
    /// The registered phone number (PhoneManualDial rings it; login may name another).
    pub phone_number: String,
    /// Campaigns the agent works.
    #[serde(default)]
    pub campaigns: Vec<String>,
    /// Manual, blended or inbound.
    #[serde(default)]
    pub mode: AgentMode,
}

impl Agent {
    /// A blended agent of the default account.
    pub fn new(
        agent_id: impl Into<String>,
        password: impl Into<String>,
        phone_name: impl Into<String>,
        phone_number: impl Into<String>,
    ) -> Self {
        Agent {
            account: None,
            agent_id: agent_id.into(),
            password: password.into(),
            name: None,
            phone_name: phone_name.into(),
            phone_number: phone_number.into(),
            campaigns: Vec::new(),
            mode: AgentMode::Blended,
        }
    }

    /// The same agent in another account.
    pub fn in_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The same agent, working one more campaign.
    pub fn with_campaign(mut self, campaign: impl Into<String>) -> Self {
        self.campaigns.push(campaign.into());
        self
    }

    /// The same agent in another mode.
    pub fn with_mode(mut self, mode: AgentMode) -> Self {
        self.mode = mode;
        self
    }
}

/// Where an agent is in the desk's state machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    /// Not logged in.
    LoggedOut,
    /// Logged in and available.
    Ready,
    /// Logged in, not taking calls.
    Pause {
        /// The pause reason ("" when none was given).
        reason: String,
    },
    /// On a call.
    Busy {
        /// The call's UCID.
        ucid: String,
    },
    /// After-call work: the call ended and waits for its disposition.
    Acw {
        /// The ended call's UCID.
        ucid: String,
    },
}

impl AgentState {
    /// The state as Ozonetel's messages and agent events name it.
    pub(crate) fn wire(&self) -> &'static str {
        match self {
            AgentState::LoggedOut => "LOGGEDOUT",
            AgentState::Ready => "READY",
            AgentState::Pause { .. } => "PAUSED",
            AgentState::Busy { .. } => "BUSY",
            AgentState::Acw { .. } => "ACW",
        }
    }
}

/// An agent as tests see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSnapshot {
    /// The account.
    pub account: String,
    /// The agent id.
    pub agent_id: String,
    /// Display name.
    pub name: String,
    /// Phone name / SIP extension.
    pub phone_name: String,
    /// The number calls reach now: the login's `phoneNumber`, else the registered one.
    pub phone_number: String,
    /// Campaigns.
    pub campaigns: Vec<String>,
    /// Mode.
    pub mode: AgentMode,
    /// Current state.
    pub state: AgentState,
}

/// An agent as the registry keeps it.
#[derive(Clone, Debug)]
pub(crate) struct AgentRecord {
    pub account: String,
    pub agent_id: String,
    pub password: String,
    pub name: String,
    pub phone_name: String,
    pub phone_number: String,
    pub campaigns: Vec<String>,
    pub mode: AgentMode,
    pub state: AgentState,
    /// The number given at login; calls ring it while logged in.
    pub login_number: Option<String>,
}

impl AgentRecord {
    pub(crate) fn new(account: String, a: Agent) -> Self {
        AgentRecord {
            account,
            name: a.name.unwrap_or_else(|| a.agent_id.clone()),
            agent_id: a.agent_id,
            password: a.password,
            phone_name: a.phone_name,
            phone_number: a.phone_number,
            campaigns: a.campaigns,
            mode: a.mode,
            state: AgentState::LoggedOut,
            login_number: None,
        }
    }

    /// The number the agent's leg of a call rings.
    pub(crate) fn number(&self) -> &str {
        self.login_number.as_deref().unwrap_or(&self.phone_number)
    }

    pub(crate) fn logged_in(&self) -> bool {
        self.state != AgentState::LoggedOut
    }

    pub(crate) fn snapshot(&self) -> AgentSnapshot {
        AgentSnapshot {
            account: self.account.clone(),
            agent_id: self.agent_id.clone(),
            name: self.name.clone(),
            phone_name: self.phone_name.clone(),
            phone_number: self.number().to_string(),
            campaigns: self.campaigns.clone(),
            mode: self.mode,
            state: self.state.clone(),
        }
    }
}
