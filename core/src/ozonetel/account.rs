//! The account is the unit of sharing. Ozonetel keeps one valid token per account, allows 10
//! generations an hour and 2 CDR requests a minute — per account, whoever asks. So every
//! [`Client`](super::Client) of one account in a process, however and wherever it was built
//! (Rust, Node, C; one builder or many), is handed the same [`Account`]: one token manager, one
//! store (the budget, and the token and pace across processes when it is Redis) and one CDR
//! pacer. Two accounts never share any of it.
//!
//! The registry holds accounts weakly: when the last client of an account is dropped, the
//! account goes, and a later client starts a fresh one (its token is still in the store).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::account_store::{AccountStore, MemoryAccountStore};
use super::pacer::Pacer;
use super::token::TokenManager;
use crate::error::{Error, Result, quote};

/// What one account's clients share.
pub(crate) struct Account {
    pub(crate) tokens: TokenManager,
    pub(crate) cdr_pacer: Arc<Pacer>,
    store: Arc<dyn AccountStore>,
    /// The store was named by a builder (not the default in-memory one).
    explicit_store: bool,
    cdr_rate: (u32, Duration),
    api_key: SecretString,
}

/// What a builder asks of the account it joins.
pub(crate) struct Wanted<'a> {
    /// The normalised base URL (`https://host[:port][/path]`, no trailing slash).
    pub base_url: &'a str,
    pub user_name: &'a str,
    pub api_key: &'a SecretString,
    pub store: Option<Arc<dyn AccountStore>>,
    /// `None`: whatever the account already paces to (Ozonetel's 2 a minute when new).
    pub cdr_rate: Option<(u32, Duration)>,
}

/// Ozonetel's CDR limit: 2 requests a minute per account, across every CDR endpoint.
pub(crate) const DEFAULT_CDR_RATE: (u32, Duration) = (2, Duration::from_secs(60));

type Registry = Mutex<HashMap<String, Vec<Weak<Account>>>>;

fn registry() -> &'static Registry {
    static ACCOUNTS: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    ACCOUNTS.get_or_init(Default::default)
}

/// The registry key: the host in lower case with its port made explicit, so
/// `HTTPS://In1-CCAAS-api.ozonetel.com/` and `https://in1-ccaas-api.ozonetel.com:443` are one
/// account, and the user name as typed (Ozonetel's account names are case-sensitive).
fn key(base_url: &str, user_name: &str) -> String {
    let normalised = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_ascii_lowercase();
            let port = url.port_or_known_default()?;
            Some(format!(
                "{}://{host}:{port}{}",
                url.scheme(),
                url.path().trim_end_matches('/')
            ))
        })
        .unwrap_or_else(|| base_url.to_string());
    format!("{normalised}\n{user_name}")
}

fn same_store(a: &Arc<dyn AccountStore>, b: &Arc<dyn AccountStore>) -> bool {
    // Data pointers only: the vtable half of a `dyn` pointer may differ for one object.
    std::ptr::eq(Arc::as_ptr(a).cast::<()>(), Arc::as_ptr(b).cast::<()>())
        || a.location().is_some_and(|l| Some(l) == b.location())
}

fn describe(store: &Arc<dyn AccountStore>) -> String {
    store
        .location()
        .unwrap_or_else(|| format!("{store:?}"))
        .chars()
        .take(80)
        .collect()
}

/// The account `wanted` names: the live one when a client of it exists in this process, else
/// a new one. A second client that names a different store or CDR rate than the account
/// already has is refused: two stores for one account would mean two tokens fighting.
pub(crate) fn join(wanted: Wanted<'_>) -> Result<Arc<Account>> {
    let key = key(wanted.base_url, wanted.user_name);
    let mut accounts = registry().lock().unwrap_or_else(|p| p.into_inner());
    let entries = accounts.entry(key).or_default();
    entries.retain(|weak| weak.strong_count() > 0);
    let existing = entries.iter().filter_map(Weak::upgrade).find(|account| {
        // Another key on the same account name is another credential — kept apart, so a
        // wrong key fails on its own instead of borrowing the right key's token.
        account.api_key.expose_secret() == wanted.api_key.expose_secret()
    });
    if let Some(account) = existing {
        if let Some(store) = &wanted.store
            && !same_store(store, &account.store)
        {
            let had = if account.explicit_store {
                describe(&account.store)
            } else {
                "the default in-memory store".to_string()
            };
            return Err(Error::invalid(format!(
                "account {} is already in use in this process with {had}; give every client of \
                 one account the same account store (or none)",
                quote(wanted.user_name)
            )));
        }
        if let Some(rate) = wanted.cdr_rate
            && rate != account.cdr_rate
        {
            return Err(Error::invalid(format!(
                "account {} already paces CDR requests to {} per {} ms in this process; the \
                 limit is the account's, so every client must ask for the same one",
                quote(wanted.user_name),
                account.cdr_rate.0,
                account.cdr_rate.1.as_millis()
            )));
        }
        return Ok(account);
    }
    let explicit_store = wanted.store.is_some();
    let store = wanted
        .store
        .unwrap_or_else(|| Arc::new(MemoryAccountStore::new()));
    let cdr_rate = wanted.cdr_rate.unwrap_or(DEFAULT_CDR_RATE);
    let account = Arc::new(Account {
        tokens: TokenManager::new(wanted.user_name.to_string(), store.clone()),
        cdr_pacer: Arc::new(Pacer::new(
            cdr_rate.0,
            cdr_rate.1,
            store.clone(),
            wanted.user_name.to_string(),
        )),
        store,
        explicit_store,
        cdr_rate,
        api_key: wanted.api_key.clone(),
    });
    entries.push(Arc::downgrade(&account));
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_default_ports_and_slashes_of_the_host() {
        assert_eq!(
            key("https://In1-CCAAS-api.ozonetel.com", "acme"),
            key("https://in1-ccaas-api.ozonetel.com:443", "acme")
        );
        assert_eq!(
            key("http://127.0.0.1:8080/", "acme"),
            key("http://127.0.0.1:8080", "acme")
        );
        assert_ne!(
            key("http://127.0.0.1:8080", "acme"),
            key("http://127.0.0.1:8081", "acme")
        );
        assert_ne!(
            key("http://127.0.0.1:8080", "acme"),
            key("http://127.0.0.1:8080", "Acme")
        );
    }
}
