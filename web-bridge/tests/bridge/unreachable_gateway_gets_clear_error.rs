//! When the gateway cannot be reached, `start` gets an `error` that says so and names the address.
use crate::support;

use crate::support::{Bridge, recv_error};

#[tokio::test]
async fn unreachable_gateway_gets_clear_error() -> anyhow::Result<()> {
    // Port 1 on loopback: nothing listens there.
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    let text = recv_error(&mut ws).await?;
    assert!(
        text.starts_with("media gateway at http://127.0.0.1:1 is unreachable"),
        "{text}"
    );
    support::eventually("no live session", || bridge.counters.live_sessions() == 0).await?;
    bridge.stop().await
}
