//! A [`AccountStore`] in Redis, for several processes (sidecar replicas) on one account.
//!
//! Keys, per account: `{prefix}{account}:token` (the token as JSON, expiring with it),
//! `{prefix}{account}:lock` (the generation lock, `SET NX PX`, released by compare-and-delete)
//! and `{prefix}{account}:generations` (a sorted set of generation times for the hourly budget).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::account_store::{AccountStore, StoredToken, unix_millis};
use crate::error::{Error, Result};

/// Shares an account's token, generation lock and hourly budget through Redis.
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
    Error::Transport(format!("token store (Redis): {e}"))
}

const UNLOCK_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

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
        let client = redis::Client::open(url)
            .map_err(|_| Error::invalid("the Redis URL is not valid (redis://host:port/db)"))?;
        Ok(RedisAccountStore {
            client,
            connection: Arc::new(OnceCell::new()),
            prefix: prefix.to_string(),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager> {
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

    fn key(&self, account: &str, what: &str) -> String {
        format!("{}{account}:{what}", self.prefix)
    }
}

impl AccountStore for RedisAccountStore {
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
                .arg(ttl.as_millis().max(1) as u64)
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
}
