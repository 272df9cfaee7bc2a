//! Properties of the live-assist surface a host feeds its own input: Deepgram, suggestion and
//! post-call options and their presets, the whole `AssistConfig` as `LiveAssist::start` checks
//! it before connecting, the local redactor, audio formats and WAV headers, lead context. For
//! any input: no panic; a refusal is `invalid_input` naming the field, at most
//! [`MAX_ERROR_DISPLAY`] bytes, never showing a key; accepted values keep their documented
//! invariants.

mod proptest_support;

use std::time::Duration;

use helix_engage::ErrorCode;
use helix_engage::assist::{
    AssistConfig, AudioFormat, DeepgramConfig, DeepgramRedaction, Endpointing, LeadContext,
    LiveAssist, PostCallConfig, ReconnectPolicy, RedactionConfig, Redactor, Speaker,
    SuggestionConfig, Timing,
};
use proptest::prelude::*;
use proptest_support::*;

// ---------------------------------------------------------------------------------------------
// Strategies

fn redaction_kind() -> BoxedStrategy<DeepgramRedaction> {
    prop_oneof![
        Just(DeepgramRedaction::Pci),
        Just(DeepgramRedaction::Pii),
        Just(DeepgramRedaction::Phi),
        Just(DeepgramRedaction::Numbers),
        Just(DeepgramRedaction::AggressiveNumbers),
    ]
    .boxed()
}

fn language() -> BoxedStrategy<Option<String>> {
    prop::option::of(prop_oneof![
        Just("en".to_string()),
        Just("EN-in".to_string()),
        Just(" en-US ".to_string()),
        Just("multi".to_string()),
        Just("hi".to_string()),
        Just(String::new()),
        hostile_string(),
    ])
    .boxed()
}

/// Text that can never name a `ws:` or `wss:` URL (the URL parser drops tabs and newlines,
/// so they are dropped before looking): a start with it needs no network.
fn not_a_ws_url() -> BoxedStrategy<String> {
    prop_oneof![
        Just("http://127.0.0.1:1".to_string()),
        Just("ftp://deepgram".to_string()),
        Just(format!("https://user:{CANARY}@deepgram")),
        Just(String::new()),
        Just("not a url".to_string()),
        hostile_string(),
    ]
    .prop_filter("never a ws/wss URL", |s| {
        let squashed: String = s
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let lower = squashed.to_ascii_lowercase();
        !lower.contains("ws:") && !lower.contains("wss:")
    })
    .boxed()
}

/// A Deepgram config from either preset, every field then set to anything.
fn deepgram() -> BoxedStrategy<DeepgramConfig> {
    (
        (api_key(), any::<bool>(), prop::option::of(hostile_string())),
        (
            prop::option::of(prop_oneof![
                count_u32().prop_map(Endpointing::Ms),
                Just(Endpointing::Disabled)
            ]),
            prop::option::of(count_u32()),
            any::<bool>(),
            language(),
        ),
        (
            prop::collection::vec(redaction_kind(), 0..4),
            prop::collection::vec(
                (
                    prop_oneof![Just("redact".to_string()), Just(" redact ".to_string()), hostile_string()],
                    hostile_string()
                ),
                0..3
            ),
            prop::collection::vec(hostile_string(), 0..3),
            prop_oneof![
                4 => Just(Vec::new()),
                1 => prop::collection::vec(any::<u8>(), 1..64),
                1 => Just(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec()),
            ],
        ),
    )
        .prop_map(|((key, multilingual, model), (endpointing, utterance, interim, language), (redact, extra, keyterms, pem))| {
            let mut dg = if multilingual {
                DeepgramConfig::indian_multilingual(key)
            } else {
                DeepgramConfig::new(key)
            };
            if let Some(m) = model {
                dg = dg.with_model(m);
            }
            dg = dg.with_url("http://127.0.0.1:1");
            dg.endpointing = endpointing;
            dg.utterance_end_ms = utterance;
            dg.interim_results = interim;
            dg.language = language;
            dg.redact = redact;
            dg.extra_params = extra;
            dg.keyterms = keyterms;
            dg.extra_root_certificates = pem;
            dg
        })
    .boxed()
}

