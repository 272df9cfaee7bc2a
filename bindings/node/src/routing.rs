//! `SidecarRegistry`: the core's sidecar registry in Redis (`helix_engage::ozonetel::
//! SidecarRegistry` on a `RedisSidecarStore`) for JS — a sidecar registers the agents it
//! serves so `helix events dispatch` forwards their events to it.

use std::time::Duration;

use helix_engage::ozonetel::{self as core, RedisSidecarStore, SidecarEntry};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::args;
use crate::error::to_napi;
use crate::promise::{arg, settle, settle_with};

/// `SidecarRegistryOptions` (types.d.ts).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegistryOptions {
    prefix: Option<String>,
}

/// `SidecarInfo`: the core's entry with its TTL in milliseconds, named so in JS.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SidecarInfo {
    sidecar_id: String,
    url: String,
    agent_ids: Vec<String>,
    expires_in_ms: u64,
}

impl From<SidecarEntry> for SidecarInfo {
    fn from(e: SidecarEntry) -> Self {
        SidecarInfo {
            sidecar_id: e.sidecar_id,
            url: e.url,
            agent_ids: e.agent_ids,
            expires_in_ms: u64::try_from(e.expires_in.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The sidecar registry of one account in Redis: which sidecar serves which agents.
#[napi]
pub struct SidecarRegistry {
    registry: core::SidecarRegistry,
}

#[napi]
impl SidecarRegistry {
    /// Connects to the registry of `account` (the Ozonetel user name) in the Redis at
    /// `redisUrl`, keys under `options.prefix` (default `helix:ozonetel:`, the dispatcher's).
    /// Rejects `INVALID_INPUT` for a bad account or URL, `TRANSPORT` when Redis cannot be
    /// reached; neither repeats the password.
    #[napi(
        ts_args_type = "account: string, redisUrl: string, options?: SidecarRegistryOptions",
        ts_return_type = "Promise<SidecarRegistry>"
    )]
    pub fn connect<'env>(
        env: &'env Env,
        account: Unknown,
        redis_url: Unknown,
        options: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, SidecarRegistry>> {
        let account = arg!(env, args::string(env, account, "account"));
        let url = arg!(env, args::string(env, redis_url, "redisUrl"));
        let o: RegistryOptions = arg!(env, args::optional_object(env, options, "options"));
        let prefix = o.prefix.unwrap_or_else(|| "helix:ozonetel:".to_string());
        // The account and URL are checked before connecting: a typo is INVALID_INPUT even
        // while Redis is down.
        arg!(
            env,
            RedisSidecarStore::lazy(&url, &prefix)
                .and_then(|store| core::SidecarRegistry::new(&account, store))
                .map_err(|e| to_napi(env, &e))
        );
        settle_with(
            env,
            async move {
                let store = RedisSidecarStore::connect_with_prefix(&url, &prefix).await?;
                core::SidecarRegistry::new(&account, store)
            },
            |_, registry| Ok(SidecarRegistry { registry }),
        )
    }

    /// The account this registry serves.
    #[napi(getter)]
    pub fn account(&self) -> String {
        self.registry.account().to_string()
    }

    /// Registers (or re-registers) `sidecarId` as the sidecar serving `agentIds`, its events
    /// POSTed to `url`, for `ttlMs` (1 000..=3 600 000). Its previous agent list is replaced;
    /// the latest registration of an agent wins, and the agents taken from other live sidecars
    /// are listed in `displaced`.
    #[napi(
        ts_args_type = "sidecarId: string, url: string, agentIds: string[], ttlMs: number",
        ts_return_type = "Promise<SidecarRegistration>"
    )]
    pub fn register<'env>(
        &self,
        env: &'env Env,
        sidecar_id: Unknown,
        url: Unknown,
        agent_ids: Unknown,
        ttl_ms: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let sidecar_id = arg!(env, args::string(env, sidecar_id, "sidecarId"));
        let url = arg!(env, args::string(env, url, "url"));
        let agent_ids: Vec<String> = arg!(env, args::array(env, agent_ids, "agentIds"));
        let ttl = Duration::from_millis(arg!(env, args::millis(env, ttl_ms, "ttlMs")));
        let registry = self.registry.clone();
        settle(env, async move {
            registry.register(&sidecar_id, &url, &agent_ids, ttl).await
        })
    }

    /// Keeps `sidecarId`'s registration alive for `ttlMs` from now. Resolves with the agents
    /// it still serves (fewer when a later registration took some), or `null` when the
    /// registration expired or was removed: register again.
    #[napi(
        ts_args_type = "sidecarId: string, ttlMs: number",
        ts_return_type = "Promise<string[] | null>"
    )]
    pub fn heartbeat<'env>(
        &self,
        env: &'env Env,
        sidecar_id: Unknown,
        ttl_ms: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let sidecar_id = arg!(env, args::string(env, sidecar_id, "sidecarId"));
        let ttl = Duration::from_millis(arg!(env, args::millis(env, ttl_ms, "ttlMs")));
        let registry = self.registry.clone();
        settle(
            env,
            async move { registry.heartbeat(&sidecar_id, ttl).await },
        )
    }

    /// Removes `sidecarId`'s registration and its agents at once (a clean shutdown); `true`
    /// when it was live.
    #[napi(
        ts_args_type = "sidecarId: string",
        ts_return_type = "Promise<boolean>"
    )]
    pub fn deregister<'env>(
        &self,
        env: &'env Env,
        sidecar_id: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let sidecar_id = arg!(env, args::string(env, sidecar_id, "sidecarId"));
        let registry = self.registry.clone();
        settle(env, async move { registry.deregister(&sidecar_id).await })
    }

    /// The live sidecar serving `agentId`, or `null`.
    #[napi(
        ts_args_type = "agentId: string",
        ts_return_type = "Promise<SidecarRoute | null>"
    )]
    pub fn lookup<'env>(
        &self,
        env: &'env Env,
        agent_id: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let agent_id = arg!(env, args::string(env, agent_id, "agentId"));
        let registry = self.registry.clone();
        settle(env, async move { registry.lookup(&agent_id).await })
    }

    /// Every live sidecar of the account, by id.
    #[napi(ts_return_type = "Promise<SidecarInfo[]>")]
    pub fn sidecars<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let registry = self.registry.clone();
        settle(env, async move {
            let entries = registry.sidecars().await?;
            Ok(entries
                .into_iter()
                .map(SidecarInfo::from)
                .collect::<Vec<_>>())
        })
    }
}
