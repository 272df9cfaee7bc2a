//! `helix assist` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct AssistArgs {}

pub async fn run(_a: AssistArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix assist is not built yet"))
}
