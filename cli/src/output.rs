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

// The palette every command paints from (ANSI SGR codes for `Out::paint`); not every command
// uses every colour.
pub const BOLD: &str = "1";
#[allow(dead_code)]
pub const DIM: &str = "2";
#[allow(dead_code)]
pub const RED: &str = "31";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";
#[allow(dead_code)]
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

    /// The table as text: a bold header line, then the rows, columns aligned.
    pub fn render_table(&self, headers: &[&str], rows: &[Vec<String>]) -> String {
        let mut all = Vec::with_capacity(rows.len() + 1);
        all.push(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
        all.extend(rows.iter().cloned());
        let mut out = String::new();
        for (i, line) in align(&all, headers.len()).into_iter().enumerate() {
            if i == 0 {
                out.push_str(&self.paint(BOLD, &line));
            } else {
                out.push_str(&line);
            }
            out.push('\n');
        }
        out
    }

    /// Rows without a header, columns aligned (`name  value` lines), no trailing newline.
    pub fn render_rows(&self, rows: &[Vec<String>]) -> String {
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        align(rows, cols).join("\n")
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

/// Pads every column but the last to its widest cell (by characters), two spaces between.
fn align(rows: &[Vec<String>], cols: usize) -> Vec<String> {
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|cells| {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate().take(cols) {
                line.push_str(cell);
                if i + 1 < cols {
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
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
