//! Browsers that vanish (no close frame, no stop) right after sending `start` leak nothing on the real stack:
//! each Start returns after its socket is gone, the bridge stops that session itself, and the media server
//! ends up holding no pipeline (counted on the media server, not in the gateway's bookkeeping).

use std::time::Duration;

use e2e_tests::Gateway;
use futures_util::SinkExt as _;
use media_probe::{Peer, PeerConfig};

const BROWSERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_abrupt_close_during_start_leaks_no_pipeline() -> anyhow::Result<()> {
    let gateway = Gateway::start().await?;
    let web = e2e_tests::plain_bridge(&gateway).await?;

    let mut peers = Vec::new();
    for _ in 0..BROWSERS {
        let (peer, offer) = Peer::start(PeerConfig::default()).await?;
        peers.push(peer);
        let mut ws = e2e_tests::open_and_start(web.addr, &offer).await?;
        ws.flush().await?;
        drop(ws); // Abrupt: the TCP connection just goes.
    }

    test_support::wait::eventually(Duration::from_secs(5), || {
        web.counters.open_sockets() == 0 && web.counters.live_sessions() == 0
    })
    .await;
    assert_eq!(web.counters.open_sockets(), 0, "sockets left open");
    assert_eq!(web.counters.live_sessions(), 0, "bridge sessions left");
    gateway.assert_released().await?;

    // Every Start succeeded and returned to a socket that was already gone: the path under test ran.
    let metrics = get_metrics(web.addr).await?;
    assert_eq!(
        test_support::http::sample(
            &metrics,
            r#"web_bridge_gateway_calls_total{method="Start",code="OK"}"#
        ),
        BROWSERS as f64,
        "{metrics}"
    );
    assert_eq!(
        test_support::http::sample(&metrics, "web_bridge_gateway_sessions_orphaned_total"),
        BROWSERS as f64,
        "{metrics}"
    );
    assert_eq!(
        test_support::http::sample(
            &metrics,
            r#"web_bridge_gateway_calls_total{method="Stop",code="OK"}"#
        ),
        BROWSERS as f64,
        "{metrics}"
    );

    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}

async fn get_metrics(addr: std::net::SocketAddr) -> anyhow::Result<String> {
    Ok(test_support::http::get(addr, "/metrics").await?.text())
}
