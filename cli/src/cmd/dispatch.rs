//! `helix events dispatch`: the desk's event dispatcher as a service.
//!
//! Ozonetel's event subscription is per account: one URL receives every agent's call and agent
//! events, while each hospital's sidecar serves only its own agents. Sidecars register the
//! agents they serve in the sidecar registry in Redis (`helix_engage::ozonetel::SidecarRegistry`
//! with a `RedisSidecarStore`: register, heartbeat with a TTL, deregister); this command
//! receives the account's events and forwards each one, body and content type unchanged, to
//! the sidecar serving its `agent_id`.
//!
//! - Ozonetel is answered 200 at once; forwarding is asynchronous, one bounded queue per
//!   sidecar so each sidecar receives its events in the order they arrived.
//! - A failed POST is retried with backoff within bounded tries and time, looking the agent up
//!   again before each retry: a sidecar whose registration expired receives nothing more.
//! - Nothing is dropped silently: unknown agents, events without an agent, another account's
//!   events, unreadable bodies, full queues and failures are each counted (`GET /stats`) and
//!   logged on stderr in one line naming the event kind and agent id — never the caller's
//!   number. A summary line goes to stderr every `--summary-every` seconds, and the final
//!   counters to stdout at shutdown (SIGINT/SIGTERM; exit 0).
//!
//! Files: `dispatch/server.rs` (HTTP), `dispatch/forward.rs` (intake, queues, retries),
//! `dispatch/stats.rs` (counters).

mod forward;
mod server;
mod stats;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Args;
use helix_engage::ozonetel::{ForwardPolicy, RedisSidecarStore, SidecarRegistry};
use tokio::sync::mpsc;

use crate::Ctx;
use crate::exit::{CliError, CliResult};
use forward::Dispatcher;

/// Events accepted and not yet routed, across all sidecars.
const INTAKE_CAPACITY: usize = 10_000;

/// The example, for `-h` and `--help` (a macro: `concat!` takes literals only).
macro_rules! example {
    () => {
        "Example:
  helix events dispatch --port 8088 --bind 0.0.0.0 --redis redis://10.0.0.5:6379/
  helix events subscribe --call-url http://dispatch.local:8088/call \\
      --agent-url http://dispatch.local:8088/agent"
    };
}

/// `helix events dispatch --help`, after the options. (The summary above them is the
/// `events` command's line for this subcommand.)
const HOW_IT_WORKS: &str = concat!(
    "How it works:
  Ozonetel sends every agent's call and agent events to one URL per account. Each sidecar
  registers the agents it serves in Redis (the library's SidecarRegistry: register, heartbeat
  with a TTL, deregister); this forwards each event, body and content type unchanged, to the
  sidecar serving its agent_id.

  Ozonetel gets 200 at once. Each sidecar gets its events in arrival order. A failed POST is
  retried with backoff, the agent looked up again first: a sidecar whose registration expired
  receives nothing more. Events for unknown agents, without an agent or for another account are
  counted and logged on stderr (event kind and agent id only), never dropped silently.
  GET /stats answers the counters as JSON; SIGINT/SIGTERM stop it (exit 0) after a short drain.

",
    example!()
);

/// Receive the account's Ozonetel events and forward each to the sidecar serving its agent.
#[derive(Args, Debug)]
#[command(after_help = example!(), after_long_help = HOW_IT_WORKS)]
pub struct DispatchArgs {
    /// The port to receive events on (0: any free port; the address is printed at start).
    #[arg(long, value_name = "P")]
    pub port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: IpAddr,
    /// The sidecar registry's Redis, `redis://[:password@]host:port[/db]`
    /// [default: the profile's redis_url, else HELIX_REDIS_URL].
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// The registry's key prefix in Redis (the sidecars' prefix).
    #[arg(long, default_value = "helix:ozonetel:", value_name = "PREFIX")]
    pub redis_prefix: String,
    /// The account (Ozonetel user name) whose sidecars receive the events
    /// [default: the profile's user_name, else OZONETEL_USER_NAME].
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Events waiting per sidecar; more are dropped (and counted) until it catches up.
    #[arg(long, default_value_t = 1000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub queue: u32,
    /// Tries per event and sidecar, the first included (1..=20).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_tries: u32,
    /// No retry of an event starts later than this after its first try.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub max_retry_secs: u64,
    /// The first retry's backoff ceiling (doubling, equal jitter).
    #[arg(long, default_value_t = 200, value_name = "MS")]
    pub retry_base_ms: u64,
    /// The largest backoff ceiling.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub retry_max_ms: u64,
    /// Time limit of one POST to a sidecar.
    #[arg(long, default_value_t = 5, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub forward_timeout: u64,
    /// A summary line on stderr this often (0: never); the final counters go to stdout at exit.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub summary_every: u64,
    /// At shutdown, how long queued events may still be delivered.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub drain: u64,
}

