//! With the media server in one-port mode, several peers at once through the gateway share its one UDP
//! port and each still gets back exactly its own media (per-peer payload patterns), and when their
//! sessions end the media server's routing table is empty again.

use e2e_tests::Gateway;
use media_probe::{EchoCheckConfig, ProbeConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_port_peers_are_isolated() -> anyhow::Result<()> {
    let mut media = media_server::Config::default();
    media.engine.udp_port = Some(0);
    let gw = Gateway::start_with_media(
        media_gateway::Config {
            candidate_networks: media_gateway::CandidateNetworks::LOCAL,
            ..media_gateway::Config::default()
        },
        media,
    )
    .await?;
    let runs = (0..5).map(|_| {
        let config = ProbeConfig {
            echo: EchoCheckConfig {
                duration: Duration::from_secs(2),
                ..Default::default()
            },
            ..Default::default()
        };
        media_probe::run(&gw.grpc_uri, config)
    });
    let reports = futures_util::future::join_all(runs).await;
    for report in reports {
        let report = report?;
        assert!(
            report.passed(),
            "{report}\nfailures: {:?}",
            report.failures()
        );
        assert_eq!(report.echo.mismatches, 0, "{report}");
    }
    let stats = gw.media_stats();
    assert_eq!(stats.engine.udp_sockets, 1, "{stats:?}");
    gw.assert_released().await?;
    let stats = gw.media_stats().engine;
    assert_eq!(
        (stats.endpoints, stats.routed_ufrags, stats.routed_addresses),
        (0, 0, 0),
        "{stats:?}"
    );
    gw.stop().await
}
