//! `OzonetelClient`, `Transfer`, `MissedCallWatcher`: the core's `ozonetel` module for JS.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use chrono::FixedOffset;
use futures::StreamExt;
use helix_engage::ozonetel::{
    AbandonedCallsQuery, AccountStore, AuthMode, CallAction, CallRecordsQuery, Client,
    DEFAULT_BASE_URL, MemoryAccountStore, RedisAccountStore, Region, RetryPolicy, TransferMode,
    TransferState, WatchOptions, parse_local_date, parse_local_date_time,
};
use napi::Env;
use napi::bindgen_prelude::{Object, ObjectFinalize, PromiseRaw, This, Unknown};
use napi_derive::napi;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};

use crate::args;
use crate::error::{throw, to_napi};
use crate::promise::{arg, iterator_result, optional_callback, settle, settle_with};

/// `OzonetelClientOptions` (types.d.ts).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientOptions {
    user_name: String,
    api_key: String,
    base_url: Option<String>,
    auth_mode: Option<AuthModeArg>,
    did: Option<String>,
    agent_phone_name: Option<String>,
    agent_number: Option<String>,
    region: Option<RegionArg>,
    timeout_ms: Option<u64>,
    utc_offset_minutes: Option<i32>,
    retry: Option<RetryArg>,
    cdr_rate_limit: Option<CdrRateArg>,
    token_store: Option<AccountStoreArg>,
}

/// Where the account's token is shared beyond this process (sidecar replicas).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountStoreArg {
    redis_url: String,
    prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum AuthModeArg {
    Token,
    Basic,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RegionArg {
    India,
    International,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RetryArg {
    max_attempts: Option<u32>,
    base_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    max_retry_after_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CdrRateArg {
    requests: u32,
    per_ms: u64,
}

/// `CallControlRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CallControlArg {
    action: String,
    ucid: String,
    conference_number: Option<String>,
}

/// `TransferRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransferArg {
    ucid: String,
    target: String,
    mode: Option<TransferModeArg>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum TransferModeArg {
    Warm,
    Cold,
}

/// `AbandonedCallsQuery`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AbandonedArg {
    from_time: Option<String>,
    to_time: Option<String>,
    campaign_name: Option<String>,
}

/// `CallRecordsQuery`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CallRecordsArg {
    from: String,
    to: String,
    ucid: Option<String>,
    campaign_name: Option<String>,
    monitor_ucid: Option<String>,
    call_type: Option<String>,
    status: Option<String>,
}

/// `WatchMissedCallsOptions`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WatchArg {
    interval_ms: Option<u64>,
    include_existing: Option<bool>,
    campaign_name: Option<String>,
}

/// The token store of every client in this process (and its worker threads) that names the same
/// base URL, account and key.
///
/// Ozonetel keeps one valid token per account: two stores on one account invalidate each
/// other's tokens, so Node code that creates several `OzonetelClient`s (per tenant, per worker,
/// per request) must not get one store each — the core asks for one store per account. Keyed
/// by the key too, so a client with a wrong key never borrows a token another client earned.
/// The map grows per distinct account (base URL, account, key), never per client: 10,000
/// clients of one account share one entry (`__test__/memory.test.js`). Entries outlive their
/// clients on purpose — the token (and Ozonetel's hourly generation budget) belongs to the
/// account, so a client built per request reuses the cached token instead of generating one.
fn shared_token_store(base_url: &str, user_name: &str, api_key: &str) -> Arc<dyn AccountStore> {
    type Stores = Mutex<HashMap<u64, Arc<MemoryAccountStore>>>;
    static STORES: OnceLock<(RandomState, Stores)> = OnceLock::new();
    let (hasher, stores) = STORES.get_or_init(|| (RandomState::new(), Mutex::new(HashMap::new())));
    // A per-process random hash: the map never holds the key itself.
    let id = hasher.hash_one((
        base_url.trim().trim_end_matches('/'),
        user_name.trim(),
        api_key,
    ));
    let mut stores = stores.lock().unwrap_or_else(PoisonError::into_inner);
    stores
        .entry(id)
        .or_insert_with(|| Arc::new(MemoryAccountStore::new()))
        .clone()
}

