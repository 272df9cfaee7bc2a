//! `helix events listen|subscribe|list|unsubscribe|dispatch` (to be written; `dispatch` lives in
//! `dispatch.rs`).

use clap::{Args, Subcommand};

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// The desk's event dispatcher: one subscription URL for the account, each event forwarded
    /// to the sidecar that serves its agent.
    Dispatch(super::dispatch::DispatchArgs),
}

pub async fn run(a: EventsArgs, ctx: &Ctx) -> CliResult {
    match a.command {
        EventsCommand::Dispatch(d) => super::dispatch::run(d, ctx).await,
    }
}

#[allow(dead_code)]
fn unbuilt() -> CliError {
    CliError::usage("helix events is not built yet")
}
