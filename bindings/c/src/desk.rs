//! The agent desk on a `helix_agent`: login/logout, Ready/Pause/force-ready, manual and phone
//! dials, dispositions. Each entry point converts, calls the core's `Agent` method and hands
//! the answer back; every rule (what a field must look like, what a refusal means) is the
//! core's.

use std::ffi::c_char;
use std::time::Duration;

use helix_engage::ozonetel::{
    DialOptions, Disposition, DispositionOutcome, LoginOutcome, PhoneDialOptions,
    parse_local_date_time,
};

use crate::agent::{agent_arg, helix_agent};
use crate::error::{Failure, helix_status};
use crate::ffi::{arg_opt_out, arg_opt_str, arg_out, arg_ref, arg_str, c_string, ffi};

/// What a login or logout found, written to `*out_outcome` by `helix_agent_login` /
/// `helix_agent_logout`. Values start at 1 so an unwritten zero is never mistaken for one.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_login_outcome {
    /// The agent is now logged in.
    HELIX_LOGIN_LOGGED_IN = 1,
    /// The agent was already logged in (Ozonetel's "Agent has already logged in"): nothing
    /// changed.
    HELIX_LOGIN_ALREADY_LOGGED_IN = 2,
    /// The agent is now logged out.
    HELIX_LOGIN_LOGGED_OUT = 3,
    /// The agent was not logged in ("Agent X is not logged in"): nothing changed.
    HELIX_LOGIN_NOT_LOGGED_IN = 4,
}

fn login_outcome(outcome: LoginOutcome) -> helix_login_outcome {
    match outcome {
        LoginOutcome::LoggedIn => helix_login_outcome::HELIX_LOGIN_LOGGED_IN,
        LoginOutcome::AlreadyLoggedIn => helix_login_outcome::HELIX_LOGIN_ALREADY_LOGGED_IN,
        LoginOutcome::LoggedOut => helix_login_outcome::HELIX_LOGIN_LOGGED_OUT,
        LoginOutcome::NotLoggedIn => helix_login_outcome::HELIX_LOGIN_NOT_LOGGED_IN,
    }
}

/// Logs the agent in (`AgentAuthenticationV2`, `action=login`) with its `password`, which is
/// sent as HTTP Basic credentials only: it is never copied into a message, a log or an error.
/// Needs the agent's `number` (the phone the login registers).
///
/// On success, when `out_outcome` is not NULL, `*out_outcome` receives a
/// `helix_login_outcome` (`LOGGED_IN` or `ALREADY_LOGGED_IN`). A wrong password is
/// `HELIX_AUTH`; "logged in with another number" is `HELIX_AGENT_STATE`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_login(
    agent: *const helix_agent,
    password: *const c_char,
    out_outcome: *mut u32,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a login")?;
        let password = arg_str!(password);
        let out = arg_opt_out!(out_outcome);
        let answer = agent.run(agent.agent().login(password))??;
        out.write(login_outcome(answer.outcome) as u32);
        Ok(())
    }
}

/// Logs the agent out (`action=logout`) with its `password` (HTTP Basic only, never copied).
///
/// On success, when `out_outcome` is not NULL, `*out_outcome` receives `LOGGED_OUT` or
/// `NOT_LOGGED_IN`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_logout(
    agent: *const helix_agent,
    password: *const c_char,
    out_outcome: *mut u32,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a logout")?;
        let password = arg_str!(password);
        let out = arg_opt_out!(out_outcome);
        let answer = agent.run(agent.agent().logout(password))??;
        out.write(login_outcome(answer.outcome) as u32);
        Ok(())
    }
}

/// Makes the agent Ready (`changeAgentState`, `state=Ready`; the agent's `phone_name` is sent
/// when it has one). Refused while the agent is logged out, BUSY or in ACW
/// (`HELIX_AGENT_STATE`, `helix_last_agent_refusal()` says which; out of ACW, dispose the call
/// or `helix_agent_force_ready`).
///
/// On success, when `out_json` is not NULL, `*out_json` receives Ozonetel's answer (free with
/// `helix_string_free`): `{"agentStatus":"READY","resp":"Success:…","agentId":"…"|null,
/// "extra":{…}}` (`agentStatus` as Ozonetel spells it, empty when it did not say).
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_set_ready(
    agent: *const helix_agent,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a state change")?;
        let out = arg_opt_out!(out_json);
        let answer = agent.run(agent.agent().set_ready())??;
        out.write_json(&answer)
    }
}

