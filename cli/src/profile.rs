//! Which account `helix` talks to: a named profile from the config file (one per tenant), or
//! the `OZONETEL_*` variables. The API key is never printed: not in errors, not in
//! `helix profiles`, not in `Debug`. The file's format is [`CONFIG_FORMAT`] (what
//! `helix profiles --help` shows).
//!
//! Ozonetel keeps one valid token per account and a new one logs everybody else out, so a
//! profile without `redis_url` (or `HELIX_REDIS_URL`) makes `helix` warn before it generates
//! its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use helix_engage::ozonetel::{
    Agent, AgentRef, AuthMode, Client, ClientBuilder, RedisAccountStore, Region,
};
use serde::Deserialize;

use crate::exit::{CliError, CliResult};

/// The config file's format, for `helix profiles --help` (and the module docs).
pub const CONFIG_FORMAT: &str = r#"The config file ($XDG_CONFIG_HOME/helix/config.toml or ~/.config/helix/config.toml;
--config FILE or HELIX_CONFIG), one profile per tenant:

  default = "whitefield"                    # used without --profile / HELIX_PROFILE

  [profiles.whitefield]
  user_name = "helix_whitefield"            # the CloudAgent account
  api_key_env = "WHITEFIELD_OZONETEL_KEY"   # or api_key = "…" (then keep the file private)
  # base_url, events_base_url, auth_mode = "token"|"basic",
  # region = "india"|"international", timeout_secs
  redis_url = "redis://10.0.0.5:6379/"      # the sidecars' store: share their token

  [profiles.whitefield.agents.priya]        # what --agent priya means
  phone_name = "523590"
  number = "9123456780"
  campaign = "Inbound_918041763265"
  did = "918041763265"

A profile that lists agents refuses any other --agent id. Without a profile, helix reads
OZONETEL_USER_NAME, OZONETEL_API_KEY (required), OZONETEL_BASE_URL, OZONETEL_AUTH_MODE,
OZONETEL_REGION, OZONETEL_EVENTS_BASE_URL and HELIX_REDIS_URL; agents then come from the
--phone-name, --number, --campaign, --did flags. Without redis_url (or HELIX_REDIS_URL)
helix warns: its own token logs out every other client of the account."#;

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used without `--profile`.
    pub default: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One tenant's account, and the agents `--agent` may name.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub user_name: Option<String>,
    pub api_key: Option<String>,
    /// The environment variable holding the key (keeps the key out of the file).
    pub api_key_env: Option<String>,
    pub base_url: Option<String>,
    pub events_base_url: Option<String>,
    pub auth_mode: Option<String>,
    pub region: Option<String>,
    pub timeout_secs: Option<u64>,
    /// The account store the desk's sidecars share (one token for everybody).
    pub redis_url: Option<String>,
    #[serde(default)]
    pub agents: BTreeMap<String, AgentEntry>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("user_name", &self.user_name)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .field("api_key_env", &self.api_key_env)
            .field("base_url", &self.base_url)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[set]"))
            .field("agents", &self.agents.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// An agent of a profile (`[profiles.X.agents.ID]`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentEntry {
    pub phone_name: Option<String>,
    pub number: Option<String>,
    pub campaign: Option<String>,
    pub did: Option<String>,
}

/// The options every command shares for finding its account.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
}

/// The account chosen for this run.
#[derive(Debug)]
pub struct Account {
    /// The profile's name, or `None` for the `OZONETEL_*` variables.
    pub name: Option<String>,
    pub profile: Profile,
}

/// Where the config file is: `--config`, `HELIX_CONFIG`, else `$XDG_CONFIG_HOME/helix/config.toml`
/// or `~/.config/helix/config.toml`.
pub fn config_path(sel: &Selection) -> Option<PathBuf> {
    if let Some(p) = &sel.config {
        return Some(p.clone());
    }
    if let Some(p) = std::env::var_os("HELIX_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("helix").join("config.toml"))
}

/// Reads the config file; a missing file is an empty one unless it was named explicitly.
pub fn read_config(sel: &Selection) -> CliResult<(Option<PathBuf>, ConfigFile)> {
    let Some(path) = config_path(sel) else {
        return Ok((None, ConfigFile::default()));
    };
    let named = sel.config.is_some() || std::env::var_os("HELIX_CONFIG").is_some();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let file: ConfigFile = toml::from_str(&text).map_err(|e| {
                CliError::config(
                    format!(
                        "cannot read {}: {}",
                        path.display(),
                        one_line(&e.to_string())
                    ),
                    "fix the file; `helix profiles --help` shows its format",
                )
            })?;
            Ok((Some(path), file))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            Ok((None, ConfigFile::default()))
        }
        Err(e) => Err(CliError::config(
            format!("cannot open {}: {e}", path.display()),
            "pass --config FILE or set HELIX_CONFIG to a readable file",
        )),
    }
}

