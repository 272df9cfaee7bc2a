//! `helix_agent`: one agent of an account (call control, transfers, and the agent desk), and
//! `helix_transfer`.

use std::ffi::c_char;
use std::sync::Arc;

use helix_engage::ozonetel::{Agent, AgentRef, CallAction, Transfer, TransferMode, TransferState};

use crate::error::{Failure, FfiResult, helix_status};
use crate::ffi::{
    HandleRuntime, arg_opt_out, arg_opt_str, arg_out, arg_ref, arg_str, block_on, ffi, free_handle,
    into_handle,
};
use crate::ozonetel::helix_ozonetel;

/// Who an agent is, for `helix_ozonetel_agent_new`. Strings are UTF-8, copied during the call.
/// Zero-initialise it and set what you have: only `id` is required; each call names the field
/// it needs when it is missing (`HELIX_INVALID_INPUT`), before anything is sent. Nothing is
/// ever filled in from a default: a desk that fell back to a default agent once acted as
/// another hospital's agent.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_agent_ref {
    /// Required: the CloudAgent agent id (`agentID`). NULL or empty is `HELIX_INVALID_INPUT`.
    pub id: *const c_char,
    /// The agent's SIP extension / phone name (`agentPhoneName`): call control, state
    /// changes, phone dials.
    pub phone_name: *const c_char,
    /// The agent's phone number (any common spelling): KICK_CALL drops the agent by it when a
    /// transfer completes; login registers it.
    pub number: *const c_char,
    /// The campaign manual dials go out on (`campaignName`).
    pub campaign: *const c_char,
    /// The DID (virtual number) the agent's calls use: call control, dispositions.
    pub did: *const c_char,
}

/// One agent of one account, from `helix_ozonetel_agent_new`.
///
/// Thread safety: safe to share between threads, like its client. It holds its own reference
/// to the account's client (token, budget, pace) and runtime, so it may outlive the
/// `helix_ozonetel` it came from. Free it with `helix_agent_free` once no call is running on
/// it.
pub struct helix_agent {
    // Field order matters: the agent (and its client's connection pool) drops before the
    // runtime.
    agent: Agent,
    runtime: Arc<HandleRuntime>,
}

/// The agent behind a handle argument. A NULL agent is `HELIX_INVALID_INPUT`, not a pointer
/// slip to shrug off: every agent-scoped call acts as some agent, and there is no default one.
pub(crate) fn agent_arg<'a>(agent: *const helix_agent, what: &str) -> FfiResult<&'a helix_agent> {
    // SAFETY: the header requires a non-NULL agent to come from `helix_ozonetel_agent_new`
    // and not to have been freed; NULL is handled here.
    unsafe { agent.as_ref() }.ok_or_else(|| {
        Failure::invalid(format!(
            "{what} acts as an agent and `agent` is NULL; make one with helix_ozonetel_agent_new \
             (there is no default agent)"
        ))
    })
}

impl helix_agent {
    /// Runs an agent call on the handle's runtime, on the calling thread.
    pub(crate) fn run<F: std::future::Future>(&self, future: F) -> FfiResult<F::Output> {
        block_on(&self.runtime, future)
    }

    pub(crate) fn agent(&self) -> &Agent {
        &self.agent
    }
}

/// Makes the handle for one agent of `client`'s account. Checks every field given (empty id,
/// too long, control characters, a number that cannot be dialled, a DID that is not digits)
/// and sends nothing.
///
/// `agent_ref` NULL, or its `id` NULL or empty, is `HELIX_INVALID_INPUT` (there is no default
/// agent). On success `*out` holds a handle to free with `helix_agent_free`; freeing `client`
/// first is safe.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_agent_new(
    client: *const helix_ozonetel,
    agent_ref: *const helix_agent_ref,
    out: *mut *mut helix_agent,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        // SAFETY: the header requires a non-NULL `agent_ref` to point at a readable
        // `helix_agent_ref`; NULL is handled here.
        let Some(wanted) = (unsafe { agent_ref.as_ref() }) else {
            return Err(Failure::invalid(
                "`agent_ref` is NULL: an agent needs at least its id (there is no default agent)",
            ));
        };
        let out = arg_out!(out);
        if wanted.id.is_null() {
            return Err(Failure::invalid(
                "agent_ref.id is NULL: an agent needs its CloudAgent id (there is no default agent)",
            ));
        }
        let id = arg_str!(wanted.id, "agent_ref.id");
        let field = |value: Option<&str>| value.map(str::to_string);
        let agent = client.client().agent(AgentRef {
            id: id.to_string(),
            phone_name: field(arg_opt_str!(wanted.phone_name, "agent_ref.phone_name")),
            number: field(arg_opt_str!(wanted.number, "agent_ref.number")),
            campaign: field(arg_opt_str!(wanted.campaign, "agent_ref.campaign")),
            did: field(arg_opt_str!(wanted.did, "agent_ref.did")),
        })?;
        out.write(into_handle(helix_agent {
            agent,
            runtime: client.runtime().clone(),
        }));
        Ok(())
    }
}

