//! `helix events listen|subscribe|list|unsubscribe` against the simulator: the account's
//! subscription set, listed and removed on the wire; the receiver printing what the
//! simulator's webhook POSTs (JSON) and what a form POST carries, `--json` as JSON lines.

mod child;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use helix_engage_sim::{NewCall, Simulator};
use serde_json::Value;
use support::{helix, run, stderr, stdout};

async fn helix_ok(sim: &Simulator, args: &[&str]) -> String {
    let mut cmd = helix(sim);
    cmd.args(args);
    let o = run(cmd).await;
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

#[tokio::test]
async fn subscribe_list_and_unsubscribe_on_the_wire() {
    let sim = support::sim().await;
    let none = helix_ok(&sim, &["events", "list"]).await;
    assert!(none.contains("No event subscription"), "{none}");

    let said = helix_ok(
        &sim,
        &[
            "events",
            "subscribe",
            "--call-url",
            "https://desk.example/hooks/call",
            "--agent-url",
            "https://desk.example/hooks/agent",
        ],
    )
    .await;
    assert!(said.contains("Subscription added successfully"), "{said}");
    let req = sim
        .ozonetel_requests()
        .into_iter()
        .find(|r| r.path == "/events/subscribe")
        .expect("subscribe sent");
    assert_eq!(req.method, "POST");
    let body: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["callEventsURL"], "https://desk.example/hooks/call");
    assert_eq!(body["agentEventsURL"], "https://desk.example/hooks/agent");
    assert!(
        req.headers
            .iter()
            .any(|(k, v)| k == "username" && v == "acme"),
        "{:?}",
        req.headers
    );

    let table = helix_ok(&sim, &["events", "list"]).await;
    assert!(table.starts_with("EVENTS"), "{table}");
    assert!(
        table.contains("https://desk.example/hooks/agent"),
        "{table}"
    );
    let listed: Value =
        serde_json::from_str(&helix_ok(&sim, &["events", "list", "--json"]).await).unwrap();
    assert_eq!(listed["call"], "https://desk.example/hooks/call");

    let gone = helix_ok(&sim, &["events", "unsubscribe", "call"]).await;
    assert!(!gone.contains("no subscription"), "{gone}");
    let req = sim
        .ozonetel_requests()
        .into_iter()
        .rfind(|r| r.path == "/events/un-subscribe")
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&req.body).unwrap()["eventType"],
        "call"
    );
    let listed: Value =
        serde_json::from_str(&helix_ok(&sim, &["events", "list", "--json"]).await).unwrap();
    assert_eq!(listed["call"], Value::Null, "{listed}");
    assert_eq!(listed["agent"], "https://desk.example/hooks/agent");

    helix_ok(&sim, &["events", "unsubscribe", "both"]).await;
    let again: Value =
        serde_json::from_str(&helix_ok(&sim, &["events", "unsubscribe", "agent", "--json"]).await)
            .unwrap();
    assert_eq!(
        again["changed"], false,
        "nothing to remove is not a failure"
    );

    // A URL Ozonetel would refuse is refused here, naming it, and nothing is sent.
    sim.clear_recordings();
    let mut cmd = helix(&sim);
    cmd.args([
        "events",
        "subscribe",
        "--call-url",
        "ftp://x/call",
        "--agent-url",
        "https://x/a",
    ]);
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("call events URL"), "{}", stderr(&o));
    assert!(sim.ozonetel_requests().is_empty());
}

/// POSTs `body` to the receiver; the HTTP status it answered.
fn post(addr: &str, path: &str, content_type: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Starts `helix events listen --port 0` and reads the address it bound.
async fn listener(sim: &Simulator, json: bool) -> (child::Running, String) {
    let mut cmd = helix(sim);
    cmd.args(["events", "listen", "--port", "0"]);
    if json {
        cmd.arg("--json");
    }
    let mut running = child::Running::spawn(cmd);
    let line = running
        .stderr_line(Duration::from_secs(10), |l| {
            l.contains("listening for events on http://")
        })
        .await
        .unwrap_or_else(|| panic!("{}", running.transcript()));
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    (running, addr)
}

#[tokio::test]
async fn listen_prints_the_subscriptions_events_as_they_come() {
    let sim = support::sim().await;
    let (mut listening, addr) = listener(&sim, false).await;
    helix_ok(
        &sim,
        &[
            "events",
            "subscribe",
            "--call-url",
            &format!("http://{addr}/call"),
            "--agent-url",
            &format!("http://{addr}/agent"),
        ],
    )
    .await;
    let call = sim
        .seed_call(NewCall {
            answered: true,
            ..Default::default()
        })
        .unwrap();
    let answered = listening
        .stdout_line(Duration::from_secs(10), |l| l.contains("call Answered"))
        .await
        .unwrap_or_else(|| panic!("{}", listening.transcript()));
    assert!(answered.starts_with("/call call Answered"), "{answered}");
    assert!(
        answered.contains(&format!("UCID {}", call.ucid)),
        "{answered}"
    );
    assert!(
        listening.stdout.iter().any(|l| l.contains("call Calling")),
        "{}",
        listening.transcript()
    );
    // The caller's number is not printed for people.
    assert!(!listening.transcript().contains("9876543210"));
    // The simulator's webhook was answered 200.
    let deliveries = sim.event_deliveries();
    assert!(
        deliveries
            .iter()
            .any(|d| d.delivered && d.status == Some(200)),
        "{deliveries:?}"
    );

    // A form body (how some accounts post), and something that is no event.
    let form = "eventType=Agent&agent_id=agent1&action=Ready&event_time=2026-11-30+10%3A00%3A00";
    assert_eq!(
        post(&addr, "/agent", "application/x-www-form-urlencoded", form),
        200
    );
    let ready = listening
        .stdout_line(Duration::from_secs(5), |l| l.contains("agent agent1 Ready"))
        .await;
    assert!(ready.is_some(), "{}", listening.transcript());
    assert_eq!(post(&addr, "/agent", "application/json", "[1,2]"), 400);
    let warned = listening
        .stderr_line(Duration::from_secs(5), |l| l.contains("not an event"))
        .await;
    assert!(warned.is_some(), "{}", listening.transcript());
}

#[tokio::test]
async fn listen_json_prints_each_event_as_a_json_line() {
    let sim = support::sim().await;
    let (mut listening, addr) = listener(&sim, true).await;
    let call = r#"{"eventType":"Call","action":"Disconnect","ucid":31733467784618213,"agent_id":"agent1","call_type":"InBound","event_time":"2026-11-30 10:00:05"}"#;
    assert_eq!(post(&addr, "/call", "application/json", call), 200);
    assert_eq!(
        post(
            &addr,
            "/agent",
            "application/x-www-form-urlencoded",
            "eventType=Agent&agent_id=agent2&action=Pause"
        ),
        200
    );
    let _ = listening
        .stdout_line(Duration::from_secs(5), |l| l.contains("agent2"))
        .await;
    let lines: Vec<Value> = listening
        .stdout
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{}", listening.transcript());
    assert_eq!(lines[0]["kind"], "call");
    // The UCID stays exact text (it is above 2^53).
    assert_eq!(lines[0]["event"]["ucid"], "31733467784618213");
    assert_eq!(lines[0]["event"]["action"], "disconnect");
    assert_eq!(lines[1]["kind"], "agent");
    assert_eq!(lines[1]["event"]["action"], "Pause");
}
