//! `helix events dispatch` as a child process on real Redis (`HELIX_TEST_REDIS_URL`, started by
//! `scripts/test.sh`), with two fake sidecars (in-test HTTP servers that record what they
//! receive) registered through the library's `SidecarRegistry`.
//!
//! The events are the simulator's shapes (`sim/src/ozonetel/desk.rs`): call events with
//! `eventType` "Call", `action`, `ucid`, `monitor_ucid`, `agent_id`, `caller_id`…, agent events
//! with `eventType` "Agent", `agent_id`, `action`, `agent_state`… — as JSON and as form bodies.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use helix_engage::ozonetel::{RedisSidecarStore, SidecarRegistry};
use serde_json::{Value, json};

const ACCOUNT: &str = "acme";
const CALLER: &str = "9988776655";

fn redis_url() -> String {
    match std::env::var("HELIX_TEST_REDIS_URL") {
        Ok(url) => url,
        Err(_) => panic!(
            "HELIX_TEST_REDIS_URL is not set: run the suite through scripts/test.sh, which \
             installs and starts redis-server"
        ),
    }
}

/// A Redis key prefix no other test (or run) uses.
fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("helix-cli-test:{}:{nanos}:", std::process::id())
}

async fn registry(prefix: &str) -> SidecarRegistry {
    let store = RedisSidecarStore::connect_with_prefix(&redis_url(), prefix)
        .await
        .unwrap();
    SidecarRegistry::new(ACCOUNT, store).unwrap()
}

/// One request a fake sidecar received, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    content_type: String,
    body: String,
    status: u16,
}

/// A fake sidecar: records every POST; answers 500 to the first `fail_first` of them, each
/// answer after `delay`.
#[derive(Clone)]
struct Sidecar {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone)]
struct SidecarState {
    seen: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicU32>,
    delay: Duration,
}

async fn sidecar(fail_first: u32) -> Sidecar {
    slow_sidecar(fail_first, Duration::ZERO).await
}

async fn slow_sidecar(fail_first: u32, delay: Duration) -> Sidecar {
    async fn record(State(s): State<SidecarState>, headers: HeaderMap, body: Bytes) -> StatusCode {
        tokio::time::sleep(s.delay).await;
        let status = if s
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        };
        s.seen.lock().unwrap().push(Received {
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
            status: status.as_u16(),
        });
        status
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = SidecarState {
        seen: Arc::clone(&seen),
        fail_first: Arc::new(AtomicU32::new(fail_first)),
        delay,
    };
    let app = axum::Router::new().fallback(record).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ozonetel/events", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Sidecar { url, seen }
}

impl Sidecar {
    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// The bodies answered 200, in arrival order.
    fn delivered(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|r| r.status == 200)
            .map(|r| r.body)
            .collect()
    }
}

/// The dispatcher child: its URL, and its stdout/stderr collected until it exits.
struct Dispatcher {
    child: Child,
    url: String,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

/// Starts `helix --json events dispatch --port 0` on `prefix` with summaries every second and
/// fast retries (unless `extra` sets them), and waits for its first line (the address).
async fn start_dispatcher(prefix: &str, extra: &[&str]) -> Dispatcher {
    let mut cmd = support::bare();
    cmd.args(["--json", "events", "dispatch", "--port", "0", "--redis"])
        .arg(redis_url())
        .args(["--redis-prefix", prefix, "--account", ACCOUNT])
        .args(["--summary-every", "1"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !extra.contains(&"--retry-base-ms") {
        cmd.args(["--retry-base-ms", "50", "--retry-max-ms", "200"]);
    }
    let mut child = cmd.spawn().expect("helix starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut err = child.stderr.take().unwrap();
    let (first, out) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        (line, out)
    })
    .await
    .unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start: Value = serde_json::from_str(&first)
        .unwrap_or_else(|_| panic!("first line is the JSON start line: {first:?}"));
    let url = start["listening"].as_str().expect("listening").to_string();
    assert_eq!(start["account"], ACCOUNT);
    assert!(start["registry"].as_str().unwrap().starts_with("redis://"));
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let mut out = out;
        let _ = out.read_to_string(&mut s);
        s
    });
    Dispatcher {
        child,
        url,
        stdout,
        stderr,
    }
}

