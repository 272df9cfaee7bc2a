//! The comparison and the printed table.

use std::collections::BTreeMap;
use std::time::Duration;

use helix_engage::assist::{CallSummary, SegmentKind};
use serde_json::Value;

use crate::Args;
use crate::call::CallResult;
use crate::plan::{self, LlmOutcome};

const RUNS: [&str; 3] = ["fault-free", "drops", "drops + LLM"];

/// A final, matched on channel, text and call time (ms).
type Key = (u32, String, i64, i64);

fn finals(summary: &CallSummary) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for s in &summary.transcript.segments {
        if s.kind == SegmentKind::Speech && !s.text.is_empty() {
            let key = (
                s.channel,
                s.text.clone(),
                (s.start * 1000.0).round() as i64,
                (s.end * 1000.0).round() as i64,
            );
            *out.entry(key).or_default() += 1;
        }
    }
    out
}

/// (lost, duplicated) finals of `got` against `want`, as multisets.
fn compare(want: &BTreeMap<Key, usize>, got: &BTreeMap<Key, usize>) -> (usize, usize) {
    let count = |a: &BTreeMap<Key, usize>, b: &BTreeMap<Key, usize>| {
        a.iter()
            .map(|(k, n)| n.saturating_sub(b.get(k).copied().unwrap_or(0)))
            .sum()
    };
    (count(want, got), count(got, want))
}

/// The first time that goes backwards on a channel: segments and their words in the
/// transcript, and finals in the order the host read them.
fn backwards(r: &CallResult) -> Option<String> {
    const EPS: f64 = 1e-6;
    let mut last: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    for s in &r.summary.transcript.segments {
        let (seg_end, word_end) = last.entry(s.channel).or_insert((0.0, 0.0));
        if s.end + EPS < s.start || s.start + EPS < *seg_end {
            return Some(format!(
                "segment {:.3}-{:.3} on channel {} after {seg_end:.3}",
                s.start, s.end, s.channel
            ));
        }
        for w in &s.words {
            if w.end + EPS < w.start || w.start + EPS < *word_end {
                return Some(format!(
                    "word {:?} {:.3}-{:.3} after {word_end:.3}",
                    w.word, w.start, w.end
                ));
            }
            *word_end = w.end;
        }
        *seg_end = s.end;
    }
    let mut read: BTreeMap<u32, f64> = BTreeMap::new();
    for f in r.seen_finals.iter().filter(|f| !f.text.is_empty()) {
        let end = read.entry(f.channel).or_insert(0.0);
        if f.start + EPS < *end {
            return Some(format!(
                "final read at {:.3} on channel {} after one ending {end:.3}",
                f.start, f.channel
            ));
        }
        *end = f.end;
    }
    None
}

fn pick(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// "p50 / p95 / max" of milliseconds.
fn spread_ms(v: &[f64]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    format!(
        "{:.0} / {:.0} / {:.0}",
        pick(v, 0.5),
        pick(v, 0.95),
        pick(v, 1.0)
    )
}

/// Per final in the transcript: the library's `send_audio` of its last byte → final.
fn library_latency(summary: &CallSummary) -> Vec<f64> {
    sorted(
        summary
            .transcript
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Speech && !s.text.is_empty())
            .filter_map(|s| s.latency)
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect(),
    )
}

/// Per final the host read: the frame holding its end handed over → the host reading it.
fn host_latency(r: &CallResult) -> Vec<f64> {
    sorted(
        r.seen_finals
            .iter()
            .filter(|f| !f.text.is_empty())
            .filter_map(|f| {
                let frame = ((f.end * 50.0).ceil() as usize).saturating_sub(1);
                let sent = r.sent_at.get(frame.min(r.sent_at.len().checked_sub(1)?))?;
                Some(f.read_at.saturating_duration_since(*sent).as_secs_f64() * 1000.0)
            })
            .collect(),
    )
}

/// One cut and the connection that followed it, as the simulator saw them.
struct Reconnect {
    reconnect_ms: f64,
    backlog: f64,
    caught_up: bool,
    secs: f64,
    wall: f64,
}

impl Reconnect {
    /// Replay speed × real time; `None` for a catch-up of a few frames (timer granularity,
    /// not pace).
    fn speed(&self) -> Option<f64> {
        (self.wall >= 0.5).then(|| self.secs / self.wall)
    }
}

