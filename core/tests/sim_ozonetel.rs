//! The Ozonetel client end to end against the simulator: real rules, real state changes.

use std::time::Duration;

use chrono::{Days, NaiveDateTime, NaiveTime};
use futures::StreamExt;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{
    AbandonedCallsQuery, Agent, AgentRef, AuthMode, CallAction, CallRecordsQuery, Client,
    RetryPolicy, TransferMode, TransferState,
};
use helix_engage_sim::{
    Account, DEFAULT_API_KEY, DEFAULT_USER_NAME, NewCall, PartyRole, PastCall, Simulator,
};

const AGENT: &str = "9123456780";
const CUSTOMER: &str = "9876543210";
const TARGET: &str = "9988776655";

/// The simulator's seeded agent on `client`.
fn agent_of(client: &Client) -> Agent {
    client
        .agent(
            AgentRef::new("agent1")
                .with_did("918041763265")
                .with_phone_name("agent1")
                .with_number(AGENT),
        )
        .unwrap()
}

fn client(sim: &Simulator) -> Client {
    Client::builder()
        .user_name(DEFAULT_USER_NAME)
        .api_key(DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        })
        .build()
        .unwrap()
}

/// A fresh simulator with one live call on it: the simulator, the call's ucid and a client.
async fn a_live_call() -> (Simulator, String, Client) {
    let sim = Simulator::start().await.unwrap();
    let ucid = live_call(&sim);
    let c = client(&sim);
    (sim, ucid, c)
}

fn live_call(sim: &Simulator) -> String {
    sim.seed_call(NewCall {
        customer_number: CUSTOMER.into(),
        agent_number: AGENT.into(),
        ..Default::default()
    })
    .unwrap()
    .ucid
}

fn party(sim: &Simulator, ucid: &str, tail: &str) -> Option<helix_engage_sim::Participant> {
    let call = sim.call(ucid)?;
    call.participants
        .into_iter()
        .find(|p| p.number.ends_with(tail))
}

#[tokio::test]
async fn hold_mute_and_recording_change_the_call() {
    let (sim, ucid, c) = a_live_call().await;

    let r = agent_of(&c).hold(&ucid).await.unwrap();
    assert_eq!(r.ucid.as_deref(), Some(ucid.as_str()));
    assert!(party(&sim, &ucid, CUSTOMER).unwrap().on_hold);
    agent_of(&c).unhold(&ucid).await.unwrap();
    assert!(!party(&sim, &ucid, CUSTOMER).unwrap().on_hold);
    agent_of(&c).mute(&ucid).await.unwrap();
    assert!(party(&sim, &ucid, CUSTOMER).unwrap().muted);
    agent_of(&c).unmute(&ucid).await.unwrap();
    assert!(!party(&sim, &ucid, CUSTOMER).unwrap().muted);

    let paused = c.pause_recording(&ucid).await.unwrap();
    assert_eq!(paused.message, "paused monitoring of the channel");
    assert!(sim.call(&ucid).unwrap().recording_paused);
    c.resume_recording(&ucid).await.unwrap();
    assert!(!sim.call(&ucid).unwrap().recording_paused);
    // One token for everything.
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 1);
}

#[tokio::test]
async fn unknown_call_is_an_api_error() {
    let sim = Simulator::start().await.unwrap();
    let c = client(&sim);
    let err = agent_of(&c).hold("31733467784618999").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    assert!(err.to_string().contains("Call not Found"), "{err}");
    let err = c.pause_recording("31733467784618999").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api, "{err}");
}

#[tokio::test]
async fn warm_transfer_moves_the_call_to_the_target() {
    let (sim, ucid, c) = a_live_call().await;
    let t = agent_of(&c)
        .transfer(&ucid, TARGET, TransferMode::Warm)
        .await
        .unwrap();
    let target = party(&sim, &ucid, TARGET).expect("target conferenced in");
    assert_eq!(target.role, PartyRole::Conference);
    assert!(
        party(&sim, &ucid, AGENT).is_some(),
        "agent still on during a warm transfer"
    );
    t.complete().await.unwrap();
    assert_eq!(t.state(), TransferState::Completed);
    assert!(party(&sim, &ucid, AGENT).is_none(), "agent dropped");
    assert!(party(&sim, &ucid, TARGET).is_some());
    assert!(party(&sim, &ucid, CUSTOMER).is_some());
}

#[tokio::test]
async fn cancelled_warm_transfer_drops_only_the_target() {
    let (sim, ucid, c) = a_live_call().await;
    let t = agent_of(&c)
        .transfer(&ucid, TARGET, TransferMode::Warm)
        .await
        .unwrap();
    t.cancel().await.unwrap();
    assert!(party(&sim, &ucid, TARGET).is_none());
    assert!(party(&sim, &ucid, AGENT).is_some());
    assert!(party(&sim, &ucid, CUSTOMER).is_some());
}

