//! An in-memory writer the tests hand to a log subscriber or to the demo's output, then read
//! back as text. A module of its own (not in `common`) because the tests that use it link
//! different support modules: the wire helpers, the assist fakes, or the demo's sources.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything written to any clone of it, in one shared buffer.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// What was written so far, as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// A `tracing` subscriber at TRACE writing into this capture; the caller installs it for
    /// its thread (`set_default`) or for the process (`try_init`).
    pub fn trace_subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
