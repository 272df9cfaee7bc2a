//! What the report endpoints share: Ozonetel's date-time format, "now" in the account's time
//! zone (what Ozonetel's dates mean), and decoding a list of items.

use chrono::{NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result, snippet};
use crate::ozonetel::client::Client;

/// How Ozonetel writes a date-time, in requests and answers.
pub(super) const WIRE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

impl Client {
    /// "Now" in the account's time zone ([`ClientBuilder::utc_offset`], IST by default),
    /// which is what Ozonetel's dates mean: "today" for the report windows is this date.
    ///
    /// [`ClientBuilder::utc_offset`]: crate::ozonetel::ClientBuilder::utc_offset
    pub fn local_now(&self) -> NaiveDateTime {
        Utc::now()
            .with_timezone(&self.config().utc_offset)
            .naive_local()
    }
}

pub(super) fn decode_items<T: for<'de> Deserialize<'de>>(
    items: &[Value],
    what: &str,
) -> Result<Vec<T>> {
    items
        .iter()
        .map(|item| {
            serde_json::from_value(item.clone()).map_err(|e| {
                Error::Protocol {
                    message: format!("a {what} could not be read: {e}"),
                    snippet: snippet(&item.to_string()),
                }
                .bounded()
            })
        })
        .collect()
}
