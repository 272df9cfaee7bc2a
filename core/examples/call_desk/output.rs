//! The demo's screen: sections, aligned speaker labels, one overwriting line for interim
//! results, colours only on a terminal. Shared by the narration and the event task.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use helix_engage::assist::{
    AssistEvent, AudioFormat, CallSummary, LeadContext, SegmentKind, Speaker,
};
use helix_engage::ozonetel::{AbandonedCall, CallRecord};
use tokio::sync::mpsc;

use super::desk::Outcome;

/// Where the demo writes, and how.
pub struct Screen {
    out: Box<dyn Write + Send>,
    color: bool,
    /// An interim line is on screen without its newline (terminals only).
    interim_open: bool,
    started: Instant,
}

/// The screen, shared by the narration and the event printer.
#[derive(Clone)]
pub struct Out(Arc<Mutex<Screen>>);

pub const BOLD: &str = "1";
pub const DIM: &str = "2";
pub const CYAN: &str = "36";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";
pub const MAGENTA: &str = "35";
pub const RED: &str = "31";

impl Out {
    pub fn new(out: Box<dyn Write + Send>, color: bool) -> Self {
        Out(Arc::new(Mutex::new(Screen {
            out,
            color,
            interim_open: false,
            started: Instant::now(),
        })))
    }

    fn with<R>(&self, f: impl FnOnce(&mut Screen) -> R) -> R {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s)
    }

    /// `text` in colour `code` when colours are on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.with(|s| s.color) {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Whether interim results can be shown (they need a line that can be overwritten).
    pub fn live(&self) -> bool {
        self.with(|s| s.color)
    }

    /// One line (closing any interim line first). Write errors are ignored: a closed pipe
    /// must not stop the demo's call handling half way.
    pub fn line(&self, text: &str) {
        self.with(|s| {
            if s.interim_open {
                let _ = write!(s.out, "\r\x1b[2K");
                s.interim_open = false;
            }
            let _ = writeln!(s.out, "{text}");
            let _ = s.out.flush();
        });
    }

    /// Replaces the interim line (terminals only).
    pub fn interim(&self, text: &str) {
        self.with(|s| {
            if !s.color {
                return;
            }
            let _ = write!(s.out, "\r\x1b[2K{text}");
            s.interim_open = true;
            let _ = s.out.flush();
        });
    }

    /// A section heading.
    pub fn section(&self, title: &str) {
        let secs = self.with(|s| s.started.elapsed().as_secs_f64());
        let rule = "─".repeat(60usize.saturating_sub(title.chars().count()));
        self.line("");
        self.line(&format!(
            "{} {} {}",
            self.paint(BOLD, &format!("── {title}")),
            self.paint(DIM, &rule),
            self.paint(DIM, &format!("{secs:5.1}s"))
        ));
    }

    /// A narration line: what the agent's desk does.
    pub fn step(&self, text: &str) {
        self.line(&format!("  {} {text}", self.paint(YELLOW, "▶")));
    }

    /// A detail under a step.
    pub fn detail(&self, text: &str) {
        self.line(&format!("      {}", self.paint(DIM, text)));
    }
}

/// `mm:ss.s` on the call's timeline.
pub fn clock(secs: f64) -> String {
    let secs = secs.max(0.0);
    let m = (secs / 60.0).floor();
    format!("{:02}:{:04.1}", m as u64, secs - m * 60.0)
}

/// `HH:MM:SS` from `YYYY-MM-DD HH:MM:SS` (or the text as is).
pub fn time_of_day(s: &str) -> &str {
    s.rsplit(' ').next().unwrap_or(s)
}

#[derive(Default)]
pub struct Counts {
    pub suggestions: usize,
}

