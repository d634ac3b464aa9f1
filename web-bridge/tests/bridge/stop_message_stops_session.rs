//! `stop` stops the session at the gateway and the same socket can start again.
use crate::support;

use crate::support::{recv_json, send};

#[tokio::test]
async fn stop_message_stops_session() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    let start = support::start_message();
    send(&mut ws, start.clone()).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    send(&mut ws, r#"{"id":"stop"}"#).await?;
    support::stop_reached(&gateway, "session-1", "Stop at the gateway").await?;
    support::eventually("no live session", || bridge.counters.live_sessions() == 0).await?;
    assert_eq!(
        bridge.counters.open_sockets(),
        1,
        "the socket stays open after stop"
    );

    send(&mut ws, start).await?;
    let answer = recv_json(&mut ws).await?;
    assert_eq!(answer["sdpAnswer"], "v=0\r\ns=answer-2\r\n");
    bridge.stop().await
}
