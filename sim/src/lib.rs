//! Local stand-ins for Ozonetel CloudAgent, Deepgram live speech-to-text and OpenAI chat
//! completions, on one port of 127.0.0.1, with the real services' rules and quirks.
//!
//! It is a real server, not a mock object: clients talk HTTP and WebSocket to it, and when a
//! client is wrong the simulator says so the way the real service would. Tests inspect and steer
//! it through the [`Simulator`] handle (or over HTTP under `/sim/…` for non-Rust tests).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use helix_engage_sim::{NewCall, Simulator};
//!
//! let sim = Simulator::start().await?;
//! let call = sim.seed_call(NewCall::default()).expect("seeded");
//! assert!(sim.ozonetel_url().starts_with("http://127.0.0.1:"));
//! assert!(sim.deepgram_url().starts_with("ws://127.0.0.1:")); // client appends /v1/listen
//! assert!(sim.openai_url().ends_with("/v1")); // client POSTs {base}/chat/completions
//! assert_eq!(sim.call(&call.ucid).map(|c| c.participants.len()), Some(2));
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Paths
//!
//! | Service  | Base URL                     | Paths |
//! |----------|------------------------------|-------|
//! | Ozonetel | `http://127.0.0.1:PORT`      | `/ca_apis/CAToken/generateToken`, `/ca_apis/CallControl_V4`, `/CAServices/Call/Record.php`, `/ca_apis/abandonCalls`, `/ca_reports/fetchCDRDetails`, `/ca_reports/fetchCdrByUCID`, `/ca_reports/fetchCdrByPagination`, `/CAServices/AgentAuthenticationV2/index.php`, `/ca_apis/changeAgentState`, `/ca_apis/AgentManualDial`, `/ca_apis/PhoneManualDial`, `/ca_apis/DispositionAPIV2` |
//! | Ozonetel events (`subscription.ozonetel.com`) | `http://127.0.0.1:PORT` (the same port) | `/events/subscribe`, `/events/subscriptions/list`, `/events/un-subscribe` |
//! | Deepgram | `ws://127.0.0.1:PORT`        | `/v1/listen` |
//! | OpenAI   | `http://127.0.0.1:PORT/v1`   | `/chat/completions` |
//! | Control  | `http://127.0.0.1:PORT/sim`  | below |
//!
//! # Control API (`/sim/…`, JSON)
//!
//! | Method & path | Does |
//! |---|---|
//! | `GET /sim/health` | `{"ok":true,"ozonetel":…,"events":…,"deepgram":…,"openai":…}` |
//! | `GET`/`POST /sim/accounts` | list / add an [`Account`] (`{"userName","apiKey","mode":"TOKEN_AUTH"\|"BASIC_AUTH","region":"india"\|"international","campaigns":[]}`) |
//! | `GET`/`POST /sim/calls` | list live calls / seed a [`NewCall`] → 201 [`CallSnapshot`] (`ucid` is a string) |
//! | `GET /sim/calls/{ucid}` | a live or ended call (participants with `on_hold`/`muted`, `recording_paused`), 404 if unknown |
//! | `POST /sim/calls/{ucid}/end` | end it (`{"at":"YYYY-MM-DD HH:MM:SS"?,"hangup_by"?}`): answered → CDR, unanswered → CDR + abandoned |
//! | `POST /sim/history` | seed one [`PastCall`] or a list → `{"ucids":[…]}` |
//! | `GET /sim/cdr/{user}`, `GET /sim/abandoned/{user}` | the stored history as the reports serve it (all days) |
//! | `GET /sim/tokens/{user}` | [`TokenInfo`]: generations (total, last hour), current token and expiry |
//! | `GET`/`POST /sim/agents` | list [`AgentSnapshot`]s / add (or replace, logged out) an [`Agent`] (`{"account"?,"agent_id","password","name"?,"phone_name","phone_number","campaigns":[],"mode":"manual"\|"blended"\|"inbound"}`) → 201 |
//! | `GET /sim/agents/{user}/{agent_id}` | one agent and its `state` (`{"state":"logged_out"\|"ready"\|"pause","reason"\|"busy","ucid"\|"acw","ucid"}`), 404 if unknown |
//! | `GET`/`POST /sim/dial` | how dialled customers behave, [`DialConfig`] `{"answer_after_ms":200,"customer":"answer"\|"no_answer"\|"busy"}` (omitted fields kept) |
//! | `GET /sim/events/deliveries` | every event POST made, [`EventDelivery`] (`kind`, `url`, `body`, `attempts`, `status`, `delivered`, `error`) |
//! | `GET`/`POST`/`DELETE /sim/faults` | list / arm `{"endpoint","fault":{"kind",…},"times":"once"\|"always"\|N}` / clear |
//! | `GET /sim/clock`, `POST /sim/clock/advance` `{"secs"?,"ms"?}`, `POST /sim/clock/set` `{"now_local"?,"now_utc"?,"frozen"?}` | the simulated clock |
//! | `GET`/`DELETE /sim/requests` | Ozonetel requests received / clear all recordings |
//! | `GET /sim/openai/requests` | OpenAI requests received |
//! | `GET /sim/deepgram/sessions` | [`DeepgramSession`]s (without raw audio) |
//! | `PUT /sim/deepgram/scripts/{name}`, `PUT /sim/deepgram/script` | register a [`Script`] / set the default one; the body is a script (`{"turns":[…]}`) or a ready-made one by name, `{"builtin":"hinglish"}` ([`BUILTIN_SCRIPTS`]) |
//! | `POST /sim/deepgram/config` `{"idle_timeout_ms"}` | the `NET-0001` idle timeout for new connections |
//! | `POST /sim/deepgram/drop` | drop every open Deepgram socket now (no close frame) → `{"dropped":n}` |
//!
//! # Where the real services are silent, the simulator chose
//!
//! - 11th token in a rolling hour: `{"status":"false","message":"Token generation limit exceeded.
//!   Only 10 tokens can be generated per hour","data":null}`; the refused attempt does not count
//!   and the current token stays valid. BASIC_AUTH accounts may generate tokens, but their API
//!   calls only look at the `apiKey` header.
//! - A token both superseded and expired answers `Token Expired` (expiry is checked first).
//! - Wrong key / unknown user: CallControl `Invalid userName or apiKey` (status `false`),
//!   abandonCalls `Invalid User Details`, CDR `Missing userName or apiKey`.
//! - Non-JSON body or a non-string CallControl field: `{"status":"false","message":"Invalid Json
//!   Pass Valid Json"}`. Unknown action: `{"status":"Error","message":"Invalid action"}`.
//!   KICK_CALL/HOLD/… naming a number not in the call: `Conference number is not part of the
//!   call`; CONFERENCE of a number already in it: `Conference number is already part of the
//!   call`. KICK_CALL of the customer, or leaving the customer alone, ends the call.
//! - abandonCalls bad time: `Invalid fromTime format. Please pass the time in the format
//!   yyyy-MM-dd HH:mm:ss` (status `false`).
//! - CDR: `fromDate and toDate should be on the same day`, `fromDate should not be greater than
//!   toDate`, fetchCdrByUCID without ucid `Missing ucid` (all status `fail`); a third request
//!   within 60 s of the account's simulated time: HTTP 429, `Retry-After` seconds,
//!   `{"status":"fail","message":"Rate limit exceeded. Only 2 requests per minute are allowed"}`
//!   (refused requests do not count; the three CDR endpoints share the budget).
//! - The agent desk. The default account `acme` has two agents (fake credentials of the
//!   simulator): `agent1` / `sim-agent1-pass` (blended, phone name `523590`, number
//!   `9123456780`, campaigns `Inbound_918041763265` and `Outbound_918041763265`) and `agent2` /
//!   `sim-agent2-pass` (manual, `523591`, `9123456781`, `Outbound_918041763265`); both start
//!   logged out. Login lands in Ready (so logout + login is the desk's "force ready"); a dial or
//!   an incoming (seeded) call makes a logged-in agent BUSY; the call's end ACW; a disposition
//!   ends ACW (Ready, or Pause with `pauseAfterDispose` and a reason); logout works from any
//!   state. A disposition set during the call is queued and applied at its end, so the agent
//!   skips ACW. The account's pause reasons (`pauseReasons`) default to Break, Lunch, Meeting,
//!   Training, Ward Round; its `dispositions` to a hospital desk's list (`Appointment Booked`,
//!   `General Enquiry`, …); both can be set on `POST /sim/accounts`.
//! - AgentAuthenticationV2: a login without a 10–15 digit `phoneNumber` answers `Please provide
//!   a valid phoneNumber`, an unknown action `action should be either login or logout` (status
//!   `error`). changeAgentState: an unknown agent `Invalid agentId`; `state` is read
//!   case-insensitively; an empty `pauseReason` pauses without a reason, a non-empty one must be
//!   in the account's list; a bad key `userName or apiKey is Invalid` (status `error`).
//! - AgentManualDial / PhoneManualDial: a bad key `Invalid User Details` (status `false`); a
//!   customer number without 10–15 digits `Invalid customerNumber` / `Invalid custNumber`
//!   (status `Fail`); PhoneManualDial finds the agent by `phoneName` (`Invalid phoneName`), needs
//!   no login, refuses a BUSY/ACW agent with `checkStatus` true (`Agent is busy`), ends the call
//!   `callLimit` real seconds after the answer. A dialled call's customer answers after
//!   `answer_after_ms` real milliseconds (default 200), or the call ends unanswered (`DialStatus`
//!   `NoAnswer` / `Busy`) as `POST /sim/dial` chose.
//! - DispositionAPIV2: `pauseAfterDispose` absent counts as false (the reference calls `true` the
//!   default, which would make every plain disposition need a reason); flags may be JSON bools
//!   or text; an unknown call or a DID not its own `Invalid ucid or did`; a bad `callBackTime`
//!   `Invalid callBackTime. Please pass it in the format YYYY-MM-DD HH:MM`; `autoRelease` false
//!   keeps the agent in ACW after saving; `action=get` answers `{"status":"Success","details":[codes…]}`.
//! - Events: `ucid` is the call's UCID (AgentManualDial's answer, CallControl's `ucid`, the CDR
//!   record's `UCID`); `monitor_ucid` is the monitor id (the CDR filter `monitorUCID`,
//!   abandonCalls' `monitorUCID`), another number for dialled calls (equal to `ucid` for seeded
//!   ones). Agent events carry `eventType` "Agent", `username`, `agent_id`, `agent_name`,
//!   `action` (Login|Ready|Pause|Busy|ACW|Logout), `agent_state`, `pause_reason`, `phone_name`,
//!   `agent_number`, `ucid`, `event_time`, `eventTime` (the reference does not list them).
//!   Subscriptions answer plain text; a bad key is HTTP 401 `Unauthorized`; a body without an
//!   http(s) URL is HTTP 400. Events are POSTed in the background, in order per URL, 2 s timeout,
//!   3 tries.
//! - fetchCdrByPagination: `pageNo` (default 1) and `pageSize` (default 100, at most 500), as
//!   numbers or digit text; answers `{"status":"success","details":[…],"totalCount":N,
//!   "pageNo":…,"pageSize":…}`; every second record of a page spells `TransferTo` instead of
//!   `TransferredTo`, and unanswered records have null `HandlingTime` and `WrapupDuration`. Bad
//!   page fields: `pageNo should be a positive number`, `pageSize should be a number between 1
//!   and 500` (status `fail`).
//! - Deepgram 400s: `Invalid query string: …`, `utterance_end_ms requires interim_results=true`,
//!   `Unknown sim_script '<name>'`; `Authorization: Bearer <key>` is accepted like `Token <key>`.
//! - Reconnects: the script plays by audio bytes received, from 0 on every connection. A client
//!   that replays audio from mid-call after a reconnect can pass `sim_timecode=true` with audio
//!   whose samples carry their position ([`deepgram::TIMECODE_PARAM`]) so the new connection
//!   hears the words that are really in that audio, as Deepgram would. A later jump in the
//!   audio's position (the client sent nothing through a private stretch, then resumed) is a
//!   gap: turns said inside it are never played, a turn it cuts keeps its earlier words, later
//!   turns play in connection time; [`DeepgramSession::timecode_gaps`] lists the gaps.
//! - Scripts: besides [`Script::default_conversation`] (English) there is
//!   [`Script::hinglish_conversation`], a hospital call in Hindi and English (Latin script)
//!   with a policy number and a medical emergency; a connection picks it with
//!   `sim_script=hinglish` ([`HINGLISH_SCRIPT`]; a script registered under that name wins), or
//!   it becomes the default with [`SimulatorBuilder::default_script`] or `PUT
//!   /sim/deepgram/script {"builtin":"hinglish"}`.
//! - Deepgram `redact` ([`deepgram::redact`]): `pci`, `pii`, `phi`, `numbers` (`true`,
//!   `aggressive_numbers`), `false`, repeated or as comma lists; anything else is a 400
//!   (`Invalid query string: unsupported 'redact' value …`). Entity redaction applies only
//!   when `language` is English (`en`, `en-*`) or unset, as Deepgram's hosted streaming does;
//!   numbers in every language. [`DeepgramSession::redact_requested`] and
//!   [`DeepgramSession::redact_applied`] record both; tags are `[NUMBER]` and
//!   `[CREDIT_CARD_1]`-style, numbered per entity type.
//! - Deepgram `language=multi` is taken with `nova-3` / `nova-3-general` only (any other model:
//!   400 `No such model/language/tier combination found: language=multi …`), with any
//!   `endpointing`; [`DeepgramSession::language`] records the language.
//! - OpenAI schema names: `agent_suggestions` answers carry `sentiment`
//!   (`positive|neutral|negative|angry`) and `escalation` (`null` or `{reason, detail}`:
//!   `medical_emergency` > `supervisor_requested` > `angry_customer`, from the `Customer:`
//!   lines; a medical emergency puts a `next_step` "Ask the caller to dial 108 …" first);
//!   `call_summary` answers `summary`, `reason`, `outcome`, `followUps`, `sentiment`,
//!   `suggestedDisposition` (the schema's enum value sharing most words with the transcript,
//!   or null) and `confidence` (0.9 all its words said, 0.5 some, 0.0 none). Word lists and
//!   rules are in the `openai` module's `signals.rs` and `named.rs`. Other names are answered
//!   from the schema generically.

