//! Missed (abandoned) calls and call history (CDR).
//!
//! Both endpoints are GETs with a JSON body — a query string is refused and a POST is 401/405.
//! CDR windows must sit within one calendar day, at most 15 days back, and the account may
//! make 2 CDR requests a minute: multi-day queries are split per day and paced.
//!
//! One file per idea: `abandoned.rs` (missed calls), `cdr_record.rs` (the documented CDR
//! fields), `cdr_query.rs` (a CDR query and Ozonetel's window rules), `cdr.rs` (fetching:
//! per-day requests, pacing, progress), `cdr_pages.rs` (the same a page at a time), and what they share, `wire.rs` (Ozonetel's date-time
//! format, "now" in the account's zone, decoding a list of items). This file only declares and
//! re-exports, so imports run one way: cdr → cdr_query, cdr_record, wire; abandoned → wire.

pub(crate) mod abandoned;
mod cdr;
pub(crate) mod cdr_pages;
mod cdr_query;
mod cdr_record;
mod wire;

pub use abandoned::{AbandonedCall, AbandonedCallsQuery};
pub use cdr::CdrProgress;
pub use cdr_pages::{CDR_MAX_PAGE_SIZE, CdrPage};
pub use cdr_query::{CDR_MAX_DAYS_BACK, CallRecordsQuery};
pub use cdr_record::{CALL_RECORD_FIELDS, CallRecord, hms_duration};
