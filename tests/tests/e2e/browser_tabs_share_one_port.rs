//! In headless Chromium, with the media server in one-port mode, two tabs' peer connections share the
//! media server's one UDP port and each tab still sees its own colour come back, closing one leaves the
//! other playing, and the routing table is empty once both have stopped.
use e2e_tests::{Gateway, Stack, run_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_tabs_share_one_port() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    let mut media = media_server::Config::default();
    media.engine.udp_port = Some(0);
    let gateway = Gateway::start_with_media(
        media_gateway::Config {
            candidate_networks: media_gateway::CandidateNetworks::LOCAL,
            ..media_gateway::Config::default()
        },
        media,
    )
    .await?;
    let stack = Stack::start_on(gateway).await?;
    let result = run_driver(&stack.url, "two-tabs", "browser-tabs-one-port.png").await?;
    assert_eq!(result["ok"], true, "{result}");
    assert!(
        result["failures"]
            .as_array()
            .is_some_and(std::vec::Vec::is_empty),
        "{result}"
    );
    stack.assert_nothing_left().await?;
    let engine = stack.gateway.media_stats().engine;
    assert_eq!(engine.udp_sockets, 1, "{engine:?}");
    assert_eq!(
        (
            engine.endpoints,
            engine.routed_ufrags,
            engine.routed_addresses
        ),
        (0, 0, 0),
        "{engine:?}"
    );
    assert!(
        engine.packets_in > 0,
        "media went through the shared port: {engine:?}"
    );
    stack.stop().await
}
