//! The state every handler shares: the clock, the faults and each service's memory.

use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::sync::watch;

use crate::clock::SimClock;
use crate::deepgram::sessions::DgState;
use crate::faults::FaultBook;
use crate::ozonetel::state::OzState;
use crate::ozonetel::webhook::Deliveries;
use crate::record::RecordedRequest;

/// State shared by every handler.
pub(crate) struct Shared {
    pub clock: SimClock,
    pub faults: FaultBook,
    pub oz: Mutex<OzState>,
    pub dg: Mutex<DgState>,
    pub openai: Mutex<Vec<RecordedRequest>>,
    pub openai_key: String,
    /// Every event POST, for tests.
    pub deliveries: Deliveries,
    pub default_account: String,
    pub shutdown: watch::Receiver<bool>,
    pub addr: SocketAddr,
}