/// The profile this run names: `--profile` / `HELIX_PROFILE`, else the file's `default`;
/// `None` means the `OZONETEL_*` variables.
pub fn wanted(sel: &Selection, file: &ConfigFile) -> Option<String> {
    sel.profile
        .clone()
        .or_else(|| {
            std::env::var("HELIX_PROFILE")
                .ok()
                .filter(|p| !p.is_empty())
        })
        .or_else(|| file.default.clone())
}

/// The account for this run: `--profile` / `HELIX_PROFILE` / the file's `default`, else the
/// `OZONETEL_*` variables.
pub fn select(sel: &Selection) -> CliResult<Account> {
    let (path, mut file) = read_config(sel)?;
    let Some(name) = wanted(sel, &file) else {
        return Ok(Account {
            name: None,
            profile: Profile::default(),
        });
    };
    match file.profiles.remove(&name) {
        Some(profile) => Ok(Account {
            name: Some(name),
            profile,
        }),
        None => {
            let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
            let place = match path {
                Some(p) => format!("in {}", p.display()),
                None => match config_path(sel) {
                    Some(p) => format!("({} does not exist)", p.display()),
                    None => "(no config file)".to_string(),
                },
            };
            Err(CliError::config(
                format!("no profile {} {place}", quote(&name)),
                if known.is_empty() {
                    "add a [profiles.NAME] table to the config file (see `helix profiles --help`)"
                        .to_string()
                } else {
                    format!("profiles there: {}", known.join(", "))
                },
            ))
        }
    }
}

impl Account {
    /// The client for this account, sharing the desk's token when a Redis store is named.
    pub async fn client(&self, out: &crate::output::Out) -> CliResult<Client> {
        self.client_with(out, |b| b).await
    }

