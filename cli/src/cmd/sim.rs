//! `helix sim` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct SimArgs {}

pub async fn run(_a: SimArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix sim is not built yet"))
}
