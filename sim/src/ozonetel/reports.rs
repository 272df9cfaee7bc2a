//! Call history: `abandonCalls`, `fetchCDRDetails` and `fetchCdrByUCID`.
//!
//! The reports are GET requests with a JSON body — many HTTP stacks turn that into a POST or
//! drop the body, and Ozonetel answers those with an error, so the simulator does too. Windows
//! must stay within one calendar day (account-local time), may reach 15 days back (older answers
//! an empty list, not an error) and an account may ask twice a minute.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::account::Account;
use super::auth;
use super::history::{HistoryEntry, MAX_CALL_SECS, PastCall, secs};
use super::state::OzState;
use super::wire::{DATE_TIME_FORMAT, false_plain, false_with_data, invalid_json, parse_object};
use crate::error::SimError;
use crate::faults::{Endpoint, lock};
use crate::intake::intake;
use crate::shared::Shared;

/// Requests per rolling minute and account on the CDR endpoints (both count together).
pub(crate) const CDR_REQUESTS_PER_MINUTE: usize = 2;
/// How many days back the CDR endpoints answer.
pub(crate) const CDR_DAYS_BACK: i64 = 15;
/// The CDR answer to a window spanning two days (Ozonetel's wording is not public).
pub(crate) const NOT_SAME_DAY: &str = "fromDate and toDate should be on the same day";
/// The CDR answer to fromDate after toDate (wording not public).
pub(crate) const FROM_AFTER_TO: &str = "fromDate should not be greater than toDate";
/// The fetchCdrByUCID answer without a ucid (wording not public).
pub(crate) const MISSING_UCID: &str = "Missing ucid";

/// Adds a past call to the history.
pub(crate) fn seed_history(
    state: &mut OzState,
    default_account: &str,
    now_local: NaiveDateTime,
    past: PastCall,
) -> Result<String, SimError> {
    let account = state.seed_account(past.account, default_account)?;
    if past.ring_secs.saturating_add(past.talk_secs) > MAX_CALL_SECS
        || past.hold_secs > past.talk_secs
    {
        return Err(SimError::InvalidCall(
            "ring_secs + talk_secs must be at most a week and hold_secs at most talk_secs".into(),
        ));
    }
    let ucid = state.claim_ucid(past.ucid.as_deref())?;
    state.note_campaign(&account, &past.campaign);
    let call_id = state.next_call_id();
    let start = past.start.unwrap_or_else(|| {
        now_local
            .checked_sub_signed(secs(past.ring_secs + past.talk_secs))
            .unwrap_or(now_local)
    });
    state.history.push(HistoryEntry {
        ucid,
        monitor_ucid: ucid,
        call_id,
        account,
        customer_number: past.customer_number,
        agent_id: past.agent_id,
        agent_name: past.agent_name,
        did: past.did,
        campaign: past.campaign,
        skill: past.skill,
        call_type: past.call_type,
        answered: past.answered,
        start,
        ring_secs: past.ring_secs,
        talk_secs: if past.answered { past.talk_secs } else { 0 },
        hold_secs: past.hold_secs,
        hangup_by: past.hangup_by,
        transferred_to: past.transferred_to,
        disposition: past.disposition,
        comments: String::new(),
        dial_status: None,
    });
    Ok(ucid.to_string())
}

fn parse_time(v: Option<&Value>) -> Result<Option<NaiveDateTime>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() == 19 => {
            NaiveDateTime::parse_from_str(s, DATE_TIME_FORMAT)
                .map(Some)
                .map_err(|_| ())
        }
        Some(_) => Err(()),
    }
}

