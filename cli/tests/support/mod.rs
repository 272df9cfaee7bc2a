//! What every `helix` test needs: the simulator in this process, and the `helix` binary aimed
//! at it through the environment (no profile, no config file of the developer's).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use helix_engage_sim::{DEFAULT_API_KEY, DEFAULT_USER_NAME, Simulator};

/// The simulator on a free port.
pub async fn sim() -> Simulator {
    Simulator::builder().start().await.expect("simulator")
}

/// `helix` with the account in `OZONETEL_*` pointing at `sim`, and nothing from the developer's
/// environment that could change what it does (config file, profile, colours, Redis).
pub fn helix(sim: &Simulator) -> Command {
    let mut c = bare();
    c.env("OZONETEL_USER_NAME", DEFAULT_USER_NAME)
        .env("OZONETEL_API_KEY", DEFAULT_API_KEY)
        .env("OZONETEL_BASE_URL", sim.ozonetel_url())
        .env("OZONETEL_EVENTS_BASE_URL", sim.events_url());
    c
}

/// `helix` with no account at all.
pub fn bare() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_helix"));
    for var in [
        "OZONETEL_USER_NAME",
        "OZONETEL_API_KEY",
        "OZONETEL_BASE_URL",
        "OZONETEL_EVENTS_BASE_URL",
        "OZONETEL_AUTH_MODE",
        "OZONETEL_REGION",
        "HELIX_PROFILE",
        "HELIX_REDIS_URL",
        "XDG_CONFIG_HOME",
        "NO_COLOR",
        "DEEPGRAM_API_KEY",
        "OPENAI_API_KEY",
    ] {
        c.env_remove(var);
    }
    // A config path that does not exist: an unnamed missing file is an empty one.
    c.env("HOME", "/nonexistent-helix-home");
    c.env_remove("HELIX_CONFIG");
    c
}

/// `helix` using the config file at `path`.
pub fn with_config(path: &Path) -> Command {
    let mut c = bare();
    c.env("HELIX_CONFIG", path);
    c
}

/// Runs `cmd` off the async runtime (the simulator keeps serving meanwhile).
pub async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("helix runs"))
        .await
        .expect("join")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