pub mod clock;
mod control;
pub mod deepgram;
mod error;
pub mod faults;
mod intake;
mod openai;
pub mod ozonetel;
mod record;
mod sha256;
mod shared;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clock::SimClock;
pub use deepgram::{BUILTIN_SCRIPTS, DeepgramSession, HINGLISH_SCRIPT, Script, Turn};
pub use error::SimError;
pub use faults::{ArmedFault, Endpoint, Fault, Times};
pub use ozonetel::{
    Account, Agent, AgentMode, AgentSnapshot, AgentState, AuthMode, CallSnapshot, CustomerResponse,
    DialConfig, EventDelivery, EventKind, NewCall, Participant, PartyRole, PastCall, PhoneRegion,
    TokenInfo,
};
pub use record::RecordedRequest;

use faults::{FaultBook, lock};
use ozonetel::state::OzState;
use shared::Shared;

/// The default account's `userName`.
pub const DEFAULT_USER_NAME: &str = "acme";
/// The default account's API key.
pub const DEFAULT_API_KEY: &str = "sim-api-key";
/// The first default agent's id (blended, phone name `523590`, number `9123456780`).
pub const DEFAULT_AGENT_ID: &str = "agent1";
/// The first default agent's password (a fake credential of the simulator).
pub const DEFAULT_AGENT_PASSWORD: &str = "sim-agent1-pass";
/// The second default agent's id (manual mode, phone name `523591`, number `9123456781`).
pub const SECOND_AGENT_ID: &str = "agent2";
/// The second default agent's password (a fake credential of the simulator).
pub const SECOND_AGENT_PASSWORD: &str = "sim-agent2-pass";
/// The default account's inbound campaign.
pub const INBOUND_CAMPAIGN: &str = "Inbound_918041763265";
/// The default account's outbound (manual dial) campaign.
pub const OUTBOUND_CAMPAIGN: &str = "Outbound_918041763265";

