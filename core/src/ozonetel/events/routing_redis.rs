//! The sidecar registry in Redis (feature `redis`), for sidecars and dispatchers in several
//! processes.
//!
//! Keys, per account (`{prefix}` as for [`RedisAccountStore`], `helix:ozonetel:` unless set;
//! `{account}`, `{sidecar}` and `{agent}` with `%` and `:` percent-encoded, so no id can reach
//! into another account's keys):
//!
//! | key | holds |
//! |---|---|
//! | `{prefix}{account}:routing:sidecar:{sidecar}` | hash: `url`, `agents` (JSON array of the agents it still serves); expires with the registration (`PX`) |
//! | `{prefix}{account}:routing:agent:{agent}` | the id of the sidecar serving the agent; expires with that sidecar's registration |
//! | `{prefix}{account}:routing:sidecars` | sorted set of sidecar ids by expiry (Redis `TIME`, ms), for the listing |
//!
//! Every operation is one Lua script, so it is atomic, and every time is the Redis server's
//! (`TIME`, `PX`/`PEXPIRE`): sidecars and dispatchers on hosts whose clocks differ agree on
//! what has expired. The scripts build keys from the prefix they are given, so the registry
//! needs a single Redis node (as the account store's scripts do), not Redis Cluster.

use std::sync::LazyLock;
use std::time::Duration;

use futures::future::BoxFuture;

use super::routing::{DisplacedAgent, SidecarEntry, SidecarRoute, SidecarStore};
use crate::error::{Error, Result};
use crate::ozonetel::{AccountStore, RedisAccountStore};

/// A [`SidecarStore`] in Redis.
///
/// ```no_run
/// # async fn demo() -> helix_engage::Result<()> {
/// use std::time::Duration;
/// use helix_engage::ozonetel::{RedisSidecarStore, SidecarRegistry};
/// let store = RedisSidecarStore::connect("redis://127.0.0.1:6379/").await?;
/// let registry = SidecarRegistry::new("acme", store)?;
/// registry
///     .register("whitefield-1", "http://10.0.0.7:3000/events", &["asha"], Duration::from_secs(30))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RedisSidecarStore {
    redis: RedisAccountStore,
}