/// A filter value that may be given as a string or a JSON number (UCIDs).
fn filter_value(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `GET /ca_apis/abandonCalls` (GET with a JSON body).
pub(crate) async fn abandon_calls(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    if let Some(resp) = intake(
        &shared,
        Endpoint::AbandonCalls,
        &method,
        raw.as_deref(),
        &headers,
        &body,
    )
    .await
    {
        return resp;
    }
    let map = parse_object(&body).unwrap_or_default();
    let user = map.get("userName").and_then(Value::as_str);
    let bad_user = || false_with_data("Invalid User Details");
    let account = match auth::authenticate(&shared, &headers, user, &bad_user) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let now = shared.clock.now_naive_local();
    let Ok(from) = parse_time(map.get("fromTime")) else {
        return false_with_data(
            "Invalid fromTime format. Please pass the time in the format yyyy-MM-dd HH:mm:ss",
        );
    };
    let Ok(to) = parse_time(map.get("toTime")) else {
        return false_with_data(
            "Invalid toTime format. Please pass the time in the format yyyy-MM-dd HH:mm:ss",
        );
    };
    // Without times Ozonetel answers today's calls.
    let from = from.unwrap_or_else(|| now.date().and_time(chrono::NaiveTime::MIN));
    let to = to.unwrap_or(now);
    let campaign = filter_value(&map, "campaignName");
    let state = lock(&shared.oz);
    let mut items: Vec<&HistoryEntry> = state
        .history
        .iter()
        .filter(|h| h.account == account.user_name && !h.answered)
        .filter(|h| h.start >= from && h.start <= to)
        .filter(|h| campaign.as_ref().is_none_or(|c| &h.campaign == c))
        .collect();
    items.sort_by_key(|h| h.start);
    let list: Vec<Value> = items.iter().map(|h| h.abandoned_item()).collect();
    axum::Json(json!({"status": "success", "message": list})).into_response()
}

/// `GET /ca_reports/fetchCDRDetails` (GET with a JSON body).
pub(crate) async fn fetch_cdr_details(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    cdr(shared, method, headers, raw, body, CdrKind::Details).await
}

/// `GET /ca_reports/fetchCdrByUCID` (GET with a JSON body).
pub(crate) async fn fetch_cdr_by_ucid(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    cdr(shared, method, headers, raw, body, CdrKind::ByUcid).await
}

/// `GET /ca_reports/fetchCdrByPagination` (GET with a JSON body): fetchCDRDetails' rules and
/// budget plus `pageNo` / `pageSize` (at most [`MAX_PAGE_SIZE`]) and `totalCount`.
pub(crate) async fn fetch_cdr_by_pagination(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    cdr(shared, method, headers, raw, body, CdrKind::Paginated).await
}

/// The three CDR endpoints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CdrKind {
    Details,
    ByUcid,
    Paginated,
}

/// Largest `pageSize` fetchCdrByPagination accepts.
pub(crate) const MAX_PAGE_SIZE: u64 = 500;
/// `pageSize` when none is given.
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 100;

/// A page field: absent → `default`; a positive integer as a JSON number or digits text;
/// anything else `Err`.
fn page_field(map: &Map<String, Value>, key: &str, default: u64) -> Result<u64, ()> {
    let n = match map.get(key) {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(default),
        Some(Value::Number(n)) => n.as_u64().ok_or(())?,
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| ())?,
        Some(_) => return Err(()),
    };
    if n == 0 { Err(()) } else { Ok(n) }
}

/// One record as the paginated report spells it: every second record of a page says
/// `TransferTo` instead of `TransferredTo`, and unanswered calls carry null `HandlingTime`
/// and `WrapupDuration` — the variations clients meet at Ozonetel.
fn paginated_record(h: &HistoryEntry, index_on_page: usize) -> Value {
    let mut rec = h.cdr_record();
    if let Value::Object(m) = &mut rec {
        if index_on_page % 2 == 1
            && let Some(v) = m.remove("TransferredTo")
        {
            m.insert("TransferTo".into(), v);
        }
        if !h.answered {
            m.insert("HandlingTime".into(), Value::Null);
            m.insert("WrapupDuration".into(), Value::Null);
        }
    }
    rec
}

fn fail(message: &str) -> Response {
    axum::Json(json!({"status": "fail", "message": message})).into_response()
}

