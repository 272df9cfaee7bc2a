//! OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// OpenAI-style error response.
pub(super) fn api_error(
    status: StatusCode,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    (
        status,
        axum::Json(json!({"error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }})),
    )
        .into_response()
}

pub(super) fn bad_request(message: &str, param: Option<&str>, code: Option<&str>) -> Response {
    api_error(StatusCode::BAD_REQUEST, message, param, code)
}
