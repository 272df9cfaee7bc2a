//! Recording pause and resume through `Record.php`.
//!
//! This endpoint takes the API key in the query string and reports success as
//! `{"status":"Error","message":"{\"status\":\"Success\",...}"}`; the envelope parser reads the
//! inner object, and the transport keeps the URL (and so the key) out of every error.

use reqwest::Method;
use serde::Serialize;

use super::client::Client;
use super::ids::{scalar_text, validate_ucid};
use super::transport::{Answer, Credentials, Host, Request, Resend};
use crate::error::Result;

const PATH: &str = "/CAServices/Call/Record.php";

/// What Ozonetel said when it paused or resumed a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingResponse {
    /// `true` when the recording is now paused.
    pub paused: bool,
    /// Ozonetel's message (`paused monitoring of the channel`).
    pub message: String,
}

impl Client {
    /// Pauses the call's recording (for card numbers and other things that must not be kept).
    pub async fn pause_recording(&self, ucid: &str) -> Result<RecordingResponse> {
        self.recording(ucid, true).await
    }

    /// Resumes the call's recording.
    pub async fn resume_recording(&self, ucid: &str) -> Result<RecordingResponse> {
        self.recording(ucid, false).await
    }

    async fn recording(&self, ucid: &str, pause: bool) -> Result<RecordingResponse> {
        let ucid = validate_ucid(ucid)?;
        let action = if pause { "pause" } else { "unPause" };
        let request = Request {
            method: Method::GET,
            path: PATH,
            query: vec![
                ("userName", self.user_name().to_string()),
                ("apiKey", self.api_key().to_string()),
                ("action", action.to_string()),
                ("ucid", ucid.clone()),
            ],
            body: None,
            form: None,
            basic_auth: None,
            host: Host::Api,
            answer: Answer::Envelope,
            credentials: Credentials::InQuery,
            // Pausing a paused recording leaves it paused.
            resend: Resend::Transient,
            paced: false,
        };
        let object = self
            .execute(&request)
            .await
            .map_err(|e| e.context(&format!("recording {action} on call {ucid}")))?;
        Ok(RecordingResponse {
            paused: pause,
            message: object
                .get("message")
                .and_then(scalar_text)
                .unwrap_or_default(),
        })
    }
}
