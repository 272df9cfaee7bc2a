//! `helix cdr` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct CdrArgs {}

pub async fn run(_a: CdrArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix cdr is not built yet"))
}
