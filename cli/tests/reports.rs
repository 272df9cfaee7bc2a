//! `helix missed` and `helix cdr` against the simulator: the table and JSON lines, `--watch`
//! printing a new missed call once, CDR exports in CSV and JSON lines read back and compared
//! with the simulator's store, the progress lines on stderr, a failed day leaving a file that
//! `--resume` completes without asking again for the days it holds.

mod child;
mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use helix_engage::ozonetel::CALL_RECORD_FIELDS;
use helix_engage_sim::{DEFAULT_USER_NAME, Endpoint, Fault, PastCall, Simulator, Times};
use serde_json::Value;
use support::{helix, run, stderr, stdout};

fn now(sim: &Simulator) -> NaiveDateTime {
    sim.clock().now_naive_local()
}

/// A missed call at `start`, from `number`.
fn missed(sim: &Simulator, number: &str, start: NaiveDateTime) {
    sim.seed_history(PastCall {
        customer_number: number.into(),
        agent_id: String::new(),
        agent_name: String::new(),
        answered: false,
        start: Some(start),
        ring_secs: 20,
        hangup_by: "CustomerHangup".into(),
        ..Default::default()
    })
    .unwrap();
}

/// Earlier today, never before midnight.
fn earlier_today(sim: &Simulator, mins: i64) -> NaiveDateTime {
    let now = now(sim);
    (now - chrono::Duration::minutes(mins)).max(now.date().and_time(NaiveTime::MIN))
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn missed_prints_a_table_and_json_lines() {
    let sim = support::sim().await;
    missed(&sim, "9001122334", earlier_today(&sim, 30));
    missed(&sim, "9090909090", earlier_today(&sim, 10));
    let today = now(&sim).date();

    let mut cmd = helix(&sim);
    cmd.args([
        "missed",
        "--from",
        &today.to_string(),
        "--to",
        &today.to_string(),
    ]);
    let o = run(cmd).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("TIME"), "{text}");
    assert!(lines[0].contains("CALLER") && lines[0].contains("MONITOR UCID"));
    assert_eq!(lines.len(), 3, "{text}");
    // Aligned: every row's caller starts where the header's CALLER does.
    let col = lines[0].find("CALLER").unwrap();
    for (row, number) in lines[1..].iter().zip(["9001122334", "9090909090"]) {
        assert!(
            row[col..].trim_start_matches('0').starts_with(number),
            "{text}"
        );
    }
    // The window went on the wire as the account's local day.
    let req = sim
        .ozonetel_requests()
        .into_iter()
        .rfind(|r| r.path == "/ca_apis/abandonCalls")
        .unwrap();
    let body: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["fromTime"], format!("{today} 00:00:00"));
    assert_eq!(body["toTime"], format!("{today} 23:59:59"));

    let mut cmd = helix(&sim);
    cmd.args(["missed", "--json"]);
    let o = run(cmd).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let calls = json_lines(&stdout(&o));
    assert_eq!(calls.len(), 2, "{}", stdout(&o));
    let store = sim.abandoned_calls(DEFAULT_USER_NAME);
    for call in &calls {
        let ucid = call["monitorUcid"].as_str().unwrap();
        let stored = store
            .iter()
            .find(|s| s["monitorUCID"].to_string().trim_matches('"') == ucid)
            .unwrap_or_else(|| panic!("{ucid} not in {store:?}"));
        assert_eq!(call["callerId"], stored["callerID"]);
        assert_eq!(call["hangupBy"], "CustomerHangup");
    }

    let mut cmd = helix(&sim);
    cmd.args(["missed", "--from", "yesterday"]);
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--from is \"yesterday\""),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn watch_prints_a_new_missed_call_once() {
    let sim = support::sim().await;
    missed(&sim, "9001122334", earlier_today(&sim, 30));
    let mut cmd = helix(&sim);
    cmd.args(["missed", "--watch", "--interval", "0.3"]);
    let mut watching = child::Running::spawn(cmd);
    let polls = |sim: &Simulator| {
        sim.ozonetel_requests()
            .iter()
            .filter(|r| r.path == "/ca_apis/abandonCalls")
            .count()
    };
    // The first poll is the baseline: the call already missed is not printed.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while polls(&sim) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(polls(&sim) > 0, "{}", watching.transcript());
    missed(&sim, "9812345678", now(&sim));
    let line = watching
        .stdout_line(Duration::from_secs(10), |l| l.contains("9812345678"))
        .await;
    assert!(line.is_some(), "{}", watching.transcript());
    // Three more polls: still one line for it, and none for the older call.
    let seen = polls(&sim);
    while polls(&sim) < seen + 3 && std::time::Instant::now() < deadline + Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = watching
        .stdout_line(Duration::from_millis(100), |_| false)
        .await;
    let text = watching.transcript();
    assert_eq!(
        watching
            .stdout
            .iter()
            .filter(|l| l.contains("9812345678"))
            .count(),
        1,
        "{text}"
    );
    assert!(
        !watching.stdout.iter().any(|l| l.contains("9001122334")),
        "{text}"
    );
    assert!(
        watching
            .stderr
            .iter()
            .any(|l| l.contains("watching for new missed calls")),
        "{text}"
    );
}

