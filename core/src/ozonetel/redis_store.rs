//! A [`AccountStore`] in Redis, for several processes (sidecar replicas) on one account.
//!
//! Keys, per account (`{prefix}` is `helix:ozonetel:` unless set):
//!
//! | key | holds |
//! |---|---|
//! | `{prefix}{account}:token` | the token as JSON, expiring with it |
//! | `{prefix}{account}:lock` | the generation lock (`SET NX PX`, released by compare-and-delete) |
//! | `{prefix}{account}:generations` | sorted set of generation times, for the hourly budget |
//! | `{prefix}{account}:slots:{name}` | sorted set of slot start times (Redis `TIME`, µs) for the rate window `name` (`cdr`: the CDR pace) |
//! | `{prefix}{account}:lease:{name}` | the lease holder's id, expiring with the lease (`PX`) |
//! | `{prefix}{account}:value:{name}` | a shared value (the watcher's last list), expiring with its TTL |
//! | `{prefix}{account}:routing:…` | the sidecar registry ([`RedisSidecarStore`](super::RedisSidecarStore), keys in its docs) |
//!
//! Slots, leases and values are timed by the Redis server alone (`TIME` inside a script,
//! `PX` expiries), so processes on hosts whose clocks differ — or jump — still share one window.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::account_store::{AccountStore, StoredToken, unix_millis};
use crate::error::{Error, Result};

/// Shares an account's token, generation lock, hourly budget, CDR pace and watcher lease
/// through Redis.
///
/// ```no_run
/// # async fn demo() -> helix_engage::Result<()> {
/// use helix_engage::ozonetel::{Client, RedisAccountStore};
/// let store = RedisAccountStore::connect("redis://127.0.0.1:6379").await?;
/// let client = Client::builder().user_name("acme").api_key("key").account_store(store).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisAccountStore {
    client: redis::Client,
    /// Opened on first use by [`RedisAccountStore::lazy`] stores, at once by `connect`.
    connection: Arc<OnceCell<ConnectionManager>>,
    prefix: String,
}

impl fmt::Debug for RedisAccountStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAccountStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn redis_error(e: redis::RedisError) -> Error {
    // Redis URLs may carry a password; the error text of a command failure does not.
    Error::Transport(format!("account store (Redis): {e}"))
}

const UNLOCK_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Takes (ARGV[4] = 1) or peeks at (0) a slot in the rolling window of the sorted set KEYS[1]:
/// ARGV[1] the limit, ARGV[2] the window in µs, ARGV[3] a unique member. Returns 0 when a
/// slot was free (and, taking, recorded), else the µs until the oldest counted slot leaves.
/// Redis 5+ replicates a script's effects, so reading `TIME` before writing is allowed.
const SLOT_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
-- Whole numbers as text: older Redis turned Lua numbers into 14-digit text (%.14g).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  if ARGV[4] == '1' then
    redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
    redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(window / 1000) + 1000))
  end
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))";

/// Sets KEYS[1] to ARGV[1] for ARGV[2] ms when it is unset or already ARGV[1]; 1 when set.
const LEASE_SCRIPT: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0";

