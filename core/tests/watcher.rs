//! The missed-call watcher: each new call once, errors as items, keeps going.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{AccountStore, MemoryAccountStore, WatchOptions};
use mockito::Mock;

/// `callTime` in the account's zone (IST), `ago` before now: never a literal date, so the
/// test means the same on any day.
fn call_time(ago: chrono::Duration) -> String {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    (chrono::Utc::now().with_timezone(&ist) - ago)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn calls_at(ids: &[u64], ago: chrono::Duration) -> String {
    let time = call_time(ago);
    let items: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                r#"{{"monitorUCID":{id},"type":"Inbound","status":"NotAnswered","campaign":"c","callerID":"0987654{:04}","did":"1","skillID":"1","skill":"","agentID":"","agent":"","hangupBy":"CustomerHangup","callTime":"{time}"}}"#,
                id % 10_000
            )
        })
        .collect();
    format!(r#"{{"status":"success","message":[{}]}}"#, items.join(","))
}

fn calls(ids: &[u64]) -> String {
    calls_at(ids, chrono::Duration::minutes(5))
}

async fn poll(server: &mut mockito::ServerGuard, body: String) -> Mock {
    server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn yields_each_new_call_once_and_reports_errors_between() {
    let mut server = server_with_token("t").await;
    // Poll 1: the baseline (not reported). Poll 2: one new. Poll 3: a failure. Poll 4: the
    // same calls again plus one more. mockito serves these in order.
    poll(&mut server, calls(&[31733467784618201, 31733467784618202])).await;
    poll(
        &mut server,
        calls(&[31733467784618201, 31733467784618202, 31733467784618203]),
    )
    .await;
    server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_status(503)
        .expect(3) // the read's own retries
        .create_async()
        .await;
    poll(
        &mut server,
        calls(&[
            31733467784618201,
            31733467784618202,
            31733467784618203,
            31733467784618204,
        ]),
    )
    .await;
    let client = client(&server);
    let mut watcher = client.watch_missed_calls(Duration::from_millis(150));

    let first = watcher.next().await.unwrap().unwrap();
    assert_eq!(first.monitor_ucid, "31733467784618203");
    let err = watcher.next().await.unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    let second = watcher.next().await.unwrap().unwrap();
    assert_eq!(second.monitor_ucid, "31733467784618204");
}

#[tokio::test]
async fn include_existing_reports_the_baseline() {
    let mut server = server_with_token("t").await;
    poll(&mut server, calls(&[1, 2])).await;
    poll(&mut server, calls(&[1, 2, 3])).await;
    let client = client(&server);
    let ids: Vec<String> = client
        .watch_missed_calls_with(WatchOptions {
            interval: Duration::from_millis(150),
            include_existing: true,
            campaign_name: None,
        })
        .take(3)
        .map(|c| c.unwrap().monitor_ucid)
        .collect()
        .await;
    assert_eq!(ids, ["1", "2", "3"]);
}

/// Ozonetel's `callTime` is its clock in the account's zone and the list is whatever it
/// returns: a call whose `callTime` is a week old is still one call, yielded once and never
/// again while it stays listed; the baseline is never re-reported either.
#[tokio::test]
async fn an_old_call_time_is_yielded_once_not_on_every_poll() {
    let mut server = server_with_token("t").await;
    let week = chrono::Duration::days(7);
    poll(&mut server, calls_at(&[1], week)).await; // baseline, a week old
    poll(&mut server, calls_at(&[1, 2], week)).await; // 2 is new
    for _ in 0..3 {
        poll(&mut server, calls_at(&[1, 2], week)).await; // nothing new, three times
    }
    poll(&mut server, calls_at(&[1, 2, 3], week)).await; // 3 is new
    let client = client(&server);
    let mut watcher = client.watch_missed_calls(Duration::from_millis(100));
    let ids = [
        watcher.next().await.unwrap().unwrap().monitor_ucid,
        watcher.next().await.unwrap().unwrap().monitor_ucid,
    ];
    assert_eq!(ids, ["2", "3"], "each new call once, the baseline never");
}

/// A call listed twice in one answer is still one call.
#[tokio::test]
async fn a_call_listed_twice_in_one_answer_is_yielded_once() {
    let mut server = server_with_token("t").await;
    poll(&mut server, calls(&[])).await;
    poll(&mut server, calls(&[7, 7])).await;
    poll(&mut server, calls(&[7, 8])).await;
    let client = client(&server);
    let ids: Vec<String> = client
        .watch_missed_calls(Duration::from_millis(100))
        .take(2)
        .map(|c| c.unwrap().monitor_ucid)
        .collect()
        .await;
    assert_eq!(ids, ["7", "8"]);
}

/// Watchers on one account and store — a clone of a client, another client given the same
/// store — poll Ozonetel once between them, and each yields each new call once.
#[tokio::test]
async fn watchers_sharing_a_store_share_one_poller() {
    let mut server = server_with_token("t").await;
    let polls = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let seen = polls.clone();
    // One more call every 150 ms, up to 6.
    server
        .mock("GET", "/ca_apis/abandonCalls")
        .with_body_from_request(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
            let n = (start.elapsed().as_millis() / 150 + 1).min(6) as u64;
            calls(&(1..=n).collect::<Vec<_>>()).into_bytes()
        })
        .create_async()
        .await;
    let store: Arc<dyn AccountStore> = Arc::new(MemoryAccountStore::new());
    let first = builder(&server)
        .account_store_arc(store.clone())
        .build()
        .unwrap();
    let second = builder(&server).account_store_arc(store).build().unwrap();
    let options = WatchOptions {
        interval: Duration::from_millis(100),
        include_existing: true,
        campaign_name: None,
    };
    let watch = |client: &helix_engage::ozonetel::Client| {
        client
            .watch_missed_calls_with(options.clone())
            .filter_map(|c| async move { c.ok() })
            .take(6)
            .map(|c| c.monitor_ucid)
            .collect::<Vec<_>>()
    };
    let (a, b, c) = tokio::join!(watch(&first), watch(&second), watch(&first.clone()));
    let elapsed = start.elapsed();
    let all: Vec<String> = (1..=6).map(|i| i.to_string()).collect();
    assert_eq!(a, all);
    assert_eq!(b, all);
    assert_eq!(c, all);
    let polls = polls.load(Ordering::SeqCst);
    let intervals = (elapsed.as_millis() / 100) as usize + 1;
    assert!(
        polls <= intervals + 1,
        "{polls} polls in {elapsed:?}: one poller at a 100 ms interval, not three"
    );
}
