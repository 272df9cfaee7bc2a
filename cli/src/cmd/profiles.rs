//! `helix profiles` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct ProfilesArgs {}

pub fn run(_a: ProfilesArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix profiles is not built yet"))
}
