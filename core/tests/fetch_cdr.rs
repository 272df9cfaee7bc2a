//! `fetchCDRDetails` / `fetchCdrByUCID`: GET with a JSON body, per-day windows, pacing,
//! typed records with exact big ids.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, FixedOffset, NaiveDate, Utc};
use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{CALL_RECORD_FIELDS, CallRecordsQuery, CdrProgress, hms_duration};
use mockito::Matcher;
use serde_json::{Value, json};

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .date_naive()
}

/// A full record with every documented field, ids as JSON numbers above 2^53.
fn record(ucid: u64, date: NaiveDate) -> Value {
    let mut r = serde_json::Map::new();
    for field in CALL_RECORD_FIELDS {
        r.insert((*field).into(), Value::String(format!("{field}-value")));
    }
    r.insert("CallID".into(), json!(31733467784618213u64));
    r.insert("UCID".into(), json!(ucid));
    r.insert("CallDate".into(), json!(date.to_string()));
    r.insert("Duration".into(), json!("00:04:05"));
    r.insert("Status".into(), json!("Answered"));
    r.insert("CallFlow".into(), json!([{"type": "IVR"}]));
    r.insert("Rating".into(), Value::Null);
    r.insert("BrandNewField".into(), json!({"x": 1}));
    Value::Object(r)
}

#[tokio::test]
async fn a_day_is_one_get_with_a_json_body_and_typed_records() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("t", in_an_hour());
    token_mock(&mut server, &token).await;
    let day = today() - Days::new(3);
    let no_post = server
        .mock("POST", "/ca_reports/fetchCDRDetails")
        .expect(0)
        .create_async()
        .await;
    let fetch = server
        .mock("GET", "/ca_reports/fetchCDRDetails")
        .match_query(Matcher::Missing)
        .match_header("authorization", format!("Bearer {token}").as_str())
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "fromDate": format!("{day} 00:00:00"),
            "toDate": format!("{day} 23:59:59"),
            "campaignName": "Inbound_918041763265",
            "status": "Answered",
        })))
        .with_body(
            json!({ "details": [record(31733467784618299, day)], "totalCount": 1 }).to_string(),
        )
        .create_async()
        .await;
    let q = CallRecordsQuery::day(day)
        .campaign("Inbound_918041763265")
        .status("Answered");
    let records = client(&server).call_records(&q).await.unwrap();
    fetch.assert_async().await;
    no_post.assert_async().await;
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.call_id, "31733467784618213");
    assert_eq!(r.ucid, "31733467784618299");
    assert_eq!(r.call_date, day.to_string());
    assert!(r.is_answered());
    assert_eq!(hms_duration(&r.duration), Some(Duration::from_secs(245)));
    assert_eq!(r.caller_id, "CallerID-value");
    assert_eq!(r.video_recording_url, "VideoRecordingURL-value");
    assert_eq!(r.wrap_up_start_time, "WrapUpStartTime-value");
    assert_eq!(r.rating, "", "null becomes empty");
    assert_eq!(
        r.call_flow, r#"[{"type":"IVR"}]"#,
        "structured values kept as JSON text"
    );
    assert_eq!(r.extra["BrandNewField"], json!({"x": 1}));
    let out = serde_json::to_value(r).unwrap();
    assert_eq!(out["ucid"], "31733467784618299");
    assert_eq!(out["callerId"], "CallerID-value");
}

