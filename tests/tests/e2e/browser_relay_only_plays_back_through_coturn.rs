//! From a client host that can reach only a TURN host, headless Chromium running the page with
//! `iceTransportPolicy: 'relay'` (web-bridge's `--ice-transport-policy relay`) and the TURN credentials
//! the gateway minted for this page load gets its own picture back through coturn: the remote video
//! plays, frames keep being decoded with no loss, the pixel has the page's colour, the pair that carried
//! it is the browser's relay candidate, and Stop releases everything. The hosts are network namespaces
//! the test makes (`e2e_tests::relay`) and always removes.
use e2e_tests::relay::{self, RelayStack};
use e2e_tests::run_driver_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_relay_only_plays_back_through_coturn() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    if let Some(why) = relay::unavailable() {
        println!("skipped: {why}");
        return Ok(());
    }
    let relay =
        RelayStack::start(|c| c.ice_transport_policy = web_bridge::IceTransportPolicy::Relay)
            .await?;
    relay.client_cannot_reach_server()?;
    let result = run_driver_in(
        Some(&relay.client_ns),
        &relay.url,
        "single",
        "browser-relay-only.png",
        &[],
    )
    .await?;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["after"]["packetsLost"], 0, "{result}");
    let ice = &result["ice"];
    assert_eq!(ice["policy"], "relay", "{result}");
    let gathered = ice["gathered"].as_array().cloned().unwrap_or_default();
    assert!(!gathered.is_empty(), "{result}");
    assert!(
        gathered
            .iter()
            .all(|c| c.as_str().is_some_and(|c| c.contains(" typ relay"))),
        "only relay candidates: {result}"
    );
    assert_eq!(ice["selected"]["local"]["type"], "relay", "{result}");
    assert_eq!(
        ice["selected"]["local"]["address"],
        relay.relay_ip.to_string(),
        "{result}"
    );
    println!(
        "first remote frame through the relay: {} ms after Start",
        result["firstFrameMs"]
    );
    relay.stack.assert_nothing_left().await?;
    relay.stop().await
}