impl Dispatcher {
    async fn stats(&self) -> Value {
        reqwest::get(format!("{}/stats", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// POSTs one event as Ozonetel would; the dispatcher answers at once.
    async fn post(&self, content_type: &str, body: &str) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/events/call", self.url))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Waits (up to 10 s) until `/stats` satisfies `ok`.
    async fn wait_stats(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let s = self.stats().await;
            if ok(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("stats never showed {what}: {}", self.stats().await);
    }

    /// SIGTERM; the exit status, stdout and stderr.
    async fn stop(mut self) -> (std::process::ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        tokio::task::spawn_blocking(move || {
            let status = self.child.wait().unwrap();
            (
                status,
                self.stdout.join().unwrap(),
                self.stderr.join().unwrap(),
            )
        })
        .await
        .unwrap()
    }
}

fn call_event(agent: &str, action: &str, ucid: &str) -> Value {
    json!({
        "eventType": "Call", "username": ACCOUNT, "action": action, "call_type": "InBound",
        "ucid": ucid, "monitor_ucid": format!("{ucid}9"), "agent_id": agent,
        "skill": "General", "caller_id": CALLER, "did": "918041763265",
        "agent_number": "9123456780", "event_time": "2026-01-05 10:00:00",
        "eventTime": "2026-01-05 10:00:01",
    })
}

fn agent_event_form(agent: &str, action: &str, state: &str) -> String {
    url_form(&[
        ("eventType", "Agent"),
        ("username", ACCOUNT),
        ("agent_id", agent),
        ("agent_name", "Asha"),
        ("action", action),
        ("agent_state", state),
        ("pause_reason", ""),
        ("phone_name", "523590"),
        ("agent_number", "9123456780"),
        ("ucid", ""),
        ("event_time", "2026-01-05 10:00:00"),
    ])
}

fn url_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace(':', "%3A")))
        .collect::<Vec<_>>()
        .join("&")
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// A dispatcher, and sidecars "whitefield" serving agent1 and "koramangala" serving agent2.
async fn two_sidecars() -> (Dispatcher, Sidecar, Sidecar) {
    let prefix = unique_prefix();
    let reg = registry(&prefix).await;
    let (a, b) = (sidecar(0).await, sidecar(0).await);
    let ttl = Duration::from_secs(60);
    reg.register("whitefield", &a.url, &["agent1"], ttl)
        .await
        .unwrap();
    reg.register("koramangala", &b.url, &["agent2"], ttl)
        .await
        .unwrap();
    (start_dispatcher(&prefix, &[]).await, a, b)
}

#[tokio::test]
async fn each_sidecar_receives_exactly_its_agents_events_in_order() {
    let (d, a, b) = two_sidecars().await;

    let mut for_a = Vec::new();
    let mut for_b = Vec::new();
    let mut sent = Vec::new();
    for i in 0..6 {
        let ucid = format!("9017496730549{i}");
        for action in ["Calling", "Answered", "Disconnect"] {
            let body = call_event("agent1", action, &ucid).to_string();
            sent.push((JSON, body.clone()));
            for_a.push((JSON, body));
        }
        let body = agent_event_form("agent2", if i % 2 == 0 { "Busy" } else { "ACW" }, "BUSY");
        sent.push((FORM, body.clone()));
        for_b.push((FORM, body));
        let body = call_event("agent2", "Answered", &ucid).to_string();
        sent.push((JSON, body.clone()));
        for_b.push((JSON, body));
        let body = agent_event_form("agent1", "Ready", "READY");
        sent.push((FORM, body.clone()));
        for_a.push((FORM, body));
    }
    // Not for anybody: an agent no sidecar serves, an event without an agent, another tenant's.
    let unknown = call_event("agent3", "Calling", "90174967305499").to_string();
    let no_agent = call_event("", "Calling", "90174967305498").to_string();
    let mut foreign = call_event("agent1", "Calling", "90174967305497");
    foreign["username"] = json!("umbrella");
    for (ct, body) in &sent {
        assert_eq!(d.post(ct, body).await, 200);
    }
    for body in [&unknown, &no_agent, &foreign.to_string()] {
        assert_eq!(d.post(JSON, body).await, 200);
    }
    assert_eq!(
        d.post(JSON, "{not json").await,
        400,
        "an unreadable body is refused"
    );

    let total = (for_a.len() + for_b.len()) as u64;
    let stats = d
        .wait_stats("every event forwarded", |s| {
            s["forwarded"] == total && s["queued"] == 0
        })
        .await;
    assert_eq!(stats["received"], total + 4);
    assert_eq!(stats["unknown_agent"], 1);
    assert_eq!(stats["no_agent"], 1);
    assert_eq!(stats["other_account"], 1);
    assert_eq!(stats["invalid"], 1);
    assert_eq!(stats["failed"], 0);
    assert_eq!(
        stats["sidecars"]["whitefield"]["forwarded"],
        for_a.len() as u64
    );
    assert_eq!(
        stats["sidecars"]["koramangala"]["forwarded"],
        for_b.len() as u64
    );

    for (sc, expected) in [(&a, &for_a), (&b, &for_b)] {
        let seen = sc.seen();
        let got: Vec<(&str, &str)> = seen
            .iter()
            .map(|r| (r.content_type.as_str(), r.body.as_str()))
            .collect();
        let want: Vec<(&str, &str)> = expected.iter().map(|(c, b)| (*c, b.as_str())).collect();
        assert_eq!(
            got, want,
            "exactly its agents' events, in order, bodies and types unchanged"
        );
    }

    // Long enough for one periodic summary line (every second here).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, stdout, stderr) = d.stop().await;
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}\n{stderr}");
    let last: Value = serde_json::from_str(stdout.lines().last().expect("a final line")).unwrap();
    assert_eq!(last["stopped"], true);
    assert_eq!(last["stats"]["forwarded"], total);
    // One log line each for the unrouted events: kind and agent, never the caller's number.
    let line = stderr
        .lines()
        .find(|l| l.starts_with("dispatch: unknown agent:"))
        .unwrap_or_else(|| panic!("no unknown-agent line:\n{stderr}"));
    assert!(
        line.contains("call event") && line.contains("agent3"),
        "{line}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("dispatch: no agent: call event")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("dispatch: other account:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("received "),
        "a periodic summary line:\n{stderr}"
    );
    assert!(
        !stderr.contains(CALLER),
        "the caller's number leaked:\n{stderr}"
    );
    assert!(!stdout.contains(CALLER));
}

#[tokio::test]
async fn a_sidecar_answering_500_twice_gets_the_event_once_after_retries() {
    let prefix = unique_prefix();
    let reg = registry(&prefix).await;
    let a = sidecar(2).await;
    reg.register("whitefield", &a.url, &["agent1"], Duration::from_secs(60))
        .await
        .unwrap();
    let d = start_dispatcher(&prefix, &[]).await;
    let first = call_event("agent1", "Calling", "90174967305491").to_string();
    let second = call_event("agent1", "Answered", "90174967305491").to_string();
    assert_eq!(
        d.post(JSON, &first).await,
        200,
        "answered before any delivery"
    );
    assert_eq!(d.post(JSON, &second).await, 200);
    let stats = d
        .wait_stats("both forwarded", |s| s["forwarded"] == 2)
        .await;
    assert_eq!(stats["retries"], 2);
    assert_eq!(stats["failed"], 0);
    let statuses: Vec<u16> = a.seen().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 200, 200]);
    assert_eq!(
        a.delivered(),
        [first, second],
        "once each, the retried one first"
    );
    let (status, _, stderr) = d.stop().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test]
