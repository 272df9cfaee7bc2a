//! `helix profiles`: the config file's profiles and which account this run would use — whether
//! a key and a Redis store are set, never their values.

use clap::Args;
use serde::Serialize;

use crate::Ctx;
use crate::exit::CliResult;
use crate::profile::{self, Profile};

/// `helix profiles`.
#[derive(Args, Debug)]
#[command(after_help = profile::CONFIG_FORMAT)]
pub struct ProfilesArgs {}

/// One profile as listed: what is set, never a secret.
#[derive(Debug, Serialize)]
struct Listed {
    name: String,
    /// The file's `default`.
    default: bool,
    user_name: Option<String>,
    base_url: Option<String>,
    /// `api_key` (in the file), `env:VAR` (and whether VAR is set), or `missing`.
    key: String,
    key_set: bool,
    redis: bool,
    agents: Vec<String>,
}

/// Where the key of a profile comes from, and whether it is there now.
fn key_source(p: &Profile) -> (String, bool) {
    match (&p.api_key, &p.api_key_env) {
        (Some(k), _) => ("api_key".to_string(), !k.trim().is_empty()),
        (None, Some(var)) => (
            format!("env:{var}"),
            std::env::var(var).is_ok_and(|k| !k.trim().is_empty()),
        ),
        (None, None) => ("missing".to_string(), false),
    }
}

/// `helix profiles`.
pub fn run(_a: ProfilesArgs, ctx: &Ctx) -> CliResult {
    let (path, file) = profile::read_config(&ctx.sel)?;
    let listed: Vec<Listed> = file
        .profiles
        .iter()
        .map(|(name, p)| {
            let (key, key_set) = key_source(p);
            Listed {
                name: name.clone(),
                default: file.default.as_deref() == Some(name.as_str()),
                user_name: p.user_name.clone(),
                base_url: p.base_url.clone(),
                key,
                key_set,
                redis: p.redis_url.is_some(),
                agents: p.agents.keys().cloned().collect(),
            }
        })
        .collect();
    let in_use = profile::wanted(&ctx.sel, &file);
    let out = &ctx.out;
    if out.json {
        return out.result(
            &serde_json::json!({
                "config": path.as_deref().map(profile::shown),
                "default": file.default,
                "in_use": in_use,
                "profiles": listed,
            }),
            String::new,
        );
    }
    match &path {
        Some(p) => out.line(&format!("config: {}", profile::shown(p)))?,
        None => out.line(&format!(
            "config: none ({} does not exist; `helix profiles --help` shows the format)",
            profile::config_path(&ctx.sel)
                .as_deref()
                .map_or("no config path".to_string(), profile::shown)
        ))?,
    }
    if !listed.is_empty() {
        let rows: Vec<Vec<String>> = listed
            .iter()
            .map(|l| {
                let mark = if in_use.as_deref() == Some(l.name.as_str()) {
                    "*"
                } else {
                    " "
                };
                vec![
                    format!("{mark} {}", l.name),
                    l.user_name.clone().unwrap_or_else(|| "-".into()),
                    l.base_url.clone().unwrap_or_else(|| "(Ozonetel's)".into()),
                    format!("{} ({})", l.key, if l.key_set { "set" } else { "not set" }),
                    if l.redis { "set" } else { "-" }.to_string(),
                    if l.agents.is_empty() {
                        "-".to_string()
                    } else {
                        l.agents.join(", ")
                    },
                ]
            })
            .collect();
        out.table(
            &["  PROFILE", "USER", "BASE URL", "KEY", "REDIS", "AGENTS"],
            &rows,
        )?;
    }
    let using = match &in_use {
        Some(name) if file.profiles.contains_key(name) => format!("profile {name} (marked *)"),
        Some(name) => format!(
            "profile {}, which the file does not have",
            profile::quote(name)
        ),
        None => {
            let user = std::env::var("OZONETEL_USER_NAME")
                .ok()
                .filter(|u| !u.trim().is_empty());
            let key = std::env::var("OZONETEL_API_KEY").is_ok_and(|k| !k.trim().is_empty());
            format!(
                "the OZONETEL_* variables (OZONETEL_USER_NAME {}, OZONETEL_API_KEY {})",
                user.map_or("not set".to_string(), |u| profile::quote(&u)),
                if key { "set" } else { "not set" }
            )
        }
    };
    out.line(&format!("in use: {using}"))
}
