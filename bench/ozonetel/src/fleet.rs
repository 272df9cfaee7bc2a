//! Part 2: the desk's deployment — several sidecar processes, several agents each, one
//! Ozonetel account. Each child process is this binary again (`--child`), so every process
//! really is separate: its own registry, its own token cache, its own CPU.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use helix_engage::ozonetel::{AgentRef, Client, RedisAccountStore};
use serde_json::{Value, json};

use super::{KEY, USER, cpu_time, generations, seed_call, start_simulator};

/// What one child reports on its last stdout line.
#[derive(Debug, Default, Clone, Copy)]
struct ChildReport {
    requests: u64,
    failures: u64,
    cpu: Duration,
}

/// A Redis for the run: `HELIX_BENCH_REDIS_URL`, or a `redis-server` started on a free port
/// (stopped when the guard drops).
struct Redis {
    url: String,
    child: Option<std::process::Child>,
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn redis() -> Option<Redis> {
    if let Ok(url) = std::env::var("HELIX_BENCH_REDIS_URL") {
        return Some(Redis { url, child: None });
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let redis = Redis {
        url: format!("redis://127.0.0.1:{port}/"),
        child: Some(child),
    };
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(redis);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

pub async fn run(processes: usize, agents: usize, seconds: u64) {
    let Some(redis) = redis() else {
        println!("\npart 2 skipped: no redis-server on the PATH and no HELIX_BENCH_REDIS_URL");
        return;
    };
    println!(
        "\n{processes} processes × {agents} agents on one account, HOLD/UNHOLD for {seconds} s, \
         one request in flight per agent\n"
    );
    println!(
        "{:<34} {:>10} {:>16} {:>9} {:>12}",
        "client", "req/s", "CPU µs/request", "failures", "token gens"
    );
    let helix = fleet(
        "helix-engage (RedisAccountStore)",
        "helix",
        &redis.url,
        processes,
        agents,
        seconds,
    )
    .await;
    let plain = fleet(
        "hand-written reqwest",
        "plain",
        &redis.url,
        processes,
        agents,
        seconds,
    )
    .await;
    println!(
        "\nratios helix-engage / hand-written: throughput {:.2}x, CPU per request {:.2}x \
         (hand-written counts only requests that succeeded)",
        helix.0 / plain.0,
        helix.1 / plain.1
    );
    drop(redis);
}

/// Runs one fleet against a fresh simulator; (successful requests per second, CPU µs per
/// successful request).
async fn fleet(
    name: &str,
    kind: &str,
    redis_url: &str,
    processes: usize,
    agents: usize,
    seconds: u64,
) -> (f64, f64) {
    let (mut sim, base, control) = start_simulator();
    let http = reqwest::Client::new();
    let prefix = format!("bench:{}:{kind}:", std::process::id());
    let exe = std::env::current_exe().expect("own path");
    let mut children = Vec::new();
    for p in 0..processes {
        let mut ucids = Vec::new();
        for a in 0..agents {
            ucids.push(seed_call(&http, &control, &format!("agent-{p}-{a}")).await);
        }
        children.push(
            Command::new(&exe)
                .args([
                    "--child",
                    kind,
                    &base,
                    redis_url,
                    &prefix,
                    &seconds.to_string(),
                ])
                .args(&ucids)
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a child process"),
        );
    }
    let t0 = Instant::now();
    let mut total = ChildReport::default();
    for child in children {
        let out = child.wait_with_output().expect("child output");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = text
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_default();
        total.requests += v["requests"].as_u64().unwrap_or(0);
        total.failures += v["failures"].as_u64().unwrap_or(0);
        total.cpu += Duration::from_micros(v["cpu_us"].as_u64().unwrap_or(0));
    }
    let wall = t0.elapsed().as_secs_f64().max(seconds as f64);
    let gens = generations(&http, &control).await;
    let ok = total.requests.saturating_sub(total.failures).max(1);
    let per_second = ok as f64 / wall;
    let cpu_us = total.cpu.as_secs_f64() * 1e6 / ok as f64;
    println!(
        "{name:<34} {per_second:>10.0} {cpu_us:>16.1} {:>9} {gens:>12}",
        total.failures
    );
    let _ = sim.kill();
    let _ = sim.wait();
    (per_second, cpu_us)
}

/// `--child KIND BASE REDIS PREFIX SECONDS UCID…`: one sidecar process, one agent per UCID.
pub async fn child(args: &[String]) {
    let [kind, base, redis_url, prefix, seconds, ucids @ ..] = args else {
        eprintln!("--child KIND BASE REDIS PREFIX SECONDS UCID…");
        std::process::exit(2);
    };
    let seconds: u64 = seconds.parse().unwrap_or(60);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cpu0 = cpu_time();
    let loops: Vec<_> = match kind.as_str() {
        "helix" => {
            let store = RedisAccountStore::lazy(redis_url, prefix).expect("redis url");
            let client = Client::builder()
                .user_name(USER)
                .api_key(KEY)
                .base_url(base)
                .account_store(store)
                .build()
                .expect("client");
            ucids
                .iter()
                .enumerate()
                .map(|(i, ucid)| {
                    let agent = client
                        .agent(
                            AgentRef::new(format!("agent-{i}"))
                                .with_did("918041763265")
                                .with_phone_name(format!("ext-{i}")),
                        )
                        .expect("agent");
                    let ucid = ucid.clone();
                    tokio::spawn(async move {
                        let (mut n, mut failed) = (0u64, 0u64);
                        while Instant::now() < deadline {
                            let r = if n % 2 == 0 {
                                agent.hold(&ucid).await
                            } else {
                                agent.unhold(&ucid).await
                            };
                            n += 1;
                            failed += u64::from(r.is_err());
                        }
                        (n, failed)
                    })
                })
                .collect()
        }
        _ => {
            // The sidecar as commonly hand-written: a token of its own at start-up.
            let http = reqwest::Client::new();
            let token: Value = match http
                .post(format!("{base}/ca_apis/CAToken/generateToken"))
                .header("apiKey", KEY)
                .json(&json!({ "userName": USER }))
                .send()
                .await
            {
                Ok(r) => r.json().await.unwrap_or_default(),
                Err(_) => Value::Null,
            };
            let bearer = format!("Bearer {}", token["token"].as_str().unwrap_or(""));
            let url = format!("{base}/ca_apis/CallControl_V4");
            ucids
                .iter()
                .enumerate()
                .map(|(i, ucid)| {
                    let (http, url, bearer, ucid) =
                        (http.clone(), url.clone(), bearer.clone(), ucid.clone());
                    tokio::spawn(async move {
                        let (mut n, mut failed) = (0u64, 0u64);
                        while Instant::now() < deadline {
                            let action = if n % 2 == 0 { "HOLD" } else { "UNHOLD" };
                            let body = json!({
                                "userName": USER, "action": action, "ucid": ucid,
                                "conferenceNumber": "", "did": "918041763265",
                                "agentPhoneName": format!("ext-{i}"),
                            });
                            let ok = match http
                                .post(&url)
                                .header("Authorization", &bearer)
                                .json(&body)
                                .send()
                                .await
                            {
                                Ok(r) => r.json::<Value>().await.is_ok_and(|v| {
                                    v["status"]
                                        .as_str()
                                        .is_some_and(|s| s.eq_ignore_ascii_case("success"))
                                }),
                                Err(_) => false,
                            };
                            n += 1;
                            failed += u64::from(!ok);
                        }
                        (n, failed)
                    })
                })
                .collect()
        }
    };
    let (mut requests, mut failures) = (0, 0);
    for l in loops {
        let (n, f) = l.await.unwrap_or((0, 0));
        requests += n;
        failures += f;
    }
    let cpu = cpu_time() - cpu0;
    println!(
        "{}",
        json!({ "requests": requests, "failures": failures, "cpu_us": cpu.as_micros() as u64 })
    );
}
