//! Profiles and the environment: which account `helix` uses, what `helix profiles` shows
//! (never a key), and the configuration failures (exit 3) with messages that say what to do.

mod support;

use helix_engage_sim::{DEFAULT_API_KEY, DEFAULT_USER_NAME, NewCall, PartyRole, Simulator};
use serde_json::Value;
use support::*;

/// A config with two tenants: `whitefield` (on the simulator, its key in an environment
/// variable, one agent) and `koramangala` (a key in the file, Redis, no agents).
fn two_tenants(sim: &Simulator) -> String {
    format!(
        r#"
default = "whitefield"

[profiles.whitefield]
user_name = "{DEFAULT_USER_NAME}"
api_key_env = "HELIX_TEST_WHITEFIELD_KEY"
base_url = "{}"

[profiles.whitefield.agents.agent1]
phone_name = "523590"
number = "9123456780"
did = "918041763265"
campaign = "Outbound_918041763265"

[profiles.koramangala]
user_name = "helix_koramangala"
api_key = "CANARY-FILE-KEY-51c0"
redis_url = "redis://:CANARY-REDIS-PW@127.0.0.1:1/"
"#,
        sim.ozonetel_url()
    )
}

#[tokio::test]
async fn a_profile_names_the_account_and_its_agents() {
    let sim = sim().await;
    let ucid = sim.seed_call(NewCall::default()).expect("seeded").ucid;
    let path = config_file(&two_tenants(&sim));
    // The file's default profile; the agent's fields from its entry, no flags.
    let mut c = with_config(&path);
    c.env("HELIX_TEST_WHITEFIELD_KEY", DEFAULT_API_KEY)
        .args(["call", "hold", &ucid, "--agent", "agent1"]);
    let o = run(c).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("call {ucid}: HOLD")));
    let call = sim.call(&ucid).unwrap();
    assert!(
        call.participants
            .iter()
            .any(|p| p.role == PartyRole::Customer && p.on_hold)
    );
    // No redis_url: the token warning, on stderr.
    assert!(stderr(&o).contains("redis_url"), "{}", stderr(&o));

    // A flag on top of the entry wins.
    let mut c = with_config(&path);
    c.env("HELIX_TEST_WHITEFIELD_KEY", DEFAULT_API_KEY)
        .args(["-p", "whitefield", "call", "unhold", &ucid])
        .args(["--agent", "agent1", "--did", "918000000000"]);
    run(c).await;
    let sent = sim.ozonetel_requests();
    let last = sent
        .iter()
        .rev()
        .find(|r| r.path == "/ca_apis/CallControl_V4")
        .expect("sent");
    assert!(last.body.contains("918000000000"), "{}", last.body);
    assert!(last.body.contains("523590"), "{}", last.body);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_agent_is_refused_naming_the_profiles_agents() {
    let sim = sim().await;
    let path = config_file(&two_tenants(&sim));
    let mut c = with_config(&path);
    c.env("HELIX_TEST_WHITEFIELD_KEY", DEFAULT_API_KEY)
        .args(["agent", "ready", "--agent", "agent2"]);
    let o = run(c).await;
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("agent \"agent2\" is not in profile \"whitefield\""),
        "{err}"
    );
    assert!(err.contains("agents there: agent1"), "{err}");
    // Nothing was sent as anybody.
    assert!(sim.ozonetel_requests().is_empty());
    sim.shutdown().await;
}