/// Prints events as they come: finals by speaker, interims on one overwriting line (terminals),
/// suggestions, connection news.
pub async fn print_events(
    mut events: mpsc::Receiver<AssistEvent>,
    out: Out,
    finals: Arc<AtomicUsize>,
) -> Counts {
    let mut counts = Counts::default();
    while let Some(event) = events.recv().await {
        match event {
            AssistEvent::Transcript { segment, .. } if segment.kind == SegmentKind::Private => {
                out.line(&format!(
                    "  {}  {}",
                    out.paint(DIM, &clock(segment.start)),
                    out.paint(
                        YELLOW,
                        &format!(
                            "[private stretch {}–{}: not transcribed]",
                            clock(segment.start),
                            clock(segment.end)
                        )
                    )
                ));
                finals.fetch_add(1, Ordering::SeqCst);
            }
            AssistEvent::Private { private, at } => out.line(&format!(
                "  {}  {}",
                out.paint(DIM, &clock(at)),
                out.paint(
                    YELLOW,
                    if private {
                        "private: no audio leaves for Deepgram, no text for the LLM"
                    } else {
                        "private stretch over: transcribing again"
                    }
                )
            )),
            AssistEvent::Transcript { segment, is_final } => {
                let label = format!("{:<8}", segment.speaker.to_string());
                let color = if segment.speaker == Speaker::Customer {
                    MAGENTA
                } else {
                    CYAN
                };
                let time = out.paint(DIM, &clock(segment.start));
                if is_final {
                    out.line(&format!(
                        "  {time}  {}  {}",
                        out.paint(color, &label),
                        segment.text
                    ));
                    finals.fetch_add(1, Ordering::SeqCst);
                } else if out.live() {
                    out.interim(&format!(
                        "  {time}  {}  {}",
                        out.paint(color, &label),
                        out.paint(DIM, &format!("{} …", segment.text))
                    ));
                }
            }
            AssistEvent::Suggestion(batch) => {
                counts.suggestions += 1;
                for item in &batch.items {
                    let kind = label(&item.kind);
                    out.line(&format!(
                        "            {} {} {}",
                        out.paint(GREEN, "»"),
                        out.paint(GREEN, &format!("[{kind}]")),
                        item.text
                    ));
                }
                if let Some(e) = &batch.escalation {
                    out.line(&format!(
                        "            {} {}",
                        out.paint(RED, "!"),
                        out.paint(
                            RED,
                            &format!("escalation ({}): {}", label(&e.reason), e.detail)
                        )
                    ));
                }
                let sentiment = batch
                    .sentiment
                    .map(|s| format!(" · customer {}", label(&s)))
                    .unwrap_or_default();
                out.line(&format!(
                    "              {}",
                    out.paint(
                        DIM,
                        &format!(
                            "on {} · {} ms{sentiment}",
                            label(&batch.trigger),
                            batch.latency.as_millis()
                        )
                    )
                ));
            }
            AssistEvent::Reconnecting { attempt, reason } => out.line(&format!(
                "  {}",
                out.paint(
                    YELLOW,
                    &format!("deepgram lost ({reason}); reconnecting, attempt {attempt}")
                )
            )),
            AssistEvent::Reconnected { replay_seconds, .. } => out.line(&format!(
                "  {}",
                out.paint(
                    YELLOW,
                    &format!("reconnected; replaying {replay_seconds:.1} s of audio")
                )
            )),
            AssistEvent::Warning(w) => out.line(&format!(
                "  {}",
                out.paint(YELLOW, &format!("warning: {}", w.message))
            )),
            AssistEvent::Error(e) => {
                out.line(&format!("  {}", out.paint(RED, &format!("error: {e}"))))
            }
            AssistEvent::Closed(_) => break,
            _ => {}
        }
    }
    counts
}

