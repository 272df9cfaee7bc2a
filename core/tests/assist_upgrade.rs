//! The hand-made Deepgram upgrade (`deepgram/upgrade.rs`): `wss://` through TLS with a
//! private CA, the server-name check, the refusal of certificates we do not trust, PEM
//! checked at start; and the plain upgrade's reading of the response (split heads, any header
//! case, a wrong `Sec-WebSocket-Accept`, frames that arrive with the head).

mod assist_support;

use std::sync::Arc;
use std::time::Duration;

use assist_support::*;
use futures::{SinkExt, StreamExt};
use helix_engage::ErrorCode;
use helix_engage::assist::{AssistConfig, AssistEvent, CallSummary, LiveAssist};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

fn vocab() -> Vec<String> {
    vec![String::new(), "hello".into(), "world.".into()]
}

/// A private CA (PEM) and a TLS acceptor whose certificate it signed for `names`.
fn private_ca_and_server(names: &[&str]) -> (String, TlsAcceptor) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "helix-engage test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("ca key");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(names)
        .expect("leaf params")
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("leaf cert");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .expect("server config");
    (ca.pem(), TlsAcceptor::from(Arc::new(server)))
}

// ---- wss -----------------------------------------------------------------------------------

/// The text of each transcript segment, in order.
fn segment_texts(summary: &CallSummary) -> Vec<&str> {
    summary
        .transcript
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect()
}

/// A self-hosted Deepgram behind a private CA: with the CA trusted, the session connects over
/// TLS, the key goes in the (encrypted) upgrade and transcripts come back.
#[tokio::test]
async fn wss_with_the_private_ca_trusted_connects_and_transcribes() {
    let (ca_pem, tls) = private_ca_and_server(&["localhost"]);
    let dg = FakeDeepgram::start_tls(
        Script {
            vocab: vocab(),
            ..Default::default()
        },
        tls,
    )
    .await;
    assert!(dg.url.starts_with("wss://localhost:"));
    let mut cfg = config(&dg.url, 1);
    cfg.deepgram.extra_root_certificates = ca_pem.into_bytes();
    let (assist, _events) = LiveAssist::start(cfg).await.expect("wss start");
    assist
        .send_audio(script_audio(&[vec![1], vec![2]]))
        .unwrap();
    let summary = assist.stop().await.unwrap();
    let texts = segment_texts(&summary);
    assert_eq!(texts, ["hello", "world."]);
    assert!(summary.complete, "{summary:?}");
    let conns = dg.conns();
    assert_eq!(conns.len(), 1);
    assert_eq!(
        conns[0].header("authorization").as_deref(),
        Some("Token dg-test-key-123")
    );
    assert_eq!(
        conns[0].header("host"),
        Some(dg.url["wss://".len()..].into())
    );
}

/// The same server without its CA trusted: one clear, final error at start (the certificate
/// will be refused on every attempt), naming the cause and the option that fixes it.
#[tokio::test]
async fn wss_without_the_ca_is_a_final_transport_error_naming_the_option() {
    let (_ca_pem, tls) = private_ca_and_server(&["localhost"]);
    let dg = FakeDeepgram::start_tls(Script::default(), tls).await;
    let msg =
        transport_error_at_start(config(&dg.url, 1), "an untrusted certificate is refused").await;
    assert!(msg.contains("UnknownIssuer"), "{msg}");
    assert!(msg.contains("extra_root_certificates"), "{msg}");
    assert!(msg.contains("\"localhost\""), "{msg}");
    assert_refused_once_in_the_tls_handshake(&dg).await;
}

/// A certificate from the trusted CA but for another name is refused: trusting a CA does
/// not switch the server-name check off.
#[tokio::test]
async fn wss_refuses_a_trusted_certificate_for_another_name() {
    let (ca_pem, tls) = private_ca_and_server(&["deepgram.other.example"]);
    let dg = FakeDeepgram::start_tls(Script::default(), tls).await;
    let mut cfg = config(&dg.url, 1);
    cfg.deepgram.extra_root_certificates = ca_pem.into_bytes();
    let msg = transport_error_at_start(cfg, "a certificate for another name is refused").await;
    assert!(msg.contains("not valid for name \"localhost\""), "{msg}");
    assert!(msg.contains("deepgram.other.example"), "{msg}");
    assert_refused_once_in_the_tls_handshake(&dg).await;
}

