//! `helix_ozonetel`: the Ozonetel CloudAgent client, and `helix_transfer`.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use helix_engage::ozonetel::{
    AbandonedCallsQuery, AuthMode, CallRecordsQuery, CdrProgress, Client, RedisAccountStore,
    Region, parse_local_date, parse_local_date_time,
};

use crate::error::{Failure, FfiResult, helix_status};
use crate::ffi::{
    HandleRuntime, arg_opt_out, arg_opt_str, arg_out, arg_ref, arg_str, block_on, ffi, free_handle,
    into_handle, json_string,
};

/// A client for one Ozonetel CloudAgent account.
///
/// Thread safety: safe to share between threads; every function taking a
/// `const helix_ozonetel *` may be called from several threads at once. Each call blocks the
/// calling thread until Ozonetel answers (bounded by `timeout_ms`, with retries for idempotent
/// reads). The handle owns a small I/O runtime (two worker threads). Every client of one
/// account in the process (same base URL, user name and key, however spelled) shares one
/// token, one hourly generation budget and one CDR pace, so a second client of an account
/// costs no token. What acts as an agent goes through a `helix_agent`
/// (`helix_ozonetel_agent_new`). Free it with `helix_ozonetel_free` once no call is running on
/// it.
pub struct helix_ozonetel {
    // Field order matters: the client (and its connection pool) drops before the runtime.
    client: Client,
    runtime: Arc<HandleRuntime>,
}

impl helix_ozonetel {
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn runtime(&self) -> &Arc<HandleRuntime> {
        &self.runtime
    }

    /// Runs a client call on the handle's runtime, on the calling thread.
    pub(crate) fn run<F: std::future::Future>(&self, future: F) -> FfiResult<F::Output> {
        block_on(&self.runtime, future)
    }
}

/// How the account authenticates, as set by its admin under "API Authentication".
/// Used as the `uint32_t auth_mode` field of `helix_ozonetel_config`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_auth_mode {
    /// `TOKEN_AUTH` (the default, 0): a bearer token generated, cached and refreshed by the
    /// client.
    HELIX_AUTH_TOKEN = 0,
    /// `BASIC_AUTH`: the API key on every call.
    HELIX_AUTH_BASIC = 1,
}

/// How phone numbers are written. Used as the `uint32_t region` field of
/// `helix_ozonetel_config`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum helix_region {
    /// India (the default, 0): `0` + 10 digits.
    HELIX_REGION_INDIA = 0,
    /// International: `+` country code and number.
    HELIX_REGION_INTERNATIONAL = 1,
}

/// Everything `helix_ozonetel_new` needs. Zero-initialise it (`helix_ozonetel_config c = {0};`)
/// and set what you need: a zero/NULL field takes its default. Strings are UTF-8, copied during
/// the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_ozonetel_config {
    /// Required: the CloudAgent account name (`userName`).
    pub user_name: *const c_char,
    /// Required: the account's API key. Never printed or put in an error message.
    pub api_key: *const c_char,
    /// The API host or base URL (NULL: `https://in1-ccaas-api.ozonetel.com`; the simulator:
    /// `http://127.0.0.1:PORT`).
    pub base_url: *const c_char,
    /// The event subscription API's host or base URL (NULL:
    /// `https://subscription.ozonetel.com`; the simulator: its Ozonetel URL).
    pub events_base_url: *const c_char,
    /// A `helix_auth_mode` value (0: token).
    pub auth_mode: u32,
    /// A `helix_region` value (0: India).
    pub region: u32,
    /// Per-request timeout in milliseconds (0: 10 000; otherwise 1..=600 000, beyond is
    /// `HELIX_INVALID_INPUT`).
    pub timeout_ms: u32,
    /// NULL: the account's token and pace are shared within this process only. A Redis URL
    /// (`redis://host:port/db`): every process on the account shares the token through Redis
    /// — one generation for all, under a lock, within Ozonetel's 10 an hour. Connected on first
    /// use; a Redis that is down is `HELIX_TRANSPORT` on that call. Every client of one account
    /// in a process must name the same `redis_url` (or leave it NULL after the first named
    /// it): a second, different store for a live account is `HELIX_INVALID_INPUT`.
    pub redis_url: *const c_char,
}