fn build_client(o: ClientOptions) -> helix_engage::Result<Client> {
    let store: Arc<dyn AccountStore> = match &o.token_store {
        // Several processes on one account: Redis holds the token, the lock and the budget.
        Some(t) => Arc::new(RedisAccountStore::lazy(
            &t.redis_url,
            t.prefix.as_deref().unwrap_or("helix:ozonetel:"),
        )?),
        None => shared_token_store(
            o.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            &o.user_name,
            &o.api_key,
        ),
    };
    let mut b = Client::builder()
        .user_name(o.user_name)
        .api_key(o.api_key)
        .account_store_arc(store);
    if let Some(url) = o.base_url {
        b = b.base_url(url);
    }
    if let Some(mode) = o.auth_mode {
        b = b.auth_mode(match mode {
            AuthModeArg::Token => AuthMode::Token,
            AuthModeArg::Basic => AuthMode::Basic,
        });
    }
    if let Some(did) = o.did {
        b = b.did(did);
    }
    if let Some(name) = o.agent_phone_name {
        b = b.agent_phone_name(name);
    }
    if let Some(number) = o.agent_number {
        b = b.agent_number(number);
    }
    if let Some(region) = o.region {
        b = b.region(match region {
            RegionArg::India => Region::India,
            RegionArg::International => Region::International,
        });
    }
    if let Some(ms) = o.timeout_ms {
        b = b.timeout(Duration::from_millis(ms));
    }
    if let Some(minutes) = o.utc_offset_minutes {
        let offset = minutes
            .checked_mul(60)
            .and_then(FixedOffset::east_opt)
            .ok_or_else(|| {
                helix_engage::Error::InvalidInput(format!(
                    "utcOffsetMinutes {minutes} is not a time zone offset (-1439..=1439)"
                ))
            })?;
        b = b.utc_offset(offset);
    }
    if let Some(r) = o.retry {
        let default = RetryPolicy::default();
        b = b.retry_policy(RetryPolicy {
            max_attempts: r.max_attempts.unwrap_or(default.max_attempts),
            base_delay: r
                .base_delay_ms
                .map_or(default.base_delay, Duration::from_millis),
            max_delay: r
                .max_delay_ms
                .map_or(default.max_delay, Duration::from_millis),
            max_retry_after: r
                .max_retry_after_ms
                .map_or(default.max_retry_after, Duration::from_millis),
        });
    }
    if let Some(rate) = o.cdr_rate_limit {
        b = b.cdr_rate_limit(rate.requests, Duration::from_millis(rate.per_ms));
    }
    b.build()
}

fn transfer_state(state: TransferState) -> &'static str {
    match state {
        TransferState::Conferenced => "conferenced",
        TransferState::InProgress => "inProgress",
        TransferState::Completed => "completed",
        TransferState::Cancelled => "cancelled",
    }
}

/// What one client holds natively that V8 cannot see (its configuration and token manager;
/// the HTTP pool and TLS setup are the process's, shared by every client). It was ~110 KB
/// when each client built its own HTTP client; measured at ~2 KB since (10,000 clients,
/// `bench/node`'s client-construction row). Reported with `adjust_external_memory` so V8
/// sees the real cost, and released on finalize.
const CLIENT_EXTERNAL_BYTES: i64 = 2 * 1024;

/// A client for one Ozonetel CloudAgent account. Cheap to share: every method may be called
/// concurrently, and all of them share one connection pool, one token and one CDR pace.
#[napi(custom_finalize)]
pub struct OzonetelClient {
    client: Client,
}

impl ObjectFinalize for OzonetelClient {
    fn finalize(self, env: Env) -> napi::Result<()> {
        env.adjust_external_memory(-CLIENT_EXTERNAL_BYTES)?;
        Ok(())
    }
}

#[napi]
impl OzonetelClient {
    /// Validates the options and builds the client. Throws `INVALID_INPUT` (a `TypeError`) for
    /// missing or malformed options; sends nothing.
    #[napi(constructor, ts_args_type = "options: OzonetelClientOptions")]
    pub fn new(env: Env, options: Unknown) -> napi::Result<Self> {
        let options: ClientOptions = args::object(&env, options, "options")?;
        let client = build_client(options).map_err(|e| throw(&env, e))?;
        // Only once the client exists: a constructor that throws is never finalized.
        env.adjust_external_memory(CLIENT_EXTERNAL_BYTES)?;
        Ok(OzonetelClient { client })
    }

    /// The CloudAgent account name.
    #[napi(getter)]
    pub fn user_name(&self) -> String {
        self.client.user_name().to_string()
    }