/// Starting a session on `cfg` fails (`refused` says why it must) with a transport error;
/// its message.
async fn transport_error_at_start(cfg: AssistConfig, refused: &str) -> String {
    let Err(err) = LiveAssist::start(cfg).await else {
        panic!("{refused}");
    };
    assert_eq!(err.code(), ErrorCode::Transport, "{err}");
    err.to_string()
}

/// Refused in the TLS handshake, once: no upgrade was sent, nothing was retried.
async fn assert_refused_once_in_the_tls_handshake(dg: &FakeDeepgram) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(dg.attempts(), 0);
    assert_eq!(dg.rec.lock().unwrap().tls_refused, 1);
}

/// PEM that holds no usable certificate is `invalid_input` at start, naming the field, before
/// any connection; never a panic.
#[tokio::test]
async fn bad_extra_root_certificates_are_invalid_input_at_start() {
    let (ca_pem, _) = private_ca_and_server(&["localhost"]);
    let body_start = ca_pem.find('\n').unwrap() + 1;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not PEM", b"just some text, no PEM here".to_vec()),
        ("binary", vec![0x30, 0x82, 0xff, 0x00, 0x01]),
        (
            "no END line",
            ca_pem.lines().take(3).collect::<Vec<_>>().join("\n").into(),
        ),
        (
            "bad base64",
            b"-----BEGIN CERTIFICATE-----\n!!!!not base64!!!!\n-----END CERTIFICATE-----\n"
                .to_vec(),
        ),
        (
            "base64 of no certificate",
            b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n".to_vec(),
        ),
        (
            "a key, no certificate",
            b"-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n-----END PRIVATE KEY-----\n".to_vec(),
        ),
        (
            "a cut certificate",
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                &ca_pem[body_start..body_start + 64]
            )
            .into(),
        ),
    ];
    // Nothing listens here: a config that got past the check would fail differently.
    for (what, pem) in cases {
        let mut cfg = config("wss://127.0.0.1:9", 1);
        cfg.deepgram.extra_root_certificates = pem;
        let err = LiveAssist::start(cfg)
            .await
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{what}: {err}");
        assert!(
            err.to_string().contains("extra_root_certificates"),
            "{what}: {err}"
        );
    }
}

// ---- the upgrade response, byte by byte ----------------------------------------------------

/// A text frame from the server (unmasked).
fn server_text_frame(text: &str) -> Vec<u8> {
    let payload = text.as_bytes();
    let mut frame = vec![0x81];
    if payload.len() < 126 {
        frame.push(payload.len() as u8);
    } else {
        frame.push(126);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    frame.extend_from_slice(payload);
    frame
}

fn hello_final() -> String {
    serde_json::json!({
        "type": "Results", "channel_index": [0, 1], "start": 0.0, "duration": 0.25,
        "is_final": true, "speech_final": false, "from_finalize": false,
        "channel": { "alternatives": [{ "transcript": "hello", "confidence": 0.9,
            "words": [{ "word": "hello", "start": 0.05, "end": 0.2, "confidence": 0.9, "punctuated_word": "hello" }] }] },
        "metadata": { "request_id": "raw-1" }
    })
    .to_string()
}

/// A raw HTTP server: reads the upgrade request, answers with the pieces `answer` makes from
/// the right `Sec-WebSocket-Accept` (each written and flushed on its own, 5 ms apart), then —
/// when `then_ws` — speaks WebSocket: CloseStream gets `Metadata` and a clean close.
async fn raw_server(
    answer: impl Fn(&str) -> Vec<Vec<u8>> + Send + Sync + 'static,
    then_ws: bool,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move { raw_conn(tcp, &*answer, then_ws).await });
        }
    });
    url
}