#[tokio::test]
async fn cold_transfer_leaves_customer_and_target() {
    let (sim, ucid, c) = a_live_call().await;
    let t = agent_of(&c)
        .transfer(&ucid, TARGET, TransferMode::Cold)
        .await
        .unwrap();
    assert_eq!(t.state(), TransferState::Completed);
    let numbers: Vec<String> = sim
        .call(&ucid)
        .unwrap()
        .participants
        .into_iter()
        .map(|p| p.number)
        .collect();
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    assert!(party(&sim, &ucid, AGENT).is_none());
    assert!(party(&sim, &ucid, TARGET).is_some());
}

#[tokio::test]
async fn kick_of_a_party_not_on_the_call_is_refused() {
    let sim = Simulator::start().await.unwrap();
    let ucid = live_call(&sim);
    let err = agent_of(&client(&sim))
        .call_control(CallAction::KickCall, &ucid, Some(TARGET))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Api);
    assert_eq!(sim.call(&ucid).unwrap().participants.len(), 2);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_call_goes_through() {
    let (sim, ucid, c) = a_live_call().await;
    agent_of(&c).hold(&ucid).await.unwrap();
    // The simulator's clock moves past the token's 60 minutes; the client's does not, so only
    // Ozonetel's "Token Expired" can tell it.
    sim.advance(Duration::from_secs(61 * 60));
    agent_of(&c).unhold(&ucid).await.unwrap();
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 2);
}

#[tokio::test]
async fn a_token_invalidated_by_a_newer_one_is_replaced() {
    let (sim, ucid, c) = a_live_call().await;
    agent_of(&c).hold(&ucid).await.unwrap();
    // Someone else on the account (another process without a shared store, a hand-written
    // script) generates one, invalidating ours.
    let generated = reqwest::Client::new()
        .post(format!(
            "{}/ca_apis/CAToken/generateToken",
            sim.ozonetel_url()
        ))
        .header("apiKey", DEFAULT_API_KEY)
        .json(&serde_json::json!({ "userName": DEFAULT_USER_NAME }))
        .send()
        .await
        .unwrap();
    assert!(generated.status().is_success());
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 2);
    agent_of(&c).unhold(&ucid).await.unwrap();
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 3);
    // A second client in this process is the same account: it uses the new token.
    agent_of(&client(&sim)).mute(&ucid).await.unwrap();
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 3);
}

#[tokio::test]
async fn basic_auth_accounts_work_without_tokens() {
    let sim = Simulator::start().await.unwrap();
    sim.add_account(Account::basic("basicco", "basic-key"));
    let ucid = sim
        .seed_call(NewCall {
            account: Some("basicco".into()),
            agent_number: AGENT.into(),
            ..Default::default()
        })
        .unwrap()
        .ucid;
    let c = Client::builder()
        .user_name("basicco")
        .api_key("basic-key")
        .auth_mode(AuthMode::Basic)
        .base_url(sim.ozonetel_url())
        .build()
        .unwrap();
    agent_of(&c).hold(&ucid).await.unwrap();
    assert_eq!(sim.token_generations("basicco"), 0);
    // The same account driven in token mode is told, clearly, that the mode is wrong.
    let wrong = Client::builder()
        .user_name("basicco")
        .api_key("wrong-key")
        .base_url(sim.ozonetel_url())
        .build()
        .unwrap();
    assert_eq!(
        agent_of(&wrong).hold(&ucid).await.unwrap_err().code(),
        ErrorCode::Auth
    );
}

#[tokio::test]
async fn ended_calls_reach_missed_calls_and_history() {
    let sim = Simulator::start().await.unwrap();
    let c = client(&sim);
    let answered = live_call(&sim);
    let missed = sim
        .seed_call(NewCall {
            customer_number: "9000000001".into(),
            answered: false,
            ..Default::default()
        })
        .unwrap()
        .ucid;
    sim.end_call(&answered).unwrap();
    sim.end_call(&missed).unwrap();

    let missed_calls = c
        .abandoned_calls(&AbandonedCallsQuery::today())
        .await
        .unwrap();
    assert_eq!(missed_calls.len(), 1);
    assert!(missed_calls[0].caller_id.ends_with("9000000001"));
    assert!(missed_calls[0].monitor_ucid.len() >= 16, "an exact big id");

    let today = sim.clock().now_naive_local().date();
    let records = c.call_records(&CallRecordsQuery::day(today)).await.unwrap();
    let ucids: Vec<&str> = records.iter().map(|r| r.ucid.as_str()).collect();
    assert!(ucids.contains(&answered.as_str()), "{ucids:?}");
    let one = c.call_record(&answered, today).await.unwrap().unwrap();
    assert_eq!(one.ucid, answered);
    assert!(one.is_answered());
}

