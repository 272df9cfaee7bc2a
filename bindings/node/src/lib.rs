//! `@helix-engage/native`: the Node.js skin of the helix-engage core.
//!
//! The binding holds no behaviour of its own. It converts arguments (JS values → core types,
//! through serde, so a wrong type is a `TypeError` with code `INVALID_INPUT` and never a
//! crash), maps errors (the core's [`helix_engage::Error`] → a JS `Error` with an upper-case
//! `code`), and manages lifetimes (napi's one Tokio runtime per process; event callbacks held
//! only while a session is live, so nothing keeps Node's event loop alive after `stop()`).
//!
//! The TypeScript contract is `index.d.ts`: `types.d.ts` (the shapes) followed by what
//! `napi build` generates from the `#[napi]` items here.

mod agent;
mod args;
mod assist;
mod error;
mod ozonetel;
// After `ozonetel`: napi-rs writes a class's methods into index.d.ts in the order the modules
// expand, so the client's constructor and core methods come before its desk methods.
mod desk;
mod promise;
mod redact;
mod routing;

pub use agent::OzonetelAgent;
pub use assist::{AssistEvents, LiveAssist};
pub use desk::CallRecordPages;
pub use ozonetel::{MissedCallWatcher, OzonetelClient, Transfer};
pub use redact::redact;
pub use routing::SidecarRegistry;

/// The addon's own allocations (Node's and V8's are untouched) come from mimalloc, as other
/// napi-rs addons do. A session's audio is allocated on Node's thread, where `sendAudio`
/// writes it, and freed on a runtime thread once Deepgram finalises it; glibc's arenas keep
/// what such a pattern frees scattered between live blocks, mimalloc returns it per page:
/// 119–130 vs 134–136 KiB RSS per session in `bench/node` (200 × 60 s), CPU the same within
/// the shared machine's noise.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
