//! helix-engage core.


mod error;
pub mod ozonetel;

pub use error::{Error, ErrorCode, Result};