/// An API key: 1 to 1024 visible ASCII characters.
fn key_ok(key: &str) -> bool {
    !key.is_empty() && key.len() <= 1024 && key.chars().all(|c| c.is_ascii_graphic())
}

/// A configuration word (a model, a language tag): 1 to `max` visible ASCII characters.
fn word_ok(word: &str, max: usize) -> bool {
    !word.is_empty() && word.len() <= max && word.bytes().all(|b| b.is_ascii_graphic())
}

/// Which Deepgram fields the docs say are bad (needles as the errors word them); `None`
/// when the model cannot tell (the certificate bytes).
fn deepgram_bad(dg: &DeepgramConfig) -> Option<Vec<&'static str>> {
    use secrecy::ExposeSecret;
    let mut bad = Vec::new();
    let key = dg.api_key.expose_secret();
    if !key_ok(key) {
        bad.push("deepgram api_key");
    }
    if !word_ok(&dg.model, 128) {
        bad.push("deepgram model");
    }
    // A language tag is a short word; with the keyterms and extra parameters it is the listen
    // URL's query, at most 8 KiB (both are worded "deepgram language …").
    let query = dg.language.as_deref().map_or(0, str::len)
        + dg.keyterms.iter().map(|t| t.len() + 9).sum::<usize>()
        + dg.extra_params
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>();
    if dg.language.as_deref().is_some_and(|l| !word_ok(l, 35)) || query > 8 * 1024 {
        bad.push("deepgram language");
    }
    if dg.utterance_end_ms.is_some() && !dg.interim_results {
        bad.push("utterance_end_ms");
    }
    if matches!(dg.endpointing, Some(Endpointing::Ms(ms)) if ms > 60_000) {
        bad.push("deepgram endpointing");
    }
    if dg
        .utterance_end_ms
        .is_some_and(|ms| !(1..=60_000).contains(&ms))
    {
        bad.push("deepgram utterance_end_ms");
    }
    let english = dg
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .is_none_or(|l| {
            let l = l.to_ascii_lowercase();
            l == "en" || l.starts_with("en-")
        });
    let entity = dg.redact.iter().any(|r| {
        matches!(
            r,
            DeepgramRedaction::Pci | DeepgramRedaction::Pii | DeepgramRedaction::Phi
        )
    });
    if entity && !english {
        bad.push("deepgram redact");
    }
    if !dg.redact.is_empty() && dg.extra_params.iter().any(|(k, _)| k.trim() == "redact") {
        bad.push("extra_params");
    }
    if dg.extra_root_certificates.is_empty() {
        Some(bad)
    } else {
        bad.push("extra_root_certificates");
        if bad.len() == 1 { None } else { Some(bad) }
    }
}

fn suggestions() -> BoxedStrategy<SuggestionConfig> {
    (
        (
            api_key(),
            prop::option::of(hostile_string()),
            prop_oneof![
                Just("https://api.openai.com/v1".to_string()),
                Just("http://127.0.0.1:1/v1".to_string()),
                Just("ftp://llm".to_string()),
                Just(format!("https://u:{CANARY}@llm/v1")),
                hostile_string(),
            ],
        ),
        (duration(), duration(), duration(), duration(), duration()),
        (count_usize(), count_usize(), count_usize()),
        prop::option::of(prop_oneof![hostile_string(), Just("p".repeat(100_001))]),
        prop::option::of(post_call()),
    )
        .prop_map(
            |(
                (key, model, url),
                (interval, min_gap, timeout, b0, b1),
                (chars, lead, items),
                prompt,
                post,
            )| {
                let mut s = SuggestionConfig::new(key).with_base_url(url);
                if let Some(m) = model {
                    s = s.with_model(m);
                }
                s.interval = interval;
                s.min_gap = min_gap;
                s.timeout = timeout;
                s.backoff_initial = b0;
                s.backoff_max = b1;
                s.max_transcript_chars = chars;
                s.max_lead_chars = lead;
                s.max_items = items;
                s.system_prompt = prompt;
                if let Some(p) = post {
                    s = s.with_post_call(p);
                }
                s
            },
        )
        .boxed()
}

