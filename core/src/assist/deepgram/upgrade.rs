//! The WebSocket upgrade to Deepgram, done here rather than by tungstenite.
//!
//! tungstenite's client handshake logs the raw upgrade request — `Authorization: Token <key>`
//! included — at TRACE through the `log` crate, once per connection. A host that turns on a
//! TRACE subscriber with the `log` bridge (a common debugging step) would print the key, and
//! no filter of ours can stop that: the host owns the subscriber. So the request is written
//! and the response read here, where nothing logs them, and tungstenite is handed a stream
//! that is already upgraded (`from_partially_read`, which performs no handshake and logs no
//! headers). The key lives only in the request bytes, which are dropped once written.

use std::sync::{Arc, OnceLock};

use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::{Host, Url};

use crate::assist::config::DeepgramConfig;
use crate::assist::tls::tls_roots;

/// The upgraded WebSocket every link runs on.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Bound on the upgrade response's head: Deepgram's is a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;
/// Bound on a refusal's body (only a snippet of it is ever shown).
const MAX_BODY: usize = 4 * 1024;
/// Bound on one message from Deepgram: Results are kilobytes; a larger frame is not
/// Deepgram's and must not make us allocate without limit.
const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// What a read from the socket reads into at most (see the WebSocket config below).
const READ_BUFFER: usize = 4 * 1024;

/// The upgrade's outcome.
pub(crate) enum Upgrade {
    Open {
        // Boxed: the socket is large, and the enum is only moved once per connection.
        socket: Box<Socket>,
        headers: Vec<(String, String)>,
    },
    Refused {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// Why the upgrade could not happen: transport-level and worth retrying, unless `is_final`
/// (a certificate this client does not accept will be refused again).
#[derive(Debug)]
pub(crate) struct UpgradeError {
    pub message: String,
    pub is_final: bool,
}

impl From<String> for UpgradeError {
    fn from(message: String) -> Self {
        UpgradeError {
            message,
            is_final: false,
        }
    }
}

impl From<&str> for UpgradeError {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

/// Opens TCP (and TLS for `wss`), sends the upgrade request with `Authorization: Token <key>`
/// and reads the answer. The caller bounds it with the connect timeout.
pub(crate) async fn upgrade(
    url: &Url,
    cfg: &DeepgramConfig,
    user_agent: &str,
) -> Result<Upgrade, UpgradeError> {
    let api_key = &cfg.api_key;
    let tls = match url.scheme() {
        "wss" => true,
        "ws" => false,
        other => return Err(format!("unsupported scheme {other}").into()),
    };
    let host = url.host().ok_or("the deepgram url has no host")?;
    let host_name = match &host {
        Host::Domain(d) => (*d).to_string(),
        Host::Ipv4(a) => a.to_string(),
        Host::Ipv6(a) => a.to_string(),
    };
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let tcp = TcpStream::connect((host_name.as_str(), port))
        .await
        .map_err(|e| format!("deepgram connection failed: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let stream = if tls {
        let name = ServerName::try_from(host_name.clone())
            .map_err(|_| format!("{host_name:?} is not a valid TLS server name"))?;
        let config = tls_config(&cfg.extra_root_certificates)?;
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(&e, &host_name, !cfg.extra_root_certificates.is_empty()))?;
        MaybeTlsStream::Rustls(tls)
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    let host_header = match (url.port(), &host) {
        (Some(p), Host::Ipv6(a)) => format!("[{a}]:{p}"),
        (None, Host::Ipv6(a)) => format!("[{a}]"),
        (Some(p), _) => format!("{host_name}:{p}"),
        (None, _) => host_name.clone(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let key = generate_key();
    exchange(stream, &path, &host_header, &key, api_key, user_agent).await
}

async fn exchange(
    mut stream: MaybeTlsStream<TcpStream>,
    path: &str,
    host: &str,
    ws_key: &str,
    api_key: &SecretString,
    user_agent: &str,
) -> Result<Upgrade, UpgradeError> {
    {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {ws_key}\r\nAuthorization: Token {}\r\nUser-Agent: {user_agent}\r\n\r\n",
            api_key.expose_secret()
        );
        let request = SecretString::from(request);
        stream
            .write_all(request.expose_secret().as_bytes())
            .await
            .map_err(|e| format!("writing the deepgram upgrade failed: {e}"))?;
        stream
            .flush()
            .await
            .map_err(|e| format!("writing the deepgram upgrade failed: {e}"))?;
    }
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err("deepgram's upgrade response head is too long".into());
        }
        let mut chunk = [0u8; 2048];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("reading the deepgram upgrade response failed: {e}"))?;
        if n == 0 {
            return Err("deepgram closed the connection during the upgrade".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("deepgram's upgrade response has no HTTP status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let tail = buf.split_off(head_end);
    if status != 101 {
        let want = header(&headers, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(MAX_BODY);
        let mut body = tail;
        while body.len() < want {
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        body.truncate(MAX_BODY);
        return Ok(Upgrade::Refused {
            status,
            headers,
            body,
        });
    }
    let upgrade_ok =
        header(&headers, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let connection_ok = header(&headers, "connection").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    });
    if !upgrade_ok || !connection_ok {
        return Err("deepgram's 101 response is not a WebSocket upgrade".into());
    }
    if header(&headers, "sec-websocket-accept")
        != Some(derive_accept_key(ws_key.as_bytes()).as_str())
    {
        return Err("deepgram's upgrade response has the wrong Sec-WebSocket-Accept".into());
    }
    // Sized for the traffic: tungstenite's defaults (128 KiB to read into, 128 KiB of writes
    // gathered before one goes out) are most of a plain client's memory per socket, and the
    // read buffer is zeroed up to its size on every read. Deepgram's messages are a few KiB
    // (a longer one grows the buffer to its size, up to MAX_MESSAGE), and every audio frame
    // should reach the socket the moment it is handed over, so nothing is gathered.
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0);
    let socket =
        WebSocketStream::from_partially_read(stream, tail, Role::Client, Some(config)).await;
    Ok(Upgrade::Open {
        socket: Box::new(socket),
        headers,
    })
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A failed TLS handshake. A certificate this client does not accept (unknown issuer, another
/// name, expired) is refused the same way on every attempt: final, with what to check.
fn tls_error(e: &std::io::Error, host: &str, extra_roots: bool) -> UpgradeError {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>());
    match rustls_error {
        Some(tokio_rustls::rustls::Error::InvalidCertificate(why)) => {
            let hint = if extra_roots {
                "the public web roots and DeepgramConfig::extra_root_certificates"
            } else {
                "the public web roots; a server behind a private CA needs DeepgramConfig::extra_root_certificates"
            };
            UpgradeError {
                message: format!(
                    "deepgram's TLS certificate for {host:?} was refused ({why}); trusted: {hint}"
                ),
                is_final: true,
            }
        }
        _ => format!("deepgram TLS handshake failed: {e}").into(),
    }
}

/// The TLS configuration: one per process for the public roots, one per connection when
/// extra roots are configured (reconnects are rare; the PEM was checked at start).
fn tls_config(extra_pem: &[u8]) -> Result<Arc<ClientConfig>, UpgradeError> {
    let build = |roots| {
        Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    };
    if extra_pem.is_empty() {
        static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
        return Ok(CONFIG
            .get_or_init(|| build(tls_roots(&[]).unwrap_or_else(|_| RootCertStore::empty())))
            .clone());
    }
    let roots = tls_roots(extra_pem).map_err(|e| UpgradeError {
        message: format!("deepgram extra_root_certificates: {e}"),
        is_final: true,
    })?;
    Ok(build(roots))
}