/// The Deepgram API key the simulator accepts (`Authorization: Token sim-deepgram-key`).
pub const DEEPGRAM_KEY: &str = "sim-deepgram-key";
/// The OpenAI API key the simulator accepts (`Authorization: Bearer sim-openai-key`).
pub const OPENAI_KEY: &str = "sim-openai-key";

/// Configures a [`Simulator`] before it starts.
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    port: u16,
    accounts: Vec<Account>,
    agents: Vec<Agent>,
    default_account: Option<String>,
    timezone: FixedOffset,
    deepgram_key: String,
    openai_key: String,
    idle_timeout: Duration,
    default_script: Script,
    start_time: Option<DateTime<Utc>>,
    frozen: bool,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            port: 0,
            accounts: vec![
                Account::token(DEFAULT_USER_NAME, DEFAULT_API_KEY)
                    .with_campaign(INBOUND_CAMPAIGN)
                    .with_campaign(OUTBOUND_CAMPAIGN),
            ],
            agents: default_agents(),
            default_account: None,
            timezone: clock::ist(),
            deepgram_key: DEEPGRAM_KEY.into(),
            openai_key: OPENAI_KEY.into(),
            idle_timeout: deepgram::DEFAULT_IDLE_TIMEOUT,
            default_script: Script::default_conversation(),
            start_time: None,
            frozen: false,
        }
    }
}