/// A serde enum's wire name, readable: `next_step` → `next step`.
pub fn label(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

pub fn print_summary(out: &Out, summary: &CallSummary, outcome: &mut Outcome) {
    out.section("Summary");
    out.line(&out.paint(BOLD, "  Transcript"));
    let mut segments: Vec<_> = summary.transcript.segments.iter().collect();
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    // Consecutive segments of one speaker read as one turn; a private stretch is a line of its
    // own (no speaker: nobody's words are in it).
    let mut turns: Vec<(Option<Speaker>, String)> = Vec::new();
    for s in segments {
        if s.kind == SegmentKind::Private {
            let marker = format!("[private stretch {}–{}]", clock(s.start), clock(s.end));
            turns.push((None, marker));
            continue;
        }
        match turns.last_mut() {
            Some((Some(who), text)) if *who == s.speaker => {
                text.push(' ');
                text.push_str(&s.text);
            }
            _ => turns.push((Some(s.speaker), s.text.clone())),
        }
    }
    for (who, text) in &turns {
        match who {
            Some(who) => {
                out.line(&format!("    {:<9} {text}", format!("{who}:")));
                outcome.transcript.push(format!("{who}: {text}"));
            }
            None => {
                out.line(&format!("    {:<9} {text}", ""));
                outcome.transcript.push(text.clone());
            }
        }
    }
    let m = &summary.metrics;
    let ms = |d: Duration| format!("{} ms", d.as_millis());
    out.line("");
    out.line(&out.paint(BOLD, "  Metrics"));
    let rows = [
        ("audio sent", format!("{:.1} s", m.audio_seconds_sent)),
        (
            "audio dropped",
            format!(
                "{:.1} s ({} chunks)",
                m.audio_seconds_dropped, m.dropped_chunks
            ),
        ),
        (
            "private",
            format!("{:.1} s of audio withheld from Deepgram", m.private_seconds),
        ),
        ("reconnects", m.reconnects.to_string()),
        ("keep-alives", m.keepalives_sent.to_string()),
        (
            "transcript latency",
            format!(
                "p50 {} · p95 {} · max {} ({} finals)",
                ms(m.transcript_latency.p50),
                ms(m.transcript_latency.p95),
                ms(m.transcript_latency.max),
                m.transcript_latency.count
            ),
        ),
        (
            "suggestions",
            format!(
                "{} batches from {} requests ({} failed) · p50 {}",
                summary.suggestions.len(),
                m.suggestion_requests,
                m.suggestion_failures,
                ms(m.suggestion_latency.p50)
            ),
        ),
        (
            "stream end",
            if summary.complete {
                format!(
                    "confirmed by Deepgram ({:.1} s of audio)",
                    summary.deepgram_duration.unwrap_or_default()
                )
            } else {
                "not confirmed: the last second may be missing".into()
            },
        ),
        (
            "session",
            format!("{:.1} s", summary.duration.as_secs_f64()),
        ),
    ];
    for (k, v) in rows {
        out.line(&format!("    {:<19} {v}", format!("{k}:")));
    }
    out.line(&format!(
        "    {:<19} transfer {}, {} missed call(s), {} call(s) in today's history",
        "desk:",
        if outcome.transfer_completed {
            "completed"
        } else {
            "not done"
        },
        outcome.missed_calls,
        outcome.history
    ));
}

/// What live assist listens to, in one line.
pub fn listening(format: &AudioFormat) -> String {
    let what = match *format {
        AudioFormat::Linear16 {
            sample_rate,
            channels,
        } => format!("linear16 {sample_rate} Hz × {channels} ch, 20 ms frames"),
        AudioFormat::Mulaw {
            sample_rate,
            channels,
        } => format!("µ-law {sample_rate} Hz × {channels} ch, 20 ms frames"),
        other => format!("{other:?}"),
    };
    format!("listening: {what}")
}

/// The lead on screen, in one line.
pub fn lead_line(lead: &LeadContext) -> String {
    format!(
        "lead: {} · {} · {}",
        lead.name.as_deref().unwrap_or_default(),
        lead.status.as_deref().unwrap_or_default(),
        lead.fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(" · ")
    )
}

/// The call's parties and recording state, as the simulator sees them, in one line.
pub fn call_state(call: &helix_engage_sim::CallSnapshot) -> String {
    let parties: Vec<String> = call
        .participants
        .iter()
        .map(|p| {
            let mut flags = Vec::new();
            if p.on_hold {
                flags.push("on hold");
            }
            if p.muted {
                flags.push("muted");
            }
            let role = format!("{:?}", p.role).to_lowercase();
            if flags.is_empty() {
                format!("{role} {}", p.number)
            } else {
                format!("{role} {} [{}]", p.number, flags.join(", "))
            }
        })
        .collect();
    let recording = if call.recording_paused {
        "recording PAUSED"
    } else {
        "recording on"
    };
    let state = if call.live { "" } else { " · call ended" };
    format!("call now: {} · {recording}{state}", parties.join(" · "))
}

/// One missed call as a row.
pub fn missed_call_line(out: &Out, c: &AbandonedCall) -> String {
    format!(
        "  {}  {:<13} {:<24} {}",
        out.paint(CYAN, time_of_day(&c.call_time)),
        c.caller_id,
        c.campaign,
        out.paint(DIM, &c.hangup_by)
    )
}

/// One history record as a row.
pub fn history_line(out: &Out, r: &CallRecord) -> String {
    let note = match (r.disposition.is_empty(), r.transferred_to.is_empty()) {
        (_, true) => r.disposition.clone(),
        (true, false) => format!("transferred to {}", r.transferred_to),
        (false, false) => format!("{} · transferred to {}", r.disposition, r.transferred_to),
    };
    let color = if r.is_answered() { GREEN } else { RED };
    let status = out.paint(color, &format!("{:<10}", r.status));
    format!(
        "  {}  {:<13} {status} talk {}  {:<8} {}",
        out.paint(CYAN, time_of_day(&r.start_time)),
        r.caller_id,
        r.talk_time,
        r.agent_name,
        out.paint(DIM, &note)
    )
}

/// The after-call notes live assist wrote at `stop()`: the summary and the disposition it
/// suggests, which the agent confirms (nothing is set at Ozonetel without the agent).
pub fn print_post_call(out: &Out, summary: &CallSummary) {
    let Some(p) = &summary.post_call else {
        if let Some(e) = &summary.post_call_error {
            out.line(&out.paint(YELLOW, &format!("  no after-call notes: {e}")));
        }
        return;
    };
    out.step("After-call notes (one LLM request at stop, from the redacted transcript)");
    let rows = [
        ("summary", p.summary.clone()),
        ("reason", p.reason.clone()),
        ("outcome", label(&p.outcome)),
        ("sentiment", label(&p.sentiment)),
        (
            "suggested",
            match &p.suggested_disposition {
                Some(d) => format!("{d} (confidence {:.2})", p.confidence),
                None => "no disposition fits".into(),
            },
        ),
    ];
    for (k, v) in rows {
        out.detail(&format!("{:<10} {v}", format!("{k}:")));
    }
    for f in &p.follow_ups {
        let due = f
            .due
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        out.detail(&format!("{:<10} {}{due}", "follow-up:", f.what));
    }
}
