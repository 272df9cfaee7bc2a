//! The call-desk demo: live assist and call control on one call, then missed calls and
//! today's history.
//!
//! ```sh
//! cargo run --release --example call_desk            # on the built-in simulator (~35 s)
//! cargo run --release --example call_desk -- --fast  # the same, 20× faster
//! # the real services: OZONETEL_*, DEEPGRAM_API_KEY, OPENAI_API_KEY and a recording
//! cargo run --release --example call_desk -- --audio call.wav [--ucid UCID --transfer-to NUMBER]
//! ```

#[path = "call_desk/audio_file.rs"]
mod audio_file;
#[path = "call_desk/desk.rs"]
mod desk;
#[path = "call_desk/events.rs"]
mod events;
#[path = "call_desk/output.rs"]
mod output;
#[path = "call_desk/script.rs"]
mod script;
#[path = "call_desk/setup.rs"]
mod setup;
#[path = "call_desk/streamer.rs"]
mod streamer;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: call_desk [--fast] [--audio FILE [--raw-rate HZ] [--raw-channels N]] [--ucid UCID] [--transfer-to NUMBER]
                 [--agent ID --agent-extension EXT --agent-number NUMBER --did DID]

Without --audio the demo runs on the built-in simulator (no keys, no network).
With --audio it streams FILE (WAV: 16-bit PCM or 8-bit µ-law; anything else is read as raw
linear16, 16000 Hz stereo unless --raw-rate/--raw-channels say otherwise) to the real Deepgram
(DEEPGRAM_API_KEY), asks OpenAI for suggestions (OPENAI_API_KEY, optional) and, with OZONETEL_*
set, lists missed calls and today's history; --ucid names a live call to hold, mute, pause
recording on and (with --transfer-to) transfer, as the agent --agent names (call control acts
as an agent: there is no default one).";

fn parse_args() -> Result<desk::Options, String> {
    let mut opts = desk::Options {
        raw_rate: 16_000,
        raw_channels: 2,
        ..Default::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--fast" => opts.fast = true,
            "--audio" => opts.audio = Some(PathBuf::from(value("--audio")?)),
            "--raw-rate" => {
                opts.raw_rate = value("--raw-rate")?
                    .parse()
                    .map_err(|_| "--raw-rate takes a number of Hz".to_string())?
            }
            "--raw-channels" => {
                opts.raw_channels = value("--raw-channels")?
                    .parse()
                    .map_err(|_| "--raw-channels takes a number".to_string())?
            }
            "--ucid" => opts.ucid = Some(value("--ucid")?),
            "--transfer-to" => opts.transfer_to = Some(value("--transfer-to")?),
            "--agent" => opts.agent.id = value("--agent")?,
            "--agent-extension" => opts.agent.phone_name = Some(value("--agent-extension")?),
            "--agent-number" => opts.agent.number = Some(value("--agent-number")?),
            "--did" => opts.agent.did = Some(value("--did")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let out = output::Out::new(Box::new(std::io::stdout()), color);
    match desk::run(opts, out).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