/// Three past days of history (from the simulator's clock), two calls a day, one of them
/// missed and one with a comment that needs CSV quoting.
fn seed_days(sim: &Simulator) -> Vec<NaiveDate> {
    let today = now(sim).date();
    let days: Vec<NaiveDate> = (1..=3).rev().map(|n| today - Days::new(n)).collect();
    for day in &days {
        sim.seed_history(PastCall {
            start: Some(day.and_hms_opt(10, 15, 0).unwrap()),
            talk_secs: 95,
            disposition: "Appointment Booked, \"urgent\"".into(),
            ..Default::default()
        })
        .unwrap();
        sim.seed_history(PastCall {
            customer_number: "9090909090".into(),
            answered: false,
            start: Some(day.and_hms_opt(15, 30, 0).unwrap()),
            hangup_by: "CustomerHangup".into(),
            ..Default::default()
        })
        .unwrap();
    }
    days
}

fn cdr_requests(sim: &Simulator) -> Vec<Value> {
    sim.ozonetel_requests()
        .into_iter()
        .filter(|r| r.path == "/ca_reports/fetchCDRDetails")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

/// The simulator's stored records for `days`, as `fetchCDRDetails` serves them.
fn stored(sim: &Simulator, days: &[NaiveDate]) -> Vec<Value> {
    sim.cdr_records(DEFAULT_USER_NAME)
        .into_iter()
        .filter(|r| days.iter().any(|d| r["CallDate"] == d.to_string()))
        .collect()
}

/// `helix cdr` with a fast client pace (the hidden test flag) while the simulator's frozen
/// clock moves 31 s per CDR request it receives — what a real 2-a-minute pace averages — so
/// the simulator's own 2-a-minute rule holds. `fault_after`: after that many CDR requests, the
/// next one answers broken JSON.
async fn cdr(sim: &Simulator, args: &[&str], fault_after: Option<usize>) -> Output {
    let mut cmd: Command = helix(sim);
    cmd.arg("cdr")
        .args(args)
        .args(["--cdr-rate-limit", "2/300"]);
    let child = tokio::task::spawn_blocking(move || cmd.output().expect("helix runs"));
    tokio::pin!(child);
    let mut seen = cdr_requests(sim).len();
    loop {
        tokio::select! {
            out = &mut child => return out.expect("join"),
            _ = tokio::time::sleep(Duration::from_millis(10)) => {
                let n = cdr_requests(sim).len();
                while seen < n {
                    seen += 1;
                    sim.advance(Duration::from_secs(31));
                    if fault_after == Some(seen) {
                        sim.inject_fault(Endpoint::FetchCdrDetails, Fault::MalformedJson, Times::Once);
                    }
                }
            }
        }
    }
}

fn day_args(days: &[NaiveDate]) -> [String; 4] {
    [
        "--from".into(),
        days[0].to_string(),
        "--to".into(),
        days[days.len() - 1].to_string(),
    ]
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(Result::unwrap).collect();
    (headers, rows)
}

#[tokio::test]
async fn cdr_exports_three_days_as_csv_with_progress_lines() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let days = seed_days(&sim);
    let dir = child::tempdir("csv");
    let file = dir.join("cdr.csv");
    let [f, from, t, to] = day_args(&days);
    let path = file.to_str().unwrap();
    let o = cdr(
        &sim,
        &[&f, &from, &t, &to, "--format", "csv", "-o", path],
        None,
    )
    .await;
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(stdout(&o), "", "the export went to the file");

    let (headers, rows) = read_csv(&file);
    assert_eq!(headers, CALL_RECORD_FIELDS);
    let expected = stored(&sim, &days);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows.len(), expected.len());
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    for row in &rows {
        let want = expected
            .iter()
            .find(|r| r["UCID"].to_string().trim_matches('"') == &row[col("UCID")])
            .unwrap_or_else(|| panic!("{row:?} not stored"));
        for field in [
            "CallDate",
            "StartTime",
            "CallerID",
            "Status",
            "Disposition",
            "AgentID",
        ] {
            assert_eq!(
                want[field].as_str().unwrap_or_default(),
                &row[col(field)],
                "{field}"
            );
        }
    }
    assert!(
        rows.iter()
            .any(|r| &r[col("Disposition")] == "Appointment Booked, \"urgent\"")
    );

    // One request a day, none refused, each the account-local day.
    let requests = cdr_requests(&sim);
    assert_eq!(requests.len(), 3);
    for (req, day) in requests.iter().zip(&days) {
        assert_eq!(req["fromDate"], format!("{day} 00:00:00"));
        assert_eq!(req["toDate"], format!("{day} 23:59:59"));
    }
    // Not a terminal: one plain line per day and one per wait.
    for (i, day) in days.iter().enumerate() {
        let line = format!(
            "cdr: {day}: 2 records (day {}/3, {} records so far",
            i + 1,
            (i + 1) * 2
        );
        assert!(err.contains(&line), "{line} in:\n{err}");
    }
    assert!(err.contains("cdr: waiting "), "{err}");
    assert!(err.contains("for the next CDR slot"), "{err}");
    assert!(
        !err.contains('\r'),
        "no redrawn bar off a terminal: {err:?}"
    );
    assert!(err.contains("cdr: 3 days, 6 records"), "{err}");
    let ledger = std::fs::read_to_string(format!("{path}.progress")).unwrap();
    assert_eq!(
        ledger.lines().filter(|l| l.starts_with("20")).count(),
        3,
        "{ledger}"
    );
}

