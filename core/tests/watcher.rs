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

/// Options for the sharing tests: every call, polled each `interval` ms.
fn every(interval: u64) -> WatchOptions {
    WatchOptions {
        interval: Duration::from_millis(interval),
        include_existing: true,
        campaign_name: None,
    }
}

/// Two clients on one store, told apart at the server by their base URL's path (`/a`, `/b`).
async fn two_clients_on_one_store(
    server: &mockito::ServerGuard,
) -> (
    helix_engage::ozonetel::Client,
    helix_engage::ozonetel::Client,
) {
    let store: Arc<dyn AccountStore> = Arc::new(MemoryAccountStore::new());
    let at = |path: &str| {
        builder(server)
            .base_url(format!("{}/{path}", server.url()))
            .auth_mode(helix_engage::ozonetel::AuthMode::Basic)
            .account_store_arc(store.clone())
            .build()
            .unwrap()
    };
    (at("a"), at("b"))
}

/// A watcher that is dropped hands polling over at once, not after its lease runs out.
#[tokio::test]
async fn a_dropped_poller_hands_over_at_once() {
    let mut server = server_with_token("t").await;
    let polls: Arc<std::sync::Mutex<Vec<(Instant, String)>>> = Arc::default();
    let seen = polls.clone();
    server
        .mock(
            "GET",
            mockito::Matcher::Regex(r"^/[ab]/ca_apis/abandonCalls$".into()),
        )
        .with_body_from_request(move |req| {
            seen.lock()
                .unwrap()
                .push((Instant::now(), req.path()[1..2].to_string()));
            calls(&[1]).into_bytes()
        })
        .create_async()
        .await;
    let (a, b) = two_clients_on_one_store(&server).await;
    let mut first = a.watch_missed_calls_with(every(200));
    first.next().await.unwrap().unwrap();
    // The second watcher reads the first one's list, so it polls nothing itself.
    let mut second = b.watch_missed_calls_with(every(200));
    second.next().await.unwrap().unwrap();
    drop(first);
    let dropped = Instant::now();
    // Nothing new arrives: the stream just goes on watching (reading, then polling).
    let idle = tokio::time::timeout(Duration::from_millis(600), second.next()).await;
    assert!(idle.is_err(), "nothing new to yield: {idle:?}");
    let polls = polls.lock().unwrap().clone();
    let (before, after): (Vec<_>, Vec<_>) = polls.iter().partition(|(t, _)| *t < dropped);
    assert!(before.iter().all(|(_, who)| who == "a"), "{polls:?}");
    let took_over = after.first().expect("the second watcher polls");
    assert_eq!(took_over.1, "b");
    // Its next tick (200 ms), not the lease's end (600 ms after the first's last renewal).
    assert!(
        took_over.0 - dropped < Duration::from_millis(400),
        "took over after {:?}",
        took_over.0 - dropped
    );
}

/// A poller whose polls keep failing reports them itself; a watcher reading its list says
/// once that no list comes, and does not repeat the poller's errors.
#[tokio::test]
async fn a_follower_reports_a_failing_poller_once() {
    let mut server = server_with_token("t").await;
    server
        .mock(
            "GET",
            mockito::Matcher::Regex(r"^/a/ca_apis/abandonCalls$".into()),
        )
        .with_body(calls(&[1]))
        .expect(1)
        .create_async()
        .await;
    server
        .mock(
            "GET",
            mockito::Matcher::Regex(r"^/a/ca_apis/abandonCalls$".into()),
        )
        .with_status(503)
        .create_async()
        .await;
    let (a, b) = two_clients_on_one_store(&server).await;
    let mut first = a.watch_missed_calls_with(every(100));
    first.next().await.unwrap().unwrap();
    let second = b.watch_missed_calls_with(every(100));
    // Drive both: the poller must keep renewing its lease.
    let poller = tokio::spawn(async move {
        let errors: Vec<_> = first
            .take_until(tokio::time::sleep(Duration::from_millis(1500)))
            .collect()
            .await;
        assert!(
            errors
                .iter()
                .all(|e| e.as_ref().unwrap_err().code() == ErrorCode::Api),
            "{errors:?}"
        );
        errors.len()
    });
    let items: Vec<_> = second
        .take_until(tokio::time::sleep(Duration::from_millis(1500)))
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().monitor_ucid, "1");
    assert_eq!(items[1].as_ref().unwrap_err().code(), ErrorCode::Timeout);
    assert!(
        poller.await.unwrap() >= 5,
        "the poller reports each failed poll"
    );
}
