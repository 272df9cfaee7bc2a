//! When to ask the LLM, and what to do with its answer.
//!
//! Runs as its own task fed by the session through an unbounded channel (a handful of
//! messages per final), so a slow, failing or stalled LLM never touches audio or transcripts.
//! Rules: only when there is new final text; the customer's end of turn asks now (after the
//! minimum gap), otherwise at most once per interval; one request in flight; each request
//! bounded by a timeout; failures back off exponentially; near-duplicates of recent
//! suggestions are not emitted again, except the first step of an escalation.
//!
//! At the end ([`EngineHandle::finish`]) the engine hands back its batches and, when
//! [`SuggestionConfig::post_call`] is set, asks for the post-call summary of the final
//! transcript, bounded by its own timeout.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::llm::{LiveAnswer, SuggestionLlm, user_prompt};
use super::post_call::{self, PostCallConfig, PostCallSummary};
use super::{Suggestion, SuggestionBatch, SuggestionKind, SuggestionTrigger};
use crate::assist::config::SuggestionConfig;
use crate::assist::events::{AssistEvent, EventSink, WarningKind};
use crate::assist::lead::LeadContext;
use crate::assist::metrics::Metrics;
use crate::assist::redact::Redactor;
use crate::assist::transcript::{Speaker, Transcript};
use crate::backoff::Backoff;
use crate::{Error, Result};

/// What the session tells the engine.
#[derive(Debug)]
pub(crate) enum EngineInput {
    Final {
        speaker: Speaker,
        text: String,
    },
    TurnEnded,
    Lead(LeadContext),
    /// A private stretch began (`true`) or ended: no request starts while it lasts.
    Private(bool),
}

/// The engine task and its input.
pub(crate) struct EngineHandle {
    pub tx: mpsc::UnboundedSender<EngineInput>,
    join: JoinHandle<Engine>,
    /// A post-call summary is configured.
    post_call: bool,
}

/// What the engine hands back at the end, for the [`CallSummary`](crate::assist::CallSummary).
#[derive(Debug, Default)]
pub(crate) struct EngineEnd {
    pub suggestions: Vec<SuggestionBatch>,
    pub post_call: Option<PostCallSummary>,
    pub post_call_error: Option<Error>,
}

impl EngineHandle {
    /// Ends the engine (an in-flight request is abandoned) and returns every batch emitted;
    /// with `Some(transcript)` (the final one) and a post-call summary configured, asks for it,
    /// bounded by [`PostCallConfig::timeout`].
    pub async fn finish(self, transcript: Option<&Transcript>) -> EngineEnd {
        drop(self.tx);
        let engine = match tokio::time::timeout(Duration::from_secs(2), self.join).await {
            Ok(Ok(engine)) => engine,
            _ => {
                return EngineEnd {
                    post_call_error: (self.post_call && transcript.is_some()).then(|| {
                        Error::Closed(
                            "the suggestion engine ended abnormally; no post-call summary".into(),
                        )
                    }),
                    ..Default::default()
                };
            }
        };
        let (post_call, post_call_error) = match (&engine.cfg.post_call, transcript) {
            (Some(cfg), Some(transcript)) => engine.post_call(cfg, transcript).await,
            _ => (None, None),
        };
        EngineEnd {
            suggestions: engine.batches,
            post_call,
            post_call_error,
        }
    }
}

pub(crate) fn spawn(
    cfg: SuggestionConfig,
    lead: Option<LeadContext>,
    redactor: Redactor,
    events: EventSink,
    metrics: Metrics,
) -> Result<EngineHandle> {
    let redactor = redactor.with_lead_phone(lead.as_ref().and_then(|l| l.phone.as_deref()));
    let llm = Arc::new(SuggestionLlm::new(&cfg)?);
    let (tx, rx) = mpsc::unbounded_channel();
    let engine = Engine {
        llm,
        lead,
        redactor,
        events,
        metrics,
        lines: VecDeque::new(),
        line_chars: 0,
        version: 0,
        consumed: 0,
        turn_ended: false,
        last_request: None,
        started: Instant::now(),
        backoff_until: None,
        failures: 0,
        disabled: false,
        private: false,
        recent: VecDeque::new(),
        batches: Vec::new(),
        post_call: cfg.post_call.is_some(),
        cfg,
    };
    let post_call = engine.post_call;
    let join = tokio::spawn(engine.run(rx));
    Ok(EngineHandle {
        tx,
        join,
        post_call,
    })
}

type Answer = std::result::Result<Result<LiveAnswer>, tokio::time::error::Elapsed>;

struct InFlight {
    fut: Pin<Box<dyn Future<Output = Answer> + Send>>,
    started: Instant,
    version: u64,
    trigger: SuggestionTrigger,
}

/// How many emitted suggestions are remembered for de-duplication and the prompt.
const RECENT: usize = 20;

