//! Event webhooks: the payloads Ozonetel POSTs to the account's call and agent URLs
//! (`payload.rs`), the subscription API that sets those URLs (`subscription.rs`), and the
//! registry of which sidecar serves which agents (`routing.rs`, in Redis `routing_redis.rs`).
//!
//! Subscriptions are per account, not per campaign: one URL receives every agent's events,
//! and the host routes each to its agent by `agent_id` — through the sidecar registry when
//! each sidecar serves only some agents.

mod payload;
mod routing;
#[cfg(feature = "redis")]
mod routing_redis;
mod subscription;

pub use payload::{AgentEvent, CallEvent, CallEventAction, Event, EventTime, MonitorUcid};
pub use routing::{
    DisplacedAgent, ForwardPolicy, MAX_ROUTING_ID_CHARS, MAX_SIDECAR_AGENTS, MAX_SIDECAR_TTL,
    MIN_SIDECAR_TTL, MemorySidecarStore, Registration, SidecarEntry, SidecarRegistry, SidecarRoute,
    SidecarStore,
};
#[cfg(feature = "redis")]
pub use routing_redis::RedisSidecarStore;
pub use subscription::{EventKind, EventSubscriptions, EventUrls, SubscriptionResponse};
