//! A hostile Ozonetel: every kind of endpoint the crate calls (the token, call control, the CDR
//! list, the missed-call list, dispositions, agent login and state) answered with garbage,
//! absurd numbers, a 50 MB body, a body that trickles past the timeout, the wrong content
//! type, duplicate keys, 100 000-deep nesting, a length that lies, bytes that are not UTF-8,
//! chunked garbage, and 10 MB error messages carrying the key. Each must come back as a typed
//! error (or, where the answer is still readable, a value), its text bounded and free of the
//! key, the token and the password, and the process alive.

mod common;

use std::time::{Duration, Instant};

use common::raw_http::{Reply, raw_server};
use common::*;
use helix_engage::ozonetel::{
    AbandonedCallsQuery, CallRecordsQuery, Client, MAX_RESPONSE_BYTES, RetryPolicy,
};
use helix_engage::{Error, ErrorCode};

const PASSWORD: &str = "agent-pass-CANARY-77";
const TOKEN_MARKER: &str = "tok-canary";

/// The endpoints, each by what the client calls and the path its hostile answer comes on.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    /// `generateToken`, reached through a HOLD.
    Token,
    /// `CallControl_V4` HOLD.
    CallControl,
    /// `fetchCDRDetails`, today so far.
    Cdr,
    /// `abandonCalls`, today.
    Missed,
    /// `DispositionAPIV2` get.
    Dispositions,
    /// `AgentAuthenticationV2` login.
    Login,
    /// `changeAgentState` Ready.
    AgentState,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Token => "generateToken",
            Endpoint::CallControl => "CallControl_V4",
            Endpoint::Cdr => "fetchCDRDetails",
            Endpoint::Missed => "abandonCalls",
            Endpoint::Dispositions => "DispositionAPIV2",
            Endpoint::Login => "AgentAuthenticationV2",
            Endpoint::AgentState => "changeAgentState",
        }
    }

    /// Whether the endpoint changes something (its success always carries a `status`).
    fn is_action(self) -> bool {
        matches!(
            self,
            Endpoint::CallControl | Endpoint::Login | Endpoint::AgentState
        )
    }

    /// Calls the endpoint; `Ok` carries a short description of what was read.
    async fn call(self, client: &Client) -> Result<String, Error> {
        let agent = agent_of(client);
        match self {
            Endpoint::Token | Endpoint::CallControl => {
                agent.hold("90174967305497").await.map(|r| format!("{r:?}"))
            }
            Endpoint::Cdr => {
                let now = client.local_now();
                let from = now.date().and_hms_opt(0, 0, 0).unwrap();
                client
                    .call_records(&CallRecordsQuery::between(from, now))
                    .await
                    .map(|r| format!("{} records", r.len()))
            }
            Endpoint::Missed => client
                .abandoned_calls(&AbandonedCallsQuery::today())
                .await
                .map(|r| format!("{} calls", r.len())),
            Endpoint::Dispositions => client.dispositions().await.map(|d| format!("{d:?}")),
            Endpoint::Login => agent.login(PASSWORD).await.map(|r| format!("{r:?}")),
            Endpoint::AgentState => agent.set_ready().await.map(|r| format!("{r:?}")),
        }
    }
}

/// What a case accepts: an error of one of `codes`, or a value where `ok` says.
struct Case {
    name: &'static str,
    reply: Reply,
    codes: &'static [ErrorCode],
    ok: Readable,
}

/// Which endpoints may read a case's answer as a value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Readable {
    /// None: it is an error everywhere.
    Nowhere,
    /// The reads (token, lists); an action (HOLD, login, state) is confirmed only by a
    /// `status`, so without one it is an error.
    ByReads,
    /// Every endpoint (a success with junk beside it).
    Everywhere,
}

fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn json_200(body: &str) -> Reply {
    Reply::Raw(http(
        "200 OK",
        "content-type: application/json\r\n",
        body.as_bytes(),
    ))
}