async fn a_sidecar_that_stops_heartbeating_stops_receiving_within_its_ttl() {
    let prefix = unique_prefix();
    let reg = registry(&prefix).await;
    let (a, b) = (sidecar(0).await, sidecar(0).await);
    let d = start_dispatcher(&prefix, &[]).await;
    let ttl = Duration::from_secs(1);
    reg.register("whitefield", &a.url, &["agent1"], ttl)
        .await
        .unwrap();
    reg.register("koramangala", &b.url, &["agent2"], Duration::from_secs(60))
        .await
        .unwrap();

    // Alive past its TTL while it heartbeats.
    for i in 0..4 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(reg.heartbeat("whitefield", ttl).await.unwrap().is_some());
        let body = call_event("agent1", "Calling", &format!("1000000000000{i}")).to_string();
        assert_eq!(d.post(JSON, &body).await, 200);
    }
    d.wait_stats("four forwarded", |s| s["forwarded"] == 4)
        .await;
    assert_eq!(a.delivered().len(), 4);

    // Silent: within its TTL (plus a margin for the last request in flight) it gets nothing.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let late = call_event("agent1", "Answered", "10000000000009").to_string();
    assert_eq!(d.post(JSON, &late).await, 200);
    assert_eq!(
        d.post(
            JSON,
            &call_event("agent2", "Calling", "10000000000008").to_string()
        )
        .await,
        200
    );
    let stats = d
        .wait_stats("the late event unknown", |s| {
            s["unknown_agent"] == 1 && s["forwarded"] == 5
        })
        .await;
    assert_eq!(stats["sidecars"]["koramangala"]["forwarded"], 1);
    assert_eq!(
        a.delivered().len(),
        4,
        "nothing after its registration expired"
    );
    let (status, _, stderr) = d.stop().await;
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("dispatch: unknown agent:"), "{stderr}");
}

