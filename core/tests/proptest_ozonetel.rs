//! Properties of the Ozonetel surface a host feeds its own input: the client builder, agent
//! refs, phone numbers, UCIDs, local dates, call actions, webhook events, the sidecar
//! registry, CDR and missed-call queries, and the agent-desk calls. For any input: no panic;
//! a refusal is `invalid_input` naming the field, at most [`MAX_ERROR_DISPLAY`] bytes, never
//! showing a key or password; nothing is sent for it (a loopback [`Sink`] counts
//! connections); what is accepted keeps the documented shape.

mod proptest_support;

use std::time::Duration;

use chrono::{Days, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use futures::StreamExt;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{
    AbandonedCallsQuery, Agent, AgentRef, AuthMode, CallAction, CallRecordsQuery, Client,
    DialOptions, Disposition, Event, EventTime, EventUrls, ForwardPolicy, MAX_ROUTING_ID_CHARS,
    MAX_SIDECAR_AGENTS, MemoryAccountStore, MemorySidecarStore, PhoneDialOptions, Region,
    RetryPolicy, SidecarRegistry, TransferMode, WatchOptions, hms_duration, normalize_phone,
    parse_local_date, parse_local_date_time,
};
use proptest::prelude::*;
use proptest_support::*;
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------------
// Models: what the documentation promises, written independently of the code under test.

/// An id, phone name, campaign, disposition code or pause reason: trimmed, 1..=128
/// characters, no control characters.
fn identifier_ok(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty()
        && t.chars().count() <= 128
        && !t.chars().any(char::is_control)
        && !t.chars().any(is_bidi_control)
}

/// The invisible characters that reorder text around them (U+202E…): refused in identifiers.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Free text (uui, comments): trimmed, at most 1000 characters, controls only `\n` and `\t`.
fn free_text_ok(v: &str) -> bool {
    let t = v.trim();
    t.chars().count() <= 1000 && !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// A UCID: trimmed, 1..=32 ASCII digits.
fn ucid_ok(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty() && t.len() <= 32 && t.bytes().all(|b| b.is_ascii_digit())
}

/// A routing id: 1..=128 characters, no control characters, no surrounding whitespace.
fn routing_id_ok(v: &str) -> bool {
    !v.is_empty()
        && v.chars().count() <= MAX_ROUTING_ID_CHARS
        && !v.chars().any(char::is_control)
        && v.trim() == v
}

/// A visible-ASCII key.
fn key_ok(v: &str) -> bool {
    !v.is_empty() && v.len() <= 1024 && v.chars().all(|c| c.is_ascii_graphic())
}

/// The account-local "now" of an IST account.
fn ist_now() -> NaiveDateTime {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(19_800).unwrap())
        .naive_local()
}

// ---------------------------------------------------------------------------------------------
// The wire-facing fixture: a client of its own account on a counting sink.

struct Desk {
    rt: tokio::runtime::Runtime,
    sink: Sink,
    client: Client,
    agent: Agent,
}

impl Desk {
    fn new(account: &str) -> Desk {
        let rt = runtime();
        let sink = Sink::start();
        let client = rt.block_on(async {
            Client::builder()
                .user_name(account)
                .api_key(CANARY)
                .base_url(&sink.url)
                .events_base_url(&sink.url)
                // Basic auth: no token calls, so every valid request is the one sent.
                .auth_mode(AuthMode::Basic)
                .retry_policy(RetryPolicy::none())
                .timeout(Duration::from_secs(5))
                // Paced CDR requests must not wait 30 s between cases.
                .cdr_rate_limit(1_000, Duration::from_millis(1))
                .build()
                .expect("the fixture client builds")
        });
        let agent = client
            .agent(
                AgentRef::new("asha")
                    .with_phone_name("523590")
                    .with_number("9876500000")
                    .with_campaign("Outbound_918041763265")
                    .with_did("918041763265"),
            )
            .expect("the fixture agent");
        Desk {
            rt,
            sink,
            client,
            agent,
        }
    }

    /// Runs `call` and checks it against the model: with `bad` fields (their names, as the
    /// error may word them) it is refused naming one and nothing is sent; with none it is
    /// sent (the sink closes it: a transport error, or `Ok` for a call that needed no
    /// request), never refused as bad input.
    #[track_caller]
    fn check<T: std::fmt::Debug>(
        &self,
        bad: &[&str],
        call: impl std::future::Future<Output = helix_engage::Result<T>>,
    ) {
        let before = self.sink.hits();
        let result = self.rt.block_on(call);
        if bad.is_empty() {
            if let Err(err) = &result {
                assert_ne!(err.code(), ErrorCode::InvalidInput, "refused: {err}");
                assert_bounded(err);
                assert!(self.sink.hits() > before, "nothing was sent: {err}");
            }
        } else {
            let err = result.expect_err("bad input was accepted");
            assert_refused(&err, bad);
            assert_eq!(self.sink.hits(), before, "bad input was sent: {err}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ClientBuilder

/// A base URL and what the docs say of it: valid, invalid, or not for the model to say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Url {
    Valid,
    Invalid,
    Unknown,
}

fn base_url() -> BoxedStrategy<(Option<String>, Url)> {
    prop_oneof![
        Just((None, Url::Valid)),
        Just((Some("http://127.0.0.1:9".into()), Url::Valid)),
        Just((Some("in1-ccaas-api.ozonetel.com".into()), Url::Valid)),
        Just((Some(" HTTPS://Example.COM/base/ ".into()), Url::Valid)),
        Just((Some(format!("http://user:{CANARY}@host")), Url::Invalid)),
        Just((Some(format!("user:{CANARY}@host")), Url::Invalid)),
        Just((Some(format!("{CANARY}@host/x")), Url::Invalid)),
        Just((Some("ftp://host".into()), Url::Invalid)),
        Just((Some("http://".into()), Url::Invalid)),
        Just((Some("https://host?q=1".into()), Url::Invalid)),
        hostile_string().prop_map(|s| (Some(s), Url::Unknown)),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Every setter with any value, then `build`: the first bad field by the documented
    /// ranges is the one named; the key never shows; a built client keeps the trimmed name.
    #[test]
    fn client_builder_refuses_what_its_docs_refuse(
        user in prop::option::of(hostile_string()),
        key in prop::option::of(api_key()),
        (base, base_kind) in base_url(),
        (events, events_kind) in base_url(),
        auth_basic in any::<bool>(),
        international in any::<bool>(),
        timeout in prop::option::of(duration()),
        overall in prop::option::of(duration()),
        cdr in prop::option::of((count_u32(), duration())),
        retry in prop::option::of((count_u32(), duration(), duration(), duration())),
        offset_secs in prop::option::of(-86_399i32..86_400),
        own_store in any::<bool>(),
    ) {
        let mut b = Client::builder()
            .auth_mode(if auth_basic { AuthMode::Basic } else { AuthMode::Token })
            .region(if international { Region::International } else { Region::India });
        if let Some(u) = &user { b = b.user_name(u.clone()); }
        if let Some(k) = &key { b = b.api_key(k.clone()); }
        if let Some(u) = &base { b = b.base_url(u.clone()); }
        if let Some(u) = &events { b = b.events_base_url(u.clone()); }
        if let Some(t) = timeout { b = b.timeout(t); }
        if let Some(t) = overall { b = b.overall_timeout(t); }
        if let Some((n, per)) = cdr { b = b.cdr_rate_limit(n, per); }
        if let Some((max_attempts, base_delay, max_delay, max_retry_after)) = retry {
            b = b.retry_policy(RetryPolicy { max_attempts, base_delay, max_delay, max_retry_after });
        }
        if let Some(s) = offset_secs { b = b.utc_offset(FixedOffset::east_opt(s).unwrap()); }
        if own_store { b = b.account_store(MemoryAccountStore::new()); }
        // The Debug form is for logs: never the key.
        assert!(!format!("{b:?}").contains(CANARY));

        let ms = |d: Duration| d.as_millis();
        let t = timeout.unwrap_or(Duration::from_secs(10));
        // In build order: (field needle, Some(ok) or None when the model cannot tell).
        let mut checks: Vec<(&str, Option<bool>)> = vec![
            ("user_name", Some(user.as_deref().is_some_and(|u| u.len() <= 256 && identifier_ok(u)))),
            ("api_key", Some(key.as_deref().is_some_and(|k| !k.trim().is_empty() && key_ok(k)))),
            ("base_url", match base_kind { Url::Valid => Some(true), Url::Invalid => Some(false), Url::Unknown => None }),
            ("events_base_url", match events_kind { Url::Valid => Some(true), Url::Invalid => Some(false), Url::Unknown => None }),
            ("timeout", Some((1..=600_000).contains(&ms(t)))),
        ];
        // The default overall timeout is 1.5 × timeout, only computed for a timeout in range.
        let overall_ms = overall.map(ms).unwrap_or(ms(t) * 3 / 2);
        checks.push(("overall_timeout", Some((1..=3_600_000).contains(&overall_ms))));
        if let Some((n, per)) = cdr {
            checks.push(("cdr_rate_limit requests", Some((1..=1_000).contains(&n))));
            checks.push(("cdr_rate_limit per", Some((1..=86_400_000).contains(&ms(per)))));
        }
        if let Some((n, base_delay, max_delay, max_retry_after)) = retry {
            checks.push(("retry.max_attempts", Some((1..=10).contains(&n))));
            checks.push(("retry.base_delay", Some(ms(base_delay) <= 60_000)));
            checks.push(("retry.max_delay", Some(ms(max_delay) <= 600_000)));
            checks.push(("retry.max_retry_after", Some(ms(max_retry_after) <= 3_600_000)));
        }
        match b.build() {
            Ok(client) => {
                for (field, ok) in &checks {
                    prop_assert!(ok.unwrap_or(true), "{field} was accepted");
                }
                prop_assert_eq!(client.user_name(), user.as_deref().unwrap().trim());
                assert!(!format!("{client:?}").contains(CANARY));
                prop_assert!(client.base_url().starts_with("http"));
            }
            Err(err) => {
                // The first field the model knows is bad; any unknown URL before it may be it.
                let mut named: Vec<&str> = Vec::new();
                for (field, ok) in &checks {
                    match ok {
                        Some(true) => {}
                        Some(false) => { named.push(field); break; }
                        None => named.push(field),
                    }
                }
                prop_assert!(!named.is_empty(), "refused a valid builder: {}", err);
                // A URL's refusal says "base_url" (events_base_url: prefixed by its name).
                assert_refused(&err, &named);
            }
        }
    }

    /// `Client::agent`: every field checked, nothing defaulted; an accepted agent holds the
    /// trimmed fields and the normalised number.
    #[test]
    fn agent_refs_are_checked_field_by_field(
        id in hostile_string(),
        phone_name in prop::option::of(hostile_string()),
        number in prop::option::of(hostile_string()),
        campaign in prop::option::of(hostile_string()),
        did in prop::option::of(hostile_string()),
    ) {
        static CLIENT: std::sync::LazyLock<Client> = std::sync::LazyLock::new(|| {
            Client::builder().user_name("proptest-agents").api_key("k").build().unwrap()
        });
        let client = &*CLIENT;
        let mut r = AgentRef::new(id.clone());
        if let Some(v) = &phone_name { r = r.with_phone_name(v.clone()); }
        if let Some(v) = &number { r = r.with_number(v.clone()); }
        if let Some(v) = &campaign { r = r.with_campaign(v.clone()); }
        if let Some(v) = &did { r = r.with_did(v.clone()); }
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        let opt_ok = |v: &Option<String>| blank(v) || identifier_ok(v.as_deref().unwrap());
        let did_ok = blank(&did) || {
            let t = did.as_deref().unwrap().trim();
            let digits = t.strip_prefix('+').unwrap_or(t);
            identifier_ok(t) && (3..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        };
        let number_ok = blank(&number) || normalize_phone(number.as_deref().unwrap(), Region::India).is_ok();
        let mut bad = Vec::new();
        if !identifier_ok(&id) { bad.push("agent id"); }
        if !opt_ok(&phone_name) { bad.push("agent phone_name"); }
        if !number_ok { bad.push("agent number"); }
        if !opt_ok(&campaign) { bad.push("agent campaign"); }
        if !did_ok { bad.push("agent did"); }
        match client.agent(r) {
            Ok(agent) => {
                prop_assert!(bad.is_empty(), "accepted with bad {:?}", bad);
                prop_assert_eq!(agent.id(), id.trim());
                let trimmed = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
                prop_assert_eq!(agent.phone_name().map(str::to_string), trimmed(&phone_name));
                prop_assert_eq!(agent.campaign().map(str::to_string), trimmed(&campaign));
                prop_assert_eq!(agent.did().map(str::to_string), trimmed(&did));
                let want = trimmed(&number).map(|n| normalize_phone(&n, Region::India).unwrap());
                prop_assert_eq!(agent.number().map(str::to_string), want);
            }
            Err(err) => {
                prop_assert!(!bad.is_empty(), "refused a valid agent: {}", err);
                assert_refused(&err, &bad);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

/// Ten subscriber digits (first 6–9 or any non-zero) written the ways agents write them.
fn indian_spelling() -> BoxedStrategy<(String, String)> {
    (
        "[1-9][0-9]{9}",
        prop_oneof![
            Just(""),
            Just("0"),
            Just("91"),
            Just("+91"),
            Just("0091"),
            Just("+91 ")
        ],
        prop::collection::vec(
            prop_oneof![
                Just(""),
                Just(" "),
                Just("-"),
                Just("."),
                Just("("),
                Just(")")
            ],
            11,
        ),
        prop_oneof![Just(""), Just(" "), Just("\t"), Just("\u{A0}")],
    )
        .prop_map(|(digits, prefix, seps, pad)| {
            let mut s = format!("{pad}{prefix}");
            for (d, sep) in digits.chars().zip(&seps) {
                s.push(d);
                s.push_str(sep);
            }
            s.push_str(pad);
            (s, format!("0{digits}"))
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Normalising twice is normalising once; a result has the region's shape and keeps the
    /// input's digits; anything else than digits, separators and one leading `+` is refused.
    #[test]
    fn phone_normalisation_is_idempotent_and_shaped(input in hostile_string(), intl in any::<bool>()) {
        let region = if intl { Region::International } else { Region::India };
        match normalize_phone(&input, region) {
            Ok(n) => {
                prop_assert_eq!(normalize_phone(&n, region).unwrap(), n.clone());
                let digits: String = input.chars().filter(char::is_ascii_digit).collect();
                if intl {
                    prop_assert!(n.starts_with('+'), "{n}");
                    let e164 = &n[1..];
                    prop_assert!((8..=15).contains(&e164.len()) && !e164.starts_with('0'), "{n}");
                    prop_assert!(e164.bytes().all(|b| b.is_ascii_digit()), "{n}");
                    prop_assert!(digits.ends_with(e164), "{n} from {input:?}");
                } else {
                    prop_assert_eq!(n.len(), 11, "{}", n);
                    prop_assert!(n.starts_with('0') && !n[1..].starts_with('0'), "{n}");
                    prop_assert!(n.bytes().all(|b| b.is_ascii_digit()), "{n}");
                    prop_assert!(digits.ends_with(&n[1..]), "{n} from {input:?}");
                }
                let rest = input.trim();
                let rest = rest.strip_prefix('+').unwrap_or(rest);
                prop_assert!(rest.chars().all(|c| c.is_ascii_digit() || " -.()".contains(c)), "{input:?}");
            }
            Err(err) => assert_refused(&err, &["phone number"]),
        }
    }

    /// Every usual spelling of an Indian number is the one `0` + 10 digits form.
    #[test]
    fn indian_spellings_all_normalise_to_one_form((input, want) in indian_spelling()) {
        prop_assert_eq!(normalize_phone(&input, Region::India).unwrap(), want);
    }
}

// ---------------------------------------------------------------------------------------------
// Local dates

/// Date-time-like text: numbers anywhere near the valid ranges, either separator, padding,
/// and the occasional stray character.
fn date_time_text() -> BoxedStrategy<String> {
    (
        prop_oneof![
            -1i64..10_001,
            1_900i64..2_100,
            Just(i64::from(i32::MAX)),
            Just(262_143),
            Just(-262_144)
        ],
        0u32..14,
        0u32..33,
        0u32..26,
        0u32..62,
        0u32..62,
        prop_oneof![Just(" "), Just("T"), Just("t"), Just("  "), Just("_")],
        prop_oneof![
            Just(""),
            Just(" "),
            Just("\t"),
            Just(".5"),
            Just("Z"),
            Just("+05:30")
        ],
        any::<bool>(),
    )
        .prop_map(|(y, mo, d, h, mi, s, sep, tail, pad)| {
            let p = if pad { " " } else { "" };
            format!("{p}{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{tail}{p}")
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(CASES))]

    /// What parses prints back (in the wire form and the `T` form) and parses to the same
    /// value; what does not is refused naming the argument.
    #[test]
    fn local_date_times_round_trip(text in prop_oneof![date_time_text(), hostile_string()]) {
        match parse_local_date_time(&text, "from") {
            Ok(at) => {
                let printed = at.format("%Y-%m-%d %H:%M:%S").to_string();
                prop_assert_eq!(parse_local_date_time(&printed, "from").unwrap(), at);
                let iso = at.format("%Y-%m-%dT%H:%M:%S").to_string();
                prop_assert_eq!(parse_local_date_time(&iso, "from").unwrap(), at);
            }
            Err(err) => assert_refused(&err, &["from is"]),
        }
    }

    /// The same for calendar dates.
    #[test]
    fn local_dates_round_trip(
        text in prop_oneof![
            (prop_oneof![-1i64..10_001, Just(262_143), Just(-262_144)], 0u32..14, 0u32..33, any::<bool>())
                .prop_map(|(y, m, d, pad)| if pad { format!(" {y:04}-{m:02}-{d:02}\n") } else { format!("{y:04}-{m:02}-{d:02}") }),
            hostile_string(),
        ]
    ) {
        match parse_local_date(&text, "date") {
            Ok(day) => {
                let printed = day.format("%Y-%m-%d").to_string();
                prop_assert_eq!(parse_local_date(&printed, "date").unwrap(), day);
            }
            Err(err) => assert_refused(&err, &["date is"]),
        }
    }

    /// Call actions: the six wire names (any case, `KICK`/`DROP`), nothing else; `as_str`
    /// parses back to the same action.
    #[test]
    fn call_actions_parse_their_wire_names(name in prop_oneof![
        hostile_string(),
        prop_oneof![Just("hold"), Just(" UNHOLD "), Just("Mute"), Just("unmute"), Just("conference"), Just("kick_call"), Just("kickcall"), Just("Kick"), Just("DROP")].prop_map(String::from),
    ]) {
        const NAMES: &[&str] = &["CONFERENCE", "HOLD", "UNHOLD", "MUTE", "UNMUTE", "KICK_CALL", "KICKCALL", "KICK", "DROP"];
        let known = NAMES.contains(&name.trim().to_ascii_uppercase().as_str());
        match CallAction::parse(&name) {
            Ok(action) => {
                prop_assert!(known, "{name:?} parsed");
                prop_assert_eq!(CallAction::parse(action.as_str()).unwrap(), action);
                prop_assert_eq!(action.requires_number(), matches!(action, CallAction::Conference | CallAction::KickCall));
            }
            Err(err) => {
                prop_assert!(!known, "{name:?} refused");
                assert_refused(&err, &["unknown call action"]);
            }
        }
    }

    /// `hms_duration` reads `H:MM:SS` exactly and anything else as `None`, never panicking.
    #[test]
    fn hms_durations_read_or_decline(
        text in prop_oneof![
            hostile_string(),
            (any::<u64>(), 0u64..70, 0u64..70).prop_map(|(h, m, s)| format!("{h}:{m:02}:{s:02}")),
            (0u64..100, 0u64..60, 0u64..60).prop_map(|(h, m, s)| format!(" {h:02}:{m:02}:{s:02} ")),
        ]
    ) {
        if let Some(d) = hms_duration(&text) {
            let parts: Vec<u64> = text.trim().split(':').map(|p| p.parse().unwrap()).collect();
            prop_assert_eq!(parts.len(), 3);
            prop_assert!(parts[1] < 60 && parts[2] < 60);
            prop_assert_eq!(d.as_secs(), parts[0] * 3600 + parts[1] * 60 + parts[2]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook events

/// A JSON scalar or small structure, including numbers past 2^53 and past u64.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An event-like JSON object: the keys Ozonetel uses in either spelling, with any values.
fn event_object() -> BoxedStrategy<Map<String, Value>> {
    let key = prop_oneof![
        Just("eventType"),
        Just("event_type"),
        Just("eventTime"),
        Just("event_time"),
        Just("ucid"),
        Just("UCID"),
        Just("monitor_ucid"),
        Just("agent_id"),
        Just("agentId"),
        Just("action"),
        Just("caller_id"),
        Just("did"),
        Just("username"),
        Just("state"),
    ]
    .prop_map(String::from);
    let event_type = prop_oneof![
        Just(json!("Call")),
        Just(json!("AGENT")),
        Just(json!("call")),
        Just(json!("")),
        json_value(),
    ];
    (
        prop::option::of(event_type),
        prop::collection::vec((prop_oneof![key, "[a-zA-Z]{1,6}"], json_value()), 0..8),
    )
        .prop_map(|(t, pairs)| {
            let mut m: Map<String, Value> = pairs.into_iter().collect();
            if let Some(t) = t {
                m.insert("eventType".into(), t);
            }
            m
        })
        .boxed()
}

fn content_type() -> BoxedStrategy<String> {
    prop_oneof![
        Just("application/json".to_string()),
        Just("Application/JSON; charset=utf-8".to_string()),
        Just("application/x-www-form-urlencoded".to_string()),
        Just("text/plain".to_string()),
        Just(String::new()),
        hostile_string(),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Any body under any content type: an event or a bounded `invalid_input`.
    #[test]
    fn events_parse_any_body(
        ct in content_type(),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            hostile_string().prop_map(String::into_bytes),
            event_object().prop_map(|m| serde_json::to_vec(&m).unwrap()),
            event_object().prop_map(|m| {
                let pairs: Vec<(String, String)> = m.into_iter().map(|(k, v)| (k, v.to_string())).collect();
                url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes()
            }),
            Just(vec![b'{'; 70_000]),
            Just(b"[1,2,3]".to_vec()),
        ],
    ) {
        match Event::parse(&ct, &body) {
            Ok(Event::Call(c)) => {
                prop_assert_eq!(c.ucid.trim(), c.ucid.as_str());
                prop_assert_eq!(c.sent_at.raw.trim(), c.sent_at.raw.as_str());
                prop_assert!(body.len() <= 64 * 1024);
            }
            Ok(Event::Agent(a)) => {
                prop_assert_eq!(a.agent_id.trim(), a.agent_id.as_str());
                prop_assert!(body.len() <= 64 * 1024);
            }
            Err(err) => assert_refused(&err, &["event"]),
        }
    }

    /// A call event's UCID, as a JSON number up to u64::MAX or as text, stays exact; the kind
    /// follows `eventType` whatever its case.
    #[test]
    fn event_ucids_stay_exact(ucid in any::<u64>(), as_text in any::<bool>(), upper in any::<bool>(), extra in prop::collection::btree_map("[a-zA-Z_]{1,10}", prop_oneof![any::<u64>().prop_map(Value::from), "[ -~]{0,12}".prop_map(Value::from)], 0..6)) {
        // Small fields only: the size limit is `events_parse_any_body`'s.
        let mut m: Map<String, Value> = extra.into_iter().collect();
        m.insert("eventType".into(), json!(if upper { "CALL" } else { "call" }));
        m.insert("ucid".into(), if as_text { json!(ucid.to_string()) } else { json!(ucid) });
        m.remove("UCID");
        let body = serde_json::to_vec(&m).unwrap();
        match Event::parse("application/json", &body).unwrap() {
            Event::Call(c) => prop_assert_eq!(c.ucid, ucid.to_string()),
            other => prop_assert!(false, "not a call event: {other:?}"),
        }
    }

    /// `EventTime::parse` never panics, keeps the trimmed text, and what it reads prints back
    /// to a time it reads the same.
    #[test]
    fn event_times_parse_leniently(raw in prop_oneof![date_time_text(), hostile_string()]) {
        let t = EventTime::parse(&raw);
        prop_assert_eq!(t.raw.as_str(), raw.trim());
        if let Some(at) = t.at {
            let printed = at.format("%Y-%m-%d %H:%M:%S%.f").to_string();
            prop_assert_eq!(EventTime::parse(&printed).at, Some(at));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sidecar registry and forwarding policy

fn agent_list() -> BoxedStrategy<Vec<String>> {
    prop_oneof![
        4 => prop::collection::vec(prop_oneof!["[a-z]{1,6}", hostile_string()], 0..6),
        1 => Just(Vec::new()),
        1 => Just((0..=MAX_SIDECAR_AGENTS).map(|i| format!("a{i}")).collect()),
        1 => Just(vec!["asha".to_string(); 50]),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Registry and registration arguments: the first bad one is named; a registration that is
    /// accepted is what `lookup` and `heartbeat` then find.
    #[test]
    fn sidecar_registry_checks_every_argument(
        account in prop_oneof!["[a-z]{1,8}", hostile_string()],
        sidecar in prop_oneof!["[a-z0-9-]{1,8}", hostile_string()],
        url in prop_oneof![
            Just("http://10.0.0.7:3000/events".to_string()),
            Just(format!("http://u:{CANARY}@h/x")),
            Just("ftp://h".to_string()),
            Just(format!("https://h/{}", "p".repeat(3_000))),
            hostile_string(),
        ],
        agents in agent_list(),
        ttl in duration(),
    ) {
        let rt = runtime();
        let registry = match SidecarRegistry::new(&account, MemorySidecarStore::new()) {
            Ok(r) => {
                prop_assert!(routing_id_ok(&account), "account {account:?} accepted");
                prop_assert_eq!(r.account(), account.as_str());
                r
            }
            Err(err) => {
                prop_assert!(!routing_id_ok(&account), "account {account:?} refused: {err}");
                assert_refused(&err, &["account"]);
                return Ok(());
            }
        };
        let result = rt.block_on(registry.register(&sidecar, &url, &agents, ttl));
        let ttl_ok = (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&ttl);
        let mut known_bad: Vec<&str> = Vec::new();
        if !routing_id_ok(&sidecar) { known_bad.push("sidecar_id"); }
        if url.contains(CANARY) || url.starts_with("ftp:") || url.len() > 2048 { known_bad.push("url"); }
        if !ttl_ok { known_bad.push("ttl"); }
        if agents.len() > MAX_SIDECAR_AGENTS { known_bad.push("agent_ids"); }
        if agents.iter().any(|a| !routing_id_ok(a)) { known_bad.push("agent_ids["); }
        match result {
            Ok(_) => {
                prop_assert!(known_bad.is_empty(), "accepted with bad {known_bad:?}");
                for a in &agents {
                    let route = rt.block_on(registry.lookup(a)).unwrap().expect("registered");
                    prop_assert_eq!(route.url.as_str(), url.trim());
                }
                let mut unique: Vec<String> = agents.clone();
                unique.sort();
                unique.dedup();
                prop_assert_eq!(rt.block_on(registry.heartbeat(&sidecar, ttl)).unwrap(), Some(unique));
                prop_assert!(rt.block_on(registry.deregister(&sidecar)).unwrap());
            }
            Err(err) => {
                // A hostile URL may be the reason the model cannot see.
                let mut named = known_bad.clone();
                named.push("url");
                assert_refused(&err, &named);
            }
        }
    }

    /// `ForwardPolicy::check` names the field out of range; `wait` never panics for any
    /// policy, and for a checked one lies between half the capped ceiling and the larger of
    /// the cap and `retry_after`.
    #[test]
    fn forward_policies_check_and_wait(
        max_tries in count_u32(),
        base_delay in duration(),
        max_delay in duration(),
        max_elapsed in duration(),
        retry in count_u32(),
        retry_after in prop::option::of(duration()),
    ) {
        let p = ForwardPolicy { max_tries, base_delay, max_delay, max_elapsed };
        let mut bad = Vec::new();
        if !(1..=20).contains(&max_tries) { bad.push("max_tries"); }
        if base_delay > Duration::from_secs(60) { bad.push("base_delay"); }
        if max_delay > Duration::from_secs(600) { bad.push("max_delay"); }
        if max_elapsed > Duration::from_secs(3600) { bad.push("max_elapsed"); }
        let wait = p.wait(retry, retry_after);
        match p.check() {
            Ok(()) => {
                prop_assert!(bad.is_empty());
                let floor = retry_after.unwrap_or_default();
                prop_assert!(wait >= floor);
                prop_assert!(wait <= max_delay.max(floor), "{wait:?} > {max_delay:?}");
            }
            Err(err) => {
                prop_assert!(!bad.is_empty());
                assert_refused(&err, &bad[..1]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reports: CDR windows, pages, missed calls

/// A local time relative to `now`: within ±40 days, or an extreme.
fn when(now: NaiveDateTime) -> BoxedStrategy<NaiveDateTime> {
    prop_oneof![
        6 => (-40i64 * 86_400..40 * 86_400).prop_map(move |s| now + TimeDelta::seconds(s)),
        1 => Just(NaiveDateTime::MIN),
        1 => Just(NaiveDateTime::MAX),
        1 => Just(now - Days::new(15)),
    ]
    .boxed()
}

/// Whether `at` is too close to a rule's edge (now, the oldest day's midnight) for the model
/// to call it while the clock moves.
fn near_edge(at: NaiveDateTime, now: NaiveDateTime) -> bool {
    let oldest = (now.date() - Days::new(15)).and_hms_opt(0, 0, 0).unwrap();
    let close = |edge: NaiveDateTime| (at - edge).num_seconds().abs() < 120;
    close(now) || close(oldest)
}

#[test]
fn cdr_and_missed_call_queries_are_checked_before_sending() {
    let desk = Desk::new("proptest-reports");
    let now = ist_now();
    let mut runner = proptest::test_runner::TestRunner::new(config(SLOW_CASES));
    let strategy = (
        when(now),
        when(now),
        prop::option::of(prop_oneof!["[0-9]{1,20}", hostile_string()]),
        prop::option::of(prop_oneof!["[0-9]{1,20}", hostile_string()]),
        prop::option::of(hostile_string()),
        prop::option::of(hostile_string()),
        prop::option::of(hostile_string()),
        prop_oneof![
            Just(0u32),
            Just(1),
            Just(500),
            Just(501),
            Just(u32::MAX),
            any::<u32>()
        ],
    );
    runner
        .run(
            &strategy,
            |(from, to, ucid, monitor, campaign, status, call_type, page_size)| {
                if near_edge(from, now) || near_edge(to, now) {
                    return Ok(());
                }
                let mut q = CallRecordsQuery::between(from, to);
                q.ucid = ucid.clone();
                q.monitor_ucid = monitor.clone();
                if let Some(c) = &campaign {
                    q = q.campaign(c.clone());
                }
                if let Some(s) = &status {
                    q = q.status(s.clone());
                }
                if let Some(t) = &call_type {
                    q = q.call_type(t.clone());
                }
                let mut bad = Vec::new();
                if to < from {
                    bad.push("ends");
                }
                if from > now {
                    bad.push("future");
                }
                if from.date() < now.date() - Days::new(15) {
                    bad.push("days back");
                }
                if ucid.as_deref().is_some_and(|u| !ucid_ok(u)) {
                    bad.push("ucid");
                }
                if monitor.as_deref().is_some_and(|u| !ucid_ok(u)) {
                    bad.push("ucid");
                }
                // Filters are checked like any campaign name (blank is "every").
                let filter_bad = |v: &Option<String>| {
                    v.as_deref()
                        .is_some_and(|v| !v.trim().is_empty() && !identifier_ok(v))
                };
                if filter_bad(&campaign) {
                    bad.push("query.campaignName");
                }
                if filter_bad(&call_type) {
                    bad.push("query.callType");
                }
                if filter_bad(&status) {
                    bad.push("query.status");
                }
                desk.check(&bad, desk.client.call_records(&q));

                let mut page_bad = bad.clone();
                if !(1..=500).contains(&page_size) {
                    page_bad.push("page_size");
                }
                let mut pages = Box::pin(desk.client.call_record_pages(&q, page_size));
                desk.check(&page_bad, async move {
                    pages.next().await.expect("one item at least")
                });

                let mut missed = AbandonedCallsQuery::between(from, to);
                if let Some(c) = &campaign {
                    missed = missed.campaign(c.clone());
                }
                let mut missed_bad = Vec::new();
                if to < from {
                    missed_bad.push("ends");
                }
                if filter_bad(&campaign) {
                    missed_bad.push("query.campaign_name");
                }
                desk.check(&missed_bad, desk.client.abandoned_calls(&missed));

                let mut one_bad = Vec::new();
                let day = from.date();
                if ucid.as_deref().is_none_or(|u| !ucid_ok(u)) {
                    one_bad.push("ucid");
                }
                if day > now.date() {
                    one_bad.push("future");
                }
                if day < now.date() - Days::new(15) {
                    one_bad.push("days back");
                }
                desk.check(
                    &one_bad,
                    desk.client.call_record(ucid.as_deref().unwrap_or(""), day),
                );
                Ok(())
            },
        )
        .unwrap();
}

proptest! {
    #![proptest_config(config(CASES))]

    /// `CallRecordsQuery::day` for any date, the first and last included: one day, in order.
    #[test]
    fn cdr_days_span_one_day(days in any::<i32>()) {
        let date = NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(NaiveDate::MIN);
        let q = CallRecordsQuery::day(date);
        prop_assert!(q.from <= q.to);
        prop_assert_eq!(q.from.date(), date);
        prop_assert_eq!(q.to.date(), date);
    }
}

// ---------------------------------------------------------------------------------------------
// The agent desk: call control, transfers, recording, login, state, dial, dispositions

#[test]
fn call_control_and_recording_check_ucids_and_numbers() {
    let desk = Desk::new("proptest-calls");
    let mut runner = proptest::test_runner::TestRunner::new(config(SLOW_CASES));
    let strategy = (
        prop_oneof![
            "[0-9]{1,32}",
            "[0-9]{33,40}",
            " [0-9]{5} ",
            hostile_string()
        ],
        prop::option::of(prop_oneof![
            indian_spelling().prop_map(|(s, _)| s),
            hostile_string()
        ]),
        0usize..6,
        any::<bool>(),
    );
    let actions = [
        CallAction::Conference,
        CallAction::Hold,
        CallAction::Unhold,
        CallAction::Mute,
        CallAction::Unmute,
        CallAction::KickCall,
    ];
    runner
        .run(&strategy, |(ucid, number, action, cold)| {
            let action = actions[action];
            let mut bad = Vec::new();
            if !ucid_ok(&ucid) {
                bad.push("ucid");
            }
            let number_given = number.as_deref().is_some_and(|n| !n.trim().is_empty());
            if number_given && normalize_phone(number.as_deref().unwrap(), Region::India).is_err() {
                bad.push("phone number");
            }
            if !number_given && action.requires_number() {
                bad.push("needs a phone number");
            }
            desk.check(
                &bad,
                desk.agent.call_control(action, &ucid, number.as_deref()),
            );

            let ucid_bad: &[&str] = if ucid_ok(&ucid) { &[] } else { &["ucid"] };
            desk.check(ucid_bad, desk.client.pause_recording(&ucid));
            desk.check(ucid_bad, desk.client.resume_recording(&ucid));
            desk.check(ucid_bad, desk.agent.hold(&ucid));

            let target = number.unwrap_or_default();
            let mut t_bad = Vec::new();
            if !ucid_ok(&ucid) {
                t_bad.push("ucid");
            }
            match normalize_phone(&target, Region::India) {
                Err(_) => t_bad.push("transfer target"),
                Ok(n) if n == "09876500000" => t_bad.push("the agent's own number"),
                Ok(_) => {}
            }
            let mode = if cold {
                TransferMode::Cold
            } else {
                TransferMode::Warm
            };
            desk.check(&t_bad, desk.agent.transfer(&ucid, &target, mode));
            Ok(())
        })
        .unwrap();
}

#[test]
fn desk_arguments_are_checked_and_passwords_never_shown() {
    let desk = Desk::new("proptest-desk");
    let mut runner = proptest::test_runner::TestRunner::new(config(SLOW_CASES));
    let password = prop_oneof![
        3 => "[!-~]{0,12}".prop_map(|s| format!("{CANARY}{s}")),
        2 => (hostile_string(), hostile_string()).prop_map(|(a, b)| format!("{a}{CANARY}{b}")),
        1 => Just(String::new()),
        1 => Just(format!("{CANARY}{}", "p".repeat(300))),
    ];
    let text = || prop::option::of(prop_oneof!["[a-zA-Z ]{0,12}", hostile_string()]);
    let strategy = (
        password,
        prop_oneof!["[a-zA-Z ]{1,12}", hostile_string()],
        prop_oneof![indian_spelling().prop_map(|(s, _)| s), hostile_string()],
        (
            text(),
            text(),
            text(),
            prop::option::of(duration()),
            prop::option::of(any::<bool>()),
        ),
        (
            prop_oneof!["[0-9]{1,19}", "[0-9]{20,24}", hostile_string()],
            prop_oneof!["[a-zA-Z ]{1,12}", hostile_string()],
            text(),
            text(),
        ),
    );
    runner
        .run(
            &strategy,
            |(
                pw,
                reason,
                number,
                (uui, campaign, _, limit, check_status),
                (ucid, code, comments, pause_after),
            )| {
                let pw_ok = !pw.is_empty()
                    && pw.chars().count() <= 256
                    && !pw.chars().any(char::is_control);
                let pw_bad: &[&str] = if pw_ok { &[] } else { &["agent password"] };
                desk.check(pw_bad, desk.agent.login(&pw));
                desk.check(pw_bad, desk.agent.logout(&pw));
                desk.check(pw_bad, desk.agent.force_ready(&pw));
                desk.check(
                    if identifier_ok(&reason) {
                        &[]
                    } else {
                        &["pause reason"][..]
                    },
                    desk.agent.pause(&reason),
                );

                let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
                let mut bad = Vec::new();
                if normalize_phone(&number, Region::India).is_err() {
                    bad.push("customer number");
                }
                if !blank(&campaign) && !identifier_ok(campaign.as_deref().unwrap()) {
                    bad.push("campaign");
                }
                if !blank(&uui) && !free_text_ok(uui.as_deref().unwrap()) {
                    bad.push("uui");
                }
                let options = DialOptions {
                    uui: uui.clone(),
                    campaign: campaign.clone(),
                };
                desk.check(&bad, desk.agent.dial(&number, options));
                if limit.is_some_and(|l| l.as_secs() == 0 || l > Duration::from_secs(86_400)) {
                    bad.push("call_limit");
                }
                let options = PhoneDialOptions {
                    call_limit: limit,
                    check_status,
                    campaign,
                    uui,
                };
                desk.check(&bad, desk.agent.phone_dial(&number, options));

                let mut d_bad = Vec::new();
                if !ucid_ok(&ucid) || ucid.trim().len() >= 20 {
                    d_bad.push("ucid");
                }
                if !identifier_ok(&code) {
                    d_bad.push("disposition code");
                }
                if comments.as_deref().is_some_and(|c| !free_text_ok(c)) {
                    d_bad.push("comments");
                }
                if pause_after.as_deref().is_some_and(|r| !identifier_ok(r)) {
                    d_bad.push("pause reason");
                }
                let disposition = Disposition {
                    code,
                    comments,
                    callback_at: Some(NaiveDateTime::MAX),
                    pause_after,
                    auto_release: check_status.unwrap_or_default(),
                };
                desk.check(&d_bad, desk.agent.dispose(&ucid, disposition));
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn event_subscription_urls_are_checked() {
    let desk = Desk::new("proptest-events");
    let mut runner = proptest::test_runner::TestRunner::new(config(SLOW_CASES));
    let url = || {
        prop_oneof![
            Just((
                "https://crm.example.com/ozonetel/calls".to_string(),
                Url::Valid
            )),
            Just(("http://10.0.0.7:3000/agents".to_string(), Url::Valid)),
            Just((format!("https://u:{CANARY}@h/x"), Url::Invalid)),
            Just((format!("https://{CANARY}@h/x"), Url::Invalid)),
            Just(("ftp://h/x".to_string(), Url::Invalid)),
            Just((String::new(), Url::Invalid)),
            Just((format!("https://h/{}", "p".repeat(5_000)), Url::Invalid)),
            hostile_string().prop_map(|s| (s, Url::Unknown)),
        ]
    };
    runner
        .run(
            &(url(), url()),
            |((call, call_kind), (agent, agent_kind))| {
                let urls = EventUrls { call, agent };
                let before = desk.sink.hits();
                let result = desk.rt.block_on(desk.client.subscribe_events(&urls));
                let kinds = [call_kind, agent_kind];
                match result {
                    Ok(_) => prop_assert!(false, "the sink answers nothing"),
                    Err(err) if err.code() == ErrorCode::InvalidInput => {
                        prop_assert!(kinds.iter().any(|k| *k != Url::Valid), "refused: {err}");
                        assert_refused(&err, &["events URL"]);
                        prop_assert_eq!(desk.sink.hits(), before);
                    }
                    Err(err) => {
                        prop_assert!(kinds.iter().all(|k| *k != Url::Invalid), "sent: {err}");
                        assert_bounded(&err);
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn missed_call_watchers_check_their_options() {
    let desk = Desk::new("proptest-watch");
    let mut runner = proptest::test_runner::TestRunner::new(config(SLOW_CASES));
    let strategy = (
        duration(),
        any::<bool>(),
        prop::option::of(hostile_string()),
    );
    runner
        .run(&strategy, |(interval, include_existing, campaign_name)| {
            let mut bad = Vec::new();
            if !(100..=86_400_000).contains(&interval.as_millis()) {
                bad.push("interval");
            }
            if campaign_name
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty() && !identifier_ok(c))
            {
                bad.push("query.campaign_name");
            }
            let options = WatchOptions {
                interval,
                include_existing,
                campaign_name,
            };
            let bad = &bad[..];
            // Made outside the runtime, as a host may; the first poll is at once: a valid
            // watcher asks for the missed calls right away.
            let mut watcher = desk.client.watch_missed_calls_with(options);
            desk.check(bad, async move {
                watcher.next().await.expect("a watcher yields")
            });
            Ok(())
        })
        .unwrap();
}

proptest! {
    #![proptest_config(config(CASES))]

    /// `text::short` cuts on a character boundary, marks the cut, and keeps what fits.
    #[test]
    fn short_text_cuts_on_characters(text in hostile_string(), max in prop_oneof![0usize..300, Just(usize::MAX)]) {
        let out = helix_engage::text::short(&text, max);
        let n = text.chars().count();
        if n <= max {
            prop_assert_eq!(out, text);
        } else {
            prop_assert_eq!(out.chars().count(), max + 1);
            prop_assert!(out.ends_with('…'));
            prop_assert!(text.starts_with(&out[..out.len() - '…'.len_utf8()]));
        }
    }
}
