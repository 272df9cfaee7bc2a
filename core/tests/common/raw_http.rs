//! A raw-TCP HTTP/1.1 server for what mockito cannot send: a reply that never comes, a body
//! that trickles, a length that lies, chunked garbage, bytes that are not UTF-8, a body of
//! tens of megabytes written in pieces. It records when each request arrived and its path.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// When each request arrived, and its path.
pub type Seen = Arc<Mutex<Vec<(Instant, String)>>>;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// `200 OK`, `application/json`, the right length.
    Json(String),
    /// These exact bytes (status line, headers, body: anything), then the connection closes.
    Raw(Vec<u8>),
    /// `head` (status line and headers, ending in the blank line), then `body` one byte per
    /// `every`, then the connection closes.
    Trickle {
        head: String,
        body: Vec<u8>,
        every: Duration,
    },
    /// `head`, then `total` bytes made of `piece` repeated, then the connection closes: a huge
    /// body without holding it in memory.
    Repeat {
        head: String,
        piece: Vec<u8>,
        total: usize,
    },
    /// Nothing at all; the connection stays open.
    Never,
}

/// A server answering `answer(n, path)` to the n-th request (from 0).
pub async fn raw_server(
    answer: impl Fn(usize, &str) -> Reply + Send + Sync + 'static,
) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (log, answer) = (log.clone(), answer.clone());
            tokio::spawn(async move {
                let mut pending = Vec::new();
                loop {
                    let Some(head) = read_request(&mut socket, &mut pending).await else {
                        return;
                    };
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                    let index = {
                        let mut log = log.lock().unwrap();
                        log.push((Instant::now(), path.clone()));
                        log.len() - 1
                    };
                    match answer(index, &path) {
                        Reply::Json(body) => {
                            let response = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if socket.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Reply::Raw(bytes) => {
                            let _ = socket.write_all(&bytes).await;
                            let _ = socket.shutdown().await;
                            return;
                        }
                        Reply::Trickle { head, body, every } => {
                            if socket.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            for byte in body {
                                tokio::time::sleep(every).await;
                                if socket.write_all(&[byte]).await.is_err() {
                                    return;
                                }
                            }
                            return;
                        }
                        Reply::Repeat { head, piece, total } => {
                            if socket.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let mut written = 0;
                            while written < total {
                                let n = piece.len().min(total - written);
                                // The client hanging up early is the point of most such tests.
                                if socket.write_all(&piece[..n]).await.is_err() {
                                    return;
                                }
                                written += n;
                            }
                            let _ = socket.shutdown().await;
                            return;
                        }
                        Reply::Never => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

/// [`raw_server`] for the common case: `Some(body)` is a JSON 200, `None` never answers.
pub async fn recording_server(
    answer: impl Fn(usize, &str) -> Option<String> + Send + Sync + 'static,
) -> (String, Seen) {
    raw_server(move |i, path| answer(i, path).map_or(Reply::Never, Reply::Json)).await
}

/// Reads one whole request (head, then `content-length` bytes of body) and returns its head;
/// bytes past it stay in `pending` for the next one. A request can arrive in several reads
/// (reqwest may write the head and the JSON body separately): taking each read as a request
/// would answer a body as if it were another request.
async fn read_request(socket: &mut tokio::net::TcpStream, pending: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&pending[..head_end]).to_string();
    let body_len: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    while pending.len() < head_end + body_len {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    }
    pending.drain(..head_end + body_len);
    Some(head)
}

/// How many requests the server saw on a path containing `path`.
pub fn requests_to(seen: &Seen, path: &str) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(_, p)| p.contains(path))
        .count()
}
