//! With Chromium's default mDNS hiding of host addresses left on (no
//! `--disable-features=WebRtcHideLocalIpsWithMdns`) and the browsers' default `iceTransportPolicy`, from a
//! client host that is not the media server's and reaches only a TURN host: the page names no host
//! address in its candidates (`.local` names at most, which the media server cannot resolve; its
//! server-reflexive one hides its base as `raddr 0.0.0.0`), the TURN credentials minted for the page
//! still give it a relay candidate, and its picture comes back through coturn (video plays, frames decoded,
//! colour checked, the selected pair is the relay one). Namespaces as in
//! `browser_relay_only_plays_back_through_coturn`.
use e2e_tests::relay::{self, RelayStack};
use e2e_tests::run_driver_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_with_mdns_plays_back_through_coturn() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    if let Some(why) = relay::unavailable() {
        println!("skipped: {why}");
        return Ok(());
    }
    let relay = RelayStack::start(|_| {}).await?;
    relay.client_cannot_reach_server()?;
    let result = run_driver_in(
        Some(&relay.client_ns),
        &relay.url,
        "single",
        "browser-mdns-relay.png",
        &["--mdns"],
    )
    .await?;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["after"]["packetsLost"], 0, "{result}");
    let ice = &result["ice"];
    assert_eq!(ice["policy"], "all", "{result}");
    let gathered: Vec<String> = ice["gathered"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    let hosts: Vec<&String> = gathered
        .iter()
        .filter(|c| c.contains(" typ host"))
        .collect();
    assert!(
        hosts.iter().all(|c| c.contains(".local ")),
        "host candidates hidden behind mDNS names: {gathered:?}"
    );
    assert!(
        gathered
            .iter()
            .filter(|c| c.contains(" typ srflx"))
            .all(|c| c.contains(" raddr 0.0.0.0 ")),
        "server-reflexive candidates hide their base: {gathered:?}"
    );
    assert!(
        gathered.iter().any(|c| c.contains(" typ relay")),
        "{gathered:?}"
    );
    assert_eq!(ice["selected"]["local"]["type"], "relay", "{result}");
    println!(
        "first remote frame through the relay (mDNS on): {} ms after Start",
        result["firstFrameMs"]
    );
    relay.stack.assert_nothing_left().await?;
    relay.stop().await
}
