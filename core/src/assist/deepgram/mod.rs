//! Deepgram's live `/v1/listen` WebSocket: the URL and its parameters, the handshake and what
//! its refusals mean, and the meaning of close codes. The session loop lives in [`session`],
//! one connection's tasks in [`link`], the mapping of results to the call's segments in
//! [`segments`], stream time to call time (private stretches cut out) in [`timeline`].

mod coalesce;
mod link;
pub(crate) mod messages;
pub(crate) mod segments;
pub(crate) mod session;
pub(crate) mod timeline;
mod upgrade;

use std::time::Duration;

use secrecy::ExposeSecret;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use url::Url;

use super::audio::AudioFormat;
use super::config::{DeepgramConfig, Endpointing, USER_AGENT};
use crate::{Error, Result};

pub(crate) use upgrade::Socket;

/// The full `/v1/listen` URL with every recognition parameter.
pub(crate) fn listen_url(cfg: &DeepgramConfig, audio: &AudioFormat) -> Result<Url> {
    let mut url = cfg.socket_url()?;
    let path = url.path().trim_end_matches('/').to_string();
    if !path.ends_with("/v1/listen") {
        url.set_path(&format!("{path}/v1/listen"));
    }
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("model", cfg.model.trim());
        if let (Some(encoding), Some(rate)) = (audio.encoding(), audio.sample_rate()) {
            q.append_pair("encoding", encoding);
            q.append_pair("sample_rate", &rate.to_string());
            q.append_pair("channels", &audio.channels().to_string());
        }
        let multichannel = cfg.multichannel.unwrap_or(audio.channels() > 1);
        if multichannel {
            q.append_pair("multichannel", "true");
        }
        let flag = |b: bool| if b { "true" } else { "false" };
        q.append_pair("interim_results", flag(cfg.interim_results));
        q.append_pair("punctuate", flag(cfg.punctuate));
        q.append_pair("smart_format", flag(cfg.smart_format));
        match cfg.endpointing {
            Some(Endpointing::Ms(ms)) => {
                q.append_pair("endpointing", &ms.to_string());
            }
            Some(Endpointing::Disabled) => {
                q.append_pair("endpointing", "false");
            }
            None => {}
        }
        if let Some(ms) = cfg.utterance_end_ms {
            q.append_pair("utterance_end_ms", &ms.to_string());
        }
        if cfg.vad_events {
            q.append_pair("vad_events", "true");
        }
        if cfg.diarize {
            q.append_pair("diarize", "true");
        }
        if let Some(lang) = cfg
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            q.append_pair("language", lang);
        }
        // nova-3 takes `keyterm` (repeated); older models take `keywords`.
        let term_param = if cfg.model.trim().starts_with("nova-3") {
            "keyterm"
        } else {
            "keywords"
        };
        for term in cfg
            .keyterms
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            q.append_pair(term_param, term);
        }
        // Repeated, as Deepgram reads several redactions.
        for r in &cfg.redact {
            q.append_pair("redact", r.as_param());
        }
        for (k, v) in &cfg.extra_params {
            q.append_pair(k, v);
        }
    }
    Ok(url)
}

/// An open connection and the `dg-request-id` Deepgram gave it.
pub(crate) struct Connected {
    pub socket: Box<Socket>,
    pub request_id: Option<String>,
}

/// Why a connection attempt failed, and whether trying again can help.
#[derive(Debug, Clone)]
pub(crate) struct ConnectError {
    pub error: Error,
    /// Refusals that will repeat (bad key, bad parameters): never retried.
    pub is_final: bool,
}