    /// [`client`](Self::client) with a command's own builder setting on top (`helix cdr`'s
    /// test-only CDR pace), applied before the build checks it.
    pub async fn client_with(
        &self,
        out: &crate::output::Out,
        tweak: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> CliResult<Client> {
        let p = &self.profile;
        let mut b = if self.name.is_some() {
            Client::builder()
        } else {
            ClientBuilder::from_env().map_err(|e| {
                CliError::config(
                    e.to_string(),
                    "fix the OZONETEL_* variable, or pick a profile with --profile",
                )
            })?
        };
        self.check_account()?;
        if let Some(u) = &p.user_name {
            b = b.user_name(u);
        }
        match (&p.api_key, &p.api_key_env) {
            (Some(k), _) => b = b.api_key(k),
            (None, Some(var)) => match std::env::var(var) {
                Ok(k) if !k.trim().is_empty() => b = b.api_key(k),
                _ => {
                    return Err(CliError::config(
                        format!("the profile's api_key_env names {var}, which is not set"),
                        format!("export {var}=… (the CloudAgent API key)"),
                    ));
                }
            },
            (None, None) => {}
        }
        if let Some(u) = &p.base_url {
            b = b.base_url(u);
        }
        // The library's `from_env` reads the account; the subscription host is the CLI's own
        // variable (as in the NestJS example).
        let events_env = std::env::var("OZONETEL_EVENTS_BASE_URL")
            .ok()
            .filter(|u| self.name.is_none() && !u.is_empty());
        if let Some(u) = p.events_base_url.as_ref().or(events_env.as_ref()) {
            b = b.events_base_url(u);
        }
        if let Some(m) = &p.auth_mode {
            b = b.auth_mode(match m.to_ascii_lowercase().as_str() {
                "token" => AuthMode::Token,
                "basic" => AuthMode::Basic,
                other => {
                    return Err(CliError::config(
                        format!("auth_mode is {}", quote(other)),
                        "use \"token\" or \"basic\"",
                    ));
                }
            });
        }
        if let Some(r) = &p.region {
            b = b.region(match r.to_ascii_lowercase().as_str() {
                "india" => Region::India,
                "international" => Region::International,
                other => {
                    return Err(CliError::config(
                        format!("region is {}", quote(other)),
                        "use \"india\" or \"international\"",
                    ));
                }
            });
        }
        if let Some(t) = p.timeout_secs {
            b = b.timeout(Duration::from_secs(t));
        }
        let redis = p.redis_url.clone().or_else(|| {
            std::env::var("HELIX_REDIS_URL")
                .ok()
                .filter(|u| !u.is_empty())
        });
        match redis {
            Some(url) => {
                let store = RedisAccountStore::connect(&url).await?;
                b = b.account_store(store);
            }
            None => out.note(
                "warning: no redis_url for this account: helix keeps its own Ozonetel token, and \
                 generating one logs out every other client of the account (set redis_url in the \
                 profile, or HELIX_REDIS_URL, to share the desk's)",
            ),
        }
        b = tweak(b);
        b.build().map_err(|e| {
            CliError::config(
                e.to_string(),
                "`helix profiles --help` shows what a profile or the environment needs",
            )
        })
    }

    /// The account's name and key are there, or a message naming what to set. Checked before
    /// building so the message names the variable or the profile's field, not the builder's.
    fn check_account(&self) -> CliResult {
        let set = |v: Option<String>| v.is_some_and(|v| !v.trim().is_empty());
        match &self.name {
            None => {
                let needed = [
                    (
                        "OZONETEL_USER_NAME",
                        "export OZONETEL_USER_NAME=… (the CloudAgent account) and \
                         OZONETEL_API_KEY=… (its API key)",
                    ),
                    (
                        "OZONETEL_API_KEY",
                        "export OZONETEL_API_KEY=… (the account's API key)",
                    ),
                ];
                for (var, what) in needed {
                    if !set(std::env::var(var).ok()) {
                        return Err(CliError::config(
                            format!("no account: {var} is not set and no profile is selected"),
                            format!(
                                "{what}, or pick a profile with --profile (`helix profiles` \
                                 lists them)"
                            ),
                        ));
                    }
                }
            }
            Some(name) => {
                let p = &self.profile;
                if !set(p.user_name.clone()) {
                    return Err(CliError::config(
                        format!("profile {} has no user_name", quote(name)),
                        format!(
                            "add user_name = \"…\" (the CloudAgent account) to [profiles.{name}]"
                        ),
                    ));
                }
                if p.api_key_env.is_none() && !set(p.api_key.clone()) {
                    return Err(CliError::config(
                        format!("profile {} has no API key", quote(name)),
                        format!(
                            "add api_key_env = \"VARIABLE\" (and export it) or api_key = \"…\" \
                             to [profiles.{name}]"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The agent `--agent ID` names: the profile's entry for it, with any field given on the
    /// command line on top. An id the profile does not list is refused when the profile lists
    /// agents (a typo must not act as somebody else).
    pub fn agent_ref(&self, id: &str, overrides: &AgentEntry) -> CliResult<AgentRef> {
        let id = id.trim();
        if id.is_empty() {
            return Err(CliError::usage(
                "--agent is empty: name the CloudAgent agent id",
            ));
        }
        let entry = match self.profile.agents.get(id) {
            Some(e) => e.clone(),
            None if !self.profile.agents.is_empty() => {
                let known: Vec<&str> = self.profile.agents.keys().map(String::as_str).collect();
                return Err(CliError::config(
                    format!(
                        "agent {} is not in profile {}",
                        quote(id),
                        quote(self.name.as_deref().unwrap_or("(environment)"))
                    ),
                    format!("agents there: {}", known.join(", ")),
                ));
            }
            None => AgentEntry::default(),
        };
        let pick = |cli: &Option<String>, file: Option<String>| cli.clone().or(file);
        Ok(AgentRef {
            id: id.to_string(),
            phone_name: pick(&overrides.phone_name, entry.phone_name),
            number: pick(&overrides.number, entry.number),
            campaign: pick(&overrides.campaign, entry.campaign),
            did: pick(&overrides.did, entry.did),
        })
    }

    /// The client and the agent, checked by the library (a field the call needs and nobody
    /// gave is `invalid_input` naming it, before anything is sent).
    pub async fn agent(
        &self,
        out: &crate::output::Out,
        id: &str,
        overrides: &AgentEntry,
    ) -> CliResult<Agent> {
        let r = self.agent_ref(id, overrides)?;
        let client = self.client(out).await?;
        Ok(client.agent(r)?)
    }
}

/// `text` in double quotes, cut to 64 characters, control characters escaped: safe to print.
pub fn quote(text: &str) -> String {
    let cut: String = text.chars().take(64).collect();
    let more = if text.chars().count() > 64 { "…" } else { "" };
    format!("{:?}{more}", cut)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// For tests and `helix profiles`: the file's path as shown.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}
