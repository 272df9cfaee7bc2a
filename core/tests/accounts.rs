//! The account is the unit of sharing: clients of one account share one token, one budget and
//! one CDR pace however they were built; two accounts in one process share nothing; an agent
//! acts only through its own account's client.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::*;
use helix_engage::ErrorCode;
use helix_engage::ozonetel::{AgentRef, Client, MemoryAccountStore};
use mockito::Matcher;

/// The bug this replaces: two clients built separately on one account each generated their
/// own token (20 generations for 24 calls, each invalidating the other's). Now the account is
/// shared however the clients were built: one generation, whatever the spelling of the URL.
#[tokio::test]
async fn clients_built_separately_share_the_account() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt("one-account", in_an_hour());
    let gen_mock = created(token_endpoint(&mut server, &token), 1).await;
    let hold = bearer_call_control(&mut server, &token, HOLD_OK, 24).await;
    let a = client(&server);
    let b = builder(&server)
        .base_url(format!("{}/", server.url().to_uppercase()))
        .build()
        .unwrap();
    assert!(a.same_account(&b));
    let agents = [
        a.agent(AgentRef::new("asha").with_did(DID).with_phone_name("5001"))
            .unwrap(),
        b.agent(AgentRef::new("ravi").with_did(DID).with_phone_name("5002"))
            .unwrap(),
    ];
    for i in 0..24 {
        agents[i % 2].hold("90174967305497").await.unwrap();
    }
    gen_mock.assert_async().await;
    hold.assert_async().await;
    // Another key on the same account name is another credential, never the same account.
    let other = builder(&server).api_key("another-key").build().unwrap();
    assert!(!other.same_account(&a));
    // One account, one store: naming a second, different store is refused.
    let err = builder(&server)
        .account_store(MemoryAccountStore::new())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("same account store"), "{err}");
}

/// Two accounts in one process share nothing: each generates its own token, each agent acts
/// only through its own account's client.
#[tokio::test]
async fn two_accounts_side_by_side_share_nothing() {
    let mut server = mockito::Server::new_async().await;
    let tokens = [
        jwt("acme-token", in_an_hour()),
        jwt("globex-token", in_an_hour()),
    ];
    let mut mocks = Vec::new();
    for (user, token) in [("acme", &tokens[0]), ("globex", &tokens[1])] {
        mocks.push(
            server
                .mock("POST", "/ca_apis/CAToken/generateToken")
                .match_body(Matcher::PartialJson(
                    serde_json::json!({ "userName": user }),
                ))
                .with_body(format!(r#"{{"token":"{token}","message":""}}"#))
                .expect(1)
                .create_async()
                .await,
        );
        mocks.push(
            server
                .mock("POST", "/ca_apis/CallControl_V4")
                .match_header("authorization", format!("Bearer {token}").as_str())
                .match_body(Matcher::PartialJson(serde_json::json!({
                    "userName": user, "action": "HOLD", "agentPhoneName": format!("{user}-ext"),
                })))
                .with_body(HOLD_OK)
                .expect(2)
                .create_async()
                .await,
        );
    }
    let acme = builder(&server).user_name("acme").build().unwrap();
    let globex = builder(&server).user_name("globex").build().unwrap();
    assert!(!acme.same_account(&globex));
    for (client, user) in [
        (&acme, "acme"),
        (&globex, "globex"),
        (&acme, "acme"),
        (&globex, "globex"),
    ] {
        let agent = client
            .agent(
                AgentRef::new("asha")
                    .with_did(DID)
                    .with_phone_name(format!("{user}-ext")),
            )
            .unwrap();
        assert_eq!(agent.client().user_name(), user);
        agent.hold("90174967305497").await.unwrap();
    }
    for m in mocks {
        m.assert_async().await;
    }
}

/// Two accounts pace their CDR requests apart; two clients of one account pace together.
/// With 1 request per 2 s: after acme's first client takes the slot, acme's second client
/// waits for the next one while globex goes at once — the server sees globex first.
#[tokio::test]
async fn the_cdr_pace_is_per_account() {
    let mut server = mockito::Server::new_async().await;
    let arrivals: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut mocks = Vec::new();
    for user in ["acme", "globex"] {
        mocks.push(
            server
                .mock("POST", "/ca_apis/CAToken/generateToken")
                .match_body(Matcher::PartialJson(
                    serde_json::json!({ "userName": user }),
                ))
                .with_body(format!(
                    r#"{{"token":"{}","message":""}}"#,
                    jwt(user, in_an_hour())
                ))
                .expect(1)
                .create_async()
                .await,
        );
        let seen = arrivals.clone();
        mocks.push(
            server
                .mock("GET", "/ca_reports/fetchCdrByUCID")
                .match_body(Matcher::PartialJson(
                    serde_json::json!({ "userName": user }),
                ))
                .with_body_from_request(move |_| {
                    seen.lock().unwrap().push(user.to_string());
                    br#"{"details":[]}"#.to_vec()
                })
                .expect(if user == "acme" { 2 } else { 1 })
                .create_async()
                .await,
        );
    }
    let paced = |user: &str| {
        builder(&server)
            .user_name(user)
            .cdr_rate_limit(1, Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let (acme_1, acme_2, globex) = (paced("acme"), paced("acme"), paced("globex"));
    let today = Utc::now().date_naive();
    acme_1.call_record("123", today).await.unwrap();
    let (second, other) = tokio::join!(acme_2.call_record("123", today), async {
        // Asked a moment after acme's second client, so only pacing can put it first.
        tokio::time::sleep(Duration::from_millis(100)).await;
        globex.call_record("123", today).await
    });
    second.unwrap();
    other.unwrap();
    assert_eq!(*arrivals.lock().unwrap(), ["acme", "globex", "acme"]);
    // The pace is the account's: a client asking another rate for it is refused.
    let err = builder(&server)
        .user_name("acme")
        .cdr_rate_limit(5, Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    drop((acme_1, acme_2));
    for m in mocks {
        m.assert_async().await;
    }
}

/// An agent's handle carries its account: made on one client, it acts there only, and its
/// Debug shows the account but never the agent's phone number.
#[test]
fn an_agent_belongs_to_its_account() {
    let acme = Client::builder()
        .user_name("acme")
        .api_key("k1")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let agent = acme
        .agent(AgentRef::new("asha").with_number("9876543210"))
        .unwrap();
    assert!(agent.client().same_account(&acme));
    let debug = format!("{agent:?}");
    assert!(
        debug.contains("acme") && !debug.contains("9876543210"),
        "{debug}"
    );
}
