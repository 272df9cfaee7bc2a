//! `OzonetelAgent`: the core's `Agent` for JS — everything that acts as one agent of one
//! account. Made only by `OzonetelClient.agent({ id, … })`; there is no default agent and no
//! environment fallback, so a request can only act as the agent the host named.

use std::time::Duration;

use helix_engage::ozonetel::{
    Agent, AgentRef, CallAction, Client, DialOptions, Disposition, PhoneDialOptions, TransferMode,
    parse_local_date_time,
};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown, ValueType};
use napi_derive::napi;
use serde::Deserialize;

use crate::args;
use crate::error::{invalid, throw, to_napi};
use crate::ozonetel::Transfer;
use crate::promise::{arg, settle, settle_with};

/// `AgentRef` (types.d.ts).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AgentRefArg {
    id: String,
    phone_name: Option<String>,
    number: Option<String>,
    campaign: Option<String>,
    did: Option<String>,
}

/// `CallControlRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CallControlArg {
    action: String,
    ucid: String,
    conference_number: Option<String>,
}

/// `TransferRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransferArg {
    ucid: String,
    target: String,
    mode: Option<TransferModeArg>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum TransferModeArg {
    Warm,
    Cold,
}

/// `DialOptions`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DialArg {
    uui: Option<String>,
    campaign: Option<String>,
}

/// `PhoneDialOptions`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PhoneDialArg {
    call_limit_secs: Option<u64>,
    check_status: Option<bool>,
    campaign: Option<String>,
    uui: Option<String>,
}

/// `Disposition`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DispositionArg {
    code: String,
    comments: Option<String>,
    callback_at: Option<String>,
    pause_after: Option<String>,
    auto_release: Option<bool>,
}

/// One agent of one account. Cheap: it shares its client's token, budget and pace.
#[napi]
pub struct OzonetelAgent {
    agent: Agent,
}

impl OzonetelAgent {
    /// `client.agent(agentRef)`: converts the JS object, then the core checks every field.
    pub(crate) fn new(env: &Env, client: &Client, value: Unknown) -> napi::Result<Self> {
        if matches!(value.get_type()?, ValueType::Undefined | ValueType::Null) {
            return Err(invalid(
                env,
                "agent must be an object { id, phoneName?, number?, campaign?, did? }: every \
                 agent-scoped call names its agent; there is no default",
            ));
        }
        let a: AgentRefArg = args::object(env, value, "agent")?;
        let agent = client
            .agent(AgentRef {
                id: a.id,
                phone_name: a.phone_name,
                number: a.number,
                campaign: a.campaign,
                did: a.did,
            })
            .map_err(|e| throw(env, e))?;
        Ok(OzonetelAgent { agent })
    }
}

#[napi]
impl OzonetelAgent {
    /// Not for JS: `new OzonetelAgent()` throws `INVALID_INPUT`. An agent is made by
    /// `client.agent({ id, … })`, which ties it to its account; there is no agent without one.
    #[napi(constructor)]
    pub fn new_from_js(env: Env) -> napi::Result<Self> {
        Err(invalid(
            &env,
            "an OzonetelAgent is made by client.agent({ id, phoneName?, number?, campaign?, did? })",
        ))
    }

    /// The agent id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.agent.id().to_string()
    }

    /// The SIP extension / phone name, when given.
    #[napi(getter)]
    pub fn phone_name(&self) -> Option<String> {
        self.agent.phone_name().map(str::to_string)
    }

    /// The campaign manual dials go out on, when given.
    #[napi(getter)]
    pub fn campaign(&self) -> Option<String> {
        self.agent.campaign().map(str::to_string)
    }

    /// The DID, when given.
    #[napi(getter)]
    pub fn did(&self) -> Option<String> {
        self.agent.did().map(str::to_string)
    }

    /// Applies a call-control action (`CallControl_V4`) as this agent (its `did` and
    /// `phoneName` are required). CONFERENCE and KICK_CALL need `conferenceNumber`, and are
    /// never resent once they may have reached Ozonetel.
    #[napi(
        ts_args_type = "request: CallControlRequest",
        ts_return_type = "Promise<CallControlResponse>"
    )]
    pub fn call_control<'env>(
        &self,
        env: &'env Env,
        request: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let req: CallControlArg = arg!(env, args::object(env, request, "request"));
        let action = arg!(
            env,
            CallAction::parse(&req.action).map_err(|e| to_napi(env, &e))
        );
        let agent = self.agent.clone();
        settle(env, async move {
            agent
                .call_control(action, &req.ucid, req.conference_number.as_deref())
                .await
        })
    }
}

