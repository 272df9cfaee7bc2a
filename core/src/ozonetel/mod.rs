//! Ozonetel CloudAgent: call control, transfers, recording, missed calls, call history, and
//! the agent desk (login, Ready/Pause, manual dial, disposition, event webhooks).
//!
//! One [`Client`] per account. Wire facts and quirks it handles: token single-flight and the
//! 10-an-hour generation budget, GET-with-JSON-body reports, `Record.php`'s nested success,
//! status spellings, UCIDs above 2^53, the CDR same-day/15-day/2-a-minute rules.

mod account;
mod account_store;
mod agent;
mod builder;
mod call_control;
mod client;
mod desk;
pub(crate) mod envelope;
mod events;
pub(crate) mod ids;
mod pacer;
mod phone;
mod recording;
#[cfg(feature = "redis")]
mod redis_store;
pub(crate) mod reports;
mod token;
mod transfer;
mod transport;
mod watcher;

pub use crate::local_time::{parse_local_date, parse_local_date_time};
pub use account_store::{AccountStore, MemoryAccountStore, StoredToken};
pub use agent::{Agent, AgentRef};
pub use builder::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_EVENTS_BASE_URL};
pub use call_control::{CallAction, CallControlResponse};
pub use client::{AuthMode, Client};
pub use desk::{
    AgentStateResponse, Dial, DialOptions, Disposition, DispositionOutcome, ForceReady,
    LoginOutcome, LoginResponse, PhoneDialOptions,
};
#[cfg(feature = "redis")]
pub use events::RedisSidecarStore;
pub use events::{
    AgentEvent, CallEvent, CallEventAction, DisplacedAgent, Event, EventKind, EventSubscriptions,
    EventTime, EventUrls, ForwardPolicy, MAX_ROUTING_ID_CHARS, MAX_SIDECAR_AGENTS, MAX_SIDECAR_TTL,
    MIN_SIDECAR_TTL, MemorySidecarStore, MonitorUcid, Registration, SidecarEntry, SidecarRegistry,
    SidecarRoute, SidecarStore, SubscriptionResponse,
};
pub use phone::{Region, normalize_phone};
pub use recording::RecordingResponse;
#[cfg(feature = "redis")]
pub use redis_store::RedisAccountStore;
pub use reports::{
    AbandonedCall, AbandonedCallsQuery, CALL_RECORD_FIELDS, CDR_MAX_DAYS_BACK, CDR_MAX_PAGE_SIZE,
    CallRecord, CallRecordsQuery, CdrPage, CdrProgress, hms_duration,
};
pub use token::TOKEN_GENERATIONS_PER_HOUR;
pub use transfer::{Transfer, TransferMode, TransferState};
pub use transport::{MAX_RESPONSE_BYTES, RetryPolicy};
pub use watcher::{MissedCallWatcher, WatchOptions};
