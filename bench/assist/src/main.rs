//! Live-assist throughput benchmark (not a test).
//!
//! N concurrent sessions stream 16 kHz mono linear16 in 20 ms frames for S seconds to a
//! Deepgram-shaped WebSocket receiver running in **another process** (so its CPU is not
//! counted), once through `helix_engage::assist::LiveAssist` and once through the client a
//! developer would write by hand: plain tokio-tungstenite, one task per session writing a frame
//! every 20 ms. Each client runs in its own process too, so resident memory is measured from a
//! clean start. Reported side by side, with ratios (assist ÷ plain):
//!
//! - CPU per stream-second: the client process's user+system CPU (`/proc/self/stat`) while
//!   streaming, divided by sessions × seconds.
//! - Resident memory per session: RSS with every session streaming minus RSS before the first
//!   session, divided by N.
//! - Delay from `send_audio` (or the plain client's send) to the frame on the socket: every
//!   frame starts with its send time (CLOCK_REALTIME, shared by the processes) and the receiver
//!   takes the difference when the WebSocket frame holding it arrives — queueing, coalescing
//!   and the socket included.
//!
//! - Frames lost: sent by the client minus received by the receiver (0 expected), and failed
//!   sessions.
//! - The replay buffer's share of the library's memory: the audio it holds per session
//!   (`AssistMetrics::replay_buffer_seconds` × the byte rate) when the RSS is sampled.
//!
//! One invocation runs every session count given (`--sessions 100,500,1000`, the default),
//! each pair back to back, and ends with how the per-session cost grows with the count.
//!
//! ```sh
//! cargo run --release -p helix-engage-bench-assist                                # 100, 500, 1000 × 60 s
//! cargo run --release -p helix-engage-bench-assist -- --sessions 50 --secs 10   # quick look
//! ```

use std::io::Write as _;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use helix_engage::assist::{AssistConfig, AudioFormat, DeepgramConfig, LiveAssist, Speaker};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Error = Box<dyn std::error::Error + Send + Sync>;

const RATE: usize = 16_000;
/// 20 ms of 16 kHz mono linear16.
const FRAME: usize = RATE * 2 / 50;
const KEY: &str = "bench-key";
const FRAME_EVERY: Duration = Duration::from_millis(20);

#[derive(Clone, Debug)]
struct Args {
    /// The session counts to run, in order (a client process runs one of them).
    counts: Vec<usize>,
    sessions: usize,
    secs: u64,
    role: Role,
    port: u16,
    /// The coalesced client's window (`AssistConfig::coalesce`).
    coalesce_ms: u64,
    /// Every session ticks at the same instant (the barrier's), not spread over the 20 ms.
    lockstep: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Orchestrate,
    Serve,
    Assist,
    /// LiveAssist with `AssistConfig::coalesce` (its own row: it trades delay for CPU).
    AssistCoalesced,
    Plain,
    /// The same, with TCP_NODELAY (as the library sets it): every frame leaves at once.
    PlainNodelay,
}

