//! `helix call hold|unhold|mute|unmute|conference|kick`, `helix transfer`, `helix recording
//! pause|resume`: a live call, as the agent on it (recording: the account).

use std::io::{BufRead, IsTerminal, Write};

use clap::{Args, Subcommand, ValueEnum};
use helix_engage::ozonetel::{CallAction, CallControlResponse, Transfer, TransferMode};
use serde::Serialize;

use super::agent::AgentOpts;
use crate::Ctx;
use crate::exit::{CliError, CliResult};
use crate::output::{BOLD, GREEN, Out, YELLOW};

/// `helix call …`.
#[derive(Args, Debug)]
pub struct CallArgs {
    #[command(subcommand)]
    pub command: CallCommand,
}

/// One action on a live call.
#[derive(Subcommand, Debug)]
pub enum CallCommand {
    /// Put the customer on hold.
    Hold(OnCall),
    /// Take the customer off hold.
    Unhold(OnCall),
    /// Mute the customer's leg.
    Mute(OnCall),
    /// Unmute the customer's leg.
    Unmute(OnCall),
    /// Dial a third party into the call.
    Conference(WithParty),
    /// Drop a party from the call by number (the customer's ends the call).
    Kick(WithParty),
}

/// A call and the agent on it.
#[derive(Args, Debug)]
pub struct OnCall {
    /// The call's UCID.
    pub ucid: String,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// A call, a party's number, and the agent on the call.
#[derive(Args, Debug)]
pub struct WithParty {
    /// The call's UCID.
    pub ucid: String,
    /// The party's phone number (normalised for the account's region).
    #[arg(value_name = "NUMBER")]
    pub party: String,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// `helix transfer`.
#[derive(Args, Debug)]
pub struct TransferArgs {
    /// The call's UCID.
    pub ucid: String,
    /// Who takes the call: the target's phone number.
    #[arg(value_name = "NUMBER")]
    pub target: String,
    /// Blind transfer: drop the agent as soon as the target has joined.
    #[arg(long, conflicts_with = "then")]
    pub cold: bool,
    /// Warm transfer, without asking: once the target is conferenced in, complete (drop the
    /// agent) or cancel (drop the target). Required when stdin is not a terminal.
    #[arg(long, value_enum)]
    pub then: Option<Then>,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// How a warm transfer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Then {
    /// Drop the agent: the target has the customer.
    Complete,
    /// Drop the target: the agent keeps the customer.
    Cancel,
}

/// `helix recording …`.
#[derive(Args, Debug)]
pub struct RecordingArgs {
    #[command(subcommand)]
    pub command: RecordingCommand,
}

/// Pause or resume.
#[derive(Subcommand, Debug)]
pub enum RecordingCommand {
    /// Pause the call's recording (card numbers, anything that must not be kept).
    Pause {
        /// The call's UCID.
        ucid: String,
    },
    /// Resume the call's recording.
    Resume {
        /// The call's UCID.
        ucid: String,
    },
}

/// `helix call …`.
pub async fn call(a: CallArgs, ctx: &Ctx) -> CliResult {
    let (action, ucid, number, opts) = match a.command {
        CallCommand::Hold(c) => (CallAction::Hold, c.ucid, None, c.agent),
        CallCommand::Unhold(c) => (CallAction::Unhold, c.ucid, None, c.agent),
        CallCommand::Mute(c) => (CallAction::Mute, c.ucid, None, c.agent),
        CallCommand::Unmute(c) => (CallAction::Unmute, c.ucid, None, c.agent),
        CallCommand::Conference(c) => (CallAction::Conference, c.ucid, Some(c.party), c.agent),
        CallCommand::Kick(c) => (CallAction::KickCall, c.ucid, Some(c.party), c.agent),
    };
    let agent = opts.agent(ctx).await?;
    let r = agent.call_control(action, &ucid, number.as_deref()).await?;
    let out = &ctx.out;
    out.result(&r, || control_line(out, ucid.trim(), &r))
}

fn control_line(out: &Out, ucid: &str, r: &CallControlResponse) -> String {
    let mut line = format!("call {ucid}: {}", out.paint(GREEN, r.action.as_str()));
    match (r.status.is_empty(), r.message.is_empty()) {
        (true, true) => {}
        (false, true) => line.push_str(&format!(" ({})", r.status)),
        (true, false) => line.push_str(&format!(" ({})", r.message)),
        (false, false) => line.push_str(&format!(" ({}: {})", r.status, r.message)),
    }
    line
}

/// What `helix transfer --json` prints (the library's `Transfer` is a handle, not a value).
#[derive(Debug, Serialize)]
struct TransferResult<'a> {
    ucid: &'a str,
    mode: &'static str,
    /// `completed` (the target has the customer) or `cancelled` (the agent kept it).
    state: &'static str,
}

/// `helix transfer`.
pub async fn transfer(a: TransferArgs, ctx: &Ctx) -> CliResult {
    // Decide how a warm transfer will end before anything is sent: a script must never be
    // left waiting on a question it cannot answer, with three parties on the call.
    if !a.cold && a.then.is_none() && !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "a warm transfer asks whether to complete or cancel, and stdin is not a terminal",
        )
        .with_hint("pass --then complete or --then cancel (or --cold for a blind transfer)"));
    }
    let agent = a.agent.agent(ctx).await?;
    let out = &ctx.out;
    let mode = if a.cold {
        TransferMode::Cold
    } else {
        TransferMode::Warm
    };
    let t = agent.transfer(&a.ucid, &a.target, mode).await?;
    let state = if a.cold {
        "completed"
    } else {
        let then = match a.then {
            Some(then) => then,
            None => {
                out.note(&format!(
                    "call {}: the target is on the call with the agent and the customer",
                    t.ucid()
                ));
                ask(&t).await?
            }
        };
        finish(&t, then).await?
    };
    let result = TransferResult {
        ucid: t.ucid(),
        mode: if a.cold { "cold" } else { "warm" },
        state,
    };
    out.result(&result, || {
        let what = if state == "completed" {
            out.paint(GREEN, "transferred")
        } else {
            out.paint(YELLOW, "transfer cancelled; the agent keeps the customer")
        };
        format!("call {}: {what} ({} transfer)", t.ucid(), result.mode)
    })
}

