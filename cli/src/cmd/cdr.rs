//! `helix cdr`: call records (CDR) for a date range, one `fetchCDRDetails` request a day
//! through the library, paced to Ozonetel's 2 CDR requests a minute per account (the pace is
//! the account's, shared through its store with every other client). Progress on stderr
//! (`progress.rs`); the output and its resume ledger (`export.rs`).

pub mod export;
pub mod progress;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use clap::Args;
use helix_engage::ozonetel::{CDR_MAX_DAYS_BACK, CallRecord, CallRecordsQuery, parse_local_date};

use crate::Ctx;
use crate::exit::{CliError, CliResult};
use export::{Encoder, FileTarget, Format, ledger_path};
use progress::Progress;

/// Ozonetel's CDR limit, which the library paces to by default: 2 requests per 60 s, plus the
/// 1 s margin the library's pacer adds between windows. Only used to estimate the ETA.
const DEFAULT_PACE: (u32, Duration) = (2, Duration::from_secs(60));
const PACER_MARGIN: Duration = Duration::from_secs(1);

#[derive(Args, Debug)]
#[command(after_help = "\
One request per day: Ozonetel allows 2 CDR requests a minute per account, so a 15-day export \
takes about 7.5 minutes. Dates are the account's local days, at most 15 days back; a --to in \
the future stops at today (today's records up to now).

-o FILE writes FILE and FILE.progress, the days fully written and the file's length after each. \
--resume reads it, skips those days and cuts anything written after the last of them (a day cut \
short by Ctrl-C or a failure is fetched again, never duplicated). Today counts as done once \
fetched, up to that moment. A failed day stops the export with its error's exit code and leaves \
FILE resumable.

CSV: RFC 4180, a header row of Ozonetel's documented field names (CallID, CallDate, …), fields \
this version does not know left out. JSON lines: one record a line, every field.

Examples:
  helix cdr --from 2026-11-20 --to 2026-11-30 --format csv -o november.csv
  helix cdr --from 2026-11-20 --to 2026-11-30 --format csv -o november.csv --resume
  helix cdr --from 2026-11-30 --to 2026-11-30 --ucid 31733467784618213")]
pub struct CdrArgs {
    /// First day, YYYY-MM-DD (account-local).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day, YYYY-MM-DD (account-local).
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// Only this call (its UCID).
    #[arg(long)]
    pub ucid: Option<String>,
    /// Only this campaign.
    #[arg(long, value_name = "NAME")]
    pub campaign: Option<String>,
    /// Output format [default: table, or jsonl with --json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE (and FILE.progress) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Skip the days FILE already holds (needs -o; csv or jsonl).
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Tests only: the CDR pace as REQUESTS/MILLISECONDS (the library's `cdr_rate_limit`), so
    /// the simulator's tests run a multi-day export in seconds while they move the
    /// simulator's clock. Hidden: against Ozonetel a faster pace only earns 429s, and every
    /// client of an account must use the same pace.
    #[arg(long, hide = true, value_name = "N/MS", value_parser = parse_pace)]
    pub cdr_rate_limit: Option<(u32, Duration)>,
}

fn parse_pace(text: &str) -> Result<(u32, Duration), String> {
    let (n, ms) = text
        .split_once('/')
        .ok_or("use REQUESTS/MILLISECONDS, e.g. 2/300")?;
    let n = n.trim().parse().map_err(|_| "REQUESTS is not a number")?;
    let ms = ms
        .trim()
        .parse()
        .map_err(|_| "MILLISECONDS is not a number")?;
    Ok((n, Duration::from_millis(ms)))
}

pub async fn run(a: CdrArgs, ctx: &Ctx) -> CliResult {
    let format = a.format.unwrap_or(if ctx.out.json {
        Format::Jsonl
    } else {
        Format::Table
    });
    if a.resume && format == Format::Table {
        return Err(CliError::usage(
            "--resume needs --format csv or jsonl: a table is aligned over all its rows and \
             written once, at the end",
        ));
    }
    let from = parse_local_date(&a.from, "--from")?;
    let to = parse_local_date(&a.to, "--to")?;
    if to < from {
        return Err(CliError::usage(format!(
            "--to ({to}) is before --from ({from})"
        )));
    }
    let pace = a.cdr_rate_limit;
    let client = ctx
        .account()?
        .client_with(&ctx.out, |b| match pace {
            Some((n, per)) => b.cdr_rate_limit(n, per),
            None => b,
        })
        .await?;
    let today = client.local_now().date();
    if from > today {
        return Err(CliError::usage(format!(
            "--from ({from}) is after today ({today}, the account's time zone); Ozonetel has no \
             records of future days"
        )));
    }
    let oldest = today - Days::new(CDR_MAX_DAYS_BACK);
    if from < oldest {
        return Err(CliError::usage(format!(
            "--from ({from}) is more than {CDR_MAX_DAYS_BACK} days back; Ozonetel keeps call \
             history from {oldest} on"
        )));
    }
    let days: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|d| *d <= to.min(today))
        .collect();
    let filter = |q: CallRecordsQuery| {
        let q = match &a.ucid {
            Some(u) => CallRecordsQuery {
                ucid: Some(u.clone()),
                ..q
            },
            None => q,
        };
        match &a.campaign {
            Some(c) => q.campaign(c.clone()),
            None => q,
        }
    };

