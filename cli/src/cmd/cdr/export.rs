//! Where `helix cdr` writes: stdout, or `-o FILE` with its resume ledger `FILE.progress`.
//!
//! Each day's records are encoded whole, appended to the file in one write and synced; only
//! then is the day added to the ledger (`YYYY-MM-DD LENGTH`, the file's length after that
//! day), also synced. The data file stays pure CSV or JSON lines — no marker rows. A resume
//! truncates the file to the last length the ledger vouches for, so a day that was being
//! written when the process died (written but not in the ledger) is dropped and fetched again,
//! never duplicated. The ledger's `query` line holds the format and filters: resuming with
//! others would mix two exports in one file, and is refused.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use helix_engage::ozonetel::{CALL_RECORD_FIELDS, CallRecord};
use serde_json::Value;

use crate::exit::{CliError, CliResult};

/// The ledger's first line: what the file is, for a person who finds it.
const LEDGER_HEAD: &str = "helix-cdr-progress 1 (days fully written to the export, and its length after each; `helix cdr --resume` reads it)";

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An aligned table of the main fields, printed when the export ends.
    Table,
    /// RFC 4180 CSV: a header row of Ozonetel's documented CDR field names, one row a call.
    Csv,
    /// JSON lines: one call record a line, every field (unknown ones too).
    Jsonl,
}

/// The CSV columns: Ozonetel's documented field names, in its order, each with the key that
/// field has in a serialised [`CallRecord`] (camelCase). Computed from the library's own
/// serde attributes (a record holding a marker in one field, serialised), so the mapping cannot
/// drift from the struct.
pub fn csv_columns() -> Vec<(&'static str, String)> {
    const MARK: &str = "\u{1}helix-column\u{1}";
    CALL_RECORD_FIELDS
        .iter()
        .filter_map(|wire| {
            let mut one = serde_json::Map::new();
            one.insert((*wire).to_string(), Value::from(MARK));
            let record: CallRecord = serde_json::from_value(Value::Object(one)).ok()?;
            let Ok(Value::Object(fields)) = serde_json::to_value(&record) else {
                return None;
            };
            let key = fields
                .into_iter()
                .find(|(_, v)| v.as_str() == Some(MARK))?
                .0;
            Some((*wire, key))
        })
        .collect()
}

/// Encodes records for a format (CSV rows, JSON lines; tables are printed by the caller).
pub struct Encoder {
    format: Format,
    columns: Vec<(&'static str, String)>,
}

impl Encoder {
    pub fn new(format: Format) -> Self {
        Encoder {
            format,
            columns: if format == Format::Csv {
                csv_columns()
            } else {
                Vec::new()
            },
        }
    }

    /// What opens the output: the CSV header row.
    pub fn header(&self) -> CliResult<Vec<u8>> {
        if self.format != Format::Csv {
            return Ok(Vec::new());
        }
        csv_rows(std::iter::once(
            self.columns
                .iter()
                .map(|(wire, _)| wire.to_string())
                .collect(),
        ))
    }

