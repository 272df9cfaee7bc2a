//! Faults on HTTP endpoints, the `/sim/faults` control, and the `helix-engage-sim` binary.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use helix_engage_sim::{Endpoint, Fault, NewCall, Simulator, Times};
use serde_json::{Value, json};

async fn hold(
    sim: &Simulator,
    token: &str,
    ucid: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    client()
        .post(format!("{}/ca_apis/CallControl_V4", sim.ozonetel_url()))
        .bearer_auth(token)
        .json(&cc("HOLD", ucid, ""))
        .timeout(Duration::from_secs(2))
        .send()
        .await
}

#[tokio::test]
async fn http_faults_apply_in_order_then_clear() {
    let sim = sim_at("2025-09-10 15:00:00").await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let t = token(&sim).await;
    sim.inject_fault(
        Endpoint::CallControl,
        Fault::Status { status: 503 },
        Times::Once,
    );
    sim.inject_fault(
        Endpoint::CallControl,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        Times::Once,
    );
    sim.inject_fault(Endpoint::CallControl, Fault::Html, Times::Once);
    sim.inject_fault(Endpoint::CallControl, Fault::MalformedJson, Times::Once);
    sim.inject_fault(Endpoint::CallControl, Fault::Delay { ms: 300 }, Times::Once);

    let r = hold(&sim, &t, &call.ucid).await.expect("503 answered");
    assert_eq!(r.status(), 503);
    let r = hold(&sim, &t, &call.ucid).await.expect("429 answered");
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let r = hold(&sim, &t, &call.ucid).await.expect("html answered");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("text").starts_with("<!DOCTYPE html>"));
    let r = hold(&sim, &t, &call.ucid)
        .await
        .expect("malformed answered");
    assert!(r.json::<Value>().await.is_err(), "truncated JSON");
    let started = Instant::now();
    let r = hold(&sim, &t, &call.ucid).await.expect("delayed answer");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json::<Value>().await.expect("json")["status"], "Success");
    let r = hold(&sim, &t, &call.ucid).await.expect("normal");
    assert_eq!(r.json::<Value>().await.expect("json")["status"], "Success");
    assert_eq!(sim.fault_hits(Endpoint::CallControl), 5);
    assert_eq!(
        sim.ozonetel_requests()
            .iter()
            .filter(|r| r.path == "/ca_apis/CallControl_V4")
            .count(),
        6,
        "faulted requests are recorded too"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn dropped_truncated_and_hanging_responses() {
    let sim = sim_at("2025-09-10 15:00:00").await;
    let call = sim.seed_call(NewCall::default()).expect("seeded");
    let t = token(&sim).await;
    sim.inject_fault(Endpoint::CallControl, Fault::Drop, Times::Once);
    sim.inject_fault(Endpoint::CallControl, Fault::Truncated, Times::Once);
    sim.inject_fault(Endpoint::CallControl, Fault::StopAnswering, Times::Once);
    // A dropped connection fails either before the head or while reading the body.
    match hold(&sim, &t, &call.ucid).await {
        Err(_) => {}
        Ok(r) => assert!(r.bytes().await.is_err(), "dropped mid-response"),
    }
    let r = hold(&sim, &t, &call.ucid).await.expect("head arrives");
    assert!(r.bytes().await.is_err(), "body cut short");
    let hung = hold(&sim, &t, &call.ucid).await;
    assert!(hung.is_err_and(|e| e.is_timeout()), "never answered");
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_repeat_n_times_or_always_and_are_settable_over_http() {
    let sim = sim_at("2025-09-10 15:00:00").await;
    let c = client();
    let add = |body: Value| {
        let url = format!("{}/faults", sim.control_url());
        let c = c.clone();
        async move { c.post(url).json(&body).sent().await.status() }
    };
    assert_eq!(
        add(json!({"endpoint": "generate_token", "fault": {"kind": "status", "status": 500}, "times": 2})).await,
        201
    );
    for _ in 0..2 {
        let r = client()
            .post(format!(
                "{}/ca_apis/CAToken/generateToken",
                sim.ozonetel_url()
            ))
            .header("apiKey", "sim-api-key")
            .json(&json!({"userName": "acme"}))
            .sent()
            .await;
        assert_eq!(r.status(), 500);
    }
    assert!(generate_token(&sim, "acme", "sim-api-key").await["token"].is_string());

    assert_eq!(
        add(json!({"endpoint": "openai_chat", "fault": {"kind": "rate_limited", "retry_after_secs": 2}, "times": "always"})).await,
        201
    );
    for _ in 0..3 {
        let r = client()
            .post(format!("{}/chat/completions", sim.openai_url()))
            .json(&json!({}))
            .sent()
            .await;
        assert_eq!(r.status(), 429);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    }
    let listed: Value = c.get(format!("{}/faults", sim.control_url())).reply().await;
    assert_eq!(listed[0]["endpoint"], "openai_chat");
    c.delete(format!("{}/faults", sim.control_url()))
        .sent()
        .await;
    assert!(sim.faults().is_empty());
    assert_eq!(
        add(json!({"endpoint": "nowhere", "fault": {"kind": "drop"}})).await,
        400
    );
    sim.shutdown().await;
}

#[test]
fn binary_serves_prints_urls_and_exits_cleanly_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helix-engage-sim"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut urls = std::collections::HashMap::new();
    for _ in 0..4 {
        let line = lines.next().expect("a line").expect("utf-8");
        let (name, url) = line.split_once(' ').expect("name url");
        urls.insert(name.to_string(), url.to_string());
    }
    let oz = urls["ozonetel"].clone();
    assert!(oz.starts_with("http://127.0.0.1:"));
    assert!(urls["deepgram"].starts_with("ws://127.0.0.1:"));
    assert!(urls["openai"].ends_with("/v1"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let answer: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{oz}/ca_apis/CAToken/generateToken"))
            .header("apiKey", "sim-api-key")
            .json(&json!({"userName": "acme"}))
            .reply()
            .await
    });
    assert!(answer["token"].is_string());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "exits within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
}