/// Creates a client. Nothing is sent yet: the first call fetches a token (token mode).
///
/// On success `*out` holds a handle to free with `helix_ozonetel_free`. Fails with
/// `HELIX_INVALID_INPUT` for a missing account or key, a malformed base URL, an out-of-range
/// `auth_mode`/`region`, or a `redis_url` other than the one the account's live clients use.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_new(
    config: *const helix_ozonetel_config,
    out: *mut *mut helix_ozonetel,
) -> helix_status {
    ffi! {
        let config = arg_ref!(config);
        let out = arg_out!(out);
        let mut builder = Client::builder()
            .user_name(arg_str!(config.user_name, "config.user_name"))
            .api_key(arg_str!(config.api_key, "config.api_key"))
            .auth_mode(match config.auth_mode {
                0 => AuthMode::Token,
                1 => AuthMode::Basic,
                other => {
                    return Err(Failure::invalid(format!(
                        "config.auth_mode {other} is not a helix_auth_mode (0 token, 1 basic)"
                    )));
                }
            })
            .region(match config.region {
                0 => Region::India,
                1 => Region::International,
                other => {
                    return Err(Failure::invalid(format!(
                        "config.region {other} is not a helix_region (0 India, 1 international)"
                    )));
                }
            });
        if let Some(url) = arg_opt_str!(config.base_url, "config.base_url") {
            builder = builder.base_url(url);
        }
        if let Some(url) = arg_opt_str!(config.events_base_url, "config.events_base_url") {
            builder = builder.events_base_url(url);
        }
        if config.timeout_ms != 0 {
            builder = builder.timeout(Duration::from_millis(config.timeout_ms.into()));
        }
        if let Some(url) = arg_opt_str!(config.redis_url, "config.redis_url") {
            builder = builder.account_store(RedisAccountStore::lazy(url, "helix:ozonetel:")?);
        }
        let runtime = Arc::new(HandleRuntime::new("helix-ozonetel")?);
        let client = {
            // Built inside the runtime that will drive its connections.
            let _guard = runtime.enter();
            builder.build()?
        };
        out.write(into_handle(helix_ozonetel { client, runtime }));
        Ok(())
    }
}

/// Frees a client. NULL is a no-op. No call may be running on it; agents and transfers made
/// from it stay usable until they are freed.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_free(client: *mut helix_ozonetel) {
    // SAFETY: the header requires `client` to be NULL or a handle from
    // `helix_ozonetel_new` that is not in use and not yet freed.
    unsafe { free_handle(client) };
}

/// Pauses the call's recording (Ozonetel's `Record.php`, `action=pause`).
///
/// On success, when `out_json` is not NULL, `*out_json` receives
/// `{"paused":true,"message":"…"}` (free with `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_pause_recording(
    client: *const helix_ozonetel,
    ucid: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    recording(client, ucid, out_json, true)
}

/// Resumes the call's recording (`action=unPause`).
///
/// On success, when `out_json` is not NULL, `*out_json` receives
/// `{"paused":false,"message":"…"}` (free with `helix_string_free`).
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_resume_recording(
    client: *const helix_ozonetel,
    ucid: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    recording(client, ucid, out_json, false)
}

/// Pauses (`pause`) or resumes the recording: the body of both recording entry points.
fn recording(
    client: *const helix_ozonetel,
    ucid: *const c_char,
    out_json: *mut *mut c_char,
    pause: bool,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let ucid = arg_str!(ucid);
        let out = arg_opt_out!(out_json);
        let response = if pause {
            block_on(&client.runtime, client.client.pause_recording(ucid))??
        } else {
            block_on(&client.runtime, client.client.resume_recording(ucid))??
        };
        out.write_json(&response)
    }
}

/// Filters for `helix_ozonetel_abandoned_calls`. Zero-initialise for today's missed calls of
/// every campaign. Times are the account's local time, `"YYYY-MM-DD HH:MM:SS"`; a `T` in place
/// of the space is accepted (the core's one parser, as in Node); nothing else (no offset, no
/// fraction, no missing seconds).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_abandoned_calls_query {
    /// Start of the window (NULL: Ozonetel's default, today).
    pub from_time: *const c_char,
    /// End of the window (NULL: Ozonetel's default, now).
    pub to_time: *const c_char,
    /// Only this campaign (NULL: every campaign).
    pub campaign_name: *const c_char,
}

