//! The desk's webhook: Ozonetel POSTs call and agent events to the URLs the account subscribed;
//! this is a minimal receiver on 127.0.0.1 that parses each with the library
//! (`Event::parse`) and prints it as it arrives. A real sidecar mounts the same parsing in
//! its web framework (the NestJS example's webhook controller).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use helix_engage::ozonetel::{CallEventAction, Event};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::output::{CYAN, Out};

/// What arrived, in order: `"call Calling"`, `"agent Ready"`, …
pub type Seen = Arc<Mutex<Vec<String>>>;

/// The largest event body read; Ozonetel's are a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// Starts the receiver; its base URL (`http://127.0.0.1:PORT`) and what it has seen.
pub async fn start(out: Out) -> std::io::Result<(String, Seen)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (out, log) = (out.clone(), log.clone());
            tokio::spawn(async move {
                if let Some(line) = receive(socket).await {
                    out.detail(&out.paint(CYAN, &format!("event: {}", line.1)));
                    log.lock().unwrap_or_else(|p| p.into_inner()).push(line.0);
                }
            });
        }
    });
    Ok((url, seen))
}

/// Reads one request (head + `Content-Length` body), answers 200, and describes the event:
/// (what it was, the line to print).
async fn receive(socket: tokio::net::TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(socket);
    let (mut content_type, mut length) = (String::new(), 0usize);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => content_type = value.trim().to_string(),
                "content-length" => length = value.trim().parse().ok()?,
                _ => {}
            }
        }
    }
    let mut body = vec![0; length.min(MAX_BODY)];
    reader.read_exact(&mut body).await.ok()?;
    let mut socket = reader.into_inner();
    let _ = socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await;
    Some(match Event::parse(&content_type, &body) {
        Ok(Event::Call(e)) => {
            let action = match &e.action {
                CallEventAction::Other(other) => other.clone(),
                known => format!("{known:?}"),
            };
            (
                format!("call {action}"),
                format!(
                    "call {action} · UCID {} · agent {} · {}",
                    e.ucid, e.agent_id, e.call_type
                ),
            )
        }
        Ok(Event::Agent(e)) => (
            format!("agent {}", e.action),
            format!("agent {} {}", e.agent_id, e.action),
        ),
        Err(e) => (
            "unreadable".into(),
            format!("an event the library refused: {e}"),
        ),
    })
}

/// Waits (at most `bound`) until `what` has arrived, so the screen reads in call order.
pub async fn wait_for(seen: &Seen, what: &str, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|s| s == what)
        {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
