//! A peer that checks its candidate pairs at once, as browsers do, and is the DTLS client, sends its
//! ClientHello before the media server's own (paced) check on that pair has succeeded. The media server
//! lets it through because the address already proved the ICE password in its binding request; before,
//! the hello was dropped as "not from the ICE peer" and the handshake waited for the client's
//! retransmission. So not one datagram from a well-behaved peer is refused.

use e2e_tests::Gateway;
use media_probe::{EchoCheckConfig, ProbeConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eager_peer_reaches_dtls_at_once() -> anyhow::Result<()> {
    let gw = Gateway::start().await?;
    let config = ProbeConfig {
        echo: EchoCheckConfig {
            duration: Duration::from_secs(1),
            ..Default::default()
        },
        eager_checks: true,
        ..Default::default()
    };
    let report = media_probe::run(&gw.grpc_uri, config).await?;
    assert!(
        report.passed(),
        "{report}\nfailures: {:?}",
        report.failures()
    );
    let refused = gw.media_stats().engine.packets_refused;
    assert_eq!(
        refused, 0,
        "the media server refused the peer's datagrams\n{report}"
    );
    gw.assert_released().await?;
    gw.stop().await
}