async fn raw_conn(mut tcp: TcpStream, answer: &(dyn Fn(&str) -> Vec<Vec<u8>> + Sync), ws: bool) {
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut b = [0u8; 1024];
        match tcp.read(&mut b).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&b[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let key = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("sec-websocket-key"))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let accept = derive_accept_key(key.as_bytes());
    for piece in answer(&accept) {
        if tcp.write_all(&piece).await.is_err() || tcp.flush().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if !ws {
        // Keep the socket open a while: the client must refuse on what it read, not on EOF.
        tokio::time::sleep(Duration::from_secs(2)).await;
        return;
    }
    let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(t) = msg
            && t.as_str().contains("CloseStream")
        {
            let meta = serde_json::json!({"type": "Metadata", "request_id": "raw-1", "duration": 0.5, "channels": 1});
            let _ = ws.send(Message::text(meta.to_string())).await;
            let _ = ws.send(Message::Close(None)).await;
            return;
        }
    }
}

/// The 101 arrives in 7-byte pieces, with headers in odd cases and a `Connection` list, and
/// its last piece carries a Results frame right after the blank line: the upgrade is
/// accepted, the request id read, and the frame that came with the head is not lost.
#[tokio::test]
async fn a_split_upgrade_head_in_any_case_with_a_frame_behind_it_is_read_whole() {
    let url = raw_server(
        |accept| {
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, Upgrade\r\nSec-Websocket-Accept: {accept}\r\nDG-Request-Id: raw-1\r\n\r\n"
            );
            let mut bytes = head.into_bytes();
            let split_at = bytes.len() - 3;
            let mut pieces: Vec<Vec<u8>> = bytes[..split_at].chunks(7).map(<[u8]>::to_vec).collect();
            // The head's last bytes and a whole frame in one write.
            let mut last = bytes.split_off(split_at);
            last.extend_from_slice(&server_text_frame(&hello_final()));
            pieces.push(last);
            pieces
        },
        true,
    )
    .await;
    let (assist, _events) = LiveAssist::start(config(&url, 1)).await.expect("start");
    assist
        .send_audio(script_audio(&[vec![1], vec![0]]))
        .unwrap();
    let summary = assist.stop().await.unwrap();
    let texts = segment_texts(&summary);
    assert_eq!(texts, ["hello"], "{summary:?}");
    assert_eq!(summary.request_ids, ["raw-1"]);
    assert!(summary.complete, "{summary:?}");
    assert_eq!(summary.metrics.reconnects, 0);
}

/// Why each bad 101 is refused: the session reconnects (once here) and gives up with that
/// reason; no transcript is taken from a socket that was never a proper WebSocket.
async fn refused_101(
    head: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (Vec<String>, String) {
    let url = raw_server(
        move |accept| {
            let mut bytes = head(accept).into_bytes();
            bytes.extend_from_slice(&server_text_frame(&hello_final()));
            vec![bytes]
        },
        false,
    )
    .await;
    let mut cfg = config(&url, 1);
    cfg.reconnect.max_attempts = 1;
    let (assist, mut events) = LiveAssist::start(cfg).await.expect("start");
    let mut reasons = Vec::new();
    let mut error = String::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
        match ev {
            AssistEvent::Reconnecting { reason, .. } => reasons.push(reason),
            AssistEvent::Transcript { segment, .. } => panic!("a transcript came: {segment:?}"),
            AssistEvent::Error(e) => {
                assert_eq!(e.code(), ErrorCode::Transport, "{e}");
                error = e.to_string();
            }
            AssistEvent::Closed(_) => break,
            _ => {}
        }
    }
    drop(assist);
    (reasons, error)
}

/// There were reasons, and every one of them names `cause`.
fn assert_every_reason(reasons: &[String], cause: &str) {
    assert!(
        reasons.iter().all(|r| r.contains(cause)) && !reasons.is_empty(),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_101_with_the_wrong_accept_or_no_upgrade_headers_is_refused() {
    let (reasons, error) = refused_101(|_| {
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".into()
    })
    .await;
    assert_every_reason(&reasons, "wrong Sec-WebSocket-Accept");
    assert!(error.contains("wrong Sec-WebSocket-Accept"), "{error}");

    let (reasons, error) = refused_101(|accept| {
        format!("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")
    })
    .await;
    assert_every_reason(&reasons, "not a WebSocket upgrade");
    assert!(error.contains("not a WebSocket upgrade"), "{error}");

    // No accept header at all.
    let (reasons, _) = refused_101(|_| {
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            .into()
    })
    .await;
    assert_every_reason(&reasons, "wrong Sec-WebSocket-Accept");
}
