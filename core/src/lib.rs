//! # helix-engage
//!
//! Drive Ozonetel CloudAgent calls and give agents live help while they talk.
//!
//! - [`ozonetel`]: call control (CONFERENCE, HOLD, UNHOLD, MUTE, UNMUTE, KICK_CALL), warm and
//!   cold transfers, recording pause/resume, missed calls, call history, a missed-call watcher.
//! - [`assist`]: live call assist — call audio to Deepgram's live speech-to-text, a transcript
//!   per speaker, and OpenAI suggestions for the agent built from the conversation and the lead.
//! - One [`Error`] type whose [`code`](Error::code) is shared by the Node and C bindings.
//!
//! ## Quick start
//!
//! ```no_run
//! use helix_engage::ozonetel::{AbandonedCallsQuery, CallAction, Client, TransferMode};
//!
//! # async fn demo() -> helix_engage::Result<()> {
//! let client = Client::builder()
//!     .user_name("acme")
//!     .api_key(std::env::var("OZONETEL_API_KEY").unwrap_or_default())
//!     .did("918041763265")
//!     .agent_phone_name("523590")
//!     .agent_number("9876543210")
//!     .build()?;
//!
//! let ucid = "90174967305497";
//! client.call_control(CallAction::Hold, ucid, None).await?;
//! client.call_control(CallAction::Unhold, ucid, None).await?;
//! client.pause_recording(ucid).await?;
//! client.resume_recording(ucid).await?;
//!
//! let transfer = client.transfer(ucid, "+91 98765-43210", TransferMode::Warm).await?;
//! transfer.complete().await?; // the agent leaves; the target keeps the customer
//!
//! for call in client.abandoned_calls(&AbandonedCallsQuery::today()).await? {
//!     println!("missed: {} at {}", call.caller_id, call.call_time);
//! }
//! # Ok(()) }
//! ```

pub mod assist;
mod backoff;
mod error;
mod local_time;
pub mod ozonetel;
mod range;
mod secret;
mod serde_util;
pub mod text;

pub use error::{AgentRefusal, Error, ErrorCode, Result};