#[test]
fn a_bad_profile_name_lists_the_profiles() {
    let path = config_file("[profiles.alpha]\nuser_name = \"a\"\n[profiles.beta]\n");
    let o = with_config(&path)
        .args(["--profile", "gamma", "recording", "pause", "1234567890123"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("no profile \"gamma\""), "{err}");
    assert!(err.contains("profiles there: alpha, beta"), "{err}");

    // HELIX_PROFILE the same way; --json puts the error on stdout.
    let o = with_config(&path)
        .env("HELIX_PROFILE", "gamma")
        .args(["--json", "recording", "pause", "1234567890123"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 3);
    let v: Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["error"]["code"], "config");
    assert!(v["error"]["hint"].as_str().unwrap().contains("alpha"));
}

#[test]
fn a_missing_key_says_which_variable() {
    // The environment account without OZONETEL_API_KEY.
    let o = bare()
        .env("OZONETEL_USER_NAME", "acme")
        .args(["recording", "pause", "1234567890123"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("OZONETEL_API_KEY is not set"),
        "{}",
        stderr(&o)
    );
    // Nothing at all: the account name first.
    let o = bare()
        .args(["recording", "pause", "1234567890123"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("OZONETEL_USER_NAME is not set"),
        "{}",
        stderr(&o)
    );

    // A profile whose api_key_env is not exported.
    let path =
        config_file("[profiles.t]\nuser_name = \"acme\"\napi_key_env = \"HELIX_TEST_UNSET_KEY\"\n");
    let o = with_config(&path)
        .args(["-p", "t", "recording", "pause", "1234567890123"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("HELIX_TEST_UNSET_KEY"),
        "{}",
        stderr(&o)
    );
    // A profile with no key at all.
    let path = config_file("[profiles.t]\nuser_name = \"acme\"\n");
    let o = with_config(&path)
        .args(["-p", "t", "recording", "pause", "1234567890123"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 3);
    assert!(stderr(&o).contains("api_key_env"), "{}", stderr(&o));
}

#[test]
fn an_unreadable_config_is_a_configuration_error() {
    let path = config_file("[profiles.t\nuser_name = 1\n");
    let o = with_config(&path).arg("profiles").output().unwrap();
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("helix profiles --help"),
        "{}",
        stderr(&o)
    );
    // A named file that does not exist.
    let o = with_config(&temp_file("absent.toml"))
        .arg("profiles")
        .output()
        .unwrap();
    assert_eq!(code(&o), 3);
    // An unknown field is refused (a typo must not be ignored silently).
    let path = config_file("[profiles.t]\nuser = \"acme\"\n");
    let o = with_config(&path).arg("profiles").output().unwrap();
    assert_eq!(code(&o), 3, "{}", stderr(&o));
}

#[tokio::test]
async fn profiles_lists_what_is_set_and_never_a_secret() {
    let sim = sim().await;
    let path = config_file(&two_tenants(&sim));
    let mut c = with_config(&path);
    c.env("HELIX_TEST_WHITEFIELD_KEY", "CANARY-ENV-KEY-77")
        .arg("profiles");
    let o = run(c).await;
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let whitefield = out.lines().find(|l| l.contains("whitefield")).expect(&out);
    assert!(whitefield.starts_with("* whitefield"), "{out}");
    assert!(
        whitefield.contains("env:HELIX_TEST_WHITEFIELD_KEY (set)"),
        "{out}"
    );
    assert!(whitefield.contains("agent1"), "{out}");
    let kora = out.lines().find(|l| l.contains("koramangala")).expect(&out);
    assert!(kora.contains("api_key (set)"), "{out}");
    assert!(out.contains("in use: profile whitefield"), "{out}");
    // The header and the rows are aligned: each column starts where its header does.
    let header = out.lines().find(|l| l.contains("PROFILE")).expect(&out);
    let col = header.find("KEY").unwrap();
    assert_eq!(&whitefield[col..col + 4], "env:", "{out}");

    // --json, parsed back.
    let mut c = with_config(&path);
    c.env("HELIX_TEST_WHITEFIELD_KEY", "CANARY-ENV-KEY-77")
        .args(["--json", "profiles"]);
    let o = run(c).await;
    let json = stdout(&o);
    let v: Value = serde_json::from_str(json.trim()).expect("JSON");
    assert_eq!(v["default"], "whitefield");
    assert_eq!(v["in_use"], "whitefield");
    let listed = v["profiles"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let k = listed.iter().find(|p| p["name"] == "koramangala").unwrap();
    assert_eq!(k["redis"], true);
    assert_eq!(k["key_set"], true);
    assert_eq!(k["agents"], serde_json::json!([]));
    let w = listed.iter().find(|p| p["name"] == "whitefield").unwrap();
    assert_eq!(w["agents"], serde_json::json!(["agent1"]));

    for text in [&out, &stderr(&o), &json] {
        for secret in ["CANARY-FILE-KEY", "CANARY-REDIS-PW", "CANARY-ENV-KEY"] {
            assert!(!text.contains(secret), "{secret} printed:\n{text}");
        }
    }
    sim.shutdown().await;
}

#[test]
fn profiles_without_a_file_says_the_environment_is_used() {
    let o = bare()
        .env("OZONETEL_USER_NAME", "acme")
        .env("OZONETEL_API_KEY", "CANARY-ENV-ONLY")
        .arg("profiles")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("config: none"), "{out}");
    assert!(
        out.contains("OZONETEL_USER_NAME \"acme\", OZONETEL_API_KEY set"),
        "{out}"
    );
    assert!(!out.contains("CANARY-ENV-ONLY"));
}

#[test]
fn profiles_help_shows_the_file_format() {
    let o = bare().args(["profiles", "--help"]).output().unwrap();
    assert_eq!(code(&o), 0);
    let help = stdout(&o);
    for needle in [
        "[profiles.whitefield]",
        "api_key_env",
        "redis_url",
        ".agents.priya]",
    ] {
        assert!(help.contains(needle), "{needle}:\n{help}");
    }
}
