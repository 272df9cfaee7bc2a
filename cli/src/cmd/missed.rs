//! `helix missed`: the account's missed (abandoned) calls as a table, or `--watch` for each new
//! one, once, as it arrives (the library's watcher: one poller per account however many
//! watchers share the account's store).

use std::time::Duration;

use chrono::{NaiveDateTime, NaiveTime};
use clap::Args;
use futures::StreamExt;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{
    AbandonedCall, AbandonedCallsQuery, WatchOptions, parse_local_date, parse_local_date_time,
};

use crate::Ctx;
use crate::exit::{CliError, CliResult};

#[derive(Args, Debug)]
#[command(after_help = "\
Times are the account's local time: YYYY-MM-DD HH:MM:SS (or a T between date and time), or a \
date alone (--from at 00:00:00, --to at 23:59:59). Without --from/--to, today's missed calls.

Examples:
  helix missed
  helix missed --from 2026-11-30 --to 2026-11-30 --campaign Inbound_918041763265
  helix missed --watch --interval 15
  helix missed --json | jq .callerId")]
pub struct MissedArgs {
    /// Start of the window (account-local).
    #[arg(long, value_name = "TIME", conflicts_with = "watch")]
    pub from: Option<String>,
    /// End of the window (account-local).
    #[arg(long, value_name = "TIME", conflicts_with = "watch")]
    pub to: Option<String>,
    /// Only this campaign.
    #[arg(long, value_name = "NAME")]
    pub campaign: Option<String>,
    /// Keep watching today's missed calls and print each new one once, as it arrives
    /// (Ctrl-C to stop). Calls missed before it starts are not printed.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between polls with --watch (keep it at 10 or more against Ozonetel).
    #[arg(long, value_name = "SECS", default_value_t = 30.0, requires = "watch")]
    pub interval: f64,
}

/// A `--from`/`--to` value: a date-time, or a date alone (the start or the end of that day).
pub fn parse_when(text: &str, name: &str, end_of_day: bool) -> CliResult<NaiveDateTime> {
    if text.trim().len() == 10 {
        let date = parse_local_date(text, name)?;
        let time = if end_of_day {
            NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
        } else {
            NaiveTime::MIN
        };
        return Ok(date.and_time(time));
    }
    Ok(parse_local_date_time(text, name)?)
}

pub async fn run(a: MissedArgs, ctx: &Ctx) -> CliResult {
    let campaign = a
        .campaign
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if a.watch {
        // Checked before the account: a bad interval is the user's typo, not a config problem.
        let interval = Duration::try_from_secs_f64(a.interval).map_err(|_| {
            CliError::usage(format!(
                "--interval is {}; give seconds, e.g. 30",
                a.interval
            ))
        })?;
        let options = WatchOptions {
            interval,
            include_existing: false,
            campaign_name: campaign,
        };
        options.validate()?;
        return watch(options, ctx).await;
    }
    let from = a
        .from
        .as_deref()
        .map(|t| parse_when(t, "--from", false))
        .transpose()?;
    let to =
        a.to.as_deref()
            .map(|t| parse_when(t, "--to", true))
            .transpose()?;
    let query = AbandonedCallsQuery {
        from_time: from,
        to_time: to,
        campaign_name: campaign,
    };
    let client = ctx.account()?.client(&ctx.out).await?;
    let calls = client.abandoned_calls(&query).await?;
    if ctx.out.json {
        for call in &calls {
            ctx.out.result(call, String::new)?;
        }
        return Ok(());
    }
    if calls.is_empty() {
        return ctx.out.line("No missed calls in the window.");
    }
    let rows: Vec<Vec<String>> = calls.iter().map(row).collect();
    ctx.out.table(HEADERS, &rows)?;
    ctx.out.note(&format!("{} missed calls", calls.len()));
    Ok(())
}

const HEADERS: &[&str] = &[
    "TIME",
    "CALLER",
    "CAMPAIGN",
    "TYPE",
    "AGENT",
    "HANGUP BY",
    "MONITOR UCID",
];

fn dash(text: &str) -> String {
    if text.trim().is_empty() {
        "-".to_string()
    } else {
        text.trim().to_string()
    }
}

fn row(call: &AbandonedCall) -> Vec<String> {
    vec![
        dash(&call.call_time),
        dash(&call.caller_id),
        dash(&call.campaign),
        dash(&call.call_type),
        dash(&call.agent_id),
        dash(&call.hangup_by),
        dash(&call.monitor_ucid),
    ]
}

/// Prints each new missed call as one line (or one JSON line) until Ctrl-C. A failed poll is
/// a warning and watching goes on; a refused key or a bad option stops it with its exit code.
async fn watch(options: WatchOptions, ctx: &Ctx) -> CliResult {
    let client = ctx.account()?.client(&ctx.out).await?;
    let every = options.interval;
    let mut calls = client.watch_missed_calls_with(options);
    ctx.out.note(&format!(
        "watching for new missed calls every {} (Ctrl-C to stop)",
        crate::cmd::cdr::progress::human_duration(every)
    ));
    let mut last_error = None;
    loop {
        let next = tokio::select! {
            next = calls.next() => next,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match next {
            None => return last_error.map_or(Ok(()), |e| Err(CliError::from(e))),
            Some(Ok(call)) => {
                last_error = None;
                ctx.out.result(&call, || {
                    row(&call)
                        .into_iter()
                        .zip(HEADERS)
                        .map(|(cell, head)| match *head {
                            "TIME" => cell,
                            _ => format!("{}: {cell}", head.to_ascii_lowercase()),
                        })
                        .collect::<Vec<_>>()
                        .join("  ")
                })?;
            }
            Some(Err(e)) if matches!(e.code(), ErrorCode::Auth | ErrorCode::InvalidInput) => {
                return Err(e.into());
            }
            Some(Err(e)) => {
                ctx.out.note(&format!("warning: {e} (still watching)"));
                last_error = Some(e);
            }
        }
    }
}