/// Milliseconds for a Redis `PX`, at least 1 (0 is an error there).
fn px(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisAccountStore {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`) with the key prefix
    /// `helix:ozonetel:`.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with_prefix(url, "helix:ozonetel:").await
    }

    /// Connects with a custom key prefix (to keep environments apart on one Redis).
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<Self> {
        let store = Self::lazy(url, prefix)?;
        store.connection().await?;
        Ok(store)
    }

    /// A store that checks the URL now and connects on first use — for hosts that build their
    /// client synchronously (a constructor in a binding). A Redis that is down then shows as
    /// a `transport` error on the first call that needs a token.
    pub fn lazy(url: &str, prefix: &str) -> Result<Self> {
        // By size first: a 10 MB paste is refused without being parsed (or repeated: the URL
        // may carry a password).
        crate::range::bytes("the Redis URL", url, crate::range::MAX_URL_BYTES)?;
        let client = redis::Client::open(url)
            .map_err(|_| Error::invalid("the Redis URL is not valid (redis://host:port/db)"))?;
        Ok(RedisAccountStore {
            client,
            connection: Arc::new(OnceCell::new()),
            prefix: prefix.to_string(),
        })
    }

    /// The shared connection (also the sidecar registry's, `events/routing_redis.rs`).
    pub(crate) async fn connection(&self) -> Result<ConnectionManager> {
        let manager = self
            .connection
            .get_or_try_init(|| async {
                // Bounded: a token store that is down must fail a call in seconds, not stall
                // it while the connection manager retries for minutes.
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(2)
                    .set_max_delay(500)
                    .set_connection_timeout(Duration::from_secs(3))
                    .set_response_timeout(Duration::from_secs(3));
                ConnectionManager::new_with_config(self.client.clone(), config)
                    .await
                    .map_err(redis_error)
            })
            .await?;
        Ok(manager.clone())
    }

    /// The key prefix (`helix:ozonetel:` unless set).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, account: &str, what: &str) -> String {
        format!("{}{account}:{what}", self.prefix)
    }

    async fn slot(
        &self,
        account: &str,
        name: &str,
        limit: u32,
        window: Duration,
        take: bool,
    ) -> Result<Duration> {
        let mut c = self.connection().await?;
        let member = format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        let micros: u64 = redis::Script::new(SLOT_SCRIPT)
            .key(self.key(account, &format!("slots:{name}")))
            .arg(limit.max(1))
            .arg(u64::try_from(window.as_micros()).unwrap_or(u64::MAX).max(1))
            .arg(member)
            .arg(if take { "1" } else { "0" })
            .invoke_async(&mut c)
            .await
            .map_err(redis_error)?;
        Ok(Duration::from_micros(micros))
    }
}

impl AccountStore for RedisAccountStore {
    fn location(&self) -> Option<String> {
        // Address, database and prefix: never the password the URL may carry.
        let info = self.client.get_connection_info();
        Some(format!(
            "redis://{}/{}#{}",
            info.addr, info.redis.db, self.prefix
        ))
    }

    fn load<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let text: Option<String> = c
                .get(self.key(account, "token"))
                .await
                .map_err(redis_error)?;
            Ok(text.as_deref().and_then(StoredToken::from_json))
        })
    }

    fn save<'a>(&'a self, account: &'a str, token: &'a StoredToken) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let ttl_ms = token
                .expires_at
                .duration_since(SystemTime::now())
                .map_or(1, |d| d.as_millis().max(1) as u64);
            let _: () = c
                .pset_ex(self.key(account, "token"), token.to_json(), ttl_ms)
                .await
                .map_err(redis_error)?;
            Ok(())
        })
    }

    fn try_lock<'a>(
        &'a self,
        account: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<String>>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let id = format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            );
            let taken: Option<String> = redis::cmd("SET")
                .arg(self.key(account, "lock"))
                .arg(&id)
                .arg("NX")
                .arg("PX")
                .arg(px(ttl))
                .query_async(&mut c)
                .await
                .map_err(redis_error)?;
            Ok(taken.map(|_| id))
        })
    }

    fn unlock<'a>(&'a self, account: &'a str, lock_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let _: i64 = redis::Script::new(UNLOCK_SCRIPT)
                .key(self.key(account, "lock"))
                .arg(lock_id)
                .invoke_async(&mut c)
                .await
                .map_err(redis_error)?;
            Ok(())
        })
    }

    fn generations_since<'a>(
        &'a self,
        account: &'a str,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<u32>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let n: u32 = c
                .zcount(self.key(account, "generations"), unix_millis(since), "+inf")
                .await
                .map_err(redis_error)?;
            Ok(n)
        })
    }

    fn record_generation<'a>(
        &'a self,
        account: &'a str,
        at: SystemTime,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let key = self.key(account, "generations");
            let ms = unix_millis(at);
            let member = format!("{ms}-{:08x}", rand::random::<u32>());
            let _: () = redis::pipe()
                .atomic()
                .zrembyscore(&key, 0, ms.saturating_sub(3_600_000))
                .ignore()
                .zadd(&key, member, ms)
                .ignore()
                .pexpire(&key, 3_600_000 * 2)
                .ignore()
                .query_async(&mut c)
                .await
                .map_err(redis_error)?;
            Ok(())
        })
    }

    fn take_slot<'a>(
        &'a self,
        account: &'a str,
        name: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<Duration>> {
        Box::pin(self.slot(account, name, limit, window, true))
    }

    fn slot_wait<'a>(
        &'a self,
        account: &'a str,
        name: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, Result<Duration>> {
        Box::pin(self.slot(account, name, limit, window, false))
    }

    fn try_lease<'a>(
        &'a self,
        account: &'a str,
        name: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let held: i64 = redis::Script::new(LEASE_SCRIPT)
                .key(self.key(account, &format!("lease:{name}")))
                .arg(holder)
                .arg(px(ttl))
                .invoke_async(&mut c)
                .await
                .map_err(redis_error)?;
            Ok(held == 1)
        })
    }

    fn release_lease<'a>(
        &'a self,
        account: &'a str,
        name: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let _: i64 = redis::Script::new(UNLOCK_SCRIPT)
                .key(self.key(account, &format!("lease:{name}")))
                .arg(holder)
                .invoke_async(&mut c)
                .await
                .map_err(redis_error)?;
            Ok(())
        })
    }

    fn publish<'a>(
        &'a self,
        account: &'a str,
        name: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let _: () = c
                .pset_ex(self.key(account, &format!("value:{name}")), value, px(ttl))
                .await
                .map_err(redis_error)?;
            Ok(())
        })
    }

    fn read<'a>(
        &'a self,
        account: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>>> {
        Box::pin(async move {
            let mut c = self.connection().await?;
            let value: Option<String> = c
                .get(self.key(account, &format!("value:{name}")))
                .await
                .map_err(redis_error)?;
            Ok(value)
        })
    }
}
