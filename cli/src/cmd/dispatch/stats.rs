//! The dispatcher's counters: what `GET /stats` answers and the summary lines print.
//!
//! Every event that arrives ends in exactly one outcome counter (`forwarded`, `unknown_agent`,
//! `no_agent`, `other_account`, `invalid`, `failed`, `expired`, `dropped_*`), except while it
//! waits (`queued`) or after it moved to another sidecar (`rerouted`, then one of those again).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use serde::Serialize;

/// One counter per outcome; all relaxed atomics (they are read only for reporting).
#[derive(Debug, Default)]
pub struct Stats {
    pub received: AtomicU64,
    pub forwarded: AtomicU64,
    pub retries: AtomicU64,
    pub failed: AtomicU64,
    pub unknown_agent: AtomicU64,
    pub no_agent: AtomicU64,
    pub other_account: AtomicU64,
    pub invalid: AtomicU64,
    pub expired: AtomicU64,
    pub rerouted: AtomicU64,
    pub registry_errors: AtomicU64,
    pub dropped_queue_full: AtomicU64,
    pub dropped_intake_full: AtomicU64,
    pub dropped_shutdown: AtomicU64,
    /// Events accepted and not yet finished (in the intake or a sidecar queue, or in flight).
    pub queued: AtomicI64,
    per_sidecar: Mutex<BTreeMap<String, SidecarCounts>>,
}

/// Per sidecar id.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SidecarCounts {
    pub forwarded: u64,
    pub failed: u64,
    pub dropped: u64,
}

/// What `GET /stats` answers.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub received: u64,
    pub forwarded: u64,
    pub retries: u64,
    pub failed: u64,
    pub unknown_agent: u64,
    pub no_agent: u64,
    pub other_account: u64,
    pub invalid: u64,
    pub expired: u64,
    pub rerouted: u64,
    pub registry_errors: u64,
    pub dropped_queue_full: u64,
    pub dropped_intake_full: u64,
    pub dropped_shutdown: u64,
    pub queued: i64,
    pub sidecars: BTreeMap<String, SidecarCounts>,
}

pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    /// Counts one outcome for `sidecar_id`.
    pub fn sidecar(&self, sidecar_id: &str, f: impl FnOnce(&mut SidecarCounts)) {
        let mut map = self.per_sidecar.lock().unwrap_or_else(|p| p.into_inner());
        f(map.entry(sidecar_id.to_string()).or_default());
    }

    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            received: get(&self.received),
            forwarded: get(&self.forwarded),
            retries: get(&self.retries),
            failed: get(&self.failed),
            unknown_agent: get(&self.unknown_agent),
            no_agent: get(&self.no_agent),
            other_account: get(&self.other_account),
            invalid: get(&self.invalid),
            expired: get(&self.expired),
            rerouted: get(&self.rerouted),
            registry_errors: get(&self.registry_errors),
            dropped_queue_full: get(&self.dropped_queue_full),
            dropped_intake_full: get(&self.dropped_intake_full),
            dropped_shutdown: get(&self.dropped_shutdown),
            queued: self.queued.load(Ordering::Relaxed).max(0),
            sidecars: self
                .per_sidecar
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

impl Snapshot {
    /// One line for people.
    pub fn line(&self) -> String {
        let dropped = self.dropped_queue_full + self.dropped_intake_full + self.dropped_shutdown;
        format!(
            "received {}, forwarded {}, unknown agent {}, no agent {}, other account {}, \
             invalid {}, failed {}, expired {}, dropped {dropped}, retries {}, rerouted {}, \
             registry errors {}, queued {}",
            self.received,
            self.forwarded,
            self.unknown_agent,
            self.no_agent,
            self.other_account,
            self.invalid,
            self.failed,
            self.expired,
            self.retries,
            self.rerouted,
            self.registry_errors,
            self.queued
        )
    }
}