#[tokio::test]
async fn cdr_exports_json_lines_to_stdout() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let days = seed_days(&sim);
    let [f, from, t, to] = day_args(&days);
    let o = cdr(&sim, &[&f, &from, &t, &to, "--format", "jsonl"], None).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let records = json_lines(&stdout(&o));
    let expected = stored(&sim, &days);
    assert_eq!(records.len(), 6);
    assert_eq!(records.len(), expected.len());
    for r in &records {
        let want = expected
            .iter()
            .find(|s| s["UCID"].to_string().trim_matches('"') == r["ucid"])
            .unwrap();
        assert_eq!(r["callerId"], want["CallerID"]);
        assert_eq!(r["disposition"], want["Disposition"]);
        assert_eq!(r["callDate"], want["CallDate"]);
        assert_eq!(r["status"], want["Status"]);
    }
}

#[tokio::test]
async fn a_failed_day_stops_with_its_code_and_resume_fetches_only_the_rest() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let days = seed_days(&sim);
    let dir = child::tempdir("resume");
    let file = dir.join("cdr.jsonl");
    let path = file.to_str().unwrap();
    let [f, from, t, to] = day_args(&days);
    let args = [&f[..], &from, &t, &to, "--format", "jsonl", "-o", path];

    // The third day's answer is broken: protocol (exit 10), two days kept.
    let o = cdr(&sim, &args, Some(2)).await;
    assert_eq!(o.status.code(), Some(10), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&days[2].to_string()), "{err}");
    assert!(err.contains("--resume"), "says how to continue: {err}");
    let kept = json_lines(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(kept.len(), 4);

    sim.clear_recordings();
    let mut resume = args.to_vec();
    resume.push("--resume");
    let o = cdr(&sim, &resume, None).await;
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("2 days already in the file"), "{err}");
    let requests = cdr_requests(&sim);
    assert_eq!(requests.len(), 1, "only the missing day: {requests:?}");
    assert_eq!(requests[0]["fromDate"], format!("{} 00:00:00", days[2]));
    let all = json_lines(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(all.len(), 6);
    let mut ucids: Vec<&str> = all.iter().map(|r| r["ucid"].as_str().unwrap()).collect();
    ucids.sort();
    ucids.dedup();
    assert_eq!(ucids.len(), 6, "no day twice");

    // Resuming with another format would mix two exports: refused, nothing sent.
    sim.clear_recordings();
    let mut other = resume.clone();
    other[5] = "csv";
    let o = cdr(&sim, &other, None).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("another format or filter"),
        "{}",
        stderr(&o)
    );
    assert!(cdr_requests(&sim).is_empty());
}

