//! Promises that only a strict or hostile server tests: the CDR pace as the server counts it,
//! one deadline for a server that never answers, tokens with absurd expiries, and answers that
//! happen to contain the key.

mod common;

use std::time::{Duration, Instant};

use chrono::{Days, FixedOffset, Utc};
use common::raw_http::{recording_server, requests_to};
use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{CallRecordsQuery, Client, RetryPolicy};

fn local_now() -> chrono::NaiveDateTime {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .naive_local()
}

fn token_body() -> String {
    format!(r#"{{"token":"{}","message":""}}"#, jwt("t", in_an_hour()))
}

fn client_at(url: &str) -> helix_engage::ozonetel::ClientBuilder {
    Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(url)
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        })
}

/// Ozonetel counts CDR requests as they arrive. Any three in a row must span more than the
/// window, whatever a token fetch or a retry did in between.
#[tokio::test]
async fn the_cdr_pace_holds_as_the_server_counts_it_retries_included() {
    let window = Duration::from_millis(300);
    // The first CDR request fails (a 5xx-free transient: the reply is never sent, so the
    // per-attempt timeout fires) and is retried; the rest answer.
    let (url, seen) = recording_server(|i, path| {
        if path.contains("generateToken") {
            Some(token_body())
        } else if i == 1 {
            None
        } else {
            Some(r#"{"details":[]}"#.to_string())
        }
    })
    .await;
    let client = client_at(&url)
        .timeout(Duration::from_millis(300))
        .overall_timeout(Duration::from_secs(10))
        .cdr_rate_limit(2, window)
        .build()
        .unwrap();
    let now = local_now();
    let from = (now - Days::new(2)).date().and_hms_opt(0, 0, 0).unwrap();
    client
        .call_records(&CallRecordsQuery::between(from, now))
        .await
        .unwrap();
    let cdr: Vec<Instant> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, p)| p.contains("fetchCDRDetails"))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(cdr.len(), 4, "three days, one retried");
    for w in cdr.windows(3) {
        assert!(
            w[2] - w[0] > window,
            "three CDR requests within {:?}",
            w[2] - w[0]
        );
    }
}

/// A server that never answers costs one overall deadline (1.5 × the timeout by default), not
/// the timeout once per attempt.
#[tokio::test]
async fn a_server_that_never_answers_costs_one_deadline() {
    let (url, seen) =
        recording_server(|_, path| path.contains("generateToken").then(token_body)).await;
    let client = client_at(&url)
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let err = agent_of(&client).hold("90174967305497").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    let holds = requests_to(&seen, "CallControl");
    // 400 ms + backoff + what is left of 600 ms: two attempts, never the policy's three.
    assert_eq!(holds, 2, "attempts within the deadline");

    // A longer deadline lets the policy's three attempts happen.
    let (url, seen) =
        recording_server(|_, path| path.contains("generateToken").then(token_body)).await;
    let client = client_at(&url)
        .timeout(Duration::from_millis(200))
        .overall_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(
        agent_of(&client)
            .hold("90174967305497")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Timeout
    );
    let holds = requests_to(&seen, "CallControl");
    assert_eq!(holds, 3);
}

/// A JWT `exp` beyond what a clock can hold is "no usable expiry": the token lives the
/// documented hour, and nothing panics.
#[tokio::test]
async fn a_token_with_an_exp_above_2_pow_63_gets_the_default_life() {
    for exp in [u64::MAX, 1 << 63] {
        let mut server = mockito::Server::new_async().await;
        let gen_mock = token_endpoint(&mut server, &jwt("huge", exp))
            .expect(1)
            .create_async()
            .await;
        created(call_control_mock(&mut server).with_body(HOLD_OK), 2).await;
        let c = client(&server);
        agent_of(&c).hold("90174967305497").await.unwrap();
        agent_of(&c).hold("90174967305497").await.unwrap();
        gen_mock.assert_async().await;
    }
}

/// The key is scrubbed from what is quoted back, never from the bytes that are parsed: a
/// one-letter key must not turn `"token"` into `"to[redacted]en"`.
#[tokio::test]
async fn a_short_key_does_not_corrupt_answers_and_is_still_scrubbed_from_errors() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/ca_apis/CAToken/generateToken")
        .match_header("apiKey", "k")
        .with_body(format!(
            r#"{{"token":"{}","message":"ok"}}"#,
            jwt("kkk", in_an_hour())
        ))
        .create_async()
        .await;
    created(
        call_control_mock(&mut server)
            .with_body(r#"{"status":"Success","message":"kick ok","ucid":"90174967305497"}"#),
        1,
    )
    .await;
    let c = builder(&server).api_key("k").build().unwrap();
    let ok = agent_of(&c).hold("90174967305497").await.unwrap();
    assert_eq!(ok.message, "kick ok", "parsed as sent");

    // An error that echoes a (longer) key is scrubbed before it is shown.
    let mut server = server_with_token("t").await;
    call_control_mock(&mut server)
        .with_body(format!(
            r#"{{"status":"Error","message":"Call not Found for apiKey={KEY}"}}"#
        ))
        .create_async()
        .await;
    let err = agent(&server).hold("90174967305497").await.unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::Api,
        "a mention of apiKey is not an auth refusal"
    );
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(err.to_string().contains("[redacted]"), "{err}");
}
