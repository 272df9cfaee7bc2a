//! `helix missed` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct MissedArgs {}

pub async fn run(_a: MissedArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix missed is not built yet"))
}
