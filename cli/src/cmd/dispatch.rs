//! `helix events dispatch` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct DispatchArgs {}

pub async fn run(_a: DispatchArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix events dispatch is not built yet"))
}
