//! A call-history query and Ozonetel's window rules: one calendar day per request, at most
//! 15 days back, no future start, the end clamped to "now".

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::{Map, Value};

use super::wire::WIRE_FORMAT;
use crate::error::{Error, Result};
use crate::ozonetel::agent::identifier;
use crate::ozonetel::ids::validate_ucid;

/// How far back Ozonetel keeps call history.
pub const CDR_MAX_DAYS_BACK: u64 = 15;

/// A call-history query: a time window (account local time) and optional filters.
///
/// The window may span several days;
/// [`Client::call_records`](crate::ozonetel::Client::call_records) splits it per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecordsQuery {
    /// Start (inclusive).
    pub from: NaiveDateTime,
    /// End (inclusive). A time after "now" is clamped to now.
    pub to: NaiveDateTime,
    /// Only this UCID.
    pub ucid: Option<String>,
    /// Only this campaign.
    pub campaign_name: Option<String>,
    /// Only this monitor UCID.
    pub monitor_ucid: Option<String>,
    /// Only this call type (`Progressive`, `Inbound`, ...).
    pub call_type: Option<String>,
    /// Only this status (`Answered`, `NotAnswered`, ...).
    pub status: Option<String>,
}

impl CallRecordsQuery {
    /// Calls between two local times.
    pub fn between(from: NaiveDateTime, to: NaiveDateTime) -> Self {
        CallRecordsQuery {
            from,
            to,
            ucid: None,
            campaign_name: None,
            monitor_ucid: None,
            call_type: None,
            status: None,
        }
    }

    /// Every call of one local day (up to now, for today).
    pub fn day(date: NaiveDate) -> Self {
        Self::between(
            date.and_time(NaiveTime::MIN),
            date.and_hms_opt(23, 59, 59)
                .unwrap_or(date.and_time(NaiveTime::MIN)),
        )
    }

    /// Restricts to one campaign.
    pub fn campaign(mut self, name: impl Into<String>) -> Self {
        self.campaign_name = Some(name.into());
        self
    }

    /// Restricts to one status.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Restricts to one call type.
    pub fn call_type(mut self, call_type: impl Into<String>) -> Self {
        self.call_type = Some(call_type.into());
        self
    }

    /// The per-day windows Ozonetel accepts, or why the query breaks its rules.
    pub(super) fn plan(&self, now: NaiveDateTime) -> Result<Vec<(NaiveDateTime, NaiveDateTime)>> {
        if self.to < self.from {
            return Err(Error::invalid(format!(
                "the CDR window ends ({}) before it starts ({})",
                self.to, self.from
            )));
        }
        if self.from > now {
            return Err(Error::invalid(format!(
                "the CDR window starts in the future ({} is after now, {}); Ozonetel rejects \
                 future dates",
                self.from.format(WIRE_FORMAT),
                now.format(WIRE_FORMAT)
            )));
        }
        let oldest = now.date() - Days::new(CDR_MAX_DAYS_BACK);
        if self.from.date() < oldest {
            return Err(Error::invalid(format!(
                "the CDR window starts on {}, more than {CDR_MAX_DAYS_BACK} days back; Ozonetel \
                 keeps call history from {oldest} on",
                self.from.date()
            )));
        }
        let to = self.to.min(now);
        let mut windows = Vec::new();
        let mut start = self.from;
        loop {
            let end_of_day = start.date().and_hms_opt(23, 59, 59).unwrap_or(start);
            if to <= end_of_day {
                windows.push((start, to));
                return Ok(windows);
            }
            windows.push((start, end_of_day));
            let Some(next_day) = start.date().succ_opt() else {
                return Ok(windows);
            };
            start = next_day.and_time(NaiveTime::MIN);
        }
    }

    pub(super) fn filters(&self) -> Result<Map<String, Value>> {
        let mut fields = Map::new();
        if let Some(ucid) = &self.ucid {
            fields.insert("ucid".into(), validate_ucid(ucid)?.into());
        }
        if let Some(m) = &self.monitor_ucid {
            fields.insert("monitorUCID".into(), validate_ucid(m)?.into());
        }
        for (key, value) in [
            ("campaignName", &self.campaign_name),
            ("callType", &self.call_type),
            ("status", &self.status),
        ] {
            // Checked like any campaign or name: a 10 MB filter used to reach Ozonetel (which
            // answers 413, an API error) instead of being refused here.
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                fields.insert(key.into(), identifier(&format!("query.{key}"), v)?.into());
            }
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, WIRE_FORMAT).unwrap()
    }

    #[test]
    fn filters_are_bounded_printable_text() {
        let base = CallRecordsQuery::between(at("2026-11-20 09:00:00"), at("2026-11-20 18:00:00"));
        let mut q = base.clone();
        q.status = Some("Answered".into());
        assert_eq!(q.filters().unwrap()["status"], "Answered");
        for bad in [
            "x".repeat(10_000),
            "Ans\r\nwered".into(),
            "\u{202e}derewsnA".into(),
        ] {
            let mut q = base.clone();
            q.call_type = Some(bad);
            let err = q.filters().unwrap_err();
            assert!(err.to_string().contains("query.callType"), "{err}");
        }
    }

    #[test]
    fn same_day_window_is_one_request() {
        let q = CallRecordsQuery::between(at("2026-11-20 09:00:00"), at("2026-11-20 18:00:00"));
        assert_eq!(
            q.plan(at("2026-11-26 12:00:00")).unwrap(),
            vec![(at("2026-11-20 09:00:00"), at("2026-11-20 18:00:00"))]
        );
    }

    #[test]
    fn multi_day_window_splits_per_day_and_clamps_to_now() {
        let q = CallRecordsQuery::between(at("2026-11-24 10:00:00"), at("2026-11-26 23:59:59"));
        assert_eq!(
            q.plan(at("2026-11-26 12:30:00")).unwrap(),
            vec![
                (at("2026-11-24 10:00:00"), at("2026-11-24 23:59:59")),
                (at("2026-11-25 00:00:00"), at("2026-11-25 23:59:59")),
                (at("2026-11-26 00:00:00"), at("2026-11-26 12:30:00")),
            ]
        );
    }

    #[test]
    fn window_rules_are_named() {
        let now = at("2026-11-26 12:00:00");
        let err = |from, to| {
            CallRecordsQuery::between(at(from), at(to))
                .plan(now)
                .unwrap_err()
                .to_string()
        };
        assert!(err("2026-11-20 10:00:00", "2026-11-20 09:00:00").contains("before it starts"));
        assert!(err("2026-11-27 00:00:00", "2026-11-27 10:00:00").contains("future"));
        assert!(err("2026-11-10 00:00:00", "2026-11-10 10:00:00").contains("15 days"));
        // Exactly 15 days back is still allowed.
        assert!(
            CallRecordsQuery::day(now.date() - Days::new(15))
                .plan(now)
                .is_ok()
        );
    }
}
