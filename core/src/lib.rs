//! helix-engage core.

pub mod assist;
mod error;
pub mod ozonetel;

pub use error::{Error, ErrorCode, Result};
