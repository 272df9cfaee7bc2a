//! # helix-engage
//!
//! Drive Ozonetel CloudAgent calls and give agents live help while they talk.
//!
//! - [`ozonetel`]: one account, many agents — call control (CONFERENCE, HOLD, UNHOLD, MUTE,
//!   UNMUTE, KICK_CALL), warm and cold transfers, login, Ready/Pause, manual dial and
//!   disposition as an [`Agent`](ozonetel::Agent); recording pause/resume, missed calls, call
//!   history, a missed-call watcher and event webhooks for the account, whose token, hourly
//!   budget and CDR pace every client (and, through Redis, every process) shares.
//! - [`assist`]: live call assist — call audio to Deepgram's live speech-to-text, a transcript
//!   per speaker, and OpenAI suggestions for the agent built from the conversation and the lead.
//! - One [`Error`] type whose [`code`](Error::code) is shared by the Node and C bindings.
//!
//! ## Quick start
//!
//! ```no_run
//! use helix_engage::ozonetel::{AbandonedCallsQuery, AgentRef, Client, DialOptions, Disposition, TransferMode};
//!
//! # async fn demo() -> helix_engage::Result<()> {
//! let client = Client::builder()
//!     .user_name("acme")
//!     .api_key(std::env::var("OZONETEL_API_KEY").unwrap_or_default())
//!     .build()?;
//! // The agent the request names: nothing defaults one.
//! let agent = client.agent(
//!     AgentRef::new("asha")
//!         .with_phone_name("523590")
//!         .with_number("9876543210")
//!         .with_campaign("Outbound_918041763265")
//!         .with_did("918041763265"),
//! )?;
//!
//! agent.login("agent-password").await?;
//! agent.set_ready().await?;
//! let ucid = agent.dial("9876543210", DialOptions::default()).await?.ucid.unwrap_or_default();
//! agent.hold(&ucid).await?;
//! agent.unhold(&ucid).await?;
//! client.pause_recording(&ucid).await?;
//! client.resume_recording(&ucid).await?;
//!
//! let transfer = agent.transfer(&ucid, "+91 98765-43210", TransferMode::Warm).await?;
//! transfer.complete().await?; // the agent leaves; the target keeps the customer
//! agent.dispose(&ucid, Disposition { code: "Appointment booked".into(), ..Default::default() }).await?;
//! agent.logout("agent-password").await?;
//!
//! for call in client.abandoned_calls(&AbandonedCallsQuery::today()).await? {
//!     println!("missed: {} at {}", call.caller_id, call.call_time);
//! }
//! # Ok(()) }
//! ```

pub mod assist;
mod backoff;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod local_time;
pub mod ozonetel;
mod range;
mod secret;
mod serde_util;
pub mod text;

pub use error::{AgentRefusal, Error, ErrorCode, MAX_MESSAGE_CHARS, Result};
