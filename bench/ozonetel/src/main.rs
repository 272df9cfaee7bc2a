//! Call-control throughput and client CPU per request, side by side in one run:
//!
//! - **helix-engage**: `Agent::call_control(Hold)` — token cache, envelope, validation, retries;
//! - **hand-written reqwest**: what a developer would write instead — a cached bearer token,
//!   then `POST CallControl_V4`, parse the JSON, check `status`.
//!
//! Two parts, each against its own simulator (a separate process, so its CPU is not counted):
//!
//! 1. one process, `requests` HOLDs at `concurrency` in flight, for each client in turn,
//!    `rounds` times (the order alternates, so neither always runs on a warmer machine); each
//!    round's figures and ratio are printed, then the median ratio. Both clients send with the
//!    one token the library generated: each generation logs the account's other tokens out
//!    (as on Ozonetel), and the hand-written client's token fetch is outside the measurement
//!    anyway;
//! 2. the desk's deployment: `processes` sidecar processes × `agents` agents on ONE account,
//!    each agent holding and unholding its own call for `seconds`. The library's processes
//!    share the account through Redis (`RedisAccountStore`: one token for all); the
//!    hand-written processes each generate their own token at start, as a sidecar written
//!    without a shared store does — and every generation logs the others out.
//!
//! Usage: `cargo run --release -p helix-engage-bench-ozonetel -- [requests] [concurrency]
//! [processes] [agents] [seconds] [rounds]` (default 20000 64 8 4 60 3); `processes` 0 skips
//! part 2. Part 2 needs `redis-server` on the PATH (it starts its own on a free port) or
//! `HELIX_BENCH_REDIS_URL`. `HELIX_BENCH_ONLY=helix` (or `plain`) runs part 1 with that client
//! alone, for a profiler (`perf record`, `valgrind --tool=callgrind`; see bench/README.md).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

mod fleet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use helix_engage::ozonetel::{AgentRef, CallAction, Client};
use serde_json::{Value, json};

const USER: &str = "acme";
const KEY: &str = "sim-api-key";

/// The process's CPU time (user + system, every thread), to the nanosecond: /proc/self/stat's
/// 10 ms ticks made a 0.5 s run's figure move in 2 % steps.
fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
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
    let rounds = arg(5, 3).max(1);
    let only = match std::env::var("HELIX_BENCH_ONLY").as_deref() {
        Ok("helix") => Some(Which::Helix),
        Ok("plain") => Some(Which::Plain),
        Ok(other) => {
            eprintln!("HELIX_BENCH_ONLY={other:?}: use helix or plain");
            std::process::exit(2);
        }
        Err(_) => None,
    };
    one_process(requests, concurrency, rounds, only).await;
    if only.is_some() {
        return;
    }
    if processes == 0 || agents == 0 || seconds == 0 {
        println!(
            "
part 2 skipped: processes, agents or seconds is 0"
        );
        return;
    }
    fleet::run(processes, agents, seconds as u64).await;
}

/// Which client a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Helix,
    Plain,
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn print_run(round: usize, run: &Run) {
    println!(
        "{round:>5}  {:<22} {:>9.2} {:>9.0} {:>15.2} {:>9}",
        run.name,
        run.wall.as_secs_f64(),
        run.per_second(),
        run.cpu_us_per_request(),
        run.failures
    );
}

fn ratios_line(what: &str, ratios: &[f64]) -> String {
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.3}x")).collect();
    format!(
        "{what}, helix-engage / hand-written: median {:.3}x (rounds: {})",
        median(ratios),
        each.join(" ")
    )
}

async fn one_process(requests: usize, concurrency: usize, rounds: usize, only: Option<Which>) {
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

    // The hand-written client's cached token: the one the library's warm-up generated (a
    // second generation would log the library out, and then the library's next round would
    // measure a refresh).
    let info: Value = http
        .get(format!("{control}/tokens/{USER}"))
        .send()
        .await
        .expect("token info")
        .json()
        .await
        .expect("token info JSON");
    let plain = Plain {
        http: http.clone(),
        url: format!("{base}/ca_apis/CallControl_V4"),
        bearer: format!(
            "Bearer {}",
            info["current_token"].as_str().expect("current token")
        ),
        ucid: ucid.clone(),
    };
    assert!(plain.hold().await, "hand-written warm-up");

    let clients = match only {
        Some(which) => format!("{which:?} alone (HELIX_BENCH_ONLY)"),
        None => "both clients, order alternating".to_string(),
    };
    println!(
        "{requests} HOLD requests, concurrency {concurrency}, {rounds} rounds, {clients}; \
         simulator in another process\n"
    );
    println!(
        "{:>5}  {:<22} {:>9} {:>9} {:>15} {:>9}",
        "round", "client", "wall (s)", "req/s", "CPU µs/request", "failures"
    );
    let (mut cpu_ratios, mut throughput_ratios) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let order = match only {
            Some(which) => vec![which],
            None if round % 2 == 1 => vec![Which::Helix, Which::Plain],
            None => vec![Which::Plain, Which::Helix],
        };
        let (mut helix_run, mut plain_run) = (None, None);
        for which in order {
            // Both borrow what they send: a clone per request would be the bench's cost.
            let run = match which {
                Which::Helix => {
                    measure("helix-engage", requests, concurrency, || async {
                        agent
                            .call_control(CallAction::Hold, &ucid, None)
                            .await
                            .is_ok()
                    })
                    .await
                }
                Which::Plain => {
                    measure("hand-written reqwest", requests, concurrency, || {
                        plain.hold()
                    })
                    .await
                }
            };
            print_run(round, &run);
            match which {
                Which::Helix => helix_run = Some(run),
                Which::Plain => plain_run = Some(run),
            }
        }
        if let (Some(h), Some(p)) = (&helix_run, &plain_run) {
            let cpu = h.cpu_us_per_request() / p.cpu_us_per_request();
            let throughput = h.per_second() / p.per_second();
            println!(
                "{:>5}  ratio helix-engage / hand-written: CPU per request {cpu:.3}x, \
                 throughput {throughput:.3}x",
                ""
            );
            cpu_ratios.push(cpu);
            throughput_ratios.push(throughput);
        }
    }
    if !cpu_ratios.is_empty() {
        println!("\n{}", ratios_line("CPU per request", &cpu_ratios));
        println!("{}", ratios_line("throughput", &throughput_ratios));
    }
    println!(
        "token generations during part 1: {} (must be 1: the library's one, which the \
         hand-written client shares)",
        generations(&http, &control).await
    );
    let _ = sim.kill();
    let _ = sim.wait();
}

/// The hand-written alternative: a cached bearer token, post, check `status`.
struct Plain {
    http: reqwest::Client,
    url: String,
    bearer: String,
    ucid: String,
}

impl Plain {
    async fn hold(&self) -> bool {
        let body = json!({
            "userName": USER, "action": "HOLD", "ucid": self.ucid, "conferenceNumber": "",
            "did": "918041763265", "agentPhoneName": "agent1",
        });
        let Ok(response) = self
            .http
            .post(&self.url)
            .header("Authorization", &self.bearer)
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