/// Frees an agent handle (it does not log the agent out). NULL is a no-op. No call may be
/// running on it; transfers started from it stay usable until they are freed.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_free(agent: *mut helix_agent) {
    // SAFETY: the header requires `agent` to be NULL or a handle from
    // `helix_ozonetel_agent_new` that is not in use and not yet freed.
    unsafe { free_handle(agent) };
}

/// A call-control action, passed as the `uint32_t action` argument of
/// `helix_agent_call_control` (a value outside this list is refused with
/// `HELIX_INVALID_INPUT`). Values start at 1 so a forgotten zero is caught.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_call_action {
    /// Add `number` to the call (a conference); needs `number`.
    HELIX_ACTION_CONFERENCE = 1,
    /// Put the call on hold.
    HELIX_ACTION_HOLD = 2,
    /// Take the call off hold.
    HELIX_ACTION_UNHOLD = 3,
    /// Mute the agent.
    HELIX_ACTION_MUTE = 4,
    /// Unmute the agent.
    HELIX_ACTION_UNMUTE = 5,
    /// Drop the party `number` from the call; needs `number`.
    HELIX_ACTION_KICK_CALL = 6,
}

impl helix_call_action {
    fn from_raw(raw: u32) -> FfiResult<CallAction> {
        Ok(match raw {
            1 => CallAction::Conference,
            2 => CallAction::Hold,
            3 => CallAction::Unhold,
            4 => CallAction::Mute,
            5 => CallAction::Unmute,
            6 => CallAction::KickCall,
            other => {
                return Err(Failure::invalid(format!(
                    "action {other} is not a helix_call_action (1 CONFERENCE … 6 KICK_CALL)"
                )));
            }
        })
    }
}

/// How a transfer ends, passed as the `uint32_t mode` argument of
/// `helix_agent_transfer_start`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_transfer_mode {
    /// Warm (0): the target joins; the agent talks to both, then completes or cancels.
    HELIX_TRANSFER_WARM = 0,
    /// Cold (1): the target joins and the agent leaves at once; the returned transfer is
    /// already completed.
    HELIX_TRANSFER_COLD = 1,
}

/// Where a transfer stands (`helix_transfer_get_state`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_transfer_state {
    /// The target joined (CONFERENCE done); complete or cancel next.
    HELIX_TRANSFER_CONFERENCED = 0,
    /// A complete or cancel is under way.
    HELIX_TRANSFER_IN_PROGRESS = 1,
    /// The agent left; the target has the customer.
    HELIX_TRANSFER_COMPLETED = 2,
    /// The target was dropped; the agent keeps the customer.
    HELIX_TRANSFER_CANCELLED = 3,
}

/// Sends one call-control action on a live call: `action` is a `helix_call_action` value.
///
/// `ucid` is the call's UCID (digits, as a string: UCIDs exceed 2^53). `number` is the party
/// for CONFERENCE and KICK_CALL (any common spelling: `"+91 98765-43210"`, `"09876543210"`);
/// NULL for the others. Needs the agent's `did` and `phone_name`; a NULL `agent` is
/// `HELIX_INVALID_INPUT`.
///
/// On success, when `out_json` is not NULL, `*out_json` receives Ozonetel's answer — free it
/// with `helix_string_free`:
/// `{"action":"HOLD","status":"Success","message":"…","ucid":"90174967305497"|null}` (`status`
/// and `message` are Ozonetel's own words).
///
/// CONFERENCE and KICK_CALL are never resent once sent (a timeout leaves their outcome
/// unknown: `HELIX_TIMEOUT`); the other actions retry transient failures.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_call_control(
    agent: *const helix_agent,
    action: u32,
    ucid: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "call control")?;
        let action = helix_call_action::from_raw(action)?;
        let ucid = arg_str!(ucid);
        let number = arg_opt_str!(number);
        let out = arg_opt_out!(out_json);
        let response = agent.run(agent.agent.call_control(action, ucid, number))??;
        out.write_json(&response)
    }
}