fn post_call() -> BoxedStrategy<PostCallConfig> {
    (
        duration(),
        prop_oneof![
            3 => prop::collection::vec(prop_oneof!["[A-Za-z ]{1,12}", hostile_string()], 0..6),
            1 => Just(vec!["Sale".to_string(); 2]),
            1 => Just((0..501).map(|i| format!("d{i}")).collect()),
            1 => Just(Vec::new()),
        ],
        count_usize(),
        prop::option::of(prop_oneof![hostile_string(), Just("p".repeat(100_001))]),
    )
        .prop_map(|(timeout, dispositions, chars, prompt)| {
            PostCallConfig {
                timeout,
                max_transcript_chars: chars,
                system_prompt: prompt,
                ..PostCallConfig::default()
            }
            .with_dispositions(dispositions)
        })
        .boxed()
}

fn suggestions_bad(s: &SuggestionConfig) -> Option<Vec<&'static str>> {
    use secrecy::ExposeSecret;
    let ms = |d: Duration| d.as_millis();
    let mut bad = Vec::new();
    let key = s.api_key.expose_secret();
    if !key_ok(key) {
        bad.push("openai api_key");
    }
    if !word_ok(&s.model, 128) {
        bad.push("suggestion model");
    }
    let url_known = s.base_url.starts_with("http://127") || s.base_url.starts_with("https://api");
    let url_bad = s.base_url.starts_with("ftp:");
    if url_bad {
        bad.push("suggestion base_url");
    }
    if !(1..=3_600_000).contains(&ms(s.interval)) {
        bad.push("suggestions.interval");
    }
    if ms(s.min_gap) > 3_600_000 {
        bad.push("suggestions.min_gap");
    }
    if !(1..=600_000).contains(&ms(s.timeout)) {
        bad.push("suggestions.timeout");
    }
    if ms(s.backoff_initial) > 3_600_000 {
        bad.push("suggestions.backoff_initial");
    }
    if ms(s.backoff_max) > 3_600_000 {
        bad.push("suggestions.backoff_max");
    }
    if !(1..=1_000_000).contains(&s.max_transcript_chars) {
        bad.push("suggestions.max_transcript_chars");
    }
    if s.max_lead_chars > 1_000_000 {
        bad.push("suggestions.max_lead_chars");
    }
    if !(1..=100).contains(&s.max_items) {
        bad.push("suggestions.max_items");
    }
    if s.system_prompt
        .as_ref()
        .is_some_and(|p| p.chars().count() > 100_000)
    {
        bad.push("suggestions.system_prompt");
    }
    if let Some(p) = &s.post_call {
        bad.extend(post_call_bad(p));
    }
    if url_known || url_bad || s.base_url.contains(CANARY) {
        Some(bad)
    } else {
        // A hostile URL: refused or not, the model cannot say.
        bad.push("suggestion base_url");
        if bad.len() == 1 { None } else { Some(bad) }
    }
}

fn post_call_bad(p: &PostCallConfig) -> Vec<&'static str> {
    let mut bad = Vec::new();
    if !(1..=120_000).contains(&p.timeout.as_millis()) {
        bad.push("post_call.timeout");
    }
    if !(1..=1_000_000).contains(&p.max_transcript_chars) {
        bad.push("post_call.max_transcript_chars");
    }
    if p.system_prompt
        .as_ref()
        .is_some_and(|s| s.chars().count() > 100_000)
    {
        bad.push("post_call.system_prompt");
    }
    if p.dispositions.len() > 500 {
        bad.push("post_call.dispositions");
    }
    for (i, d) in p.dispositions.iter().enumerate() {
        if d.trim().is_empty() || d.chars().count() > 200 || p.dispositions[..i].contains(d) {
            bad.push("post_call.dispositions[");
        }
    }
    bad
}

fn speakers() -> BoxedStrategy<Vec<Speaker>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(
            prop_oneof![
                Just(Speaker::Agent),
                Just(Speaker::Customer),
                any::<u32>().prop_map(Speaker::Other)
            ],
            1..70
        ),
        Just(vec![Speaker::Agent; 10_000]),
    ]
    .boxed()
}

