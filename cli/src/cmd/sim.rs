//! `helix sim`: the simulator of Ozonetel, Deepgram and OpenAI, as `helix-engage-sim serve`
//! runs it (the simulator library does the serving; this prints the URLs the helix way).

use clap::Args;
use helix_engage_sim::{DEFAULT_API_KEY, DEFAULT_USER_NAME, Simulator};

use crate::Ctx;
use crate::exit::{CliError, CliResult};
use crate::output::Out;

/// `helix sim`.
#[derive(Args, Debug)]
#[command(after_help = "\
Prints the base URLs (Ozonetel, events, Deepgram, OpenAI, control), then serves on 127.0.0.1
until Ctrl-C or SIGTERM. Its account is acme / sim-api-key, its agents agent1 / sim-agent1-pass
and agent2 / sim-agent2-pass (fake credentials). In another terminal:
  export OZONETEL_USER_NAME=acme OZONETEL_API_KEY=sim-api-key OZONETEL_BASE_URL=<ozonetel URL>
  helix agent login --agent agent1 --phone-name 523590 --number 9123456780")]
pub struct SimArgs {
    /// The port to bind on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// `helix sim`.
pub async fn run(a: SimArgs, ctx: &Ctx) -> CliResult {
    let sim = Simulator::builder()
        .port(a.port)
        .start()
        .await
        .map_err(|e| {
            CliError::io(format!("cannot bind 127.0.0.1:{}: {e}", a.port))
                .with_hint("pick another --port, or --port 0 for a free one")
        })?;
    let out = &ctx.out;
    sim.serve_until_signal(|sim| announce(out, sim)).await
}

/// The URLs on stdout (one `name  url` line each, or one JSON object), and on stderr the
/// exports that aim `helix` at them.
fn announce(out: &Out, sim: &Simulator) -> CliResult {
    let mut urls: Vec<(&str, String)> = sim.base_urls().into_iter().collect();
    urls.insert(1, ("events", sim.events_url()));
    let json: serde_json::Map<String, serde_json::Value> = urls
        .iter()
        .map(|(name, url)| (name.to_string(), url.clone().into()))
        .collect();
    let rows: Vec<Vec<String>> = urls
        .iter()
        .map(|(name, url)| vec![name.to_string(), url.clone()])
        .collect();
    out.result(&json, || out.render_rows(&rows))?;
    if !out.json {
        out.note(&format!(
            "serving until Ctrl-C; try it with\n  export OZONETEL_USER_NAME={DEFAULT_USER_NAME} \
             OZONETEL_API_KEY={DEFAULT_API_KEY} OZONETEL_BASE_URL={} \
             OZONETEL_EVENTS_BASE_URL={}",
            sim.ozonetel_url(),
            sim.events_url()
        ));
    }
    Ok(())
}
