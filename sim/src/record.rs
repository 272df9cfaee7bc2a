//! Requests as the simulator received them, so tests can assert what went over the wire.

use axum::http::{HeaderMap, Method};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One HTTP request received by a simulated service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordedRequest {
    /// HTTP method (`GET`, `POST`…).
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lower-case; non-text values are shown lossily.
    pub headers: Vec<(String, String)>,
    /// The body, decoded lossily as UTF-8.
    pub body: String,
    /// When it arrived, by the simulator's clock.
    pub at: DateTime<Utc>,
}

impl RecordedRequest {
    pub(crate) fn new(
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        at: DateTime<Utc>,
    ) -> Self {
        RecordedRequest {
            method: method.as_str().to_string(),
            path: path.to_string(),
            query: query.map(str::to_string),
            headers: header_pairs(headers),
            body: String::from_utf8_lossy(body).into_owned(),
            at,
        }
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Headers as (lower-case name, lossy text value) pairs.
pub(crate) fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
