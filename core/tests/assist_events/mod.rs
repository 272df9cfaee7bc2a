//! Reading a live session's events, for the assist tests on the fake Deepgram
//! (`assist_support`) and on the simulator (`assist_sim`) alike: a module of its own because
//! those two link different fakes.
#![allow(dead_code)]

use std::time::Duration;

use helix_engage::assist::AssistEvent;
use tokio::sync::mpsc::Receiver;

/// Everything the session emitted up to and including `Closed`, or until nothing came for
/// `quiet`.
pub async fn drain_until_closed(
    events: &mut Receiver<AssistEvent>,
    quiet: Duration,
) -> Vec<AssistEvent> {
    let mut out = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(quiet, events.recv()).await {
        let closed = matches!(ev, AssistEvent::Closed(_));
        out.push(ev);
        if closed {
            break;
        }
    }
    out
}

/// How many `Reconnecting` and how many `Reconnected` events there are.
pub fn reconnect_counts(events: &[AssistEvent]) -> (usize, usize) {
    let reconnecting = events
        .iter()
        .filter(|e| matches!(e, AssistEvent::Reconnecting { .. }))
        .count();
    let reconnected = events
        .iter()
        .filter(|e| matches!(e, AssistEvent::Reconnected { .. }))
        .count();
    (reconnecting, reconnected)
}

/// Whether any event is a `Reconnecting`.
pub fn any_reconnecting(events: &[AssistEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, AssistEvent::Reconnecting { .. }))
}

/// Checks every warning's and error's text: at most 4 KB (`helix_engage::MAX_MESSAGE_CHARS`
/// of upstream text, and the crate's words around it), and without `secret`.
pub fn assert_messages_bounded(events: &[AssistEvent], secret: &str, label: &str) {
    for ev in events {
        let message = match ev {
            AssistEvent::Warning(w) => w.message.clone(),
            AssistEvent::Error(e) => e.to_string(),
            _ => continue,
        };
        assert!(message.len() <= 4096, "{label}: {} bytes", message.len());
        assert!(!message.contains(secret), "{label}: {message}");
    }
}
