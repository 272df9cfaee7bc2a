//! Several OS processes on one account through a real `redis-server` (`HELIX_TEST_REDIS_URL`,
//! set by `scripts/test.sh`): they share the CDR pace as the server counts it, and one of them
//! polls for missed calls while every one still yields each call once — also after the poller
//! is killed. The children are this test binary, re-run with `--ignored --exact <child>`.
#![cfg(feature = "redis")]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Days, FixedOffset, Utc};
use common::*;
use futures::StreamExt;
use helix_engage::ozonetel::{AuthMode, CallRecordsQuery, Client, RedisAccountStore, WatchOptions};
use mockito::Matcher;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run by the parent test"))
}

/// This binary running only `child`, with `vars` set and its stdout piped back.
fn spawn_child(child: &str, vars: &[(&str, String)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--ignored", "--exact", child, "--nocapture", "-q"])
        .stdout(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// A basic-auth client (no token traffic to get in the way) on the shared Redis store.
async fn child_client(base_url: String) -> Client {
    let store = RedisAccountStore::connect_with_prefix(&redis_url(), &env("HELIX_CHILD_PREFIX"))
        .await
        .unwrap();
    Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(base_url)
        .auth_mode(AuthMode::Basic)
        .cdr_rate_limit(2, CDR_WINDOW)
        .account_store(store)
        .build()
        .unwrap()
}

const CDR_WINDOW: Duration = Duration::from_secs(2);

/// Three processes each fetch three days of history at once. Ozonetel counts the account's
/// CDR requests wherever they come from: any three arrivals span more than the window.
#[tokio::test]
async fn three_processes_share_the_cdr_pace() {
    let mut server = mockito::Server::new_async().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    server
        .mock("GET", "/ca_reports/fetchCDRDetails")
        .match_header("apiKey", KEY)
        .with_body_from_request(move |_| {
            seen.lock().unwrap().push(Instant::now());
            br#"{"details":[]}"#.to_vec()
        })
        .create_async()
        .await;
    let prefix = unique_prefix();
    let children: Vec<Child> = (0..3)
        .map(|_| {
            spawn_child(
                "child_fetches_three_days",
                &[
                    ("HELIX_CHILD_BASE_URL", server.url()),
                    ("HELIX_CHILD_PREFIX", prefix.clone()),
                ],
            )
        })
        .collect();
    all_succeed(children).await;
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 9, "three days from each of three processes");
    for w in arrivals.windows(3) {
        assert!(
            w[2] - w[0] > CDR_WINDOW,
            "three CDR requests within {:?}: {arrivals:?}",
            w[2] - w[0]
        );
    }
}

/// Run only by `three_processes_share_the_cdr_pace`, in a child process.
#[tokio::test]
#[ignore = "child process of three_processes_share_the_cdr_pace"]
async fn child_fetches_three_days() {
    let client = child_client(env("HELIX_CHILD_BASE_URL")).await;
    let now = Utc::now()
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .naive_local();
    let from = (now - Days::new(2)).date().and_hms_opt(0, 0, 0).unwrap();
    client
        .call_records(&CallRecordsQuery::between(from, now))
        .await
        .unwrap();
}

const WATCH_INTERVAL: Duration = Duration::from_millis(300);
const MISSED_CALLS: u64 = 20;
/// One more missed call this often, so the list grows for 5 s.
const CALL_EVERY: Duration = Duration::from_millis(250);

fn missed_calls(n: u64) -> String {
    let items: Vec<String> = (1..=n)
        .map(|id| {
            format!(
                r#"{{"monitorUCID":{},"type":"Inbound","status":"NotAnswered","campaign":"c","callerID":"0987654{id:04}","callTime":"x"}}"#,
                31733467784618000 + id
            )
        })
        .collect();
    format!(r#"{{"status":"success","message":[{}]}}"#, items.join(","))
}

/// Three processes watch one account. One polls at a time (~one poll per interval, never
/// three); killing it hands polling to another within the lease's life; every process yields
/// each call exactly once (the killed one up to its death).
#[tokio::test]
async fn three_processes_poll_once_and_fail_over() {
    let mut server = mockito::Server::new_async().await;
    let polls: Arc<Mutex<Vec<(Instant, usize)>>> = Arc::default();
    let start = Instant::now();
    let seen = polls.clone();
    server
        .mock("GET", Matcher::Regex(r"^/c\d/ca_apis/abandonCalls$".into()))
        .match_header("apiKey", KEY)
        .with_body_from_request(move |req| {
            // The child is told apart by its base URL's path, /c0 .. /c2.
            let child = req.path()[2..3].parse().unwrap();
            seen.lock().unwrap().push((Instant::now(), child));
            let n = (start.elapsed().as_millis() / CALL_EVERY.as_millis()) as u64 + 1;
            missed_calls(n.min(MISSED_CALLS)).into_bytes()
        })
        .create_async()
        .await;
    let prefix = unique_prefix();
    let mut children: Vec<Child> = (0..3)
        .map(|i| {
            spawn_child(
                "child_watches_missed_calls",
                &[
                    ("HELIX_CHILD_BASE_URL", format!("{}/c{i}", server.url())),
                    ("HELIX_CHILD_PREFIX", prefix.clone()),
                ],
            )
        })
        .collect();
    let yielded: Arc<Mutex<HashMap<usize, Vec<String>>>> = Arc::default();
    let readers: Vec<_> = children
        .iter_mut()
        .enumerate()
        .map(|(i, child)| {
            let out = BufReader::new(child.stdout.take().unwrap());
            let yielded = yielded.clone();
            std::thread::spawn(move || {
                for line in out.lines().map_while(|l| l.ok()) {
                    if let Some(ucid) = line.strip_prefix("missed ") {
                        yielded
                            .lock()
                            .unwrap()
                            .entry(i)
                            .or_default()
                            .push(ucid.into());
                    }
                }
            })
        })
        .collect();

    // Let the list grow for a while, then kill whoever is polling (no clean shutdown: the
    // lease is left to expire).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let leader = polls.lock().unwrap().last().expect("someone polls").1;
    children[leader].kill().unwrap();
    children[leader].wait().unwrap();
    let killed_at = Instant::now();
    let survivors: Vec<Child> = children
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| (i != leader).then_some(c))
        .collect();
    all_succeed(survivors).await;
    for reader in readers {
        reader.join().unwrap();
    }

    let polls = polls.lock().unwrap().clone();
    let (before, after): (Vec<_>, Vec<_>) = polls.iter().partition(|(t, _)| *t < killed_at);
    assert!(
        before.iter().all(|(_, c)| *c == leader),
        "one poller until it was killed: {before:?}"
    );
    let successor = after.first().expect("someone took over").1;
    assert_ne!(successor, leader);
    assert!(
        after.iter().all(|(_, c)| *c == successor),
        "one poller after the take-over: {after:?}"
    );
    let gap = after[0].0 - before.last().unwrap().0;
    // The lease lives 3 intervals from the last renewal, and a watcher asks once an interval.
    assert!(
        gap <= WATCH_INTERVAL * 4 + Duration::from_millis(500),
        "took {gap:?} to take over"
    );
    let span = polls.last().unwrap().0 - polls[0].0;
    let intervals = (span.as_millis() / WATCH_INTERVAL.as_millis()) as usize + 1;
    assert!(
        polls.len() <= intervals + 1,
        "{} polls in {span:?}: one poller at a time, not three",
        polls.len()
    );

    let all: Vec<String> = (1..=MISSED_CALLS)
        .map(|id| (31733467784618000 + id).to_string())
        .collect();
    let yielded = yielded.lock().unwrap();
    for i in (0..3).filter(|i| *i != leader) {
        let mut got = yielded.get(&i).cloned().unwrap_or_default();
        got.sort();
        assert_eq!(got, all, "process {i}: each call exactly once");
    }
    let mut killed = yielded.get(&leader).cloned().unwrap_or_default();
    let n = killed.len();
    killed.sort();
    killed.dedup();
    assert_eq!(killed.len(), n, "the killed poller yielded a call twice");
}

/// Run only by `three_processes_poll_once_and_fail_over`, in a child process: prints each
/// missed call it is given and ends once it has all of them.
#[tokio::test]
#[ignore = "child process of three_processes_poll_once_and_fail_over"]
async fn child_watches_missed_calls() {
    use std::io::Write;
    let client = child_client(env("HELIX_CHILD_BASE_URL")).await;
    let mut watcher = client.watch_missed_calls_with(WatchOptions {
        interval: WATCH_INTERVAL,
        include_existing: true,
        campaign_name: None,
    });
    let mut seen = 0;
    let watching = async {
        while seen < MISSED_CALLS {
            match watcher.next().await.expect("the watcher never ends") {
                Ok(call) => {
                    seen += 1;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "missed {}", call.monitor_ucid).unwrap();
                    out.flush().unwrap();
                }
                Err(e) => eprintln!("watcher error: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), watching)
        .await
        .expect("all missed calls within 20 s");
}
