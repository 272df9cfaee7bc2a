//! Everything `helix` prints: aligned tables and colour for people (colour only on a terminal,
//! never with `NO_COLOR`), one JSON value per result for scripts (`--json`), errors on stderr.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;

use crate::exit::{CliError, CliResult};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// How results are printed, decided once from the flags and the environment.
#[derive(Debug, Clone)]
pub struct Out {
    /// `--json`: one JSON document per result on stdout, nothing decorative.
    pub json: bool,
    /// Colour on stdout.
    pub color: bool,
    /// stderr is a terminal (progress bars redraw in place; otherwise plain lines).
    pub stderr_tty: bool,
}

pub const BOLD: &str = "1";
pub const DIM: &str = "2";
pub const RED: &str = "31";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";
pub const CYAN: &str = "36";

impl Out {
    pub fn new(json: bool, color: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                !json
                    && !no_color
                    && std::io::stdout().is_terminal()
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        Out {
            json,
            color,
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// `text` in an ANSI colour, when colour is on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A line for people (nothing with `--json`).
    pub fn line(&self, text: &str) -> CliResult {
        if self.json {
            return Ok(());
        }
        write_stdout(&format!("{text}\n"))
    }

    /// One result: `value` as one line of JSON with `--json`, else `human` for people.
    pub fn result<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> CliResult {
        if self.json {
            let text = serde_json::to_string(value)
                .map_err(|e| CliError::io(format!("cannot write JSON: {e}")))?;
            write_stdout(&format!("{text}\n"))
        } else {
            write_stdout(&format!("{}\n", human()))
        }
    }

    /// An aligned table (columns padded to their widest cell; the last column is not padded).
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> CliResult {
        write_stdout(&self.render_table(headers, rows))
    }

    pub fn render_table(&self, headers: &[&str], rows: &[Vec<String>]) -> String {
        let cols = headers.len();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let fmt_row = |cells: Vec<String>| -> String {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate().take(cols) {
                if i + 1 == cols {
                    line.push_str(cell);
                } else {
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            line.trim_end().to_string()
        };
        let mut out = String::new();
        let head = fmt_row(headers.iter().map(|h| h.to_string()).collect());
        out.push_str(&self.paint(BOLD, &head));
        out.push('\n');
        for row in rows {
            out.push_str(&fmt_row(row.clone()));
            out.push('\n');
        }
        out
    }

    /// A note for people on stderr (warnings, progress when stderr is not a terminal).
    pub fn note(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// Prints a failure on stderr (as JSON on stdout with `--json`, so scripts read one stream).
    pub fn error(&self, e: &CliError) {
        if self.json {
            let _ = write_stdout(&format!("{}\n", e.to_json()));
            return;
        }
        let stderr_color = self.color && std::io::stderr().is_terminal();
        let mut err = std::io::stderr().lock();
        let head = if stderr_color {
            "\x1b[31merror\x1b[0m"
        } else {
            "error"
        };
        let _ = writeln!(err, "{head}: {}", e.message);
        if let Some(hint) = &e.hint {
            let _ = writeln!(err, "  hint: {hint}");
        }
    }
}

/// Writes to stdout; a closed pipe (`helix cdr … | head`) ends quietly instead of panicking.
pub fn write_stdout(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(CliError::io(format!("cannot write to stdout: {e}"))),
    }
}
