//! `fetchCdrByPagination`: GET with a JSON body plus page fields, one paced CDR request per
//! page, pages until the day's total, page size checked before anything is sent.

mod common;

use std::time::{Duration, Instant};

use chrono::{Days, FixedOffset, NaiveDate, Utc};
use common::*;
use futures::StreamExt;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::CallRecordsQuery;
use mockito::Matcher;
use serde_json::{Value, json};

const PATH: &str = "/ca_reports/fetchCdrByPagination";

fn day() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .date_naive()
        - Days::new(2)
}

fn records(from: u64, n: u64) -> Vec<Value> {
    (from..from + n)
        .map(|i| json!({"UCID": 31733467784618000u64 + i, "HandlingTime": null, "WrapupDuration": null, "TransferTo": "ravi"}))
        .collect()
}

fn page_mock(server: &mut mockito::ServerGuard, page: u32, body: Value) -> mockito::Mock {
    let d = day();
    server
        .mock("GET", PATH)
        .match_query(Matcher::Missing)
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "fromDate": format!("{d} 00:00:00"),
            "toDate": format!("{d} 23:59:59"),
            "campaignName": "Inbound_1",
            "pageNo": page,
            "pageSize": 2,
        })))
        .with_body(body.to_string())
        .expect(1)
}

#[tokio::test]
async fn pages_until_the_total_each_one_paced() {
    let mut server = server_with_token("p").await;
    let p1 = page_mock(
        &mut server,
        1,
        json!({"status":"success","totalCount":"5","details": records(0, 2)}),
    )
    .create_async()
    .await;
    let p2 = page_mock(
        &mut server,
        2,
        json!({"status":"success","totalCount":5,"details": records(2, 2)}),
    )
    .create_async()
    .await;
    let p3 = page_mock(
        &mut server,
        3,
        json!({"status":"success","totalCount":5,"details": records(4, 1)}),
    )
    .create_async()
    .await;
    // One CDR request per 250 ms: three pages take at least two intervals.
    let client = builder(&server)
        .cdr_rate_limit(1, Duration::from_millis(250))
        .build()
        .unwrap();
    let query = CallRecordsQuery::day(day()).campaign("Inbound_1");
    let started = Instant::now();
    let pages: Vec<_> = client.call_record_pages(&query, 2).collect().await;
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    let pages: Vec<_> = pages.into_iter().map(Result::unwrap).collect();
    assert_eq!(pages.len(), 3);
    assert_eq!(
        pages.iter().map(|p| p.page_no).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(pages[0].total_count, Some(5));
    assert_eq!(pages[2].records[0].ucid, "31733467784618004");
    assert_eq!(pages[2].records[0].transferred_to, "ravi");
    assert_eq!(pages[2].records[0].handling_time, "");
    p1.assert_async().await;
    p2.assert_async().await;
    p3.assert_async().await;
}

#[tokio::test]
async fn a_short_page_ends_the_day_and_errors_end_the_stream() {
    let mut server = server_with_token("p").await;
    let p1 = page_mock(&mut server, 1, json!({"details": records(0, 1)}))
        .create_async()
        .await;
    let client = builder(&server)
        .cdr_rate_limit(100, Duration::from_millis(10))
        .build()
        .unwrap();
    let query = CallRecordsQuery::day(day()).campaign("Inbound_1");
    let pages: Vec<_> = client.call_record_pages(&query, 2).collect().await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].as_ref().unwrap().total_count, None);
    p1.assert_async().await;
    p1.remove_async().await;

    let bad = server
        .mock("GET", PATH)
        .with_body(r#"{"status":"fail","message":"Invalid campaignName"}"#)
        .expect(1)
        .create_async()
        .await;
    let pages: Vec<_> = client.call_record_pages(&query, 2).collect().await;
    assert_eq!(pages.len(), 1);
    let err = pages.into_iter().next().unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    assert!(err.to_string().contains("page 1"), "{err}");
    bad.assert_async().await;
}

#[tokio::test]
async fn page_size_and_window_are_checked_before_sending() {
    let mut server = mockito::Server::new_async().await;
    let guards = nothing_sent(&mut server).await;
    let c = client(&server);
    for size in [0, 501, u32::MAX] {
        let items: Vec<_> = c
            .call_record_pages(&CallRecordsQuery::day(day()), size)
            .collect()
            .await;
        assert_eq!(items.len(), 1);
        let err = items.into_iter().next().unwrap().unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.to_string().contains("page_size"), "{err}");
    }
    let old = day() - Days::new(40);
    let items: Vec<_> = c
        .call_record_pages(&CallRecordsQuery::day(old), 100)
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    let err = items.into_iter().next().unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    for g in guards {
        g.assert_async().await;
    }
}
