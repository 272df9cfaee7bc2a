//! Helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use chrono::NaiveDateTime;
use helix_engage_sim::{DEFAULT_API_KEY, DEFAULT_USER_NAME, Simulator};
use serde_json::{Value, json};

/// A simulator with a frozen clock at a local (IST) time.
pub async fn sim_at(local: &str) -> Simulator {
    let sim = Simulator::builder()
        .frozen_clock()
        .start()
        .await
        .expect("simulator starts");
    sim.set_now_local(local_time(local));
    sim
}

pub fn local_time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("test time")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn generate_token(sim: &Simulator, user: &str, key: &str) -> Value {
    client()
        .post(format!(
            "{}/ca_apis/CAToken/generateToken",
            sim.ozonetel_url()
        ))
        .header("apiKey", key)
        .json(&json!({"userName": user}))
        .reply()
        .await
}

pub async fn token(sim: &Simulator) -> String {
    let v = generate_token(sim, DEFAULT_USER_NAME, DEFAULT_API_KEY).await;
    v["token"].as_str().expect("token").to_string()
}

pub async fn call_control(sim: &Simulator, token: &str, body: Value) -> Value {
    client()
        .post(format!("{}/ca_apis/CallControl_V4", sim.ozonetel_url()))
        .bearer_auth(token)
        .json(&body)
        .reply()
        .await
}

pub fn cc(action: &str, ucid: &str, number: &str) -> Value {
    json!({"userName": "acme", "action": action, "ucid": ucid, "conferenceNumber": number,
           "did": "918041763265", "agentPhoneName": "523590"})
}

/// The send-and-read steps every HTTP test repeats: a request sent (or the test fails) and,
/// for [`Reply::reply`], its body read as JSON.
pub trait Reply {
    fn sent(self) -> impl std::future::Future<Output = reqwest::Response>;
    fn reply(self) -> impl std::future::Future<Output = Value>;
}

impl Reply for reqwest::RequestBuilder {
    async fn sent(self) -> reqwest::Response {
        self.send().await.expect("sent")
    }
    async fn reply(self) -> Value {
        self.sent().await.json().await.expect("json")
    }
}
