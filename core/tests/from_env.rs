//! `Client::from_env` reads the `OZONETEL_*` variables. This file holds one test so that
//! changing the process environment cannot race another test.
#![allow(unsafe_code)]

use helix_engage::ErrorCode;
use helix_engage::ozonetel::{Client, Region};

fn set(vars: &[(&str, Option<&str>)]) {
    for (name, value) in vars {
        // SAFETY: this binary runs a single test, so no other thread reads the environment.
        unsafe {
            match value {
                Some(v) => std::env::set_var(name, v),
                None => std::env::remove_var(name),
            }
        }
    }
}

#[test]
fn from_env_reads_ozonetel_variables() {
    set(&[
        ("OZONETEL_USER_NAME", Some("acme")),
        ("OZONETEL_API_KEY", Some("CANARY-env-key")),
        ("OZONETEL_BASE_URL", Some("http://127.0.0.1:9")),
        ("OZONETEL_AUTH_MODE", Some("basic")),
        ("OZONETEL_REGION", Some("international")),
        // Agent variables a sidecar may still have set: never read. An agent comes from the
        // request; a default one from the environment once acted across tenants.
        ("OZONETEL_AGENT_NUMBER", Some("+44 20 7946 0958")),
        ("OZONETEL_AGENT_PHONE_NAME", Some("ENV-EXTENSION")),
        ("OZONETEL_DID", Some("918041763265")),
        ("OZONETEL_TIMEOUT_SECS", Some("3")),
    ]);
    let client = Client::from_env().unwrap();
    assert_eq!(client.user_name(), "acme");
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
    assert_eq!(client.region(), Region::International);
    let debug = format!("{client:?}");
    assert!(debug.contains("Basic"), "{debug}");
    for from_env in ["442079460958", "ENV-EXTENSION", "918041763265"] {
        assert!(!debug.contains(from_env), "{debug}");
    }
    assert!(!debug.contains("CANARY"), "{debug}");

    set(&[("OZONETEL_AUTH_MODE", Some("oauth"))]);
    let err = Client::from_env().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("OZONETEL_AUTH_MODE"), "{err}");

    set(&[
        ("OZONETEL_AUTH_MODE", None),
        ("OZONETEL_TIMEOUT_SECS", Some("soon")),
    ]);
    assert!(
        Client::from_env()
            .unwrap_err()
            .to_string()
            .contains("OZONETEL_TIMEOUT_SECS")
    );

    set(&[("OZONETEL_TIMEOUT_SECS", None), ("OZONETEL_API_KEY", None)]);
    let err = Client::from_env().unwrap_err();
    assert!(err.to_string().contains("api_key is required"), "{err}");
}
