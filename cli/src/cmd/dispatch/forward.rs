//! Routing and forwarding: the intake (one task, in arrival order) looks each event's agent up
//! in the registry and hands it to its sidecar's queue; one worker per sidecar POSTs its
//! events one at a time, so each sidecar sees them in the order they arrived.
//!
//! A failed POST (connection error, timeout, 408, 429, 5xx) is retried with the library's
//! backoff rule ([`ForwardPolicy`]), bounded by tries and total time, and the agent is looked
//! up again before each retry: a sidecar whose registration expired meanwhile gets nothing
//! more (`expired`), and an agent another sidecar took is handed to that sidecar's queue
//! (`rerouted`). Other 4xx answers are the sidecar refusing the event: not retried (`failed`).
//! The worker waits while it retries, so a later event never overtakes an earlier one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use helix_engage::ozonetel::{ForwardPolicy, SidecarRegistry, SidecarRoute};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::stats::{Stats, bump};
use crate::output::Out;
use crate::profile::quote;

/// A sidecar worker with nothing to do for this long stops (it starts again with the next
/// event for that sidecar), so sidecars that went away leave no task behind.
const IDLE_WORKER: Duration = Duration::from_secs(300);

/// One event as received: the original body and content type, and what routing needs.
#[derive(Debug)]
pub struct Job {
    pub agent_id: String,
    /// `call` or `agent`.
    pub kind: &'static str,
    /// The call's action or the agent's new state, for log lines.
    pub action: String,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Job {
    /// What a log line says about the event: kind, action and agent — never the caller's
    /// number or anything else from the body.
    pub fn describe(&self) -> String {
        describe(self.kind, &self.action, &self.agent_id)
    }
}

/// `call event "Answered" for agent "agent1"`.
pub fn describe(kind: &str, action: &str, agent_id: &str) -> String {
    let action = if action.is_empty() {
        String::new()
    } else {
        format!(" {}", quote(action))
    };
    format!("{kind} event{action} for agent {}", quote(agent_id))
}

struct Delivery {
    url: String,
    job: Job,
}

/// What the intake, the workers and the HTTP handlers share.
pub struct Dispatcher {
    pub registry: SidecarRegistry,
    pub stats: Stats,
    pub out: Out,
    http: reqwest::Client,
    policy: ForwardPolicy,
    queue_capacity: usize,
    queues: Mutex<Queues>,
    closing: AtomicBool,
}

#[derive(Default)]
struct Queues {
    senders: HashMap<String, mpsc::Sender<Delivery>>,
    workers: Vec<JoinHandle<()>>,
}

/// How delivery to one sidecar failed.
struct Failure {
    retryable: bool,
    retry_after: Option<Duration>,
    why: String,
}

impl Dispatcher {
    pub fn new(
        registry: SidecarRegistry,
        out: Out,
        http: reqwest::Client,
        policy: ForwardPolicy,
        queue_capacity: usize,
    ) -> Arc<Self> {
        Arc::new(Dispatcher {
            registry,
            stats: Stats::default(),
            out,
            http,
            policy,
            queue_capacity,
            queues: Mutex::new(Queues::default()),
            closing: AtomicBool::new(false),
        })
    }

    /// A log line on stderr.
    pub fn log(&self, text: &str) {
        self.out.note(&format!("dispatch: {text}"));
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The intake: routes events in arrival order until the channel closes.
    pub async fn intake(self: Arc<Self>, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            self.route(job).await;
        }
    }

    async fn route(self: &Arc<Self>, job: Job) {
        match self.registry.lookup(&job.agent_id).await {
            Ok(Some(route)) => self.enqueue(route, job),
            Ok(None) => {
                bump(&self.stats.unknown_agent);
                self.finish();
                self.log(&format!(
                    "unknown agent: {} (no live sidecar serves it)",
                    job.describe()
                ));
            }
            Err(e) => {
                bump(&self.stats.registry_errors);
                self.finish();
                self.log(&format!("not routed: {}: {e}", job.describe()));
            }
        }
    }

    /// An accepted event is done (whatever happened to it).
    fn finish(&self) {
        self.stats.queued.fetch_sub(1, Ordering::Relaxed);
    }

