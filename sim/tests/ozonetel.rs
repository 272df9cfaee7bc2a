//! The Ozonetel stand-in's rules, over real HTTP.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use helix_engage_sim::{Account, CallSnapshot, NewCall, PastCall, Simulator};
use serde_json::{Value, json};

const NOW: &str = "2025-09-10 15:00:00";

/// The simulator at [`NOW`] with one default call seeded, and a token for the default
/// account.
async fn a_call_and_a_token() -> (Simulator, CallSnapshot, String) {
    let sim = sim_at(NOW).await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let t = token(&sim).await;
    (sim, call, t)
}

#[tokio::test]
async fn generate_token_returns_a_jwt_with_exp_and_user_name() {
    let sim = sim_at(NOW).await;
    let v = generate_token(&sim, "acme", "sim-api-key").await;
    assert_eq!(v["message"], "");
    let token = v["token"].as_str().expect("token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .expect("base64url without padding");
    let payload: Value = serde_json::from_slice(&payload).expect("json payload");
    assert_eq!(payload["userName"], "acme");
    let exp = payload["exp"].as_i64().expect("exp");
    assert_eq!(exp - sim.clock().now().timestamp(), 3600);
    sim.shutdown().await;
}

#[tokio::test]
async fn generate_token_errors_use_ozonetel_wording() {
    let sim = sim_at(NOW).await;
    let no_user = client()
        .post(format!(
            "{}/ca_apis/CAToken/generateToken",
            sim.ozonetel_url()
        ))
        .header("apiKey", "sim-api-key")
        .json(&json!({}))
        .sent()
        .await;
    assert_eq!(no_user.status(), 200);
    let v: Value = no_user.json().await.expect("json");
    assert_eq!(
        v,
        json!({"status": "false", "message": "UserName is null", "data": null})
    );
    let wrong_key = generate_token(&sim, "acme", "nope").await;
    assert_eq!(wrong_key["message"], "Invalid userName or apiKey");
    let unknown = generate_token(&sim, "ghost", "sim-api-key").await;
    assert_eq!(unknown["message"], "Invalid userName or apiKey");
    assert_eq!(sim.token_generations("acme"), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_newer_token_invalidates_every_earlier_one() {
    let sim = sim_at(NOW).await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let first = token(&sim).await;
    let second = token(&sim).await;
    let old = call_control(&sim, &first, cc("HOLD", &call.ucid, "")).await;
    assert_eq!(
        old,
        json!({"status": "false", "message": "Invalid Token", "data": null})
    );
    let new = call_control(&sim, &second, cc("HOLD", &call.ucid, "")).await;
    assert_eq!(new["status"], "Success");
    assert_eq!(sim.token_generations("acme"), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_after_sixty_minutes_of_simulated_time() {
    let (sim, call, t) = a_call_and_a_token().await;
    sim.advance(Duration::from_secs(59 * 60));
    assert_eq!(
        call_control(&sim, &t, cc("MUTE", &call.ucid, "")).await["status"],
        "Success"
    );
    sim.advance(Duration::from_secs(60));
    let v = call_control(&sim, &t, cc("UNMUTE", &call.ucid, "")).await;
    assert_eq!(
        v,
        json!({"status": "false", "message": "Token Expired", "data": null})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_eleventh_generation_within_an_hour_is_refused() {
    let sim = sim_at(NOW).await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let mut last = String::new();
    for _ in 0..10 {
        last = token(&sim).await;
        sim.advance(Duration::from_secs(60));
    }
    let refused = generate_token(&sim, "acme", "sim-api-key").await;
    assert_eq!(refused["status"], "false");
    assert_eq!(
        refused["message"],
        "Token generation limit exceeded. Only 10 tokens can be generated per hour"
    );
    assert_eq!(refused["data"], Value::Null);
    // The refused attempt neither counts nor kicks out the current token.
    let still = call_control(&sim, &last, cc("HOLD", &call.ucid, "")).await;
    assert_eq!(still["status"], "Success");
    assert_eq!(sim.token_info("acme").generations_last_hour, 10);
    // The first generation leaves the rolling hour one minute later.
    sim.advance(Duration::from_secs(51 * 60));
    assert!(generate_token(&sim, "acme", "sim-api-key").await["token"].is_string());
    assert_eq!(sim.token_generations("acme"), 11);
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_or_garbage_tokens_are_refused() {
    let sim = sim_at(NOW).await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let none: Value = client()
        .post(format!("{}/ca_apis/CallControl_V4", sim.ozonetel_url()))
        .json(&cc("HOLD", &call.ucid, ""))
        .reply()
        .await;
    assert_eq!(
        none,
        json!({"status": "false", "message": "Token Should Not be Null or Empty.", "data": null})
    );
    let garbage = call_control(&sim, "not.a.token", cc("HOLD", &call.ucid, "")).await;
    assert_eq!(garbage["message"], "Invalid Token");
    sim.shutdown().await;
}

#[tokio::test]
async fn basic_auth_accounts_need_the_api_key_header() {
    let sim = sim_at(NOW).await;
    sim.add_account(Account::basic("basicco", "basic-key"));
    let call = sim
        .seed_call(NewCall {
            account: Some("basicco".into()),
            ..NewCall::default()
        })
        .expect("seeded");
    let mut body = cc("HOLD", &call.ucid, "");
    body["userName"] = json!("basicco");
    let url = format!("{}/ca_apis/CallControl_V4", sim.ozonetel_url());
    let with_bearer: Value = client()
        .post(&url)
        .bearer_auth("whatever")
        .json(&body)
        .reply()
        .await;
    assert_eq!(
        with_bearer,
        json!({"status": "false", "message": "Api Key Should Not be Null or Empty.", "data": null})
    );
    let with_key: Value = client()
        .post(&url)
        .header("apiKey", "basic-key")
        .json(&body)
        .reply()
        .await;
    assert_eq!(with_key["status"], "Success");
    sim.shutdown().await;
}

#[tokio::test]
async fn hold_and_mute_apply_to_the_named_party_or_the_customer() {
    let (sim, call, t) = a_call_and_a_token().await;
    let hold = call_control(&sim, &t, cc("HOLD", &call.ucid, "")).await;
    assert_eq!(
        hold,
        json!({"status": "Success", "message": "User hold is successful", "ucid": call.ucid})
    );
    let mute = call_control(&sim, &t, cc("MUTE", &call.ucid, "09123456780")).await;
    assert_eq!(mute["message"], "call got mute successfully");
    let snap = sim.call(&call.ucid).expect("call");
    let customer = &snap.participants[0];
    let agent = &snap.participants[1];
    assert!(customer.on_hold && !customer.muted);
    assert!(agent.muted && !agent.on_hold);
    assert_eq!(
        call_control(&sim, &t, cc("UNHOLD", &call.ucid, "")).await["message"],
        "Call is Un-hold successfully"
    );
    assert_eq!(
        call_control(&sim, &t, cc("UNMUTE", &call.ucid, "09123456780")).await["message"],
        "unmute success"
    );
    let snap = sim.call(&call.ucid).expect("call");
    assert!(snap.participants.iter().all(|p| !p.on_hold && !p.muted));
    sim.shutdown().await;
}

#[tokio::test]
async fn conference_then_kick_call_removes_exactly_the_named_party() {
    let (sim, call, t) = a_call_and_a_token().await;
    let bad = call_control(&sim, &t, cc("CONFERENCE", &call.ucid, "9988776655")).await;
    assert_eq!(
        bad,
        json!({"status": "Error", "message": "Please pass valid Conference number"})
    );
    let conf = call_control(&sim, &t, cc("CONFERENCE", &call.ucid, "09988776655")).await;
    assert_eq!(
        conf,
        json!({"status": "Success", "message": "dialing", "ucid": call.ucid})
    );
    assert_eq!(sim.call(&call.ucid).expect("call").participants.len(), 3);
    let stranger = call_control(&sim, &t, cc("KICK_CALL", &call.ucid, "09000000000")).await;
    assert_eq!(stranger["status"], "Error");
    assert_eq!(
        stranger["message"],
        "Conference number is not part of the call"
    );
    // Completing a warm transfer: the agent leaves, customer and target stay.
    let kick = call_control(&sim, &t, cc("KICK_CALL", &call.ucid, "09123456780")).await;
    assert_eq!(kick["message"], "call got disconnected");
    let snap = sim.call(&call.ucid).expect("call");
    assert!(snap.live);
    let numbers: Vec<&str> = snap
        .participants
        .iter()
        .map(|p| p.number.as_str())
        .collect();
    assert_eq!(numbers, ["9876543210", "09988776655"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn call_control_rejects_unknown_calls_actions_and_non_string_fields() {
    let (sim, call, t) = a_call_and_a_token().await;
    assert_eq!(
        call_control(&sim, &t, cc("HOLD", "123456", "")).await,
        json!({"status": "Error", "message": "Call not Found"})
    );
    assert_eq!(
        call_control(&sim, &t, cc("TRANSFER", &call.ucid, "")).await,
        json!({"status": "Error", "message": "Invalid action"})
    );
    let mut numeric = cc("HOLD", &call.ucid, "");
    numeric["ucid"] = json!(12345);
    assert_eq!(
        call_control(&sim, &t, numeric).await["message"],
        "Invalid Json Pass Valid Json"
    );
    let garbage: Value = client()
        .post(format!("{}/ca_apis/CallControl_V4", sim.ozonetel_url()))
        .bearer_auth(&t)
        .body(vec![0xff, 0xfe, b'{'])
        .reply()
        .await;
    assert_eq!(garbage["message"], "Invalid Json Pass Valid Json");
    sim.shutdown().await;
}

#[tokio::test]
async fn international_accounts_take_plus_numbers() {
    let sim = sim_at(NOW).await;
    sim.add_account(Account::token("globex", "gk").international());
    let call = sim
        .seed_call(NewCall {
            account: Some("globex".into()),
            customer_number: "+14155550100".into(),
            agent_number: "+14155550111".into(),
            ..NewCall::default()
        })
        .expect("seeded");
    let t = generate_token(&sim, "globex", "gk").await["token"]
        .as_str()
        .expect("token")
        .to_string();
    let mut body = cc("CONFERENCE", &call.ucid, "09988776655");
    body["userName"] = json!("globex");
    assert_eq!(
        call_control(&sim, &t, body.clone()).await["message"],
        "Please pass valid Conference number"
    );
    body["conferenceNumber"] = json!("+14155550199");
    assert_eq!(call_control(&sim, &t, body).await["status"], "Success");
    sim.shutdown().await;
}

#[tokio::test]
async fn record_php_answers_the_nested_success_and_toggles_recording() {
    let sim = sim_at(NOW).await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let url = format!("{}/CAServices/Call/Record.php", sim.ozonetel_url());
    let get = |q: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move { client().get(&url).query(&q).reply().await }
    };
    let base = |action: &str, ucid: &str| {
        vec![
            ("userName", "acme".to_string()),
            ("apiKey", "sim-api-key".to_string()),
            ("action", action.to_string()),
            ("ucid", ucid.to_string()),
        ]
    };
    let paused = get(base("pause", &call.ucid)).await;
    assert_eq!(paused["status"], "Error");
    let inner: Value =
        serde_json::from_str(paused["message"].as_str().expect("string")).expect("nested JSON");
    assert_eq!(
        inner,
        json!({"status": "Success", "message": "paused monitoring of the channel"})
    );
    assert!(sim.call(&call.ucid).expect("call").recording_paused);
    let resumed = get(base("unPause", &call.ucid)).await;
    let inner: Value =
        serde_json::from_str(resumed["message"].as_str().expect("string")).expect("nested");
    assert_eq!(inner["message"], "Unpaused monitoring of the channel");
    assert!(!sim.call(&call.ucid).expect("call").recording_paused);

    assert_eq!(
        get(base("pause", "999")).await["message"],
        "ucid is Invalid"
    );
    assert_eq!(
        get(base("pause", "")).await["message"],
        "ucid should not be empty"
    );
    assert_eq!(
        get(base("stop", &call.ucid)).await["message"],
        "action should be either pause or unPause"
    );
    let mut wrong = base("pause", &call.ucid);
    wrong[1].1 = "bad".into();
    assert_eq!(
        get(wrong).await,
        json!({"status": "Error", "message": "userName or apiKey is Invalid"})
    );
    sim.shutdown().await;
}

async fn report(sim: &Simulator, path: &str, token: &str, body: Value) -> (u16, String) {
    let resp = client()
        .get(format!("{}{path}", sim.ozonetel_url()))
        .bearer_auth(token)
        .json(&body)
        .sent()
        .await;
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("text"))
}

#[tokio::test]
async fn abandoned_calls_list_unanswered_ended_calls_with_exact_monitor_ucids() {
    let sim = sim_at(NOW).await;
    let missed = sim
        .seed_call(NewCall {
            ucid: Some("31733467784618213".into()),
            answered: false,
            call_type: "Manual".into(),
            ..NewCall::default()
        })
        .expect("seeded");
    sim.end_call(&missed.ucid).expect("ended");
    sim.seed_history(PastCall {
        answered: false,
        start: Some(local_time("2025-09-09 10:00:00")),
        ..PastCall::default()
    })
    .expect("yesterday");
    let t = token(&sim).await;
    let (status, text) = report(
        &sim,
        "/ca_apis/abandonCalls",
        &t,
        json!({"userName": "acme"}),
    )
    .await;
    assert_eq!(status, 200);
    // Exact digits on the wire: the number is above 2^53 and must not be rounded.
    assert!(
        text.contains(r#""monitorUCID":31733467784618213"#),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["status"], "success");
    let items = v["message"].as_array().expect("list");
    assert_eq!(items.len(), 1, "only today's calls without times");
    assert!(items[0]["monitorUCID"].as_u64().expect("u64") > (1u64 << 53));
    assert_eq!(items[0]["status"], "NotAnswered");
    assert_eq!(items[0]["type"], "Manual");
    assert_eq!(items[0]["callTime"], NOW);
    let (_, text) = report(
        &sim,
        "/ca_apis/abandonCalls",
        &t,
        json!({"userName": "acme", "fromTime": "2025-09-09 00:00:00", "toTime": "2025-09-09 23:59:59"}),
    )
    .await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["message"][0]["callTime"], "2025-09-09 10:00:00");
    let (_, text) = report(
        &sim,
        "/ca_apis/abandonCalls",
        &t,
        json!({"userName": "nobody"}),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json"),
        json!({"status": "false", "message": "Invalid User Details", "data": null})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn cdr_is_get_with_a_json_body_only() {
    let sim = sim_at(NOW).await;
    let t = token(&sim).await;
    let url = format!("{}/ca_reports/fetchCDRDetails", sim.ozonetel_url());
    let query: Value = client()
        .get(&url)
        .bearer_auth(&t)
        .query(&[
            ("userName", "acme"),
            ("fromDate", "2025-09-10 00:00:00"),
            ("toDate", "2025-09-10 10:00:00"),
        ])
        .reply()
        .await;
    assert_eq!(
        query,
        json!({"status": "false", "message": "Invalid Json Pass Valid Json"})
    );
    let no_body: Value = client().get(&url).bearer_auth(&t).reply().await;
    assert_eq!(no_body["message"], "Invalid Json Pass Valid Json");
    let post = client()
        .post(&url)
        .bearer_auth(&t)
        .json(&json!({"userName": "acme"}))
        .sent()
        .await;
    assert_eq!(post.status(), 405);
    let by_ucid_post = client()
        .post(format!("{}/ca_reports/fetchCdrByUCID", sim.ozonetel_url()))
        .json(&json!({}))
        .sent()
        .await;
    assert_eq!(by_ucid_post.status(), 405);
    sim.shutdown().await;
}

#[tokio::test]
async fn cdr_window_rules() {
    let sim = sim_at(NOW).await;
    let t = token(&sim).await;
    let cases = [
        (json!({}), "Missing fromDate and toDate"),
        (
            json!({"fromDate": "2025/09/10 00:00:00", "toDate": "2025-09-10 10:00:00"}),
            "Invalid fromDate format. Please pass the date in the format yyyy-MM-dd HH:mm:ss",
        ),
        (
            json!({"fromDate": "2025-09-10 00:00:00", "toDate": "2025-09-10 16:00:00"}),
            "fromDate and toDate should not be future dates",
        ),
        (
            json!({"fromDate": "2025-09-08 00:00:00", "toDate": "2025-09-09 10:00:00"}),
            "fromDate and toDate should be on the same day",
        ),
        (
            json!({"fromDate": "2025-09-10 00:00:00", "toDate": "2025-09-10 10:00:00", "campaignName": "Nope"}),
            "Invalid campaignName",
        ),
    ];
    for (mut body, message) in cases {
        body["userName"] = json!("acme");
        // Stay under 2 requests a minute.
        sim.advance(Duration::from_secs(31));
        let (status, text) = report(&sim, "/ca_reports/fetchCDRDetails", &t, body).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["status"], "fail", "{text}");
        assert_eq!(v["message"], message);
    }
    sim.seed_history(PastCall {
        start: Some(local_time("2025-08-20 10:00:00")),
        ..PastCall::default()
    })
    .expect("old call");
    sim.advance(Duration::from_secs(31));
    let (_, text) = report(
        &sim,
        "/ca_reports/fetchCDRDetails",
        &t,
        json!({"userName": "acme", "fromDate": "2025-08-20 00:00:00", "toDate": "2025-08-20 23:59:59"}),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json"),
        json!({"details": []}),
        "older than 15 days is an empty list, not an error"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn cdr_allows_two_requests_a_minute_per_account() {
    let sim = sim_at(NOW).await;
    let t = token(&sim).await;
    let body = json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00", "toDate": "2025-09-10 14:00:00"});
    for _ in 0..2 {
        let (status, _) = report(&sim, "/ca_reports/fetchCDRDetails", &t, body.clone()).await;
        assert_eq!(status, 200);
    }
    sim.advance(Duration::from_secs(20));
    let resp = client()
        .get(format!("{}/ca_reports/fetchCdrByUCID", sim.ozonetel_url()))
        .bearer_auth(&t)
        .json(
            &json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00",
                      "toDate": "2025-09-10 14:00:00", "ucid": "1"}),
        )
        .sent()
        .await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("secs");
    assert_eq!(retry, 40);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["status"], "fail");
    sim.advance(Duration::from_secs(40));
    let (status, _) = report(&sim, "/ca_reports/fetchCDRDetails", &t, body).await;
    assert_eq!(status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn cdr_records_have_47_fields_and_exact_ids() {
    let sim = sim_at(NOW).await;
    let ucid = sim
        .seed_history(PastCall {
            ucid: Some("31733467784618213".into()),
            start: Some(local_time("2025-09-10 11:49:33")),
            talk_secs: 3725,
            ..PastCall::default()
        })
        .expect("seeded");
    let live = sim.seed_call(NewCall::default()).expect("live");
    sim.advance(Duration::from_secs(90));
    sim.end_call(&live.ucid).expect("ended");
    let t = token(&sim).await;
    let (_, text) = report(
        &sim,
        "/ca_reports/fetchCDRDetails",
        &t,
        json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00", "toDate": "2025-09-10 15:01:30"}),
    )
    .await;
    assert!(text.contains(r#""UCID":31733467784618213"#), "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    let details = v["details"].as_array().expect("details");
    assert_eq!(details.len(), 2, "seeded history and the ended live call");
    let rec = details[0].as_object().expect("record");
    assert_eq!(rec.len(), 47);
    assert_eq!(rec["UCID"].to_string(), ucid);
    assert!(rec["CallID"].as_u64().expect("u64") > (1u64 << 53));
    assert_eq!(rec["TalkTime"], "01:02:05");
    assert_eq!(rec["Status"], "Answered");
    assert_eq!(rec["CallDate"], "2025-09-10");
    assert_eq!(rec["StartTime"], "11:49:33");
    assert_eq!(details[1]["UCID"].to_string(), live.ucid);
    assert_eq!(details[1]["Duration"], "00:01:30");
    sim.advance(Duration::from_secs(60));
    let (_, text) = report(
        &sim,
        "/ca_reports/fetchCdrByUCID",
        &t,
        json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00", "toDate": "2025-09-10 15:00:00", "ucid": ucid}),
    )
    .await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["details"].as_array().map(Vec::len), Some(1));
    let (_, text) = report(
        &sim,
        "/ca_reports/fetchCdrByUCID",
        &t,
        json!({"userName": "acme", "fromDate": "2025-09-10 00:00:00", "toDate": "2025-09-10 15:00:00"}),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json"),
        json!({"status": "fail", "message": "Missing ucid"})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn kicking_the_customer_ends_the_call_into_history() {
    let (sim, call, t) = a_call_and_a_token().await;
    let kick = call_control(&sim, &t, cc("KICK_CALL", &call.ucid, "09876543210")).await;
    assert_eq!(kick["status"], "Success");
    let snap = sim.call(&call.ucid).expect("ended call still visible");
    assert!(!snap.live);
    assert_eq!(
        call_control(&sim, &t, cc("HOLD", &call.ucid, "")).await["message"],
        "Call not Found"
    );
    assert_eq!(sim.cdr_records("acme").len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn control_api_over_http() {
    let sim = sim_at(NOW).await;
    let c = client();
    let base = sim.control_url();
    let created: Value = c
        .post(format!("{base}/calls"))
        .json(
            &json!({"customer_number": "9876543210", "agent_id": "a7", "agent_number": "9123456780",
                      "did": "918041763265", "campaign": "Inbound_918041763265"}),
        )
        .reply()
        .await;
    let ucid = created["ucid"]
        .as_str()
        .expect("ucid is a string")
        .to_string();
    let got: Value = c.get(format!("{base}/calls/{ucid}")).reply().await;
    assert_eq!(got["participants"][1]["role"], "agent");
    assert_eq!(got["recording_paused"], false);
    let ended: Value = c
        .post(format!("{base}/calls/{ucid}/end"))
        .json(&json!({"at": "2025-09-10 15:02:00"}))
        .reply()
        .await;
    assert_eq!(ended["live"], false);
    let cdr: Value = c.get(format!("{base}/cdr/acme")).reply().await;
    assert_eq!(cdr["details"][0]["TalkTime"], "00:02:00");
    token(&sim).await;
    let tokens: Value = c.get(format!("{base}/tokens/acme")).reply().await;
    assert_eq!(tokens["generations_total"], 1);
    let clock: Value = c
        .post(format!("{base}/clock/advance"))
        .json(&json!({"secs": 3600}))
        .reply()
        .await;
    assert_eq!(clock["now_local"], "2025-09-10 16:00:00");
    let history: Value = c
        .post(format!("{base}/history"))
        .json(&json!([{"answered": false, "start": "2025-09-10 12:00:00"}]))
        .reply()
        .await;
    assert_eq!(history["ucids"].as_array().map(Vec::len), Some(1));
    let missing = c.get(format!("{base}/calls/42")).sent().await;
    assert_eq!(missing.status(), 404);
    sim.shutdown().await;
}