/// Opens one connection. Never retries: the session's reconnect loop owns retrying.
///
/// The upgrade is done by [`upgrade`] so that no library logs the request headers (the key).
pub(crate) async fn connect(
    cfg: &DeepgramConfig,
    audio: &AudioFormat,
    timeout: Duration,
) -> std::result::Result<Connected, ConnectError> {
    let final_err = |error| ConnectError {
        error,
        is_final: true,
    };
    let url = listen_url(cfg, audio).map_err(final_err)?;
    // The key goes into a header: refuse what a header cannot carry (config validation
    // already checks this; a second check costs nothing).
    if HeaderValue::from_str(&format!("Token {}", cfg.api_key.expose_secret())).is_err() {
        return Err(final_err(Error::invalid(
            "deepgram api_key cannot go in a header",
        )));
    }
    let attempt = upgrade::upgrade(&url, cfg, USER_AGENT);
    let result = match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => {
            return Err(ConnectError {
                error: Error::Timeout(format!(
                    "deepgram handshake took longer than {} ms",
                    timeout.as_millis()
                )),
                is_final: false,
            });
        }
    };
    match result {
        Ok(upgrade::Upgrade::Open { socket, headers }) => {
            let request_id = upgrade::header(&headers, "dg-request-id").map(str::to_string);
            tracing::info!(
                request_id = request_id.as_deref().unwrap_or("-"),
                "deepgram connected"
            );
            Ok(Connected { socket, request_id })
        }
        Ok(upgrade::Upgrade::Refused {
            status,
            headers,
            body,
        }) => {
            let dg_error = upgrade::header(&headers, "dg-error")
                .map(str::to_string)
                .or_else(|| {
                    Some(crate::error::snippet(&String::from_utf8_lossy(&body)))
                        .filter(|s| !s.is_empty())
                })
                .unwrap_or_else(|| "no dg-error header".to_string());
            let request_id = upgrade::header(&headers, "dg-request-id");
            tracing::warn!(status, request_id = request_id.unwrap_or("-"), %dg_error, "deepgram refused the connection");
            Err(handshake_refusal(status, &dg_error))
        }
        Err(e) => Err(ConnectError {
            error: Error::Transport(e.message),
            is_final: e.is_final,
        }),
    }
}

/// Maps a refused upgrade to an error: 401/403 and other 4xx (except 408/429) will repeat.
pub(crate) fn handshake_refusal(status: u16, dg_error: &str) -> ConnectError {
    let (error, is_final) = match status {
        401 | 403 => (
            Error::auth(
                "deepgram",
                format!(
                    "deepgram refused the API key (HTTP {status}: {dg_error}); check DEEPGRAM_API_KEY"
                ),
            ),
            true,
        ),
        429 => (
            Error::RateLimited {
                message: format!("deepgram: too many concurrent streams (HTTP 429: {dg_error})"),
                retry_after: None,
            },
            false,
        ),
        408 | 500..=599 => (
            Error::Api {
                service: "deepgram",
                message: dg_error.to_string(),
                http_status: Some(status),
            },
            false,
        ),
        _ => (
            Error::Api {
                service: "deepgram",
                message: format!("{dg_error} (check the model, language and audio parameters)"),
                http_status: Some(status),
            },
            true,
        ),
    };
    ConnectError { error, is_final }
}

/// What a close frame from Deepgram means for the session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CloseMeaning {
    /// The audio cannot be decoded (`DATA-0000`): reconnecting and resending would fail again.
    Undecodable(String),
    /// Anything else (NET-0000/NET-0001 timeouts, server restarts, a clean close we did not ask
    /// for): reconnect.
    Retry(String),
}