fn deep(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

use ErrorCode::{Api, Auth, Protocol, RateLimited, Timeout, Transport};
use Readable::{ByReads, Everywhere, Nowhere};

fn cases() -> Vec<Case> {
    let huge_message = format!(
        r#"{{"status":"Error","message":"{}apiKey={KEY} {}"}}"#,
        "x".repeat(5_000_000),
        "y".repeat(5_000_000)
    );
    let huge_html = format!("<html>{KEY}{}</html>", "z".repeat(10_000_000));
    vec![
        Case {
            name: "not JSON",
            reply: Reply::Raw(http(
                "200 OK",
                "content-type: text/plain\r\n",
                format!("garbage {KEY} <<<>>>").as_bytes(),
            )),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "an empty object",
            reply: json_200("{}"),
            codes: &[Protocol],
            ok: ByReads,
        },
        Case {
            name: "a JSON array",
            reply: json_200("[1,2,3]"),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "JSON of the wrong shape",
            reply: json_200(
                r#"{"token":12345,"details":{"UCID":[1]},"message":{"a":1},"status":{"x":1},"data":7}"#,
            ),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "fields of the wrong type without a status",
            reply: json_200(r#"{"token":12345,"details":{"UCID":[1]},"message":[7],"data":"x"}"#),
            codes: &[Protocol, Api],
            ok: ByReads,
        },
        Case {
            name: "1e400",
            reply: json_200(r#"{"status":"Success","message":"ok","token":1e400,"count":1e400}"#),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "2^64, -1 and 1e308 in counts, durations and expiries",
            reply: json_200(
                r#"{"status":"Success","message":"ok","token":"a.eyJleHAiOi0xfQ.c","expires_in":-1,
                "totalCount":18446744073709551616,"count":-1,"details":[{"UCID":18446744073709551616,
                "Duration":-1,"HoldDuration":1e308,"CallDate":-1,"AgentName":18446744073709551616,
                "CallerID":-1,"callTime":1e308,"dispositionName":-1}],"data":[18446744073709551616]}"#,
            ),
            codes: &[Protocol, Api],
            ok: Everywhere,
        },
        Case {
            name: "a 50 MB body with its length",
            reply: Reply::Repeat {
                head: format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    50 << 20
                ),
                piece: vec![b' '; 64 * 1024],
                total: 50 << 20,
            },
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "a 50 MB body without a length",
            reply: Reply::Repeat {
                head: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                    .into(),
                piece: format!(r#"{{"details":"{KEY}"}} "#).repeat(2_000).into_bytes(),
                total: 50 << 20,
            },
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "a body that trickles past the timeout",
            reply: Reply::Trickle {
                head: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n"
                    .into(),
                body: vec![b' '; 200],
                every: Duration::from_millis(50),
            },
            codes: &[Timeout],
            ok: Nowhere,
        },
        Case {
            name: "text/html",
            reply: Reply::Raw(http(
                "200 OK",
                "content-type: text/html\r\n",
                b"<html><body>502 Bad Gateway</body></html>",
            )),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "JSON labelled text/html",
            reply: Reply::Raw(http(
                "200 OK",
                "content-type: text/html\r\n",
                br#"{"status":"Error","message":"Call not Found"}"#,
            )),
            codes: &[Api, Protocol],
            ok: Nowhere,
        },
        Case {
            name: "no content type",
            reply: Reply::Raw(http("200 OK", "", br#"{"status":"Error","message":"Call not Found"}"#)),
            codes: &[Api, Protocol],
            ok: Nowhere,
        },
        Case {
            name: "duplicate keys",
            reply: json_200(
                r#"{"status":"Success","status":"Error","message":"ok","message":"Call not Found","token":"x","token":7,"details":[],"details":{}}"#,
            ),
            codes: &[Api, Protocol],
            ok: Nowhere,
        },
        Case {
            name: "100 000-deep nesting",
            reply: json_200(&deep(100_000)),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "100 000-deep nesting inside an envelope",
            reply: json_200(&format!(
                r#"{{"status":"Success","message":"ok","details":{},"token":{}}}"#,
                deep(100_000),
                deep(100_000)
            )),
            codes: &[Protocol],
            ok: Nowhere,
        },
        Case {
            name: "a length longer than the body",
            reply: Reply::Raw(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n{\"status\":\"Succ"
                    .to_vec(),
            ),
            codes: &[Protocol, Transport],
            ok: Nowhere,
        },
        Case {
            name: "invalid UTF-8",
            reply: Reply::Raw(http(
                "200 OK",
                "content-type: application/json\r\n",
                b"{\"status\":\"Error\",\"message\":\"Call \xff\xfe not \xc3 Found\"}",
            )),
            codes: &[Api, Protocol],
            ok: Nowhere,
        },
        Case {
            name: "chunked garbage",
            reply: Reply::Raw(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\nnot hex at all\r\n0\r\n\r\n"
                    .to_vec(),
            ),
            codes: &[Protocol, Transport],
            ok: Nowhere,
        },
        Case {
            name: "a 10 MB refusal quoting the key",
            reply: json_200(&huge_message),
            codes: &[Api],
            ok: Nowhere,
        },
        Case {
            name: "a 10 MB HTTP 500 page quoting the key",
            reply: Reply::Raw(http(
                "500 Internal Server Error",
                "content-type: text/html\r\n",
                huge_html.as_bytes(),
            )),
            codes: &[Api],
            ok: Nowhere,
        },
        Case {
            name: "HTTP 429 with a huge Retry-After",
            reply: Reply::Raw(http(
                "429 Too Many Requests",
                "retry-after: 99999999999999999999999\r\n",
                b"",
            )),
            codes: &[RateLimited],
            ok: Nowhere,
        },
        Case {
            name: "HTTP 429 with a negative Retry-After",
            reply: Reply::Raw(http("429 Too Many Requests", "retry-after: -5\r\n", b"")),
            codes: &[RateLimited],
            ok: Nowhere,
        },
        Case {
            name: "HTTP 401 with garbage",
            reply: Reply::Raw(http("401 Unauthorized", "", b"\x00\x01\x02 nope")),
            codes: &[Auth],
            ok: Nowhere,
        },
    ]
}

/// A client on `url` whose attempts end after `timeout` (all of them after 1.5 × that).
fn client_at(url: &str, timeout: Duration) -> Client {
    Client::builder()
        .user_name(USER)
        .api_key(KEY)
        .base_url(url)
        .timeout(timeout)
        .overall_timeout(timeout * 3 / 2)
        .cdr_rate_limit(1_000, Duration::from_secs(1))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_millis(50),
        })
        .build()
        .unwrap()
}

/// `generateToken`'s answer: a fresh JWT carrying the marker.
fn token_reply() -> Reply {
    Reply::Json(format!(
        r#"{{"token":"{}","message":""}}"#,
        jwt(TOKEN_MARKER, in_an_hour())
    ))
}

/// A server whose token endpoint answers a token and every other request `reply`.
async fn answering(reply: Reply) -> String {
    let (url, _) = raw_server(move |_, path| {
        if path.contains("generateToken") {
            token_reply()
        } else {
            reply.clone()
        }
    })
    .await;
    url
}

/// Runs every case against `endpoint`, each on a server of its own (so each is a fresh
/// account: its own token and pace).
async fn run(endpoint: Endpoint) {
    for case in cases() {
        let target = endpoint.path();
        let reply = case.reply.clone();
        let (url, seen) = raw_server(move |_, path| {
            if path.contains(target) {
                reply.clone()
            } else if path.contains("generateToken") {
                token_reply()
            } else {
                Reply::Json("{}".into())
            }
        })
        .await;
        // A slow body ends at a short timeout; every other case has room for a 32 MB read
        // on a busy machine.
        let timeout = match case.reply {
            Reply::Trickle { .. } => Duration::from_millis(400),
            _ => Duration::from_secs(3),
        };
        let client = client_at(&url, timeout);
        let started = Instant::now();
        let outcome = endpoint.call(&client).await;
        let took = started.elapsed();
        let label = format!("{endpoint:?} / {}", case.name);
        assert!(
            common::raw_http::requests_to(&seen, target) >= 1,
            "{label}: the hostile endpoint was never asked"
        );
        assert!(took < Duration::from_secs(5), "{label}: took {took:?}");
        match outcome {
            Ok(value) => {
                assert!(
                    case.ok == Everywhere || (case.ok == ByReads && !endpoint.is_action()),
                    "{label}: expected one of {:?}, got {value}",
                    case.codes
                );
                assert!(!value.contains(KEY), "{label}");
            }
            Err(err) => {
                assert!(
                    case.codes.contains(&err.code()),
                    "{label}: expected one of {:?}, got {err}",
                    case.codes
                );
                let text = err.to_string();
                let json = serde_json::to_string(&err).unwrap();
                assert!(text.len() <= 4096, "{label}: {} bytes", text.len());
                assert!(json.len() <= 4096 + 64, "{label}: {} bytes", json.len());
                for secret in [KEY, PASSWORD, TOKEN_MARKER] {
                    assert!(!text.contains(secret), "{label}: {text}");
                }
                // The token as it is sent: its payload's base64 carries the marker.
                assert!(!text.contains("eyJleHAiOj"), "{label}: {text}");
            }
        }
    }
}

#[tokio::test]
async fn token_generation_survives_every_hostile_answer() {
    run(Endpoint::Token).await;
}

#[tokio::test]
async fn call_control_survives_every_hostile_answer() {
    run(Endpoint::CallControl).await;
}

#[tokio::test]
async fn the_cdr_list_survives_every_hostile_answer() {
    run(Endpoint::Cdr).await;
}

#[tokio::test]
async fn the_missed_call_list_survives_every_hostile_answer() {
    run(Endpoint::Missed).await;
}

#[tokio::test]
async fn dispositions_survive_every_hostile_answer() {
    run(Endpoint::Dispositions).await;
}

#[tokio::test]
async fn agent_login_survives_every_hostile_answer() {
    run(Endpoint::Login).await;
}

#[tokio::test]
async fn agent_state_survives_every_hostile_answer() {
    run(Endpoint::AgentState).await;
}

/// The response cap: a body declared larger than [`MAX_RESPONSE_BYTES`] is refused from its
/// head, before the server has sent any of it (a server that then stalls costs nothing); one
/// just under it is read whole.
#[tokio::test]
async fn answers_are_read_up_to_the_cap_and_no_further() {
    let over = MAX_RESPONSE_BYTES + 1;
    let url = answering(Reply::Raw(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {over}\r\n\r\n"
        )
        .into_bytes(),
    ))
    .await;
    let started = Instant::now();
    let err = agent_of(&client_at(&url, Duration::from_secs(3)))
        .hold("90174967305497")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Protocol, "{err}");
    assert!(err.to_string().contains("32 MiB"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused from the head"
    );

    // Just under the cap: a legitimate (if padded) answer is read.
    let body = format!(
        r#"{{"status":"Success","message":"User hold is successful"}}{}"#,
        " ".repeat(MAX_RESPONSE_BYTES - 80)
    );
    let url = answering(Reply::Json(body)).await;
    let ok = agent_of(&client_at(&url, Duration::from_secs(3)))
        .hold("90174967305497")
        .await
        .unwrap();
    assert_eq!(ok.message, "User hold is successful");
}

/// A 1 GB answer costs the process about the cap, not the gigabyte. Measured in a child
/// process of its own (this binary, running only `child_reads_a_gigabyte_answer`): the other
/// tests' 10 MB strings would blur the peak of this one.
#[tokio::test]
async fn a_gigabyte_answer_costs_the_cap_not_the_gigabyte() {
    let output = tokio::task::spawn_blocking(|| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "child_reads_a_gigabyte_answer",
                "--nocapture",
                "-q",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the child failed: {stdout}");
    let peak_kb: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak_kb="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {stdout}"));
    // The cap is 32 MiB; the runtime, the client and the test harness are a few more.
    assert!(peak_kb < 128 * 1024, "peak resident memory {peak_kb} KB");
}

/// Run only by `a_gigabyte_answer_costs_the_cap_not_the_gigabyte`, in a child process: a
/// HOLD answered by 1 GB without a length; prints the process's peak resident memory.
#[tokio::test]
#[ignore = "child process of a_gigabyte_answer_costs_the_cap_not_the_gigabyte"]
async fn child_reads_a_gigabyte_answer() {
    let url = answering(Reply::Repeat {
        head: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
            .into(),
        piece: vec![b'7'; 64 * 1024],
        total: 1 << 30,
    })
    .await;
    let err = agent_of(&client_at(&url, Duration::from_secs(10)))
        .hold("90174967305497")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Protocol, "{err}");
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim();
    println!("peak_kb={peak}");
}
