//! `helix events listen|subscribe|list|unsubscribe|dispatch`: a local receiver that prints
//! each call and agent event as it arrives (for checking a subscription), the account's
//! subscription (Ozonetel keeps one per account: one call URL and one agent URL for every
//! agent), and the dispatcher (`dispatch.rs`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use clap::{Args, Subcommand, ValueEnum};
use helix_engage::ozonetel::{
    CallEventAction, Event, EventKind, EventSubscriptions, EventUrls, SubscriptionResponse,
};

use crate::Ctx;
use crate::exit::{CliError, CliResult};
use crate::output::{CYAN, Out, YELLOW};

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// A local receiver: prints each call and agent event POSTed to it, as it arrives.
    Listen(ListenArgs),
    /// Point the account's call and agent events at two URLs (replaces the current ones).
    Subscribe(SubscribeArgs),
    /// The account's current subscription.
    List,
    /// Stop the account's call events, agent events, or both.
    Unsubscribe(UnsubscribeArgs),
    /// The desk's event dispatcher: one subscription URL for the account, each event forwarded
    /// to the sidecar that serves its agent.
    Dispatch(super::dispatch::DispatchArgs),
}

#[derive(Args, Debug)]
#[command(after_help = "\
Answers 200 to every event it can read (JSON or form bodies, on any path) and prints it; \
--json prints each as one JSON line. Ctrl-C stops it. To check a subscription end to end, \
expose the port (a tunnel) and subscribe its URLs:
  helix events listen --port 8088
  helix events subscribe --call-url https://TUNNEL/call --agent-url https://TUNNEL/agent")]
pub struct ListenArgs {
    /// Port to listen on (0: any free port, printed on stderr).
    #[arg(long)]
    pub port: u16,
    /// Address to bind (127.0.0.1 keeps it on this machine; 0.0.0.0 for every interface).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
}

#[derive(Args, Debug)]
pub struct SubscribeArgs {
    /// Where Ozonetel POSTs call events (http or https).
    #[arg(long, value_name = "URL")]
    pub call_url: String,
    /// Where Ozonetel POSTs agent events (http or https).
    #[arg(long, value_name = "URL")]
    pub agent_url: String,
}

#[derive(Args, Debug)]
pub struct UnsubscribeArgs {
    /// Which events to stop.
    #[arg(value_enum)]
    pub kind: Kind,
}

/// `unsubscribe call|agent|both`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    Call,
    Agent,
    Both,
}

pub async fn run(a: EventsArgs, ctx: &Ctx) -> CliResult {
    match a.command {
        EventsCommand::Listen(l) => listen(l, ctx).await,
        EventsCommand::Subscribe(s) => subscribe(s, ctx).await,
        EventsCommand::List => list(ctx).await,
        EventsCommand::Unsubscribe(u) => unsubscribe(u, ctx).await,
        EventsCommand::Dispatch(d) => super::dispatch::run(d, ctx).await,
    }
}

async fn subscribe(a: SubscribeArgs, ctx: &Ctx) -> CliResult {
    let client = ctx.account()?.client(&ctx.out).await?;
    let answer = client
        .subscribe_events(&EventUrls {
            call: a.call_url,
            agent: a.agent_url,
        })
        .await?;
    ctx.out.result(&answer, || answer.message.clone())
}

async fn list(ctx: &Ctx) -> CliResult {
    let client = ctx.account()?.client(&ctx.out).await?;
    let subs = client.event_subscriptions().await?;
    let shown = subs.clone().unwrap_or_default();
    ctx.out.result(&shown, || match &subs {
        None => "No event subscription for this account.".to_string(),
        Some(EventSubscriptions { call, agent }) => {
            let url = |u: &Option<String>| u.clone().unwrap_or_else(|| "-".into());
            ctx.out
                .render_table(
                    &["EVENTS", "URL"],
                    &[
                        vec!["call".into(), url(call)],
                        vec!["agent".into(), url(agent)],
                    ],
                )
                .trim_end()
                .to_string()
        }
    })
}

async fn unsubscribe(a: UnsubscribeArgs, ctx: &Ctx) -> CliResult {
    let kind = match a.kind {
        Kind::Call => EventKind::Call,
        Kind::Agent => EventKind::Agent,
        Kind::Both => EventKind::Both,
    };
    let client = ctx.account()?.client(&ctx.out).await?;
    let answer: SubscriptionResponse = client.unsubscribe_events(kind).await?;
    ctx.out.result(&answer, || {
        if answer.changed {
            answer.message.clone()
        } else {
            format!("There was no subscription to remove ({}).", answer.message)
        }
    })
}

async fn listen(a: ListenArgs, ctx: &Ctx) -> CliResult {
    let addr = SocketAddr::new(a.bind, a.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        CliError::io(format!("cannot listen on {addr}: {e}"))
            .with_hint("pick another --port, or 0 for any free one")
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::io(format!("cannot read the bound address: {e}")))?;
    ctx.out.note(&format!(
        "listening for events on http://{bound} (any path; Ctrl-C to stop)"
    ));
    let app = Router::new().fallback(receive).with_state(ctx.out.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::io(format!("the receiver stopped: {e}")))
}

/// One delivery: read by the library, printed, answered 200; what is no event is a 400 and a
/// warning (never echoed whole: it may hold a caller's number).
async fn receive(
    State(out): State<Out>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let event = match Event::parse(content_type, &body) {
        Ok(event) => event,
        Err(e) => {
            out.note(&out.paint(
                YELLOW,
                &format!(
                    "warning: {} sent something that is not an event: {e}",
                    uri.path()
                ),
            ));
            return StatusCode::BAD_REQUEST;
        }
    };
    let printed = out.result(&event, || {
        let line = format!("{} {}", uri.path(), describe(&event));
        out.paint(CYAN, &printable(&line))
    });
    match printed {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `text` with control characters shown as `\u{..}` escapes: whoever can reach the port
/// decides what the fields hold, and must not be able to drive the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One line for people: what happened, to which call or agent (no caller's number).
fn describe(event: &Event) -> String {
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    match event {
        Event::Call(e) => {
            let action = match &e.action {
                CallEventAction::Calling => "Calling".to_string(),
                CallEventAction::Answered => "Answered".to_string(),
                CallEventAction::Disconnect => "Disconnect".to_string(),
                CallEventAction::Other(other) => other.clone(),
            };
            format!(
                "call {action} · UCID {} · agent {} · {} · at {}",
                or_dash(&e.ucid),
                or_dash(&e.agent_id),
                or_dash(&e.call_type),
                or_dash(&e.occurred_at.raw),
            )
        }
        Event::Agent(e) => format!(
            "agent {} {} · at {}",
            or_dash(&e.agent_id),
            or_dash(&e.action),
            or_dash(&e.occurred_at.raw),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let event = Event::parse(
            "application/json",
            br#"{"eventType":"Agent","agent_id":"a\u001b[2J","action":"Ready\r"}"#,
        )
        .unwrap();
        let line = printable(&describe(&event));
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.contains("a\\u{1b}[2J"), "{line}");
    }
}