struct Engine {
    cfg: SuggestionConfig,
    llm: Arc<SuggestionLlm>,
    lead: Option<LeadContext>,
    /// Applied to every line before it reaches a prompt (`Redactor::for_llm`).
    redactor: Redactor,
    events: EventSink,
    metrics: Metrics,
    lines: VecDeque<(Speaker, String)>,
    line_chars: usize,
    /// Bumped on every final; `consumed` is the version the last good answer covered.
    version: u64,
    consumed: u64,
    turn_ended: bool,
    last_request: Option<Instant>,
    started: Instant,
    backoff_until: Option<Instant>,
    failures: u32,
    disabled: bool,
    /// Inside a private stretch: no request starts.
    private: bool,
    recent: VecDeque<String>,
    batches: Vec<SuggestionBatch>,
    /// A post-call summary is configured.
    post_call: bool,
}

impl Engine {
    /// Runs until the session drops its sender; returns itself for the post-call summary
    /// (the latest lead and redactor, the batches).
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<EngineInput>) -> Engine {
        let mut in_flight: Option<InFlight> = None;
        loop {
            let next = if in_flight.is_none() {
                self.next_fire()
            } else {
                None
            };
            tokio::select! {
                input = rx.recv() => match input {
                    Some(input) => self.on_input(input),
                    None => break,
                },
                answer = poll_in_flight(&mut in_flight), if in_flight.is_some() => {
                    if let Some(done) = in_flight.take() {
                        self.on_answer(answer, done);
                    }
                }
                () = sleep_until(next.map(|n| n.0)), if next.is_some() => {
                    if let Some((_, trigger)) = next {
                        in_flight = Some(self.fire(trigger));
                    }
                }
            }
        }
        self
    }

    fn on_input(&mut self, input: EngineInput) {
        match input {
            EngineInput::Final { speaker, text } => {
                let text = self.redactor.for_llm(text.trim());
                if text.is_empty() {
                    return;
                }
                // Consecutive finals of one speaker read better as one line in the prompt. The
                // joined line is redacted again: a number spoken across two finals is only
                // whole there.
                match self.lines.back_mut() {
                    Some((s, t)) if *s == speaker => {
                        let before = t.chars().count();
                        let joined = self.redactor.for_llm(&format!("{t} {text}"));
                        self.line_chars =
                            (self.line_chars + joined.chars().count()).saturating_sub(before);
                        *t = joined;
                    }
                    _ => {
                        self.line_chars += text.chars().count() + 1;
                        self.lines.push_back((speaker, text));
                    }
                }
                // Keep a few prompts' worth of text; older lines never reach the prompt.
                while self.line_chars > self.cfg.max_transcript_chars.saturating_mul(4)
                    && self.lines.len() > 1
                {
                    if let Some((_, old)) = self.lines.pop_front() {
                        self.line_chars = self.line_chars.saturating_sub(old.chars().count() + 1);
                    }
                }
                self.version += 1;
            }
            EngineInput::TurnEnded => self.turn_ended = true,
            EngineInput::Lead(lead) => {
                self.redactor = self.redactor.clone().with_lead_phone(lead.phone.as_deref());
                self.lead = Some(lead);
            }
            EngineInput::Private(on) => self.private = on,
        }
    }

    /// When the next request may start, and why; `None` without new text.
    fn next_fire(&self) -> Option<(Instant, SuggestionTrigger)> {
        if self.disabled || self.private || self.version == self.consumed {
            return None;
        }
        let last = self.last_request.unwrap_or(self.started);
        let mut earliest = match self.last_request {
            Some(t) => t + self.cfg.min_gap,
            None => self.started,
        };
        if let Some(until) = self.backoff_until {
            earliest = earliest.max(until);
        }
        if self.turn_ended {
            Some((earliest, SuggestionTrigger::CustomerTurnEnd))
        } else {
            Some((
                (last + self.cfg.interval).max(earliest),
                SuggestionTrigger::Interval,
            ))
        }
    }

    fn fire(&mut self, trigger: SuggestionTrigger) -> InFlight {
        let now = Instant::now();
        self.turn_ended = false;
        self.last_request = Some(now);
        self.metrics.update(|m| m.m.suggestion_requests += 1);
        let lines: Vec<(Speaker, String)> = self.lines.iter().cloned().collect();
        let recent: Vec<String> = self.recent.iter().cloned().collect();
        let prompt = user_prompt(
            self.lead.as_ref(),
            &lines,
            &recent,
            &self.cfg,
            &self.redactor,
        );
        let llm = self.llm.clone();
        let timeout = self.cfg.timeout;
        tracing::debug!(?trigger, "suggestion request");
        InFlight {
            fut: Box::pin(tokio::time::timeout(timeout, async move {
                llm.suggest(prompt).await
            })),
            started: now,
            version: self.version,
            trigger,
        }
    }

    fn on_answer(&mut self, answer: Answer, done: InFlight) {
        let latency = done.started.elapsed();
        let result = answer.unwrap_or_else(|_| {
            Err(Error::Timeout(format!(
                "the LLM did not answer within {} ms",
                self.cfg.timeout.as_millis()
            )))
        });
        match result {
            Ok(answer) => {
                self.failures = 0;
                self.backoff_until = None;
                self.consumed = done.version;
                self.metrics.update(|m| m.suggestion.record(latency));
                let LiveAnswer {
                    items,
                    sentiment,
                    escalation,
                } = answer;
                let mut fresh: Vec<Suggestion> = Vec::new();
                let mut items = items.into_iter().peekable();
                if let Some(escalation) = &escalation {
                    // The agent must be told what to do first, even if it repeats an earlier
                    // suggestion: the model's own step when it leads with one, else ours.
                    let step = items
                        .next_if(|s| s.kind == SuggestionKind::NextStep)
                        .unwrap_or_else(|| Suggestion {
                            kind: SuggestionKind::NextStep,
                            text: escalation.reason.next_step().to_string(),
                        });
                    fresh.push(step);
                }
                for item in items {
                    let dup = self
                        .recent
                        .iter()
                        .chain(fresh.iter().map(|s| &s.text))
                        .any(|r| near_duplicate(r, &item.text));
                    if !dup {
                        fresh.push(item);
                    }
                }
                fresh.truncate(self.cfg.max_items);
                // With an escalation `fresh` holds its step: the signal is always emitted.
                if fresh.is_empty() {
                    return;
                }
                for s in &fresh {
                    if self.recent.len() == RECENT {
                        self.recent.pop_front();
                    }
                    self.recent.push_back(s.text.clone());
                }
                let batch = SuggestionBatch {
                    items: fresh,
                    sentiment,
                    escalation,
                    trigger: done.trigger,
                    latency,
                };
                self.batches.push(batch.clone());
                self.events.emit(AssistEvent::Suggestion(batch));
            }
            Err(err) => {
                let err = err.bounded();
                self.failures += 1;
                self.metrics.update(|m| m.m.suggestion_failures += 1);
                if matches!(err, Error::Auth { .. }) {
                    // A refused key will be refused again: stop asking, say so once.
                    self.disabled = true;
                    self.events.emit(AssistEvent::Error(err));
                    return;
                }
                let retry_after = match &err {
                    Error::RateLimited { retry_after, .. } => *retry_after,
                    _ => None,
                };
                // The crate's one backoff rule (`crate::backoff`): equal jitter, so many
                // sessions do not retry in lockstep, and never sooner than a `Retry-After`.
                let delay = Backoff {
                    initial: self.cfg.backoff_initial,
                    max: self.cfg.backoff_max,
                }
                .wait(self.failures.saturating_sub(1), retry_after);
                self.backoff_until = Some(Instant::now() + delay);
                if done.trigger == SuggestionTrigger::CustomerTurnEnd {
                    // The customer is still waiting for an answer: retry as soon as allowed.
                    self.turn_ended = true;
                }
                self.events.warn(
                    WarningKind::SuggestionFailed,
                    format!(
                        "suggestion request failed ({err}); retrying in {} ms",
                        delay.as_millis()
                    ),
                );
            }
        }
    }
}

