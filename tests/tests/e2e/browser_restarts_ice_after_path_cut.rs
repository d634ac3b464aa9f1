//! Headless Chromium on a client host (a network namespace on a veth pair) plays its video back; then
//! every UDP datagram of that host is dropped: the page sees its ICE connection go, restarts ICE on the same
//! call (its signalling over TCP still up), and once the path is restored the media comes back on the new
//! ICE credentials, with no second Start. Nothing is left afterwards.
use std::net::IpAddr;

use anyhow::Context as _;
use e2e_tests::{Gateway, Stack, run_driver_in};
use test_support::netns::{self, Net, Side};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_restarts_ice_after_path_cut() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    if let Some(why) = netns::unavailable().or_else(netns::nat_unavailable) {
        println!("skipped: {why}");
        return Ok(());
    }
    let mut net = Net::new();
    let client_ns = net.namespace("cut").context("the client namespace")?;
    let subnet = net.subnet();
    let (server_ip, client_ip) = (subnet.host(1), subnet.host(2));
    net.link(Side::Ns(&client_ns), client_ip, Side::Root, server_ip)
        .context("the client link")?;
    let gateway = Gateway::start_with_media(
        media_gateway::Config {
            candidate_networks: media_gateway::CandidateNetworks::LOCAL,
            ..media_gateway::Config::default()
        },
        e2e_tests::media_on(IpAddr::V4(server_ip)),
    )
    .await?;
    let stack = Stack::start_bridge(gateway, server_ip.into(), |_| {}).await?;
    let result = run_driver_in(
        Some(&client_ns),
        &stack.url,
        "restart",
        "browser-ice-restart.png",
        &[],
    )
    .await?;
    println!(
        "ICE restarted {} ms after the cut; connected again {} ms after the restore",
        result["restartedMs"], result["backMs"]
    );
    assert_eq!(result["ok"], true, "{result}");
    assert!(result["iceRestarts"].as_u64().unwrap_or(0) >= 1, "{result}");

    let metrics = stack.bridge_counters.prometheus_text();
    let sample = |line: &str| test_support::http::sample(&metrics, line);
    assert_eq!(
        sample(r#"web_bridge_browser_messages_total{type="start"}"#),
        1.0,
        "the page started a second call instead of restarting ICE:\n{metrics}"
    );
    assert!(sample(r#"web_bridge_browser_messages_total{type="restartIce"}"#) >= 1.0);
    stack.assert_nothing_left().await?;
    stack.stop().await?;
    drop(net);
    Ok(())
}
