//! A long-running `helix` (`missed --watch`, `events listen`) under test: its stdout and stderr
//! read line by line as they come, waited on with a bound, and the process killed when the
//! test is done (or fails). Also the fresh directory a test writes its files in.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub struct Running {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
    /// Every stdout line read so far.
    pub stdout: Vec<String>,
    /// Every stderr line read so far.
    pub stderr: Vec<String>,
}

fn reader(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("helix starts");
        let out = reader(child.stdout.take().expect("stdout"));
        let err = reader(child.stderr.take().expect("stderr"));
        Running {
            child,
            out,
            err,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    fn drain(&mut self) {
        self.stdout.extend(self.out.try_iter());
        self.stderr.extend(self.err.try_iter());
    }

    /// Waits (at most `bound`) for a stdout line `pred` accepts, among those not yet taken;
    /// polls with async sleeps so the simulator in the same test keeps serving.
    pub async fn stdout_line(
        &mut self,
        bound: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Option<String> {
        self.line(bound, pred, true).await
    }

    /// The same for stderr.
    pub async fn stderr_line(
        &mut self,
        bound: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Option<String> {
        self.line(bound, pred, false).await
    }

    async fn line(
        &mut self,
        bound: Duration,
        pred: impl Fn(&str) -> bool,
        out: bool,
    ) -> Option<String> {
        let deadline = Instant::now() + bound;
        loop {
            self.drain();
            let lines = if out { &self.stdout } else { &self.stderr };
            if let Some(l) = lines.iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything printed so far, for a failure message.
    pub fn transcript(&mut self) -> String {
        self.drain();
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.stdout.join("\n"),
            self.stderr.join("\n")
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory for one test's files (emptied if a previous run left it).
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("helix-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
