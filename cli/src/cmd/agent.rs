//! `helix agent …`, `helix dial …`, `helix dispose …` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct AgentArgs {}
#[derive(Args, Debug)]
pub struct DialArgs {}
#[derive(Args, Debug)]
pub struct DisposeArgs {}

pub async fn agent(_a: AgentArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix agent is not built yet"))
}
pub async fn dial(_a: DialArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix dial is not built yet"))
}
pub async fn dispose(_a: DisposeArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix dispose is not built yet"))
}