fn ns(v: &Value) -> Option<i128> {
    v.as_str()?.parse().ok()
}

fn reconnects(wire: &Value) -> Vec<Option<Reconnect>> {
    let empty = Vec::new();
    let conns = wire["connections"].as_array().unwrap_or(&empty);
    wire["drops"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|d| {
            let at = ns(&d["at_ns"])?;
            let c = conns
                .iter()
                .find(|c| ns(&c["first_ns"]).is_some_and(|f| f > at))?;
            Some(Reconnect {
                reconnect_ms: (ns(&c["first_ns"])? - at) as f64 / 1e6,
                backlog: c["backlog"].as_f64()?,
                caught_up: c["caught_up"].as_bool()?,
                secs: c["secs"].as_f64()?,
                wall: c["wall"].as_f64()?,
            })
        })
        .collect()
}

/// Jumps in the audio a connection received, as the simulator read its timecodes:
/// (connection, from, to) in call seconds — audio the library never sent.
fn gaps(wire: &Value) -> Vec<(u64, f64, f64)> {
    let mut out = Vec::new();
    for c in wire["connections"].as_array().into_iter().flatten() {
        for g in c["gaps"].as_array().into_iter().flatten() {
            if let (Some(a), Some(b)) = (g[0].as_f64(), g[1].as_f64()) {
                out.push((c["id"].as_u64().unwrap_or(0), a, b));
            }
        }
    }
    out
}

struct Rows(Vec<(String, [String; 3])>);

impl Rows {
    fn add(&mut self, name: &str, cells: [String; 3]) {
        self.0.push((name.to_string(), cells));
    }

    fn print(&self) {
        let w0 = self
            .0
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(0);
        let w = |i: usize| {
            self.0
                .iter()
                .map(|r| r.1[i].chars().count())
                .chain([RUNS[i].len()])
                .max()
                .unwrap_or(0)
        };
        let ws = [w(0), w(1), w(2)];
        let line = |a: &str, b: [&str; 3]| {
            println!(
                "| {a:<w0$} | {:>w1$} | {:>w2$} | {:>w3$} |",
                b[0],
                b[1],
                b[2],
                w1 = ws[0],
                w2 = ws[1],
                w3 = ws[2]
            );
        };
        line("", RUNS);
        println!(
            "|{}|{}:|{}:|{}:|",
            "-".repeat(w0 + 2),
            "-".repeat(ws[0] + 1),
            "-".repeat(ws[1] + 1),
            "-".repeat(ws[2] + 1)
        );
        for (name, cells) in &self.0 {
            line(name, [&cells[0], &cells[1], &cells[2]]);
        }
    }
}

fn each<T>(f: impl Fn(usize) -> T) -> [T; 3] {
    [f(0), f(1), f(2)]
}