fn audio() -> BoxedStrategy<AudioFormat> {
    let opt_rate = prop::option::of(prop_oneof![
        Just(0u32),
        Just(8_000),
        Just(48_000),
        Just(48_001),
        any::<u32>()
    ]);
    let opt_ch = || {
        prop::option::of(prop_oneof![
            Just(0u16),
            Just(1),
            Just(16),
            Just(17),
            any::<u16>()
        ])
    };
    prop_oneof![
        (opt_rate.clone(), opt_ch()).prop_map(|(r, c)| AudioFormat::linear16(r, c)),
        (opt_rate, opt_ch()).prop_map(|(r, c)| AudioFormat::mulaw(r, c)),
        opt_ch().prop_map(AudioFormat::container),
    ]
    .boxed()
}

fn audio_bad(a: &AudioFormat) -> Vec<&'static str> {
    let mut bad = Vec::new();
    if !(1..=16).contains(&a.channels()) {
        bad.push("audio channels");
    }
    if a.sample_rate()
        .is_some_and(|r| !(8_000..=48_000).contains(&r))
    {
        bad.push("audio sample_rate");
    }
    bad
}

/// A whole `AssistConfig`: every numeric knob at its edges and beyond.
fn assist_config() -> BoxedStrategy<AssistConfig> {
    (
        deepgram(),
        audio(),
        speakers(),
        prop::option::of(suggestions()),
        (duration(), duration(), duration(), duration(), duration()),
        (duration(), duration(), count_u32(), duration()),
        (count_usize(), count_usize(), duration(), real()),
        prop::collection::vec(hostile_string(), 0..3),
    )
        .prop_map(
            |(deepgram, audio, speakers, suggestions, t, r, (q, e, replay, speed), keywords)| {
                AssistConfig {
                    deepgram,
                    audio,
                    speakers,
                    suggestions,
                    lead: None,
                    timing: Timing {
                        keepalive_after: t.0,
                        watchdog: t.1,
                        send_timeout: t.2,
                        connect_timeout: t.3,
                        stop_wait: t.4,
                    },
                    reconnect: ReconnectPolicy {
                        initial_delay: r.0,
                        max_delay: r.1,
                        max_attempts: r.2,
                    },
                    audio_queue_chunks: q,
                    coalesce: r.3,
                    event_queue: e,
                    replay_buffer: replay,
                    replay_speed: speed,
                    redaction: RedactionConfig {
                        enabled: true,
                        keywords,
                    },
                }
            },
        )
        .boxed()
}

fn assist_bad(c: &AssistConfig) -> Option<Vec<&'static str>> {
    let ms = |d: Duration| d.as_millis();
    let mut bad = audio_bad(&c.audio);
    let mut known = true;
    match deepgram_bad(&c.deepgram) {
        Some(b) => bad.extend(b),
        None => {
            known = false;
            bad.push("extra_root_certificates");
        }
    }
    if c.speakers.is_empty() || c.speakers.len() > 64 {
        bad.push("speakers");
    }
    if !(1..=1_000_000).contains(&c.audio_queue_chunks) {
        bad.push("audio_queue_chunks");
    }
    if !(1..=1_000_000).contains(&c.event_queue) {
        bad.push("event_queue");
    }
    if !c.coalesce.is_zero() && !(20..=250).contains(&ms(c.coalesce)) {
        bad.push("coalesce");
    }
    if ms(c.replay_buffer) > 600_000 {
        bad.push("replay_buffer");
    }
    if !(c.replay_speed.is_finite() && (1.0..=1_000.0).contains(&c.replay_speed)) {
        bad.push("replay_speed");
    }
    let t = &c.timing;
    if !(1..=600_000).contains(&ms(t.keepalive_after)) {
        bad.push("timing.keepalive_after");
    }
    if !(1..=3_600_000).contains(&ms(t.watchdog)) {
        bad.push("timing.watchdog");
    }
    if !(1..=600_000).contains(&ms(t.send_timeout)) {
        bad.push("timing.send_timeout");
    }
    if !(1..=600_000).contains(&ms(t.connect_timeout)) {
        bad.push("timing.connect_timeout");
    }
    if ms(t.stop_wait) > 600_000 {
        bad.push("timing.stop_wait");
    }
    let r = &c.reconnect;
    if ms(r.initial_delay) > 600_000 {
        bad.push("reconnect.initial_delay");
    }
    if ms(r.max_delay) > 3_600_000 {
        bad.push("reconnect.max_delay");
    }
    if r.max_attempts > 10_000 {
        bad.push("reconnect.max_attempts");
    }
    if let Some(s) = &c.suggestions {
        match suggestions_bad(s) {
            Some(b) => bad.extend(b),
            None => {
                known = false;
                bad.push("suggestion base_url");
            }
        }
    }
    (known || bad.len() > 1).then_some(bad)
}