#[tokio::test]
async fn cdr_refuses_bad_ranges_before_sending() {
    let sim = support::sim().await;
    let today = now(&sim).date();
    for (from, to, needle) in [
        (
            today.to_string(),
            (today - Days::new(1)).to_string(),
            "before --from",
        ),
        (
            (today - Days::new(20)).to_string(),
            today.to_string(),
            "15 days back",
        ),
        (
            (today + Days::new(2)).to_string(),
            (today + Days::new(3)).to_string(),
            "after today",
        ),
        (
            "30/11/2026".to_string(),
            today.to_string(),
            "--from is \"30/11/2026\"",
        ),
    ] {
        let mut cmd = helix(&sim);
        cmd.args(["cdr", "--from", &from, "--to", &to]);
        let o = run(cmd).await;
        assert_eq!(o.status.code(), Some(2), "{from} {to}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{needle}: {}", stderr(&o));
    }
    // --resume needs the file it resumes; the tests' pace flag is not offered to people.
    let mut cmd = helix(&sim);
    cmd.args([
        "cdr",
        "--from",
        &today.to_string(),
        "--to",
        &today.to_string(),
        "--resume",
    ]);
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--output"), "{}", stderr(&o));
    let mut cmd = helix(&sim);
    cmd.args(["cdr", "--help"]);
    let help = stdout(&run(cmd).await);
    assert!(
        help.contains("--resume") && !help.contains("cdr-rate-limit"),
        "{help}"
    );
    assert!(cdr_requests(&sim).is_empty());
}

#[tokio::test]
async fn cdr_prints_an_aligned_table_by_default() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let days = seed_days(&sim);
    let day = days[2].to_string();
    let o = cdr(&sim, &["--from", &day, "--to", &day], None).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("DATE"), "{text}");
    assert_eq!(lines.len(), 3, "{text}");
    let col = lines[0].find("UCID").unwrap();
    for want in stored(&sim, &days[2..]) {
        let ucid = want["UCID"].to_string();
        let ucid = ucid.trim_matches('"');
        assert!(
            lines[1..].iter().any(|l| l[col..].starts_with(ucid)),
            "{ucid} in\n{text}"
        );
    }
}

#[tokio::test]
async fn cdr_ucid_asks_for_one_call() {
    let sim = Simulator::builder().frozen_clock().start().await.unwrap();
    let days = seed_days(&sim);
    let want = stored(&sim, &days[1..2]).remove(0);
    let ucid = want["UCID"].to_string().trim_matches('"').to_string();
    let day = days[1].to_string();
    let o = cdr(
        &sim,
        &["--from", &day, "--to", &day, "--ucid", &ucid, "--json"],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let records = json_lines(&stdout(&o));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["ucid"], ucid.as_str());
    assert_eq!(cdr_requests(&sim)[0]["ucid"], ucid.as_str());
}
