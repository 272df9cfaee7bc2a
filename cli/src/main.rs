//! `helix`: the command line for the people who run an Ozonetel CloudAgent desk — call control,
//! the agent desk, missed calls, CDR exports, event subscriptions and their dispatcher, live
//! assist on a recording, and the simulator. Built on the `helix-engage` library.

mod cmd;
mod exit;
mod output;
mod profile;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use exit::{CliResult, EXIT_CODES_HELP};
use output::{ColorChoice, Out};
use profile::Selection;

/// What `helix --help` says first: what it is for, and how it finds its account.
const LONG_ABOUT: &str = "\
The command line for the people who run an Ozonetel CloudAgent desk: call control, agents,
missed calls, CDR exports, event subscriptions, live assist and the simulator.

The account is a profile of the config file (--profile; `helix profiles --help` shows the
format) or the OZONETEL_USER_NAME / OZONETEL_API_KEY variables. Nothing defaults an agent:
whatever acts as an agent names it with --agent. The API key, tokens and agent passwords are
never printed.

  helix call hold 9017496730549 --agent priya
  helix transfer 9017496730549 9876543210 --agent priya --then complete
  helix agent force-ready --agent priya --password-stdin < pass.txt
  helix dispose 9017496730549 'Appointment Booked' --agent priya --comment 'Friday 10:00'
  helix sim                      # try it all on the local simulator";

/// The command line for the people who run the desk: call control, agents, missed calls,
/// CDR exports, event subscriptions, live assist and the simulator, on one Ozonetel account
/// per profile.
#[derive(Parser, Debug)]
#[command(
    name = "helix",
    version,
    about,
    long_about = LONG_ABOUT,
    after_help = EXIT_CODES_HELP,
    propagate_version = true,
    next_help_heading = "Global options"
)]
pub struct Cli {
    /// The profile (tenant) to use from the config file [default: the file's `default`, else
    /// the OZONETEL_* variables].
    #[arg(long, short = 'p', global = true, env = "HELIX_PROFILE")]
    pub profile: Option<String>,
    /// The config file [default: $XDG_CONFIG_HOME/helix/config.toml].
    #[arg(long, global = true, env = "HELIX_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print results as JSON (one document per line) for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to colour the output (`NO_COLOR` is honoured under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Log the library's activity to stderr (-v info, -vv debug). Keys and tokens never appear.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    // No doc comments on the subcommand field or enum: clap would take them as helix's about.
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Call control on a live call: hold, mute, conference, kick.
    Call(cmd::call::CallArgs),
    /// Transfer a live call (warm: then complete or cancel it; --cold: at once).
    Transfer(cmd::call::TransferArgs),
    /// Pause or resume a call's recording.
    Recording(cmd::call::RecordingArgs),
    /// An agent's session: login, logout, ready, pause, force-ready.
    Agent(cmd::agent::AgentArgs),
    /// Dial a customer as an agent (manual dial).
    Dial(cmd::agent::DialArgs),
    /// Set a call's disposition as the agent who took it.
    Dispose(cmd::agent::DisposeArgs),
    /// Missed (abandoned) calls: a table, or --watch for each new one as it arrives.
    Missed(cmd::missed::MissedArgs),
    /// Export call records (CDR) for a date range, resumable, as a table, CSV or JSON lines.
    Cdr(cmd::cdr::CdrArgs),
    /// Call and agent events: listen locally, manage the account's subscription, dispatch.
    Events(cmd::events::EventsArgs),
    /// Live transcript and suggestions for a recording, in the terminal.
    Assist(cmd::assist::AssistArgs),
    /// Run the local simulator of Ozonetel, Deepgram and OpenAI.
    Sim(cmd::sim::SimArgs),
    /// The profiles in the config file (never their keys).
    Profiles(cmd::profiles::ProfilesArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What every command gets: how to print, and how to find its account.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// How results, notes and errors are printed.
    pub out: Out,
    /// `--config` and `--profile`: where the account comes from.
    pub sel: Selection,
}

impl Ctx {
    /// The account this run uses (profile or environment).
    pub fn account(&self) -> CliResult<profile::Account> {
        profile::select(&self.sel)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json, cli.color);
    init_logging(cli.verbose);
    let ctx = Ctx {
        out: out.clone(),
        sel: Selection {
            config: cli.config.clone(),
            profile: cli.profile.clone(),
        },
    };
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "helix", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.error(&exit::CliError::io(format!(
                "cannot start the runtime: {e}"
            )));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, ctx)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            e.exit_code()
        }
    }
}

async fn run(command: Command, ctx: Ctx) -> CliResult {
    match command {
        Command::Call(a) => cmd::call::call(a, &ctx).await,
        Command::Transfer(a) => cmd::call::transfer(a, &ctx).await,
        Command::Recording(a) => cmd::call::recording(a, &ctx).await,
        Command::Agent(a) => cmd::agent::agent(a, &ctx).await,
        Command::Dial(a) => cmd::agent::dial(a, &ctx).await,
        Command::Dispose(a) => cmd::agent::dispose(a, &ctx).await,
        Command::Missed(a) => cmd::missed::run(a, &ctx).await,
        Command::Cdr(a) => cmd::cdr::run(a, &ctx).await,
        Command::Events(a) => cmd::events::run(a, &ctx).await,
        Command::Assist(a) => cmd::assist::run(a, &ctx).await,
        Command::Sim(a) => cmd::sim::run(a, &ctx).await,
        Command::Profiles(a) => cmd::profiles::run(a, &ctx),
        Command::Completions { .. } => Ok(()),
    }
}

/// `-v`: the library's tracing on stderr. Its events never carry keys or tokens (the
/// library's canary tests hold it to that).
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
