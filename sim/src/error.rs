//! The one error type of the handle's seeding and control methods.

/// Errors from the handle's seeding and control methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// No account with this `userName`.
    UnknownAccount(String),
    /// A UCID must be digits that fit in a u64.
    InvalidUcid(String),
    /// The UCID is already used by a live or ended call.
    DuplicateUcid(String),
    /// No live call with this UCID.
    UnknownCall(String),
    /// The conversation script is invalid.
    InvalidScript(String),
    /// A seeded call's fields are out of range.
    InvalidCall(String),
    /// A seeded agent's fields are missing or invalid.
    InvalidAgent(String),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::UnknownAccount(a) => write!(f, "unknown account '{a}'"),
            SimError::InvalidUcid(u) => write!(f, "invalid ucid '{u}': expected digits"),
            SimError::DuplicateUcid(u) => write!(f, "ucid '{u}' is already in use"),
            SimError::UnknownCall(u) => write!(f, "no live call with ucid '{u}'"),
            SimError::InvalidScript(why) => write!(f, "invalid script: {why}"),
            SimError::InvalidCall(why) => write!(f, "invalid call: {why}"),
            SimError::InvalidAgent(why) => write!(f, "invalid agent: {why}"),
        }
    }
}

impl std::error::Error for SimError {}