/// Generates `OzonetelAgent`'s call-control shortcuts from one table, in their own `#[napi]`
/// block (napi-rs merges the blocks of a class; this one sits between the others so the
/// generated `index.d.ts` keeps its order). Each row: the doc (a string literal: napi-rs would
/// print a `///` passed through `macro_rules!` as `r"…"`), JS name and arguments, the core's
/// `CallAction`, the TypeScript arguments. Every shortcut goes through the same
/// `Agent::call_control` as `callControl({ action, ucid, conferenceNumber })`, so the rules
/// (UCID checks, a number for CONFERENCE/KICK_CALL, never resending those) are the core's.
macro_rules! call_control_shortcuts {
    ($($doc:tt $name:ident(ucid $(, $number:ident)?) => $action:ident, $ts:literal;)*) => {
        #[napi]
        impl OzonetelAgent {
            $(
                #[doc = $doc]
                #[napi(ts_args_type = $ts, ts_return_type = "Promise<CallControlResponse>")]
                pub fn $name<'env>(
                    &self,
                    env: &'env Env,
                    ucid: Unknown,
                    $($number: Unknown,)?
                ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
                    let number: Option<Unknown> = None $(.or(Some($number)))?;
                    self.shortcut(env, CallAction::$action, ucid, number)
                }
            )*
        }
    };
}

call_control_shortcuts! {
    " Puts the customer on hold."
    hold(ucid) => Hold, "ucid: string";
    " Takes the customer off hold."
    unhold(ucid) => Unhold, "ucid: string";
    " Mutes the customer's leg."
    mute(ucid) => Mute, "ucid: string";
    " Unmutes the customer's leg."
    unmute(ucid) => Unmute, "ucid: string";
    " Dials `number` into the call (CONFERENCE)."
    conference(ucid, number) => Conference, "ucid: string, number: string";
    " Drops the party `number` from the call (KICK_CALL)."
    kick(ucid, number) => KickCall, "ucid: string, number: string";
}

#[napi]
impl OzonetelAgent {
    /// Starts a transfer (the agent's `number` is required: completing drops the agent by
    /// it): conferences the target in; a cold transfer also drops the agent at once. Resolves
    /// with a `Transfer` to `complete()` or `cancel()` (warm).
    #[napi(
        ts_args_type = "request: TransferRequest",
        ts_return_type = "Promise<Transfer>"
    )]
    pub fn transfer<'env>(
        &self,
        env: &'env Env,
        request: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Transfer>> {
        let req: TransferArg = arg!(env, args::object(env, request, "request"));
        let mode = match req.mode {
            None | Some(TransferModeArg::Warm) => TransferMode::Warm,
            Some(TransferModeArg::Cold) => TransferMode::Cold,
        };
        let agent = self.agent.clone();
        settle_with(
            env,
            async move { agent.transfer(&req.ucid, &req.target, mode).await },
            |_, inner| Ok(Transfer::from(inner)),
        )
    }
}

impl OzonetelAgent {
    /// A method taking one string (a password, a reason): converts it, then calls the core.
    fn with_text<'env, T, F, Fut>(
        &self,
        env: &'env Env,
        value: Unknown,
        name: &str,
        call: F,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>>
    where
        T: serde::Serialize + Send + 'static,
        F: FnOnce(Agent, String) -> Fut,
        Fut: std::future::Future<Output = helix_engage::Result<T>> + Send + 'static,
    {
        let text = arg!(env, args::string(env, value, name));
        settle(env, call(self.agent.clone(), text))
    }

    /// One call-control shortcut: converts the arguments, then calls the core.
    fn shortcut<'env>(
        &self,
        env: &'env Env,
        action: CallAction,
        ucid: Unknown,
        number: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let ucid = arg!(env, args::string(env, ucid, "ucid"));
        let number = match number {
            Some(number) => Some(arg!(env, args::string(env, number, "number"))),
            None => None,
        };
        let agent = self.agent.clone();
        settle(env, async move {
            agent.call_control(action, &ucid, number.as_deref()).await
        })
    }
}

