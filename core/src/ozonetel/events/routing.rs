//! Which sidecar serves which agents: the registry an event dispatcher routes by.
//!
//! Ozonetel's event subscription is per account, so one URL receives every agent's events,
//! while each hospital's sidecar serves only its own agents. Each sidecar registers the agents
//! it serves with a time to live and keeps the registration alive with heartbeats; the
//! dispatcher (`helix events dispatch`) looks up each event's `agent_id` and forwards the event
//! to the sidecar that serves it. A sidecar that dies stops being routed to when its TTL runs
//! out — nobody has to notice it died.
//!
//! [`SidecarRegistry`] is the API: it is bound to one account (tenant), checks every input and
//! delegates to a [`SidecarStore`] — [`MemorySidecarStore`] in one process (tests, a dispatcher
//! embedded in its sidecars' process), `RedisSidecarStore` (feature `redis`) across processes.
//!
//! **The latest registration wins.** An agent claimed by two live sidecars is served by the
//! one that registered it last. Both are told: [`SidecarRegistry::register`] returns the
//! agents it took from other live sidecars ([`Registration::displaced`]), and the earlier
//! sidecar's next [`SidecarRegistry::heartbeat`] returns the agents it still serves, without
//! the taken one. A later registration by the same sidecar replaces its agent list.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use tokio::time::Instant;

use super::subscription::webhook_url;
use crate::backoff::Backoff;
use crate::error::{Error, Result, quote};

/// Longest sidecar id, agent id or account name, in characters.
pub const MAX_ROUTING_ID_CHARS: usize = 128;
/// Most agents one registration may name.
pub const MAX_SIDECAR_AGENTS: usize = 10_000;
/// Shortest registration TTL.
pub const MIN_SIDECAR_TTL: Duration = Duration::from_secs(1);
/// Longest registration TTL: a dead sidecar keeps its agents at most this long.
pub const MAX_SIDECAR_TTL: Duration = Duration::from_secs(3600);

/// Where an agent's events go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SidecarRoute {
    /// The sidecar that serves the agent.
    pub sidecar_id: String,
    /// Its event URL (`http://` or `https://`): events are POSTed there as received.
    pub url: String,
}

/// An agent a registration took from another live sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisplacedAgent {
    /// The agent.
    pub agent_id: String,
    /// The sidecar that served it until now.
    pub from_sidecar_id: String,
}

/// What [`SidecarRegistry::register`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// The agents that another live sidecar served until this registration (latest wins), in
    /// the order they were named. Empty when nobody else held any of them.
    pub displaced: Vec<DisplacedAgent>,
}

/// One live sidecar, for a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SidecarEntry {
    /// The sidecar's id.
    pub sidecar_id: String,
    /// Its event URL.
    pub url: String,
    /// The agents it serves now (sorted; without any a later registration took).
    pub agent_ids: Vec<String>,
    /// How long its registration lives without another heartbeat.
    #[serde(serialize_with = "millis")]
    pub expires_in: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Where registrations are kept. Implementations get inputs [`SidecarRegistry`] has already
/// checked and must apply each operation atomically: a lookup sees a registration entirely or
/// not at all, and two registrations claiming one agent leave it with exactly one of them.
pub trait SidecarStore: Send + Sync + fmt::Debug {
    /// Where the store is, for logs — never a password.
    fn location(&self) -> String;
    /// Registers `sidecar_id` at `url` for `agent_ids` (distinct) for `ttl`, replacing its
    /// previous registration; returns the agents taken from other live sidecars.
    fn register<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
        url: &'a str,
        agent_ids: &'a [String],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Vec<DisplacedAgent>>>;
    /// Extends a live registration and its agents to `ttl` from now; the agents it still
    /// serves (sorted), or `None` when it is not registered (expired, deregistered, never).
    fn heartbeat<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>>>;
    /// Removes the registration and the agents it still serves; `true` when it was live.
    fn deregister<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
    ) -> BoxFuture<'a, Result<bool>>;
    /// The live sidecar serving `agent_id`.
    fn lookup<'a>(
        &'a self,
        account: &'a str,
        agent_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SidecarRoute>>>;
    /// Every live sidecar of the account, by id.
    fn sidecars<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<Vec<SidecarEntry>>>;
}

