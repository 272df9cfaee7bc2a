//! The transcript redactor with the default config, on any UTF-8 text. Asserts: no panic;
//! redacting a redacted text changes nothing (a marker is never itself taken for a private
//! detail, and nothing a pass left behind is found by the next); each kind reported has its
//! marker in the text; without a lead phone `for_llm` hides exactly what `redact` hides.
#![no_main]

use helix_engage::assist::{RedactionConfig, Redactor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let redactor = Redactor::new(&RedactionConfig::default()).expect("default config is valid");
    let once = redactor.redact(text);
    for kind in &once.kinds {
        let marker = kind.marker();
        let reported = once.kinds.iter().filter(|k| *k == kind).count();
        assert!(
            once.text.matches(marker).count() >= reported,
            "{reported} × {marker} reported, fewer in the text"
        );
    }
    let twice = redactor.redact(&once.text);
    assert_eq!(twice.text, once.text, "redact is not idempotent");
    assert_eq!(
        redactor.for_llm(text),
        once.text,
        "for_llm differs without a lead phone"
    );
});
