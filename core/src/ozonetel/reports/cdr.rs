//! Fetching call history: per-day `fetchCDRDetails` requests through the account's CDR pacer,
//! progress after each day, and one call's record by UCID (`fetchCdrByUCID`).

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use super::cdr_query::CallRecordsQuery;
use super::cdr_record::CallRecord;
use super::wire::{WIRE_FORMAT, decode_items};
use crate::error::{Error, Result};
use crate::ozonetel::client::Client;
use crate::ozonetel::ids::validate_ucid;
use crate::ozonetel::transport::{Request, Resend};

const CDR_PATH: &str = "/ca_reports/fetchCDRDetails";
const CDR_BY_UCID_PATH: &str = "/ca_reports/fetchCdrByUCID";

/// How far a multi-day [`Client::call_records_with_progress`] has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CdrProgress {
    /// The day just fetched.
    pub day: NaiveDate,
    /// Days fetched so far, this one included.
    pub days_done: usize,
    /// Days in the query.
    pub days_total: usize,
    /// Records fetched so far.
    pub records_so_far: usize,
    /// How long the next day's request must wait for Ozonetel's rate limit (zero when done;
    /// whole milliseconds in JSON, `nextRequestIn`).
    #[serde(serialize_with = "crate::serde_util::millis")]
    pub next_request_in: Duration,
}
impl Client {
    /// Call history for a window of any length, split into per-day requests paced to
    /// Ozonetel's 2 a minute (so a 3-day query takes about a minute).
    pub async fn call_records(&self, query: &CallRecordsQuery) -> Result<Vec<CallRecord>> {
        self.call_records_with_progress(query, |_| {}).await
    }

    /// [`call_records`](Self::call_records), calling `progress` after each day.
    pub async fn call_records_with_progress(
        &self,
        query: &CallRecordsQuery,
        mut progress: impl FnMut(&CdrProgress) + Send,
    ) -> Result<Vec<CallRecord>> {
        let windows = query.plan(self.local_now())?;
        let filters = query.filters()?;
        let mut records = Vec::new();
        for (index, (from, to)) in windows.iter().enumerate() {
            let day = self
                .fetch_cdr(CDR_PATH, *from, *to, filters.clone())
                .await
                .map_err(|e| e.context(&format!("fetching call history for {}", from.date())))?;
            records.extend(day);
            let done = index + 1 == windows.len();
            progress(&CdrProgress {
                day: from.date(),
                days_done: index + 1,
                days_total: windows.len(),
                records_so_far: records.len(),
                next_request_in: if done {
                    Duration::ZERO
                } else {
                    self.cdr_slot_wait().await
                },
            });
        }
        Ok(records)
    }

    /// How long a CDR request made now would wait for the account's CDR pace (zero when a
    /// slot is free). Read from the account's store, so it counts every client and process
    /// sharing the account; callers already queued in this process may make the real wait
    /// longer, and another process may take the slot first. For progress displays (a
    /// per-day export showing "next request in 28 s"); nothing is taken or sent.
    pub async fn cdr_slot_wait(&self) -> Duration {
        self.transport().cdr_pacer().delay().await
    }

    /// One call's record by UCID on a given local day (`fetchCdrByUCID`); `None` when
    /// Ozonetel has no record of it.
    pub async fn call_record(&self, ucid: &str, date: NaiveDate) -> Result<Option<CallRecord>> {
        let ucid = validate_ucid(ucid)?;
        let query = CallRecordsQuery::day(date);
        let windows = query.plan(self.local_now())?;
        let Some((from, to)) = windows.first().copied() else {
            return Ok(None);
        };
        let mut fields = Map::new();
        fields.insert("ucid".into(), ucid.clone().into());
        let records = self
            .fetch_cdr(CDR_BY_UCID_PATH, from, to, fields)
            .await
            .map_err(|e| e.context(&format!("fetching the record of call {ucid}")))?;
        // Only the record of this call: an answer that does not contain it means Ozonetel has
        // no record of it, never "the first record it sent".
        Ok(records.into_iter().find(|r| r.ucid == ucid))
    }

    async fn fetch_cdr(
        &self,
        path: &'static str,
        from: NaiveDateTime,
        to: NaiveDateTime,
        fields: Map<String, Value>,
    ) -> Result<Vec<CallRecord>> {
        let object = self
            .execute(&self.cdr_request(path, from, to, fields)?)
            .await?;
        decode_details(&object)
    }

    /// A CDR request: GET with a JSON body carrying the window, through the account's CDR
    /// pacer (every CDR endpoint shares Ozonetel's 2-a-minute limit).
    pub(super) fn cdr_request(
        &self,
        path: &'static str,
        from: NaiveDateTime,
        to: NaiveDateTime,
        mut fields: Map<String, Value>,
    ) -> Result<Request> {
        fields.insert(
            "fromDate".into(),
            from.format(WIRE_FORMAT).to_string().into(),
        );
        fields.insert("toDate".into(), to.format(WIRE_FORMAT).to_string().into());
        Ok(Request {
            paced: true,
            ..Request::json(
                self.user_name(),
                Method::GET,
                path,
                &fields,
                Resend::Transient,
            )?
        })
    }
}

/// The records of a CDR answer (`details`; none when absent or null).
pub(super) fn decode_details(object: &Map<String, Value>) -> Result<Vec<CallRecord>> {
    match object.get("details") {
        Some(Value::Array(items)) => decode_items(items, "call record"),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(Error::protocol(
            "the CDR answer has no list of records",
            &other.to_string(),
        )),
    }
}