/// Missed (abandoned) calls. `query` may be NULL: today's, every campaign.
///
/// On success `*out_json` receives a JSON array (free with `helix_string_free`); an empty
/// window is `[]`, a failed query is an error, never an empty list. Each element:
///
/// ```json
/// {"monitorUcid":"…","type":"Inbound","status":"NotAnswered","campaign":"…",
///  "callerId":"09876543210","did":"918041763265","skillId":"…","skill":"…",
///  "agentId":"…","agent":"…","hangupBy":"…","callTime":"2025-09-01 11:49:33"}
/// ```
///
/// Every value is a string exactly as Ozonetel sent it (ids exceed 2^53); fields Ozonetel adds
/// later appear with their own names.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_abandoned_calls(
    client: *const helix_ozonetel,
    query: *const helix_abandoned_calls_query,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let out = arg_out!(out_json);
        let mut wanted = AbandonedCallsQuery::today();
        if !query.is_null() {
            let query = arg_ref!(query);
            wanted.from_time = arg_opt_str!(query.from_time, "query.from_time")
                .map(|t| parse_local_date_time(t, "query.from_time"))
                .transpose()?;
            wanted.to_time = arg_opt_str!(query.to_time, "query.to_time")
                .map(|t| parse_local_date_time(t, "query.to_time"))
                .transpose()?;
            wanted.campaign_name =
                arg_opt_str!(query.campaign_name, "query.campaign_name").map(str::to_string);
        }
        let calls = block_on(&client.runtime, client.client.abandoned_calls(&wanted))??;
        out.write(json_string(&calls)?);
        Ok(())
    }
}

/// A call-history (CDR) query for `helix_ozonetel_call_records`. `from` and `to` are required,
/// the account's local time, `"YYYY-MM-DD HH:MM:SS"` (or with a `T` in place of the space); the
/// other fields are optional filters (NULL: no filter).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct helix_call_records_query {
    /// Start (inclusive); at most 15 days back, not in the future.
    pub from: *const c_char,
    /// End (inclusive); a time after now is clamped to now.
    pub to: *const c_char,
    /// Only this UCID.
    pub ucid: *const c_char,
    /// Only this campaign.
    pub campaign_name: *const c_char,
    /// Only this monitor UCID.
    pub monitor_ucid: *const c_char,
    /// Only this call type (`"Inbound"`, `"Progressive"`, …).
    pub call_type: *const c_char,
    /// Only this status (`"Answered"`, `"NotAnswered"`, …).
    pub status: *const c_char,
}

impl helix_call_records_query {
    /// The core's query: the one conversion both CDR entry points use.
    fn core_query(&self) -> FfiResult<CallRecordsQuery> {
        let mut wanted = CallRecordsQuery::between(
            parse_local_date_time(arg_str!(self.from, "query.from"), "query.from")?,
            parse_local_date_time(arg_str!(self.to, "query.to"), "query.to")?,
        );
        wanted.ucid = arg_opt_str!(self.ucid, "query.ucid").map(str::to_string);
        wanted.campaign_name =
            arg_opt_str!(self.campaign_name, "query.campaign_name").map(str::to_string);
        wanted.monitor_ucid =
            arg_opt_str!(self.monitor_ucid, "query.monitor_ucid").map(str::to_string);
        wanted.call_type = arg_opt_str!(self.call_type, "query.call_type").map(str::to_string);
        wanted.status = arg_opt_str!(self.status, "query.status").map(str::to_string);
        Ok(wanted)
    }
}

/// Called after each day of a multi-day `helix_ozonetel_call_records`, on the thread that made
/// that call, before it returns. `progress_json` is valid only during the callback:
/// `{"day":"2025-09-01","daysDone":1,"daysTotal":3,"recordsSoFar":42,"nextRequestIn":30000}`
/// (`nextRequestIn` in milliseconds: the wait Ozonetel's 2-a-minute limit imposes).
pub type helix_progress_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, progress_json: *const c_char)>;

