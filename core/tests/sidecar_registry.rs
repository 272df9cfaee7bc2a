//! `SidecarRegistry` on `RedisSidecarStore` against a real `redis-server` (started by
//! `scripts/test.sh`, which sets `HELIX_TEST_REDIS_URL`): registration, heartbeats and expiry
//! on Redis's clock, deregistration, two tenants on one Redis, the latest registration
//! winning, and bad input refused before anything is stored.
#![cfg(feature = "redis")]

mod common;

use std::time::Duration;

use common::{redis_url, unique_prefix};
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{
    DisplacedAgent, RedisAccountStore, RedisSidecarStore, SidecarRegistry, SidecarRoute,
};

const SECOND: Duration = Duration::from_secs(1);

async fn registry(account: &str, prefix: &str) -> SidecarRegistry {
    let store = RedisSidecarStore::connect_with_prefix(&redis_url(), prefix)
        .await
        .unwrap();
    SidecarRegistry::new(account, store).unwrap()
}

fn route(sidecar_id: &str, url: &str) -> Option<SidecarRoute> {
    Some(SidecarRoute {
        sidecar_id: sidecar_id.into(),
        url: url.into(),
    })
}

#[tokio::test]
async fn register_lookup_heartbeat_and_expiry() {
    let prefix = unique_prefix();
    let r = registry("acme", &prefix).await;
    let reg = r
        .register(
            "whitefield",
            "http://127.0.0.1:9/ev",
            &["agent1", "agent2", "agent1"],
            SECOND,
        )
        .await
        .unwrap();
    assert!(reg.displaced.is_empty());
    assert_eq!(
        r.lookup("agent1").await.unwrap(),
        route("whitefield", "http://127.0.0.1:9/ev")
    );
    assert_eq!(r.lookup("agent3").await.unwrap(), None);
    let list = r.sidecars().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].agent_ids,
        ["agent1", "agent2"],
        "duplicates named once"
    );
    assert!(list[0].expires_in <= SECOND && list[0].expires_in > Duration::ZERO);

    // Heartbeats every 600 ms keep a 1 s registration (and its agents) alive past 1 s.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            r.heartbeat("whitefield", SECOND).await.unwrap(),
            Some(vec!["agent1".to_string(), "agent2".to_string()])
        );
    }
    assert!(
        r.lookup("agent2").await.unwrap().is_some(),
        "1.8 s in, still live"
    );

    // Silence: gone within the TTL, agents and listing included, on Redis's clock.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(r.lookup("agent1").await.unwrap(), None);
    assert_eq!(r.lookup("agent2").await.unwrap(), None);
    assert!(r.sidecars().await.unwrap().is_empty());
    assert_eq!(
        r.heartbeat("whitefield", SECOND).await.unwrap(),
        None,
        "an expired sidecar is told to register again"
    );
}

#[tokio::test]
async fn deregister_removes_the_sidecar_and_its_agents_at_once() {
    let prefix = unique_prefix();
    let r = registry("acme", &prefix).await;
    let ttl = Duration::from_secs(60);
    r.register("a", "http://a.example/ev", &["agent1"], ttl)
        .await
        .unwrap();
    r.register("b", "https://b.example/ev", &["agent2"], ttl)
        .await
        .unwrap();
    assert!(r.deregister("a").await.unwrap());
    assert!(!r.deregister("a").await.unwrap(), "already gone");
    assert_eq!(r.lookup("agent1").await.unwrap(), None);
    assert_eq!(
        r.lookup("agent2").await.unwrap(),
        route("b", "https://b.example/ev")
    );
    let ids: Vec<_> = r
        .sidecars()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.sidecar_id)
        .collect();
    assert_eq!(ids, ["b"]);
}

