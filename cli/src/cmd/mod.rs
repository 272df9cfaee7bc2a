//! One module per command group; each owns its clap arguments and its `run`.

pub mod agent;
pub mod assist;
pub mod call;
pub mod cdr;
pub mod dispatch;
pub mod events;
pub mod missed;
pub mod profiles;
pub mod sim;