pub async fn run(a: DispatchArgs, ctx: &Ctx) -> CliResult {
    let policy = ForwardPolicy {
        max_tries: a.max_tries,
        base_delay: Duration::from_millis(a.retry_base_ms),
        max_delay: Duration::from_millis(a.retry_max_ms),
        max_elapsed: Duration::from_secs(a.max_retry_secs),
    };
    policy.check().map_err(|e| {
        CliError::from(e).with_hint("--max-tries 1..=20, --retry-base-ms ≤ 60000, --retry-max-ms ≤ 600000, --max-retry-secs ≤ 3600")
    })?;
    let account = ctx.account()?;
    let user_name = a
        .account
        .clone()
        .or_else(|| account.profile.user_name.clone())
        .or_else(|| {
            account
                .name
                .is_none()
                .then(|| std::env::var("OZONETEL_USER_NAME").ok())
                .flatten()
        })
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            CliError::config(
                "no account to dispatch for",
                "pass --account NAME (the Ozonetel user name the sidecars registered under), or \
                 set user_name in the profile, or OZONETEL_USER_NAME",
            )
        })?;
    let redis_url = a
        .redis
        .clone()
        .or_else(|| account.profile.redis_url.clone())
        .or_else(|| std::env::var("HELIX_REDIS_URL").ok())
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            CliError::config(
                "no Redis for the sidecar registry",
                "pass --redis redis://host:port/ (the Redis the sidecars register in), or set \
                 redis_url in the profile, or HELIX_REDIS_URL",
            )
        })?;
    let store = RedisSidecarStore::connect_with_prefix(&redis_url, &a.redis_prefix)
        .await
        .map_err(|e| {
            CliError::from(e).with_hint("check --redis: is the sidecars' Redis up and reachable?")
        })?;
    let registry = SidecarRegistry::new(&user_name, store)?;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(a.forward_timeout))
        .connect_timeout(Duration::from_secs(a.forward_timeout.min(5)))
        // A redirected POST would change method or target behind the registry's back.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CliError::io(format!("cannot set up HTTP: {e}")))?;
    let dispatcher = Dispatcher::new(registry, ctx.out.clone(), http, policy, a.queue as usize);

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(a.bind, a.port))
        .await
        .map_err(|e| {
            CliError::io(format!("cannot listen on {}:{}: {e}", a.bind, a.port))
                .with_hint("pick another --port (0: any free one), or stop what holds it")
        })?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::io(format!("cannot read the listening address: {e}")))?;
    // Listening for the signals before the start line: a supervisor that sends SIGTERM right
    // after it must get a clean stop, not the default kill.
    let stop = shutdown_signal()?;
    let listening = format!("http://{local}");
    let location = dispatcher.registry.location();
    ctx.out.result(
        &serde_json::json!({
            "listening": listening,
            "account": user_name,
            "registry": location,
        }),
        || {
            format!(
                "dispatching {}'s events received on {listening} (sidecar registry {location}); \
                 GET {listening}/stats for the counters",
                crate::profile::quote(&user_name)
            )
        },
    )?;

    let (intake_tx, intake_rx) = mpsc::channel(INTAKE_CAPACITY);
    let intake = tokio::spawn(std::sync::Arc::clone(&dispatcher).intake(intake_rx));
    let summaries = (a.summary_every > 0).then(|| {
        let d = std::sync::Arc::clone(&dispatcher);
        let every = Duration::from_secs(a.summary_every);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                d.log(&d.stats.snapshot().line());
            }
        })
    });

    let app = server::router(server::AppState {
        dispatcher: std::sync::Arc::clone(&dispatcher),
        intake: intake_tx,
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await;
    // The router (and with it the intake's last sender) is gone: the intake routes what it
    // still holds and ends, then the sidecar queues drain.
    let grace = Duration::from_secs(a.drain);
    let mut intake = intake;
    if tokio::time::timeout(grace, &mut intake).await.is_err() {
        intake.abort();
    }
    dispatcher.drain(grace).await;
    if let Some(s) = summaries {
        s.abort();
    }
    let snapshot = dispatcher.stats.snapshot();
    ctx.out.result(
        &serde_json::json!({ "stopped": true, "stats": snapshot }),
        || format!("stopped: {}", snapshot.line()),
    )?;
    served.map_err(|e| CliError::io(format!("the event receiver failed: {e}")))
}

/// SIGINT (Ctrl-C) or SIGTERM, registered now; the future resolves at the first of them.
fn shutdown_signal() -> CliResult<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| CliError::io(format!("cannot listen for SIGTERM: {e}")))?;
        let mut int = signal(SignalKind::interrupt())
            .map_err(|e| CliError::io(format!("cannot listen for SIGINT: {e}")))?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
