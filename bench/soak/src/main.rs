//! Soak (not a test, not in `scripts/test.sh`): one long call through the simulator, streamed
//! in real time in 20 ms frames through `LiveAssist` with suggestions on, three times at once
//! in one process:
//!
//! 1. **fault-free** — the reference; its host reads every event at once;
//! 2. **drops** — the same call with the Deepgram socket cut `--drops` times at seeded
//!    moments (no close frame, as a network cut), and a slow host reading events;
//! 3. **drops + LLM** — the same as 2, and the LLM answers 429, 500 or never (a stall the
//!    request timeout abandons) now and then, at seeded requests.
//!
//! The simulators run in a child process (this binary again, `--serve-sim`), so the resident
//! memory sampled here is the three sessions' and the bench's, not the simulator's
//! recordings. The report compares each faulted transcript with the fault-free one (finals
//! matched on text and call time: lost and duplicated must be 0/0), checks segment and word
//! times are monotonic per channel, and gives reconnect times and replay speeds (measured on
//! the simulator's side of the wire), transcript latency, memory over time, the events the
//! slow host missed and what became of each LLM request. Exit status 1 when a final was lost
//! or duplicated, a time went backwards, or a call ended in error.
//!
//! ```sh
//! cargo run --release -p helix-engage-bench-soak -- --minutes 1     # a quick look
//! nice -n 5 cargo run --release -p helix-engage-bench-soak          # the 10-minute soak
//! ```

mod call;
mod plan;
mod report;
mod sim;

use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use helix_engage::assist::AssistConfig;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::Instant;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A long real-time call with socket drops, a faulty LLM and a slow event consumer, against
/// the same call without faults.
#[derive(Parser, Debug, Clone)]
#[command(name = "bench-soak")]
pub struct Args {
    /// Length of the call, in minutes (0.5..=600).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Deepgram socket drops in each faulted call (0..=1000).
    #[arg(long, default_value_t = 20)]
    drops: u32,
    /// Seed of the drop moments and of the LLM's answers.
    #[arg(long, default_value_t = 15)]
    seed: u64,
    /// Resident memory is sampled every this many seconds (1..=3600).
    #[arg(long, default_value_t = 10)]
    rss_every: u64,
    /// The slow host takes this long over each event, in milliseconds (0..=60000).
    #[arg(long, default_value_t = 1500)]
    consumer_ms: u64,
    /// The faulted calls' event queue (`AssistConfig::event_queue`, 1..=1000000); the
    /// fault-free call keeps the default.
    #[arg(long, default_value_t = 32)]
    event_queue: usize,
    /// Share of LLM requests answered 429 (with Retry-After: 2).
    #[arg(long, default_value_t = 0.07)]
    llm_429: f64,
    /// Share of LLM requests answered 500.
    #[arg(long, default_value_t = 0.07)]
    llm_500: f64,
    /// Share of LLM requests never answered.
    #[arg(long, default_value_t = 0.06)]
    llm_stall: f64,
    /// Internal: run the simulators' process.
    #[arg(long, hide = true)]
    serve_sim: bool,
}

impl Args {
    fn validate(&self) -> Result<(), Error> {
        let rates = [self.llm_429, self.llm_500, self.llm_stall];
        if !(0.5..=600.0).contains(&self.minutes) {
            return Err("--minutes must be between 0.5 and 600".into());
        }
        if self.drops > 1000 {
            return Err("--drops must be at most 1000".into());
        }
        if !(1..=3600).contains(&self.rss_every) {
            return Err("--rss-every must be between 1 and 3600 seconds".into());
        }
        if self.consumer_ms > 60_000 {
            return Err("--consumer-ms must be at most 60000".into());
        }
        if !(1..=1_000_000).contains(&self.event_queue) {
            return Err("--event-queue must be between 1 and 1000000".into());
        }
        if rates.iter().any(|r| !(0.0..=1.0).contains(r)) || rates.iter().sum::<f64>() > 1.0 {
            return Err("--llm-429, --llm-500 and --llm-stall are shares: each in 0..=1, summing to at most 1".into());
        }
        Ok(())
    }

    fn secs(&self) -> f64 {
        self.minutes * 60.0
    }

    fn rates(&self) -> [f64; 3] {
        [self.llm_429, self.llm_500, self.llm_stall]
    }
}

