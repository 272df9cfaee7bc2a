//! `helix call …`, `helix transfer …`, `helix recording …` (to be written).

use clap::Args;

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
pub struct CallArgs {}
#[derive(Args, Debug)]
pub struct TransferArgs {}
#[derive(Args, Debug)]
pub struct RecordingArgs {}

pub async fn call(_a: CallArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix call is not built yet"))
}
pub async fn transfer(_a: TransferArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix transfer is not built yet"))
}
pub async fn recording(_a: RecordingArgs, _ctx: &Ctx) -> CliResult {
    Err(CliError::usage("helix recording is not built yet"))
}
