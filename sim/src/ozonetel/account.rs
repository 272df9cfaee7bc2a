//! A CloudAgent account: its key, how it authenticates, its phone format and campaigns.

use serde::{Deserialize, Serialize};

/// How an account authenticates API calls (its admin's "API Authentication" setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthMode {
    /// `TOKEN_AUTH`: `Authorization: Bearer <token>` plus `userName` in the body.
    #[serde(rename = "TOKEN_AUTH", alias = "token", alias = "Token")]
    Token,
    /// `BASIC_AUTH`: `apiKey: <key>` header plus `userName` in the body.
    #[serde(rename = "BASIC_AUTH", alias = "basic", alias = "Basic")]
    Basic,
}

/// Which phone-number format an account's CONFERENCE numbers must use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneRegion {
    /// `0` followed by 10 digits, e.g. `09876543210`.
    #[default]
    India,
    /// `+` followed by the country code and number, e.g. `+14155550123`.
    International,
}

/// A CloudAgent account known to the simulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account's `userName`.
    #[serde(rename = "userName", alias = "user_name")]
    pub user_name: String,
    /// The account's API key (`apiKey`).
    #[serde(rename = "apiKey", alias = "api_key")]
    pub api_key: String,
    /// Token or Basic authentication.
    #[serde(default = "default_mode")]
    pub mode: AuthMode,
    /// Phone-number format for CONFERENCE numbers.
    #[serde(default)]
    pub region: PhoneRegion,
    /// Campaign names the account owns (`campaignName` filters must name one of these or one
    /// used by a seeded call).
    #[serde(default)]
    pub campaigns: Vec<String>,
    /// Pause reasons `changeAgentState` and `DispositionAPIV2` accept.
    #[serde(
        rename = "pauseReasons",
        alias = "pause_reasons",
        default = "default_pause_reasons"
    )]
    pub pause_reasons: Vec<String>,
    /// The disposition list `DispositionAPIV2` `action=get` answers.
    #[serde(default = "default_dispositions")]
    pub dispositions: Vec<String>,
}

fn default_mode() -> AuthMode {
    AuthMode::Token
}

/// A hospital desk's pause reasons.
pub(crate) fn default_pause_reasons() -> Vec<String> {
    ["Break", "Lunch", "Meeting", "Training", "Ward Round"]
        .map(String::from)
        .to_vec()
}

/// A hospital desk's dispositions.
pub(crate) fn default_dispositions() -> Vec<String> {
    [
        "Appointment Booked",
        "Appointment Rescheduled",
        "Appointment Cancelled",
        "General Enquiry",
        "Report Enquiry",
        "Callback Requested",
        "Emergency Redirected",
        "Wrong Number",
        "No Response",
    ]
    .map(String::from)
    .to_vec()
}

impl Account {
    /// A TOKEN_AUTH India account.
    pub fn token(user_name: impl Into<String>, api_key: impl Into<String>) -> Self {
        Account {
            user_name: user_name.into(),
            api_key: api_key.into(),
            mode: AuthMode::Token,
            region: PhoneRegion::India,
            campaigns: Vec::new(),
            pause_reasons: default_pause_reasons(),
            dispositions: default_dispositions(),
        }
    }

    /// A BASIC_AUTH India account.
    pub fn basic(user_name: impl Into<String>, api_key: impl Into<String>) -> Self {
        Account {
            mode: AuthMode::Basic,
            ..Account::token(user_name, api_key)
        }
    }

    /// The same account, with international (`+CC…`) conference numbers.
    pub fn international(mut self) -> Self {
        self.region = PhoneRegion::International;
        self
    }

    /// The same account, owning one more campaign name.
    pub fn with_campaign(mut self, campaign: impl Into<String>) -> Self {
        self.campaigns.push(campaign.into());
        self
    }
}