/// The default account's two agents (see [`DEFAULT_AGENT_ID`], [`SECOND_AGENT_ID`]).
fn default_agents() -> Vec<Agent> {
    vec![
        Agent::new(
            DEFAULT_AGENT_ID,
            DEFAULT_AGENT_PASSWORD,
            "523590",
            "9123456780",
        )
        .with_campaign(INBOUND_CAMPAIGN)
        .with_campaign(OUTBOUND_CAMPAIGN),
        Agent::new(
            SECOND_AGENT_ID,
            SECOND_AGENT_PASSWORD,
            "523591",
            "9123456781",
        )
        .with_campaign(OUTBOUND_CAMPAIGN)
        .with_mode(AgentMode::Manual),
    ]
}

impl SimulatorBuilder {
    /// Port to bind on 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Adds (or replaces, by `userName`) an account.
    pub fn account(mut self, account: Account) -> Self {
        self.accounts.retain(|a| a.user_name != account.user_name);
        self.accounts.push(account);
        self
    }

    /// Adds (or replaces, by account and id) an agent; agents without an account join the
    /// default account.
    pub fn agent(mut self, agent: Agent) -> Self {
        self.agents
            .retain(|a| !(a.agent_id == agent.agent_id && a.account == agent.account));
        self.agents.push(agent);
        self
    }