/// `validate`'s verdict against the model's: a refusal names one of the bad fields; an
/// acceptance had none.
#[track_caller]
fn check_verdict(result: helix_engage::Result<()>, bad: Option<Vec<&'static str>>) {
    match (result, bad) {
        (Ok(()), Some(bad)) => assert!(bad.is_empty(), "accepted with bad {bad:?}"),
        (Ok(()), None) => {}
        (Err(err), Some(bad)) => {
            assert!(!bad.is_empty(), "refused a valid config: {err}");
            assert_refused(&err, &bad);
        }
        (Err(err), None) => assert_refused(&err, &["extra_root_certificates", "base_url"]),
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

proptest! {
    #![proptest_config(config(SLOW_CASES))]

    /// `AssistConfig::validate` (what `LiveAssist::start` runs first, and what the bindings
    /// rely on) refuses exactly what the field docs refuse, naming a bad field, never the key.
    #[test]
    fn assist_configs_are_validated_field_by_field(mut c in assist_config()) {
        // Keep the Deepgram URL valid here: the URL has its own property below.
        c.deepgram.url = "ws://127.0.0.1:1".into();
        let bad = assist_bad(&c);
        check_verdict(c.validate(), bad);
        assert!(!format!("{c:?}").contains(CANARY), "Debug shows the key");
    }

    /// Presets and builders: both Deepgram presets keep their documented defaults, and any
    /// key, model or URL set through the builders is kept verbatim.
    #[test]
    fn deepgram_presets_and_builders(key in api_key(), model in hostile_string(), url in hostile_string()) {
        use secrecy::ExposeSecret;
        let dg = DeepgramConfig::new(key.clone()).with_model(model.clone()).with_url(url.clone());
        prop_assert_eq!(dg.api_key.expose_secret(), key.as_str());
        prop_assert_eq!(&dg.model, &model);
        prop_assert_eq!(&dg.url, &url);
        prop_assert_eq!(&dg.redact, &vec![DeepgramRedaction::Pci]);
        let multi = DeepgramConfig::indian_multilingual(key);
        prop_assert_eq!(multi.language.as_deref(), Some("multi"));
        prop_assert_eq!(multi.endpointing, Some(Endpointing::Ms(100)));
        prop_assert!(multi.redact.is_empty());
        prop_assert_eq!(multi.model.as_str(), "nova-3");
        assert!(!format!("{dg:?}{multi:?}").contains(CANARY));
    }

    /// A Deepgram URL that is not `ws(s)://` is refused by `validate` (naming `deepgram url`),
    /// and `LiveAssist::start` refuses it the same way before any connection.
    #[test]
    fn deepgram_urls_are_validated_before_connecting(url in not_a_ws_url(), key in "[!-~]{1,12}") {
        let config = AssistConfig {
            deepgram: DeepgramConfig::new(format!("{CANARY}{key}")).with_url(url),
            ..AssistConfig::default()
        };
        let err = config.validate().expect_err("a non-ws URL validated");
        assert_refused(&err, &["deepgram url"]);
        let started = runtime().block_on(LiveAssist::start(config));
        let Err(err) = started else { panic!("started with a non-ws URL") };
        assert_refused(&err, &["deepgram url"]);
    }

    /// `LiveAssist::start` refuses a config `validate` refuses, with the same error, before
    /// connecting anywhere.
    #[test]
    fn live_assist_start_refuses_what_validate_refuses(c in assist_config()) {
        if let Err(want) = c.validate() {
            let got = runtime().block_on(LiveAssist::start(c)).expect_err("started a bad config");
            prop_assert_eq!(got, want);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The local redactor

/// Words the redactor reacts to, private details, spoken digits, markers and filler, and now
/// and then anything at all.
fn transcript_text() -> BoxedStrategy<String> {
    let token = prop_oneof![
        6 => prop_oneof![
            Just("policy"), Just("insurance"), Just("member"), Just("id"), Just("UHID"), Just("MRN"),
            Just("claim"), Just("card"), Just("account"), Just("a/c"), Just("reference"), Just("IFSC"),
            Just("UPI"), Just("aadhaar"), Just("PAN"), Just("phone"), Just("mobile"), Just("whatsapp"),
            Just("OTP"), Just("CVV"), Just("number"), Just("no."), Just("is"), Just("hai"), Just("mera"),
            Just("my"), Just("the"), Just("ending"), Just("rupees"), Just("Rs"), Just("at"), Just("dot"),
            Just("gmail"), Just("com"), Just("at the rate"), Just("plus"), Just("double"), Just("triple"),
            Just("oh"), Just("one"), Just("two"), Just("four"), Just("seven"), Just("nine"), Just("ninety"),
            Just("forty"), Just("twelve"), Just("ek"), Just("do"), Just("teen"), Just("char"), Just("nau"),
            Just("4111 1111 1111 1111"), Just("2341 2341 2346"), Just("ABCPD1234E"), Just("9845123456"),
            Just("+91"), Just("asha.rao@gmail.com"), Just("[card]"), Just("[phone]"), Just(","),
            Just("."), Just("12/03/2025"), Just("10:30"), Just("IP"), Just("Bed"),
        ].prop_map(String::from),
        3 => "[0-9]{1,5}",
        1 => "[0-9]{1,4}[-.][0-9]{1,4}",
        1 => "[A-Z]{2}-[0-9]{4}-[A-Z]{2}",
        1 => prop::collection::vec(hostile_char(), 1..4).prop_map(String::from_iter),
    ];
    let sep = prop_oneof![6 => Just(" "), 1 => Just(", "), 1 => Just(". "), 1 => Just("  "), 1 => Just("\n")];
    prop::collection::vec((token, sep), 0..24)
        .prop_map(|parts| {
            parts
                .into_iter()
                .map(|(t, s)| format!("{t}{s}"))
                .collect::<String>()
        })
        .boxed()
}

fn redactor() -> Redactor {
    Redactor::new(&RedactionConfig {
        enabled: true,
        keywords: vec!["IP number".into(), "Bed".into()],
    })
    .expect("valid keywords")
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Redacting twice is redacting once (for the agent and for the LLM), and every kind
    /// reported left its marker in the text.
    #[test]
    fn redaction_is_idempotent_and_marks_what_it_reports(
        text in prop_oneof![4 => transcript_text(), 1 => hostile_string()],
        lead in prop::option::of(prop_oneof![Just("+91 98451 23456"), Just("9845000001"), Just("12")]),
    ) {
        let r = redactor().with_lead_phone(lead);
        let once = r.redact(&text);
        let twice = r.redact(&once.text);
        prop_assert_eq!(&twice.text, &once.text, "from {:?}", text);
        for kind in &once.kinds {
            let reported = once.kinds.iter().filter(|k| *k == kind).count();
            let shown = once.text.matches(kind.marker()).count();
            prop_assert!(shown >= reported, "{kind:?} reported {reported}×, shown {shown}× in {:?}", once.text);
        }
        let llm = r.for_llm(&text);
        prop_assert_eq!(r.for_llm(&llm), llm.clone(), "from {:?}", text);
        // Off: the text is the agent's as said.
        let off = Redactor::new(&RedactionConfig { enabled: false, keywords: vec![] }).unwrap();
        let same = off.redact(&text);
        prop_assert_eq!(same.text, text);
        prop_assert!(same.kinds.is_empty());
    }
}

proptest! {
    #![proptest_config(config(SLOW_CASES))]

    /// `Redactor::new` refuses more than 32 keywords, and a keyword empty or over 64
    /// characters, naming `redaction.keywords`; a plain word keyword is accepted and redacts
    /// a number after it.
    #[test]
    fn redactor_keywords_are_bounded(
        keywords in prop_oneof![
            prop::collection::vec(prop_oneof!["[A-Za-z]{1,10}", hostile_string()], 0..5),
            Just(vec!["kw".to_string(); 33]),
            Just(vec!["k".repeat(65)]),
        ],
    ) {
        let config = RedactionConfig { enabled: true, keywords: keywords.clone() };
        let too_many = keywords.len() > 32;
        let too_long = keywords.iter().any(|k| k.chars().count() > 64);
        let blank = keywords.iter().any(|k| k.split_whitespace().next().is_none());
        let plain = keywords.iter().all(|k| k.chars().all(|c| c.is_ascii_alphabetic()) && !k.is_empty() && k.len() <= 64);
        match Redactor::new(&config) {
            Ok(r) => {
                prop_assert!(!too_many && !too_long && !blank, "accepted {keywords:?}");
                if let Some(k) = keywords.first().filter(|_| plain) {
                    let out = r.redact(&format!("{k} 44712345"));
                    prop_assert!(!out.text.contains("44712345"), "{k}: {}", out.text);
                }
            }
            Err(err) => {
                prop_assert!(too_many || too_long || !plain, "refused {keywords:?}: {err}");
                assert_refused(&err, &["redaction.keywords"]);
            }
        }
    }

    /// `LeadContext::render` stays within its budget for any budget and never shows the
    /// phone.
    #[test]
    fn lead_context_renders_within_budget(
        name in prop::option::of(hostile_string()),
        status in prop::option::of(hostile_string()),
        history in prop::collection::vec(hostile_string(), 0..6),
        fields in prop::collection::vec((hostile_string(), hostile_string()), 0..4),
        notes in prop::option::of(hostile_string()),
        max in count_usize(),
    ) {
        let lead = LeadContext {
            name, phone: Some("PHONE-5ec2e7".into()), status, history, fields, notes,
        };
        let out = lead.render(max);
        prop_assert!(out.chars().count() <= max, "{} > {max}", out.chars().count());
        prop_assert!(!out.contains("PHONE-5ec2e7"));
    }
}

// ---------------------------------------------------------------------------------------------
// Audio formats and WAV headers

/// A RIFF/WAVE file with any fmt fields, optional odd chunks, and a data chunk whose length
/// may lie; or the same cut anywhere.
fn wav_bytes() -> BoxedStrategy<Vec<u8>> {
    (
        prop_oneof![Just(1u16), Just(7), Just(0xFFFE), any::<u16>()],
        any::<u16>(),
        any::<u32>(),
        prop_oneof![Just(8u16), Just(16), any::<u16>()],
        prop::collection::vec(any::<u8>(), 0..40),
        prop_oneof![Just(None), any::<u32>().prop_map(Some)],
        prop::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
        prop::option::of(any::<usize>()),
    )
        .prop_map(
            |(tag, channels, rate, bits, odd, fmt_len, data, data_first, cut)| {
                let mut b = b"RIFF\0\0\0\0WAVE".to_vec();
                b.extend_from_slice(b"LIST");
                b.extend_from_slice(&(odd.len() as u32).to_le_bytes());
                b.extend_from_slice(&odd);
                if odd.len() % 2 == 1 {
                    b.push(0);
                }
                let mut fmt = Vec::new();
                fmt.extend_from_slice(&tag.to_le_bytes());
                fmt.extend_from_slice(&channels.to_le_bytes());
                fmt.extend_from_slice(&rate.to_le_bytes());
                fmt.extend_from_slice(&[0; 6]);
                fmt.extend_from_slice(&bits.to_le_bytes());
                fmt.extend_from_slice(&[0; 8]);
                fmt.extend_from_slice(&bits.to_le_bytes()); // the sub-format tag of EXTENSIBLE
                fmt.extend_from_slice(&[0; 14]);
                let mut data_chunk = b"data".to_vec();
                data_chunk.extend_from_slice(&(data.len() as u32).to_le_bytes());
                data_chunk.extend_from_slice(&data);
                if data_first {
                    b.extend_from_slice(&data_chunk);
                }
                b.extend_from_slice(b"fmt ");
                b.extend_from_slice(&fmt_len.unwrap_or(fmt.len() as u32).to_le_bytes());
                b.extend_from_slice(&fmt);
                b.extend_from_slice(&data_chunk);
                if let Some(cut) = cut {
                    b.truncate(cut % (b.len() + 1));
                }
                b
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(config(CASES * 2))]

    /// Any bytes: a format that validates and a sample range inside the file, or an
    /// `invalid_input` naming the WAV file (or the audio field it holds).
    #[test]
    fn wav_headers_of_any_bytes(bytes in prop_oneof![wav_bytes(), prop::collection::vec(any::<u8>(), 0..128)]) {
        match AudioFormat::from_wav(&bytes) {
            Ok((format, range)) => {
                prop_assert!(range.start <= range.end && range.end <= bytes.len(), "{range:?}");
                prop_assert!(range.start >= 20);
                prop_assert!(audio_bad(&format).is_empty(), "{format:?}");
                prop_assert!(format.is_resumable());
                let config = AssistConfig { audio: format, deepgram: DeepgramConfig::new("k"), ..Default::default() };
                prop_assert!(config.validate().is_ok());
            }
            Err(err) => assert_refused(&err, &["WAV file", "audio"]),
        }
    }

    /// Byte ↔ seconds arithmetic for any format (valid or not) never panics; for a valid raw
    /// format it lands on whole frames and round-trips.
    #[test]
    fn audio_arithmetic_is_total(format in audio(), bytes in any::<u64>(), secs in real()) {
        let _ = format.seconds(bytes);
        let _ = format.bytes_at(secs);
        let _ = (format.encoding(), format.bytes_per_second(), format.is_resumable(), format.frame_bytes());
        if !audio_bad(&format).is_empty() {
            return Ok(());
        }
        let Some(frame) = format.frame_bytes() else {
            prop_assert!(format.bytes_per_second().is_none() && !format.is_resumable());
            return Ok(());
        };
        let at = format.bytes_at(secs).unwrap();
        prop_assert_eq!(at % frame, 0);
        if secs.is_nan() || secs <= 0.0 {
            prop_assert_eq!(at, 0);
        }
        let b = bytes % (1 << 40);
        let s = format.seconds(b).unwrap();
        prop_assert!(s.is_finite() && s >= 0.0);
        prop_assert_eq!(format.bytes_at(s).unwrap(), b - b % frame);
    }
}

/// The `invalid_input` code is what every refusal above carries; a sanity check that the
/// helper would catch another code.
#[test]
fn the_refusal_check_catches_other_codes() {
    let err = helix_engage::Error::Timeout("slow".into());
    assert_ne!(err.code(), ErrorCode::InvalidInput);
    assert!(std::panic::catch_unwind(|| assert_refused(&err, &["slow"])).is_err());
}

proptest! {
    #![proptest_config(config(CASES))]

    /// `Speaker` parses what it serialises (`agent`, `customer`, `speaker_N`) back to itself,
    /// and anything else is a bounded `invalid_input`.
    #[test]
    fn speakers_parse_what_they_serialise(
        text in prop_oneof![
            hostile_string(),
            any::<u32>().prop_map(|n| format!("speaker_{n}")),
            Just("speaker_4294967296".to_string()),
            Just("Agent".to_string()),
        ],
        n in any::<u32>(),
    ) {
        for s in [Speaker::Agent, Speaker::Customer, Speaker::Other(n)] {
            let wire = serde_json::to_value(s).unwrap();
            prop_assert_eq!(wire.as_str().unwrap().parse::<Speaker>().unwrap(), s);
        }
        match text.parse::<Speaker>() {
            Ok(s) => {
                let wire = serde_json::to_value(s).unwrap();
                prop_assert_eq!(wire.as_str().unwrap().parse::<Speaker>().unwrap(), s);
            }
            Err(err) => assert_refused(&err, &["is not 'agent'"]),
        }
    }
}
