//! What every `helix` test needs: the simulator in this process, and the `helix` binary aimed
//! at it through the environment (no profile, no config file of the developer's).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    for var in ["HELIX_AGENT_PASSWORD", "TERM"] {
        c.env_remove(var);
    }
    // A config path that does not exist: an unnamed missing file is an empty one.
    c.env("HOME", "/nonexistent-helix-home");
    c.env_remove("HELIX_CONFIG");
    // Never the test runner's terminal: a command that would ask must fail, not hang.
    c.stdin(Stdio::null());
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

/// Runs `cmd` with `input` on its stdin (the password for `--password-stdin`, an answer).
pub async fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let input = input.to_string();
    tokio::task::spawn_blocking(move || {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("helix runs");
        let mut stdin = child.stdin.take().expect("stdin");
        // helix may exit before reading (a usage error): a closed pipe is fine here.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        child.wait_with_output().expect("helix ends")
    })
    .await
    .expect("join")
}

/// A fresh file path under the system's temp directory, unique to this test process.
pub fn temp_file(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "helix-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// Writes `text` to a fresh config file and returns its path.
pub fn config_file(text: &str) -> PathBuf {
    let path = temp_file("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// The exit code (a signal is a test failure).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