    /// Puts `job` on `route`'s sidecar queue, starting its worker when it has none.
    fn enqueue(self: &Arc<Self>, route: SidecarRoute, job: Job) {
        let mut q = self.queues();
        if self.closing.load(Ordering::Relaxed) {
            drop(q);
            bump(&self.stats.dropped_shutdown);
            self.finish();
            self.log(&format!("dropped at shutdown: {}", job.describe()));
            return;
        }
        let sidecar_id = route.sidecar_id;
        let mut delivery = Delivery {
            url: route.url,
            job,
        };
        for _ in 0..2 {
            let sender = match q.senders.get(&sidecar_id) {
                Some(s) => s.clone(),
                None => {
                    let (tx, rx) = mpsc::channel(self.queue_capacity);
                    let worker = tokio::spawn(Arc::clone(self).worker(sidecar_id.clone(), rx));
                    q.workers.retain(|w| !w.is_finished());
                    q.workers.push(worker);
                    q.senders.insert(sidecar_id.clone(), tx.clone());
                    tx
                }
            };
            match sender.try_send(delivery) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(d)) => {
                    drop(q);
                    bump(&self.stats.dropped_queue_full);
                    self.stats.sidecar(&sidecar_id, |c| c.dropped += 1);
                    self.finish();
                    self.log(&format!(
                        "dropped: {} (sidecar {}'s queue of {} is full)",
                        d.job.describe(),
                        quote(&sidecar_id),
                        self.queue_capacity
                    ));
                    return;
                }
                // Its worker stopped after idling: start another.
                Err(mpsc::error::TrySendError::Closed(d)) => {
                    q.senders.remove(&sidecar_id);
                    delivery = d;
                }
            }
        }
        drop(q);
        bump(&self.stats.failed);
        self.finish();
        self.log(&format!(
            "not delivered: {} (no worker)",
            delivery.job.describe()
        ));
    }

    async fn worker(self: Arc<Self>, sidecar_id: String, mut rx: mpsc::Receiver<Delivery>) {
        loop {
            let next = tokio::time::timeout(IDLE_WORKER, rx.recv()).await;
            match next {
                Ok(Some(d)) => self.deliver(&sidecar_id, d).await,
                Ok(None) => return,
                Err(_) => {
                    // Retire only when nothing arrived meanwhile; enqueue holds the same lock.
                    let mut q = self.queues();
                    if rx.is_empty() {
                        q.senders.remove(&sidecar_id);
                        return;
                    }
                }
            }
        }
    }

    async fn deliver(self: &Arc<Self>, sidecar_id: &str, d: Delivery) {
        let Delivery { mut url, job } = d;
        let started = Instant::now();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let failure = match self.post(&url, &job).await {
                Ok(()) => {
                    bump(&self.stats.forwarded);
                    self.stats.sidecar(sidecar_id, |c| c.forwarded += 1);
                    self.finish();
                    return;
                }
                Err(f) => f,
            };
            let wait = self.policy.wait(tries - 1, failure.retry_after);
            let give_up = if !failure.retryable {
                Some("not retried".to_string())
            } else if tries >= self.policy.max_tries {
                Some(format!("gave up after {tries} tries"))
            } else if started.elapsed() + wait > self.policy.max_elapsed {
                Some(format!(
                    "gave up after {tries} tries: the next would start after {} s",
                    self.policy.max_elapsed.as_secs_f64()
                ))
            } else {
                None
            };
            if let Some(why) = give_up {
                bump(&self.stats.failed);
                self.stats.sidecar(sidecar_id, |c| c.failed += 1);
                self.finish();
                self.log(&format!(
                    "failed: {} to sidecar {}: {} ({why})",
                    job.describe(),
                    quote(sidecar_id),
                    failure.why
                ));
                return;
            }
            bump(&self.stats.retries);
            tokio::time::sleep(wait).await;
            // Never to a sidecar whose registration expired: ask again before each retry.
            match self.registry.lookup(&job.agent_id).await {
                Ok(Some(route)) if route.sidecar_id == sidecar_id => url = route.url,
                Ok(Some(route)) => {
                    bump(&self.stats.rerouted);
                    self.log(&format!(
                        "rerouted: {} from sidecar {} to {}",
                        job.describe(),
                        quote(sidecar_id),
                        quote(&route.sidecar_id)
                    ));
                    self.enqueue(route, job);
                    return;
                }
                Ok(None) => {
                    bump(&self.stats.expired);
                    self.finish();
                    self.log(&format!(
                        "expired: {} (sidecar {}'s registration ended before it took the event)",
                        job.describe(),
                        quote(sidecar_id)
                    ));
                    return;
                }
                Err(e) => {
                    bump(&self.stats.registry_errors);
                    self.finish();
                    self.log(&format!(
                        "not retried: {} to sidecar {}: the registry cannot say it is still live: {e}",
                        job.describe(),
                        quote(sidecar_id)
                    ));
                    return;
                }
            }
        }
    }

    /// One POST of the original body with the original content type.
    async fn post(&self, url: &str, job: &Job) -> Result<(), Failure> {
        let mut req = self.http.post(url).body(job.body.clone());
        if let Some(ct) = &job.content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => {
                let status = resp.status();
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Err(Failure {
                    retryable: status.is_server_error() || matches!(status.as_u16(), 408 | 429),
                    retry_after,
                    why: format!("HTTP {}", status.as_u16()),
                })
            }
            Err(e) => Err(Failure {
                retryable: true,
                retry_after: None,
                why: if e.is_timeout() {
                    "timed out".to_string()
                } else if e.is_connect() {
                    "cannot connect".to_string()
                } else {
                    "the request failed".to_string()
                },
            }),
        }
    }

    /// Shutdown: no new queues; the workers finish what they hold within `grace`, and whatever
    /// is still waiting after that is counted as dropped.
    pub async fn drain(&self, grace: Duration) {
        let workers = {
            let mut q = self.queues();
            self.closing.store(true, Ordering::Relaxed);
            // Dropping the senders lets each worker end once its queue is empty.
            q.senders.clear();
            std::mem::take(&mut q.workers)
        };
        let deadline = Instant::now() + grace;
        for mut w in workers {
            if tokio::time::timeout_at(deadline, &mut w).await.is_err() {
                w.abort();
            }
        }
        let left = self.stats.queued.swap(0, Ordering::Relaxed);
        if left > 0 {
            self.stats
                .dropped_shutdown
                .fetch_add(left as u64, Ordering::Relaxed);
            self.log(&format!(
                "{left} events were still waiting at shutdown: dropped"
            ));
        }
    }
}
