//! Exit codes, one per kind of failure, and the messages that say what to do.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done |
//! | 1 | anything else (writing the output file, a terminal that went away) |
//! | 2 | bad arguments (clap's own usage errors, and values the library refuses: `invalid_input`) |
//! | 3 | configuration: no such profile, an unreadable config file, no API key |
//! | 4 | `auth`: Ozonetel (or Deepgram/OpenAI) refused the key or the agent's password |
//! | 5 | `api`: the service refused the request (a UCID that is not live, a bad campaign) |
//! | 6 | `agent_state`: the agent cannot do that now (not logged in, busy, in ACW) |
//! | 7 | `rate_limited`: too many requests (CDR: 2 a minute per account) |
//! | 8 | `timeout` |
//! | 9 | `transport`: the network (DNS, TLS, connection refused) |
//! | 10 | `protocol`: the service answered something unreadable |
//! | 11 | `closed`: the session ended |

use std::fmt;
use std::process::ExitCode;

use helix_engage::{Error, ErrorCode};

/// The exit-code table, for `helix --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  done                         6  agent_state (not logged in, busy, in ACW)
  1  other failure (output file)  7  rate_limited
  2  bad arguments/invalid_input  8  timeout
  3  configuration (profile, key) 9  transport (network)
  4  auth                         10 protocol
  5  api (the service refused)    11 closed";

/// Why a command failed: the exit code, the message, and what to do about it.
#[derive(Debug)]
pub struct CliError {
    /// The process exit code (see the module table).
    pub code: u8,
    /// The library's error code (`auth`, `api`…) or the CLI's own (`config`, `io`), for `--json`.
    pub kind: &'static str,
    /// One sentence: what went wrong.
    pub message: String,
    /// What to do about it, when there is something to say.
    pub hint: Option<String>,
}

impl CliError {
    /// A configuration problem (exit 3): profile, config file, key.
    pub fn config(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CliError {
            code: 3,
            kind: "config",
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A bad argument the CLI itself caught (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            kind: "invalid_input",
            message: message.into(),
            hint: None,
        }
    }

    /// Anything else (exit 1): reading or writing a file, the terminal.
    pub fn io(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            kind: "io",
            message: message.into(),
            hint: None,
        }
    }

    /// Adds or replaces the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }

    /// `{"error": {"code", "message", "hint"}}` for `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": { "code": self.kind, "message": self.message, "hint": self.hint }
        })
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let (code, hint) = match e.code() {
            ErrorCode::InvalidInput => (2, None),
            ErrorCode::Auth => (
                4,
                Some(
                    "check the profile's api_key (or the agent's password); `helix profiles` shows which profile is in use",
                ),
            ),
            ErrorCode::Api => (5, None),
            ErrorCode::AgentState => (
                6,
                Some(
                    "`helix agent login --agent ID` logs the agent in; `helix agent force-ready` recovers a stuck agent",
                ),
            ),
            ErrorCode::RateLimited => (
                7,
                Some("wait and try again; the CDR endpoints allow 2 requests a minute per account"),
            ),
            ErrorCode::Timeout => (8, None),
            ErrorCode::Transport => (9, Some("check the network and the profile's base_url")),
            ErrorCode::Protocol => (10, None),
            ErrorCode::Closed => (11, None),
            // A code added to the library later: still a failure, still says what it was.
            _ => (1, None),
        };
        CliError {
            code,
            kind: e.code().as_str(),
            message: e.to_string(),
            hint: hint.map(str::to_string),
        }
    }
}

/// What every command returns.
pub type CliResult<T = ()> = std::result::Result<T, CliError>;