/// Pauses the agent (`state=Pause`) with `reason`, one of the account's pause reasons
/// (required, non-empty; one Ozonetel does not know is `HELIX_INVALID_INPUT`). Refused as
/// `helix_agent_set_ready` is.
///
/// On success, when `out_json` is not NULL, `*out_json` receives Ozonetel's answer
/// (`{"agentStatus":"PAUSED",…}`, the shape `helix_agent_set_ready` documents; free with
/// `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_pause(
    agent: *const helix_agent,
    reason: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a state change")?;
        let reason = arg_str!(reason);
        let out = arg_opt_out!(out_json);
        let answer = agent.run(agent.agent().pause(reason))??;
        out.write_json(&answer)
    }
}

/// Clears a stuck BUSY/ACW the way the desk does: logout, login (`password`, HTTP Basic only),
/// then Ready. Needs the agent's `number` (checked before the logout, so a missing one never
/// leaves the agent logged out); a failure after the logout leaves the agent logged out.
///
/// On success, when `out_json` is not NULL, `*out_json` receives each step's answer (free with
/// `helix_string_free`): `{"logout":{"outcome":"not_logged_in","message":"…"},
/// "login":{"outcome":"logged_in","message":"…"},"ready":{…}}` (`ready` as
/// `helix_agent_set_ready` documents).
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_force_ready(
    agent: *const helix_agent,
    password: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "force ready")?;
        let password = arg_str!(password);
        let out = arg_opt_out!(out_json);
        let answer = agent.run(agent.agent().force_ready(password))??;
        out.write_json(&answer)
    }
}

/// Options for `helix_agent_dial`. Zero-initialise; NULL fields are not sent.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_dial_options {
    /// The campaign to dial on (NULL: the agent's `campaign`; neither is `HELIX_INVALID_INPUT`).
    pub campaign: *const c_char,
    /// User-to-user information carried with the call (`uui`).
    pub uui: *const c_char,
}

/// Dials `customer_number` (any common spelling) for the agent (`AgentManualDial`,
/// click-to-call). The agent must be logged in and Ready in manual or blended mode; otherwise
/// `HELIX_AGENT_STATE` ("Agent is not available"). `options` may be NULL.
///
/// On success `*out_ucid` receives the call's UCID as a decimal string (UCIDs exceed 2^53;
/// free it with `helix_string_free`), or NULL when Ozonetel's answer carried none.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_dial(
    agent: *const helix_agent,
    customer_number: *const c_char,
    options: *const helix_dial_options,
    out_ucid: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a manual dial")?;
        let number = arg_str!(customer_number);
        let out = arg_out!(out_ucid);
        let mut wanted = DialOptions::default();
        if !options.is_null() {
            let options = arg_ref!(options);
            wanted.campaign = arg_opt_str!(options.campaign, "options.campaign").map(str::to_string);
            wanted.uui = arg_opt_str!(options.uui, "options.uui").map(str::to_string);
        }
        let answer = agent.run(agent.agent().dial(number, wanted))??;
        out.write(answer.ucid.map(c_string).transpose()?.unwrap_or(std::ptr::null_mut()));
        Ok(())
    }
}

/// Options for `helix_agent_phone_dial`. Zero-initialise; zero/NULL fields are not sent.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_phone_dial_options {
    /// The campaign (`campaignName`; NULL: the agent's `campaign`, or none).
    pub campaign: *const c_char,
    /// User-to-user information (`uui`).
    pub uui: *const c_char,
    /// The longest the call may talk, in seconds (`callLimit`, 1 to 86 400; 0: not sent).
    pub call_limit_secs: u32,
    /// `checkStatus`: 0 leaves it out (Ozonetel's default), 1 sends true (withhold the call
    /// while the agent is busy), 2 sends false (dial regardless); anything else is
    /// `HELIX_INVALID_INPUT`.
    pub check_status: u32,
}