async fn finish(t: &Transfer, then: Then) -> CliResult<&'static str> {
    let done = match then {
        Then::Complete => t.complete().await.map(|()| "completed"),
        Then::Cancel => t.cancel().await.map(|()| "cancelled"),
    };
    done.map_err(|e| {
        CliError::from(e).with_hint(format!(
            "all three parties are still on the call: try again with `helix call kick {} NUMBER \
             --agent ID` (the agent's number completes, the target's cancels)",
            t.ucid()
        ))
    })
}

/// Asks on the terminal until the answer is `complete` or `cancel`.
async fn ask(t: &Transfer) -> CliResult<Then> {
    let ucid = t.ucid().to_string();
    tokio::task::spawn_blocking(move || {
        ask_from(&mut std::io::stdin().lock(), &mut std::io::stderr(), &ucid)
    })
    .await
    .map_err(|e| CliError::io(format!("cannot read the answer: {e}")))?
}

/// The question's loop: `prompt` gets the question, `input` the answers (a line each,
/// case-insensitive); anything else is asked again, the end of input is an error.
fn ask_from(input: &mut impl BufRead, prompt: &mut impl Write, ucid: &str) -> CliResult<Then> {
    let mut line = String::new();
    loop {
        let _ = write!(prompt, "complete / cancel? ");
        let _ = prompt.flush();
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| CliError::io(format!("cannot read the answer: {e}")))?;
        if read == 0 {
            return Err(CliError::io(
                "stdin closed before complete or cancel: the target is still on the call",
            )
            .with_hint(format!(
                "finish it with `helix call kick {ucid} NUMBER --agent ID` (the agent's number \
                 completes the transfer, the target's cancels it)"
            )));
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "complete" => return Ok(Then::Complete),
            "cancel" => return Ok(Then::Cancel),
            _ => {}
        }
    }
}

/// `helix recording …`: account-level (Record.php takes the account, not an agent).
pub async fn recording(a: RecordingArgs, ctx: &Ctx) -> CliResult {
    let client = ctx.account()?.client(&ctx.out).await?;
    let (ucid, r) = match a.command {
        RecordingCommand::Pause { ucid } => {
            let r = client.pause_recording(&ucid).await?;
            (ucid, r)
        }
        RecordingCommand::Resume { ucid } => {
            let r = client.resume_recording(&ucid).await?;
            (ucid, r)
        }
    };
    let out = &ctx.out;
    out.result(&r, || {
        let what = if r.paused {
            "recording paused"
        } else {
            "recording resumed"
        };
        let mut line = format!("call {}: {}", ucid.trim(), out.paint(BOLD, what));
        if !r.message.is_empty() {
            line.push_str(&format!(" ({})", r.message));
        }
        line
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> (CliResult<Then>, String) {
        let mut prompt = Vec::new();
        let got = ask_from(&mut text.as_bytes(), &mut prompt, "123");
        (got, String::from_utf8(prompt).unwrap())
    }

    #[test]
    fn the_prompt_asks_until_complete_or_cancel() {
        let (got, prompt) = answer("maybe\n\n  COMPLETE \n");
        assert_eq!(got.unwrap(), Then::Complete);
        assert_eq!(prompt.matches("complete / cancel? ").count(), 3);
        assert_eq!(answer("cancel\n").0.unwrap(), Then::Cancel);
        // The end of input leaves the call conferenced, and says how to finish it.
        let e = answer("later\n").0.unwrap_err();
        assert_eq!(e.code, 1);
        assert!(e.hint.unwrap().contains("helix call kick 123"));
    }
}