    /// The base URL requests go to.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.base_url().to_string()
    }

    /// Applies a call-control action (`CallControl_V4`). CONFERENCE and KICK_CALL need
    /// `conferenceNumber`, and are never resent once they may have reached Ozonetel.
    #[napi(
        ts_args_type = "request: CallControlRequest",
        ts_return_type = "Promise<CallControlResponse>"
    )]
    pub fn call_control<'env>(
        &self,
        env: &'env Env,
        request: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let req: CallControlArg = arg!(env, args::object(env, request, "request"));
        let action = arg!(
            env,
            CallAction::parse(&req.action).map_err(|e| to_napi(env, &e))
        );
        let client = self.client.clone();
        settle(env, async move {
            client
                .call_control(action, &req.ucid, req.conference_number.as_deref())
                .await
        })
    }
}

/// Generates `OzonetelClient`'s call-control shortcuts from one table, in their own `#[napi]`
/// block (napi-rs merges the blocks of a class; this one sits between the others so the
/// generated `index.d.ts` keeps its order). Each row: the doc (a string literal: napi-rs would
/// print a `///` passed through `macro_rules!` as `r"…"`), JS name and arguments, the core's
/// `CallAction`, the TypeScript arguments. Every shortcut goes through the same
/// `Client::call_control` as `callControl({ action, ucid, conferenceNumber })`, so the rules
/// (UCID checks, a number for CONFERENCE/KICK_CALL, never resending those) are the core's.
macro_rules! call_control_shortcuts {
    ($($doc:tt $name:ident(ucid $(, $number:ident)?) => $action:ident, $ts:literal;)*) => {
        #[napi]
        impl OzonetelClient {
            $(
                #[doc = $doc]
                #[napi(ts_args_type = $ts, ts_return_type = "Promise<CallControlResponse>")]
                pub fn $name<'env>(
                    &self,
                    env: &'env Env,
                    ucid: Unknown,
                    $($number: Unknown,)?
                ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
                    let number: Option<Unknown> = None $(.or(Some($number)))?;
                    self.shortcut(env, CallAction::$action, ucid, number)
                }
            )*
        }
    };
}

call_control_shortcuts! {
    " Puts the customer on hold."
    hold(ucid) => Hold, "ucid: string";
    " Takes the customer off hold."
    unhold(ucid) => Unhold, "ucid: string";
    " Mutes the customer's leg."
    mute(ucid) => Mute, "ucid: string";
    " Unmutes the customer's leg."
    unmute(ucid) => Unmute, "ucid: string";
    " Dials `number` into the call (CONFERENCE)."
    conference(ucid, number) => Conference, "ucid: string, number: string";
    " Drops the party `number` from the call (KICK_CALL)."
    kick(ucid, number) => KickCall, "ucid: string, number: string";
}

