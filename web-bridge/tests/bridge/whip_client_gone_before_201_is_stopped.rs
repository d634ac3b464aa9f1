//! A WHIP client that disconnects while its Start is still running never learns its Location, so nobody
//! could DELETE the resource: the resource's task stops the session itself once Start returns, and the
//! bridge ends up holding nothing.
use tokio::io::AsyncWriteExt as _;

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::whip::WHIP_OFFER;
use crate::support::{Bridge, eventually, start_reached};

#[tokio::test]
async fn whip_client_gone_before_201_is_stopped() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(true).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut tcp = tokio::net::TcpStream::connect(bridge.addr).await?;
    let request = format!(
        "POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{WHIP_OFFER}",
        WHIP_OFFER.len()
    );
    tcp.write_all(request.as_bytes()).await?;
    start_reached(&gateway).await?;
    drop(tcp);
    // Long enough for the bridge to see the closed connection before Start returns.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    gateway.release_start();
    eventually("the orphaned session to be stopped", || {
        gateway.calls().contains(&Call::Stop {
            session: "session-1".into(),
        })
    })
    .await?;
    eventually("nothing to be held", || {
        bridge.counters.whip_resources() == 0 && bridge.counters.live_sessions() == 0
    })
    .await?;
    bridge.stop().await
}
