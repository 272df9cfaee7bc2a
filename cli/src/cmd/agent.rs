//! `helix agent login|logout|ready|pause|force-ready`, `helix dial`, `helix dispose`: the agent
//! desk, one agent at a time, as the agent `--agent` names (never a default one).

use std::io::{BufRead, IsTerminal};

use chrono::NaiveDateTime;
use clap::{Args, Subcommand};
use helix_engage::ozonetel::{
    Agent, AgentStateResponse, DialOptions, Disposition, DispositionOutcome, LoginOutcome,
    LoginResponse, parse_local_date_time,
};
use secrecy::{ExposeSecret, SecretString};

use crate::Ctx;
use crate::exit::{CliError, CliResult};
use crate::output::{GREEN, YELLOW};
use crate::profile::AgentEntry;

/// The variable `helix agent` reads the agent's password from (when `--password-stdin` is not
/// given): a flag would put the password in the shell history and in `ps`.
pub const PASSWORD_ENV: &str = "HELIX_AGENT_PASSWORD";

/// The agent a command acts as: its id, and any of its fields given here on top of the
/// profile's `[profiles.NAME.agents.ID]` entry. Flattened last in each command: its help
/// heading would otherwise take in the command's own options that follow it.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "The agent")]
pub struct AgentOpts {
    /// The CloudAgent agent id to act as (one of the profile's agents, when it lists any).
    #[arg(long = "agent", value_name = "ID")]
    pub id: String,
    /// The agent's SIP extension, Ozonetel's agentPhoneName [default: the profile's].
    #[arg(long, value_name = "NAME")]
    pub phone_name: Option<String>,
    /// The agent's phone number: where login routes calls, what a transfer drops
    /// [default: the profile's].
    #[arg(long, value_name = "NUMBER")]
    pub number: Option<String>,
    /// The campaign the agent dials on [default: the profile's].
    #[arg(long, value_name = "CAMPAIGN")]
    pub campaign: Option<String>,
    /// The DID (virtual number) of the agent's calls [default: the profile's].
    #[arg(long, value_name = "DID")]
    pub did: Option<String>,
}

impl AgentOpts {
    /// The agent, checked: the profile's entry with these fields on top. A field the command
    /// needs and nobody gave is the library's `invalid_input`, naming it, before anything is sent.
    pub async fn agent(&self, ctx: &Ctx) -> CliResult<Agent> {
        let overrides = AgentEntry {
            phone_name: self.phone_name.clone(),
            number: self.number.clone(),
            campaign: self.campaign.clone(),
            did: self.did.clone(),
        };
        ctx.account()?.agent(&ctx.out, &self.id, &overrides).await
    }
}

/// Where the agent's password comes from. There is no `--password` flag on purpose.
#[derive(Args, Debug, Clone)]
pub struct PasswordOpts {
    /// Read the agent's password from the first line of stdin (else HELIX_AGENT_PASSWORD,
    /// else a prompt that does not echo, on a terminal).
    #[arg(long)]
    pub password_stdin: bool,
}

impl PasswordOpts {
    /// The password, from stdin, the environment or a no-echo prompt; never echoed.
    async fn password(&self, agent_id: &str) -> CliResult<SecretString> {
        let agent_id = agent_id.to_string();
        let from_stdin = self.password_stdin;
        let text = tokio::task::spawn_blocking(move || read_password(from_stdin, &agent_id))
            .await
            .map_err(|e| CliError::io(format!("cannot read the password: {e}")))??;
        Ok(text)
    }
}

fn read_password(from_stdin: bool, agent_id: &str) -> CliResult<SecretString> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::io(format!("cannot read the password from stdin: {e}")))?;
        let line = line.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            return Err(CliError::usage(
                "--password-stdin: stdin gave no password (an empty first line)",
            ));
        }
        return Ok(SecretString::from(line.to_string()));
    }
    if let Some(p) = std::env::var_os(PASSWORD_ENV).filter(|p| !p.is_empty()) {
        return p
            .into_string()
            .map(SecretString::from)
            .map_err(|_| CliError::usage(format!("{PASSWORD_ENV} is not valid UTF-8")));
    }
    if std::io::stdin().is_terminal() {
        let prompt = format!(
            "CloudAgent password for agent {}: ",
            crate::profile::quote(agent_id)
        );
        let text = rpassword::prompt_password(prompt)
            .map_err(|e| CliError::io(format!("cannot read the password: {e}")))?;
        return Ok(SecretString::from(text));
    }
    Err(
        CliError::usage("no agent password: stdin is not a terminal to ask on").with_hint(format!(
            "pipe it in with --password-stdin, or set {PASSWORD_ENV}"
        )),
    )
}

