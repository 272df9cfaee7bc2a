//! What the property suites share: hostile inputs, the one check of a refusal, and a server
//! that only counts connections (so "nothing was sent" is observed, not assumed).
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use helix_engage::{Error, ErrorCode};
use proptest::prelude::*;

/// The longest `Display` of any error a public constructor returns. Messages quote at most a
/// short prefix of the input (`error::quote`), so a 100 KB argument must not make a 100 KB
/// message; 1 KiB leaves room for the longest hand-written explanation.
pub const MAX_ERROR_DISPLAY: usize = 1024;

/// Planted in every API key and password the suites pass; no error may ever show it.
pub const CANARY: &str = "CANARY-5ec2e7-proptest";

/// Cases per property. Every property here is synchronous or talks only to loopback, so 256
/// keeps each suite well under the 20 s budget in a debug build; the CI seed is proptest's
/// own (random), so successive runs explore further.
pub const CASES: u32 = 256;

/// Fewer cases for the properties whose every case is costly: loopback connections, a whole
/// `AssistConfig`, renders of 100 KB fields.
pub const SLOW_CASES: u32 = 96;

/// A [`ProptestConfig`] with `cases`, no persistence of failures outside the repository's
/// regression files, and no fork (the `fork` feature is off).
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

/// `err` is the typed refusal of bad input: `invalid_input`, naming one of `fields`, short,
/// and free of the canary.
#[track_caller]
pub fn assert_refused(err: &Error, fields: &[&str]) {
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert_bounded(err);
    let text = err.to_string();
    assert!(
        fields.iter().any(|f| text.contains(f)),
        "the error names none of {fields:?}: {text}"
    );
}

/// Any error: short, and never carrying the canary (nor in its serialised form).
#[track_caller]
pub fn assert_bounded(err: &Error) {
    let text = err.to_string();
    assert!(
        text.len() <= MAX_ERROR_DISPLAY,
        "error Display is {} bytes: {}…",
        text.len(),
        text.chars().take(200).collect::<String>()
    );
    assert!(!text.contains(CANARY), "the error shows the canary: {text}");
    let json = serde_json::to_string(err).expect("errors serialise");
    assert!(!json.contains(CANARY), "{json}");
}

/// Characters that break naive code: NUL and other controls, bidi overrides, zero-width and
/// combining marks, non-characters, digits of other scripts, separators that look like spaces.
pub fn hostile_char() -> BoxedStrategy<char> {
    prop_oneof![
        Just('\0'),
        Just('\u{202E}'), // RIGHT-TO-LEFT OVERRIDE
        Just('\u{200F}'), // RIGHT-TO-LEFT MARK
        Just('\u{200B}'), // ZERO WIDTH SPACE
        Just('\u{FEFF}'), // BOM
        Just('\u{0301}'), // combining acute
        Just('\u{FFFF}'),
        Just('\u{10FFFF}'),
        Just('\u{A0}'),   // no-break space (Unicode whitespace)
        Just('\u{2028}'), // line separator
        Just('\u{3000}'), // ideographic space
        Just('\u{0663}'), // ARABIC-INDIC DIGIT THREE
        Just('\u{FF19}'), // FULLWIDTH DIGIT NINE
        Just('\u{0969}'), // DEVANAGARI DIGIT THREE
        Just('क'),
        Just('é'),
        Just('\n'),
        Just('\t'),
        Just('\r'),
        Just('\u{7F}'),
        Just(' '),
        Just('+'),
        Just('-'),
        Just('@'),
        Just(':'),
        Just('/'),
        Just('%'),
        Just('"'),
        Just('\\'),
        prop::char::range('0', '9'),
        any::<char>(),
    ]
    .boxed()
}

/// Text as a host might pass it, from plausible to hostile: any Unicode, hostile characters,
/// digits mixed with spaces, dashes and `+`, blank text, and 100 KB strings.
pub fn hostile_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any::<String>(),
        3 => prop::collection::vec(hostile_char(), 0..24).prop_map(String::from_iter),
        2 => "[0-9 +().-]{0,20}",
        2 => "[a-zA-Z0-9_.-]{1,16}",
        1 => prop_oneof![Just(String::new()), Just("   ".to_string()), Just("\t\n".to_string())],
        1 => huge_string(),
    ]
    .boxed()
}

/// About 100 KB of one character (ASCII, multibyte, a digit or a control).
pub fn huge_string() -> BoxedStrategy<String> {
    prop_oneof![
        Just('a'),
        Just('9'),
        Just('क'),
        Just('\0'),
        Just('\u{202E}')
    ]
    .prop_map(|c| c.to_string().repeat(100_000 / c.len_utf8()))
    .boxed()
}

/// A visible-ASCII key with the canary in it, or a broken one (blank, spaces, controls,
/// non-ASCII, 100 KB) that still carries the canary.
pub fn api_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[!-~]{0,12}".prop_map(|s| format!("{CANARY}{s}")),
        2 => (hostile_string(), hostile_string()).prop_map(|(a, b)| format!("{a}{CANARY}{b}")),
        1 => Just(format!("{CANARY}{}", "k".repeat(100_000))),
    ]
    .boxed()
}

/// Durations at and around every range edge the crate documents, and the extremes.
pub fn duration() -> BoxedStrategy<Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(Duration::from_millis(1)),
        Just(Duration::MAX),
        Just(Duration::from_secs(u64::MAX)),
        (0u64..5_000_000).prop_map(Duration::from_millis),
        (0u64..100_000).prop_map(Duration::from_secs),
        any::<u64>().prop_map(Duration::from_millis),
        any::<u64>().prop_map(Duration::from_nanos),
    ]
    .boxed()
}

/// Reals including NaN, the infinities, negative zero and subnormals.
pub fn real() -> BoxedStrategy<f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE / 2.0),
        Just(f64::MAX),
        -10.0f64..2_000.0,
        any::<f64>(),
    ]
    .boxed()
}

/// u32s at the edges and anywhere.
pub fn count_u32() -> BoxedStrategy<u32> {
    prop_oneof![Just(0), Just(1), Just(u32::MAX), 0u32..2_000, any::<u32>()].boxed()
}

/// usizes at the edges and anywhere.
pub fn count_usize() -> BoxedStrategy<usize> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(usize::MAX),
        0usize..2_000_000,
        any::<usize>()
    ]
    .boxed()
}

/// A loopback server that accepts connections, counts them and closes them at once: a request
/// that reaches it fails with a transport error, and [`Sink::hits`] says whether one did.
pub struct Sink {
    pub url: String,
    hits: Arc<AtomicUsize>,
}

impl Sink {
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                // Counted before it is closed: the client sees the close only afterwards.
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Sink { url, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// One current-thread runtime per test binary, for the properties that call async code.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