#[tokio::test]
async fn an_event_retried_past_its_sidecars_expiry_is_not_sent_there() {
    let prefix = unique_prefix();
    let reg = registry(&prefix).await;
    // Fails every time within the test; registered for 1 s and never renewed.
    let a = sidecar(1000).await;
    let d = start_dispatcher(
        &prefix,
        &[
            "--max-tries",
            "20",
            "--retry-base-ms",
            "300",
            "--retry-max-ms",
            "300",
        ],
    )
    .await;
    reg.register("whitefield", &a.url, &["agent1"], Duration::from_secs(1))
        .await
        .unwrap();
    let body = call_event("agent1", "Calling", "90174967305493").to_string();
    assert_eq!(d.post(JSON, &body).await, 200);
    let stats = d
        .wait_stats("the retry given up at expiry", |s| s["expired"] == 1)
        .await;
    assert_eq!(stats["forwarded"], 0);
    let tries = a.seen().len();
    assert!(tries >= 2, "{tries} tries within the 1 s TTL");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        a.seen().len(),
        tries,
        "nothing more after the registration expired"
    );
    let (status, _, stderr) = d.stop().await;
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("expired: call event"), "{stderr}");
}

/// `helix events dispatch --port 0 ARGS…` run to its end (it must refuse to start).
async fn refused(args: &[&str]) -> (Option<i32>, String) {
    let mut c = support::bare();
    c.args(["events", "dispatch", "--port", "0"]).args(args);
    let o = support::run(c).await;
    let (out, err) = (support::stdout(&o), support::stderr(&o));
    assert!(
        !out.contains("CANARY") && !err.contains("CANARY"),
        "{out}{err}"
    );
    (o.status.code(), err)
}

#[tokio::test]
async fn without_redis_or_an_account_the_dispatcher_says_what_to_pass() {
    let (code, err) = refused(&["--account", ACCOUNT]).await;
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("--redis"), "{err}");

    let (code, err) = refused(&["--redis", "redis://127.0.0.1:1/"]).await;
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("--account"), "{err}");

    // Redis down: a transport error (exit 9) that never repeats the password.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("redis://:CANARY-pw@127.0.0.1:{port}/");
    let (code, err) = refused(&["--account", ACCOUNT, "--redis", &url]).await;
    assert_eq!(code, Some(9), "{err}");

    let (code, err) = refused(&["--account", ACCOUNT, "--max-tries", "0", "--redis", &url]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("max_tries"), "{err}");
}

#[tokio::test]
async fn a_full_sidecar_queue_drops_counted_without_holding_up_other_sidecars() {
    let prefix = unique_prefix();
    let reg = registry(&prefix).await;
    let slow = slow_sidecar(0, Duration::from_millis(800)).await;
    let fast = sidecar(0).await;
    let ttl = Duration::from_secs(60);
    reg.register("slow", &slow.url, &["agent1"], ttl)
        .await
        .unwrap();
    reg.register("fast", &fast.url, &["agent2"], ttl)
        .await
        .unwrap();
    let d = start_dispatcher(&prefix, &["--queue", "2"]).await;
    // One in flight, two waiting, the rest dropped — and each one answered 200 at once.
    for i in 0..8 {
        let body = call_event("agent1", "Calling", &format!("2000000000000{i}")).to_string();
        assert_eq!(d.post(JSON, &body).await, 200);
    }
    let body = call_event("agent2", "Calling", "20000000000099").to_string();
    assert_eq!(d.post(JSON, &body).await, 200);
    d.wait_stats("the fast sidecar served", |s| {
        s["sidecars"]["fast"]["forwarded"] == 1
    })
    .await;
    assert!(
        slow.seen().len() <= 1,
        "the fast sidecar was not held up by the slow one"
    );
    let stats = d
        .wait_stats("the slow queue worked off", |s| s["queued"] == 0)
        .await;
    let dropped = stats["dropped_queue_full"].as_u64().unwrap();
    assert!(dropped >= 4, "{stats}");
    assert_eq!(stats["sidecars"]["slow"]["dropped"], dropped);
    assert_eq!(stats["forwarded"].as_u64().unwrap() + dropped, 9);
    let (status, _, stderr) = d.stop().await;
    assert!(status.success(), "{stderr}");
    let lines = stderr
        .lines()
        .filter(|l| l.contains("queue of 2 is full"))
        .count();
    assert_eq!(
        lines as u64, dropped,
        "one line per dropped event:\n{stderr}"
    );
}