/// Dials `customer_number` from the agent's phone (`PhoneManualDial`): for an agent who is not
/// logged in to the toolbar. Needs the agent's `phone_name` and `did`. `options` may be NULL.
///
/// On success `*out_ucid` receives the UCID (from Ozonetel's `message`) as a decimal string
/// (free with `helix_string_free`), or NULL when the answer carried none.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_phone_dial(
    agent: *const helix_agent,
    customer_number: *const c_char,
    options: *const helix_phone_dial_options,
    out_ucid: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a phone dial")?;
        let number = arg_str!(customer_number);
        let out = arg_out!(out_ucid);
        let mut wanted = PhoneDialOptions::default();
        if !options.is_null() {
            let options = arg_ref!(options);
            wanted.campaign = arg_opt_str!(options.campaign, "options.campaign").map(str::to_string);
            wanted.uui = arg_opt_str!(options.uui, "options.uui").map(str::to_string);
            if options.call_limit_secs != 0 {
                wanted.call_limit = Some(Duration::from_secs(options.call_limit_secs.into()));
            }
            wanted.check_status = match options.check_status {
                0 => None,
                1 => Some(true),
                2 => Some(false),
                other => {
                    return Err(Failure::invalid(format!(
                        "options.check_status {other} is not 0 (unset), 1 (true) or 2 (false)"
                    )));
                }
            };
        }
        let answer = agent.run(agent.agent().phone_dial(number, wanted))??;
        out.write(answer.ucid.map(c_string).transpose()?.unwrap_or(std::ptr::null_mut()));
        Ok(())
    }
}

/// A disposition for `helix_agent_dispose`. Zero-initialise and set `code`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_disposition {
    /// Required: one of the account's disposition codes (`helix_ozonetel_dispositions`).
    pub code: *const c_char,
    /// Free-text comments (NULL: none).
    pub comments: *const c_char,
    /// Release the agent from ACW once saved (`autoRelease`; false keeps the agent in ACW).
    pub auto_release: bool,
    /// Pause the agent after the disposition, with this pause reason (`pauseAfterDispose`,
    /// `pauseReason`; NULL: do not pause; empty is `HELIX_INVALID_INPUT`).
    pub pause_reason: *const c_char,
    /// When to call back, the account's local time `"YYYY-MM-DD HH:MM:SS"` (or with a `T`);
    /// sent to the minute (`callBackTime`). NULL: no callback.
    pub callback_at: *const c_char,
}

/// What became of a disposition, written to `*out_outcome` by `helix_agent_dispose`. Values
/// start at 1.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_dispose_outcome {
    /// Set during the call: queued, applied when the call ends (the agent skips ACW).
    HELIX_DISPOSE_QUEUED = 1,
    /// Set after the call: saved (ends the agent's ACW when `auto_release`).
    HELIX_DISPOSE_SAVED = 2,
    /// The call already had a disposition ("This call is already Disposed."): nothing changed.
    HELIX_DISPOSE_ALREADY_DISPOSED = 3,
}

/// Sets the disposition of call `ucid` for the agent (`DispositionAPIV2`, `action=Set`).
/// Needs the agent's `did`.
///
/// On success, when `out_outcome` is not NULL, `*out_outcome` receives a
/// `helix_dispose_outcome`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_agent_dispose(
    agent: *const helix_agent,
    ucid: *const c_char,
    disposition: *const helix_disposition,
    out_outcome: *mut u32,
) -> helix_status {
    ffi! {
        let agent = agent_arg(agent, "a disposition")?;
        let ucid = arg_str!(ucid);
        let disposition = arg_ref!(disposition);
        let out = arg_opt_out!(out_outcome);
        let wanted = Disposition {
            code: arg_str!(disposition.code, "disposition.code").to_string(),
            comments: arg_opt_str!(disposition.comments, "disposition.comments")
                .map(str::to_string),
            auto_release: disposition.auto_release,
            pause_after: arg_opt_str!(disposition.pause_reason, "disposition.pause_reason")
                .map(str::to_string),
            callback_at: arg_opt_str!(disposition.callback_at, "disposition.callback_at")
                .map(|t| parse_local_date_time(t, "disposition.callback_at"))
                .transpose()?,
        };
        let outcome = match agent.run(agent.agent().dispose(ucid, wanted))?? {
            DispositionOutcome::Queued { .. } => helix_dispose_outcome::HELIX_DISPOSE_QUEUED,
            DispositionOutcome::Saved { .. } => helix_dispose_outcome::HELIX_DISPOSE_SAVED,
            DispositionOutcome::AlreadyDisposed { .. } => {
                helix_dispose_outcome::HELIX_DISPOSE_ALREADY_DISPOSED
            }
        };
        out.write(outcome as u32);
        Ok(())
    }
}
