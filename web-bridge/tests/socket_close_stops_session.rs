//! Closing the WebSocket after a session started stops that session at the gateway.
mod support;

use support::fake_gateway::Call;
use support::recv_json;

#[tokio::test]
async fn socket_close_stops_session() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    assert_eq!(bridge.counters.live_sessions(), 1);
    ws.close(None).await?;
    support::eventually("Stop at the gateway", || {
        gateway.calls().contains(&Call::Stop {
            session: "session-1".into(),
        })
    })
    .await?;
    support::eventually("counters back to zero", || {
        bridge.counters.live_sessions() == 0 && bridge.counters.open_sockets() == 0
    })
    .await?;
    bridge.stop().await
}