/// Call history (CDR) for a window of any length within the last 15 days.
///
/// Ozonetel accepts one calendar day per request and 2 requests a minute: a multi-day window is
/// split per day and paced, so a 3-day query takes about a minute. `progress` (may be NULL)
/// is told after each day.
///
/// On success `*out_json` receives a JSON array of records (free with `helix_string_free`).
/// Each record is an object of strings exactly as Ozonetel sent them (durations `"HH:MM:SS"`,
/// ids as exact decimal text, structured values as JSON text):
///
/// ```json
/// {"callId":"…","callDate":"2025-09-01","startTime":"…","endTime":"…","duration":"00:02:05",
///  "talkTime":"…","handlingTime":"…","callerId":"…","dialedNumber":"…","e164":"…","did":"…",
///  "location":"…","agentId":"…","agentName":"…","skill":"…","campaignName":"…","callFlow":"…",
///  "type":"Inbound","status":"Answered","dialStatus":"…","agentDialStatus":"…",
///  "customerDialStatus":"…","disposition":"…","comments":"…","hangupBy":"…","queueTime":"…",
///  "holdDuration":"…","wrapupDuration":"…","timeToAnswer":"…","dialCount":"…","ucid":"…",
///  "uui":"…","callAudio":"…","callerConfAudioFile":"…","conferenceDuration":"…",
///  "customerRingTime":"…","dialOutName":"…","dynamicDid":"…","event":"…","pickupTime":"…",
///  "rating":"…","ratingComments":"…","transferType":"…","transferredTo":"…",
///  "videoRecordingUrl":"…","wrapUpEndTime":"…","wrapUpStartTime":"…"}
/// ```
///
/// Fields Ozonetel adds later appear with their wire names.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_call_records(
    client: *const helix_ozonetel,
    query: *const helix_call_records_query,
    progress: helix_progress_callback,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let query = arg_ref!(query);
        let out = arg_out!(out_json);
        let wanted = query.core_query()?;
        let reporter = ProgressReporter { progress, user_data };
        let records = block_on(
            &client.runtime,
            client
                .client
                .call_records_with_progress(&wanted, move |p| reporter.report(p)),
        )??;
        out.write(json_string(&records)?);
        Ok(())
    }
}

/// One call's record by UCID on a local day (`"YYYY-MM-DD"`).
///
/// On success `*out_json` receives one record object (the shape documented at
/// `helix_ozonetel_call_records`) or `null` when Ozonetel has no record of the call; free it
/// with `helix_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_call_record(
    client: *const helix_ozonetel,
    ucid: *const c_char,
    date: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let ucid = arg_str!(ucid);
        let date_text = arg_str!(date);
        let out = arg_out!(out_json);
        let date = parse_local_date(date_text, "date")?;
        let record = block_on(&client.runtime, client.client.call_record(ucid, date))??;
        out.write(json_string(&record)?);
        Ok(())
    }
}

/// Called with each page of `helix_ozonetel_call_record_pages`, on the thread that made that
/// call, outside any runtime (it may call other `helix_*` functions). `page_json` is valid only
/// during the callback:
/// `{"records":[…],"pageNo":1,"totalCount":250|null}` (`pageNo` counts within the day; records
/// shaped as
/// `helix_ozonetel_call_records` documents). Return 0 for the next page, anything else to stop.
pub type helix_page_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, page_json: *const c_char) -> i32>;

/// Call history (CDR) page by page (`fetchCdrByPagination`), for windows too large for one
/// answer. Each page is one CDR request, paced with every other CDR call of the account (2 a
/// minute); pages follow until the window's total, a short page, or `on_page` returns
/// non-zero (then `HELIX_OK`: stopping is not a failure). `page_size` is 1..=500, checked by
/// the core before anything is sent (`HELIX_INVALID_INPUT`).
///
/// `on_page` is required. On success, when `out_pages` is not NULL, `*out_pages` receives how
/// many pages were delivered. A failed page ends the call with its error; the pages before it
/// were delivered.
#[unsafe(no_mangle)]
pub extern "C" fn helix_ozonetel_call_record_pages(
    client: *const helix_ozonetel,
    query: *const helix_call_records_query,
    page_size: u32,
    on_page: helix_page_callback,
    user_data: *mut c_void,
    out_pages: *mut u32,
) -> helix_status {
    ffi! {
        let client = arg_ref!(client);
        let query = arg_ref!(query);
        let Some(on_page) = on_page else {
            return Err(Failure::new(
                helix_status::HELIX_NULL_POINTER,
                "`on_page` is NULL; pass a callback for the pages",
            ));
        };
        let out = arg_opt_out!(out_pages);
        let wanted = query.core_query()?;
        let mut pages = Box::pin(client.client.call_record_pages(&wanted, page_size));
        let mut delivered = 0u32;
        // One page per `block_on`, the callback between them: it runs outside the runtime.
        while let Some(page) = client.run(pages.next())? {
            let text = std::ffi::CString::new(serde_json::to_string(&page?).map_err(|e| {
                Failure::new(helix_status::HELIX_PROTOCOL, format!("cannot encode the page: {e}"))
            })?)
            .map_err(|_| Failure::new(helix_status::HELIX_PROTOCOL, "a page holds a NUL byte"))?;
            delivered += 1;
            // SAFETY: the host gave a callback with this signature; `text` outlives the call.
            if unsafe { on_page(user_data, text.as_ptr()) } != 0 {
                break;
            }
        }
        out.write(delivered);
        Ok(())
    }
}