#[napi]
impl OzonetelClient {
    /// Starts a transfer: conferences the target in; a cold transfer also drops the agent at
    /// once. Resolves with a `Transfer` to `complete()` or `cancel()` (warm).
    #[napi(
        ts_args_type = "request: TransferRequest",
        ts_return_type = "Promise<Transfer>"
    )]
    pub fn transfer<'env>(
        &self,
        env: &'env Env,
        request: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Transfer>> {
        let req: TransferArg = arg!(env, args::object(env, request, "request"));
        let mode = match req.mode {
            None | Some(TransferModeArg::Warm) => TransferMode::Warm,
            Some(TransferModeArg::Cold) => TransferMode::Cold,
        };
        let client = self.client.clone();
        settle_with(
            env,
            async move { client.transfer(&req.ucid, &req.target, mode).await },
            |_, inner| Ok(Transfer { inner }),
        )
    }

    /// Pauses the call's recording.
    #[napi(
        ts_args_type = "ucid: string",
        ts_return_type = "Promise<RecordingResponse>"
    )]
    pub fn pause_recording<'env>(
        &self,
        env: &'env Env,
        ucid: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.recording(env, ucid, true)
    }

    /// Resumes the call's recording.
    #[napi(
        ts_args_type = "ucid: string",
        ts_return_type = "Promise<RecordingResponse>"
    )]
    pub fn resume_recording<'env>(
        &self,
        env: &'env Env,
        ucid: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.recording(env, ucid, false)
    }

    /// The account's missed calls (today by default). A failed query rejects; it is never an
    /// empty list.
    #[napi(
        ts_args_type = "query?: AbandonedCallsQuery",
        ts_return_type = "Promise<AbandonedCall[]>"
    )]
    pub fn abandoned_calls<'env>(
        &self,
        env: &'env Env,
        query: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let q: AbandonedArg = arg!(env, args::optional_object(env, query, "query"));
        let query = arg!(env, abandoned_query(q).map_err(|e| to_napi(env, &e)));
        let client = self.client.clone();
        settle(env, async move { client.abandoned_calls(&query).await })
    }

    /// Call history for a window of any length: split per day and paced to Ozonetel's 2
    /// requests a minute, calling `onProgress` after each day (before the Promise resolves).
    #[napi(
        ts_args_type = "query: CallRecordsQuery, onProgress?: (progress: CdrProgress) => void",
        ts_return_type = "Promise<CallRecord[]>"
    )]
    pub fn call_records<'env>(
        &self,
        env: &'env Env,
        query: Unknown,
        on_progress: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let q: CallRecordsArg = arg!(env, args::object(env, query, "query"));
        let query = arg!(env, call_records_query(q).map_err(|e| to_napi(env, &e)));
        let progress = arg!(env, optional_callback(env, on_progress, "onProgress"));
        let client = self.client.clone();
        settle(env, async move {
            // Progress goes through a channel so each callback has run before the next day
            // is reported and before the Promise settles.
            let (tx, mut rx) = mpsc::unbounded_channel();
            let fetch = client.call_records_with_progress(&query, move |p| {
                let _ = tx.send(serde_json::to_value(p).unwrap_or_default());
            });
            let forward = async move {
                while let Some(p) = rx.recv().await {
                    if let Some(callback) = &progress {
                        let _ = callback.call_async(p).await;
                    }
                }
            };
            let (records, ()) = tokio::join!(fetch, forward);
            records
        })
    }

    /// One call's record by UCID on a local day (`YYYY-MM-DD`); `null` when Ozonetel has none.
    #[napi(
        ts_args_type = "ucid: string, date: string",
        ts_return_type = "Promise<CallRecord | null>"
    )]
    pub fn call_record<'env>(
        &self,
        env: &'env Env,
        ucid: Unknown,
        date: Unknown,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let ucid = arg!(env, args::string(env, ucid, "ucid"));
        let date = arg!(env, args::string(env, date, "date"));
        let date = arg!(
            env,
            parse_local_date(&date, "date").map_err(|e| to_napi(env, &e))
        );
        let client = self.client.clone();
        settle(env, async move { client.call_record(&ucid, date).await })
    }

    /// Watches for new missed calls: an async iterator yielding each new call once. Nothing is
    /// polled until the first `next()`; a failed poll rejects that `next()` and watching goes
    /// on; `return()` (or `break` in `for await`) stops it.
    #[napi(
        ts_args_type = "options?: WatchMissedCallsOptions",
        ts_return_type = "MissedCallWatcher"
    )]
    pub fn watch_missed_calls(
        &self,
        env: Env,
        options: Option<Unknown>,
    ) -> napi::Result<MissedCallWatcher> {
        let o: WatchArg = args::optional_object(&env, options, "options")?;
        let defaults = WatchOptions::default();
        let options = WatchOptions {
            interval: o
                .interval_ms
                .map_or(defaults.interval, Duration::from_millis),
            include_existing: o.include_existing.unwrap_or(defaults.include_existing),
            campaign_name: o.campaign_name,
        };
        // The core's range check, so a bad interval throws here rather than on `next()`.
        options.validate().map_err(|e| throw(&env, e))?;
        let (closed_tx, closed_rx) = watch::channel(false);
        Ok(MissedCallWatcher {
            client: self.client.clone(),
            options,
            stream: Arc::new(tokio::sync::Mutex::new(None)),
            closed_tx,
            closed_rx,
        })
    }
}

impl OzonetelClient {
    /// One call-control shortcut: converts the arguments, then calls the core.
    fn shortcut<'env>(
        &self,
        env: &'env Env,
        action: CallAction,
        ucid: Unknown,
        number: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let ucid = arg!(env, args::string(env, ucid, "ucid"));
        let number = match number {
            Some(number) => Some(arg!(env, args::string(env, number, "number"))),
            None => None,
        };
        let client = self.client.clone();
        settle(env, async move {
            client.call_control(action, &ucid, number.as_deref()).await
        })
    }

    /// Pauses (`pause`) or resumes the recording: converts `ucid`, then calls the core.
    fn recording<'env>(
        &self,
        env: &'env Env,
        ucid: Unknown,
        pause: bool,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let ucid = arg!(env, args::string(env, ucid, "ucid"));
        let client = self.client.clone();
        settle(env, async move {
            if pause {
                client.pause_recording(&ucid).await
            } else {
                client.resume_recording(&ucid).await
            }
        })
    }
}

