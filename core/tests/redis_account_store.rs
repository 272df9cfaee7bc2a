//! `RedisAccountStore` against a real `redis-server` (started by `scripts/test.sh`, which sets
//! `HELIX_TEST_REDIS_URL`): clients in one process and in several processes share one token.
#![cfg(feature = "redis")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{AccountStore, RedisAccountStore};

#[tokio::test]
async fn two_clients_with_their_own_connections_share_one_token() {
    let prefix = unique_prefix();
    let mut server = mockito::Server::new_async().await;
    let token = jwt("redis-shared", in_an_hour());
    let gen_mock = created(slow_token_endpoint(&mut server, &token), 1).await;
    let hold = bearer_call_control(&mut server, &token, HOLD_OK, 40).await;
    let mut calls = Vec::new();
    for _ in 0..2 {
        let store = RedisAccountStore::connect_with_prefix(&redis_url(), &prefix)
            .await
            .unwrap();
        let client = builder(&server).account_store(store).build().unwrap();
        for _ in 0..20 {
            let c = agent_of(&client);
            calls.push(tokio::spawn(async move { c.hold("90174967305497").await }));
        }
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    gen_mock.assert_async().await;
    hold.assert_async().await;

    let store = RedisAccountStore::connect_with_prefix(&redis_url(), &prefix)
        .await
        .unwrap();
    let stored = store
        .load(USER)
        .await
        .unwrap()
        .expect("token published in Redis");
    assert!(format!("{stored:?}").contains("redacted"));
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    assert_eq!(store.generations_since(USER, hour_ago).await.unwrap(), 1);
}

#[tokio::test]
async fn three_processes_share_one_token() {
    let prefix = unique_prefix();
    let mut server = mockito::Server::new_async().await;
    let token = jwt("redis-processes", in_an_hour());
    let gen_mock = created(slow_token_endpoint(&mut server, &token), 1).await;
    let hold = bearer_call_control(&mut server, &token, HOLD_OK, 30).await;
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "child_process_makes_ten_calls",
                    "--nocapture",
                ])
                .env("HELIX_CHILD_BASE_URL", server.url())
                .env("HELIX_CHILD_PREFIX", &prefix)
                .spawn()
                .unwrap()
        })
        .collect();
    all_succeed(children).await;
    gen_mock.assert_async().await;
    hold.assert_async().await;
}

/// Run only by `three_processes_share_one_token`, in a child process.
#[tokio::test]
#[ignore = "child process of three_processes_share_one_token"]
async fn child_process_makes_ten_calls() {
    let base_url = std::env::var("HELIX_CHILD_BASE_URL").expect("run by the parent test");
    let prefix = std::env::var("HELIX_CHILD_PREFIX").expect("run by the parent test");
    let store = RedisAccountStore::connect_with_prefix(&redis_url(), &prefix)
        .await
        .unwrap();
    let client = helix_engage::ozonetel::Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(base_url)
        .account_store(store)
        .build()
        .unwrap();
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let c = agent_of(&client);
            tokio::spawn(async move { c.hold("90174967305497").await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = RedisAccountStore::connect(&format!("redis://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transport);
    let err = RedisAccountStore::connect("not a url").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn a_lazy_store_connects_on_first_use() {
    let prefix = unique_prefix();
    let mut server = mockito::Server::new_async().await;
    let token = jwt("lazy", in_an_hour());
    let gen_mock = token_mock(&mut server, &token).await;
    call_control_mock(&mut server)
        .with_body(HOLD_OK)
        .create_async()
        .await;
    let store = RedisAccountStore::lazy(&redis_url(), &prefix).unwrap();
    let client = builder(&server)
        .account_store(store.clone())
        .build()
        .unwrap();
    agent_of(&client).hold("90174967305497").await.unwrap();
    gen_mock.assert_async().await;
    assert!(store.load(USER).await.unwrap().is_some());

    // Down at first use: the call fails as a transport error, and nothing is sent upstream.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let down = RedisAccountStore::lazy(&format!("redis://127.0.0.1:{port}/"), &prefix).unwrap();
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let client = builder(&server).account_store(down).build().unwrap();
    let err = agent_of(&client).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transport, "{err}");
    for g in guards {
        g.assert_async().await;
    }
}

/// Slots, leases and shared values behave in Redis as in memory, timed by Redis's clock.
#[tokio::test]
async fn slots_leases_and_values_on_the_redis_clock() {
    let store = RedisAccountStore::connect_with_prefix(&redis_url(), &unique_prefix())
        .await
        .unwrap();
    let window = Duration::from_millis(400);
    assert_eq!(
        store.take_slot(USER, "cdr", 2, window).await.unwrap(),
        Duration::ZERO
    );
    assert_eq!(
        store.take_slot(USER, "cdr", 2, window).await.unwrap(),
        Duration::ZERO
    );
    let wait = store.take_slot(USER, "cdr", 2, window).await.unwrap();
    assert!(wait > Duration::ZERO && wait <= window, "{wait:?}");
    let peek = store.slot_wait(USER, "cdr", 2, window).await.unwrap();
    assert!(
        peek > Duration::ZERO && peek <= wait,
        "the refused take recorded nothing"
    );
    assert_eq!(
        store.take_slot("umbrella", "cdr", 2, window).await.unwrap(),
        Duration::ZERO,
        "another account's window"
    );
    tokio::time::sleep(peek).await;
    assert_eq!(
        store.take_slot(USER, "cdr", 2, window).await.unwrap(),
        Duration::ZERO
    );

    let ttl = Duration::from_millis(300);
    assert!(store.try_lease(USER, "watch", "a", ttl).await.unwrap());
    assert!(!store.try_lease(USER, "watch", "b", ttl).await.unwrap());
    assert!(
        store.try_lease(USER, "watch", "a", ttl).await.unwrap(),
        "renewed"
    );
    store.release_lease(USER, "watch", "b").await.unwrap();
    assert!(
        !store.try_lease(USER, "watch", "b", ttl).await.unwrap(),
        "only the holder releases"
    );
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert!(
        store.try_lease(USER, "watch", "b", ttl).await.unwrap(),
        "a's lease expired"
    );
    store.release_lease(USER, "watch", "b").await.unwrap();
    assert!(store.try_lease(USER, "watch", "a", ttl).await.unwrap());

    assert_eq!(store.read(USER, "list").await.unwrap(), None);
    store.publish(USER, "list", "[1,2]", ttl).await.unwrap();
    assert_eq!(
        store.read(USER, "list").await.unwrap().as_deref(),
        Some("[1,2]")
    );
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(store.read(USER, "list").await.unwrap(), None);
}