/// A transfer in progress, from `helix_agent_transfer_start`.
///
/// Thread safety: safe to share between threads; a complete racing a cancel lets one win and
/// the other fail with `HELIX_CLOSED`. It keeps the client's runtime and connection alive, so
/// it may outlive the `helix_agent` and `helix_ozonetel` it came from. Free it with `helix_transfer_free`.
pub struct helix_transfer {
    transfer: Transfer,
    runtime: Arc<HandleRuntime>,
}

/// Starts a transfer of call `ucid` to `target` (any common phone spelling): CONFERENCE the
/// target into the call. `mode` is a `helix_transfer_mode` value. A warm transfer then waits
/// for `helix_transfer_complete` (the agent leaves) or `helix_transfer_cancel` (the target is
/// dropped); a cold one completes at once.
///
/// Needs the agent's `did`, `phone_name` and `number`; a NULL `agent` is `HELIX_INVALID_INPUT`. On success `*out` holds
/// a handle to free with `helix_transfer_free`; on failure the call is unchanged (except for a
/// cold transfer whose second step failed: the message says the agent is still on the call).
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_transfer_start(
    agent: *const helix_agent,
    ucid: *const c_char,
    target: *const c_char,
    mode: u32,
    out: *mut *mut helix_transfer,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a transfer")?;
        let ucid = arg_str!(ucid);
        let target = arg_str!(target);
        let mode = match mode {
            0 => TransferMode::Warm,
            1 => TransferMode::Cold,
            other => {
                return Err(Failure::invalid(format!(
                    "mode {other} is not a helix_transfer_mode (0 warm, 1 cold)"
                )));
            }
        };
        let out = arg_out!(out);
        let transfer = agent.run(agent.agent.transfer(ucid, target, mode))??;
        out.write(into_handle(helix_transfer {
            transfer,
            runtime: agent.runtime.clone(),
        }));
        Ok(())
    }
}

/// Completes a warm transfer: KICK_CALL the agent, leaving the customer with the target.
/// `HELIX_CLOSED` when it was already completed or cancelled; on any other failure all three
/// parties are still on the call and it may be retried.
#[unsafe(no_mangle)]
pub extern "C" fn helix_transfer_complete(transfer: *const helix_transfer) -> helix_status {
    ffi! {
        let transfer = arg_ref!(transfer);
        block_on(&transfer.runtime, transfer.transfer.complete())??;
        Ok(())
    }
}

/// Cancels a warm transfer: KICK_CALL the target, leaving the agent with the customer.
/// `HELIX_CLOSED` when it was already completed or cancelled.
#[unsafe(no_mangle)]
pub extern "C" fn helix_transfer_cancel(transfer: *const helix_transfer) -> helix_status {
    ffi! {
        let transfer = arg_ref!(transfer);
        block_on(&transfer.runtime, transfer.transfer.cancel())??;
        Ok(())
    }
}

/// Where the transfer stands: `*out_state` receives a `helix_transfer_state` value.
#[unsafe(no_mangle)]
pub extern "C" fn helix_transfer_get_state(
    transfer: *const helix_transfer,
    out_state: *mut u32,
) -> helix_status {
    ffi! {
        let transfer = arg_ref!(transfer);
        let out = arg_out!(out_state);
        let state = match transfer.transfer.state() {
            TransferState::Conferenced => helix_transfer_state::HELIX_TRANSFER_CONFERENCED,
            TransferState::InProgress => helix_transfer_state::HELIX_TRANSFER_IN_PROGRESS,
            TransferState::Completed => helix_transfer_state::HELIX_TRANSFER_COMPLETED,
            TransferState::Cancelled => helix_transfer_state::HELIX_TRANSFER_CANCELLED,
        };
        out.write(state as u32);
        Ok(())
    }
}