impl Engine {
    /// The post-call summary of `transcript` (already redacted for the agent; every line is
    /// redacted again for the LLM, with the lead's own number), bounded by `cfg.timeout`.
    /// A call with no transcript at all gets [`PostCallSummary::no_speech`] without a request.
    async fn post_call(
        &self,
        cfg: &PostCallConfig,
        transcript: &Transcript,
    ) -> (Option<PostCallSummary>, Option<Error>) {
        let lines = post_call::transcript_lines(transcript, &self.redactor);
        if lines.is_empty() {
            return (Some(PostCallSummary::no_speech()), None);
        }
        let prompt = post_call::user_prompt(
            cfg,
            self.lead.as_ref(),
            self.cfg.max_lead_chars,
            &lines,
            &self.redactor,
        );
        tracing::debug!("post-call summary request");
        match tokio::time::timeout(cfg.timeout, self.llm.summarise(cfg, prompt)).await {
            Ok(Ok((summary, warning))) => {
                if let Some(warning) = warning {
                    self.events.warn(WarningKind::PostCall, warning);
                }
                (Some(summary), None)
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "post-call summary failed");
                (None, Some(error))
            }
            Err(_) => {
                tracing::warn!("post-call summary timed out");
                let ms = cfg.timeout.as_millis();
                (
                    None,
                    Some(Error::Timeout(format!(
                        "the post-call summary did not come within {ms} ms"
                    ))),
                )
            }
        }
    }
}

async fn poll_in_flight(in_flight: &mut Option<InFlight>) -> Answer {
    match in_flight {
        Some(f) => f.fut.as_mut().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn tokens(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Same words, give or take a few: Jaccard similarity of word sets ≥ 0.7.
pub(crate) fn near_duplicate(a: &str, b: &str) -> bool {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.is_empty() || tb.is_empty() {
        return ta == tb;
    }
    let common = ta.intersection(&tb).count() as f64;
    let union = ta.union(&tb).count() as f64;
    common / union >= 0.7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_are_recognised() {
        assert!(near_duplicate(
            "Offer the 5-year home loan plan.",
            "offer the 5 year home-loan plan"
        ));
        assert!(near_duplicate(
            "Ask for the customer's monthly income.",
            "Ask for the customer's monthly income now."
        ));
        assert!(!near_duplicate(
            "Offer the 5-year plan.",
            "Remind the customer about the processing fee."
        ));
    }
}