pub(crate) fn close_meaning(code: u16, reason: &str, audio: &AudioFormat) -> CloseMeaning {
    let said = if reason.is_empty() {
        "no reason given"
    } else {
        reason
    };
    if reason.contains("DATA-0000") || code == 1008 || (code == 1002 && reason.contains("DATA")) {
        let format = match (audio.encoding(), audio.sample_rate()) {
            (Some(enc), Some(rate)) => format!("{enc} {rate} Hz, {} channel(s)", audio.channels()),
            _ => "containerised audio".to_string(),
        };
        return CloseMeaning::Undecodable(format!(
            "deepgram could not decode the audio (close {code}: {said}); the session is configured for {format}: check AudioFormat matches what the host sends"
        ));
    }
    CloseMeaning::Retry(format!("deepgram closed the socket (close {code}: {said})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DeepgramConfig {
        DeepgramConfig::new("k")
    }

    /// A refused URL is quoted without its `user:password@` part.
    #[test]
    fn url_errors_never_repeat_credentials() {
        let audio = AudioFormat::Linear16 {
            sample_rate: 16_000,
            channels: 2,
        };
        for url in ["http://u:CANARY@host/v1/listen", "ws://u:CANARY@"] {
            let cfg = DeepgramConfig {
                url: url.into(),
                ..cfg()
            };
            let err = listen_url(&cfg, &audio).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            assert!(!err.to_string().contains("CANARY"), "{err}");
        }
    }

    fn query(url: &Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn url_carries_every_parameter_for_raw_audio() {
        let mut c = cfg().with_url("ws://127.0.0.1:9/");
        c.language = Some("en-IN".into());
        c.keyterms = vec!["EMI".into(), "home loan".into()];
        c.diarize = true;
        let url = listen_url(
            &c,
            &AudioFormat::Mulaw {
                sample_rate: 8_000,
                channels: 2,
            },
        )
        .unwrap();
        assert_eq!(url.path(), "/v1/listen");
        let q = query(&url);
        for (k, v) in [
            ("model", "nova-3"),
            ("encoding", "mulaw"),
            ("sample_rate", "8000"),
            ("channels", "2"),
            ("multichannel", "true"),
            ("interim_results", "true"),
            ("punctuate", "true"),
            ("smart_format", "true"),
            ("endpointing", "300"),
            ("utterance_end_ms", "1000"),
            ("vad_events", "true"),
            ("diarize", "true"),
            ("language", "en-IN"),
            ("keyterm", "EMI"),
            ("keyterm", "home loan"),
        ] {
            assert!(
                q.contains(&(k.to_string(), v.to_string())),
                "missing {k}={v} in {url}"
            );
        }
        assert!(
            url.as_str().contains("keyterm=home+loan")
                || url.as_str().contains("keyterm=home%20loan")
        );
    }

    #[test]
    fn container_audio_omits_encoding_and_older_models_use_keywords() {
        let mut c = cfg().with_model("nova-2-phonecall");
        c.keyterms = vec!["EMI".into()];
        c.endpointing = Some(Endpointing::Disabled);
        let url = listen_url(&c, &AudioFormat::Container { channels: 1 }).unwrap();
        let q = query(&url);
        assert!(
            !q.iter()
                .any(|(k, _)| k == "encoding" || k == "sample_rate" || k == "multichannel")
        );
        assert!(q.contains(&("keywords".into(), "EMI".into())));
        assert!(q.contains(&("endpointing".into(), "false".into())));
        assert!(
            url.as_str()
                .starts_with("wss://api.deepgram.com/v1/listen?")
        );
    }

    #[test]
    fn url_is_not_doubled_and_must_be_websocket() {
        let c = cfg().with_url("ws://h:1/v1/listen");
        assert_eq!(
            listen_url(&c, &AudioFormat::default()).unwrap().path(),
            "/v1/listen"
        );
        let c = cfg().with_url("https://api.deepgram.com");
        assert!(listen_url(&c, &AudioFormat::default()).is_err());
    }

    #[test]
    fn handshake_refusals_are_classified() {
        let r = handshake_refusal(401, "Invalid credentials.");
        assert!(r.is_final);
        assert_eq!(r.error.code(), crate::ErrorCode::Auth);
        assert!(r.error.to_string().contains("Invalid credentials."));
        assert!(handshake_refusal(403, "x").is_final);
        let r = handshake_refusal(400, "Bad sample rate");
        assert!(r.is_final && r.error.to_string().contains("Bad sample rate"));
        assert!(!handshake_refusal(429, "x").is_final);
        assert!(!handshake_refusal(503, "x").is_final);
    }

    #[test]
    fn data_0000_is_final_and_net_timeouts_are_not() {
        let fmt = AudioFormat::default();
        assert!(
            matches!(close_meaning(1008, "DATA-0000", &fmt), CloseMeaning::Undecodable(m) if m.contains("linear16 16000 Hz"))
        );
        assert!(matches!(
            close_meaning(1011, "NET-0001", &fmt),
            CloseMeaning::Retry(_)
        ));
        assert!(matches!(
            close_meaning(1000, "", &fmt),
            CloseMeaning::Retry(_)
        ));
    }
}