fn abandoned_query(q: AbandonedArg) -> helix_engage::Result<AbandonedCallsQuery> {
    Ok(AbandonedCallsQuery {
        from_time: q
            .from_time
            .map(|t| parse_local_date_time(&t, "fromTime"))
            .transpose()?,
        to_time: q
            .to_time
            .map(|t| parse_local_date_time(&t, "toTime"))
            .transpose()?,
        campaign_name: q.campaign_name,
    })
}

fn call_records_query(q: CallRecordsArg) -> helix_engage::Result<CallRecordsQuery> {
    let mut query = CallRecordsQuery::between(
        parse_local_date_time(&q.from, "from")?,
        parse_local_date_time(&q.to, "to")?,
    );
    query.ucid = q.ucid;
    query.campaign_name = q.campaign_name;
    query.monitor_ucid = q.monitor_ucid;
    query.call_type = q.call_type;
    query.status = q.status;
    Ok(query)
}

/// A transfer under way (the target is conferenced in). Finish it with `complete()` (the agent
/// leaves) or `cancel()` (the target is dropped); either may be called once.
#[napi]
pub struct Transfer {
    inner: helix_engage::ozonetel::Transfer,
}

#[napi]
impl Transfer {
    /// The call being transferred.
    #[napi(getter)]
    pub fn ucid(&self) -> String {
        self.inner.ucid().to_string()
    }

    /// The target's number, normalised.
    #[napi(getter)]
    pub fn target(&self) -> String {
        self.inner.target().to_string()
    }

    /// `'warm'` or `'cold'`.
    #[napi(getter, ts_return_type = "TransferMode")]
    pub fn mode(&self) -> &'static str {
        match self.inner.mode() {
            TransferMode::Warm => "warm",
            TransferMode::Cold => "cold",
        }
    }

    /// Where the transfer stands now.
    #[napi(getter, ts_return_type = "TransferState")]
    pub fn state(&self) -> &'static str {
        transfer_state(self.inner.state())
    }

    /// Hands the call to the target by dropping the agent (KICK_CALL). Rejects `CLOSED` when
    /// the transfer is already finished.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn complete<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let transfer = self.inner.clone();
        settle(env, async move { transfer.complete().await })
    }

    /// Abandons the transfer by dropping the target (KICK_CALL).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn cancel<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let transfer = self.inner.clone();
        settle(env, async move { transfer.cancel().await })
    }
}

/// New missed calls as an async iterator: `for await (const call of client.watchMissedCalls())`.
#[napi]
pub struct MissedCallWatcher {
    client: Client,
    options: WatchOptions,
    /// Created on the first `next()`, inside the runtime (its timer needs one).
    stream: Arc<tokio::sync::Mutex<Option<helix_engage::ozonetel::MissedCallWatcher>>>,
    closed_tx: watch::Sender<bool>,
    closed_rx: watch::Receiver<bool>,
}

#[napi]
impl MissedCallWatcher {
    /// The next new missed call; `{ done: true }` once the watcher is closed. A failed poll
    /// rejects (the watcher stays usable).
    #[napi(ts_return_type = "Promise<IteratorResult<AbandonedCall, undefined>>")]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let stream = self.stream.clone();
        let client = self.client.clone();
        let options = self.options.clone();
        let mut closed = self.closed_rx.clone();
        settle_with(
            env,
            async move {
                if *closed.borrow() {
                    return Ok(None);
                }
                let mut guard = stream.lock().await;
                let watcher = guard.get_or_insert_with(|| client.watch_missed_calls_with(options));
                tokio::select! {
                    item = watcher.next() => item.transpose(),
                    _ = closed.wait_for(|c| *c) => Ok(None),
                }
            },
            iterator_result,
        )
    }

    /// Stops watching; a pending `next()` resolves `{ done: true }`.
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<AbandonedCall, undefined>>"
    )]
    pub fn finish<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        self.close();
        let stream = self.stream.clone();
        settle_with(
            env,
            async move {
                // Drop the poller so no request outlives the watcher.
                stream.lock().await.take();
                Ok(())
            },
            |env, ()| iterator_result::<()>(env, None),
        )
    }

    /// Stops watching (synchronous form of `return()`).
    #[napi]
    pub fn close(&self) {
        let _ = self.closed_tx.send(true);
    }

    /// The watcher is its own async iterator.
    #[napi(
        well_known_symbol = "asyncIterator",
        ts_return_type = "MissedCallWatcher"
    )]
    pub fn iterator<'env>(&self, this: This<'env>) -> This<'env> {
        this
    }
}