    /// Starts without the two default agents.
    pub fn no_default_agents(mut self) -> Self {
        self.agents.clear();
        self
    }

    /// The account seeded calls and history belong to when they name none
    /// (default [`DEFAULT_USER_NAME`]).
    pub fn default_account(mut self, user_name: impl Into<String>) -> Self {
        self.default_account = Some(user_name.into());
        self
    }

    /// The accounts' timezone for Ozonetel's local date strings and day rules (default IST).
    pub fn timezone(mut self, tz: FixedOffset) -> Self {
        self.timezone = tz;
        self
    }

    /// The Deepgram key accepted (default [`DEEPGRAM_KEY`]).
    pub fn deepgram_key(mut self, key: impl Into<String>) -> Self {
        self.deepgram_key = key.into();
        self
    }

    /// The OpenAI key accepted (default [`OPENAI_KEY`]).
    pub fn openai_key(mut self, key: impl Into<String>) -> Self {
        self.openai_key = key.into();
        self
    }

    /// Time without audio or KeepAlive before Deepgram closes 1011 `NET-0001` (default 10 s).
    pub fn deepgram_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The script played by Deepgram sessions that do not pick one
    /// (default [`Script::default_conversation`]).
    pub fn default_script(mut self, script: Script) -> Self {
        self.default_script = script;
        self
    }

    /// Starts the simulated clock at this time instead of the system time.
    pub fn start_time(mut self, now: DateTime<Utc>) -> Self {
        self.start_time = Some(now);
        self
    }

    /// Freezes the simulated clock: it moves only when advanced or set.
    pub fn frozen_clock(mut self) -> Self {
        self.frozen = true;
        self
    }

