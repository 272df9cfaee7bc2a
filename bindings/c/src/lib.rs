//! # helix-engage C ABI
//!
//! `include/helix_engage.h` and `libhelix_engage` (`.so`/`.a`): Ozonetel CloudAgent call
//! control, recording, the agent desk (login, state, dials, dispositions), event webhooks,
//! missed calls, call history, live call assist (private stretches, redaction, the post-call
//! summary) and the local redactor for C and C++ hosts.
//!
//! This crate holds no behaviour of its own: it converts arguments, maps errors to
//! `helix_status` and manages handle lifetimes; everything else is the `helix-engage` core.
//!
//! Conventions (those of rustls-ffi):
//! - every function returns a `helix_status` (`HELIX_OK` = 0), except `_free` functions,
//!   `helix_last_error` and `helix_status_name`; on failure `helix_last_error()` says what
//!   happened, on the calling thread;
//! - outputs go through out-parameters, written only on success;
//! - every pointer is checked (NULL → `HELIX_NULL_POINTER`; a NULL agent, `agent_ref` or agent
//!   id is `HELIX_INVALID_INPUT`: there is no default agent), every string must be UTF-8
//!   (otherwise `HELIX_INVALID_UTF8`); enum-like arguments are plain `uint32_t` and checked;
//! - no panic crosses the boundary: it becomes `HELIX_PANIC`;
//! - handles come from `_new`/`_start` and go back through `_free`; strings the library
//!   returns go back through `helix_string_free`;
//! - config structs may be zero-initialised: zero or NULL fields take their defaults.

// The exported types carry their C names (`helix_status`, `helix_ozonetel`, …): cbindgen writes
// them into the header as they are spelled here.
#![allow(non_camel_case_types)]
// The entry points exist to be called from C with raw pointers; their contract is the header's
// (valid or NULL), and every pointer goes through the checked conversions in `ffi.rs` (as in
// rustls-ffi, which allows this lint for the same reason).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod agent;
mod assist;
mod desk;
mod error;
mod events;
mod ffi;
mod ozonetel;
mod redact;
mod webhooks;

pub use agent::{
    helix_agent, helix_agent_call_control, helix_agent_free, helix_agent_ref,
    helix_agent_transfer_start, helix_call_action, helix_ozonetel_agent_new, helix_transfer,
    helix_transfer_cancel, helix_transfer_complete, helix_transfer_free, helix_transfer_get_state,
    helix_transfer_mode, helix_transfer_state,
};
pub use assist::{
    helix_assist, helix_assist_config, helix_assist_finalize, helix_assist_free,
    helix_assist_metrics, helix_assist_send_audio, helix_assist_send_audio_delivery,
    helix_assist_set_on_hold, helix_assist_set_private, helix_assist_start, helix_assist_stop,
    helix_assist_update_lead, helix_audio_delivery, helix_audio_encoding, helix_channel_layout,
};
pub use desk::{
    helix_agent_dial, helix_agent_dispose, helix_agent_force_ready, helix_agent_login,
    helix_agent_logout, helix_agent_pause, helix_agent_phone_dial, helix_agent_set_ready,
    helix_dial_options, helix_dispose_outcome, helix_disposition, helix_login_outcome,
    helix_phone_dial_options,
};
pub use error::{
    helix_agent_refusal, helix_last_agent_refusal, helix_last_error, helix_status,
    helix_status_name,
};
pub use events::{helix_event, helix_event_callback, helix_event_kind};
pub use ffi::helix_string_free;
pub use ozonetel::{
    helix_abandoned_calls_query, helix_auth_mode, helix_call_records_query, helix_ozonetel,
    helix_ozonetel_abandoned_calls, helix_ozonetel_call_record, helix_ozonetel_call_record_pages,
    helix_ozonetel_call_records, helix_ozonetel_config, helix_ozonetel_free, helix_ozonetel_new,
    helix_ozonetel_pause_recording, helix_ozonetel_resume_recording, helix_page_callback,
    helix_progress_callback, helix_region,
};
pub use redact::helix_redact;
pub use webhooks::{
    helix_event_subscription, helix_ozonetel_call_record_for, helix_ozonetel_dispositions,
    helix_ozonetel_event, helix_ozonetel_event_free, helix_ozonetel_event_kind,
    helix_ozonetel_event_parse, helix_ozonetel_event_subscriptions,
    helix_ozonetel_subscribe_events, helix_ozonetel_unsubscribe_events,
};