/// The sidecar registry of one account: register, heartbeat, deregister, lookup, list.
///
/// Cheap to clone (clones share the store). Two registries for different accounts on one
/// store never see each other's sidecars.
///
/// ```
/// # async fn demo() -> helix_engage::Result<()> {
/// use std::time::Duration;
/// use helix_engage::ozonetel::{MemorySidecarStore, SidecarRegistry};
/// let registry = SidecarRegistry::new("acme", MemorySidecarStore::new())?;
/// let ttl = Duration::from_secs(30);
/// registry.register("whitefield-1", "http://10.0.0.7:3000/events", &["asha"], ttl).await?;
/// let route = registry.lookup("asha").await?.expect("registered");
/// assert_eq!(route.url, "http://10.0.0.7:3000/events");
/// // Every ttl / 3 or so, from the sidecar:
/// assert!(registry.heartbeat("whitefield-1", ttl).await?.is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SidecarRegistry {
    account: String,
    store: Arc<dyn SidecarStore>,
}

impl fmt::Debug for SidecarRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SidecarRegistry")
            .field("account", &self.account)
            .field("store", &self.store.location())
            .finish()
    }
}

impl SidecarRegistry {
    /// The registry of `account` (the Ozonetel user name) in `store`. `invalid_input` when the
    /// account is empty, longer than 128 characters or has control characters.
    pub fn new(account: &str, store: impl SidecarStore + 'static) -> Result<Self> {
        Self::with_store(account, Arc::new(store))
    }

    /// [`new`](Self::new) with a store shared with other registries.
    pub fn with_store(account: &str, store: Arc<dyn SidecarStore>) -> Result<Self> {
        check_id("account", account)?;
        Ok(SidecarRegistry {
            account: account.to_string(),
            store,
        })
    }

    /// The account this registry serves.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Where the store is (for logs; never a password).
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Registers (or re-registers) `sidecar_id` as the sidecar serving `agent_ids`, reachable
    /// at `url`, for `ttl` (1 s..=1 h). Its previous agent list is replaced. Agents another
    /// live sidecar served move to this one and are listed in the result. `invalid_input`
    /// naming the field for an empty or over-long id (more than 128 characters), control
    /// characters or surrounding spaces in an id, a URL that is not `http(s)://host…` or
    /// carries credentials, more than 10 000 agents, or a TTL out of range.
    pub async fn register<S: AsRef<str>>(
        &self,
        sidecar_id: &str,
        url: &str,
        agent_ids: &[S],
        ttl: Duration,
    ) -> Result<Registration> {
        check_id("sidecar_id", sidecar_id)?;
        // Listed by `sidecars()`: a password in it would be printed by every listing.
        let url = webhook_url("url", url, "the sidecar registry")?;
        check_ttl(ttl)?;
        if agent_ids.len() > MAX_SIDECAR_AGENTS {
            return Err(Error::invalid(format!(
                "agent_ids has {} agents; at most {MAX_SIDECAR_AGENTS}",
                agent_ids.len()
            )));
        }
        let mut seen = BTreeSet::new();
        let mut agents = Vec::with_capacity(agent_ids.len());
        for (i, a) in agent_ids.iter().enumerate() {
            let a = a.as_ref();
            check_id(&format!("agent_ids[{i}]"), a)?;
            if seen.insert(a) {
                agents.push(a.to_string());
            }
        }
        let displaced = self
            .store
            .register(&self.account, sidecar_id, &url, &agents, ttl)
            .await?;
        Ok(Registration { displaced })
    }

    /// Keeps `sidecar_id`'s registration, and the agents it still serves, alive for `ttl`
    /// (1 s..=1 h) from now. Returns those agents (sorted) — fewer than registered when a later
    /// registration took some — or `None` when the registration has expired or was removed:
    /// the sidecar must [`register`](Self::register) again.
    pub async fn heartbeat(&self, sidecar_id: &str, ttl: Duration) -> Result<Option<Vec<String>>> {
        check_id("sidecar_id", sidecar_id)?;
        check_ttl(ttl)?;
        self.store.heartbeat(&self.account, sidecar_id, ttl).await
    }

    /// Removes `sidecar_id`'s registration and the agents it serves (a sidecar shutting down
    /// cleanly: its agents become unknown at once instead of at the TTL). `true` when it was
    /// live.
    pub async fn deregister(&self, sidecar_id: &str) -> Result<bool> {
        check_id("sidecar_id", sidecar_id)?;
        self.store.deregister(&self.account, sidecar_id).await
    }