#[tokio::test]
async fn the_missed_call_watcher_reports_new_missed_calls_once() {
    let sim = Simulator::start().await.unwrap();
    let c = client(&sim);
    let early = sim
        .seed_call(NewCall {
            answered: false,
            ..Default::default()
        })
        .unwrap()
        .ucid;
    sim.end_call(&early).unwrap();
    let mut watcher = c.watch_missed_calls(Duration::from_millis(100));
    let first_poll = tokio::time::timeout(Duration::from_millis(350), watcher.next()).await;
    assert!(first_poll.is_err(), "the baseline is not reported");
    let late = sim
        .seed_call(NewCall {
            customer_number: "9000000002".into(),
            answered: false,
            ..Default::default()
        })
        .unwrap()
        .ucid;
    sim.end_call(&late).unwrap();
    let call = tokio::time::timeout(Duration::from_secs(3), watcher.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(call.caller_id.ends_with("9000000002"));
    let again = tokio::time::timeout(Duration::from_millis(350), watcher.next()).await;
    assert!(again.is_err(), "not reported twice");
}

fn ist_now(sim: &Simulator) -> NaiveDateTime {
    sim.clock().now_naive_local()
}

#[tokio::test]
async fn three_days_of_history_paced_under_the_simulators_limit() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let now = ist_now(&sim);
    let today = now.date();
    let day_start = |d: chrono::NaiveDate| d.and_time(NaiveTime::MIN);
    let starts = [
        day_start(today - Days::new(2)) + chrono::Duration::hours(10),
        day_start(today - Days::new(1)) + chrono::Duration::hours(10),
        (now - chrono::Duration::minutes(10)).max(day_start(today)),
    ];
    for start in starts {
        sim.seed_history(PastCall {
            start: Some(start),
            talk_secs: 30,
            ..Default::default()
        })
        .unwrap();
    }
    // The client paces to "2 per window"; the simulator counts 2 per 60 s of its own clock.
    // Each completed day moves the simulator's clock by the 31 s a real 2-a-minute pace
    // averages, so the simulator sees the spacing Ozonetel would.
    let c = Client::builder()
        .user_name(DEFAULT_USER_NAME)
        .api_key(DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .cdr_rate_limit(2, Duration::from_millis(300))
        .build()
        .unwrap();
    let q = CallRecordsQuery::between(day_start(today - Days::new(2)), now);
    let mut days = Vec::new();
    let records = c
        .call_records_with_progress(&q, |p| {
            days.push(p.day);
            sim.advance(Duration::from_secs(31));
        })
        .await
        .unwrap();
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(days, [today - Days::new(2), today - Days::new(1), today]);
    let cdr_requests = sim
        .ozonetel_requests()
        .into_iter()
        .filter(|r| r.path.contains("fetchCDRDetails"))
        .count();
    assert_eq!(
        cdr_requests, 3,
        "one request per day, none refused and retried"
    );
}

#[tokio::test]
async fn without_pacing_the_simulator_enforces_two_a_minute() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let c = Client::builder()
        .user_name(DEFAULT_USER_NAME)
        .api_key(DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .cdr_rate_limit(100, Duration::from_millis(1))
        .retry_policy(RetryPolicy {
            max_retry_after: Duration::from_secs(1),
            ..RetryPolicy::none()
        })
        .build()
        .unwrap();
    // Up to the simulator's frozen "now": a whole day would end at the library's clock, which
    // has moved on, and once a second turned over in between the simulator called it a future
    // date (a flaky failure).
    let now = ist_now(&sim);
    let today = CallRecordsQuery::between(now.date().and_time(NaiveTime::MIN), now);
    c.call_records(&today).await.unwrap();
    c.call_records(&today).await.unwrap();
    let err = c.call_records(&today).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited, "{err}");
}

#[tokio::test]
async fn the_simulator_refuses_the_eleventh_token_and_so_does_the_client() {
    let sim = Simulator::start().await.unwrap();
    let ucid = live_call(&sim);
    // Ten independent clients (no shared store) each generate, invalidating the previous.
    for _ in 0..10 {
        agent_of(&client(&sim)).hold(&ucid).await.unwrap();
    }
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 10);
    let err = agent_of(&client(&sim)).hold(&ucid).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited, "{err}");
    assert_eq!(sim.token_generations(DEFAULT_USER_NAME), 10);
}