impl RedisSidecarStore {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`) with the key prefix
    /// `helix:ozonetel:`. `transport` when Redis cannot be reached, `invalid_input` for a URL
    /// that is not one (neither error repeats the password).
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self::sharing(&RedisAccountStore::connect(url).await?))
    }

    /// Connects with a custom key prefix (to keep environments apart on one Redis).
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<Self> {
        Ok(Self::sharing(
            &RedisAccountStore::connect_with_prefix(url, prefix).await?,
        ))
    }

    /// A store that checks the URL now and connects on first use.
    pub fn lazy(url: &str, prefix: &str) -> Result<Self> {
        Ok(Self::sharing(&RedisAccountStore::lazy(url, prefix)?))
    }

    /// The registry on an account store's connection and prefix (a sidecar that already shares
    /// its token through Redis needs no second connection).
    pub fn sharing(store: &RedisAccountStore) -> Self {
        RedisSidecarStore {
            redis: store.clone(),
        }
    }

    /// `{prefix}{account}:routing:`, the account percent-encoded.
    fn base(&self, account: &str) -> String {
        format!("{}{}:routing:", self.redis.prefix(), encode(account))
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        account: &str,
        args: &[&str],
    ) -> Result<T> {
        let mut c = self.redis.connection().await?;
        let mut invocation = script.prepare_invoke();
        invocation.arg(self.base(account));
        for a in args {
            invocation.arg(*a);
        }
        invocation.invoke_async(&mut c).await.map_err(redis_error)
    }
}

fn redis_error(e: redis::RedisError) -> Error {
    // A command failure's text names the command and the server's reply, never the URL.
    Error::Transport(format!("sidecar registry (Redis): {e}"))
}

/// `%` → `%25`, `:` → `%3A`: ids cannot contain the key separator, so `a:agent:x` as an account
/// is not account `a`'s agent `x`. The scripts' `enc` is the same rule.
fn encode(id: &str) -> String {
    id.replace('%', "%25").replace(':', "%3A")
}

/// What every script starts with: the key encoding, JSON lists that stay arrays when empty
/// (cjson writes `{}` for an empty table), and the server's clock in ms.
const PRELUDE: &str = r"
local function enc(s) return (string.gsub(s, '[%%:]', {['%'] = '%25', [':'] = '%3A'})) end
local function json_list(t) if #t == 0 then return '[]' end return cjson.encode(t) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local base = ARGV[1]
local function sidecar_key(id) return base .. 'sidecar:' .. enc(id) end
local function agent_key(id) return base .. 'agent:' .. enc(id) end
local function index_key() return base .. 'sidecars' end
-- Whole numbers as text: older Redis turned Lua numbers into 14-digit text (%.14g).
local function list_until(id, now, ttl)
  redis.call('ZREMRANGEBYSCORE', index_key(), '-inf', string.format('%.0f', now))
  redis.call('ZADD', index_key(), string.format('%.0f', now + ttl), id)
  redis.call('PEXPIRE', index_key(), 3660000)
end
";

/// ARGV: base, sidecar id, url, ttl ms, agents (JSON array, distinct, in the caller's order).
/// Returns the displaced agents as a flat list: agent, previous sidecar, agent, …
const REGISTER: &str = r"
local sid, url, ttl = ARGV[2], ARGV[3], ARGV[4]
local agents = cjson.decode(ARGV[5])
local now = now_ms()
local skey = sidecar_key(sid)
local wanted = {}
for _, a in ipairs(agents) do wanted[a] = true end
-- Agents this sidecar served before and no longer names stop routing to it now.
local old = redis.call('HGET', skey, 'agents')
if old then
  for _, a in ipairs(cjson.decode(old)) do
    if not wanted[a] and redis.call('GET', agent_key(a)) == sid then
      redis.call('DEL', agent_key(a))
    end
  end
end
local displaced, losers = {}, {}
for _, a in ipairs(agents) do
  local holder = redis.call('GET', agent_key(a))
  if holder and holder ~= sid and redis.call('EXISTS', sidecar_key(holder)) == 1 then
    table.insert(displaced, a)
    table.insert(displaced, holder)
    losers[holder] = losers[holder] or {}
    losers[holder][a] = true
  end
  redis.call('SET', agent_key(a), sid, 'PX', ttl)
end
-- The earlier sidecars' lists lose the taken agents (their heartbeats report the rest).
for holder, lost in pairs(losers) do
  local kept = {}
  for _, a in ipairs(cjson.decode(redis.call('HGET', sidecar_key(holder), 'agents') or '[]')) do
    if not lost[a] then table.insert(kept, a) end
  end
  redis.call('HSET', sidecar_key(holder), 'agents', json_list(kept))
end
local sorted = {}
for i, a in ipairs(agents) do sorted[i] = a end
table.sort(sorted)
redis.call('DEL', skey)
redis.call('HSET', skey, 'url', url, 'agents', json_list(sorted))
redis.call('PEXPIRE', skey, ttl)
list_until(sid, now, tonumber(ttl))
return displaced
";

/// ARGV: base, sidecar id, ttl ms. The agents it still serves, or nil when not registered.
const HEARTBEAT: &str = r"
local sid, ttl = ARGV[2], ARGV[3]
local skey = sidecar_key(sid)
local list = redis.call('HGET', skey, 'agents')
if not list then return false end
local now = now_ms()
redis.call('PEXPIRE', skey, ttl)
local kept = {}
for _, a in ipairs(cjson.decode(list)) do
  if redis.call('GET', agent_key(a)) == sid then
    redis.call('PEXPIRE', agent_key(a), ttl)
    table.insert(kept, a)
  end
end
redis.call('HSET', skey, 'agents', json_list(kept))
list_until(sid, now, tonumber(ttl))
return kept
";

/// ARGV: base, sidecar id. 1 when it was registered.
const DEREGISTER: &str = r"
local sid = ARGV[2]
local skey = sidecar_key(sid)
redis.call('ZREM', index_key(), sid)
local list = redis.call('HGET', skey, 'agents')
if not list then return 0 end
for _, a in ipairs(cjson.decode(list)) do
  if redis.call('GET', agent_key(a)) == sid then redis.call('DEL', agent_key(a)) end
end
redis.call('DEL', skey)
return 1
";

/// ARGV: base, agent id. {sidecar id, url}, or nil.
const LOOKUP: &str = r"
local sid = redis.call('GET', agent_key(ARGV[2]))
if not sid then return false end
local url = redis.call('HGET', sidecar_key(sid), 'url')
if not url then return false end
return {sid, url}
";

/// ARGV: base. A flat list: id, url, agents (JSON), ms left, id, …
const LIST: &str = r"
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', index_key(), '-inf', string.format('%.0f', now))
local out = {}
for _, sid in ipairs(redis.call('ZRANGE', index_key(), 0, -1)) do
  local v = redis.call('HMGET', sidecar_key(sid), 'url', 'agents')
  local left = redis.call('PTTL', sidecar_key(sid))
  if v[1] and v[2] and left > 0 then
    table.insert(out, sid)
    table.insert(out, v[1])
    table.insert(out, v[2])
    table.insert(out, tostring(left))
  end
end
return out
";

fn script(body: &str) -> redis::Script {
    redis::Script::new(&format!("{PRELUDE}{body}"))
}

static REGISTER_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| script(REGISTER));
static HEARTBEAT_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| script(HEARTBEAT));
static DEREGISTER_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| script(DEREGISTER));
static LOOKUP_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| script(LOOKUP));
static LIST_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| script(LIST));

fn ttl_ms(ttl: Duration) -> String {
    ttl.as_millis().max(1).to_string()
}

fn agents_of(json: &str) -> Result<Vec<String>> {
    serde_json::from_str(json).map_err(|_| {
        Error::protocol(
            "sidecar registry (Redis): an agent list is not a JSON array of strings",
            json,
        )
    })
}

impl SidecarStore for RedisSidecarStore {
    fn location(&self) -> String {
        // Address, database and prefix: never the password.
        self.redis.location().unwrap_or_default()
    }

    fn register<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
        url: &'a str,
        agent_ids: &'a [String],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Vec<DisplacedAgent>>> {
        Box::pin(async move {
            let agents = serde_json::to_string(agent_ids)
                .map_err(|e| Error::invalid(format!("agent_ids: {e}")))?;
            let flat: Vec<String> = self
                .run(
                    &REGISTER_SCRIPT,
                    account,
                    &[sidecar_id, url, &ttl_ms(ttl), &agents],
                )
                .await?;
            Ok(flat
                .chunks_exact(2)
                .map(|pair| DisplacedAgent {
                    agent_id: pair[0].clone(),
                    from_sidecar_id: pair[1].clone(),
                })
                .collect())
        })
    }

    fn heartbeat<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>>> {
        Box::pin(async move {
            self.run(&HEARTBEAT_SCRIPT, account, &[sidecar_id, &ttl_ms(ttl)])
                .await
        })
    }

    fn deregister<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let n: i64 = self.run(&DEREGISTER_SCRIPT, account, &[sidecar_id]).await?;
            Ok(n == 1)
        })
    }

    fn lookup<'a>(
        &'a self,
        account: &'a str,
        agent_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SidecarRoute>>> {
        Box::pin(async move {
            let found: Option<(String, String)> =
                self.run(&LOOKUP_SCRIPT, account, &[agent_id]).await?;
            Ok(found.map(|(sidecar_id, url)| SidecarRoute { sidecar_id, url }))
        })
    }

    fn sidecars<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<Vec<SidecarEntry>>> {
        Box::pin(async move {
            let flat: Vec<String> = self.run(&LIST_SCRIPT, account, &[]).await?;
            let mut list = Vec::with_capacity(flat.len() / 4);
            for row in flat.chunks_exact(4) {
                let mut agent_ids = agents_of(&row[2])?;
                agent_ids.sort();
                list.push(SidecarEntry {
                    sidecar_id: row[0].clone(),
                    url: row[1].clone(),
                    agent_ids,
                    expires_in: Duration::from_millis(row[3].parse().unwrap_or(0)),
                });
            }
            list.sort_by(|a, b| a.sidecar_id.cmp(&b.sidecar_id));
            Ok(list)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_reach_into_another_accounts_keys() {
        assert_eq!(encode("acme"), "acme");
        assert_eq!(encode("a:agent:x"), "a%3Aagent%3Ax");
        assert_eq!(encode("100%"), "100%25");
        // Without escaping '%', "a%3A" and "a:" would share a key.
        assert_ne!(encode("a%3A"), encode("a:"));
    }
}