/// Calls the host's progress callback. It runs on the thread blocked in
/// `helix_ozonetel_call_records` (the future is driven there), so `user_data` never moves to
/// another thread; the `Send` bound of the core's callback is satisfied by this wrapper only.
struct ProgressReporter {
    progress: helix_progress_callback,
    user_data: *mut c_void,
}

// SAFETY: the reporter is only invoked while `helix_ozonetel_call_records` blocks its caller's
// thread, inside `block_on` on that same thread; `user_data` is the host's and is handed back
// to it unchanged.
unsafe impl Send for ProgressReporter {}

impl ProgressReporter {
    fn report(&self, progress: &CdrProgress) {
        let Some(callback) = self.progress else {
            return;
        };
        let Ok(text) = serde_json::to_string(progress) else {
            return;
        };
        let Ok(text) = std::ffi::CString::new(text) else {
            return;
        };
        // SAFETY: the host gave a callback with this signature; `text` outlives the call.
        unsafe { callback(self.user_data, text.as_ptr()) };
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::last_error_text as last_error;
    use std::ptr;

    pub(crate) fn config() -> helix_ozonetel_config {
        helix_ozonetel_config {
            user_name: c"acme".as_ptr(),
            api_key: c"key".as_ptr(),
            // Nothing listens here: these tests fail before sending anything.
            base_url: c"http://127.0.0.1:9".as_ptr(),
            events_base_url: ptr::null(),
            auth_mode: 0,
            region: 0,
            timeout_ms: 0,
            redis_url: ptr::null(),
        }
    }

    pub(crate) fn client() -> *mut helix_ozonetel {
        let mut out = ptr::null_mut();
        assert_eq!(
            helix_ozonetel_new(&config(), &mut out),
            helix_status::HELIX_OK
        );
        assert!(!out.is_null());
        out
    }

    #[test]
    fn new_checks_the_config_and_writes_only_on_success() {
        let mut out = ptr::null_mut();
        let mut cfg = config();
        cfg.user_name = ptr::null();
        assert_eq!(
            helix_ozonetel_new(&cfg, &mut out),
            helix_status::HELIX_NULL_POINTER
        );
        assert!(last_error().contains("config.user_name"));
        let mut cfg = config();
        cfg.auth_mode = 7;
        assert_eq!(
            helix_ozonetel_new(&cfg, &mut out),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(out.is_null());
        assert_eq!(
            helix_ozonetel_new(ptr::null(), &mut out),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_ozonetel_new(&config(), ptr::null_mut()),
            helix_status::HELIX_NULL_POINTER
        );
        helix_ozonetel_free(client());
        helix_ozonetel_free(ptr::null_mut());
    }

    #[test]
    fn report_queries_check_their_times() {
        let c = client();
        let mut json = ptr::null_mut();
        let query = helix_call_records_query {
            from: c"yesterday".as_ptr(),
            to: c"2025-01-01 00:00:00".as_ptr(),
            ucid: ptr::null(),
            campaign_name: ptr::null(),
            monitor_ucid: ptr::null(),
            call_type: ptr::null(),
            status: ptr::null(),
        };
        assert_eq!(
            helix_ozonetel_call_records(c, &query, None, ptr::null_mut(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(last_error().contains("query.from"), "{}", last_error());
        assert_eq!(
            helix_ozonetel_call_record(c, c"123".as_ptr(), c"01/02/2025".as_ptr(), &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        let abandoned = helix_abandoned_calls_query {
            from_time: c"2025-01-01T10:00".as_ptr(),
            to_time: ptr::null(),
            campaign_name: ptr::null(),
        };
        assert_eq!(
            helix_ozonetel_abandoned_calls(c, &abandoned, &mut json),
            helix_status::HELIX_INVALID_INPUT
        );
        assert!(json.is_null());
        helix_ozonetel_free(c);
    }
}
