//! `helix_redact`: the core's local redactor on one text, outside a session (a note the agent
//! typed, a transcript from elsewhere), with the options a session's config gives it.

use std::ffi::c_char;

use helix_engage::assist::{RedactionConfig, RedactionKind, Redactor};
use serde::{Deserialize, Serialize};

use crate::error::{Failure, from_json_object, helix_status};
use crate::ffi::{arg_opt_str, arg_out, arg_str, ffi};

/// `options_json`, field by field as the header documents it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RedactOptions {
    keywords: Option<Vec<String>>,
    lead_phone: Option<String>,
}

/// The answer, in the JSON the header documents.
#[derive(Serialize)]
struct RedactAnswer<'a> {
    text: &'a str,
    kinds: &'a [RedactionKind],
}

/// Redacts `text` with the library's local redactor — the one a session runs on every final
/// (see `redaction_disabled` in `helix_assist_config`): card numbers (Luhn-checked), Aadhaar
/// numbers (12 digits, Verhoeff-checked, any spacing), PAN, Indian phone numbers in any
/// spelling, e-mail addresses, and numbers after words like "policy", "member id", "card";
/// spoken digits ("four four seven one…") count as digits. Dates, prices, times and room
/// numbers survive.
///
/// `options_json` may be NULL, or an object whose fields are all optional (unknown fields are
/// refused with `HELIX_INVALID_INPUT`):
///
/// ```json
/// {"keywords":["MRN","IP number"],"leadPhone":"+919876543210"}
/// ```
///
/// `keywords` are extra identifier words (as `redaction_keywords`; an empty or too long one is
/// `HELIX_INVALID_INPUT` naming it); `leadPhone` is the lead's own number, which stays in the
/// text — this is what the agent sees (a session never sends it to the LLM).
///
/// On success `*out_json` receives (free with `helix_string_free`)
/// `{"text":"my card is [card] and aadhaar [aadhaar]","kinds":["card","aadhaar"]}`: the text
/// with each span replaced by its kind's marker, and the kinds in text order (`card`,
/// `aadhaar`, `pan`, `phone`, `email`, `policy`, `member_id`, `account`). Never blocks; makes
/// no request.
#[unsafe(no_mangle)]
pub extern "C" fn helix_redact(
    text: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> helix_status {
    ffi! {
        let text = arg_str!(text);
        let out = arg_out!(out_json);
        let options = match arg_opt_str!(options_json) {
            None => RedactOptions::default(),
            Some(json) => from_json_object(json).map_err(|why| {
                Failure::invalid(format!(
                    "options_json is not a redaction options object ({why}); expected \
                     {{\"keywords\":[…],\"leadPhone\":\"…\"}}, both optional"
                ))
            })?,
        };
        let redactor = Redactor::new(&RedactionConfig {
            enabled: true,
            keywords: options.keywords.unwrap_or_default(),
        })?
        .with_lead_phone(options.lead_phone.as_deref());
        let redacted = redactor.redact(text);
        out.write_json(&RedactAnswer {
            text: &redacted.text,
            kinds: &redacted.kinds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{FfiResult, last_error_text as last_error};
    use crate::ffi::helix_string_free;
    use std::ffi::CStr;
    use std::ptr;

    fn redact(text: &CStr, options: Option<&CStr>) -> FfiResult<serde_json::Value> {
        let mut out: *mut c_char = ptr::null_mut();
        let status = helix_redact(
            text.as_ptr(),
            options.map_or(ptr::null(), CStr::as_ptr),
            &mut out,
        );
        if status != helix_status::HELIX_OK {
            assert!(out.is_null(), "out written on failure");
            return Err(Failure::new(status, last_error()));
        }
        // SAFETY: written by `helix_redact` just above.
        let json = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
        helix_string_free(out);
        Ok(serde_json::from_str(&json).unwrap())
    }

    #[test]
    fn a_card_and_an_aadhaar_become_their_markers() {
        // 4111 1111 1111 1111 passes Luhn; 2345 6789 0124 passes Verhoeff.
        let v = redact(
            c"my card is 4111 1111 1111 1111 and my aadhaar is 2345 6789 0124",
            None,
        )
        .unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(text.contains("[card]") && text.contains("[aadhaar]"), "{v}");
        assert!(!text.contains("4111") && !text.contains("0124"), "{v}");
        assert_eq!(v["kinds"], serde_json::json!(["card", "aadhaar"]));
    }

    #[test]
    fn keywords_and_the_lead_phone_are_options() {
        let v = redact(c"my MRN 7731 please", Some(c"{\"keywords\":[\"MRN\"]}")).unwrap();
        assert!(!v["text"].as_str().unwrap().contains("7731"), "{v}");
        // Another number is a phone; the lead's own stays for the agent.
        let v = redact(c"call me on 9876543210", None).unwrap();
        assert_eq!(v["text"], "call me on [phone]", "{v}");
        let v = redact(
            c"call me on 9876543210",
            Some(c"{\"leadPhone\":\"+919876543210\"}"),
        )
        .unwrap();
        assert_eq!(v["text"], "call me on 9876543210", "{v}");
        assert_eq!(v["kinds"], serde_json::json!([]), "{v}");
        let v = redact(c"the appointment is at 10:30 on 12/05, room 204", None).unwrap();
        assert_eq!(v["kinds"], serde_json::json!([]), "{v}");
    }

    #[test]
    fn bad_options_are_refused_by_name() {
        let e = redact(c"x", Some(c"{\"leadphone\":\"1\"}")).unwrap_err();
        assert_eq!(e.status, helix_status::HELIX_INVALID_INPUT);
        assert!(e.message.contains("leadphone"), "{}", e.message);
        let e = redact(c"x", Some(c"{\"keywords\":[\"  \"]}")).unwrap_err();
        assert_eq!(e.status, helix_status::HELIX_INVALID_INPUT);
        assert!(e.message.contains("keywords[0]"), "{}", e.message);
        let mut out = ptr::null_mut();
        assert_eq!(
            helix_redact(ptr::null(), ptr::null(), &mut out),
            helix_status::HELIX_NULL_POINTER
        );
        assert_eq!(
            helix_redact(c"x".as_ptr(), ptr::null(), ptr::null_mut()),
            helix_status::HELIX_NULL_POINTER
        );
    }
}
