//! Closing the WebSocket after a session started stops that session at the gateway.
use crate::support;

use crate::support::recv_json;

#[tokio::test]
async fn socket_close_stops_session() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    assert_eq!(bridge.counters.live_sessions(), 1);
    ws.close(None).await?;
    support::stop_reached(&gateway, "session-1", "Stop at the gateway").await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    bridge.stop().await
}