async fn cdr(
    shared: Arc<Shared>,
    method: Method,
    headers: HeaderMap,
    raw: Option<String>,
    body: Bytes,
    kind: CdrKind,
) -> Response {
    let by_ucid = kind == CdrKind::ByUcid;
    let endpoint = match kind {
        CdrKind::Details => Endpoint::FetchCdrDetails,
        CdrKind::ByUcid => Endpoint::FetchCdrByUcid,
        CdrKind::Paginated => Endpoint::FetchCdrByPagination,
    };
    if let Some(resp) = intake(&shared, endpoint, &method, raw.as_deref(), &headers, &body).await {
        return resp;
    }
    // Parameters only count in the JSON body; a query string or an empty body is refused.
    let Some(map) = parse_object(&body) else {
        return invalid_json();
    };
    let user = map.get("userName").and_then(Value::as_str);
    let bad_user = || false_plain("Missing userName or apiKey");
    let account = match auth::authenticate(&shared, &headers, user, &bad_user) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    if let Some(resp) = rate_limit(&shared, &account) {
        return resp;
    }
    let now = shared.clock.now_naive_local();
    let given = |k: &str| match map.get(k) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(v),
    };
    let (Some(from), Some(to)) = (given("fromDate"), given("toDate")) else {
        return fail("Missing fromDate and toDate");
    };
    let (from, to) = (Some(from), Some(to));
    let Ok(Some(from)) = parse_time(from) else {
        return fail(
            "Invalid fromDate format. Please pass the date in the format yyyy-MM-dd HH:mm:ss",
        );
    };
    let Ok(Some(to)) = parse_time(to) else {
        return fail(
            "Invalid toDate format. Please pass the date in the format yyyy-MM-dd HH:mm:ss",
        );
    };
    if from > now || to > now {
        return fail("fromDate and toDate should not be future dates");
    }
    if from.date() != to.date() {
        return fail(NOT_SAME_DAY);
    }
    if from > to {
        return fail(FROM_AFTER_TO);
    }
    let ucid = filter_value(&map, "ucid");
    if by_ucid && ucid.is_none() {
        return fail(MISSING_UCID);
    }
    // Only the paginated report reads page fields; the others ignore them.
    let (page_no, page_size) = if kind == CdrKind::Paginated {
        let Ok(no) = page_field(&map, "pageNo", 1) else {
            return fail(BAD_PAGE_NO);
        };
        match page_field(&map, "pageSize", DEFAULT_PAGE_SIZE) {
            Ok(n) if n <= MAX_PAGE_SIZE => (no, n),
            _ => return fail(BAD_PAGE_SIZE),
        }
    } else {
        (1, DEFAULT_PAGE_SIZE)
    };
    let campaign = filter_value(&map, "campaignName");
    let state = lock(&shared.oz);
    if let Some(c) = &campaign {
        let known = state
            .accounts
            .get(&account.user_name)
            .is_some_and(|a| a.campaigns.contains(c));
        if !known {
            return fail("Invalid campaignName");
        }
    }
    // Older than the retention window: an empty answer, not an error.
    let oldest_day = now
        .date()
        .checked_sub_signed(chrono::Duration::days(CDR_DAYS_BACK))
        .unwrap_or(chrono::NaiveDate::MIN);
    if from.date() < oldest_day {
        return page_answer(kind, Vec::new(), 0, page_no, page_size);
    }
    let monitor = filter_value(&map, "monitorUCID");
    let call_type = filter_value(&map, "callType");
    let status = filter_value(&map, "status");
    let mut rows: Vec<&HistoryEntry> = state
        .history
        .iter()
        .filter(|h| h.account == account.user_name)
        .filter(|h| h.start >= from && h.start <= to)
        .filter(|h| ucid.as_ref().is_none_or(|u| &h.ucid.to_string() == u))
        .filter(|h| {
            monitor
                .as_ref()
                .is_none_or(|u| &h.monitor_ucid.to_string() == u)
        })
        .filter(|h| campaign.as_ref().is_none_or(|c| &h.campaign == c))
        .filter(|h| {
            call_type
                .as_ref()
                .is_none_or(|t| h.call_type.eq_ignore_ascii_case(t))
        })
        .filter(|h| {
            status.as_ref().is_none_or(|s| {
                let answered = s.eq_ignore_ascii_case("Answered");
                answered == h.answered
            })
        })
        .collect();
    rows.sort_by_key(|h| h.start);
    if kind != CdrKind::Paginated {
        let details: Vec<Value> = rows.iter().map(|h| h.cdr_record()).collect();
        return page_answer(kind, details, 0, page_no, page_size);
    }
    let total = rows.len();
    let skip = usize::try_from((page_no - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    let take = usize::try_from(page_size).unwrap_or(usize::MAX);
    let details: Vec<Value> = rows
        .iter()
        .skip(skip)
        .take(take)
        .enumerate()
        .map(|(i, h)| paginated_record(h, i))
        .collect();
    page_answer(kind, details, total, page_no, page_size)
}

/// The paginated answer to a bad `pageNo` (wording not public).
pub(crate) const BAD_PAGE_NO: &str = "pageNo should be a positive number";
/// The paginated answer to a bad or too large `pageSize` (wording not public).
pub(crate) const BAD_PAGE_SIZE: &str = "pageSize should be a number between 1 and 500";

fn page_answer(
    kind: CdrKind,
    details: Vec<Value>,
    total: usize,
    page_no: u64,
    page_size: u64,
) -> Response {
    if kind != CdrKind::Paginated {
        return axum::Json(json!({"details": details})).into_response();
    }
    axum::Json(json!({
        "status": "success",
        "details": details,
        "totalCount": total,
        "pageNo": page_no,
        "pageSize": page_size,
    }))
    .into_response()
}

/// The answer to a third CDR request within a minute (Ozonetel's wording is not public).
pub(crate) const CDR_RATE_LIMIT_MESSAGE: &str =
    "Rate limit exceeded. Only 2 requests per minute are allowed";

/// 2 requests per rolling minute per account, by the simulator's clock. Refused requests do not
/// count, so a client that waits for Retry-After always gets through.
fn rate_limit(shared: &Shared, account: &Account) -> Option<Response> {
    let now = shared.clock.now();
    let mut state = lock(&shared.oz);
    let window = state
        .cdr_requests
        .entry(account.user_name.clone())
        .or_default();
    let minute_ago = now - chrono::Duration::seconds(60);
    while window.front().is_some_and(|t| *t <= minute_ago) {
        window.pop_front();
    }
    if window.len() >= CDR_REQUESTS_PER_MINUTE {
        let oldest = window.front().copied().unwrap_or(now);
        let wait_ms = (oldest + chrono::Duration::seconds(60) - now).num_milliseconds();
        let retry_after = u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1);
        return Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after.to_string())],
                axum::Json(json!({"status": "fail", "message": CDR_RATE_LIMIT_MESSAGE})),
            )
                .into_response(),
        );
    }
    window.push_back(now);
    None
}
