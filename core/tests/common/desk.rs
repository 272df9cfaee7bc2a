//! What the agent-desk tests share: the desk agent, its canary password, and the checks that
//! no secret leaked.

use base64::Engine;
use helix_engage::ozonetel::{Agent, AgentRef, Client};

use super::{AGENT_PHONE_NAME, DID, KEY};

pub const PASSWORD: &str = "CANARY-pw-7d2e91";
pub const LOGIN_PATH: &str = "/CAServices/AgentAuthenticationV2/index.php";
pub const STATE_PATH: &str = "/ca_apis/changeAgentState";
pub const CAMPAIGN: &str = "Inbound_918041763265";

pub fn desk_agent(client: &Client) -> Agent {
    client
        .agent(
            AgentRef::new("asha")
                .with_did(DID)
                .with_phone_name(AGENT_PHONE_NAME)
                .with_number("9876500000")
                .with_campaign(CAMPAIGN),
        )
        .unwrap()
}

pub fn basic() -> String {
    let pair = format!("asha:{PASSWORD}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

pub fn assert_no_secret(text: &str) {
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains(KEY), "{text}");
    let b64 = basic();
    assert!(!text.contains(&b64["Basic ".len()..]), "{text}");
}