/// Frees a transfer handle (it does not change the call). NULL is a no-op. No call may be
/// running on it.
#[unsafe(no_mangle)]
pub extern "C" fn helix_transfer_free(transfer: *mut helix_transfer) {
    // SAFETY: the header requires `transfer` to be NULL or a handle from
    // `helix_agent_transfer_start` that is not in use and not yet freed.
    unsafe { free_handle(transfer) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error_text as last_error;
    use crate::ozonetel::helix_ozonetel_free;
    use crate::ozonetel::tests::client;
    use std::ptr;

    fn full_ref() -> helix_agent_ref {
        helix_agent_ref {
            id: c"asha".as_ptr(),
            phone_name: c"523590".as_ptr(),
            number: c"9876543210".as_ptr(),
            campaign: ptr::null(),
            did: c"918041763265".as_ptr(),
        }
    }

    fn agent(client: *const helix_ozonetel, r: &helix_agent_ref) -> *mut helix_agent {
        let mut out = ptr::null_mut();
        assert_eq!(
            helix_ozonetel_agent_new(client, r, &mut out),
            helix_status::HELIX_OK,
            "{}",
            last_error()
        );
        out
    }

    #[test]
    fn agent_new_needs_an_id_and_checks_the_fields() {
        let c = client();
        let mut out = ptr::null_mut();
        let refuse = |r: &helix_agent_ref, out: &mut *mut helix_agent, field: &str| {
            assert_eq!(
                helix_ozonetel_agent_new(c, r, out),
                helix_status::HELIX_INVALID_INPUT
            );
            assert!(last_error().contains(field), "{field}: {}", last_error());
        };
        refuse(
            &helix_agent_ref {
                id: ptr::null(),
                ..full_ref()
            },
            &mut out,
            "agent_ref.id",
        );
        refuse(
            &helix_agent_ref {
                id: c"".as_ptr(),
                ..full_ref()
            },
            &mut out,
            "agent id",
        );
        refuse(
            &helix_agent_ref {
                number: c"12".as_ptr(),
                ..full_ref()
            },
            &mut out,
            "number",
        );
        refuse(
            &helix_agent_ref {
                did: c"12ab".as_ptr(),
                ..full_ref()
            },
            &mut out,
            "did",
        );
        assert_eq!(
            helix_ozonetel_agent_new(c, ptr::null(), &mut out),
            helix_status::HELIX_INVALID_INPUT
        );
        assert_eq!(
            helix_ozonetel_agent_new(ptr::null(), &full_ref(), &mut out),
            helix_status::HELIX_NULL_POINTER
        );
        assert!(out.is_null());
        // The agent keeps the client alive: freeing the client first is safe.
        let a = agent(c, &full_ref());
        helix_ozonetel_free(c);
        let mut transfer = ptr::null_mut();
        assert_eq!(
            helix_agent_transfer_start(
                a,
                c"123".as_ptr(),
                c"9876543210".as_ptr(),
                0,
                &mut transfer
            ),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(
            last_error().contains("agent's own number"),
            "{}",
            last_error()
        );
        helix_agent_free(a);
        helix_agent_free(ptr::null_mut());
    }

    #[test]
    fn call_control_refuses_bad_arguments_before_sending() {
        let c = client();
        let a = agent(c, &full_ref());
        let mut json = ptr::null_mut();
        assert_eq!(
            helix_agent_call_control(a, 0, c"123".as_ptr(), ptr::null(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(last_error().contains("action 0"), "{}", last_error());
        assert_eq!(
            helix_agent_call_control(a, 99, c"123".as_ptr(), ptr::null(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert_eq!(
            helix_agent_call_control(a, 2, ptr::null(), ptr::null(), &mut json),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_agent_call_control(a, 2, c"".as_ptr(), ptr::null(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert_eq!(
            helix_agent_call_control(a, 1, c"123".as_ptr(), ptr::null(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(
            last_error().contains("needs a phone number"),
            "{}",
            last_error()
        );
        assert_eq!(
            helix_agent_call_control(ptr::null(), 2, c"123".as_ptr(), ptr::null(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(json.is_null());
        helix_agent_free(a);
        helix_ozonetel_free(c);
    }
}
