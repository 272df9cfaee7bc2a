//! `helix cdr`'s progress on stderr: one line redrawn in place when stderr is a terminal (days
//! done/total, records so far, the wait for the next CDR slot, ETA), plain lines when it is
//! not (one per day, one per wait), so a log or a CI job reads them.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

/// Where an export is, and how it is shown.
pub struct Progress {
    tty: bool,
    days_total: usize,
    days_done: usize,
    records: usize,
    /// Time one day costs at the pace the client was built with (an estimate: other clients
    /// of the account share the pace).
    per_day: Duration,
    started: Instant,
    /// A redrawn line is on screen.
    drawn: bool,
}

impl Progress {
    /// `days_total` days to fetch (the ones a resume skips are not counted), `per_day` the
    /// pace's cost of one request.
    pub fn new(tty: bool, days_total: usize, per_day: Duration) -> Self {
        Progress {
            tty,
            days_total,
            days_done: 0,
            records: 0,
            per_day,
            started: Instant::now(),
            drawn: false,
        }
    }

    /// A resume found `days` already in the file.
    pub fn skipped(&mut self, days: &[NaiveDate]) {
        if days.is_empty() {
            return;
        }
        self.line(&format!(
            "cdr: resuming: {} days already in the file ({}), skipped",
            days.len(),
            days.iter()
                .map(NaiveDate::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    /// The next day's request is going out.
    pub fn fetching(&mut self, day: NaiveDate) {
        if self.tty {
            self.redraw(&format!("fetching {day}"), None);
        }
    }

    /// The next request waits `wait` for a CDR slot. On a terminal the countdown is redrawn
    /// every second while `sleep` runs; otherwise one line says how long.
    pub async fn wait(&mut self, wait: Duration) {
        if wait.is_zero() {
            return;
        }
        if !self.tty {
            self.line(&format!(
                "cdr: waiting {} for the next CDR slot (Ozonetel allows 2 CDR requests a \
                 minute per account)",
                human_duration(wait)
            ));
            tokio::time::sleep(wait).await;
            return;
        }
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            self.redraw(
                &format!("next slot in {}", human_duration(left)),
                Some(left),
            );
            tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        }
    }

    /// A day's `count` records are written; `next_wait` is the wait before the next day's
    /// request (zero after the last).
    pub fn day_done(&mut self, day: NaiveDate, count: usize, next_wait: Duration) {
        self.days_done += 1;
        self.records += count;
        if self.tty {
            self.redraw(&format!("{day} done"), Some(next_wait));
            return;
        }
        self.line(&format!(
            "cdr: {day}: {count} records (day {}/{}, {} records so far, ETA {})",
            self.days_done,
            self.days_total,
            self.records,
            human_duration(self.eta(next_wait))
        ));
    }

    /// The export is over (done or failed): the redrawn line is ended.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err);
            self.drawn = false;
        }
    }

    /// The whole export's line: days, records, time taken.
    pub fn summary(&mut self, target: &str) {
        self.finish();
        self.line(&format!(
            "cdr: {} days, {} records in {} → {target}",
            self.days_done,
            self.records,
            human_duration(self.started.elapsed())
        ));
    }

    /// Time left: the next wait, then the pace's cost of each day after the next.
    fn eta(&self, next_wait: Duration) -> Duration {
        let left = self.days_total.saturating_sub(self.days_done);
        if left == 0 {
            return Duration::ZERO;
        }
        next_wait + self.per_day * u32::try_from(left - 1).unwrap_or(u32::MAX)
    }

    fn redraw(&mut self, status: &str, next_wait: Option<Duration>) {
        let eta = next_wait.map_or(String::new(), |w| {
            format!(" · ETA {}", human_duration(self.eta(w)))
        });
        let mut err = std::io::stderr().lock();
        // \r and "erase line": the bar replaces itself instead of scrolling.
        let _ = write!(
            err,
            "\r\x1b[2Kcdr [{}/{} days] {} records · {status}{eta}",
            self.days_done, self.days_total, self.records
        );
        let _ = err.flush();
        self.drawn = true;
    }

    fn line(&mut self, text: &str) {
        self.finish();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }
}

/// `1h02m`, `7m30s`, `28s`, `0.4s`: short enough for a progress line. Whole seconds round
/// up, so a countdown never shows less than is left.
pub fn human_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{:.1}s", d.as_secs_f64());
    }
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(human_duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(human_duration(Duration::from_secs(28)), "28s");
        assert_eq!(human_duration(Duration::from_millis(2_990)), "3s");
        assert_eq!(human_duration(Duration::from_secs(450)), "7m30s");
        assert_eq!(human_duration(Duration::from_secs(3720)), "1h02m");
    }

    #[test]
    fn the_eta_is_the_next_wait_then_the_pace() {
        let mut p = Progress::new(false, 15, Duration::from_millis(30_500));
        p.days_done = 2;
        // 13 days left: the next one after 20 s, then 12 at 30.5 s.
        assert_eq!(
            p.eta(Duration::from_secs(20)),
            Duration::from_secs(20) + Duration::from_millis(30_500) * 12
        );
        p.days_done = 15;
        assert_eq!(p.eta(Duration::from_secs(20)), Duration::ZERO);
    }
}
