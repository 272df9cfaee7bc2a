//! The one intake step every simulated endpoint starts with, so recording, faults and key
//! reading cannot drift apart between services.
//!
//! HTTP endpoints (Ozonetel, OpenAI) call [`intake`]: the request is recorded where its
//! service keeps recordings, then the first fault armed on the endpoint is applied in that
//! service's error dialect. The Deepgram handshake records a session instead of a request and
//! answers faults as a WebSocket handshake does (`deepgram/handshake.rs`), but reads its key
//! with the same [`presented_key`]. Ozonetel's account rules (token or `apiKey`) are its own
//! (`ozonetel/auth.rs`).

use axum::http::{HeaderMap, Method, header};
use axum::response::Response;

use crate::faults::{Dialect, Endpoint, http_fault, lock};
use crate::record::RecordedRequest;
use crate::shared::Shared;

/// Records the request (at [`Endpoint::path`]) and applies any armed fault. `Some` = answer
/// this instead.
pub(crate) async fn intake(
    shared: &Shared,
    endpoint: Endpoint,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let rec = RecordedRequest::new(
        method,
        endpoint.path(),
        query,
        headers,
        body,
        shared.clock.now(),
    );
    let dialect = match endpoint {
        Endpoint::OpenaiChat => {
            lock(&shared.openai).push(rec);
            Dialect::OpenAi
        }
        // Every other HTTP endpoint is Ozonetel's (Deepgram's socket does not come here).
        _ => {
            lock(&shared.oz).requests.push(rec);
            Dialect::Ozonetel
        }
    };
    let fault = shared.faults.take(endpoint)?;
    let mut shutdown = shared.shutdown.clone();
    http_fault(fault, dialect, &mut shutdown).await
}

/// The key in `Authorization` after one of `schemes` (e.g. `"Bearer "`), trimmed; `None` when
/// the header is absent, not text, or uses another scheme.
pub(crate) fn presented_key<'a>(headers: &'a HeaderMap, schemes: &[&str]) -> Option<&'a str> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)?;
    schemes
        .iter()
        .find_map(|scheme| auth.strip_prefix(scheme))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(value: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(value).expect("header value"),
        );
        h
    }

    #[test]
    fn presented_key_takes_the_first_matching_scheme_and_trims() {
        let h = with_auth(b"  Token  k1 ");
        assert_eq!(presented_key(&h, &["Token ", "Bearer "]), Some("k1"));
        assert_eq!(presented_key(&h, &["Bearer "]), None);
    }

    #[test]
    fn presented_key_is_none_without_a_text_header() {
        assert_eq!(presented_key(&HeaderMap::new(), &["Bearer "]), None);
        assert_eq!(
            presented_key(&with_auth(b"Bearer \xff"), &["Bearer "]),
            None
        );
    }
}