#[tokio::test]
async fn two_tenants_on_one_redis_never_see_each_other() {
    let prefix = unique_prefix();
    let acme = registry("acme", &prefix).await;
    let umbrella = registry("umbrella", &prefix).await;
    // Ids shaped like keys cannot reach across accounts: unescaped, this account's "agent1"
    // key would be acme's key for the agent "x:routing:agent:agent1".
    let sneaky = registry("acme:routing:agent:x", &prefix).await;
    let ttl = Duration::from_secs(60);
    acme.register(
        "shared-id",
        "http://acme.example/",
        &["agent1", "x:routing:agent:agent1"],
        ttl,
    )
    .await
    .unwrap();
    umbrella
        .register(
            "shared-id",
            "http://umbrella.example/",
            &["agent1", "agent9"],
            ttl,
        )
        .await
        .unwrap();
    assert_eq!(
        acme.lookup("agent1").await.unwrap(),
        route("shared-id", "http://acme.example/")
    );
    assert_eq!(
        umbrella.lookup("agent1").await.unwrap(),
        route("shared-id", "http://umbrella.example/")
    );
    assert_eq!(acme.lookup("agent9").await.unwrap(), None);
    assert_eq!(sneaky.lookup("agent1").await.unwrap(), None);
    assert!(sneaky.sidecars().await.unwrap().is_empty());
    assert!(!sneaky.deregister("shared-id").await.unwrap());
    assert!(umbrella.deregister("shared-id").await.unwrap());
    assert!(
        acme.lookup("agent1").await.unwrap().is_some(),
        "acme's untouched"
    );
    assert_eq!(acme.sidecars().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_latest_registration_wins_and_both_sidecars_are_told() {
    let prefix = unique_prefix();
    let r = registry("acme", &prefix).await;
    let ttl = Duration::from_secs(60);
    r.register("a", "http://a/", &["agent1", "agent2"], ttl)
        .await
        .unwrap();
    let reg = r
        .register("b", "http://b/", &["agent3", "agent2"], ttl)
        .await
        .unwrap();
    assert_eq!(
        reg.displaced,
        [DisplacedAgent {
            agent_id: "agent2".into(),
            from_sidecar_id: "a".into()
        }],
        "b is told what it took"
    );
    assert_eq!(r.lookup("agent2").await.unwrap(), route("b", "http://b/"));
    assert_eq!(
        r.heartbeat("a", ttl).await.unwrap(),
        Some(vec!["agent1".to_string()]),
        "a is told what it still serves"
    );
    // a deregistering must not take b's agent with it.
    assert!(r.deregister("a").await.unwrap());
    assert_eq!(r.lookup("agent2").await.unwrap(), route("b", "http://b/"));

    // Re-registering replaces the agent list and the URL; a dropped agent is unknown at once.
    r.register("b", "http://b2/", &["agent3"], ttl)
        .await
        .unwrap();
    assert_eq!(r.lookup("agent2").await.unwrap(), None);
    assert_eq!(r.lookup("agent3").await.unwrap(), route("b", "http://b2/"));

    // A claim on an agent whose sidecar expired displaces nobody.
    r.register("c", "http://c/", &["agent7"], SECOND)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = r
        .register("d", "http://d/", &["agent7"], ttl)
        .await
        .unwrap();
    assert!(late.displaced.is_empty(), "{late:?}");
}

#[tokio::test]
async fn bad_inputs_are_refused_naming_the_field_and_store_nothing() {
    let prefix = unique_prefix();
    let r = registry("acme", &prefix).await;
    let ttl = Duration::from_secs(5);
    let long = "a".repeat(129);
    let cases = [
        ("sidecar_id", r.register("", "http://a/", &["x"], ttl).await),
        (
            "sidecar_id",
            r.register(&long, "http://a/", &["x"], ttl).await,
        ),
        (
            "agent_ids[1]",
            r.register("s", "http://a/", &["x", "y\u{7}"], ttl).await,
        ),
        (
            "agent_ids[0]",
            r.register("s", "http://a/", &[" x"], ttl).await,
        ),
        (
            "url",
            r.register("s", "file:///etc/passwd", &["x"], ttl).await,
        ),
        ("url", r.register("s", "not a url", &["x"], ttl).await),
        (
            "url",
            r.register("s", "http://:CANARY-pw@a/", &["x"], ttl).await,
        ),
        (
            "ttl",
            r.register("s", "http://a/", &["x"], Duration::from_millis(999))
                .await,
        ),
        (
            "ttl",
            r.register("s", "http://a/", &["x"], Duration::from_secs(7200))
                .await,
        ),
    ];
    for (field, result) in cases {
        let e = result.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
        assert!(e.to_string().contains(field), "{field}: {e}");
        assert!(!e.to_string().contains("CANARY"), "{e}");
    }
    assert_eq!(
        r.heartbeat("s", Duration::ZERO).await.unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        r.lookup(&long).await.unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert!(r.sidecars().await.unwrap().is_empty());
    let e = SidecarRegistry::new(
        "ac\nme",
        RedisSidecarStore::lazy(&redis_url(), &prefix).unwrap(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("account"), "{e}");
}

#[tokio::test]
async fn the_password_never_appears_and_a_down_redis_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("redis://:CANARY-redis-pw@127.0.0.1:{port}/");
    let e = RedisSidecarStore::connect(&url).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Transport);
    assert!(!e.to_string().contains("CANARY"), "{e}");
    let lazy = SidecarRegistry::new("acme", RedisSidecarStore::lazy(&url, "p:").unwrap()).unwrap();
    assert!(!format!("{lazy:?}").contains("CANARY"), "{lazy:?}");
    assert!(!lazy.location().contains("CANARY"));
    let e = lazy.lookup("agent1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Transport);
    assert!(!e.to_string().contains("CANARY"), "{e}");
}

#[tokio::test]
async fn the_registry_can_share_the_account_stores_connection() {
    let prefix = unique_prefix();
    let accounts = RedisAccountStore::connect_with_prefix(&redis_url(), &prefix)
        .await
        .unwrap();
    let shared = SidecarRegistry::new("acme", RedisSidecarStore::sharing(&accounts)).unwrap();
    shared
        .register("a", "http://a/", &["agent1"], Duration::from_secs(30))
        .await
        .unwrap();
    let own = registry("acme", &prefix).await;
    assert_eq!(own.lookup("agent1").await.unwrap(), route("a", "http://a/"));
}