    /// The live sidecar serving `agent_id`, or `None`.
    pub async fn lookup(&self, agent_id: &str) -> Result<Option<SidecarRoute>> {
        check_id("agent_id", agent_id)?;
        self.store.lookup(&self.account, agent_id).await
    }

    /// Every live sidecar of the account, by id.
    pub async fn sidecars(&self) -> Result<Vec<SidecarEntry>> {
        self.store.sidecars(&self.account).await
    }
}

/// Ids and account names: non-empty, at most 128 characters, no control characters, no
/// surrounding whitespace (event fields arrive trimmed, so " asha" would never match).
pub(crate) fn check_id(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(format!("{field} is empty")));
    }
    if value.chars().count() > MAX_ROUTING_ID_CHARS {
        return Err(Error::invalid(format!(
            "{field} {} is longer than {MAX_ROUTING_ID_CHARS} characters",
            quote(value)
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{field} {} contains control characters",
            quote(value)
        )));
    }
    if value.trim() != value {
        return Err(Error::invalid(format!(
            "{field} {} starts or ends with whitespace",
            quote(value)
        )));
    }
    Ok(())
}

fn check_ttl(ttl: Duration) -> Result<()> {
    if ttl < MIN_SIDECAR_TTL || ttl > MAX_SIDECAR_TTL {
        return Err(Error::invalid(format!(
            "ttl of {} ms is outside 1 s..=1 h",
            ttl.as_millis()
        )));
    }
    Ok(())
}

/// How a dispatcher retries forwarding one event to a sidecar: the crate's backoff rule
/// (capped exponential, equal jitter, a `Retry-After` as a floor), bounded by tries and by
/// total time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardPolicy {
    /// Total tries, the first included (1..=20).
    pub max_tries: u32,
    /// The first backoff ceiling (0..=60 s); doubles each retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling (0..=600 s).
    pub max_delay: Duration,
    /// No retry starts later than this after the first try (0..=3600 s).
    pub max_elapsed: Duration,
}

impl Default for ForwardPolicy {
    fn default() -> Self {
        ForwardPolicy {
            max_tries: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl ForwardPolicy {
    /// `invalid_input` naming the field that is out of range.
    pub fn check(&self) -> Result<()> {
        let out =
            |field: &str, range: &str| Err(Error::invalid(format!("{field} is outside {range}")));
        if !(1..=20).contains(&self.max_tries) {
            return out("max_tries", "1..=20");
        }
        if self.base_delay > Duration::from_secs(60) {
            return out("base_delay", "0..=60 s");
        }
        if self.max_delay > Duration::from_secs(600) {
            return out("max_delay", "0..=600 s");
        }
        if self.max_elapsed > Duration::from_secs(3600) {
            return out("max_elapsed", "0..=3600 s");
        }
        Ok(())
    }

    /// The wait before retry `retry` (0 = the first retry): a random point in the upper half
    /// of `base_delay · 2^retry` (capped at `max_delay`), never less than `retry_after`.
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        Backoff {
            initial: self.base_delay,
            max: self.max_delay,
        }
        .wait(retry, retry_after)
    }
}

#[derive(Debug, Clone)]
struct MemorySidecar {
    url: String,
    agents: BTreeSet<String>,
    until: Instant,
}

#[derive(Debug, Default)]
struct MemoryAccount {
    sidecars: HashMap<String, MemorySidecar>,
    /// Agent → the sidecar that registered it last (live only while that sidecar is and still
    /// lists the agent).
    agents: HashMap<String, String>,
}

impl MemoryAccount {
    fn forget_expired(&mut self, now: Instant) {
        self.sidecars.retain(|_, s| s.until > now);
        let sidecars = &self.sidecars;
        self.agents.retain(|a, sid| {
            sidecars
                .get(sid.as_str())
                .is_some_and(|s| s.agents.contains(a))
        });
    }
}

/// The in-process [`SidecarStore`]: clones share it. Times run on `tokio::time::Instant`
/// (monotonic; paused with the runtime's clock in tests).
#[derive(Default, Clone)]
pub struct MemorySidecarStore {
    accounts: Arc<Mutex<HashMap<String, MemoryAccount>>>,
}

impl MemorySidecarStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, account: &str, f: impl FnOnce(&mut MemoryAccount) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of plain maps; they are
        // still usable, so keep going rather than propagate the panic.
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let state = accounts.entry(account.to_string()).or_default();
        state.forget_expired(Instant::now());
        f(state)
    }
}