fn parse_args() -> Result<Args, Error> {
    let mut a = Args {
        counts: vec![100, 500, 1000],
        sessions: 500,
        secs: 60,
        role: Role::Orchestrate,
        port: 0,
        coalesce_ms: 100,
        lockstep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--sessions" => {
                a.counts = val()?
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<_, _>>()?;
                if a.counts.is_empty() || a.counts.contains(&0) {
                    return Err("--sessions needs counts above 0, e.g. 100,500,1000".into());
                }
                a.sessions = a.counts[0];
            }
            "--secs" => a.secs = val()?.parse()?,
            "--port" => a.port = val()?.parse()?,
            "--coalesce" => a.coalesce_ms = val()?.parse()?,
            "--lockstep" => a.lockstep = true,
            "--serve" => a.role = Role::Serve,
            "--client" => {
                a.role = match val()?.as_str() {
                    "assist" => Role::Assist,
                    "assist-coalesced" => Role::AssistCoalesced,
                    "plain" => Role::Plain,
                    "plain-nodelay" => Role::PlainNodelay,
                    other => return Err(format!("unknown client {other}").into()),
                }
            }
            "-h" | "--help" => {
                println!(
                    "usage: bench-assist [--sessions N[,N…] (100,500,1000)] [--secs S (60)] \
                     [--coalesce MS (100)] [--lockstep]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = parse_args()?;
    match args.role {
        Role::Orchestrate => orchestrate(&args).await,
        Role::Serve => serve().await,
        Role::Assist | Role::AssistCoalesced | Role::Plain | Role::PlainNodelay => {
            client(&args).await
        }
    }
}

// ---- shared --------------------------------------------------------------------------------

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// A frame of silence whose first 8 bytes carry its send time.
fn frame(sent_ns: u64) -> Vec<u8> {
    let mut f = vec![0u8; FRAME];
    f[..8].copy_from_slice(&sent_ns.to_le_bytes());
    f
}

/// (user+system CPU seconds, resident bytes) of this process.
fn usage() -> (f64, u64) {
    // Linux's user-space clock tick is 100 Hz on every mainstream architecture.
    const TICKS: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let cpu = (tick(11) + tick(12)) / TICKS;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    (cpu, rss_kb * 1024)
}

// ---- the receiver (its own process) --------------------------------------------------------

/// Accepts `/v1/listen` WebSockets, reads audio, answers like Deepgram does for silence (an
/// empty final per second of audio, Metadata on CloseStream) and records each frame's delay.
/// Prints `PORT n` when ready; prints the delay statistics as JSON and exits when stdin closes.
async fn serve() -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("PORT {}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let delays = Arc::new(std::sync::Mutex::new(Vec::<u32>::with_capacity(1 << 20)));
    let d = delays.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let d = d.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                    connection(ws, d).await;
                }
            });
        }
    });
    // Block until the orchestrator closes stdin.
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    let mut all = std::mem::take(&mut *delays.lock().unwrap_or_else(|e| e.into_inner()));
    all.sort_unstable();
    let pick = |q: f64| {
        all.get(((all.len().saturating_sub(1)) as f64 * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{}",
        json!({"frames": all.len(), "p50_us": pick(0.5), "p99_us": pick(0.99), "max_us": all.last().copied().unwrap_or(0)})
    );
    Ok(())
}

async fn connection(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    delays: Arc<std::sync::Mutex<Vec<u32>>>,
) {
    let (mut tx, mut rx) = ws.split();
    let mut received: usize = 0;
    let mut answered_secs = 0usize;
    let mut local = Vec::with_capacity(4096);
    while let Some(Ok(msg)) = rx.next().await {
        match msg {
            Message::Binary(data) => {
                let arrived = now_ns();
                // Frames may be coalesced by a client: every 20 ms block carries its own stamp.
                let mut at = (FRAME - received % FRAME) % FRAME;
                while at + 8 <= data.len() {
                    let mut stamp = [0u8; 8];
                    stamp.copy_from_slice(&data[at..at + 8]);
                    let sent = u64::from_le_bytes(stamp);
                    local.push(
                        (arrived.saturating_sub(sent) / 1_000).min(u64::from(u32::MAX)) as u32,
                    );
                    at += FRAME;
                }
                received += data.len();
                if local.len() >= 1024 {
                    delays
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .append(&mut local);
                }
                let secs = received / (RATE * 2);
                if secs > answered_secs {
                    answered_secs = secs;
                    let r = json!({"type": "Results", "channel_index": [0, 1],
                        "start": (secs - 1) as f64, "duration": 1.0, "is_final": true,
                        "speech_final": false, "from_finalize": false,
                        "channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]},
                        "metadata": {"request_id": "bench", "model_uuid": "bench",
                                     "model_info": {"name": "bench", "version": "0", "arch": "bench"}}});
                    if tx.send(Message::text(r.to_string())).await.is_err() {
                        break;
                    }
                }
            }
            Message::Text(t) if t.contains("CloseStream") => {
                let m = json!({"type": "Metadata", "request_id": "bench", "duration": received as f64 / (RATE * 2) as f64, "channels": 1});
                let _ = tx.send(Message::text(m.to_string())).await;
                let _ = tx.send(Message::Close(None)).await;
                break;
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    delays
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .append(&mut local);
}

// ---- the clients (each its own process) ----------------------------------------------------

async fn client(args: &Args) -> Result<(), Error> {
    let url = format!("ws://127.0.0.1:{}", args.port);
    let (_, rss_before) = usage();
    let ready = Arc::new(tokio::sync::Barrier::new(args.sessions + 1));
    let sent = Arc::new(AtomicU64::new(0));
    // Microseconds of audio the sessions' replay buffers held at the memory sample.
    let held_us = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(args.sessions);
    for i in 0..args.sessions {
        let (url, ready, sent, secs) = (url.clone(), ready.clone(), sent.clone(), args.secs);
        // Calls start at any time, so their 20 ms ticks fall anywhere in the 20 ms: spread
        // evenly (the same for every client), not all at the instant the barrier opens.
        let phase = if args.lockstep {
            Duration::ZERO
        } else {
            FRAME_EVERY * i as u32 / args.sessions as u32
        };
        let coalesce = match args.role {
            Role::AssistCoalesced => Duration::from_millis(args.coalesce_ms),
            _ => Duration::ZERO,
        };
        let held_us = held_us.clone();
        tasks.push(match args.role {
            Role::Assist | Role::AssistCoalesced => tokio::spawn(assist_session(
                url, ready, sent, held_us, secs, phase, coalesce,
            )),
            role => tokio::spawn(plain_session(
                url,
                ready,
                sent,
                secs,
                phase,
                role == Role::PlainNodelay,
            )),
        });
        // Connect in a ramp, not a thundering herd of handshakes.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    ready.wait().await;
    let started = Instant::now();
    let (cpu0, _) = usage();
    // Memory with every session connected and streaming, half way through (when the
    // sessions note what their replay buffers hold).
    tokio::time::sleep(Duration::from_secs_f64(args.secs as f64 / 2.0)).await;
    let (_, rss_streaming) = usage();
    let mut failures = 0;
    for t in tasks {
        if !matches!(t.await, Ok(Ok(()))) {
            failures += 1;
        }
    }
    let (cpu1, _) = usage();
    let wall = started.elapsed().as_secs_f64();
    let stream_secs = sent.load(Ordering::Relaxed) as f64 * 0.02;
    println!(
        "{}",
        json!({
            "cpu_s": cpu1 - cpu0,
            "wall_s": wall,
            "stream_s": stream_secs,
            "cpu_ms_per_stream_s": (cpu1 - cpu0) * 1000.0 / stream_secs.max(1e-9),
            "rss_per_session_kb": rss_streaming.saturating_sub(rss_before) as f64 / 1024.0 / args.sessions as f64,
            "rss_mb": rss_streaming as f64 / 1048576.0,
            "frames_sent": sent.load(Ordering::Relaxed),
            // 16-bit mono: 2 bytes per sample.
            "replay_kb_per_session": held_us.load(Ordering::Relaxed) as f64 / 1e6 * (RATE * 2) as f64 / 1024.0 / args.sessions as f64,
            "failures": failures,
        })
    );
    Ok(())
}

/// A 20 ms tick whose first beat is `phase` from now (a missed beat is sent late, not skipped).
fn ticker(phase: Duration) -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + phase, FRAME_EVERY)
}

/// Sends one frame every 20 ms for `secs` (missed ticks are sent late, not skipped, so both
/// clients send the same audio).
async fn pace(
    secs: u64,
    phase: Duration,
    mut send: impl FnMut(u64, Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut tick = ticker(phase);
    for i in 0..secs * 50 {
        tick.tick().await;
        send(i, frame(now_ns()))?;
    }
    Ok(())
}

async fn assist_session(
    url: String,
    ready: Arc<tokio::sync::Barrier>,
    sent: Arc<AtomicU64>,
    held_us: Arc<AtomicU64>,
    secs: u64,
    phase: Duration,
    coalesce: Duration,
) -> Result<(), Error> {
    let config = AssistConfig {
        deepgram: DeepgramConfig::new(KEY).with_url(url),
        audio: AudioFormat::Linear16 {
            sample_rate: RATE as u32,
            channels: 1,
        },
        speakers: vec![Speaker::Agent],
        coalesce,
        ..Default::default()
    };
    let started = LiveAssist::start(config).await;
    ready.wait().await;
    let (assist, mut events) = started?;
    // A host reads its events; so does the benchmark.
    let reader = tokio::spawn(async move { while events.recv().await.is_some() {} });
    // Half way, when the client samples its memory; half a second off a whole second, as the
    // receiver finalises each second as it completes: the buffer then holds its mean, not the
    // low point of its saw-tooth.
    let sample_at = secs * 25 + 25;
    pace(secs, phase, |i, f| {
        assist.send_audio(f)?;
        sent.fetch_add(1, Ordering::Relaxed);
        if i == sample_at {
            let held = assist.metrics().replay_buffer_seconds;
            held_us.fetch_add((held * 1e6) as u64, Ordering::Relaxed);
        }
        Ok(())
    })
    .await?;
    let summary = assist.stop().await?;
    reader.abort();
    match summary.error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// What a developer writes by hand: connect, one reader task, a writer loop.
async fn plain_session(
    url: String,
    ready: Arc<tokio::sync::Barrier>,
    sent: Arc<AtomicU64>,
    secs: u64,
    phase: Duration,
    nodelay: bool,
) -> Result<(), Error> {
    let connect = async {
        let mut req = format!("{url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&channels=1&interim_results=true")
            .into_client_request()?;
        req.headers_mut()
            .insert("Authorization", format!("Token {KEY}").parse()?);
        // `connect_async` leaves Nagle on; the third argument turns it off.
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, None, nodelay).await?;
        Ok::<_, Error>(ws)
    }
    .await;
    ready.wait().await;
    let (mut tx, mut rx) = connect?.split();
    let reader = tokio::spawn(async move {
        while let Some(Ok(m)) = rx.next().await {
            if let Message::Text(t) = m {
                let _: Option<Value> = serde_json::from_str(t.as_str()).ok();
            }
        }
    });
    let mut tick = ticker(phase);
    for _ in 0..secs * 50 {
        tick.tick().await;
        tx.send(Message::Binary(frame(now_ns()).into())).await?;
        sent.fetch_add(1, Ordering::Relaxed);
    }
    tx.send(Message::text(r#"{"type":"CloseStream"}"#)).await?;
    let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    Ok(())
}

// ---- the orchestrator ----------------------------------------------------------------------

async fn run_one(args: &Args, sessions: usize, which: &str) -> Result<(Value, Value), Error> {
    let exe = std::env::current_exe()?;
    let mut server = tokio::process::Command::new(&exe)
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(server.stdout.take().ok_or("no server stdout")?).lines();
    let first = lines
        .next_line()
        .await?
        .ok_or("the receiver did not start")?;
    let port = first
        .strip_prefix("PORT ")
        .ok_or("unexpected receiver output")?
        .to_string();
    let out = tokio::process::Command::new(&exe)
        .args(["--client", which, "--port", &port])
        .args(["--sessions", &sessions.to_string()])
        .args(["--secs", &args.secs.to_string()])
        .args(["--coalesce", &args.coalesce_ms.to_string()])
        .args(args.lockstep.then_some("--lockstep"))
        .output()
        .await?;
    if !out.status.success() {
        return Err(format!(
            "{which} client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let client: Value = serde_json::from_slice(&out.stdout)?;
    drop(server.stdin.take());
    let line = lines.next_line().await?.ok_or("no receiver stats")?;
    let _ = server.wait().await;
    Ok((client, serde_json::from_str(&line)?))
}

async fn orchestrate(args: &Args) -> Result<(), Error> {
    println!(
        "{} sessions × {} s of 16 kHz mono linear16 in 20 ms frames from the host, each client in its own process",
        args.counts
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" / "),
        args.secs
    );
    println!(
        "plain: tokio-tungstenite as `connect_async` leaves it (Nagle on); +nodelay: with TCP_NODELAY, as LiveAssist sets it"
    );
    println!(
        "coalesced: LiveAssist with `coalesce` at {} ms (an option: one write per window, up to the window's delay), ratio vs plain",
        args.coalesce_ms
    );
    println!(
        "{}",
        if args.lockstep {
            "--lockstep: every session's 20 ms tick at the same instant"
        } else {
            "each session's 20 ms tick at its own phase, spread evenly over the 20 ms (calls start at any time)"
        }
    );
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let mut growth = Vec::new();
    for &n in &args.counts {
        let (a, a_net) = run_one(args, n, "assist").await?;
        let (p, p_net) = run_one(args, n, "plain").await?;
        let (q, q_net) = run_one(args, n, "plain-nodelay").await?;
        let (c, c_net) = run_one(args, n, "assist-coalesced").await?;
        let lost = |c: &Value, net: &Value| f(c, "frames_sent") - f(net, "frames");
        let client = |k: &'static str| (f(&a, k), f(&p, k), f(&q, k), f(&c, k));
        let net = |k: &'static str| {
            (
                f(&a_net, k) / 1000.0,
                f(&p_net, k) / 1000.0,
                f(&q_net, k) / 1000.0,
                f(&c_net, k) / 1000.0,
            )
        };
        let rows = [
            ("CPU ms per stream-second", client("cpu_ms_per_stream_s")),
            ("RSS KiB per session", client("rss_per_session_kb")),
            (
                "  of it replay buffer KiB",
                (
                    f(&a, "replay_kb_per_session"),
                    f64::NAN,
                    f64::NAN,
                    f(&c, "replay_kb_per_session"),
                ),
            ),
            ("send→socket p50 ms", net("p50_us")),
            ("send→socket p99 ms", net("p99_us")),
            ("send→socket max ms", net("max_us")),
            ("frames sent", client("frames_sent")),
            (
                "frames lost",
                (
                    lost(&a, &a_net),
                    lost(&p, &p_net),
                    lost(&q, &q_net),
                    lost(&c, &c_net),
                ),
            ),
            ("failed sessions", client("failures")),
            ("client CPU s", client("cpu_s")),
            ("client RSS MiB", client("rss_mb")),
        ];
        println!();
        println!("{n} sessions × {} s", args.secs);
        println!(
            "{:<26} {:>12} {:>12} {:>8} {:>12} {:>8} {:>12} {:>8}",
            "", "LiveAssist", "plain", "ratio", "+nodelay", "ratio", "coalesced", "ratio"
        );
        for (name, (x, y, z, w)) in rows {
            println!(
                "{name:<26} {x:>12.3} {:>12} {:>8} {:>12} {:>8} {:>12} {:>8}",
                cell(y),
                ratio(x, y),
                cell(z),
                ratio(x, z),
                cell(w),
                ratio(w, y)
            );
        }
        growth.push((
            n,
            client("cpu_ms_per_stream_s"),
            client("rss_per_session_kb"),
        ));
    }
    println!();
    println!("how the cost per session grows: LiveAssist, plain, ratio (and vs +nodelay)");
    println!(
        "{:>9} {:>44} {:>44}",
        "sessions", "CPU ms per stream-second", "RSS KiB per session"
    );
    for (n, (ac, pc, qc, _), (ar, pr, qr, _)) in growth {
        println!(
            "{n:>9} {ac:>8.3} {pc:>8.3} {:>8} ({:>7}) {:>9} {ar:>8.1} {pr:>8.1} {:>8} ({:>7})",
            ratio(ac, pc),
            ratio(ac, qc),
            "",
            ratio(ar, pr),
            ratio(ar, qr)
        );
    }
    Ok(())
}

fn ratio(x: f64, y: f64) -> String {
    if y > 0.0 {
        format!("{:.2}×", x / y)
    } else {
        "-".into()
    }
}

fn cell(y: f64) -> String {
    if y.is_nan() {
        "-".into()
    } else {
        format!("{y:.3}")
    }
}