/// The simulator's own deliveries (its subscription aimed at the dispatcher): agent logins and
/// calls for two agents reach each agent's sidecar, bodies exactly as the simulator sent them.
#[tokio::test]
async fn the_simulators_events_reach_each_agents_sidecar_unchanged() {
    use helix_engage::ozonetel::{AgentRef, Client, EventUrls};
    use helix_engage_sim::{DEFAULT_API_KEY, DEFAULT_USER_NAME, NewCall};

    let (d, a, b) = two_sidecars().await;
    let sim = support::sim().await;
    assert_eq!(DEFAULT_USER_NAME, ACCOUNT);
    let client = Client::builder()
        .user_name(DEFAULT_USER_NAME)
        .api_key(DEFAULT_API_KEY)
        .base_url(sim.ozonetel_url())
        .events_base_url(sim.events_url())
        .build()
        .unwrap();
    client
        .subscribe_events(&EventUrls {
            call: format!("{}/ozonetel/call", d.url),
            agent: format!("{}/ozonetel/agent", d.url),
        })
        .await
        .unwrap();
    let agent1 = AgentRef::new("agent1")
        .with_phone_name("523590")
        .with_number("9123456780");
    let agent2 = AgentRef::new("agent2")
        .with_phone_name("523591")
        .with_number("9123456781");
    client
        .agent(agent1)
        .unwrap()
        .login("sim-agent1-pass")
        .await
        .unwrap();
    client
        .agent(agent2)
        .unwrap()
        .login("sim-agent2-pass")
        .await
        .unwrap();
    for (agent, number) in [("agent1", "9123456780"), ("agent2", "9123456781")] {
        let call = sim
            .seed_call(NewCall {
                agent_id: agent.into(),
                agent_number: number.into(),
                ..NewCall::default()
            })
            .unwrap();
        sim.end_call(&call.ucid).unwrap();
    }

    // Login, Busy, ACW and the call's Calling, Answered, Disconnect: at least 6 each.
    d.wait_stats("the simulator's events forwarded", |s| {
        s["sidecars"]["whitefield"]["forwarded"].as_u64() >= Some(6)
            && s["sidecars"]["koramangala"]["forwarded"].as_u64() >= Some(6)
            && s["queued"] == 0
    })
    .await;
    let deliveries = sim.event_deliveries();
    assert!(
        deliveries.iter().all(|e| e.delivered),
        "the dispatcher answered 200"
    );
    for (sc, agent) in [(&a, "agent1"), (&b, "agent2")] {
        let got: Vec<Value> = sc
            .seen()
            .iter()
            .map(|r| {
                assert!(r.content_type.starts_with("application/json"), "{r:?}");
                serde_json::from_str(&r.body).unwrap()
            })
            .collect();
        // The simulator posts call and agent events from one worker per URL, so the order
        // to compare is per kind.
        for kind in ["Call", "Agent"] {
            let of_kind = |e: &&Value| e["eventType"] == kind;
            let got: Vec<&Value> = got.iter().filter(of_kind).collect();
            let sent: Vec<&Value> = deliveries
                .iter()
                .map(|e| &e.body)
                .filter(|b| b["agent_id"] == agent)
                .filter(of_kind)
                .collect();
            assert!(got.len() >= 3, "{agent}: {got:?}");
            assert_eq!(
                got, sent,
                "{agent}'s {kind} events, as the simulator sent them"
            );
        }
    }
    sim.shutdown().await;
    let (status, _, stderr) = d.stop().await;
    assert!(status.success(), "{stderr}");
}
