//! `helix-engage-sim serve [--port N] [--utc-offset-minutes M]`: runs the simulator until
//! SIGINT/SIGTERM.

use clap::{Parser, Subcommand};
use helix_engage_sim::Simulator;
use std::io::Write as _;

/// Local stand-ins for Ozonetel CloudAgent, Deepgram live STT and OpenAI chat completions.
#[derive(Parser, Debug)]
#[command(name = "helix-engage-sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve on 127.0.0.1 and print the base URLs, one per line (`ozonetel URL`, `deepgram URL`,
    /// `openai URL`, `control URL`).
    Serve {
        /// Port to bind (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The accounts' time zone, minutes east of UTC (default 330, IST). Tests that work
        /// with "today" pick one where it is midday now, so a day boundary never falls inside
        /// a run (a client in the same zone: `utc_offset` / `utcOffsetMinutes`).
        #[arg(long, default_value_t = 330, allow_hyphen_values = true,
              value_parser = clap::value_parser!(i32).range(-1439..=1439))]
        utc_offset_minutes: i32,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let Command::Serve {
        port,
        utc_offset_minutes,
    } = cli.command;
    // In range by the argument's parser: ±1439 minutes is inside a day.
    let Some(tz) = chrono::FixedOffset::east_opt(utc_offset_minutes * 60) else {
        eprintln!("helix-engage-sim: --utc-offset-minutes {utc_offset_minutes} is out of range");
        return std::process::ExitCode::FAILURE;
    };
    let sim = match Simulator::builder().port(port).timezone(tz).start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("helix-engage-sim: cannot bind 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Tests and scripts read these lines to find the server; flushed before serving.
    let announced = sim
        .serve_until_signal(|sim| {
            let mut out = std::io::stdout().lock();
            for (name, url) in sim.base_urls() {
                writeln!(out, "{name} {url}")?;
            }
            out.flush()
        })
        .await;
    match announced {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helix-engage-sim: cannot print the URLs: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
