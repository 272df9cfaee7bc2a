//! Call-control throughput and client CPU per request, side by side in one run:
//!
//! - **helix-engage**: `Agent::call_control(Hold)` — token cache, envelope, validation, retries;
//! - **hand-written reqwest**: what a developer would write instead — one `generateToken`, then
//!   `POST CallControl_V4` with the cached bearer token, parse the JSON, check `status`.
//!
//! Two parts, each against its own simulator (a separate process, so its CPU is not counted):
//!
//! 1. one process, `requests` HOLDs at `concurrency` in flight;
//! 2. the desk's deployment: `processes` sidecar processes × `agents` agents on ONE account,
//!    each agent holding and unholding its own call for `seconds`. The library's processes
//!    share the account through Redis (`RedisAccountStore`: one token for all); the
//!    hand-written processes each generate their own token at start, as a sidecar written
//!    without a shared store does — and every generation logs the others out.
//!
//! Usage: `cargo run --release -p helix-engage-bench-ozonetel -- [requests] [concurrency]
//! [processes] [agents] [seconds]` (default 20000 64 8 4 60). Part 2 needs `redis-server` on
//! the PATH (it starts its own on a free port) or `HELIX_BENCH_REDIS_URL`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

mod fleet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use helix_engage::ozonetel::{AgentRef, CallAction, Client};
use serde_json::{Value, json};

const USER: &str = "acme";
const KEY: &str = "sim-api-key";

/// Process CPU time (user + system) from /proc, in clock ticks of 10 ms.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the full line: 11 and 12 after the ')'.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

struct Run {
    name: &'static str,
    wall: Duration,
    cpu: Duration,
    requests: usize,
    failures: usize,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64()
    }
    fn cpu_us_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.requests as f64
    }
}

fn start_simulator() -> (Child, String, String) {
    let exe = std::env::current_exe().expect("own path");
    let sim = exe.with_file_name("helix-engage-sim");
    let mut child = Command::new(&sim)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}); build it first: cargo build --release -p helix-engage-sim",
                sim.display()
            )
        });
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let (mut ozonetel, mut control) = (String::new(), String::new());
    while ozonetel.is_empty() || control.is_empty() {
        let line = lines
            .next()
            .expect("simulator printed its URLs")
            .expect("utf-8");
        if let Some(url) = line.strip_prefix("ozonetel ") {
            ozonetel = url.trim().to_string();
        } else if let Some(url) = line.strip_prefix("control ") {
            control = url.trim().to_string();
        }
    }
    (child, ozonetel, control)
}

async fn measure<F, Fut>(name: &'static str, requests: usize, concurrency: usize, one: F) -> Run
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let (cpu0, t0) = (cpu_time(), Instant::now());
    let failures = futures::stream::iter(0..requests)
        .map(|_| one())
        .buffer_unordered(concurrency)
        .filter(|ok| futures::future::ready(!ok))
        .count()
        .await;
    Run {
        name,
        wall: t0.elapsed(),
        cpu: cpu_time() - cpu0,
        requests,
        failures,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return fleet::child(&args[1..]).await;
    }
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (requests, concurrency) = (arg(0, 20_000), arg(1, 64));
    let (processes, agents, seconds) = (arg(2, 8), arg(3, 4), arg(4, 60));
    one_process(requests, concurrency).await;
    fleet::run(processes, agents, seconds as u64).await;
}

async fn one_process(requests: usize, concurrency: usize) {
    let (mut sim, base, control) = start_simulator();
    let http = reqwest::Client::new();
    let ucid = seed_call(&http, &control, "agent1").await;

    // Warm-up both paths so connection set-up is not measured.
    let client = Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(&base)
        .build()
        .expect("client");
    let agent = client
        .agent(
            AgentRef::new("agent1")
                .with_did("918041763265")
                .with_phone_name("agent1"),
        )
        .expect("agent");
    agent.hold(&ucid).await.expect("warm-up");

    let helix = measure("helix-engage", requests, concurrency, || {
        let (agent, ucid) = (agent.clone(), ucid.clone());
        async move {
            agent
                .call_control(CallAction::Hold, &ucid, None)
                .await
                .is_ok()
        }
    })
    .await;
    let tokens_after_helix = generations(&http, &control).await;

    // The hand-written alternative: cache one token, post, check status.
    let token: Value = http
        .post(format!("{base}/ca_apis/CAToken/generateToken"))
        .header("apiKey", KEY)
        .json(&json!({ "userName": USER }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    let bearer = format!("Bearer {}", token["token"].as_str().expect("token string"));
    let url = format!("{base}/ca_apis/CallControl_V4");
    let plain = measure("hand-written reqwest", requests, concurrency, || {
        let (http, url, bearer, ucid) = (http.clone(), url.clone(), bearer.clone(), ucid.clone());
        async move {
            let body = json!({
                "userName": USER, "action": "HOLD", "ucid": ucid, "conferenceNumber": "",
                "did": "918041763265", "agentPhoneName": "agent1",
            });
            let Ok(response) = http
                .post(&url)
                .header("Authorization", &bearer)
                .json(&body)
                .send()
                .await
            else {
                return false;
            };
            let Ok(v) = response.json::<Value>().await else {
                return false;
            };
            v["status"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("success"))
        }
    })
    .await;

    println!("{requests} HOLD requests, concurrency {concurrency}, simulator in another process\n");
    println!(
        "{:<22} {:>10} {:>12} {:>16} {:>9}",
        "client", "wall (s)", "req/s", "CPU µs/request", "failures"
    );
    for run in [&helix, &plain] {
        println!(
            "{:<22} {:>10.2} {:>12.0} {:>16.1} {:>9}",
            run.name,
            run.wall.as_secs_f64(),
            run.per_second(),
            run.cpu_us_per_request(),
            run.failures
        );
    }
    println!(
        "\nratios helix-engage / hand-written: throughput {:.2}x, CPU per request {:.2}x",
        helix.per_second() / plain.per_second(),
        helix.cpu_us_per_request() / plain.cpu_us_per_request()
    );
    println!("token generations during the helix-engage run: {tokens_after_helix} (must be 1)");
    let _ = sim.kill();
    let _ = sim.wait();
}

/// Seeds a live call on the simulator for `agent_id`; its UCID.
async fn seed_call(http: &reqwest::Client, control: &str, agent_id: &str) -> String {
    let call: Value = http
        .post(format!("{control}/calls"))
        .json(&json!({
            "customer_number": "9876543210", "agent_number": "9123456780", "agent_id": agent_id,
        }))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("seed a call")
        .json()
        .await
        .expect("call JSON");
    call["ucid"].as_str().expect("ucid").to_string()
}

async fn generations(http: &reqwest::Client, control: &str) -> u64 {
    let info: Value = match http.get(format!("{control}/tokens/{USER}")).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => Value::Null,
    };
    info["generations_total"].as_u64().unwrap_or(0)
}