    /// Binds 127.0.0.1 and starts serving.
    pub async fn start(self) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let clock = SimClock::new(self.timezone);
        if let Some(t) = self.start_time {
            clock.set_now(t);
        }
        clock.set_frozen(self.frozen);
        let default_account = self
            .default_account
            .or_else(|| self.accounts.first().map(|a| a.user_name.clone()))
            .unwrap_or_else(|| DEFAULT_USER_NAME.to_string());
        let mut oz = OzState::default();
        for a in self.accounts {
            oz.accounts.insert(a.user_name.clone(), a);
        }
        for agent in self.agents {
            // An agent of an account that is not configured cannot log in anyway: skip it.
            if let Err(e) = oz.add_agent(agent, &default_account) {
                tracing::warn!("simulator: agent not added: {e}");
            }
        }
        let (tx, rx) = watch::channel(false);
        let deliveries = ozonetel::webhook::Deliveries::default();
        oz.events = Some(ozonetel::webhook::start(
            clock.clone(),
            deliveries.clone(),
            rx.clone(),
        ));
        let shared = Arc::new(Shared {
            clock,
            faults: FaultBook::default(),
            oz: Mutex::new(oz),
            dg: Mutex::new(deepgram::DgState::new(
                self.deepgram_key,
                self.default_script,
                self.idle_timeout,
            )),
            openai: Mutex::new(Vec::new()),
            openai_key: self.openai_key,
            deliveries,
            default_account,
            shutdown: rx.clone(),
            addr,
        });
        let app = router(shared.clone());
        let mut stop = rx;
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                faults::stopped(&mut stop).await;
            });
            if let Err(e) = serve.await {
                tracing::warn!("simulator server stopped: {e}");
            }
        });
        Ok(Simulator {
            addr,
            shared,
            shutdown_tx: tx,
            server: Some(server),
        })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(ozonetel::router())
        .route(Endpoint::DeepgramListen.path(), get(deepgram::listen))
        .route(Endpoint::OpenaiChat.path(), post(openai::chat_completions))
        .merge(control::router())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(serde_json::json!({"status": "false", "message": "Not Found"})),
            )
                .into_response()
        })
        .with_state(shared)
}

