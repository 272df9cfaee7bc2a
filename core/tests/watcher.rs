//! The missed-call watcher: each new call once, errors as items, keeps going.

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::WatchOptions;
use mockito::Mock;

fn calls(ids: &[u64]) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                r#"{{"monitorUCID":{id},"type":"Inbound","status":"NotAnswered","campaign":"c","callerID":"0987654{:04}","did":"1","skillID":"1","skill":"","agentID":"","agent":"","hangupBy":"CustomerHangup","callTime":"2026-11-26 10:00:00"}}"#,
                id % 10_000
            )
        })
        .collect();
    format!(r#"{{"status":"success","message":[{}]}}"#, items.join(","))
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
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt("t", in_an_hour())).await;
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
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt("t", in_an_hour())).await;
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