// Two workers: the machine the soak is meant for has two cores, shared.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.validate() {
        eprintln!("bench-soak: {e}");
        return ExitCode::from(2);
    }
    let outcome = if args.serve_sim {
        sim::serve(args.secs(), args.seed, args.rates())
            .await
            .map(|()| true)
    } else {
        soak(&args).await
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("bench-soak: {e}");
            ExitCode::from(2)
        }
    }
}

/// Resident memory of this process, KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The simulators' process and its command pipe.
struct SimProcess {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl SimProcess {
    async fn start(args: &Args) -> Result<(SimProcess, Value), Error> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("--serve-sim")
            .args(["--minutes", &args.minutes.to_string()])
            .args(["--seed", &args.seed.to_string()])
            .args(["--llm-429", &args.llm_429.to_string()])
            .args(["--llm-500", &args.llm_500.to_string()])
            .args(["--llm-stall", &args.llm_stall.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin to the simulators")?;
        let stdout = child.stdout.take().ok_or("no stdout from the simulators")?;
        let mut p = SimProcess {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        };
        let urls = p.read().await?;
        Ok((p, urls))
    }

    async fn read(&mut self) -> Result<Value, Error> {
        let line = self
            .lines
            .next_line()
            .await?
            .ok_or("the simulators' process ended early")?;
        Ok(serde_json::from_str(&line)?)
    }

    async fn send(&mut self, command: &str) -> Result<(), Error> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await?;
        Ok(self.stdin.flush().await?)
    }
}

async fn soak(args: &Args) -> Result<bool, Error> {
    let secs = args.secs();
    let (mut sims, urls) = SimProcess::start(args).await?;
    let url = |i: usize, k: &str| urls["sims"][i][k].as_str().unwrap_or_default().to_string();
    let drop_times = plan::drop_times(secs, args.drops, args.seed);
    println!(
        "soak: {:.1} min call, 16 kHz stereo in 20 ms frames in real time, three calls at once \
         (fault-free | {} socket drops + slow host | the same + LLM faults), seed {}",
        args.minutes, args.drops, args.seed
    );

    // Call second 0 is handed over at t0 in every call; the simulators hear of it on the
    // Unix clock (the two processes share only that).
    let lead = Duration::from_secs(2);
    let t0 = Instant::now() + lead;
    sims.send(&format!("t0 {}", sim::unix_ns() + lead.as_nanos() as i128))
        .await?;

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (done, every) = (done.clone(), Duration::from_secs(args.rss_every));
        tokio::spawn(async move {
            let mut samples = vec![(0.0, rss_kib())];
            let mut next = t0 + every;
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep_until(next).await;
                samples.push((t0.elapsed().as_secs_f64(), rss_kib()));
                next += every;
            }
            samples
        })
    };
    let slow = Some(Duration::from_millis(args.consumer_ms));
    let specs = [
        // The fault-free host keeps up: the library's default queue.
        (None, AssistConfig::default().event_queue),
        (slow, args.event_queue),
        (slow, args.event_queue),
    ];
    let mut calls = Vec::new();
    for (i, (slow_consumer, event_queue)) in specs.into_iter().enumerate() {
        let spec = call::CallSpec {
            deepgram_url: url(i, "deepgram"),
            openai_url: url(i, "openai"),
            slow_consumer,
            event_queue,
        };
        calls.push(tokio::spawn(call::run(spec, t0, secs)));
    }

    for (k, at) in drop_times.iter().enumerate() {
        tokio::time::sleep_until(t0 + Duration::from_secs_f64(*at)).await;
        let mut cut = Vec::new();
        for sim in [1, 2] {
            sims.send(&format!("drop {sim}")).await?;
            cut.push(sims.read().await?["cut"].as_u64().unwrap_or(0));
        }
        eprintln!(
            "  {:>7.1} s: drop {}/{} (sockets cut: {cut:?})",
            at,
            k + 1,
            drop_times.len()
        );
    }
    let mut results = Vec::new();
    for c in calls {
        results.push(c.await??);
    }
    done.store(true, Ordering::Relaxed);
    let mut rss = sampler.await?;
    rss.push((t0.elapsed().as_secs_f64(), rss_kib()));
    sims.send("report").await?;
    let wire = sims.read().await?;
    let _ = sims.child.wait().await;
    Ok(report::print(args, &drop_times, &results, &wire, &rss))
}
