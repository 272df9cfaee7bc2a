//! The process's HTTP clients, one per purpose (Ozonetel's API, the suggestion LLM), each built
//! once. Building a `reqwest::Client` loads the root certificates (tens of milliseconds, about
//! 100 KB), which a client per account or per call session used to pay every time; sharing one
//! also shares its connection pool.

use std::sync::OnceLock;
use std::time::Duration;

use crate::error::{Error, Result};

/// Where a shared client lives: built, or why it could not be (every later call says the same).
pub(crate) type Shared = OnceLock<std::result::Result<reqwest::Client, String>>;

/// The client in `cell`, built on first use with `user_agent` and a 5 s connect bound. It has
/// no overall timeout: each request is bounded where it is made.
pub(crate) fn shared(cell: &'static Shared, user_agent: &'static str) -> Result<reqwest::Client> {
    cell.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(user_agent)
            .build()
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|e| Error::Transport(format!("cannot build the HTTP client: {e}")))
}
