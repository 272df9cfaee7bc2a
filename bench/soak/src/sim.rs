//! The simulator's process: three simulators (the fault-free call's, the drops-only call's and
//! the call with every fault), apart from the calls so the soak's resident memory is the
//! library's, not the simulator's recordings. Driven by lines on stdin:
//!
//! - `t0 <unix ns>`: when call second 0 was handed to `send_audio` (for the replay figures);
//! - `drop <sim>`: cut that simulator's open Deepgram sockets now; answers `{"cut":n}`;
//! - `report`: answers the figures below as one JSON line and exits.
//!
//! What it measures is what the wire shows: for each connection, when its first audio came
//! (→ reconnect time after a cut), where in the call that audio starts (→ how much was
//! replayed), and how fast it caught up with the live audio (→ replay speed).

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use helix_engage_sim::{DeepgramSession, Endpoint, Simulator, Times};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::Error;
use crate::plan::{self, BPS, LlmOutcome, RATE};

/// A connection counts as caught up once the audio it received reaches what the host had
/// handed over less this much (a couple of 20 ms frames of queueing).
const CAUGHT_UP_SLACK: f64 = 0.06;

/// Wall clock in Unix nanoseconds, shared by the two processes.
pub fn unix_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Maps this process's `Instant`s (the simulator's arrival times) onto the Unix clock.
struct Clock {
    at: Instant,
    unix: i128,
}

impl Clock {
    fn unix(&self, t: Instant) -> i128 {
        if t >= self.at {
            self.unix + t.duration_since(self.at).as_nanos() as i128
        } else {
            self.unix - self.at.duration_since(t).as_nanos() as i128
        }
    }
}

/// One connection as the figures need it.
#[derive(Clone, Debug)]
struct Connection {
    /// Its first audio frame's arrival (Unix ns).
    first_ns: i128,
    /// Call second its audio starts at.
    from: f64,
    /// Call seconds the host had handed over, minus `from`, when its first audio came: the
    /// backlog it had to replay.
    backlog: f64,
    /// Whether it caught up with the live audio (else it was cut or ended first).
    caught_up: bool,
    /// Call seconds received until it caught up (or ended), and the wall seconds that took.
    secs: f64,
    wall: f64,
}

fn measure(s: &DeepgramSession, clock: &Clock, t0: i128) -> Option<Connection> {
    let head = s.audio.get(..4)?;
    let pos = u32::from(u16::from_le_bytes([head[0], head[1]]))
        | (u32::from(u16::from_le_bytes([head[2], head[3]])) << 16);
    let from = f64::from(pos) / f64::from(RATE);
    let &(first, _) = s.audio_arrivals.first()?;
    let first_ns = clock.unix(first);
    // What the host had handed over at `ns`: frame k is due at t0 + 20 ms · k and holds
    // audio up to 20 ms · (k + 1).
    let live = |ns: i128| (ns - t0) as f64 / 1e9 + 0.02;
    let mut end = (first_ns, from);
    let mut caught_up = false;
    for &(t, total) in &s.audio_arrivals {
        let ns = clock.unix(t);
        let at = from + total as f64 / BPS;
        end = (ns, at);
        if at >= live(ns) - CAUGHT_UP_SLACK {
            caught_up = true;
            break;
        }
    }
    Some(Connection {
        first_ns,
        from,
        backlog: (live(first_ns) - from).max(0.0),
        caught_up,
        secs: end.1 - from,
        wall: (end.0 - first_ns) as f64 / 1e9,
    })
}

struct Served {
    sim: Simulator,
    drops: Vec<(i128, usize)>,
    /// By connection id; measured while the simulator still holds its audio (it keeps the
    /// last 16 connections' only), remeasured until it has caught up.
    connections: BTreeMap<usize, Connection>,
    plan: Vec<LlmOutcome>,
}

impl Served {
    fn measure_all(&mut self, clock: &Clock, t0: i128) {
        for s in self.sim.deepgram_sessions() {
            if self.connections.get(&s.id).is_some_and(|c| c.caught_up) {
                continue;
            }
            if let Some(c) = measure(&s, clock, t0) {
                self.connections.insert(s.id, c);
            }
        }
    }

    fn report(&self) -> Value {
        let sessions = self.sim.deepgram_sessions();
        let requests = self.sim.openai_requests().len();
        let mut outcomes: BTreeMap<&str, usize> =
            LlmOutcome::ALL.iter().map(|o| (o.label(), 0)).collect();
        for i in 0..requests {
            let o = self.plan.get(i).copied().unwrap_or(LlmOutcome::Ok);
            *outcomes.entry(o.label()).or_default() += 1;
        }
        json!({
            "drops": self.drops.iter().map(|(ns, cut)| json!({"at_ns": ns.to_string(), "cut": cut})).collect::<Vec<_>>(),
            "connections": sessions.iter().map(|s| {
                let c = self.connections.get(&s.id);
                json!({
                    "id": s.id,
                    "status": s.status,
                    "ended": s.ended,
                    "gaps": s.timecode_gaps,
                    "first_ns": c.map(|c| c.first_ns.to_string()),
                    "from": c.map(|c| c.from),
                    "backlog": c.map(|c| c.backlog),
                    "caught_up": c.map(|c| c.caught_up),
                    "secs": c.map(|c| c.secs),
                    "wall": c.map(|c| c.wall),
                })
            }).collect::<Vec<_>>(),
            "llm_requests": requests,
            "llm_outcomes": outcomes,
        })
    }
}

/// Runs the simulators' process until `report`.
pub async fn serve(secs: f64, seed: u64, rates: [f64; 3]) -> Result<(), Error> {
    let clock = Clock {
        at: Instant::now(),
        unix: unix_ns(),
    };
    let script = plan::script(secs);
    let mut served = Vec::new();
    for faulted_llm in [false, false, true] {
        let sim = Simulator::builder()
            .default_script(script.clone())
            .start()
            .await?;
        let plan = if faulted_llm {
            plan::llm_plan(secs, seed, rates)
        } else {
            Vec::new()
        };
        for o in &plan {
            sim.inject_fault(Endpoint::OpenaiChat, o.fault(), Times::Once);
        }
        served.push(Served {
            sim,
            drops: Vec::new(),
            connections: BTreeMap::new(),
            plan,
        });
    }
    let urls: Vec<Value> = served
        .iter()
        .map(|s| json!({"deepgram": s.sim.deepgram_url(), "openai": s.sim.openai_url()}))
        .collect();
    println!("{}", json!({ "sims": urls }));
    let mut t0 = clock.unix;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("t0"), Some(ns)) => t0 = ns.parse()?,
            (Some("drop"), Some(i)) => {
                let s = served
                    .get_mut(i.parse::<usize>()?)
                    .ok_or("no such simulator")?;
                // Before the cut, while the connection being cut still holds its audio.
                s.measure_all(&clock, t0);
                let at = unix_ns();
                let cut = s.sim.drop_deepgram_connections();
                s.drops.push((at, cut));
                println!("{}", json!({ "cut": cut }));
            }
            (Some("report"), _) => {
                let mut out = Vec::new();
                for s in &mut served {
                    s.measure_all(&clock, t0);
                    out.push(s.report());
                }
                println!("{}", json!({ "sims": out }));
                return Ok(());
            }
            _ => return Err(format!("unknown command {line:?}").into()),
        }
    }
    Ok(())
}