    let encoder = Encoder::new(format);
    let header = encoder.header()?;
    // What must match for a resume to continue the same export.
    let query = serde_json::json!({
        "format": format, "ucid": a.ucid, "campaign": a.campaign,
    })
    .to_string();
    let mut target = match &a.output {
        // A table is written whole at the end: no ledger, nothing to resume.
        Some(_) if format == Format::Table => None,
        Some(path) if a.resume => Some(FileTarget::resume(path, &query, &header)?),
        Some(path) => Some(FileTarget::create(path, &query, &header)?),
        None => {
            write_stdout(&header)?;
            None
        }
    };
    let skipped: Vec<NaiveDate> = days
        .iter()
        .copied()
        .filter(|d| target.as_ref().is_some_and(|t| t.done.contains(d)))
        .collect();
    let todo: Vec<NaiveDate> = days.into_iter().filter(|d| !skipped.contains(d)).collect();
    let (n, per) = pace.unwrap_or(DEFAULT_PACE);
    let per_day = (per + PACER_MARGIN) / n.max(1);
    let mut progress = Progress::new(ctx.out.stderr_tty, todo.len(), per_day);
    progress.skipped(&skipped);

    let mut table_rows: Vec<CallRecord> = Vec::new();
    let mut wait = client.cdr_slot_wait().await;
    for (i, day) in todo.iter().enumerate() {
        progress.wait(wait).await;
        progress.fetching(*day);
        let records = match client
            .call_records(&filter(CallRecordsQuery::day(*day)))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                progress.finish();
                return Err(failed_day(e.into(), *day, &a.output, target.as_ref()));
            }
        };
        let count = records.len();
        if format == Format::Table {
            table_rows.extend(records);
        } else {
            let bytes = encoder.records(&records)?;
            match target.as_mut() {
                Some(t) => t.write_day(*day, &bytes)?,
                None => write_stdout(&bytes)?,
            }
        }
        wait = if i + 1 == todo.len() {
            Duration::ZERO
        } else {
            client.cdr_slot_wait().await
        };
        progress.day_done(*day, count, wait);
    }
    if format == Format::Table {
        progress.finish();
        let text = ctx.out.render_table(TABLE_HEADERS, &table(&table_rows));
        match &a.output {
            Some(path) => std::fs::write(path, &text)
                .map_err(|e| CliError::io(format!("cannot write {}: {e}", path.display())))?,
            None => write_stdout(text.as_bytes())?,
        }
    }
    let shown = a
        .output
        .as_ref()
        .map_or("stdout".to_string(), |p| p.display().to_string());
    progress.summary(&shown);
    Ok(())
}

/// A day's failure: its own exit code, and how to continue when there is a file to resume.
fn failed_day(
    e: CliError,
    day: NaiveDate,
    output: &Option<PathBuf>,
    target: Option<&FileTarget>,
) -> CliError {
    let (Some(path), Some(t)) = (output, target) else {
        return e;
    };
    let resume = format!(
        "{} holds {} finished days ({} lists them); run the same command with --resume to \
         continue from {day}",
        path.display(),
        t.done.len(),
        ledger_path(path).display()
    );
    let hint = match &e.hint {
        Some(h) => format!("{h}; {resume}"),
        None => resume,
    };
    e.with_hint(hint)
}

const TABLE_HEADERS: &[&str] = &[
    "DATE",
    "START",
    "UCID",
    "TYPE",
    "STATUS",
    "CAMPAIGN",
    "AGENT",
    "CALLER",
    "DURATION",
    "DISPOSITION",
];

fn table(records: &[CallRecord]) -> Vec<Vec<String>> {
    let dash = |s: &str| {
        let s = s.trim();
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    records
        .iter()
        .map(|r| {
            [
                &r.call_date,
                &r.start_time,
                &r.ucid,
                &r.call_type,
                &r.status,
                &r.campaign_name,
                &r.agent_id,
                &r.caller_id,
                &r.duration,
                &r.disposition,
            ]
            .into_iter()
            .map(|s| dash(s))
            .collect()
        })
        .collect()
}

/// Encoded records to stdout (CSV and JSON lines are UTF-8 text).
fn write_stdout(bytes: &[u8]) -> CliResult {
    if bytes.is_empty() {
        return Ok(());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| CliError::io(format!("cannot write the records: {e}")))?;
    crate::output::write_stdout(text)
}