/// A running simulator. Dropping it stops the server too; [`Simulator::shutdown`] also waits.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Simulator {
    /// Starts a simulator with the defaults on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<Simulator> {
        SimulatorBuilder::default().start().await
    }

    /// A builder for a configured simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Ozonetel base URL, `http://127.0.0.1:PORT` (paths as Ozonetel's, e.g.
    /// `/ca_apis/CallControl_V4`).
    pub fn ozonetel_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Ozonetel's event subscription base URL (`subscription.ozonetel.com` at Ozonetel; here
    /// the same server), for `/events/subscribe`, `/events/subscriptions/list`,
    /// `/events/un-subscribe`.
    pub fn events_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Deepgram WebSocket base URL, `ws://127.0.0.1:PORT`; the client appends `/v1/listen?…`.
    pub fn deepgram_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// OpenAI-compatible base URL, `http://127.0.0.1:PORT/v1`; the client POSTs
    /// `{base}/chat/completions`.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Control API base URL, `http://127.0.0.1:PORT/sim`.
    pub fn control_url(&self) -> String {
        format!("http://{}/sim", self.addr)
    }

    /// The simulated clock (token expiry, token budget, CDR limits and dates read it).
    pub fn clock(&self) -> &SimClock {
        &self.shared.clock
    }

    /// Moves the simulated clock forward.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Sets the simulated clock to a local wall time in the accounts' timezone (IST by default).
    pub fn set_now_local(&self, local: NaiveDateTime) {
        self.shared.clock.set_now_local(local);
    }

    /// Adds or replaces an account.
    pub fn add_account(&self, account: Account) {
        lock(&self.shared.oz)
            .accounts
            .insert(account.user_name.clone(), account);
    }

    /// Seeds a live call; its UCID is in the snapshot.
    pub fn seed_call(&self, call: NewCall) -> Result<CallSnapshot, SimError> {
        let now = self.shared.clock.now();
        let tz = self.shared.clock.timezone();
        let mut state = lock(&self.shared.oz);
        ozonetel::calls::seed_call(&mut state, &self.shared.default_account, now, tz, call)
    }

    /// A call by UCID, live or ended.
    pub fn call(&self, ucid: &str) -> Option<CallSnapshot> {
        let tz = self.shared.clock.timezone();
        let state = lock(&self.shared.oz);
        state
            .calls
            .get(ucid.trim())
            .map(|c| ozonetel::live::snapshot(c, tz, None))
            .or_else(|| state.ended_calls.get(ucid.trim()).cloned())
    }

    /// Every live call.
    pub fn live_calls(&self) -> Vec<CallSnapshot> {
        let tz = self.shared.clock.timezone();
        lock(&self.shared.oz)
            .calls
            .values()
            .map(|c| ozonetel::live::snapshot(c, tz, None))
            .collect()
    }

    /// Ends a live call now (simulated time): answered calls go to the CDR store, unanswered
    /// ones to the CDR store and the abandoned list.
    pub fn end_call(&self, ucid: &str) -> Result<CallSnapshot, SimError> {
        self.end_call_at(ucid, self.shared.clock.now())
    }

    /// Ends a live call at a chosen time (not before it started).
    pub fn end_call_at(&self, ucid: &str, at: DateTime<Utc>) -> Result<CallSnapshot, SimError> {
        let tz = self.shared.clock.timezone();
        let mut state = lock(&self.shared.oz);
        let hangup = if state.calls.get(ucid.trim()).is_some_and(|c| c.answered) {
            "CustomerHangup"
        } else {
            "System"
        };
        ozonetel::calls::end_call(&mut state, ucid, at, hangup, tz)
    }

    /// Adds a finished call to the history directly; returns its UCID.
    pub fn seed_history(&self, call: PastCall) -> Result<String, SimError> {
        let now = self.shared.clock.now_naive_local();
        let mut state = lock(&self.shared.oz);
        ozonetel::reports::seed_history(&mut state, &self.shared.default_account, now, call)
    }

    /// The CDR records of an account as `fetchCDRDetails` would serve them (all days).
    pub fn cdr_records(&self, user_name: &str) -> Vec<serde_json::Value> {
        lock(&self.shared.oz)
            .history
            .iter()
            .filter(|h| h.account == user_name)
            .map(|h| h.cdr_record())
            .collect()
    }

    /// The abandoned-call items of an account as `abandonCalls` would serve them (all days).
    pub fn abandoned_calls(&self, user_name: &str) -> Vec<serde_json::Value> {
        lock(&self.shared.oz)
            .history
            .iter()
            .filter(|h| h.account == user_name && !h.answered)
            .map(|h| h.abandoned_item())
            .collect()
    }

    /// Token bookkeeping for an account.
    pub fn token_info(&self, user_name: &str) -> TokenInfo {
        let now = self.shared.clock.now();
        ozonetel::auth::token_info(&mut lock(&self.shared.oz), user_name, now)
    }

    /// How many tokens an account has generated since the simulator started.
    pub fn token_generations(&self, user_name: &str) -> u64 {
        self.token_info(user_name).generations_total
    }

    /// Adds (or replaces, logged out) an agent.
    pub fn add_agent(&self, agent: Agent) -> Result<AgentSnapshot, SimError> {
        lock(&self.shared.oz).add_agent(agent, &self.shared.default_account)
    }

    /// An agent of an account, with its current state.
    pub fn agent(&self, user_name: &str, agent_id: &str) -> Option<AgentSnapshot> {
        lock(&self.shared.oz)
            .agents
            .get(&(user_name.to_string(), agent_id.to_string()))
            .map(|a| a.snapshot())
    }

    /// Every agent of every account.
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        lock(&self.shared.oz)
            .agents
            .values()
            .map(|a| a.snapshot())
            .collect()
    }

    /// How dialled customers behave from now on (calls already ringing keep theirs).
    pub fn set_dial_config(&self, config: DialConfig) {
        lock(&self.shared.oz).dial = config;
    }

    /// Every call and agent event POST made (or tried), in completion order per URL.
    pub fn event_deliveries(&self) -> Vec<EventDelivery> {
        lock(&self.shared.deliveries).clone()
    }

    /// Every Ozonetel request received, in order.
    pub fn ozonetel_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.oz).requests.clone()
    }

    /// Every OpenAI request received, in order.
    pub fn openai_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.openai).clone()
    }

    /// Forgets recorded Ozonetel and OpenAI requests, Deepgram sessions and event deliveries.
    pub fn clear_recordings(&self) {
        lock(&self.shared.oz).requests.clear();
        lock(&self.shared.openai).clear();
        lock(&self.shared.dg).sessions.clear();
        lock(&self.shared.deliveries).clear();
    }

    /// Arms a fault on an endpoint (after any already armed there).
    pub fn inject_fault(&self, endpoint: Endpoint, fault: Fault, times: Times) {
        self.shared.faults.arm(endpoint, fault, times);
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The faults still armed.
    pub fn faults(&self) -> Vec<ArmedFault> {
        self.shared.faults.list()
    }

    /// How many requests to `endpoint` have been faulted so far.
    pub fn fault_hits(&self, endpoint: Endpoint) -> u64 {
        self.shared.faults.hits(endpoint)
    }

    /// Registers a script that a Deepgram connection selects with `sim_script=<name>`.
    pub fn register_script(&self, name: impl Into<String>, script: Script) -> Result<(), SimError> {
        script.validate().map_err(SimError::InvalidScript)?;
        lock(&self.shared.dg).scripts.insert(name.into(), script);
        Ok(())
    }

    /// Sets the script played by connections that select none.
    pub fn set_default_script(&self, script: Script) -> Result<(), SimError> {
        script.validate().map_err(SimError::InvalidScript)?;
        lock(&self.shared.dg).default_script = script;
        Ok(())
    }

    /// Sets the Deepgram idle timeout (applies to connections opened afterwards).
    pub fn set_deepgram_idle_timeout(&self, timeout: Duration) {
        lock(&self.shared.dg).idle_timeout = timeout;
    }

    /// Drops every Deepgram socket open now, as a network cut does: no close frame, no flushed
    /// results (the sessions end `dropped`). Connections opened afterwards are untouched, so a
    /// test or a soak cuts a call's socket at the moments it chooses, however many times.
    /// Returns how many sockets were open.
    pub fn drop_deepgram_connections(&self) -> usize {
        lock(&self.shared.dg).drop_open()
    }

    /// Every Deepgram connection attempt, in order, with what it received and sent.
    pub fn deepgram_sessions(&self) -> Vec<DeepgramSession> {
        lock(&self.shared.dg).sessions.clone()
    }

    /// The base URLs a person or script needs to aim a client here, in the order
    /// `helix-engage-sim serve` prints them: `ozonetel`, `deepgram`, `openai`, `control`.
    pub fn base_urls(&self) -> [(&'static str, String); 4] {
        [
            ("ozonetel", self.ozonetel_url()),
            ("deepgram", self.deepgram_url()),
            ("openai", self.openai_url()),
            ("control", self.control_url()),
        ]
    }

    /// Listens for SIGINT and SIGTERM (Ctrl-C elsewhere), calls `announce` (print the URLs),
    /// serves until one arrives, then shuts down: what `helix-engage-sim serve` and `helix sim`
    /// do. The listeners are in place before `announce`, so a signal sent as soon as the URLs
    /// are read is not missed. An `announce` error shuts the simulator down and is returned.
    pub async fn serve_until_signal<E>(
        self,
        announce: impl FnOnce(&Simulator) -> Result<(), E>,
    ) -> Result<(), E> {
        let stop = StopSignal::listen();
        let announced = announce(&self);
        if announced.is_ok() {
            stop.wait().await;
        }
        self.shutdown().await;
        announced
    }

    /// Stops the server and waits (bounded) for it to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// SIGINT or SIGTERM (a service manager stops with SIGTERM, a person with Ctrl-C), listened
/// for from [`StopSignal::listen`] on; where those cannot be listened to, Ctrl-C.
struct StopSignal {
    #[cfg(unix)]
    listeners: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    fn listen() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignal {
                listeners: signal(SignalKind::interrupt())
                    .ok()
                    .zip(signal(SignalKind::terminate()).ok()),
            }
        }
        #[cfg(not(unix))]
        StopSignal {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.listeners {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