#[tokio::test]
async fn three_days_split_per_day_paced_with_progress() {
    let mut server = server_with_token("t").await;
    let arrivals: Arc<Mutex<Vec<(Instant, Value)>>> = Arc::default();
    let seen = arrivals.clone();
    let fetch = server
        .mock("GET", "/ca_reports/fetchCDRDetails")
        .match_query(Matcher::Missing)
        .with_body_from_request(move |req| {
            let body: Value = serde_json::from_slice(req.body().unwrap()).unwrap();
            let date =
                NaiveDate::parse_from_str(&body["fromDate"].as_str().unwrap()[..10], "%Y-%m-%d")
                    .unwrap();
            seen.lock().unwrap().push((Instant::now(), body));
            json!({ "details": [record(31733467784618000 + date.ordinal() as u64, date)] })
                .to_string()
                .into_bytes()
        })
        .expect(3)
        .create_async()
        .await;
    let window = Duration::from_millis(400);
    let client = builder(&server).cdr_rate_limit(2, window).build().unwrap();
    let first = today() - Days::new(2);
    let q = CallRecordsQuery::between(
        first.and_hms_opt(8, 0, 0).unwrap(),
        today().and_hms_opt(23, 59, 59).unwrap(),
    );
    let mut progress: Vec<CdrProgress> = Vec::new();
    let records = client
        .call_records_with_progress(&q, |p| progress.push(p.clone()))
        .await
        .unwrap();
    fetch.assert_async().await;
    assert_eq!(records.len(), 3);

    let arrivals = arrivals.lock().unwrap();
    let windows: Vec<(String, String)> = arrivals
        .iter()
        .map(|(_, b)| {
            (
                b["fromDate"].as_str().unwrap().into(),
                b["toDate"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        windows[0],
        (format!("{first} 08:00:00"), format!("{first} 23:59:59"))
    );
    let mid = first + Days::new(1);
    assert_eq!(
        windows[1],
        (format!("{mid} 00:00:00"), format!("{mid} 23:59:59"))
    );
    assert_eq!(windows[2].0, format!("{} 00:00:00", today()));
    assert!(
        windows[2].1 < format!("{} 23:59:59", today()) || windows[2].1.ends_with("23:59:59"),
        "today's window ends at now, not in the future"
    );
    // Never more than 2 requests inside one window.
    assert!(arrivals[2].0 - arrivals[0].0 >= window - Duration::from_millis(20));

    assert_eq!(progress.len(), 3);
    assert_eq!(
        progress.iter().map(|p| p.days_done).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(progress.iter().all(|p| p.days_total == 3));
    assert_eq!(progress[2].records_so_far, 3);
    assert!(
        progress[1].next_request_in > Duration::ZERO,
        "the host is told about the wait"
    );
    assert_eq!(progress[2].next_request_in, Duration::ZERO);
}

#[tokio::test]
async fn record_by_ucid_uses_fetch_cdr_by_ucid() {
    let mut server = server_with_token("t").await;
    let day = today() - Days::new(1);
    let by_ucid = server
        .mock("GET", "/ca_reports/fetchCdrByUCID")
        .match_query(Matcher::Missing)
        .match_body(Matcher::Json(json!({
            "userName": USER,
            "ucid": "31733467784618299",
            "fromDate": format!("{day} 00:00:00"),
            "toDate": format!("{day} 23:59:59"),
        })))
        .with_body(
            json!({ "status": "success", "details": [record(31733467784618299, day)] }).to_string(),
        )
        .create_async()
        .await;
    let client = client(&server);
    let r = client
        .call_record("31733467784618299", day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.ucid, "31733467784618299");
    by_ucid.assert_async().await;
    by_ucid.remove_async().await;
    server
        .mock("GET", "/ca_reports/fetchCdrByUCID")
        .with_body(r#"{"details":[]}"#)
        .create_async()
        .await;
    assert!(
        client
            .call_record("31733467784618299", day)
            .await
            .unwrap()
            .is_none()
    );
}

/// An answer that lists other calls but not the one asked for means "no record of it": never
/// another caller's record in its place.
#[tokio::test]
async fn record_by_ucid_is_none_when_the_answer_lacks_that_ucid() {
    let mut server = server_with_token("t").await;
    let day = today() - Days::new(1);
    server
        .mock("GET", "/ca_reports/fetchCdrByUCID")
        .with_body(
            json!({ "status": "success", "details": [
                record(31733467784618201, day),
                record(31733467784618202, day),
            ] })
            .to_string(),
        )
        .create_async()
        .await;
    let found = client(&server)
        .call_record("31733467784618299", day)
        .await
        .unwrap();
    assert_eq!(found, None, "another call's record came back");
}

#[tokio::test]
async fn documented_cdr_errors_are_typed() {
    let cases = [
        (
            r#"{"status":"false","message":"Invalid Json Pass Valid Json"}"#,
            ErrorCode::Api,
        ),
        (
            r#"{"status":"false","message":"Missing userName or apiKey"}"#,
            ErrorCode::Auth,
        ),
        (
            r#"{"status":"fail","message":"Missing fromDate and toDate"}"#,
            ErrorCode::Api,
        ),
        (
            r#"{"status":"fail","message":"Invalid fromDate format. Please pass the date in the format yyyy-MM-dd HH:mm:ss"}"#,
            ErrorCode::Api,
        ),
        (
            r#"{"status":"fail","message":"fromDate and toDate should not be future dates"}"#,
            ErrorCode::Api,
        ),
        (
            r#"{"status":"fail","message":"Invalid campaignName"}"#,
            ErrorCode::Api,
        ),
        (r#"{"details":"nope"}"#, ErrorCode::Protocol),
        (r#"<html>gateway</html>"#, ErrorCode::Protocol),
    ];
    for (body, code) in cases {
        let mut server = server_with_token("t").await;
        server
            .mock("GET", "/ca_reports/fetchCDRDetails")
            .with_body(body)
            .create_async()
            .await;
        let err = client(&server)
            .call_records(&CallRecordsQuery::day(today()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{body}: {err}");
        assert!(
            err.to_string().contains(&today().to_string()),
            "names the day: {err}"
        );
    }
}

/// `cdr_slot_wait` tells a progress display how long the next CDR request would wait, without
/// taking a slot; `local_now` is the account's "today".
#[tokio::test]
async fn the_slot_wait_is_read_without_taking_a_slot() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt("t", in_an_hour())).await;
    let fetch = server
        .mock("GET", "/ca_reports/fetchCDRDetails")
        .with_body(json!({ "details": [] }).to_string())
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server)
        .cdr_rate_limit(1, Duration::from_millis(500))
        .build()
        .unwrap();
    assert_eq!(client.local_now().date(), today());
    assert_eq!(client.cdr_slot_wait().await, Duration::ZERO);
    assert_eq!(
        client.cdr_slot_wait().await,
        Duration::ZERO,
        "asking took nothing"
    );
    let day = today() - Days::new(1);
    client
        .call_records(&CallRecordsQuery::day(day))
        .await
        .unwrap();
    fetch.assert_async().await;
    let wait = client.cdr_slot_wait().await;
    // The window plus the pacer's 1 s margin, less the moments since the request.
    assert!(
        wait > Duration::from_millis(1_000) && wait <= Duration::from_millis(1_500),
        "{wait:?}"
    );
}
