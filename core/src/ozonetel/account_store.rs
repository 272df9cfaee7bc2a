//! Where an account's token lives, so every client — and every process — on one account uses
//! the same one. Ozonetel invalidates every earlier token when a new one is generated, so two
//! holders generating independently would keep logging each other out.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::error::Result;

/// A token and when it stops being usable. `Debug` never prints the token.
#[derive(Clone)]
pub struct StoredToken {
    /// The bearer token.
    pub token: SecretString,
    /// When Ozonetel will stop accepting it (the JWT `exp`, else 60 minutes after generation).
    pub expires_at: SystemTime,
    /// When it was generated.
    pub generated_at: SystemTime,
}

impl StoredToken {
    /// Whether the token should still be used at `now`: until 5 minutes before expiry (a
    /// twelfth of its life, for tokens that live less than an hour), so no request races the
    /// deadline and short-lived tokens are not regenerated on every call.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        let life = self
            .expires_at
            .duration_since(self.generated_at)
            .unwrap_or(Duration::ZERO);
        let ahead = (life / 12).min(Duration::from_secs(5 * 60));
        now + ahead < self.expires_at
    }

    pub(crate) fn same_token(&self, other: &str) -> bool {
        self.token.expose_secret() == other
    }

    /// The token as JSON text (`token`, `expires_at` and `generated_at` in unix
    /// milliseconds), for [`AccountStore`] implementations that keep text. Contains the secret.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "token": self.token.expose_secret(),
            "expires_at": unix_millis(self.expires_at),
            "generated_at": unix_millis(self.generated_at),
        })
        .to_string()
    }

    /// Reads [`to_json`](Self::to_json)'s output back; `None` when it is not that shape.
    pub fn from_json(text: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        Some(StoredToken {
            token: SecretString::from(v.get("token")?.as_str()?.to_string()),
            expires_at: from_unix_millis(v.get("expires_at")?.as_u64()?),
            generated_at: from_unix_millis(v.get("generated_at")?.as_u64()?),
        })
    }
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("generated_at", &self.generated_at)
            .finish()
    }
}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) fn from_unix_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Shared storage for one token per account, a generation lock, and the hourly generation log.
///
/// The client calls these in a fixed order: `load`; when stale, `try_lock`, `load` again (someone
/// else may have just generated), `generations_since`, generate, `record_generation`, `save`,
/// `unlock`. Implementations only need each call to be atomic on its own.
///
/// [`MemoryAccountStore`] (the default) shares within one process; `RedisAccountStore` (feature
/// `redis`) across processes.
pub trait AccountStore: Send + Sync + fmt::Debug + 'static {
    /// Where the store keeps its data, so that two stores built separately on the same data
    /// (two `RedisAccountStore`s on one Redis and prefix) count as one store when clients of
    /// one account meet in a process. `None` (the default): the same only as the very same
    /// object.
    fn location(&self) -> Option<String> {
        None
    }
    /// The account's current token, if any.
    fn load<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>>;
    /// Replaces the account's token.
    fn save<'a>(&'a self, account: &'a str, token: &'a StoredToken) -> BoxFuture<'a, Result<()>>;
    /// Takes the account's generation lock for at most `ttl`; `Some(lock id)` when taken, `None`
    /// when another holder has it.
    fn try_lock<'a>(
        &'a self,
        account: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<String>>>;
    /// Releases the lock if `lock_id` still holds it.
    fn unlock<'a>(&'a self, account: &'a str, lock_id: &'a str) -> BoxFuture<'a, Result<()>>;
    /// How many tokens were generated for the account at or after `since`.
    fn generations_since<'a>(
        &'a self,
        account: &'a str,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<u32>>;
    /// Records one generation at `at` (entries older than an hour may be forgotten).
    fn record_generation<'a>(
        &'a self,
        account: &'a str,
        at: SystemTime,
    ) -> BoxFuture<'a, Result<()>>;
}

#[derive(Default)]
struct AccountState {
    token: Option<StoredToken>,
    lock: Option<(String, SystemTime)>,
    generations: Vec<SystemTime>,
}

/// The in-process [`AccountStore`]: shared by every clone of a client, and by separate clients
/// given the same store.
#[derive(Default, Clone)]
pub struct MemoryAccountStore {
    accounts: Arc<Mutex<HashMap<String, AccountState>>>,
}

