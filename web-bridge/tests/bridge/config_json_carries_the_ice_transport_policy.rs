//! `--ice-transport-policy relay` reaches the page as `"iceTransportPolicy": "relay"` in `/config.json`
//! (the page passes it to its RTCPeerConnection, so media goes only through TURN); the default, `all`,
//! leaves the key out and the browsers' own default applies.

use crate::support::{Bridge, http_get};
use web_bridge::IceTransportPolicy;

async fn policy_served(policy: IceTransportPolicy) -> anyhow::Result<serde_json::Value> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| c.ice_transport_policy = policy).await?;
    let (status, _, body) = http_get(bridge.addr, "/config.json").await?;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    bridge.stop().await?;
    Ok(v)
}

#[tokio::test]
async fn config_json_carries_the_ice_transport_policy() -> anyhow::Result<()> {
    let relay = policy_served(IceTransportPolicy::Relay).await?;
    assert_eq!(relay["iceTransportPolicy"], "relay", "{relay}");
    let all = policy_served(IceTransportPolicy::All).await?;
    assert!(all.get("iceTransportPolicy").is_none(), "{all}");
    Ok(())
}