    /// A day's records, encoded.
    pub fn records(&self, records: &[CallRecord]) -> CliResult<Vec<u8>> {
        match self.format {
            Format::Table => Ok(Vec::new()),
            Format::Jsonl => {
                let mut out = Vec::new();
                for r in records {
                    serde_json::to_writer(&mut out, r)
                        .map_err(|e| CliError::io(format!("cannot encode a record: {e}")))?;
                    out.push(b'\n');
                }
                Ok(out)
            }
            Format::Csv => {
                let mut rows = Vec::with_capacity(records.len());
                for r in records {
                    let Ok(Value::Object(fields)) = serde_json::to_value(r) else {
                        return Err(CliError::io("cannot encode a record"));
                    };
                    rows.push(
                        self.columns
                            .iter()
                            .map(|(_, key)| fields.get(key).map_or(String::new(), cell))
                            .collect(),
                    );
                }
                csv_rows(rows.into_iter())
            }
        }
    }
}

/// A field's CSV text: strings as they are, anything else (never for documented fields) as
/// JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// RFC 4180 rows (CRLF, quoted only where needed) through the `csv` crate, which gets
/// quoting of commas, quotes and line breaks in agents' comments right.
fn csv_rows(rows: impl Iterator<Item = Vec<String>>) -> CliResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)
            .map_err(|e| CliError::io(format!("cannot encode CSV: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| CliError::io(format!("cannot encode CSV: {e}")))
}

/// `-o FILE` and its ledger.
pub struct FileTarget {
    path: PathBuf,
    file: File,
    ledger_path: PathBuf,
    ledger: File,
    /// Days the ledger lists (from before this run, and this run's).
    pub done: BTreeSet<NaiveDate>,
}

/// `FILE.progress`.
pub fn ledger_path(path: &Path) -> PathBuf {
    let mut p = OsString::from(path.as_os_str());
    p.push(".progress");
    PathBuf::from(p)
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> CliError {
    CliError::io(format!("cannot {what} {}: {e}", path.display()))
}

/// What a ledger says.
struct Ledger {
    query: String,
    /// The file's length after its header.
    start: u64,
    days: Vec<(NaiveDate, u64)>,
}

fn read_ledger(path: &Path, text: &str) -> CliResult<Ledger> {
    let bad = |why: &str| {
        CliError::usage(format!(
            "{} is not a helix cdr progress file ({why})",
            path.display()
        ))
        .with_hint("remove it and the export, or write to another file")
    };
    let mut lines = text.lines();
    if !lines
        .next()
        .is_some_and(|l| l.starts_with("helix-cdr-progress 1"))
    {
        return Err(bad("unknown first line"));
    }
    let query = lines
        .next()
        .and_then(|l| l.strip_prefix("query "))
        .ok_or_else(|| bad("no query line"))?
        .to_string();
    let start = lines
        .next()
        .and_then(|l| l.strip_prefix("start "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| bad("no start line"))?;
    let mut days = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (day, len) = line
            .split_once(' ')
            .ok_or_else(|| bad("a day line without a length"))?;
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad("a bad date"))?;
        let len = len.trim().parse().map_err(|_| bad("a bad length"))?;
        days.push((day, len));
    }
    Ok(Ledger { query, start, days })
}

impl FileTarget {
    /// A new export at `path` (replacing any), opened with `header`.
    pub fn create(path: &Path, query: &str, header: &[u8]) -> CliResult<FileTarget> {
        let mut file = File::create(path).map_err(|e| io_err("create", path, e))?;
        file.write_all(header)
            .and_then(|()| file.sync_data())
            .map_err(|e| io_err("write", path, e))?;
        let ledger_path = ledger_path(path);
        let mut ledger =
            File::create(&ledger_path).map_err(|e| io_err("create", &ledger_path, e))?;
        let head = format!("{LEDGER_HEAD}\nquery {query}\nstart {}\n", header.len());
        ledger
            .write_all(head.as_bytes())
            .and_then(|()| ledger.sync_data())
            .map_err(|e| io_err("write", &ledger_path, e))?;
        let file = reopen_append(path, file)?;
        Ok(FileTarget {
            path: path.to_path_buf(),
            file,
            ledger_path,
            ledger,
            done: BTreeSet::new(),
        })
    }

    /// Continues the export at `path`: the days its ledger lists are done, anything written
    /// after the last of them is cut. No export yet: a new one.
    pub fn resume(path: &Path, query: &str, header: &[u8]) -> CliResult<FileTarget> {
        let ledger_path = ledger_path(path);
        let text = match std::fs::read_to_string(&ledger_path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let data_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                if data_len > 0 {
                    return Err(CliError::usage(format!(
                        "{} has no {}: helix cdr cannot tell which days it holds",
                        path.display(),
                        ledger_path.display()
                    ))
                    .with_hint(
                        "drop --resume to start the export over, or write to another file",
                    ));
                }
                return Self::create(path, query, header);
            }
            Err(e) => return Err(io_err("read", &ledger_path, e)),
        };
        let ledger = read_ledger(&ledger_path, &text)?;
        if ledger.query != query {
            return Err(CliError::usage(format!(
                "{} was written with another format or filter ({}); this run asks for {query}",
                path.display(),
                ledger.query
            ))
            .with_hint(
                "resume with the same --format, --ucid and --campaign, or write to another file",
            ));
        }
        let keep = ledger.days.last().map_or(ledger.start, |(_, len)| *len);
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io_err("open", path, e))?;
        let len = file.metadata().map_err(|e| io_err("read", path, e))?.len();
        if len < keep {
            return Err(CliError::usage(format!(
                "{} is shorter than its progress file says ({len} < {keep} bytes): it was changed",
                path.display()
            ))
            .with_hint("drop --resume to start the export over"));
        }
        // A day written but not yet in the ledger (the process died between the two) is cut
        // here and fetched again.
        file.set_len(keep)
            .and_then(|()| file.sync_data())
            .map_err(|e| io_err("truncate", path, e))?;
        let file = reopen_append(path, file)?;
        let ledger_file = OpenOptions::new()
            .append(true)
            .open(&ledger_path)
            .map_err(|e| io_err("open", &ledger_path, e))?;
        Ok(FileTarget {
            path: path.to_path_buf(),
            file,
            ledger_path,
            ledger: ledger_file,
            done: ledger.days.iter().map(|(d, _)| *d).collect(),
        })
    }

    /// Appends a day's encoded records in one write, syncs, then records the day.
    pub fn write_day(&mut self, day: NaiveDate, bytes: &[u8]) -> CliResult {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_err("write", &self.path, e))?;
        let len = self
            .file
            .metadata()
            .map_err(|e| io_err("read", &self.path, e))?
            .len();
        self.ledger
            .write_all(format!("{day} {len}\n").as_bytes())
            .and_then(|()| self.ledger.sync_data())
            .map_err(|e| io_err("write", &self.ledger_path, e))?;
        self.done.insert(day);
        Ok(())
    }
}

/// The same file opened for appending, so every write lands at its end.
fn reopen_append(path: &Path, file: File) -> CliResult<File> {
    drop(file);
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| io_err("open", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_field_is_a_column() {
        let columns = csv_columns();
        assert_eq!(columns.len(), CALL_RECORD_FIELDS.len());
        assert!(columns.contains(&("UCID", "ucid".to_string())));
        assert!(columns.contains(&("TransferredTo", "transferredTo".to_string())));
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let record = CallRecord {
            ucid: "31733467784618213".into(),
            comments: "said \"call me\", then\nhung up".into(),
            ..Default::default()
        };
        let enc = Encoder::new(Format::Csv);
        let text = String::from_utf8(enc.records(&[record]).unwrap()).unwrap();
        assert!(
            text.contains("\"said \"\"call me\"\", then\nhung up\""),
            "{text}"
        );
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn a_resume_cuts_what_the_ledger_does_not_vouch_for() {
        let dir = std::env::temp_dir().join(format!("helix-cdr-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.jsonl");
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let mut t = FileTarget::create(&path, "q", b"").unwrap();
        t.write_day(day, b"{\"a\":1}\n").unwrap();
        drop(t);
        // A half-written next day, as a crash would leave it.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"b\":").unwrap();
        drop(f);
        let t = FileTarget::resume(&path, "q", b"").unwrap();
        assert!(t.done.contains(&day));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        assert!(FileTarget::resume(&path, "other", b"").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
