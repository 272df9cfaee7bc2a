//! `redact(text, options?)`: the core's local redactor for hosts (a CRM note, a ticket, a chat
//! line), so the rules that clean live transcripts live in one place, the core's `Redactor`.

use helix_engage::assist::{RedactionConfig, Redactor};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::args;
use crate::error::throw;

/// `RedactOptions` (types.d.ts).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RedactArg {
    keywords: Option<Vec<String>>,
    lead_phone: Option<String>,
}

/// Replaces card, Aadhaar, PAN, phone and e-mail details, and numbers after identifier words
/// ("policy", "member id", "card", and `keywords`), with their kind's marker (`[card]`,
/// `[aadhaar]`, …) — the rules the live transcript is redacted by. `leadPhone` is the caller's
/// own number: it stays in the text (an agent may see it). Throws `INVALID_INPUT` for a text
/// that is not a string or bad options (naming the field).
#[napi(
    ts_args_type = "text: string, options?: RedactOptions",
    ts_return_type = "RedactResult"
)]
pub fn redact<'env>(
    env: &'env Env,
    text: Unknown,
    options: Option<Unknown>,
) -> napi::Result<Unknown<'env>> {
    let text = args::string(env, text, "text")?;
    let options: RedactArg = args::optional_object(env, options, "options")?;
    let config = RedactionConfig {
        enabled: true,
        keywords: options.keywords.unwrap_or_default(),
    };
    let redactor = Redactor::new(&config)
        .map_err(|e| throw(env, e))?
        .with_lead_phone(options.lead_phone.as_deref());
    let out = redactor.redact(&text);
    let value: Value = json!({ "text": out.text, "kinds": out.kinds });
    env.to_js_value(&value)
}