/// `helix agent …`.
#[derive(Args, Debug)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: AgentCommand,
}

/// An agent's session.
#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Log the agent in (virtually: calls are routed to the agent's number); lands in Ready.
    Login(SessionArgs),
    /// Log the agent out (an agent already out is fine).
    Logout(SessionArgs),
    /// Make a logged-in agent Ready for calls.
    Ready(AgentOnly),
    /// Pause a logged-in agent, for one of the account's pause reasons.
    Pause(PauseArgs),
    /// Get a stuck agent (ACW, or a state Ready refuses) back to Ready: logout, login, Ready.
    ForceReady(SessionArgs),
}

/// An agent and its password.
#[derive(Args, Debug)]
pub struct SessionArgs {
    #[command(flatten)]
    pub password: PasswordOpts,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// Just an agent.
#[derive(Args, Debug)]
pub struct AgentOnly {
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// `helix agent pause`.
#[derive(Args, Debug)]
pub struct PauseArgs {
    /// The pause reason, one of the account's (Break, Lunch, …).
    #[arg(long, value_name = "REASON")]
    pub reason: String,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// `helix dial`.
#[derive(Args, Debug)]
pub struct DialArgs {
    /// The customer's number (normalised for the account's region).
    #[arg(value_name = "NUMBER")]
    pub customer: String,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// `helix dispose`.
#[derive(Args, Debug)]
pub struct DisposeArgs {
    /// The call's UCID.
    pub ucid: String,
    /// The disposition, one of the account's ("Appointment Booked", …).
    pub disposition: String,
    /// The agent's comments on the call.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// When to call the customer back, account-local time (YYYY-MM-DD HH:MM; seconds, if
    /// given, are dropped: Ozonetel takes minutes).
    #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
    pub callback_at: Option<String>,
    /// Pause the agent after disposing, for this reason (else the agent goes Ready).
    #[arg(long, value_name = "REASON")]
    pub pause_after: Option<String>,
    /// Leave the agent in after-call work once the disposition is saved (autoRelease false).
    #[arg(long)]
    pub keep_acw: bool,
    #[command(flatten)]
    pub agent: AgentOpts,
}

/// `helix agent …`.
pub async fn agent(a: AgentArgs, ctx: &Ctx) -> CliResult {
    let out = &ctx.out;
    match a.command {
        AgentCommand::Login(s) => {
            let agent = s.agent.agent(ctx).await?;
            let password = s.password.password(agent.id()).await?;
            let r = agent.login(password.expose_secret()).await?;
            out.result(&r, || login_line(out, agent.id(), &r))
        }
        AgentCommand::Logout(s) => {
            let agent = s.agent.agent(ctx).await?;
            let password = s.password.password(agent.id()).await?;
            let r = agent.logout(password.expose_secret()).await?;
            out.result(&r, || login_line(out, agent.id(), &r))
        }
        AgentCommand::Ready(s) => {
            let agent = s.agent.agent(ctx).await?;
            let r = agent.set_ready().await?;
            out.result(&r, || state_line(out, agent.id(), &r))
        }
        AgentCommand::Pause(p) => {
            let agent = p.agent.agent(ctx).await?;
            let r = agent.pause(&p.reason).await?;
            out.result(&r, || state_line(out, agent.id(), &r))
        }
        AgentCommand::ForceReady(s) => {
            let agent = s.agent.agent(ctx).await?;
            let password = s.password.password(agent.id()).await?;
            let r = agent.force_ready(password.expose_secret()).await?;
            out.result(&r, || {
                format!(
                    "agent {}: {} → {} → {}",
                    agent.id(),
                    outcome_words(r.logout.outcome),
                    outcome_words(r.login.outcome),
                    out.paint(GREEN, status_or(&r.ready, "Ready")),
                )
            })
        }
    }
}

fn outcome_words(o: LoginOutcome) -> &'static str {
    match o {
        LoginOutcome::LoggedIn => "logged in",
        LoginOutcome::AlreadyLoggedIn => "already logged in",
        LoginOutcome::LoggedOut => "logged out",
        LoginOutcome::NotLoggedIn => "was not logged in",
    }
}

fn login_line(out: &crate::output::Out, id: &str, r: &LoginResponse) -> String {
    let colour = match r.outcome {
        LoginOutcome::LoggedIn | LoginOutcome::LoggedOut => GREEN,
        LoginOutcome::AlreadyLoggedIn | LoginOutcome::NotLoggedIn => YELLOW,
    };
    format!(
        "agent {id}: {} ({})",
        out.paint(colour, outcome_words(r.outcome)),
        r.message
    )
}

fn status_or<'a>(r: &'a AgentStateResponse, fallback: &'a str) -> &'a str {
    if r.agent_status.is_empty() {
        fallback
    } else {
        &r.agent_status
    }
}

fn state_line(out: &crate::output::Out, id: &str, r: &AgentStateResponse) -> String {
    let mut line = format!("agent {id}: {}", out.paint(GREEN, status_or(r, "done")));
    if !r.resp.is_empty() {
        line.push_str(&format!(" ({})", r.resp));
    }
    line
}

/// `helix dial`: a manual dial from the agent's toolbar (the agent Ready, manual or blended).
pub async fn dial(a: DialArgs, ctx: &Ctx) -> CliResult {
    let agent = a.agent.agent(ctx).await?;
    // The campaign is the agent's (`--campaign` sets it on top of the profile's).
    let r = agent.dial(&a.customer, DialOptions::default()).await?;
    let out = &ctx.out;
    out.result(&r, || match &r.ucid {
        Some(ucid) => {
            let mut line = format!(
                "dialling as agent {}: UCID {} ({})",
                agent.id(),
                out.paint(crate::output::BOLD, ucid),
                r.status
            );
            if !r.message.is_empty() {
                line.push_str(&format!("; {}", r.message));
            }
            line
        }
        None => format!(
            "dialling as agent {}: {} without a UCID; the call may be ringing, do not dial again \
             (`helix cdr` finds it later)",
            agent.id(),
            r.status
        ),
    })
}

/// `helix dispose`.
pub async fn dispose(a: DisposeArgs, ctx: &Ctx) -> CliResult {
    let callback_at = a.callback_at.as_deref().map(callback_time).transpose()?;
    let agent = a.agent.agent(ctx).await?;
    let disposition = Disposition {
        code: a.disposition.clone(),
        comments: a.comment.clone(),
        callback_at,
        pause_after: a.pause_after.clone(),
        // A disposition from the command line is most often the way out of a stuck ACW.
        auto_release: !a.keep_acw,
    };
    let r = agent.dispose(&a.ucid, disposition).await?;
    let out = &ctx.out;
    out.result(&r, || {
        let (what, colour, message) = match &r {
            DispositionOutcome::Queued { message } => {
                ("queued (applied when the call ends)", GREEN, message)
            }
            DispositionOutcome::Saved { message } => ("saved", GREEN, message),
            DispositionOutcome::AlreadyDisposed { message } => {
                ("already disposed (unchanged)", YELLOW, message)
            }
        };
        format!(
            "call {}: {} {} ({message})",
            a.ucid.trim(),
            crate::profile::quote(&a.disposition),
            out.paint(colour, what)
        )
    })
}

/// `--callback-at`: `YYYY-MM-DD HH:MM`, or with seconds (dropped), a `T` accepted.
fn callback_time(text: &str) -> CliResult<NaiveDateTime> {
    let trimmed = text.trim();
    let spaced = trimmed.replacen('T', " ", 1);
    if let Ok(t) = NaiveDateTime::parse_from_str(&spaced, "%Y-%m-%d %H:%M") {
        return Ok(t);
    }
    parse_local_date_time(trimmed, "--callback-at").map_err(|_| {
        CliError::usage(format!(
            "--callback-at is {}; use account-local time as YYYY-MM-DD HH:MM",
            crate::profile::quote(text)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_times() {
        let t = callback_time("2030-01-02 09:30").unwrap();
        assert_eq!(t.format("%Y-%m-%d %H:%M").to_string(), "2030-01-02 09:30");
        assert_eq!(callback_time("2030-01-02T09:30").unwrap(), t);
        assert_eq!(
            callback_time("2030-01-02 09:30:00")
                .unwrap()
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2030-01-02 09:30"
        );
        for bad in ["", "tomorrow", "02/01/2030 09:30", "2030-01-02"] {
            let e = callback_time(bad).unwrap_err();
            assert_eq!(e.code, 2);
            assert!(e.message.contains("--callback-at"), "{}", e.message);
        }
    }
}