impl MemoryAccountStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, account: &str, f: impl FnOnce(&mut AccountState) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of plain data; the data
        // is still consistent enough to use, so keep going rather than propagate the panic.
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        f(accounts.entry(account.to_string()).or_default())
    }
}

impl fmt::Debug for MemoryAccountStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryAccountStore")
    }
}

impl AccountStore for MemoryAccountStore {
    fn location(&self) -> Option<String> {
        // Clones share the map, so they are one store.
        Some(format!("memory:{:p}", Arc::as_ptr(&self.accounts)))
    }

    fn load<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>> {
        let token = self.with(account, |s| s.token.clone());
        Box::pin(async move { Ok(token) })
    }

    fn save<'a>(&'a self, account: &'a str, token: &'a StoredToken) -> BoxFuture<'a, Result<()>> {
        self.with(account, |s| s.token = Some(token.clone()));
        Box::pin(async { Ok(()) })
    }

    fn try_lock<'a>(
        &'a self,
        account: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<String>>> {
        let now = SystemTime::now();
        let id = format!("{:016x}", rand::random::<u64>());
        let taken = self.with(account, |s| match &s.lock {
            Some((_, until)) if *until > now => None,
            _ => {
                s.lock = Some((id.clone(), now + ttl));
                Some(id)
            }
        });
        Box::pin(async move { Ok(taken) })
    }

    fn unlock<'a>(&'a self, account: &'a str, lock_id: &'a str) -> BoxFuture<'a, Result<()>> {
        self.with(account, |s| {
            if s.lock.as_ref().is_some_and(|(id, _)| id == lock_id) {
                s.lock = None;
            }
        });
        Box::pin(async { Ok(()) })
    }

    fn generations_since<'a>(
        &'a self,
        account: &'a str,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<u32>> {
        let n = self.with(account, |s| {
            s.generations.iter().filter(|t| **t >= since).count() as u32
        });
        Box::pin(async move { Ok(n) })
    }

    fn record_generation<'a>(
        &'a self,
        account: &'a str,
        at: SystemTime,
    ) -> BoxFuture<'a, Result<()>> {
        self.with(account, |s| {
            let horizon = at
                .checked_sub(Duration::from_secs(3600))
                .unwrap_or(UNIX_EPOCH);
            s.generations.retain(|t| *t >= horizon);
            s.generations.push(at);
        });
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generation_log_is_a_rolling_hour() {
        let store = MemoryAccountStore::new();
        let t0 = SystemTime::now();
        for i in 0..10 {
            store
                .record_generation("acme", t0 + Duration::from_secs(i * 60))
                .await
                .unwrap();
        }
        let hour = Duration::from_secs(3600);
        let at = |secs| t0 + Duration::from_secs(secs);
        assert_eq!(
            store
                .generations_since("acme", at(9 * 60) - hour)
                .await
                .unwrap(),
            10
        );
        // 61 minutes after the first one, it has rolled out of the window.
        assert_eq!(
            store
                .generations_since("acme", at(61 * 60) - hour)
                .await
                .unwrap(),
            9
        );
        assert_eq!(
            store.generations_since("other", t0 - hour).await.unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn lock_is_exclusive_until_released_or_expired() {
        let store = MemoryAccountStore::new();
        let id = store
            .try_lock("acme", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert!(!took_lock(&store, Duration::from_secs(30)).await);
        store.unlock("acme", "someone-else").await.unwrap();
        assert!(!took_lock(&store, Duration::from_secs(30)).await);
        store.unlock("acme", &id).await.unwrap();
        assert!(took_lock(&store, Duration::ZERO).await);
        // A zero-TTL lock is already expired.
        assert!(took_lock(&store, Duration::from_secs(1)).await);
    }

    /// Whether `try_lock` on "acme" took the lock.
    async fn took_lock(store: &MemoryAccountStore, ttl: Duration) -> bool {
        store.try_lock("acme", ttl).await.unwrap().is_some()
    }

    #[test]
    fn debug_never_prints_the_token() {
        let t = StoredToken {
            token: SecretString::from("CANARY-token".to_string()),
            expires_at: SystemTime::now(),
            generated_at: SystemTime::now(),
        };
        assert!(!format!("{t:?}").contains("CANARY"));
        let back = StoredToken::from_json(&t.to_json()).unwrap();
        assert!(back.same_token("CANARY-token"));
    }
}
