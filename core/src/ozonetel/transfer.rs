//! Transfers, built from CONFERENCE and KICK_CALL (Ozonetel has no TRANSFER action).
//!
//! Warm: the target is conferenced in, the agent talks to both, then [`Transfer::complete`]
//! drops the agent (or [`Transfer::cancel`] drops the target). Cold: the agent is dropped as
//! soon as the target has joined.

use std::sync::{Arc, Mutex};

use super::agent::{Agent, AgentField};
use super::call_control::CallAction;
use super::ids::validate_ucid;
use super::phone::normalize_phone;
use crate::error::{Error, Result};

/// How a transfer hands the call over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// Conference the target, let the agent introduce the call, then complete or cancel.
    Warm,
    /// Conference the target and drop the agent at once (blind transfer).
    Cold,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferState {
    /// The target is on the call with the agent and customer.
    Conferenced,
    /// A complete or cancel request is under way.
    InProgress,
    /// The agent left; the target has the customer.
    Completed,
    /// The target was dropped; the agent keeps the customer.
    Cancelled,
}

/// A transfer under way. Clones share the state, so a completed transfer cannot be completed
/// or cancelled again from any of them.
#[derive(Debug, Clone)]
pub struct Transfer {
    agent: Agent,
    ucid: String,
    target: String,
    /// The agent's number: what KICK_CALL drops to complete the transfer.
    agent_number: String,
    mode: TransferMode,
    state: Arc<Mutex<TransferState>>,
}

impl Agent {
    /// Starts a transfer of call `ucid` to `target`.
    ///
    /// Conferences the target in (CONFERENCE). For [`TransferMode::Cold`] it then drops the
    /// agent (KICK_CALL with the agent's number) and returns a completed transfer. The agent's
    /// number must be known ([`AgentRef::number`](super::AgentRef::number)).
    /// Errors name the step that failed; neither step is ever resent automatically.
    pub async fn transfer(&self, ucid: &str, target: &str, mode: TransferMode) -> Result<Transfer> {
        let ucid = validate_ucid(ucid)?;
        let target = normalize_phone(target, self.client().region())
            .map_err(|e| e.context("transfer target"))?;
        let agent_number = self
            .require(
                AgentField::Number,
                "a transfer (it drops the agent by number)",
            )?
            .to_string();
        if agent_number == target {
            return Err(Error::invalid(
                "the transfer target is the agent's own number",
            ));
        }
        self.call_control(CallAction::Conference, &ucid, Some(&target))
            .await
            .map_err(|e| {
                e.context("transfer step 1 (CONFERENCE the target) failed; the call is unchanged")
            })?;
        let transfer = Transfer {
            agent: self.clone(),
            ucid,
            target,
            agent_number,
            mode,
            state: Arc::new(Mutex::new(TransferState::Conferenced)),
        };
        if mode == TransferMode::Cold {
            transfer.complete().await.map_err(|e| {
                e.context("cold transfer: the target joined, but step 2 (KICK_CALL the agent) failed; the agent is still on the call")
            })?;
        }
        Ok(transfer)
    }
}

impl Transfer {
    /// The call being transferred.
    pub fn ucid(&self) -> &str {
        &self.ucid
    }

    /// The target's number, normalised.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Warm or cold.
    pub fn mode(&self) -> TransferMode {
        self.mode
    }

    /// Where the transfer stands.
    pub fn state(&self) -> TransferState {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands the call to the target by dropping the agent (KICK_CALL with the agent's number).
    pub async fn complete(&self) -> Result<()> {
        self.finish(
            &self.agent_number.clone(),
            TransferState::Completed,
            "complete",
        )
        .await
    }

    /// Abandons the transfer by dropping the target (KICK_CALL with the target's number).
    pub async fn cancel(&self) -> Result<()> {
        self.finish(&self.target.clone(), TransferState::Cancelled, "cancel")
            .await
    }

    async fn finish(&self, drop_number: &str, done: TransferState, verb: &str) -> Result<()> {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match *state {
                TransferState::Conferenced => *state = TransferState::InProgress,
                TransferState::InProgress => {
                    return Err(Error::Closed(format!(
                        "cannot {verb} the transfer: a complete or cancel is already under way"
                    )));
                }
                finished => {
                    return Err(Error::Closed(format!(
                        "cannot {verb} the transfer: it is already {}",
                        if finished == TransferState::Completed {
                            "completed"
                        } else {
                            "cancelled"
                        }
                    )));
                }
            }
        }
        let outcome = self
            .agent
            .call_control(CallAction::KickCall, &self.ucid, Some(drop_number))
            .await;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok(_) => {
                *state = done;
                Ok(())
            }
            Err(e) => {
                // Still conferenced: the caller may decide to try again.
                *state = TransferState::Conferenced;
                Err(e.context(&format!(
                    "transfer {verb} (KICK_CALL) failed; all three parties are still on the call"
                )))
            }
        }
    }
}
