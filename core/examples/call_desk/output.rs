//! The demo's screen: sections, aligned speaker labels, one overwriting line for interim
//! results, colours only on a terminal. Shared by the narration and the event task.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Where the demo writes, and how.
pub struct Screen {
    out: Box<dyn Write + Send>,
    color: bool,
    /// An interim line is on screen without its newline (terminals only).
    interim_open: bool,
    started: Instant,
}

/// The screen, shared by the narration and the event printer.
#[derive(Clone)]
pub struct Out(Arc<Mutex<Screen>>);

pub const BOLD: &str = "1";
pub const DIM: &str = "2";
pub const CYAN: &str = "36";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";
pub const MAGENTA: &str = "35";
pub const RED: &str = "31";

impl Out {
    pub fn new(out: Box<dyn Write + Send>, color: bool) -> Self {
        Out(Arc::new(Mutex::new(Screen {
            out,
            color,
            interim_open: false,
            started: Instant::now(),
        })))
    }

    fn with<R>(&self, f: impl FnOnce(&mut Screen) -> R) -> R {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s)
    }

    /// `text` in colour `code` when colours are on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.with(|s| s.color) {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Whether interim results can be shown (they need a line that can be overwritten).
    pub fn live(&self) -> bool {
        self.with(|s| s.color)
    }

    /// One line (closing any interim line first). Write errors are ignored: a closed pipe
    /// must not stop the demo's call handling half way.
    pub fn line(&self, text: &str) {
        self.with(|s| {
            if s.interim_open {
                let _ = write!(s.out, "\r\x1b[2K");
                s.interim_open = false;
            }
            let _ = writeln!(s.out, "{text}");
            let _ = s.out.flush();
        });
    }

    /// Replaces the interim line (terminals only).
    pub fn interim(&self, text: &str) {
        self.with(|s| {
            if !s.color {
                return;
            }
            let _ = write!(s.out, "\r\x1b[2K{text}");
            s.interim_open = true;
            let _ = s.out.flush();
        });
    }

    /// A section heading.
    pub fn section(&self, title: &str) {
        let secs = self.with(|s| s.started.elapsed().as_secs_f64());
        let rule = "─".repeat(60usize.saturating_sub(title.chars().count()));
        self.line("");
        self.line(&format!(
            "{} {} {}",
            self.paint(BOLD, &format!("── {title}")),
            self.paint(DIM, &rule),
            self.paint(DIM, &format!("{secs:5.1}s"))
        ));
    }

    /// A narration line: what the agent's desk does.
    pub fn step(&self, text: &str) {
        self.line(&format!("  {} {text}", self.paint(YELLOW, "▶")));
    }

    /// A detail under a step.
    pub fn detail(&self, text: &str) {
        self.line(&format!("      {}", self.paint(DIM, text)));
    }
}

/// `mm:ss.s` on the call's timeline.
pub fn clock(secs: f64) -> String {
    let secs = secs.max(0.0);
    let m = (secs / 60.0).floor();
    format!("{:02}:{:04.1}", m as u64, secs - m * 60.0)
}