/// Prints the report; whether the soak passed.
pub fn print(
    args: &Args,
    drop_times: &[f64],
    results: &[CallResult],
    wire: &Value,
    rss: &[(f64, u64)],
) -> bool {
    let script = plan::script(args.secs());
    let expected = script.turns.iter().filter(|t| !t.text.is_empty()).count();
    let finals: Vec<_> = results.iter().map(|r| finals(&r.summary)).collect();
    let count = |i: usize| finals[i].values().sum::<usize>();
    let diff = each(|i| compare(&finals[0], &finals[i]));
    let back = each(|i| backwards(&results[i]));
    let recon = each(|i| reconnects(&wire["sims"][i]));
    let m = |i: usize| &results[i].summary.metrics;
    let na = || "-".to_string();

    let mut rows = Rows(Vec::new());
    rows.add(
        "finals (script has)",
        each(|i| format!("{} ({expected})", count(i))),
    );
    rows.add(
        "lost / duplicated vs fault-free",
        each(|i| match i {
            0 => na(),
            _ => format!("{} / {}", diff[i].0, diff[i].1),
        }),
    );
    rows.add(
        "segment and word times monotonic",
        each(|i| match &back[i] {
            None => "yes".into(),
            Some(_) => "NO".into(),
        }),
    );
    rows.add(
        "complete / error",
        each(|i| {
            let s = &results[i].summary;
            format!(
                "{} / {}",
                if s.complete { "yes" } else { "no" },
                s.error
                    .as_ref()
                    .map_or("none".to_string(), |e| e.code().to_string())
            )
        }),
    );
    rows.add(
        "drops ordered / sockets cut",
        each(|i| {
            let d = wire["sims"][i]["drops"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let cut: u64 = d.iter().filter_map(|d| d["cut"].as_u64()).sum();
            match i {
                0 => na(),
                _ => format!("{} / {cut}", d.len()),
            }
        }),
    );
    rows.add(
        "reconnects (library)",
        each(|i| m(i).reconnects.to_string()),
    );
    let gaps = each(|i| gaps(&wire["sims"][i]));
    rows.add(
        "audio gaps on the wire (call s never sent)",
        each(|i| {
            // `sum` of nothing is -0.0; a fold from 0.0 is not.
            let secs = gaps[i].iter().fold(0.0, |a, g| a + (g.2 - g.1));
            format!("{} ({secs:.2} s)", gaps[i].len())
        }),
    );
    let rec_ms = |i: usize| sorted(recon[i].iter().flatten().map(|r| r.reconnect_ms).collect());
    rows.add(
        "drop → audio on new socket, ms p50 / p95 / max",
        each(|i| spread_ms(&rec_ms(i))),
    );
    rows.add(
        "replay backlog s, mean / max",
        each(|i| {
            let b: Vec<f64> = recon[i].iter().flatten().map(|r| r.backlog).collect();
            if b.is_empty() {
                return na();
            }
            let max = b.iter().copied().fold(0.0, f64::max);
            format!("{:.2} / {:.2}", b.iter().sum::<f64>() / b.len() as f64, max)
        }),
    );
    rows.add(
        "replay speed × real time, min / mean / max",
        each(|i| {
            let s = sorted(
                recon[i]
                    .iter()
                    .flatten()
                    .filter_map(Reconnect::speed)
                    .collect(),
            );
            if s.is_empty() {
                return na();
            }
            format!(
                "{:.3} / {:.3} / {:.3}",
                s[0],
                s.iter().sum::<f64>() / s.len() as f64,
                s[s.len() - 1]
            )
        }),
    );
    rows.add(
        "catch-ups done / catch-up s, max",
        each(|i| {
            let r: Vec<&Reconnect> = recon[i].iter().flatten().collect();
            if r.is_empty() {
                return na();
            }
            let max = r.iter().map(|r| r.wall).fold(0.0, f64::max);
            format!(
                "{}/{} / {max:.1}",
                r.iter().filter(|r| r.caught_up).count(),
                recon[i].len()
            )
        }),
    );
    rows.add(
        "audio replayed / lost s (library)",
        each(|i| {
            format!(
                "{:.1} / {:.1}",
                m(i).audio_seconds_replayed,
                m(i).audio_seconds_dropped
            )
        }),
    );
    rows.add(
        "latency send_audio → final ms p50 / p95 / max",
        each(|i| spread_ms(&library_latency(&results[i].summary))),
    );
    rows.add(
        "latency frame sent → host read ms p50 / p95 / max",
        each(|i| spread_ms(&host_latency(&results[i]))),
    );
    rows.add(
        "events read by host / dropped (library)",
        each(|i| {
            format!(
                "{} / {}",
                results[i].seen.values().sum::<u64>(),
                m(i).events_dropped
            )
        }),
    );
    rows.add(
        "finals read by host / in transcript",
        each(|i| {
            let read = results[i]
                .seen_finals
                .iter()
                .filter(|f| !f.text.is_empty())
                .count();
            format!("{read} / {}", count(i))
        }),
    );
    rows.add(
        "frames not queued by send_audio",
        each(|i| results[i].not_queued.to_string()),
    );
    rows.add(
        "LLM requests: ok / 429 / 500 / stalled",
        each(|i| {
            let o = &wire["sims"][i]["llm_outcomes"];
            let n = |x: LlmOutcome| o[x.label()].as_u64().unwrap_or(0).to_string();
            LlmOutcome::ALL.map(n).join(" / ")
        }),
    );
    rows.add(
        "suggestion requests / failed / batches (library)",
        each(|i| {
            format!(
                "{} / {} / {}",
                m(i).suggestion_requests,
                m(i).suggestion_failures,
                results[i].summary.suggestions.len()
            )
        }),
    );
    rows.add(
        "suggestion latency ms p50 / p95 (library)",
        each(|i| {
            let l = &m(i).suggestion_latency;
            format!("{:.0} / {:.0}", ms(l.p50), ms(l.p95))
        }),
    );
    println!();
    rows.print();

    println!();
    println!(
        "per drop (call s): reconnect ms, backlog s, catch-up s, speed ×  [drops | drops + LLM]"
    );
    for (k, at) in drop_times.iter().enumerate() {
        let cell = |i: usize| match recon[i].get(k).and_then(Option::as_ref) {
            Some(r) => format!(
                "{:>6.0} {:>5.2} {:>5.1}{} {}",
                r.reconnect_ms,
                r.backlog,
                r.wall,
                if r.caught_up { " " } else { "*" },
                r.speed().map_or("    -".into(), |s| format!("{s:.3}"))
            ),
            None => "no reconnect seen".into(),
        };
        println!("  {:>2} {at:>7.1}  | {} | {}", k + 1, cell(1), cell(2));
    }
    println!("  (* cut again before catching up)");

    println!();
    print_rss(rss);

    let mut ok = true;
    for i in 1..3 {
        if diff[i] != (0, 0) {
            println!(
                "FAIL {}: {} lost, {} duplicated finals",
                RUNS[i], diff[i].0, diff[i].1
            );
            for (k, n) in &finals[0] {
                if finals[i].get(k).copied().unwrap_or(0) < *n {
                    println!("  lost: {k:?}");
                }
            }
            for (k, n) in &finals[i] {
                if finals[0].get(k).copied().unwrap_or(0) < *n {
                    println!("  extra: {k:?}");
                }
            }
            ok = false;
        }
    }
    for i in 0..3 {
        for (id, from, to) in &gaps[i] {
            println!(
                "FAIL {}: connection {id} never got call audio {from:.3}-{to:.3} s",
                RUNS[i]
            );
            ok = false;
        }
        if let Some(why) = &back[i] {
            println!("FAIL {}: time went backwards: {why}", RUNS[i]);
            ok = false;
        }
        if let Some(e) = &results[i].summary.error {
            println!("FAIL {}: the call ended in error: {e}", RUNS[i]);
            ok = false;
        }
    }
    if count(0) != expected {
        println!(
            "FAIL fault-free: {} finals, the script has {expected}",
            count(0)
        );
        ok = false;
    }
    println!("{}", if ok { "PASS" } else { "FAILED" });
    ok
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_rss(rss: &[(f64, u64)]) {
    let kib: Vec<u64> = rss.iter().map(|r| r.1).collect();
    let (min, max) = (
        kib.iter().copied().min().unwrap_or(0),
        kib.iter().copied().max().unwrap_or(0),
    );
    let last = kib.last().copied().unwrap_or(0);
    let mib = |k: u64| k as f64 / 1024.0;
    println!(
        "RSS of the calls' process (3 sessions + bench), {} samples: start {:.1} MiB, min {:.1}, max {:.1}, last {:.1}",
        rss.len(),
        mib(kib.first().copied().unwrap_or(0)),
        mib(min),
        mib(max),
        mib(last)
    );
    // Growth after the first minute (allocator pools and buffers warm up before it): the
    // least-squares slope of the samples after it.
    let late: Vec<(f64, f64)> = rss
        .iter()
        .filter(|r| r.0 >= 60.0)
        .map(|r| (r.0 / 60.0, r.1 as f64))
        .collect();
    if late.len() >= 3 {
        let n = late.len() as f64;
        let (mx, my) = (
            late.iter().map(|p| p.0).sum::<f64>() / n,
            late.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxy: f64 = late.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = late.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let first = late[0].1;
        println!(
            "RSS growth after minute 1: {:+.1} MiB ({:+.0} KiB/min by least squares over {} samples)",
            (last as f64 - first) / 1024.0,
            if sxx > 0.0 { sxy / sxx } else { 0.0 },
            late.len()
        );
    } else {
        println!("RSS growth after minute 1: - (call too short)");
    }
    let series: Vec<String> = rss
        .iter()
        .map(|(t, k)| format!("{:.0}s {:.1}", t, mib(*k)))
        .collect();
    println!("RSS MiB over time: {}", series.join(", "));
}
