//! Browsers that vanish (no close frame, no stop) right after sending `start` leak nothing on the real stack:
//! each Start returns after its socket is gone, the bridge stops that session itself, and the media server
//! ends up holding no pipeline (counted on the media server, not in the gateway's bookkeeping).

use std::time::Duration;

use anyhow::Context as _;
use e2e_tests::Gateway;
use futures_util::SinkExt as _;
use media_probe::{Peer, PeerConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

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

    for _ in 0..100 {
        if web.counters.open_sockets() == 0 && web.counters.live_sessions() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(web.counters.open_sockets(), 0, "sockets left open");
    assert_eq!(web.counters.live_sessions(), 0, "bridge sessions left");
    gateway.assert_released().await?;

    // Every Start succeeded and returned to a socket that was already gone: the path under test ran.
    let metrics = get_metrics(web.addr).await?;
    assert_eq!(
        sample(
            &metrics,
            r#"web_bridge_gateway_calls_total{method="Start",code="OK"}"#
        ),
        BROWSERS as f64,
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "web_bridge_gateway_sessions_orphaned_total"),
        BROWSERS as f64,
        "{metrics}"
    );
    assert_eq!(
        sample(
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
    let mut tcp = TcpStream::connect(addr).await?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut raw)).await??;
    let (_, body) = raw.split_once("\r\n\r\n").context("no end of headers")?;
    Ok(body.to_owned())
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(name, _)| *name == series)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0.0)
}