/// The agent desk: login, state, dials, disposition. Each converts its arguments and calls
/// the core, whose checks (a field the agent was made without, an empty password, a number
/// that cannot be dialled) reject `INVALID_INPUT` before anything is sent, and whose typed
/// refusals (`AGENT_STATE` with `refusal`) reach JS as they are.
#[napi]
impl OzonetelAgent {
    /// Logs the agent in (virtually: calls ring the agent's `number`; the toolbar UI is not
    /// logged in). Needs the agent's `number`. `already_logged_in` is an outcome, not an
    /// error; a wrong id or password is `AUTH` (Ozonetel does not say which). The password
    /// is never echoed.
    #[napi(
        ts_args_type = "password: string",
        ts_return_type = "Promise<LoginResponse>"
    )]
    pub fn login<'env>(
        &self,
        env: &'env Env,
        password: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.with_text(env, password, "password", |agent, password| async move {
            agent.login(&password).await
        })
    }

    /// Logs the agent out; `not_logged_in` (already out) is an outcome, not an error.
    #[napi(
        ts_args_type = "password: string",
        ts_return_type = "Promise<LoginResponse>"
    )]
    pub fn logout<'env>(
        &self,
        env: &'env Env,
        password: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.with_text(env, password, "password", |agent, password| async move {
            agent.logout(&password).await
        })
    }

    /// Makes the agent Ready (`changeAgentState`, with `phoneName` when the agent has one).
    /// Refused in ACW or BUSY
    /// or when logged out: `AGENT_STATE` with `refusal` `in_acw`, `busy`, `not_logged_in`.
    #[napi(ts_return_type = "Promise<AgentStateResponse>")]
    pub fn set_ready<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let agent = self.agent.clone();
        settle(env, async move { agent.set_ready().await })
    }

    /// Pauses the agent for `reason`, one of the account's pause reasons (an unknown one is
    /// `INVALID_INPUT`). Refusals as for `setReady`.
    #[napi(
        ts_args_type = "reason: string",
        ts_return_type = "Promise<AgentStateResponse>"
    )]
    pub fn pause<'env>(
        &self,
        env: &'env Env,
        reason: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.with_text(env, reason, "reason", |agent, reason| async move {
            agent.pause(&reason).await
        })
    }

    /// The way out of a stuck ACW: logout, login, Ready, each step reported. Needs the
    /// password and the agent's `number`; a failure after the logout leaves the agent out.
    #[napi(
        ts_args_type = "password: string",
        ts_return_type = "Promise<ForceReadyResponse>"
    )]
    pub fn force_ready<'env>(
        &self,
        env: &'env Env,
        password: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.with_text(env, password, "password", |agent, password| async move {
            agent.force_ready(&password).await
        })
    }

    /// Dials `customer` from the agent's toolbar (`AgentManualDial`) on the agent's campaign
    /// (or `options.campaign`); resolves with the new call's UCID. The agent must be logged in
    /// and Ready (else `AGENT_STATE`, `refusal: 'not_available'`). Never resent.
    #[napi(
        ts_args_type = "customer: string, options?: DialOptions",
        ts_return_type = "Promise<DialResponse>"
    )]
    pub fn dial<'env>(
        &self,
        env: &'env Env,
        customer: Unknown,
        options: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let customer = arg!(env, args::string(env, customer, "customer"));
        let o: DialArg = arg!(env, args::optional_object(env, options, "options"));
        let agent = self.agent.clone();
        let options = DialOptions {
            uui: o.uui,
            campaign: o.campaign,
        };
        settle(env, async move { agent.dial(&customer, options).await })
    }

    /// Dials `customer` for an offline agent (`PhoneManualDial`: Ozonetel rings the agent's
    /// phone, then the customer, from the agent's `did`; needs `phoneName` and `did`).
    /// Never resent.
    #[napi(
        ts_args_type = "customer: string, options?: PhoneDialOptions",
        ts_return_type = "Promise<DialResponse>"
    )]
    pub fn phone_dial<'env>(
        &self,
        env: &'env Env,
        customer: Unknown,
        options: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let customer = arg!(env, args::string(env, customer, "customer"));
        let o: PhoneDialArg = arg!(env, args::optional_object(env, options, "options"));
        let agent = self.agent.clone();
        let options = PhoneDialOptions {
            call_limit: o.call_limit_secs.map(Duration::from_secs),
            check_status: o.check_status,
            campaign: o.campaign,
            uui: o.uui,
        };
        settle(
            env,
            async move { agent.phone_dial(&customer, options).await },
        )
    }

    /// Disposes the call `ucid` (`DispositionAPIV2`; needs the agent's `did`). During the
    /// call it is queued, after it saved, a second time `already_disposed` — outcomes, not
    /// errors. Setting it ends the agent's ACW. Never resent.
    #[napi(
        ts_args_type = "ucid: string, disposition: Disposition",
        ts_return_type = "Promise<DispositionOutcome>"
    )]
    pub fn dispose<'env>(
        &self,
        env: &'env Env,
        ucid: Unknown,
        disposition: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let ucid = arg!(env, args::string(env, ucid, "ucid"));
        let d: DispositionArg = arg!(env, args::object(env, disposition, "disposition"));
        let callback_at = arg!(
            env,
            d.callback_at
                .map(|t| parse_local_date_time(&t, "callbackAt"))
                .transpose()
                .map_err(|e| to_napi(env, &e))
        );
        let disposition = Disposition {
            code: d.code,
            comments: d.comments,
            callback_at,
            pause_after: d.pause_after,
            auto_release: d.auto_release.unwrap_or(false),
        };
        let agent = self.agent.clone();
        settle(env, async move { agent.dispose(&ucid, disposition).await })
    }
}
