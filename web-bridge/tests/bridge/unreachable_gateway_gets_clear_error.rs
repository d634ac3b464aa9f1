//! When the gateway cannot be reached, `start` gets an `error` that says so in plain words and names no
//! internal address: the gateway's URI (host and port) and tonic's transport detail are logged, not sent.
use crate::support;

use crate::support::{Bridge, recv_error};

#[tokio::test]
async fn unreachable_gateway_gets_clear_error() -> anyhow::Result<()> {
    // Port 1 on loopback: nothing listens there.
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    let text = recv_error(&mut ws).await?;
    assert_eq!(text, "the media gateway is unreachable; try again later");
    for internal in ["127.0.0.1", "http://", ":1", "transport"] {
        assert!(!text.contains(internal), "{text} names {internal}");
    }
    support::eventually("no live session", || bridge.counters.live_sessions() == 0).await?;
    bridge.stop().await
}
