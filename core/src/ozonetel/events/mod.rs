//! Event webhooks: the payloads Ozonetel POSTs to the account's call and agent URLs
//! (`payload.rs`), and the subscription API that sets those URLs (`subscription.rs`).
//!
//! Subscriptions are per account, not per campaign: one URL receives every agent's events,
//! and the host routes each to its agent by `agent_id`.

mod payload;
mod subscription;

pub use payload::{AgentEvent, CallEvent, CallEventAction, Event, EventTime, MonitorUcid};
pub use subscription::{EventKind, EventSubscriptions, EventUrls, SubscriptionResponse};