impl fmt::Debug for MemorySidecarStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemorySidecarStore")
    }
}

impl SidecarStore for MemorySidecarStore {
    fn location(&self) -> String {
        format!("memory:{:p}", Arc::as_ptr(&self.accounts))
    }

    fn register<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
        url: &'a str,
        agent_ids: &'a [String],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Vec<DisplacedAgent>>> {
        let now = Instant::now();
        let displaced = self.with(account, |s| {
            let mut displaced = Vec::new();
            for a in agent_ids {
                match s.agents.insert(a.clone(), sidecar_id.to_string()) {
                    Some(prev) if prev != sidecar_id => {
                        if let Some(other) = s.sidecars.get_mut(&prev) {
                            other.agents.remove(a);
                        }
                        displaced.push(DisplacedAgent {
                            agent_id: a.clone(),
                            from_sidecar_id: prev,
                        });
                    }
                    _ => {}
                }
            }
            let agents: BTreeSet<String> = agent_ids.iter().cloned().collect();
            if let Some(old) = s.sidecars.get(sidecar_id) {
                for a in old.agents.difference(&agents) {
                    if s.agents.get(a).is_some_and(|sid| sid == sidecar_id) {
                        s.agents.remove(a);
                    }
                }
            }
            s.sidecars.insert(
                sidecar_id.to_string(),
                MemorySidecar {
                    url: url.to_string(),
                    agents,
                    until: now + ttl,
                },
            );
            displaced
        });
        Box::pin(async move { Ok(displaced) })
    }

    fn heartbeat<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>>> {
        let now = Instant::now();
        let agents = self.with(account, |s| {
            s.sidecars.get_mut(sidecar_id).map(|sc| {
                sc.until = now + ttl;
                sc.agents.iter().cloned().collect()
            })
        });
        Box::pin(async move { Ok(agents) })
    }

    fn deregister<'a>(
        &'a self,
        account: &'a str,
        sidecar_id: &'a str,
    ) -> BoxFuture<'a, Result<bool>> {
        let live = self.with(account, |s| match s.sidecars.remove(sidecar_id) {
            Some(sc) => {
                for a in &sc.agents {
                    s.agents.remove(a);
                }
                true
            }
            None => false,
        });
        Box::pin(async move { Ok(live) })
    }

    fn lookup<'a>(
        &'a self,
        account: &'a str,
        agent_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SidecarRoute>>> {
        let route = self.with(account, |s| {
            let sid = s.agents.get(agent_id)?;
            s.sidecars.get(sid).map(|sc| SidecarRoute {
                sidecar_id: sid.clone(),
                url: sc.url.clone(),
            })
        });
        Box::pin(async move { Ok(route) })
    }

    fn sidecars<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<Vec<SidecarEntry>>> {
        let now = Instant::now();
        let mut list: Vec<SidecarEntry> = self.with(account, |s| {
            s.sidecars
                .iter()
                .map(|(id, sc)| SidecarEntry {
                    sidecar_id: id.clone(),
                    url: sc.url.clone(),
                    agent_ids: sc.agents.iter().cloned().collect(),
                    expires_in: sc.until.saturating_duration_since(now),
                })
                .collect()
        });
        list.sort_by(|a, b| a.sidecar_id.cmp(&b.sidecar_id));
        Box::pin(async move { Ok(list) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const TTL: Duration = Duration::from_secs(10);

    fn registry(account: &str, store: &MemorySidecarStore) -> SidecarRegistry {
        SidecarRegistry::new(account, store.clone()).unwrap()
    }

    async fn url_of(r: &SidecarRegistry, agent: &str) -> Option<String> {
        r.lookup(agent).await.unwrap().map(|route| route.url)
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_keep_a_registration_and_silence_ends_it() {
        let store = MemorySidecarStore::new();
        let r = registry("acme", &store);
        r.register("a", "http://a/ev", &["agent1", "agent2"], TTL)
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(8)).await;
        assert_eq!(
            r.heartbeat("a", TTL).await.unwrap(),
            Some(vec!["agent1".to_string(), "agent2".to_string()])
        );
        tokio::time::advance(Duration::from_secs(8)).await;
        assert_eq!(url_of(&r, "agent2").await.as_deref(), Some("http://a/ev"));
        assert_eq!(
            r.sidecars().await.unwrap()[0].expires_in,
            TTL - Duration::from_secs(8)
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(url_of(&r, "agent2").await, None, "the TTL ran out");
        assert_eq!(r.heartbeat("a", TTL).await.unwrap(), None, "register again");
        assert!(r.sidecars().await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_latest_registration_wins_and_both_sidecars_are_told() {
        let store = MemorySidecarStore::new();
        let r = registry("acme", &store);
        r.register("a", "http://a/", &["agent1", "agent2"], TTL)
            .await
            .unwrap();
        let took = r
            .register("b", "http://b/", &["agent2"], TTL)
            .await
            .unwrap();
        assert_eq!(
            took.displaced,
            [DisplacedAgent {
                agent_id: "agent2".into(),
                from_sidecar_id: "a".into()
            }]
        );
        assert_eq!(url_of(&r, "agent2").await.as_deref(), Some("http://b/"));
        assert_eq!(
            r.heartbeat("a", TTL).await.unwrap(),
            Some(vec!["agent1".to_string()])
        );
        // Re-registering replaces the list; an agent dropped from it is unknown at once.
        let again = r
            .register("a", "http://a2/", &["agent3"], TTL)
            .await
            .unwrap();
        assert!(again.displaced.is_empty());
        assert_eq!(url_of(&r, "agent1").await, None);
        assert_eq!(url_of(&r, "agent3").await.as_deref(), Some("http://a2/"));
        // b dies; a claiming agent2 after b's TTL displaces nobody.
        tokio::time::advance(Duration::from_secs(6)).await;
        r.heartbeat("a", TTL).await.unwrap().unwrap();
        tokio::time::advance(Duration::from_secs(5)).await;
        let late = r
            .register("a", "http://a2/", &["agent2"], TTL)
            .await
            .unwrap();
        assert!(late.displaced.is_empty(), "{late:?}");
        assert!(r.deregister("a").await.unwrap());
        assert!(!r.deregister("a").await.unwrap());
        assert_eq!(url_of(&r, "agent2").await, None);
    }

    #[tokio::test]
    async fn accounts_on_one_store_are_apart() {
        let store = MemorySidecarStore::new();
        let acme = registry("acme", &store);
        let umbrella = registry("umbrella", &store);
        acme.register("a", "http://a/", &["agent1"], TTL)
            .await
            .unwrap();
        assert_eq!(url_of(&umbrella, "agent1").await, None);
        assert!(umbrella.sidecars().await.unwrap().is_empty());
        assert!(!umbrella.deregister("a").await.unwrap());
        assert!(url_of(&acme, "agent1").await.is_some());
    }

    #[tokio::test]
    async fn the_bounds_themselves_are_accepted() {
        // The refusals are tested on Redis (tests/sidecar_registry.rs); they happen here, in
        // the registry, before any store is asked.
        let r = registry("acme", &MemorySidecarStore::new());
        let longest = "z".repeat(MAX_ROUTING_ID_CHARS);
        r.register(
            &longest,
            "https://a:8443/x?y=1",
            &[&longest],
            MIN_SIDECAR_TTL,
        )
        .await
        .unwrap();
        r.register("a", "http://a/", &["a"], MAX_SIDECAR_TTL)
            .await
            .unwrap();
        let too_long = format!("{longest}z");
        let e = r
            .register(&too_long, "http://a/", &["a"], MAX_SIDECAR_TTL)
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput);
    }

    #[test]
    fn forward_policy_ranges_and_waits() {
        assert!(ForwardPolicy::default().check().is_ok());
        let e = ForwardPolicy {
            max_tries: 0,
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert!(e.to_string().contains("max_tries"), "{e}");
        let p = ForwardPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            ..Default::default()
        };
        for _ in 0..50 {
            let w = p.wait(5, None);
            assert!(w >= Duration::from_millis(200) && w <= Duration::from_millis(400));
            assert_eq!(
                p.wait(0, Some(Duration::from_secs(2))),
                Duration::from_secs(2)
            );
        }
    }
}
