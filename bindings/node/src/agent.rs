//! `OzonetelAgent`: the core's `Agent` for JS — everything that acts as one agent of one
//! account. Made only by `OzonetelClient.agent({ id, … })`; there is no default agent and no
//! environment fallback, so a request can only act as the agent the host named.

use helix_engage::ozonetel::{Agent, AgentRef, CallAction, Client, TransferMode};
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
