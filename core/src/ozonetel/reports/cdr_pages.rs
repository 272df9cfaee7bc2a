//! Call history a page at a time: `fetchCdrByPagination`, the same GET-with-JSON-body and
//! window rules as `fetchCDRDetails` plus the page fields (`pageNo`, 1-based, and `pageSize`,
//! at most 500) and `totalCount` in the answer. Every page is a CDR request like any other:
//! it takes a slot of the account's CDR pace (2 a minute, shared with every CDR call of the
//! account), so pages arrive at most two a minute.
//!
//! Ozonetel's reference names the page fields without showing them; `pageNo`/`pageSize` is
//! what the desk's deployments send. A multi-day query is paged day by day.

use chrono::NaiveDateTime;
use futures::Stream;
use serde::Serialize;
use serde_json::{Map, Value};

use super::cdr::decode_details;
use super::cdr_query::CallRecordsQuery;
use super::cdr_record::CallRecord;
use crate::error::{Error, Result};
use crate::ozonetel::client::Client;
use crate::ozonetel::ids::scalar_text;

const PATH: &str = "/ca_reports/fetchCdrByPagination";

/// Largest page Ozonetel serves.
pub const CDR_MAX_PAGE_SIZE: u32 = 500;

/// One page of call history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CdrPage {
    /// The page's records.
    pub records: Vec<CallRecord>,
    /// The page number within its day (1-based).
    pub page_no: u32,
    /// The day's total, when Ozonetel sent `totalCount`.
    pub total_count: Option<u64>,
}

/// Where a paging stream is.
struct Paging {
    client: Client,
    windows: std::vec::IntoIter<(NaiveDateTime, NaiveDateTime)>,
    window: Option<(NaiveDateTime, NaiveDateTime)>,
    filters: Map<String, Value>,
    page_size: u32,
    page_no: u32,
    /// Records of the current day so far.
    seen: u64,
    /// An error to yield before anything is sent, or the end.
    failed: Option<Error>,
    done: bool,
}

impl Paging {
    async fn next_page(&mut self) -> Option<Result<CdrPage>> {
        if let Some(error) = self.failed.take() {
            self.done = true;
            return Some(Err(error));
        }
        if self.done {
            return None;
        }
        if self.window.is_none() {
            self.window = self.windows.next();
            self.page_no = 1;
            self.seen = 0;
        }
        let (from, to) = self.window?;
        let mut fields = self.filters.clone();
        fields.insert("pageNo".into(), self.page_no.into());
        fields.insert("pageSize".into(), self.page_size.into());
        let page = match self.client.cdr_request(PATH, from, to, fields) {
            Ok(request) => match self.client.execute(&request).await {
                Ok(object) => read_page(&object, self.page_no),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                self.done = true;
                return Some(Err(e.context(&format!(
                    "fetching page {} of call history for {}",
                    self.page_no,
                    from.date()
                ))));
            }
        };
        self.seen += page.records.len() as u64;
        // The day is over when a page is short, or the total is reached.
        let day_done = page.records.len() < self.page_size as usize
            || page.total_count.is_some_and(|total| self.seen >= total);
        if day_done {
            self.window = None;
            if self.windows.len() == 0 {
                self.done = true;
            }
        } else {
            self.page_no += 1;
        }
        Some(Ok(page))
    }
}

pub(crate) fn read_page(object: &Map<String, Value>, page_no: u32) -> Result<CdrPage> {
    let records = decode_details(object)?;
    let total_count = object
        .get("totalCount")
        .and_then(scalar_text)
        .and_then(|t| t.trim().parse::<u64>().ok());
    Ok(CdrPage {
        records,
        page_no,
        total_count,
    })
}

impl Client {
    /// Call history as a stream of pages of `page_size` records (1..=500), day by day over
    /// the query's window, each page a paced CDR request. A bad query or page size is the
    /// stream's only item (`invalid_input`, nothing sent); the stream ends after an error.
    pub fn call_record_pages(
        &self,
        query: &CallRecordsQuery,
        page_size: u32,
    ) -> impl Stream<Item = Result<CdrPage>> + Send + 'static {
        let planned = if (1..=CDR_MAX_PAGE_SIZE).contains(&page_size) {
            query
                .plan(self.local_now())
                .and_then(|w| Ok((w, query.filters()?)))
        } else {
            Err(Error::invalid(format!(
                "page_size must be 1 to {CDR_MAX_PAGE_SIZE}, not {page_size}"
            )))
        };
        let (windows, filters, failed) = match planned {
            Ok((windows, filters)) => (windows, filters, None),
            Err(e) => (Vec::new(), Map::new(), Some(e)),
        };
        let done = failed.is_none() && windows.is_empty();
        let paging = Paging {
            client: self.clone(),
            windows: windows.into_iter(),
            window: None,
            filters,
            page_size,
            page_no: 1,
            seen: 0,
            failed,
            done,
        };
        futures::stream::unfold(paging, |mut paging| async move {
            paging.next_page().await.map(|item| (item, paging))
        })
    }
}
